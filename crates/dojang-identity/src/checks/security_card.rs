//! Security card (보안카드), document 001: 30 numbered codes of 4 digits and a serial number,
//! handed out at the branch. The challenge asks the front two digits of one code and the back
//! two digits of another ("07번 코드 앞 2자리, 23번 코드 뒤 2자리"). Five wrong answers in a
//! row lock the card until staff unlock it.

use dojang_store::{Lockable, StoreError};
use dojang_vault::Purpose;
use serde_json::{json, Map};
use zeroize::Zeroizing;

use super::challenge::{self, begin, refuse};
use crate::audit::Ctx;
use crate::error::{IdentityError, LockedThing, Missing};
use crate::prompt::{CardQuestion, Prompt};
use crate::{messages, secret, Identity};

/// Codes on a card.
pub const CODES: u8 = 30;
/// Digits per code.
pub(crate) const CODE_LEN: usize = 4;

/// A new card: a 10-digit serial and the codes as 120 ASCII digits (sealed before storing).
pub(crate) fn generate() -> (String, Zeroizing<String>) {
    let serial = secret::digits(10).to_string();
    let codes = secret::digits(usize::from(CODES) * CODE_LEN);
    (serial, codes)
}

/// Code number `n` (1-based) of the opened card.
fn code(codes: &[u8], n: u8) -> Result<&[u8], IdentityError> {
    let start = usize::from(n.saturating_sub(1)) * CODE_LEN;
    codes.get(start..start + CODE_LEN).ok_or_else(|| {
        IdentityError::Store(StoreError::Corrupt("a security card with too few codes".into()))
    })
}

pub(crate) async fn start(id: &Identity, ctx: &Ctx<'_>) -> Result<Prompt, IdentityError> {
    let (mut tx, _) = begin(id, ctx).await?;
    let Some(card) = tx.security_card(ctx.customer_id).await? else {
        return Err(IdentityError::NotEnrolled { what: Missing::SecurityCard });
    };
    let limit = id.limits.lock_after;
    if card.is_locked() {
        let err = IdentityError::Locked { what: LockedThing::SecurityCard, limit };
        return Err(
            refuse(tx, ctx.fail("locked", json!({ "serial": card.serial })), ctx.now, err).await
        );
    }
    let codes = id.vault.open_sealed(Purpose::SecurityCard, &card.codes_sealed)?;
    let asked = secret::distinct(2, CODES);
    let (first, second) = match asked[..] {
        [a, b] => (a, b),
        _ => {
            return Err(IdentityError::Unsupported { check: ctx.check, what: "a card this small" })
        }
    };
    let mut expected = Zeroizing::new(Vec::with_capacity(4));
    expected.extend_from_slice(&code(&codes, first)?[..2]);
    expected.extend_from_slice(&code(&codes, second)?[2..]);
    let expected = Zeroizing::new(String::from_utf8_lossy(&expected).into_owned());
    let positions = format!("{first:02}F,{second:02}B");
    let (mut tx, issued) = challenge::create(id, tx, ctx, &expected, positions.clone()).await?;
    let event = ctx.event("asked", json!({ "serial": card.serial, "positions": positions }));
    tx.audit(&event, ctx.now).await?;
    tx.commit().await?;
    let minutes = id.limits.minutes(ctx.check);
    let (ko, en) = messages::card_prompt(first, second, minutes);
    let mut prompt = Prompt::new(ctx.check, ko, en);
    prompt.expires_at = Some(issued.expires_at);
    prompt.attempts_left = Some(issued.attempts.min(limit.saturating_sub(card.failures)));
    prompt.card = Some(CardQuestion { first, second });
    prompt.digits = Some(4);
    Ok(prompt)
}

pub(crate) async fn answer(
    id: &Identity,
    ctx: &Ctx<'_>,
    first: &str,
    second: &str,
) -> Result<(), IdentityError> {
    let (first, second) = (first.trim(), second.trim());
    if !secret::is_digits(first, 2) || !secret::is_digits(second, 2) {
        return Err(challenge::malformed(id, ctx, "2 digits each").await);
    }
    let (mut tx, _) = begin(id, ctx).await?;
    let Some(card) = tx.security_card(ctx.customer_id).await? else {
        return Err(IdentityError::NotEnrolled { what: Missing::SecurityCard });
    };
    let limit = id.limits.lock_after;
    if card.is_locked() {
        let err = IdentityError::Locked { what: LockedThing::SecurityCard, limit };
        return Err(
            refuse(tx, ctx.fail("locked", json!({ "serial": card.serial })), ctx.now, err).await
        );
    }
    let (tx, ch) = challenge::open(tx, ctx).await?;
    let given = Zeroizing::new(format!("{first}{second}"));
    let lock = Lockable::SecurityCard { customer_id: ctx.customer_id };
    if challenge::matches(id, &ch, ctx, &given)? {
        return challenge::pass(tx, ctx, Some(&ch), Some(&lock), json!({ "serial": card.serial }))
            .await;
    }
    let mut detail = Map::new();
    detail.insert("serial".into(), card.serial.clone().into());
    Err(challenge::wrong(id, tx, ctx, Some(&ch), Some((lock, LockedThing::SecurityCard)), detail)
        .await)
}
