//! One-won transfer (1원 송금 계좌인증), document 003: the bank deposits 1 won into the
//! customer's account, a real ledger entry, with a 4-digit code in the memo (적요) that the
//! customer reads in the account history and types back. The code is kept as a keyed hash in
//! the challenge; its only clear copy is the memo itself, which is the customer's own account
//! history.

use dojang_outside::Message;
use serde_json::json;

use super::challenge::{begin, refuse};
use super::{account_digits, code};
use crate::audit::Ctx;
use crate::error::{IdentityError, Missing};
use crate::prompt::{Passed, Prompt};
use crate::{mask_account, messages, secret, Identity};

/// The amount deposited.
const AMOUNT: i64 = 1;
/// The challenge detail names the account (not secret; the code is never in it).
const DETAIL_PREFIX: &str = "account ";

pub(crate) async fn start(
    id: &Identity,
    ctx: &Ctx<'_>,
    account: Option<&str>,
) -> Result<Prompt, IdentityError> {
    let (mut tx, _) = begin(id, ctx).await?;
    let number = match account {
        Some(a) => account_digits(a),
        None => match id.store.accounts_of(ctx.customer_id).await?.into_iter().next() {
            Some(a) => a.number,
            None => return Err(IdentityError::NotEnrolled { what: Missing::Account }),
        },
    };
    let owned = tx.account(&number).await?.is_some_and(|a| a.customer_id == ctx.customer_id);
    if !owned {
        let event = ctx.fail("account-not-found", json!({}));
        return Err(refuse(tx, event, ctx.now, IdentityError::AccountNotFound).await);
    }
    let masked = mask_account(&number);
    let memo_code = secret::digits(4);
    let memo = messages::memo(&id.bank, &memo_code);
    let detail = format!("{DETAIL_PREFIX}{number}");
    let (tx, issued) = code::issue(id, ctx, tx, &memo_code, detail, json!({})).await?;
    let mut tx = tx;
    let entry = tx.credit(&number, AMOUNT, &memo, Some(ctx.flow_id), ctx.now).await?;
    let event =
        ctx.event("deposit", json!({ "account": masked, "amount": AMOUNT, "ledger": entry.id }));
    tx.audit(&event, ctx.now).await?;
    tx.commit().await?;
    let notice = Message::DepositNotice { account: number, amount: AMOUNT, memo };
    code::deliver(id, ctx, &notice).await?;
    let minutes = id.limits.minutes(ctx.check);
    let (ko, en) = messages::one_won_prompt(&id.bank, &masked, minutes);
    let mut prompt = Prompt::new(ctx.check, ko, en);
    prompt.sent_to = Some(masked);
    prompt.expires_at = Some(issued.expires_at);
    prompt.attempts_left = Some(issued.attempts);
    prompt.digits = Some(4);
    Ok(prompt)
}

pub(crate) async fn answer(
    id: &Identity,
    ctx: &Ctx<'_>,
    given: &str,
) -> Result<Passed, IdentityError> {
    let ch = code::answer(id, ctx, given, 4).await?;
    let account = ch.detail.strip_prefix(DETAIL_PREFIX).map(str::to_string);
    Ok(Passed { check: ctx.check, account })
}
