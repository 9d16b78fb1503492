//! `dojang cert issue | reissue | renew | revoke | suspend | resume`: the customer's side of
//! the certificate center's flows, driven against a running center (`--server`).
//!
//! The center decides the steps (its identity policy, the product); this command takes
//! whichever step the center names next, with a progress line (`[3/8] ARS 인증`), until the
//! flow ends. It speaks Korean unless `--lang en` or an English locale asks for English.
//!
//! Every answer can come from a flag, so that a script can run a flow; what is not given is
//! asked. Secrets never come from the command line, where other users and shell history see
//! them: the RRN, the account, banking and certificate passwords come from the environment
//! (`DOJANG_RRN`, `DOJANG_ACCOUNT_PASSWORD`, `DOJANG_BANKING_PASSWORD`, `DOJANG_CERT_PASSWORD`,
//! `DOJANG_NEW_CERT_PASSWORD`) or a prompt without echo. One-time codes (ARS, SMS, OTP,
//! security card, the one-won memo) cannot be known in advance: they are asked, and when
//! standard input is not a terminal they are read from it line by line, so that a test or a
//! script can feed them.
//!
//! The key pair is made here, after the customer has confirmed and chosen where to store the
//! certificate and its password; only the CSR goes to the center, and the private key is
//! written only encrypted, as `signPri.key` beside `signCert.der`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use dojang_client::view::{
    Identified, Issued, PaymentAccepted, ProductChosen, Prompt, ReasonGiven, StatusChanged,
    Summary, Target,
};
use dojang_client::{
    csr, possession, save, Client, ClientError, FlowKind, FlowView, Input, KeyPair, Method, Step,
};
use dojang_config::{Clock, ProcessEnv};
use dojang_keystore::{Entry, Existing, Location, Store, Validity};
use dojang_pki::KeyType;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::cert::{
    keystore_error, kst, parse_location, problem_ko, resolve_lang, Lang, ENV_CERT_PASSWORD,
    ENV_NEW_CERT_PASSWORD,
};

/// The center's address when `--server` is not given.
pub const ENV_SERVER: &str = "DOJANG_SERVER";
/// The resident registration number (주민등록번호).
pub const ENV_RRN: &str = "DOJANG_RRN";
/// The withdrawal account's password (출금계좌 비밀번호).
pub const ENV_ACCOUNT_PASSWORD: &str = "DOJANG_ACCOUNT_PASSWORD";
/// The internet-banking password, for flows whose policy checks it.
pub const ENV_BANKING_PASSWORD: &str = "DOJANG_BANKING_PASSWORD";
/// The ID card's number (it may be the RRN), for the ID-card check.
pub const ENV_ID_NUMBER: &str = "DOJANG_ID_CARD_NUMBER";

/// How many times a mistyped password or a wrong answer is asked again at the terminal.
const TRIES: usize = 3;
/// How many fresh codes a challenge may ask for after one expired or ran out of tries.
const NEW_CHALLENGES: usize = 2;

// ---------------------------------------------------------------------------------------------
// Arguments

/// Where the center is and which language to speak.
#[derive(Args, Clone, Debug)]
pub struct Conn {
    /// The certificate center's address.
    #[arg(long, value_name = "URL", env = ENV_SERVER, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Language of the prompts and messages (default: Korean, or English under an English locale).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// Who the customer is (the RRN comes from $DOJANG_RRN or a prompt, never a flag).
#[derive(Args, Clone, Debug, Default)]
pub struct Who {
    /// The internet-banking ID (인터넷뱅킹 ID).
    #[arg(long, value_name = "ID")]
    pub banking_id: Option<String>,
    /// The real name (실명), when the center's policy checks it.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A business customer (법인): its registration number (사업자등록번호, 10 digits), asked
    /// instead of a resident registration number.
    #[arg(long, value_name = "NUMBER")]
    pub business_number: Option<String>,
}

/// Answers a script gives in advance.
#[derive(Args, Clone, Debug, Default)]
pub struct Answers {
    /// Accept the mandatory terms (약관) without asking; the optional ones are declined.
    #[arg(long)]
    pub accept_terms: bool,
    /// Go ahead at the final confirmation (최종 확인) without asking.
    #[arg(long)]
    pub yes: bool,
    /// The withdrawal account (출금계좌) the fee is charged to and whose password is checked.
    #[arg(long, value_name = "NUMBER")]
    pub account: Option<String>,
    /// For the ID-card check: resident (주민등록증), driver (운전면허증) or passport (여권).
    #[arg(long, value_name = "KIND", value_parser = ["resident", "driver", "passport"])]
    pub id_kind: Option<String>,
    /// For the ID-card check: the card's issue date, YYYY-MM-DD (its number: $DOJANG_ID_CARD_NUMBER).
    #[arg(long, value_name = "DATE")]
    pub id_issue_date: Option<String>,
}

/// Where the certificate is stored, and the new key.
#[derive(Args, Clone, Debug, Default)]
pub struct Keep {
    /// Where to store the certificate (저장 위치): disk (하드디스크), removable:PATH (이동식
    /// 디스크), phone (휴대폰) or token:LABEL (보안토큰: the key is made inside it). Asked when
    /// not given.
    #[arg(long, value_name = "WHERE", value_parser = super::token::parse_medium)]
    pub location: Option<dojang_keystore::Medium>,
    /// The new key: rsa2048 (default, the NPKI norm) or p256, where the product allows it.
    #[arg(long, value_name = "TYPE", value_parser = parse_key_type)]
    pub key_type: Option<KeyType>,
}

fn parse_key_type(s: &str) -> Result<KeyType, String> {
    s.parse().map_err(|e: dojang_pki::key::UnknownKeyType| e.to_string())
}

/// The joint-certificate products a customer can get here, with their menu names.
const PRODUCTS: [(&str, &str, &str); 4] = [
    (
        "personal-bank",
        "은행·신용카드·보험용 공동인증서 (개인, 무료)",
        "Joint certificate for banking, cards, insurance (personal, free)",
    ),
    (
        "personal-general",
        "범용 공동인증서 (개인, 유료)",
        "General-purpose joint certificate (personal, fee)",
    ),
    ("limited", "용도제한용 공동인증서 (특화)", "Purpose-limited joint certificate"),
    (
        "corporate-general",
        "범용 공동인증서 (법인, 유료)",
        "General-purpose joint certificate (corporate, fee)",
    ),
];

/// The revocation reasons a customer may give.
const REASONS: [(&str, &str, &str); 5] = [
    (
        "keyCompromise",
        "개인키 유출 (인증서·비밀번호가 남에게 알려짐)",
        "key compromise (the certificate or password leaked)",
    ),
    ("affiliationChanged", "소속 변경", "affiliation changed"),
    ("superseded", "다른 인증서로 대체", "superseded by another certificate"),
    ("cessationOfOperation", "더 이상 사용하지 않음", "no longer used"),
    ("unspecified", "사유 없음", "no reason given"),
];

#[derive(Args, Clone, Debug)]
pub struct IssueArgs {
    #[command(flatten)]
    pub conn: Conn,
    #[command(flatten)]
    pub who: Who,
    /// The product (인증서 종류). Asked when not given.
    #[arg(long, value_name = "PRODUCT", value_parser = ["personal-bank", "personal-general", "limited", "corporate-general"])]
    pub product: Option<String>,
    #[command(flatten)]
    pub answers: Answers,
    #[command(flatten)]
    pub keep: Keep,
}

#[derive(Args, Clone, Debug)]
pub struct ReissueArgs {
    #[command(flatten)]
    pub conn: Conn,
    #[command(flatten)]
    pub who: Who,
    /// The serial number of the certificate to replace, when the customer has several.
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    #[command(flatten)]
    pub answers: Answers,
    #[command(flatten)]
    pub keep: Keep,
}

#[derive(Args, Clone, Debug)]
pub struct RenewArgs {
    #[command(flatten)]
    pub conn: Conn,
    /// The certificate to renew (its serial or part of its subject), when the store holds several.
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    #[command(flatten)]
    pub answers: Answers,
    /// Where the current certificate is (default disk; token:LABEL for a security token); the
    /// renewed one replaces it there.
    #[arg(long, value_name = "WHERE", value_parser = super::token::parse_medium)]
    pub location: Option<dojang_keystore::Medium>,
    /// The new key: rsa2048 (default) or p256, where the product allows it.
    #[arg(long, value_name = "TYPE", value_parser = parse_key_type)]
    pub key_type: Option<KeyType>,
}

/// How the customer proves it is them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// With the certificate and its password (default).
    Certificate,
    /// By identity checks, for a lost certificate (internet-banking login, ARS…).
    Identity,
}

#[derive(Args, Clone, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub conn: Conn,
    /// Prove it with the certificate (default) or by identity checks (a lost certificate).
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// The certificate (its serial; with the certificate method also part of its subject).
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Where the certificate is, for the certificate method (default disk).
    #[arg(long, value_name = "WHERE", value_parser = parse_location)]
    pub location: Option<Location>,
    #[command(flatten)]
    pub who: Who,
    #[command(flatten)]
    pub answers: Answers,
}

#[derive(Args, Clone, Debug)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub status: StatusArgs,
    /// Why (폐기 사유). Asked when not given.
    #[arg(long, value_name = "REASON", value_parser = ["keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation", "unspecified"])]
    pub reason: Option<String>,
}

/// Everything the flags said, whichever command gave them.
#[derive(Clone, Debug)]
struct Options {
    kind: FlowKind,
    server: String,
    lang: Option<Lang>,
    method: Option<Method>,
    who: Who,
    answers: Answers,
    product: Option<String>,
    serial: Option<String>,
    reason: Option<String>,
    location: Option<Location>,
    /// A security token to issue into instead of an NPKI folder.
    token: Option<dojang_keystore::TokenLabel>,
    key_type: Option<KeyType>,
}

impl Options {
    fn new(kind: FlowKind, conn: Conn, who: Who, answers: Answers) -> Options {
        Options {
            kind,
            server: conn.server,
            lang: conn.lang,
            method: None,
            who,
            answers,
            product: None,
            serial: None,
            reason: None,
            location: None,
            token: None,
            key_type: None,
        }
    }

    fn status(kind: FlowKind, a: StatusArgs) -> Options {
        let mut o = Options::new(kind, a.conn, a.who, a.answers);
        o.method = a.method.map(|m| match m {
            MethodArg::Certificate => Method::Certificate,
            MethodArg::Identity => Method::Identity,
        });
        o.serial = a.serial;
        o.location = a.location;
        o
    }
}

pub fn issue(a: IssueArgs) -> anyhow::Result<()> {
    let mut o = Options::new(FlowKind::Issue, a.conn, a.who, a.answers);
    o.product = a.product;
    (o.location, o.token) = super::token::split(a.keep.location);
    o.key_type = a.keep.key_type;
    run(o)
}

pub fn reissue(a: ReissueArgs) -> anyhow::Result<()> {
    let mut o = Options::new(FlowKind::Reissue, a.conn, a.who, a.answers);
    o.serial = a.serial;
    (o.location, o.token) = super::token::split(a.keep.location);
    o.key_type = a.keep.key_type;
    run(o)
}

pub fn renew(a: RenewArgs) -> anyhow::Result<()> {
    let mut o = Options::new(FlowKind::Renew, a.conn, Who::default(), a.answers);
    o.serial = a.serial;
    (o.location, o.token) = super::token::split(a.location);
    o.key_type = a.key_type;
    run(o)
}

pub fn revoke(a: RevokeArgs) -> anyhow::Result<()> {
    let mut o = Options::status(FlowKind::Revoke, a.status);
    o.reason = a.reason;
    run(o)
}

pub fn suspend(a: StatusArgs) -> anyhow::Result<()> {
    run(Options::status(FlowKind::Suspend, a))
}

pub fn resume(a: StatusArgs) -> anyhow::Result<()> {
    run(Options::status(FlowKind::Resume, a))
}

// ---------------------------------------------------------------------------------------------
// Language

/// The language chosen; every message is written in both, side by side.
#[derive(Clone, Copy, Debug)]
struct T {
    ko: bool,
}

impl T {
    fn s<'a>(self, ko: &'a str, en: &'a str) -> &'a str {
        if self.ko {
            ko
        } else {
            en
        }
    }

    fn f(self, ko: String, en: String) -> String {
        if self.ko {
            ko
        } else {
            en
        }
    }

    /// A refusal or failure of the center as the customer reads it.
    fn err(self, e: ClientError) -> anyhow::Error {
        anyhow::anyhow!(e.message(self.ko))
    }
}

/// `4400` → `4,400원` / `4,400 won`.
fn won(t: T, amount: impl Into<i128>) -> String {
    let out = dojang_profile::won::grouped(amount);
    t.f(format!("{out}원"), format!("{out} won"))
}

/// An RFC 3339 time from the center, in KST as Korean banks show it.
fn kst_text(rfc3339: &str) -> String {
    OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(kst)
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn location_name(t: T, l: &Location) -> String {
    match l {
        Location::HardDisk => t.s("하드디스크", "hard disk").to_string(),
        Location::Removable(p) => t.f(
            format!("이동식 디스크 ({})", p.display()),
            format!("removable disk ({})", p.display()),
        ),
        Location::Phone => t.s("휴대폰", "phone").to_string(),
    }
}

/// Labels padded to one column (Hangul is two terminal columns wide).
fn row(label: &str, value: impl std::fmt::Display) {
    let width: usize = label.chars().map(|c| if u32::from(c) >= 0x1100 { 2 } else { 1 }).sum();
    println!("  {label}{} {value}", " ".repeat(12usize.saturating_sub(width)));
}

// ---------------------------------------------------------------------------------------------
// The terminal, or a script on standard input

struct Console {
    t: T,
    input: Box<dyn BufRead>,
    /// Standard input is a terminal (a person is typing).
    interactive: bool,
}

/// A secret and whether it came from the environment (then asking again cannot help).
struct Secret {
    value: Zeroizing<String>,
    from_env: bool,
}

impl Console {
    fn new(t: T) -> Console {
        let stdin = std::io::stdin();
        let interactive = stdin.is_terminal();
        Console { t, input: Box::new(std::io::BufReader::new(stdin)), interactive }
    }

    /// Asks `prompt` and reads one line (trimmed). At the end of a script's input this says
    /// which answer was missing.
    fn line(&mut self, prompt: &str) -> anyhow::Result<String> {
        print!("{prompt}");
        std::io::stdout().flush()?;
        let mut line = String::new();
        let n = self.input.read_line(&mut line)?;
        if n == 0 {
            println!();
            bail!(
                "{}",
                self.t.f(
                    format!("입력이 끝나 '{}'에 답할 수 없습니다. 스크립트라면 해당 값을 플래그로 주거나 표준 입력에 넣어 주세요.", prompt.trim().trim_end_matches(':')),
                    format!("standard input ended before an answer to '{}'; give it as a flag or on standard input", prompt.trim().trim_end_matches(':')),
                )
            );
        }
        if !self.interactive {
            // A script's answer is not echoed (it may be a code): end the prompt's line.
            println!();
        }
        Ok(line.trim().to_string())
    }

    /// A one-time code or card digits: hidden at a terminal, a line from a script.
    fn code(&mut self, prompt: &str) -> anyhow::Result<Zeroizing<String>> {
        if self.interactive {
            let v = rpassword::prompt_password(prompt).with_context(|| {
                self.t.s("입력을 읽을 수 없습니다", "cannot read the answer").to_string()
            })?;
            return Ok(Zeroizing::new(v.trim().to_string()));
        }
        let v = Zeroizing::new(self.line_quiet(prompt)?);
        Ok(v)
    }

    /// Like [`Console::line`] without echoing the answer back.
    fn line_quiet(&mut self, prompt: &str) -> anyhow::Result<String> {
        print!("{prompt}");
        std::io::stdout().flush()?;
        let mut line = Zeroizing::new(String::new());
        if self.input.read_line(&mut line)? == 0 {
            println!();
            bail!(
                "{}",
                self.t.f(
                    format!(
                        "입력이 끝나 '{}'에 답할 수 없습니다.",
                        prompt.trim().trim_end_matches(':')
                    ),
                    format!(
                        "standard input ended before an answer to '{}'",
                        prompt.trim().trim_end_matches(':')
                    ),
                )
            );
        }
        println!();
        Ok(line.trim().to_string())
    }

    /// A secret: from `env` when set, else asked without echo at the terminal.
    fn secret(&mut self, env: &str, prompt: &str) -> anyhow::Result<Secret> {
        if let Some(v) = std::env::var(env).ok().filter(|v| !v.is_empty()) {
            return Ok(Secret { value: Zeroizing::new(v), from_env: true });
        }
        self.hidden(env, prompt)
    }

    /// Asked without echo at the terminal; `env` is named in the error when there is none.
    fn hidden(&mut self, env: &str, prompt: &str) -> anyhow::Result<Secret> {
        // rpassword reads the controlling terminal, so this works even when stdin is a pipe.
        let value = rpassword::prompt_password(prompt).map(Zeroizing::new).map_err(|e| {
            anyhow::anyhow!(
                "{}",
                self.t.f(
                    format!(
                        "{}을(를) 입력받을 터미널이 없습니다. 환경 변수 ${env}로 주세요 ({e})",
                        prompt.trim().trim_end_matches(':')
                    ),
                    format!(
                        "no terminal to ask for {}; give it in ${env} ({e})",
                        prompt.trim().trim_end_matches(':')
                    ),
                )
            )
        })?;
        Ok(Secret { value, from_env: false })
    }

    fn yes_no(&mut self, prompt: &str, default: bool) -> anyhow::Result<bool> {
        let hint = if default { "[Y/n]" } else { "[y/N]" };
        loop {
            let answer = self.line(&format!("{prompt} {hint} "))?.to_lowercase();
            match answer.as_str() {
                "" => return Ok(default),
                "y" | "yes" | "예" | "네" | "ㅇ" | "동의" => return Ok(true),
                "n" | "no" | "아니오" | "아니요" | "ㄴ" => return Ok(false),
                _ => println!("{}", self.t.s("y 또는 n으로 답해 주세요.", "Answer y or n.")),
            }
        }
    }

    /// A numbered menu; the answer is the number or the option's id.
    fn choose(&mut self, prompt: &str, options: &[(String, String)]) -> anyhow::Result<usize> {
        for (i, (_, label)) in options.iter().enumerate() {
            println!("  {}) {label}", i + 1);
        }
        for _ in 0..TRIES {
            let answer = self.line(&format!("{prompt} [1-{}]: ", options.len()))?;
            if let Ok(n) = answer.parse::<usize>() {
                if (1..=options.len()).contains(&n) {
                    return Ok(n - 1);
                }
            }
            if let Some(i) = options.iter().position(|(id, _)| id.eq_ignore_ascii_case(&answer)) {
                return Ok(i);
            }
            println!("{}", self.t.s("목록의 번호를 입력해 주세요.", "Enter one of the numbers."));
        }
        bail!("{}", self.t.s("선택하지 않아 중단합니다.", "nothing chosen; stopping"))
    }
}

// ---------------------------------------------------------------------------------------------
// The flow

/// What the customer uses to prove possession: a certificate in their store.
struct Current {
    store: Store,
    entry: Entry,
}

/// What a step led to.
enum Next {
    Flow(Box<FlowView>),
    /// The customer said no at the final confirmation.
    Cancelled,
}

struct Driver {
    t: T,
    lang: Lang,
    con: Console,
    client: Client,
    clock: Clock,
    o: Options,
    /// Learned along the way, for the summary and the result.
    fee: Option<i64>,
    account: Option<String>,
    product_name: Option<String>,
    target: Option<Target>,
    reason_ko: Option<String>,
    summary: Option<Summary>,
    current: Option<Current>,
    shown_step: Option<(usize, usize)>,
    shown_plan: usize,
}

fn run(o: Options) -> anyhow::Result<()> {
    let lang = resolve_lang(o.lang);
    let t = T { ko: lang == Lang::Ko };
    let clock = Clock::from_env(&ProcessEnv)?;
    let client = Client::new(&o.server).map_err(|e| t.err(e))?;
    let mut d = Driver {
        t,
        lang,
        con: Console::new(t),
        client,
        clock,
        o,
        fee: None,
        account: None,
        product_name: None,
        target: None,
        reason_ko: None,
        summary: None,
        current: None,
        shown_step: None,
        shown_plan: 0,
    };
    d.drive()
}

impl Driver {
    fn kind_name(&self) -> &'static str {
        self.t.s(self.o.kind.korean(), self.o.kind.english())
    }

    fn drive(&mut self) -> anyhow::Result<()> {
        let t = self.t;
        println!(
            "{} — {} ({})",
            t.s("인증센터", "Certificate center"),
            self.kind_name(),
            self.client.base()
        );
        let method = match self.o.kind {
            FlowKind::Revoke | FlowKind::Suspend | FlowKind::Resume => {
                Some(self.o.method.unwrap_or(Method::Certificate))
            }
            _ => None,
        };
        // The certificate that proves possession is picked before the flow starts: a store
        // without one should stop the customer before any step is taken.
        // (A security token's certificate is found once its PIN is given, at the step.)
        if (self.o.kind == FlowKind::Renew || method == Some(Method::Certificate))
            && self.o.token.is_none()
        {
            self.current = Some(self.pick_current()?);
        }
        let mut flow = self.client.start(self.o.kind, method).map_err(|e| t.err(e))?;
        loop {
            if flow.finished {
                return self.finished(&flow);
            }
            self.progress(&flow);
            let Some(step) = flow.next_step().cloned() else {
                bail!(
                    "{}",
                    t.s(
                        "인증센터가 다음 단계를 알려 주지 않았습니다.",
                        "the center named no next step"
                    )
                );
            };
            match self.take(&flow, &step)? {
                Next::Flow(next) => flow = *next,
                Next::Cancelled => {
                    println!(
                        "{}",
                        t.s(
                            "취소했습니다. 인증서도 수수료 출금도 없습니다.",
                            "Cancelled. No certificate was made and nothing was charged."
                        )
                    );
                    return Ok(());
                }
            }
        }
    }

    /// The plan when it first shows or changes, and the step indicator.
    fn progress(&mut self, flow: &FlowView) {
        let t = self.t;
        if flow.steps.len() != self.shown_plan && !flow.steps.is_empty() {
            let names: Vec<&str> = flow.steps.iter().map(|s| s.title(t.ko)).collect();
            println!("{} {}", t.s("진행 단계:", "Steps:"), names.join(" → "));
            self.shown_plan = flow.steps.len();
        }
        if let Some(next) = &flow.next {
            let at = (next.number, next.total);
            if self.shown_step != Some(at) {
                println!("\n[{}/{}] {}", next.number, next.total, next.title(t.ko));
                self.shown_step = Some(at);
            }
        }
    }

    fn step(
        &self,
        flow: &FlowView,
        step: &Step,
        input: Input<'_>,
    ) -> Result<FlowView, ClientError> {
        self.client.step(&flow.id, step, input)
    }

    fn take(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<Next> {
        let t = self.t;
        let next = match step {
            Step::Terms => self.terms(flow, step)?,
            Step::Identify => self.identify(flow, step)?,
            Step::Product => self.product(flow, step)?,
            Step::Select => self.select(flow, step)?,
            Step::Possession => self.possession(flow, step)?,
            Step::Payment => self.payment(flow, step)?,
            Step::Reason => self.reason(flow, step)?,
            Step::Confirm => return self.confirm(flow, step),
            Step::Csr => self.csr(flow, step)?,
            s if s.is_challenge() => self.challenge(flow, step)?,
            other => bail!(
                "{}",
                t.f(
                    format!("이 프로그램이 모르는 단계({other})입니다. dojang을 새 버전으로 바꿔 주세요."),
                    format!("the center asks for a step this client does not know ({other}); update dojang"),
                )
            ),
        };
        Ok(Next::Flow(Box::new(next)))
    }

    // --- 약관 동의 ------------------------------------------------------------------------------

    fn terms(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        let t = self.t;
        let mut terms = flow.terms();
        if terms.is_empty() {
            terms = self.client.terms().map_err(|e| t.err(e))?;
        }
        for term in &terms {
            let tag = if term.mandatory {
                t.s("[필수]", "[required]")
            } else {
                t.s("[선택]", "[optional]")
            };
            let title =
                if t.ko || term.title_en.is_empty() { &term.title_ko } else { &term.title_en };
            println!("  {tag} {title}");
            if !term.text_ko.is_empty() {
                println!("        {}", term.text_ko);
            }
        }
        let mut accepted: Vec<String> =
            terms.iter().filter(|x| x.mandatory).map(|x| x.id.clone()).collect();
        if self.o.answers.accept_terms {
            println!(
                "{}",
                t.s(
                    "필수 약관에 동의합니다 (--accept-terms).",
                    "The required terms are accepted (--accept-terms)."
                )
            );
        } else {
            if !self.con.yes_no(
                t.s(
                    "위 필수 약관에 모두 동의하십니까?",
                    "Do you accept all the required terms above?",
                ),
                false,
            )? {
                bail!(
                    "{}",
                    t.s(
                        "필수 약관에 동의해야 진행할 수 있습니다. 아무것도 바뀌지 않았습니다.",
                        "the required terms must be accepted to go on; nothing was changed"
                    )
                );
            }
            for term in terms.iter().filter(|x| !x.mandatory) {
                let title =
                    if t.ko || term.title_en.is_empty() { &term.title_ko } else { &term.title_en };
                if self.con.yes_no(
                    &t.f(format!("{title}에 동의하십니까?"), format!("Accept: {title}?")),
                    false,
                )? {
                    accepted.push(term.id.clone());
                }
            }
        }
        self.step(flow, step, Input::Terms { accepted: &accepted }).map_err(|e| t.err(e))
    }

    // --- 본인 확인 ------------------------------------------------------------------------------

    fn identify(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        let t = self.t;
        let banking_id = match self.o.who.banking_id.clone() {
            Some(id) => id,
            None => self.con.line(t.s("인터넷뱅킹 ID: ", "Internet-banking ID: "))?,
        };
        if let Some(number) = self.o.who.business_number.clone() {
            // A business is found by its registration number; the banking password is sent
            // only when the policy asks for it (the center then says so).
            let first = self.step(
                flow,
                step,
                Input::IdentifyBusiness {
                    banking_id: &banking_id,
                    business_number: &number,
                    password: None,
                },
            );
            return match first {
                Err(ClientError::Api(e))
                    if e.is_bad_input() && e.message_en.to_lowercase().contains("password") =>
                {
                    let password = self.con.secret(
                        ENV_BANKING_PASSWORD,
                        t.s("인터넷뱅킹 비밀번호: ", "Internet-banking password: "),
                    )?;
                    self.step(
                        flow,
                        step,
                        Input::IdentifyBusiness {
                            banking_id: &banking_id,
                            business_number: &number,
                            password: Some(&password.value),
                        },
                    )
                    .map_err(|e| t.err(e))
                }
                other => other.map_err(|e| t.err(e)),
            };
        }
        let rrn = self.con.secret(
            ENV_RRN,
            t.s("주민등록번호 (13자리): ", "Resident registration number (13 digits): "),
        )?;
        let mut name = self.o.who.name.clone();
        let mut password: Option<Secret> = None;
        // The center says when its policy also wants the name or the banking password.
        for _ in 0..3 {
            let input = Input::Identify {
                banking_id: &banking_id,
                rrn: &rrn.value,
                name: name.as_deref(),
                password: password.as_ref().map(|p| p.value.as_str()),
            };
            match self.step(flow, step, input) {
                Ok(v) => {
                    if let Ok(who) = v.output_as::<Identified>("identify") {
                        if !who.name.is_empty() {
                            println!(
                                "{}",
                                t.f(
                                    format!("  {} 고객님, 본인 확인이 되었습니다.", who.name),
                                    format!("  Identified: {}", who.name)
                                )
                            );
                        }
                    }
                    return Ok(v);
                }
                Err(ClientError::Api(e)) if e.is_bad_input() => {
                    let said = format!("{} {}", e.message_en, e.message_ko).to_lowercase();
                    if said.contains("password") && password.is_none() {
                        password = Some(self.con.secret(
                            ENV_BANKING_PASSWORD,
                            t.s("인터넷뱅킹 비밀번호: ", "Internet-banking password: "),
                        )?);
                    } else if said.contains("name") && name.is_none() {
                        name = Some(self.con.line(t.s("이름(실명): ", "Real name: "))?);
                    } else {
                        return Err(t.err(ClientError::Api(e)));
                    }
                }
                Err(e) => return Err(t.err(e)),
            }
        }
        bail!("{}", t.s("본인 확인 정보를 받지 못했습니다.", "the identification was not accepted"))
    }

    // --- 인증서 종류 --------------------------------------------------------------------------

    fn product(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        let t = self.t;
        let product = match self.o.product.clone() {
            Some(p) => p,
            None => {
                let options: Vec<(String, String)> = PRODUCTS
                    .iter()
                    .map(|(id, ko, en)| (id.to_string(), t.s(ko, en).to_string()))
                    .collect();
                let i = self.con.choose(t.s("발급받을 인증서", "Certificate to get"), &options)?;
                options[i].0.clone()
            }
        };
        let v =
            self.step(flow, step, Input::Product { product: &product }).map_err(|e| t.err(e))?;
        if let Ok(p) = v.output_as::<ProductChosen>("product") {
            let name = p.name_ko.clone().unwrap_or_else(|| p.product.clone());
            row(t.s("인증서 종류", "Product"), &name);
            row(t.s("수수료", "Fee"), won(t, p.fee_krw));
            if let Some(days) = p.validity_days {
                row(
                    t.s("유효기간", "Validity"),
                    t.f(format!("발급일로부터 {days}일"), format!("{days} days from issue")),
                );
            }
            self.fee = Some(p.fee_krw);
            self.product_name = Some(name);
        }
        Ok(v)
    }

    // --- 대상 인증서 선택 (재발급, 본인확인으로 폐기·정지·회복) ---------------------------------

    fn select(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        let t = self.t;
        let mut serial = self.o.serial.clone();
        for _ in 0..TRIES {
            match self.step(flow, step, Input::Select { serial: serial.as_deref() }) {
                Ok(v) => {
                    if let Ok(target) = v.output_as::<Target>("select") {
                        self.show_target(&target);
                        self.target = Some(target);
                    }
                    return Ok(v);
                }
                // Several certificates fit: the center lists them; the customer picks one.
                Err(ClientError::Api(e)) if e.is_bad_input() && serial.is_none() => {
                    println!("{}", e.message(t.ko));
                    serial = Some(
                        self.con
                            .line(t.s("대상 인증서의 일련번호: ", "Serial of the certificate: "))?,
                    );
                }
                Err(e) => return Err(t.err(e)),
            }
        }
        bail!("{}", t.s("대상 인증서를 고르지 못했습니다.", "no certificate was chosen"))
    }

    fn show_target(&self, target: &Target) {
        let t = self.t;
        if !target.subject.is_empty() {
            row(t.s("대상 인증서", "Certificate"), &target.subject);
        }
        row(t.s("일련번호", "Serial"), &target.serial);
        if let Some(end) = &target.not_after {
            row(t.s("만료일", "Expires"), kst_text(end));
        }
    }

    // --- 인증서 확인 (proof of possession) -----------------------------------------------------

    /// The certificate to prove possession of: `--serial` (or part of the subject), the only
    /// one in the store, or the one the customer picks.
    fn pick_current(&mut self) -> anyhow::Result<Current> {
        let t = self.t;
        let location = self.o.location.clone().unwrap_or(Location::HardDisk);
        let store = Store::open(location.clone())
            .map_err(|e| keystore_error(self.lang, e))?
            .with_products(dojang_keystore::default_products());
        println!(
            "{} {} ({})",
            t.s("인증서 위치:", "Certificates in:"),
            location_name(t, &location),
            store.root().display()
        );
        let now = self.clock.now();
        let entry = if let Some(q) = self.o.serial.as_deref() {
            store.find(Some(q)).map_err(|e| keystore_error(self.lang, e))?
        } else {
            let mut entries = store.list().map_err(|e| keystore_error(self.lang, e))?.entries;
            match entries.len() {
                0 => bail!(
                    "{}",
                    t.f(
                        format!("{}에 인증서가 없습니다. 인증서가 있는 곳을 --location으로 알려 주세요. 인증서를 잃어버렸다면 재발급(dojang cert reissue)이나 본인확인(--method identity)으로 진행하세요.", store.root().display()),
                        format!("there is no certificate in {}; say where it is with --location. If it is lost, use dojang cert reissue, or --method identity", store.root().display()),
                    )
                ),
                1 => entries.remove(0),
                _ => {
                    let options: Vec<(String, String)> = entries
                        .iter()
                        .map(|e| {
                            let status = validity_text(t, e.info.validity(now));
                            (e.info.serial.to_hex(), format!("{} — {} {} ({status})", e.info.common_name(), t.s("일련번호", "serial"), e.info.serial))
                        })
                        .collect();
                    let i = self.con.choose(t.s("사용할 인증서", "Certificate to use"), &options)?;
                    entries.swap_remove(i)
                }
            }
        };
        row(t.s("인증서", "Certificate"), &entry.info.subject);
        row(t.s("일련번호", "Serial"), &entry.info.serial);
        row(
            t.s("유효기간", "Valid"),
            format!("{} ~ {}", kst(entry.info.not_before), kst(entry.info.not_after)),
        );
        row(t.s("상태", "Status"), validity_text(t, entry.info.validity(now)));
        Ok(Current { store, entry })
    }

    fn possession(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        if let Some(label) = self.o.token.clone() {
            return self.possession_in_token(flow, step, &label);
        }
        let t = self.t;
        if self.current.is_none() {
            self.current = Some(self.pick_current()?);
        }
        let Some(current) = self.current.as_ref() else {
            bail!("{}", t.s("사용할 인증서가 없습니다.", "no certificate to use"));
        };
        let mut key = None;
        for _ in 0..TRIES {
            let pw = self
                .con
                .secret(ENV_CERT_PASSWORD, t.s("인증서 암호: ", "Certificate password: "))?;
            // Opened through the store, which refuses a damaged key or one that is not this
            // certificate's, saying which file and what to do.
            match current.store.open_key(&current.entry, &pw.value) {
                Ok(private) => {
                    let plain = private
                        .without_attributes()
                        .map_err(|e| anyhow::anyhow!("{}: {e}", current.entry.sign_key_path().display()))?;
                    let pair = KeyPair::from_pkcs8(&plain).map_err(|e| {
                        anyhow::anyhow!("{}: {e}", current.entry.sign_key_path().display())
                    })?;
                    key = Some(pair);
                    break;
                }
                Err(e) if e.is_wrong_password() && !pw.from_env => {
                    println!("{}", t.s("인증서 암호가 틀렸습니다. 다시 입력해 주세요.", "The certificate password is wrong; try again."));
                }
                Err(e) if e.is_wrong_password() => bail!(
                    "{}",
                    t.f(
                        format!("인증서 암호가 틀렸습니다 (${ENV_CERT_PASSWORD}). 암호를 잊었다면 재발급(dojang cert reissue)을 받으세요."),
                        format!("the certificate password (${ENV_CERT_PASSWORD}) is wrong; if it is forgotten, reissue the certificate (dojang cert reissue)"),
                    )
                ),
                Err(e) => return Err(keystore_error(self.lang, e)),
            }
        }
        let Some(key) = key else {
            bail!("{}", t.s("인증서 암호를 세 번 틀렸습니다. 암호를 잊었다면 재발급을 받으세요.", "the certificate password was wrong three times; if it is forgotten, reissue the certificate"));
        };
        let nonce = flow.nonce().map_err(|e| t.err(e))?;
        let signature = possession::sign(&key, &flow.id, &nonce)?;
        let serial = current.entry.info.serial.to_hex();
        let v = self
            .step(flow, step, Input::Possession { serial: &serial, signature: &signature })
            .map_err(|e| t.err(e))?;
        println!("{}", t.s("  인증서가 확인되었습니다.", "  The certificate is confirmed."));
        if let Ok(target) = v.output_as::<Target>("possession") {
            self.fee = target.fee_krw.or(self.fee);
            self.target = Some(target);
        }
        Ok(v)
    }

    // --- 본인확인 수단 (ARS, SMS, 보안카드, OTP, 신분증, 1원 송금) --------------------------------

    fn challenge(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        let t = self.t;
        let started = self.step(flow, step, Input::Start).map_err(|e| t.err(e))?;
        let mut prompt = started.prompt();
        if let Some(p) = &prompt {
            self.show_prompt(p);
        }
        let mut fresh = 0;
        loop {
            let answered = self.answer(flow, step, prompt.as_ref());
            let e = match answered {
                Ok(Ok(v)) => {
                    println!("{}", t.s("  확인되었습니다.", "  Confirmed."));
                    return Ok(v);
                }
                Ok(Err(ClientError::Api(e))) => e,
                Ok(Err(other)) => return Err(t.err(other)),
                Err(e) => return Err(e),
            };
            println!("{}", e.message(t.ko));
            if e.may_retry() {
                continue;
            }
            if e.needs_new_challenge() && fresh < NEW_CHALLENGES {
                fresh += 1;
                if !self.con.yes_no(t.s("새로 요청할까요?", "Ask for a new one?"), true)? {
                    bail!("{}", e.message(t.ko));
                }
                let again = self.step(flow, step, Input::Start).map_err(|e| t.err(e))?;
                prompt = again.prompt();
                if let Some(p) = &prompt {
                    self.show_prompt(p);
                }
                continue;
            }
            return Err(t.err(ClientError::Api(e)));
        }
    }

    fn show_prompt(&self, p: &Prompt) {
        let t = self.t;
        println!("  {}", p.text(t.ko));
        if let Some(to) = &p.sent_to {
            row(t.s("보낸 곳", "Sent to"), to);
        }
        if let Some(until) = &p.expires_at {
            row(t.s("입력 기한", "Answer by"), kst_text(until));
        }
    }

    /// Reads the answer the prompt asks for and sends it. The outer error is the terminal's,
    /// the inner the center's.
    fn answer(
        &mut self,
        flow: &FlowView,
        step: &Step,
        prompt: Option<&Prompt>,
    ) -> anyhow::Result<Result<FlowView, ClientError>> {
        let t = self.t;
        if *step == Step::CheckIdCard {
            let kind = match self.o.answers.id_kind.clone() {
                Some(k) => k,
                None => {
                    let options = vec![
                        (
                            "resident".to_string(),
                            t.s("주민등록증", "resident registration card").to_string(),
                        ),
                        ("driver".to_string(), t.s("운전면허증", "driver's licence").to_string()),
                        ("passport".to_string(), t.s("여권", "passport").to_string()),
                    ];
                    let i = self.con.choose(t.s("신분증 종류", "ID card"), &options)?;
                    options[i].0.clone()
                }
            };
            let number =
                self.con.secret(ENV_ID_NUMBER, t.s("신분증 번호: ", "ID card number: "))?;
            let date = match self.o.answers.id_issue_date.clone() {
                Some(d) => d,
                None => {
                    self.con.line(t.s("발급일자 (YYYY-MM-DD): ", "Issue date (YYYY-MM-DD): "))?
                }
            };
            let input =
                Input::IdCard { id_kind: &kind, id_number: &number.value, issue_date: &date };
            return Ok(self.step(flow, step, input));
        }
        if let Some(card) = prompt.filter(|p| p.is_security_card()).and_then(|p| p.card) {
            let first = self.con.code(&t.f(
                format!("보안카드 {:02}번 코드의 앞 2자리: ", card.first),
                format!("Security card code {:02}, first two digits: ", card.first),
            ))?;
            let second = self.con.code(&t.f(
                format!("보안카드 {:02}번 코드의 뒤 2자리: ", card.second),
                format!("Security card code {:02}, last two digits: ", card.second),
            ))?;
            return Ok(self.step(flow, step, Input::Card { first: &first, second: &second }));
        }
        let label = match step {
            Step::CheckArs => t.s("ARS 승인번호: ", "ARS approval number: "),
            Step::CheckSms => t.s("SMS 인증번호: ", "SMS code: "),
            Step::CheckOtp | Step::CheckSecondFactor => t.s("OTP 번호: ", "OTP code: "),
            Step::CheckOneWon => t.s("입금자명(적요)의 인증번호: ", "Code in the deposit memo: "),
            _ => t.s("인증번호: ", "Code: "),
        };
        let code = self.con.code(label)?;
        Ok(self.step(flow, step, Input::Code { code: &code }))
    }

    // --- 출금계좌 및 비밀번호 -----------------------------------------------------------------

    fn payment(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        let t = self.t;
        match self.fee {
            Some(fee) if fee > 0 => println!(
                "{}",
                t.f(
                    format!("  수수료 {}은 인증서 발급이 끝날 때 출금계좌에서 출금됩니다.", won(t, fee)),
                    format!("  The fee of {} is charged to the withdrawal account when the certificate is issued.", won(t, fee)),
                )
            ),
            Some(_) => println!("{}", t.s("  수수료는 없습니다. 출금계좌 비밀번호로 본인을 확인합니다.", "  There is no fee; the account password confirms it is you.")),
            None => {}
        }
        let account = match self.o.answers.account.clone() {
            Some(a) => a,
            None => self.con.line(t.s("출금계좌번호: ", "Withdrawal account: "))?,
        };
        for _ in 0..TRIES {
            let pw = self.con.secret(
                ENV_ACCOUNT_PASSWORD,
                t.s("계좌 비밀번호 (4자리): ", "Account password (4 digits): "),
            )?;
            match self.step(flow, step, Input::Payment { account: &account, password: &pw.value }) {
                Ok(v) => {
                    if let Ok(p) = v.output_as::<PaymentAccepted>("payment") {
                        row(t.s("출금계좌", "Account"), &p.account);
                        row(t.s("수수료", "Fee"), won(t, p.fee_krw));
                        self.fee = Some(p.fee_krw);
                        self.account = Some(p.account);
                    }
                    return Ok(v);
                }
                Err(ClientError::Api(e)) if e.may_retry() && !pw.from_env => {
                    println!("{}", e.message(t.ko))
                }
                Err(e) => return Err(t.err(e)),
            }
        }
        bail!(
            "{}",
            t.s("계좌 비밀번호를 확인하지 못했습니다.", "the account password was not accepted")
        )
    }

    // --- 폐기 사유 ----------------------------------------------------------------------------

    fn reason(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        let t = self.t;
        let reason = match self.o.reason.clone() {
            Some(r) => r,
            None => {
                let options: Vec<(String, String)> = REASONS
                    .iter()
                    .map(|(id, ko, en)| (id.to_string(), t.s(ko, en).to_string()))
                    .collect();
                let i = self.con.choose(t.s("폐기 사유", "Reason"), &options)?;
                options[i].0.clone()
            }
        };
        let v = self.step(flow, step, Input::Reason { reason: &reason }).map_err(|e| t.err(e))?;
        let said = v.output_as::<ReasonGiven>("reason").ok().and_then(|r| r.reason_ko);
        self.reason_ko = Some(said.unwrap_or(reason));
        Ok(v)
    }

    // --- 최종 확인 ----------------------------------------------------------------------------

    fn confirm(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<Next> {
        let t = self.t;
        row(t.s("신청", "Request"), self.kind_name());
        if let Some(p) = &self.product_name {
            row(t.s("인증서 종류", "Product"), p);
        }
        if let Some(target) = &self.target {
            row(t.s("대상 인증서", "Certificate"), &target.serial);
        }
        if let Some(r) = &self.reason_ko {
            row(t.s("폐기 사유", "Reason"), r);
        }
        if self.o.kind.issues() {
            if let Some(fee) = self.fee {
                let account =
                    self.account.as_deref().map(|a| format!(" ({a})")).unwrap_or_default();
                row(t.s("수수료", "Fee"), format!("{}{account}", won(t, fee)));
            }
        }
        let question = match self.o.kind {
            FlowKind::Revoke => t.s(
                "인증서를 폐기하면 되돌릴 수 없습니다. 폐기할까요?",
                "A revoked certificate cannot be restored. Revoke it?",
            ),
            FlowKind::Suspend => t.s("인증서의 효력을 정지할까요?", "Suspend the certificate?"),
            FlowKind::Resume => t.s("인증서의 효력을 회복할까요?", "Resume the certificate?"),
            _ => t.s("위 내용으로 진행할까요?", "Go ahead as above?"),
        };
        if self.o.answers.yes {
            println!("{} {}", question, t.s("예 (--yes)", "yes (--yes)"));
        } else if !self.con.yes_no(question, false)? {
            return Ok(Next::Cancelled);
        }
        let v = self.step(flow, step, Input::Confirm).map_err(|e| t.err(e))?;
        if self.o.kind.issues() && !v.finished {
            let summary: Summary = v.output_as("the summary").map_err(|e| t.err(e))?;
            if let Some(s) = &summary.subject {
                row(t.s("사용자", "Subject"), s);
            }
            if let Some(p) = &summary.product_ko {
                row(t.s("인증서 종류", "Product"), p);
            }
            match (&summary.not_after, summary.validity_days) {
                (Some(end), _) => row(
                    t.s("유효기간", "Valid until"),
                    t.f(
                        format!("{}까지 (기존 인증서와 같음)", kst_text(end)),
                        format!("{} (as the old certificate)", kst_text(end)),
                    ),
                ),
                (None, Some(days)) => row(
                    t.s("유효기간", "Validity"),
                    t.f(format!("발급일로부터 {days}일"), format!("{days} days from issue")),
                ),
                (None, None) => {}
            }
            self.summary = Some(summary);
        }
        Ok(Next::Flow(Box::new(v)))
    }

    // --- 저장 위치, 인증서 암호, 키 생성과 발급 -------------------------------------------------

    fn csr(&mut self, flow: &FlowView, step: &Step) -> anyhow::Result<FlowView> {
        if let Some(label) = self.o.token.clone() {
            return self.csr_in_token(flow, step, &label);
        }
        let t = self.t;
        let summary = self.summary.clone().unwrap_or_default();
        let Some(subject_text) = summary.csr_subject.clone() else {
            bail!(
                "{}",
                t.s(
                    "인증센터가 인증서의 사용자 정보를 알려 주지 않았습니다.",
                    "the center did not say which subject to request"
                )
            );
        };
        let subject = csr::parse_openssl_subject(&subject_text)?;

        // 저장 위치 — checked now, before anything is issued.
        println!("\n  · {}", t.s("저장 위치", "Where to store it"));
        let store = self.storage()?;
        let replacing = summary
            .subject
            .as_deref()
            .and_then(|s| store.list().ok()?.entries.into_iter().find(|e| e.info.subject == s));
        if let Some(hidden) = replacing.as_ref().and_then(|old| old.unrestored.as_ref()) {
            // Saving is refused until the hidden copy is back: stop before anything is issued.
            bail!(
                "{}",
                t.f(
                    format!("이 위치의 같은 사용자 인증서가 중단된 저장 작업으로 숨겨진 채 제자리({})로 되돌려지지 않아, 새 인증서를 저장할 수 없습니다. 디스크에 쓸 수 있는지 확인하고 `dojang cert list`로 되돌린 뒤 다시 진행하세요.", hidden.display()),
                    format!("the certificate of the same subject here is still hidden by an interrupted save and could not be put back in place ({}), so the new one cannot be stored; check that the disk is writable, let `dojang cert list` put it back, then try again", hidden.display()),
                )
            );
        }
        if let Some(old) = &replacing {
            println!(
                "{}",
                t.f(
                    format!("  이 위치의 같은 사용자 인증서(일련번호 {})는 새 인증서로 바뀝니다.", old.info.serial),
                    format!("  The certificate of the same subject here (serial {}) will be replaced by the new one.", old.info.serial),
                )
            );
        }

        let key_type = self.o.key_type.unwrap_or(KeyType::Rsa2048);
        if !summary.key_types.is_empty() && !summary.key_types.iter().any(|k| k == key_type.name())
        {
            bail!(
                "{}",
                t.f(
                    format!("이 인증서 종류는 {} 키를 쓸 수 없습니다. --key-type {}(으)로 다시 진행해 주세요.", key_type, summary.key_types.join(" 또는 ")),
                    format!("this product does not allow {} keys; use --key-type {}", key_type, summary.key_types.join(" or ")),
                )
            );
        }

        // 인증서 암호.
        println!("\n  · {}", t.s("인증서 암호", "Certificate password"));
        let password = self.new_password(summary.password_rule_ko.as_deref())?;

        // The key pair, made here; only the CSR goes to the center.
        println!(
            "{}",
            t.f(
                format!(
                    "  키 쌍을 만드는 중입니다 ({}). 개인키는 이 컴퓨터 밖으로 나가지 않습니다.",
                    key_label(key_type)
                ),
                format!(
                    "  Making the key pair ({}); the private key never leaves this computer.",
                    key_label(key_type)
                ),
            )
        );
        let key = KeyPair::generate(key_type)?;
        let pem = csr::to_pem(&csr::build(subject, &key)?)?;
        let v = self.step(flow, step, Input::Csr { pem: &pem }).map_err(|e| {
            match &e {
                ClientError::Unreachable { .. } | ClientError::BadResponse { .. } => anyhow::anyhow!(
                    "{} {}",
                    e.message(t.ko),
                    t.s(
                        "인증서가 발급되었는지 확인할 수 없습니다. 발급되었다면 새 키가 저장되지 않았으니 재발급(dojang cert reissue)을 받아 주세요.",
                        "Whether the certificate was issued is unknown; if it was, its key was not saved: reissue it (dojang cert reissue)."
                    )
                ),
                _ => t.err(e),
            }
        })?;
        let issued: Issued = v.output_as("the certificate").map_err(|e| t.err(e))?;
        self.store_issued(&store, &issued, &key, &password)?;
        Ok(v)
    }

    /// The store chosen for the new certificate, made ready (its folder exists) so that a
    /// missing USB disk stops the flow before the certificate is issued.
    fn storage(&mut self) -> anyhow::Result<Store> {
        let t = self.t;
        let location = match (&self.o.location, &self.current) {
            (Some(l), _) => l.clone(),
            // A renewal replaces the current certificate where it is.
            (None, Some(c)) => c.store.location().clone(),
            (None, None) => {
                let options = vec![
                    (
                        "disk".to_string(),
                        t.s("하드디스크 (이 컴퓨터)", "hard disk (this computer)").to_string(),
                    ),
                    (
                        "removable".to_string(),
                        t.s("이동식 디스크 (USB 등)", "removable disk (USB…)").to_string(),
                    ),
                    ("phone".to_string(), t.s("휴대폰", "phone").to_string()),
                ];
                match self.con.choose(t.s("저장 위치", "Store it on"), &options)? {
                    0 => Location::HardDisk,
                    1 => Location::Removable(
                        self.con
                            .line(t.s("이동식 디스크 경로: ", "Path of the removable disk: "))?
                            .into(),
                    ),
                    _ => Location::Phone,
                }
            }
        };
        let store = Store::open(location.clone())
            .map_err(|e| keystore_error(self.lang, e))?
            .with_products(dojang_keystore::default_products());
        store.check_before_saving().map_err(|e| keystore_error(self.lang, e))?;
        std::fs::create_dir_all(store.root()).with_context(|| {
            t.f(
                format!("{}에 인증서를 저장할 수 없습니다", store.root().display()),
                format!("cannot store certificates in {}", store.root().display()),
            )
        })?;
        row(
            t.s("저장 위치", "Location"),
            format!("{} ({})", location_name(t, &location), store.root().display()),
        );
        Ok(store)
    }

    /// The new certificate password, checked against the rule as it is entered.
    fn new_password(&mut self, rule_ko: Option<&str>) -> anyhow::Result<Zeroizing<String>> {
        let t = self.t;
        let rule = t.s(
            rule_ko.unwrap_or(
                "인증서 암호는 영문, 숫자, 특수문자를 모두 포함해 10자 이상으로 정해 주세요.",
            ),
            "Choose 10 or more characters (at most 30) with letters, digits and symbols.",
        );
        println!("  {rule}");
        for _ in 0..TRIES {
            let first = self.con.secret(
                ENV_NEW_CERT_PASSWORD,
                t.s("새 인증서 암호: ", "New certificate password: "),
            )?;
            if let Err(e) = dojang_keystore::password::check(&first.value) {
                let why = if t.ko {
                    let parts: Vec<&str> = e.problems.iter().map(|p| problem_ko(*p)).collect();
                    format!("인증서 암호 규칙에 맞지 않습니다: {}", parts.join(", "))
                } else {
                    e.to_string()
                };
                if first.from_env {
                    bail!("{why} (${ENV_NEW_CERT_PASSWORD})");
                }
                println!("  {why}");
                continue;
            }
            if first.from_env {
                return Ok(first.value);
            }
            let second = self
                .con
                .hidden(ENV_NEW_CERT_PASSWORD, t.s("한 번 더 입력: ", "Again, to confirm: "))?;
            if first.value == second.value {
                return Ok(first.value);
            }
            println!(
                "{}",
                t.s(
                    "  두 번 입력한 암호가 다릅니다. 다시 정해 주세요.",
                    "  The two entries differ; choose again."
                )
            );
        }
        bail!("{}", t.s("인증서 암호를 정하지 못했습니다.", "no certificate password was set"))
    }

    /// Seals the key with R and stores the pair; if the store fails, keeps the (encrypted)
    /// pair beside the working directory, since the certificate exists and its key nowhere
    /// else.
    fn store_issued(
        &self,
        store: &Store,
        issued: &Issued,
        key: &KeyPair,
        password: &str,
    ) -> anyhow::Result<()> {
        let t = self.t;
        let pair = save::pair(issued, key, password)?;
        let entry = match save::save(store, &pair, Existing::Replace) {
            Ok(entry) => entry,
            Err(e) => {
                let here =
                    std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
                let rescued = save::rescue(&here, &issued.serial, &pair)?;
                bail!(
                    "{}",
                    t.f(
                        format!("인증서는 발급되었지만 선택한 위치에 저장하지 못했습니다 ({e}). 암호화된 인증서 파일을 {}에 두었으니 `dojang cert import {}`로 가져오세요.", rescued.display(), rescued.display()),
                        format!("the certificate was issued but could not be stored there ({e}); the encrypted files are in {}: import them with `dojang cert import {}`", rescued.display(), rescued.display()),
                    )
                );
            }
        };
        let done = match self.o.kind {
            FlowKind::Reissue => t.s("인증서를 재발급했습니다.", "The certificate is reissued."),
            FlowKind::Renew => t.s("인증서를 갱신했습니다.", "The certificate is renewed."),
            _ => t.s("인증서를 발급했습니다.", "The certificate is issued."),
        };
        println!("\n✔ {done}");
        let info = &entry.info;
        row(t.s("사용자", "Subject"), &info.subject);
        row(t.s("일련번호", "Serial"), &info.serial);
        if let Some(p) = &info.product {
            row(t.s("용도", "Product"), if t.ko { &p.ko } else { &p.en });
        }
        let days = (info.not_after - info.not_before).whole_days();
        row(
            t.s("유효기간", "Valid"),
            t.f(
                format!("{} ~ {} ({days}일)", kst(info.not_before), kst(info.not_after)),
                format!("{} ~ {} ({days} days)", kst(info.not_before), kst(info.not_after)),
            ),
        );
        let fee = if issued.fee_krw > 0 {
            match &issued.account {
                Some(a) => t.f(
                    format!("{} (출금계좌 {a}에서 출금)", won(t, issued.fee_krw)),
                    format!("{} (charged to {a})", won(t, issued.fee_krw)),
                ),
                None => won(t, issued.fee_krw),
            }
        } else {
            t.s("없음", "none").to_string()
        };
        row(t.s("수수료", "Fee"), fee);
        row(
            t.s("저장 위치", "Stored in"),
            format!("{} — {}", location_name(t, store.location()), entry.dir.display()),
        );
        row(
            "",
            format!("{}, {}", dojang_keystore::store::SIGN_CERT, dojang_keystore::store::SIGN_KEY),
        );
        if let Some(old) = &issued.superseded {
            println!(
                "{}",
                t.f(
                    format!("  이전 인증서(일련번호 {old})는 폐기되었습니다."),
                    format!("  The previous certificate (serial {old}) is revoked."),
                )
            );
        }
        Ok(())
    }

    // --- 끝 -------------------------------------------------------------------------------------

    fn finished(&self, flow: &FlowView) -> anyhow::Result<()> {
        let t = self.t;
        if self.o.kind.issues() {
            // The csr step printed the result when it stored the certificate.
            return Ok(());
        }
        let done: StatusChanged = flow.output_as("the result").map_err(|e| t.err(e))?;
        let text = match self.o.kind {
            FlowKind::Suspend => t.s("인증서의 효력을 정지했습니다. 효력 회복(dojang cert resume)으로 다시 쓸 수 있습니다.", "The certificate is suspended; dojang cert resume makes it usable again."),
            FlowKind::Resume => t.s("인증서의 효력을 회복했습니다.", "The certificate is usable again."),
            _ => t.s("인증서를 폐기했습니다.", "The certificate is revoked."),
        };
        println!("\n✔ {text}");
        row(t.s("일련번호", "Serial"), &done.serial);
        let status = match done.status.as_str() {
            "revoked" => t.s("폐기", "revoked"),
            "suspended" => t.s("효력정지", "suspended"),
            "good" => t.s("정상", "good"),
            other => other,
        };
        row(t.s("상태", "Status"), status);
        if let (Some(r), FlowKind::Revoke) = (&done.reason, self.o.kind) {
            let name = self.reason_ko.clone().filter(|_| t.ko).unwrap_or_else(|| r.clone());
            row(t.s("사유", "Reason"), name);
        }
        if let Some(at) = &done.at {
            row(t.s("처리 일시", "At"), kst_text(at));
        }
        if let (FlowKind::Revoke, Some(current)) = (self.o.kind, &self.current) {
            // The files stay where they are: the customer decides whether to delete them.
            println!(
                "{}",
                t.f(
                    format!(
                        "  폐기된 인증서 파일은 더 쓸 수 없습니다. 지우려면: dojang cert delete {}",
                        current.entry.info.serial
                    ),
                    format!(
                        "  The revoked certificate's files are of no further use; to delete them: dojang cert delete {}",
                        current.entry.info.serial
                    ),
                )
            );
        }
        Ok(())
    }
}

fn key_label(k: KeyType) -> &'static str {
    match k {
        KeyType::Rsa2048 => "RSA-2048",
        KeyType::EcdsaP256 => "ECDSA P-256",
    }
}

fn validity_text(t: T, v: Validity) -> String {
    match v {
        Validity::NotYetValid => t.s("유효기간 시작 전", "not yet valid").to_string(),
        Validity::Valid { days_left } => {
            t.f(format!("유효, {days_left}일 남음"), format!("valid, {days_left} days left"))
        }
        Validity::ExpiringSoon { days_left } => t.f(
            format!("만료 임박, {days_left}일 남음: 갱신할 수 있습니다"),
            format!("expires in {days_left} days: it can be renewed"),
        ),
        Validity::Expired { days_ago } => t.f(
            format!("{days_ago}일 전 만료: 갱신할 수 없으니 새로 발급받으세요"),
            format!("expired {days_ago} days ago: issue a new one"),
        ),
    }
}

/// The csr step into a security token.
mod in_token;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_banks_write_it() {
        let ko = T { ko: true };
        assert_eq!(won(ko, 0), "0원");
        assert_eq!(won(ko, 4400), "4,400원");
        assert_eq!(won(ko, 110_000), "110,000원");
        assert_eq!(won(T { ko: false }, 1_234_567), "1,234,567 won");
    }

    #[test]
    fn center_times_show_in_kst() {
        assert_eq!(kst_text("2025-12-31T15:30:00Z"), "2026-01-01 00:30 KST");
        assert_eq!(kst_text("not a time"), "not a time");
    }

    #[test]
    fn the_menus_name_every_product_and_reason() {
        for (id, ko, en) in PRODUCTS.iter().chain(REASONS.iter()) {
            assert!(!id.is_empty() && !ko.is_empty() && !en.is_empty());
        }
        assert!(REASONS
            .iter()
            .all(|(id, _, _)| id.parse::<dojang_pki::RevocationReason>().is_ok()));
    }
}
