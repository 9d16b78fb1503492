//! `/metrics`: what an operator watches, in the Prometheus text format. Libraries record
//! through the `metrics` facade (the store counts audited events — issuance, lockouts,
//! refusals; the OCSP responder counts the statuses it gives); this module installs the one
//! recorder of the process, times every HTTP request by route, and renders the lot.
//!
//! Routes are labelled by their pattern (`/api/v1/flows/{id}/{step}`), never by the raw path,
//! so a scanner cannot blow up the number of series.

use std::collections::{HashMap, HashSet};
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
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
        "dojang_ocsp_signer_expires_seconds",
        Unit::Seconds,
        "Time left before the OCSP signer in use ends; it is replaced with 30 days left"
    );
    describe_gauge!(
        "dojang_job_lease_held",
        "1 on the replica that runs a scheduled job (crl-refresh, housekeeping), 0 on the others"
    );
}

/// The series one request is counted in.
#[derive(Clone, Copy, Hash, PartialEq, Eq)]
struct Series {
    route: &'static str,
    method: &'static str,
    status: u16,
}

/// Handles of the series seen so far, so a request is counted without building label strings
/// and looking them up in the registry each time (the OCSP route answers tens of thousands a
/// second). Bounded: routes are the router's patterns, methods the standard ones.
static SERIES: OnceLock<RwLock<HashMap<Series, (Counter, Histogram)>>> = OnceLock::new();
/// Route patterns, each kept once for the life of the process (there are as many as routes).
static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();

fn route_name(pattern: &str) -> &'static str {
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(kept) = routes.read().unwrap_or_else(|p| p.into_inner()).get(pattern) {
        return kept;
    }
    let mut routes = routes.write().unwrap_or_else(|p| p.into_inner());
    match routes.get(pattern) {
        Some(kept) => kept,
        None => {
            let kept: &'static str = Box::leak(pattern.to_owned().into_boxed_str());
            routes.insert(kept);
            kept
        }
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        // Others are not served; one label keeps a scanner from adding series.
        _ => "other",
    }
}

fn handles(series: Series) -> (Counter, Histogram) {
    let all = SERIES.get_or_init(Default::default);
    if let Some(h) = all.read().unwrap_or_else(|p| p.into_inner()).get(&series) {
        return h.clone();
    }
    let made = (
        metrics::counter!("dojang_http_requests_total", "route" => series.route, "method" => series.method, "status" => series.status.to_string()),
        metrics::histogram!("dojang_http_request_duration_seconds", "route" => series.route),
    );
    all.write().unwrap_or_else(|p| p.into_inner()).insert(series, made.clone());
    made
}

/// Counts and times every request by its route pattern.
pub async fn track(req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map_or("unmatched", |m| route_name(m.as_str()));
    let method = method_name(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let (count, time) = handles(Series { route, method, status: response.status().as_u16() });
    time.record(started.elapsed().as_secs_f64());
    count.increment(1);
    response
}

/// How often the recorder folds the histogram samples recorded since into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds histogram samples into their buckets every few seconds, for as long as the server
/// runs. The exporter keeps each sample until upkeep runs, which it does on its own only when
/// scraped: a center nobody scrapes would otherwise hold every request's latency in memory.
pub(crate) async fn upkeep() {
    let Some(h) = handle() else { return };
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        h.run_upkeep();
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_kept_once_and_odd_methods_share_one_label() {
        let a = route_name("/api/v1/flows/{id}/{step}");
        let b = route_name(&String::from("/api/v1/flows/{id}/{step}"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(method_name(&Method::POST), "POST");
        assert_eq!(method_name(&Method::from_bytes(b"PROPFIND").unwrap()), "other");
    }
}
