//! The customer's side of the real HTTP API, driven as fast as it answers: the whole issue
//! flow (terms, identification, product, ARS, payment, security card, confirm, CSR) through
//! `dojang-client`, and certificate login (challenge, signature, verification).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::Engine as _;
use dojang_client::{csr, possession, view, Client, FlowKind, FlowView, Input, KeyPair, Step};
use serde::{Deserialize, Serialize};

use crate::customers::{Customer, ACCOUNT_PASSWORD};

/// The product every bench flow issues (free, so balances never run out).
pub const PRODUCT: &str = "personal-bank";

/// One customer's client: their key pair (made once; each flow's CSR is new) and where their
/// simulated phone's inbox was last read.
pub struct Session {
    pub customer: Customer,
    pub key: KeyPair,
    /// One client per replica; a flow's steps go to them in turn.
    clients: Vec<Client>,
    turn: usize,
    agent: ureq::Agent,
    base: String,
    inbox_seen: i64,
    /// Where this session's flows spent their time, step by step.
    pub times: StepTimes,
}

/// An issue flow waiting at its CSR step, and the CSR made for it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Prepared {
    pub flow: String,
    pub csr_pem: String,
}

/// Time spent per step as the client saw it (the request and the wait for its answer): what
/// bounds a flow.
#[derive(Clone, Debug, Default)]
pub struct StepTimes(BTreeMap<String, (u64, Duration)>);

impl StepTimes {
    fn add(&mut self, step: &str, began: Instant) {
        let e = self.0.entry(step.to_string()).or_default();
        e.0 += 1;
        e.1 += began.elapsed();
    }

    /// Another session's times added to these.
    pub fn merge(&mut self, other: &StepTimes) {
        for (step, (n, d)) in &other.0 {
            let e = self.0.entry(step.clone()).or_default();
            e.0 += n;
            e.1 += *d;
        }
    }

    /// `step mean ms (share of the total)`, the costliest first.
    pub fn summary(&self) -> String {
        let total: f64 = self.0.values().map(|(_, d)| d.as_secs_f64()).sum();
        let mut steps: Vec<_> = self.0.iter().collect();
        steps.sort_by_key(|(_, (_, d))| std::cmp::Reverse(*d));
        steps
            .iter()
            .map(|(step, (n, d))| {
                format!(
                    "{step} {:.1} ms ({:.0} %)",
                    d.as_secs_f64() * 1000.0 / (*n).max(1) as f64,
                    100.0 * d.as_secs_f64() / total.max(f64::EPSILON)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Submits a prepared flow's CSR (`POST /api/v1/flows/{id}/csr`) and returns the certificate
/// the center answered with once it was stored — read as an X.509 certificate whose serial is
/// the one the center names.
pub fn submit_csr(client: &Client, prepared: &Prepared) -> anyhow::Result<Held> {
    issued(&client.step(&prepared.flow, &Step::Csr, Input::Csr { pem: &prepared.csr_pem })?)
}

/// The certificate a CSR step's answer `v` hands out, read as an X.509 certificate whose serial
/// is the one the center names; an error if the flow did not finish with it.
pub fn issued(v: &FlowView) -> anyhow::Result<Held> {
    if !v.finished {
        bail!("the flow did not finish with its CSR step");
    }
    let issued: view::Issued = v.output_as("the certificate")?;
    let certificate_der = issued.certificate_der()?;
    let certificate = <x509_cert::Certificate as der::Decode>::from_der(&certificate_der)
        .context("the issued certificate")?;
    let serial = dojang_pki::Serial::from_x509(&certificate.tbs_certificate.serial_number)
        .context("the issued certificate's serial")?;
    if serial.to_hex() != issued.serial {
        bail!("the certificate's serial {serial} is not the {} the center named", issued.serial);
    }
    Ok(Held {
        serial: issued.serial.clone(),
        certificate_der,
        random_num: issued.random_num()?.map(|r| r.to_vec()).unwrap_or_default(),
    })
}

/// A certificate the flow issued, with what login needs.
#[derive(Clone)]
pub struct Held {
    pub serial: String,
    pub certificate_der: Vec<u8>,
    pub random_num: Vec<u8>,
}

#[derive(Deserialize)]
struct InboxItem {
    id: i64,
    body: String,
}

#[derive(Deserialize)]
struct Challenge {
    challenge_id: String,
    nonce: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The center's answer to a request that failed, for the error message.
fn refusal(e: ureq::Error) -> anyhow::Error {
    match e {
        ureq::Error::Status(code, resp) => {
            anyhow::anyhow!("HTTP {code}: {}", resp.into_string().unwrap_or_default())
        }
        other => anyhow::anyhow!(other),
    }
}

impl Session {
    pub fn new(base: &str, customer: Customer, key: KeyPair) -> anyhow::Result<Session> {
        Session::across(&[base], customer, key)
    }

    /// A session whose flows send each step to the next of `bases` in turn: replicas of one
    /// center, where a flow started on one continues on another. Inbox and login use the first.
    pub fn across(bases: &[&str], customer: Customer, key: KeyPair) -> anyhow::Result<Session> {
        let base = bases.first().context("no center to talk to")?;
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
        Ok(Session {
            customer,
            key,
            clients: bases.iter().map(|b| Client::new(b)).collect::<Result<_, _>>()?,
            turn: 0,
            agent,
            base: base.trim_end_matches('/').to_string(),
            inbox_seen: 0,
            times: StepTimes::default(),
        })
    }

    /// The same customer and key, talking to the center at `base` from now on (a restored or
    /// migrated center, another replica).
    pub fn moved_to(mut self, base: &str) -> anyhow::Result<Session> {
        self.clients = vec![Client::new(base)?];
        self.turn = 0;
        self.base = base.trim_end_matches('/').to_string();
        self.inbox_seen = 0;
        Ok(self)
    }

    /// The client for the next request.
    fn client(&mut self) -> &Client {
        let i = self.turn % self.clients.len();
        self.turn += 1;
        &self.clients[i]
    }

    /// The newest one-time code sent to the customer's phone since the last one read.
    fn phone_code(&mut self) -> anyhow::Result<String> {
        let digits: String = self.customer.phone.chars().filter(char::is_ascii_digit).collect();
        let url =
            format!("{}/api/v1/simulator/inbox/{digits}?after={}", self.base, self.inbox_seen);
        let items: Vec<InboxItem> =
            self.agent.get(&url).call().map_err(refusal)?.into_json().context("the inbox")?;
        let newest = items.last().context("no message reached the phone")?;
        self.inbox_seen = newest.id;
        dojang_outside::find_code(&newest.body).context("no code in the phone's newest message")
    }

    /// Runs one whole issue flow; returns the certificate once it is stored at the center.
    pub fn issue(&mut self) -> anyhow::Result<Held> {
        self.issue_product(PRODUCT)
    }

    /// [`issue`](Self::issue) for another product (a paid one charges the account).
    pub fn issue_product(&mut self, product: &str) -> anyhow::Result<Held> {
        let prepared = self.prepare(product)?;
        let client = self.client().clone();
        submit_csr(&client, &prepared)
    }

    /// Runs an issue flow up to its CSR step — every identity check real — and makes the CSR
    /// for the subject the center named in the confirm step's summary. The flow waits at the
    /// center for [`submit_csr`] (for as long as a flow may sit idle).
    pub fn prepare(&mut self, product: &str) -> anyhow::Result<Prepared> {
        let began = Instant::now();
        let mut v = self.client().start(FlowKind::Issue, None)?;
        self.times.add("start", began);
        let accepted: Vec<String> = v.terms().into_iter().map(|t| t.id).collect();
        let mut subject: Option<String> = None;
        let c = self.customer.clone();
        loop {
            if v.finished {
                bail!("the flow finished before its CSR step");
            }
            let step = v.next_step().cloned().context("the flow names no next step")?;
            let id = v.id.clone();
            let began = Instant::now();
            v = match &step {
                Step::Terms => {
                    self.client().step(&id, &step, Input::Terms { accepted: &accepted })?
                }
                Step::Identify => self.client().step(
                    &id,
                    &step,
                    Input::Identify {
                        banking_id: &c.banking_id,
                        rrn: &c.rrn,
                        name: None,
                        password: None,
                    },
                )?,
                Step::Product => self.client().step(&id, &step, Input::Product { product })?,
                Step::CheckArs | Step::CheckSms => {
                    self.client().step(&id, &step, Input::Start)?;
                    let code = self.phone_code()?;
                    self.client().step(&id, &step, Input::Code { code: &code })?
                }
                Step::CheckSecondFactor | Step::CheckSecurityCard => {
                    let asked = self.client().step(&id, &step, Input::Start)?;
                    let q = asked.prompt().and_then(|p| p.card).context("no card question")?;
                    let code = |n: u8| c.card.get(usize::from(n).wrapping_sub(1)).cloned();
                    let (first, second) = (
                        code(q.first).context("card position")?,
                        code(q.second).context("card position")?,
                    );
                    self.client().step(
                        &id,
                        &step,
                        Input::Card { first: &first[..2], second: &second[2..] },
                    )?
                }
                Step::Payment => self.client().step(
                    &id,
                    &step,
                    Input::Payment { account: &c.account, password: ACCOUNT_PASSWORD },
                )?,
                Step::Confirm => {
                    let done = self.client().step(&id, &step, Input::Confirm)?;
                    let summary: view::Summary = done.output_as("the summary")?;
                    subject = summary.csr_subject;
                    done
                }
                Step::Csr => {
                    let subject = subject.as_deref().context("no subject before the CSR")?;
                    let began = Instant::now();
                    let req = csr::build(csr::parse_openssl_subject(subject)?, &self.key)?;
                    let csr_pem = csr::to_pem(&req)?;
                    self.times.add("CSR made (client)", began);
                    return Ok(Prepared { flow: id, csr_pem });
                }
                other => bail!("the bench does not answer the step {other}"),
            };
            self.times.add(step.name(), began);
        }
    }

    /// Logs in with `held` (인증서 로그인): a challenge, the key's signature over it, the
    /// center's whole verification, a session.
    pub fn login(&self, held: &Held) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/login/challenge", self.base);
        let ch: Challenge = self
            .agent
            .post(&url)
            .set("Content-Type", "application/json")
            .send_string("{}")
            .map_err(refusal)?
            .into_json()
            .context("the login challenge")?;
        let nonce = base64::engine::general_purpose::STANDARD
            .decode(ch.nonce.as_bytes())
            .context("the challenge's nonce")?;
        let signature = possession::sign(&self.key, &ch.challenge_id, &nonce)?;
        let body = serde_json::json!({
            "challenge_id": ch.challenge_id,
            "certificate": b64(&held.certificate_der),
            "signature": signature,
            "random_num": b64(&held.random_num),
            "banking_id": self.customer.banking_id,
        });
        let answer: serde_json::Value = self
            .agent
            .post(&format!("{}/api/v1/login", self.base))
            .send_json(body)
            .map_err(refusal)?
            .into_json()
            .context("the login answer")?;
        if answer.get("session").and_then(|s| s.as_str()).is_none_or(str::is_empty) {
            bail!("the login answer has no session: {answer}");
        }
        Ok(())
    }
}
