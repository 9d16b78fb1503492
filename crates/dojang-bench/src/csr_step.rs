//! Issuance over the real HTTP API: the issue flow's CSR step (`POST /api/v1/flows/{id}/csr`),
//! the only HTTP path from a CSR to a stored certificate. Flows are first run up to that step
//! with every identity check real (untimed: those checks are the flow's row, not issuance's);
//! then their CSRs are submitted as fast as the center answers, each answer read as a
//! certificate.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use dojang_client::{Client, KeyPair};
use dojang_pki::KeyType;
use indicatif::ProgressBar;

use crate::customers::Customer;
use crate::flow::{self, Prepared, Session, StepTimes};
use crate::progress;

/// Flows waiting at their CSR step, and what preparing them took.
pub struct Preparation {
    pub flows: Vec<Prepared>,
    pub elapsed: Duration,
    pub clients: usize,
    /// Per step, summed over every client.
    pub times: StepTimes,
}

impl Preparation {
    /// One line for the report's notes: the rate and where the time went.
    pub fn note(&self, center: &str) -> String {
        let secs = self.elapsed.as_secs_f64();
        format!(
            "{center}: {} issue flows run to their CSR step in {secs:.1} s ({:.1} flows/s, {} clients; untimed), per step as the client waited for it: {}",
            self.flows.len(),
            self.flows.len() as f64 / secs.max(f64::EPSILON),
            self.clients,
            self.times.summary()
        )
    }
}

/// Runs `count` issue flows at `base` up to their CSR step, one client per customer in
/// `people` at once (each customer's flows one after another, so that each one-time code read
/// from the phone is that flow's), each with its RSA-2048 key pair; `bar` counts them.
pub fn prepare(
    base: &str,
    people: &[Customer],
    count: usize,
    bar: &ProgressBar,
) -> anyhow::Result<Preparation> {
    let tickets = AtomicUsize::new(0);
    let times = Mutex::new(StepTimes::default());
    let start = Instant::now();
    let flows = std::thread::scope(|scope| -> anyhow::Result<Vec<Prepared>> {
        let workers: Vec<_> = people
            .iter()
            .map(|c| {
                let (tickets, times) = (&tickets, &times);
                scope.spawn(move || -> anyhow::Result<Vec<Prepared>> {
                    let mut s =
                        Session::new(base, c.clone(), KeyPair::generate(KeyType::Rsa2048)?)?;
                    let mut mine = Vec::new();
                    while tickets.fetch_add(1, Ordering::Relaxed) < count {
                        mine.push(s.prepare(flow::PRODUCT).with_context(|| {
                            format!("preparing an issue flow for {}", c.banking_id)
                        })?);
                        bar.inc(1);
                    }
                    times.lock().map_err(|_| anyhow::anyhow!("step times"))?.merge(&s.times);
                    Ok(mine)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(count);
        for w in workers {
            all.extend(w.join().map_err(|_| anyhow::anyhow!("a preparing client panicked"))??);
        }
        Ok(all)
    })?;
    let elapsed = start.elapsed();
    let times = times.into_inner().map_err(|_| anyhow::anyhow!("step times"))?;
    Ok(Preparation { flows, elapsed, clients: people.len(), times })
}

/// Submits the prepared CSRs from `threads` clients (blocking HTTP, a keep-alive connection
/// each) as fast as the center answers, until they are all used or `limit` has passed.
/// Each client first submits one untimed (the warm-up: its connection open, the center's
/// threads and memory in place, as in a center that has been answering for a while), then the
/// clock starts. Returns the certificates received in the timed part and its seconds, from the
/// first request to the last answer.
pub fn submit(
    base: &str,
    flows: &[Prepared],
    threads: usize,
    limit: Duration,
    label: &str,
) -> anyhow::Result<(u64, f64)> {
    let bar = progress::counted(label, flows.len() as u64, "certs");
    let issued = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let ready = Barrier::new(threads + 1);
    let mut start = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (next, ready, issued, bar) = (&next, &ready, &issued, &bar);
                scope.spawn(move || -> anyhow::Result<()> {
                    let client = Client::new(base);
                    let warm = match (&client, flows.get(next.fetch_add(1, Ordering::Relaxed))) {
                        (Ok(client), Some(p)) => flow::submit_csr(client, p)
                            .map(drop)
                            .with_context(|| format!("the warm-up CSR step of flow {}", p.flow)),
                        _ => Ok(()),
                    };
                    ready.wait();
                    let client = client?;
                    warm?;
                    let deadline = Instant::now() + limit;
                    loop {
                        let Some(p) = flows.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            return Ok(());
                        };
                        if Instant::now() >= deadline {
                            return Ok(());
                        }
                        flow::submit_csr(&client, p)
                            .with_context(|| format!("the CSR step of flow {}", p.flow))?;
                        issued.fetch_add(1, Ordering::Relaxed);
                        bar.inc(1);
                    }
                })
            })
            .collect();
        ready.wait();
        start = Instant::now();
        for w in workers {
            w.join().map_err(|_| anyhow::anyhow!("a CSR client panicked"))??;
        }
        Ok(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    bar.finish();
    Ok((issued.load(Ordering::Relaxed), secs))
}
