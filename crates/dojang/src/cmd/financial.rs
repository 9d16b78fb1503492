//! `dojang cert financial …`: the financial certificate (금융인증서), whose key the center makes
//! and keeps: `issue` and `reissue` drive the center's `financial-issue` / `financial-reissue`
//! flows (terms, ID + RRN, ARS, withdrawal account and password, security card or OTP, SMS,
//! then the six-digit PIN); `sign`, `show` and `auto-renew` use the remote-signing API
//! (`/csc/v1/`, Cloud Signature Consortium shape) after logging in with the internet-banking ID
//! and password.
//!
//! Secrets never come from the command line: the RRN ($DOJANG_RRN), the account password
//! ($DOJANG_ACCOUNT_PASSWORD), the banking password ($DOJANG_BANKING_PASSWORD), the PIN
//! ($DOJANG_PIN; a new one $DOJANG_NEW_PIN) come from the environment or a prompt without echo.
//! One-time codes are read from standard input.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};
use sha2::Digest as _;
use zeroize::Zeroizing;

use super::flow::{ENV_ACCOUNT_PASSWORD, ENV_BANKING_PASSWORD, ENV_RRN, ENV_SERVER};

pub const ENV_PIN: &str = "DOJANG_PIN";
pub const ENV_NEW_PIN: &str = "DOJANG_NEW_PIN";
const SHA256_OID: &str = "2.16.840.1.101.3.4.2.1";
const TRIES: usize = 3;

#[derive(Args, Debug)]
pub struct FinancialArgs {
    #[command(subcommand)]
    pub command: FinancialCommand,
}

#[derive(Subcommand, Debug)]
pub enum FinancialCommand {
    /// Get a financial certificate (금융인증서 발급): the center makes and keeps the key; you set a PIN.
    Issue(FlowArgs),
    /// Get it again with new identity checks and a new PIN (금융인증서 재발급); also unlocks a
    /// PIN locked after five wrong tries. The current one is revoked.
    Reissue(FlowArgs),
    /// Sign a file or a SHA-256 hash with the financial certificate (원격 서명), after the PIN.
    Sign(SignArgs),
    /// Show the financial certificate (and save it with --cert-out).
    Show(ShowArgs),
    /// Turn automatic renewal in the last 30 days on or off (자동 갱신).
    AutoRenew(AutoRenewArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args, Debug, Clone)]
pub struct Conn {
    /// The certificate center's address.
    #[arg(long, value_name = "URL", env = ENV_SERVER, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Internet-banking ID.
    #[arg(long, value_name = "ID")]
    pub banking_id: String,
}

#[derive(Args, Debug)]
pub struct FlowArgs {
    #[command(flatten)]
    pub conn: Conn,
    /// Withdrawal account (asked when left out).
    #[arg(long)]
    pub account: Option<String>,
    /// Agree to the mandatory terms (else you are asked).
    #[arg(long)]
    pub agree: bool,
    /// Renew automatically in the last 30 days.
    #[arg(long, value_enum, default_value = "off")]
    pub auto_renew: OnOff,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    #[command(flatten)]
    pub conn: Conn,
    /// The file to sign (its SHA-256 is sent, never the file).
    #[arg(long, conflicts_with = "hash", required_unless_present = "hash")]
    pub file: Option<PathBuf>,
    /// A SHA-256 hash to sign, base64 or hex.
    #[arg(long)]
    pub hash: Option<String>,
    /// Which credential (serial); the newest when left out.
    #[arg(long)]
    pub credential: Option<String>,
    /// Also write the raw signature here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[command(flatten)]
    pub conn: Conn,
    #[arg(long)]
    pub credential: Option<String>,
    /// Write the certificate (PEM) here.
    #[arg(long)]
    pub cert_out: Option<PathBuf>,
    /// Print the CSC credentials/info answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AutoRenewArgs {
    #[command(flatten)]
    pub conn: Conn,
    #[arg(value_enum)]
    pub setting: OnOff,
    #[arg(long)]
    pub credential: Option<String>,
}

pub fn run(a: FinancialArgs) -> anyhow::Result<()> {
    match a.command {
        FinancialCommand::Issue(f) => drive("financial-issue", f),
        FinancialCommand::Reissue(f) => drive("financial-reissue", f),
        FinancialCommand::Sign(s) => sign(s),
        FinancialCommand::Show(s) => show(s),
        FinancialCommand::AutoRenew(s) => auto_renew(s),
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP

pub(crate) struct Api {
    base: String,
    agent: ureq::Agent,
    token: Option<Zeroizing<String>>,
}

/// A refusal from the center: its code and its Korean sentence.
#[derive(Debug)]
struct Refused {
    code: String,
    message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for Refused {}

impl Api {
    pub(crate) fn new(server: &str) -> anyhow::Result<Api> {
        let base = server.trim().trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            bail!("센터 주소는 http://로 시작해야 합니다: {base}");
        }
        let agent = ureq::AgentBuilder::new().timeout(std::time::Duration::from_secs(60)).build();
        Ok(Api { base, agent, token: None })
    }

    fn request(&self, path: &str) -> ureq::Request {
        let r = self.agent.post(&format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.set("Authorization", &format!("Bearer {}", t.as_str())),
            None => r,
        }
    }

    fn read(result: Result<ureq::Response, ureq::Error>) -> anyhow::Result<Result<Value, Refused>> {
        match result {
            Ok(r) => Ok(Ok(r.into_json().context("센터의 응답을 읽을 수 없습니다")?)),
            Err(ureq::Error::Status(code, r)) => {
                let v: Value = r.into_json().unwrap_or(Value::Null);
                let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
                Ok(Err(Refused {
                    code: text("error").unwrap_or_else(|| format!("http_{code}")),
                    message: text("message_ko")
                        .or_else(|| text("error_description"))
                        .unwrap_or_else(|| format!("센터가 요청을 거절했습니다 (HTTP {code})")),
                }))
            }
            Err(e) => Err(anyhow!("센터에 연결할 수 없습니다: {e}")),
        }
    }

    fn post(&self, path: &str, body: &Value) -> anyhow::Result<Result<Value, Refused>> {
        Self::read(self.request(path).send_json(body))
    }

    /// Logs in with the banking ID and password (CSC auth/login, HTTP Basic).
    pub(crate) fn login(&mut self, banking_id: &str) -> anyhow::Result<()> {
        let password = secret(ENV_BANKING_PASSWORD, "인터넷뱅킹 비밀번호: ")?;
        let basic = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .encode(format!("{banking_id}:{}", password.as_str())),
        );
        let r = self
            .agent
            .post(&format!("{}/csc/v1/auth/login", self.base))
            .set("Authorization", &format!("Basic {}", basic.as_str()))
            .call();
        let v = Self::read(r)?.map_err(anyhow::Error::new)?;
        let token =
            v["access_token"].as_str().ok_or_else(|| anyhow!("로그인 응답에 토큰이 없습니다"))?;
        self.token = Some(Zeroizing::new(token.to_string()));
        Ok(())
    }

    /// The credential to use: the one named, else the newest.
    pub(crate) fn credential(&self, wanted: Option<&str>) -> anyhow::Result<String> {
        let v = self.post("/csc/v1/credentials/list", &json!({}))?.map_err(anyhow::Error::new)?;
        let ids: Vec<String> = v["credentialIDs"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        match wanted {
            Some(w) => ids
                .into_iter()
                .find(|id| id.eq_ignore_ascii_case(w.trim()))
                .ok_or_else(|| anyhow!("금융인증서 {w}을(를) 찾을 수 없습니다")),
            None => ids.into_iter().next().ok_or_else(|| {
                anyhow!("사용할 수 있는 금융인증서가 없습니다. dojang cert financial issue로 발급받아 주세요.")
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Terminal

fn line(prompt: &str) -> anyhow::Result<String> {
    print!("{prompt}");
    std::io::stdout().flush().ok();
    let mut s = String::new();
    let n = std::io::stdin().lock().read_line(&mut s).context("표준 입력을 읽을 수 없습니다")?;
    if n == 0 {
        println!();
        bail!("입력이 끝나 '{}'에 답할 수 없습니다", prompt.trim().trim_end_matches(':'));
    }
    println!();
    Ok(s.trim().to_string())
}

/// A secret from `env`, else asked without echo.
fn secret(env: &str, prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Some(v) = std::env::var(env).ok().filter(|v| !v.is_empty()) {
        return Ok(Zeroizing::new(v));
    }
    rpassword::prompt_password(prompt).map(Zeroizing::new).map_err(|e| {
        anyhow!(
            "{}을(를) 입력받을 터미널이 없습니다. 환경 변수 ${env}로 주세요 ({e})",
            prompt.trim().trim_end_matches(':')
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The flows

fn drive(kind: &str, a: FlowArgs) -> anyhow::Result<()> {
    let api = Api::new(&a.conn.server)?;
    let mut view =
        api.post("/api/v1/flows", &json!({ "kind": kind }))?.map_err(anyhow::Error::new)?;
    let title = if kind == "financial-issue" {
        "금융인증서 발급"
    } else {
        "금융인증서 재발급"
    };
    println!("{title}");
    let flow_id = view["id"].as_str().unwrap_or_default().to_string();
    let step_path = |s: &str| format!("/api/v1/flows/{flow_id}/{s}");
    while let Some(next) = view.get("next").filter(|n| !n.is_null()).cloned() {
        let name = next["name"].as_str().unwrap_or_default().to_string();
        println!(
            "[{}/{}] {}",
            next["number"],
            next["total"],
            next["title_ko"].as_str().unwrap_or(&name)
        );
        view = match name.as_str() {
            "terms" => {
                let terms = view["output"]["terms"].as_array().cloned().unwrap_or_default();
                for t in &terms {
                    println!("  - {}", t["title_ko"].as_str().unwrap_or_default());
                }
                if !a.agree {
                    let yes = line("위 약관에 모두 동의하십니까? (yes/no): ")?;
                    if !matches!(yes.to_lowercase().as_str(), "y" | "yes" | "예" | "네") {
                        bail!("약관에 동의하지 않아 진행을 멈췄습니다");
                    }
                }
                let ids: Vec<Value> = terms.iter().filter_map(|t| t.get("id").cloned()).collect();
                api.post(&step_path(&name), &json!({ "accepted": ids }))?
                    .map_err(anyhow::Error::new)?
            }
            "identify" => {
                let rrn = secret(ENV_RRN, "주민등록번호 (13자리): ")?;
                let rrn: String = rrn.chars().filter(char::is_ascii_digit).collect();
                let input = json!({ "banking_id": a.conn.banking_id, "rrn": rrn });
                api.post(&step_path(&name), &input)?.map_err(anyhow::Error::new)?
            }
            "payment" => {
                let account = match &a.account {
                    Some(acc) => acc.clone(),
                    None => line("출금계좌번호: ")?,
                };
                let password = secret(ENV_ACCOUNT_PASSWORD, "계좌 비밀번호: ")?;
                let input = json!({ "account": account, "password": password.as_str() });
                api.post(&step_path(&name), &input)?.map_err(anyhow::Error::new)?
            }
            "confirm" => {
                let s = &view["output"]["summary"];
                println!("  고객: {}", s["customer"].as_str().unwrap_or_default());
                println!("  인증서: {}", s["product_ko"].as_str().unwrap_or("금융인증서"));
                println!("  주체: {}", s["subject"].as_str().unwrap_or_default());
                println!("  키는 은행(인증센터)이 만들어 PIN으로 잠가 보관합니다.");
                api.post(&step_path(&name), &json!({ "confirm": true }))?
                    .map_err(anyhow::Error::new)?
            }
            "pin" => pin_step(&api, &step_path(&name), a.auto_renew == OnOff::On)?,
            s if s.starts_with("check-") => challenge(&api, &step_path(&name))?,
            other => bail!("이 명령은 '{other}' 단계를 모릅니다. 웹 화면에서 진행해 주세요."),
        };
    }
    let out = &view["output"];
    println!("금융인증서가 발급되었습니다.");
    println!("  일련번호: {}", out["serial"].as_str().unwrap_or_default());
    println!("  주체: {}", out["subject"].as_str().unwrap_or_default());
    println!(
        "  유효기간: {} ~ {}",
        out["not_before"].as_str().unwrap_or_default(),
        out["not_after"].as_str().unwrap_or_default()
    );
    println!("  자동 갱신: {}", if out["auto_renew"] == true { "켜짐" } else { "꺼짐" });
    if let Some(old) = out["superseded"].as_array().filter(|a| !a.is_empty()) {
        let list: Vec<&str> = old.iter().filter_map(Value::as_str).collect();
        println!("  폐기된 이전 금융인증서: {}", list.join(", "));
    }
    Ok(())
}

fn challenge(api: &Api, path: &str) -> anyhow::Result<Value> {
    let started = api.post(path, &json!({ "action": "start" }))?.map_err(anyhow::Error::new)?;
    let prompt = started["output"]["prompt"].clone();
    if let Some(text) = prompt["ko"].as_str() {
        println!("  {text}");
    }
    let is_ars = path.ends_with("check-ars");
    let is_sms = path.ends_with("check-sms");
    for attempt in 1..=TRIES {
        let input = if let (Some(first), Some(second)) =
            (prompt["card"]["first"].as_u64(), prompt["card"]["second"].as_u64())
        {
            let f = Zeroizing::new(line(&format!("보안카드 {first:02}번 코드의 앞 2자리: "))?);
            let s = Zeroizing::new(line(&format!("보안카드 {second:02}번 코드의 뒤 2자리: "))?);
            json!({ "action": "answer", "first": f.as_str(), "second": s.as_str() })
        } else {
            let label = if is_ars {
                "ARS 승인번호: "
            } else if is_sms {
                "SMS 인증번호: "
            } else {
                "OTP 번호: "
            };
            let code = Zeroizing::new(line(label)?);
            json!({ "action": "answer", "code": code.as_str() })
        };
        match api.post(path, &input)? {
            Ok(v) => return Ok(v),
            Err(r) if attempt < TRIES && r.code.starts_with("wrong") => println!("  {}", r.message),
            Err(r) => return Err(r.into()),
        }
    }
    bail!("인증에 실패했습니다")
}

fn pin_step(api: &Api, path: &str, auto_renew: bool) -> anyhow::Result<Value> {
    println!("  금융인증서 비밀번호(숫자 6자리)를 정해 주세요. 같은 숫자 반복, 연속된 숫자, 생년월일은 쓸 수 없습니다.");
    let from_env =
        [ENV_NEW_PIN, ENV_PIN].iter().any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty()));
    for _ in 0..TRIES {
        let pin = match std::env::var(ENV_NEW_PIN).ok().filter(|v| !v.is_empty()) {
            Some(v) => Zeroizing::new(v),
            None => secret(ENV_PIN, "금융인증서 비밀번호 (6자리): ")?,
        };
        if !from_env {
            let again = rpassword::prompt_password("한 번 더 입력: ")
                .map(Zeroizing::new)
                .map_err(|e| anyhow!("비밀번호를 입력받을 터미널이 없습니다. 환경 변수 ${ENV_NEW_PIN}로 주세요 ({e})"))?;
            if again.as_str() != pin.as_str() {
                println!("  두 번 입력한 비밀번호가 다릅니다.");
                continue;
            }
        }
        match api.post(path, &json!({ "pin": pin.as_str(), "auto_renew": auto_renew }))? {
            Ok(v) => return Ok(v),
            Err(r) if r.code == "weak_pin" && !from_env => println!("  {}", r.message),
            Err(r) if r.code == "weak_pin" => bail!("{r} (${ENV_NEW_PIN} / ${ENV_PIN})"),
            Err(r) => return Err(r.into()),
        }
    }
    bail!("금융인증서 비밀번호를 정하지 못했습니다")
}

// ---------------------------------------------------------------------------------------------
// Remote signing

fn decode_hash(text: &str) -> anyhow::Result<Vec<u8>> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(t)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .context("--hash는 base64 또는 hex여야 합니다")?
    };
    if bytes.len() != 32 {
        bail!("--hash는 SHA-256 해시(32바이트)여야 합니다");
    }
    Ok(bytes)
}

fn sign(a: SignArgs) -> anyhow::Result<()> {
    let hash = match (&a.file, &a.hash) {
        (Some(f), _) => {
            let data = std::fs::read(f)
                .with_context(|| format!("{}을(를) 읽을 수 없습니다", f.display()))?;
            sha2::Sha256::digest(&data).to_vec()
        }
        (None, Some(h)) => decode_hash(h)?,
        (None, None) => bail!("--file 또는 --hash를 주세요"),
    };
    let mut api = Api::new(&a.conn.server)?;
    api.login(&a.conn.banking_id)?;
    let id = api.credential(a.credential.as_deref())?;
    let signed = remote_sign(&api, &id, &hash)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let sig = b64.encode(&signed.signature);
    if let Some(out) = &a.out {
        std::fs::write(out, &signed.signature)
            .with_context(|| format!("{}에 쓸 수 없습니다", out.display()))?;
    }
    eprintln!("금융인증서 {id}로 서명했습니다 ({}).", signed.sign_algo);
    println!("{sig}");
    Ok(())
}

/// A hash signed in the cloud, with R when the center keeps it for this credential.
pub(crate) struct RemoteSignature {
    pub signature: Vec<u8>,
    pub sign_algo: &'static str,
    /// R (base64), released with the signature after the PIN: for certificate login.
    pub vid_random: Option<Zeroizing<String>>,
}

/// Asks for the PIN, authorizes one signature (CSC `credentials/authorize`) and has the
/// center sign `hash` (SHA-256) with credential `id` (`signatures/signHash`).
pub(crate) fn remote_sign(api: &Api, id: &str, hash: &[u8]) -> anyhow::Result<RemoteSignature> {
    let info = api
        .post("/csc/v1/credentials/info", &json!({ "credentialID": id, "certificates": "none" }))?
        .map_err(anyhow::Error::new)?;
    let sign_algo = match info["key"]["algo"][0].as_str() {
        Some("1.2.840.10045.2.1") => "1.2.840.10045.4.3.2",
        _ => "1.2.840.113549.1.1.11",
    };
    let pin = secret(ENV_PIN, "금융인증서 비밀번호 (6자리): ")?;
    let auth = api.post(
        "/csc/v1/credentials/authorize",
        &json!({ "credentialID": id, "numSignatures": 1, "PIN": pin.as_str() }),
    )?;
    drop(pin);
    let auth = auth.map_err(anyhow::Error::new)?;
    let sad = Zeroizing::new(auth["SAD"].as_str().unwrap_or_default().to_string());
    let b64 = base64::engine::general_purpose::STANDARD;
    let signed = api
        .post(
            "/csc/v1/signatures/signHash",
            &json!({
                "credentialID": id, "SAD": sad.as_str(), "hash": [b64.encode(hash)],
                "hashAlgo": SHA256_OID, "signAlgo": sign_algo,
            }),
        )?
        .map_err(anyhow::Error::new)?;
    let sig =
        signed["signatures"][0].as_str().ok_or_else(|| anyhow!("서명 응답에 서명이 없습니다"))?;
    Ok(RemoteSignature {
        signature: b64.decode(sig).context("서명 응답의 서명이 base64가 아닙니다")?,
        sign_algo,
        vid_random: signed["vid_random"].as_str().map(|r| Zeroizing::new(r.to_string())),
    })
}

/// The credential's certificate (base64 DER), from `credentials/info`.
pub(crate) fn certificate_of(api: &Api, id: &str) -> anyhow::Result<String> {
    let info = api
        .post("/csc/v1/credentials/info", &json!({ "credentialID": id, "certificates": "single" }))?
        .map_err(anyhow::Error::new)?;
    info["cert"]["certificates"][0]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("인증서가 응답에 없습니다"))
}

fn show(a: ShowArgs) -> anyhow::Result<()> {
    let mut api = Api::new(&a.conn.server)?;
    api.login(&a.conn.banking_id)?;
    let id = api.credential(a.credential.as_deref())?;
    let info = api
        .post("/csc/v1/credentials/info", &json!({ "credentialID": id, "certificates": "single" }))?
        .map_err(anyhow::Error::new)?;
    if let Some(path) = &a.cert_out {
        let der = info["cert"]["certificates"][0]
            .as_str()
            .ok_or_else(|| anyhow!("인증서가 응답에 없습니다"))?;
        let body: Vec<String> =
            der.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            body.join("\n")
        );
        std::fs::write(path, pem)
            .with_context(|| format!("{}에 쓸 수 없습니다", path.display()))?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!("금융인증서 {id}");
    println!("  주체: {}", info["cert"]["subjectDN"].as_str().unwrap_or_default());
    println!("  상태: {}", info["cert"]["status"].as_str().unwrap_or_default());
    println!(
        "  유효기간: {} ~ {}",
        info["cert"]["validFrom"].as_str().unwrap_or_default(),
        info["cert"]["validTo"].as_str().unwrap_or_default()
    );
    println!("  자동 갱신: {}", if info["dojang"]["autoRenew"] == true { "켜짐" } else { "꺼짐" });
    println!(
        "  비밀번호 잠김: {}",
        if info["dojang"]["pinLocked"] == true {
            "예 (재발급으로 풀 수 있습니다)"
        } else {
            "아니요"
        }
    );
    Ok(())
}

fn auto_renew(a: AutoRenewArgs) -> anyhow::Result<()> {
    let mut api = Api::new(&a.conn.server)?;
    api.login(&a.conn.banking_id)?;
    let id = api.credential(a.credential.as_deref())?;
    let on = a.setting == OnOff::On;
    api.post("/api/v1/financial/auto-renew", &json!({ "credentialID": id, "on": on }))?
        .map_err(anyhow::Error::new)?;
    println!("금융인증서 {id}의 자동 갱신을 {}습니다.", if on { "켰" } else { "껐" });
    Ok(())
}
