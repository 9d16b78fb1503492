//! The load generator: a fixed set of requests POSTed in turn on several connections for a
//! fixed time, every answer checked, every latency kept. The bench runs it in a process of
//! its own (`dojang bench ocsp-load`), so that the responder measured is not sharing an
//! address space — nor an allocator or a scheduler queue — with its client.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// What to send, where, how hard and for how long.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    pub url: String,
    /// The requests, each connection sending them in turn from a place of its own: a
    /// responder that keeps answers is asked about many certificates, not one.
    pub bodies: Vec<Vec<u8>>,
    pub connections: usize,
    pub duration: Duration,
    /// A new TCP connection for every request (`Connection: close`), as many OCSP clients do
    /// and as OpenSSL's responder requires.
    pub close: bool,
}

/// What the load saw.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first error, for the report.
    pub first_error: Option<String>,
}

/// Latencies in microseconds → the result.
pub fn summarize(mut micros: Vec<u32>, errors: u64, seconds: f64) -> LoadResult {
    micros.sort_unstable();
    let at = |q: f64| -> f64 {
        if micros.is_empty() {
            return 0.0;
        }
        let i = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1;
        f64::from(micros[i]) / 1000.0
    };
    let requests = micros.len() as u64;
    LoadResult {
        requests,
        errors,
        seconds,
        per_second: if seconds > 0.0 { requests as f64 / seconds } else { 0.0 },
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: micros.last().map_or(0.0, |m| f64::from(*m) / 1000.0),
        first_error: None,
    }
}

/// Runs the load in this process, `check` judging each answer's body. `progress` counts
/// answered requests as they come.
///
/// Every connection is a task (hyper's HTTP/1 client on a runtime of one thread per core): like
/// wrk, the generator spends little of a machine it shares with the responder it measures, and
/// the same client measures OpenSSL's responder, so the ratio stays fair.
pub fn run(
    spec: &LoadSpec,
    check: fn(&[u8]) -> bool,
    progress: Option<Arc<AtomicU64>>,
) -> LoadResult {
    // One thread per core, as wrk is run: a single thread could not keep a faster responder
    // busy, and more would only take turns with it.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let mut failed = summarize(Vec::new(), 1, 0.0);
            failed.first_error = Some(format!("starting the load's runtime: {e}"));
            return failed;
        }
    };
    runtime.block_on(run_connections(spec, check, progress))
}

async fn run_connections(
    spec: &LoadSpec,
    check: fn(&[u8]) -> bool,
    progress: Option<Arc<AtomicU64>>,
) -> LoadResult {
    let target = match Target::of(&spec.url) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            let mut failed = summarize(Vec::new(), 1, 0.0);
            failed.first_error = Some(e.to_string());
            return failed;
        }
    };
    if spec.bodies.is_empty() {
        let mut failed = summarize(Vec::new(), 1, 0.0);
        failed.first_error = Some("no request to send".into());
        return failed;
    }
    let bodies: Arc<[bytes::Bytes]> =
        spec.bodies.iter().map(|b| bytes::Bytes::from(b.clone())).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..spec.connections.max(1))
        .map(|n| {
            let one = Connection {
                target: target.clone(),
                bodies: bodies.clone(),
                next: n * bodies.len() / spec.connections.max(1),
                close: spec.close,
                check,
                progress: progress.clone(),
                stop: stop.clone(),
            };
            tokio::spawn(one.run())
        })
        .collect();
    tokio::time::sleep(spec.duration).await;
    stop.store(true, Ordering::Relaxed);
    let seconds = start.elapsed().as_secs_f64();
    let (mut all, mut errors, mut first_error) = (Vec::new(), 0, None);
    for t in tasks {
        if let Ok(seen) = t.await {
            all.extend(seen.micros);
            errors += seen.errors;
            first_error = first_error.or(seen.first_error);
        }
    }
    let mut result = summarize(all, errors, seconds);
    result.first_error = first_error;
    result
}

/// Where the requests go: the address to connect to, and the Host and path to send.
pub(crate) struct Target {
    pub(crate) address: String,
    pub(crate) host: String,
    pub(crate) path: hyper::Uri,
}

impl Target {
    pub(crate) fn of(url: &str) -> anyhow::Result<Target> {
        let uri: hyper::Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
        anyhow::ensure!(uri.scheme_str() == Some("http"), "the load speaks plain HTTP: {url}");
        let authority = uri.authority().with_context(|| format!("{url} names no host"))?;
        let address = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).parse()?;
        Ok(Target { address, host: authority.as_str().to_string(), path })
    }
}

/// One connection's loop: a request, its answer read whole and checked, again until stopped.
struct Connection {
    target: Arc<Target>,
    bodies: Arc<[bytes::Bytes]>,
    /// The request this connection sends next.
    next: usize,
    close: bool,
    check: fn(&[u8]) -> bool,
    progress: Option<Arc<AtomicU64>>,
    stop: Arc<AtomicBool>,
}

/// What one connection saw.
struct Seen {
    micros: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

/// How long one request may wait for its whole answer.
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) type Sender =
    hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>;

impl Connection {
    async fn run(mut self) -> Seen {
        let mut seen = Seen { micros: Vec::new(), errors: 0, first_error: None };
        let mut open: Option<Sender> = None;
        while !self.stop.load(Ordering::Relaxed) {
            let t0 = Instant::now();
            // A responder that stops answering is an error, not a bench that never ends.
            let body = self.bodies[self.next % self.bodies.len()].clone();
            self.next = self.next.wrapping_add(1);
            let answered = tokio::time::timeout(ANSWER_TIMEOUT, self.exchange(&mut open, body))
                .await
                .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {ANSWER_TIMEOUT:?}")));
            match answered {
                Ok(answer) if (self.check)(&answer) => {
                    seen.micros.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                    if let Some(p) = &self.progress {
                        p.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(_) => {
                    seen.errors += 1;
                    seen.first_error.get_or_insert_with(|| {
                        "an answer that is not a successful OCSP response".to_string()
                    });
                }
                Err(e) => {
                    open = None;
                    seen.errors += 1;
                    seen.first_error.get_or_insert(format!("{e:#}"));
                }
            }
            if self.close {
                open = None;
            }
        }
        seen
    }

    /// One request and its whole answer, on the open connection or a new one.
    async fn exchange(
        &self,
        open: &mut Option<Sender>,
        body: bytes::Bytes,
    ) -> anyhow::Result<bytes::Bytes> {
        let mut req = hyper::Request::post(self.target.path.clone())
            .header(hyper::header::HOST, &self.target.host)
            .header(hyper::header::CONTENT_TYPE, "application/ocsp-request");
        if self.close {
            req = req.header(hyper::header::CONNECTION, "close");
        }
        let req = req.body(http_body_util::Full::new(body))?;
        let (status, answer) = exchange(open, &self.target.address, req).await?;
        anyhow::ensure!(status.is_success(), "HTTP {status}");
        Ok(answer)
    }
}

/// Sends `req` on the open connection (`open`), or on a new one to `address` if there is none
/// or it closed, and reads the whole answer: its status and body.
pub(crate) async fn exchange(
    open: &mut Option<Sender>,
    address: &str,
    req: hyper::Request<http_body_util::Full<bytes::Bytes>>,
) -> anyhow::Result<(hyper::StatusCode, bytes::Bytes)> {
    use http_body_util::BodyExt as _;
    let sender = match open {
        Some(s) if !s.is_closed() => s,
        _ => open.insert(connect(address).await?),
    };
    sender.ready().await.context("the connection closed")?;
    let resp = sender.send_request(req).await.context("sending the request")?;
    let status = resp.status();
    let answer = resp.into_body().collect().await.context("reading the answer")?.to_bytes();
    Ok((status, answer))
}

/// A new HTTP/1 connection to `address` (no Nagle delay, as every client here wants).
async fn connect(address: &str) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    // The connection is driven by a task of its own; it ends when the sender is dropped or the
    // server closes.
    tokio::spawn(conn);
    Ok(sender)
}

/// Which load generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generator {
    /// `dojang bench ocsp-load`: the same client for every responder compared.
    Ours,
    /// wrk (Debian's package; an epoll client in C that leaves more of the machine to the
    /// server measured). It cannot read OpenSSL's answers, which end at connection close
    /// without a Content-Length, so it measures dojang only.
    Wrk,
}

/// Whether wrk is installed (`scripts/bench` installs it).
pub fn wrk_installed() -> bool {
    // `wrk --version` prints its usage and exits 1: it is there if it ran at all.
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs the load in a separate process: wrk, or `exe bench ocsp-load …`.
pub fn run_in_process_of_its_own(
    generator: Generator,
    exe: &Path,
    work: &Path,
    spec: &LoadSpec,
) -> anyhow::Result<LoadResult> {
    match generator {
        Generator::Wrk => run_wrk(work, spec),
        Generator::Ours => run_ours(exe, work, spec),
    }
}

/// The wrk script: POST the requests of `bodies` (DER, laid end to end) in turn, each thread
/// from a place of its own; count answers that are not a successful OCSPResponse
/// (`30 … 0a 01 00` in their first bytes); print one line the bench reads.
fn wrk_script(bodies: &Path, close: bool) -> String {
    let close = if close { "wrk.headers[\"Connection\"] = \"close\"\n" } else { "" };
    format!(
        r#"wrk.method = "POST"
local f = assert(io.open("{bodies}", "rb"))
local all = f:read("*a")
f:close()
-- The length of the DER element at i (tag, length, contents).
local function der_len(s, i)
  local b = s:byte(i + 1)
  if b < 0x80 then return 2 + b end
  local len = 0
  for k = 1, b - 0x80 do len = len * 256 + s:byte(i + 1 + k) end
  return 2 + (b - 0x80) + len
end
bodies = {{}}
local i = 1
while i <= #all do
  local n = der_len(all, i)
  table.insert(bodies, all:sub(i, i + n - 1))
  i = i + n
end
wrk.headers["Content-Type"] = "application/ocsp-request"
{close}local threads = {{}}
local started = 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("first", started)
  started = started + 1
end
function init(args)
  bad = 0
  nxt = (first * 7919) % #bodies
end
function request()
  nxt = nxt % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[nxt])
end
function response(status, headers, body)
  if status ~= 200 or body:byte(1) ~= 0x30 or not body:sub(1, 8):find("\10\1\0", 1, true) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.6f %.3f %.3f %.3f\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, b, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"#,
        bodies = bodies.display()
    )
}

/// The requests of a file of DER requests laid end to end (one or more), as `dojang bench
/// ocsp-load --body` and the wrk script read it.
pub fn split_requests(bytes: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    use der::{Decode, Reader};
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut reader = der::SliceReader::new(rest)?;
        der::Any::decode(&mut reader)
            .with_context(|| format!("request {} is not DER", out.len() + 1))?;
        let used = usize::try_from(reader.position())?;
        let (one, after) = rest.split_at(used);
        out.push(one.to_vec());
        rest = after;
    }
    anyhow::ensure!(!out.is_empty(), "no request in the file");
    Ok(out)
}

/// Writes `spec`'s requests, laid end to end, to `WORK/ocsp-requests.der`.
fn write_requests(work: &Path, spec: &LoadSpec) -> anyhow::Result<std::path::PathBuf> {
    let file = work.join("ocsp-requests.der");
    std::fs::write(&file, spec.bodies.concat()).context("writing the requests")?;
    Ok(file)
}

fn run_wrk(work: &Path, spec: &LoadSpec) -> anyhow::Result<LoadResult> {
    let body_file = write_requests(work, spec)?;
    let script = work.join("ocsp.lua");
    std::fs::write(&script, wrk_script(&body_file, spec.close))
        .context("writing the wrk script")?;
    let threads =
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(spec.connections.max(1));
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &spec.connections.max(1).to_string()])
        .args(["-d", &format!("{}s", spec.duration.as_secs().max(1))])
        .args(["--timeout", "30s", "-s"])
        .arg(&script)
        .arg(&spec.url)
        .stdin(Stdio::null())
        .output()
        .context("starting wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("RESULT ")).with_context(|| {
        format!("no result from wrk: {text}{}", String::from_utf8_lossy(&out.stderr))
    })?;
    let f: Vec<f64> = line.split_whitespace().filter_map(|t| t.parse().ok()).collect();
    anyhow::ensure!(f.len() == 7, "wrk's result line is not what the script prints: {line}");
    let (requests, socket_errors, bad, seconds) = (f[0] as u64, f[1] as u64, f[2] as u64, f[3]);
    let good = requests.saturating_sub(bad);
    Ok(LoadResult {
        requests: good,
        errors: socket_errors + bad,
        seconds,
        per_second: if seconds > 0.0 { good as f64 / seconds } else { 0.0 },
        p50_ms: f[4],
        p99_ms: f[5],
        max_ms: f[6],
        first_error: (socket_errors + bad > 0).then(|| {
            format!(
                "wrk: {socket_errors} socket errors, {bad} answers not a successful OCSP response"
            )
        }),
    })
}

/// `exe bench ocsp-load …`, which prints the result as JSON on its last line.
fn run_ours(exe: &Path, work: &Path, spec: &LoadSpec) -> anyhow::Result<LoadResult> {
    let body_file = write_requests(work, spec)?;
    let mut cmd = Command::new(exe);
    cmd.args(["bench", "ocsp-load", "--url", &spec.url])
        .arg("--body")
        .arg(&body_file)
        .args(["--connections", &spec.connections.to_string()])
        .args(["--seconds", &format!("{}", spec.duration.as_secs_f64())]);
    if spec.close {
        cmd.arg("--close");
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("starting the load process")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("the load process failed: {text}");
    }
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .context("no result from the load process")?;
    serde_json::from_str(line).context("the load process's result")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrk_script_posts_the_requests_in_turn_and_checks_each_answer() {
        let script = wrk_script(Path::new("/tmp/x.der"), true);
        assert!(script.contains(r#"io.open("/tmp/x.der", "rb")"#), "{script}");
        assert!(script.contains("wrk.format(nil, nil, nil, bodies[nxt])"), "{script}");
        assert!(script.contains(r#"wrk.headers["Connection"] = "close""#), "{script}");
        assert!(script.contains(r#"find("\10\1\0", 1, true)"#), "{script}");
        assert!(!wrk_script(Path::new("/tmp/x.der"), false).contains("Connection"));
    }

    // Requests of every length form (short, one and two length bytes) come apart again as
    // they were written; a truncated one is refused with its place.
    #[test]
    fn requests_laid_end_to_end_come_apart() {
        let short = vec![0x30, 0x03, 0x02, 0x01, 0x07];
        let mut long = vec![0x30, 0x81, 0x83, 0x04, 0x81, 0x80];
        long.extend([0xAB; 0x80]);
        let mut longer = vec![0x30, 0x82, 0x01, 0x04, 0x04, 0x82, 0x01, 0x00];
        longer.extend([0xCD; 0x100]);
        let all = [short.clone(), long.clone(), longer.clone(), short.clone()].concat();
        assert_eq!(split_requests(&all).expect("split"), vec![short.clone(), long, longer, short]);
        let err = split_requests(&all[..all.len() - 1]).expect_err("truncated");
        assert!(err.to_string().contains("request 4"), "{err}");
        assert!(split_requests(&[]).is_err());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let r = summarize((1..=100).map(|i| i * 1000).collect(), 2, 2.0);
        assert_eq!(r.requests, 100);
        assert_eq!(r.per_second, 50.0);
        assert_eq!(r.p50_ms, 50.0);
        assert_eq!(r.p99_ms, 99.0);
        assert_eq!(r.max_ms, 100.0);
        assert_eq!(r.errors, 2);
        let empty = summarize(Vec::new(), 0, 1.0);
        assert_eq!((empty.requests, empty.p99_ms), (0, 0.0));
    }
}
