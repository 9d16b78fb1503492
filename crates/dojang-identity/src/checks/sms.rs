//! SMS check (문자 인증번호), documents 002 and 004: a 6-digit code by text message to the
//! registered mobile phone.

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
    let number = secret::digits(6);
    let minutes = id.limits.minutes(ctx.check);
    let to = mask_phone(&customer.phone);
    let (tx, issued) =
        code::issue(id, ctx, tx, &number, format!("sms {to}"), json!({ "to": to })).await?;
    tx.commit().await?;
    let text = messages::sms(&id.bank, &number, minutes);
    code::deliver(id, ctx, &Message::Sms { to: customer.phone.clone(), text }).await?;
    let (ko, en) = messages::sms_prompt(&to, minutes);
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
