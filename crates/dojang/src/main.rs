//! `dojang`: the certificate center (`dojang serve`), the operator's CA tools (`dojang ca …`)
//! and the customer's certificate client (`dojang cert …`). A thin layer over the library crates.
#![forbid(unsafe_code)]

mod cmd;

/// mimalloc instead of glibc's malloc: under load the center allocates and frees small
/// buffers per request on every worker thread, where glibc's arenas showed in the profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dojang",
    version,
    about = "dojang 인증센터: a Korean bank's certificate center and client"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the certificate center (web page, JSON API, OCSP, CRL).
    Serve(cmd::serve::ServeArgs),
    /// Operator tools that work on the center's store and CA directly.
    #[command(subcommand)]
    Ca(cmd::ca::CaCommand),
    /// The customer's certificates (NPKI folders, PFX).
    #[command(subcommand)]
    Cert(cmd::cert::CertCommand),
    /// Staff tools: enrol customers, lock and unlock them, verify the audit log.
    #[command(subcommand)]
    Admin(cmd::admin::AdminCommand),
    /// The simulated phone: messages the center sent to a number, e-mail or account.
    Phone(cmd::phone::PhoneArgs),
    /// Log in to a center with a certificate (인증서 로그인).
    Login(cmd::login::LoginArgs),
    /// Benchmarks against OpenSSL on this machine: issuance, OCSP, login, scale (--quick for a short run).
    Bench(cmd::bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    quiet_on_closed_output();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Ca(c) => cmd::ca::run(c),
        Command::Cert(c) => cmd::cert::run(c),
        Command::Admin(c) => cmd::admin::run(c),
        Command::Phone(args) => cmd::phone::run(args),
        Command::Login(args) => cmd::login::run(args),
        Command::Bench(args) => cmd::bench::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole chain of context on one line: what failed and why.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `dojang cert list | head -1`: when the reader goes away, `println!` fails with a broken pipe
/// and panics. That is not an error of ours; end quietly, as a Unix tool killed by SIGPIPE
/// would, instead of printing a panic. Any other panic is reported as usual.
fn quiet_on_closed_output() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}
