//! The issuance-over-HTTP row taken apart for study: issue flows run to their CSR step once
//! (`prepare`), then replayed as often as wanted, each time against a fresh copy of that
//! center (`replay`), with what the server alone spent per certificate read from `/proc`.
//!
//! The full bench prepares its flows anew every run, which costs the center thirty to fifty
//! times what their CSR steps do; comparing two builds of the CSR step, or profiling it, needs
//! the same flows submitted again and again to the same starting store. A copy's clock is set
//! back to when its flows were prepared, so they are still waiting at their CSR step.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::csr_step::{self, Submitted};
use crate::flow::Prepared;
use crate::server::{self, CaKey, Server};
use crate::{customers, progress};

/// A flow waits at a step at most this long (the flow's idle limit); a replay's clock must
/// fall inside it.
const FLOW_IDLE: Duration = Duration::from_secs(600);

/// What `prepare` leaves in its directory, beside the center's data (`center/`).
#[derive(Serialize, Deserialize)]
struct PreparedRun {
    /// Unix seconds when the last flow reached its CSR step: a replay's clock.
    prepared_at: u64,
    base: String,
    flows: Vec<Prepared>,
}

const PREPARED_FILE: &str = "prepared.json";

fn unix_now() -> anyhow::Result<u64> {
    Ok(SystemTime::now().duration_since(UNIX_EPOCH).context("the system clock")?.as_secs())
}

/// Makes a center of its own under `dir/center` (a CA of `ca`'s key, `clients` customers
/// with security cards), runs `count` issue flows to their CSR step through its real
/// `dojang serve` with every identity check real, and writes them to `dir/prepared.json`.
pub fn prepare(
    exe: &Path,
    dir: &Path,
    ca: CaKey,
    clients: u32,
    count: usize,
) -> anyhow::Result<String> {
    let data = dir.join("center");
    if data.exists() {
        bail!("{} already holds a center; give a new --dir", data.display());
    }
    let base = server::configure(&data, server::free_port()?, ca)?;
    let runtime = tokio::runtime::Runtime::new().context("the async runtime")?;
    let people = runtime.block_on(async {
        let center = customers::open_center(&data).await?;
        customers::enrol(&center, 0, clients.max(1)).await
    })?;
    let serve = Server::start(exe, &data, &base)?;
    let began_at = unix_now()?;
    let bar = progress::counted("flows to their CSR step", count as u64, "flows");
    let preparation = csr_step::prepare(&serve.base, &people, count, &bar)?;
    bar.finish();
    drop(serve);
    let prepared_at = unix_now()?;
    if Duration::from_secs(prepared_at - began_at) >= FLOW_IDLE {
        bail!(
            "preparing took {} s, longer than a flow waits at its step ({} s): prepare fewer flows",
            prepared_at - began_at,
            FLOW_IDLE.as_secs()
        );
    }
    let note = preparation.note(&format!("flows prepared in {}", dir.display()));
    let file = PreparedRun { prepared_at, base, flows: preparation.flows };
    std::fs::write(dir.join(PREPARED_FILE), serde_json::to_vec(&file)?)
        .context("writing prepared.json")?;
    Ok(note)
}

/// What the server did in one replay.
#[derive(Debug, Serialize)]
pub struct Replayed {
    pub certs_per_second: f64,
    pub certificates: u64,
    /// The server's own CPU (user and system) per answer, warm-ups included.
    pub server_cpu_us: f64,
    /// The server threads' context switches per answer.
    pub switches: f64,
    /// This process's CPU per answer: the load generator's share of the same cores (and its
    /// reading of every answer as a certificate, after the clock stopped).
    pub client_cpu_us: f64,
}

/// Replays the flows `prepare` left in `dir` `tries` times over `connections` connections,
/// each time against a fresh copy of its center; with `perf`, each try's server is recorded
/// by `perf record --call-graph dwarf` into `perf.N` there.
pub fn replay(
    exe: &Path,
    dir: &Path,
    connections: usize,
    tries: usize,
    perf: Option<&Path>,
) -> anyhow::Result<Vec<Replayed>> {
    let file: PreparedRun = serde_json::from_slice(
        &std::fs::read(dir.join(PREPARED_FILE))
            .with_context(|| format!("reading {}: run prepare first", PREPARED_FILE))?,
    )
    .context("reading prepared.json")?;
    let mut out = Vec::new();
    for n in 1..=tries {
        let copy = dir.join("replay");
        if copy.exists() {
            std::fs::remove_dir_all(&copy).context("removing the last replay's copy")?;
        }
        copy_dir(&dir.join("center"), &copy)?;
        // The copy's clock: when the last flow was prepared, the first one still waiting.
        let behind = Duration::from_secs(unix_now()?.saturating_sub(file.prepared_at));
        let serve = Server::start_shifted(exe, &copy, &file.base, Some(behind))?;
        let recording =
            perf.map(|p| record(serve.pid(), &p.join(format!("perf.{n}")))).transpose()?;
        let (server_before, switches_before) = usage(serve.pid())?;
        let client_before = server::cpu_time(std::process::id()).context("own CPU time")?;
        let submitted = csr_step::submit(
            &serve.base,
            &file.flows,
            connections,
            Duration::from_secs(600),
            &format!("replay {n}/{tries}"),
        );
        let (server_after, switches_after) = usage(serve.pid())?;
        let client_after = server::cpu_time(std::process::id()).context("own CPU time")?;
        if let Some(recording) = recording {
            stop(recording)?;
        }
        drop(serve);
        let submitted = submitted?;
        let Submitted { issued, answered, .. } = submitted;
        let per = |d: Duration| d.as_secs_f64() * 1e6 / answered.max(1) as f64;
        out.push(Replayed {
            certs_per_second: submitted.per_second(),
            certificates: issued,
            server_cpu_us: per(server_after.saturating_sub(server_before)),
            switches: switches_after.saturating_sub(switches_before) as f64
                / answered.max(1) as f64,
            client_cpu_us: per(client_after.saturating_sub(client_before)),
        });
        std::fs::remove_dir_all(&copy).context("removing the replay's copy")?;
    }
    Ok(out)
}

fn usage(pid: u32) -> anyhow::Result<(Duration, u64)> {
    Ok((
        server::cpu_time(pid).context("the server's CPU time")?,
        server::context_switches(pid).context("the server's context switches")?,
    ))
}

/// `cp -a`: the center's files as they are, its SQLite database and WAL together.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().context("running cp")?;
    if !status.success() {
        bail!("copying {} to {} failed ({status})", from.display(), to.display());
    }
    Ok(())
}

fn record(pid: u32, out: &Path) -> anyhow::Result<Child> {
    let child = Command::new("perf")
        .args(["record", "--call-graph", "dwarf,16384", "-F", "1999", "-q", "-o"])
        .arg(out)
        .args(["-p", &pid.to_string()])
        .stdin(Stdio::null())
        .spawn()
        .context("starting perf record (is perf installed?)")?;
    // perf attaches in its own time; what it misses of the warm-up does not matter.
    std::thread::sleep(Duration::from_millis(500));
    Ok(child)
}

/// Stops `perf record` the way Ctrl-C does, so that it writes its file out.
fn stop(mut perf: Child) -> anyhow::Result<()> {
    Command::new("kill").args(["-INT", &perf.id().to_string()]).status().context("kill -INT")?;
    perf.wait().context("waiting for perf record")?;
    Ok(())
}
