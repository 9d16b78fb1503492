//! Flows as rows: each step is a compare-and-swap on `version`, so a replayed or concurrent
//! step finds the version moved and changes nothing.

use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::Columns;
use crate::store::Store;
use crate::tx::Tx;

/// A stored flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRecord {
    pub id: String,
    pub kind: String,
    /// The flow's state, as its owner serialised it (JSON).
    pub state: String,
    pub customer_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub version: i64,
    pub finished_at: Option<OffsetDateTime>,
}

fn time_of(secs: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| StoreError::Corrupt(format!("flow time {secs}")))
}

pub(crate) fn record(row: &impl Columns) -> Result<FlowRecord, StoreError> {
    Ok(FlowRecord {
        id: row.get("id")?,
        kind: row.get("kind")?,
        state: row.get("state")?,
        customer_id: row.get("customer_id")?,
        created_at: time_of(row.get("created_at")?)?,
        updated_at: time_of(row.get("updated_at")?)?,
        expires_at: time_of(row.get("expires_at")?)?,
        version: row.get("version")?,
        finished_at: row.get::<Option<i64>>("finished_at")?.map(time_of).transpose()?,
    })
}

const COLUMNS: &str =
    "id, kind, state, customer_id, created_at, updated_at, expires_at, version, finished_at";

impl Store {
    /// Stores a new flow at version 1.
    pub async fn create_flow(
        &self,
        id: &str,
        kind: &str,
        state: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query(
            "INSERT INTO flows (id, kind, state, created_at, updated_at, expires_at, version) VALUES ($1, $2, $3, $4, $5, $6, 1)",
        )
        .bind(id)
        .bind(kind)
        .bind(state)
        .bind(now.unix_timestamp())
        .bind(now.unix_timestamp())
        .bind(expires_at.unix_timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The flow `id`, read on the caller's thread where the store allows it (SQLite): every
    /// step of every flow starts here.
    pub async fn flow(&self, id: &str) -> Result<Option<FlowRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM flows WHERE id = $1");
        if let Some(found) = self.direct.as_ref().and_then(|d| d.row(&sql, [id], |r| record(r))) {
            return Ok(found);
        }
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(record).transpose()
    }

    /// Saves the next state if the flow is still at `version`; returns false (and changes
    /// nothing) when another step got there first.
    pub async fn advance_flow(
        &self,
        id: &str,
        version: i64,
        state: &str,
        customer_id: Option<i64>,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let moved =
            tx.advance_flow(id, version, state, customer_id, now, expires_at, false).await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Deletes flows that expired before `before` and never finished, with their challenges.
    pub async fn purge_expired_flows(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "DELETE FROM challenges WHERE flow_id IN (SELECT id FROM flows WHERE finished_at IS NULL AND expires_at < $1)",
        )
        .bind(before.unix_timestamp())
        .execute(&mut *tx.inner)
        .await?;
        let done = sqlx::query("DELETE FROM flows WHERE finished_at IS NULL AND expires_at < $1")
            .bind(before.unix_timestamp())
            .execute(&mut *tx.inner)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

impl Tx {
    /// As [`Store::advance_flow`], inside a transaction; `finish` marks the flow finished.
    #[allow(clippy::too_many_arguments)]
    pub async fn advance_flow(
        &mut self,
        id: &str,
        version: i64,
        state: &str,
        customer_id: Option<i64>,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
        finish: bool,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE flows SET state = $1, customer_id = COALESCE($2, customer_id), updated_at = $3, expires_at = $4,
                 version = version + 1, finished_at = CASE WHEN $5 THEN $6 ELSE finished_at END
             WHERE id = $7 AND version = $8 AND finished_at IS NULL",
        )
        .bind(state)
        .bind(customer_id)
        .bind(now.unix_timestamp())
        .bind(expires_at.unix_timestamp())
        .bind(finish)
        .bind(now.unix_timestamp())
        .bind(id)
        .bind(version)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    crate::store_test!(async fn a_step_is_taken_once(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        s.create_flow("f1", "issue", "{}", now, now + Duration::minutes(10)).await.expect("create");
        assert!(s
            .advance_flow("f1", 1, "{\"a\":1}", None, now, now + Duration::minutes(10))
            .await
            .expect("step"));
        // The same step again (replay) finds version 2 and does nothing.
        assert!(!s.advance_flow("f1", 1, "{\"a\":9}", None, now, now).await.expect("replay"));
        let f = s.flow("f1").await.expect("read").expect("exists");
        assert_eq!((f.version, f.state.as_str(), f.customer_id), (2, "{\"a\":1}", None));

        let mut tx = s.begin().await.expect("tx");
        assert!(tx.advance_flow("f1", 2, "{}", None, now, now, true).await.expect("finish"));
        tx.commit().await.expect("commit");
        assert!(!s.advance_flow("f1", 3, "{}", None, now, now).await.expect("after finish"));
        assert!(s.flow("f1").await.expect("read").expect("exists").finished_at.is_some());

        s.create_flow("f2", "issue", "{}", now, now - Duration::minutes(1)).await.expect("create");
        assert_eq!(s.purge_expired_flows(now).await.expect("purge"), 1);
        assert!(s.flow("f2").await.expect("read").is_none());
        assert!(s.flow("f1").await.expect("read").is_some());
    });
}
