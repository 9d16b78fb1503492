//! Load test: a real `dojang serve` under sustained mixed traffic on loopback — whole issue
//! flows, certificate logins and OCSP queries at once, from several clients — for a fixed time
//! (`DOJANG_LOAD_SECONDS`, 15 by default; longer runs by setting it). Every request must
//! succeed, and the server's resident memory (sampled from /proc) must stay under a bound and
//! not keep growing. No timing is asserted: how fast is the benchmark's business
//! (`dojang bench`), not the test suite's.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dojang_bench::customers::Customer;
use dojang_bench::flow::Session;
use dojang_bench::{ocsp, server};
use dojang_client::KeyPair;
use dojang_pki::KeyType;
use support::{enrol, TestCenter};

/// Resident memory the server must stay under, whatever the length of the run.
const RSS_LIMIT_KIB: u64 = 512 * 1024;
/// No client loop runs more often than this, however fast the server answers.
const MAX_ITERATIONS: u64 = 1_000_000;

fn key() -> KeyPair {
    KeyPair::generate(KeyType::Rsa2048).expect("key pair")
}

#[test]
fn mixed_traffic_for_a_fixed_time_has_no_errors_and_bounded_memory() {
    let seconds: u64 =
        std::env::var("DOJANG_LOAD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(15);
    let c = TestCenter::started();
    let pid = c.pid().expect("the server runs");
    let issuers: Vec<Customer> = (1..=2).map(|n| enrol(&c, n, &[])).collect();
    let holder = enrol(&c, 3, &[]);

    // One certificate to log in with and ask OCSP about, issued before the clock starts.
    let mut login_session = Session::new(&c.base, holder, key()).expect("session");
    let held = login_session.issue().expect("the first certificate");
    let issuing = c.get("/ca/issuing.crt");
    let request = ocsp::request(&issuing, &held.serial).expect("OCSP request");

    let stop = Arc::new(AtomicBool::new(false));
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let (issued, logins, answers) =
        (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let fail = |errors: &Arc<Mutex<Vec<String>>>, what: &str, e: String| {
        if let Ok(mut v) = errors.lock() {
            v.push(format!("{what}: {e}"));
        }
    };
    let mut clients = Vec::new();
    for cust in issuers {
        let (stop, errors, issued, base) =
            (stop.clone(), errors.clone(), issued.clone(), c.base.clone());
        clients.push(std::thread::spawn(move || {
            let mut s = Session::new(&base, cust, key()).expect("session");
            for _ in 0..MAX_ITERATIONS {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match s.issue() {
                    Ok(_) => issued.fetch_add(1, Ordering::Relaxed),
                    Err(e) => return fail(&errors, "issue flow", format!("{e:#}")),
                };
            }
        }));
    }
    {
        let (stop, errors, logins) = (stop.clone(), errors.clone(), logins.clone());
        let held = held.clone();
        clients.push(std::thread::spawn(move || {
            for _ in 0..MAX_ITERATIONS {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match login_session.login(&held) {
                    Ok(()) => logins.fetch_add(1, Ordering::Relaxed),
                    Err(e) => return fail(&errors, "login", format!("{e:#}")),
                };
            }
        }));
    }
    for _ in 0..2 {
        let (stop, errors, answers) = (stop.clone(), errors.clone(), answers.clone());
        let (request, url) = (request.clone(), format!("{}/ocsp", c.base));
        clients.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
            for _ in 0..MAX_ITERATIONS {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match ocsp::ask(&agent, &url, &request) {
                    Ok(ocsp::Status::Good) => answers.fetch_add(1, Ordering::Relaxed),
                    Ok(other) => return fail(&errors, "OCSP", format!("answered {other:?}")),
                    Err(e) => return fail(&errors, "OCSP", format!("{e:#}")),
                };
            }
        }));
    }

    // The server's memory, twice a second, for the whole run.
    let mut rss: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        rss.push(server::proc_status(pid, "VmRSS:").expect("the server is alive"));
        std::thread::sleep(Duration::from_millis(500));
        if errors.lock().map(|v| !v.is_empty()).unwrap_or(true) {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in clients {
        t.join().expect("a client thread panicked");
    }

    let errors = errors.lock().expect("errors").clone();
    assert!(errors.is_empty(), "requests failed under load:\n{}", errors.join("\n"));
    let (issued, logins, answers) = (
        issued.load(Ordering::Relaxed),
        logins.load(Ordering::Relaxed),
        answers.load(Ordering::Relaxed),
    );
    assert!(
        issued > 0 && logins > 0 && answers > 0,
        "{issued} issued, {logins} logins, {answers} OCSP"
    );
    let peak = rss.iter().copied().max().unwrap_or(0);
    assert!(peak < RSS_LIMIT_KIB, "the server grew to {peak} KiB under load");
    // Not growing without limit: the second half of the run peaks no more than a little above
    // the first half (allocator arenas and caches settle early; a leak keeps climbing).
    let (first, second) = rss.split_at(rss.len() / 2);
    let (first, second) =
        (first.iter().copied().max().unwrap_or(0), second.iter().copied().max().unwrap_or(0));
    assert!(
        second <= first + first / 2 + 32 * 1024,
        "memory kept growing: first half peaked at {first} KiB, second half at {second} KiB"
    );
    // The certificates are really there: the store counts them.
    let (certificates, _, _) = c.store_counts();
    assert!(certificates as u64 > issued, "{certificates} rows for {issued} issued");
    // The course of the memory, in ten steps, for a long run's reader.
    let course: Vec<String> = rss
        .chunks(rss.len().div_ceil(10).max(1))
        .map(|c| c[0].div_ceil(1024).to_string())
        .collect();
    eprintln!(
        "load: {seconds} s, {issued} certificates issued, {logins} logins, {answers} OCSP answers; server RSS {} to {} KiB (MiB along the run: {})",
        rss.first().copied().unwrap_or(0),
        peak,
        course.join(" → ")
    );
}
