//! `dojang ca …`: operator commands that work on the center's store and CA directly, with the
//! same `--data` as `serve` (and safely beside a running `serve`: SQLite WAL and the store's
//! status generation keep them in step).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use dojang_ca::CrlScope;
use dojang_npki::vid;
use dojang_pki::{RevocationReason, Serial};
use dojang_profile::ProductId;
use dojang_ra::IssueRequest;

use super::common::{self, DataArgs, NewFile, Readers};

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
        /// Overwrite --out and --random-out if they exist.
        #[arg(long)]
        force: bool,
        /// A file holding the holder's resident registration number (first line), for the VID
        /// a personal certificate carries. Or set DOJANG_HOLDER_RRN. Never on the command line.
        #[arg(long, value_name = "FILE")]
        holder_rrn_file: Option<PathBuf>,
        /// Where to write R, the VID random value (base64), which belongs in the holder's key
        /// file (randomNum). Default: printed.
        #[arg(long, value_name = "FILE")]
        random_out: Option<PathBuf>,
    },
    /// Check that a certificate's VID (identifyData) belongs to a resident registration
    /// number, given R from the holder's key file (a relying party's check).
    VerifyVid {
        /// The certificate, PEM or DER.
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// R, base64 or hex.
        #[arg(long, value_name = "R")]
        random: String,
        /// A file holding the RRN to check against (first line). Or set DOJANG_HOLDER_RRN.
        #[arg(long, value_name = "FILE")]
        rrn_file: Option<PathBuf>,
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
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
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

/// The holder's RRN from `file` or `DOJANG_HOLDER_RRN`; never from argv, never printed.
fn holder_rrn(file: Option<&std::path::Path>) -> anyhow::Result<Option<vid::Rrn>> {
    let text = match file {
        Some(path) => Some(zeroize::Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        )),
        None => std::env::var("DOJANG_HOLDER_RRN").ok().map(zeroize::Zeroizing::new),
    };
    match text {
        None => Ok(None),
        Some(t) => {
            let line = t.lines().next().unwrap_or("").trim().to_string();
            let line = zeroize::Zeroizing::new(line);
            vid::Rrn::new(&line)
                .map(Some)
                .map_err(|_| anyhow::anyhow!("the holder's RRN must be 13 digits (900101-1234567)"))
        }
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode_random(text: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine;
    let t = text.trim();
    if t.len().is_multiple_of(2) && t.chars().all(|c| c.is_ascii_hexdigit()) {
        if let Ok(b) = hex::decode(t) {
            return Ok(b);
        }
    }
    base64::engine::general_purpose::STANDARD
        .decode(t)
        .map_err(|_| anyhow::anyhow!("R must be base64 or hex"))
}

fn date(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub fn run(cmd: CaCommand) -> anyhow::Result<()> {
    common::runtime()?.block_on(async move {
        match cmd {
            CaCommand::Issue { data, csr, product, out, force, holder_rrn_file, random_out } => {
                let config = common::load_config(&data.flags())?;
                let csr_bytes = std::fs::read(&csr)
                    .with_context(|| format!("reading the CSR {}", csr.display()))?;
                let for_person =
                    config.catalog.get(product).holder == dojang_profile::HolderKind::Person;
                let rrn = holder_rrn(holder_rrn_file.as_deref())?;
                if for_person && rrn.is_none() {
                    anyhow::bail!(
                        "a {product} certificate is for a person and carries the holder's VID: give the holder's resident registration number in DOJANG_HOLDER_RRN or --holder-rrn-file FILE"
                    );
                }
                // Where the results go is checked (and their files made) before issuing: once
                // the certificate is stored, a refusal would lose its PEM and R.
                let pem_file = NewFile::create(&out, force, Readers::Anyone)?;
                let random_file = match &random_out {
                    Some(path) => Some(NewFile::create(path, force, Readers::Owner)?),
                    None => None,
                };
                let center = common::open_center(config).await?;
                let checked = dojang_ra::csr::check(&csr_bytes)
                    .with_context(|| format!("refused to issue from {}", csr.display()))?;
                let holder = center
                    .ra
                    .subject_rules()
                    .check(center.ra.catalog().get(product), &checked.subject)
                    .with_context(|| format!("refused to issue from {}", csr.display()))?;
                let (san, random) = match &rrn {
                    Some(rrn) if for_person => {
                        let r = vid::generate_random_num()?;
                        let data = vid::IdentifyData::new(
                            &holder.name,
                            rrn,
                            r.as_slice(),
                            vid::VidHash::Sha256,
                        )?;
                        let ext = dojang_profile::ext::extension(
                            const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME,
                            false,
                            &data.to_subject_alt_name()?,
                        )?;
                        (Some(ext), Some(r))
                    }
                    _ => (None, None),
                };
                let issued = center
                    .ra
                    .issue(
                        IssueRequest {
                            csr: csr_bytes.as_slice().into(),
                            product,
                            not_after: None,
                            subject_alt_name: san,
                            required_subject: None,
                            customer_id: None,
                        },
                        center.now(),
                    )
                    .await
                    .with_context(|| format!("refused to issue from {}", csr.display()))?;
                println!("issued   {}", issued.serial);
                println!("subject  {}", issued.subject);
                println!("product  {}", issued.product);
                println!("valid    {} .. {}", date(issued.not_before), date(issued.not_after));
                // The certificate is stored: from here a failure is reported with what to do,
                // never without the serial. R first, as it is kept nowhere else.
                let mut unwritten = Vec::new();
                if let Some(r) = random {
                    let b64 = base64_encode(r.as_slice());
                    match random_file {
                        Some(file) => {
                            let shown = file.path().display().to_string();
                            match file.write(format!("{b64}\n").as_bytes()) {
                                Ok(()) => println!("VID R    written to {shown}"),
                                Err(e) => {
                                    println!("VID R    {b64}");
                                    unwritten.push(format!(
                                        "R was not written ({e:#}); it is printed above (VID R) \
                                         and belongs in the holder's key file"
                                    ));
                                }
                            }
                        }
                        None => println!("VID R    {b64}"),
                    }
                }
                match pem_file.write(issued.pem()?.as_bytes()) {
                    Ok(()) => println!("written  {}", out.display()),
                    Err(e) => unwritten.push(format!(
                        "the certificate was not written ({e:#}); it is stored: get it with \
                         `dojang ca show --serial {} --pem`",
                        issued.serial
                    )),
                }
                if !unwritten.is_empty() {
                    anyhow::bail!(
                        "certificate {} was issued, but {}",
                        issued.serial,
                        unwritten.join("; and ")
                    );
                }
                Ok(())
            }
            CaCommand::VerifyVid { cert, random, rrn_file } => {
                let bytes = std::fs::read(&cert).with_context(|| format!("reading {}", cert.display()))?;
                let certificate: x509_cert::Certificate = if bytes.starts_with(b"-----") {
                    // Read whole before its DER (dojang_pki::pem says why).
                    dojang_pki::pem::decode_as(&bytes, "CERTIFICATE").map_err(anyhow::Error::from)
                } else {
                    der::Decode::from_der(&bytes).map_err(anyhow::Error::from)
                }
                .with_context(|| format!("{} is not a certificate", cert.display()))?;
                let r = decode_random(&random)?;
                let rrn = holder_rrn(rrn_file.as_deref())?.ok_or_else(|| {
                    anyhow::anyhow!("give the RRN to check in DOJANG_HOLDER_RRN or --rrn-file FILE")
                })?;
                let data = vid::IdentifyData::from_certificate(&certificate)
                    .with_context(|| format!("{} carries no usable VID", cert.display()))?;
                if data.verify(&rrn, &r) {
                    println!("VID matches: the certificate belongs to {} with that RRN", data.real_name);
                    Ok(())
                } else {
                    anyhow::bail!("VID does not match: the certificate does not belong to the person with that RRN (or R is not this key's)")
                }
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
            CaCommand::Crl { data, out, force, scope } => {
                let config = common::load_config(&data.flags())?;
                let file = NewFile::create(&out, force, Readers::Anyone)?;
                let center = common::open_center(config).await?;
                let scope = match scope {
                    Scope::Issuing => CrlScope::Issuing,
                    Scope::Root => CrlScope::Root,
                };
                let crl = center.crl.rebuild(scope, center.now()).await?;
                file.write(&crl.der).with_context(|| {
                    format!(
                        "CRL number {} was made and the center publishes it, but not written",
                        crl.number
                    )
                })?;
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
