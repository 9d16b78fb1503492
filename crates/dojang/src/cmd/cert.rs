//! `dojang cert …`: the customer's certificates in their NPKI folders (list, show, change the
//! password, delete, export to PFX, import from PFX or NPKI files), and the flows with the
//! certificate center (issue, reissue, renew, revoke, suspend, resume: `flow.rs`).
//!
//! Output is Korean unless `--lang en`, `DOJANG_LANG=en` or an English locale (`LANG=en_*`)
//! asks for English. Passwords never come from the command line, where other users and shell
//! history would see them: they are read from the terminal without echo, or for scripts from
//! a file (`--password-file` …) or the environment (`DOJANG_CERT_PASSWORD` …).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use dojang_keystore::{
    CertInfo, Entry, Existing, FileAction, KeystoreError, Location, Medium, Store, TokenLabel,
    Validity,
};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Environment variables for scripts and tests (never argv).
pub const ENV_CERT_PASSWORD: &str = "DOJANG_CERT_PASSWORD";
pub const ENV_NEW_CERT_PASSWORD: &str = "DOJANG_NEW_CERT_PASSWORD";
pub const ENV_PFX_PASSWORD: &str = "DOJANG_PFX_PASSWORD";
pub const ENV_LANG: &str = "DOJANG_LANG";

#[derive(Subcommand)]
pub enum CertCommand {
    /// List the certificates (인증서 목록): subject, issuer, product, serial, validity, days left.
    List(ListArgs),
    /// Show one certificate in detail (인증서 보기).
    Show(ShowArgs),
    /// Change a certificate's password (인증서 암호 변경).
    Passwd(PasswdArgs),
    /// Delete a certificate and its key files (인증서 삭제).
    Delete(DeleteArgs),
    /// Export a certificate with its key as a PFX (PKCS#12) file (인증서 내보내기).
    Export(ExportArgs),
    /// Import a PFX file, an NPKI pair (signCert.der + signPri.key) or an NPKI folder (인증서 가져오기).
    Import(ImportArgs),
    /// Get a new certificate from the certificate center (인증서 발급): terms, identity
    /// checks, fee, then the key pair is made here and the certificate saved where you choose.
    Issue(super::flow::IssueArgs),
    /// Get a certificate again after losing it or its password (인증서 재발급); the old one is
    /// revoked and the new one keeps its end date.
    Reissue(super::flow::ReissueArgs),
    /// Renew a certificate in its last 30 days, with the certificate and its password (인증서 갱신).
    Renew(super::flow::RenewArgs),
    /// Revoke a certificate at the center (인증서 폐기).
    Revoke(super::flow::RevokeArgs),
    /// Suspend a certificate at the center (인증서 효력정지).
    Suspend(super::flow::StatusArgs),
    /// Make a suspended certificate usable again (인증서 효력회복).
    Resume(super::flow::StatusArgs),
    /// The financial certificate kept by the center (금융인증서): issue, reissue, sign, show, auto-renew.
    Financial(super::financial::FinancialArgs),
    /// Register another institution's certificate at this bank (타기관 인증서 등록).
    Register(super::register::RegisterArgs),
    /// Remove a registered certificate of another institution (타기관 인증서 해제).
    Unregister(super::register::UnregisterArgs),
    /// Copy or move a certificate to another device through the center (인증서 복사 / 이동):
    /// `receive` on the new device shows a one-time number, `send` on this one takes it.
    Copy(super::copy::CopyArgs),
}

#[derive(Args, Clone, Debug)]
pub struct Common {
    /// Where the NPKI folder is: disk (this computer), removable:PATH (a USB disk or any
    /// folder, NPKI/ at its root) or phone (the phone store).
    #[arg(long, value_name = "WHERE", default_value = "disk", value_parser = parse_location)]
    pub location: Location,
    /// Language of the output (default: Korean, or English under an English locale).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

pub(crate) fn parse_location(s: &str) -> Result<Location, String> {
    s.parse().map_err(|e: dojang_keystore::location::BadLocation| e.to_string())
}

/// Where to read certificates from, for the commands that only read them: an NPKI folder, or a
/// security token (보안토큰), whose certificates are read through PKCS#11 with its PIN.
#[derive(Args, Clone, Debug)]
pub struct Place {
    /// Where the certificates are: disk (this computer), removable:PATH (a USB disk or any
    /// folder, NPKI/ at its root), phone (the phone store) or token:LABEL (a security token).
    #[arg(long, value_name = "WHERE", default_value = "disk", value_parser = super::token::parse_medium)]
    pub location: Medium,
    /// Language of the output (default: Korean, or English under an English locale).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

#[derive(Args, Clone, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub place: Place,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Which certificate: its serial number (as `list` shows it), its subject, or part of the
/// subject such as the name. May be left out when the store holds one certificate.
#[derive(Args, Clone, Debug)]
pub struct Select {
    #[arg(value_name = "CERT")]
    pub cert: Option<String>,
}

#[derive(Args, Clone, Debug)]
pub struct ShowArgs {
    #[command(flatten)]
    pub place: Place,
    #[command(flatten)]
    pub select: Select,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Clone, Debug)]
pub struct PasswdArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub select: Select,
    /// Read the current certificate password from FILE (else $DOJANG_CERT_PASSWORD, else the terminal).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Read the new password from FILE (else $DOJANG_NEW_CERT_PASSWORD, else the terminal, twice).
    #[arg(long, value_name = "FILE")]
    pub new_password_file: Option<PathBuf>,
}

#[derive(Args, Clone, Debug)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub select: Select,
    /// Delete the certificate folder DIR (its path, or its name as `list` warns of it), even
    /// if its certificate cannot be read: the way to clear a damaged folder.
    #[arg(long, value_name = "DIR", conflicts_with = "cert")]
    pub folder: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Clone, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub select: Select,
    /// The PFX file to write.
    #[arg(long, value_name = "FILE")]
    pub pfx: PathBuf,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Read the certificate password from FILE (else $DOJANG_CERT_PASSWORD, else the terminal).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Read the password protecting the PFX from FILE (else $DOJANG_PFX_PASSWORD, else the terminal, twice).
    #[arg(long, value_name = "FILE")]
    pub pfx_password_file: Option<PathBuf>,
}

#[derive(Args, Clone, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub common: Common,
    /// A .pfx/.p12 file, a signCert.der (its signPri.key beside it), or a folder holding NPKI
    /// certificate folders (e.g. a USB disk's root or its NPKI folder).
    #[arg(value_name = "FILE|DIR")]
    pub source: PathBuf,
    /// Replace a stored certificate of the same subject (e.g. with its renewal).
    #[arg(long)]
    pub replace: bool,
    /// Read the PFX password from FILE (else $DOJANG_PFX_PASSWORD, else the terminal).
    #[arg(long, value_name = "FILE")]
    pub pfx_password_file: Option<PathBuf>,
    /// Read the certificate password to set from FILE (else $DOJANG_NEW_CERT_PASSWORD, else
    /// the terminal, twice). Only for PFX files; NPKI files keep their password.
    #[arg(long, value_name = "FILE")]
    pub new_password_file: Option<PathBuf>,
}

pub fn run(cmd: CertCommand) -> anyhow::Result<()> {
    match cmd {
        CertCommand::List(a) => list(a),
        CertCommand::Show(a) => show(a),
        CertCommand::Passwd(a) => passwd(a),
        CertCommand::Delete(a) => delete(a),
        CertCommand::Export(a) => export(a),
        CertCommand::Import(a) => import(a),
        CertCommand::Issue(a) => super::flow::issue(a),
        CertCommand::Reissue(a) => super::flow::reissue(a),
        CertCommand::Renew(a) => super::flow::renew(a),
        CertCommand::Revoke(a) => super::flow::revoke(a),
        CertCommand::Suspend(a) => super::flow::suspend(a),
        CertCommand::Resume(a) => super::flow::resume(a),
        CertCommand::Register(a) => super::register::register(a),
        CertCommand::Unregister(a) => super::register::unregister(a),
        CertCommand::Financial(a) => super::financial::run(a),
        CertCommand::Copy(a) => super::copy::run(a),
    }
}

// ---------------------------------------------------------------------------------------------
// Commands

fn list(a: ListArgs) -> anyhow::Result<()> {
    let t = Text::new(a.place.lang);
    let now = OffsetDateTime::now_utc();
    let mut restored = Vec::new();
    let (heading, root, shown, problems, damaged) = match &a.place.location {
        Medium::Npki(location) => {
            // A removable disk that is not there, or an NPKI folder that cannot be read, is
            // an error: "no certificates" would send the customer to reissue.
            let store = open(location, t)?;
            let listing = store.list().map_err(|e| t.error(e))?;
            let root = store.root().display().to_string();
            let heading = format!("{} {} ({root})", t.get(M::Store), store.location());
            let shown = listing.entries.iter().map(Shown::folder).collect();
            let problems: Vec<String> = listing.problems.iter().map(|p| t.describe(p)).collect();
            restored = listing.restored;
            // A folder of keys whose certificate is lost is removed the same way.
            let deletable = [listing.damaged, listing.keys_without_certificate].concat();
            (heading, Some(root), shown, problems, deletable)
        }
        Medium::Token(label) => {
            let shown = token_certificates(t, label)?;
            (format!("{} {label}", t.get(M::Token)), None, shown, Vec::new(), Vec::new())
        }
    };
    if a.json {
        let items: Vec<_> = shown.iter().map(|e| entry_json(e, now)).collect();
        let doc = serde_json::json!({
            "location": a.place.location.to_string(),
            "root": root,
            "certificates": items,
            "problems": problems,
            "restored": restored.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("{heading}");
    if shown.is_empty() {
        // Not "none stored" while a folder could not be read: one may be there.
        let m = if problems.is_empty() { M::NoCertificates } else { M::NoneReadable };
        println!("{}", t.get(m));
    }
    for (i, e) in shown.iter().enumerate() {
        println!();
        print_entry(t, i + 1, e, now, false);
    }
    for dir in &restored {
        eprintln!("{} {}", t.get(M::Restored), dir.display());
    }
    for p in &problems {
        eprintln!("{}: {}", t.get(M::Warning), p);
    }
    for dir in &damaged {
        let name = dir.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        eprintln!("  {} dojang cert delete --folder \"{name}\"", t.get(M::DeleteDamaged));
    }
    Ok(())
}

fn show(a: ShowArgs) -> anyhow::Result<()> {
    let t = Text::new(a.place.lang);
    let query = a.select.cert.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let shown = match &a.place.location {
        Medium::Npki(location) => {
            let store = open(location, t)?;
            Shown::folder(&store.find(query).map_err(|e| t.error(e))?)
        }
        Medium::Token(label) => {
            let mut all = token_certificates(t, label)?;
            let chosen = match query {
                Some(q) => dojang_keystore::pick(all.iter().map(|s| (&s.info, None)), q),
                None => (0..all.len()).collect(),
            };
            match chosen.as_slice() {
                [one] => all.swap_remove(*one),
                [] if all.is_empty() => bail!("{} ({label})", t.get(M::TokenEmpty)),
                [] => bail!("{} {:?} ({label})", t.get(M::TokenNoMatch), query.unwrap_or("")),
                many => {
                    let names: Vec<String> =
                        many.iter().map(|&i| all[i].info.to_string()).collect();
                    bail!("{}: {}", t.get(M::TokenAmbiguous), names.join("; "))
                }
            }
        }
    };
    let now = OffsetDateTime::now_utc();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&entry_json(&shown, now))?);
        return Ok(());
    }
    print_entry(t, 0, &shown, now, true);
    Ok(())
}

/// The certificates in the token `label`, read with its PIN. The keys stay inside; only the
/// certificates (public) are read.
fn token_certificates(t: Text, label: &TokenLabel) -> anyhow::Result<Vec<Shown>> {
    let ko = t.lang == Lang::Ko;
    let session = super::token::open(ko, label)?;
    let certificates = session.certificates().map_err(|e| super::token::token_error(ko, e))?;
    let products = dojang_keystore::default_products();
    certificates
        .iter()
        .map(|c| {
            let info = CertInfo::parse(&c.der, &products)
                .with_context(|| format!("{} ({label}, {})", t.get(M::CannotRead), c.label))?;
            Ok(Shown { info, km: None, place: Kept::Token(label.clone()), key_missing: false })
        })
        .collect()
}

fn passwd(a: PasswdArgs) -> anyhow::Result<()> {
    let t = Text::new(a.common.lang);
    let store = open(&a.common.location, t)?;
    let entry = store.find(a.select.cert.as_deref()).map_err(|e| t.error(e))?;
    println!("{} {}", t.get(M::Certificate), entry.info);
    let old = existing_password(
        a.password_file.as_deref(),
        ENV_CERT_PASSWORD,
        t.get(M::PromptCertPassword),
        t,
    )?;
    // Check the current password before asking for a new one.
    store.verify_password(&entry, &old).map_err(|e| t.error(e))?;
    let new = new_password(
        a.new_password_file.as_deref(),
        ENV_NEW_CERT_PASSWORD,
        M::PromptNewPassword,
        t,
    )?;
    store.change_password(&entry, &old, &new).map_err(|e| t.error(e))?;
    println!("{}", t.get(M::PasswordChanged));
    Ok(())
}

fn delete(a: DeleteArgs) -> anyhow::Result<()> {
    let t = Text::new(a.common.lang);
    let store = open(&a.common.location, t)?;
    if let Some(folder) = a.folder.as_deref() {
        if !a.yes && !confirmed(t, &format_args!("{} {folder}", t.get(M::Folder)))? {
            return Ok(());
        }
        let dir = store.delete_folder(folder).map_err(|e| t.error(e))?;
        println!("{} {}", t.get(M::Deleted), dir.display());
        return Ok(());
    }
    let entry = store.find(a.select.cert.as_deref()).map_err(|e| t.error(e))?;
    if !a.yes && !confirmed(t, &format_args!("{} {}", t.get(M::Certificate), entry.info))? {
        return Ok(());
    }
    store.delete(&entry).map_err(|e| t.error(e))?;
    println!("{} {}", t.get(M::Deleted), entry.info);
    Ok(())
}

/// Shows `what` and asks whether to delete it; says "cancelled" when not.
fn confirmed(t: Text, what: &dyn std::fmt::Display) -> anyhow::Result<bool> {
    println!("{what}");
    print!("{} ", t.get(M::ConfirmDelete));
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let answer = line.trim().to_lowercase();
    if matches!(answer.as_str(), "y" | "yes" | "예" | "네" | "ㅇ") {
        return Ok(true);
    }
    println!("{}", t.get(M::Cancelled));
    Ok(false)
}

fn export(a: ExportArgs) -> anyhow::Result<()> {
    let t = Text::new(a.common.lang);
    let store = open(&a.common.location, t)?;
    let entry = store.find(a.select.cert.as_deref()).map_err(|e| t.error(e))?;
    if a.pfx.exists() && !a.force {
        bail!("{}: {}", a.pfx.display(), t.get(M::FileExists));
    }
    println!("{} {}", t.get(M::Certificate), entry.info);
    let cert_pw = existing_password(
        a.password_file.as_deref(),
        ENV_CERT_PASSWORD,
        t.get(M::PromptCertPassword),
        t,
    )?;
    store.verify_password(&entry, &cert_pw).map_err(|e| t.error(e))?;
    let pfx_pw =
        new_password(a.pfx_password_file.as_deref(), ENV_PFX_PASSWORD, M::PromptNewPfxPassword, t)?;
    let pfx = store.export_pfx(&entry, &cert_pw, &pfx_pw).map_err(|e| t.error(e))?;
    dojang_keystore::atomic::write(&a.pfx, &pfx).map_err(|e| t.error(e))?;
    println!("{} {}", t.get(M::Exported), a.pfx.display());
    Ok(())
}

fn import(a: ImportArgs) -> anyhow::Result<()> {
    let t = Text::new(a.common.lang);
    let store = open(&a.common.location, t)?;
    let existing = if a.replace { Existing::Replace } else { Existing::Keep };
    let src = &a.source;
    let entries = if src.is_dir() {
        store.import_folder(src, existing).map_err(|e| t.error(e))?
    } else if is_npki_file(src) {
        use dojang_keystore::store::{KM_CERT, KM_KEY, SIGN_CERT, SIGN_KEY};
        let dir = src.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let signing_pair = dir.join(SIGN_CERT).is_file() && dir.join(SIGN_KEY).is_file();
        // Only that folder: without its signing pair the folder import would look below it.
        if signing_pair && (dir.join(KM_CERT).is_file() || dir.join(KM_KEY).is_file()) {
            // The km pair comes along: the folder import checks both pairs before it
            // writes either, so a damaged km pair leaves nothing stored.
            store.import_folder(dir, existing).map_err(|e| t.error(e))?
        } else {
            let (cert, key) = (dir.join(SIGN_CERT), dir.join(SIGN_KEY));
            vec![store.import_files(&cert, &key, existing).map_err(|e| t.error(e))?]
        }
    } else {
        let bytes = std::fs::read(src)
            .with_context(|| format!("{}: {}", src.display(), t.get(M::CannotRead)))?;
        dojang_npki::pfx::check_format(&bytes).map_err(|e| t.pfx_error(src, &e))?;
        let pfx_pw = existing_password(
            a.pfx_password_file.as_deref(),
            ENV_PFX_PASSWORD,
            t.get(M::PromptPfxPassword),
            t,
        )?;
        // Check the PFX password before asking for the new certificate password.
        dojang_npki::pfx::import(&bytes, &pfx_pw).map_err(|e| match e {
            dojang_npki::pfx::PfxError::WrongPassword => t.error(KeystoreError::WrongPfxPassword),
            other => t.pfx_error(src, &other),
        })?;
        let cert_pw = new_password(
            a.new_password_file.as_deref(),
            ENV_NEW_CERT_PASSWORD,
            M::PromptNewPassword,
            t,
        )?;
        vec![store.import_pfx(&bytes, src, &pfx_pw, &cert_pw, existing).map_err(|e| t.error(e))?]
    };
    for e in &entries {
        println!("{} {} → {}", t.get(M::Imported), e.info, e.dir.display());
    }
    Ok(())
}

/// `signCert.der`, `signPri.key`, `kmCert.der` or `kmPri.key`: one file of an NPKI pair.
fn is_npki_file(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        use dojang_keystore::store::{KM_CERT, KM_KEY, SIGN_CERT, SIGN_KEY};
        [SIGN_CERT, SIGN_KEY, KM_CERT, KM_KEY].iter().any(|f| n.eq_ignore_ascii_case(f))
    })
}

fn open(location: &Location, t: Text) -> anyhow::Result<Store> {
    let store = Store::open(location.clone()).map_err(|e| t.error(e))?;
    Ok(store.with_products(dojang_keystore::default_products()))
}

// ---------------------------------------------------------------------------------------------
// Output

/// Where a listed certificate is kept.
#[derive(Clone, Debug)]
enum Kept {
    Folder(PathBuf),
    Token(TokenLabel),
}

/// A certificate as `list` and `show` print it: its facts, its key-management certificate if
/// it has one, and where it is kept.
#[derive(Clone, Debug)]
struct Shown {
    info: CertInfo,
    km: Option<CertInfo>,
    place: Kept,
    /// The folder has no `signPri.key`: shown, marked, as it cannot sign.
    key_missing: bool,
}

impl Shown {
    fn folder(e: &Entry) -> Shown {
        Shown {
            info: e.info.clone(),
            km: e.km.clone(),
            place: Kept::Folder(e.dir.clone()),
            key_missing: e.key_missing,
        }
    }
}

fn print_entry(t: Text, index: usize, e: &Shown, now: OffsetDateTime, detail: bool) {
    let i = &e.info;
    // A list numbers its entries and indents their fields; `show` prints one flat block.
    let indent = if index > 0 { "    " } else { "" };
    let line = |m: M, value: &dyn std::fmt::Display| println!("{indent}{} {value}", pad(t.get(m)));
    if index > 0 {
        println!("[{index}] {}", i.subject);
    } else {
        line(M::Subject, &i.subject);
    }
    line(M::Issuer, &i.issuer);
    line(M::Product, &product_name(t, i));
    line(M::Serial, &i.serial);
    line(M::Validity, &format_args!("{} ~ {}", kst(i.not_before), kst(i.not_after)));
    line(M::Status, &status(t, i.validity(now)));
    if e.key_missing {
        line(M::Key, &t.get(M::KeyMissing));
    }
    if detail {
        let policies: Vec<String> = i.policies.iter().map(|o| o.to_string()).collect();
        line(M::Policies, &policies.join(", "));
        if let Some(km) = &e.km {
            line(M::KmCert, &format_args!("{} ({})", km.serial, kst(km.not_after)));
        }
        match &e.place {
            Kept::Folder(dir) => line(M::Folder, &dir.display()),
            Kept::Token(label) => line(M::Token, label),
        }
    }
}

/// `label` padded to [`LABEL`] terminal columns; Hangul takes two columns per character.
fn pad(label: &str) -> String {
    let wide = |c: char| matches!(u32::from(c), 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFF00..=0xFF60);
    let width: usize = label.chars().map(|c| if wide(c) { 2 } else { 1 }).sum();
    format!("{label}{}", " ".repeat(LABEL.saturating_sub(width)))
}

/// Label column width: wide enough for the English labels and the Korean ones.
const LABEL: usize = 10;

fn product_name(t: Text, i: &CertInfo) -> String {
    match (&i.product, i.policies.first()) {
        (Some(p), _) => match t.lang {
            Lang::Ko => p.ko.clone(),
            Lang::En => p.en.clone(),
        },
        (None, Some(oid)) => format!("{} ({oid})", t.get(M::UnknownProduct)),
        (None, None) => t.get(M::UnknownProduct).to_string(),
    }
}

fn status(t: Text, v: Validity) -> String {
    match (t.lang, v) {
        (Lang::Ko, Validity::Valid { days_left }) => format!("유효 (남은 기간 {days_left}일)"),
        (Lang::En, Validity::Valid { days_left }) => format!("valid ({days_left} days left)"),
        (Lang::Ko, Validity::ExpiringSoon { days_left }) => {
            format!("⚠ 만료 임박 (남은 기간 {days_left}일): 지금 갱신하세요")
        }
        (Lang::En, Validity::ExpiringSoon { days_left }) => {
            format!("⚠ EXPIRES SOON ({days_left} days left): renew it now")
        }
        (Lang::Ko, Validity::Expired { days_ago }) => {
            format!("⚠ 만료됨 ({days_ago}일 전): 갱신할 수 없으니 새로 발급받으세요")
        }
        (Lang::En, Validity::Expired { days_ago }) => {
            format!("⚠ EXPIRED ({days_ago} days ago): it cannot be renewed, issue a new one")
        }
        (Lang::Ko, Validity::NotYetValid) => "아직 유효하지 않음 (유효기간 시작 전)".into(),
        (Lang::En, Validity::NotYetValid) => "not yet valid".into(),
    }
}

/// Times as Korean banks show them: Korea Standard Time.
pub(crate) fn kst(t: OffsetDateTime) -> String {
    let k = t.to_offset(time::macros::offset!(+9));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} KST",
        k.year(),
        u8::from(k.month()),
        k.day(),
        k.hour(),
        k.minute()
    )
}

fn entry_json(e: &Shown, now: OffsetDateTime) -> serde_json::Value {
    let i = &e.info;
    let (status, flagged) = match i.validity(now) {
        Validity::NotYetValid => ("not-yet-valid", false),
        Validity::Valid { .. } => ("valid", false),
        Validity::ExpiringSoon { .. } => ("expiring-soon", true),
        Validity::Expired { .. } => ("expired", true),
    };
    let rfc3339 = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
    };
    serde_json::json!({
        "subject": i.subject,
        "issuer": i.issuer,
        "serial": i.serial.to_hex(),
        "not_before": rfc3339(i.not_before),
        "not_after": rfc3339(i.not_after),
        "days_left": i.days_left(now),
        "status": status,
        "flagged": flagged,
        "product": i.product.as_ref().map(|p| serde_json::json!({"id": p.id, "ko": p.ko, "en": p.en})),
        "policies": i.policies.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        "km": e.km.as_ref().map(|k| k.serial.to_hex()),
        "key_missing": e.key_missing,
        "folder": match &e.place { Kept::Folder(dir) => Some(dir.display().to_string()), Kept::Token(_) => None },
        "token": match &e.place { Kept::Token(label) => Some(label.to_string()), Kept::Folder(_) => None },
    })
}

// ---------------------------------------------------------------------------------------------
// Passwords

/// A password that exists already (the certificate's, or a PFX's): `file`, then `env`, then
/// the terminal without echo.
fn existing_password(
    file: Option<&Path>,
    env: &str,
    prompt: &str,
    t: Text,
) -> anyhow::Result<Zeroizing<String>> {
    if let Some(p) = from_file_or_env(file, env, t)? {
        return Ok(p);
    }
    prompt_hidden(prompt, env, t)
}

/// A password being set: `file`, then `env`, then the terminal twice (they must match).
/// The rule (10–30 characters, letters, digits, symbols) is checked by the store, which
/// names what is missing.
fn new_password(
    file: Option<&Path>,
    env: &str,
    prompt: M,
    t: Text,
) -> anyhow::Result<Zeroizing<String>> {
    if let Some(p) = from_file_or_env(file, env, t)? {
        return Ok(p);
    }
    println!("{}", t.get(M::PasswordRule));
    let first = prompt_hidden(t.get(prompt), env, t)?;
    if let Err(e) = dojang_keystore::password::check(&first) {
        return Err(t.error(KeystoreError::PasswordRule(e)));
    }
    let second = prompt_hidden(t.get(M::PromptConfirm), env, t)?;
    if first != second {
        bail!("{}", t.get(M::PasswordsDiffer));
    }
    Ok(first)
}

fn from_file_or_env(
    file: Option<&Path>,
    env: &str,
    t: Text,
) -> anyhow::Result<Option<Zeroizing<String>>> {
    if let Some(path) = file {
        let raw = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("{}: {}", path.display(), t.get(M::CannotRead)))?,
        );
        // One trailing newline is the file's, not the password's.
        let trimmed =
            raw.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&raw);
        return Ok(Some(Zeroizing::new(trimmed.to_string())));
    }
    Ok(std::env::var(env).ok().map(Zeroizing::new))
}

fn prompt_hidden(prompt: &str, env: &str, t: Text) -> anyhow::Result<Zeroizing<String>> {
    // rpassword reads the controlling terminal, so this works even when stdin is a pipe.
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| anyhow::anyhow!("{} (${env}, --…-file): {e}", t.get(M::NoTerminal)))
}

// ---------------------------------------------------------------------------------------------
// Messages

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// 한국어
    Ko,
    /// English
    En,
}

/// The message table: every user-facing string in both languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum M {
    Store,
    NoCertificates,
    Warning,
    Certificate,
    Subject,
    Issuer,
    Product,
    Serial,
    Validity,
    Status,
    Policies,
    KmCert,
    Folder,
    Token,
    TokenEmpty,
    TokenNoMatch,
    TokenAmbiguous,
    UnknownProduct,
    PromptCertPassword,
    PromptNewPassword,
    PromptPfxPassword,
    PromptNewPfxPassword,
    PromptConfirm,
    PasswordRule,
    PasswordsDiffer,
    PasswordChanged,
    ConfirmDelete,
    Cancelled,
    Deleted,
    FileExists,
    DeleteDamaged,
    Exported,
    Imported,
    CannotRead,
    NoTerminal,
    NoneReadable,
    Restored,
    Key,
    KeyMissing,
}

const MESSAGES: &[(M, &str, &str)] = &[
    (M::Store, "인증서 저장소:", "Certificate store:"),
    (M::NoCertificates, "저장된 인증서가 없습니다.", "No certificates are stored here."),
    (M::Warning, "경고", "warning"),
    (M::Certificate, "인증서:", "Certificate:"),
    (M::Subject, "사용자", "Subject"),
    (M::Issuer, "발급자", "Issuer"),
    (M::Product, "용도", "Product"),
    (M::Serial, "일련번호", "Serial"),
    (M::Validity, "유효기간", "Valid"),
    (M::Status, "상태", "Status"),
    (M::Policies, "정책 OID", "Policies"),
    (M::KmCert, "암호화용", "KM cert"),
    (M::Folder, "위치", "Folder"),
    (M::Token, "보안토큰", "Security token"),
    (M::TokenEmpty, "보안토큰에 인증서가 없습니다", "The security token holds no certificate"),
    (
        M::TokenNoMatch,
        "보안토큰에 해당하는 인증서가 없습니다. `dojang cert list --location token:이름`으로 확인하세요:",
        "No certificate in the security token matches (see `dojang cert list --location token:LABEL`):",
    ),
    (
        M::TokenAmbiguous,
        "보안토큰의 인증서가 여러 개 해당합니다. 일련번호로 하나를 지정하세요",
        "Several certificates in the security token match; name one by its serial",
    ),
    (M::UnknownProduct, "알 수 없는 용도", "unknown product"),
    (M::PromptCertPassword, "인증서 비밀번호: ", "Certificate password: "),
    (M::PromptNewPassword, "새 인증서 비밀번호: ", "New certificate password: "),
    (M::PromptPfxPassword, "PFX 파일 비밀번호: ", "PFX file password: "),
    (M::PromptNewPfxPassword, "PFX 파일에 설정할 비밀번호: ", "Password for the PFX file: "),
    (M::PromptConfirm, "한 번 더 입력: ", "Again, to confirm: "),
    (
        M::PasswordRule,
        "비밀번호는 영문, 숫자, 특수문자를 모두 포함해 10~30자로 정하세요.",
        "Choose 10 to 30 characters with letters, digits and symbols.",
    ),
    (
        M::PasswordsDiffer,
        "두 번 입력한 비밀번호가 다릅니다. 다시 시도하세요.",
        "The two passwords differ; try again.",
    ),
    (M::PasswordChanged, "인증서 비밀번호를 변경했습니다.", "The certificate password is changed."),
    (
        M::ConfirmDelete,
        "이 인증서를 삭제할까요? 삭제하면 되돌릴 수 없습니다. [y/N]",
        "Delete this certificate? This cannot be undone. [y/N]",
    ),
    (M::Cancelled, "취소했습니다.", "Cancelled."),
    (M::Deleted, "삭제했습니다:", "Deleted:"),
    (
        M::FileExists,
        "파일이 이미 있습니다. 덮어쓰려면 --force를 쓰세요",
        "exists already; to overwrite it, use --force",
    ),
    (
        M::DeleteDamaged,
        "이 폴더가 필요 없으면 지우세요:",
        "if this folder is not needed, delete it:",
    ),
    (M::Exported, "PFX 파일로 내보냈습니다:", "Exported to the PFX file"),
    (M::Imported, "가져왔습니다:", "Imported:"),
    (M::CannotRead, "파일을 읽을 수 없습니다", "cannot read the file"),
    (
        M::NoTerminal,
        "비밀번호를 입력받을 터미널이 없습니다. 파일이나 환경 변수로 주세요",
        "no terminal to read the password from; give it in a file or the environment",
    ),
    (
        M::NoneReadable,
        "읽을 수 있는 인증서가 없습니다. 아래 경고를 확인하세요.",
        "No certificate can be read here; see the warnings below.",
    ),
    (
        M::Restored,
        "저장 중에 중단되어 보이지 않던 인증서 폴더를 되살렸습니다:",
        "Put back a certificate folder an interrupted save had hidden:",
    ),
    (M::Key, "개인키", "Key"),
    (
        M::KeyMissing,
        "⚠ 개인키 파일(signPri.key)이 없어 이 인증서로 서명할 수 없습니다",
        "⚠ MISSING (no signPri.key): this certificate cannot sign",
    ),
];

#[derive(Clone, Copy, Debug)]
struct Text {
    lang: Lang,
}

impl Text {
    fn new(flag: Option<Lang>) -> Self {
        Text { lang: flag.unwrap_or_else(|| lang_from_env(|k| std::env::var(k).ok())) }
    }

    fn get(self, m: M) -> &'static str {
        let row = MESSAGES.iter().find(|(k, _, _)| *k == m);
        match (row, self.lang) {
            (Some((_, ko, _)), Lang::Ko) => ko,
            (Some((_, _, en)), Lang::En) => en,
            (None, _) => "?",
        }
    }

    /// A store error as a sentence in the chosen language that names the file and says what
    /// to do.
    fn error(self, e: KeystoreError) -> anyhow::Error {
        anyhow::anyhow!(self.describe(&e))
    }

    /// The sentence for [`Text::error`]; also how `list` shows its problems.
    fn describe(self, e: &KeystoreError) -> String {
        use KeystoreError as K;
        match self.lang {
            Lang::Ko => keystore_ko(e),
            Lang::En => match e {
                K::WrongPassword { path } => format!(
                    "the certificate password is wrong ({}); check it and try again",
                    path.display()
                ),
                K::WrongPfxPassword => "the PFX file password is wrong".into(),
                K::NotFound { query, root } => format!(
                    "no certificate matches {query:?} in {}; see `dojang cert list`",
                    root.display()
                ),
                K::Damaged { folders } => {
                    let list: Vec<String> =
                        folders.iter().map(|f| f.display().to_string()).collect();
                    format!(
                        "{} certificate folder(s) cannot be read: {}; name the certificate you mean by its serial number, or delete a damaged folder with `dojang cert delete --folder \"{}\"`",
                        folders.len(),
                        list.join("; "),
                        first_name(folders)
                    )
                }
                K::UnfinishedSave { copy, path, serial, current } => format!(
                    "{} holds certificate {serial}, left by an interrupted save; {} holds certificate {current}. To use the one left instead: if you still need {current}, export it first (`dojang cert export`), then `dojang cert import \"{}\" --replace`, which removes {current}. If the one left is not needed: `dojang cert delete --folder \"{}\"`",
                    copy.display(),
                    path.display(),
                    copy.display(),
                    copy.display()
                ),
                other => other.to_string(),
            },
        }
    }

    /// A PFX error about the file `source`, in the chosen language.
    fn pfx_error(self, source: &Path, e: &dojang_npki::pfx::PfxError) -> anyhow::Error {
        match self.lang {
            Lang::Ko => anyhow::anyhow!("{}: {}", source.display(), pfx_ko(e)),
            Lang::En => anyhow::anyhow!("{}: {e}", source.display()),
        }
    }
}

/// The name of the first folder, for the `delete --folder` hint.
fn first_name(folders: &[PathBuf]) -> String {
    folders
        .first()
        .and_then(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every store error in Korean, in the customer's words: what is wrong and what to do. The
/// match names every variant, so a new one cannot fall back to English unnoticed; technical
/// details (a decoder's reason, an OID) follow in brackets for the help desk.
fn keystore_ko(e: &KeystoreError) -> String {
    use KeystoreError as K;
    match e {
        K::NoHome { what, env } => {
            let what = if *what == "NPKI" { "인증서(NPKI)" } else { "휴대폰 인증서 저장소" };
            format!(
                "{what} 폴더를 찾을 수 없습니다: 사용자 홈 폴더가 없습니다. 사용할 폴더를 환경 변수 {env}로 지정하세요"
            )
        }
        K::Io { action, path, source } => format!(
            "{}을(를) {} 수 없습니다 ({}). 디스크가 제대로 연결되어 있는지, 남은 공간과 권한이 있는지 확인하세요",
            path.display(),
            io_action_ko(*action),
            io_ko(source)
        ),
        K::LeftoverKept { path, source } => format!(
            "중단된 작업이 남긴 숨은 사본 {}을(를) 지우지 못했습니다 ({}). 개인키가 들어 있을 수 있으니, 디스크에 쓸 수 있게 되면 직접 삭제하세요",
            path.display(),
            io_ko(source)
        ),
        K::CorruptCertificate { path, reason } => format!(
            "인증서 파일이 손상되었습니다 ({}). 원래 있던 곳에서 다시 복사하거나 인증서를 재발급받으세요 [세부 정보: {reason}]",
            path.display()
        ),
        K::CorruptKeyFile { path, reason } => format!(
            "개인키 파일이 손상되었습니다 ({}). 원래 있던 곳에서 다시 복사하거나 인증서를 재발급받으세요 [세부 정보: {reason}]",
            path.display()
        ),
        K::UnsupportedKeyFile { path, reason } => format!(
            "개인키 파일({})이 dojang이 지원하지 않는 방식입니다. RSA(2048비트 이상)나 P-256 키를 SEED 또는 AES로 암호화한 파일만 쓸 수 있으니, 인증서를 재발급받으세요 [세부 정보: {reason}]",
            path.display()
        ),
        K::KeyMismatch { key, cert } => format!(
            "개인키({})가 이 인증서({})의 것이 아닙니다. 파일이 뒤섞였거나 손상되었을 수 있습니다. 두 파일을 원본에서 다시 복사하거나 인증서를 재발급받으세요",
            key.display(),
            cert.display()
        ),
        K::PfxKeyMismatch { path } => format!(
            "{}: PFX 파일 안의 개인키가 인증서의 것이 아닙니다. 파일이 손상되었거나 잘못 만들어졌습니다. 원래 있던 곳에서 다시 내보내 주세요",
            path.display()
        ),
        K::WrongPassword { path } => {
            format!("인증서 비밀번호가 틀렸습니다 ({}). 확인 후 다시 입력하세요", path.display())
        }
        K::WrongPfxPassword => "PFX 파일 비밀번호가 틀렸습니다. 확인 후 다시 입력하세요".into(),
        K::Pfx { source_name, source } => format!("{source_name}: {}", pfx_ko(source)),
        K::PasswordRule(rule) => {
            let parts: Vec<&str> = rule.problems.iter().map(|p| problem_ko(*p)).collect();
            format!(
                "비밀번호는 영문, 숫자, 특수문자를 모두 포함해 10~30자여야 합니다: {}",
                parts.join(", ")
            )
        }
        K::NotFound { query, root } => format!(
            "{query:?}에 해당하는 인증서가 {}에 없습니다. `dojang cert list`로 확인하세요",
            root.display()
        ),
        K::Ambiguous { matches, .. } => format!(
            "인증서가 {}개 해당합니다: {}. 일련번호로 하나를 지정하세요",
            matches.len(),
            matches.join("; ")
        ),
        K::Empty { root } => format!("{}에 저장된 인증서가 없습니다", root.display()),
        K::Damaged { folders } => {
            let list: Vec<String> = folders.iter().map(|f| f.display().to_string()).collect();
            format!(
                "인증서를 읽을 수 없는 폴더가 {}개 있습니다: {}. 사용할 인증서를 일련번호로 지정하거나, 손상된 폴더를 `dojang cert delete --folder \"{}\"`로 삭제하세요",
                folders.len(),
                list.join("; "),
                first_name(folders)
            )
        }
        K::NotAFolderHere { path, root } => format!(
            "{}은(는) {}의 인증서 폴더가 아닙니다. `dojang cert list`로 확인하세요",
            path.display(),
            root.display()
        ),
        K::AlreadyStored { path, serial } => format!(
            "{}에 같은 사용자의 다른 인증서(일련번호 {serial})가 있습니다. 먼저 삭제하거나 --replace로 바꾸세요",
            path.display()
        ),
        K::StoredDiffers { path, serial } => format!(
            "이 인증서(일련번호 {serial})는 {}에 이미 저장되어 있고, 저장된 개인키 파일이 가져오려는 것과 다릅니다. 저장된 것을 그대로 두거나, 바꾸려면 --replace를 붙이세요",
            path.display()
        ),
        K::NoRemovableDisk { path } => format!(
            "이동식 디스크(USB 등)를 찾을 수 없습니다: {}. 디스크가 꽂혀 있고 연결되어 있는지 확인하세요",
            path.display()
        ),
        K::NotMounted { path } => format!(
            "{}에 연결된 디스크가 없습니다. 이 폴더는 컴퓨터 자체 디스크에 있어, 여기에 저장하면 개인키가 이동식 디스크가 아닌 컴퓨터에 남습니다. 이동식 디스크(USB 등)를 꽂아 연결한 뒤 다시 시도하세요 (일부러 이 컴퓨터의 폴더에 인증서를 두려면 디스크가 연결되는 폴더 밖의 폴더를 고르세요)",
            path.display()
        ),
        K::OnOwnDisk { path } => format!(
            "{}에 연결된 디스크가 없습니다. 여기 보이는 인증서는 이동식 디스크가 아니라 이 컴퓨터 자체 디스크에 있습니다. 이동식 디스크의 인증서를 보려면 디스크를 꽂아 연결하세요 (그동안 여기에는 새로 저장하지 않습니다)",
            path.display()
        ),
        K::IncompleteFolder { path, present, missing } => format!(
            "{}에 {present}은(는) 있지만 {missing}이(가) 없어 인증서 폴더가 온전하지 않습니다. 폴더 전체를 원래 있던 곳에서 다시 복사하거나 인증서를 재발급받으세요",
            path.display()
        ),
        K::OccupiedFolder { path } => format!(
            "{}에 인증서 파일(signCert.der) 없이 개인키나 키분배용 파일만 있습니다. 여기에 저장하면 그 파일이 지워지므로, 먼저 폴더를 안전한 곳으로 옮기거나, 지워도 된다면 --replace를 붙여 저장하세요",
            path.display()
        ),
        K::NoPairInFolder { path } => format!(
            "{}에 인증서 파일(signCert.der)과 개인키 파일(signPri.key)이 없습니다 (그 아래 NPKI/<발급기관>/USER/<사용자> 폴더에도 없습니다). 인증서가 들어 있는 폴더를 지정하세요",
            path.display()
        ),
        K::KeyWrite(reason) => format!(
            "개인키 파일을 만들지 못했습니다. 다시 시도하고, 계속 안 되면 은행 고객센터에 문의하세요 [세부 정보: {reason}]"
        ),
        K::UnreadableFolder { path, source } => format!(
            "폴더를 읽을 수 없습니다: {} ({}). 디스크가 제대로 연결되어 있는지, 이 폴더를 읽을 권한이 있는지 확인하세요",
            path.display(),
            io_ko(source)
        ),
        K::MissingKey { path } => format!(
            "{}: 이 인증서의 개인키 파일(signPri.key)이 없어 서명에 쓸 수 없습니다. 인증서 폴더 전체를 원래 있던 곳에서 다시 복사하거나 인증서를 재발급받으세요",
            path.display()
        ),
        K::Unrestored { path, copy, source } => format!(
            "저장이 중단되어 숨겨진 인증서 폴더({})를 제자리({})로 되돌리지 못했습니다 ({}). 그동안은 숨겨진 폴더의 인증서를 그대로 씁니다. 디스크가 연결되어 있고 쓸 수 있는지 확인한 뒤 인증서 목록을 다시 보세요",
            copy.display(),
            path.display(),
            io_ko(source)
        ),
        K::UnfinishedSave { copy, path, serial, current } => format!(
            "중단된 저장 작업이 인증서(일련번호 {serial})를 {}에 남겼습니다. {}에는 인증서(일련번호 {current})가 있습니다. 남은 인증서를 대신 쓰려면, {current} 인증서가 아직 필요한 경우 먼저 `dojang cert export`로 내보낸 뒤 `dojang cert import \"{}\" --replace`로 가져오세요. 이때 {current} 인증서는 삭제됩니다. 남은 인증서가 필요 없으면 `dojang cert delete --folder \"{}\"`로 삭제하세요",
            copy.display(),
            path.display(),
            copy.display(),
            copy.display()
        ),
    }
}

/// A PFX error in Korean (every variant; no password or key in any).
fn pfx_ko(e: &dojang_npki::pfx::PfxError) -> String {
    use dojang_npki::pfx::PfxError as P;
    match e {
        P::WrongPassword => "PFX 파일 비밀번호가 틀렸습니다. 확인 후 다시 입력하세요".into(),
        P::Corrupt(reason) => format!(
            "PFX 파일이 아니거나 손상되었습니다. 원래 있던 곳에서 다시 내보내 주세요 [세부 정보: {reason}]"
        ),
        P::Unsupported { what, oid } => format!(
            "PFX 파일이 dojang이 지원하지 않는 암호 방식을 씁니다. 내보낸 프로그램에서 AES 방식으로 다시 내보내 주세요 [세부 정보: {what}, {oid}]"
        ),
        P::PublicKeyMode => "PFX 파일이 비밀번호가 아닌 공개키로 보호되어 있어 가져올 수 없습니다. 비밀번호를 걸어 다시 내보내 주세요".into(),
        P::TooManyIterations(n) => format!(
            "PFX 파일의 비밀번호 처리 반복 횟수({n}회)가 너무 많아 열지 않았습니다 (최대 {}회). 반복 횟수를 줄여 다시 내보내 주세요",
            dojang_npki::pfx::MAX_ITERATIONS
        ),
        P::NoPrivateKey => {
            "PFX 파일에 개인키가 없습니다. 개인키를 포함해 다시 내보내 주세요".into()
        }
        P::NoCertificate => {
            "PFX 파일에 인증서가 없습니다. 인증서를 포함해 다시 내보내 주세요".into()
        }
        P::InvalidInput(reason) => format!("PFX 파일을 만들 수 없습니다 [세부 정보: {reason}]"),
    }
}

/// What the store was doing, as a Korean verb stem (`…할 수 없습니다`).
fn io_action_ko(action: FileAction) -> &'static str {
    match action {
        FileAction::CreateFolder => "폴더로 만들",
        FileAction::Write => "쓸",
        FileAction::Replace => "새 파일로 바꿀",
        FileAction::MoveIntoPlace => "제자리로 옮길",
        FileAction::MoveAside => "옆으로 옮겨 둘",
        FileAction::Delete => "삭제할",
        FileAction::ReadFolder | FileAction::Read => "읽을",
    }
}

/// Why a file operation failed, in Korean; the system's own text for the rare rest.
fn io_ko(e: &std::io::Error) -> String {
    use std::io::ErrorKind as E;
    match e.kind() {
        E::PermissionDenied => "권한이 없습니다".into(),
        E::NotFound => "파일이나 폴더가 없습니다".into(),
        E::NotADirectory => "폴더가 아닌 파일이 있습니다".into(),
        E::IsADirectory => "파일이 아닌 폴더입니다".into(),
        E::ReadOnlyFilesystem => "읽기 전용 디스크입니다".into(),
        E::StorageFull => "디스크 공간이 부족합니다".into(),
        E::AlreadyExists => "이미 있습니다".into(),
        E::DirectoryNotEmpty => "폴더가 비어 있지 않습니다".into(),
        _ => format!("입출력 오류: {e}"),
    }
}

pub(crate) fn problem_ko(p: dojang_keystore::password::Problem) -> &'static str {
    use dojang_keystore::password::Problem as P;
    match p {
        P::TooShort => "10자보다 짧습니다",
        P::TooLong => "30자보다 깁니다",
        P::NoLetter => "영문자가 없습니다",
        P::NoDigit => "숫자가 없습니다",
        P::NoSymbol => "특수문자(예: ! @ # $ %)가 없습니다",
        P::BadCharacter => "공백, 한글 등 쓸 수 없는 문자가 있습니다",
    }
}

/// The language of the output: the flag, else `DOJANG_LANG` or the locale (see below).
pub(crate) fn resolve_lang(flag: Option<Lang>) -> Lang {
    Text::new(flag).lang
}

/// A store error as a sentence in `lang` (see [`Text::error`]).
pub(crate) fn keystore_error(lang: Lang, e: KeystoreError) -> anyhow::Error {
    Text { lang }.error(e)
}

/// `DOJANG_LANG`, then the POSIX locale variables in their order of precedence; Korean
/// unless one of them says English.
fn lang_from_env(var: impl Fn(&str) -> Option<String>) -> Lang {
    for key in [ENV_LANG, "LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Some(v) = var(key).filter(|v| !v.is_empty()) {
            return if v.to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Ko };
        }
    }
    Lang::Ko
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages() {
        let all = [
            M::Store,
            M::NoCertificates,
            M::Warning,
            M::Certificate,
            M::Subject,
            M::Issuer,
            M::Product,
            M::Serial,
            M::Validity,
            M::Status,
            M::Policies,
            M::KmCert,
            M::Folder,
            M::Token,
            M::TokenEmpty,
            M::TokenNoMatch,
            M::TokenAmbiguous,
            M::UnknownProduct,
            M::PromptCertPassword,
            M::PromptNewPassword,
            M::PromptPfxPassword,
            M::PromptNewPfxPassword,
            M::PromptConfirm,
            M::PasswordRule,
            M::PasswordsDiffer,
            M::PasswordChanged,
            M::ConfirmDelete,
            M::Cancelled,
            M::Deleted,
            M::FileExists,
            M::DeleteDamaged,
            M::Exported,
            M::Imported,
            M::CannotRead,
            M::NoTerminal,
            M::NoneReadable,
            M::Restored,
            M::Key,
            M::KeyMissing,
        ];
        for m in all {
            let ko = Text { lang: Lang::Ko }.get(m);
            let en = Text { lang: Lang::En }.get(m);
            assert!(ko != "?" && en != "?" && ko != en, "{m:?}");
        }
        assert_eq!(all.len(), MESSAGES.len());
    }

    #[test]
    fn language_from_flag_and_locale() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(lang_from_env(env(&[])), Lang::Ko);
        assert_eq!(lang_from_env(env(&[("LANG", "en_US.UTF-8")])), Lang::En);
        assert_eq!(lang_from_env(env(&[("LANG", "ko_KR.UTF-8")])), Lang::Ko);
        assert_eq!(lang_from_env(env(&[("LANG", "C.UTF-8")])), Lang::Ko);
        assert_eq!(lang_from_env(env(&[("LC_ALL", "ko_KR"), ("LANG", "en_US")])), Lang::Ko);
        assert_eq!(lang_from_env(env(&[("DOJANG_LANG", "en"), ("LC_ALL", "ko_KR")])), Lang::En);
    }

    /// Every store and PFX error has a Korean sentence of its own: Hangul, the file named,
    /// and none of the library's English.
    #[test]
    fn every_store_and_pfx_error_is_korean_in_korean_mode() {
        use dojang_npki::pfx::PfxError as P;
        use KeystoreError as K;
        let p = || PathBuf::from("/usb/NPKI/yessign/USER/cn=홍길동");
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let Err(rule) = dojang_keystore::password::check("short") else { panic!("too short") };
        let oid = const_oid::ObjectIdentifier::new_unwrap("1.2.410.200004.1.4");
        let pfx_errors = || {
            vec![
                P::WrongPassword,
                P::Corrupt("x".into()),
                P::Unsupported { what: "key bag", oid },
                P::PublicKeyMode,
                P::TooManyIterations(9_999_999),
                P::NoPrivateKey,
                P::NoCertificate,
                P::InvalidInput("x".into()),
            ]
        };
        let mut all = vec![
            K::NoHome { what: "NPKI", env: "DOJANG_NPKI_HOME" },
            K::Io { action: FileAction::Write, path: p(), source: io() },
            K::LeftoverKept { path: p(), source: io() },
            K::NotMounted { path: p() },
            K::OnOwnDisk { path: p() },
            K::IncompleteFolder { path: p(), present: "kmCert.der", missing: "kmPri.key" },
            K::OccupiedFolder { path: p() },
            K::CorruptCertificate { path: p(), reason: "x".into() },
            K::CorruptKeyFile { path: p(), reason: "x".into() },
            K::UnsupportedKeyFile { path: p(), reason: "x".into() },
            K::KeyMismatch { key: p(), cert: p() },
            K::PfxKeyMismatch { path: p() },
            K::WrongPassword { path: p() },
            K::WrongPfxPassword,
            K::PasswordRule(rule),
            K::NotFound { query: "q".into(), root: p() },
            K::Ambiguous { query: "q".into(), matches: vec!["a".into(), "b".into()] },
            K::Empty { root: p() },
            K::Damaged { folders: vec![p()] },
            K::NotAFolderHere { path: p(), root: p() },
            K::AlreadyStored { path: p(), serial: "0A".into() },
            K::StoredDiffers { path: p(), serial: "0A".into() },
            K::NoRemovableDisk { path: p() },
            K::NoPairInFolder { path: p() },
            K::KeyWrite("x".into()),
            K::UnreadableFolder { path: p(), source: io() },
            K::MissingKey { path: p() },
            K::Unrestored { path: p(), copy: p(), source: io() },
            K::UnfinishedSave { copy: p(), path: p(), serial: "0A".into(), current: "0B".into() },
        ];
        all.extend(
            pfx_errors().into_iter().map(|source| K::Pfx { source_name: "x.pfx".into(), source }),
        );
        let ko = Text { lang: Lang::Ko };
        let en = Text { lang: Lang::En };
        for e in &all {
            let (k, english) = (ko.describe(e), en.describe(e));
            assert!(k.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)), "{k}");
            assert_ne!(k, english);
            // The library's English sentence (before any bracketed detail) is not reused.
            // Paths and serials are the same in both languages: compare the words only.
            let english = e.to_string().replace(&p().display().to_string(), "");
            let lead: String = english.trim_start_matches([' ', ':']).chars().take(24).collect();
            // Technical details stay as they are, in brackets after the sentence.
            let sentence = k.split("[세부 정보").next().unwrap_or(&k);
            assert!(lead.trim().is_empty() || !sentence.contains(&lead), "{k} | {lead}");
        }
        for e in pfx_errors() {
            let k = pfx_ko(&e);
            assert!(k.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)), "{k}");
            assert!(!k.contains(&e.to_string()), "{k}");
        }
    }

    #[test]
    fn kst_is_nine_hours_ahead() {
        let t = time::macros::datetime!(2025-12-31 15:30 UTC);
        assert_eq!(kst(t), "2026-01-01 00:30 KST");
    }
}
