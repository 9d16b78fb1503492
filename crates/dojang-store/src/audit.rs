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

/// A link of the chain: an entry's number and hash (the head row holds the last one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    seq: i64,
    hash: [u8; 32],
}

/// An entry appended in a transaction and not yet written.
struct Appended {
    link: Link,
    prev: [u8; 32],
    at: i64,
    actor: String,
    action: String,
    subject: String,
    /// As hashed and stored.
    detail: String,
    /// As the metrics read it.
    fields: serde_json::Value,
}

/// The entries a transaction appends, chained in memory and written in one statement when it
/// commits. Writers run one at a time (see [`Tx`]), so the head read at a transaction's first
/// entry stays the chain's end until it commits; keeping the entries here spares a flow's
/// finish two round trips to the database per entry (read the head, move it), and the head is
/// moved once per transaction instead.
#[derive(Default)]
pub(crate) struct AuditTail {
    /// The chain's end as this transaction has made it; `None` until its first entry.
    head: Option<Link>,
    entries: Vec<Appended>,
}

/// Where the tail stood when a savepoint was taken: rolling back to it drops what came after.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TailMark {
    head: Option<Link>,
    len: usize,
}

/// Audit entries per INSERT: eight parameters each, well under both backends' limits.
const ROWS_PER_INSERT: usize = 256;
const AUDIT_ARITY: usize = 8;

impl AuditTail {
    pub(crate) fn mark(&self) -> TailMark {
        TailMark { head: self.head, len: self.entries.len() }
    }

    pub(crate) fn roll_back_to(&mut self, mark: TailMark) {
        self.entries.truncate(mark.len);
        self.head = mark.head;
    }
}

impl Tx {
    /// Appends `event` inside this transaction: it lands with the change it records, or not at
    /// all. Returns its number in the chain.
    pub async fn audit(
        &mut self,
        event: &AuditEvent,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let prev = match self.audit.head {
            Some(link) => link,
            None => {
                let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(&mut *self.inner)
                    .await?;
                let seq: i64 = row.try_get("seq")?;
                Link { seq, hash: hash32(row.try_get("hash")?, seq)? }
            }
        };
        let seq = prev.seq + 1;
        let at = at.unix_timestamp();
        let actor = event.actor.as_text();
        let detail = event.detail.to_string();
        let hash = entry_hash(&prev.hash, seq, at, &actor, &event.action, &event.subject, &detail);
        let link = Link { seq, hash };
        self.audit.entries.push(Appended {
            link,
            prev: prev.hash,
            at,
            actor,
            action: event.action.clone(),
            subject: event.subject.clone(),
            detail,
            fields: event.detail.clone(),
        });
        self.audit.head = Some(link);
        Ok(seq)
    }

    /// Writes the entries appended in this transaction and moves the head past them; the last
    /// thing before COMMIT. Returns the entries' (action, detail) for the metrics, to count once
    /// the commit has happened.
    pub(crate) async fn write_audit(
        &mut self,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let entries = std::mem::take(&mut self.audit.entries);
        for chunk in crate::rows::pieces(&entries, ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES {}",
                crate::rows::values_list(self.backend, AUDIT_ARITY, chunk.len())
            );
            let query = chunk.iter().fold(sqlx::query(&sql), |q, e| {
                q.bind(e.link.seq)
                    .bind(e.at)
                    .bind(&e.actor)
                    .bind(&e.action)
                    .bind(&e.subject)
                    .bind(&e.detail)
                    .bind(e.prev.as_slice())
                    .bind(e.link.hash.as_slice())
            });
            query.execute(&mut *self.inner).await?;
        }
        // The head moves to the last entry written (none: it stays where it was read).
        if let Some(last) = entries.last() {
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(last.link.seq)
                .bind(last.link.hash.as_slice())
                .execute(&mut *self.inner)
                .await?;
        }
        Ok(entries.into_iter().map(|e| (e.action, e.fields)).collect())
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

    // Entries of one transaction take consecutive numbers and land only with its commit.
    crate::store_test!(async fn a_transactions_entries_land_with_its_commit_or_not_at_all(s) {
        chain_of(s, 2).await;
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let event = |n: i64| AuditEvent::new(Actor::System, "test.step", format!("n:{n}"), serde_json::json!({}));
        let mut dropped = s.begin().await.expect("begin");
        assert_eq!(dropped.audit(&event(1), now).await.expect("append"), 3);
        drop(dropped);
        let mut tx = s.begin().await.expect("begin");
        let seqs = [
            tx.audit(&event(2), now).await.expect("append"),
            tx.audit(&event(3), now).await.expect("append"),
            tx.audit(&event(4), now).await.expect("append"),
        ];
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(s.audit_entries(0, 10).await.expect("list").len(), 2, "not before the commit");
        tx.commit().await.expect("commit");
        let subjects: Vec<_> =
            s.audit_entries(0, 10).await.expect("list").into_iter().map(|e| e.subject).collect();
        assert_eq!(subjects[2..], ["n:2", "n:3", "n:4"]);
        assert!(matches!(
            s.verify_audit().await.expect("verify"),
            AuditVerdict::Intact { entries: 5, .. }
        ));
    });

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
