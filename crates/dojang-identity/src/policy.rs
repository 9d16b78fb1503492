//! Which identity checks each flow needs, per product: configuration with the defaults of the
//! source documents. Every list runs after the customer has been found by internet-banking ID
//! and RRN ([`Identity::find_customer`](crate::Identity::find_customer)), in order.
//!
//! | flow | default (KB style, documents 000/001/004) |
//! |---|---|
//! | issue | ARS → account password → security card or OTP (financial: + SMS) |
//! | reissue | the same (document 001: the security card step) |
//! | renew | SMS (the proof of possession of the current key is the flow's own step) |
//! | revoke, suspend | banking login → ARS |
//! | resume | banking login → ARS → security card or OTP |
//! | financial-issue | ARS → account password → security card or OTP → SMS (document 004) |
//!
//! The K-Bank style of document 003 (ID card → one-won transfer → ARS) is the `kbank`
//! preset. In TOML:
//!
//! ```toml
//! preset = "kb"            # or "kbank"; flows not listed below keep the preset's lists
//! [flows.issue]
//! checks = ["ars", "account-password", "second-factor"]
//! [flows.issue.products]
//! corporate-general = ["banking-login", "ars", "account-password", "security-card"]
//! ```

use std::collections::BTreeMap;

use dojang_profile::ProductId;
use serde::{Deserialize, Serialize};

use crate::check::Check;

/// The flows that need identity checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowKind {
    /// 신규 발급.
    Issue,
    /// 재발급.
    Reissue,
    /// 갱신.
    Renew,
    /// 폐기.
    Revoke,
    /// 효력정지.
    Suspend,
    /// 효력회복.
    Resume,
    /// 금융인증서 발급.
    FinancialIssue,
}

impl FlowKind {
    pub const ALL: [FlowKind; 7] = [
        FlowKind::Issue,
        FlowKind::Reissue,
        FlowKind::Renew,
        FlowKind::Revoke,
        FlowKind::Suspend,
        FlowKind::Resume,
        FlowKind::FinancialIssue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Issue => "issue",
            FlowKind::Reissue => "reissue",
            FlowKind::Renew => "renew",
            FlowKind::Revoke => "revoke",
            FlowKind::Suspend => "suspend",
            FlowKind::Resume => "resume",
            FlowKind::FinancialIssue => "financial-issue",
        }
    }
}

/// The checks of one flow, with per-product exceptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowChecks {
    pub checks: Vec<Check>,
    #[serde(default)]
    pub products: BTreeMap<ProductId, Vec<Check>>,
}

impl FlowChecks {
    fn new(checks: &[Check]) -> Self {
        FlowChecks { checks: checks.to_vec(), products: BTreeMap::new() }
    }
}

/// The starting point of a policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// KB Kookmin Bank style (documents 000, 001, 004): ARS, account password, card or OTP.
    #[default]
    Kb,
    /// K-Bank style (document 003): ID card, one-won transfer, ARS.
    Kbank,
}

/// Which checks each flow needs. `Policy::default()` is the KB style of the documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyFile", into = "PolicyFile")]
pub struct Policy {
    preset: Preset,
    flows: BTreeMap<FlowKind, FlowChecks>,
}

/// The policy as written in TOML: a preset and the flows it changes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    preset: Preset,
    #[serde(default)]
    flows: BTreeMap<FlowKind, FlowChecks>,
}

/// A policy an operator wrote that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("identity policy, flow {flow}{}: check {check} is listed twice", product.map(|p| format!(" (product {p})")).unwrap_or_default())]
    Repeated { flow: &'static str, product: Option<ProductId>, check: Check },
    #[error("identity policy, flow {flow}{}: second-factor already means the security card or the OTP; list either it or them", product.map(|p| format!(" (product {p})")).unwrap_or_default())]
    SecondFactorTwice { flow: &'static str, product: Option<ProductId> },
    #[error("identity policy, flow {flow}{}: at least one identity check is needed (renew may have none)", product.map(|p| format!(" (product {p})")).unwrap_or_default())]
    Empty { flow: &'static str, product: Option<ProductId> },
    #[error("identity policy: {0}")]
    Toml(String),
}

impl Default for Policy {
    fn default() -> Self {
        Policy::preset(Preset::Kb)
    }
}

impl Policy {
    /// The lists of a preset.
    pub fn preset(preset: Preset) -> Policy {
        use Check::*;
        let mut flows = BTreeMap::new();
        match preset {
            Preset::Kb => {
                let issue = [Ars, AccountPassword, SecondFactor];
                let financial = [Ars, AccountPassword, SecondFactor, Sms];
                let mut issue_checks = FlowChecks::new(&issue);
                issue_checks.products.insert(ProductId::Financial, financial.to_vec());
                flows.insert(FlowKind::Issue, issue_checks.clone());
                flows.insert(FlowKind::Reissue, issue_checks);
                flows.insert(FlowKind::FinancialIssue, FlowChecks::new(&financial));
                flows.insert(FlowKind::Resume, FlowChecks::new(&[BankingLogin, Ars, SecondFactor]));
            }
            Preset::Kbank => {
                let issue = [IdCard, OneWonTransfer, Ars];
                flows.insert(FlowKind::Issue, FlowChecks::new(&issue));
                flows.insert(FlowKind::Reissue, FlowChecks::new(&issue));
                flows.insert(
                    FlowKind::FinancialIssue,
                    FlowChecks::new(&[IdCard, OneWonTransfer, Ars, Sms]),
                );
                flows.insert(FlowKind::Resume, FlowChecks::new(&issue));
            }
        }
        flows.insert(FlowKind::Renew, FlowChecks::new(&[Sms]));
        flows.insert(FlowKind::Revoke, FlowChecks::new(&[BankingLogin, Ars]));
        flows.insert(FlowKind::Suspend, FlowChecks::new(&[BankingLogin, Ars]));
        Policy { preset, flows }
    }

    /// The K-Bank style of document 003.
    pub fn kbank() -> Policy {
        Policy::preset(Preset::Kbank)
    }

    /// Reads a policy from TOML text (the `[identity.policy]` table's contents).
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError::Toml(e.to_string()))
    }

    /// The checks `flow` needs for `product`, in order.
    pub fn checks(&self, flow: FlowKind, product: ProductId) -> &[Check] {
        match self.flows.get(&flow) {
            Some(f) => f.products.get(&product).unwrap_or(&f.checks),
            None => &[],
        }
    }

    /// Whether `check` is among the checks of `flow` for `product` (the flow engine refuses a
    /// check the policy does not ask for).
    pub fn requires(&self, flow: FlowKind, product: ProductId, check: Check) -> bool {
        self.checks(flow, product).contains(&check)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        for (flow, f) in &self.flows {
            let lists = std::iter::once((None, &f.checks))
                .chain(f.products.iter().map(|(p, l)| (Some(*p), l)));
            for (product, list) in lists {
                let name = flow.as_str();
                if list.is_empty() && *flow != FlowKind::Renew {
                    return Err(PolicyError::Empty { flow: name, product });
                }
                for (i, c) in list.iter().enumerate() {
                    if list[..i].contains(c) {
                        return Err(PolicyError::Repeated { flow: name, product, check: *c });
                    }
                }
                let second = list.contains(&Check::SecondFactor);
                if second && (list.contains(&Check::SecurityCard) || list.contains(&Check::Otp)) {
                    return Err(PolicyError::SecondFactorTwice { flow: name, product });
                }
            }
        }
        Ok(())
    }
}

impl TryFrom<PolicyFile> for Policy {
    type Error = PolicyError;
    fn try_from(file: PolicyFile) -> Result<Self, Self::Error> {
        let mut policy = Policy::preset(file.preset);
        policy.flows.extend(file.flows);
        policy.validate()?;
        Ok(policy)
    }
}

impl From<Policy> for PolicyFile {
    fn from(p: Policy) -> Self {
        PolicyFile { preset: p.preset, flows: p.flows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Check::*;

    #[test]
    fn defaults_follow_the_documents() {
        let p = Policy::default();
        assert_eq!(
            p.checks(FlowKind::Issue, ProductId::PersonalBank),
            [Ars, AccountPassword, SecondFactor]
        );
        assert_eq!(
            p.checks(FlowKind::Reissue, ProductId::PersonalGeneral),
            [Ars, AccountPassword, SecondFactor]
        );
        assert_eq!(
            p.checks(FlowKind::Issue, ProductId::Financial),
            [Ars, AccountPassword, SecondFactor, Sms]
        );
        assert_eq!(
            p.checks(FlowKind::FinancialIssue, ProductId::Financial),
            [Ars, AccountPassword, SecondFactor, Sms]
        );
        assert_eq!(p.checks(FlowKind::Renew, ProductId::PersonalBank), [Sms]);
        assert_eq!(p.checks(FlowKind::Revoke, ProductId::Limited), [BankingLogin, Ars]);
        assert_eq!(p.checks(FlowKind::Suspend, ProductId::Limited), [BankingLogin, Ars]);
        assert!(p.requires(FlowKind::Resume, ProductId::PersonalBank, SecondFactor));
        let k = Policy::kbank();
        assert_eq!(
            k.checks(FlowKind::Issue, ProductId::PersonalBank),
            [IdCard, OneWonTransfer, Ars]
        );
    }

    #[test]
    fn an_operator_changes_one_flow_in_toml_and_keeps_the_rest() {
        let p = Policy::from_toml(
            "preset = \"kbank\"\n[flows.revoke]\nchecks = [\"banking-login\", \"sms\"]\n\
             [flows.issue]\nchecks = [\"ars\", \"account-password\", \"second-factor\"]\n\
             [flows.issue.products]\ncorporate-general = [\"banking-login\", \"ars\", \"security-card\"]\n",
        )
        .expect("policy");
        assert_eq!(p.checks(FlowKind::Revoke, ProductId::PersonalBank), [BankingLogin, Sms]);
        assert_eq!(
            p.checks(FlowKind::Issue, ProductId::CorporateGeneral),
            [BankingLogin, Ars, SecurityCard]
        );
        assert_eq!(
            p.checks(FlowKind::Issue, ProductId::PersonalBank),
            [Ars, AccountPassword, SecondFactor]
        );
        assert_eq!(
            p.checks(FlowKind::Reissue, ProductId::PersonalBank),
            [IdCard, OneWonTransfer, Ars]
        );
        // What it serialises to reads back the same.
        let again = Policy::from_toml(&toml::to_string(&p).expect("to toml")).expect("read back");
        assert_eq!(again, p);
    }

    #[test]
    fn policies_that_cannot_work_are_refused_with_the_reason() {
        for (text, want) in [
            ("[flows.issue]\nchecks = [\"ars\", \"ars\"]", "listed twice"),
            ("[flows.issue]\nchecks = [\"second-factor\", \"otp\"]", "second-factor already"),
            ("[flows.revoke]\nchecks = []", "at least one"),
            ("[flows.issue]\nchecks = [\"fingerprint\"]", "unknown variant"),
            ("[flows.sign]\nchecks = [\"ars\"]", "unknown variant"),
            (
                "[flows.issue]\nchecks = [\"ars\"]\n[flows.issue.products]\nnope = [\"ars\"]",
                "unknown product",
            ),
            ("presett = \"kb\"", "unknown field"),
        ] {
            let err = Policy::from_toml(text).expect_err(text).to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        assert!(Policy::from_toml("[flows.renew]\nchecks = []").is_ok());
    }
}
