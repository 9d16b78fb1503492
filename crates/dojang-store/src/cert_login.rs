//! Certificate login and registered certificates of other institutions: one-time challenges,
//! registrations (타기관 인증서 등록/해제) and login sessions shared by every replica.

use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::{time_of, unique_violation, unix};
use crate::store::Store;
use crate::tx::Tx;

/// A challenge as it was taken.
#[derive(Clone, PartialEq, Eq)]
pub struct TakenCertChallenge {
    pub nonce: Vec<u8>,
    pub customer_id: Option<i64>,
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for TakenCertChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakenCertChallenge")
            .field("customer_id", &self.customer_id)
            .finish_non_exhaustive()
    }
}

/// What became of taking a challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertChallengeTake {
    Taken(TakenCertChallenge),
    /// No such challenge (or for another purpose).
    Unknown,
    /// Already taken once.
    Used,
    /// Taken now, but past its expiry.
    Expired,
}

/// A certificate of another institution, registered to a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub id: i64,
    pub customer_id: i64,
    pub fingerprint: Vec<u8>,
    pub trusted_issuer: String,
    pub issuer: String,
    pub serial: String,
    pub subject: String,
    pub not_after: OffsetDateTime,
    pub registered_at: OffsetDateTime,
}

/// A registration to store.
#[derive(Clone, Debug)]
pub struct NewRegistration {
    pub customer_id: i64,
    pub fingerprint: [u8; 32],
    pub trusted_issuer: String,
    pub issuer: String,
    pub serial: String,
    pub subject: String,
    pub not_after: OffsetDateTime,
    pub der: Vec<u8>,
}

/// A login session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginSession {
    pub customer_id: i64,
    pub serial: String,
    pub issuer: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

const REG_COLUMNS: &str =
    "id, customer_id, fingerprint, trusted_issuer, issuer, serial, subject, not_after, registered_at";

fn registration_of(r: &sqlx::any::AnyRow) -> Result<Registration, StoreError> {
    Ok(Registration {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        fingerprint: r.try_get("fingerprint")?,
        trusted_issuer: r.try_get("trusted_issuer")?,
        issuer: r.try_get("issuer")?,
        serial: r.try_get("serial")?,
        subject: r.try_get("subject")?,
        not_after: time_of(r.try_get("not_after")?)?,
        registered_at: time_of(r.try_get("registered_at")?)?,
    })
}

impl Store {
    /// Keeps a new challenge.
    pub async fn insert_cert_challenge(
        &self,
        id: &str,
        purpose: &str,
        nonce: &[u8],
        customer_id: Option<i64>,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query(
            "INSERT INTO cert_challenges (id, purpose, nonce, customer_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(purpose)
        .bind(nonce)
        .bind(customer_id)
        .bind(unix(now))
        .bind(unix(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Reads a challenge without taking it (a registration checks the ARS code first).
    pub async fn peek_cert_challenge(
        &self,
        id: &str,
        purpose: &str,
        now: OffsetDateTime,
    ) -> Result<CertChallengeTake, StoreError> {
        let row = sqlx::query(
            "SELECT nonce, customer_id, expires_at, used_at FROM cert_challenges WHERE id = $1 AND purpose = $2",
        )
        .bind(id)
        .bind(purpose)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(CertChallengeTake::Unknown) };
        if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
            return Ok(CertChallengeTake::Used);
        }
        let expires_at = time_of(row.try_get("expires_at")?)?;
        if expires_at < now {
            return Ok(CertChallengeTake::Expired);
        }
        Ok(CertChallengeTake::Taken(TakenCertChallenge {
            nonce: row.try_get("nonce")?,
            customer_id: row.try_get("customer_id")?,
            expires_at,
        }))
    }

    /// Takes a challenge once: the first caller gets it, every later one `Used`, even on
    /// another replica (one UPDATE decides).
    pub async fn take_cert_challenge(
        &self,
        id: &str,
        purpose: &str,
        now: OffsetDateTime,
    ) -> Result<CertChallengeTake, StoreError> {
        let _turn = self.turn().await?;
        let row = sqlx::query(
            "UPDATE cert_challenges SET used_at = $1 WHERE id = $2 AND purpose = $3 AND used_at IS NULL
             RETURNING nonce, customer_id, expires_at",
        )
        .bind(unix(now))
        .bind(id)
        .bind(purpose)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            let exists =
                sqlx::query("SELECT 1 FROM cert_challenges WHERE id = $1 AND purpose = $2")
                    .bind(id)
                    .bind(purpose)
                    .fetch_optional(&self.pool)
                    .await?;
            return Ok(if exists.is_some() {
                CertChallengeTake::Used
            } else {
                CertChallengeTake::Unknown
            });
        };
        let expires_at = time_of(row.try_get("expires_at")?)?;
        if expires_at < now {
            return Ok(CertChallengeTake::Expired);
        }
        Ok(CertChallengeTake::Taken(TakenCertChallenge {
            nonce: row.try_get("nonce")?,
            customer_id: row.try_get("customer_id")?,
            expires_at,
        }))
    }

    /// Forgets challenges and sessions that ended before `before`.
    pub async fn purge_cert_login(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let _turn = self.turn().await?;
        let a = sqlx::query("DELETE FROM cert_challenges WHERE expires_at < $1")
            .bind(unix(before))
            .execute(&self.pool)
            .await?
            .rows_affected();
        let b = sqlx::query("DELETE FROM login_sessions WHERE expires_at < $1")
            .bind(unix(before))
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(a + b)
    }

    /// The registration of the certificate with this SHA-256 fingerprint.
    pub async fn registration_by_fingerprint(
        &self,
        fingerprint: &[u8],
    ) -> Result<Option<Registration>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REG_COLUMNS} FROM registered_certificates WHERE fingerprint = $1"
        ))
        .bind(fingerprint)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(registration_of).transpose()
    }

    /// A customer's registered certificates, oldest first.
    pub async fn registrations_of(
        &self,
        customer_id: i64,
    ) -> Result<Vec<Registration>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REG_COLUMNS} FROM registered_certificates WHERE customer_id = $1 ORDER BY id"
        ))
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(registration_of).collect()
    }

    /// The session of this token hash, if it has not expired.
    pub async fn login_session(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<LoginSession>, StoreError> {
        let row = sqlx::query(
            "SELECT customer_id, serial, issuer, created_at, expires_at FROM login_sessions
             WHERE token_hash = $1 AND expires_at >= $2",
        )
        .bind(token_hash)
        .bind(unix(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(LoginSession {
                customer_id: r.try_get("customer_id")?,
                serial: r.try_get("serial")?,
                issuer: r.try_get("issuer")?,
                created_at: time_of(r.try_get("created_at")?)?,
                expires_at: time_of(r.try_get("expires_at")?)?,
            })
        })
        .transpose()
    }

    /// Ends one session (logout, or its certificate is no longer good).
    pub async fn end_login_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        let done = sqlx::query("DELETE FROM login_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Tx {
    /// Registers a certificate; one already registered (to anyone) is `Duplicate`.
    pub async fn insert_registration(
        &mut self,
        r: &NewRegistration,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let result = self
            .guarded(async |conn| {
                sqlx::query_scalar(
                    "INSERT INTO registered_certificates
                       (customer_id, fingerprint, trusted_issuer, issuer, serial, subject, not_after, der, registered_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(r.customer_id)
                .bind(r.fingerprint.as_slice())
                .bind(&r.trusted_issuer)
                .bind(&r.issuer)
                .bind(&r.serial)
                .bind(&r.subject)
                .bind(unix(r.not_after))
                .bind(&r.der)
                .bind(unix(now))
                .fetch_one(conn)
                .await
            })
            .await;
        match result {
            Ok(id) => Ok(id),
            Err(e) if unique_violation(&e).is_some() => {
                Err(StoreError::Duplicate { what: "this certificate" })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the customer's registrations of certificate `serial` (hex, any case); how many.
    pub async fn delete_registration(
        &mut self,
        customer_id: i64,
        serial: &str,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM registered_certificates WHERE customer_id = $1 AND ltrim(upper(serial), '0') = ltrim(upper($2), '0')",
        )
        .bind(customer_id)
        .bind(serial)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected())
    }

    /// Ends the customer's sessions opened with this certificate (serial in hex), e.g. when
    /// it is unregistered.
    pub async fn end_login_sessions_of(
        &mut self,
        customer_id: i64,
        serial: &str,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM login_sessions WHERE customer_id = $1 AND ltrim(upper(serial), '0') = ltrim(upper($2), '0')",
        )
        .bind(customer_id)
        .bind(serial)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected())
    }

    /// Opens a session.
    pub async fn insert_login_session(
        &mut self,
        token_hash: &[u8],
        session: &LoginSession,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_sessions (token_hash, customer_id, serial, issuer, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(session.customer_id)
        .bind(&session.serial)
        .bind(&session.issuer)
        .bind(unix(session.created_at))
        .bind(unix(session.expires_at))
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}
