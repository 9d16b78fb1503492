//! What staff do for a customer beyond enrolment: lock (사고 신고, suspicion), unlock (after
//! checking identity at the branch: clears the customer lock and the locks and failure counts
//! of the security card, the OTP device and the account passwords), and look up the RRN
//! masked. Every change is audited with the staff member or operator as actor.

use dojang_npki::vid::Rrn;
use dojang_store::{Actor, AuditEvent, Customer, StoreError, Unlocked};
use dojang_vault::{Purpose, VaultError};
use serde_json::json;
use time::OffsetDateTime;

use crate::{mask_account, mask_rrn, Identity};

/// Why a staff action failed.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("there is no customer {0}; `dojang admin customer list` shows them")]
    NoSuchCustomer(i64),
    #[error("store: {0}")]
    Store(StoreError),
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    #[error("the stored RRN of customer {0} cannot be read")]
    BadRrn(i64),
}

impl From<StoreError> for StaffError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchCustomer(id) => StaffError::NoSuchCustomer(id),
            other => StaffError::Store(other),
        }
    }
}

impl Identity {
    /// Locks the customer: every check and login refuses until unlocked. Returns false if the
    /// customer was already locked (the first lock's reason is kept).
    pub async fn lock_customer(
        &self,
        customer_id: i64,
        reason: &str,
        actor: Actor,
        now: OffsetDateTime,
    ) -> Result<bool, StaffError> {
        let mut tx = self.store.begin().await?;
        let locked = tx.lock_customer(customer_id, reason, now).await?;
        let detail = json!({ "reason": reason, "already_locked": !locked });
        let event =
            AuditEvent::new(actor, "customer.lock", format!("customer:{customer_id}"), detail);
        tx.audit(&event, now).await?;
        tx.commit().await?;
        Ok(locked)
    }

    /// Unlocks the customer and everything of theirs that locked; says what was locked.
    pub async fn unlock_customer(
        &self,
        customer_id: i64,
        actor: Actor,
        now: OffsetDateTime,
    ) -> Result<Unlocked, StaffError> {
        let mut tx = self.store.begin().await?;
        let unlocked = tx.unlock_customer(customer_id).await?;
        let detail = json!({
            "customer": unlocked.customer,
            "security_card": unlocked.security_card,
            "otp": unlocked.otp,
            "accounts": unlocked.accounts.iter().map(|a| mask_account(a)).collect::<Vec<_>>(),
        });
        let event =
            AuditEvent::new(actor, "customer.unlock", format!("customer:{customer_id}"), detail);
        tx.audit(&event, now).await?;
        tx.commit().await?;
        Ok(unlocked)
    }

    /// The customer's RRN masked (`900101-1******`), if one is on record.
    pub fn masked_rrn(&self, customer: &Customer) -> Result<Option<String>, StaffError> {
        let Some(sealed) = &customer.rrn_sealed else { return Ok(None) };
        let digits = self.vault.open_sealed(Purpose::Rrn, sealed)?;
        let text = std::str::from_utf8(&digits).map_err(|_| StaffError::BadRrn(customer.id))?;
        let rrn = Rrn::new(text).map_err(|_| StaffError::BadRrn(customer.id))?;
        Ok(Some(mask_rrn(&rrn)))
    }
}
