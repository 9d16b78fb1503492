//! OTP (일회용 비밀번호 생성기), RFC 6238 TOTP: SHA-1, 6 digits, 30-second steps, one step of
//! clock drift either way. A code is accepted once: the device remembers the last step it
//! accepted and only a later one passes (§5.2). Five wrong codes in a row lock the device.

use dojang_store::Lockable;
use dojang_vault::Purpose;
use serde_json::{json, Map};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};

use super::challenge::{self, begin, refuse};
use crate::audit::Ctx;
use crate::error::{IdentityError, LockedThing, Missing};
use crate::prompt::Prompt;
use crate::{messages, secret, Identity};

/// Seconds per step.
pub(crate) const STEP: i64 = 30;
/// Digits per code.
pub(crate) const DIGITS: usize = 6;
/// Seed length: 160 bits, as RFC 4226 recommends.
pub(crate) const SEED_LEN: usize = 20;

pub(crate) fn totp(seed: &[u8]) -> Result<TOTP, IdentityError> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP as u64, seed.to_vec())
        .map_err(|_| IdentityError::Unsupported { check: crate::Check::Otp, what: "this seed" })
}

/// What an OTP device with seed `secret_base32` shows at `at`: the device itself, for demos
/// and tests (the customer's authenticator app does the same).
pub fn code_at(secret_base32: &str, at: OffsetDateTime) -> Result<String, IdentityError> {
    let seed = Secret::Encoded(secret_base32.trim().to_uppercase()).to_bytes().map_err(|_| {
        IdentityError::Malformed { check: crate::Check::Otp, expected: "a base32 seed" }
    })?;
    let t = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    Ok(totp(&seed)?.generate(t))
}

pub(crate) async fn start(id: &Identity, ctx: &Ctx<'_>) -> Result<Prompt, IdentityError> {
    let (mut tx, _) = begin(id, ctx).await?;
    let Some(device) = tx.otp_device(ctx.customer_id).await? else {
        return Err(IdentityError::NotEnrolled { what: Missing::Otp });
    };
    let limit = id.limits.lock_after;
    if device.is_locked() {
        let err = IdentityError::Locked { what: LockedThing::Otp, limit };
        return Err(refuse(
            tx,
            ctx.fail("locked", json!({ "serial": device.serial })),
            ctx.now,
            err,
        )
        .await);
    }
    let (ko, en) = messages::otp_prompt();
    let mut prompt = Prompt::new(ctx.check, ko, en);
    prompt.attempts_left = Some(limit.saturating_sub(device.failures));
    prompt.digits = Some(6);
    Ok(prompt)
}

pub(crate) async fn answer(id: &Identity, ctx: &Ctx<'_>, given: &str) -> Result<(), IdentityError> {
    let given = given.trim();
    if !secret::is_digits(given, DIGITS) {
        return Err(challenge::malformed(id, ctx, "6 digits").await);
    }
    let (mut tx, _) = begin(id, ctx).await?;
    let Some(device) = tx.otp_device(ctx.customer_id).await? else {
        return Err(IdentityError::NotEnrolled { what: Missing::Otp });
    };
    let limit = id.limits.lock_after;
    let serial = json!({ "serial": device.serial });
    if device.is_locked() {
        let err = IdentityError::Locked { what: LockedThing::Otp, limit };
        return Err(refuse(tx, ctx.fail("locked", serial), ctx.now, err).await);
    }
    let seed = id.vault.open_sealed(Purpose::OtpSeed, &device.seed_sealed)?;
    let totp = totp(&seed)?;
    let now_step = ctx.now.unix_timestamp().div_euclid(STEP);
    let mut fresh = None;
    let mut replayed = false;
    for step in [now_step - 1, now_step, now_step + 1] {
        let Ok(t) = u64::try_from(step * STEP) else { continue };
        if bool::from(totp.generate(t).as_bytes().ct_eq(given.as_bytes())) {
            if step > device.last_step {
                fresh = Some(step);
            } else {
                replayed = true;
            }
        }
    }
    if let Some(step) = fresh {
        if tx.accept_otp_step(ctx.customer_id, step).await? {
            return challenge::pass(tx, ctx, None, None, serial).await;
        }
        replayed = true;
    }
    if replayed {
        // The customer's own code, typed twice, or someone replaying one seen: refused, but
        // not a guess, so not counted towards the lock.
        let err = IdentityError::AlreadyUsed { check: ctx.check };
        return Err(refuse(tx, ctx.fail("replayed", serial), ctx.now, err).await);
    }
    let mut detail = Map::new();
    detail.insert("serial".into(), device.serial.clone().into());
    let lock = (Lockable::Otp { customer_id: ctx.customer_id }, LockedThing::Otp);
    Err(challenge::wrong(id, tx, ctx, None, Some(lock), detail).await)
}
