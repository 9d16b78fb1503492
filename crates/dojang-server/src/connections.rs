//! Accepting and serving connections, with limits: a client has `[http]`'s time to send a
//! request's header (also the idle time allowed between requests on a kept-alive connection),
//! then that table's body time to send the whole body, and must keep taking its answer (no
//! write may wait longer than the send timeout for room); at most `max_connections` are served
//! at once, the rest wait in the listen backlog. Without these a few hundred slow or idle
//! clients held every file descriptor the process had.

pub(crate) mod guards;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use dojang_config::HttpSection;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

use guards::{DeadlineBody, SendStall};

/// File descriptors kept for what is not a client connection: the store's files and pool, the
/// per-thread read-only SQLite connections, the CA files, the listening socket, outgoing
/// requests (another institution's OCSP). A center at rest holds about 25.
const RESERVED_FILES: usize = 128;

/// How long to wait after an accept error that is not about one connection (out of file
/// descriptors, say) before trying again, so that the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(250);

/// The limits `serve_connections` applies, from the `[http]` table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub send_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// The configured limits, with `max_connections` lowered to what the open-file limit
    /// (`ulimit -n`) leaves room for, where the system says what that is.
    pub fn of(http: &HttpSection) -> Limits {
        let mut max_connections = http.max_connections.max(1);
        if let Some(files) = open_files_limit() {
            let room = files.saturating_sub(RESERVED_FILES).max(1);
            if room < max_connections {
                tracing::warn!(
                    configured = max_connections,
                    open_files_limit = files,
                    serving = room,
                    "[http] max_connections is more than the open-file limit leaves room for; \
                     serving fewer at once (raise ulimit -n to serve more)"
                );
                max_connections = room;
            }
        }
        Limits {
            header_timeout: Duration::from_secs(http.header_timeout_seconds.max(1)),
            body_timeout: Duration::from_secs(http.body_timeout_seconds.max(1)),
            send_timeout: Duration::from_secs(http.send_timeout_seconds.max(1)),
            max_connections,
        }
    }
}

/// Whether `e`, or an error it came from, is a request body that missed its deadline.
pub(crate) fn too_slow(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.is::<guards::BodyTooSlow>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere or when
/// unlimited.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files").split_whitespace().next()?.parse().ok()
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting and waits for the
/// connections in hand to finish what they are doing (an idle one is closed at once).
pub(crate) async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // A slot first: beyond the cap nothing is accepted, and the kernel's backlog holds (or
        // refuses) the newcomers.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // closed: never, the semaphore is ours
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        let service = per_connection(app.clone(), peer, limits.body_timeout);
        let stream = TokioIo::new(SendStall::new(stream, limits.send_timeout));
        let connection = graceful.watch(http.serve_connection(stream, service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients that went away end up here; nothing to act on.
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    // Closing the listening socket refuses newcomers at once instead of leaving them queued.
    drop(listener);
    graceful.shutdown().await;
}

/// The router for one connection's requests: each request carries the peer's address (the
/// inquiry limit counts by client) and a body that fails unless whole within `body_timeout`.
fn per_connection(
    app: Router,
    peer: SocketAddr,
    body_timeout: Duration,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let req = req.map(|body| DeadlineBody::new(body, body_timeout));
        app.clone().call(req)
    })
}

/// An accept error that concerns one connection (reset before it was taken) is passed over;
/// any other (out of file descriptors, memory) is logged and waited out briefly.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; trying again shortly");
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        let http = HttpSection { max_connections: usize::MAX / 2, ..HttpSection::default() };
        let limits = Limits::of(&http);
        if let Some(files) = open_files_limit() {
            assert!(limits.max_connections <= files.saturating_sub(RESERVED_FILES).max(1));
        }
        assert!(limits.max_connections >= 1);
        let small = Limits::of(&HttpSection { max_connections: 3, ..HttpSection::default() });
        assert_eq!(small.max_connections, 3);
        assert_eq!(small.header_timeout, Duration::from_secs(30));
    }
}
