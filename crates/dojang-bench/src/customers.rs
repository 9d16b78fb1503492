//! Customers for the load: enrolled at the "branch" in-process (the same store the server
//! uses), each with a security card, an account and the secrets a client will type.

use std::path::Path;

use anyhow::Context;
use dojang_ca::Passphrase;
use dojang_config::{Config, Flags, ProcessEnv};
use dojang_identity::{AccountSpec, Enrolment, SecondFactorKind};
use dojang_server::Center;
use dojang_store::{Actor, CustomerKind};
use zeroize::Zeroizing;

/// The account password every bench customer has.
pub const ACCOUNT_PASSWORD: &str = "4821";
const BANKING_PASSWORD: &str = "Banking-pass1!";

/// A customer, as the client side knows them.
#[derive(Clone, Debug)]
pub struct Customer {
    pub name: String,
    pub rrn: String,
    pub phone: String,
    pub banking_id: String,
    pub account: String,
    /// The security card's codes, code 1 first.
    pub card: Vec<String>,
}

impl Customer {
    /// Customer number `n` (0 to 9999): distinct RRN, phone, banking ID and account.
    pub fn numbered(n: u32) -> Customer {
        Customer {
            name: "홍길동".into(),
            rrn: format!("900101{}{n:06}", 1 + n % 2),
            phone: format!("010-{:04}-{:04}", 2000 + n / 10_000, n % 10_000),
            banking_id: format!("bench{n:05}"),
            account: format!("110-{:03}-{:06}", n / 1_000_000, n % 1_000_000),
            card: Vec::new(),
        }
    }
}

/// Opens the center of `data` in this process, as `dojang admin` does (the CA is made on the
/// first opening; the passphrase comes from the environment or the demo file).
pub async fn open_center(data: &Path) -> anyhow::Result<Center> {
    let flags = Flags { data_dir: Some(data.to_path_buf()), ..Flags::default() };
    let config = Config::load(&flags, &ProcessEnv)?;
    let resolved = config.ca_passphrase(&ProcessEnv)?;
    let passphrase = Passphrase::new(resolved.secret.to_string());
    let now = config.clock.now();
    let (center, _) = Center::open(config, &passphrase, now).await.context("opening the center")?;
    Ok(center)
}

/// Enrols `count` customers (numbers `first..first+count`) with a security card and 10 million
/// won each; returns them with their cards.
pub async fn enrol(center: &Center, first: u32, count: u32) -> anyhow::Result<Vec<Customer>> {
    let mut out = Vec::new();
    for n in first..first + count {
        let mut c = Customer::numbered(n);
        let e = Enrolment {
            kind: CustomerKind::Person,
            name: c.name.clone(),
            rrn: Some(dojang_npki::vid::Rrn::new(&c.rrn).context("RRN")?),
            business_number: None,
            phone: c.phone.clone(),
            email: format!("bench{n}@example.com"),
            address: "서울특별시 중구 세종대로 110".into(),
            banking_id: c.banking_id.clone(),
            banking_password: Zeroizing::new(BANKING_PASSWORD.into()),
            accounts: vec![AccountSpec {
                number: c.account.clone(),
                password: Zeroizing::new(ACCOUNT_PASSWORD.into()),
                balance: 10_000_000,
            }],
            id_card: None,
            second_factor: SecondFactorKind::SecurityCard,
        };
        let enrolled = center
            .identity
            .enrol(&e, Actor::Operator, center.now())
            .await
            .with_context(|| format!("enrolling bench customer {n}"))?;
        let card = enrolled.security_card.context("no security card was made")?;
        c.card = (1..=dojang_identity::SECURITY_CARD_CODES)
            .filter_map(|i| card.code(i).map(str::to_string))
            .collect();
        out.push(c);
    }
    Ok(out)
}
