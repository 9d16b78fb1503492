//! The glue between flows and identity checks (`dojang-identity`): which checks a flow needs
//! (the identity policy, mapped to steps), and running the identify, payment and challenge
//! steps through them. Identity errors become flow errors carrying their own Korean and
//! English sentences.

use dojang_identity::{Answer, Check, IdentityError};
use dojang_npki::vid::Rrn;
use dojang_profile::ProductId;
use dojang_store::Customer;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::engine::{parse, Flows, Outcome};
use crate::error::FlowError;
use crate::kind::FlowKind;
use crate::state::FlowState;
use crate::step::Step;

/// Which identity checks each flow needs, as steps.
#[derive(Clone, Debug, Default)]
pub struct Policy(pub dojang_identity::Policy);

impl Policy {
    fn checks(&self, kind: FlowKind, product: ProductId) -> Vec<Check> {
        let kind = match kind {
            FlowKind::Issue => dojang_identity::FlowKind::Issue,
            FlowKind::Reissue => dojang_identity::FlowKind::Reissue,
            FlowKind::Renew => dojang_identity::FlowKind::Renew,
            FlowKind::Revoke => dojang_identity::FlowKind::Revoke,
            FlowKind::Suspend => dojang_identity::FlowKind::Suspend,
            FlowKind::Resume => dojang_identity::FlowKind::Resume,
            // Re-verification asks for everything the first issue asked (document 004).
            FlowKind::FinancialIssue | FlowKind::FinancialReissue => {
                dojang_identity::FlowKind::FinancialIssue
            }
        };
        self.0.checks(kind, product).to_vec()
    }

    /// The steps of the checks, in the policy's order. Checks done inside the identify step
    /// (RRN and name, banking password) are not steps of their own.
    pub fn steps(&self, kind: FlowKind, product: ProductId) -> Vec<Step> {
        self.checks(kind, product)
            .into_iter()
            .filter_map(|c| match c {
                Check::RrnName | Check::BankingLogin => None,
                Check::Ars => Some(Step::CheckArs),
                Check::Sms => Some(Step::CheckSms),
                Check::SecurityCard => Some(Step::CheckSecurityCard),
                Check::Otp => Some(Step::CheckOtp),
                Check::SecondFactor => Some(Step::CheckSecondFactor),
                Check::IdCard => Some(Step::CheckIdCard),
                Check::OneWonTransfer => Some(Step::CheckOneWon),
                Check::AccountPassword => Some(Step::Payment),
            })
            .collect()
    }

    fn identify_needs(&self, kind: FlowKind, product: ProductId) -> (bool, bool) {
        let checks = self.checks(kind, product);
        (checks.contains(&Check::RrnName), checks.contains(&Check::BankingLogin))
    }
}

fn identity_error(e: IdentityError) -> FlowError {
    if !e.is_customer_error() {
        // The center failed (store, vault, gateway): say so plainly, keep the detail in the log.
        tracing::error!(error = %e.message_en(), "identity check failed inside the center");
    }
    FlowError::Identity {
        code: e.code().replace('-', "_"),
        ko: e.message_ko(),
        en: e.message_en(),
        locked: matches!(e, IdentityError::Locked { .. } | IdentityError::CustomerLocked),
        internal: !e.is_customer_error(),
        attempts_left: match e {
            IdentityError::WrongAnswer { attempts_left, .. } => Some(attempts_left),
            _ => None,
        },
    }
}

pub(crate) use dojang_identity::mask_account;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifyInput {
    banking_id: String,
    /// A person's resident registration number…
    #[serde(default)]
    rrn: Option<String>,
    /// …or a business's registration number (사업자등록번호).
    #[serde(default)]
    business_number: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The identify step: internet-banking ID and RRN, plus the name or the banking password when
/// the policy asks for them.
pub(crate) async fn identify(
    flows: &Flows,
    step: Step,
    state: &FlowState,
    input: serde_json::Value,
    flow_id: &str,
    now: OffsetDateTime,
) -> Result<Customer, FlowError> {
    let input: IdentifyInput = parse(step, input)?;
    let (customer, rrn) = match (&input.rrn, &input.business_number) {
        (Some(text), None) => {
            let rrn = Rrn::new(text).map_err(|_| {
                FlowError::bad_input(
                    step,
                    "주민등록번호 13자리를 입력해 주세요 (예: 900101-1234567).",
                    "the resident registration number must be 13 digits (900101-1234567)",
                )
            })?;
            let c = flows
                .identity
                .find_customer(input.banking_id.trim(), &rrn, now)
                .await
                .map_err(identity_error)?;
            (c, Some(rrn))
        }
        (None, Some(number)) => {
            let c = flows
                .identity
                .find_business(input.banking_id.trim(), number, now)
                .await
                .map_err(identity_error)?;
            (c, None)
        }
        _ => {
            return Err(FlowError::bad_input(
                step,
                "주민등록번호를 입력해 주세요. 법인은 사업자등록번호를 입력해 주세요.",
                "give either the resident registration number (rrn) or, for a business, its registration number (business_number)",
            ))
        }
    };
    let (need_name, need_password) =
        flows.policy.identify_needs(state.kind, state.product.unwrap_or(ProductId::PersonalBank));
    if let (true, Some(rrn)) = (need_name, rrn) {
        let name = input.name.ok_or_else(|| {
            FlowError::bad_input(step, "이름도 입력해 주세요.", "the name is needed too")
        })?;
        flows
            .identity
            .answer(Check::RrnName, &customer, flow_id, &Answer::RrnName { rrn, name }, now)
            .await
            .map_err(identity_error)?;
    }
    if need_password {
        let password = input.password.ok_or_else(|| {
            FlowError::bad_input(
                step,
                "인터넷뱅킹 비밀번호도 입력해 주세요.",
                "the internet-banking password is needed too",
            )
        })?;
        flows
            .identity
            .answer(
                Check::BankingLogin,
                &customer,
                flow_id,
                &Answer::BankingLogin { id: input.banking_id, password },
                now,
            )
            .await
            .map_err(identity_error)?;
    }
    flows.customer(customer.id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentInput {
    account: String,
    password: String,
}

/// The payment step: the withdrawal account and its password. Returns the account and its
/// balance; the fee is charged only when the flow finishes.
pub(crate) async fn payment(
    flows: &Flows,
    step: Step,
    _state: &FlowState,
    customer: &Customer,
    input: serde_json::Value,
    flow_id: &str,
    now: OffsetDateTime,
) -> Result<(String, i64), FlowError> {
    let input: PaymentInput = parse(step, input)?;
    // Accounts are kept as their digits; customers type them with or without dashes.
    let account: String = input.account.chars().filter(char::is_ascii_digit).collect();
    flows
        .identity
        .answer(
            Check::AccountPassword,
            customer,
            flow_id,
            &Answer::AccountPassword { account: account.clone(), password: input.password },
            now,
        )
        .await
        .map_err(identity_error)?;
    let record = flows
        .store
        .account(&account)
        .await
        .map_err(FlowError::internal)?
        .ok_or_else(|| FlowError::internal("the checked account vanished"))?;
    Ok((account, record.balance))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "action", rename_all = "kebab-case")]
enum ChallengeInput {
    /// Send the code, pose the challenge. The one-won transfer needs the account to deposit into.
    Start {
        #[serde(default)]
        account: Option<String>,
    },
    /// The customer's answer.
    Answer {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        first: Option<String>,
        #[serde(default)]
        second: Option<String>,
        #[serde(default)]
        id_kind: Option<String>,
        #[serde(default)]
        id_number: Option<String>,
        #[serde(default)]
        issue_date: Option<String>,
    },
}

fn check_of(step: Step) -> Option<Check> {
    Some(match step {
        Step::CheckArs => Check::Ars,
        Step::CheckSms => Check::Sms,
        Step::CheckSecurityCard => Check::SecurityCard,
        Step::CheckOtp => Check::Otp,
        Step::CheckSecondFactor => Check::SecondFactor,
        Step::CheckIdCard => Check::IdCard,
        Step::CheckOneWon => Check::OneWonTransfer,
        _ => return None,
    })
}

/// A challenge step: `{"action":"start"}` sends the code or poses the challenge;
/// `{"action":"answer", …}` checks the answer and, when right, moves the flow on.
pub(crate) async fn challenge(
    flows: &Flows,
    step: Step,
    state: &mut FlowState,
    customer: &Customer,
    input: serde_json::Value,
    flow_id: &str,
    now: OffsetDateTime,
) -> Result<Outcome, FlowError> {
    let check = check_of(step).ok_or_else(|| FlowError::internal("not a challenge step"))?;
    let input: ChallengeInput = parse(step, input)?;
    match input {
        ChallengeInput::Start { account } => {
            let prompt = match (check, account) {
                (Check::OneWonTransfer, Some(account)) => flows
                    .identity
                    .start_one_won(customer, flow_id, account.trim(), now)
                    .await
                    .map_err(identity_error)?,
                (Check::OneWonTransfer, None) => {
                    return Err(FlowError::bad_input(
                        step,
                        "1원을 입금받을 계좌번호를 입력해 주세요.",
                        "the account to deposit 1 won into is missing",
                    ))
                }
                (_, _) => flows
                    .identity
                    .start(check, customer, flow_id, now)
                    .await
                    .map_err(identity_error)?,
            };
            state.started = Some(step);
            Ok(Outcome { advance: false, output: json!({ "prompt": prompt }) })
        }
        ChallengeInput::Answer { code, first, second, id_kind, id_number, issue_date } => {
            if state.started != Some(step) && check != Check::IdCard {
                return Err(FlowError::NotStarted);
            }
            let missing = |what: &str| {
                let ko = match what {
                    "first" => "보안카드 번호의 앞 두 자리",
                    "second" => "보안카드 번호의 뒤 두 자리",
                    "id_kind" => "신분증 종류",
                    "id_number" => "신분증 번호",
                    "issue_date" => "신분증 발급일자",
                    _ => "인증번호",
                };
                FlowError::bad_input(
                    step,
                    format!("{ko}를 입력해 주세요."),
                    format!("{what} is missing"),
                )
            };
            let answer = match check {
                Check::SecurityCard => Answer::SecurityCard {
                    first: first.ok_or_else(|| missing("first"))?,
                    second: second.ok_or_else(|| missing("second"))?,
                },
                Check::SecondFactor if first.is_some() || second.is_some() => {
                    Answer::SecurityCard {
                        first: first.ok_or_else(|| missing("first"))?,
                        second: second.ok_or_else(|| missing("second"))?,
                    }
                }
                Check::Otp | Check::SecondFactor => {
                    Answer::Otp(code.ok_or_else(|| missing("code"))?)
                }
                Check::IdCard => {
                    let kind = id_kind.ok_or_else(|| missing("id_kind"))?;
                    let date = issue_date.ok_or_else(|| missing("issue_date"))?;
                    let format = time::macros::format_description!("[year]-[month]-[day]");
                    Answer::IdCard {
                        kind: kind.parse().map_err(|_| {
                            FlowError::bad_input(
                                step,
                                "신분증 종류는 주민등록증, 운전면허증, 여권 중에서 골라 주세요.",
                                "id_kind is resident (주민등록증), driver (운전면허증) or passport (여권)",
                            )
                        })?,
                        number: id_number.ok_or_else(|| missing("id_number"))?,
                        issue_date: time::Date::parse(date.trim(), format)
                            .map_err(|_| {
                                FlowError::bad_input(
                                    step,
                                    "신분증 발급일자는 2015-03-02처럼 연-월-일로 입력해 주세요.",
                                    "issue_date is YYYY-MM-DD",
                                )
                            })?,
                    }
                }
                _ => Answer::Code(code.ok_or_else(|| missing("code"))?),
            };
            flows
                .identity
                .answer(check, customer, flow_id, &answer, now)
                .await
                .map_err(identity_error)?;
            Ok(Outcome { advance: true, output: json!({ "passed": step.name() }) })
        }
    }
}
