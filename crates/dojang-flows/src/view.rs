//! What the API shows of a flow.

use serde::{Deserialize, Serialize};

use crate::kind::{FlowKind, Method};
use crate::state::FlowState;
use crate::step::Step;

/// The request that starts a flow.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartFlow {
    pub kind: FlowKind,
    /// For revoke, suspend and resume: prove it with the certificate itself (default) or by
    /// identity checks (a lost certificate).
    #[serde(default)]
    pub method: Option<Method>,
}

/// One step of the plan, numbered for the step indicator (e.g. 3/7).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepInfo {
    pub name: Step,
    pub number: usize,
    pub total: usize,
    pub title_ko: String,
    pub title_en: String,
    pub done: bool,
}

/// A flow as the client sees it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FlowView {
    pub id: String,
    pub kind: FlowKind,
    pub finished: bool,
    /// The step to take now (absent once finished).
    pub next: Option<StepInfo>,
    /// Every step of the plan as it stands (a later choice, such as the product, may change it).
    pub steps: Vec<StepInfo>,
    /// When the flow expires if left idle (RFC 3339).
    pub expires_at: String,
    /// What the last step produced: a prompt, the fee, the summary, the certificate.
    #[schema(value_type = Object)]
    pub output: serde_json::Value,
    /// For flows that use the current certificate: the random bytes (base64) its key must sign.
    pub possession_nonce: Option<String>,
}

pub(crate) fn view(id: &str, state: &FlowState, finished: bool, expires_at: String) -> FlowView {
    let total = state.plan.len();
    let steps: Vec<StepInfo> = state
        .plan
        .iter()
        .enumerate()
        .map(|(i, s)| StepInfo {
            name: *s,
            number: i + 1,
            total,
            title_ko: s.title_ko().into(),
            title_en: s.title_en().into(),
            done: i < state.position,
        })
        .collect();
    let next = if finished { None } else { steps.get(state.position).cloned() };
    let possession_nonce = state.plan.contains(&Step::Possession).then(|| state.nonce.clone());
    FlowView {
        id: id.to_string(),
        kind: state.kind,
        finished,
        next,
        steps,
        expires_at,
        output: state.output.clone(),
        possession_nonce,
    }
}
