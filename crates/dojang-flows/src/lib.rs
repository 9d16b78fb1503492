//! The certificate center's flows (발급, 재발급, 갱신, 폐기, 효력정지, 효력회복) as server-side
//! state machines. A flow is a row in the store holding its plan (the steps its kind, product
//! and the identity policy call for) and how far it has got. Every step is checked to be the
//! next one and is saved with a compare-and-swap, so no step can be skipped, replayed or raced;
//! an idle flow expires. Money and certificates change only in the last step, in one
//! transaction with the audit entries — a flow that does not finish leaves nothing behind.
#![forbid(unsafe_code)]

mod checks;
mod engine;
pub mod error;
pub mod financial;
mod finish;
mod kind;
pub mod possession;
pub mod reminders;
mod signers;
mod state;
mod step;
pub mod terms;
mod view;

pub use checks::Policy;
pub use engine::{FlowSettings, Flows};
pub use error::FlowError;
pub use kind::{FlowKind, Method};
pub use step::Step;
pub use view::{FlowView, StartFlow, StepInfo};
