//! Withdrawal account password (출금계좌 비밀번호), documents 000 and 004: the 4-digit
//! password of one of the customer's registered accounts. Five wrong in a row lock that
//! account's password until staff unlock it. The Argon2id comparison runs before the write
//! transaction.

use dojang_store::Lockable;
use serde_json::{json, Map};

use super::account_digits;
use super::challenge::{self, begin, refuse};
use crate::audit::Ctx;
use crate::error::{IdentityError, LockedThing, Missing};
use crate::prompt::{Passed, Prompt};
use crate::{mask_account, messages, secret, Identity};

pub(crate) async fn start(id: &Identity, ctx: &Ctx<'_>) -> Result<Prompt, IdentityError> {
    let _ = begin(id, ctx).await?;
    if id.store.accounts_of(ctx.customer_id).await?.is_empty() {
        return Err(IdentityError::NotEnrolled { what: Missing::Account });
    }
    let (ko, en) = messages::account_password_prompt();
    let mut prompt = Prompt::new(ctx.check, ko, en);
    prompt.digits = Some(4);
    Ok(prompt)
}

pub(crate) async fn answer(
    id: &Identity,
    ctx: &Ctx<'_>,
    account: &str,
    password: &str,
) -> Result<Passed, IdentityError> {
    let number = account_digits(account);
    if number.is_empty() {
        return Err(challenge::malformed(id, ctx, "an account number").await);
    }
    if !secret::is_digits(password, 4) {
        return Err(challenge::malformed(id, ctx, "4 digits").await);
    }
    let masked = mask_account(&number);
    let limit = id.limits.lock_after;
    let account = id.store.account(&number).await?.filter(|a| a.customer_id == ctx.customer_id);
    let verified = match &account {
        Some(a) if !a.is_locked() => Some(secret::verify_password(password, &a.password_hash)?),
        _ => None,
    };
    let (mut tx, _) = begin(id, ctx).await?;
    // Read again under the write lock: a concurrent answer may have locked it meanwhile.
    let current = tx.account(&number).await?.filter(|a| a.customer_id == ctx.customer_id);
    let (Some(current), Some(right)) = (current, verified) else {
        let (reason, err) = match account {
            None => ("account-not-found", IdentityError::AccountNotFound),
            Some(_) => {
                ("locked", IdentityError::Locked { what: LockedThing::AccountPassword, limit })
            }
        };
        return Err(refuse(tx, ctx.fail(reason, json!({ "account": masked })), ctx.now, err).await);
    };
    if current.is_locked() {
        let err = IdentityError::Locked { what: LockedThing::AccountPassword, limit };
        return Err(
            refuse(tx, ctx.fail("locked", json!({ "account": masked })), ctx.now, err).await
        );
    }
    let lock = Lockable::AccountPassword { account: number.clone() };
    if right {
        challenge::pass(tx, ctx, None, Some(&lock), json!({ "account": masked })).await?;
        return Ok(Passed { check: ctx.check, account: Some(number) });
    }
    let mut detail = Map::new();
    detail.insert("account".into(), masked.into());
    Err(challenge::wrong(id, tx, ctx, None, Some((lock, LockedThing::AccountPassword)), detail)
        .await)
}
