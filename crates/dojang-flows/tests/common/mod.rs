//! What the flow tests share: a customer enrolled at the branch.
#![allow(dead_code)]

use std::sync::Arc;

use dojang_ca::{CaNames, CertificateAuthority, KeyHome, Passphrase};
use dojang_flows::{FlowSettings, Flows, Policy};
use dojang_identity::{AccountSpec, Enrolment, Identity, Limits, SecondFactorKind};
use dojang_npki::vid::Rrn;
use dojang_outside::{Outside, Simulator};
use dojang_pki::KeyType;
use dojang_profile::{Catalog, PublicationUrls, SubjectRules};
use dojang_ra::RegistrationAuthority;
use dojang_store::{Actor, CustomerKind, Store};
use dojang_vault::Vault;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Enrols 홍길동 (RRN 900101-1234567, phone 010-1234-5678, banking ID `hong`, account
/// 110-123-456789 with 10,000원 and password 1234, no second factor); returns the customer id.
pub async fn enrol_hong(identity: &Identity, now: OffsetDateTime) -> i64 {
    enrol_hong_with(identity, now, SecondFactorKind::None).await.0
}

/// As [`enrol_hong`], with a security card: returns the customer id and the card's 30 codes.
pub async fn enrol_hong_with_card(identity: &Identity, now: OffsetDateTime) -> (i64, Vec<String>) {
    enrol_hong_with(identity, now, SecondFactorKind::SecurityCard).await
}

async fn enrol_hong_with(
    identity: &Identity,
    now: OffsetDateTime,
    second_factor: SecondFactorKind,
) -> (i64, Vec<String>) {
    let enrolled = identity
        .enrol(
            &Enrolment {
                kind: CustomerKind::Person,
                name: "홍길동".into(),
                rrn: Some(Rrn::new("9001011234567").expect("rrn")),
                business_number: None,
                phone: "010-1234-5678".into(),
                email: "hong@example.com".into(),
                address: "서울".into(),
                banking_id: "hong".into(),
                banking_password: Zeroizing::new("bank-pass-1!".into()),
                accounts: vec![AccountSpec {
                    number: "110-123-456789".into(),
                    password: Zeroizing::new("1234".into()),
                    balance: 10_000,
                }],
                id_card: None,
                second_factor,
            },
            Actor::Operator,
            now,
        )
        .await
        .expect("enrol");
    let codes = enrolled
        .security_card
        .as_ref()
        .map(|c| (1..=30).filter_map(|n| c.code(n).map(str::to_string)).collect())
        .unwrap_or_default();
    (enrolled.customer_id, codes)
}

/// A whole center in a temporary directory: store, CA (P-256, for speed), RA, vault, the
/// phone simulator, identity and the flow engine, with 홍길동 enrolled (a security card).
pub struct Bank {
    pub _dir: tempfile::TempDir,
    pub store: Store,
    pub flows: Flows,
    pub identity: Arc<Identity>,
    pub customer: i64,
    pub card: Vec<String>,
}

pub async fn bank(now: OffsetDateTime) -> Bank {
    bank_with(now, FlowSettings::default()).await
}

pub async fn bank_with(now: OffsetDateTime, settings: FlowSettings) -> Bank {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_sqlite(&dir.path().join("db")).await.expect("store");
    let names = CaNames {
        organization: "dojang".into(),
        root_cn: "dojang Root CA".into(),
        issuing_cn: "dojangCA Class 1".into(),
        key_type: KeyType::EcdsaP256,
    };
    let urls = PublicationUrls::new("http://127.0.0.1:1");
    let pass = Passphrase::new("pass".into());
    let ca = Arc::new(
        CertificateAuthority::open_or_create(
            &dir.path().join("ca"),
            &KeyHome::files(&pass),
            &names,
            &urls,
            now,
        )
        .expect("ca")
        .ca,
    );
    let rules = SubjectRules { organization: "dojang".into(), bank_ou: "DOJANGBANK".into() };
    let catalog = Catalog::defaults();
    let ra = Arc::new(RegistrationAuthority::new(
        ca.clone(),
        store.clone(),
        catalog.clone(),
        rules.clone(),
        urls,
    ));
    let (vault, _) = Vault::open_or_create(&dir.path().join("vault.key"), b"pass").expect("vault");
    let vault = Arc::new(vault);
    let outside: Arc<dyn Outside> = Arc::new(Simulator::new(store.clone(), vault.clone()));
    let identity =
        Arc::new(Identity::new(store.clone(), vault.clone(), outside, Limits::default()));
    let (customer, card) = enrol_hong_with_card(&identity, now).await;
    let flows = Flows::new(
        store.clone(),
        ra,
        ca,
        identity.clone(),
        vault,
        catalog,
        rules,
        Policy::default(),
        settings,
    );
    Bank { _dir: dir, store, flows, identity, customer, card }
}
