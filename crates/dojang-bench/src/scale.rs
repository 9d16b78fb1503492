//! The store at size against the empty store: the same server, the same measurements, once
//! with one certificate and once with a million (a hundred thousand of them revoked), loaded
//! by the store's bulk insert — a data set, not issuance.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use der::Decode;
use dojang_pki::{RevocationReason, Serial};
use dojang_server::Center;
use dojang_store::NewCertificate;

use crate::load::{self, Generator, LoadResult, LoadSpec};
use crate::report::{Reference, Row};
use crate::run::{ocsp_load, Options};
use crate::server::{self, Server};
use crate::{customers, ocsp, progress, raw};

/// Rows and notes of the scale phase.
pub struct AtSize {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

/// What one sample of a store saw.
struct Sample {
    crl: Duration,
    crl_entries: usize,
    crl_bytes: usize,
    ocsp: LoadResult,
    rss_kib: u64,
    peak_kib: u64,
}

const BATCH: usize = 10_000;

/// How many certificates the OCSP load at each size asks about.
const ASKED: usize = 1_000;

pub fn measure(
    runtime: &tokio::runtime::Runtime,
    opts: &Options,
    dir: &Path,
) -> anyhow::Result<AtSize> {
    let base = server::configure(dir, server::free_port()?, server::CaKey::Rsa2048)?;
    let center = runtime.block_on(customers::open_center(dir))?;
    let csrs = raw::csrs(&center, 1)?;
    let issue = || runtime.block_on(center.ra.issue(raw::request(&csrs[0]), center.now()));
    // The template of the data set's bytes.
    let asked = issue()?;
    // OCSP asks about ASKED serials in turn (answers are kept per certificate): in the empty
    // store, serials never issued; at size, serials spread over the whole data set.
    let requests = |serials: &[Serial]| {
        serials
            .iter()
            .map(|s| ocsp::request(center.ca.issuing_der(), &s.to_hex()))
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let mut rng = rand::thread_rng();
    let unknown: Vec<Serial> = (0..ASKED).map(|_| Serial::random(&mut rng)).collect();
    let empty = sample(runtime, opts, dir, &base, &center, requests(&unknown)?, &issue)?;

    // The data set: certificates of real size (a real certificate's bytes), random serials.
    let now = center.now();
    let bar = progress::counted("bulk insert", opts.certificates, "certificates");
    let started = Instant::now();
    let mut revoke: Vec<Serial> = Vec::new();
    let mut left = opts.certificates;
    let every = (opts.certificates / ASKED as u64).max(1);
    let mut spread: Vec<Serial> = Vec::with_capacity(ASKED);
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(BATCH).min(BATCH);
        let batch: Vec<NewCertificate> = (0..n)
            .map(|_| NewCertificate {
                serial: Serial::random(&mut rng),
                product: "personal-bank".into(),
                subject: asked.subject.clone(),
                not_before: asked.not_before,
                not_after: asked.not_after,
                issued_at: now,
                der: asked.der.clone(),
                customer_id: None,
            })
            .collect();
        let done = opts.certificates - left;
        spread.extend(
            batch
                .iter()
                .enumerate()
                .filter(|(i, _)| (done + *i as u64).is_multiple_of(every))
                .map(|(_, c)| c.serial.clone())
                .take(ASKED - spread.len()),
        );
        let want = usize::try_from(opts.revoked).unwrap_or(usize::MAX);
        revoke
            .extend(batch.iter().take(want.saturating_sub(revoke.len())).map(|c| c.serial.clone()));
        runtime.block_on(center.store.bulk_insert_certificates(&batch))?;
        bar.inc(n as u64);
        left -= n as u64;
    }
    let insert_secs = started.elapsed().as_secs_f64();
    bar.finish();
    let bar = progress::counted("bulk revoke", revoke.len() as u64, "revocations");
    for chunk in revoke.chunks(BATCH) {
        runtime.block_on(center.store.bulk_revoke(chunk, RevocationReason::KeyCompromise, now))?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    let db_bytes = std::fs::metadata(center.config.database_path()).map(|m| m.len()).unwrap_or(0);

    // An empty data set (`--certificates 0`) is asked about what the empty store was.
    let at_size = if spread.is_empty() { &unknown } else { &spread };
    let big = sample(runtime, opts, dir, &base, &center, requests(at_size)?, &issue)?;

    let vs_empty = |value: f64| Reference { what: "empty store".into(), value, target: None };
    let label = format!("{} certificates, {} revoked", opts.certificates, opts.revoked);
    let row = |what: String, value: f64, at_empty: f64, unit: &'static str| Row {
        section: "scale",
        what,
        value,
        unit,
        reference: Some(vs_empty(at_empty)),
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let rows = vec![
        row(
            format!("CRL generation at {label} ({} entries)", big.crl_entries),
            ms(big.crl),
            ms(empty.crl),
            "ms",
        ),
        row(format!("OCSP p99 latency at {label}"), big.ocsp.p99_ms, empty.ocsp.p99_ms, "ms"),
        row(
            format!("OCSP responses/s at {label}"),
            big.ocsp.per_second,
            empty.ocsp.per_second,
            "req/s",
        ),
        row(
            format!("server peak resident memory at {label} (after CRL and OCSP load)"),
            mib(big.peak_kib),
            mib(empty.peak_kib),
            "MiB",
        ),
    ];
    let mut notes = vec![
        format!(
            "bulk insert: {} certificates in {insert_secs:.1} s ({:.0}/s, 10,000 per transaction); database {:.0} MiB",
            opts.certificates,
            opts.certificates as f64 / insert_secs.max(1e-9),
            db_bytes as f64 / 1048576.0
        ),
        format!(
            "CRL at size: {} entries, {:.1} MiB DER; at empty: {} entries, {} bytes",
            big.crl_entries,
            big.crl_bytes as f64 / 1048576.0,
            empty.crl_entries,
            empty.crl_bytes
        ),
        format!(
            "server resident memory after the measurements: {:.0} MiB at size, {:.0} MiB empty",
            big.rss_kib as f64 / 1024.0,
            empty.rss_kib as f64 / 1024.0
        ),
    ];
    for (name, s) in [("empty", &empty), ("at size", &big)] {
        if s.ocsp.errors > 0 {
            notes.push(format!(
                "OCSP {name}: {} errors, first: {}",
                s.ocsp.errors,
                s.ocsp.first_error.clone().unwrap_or_default()
            ));
        }
    }
    Ok(AtSize { rows, notes })
}

/// A fresh server on the store as it is: its CRL rebuilt after one more revocation (timed),
/// OCSP under load, its memory.
fn sample(
    runtime: &tokio::runtime::Runtime,
    opts: &Options,
    dir: &Path,
    base: &str,
    center: &Center,
    requests: Vec<Vec<u8>>,
    issue: &dyn Fn() -> Result<dojang_ra::Issued, dojang_ra::RaError>,
) -> anyhow::Result<Sample> {
    let serve = Server::start(&opts.exe, dir, base)?;
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(600)).build();
    let crl_url = format!("{base}/crl/issuing.crl");
    let fetch = || -> anyhow::Result<Vec<u8>> {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut agent.get(&crl_url).call()?.into_reader(), &mut body)?;
        Ok(body)
    };
    // The CRL the server makes at start, out of the way first.
    let bar = progress::step("CRL (server start)");
    fetch()?;
    bar.finish();
    // One more revocation from outside: the next fetch must build a new CRL.
    let gone = issue()?;
    runtime.block_on(center.ra.revoke(&gone.serial, RevocationReason::Superseded, center.now()))?;
    let bar = progress::step("CRL generation");
    let t0 = Instant::now();
    let crl = fetch()?;
    let crl_time = t0.elapsed();
    bar.finish_with_message(format!("{:.0} ms", crl_time.as_secs_f64() * 1000.0));
    let parsed =
        x509_cert::crl::CertificateList::from_der(&crl).context("the CRL the server made")?;
    let crl_entries = parsed.tbs_cert_list.revoked_certificates.map_or(0, |v| v.len());
    let spec = LoadSpec {
        url: format!("{base}/ocsp"),
        bodies: requests,
        connections: opts.connections,
        duration: opts.duration,
        close: false,
    };
    let generator = if load::wrk_installed() { Generator::Wrk } else { Generator::Ours };
    let ocsp = ocsp_load(generator, opts, dir, "OCSP at this size", &spec)?;
    Ok(Sample {
        crl: crl_time,
        crl_entries,
        crl_bytes: crl.len(),
        ocsp,
        rss_kib: serve.rss_kib().unwrap_or(0),
        peak_kib: serve.peak_rss_kib().unwrap_or(0),
    })
}
