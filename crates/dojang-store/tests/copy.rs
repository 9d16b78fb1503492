//! Whole-store copies (backup, restore, migrate): every row arrives, on either backend, the
//! order SQLite keeps implicitly survives, the audit chain still verifies, and a store holding
//! data is never written over.

use dojang_pki::{RevocationReason, Serial};
use dojang_store::testing::{self, person, t0};
use dojang_store::{
    Actor, AuditEvent, AuditVerdict, NewAccount, NewCertificate, Quiet, Store, StoreError,
};
use time::Duration;

/// A store with customers (accounts opened in an order that is not their numbers' order), a
/// ledger, certificates with one revoked, and an audit chain.
async fn populate(s: &Store) -> (i64, Vec<Serial>) {
    let mut tx = s.begin().await.expect("begin");
    let mut first = 0;
    for (i, id) in ["hong1234", "kim5678", "lee9012"].iter().enumerate() {
        let c = tx.insert_customer(&person(id, i as u8 + 1), t0()).await.expect("customer");
        if i == 0 {
            first = c;
        }
        for number in [format!("9{i}0000000001"), format!("1{i}0000000002")] {
            let account = NewAccount { number, password_hash: "x".into(), balance: 50_000 };
            tx.insert_account(c, &account, "계좌 개설 입금", t0()).await.expect("account");
        }
    }
    tx.debit("900000000001", 4_400, "인증서 발급 수수료", Some("flow-1"), t0()).await.expect("fee");
    tx.commit().await.expect("commit");

    let mut rng = rand::thread_rng();
    let mut serials = Vec::new();
    for i in 0..25 {
        let serial = Serial::random(&mut rng);
        s.insert_certificate(&NewCertificate {
            subject: format!("cn=홍길동()00{i},ou=WOORI,ou=personal4IB,o=yessign,c=kr"),
            der: vec![0x30, 0x82, i as u8, 0xA5],
            customer_id: Some(first),
            ..testing::certificate(&serial, t0())
        })
        .await
        .expect("certificate");
        serials.push(serial);
    }
    s.revoke(&serials[3], RevocationReason::KeyCompromise, t0() + Duration::hours(1))
        .await
        .expect("revoke");
    for i in 0..40 {
        let e = AuditEvent::new(
            Actor::Customer(first),
            "certificate.issued",
            format!("serial {i}"),
            serde_json::json!({ "n": i, "note": "발급" }),
        );
        s.audit(&e, t0() + Duration::seconds(i)).await.expect("audit");
    }
    (first, serials)
}

/// The two stores hold the same rows and behave the same on the points the copy must keep.
async fn assert_same(a: &Store, b: &Store, customer: i64, serials: &[Serial]) {
    assert_eq!(a.fingerprints().await.expect("a"), b.fingerprints().await.expect("b"));
    assert_eq!(b.verify_audit().await.expect("verify"), a.verify_audit().await.expect("verify"));
    assert!(matches!(b.verify_audit().await.expect("verify"), AuditVerdict::Intact { .. }));
    let (in_a, in_b) = (accounts(a, customer).await, accounts(b, customer).await);
    assert_eq!(in_a, in_b, "accounts keep the order they were opened in");
    assert_eq!(in_b, ["900000000001", "100000000002"]);
    for serial in serials {
        assert_eq!(a.status(serial).await.expect("a"), b.status(serial).await.expect("b"));
    }
    assert_eq!(a.status_generation().await.expect("a"), b.status_generation().await.expect("b"));
}

async fn accounts(s: &Store, customer: i64) -> Vec<String> {
    s.accounts_of(customer).await.expect("accounts").into_iter().map(|a| a.number).collect()
}

/// After a copy the center goes on: new rows get new ids, the chain goes on from its head.
async fn goes_on(s: &Store) {
    let mut tx = s.begin().await.expect("begin");
    tx.insert_customer(&person("park3456", 9), t0()).await.expect("a new customer after the copy");
    tx.commit().await.expect("commit");
    let e = AuditEvent::new(Actor::Operator, "store.copied", "", serde_json::json!({}));
    s.audit(&e, t0() + Duration::days(1)).await.expect("audit after the copy");
    assert!(matches!(s.verify_audit().await.expect("verify"), AuditVerdict::Intact { .. }));
}

#[tokio::test]
async fn sqlite_to_sqlite_copies_every_row() {
    let src = testing::sqlite().await;
    let (customer, serials) = populate(&src).await;
    let dst = testing::sqlite().await;
    let report = src.copy_into(&dst, &mut Quiet).await.expect("copy");
    assert_eq!(report.rows("certificates"), 25);
    assert_eq!(report.rows("customers"), 3);
    assert_eq!(report.rows("audit_log"), 40);
    assert_same(&src, &dst, customer, &serials).await;
    goes_on(&dst).await;
}

#[tokio::test]
async fn sqlite_to_postgres_and_back_copies_every_row() {
    let src = testing::sqlite().await;
    let (customer, serials) = populate(&src).await;
    let Some(pg) = testing::postgres().await else { return };
    let report = src.copy_into(&pg, &mut Quiet).await.expect("copy to PostgreSQL");
    assert_eq!(report.rows("accounts"), 6);
    assert_same(&src, &pg, customer, &serials).await;

    let back = testing::sqlite().await;
    pg.copy_into(&back, &mut Quiet).await.expect("copy back to SQLite");
    assert_same(&src, &back, customer, &serials).await;

    // PostgreSQL's identity columns go on past the copied ids.
    goes_on(&pg).await;
    goes_on(&back).await;
}

#[tokio::test]
async fn a_store_holding_data_is_never_written_over() {
    let src = testing::sqlite().await;
    populate(&src).await;
    let dst = testing::sqlite().await;
    assert_eq!(dst.holds_data().await.expect("empty"), None);
    let mut tx = dst.begin().await.expect("begin");
    tx.insert_customer(&person("someone", 42), t0()).await.expect("customer");
    tx.commit().await.expect("commit");
    let before = dst.fingerprints().await.expect("before");
    let err = src.copy_into(&dst, &mut Quiet).await.expect_err("not empty");
    assert!(matches!(err, StoreError::Copy(_)), "{err:?}");
    assert!(err.to_string().contains("customers") && err.to_string().contains("empty"), "{err}");
    assert_eq!(dst.fingerprints().await.expect("after"), before, "nothing written");
}

#[tokio::test]
async fn an_empty_store_copies_to_an_empty_store() {
    let src = testing::sqlite().await;
    let dst = testing::sqlite().await;
    let report = src.copy_into(&dst, &mut Quiet).await.expect("copy");
    assert_eq!(report.total_rows(), 2, "only the two starting rows: {report:?}");
    goes_on(&dst).await;
}
