//! `dojang admin staff …`: the accounts staff sign in to the web page's staff console with.
//! Passwords come from the environment (never argv), follow the rule, and are stored only as
//! Argon2id; names are unique; list, unlock, passwd and disable work on the same data the
//! server reads, and every change is in the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{text, TestCenter};

const PW: &str = "Staff-pass1!";

fn staff(c: &TestCenter, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut all = vec!["admin", "staff"];
    all.extend_from_slice(args);
    match password {
        Some(p) => c.dojang_env(&all, &[("DOJANG_STAFF_PASSWORD", p)]),
        None => c.dojang_env(&all, &[]),
    }
}

#[test]
fn staff_accounts_are_added_listed_changed_and_disabled() {
    let c = TestCenter::new();
    let out = staff(&c, &["add", "Kim.Teller", "--name", "김직원"], Some(PW));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("staff account kim.teller added"), "{}", text(&out));

    let again = staff(&c, &["add", "kim.teller", "--name", "다른 사람"], Some(PW));
    assert!(!again.status.success());
    assert!(text(&again).contains("taken"), "{}", text(&again));
    let weak = staff(&c, &["add", "lee", "--name", "이감사", "--role", "auditor"], Some("short1!"));
    assert!(!weak.status.success());
    assert!(text(&weak).contains("10 to 128 characters"), "{}", text(&weak));
    assert!(!text(&weak).contains("short1!"), "the password is never printed");
    let bad_role = staff(&c, &["add", "lee", "--name", "이감사", "--role", "boss"], Some(PW));
    assert!(!bad_role.status.success());

    let out =
        staff(&c, &["add", "lee", "--name", "이감사", "--role", "auditor"], Some("Audit-pass2@"));
    assert!(out.status.success(), "{}", text(&out));
    let list = text(&staff(&c, &["list"], None));
    assert!(list.contains("kim.teller") && list.contains("officer"), "{list}");
    assert!(list.contains("lee") && list.contains("auditor"), "{list}");
    assert!(list.contains("2 staff account(s)"), "{list}");

    assert!(staff(&c, &["unlock", "kim.teller"], None).status.success());
    assert!(staff(&c, &["passwd", "kim.teller"], Some("Staff-pass9#")).status.success());
    let missing = staff(&c, &["unlock", "nobody"], None);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no staff account nobody"), "{}", text(&missing));

    assert!(text(&staff(&c, &["disable", "lee"], None)).contains("disabled"));
    assert!(text(&staff(&c, &["disable", "lee"], None)).contains("already disabled"));
    assert!(text(&staff(&c, &["list"], None)).contains("disabled"));

    // Only hashes are stored, and the audit chain holds every change.
    let mut db = std::fs::read(c.data.join("dojang.sqlite3")).expect("database");
    db.extend(std::fs::read(c.data.join("dojang.sqlite3-wal")).unwrap_or_default());
    let raw = String::from_utf8_lossy(&db);
    assert!(!raw.contains(PW) && !raw.contains("Staff-pass9#"));
    assert!(raw.contains("$argon2id$"));
    let verify = c.dojang(&["admin", "audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
}
