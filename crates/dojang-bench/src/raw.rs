//! Issuance without HTTP: the registration authority's whole path — CSR parsed and its
//! signature verified, subject and key judged, TBS laid out, signed by the CA, committed
//! durably to the store — on every core, as fast as it goes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use dojang_client::{csr, KeyPair};
use dojang_pki::KeyType;
use dojang_profile::subject::Holder;
use dojang_profile::ProductId;
use dojang_ra::IssueRequest;
use dojang_server::Center;

/// `count` CSRs (PEM) for personal-bank subjects, each with its own RSA-2048 key.
pub fn csrs(center: &Center, count: usize) -> anyhow::Result<Vec<String>> {
    let product = center.config.catalog.get(ProductId::PersonalBank);
    let rules = center.config.subject_rules();
    (0..count)
        .map(|i| {
            let key = KeyPair::generate(KeyType::Rsa2048)?;
            let holder = Holder { name: "홍길동".into(), number: format!("001{i:020}") };
            let name = rules.subject_for(product, &holder).context("the subject")?;
            Ok(csr::to_pem(&csr::build(name, &key)?)?)
        })
        .collect()
}

/// The operator's request for a personal-bank certificate from `csr` (as `dojang ca issue`).
pub fn request(csr: &str) -> IssueRequest<'_> {
    IssueRequest {
        csr: csr.as_bytes().into(),
        product: ProductId::PersonalBank,
        not_after: None,
        subject_alt_name: None,
        required_subject: None,
        customer_id: None,
    }
}

/// Issues from `csrs` round-robin on `tasks` tasks for `duration`; returns how many
/// certificates were stored and in how many seconds.
pub async fn issue_for(
    center: Arc<Center>,
    csrs: Arc<Vec<String>>,
    tasks: usize,
    duration: Duration,
    counter: Arc<AtomicU64>,
) -> anyhow::Result<(u64, f64)> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut handles = Vec::new();
    for t in 0..tasks.max(1) {
        let (center, csrs, counter) = (center.clone(), csrs.clone(), counter.clone());
        handles.push(tokio::spawn(async move {
            let mut i = t;
            while Instant::now() < deadline {
                center.ra.issue(request(&csrs[i % csrs.len()]), center.now()).await?;
                counter.fetch_add(1, Ordering::Relaxed);
                i += tasks;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await.context("an issuing task")??;
    }
    Ok((counter.load(Ordering::Relaxed), start.elapsed().as_secs_f64()))
}

/// The CPU part of the same path — CSR checked, certificate signed — without the store, on
/// `threads` threads for `duration`: what issuance would do if a commit cost nothing.
pub fn prepare_for(
    center: &Center,
    csrs: &[String],
    threads: usize,
    duration: Duration,
    counter: Arc<AtomicU64>,
) -> anyhow::Result<(u64, f64)> {
    let start = Instant::now();
    let deadline = start + duration;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let counter = counter.clone();
                scope.spawn(move || -> anyhow::Result<()> {
                    let mut i = t;
                    while Instant::now() < deadline {
                        center.ra.prepare(&request(&csrs[i % csrs.len()]), center.now())?;
                        counter.fetch_add(1, Ordering::Relaxed);
                        i += threads;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| anyhow::anyhow!("a signing thread panicked"))??;
        }
        Ok(())
    })?;
    Ok((counter.load(Ordering::Relaxed), start.elapsed().as_secs_f64()))
}

/// Durable writes per second in `dir`: 4 KiB appended and `fdatasync`ed, one after another —
/// the ceiling one commit per certificate would have (group commit shares one among many).
pub fn fsync_rate(dir: &std::path::Path, duration: Duration) -> anyhow::Result<f64> {
    use std::io::Write as _;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).context("the fsync probe file")?;
    let block = [0u8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        f.write_all(&block)?;
        f.sync_data()?;
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(n as f64 / secs)
}
