//! `dojang bench`: the benchmarks (dojang-bench does the work); and `dojang bench ocsp-load`,
//! the load generator the bench starts as a process of its own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use dojang_bench::{load, ocsp, replay, server, Options};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    load: Option<BenchCommand>,
    /// Small sizes and short runs (a minute or two), instead of a million certificates.
    #[arg(long)]
    quick: bool,
    /// Where bench.txt, bench.json and bench.png are written.
    #[arg(long, value_name = "DIR", default_value = "bench-results")]
    out: PathBuf,
    /// Seconds of each timed measurement (default 15, or 3 with --quick).
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<f64>,
    /// `openssl speed -seconds` (default 3, or 1 with --quick).
    #[arg(long, value_name = "SECONDS")]
    openssl_seconds: Option<u32>,
    /// Certificates in the store at size (default 1000000, or 10000 with --quick).
    #[arg(long, value_name = "N")]
    certificates: Option<u64>,
    /// How many of them are revoked: the CRL's size (default 100000, or 1000 with --quick).
    #[arg(long, value_name = "N")]
    revoked: Option<u64>,
    /// Customers running flows and logins at once (default 4 per core).
    #[arg(long, value_name = "N")]
    clients: Option<usize>,
    /// Connections of the OCSP load (default 8 per core).
    #[arg(long, value_name = "N")]
    connections: Option<usize>,
    /// Requests in hand at once: tasks issuing in-process, and clients submitting CSRs over
    /// HTTP (default 64 per core).
    #[arg(long, value_name = "N")]
    issuers: Option<usize>,
    /// Issue flows run up to their CSR step (untimed, every identity check real) for each CA's
    /// issuance-over-HTTP row (default 3000, or 400 with --quick; 0 leaves those rows out).
    #[arg(long, value_name = "N")]
    csr_flows: Option<usize>,
    /// Keep the data directories under DIR/work.
    #[arg(long)]
    keep: bool,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The OCSP load generator (the bench runs it as a separate process); prints JSON.
    #[command(hide = true)]
    OcspLoad {
        #[arg(long)]
        url: String,
        /// The DER requests to POST in turn, laid end to end (one or more).
        #[arg(long, value_name = "FILE")]
        body: PathBuf,
        #[arg(long, default_value_t = 8)]
        connections: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// A new connection for every request.
        #[arg(long)]
        close: bool,
    },
    /// The issuance-over-HTTP row taken apart for study: issue flows run to their CSR step
    /// once (`prepare`), then submitted again and again to fresh copies of that center
    /// (`replay`), with the server's own CPU per certificate. See docs/benchmarks.md.
    #[command(subcommand)]
    CsrStep(CsrStepCommand),
}

#[derive(Subcommand)]
enum CsrStepCommand {
    /// Makes a center in DIR/center and runs issue flows to their CSR step (every identity
    /// check real); writes DIR/prepared.json. A replay sets its copy's clock back to when
    /// this ended, so the flows are still waiting however much later it runs.
    Prepare {
        /// A new directory for the center and prepared.json.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Flows to prepare (about 50 a second on two cores).
        #[arg(long, default_value_t = 4000)]
        flows: usize,
        /// The CA's key.
        #[arg(long, value_enum, default_value_t = CaKeyArg::Rsa2048)]
        ca: CaKeyArg,
        /// Customers preparing flows at once.
        #[arg(long, default_value_t = 8)]
        clients: u32,
    },
    /// Submits DIR's prepared CSRs to a fresh copy of its center, TRIES times; prints
    /// certificates per second and the server's CPU per certificate (JSON, one line a try).
    Replay {
        /// A directory `prepare` filled.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Connections submitting at once (requests in hand).
        #[arg(long, default_value_t = 128)]
        connections: usize,
        /// Replays, each against a fresh copy.
        #[arg(long, default_value_t = 3)]
        tries: usize,
        /// Record each try's server with `perf record --call-graph dwarf` into DIR/perf.N.
        #[arg(long)]
        perf: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CaKeyArg {
    Rsa2048,
    P256,
}

impl From<CaKeyArg> for server::CaKey {
    fn from(arg: CaKeyArg) -> server::CaKey {
        match arg {
            CaKeyArg::Rsa2048 => server::CaKey::Rsa2048,
            CaKeyArg::P256 => server::CaKey::P256,
        }
    }
}

fn duration(seconds: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| anyhow::anyhow!("--seconds must be a positive number"))
}

fn csr_step(command: CsrStepCommand) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the dojang binary")?;
    match command {
        CsrStepCommand::Prepare { dir, flows, ca, clients } => {
            println!("{}", replay::prepare(&exe, &dir, ca.into(), clients, flows)?);
        }
        CsrStepCommand::Replay { dir, connections, tries, perf } => {
            let perf = perf.then_some(dir.as_path());
            for tried in replay::replay(&exe, &dir, connections, tries.max(1), perf)? {
                println!("{}", serde_json::to_string(&tried)?);
            }
        }
    }
    Ok(())
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.load {
        Some(BenchCommand::CsrStep(command)) => csr_step(command),
        Some(BenchCommand::OcspLoad { url, body, connections, seconds, close }) => {
            ocsp_load(url, &body, connections, seconds, close)
        }
        None => bench(args),
    }
}

fn ocsp_load(
    url: String,
    body: &Path,
    connections: usize,
    seconds: f64,
    close: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(body).with_context(|| format!("reading {}", body.display()))?;
    let bodies = load::split_requests(&bytes)
        .with_context(|| format!("reading the requests of {}", body.display()))?;
    let spec = load::LoadSpec { url, bodies, connections, duration: duration(seconds)?, close };
    let result = load::run(&spec, ocsp::is_successful, None);
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}

/// The benchmarks themselves, with `args`' sizes.
fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the dojang binary")?;
    let mut opts =
        if args.quick { Options::quick(exe, args.out) } else { Options::full(exe, args.out) };
    if let Some(s) = args.seconds {
        opts.duration = duration(s)?;
    }
    if let Some(s) = args.openssl_seconds {
        opts.openssl_seconds = s.max(1);
    }
    if let Some(n) = args.certificates {
        opts.certificates = n;
    }
    if let Some(n) = args.revoked {
        opts.revoked = n.min(opts.certificates);
    }
    if let Some(n) = args.clients {
        opts.clients = n.max(1);
    }
    if let Some(n) = args.issuers {
        opts.issuers = n.max(1);
    }
    if let Some(n) = args.csr_flows {
        opts.csr_flows = n;
    }
    if let Some(n) = args.connections {
        opts.connections = n.max(1);
    }
    opts.keep = args.keep;
    let report = dojang_bench::run(&opts)?;
    println!("{}", report.table());
    println!("written: {0}/bench.txt, {0}/bench.json, {0}/bench.png", opts.out.display());
    Ok(())
}
