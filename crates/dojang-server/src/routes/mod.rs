//! HTTP routes. What relying parties fetch (CA certificates, CRLs, OCSP) is plain and public;
//! the JSON API lives under `/api/v1`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use dojang_ca::CrlScope;
use dojang_pki::Serial;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::center::Center;
use input::UrlPath;

mod csc;
mod flows;
mod input;
mod login;
mod simulator;
pub(crate) mod staff;
mod transfer;
pub(crate) mod verify;
pub(crate) mod web;

type Shared = Arc<Center>;

/// OCSP requests are small; a few kilobytes covers a signed request with its certificates.
const OCSP_BODY_LIMIT: usize = 16 * 1024;

/// The whole application.
pub fn router(center: Shared) -> Router {
    // Installed before the first request, so nothing is counted into the void.
    crate::metrics::handle();
    Router::new()
        .merge(relying_parties())
        .merge(application(center.clone()))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .with_state(center)
}

/// What relying parties' software fetches (RFC 5280 §4.2.1.13 / §4.2.2.1, RFC 6960): public
/// artefacts in binary formats, never a document a browser renders, so the page's headers
/// (frame, opener and resource policies, CSP) have nothing to protect here — and a
/// `cross-origin-resource-policy: same-origin` would stop a browser-based verifier on another
/// site from fetching a CRL at all. `nosniff` stays: nothing here may be taken for HTML.
fn relying_parties() -> Router<Shared> {
    Router::new()
        .route("/ca/root.crt", get(root_cert))
        .route("/ca/issuing.crt", get(issuing_cert))
        .route("/crl/issuing.crl", get(issuing_crl))
        .route("/crl/root.crl", get(root_crl))
        .route("/ocsp", post(ocsp_post).layer(DefaultBodyLimit::max(OCSP_BODY_LIMIT)))
        .route("/ocsp/{*request}", get(ocsp_get))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// The page, the JSON API and the operator's endpoints, behind the page's guard and headers.
fn application(center: Shared) -> Router<Shared> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::serve))
        .route("/api/v1/products", get(products))
        .route("/api/v1/certificates/{serial}", get(certificate))
        .route("/api/openapi.json", get(openapi))
        .merge(flows::router())
        .merge(csc::router())
        .merge(simulator::router())
        .merge(web::router())
        .merge(staff::router())
        .merge(login::router())
        .merge(transfer::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(center, web::guard))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

type ApiError = web::Refusal;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

/// The OpenAPI description of the JSON API.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    let mut doc = flows::FlowsApi::openapi();
    doc.merge(simulator::SimulatorApi::openapi());
    doc.merge(login::LoginApi::openapi());
    doc.merge(csc::CscApi::openapi());
    doc.merge(transfer::TransferApi::openapi());
    doc.merge(web::WebApi::openapi());
    doc.merge(staff::StaffApi::openapi());
    add_security_schemes(&mut doc);
    Json(doc)
}

/// The credentials the paths name: the bearer token of certificate login and CSC, and the
/// staff console's session cookie with its CSRF header.
fn add_security_schemes(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
    };
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "staff_session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "dojang_staff",
            "Set by POST /api/v1/staff/login (named __Host-dojang_staff over https)",
        ))),
    );
    components.add_security_scheme(
        "csrf_token",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The csrf_token of the staff session, on every change",
        ))),
    );
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "요청한 주소를 찾을 수 없습니다. 주소를 확인하거나 인증센터 첫 화면에서 다시 시작해 주세요.",
        "No such page or API; check the address, or start again from the center's home page.",
    )
}

fn der_response(content_type: &'static str, body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn root_cert(State(c): State<Shared>) -> Response {
    der_response("application/pkix-cert", c.ca.root_der().to_vec())
}

async fn issuing_cert(State(c): State<Shared>) -> Response {
    der_response("application/pkix-cert", c.ca.issuing_der().to_vec())
}

/// The current CRL. It is rebuilt the moment a status changes, so clients and caches revalidate
/// every time (`no-cache`) and get `304` by the CRL's number and thisUpdate when it is the one
/// they hold: a 4.7 MiB CRL is not sent again unchanged, and a new one is never hidden.
async fn crl(c: &Center, scope: CrlScope, headers: &HeaderMap) -> Result<Response, ApiError> {
    let record = c.crl.current(scope, c.now()).await.map_err(internal)?;
    let tag = format!("\"{}-{}\"", record.number, record.this_update.unix_timestamp());
    Ok(web::revalidated(headers, &tag, || der_response("application/pkix-crl", record.der)))
}

async fn issuing_crl(State(c): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    crl(&c, CrlScope::Issuing, &headers).await
}

async fn root_crl(State(c): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    crl(&c, CrlScope::Root, &headers).await
}

fn count_ocsp(outcome: dojang_status::Outcome) {
    // Made once, after `router` installed the recorder; a labelled lookup costs a hash a time.
    static COUNTERS: std::sync::OnceLock<[metrics::Counter; 3]> = std::sync::OnceLock::new();
    let [answered, malformed, internal_error] = COUNTERS.get_or_init(|| {
        ["answered", "malformed", "internal_error"]
            .map(|label| metrics::counter!("dojang_ocsp_responses_total", "outcome" => label))
    });
    match outcome {
        dojang_status::Outcome::Answered => answered,
        dojang_status::Outcome::Malformed => malformed,
        dojang_status::Outcome::InternalError => internal_error,
    }
    .increment(1);
}

fn ocsp_response(der: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/ocsp-response"),
            // Answers are made live; a cache would hide the next revocation.
            (header::CACHE_CONTROL, "no-cache, no-store"),
        ],
        der,
    )
        .into_response()
}

/// A request's content type alone: the `HeaderMap` extractor would copy every header, on the
/// path that answers most requests.
struct ContentType(Option<HeaderValue>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ContentType {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ContentType(parts.headers.get(header::CONTENT_TYPE).cloned()))
    }
}

async fn ocsp_post(
    State(c): State<Shared>,
    ContentType(ct): ContentType,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    // A body too large, cut off or too slow is an unreadable request like any other: answered
    // `malformedRequest`, never with an HTTP error an OCSP client cannot read.
    let body = body.unwrap_or_default();
    let ct = ct.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.is_empty() && !ct.starts_with("application/ocsp-request") {
        tracing::debug!(
            content_type = ct,
            "OCSP POST with an unexpected content type; answering anyway"
        );
    }
    let (der, outcome) = c.ocsp.respond(&body, c.now()).await;
    tracing::debug!(?outcome, "OCSP POST");
    count_ocsp(outcome);
    ocsp_response(der)
}

/// RFC 6960 Appendix A.1 / RFC 5019 §5: GET `{url}/{url-encoding of base-64 of DER}`. The
/// path is read as sent and percent-decoded here, to bytes: anything undecodable (`%ff`, a
/// stray `%`) is an unreadable request, answered `malformedRequest` like any other rather than
/// refused with an HTTP error.
async fn ocsp_get(State(c): State<Shared>, uri: axum::http::Uri) -> Response {
    let raw = uri.path().strip_prefix("/ocsp/").unwrap_or_default();
    // Some clients leave `+`, `/` and `=` raw, others encode them; both decode to base64 text.
    let text: Vec<u8> =
        percent_encoding::percent_decode_str(raw).filter(|b| !b.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&text))
        .unwrap_or_default();
    let (der, outcome) = c.ocsp.respond(&der, c.now()).await;
    tracing::debug!(?outcome, "OCSP GET");
    count_ocsp(outcome);
    ocsp_response(der)
}

async fn products(State(c): State<Shared>) -> Json<serde_json::Value> {
    let list: Vec<_> = c
        .config
        .catalog
        .all()
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id,
                "name_ko": p.name_ko,
                "name_en": p.name_en,
                "holder": p.holder,
                "key_location": p.key_location,
                "fee_krw": p.fee_krw,
                "fee_period": p.fee_period,
                "validity_days": p.validity_days,
                "policy_oid": p.policy_oid.to_string(),
                "usable_at_ko": p.usable_at_ko,
                "usable_at_en": p.usable_at_en,
            })
        })
        .collect();
    Json(serde_json::json!({ "products": list }))
}

async fn certificate(
    State(c): State<Shared>,
    UrlPath(serial): UrlPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let serial: Serial = serial.parse().map_err(|e: dojang_pki::serial::SerialError| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_serial",
            "일련번호가 올바르지 않습니다. 인증서에 적힌 일련번호(16진수)를 확인해 주세요.",
            e.to_string(),
        )
    })?;
    let record = c.store.certificate(&serial).await.map_err(internal)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_serial",
            format!("일련번호 {serial}인 인증서는 이 인증센터에서 발급되지 않았습니다."),
            format!("no certificate with serial {serial} was issued here"),
        )
    })?;
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
    };
    let status = match record.revocation {
        None if record.not_after < c.now() => serde_json::json!({ "state": "expired" }),
        None => serde_json::json!({ "state": "good" }),
        Some(r) => serde_json::json!({
            "state": if r.reason == dojang_pki::RevocationReason::CertificateHold { "suspended" } else { "revoked" },
            "reason": r.reason,
            "revoked_at": fmt(r.at),
        }),
    };
    Ok(Json(serde_json::json!({
        "serial": record.serial.to_hex(),
        "product": record.product,
        "subject": record.subject,
        "not_before": fmt(record.not_before),
        "not_after": fmt(record.not_after),
        "status": status,
    })))
}
