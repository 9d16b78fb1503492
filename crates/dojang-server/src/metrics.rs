//! `/metrics`: what an operator watches, in the Prometheus text format. Libraries record
//! through the `metrics` facade (the store counts audited events — issuance, lockouts,
//! refusals; the OCSP responder counts the statuses it gives); this module installs the one
//! recorder of the process, times every HTTP request by route, and renders the lot.
//!
//! Routes are labelled by their pattern (`/api/v1/flows/{id}/{step}`), never by the raw path,
//! so a scanner cannot blow up the number of series.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets for requests: OCSP answers in a millisecond, issuance in tens of them,
/// Argon2-heavy identity checks in a few hundred.
const BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use. `None` if another recorder was installed
/// first (then `/metrics` says so instead of lying with zeros).
pub fn handle() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match built {
                Ok(h) => {
                    describe();
                    Some(h)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics is off");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "dojang_http_requests_total",
        "HTTP requests by route pattern, method and status"
    );
    describe_histogram!(
        "dojang_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern"
    );
    describe_counter!(
        "dojang_certificates_issued_total",
        "Certificates issued, by kind of issuance"
    );
    describe_counter!(
        "dojang_lockouts_total",
        "Locks set, and refusals because something is locked, by audit action"
    );
    describe_counter!("dojang_failures_total", "Failed checks and refused logins, by audit action");
    describe_counter!("dojang_audit_events_total", "Every audited event, by action");
    describe_counter!(
        "dojang_ocsp_responses_total",
        "OCSP responses by outcome (answered, malformed, internal_error)"
    );
    describe_counter!(
        "dojang_ocsp_cert_status_total",
        "Certificate statuses OCSP gave (good, revoked, unknown)"
    );
    describe_gauge!(
        "dojang_job_lease_held",
        "1 on the replica that runs a scheduled job (crl-refresh, housekeeping), 0 on the others"
    );
}

/// Counts and times every request by its route pattern.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("dojang_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("dojang_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// `GET /metrics`.
pub async fn serve() -> Response {
    match handle() {
        Some(h) => {
            h.run_upkeep();
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], h.render())
                .into_response()
        }
        None => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "metrics are off in this process: another metrics recorder was installed first\n",
        )
            .into_response(),
    }
}
