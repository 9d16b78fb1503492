//! Issuance over the real HTTP API: the issue flow's CSR step (`POST /api/v1/flows/{id}/csr`),
//! the only HTTP path from a CSR to a stored certificate. Flows are first run up to that step
//! with every identity check real (untimed: those checks are the flow's row, not issuance's);
//! then their CSRs are submitted as fast as the center answers, each answer read as a
//! certificate.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use dojang_client::{FlowView, Input, KeyPair};
use dojang_pki::KeyType;
use indicatif::ProgressBar;

use crate::customers::Customer;
use crate::flow::{self, Prepared, Session, StepTimes};
use crate::load::{self, Sender, Target, ANSWER_TIMEOUT};
use crate::progress;

/// Flows waiting at their CSR step, and what preparing them took.
pub struct Preparation {
    pub flows: Vec<Prepared>,
    pub elapsed: Duration,
    pub clients: usize,
    /// Per step, summed over every client.
    pub times: StepTimes,
}

impl Preparation {
    /// One line for the report's notes: the rate and where the time went.
    pub fn note(&self, center: &str) -> String {
        let secs = self.elapsed.as_secs_f64();
        format!(
            "{center}: {} issue flows run to their CSR step in {secs:.1} s ({:.1} flows/s, {} clients; untimed), per step as the client waited for it: {}",
            self.flows.len(),
            self.flows.len() as f64 / secs.max(f64::EPSILON),
            self.clients,
            self.times.summary()
        )
    }
}

/// Runs `count` issue flows at `base` up to their CSR step, one client per customer in
/// `people` at once (each customer's flows one after another, so that each one-time code read
/// from the phone is that flow's), each with its RSA-2048 key pair; `bar` counts them.
pub fn prepare(
    base: &str,
    people: &[Customer],
    count: usize,
    bar: &ProgressBar,
) -> anyhow::Result<Preparation> {
    let tickets = AtomicUsize::new(0);
    let times = Mutex::new(StepTimes::default());
    let start = Instant::now();
    let flows = std::thread::scope(|scope| -> anyhow::Result<Vec<Prepared>> {
        let workers: Vec<_> = people
            .iter()
            .map(|c| {
                let (tickets, times) = (&tickets, &times);
                scope.spawn(move || -> anyhow::Result<Vec<Prepared>> {
                    let mut s =
                        Session::new(base, c.clone(), KeyPair::generate(KeyType::Rsa2048)?)?;
                    let mut mine = Vec::new();
                    while tickets.fetch_add(1, Ordering::Relaxed) < count {
                        mine.push(s.prepare(flow::PRODUCT).with_context(|| {
                            format!("preparing an issue flow for {}", c.banking_id)
                        })?);
                        bar.inc(1);
                    }
                    times.lock().map_err(|_| anyhow::anyhow!("step times"))?.merge(&s.times);
                    Ok(mine)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(count);
        for w in workers {
            all.extend(w.join().map_err(|_| anyhow::anyhow!("a preparing client panicked"))??);
        }
        Ok(all)
    })?;
    let elapsed = start.elapsed();
    let times = times.into_inner().map_err(|_| anyhow::anyhow!("step times"))?;
    Ok(Preparation { flows, elapsed, clients: people.len(), times })
}

/// What a submission saw.
#[derive(Clone, Copy, Debug)]
pub struct Submitted {
    /// Certificates received in the timed part.
    pub issued: u64,
    /// The timed part's seconds, from the first request to the last answer.
    pub secs: f64,
    /// Every answer, the warm-up's included: what the center did in all.
    pub answered: usize,
}

impl Submitted {
    pub fn per_second(&self) -> f64 {
        self.issued as f64 / self.secs.max(f64::EPSILON)
    }
}

/// Submits the prepared CSRs over `connections` keep-alive connections as fast as the center
/// answers, until they are all used or `limit` has passed.
///
/// The clients are tasks of an event-driven HTTP/1 client (hyper, one thread per core, as the
/// OCSP load): on a machine it shares with the center, the client should take as little as it
/// can of the cores the center is measured on. Threads of the customer's blocking client, one
/// per connection, took 130–150 µs of CPU per certificate here, half a signature. Each
/// connection first submits one CSR untimed (the warm-up: its connection open, the center's
/// threads and memory in place), then the clock starts. Every answer is kept and read as a
/// certificate whose serial is the one the center named — after the clock stops, since reading
/// it is the customer's work, not the center's; one that is not fails the run.
pub fn submit(
    base: &str,
    flows: &[Prepared],
    connections: usize,
    limit: Duration,
    label: &str,
) -> anyhow::Result<Submitted> {
    let target = Target::of(base)?;
    let requests = flows.iter().map(Request::of).collect::<anyhow::Result<Vec<_>>>()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("starting the CSR clients' runtime")?;
    let bar = progress::counted(label, flows.len() as u64, "certs");
    let run = Run { target, requests, next: AtomicUsize::new(0), bar: bar.clone() };
    let (answers, secs) = runtime.block_on(Arc::new(run).drive(connections.max(1), limit))?;
    bar.finish();
    let mut issued = 0;
    for answer in &answers {
        let flow = &flows[answer.request].flow;
        let view: FlowView = serde_json::from_slice(&answer.body)
            .with_context(|| format!("the answer to the CSR step of flow {flow}"))?;
        flow::issued(&view).with_context(|| format!("the CSR step of flow {flow}"))?;
        issued += u64::from(answer.timed);
    }
    Ok(Submitted { issued, secs, answered: answers.len() })
}

/// One CSR step's request: its path and JSON body.
struct Request {
    path: hyper::Uri,
    body: Bytes,
}

impl Request {
    fn of(p: &Prepared) -> anyhow::Result<Request> {
        let path = format!("/api/v1/flows/{}/csr", p.flow)
            .parse()
            .with_context(|| format!("flow id {:?} does not fit in a path", p.flow))?;
        let body = Input::Csr { pem: &p.csr_pem }.to_body().context("the CSR step's body")?;
        Ok(Request { path, body: Bytes::copy_from_slice(&body) })
    }
}

/// An answer kept for reading once the clock has stopped.
struct Answer {
    /// Which request it answers.
    request: usize,
    body: Bytes,
    /// Sent while the clock ran (not a warm-up).
    timed: bool,
}

/// The requests and the next one to send, shared by every connection.
struct Run {
    target: Target,
    requests: Vec<Request>,
    next: AtomicUsize,
    bar: ProgressBar,
}

impl Run {
    /// Opens every connection, warms each up, then starts the clock and sends until the
    /// requests or `limit` run out.
    async fn drive(
        self: Arc<Self>,
        connections: usize,
        limit: Duration,
    ) -> anyhow::Result<(Vec<Answer>, f64)> {
        let ready = Arc::new(tokio::sync::Barrier::new(connections + 1));
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(self.clone().connection(ready.clone(), limit)))
            .collect();
        ready.wait().await;
        let start = Instant::now();
        let mut answers = Vec::with_capacity(self.requests.len());
        for t in tasks {
            answers.extend(t.await.context("a CSR client stopped")??);
        }
        Ok((answers, start.elapsed().as_secs_f64()))
    }

    async fn connection(
        self: Arc<Self>,
        ready: Arc<tokio::sync::Barrier>,
        limit: Duration,
    ) -> anyhow::Result<Vec<Answer>> {
        let mut open = None;
        let mut answers = Vec::new();
        // Every connection reaches the barrier, whatever its warm-up did: one that failed
        // must not leave the others waiting.
        let warm = self.send_next(&mut open, false).await;
        ready.wait().await;
        answers.extend(warm?);
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let Some(answer) = self.send_next(&mut open, true).await? else { break };
            answers.push(answer);
            self.bar.inc(1);
        }
        Ok(answers)
    }

    /// Sends the next request, if any is left, and reads its whole answer.
    async fn send_next(
        &self,
        open: &mut Option<Sender>,
        timed: bool,
    ) -> anyhow::Result<Option<Answer>> {
        let request = self.next.fetch_add(1, Ordering::Relaxed);
        let Some(r) = self.requests.get(request) else { return Ok(None) };
        let body = tokio::time::timeout(ANSWER_TIMEOUT, self.exchange(open, r))
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {ANSWER_TIMEOUT:?}")))
            .with_context(|| format!("the CSR step {}", r.path))?;
        Ok(Some(Answer { request, body, timed }))
    }

    async fn exchange(&self, open: &mut Option<Sender>, r: &Request) -> anyhow::Result<Bytes> {
        let req = hyper::Request::post(r.path.clone())
            .header(hyper::header::HOST, &self.target.host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, "application/json")
            .body(http_body_util::Full::new(r.body.clone()))?;
        let (status, body) = load::exchange(open, &self.target.address, req).await?;
        if !status.is_success() {
            // The center's refusal says what was wrong; it holds nothing secret.
            let said = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            anyhow::bail!("HTTP {status}: {said}");
        }
        Ok(body)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};

    /// A center that answers every request, on every keep-alive connection, with `status` and
    /// `body`; its base URL.
    fn center_answering(status: &'static str, body: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || answer_all(stream, status, body));
            }
        });
        base
    }

    fn answer_all(stream: TcpStream, status: &str, body: &str) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut request = vec![0; length];
            reader.read_exact(&mut request).unwrap();
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            if writer.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    }

    fn flows(n: usize) -> Vec<Prepared> {
        (0..n)
            .map(|i| Prepared {
                flow: format!("flow-{i}"),
                csr_pem: "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n"
                    .into(),
            })
            .collect()
    }

    fn run(base: &str, flows: &[Prepared]) -> anyhow::Result<Submitted> {
        submit(base, flows, 2, Duration::from_secs(10), "test")
    }

    #[test]
    fn a_refused_csr_step_fails_the_run_with_the_centers_words() {
        let base = center_answering(
            "409 Conflict",
            r#"{"error":"conflict","message":"the flow has moved on"}"#,
        );
        let e = format!("{:#}", run(&base, &flows(4)).unwrap_err());
        assert!(e.contains("HTTP 409"), "{e}");
        assert!(e.contains("the flow has moved on"), "{e}");
        assert!(e.contains("/api/v1/flows/flow-"), "{e}");
    }

    #[test]
    fn an_answer_without_a_certificate_fails_the_run() {
        let base = center_answering(
            "200 OK",
            r#"{"id":"flow-0","kind":"issue","finished":false,"output":{}}"#,
        );
        let e = format!("{:#}", run(&base, &flows(4)).unwrap_err());
        assert!(e.contains("did not finish"), "{e}");
    }

    #[test]
    fn a_center_that_is_not_there_fails_the_run_instead_of_hanging() {
        // Every connection's warm-up fails; each still reaches the barrier, so the run ends
        // and says why.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let e = format!("{:#}", run(&base, &flows(4)).unwrap_err());
        assert!(e.contains("connecting to"), "{e}");
    }
}
