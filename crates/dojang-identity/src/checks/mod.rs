//! One module per identity check, and the dispatch from [`Check`] to them.

mod account_password;
mod banking_login;
pub(crate) mod challenge;
mod code;
pub(crate) mod find;
mod id_card;
mod one_won;
pub(crate) mod otp;
mod phone;
mod rrn_name;
pub(crate) mod security_card;

use time::OffsetDateTime;

use crate::answer::Answer;
use crate::audit::Ctx;
use crate::check::Check;
use crate::error::{IdentityError, Missing};
use crate::prompt::{Passed, Prompt};
use crate::{Customer, Identity};
use phone::Channel;

/// Which second factor the customer holds: the OTP device if any, else the security card.
async fn second_factor(id: &Identity, customer_id: i64) -> Result<Check, IdentityError> {
    if id.store.otp_device(customer_id).await?.is_some() {
        Ok(Check::Otp)
    } else if id.store.security_card(customer_id).await?.is_some() {
        Ok(Check::SecurityCard)
    } else {
        Err(IdentityError::NotEnrolled { what: Missing::SecondFactor })
    }
}

/// Refusals that touch nothing in the store (the customer lacks the thing, or the caller
/// mixed up checks) are audited here, once for all checks; every other refusal is audited
/// inside its transaction.
async fn audited<T>(
    id: &Identity,
    ctx: &Ctx<'_>,
    result: Result<T, IdentityError>,
) -> Result<T, IdentityError> {
    let reason = match &result {
        Err(IdentityError::NotEnrolled { .. }) => "not-enrolled",
        Err(IdentityError::AnswerDoesNotFit { .. }) => "answer-does-not-fit",
        Err(IdentityError::Unsupported { .. }) => "unsupported",
        _ => return result,
    };
    id.store.audit(&ctx.fail(reason, serde_json::json!({})), ctx.now).await?;
    result
}

pub(crate) async fn start(
    id: &Identity,
    check: Check,
    customer: &Customer,
    flow_id: &str,
    account: Option<&str>,
    now: OffsetDateTime,
) -> Result<Prompt, IdentityError> {
    let asked = Ctx { check, customer_id: customer.id, flow_id, now };
    let check = match check {
        Check::SecondFactor => audited(id, &asked, second_factor(id, customer.id).await).await?,
        other => other,
    };
    let ctx = Ctx { check, customer_id: customer.id, flow_id, now };
    audited(id, &ctx, start_check(id, &ctx, account).await).await
}

async fn start_check(
    id: &Identity,
    ctx: &Ctx<'_>,
    account: Option<&str>,
) -> Result<Prompt, IdentityError> {
    let check = ctx.check;
    if account.is_some() && check != Check::OneWonTransfer {
        return Err(IdentityError::Unsupported { check, what: "an account to send to" });
    }
    match check {
        Check::RrnName => rrn_name::start(id, ctx).await,
        Check::BankingLogin => banking_login::start(id, ctx).await,
        Check::Ars => phone::start(id, ctx, Channel::Ars).await,
        Check::Sms => phone::start(id, ctx, Channel::Sms).await,
        Check::SecurityCard | Check::SecondFactor => security_card::start(id, ctx).await,
        Check::Otp => otp::start(id, ctx).await,
        Check::IdCard => id_card::start(id, ctx).await,
        Check::OneWonTransfer => one_won::start(id, ctx, account).await,
        Check::AccountPassword => account_password::start(id, ctx).await,
    }
}

pub(crate) async fn answer(
    id: &Identity,
    check: Check,
    customer: &Customer,
    flow_id: &str,
    answer: &Answer,
    now: OffsetDateTime,
) -> Result<Passed, IdentityError> {
    let ctx = Ctx { check, customer_id: customer.id, flow_id, now };
    let result = answer_check(id, &ctx, answer).await;
    audited(id, &ctx, result).await
}

async fn answer_check(
    id: &Identity,
    ctx: &Ctx<'_>,
    answer: &Answer,
) -> Result<Passed, IdentityError> {
    let (check, ctx) = (ctx.check, *ctx);
    let passed = |check| Passed { check, account: None };
    match (check, answer) {
        (Check::RrnName, Answer::RrnName { rrn, name }) => {
            rrn_name::answer(id, &ctx, rrn, name).await.map(|()| passed(check))
        }
        (Check::BankingLogin, Answer::BankingLogin { id: login, password }) => {
            banking_login::answer(id, &ctx, login, password).await.map(|()| passed(check))
        }
        (Check::Ars | Check::Sms, Answer::Code(code)) => {
            phone::answer(id, &ctx, code).await.map(|()| passed(check))
        }
        (Check::SecurityCard | Check::SecondFactor, Answer::SecurityCard { first, second }) => {
            let ctx = ctx.with_check(Check::SecurityCard);
            security_card::answer(id, &ctx, first, second).await.map(|()| passed(ctx.check))
        }
        (Check::Otp | Check::SecondFactor, Answer::Otp(code) | Answer::Code(code)) => {
            let ctx = ctx.with_check(Check::Otp);
            otp::answer(id, &ctx, code).await.map(|()| passed(ctx.check))
        }
        (Check::IdCard, Answer::IdCard { kind, number, issue_date }) => {
            id_card::answer(id, &ctx, *kind, number, *issue_date).await.map(|()| passed(check))
        }
        (Check::OneWonTransfer, Answer::Code(code)) => one_won::answer(id, &ctx, code).await,
        (Check::AccountPassword, Answer::AccountPassword { account, password }) => {
            account_password::answer(id, &ctx, account, password).await
        }
        _ => Err(IdentityError::AnswerDoesNotFit { check }),
    }
}

/// An account number in its stored form: its digits.
pub(crate) fn account_digits(account: &str) -> String {
    account.chars().filter(char::is_ascii_digit).collect()
}
