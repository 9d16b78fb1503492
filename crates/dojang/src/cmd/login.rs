//! `dojang login`: certificate login (인증서 로그인) at a center, as Korean banking software
//! does it — pick the certificate from the NPKI folder, open its key with the certificate
//! password, sign the center's challenge, and send the certificate, the signature and R (the
//! VID random value from `signPri.key`, so the center can check the certificate is the
//! customer's). Prints who is logged in, or the reason the center gave.
//!
//! With `--financial`, the financial certificate (금융인증서) signs instead, in the bank's cloud:
//! the internet-banking ID and password open a remote-signing session (`/csc/v1/`), the
//! six-digit PIN authorizes one signature, and the center hands back R with it.
//!
//! The password comes from `DOJANG_CERT_PASSWORD` or a prompt without echo, never argv (for
//! `--financial`: `DOJANG_BANKING_PASSWORD` and `DOJANG_PIN`).

use anyhow::{bail, Context};
use base64::Engine;
use clap::Args;
use dojang_client::KeyPair;
use dojang_keystore::{Entry, Location, Store};
use sha2::Digest as _;
use zeroize::Zeroizing;

use super::cert::{keystore_error, kst, resolve_lang, Lang, ENV_CERT_PASSWORD};
use super::flow::ENV_SERVER;

#[derive(Args, Clone, Debug)]
pub struct LoginArgs {
    /// The certificate center's address.
    #[arg(long, value_name = "URL", env = ENV_SERVER, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Which certificate: its serial (as `dojang cert list` shows it) or part of its subject.
    /// May be left out when the folder holds one certificate (or, with --financial, for the
    /// newest financial certificate).
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Log in with the financial certificate kept by the center (금융인증서), signing in the
    /// cloud after the PIN; needs --banking-id.
    #[arg(long, requires = "banking_id", conflicts_with = "location")]
    pub financial: bool,
    /// Where the certificate is: disk, removable:PATH, phone, or token:LABEL (a security token,
    /// which signs inside itself after its PIN: $DOJANG_TOKEN_PIN or the terminal).
    #[arg(long, value_name = "WHERE", default_value = "disk", value_parser = super::token::parse_medium)]
    pub location: dojang_keystore::Medium,
    /// The internet-banking ID, when the bank asks for it with the certificate.
    #[arg(long, value_name = "ID")]
    pub banking_id: Option<String>,
    /// Language of the output (default: Korean, or English under an English locale).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// The language chosen.
#[derive(Clone, Copy)]
pub(crate) struct T {
    pub ko: bool,
}

impl T {
    pub fn s<'a>(self, ko: &'a str, en: &'a str) -> &'a str {
        if self.ko {
            ko
        } else {
            en
        }
    }
}

/// A certificate with its key opened: what login and registration sign with.
pub(crate) struct Unlocked {
    pub entry: Entry,
    pub key: KeyPair,
    /// R from the key file's randomNum attribute (absent for a business certificate).
    pub random_num: Option<Zeroizing<Vec<u8>>>,
}

/// Finds the certificate and opens its key with the certificate password.
pub(crate) fn unlock(
    lang: Lang,
    location: &Location,
    serial: Option<&str>,
) -> anyhow::Result<Unlocked> {
    let t = T { ko: lang == Lang::Ko };
    let store = Store::open(location.clone())
        .map_err(|e| keystore_error(lang, e))?
        .with_products(dojang_keystore::default_products());
    let entry = store.find(serial).map_err(|e| keystore_error(lang, e))?;
    println!("{} {}", t.s("인증서:", "Certificate:"), entry.info.subject);
    println!(
        "  {} {}  {} {}",
        t.s("일련번호", "serial"),
        entry.info.serial,
        t.s("만료일", "expires"),
        kst(entry.info.not_after)
    );
    let password = match std::env::var(ENV_CERT_PASSWORD).ok().filter(|v| !v.is_empty()) {
        Some(p) => Zeroizing::new(p),
        None => Zeroizing::new(
            rpassword::prompt_password(t.s("인증서 암호: ", "Certificate password: "))
                .with_context(|| {
                    format!(
                        "{} ${ENV_CERT_PASSWORD}",
                        t.s(
                            "암호를 입력받을 터미널이 없습니다:",
                            "no terminal to ask for the password; set"
                        )
                    )
                })?,
        ),
    };
    // Opened through the store, which refuses a key that is not this certificate's.
    let private = match store.open_key(&entry, &password) {
        Ok(k) => k,
        Err(e) if e.is_wrong_password() => bail!(
            "{}",
            t.s(
                "인증서 암호가 틀렸습니다. 암호를 잊었다면 인증서를 재발급받아 주세요.",
                "the certificate password is wrong; if it is forgotten, get the certificate reissued"
            )
        ),
        Err(e) => return Err(keystore_error(lang, e)),
    };
    let random_num = private.random_num().map(|r| Zeroizing::new(r.to_vec()));
    let plain = private
        .without_attributes()
        .map_err(|e| anyhow::anyhow!("{}: {e}", entry.sign_key_path().display()))?;
    let key = KeyPair::from_pkcs8(&plain)
        .map_err(|e| anyhow::anyhow!("{}: {e}", entry.sign_key_path().display()))?;
    Ok(Unlocked { entry, key, random_num })
}

/// One JSON request to the center: the answer, or the center's refusal as
/// "message (code)" in the chosen language.
pub(crate) fn post(
    t: T,
    server: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let base = server.trim().trim_end_matches('/');
    if !base.starts_with("http://") {
        bail!(
            "{} {server}",
            t.s(
                "인증센터 주소는 http://로 시작해야 합니다:",
                "the center's address must start with http://:"
            )
        );
    }
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .build();
    let url = format!("{base}{path}");
    match agent.post(&url).set("Content-Type", "application/json").send_string(&body.to_string()) {
        Ok(resp) => resp.into_json().with_context(|| format!("reading the answer of {url}")),
        Err(ureq::Error::Status(code, resp)) => {
            let text = resp.into_string().unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let key = if t.ko { "message_ko" } else { "message_en" };
            let message = v[key].as_str().map(str::to_string).unwrap_or_else(|| {
                format!("HTTP {code}: {}", text.chars().take(200).collect::<String>())
            });
            let error = v["error"].as_str().unwrap_or("http_error");
            bail!("{message} ({error})")
        }
        Err(e) => bail!(
            "{} {url}: {e}",
            t.s("인증센터에 연결할 수 없습니다:", "cannot reach the center at")
        ),
    }
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn unb64(v: &serde_json::Value, what: &str) -> anyhow::Result<Vec<u8>> {
    let text = v.as_str().with_context(|| format!("the center's answer has no {what}"))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .with_context(|| format!("the center's {what} is not base64"))
}

/// What proves the holder at login: the certificate, the signature over the possession
/// message, and R.
struct Proof {
    certificate_b64: String,
    signature: Vec<u8>,
    random_num: Option<Zeroizing<String>>,
}

/// Signs with the NPKI pair from the folder.
fn joint_proof(lang: Lang, a: &LoginArgs, message: &[u8]) -> anyhow::Result<Proof> {
    let location = match &a.location {
        dojang_keystore::Medium::Npki(l) => l,
        dojang_keystore::Medium::Token(label) => {
            let p =
                super::token::login_proof(lang == Lang::Ko, label, a.serial.as_deref(), message)?;
            return Ok(Proof {
                certificate_b64: b64(&p.certificate),
                signature: p.signature,
                random_num: p.random_num.as_ref().map(|r| Zeroizing::new(b64(r))),
            });
        }
    };
    let unlocked = unlock(lang, location, a.serial.as_deref())?;
    let signature = unlocked.key.sign(message)?;
    let cert_der = std::fs::read(unlocked.entry.sign_cert_path())
        .with_context(|| format!("reading {}", unlocked.entry.sign_cert_path().display()))?;
    Ok(Proof {
        certificate_b64: b64(&cert_der),
        signature,
        random_num: unlocked.random_num.as_ref().map(|r| Zeroizing::new(b64(r))),
    })
}

/// Signs with the financial certificate in the center's cloud.
fn financial_proof(t: T, a: &LoginArgs, message: &[u8]) -> anyhow::Result<Proof> {
    let banking_id = a.banking_id.as_deref().context(
        t.s("금융인증서 로그인에는 --banking-id가 필요합니다", "--financial needs --banking-id"),
    )?;
    let mut api = super::financial::Api::new(&a.server)?;
    api.login(banking_id)?;
    let id = api.credential(a.serial.as_deref())?;
    println!("{} {id}", t.s("금융인증서:", "Financial certificate:"));
    let certificate_b64 = super::financial::certificate_of(&api, &id)?;
    let hash = sha2::Sha256::digest(message);
    let signed = super::financial::remote_sign(&api, &id, &hash)?;
    Ok(Proof { certificate_b64, signature: signed.signature, random_num: signed.vid_random })
}

pub fn run(a: LoginArgs) -> anyhow::Result<()> {
    let lang = resolve_lang(a.lang);
    let t = T { ko: lang == Lang::Ko };
    let challenge = post(t, &a.server, "/api/v1/login/challenge", &serde_json::json!({}))?;
    let id = challenge["challenge_id"]
        .as_str()
        .context("the center's answer has no challenge_id")?
        .to_string();
    let nonce = unb64(&challenge["nonce"], "nonce")?;
    let message = dojang_pki::possession::message(&id, &nonce);
    let proof = if a.financial {
        financial_proof(t, &a, &message)?
    } else {
        joint_proof(lang, &a, &message)?
    };
    let body = serde_json::json!({
        "challenge_id": id,
        "certificate": proof.certificate_b64,
        "signature": b64(&proof.signature),
        "random_num": proof.random_num.as_ref().map(|r| r.as_str()),
        "banking_id": a.banking_id,
    });
    let done = post(t, &a.server, "/api/v1/login", &body)
        .map_err(|e| anyhow::anyhow!("{} {e:#}", t.s("로그인할 수 없습니다:", "login refused:")))?;
    let name = done["customer_name"].as_str().unwrap_or("?");
    let id = done["banking_id"].as_str().unwrap_or("?");
    println!("{} {name} ({id})", t.s("로그인되었습니다:", "Logged in:"));
    let cert = &done["certificate"];
    println!("  {} {}", t.s("발급기관", "issuer"), cert["trusted_issuer"].as_str().unwrap_or("?"));
    println!(
        "  {} {}",
        t.s("상태 확인", "status from"),
        cert["status_source"].as_str().unwrap_or("?")
    );
    println!(
        "  {} {}",
        t.s("세션 만료", "session until"),
        done["expires_at"].as_str().unwrap_or("?")
    );
    println!("  session: {}", done["session"].as_str().unwrap_or(""));
    Ok(())
}
