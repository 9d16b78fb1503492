//! The RA's CPU work for a certificate (the CSR's signature checked, the certificate built and
//! signed) on threads of its own, one per core.
//!
//! A signature is long CPU work that tokio cannot preempt: run in a request's task it holds its
//! worker thread, and every task queued there waits — among them the group commit's, once per
//! round trip to the database. The kernel preempts these threads, so the commit goes on while
//! certificates are signed.
//!
//! They are not tokio's blocking pool: that pool wakes an idle thread for every job, and a
//! thread that finished one goes back to sleep before the next is handed to it, so every
//! certificate cost two thread wake-ups. Here the jobs wait in one queue and a signer takes the
//! next as soon as it is done with the last; under load the signers never sleep.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use dojang_ra::{IssueRequest, Prepared, RaError, RegistrationAuthority};
use time::OffsetDateTime;
use tokio::sync::oneshot;

struct Job {
    request: IssueRequest<'static>,
    now: OffsetDateTime,
    reply: oneshot::Sender<Result<Prepared, RaError>>,
}

/// Why a certificate could not be prepared.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SignError {
    #[error(transparent)]
    Refused(#[from] RaError),
    /// The signers are gone (the center is stopping) or one failed inside the RA.
    #[error("the signing threads stopped before answering")]
    Stopped,
}

/// The queue of certificates to prepare, and the threads preparing them. Dropped, it closes the
/// queue and waits for the threads to end.
pub(crate) struct Signers {
    /// `None` once closed.
    queue: Mutex<Option<Sender<Job>>>,
    /// Set when closing: jobs still queued then are dropped, not signed for callers gone.
    closed: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Signers {
    /// `count` threads preparing certificates with `ra`.
    pub(crate) fn start(ra: Arc<RegistrationAuthority>, count: usize) -> Signers {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let closed = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for n in 0..count.max(1) {
            let (ra, jobs, closed) = (Arc::clone(&ra), Arc::clone(&jobs), Arc::clone(&closed));
            let spawned = std::thread::Builder::new()
                .name(format!("dojang-signer-{n}"))
                .spawn(move || work(&ra, &jobs, &closed));
            match spawned {
                Ok(thread) => threads.push(thread),
                // Fewer threads only means slower signing; with none, callers hear `Stopped`.
                Err(e) => tracing::error!(error = %e, "a signing thread could not be started"),
            }
        }
        Signers { queue: Mutex::new(Some(queue)), closed, threads }
    }

    /// Prepares the certificate `request` asks for, on a signing thread.
    pub(crate) async fn prepare(
        &self,
        request: IssueRequest<'static>,
        now: OffsetDateTime,
    ) -> Result<Prepared, SignError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| SignError::Stopped)?
            .as_ref()
            .ok_or(SignError::Stopped)?
            .send(Job { request, now, reply })
            .map_err(|_| SignError::Stopped)?;
        Ok(answer.await.map_err(|_| SignError::Stopped)??)
    }
}

impl Drop for Signers {
    /// The threads hold the RA, and through it the CA's keys: an HSM key's session is closed
    /// when the last one lets go. Left running, a thread could do that while the process exits
    /// and the PKCS#11 library is being torn down (SoftHSM crashed so in `dojang ca issue`), so
    /// the center is not gone until they are.
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
        drop(self.queue.lock().unwrap_or_else(PoisonError::into_inner).take());
        for thread in self.threads.drain(..) {
            // A thread that panicked has nothing left to release.
            let _ = thread.join();
        }
    }
}

fn work(ra: &RegistrationAuthority, jobs: &Mutex<Receiver<Job>>, closed: &AtomicBool) {
    loop {
        // One thread waits on the queue, the others on the lock; whoever holds it takes the
        // next job and lets go before working on it.
        let next = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(_) => return,
        };
        let Ok(Job { request, now, reply }) = next else { return };
        if closed.load(Ordering::Acquire) {
            // Closing: the caller is gone with the center (it hears `Stopped` if not).
            continue;
        }
        // A panic inside the RA drops this job's reply (its caller hears `Stopped`), not the
        // thread: the others' certificates are still signed.
        if let Ok(result) = catch_unwind(AssertUnwindSafe(|| ra.prepare(&request, now))) {
            // A caller that went away needs no answer.
            let _ = reply.send(result);
        }
    }
}
