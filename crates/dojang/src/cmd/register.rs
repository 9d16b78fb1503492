//! `dojang cert register | unregister`: another institution's certificate at this bank (타기관
//! 인증서 등록/해제, document 002). The customer identifies with the internet-banking ID and
//! RRN (`DOJANG_RRN` or a prompt), answers the ARS call's approval number, and — to register —
//! the certificate signs the center's nonce and R goes along for the VID check. After
//! unregistering, the certificate no longer logs in here.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::Args;
use dojang_keystore::Location;
use zeroize::Zeroizing;

use super::cert::{parse_location, resolve_lang, Lang};
use super::flow::{ENV_RRN, ENV_SERVER};
use super::login::{b64, post, unb64, unlock, T};

#[derive(Args, Clone, Debug)]
pub struct RegisterArgs {
    /// The certificate center's address.
    #[arg(long, value_name = "URL", env = ENV_SERVER, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The internet-banking ID (인터넷뱅킹 ID) at this bank.
    #[arg(long, value_name = "ID")]
    pub banking_id: String,
    /// Which certificate: its serial or part of its subject (may be left out when there is one).
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Where the NPKI folder is: disk, removable:PATH or phone.
    #[arg(long, value_name = "WHERE", default_value = "disk", value_parser = parse_location)]
    pub location: Location,
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

#[derive(Args, Clone, Debug)]
pub struct UnregisterArgs {
    #[arg(long, value_name = "URL", env = ENV_SERVER, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    #[arg(long, value_name = "ID")]
    pub banking_id: String,
    /// The registered certificate's serial (hex). The certificate itself is not needed, so a
    /// lost one can be unregistered too.
    #[arg(long, value_name = "SERIAL")]
    pub serial: String,
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

fn rrn(t: T) -> anyhow::Result<Zeroizing<String>> {
    if let Some(v) = std::env::var(ENV_RRN).ok().filter(|v| !v.is_empty()) {
        return Ok(Zeroizing::new(v));
    }
    let v = rpassword::prompt_password(
        t.s("주민등록번호 (13자리): ", "Resident registration number (13 digits): "),
    )
    .with_context(|| {
        format!("{} ${ENV_RRN}", t.s("입력받을 터미널이 없습니다:", "no terminal to ask; set"))
    })?;
    Ok(Zeroizing::new(v.trim().to_string()))
}

/// The ARS approval number: hidden at a terminal, a line from a script.
fn ars_code(t: T, prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    println!("{prompt}");
    let ask = t.s("ARS 승인번호: ", "ARS approval number: ");
    if std::io::stdin().is_terminal() {
        return Ok(Zeroizing::new(rpassword::prompt_password(ask)?.trim().to_string()));
    }
    print!("{ask}");
    std::io::stdout().flush()?;
    let mut line = Zeroizing::new(String::new());
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        bail!(
            "{}",
            t.s(
                "입력이 끝나 ARS 승인번호를 받을 수 없습니다.",
                "standard input ended before the ARS approval number"
            )
        );
    }
    println!();
    Ok(Zeroizing::new(line.trim().to_string()))
}

/// What the start of a registration gives: its id, the nonce to sign, and the ARS code typed.
struct Started {
    id: String,
    nonce: Vec<u8>,
    code: Zeroizing<String>,
}

fn start(t: T, server: &str, action: &str, banking_id: &str) -> anyhow::Result<Started> {
    let rrn = rrn(t)?;
    let started = post(
        t,
        server,
        "/api/v1/registrations",
        &serde_json::json!({ "action": action, "banking_id": banking_id, "rrn": rrn.as_str() }),
    )?;
    let id = started["id"].as_str().context("the center's answer has no id")?.to_string();
    let nonce = unb64(&started["nonce"], "nonce")?;
    let prompt =
        started[if t.ko { "prompt_ko" } else { "prompt_en" }].as_str().unwrap_or("").to_string();
    let code = ars_code(t, &prompt)?;
    Ok(Started { id, nonce, code })
}

pub fn register(a: RegisterArgs) -> anyhow::Result<()> {
    let lang = resolve_lang(a.lang);
    let t = T { ko: lang == Lang::Ko };
    let unlocked = unlock(lang, &a.location, a.serial.as_deref())?;
    let Started { id, nonce, code } = start(t, &a.server, "register", &a.banking_id)?;
    let signature = unlocked.key.sign(&dojang_pki::possession::message(&id, &nonce))?;
    let cert_der = std::fs::read(unlocked.entry.sign_cert_path())
        .with_context(|| format!("reading {}", unlocked.entry.sign_cert_path().display()))?;
    let body = serde_json::json!({
        "code": code.as_str(),
        "certificate": b64(&cert_der),
        "signature": b64(&signature),
        "random_num": unlocked.random_num.as_ref().map(|r| b64(r)),
    });
    let done =
        post(t, &a.server, &format!("/api/v1/registrations/{id}/finish"), &body).map_err(|e| {
            anyhow::anyhow!(
                "{} {e:#}",
                t.s("인증서를 등록할 수 없습니다:", "the certificate cannot be registered:")
            )
        })?;
    let issuer = done["certificate"]["trusted_issuer"].as_str().unwrap_or("?");
    println!(
        "{} {} ({} {issuer})",
        t.s(
            "타기관 인증서가 등록되었습니다:",
            "The other institution's certificate is registered:"
        ),
        done["serial"].as_str().unwrap_or("?"),
        t.s("발급기관", "issuer"),
    );
    Ok(())
}

pub fn unregister(a: UnregisterArgs) -> anyhow::Result<()> {
    let lang = resolve_lang(a.lang);
    let t = T { ko: lang == Lang::Ko };
    let Started { id, code, .. } = start(t, &a.server, "unregister", &a.banking_id)?;
    let body = serde_json::json!({ "code": code.as_str(), "serial": a.serial });
    let done =
        post(t, &a.server, &format!("/api/v1/registrations/{id}/finish"), &body).map_err(|e| {
            anyhow::anyhow!(
                "{} {e:#}",
                t.s("인증서 등록을 해제할 수 없습니다:", "the registration cannot be removed:")
            )
        })?;
    println!(
        "{} {}",
        t.s("타기관 인증서 등록이 해제되었습니다:", "The registration is removed:"),
        done["serial"].as_str().unwrap_or("?")
    );
    Ok(())
}
