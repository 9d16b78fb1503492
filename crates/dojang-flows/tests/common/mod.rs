//! What the flow tests share: a customer enrolled at the branch.
#![allow(dead_code)]

use dojang_identity::{AccountSpec, Enrolment, Identity, SecondFactorKind};
use dojang_npki::vid::Rrn;
use dojang_store::{Actor, CustomerKind};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Enrols 홍길동 (RRN 900101-1234567, phone 010-1234-5678, banking ID `hong`, account
/// 110-123-456789 with 10,000원 and password 1234, no second factor); returns the customer id.
pub async fn enrol_hong(identity: &Identity, now: OffsetDateTime) -> i64 {
    identity
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
                second_factor: SecondFactorKind::None,
            },
            Actor::Operator,
            now,
        )
        .await
        .expect("enrol")
        .customer_id
}
