//! Real name and RRN against the customer record (실명 확인). Wrong answers count against the
//! internet-banking login's lock, so the check cannot be used to guess an RRN.

use dojang_npki::vid::Rrn;
use dojang_store::Lockable;
use dojang_vault::Purpose;
use serde_json::{json, Map};

use super::challenge::{self, begin};
use crate::audit::Ctx;
use crate::error::{IdentityError, LockedThing, Missing};
use crate::prompt::Prompt;
use crate::{messages, secret, Identity};

/// Names compared without spaces.
fn squeeze(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

pub(crate) async fn start(id: &Identity, ctx: &Ctx<'_>) -> Result<Prompt, IdentityError> {
    let (_tx, customer) = begin(id, ctx).await?;
    if customer.rrn_lookup.is_none() {
        return Err(IdentityError::NotEnrolled { what: Missing::Rrn });
    }
    let (ko, en) = messages::rrn_name_prompt();
    Ok(Prompt::new(ctx.check, ko, en))
}

pub(crate) async fn answer(
    id: &Identity,
    ctx: &Ctx<'_>,
    rrn: &Rrn,
    name: &str,
) -> Result<(), IdentityError> {
    let name = squeeze(name);
    if name.is_empty() {
        return Err(challenge::malformed(id, ctx, "a name").await);
    }
    let lookup = id.vault.lookup_hash(Purpose::Rrn, rrn.expose_digits())?;
    let (tx, customer) = begin(id, ctx).await?;
    let Some(stored) = customer.rrn_lookup.as_deref() else {
        return Err(IdentityError::NotEnrolled { what: Missing::Rrn });
    };
    let same_rrn = secret::same(stored, &lookup);
    let same_name = squeeze(&customer.name) == name;
    if same_rrn && same_name {
        return challenge::pass(tx, ctx, None, None, json!({})).await;
    }
    let mut detail = Map::new();
    detail.insert("name_matches".into(), same_name.into());
    detail.insert("rrn_matches".into(), same_rrn.into());
    let lock = (Lockable::BankingLogin { customer_id: ctx.customer_id }, LockedThing::BankingLogin);
    Err(challenge::wrong(id, tx, ctx, None, Some(lock), detail).await)
}
