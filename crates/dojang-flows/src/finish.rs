//! The last step of a flow: everything it changes lands in one transaction with the flow's
//! own finish (a compare-and-swap) and the audit entries — or nothing does.

use base64::Engine as _;
use der::EncodePem;
use dojang_npki::vid::{self, IdentifyData, Rrn, VidHash};
use dojang_pki::{RevocationReason, Serial};
use dojang_ra::IssueRequest;
use dojang_store::{
    Actor, AuditEvent, Customer, CustomerKind, FinishFee, Finished, FlowFinish, FlowRecord,
    StoreError, Superseded,
};
use dojang_vault::Purpose;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use x509_cert::name::Name;

use crate::checks::mask_account;
use crate::engine::Flows;
use crate::error::FlowError;
use crate::kind::FlowKind;
use crate::signers::SignError;
use crate::state::FlowState;
use crate::step::Step;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrInput {
    /// The CSR: PEM, or base64 of the DER.
    csr: String,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A name in OpenSSL's `-subj` form (`/C=KR/O=…/OU=…/CN=…`), root first, for CSR tools.
pub(crate) fn openssl_subject(name: &Name) -> String {
    let mut out = String::new();
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            let key = dojang_profile::name::short_name(&atv.oid).to_uppercase();
            let value = dojang_profile::name::attr_string(&atv.value).unwrap_or_default();
            out.push('/');
            out.push_str(&key);
            out.push('=');
            out.push_str(&value.replace('/', "\\/"));
        }
    }
    out
}

fn store_err(e: StoreError) -> FlowError {
    match e {
        StoreError::InsufficientFunds { account, balance, needed } => {
            FlowError::InsufficientFunds { account: mask_account(&account), balance, fee: needed }
        }
        StoreError::AlreadyRevoked { serial, .. } => {
            FlowError::CertificateState { serial, state: "revoked" }
        }
        StoreError::NotSuspended(serial) => FlowError::CertificateState { serial, state: "good" },
        other => FlowError::internal(other),
    }
}

impl Flows {
    /// The RA's work for one certificate (the CSR's signature checked, the certificate
    /// signed), on a signing thread ([`crate::signers`]).
    pub(crate) async fn prepare(
        &self,
        request: &IssueRequest<'static>,
        now: OffsetDateTime,
    ) -> Result<dojang_ra::Prepared, FlowError> {
        match self.signers.prepare(request.clone(), now).await {
            Ok(prepared) => Ok(prepared),
            Err(SignError::Refused(e)) => Err(FlowError::Ra(e.to_string())),
            Err(e @ SignError::Stopped) => Err(FlowError::internal(e)),
        }
    }

    /// The VID for a person's certificate: identifyData with the real name and
    /// H(H(RRN ‖ R)), R drawn now. Returns the subjectAltName and R (which goes back to the
    /// customer's software, into signPri.key).
    pub(crate) fn vid_for(
        &self,
        customer: &Customer,
    ) -> Result<Option<(x509_cert::ext::Extension, Vec<u8>)>, FlowError> {
        if customer.kind != CustomerKind::Person {
            return Ok(None);
        }
        let sealed = customer
            .rrn_sealed
            .as_ref()
            .ok_or_else(|| FlowError::internal("person without RRN"))?;
        let plain = self.vault.open_sealed(Purpose::Rrn, sealed).map_err(FlowError::internal)?;
        let text = std::str::from_utf8(&plain).map_err(FlowError::internal)?;
        let rrn = Rrn::new(text).map_err(FlowError::internal)?;
        let r = vid::generate_random_num().map_err(FlowError::internal)?;
        let data = IdentifyData::new(&customer.name, &rrn, r.as_slice(), VidHash::Sha256)
            .map_err(FlowError::internal)?;
        let san = data.to_subject_alt_name().map_err(FlowError::internal)?;
        let ext = dojang_profile::ext::extension(
            const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME,
            false,
            &san,
        )
        .map_err(FlowError::internal)?;
        Ok(Some((ext, r.to_vec())))
    }

    /// The CSR step of issue, reissue and renew.
    pub(crate) async fn finish_issue(
        &self,
        id: &str,
        record: &FlowRecord,
        state: &mut FlowState,
        customer: Option<&Customer>,
        input: serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<serde_json::Value, FlowError> {
        let input: CsrInput = crate::engine::parse(Step::Csr, input)?;
        let csr_bytes = if input.csr.trim_start().starts_with("-----BEGIN") {
            input.csr.into_bytes()
        } else {
            base64::engine::general_purpose::STANDARD.decode(input.csr.trim()).map_err(|_| {
                FlowError::bad_input(
                    Step::Csr,
                    "인증서 요청(CSR)을 읽을 수 없습니다. 프로그램을 다시 실행해 주세요.",
                    "the CSR is neither PEM nor base64 DER",
                )
            })?
        };
        let customer = customer.ok_or_else(|| FlowError::internal("no customer"))?;
        let product = state.product.ok_or_else(|| FlowError::internal("no product"))?;
        let subject = self.subject_for(state, customer)?;
        let (san, random_num) = match self.vid_for(customer)? {
            Some((ext, r)) => (Some(ext), Some(r)),
            None => (None, None),
        };
        // A reissue keeps the old certificate's end (document 001).
        let not_after = match (state.kind, &state.target) {
            (FlowKind::Reissue, Some(t)) => Some(
                OffsetDateTime::from_unix_timestamp(t.not_after).map_err(FlowError::internal)?,
            ),
            _ => None,
        };
        let request = IssueRequest {
            csr: csr_bytes.into(),
            product,
            not_after,
            subject_alt_name: san,
            required_subject: Some(subject),
            customer_id: Some(customer.id),
        };
        let old: Option<Serial> = match &state.target {
            Some(t) if matches!(state.kind, FlowKind::Reissue | FlowKind::Renew) => {
                Some(t.serial.parse().map_err(FlowError::internal)?)
            }
            _ => None,
        };
        state.position = state.plan.len();
        let actor = Actor::Customer(customer.id);

        for _ in 0..dojang_ra::RegistrationAuthority::SERIAL_TRIES {
            let prepared = self.prepare(&request, now).await?;
            let issued = &prepared.issued;
            let output = json!({
                "serial": issued.serial.to_hex(),
                "subject": issued.subject,
                "product": issued.product,
                "not_before": rfc3339(issued.not_before),
                "not_after": rfc3339(issued.not_after),
                "certificate_pem": issued.pem().map_err(FlowError::internal)?,
                "chain_pem": self.chain_pem()?,
                "random_num": random_num.as_ref().map(|r| base64::engine::general_purpose::STANDARD.encode(r)),
                "fee_krw": state.fee,
                "account": state.account.as_deref().map(mask_account),
                "superseded": old.as_ref().map(|s| s.to_hex()),
            });
            let mut saved = state.clone();
            saved.output =
                json!({ "serial": issued.serial.to_hex(), "not_after": rfc3339(issued.not_after) });
            let text = serde_json::to_string(&saved).map_err(FlowError::internal)?;

            let fee = match state.fee {
                fee if fee <= 0 => None,
                fee => {
                    let account = state
                        .account
                        .clone()
                        .ok_or_else(|| FlowError::internal("fee without account"))?;
                    let serial = issued.serial.to_hex();
                    let audit = AuditEvent::new(
                        actor.clone(),
                        "fee.charge",
                        format!("account:{}", mask_account(&account)),
                        json!({ "flow": id, "fee_krw": fee, "serial": serial }),
                    );
                    Some(FinishFee {
                        memo: format!("인증서 수수료 ({serial})"),
                        account,
                        amount: fee,
                        audit,
                    })
                }
            };
            let superseded = old.as_ref().map(|old| Superseded {
                serial: old.clone(),
                audit: AuditEvent::new(
                    actor.clone(),
                    "certificate.revoke",
                    format!("certificate:{}", old.to_hex()),
                    json!({ "flow": id, "reason": "superseded", "by": issued.serial.to_hex() }),
                ),
            });
            let finish = FlowFinish {
                flow: id.to_string(),
                version: record.version,
                expires_at: record.expires_at,
                state: text,
                customer_id: customer.id,
                certificate: prepared.record.clone(),
                fee,
                superseded,
                audit: AuditEvent::new(
                    actor.clone(),
                    &format!("certificate.{}", state.kind.as_str()),
                    format!("certificate:{}", issued.serial.to_hex()),
                    json!({ "flow": id, "product": issued.product, "not_after": rfc3339(issued.not_after) }),
                ),
                now,
            };
            // Flows finishing at the same moment share one durable commit; each one's changes
            // stay all-or-nothing.
            let finished = self.store.finish_flow(finish).await;
            match finished {
                Ok(Finished::Issued) => {}
                Ok(Finished::FlowMoved) => return Err(FlowError::Conflict),
                // Nothing of this try was kept; draw a new serial.
                Err(StoreError::DuplicateSerial(_)) => continue,
                Err(e) => return Err(store_err(e)),
            }
            tracing::info!(flow = id, serial = %issued.serial, kind = state.kind.as_str(), "flow finished with a certificate");
            return Ok(output);
        }
        Err(FlowError::internal("no free serial number"))
    }

    /// The confirm step of revoke, suspend and resume.
    pub(crate) async fn finish_status(
        &self,
        id: &str,
        record: &FlowRecord,
        state: &mut FlowState,
        now: OffsetDateTime,
    ) -> Result<serde_json::Value, FlowError> {
        let target = state.target.as_ref().ok_or_else(|| FlowError::internal("no target"))?;
        let serial: Serial = target.serial.parse().map_err(FlowError::internal)?;
        let customer_id = state.customer_id.ok_or_else(|| FlowError::internal("no customer"))?;
        state.position = state.plan.len();
        let text = serde_json::to_string(&state).map_err(FlowError::internal)?;
        let mut tx = self.store.begin().await.map_err(FlowError::internal)?;
        if !tx
            .advance_flow(
                id,
                record.version,
                &text,
                Some(customer_id),
                now,
                record.expires_at,
                true,
            )
            .await
            .map_err(FlowError::internal)?
        {
            return Err(FlowError::Conflict);
        }
        let (action, reason) = match state.kind {
            FlowKind::Revoke => {
                ("certificate.revoke", state.reason.unwrap_or(RevocationReason::Unspecified))
            }
            FlowKind::Suspend => ("certificate.suspend", RevocationReason::CertificateHold),
            FlowKind::Resume => ("certificate.resume", RevocationReason::CertificateHold),
            other => {
                return Err(FlowError::internal(format!(
                    "{} does not end in confirm",
                    other.as_str()
                )))
            }
        };
        if state.kind == FlowKind::Resume {
            tx.resume(&serial).await.map_err(store_err)?;
        } else {
            tx.revoke(&serial, reason, now).await.map_err(store_err)?;
        }
        tx.audit(
            &AuditEvent::new(
                Actor::Customer(customer_id),
                action,
                format!("certificate:{}", serial.to_hex()),
                json!({ "flow": id, "reason": reason, "method": state.method }),
            ),
            now,
        )
        .await
        .map_err(FlowError::internal)?;
        tx.commit().await.map_err(FlowError::internal)?;
        tracing::info!(flow = id, serial = %serial, kind = state.kind.as_str(), "flow finished");
        Ok(json!({
            "serial": serial.to_hex(),
            "status": match state.kind { FlowKind::Resume => "good", FlowKind::Suspend => "suspended", _ => "revoked" },
            "reason": if state.kind == FlowKind::Resume { None } else { Some(reason) },
            "at": rfc3339(now),
        }))
    }

    /// The chain a relying party needs above a customer's certificate: issuing CA, then root
    /// (PEM). Encoded once: every certificate handed out carries it.
    pub(crate) fn chain_pem(&self) -> Result<[String; 2], FlowError> {
        if let Some(chain) = self.chain_pem.get() {
            return Ok(chain.clone());
        }
        let pem = |c: &x509_cert::Certificate| {
            c.to_pem(der::pem::LineEnding::LF).map_err(FlowError::internal)
        };
        let chain = [pem(self.ca.issuing_certificate())?, pem(self.ca.root_certificate())?];
        Ok(self.chain_pem.get_or_init(|| chain).clone())
    }
}
