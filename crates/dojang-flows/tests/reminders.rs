//! Expiry reminders: sent once per certificate, 30 days before its end, by SMS and e-mail,
//! and not for certificates that are revoked, far from their end, or not a customer's.

mod common;

use std::sync::Arc;

use dojang_identity::{Identity, Limits};
use dojang_outside::{list_inbox, Outside, Simulator};
use dojang_pki::{RevocationReason, Serial};
use dojang_profile::Catalog;
use dojang_store::{AuditVerdict, Channel, NewCertificate, Store};
use dojang_vault::Vault;
use time::{Duration, OffsetDateTime};

fn cert(serial: &str, customer: Option<i64>, not_after: OffsetDateTime) -> NewCertificate {
    NewCertificate {
        serial: serial.parse().expect("serial"),
        product: "personal-bank".into(),
        subject: "cn=홍길동()0010000000000001".into(),
        not_before: not_after - Duration::days(730),
        not_after,
        issued_at: not_after - Duration::days(730),
        der: vec![0x30, 0x00],
        customer_id: customer,
    }
}

#[tokio::test]
async fn reminders_go_out_once_thirty_days_before_the_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_sqlite(&dir.path().join("db")).await.expect("store");
    let (vault, _) = Vault::open_or_create(&dir.path().join("vault.key"), b"pass").expect("vault");
    let vault = Arc::new(vault);
    let outside: Arc<dyn Outside> = Arc::new(Simulator::new(store.clone(), vault.clone()));
    let identity = Identity::new(store.clone(), vault.clone(), outside.clone(), Limits::default());
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let customer_id = common::enrol_hong(&identity, now).await;
    let id = Some(customer_id);
    store.insert_certificate(&cert("0A01", id, now + Duration::days(20))).await.expect("due");
    store.insert_certificate(&cert("0A02", id, now + Duration::days(40))).await.expect("not yet");
    store.insert_certificate(&cert("0A03", id, now + Duration::days(10))).await.expect("revoked");
    store
        .insert_certificate(&cert("0A04", None, now + Duration::days(10)))
        .await
        .expect("operator's");
    store.insert_certificate(&cert("0A05", id, now - Duration::days(1))).await.expect("expired");
    let revoked: Serial = "0A03".parse().expect("serial");
    store.revoke(&revoked, RevocationReason::KeyCompromise, now).await.expect("revoke");

    let catalog = Catalog::defaults();
    let sent =
        dojang_flows::reminders::send_due(&store, outside.as_ref(), &catalog, "도장은행", now)
            .await
            .expect("send");
    assert_eq!(sent, 1, "only 0A01 is due");
    let again =
        dojang_flows::reminders::send_due(&store, outside.as_ref(), &catalog, "도장은행", now)
            .await
            .expect("send again");
    assert_eq!(again, 0, "a reminder goes out once");

    let phone = list_inbox(&store, "010-1234-5678", 0).await.expect("inbox");
    assert_eq!(phone.len(), 1, "{:?}", phone.iter().map(|m| &m.body).collect::<Vec<_>>());
    assert_eq!(phone[0].channel, Channel::Sms);
    assert!(
        phone[0].body.contains("만료") && phone[0].body.contains("20일 남음"),
        "{}",
        phone[0].body
    );
    let mail = list_inbox(&store, "hong@example.com", 0).await.expect("mail");
    assert_eq!(mail.len(), 1);
    assert!(mail[0].body.contains("갱신"), "{}", mail[0].body);

    // Ten days later the second certificate comes into the window, once.
    let later = now + Duration::days(11);
    let sent =
        dojang_flows::reminders::send_due(&store, outside.as_ref(), &catalog, "도장은행", later)
            .await
            .expect("send later");
    assert_eq!(sent, 1);
    assert_eq!(list_inbox(&store, "010-1234-5678", 0).await.expect("inbox").len(), 2);
    assert!(matches!(store.verify_audit().await.expect("verify"), AuditVerdict::Intact { .. }));
}
