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

fn psql(url: &str, sql: &str, dir: &std::path::Path) -> String {
    ok("psql", &[url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], dir).trim().to_string()
}

/// Replica A makes the CA on first start (its tables in PostgreSQL, no SQLite file); replica B
/// has the same CA files and vault in a data directory of its own, on another port.
fn two_replicas(url_flag: &[&str]) -> (TestCenter, Serving, TestCenter, Serving) {
    let a = TestCenter::new();
    let a_server = serve_with(&a.data, &a.base, None, url_flag);
    assert!(!a.data.join("dojang.sqlite3").exists(), "the store is PostgreSQL, not a file");
    let b = TestCenter::new();
    for name in ["ca", "vault.key", "DEMO-ONLY-ca-passphrase.txt"] {
        ok("cp", &["-r", &a.data.join(name).display().to_string(), &b.data_arg()], b.dir.path());
    }
    let b_server = serve_with(&b.data, &b.base, None, url_flag);
    (a, a_server, b, b_server)
}

#[test]
fn replicas_on_one_postgres_database_share_certificates_and_see_revocations_at_once() {
    let Some(db) = TestDatabase::create() else { return };
    let url_flag = ["--database-url", db.url.as_str()];
    let db_env = [("DOJANG_DATABASE_URL", db.url.as_str())];

    let (a, a_server, b, b_server) = two_replicas(&url_flag);

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
    drop(a_server);
    let said = a.printed();
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

/// The value of `family{job="JOB"}` in a Prometheus text page, if there.
fn lease_gauge(metrics: &str, job: &str) -> Option<f64> {
    let key = format!("dojang_job_lease_held{{job=\"{job}\"}}");
    metrics.lines().find_map(|l| l.strip_prefix(&key)).and_then(|v| v.trim().parse().ok())
}

#[test]
fn both_replicas_issue_at_once_without_a_duplicate_and_jobs_run_on_one() {
    let Some(db) = TestDatabase::create() else { return };
    let url_flag = ["--database-url", db.url.as_str()];
    let db_env = [("DOJANG_DATABASE_URL", db.url.as_str())];
    let (a, a_server, b, b_server) = two_replicas(&url_flag);
    let (a_base, b_base) = (a.base.clone(), b.base.clone());

    // Four customers; each runs a bounded number of whole paid issue flows (범용, a fee each) at once with the
    // others: two against A, two against B, one of each pair sending every other step of its
    // flows to the other replica (a flow started on one replica continues on the other).
    const FLOWS_EACH: usize = 2;
    let customers: Vec<_> = (1..=4).map(|n| enrol(&a, n, &db_env)).collect();
    let mut clients = Vec::new();
    for (i, cust) in customers.into_iter().enumerate() {
        let bases: Vec<String> = match i {
            0 => vec![a_base.clone()],
            1 => vec![a_base.clone(), b_base.clone()],
            2 => vec![b_base.clone()],
            _ => vec![b_base.clone(), a_base.clone()],
        };
        clients.push(std::thread::spawn(move || {
            let bases: Vec<&str> = bases.iter().map(String::as_str).collect();
            let key = dojang_client::KeyPair::generate(dojang_pki::KeyType::Rsa2048).expect("key");
            let mut s = dojang_bench::flow::Session::across(&bases, cust, key).expect("session");
            (0..FLOWS_EACH)
                .map(|_| s.issue_product("personal-general").map(|h| h.serial))
                .collect::<Result<Vec<_>, _>>()
        }));
    }
    let mut serials = std::collections::BTreeSet::new();
    for c in clients {
        for serial in c.join().expect("client thread").expect("every flow issues") {
            assert!(serials.insert(serial.clone()), "serial {serial} handed out twice");
        }
    }
    assert_eq!(serials.len(), 4 * FLOWS_EACH);
    let stored =
        psql(&db.url, "SELECT count(*), count(DISTINCT serial) FROM certificates", a.dir.path());
    assert_eq!(stored, format!("{0}|{0}", 4 * FLOWS_EACH), "every certificate once");
    for serial in &serials {
        let n = psql(
            &db.url,
            &format!("SELECT count(*) FROM certificates WHERE serial = '{serial}'"),
            a.dir.path(),
        );
        assert_eq!(n, "1", "{serial} is stored");
    }
    // One fee per certificate, none twice.
    let fees = psql(
        &db.url,
        "SELECT count(*), count(DISTINCT flow_id) FROM ledger WHERE amount < 0",
        a.dir.path(),
    );
    assert_eq!(fees, format!("{0}|{0}", 4 * FLOWS_EACH), "one fee per flow");

    // The scheduled jobs run on one replica: each lease is held by exactly one of them.
    let page = |base: &str| {
        let body = ureq::get(&format!("{base}/metrics")).call().expect("metrics");
        body.into_string().expect("metrics text")
    };
    for job in ["crl-refresh", "housekeeping"] {
        let held: Vec<f64> = [&a.base, &b.base]
            .iter()
            .map(|base| {
                lease_gauge(&page(base), job).unwrap_or_else(|| panic!("{job} gauge at {base}"))
            })
            .collect();
        assert_eq!(held.iter().sum::<f64>(), 1.0, "{job}: held by one replica, not {held:?}");
    }
    assert_eq!(psql(&db.url, "SELECT count(*) FROM job_leases", a.dir.path()), "2");

    // A replica stopping gracefully gives its leases up for the other to take at once.
    let holder_pid = |job: &str| {
        psql(
            &db.url,
            &format!("SELECT split_part(holder, ':', 2) FROM job_leases WHERE job = '{job}'"),
            a.dir.path(),
        )
    };
    let (pid_a, pid_b) = (a_server.pid(), b_server.pid());
    let housekeeper = holder_pid("housekeeping");
    assert!(housekeeper == pid_a.to_string() || housekeeper == pid_b.to_string(), "{housekeeper}");
    let (stopping, staying) =
        if housekeeper == pid_a.to_string() { (a_server, b_server) } else { (b_server, a_server) };
    stopping.terminate();
    assert_eq!(
        psql(
            &db.url,
            &format!("SELECT count(*) FROM job_leases WHERE holder LIKE '%:{housekeeper}:%'"),
            a.dir.path()
        ),
        "0",
        "leases given up"
    );
    drop(staying);
}

/// `url` with query parameters added.
fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

#[test]
fn the_center_reaches_postgres_over_tls_and_refuses_a_server_it_cannot_verify() {
    let Some(db) = TestDatabase::create() else { return };
    let ca = std::env::var("DOJANG_TEST_POSTGRES_CA").expect("scripts/postgres names its CA");
    let verified = with_query(&db.url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let c = TestCenter::new();
    let server = serve_with(&c.data, &c.base, None, &["--database-url", &verified]);
    let (root, _) = c.fetch_chain();
    assert!(std::path::Path::new(&root).exists());
    // Every connection the center holds is encrypted (the server's own view, through psql).
    let ssl = psql(
        &db.url,
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s \
         JOIN pg_stat_activity a USING (pid) WHERE a.datname = current_database() \
         AND a.pid <> pg_backend_pid()",
        c.dir.path(),
    );
    let (encrypted, all) = ssl.split_once('|').expect("two counts");
    assert!(all != "0" && encrypted == all, "connections over TLS / all: {ssl}");
    drop(server);

    // A root that did not sign the server's certificate: refused, saying why, no password.
    let other = c.path("other-ca.crt");
    ok(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=other",
            "-keyout",
            &c.p("other-ca.key"),
            "-out",
            &other.display().to_string(),
        ],
        c.dir.path(),
    );
    let with_password = db.url.replacen("postgres://dojang@", "postgres://dojang:hunter2@", 1);
    let wrong =
        with_query(&with_password, &format!("sslmode=verify-full&sslrootcert={}", other.display()));
    let o = c.dojang_env(&["admin", "audit", "verify"], &[("DOJANG_DATABASE_URL", &wrong)]);
    assert!(!o.status.success(), "a server it cannot verify is refused");
    let said = text(&o);
    assert!(said.to_lowercase().contains("certificate"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}
