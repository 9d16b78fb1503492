//! One-time secrets of identity checks (ARS approval numbers, SMS codes, one-won transfer memo
//! codes, security-card challenges): only a keyed hash of the expected answer, what was asked
//! (never the answer), an expiry, an attempt limit and the time it was used. Using it is a
//! conditional update, so a code is accepted at most once even if two answers race.

use std::fmt;

use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::{count, opt_time, time_of, unix};
use crate::store::Store;
use crate::tx::Tx;

/// A challenge to keep.
#[derive(Clone)]
pub struct NewChallenge {
    /// Random, unguessable; also bound into the answer hash.
    pub id: String,
    pub flow_id: String,
    pub customer_id: i64,
    /// Which check: `ars`, `sms`, `security-card`, `one-won-transfer`, `id-card`, …
    pub kind: String,
    /// Vault keyed hash of the expected answer.
    pub answer_hash: [u8; 32],
    /// What was asked, e.g. the card positions `07F,23B`, or where the code was sent.
    pub detail: String,
    pub expires_at: OffsetDateTime,
    pub max_attempts: u32,
}

impl fmt::Debug for NewChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewChallenge")
            .field("id", &self.id)
            .field("flow_id", &self.flow_id)
            .field("customer_id", &self.customer_id)
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("expires_at", &self.expires_at)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// A stored challenge.
#[derive(Clone)]
pub struct Challenge {
    pub id: String,
    pub flow_id: String,
    pub customer_id: i64,
    pub kind: String,
    pub answer_hash: Vec<u8>,
    pub detail: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Wrong answers so far.
    pub attempts: u32,
    pub max_attempts: u32,
    pub used_at: Option<OffsetDateTime>,
}

impl Challenge {
    /// Wrong answers still allowed.
    pub fn attempts_left(&self) -> u32 {
        self.max_attempts.saturating_sub(self.attempts)
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("id", &self.id)
            .field("flow_id", &self.flow_id)
            .field("customer_id", &self.customer_id)
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("expires_at", &self.expires_at)
            .field("attempts", &self.attempts)
            .field("max_attempts", &self.max_attempts)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, flow_id, customer_id, kind, answer_hash, detail, created_at, \
    expires_at, attempts, max_attempts, used_at";

fn challenge_of(r: &AnyRow) -> Result<Challenge, StoreError> {
    Ok(Challenge {
        id: r.try_get("id")?,
        flow_id: r.try_get("flow_id")?,
        customer_id: r.try_get("customer_id")?,
        kind: r.try_get("kind")?,
        answer_hash: r.try_get("answer_hash")?,
        detail: r.try_get("detail")?,
        created_at: time_of(r.try_get("created_at")?)?,
        expires_at: time_of(r.try_get("expires_at")?)?,
        attempts: count(r.try_get("attempts")?),
        max_attempts: count(r.try_get("max_attempts")?),
        used_at: opt_time(r.try_get("used_at")?)?,
    })
}

impl Store {
    /// How many challenges of `kind` a flow has asked for (to limit re-sends).
    pub async fn challenge_count(&self, flow_id: &str, kind: &str) -> Result<u32, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM challenges WHERE flow_id = $1 AND kind = $2")
                .bind(flow_id)
                .bind(kind)
                .fetch_one(&self.pool)
                .await?;
        Ok(count(n))
    }

    /// Removes challenges that expired before `before` (housekeeping; they can no longer be
    /// answered anyway). Returns how many.
    pub async fn purge_challenges(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let _turn = self.turn().await?;
        let done = sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
            .bind(unix(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

impl Tx {
    /// Keeps a new challenge.
    pub async fn insert_challenge(
        &mut self,
        c: &NewChallenge,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO challenges (id, flow_id, customer_id, kind, answer_hash, detail,
                 created_at, expires_at, max_attempts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.id)
        .bind(&c.flow_id)
        .bind(c.customer_id)
        .bind(&c.kind)
        .bind(c.answer_hash.as_slice())
        .bind(&c.detail)
        .bind(unix(now))
        .bind(unix(c.expires_at))
        .bind(i64::from(c.max_attempts))
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// How many challenges of `kind` the flow has asked for, under the write lock.
    pub async fn challenge_count(&mut self, flow_id: &str, kind: &str) -> Result<u32, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM challenges WHERE flow_id = $1 AND kind = $2")
                .bind(flow_id)
                .bind(kind)
                .fetch_one(&mut *self.inner)
                .await?;
        Ok(count(n))
    }

    /// How many challenges of `kind` the customer was sent since `since`, over all their flows,
    /// that were never answered rightly: what a guesser gets by asking for codes again and
    /// again, starting new flows to do it. (An unfinished flow's challenges are kept a day
    /// past its end, `Store::purge_expired_flows`, so a day's count is whole.)
    pub async fn unanswered_challenges_since(
        &mut self,
        customer_id: i64,
        kind: &str,
        since: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM challenges
             WHERE customer_id = $1 AND kind = $2 AND created_at >= $3 AND used_at IS NULL",
        )
        .bind(customer_id)
        .bind(kind)
        .bind(unix(since))
        .fetch_one(&mut *self.inner)
        .await?;
        Ok(count(n))
    }

    /// The newest challenge of `kind` for this flow and customer: asking again replaces the
    /// code the customer must type.
    pub async fn latest_challenge(
        &mut self,
        flow_id: &str,
        customer_id: i64,
        kind: &str,
    ) -> Result<Option<Challenge>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM challenges WHERE flow_id = $1 AND customer_id = $2 AND kind = $3
             ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ))
        .bind(flow_id)
        .bind(customer_id)
        .bind(kind)
        .fetch_optional(&mut *self.inner)
        .await?
        .as_ref()
        .map(challenge_of)
        .transpose()
    }

    /// Counts one wrong answer; returns the attempts made so far.
    pub async fn challenge_failed(&mut self, id: &str) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "UPDATE challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
        )
        .bind(id)
        .fetch_one(&mut *self.inner)
        .await?;
        Ok(count(n))
    }

    /// Marks the challenge used. False if it was already used (it is single-use).
    pub async fn use_challenge(
        &mut self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                .bind(unix(now))
                .bind(id)
                .execute(&mut *self.inner)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
