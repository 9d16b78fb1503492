//! Financial certificates (금융인증서): the keys the center keeps for customers, each holder's
//! PIN counter and lock, and the remote-signing (CSC API) sessions and signature activation
//! data. The store only ever sees ciphertext and hashes here; `dojang-flows::financial`
//! decides what they mean.

use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use dojang_pki::Serial;

use crate::error::StoreError;
use crate::rows::{opt_time, unix};
use crate::store::Store;
use crate::tx::Tx;

/// A customer's custody key: the X25519 public key certificate keys are encrypted to, and its
/// private key sealed under the vault and the PIN.
#[derive(Clone, PartialEq, Eq)]
pub struct FinancialHolder {
    pub customer_id: i64,
    pub holder_public: Vec<u8>,
    pub holder_sealed: Vec<u8>,
    pub failed_pins: u32,
    pub locked_at: Option<OffsetDateTime>,
}

/// Ciphertext only, but no need to print it either.
impl std::fmt::Debug for FinancialHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinancialHolder")
            .field("customer_id", &self.customer_id)
            .field("failed_pins", &self.failed_pins)
            .field("locked_at", &self.locked_at)
            .finish_non_exhaustive()
    }
}

/// A certificate key kept by the center.
#[derive(Clone, PartialEq, Eq)]
pub struct FinancialKey {
    pub serial: Serial,
    pub customer_id: i64,
    pub key_type: String,
    pub wrapped: Vec<u8>,
    pub auto_renew: bool,
    pub renewed_by: Option<String>,
}

impl std::fmt::Debug for FinancialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinancialKey")
            .field("serial", &self.serial)
            .field("customer_id", &self.customer_id)
            .field("key_type", &self.key_type)
            .field("auto_renew", &self.auto_renew)
            .finish_non_exhaustive()
    }
}

/// What presenting a signature activation (SAD) found.
pub enum SadTaking {
    /// Taken: it cannot be used again.
    Taken(TakenSad),
    /// No such activation unused and unexpired.
    Unknown,
    /// Made for `authorized` hashes, not the number sent; left unused.
    WrongCount { authorized: u32 },
}

/// What a signature activation (SAD) gave, taken once.
pub struct TakenSad {
    pub serial: Serial,
    pub customer_id: i64,
    pub num_signatures: u32,
    pub sealed_key: Vec<u8>,
}

fn holder_of(row: &AnyRow) -> Result<FinancialHolder, StoreError> {
    Ok(FinancialHolder {
        customer_id: row.try_get("customer_id")?,
        holder_public: row.try_get("holder_public")?,
        holder_sealed: row.try_get("holder_sealed")?,
        failed_pins: u32::try_from(row.try_get::<i64, _>("failed_pins")?.max(0))
            .unwrap_or(u32::MAX),
        locked_at: opt_time(row.try_get("locked_at")?)?,
    })
}

fn serial_of(text: &str) -> Result<Serial, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("serial {text}")))
}

fn key_of(row: &AnyRow) -> Result<FinancialKey, StoreError> {
    Ok(FinancialKey {
        serial: serial_of(&row.try_get::<String, _>("serial")?)?,
        customer_id: row.try_get("customer_id")?,
        key_type: row.try_get("key_type")?,
        wrapped: row.try_get("wrapped")?,
        auto_renew: row.try_get::<i64, _>("auto_renew")? != 0,
        renewed_by: row.try_get("renewed_by")?,
    })
}

const KEY_COLUMNS: &str = "serial, customer_id, key_type, wrapped, auto_renew, renewed_by";

impl Tx {
    /// Sets (or replaces, on reissue with a new PIN) a customer's custody key; the PIN counter
    /// and lock start afresh.
    pub async fn put_financial_holder(
        &mut self,
        customer_id: i64,
        holder_public: &[u8],
        holder_sealed: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO financial_holders (customer_id, holder_public, holder_sealed, failed_pins, locked_at, updated_at)
             VALUES ($1, $2, $3, 0, NULL, $4)
             ON CONFLICT (customer_id) DO UPDATE SET holder_public = excluded.holder_public,
               holder_sealed = excluded.holder_sealed, failed_pins = 0, locked_at = NULL,
               updated_at = excluded.updated_at",
        )
        .bind(customer_id)
        .bind(holder_public)
        .bind(holder_sealed)
        .bind(unix(now))
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Keeps the wrapped key of a certificate issued in this transaction.
    pub async fn insert_financial_key(
        &mut self,
        serial: &Serial,
        customer_id: i64,
        key_type: &str,
        wrapped: &[u8],
        auto_renew: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO financial_keys (serial, customer_id, key_type, wrapped, auto_renew, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(serial.to_hex())
        .bind(customer_id)
        .bind(key_type)
        .bind(wrapped)
        .bind(i64::from(auto_renew))
        .bind(unix(now))
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Marks `old` as replaced by `new` (automatic renewal). False when another run got there
    /// first, so that a certificate is renewed once however many replicas run the job.
    pub async fn mark_financial_renewed(
        &mut self,
        old: &Serial,
        new: &Serial,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE financial_keys SET renewed_by = $1 WHERE serial = $2 AND renewed_by IS NULL",
        )
        .bind(new.to_hex())
        .bind(old.to_hex())
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Store {
    pub async fn financial_holder(
        &self,
        customer_id: i64,
    ) -> Result<Option<FinancialHolder>, StoreError> {
        let row = sqlx::query("SELECT * FROM financial_holders WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(holder_of).transpose()
    }

    /// Takes one of the `limit` tries before a PIN is checked, atomically, so that PINs sent
    /// at the same moment cannot get past the limit together. Returns the try's number (1 for
    /// the first in a row), or `None` when the holder is locked or out of tries.
    pub async fn financial_pin_reserve(
        &self,
        customer_id: i64,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<Option<u32>, StoreError> {
        let _turn = self.turn().await?;
        let row = sqlx::query(
            "UPDATE financial_holders SET failed_pins = failed_pins + 1, updated_at = $1
             WHERE customer_id = $2 AND locked_at IS NULL AND failed_pins < $3
             RETURNING failed_pins",
        )
        .bind(unix(now))
        .bind(customer_id)
        .bind(i64::from(limit))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(u32::try_from(r.try_get::<i64, _>(0)?.max(0)).unwrap_or(u32::MAX)))
            .transpose()
    }

    /// The reserved try `try_number` (what [`Store::financial_pin_reserve`] returned) was a
    /// wrong PIN: it stays counted, and the try numbered `limit` locks the holder. Decided by
    /// the try's own number, not the live count, which may include a right PIN in flight.
    pub async fn financial_pin_failed(
        &self,
        customer_id: i64,
        try_number: u32,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        let lock = try_number >= limit;
        sqlx::query(
            "UPDATE financial_holders SET
               locked_at = CASE WHEN $1 THEN COALESCE(locked_at, $2) ELSE locked_at END,
               updated_at = $3
             WHERE customer_id = $4",
        )
        .bind(lock)
        .bind(unix(now))
        .bind(unix(now))
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the lock of a holder out of tries (`limit` counted) but not yet locked: tries
    /// whose end was never recorded. Whether this call locked it (false: already locked, no
    /// longer out of tries as a right PIN cleared the count meanwhile, or no holder).
    pub async fn financial_pin_lock(
        &self,
        customer_id: i64,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        let done = sqlx::query(
            "UPDATE financial_holders SET locked_at = $1, updated_at = $2
             WHERE customer_id = $3 AND locked_at IS NULL AND failed_pins >= $4",
        )
        .bind(unix(now))
        .bind(unix(now))
        .bind(customer_id)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A right PIN clears the count (never a lock: only re-verification does).
    pub async fn financial_pin_passed(&self, customer_id: i64) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query(
            "UPDATE financial_holders SET failed_pins = 0 WHERE customer_id = $1 AND locked_at IS NULL",
        )
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn financial_key(&self, serial: &Serial) -> Result<Option<FinancialKey>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM financial_keys WHERE serial = $1"))
                .bind(serial.to_hex())
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(key_of).transpose()
    }

    /// The customer's kept keys, newest first.
    pub async fn financial_keys_of(
        &self,
        customer_id: i64,
    ) -> Result<Vec<FinancialKey>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM financial_keys WHERE customer_id = $1 ORDER BY created_at DESC, serial"
        ))
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_of).collect()
    }

    pub async fn set_financial_auto_renew(
        &self,
        serial: &Serial,
        customer_id: i64,
        on: bool,
    ) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        let done = sqlx::query(
            "UPDATE financial_keys SET auto_renew = $1 WHERE serial = $2 AND customer_id = $3",
        )
        .bind(i64::from(on))
        .bind(serial.to_hex())
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Kept keys with automatic renewal on whose certificate is unrevoked, not renewed yet and
    /// ends in `(now, until]`.
    pub async fn financial_renewals_due(
        &self,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<FinancialKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.serial, k.customer_id, k.key_type, k.wrapped, k.auto_renew, k.renewed_by
             FROM financial_keys k JOIN certificates c ON c.serial = k.serial
             WHERE k.auto_renew = 1 AND k.renewed_by IS NULL AND c.revoked_at IS NULL
               AND c.not_after > $1 AND c.not_after <= $2
             ORDER BY c.not_after",
        )
        .bind(unix(now))
        .bind(unix(until))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_of).collect()
    }

    /// Keeps a remote-signing session (the SHA-256 of its bearer token).
    pub async fn create_csc_session(
        &self,
        token_hash: &[u8],
        customer_id: i64,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query("DELETE FROM csc_sessions WHERE expires_at <= $1")
            .bind(unix(now))
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO csc_sessions (token_hash, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(customer_id)
        .bind(unix(now))
        .bind(unix(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The customer of an unexpired session.
    pub async fn csc_session(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT customer_id FROM csc_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(unix(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
    }

    /// Ends a session (CSC auth/revoke).
    pub async fn end_csc_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query("DELETE FROM csc_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Keeps a signature activation.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_csc_sad(
        &self,
        sad_hash: &[u8],
        serial: &Serial,
        customer_id: i64,
        num_signatures: u32,
        sealed_key: &[u8],
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        // Used and expired activations are of no use: their keys are gone already or now.
        let _turn = self.turn().await?;
        sqlx::query("DELETE FROM csc_sads WHERE expires_at <= $1 OR used_at IS NOT NULL")
            .bind(unix(now))
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO csc_sads (sad_hash, serial, customer_id, num_signatures, sealed_key, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sad_hash)
        .bind(serial.to_hex())
        .bind(customer_id)
        .bind(i64::from(num_signatures))
        .bind(sealed_key)
        .bind(unix(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes an unexpired, unused activation once, for `hashes` hashes: it is marked used and
    /// its key wiped in the same transaction, so a replay (or a race) finds nothing. An
    /// activation made for another number of hashes is left as it was (the customer need not
    /// type the PIN again for a malformed request).
    pub async fn take_csc_sad(
        &self,
        sad_hash: &[u8],
        hashes: u32,
        now: OffsetDateTime,
    ) -> Result<SadTaking, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT serial, customer_id, num_signatures, sealed_key FROM csc_sads
             WHERE sad_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(sad_hash)
        .bind(unix(now))
        .fetch_optional(&mut *tx.inner)
        .await?;
        let Some(row) = row else {
            tx.roll_back().await?;
            return Ok(SadTaking::Unknown);
        };
        let authorized =
            u32::try_from(row.try_get::<i64, _>("num_signatures")?.max(0)).unwrap_or(0);
        if authorized != hashes {
            tx.roll_back().await?;
            return Ok(SadTaking::WrongCount { authorized });
        }
        sqlx::query("UPDATE csc_sads SET used_at = $1, sealed_key = NULL WHERE sad_hash = $2")
            .bind(unix(now))
            .bind(sad_hash)
            .execute(&mut *tx.inner)
            .await?;
        tx.commit().await?;
        Ok(SadTaking::Taken(TakenSad {
            serial: serial_of(&row.try_get::<String, _>("serial")?)?,
            customer_id: row.try_get("customer_id")?,
            num_signatures: authorized,
            sealed_key: row.try_get::<Option<Vec<u8>>, _>("sealed_key")?.unwrap_or_default(),
        }))
    }
}
