//! The `pin` step, last of `financial-issue` and `financial-reissue`: the PIN is judged, the
//! center makes the holder key (sealed under vault + PIN) and the certificate key pair, the RA
//! signs its CSR, and one transaction finishes the flow, keeps the certificate and its wrapped
//! key, revokes the financial certificate it replaces (superseded) and writes the audit.

use dojang_pki::{RevocationReason, Serial};
use dojang_profile::ProductId;
use dojang_ra::IssueRequest;
use dojang_store::{Actor, AuditEvent, CertificateRecord, Customer, FlowRecord, StoreError};
use dojang_vault::Purpose;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::custody::{self, NewHolder};
use super::keys::{self, CertKey};
use super::pin;
use crate::engine::{cert_state, Flows};
use crate::error::FlowError;
use crate::kind::FlowKind;
use crate::state::FlowState;
use crate::step::Step;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinInput {
    /// Six digits.
    pin: String,
    /// Renew automatically in the last 30 days (the customer's choice; off by default).
    #[serde(default)]
    auto_renew: bool,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Flows {
    /// The holder's birth date as the RRN's first six digits (YYMMDD), for the PIN rule.
    pub(crate) fn birth_of(&self, customer: &Customer) -> Result<Option<String>, FlowError> {
        let Some(sealed) = customer.rrn_sealed.as_ref() else { return Ok(None) };
        let plain = self.vault.open_sealed(Purpose::Rrn, sealed).map_err(FlowError::internal)?;
        Ok(plain.get(..6).and_then(|b| std::str::from_utf8(b).ok()).map(str::to_string))
    }

    /// The customer's financial certificates that are still in force (good or suspended).
    pub(crate) async fn live_financial(
        &self,
        customer_id: i64,
        now: OffsetDateTime,
    ) -> Result<Vec<CertificateRecord>, FlowError> {
        let all = self.store.certificates_of(customer_id).await.map_err(FlowError::internal)?;
        Ok(all
            .into_iter()
            .filter(|c| c.product.parse::<ProductId>().is_ok_and(|p| p == ProductId::Financial))
            .filter(|c| matches!(cert_state(c, now), "good" | "suspended"))
            .collect())
    }

    pub(crate) async fn finish_financial(
        &self,
        id: &str,
        record: &FlowRecord,
        state: &mut FlowState,
        customer: Option<&Customer>,
        input: serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<serde_json::Value, FlowError> {
        // Its own sentence rather than the field's: it says what a PIN is.
        let input: PinInput = dojang_json::from_value(input).map_err(|_| {
            FlowError::bad_input(
                Step::Pin,
                "금융인증서 비밀번호(숫자 6자리)와 자동 갱신 여부를 보내 주세요.",
                "give {\"pin\": \"six digits\", \"auto_renew\": true|false}",
            )
        })?;
        let text = Zeroizing::new(input.pin);
        let customer = customer.ok_or_else(|| FlowError::internal("no customer"))?;
        let birth = self.birth_of(customer)?;
        let pin = pin::check_new(&text, birth.as_deref()).map_err(FlowError::WeakPin)?;
        let old = self.live_financial(customer.id, now).await?;
        if state.kind == FlowKind::FinancialIssue {
            if let Some(c) = old.first() {
                return Err(FlowError::FinancialExists(c.serial.clone()));
            }
        }
        // Argon2id and RSA key generation are CPU work: off the async workers.
        let vault = self.vault.clone();
        let cid = customer.id;
        let (holder, key) =
            tokio::task::spawn_blocking(move || -> Result<(NewHolder, CertKey), FlowError> {
                let holder = custody::new_holder(&vault, cid, &pin).map_err(FlowError::internal)?;
                let key = CertKey::generate().map_err(FlowError::internal)?;
                Ok((holder, key))
            })
            .await
            .map_err(FlowError::internal)??;
        let subject = self.subject_for(state, customer)?;
        let csr = key.csr(subject.clone()).map_err(FlowError::internal)?;
        let pkcs8 = key.pkcs8().map_err(FlowError::internal)?;
        let (san, random_num) = match self.vid_for(customer)? {
            Some((ext, r)) => (Some(ext), Some(r)),
            None => (None, None),
        };
        let kept = keys::kept_form(&pkcs8, random_num.as_deref()).map_err(FlowError::internal)?;
        let request = IssueRequest {
            csr: csr.into(),
            product: ProductId::Financial,
            not_after: None,
            subject_alt_name: san,
            required_subject: Some(subject),
            customer_id: Some(customer.id),
        };
        state.position = state.plan.len();
        let actor = Actor::Customer(customer.id);
        for _ in 0..dojang_ra::RegistrationAuthority::SERIAL_TRIES {
            let prepared = self.prepare(&request, now).await?;
            let issued = &prepared.issued;
            let serial_hex = issued.serial.to_hex();
            let wrapped = custody::wrap_for_holder(
                &self.vault,
                customer.id,
                &holder.public,
                &serial_hex,
                &kept,
            )
            .map_err(FlowError::internal)?;
            let superseded: Vec<String> = old.iter().map(|c| c.serial.to_hex()).collect();
            let output = json!({
                "credential_id": serial_hex,
                "serial": serial_hex,
                "subject": issued.subject,
                "product": issued.product,
                "not_before": rfc3339(issued.not_before),
                "not_after": rfc3339(issued.not_after),
                "certificate_pem": issued.pem().map_err(FlowError::internal)?,
                "chain_pem": self.chain_pem()?,
                "auto_renew": input.auto_renew,
                "key_kept_by": "center",
                "superseded": superseded,
            });
            let mut saved = state.clone();
            saved.output = json!({ "serial": serial_hex, "not_after": rfc3339(issued.not_after) });
            let text = serde_json::to_string(&saved).map_err(FlowError::internal)?;

            let mut tx = self.store.begin().await.map_err(FlowError::internal)?;
            if !tx
                .advance_flow(
                    id,
                    record.version,
                    &text,
                    Some(customer.id),
                    now,
                    record.expires_at,
                    true,
                )
                .await
                .map_err(FlowError::internal)?
            {
                return Err(FlowError::Conflict);
            }
            match tx.insert_certificate(&prepared.record).await {
                Ok(()) => {}
                Err(StoreError::DuplicateSerial(_)) => continue,
                Err(e) => return Err(FlowError::internal(e)),
            }
            tx.put_financial_holder(customer.id, &holder.public, &holder.sealed, now)
                .await
                .map_err(FlowError::internal)?;
            tx.insert_financial_key(
                &issued.serial,
                customer.id,
                key.key_type(),
                &wrapped,
                input.auto_renew,
                now,
            )
            .await
            .map_err(FlowError::internal)?;
            for c in &old {
                revoke_superseded(&mut tx, &c.serial, &actor, id, &serial_hex, now).await?;
            }
            tx.audit(
                &AuditEvent::new(
                    actor.clone(),
                    "financial.pin-set",
                    format!("customer:{}", customer.id),
                    json!({ "flow": id, "kind": state.kind.as_str(), "unlocked": true }),
                ),
                now,
            )
            .await
            .map_err(FlowError::internal)?;
            tx.audit(
                &AuditEvent::new(
                    actor.clone(),
                    &format!("certificate.{}", state.kind.as_str()),
                    format!("certificate:{serial_hex}"),
                    json!({ "flow": id, "product": issued.product, "not_after": rfc3339(issued.not_after),
                            "key": key.key_type(), "auto_renew": input.auto_renew }),
                ),
                now,
            )
            .await
            .map_err(FlowError::internal)?;
            tx.commit().await.map_err(FlowError::internal)?;
            tracing::info!(flow = id, serial = %issued.serial, kind = state.kind.as_str(), "financial certificate issued");
            return Ok(output);
        }
        Err(FlowError::internal("no free serial number"))
    }
}

/// Revokes `old` as superseded by `by`, with its audit entry, inside `tx`.
pub(crate) async fn revoke_superseded(
    tx: &mut dojang_store::Tx,
    old: &Serial,
    actor: &Actor,
    flow: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), FlowError> {
    match tx.revoke(old, RevocationReason::Superseded, now).await {
        Ok(()) | Err(StoreError::AlreadyRevoked { .. }) => {}
        Err(e) => return Err(FlowError::internal(e)),
    }
    tx.audit(
        &AuditEvent::new(
            actor.clone(),
            "certificate.revoke",
            format!("certificate:{}", old.to_hex()),
            json!({ "flow": flow, "reason": "superseded", "by": by }),
        ),
        now,
    )
    .await
    .map_err(FlowError::internal)?;
    Ok(())
}
