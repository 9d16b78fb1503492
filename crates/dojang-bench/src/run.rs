//! The whole bench, phase by phase.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use der::EncodePem;
use dojang_client::KeyPair;
use dojang_pki::{KeyType, RevocationReason};
use dojang_server::Center;

use crate::customers::{self, Customer};
use crate::flow::{Held, Session};
use crate::load::{self, Generator, LoadResult, LoadSpec};
use crate::openssl::{self, IndexEntry};
use crate::report::{Reference, Report, Row};
use crate::server::{self, CaKey, Server};
use crate::{csr_step, ocsp, progress, raw, scale};

/// How big and how long.
#[derive(Clone, Debug)]
pub struct Options {
    /// The `dojang` binary: it serves, and it is the load process.
    pub exe: PathBuf,
    /// Where bench.txt, bench.json and bench.png go.
    pub out: PathBuf,
    /// Each timed measurement.
    pub duration: Duration,
    /// `openssl speed -seconds`.
    pub openssl_seconds: u32,
    pub cores: usize,
    /// Customers driving flows and logins at once.
    pub clients: usize,
    /// Connections of the OCSP load.
    pub connections: usize,
    /// Tasks issuing in-process at once: the requests a busy center has in hand together,
    /// which group commit lets share a commit.
    pub issuers: usize,
    /// Issue flows run up to their CSR step (untimed) for each CA's HTTP issuance row; their
    /// CSRs are then submitted by `issuers` clients at once. 0 leaves those rows out.
    pub csr_flows: usize,
    /// Certificates in the store at size, and how many of them revoked (the CRL).
    pub certificates: u64,
    pub revoked: u64,
    /// Keep the data directories (under `out/work`).
    pub keep: bool,
}

impl Options {
    /// Full sizes: a million certificates, a hundred thousand revoked.
    pub fn full(exe: PathBuf, out: PathBuf) -> Options {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Options {
            exe,
            out,
            duration: Duration::from_secs(15),
            openssl_seconds: 3,
            cores,
            clients: cores * 4,
            connections: cores * 8,
            issuers: cores * 64,
            csr_flows: 3_000,
            certificates: 1_000_000,
            revoked: 100_000,
            keep: false,
        }
    }

    /// A quick run: the same phases, small and short.
    pub fn quick(exe: PathBuf, out: PathBuf) -> Options {
        Options {
            duration: Duration::from_secs(3),
            openssl_seconds: 1,
            csr_flows: 400,
            certificates: 10_000,
            revoked: 1_000,
            ..Options::full(exe, out)
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Runs every phase and writes the report into `opts.out`.
pub fn run(opts: &Options) -> anyhow::Result<Report> {
    let work_dir = opts.out.join("work");
    if work_dir.exists() {
        std::fs::remove_dir_all(&work_dir).context("clearing the previous work directory")?;
    }
    std::fs::create_dir_all(&work_dir).context("creating the work directory")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.cores.max(1))
        .enable_all()
        .build()
        .context("the async runtime")?;
    let openssl_version = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "not found".into());
    let mut report = Report {
        conditions: vec![
            ("cores".into(), opts.cores.to_string()),
            ("load average at start".into(), load_average()),
            ("openssl".into(), openssl_version),
            ("each timed run".into(), seconds(opts.duration)),
            ("clients (flows, logins)".into(), opts.clients.to_string()),
            ("OCSP load connections".into(), opts.connections.to_string()),
            (
                "requests in hand at once (in-process issuer tasks; HTTP CSR clients)".into(),
                opts.issuers.to_string(),
            ),
            ("issue flows prepared to the CSR step, per CA".into(), opts.csr_flows.to_string()),
            (
                "OCSP load generator".into(),
                format!(
                    "dojang bench ocsp-load (a process of its own) for every comparison; wrk {}",
                    if load::wrk_installed() {
                        "for dojang's capacity and the store at size"
                    } else {
                        "not installed (scripts/bench installs it)"
                    }
                ),
            ),
            (
                "store at size".into(),
                format!("{} certificates, {} revoked", opts.certificates, opts.revoked),
            ),
        ],
        ..Report::default()
    };

    // --- Issuance in-process (RA + CA + durable store), RSA and P-256 CAs, each CA's two rows
    // between two readings of OpenSSL's raw signing rate on all cores (their reference).
    let rsa_dir = work_dir.join("center-rsa");
    let base = server::configure(&rsa_dir, server::free_port()?, CaKey::Rsa2048)?;
    let center = Arc::new(runtime.block_on(customers::open_center(&rsa_dir))?);
    let bar = progress::step("CSRs for in-process issue");
    let csrs = Arc::new(raw::csrs(&center, 16)?);
    bar.finish_with_message("16 RSA-2048 keys and CSRs");
    // The in-process rows are the breakdown of the HTTP rows: they go below them in the table.
    let rsa_rows = in_process_rows(
        &runtime,
        opts,
        "RSA-2048 CA",
        "rsa2048",
        &center,
        &csrs,
        &mut report.notes,
    )?;
    let fsyncs = raw::fsync_rate(&rsa_dir, Duration::from_secs(1))?;
    report.notes.push(format!(
        "the data directory's disk takes {fsyncs:.0} durable writes per second (4 KiB + fdatasync, one after another): one commit per certificate could go no faster; group commit shares one commit among the certificates issued together"
    ));
    let p256_dir = work_dir.join("center-p256");
    let p256_base = server::configure(&p256_dir, server::free_port()?, CaKey::P256)?;
    let p256_center = Arc::new(runtime.block_on(customers::open_center(&p256_dir))?);
    let p256_rows = in_process_rows(
        &runtime,
        opts,
        "P-256 CA",
        "ecdsap256",
        &p256_center,
        &csrs,
        &mut report.notes,
    )?;

    // --- The real HTTP API: enrol customers, start `dojang serve`, drive issue flows.
    let bar = progress::step("enrolling customers");
    let people = runtime.block_on(customers::enrol(&center, 0, opts.clients as u32))?;
    let p256_people = if opts.csr_flows > 0 {
        runtime.block_on(customers::enrol(&p256_center, 0, opts.clients as u32))?
    } else {
        Vec::new()
    };
    drop(p256_center);
    bar.finish_with_message(format!("{} customers with security cards", people.len()));
    let serve = Server::start(&opts.exe, &rsa_dir, &base)?;
    let rss_before = serve.rss_kib().unwrap_or(0);

    // --- Issuance over HTTP: the issue flow's CSR step, for each CA. Both centers' flows are
    // prepared at once (two servers, two stores), then each center's CSRs are timed alone.
    if opts.csr_flows > 0 {
        let p256_serve = Server::start(&opts.exe, &p256_dir, &p256_base)?;
        let [rsa_http, p256_http] = csr_rows(
            opts,
            [
                ("RSA-2048 CA", &base, &people, "rsa2048"),
                ("P-256 CA", &p256_serve.base, &p256_people, "ecdsap256"),
            ],
            &mut report.notes,
        )?;
        drop(p256_serve);
        report.rows.push(rsa_http);
        report.rows.extend(rsa_rows);
        report.rows.push(p256_http);
    } else {
        report.rows.extend(rsa_rows);
    }
    report.rows.extend(p256_rows);

    let (flows, held) = issue_flows(opts, &base, &people)?;
    report.rows.push(Row {
        section: "flow",
        what: "whole issue flows completed per second over HTTP, identity checks included (12 requests: terms, identify, product, ARS, payment, security card, confirm, CSR)".into(),
        value: flows,
        unit: "flows/s",
        reference: None,
    });
    let logins = login_rate(opts, &base, &held)?;
    report.rows.push(Row {
        section: "login",
        what: "certificate login verified (challenge, signature, chain, status, VID, session)"
            .into(),
        value: logins,
        unit: "logins/s",
        reference: None,
    });

    // --- OCSP against OpenSSL's responder.
    // The load asks about every certificate the flows issued, in turn, not about one: answers
    // kept while the store is unchanged are kept per certificate.
    let requests = held
        .iter()
        .map(|(_, h)| ocsp::request(center.ca.issuing_der(), &h.serial))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = requests.first().context("no certificate was issued")?;
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
    let ours = format!("{base}/ocsp");
    anyhow::ensure!(
        ocsp::ask(&agent, &ours, request)? == ocsp::Status::Good,
        "dojang does not answer good for a fresh certificate"
    );
    let spec = |url: &str, close: bool| LoadSpec {
        url: url.to_string(),
        bodies: requests.clone(),
        connections: opts.connections,
        duration: opts.duration,
        close,
    };
    let ours_load = |label: &str, close: bool| {
        ocsp_load(Generator::Ours, opts, &work_dir, label, &spec(&ours, close))
    };
    let keep_alive = ours_load("OCSP dojang keep-alive", false)?;
    let per_connection = ours_load("OCSP dojang conn/request", true)?;
    let with_wrk = if load::wrk_installed() {
        Some(ocsp_load(Generator::Wrk, opts, &work_dir, "OCSP dojang (wrk)", &spec(&ours, false))?)
    } else {
        None
    };
    let revocation_seen = revocation_is_next(&runtime, &center, &agent, &ours, &held)?;
    let reference = openssl_ocsp(opts, &runtime, &work_dir, &center, &held, &spec, 1)?;
    let multi = openssl_ocsp(opts, &runtime, &work_dir, &center, &held, &spec, opts.cores)?;
    let ocsp_ref = |target| Reference {
        what: "openssl ocsp, one process, a connection per request".to_string(),
        value: reference.per_second,
        target,
    };
    report.rows.push(Row {
        section: "ocsp",
        what: "responses/s, keep-alive connections (status read live, signature reused while it is unchanged)".into(),
        value: keep_alive.per_second,
        unit: "req/s",
        reference: Some(ocsp_ref(Some(20.0))),
    });
    report.rows.push(Row {
        section: "ocsp",
        what: "responses/s, a connection per request (as OpenSSL's responder needs)".into(),
        value: per_connection.per_second,
        unit: "req/s",
        reference: Some(ocsp_ref(Some(20.0))),
    });
    if let Some(w) = &with_wrk {
        report.rows.push(Row {
            section: "ocsp",
            what: "responses/s, keep-alive, load from wrk (less client CPU; OpenSSL's figure stays our client's: wrk cannot read its answers)".into(),
            value: w.per_second,
            unit: "req/s",
            reference: Some(ocsp_ref(Some(20.0))),
        });
        if w.errors > 0 {
            report.notes.push(format!("OCSP wrk: {}", w.first_error.clone().unwrap_or_default()));
        }
    }
    report.rows.push(Row {
        section: "ocsp",
        what: "p99 latency under that load, keep-alive".into(),
        value: keep_alive.p99_ms,
        unit: "ms",
        reference: Some(Reference {
            what: "openssl ocsp p99".into(),
            value: reference.p99_ms,
            target: None,
        }),
    });
    report.rows.push(Row {
        section: "ocsp",
        what: format!(
            "responses/s, keep-alive, against openssl ocsp -multi {} (information)",
            opts.cores
        ),
        value: keep_alive.per_second,
        unit: "req/s",
        reference: Some(Reference {
            what: format!("openssl ocsp -multi {}, a connection per request", opts.cores),
            value: multi.per_second,
            target: None,
        }),
    });
    for (name, r) in [
        ("keep-alive", &keep_alive),
        ("per connection", &per_connection),
        ("openssl", &reference),
        ("openssl -multi", &multi),
    ] {
        if r.errors > 0 {
            report.notes.push(format!(
                "OCSP {name}: {} errors, first: {}",
                r.errors,
                r.first_error.clone().unwrap_or_default()
            ));
        }
    }
    report.notes.push(format!(
        "a revocation committed by another process was in the very next OCSP answer: {}",
        if revocation_seen { "yes" } else { "NO" }
    ));
    let rss_after = serve.rss_kib().unwrap_or(0);
    report.notes.push(format!(
        "dojang serve resident memory: {:.0} MiB at start, {:.0} MiB after flows, logins and OCSP load (peak {:.0} MiB)",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        serve.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
    ));
    drop(serve);
    drop(center);

    // --- Scale: the store at size against the empty store.
    let at_size = scale::measure(&runtime, opts, &work_dir.join("center-scale"))?;
    report.rows.extend(at_size.rows);
    report.notes.extend(at_size.notes);

    report.conditions.push(("load average at end".into(), load_average()));
    report.write(&opts.out)?;
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&work_dir);
    }
    Ok(report)
}

/// One CA's in-process rows (durably stored, then its CPU part alone), between two readings of
/// `openssl speed` with `algorithm`: both rows are compared with the higher reading.
fn in_process_rows(
    runtime: &tokio::runtime::Runtime,
    opts: &Options,
    label: &str,
    algorithm: &str,
    center: &Arc<Center>,
    csrs: &Arc<Vec<String>>,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    let (speed, rows) = openssl::speed_around(algorithm, opts.openssl_seconds, opts.cores, || {
        Ok(vec![
            raw_row(runtime, opts, label, center.clone(), csrs.clone())?,
            sign_row(opts, label, center, csrs)?,
        ])
    })?;
    let reference = Reference {
        target: None,
        ..bracketed_reference(opts, algorithm, &speed, &format!("{label} in-process rows"), notes)
    };
    Ok(rows.into_iter().map(|row| Row { reference: Some(reference.clone()), ..row }).collect())
}

/// The CPU part alone (checked and signed, not stored), as information beside [`raw_row`].
fn sign_row(opts: &Options, label: &str, center: &Center, csrs: &[String]) -> anyhow::Result<Row> {
    let counter = Arc::new(AtomicU64::new(0));
    let bar =
        progress::timed(&format!("sign only, {label}"), opts.duration, counter.clone(), "certs");
    let (n, secs) = raw::prepare_for(center, csrs, opts.cores, opts.duration, counter)?;
    let _ = bar.join();
    Ok(Row {
        section: "issuance",
        what: format!("{label}: CSR checked and certificate signed, not stored (the CPU part of the row above)"),
        value: n as f64 / secs,
        unit: "certs/s",
        reference: None,
    })
}

/// Issuance over HTTP, one row per center: issue flows run to their CSR step on every center
/// at once (untimed, every identity check real), then each center's CSRs submitted by
/// `opts.issuers` clients as fast as it answers, one center after the other.
fn csr_rows(
    opts: &Options,
    centers: [(&str, &str, &[Customer], &str); 2],
    notes: &mut Vec<String>,
) -> anyhow::Result<[Row; 2]> {
    let per_center = opts.csr_flows + opts.issuers;
    let bar = progress::counted("flows to their CSR step", 2 * per_center as u64, "flows");
    let prepared = std::thread::scope(|scope| {
        let preparing = centers.each_ref().map(|(_, base, people, _)| {
            let bar = &bar;
            // One flow more per client, for the warm-up of `csr_step::submit`.
            scope.spawn(move || csr_step::prepare(base, people, per_center, bar))
        });
        preparing.map(|p| p.join().map_err(|_| anyhow::anyhow!("a preparation panicked"))?)
    });
    bar.finish();
    let mut rows = Vec::new();
    for ((label, base, _, algorithm), prepared) in centers.into_iter().zip(prepared) {
        let prepared = prepared?;
        notes.push(prepared.note(&format!("flow preparation, {label}")));
        let label_http = format!("CSR step over HTTP, {label}");
        let (speed, submitted) =
            openssl::speed_around(algorithm, opts.openssl_seconds, opts.cores, || {
                csr_step::submit(base, &prepared.flows, opts.issuers, opts.duration, &label_http)
            })?;
        let reference =
            bracketed_reference(opts, algorithm, &speed, &format!("{label} HTTP row"), notes);
        notes.push(format!(
            "{label} over HTTP: {} certificates stored and returned in {:.2} s by {} clients (each answer read as a certificate), after one untimed CSR step per client as a warm-up",
            submitted.issued, submitted.secs, opts.issuers
        ));
        rows.push(Row {
            section: "issuance",
            what: format!("{label}: CSR → durably stored certificate over HTTP (the issue flow's CSR step; flows prepared to it with every identity check, untimed)"),
            value: submitted.per_second(),
            unit: "certs/s",
            reference: Some(reference),
        });
    }
    rows.try_into().map_err(|_| anyhow::anyhow!("one row per center"))
}

/// The reference of issuance rows timed between the two readings in `speed`: OpenSSL's signing
/// rate with `algorithm` on every core, the higher reading (target: 70 % of it). Both readings
/// go into `notes`, naming the `rows` compared with them.
fn bracketed_reference(
    opts: &Options,
    algorithm: &str,
    speed: &openssl::Bracket,
    rows: &str,
    notes: &mut Vec<String>,
) -> Reference {
    notes.push(format!(
        "openssl speed {algorithm} just before and just after the {rows}: {:.0} and {:.0} sign/s (compared with the higher)",
        speed.before.sign_per_s, speed.after.sign_per_s
    ));
    Reference {
        what: format!(
            "openssl speed {algorithm}, sign/s on {} cores, the higher of just before and just after",
            opts.cores
        ),
        value: speed.sign_per_s(),
        target: Some(0.7),
    }
}

/// Issuance in process, durably stored: the RA, the CA's signature and SQLite's group commit,
/// without HTTP or the flow.
fn raw_row(
    runtime: &tokio::runtime::Runtime,
    opts: &Options,
    label: &str,
    center: Arc<Center>,
    csrs: Arc<Vec<String>>,
) -> anyhow::Result<Row> {
    let counter = Arc::new(AtomicU64::new(0));
    let bar = progress::timed(
        &format!("issue in-process, {label}"),
        opts.duration,
        counter.clone(),
        "certs",
    );
    let (n, secs) =
        runtime.block_on(raw::issue_for(center, csrs, opts.issuers, opts.duration, counter))?;
    let _ = bar.join();
    Ok(Row {
        section: "issuance",
        what: format!("{label}: CSR → durably stored certificate, in-process (RA checks, CA signature, SQLite group commit; no HTTP: what the HTTP row's issuance costs without it)"),
        value: n as f64 / secs,
        unit: "certs/s",
        reference: None,
    })
}

/// Every client runs whole issue flows for the duration. Returns flows/s and one certificate
/// per client (with its session, for the logins).
fn issue_flows(
    opts: &Options,
    base: &str,
    people: &[Customer],
) -> anyhow::Result<(f64, Vec<(Session, Held)>)> {
    let counter = Arc::new(AtomicU64::new(0));
    let bar =
        progress::timed("issue flows over HTTP", opts.duration, counter.clone(), "certificates");
    let start = Instant::now();
    let deadline = start + opts.duration;
    let workers: Vec<_> = people
        .iter()
        .cloned()
        .map(|c| {
            let (base, counter) = (base.to_string(), counter.clone());
            std::thread::spawn(move || -> anyhow::Result<(Session, Held)> {
                let mut s = Session::new(&base, c, KeyPair::generate(KeyType::Rsa2048)?)?;
                let mut last = s.issue()?;
                counter.fetch_add(1, Ordering::Relaxed);
                while Instant::now() < deadline {
                    last = s.issue()?;
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok((s, last))
            })
        })
        .collect();
    let mut held = Vec::new();
    for w in workers {
        held.push(w.join().map_err(|_| anyhow::anyhow!("a flow client panicked"))??);
    }
    let secs = start.elapsed().as_secs_f64();
    let _ = bar.join();
    Ok((counter.load(Ordering::Relaxed) as f64 / secs, held))
}

fn login_rate(opts: &Options, _base: &str, held: &[(Session, Held)]) -> anyhow::Result<f64> {
    let counter = Arc::new(AtomicU64::new(0));
    let bar = progress::timed("certificate logins", opts.duration, counter.clone(), "logins");
    let start = Instant::now();
    let deadline = start + opts.duration;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = held
            .iter()
            .map(|(s, h)| {
                let counter = counter.clone();
                scope.spawn(move || -> anyhow::Result<()> {
                    while Instant::now() < deadline {
                        s.login(h)?;
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| anyhow::anyhow!("a login client panicked"))??;
        }
        Ok(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    let _ = bar.join();
    Ok(counter.load(Ordering::Relaxed) as f64 / secs)
}

/// OCSP load from a process of its own, with a bar counting nothing (the counts are there).
pub(crate) fn ocsp_load(
    generator: Generator,
    opts: &Options,
    work: &Path,
    label: &str,
    spec: &LoadSpec,
) -> anyhow::Result<LoadResult> {
    let bar = progress::timed(label, opts.duration, Arc::new(AtomicU64::new(0)), "(load process)");
    let result = load::run_in_process_of_its_own(generator, &opts.exe, work, spec);
    let _ = bar.join();
    result
}

/// Revokes a certificate the way `dojang ca revoke` does (another process than the server)
/// and asks at once: the very next answer must say revoked.
fn revocation_is_next(
    runtime: &tokio::runtime::Runtime,
    center: &Center,
    agent: &ureq::Agent,
    url: &str,
    held: &[(Session, Held)],
) -> anyhow::Result<bool> {
    let (_, last) = held.last().context("no certificate")?;
    let serial = last.serial.parse().context("the serial")?;
    let request = ocsp::request(center.ca.issuing_der(), &last.serial)?;
    let before = ocsp::ask(agent, url, &request)?;
    runtime.block_on(center.ra.revoke(&serial, RevocationReason::KeyCompromise, center.now()))?;
    let after = ocsp::ask(agent, url, &request)?;
    Ok(before == ocsp::Status::Good && after == ocsp::Status::Revoked)
}

/// OpenSSL's responder for the same CA, signing with the same delegated OCSP key, knowing the
/// certificates the flows issued; measured with the same load, a connection per request.
fn openssl_ocsp(
    opts: &Options,
    runtime: &tokio::runtime::Runtime,
    work: &Path,
    center: &Center,
    held: &[(Session, Held)],
    spec: &dyn Fn(&str, bool) -> LoadSpec,
    processes: usize,
) -> anyhow::Result<LoadResult> {
    let dir = work.join(format!("openssl-ocsp-{processes}"));
    std::fs::create_dir_all(&dir)?;
    let pem = |der: &[u8]| -> anyhow::Result<String> {
        use der::Decode;
        Ok(x509_cert::Certificate::from_der(der)?.to_pem(der::pem::LineEnding::LF)?)
    };
    let issuing = dir.join("issuing.pem");
    std::fs::write(&issuing, pem(center.ca.issuing_der())?)?;
    // The delegated signer's certificate and key (decrypted for OpenSSL, which reads PBES2
    // PKCS#8 with the passphrase), both from the CA directory while no process replaces them:
    // a pair that belongs together even if the signer is renewed meanwhile.
    let signer = dir.join("ocsp.pem");
    let signer_key = dir.join("ocsp-key.pem");
    let passphrase = center.config.ca_passphrase(&dojang_config::ProcessEnv)?;
    let ca_dir = center.config.ca_dir();
    let out = dojang_ca::authority::with_ca_files_steady(&ca_dir, || {
        std::fs::copy(ca_dir.join("ocsp.crt"), &signer)?;
        std::process::Command::new("openssl")
            .args(["pkey", "-in"])
            .arg(ca_dir.join("ocsp.key"))
            .args(["-passin", "env:DOJANG_BENCH_PASS", "-out"])
            .arg(&signer_key)
            .env("DOJANG_BENCH_PASS", passphrase.secret.as_str())
            .output()
    })??;
    anyhow::ensure!(
        out.status.success(),
        "openssl could not open the OCSP key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut entries = Vec::new();
    for (_, h) in held {
        let record = runtime
            .block_on(center.store.certificate(&h.serial.parse()?))?
            .context("a held certificate is not in the store")?;
        entries.push(IndexEntry {
            serial: h.serial.clone(),
            not_after: openssl_time(record.not_after),
            revoked: record.revocation.map(|r| (openssl_time(r.at), "keyCompromise")),
            subject: "/C=KR/O=dojang/CN=bench".into(),
        });
    }
    let port = server::free_port()?;
    let responder = openssl::OcspResponder::start(
        &dir,
        &openssl::index_text(&entries),
        &issuing,
        &signer,
        &signer_key,
        port,
        processes,
    )?;
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
    let probe = spec(&responder.url, true);
    // With -multi on a busy machine the workers may take longer than the pause in `start` to
    // accept: the first request is retried for a few seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let first = probe.bodies.first().context("no request to probe with")?;
        match ocsp::ask(&agent, &responder.url, first) {
            Ok(status) => break status,
            Err(_) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(e.context("openssl ocsp does not answer")),
        }
    };
    anyhow::ensure!(
        status == ocsp::Status::Good,
        "openssl ocsp answers {status:?} for a good certificate"
    );
    let result =
        ocsp_load(Generator::Ours, opts, work, &format!("OCSP openssl x{processes}"), &probe);
    drop(responder);
    let _ = std::fs::remove_file(&signer_key);
    result
}

/// `YYMMDDHHMMSSZ`, as OpenSSL's index has it.
fn openssl_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
