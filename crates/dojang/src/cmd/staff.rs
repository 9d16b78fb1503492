//! `dojang admin staff …`: the accounts bank staff sign in with to the web page's staff console
//! (직원 계정): add, list, unlock, change the password, disable. Passwords never come from the
//! command line: `$DOJANG_STAFF_PASSWORD`, a `--password-file`, or the terminal (twice).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_server::staff::{self as accounts, StaffAccountError};
use dojang_store::{Actor, StaffRole, Store};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::common::{self, DataArgs};

const ENV_PASSWORD: &str = "DOJANG_STAFF_PASSWORD";

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Add a staff account for the staff console. Its password: $DOJANG_STAFF_PASSWORD,
    /// --password-file, or the terminal (twice).
    Add(AddArgs),
    /// List the staff accounts.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Unlock an account locked by wrong passwords.
    Unlock {
        #[command(flatten)]
        data: DataArgs,
        username: String,
    },
    /// Set a new password (it also unlocks the account and ends its sessions).
    Passwd {
        #[command(flatten)]
        data: DataArgs,
        username: String,
        /// Read the new password from FILE (else $DOJANG_STAFF_PASSWORD, else the terminal).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Disable an account for good (its sessions end at once).
    Disable {
        #[command(flatten)]
        data: DataArgs,
        username: String,
    },
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Login name: 3–32 lower-case letters, digits, '.', '_' or '-'.
    username: String,
    /// The name the console shows (e.g. 김직원).
    #[arg(long = "name", value_name = "NAME")]
    display_name: String,
    /// officer (looks up, revokes, locks and unlocks) or auditor (reads only).
    #[arg(long, default_value = "officer", value_parser = parse_role)]
    role: StaffRole,
    /// Read the password from FILE (else $DOJANG_STAFF_PASSWORD, else the terminal).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

fn parse_role(s: &str) -> Result<StaffRole, String> {
    s.parse().map_err(|e: dojang_store::UnknownRole| e.to_string())
}

/// The store of `--data`. Adding staff may be the first thing a new center does, so the
/// database is made if the data directory exists (a mistyped --data still fails).
async fn open(data: &DataArgs) -> anyhow::Result<(Store, OffsetDateTime)> {
    let config = common::load_config(&data.flags())?;
    if !config.data_dir.is_dir() {
        bail!(
            "the data directory {} does not exist; give the directory `dojang serve --data` uses",
            config.data_dir.display()
        );
    }
    let store = dojang_server::open_store(&config).await?;
    Ok((store, config.clock.now()))
}

/// The new password: the file, the environment, or the terminal twice.
fn new_password(file: Option<&PathBuf>) -> anyhow::Result<Zeroizing<String>> {
    if let Some(path) = file {
        let raw = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        );
        return Ok(Zeroizing::new(raw.trim_end_matches(['\n', '\r']).to_string()));
    }
    if let Ok(p) = std::env::var(ENV_PASSWORD) {
        return Ok(Zeroizing::new(p));
    }
    println!("The staff password: 10 or more characters with letters, digits and symbols.");
    let first =
        Zeroizing::new(rpassword::prompt_password("New staff password: ").map_err(|e| {
            anyhow::anyhow!(
                "no terminal to ask the password (use ${ENV_PASSWORD} or --password-file): {e}"
            )
        })?);
    accounts::check_password_rule(&first)?;
    let second = Zeroizing::new(rpassword::prompt_password("Again: ")?);
    if *first != *second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

fn when(t: Option<OffsetDateTime>) -> String {
    let Some(t) = t else { return "-".into() };
    let kst = t.to_offset(time::macros::offset!(+9));
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] KST");
    kst.format(&format).unwrap_or_else(|_| t.to_string())
}

fn explain(e: StaffAccountError) -> anyhow::Error {
    match e {
        StaffAccountError::Store(dojang_store::StoreError::Duplicate { .. }) => {
            anyhow::anyhow!("that username is taken; `dojang admin staff list` shows the accounts")
        }
        other => other.into(),
    }
}

pub async fn run(cmd: StaffCommand) -> anyhow::Result<()> {
    match cmd {
        StaffCommand::Add(a) => {
            let password = new_password(a.password_file.as_ref())?;
            let (store, now) = open(&a.data).await?;
            let id = accounts::add(
                &store,
                &a.username,
                &a.display_name,
                a.role,
                &password,
                Actor::Operator,
                now,
            )
            .await
            .map_err(explain)?;
            println!(
                "staff account {} added (no. {id}, {}, {}); sign in at the center's page, #/staff",
                accounts::normalise_username(&a.username)?,
                a.role.as_str(),
                a.role.korean()
            );
        }
        StaffCommand::List { data } => {
            let (store, _) = open(&data).await?;
            println!(
                "{:<4} {:<20} {:<16} {:<8} {:<22} STATUS",
                "NO", "USERNAME", "NAME", "ROLE", "LAST SIGN-IN"
            );
            let list = store.staff_members().await?;
            for m in &list {
                let status = match (m.disabled_at, m.locked_at) {
                    (Some(_), _) => "disabled".to_string(),
                    (None, Some(_)) => format!("LOCKED ({} wrong passwords)", m.failures),
                    (None, None) => "active".to_string(),
                };
                println!(
                    "{:<4} {:<20} {:<16} {:<8} {:<22} {status}",
                    m.id,
                    m.username,
                    m.display_name,
                    m.role.as_str(),
                    when(m.last_login_at)
                );
            }
            println!("{} staff account(s)", list.len());
        }
        StaffCommand::Unlock { data, username } => {
            let (store, now) = open(&data).await?;
            accounts::unlock(&store, &username, Actor::Operator, now).await.map_err(explain)?;
            println!("staff account {} unlocked", username.trim().to_lowercase());
        }
        StaffCommand::Passwd { data, username, password_file } => {
            let password = new_password(password_file.as_ref())?;
            let (store, now) = open(&data).await?;
            accounts::set_password(&store, &username, &password, Actor::Operator, now)
                .await
                .map_err(explain)?;
            println!(
                "password of staff account {} changed; its sessions ended",
                username.trim().to_lowercase()
            );
        }
        StaffCommand::Disable { data, username } => {
            let (store, now) = open(&data).await?;
            if accounts::disable(&store, &username, Actor::Operator, now).await.map_err(explain)? {
                println!(
                    "staff account {} disabled; its sessions ended",
                    username.trim().to_lowercase()
                );
            } else {
                println!("staff account {} was already disabled", username.trim().to_lowercase());
            }
        }
    }
    Ok(())
}
