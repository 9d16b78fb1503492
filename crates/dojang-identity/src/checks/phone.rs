//! The phone checks: a 6-digit code to the customer's registered phone, either spoken by an
//! ARS call (자동응답 전화, documents 003 and 004: the approval number, 승인번호, entered on
//! screen) or sent by text message (문자 인증번호, documents 002 and 004).

use dojang_outside::Message;
use serde_json::json;

use super::challenge::begin;
use super::code;
use crate::audit::Ctx;
use crate::error::IdentityError;
use crate::prompt::Prompt;
use crate::{mask_phone, messages, secret, Identity};

/// How many digits the code has, on either channel.
const DIGITS: u8 = 6;

/// How the code reaches the phone.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Channel {
    /// The center calls; a voice reads the code out.
    Ars,
    /// A text message carries the code.
    Sms,
}

impl Channel {
    /// What the audit trail says went out (the phone masked).
    fn detail(self, to: &str) -> String {
        match self {
            Channel::Ars => format!("call {to}"),
            Channel::Sms => format!("sms {to}"),
        }
    }

    fn message(self, id: &Identity, phone: &str, code: &str, minutes: i64) -> Message {
        let to = phone.to_string();
        match self {
            Channel::Ars => Message::ArsCall { to, script: messages::ars(&id.bank, code, minutes) },
            Channel::Sms => Message::Sms { to, text: messages::sms(&id.bank, code, minutes) },
        }
    }

    fn prompt(self, to: &str, minutes: i64) -> (String, String) {
        match self {
            Channel::Ars => messages::ars_prompt(to, minutes),
            Channel::Sms => messages::sms_prompt(to, minutes),
        }
    }
}

/// Makes the code, keeps its hash, sends it through `channel` and says what to enter.
pub(crate) async fn start(
    id: &Identity,
    ctx: &Ctx<'_>,
    channel: Channel,
) -> Result<Prompt, IdentityError> {
    let (tx, customer) = begin(id, ctx).await?;
    let code = secret::digits(usize::from(DIGITS));
    let minutes = id.limits.minutes(ctx.check);
    let to = mask_phone(&customer.phone);
    let (tx, issued) =
        code::issue(id, ctx, tx, &code, channel.detail(&to), json!({ "to": to })).await?;
    tx.commit().await?;
    code::deliver(id, ctx, &channel.message(id, &customer.phone, &code, minutes)).await?;
    let (ko, en) = channel.prompt(&to, minutes);
    let mut prompt = Prompt::new(ctx.check, ko, en);
    prompt.sent_to = Some(to);
    prompt.expires_at = Some(issued.expires_at);
    prompt.attempts_left = Some(issued.attempts);
    prompt.digits = Some(DIGITS);
    Ok(prompt)
}

pub(crate) async fn answer(id: &Identity, ctx: &Ctx<'_>, given: &str) -> Result<(), IdentityError> {
    code::answer(id, ctx, given, usize::from(DIGITS)).await.map(|_| ())
}
