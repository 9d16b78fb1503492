//! Certificate login (인증서 로그인), registration of other institutions' certificates (타기관
//! 인증서 등록/해제), and the relying-party check (`POST /api/v1/verify`).
//!
//! Login: `POST /api/v1/login/challenge` gives a nonce; the holder's key signs
//! `dojang_pki::possession::message(challenge_id, nonce)` — on the customer's PC, or in the
//! cloud for a financial certificate: the check does not care where — and `POST /api/v1/login`
//! sends the certificate, the signature and R. The center checks the signature, the chain,
//! validity, status (store, OCSP or CRL), and that the certificate is a customer's here with
//! the VID matching their RRN; then opens a session kept in the store (replicas share it).
//! Every refusal names its reason and is in the audit log.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use dojang_identity::{Answer, Check, IdentityError};
use dojang_npki::vid::Rrn;
use dojang_store::{Actor, AuditEvent, CertChallengeTake, Customer, LoginSession, NewRegistration};
use dojang_verify::{Cert, Refusal};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::input::{JsonBody, UrlPath};
use super::verify::{check, check_person, owner, CheckError, Checked};
use crate::center::Center;

type Shared = Arc<Center>;

/// A login challenge is answered within this.
const CHALLENGE_TTL: Duration = Duration::minutes(3);
/// A registration (ID + RRN, then the ARS code, then the certificate) within this.
const REGISTRATION_TTL: Duration = Duration::minutes(10);
/// A session lasts this long (Korean internet banking: 10–30 minutes).
const SESSION_TTL: Duration = Duration::minutes(30);

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/api/v1/login/challenge", post(challenge))
        .route("/api/v1/login", post(login))
        .route("/api/v1/session", get(session).delete(logout))
        .route("/api/v1/registrations", post(start_registration))
        .route("/api/v1/registrations/{id}/finish", post(finish_registration))
        .route("/api/v1/verify", post(verify))
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a login, registration or check did not go through.
#[derive(Debug)]
enum Failure {
    /// The certificate itself: expired, revoked, wrong person, unknown issuer…
    Refused(Refusal),
    ChallengeUnknown,
    ChallengeUsed,
    ChallengeExpired,
    /// The signature is not the certificate key's over this challenge.
    BadPossession,
    BadInput(String),
    CustomerLocked,
    /// A certificate of this bank needs no registration.
    OwnCertificate,
    AlreadyRegistered,
    Identity(IdentityError),
    Internal(String),
}

impl From<CheckError> for Failure {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::Refused(r) => Failure::Refused(r),
            CheckError::Internal(m) => Failure::Internal(m),
        }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure::Refused(r)
    }
}

fn internal(e: impl std::fmt::Display) -> Failure {
    Failure::Internal(e.to_string())
}

impl Failure {
    fn code(&self) -> String {
        match self {
            Failure::Refused(r) => r.code().into(),
            Failure::ChallengeUnknown => "challenge_unknown".into(),
            Failure::ChallengeUsed => "challenge_used".into(),
            Failure::ChallengeExpired => "challenge_expired".into(),
            Failure::BadPossession => "bad_signature_over_challenge".into(),
            Failure::BadInput(_) => "bad_input".into(),
            Failure::CustomerLocked => "customer_locked".into(),
            Failure::OwnCertificate => "own_certificate".into(),
            Failure::AlreadyRegistered => "already_registered".into(),
            Failure::Identity(e) => e.code().into(),
            Failure::Internal(_) => "internal".into(),
        }
    }

    fn messages(&self) -> (String, String) {
        match self {
            Failure::Refused(r) => (r.message_ko(), r.message_en()),
            Failure::ChallengeUnknown => ("로그인 요청을 찾을 수 없습니다. 처음부터 다시 시도해 주세요.".into(), "No such login challenge; start again.".into()),
            Failure::ChallengeUsed => ("이미 사용된 요청입니다 (한 번만 쓸 수 있습니다). 처음부터 다시 시도해 주세요.".into(), "This challenge was already used (it is good once); start again.".into()),
            Failure::ChallengeExpired => ("요청 시간이 지났습니다. 처음부터 다시 시도해 주세요.".into(), "The challenge expired; start again.".into()),
            Failure::BadPossession => ("전자서명이 인증서와 맞지 않습니다. 인증서와 개인키(signPri.key)가 짝이 맞는지 확인해 주세요.".into(), "The signature does not match the certificate; check that the certificate and its key (signPri.key) belong together.".into()),
            Failure::BadInput(why) => (format!("요청 내용이 올바르지 않습니다: {why}"), format!("The request is not valid: {why}")),
            Failure::CustomerLocked => ("고객님의 이용이 잠겨 있습니다. 영업점이나 고객센터에 문의해 주세요.".into(), "Your access is locked; contact a branch or the help desk.".into()),
            Failure::OwnCertificate => ("이 은행에서 발급한 인증서는 등록할 필요 없이 바로 로그인할 수 있습니다.".into(), "A certificate issued by this bank needs no registration; log in with it directly.".into()),
            Failure::AlreadyRegistered => ("이미 등록된 인증서입니다.".into(), "This certificate is already registered.".into()),
            Failure::Identity(e) => (e.message_ko(), e.message_en()),
            Failure::Internal(_) => ("인증센터에 일시적인 오류가 있습니다. 잠시 후 다시 시도해 주세요.".into(), "The center failed; try again in a moment.".into()),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Failure::Refused(Refusal::StatusUnavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Refused(Refusal::Malformed { .. }) | Failure::BadInput(_) => {
                StatusCode::BAD_REQUEST
            }
            Failure::Refused(_) | Failure::BadPossession => StatusCode::FORBIDDEN,
            Failure::ChallengeUnknown => StatusCode::NOT_FOUND,
            Failure::ChallengeUsed | Failure::AlreadyRegistered => StatusCode::CONFLICT,
            Failure::ChallengeExpired => StatusCode::GONE,
            Failure::CustomerLocked => StatusCode::LOCKED,
            Failure::OwnCertificate => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::Identity(IdentityError::Locked { .. } | IdentityError::CustomerLocked) => {
                StatusCode::LOCKED
            }
            Failure::Identity(IdentityError::CustomerNotFound) => StatusCode::NOT_FOUND,
            Failure::Identity(_) => StatusCode::FORBIDDEN,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if let Failure::Internal(m) = &self {
            tracing::error!(error = %m, "certificate login request failed");
        }
        let (ko, en) = self.messages();
        let attempts_left = match &self {
            Failure::Identity(IdentityError::WrongAnswer { attempts_left, .. }) => {
                Some(*attempts_left)
            }
            _ => None,
        };
        let mut body =
            serde_json::json!({ "error": self.code(), "message_ko": ko, "message_en": en });
        if let Some(n) = attempts_left {
            body["attempts_left"] = n.into();
        }
        (self.status(), Json(body)).into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

fn b64(what: &str, text: &str) -> Result<Vec<u8>, Failure> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(t.as_bytes())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.as_bytes()))
        .map_err(|_| Failure::BadInput(format!("{what} is not base64")))
}

/// A certificate as base64 DER or PEM text.
fn certificate(text: &str) -> Result<Vec<u8>, Failure> {
    if text.trim_start().starts_with("-----BEGIN") {
        let certs = dojang_verify::parse_certificates(text.as_bytes())
            .map_err(|e| Failure::BadInput(format!("the certificate PEM: {e}")))?;
        return certs
            .into_iter()
            .next()
            .map(|c| c.der)
            .ok_or_else(|| Failure::BadInput("no certificate".into()));
    }
    b64("the certificate", text)
}

fn chain(list: &[String]) -> Result<Vec<Vec<u8>>, Failure> {
    list.iter().take(8).map(|c| certificate(c)).collect()
}

fn random_id() -> Result<String, Failure> {
    let mut b = [0u8; 16];
    rand::RngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut b).map_err(internal)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn nonce() -> Result<Vec<u8>, Failure> {
    let mut b = vec![0u8; 32];
    rand::RngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut b).map_err(internal)?;
    Ok(b)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The holder's key signed the possession message of this challenge.
fn possession(cert_der: &[u8], id: &str, nonce: &[u8], signature: &str) -> Result<(), Failure> {
    let cert = Cert::from_der(cert_der)?;
    let sig = b64("the signature", signature)?;
    let message = dojang_pki::possession::message(id, nonce);
    dojang_verify::sig::verify_possession(
        &cert.cert.tbs_certificate.subject_public_key_info,
        &message,
        &sig,
    )
    .map_err(|_| Failure::BadPossession)
}

fn taken(t: CertChallengeTake) -> Result<dojang_store::TakenCertChallenge, Failure> {
    match t {
        CertChallengeTake::Taken(t) => Ok(t),
        CertChallengeTake::Unknown => Err(Failure::ChallengeUnknown),
        CertChallengeTake::Used => Err(Failure::ChallengeUsed),
        CertChallengeTake::Expired => Err(Failure::ChallengeExpired),
    }
}

/// What a verified certificate says, for answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    pub subject: String,
    /// Hex.
    pub serial: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// The trusted issuer (configuration name) the chain ends in.
    pub trusted_issuer: String,
    /// Issued by this bank.
    pub own: bool,
    pub not_after: String,
    /// The product, for certificates of this bank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Where the status came from: `local`, `ocsp` or `crl`.
    pub status_source: String,
}

fn view(c: &Center, checked: &Checked) -> CertificateView {
    let leaf = &checked.path.leaf;
    let product = if checked.path.own {
        let policies = leaf.policies();
        c.config
            .catalog
            .all()
            .iter()
            .find(|p| policies.contains(&p.policy_oid))
            .map(|p| p.id.to_string())
    } else {
        None
    };
    CertificateView {
        subject: leaf.subject(),
        serial: leaf.serial_hex(),
        issuer: leaf.issuer(),
        trusted_issuer: checked.path.trusted_issuer.clone(),
        own: checked.path.own,
        not_after: rfc3339(leaf.not_after()),
        product,
        status_source: checked.source.as_str().into(),
    }
}

/// Records a refusal (no secret: the code, and the serial when the certificate was readable).
async fn audit_refusal(
    c: &Center,
    action: &str,
    subject: String,
    f: &Failure,
    now: OffsetDateTime,
) {
    let event = AuditEvent::new(
        Actor::Anonymous,
        action,
        subject,
        serde_json::json!({ "reason": f.code() }),
    );
    if let Err(e) = c.store.audit(&event, now).await {
        tracing::error!(error = %e, "audit of a refused certificate login failed");
    }
}

fn subject_of(cert_der: &[u8]) -> String {
    Cert::from_der(cert_der)
        .map(|c| format!("certificate:{}", c.serial_hex()))
        .unwrap_or_else(|_| "certificate:?".into())
}

// ---------------------------------------------------------------------------------------------
// Login

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginChallenge {
    pub challenge_id: String,
    /// Base64; sign `"dojang proof of possession v1\n" + challenge_id + "\n" + nonce` (decoded).
    pub nonce: String,
    pub expires_at: String,
}

/// A login challenge: single use, expires in three minutes.
#[utoipa::path(post, path = "/api/v1/login/challenge", tag = "login",
    responses((status = 200, body = LoginChallenge)))]
async fn challenge(State(c): State<Shared>) -> Result<Json<LoginChallenge>, Failure> {
    let now = c.now();
    let id = random_id()?;
    let n = nonce()?;
    c.store
        .insert_cert_challenge(&id, "login", &n, None, now, now + CHALLENGE_TTL)
        .await
        .map_err(internal)?;
    Ok(Json(LoginChallenge {
        challenge_id: id,
        nonce: base64::engine::general_purpose::STANDARD.encode(&n),
        expires_at: rfc3339(now + CHALLENGE_TTL),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub challenge_id: String,
    /// The certificate: base64 DER (signCert.der) or PEM.
    pub certificate: String,
    /// Optional issuer certificates (base64 DER or PEM), to help find the path.
    #[serde(default)]
    pub chain: Vec<String>,
    /// Base64 signature over the possession message (SHA-256; RSA PKCS#1 v1.5 or ECDSA P-256).
    pub signature: String,
    /// R, the VID random value from the key file (base64).
    #[serde(default)]
    pub random_num: Option<String>,
    /// The internet-banking ID, when the customer typed it.
    #[serde(default)]
    pub banking_id: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("challenge_id", &self.challenge_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoggedIn {
    /// Bearer token for `Authorization: Bearer …`.
    pub session: String,
    pub expires_at: String,
    pub customer_name: String,
    pub banking_id: String,
    pub certificate: CertificateView,
}

/// Logs in with a certificate. Refusals: `expired`, `revoked`, `suspended`, `wrong_person`,
/// `unknown_issuer`, `not_registered`, `bad_signature`, `status_unavailable`, challenge errors.
#[utoipa::path(post, path = "/api/v1/login", tag = "login", request_body = LoginRequest,
    responses(
        (status = 200, body = LoggedIn),
        (status = 403, description = "Refused; `error` names the reason", body = super::flows::Problem),
        (status = 409, description = "Challenge already used", body = super::flows::Problem),
        (status = 410, description = "Challenge expired", body = super::flows::Problem)))]
async fn login(
    State(c): State<Shared>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoggedIn>, Failure> {
    let now = c.now();
    let subject = subject_of(&certificate(&req.certificate).unwrap_or_default());
    match login_inner(&c, req, now).await {
        Ok(v) => Ok(Json(v)),
        Err(f) => {
            audit_refusal(&c, "login.certificate.refused", subject, &f, now).await;
            Err(f)
        }
    }
}

async fn login_inner(
    c: &Center,
    req: LoginRequest,
    now: OffsetDateTime,
) -> Result<LoggedIn, Failure> {
    let challenge = taken(
        c.store.take_cert_challenge(&req.challenge_id, "login", now).await.map_err(internal)?,
    )?;
    let leaf = certificate(&req.certificate)?;
    possession(&leaf, &req.challenge_id, &challenge.nonce, &req.signature)?;
    let r = Zeroizing::new(match &req.random_num {
        Some(t) => b64("random_num", t)?,
        None => Vec::new(),
    });
    let checked = check(c, leaf, chain(&req.chain)?, now).await?;
    let customer = owner(c, &checked.path, req.banking_id.as_deref()).await?;
    if customer.is_locked() {
        return Err(Failure::CustomerLocked);
    }
    check_person(c, &customer, &checked.path, &r)?;
    open_session(c, &customer, &checked, now).await
}

async fn open_session(
    c: &Center,
    customer: &Customer,
    checked: &Checked,
    now: OffsetDateTime,
) -> Result<LoggedIn, Failure> {
    let mut token = Zeroizing::new([0u8; 32]);
    rand::RngCore::try_fill_bytes(&mut rand::rngs::OsRng, token.as_mut_slice())
        .map_err(internal)?;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.as_slice());
    let hash = Sha256::digest(text.as_bytes());
    let view = view(c, checked);
    let session = LoginSession {
        customer_id: customer.id,
        serial: view.serial.clone(),
        issuer: view.issuer.clone(),
        created_at: now,
        expires_at: now + SESSION_TTL,
    };
    let mut tx = c.store.begin().await.map_err(internal)?;
    tx.insert_login_session(hash.as_slice(), &session).await.map_err(internal)?;
    tx.audit(
        &AuditEvent::new(
            Actor::Customer(customer.id),
            "login.certificate",
            format!("customer:{}", customer.id),
            serde_json::json!({
                "serial": view.serial,
                "issuer": view.issuer,
                "trusted_issuer": view.trusted_issuer,
                "status_source": view.status_source,
            }),
        ),
        now,
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(LoggedIn {
        session: text,
        expires_at: rfc3339(session.expires_at),
        customer_name: customer.name.clone(),
        banking_id: customer.banking_id.clone(),
        certificate: view,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub customer_name: String,
    pub banking_id: String,
    pub serial: String,
    pub issuer: String,
    pub expires_at: String,
}

fn bearer_hash(headers: &HeaderMap) -> Vec<u8> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    Sha256::digest(token.as_bytes()).to_vec()
}

fn no_session(code: &str, ko: &str, en: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(serde_json::json!({ "error": code, "message_ko": ko, "message_en": en })),
    )
        .into_response()
}

/// Whether a session's certificate, issued by this bank, is still good here. Another
/// institution's certificate was checked at its issuer when the session opened; unregistering
/// it ends its sessions.
async fn still_good(c: &Center, s: &LoginSession) -> Result<bool, Failure> {
    let ours = c.ca.issuing_certificate().tbs_certificate.subject.to_string();
    if s.issuer != ours {
        return Ok(true);
    }
    let Ok(serial) = s.serial.parse::<dojang_pki::Serial>() else { return Ok(false) };
    Ok(matches!(c.store.status(&serial).await.map_err(internal)?, dojang_store::StatusOf::Good))
}

/// Who is logged in with this bearer token. A session ends as soon as its certificate is
/// revoked or suspended here, not only when it times out.
#[utoipa::path(get, path = "/api/v1/session", tag = "login",
    responses((status = 200, body = SessionView), (status = 401, body = super::flows::Problem)))]
async fn session(State(c): State<Shared>, headers: HeaderMap) -> Response {
    let hash = bearer_hash(&headers);
    let found = match c.store.login_session(&hash, c.now()).await {
        Ok(s) => s,
        Err(e) => return internal(e).into_response(),
    };
    let Some(s) = found else {
        return no_session(
            "no_session",
            "로그인되어 있지 않거나 로그인 시간이 지났습니다. 다시 로그인해 주세요.",
            "Not logged in, or the session expired; log in again.",
        );
    };
    match still_good(&c, &s).await {
        Ok(true) => {}
        Ok(false) => {
            if let Err(e) = c.store.end_login_session(&hash).await {
                return internal(e).into_response();
            }
            let event = AuditEvent::new(
                Actor::Customer(s.customer_id),
                "login.session-ended",
                format!("customer:{}", s.customer_id),
                serde_json::json!({ "serial": s.serial, "reason": "certificate_not_good" }),
            );
            if let Err(e) = c.store.audit(&event, c.now()).await {
                tracing::error!(error = %e, "audit of an ended session failed");
            }
            return no_session(
                "certificate_revoked",
                "로그인에 쓴 인증서가 폐기되었거나 효력이 정지되어 로그아웃되었습니다. 유효한 인증서로 다시 로그인해 주세요.",
                "The certificate used to log in was revoked or suspended, so the session ended; log in again with a valid certificate.",
            );
        }
        Err(f) => return f.into_response(),
    }
    match c.store.customer(s.customer_id).await {
        Ok(Some(cust)) => Json(SessionView {
            customer_name: cust.name,
            banking_id: cust.banking_id,
            serial: s.serial,
            issuer: s.issuer,
            expires_at: rfc3339(s.expires_at),
        })
        .into_response(),
        Ok(None) => no_session(
            "no_session",
            "로그인되어 있지 않습니다. 다시 로그인해 주세요.",
            "Not logged in; log in again.",
        ),
        Err(e) => internal(e).into_response(),
    }
}

/// Logs out: ends the session of this bearer token.
#[utoipa::path(delete, path = "/api/v1/session", tag = "login", responses((status = 204)))]
async fn logout(State(c): State<Shared>, headers: HeaderMap) -> Response {
    match c.store.end_login_session(&bearer_hash(&headers)).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Registration of other institutions' certificates

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartRegistration {
    /// `register` (등록) or `unregister` (해제).
    pub action: String,
    pub banking_id: String,
    /// 13 digits; never logged.
    pub rrn: String,
}

impl std::fmt::Debug for StartRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartRegistration").field("action", &self.action).finish_non_exhaustive()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegistrationStarted {
    pub id: String,
    /// Base64; the certificate signs the possession message of `id` and this nonce.
    pub nonce: String,
    pub expires_at: String,
    /// The ARS call's instruction.
    pub prompt_ko: String,
    pub prompt_en: String,
    /// Until when the ARS approval number is accepted (RFC 3339): sooner than the
    /// registration itself expires.
    pub code_expires_at: Option<String>,
    /// Wrong approval numbers allowed before the call must be made again.
    pub attempts_left: Option<u32>,
}

/// Starts registering (or unregistering) another institution's certificate: the customer is
/// found by internet-banking ID and RRN and an ARS call gives them an approval number.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "login", request_body = StartRegistration,
    responses((status = 201, body = RegistrationStarted), (status = 404, body = super::flows::Problem)))]
async fn start_registration(
    State(c): State<Shared>,
    JsonBody(req): JsonBody<StartRegistration>,
) -> Result<(StatusCode, Json<RegistrationStarted>), Failure> {
    let now = c.now();
    let purpose = match req.action.as_str() {
        "register" => "register",
        "unregister" => "unregister",
        _ => return Err(Failure::BadInput("action must be register or unregister".into())),
    };
    let rrn = Rrn::new(&req.rrn).map_err(|e| Failure::BadInput(e.to_string()))?;
    let customer =
        c.identity.find_customer(&req.banking_id, &rrn, now).await.map_err(Failure::Identity)?;
    let id = random_id()?;
    let n = nonce()?;
    c.store
        .insert_cert_challenge(&id, purpose, &n, Some(customer.id), now, now + REGISTRATION_TTL)
        .await
        .map_err(internal)?;
    let prompt =
        c.identity.start(Check::Ars, &customer, &id, now).await.map_err(Failure::Identity)?;
    Ok((
        StatusCode::CREATED,
        Json(RegistrationStarted {
            id,
            nonce: base64::engine::general_purpose::STANDARD.encode(&n),
            expires_at: rfc3339(now + REGISTRATION_TTL),
            prompt_ko: prompt.ko,
            prompt_en: prompt.en,
            code_expires_at: prompt.expires_at.map(rfc3339),
            attempts_left: prompt.attempts_left,
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FinishRegistration {
    /// The ARS approval number.
    pub code: String,
    /// To register: the certificate (base64 DER or PEM), optional chain, the signature over
    /// the possession message and R (base64).
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub chain: Vec<String>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub random_num: Option<String>,
    /// To unregister: the certificate's serial (hex).
    #[serde(default)]
    pub serial: Option<String>,
}

impl std::fmt::Debug for FinishRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinishRegistration").field("serial", &self.serial).finish_non_exhaustive()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegistrationDone {
    /// `registered` or `unregistered`.
    pub result: String,
    pub serial: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
}

/// Finishes a registration: the ARS code, then (to register) the certificate is checked —
/// chain to a trusted issuer, validity, status at the issuer's OCSP or CRL, possession, and the
/// VID against the customer's RRN — and recorded; (to unregister) the registration is removed.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/finish", tag = "login", request_body = FinishRegistration,
    params(("id" = String, Path, description = "The registration id")),
    responses((status = 200, body = RegistrationDone), (status = 403, body = super::flows::Problem)))]
async fn finish_registration(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    JsonBody(req): JsonBody<FinishRegistration>,
) -> Result<Json<RegistrationDone>, Failure> {
    let now = c.now();
    let mut purpose = "register";
    let mut peeked = c.store.peek_cert_challenge(&id, purpose, now).await.map_err(internal)?;
    if peeked == CertChallengeTake::Unknown {
        purpose = "unregister";
        peeked = c.store.peek_cert_challenge(&id, purpose, now).await.map_err(internal)?;
    }
    let customer_id = taken(peeked)?.customer_id.ok_or(Failure::ChallengeUnknown)?;
    let customer =
        c.store.customer(customer_id).await.map_err(internal)?.ok_or(Failure::ChallengeUnknown)?;
    let code = Zeroizing::new(req.code.trim().to_string());
    c.identity
        .answer(Check::Ars, &customer, &id, &Answer::Code(code.to_string()), now)
        .await
        .map_err(Failure::Identity)?;
    let challenge = taken(c.store.take_cert_challenge(&id, purpose, now).await.map_err(internal)?)?;
    let result = if purpose == "register" {
        register(&c, &customer, &id, &challenge.nonce, &req, now).await
    } else {
        unregister(&c, &customer, &req, now).await
    };
    if let Err(f) = &result {
        let action = if purpose == "register" {
            "certificate.register.refused"
        } else {
            "certificate.unregister.refused"
        };
        audit_refusal(&c, action, format!("customer:{}", customer.id), f, now).await;
    }
    result.map(Json)
}

async fn register(
    c: &Center,
    customer: &Customer,
    id: &str,
    nonce: &[u8],
    req: &FinishRegistration,
    now: OffsetDateTime,
) -> Result<RegistrationDone, Failure> {
    let text = req
        .certificate
        .as_deref()
        .ok_or_else(|| Failure::BadInput("certificate is missing".into()))?;
    let signature =
        req.signature.as_deref().ok_or_else(|| Failure::BadInput("signature is missing".into()))?;
    let leaf = certificate(text)?;
    possession(&leaf, id, nonce, signature)?;
    let r = Zeroizing::new(match &req.random_num {
        Some(t) => b64("random_num", t)?,
        None => Vec::new(),
    });
    let checked = check(c, leaf.clone(), chain(&req.chain)?, now).await?;
    if checked.path.own {
        return Err(Failure::OwnCertificate);
    }
    check_person(c, customer, &checked.path, &r)?;
    let view = view(c, &checked);
    let new = NewRegistration {
        customer_id: customer.id,
        fingerprint: checked.path.leaf.fingerprint(),
        trusted_issuer: view.trusted_issuer.clone(),
        issuer: view.issuer.clone(),
        serial: view.serial.clone(),
        subject: view.subject.clone(),
        not_after: checked.path.leaf.not_after(),
        der: leaf,
    };
    let mut tx = c.store.begin().await.map_err(internal)?;
    match tx.insert_registration(&new, now).await {
        Ok(_) => {}
        Err(dojang_store::StoreError::Duplicate { .. }) => return Err(Failure::AlreadyRegistered),
        Err(e) => return Err(internal(e)),
    }
    tx.audit(
        &AuditEvent::new(
            Actor::Customer(customer.id),
            "certificate.register",
            format!("certificate:{}", view.serial),
            serde_json::json!({ "issuer": view.issuer, "trusted_issuer": view.trusted_issuer, "status_source": view.status_source }),
        ),
        now,
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(RegistrationDone {
        result: "registered".into(),
        serial: view.serial.clone(),
        certificate: Some(view),
    })
}

async fn unregister(
    c: &Center,
    customer: &Customer,
    req: &FinishRegistration,
    now: OffsetDateTime,
) -> Result<RegistrationDone, Failure> {
    let serial: String = req
        .serial
        .as_deref()
        .ok_or_else(|| Failure::BadInput("serial is missing".into()))?
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_uppercase();
    let mut tx = c.store.begin().await.map_err(internal)?;
    let removed = tx.delete_registration(customer.id, &serial).await.map_err(internal)?;
    if removed == 0 {
        return Err(Failure::Refused(Refusal::NotRegistered));
    }
    let ended = tx.end_login_sessions_of(customer.id, &serial).await.map_err(internal)?;
    tx.audit(
        &AuditEvent::new(
            Actor::Customer(customer.id),
            "certificate.unregister",
            format!("certificate:{serial}"),
            serde_json::json!({ "removed": removed, "sessions_ended": ended }),
        ),
        now,
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(RegistrationDone { result: "unregistered".into(), serial, certificate: None })
}

// ---------------------------------------------------------------------------------------------
// The relying-party check

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyRequest {
    /// Base64 DER or PEM.
    pub certificate: String,
    #[serde(default)]
    pub chain: Vec<String>,
    /// With `random_num`: check that the certificate is this person's (VID). Never logged.
    #[serde(default)]
    pub rrn: Option<String>,
    #[serde(default)]
    pub random_num: Option<String>,
}

impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest").finish_non_exhaustive()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Verdict {
    pub valid: bool,
    /// `valid`, or the refusal's code (`expired`, `revoked`, `wrong_person`, `unknown_issuer`…).
    pub code: String,
    pub message_ko: String,
    pub message_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
    /// The real name in the VID, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    /// `match` when an RRN and R were given and the VID agrees; `not_checked` otherwise.
    pub person: String,
}

/// Is this certificate valid, and whose is it? Chain to a trusted issuer, validity, status,
/// and — given an RRN and R — the VID.
#[utoipa::path(post, path = "/api/v1/verify", tag = "login", request_body = VerifyRequest,
    responses((status = 200, description = "The verdict (valid or the reason)", body = Verdict)))]
async fn verify(
    State(c): State<Shared>,
    JsonBody(req): JsonBody<VerifyRequest>,
) -> Result<Json<Verdict>, Failure> {
    let now = c.now();
    let leaf = certificate(&req.certificate)?;
    let person = match (&req.rrn, &req.random_num) {
        (Some(rrn), Some(r)) => Some((
            Rrn::new(rrn).map_err(|e| Failure::BadInput(e.to_string()))?,
            Zeroizing::new(b64("random_num", r)?),
        )),
        (None, None) => None,
        _ => return Err(Failure::BadInput("give both rrn and random_num, or neither".into())),
    };
    let refused = |r: Refusal, cert: Option<CertificateView>| Verdict {
        valid: false,
        code: r.code().into(),
        message_ko: r.message_ko(),
        message_en: r.message_en(),
        certificate: cert,
        real_name: None,
        person: "not_checked".into(),
    };
    let checked = match check(&c, leaf, chain(&req.chain)?, now).await {
        Ok(ch) => ch,
        Err(CheckError::Refused(r)) => return Ok(Json(refused(r, None))),
        Err(CheckError::Internal(m)) => return Err(Failure::Internal(m)),
    };
    let real_name = dojang_verify::vid::real_name(&checked.path.leaf);
    let view = view(&c, &checked);
    if let Some((rrn, r)) = &person {
        if let Err(refusal) = dojang_verify::vid::check(&checked.path.leaf, rrn, r) {
            return Ok(Json(refused(refusal, Some(view))));
        }
    }
    Ok(Json(Verdict {
        valid: true,
        code: "valid".into(),
        message_ko: "유효한 인증서입니다.".into(),
        message_en: "The certificate is valid.".into(),
        certificate: Some(view),
        real_name,
        person: if person.is_some() { "match".into() } else { "not_checked".into() },
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(challenge, login, session, logout, start_registration, finish_registration, verify),
    components(schemas(LoginChallenge, LoginRequest, LoggedIn, SessionView, CertificateView, StartRegistration, RegistrationStarted, FinishRegistration, RegistrationDone, VerifyRequest, Verdict)),
    tags((name = "login", description = "인증서 로그인, 타기관 인증서 등록·해제, 인증서 검증"))
)]
pub struct LoginApi;
