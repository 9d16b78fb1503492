//! `dojang admin …`: what bank staff and the operator do at the branch and in the back office.
//!
//! - `customer add`: enrolment for internet banking (인터넷뱅킹 가입), the step every source
//!   document starts from: who the customer is, their internet-banking ID and password, their
//!   withdrawal accounts, ID card, and a security card (printed here) or an OTP device (its
//!   seed shown here, once).
//! - `customer show | list | lock | unlock`: look up a customer (RRN masked), lock one, and
//!   unlock one after checking their identity (also clears security card, OTP and account
//!   password locks).
//! - `audit verify`: walks the hash-chained audit log; exit code 1 when it is broken.
//! - `backup`, `restore`, `migrate`: the whole store copied whole (see `backup.rs`).
//!
//! Secrets (RRN, passwords) never come from the command line: from a `--from` JSON file, from
//! environment variables, or from the terminal without echo.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_config::Config;
use dojang_identity::{
    mask_account, AccountSpec, CustomerKind, Enrolled, Enrolment, IdCardSpec, Identity, Limits,
    SecondFactorKind,
};
use dojang_npki::vid::Rrn;
use dojang_outside::{IdCardKind, Outside, Simulator};
use dojang_store::{Actor, AuditVerdict, Customer, Store};
use serde::Deserialize;
use time::OffsetDateTime;
use zeroize::{Zeroize, Zeroizing};

use super::common::{self, DataArgs};

/// Environment variables the secrets may come from (for scripts; the terminal is asked
/// otherwise).
const ENV_RRN: &str = "DOJANG_CUSTOMER_RRN";
const ENV_PASSWORD: &str = "DOJANG_CUSTOMER_PASSWORD";
const ENV_ACCOUNT_PASSWORD: &str = "DOJANG_ACCOUNT_PASSWORD";
const ENV_ID_CARD_NUMBER: &str = "DOJANG_ID_CARD_NUMBER";

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Customers enrolled for internet banking (고객 관리).
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// The hash-chained audit log (감사 기록).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Staff accounts of the web page's staff console (직원 계정).
    #[command(subcommand)]
    Staff(super::staff::StaffCommand),
    /// Copy the whole store, the CA's files and the vault into one new backup file (백업),
    /// consistent even while the center serves.
    Backup(super::backup::BackupArgs),
    /// Restore a backup into an empty store and data directory (복원).
    Restore(super::backup::RestoreArgs),
    /// Copy the store from one database into another, empty one, e.g. from the embedded
    /// SQLite file to PostgreSQL (`--from sqlite:PATH --to postgres://…`).
    Migrate(super::backup::MigrateArgs),
}

#[derive(Subcommand)]
pub enum CustomerCommand {
    /// Enrol a customer for internet banking (인터넷뱅킹 가입) and hand out a security card
    /// or an OTP device.
    Add(Box<AddArgs>),
    /// Show a customer (by number or internet-banking ID); the RRN is masked.
    Show {
        #[command(flatten)]
        data: DataArgs,
        /// Customer number or internet-banking ID.
        customer: String,
    },
    /// List the customers.
    List {
        #[command(flatten)]
        data: DataArgs,
        /// Only the locked ones.
        #[arg(long)]
        locked: bool,
    },
    /// Lock a customer (사고 신고, suspicion): every identity check refuses until unlocked.
    Lock {
        #[command(flatten)]
        data: DataArgs,
        /// Customer number or internet-banking ID.
        customer: String,
        /// Why (kept in the record and the audit log).
        #[arg(long)]
        reason: String,
        /// The staff member doing it (default: the operator).
        #[arg(long, value_name = "NAME")]
        staff: Option<String>,
    },
    /// Unlock a customer after checking their identity: clears the customer lock and the
    /// security card, OTP and account-password locks and failure counts.
    Unlock {
        #[command(flatten)]
        data: DataArgs,
        /// Customer number or internet-banking ID.
        customer: String,
        /// The staff member doing it (default: the operator).
        #[arg(long, value_name = "NAME")]
        staff: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every entry of the audit log and its chain; exit code 1 if anything was changed
    /// or removed.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    data: DataArgs,
    /// A JSON file with the customer's data, secrets included (for scripts; keep it private).
    /// Flags given as well override its non-secret fields.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// The customer's real name (실명), or the company's name.
    #[arg(long)]
    name: Option<String>,
    /// A business customer (법인) with this 10-digit registration number (사업자등록번호).
    #[arg(long, value_name = "NUMBER")]
    business_number: Option<String>,
    /// Mobile number: ARS calls and SMS codes go there.
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    address: Option<String>,
    /// Internet-banking ID (4–20 letters, digits or _). Its password: $DOJANG_CUSTOMER_PASSWORD
    /// or the terminal.
    #[arg(long, value_name = "ID")]
    banking_id: Option<String>,
    /// A withdrawal account (출금계좌), NUMBER[:BALANCE in won]; repeat for more. The
    /// 4-digit password: $DOJANG_ACCOUNT_PASSWORD or the terminal.
    #[arg(long = "account", value_name = "NUMBER[:BALANCE]")]
    accounts: Vec<String>,
    /// The ID card shown: resident (주민등록증, its number is the RRN), driver (운전면허증)
    /// or passport (여권). Its number (driver, passport): --id-card-number or
    /// $DOJANG_ID_CARD_NUMBER.
    #[arg(long, value_name = "KIND")]
    id_card: Option<IdCardKind>,
    #[arg(long, value_name = "NUMBER")]
    id_card_number: Option<String>,
    /// The card's issue date (발급일자).
    #[arg(long, value_name = "YYYY-MM-DD")]
    id_card_issued: Option<String>,
    /// security-card (default), otp, or none.
    #[arg(long, value_name = "KIND", value_parser = parse_second_factor)]
    second_factor: Option<SecondFactorKind>,
    /// The staff member enrolling (default: the operator).
    #[arg(long, value_name = "NAME")]
    staff: Option<String>,
    /// Print the result as JSON (with the card's codes or the OTP seed) for scripts.
    #[arg(long)]
    json: bool,
}

fn parse_second_factor(s: &str) -> Result<SecondFactorKind, String> {
    match s.trim() {
        "security-card" | "card" | "보안카드" => Ok(SecondFactorKind::SecurityCard),
        "otp" | "OTP" => Ok(SecondFactorKind::Otp),
        "none" => Ok(SecondFactorKind::None),
        other => Err(format!("unknown second factor {other:?}; use security-card, otp or none")),
    }
}

/// The enrolment file. Secret fields are wiped when it is dropped; no `Debug`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolFile {
    kind: Option<String>,
    name: Option<String>,
    rrn: Option<String>,
    business_number: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    banking_id: Option<String>,
    banking_password: Option<String>,
    #[serde(default)]
    accounts: Vec<FileAccount>,
    id_card: Option<FileIdCard>,
    second_factor: Option<SecondFactorKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAccount {
    number: String,
    password: String,
    #[serde(default)]
    balance: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIdCard {
    kind: IdCardKind,
    /// Omitted for a resident card: it is the RRN.
    number: Option<String>,
    issue_date: String,
}

impl Drop for EnrolFile {
    fn drop(&mut self) {
        for s in [&mut self.rrn, &mut self.banking_password].into_iter().flatten() {
            s.zeroize();
        }
        for a in &mut self.accounts {
            a.password.zeroize();
        }
        if let Some(n) = self.id_card.as_mut().and_then(|c| c.number.as_mut()) {
            n.zeroize();
        }
    }
}

fn env_secret(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).map(Zeroizing::new)
}

/// Asks on the terminal without echo.
fn prompt_secret(prompt: &str, env: &str) -> anyhow::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new).map_err(|e| {
        anyhow::anyhow!("no terminal to ask for it ({e}); set ${env} or use --from FILE")
    })
}

fn date(text: &str, what: &str) -> anyhow::Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format)
        .with_context(|| format!("{what} {text:?} is not a date like 2015-03-02"))
}

fn required(value: Option<String>, flag: &str) -> anyhow::Result<String> {
    value.ok_or_else(|| anyhow::anyhow!("{flag} is needed (or give it in the --from file)"))
}

/// Puts the flags, the file, the environment and the terminal together.
fn enrolment(args: &AddArgs) -> anyhow::Result<Enrolment> {
    let mut file = match &args.from {
        Some(path) => {
            let text = Zeroizing::new(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
            );
            // serde_json's own message would quote a value typed as a number (an RRN, the
            // account password); dojang_json's names only the field.
            dojang_json::from_str::<EnrolFile>(&text)
                .with_context(|| format!("{} is not a valid enrolment file", path.display()))?
        }
        None => EnrolFile::default(),
    };
    let business_number = args.business_number.clone().or(file.business_number.take());
    let kind = match (file.kind.as_deref(), &business_number) {
        (Some("business"), _) | (None, Some(_)) => CustomerKind::Business,
        (Some("person") | None, _) => CustomerKind::Person,
        (Some(other), _) => bail!("kind {other:?} in the file: use person or business"),
    };
    let rrn_text = match file.rrn.take().map(Zeroizing::new).or_else(|| env_secret(ENV_RRN)) {
        Some(t) => Some(t),
        None if kind == CustomerKind::Person => {
            Some(prompt_secret("주민등록번호 (resident registration number): ", ENV_RRN)?)
        }
        None => None,
    };
    let rrn = rrn_text
        .as_ref()
        .map(|t| Rrn::new(t.trim()))
        .transpose()
        .map_err(|_| anyhow::anyhow!("the RRN must be 13 digits (YYMMDD-NNNNNNN)"))?;
    let banking_password = match file.banking_password.take().map(Zeroizing::new) {
        Some(p) => p,
        None => match env_secret(ENV_PASSWORD) {
            Some(p) => p,
            None => {
                let first = prompt_secret(
                    "인터넷뱅킹 비밀번호 (internet banking password): ",
                    ENV_PASSWORD,
                )?;
                let again = prompt_secret("한 번 더 (again): ", ENV_PASSWORD)?;
                if first != again {
                    bail!("the two passwords differ; nothing was enrolled");
                }
                first
            }
        },
    };
    let mut accounts = Vec::new();
    if args.accounts.is_empty() {
        // Copied, not moved: the file's copies are wiped when it is dropped.
        for a in &file.accounts {
            accounts.push(AccountSpec {
                number: a.number.clone(),
                password: Zeroizing::new(a.password.clone()),
                balance: a.balance,
            });
        }
    } else {
        let shared = env_secret(ENV_ACCOUNT_PASSWORD);
        for spec in &args.accounts {
            let (number, balance) = match spec.split_once(':') {
                Some((n, b)) => (
                    n,
                    b.trim().parse::<i64>().with_context(|| {
                        format!("the balance in --account {spec} is not a number of won")
                    })?,
                ),
                None => (spec.as_str(), 0),
            };
            let password = match &shared {
                Some(p) => p.clone(),
                None => prompt_secret(
                    &format!("계좌 {number} 비밀번호 4자리 (account password): "),
                    ENV_ACCOUNT_PASSWORD,
                )?,
            };
            accounts.push(AccountSpec { number: number.trim().to_string(), password, balance });
        }
    }
    let id_card = match (&args.id_card, file.id_card.as_ref()) {
        (Some(kind), _) => {
            let issued = required(args.id_card_issued.clone(), "--id-card-issued")?;
            Some((*kind, args.id_card_number.clone().map(Zeroizing::new), issued))
        }
        (None, Some(card)) => {
            Some((card.kind, card.number.clone().map(Zeroizing::new), card.issue_date.clone()))
        }
        (None, None) => None,
    };
    let id_card = match id_card {
        None => None,
        Some((kind, number, issued)) => {
            let number = match (kind, number, &rrn) {
                (_, Some(n), _) => n,
                (IdCardKind::Resident, None, Some(rrn)) => {
                    Zeroizing::new(String::from_utf8_lossy(rrn.expose_digits()).into_owned())
                }
                (_, None, _) => match env_secret(ENV_ID_CARD_NUMBER) {
                    Some(n) => n,
                    None => bail!(
                        "the ID card's number is needed: --id-card-number or ${ENV_ID_CARD_NUMBER}"
                    ),
                },
            };
            Some(IdCardSpec { kind, number, issue_date: date(&issued, "the ID card issue date")? })
        }
    };
    Ok(Enrolment {
        kind,
        name: required(args.name.clone().or(file.name.take()), "--name")?,
        rrn,
        business_number,
        phone: required(args.phone.clone().or(file.phone.take()), "--phone")?,
        email: required(args.email.clone().or(file.email.take()), "--email")?,
        address: required(args.address.clone().or(file.address.take()), "--address")?,
        banking_id: required(args.banking_id.clone().or(file.banking_id.take()), "--banking-id")?,
        banking_password,
        accounts,
        id_card,
        second_factor: args.second_factor.or(file.second_factor).unwrap_or_default(),
    })
}

/// The store, the vault, and the identity checks over the simulated outside world.
struct Opened {
    store: Store,
    identity: Identity,
    now: OffsetDateTime,
}

async fn open(config: &Config, store: Store) -> anyhow::Result<Opened> {
    let vault = Arc::new(common::open_vault(config)?);
    let outside: Arc<dyn Outside> = Arc::new(Simulator::new(store.clone(), vault.clone()));
    let identity = Identity::new(store.clone(), vault, outside, Limits::default());
    Ok(Opened { store, identity, now: config.clock.now() })
}

/// Enrolment may be the first thing a new center does: the database is made if the data
/// directory exists (a mistyped --data still fails).
async fn open_store_for_enrolment(config: &Config) -> anyhow::Result<Store> {
    if !config.data_dir.is_dir() {
        bail!(
            "the data directory {} does not exist; give the directory `dojang serve --data` uses",
            config.data_dir.display()
        );
    }
    Ok(dojang_server::open_store(config).await?)
}

fn actor(staff: &Option<String>) -> Actor {
    match staff {
        Some(name) if !name.trim().is_empty() => Actor::Staff(name.trim().to_string()),
        _ => Actor::Operator,
    }
}

/// A customer by number or internet-banking ID.
async fn find(store: &Store, reference: &str) -> anyhow::Result<Customer> {
    let reference = reference.trim();
    let found = match reference.parse::<i64>() {
        Ok(id) => store.customer(id).await?,
        Err(_) => store.customer_by_banking_id(&reference.to_lowercase()).await?,
    };
    found.ok_or_else(|| {
        anyhow::anyhow!(
            "no customer {reference:?} (a customer number or internet-banking ID); `dojang admin customer list` shows them"
        )
    })
}

fn when(t: OffsetDateTime) -> String {
    let kst = t.to_offset(time::macros::offset!(+9));
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] KST");
    kst.format(&format).unwrap_or_else(|_| t.to_string())
}

fn won(amount: i64) -> String {
    format!("{}원", dojang_profile::won::grouped(amount))
}

fn kind_text(kind: CustomerKind) -> &'static str {
    match kind {
        CustomerKind::Person => "person (개인)",
        CustomerKind::Business => "business (법인)",
    }
}

fn status_text(c: &Customer) -> String {
    match (c.locked_at, &c.lock_reason) {
        (None, _) => "active (정상)".into(),
        (Some(at), reason) => format!(
            "LOCKED (잠김) since {}, reason: {}",
            when(at),
            match reason.as_deref() {
                Some(dojang_store::BANKING_PASSWORD_LOCK) =>
                    "too many wrong internet banking passwords (비밀번호 연속 오류)",
                Some(r) => r,
                None => "-",
            }
        ),
    }
}

fn lock_text(locked_at: Option<OffsetDateTime>, failures: u32) -> String {
    match locked_at {
        Some(at) => format!("LOCKED (잠김) since {}", when(at)),
        None => format!("ok, {failures} failure(s) in a row"),
    }
}

async fn print_customer(o: &Opened, c: &Customer) -> anyhow::Result<()> {
    println!("customer     {}", c.id);
    println!("kind         {}", kind_text(c.kind));
    println!("name         {}", c.name);
    if let Some(rrn) = o.identity.masked_rrn(c)? {
        println!("rrn          {rrn}");
    }
    if let Some(b) = &c.business_number {
        let pretty = match (b.get(..3), b.get(3..5), b.get(5..)) {
            (Some(x), Some(y), Some(z)) if b.len() == 10 => format!("{x}-{y}-{z}"),
            _ => b.clone(),
        };
        println!("business no  {pretty}");
    }
    println!("phone        {}", c.phone);
    println!("email        {}", c.email);
    println!("address      {}", c.address);
    println!("banking id   {} (login: {})", c.banking_id, lock_text(None, c.banking_failures));
    println!("status       {}", status_text(c));
    println!("enrolled     {}", when(c.created_at));
    for a in o.store.accounts_of(c.id).await? {
        println!(
            "account      {}  balance {}  password: {}",
            a.number,
            won(a.balance),
            lock_text(a.locked_at, a.failures)
        );
    }
    if let Some(card) = o.store.security_card(c.id).await? {
        println!(
            "security card  serial {}: {}",
            card.serial,
            lock_text(card.locked_at, card.failures)
        );
    }
    if let Some(otp) = o.store.otp_device(c.id).await? {
        println!("otp          serial {}: {}", otp.serial, lock_text(otp.locked_at, otp.failures));
    }
    Ok(())
}

fn print_enrolled(enrolled: &Enrolled, json: bool) {
    if json {
        let card = enrolled.security_card.as_ref().map(|card| {
            serde_json::json!({
                "serial": card.serial,
                "codes": (1..=dojang_identity::SECURITY_CARD_CODES).filter_map(|n| card.code(n)).collect::<Vec<_>>(),
            })
        });
        let otp = enrolled.otp.as_ref().map(|o| {
            serde_json::json!({ "serial": o.serial, "secret_base32": o.secret_base32(), "uri": o.uri() })
        });
        let out = serde_json::json!({ "customer": enrolled.customer_id, "security_card": card, "otp": otp });
        println!("{out}");
        return;
    }
    if let Some(card) = &enrolled.security_card {
        println!();
        print!("{}", card.printout());
        println!("Hand this card to the customer. Its codes are not shown again (보안카드를 고객에게 전달하세요).");
    }
    if let Some(otp) = &enrolled.otp {
        println!();
        println!("OTP serial   {}", otp.serial);
        println!("OTP secret   {}  (base32, SHA-1, 6 digits, 30 s)", otp.secret_base32());
        println!("OTP uri      {}", otp.uri());
        println!(
            "Load it into the customer's OTP device or authenticator now; it is not shown again."
        );
    }
}

pub fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    common::runtime()?.block_on(async move {
        match cmd {
            AdminCommand::Customer(CustomerCommand::Add(args)) => {
                let config = common::load_config(&args.data.flags())?;
                let e = enrolment(&args)?;
                let store = open_store_for_enrolment(&config).await?;
                let o = open(&config, store).await?;
                let enrolled = o.identity.enrol(&e, actor(&args.staff), o.now).await.context("the customer was not enrolled")?;
                if !args.json {
                    println!("enrolled (고객 등록 완료)");
                    let c = o.store.customer(enrolled.customer_id).await?.ok_or_else(|| anyhow::anyhow!("the new customer is gone"))?;
                    print_customer(&o, &c).await?;
                    if let Some(card) = &e.id_card {
                        println!("id card      {}, issued {} (registered with the issuer)", card.kind.korean(), card.issue_date);
                    }
                }
                print_enrolled(&enrolled, args.json);
                Ok(())
            }
            AdminCommand::Customer(CustomerCommand::Show { data, customer }) => {
                let config = common::load_config(&data.flags())?;
                let store = common::open_store(&config).await?;
                let c = find(&store, &customer).await?;
                let o = open(&config, store).await?;
                print_customer(&o, &c).await
            }
            AdminCommand::Customer(CustomerCommand::List { data, locked }) => {
                let config = common::load_config(&data.flags())?;
                let store = common::open_store(&config).await?;
                println!("{:<6} {:<10} {:<20} {:<16} {:<15} STATUS", "NO", "KIND", "NAME", "BANKING ID", "PHONE");
                let mut after = 0;
                let mut shown = 0;
                loop {
                    let page = store.customers(after, 500).await?;
                    let Some(last) = page.last() else { break };
                    after = last.id;
                    for c in page.iter().filter(|c| !locked || c.is_locked()) {
                        let kind = match c.kind { CustomerKind::Person => "person", CustomerKind::Business => "business" };
                        let status = if c.is_locked() { "LOCKED" } else { "active" };
                        println!("{:<6} {:<10} {:<20} {:<16} {:<15} {status}", c.id, kind, c.name, c.banking_id, c.phone);
                        shown += 1;
                    }
                }
                println!("{shown} customer(s)");
                Ok(())
            }
            AdminCommand::Customer(CustomerCommand::Lock { data, customer, reason, staff }) => {
                let config = common::load_config(&data.flags())?;
                let store = common::open_store(&config).await?;
                let c = find(&store, &customer).await?;
                if reason.trim().is_empty() {
                    bail!("give the reason for the lock (--reason)");
                }
                let o = open(&config, store).await?;
                if o.identity.lock_customer(c.id, reason.trim(), actor(&staff), o.now).await? {
                    println!("locked       customer {} ({}): {}", c.id, c.name, reason.trim());
                } else {
                    println!("customer {} ({}) was already locked: {}", c.id, c.name, status_text(&c));
                }
                Ok(())
            }
            AdminCommand::Customer(CustomerCommand::Unlock { data, customer, staff }) => {
                let config = common::load_config(&data.flags())?;
                let store = common::open_store(&config).await?;
                let c = find(&store, &customer).await?;
                let o = open(&config, store).await?;
                let u = o.identity.unlock_customer(c.id, actor(&staff), o.now).await?;
                let mut what: Vec<String> = Vec::new();
                if u.customer {
                    what.push("customer lock (고객 잠금)".into());
                }
                if u.security_card {
                    what.push("security card (보안카드)".into());
                }
                if u.otp {
                    what.push("OTP".into());
                }
                what.extend(u.accounts.iter().map(|a| format!("account password {} (계좌 비밀번호)", mask_account(a))));
                if what.is_empty() {
                    println!("customer {} ({}): nothing was locked; failure counts reset", c.id, c.name);
                } else {
                    println!("unlocked     customer {} ({}): {}", c.id, c.name, what.join(", "));
                }
                Ok(())
            }
            AdminCommand::Staff(c) => super::staff::run(c).await,
            AdminCommand::Backup(args) => super::backup::backup(args).await,
            AdminCommand::Restore(args) => super::backup::restore(args).await,
            AdminCommand::Migrate(args) => super::backup::migrate(args).await,
            AdminCommand::Audit(AuditCommand::Verify { data }) => {
                let config = common::load_config(&data.flags())?;
                let store = common::open_store(&config).await?;
                match store.verify_audit().await? {
                    AuditVerdict::Intact { entries, head } => {
                        let head: String = head.iter().map(|b| format!("{b:02x}")).collect();
                        println!("audit log intact: {entries} entries");
                        println!("head         {head}");
                        Ok(())
                    }
                    AuditVerdict::Broken { seq, problem } => {
                        bail!("the audit log is BROKEN at entry {seq}: {problem}. Keep a copy of the database for investigation and compare with a backup.")
                    }
                }
            }
        }
    })
}
