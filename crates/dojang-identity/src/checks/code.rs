//! What the code checks (ARS, SMS, one-won transfer) share: a random code sent through the
//! outside world, kept as a keyed hash, answered once.

use dojang_outside::Message;
use dojang_store::{Challenge, Tx};
use serde_json::{json, Map};

use super::challenge::{self, begin, Issued};
use crate::audit::Ctx;
use crate::error::IdentityError;
use crate::{secret, Identity};

/// Records that the code went out, or did not.
pub(crate) async fn deliver(
    id: &Identity,
    ctx: &Ctx<'_>,
    message: &Message,
) -> Result<(), IdentityError> {
    match id.outside.send(message, ctx.now).await {
        Ok(_) => Ok(()),
        Err(source) => {
            let event = ctx.fail("undelivered", json!({ "error": source.to_string() }));
            id.store.audit(&event, ctx.now).await?;
            Err(IdentityError::Unreachable { check: ctx.check, source })
        }
    }
}

/// Makes a challenge for `code`, audits `sent` with `detail`, commits.
pub(crate) async fn issue(
    id: &Identity,
    ctx: &Ctx<'_>,
    tx: Tx,
    code: &str,
    detail: String,
    audit: serde_json::Value,
) -> Result<(Tx, Issued), IdentityError> {
    let (mut tx, issued) = challenge::create(id, tx, ctx, code, detail).await?;
    tx.audit(&ctx.event("sent", audit), ctx.now).await?;
    Ok((tx, issued))
}

/// Checks a typed code of `digits` digits against the flow's newest challenge; on success
/// returns that challenge (used now).
pub(crate) async fn answer(
    id: &Identity,
    ctx: &Ctx<'_>,
    given: &str,
    digits: usize,
) -> Result<Challenge, IdentityError> {
    let given = given.trim();
    if !secret::is_digits(given, digits) {
        let expected = if digits == 4 { "4 digits" } else { "6 digits" };
        return Err(challenge::malformed(id, ctx, expected).await);
    }
    let (tx, _) = begin(id, ctx).await?;
    let (tx, ch) = challenge::open(tx, ctx).await?;
    if challenge::matches(id, &ch, ctx, given)? {
        challenge::pass(tx, ctx, Some(&ch), None, json!({})).await?;
        Ok(ch)
    } else {
        Err(challenge::wrong(id, tx, ctx, Some(&ch), None, Map::new()).await)
    }
}
