//! Issue 8: `dojang admin backup`, `restore` and `migrate`, end to end. A center that has
//! enrolled customers, issued certificates through whole flows and revoked one is backed up while
//! it serves, restored into a new data directory, and migrated from SQLite to PostgreSQL and
//! back. Every table must arrive row for row (Python's sqlite3 and `psql` read them, not our
//! code), the audit chain must verify, and the restored or migrated center must go on: OCSP
//! (judged by `openssl ocsp`) knows the revocation, the customer logs in with the certificate
//! (the VID check needs the vault), and new customers and certificates get new ids.

mod support;

use dojang_bench::flow::{Held, Session};
use dojang_client::KeyPair;
use dojang_pki::KeyType;
use dojang_store::testing::TestDatabase;
use support::*;

/// A served center with two customers, three certificates issued through flows (two paid), one
/// of them revoked by the operator: the first customer's session with the revoked certificate,
/// the second's with a good one.
fn busy_center() -> (TestCenter, Vec<(Session, Held)>) {
    let c = TestCenter::started();
    let mut held = Vec::new();
    for n in 1..=2 {
        let cust = enrol(&c, n, &[]);
        let key = KeyPair::generate(KeyType::Rsa2048).expect("key");
        let mut s = Session::new(&c.base, cust, key).expect("session");
        let h = s.issue_product("personal-general").expect("issue");
        held.push((s, h));
    }
    let extra = held[0].0.issue().expect("a second certificate");
    let o = c.dojang(&["ca", "revoke", "--serial", &extra.serial, "--reason", "keyCompromise"]);
    assert!(o.status.success(), "revoke: {}", text(&o));
    held[0].1 = extra;
    (c, held)
}

/// What `openssl ocsp` says of `serial`'s certificate at the center at `base`.
fn ocsp_says(c: &TestCenter, base: &str, der: &[u8]) -> String {
    let (root, issuing) = c.fetch_chain();
    let leaf = c.path("leaf.der");
    std::fs::write(&leaf, der).expect("leaf");
    let pem = c.p("leaf.pem");
    ok(
        "openssl",
        &["x509", "-inform", "DER", "-in", &leaf.display().to_string(), "-out", &pem],
        c.dir.path(),
    );
    let url = format!("{base}/ocsp");
    let o = ok(
        "openssl",
        &["ocsp", "-issuer", &issuing, "-cert", &pem, "-url", &url, "-CAfile", &root],
        c.dir.path(),
    );
    assert!(o.contains("Response verify OK"), "{o}");
    o
}

fn compare(a: &std::path::Path, b: &std::path::Path, dir: &std::path::Path) -> String {
    let script = tests_dir().join("py/compare_stores.py");
    ok(
        "python3",
        &[&script.display().to_string(), &a.display().to_string(), &b.display().to_string()],
        dir,
    )
}

/// A second data directory that has the first's passphrase: the operator brings it (a backup
/// never holds it).
fn with_passphrase_of(from: &TestCenter) -> TestCenter {
    let to = TestCenter::new();
    let name = "DEMO-ONLY-ca-passphrase.txt";
    std::fs::copy(from.data.join(name), to.data.join(name)).expect("passphrase");
    to
}

#[test]
fn a_backup_taken_while_serving_restores_every_row_and_the_center_goes_on() {
    let (mut a, mut held) = busy_center();
    let backup = a.path("center.backup");
    let b_arg = backup.display().to_string();

    let o = a.dojang(&["admin", "backup", "--to", &b_arg]);
    assert!(o.status.success(), "backup: {}", text(&o));
    let said = text(&o);
    assert!(said.contains("certificates 3") && said.contains("customers    2"), "{said}");
    assert!(said.contains("audit chain  intact"), "{said}");
    assert!(said.contains("ca/root.key") && said.contains("vault.key"), "{said}");
    assert!(!said.contains("DEMO-ONLY"), "the passphrase stays out: {said}");
    assert!(!backup.with_extension("backup.partial").exists());
    // Python's sqlite3 reads the backup: it holds the store's rows and the CA's files.
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(' '.join(p for (p,) in c.execute('select path from backup_files order by path')))";
    let files = ok("python3", &["-c", script, &b_arg], a.dir.path());
    assert!(
        files.contains("ca/issuing.key")
            && files.contains("ca/ocsp.crt")
            && files.contains("vault.key"),
        "{files}"
    );
    assert!(!files.contains("passphrase"), "{files}");

    // A backup is never written over.
    let o = a.dojang(&["admin", "backup", "--to", &b_arg]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already exists"), "{}", text(&o));

    // Restore into a new data directory; every row arrives, row for row.
    a.stop();
    let mut b = with_passphrase_of(&a);
    let o = b.dojang(&["admin", "restore", "--from", &b_arg]);
    assert!(o.status.success(), "restore: {}", text(&o));
    let said = text(&o);
    assert!(said.contains("certificates 3") && said.contains("audit chain  intact"), "{said}");
    let same =
        compare(&a.data.join("dojang.sqlite3"), &b.data.join("dojang.sqlite3"), a.dir.path());
    assert!(same.starts_with("same:"), "{same}");
    for f in ["ca/root.key", "ca/issuing.crt", "vault.key"] {
        assert_eq!(
            std::fs::read(a.data.join(f)).expect("a"),
            std::fs::read(b.data.join(f)).expect("b"),
            "{f}"
        );
    }
    let o = b.dojang(&["admin", "audit", "verify"]);
    assert!(o.status.success() && text(&o).contains("audit log intact"), "{}", text(&o));

    // The restored center serves: the revocation, a login (VID needs the vault), a new customer
    // and a new certificate.
    b.start();
    let said = ocsp_says(&b, &b.base, &held[0].1.certificate_der);
    assert!(said.contains(": revoked"), "{said}");
    let (s2, good) = held.pop().expect("the second customer");
    assert!(ocsp_says(&b, &b.base, &good.certificate_der).contains(": good"));
    let s2 = s2.moved_to(&b.base).expect("session");
    s2.login(&good).expect("login at the restored center");
    let newcomer = enrol(&b, 3, &[]);
    let mut s3 = Session::new(&b.base, newcomer, KeyPair::generate(KeyType::Rsa2048).expect("key"))
        .expect("session");
    s3.issue().expect("issuance goes on after a restore");

    // Restoring again is refused: the store holds data now. Nothing is changed.
    // (Compared by content: opening the store may checkpoint its WAL into the file.)
    b.stop();
    let db = b.data.join("dojang.sqlite3");
    let before = b.path("before.sqlite3");
    let snapshot = "import sqlite3,sys\nsrc=sqlite3.connect(sys.argv[1])\ndst=sqlite3.connect(sys.argv[2])\nsrc.backup(dst)";
    ok(
        "python3",
        &["-c", snapshot, &db.display().to_string(), &before.display().to_string()],
        b.dir.path(),
    );
    let o = b.dojang(&["admin", "restore", "--from", &b_arg]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already holds data"), "{}", text(&o));
    let same = compare(&before, &db, b.dir.path());
    assert!(same.starts_with("same:"), "nothing changed: {same}");

    // A data directory holding another CA is refused before anything is written.
    let mut other = TestCenter::started();
    other.stop();
    let key_before = std::fs::read(other.data.join("ca/root.key")).expect("key");
    let o = other.dojang(&["admin", "restore", "--from", &b_arg]);
    assert!(!o.status.success());
    assert!(text(&o).contains("another center"), "{}", text(&o));
    assert_eq!(std::fs::read(other.data.join("ca/root.key")).expect("key"), key_before);

    // A backup from a newer dojang (a migration this one does not know) is named as such.
    let newer = a.path("newer.backup");
    std::fs::copy(&backup, &newer).expect("copy");
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.execute(\"insert into _sqlx_migrations (version, description, success, checksum, execution_time) values (9999, 'from the future', 1, x'00', 0)\")\nc.commit()";
    ok("python3", &["-c", script, &newer.display().to_string()], a.dir.path());
    let fresh = TestCenter::new();
    let o = fresh.dojang(&["admin", "restore", "--from", &newer.display().to_string()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("another version of dojang"), "{}", text(&o));

    // Not a backup at all.
    let junk = a.path("junk.backup");
    std::fs::write(&junk, "not a database").expect("junk");
    let fresh = TestCenter::new();
    let o = fresh.dojang(&["admin", "restore", "--from", &junk.display().to_string()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("is not a dojang backup"), "{}", text(&o));
}

#[test]
fn migrate_moves_a_sqlite_center_to_postgres_and_a_postgres_backup_comes_back() {
    let Some(db) = TestDatabase::create() else { return };
    let (mut a, mut held) = busy_center();
    a.stop();
    let sqlite_url = format!("sqlite:{}", a.data.join("dojang.sqlite3").display());

    // The PostgreSQL URL from the environment, as the operator keeps a password off the line.
    let o = a.dojang_env(
        &["admin", "migrate", "--from", &sqlite_url],
        &[("DOJANG_MIGRATE_TO", &db.url)],
    );
    assert!(o.status.success(), "migrate: {}", text(&o));
    let said = text(&o);
    assert!(said.contains("(SQLite)") && said.contains("(PostgreSQL)"), "{said}");
    assert!(said.contains("certificates 3") && said.contains("audit chain  intact"), "{said}");

    // psql counts what arrived, table by table, against Python's count of the SQLite file.
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nfor t in ['certificates','customers','accounts','ledger','audit_log','flows','challenges','inbox']:\n print(t, c.execute(f'select count(*) from {t}').fetchone()[0])";
    let sqlite_counts = ok(
        "python3",
        &["-c", script, &a.data.join("dojang.sqlite3").display().to_string()],
        a.dir.path(),
    );
    for line in sqlite_counts.lines() {
        let (table, n) = line.split_once(' ').expect("table count");
        let pg = ok(
            "psql",
            &[&db.url, "-X", "-A", "-t", "-c", &format!("SELECT count(*) FROM {table}")],
            a.dir.path(),
        );
        assert_eq!(pg.trim(), n, "{table}");
    }
    // Migrating again into the same database is refused.
    let o = a.dojang_env(
        &["admin", "migrate", "--from", &sqlite_url],
        &[("DOJANG_MIGRATE_TO", &db.url)],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("already holds data"), "{}", text(&o));
    // A mistyped SQLite path is not made into a new, empty source.
    let o = a.dojang_env(
        &["admin", "migrate", "--from", "sqlite:/nonexistent/dojang.sqlite3"],
        &[("DOJANG_MIGRATE_TO", &db.url)],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("no SQLite store"), "{}", text(&o));

    // The center on PostgreSQL: the revocation, a login, and new rows past the copied ids.
    let pg = with_passphrase_of(&a);
    for name in ["ca", "vault.key"] {
        ok("cp", &["-r", &a.data.join(name).display().to_string(), &pg.data_arg()], pg.dir.path());
    }
    let db_env = [("DOJANG_DATABASE_URL", db.url.as_str())];
    let _server = serve_with(&pg.data, &pg.base, None, &["--database-url", &db.url]);
    assert!(ocsp_says(&pg, &pg.base, &held[0].1.certificate_der).contains(": revoked"));
    let (s2, good) = held.pop().expect("the second customer");
    s2.moved_to(&pg.base).expect("session").login(&good).expect("login on PostgreSQL");
    let newcomer = enrol(&pg, 3, &db_env);
    let mut s3 =
        Session::new(&pg.base, newcomer, KeyPair::generate(KeyType::Rsa2048).expect("key"))
            .expect("session");
    s3.issue().expect("issuance on PostgreSQL after the migration");

    // A backup of the PostgreSQL center restores into a SQLite data directory, whole.
    let backup = pg.path("pg.backup");
    let o = pg.dojang_env(&["admin", "backup", "--to", &backup.display().to_string()], &db_env);
    assert!(o.status.success(), "backup: {}", text(&o));
    assert!(text(&o).contains("certificates 4"), "{}", text(&o));
    let back = with_passphrase_of(&a);
    let o = back.dojang(&["admin", "restore", "--from", &backup.display().to_string()]);
    assert!(o.status.success(), "restore: {}", text(&o));
    assert!(
        text(&o).contains("certificates 4") && text(&o).contains("customers    3"),
        "{}",
        text(&o)
    );
    let o = back.dojang(&["admin", "audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// The names in `dir` that start with `prefix`, sorted.
fn names_starting(dir: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_backup_takes_its_partial_file_with_it_and_a_leftover_is_not_in_the_way() {
    let c = TestCenter::started();
    let to = c.p("b.backup");
    // The backup cut off as a full disk would: no file of the process may grow past 64 KiB.
    let limited = "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"";
    let data = c.data_arg();
    let args = ["-c", limited, DOJANG, "admin", "backup", "--to", &to, "--data", &data];
    let o = run("bash", &args, c.dir.path());
    assert!(!o.status.success(), "the limit should have stopped it: {}", text(&o));
    assert_eq!(names_starting(c.dir.path(), "b.backup"), Vec::<String>::new(), "{}", text(&o));

    // A leftover under the name older versions wrote to, cut off by a crash: not ours now, and
    // not in the way (it used to cost 30 s and then the backup).
    std::fs::write(c.path("b.backup.partial"), b"cut off by a crash").expect("write");
    let started = std::time::Instant::now();
    let o = c.dojang(&["admin", "backup", "--to", &to]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    assert_eq!(names_starting(c.dir.path(), "b.backup"), ["b.backup", "b.backup.partial"]);
    assert_eq!(std::fs::read(c.path("b.backup.partial")).expect("read"), b"cut off by a crash");
}

#[test]
fn a_failed_restore_leaves_the_data_directory_as_it_was_and_a_cut_backup_is_named_at_once() {
    let c = TestCenter::started();
    let backup = c.p("b.backup");
    let o = c.dojang(&["admin", "backup", "--to", &backup]);
    assert!(o.status.success(), "{}", text(&o));

    // The CA's folder cannot be made (a link to nowhere stands in for it), and then the vault
    // cannot be written after the CA's files were: each time nothing of the restore stays, and
    // the retry restores.
    let to = TestCenter::new();
    let before = names_starting(&to.data, "");
    for (blocked, said) in [("ca", "making"), ("vault.key", "writing")] {
        let link = to.data.join(blocked);
        std::os::unix::fs::symlink(to.path("nowhere"), &link).expect("symlink");
        let o = to.dojang(&["admin", "restore", "--from", &backup]);
        let e = text(&o);
        assert!(!o.status.success(), "{e}");
        assert!(e.contains(&format!("{said} {}", link.display())), "{e}");
        std::fs::remove_file(&link).expect("unlink");
        assert_eq!(names_starting(&to.data, ""), before, "{e}");
    }
    let o = to.dojang(&["admin", "restore", "--from", &backup]);
    assert!(o.status.success(), "the retry: {}", text(&o));
    assert!(to.data.join("ca/root.key").is_file() && to.data.join("vault.key").is_file());

    // A backup cut short (an interrupted copy) is called that, at once.
    let bytes = std::fs::read(&backup).expect("read");
    let cut = c.path("cut.backup");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).expect("write");
    let fresh = TestCenter::new();
    let started = std::time::Instant::now();
    let o = fresh.dojang(&["admin", "restore", "--from", &cut.display().to_string()]);
    let e = text(&o);
    assert!(!o.status.success(), "{e}");
    assert!(e.contains("looks damaged or cut short"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    assert_eq!(names_starting(&fresh.data, ""), ["dojang.toml"]);
}
