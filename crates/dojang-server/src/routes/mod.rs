//! HTTP routes. What relying parties fetch (CA certificates, CRLs, OCSP) is plain and public;
//! the JSON API lives under `/api/v1`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use dojang_ca::CrlScope;
use dojang_pki::Serial;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::center::Center;

mod flows;
mod simulator;

type Shared = Arc<Center>;

/// OCSP requests are small; a few kilobytes covers a signed request with its certificates.
const OCSP_BODY_LIMIT: usize = 16 * 1024;

/// The whole application.
pub fn router(center: Shared) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/cps", get(cps))
        .route("/ca/root.crt", get(root_cert))
        .route("/ca/issuing.crt", get(issuing_cert))
        .route("/crl/issuing.crl", get(issuing_crl))
        .route("/crl/root.crl", get(root_crl))
        .route("/ocsp", post(ocsp_post).layer(DefaultBodyLimit::max(OCSP_BODY_LIMIT)))
        .route("/ocsp/{*request}", get(ocsp_get))
        .route("/api/v1/products", get(products))
        .route("/api/v1/certificates/{serial}", get(certificate))
        .route("/api/openapi.json", get(openapi))
        .merge(flows::router())
        .merge(simulator::router())
        .fallback(not_found)
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
        .with_state(center)
}

/// A JSON error: a stable code for programs, a sentence for people.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "request failed");
    ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        message:
            "the center could not complete the request; try again, and tell the bank if it persists"
                .into(),
    }
}

/// The OpenAPI description of the JSON API.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    let mut doc = flows::FlowsApi::openapi();
    doc.merge(simulator::SimulatorApi::openapi());
    Json(doc)
}

async fn not_found() -> ApiError {
    ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: "no such page".into() }
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

async fn crl(c: &Center, scope: CrlScope) -> Result<Response, ApiError> {
    let der = c.crl.current(scope, c.now()).await.map_err(internal)?;
    Ok(der_response("application/pkix-crl", der))
}

async fn issuing_crl(State(c): State<Shared>) -> Result<Response, ApiError> {
    crl(&c, CrlScope::Issuing).await
}

async fn root_crl(State(c): State<Shared>) -> Result<Response, ApiError> {
    crl(&c, CrlScope::Root).await
}

fn ocsp_response(der: Vec<u8>) -> Response {
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

async fn ocsp_post(State(c): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.is_empty() && !ct.starts_with("application/ocsp-request") {
        tracing::debug!(
            content_type = ct,
            "OCSP POST with an unexpected content type; answering anyway"
        );
    }
    let (der, outcome) = c.ocsp.respond(&body, c.now()).await;
    tracing::debug!(?outcome, "OCSP POST");
    ocsp_response(der)
}

/// RFC 6960 Appendix A.1 / RFC 5019 §5: GET `{url}/{url-encoding of base-64 of DER}`.
async fn ocsp_get(State(c): State<Shared>, Path(request): Path<String>) -> Response {
    // The path extractor has already percent-decoded; some clients leave `+`, `/` and `=`
    // raw, others encode them; both arrive here as base64 text.
    let text: String = request.chars().filter(|ch| !ch.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text.as_bytes()))
        .unwrap_or_default();
    let (der, outcome) = c.ocsp.respond(&der, c.now()).await;
    tracing::debug!(?outcome, "OCSP GET");
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
    Path(serial): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let serial: Serial = serial.parse().map_err(|e: dojang_pki::serial::SerialError| ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "bad_serial",
        message: e.to_string(),
    })?;
    let record = c.store.certificate(&serial).await.map_err(internal)?.ok_or_else(|| ApiError {
        status: StatusCode::NOT_FOUND,
        code: "unknown_serial",
        message: format!("no certificate with serial {serial} was issued here"),
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

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn home(State(c): State<Shared>) -> Html<String> {
    let rows: String = c
        .config
        .catalog
        .all()
        .iter()
        .map(|p| {
            let fee = if p.fee_krw == 0 {
                "무료".to_string()
            } else {
                let per = match p.fee_period {
                    dojang_profile::product::FeePeriod::PerYear => " / 년",
                    dojang_profile::product::FeePeriod::PerIssue => "",
                };
                format!("{}원{per}", group_thousands(p.fee_krw))
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}년</td></tr>",
                escape(&p.name_ko),
                escape(&p.usable_at_ko),
                fee,
                p.validity_days / 365
            )
        })
        .collect();
    Html(format!(
        r#"<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{org} 인증센터</title></head>
<body>
<h1>{org} 인증센터</h1>
<p>공동인증서와 금융인증서의 발급·재발급·갱신·폐기를 도와드립니다.</p>
<table><caption>인증서 종류와 수수료</caption>
<thead><tr><th scope="col">인증서</th><th scope="col">사용처</th><th scope="col">수수료</th><th scope="col">유효기간</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>인증서 검증 (relying parties)</h2>
<ul>
<li><a href="/ca/root.crt">최상위 인증기관 인증서 (root CA)</a></li>
<li><a href="/ca/issuing.crt">인증기관 인증서 (issuing CA)</a></li>
<li><a href="/crl/issuing.crl">인증서 폐지 목록 (CRL)</a></li>
<li>OCSP: <code>{base}/ocsp</code></li>
</ul>
<p>고객센터 운영시간: 평일 09:00–18:00</p>
</body></html>"#,
        org = escape(&c.config.ca.organization),
        base = escape(&c.config.base_url),
    ))
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

async fn cps(State(c): State<Shared>) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>인증업무준칙 (CPS)</title></head><body>
<h1>{org} 인증업무준칙 (Certification Practice Statement)</h1>
<p>이 인증기관은 본인확인을 마친 고객에게만 인증서를 발급하며, 폐지·효력정지 상태를 CRL과 OCSP로 즉시 공개합니다.</p>
<p>This CA issues certificates only after the customer's identity is checked, and publishes revocation and
suspension at once through its CRL (<code>{base}/crl/issuing.crl</code>) and OCSP responder (<code>{base}/ocsp</code>).</p>
</body></html>"#,
        org = escape(&c.config.ca.organization),
        base = escape(&c.config.base_url),
    ))
}

#[cfg(test)]
mod tests {
    use super::group_thousands;

    #[test]
    fn fees_are_grouped_by_thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(4400), "4,400");
        assert_eq!(group_thousands(110000), "110,000");
        assert_eq!(group_thousands(1234567), "1,234,567");
    }
}
