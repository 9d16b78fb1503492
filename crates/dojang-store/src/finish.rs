//! The last step of a flow that issues a certificate (issue, reissue, renewal): the flow's
//! compare-and-swap, the certificate, the fee, the superseded certificate's revocation and their
//! audit entries land in one transaction, or none of them does.
//!
//! Flows finishing at the same moment share a group commit ([`crate::group_commit`]). Most of
//! them change nothing but the flow, the certificate and one audit entry; those are finished
//! together in set statements: one UPDATE moves every flow still where its caller read it, and
//! one INSERT stores the certificates of those that moved. Every statement is a round trip to
//! the database (for SQLite, a hand-off to its connection's thread and back, with a thread
//! wake-up each way), so a batch of finishes costs two of them instead of two per flow. A
//! finish with a fee or a certificate to supersede runs on its own inside the batch.

use std::collections::HashSet;

use dojang_pki::{RevocationReason, Serial};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::StoreError;
use crate::record::NewCertificate;
use crate::rows::unix;
use crate::store::{Backend, Store};
use crate::tx::Tx;

/// Everything the last step of an issue, reissue or renewal changes.
#[derive(Clone, Debug)]
pub struct FlowFinish {
    pub flow: String,
    /// The flow's version as the step read it: the finish is refused if it moved since.
    pub version: i64,
    /// The flow's state after this step (JSON), and how long the finished flow is kept.
    pub state: String,
    pub expires_at: OffsetDateTime,
    pub customer_id: i64,
    pub certificate: NewCertificate,
    /// The fee charged for it (수수료), if any.
    pub fee: Option<FinishFee>,
    /// The certificate this one replaces (reissue, renewal), revoked as superseded.
    pub superseded: Option<Superseded>,
    /// The issuance's own audit entry.
    pub audit: AuditEvent,
    pub now: OffsetDateTime,
}

/// A fee debited from the customer's account when the flow finishes, with its audit entry.
#[derive(Clone, Debug)]
pub struct FinishFee {
    pub account: String,
    /// Won, more than zero.
    pub amount: i64,
    /// The ledger's memo.
    pub memo: String,
    pub audit: AuditEvent,
}

/// A certificate revoked because the finishing flow's certificate replaces it.
#[derive(Clone, Debug)]
pub struct Superseded {
    pub serial: Serial,
    pub audit: AuditEvent,
}

/// What became of a [`FlowFinish`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// Every change landed: the certificate is stored and the flow finished.
    Issued,
    /// The flow had moved on since it was read (another request finished or advanced it);
    /// nothing changed.
    FlowMoved,
}

impl FlowFinish {
    /// Whether it changes only the flow, the certificate and its audit entry, and so can share
    /// set statements with others ([`Tx::finish_flows`]).
    pub(crate) fn is_plain(&self) -> bool {
        self.fee.is_none() && self.superseded.is_none()
    }
}

/// Columns of one row of the set UPDATE's VALUES list, in order: the flow, the version read,
/// the new state, the customer, the moment, the new expiry.
const FINISH_ARITY: usize = 6;

/// At most this many flows go into one UPDATE (a power of two: see [`crate::rows::pieces`]).
const ROWS_PER_UPDATE: usize = 256;

/// `UPDATE flows … FROM (VALUES …)` for `rows` finishes: each flow still at the version read
/// and not finished takes its new state and is finished; the flows that moved are returned.
/// Both backends name a VALUES list's columns `column1`, `column2`, ….
fn finish_many_sql(backend: Backend, rows: usize) -> String {
    format!(
        "UPDATE flows SET state = v.column3, customer_id = v.column4, updated_at = v.column5, \
         expires_at = v.column6, version = flows.version + 1, finished_at = v.column5 \
         FROM (VALUES {}) AS v \
         WHERE flows.id = v.column1 AND flows.version = v.column2 AND flows.finished_at IS NULL \
         RETURNING flows.id",
        crate::rows::values_list(backend, FINISH_ARITY, rows)
    )
}

impl Tx {
    /// One flow's finish inside this transaction. [`Finished::FlowMoved`], changing nothing,
    /// when the flow moved on since it was read. An `Err` (a serial already taken, too little
    /// money for the fee, a superseded certificate already revoked) leaves this transaction to
    /// be rolled back, or to the member's savepoint.
    pub async fn finish_flow(&mut self, f: &FlowFinish) -> Result<Finished, StoreError> {
        let moved = self
            .advance_flow(
                &f.flow,
                f.version,
                &f.state,
                Some(f.customer_id),
                f.now,
                f.expires_at,
                true,
            )
            .await?;
        if !moved {
            return Ok(Finished::FlowMoved);
        }
        self.insert_certificate(&f.certificate).await?;
        if let Some(fee) = &f.fee {
            self.debit(&fee.account, fee.amount, &fee.memo, Some(&f.flow), f.now).await?;
            self.audit(&fee.audit, f.now).await?;
        }
        if let Some(old) = &f.superseded {
            self.revoke(&old.serial, RevocationReason::Superseded, f.now).await?;
            self.audit(&old.audit, f.now).await?;
        }
        self.audit(&f.audit, f.now).await?;
        Ok(Finished::Issued)
    }

    /// Finishes plain finishes ([`FlowFinish::is_plain`]) of distinct flows in two statements,
    /// and answers each. A certificate refused (its serial taken) is that finish's `Err`, but
    /// its flow has moved all the same: the caller must then roll the transaction back, as it
    /// must on `Err` for the whole (a statement failed).
    pub(crate) async fn finish_flows(
        &mut self,
        finishes: &[&FlowFinish],
    ) -> Result<Vec<Result<Finished, StoreError>>, StoreError> {
        debug_assert!(finishes.iter().all(|f| f.is_plain()));
        debug_assert_eq!(
            finishes.iter().map(|f| f.flow.as_str()).collect::<HashSet<_>>().len(),
            finishes.len(),
            "one finish per flow: which of two would win the UPDATE is not defined"
        );
        let mut moved = HashSet::with_capacity(finishes.len());
        for piece in crate::rows::pieces(finishes, ROWS_PER_UPDATE) {
            let sql = finish_many_sql(self.backend, piece.len());
            let query = piece.iter().fold(sqlx::query(&sql), |q, f| {
                q.bind(f.flow.as_str())
                    .bind(f.version)
                    .bind(f.state.as_str())
                    .bind(f.customer_id)
                    .bind(unix(f.now))
                    .bind(unix(f.expires_at))
            });
            for row in query.fetch_all(&mut *self.inner).await? {
                moved.insert(row.try_get::<String, _>(0)?);
            }
        }
        let certificates: Vec<&NewCertificate> =
            finishes.iter().filter(|f| moved.contains(&f.flow)).map(|f| &f.certificate).collect();
        let mut stored = match certificates.is_empty() {
            true => Vec::new(),
            false => self.insert_certificates(&certificates).await?,
        }
        .into_iter();
        let mut answers = Vec::with_capacity(finishes.len());
        for f in finishes {
            if !moved.contains(&f.flow) {
                answers.push(Ok(Finished::FlowMoved));
                continue;
            }
            let answer = match stored.next() {
                Some(Ok(())) => {
                    self.audit(&f.audit, f.now).await?;
                    Ok(Finished::Issued)
                }
                Some(Err(e)) => Err(e),
                None => return Err(StoreError::Corrupt("a certificate without an answer".into())),
            };
            answers.push(answer);
        }
        Ok(answers)
    }
}

impl Store {
    /// Finishes a flow with its certificate in the next shared transaction (see
    /// [`Store::in_group_commit`]): every change of `finish` lands, durably, or none does.
    pub async fn finish_flow(&self, finish: FlowFinish) -> Result<Finished, StoreError> {
        self.finish_in_group(finish).await
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::audit::Actor;
    use crate::group_commit::tests::{first_alone_then_together, serial};
    use crate::testing::{person, t0};
    use crate::NewAccount;

    /// A customer, and `flows` flows of theirs waiting for their last step (version 2).
    async fn waiting(s: &Store, flows: usize) -> i64 {
        let mut tx = s.begin().await.expect("begin");
        let customer = tx.insert_customer(&person("hong", 7), t0()).await.expect("customer");
        tx.commit().await.expect("commit");
        for i in 0..flows {
            let id = flow(i);
            s.create_flow(&id, "issue", "{}", t0(), t0() + Duration::minutes(10))
                .await
                .expect("create");
            assert!(s
                .advance_flow(
                    &id,
                    1,
                    "{\"at\":\"csr\"}",
                    Some(customer),
                    t0(),
                    t0() + Duration::minutes(10)
                )
                .await
                .expect("step"));
        }
        customer
    }

    fn flow(i: usize) -> String {
        format!("flow-{i:03}")
    }

    fn finish(customer: i64, i: usize, serial_no: usize) -> FlowFinish {
        let mut certificate = crate::testing::certificate(&serial(serial_no), t0());
        certificate.customer_id = Some(customer);
        let audit = |action: &str| {
            AuditEvent::new(
                Actor::Customer(customer),
                action,
                format!("flow:{}", flow(i)),
                serde_json::json!({}),
            )
        };
        FlowFinish {
            flow: flow(i),
            version: 2,
            state: format!("{{\"finished\":{i}}}"),
            expires_at: t0() + Duration::days(1),
            customer_id: customer,
            certificate,
            fee: None,
            superseded: None,
            audit: audit("certificate.issue"),
            now: t0() + Duration::seconds(5),
        }
    }

    /// Finishes `finishes` together: the first alone, the rest in one shared transaction.
    async fn together(s: &Store, finishes: Vec<FlowFinish>) -> Vec<Result<Finished, StoreError>> {
        let tasks = first_alone_then_together(s, finishes.len(), |i| {
            let (s, f) = (s.clone(), finishes[i].clone());
            tokio::spawn(async move { s.finish_flow(f).await })
        })
        .await;
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.expect("task"));
        }
        answers
    }

    async fn issue_audits(s: &Store) -> usize {
        let entries = s.audit_entries(0, 10_000).await.expect("audit");
        entries.iter().filter(|e| e.action == "certificate.issue").count()
    }

    // Many flows finishing at once share one transaction and its set statements: each flow is
    // finished with its own state, each certificate stored for its customer, each audited once.
    crate::store_test!(async fn finishes_arriving_together_share_set_statements(s) {
        const N: usize = 40;
        let customer = waiting(s, N).await;
        let (commits, reruns) = s.group.counts();
        let answers = together(s, (0..N).map(|i| finish(customer, i, i)).collect()).await;
        for (i, a) in answers.iter().enumerate() {
            assert_eq!(a.as_ref().ok(), Some(&Finished::Issued), "{i}: {a:?}");
            let f = s.flow(&flow(i)).await.expect("read").expect("flow");
            assert_eq!(f.version, 3);
            assert_eq!(f.state, format!("{{\"finished\":{i}}}"));
            assert_eq!(f.finished_at, Some(t0() + Duration::seconds(5)));
            assert_eq!(f.expires_at, t0() + Duration::days(1));
            let c = s.certificate(&serial(i)).await.expect("read").expect("stored");
            assert_eq!(c.customer_id, Some(customer));
        }
        assert_eq!(s.group.counts(), (commits + 2, reruns), "one alone, one shared, none again");
        assert_eq!(issue_audits(s).await, N);
        assert!(matches!(s.verify_audit().await.expect("verify"), crate::AuditVerdict::Intact { .. }));
    });

    // A flow that moved since it was read, and the same flow finished twice in one batch (a
    // request sent again): the moved one changes nothing, and of the twins exactly one issues.
    crate::store_test!(async fn a_moved_flow_and_a_twin_change_nothing(s) {
        let customer = waiting(s, 4).await;
        let mut stale = finish(customer, 2, 2);
        stale.version = 1;
        let twin = finish(customer, 3, 30);
        let answers = together(
            s,
            vec![finish(customer, 0, 0), finish(customer, 1, 1), stale, finish(customer, 3, 3), twin],
        )
        .await;
        let answers: Vec<_> = answers.into_iter().map(|a| a.expect("answer")).collect();
        assert_eq!(&answers[..3], &[Finished::Issued, Finished::Issued, Finished::FlowMoved]);
        let mut twins = [answers[3], answers[4]];
        twins.sort_by_key(|a| *a == Finished::FlowMoved);
        assert_eq!(twins, [Finished::Issued, Finished::FlowMoved]);
        assert!(s.certificate(&serial(2)).await.expect("read").is_none());
        let stored3 = s.certificate(&serial(3)).await.expect("read").is_some();
        let stored30 = s.certificate(&serial(30)).await.expect("read").is_some();
        assert!(stored3 ^ stored30, "one of the twins' certificates is stored");
        assert_eq!(s.flow(&flow(2)).await.expect("read").expect("flow").version, 2);
        assert_eq!(issue_audits(s).await, 3);
    });

    // A finish whose serial is already taken hears DuplicateSerial and leaves its flow where it
    // was (so that it can try again with another serial); the batch's others are issued.
    crate::store_test!(async fn a_taken_serial_leaves_its_flow_waiting_and_the_others_issue(s) {
        let customer = waiting(s, 6).await;
        let reruns = s.group.counts().1;
        s.insert_certificate(&crate::testing::certificate(&serial(100), t0())).await.expect("taken");
        let mut finishes: Vec<_> = (0..6).map(|i| finish(customer, i, i)).collect();
        finishes[4].certificate.serial = serial(100);
        let answers = together(s, finishes).await;
        for (i, a) in answers.iter().enumerate() {
            match i {
                4 => assert!(matches!(a, Err(StoreError::DuplicateSerial(_))), "{a:?}"),
                _ => assert_eq!(a.as_ref().ok(), Some(&Finished::Issued), "{i}: {a:?}"),
            }
        }
        assert_eq!(s.group.counts().1, reruns + 1, "run again with savepoints");
        let f = s.flow(&flow(4)).await.expect("read").expect("flow");
        assert_eq!((f.version, f.finished_at), (2, None));
        // Tried again with a free serial, it finishes.
        let mut again = finish(customer, 4, 4);
        again.certificate.serial = serial(104);
        assert_eq!(s.finish_flow(again).await.expect("again"), Finished::Issued);
        assert_eq!(issue_audits(s).await, 6);
    });

    // Finishes with a fee run on their own inside the batch: the fee is debited and audited
    // with its flow, and one the balance cannot pay changes nothing of its flow.
    crate::store_test!(async fn fees_are_charged_with_their_flow_or_not_at_all(s) {
        let customer = waiting(s, 4).await;
        let account = NewAccount {
            number: "110-123-456789".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            balance: 10_000,
        };
        let mut tx = s.begin().await.expect("begin");
        tx.insert_account(customer, &account, "계좌 개설 입금", t0()).await.expect("account");
        tx.commit().await.expect("commit");
        let fee = |amount| FinishFee {
            account: account.number.clone(),
            amount,
            memo: "인증서 수수료".into(),
            audit: AuditEvent::new(Actor::Customer(customer), "fee.charge", "account", serde_json::json!({})),
        };
        let mut finishes: Vec<_> = (0..4).map(|i| finish(customer, i, i)).collect();
        finishes[1].fee = Some(fee(4_400));
        finishes[2].fee = Some(fee(110_000));
        let answers = together(s, finishes).await;
        assert!(matches!(answers[2], Err(StoreError::InsufficientFunds { .. })), "{:?}", answers[2]);
        for i in [0, 1, 3] {
            assert_eq!(answers[i].as_ref().ok(), Some(&Finished::Issued), "{i}");
        }
        let balance = s.account(&account.number).await.expect("read").expect("account").balance;
        assert_eq!(balance, 10_000 - 4_400);
        assert_eq!(s.ledger_of_flow(&flow(1)).await.expect("ledger").len(), 1);
        assert!(s.ledger_of_flow(&flow(2)).await.expect("ledger").is_empty());
        assert_eq!(s.flow(&flow(2)).await.expect("read").expect("flow").finished_at, None);
        assert!(s.certificate(&serial(2)).await.expect("read").is_none());
        assert_eq!(issue_audits(s).await, 3);
    });
}
