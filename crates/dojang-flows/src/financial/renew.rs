//! Automatic renewal (자동 갱신) of financial certificates whose holder turned it on: inside the
//! last 30 days the center makes a new key pair, has the RA sign it with the same subject, puts
//! the key away for the holder's public key (no PIN needed: see `custody`), and revokes the
//! old certificate (superseded) — all in one transaction per certificate. A claim on the old
//! key's row makes sure each is renewed once, however many replicas run the job.

use der::Decode;
use dojang_pki::Serial;
use dojang_profile::ProductId;
use dojang_ra::IssueRequest;
use dojang_store::{Actor, AuditEvent, FinancialKey, StoreError};
use serde_json::json;
use time::OffsetDateTime;

use super::custody;
use super::issue::revoke_superseded;
use super::keys::{self, CertKey};
use crate::engine::Flows;
use crate::error::FlowError;
use crate::reminders::REMINDER_WINDOW;

/// Renews the certificates due at `now`; returns the new serials.
pub async fn renew_due(flows: &Flows, now: OffsetDateTime) -> Result<Vec<Serial>, FlowError> {
    let due = flows
        .store
        .financial_renewals_due(now, now + REMINDER_WINDOW)
        .await
        .map_err(FlowError::internal)?;
    let mut renewed = Vec::new();
    for old in due {
        match renew_one(flows, &old, now).await {
            Ok(Some(serial)) => renewed.push(serial),
            Ok(None) => {}
            // One certificate's failure does not stop the others; the next run tries again.
            Err(e) => tracing::error!(serial = %old.serial, error = %e, "automatic renewal failed"),
        }
    }
    Ok(renewed)
}

async fn renew_one(
    flows: &Flows,
    old: &FinancialKey,
    now: OffsetDateTime,
) -> Result<Option<Serial>, FlowError> {
    let store = &flows.store;
    let Some(customer) = store.customer(old.customer_id).await.map_err(FlowError::internal)? else {
        return Ok(None);
    };
    let Some(holder) = store.financial_holder(customer.id).await.map_err(FlowError::internal)?
    else {
        return Ok(None);
    };
    let Some(record) = store.certificate(&old.serial).await.map_err(FlowError::internal)? else {
        return Ok(None);
    };
    // The same subject as the certificate it replaces.
    let cert = x509_cert::Certificate::from_der(&record.der).map_err(FlowError::internal)?;
    let subject = cert.tbs_certificate.subject;
    let key = tokio::task::spawn_blocking(CertKey::generate)
        .await
        .map_err(FlowError::internal)?
        .map_err(FlowError::internal)?;
    let csr = key.csr(subject.clone()).map_err(FlowError::internal)?;
    let pkcs8 = key.pkcs8().map_err(FlowError::internal)?;
    let (san, random_num) = match flows.vid_for(&customer)? {
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
    for _ in 0..dojang_ra::RegistrationAuthority::SERIAL_TRIES {
        let prepared = flows.prepare(&request, now).await?;
        let issued = &prepared.issued;
        let serial_hex = issued.serial.to_hex();
        let wrapped = custody::wrap_for_holder(
            &flows.vault,
            customer.id,
            &holder.holder_public,
            &serial_hex,
            &kept,
        )
        .map_err(FlowError::internal)?;
        let mut tx = store.begin().await.map_err(FlowError::internal)?;
        match tx.insert_certificate(&prepared.record).await {
            Ok(()) => {}
            Err(StoreError::DuplicateSerial(_)) => continue,
            Err(e) => return Err(FlowError::internal(e)),
        }
        if !tx
            .mark_financial_renewed(&old.serial, &issued.serial)
            .await
            .map_err(FlowError::internal)?
        {
            // Another run renewed it first; dropping the transaction forgets this one.
            return Ok(None);
        }
        tx.insert_financial_key(&issued.serial, customer.id, key.key_type(), &wrapped, true, now)
            .await
            .map_err(FlowError::internal)?;
        revoke_superseded(&mut tx, &old.serial, &Actor::System, "auto-renew", &serial_hex, now)
            .await?;
        tx.audit(
            &AuditEvent::new(
                Actor::System,
                "certificate.financial-auto-renew",
                format!("certificate:{serial_hex}"),
                json!({ "customer": customer.id, "replaces": old.serial.to_hex(),
                        "not_after": issued.not_after.unix_timestamp() }),
            ),
            now,
        )
        .await
        .map_err(FlowError::internal)?;
        tx.commit().await.map_err(FlowError::internal)?;
        tracing::info!(old = %old.serial, new = %issued.serial, "financial certificate renewed automatically");
        return Ok(Some(issued.serial.clone()));
    }
    Err(FlowError::internal("no free serial number"))
}
