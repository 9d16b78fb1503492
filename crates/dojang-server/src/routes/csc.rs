//! `/csc/v1/`: remote signing with the financial certificate (금융인증서), in the shape of the
//! Cloud Signature Consortium API v1 (`info`, `auth/login`, `auth/revoke`, `credentials/list`,
//! `credentials/info`, `credentials/authorize`, `signatures/signHash`), plus dojang's own
//! `/api/v1/financial/auto-renew` setting. Every call but `info` and `auth/login` carries
//! `Authorization: Bearer <access_token>`. The work is `dojang_flows::financial::csc`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use dojang_flows::financial::csc::{Credential, CscError};
use dojang_store::Customer;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::input::JsonBody;
use crate::center::Center;

type Shared = Arc<Center>;

/// A refused remote-signing request (CSC error shape, with the Korean sentence beside it).
#[derive(Serialize, utoipa::ToSchema)]
pub struct CscProblem {
    /// A stable code: `invalid_request`, `invalid_token`, `authentication_error`,
    /// `invalid_credential`, `credential_not_usable`, `invalid_pin`, `pin_locked`, `invalid_sad`.
    pub error: String,
    /// What failed and what to do next (English).
    pub error_description: String,
    /// The same in Korean.
    pub message_ko: String,
}

pub(crate) struct ApiCscError(CscError);

impl IntoResponse for ApiCscError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let CscError::Internal(why) = &e {
            tracing::error!(error = %why, "remote signing failed");
        }
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = CscProblem {
            error: e.code().into(),
            error_description: e.message_en(),
            message_ko: e.message_ko(),
        };
        (status, Json(body)).into_response()
    }
}

impl From<CscError> for ApiCscError {
    fn from(e: CscError) -> Self {
        ApiCscError(e)
    }
}

type Answer<T> = Result<Json<T>, ApiCscError>;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/csc/v1/info", post(info).get(info))
        .route("/csc/v1/auth/login", post(login))
        .route("/csc/v1/auth/revoke", post(revoke))
        .route("/csc/v1/credentials/list", post(list))
        .route("/csc/v1/credentials/info", post(credential_info))
        .route("/csc/v1/credentials/authorize", post(authorize))
        .route("/csc/v1/signatures/signHash", post(sign_hash))
        .route("/api/v1/financial/auto-renew", post(auto_renew))
}

fn bearer(headers: &HeaderMap) -> Result<String, ApiCscError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .ok_or(ApiCscError(CscError::InvalidToken))
}

async fn who(c: &Center, headers: &HeaderMap) -> Result<Customer, ApiCscError> {
    Ok(c.flows.csc_customer(&bearer(headers)?, c.now()).await?)
}

/// The service (CSC `info`).
#[utoipa::path(post, path = "/csc/v1/info", tag = "csc",
    responses((status = 200, description = "specs, name, region, lang, authType, methods", body = Object)))]
async fn info(State(c): State<Shared>) -> Json<serde_json::Value> {
    Json(json!({
        "specs": "1.0.4.0",
        "name": format!("{} 금융인증서 원격서명", c.config.ca.organization),
        "logo": format!("{}/favicon.ico", c.config.base_url.trim_end_matches('/')),
        "region": "KR",
        "lang": "ko-KR",
        "description": "금융인증서(클라우드 보관, PIN 6자리)로 해시에 서명합니다. Financial certificates kept by the bank, unlocked by a 6-digit PIN.",
        "authType": ["basic"],
        "methods": ["auth/login", "auth/revoke", "credentials/list", "credentials/info", "credentials/authorize", "signatures/signHash"],
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    /// The bearer token for the other calls.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Logs in with the internet-banking ID and password as HTTP Basic credentials
/// (`Authorization: Basic base64(id:password)`), as CSC `auth/login` does. Wrong passwords are
/// counted and lock internet banking, as everywhere else.
#[utoipa::path(post, path = "/csc/v1/auth/login", tag = "csc",
    responses((status = 200, body = LoginAnswer), (status = 401, body = CscProblem), (status = 423, body = CscProblem)))]
async fn login(State(c): State<Shared>, headers: HeaderMap) -> Answer<LoginAnswer> {
    let bad = || {
        ApiCscError(CscError::InvalidRequest(
            "send Authorization: Basic base64(banking-id:password)".into(),
        ))
    };
    let encoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(bad)?;
    let decoded = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| bad())?,
    );
    let text = std::str::from_utf8(&decoded).map_err(|_| bad())?;
    let (id, password) = text.split_once(':').ok_or_else(bad)?;
    let s = c.flows.csc_login(id, password, c.now()).await?;
    Ok(Json(LoginAnswer { access_token: s.access_token, expires_in: s.expires_in }))
}

/// Ends the session of the bearer token (CSC `auth/revoke`).
#[utoipa::path(post, path = "/csc/v1/auth/revoke", tag = "csc", responses((status = 204)))]
async fn revoke(State(c): State<Shared>, headers: HeaderMap) -> Result<StatusCode, ApiCscError> {
    c.flows.csc_logout(&bearer(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListRequest {
    #[serde(default)]
    pub max_results: Option<usize>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListAnswer {
    /// The customer's financial certificates in force (their serials), newest first.
    #[serde(rename = "credentialIDs")]
    pub credential_ids: Vec<String>,
}

/// The customer's financial credentials (CSC `credentials/list`).
#[utoipa::path(post, path = "/csc/v1/credentials/list", tag = "csc", request_body = ListRequest,
    security(("bearer" = [])),
    responses((status = 200, body = ListAnswer), (status = 401, body = CscProblem)))]
async fn list(
    State(c): State<Shared>,
    headers: HeaderMap,
    body: Option<JsonBody<ListRequest>>,
) -> Answer<ListAnswer> {
    let customer = who(&c, &headers).await?;
    let mut ids = c.flows.csc_credentials(&customer, c.now()).await?;
    if let Some(max) = body.and_then(|b| b.0.max_results) {
        ids.truncate(max);
    }
    Ok(Json(ListAnswer { credential_ids: ids }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfoRequest {
    #[serde(rename = "credentialID")]
    pub credential_id: String,
    /// `none`, `single` (default) or `chain`.
    #[serde(default)]
    pub certificates: Option<String>,
    #[serde(default)]
    pub cert_info: Option<bool>,
    #[serde(default)]
    pub auth_info: Option<bool>,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn info_json(cred: &Credential, certificates: &str) -> serde_json::Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut certs = Vec::new();
    if certificates != "none" {
        certs.push(b64.encode(&cred.certificate_der));
        if certificates == "chain" {
            certs.extend(cred.chain_der.iter().map(|d| b64.encode(d)));
        }
    }
    let (algo, len) = match cred.key_type.as_str() {
        "p256" => (["1.2.840.10045.2.1"], 256),
        _ => (["1.2.840.113549.1.1.1"], 2048),
    };
    json!({
        "key": { "status": if cred.pin_locked { "disabled" } else { "enabled" }, "algo": algo, "len": len },
        "cert": {
            "status": if cred.status == "good" { "valid" } else { cred.status },
            "certificates": certs,
            "serialNumber": cred.serial.to_hex(),
            "subjectDN": cred.subject,
            "validFrom": rfc3339(cred.not_before),
            "validTo": rfc3339(cred.not_after),
        },
        "authMode": "explicit",
        "PIN": { "presence": "true", "format": "N", "label": "금융인증서 비밀번호 (숫자 6자리)", "description": "6-digit PIN" },
        "multisign": 100,
        "lang": "ko-KR",
        "dojang": { "autoRenew": cred.auto_renew, "pinLocked": cred.pin_locked, "pinFailures": cred.pin_failures },
    })
}

/// One credential (CSC `credentials/info`): key, certificate (base64 DER; `chain` adds the
/// issuing and root CA), PIN format, and dojang's `autoRenew` / `pinLocked`.
#[utoipa::path(post, path = "/csc/v1/credentials/info", tag = "csc", request_body = InfoRequest,
    security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 400, body = CscProblem), (status = 401, body = CscProblem)))]
async fn credential_info(
    State(c): State<Shared>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<InfoRequest>,
) -> Answer<serde_json::Value> {
    let customer = who(&c, &headers).await?;
    let cred = c.flows.csc_credential(&customer, &req.credential_id, c.now()).await?;
    let _ = (req.cert_info, req.auth_info);
    Ok(Json(info_json(&cred, req.certificates.as_deref().unwrap_or("single"))))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeRequest {
    #[serde(rename = "credentialID")]
    pub credential_id: String,
    /// How many hashes the SAD may sign (1–100), all in one `signHash`.
    pub num_signatures: u32,
    /// The six-digit PIN.
    #[serde(rename = "PIN")]
    pub pin: String,
    /// Optional, as in CSC; not bound here (the count is).
    #[serde(default)]
    pub hash: Option<Vec<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeAnswer {
    /// Signature activation data: single use, for this credential and `numSignatures` hashes.
    #[serde(rename = "SAD")]
    pub sad: String,
    pub expires_in: i64,
}

/// Authorizes a credential with the PIN (CSC `credentials/authorize`). A wrong PIN answers
/// `invalid_pin` with the tries left; the fifth wrong PIN in a row locks (`pin_locked`, 423)
/// until the customer runs the `financial-reissue` flow (identity checks, new PIN).
#[utoipa::path(post, path = "/csc/v1/credentials/authorize", tag = "csc", request_body = AuthorizeRequest,
    security(("bearer" = [])),
    responses((status = 200, body = AuthorizeAnswer), (status = 400, body = CscProblem), (status = 423, body = CscProblem)))]
async fn authorize(
    State(c): State<Shared>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<AuthorizeRequest>,
) -> Answer<AuthorizeAnswer> {
    let customer = who(&c, &headers).await?;
    let pin = zeroize::Zeroizing::new(req.pin);
    let _ = req.hash;
    let a = c
        .flows
        .csc_authorize(&customer, &req.credential_id, req.num_signatures, &pin, c.now())
        .await?;
    Ok(Json(AuthorizeAnswer { sad: a.sad, expires_in: a.expires_in }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignHashRequest {
    #[serde(rename = "credentialID")]
    pub credential_id: String,
    #[serde(rename = "SAD")]
    pub sad: String,
    /// SHA-256 hashes, base64.
    pub hash: Vec<String>,
    /// `2.16.840.1.101.3.4.2.1` (SHA-256); optional, as the signAlgo implies it.
    #[serde(default)]
    pub hash_algo: Option<String>,
    /// `1.2.840.113549.1.1.11` (sha256WithRSAEncryption) or `1.2.840.10045.4.3.2`
    /// (ecdsa-with-SHA256), matching the credential's key.
    pub sign_algo: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignHashAnswer {
    /// The signatures, base64, in the order of the hashes (PKCS#1 v1.5, or DER ECDSA).
    pub signatures: Vec<String>,
    /// dojang's extension: R, the VID random value (신원확인 난수) kept with the key, base64,
    /// released like the signature only after the PIN. The holder sends it with the signature
    /// to certificate login (`/api/v1/login`, `random_num`) to show the certificate is theirs.
    /// Absent for business certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vid_random: Option<String>,
}

/// Signs hashes (CSC `signatures/signHash`). The SAD is spent by this call.
#[utoipa::path(post, path = "/csc/v1/signatures/signHash", tag = "csc", request_body = SignHashRequest,
    security(("bearer" = [])),
    responses((status = 200, body = SignHashAnswer), (status = 400, body = CscProblem), (status = 401, body = CscProblem)))]
async fn sign_hash(
    State(c): State<Shared>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<SignHashRequest>,
) -> Answer<SignHashAnswer> {
    let customer = who(&c, &headers).await?;
    let signed = c
        .flows
        .csc_sign_hash(
            &customer,
            &req.credential_id,
            &req.sad,
            &req.hash,
            req.hash_algo.as_deref(),
            &req.sign_algo,
            c.now(),
        )
        .await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let vid_random = signed.random_num.as_ref().map(|r| b64.encode(r.as_slice()));
    Ok(Json(SignHashAnswer { signatures: signed.signatures, vid_random }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoRenewRequest {
    #[serde(rename = "credentialID")]
    pub credential_id: String,
    /// Renew automatically in the last 30 days before expiry.
    pub on: bool,
}

/// Turns automatic renewal (자동 갱신) of a financial certificate on or off (bearer token).
#[utoipa::path(post, path = "/api/v1/financial/auto-renew", tag = "csc", request_body = AutoRenewRequest,
    security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 400, body = CscProblem), (status = 401, body = CscProblem)))]
async fn auto_renew(
    State(c): State<Shared>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<AutoRenewRequest>,
) -> Answer<serde_json::Value> {
    let customer = who(&c, &headers).await?;
    c.flows.csc_set_auto_renew(&customer, &req.credential_id, req.on, c.now()).await?;
    Ok(Json(json!({ "credentialID": req.credential_id, "autoRenew": req.on })))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(description = "금융인증서 원격서명 (Cloud Signature Consortium API v1 shape). The financial certificate is issued by the flows `financial-issue` / `financial-reissue` (`POST /api/v1/flows`), whose last step `pin` takes `{\"pin\": \"six digits\", \"auto_renew\": true|false}`; trivial PINs are refused with the rule (`weak_pin`). Then: `auth/login` (Basic: banking ID and password) → `credentials/list` → `credentials/authorize` (PIN → SAD) → `signatures/signHash`."),
    paths(info, login, revoke, list, credential_info, authorize, sign_hash, auto_renew),
    components(schemas(CscProblem, LoginAnswer, ListRequest, ListAnswer, InfoRequest, AuthorizeRequest, AuthorizeAnswer, SignHashRequest, SignHashAnswer, AutoRenewRequest)),
    tags((name = "csc", description = "금융인증서 원격서명 (CSC API v1)"))
)]
pub struct CscApi;
