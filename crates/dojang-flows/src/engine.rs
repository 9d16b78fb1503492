//! The flow engine: start a flow, show it, take its next step.

use std::sync::Arc;

use base64::Engine as _;
use dojang_identity::Identity;
use dojang_pki::{RevocationReason, Serial};
use dojang_profile::{Catalog, ProductId, SubjectRules};
use dojang_ra::RegistrationAuthority;
use dojang_store::{CertificateRecord, Customer, CustomerKind, Store};
use dojang_vault::Vault;
use serde::Deserialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::checks::{self, Policy};
use crate::error::FlowError;
use crate::kind::{FlowKind, Method};
use crate::signers::Signers;
use crate::state::{FlowState, Target};
use crate::step::Step;
use crate::view::{view, FlowView, StartFlow};
use crate::{possession, terms};

/// How long a flow lives.
#[derive(Clone, Copy, Debug)]
pub struct FlowSettings {
    /// Left idle this long, a flow expires.
    pub idle: Duration,
    /// However busy, a flow expires this long after it began.
    pub lifetime: Duration,
    /// The renewal window before the end of validity (document 002: 30 days).
    pub renewal_window: Duration,
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings {
            idle: Duration::minutes(10),
            lifetime: Duration::minutes(60),
            renewal_window: Duration::days(30),
        }
    }
}

/// The flows of one center.
pub struct Flows {
    pub(crate) store: Store,
    pub(crate) ca: Arc<dojang_ca::CertificateAuthority>,
    pub(crate) identity: Arc<Identity>,
    pub(crate) vault: Arc<Vault>,
    pub(crate) catalog: Catalog,
    pub(crate) rules: SubjectRules,
    pub(crate) policy: Policy,
    pub(crate) settings: FlowSettings,
    /// The threads that sign certificates, one per core: more would only share the cores.
    pub(crate) signers: Signers,
    /// The issuing CA's and the root's certificates in PEM ([`Flows::chain_pem`]).
    pub(crate) chain_pem: std::sync::OnceLock<[String; 2]>,
}

/// What one step did.
pub(crate) struct Outcome {
    /// Whether the flow moves on to the next step.
    pub advance: bool,
    pub output: serde_json::Value,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A step's input as its type; a refusal names the field, never what was sent in it.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    step: Step,
    input: serde_json::Value,
) -> Result<T, FlowError> {
    dojang_json::from_value(input).map_err(|e| FlowError::bad_json(step, e))
}

fn random_id() -> Result<String, FlowError> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(FlowError::internal)?;
    Ok(hex::encode(b))
}

fn random_nonce() -> Result<String, FlowError> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).map_err(FlowError::internal)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(b))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsInput {
    accepted: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductInput {
    product: ProductId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectInput {
    #[serde(default)]
    serial: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PossessionInput {
    serial: String,
    /// base64 of the signature over the possession message.
    signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonInput {
    /// Read as text, so that a refusal lists only the reasons a customer may give.
    reason: String,
}

/// What a customer reads when a step was not confirmed.
const NOT_CONFIRMED_KO: &str = "내용을 확인하고 동의해야 진행할 수 있습니다.";
/// What a customer reads for a serial that is not one.
const BAD_SERIAL_KO: &str =
    "일련번호가 올바르지 않습니다. 인증서에 적힌 일련번호(16진수)를 확인해 주세요.";

/// The reasons a customer may give. The others are for the CA and its staff, and suspension
/// (`certificateHold`) has a flow of its own.
const CUSTOMER_REASONS: [RevocationReason; 5] = [
    RevocationReason::Unspecified,
    RevocationReason::KeyCompromise,
    RevocationReason::AffiliationChanged,
    RevocationReason::Superseded,
    RevocationReason::CessationOfOperation,
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmInput {
    confirm: bool,
}

/// The state a certificate is in, as flows judge it.
pub(crate) fn cert_state(c: &CertificateRecord, now: OffsetDateTime) -> &'static str {
    match c.revocation {
        Some(r) if r.reason == RevocationReason::CertificateHold => "suspended",
        Some(_) => "revoked",
        None if c.not_after <= now => "expired",
        None => "good",
    }
}

impl Flows {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        ra: Arc<RegistrationAuthority>,
        ca: Arc<dojang_ca::CertificateAuthority>,
        identity: Arc<Identity>,
        vault: Arc<Vault>,
        catalog: Catalog,
        rules: SubjectRules,
        policy: Policy,
        settings: FlowSettings,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let signers = Signers::start(ra, cores);
        Flows {
            store,
            ca,
            identity,
            vault,
            catalog,
            rules,
            policy,
            settings,
            signers,
            chain_pem: std::sync::OnceLock::new(),
        }
    }

    /// The plan of a flow, from its kind, method and (once known) product.
    pub(crate) fn plan(&self, kind: FlowKind, method: Method, product: ProductId) -> Vec<Step> {
        let mut checks = self.policy.steps(kind, product);
        // Issue and renewal always take the withdrawal account (document 000), even when the
        // policy's checks do not include its password: the fee is charged from it.
        if matches!(kind, FlowKind::Issue | FlowKind::Renew) && !checks.contains(&Step::Payment) {
            checks.push(Step::Payment);
        }
        let mut plan = Vec::new();
        match (kind, method) {
            (FlowKind::Issue, _) => {
                plan.extend([Step::Terms, Step::Identify, Step::Product]);
                plan.extend(checks);
                plan.extend([Step::Confirm, Step::Csr]);
            }
            (FlowKind::Reissue, _) => {
                plan.extend([Step::Terms, Step::Identify, Step::Select]);
                plan.extend(checks);
                plan.extend([Step::Confirm, Step::Csr]);
            }
            // Document 004: ID + RRN, ARS, account and password, card or OTP, SMS, then the PIN.
            (FlowKind::FinancialIssue | FlowKind::FinancialReissue, _) => {
                plan.extend([Step::Terms, Step::Identify]);
                plan.extend(checks);
                plan.extend([Step::Confirm, Step::Pin]);
            }
            (FlowKind::Renew, _) => {
                plan.extend([Step::Terms, Step::Possession]);
                plan.extend(checks);
                plan.extend([Step::Confirm, Step::Csr]);
            }
            (FlowKind::Revoke | FlowKind::Suspend | FlowKind::Resume, Method::Certificate) => {
                plan.push(Step::Possession);
                if kind == FlowKind::Revoke {
                    plan.push(Step::Reason);
                }
                plan.push(Step::Confirm);
            }
            (FlowKind::Revoke | FlowKind::Suspend | FlowKind::Resume, Method::Identity) => {
                plan.extend([Step::Identify, Step::Select]);
                plan.extend(checks);
                if kind == FlowKind::Revoke {
                    plan.push(Step::Reason);
                }
                plan.push(Step::Confirm);
            }
        }
        plan
    }

    /// Starts a flow.
    pub async fn start(&self, req: StartFlow, now: OffsetDateTime) -> Result<FlowView, FlowError> {
        let method = match (req.kind, req.method) {
            (FlowKind::Issue | FlowKind::Reissue, Some(Method::Certificate)) => {
                return Err(FlowError::bad_input(
                    Step::Terms,
                    "발급과 재발급은 인증서가 아니라 본인확인으로 진행합니다.",
                    "issue and reissue prove identity by checks, not with a certificate",
                ))
            }
            (FlowKind::Renew, Some(Method::Identity)) => return Err(FlowError::bad_input(
                Step::Terms,
                "갱신에는 지금 쓰는 인증서가 필요합니다. 인증서가 없으면 재발급을 이용해 주세요.",
                "renewal needs the current certificate; to get a new one without it, use reissue",
            )),
            (
                FlowKind::Issue
                | FlowKind::Reissue
                | FlowKind::FinancialIssue
                | FlowKind::FinancialReissue,
                _,
            ) => Method::Identity,
            (_, m) => m.unwrap_or(Method::Certificate),
        };
        let state = FlowState {
            kind: req.kind,
            method,
            plan: self.plan(req.kind, method, crate::financial::product_of(req.kind)),
            position: 0,
            started: None,
            customer_id: None,
            product: req.kind.is_financial().then_some(ProductId::Financial),
            fee: 0,
            account: None,
            target: None,
            nonce: random_nonce()?,
            reason: None,
            accepted_terms: Vec::new(),
            began: now.unix_timestamp(),
            output: json!({ "terms": if req.kind.issues() { serde_json::to_value(terms::TERMS).unwrap_or_default() } else { json!([]) } }),
        };
        let id = random_id()?;
        let expires = now + self.settings.idle;
        let text = serde_json::to_string(&state).map_err(FlowError::internal)?;
        self.store
            .create_flow(&id, req.kind.as_str(), &text, now, expires)
            .await
            .map_err(FlowError::internal)?;
        Ok(view(&id, &state, false, rfc3339(expires)))
    }

    async fn load(&self, id: &str) -> Result<(dojang_store::FlowRecord, FlowState), FlowError> {
        // Ids are 32 hex digits; anything else cannot be a flow and is not worth a query.
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FlowError::UnknownFlow);
        }
        let record = self
            .store
            .flow(id)
            .await
            .map_err(FlowError::internal)?
            .ok_or(FlowError::UnknownFlow)?;
        let state: FlowState = serde_json::from_str(&record.state).map_err(FlowError::internal)?;
        Ok((record, state))
    }

    /// The flow as it stands.
    pub async fn view(&self, id: &str, now: OffsetDateTime) -> Result<FlowView, FlowError> {
        let (record, state) = self.load(id).await?;
        if record.finished_at.is_none() && record.expires_at <= now {
            return Err(FlowError::Expired);
        }
        Ok(view(id, &state, record.finished_at.is_some(), rfc3339(record.expires_at)))
    }

    /// Takes step `step_name` of flow `id` with `input`.
    pub async fn step(
        &self,
        id: &str,
        step_name: &str,
        input: serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<FlowView, FlowError> {
        let (record, mut state) = self.load(id).await?;
        if record.finished_at.is_some() {
            return Err(FlowError::Finished);
        }
        let lifetime_end = OffsetDateTime::from_unix_timestamp(state.began)
            .map_err(FlowError::internal)?
            + self.settings.lifetime;
        if record.expires_at <= now || lifetime_end <= now {
            return Err(FlowError::Expired);
        }
        let step = Step::from_name(step_name)
            .ok_or_else(|| FlowError::UnknownStep(step_name.to_string()))?;
        let expected = state.next().ok_or(FlowError::Finished)?;
        if step != expected {
            return Err(FlowError::OutOfOrder {
                expected: expected.name(),
                got: step_name.to_string(),
            });
        }
        // A locked customer may still revoke or suspend (a safety action, e.g. after a theft);
        // every other flow stops at the lock.
        let safety = matches!(state.kind, FlowKind::Revoke | FlowKind::Suspend);
        let customer = match state.customer_id {
            Some(cid) if safety => Some(self.customer_even_locked(cid).await?),
            Some(cid) => Some(self.customer(cid).await?),
            None => None,
        };

        // The last step of a flow finishes it in one transaction with everything it changes.
        if state.is_last() && matches!(step, Step::Csr | Step::Confirm | Step::Pin) {
            let output = match step {
                Step::Pin => {
                    self.finish_financial(id, &record, &mut state, customer.as_ref(), input, now)
                        .await?
                }
                Step::Csr => {
                    self.finish_issue(id, &record, &mut state, customer.as_ref(), input, now)
                        .await?
                }
                _ => {
                    let confirm: ConfirmInput = parse(step, input)?;
                    if !confirm.confirm {
                        return Err(FlowError::bad_input(
                            step,
                            NOT_CONFIRMED_KO,
                            "confirm must be true to go ahead",
                        ));
                    }
                    self.finish_status(id, &record, &mut state, now).await?
                }
            };
            let expires = record.expires_at;
            state.output = output;
            return Ok(view(id, &state, true, rfc3339(expires)));
        }

        let outcome = match step {
            Step::Terms => {
                let t: TermsInput = parse(step, input)?;
                let missing = terms::missing_mandatory(&t.accepted);
                if !missing.is_empty() {
                    let names: Vec<&str> = missing.iter().map(|t| t.title_ko).collect();
                    return Err(FlowError::TermsNotAccepted(names.join(", ")));
                }
                state.accepted_terms = t.accepted;
                Outcome { advance: true, output: json!({ "accepted": state.accepted_terms }) }
            }
            Step::Identify => {
                let found = checks::identify(self, step, &state, input, id, now).await?;
                state.customer_id = Some(found.id);
                Outcome {
                    advance: true,
                    output: json!({ "name": found.name, "kind": found.kind.as_str() }),
                }
            }
            Step::Product => {
                let p: ProductInput = parse(step, input)?;
                let customer =
                    customer.as_ref().ok_or_else(|| FlowError::internal("no customer"))?;
                let product = self.catalog.get(p.product);
                let fits = match customer.kind {
                    CustomerKind::Person => product.holder.allows_person(),
                    CustomerKind::Business => {
                        !matches!(product.holder, dojang_profile::HolderKind::Person)
                    }
                };
                if !fits || product.key_location != dojang_profile::KeyLocation::CustomerDevice {
                    return Err(FlowError::ProductNotForCustomer {
                        product: p.product.to_string(),
                        holder: customer.kind.as_str(),
                    });
                }
                state.product = Some(p.product);
                state.fee = i64::try_from(product.fee_for(product.validity_days))
                    .map_err(FlowError::internal)?;
                self.replan(&mut state, p.product);
                Outcome {
                    advance: true,
                    output: json!({
                        "product": p.product,
                        "name_ko": product.name_ko,
                        "fee_krw": state.fee,
                        "validity_days": product.validity_days,
                    }),
                }
            }
            Step::Select => {
                let s: SelectInput = parse(step, input)?;
                let customer =
                    customer.as_ref().ok_or_else(|| FlowError::internal("no customer"))?;
                let target = self.select(&state, customer, s.serial.as_deref(), now).await?;
                Outcome { advance: true, output: self.take_target(&mut state, &target)? }
            }
            Step::Possession => {
                let p: PossessionInput = parse(step, input)?;
                let target = self.possession(id, &state, &p.serial, &p.signature, now).await?;
                let customer_id = target.customer_id.ok_or_else(|| {
                    FlowError::NoCertificate(
                        "the certificate is not registered to a customer here".into(),
                    )
                })?;
                state.customer_id = Some(customer_id);
                Outcome { advance: true, output: self.take_target(&mut state, &target)? }
            }
            Step::Payment => {
                let customer =
                    customer.as_ref().ok_or_else(|| FlowError::internal("no customer"))?;
                let (account, balance) =
                    checks::payment(self, step, &state, customer, input, id, now).await?;
                if balance < state.fee {
                    return Err(FlowError::InsufficientFunds {
                        account: checks::mask_account(&account),
                        balance,
                        fee: state.fee,
                    });
                }
                state.account = Some(account.clone());
                Outcome {
                    advance: true,
                    output: json!({
                        "account": checks::mask_account(&account),
                        "fee_krw": state.fee,
                        "note_ko": if state.fee > 0 { "수수료는 인증서 발급이 끝날 때 출금됩니다." } else { "수수료가 없습니다." },
                    }),
                }
            }
            Step::Reason => {
                let r: ReasonInput = parse(step, input)?;
                let reason = r
                    .reason
                    .parse::<RevocationReason>()
                    .ok()
                    .filter(|r| CUSTOMER_REASONS.contains(r))
                    .ok_or_else(|| {
                        let names: Vec<&str> = CUSTOMER_REASONS.iter().map(|r| r.name()).collect();
                        let korean: Vec<&str> =
                            CUSTOMER_REASONS.iter().map(|r| r.korean()).collect();
                        FlowError::bad_input(
                            step,
                            format!(
                                "폐기 사유는 {} 중에서 골라 주세요. 효력정지는 효력정지 메뉴를 이용해 주세요.",
                                korean.join(", ")
                            ),
                            format!(
                                "the reason is one of {} (to suspend, use the suspend flow)",
                                names.join(", ")
                            ),
                        )
                    })?;
                state.reason = Some(reason);
                Outcome {
                    advance: true,
                    output: json!({ "reason": reason, "reason_ko": reason.korean() }),
                }
            }
            Step::Confirm => {
                let c: ConfirmInput = parse(step, input)?;
                if !c.confirm {
                    return Err(FlowError::bad_input(
                        step,
                        NOT_CONFIRMED_KO,
                        "confirm must be true to go ahead",
                    ));
                }
                let customer =
                    customer.as_ref().ok_or_else(|| FlowError::internal("no customer"))?;
                Outcome { advance: true, output: self.summary(&state, customer)? }
            }
            s if s.is_challenge() => {
                let customer =
                    customer.as_ref().ok_or_else(|| FlowError::internal("no customer"))?;
                checks::challenge(self, s, &mut state, customer, input, id, now).await?
            }
            other => {
                return Err(FlowError::internal(format!("step {} has no handler", other.name())))
            }
        };

        if outcome.advance {
            state.position += 1;
            state.started = None;
        }
        state.output = outcome.output;
        // What is to be confirmed is shown before the confirm step, not after it.
        if outcome.advance && state.next() == Some(Step::Confirm) {
            let cid = state.customer_id.ok_or_else(|| FlowError::internal("no customer"))?;
            let who = match &customer {
                Some(c) if c.id == cid => c.clone(),
                _ => self.customer_even_locked(cid).await?,
            };
            state.output["summary"] = self.summary(&state, &who)?;
        }
        let expires = now + self.settings.idle;
        let text = serde_json::to_string(&state).map_err(FlowError::internal)?;
        let moved = self
            .store
            .advance_flow(id, record.version, &text, state.customer_id, now, expires)
            .await
            .map_err(FlowError::internal)?;
        if !moved {
            return Err(FlowError::Conflict);
        }
        Ok(view(id, &state, false, rfc3339(expires)))
    }

    /// Makes `target` the certificate the flow acts on: its product decides the plan (and, for a
    /// renewal, the fee).
    fn take_target(
        &self,
        state: &mut FlowState,
        target: &CertificateRecord,
    ) -> Result<serde_json::Value, FlowError> {
        let product: ProductId = target.product.parse().map_err(FlowError::internal)?;
        state.product = Some(product);
        state.target = Some(Target {
            serial: target.serial.to_hex(),
            product,
            not_after: target.not_after.unix_timestamp(),
        });
        if state.kind == FlowKind::Renew {
            let p = self.catalog.get(product);
            state.fee = i64::try_from(p.fee_for(p.validity_days)).map_err(FlowError::internal)?;
        }
        self.replan(state, product);
        Ok(json!({
            "serial": target.serial.to_hex(),
            "subject": target.subject,
            "product": product,
            "not_after": rfc3339(target.not_after),
            "fee_krw": state.fee,
        }))
    }

    /// Re-plans after the product is known, keeping the steps already taken.
    fn replan(&self, state: &mut FlowState, product: ProductId) {
        let plan = self.plan(state.kind, state.method, product);
        // The steps before and including the current one are the same in every plan of a kind.
        state.plan = plan;
    }

    pub(crate) async fn customer(&self, id: i64) -> Result<Customer, FlowError> {
        let c = self.customer_even_locked(id).await?;
        if c.is_locked() {
            return Err(FlowError::CustomerLocked);
        }
        Ok(c)
    }

    async fn customer_even_locked(&self, id: i64) -> Result<Customer, FlowError> {
        let c = self.store.customer(id).await.map_err(FlowError::internal)?;
        c.ok_or_else(|| FlowError::internal(format!("customer {id} vanished")))
    }

    /// The certificate a reissue, revoke, suspend or resume acts on.
    async fn select(
        &self,
        state: &FlowState,
        customer: &Customer,
        serial: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<CertificateRecord, FlowError> {
        let wanted = |c: &CertificateRecord| {
            let s = cert_state(c, now);
            match state.kind {
                FlowKind::Reissue | FlowKind::Suspend => s == "good",
                FlowKind::Revoke => s == "good" || s == "suspended",
                FlowKind::Resume => s == "suspended",
                _ => false,
            }
        };
        let owned = self.store.certificates_of(customer.id).await.map_err(FlowError::internal)?;
        let (joint, financial): (Vec<CertificateRecord>, Vec<CertificateRecord>) =
            owned.into_iter().partition(|c| {
                c.product.parse::<ProductId>().map(|p| p != ProductId::Financial).unwrap_or(false)
            });
        match serial {
            Some(text) => {
                let serial: Serial = text.parse().map_err(|e| {
                    FlowError::bad_input(Step::Select, BAD_SERIAL_KO, format!("{e}"))
                })?;
                if financial.iter().any(|c| c.serial == serial) {
                    return Err(FlowError::FinancialNotHere(serial));
                }
                let c = joint
                    .into_iter()
                    .find(|c| c.serial == serial)
                    .ok_or(FlowError::NotYourCertificate(serial.clone()))?;
                if !wanted(&c) {
                    return Err(FlowError::CertificateState { serial, state: cert_state(&c, now) });
                }
                Ok(c)
            }
            None => {
                let mut fitting: Vec<CertificateRecord> =
                    joint.into_iter().filter(wanted).collect();
                match fitting.len() {
                    1 => Ok(fitting.remove(0)),
                    0 => Err(FlowError::NoCertificate(format!(
                        "no certificate of this customer can be the target of {}",
                        state.kind.as_str()
                    ))),
                    n => Err(FlowError::bad_input(
                        Step::Select,
                        format!(
                            "해당하는 인증서가 {n}개 있습니다. 처리할 인증서를 하나 골라 주세요."
                        ),
                        format!(
                            "the customer has {n} such certificates; give the serial of one: {}",
                            fitting
                                .iter()
                                .map(|c| c.serial.to_hex())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
        }
    }

    /// Checks the proof of possession and the certificate's state for the flow.
    async fn possession(
        &self,
        id: &str,
        state: &FlowState,
        serial: &str,
        signature: &str,
        now: OffsetDateTime,
    ) -> Result<CertificateRecord, FlowError> {
        let serial: Serial = serial
            .parse()
            .map_err(|e| FlowError::bad_input(Step::Possession, BAD_SERIAL_KO, format!("{e}")))?;
        let sig =
            base64::engine::general_purpose::STANDARD.decode(signature.trim()).map_err(|_| {
                FlowError::bad_input(
                    Step::Possession,
                    "전자서명 값을 읽을 수 없습니다. 프로그램을 다시 실행해 주세요.",
                    "the signature is not base64",
                )
            })?;
        let nonce = base64::engine::general_purpose::STANDARD
            .decode(&state.nonce)
            .map_err(FlowError::internal)?;
        let record =
            self.store.certificate(&serial).await.map_err(FlowError::internal)?.ok_or_else(
                || FlowError::NoCertificate(format!("no certificate {serial} was issued here")),
            )?;
        let cert = <x509_cert::Certificate as der::Decode>::from_der(&record.der)
            .map_err(FlowError::internal)?;
        let message = possession::message(id, &nonce);
        if !possession::verify(&cert.tbs_certificate.subject_public_key_info, &message, &sig) {
            return Err(FlowError::BadPossession);
        }
        let current = cert_state(&record, now);
        match state.kind {
            FlowKind::Renew => {
                if current == "expired" {
                    return Err(FlowError::ExpiredCertificate { serial, ended: record.not_after });
                }
                if current != "good" {
                    return Err(FlowError::CertificateState { serial, state: current });
                }
                let from = record.not_after - self.settings.renewal_window;
                if now < from {
                    return Err(FlowError::TooEarlyToRenew {
                        serial,
                        from,
                        until: record.not_after,
                    });
                }
            }
            FlowKind::Revoke if current == "good" || current == "suspended" => {}
            FlowKind::Suspend if current == "good" => {}
            FlowKind::Resume if current == "suspended" => {}
            _ => return Err(FlowError::CertificateState { serial, state: current }),
        }
        Ok(record)
    }

    /// What the customer confirms, and (for issuing flows) the subject to put in the CSR.
    fn summary(
        &self,
        state: &FlowState,
        customer: &Customer,
    ) -> Result<serde_json::Value, FlowError> {
        let mut out = json!({
            "kind": state.kind,
            "kind_ko": state.kind.korean(),
            "customer": customer.name,
            "fee_krw": state.fee,
            "account": state.account.as_deref().map(checks::mask_account),
        });
        if let Some(t) = &state.target {
            out["target_serial"] = json!(t.serial);
        }
        if let Some(r) = state.reason {
            out["reason"] = json!(r);
        }
        if state.kind.issues() {
            let product_id = state.product.ok_or_else(|| FlowError::internal("no product"))?;
            let product = self.catalog.get(product_id);
            let subject = self.subject_for(state, customer)?;
            let (not_after, validity_days) = match (state.kind, &state.target) {
                (FlowKind::Reissue, Some(t)) => (Some(t.not_after), None),
                _ => (None, Some(product.validity_days)),
            };
            out["product"] = json!(product_id);
            out["product_ko"] = json!(product.name_ko);
            out["subject"] = json!(dojang_profile::name::korean_text(&subject));
            out["csr_subject"] = json!(crate::finish::openssl_subject(&subject));
            out["validity_days"] = json!(validity_days);
            out["not_after"] = json!(not_after
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                .map(rfc3339));
            out["key_types"] = json!(product.key_types);
            out["password_rule_ko"] = json!(
                "인증서 비밀번호는 영문, 숫자, 특수문자를 모두 포함해 10자 이상으로 정해 주세요."
            );
        }
        Ok(out)
    }

    pub(crate) fn subject_for(
        &self,
        state: &FlowState,
        customer: &Customer,
    ) -> Result<x509_cert::name::Name, FlowError> {
        let product =
            self.catalog.get(state.product.ok_or_else(|| FlowError::internal("no product"))?);
        let holder = dojang_profile::subject::Holder {
            name: customer.name.clone(),
            // The holder's number after "()": fixed per customer, so every certificate of one
            // customer carries the same one (as Korean CAs do).
            number: format!("001{:013}", customer.id),
        };
        self.rules.subject_for(product, &holder).map_err(|e| FlowError::Ra(e.to_string()))
    }
}
