//! ARS (자동응답 전화) check, documents 003 and 004: the center calls the registered phone and
//! the voice says a 6-digit approval number (승인번호) the customer enters on screen.

use dojang_outside::Message;
use serde_json::json;

use super::challenge::begin;
use super::code;
use crate::audit::Ctx;
use crate::error::IdentityError;
use crate::prompt::Prompt;
use crate::{mask_phone, messages, secret, Identity};

pub(crate) async fn start(id: &Identity, ctx: &Ctx<'_>) -> Result<Prompt, IdentityError> {
    let (tx, customer) = begin(id, ctx).await?;
    let approval = secret::digits(6);
    let minutes = id.limits.minutes(ctx.check);
    let to = mask_phone(&customer.phone);
    let (tx, issued) =
        code::issue(id, ctx, tx, &approval, format!("call {to}"), json!({ "to": to })).await?;
    tx.commit().await?;
    let script = messages::ars(&id.bank, &approval, minutes);
    code::deliver(id, ctx, &Message::ArsCall { to: customer.phone.clone(), script }).await?;
    let (ko, en) = messages::ars_prompt(&to, minutes);
    let mut prompt = Prompt::new(ctx.check, ko, en);
    prompt.sent_to = Some(to);
    prompt.expires_at = Some(issued.expires_at);
    prompt.attempts_left = Some(issued.attempts);
    prompt.digits = Some(6);
    Ok(prompt)
}

pub(crate) async fn answer(id: &Identity, ctx: &Ctx<'_>, given: &str) -> Result<(), IdentityError> {
    code::answer(id, ctx, given, 6).await.map(|_| ())
}
