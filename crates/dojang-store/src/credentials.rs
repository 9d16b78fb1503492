//! Second factors handed out at the branch: the security card (보안카드: numbered codes) and
//! the OTP device (RFC 6238 TOTP). Both secrets are kept sealed by the vault; the store only
//! carries the blobs. The OTP device remembers the last time step it accepted, so that no code
//! is ever accepted twice.

use std::fmt;

use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::{count, opt_time, unique_violation, Conn};
use crate::store::Store;
use crate::tx::Tx;

/// A customer's security card.
#[derive(Clone)]
pub struct SecurityCardRecord {
    pub customer_id: i64,
    /// 일련번호, printed on the card.
    pub serial: String,
    /// The numbered codes, sealed (vault purpose `SecurityCard`).
    pub codes_sealed: Vec<u8>,
    pub failures: u32,
    pub locked_at: Option<OffsetDateTime>,
}

impl SecurityCardRecord {
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

impl fmt::Debug for SecurityCardRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityCardRecord")
            .field("customer_id", &self.customer_id)
            .field("serial", &self.serial)
            .field("failures", &self.failures)
            .field("locked_at", &self.locked_at)
            .finish_non_exhaustive()
    }
}

/// A customer's OTP device.
#[derive(Clone)]
pub struct OtpDeviceRecord {
    pub customer_id: i64,
    pub serial: String,
    /// The TOTP seed, sealed (vault purpose `OtpSeed`).
    pub seed_sealed: Vec<u8>,
    /// The last accepted RFC 6238 time step (unix time / 30); 0 if none yet.
    pub last_step: i64,
    pub failures: u32,
    pub locked_at: Option<OffsetDateTime>,
}

impl OtpDeviceRecord {
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

impl fmt::Debug for OtpDeviceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpDeviceRecord")
            .field("customer_id", &self.customer_id)
            .field("serial", &self.serial)
            .field("last_step", &self.last_step)
            .field("failures", &self.failures)
            .field("locked_at", &self.locked_at)
            .finish_non_exhaustive()
    }
}

fn card_of(r: &AnyRow) -> Result<SecurityCardRecord, StoreError> {
    Ok(SecurityCardRecord {
        customer_id: r.try_get("customer_id")?,
        serial: r.try_get("serial")?,
        codes_sealed: r.try_get("codes_sealed")?,
        failures: count(r.try_get("failures")?),
        locked_at: opt_time(r.try_get("locked_at")?)?,
    })
}

fn otp_of(r: &AnyRow) -> Result<OtpDeviceRecord, StoreError> {
    Ok(OtpDeviceRecord {
        customer_id: r.try_get("customer_id")?,
        serial: r.try_get("serial")?,
        seed_sealed: r.try_get("seed_sealed")?,
        last_step: r.try_get("last_step")?,
        failures: count(r.try_get("failures")?),
        locked_at: opt_time(r.try_get("locked_at")?)?,
    })
}

async fn card(c: &mut Conn, customer_id: i64) -> Result<Option<SecurityCardRecord>, StoreError> {
    sqlx::query(
        "SELECT customer_id, serial, codes_sealed, failures, locked_at
         FROM security_cards WHERE customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(c)
    .await?
    .as_ref()
    .map(card_of)
    .transpose()
}

async fn otp(c: &mut Conn, customer_id: i64) -> Result<Option<OtpDeviceRecord>, StoreError> {
    sqlx::query(
        "SELECT customer_id, serial, seed_sealed, last_step, failures, locked_at
         FROM otp_devices WHERE customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(c)
    .await?
    .as_ref()
    .map(otp_of)
    .transpose()
}

fn duplicate(e: sqlx::Error, table: &str, what: &'static str) -> StoreError {
    match unique_violation(&e) {
        Some(v) if v.is_on(table, "serial") => StoreError::Duplicate { what },
        Some(_) => StoreError::Duplicate { what: "a second factor of the same kind" },
        None => e.into(),
    }
}

impl Store {
    /// The customer's security card, if they hold one.
    pub async fn security_card(
        &self,
        customer_id: i64,
    ) -> Result<Option<SecurityCardRecord>, StoreError> {
        card(&mut *self.pool.acquire().await?, customer_id).await
    }

    /// The customer's OTP device, if they hold one.
    pub async fn otp_device(
        &self,
        customer_id: i64,
    ) -> Result<Option<OtpDeviceRecord>, StoreError> {
        otp(&mut *self.pool.acquire().await?, customer_id).await
    }
}

impl Tx {
    /// Gives the customer a security card, replacing any earlier one (a card reissued at the
    /// branch makes the old one worthless).
    pub async fn put_security_card(
        &mut self,
        customer_id: i64,
        serial: &str,
        codes_sealed: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM security_cards WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *self.inner)
            .await?;
        self.guarded(async |conn| {
            sqlx::query(
                "INSERT INTO security_cards (customer_id, serial, codes_sealed) VALUES ($1, $2, $3)",
            )
            .bind(customer_id)
            .bind(serial)
            .bind(codes_sealed)
            .execute(conn)
            .await
        })
        .await
        .map_err(|e| duplicate(e, "security_cards", "the security card serial"))?;
        Ok(())
    }

    /// Gives the customer an OTP device, replacing any earlier one.
    pub async fn put_otp_device(
        &mut self,
        customer_id: i64,
        serial: &str,
        seed_sealed: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM otp_devices WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *self.inner)
            .await?;
        self.guarded(async |conn| {
            sqlx::query(
                "INSERT INTO otp_devices (customer_id, serial, seed_sealed) VALUES ($1, $2, $3)",
            )
            .bind(customer_id)
            .bind(serial)
            .bind(seed_sealed)
            .execute(conn)
            .await
        })
        .await
        .map_err(|e| duplicate(e, "otp_devices", "the OTP serial"))?;
        Ok(())
    }

    /// The security card, read under this transaction's write lock.
    pub async fn security_card(
        &mut self,
        customer_id: i64,
    ) -> Result<Option<SecurityCardRecord>, StoreError> {
        card(&mut self.inner, customer_id).await
    }

    /// The OTP device, read under this transaction's write lock.
    pub async fn otp_device(
        &mut self,
        customer_id: i64,
    ) -> Result<Option<OtpDeviceRecord>, StoreError> {
        otp(&mut self.inner, customer_id).await
    }

    /// Accepts time step `step` for the customer's OTP: only if it is later than every step
    /// accepted before (so a code is never accepted twice, RFC 6238 §5.2). Resets the failure
    /// count. Returns false, changing nothing, for a step already used or older.
    pub async fn accept_otp_step(
        &mut self,
        customer_id: i64,
        step: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE otp_devices SET last_step = $1, failures = 0
             WHERE customer_id = $2 AND last_step < $3",
        )
        .bind(step)
        .bind(customer_id)
        .bind(step)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
