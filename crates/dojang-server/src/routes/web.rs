//! The web page (인증센터 홈페이지): the front end built from `web/` into `web/dist/` and
//! embedded here at compile time, the little JSON the page needs beyond the flows API, the
//! support page's inquiries, and the guard every request passes.
//!
//! The page is one HTML document and one script (no inline script or style, so the CSP
//! `default-src 'self'` holds). It routes by the URL fragment (`/#/issue`), so the server
//! serves only `/`, `/assets/…` and the JSON API.
//!
//! **CSRF.** Customers' flows carry no cookie: a flow is reached only by its random id, which
//! a forged request from another site cannot know, and the CLI client uses the same API with
//! no browser at all. Staff sign in with a `SameSite=Strict`, `HttpOnly` session cookie and
//! every change they make must echo the session's CSRF token in `X-CSRF-Token` (checked in
//! `staff.rs`). On top of both, [`guard`] refuses any state-changing request that a browser
//! marks as coming from another site (`Sec-Fetch-Site`, `Origin`), and any state-changing
//! API request whose body is not JSON — an HTML form on another site can send neither.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::connect_info::{ConnectInfo, MockConnectInfo};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use dojang_config::TrustedProxies;
use dojang_pki::RevocationReason;
use dojang_profile::ProductId;
use dojang_store::{Actor, AuditEvent, CertificateRecord, NewInquiry};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use super::flows::Problem;
use super::input::{JsonBody, UrlPath};
use crate::center::Center;

pub(crate) mod limit;

use limit::{Client, Quota, RateLimit};

type Shared = Arc<Center>;

// ---------------------------------------------------------------------------------------------
// Refusals

/// A refused request, in the shape the flows API uses (`error`, `message_ko`, `message_en`),
/// so the page shows every error the same way.
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub ko: String,
    pub en: String,
    pub attempts_left: Option<u32>,
}

impl Refusal {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        ko: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Refusal { status, code, ko: ko.into(), en: en.into(), attempts_left: None }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "web request failed");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "일시적인 오류로 처리하지 못했습니다. 잠시 후 다시 시도해 주세요. 계속되면 고객센터(평일 09:00–18:00)에 문의해 주세요.",
            "The center could not complete the request. Try again in a moment; if it persists, call the customer center (weekdays 09:00–18:00).",
        )
    }

    pub fn bad_input(ko: impl Into<String>, en: impl Into<String>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, "bad_input", ko, en)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.code, "message_ko": self.ko, "message_en": self.en });
        if let Some(n) = self.attempts_left {
            body["attempts_left"] = json!(n);
        }
        (self.status, Json(body)).into_response()
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The embedded front end

/// One built file of `web/dist/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// `web/dist/`, as `npm run build` in `web/` made it (committed, so a machine with only Rust
/// serves the page).
const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../../../web/dist/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../../../web/dist/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../../../web/dist/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../../../web/dist/favicon.svg"),
    },
];

/// Strong ETags of the assets (SHA-1 of the bytes: a cache key, not a security measure).
fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha1::digest(a.body);
                let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

/// Serves an asset with its type and an ETag. Browsers revalidate every time (`no-cache`)
/// and get a `304` when nothing changed, so a new build is seen at once.
fn serve_asset(name: &str, headers: &HeaderMap) -> Response {
    let Some((i, asset)) = ASSETS.iter().enumerate().find(|(_, a)| a.name == name) else {
        return Refusal::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "없는 페이지입니다.",
            "No such page.",
        )
        .into_response();
    };
    let tag = etags().get(i).cloned().unwrap_or_default();
    revalidated(headers, &tag, || {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    })
}

/// The answer `body` makes, or `304 Not Modified` when the client already holds `tag` (a quoted
/// ETag); either way `no-cache`, so that clients ask again every time and see a change at once.
pub(crate) fn revalidated(
    headers: &HeaderMap,
    tag: &str,
    body: impl FnOnce() -> Response,
) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { body() };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    response
}

/// The page. The built `index.html` has a `<!--center-->` mark where the center's products and
/// fees are written in plain HTML: what a visitor sees before the script runs (or without it),
/// and what the script then replaces with the live page.
async fn index(State(c): State<Shared>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == "index.html") else {
        return Refusal::internal("index.html is not embedded").into_response();
    };
    let template = String::from_utf8_lossy(asset.body);
    let page = template.replace("<!--center-->", &home_html(&c));
    let tag = {
        let digest = Sha1::digest(page.as_bytes());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    };
    revalidated(&headers, &tag, || {
        ([(header::CONTENT_TYPE, asset.content_type)], page).into_response()
    })
}

/// The center's name and its products with their fees, as plain HTML.
fn home_html(c: &Center) -> String {
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
                format!("{}원{per}", dojang_profile::won::grouped(p.fee_krw))
            };
            format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}년</td></tr>",
                escape(&p.name_ko),
                escape(&p.usable_at_ko),
                fee,
                p.validity_days / 365
            )
        })
        .collect();
    format!(
        r#"<h1>{org} 인증센터</h1>
<p>공동인증서와 금융인증서의 발급·재발급·갱신·폐기를 도와드립니다. (이 페이지의 발급 기능은 JavaScript가 켜져 있어야 동작합니다.)</p>
<table class="products"><caption>인증서 종류와 수수료</caption>
<thead><tr><th scope="col">인증서</th><th scope="col">사용처</th><th scope="col">수수료</th><th scope="col">유효기간</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>고객센터 운영시간: 평일 09:00–18:00</p>"#,
        org = escape(&c.config.ca.organization),
    )
}

async fn asset(UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    serve_asset(&name, &headers)
}

pub fn router() -> Router<Shared> {
    let inquiries = Arc::new(RateLimit::new(INQUIRY_QUOTA));
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{name}", get(asset))
        .route("/cps", get(cps))
        .route("/api/v1/web/info", get(info))
        .route("/api/v1/web/flows/{id}/certificates", get(candidates))
        .route("/api/v1/inquiries", post(inquiry).layer(Extension(inquiries)))
}

// ---------------------------------------------------------------------------------------------
// The guard

/// Whether `origin` (`scheme://host[:port]`) is this site: the host the browser asked for, or
/// the configured public base URL.
fn same_site(origin: &str, host: Option<&str>, base_url: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    if origin.eq_ignore_ascii_case(base_url.trim_end_matches('/')) {
        return true;
    }
    let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// Every request to the page and the API passes here (see the module comment; relying parties'
/// endpoints do not, see `routes::relying_parties`): cross-site state changes and non-JSON
/// API changes are refused; answers of the JSON API and of the CSC API (`/csc/`, whose answers
/// carry access tokens and SADs: RFC 6749 §5.1) are not stored by caches; every answer, the
/// guard's own refusals included, tells the browser not to frame it or share its window.
pub async fn guard(State(c): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let csc = path.starts_with("/csc/");
    let api = path.starts_with("/api/") || csc;
    let response = match refusal(&c, &req) {
        Some(refused) => refused.into_response(),
        None => next.run(req).await,
    };
    protect(response, api, csc)
}

/// Why the guard refuses `req`, if it does.
fn refusal(c: &Center, req: &Request) -> Option<Refusal> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let h = req.headers();
    let fetch_site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let cross_site = matches!(fetch_site, Some("cross-site") | Some("same-site"))
        || origin.is_some_and(|o| !same_site(o, host, &c.config.base_url));
    if cross_site {
        let path = req.uri().path();
        tracing::warn!(path, origin, fetch_site, "cross-site state change refused");
        return Some(Refusal::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "다른 사이트에서 보낸 요청은 처리하지 않습니다. 인증센터 페이지에서 직접 진행해 주세요.",
            "Requests sent from another site are refused. Use the certificate center's own page.",
        ));
    }
    let json = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    // Only `/api/`: CSC's `auth/login` carries its credentials in a header and no body.
    if req.uri().path().starts_with("/api/") && !json {
        return Some(super::input::not_json());
    }
    None
}

/// The headers every answer behind the guard carries; an API's bodiless 405 (axum's) gets
/// that API's error JSON.
fn protect(mut response: Response, api: bool, csc: bool) -> Response {
    if api
        && response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = response.headers_mut().remove(header::ALLOW);
        response = method_not_allowed(csc);
        if let Some(allow) = allow {
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }
    let h = response.headers_mut();
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    response
}

/// 405 in the shape of the API asked: the page's (`error`, `message_ko`, `message_en`) or
/// CSC's (`error`, `error_description`, `message_ko`).
fn method_not_allowed(csc: bool) -> Response {
    let ko =
        "이 주소는 이 방식(HTTP 메서드)의 요청을 받지 않습니다. 받는 방식은 Allow 헤더에 있습니다.";
    let en = "This address does not take requests of this HTTP method; the Allow header lists the ones it takes.";
    if csc {
        let body = json!({ "error": "invalid_request", "error_description": en, "message_ko": ko });
        (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
    } else {
        Refusal::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", ko, en).into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// What the page needs to know

/// What the identify step asks for besides the internet-banking ID and the RRN.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentifyFields {
    /// The real name (실명).
    pub name: bool,
    /// The internet-banking password.
    pub password: bool,
}

/// The customer center's hours and number.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SupportInfo {
    pub hours_ko: String,
    pub hours_en: String,
    pub phone: String,
}

/// What the page needs to know about the center.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WebInfo {
    pub organization: String,
    pub base_url: String,
    /// The center's clock (RFC 3339), which a demo may shift: "days left" count from it.
    pub now: String,
    pub clock_shifted: bool,
    /// Renewal is open this many days before the end of validity.
    pub renewal_window_days: u32,
    pub support: SupportInfo,
    /// By flow kind (`issue`, `reissue`, `revoke`, `suspend`, `resume`, `financial-issue`,
    /// `financial-reissue`), from the center's identity policy.
    pub identify: BTreeMap<String, IdentifyFields>,
}

/// Which extra fields the identify step of each flow asks for, from the center's policy.
fn identify_fields(c: &Center) -> BTreeMap<String, IdentifyFields> {
    use dojang_identity::{Check, FlowKind, Policy};
    let policy = match &c.config.identity_policy {
        Some(text) => Policy::from_toml(text).unwrap_or_default(),
        None => Policy::default(),
    };
    [
        ("issue", FlowKind::Issue, ProductId::PersonalBank),
        ("reissue", FlowKind::Reissue, ProductId::PersonalBank),
        ("revoke", FlowKind::Revoke, ProductId::PersonalBank),
        ("suspend", FlowKind::Suspend, ProductId::PersonalBank),
        ("resume", FlowKind::Resume, ProductId::PersonalBank),
        // Both financial flows check what the financial issue does (dojang-flows checks.rs).
        ("financial-issue", FlowKind::FinancialIssue, ProductId::Financial),
        ("financial-reissue", FlowKind::FinancialIssue, ProductId::Financial),
    ]
    .into_iter()
    .map(|(name, kind, product)| {
        let checks = policy.checks(kind, product);
        let fields = IdentifyFields {
            name: checks.contains(&Check::RrnName),
            password: checks.contains(&Check::BankingLogin),
        };
        (name.to_string(), fields)
    })
    .collect()
}

/// The center's name, its clock (for "days left" under a shifted clock), support hours and
/// what the identify step of each flow asks for.
#[utoipa::path(get, path = "/api/v1/web/info", tag = "web",
    responses((status = 200, body = WebInfo)))]
async fn info(State(c): State<Shared>) -> Json<WebInfo> {
    Json(WebInfo {
        organization: c.config.ca.organization.clone(),
        base_url: c.config.base_url.clone(),
        now: rfc3339(c.now()),
        clock_shifted: c.config.clock.is_shifted(),
        renewal_window_days: 30,
        support: SupportInfo {
            hours_ko: "평일 09:00–18:00 (주말·공휴일 휴무)".into(),
            hours_en: "Weekdays 09:00–18:00 (closed on weekends and holidays)".into(),
            phone: "1588-0000".into(),
        },
        identify: identify_fields(&c),
    })
}

/// A certificate as the page and the staff console list it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateRow {
    /// Hex.
    pub serial: String,
    pub product: String,
    pub product_ko: String,
    pub subject: String,
    pub not_before: String,
    pub not_after: String,
    /// Whole days until the end of validity on the center's clock (negative once past).
    pub days_left: i64,
    /// `good`, `suspended`, `revoked` or `expired`.
    pub state: String,
    /// The reason's RFC 5280 name, when revoked or suspended.
    pub revocation_reason: Option<String>,
    pub revoked_at: Option<String>,
    /// In a flow's candidates: whether this flow can act on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<bool>,
    /// In the staff console: the holder's customer number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
}

/// A certificate as the page lists it.
pub(crate) fn certificate_row(r: &CertificateRecord, c: &Center) -> CertificateRow {
    let now = c.now();
    let state = match r.revocation {
        Some(rev) if rev.reason == RevocationReason::CertificateHold => "suspended",
        Some(_) => "revoked",
        None if r.not_after <= now => "expired",
        None => "good",
    };
    let product_ko = r
        .product
        .parse::<ProductId>()
        .map(|p| c.config.catalog.get(p).name_ko.clone())
        .unwrap_or_else(|_| r.product.clone());
    CertificateRow {
        serial: r.serial.to_hex(),
        product: r.product.clone(),
        product_ko,
        subject: r.subject.clone(),
        not_before: rfc3339(r.not_before),
        not_after: rfc3339(r.not_after),
        days_left: (r.not_after - now).whole_days(),
        state: state.into(),
        revocation_reason: r.revocation.map(|rev| rev.reason.name().to_string()),
        revoked_at: r.revocation.map(|rev| rfc3339(rev.at)),
        eligible: None,
        customer_id: None,
    }
}

/// A flow's candidates.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Candidates {
    pub certificates: Vec<CertificateRow>,
}

/// After the identify step of a reissue, revoke, suspend or resume: the customer's joint
/// certificates to choose from, each marked whether this flow can act on it. The flow id is the
/// only key (as for every flow request).
#[utoipa::path(get, path = "/api/v1/web/flows/{id}/certificates", tag = "web",
    params(("id" = String, Path, description = "The flow id")),
    responses(
        (status = 200, body = Candidates),
        (status = 404, description = "No such flow (or finished, or expired)", body = Problem),
        (status = 409, description = "The identify step is not done yet", body = Problem)))]
async fn candidates(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Candidates>, Refusal> {
    let unknown = || {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "unknown_flow",
            "진행 중인 신청을 찾을 수 없습니다. 처음부터 다시 진행해 주세요.",
            "No such flow; start again.",
        )
    };
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let flow = c.store.flow(&id).await.map_err(Refusal::internal)?.ok_or_else(unknown)?;
    if flow.finished_at.is_some() || flow.expires_at <= c.now() {
        return Err(unknown());
    }
    let Some(customer) = flow.customer_id else {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "identify_first",
            "본인 확인을 먼저 마쳐 주세요.",
            "Finish the identification step first.",
        ));
    };
    let owned = c.store.certificates_of(customer).await.map_err(Refusal::internal)?;
    let certificates = owned
        .iter()
        .filter(|r| r.product.parse::<ProductId>().is_ok_and(|p| p != ProductId::Financial))
        .map(|r| {
            let mut row = certificate_row(r, &c);
            let state = row.state.as_str();
            row.eligible = Some(match flow.kind.as_str() {
                "reissue" | "suspend" => state == "good",
                "revoke" => state == "good" || state == "suspended",
                "resume" => state == "suspended",
                _ => false,
            });
            row
        })
        .collect();
    Ok(Json(Candidates { certificates }))
}

// ---------------------------------------------------------------------------------------------
// Inquiries (고객지원 문의)

const CATEGORIES: [&str; 6] = ["issue", "renew", "revoke", "error", "financial", "other"];

/// Inquiries one client (an IP address, an IPv6 /64) may leave per hour: plenty for a person
/// with a question, too few to flood the staff's list. Clients the server cannot tell apart
/// (no peer address) share a larger allowance.
const INQUIRY_QUOTA: Quota =
    Quota { per_client: 5, shared: 100, window: Duration::from_secs(3600), capacity: 10_000 };

/// An inquiry from the support page.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryInput {
    /// 1–40 characters.
    pub name: String,
    /// A phone number or an e-mail address to answer to (1–100 characters).
    pub contact: String,
    /// `issue`, `renew`, `revoke`, `error`, `financial` or `other`.
    pub category: String,
    /// 1–100 characters.
    pub title: String,
    /// 1–2,000 characters.
    pub body: String,
    /// Consent to the collection of the name and contact to answer (개인정보 수집 동의).
    pub agree: bool,
}

/// The inquiry's number; nothing the customer wrote is sent back.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InquiryReceived {
    pub id: i64,
    /// `Q-000123`.
    pub number: String,
    pub received_at: String,
    pub message_ko: String,
    pub message_en: String,
}

fn length_ok(s: &str, max: usize) -> bool {
    let n = s.trim().chars().count();
    n >= 1 && n <= max
}

/// The client a request comes from, as rate limits count it (see [`client_address`]).
pub(crate) struct Peer(pub Option<IpAddr>);

impl FromRequestParts<Shared> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, c: &Shared) -> Result<Self, Self::Rejection> {
        let proxies = &c.config.trusted_proxies;
        Ok(Peer(client_address(&parts.extensions, &parts.headers, proxies)))
    }
}

/// The client's address: the peer's, when the server was started with connection info (or a
/// test mocks it), or the one a trusted load balancer names in `X-Forwarded-For`.
fn client_address(
    extensions: &Extensions,
    headers: &HeaderMap,
    proxies: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|m| m.0.ip()))?;
    let forwarded: Vec<&str> =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    Some(proxies.client(peer, &forwarded))
}

/// The 429 answer: when to come back, and the telephone for what cannot wait.
fn too_many_inquiries(retry: Duration) -> Response {
    let minutes = retry.as_secs().div_ceil(60).max(1);
    let mut response = Refusal::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_inquiries",
        format!(
            "문의가 짧은 시간에 너무 많이 접수되었습니다. 한 곳에서 한 시간에 {}건까지 남길 수 있습니다. 약 {minutes}분 뒤에 다시 남겨 주시거나, 급한 일은 고객센터(1588-0000, 평일 09:00–18:00)로 전화해 주세요.",
            INQUIRY_QUOTA.per_client
        ),
        format!(
            "Too many inquiries in a short time: at most {} an hour from one place. Try again in about {minutes} minutes, or call the customer center (1588-0000, weekdays 09:00–18:00) if it cannot wait.",
            INQUIRY_QUOTA.per_client
        ),
    )
    .into_response();
    with_retry_after(&mut response, retry);
    response
}

/// Says in `Retry-After` when a client held back by a rate limit may come back.
pub(crate) fn with_retry_after(response: &mut Response, retry: Duration) {
    if let Ok(v) = HeaderValue::from_str(&retry.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// Stores an inquiry (any resident registration number in it masked first) and answers with
/// its number only — nothing the customer wrote is sent back. Each client may leave a few per
/// hour (`429 too_many_inquiries`, with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/inquiries", tag = "web", request_body = InquiryInput,
    responses(
        (status = 201, body = InquiryReceived),
        (status = 400, description = "A field is missing or too long, or no consent", body = Problem),
        (status = 429, description = "Too many inquiries from this client; see Retry-After", body = Problem)))]
async fn inquiry(
    State(c): State<Shared>,
    Extension(limit): Extension<Arc<RateLimit>>,
    Peer(client): Peer,
    JsonBody(input): JsonBody<InquiryInput>,
) -> Result<Response, Refusal> {
    if !input.agree {
        return Err(Refusal::bad_input(
            "답변을 위한 개인정보(이름, 연락처) 수집·이용에 동의해 주세요.",
            "Agree to the collection of your name and contact so that we can answer.",
        ));
    }
    let checks = [
        (
            length_ok(&input.name, 40),
            "이름을 1~40자로 입력해 주세요.",
            "Enter a name of 1 to 40 characters.",
        ),
        (
            length_ok(&input.contact, 100),
            "연락받을 전화번호나 이메일을 입력해 주세요.",
            "Enter a phone number or e-mail address to answer to.",
        ),
        (
            CATEGORIES.contains(&input.category.as_str()),
            "문의 유형을 선택해 주세요.",
            "Choose the kind of inquiry.",
        ),
        (
            length_ok(&input.title, 100),
            "제목을 1~100자로 입력해 주세요.",
            "Enter a title of 1 to 100 characters.",
        ),
        (
            length_ok(&input.body, 2000),
            "문의 내용을 1~2,000자로 입력해 주세요.",
            "Enter your question in 1 to 2,000 characters.",
        ),
    ];
    if let Some((_, ko, en)) = checks.iter().find(|(ok, _, _)| !ok) {
        return Err(Refusal::bad_input(*ko, *en));
    }
    // Only inquiries that would be stored count: a typing mistake costs nothing.
    if let Err(retry) = limit.hit(Client::of(client), Instant::now()) {
        tracing::warn!(retry_after_s = retry.0.as_secs(), "inquiry refused: rate limit");
        return Ok(too_many_inquiries(retry.0));
    }
    // People put anything in any box; the store masks an RRN in any of them.
    let inquiry = NewInquiry {
        name: input.name.trim().to_string(),
        contact: input.contact.trim().to_string(),
        category: input.category,
        title: input.title.trim().to_string(),
        body: input.body.trim().to_string(),
    };
    let now = c.now();
    let mut tx = c.store.begin().await.map_err(Refusal::internal)?;
    let id = tx.insert_inquiry(&inquiry, now).await.map_err(Refusal::internal)?;
    let event = AuditEvent::new(
        Actor::Anonymous,
        "inquiry.receive",
        format!("inquiry:{id}"),
        json!({ "category": inquiry.category }),
    );
    tx.audit(&event, now).await.map_err(Refusal::internal)?;
    tx.commit().await.map_err(Refusal::internal)?;
    let received = InquiryReceived {
        id,
        number: format!("Q-{id:06}"),
        received_at: rfc3339(now),
        message_ko: "문의가 접수되었습니다. 평일 09:00–18:00에 남겨주신 연락처로 답변드립니다.".into(),
        message_en: "Your inquiry was received. We will answer on weekdays 09:00–18:00 at the contact you gave.".into(),
    };
    Ok((StatusCode::CREATED, Json(received)).into_response())
}

// ---------------------------------------------------------------------------------------------
// The certification practice statement

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn cps(State(c): State<Shared>) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>인증업무준칙 (CPS)</title><link rel="stylesheet" href="/assets/app.css"></head><body class="plain"><main class="page">
<h1>{org} 인증업무준칙 (Certification Practice Statement)</h1>
<p>이 인증기관은 본인확인을 마친 고객에게만 인증서를 발급하며, 폐지·효력정지 상태를 CRL과 OCSP로 즉시 공개합니다.</p>
<p>This CA issues certificates only after the customer's identity is checked, and publishes revocation and
suspension at once through its CRL (<code>{base}/crl/issuing.crl</code>) and OCSP responder (<code>{base}/ocsp</code>).</p>
<p><a href="/">인증센터 홈으로 (back to the certificate center)</a></p>
</main></body></html>"#,
        org = escape(&c.config.ca.organization),
        base = escape(&c.config.base_url),
    ))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(info, candidates, inquiry),
    components(schemas(WebInfo, IdentifyFields, SupportInfo, CertificateRow, Candidates, InquiryInput, InquiryReceived)),
    tags((name = "web", description = "인증센터 홈페이지: 안내 정보, 대상 인증서 목록, 고객 문의"))
)]
pub struct WebApi;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn same_site_is_the_host_asked_for_or_the_base_url() {
        let base = "https://ca.bank.example";
        assert!(same_site("http://127.0.0.1:8080", Some("127.0.0.1:8080"), base));
        assert!(same_site("https://ca.bank.example", Some("10.0.0.5:8080"), base));
        assert!(!same_site("https://evil.example", Some("127.0.0.1:8080"), base));
        assert!(!same_site("null", Some("127.0.0.1:8080"), base));
        assert!(!same_site("http://127.0.0.1:8081", Some("127.0.0.1:8080"), base));
    }

    #[test]
    fn every_asset_has_a_type_and_a_distinct_tag() {
        let tags = etags();
        assert_eq!(tags.len(), ASSETS.len());
        for a in ASSETS {
            assert!(!a.content_type.is_empty());
        }
    }

    /// A real center on a temporary data directory (its CA made on the spot).
    pub(crate) async fn center(dir: &std::path::Path) -> Shared {
        struct NoEnv;
        impl dojang_config::Env for NoEnv {
            fn get(&self, _: &str) -> Option<String> {
                None
            }
        }
        let flags =
            dojang_config::Flags { data_dir: Some(dir.to_path_buf()), ..Default::default() };
        let config = dojang_config::Config::load(&flags, &NoEnv).unwrap();
        let pass = dojang_ca::Passphrase::new("web route tests".into());
        let (c, _) = Center::open(config, &pass, OffsetDateTime::now_utc()).await.unwrap();
        Arc::new(c)
    }

    async fn send(
        app: &Router,
        from: Option<&str>,
        body: serde_json::Value,
    ) -> (StatusCode, HeaderMap, serde_json::Value) {
        send_via(app, from, None, body).await
    }

    /// `send` with an `X-Forwarded-For` header.
    async fn send_via(
        app: &Router,
        from: Option<&str>,
        forwarded_for: Option<&str>,
        body: serde_json::Value,
    ) -> (StatusCode, HeaderMap, serde_json::Value) {
        use tower::ServiceExt;
        let mut req = Request::post("/api/v1/inquiries")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        if let Some(xff) = forwarded_for {
            req.headers_mut().insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        }
        if let Some(ip) = from {
            let addr: SocketAddr = format!("{ip}:50000").parse().unwrap();
            req.extensions_mut().insert(ConnectInfo(addr));
        }
        let res = app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    fn question(n: usize) -> serde_json::Value {
        json!({
            "name": "홍길동", "contact": "010-1234-5678", "category": "renew",
            "title": format!("갱신 문의 {n}"), "body": "갱신 기간이 언제부터인가요?", "agree": true,
        })
    }

    #[tokio::test]
    async fn behind_a_trusted_load_balancer_each_client_has_its_own_allowance() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dojang.toml"), "trusted_proxies = [\"10.0.0.0/8\"]\n")
            .unwrap();
        let c = center(dir.path()).await;
        let app = crate::router(c.clone());
        let per = INQUIRY_QUOTA.per_client as usize;
        for n in 0..per {
            let (status, _, body) =
                send_via(&app, Some("10.0.0.2"), Some("198.51.100.1"), question(n)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        // The same client through the balancer is counted as itself…
        let (status, _, _) =
            send_via(&app, Some("10.0.0.3"), Some("198.51.100.1"), question(9)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        // …while another client behind the same balancer is not affected, even one that sends
        // a forged first hop.
        let (status, _, _) =
            send_via(&app, Some("10.0.0.2"), Some("198.51.100.1, 198.51.100.2"), question(10))
                .await;
        assert_eq!(status, StatusCode::CREATED);
        // A header from a connection that is not the balancer is not believed.
        for n in 0..per {
            let (status, _, _) =
                send_via(&app, Some("203.0.113.50"), Some(&format!("192.0.2.{n}")), question(n))
                    .await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let (status, _, _) =
            send_via(&app, Some("203.0.113.50"), Some("192.0.2.200"), question(11)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "counted by its own address");
    }

    #[tokio::test]
    async fn inquiries_are_limited_per_client_and_the_429_says_when_to_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = center(dir.path()).await;
        let app = crate::router(c.clone());
        let per = INQUIRY_QUOTA.per_client as usize;
        for n in 0..per {
            let (status, _, body) = send(&app, Some("203.0.113.7"), question(n)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (status, headers, body) = send(&app, Some("203.0.113.7"), question(99)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["error"], "too_many_inquiries");
        let ko = body["message_ko"].as_str().unwrap();
        assert!(ko.contains("한 시간에 5건까지") && ko.contains("분 뒤에 다시"), "{ko}");
        assert!(body["message_en"].as_str().unwrap().contains("at most 5 an hour"));
        assert!(
            !body.to_string().contains("갱신 문의 99"),
            "nothing the customer wrote comes back"
        );
        let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((3500..=3600).contains(&retry), "Retry-After {retry}");
        // A mistake is still explained (it would not be stored, so it does not count).
        let mut bad = question(100);
        bad["agree"] = json!(false);
        assert_eq!(send(&app, Some("203.0.113.7"), bad).await.0, StatusCode::BAD_REQUEST);
        // Another client is not affected, nor another IPv6 /64.
        assert_eq!(send(&app, Some("198.51.100.1"), question(7)).await.0, StatusCode::CREATED);
        assert_eq!(send(&app, Some("[2001:db8:1:2::1]"), question(8)).await.0, StatusCode::CREATED);
        // Requests without a known peer address share one larger allowance.
        assert_eq!(send(&app, None, question(9)).await.0, StatusCode::CREATED);
        let stored = c.store.inquiries(None, 100).await.unwrap();
        assert_eq!(stored.len(), per + 3, "the refused inquiry was not stored");
    }

    #[tokio::test]
    async fn an_rrn_in_any_field_of_an_inquiry_is_masked_before_it_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let c = center(dir.path()).await;
        let app = crate::router(c.clone());
        let mut q = question(0);
        q["name"] = json!("홍길동 9001011777777");
        q["contact"] = json!("010-1234-5678 / 900101–1777777");
        q["title"] = json!("번호 900101.1777777");
        q["body"] = json!("주민번호 ９００１０１－１７７７７７７ 입니다");
        let (status, _, body) = send(&app, Some("203.0.113.9"), q).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let stored = c.store.inquiries(None, 10).await.unwrap();
        let i = &stored[0];
        assert_eq!(i.name, "홍길동 ******-*******");
        assert_eq!(i.contact, "010-1234-5678 / ******-*******");
        assert_eq!(i.title, "번호 ******-*******");
        assert_eq!(i.body, "주민번호 ******-******* 입니다");
    }

    #[tokio::test]
    async fn the_openapi_document_lists_the_web_and_staff_routes() {
        let doc = serde_json::to_value(crate::routes::openapi().await.0).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/web/info",
            "/api/v1/web/flows/{id}/certificates",
            "/api/v1/inquiries",
            "/api/v1/staff/login",
            "/api/v1/staff/logout",
            "/api/v1/staff/session",
            "/api/v1/staff/customers",
            "/api/v1/staff/customers/{id}",
            "/api/v1/staff/customers/{id}/unlock",
            "/api/v1/staff/customers/{id}/lock",
            "/api/v1/staff/certificates",
            "/api/v1/staff/certificates/{serial}/revoke",
            "/api/v1/staff/certificates/{serial}/resume",
            "/api/v1/staff/audit",
            "/api/v1/staff/inquiries",
            "/api/v1/staff/inquiries/{id}/answer",
            "/api/v1/flows",
            "/csc/v1/signatures/signHash",
        ] {
            assert!(paths.contains_key(path), "{path} is missing from /api/openapi.json");
        }
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        for s in ["bearer", "staff_session", "csrf_token"] {
            assert!(schemes.contains_key(s), "security scheme {s}");
        }
        assert!(doc["paths"]["/api/v1/inquiries"]["post"]["responses"]
            .as_object()
            .unwrap()
            .contains_key("429"));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod header_tests {
    use tower::ServiceExt;

    use super::*;

    async fn headers_of(app: &Router, req: Request) -> (StatusCode, HeaderMap) {
        let res = app.clone().oneshot(req).await.unwrap();
        (res.status(), res.headers().clone())
    }

    async fn answer_of(app: &Router, req: Request) -> (StatusCode, HeaderMap, serde_json::Value) {
        let res = app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    // A CRL asked again with its ETag is not sent again (it can be MiBs) until a revocation
    // makes a new one, which the very next request gets.
    #[tokio::test]
    async fn a_crl_is_revalidated_by_its_tag_and_a_revocation_changes_it() {
        let dir = tempfile::tempdir().unwrap();
        let center = tests::center(dir.path()).await;
        let app = crate::router(center.clone());
        let ask = |tag: Option<&str>| {
            let mut b = Request::get("/crl/issuing.crl");
            if let Some(t) = tag {
                b = b.header(header::IF_NONE_MATCH, t);
            }
            b.body(Default::default()).unwrap()
        };
        let (status, first) = headers_of(&app, ask(None)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(first[header::CONTENT_TYPE], "application/pkix-crl");
        assert_eq!(first[header::CACHE_CONTROL], "no-cache");
        let tag = first[header::ETAG].to_str().unwrap().to_string();
        let (status, again) = headers_of(&app, ask(Some(&tag))).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert_eq!(again[header::ETAG], tag.as_str());

        let now = center.now();
        let serial: dojang_pki::Serial = "0C0FFEE1".parse().unwrap();
        let certificate = dojang_store::testing::certificate(&serial, now);
        center.store.insert_certificate(&certificate).await.unwrap();
        center
            .store
            .revoke(&serial, dojang_pki::RevocationReason::KeyCompromise, now)
            .await
            .unwrap();
        let (status, changed) = headers_of(&app, ask(Some(&tag))).await;
        assert_eq!(status, StatusCode::OK, "the new CRL, not 304");
        assert_ne!(changed[header::ETAG], tag.as_str());
    }

    // CSC answers carry access tokens and SADs (RFC 6749 §5.1: no-store); the guard's own
    // refusals carry the same headers as any answer; a 405 says what was wrong, as JSON.
    #[tokio::test]
    async fn every_api_answer_is_no_store_and_framed_the_guards_own_refusals_included() {
        let dir = tempfile::tempdir().unwrap();
        let app = crate::router(tests::center(dir.path()).await);
        let post = |path: &str, content_type: &str, origin: Option<&str>| {
            let mut b = Request::post(path).header(header::CONTENT_TYPE, content_type);
            if let Some(o) = origin {
                b = b.header(header::ORIGIN, o);
            }
            b.body(axum::body::Body::from("{}")).unwrap()
        };
        let get = |path: &str| Request::get(path).body(Default::default()).unwrap();
        let cases = [
            ("CSC info", get("/csc/v1/info"), StatusCode::OK, None),
            (
                "CSC login refused",
                post("/csc/v1/auth/login", "application/json", None),
                StatusCode::BAD_REQUEST,
                Some("invalid_request"),
            ),
            (
                "cross-site",
                post("/api/v1/inquiries", "application/json", Some("https://evil.example")),
                StatusCode::FORBIDDEN,
                Some("cross_site_request"),
            ),
            (
                "not JSON",
                post("/api/v1/inquiries", "text/plain", None),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("json_required"),
            ),
            (
                "API 405",
                get("/api/v1/inquiries"),
                StatusCode::METHOD_NOT_ALLOWED,
                Some("method_not_allowed"),
            ),
            (
                "CSC 405",
                get("/csc/v1/auth/login"),
                StatusCode::METHOD_NOT_ALLOWED,
                Some("invalid_request"),
            ),
        ];
        for (what, req, status, error) in cases {
            let (got, h, body) = answer_of(&app, req).await;
            assert_eq!(got, status, "{what}: {body}");
            assert_eq!(h[header::CACHE_CONTROL], "no-store", "{what}");
            for name in ["x-frame-options", "cross-origin-opener-policy", "content-security-policy"]
            {
                assert!(h.contains_key(name), "{what} lacks {name}");
            }
            if let Some(code) = error {
                assert_eq!(body["error"], code, "{what}: {body}");
            }
        }
        let (_, h, body) = answer_of(&app, get("/api/v1/inquiries")).await;
        assert_eq!(h[header::ALLOW], "POST");
        assert!(body["message_ko"].as_str().is_some_and(|m| m.contains("Allow")), "{body}");
        let (_, _, body) = answer_of(&app, get("/csc/v1/auth/login")).await;
        assert!(body["error_description"].as_str().is_some(), "{body}");
    }

    // The page and the API carry the page's protections; what relying parties fetch (CA
    // certificates, CRLs, OCSP) carries `nosniff` and its own caching rule, and none of the
    // page's policies — a CRL must stay fetchable from another site.
    #[tokio::test]
    async fn the_pages_headers_stay_on_the_page_and_the_api() {
        let dir = tempfile::tempdir().unwrap();
        let app = crate::router(tests::center(dir.path()).await);
        for path in ["/", "/api/v1/products", "/no-such-page"] {
            let (_, h) =
                headers_of(&app, Request::get(path).body(Default::default()).unwrap()).await;
            for name in [
                "x-frame-options",
                "cross-origin-resource-policy",
                "content-security-policy",
                "x-content-type-options",
                "referrer-policy",
            ] {
                assert!(h.contains_key(name), "{path} lacks {name}");
            }
        }
        let ocsp = Request::post("/ocsp")
            .header(header::CONTENT_TYPE, "application/ocsp-request")
            .body(axum::body::Body::from(vec![0x30, 0x00]))
            .unwrap();
        let crl = Request::get("/crl/issuing.crl").body(Default::default()).unwrap();
        let root = Request::get("/ca/root.crt").body(Default::default()).unwrap();
        for (what, req) in [("OCSP", ocsp), ("CRL", crl), ("root", root)] {
            let (status, h) = headers_of(&app, req).await;
            assert_eq!(status, StatusCode::OK, "{what}");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
            for name in
                ["x-frame-options", "cross-origin-resource-policy", "content-security-policy"]
            {
                assert!(!h.contains_key(name), "{what} carries {name}");
            }
        }
    }
}
