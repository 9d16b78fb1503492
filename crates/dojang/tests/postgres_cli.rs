//! Issue 8, end to end on PostgreSQL: two `dojang serve` replicas sharing one database (the
//! same CA files in two data directories), and the operator's `ca` commands as a third process.
//! A certificate issued through one process is known to both replicas; a revocation is in the
//! very next OCSP answer of each. OpenSSL judges the answers and `psql` reads the rows.
//!
//! Needs `DOJANG_TEST_POSTGRES_URL` (scripts/test sets it; see dojang_store::testing).

mod support;

use dojang_store::testing::TestDatabase;
use support::*;

const SUBJECT_BANK: &str =
    "/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0011234567890123";

/// What an OCSP responder at `base` says of `leaf`.
fn ocsp_at(c: &TestCenter, base: &str, root: &str, issuing: &str, leaf: &str) -> String {
    let url = format!("{base}/ocsp");
    let o = ok(
        "openssl",
        &["ocsp", "-issuer", issuing, "-cert", leaf, "-url", &url, "-CAfile", root],
        c.dir.path(),
    );
    assert!(o.contains("Response verify OK"), "{o}");
    o
}

/// A running `serve`, stopped when dropped (also when an assertion fails half-way).
struct Replica(Option<std::process::Child>);

impl Replica {
    /// Stops it and returns what it printed on standard output.
    fn stop(mut self) -> String {
        let mut child = self.0.take().expect("running");
        let _ = child.kill();
        let out = child.wait_with_output().expect("output");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn psql(url: &str, sql: &str, dir: &std::path::Path) -> String {
    ok("psql", &[url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], dir).trim().to_string()
}

#[test]
fn replicas_on_one_postgres_database_share_certificates_and_see_revocations_at_once() {
    let Some(db) = TestDatabase::create() else { return };
    let url_flag = ["--database-url", db.url.as_str()];
    let db_env = [("DOJANG_DATABASE_URL", db.url.as_str())];

    // Replica A makes the CA on first start; its tables are made in PostgreSQL, no SQLite file.
    let a = TestCenter::new();
    let a_server = Replica(Some(serve_with(&a.data, &a.base, None, &url_flag)));
    assert!(!a.data.join("dojang.sqlite3").exists(), "the store is PostgreSQL, not a file");

    // Replica B: the same CA files and vault in a data directory of its own, another port.
    let b = TestCenter::new();
    for name in ["ca", "vault.key", "DEMO-ONLY-ca-passphrase.txt"] {
        ok("cp", &["-r", &a.data.join(name).display().to_string(), &b.data_arg()], b.dir.path());
    }
    let b_server = Replica(Some(serve_with(&b.data, &b.base, None, &url_flag)));

    // The operator issues through neither server: a third process on the same database.
    let (root, issuing) = a.fetch_chain();
    let csr = a.csr("leaf", "rsa:2048", SUBJECT_BANK);
    let leaf = a.p("leaf.pem");
    let o = a.dojang_env(
        &["ca", "issue", "--csr", &csr, "--product", "personal-bank", "--out", &leaf],
        &[db_env[0], ("DOJANG_HOLDER_RRN", "9001011234567")],
    );
    assert!(o.status.success(), "issue failed: {}", text(&o));
    let serial = line_value(&text(&o), "issued");
    let v =
        ok("openssl", &["verify", "-CAfile", &root, "-untrusted", &issuing, &leaf], a.dir.path());
    assert!(v.contains(": OK"), "{v}");
    assert_eq!(
        psql(&db.url, "SELECT count(*) FROM certificates WHERE revoked_at IS NULL", a.dir.path()),
        "1"
    );

    for base in [&a.base, &b.base] {
        let good = ocsp_at(&a, base, &root, &issuing, &leaf);
        assert!(good.contains(&format!("{leaf}: good")), "{base}: {good}");
    }

    let o =
        a.dojang_env(&["ca", "revoke", "--serial", &serial, "--reason", "keyCompromise"], &db_env);
    assert!(o.status.success(), "revoke failed: {}", text(&o));
    // The very next answer of either replica says revoked.
    for base in [&b.base, &a.base] {
        let revoked = ocsp_at(&a, base, &root, &issuing, &leaf);
        assert!(revoked.contains(&format!("{leaf}: revoked")), "{base}: {revoked}");
        assert!(revoked.contains("Reason: keyCompromise"), "{base}: {revoked}");
    }
    assert_eq!(
        psql(
            &db.url,
            "SELECT revocation_reason || ' ' || generation FROM certificates, status_generation",
            a.dir.path()
        ),
        "1 1",
        "keyCompromise (1), and the status generation moved once"
    );

    // Each replica's CRL, built from the shared rows, lists the serial.
    for base in [&a.base, &b.base] {
        let crl = a.path("issuing.crl");
        let body = ureq::get(&format!("{base}/crl/issuing.crl")).call().expect("CRL");
        let mut der = Vec::new();
        std::io::Read::read_to_end(&mut body.into_reader(), &mut der).expect("CRL body");
        std::fs::write(&crl, der).expect("write CRL");
        let listed = ok(
            "openssl",
            &["crl", "-inform", "DER", "-in", &crl.display().to_string(), "-noout", "-text"],
            a.dir.path(),
        );
        assert!(listed.contains(&format!("Serial Number: {serial}")), "{base}: {listed}");
    }

    drop(b_server);
    let said = a_server.stop();
    assert!(
        said.contains(&format!("{} (PostgreSQL)", db.url)),
        "the banner names the store: {said}"
    );
}

#[test]
fn a_wrong_database_url_is_refused_with_what_to_give_and_no_password() {
    let c = TestCenter::new();
    let o = c.dojang_env(
        &["ca", "show", "--serial", "01"],
        &[("DOJANG_DATABASE_URL", "mysql://root:hunter2@db/center")],
    );
    assert!(!o.status.success());
    let said = text(&o);
    assert!(said.contains("postgres://") && said.contains("sqlite:"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");

    // Something that is no PostgreSQL server (it hangs up at once; a refused connection would
    // be retried for 30 s, as when the database is still starting): the error names the place,
    // not the password.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            drop(conn);
        }
    });
    let url = format!("postgres://dojang:hunter2@127.0.0.1:{port}/center");
    let o = c.dojang_env(&["ca", "show", "--serial", "01"], &[("DOJANG_DATABASE_URL", &url)]);
    assert!(!o.status.success());
    let said = text(&o);
    assert!(said.contains(&format!("127.0.0.1:{port}")), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}
