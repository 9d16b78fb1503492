//! What the audit log's actions say to an operator's dashboard. Every audited event is counted
//! (`dojang_audit_events_total{action}`), and three families an operator alerts on are named
//! apart: certificates issued, lockouts, and refusals. The actions are the audit vocabulary of
//! the callers (`certificate.<kind>`, `identity.<check>.fail`, `financial.pin-locked`…); the
//! rules below are that vocabulary's conventions, tested against the actions in use.
//!
//! Counters live in the process that wrote the event (one per replica); sum them across
//! replicas.

use serde_json::Value;

/// The issuing kinds of `certificate.<kind>` (revoke, suspend… are not issuance).
const ISSUING: &[&str] =
    &["issue", "reissue", "renew", "financial-issue", "financial-reissue", "financial-auto-renew"];

/// What one audited action counts as, beside the per-action total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family<'a> {
    /// A certificate was issued; the kind of issuance.
    Issued(&'a str),
    /// Something got locked, or was refused because it is locked.
    Lockout,
    /// A check or login failed (wrong code, wrong PIN, refused certificate…).
    Failure,
    Other,
}

pub(crate) fn family<'a>(action: &'a str, detail: &Value) -> Family<'a> {
    if let Some(kind) = action.strip_prefix("certificate.") {
        if ISSUING.contains(&kind) {
            return Family::Issued(kind);
        }
    }
    let reason = detail.get("reason").and_then(Value::as_str).unwrap_or("");
    if action.ends_with(".lock") || action.ends_with("-locked") || reason.ends_with("locked") {
        return Family::Lockout;
    }
    if action.ends_with(".fail") || action.ends_with(".refused") || action.ends_with("-wrong") {
        return Family::Failure;
    }
    Family::Other
}

/// Counts one event written to the audit log.
pub(crate) fn count(action: &str, detail: &Value) {
    metrics::counter!("dojang_audit_events_total", "action" => action.to_string()).increment(1);
    match family(action, detail) {
        Family::Issued(kind) => {
            metrics::counter!("dojang_certificates_issued_total", "kind" => kind.to_string())
                .increment(1);
        }
        Family::Lockout => {
            metrics::counter!("dojang_lockouts_total", "action" => action.to_string()).increment(1);
        }
        Family::Failure => {
            metrics::counter!("dojang_failures_total", "action" => action.to_string()).increment(1);
        }
        Family::Other => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_audit_vocabulary_falls_into_its_families() {
        let none = json!({});
        assert_eq!(family("certificate.issue", &none), Family::Issued("issue"));
        assert_eq!(
            family("certificate.financial-auto-renew", &none),
            Family::Issued("financial-auto-renew")
        );
        assert_eq!(family("certificate.revoke", &none), Family::Other);
        assert_eq!(family("certificate.register", &none), Family::Other);
        assert_eq!(family("identity.find.lock", &none), Family::Lockout);
        assert_eq!(family("financial.pin-locked", &none), Family::Lockout);
        assert_eq!(family("customer.lock", &none), Family::Lockout);
        assert_eq!(family("identity.card.fail", &json!({ "reason": "locked" })), Family::Lockout);
        assert_eq!(
            family("identity.sms.fail", &json!({ "reason": "wrong-answer" })),
            Family::Failure
        );
        assert_eq!(family("login.certificate.refused", &none), Family::Failure);
        assert_eq!(family("staff.login.fail", &none), Family::Failure);
        assert_eq!(family("financial.pin-wrong", &none), Family::Failure);
        assert_eq!(family("customer.unlock", &none), Family::Other);
        assert_eq!(family("login.certificate", &none), Family::Other);
    }
}
