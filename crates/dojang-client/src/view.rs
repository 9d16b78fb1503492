//! What the center shows of a flow, typed. Unknown fields are ignored and most fields default,
//! so a center that says more (a newer version) does not break an older client.

use std::fmt;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::ClientError;

/// What a flow is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowKind {
    /// 신규 발급.
    Issue,
    /// 재발급: the old certificate is revoked (superseded), the new one keeps its end date.
    Reissue,
    /// 갱신: in the last 30 days, with the current certificate.
    Renew,
    /// 폐기.
    Revoke,
    /// 효력정지.
    Suspend,
    /// 효력회복.
    Resume,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Issue => "issue",
            FlowKind::Reissue => "reissue",
            FlowKind::Renew => "renew",
            FlowKind::Revoke => "revoke",
            FlowKind::Suspend => "suspend",
            FlowKind::Resume => "resume",
        }
    }

    /// The flow's name as the certificate center's menu says it.
    pub fn korean(self) -> &'static str {
        match self {
            FlowKind::Issue => "인증서 발급",
            FlowKind::Reissue => "인증서 재발급",
            FlowKind::Renew => "인증서 갱신",
            FlowKind::Revoke => "인증서 폐기",
            FlowKind::Suspend => "인증서 효력정지",
            FlowKind::Resume => "인증서 효력회복",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            FlowKind::Issue => "certificate issue",
            FlowKind::Reissue => "certificate reissue",
            FlowKind::Renew => "certificate renewal",
            FlowKind::Revoke => "certificate revocation",
            FlowKind::Suspend => "certificate suspension",
            FlowKind::Resume => "certificate resumption",
        }
    }

    /// Whether the flow ends with a new certificate (and so a key pair made here).
    pub fn issues(self) -> bool {
        matches!(self, FlowKind::Issue | FlowKind::Reissue | FlowKind::Renew)
    }
}

/// How the customer proves it is them for revoke, suspend and resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// With the certificate itself: its key signs the flow's nonce (its password opens it).
    Certificate,
    /// By identity checks (a lost certificate).
    Identity,
}

/// One step of a flow. The center names them; a name this client does not know is kept as
/// [`Step::Unknown`] so that the client can say so instead of failing to read the flow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Step {
    Terms,
    Identify,
    Product,
    Select,
    Possession,
    CheckArs,
    CheckSms,
    CheckSecurityCard,
    CheckOtp,
    CheckSecondFactor,
    CheckIdCard,
    CheckOneWon,
    Payment,
    Reason,
    Confirm,
    Csr,
    Unknown(String),
}

const STEP_NAMES: [(Step, &str); 16] = [
    (Step::Terms, "terms"),
    (Step::Identify, "identify"),
    (Step::Product, "product"),
    (Step::Select, "select"),
    (Step::Possession, "possession"),
    (Step::CheckArs, "check-ars"),
    (Step::CheckSms, "check-sms"),
    (Step::CheckSecurityCard, "check-security-card"),
    (Step::CheckOtp, "check-otp"),
    (Step::CheckSecondFactor, "check-second-factor"),
    (Step::CheckIdCard, "check-id-card"),
    (Step::CheckOneWon, "check-one-won"),
    (Step::Payment, "payment"),
    (Step::Reason, "reason"),
    (Step::Confirm, "confirm"),
    (Step::Csr, "csr"),
];

impl Step {
    /// The name in the step's URL (`check-ars`).
    pub fn name(&self) -> &str {
        match self {
            Step::Unknown(n) => n,
            known => STEP_NAMES.iter().find(|(s, _)| s == known).map(|(_, n)| *n).unwrap_or(""),
        }
    }

    pub fn from_name(name: &str) -> Step {
        STEP_NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| Step::Unknown(name.to_string()))
    }

    /// Checks that pose a challenge first (`{"action":"start"}`) and then take the answer.
    pub fn is_challenge(&self) -> bool {
        matches!(
            self,
            Step::CheckArs
                | Step::CheckSms
                | Step::CheckSecurityCard
                | Step::CheckOtp
                | Step::CheckSecondFactor
                | Step::CheckIdCard
                | Step::CheckOneWon
        )
    }
}

impl From<String> for Step {
    fn from(s: String) -> Step {
        Step::from_name(&s)
    }
}

impl From<Step> for String {
    fn from(s: Step) -> String {
        s.name().to_string()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One step of the plan, numbered for the step indicator (`[3/8] ARS 인증`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInfo {
    pub name: Step,
    pub number: usize,
    pub total: usize,
    #[serde(default)]
    pub title_ko: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub done: bool,
}

impl StepInfo {
    /// The title in Korean (`korean`) or English; the step's name when the center gave none.
    pub fn title(&self, korean: bool) -> &str {
        let t = if korean { &self.title_ko } else { &self.title_en };
        if t.is_empty() {
            self.name.name()
        } else {
            t
        }
    }
}

/// A flow as the center shows it.
#[derive(Clone, Deserialize, Serialize)]
pub struct FlowView {
    pub id: String,
    pub kind: FlowKind,
    pub finished: bool,
    /// The step to take now (absent once finished).
    #[serde(default)]
    pub next: Option<StepInfo>,
    #[serde(default)]
    pub steps: Vec<StepInfo>,
    /// When the flow expires if left idle (RFC 3339).
    #[serde(default)]
    pub expires_at: String,
    /// What the last step produced; read it with the typed accessors.
    #[serde(default)]
    pub output: serde_json::Value,
    /// For flows that use the current certificate: the bytes (base64) its key signs.
    #[serde(default)]
    pub possession_nonce: Option<String>,
}

/// The output may hold R (`random_num`), which with the RRN proves identity: `Debug` shows
/// only which fields it has.
impl fmt::Debug for FlowView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<&str> = match &self.output {
            serde_json::Value::Object(m) => m.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        f.debug_struct("FlowView")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("finished", &self.finished)
            .field("next", &self.next.as_ref().map(|s| s.name.name()))
            .field("steps", &self.steps.len())
            .field("expires_at", &self.expires_at)
            .field("output", &fields)
            .finish()
    }
}

impl FlowView {
    /// The last step's output as `T`.
    pub fn output_as<T: DeserializeOwned>(&self, what: &str) -> Result<T, ClientError> {
        serde_json::from_value(self.output.clone())
            .map_err(|e| ClientError::BadResponse { what: what.to_string(), reason: e.to_string() })
    }

    /// The next step, if the flow is not finished.
    pub fn next_step(&self) -> Option<&Step> {
        self.next.as_ref().map(|s| &s.name)
    }

    /// The terms the start of an issuing flow lists (empty for other flows).
    pub fn terms(&self) -> Vec<Term> {
        #[derive(Deserialize)]
        struct Out {
            #[serde(default)]
            terms: Vec<Term>,
        }
        serde_json::from_value::<Out>(self.output.clone()).map(|o| o.terms).unwrap_or_default()
    }

    /// What a started challenge asks for.
    pub fn prompt(&self) -> Option<Prompt> {
        #[derive(Deserialize)]
        struct Out {
            prompt: Prompt,
        }
        serde_json::from_value::<Out>(self.output.clone()).ok().map(|o| o.prompt)
    }

    /// The fee the flow will charge, when the last step said it (product, possession, payment,
    /// confirm, csr).
    pub fn fee_krw(&self) -> Option<i64> {
        self.output.get("fee_krw").and_then(serde_json::Value::as_i64)
    }

    /// The possession nonce, decoded.
    pub fn nonce(&self) -> Result<Vec<u8>, ClientError> {
        let text = self.possession_nonce.as_deref().ok_or_else(|| ClientError::BadResponse {
            what: "the flow".into(),
            reason: "it asks for proof of possession but has no possession_nonce".into(),
        })?;
        base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| {
            ClientError::BadResponse {
                what: "the flow".into(),
                reason: "possession_nonce is not base64".into(),
            }
        })
    }
}

/// One of the terms (약관) of an issuing flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub id: String,
    pub title_ko: String,
    #[serde(default)]
    pub title_en: String,
    pub mandatory: bool,
    #[serde(default)]
    pub text_ko: String,
}

/// What a started check asks the customer for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// The check actually asked for (`ars`, `sms`, `security-card`, `otp`, `id-card`,
    /// `one-won-transfer`); for `check-second-factor` it says whether the card or the OTP.
    #[serde(default)]
    pub check: String,
    /// The instruction in Korean and English.
    #[serde(default)]
    pub ko: String,
    #[serde(default)]
    pub en: String,
    /// Where the code went, masked (`010-****-5678`).
    #[serde(default)]
    pub sent_to: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub attempts_left: Option<u32>,
    /// The security-card positions asked for.
    #[serde(default)]
    pub card: Option<CardQuestion>,
    /// How many digits the answer has.
    #[serde(default)]
    pub digits: Option<u8>,
}

impl Prompt {
    pub fn text(&self, korean: bool) -> &str {
        if korean || self.en.is_empty() {
            &self.ko
        } else {
            &self.en
        }
    }

    /// The challenge is the security card's.
    pub fn is_security_card(&self) -> bool {
        self.check == "security-card" || self.card.is_some()
    }
}

/// A security-card challenge: the front two digits of code `first`, the back two of `second`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardQuestion {
    pub first: u8,
    pub second: u8,
}

/// The customer, as the identify step found them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identified {
    #[serde(default)]
    pub name: String,
    /// `person` or `business`.
    #[serde(default)]
    pub kind: String,
}

/// The product step's output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductChosen {
    pub product: String,
    #[serde(default)]
    pub name_ko: Option<String>,
    #[serde(default)]
    pub fee_krw: i64,
    #[serde(default)]
    pub validity_days: Option<u32>,
}

/// The certificate a select or possession step settled on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub serial: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub not_after: Option<String>,
    #[serde(default)]
    pub fee_krw: Option<i64>,
}

/// The payment step's output: the account (masked) the fee will come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAccepted {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub fee_krw: i64,
    #[serde(default)]
    pub note_ko: Option<String>,
}

/// The reason step's output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonGiven {
    pub reason: String,
    #[serde(default)]
    pub reason_ko: Option<String>,
}

/// The confirm step's output: the summary, and for issuing flows the subject the CSR must
/// carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub kind_ko: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub fee_krw: i64,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub target_serial: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub product_ko: Option<String>,
    /// The subject in the Korean text form (`cn=…,ou=…,o=…,c=kr`).
    #[serde(default)]
    pub subject: Option<String>,
    /// The subject in OpenSSL's `-subj` form, which the CSR must carry.
    #[serde(default)]
    pub csr_subject: Option<String>,
    #[serde(default)]
    pub validity_days: Option<u32>,
    /// A reissue keeps the old end of validity (RFC 3339).
    #[serde(default)]
    pub not_after: Option<String>,
    /// The key types the product allows (`rsa2048`, `p256`).
    #[serde(default)]
    pub key_types: Vec<String>,
    #[serde(default)]
    pub password_rule_ko: Option<String>,
}

/// The csr step's output: the new certificate.
#[derive(Clone, Deserialize, Serialize)]
pub struct Issued {
    pub serial: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub product: String,
    pub not_before: String,
    pub not_after: String,
    pub certificate_pem: String,
    /// The issuing CA's certificate, then the root's.
    #[serde(default)]
    pub chain_pem: Vec<String>,
    /// R, the VID random value (base64), for the key file's randomNum attribute. `None` for a
    /// business certificate.
    #[serde(default)]
    pub random_num: Option<String>,
    #[serde(default)]
    pub fee_krw: i64,
    #[serde(default)]
    pub account: Option<String>,
    /// The certificate this one replaced (revoked as superseded): reissue and renew.
    #[serde(default)]
    pub superseded: Option<String>,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("serial", &self.serial)
            .field("subject", &self.subject)
            .field("product", &self.product)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("random_num", &self.random_num.as_ref().map(|_| "<R>"))
            .field("fee_krw", &self.fee_krw)
            .field("superseded", &self.superseded)
            .finish_non_exhaustive()
    }
}

impl Issued {
    /// The certificate as DER (`signCert.der`).
    pub fn certificate_der(&self) -> Result<Vec<u8>, ClientError> {
        pem_to_der(&self.certificate_pem, "the certificate")
    }

    /// R decoded, if the certificate carries a VID.
    pub fn random_num(&self) -> Result<Option<Zeroizing<Vec<u8>>>, ClientError> {
        match self.random_num.as_deref() {
            None | Some("") => Ok(None),
            Some(text) => base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map(|r| Some(Zeroizing::new(r)))
                .map_err(|_| ClientError::BadResponse {
                    what: "the certificate".into(),
                    reason: "random_num is not base64".into(),
                }),
        }
    }
}

/// The end of a revoke, suspend or resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanged {
    pub serial: String,
    /// `revoked`, `suspended` or `good`.
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
}

/// A certificate PEM as DER.
pub fn pem_to_der(pem: &str, what: &str) -> Result<Vec<u8>, ClientError> {
    use der::Encode;
    // Read whole before its DER (dojang_pki::pem says why).
    let cert: x509_cert::Certificate = dojang_pki::pem::decode_as(pem.as_bytes(), "CERTIFICATE")
        .map_err(|e| ClientError::BadResponse { what: what.to_string(), reason: e.to_string() })?;
    cert.to_der()
        .map_err(|e| ClientError::BadResponse { what: what.to_string(), reason: e.to_string() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // The PEM that hung der 0.7's streaming reader (found by fuzzing), in an answer from a
    // center: refused, promptly.
    #[test]
    fn a_certificate_answer_with_a_short_pem_body_is_refused_not_hung() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
            let _ = tx.send(pem_to_der(pem, "the certificate").is_err());
        });
        // A bound against the hang, not a speed limit.
        assert!(rx.recv_timeout(std::time::Duration::from_secs(10)).expect("returned"));
    }

    #[test]
    fn steps_round_trip_and_unknown_ones_survive() {
        for (s, n) in STEP_NAMES.iter() {
            assert_eq!(Step::from_name(n), *s);
            assert_eq!(s.name(), *n);
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(n));
        }
        let u: Step = serde_json::from_value(serde_json::json!("check-retina")).unwrap();
        assert_eq!(u, Step::Unknown("check-retina".into()));
        assert_eq!(u.name(), "check-retina");
        assert!(Step::CheckArs.is_challenge() && !Step::Payment.is_challenge());
    }

    #[test]
    fn a_flow_view_reads_with_its_outputs() {
        let v: FlowView = serde_json::from_value(serde_json::json!({
            "id": "0123456789abcdef0123456789abcdef",
            "kind": "issue",
            "finished": false,
            "next": {"name": "check-ars", "number": 4, "total": 8, "title_ko": "ARS 인증", "title_en": "ARS phone check", "done": false},
            "steps": [],
            "expires_at": "2030-01-01T00:00:00Z",
            "output": {"prompt": {"check": "ars", "ko": "전화를 받아 승인번호를 입력하세요", "en": "Answer the call", "sent_to": "010-****-5678", "digits": 6, "attempts_left": 3, "card": null, "expires_at": null}},
            "possession_nonce": null,
            "something_new": 1
        }))
        .unwrap();
        assert_eq!(v.next_step(), Some(&Step::CheckArs));
        assert_eq!(v.next.as_ref().unwrap().title(true), "ARS 인증");
        let p = v.prompt().unwrap();
        assert_eq!(p.sent_to.as_deref(), Some("010-****-5678"));
        assert!(!p.is_security_card());
        assert!(v.terms().is_empty());
        assert!(v.nonce().is_err());
        assert!(format!("{v:?}").contains("prompt"));
    }

    #[test]
    fn debug_never_shows_r() {
        let v: FlowView = serde_json::from_value(serde_json::json!({
            "id": "x", "kind": "issue", "finished": true, "next": null, "steps": [],
            "expires_at": "", "output": {"serial": "01", "random_num": "c2VjcmV0LXItdmFsdWU="}
        }))
        .unwrap();
        let text = format!("{v:?}");
        assert!(!text.contains("c2VjcmV0"), "{text}");
        let issued: Issued = serde_json::from_value(serde_json::json!({
            "serial": "01", "not_before": "a", "not_after": "b", "certificate_pem": "",
            "random_num": "c2VjcmV0LXItdmFsdWU="
        }))
        .unwrap();
        assert!(!format!("{issued:?}").contains("c2VjcmV0"));
        assert_eq!(issued.random_num().unwrap().unwrap().as_slice(), b"secret-r-value");
    }
}
