//! `dojang cert copy receive | send`: copy (or move) a certificate between two devices through
//! the center (인증서 복사 / 이동) — from a PC to a phone, a phone to a PC, onto a removable disk
//! on another machine.
//!
//! The receiving device runs `receive` and shows a one-time authentication number (인증번호);
//! the customer runs `send` on the device holding the certificate and types that number. The
//! NPKI pair travels sealed under a key only the two devices can derive from the number
//! (SPAKE2, docs/copy.md): the center relays it and can read nothing. With `--move` the sender
//! deletes its copy once the receiver confirmed that it kept it.
//!
//! The number comes from `DOJANG_COPY_NUMBER` or standard input (a line), never argv.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_client::transfer::{self, CopyError, Received, Receiving};
use dojang_client::Client;
use dojang_keystore::{Existing, Location, Store};
use dojang_transfer::Number;
use zeroize::Zeroizing;

use super::cert::{keystore_error, kst, parse_location, resolve_lang, Lang};
use super::flow::ENV_SERVER;
use super::login::T;

/// The number for scripts (never on the command line, where other users would see it).
pub const ENV_COPY_NUMBER: &str = "DOJANG_COPY_NUMBER";

#[derive(Args, Clone, Debug)]
pub struct CopyArgs {
    #[command(subcommand)]
    pub command: CopyCommand,
}

#[derive(Subcommand, Clone, Debug)]
pub enum CopyCommand {
    /// On the device that gets the certificate: show the authentication number and wait (인증서 받기).
    Receive(ReceiveArgs),
    /// On the device that has the certificate: type the number shown on the other device (인증서 보내기).
    Send(SendArgs),
}

#[derive(Args, Clone, Debug)]
pub struct CopyConn {
    /// The certificate center's address.
    #[arg(long, value_name = "URL", env = ENV_SERVER, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Language of the output (default: Korean, or English under an English locale).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

#[derive(Args, Clone, Debug)]
pub struct ReceiveArgs {
    #[command(flatten)]
    pub conn: CopyConn,
    /// Where to keep the certificate: phone (the default, 휴대폰), disk or removable:PATH.
    #[arg(long, value_name = "WHERE", default_value = "phone", value_parser = parse_location)]
    pub location: Location,
    /// Replace a stored certificate of the same subject.
    #[arg(long)]
    pub replace: bool,
}

#[derive(Args, Clone, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    pub conn: CopyConn,
    /// Which certificate: its serial (as `dojang cert list` shows it) or part of its subject.
    /// May be left out when the store holds one certificate.
    #[arg(value_name = "CERT")]
    pub cert: Option<String>,
    /// Where the certificate is: disk (the default), removable:PATH or phone.
    #[arg(long, value_name = "WHERE", default_value = "disk", value_parser = parse_location)]
    pub location: Location,
    /// Move instead of copy (인증서 이동): delete it here once the other device confirmed.
    #[arg(long = "move")]
    pub move_it: bool,
}

pub fn run(a: CopyArgs) -> anyhow::Result<()> {
    match a.command {
        CopyCommand::Receive(r) => receive(r),
        CopyCommand::Send(s) => send(s),
    }
}

fn where_name(t: T, l: &Location) -> String {
    match l {
        Location::HardDisk => t.s("하드디스크", "hard disk").to_string(),
        Location::Removable(p) => {
            format!("{} {}", t.s("이동식 디스크", "removable disk"), p.display())
        }
        Location::Phone => t.s("휴대폰", "phone").to_string(),
    }
}

/// A failed copy as a sentence for the customer: the center's own words, or ours.
fn copy_error(t: T, e: CopyError) -> anyhow::Error {
    match e {
        CopyError::Center(c) => match c.api() {
            Some(api) => anyhow::anyhow!("{} ({})", api.message(t.ko), api.code),
            None => anyhow::anyhow!("{}", c.message(t.ko)),
        },
        CopyError::WrongNumber { attempts_left } => anyhow::anyhow!(
            "{}",
            if t.ko {
                format!("인증번호가 틀렸습니다 (남은 입력 횟수 {attempts_left}회). 받는 기기에 표시된 인증번호를 확인해 주세요. (wrong_number)")
            } else {
                format!("the authentication number is wrong ({attempts_left} tries left); check the number the receiving device shows (wrong_number)")
            }
        ),
        CopyError::Dead => anyhow::anyhow!(
            "{}",
            t.s(
                "인증번호를 3회 잘못 입력하여 인증서 복사가 취소되었습니다. 받는 기기에서 복사를 다시 시작해 주세요. (transfer_dead)",
                "the number was wrong 3 times, so the copy is cancelled; start again on the receiving device (transfer_dead)"
            )
        ),
        CopyError::TimedOut => anyhow::anyhow!(
            "{}",
            t.s(
                "상대 기기의 응답이 없어 인증서 복사를 중단했습니다. 처음부터 다시 시작해 주세요.",
                "the other device did not answer in time; start the copy again"
            )
        ),
        CopyError::Protocol(p) => anyhow::anyhow!(
            "{} ({p})",
            t.s(
                "인증서 복사 중 데이터가 올바르지 않아 중단했습니다. 아무것도 저장하지 않았습니다.",
                "the copy was stopped because its data was not right; nothing was kept"
            )
        ),
    }
}

fn receive(a: ReceiveArgs) -> anyhow::Result<()> {
    let lang = resolve_lang(a.conn.lang);
    let t = T { ko: lang == Lang::Ko };
    // The store is checked before a number is shown: a missing USB disk stops here.
    let store = Store::open(a.location.clone())
        .map_err(|e| keystore_error(lang, e))?
        .with_products(dojang_keystore::default_products());
    store.check_before_saving().map_err(|e| keystore_error(lang, e))?;
    let client = Client::new(&a.conn.server).map_err(|e| anyhow::anyhow!(e.message(t.ko)))?;
    println!("{}", t.s("인증서 복사 — 받는 기기", "Certificate copy — receiving device"));
    let mut receiving = Receiving::open(&client).map_err(|e| copy_error(t, e))?;
    println!();
    println!(
        "{} {}",
        t.s("인증번호:", "Authentication number:"),
        receiving.number().display().as_str()
    );
    println!();
    println!(
        "{}",
        t.s(
            "인증서가 있는 기기에서 `dojang cert copy send`를 실행하고 위 인증번호 12자리를 입력해 주세요.",
            "On the device that has the certificate, run `dojang cert copy send` and type the 12 digits above."
        )
    );
    let until = time::OffsetDateTime::parse(
        receiving.expires_at(),
        &time::format_description::well_known::Rfc3339,
    )
    .map(kst)
    .unwrap_or_else(|_| receiving.expires_at().to_string());
    println!(
        "{}",
        if t.ko {
            format!(
                "인증번호는 {until}까지 유효하며, {}회 틀리면 복사가 취소됩니다.",
                receiving.attempts_left()
            )
        } else {
            format!(
                "The number is valid until {until}; {} wrong tries cancel the copy.",
                receiving.attempts_left()
            )
        }
    );
    println!("{}", t.s("보내는 기기를 기다리는 중입니다…", "Waiting for the sending device…"));
    std::io::stdout().flush()?;
    let (payload, confirm) = loop {
        match receiving.wait() {
            Ok(Received::WrongNumber { attempts_left }) => println!(
                "{}",
                if t.ko {
                    format!("보내는 기기에서 입력한 인증번호가 틀렸습니다 (남은 입력 횟수 {attempts_left}회).")
                } else {
                    format!("The sending device typed a wrong number ({attempts_left} tries left).")
                }
            ),
            Ok(Received::Arrived { payload, confirm }) => break (payload, confirm),
            Err(e) => {
                if matches!(e, CopyError::TimedOut) {
                    receiving.cancel();
                }
                return Err(copy_error(t, e));
            }
        }
    };
    let existing = if a.replace { Existing::Replace } else { Existing::Keep };
    let entry = match store.save(&transfer::pair_of(&payload), existing) {
        Ok(entry) => entry,
        Err(e) => {
            receiving.cancel();
            return Err(keystore_error(lang, e)).context(t.s(
                "받은 인증서를 저장하지 못해 복사를 취소했습니다",
                "the certificate could not be kept here, so the copy is cancelled",
            ));
        }
    };
    receiving.accept(&confirm).map_err(|e| copy_error(t, e))?;
    println!();
    println!("✔ {}", t.s("인증서를 받았습니다.", "The certificate is copied here."));
    println!("  {} {}", t.s("사용자", "Subject"), entry.info.subject);
    println!("  {} {}", t.s("일련번호", "Serial"), entry.info.serial);
    println!("  {} {}", t.s("만료일", "Expires"), kst(entry.info.not_after));
    println!(
        "  {} {} — {}",
        t.s("저장 위치", "Stored in"),
        where_name(t, &a.location),
        entry.dir.display()
    );
    println!(
        "  {}",
        t.s(
            "인증서 암호는 보낸 기기에서 쓰던 암호 그대로입니다.",
            "Its password is the one it had on the sending device."
        )
    );
    Ok(())
}

/// The number: `DOJANG_COPY_NUMBER`, or a line from standard input (asked again after a
/// wrong one when a person is typing).
fn read_number(t: T) -> anyhow::Result<(Number, bool)> {
    if let Some(v) = std::env::var(ENV_COPY_NUMBER).ok().filter(|v| !v.is_empty()) {
        let v = Zeroizing::new(v);
        let n = v.parse::<Number>().map_err(|e| anyhow::anyhow!("${ENV_COPY_NUMBER}: {e}"))?;
        return Ok((n, false));
    }
    loop {
        print!(
            "{}",
            t.s(
                "받는 기기에 표시된 인증번호 12자리: ",
                "The 12-digit number shown on the receiving device: "
            )
        );
        std::io::stdout().flush()?;
        let mut line = Zeroizing::new(String::new());
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            bail!(
                "{}",
                t.s(
                    "입력이 끝나 인증번호를 받을 수 없습니다 ($DOJANG_COPY_NUMBER로도 줄 수 있습니다).",
                    "standard input ended before the number (it may also come from $DOJANG_COPY_NUMBER)"
                )
            );
        }
        match line.parse::<Number>() {
            Ok(n) => return Ok((n, true)),
            Err(e) if std::io::stdin().is_terminal() => println!("  {e}"),
            Err(e) => bail!("{e}"),
        }
    }
}

fn send(a: SendArgs) -> anyhow::Result<()> {
    let lang = resolve_lang(a.conn.lang);
    let t = T { ko: lang == Lang::Ko };
    let store = Store::open(a.location.clone())
        .map_err(|e| keystore_error(lang, e))?
        .with_products(dojang_keystore::default_products());
    let entry = store.find(a.cert.as_deref()).map_err(|e| keystore_error(lang, e))?;
    let pair = store.read_pair(&entry).map_err(|e| keystore_error(lang, e))?;
    let client = Client::new(&a.conn.server).map_err(|e| anyhow::anyhow!(e.message(t.ko)))?;
    println!(
        "{}",
        if a.move_it {
            t.s("인증서 이동 — 보내는 기기", "Certificate move — sending device")
        } else {
            t.s("인증서 복사 — 보내는 기기", "Certificate copy — sending device")
        }
    );
    println!("  {} {}", t.s("사용자", "Subject"), entry.info.subject);
    println!("  {} {}", t.s("일련번호", "Serial"), entry.info.serial);
    println!("  {} {}", t.s("만료일", "Expires"), kst(entry.info.not_after));
    let payload = transfer::payload_of(&pair);
    loop {
        let (number, typed) = read_number(t)?;
        println!("{}", t.s("인증서를 보내는 중입니다…", "Sending the certificate…"));
        match transfer::send(&client, &number, &payload) {
            Ok(()) => break,
            Err(CopyError::WrongNumber { attempts_left }) if typed && attempts_left > 0 => {
                println!("{}", copy_error(t, CopyError::WrongNumber { attempts_left }));
            }
            Err(e) => return Err(copy_error(t, e)),
        }
    }
    println!(
        "✔ {}",
        t.s(
            "인증서를 보냈습니다. 받는 기기가 인증서를 저장했음을 확인했습니다.",
            "The certificate is sent; the receiving device confirmed it kept it."
        )
    );
    if a.move_it {
        store.delete(&entry).map_err(|e| keystore_error(lang, e))?;
        println!(
            "✔ {} ({})",
            t.s(
                "인증서를 이동했습니다: 이 기기의 인증서를 삭제했습니다",
                "The certificate is moved: it is deleted here"
            ),
            entry.dir.display()
        );
    }
    Ok(())
}
