//! The remote-signing service behind `/csc/v1/` (Cloud Signature Consortium API v1 shape):
//! a customer logs in with the internet-banking ID and password (a bearer token, kept as a
//! hash, with expiry), lists their financial credentials, authorizes one with the PIN (→ SAD:
//! single use, five minutes, bound to the credential and the number of hashes), and has hashes
//! signed. Five wrong PINs in a row lock the holder until `financial-reissue`. Audited.

use base64::Engine as _;
use der::Decode;
use dojang_identity::{Answer, Check};
use dojang_pki::Serial;
use dojang_profile::ProductId;
use dojang_store::{Actor, AuditEvent, CertificateRecord, Customer, SadTaking};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::custody::{self, CustodyError};
use super::keys::{self, KeyError, ID_SHA256};
use super::pin::Pin;
use super::PIN_TRIES;
use crate::engine::{cert_state, Flows};

/// How long a bearer token lasts.
pub const SESSION_TTL: Duration = Duration::minutes(30);
/// How long a SAD lasts.
pub const SAD_TTL: Duration = Duration::minutes(5);
/// The most hashes one authorization may sign.
pub const MAX_SIGNATURES: u32 = 100;

/// Why a remote-signing request was refused. `code` follows the CSC API's error names where
/// one fits; no variant holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum CscError {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("the access token is missing, unknown or expired; log in again")]
    InvalidToken,
    #[error("the internet-banking ID or password is wrong")]
    Login { ko: String, en: String, locked: bool },
    #[error("no such credential of this customer")]
    UnknownCredential,
    #[error("the credential's certificate is {0}")]
    CredentialState(&'static str),
    #[error("the PIN is wrong; {attempts_left} tries left before it locks")]
    WrongPin { attempts_left: u32 },
    #[error("the PIN is locked after {PIN_TRIES} wrong tries; check your identity again with financial-reissue")]
    PinLocked,
    #[error("the SAD is invalid, used or expired; authorize again")]
    InvalidSad,
    #[error("internal error")]
    Internal(String),
}

impl CscError {
    fn internal(e: impl std::fmt::Display) -> Self {
        CscError::Internal(e.to_string())
    }

    /// The customer's internet banking is locked (전자금융 잠김).
    fn customer_locked() -> Self {
        CscError::Login {
            ko: "전자금융 이용이 잠겨 있습니다. 영업점이나 고객센터에 문의해 주세요.".into(),
            en: "the customer's internet banking is locked".into(),
            locked: true,
        }
    }

    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            CscError::InvalidRequest(_) => "invalid_request",
            CscError::InvalidToken => "invalid_token",
            CscError::Login { .. } => "authentication_error",
            CscError::UnknownCredential => "invalid_credential",
            CscError::CredentialState(_) => "credential_not_usable",
            CscError::WrongPin { .. } => "invalid_pin",
            CscError::PinLocked => "pin_locked",
            CscError::InvalidSad => "invalid_sad",
            CscError::Internal(_) => "internal",
        }
    }

    /// The HTTP status it deserves.
    pub fn status(&self) -> u16 {
        match self {
            CscError::InvalidToken => 401,
            CscError::Login { locked: true, .. } | CscError::PinLocked => 423,
            CscError::Login { .. } => 401,
            CscError::Internal(_) => 500,
            CscError::CredentialState(_) => 422,
            _ => 400,
        }
    }

    pub fn message_ko(&self) -> String {
        match self {
            CscError::InvalidRequest(why) => format!("요청을 확인해 주세요: {why}"),
            CscError::InvalidToken => "로그인이 필요하거나 만료되었습니다. 다시 로그인해 주세요.".into(),
            CscError::Login { ko, .. } => ko.clone(),
            CscError::UnknownCredential => "해당 금융인증서를 찾을 수 없습니다. 인증서 목록을 확인해 주세요.".into(),
            // A suspended certificate comes back with 효력회복; a reissue would revoke it.
            CscError::CredentialState("suspended") => "이 금융인증서는 효력정지 상태라 서명할 수 없습니다. 효력회복은 영업점이나 고객센터에 문의해 주세요.".into(),
            CscError::CredentialState(s) => format!(
                "이 금융인증서는 {} 상태라 서명할 수 없습니다. 인증센터에서 재발급받아 주세요.",
                match *s { "revoked" => "폐기", "expired" => "만료", o => o }
            ),
            CscError::WrongPin { attempts_left } => format!(
                "금융인증서 비밀번호가 틀렸습니다. {attempts_left}번 더 틀리면 잠깁니다."
            ),
            CscError::PinLocked => "금융인증서 비밀번호를 5회 잘못 입력해 잠겼습니다. 금융인증서 재발급에서 본인 확인 후 새 비밀번호를 정해 주세요.".into(),
            CscError::InvalidSad => "서명 승인이 만료되었거나 이미 사용되었습니다. 비밀번호를 다시 입력해 주세요.".into(),
            CscError::Internal(_) => "일시적인 오류로 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            CscError::Login { en, .. } => en.clone(),
            CscError::Internal(_) => {
                "the center could not complete the request; try again later".into()
            }
            other => other.to_string(),
        }
    }
}

fn sha256(b: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b).as_ref().to_vec()
}

fn random_token() -> Result<(String, Vec<u8>), CscError> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).map_err(CscError::internal)?;
    Ok((base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b), b.to_vec()))
}

/// A logged-in session.
pub struct Session {
    pub access_token: String,
    pub expires_in: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session(expires_in {})", self.expires_in)
    }
}

/// A signature activation.
pub struct Activation {
    pub sad: String,
    pub expires_in: i64,
}

impl std::fmt::Debug for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Activation(expires_in {})", self.expires_in)
    }
}

/// What `signHash` gives back.
pub struct Signed {
    /// Base64, one per hash, in order.
    pub signatures: Vec<String>,
    /// R, the VID random value kept with the key (PIN-protected like the key itself), so the
    /// holder can show at certificate login that the certificate is theirs. `None` for a
    /// business certificate or one kept before R was.
    pub random_num: Option<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signed({} signatures)", self.signatures.len())
    }
}

/// What `credentials/info` tells about a credential.
#[derive(Clone, Debug)]
pub struct Credential {
    pub serial: Serial,
    pub status: &'static str,
    pub key_type: String,
    pub auto_renew: bool,
    pub subject: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub certificate_der: Vec<u8>,
    pub chain_der: Vec<Vec<u8>>,
    pub pin_locked: bool,
    pub pin_failures: u32,
}

impl Flows {
    async fn audit_csc(
        &self,
        who: i64,
        action: &str,
        target: String,
        extra: serde_json::Value,
        now: OffsetDateTime,
    ) {
        let event = AuditEvent::new(Actor::Customer(who), action, target, extra);
        if let Err(e) = self.store.audit(&event, now).await {
            tracing::error!(error = %e, action, "audit entry not written");
        }
    }

    /// `auth/login`: the internet-banking ID and password (checked, counted and locked by
    /// `dojang-identity`) give a bearer token.
    pub async fn csc_login(
        &self,
        banking_id: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<Session, CscError> {
        let wrong = || CscError::Login {
            ko: "인터넷뱅킹 아이디 또는 비밀번호가 틀렸습니다.".into(),
            en: "the internet-banking ID or password is wrong".into(),
            locked: false,
        };
        let customer = self
            .store
            .customer_by_banking_id(banking_id.trim())
            .await
            .map_err(CscError::internal)?
            .ok_or_else(wrong)?;
        let answer = Answer::BankingLogin {
            id: banking_id.trim().to_string(),
            password: password.to_string(),
        };
        self.identity
            .answer(Check::BankingLogin, &customer, "csc-login", &answer, now)
            .await
            .map_err(|e| {
                if e.is_customer_error() {
                    CscError::Login {
                        ko: e.message_ko(),
                        en: e.message_en(),
                        locked: e.code().contains("lock"),
                    }
                } else {
                    CscError::internal(e.message_en())
                }
            })?;
        if customer.is_locked() {
            return Err(CscError::customer_locked());
        }
        let (token, raw) = random_token()?;
        self.store
            .create_csc_session(&sha256(&raw), customer.id, now, now + SESSION_TTL)
            .await
            .map_err(CscError::internal)?;
        self.audit_csc(
            customer.id,
            "csc.login",
            format!("customer:{}", customer.id),
            json!({}),
            now,
        )
        .await;
        Ok(Session { access_token: token, expires_in: SESSION_TTL.whole_seconds() })
    }

    /// The customer behind a bearer token. A customer locked since the session opened (wrong
    /// banking passwords, or the bank's staff after a fraud report) signs no more: the session
    /// is ended, as a signature made with it would be good at every other bank too.
    pub async fn csc_customer(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Customer, CscError> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| CscError::InvalidToken)?;
        let hash = sha256(&raw);
        let id = self
            .store
            .csc_session(&hash, now)
            .await
            .map_err(CscError::internal)?
            .ok_or(CscError::InvalidToken)?;
        let customer = self
            .store
            .customer(id)
            .await
            .map_err(CscError::internal)?
            .ok_or(CscError::InvalidToken)?;
        if customer.is_locked() {
            self.store.end_csc_session(&hash).await.map_err(CscError::internal)?;
            return Err(CscError::customer_locked());
        }
        Ok(customer)
    }

    /// `auth/revoke`: ends the session.
    pub async fn csc_logout(&self, token: &str) -> Result<(), CscError> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| CscError::InvalidToken)?;
        self.store.end_csc_session(&sha256(&raw)).await.map_err(CscError::internal)
    }

    /// `credentials/list`: the customer's financial certificates in force, newest first.
    pub async fn csc_credentials(
        &self,
        customer: &Customer,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, CscError> {
        let keys = self.store.financial_keys_of(customer.id).await.map_err(CscError::internal)?;
        let live = self
            .live_financial(customer.id, now)
            .await
            .map_err(|e| CscError::internal(e.to_string()))?;
        Ok(keys
            .into_iter()
            .filter(|k| live.iter().any(|c| c.serial == k.serial))
            .map(|k| k.serial.to_hex())
            .collect())
    }

    async fn credential_of(
        &self,
        customer: &Customer,
        credential_id: &str,
    ) -> Result<(dojang_store::FinancialKey, CertificateRecord), CscError> {
        let serial: Serial =
            credential_id.trim().parse().map_err(|_| CscError::UnknownCredential)?;
        let key = self.store.financial_key(&serial).await.map_err(CscError::internal)?;
        let key =
            key.filter(|k| k.customer_id == customer.id).ok_or(CscError::UnknownCredential)?;
        let record = self
            .store
            .certificate(&serial)
            .await
            .map_err(CscError::internal)?
            .ok_or(CscError::UnknownCredential)?;
        if !record.product.parse::<ProductId>().is_ok_and(|p| p == ProductId::Financial) {
            return Err(CscError::UnknownCredential);
        }
        Ok((key, record))
    }

    /// `credentials/info`.
    pub async fn csc_credential(
        &self,
        customer: &Customer,
        credential_id: &str,
        now: OffsetDateTime,
    ) -> Result<Credential, CscError> {
        let (key, record) = self.credential_of(customer, credential_id).await?;
        let holder = self.store.financial_holder(customer.id).await.map_err(CscError::internal)?;
        Ok(Credential {
            serial: record.serial.clone(),
            status: cert_state(&record, now),
            key_type: key.key_type,
            auto_renew: key.auto_renew,
            subject: record.subject.clone(),
            not_before: record.not_before,
            not_after: record.not_after,
            certificate_der: record.der.clone(),
            chain_der: vec![self.ca.issuing_der().to_vec(), self.ca.root_der().to_vec()],
            // Out of tries is locked, whether or not the lock was recorded yet.
            pin_locked: holder
                .as_ref()
                .is_some_and(|h| h.locked_at.is_some() || h.failed_pins >= PIN_TRIES),
            pin_failures: holder.map_or(0, |h| h.failed_pins),
        })
    }

    /// Turns automatic renewal on or off for one credential.
    pub async fn csc_set_auto_renew(
        &self,
        customer: &Customer,
        credential_id: &str,
        on: bool,
        now: OffsetDateTime,
    ) -> Result<(), CscError> {
        let (key, _) = self.credential_of(customer, credential_id).await?;
        self.store
            .set_financial_auto_renew(&key.serial, customer.id, on)
            .await
            .map_err(CscError::internal)?;
        self.audit_csc(
            customer.id,
            "financial.auto-renew",
            format!("certificate:{}", key.serial.to_hex()),
            json!({ "on": on }),
            now,
        )
        .await;
        Ok(())
    }

    /// `credentials/authorize`: the PIN opens the key; the answer is a SAD for
    /// `num_signatures` hashes with this credential, once, within five minutes.
    pub async fn csc_authorize(
        &self,
        customer: &Customer,
        credential_id: &str,
        num_signatures: u32,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<Activation, CscError> {
        if num_signatures == 0 || num_signatures > MAX_SIGNATURES {
            return Err(CscError::InvalidRequest(format!(
                "numSignatures must be 1 to {MAX_SIGNATURES}"
            )));
        }
        let (key, record) = self.credential_of(customer, credential_id).await?;
        let state = cert_state(&record, now);
        if state != "good" {
            return Err(CscError::CredentialState(state));
        }
        let holder = self
            .store
            .financial_holder(customer.id)
            .await
            .map_err(CscError::internal)?
            .ok_or(CscError::UnknownCredential)?;
        if holder.locked_at.is_some() {
            return Err(CscError::PinLocked);
        }
        let serial_hex = key.serial.to_hex();
        let target = format!("certificate:{serial_hex}");
        // The try is taken before the (slow) PIN check, so that concurrent wrong PINs cannot
        // all see "not yet locked" and get past the limit together.
        let reserved = self
            .store
            .financial_pin_reserve(customer.id, PIN_TRIES, now)
            .await
            .map_err(CscError::internal)?;
        let Some(try_number) = reserved else {
            // Out of tries, yet not locked: tries whose end was never recorded (a request
            // dropped, an error) count as wrong ones, and the lock they add up to is recorded
            // now, so that it shows and is audited like any other.
            let locked_now = self
                .store
                .financial_pin_lock(customer.id, PIN_TRIES, now)
                .await
                .map_err(CscError::internal)?;
            if locked_now {
                let after = json!({ "after": PIN_TRIES, "unsettled_tries": true });
                self.audit_csc(customer.id, "financial.pin-locked", target, after, now).await;
            }
            return Err(CscError::PinLocked);
        };
        // A PIN not even of the form counts as a wrong one, without the Argon2 cost.
        let opened = match Pin::parse(pin) {
            Err(_) => Err(CustodyError::WrongPin),
            Ok(pin) => {
                let vault = self.vault.clone();
                let (public, sealed, wrapped, serial, cid) = (
                    holder.holder_public.clone(),
                    holder.holder_sealed.clone(),
                    key.wrapped.clone(),
                    serial_hex.clone(),
                    customer.id,
                );
                // The PIN opens the holder key, then the holder key the certificate's key: the
                // two outcomes apart, so that a right PIN is a right PIN even if the key it
                // opens turns out damaged.
                tokio::task::spawn_blocking(move || {
                    let open = custody::open_holder(&vault, cid, &public, &sealed, &pin)?;
                    Ok(open.unwrap_key(&vault, &public, &serial, &wrapped))
                })
                .await
                .map_err(CscError::internal)?
            }
        };
        let pkcs8 = match opened {
            Ok(unwrapped) => {
                self.store.financial_pin_passed(customer.id).await.map_err(CscError::internal)?;
                unwrapped.map_err(CscError::internal)?
            }
            Err(CustodyError::WrongPin) => {
                // The lock follows this try's own number, not the live count: a right PIN
                // still in flight beside it must not be locked out by it.
                self.store
                    .financial_pin_failed(customer.id, try_number, PIN_TRIES, now)
                    .await
                    .map_err(CscError::internal)?;
                self.audit_csc(
                    customer.id,
                    "financial.pin-wrong",
                    target.clone(),
                    json!({ "in_a_row": try_number }),
                    now,
                )
                .await;
                if try_number >= PIN_TRIES {
                    self.audit_csc(
                        customer.id,
                        "financial.pin-locked",
                        target,
                        json!({ "after": try_number }),
                        now,
                    )
                    .await;
                    return Err(CscError::PinLocked);
                }
                return Err(CscError::WrongPin { attempts_left: PIN_TRIES - try_number });
            }
            Err(e) => return Err(CscError::internal(e)),
        };
        let (sad, raw) = random_token()?;
        let sealed = custody::seal_for_sad(&self.vault, &raw, &serial_hex, &pkcs8)
            .map_err(CscError::internal)?;
        self.store
            .create_csc_sad(
                &sha256(&raw),
                &key.serial,
                customer.id,
                num_signatures,
                &sealed,
                now,
                now + SAD_TTL,
            )
            .await
            .map_err(CscError::internal)?;
        self.audit_csc(
            customer.id,
            "csc.authorize",
            format!("certificate:{serial_hex}"),
            json!({ "num_signatures": num_signatures }),
            now,
        )
        .await;
        Ok(Activation { sad, expires_in: SAD_TTL.whole_seconds() })
    }

    /// `signatures/signHash`: signs each SHA-256 hash (base64) with the credential the SAD
    /// was made for. Everything that can be checked without the SAD is checked first — the
    /// algorithms, each hash's length, the credential and its state, and (in the same
    /// transaction that takes it) the number of hashes the SAD was made for — so a malformed
    /// request costs the customer no PIN; once taken, the SAD is spent whatever happens next.
    #[allow(clippy::too_many_arguments)]
    pub async fn csc_sign_hash(
        &self,
        customer: &Customer,
        credential_id: &str,
        sad: &str,
        hashes: &[String],
        hash_algo: Option<&str>,
        sign_algo: &str,
        now: OffsetDateTime,
    ) -> Result<Signed, CscError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        if let Some(h) = hash_algo {
            if h.trim() != ID_SHA256.to_string() {
                return Err(CscError::InvalidRequest(format!(
                    "hashAlgo must be {ID_SHA256} (SHA-256)"
                )));
            }
        }
        let sign_algo: der::asn1::ObjectIdentifier = sign_algo
            .trim()
            .parse()
            .map_err(|_| CscError::InvalidRequest("signAlgo is not an OID".into()))?;
        if hashes.is_empty() {
            return Err(CscError::InvalidRequest("hash is empty".into()));
        }
        let digests = hashes
            .iter()
            .map(|h| {
                let d = b64
                    .decode(h.trim())
                    .map_err(|_| CscError::InvalidRequest("a hash is not base64".into()))?;
                if d.len() != keys::SHA256_LEN {
                    return Err(CscError::InvalidRequest(KeyError::HashLength.to_string()));
                }
                Ok(d)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let count = u32::try_from(digests.len())
            .map_err(|_| CscError::InvalidRequest("too many hashes".into()))?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sad.trim())
            .map_err(|_| CscError::InvalidSad)?;
        let (key, record) = self.credential_of(customer, credential_id).await?;
        let certificate =
            x509_cert::Certificate::from_der(&record.der).map_err(CscError::internal)?;
        let spki = &certificate.tbs_certificate.subject_public_key_info;
        match keys::sign_algo_of_public_key(spki.algorithm.oid) {
            Some(expected) if expected == sign_algo => {}
            Some(expected) => {
                return Err(CscError::InvalidRequest(format!(
                    "{}; this credential signs with {expected}",
                    KeyError::WrongAlgorithm(sign_algo.to_string())
                )))
            }
            None => {
                return Err(CscError::internal("a financial certificate's key of no known kind"))
            }
        }
        let state = cert_state(&record, now);
        if state != "good" {
            return Err(CscError::CredentialState(state));
        }
        let taken = match self
            .store
            .take_csc_sad(&sha256(&raw), count, now)
            .await
            .map_err(CscError::internal)?
        {
            SadTaking::Taken(taken) => taken,
            SadTaking::Unknown => return Err(CscError::InvalidSad),
            SadTaking::WrongCount { authorized } => {
                return Err(CscError::InvalidRequest(format!(
                    "the SAD was authorized for {authorized} hashes, {count} were sent"
                )))
            }
        };
        if taken.serial != key.serial || taken.customer_id != customer.id {
            return Err(CscError::InvalidSad);
        }
        let pkcs8 =
            custody::open_for_sad(&self.vault, &raw, &key.serial.to_hex(), &taken.sealed_key)
                .map_err(|_| CscError::InvalidSad)?;
        let kept = keys::from_kept(&pkcs8).map_err(CscError::internal)?;
        let mut out = Vec::with_capacity(digests.len());
        for d in &digests {
            let sig = kept.key.sign_hash(sign_algo, d).map_err(|e| match e {
                KeyError::WrongAlgorithm(_) | KeyError::HashLength => {
                    CscError::InvalidRequest(e.to_string())
                }
                other => CscError::internal(other),
            })?;
            out.push(b64.encode(sig));
        }
        self.audit_csc(
            customer.id,
            "csc.sign",
            format!("certificate:{}", key.serial.to_hex()),
            json!({ "signatures": out.len(), "sign_algo": sign_algo.to_string() }),
            now,
        )
        .await;
        Ok(Signed { signatures: out, random_num: kept.random_num })
    }
}
