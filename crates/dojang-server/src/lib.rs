//! The dojang HTTP server: CA certificates, CRLs and OCSP for relying parties, the JSON API,
//! and (later) the web page. [`Center`] wires the parts together once, for `dojang serve` and
//! for the operator commands alike.
#![forbid(unsafe_code)]

mod center;
mod connections;
mod jobs;
pub mod metrics;
mod routes;
pub mod staff;

pub use center::{open_store, Center, CenterError, Opening};
pub use routes::router;

use std::future::Future;

/// Serves `center` on `listener` until `shutdown` resolves, running the scheduled jobs (CRL
/// refresh, housekeeping) in the background when this replica holds their leases. The
/// configuration's `[http]` limits apply to every connection (`connections.rs`).
pub async fn serve(
    center: std::sync::Arc<Center>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = connections::Limits::of(&center.config.http);
    let app = router(center.clone());
    // After the router: it installs the metrics recorder the jobs' gauges go to.
    let jobs = jobs::Jobs::start(center);
    let upkeep = tokio::spawn(metrics::upkeep());
    connections::serve_connections(listener, app, limits, shutdown).await;
    jobs.stop().await;
    upkeep.abort();
    Ok(())
}
