//! The center's scheduled jobs, run once across replicas.
//!
//! Two rounds run on timers in every `dojang serve`: the CRL refresh (both CRLs rebuilt on
//! schedule even when no one fetches them) and housekeeping (expiry reminders, automatic
//! renewal of financial certificates, clearing dead flows, login challenges and copies). With
//! several replicas on one database each round runs only on the replica holding its lease in
//! the store ([`Store::take_lease`](dojang_store::Store::take_lease)); the holder renews it each
//! round and gives it up when it stops, and if it dies another replica takes over once the lease
//! has run out. `dojang_job_lease_held{job}` in `/metrics` says which replica holds what.
//!
//! A third round runs on every replica, under no lease: the check of the OCSP signer in the CA
//! files the replica has (its own copy, or a directory shared with others, where the first to
//! check replaces it and the others take it up). Inside the signer's last 30 days it is
//! replaced while the server runs, as at start-up; `dojang_ocsp_signer_expires_seconds` says
//! how long the one in use has left.

use std::sync::Arc;

use dojang_ca::{CaError, CrlScope, SignerCheck};
use time::Duration;
use tokio::task::JoinHandle;

use crate::center::Center;

/// How often housekeeping runs; reminders and automatic renewal every sixth round (hourly).
const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// How often each replica checks its OCSP signer. Replacement starts 30 days before the end, so
/// daily would do; hourly retries a failed replacement (a full disk, an HSM away) soon.
const SIGNER_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// A lease lives this many rounds: a holder that missed one round (a slow database) keeps it,
/// one that stopped hands it on after this long.
const LEASE_ROUNDS: i32 = 3;

/// The running jobs of one replica.
pub(crate) struct Jobs {
    center: Arc<Center>,
    holder: String,
    tasks: Vec<JoinHandle<()>>,
}

impl Jobs {
    /// Starts both rounds; each runs only while this replica holds its lease.
    pub(crate) fn start(center: Arc<Center>) -> Jobs {
        let holder = replica_name();
        tracing::info!(replica = %holder, "scheduled jobs start (each runs on the replica holding its lease)");
        let crl_every = center.crl.policy().refresh.min(Duration::minutes(5));
        let crl_every = std::time::Duration::from_secs(crl_every.whole_seconds().max(1) as u64);
        let tasks = vec![
            tokio::spawn(refresh_crls(
                center.clone(),
                Lease::new(CRL_REFRESH, &holder, crl_every),
                crl_every,
            )),
            tokio::spawn(housekeeping(
                center.clone(),
                Lease::new(HOUSEKEEPING, &holder, HOUSEKEEPING_EVERY),
            )),
            tokio::spawn(keep_ocsp_signer(center.clone())),
        ];
        Jobs { center, holder, tasks }
    }

    /// Stops the rounds and gives the leases up, so another replica takes them at once.
    pub(crate) async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        for job in [CRL_REFRESH, HOUSEKEEPING] {
            if let Err(e) = self.center.store.release_lease(job, &self.holder).await {
                tracing::warn!(error = %e, job, "giving up a job lease failed; it runs out by itself");
            }
        }
    }
}

const CRL_REFRESH: &str = "crl-refresh";
const HOUSEKEEPING: &str = "housekeeping";

/// This replica's name in the lease table: host, process and a random tag (two processes on
/// one host, or a restarted one, are never the same holder).
fn replica_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}

/// One job's lease as this replica sees it.
struct Lease {
    job: &'static str,
    holder: String,
    life: Duration,
    held: bool,
}

impl Lease {
    fn new(job: &'static str, holder: &str, round: std::time::Duration) -> Lease {
        let round = Duration::try_from(round).unwrap_or(Duration::minutes(10));
        metrics::gauge!("dojang_job_lease_held", "job" => job).set(0.0);
        Lease { job, holder: holder.to_string(), life: round * LEASE_ROUNDS, held: false }
    }

    /// Takes or renews the lease; whether this replica runs the job this round.
    async fn hold(&mut self, center: &Center) -> bool {
        let held =
            match center.store.take_lease(self.job, &self.holder, center.now(), self.life).await {
                Ok(held) => held,
                Err(e) => {
                    // Without the database no job could run anyway; try again next round.
                    tracing::error!(error = %e, job = self.job, "taking a job lease failed");
                    false
                }
            };
        if held != self.held {
            if held {
                tracing::info!(job = self.job, replica = %self.holder, "this replica now runs the job");
            } else {
                tracing::info!(job = self.job, "another replica runs the job now");
            }
            metrics::gauge!("dojang_job_lease_held", "job" => self.job).set(if held {
                1.0
            } else {
                0.0
            });
        }
        self.held = held;
        held
    }
}

/// Keeps both CRLs fresh: rebuilt on schedule even when no one fetches them.
async fn refresh_crls(center: Arc<Center>, mut lease: Lease, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if !lease.hold(&center).await {
            continue;
        }
        for scope in [CrlScope::Issuing, CrlScope::Root] {
            if let Err(e) = center.crl.current(scope, center.now()).await {
                tracing::error!(error = %e, ?scope, "scheduled CRL refresh failed");
            }
        }
    }
}

/// Checks the OCSP signer every hour, on every replica.
async fn keep_ocsp_signer(center: Arc<Center>) {
    let mut tick = tokio::time::interval(SIGNER_CHECK_EVERY);
    loop {
        tick.tick().await;
        // Logged, audited and counted inside; the next round is the retry.
        let _ = check_ocsp_signer(&center, center.now()).await;
    }
}

/// Replaces the OCSP signer if it is inside its last 30 days at `now`; what happened is logged,
/// audited and in `/metrics`. A failure leaves the old signer answering, and is tried again at
/// the next check.
pub(crate) async fn check_ocsp_signer(
    center: &Center,
    now: time::OffsetDateTime,
) -> Result<SignerCheck, CaError> {
    let checked = center.maintain_ca(now).await;
    let left = center.ca.ocsp_signer_not_after() - now;
    metrics::gauge!("dojang_ocsp_signer_expires_seconds").set(left.whole_seconds() as f64);
    match checked {
        Ok(SignerCheck::Current) => Ok(SignerCheck::Current),
        Ok(how) => {
            let what = match how {
                SignerCheck::Adopted => "the OCSP signer another process made",
                _ => "a new OCSP signer",
            };
            tracing::info!(days_left = left.whole_days(), "{what} signs OCSP answers from now on");
            center.audit_ocsp_signer(how, false, now).await;
            Ok(how)
        }
        Err(e) => {
            tracing::error!(
                error = %e,
                days_left = left.whole_days(),
                "replacing the OCSP signer failed; the old one signs until it ends (tried again in an hour)"
            );
            Err(e)
        }
    }
}

/// Sends the expiry reminders due (hourly), renews the financial certificates whose holders
/// asked for it, and clears flows, login challenges and copies left past their life.
async fn housekeeping(center: Arc<Center>, mut lease: Lease) {
    let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
    let mut rounds: u64 = 0;
    loop {
        tick.tick().await;
        if !lease.hold(&center).await {
            continue;
        }
        let now = center.now();
        // Hourly, and on the first round this replica holds the lease.
        if rounds.is_multiple_of(6) {
            let bank = format!("{}은행", center.config.ca.organization);
            match dojang_flows::reminders::send_due(
                &center.store,
                center.outside.as_ref(),
                &center.config.catalog,
                &bank,
                now,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "expiry reminders sent"),
                Err(e) => tracing::error!(error = %e, "expiry reminders failed"),
            }
            // Financial certificates whose holders turned automatic renewal on, inside the
            // last 30 days.
            match dojang_flows::financial::renew::renew_due(&center.flows, now).await {
                Ok(v) if v.is_empty() => {}
                Ok(v) => {
                    tracing::info!(count = v.len(), "financial certificates renewed automatically")
                }
                Err(e) => tracing::error!(error = %e, "automatic renewal failed"),
            }
        }
        // Flows idle for a day past their expiry are of no use to anyone.
        if let Err(e) = center.store.purge_expired_flows(now - Duration::days(1)).await {
            tracing::error!(error = %e, "purging expired flows failed");
        }
        if let Err(e) = center.store.purge_cert_login(now - Duration::days(1)).await {
            tracing::error!(error = %e, "purging expired login challenges and sessions failed");
        }
        // Group commit's marks of processes long gone (one row per process that wrote).
        if let Err(e) =
            center.store.prune_commit_marks(std::time::Duration::from_secs(86_400)).await
        {
            tracing::error!(error = %e, "pruning old commit marks failed");
        }
        // Certificate copies past their life lose their messages at once (인증서 복사).
        if let Err(e) = center.store.purge_transfers(now).await {
            tracing::error!(error = %e, "purging expired certificate copies failed");
        }
        rounds += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A server that runs past its OCSP signer's renewal date replaces the signer in its hourly
    // check, with no restart: the answers from then on are signed by the new one, the files
    // hold it, and the audit log says so.
    #[tokio::test]
    async fn the_hourly_check_replaces_the_ocsp_signer_in_its_last_month() {
        let dir = tempfile::tempdir().expect("tempdir");
        let center = crate::routes::web::tests::center(dir.path()).await;
        let now = center.now();
        let first = center.ca.ocsp_responder_key_hash();
        assert_eq!(check_ocsp_signer(&center, now).await.expect("check"), SignerCheck::Current);

        let later = now + Duration::days(340);
        assert_eq!(check_ocsp_signer(&center, later).await.expect("check"), SignerCheck::Renewed);
        let renewed = center.ca.ocsp_responder_key_hash();
        assert_ne!(renewed, first);
        assert_eq!(check_ocsp_signer(&center, later).await.expect("check"), SignerCheck::Current);

        let pass = dojang_ca::Passphrase::new("web route tests".into());
        let on_disk = dojang_ca::CertificateAuthority::load(
            &center.config.ca_dir(),
            &dojang_ca::KeyHome::files(&pass),
        )
        .expect("load");
        assert_eq!(on_disk.ocsp_responder_key_hash(), renewed, "the files hold the new signer");

        let audit = center.store.audit_entries(0, 100).await.expect("audit");
        let signer: Vec<_> = audit.iter().filter(|e| e.action == "ca.ocsp_signer").collect();
        assert_eq!(signer.len(), 1, "{audit:?}");
        assert!(signer[0].detail.contains("\"renewed\""), "{}", signer[0].detail);
    }
}
