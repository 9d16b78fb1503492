//! `dojang`: the certificate center (`dojang serve`), the operator's CA tools (`dojang ca …`)
//! and the customer's certificate client (`dojang cert …`). A thin layer over the library crates.
#![forbid(unsafe_code)]

mod cmd;

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
