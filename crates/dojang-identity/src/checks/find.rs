//! The ID + RRN step (인터넷뱅킹 ID·주민등록번호 입력, documents 000 and 004): finds the
//! customer. A wrong ID and a wrong RRN give the same answer, so the step cannot be used to
//! learn whether an ID exists; the audit log keeps which it was.

use dojang_npki::vid::Rrn;
use dojang_store::{Actor, AuditEvent, Customer, Lockable};
use dojang_vault::Purpose;
use serde_json::json;
use time::OffsetDateTime;

use crate::enrol::normal_banking_id;
use crate::error::IdentityError;
use crate::secret;
use crate::Identity;

/// At most this much of a typed ID goes into the audit subject.
const ID_IN_AUDIT: usize = 64;

async fn refuse(
    id: &Identity,
    actor: Actor,
    subject: String,
    reason: &str,
    now: OffsetDateTime,
    err: IdentityError,
) -> IdentityError {
    let event = AuditEvent::new(actor, "identity.find.fail", subject, json!({ "reason": reason }));
    match id.store.audit(&event, now).await {
        Ok(_) => err,
        Err(e) => IdentityError::Store(e),
    }
}

async fn found(
    id: &Identity,
    customer: Customer,
    now: OffsetDateTime,
) -> Result<Customer, IdentityError> {
    let actor = Actor::Customer(customer.id);
    let subject = format!("customer:{}", customer.id);
    if customer.is_locked() {
        let err = IdentityError::CustomerLocked;
        return Err(refuse(id, actor, subject, "customer-locked", now, err).await);
    }
    id.store.audit(&AuditEvent::new(actor, "identity.find.pass", subject, json!({})), now).await?;
    Ok(customer)
}

/// A known ID with the wrong RRN (or business number) is someone guessing: it counts against
/// the same five-strikes lock as a wrong banking password, so the RRN of a known ID cannot be
/// searched for. A right RRN does not reset the count (only a right banking password does),
/// or knowing the RRN would let one keep guessing the password.
async fn mismatch(
    id: &Identity,
    customer: &Customer,
    reason: &str,
    now: OffsetDateTime,
) -> IdentityError {
    let subject = format!("customer:{}", customer.id);
    let actor = Actor::Customer(customer.id);
    let lock = Lockable::BankingLogin { customer_id: customer.id };
    let result = async {
        let mut tx = id.store.begin().await?;
        let count = tx.record_failure(&lock, id.limits.lock_after, now).await?;
        let detail = json!({ "reason": reason, "failures": count.failures });
        tx.audit(
            &AuditEvent::new(actor.clone(), "identity.find.fail", subject.clone(), detail),
            now,
        )
        .await?;
        if count.newly_locked {
            let detail = json!({ "what": "banking-login", "after": count.failures });
            tx.audit(&AuditEvent::new(actor, "identity.find.lock", subject, detail), now).await?;
        }
        tx.commit().await?;
        Ok::<_, dojang_store::StoreError>(count)
    }
    .await;
    match result {
        Ok(count) if count.newly_locked => IdentityError::Locked {
            what: crate::error::LockedThing::BankingLogin,
            limit: id.limits.lock_after,
        },
        Ok(_) => IdentityError::CustomerNotFound,
        Err(e) => IdentityError::Store(e),
    }
}

fn unknown_subject(banking_id: &str) -> String {
    let shown: String = banking_id.chars().take(ID_IN_AUDIT).collect();
    format!("banking-id:{shown}")
}

pub(crate) async fn person(
    id: &Identity,
    banking_id: &str,
    rrn: &Rrn,
    now: OffsetDateTime,
) -> Result<Customer, IdentityError> {
    let banking_id = normal_banking_id(banking_id);
    let banking_id = banking_id.as_str();
    // Hashed first, whether or not the ID exists, so both refusals take the same time.
    let lookup = id.vault.lookup_hash(Purpose::Rrn, rrn.expose_digits())?;
    let Some(customer) = id.store.customer_by_banking_id(banking_id).await? else {
        let subject = unknown_subject(banking_id);
        let err = IdentityError::CustomerNotFound;
        return Err(refuse(id, Actor::Anonymous, subject, "unknown-id", now, err).await);
    };
    let same = customer.rrn_lookup.as_deref().is_some_and(|h| secret::same(h, &lookup));
    if !same {
        return Err(mismatch(id, &customer, "rrn-mismatch", now).await);
    }
    found(id, customer, now).await
}

pub(crate) async fn business(
    id: &Identity,
    banking_id: &str,
    business_number: &str,
    now: OffsetDateTime,
) -> Result<Customer, IdentityError> {
    let banking_id = normal_banking_id(banking_id);
    let banking_id = banking_id.as_str();
    let number: String = business_number.chars().filter(char::is_ascii_digit).collect();
    let Some(customer) = id.store.customer_by_banking_id(banking_id).await? else {
        let subject = unknown_subject(banking_id);
        let err = IdentityError::CustomerNotFound;
        return Err(refuse(id, Actor::Anonymous, subject, "unknown-id", now, err).await);
    };
    if customer.business_number.as_deref() != Some(number.as_str()) {
        return Err(mismatch(id, &customer, "business-number-mismatch", now).await);
    }
    found(id, customer, now).await
}
