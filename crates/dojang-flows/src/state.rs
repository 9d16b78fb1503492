//! What a flow remembers between steps. Stored as JSON in the flow's row; never a secret
//! (no RRN, password or code: those are checked and forgotten in the step that receives them).

use dojang_pki::RevocationReason;
use dojang_profile::ProductId;
use serde::{Deserialize, Serialize};

use crate::kind::{FlowKind, Method};
use crate::step::Step;

/// The certificate a flow acts on (reissue, renew, revoke, suspend, resume).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Target {
    pub serial: String,
    pub product: ProductId,
    /// Unix seconds: a reissue keeps it as the new certificate's end.
    pub not_after: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct FlowState {
    pub kind: FlowKind,
    pub method: Method,
    pub plan: Vec<Step>,
    /// Index in `plan` of the next step; `plan.len()` once finished.
    pub position: usize,
    /// The challenge step whose challenge has been started (code sent, positions asked).
    pub started: Option<Step>,
    pub customer_id: Option<i64>,
    pub product: Option<ProductId>,
    /// The fee to charge at the end, in won.
    pub fee: i64,
    pub account: Option<String>,
    pub target: Option<Target>,
    /// Random bytes (base64) the current certificate's key must sign (proof of possession).
    pub nonce: String,
    pub reason: Option<RevocationReason>,
    pub accepted_terms: Vec<String>,
    /// When the flow began (unix seconds), for its absolute lifetime.
    pub began: i64,
    /// What the last step produced, shown again by a `GET` of the flow.
    pub output: serde_json::Value,
}

impl FlowState {
    pub fn next(&self) -> Option<Step> {
        self.plan.get(self.position).copied()
    }

    pub fn is_last(&self) -> bool {
        self.position + 1 == self.plan.len()
    }
}
