//! Failure counters and locks (잠김) of the things a customer proves themselves with: the
//! internet-banking password, an account password, the security card and the OTP device.
//! Failures in a row are counted; at the limit the thing locks until staff unlock it; a
//! success resets the count. Counting is one `UPDATE … RETURNING`, so two concurrent wrong
//! answers are both counted.

use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::{count, unix};
use crate::tx::Tx;

/// What a failure counts against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lockable {
    /// The internet-banking login of a customer (locks the customer: reason `banking-password`).
    BankingLogin { customer_id: i64 },
    /// A withdrawal account's 4-digit password.
    AccountPassword { account: String },
    /// The customer's security card (보안카드).
    SecurityCard { customer_id: i64 },
    /// The customer's OTP device.
    Otp { customer_id: i64 },
}

/// The lock reason written for a customer locked by wrong banking passwords.
pub const BANKING_PASSWORD_LOCK: &str = "banking-password";

/// The count after a failure, and whether this failure locked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: u32,
    /// Locked now or earlier.
    pub locked: bool,
    /// This very failure reached the limit.
    pub newly_locked: bool,
}

/// What staff unlocking a customer cleared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unlocked {
    /// The customer lock (staff or banking password) was set.
    pub customer: bool,
    pub security_card: bool,
    pub otp: bool,
    /// Account numbers whose password lock was cleared.
    pub accounts: Vec<String>,
}

impl Unlocked {
    pub fn anything(&self) -> bool {
        self.customer || self.security_card || self.otp || !self.accounts.is_empty()
    }
}

impl Tx {
    /// Counts one failure against `what`, locking it when the count reaches `limit`.
    /// A row that does not exist is [`StoreError::NoSuchCustomer`] / [`StoreError::NoSuchAccount`].
    pub async fn record_failure(
        &mut self,
        what: &Lockable,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<FailureCount, StoreError> {
        let limit = i64::from(limit.max(1));
        let (sql, key): (&str, Key<'_>) = match what {
            Lockable::BankingLogin { customer_id } => (
                "UPDATE customers SET banking_failures = banking_failures + 1,
                     lock_reason = CASE WHEN locked_at IS NULL AND banking_failures + 1 >= $2
                                        THEN 'banking-password' ELSE lock_reason END,
                     locked_at = CASE WHEN locked_at IS NULL AND banking_failures + 1 >= $2
                                      THEN $1 ELSE locked_at END
                 WHERE id = $3 RETURNING banking_failures AS failures, locked_at",
                Key::Id(*customer_id),
            ),
            Lockable::AccountPassword { account } => (
                "UPDATE accounts SET failures = failures + 1,
                     locked_at = CASE WHEN locked_at IS NULL AND failures + 1 >= $2
                                      THEN $1 ELSE locked_at END
                 WHERE number = $3 RETURNING failures, locked_at",
                Key::Account(account),
            ),
            Lockable::SecurityCard { customer_id } => (
                "UPDATE security_cards SET failures = failures + 1,
                     locked_at = CASE WHEN locked_at IS NULL AND failures + 1 >= $2
                                      THEN $1 ELSE locked_at END
                 WHERE customer_id = $3 RETURNING failures, locked_at",
                Key::Id(*customer_id),
            ),
            Lockable::Otp { customer_id } => (
                "UPDATE otp_devices SET failures = failures + 1,
                     locked_at = CASE WHEN locked_at IS NULL AND failures + 1 >= $2
                                      THEN $1 ELSE locked_at END
                 WHERE customer_id = $3 RETURNING failures, locked_at",
                Key::Id(*customer_id),
            ),
        };
        let q = sqlx::query(sql).bind(unix(now)).bind(limit);
        let q = match key {
            Key::Id(id) => q.bind(id),
            Key::Account(a) => q.bind(a),
        };
        let row = q.fetch_optional(&mut *self.inner).await?;
        let Some(row) = row else { return Err(missing(what)) };
        let failures: i64 = row.try_get("failures")?;
        let locked_at: Option<i64> = row.try_get("locked_at")?;
        Ok(FailureCount {
            failures: count(failures),
            locked: locked_at.is_some(),
            newly_locked: locked_at == Some(unix(now)) && failures == limit,
        })
    }

    /// A success: the count of failures in a row starts again from zero.
    pub async fn reset_failures(&mut self, what: &Lockable) -> Result<(), StoreError> {
        let done = match what {
            Lockable::BankingLogin { customer_id } => {
                sqlx::query("UPDATE customers SET banking_failures = 0 WHERE id = $1")
                    .bind(customer_id)
                    .execute(&mut *self.inner)
                    .await?
            }
            Lockable::AccountPassword { account } => {
                sqlx::query("UPDATE accounts SET failures = 0 WHERE number = $1")
                    .bind(account)
                    .execute(&mut *self.inner)
                    .await?
            }
            Lockable::SecurityCard { customer_id } => {
                sqlx::query("UPDATE security_cards SET failures = 0 WHERE customer_id = $1")
                    .bind(customer_id)
                    .execute(&mut *self.inner)
                    .await?
            }
            Lockable::Otp { customer_id } => {
                sqlx::query("UPDATE otp_devices SET failures = 0 WHERE customer_id = $1")
                    .bind(customer_id)
                    .execute(&mut *self.inner)
                    .await?
            }
        };
        if done.rows_affected() == 0 {
            return Err(missing(what));
        }
        Ok(())
    }

    /// Staff unlock (잠금 해제): clears the customer lock and the locks and counts of the
    /// customer's security card, OTP device and account passwords. Says what was locked.
    pub async fn unlock_customer(&mut self, customer_id: i64) -> Result<Unlocked, StoreError> {
        let was: Option<Option<i64>> =
            sqlx::query_scalar("SELECT locked_at FROM customers WHERE id = $1")
                .bind(customer_id)
                .fetch_optional(&mut *self.inner)
                .await?;
        let Some(was) = was else { return Err(StoreError::NoSuchCustomer(customer_id)) };
        let was_locked = was.is_some();
        sqlx::query(
            "UPDATE customers SET locked_at = NULL, lock_reason = NULL, banking_failures = 0
             WHERE id = $1",
        )
        .bind(customer_id)
        .execute(&mut *self.inner)
        .await?;
        let card = self.clear("security_cards", customer_id).await?;
        let otp = self.clear("otp_devices", customer_id).await?;
        let accounts: Vec<String> = sqlx::query_scalar(
            "UPDATE accounts SET failures = 0, locked_at = NULL
             WHERE customer_id = $1 AND locked_at IS NOT NULL RETURNING number",
        )
        .bind(customer_id)
        .fetch_all(&mut *self.inner)
        .await?;
        sqlx::query("UPDATE accounts SET failures = 0 WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *self.inner)
            .await?;
        let mut accounts = accounts;
        accounts.sort();
        Ok(Unlocked { customer: was_locked, security_card: card, otp, accounts })
    }

    async fn clear(&mut self, table: &'static str, customer_id: i64) -> Result<bool, StoreError> {
        let was: Option<Option<i64>> =
            sqlx::query_scalar(&format!("SELECT locked_at FROM {table} WHERE customer_id = $1"))
                .bind(customer_id)
                .fetch_optional(&mut *self.inner)
                .await?;
        sqlx::query(&format!(
            "UPDATE {table} SET failures = 0, locked_at = NULL WHERE customer_id = $1"
        ))
        .bind(customer_id)
        .execute(&mut *self.inner)
        .await?;
        Ok(matches!(was, Some(Some(_))))
    }
}

enum Key<'a> {
    Id(i64),
    Account(&'a str),
}

fn missing(what: &Lockable) -> StoreError {
    match what {
        Lockable::AccountPassword { account } => StoreError::NoSuchAccount(account.clone()),
        Lockable::BankingLogin { customer_id }
        | Lockable::SecurityCard { customer_id }
        | Lockable::Otp { customer_id } => StoreError::NoSuchCustomer(*customer_id),
    }
}
