//! `/api/v1/staff/…`: the staff console behind staff sign-in — customers (look up, lock,
//! unlock), certificates (look up, revoke, suspend, resume), the audit trail and the inquiries.
//!
//! Sign-in sets a session cookie (`HttpOnly; SameSite=Strict; Path=/`, `Secure` and the
//! `__Host-` prefix when the center is reached over https). Every change must carry the
//! session's CSRF token in `X-CSRF-Token`; auditors read only. Every change is audited with
//! the staff member as actor.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_pki::{RevocationReason, Serial};
use dojang_store::{Actor, AuditEvent, InquiryStatus, StaffSession, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::flows::Problem;
use super::input::{JsonBody, UrlPath, UrlQuery};
use super::web::{certificate_row, CertificateRow, Refusal};
use crate::center::Center;
use crate::staff::{self, Login, SESSION_IDLE};

type Shared = Arc<Center>;

const COOKIE: &str = "dojang_staff";
const SECURE_COOKIE: &str = "__Host-dojang_staff";
const CSRF_HEADER: &str = "x-csrf-token";

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/api/v1/staff/login", post(login))
        .route("/api/v1/staff/logout", post(logout))
        .route("/api/v1/staff/session", get(session_info))
        .route("/api/v1/staff/customers", get(customers))
        .route("/api/v1/staff/customers/{id}", get(customer))
        .route("/api/v1/staff/customers/{id}/unlock", post(unlock))
        .route("/api/v1/staff/customers/{id}/lock", post(lock))
        .route("/api/v1/staff/certificates", get(certificates))
        .route("/api/v1/staff/certificates/{serial}/revoke", post(revoke))
        .route("/api/v1/staff/certificates/{serial}/resume", post(resume))
        .route("/api/v1/staff/audit", get(audit))
        .route("/api/v1/staff/inquiries", get(inquiries))
        .route("/api/v1/staff/inquiries/{id}/answer", post(answer))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// Whether the center is reached over https (then the cookie is `Secure`).
fn https(c: &Center, headers: &HeaderMap) -> bool {
    c.config.base_url.starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn cookie_token(headers: &HeaderMap) -> Option<Zeroizing<String>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE || *k == SECURE_COOKIE)
        .map(|(_, v)| Zeroizing::new(v.trim().to_string()))
}

fn set_cookie(c: &Center, headers: &HeaderMap, token: Option<&str>) -> HeaderValue {
    let secure = https(c, headers);
    let name = if secure { SECURE_COOKIE } else { COOKIE };
    let attrs = if secure { "; Secure" } else { "" };
    let text = match token {
        Some(t) => format!("{name}={t}; Path=/; HttpOnly; SameSite=Strict{attrs}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{attrs}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn signed_out() -> Refusal {
    Refusal::new(
        StatusCode::UNAUTHORIZED,
        "staff_signed_out",
        "직원 로그인이 필요합니다. 로그인 시간이 지났다면 다시 로그인해 주세요.",
        "Staff sign-in is needed. If your session timed out, sign in again.",
    )
}

/// The live session of this request's cookie.
async fn session(c: &Center, headers: &HeaderMap) -> Result<StaffSession, Refusal> {
    let token = cookie_token(headers).ok_or_else(signed_out)?;
    c.store
        .staff_session(&staff::token_hash(&token), c.now(), SESSION_IDLE)
        .await
        .map_err(Refusal::internal)?
        .ok_or_else(signed_out)
}

/// A session allowed to change things: the CSRF token echoed, and a role that may change.
async fn changing_session(c: &Center, headers: &HeaderMap) -> Result<StaffSession, Refusal> {
    let s = session(c, headers).await?;
    let given = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let expected = s.csrf_token.as_bytes();
    if given.len() != expected.len() || !bool::from(given.as_bytes().ct_eq(expected)) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "csrf_token_mismatch",
            "요청을 확인할 수 없습니다 (보안 토큰 불일치). 페이지를 새로 고친 뒤 다시 시도해 주세요.",
            "The request could not be verified (CSRF token mismatch). Reload the page and try again.",
        ));
    }
    if !s.staff.role.may_change() {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "staff_read_only",
            "감사 담당자 계정은 조회만 할 수 있습니다.",
            "Auditor accounts may only read.",
        ));
    }
    Ok(s)
}

/// A signed-in staff member, and the CSRF token every change must echo.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffSessionView {
    pub username: String,
    pub display_name: String,
    /// `officer`, `operator` or `auditor`.
    pub role: String,
    pub role_ko: String,
    /// Auditors may only read.
    pub may_change: bool,
    /// The session's hard end (it also ends after 15 idle minutes).
    pub expires_at: String,
    /// Send it back in `X-CSRF-Token` with every change.
    pub csrf_token: String,
}

fn staff_view(
    username: &str,
    display_name: &str,
    role: dojang_store::StaffRole,
    expires_at: OffsetDateTime,
    csrf_token: &str,
) -> StaffSessionView {
    StaffSessionView {
        username: username.to_string(),
        display_name: display_name.to_string(),
        role: role.as_str().to_string(),
        role_ko: role.korean().to_string(),
        may_change: role.may_change(),
        expires_at: rfc3339(expires_at),
        csrf_token: csrf_token.to_string(),
    }
}

/// Staff sign-in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    /// Never logged.
    pub password: String,
}

/// Signs a staff member in: sets the session cookie (`HttpOnly; SameSite=Strict`) and answers
/// with the CSRF token. Five wrong passwords in a row lock the account.
#[utoipa::path(post, path = "/api/v1/staff/login", tag = "staff", request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = StaffSessionView),
        (status = 401, description = "Wrong username or password (`attempts_left`)", body = Problem),
        (status = 423, description = "Locked after too many wrong passwords", body = Problem)))]
async fn login(
    State(c): State<Shared>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response, Refusal> {
    let password = Zeroizing::new(input.password);
    let outcome = staff::login(&c.store, &input.username, password, c.now())
        .await
        .map_err(Refusal::internal)?;
    match outcome {
        Login::Opened(s) => {
            let body = staff_view(
                &s.staff.username,
                &s.staff.display_name,
                s.staff.role,
                s.expires_at,
                &s.csrf_token,
            );
            let mut response = Json(body).into_response();
            response.headers_mut().insert(header::SET_COOKIE, set_cookie(&c, &headers, Some(&s.token)));
            Ok(response)
        }
        Login::Refused { attempts_left } => {
            let mut r = Refusal::new(
                StatusCode::UNAUTHORIZED,
                "staff_login_failed",
                match attempts_left {
                    Some(n) => format!("아이디 또는 비밀번호가 올바르지 않습니다. 다시 확인해 주세요. ({n}회 더 틀리면 계정이 잠깁니다)"),
                    None => "아이디 또는 비밀번호가 올바르지 않습니다. 다시 확인해 주세요.".into(),
                },
                "The username or the password is wrong. Check both and try again.",
            );
            r.attempts_left = attempts_left;
            Err(r)
        }
        Login::Locked => Err(Refusal::new(
            StatusCode::LOCKED,
            "staff_locked",
            format!("비밀번호 오류가 {}회 연속되어 직원 계정이 잠겼습니다. 운영 담당자에게 잠금 해제를 요청해 주세요.", staff::LOCK_AFTER),
            "This staff account is locked after too many wrong passwords. Ask the operator to unlock it.",
        )),
    }
}

/// Signs out (the CSRF token is needed here too) and clears the cookie.
#[utoipa::path(post, path = "/api/v1/staff/logout", tag = "staff",
    request_body(content = Object, description = "`{}`"),
    security(("staff_session" = [], "csrf_token" = [])),
    responses(
        (status = 200, description = "`{\"signed_out\": true}`", body = Object),
        (status = 401, body = Problem),
        (status = 403, description = "The CSRF token is missing or wrong", body = Problem)))]
async fn logout(
    State(c): State<Shared>,
    headers: HeaderMap,
    JsonBody(_body): JsonBody<serde_json::Value>,
) -> Result<Response, Refusal> {
    // Signing out needs the CSRF token too, but not a role that may change things.
    let s = session(&c, &headers).await?;
    let given = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(s.csrf_token.as_bytes())) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "csrf_token_mismatch",
            "페이지를 새로 고친 뒤 다시 시도해 주세요.",
            "Reload the page and try again.",
        ));
    }
    if let Some(token) = cookie_token(&headers) {
        c.store.end_staff_session(&staff::token_hash(&token)).await.map_err(Refusal::internal)?;
    }
    let event = AuditEvent::new(
        Actor::Staff(s.staff.username.clone()),
        "staff.logout",
        format!("staff:{}", s.staff.username),
        json!({}),
    );
    c.store.audit(&event, c.now()).await.map_err(Refusal::internal)?;
    let mut response = Json(json!({ "signed_out": true })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(&c, &headers, None));
    Ok(response)
}

/// The staff member signed in with this cookie.
#[utoipa::path(get, path = "/api/v1/staff/session", tag = "staff",
    security(("staff_session" = [])),
    responses((status = 200, body = StaffSessionView), (status = 401, body = Problem)))]
async fn session_info(
    State(c): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<StaffSessionView>, Refusal> {
    let s = session(&c, &headers).await?;
    Ok(Json(staff_view(
        &s.staff.username,
        &s.staff.display_name,
        s.staff.role,
        s.expires_at,
        &s.csrf_token,
    )))
}

// ---------------------------------------------------------------------------------------------
// Customers

#[derive(Deserialize, utoipa::IntoParams)]
struct Search {
    /// Name, banking ID, phone, serial or subject (part of it).
    #[serde(default)]
    q: String,
}

fn customer_summary(cu: &dojang_store::Customer) -> serde_json::Value {
    json!({
        "id": cu.id,
        "kind": cu.kind.as_str(),
        "name": cu.name,
        "banking_id": cu.banking_id,
        "phone": dojang_identity::mask_phone(&cu.phone),
        "locked": cu.is_locked(),
        "lock_reason": cu.lock_reason,
        "created_at": rfc3339(cu.created_at),
    })
}

/// Customers matching `q` (at most 50), phone masked.
#[utoipa::path(get, path = "/api/v1/staff/customers", tag = "staff", params(Search),
    security(("staff_session" = [])),
    responses((status = 200, description = "`{\"customers\": [{id, kind, name, banking_id, phone (masked), locked, lock_reason, created_at}]}`", body = Object),
        (status = 401, body = Problem)))]
async fn customers(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlQuery(s): UrlQuery<Search>,
) -> Result<Json<serde_json::Value>, Refusal> {
    session(&c, &headers).await?;
    let list = c.store.search_customers(&s.q, 50).await.map_err(Refusal::internal)?;
    Ok(Json(json!({ "customers": list.iter().map(customer_summary).collect::<Vec<_>>() })))
}

fn no_customer(id: i64) -> Refusal {
    Refusal::new(
        StatusCode::NOT_FOUND,
        "no_such_customer",
        format!("고객 번호 {id}번 고객이 없습니다."),
        format!("There is no customer {id}."),
    )
}

/// One customer: masked RRN, e-mail and accounts, the security card or OTP with its failures,
/// and their certificates.
#[utoipa::path(get, path = "/api/v1/staff/customers/{id}", tag = "staff",
    params(("id" = i64, Path, description = "The customer number")),
    security(("staff_session" = [])),
    responses((status = 200, description = "The customer (secrets masked)", body = Object),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn customer(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<i64>,
) -> Result<Json<serde_json::Value>, Refusal> {
    session(&c, &headers).await?;
    let cu =
        c.store.customer(id).await.map_err(Refusal::internal)?.ok_or_else(|| no_customer(id))?;
    let mut out = customer_summary(&cu);
    out["rrn"] = json!(c.identity.masked_rrn(&cu).map_err(Refusal::internal)?);
    out["business_number"] = json!(cu.business_number);
    out["email"] = json!(dojang_identity::mask_email(&cu.email));
    out["banking_failures"] = json!(cu.banking_failures);
    out["locked_at"] = json!(cu.locked_at.map(rfc3339));
    let accounts = c.store.accounts_of(cu.id).await.map_err(Refusal::internal)?;
    out["accounts"] = json!(accounts
        .iter()
        .map(|a| json!({
            "number": dojang_identity::mask_account(&a.number),
            "balance": a.balance,
            "failures": a.failures,
            "locked": a.is_locked(),
        }))
        .collect::<Vec<_>>());
    out["security_card"] = match c.store.security_card(cu.id).await.map_err(Refusal::internal)? {
        Some(card) => {
            json!({ "serial": card.serial, "failures": card.failures, "locked": card.is_locked() })
        }
        None => serde_json::Value::Null,
    };
    out["otp"] = match c.store.otp_device(cu.id).await.map_err(Refusal::internal)? {
        Some(otp) => {
            json!({ "serial": otp.serial, "failures": otp.failures, "locked": otp.is_locked() })
        }
        None => serde_json::Value::Null,
    };
    let certs = c.store.certificates_of(cu.id).await.map_err(Refusal::internal)?;
    out["certificates"] = json!(certs.iter().map(|r| certificate_row(r, &c)).collect::<Vec<_>>());
    Ok(Json(out))
}

/// Unlocks whatever locked (internet banking, security card, OTP, accounts) after the customer's
/// identity was checked at the branch.
#[utoipa::path(post, path = "/api/v1/staff/customers/{id}/unlock", tag = "staff",
    params(("id" = i64, Path, description = "The customer number")),
    request_body(content = Object, description = "`{}`"),
    security(("staff_session" = [], "csrf_token" = [])),
    responses((status = 200, description = "What was unlocked", body = Object),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unlock(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<i64>,
    JsonBody(_body): JsonBody<serde_json::Value>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let s = changing_session(&c, &headers).await?;
    let u = c
        .identity
        .unlock_customer(id, Actor::Staff(s.staff.username.clone()), c.now())
        .await
        .map_err(|e| match e {
        dojang_identity::StaffError::NoSuchCustomer(id) => no_customer(id),
        other => Refusal::internal(other),
    })?;
    Ok(Json(json!({
        "customer": u.customer,
        "security_card": u.security_card,
        "otp": u.otp,
        "accounts": u.accounts.iter().map(|a| dojang_identity::mask_account(a)).collect::<Vec<_>>(),
        "anything": u.anything(),
    })))
}

/// Why the customer is locked.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockInput {
    /// 1–200 characters.
    pub reason: String,
}

/// Locks a customer out of certificate services (e.g. reported fraud).
#[utoipa::path(post, path = "/api/v1/staff/customers/{id}/lock", tag = "staff",
    params(("id" = i64, Path, description = "The customer number")),
    request_body = LockInput,
    security(("staff_session" = [], "csrf_token" = [])),
    responses((status = 200, description = "`{\"locked\": true, \"already_locked\": bool}`", body = Object),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn lock(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<i64>,
    JsonBody(input): JsonBody<LockInput>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let s = changing_session(&c, &headers).await?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(Refusal::bad_input(
            "잠금 사유를 1~200자로 입력해 주세요.",
            "Give the reason for the lock (1 to 200 characters).",
        ));
    }
    let locked = c
        .identity
        .lock_customer(id, reason, Actor::Staff(s.staff.username.clone()), c.now())
        .await
        .map_err(|e| match e {
            dojang_identity::StaffError::NoSuchCustomer(id) => no_customer(id),
            other => Refusal::internal(other),
        })?;
    Ok(Json(json!({ "locked": true, "already_locked": !locked })))
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// Certificates found by staff.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateList {
    pub certificates: Vec<CertificateRow>,
}

/// Certificates matching `q` (serial or subject, part of it; at most 50), with their holder.
#[utoipa::path(get, path = "/api/v1/staff/certificates", tag = "staff", params(Search),
    security(("staff_session" = [])),
    responses((status = 200, body = CertificateList), (status = 401, body = Problem)))]
async fn certificates(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlQuery(s): UrlQuery<Search>,
) -> Result<Json<CertificateList>, Refusal> {
    session(&c, &headers).await?;
    let list = c.store.search_certificates(&s.q, 50).await.map_err(Refusal::internal)?;
    let certificates = list
        .iter()
        .map(|r| CertificateRow { customer_id: r.customer_id, ..certificate_row(r, &c) })
        .collect();
    Ok(Json(CertificateList { certificates }))
}

/// Why a certificate is revoked.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    /// RFC 5280 reason name: `keyCompromise`, `affiliationChanged`, `superseded`,
    /// `cessationOfOperation`, `unspecified`, or `certificateHold` to suspend.
    #[schema(value_type = String, example = "keyCompromise")]
    pub reason: RevocationReason,
}

fn parse_serial(text: &str) -> Result<Serial, Refusal> {
    text.parse().map_err(|_| {
        Refusal::bad_input(
            "인증서 일련번호가 올바르지 않습니다.",
            "That is not a certificate serial number.",
        )
    })
}

fn status_error(e: StoreError) -> Refusal {
    match e {
        StoreError::NotFound(serial) => Refusal::new(
            StatusCode::NOT_FOUND,
            "unknown_serial",
            format!("일련번호 {serial}인 인증서는 이 인증센터에서 발급되지 않았습니다."),
            format!("No certificate with serial {serial} was issued here."),
        ),
        StoreError::AlreadyRevoked { serial, reason, .. } => Refusal::new(
            StatusCode::CONFLICT,
            "already_revoked",
            format!("인증서 {serial}은(는) 이미 폐기되었습니다 (사유: {}).", reason.korean()),
            format!("Certificate {serial} is already revoked ({reason})."),
        ),
        StoreError::NotSuspended(serial) => Refusal::new(
            StatusCode::CONFLICT,
            "not_suspended",
            format!("인증서 {serial}은(는) 효력정지 상태가 아니라 회복할 것이 없습니다."),
            format!("Certificate {serial} is not suspended."),
        ),
        other => Refusal::internal(other),
    }
}

/// Revokes (or, with `certificateHold`, suspends) a certificate: the next OCSP answer and the
/// next CRL show it.
#[utoipa::path(post, path = "/api/v1/staff/certificates/{serial}/revoke", tag = "staff",
    params(("serial" = String, Path, description = "The serial (hex)")),
    request_body = RevokeInput,
    security(("staff_session" = [], "csrf_token" = [])),
    responses((status = 200, description = "The certificate now", body = CertificateRow),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "Already revoked", body = Problem)))]
async fn revoke(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlPath(serial): UrlPath<String>,
    JsonBody(input): JsonBody<RevokeInput>,
) -> Result<Json<CertificateRow>, Refusal> {
    let s = changing_session(&c, &headers).await?;
    let serial = parse_serial(&serial)?;
    if matches!(input.reason, RevocationReason::CaCompromise | RevocationReason::AaCompromise) {
        return Err(Refusal::bad_input(
            "그 사유는 인증기관 키 사고에만 씁니다. 다른 사유를 골라 주세요.",
            "That reason is for CA key compromise only; choose another.",
        ));
    }
    let now = c.now();
    let mut tx = c.store.begin().await.map_err(Refusal::internal)?;
    tx.revoke(&serial, input.reason, now).await.map_err(status_error)?;
    let action = if input.reason == RevocationReason::CertificateHold {
        "certificate.suspend"
    } else {
        "certificate.revoke"
    };
    let event = AuditEvent::new(
        Actor::Staff(s.staff.username.clone()),
        action,
        format!("certificate:{}", serial.to_hex()),
        json!({ "reason": input.reason, "by": "staff-console" }),
    );
    tx.audit(&event, now).await.map_err(Refusal::internal)?;
    tx.commit().await.map_err(Refusal::internal)?;
    tracing::info!(serial = %serial, reason = %input.reason, staff = %s.staff.username, "certificate revoked by staff");
    let record = c
        .store
        .certificate(&serial)
        .await
        .map_err(Refusal::internal)?
        .ok_or_else(|| status_error(StoreError::NotFound(serial.clone())))?;
    Ok(Json(certificate_row(&record, &c)))
}

/// Makes a suspended certificate usable again (효력회복).
#[utoipa::path(post, path = "/api/v1/staff/certificates/{serial}/resume", tag = "staff",
    params(("serial" = String, Path, description = "The serial (hex)")),
    request_body(content = Object, description = "`{}`"),
    security(("staff_session" = [], "csrf_token" = [])),
    responses((status = 200, description = "The certificate now", body = CertificateRow),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Not suspended", body = Problem)))]
async fn resume(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlPath(serial): UrlPath<String>,
    JsonBody(_body): JsonBody<serde_json::Value>,
) -> Result<Json<CertificateRow>, Refusal> {
    let s = changing_session(&c, &headers).await?;
    let serial = parse_serial(&serial)?;
    let now = c.now();
    let mut tx = c.store.begin().await.map_err(Refusal::internal)?;
    tx.resume(&serial).await.map_err(status_error)?;
    let event = AuditEvent::new(
        Actor::Staff(s.staff.username.clone()),
        "certificate.resume",
        format!("certificate:{}", serial.to_hex()),
        json!({ "by": "staff-console" }),
    );
    tx.audit(&event, now).await.map_err(Refusal::internal)?;
    tx.commit().await.map_err(Refusal::internal)?;
    let record = c
        .store
        .certificate(&serial)
        .await
        .map_err(Refusal::internal)?
        .ok_or_else(|| status_error(StoreError::NotFound(serial.clone())))?;
    Ok(Json(certificate_row(&record, &c)))
}

// ---------------------------------------------------------------------------------------------
// The audit trail and inquiries

#[derive(Deserialize, utoipa::IntoParams)]
struct Limit {
    /// How many of the newest entries (1–500, default 100).
    #[serde(default)]
    limit: Option<i64>,
}

/// The newest audit entries and the verdict of the hash chain over the whole log.
#[utoipa::path(get, path = "/api/v1/staff/audit", tag = "staff", params(Limit),
    security(("staff_session" = [])),
    responses((status = 200, description = "`{\"verdict\": {intact, …}, \"entries\": [{seq, at, actor, action, subject, detail}]}`", body = Object),
        (status = 401, body = Problem)))]
async fn audit(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlQuery(l): UrlQuery<Limit>,
) -> Result<Json<serde_json::Value>, Refusal> {
    session(&c, &headers).await?;
    let limit = l.limit.unwrap_or(100).clamp(1, 500);
    let entries = c.store.audit_tail(limit).await.map_err(Refusal::internal)?;
    let verdict = match c.store.verify_audit().await.map_err(Refusal::internal)? {
        dojang_store::AuditVerdict::Intact { entries, .. } => {
            json!({ "intact": true, "entries": entries })
        }
        dojang_store::AuditVerdict::Broken { seq, problem } => {
            json!({ "intact": false, "seq": seq, "problem": problem })
        }
    };
    Ok(Json(json!({
        "verdict": verdict,
        "entries": entries
            .iter()
            .map(|e| json!({
                "seq": e.seq,
                "at": rfc3339(e.at),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": serde_json::from_str::<serde_json::Value>(&e.detail).unwrap_or(serde_json::Value::Null),
            }))
            .collect::<Vec<_>>(),
    })))
}

/// The newest 100 inquiries from the support page (RRNs masked when received).
#[utoipa::path(get, path = "/api/v1/staff/inquiries", tag = "staff",
    security(("staff_session" = [])),
    responses((status = 200, description = "`{\"inquiries\": [{id, number, name, contact, category, title, body, created_at, status, handled_by, handled_at, note}]}`", body = Object),
        (status = 401, body = Problem)))]
async fn inquiries(
    State(c): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, Refusal> {
    session(&c, &headers).await?;
    let list = c.store.inquiries(None, 100).await.map_err(Refusal::internal)?;
    Ok(Json(json!({
        "inquiries": list
            .iter()
            .map(|q| json!({
                "id": q.id,
                "number": format!("Q-{:06}", q.id),
                "name": q.name,
                "contact": q.contact,
                "category": q.category,
                "title": q.title,
                "body": q.body,
                "created_at": rfc3339(q.created_at),
                "status": q.status.as_str(),
                "handled_by": q.handled_by,
                "handled_at": q.handled_at.map(rfc3339),
                "note": q.note,
            }))
            .collect::<Vec<_>>(),
    })))
}

/// How an inquiry was handled.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// Up to 1,000 characters.
    #[serde(default)]
    pub note: String,
}

/// Marks an open inquiry answered.
#[utoipa::path(post, path = "/api/v1/staff/inquiries/{id}/answer", tag = "staff",
    params(("id" = i64, Path, description = "The inquiry id")),
    request_body = AnswerInput,
    security(("staff_session" = [], "csrf_token" = [])),
    responses((status = 200, description = "`{\"id\": …, \"status\": \"answered\"}`", body = Object),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "Not open", body = Problem)))]
async fn answer(
    State(c): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<i64>,
    JsonBody(input): JsonBody<AnswerInput>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let s = changing_session(&c, &headers).await?;
    // Staff may paste what the customer wrote: the store masks an RRN, whoever typed it.
    let note = input.note.trim();
    if note.chars().count() > 1000 {
        return Err(Refusal::bad_input(
            "처리 메모는 1,000자까지 쓸 수 있습니다.",
            "The note may have at most 1,000 characters.",
        ));
    }
    let now = c.now();
    let mut tx = c.store.begin().await.map_err(Refusal::internal)?;
    if !tx.answer_inquiry(id, &s.staff.username, note, now).await.map_err(Refusal::internal)? {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "inquiry_not_open",
            "이미 처리되었거나 없는 문의입니다.",
            "No such open inquiry.",
        ));
    }
    let event = AuditEvent::new(
        Actor::Staff(s.staff.username.clone()),
        "inquiry.answer",
        format!("inquiry:{id}"),
        json!({}),
    );
    tx.audit(&event, now).await.map_err(Refusal::internal)?;
    tx.commit().await.map_err(Refusal::internal)?;
    Ok(Json(json!({ "id": id, "status": InquiryStatus::Answered.as_str() })))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(login, logout, session_info, customers, customer, unlock, lock, certificates, revoke, resume, audit, inquiries, answer),
    components(schemas(StaffSessionView, LoginInput, LockInput, CertificateList, RevokeInput, AnswerInput)),
    tags((name = "staff", description = "직원 콘솔: 고객 조회·잠금 해제, 인증서 폐기·효력정지·회복, 감사 기록, 고객 문의. Sign-in sets a session cookie; every change echoes the CSRF token in `X-CSRF-Token`."))
)]
pub struct StaffApi;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use dojang_store::StaffRole;

    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; dojang_staff=tok123; b=2"));
        assert_eq!(cookie_token(&h).map(|t| t.to_string()), Some("tok123".into()));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("__Host-dojang_staff=s3"));
        assert_eq!(cookie_token(&h).map(|t| t.to_string()), Some("s3".into()));
        assert!(cookie_token(&HeaderMap::new()).is_none());
    }

    async fn call(app: &Router, req: axum::http::Request<axum::body::Body>) -> Response {
        use tower::ServiceExt;
        app.clone().oneshot(req).await.unwrap()
    }

    fn post(path: &str) -> axum::http::request::Builder {
        axum::http::Request::post(path).header(header::CONTENT_TYPE, "application/json")
    }

    #[tokio::test]
    async fn an_rrn_in_a_staff_note_is_masked_before_it_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let c = super::super::web::tests::center(dir.path()).await;
        let app = crate::router(c.clone());
        let pw = "Staff-pass1!";
        staff::add(
            &c.store,
            "kim.teller",
            "김직원",
            StaffRole::Officer,
            pw,
            Actor::Operator,
            c.now(),
        )
        .await
        .unwrap();
        let question = dojang_store::NewInquiry {
            name: "홍길동".into(),
            contact: "010-1234-5678".into(),
            category: "renew".into(),
            title: "갱신 문의".into(),
            body: "갱신 기간이 언제부터인가요?".into(),
        };
        let mut tx = c.store.begin().await.unwrap();
        let id = tx.insert_inquiry(&question, c.now()).await.unwrap();
        tx.commit().await.unwrap();

        let login = json!({ "username": "kim.teller", "password": pw });
        let res =
            call(&app, post("/api/v1/staff/login").body(login.to_string().into()).unwrap()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let view: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let csrf = view["csrf_token"].as_str().unwrap().to_string();

        let note = json!({ "note": "고객 주민번호 900101-1777777 확인 후 안내" });
        let req = post(&format!("/api/v1/staff/inquiries/{id}/answer"))
            .header(header::COOKIE, cookie)
            .header(CSRF_HEADER, csrf)
            .body(note.to_string().into())
            .unwrap();
        assert_eq!(call(&app, req).await.status(), StatusCode::OK);
        let stored = c.store.inquiries(None, 10).await.unwrap();
        assert_eq!(stored[0].note.as_deref(), Some("고객 주민번호 ******-******* 확인 후 안내"));
    }
}
