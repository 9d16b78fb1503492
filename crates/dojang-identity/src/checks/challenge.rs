//! The life of a one-time challenge, shared by the checks that send or ask something: made
//! with a keyed hash of its answer, refused when used, expired or out of attempts, counted on
//! every wrong answer (and, for the security card, against the card's lock), used once.
//!
//! These helpers take the transaction by value: a refusal audits, commits and returns the
//! error, so no failure can be rolled back with the rest.

use dojang_store::{AuditEvent, Challenge, Customer, Lockable, NewChallenge, StoreError, Tx};
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

use crate::audit::Ctx;
use crate::error::{IdentityError, LockedThing};
use crate::secret;
use crate::Identity;

/// Audits `event`, commits, and gives back `err` (or the store error that stopped it).
pub(crate) async fn refuse(
    mut tx: Tx,
    event: AuditEvent,
    now: OffsetDateTime,
    err: IdentityError,
) -> IdentityError {
    let done: Result<(), StoreError> = async {
        tx.audit(&event, now).await?;
        tx.commit().await
    }
    .await;
    match done {
        Ok(()) => err,
        Err(e) => IdentityError::Store(e),
    }
}

/// Begins a write transaction for the customer of `ctx`, refusing (audited) a locked one.
pub(crate) async fn begin(id: &Identity, ctx: &Ctx<'_>) -> Result<(Tx, Customer), IdentityError> {
    let mut tx = id.store.begin().await?;
    let Some(customer) = tx.customer(ctx.customer_id).await? else {
        return Err(IdentityError::CustomerNotFound);
    };
    if customer.is_locked() {
        let event = ctx.fail("customer-locked", json!({}));
        return Err(refuse(tx, event, ctx.now, IdentityError::CustomerLocked).await);
    }
    Ok((tx, customer))
}

/// A challenge just made.
pub(crate) struct Issued {
    pub expires_at: OffsetDateTime,
    pub attempts: u32,
}

/// Keeps a new challenge of `ctx.check` whose answer is `expected` (only its keyed hash is
/// kept). Refused (audited) when the flow already asked for as many as allowed.
pub(crate) async fn create(
    id: &Identity,
    mut tx: Tx,
    ctx: &Ctx<'_>,
    expected: &str,
    detail: String,
) -> Result<(Tx, Issued), IdentityError> {
    let kind = ctx.check.as_str();
    let asked = tx.challenge_count(ctx.flow_id, kind).await?;
    if asked >= id.limits.sends_per_flow {
        let event = ctx.fail("too-many-requests", json!({ "requests": asked }));
        let err = IdentityError::TooManyRequests { check: ctx.check };
        return Err(refuse(tx, event, ctx.now, err).await);
    }
    let limit = id.limits.unanswered_per_day;
    let since = ctx.now - Duration::days(1);
    let unanswered = tx.unanswered_challenges_since(ctx.customer_id, kind, since).await?;
    if unanswered >= limit {
        let event = ctx.fail("too-many-requests-today", json!({ "unanswered": unanswered }));
        let err = IdentityError::TooManyRequestsToday { check: ctx.check, limit };
        return Err(refuse(tx, event, ctx.now, err).await);
    }
    let challenge_id = secret::random_id();
    let expires_at = ctx.now + id.limits.ttl(ctx.check);
    let attempts = id.limits.attempts_per_challenge.max(1);
    let new = NewChallenge {
        answer_hash: secret::answer_hash(&id.vault, &challenge_id, ctx.check, expected)?,
        id: challenge_id,
        flow_id: ctx.flow_id.to_string(),
        customer_id: ctx.customer_id,
        kind: kind.to_string(),
        detail,
        expires_at,
        max_attempts: attempts,
    };
    tx.insert_challenge(&new, ctx.now).await?;
    Ok((tx, Issued { expires_at, attempts }))
}

/// The flow's newest challenge of `ctx.check`, if it can still be answered; otherwise the
/// refusal (audited): not started, already used, expired, out of attempts.
pub(crate) async fn open(mut tx: Tx, ctx: &Ctx<'_>) -> Result<(Tx, Challenge), IdentityError> {
    let check = ctx.check;
    let found = tx.latest_challenge(ctx.flow_id, ctx.customer_id, check.as_str()).await?;
    let (reason, err) = match found {
        None => ("not-started", IdentityError::NotStarted { check }),
        Some(ch) if ch.used_at.is_some() => ("already-used", IdentityError::AlreadyUsed { check }),
        Some(ch) if ctx.now >= ch.expires_at => ("expired", IdentityError::Expired { check }),
        Some(ch) if ch.attempts_left() == 0 => {
            ("too-many-attempts", IdentityError::TooManyAttempts { check })
        }
        Some(ch) => return Ok((tx, ch)),
    };
    Err(refuse(tx, ctx.fail(reason, json!({})), ctx.now, err).await)
}

/// Whether `given` is the challenge's answer (constant time).
pub(crate) fn matches(
    id: &Identity,
    ch: &Challenge,
    ctx: &Ctx<'_>,
    given: &str,
) -> Result<bool, IdentityError> {
    let hash = secret::answer_hash(&id.vault, &ch.id, ctx.check, given)?;
    Ok(secret::same(&hash, &ch.answer_hash))
}

/// A wrong answer: counts it on the challenge and against `lock`, audits the failure (and the
/// lock, when this one locks), commits. Returns what to tell the customer.
pub(crate) async fn wrong(
    id: &Identity,
    mut tx: Tx,
    ctx: &Ctx<'_>,
    challenge: Option<&Challenge>,
    lock: Option<(Lockable, LockedThing)>,
    mut detail: Map<String, Value>,
) -> IdentityError {
    let limit = id.limits.lock_after.max(1);
    let done: Result<IdentityError, StoreError> = async {
        let mut left = limit;
        if let Some(ch) = challenge {
            let attempts = tx.challenge_failed(&ch.id).await?;
            left = ch.max_attempts.saturating_sub(attempts);
            detail.insert("attempts".into(), attempts.into());
            detail.insert("max_attempts".into(), ch.max_attempts.into());
        }
        let mut locked = None;
        if let Some((what, thing)) = lock {
            let count = tx.record_failure(&what, limit, ctx.now).await?;
            detail.insert("failures".into(), count.failures.into());
            if count.locked {
                locked = Some((thing, count));
            } else {
                left = left.min(limit.saturating_sub(count.failures));
            }
        }
        tx.audit(&ctx.fail("wrong-answer", Value::Object(detail)), ctx.now).await?;
        if let Some((thing, count)) = locked {
            if count.newly_locked {
                let event = ctx.event(
                    "lock",
                    json!({ "locked": thing, "failures": count.failures, "limit": limit }),
                );
                tx.audit(&event, ctx.now).await?;
            }
        }
        tx.commit().await?;
        Ok(match locked {
            Some((what, _)) => IdentityError::Locked { what, limit },
            None => IdentityError::WrongAnswer { check: ctx.check, attempts_left: left },
        })
    }
    .await;
    done.unwrap_or_else(IdentityError::Store)
}

/// A right answer: uses the challenge (once only), resets the failures of `reset`, audits
/// the pass, commits.
pub(crate) async fn pass(
    mut tx: Tx,
    ctx: &Ctx<'_>,
    challenge: Option<&Challenge>,
    reset: Option<&Lockable>,
    detail: Value,
) -> Result<(), IdentityError> {
    if let Some(ch) = challenge {
        if !tx.use_challenge(&ch.id, ctx.now).await? {
            let err = IdentityError::AlreadyUsed { check: ctx.check };
            return Err(refuse(tx, ctx.fail("already-used", json!({})), ctx.now, err).await);
        }
    }
    if let Some(what) = reset {
        tx.reset_failures(what).await?;
    }
    tx.audit(&ctx.event("pass", detail), ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// A malformed answer: audited, not counted.
pub(crate) async fn malformed(
    id: &Identity,
    ctx: &Ctx<'_>,
    expected: &'static str,
) -> IdentityError {
    let event = ctx.fail("malformed", json!({ "expected": expected }));
    match id.store.audit(&event, ctx.now).await {
        Ok(_) => IdentityError::Malformed { check: ctx.check, expected },
        Err(e) => IdentityError::Store(e),
    }
}
