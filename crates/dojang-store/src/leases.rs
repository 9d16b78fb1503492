//! Job leases: which replica runs the center's scheduled jobs (작업 임대).
//!
//! Several `dojang serve` replicas share one database; each would run the CRL refresh and the
//! housekeeping round on its own timer. A lease makes them run once: a replica runs a job only
//! while it holds the job's lease, renews it every round, and another replica takes it over only
//! after it has run out — so a replica that dies hands its jobs on within one lease's life.

use time::{Duration, OffsetDateTime};

use crate::error::StoreError;
use crate::rows::unix;
use crate::store::Store;

impl Store {
    /// Takes the lease on `job` for `holder` until `now + life`, or renews it when `holder`
    /// already has it. `false` when another holder's lease has not run out.
    pub async fn take_lease(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        life: Duration,
    ) -> Result<bool, StoreError> {
        // One statement, so two replicas racing for a free lease cannot both win it.
        let _turn = self.turn().await?;
        let taken = sqlx::query(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4",
        )
        .bind(job)
        .bind(holder)
        .bind(unix(now + life))
        .bind(unix(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Gives the lease up (a replica stopping), so another takes it at its next round.
    pub async fn release_lease(&self, job: &str, holder: &str) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
            .bind(job)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Who holds the lease on `job` and until when, if anyone has taken it.
    pub async fn lease_holder(
        &self,
        job: &str,
    ) -> Result<Option<(String, OffsetDateTime)>, StoreError> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT holder, expires_at FROM job_leases WHERE job = $1")
                .bind(job)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(h, at)| Ok((h, crate::rows::time_of(at)?))).transpose()
    }
}
