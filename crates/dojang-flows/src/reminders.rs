//! Expiry reminders (만료 안내): 30 days before a customer's certificate ends, one SMS and one
//! e-mail through the outside-world adapter, once per certificate — a claim in the store makes
//! sure of "once" even when several replicas run the job.

use dojang_outside::{Message, Outside};
use dojang_profile::{Catalog, ProductId};
use dojang_store::{Actor, AuditEvent, Store};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::error::FlowError;

/// How long before the end a reminder goes out (document 004).
pub const REMINDER_WINDOW: Duration = Duration::days(30);

fn date(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// Sends the reminders due at `now`; returns how many certificates were reminded.
pub async fn send_due(
    store: &Store,
    outside: &dyn Outside,
    catalog: &Catalog,
    bank: &str,
    now: OffsetDateTime,
) -> Result<usize, FlowError> {
    let due = store.reminders_due(now, now + REMINDER_WINDOW).await.map_err(FlowError::internal)?;
    let mut sent = 0;
    for cert in due {
        let Some(customer_id) = cert.customer_id else { continue };
        let Some(customer) = store.customer(customer_id).await.map_err(FlowError::internal)? else {
            continue;
        };
        if !store
            .claim_reminder(&cert.serial, "sms+email", now)
            .await
            .map_err(FlowError::internal)?
        {
            continue;
        }
        let product = cert
            .product
            .parse::<ProductId>()
            .map(|p| catalog.get(p).name_ko.clone())
            .unwrap_or_else(|_| cert.product.clone());
        let days = (cert.not_after - now).whole_days();
        let text = format!(
            "[{bank}] 고객님의 {product} 유효기간이 {} 만료됩니다 ({days}일 남음). 인증센터에서 만료 전에 갱신해 주세요.",
            date(cert.not_after)
        );
        let messages = [
            Message::Sms { to: customer.phone.clone(), text: text.clone() },
            Message::Email {
                to: customer.email.clone(),
                subject: format!("[{bank}] 인증서 만료 안내"),
                body: format!("{text}\n\n인증서 갱신은 만료 30일 전부터 만료일까지 가능하며, 만료된 인증서는 갱신할 수 없어 새로 발급받아야 합니다.\n고객센터 운영시간: 평일 09:00–18:00"),
            },
        ];
        let mut failed = None;
        for m in &messages {
            if let Err(e) = outside.send(m, now).await {
                failed = Some(e.to_string());
                break;
            }
        }
        if let Some(why) = failed {
            tracing::warn!(serial = %cert.serial, error = %why, "expiry reminder not sent; will retry");
            store.release_reminder(&cert.serial).await.map_err(FlowError::internal)?;
            continue;
        }
        store
            .audit(
                &AuditEvent::new(
                    Actor::System,
                    "reminder.expiry",
                    format!("certificate:{}", cert.serial.to_hex()),
                    json!({ "customer": customer_id, "not_after": date(cert.not_after), "channels": ["sms", "email"] }),
                ),
                now,
            )
            .await
            .map_err(FlowError::internal)?;
        sent += 1;
    }
    Ok(sent)
}
