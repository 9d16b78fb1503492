//! Status reads that arrive together share one query. OCSP asks the store for one serial's
//! status per request, thousands of times a second, and a read through the pool costs far more
//! than the lookup itself (a connection taken and given back, a hop to the database's thread
//! and back). So the serials asked for at the same moment are read by one
//! `SELECT … WHERE serial IN (…)`.
//!
//! On SQLite a read is first tried on the caller's own thread ([`crate::direct_reads`]); the
//! queue below serves PostgreSQL and whatever that path cannot answer.
//!
//! Freshness is kept: a read joins only a query not yet sent, so every answer was read after
//! it was asked for — a revocation committed by any process (another replica, `dojang ca
//! revoke`) before the request arrived is in its answer, exactly as with a query of its own.
//! Nothing is kept between these queries (the direct path keeps answers only while the
//! database provably has not changed: see [`crate::wal_stamp`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use dojang_pki::Serial;
use sqlx::Row;
use tokio::sync::oneshot;

use crate::certificates::status_of;
use crate::error::StoreError;
use crate::record::StatusOf;
use crate::store::Store;

/// Queries in flight at once: a lone request is never kept waiting behind another's query,
/// and under load the waiting reads gather into the next one.
const MAX_IN_FLIGHT: usize = 2;

/// At most this many serials in one query.
const MAX_SERIALS: usize = 64;

type Reply = oneshot::Sender<Result<StatusOf, StoreError>>;

#[derive(Default)]
pub(crate) struct StatusReads {
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<(String, Reply)>,
    in_flight: usize,
}

impl fmt::Debug for StatusReads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = self.lock();
        f.debug_struct("StatusReads")
            .field("waiting", &q.waiting.len())
            .field("in_flight", &q.in_flight)
            .finish()
    }
}

impl StatusReads {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a read; true when the caller must start a reading task.
    fn enqueue(&self, serial: String, reply: Reply) -> bool {
        let mut q = self.lock();
        q.waiting.push((serial, reply));
        let start = q.in_flight < MAX_IN_FLIGHT;
        if start {
            q.in_flight += 1;
        }
        start
    }

    fn next_batch(&self) -> Option<Vec<(String, Reply)>> {
        let mut q = self.lock();
        if q.waiting.is_empty() {
            q.in_flight -= 1;
            return None;
        }
        let take = q.waiting.len().min(MAX_SERIALS);
        let rest = q.waiting.split_off(take);
        Some(std::mem::replace(&mut q.waiting, rest))
    }
}

impl Store {
    /// The status of `serial`: what an OCSP answer needs, as the database stands after this call
    /// began — read then, or an answer read earlier while the database has provably not changed
    /// since — so that a revocation committed by any process is in the very next answer.
    pub async fn status(&self, serial: &Serial) -> Result<StatusOf, StoreError> {
        let hex = serial.to_hex();
        if let Some(status) = self.direct.as_ref().and_then(|d| d.status(&hex)) {
            return Ok(status);
        }
        let (reply, answered) = oneshot::channel();
        if self.status_reads.enqueue(hex, reply) {
            tokio::spawn(read_while_waiting(self.clone()));
        }
        answered.await.map_err(|_| StoreError::Stopped)?
    }
}

async fn read_while_waiting(store: Store) {
    // If this task is dropped half-way (its runtime shutting down), it gives its place back;
    // the last one answers whoever still waits with an error rather than leaving them waiting.
    let mut stopped = Stopped { reads: Arc::clone(&store.status_reads), armed: true };
    while let Some(batch) = store.status_reads.next_batch() {
        let serials: Vec<&str> = batch.iter().map(|(s, _)| s.as_str()).collect();
        match read(&store, &serials).await {
            Ok(found) => {
                for (serial, reply) in batch {
                    let _ =
                        reply.send(Ok(found.get(&serial).copied().unwrap_or(StatusOf::Unknown)));
                }
            }
            // One reply per error: each read again alone, to get its own.
            Err(_) => {
                for (serial, reply) in batch {
                    let alone = read(&store, &[serial.as_str()])
                        .await
                        .map(|found| found.get(&serial).copied().unwrap_or(StatusOf::Unknown));
                    let _ = reply.send(alone);
                }
            }
        }
    }
    stopped.armed = false;
}

struct Stopped {
    reads: Arc<StatusReads>,
    armed: bool,
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if self.armed {
            let mut q = self.reads.lock();
            q.in_flight = q.in_flight.saturating_sub(1);
            if q.in_flight == 0 {
                q.waiting.clear();
            }
        }
    }
}

/// The statuses of `serials` (hex) that were issued here, in one query.
async fn read(store: &Store, serials: &[&str]) -> Result<HashMap<String, StatusOf>, StoreError> {
    let mut distinct: Vec<&str> = serials.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let placeholders: Vec<String> = (1..=distinct.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT serial, revoked_at, revocation_reason FROM certificates WHERE serial IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for s in &distinct {
        query = query.bind(*s);
    }
    let rows = query.fetch_all(&store.pool).await?;
    rows.iter()
        .map(|row| {
            let serial: String = row.try_get("serial")?;
            let status = status_of(row.try_get("revoked_at")?, row.try_get("revocation_reason")?)?;
            Ok((serial, status))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use dojang_pki::RevocationReason;
    use time::OffsetDateTime;

    use crate::group_commit::tests::{cert as certificate, serial};
    use crate::record::{NewCertificate, Revocation};
    use crate::StatusOf;

    fn cert(n: usize) -> NewCertificate {
        certificate(&serial(n))
    }

    // Many reads at once, some asking for the same serial, some for serials never issued:
    // each gets its own serial's status.
    crate::store_test!(async fn reads_arriving_together_each_get_their_own_status(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let certs: Vec<_> = (0..20).map(cert).collect();
        s.bulk_insert_certificates(&certs).await.expect("insert");
        for c in certs.iter().step_by(3) {
            s.revoke(&c.serial, RevocationReason::KeyCompromise, now).await.expect("revoke");
        }
        let reads: Vec<_> = (0..300)
            .map(|i| {
                let s = s.clone();
                let serial = cert(i % 25).serial;
                tokio::spawn(async move { (i % 25, s.status(&serial).await.expect("status")) })
            })
            .collect();
        for r in reads {
            let (n, status) = r.await.expect("task");
            let want = if n >= 20 {
                StatusOf::Unknown
            } else if n % 3 == 0 {
                StatusOf::Revoked(Revocation { at: now, reason: RevocationReason::KeyCompromise })
            } else {
                StatusOf::Good
            };
            assert_eq!(status, want, "serial {n}");
        }
    });

    // A revocation committed while reads keep arriving: every read asked after the commit
    // returned says revoked.
    crate::store_test!(async fn a_read_asked_after_a_revocation_sees_it(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let c = cert(0);
        s.insert_certificate(&c).await.expect("insert");
        // Background load of reads on the same serial, so that queries are in flight.
        let load: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                let serial = c.serial.clone();
                tokio::spawn(async move {
                    for _ in 0..200 {
                        s.status(&serial).await.expect("status");
                    }
                })
            })
            .collect();
        tokio::task::yield_now().await;
        s.revoke(&c.serial, RevocationReason::KeyCompromise, now).await.expect("revoke");
        for _ in 0..50 {
            assert!(matches!(s.status(&c.serial).await.expect("status"), StatusOf::Revoked(_)));
        }
        for l in load {
            l.await.expect("load");
        }
    });
}
