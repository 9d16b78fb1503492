//! Audit entries of the identity checks (감사 기록): `identity.<check>.<what>` with the
//! customer as actor and `customer:<id>` as subject. The detail names the flow, the check and
//! counts, never an answer, a code, a password or an RRN.

use dojang_store::{Actor, AuditEvent};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::check::Check;

/// The context of one start or answer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx<'a> {
    pub check: Check,
    pub customer_id: i64,
    pub flow_id: &'a str,
    pub now: OffsetDateTime,
}

impl Ctx<'_> {
    /// `identity.<check>.<verb>` with `extra` merged into the detail.
    pub fn event(&self, verb: &str, extra: Value) -> AuditEvent {
        let mut detail = json!({ "flow": self.flow_id, "check": self.check.as_str() });
        if let (Some(d), Value::Object(more)) = (detail.as_object_mut(), extra) {
            d.extend(more);
        }
        AuditEvent::new(
            Actor::Customer(self.customer_id),
            &format!("identity.{}.{verb}", self.check.audit_name()),
            format!("customer:{}", self.customer_id),
            detail,
        )
    }

    /// A failure: `identity.<check>.fail` with its reason.
    pub fn fail(&self, reason: &str, extra: Value) -> AuditEvent {
        let mut e = self.event("fail", extra);
        if let Some(d) = e.detail.as_object_mut() {
            d.insert("reason".into(), Value::String(reason.into()));
        }
        e
    }

    /// The same context for another (resolved) check.
    pub fn with_check(&self, check: Check) -> Self {
        Ctx { check, ..*self }
    }
}
