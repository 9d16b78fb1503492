//! `dojang ca …`: operator commands that work on the center's store and CA directly, with the
//! same `--data` as `serve` (and safely beside a running `serve`: SQLite WAL and the store's
//! status generation keep them in step).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use dojang_ca::CrlScope;
use dojang_pki::{RevocationReason, Serial};
use dojang_profile::ProductId;
use dojang_ra::IssueRequest;

use super::common::{self, DataArgs};

#[derive(Subcommand)]
pub enum CaCommand {
    /// Issue a certificate from a CSR (the subject comes from the CSR, checked against the product).
    Issue {
        #[command(flatten)]
        data: DataArgs,
        /// The CSR, PEM or DER.
        #[arg(long, value_name = "FILE")]
        csr: PathBuf,
        /// personal-bank, personal-general, limited, corporate-general or financial.
        #[arg(long, value_name = "ID")]
        product: ProductId,
        /// Where to write the certificate (PEM).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Revoke a certificate; the next OCSP answer and the next CRL show it.
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_name = "HEX")]
        serial: Serial,
        /// keyCompromise, superseded, cessationOfOperation, affiliationChanged, certificateHold, …
        #[arg(long, value_name = "REASON", default_value = "unspecified")]
        reason: RevocationReason,
    },
    /// Show a certificate's record and status.
    Show {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_name = "HEX")]
        serial: Serial,
        /// Print the certificate (PEM) too.
        #[arg(long)]
        pem: bool,
    },
    /// Make a new CRL now and write it (DER).
    Crl {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Which CA's CRL.
        #[arg(long, value_enum, default_value_t = Scope::Issuing)]
        scope: Scope,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Scope {
    Issuing,
    Root,
}

fn date(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub fn run(cmd: CaCommand) -> anyhow::Result<()> {
    common::runtime()?.block_on(async move {
        match cmd {
            CaCommand::Issue { data, csr, product, out } => {
                let config = common::load_config(&data.flags())?;
                let csr_bytes = std::fs::read(&csr)
                    .with_context(|| format!("reading the CSR {}", csr.display()))?;
                let (center, _, _) = common::open_center(config).await?;
                let issued = center
                    .ra
                    .issue(
                        IssueRequest {
                            csr: &csr_bytes,
                            product,
                            not_after: None,
                            subject_alt_name: None,
                            required_subject: None,
                            customer_id: None,
                        },
                        center.now(),
                    )
                    .await
                    .with_context(|| format!("refused to issue from {}", csr.display()))?;
                common::write_atomically(&out, issued.pem()?.as_bytes())?;
                println!("issued   {}", issued.serial);
                println!("subject  {}", issued.subject);
                println!("product  {}", issued.product);
                println!("valid    {} .. {}", date(issued.not_before), date(issued.not_after));
                println!("written  {}", out.display());
                Ok(())
            }
            CaCommand::Revoke { data, serial, reason } => {
                let config = common::load_config(&data.flags())?;
                let store = common::open_store(&config).await?;
                let record = store.revoke(&serial, reason, config.clock.now()).await?;
                println!("revoked  {} ({reason}, {})", record.serial, reason.korean());
                println!("subject  {}", record.subject);
                Ok(())
            }
            CaCommand::Show { data, serial, pem } => {
                let config = common::load_config(&data.flags())?;
                let store = common::open_store(&config).await?;
                let record = store.certificate(&serial).await?.ok_or_else(|| {
                    anyhow::anyhow!("no certificate with serial {serial} was issued here")
                })?;
                let now = config.clock.now();
                println!("serial   {}", record.serial);
                println!("subject  {}", record.subject);
                println!("product  {}", record.product);
                println!("issued   {}", date(record.issued_at));
                println!("valid    {} .. {}", date(record.not_before), date(record.not_after));
                let status = match record.revocation {
                    Some(r) if r.reason == RevocationReason::CertificateHold => {
                        format!("suspended (효력정지) since {}", date(r.at))
                    }
                    Some(r) => format!(
                        "revoked (폐기) since {}, reason {} ({})",
                        date(r.at),
                        r.reason,
                        r.reason.korean()
                    ),
                    None if record.not_after < now => "expired (만료)".to_string(),
                    None => "good (정상)".to_string(),
                };
                println!("status   {status}");
                if pem {
                    let cert = <x509_cert::Certificate as der::Decode>::from_der(&record.der)?;
                    print!("{}", der::EncodePem::to_pem(&cert, der::pem::LineEnding::LF)?);
                }
                Ok(())
            }
            CaCommand::Crl { data, out, scope } => {
                let config = common::load_config(&data.flags())?;
                let (center, _, _) = common::open_center(config).await?;
                let scope = match scope {
                    Scope::Issuing => CrlScope::Issuing,
                    Scope::Root => CrlScope::Root,
                };
                let crl = center.crl.rebuild(scope, center.now()).await?;
                common::write_atomically(&out, &crl.der)?;
                println!("CRL number {} written to {}", crl.number, out.display());
                println!(
                    "this update {}, next update {}",
                    date(crl.this_update),
                    date(crl.next_update)
                );
                Ok(())
            }
        }
    })
}
