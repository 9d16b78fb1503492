//! ID-card check (신분증 진위확인), document 003: the kind, number and issue date read from
//! the customer's ID card, verified with the issuer through the outside world, and bound to
//! this customer (the holder's name; for a resident card, its number is the customer's RRN).
//!
//! The check runs on a challenge of its own (no secret in it), so it expires, takes at most 3
//! wrong cards and passes once. The issuer is asked outside the write transaction.

use dojang_npki::vid::Rrn;
use dojang_outside::{IdCard, IdCardKind, IdCardVerdict};
use dojang_vault::Purpose;
use serde_json::{json, Map};
use time::Date;

use super::challenge::{self, begin, refuse};
use crate::audit::Ctx;
use crate::error::IdentityError;
use crate::prompt::Prompt;
use crate::{messages, secret, Identity};

pub(crate) async fn start(id: &Identity, ctx: &Ctx<'_>) -> Result<Prompt, IdentityError> {
    let (tx, _) = begin(id, ctx).await?;
    // Nothing to guess: the expected "answer" is a random value no one is told.
    let nonce = secret::random_id();
    let (mut tx, issued) = challenge::create(id, tx, ctx, &nonce, "id-card".into()).await?;
    tx.audit(&ctx.event("asked", json!({})), ctx.now).await?;
    tx.commit().await?;
    let (ko, en) = messages::id_card_prompt(id.limits.minutes(ctx.check));
    let mut prompt = Prompt::new(ctx.check, ko, en);
    prompt.expires_at = Some(issued.expires_at);
    prompt.attempts_left = Some(issued.attempts);
    Ok(prompt)
}

pub(crate) async fn answer(
    id: &Identity,
    ctx: &Ctx<'_>,
    kind: IdCardKind,
    number: &str,
    issue_date: Date,
) -> Result<(), IdentityError> {
    if !number.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(challenge::malformed(id, ctx, "an ID card number").await);
    }
    // Refuse a dead or missing challenge before asking the issuer anything.
    let (tx, customer) = begin(id, ctx).await?;
    let (tx, _) = challenge::open(tx, ctx).await?;
    drop(tx);

    let own = match kind {
        IdCardKind::Resident => {
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            match (Rrn::new(&digits), customer.rrn_lookup.as_deref()) {
                (Ok(rrn), Some(stored)) => {
                    secret::same(&id.vault.lookup_hash(Purpose::Rrn, rrn.expose_digits())?, stored)
                }
                _ => false,
            }
        }
        IdCardKind::Driver | IdCardKind::Passport => true,
    };
    let card = IdCard::new(kind, number, issue_date, &customer.name);
    let verdict = if own {
        id.outside
            .verify_id_card(&card, ctx.now)
            .await
            .map_err(|source| IdentityError::Unreachable { check: ctx.check, source })?
    } else {
        IdCardVerdict::Mismatch
    };

    let (tx, _) = begin(id, ctx).await?;
    let (mut tx, ch) = challenge::open(tx, ctx).await?;
    match verdict {
        IdCardVerdict::Genuine => {
            challenge::pass(tx, ctx, Some(&ch), None, json!({ "kind": kind.as_str() })).await
        }
        IdCardVerdict::Mismatch => {
            let mut detail = Map::new();
            detail.insert("kind".into(), kind.as_str().into());
            detail.insert("holder_matches".into(), own.into());
            Err(challenge::wrong(id, tx, ctx, Some(&ch), None, detail).await)
        }
        IdCardVerdict::ReportedLost => {
            tx.challenge_failed(&ch.id).await?;
            let event = ctx.fail("reported-lost", json!({ "kind": kind.as_str() }));
            Err(refuse(tx, event, ctx.now, IdentityError::IdCardReportedLost).await)
        }
    }
}
