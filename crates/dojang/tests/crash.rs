//! Crash test: `kill -9` the server in the middle of a bounded burst of paid issuance from
//! several clients, start it again on the same data, and check what a bank must be able to
//! promise after a power cut:
//!
//! - every certificate a client received is in the store, OCSP knows it, and once revoked it is
//!   in the next CRL (read by openssl);
//! - every flow that finished has exactly its certificate and its one fee; every flow cut off
//!   left neither a charge nor a certificate (read from the database by Python's sqlite3);
//! - the audit chain still verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dojang_bench::customers::{enrol, open_center, Customer};
use dojang_bench::flow::{Held, Session};
use dojang_client::KeyPair;
use dojang_pki::KeyType;
use support::{ok, text, TestCenter};

/// A paid product (4,400 won a year), so that a charge without a certificate would show.
const PRODUCT: &str = "personal-general";
const CLIENTS: u32 = 4;
/// Each client stops after this many certificates: the burst is bounded even if the kill
/// came late.
const PER_CLIENT: usize = 6;
/// The server is killed once this many certificates have reached the clients.
const KILL_AFTER: usize = 5;

/// What the database says about the customers' flows, fees and certificates.
const PY_LEDGER: &str = r#"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
finished, unfinished = {}, []
for fid, state, done in db.execute("SELECT id, state, finished_at FROM flows WHERE kind = 'issue'"):
    s = json.loads(state)
    serial = (s.get("output") or {}).get("serial")
    if done is not None and serial:
        finished[fid] = serial.upper()
    else:
        unfinished.append(fid)
charges = {}
for fid, amount in db.execute("SELECT flow_id, amount FROM ledger WHERE amount < 0"):
    charges.setdefault(fid, []).append(amount)
certs = sorted(r[0].upper() for r in db.execute("SELECT serial FROM certificates WHERE customer_id IS NOT NULL"))
print(json.dumps({"finished": finished, "unfinished": unfinished, "charges": charges, "certificates": certs}))
"#;

fn key() -> KeyPair {
    KeyPair::generate(KeyType::Rsa2048).expect("key pair")
}

fn enrol_customers(c: &TestCenter) -> Vec<Customer> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let center = open_center(&c.data).await.unwrap();
        enrol(&center, 100, CLIENTS).await.unwrap()
    })
}

fn hex_serial(s: &str) -> String {
    s.trim_start_matches('0').to_uppercase()
}

#[test]
fn a_server_killed_mid_burst_loses_no_certificate_and_leaves_no_half_flow() {
    let mut c = TestCenter::new();
    let customers = enrol_customers(&c);
    c.start();

    let received: Arc<Mutex<Vec<Held>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = customers
        .into_iter()
        .map(|cust| {
            let (received, count, base) = (received.clone(), count.clone(), c.base.clone());
            std::thread::spawn(move || {
                let mut session = Session::new(&base, cust, key()).expect("session");
                for _ in 0..PER_CLIENT {
                    // An error is the kill (or its aftermath): this client stops.
                    match session.issue_product(PRODUCT) {
                        Ok(held) => {
                            received.lock().unwrap().push(held);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(300);
    while count.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(Instant::now() < deadline, "the burst never reached {KILL_AFTER} certificates");
        std::thread::sleep(Duration::from_millis(5));
    }
    c.stop(); // SIGKILL: no shutdown hook runs, whatever was in flight is cut off.
    for t in clients {
        t.join().unwrap();
    }
    let received = received.lock().unwrap().clone();
    assert!(received.len() >= KILL_AFTER);
    assert!(
        received.len() < CLIENTS as usize * PER_CLIENT,
        "the kill came after the burst; nothing was in flight"
    );

    // The database, read without the server: finished flows have their certificate and one
    // fee each; the cut-off ones have neither.
    let db = c.data.join("dojang.sqlite3").display().to_string();
    let facts: serde_json::Value =
        serde_json::from_str(ok("python3", &["-c", PY_LEDGER, &db], c.dir.path()).trim()).unwrap();
    let finished = facts["finished"].as_object().unwrap();
    let certificates: Vec<String> = facts["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| hex_serial(s.as_str().unwrap()))
        .collect();
    let mut from_flows: Vec<String> =
        finished.values().map(|s| hex_serial(s.as_str().unwrap())).collect();
    from_flows.sort();
    let mut stored = certificates.clone();
    stored.sort();
    assert_eq!(stored, from_flows, "every certificate from a finished flow, and only those");
    for (flow, charges) in facts["charges"].as_object().unwrap() {
        assert!(finished.contains_key(flow), "flow {flow} was charged but did not finish");
        assert_eq!(charges.as_array().unwrap().len(), 1, "flow {flow} charged twice");
    }
    for flow in finished.keys() {
        assert!(facts["charges"].get(flow).is_some(), "flow {flow} finished without its fee");
    }
    assert!(
        !facts["unfinished"].as_array().unwrap().is_empty() || stored.len() > received.len(),
        "the kill cut nothing off: {facts}"
    );
    eprintln!(
        "killed with {} certificates received, {} stored, {} flows cut off",
        received.len(),
        stored.len(),
        facts["unfinished"].as_array().map_or(0, Vec::len)
    );
    for held in &received {
        assert!(
            stored.contains(&hex_serial(&held.serial)),
            "certificate {} reached a client but is not stored",
            held.serial
        );
    }

    // Started again on the same data: OCSP knows every certificate a client received.
    c.start();
    let (root, issuing) = c.fetch_chain();
    let mut pems = Vec::new();
    for (i, held) in received.iter().enumerate() {
        let der = c.path(&format!("received-{i}.der"));
        std::fs::write(&der, &held.certificate_der).unwrap();
        let pem = c.p(&format!("received-{i}.pem"));
        ok(
            "openssl",
            &["x509", "-inform", "DER", "-in", &der.display().to_string(), "-out", &pem],
            c.dir.path(),
        );
        let status = ocsp(&c, &root, &issuing, &pem);
        assert!(status.contains(&format!("{pem}: good")), "{status}");
        pems.push(pem);
    }

    // Revoked after the restart: in the next CRL and in OCSP.
    let revoked: Vec<&Held> = received.iter().take(2).collect();
    for held in &revoked {
        let out =
            c.dojang(&["ca", "revoke", "--serial", &held.serial, "--reason", "keyCompromise"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    std::fs::write(c.path("issuing.crl"), c.get("/crl/issuing.crl")).unwrap();
    let crl = ok(
        "openssl",
        &["crl", "-inform", "DER", "-in", &c.p("issuing.crl"), "-noout", "-text"],
        c.dir.path(),
    )
    .to_uppercase()
    .replace([':', ' '], "");
    for held in &revoked {
        assert!(crl.contains(&hex_serial(&held.serial)), "{} not in the CRL", held.serial);
    }
    let status = ocsp(&c, &root, &issuing, &pems[0]);
    assert!(status.contains("revoked"), "{status}");

    // The hash-chained audit log survived the kill intact.
    let out = c.dojang(&["admin", "audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
}

fn ocsp(c: &TestCenter, root: &str, issuing: &str, pem: &str) -> String {
    let out = std::process::Command::new("openssl")
        .args(["ocsp", "-issuer", issuing, "-cert", pem, "-url", &format!("{}/ocsp", c.base)])
        .args(["-CAfile", root])
        .output()
        .unwrap();
    text(&out)
}
