//! The audit log (감사 기록): every state change and every failed check, appended to a hash
//! chain. Each entry's hash is SHA-256 over the previous hash and the entry's fields, so an
//! edited or removed row breaks the chain; the head row (moved in the same transaction) catches
//! a removed last row.

use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::store::Store;
use crate::tx::Tx;

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Customer(i64),
    Staff(String),
    /// An operator at the command line (`dojang ca …`, `dojang admin …`).
    Operator,
    /// The center itself (scheduled jobs).
    System,
    /// Someone not yet identified (a flow before its identity step).
    Anonymous,
}

impl Actor {
    pub fn as_text(&self) -> String {
        match self {
            Actor::Customer(id) => format!("customer:{id}"),
            Actor::Staff(name) => format!("staff:{name}"),
            Actor::Operator => "operator".into(),
            Actor::System => "system".into(),
            Actor::Anonymous => "anonymous".into(),
        }
    }
}

/// One thing that happened. `detail` must never hold a secret (RRN, password, PIN, code, key).
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub actor: Actor,
    /// Dotted verb, e.g. `certificate.issue`, `identity.sms.fail`, `customer.unlock`.
    pub action: String,
    /// What it was done to, e.g. `certificate:0A1B…`, `customer:12`, `flow:…`.
    pub subject: String,
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(
        actor: Actor,
        action: &str,
        subject: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        AuditEvent { actor, action: action.to_string(), subject: subject.into(), detail }
    }
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub hash: [u8; 32],
}

/// The outcome of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditVerdict {
    /// Every entry is in place and unaltered.
    Intact { entries: i64, head: [u8; 32] },
    /// The first place where the chain breaks, and how.
    Broken { seq: i64, problem: String },
}

fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

/// The entry hash: length-prefixed fields, so no two different entries hash alike.
fn entry_hash(
    prev: &[u8],
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"dojang audit v1");
    field(&mut h, prev);
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    field(&mut h, actor.as_bytes());
    field(&mut h, action.as_bytes());
    field(&mut h, subject.as_bytes());
    field(&mut h, detail.as_bytes());
    h.finalize().into()
}

fn hash32(v: Vec<u8>, seq: i64) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt(format!("audit hash of entry {seq} is not 32 bytes")))
}

impl Tx {
    /// Appends `event` inside this transaction: it lands with the change it records, or not at all.
    pub async fn audit(
        &mut self,
        event: &AuditEvent,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *self.inner)
            .await?;
        let prev_seq: i64 = head.try_get("seq")?;
        let prev_hash: Vec<u8> = head.try_get("hash")?;
        let seq = prev_seq + 1;
        let at = at.unix_timestamp();
        let actor = event.actor.as_text();
        let detail = event.detail.to_string();
        let hash = entry_hash(&prev_hash, seq, at, &actor, &event.action, &event.subject, &detail);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(at)
        .bind(&actor)
        .bind(&event.action)
        .bind(&event.subject)
        .bind(&detail)
        .bind(&prev_hash)
        .bind(hash.as_slice())
        .execute(&mut *self.inner)
        .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(hash.as_slice())
            .execute(&mut *self.inner)
            .await?;
        crate::events::count(&event.action, &event.detail);
        Ok(seq)
    }
}

impl Store {
    /// Appends one event in a transaction of its own.
    pub async fn audit(&self, event: &AuditEvent, at: OffsetDateTime) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let seq = tx.audit(event, at).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Entries after `after_seq`, oldest first, at most `limit`.
    pub async fn audit_entries(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let seq: i64 = r.try_get("seq")?;
                Ok(AuditEntry {
                    seq,
                    at: OffsetDateTime::from_unix_timestamp(r.try_get("at")?)
                        .map_err(|_| StoreError::Corrupt(format!("audit time of entry {seq}")))?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                    hash: hash32(r.try_get("hash")?, seq)?,
                })
            })
            .collect()
    }

    /// Walks the whole chain from the first entry and checks every link and the head.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        let mut prev = [0u8; 32];
        let mut expected_seq = 1i64;
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let seq: i64 = r.try_get("seq")?;
                if seq != expected_seq {
                    return Ok(AuditVerdict::Broken {
                        seq: expected_seq,
                        problem: format!("entry {expected_seq} is missing (the next one is {seq})"),
                    });
                }
                let stored_prev: Vec<u8> = r.try_get("prev_hash")?;
                if stored_prev != prev {
                    return Ok(AuditVerdict::Broken {
                        seq,
                        problem: "it does not link to the entry before it".into(),
                    });
                }
                let hash = entry_hash(
                    &prev,
                    seq,
                    r.try_get("at")?,
                    &r.try_get::<String, _>("actor")?,
                    &r.try_get::<String, _>("action")?,
                    &r.try_get::<String, _>("subject")?,
                    &r.try_get::<String, _>("detail")?,
                );
                let stored: Vec<u8> = r.try_get("hash")?;
                if stored != hash {
                    return Ok(AuditVerdict::Broken {
                        seq,
                        problem: "its content was changed after it was written".into(),
                    });
                }
                prev = hash;
                expected_seq += 1;
                after = seq;
            }
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: Vec<u8> = head.try_get("hash")?;
        if head_seq != expected_seq - 1 || head_hash != prev {
            return Ok(AuditVerdict::Broken {
                seq: head_seq,
                problem: format!(
                    "the log ends at entry {} but its head says {head_seq}: entries at the end were removed or the head was altered",
                    expected_seq - 1
                ),
            });
        }
        Ok(AuditVerdict::Intact { entries: expected_seq - 1, head: prev })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts the chain afresh and appends `n` entries.
    async fn chain_of(s: &Store, n: usize) {
        exec(s, "DELETE FROM audit_log").await;
        sqlx::query("UPDATE audit_head SET seq = 0, hash = $1 WHERE id = 1")
            .bind(vec![0u8; 32])
            .execute(&s.pool)
            .await
            .expect("reset head");
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        for i in 0..n {
            let e = AuditEvent::new(
                Actor::Customer(7),
                "identity.sms.fail",
                format!("flow:{i}"),
                serde_json::json!({"attempt": i}),
            );
            s.audit(&e, now).await.expect("append");
        }
    }

    async fn exec(s: &Store, sql: &str) {
        sqlx::query(sql).execute(&s.pool).await.expect("tamper");
    }

    crate::store_test!(async fn an_untouched_chain_verifies(s) {
        chain_of(s, 5).await;
        assert!(matches!(
            s.verify_audit().await.expect("verify"),
            AuditVerdict::Intact { entries: 5, .. }
        ));
        let entries = s.audit_entries(0, 10).await.expect("list");
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[0].actor, "customer:7");
    });

    crate::store_test!(async fn any_single_change_is_found(s) {
        for (sql, seq) in [
            ("UPDATE audit_log SET detail = '{\"attempt\":9}' WHERE seq = 3", 3),
            ("UPDATE audit_log SET actor = 'staff:x' WHERE seq = 1", 1),
            ("UPDATE audit_log SET at = at + 1 WHERE seq = 5", 5),
            ("DELETE FROM audit_log WHERE seq = 2", 2),
            ("DELETE FROM audit_log WHERE seq = 5", 5),
            ("UPDATE audit_log SET action = 'x', hash = prev_hash WHERE seq = 4", 4),
        ] {
            chain_of(s, 5).await;
            assert!(matches!(s.verify_audit().await.expect("verify"), AuditVerdict::Intact { .. }));
            exec(s, sql).await;
            match s.verify_audit().await.expect("verify") {
                AuditVerdict::Broken { seq: at, .. } => assert_eq!(at, seq, "{sql}"),
                other => panic!("{sql} not detected: {other:?}"),
            }
        }
    });
}
