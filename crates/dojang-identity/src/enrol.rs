//! Enrolment at the branch (인터넷뱅킹 가입): the step every document starts from. Staff enter
//! who the customer is, their internet-banking ID and password, their withdrawal accounts and
//! ID card, and hand out a security card or an OTP device. Secrets are hashed (Argon2id) or
//! sealed (vault) before the store sees them; the card's codes and the OTP seed are returned
//! once, to be printed or loaded into the device, and never shown again.

use std::fmt;

use dojang_npki::vid::Rrn;
use dojang_outside::{IdCard, IdCardKind, OutsideError};
use dojang_store::{Actor, AuditEvent, CustomerKind, NewAccount, NewCustomer, StoreError, Tx};
use dojang_vault::{Purpose, VaultError};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, OffsetDateTime};
use zeroize::Zeroizing;

use crate::checks::{account_digits, otp, security_card};
use crate::error::IdentityError;
use crate::{mask_account, secret, Identity};

/// Codes on a security card.
pub const SECURITY_CARD_CODES: u8 = security_card::CODES;

/// What the customer is handed for the second factor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecondFactorKind {
    /// 보안카드.
    #[default]
    SecurityCard,
    /// OTP 생성기 (a TOTP seed for an authenticator).
    Otp,
    /// Neither (the customer will get one later).
    None,
}

/// A withdrawal account to register.
pub struct AccountSpec {
    pub number: String,
    /// 4 digits.
    pub password: Zeroizing<String>,
    /// Opening balance in won.
    pub balance: i64,
}

/// The ID card shown at the branch, registered with the (simulated) issuer.
pub struct IdCardSpec {
    pub kind: IdCardKind,
    pub number: Zeroizing<String>,
    pub issue_date: Date,
}

/// Everything staff enter to enrol a customer.
pub struct Enrolment {
    pub kind: CustomerKind,
    pub name: String,
    /// Required for a person; a business may give its representative's.
    pub rrn: Option<Rrn>,
    /// 사업자등록번호, 10 digits: businesses only.
    pub business_number: Option<String>,
    /// Mobile number (ARS calls and SMS go here).
    pub phone: String,
    pub email: String,
    pub address: String,
    pub banking_id: String,
    pub banking_password: Zeroizing<String>,
    pub accounts: Vec<AccountSpec>,
    pub id_card: Option<IdCardSpec>,
    pub second_factor: SecondFactorKind,
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrolment")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("banking_id", &self.banking_id)
            .field("accounts", &self.accounts.len())
            .field("second_factor", &self.second_factor)
            .finish_non_exhaustive()
    }
}

/// A security card just made: its serial and codes, to print once.
pub struct IssuedSecurityCard {
    pub serial: String,
    codes: Zeroizing<String>,
}

impl IssuedSecurityCard {
    /// Code number `n` (1 to 30).
    pub fn code(&self, n: u8) -> Option<&str> {
        let len = security_card::CODE_LEN;
        let start = usize::from(n.checked_sub(1)?) * len;
        self.codes.get(start..start + len)
    }

    /// The card as printed: serial, then the numbered codes in five columns.
    pub fn printout(&self) -> String {
        let mut out = format!("보안카드 (security card)  일련번호 (serial) {}\n", self.serial);
        for row in 0..(SECURITY_CARD_CODES / 5) {
            let cells: Vec<String> = (1..=5)
                .map(|col| {
                    let n = row * 5 + col;
                    format!("{n:02}  {}", self.code(n).unwrap_or("????"))
                })
                .collect();
            out.push_str(&cells.join("    "));
            out.push('\n');
        }
        out
    }
}

impl fmt::Debug for IssuedSecurityCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuedSecurityCard({}, <codes redacted>)", self.serial)
    }
}

/// An OTP device just made: the seed to load into it, shown once.
pub struct IssuedOtp {
    pub serial: String,
    secret_base32: Zeroizing<String>,
    uri: Zeroizing<String>,
}

impl IssuedOtp {
    /// The seed in base32 (RFC 4648, no padding), for typing into an authenticator.
    pub fn secret_base32(&self) -> &str {
        &self.secret_base32
    }

    /// `otpauth://totp/…` (SHA-1, 6 digits, 30 s), for a QR code.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

impl fmt::Debug for IssuedOtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuedOtp({}, <seed redacted>)", self.serial)
    }
}

/// The result of an enrolment.
#[derive(Debug)]
pub struct Enrolled {
    pub customer_id: i64,
    pub security_card: Option<IssuedSecurityCard>,
    pub otp: Option<IssuedOtp>,
}

/// Why an enrolment was refused. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{what} is already registered to another customer")]
    Duplicate { what: &'static str },
    #[error("there is no customer {0}")]
    NoSuchCustomer(i64),
    #[error(
        "customer {customer_id} was enrolled, but the ID card could not be registered with the issuer ({source}); register it again"
    )]
    IdCardNotRegistered { customer_id: i64, source: OutsideError },
    #[error("store: {0}")]
    Store(StoreError),
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    #[error("a password could not be hashed")]
    PasswordHash,
}

impl From<StoreError> for EnrolError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { what } => EnrolError::Duplicate { what },
            StoreError::NoSuchCustomer(id) => EnrolError::NoSuchCustomer(id),
            other => EnrolError::Store(other),
        }
    }
}

impl From<IdentityError> for EnrolError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Store(e) => e.into(),
            IdentityError::Vault(e) => EnrolError::Vault(e),
            _ => EnrolError::PasswordHash,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> EnrolError {
    EnrolError::Invalid { field, reason: reason.into() }
}

/// `01012345678` → `010-1234-5678`; `0111234567` → `011-123-4567`.
fn pretty_phone(digits: &str) -> String {
    let mid = digits.len() - 7;
    format!("{}-{}-{}", &digits[..3], &digits[3..3 + mid], &digits[3 + mid..])
}

/// The normal form of an internet-banking ID: IDs are not case-sensitive.
pub(crate) fn normal_banking_id(id: &str) -> String {
    id.trim().to_lowercase()
}

struct Checked {
    name: String,
    phone: String,
    email: String,
    address: String,
    banking_id: String,
    business_number: Option<String>,
    accounts: Vec<String>,
}

fn check(e: &Enrolment, now: OffsetDateTime) -> Result<Checked, EnrolError> {
    let name = e.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(invalid("name", "give the customer's real name (1 to 50 characters)"));
    }
    let business_number = match (e.kind, &e.business_number) {
        (CustomerKind::Person, None) => None,
        (CustomerKind::Person, Some(_)) => {
            return Err(invalid(
                "business number",
                "only business customers have one; enrol as a business",
            ))
        }
        (CustomerKind::Business, None) => return Err(invalid(
            "business number",
            "a business customer needs its 10-digit business registration number (사업자등록번호)",
        )),
        (CustomerKind::Business, Some(n)) => {
            let d: String = n.chars().filter(char::is_ascii_digit).collect();
            if d.len() != 10 || n.chars().any(|c| !c.is_ascii_digit() && c != '-') {
                return Err(invalid("business number", "must be 10 digits, e.g. 123-45-67890"));
            }
            Some(d)
        }
    };
    if e.kind == CustomerKind::Person && e.rrn.is_none() {
        return Err(invalid("RRN", "a person needs a resident registration number"));
    }
    let phone: String = e.phone.chars().filter(char::is_ascii_digit).collect();
    let phone_chars_ok = e.phone.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
    if !phone_chars_ok || !phone.starts_with("01") || !(10..=11).contains(&phone.len()) {
        return Err(invalid(
            "phone",
            "must be a mobile number such as 010-1234-5678 (ARS calls and SMS go there)",
        ));
    }
    let email = e.email.trim().to_lowercase();
    let email_ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    };
    if !email_ok {
        return Err(invalid("e-mail", "must be an address such as hong@example.com"));
    }
    let address = e.address.trim().to_string();
    if address.is_empty() {
        return Err(invalid("address", "give the customer's address"));
    }
    let banking_id = normal_banking_id(&e.banking_id);
    let id_ok = (4..=20).contains(&banking_id.len())
        && banking_id.starts_with(|c: char| c.is_ascii_lowercase())
        && banking_id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !id_ok {
        return Err(invalid(
            "internet banking ID",
            "4 to 20 letters, digits or _, starting with a letter",
        ));
    }
    let pw = e.banking_password.as_str();
    let pw_ok = (8..=64).contains(&pw.chars().count())
        && pw.chars().any(|c| c.is_alphabetic())
        && pw.chars().any(|c| c.is_ascii_digit());
    if !pw_ok {
        return Err(invalid(
            "internet banking password",
            "8 to 64 characters with both letters and digits",
        ));
    }
    if pw.to_lowercase().contains(&banking_id) {
        return Err(invalid("internet banking password", "must not contain the ID"));
    }
    if e.accounts.is_empty() {
        return Err(invalid("accounts", "at least one withdrawal account is needed (출금계좌)"));
    }
    let mut accounts = Vec::new();
    for a in &e.accounts {
        let number = account_digits(&a.number);
        if !(10..=14).contains(&number.len())
            || a.number.chars().any(|c| !c.is_ascii_digit() && c != '-')
        {
            return Err(invalid(
                "account number",
                format!("{:?} must be 10 to 14 digits, e.g. 123-456-789012", a.number),
            ));
        }
        if accounts.contains(&number) {
            return Err(invalid("account number", format!("{} is given twice", a.number)));
        }
        if !secret::is_digits(&a.password, 4) {
            return Err(invalid(
                "account password",
                format!("the password of {} must be 4 digits", a.number),
            ));
        }
        if a.balance < 0 {
            return Err(invalid(
                "balance",
                format!("the balance of {} cannot be negative", a.number),
            ));
        }
        accounts.push(number);
    }
    if let Some(card) = &e.id_card {
        if !card.number.chars().any(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid("ID card number", "give the number printed on the card"));
        }
        if card.issue_date > now.date() {
            return Err(invalid("ID card issue date", "is in the future"));
        }
        if card.kind == IdCardKind::Resident {
            let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
            let same = match (&e.rrn, Rrn::new(&digits)) {
                (Some(rrn), Ok(card_rrn)) => rrn.expose_digits() == card_rrn.expose_digits(),
                _ => false,
            };
            if !same {
                return Err(invalid(
                    "ID card number",
                    "a resident card's number is the customer's RRN, and it differs",
                ));
            }
        }
    }
    Ok(Checked {
        name,
        phone: pretty_phone(&phone),
        email,
        address,
        banking_id,
        business_number,
        accounts,
    })
}

impl Identity {
    /// Enrols a customer (as `actor`: the staff member or the operator), all in one
    /// transaction with its audit entry, then registers the ID card with the issuer.
    pub async fn enrol(
        &self,
        e: &Enrolment,
        actor: Actor,
        now: OffsetDateTime,
    ) -> Result<Enrolled, EnrolError> {
        let c = check(e, now)?;
        let banking_password_hash = secret::hash_password(&e.banking_password)?;
        let mut accounts = Vec::new();
        for (spec, number) in e.accounts.iter().zip(&c.accounts) {
            accounts.push(NewAccount {
                number: number.clone(),
                password_hash: secret::hash_password(&spec.password)?,
                balance: spec.balance,
            });
        }
        let (rrn_lookup, rrn_sealed) = match &e.rrn {
            Some(rrn) => (
                Some(self.vault.lookup_hash(Purpose::Rrn, rrn.expose_digits())?),
                Some(self.vault.seal(Purpose::Rrn, rrn.expose_digits())?),
            ),
            None => (None, None),
        };
        let new = NewCustomer {
            kind: e.kind,
            name: c.name.clone(),
            rrn_lookup,
            rrn_sealed,
            business_number: c.business_number.clone(),
            phone: c.phone,
            email: c.email,
            address: c.address,
            banking_id: c.banking_id.clone(),
            banking_password_hash,
        };
        let mut tx = self.store.begin().await?;
        let customer_id = tx.insert_customer(&new, now).await?;
        for a in &accounts {
            tx.insert_account(customer_id, a, "계좌 개설 입금", now).await?;
        }
        let (security_card, otp) =
            self.put_second_factor(&mut tx, customer_id, &c.banking_id, e.second_factor).await?;
        let detail = json!({
            "kind": e.kind.as_str(),
            "banking_id": c.banking_id,
            "accounts": c.accounts.iter().map(|a| mask_account(a)).collect::<Vec<_>>(),
            "second_factor": e.second_factor,
            "security_card": security_card.as_ref().map(|s| s.serial.clone()),
            "otp": otp.as_ref().map(|o| o.serial.clone()),
            "id_card": e.id_card.as_ref().map(|card| card.kind.as_str()),
        });
        let event =
            AuditEvent::new(actor, "customer.enrol", format!("customer:{customer_id}"), detail);
        tx.audit(&event, now).await?;
        tx.commit().await?;

        if let Some(card) = &e.id_card {
            let card = IdCard::new(card.kind, &card.number, card.issue_date, &c.name);
            if let Err(source) = self.outside.register_id_card(&card, now).await {
                return Err(EnrolError::IdCardNotRegistered { customer_id, source });
            }
        }
        Ok(Enrolled { customer_id, security_card, otp })
    }

    /// Hands an enrolled customer a new security card or OTP device (a lost card, a switch to
    /// OTP); the old one of the same kind stops working. Audited as `customer.second_factor`.
    pub async fn give_second_factor(
        &self,
        customer_id: i64,
        kind: SecondFactorKind,
        actor: Actor,
        now: OffsetDateTime,
    ) -> Result<Enrolled, EnrolError> {
        let mut tx = self.store.begin().await?;
        let Some(customer) = tx.customer(customer_id).await? else {
            return Err(EnrolError::NoSuchCustomer(customer_id));
        };
        let (security_card, otp) =
            self.put_second_factor(&mut tx, customer_id, &customer.banking_id, kind).await?;
        let detail = json!({
            "second_factor": kind,
            "security_card": security_card.as_ref().map(|s| s.serial.clone()),
            "otp": otp.as_ref().map(|o| o.serial.clone()),
        });
        let event = AuditEvent::new(
            actor,
            "customer.second_factor",
            format!("customer:{customer_id}"),
            detail,
        );
        tx.audit(&event, now).await?;
        tx.commit().await?;
        Ok(Enrolled { customer_id, security_card, otp })
    }

    async fn put_second_factor(
        &self,
        tx: &mut Tx,
        customer_id: i64,
        banking_id: &str,
        kind: SecondFactorKind,
    ) -> Result<(Option<IssuedSecurityCard>, Option<IssuedOtp>), EnrolError> {
        match kind {
            SecondFactorKind::None => Ok((None, None)),
            SecondFactorKind::SecurityCard => {
                let (serial, codes) = security_card::generate();
                let sealed = self.vault.seal(Purpose::SecurityCard, codes.as_bytes())?;
                tx.put_security_card(customer_id, &serial, &sealed).await?;
                Ok((Some(IssuedSecurityCard { serial, codes }), None))
            }
            SecondFactorKind::Otp => {
                let mut seed = Zeroizing::new([0u8; otp::SEED_LEN]);
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, seed.as_mut());
                let serial = format!("OTP{}", secret::digits(10).as_str());
                let sealed = self.vault.seal(Purpose::OtpSeed, seed.as_ref())?;
                tx.put_otp_device(customer_id, &serial, &sealed).await?;
                let secret_base32 = Zeroizing::new(otp::totp(seed.as_ref())?.get_secret_base32());
                let issuer = utf8_percent_encode(&self.bank.name, NON_ALPHANUMERIC).to_string();
                let account = utf8_percent_encode(banking_id, NON_ALPHANUMERIC).to_string();
                let uri = Zeroizing::new(format!(
                    "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
                    secret_base32.as_str()
                ));
                Ok((None, Some(IssuedOtp { serial, secret_base32, uri })))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_print_as_koreans_write_them() {
        assert_eq!(pretty_phone("01012345678"), "010-1234-5678");
        assert_eq!(pretty_phone("0111234567"), "011-123-4567");
    }
}
