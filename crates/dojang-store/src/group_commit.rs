//! Group commit: writers that arrive together share one durable transaction.
//!
//! Every commit waits for the disk (SQLite runs `synchronous=FULL`; PostgreSQL waits for its WAL
//! flush), and the store has one writer at a time, so one transaction per certificate makes the
//! disk's fsync rate the ceiling of issuance. Here a writer that arrives while a commit is in
//! flight queues; the next transaction takes everyone queued, runs each one's work inside a
//! savepoint of its own — so a refused row (a duplicate serial, a flow that moved, a balance
//! too low) undoes only that member's work — and commits once. Each caller is answered only
//! after that commit has returned: a certificate handed out is a certificate kept.
//!
//! Members that only store a certificate (issuance) need no savepoint: their rows go into the
//! table in one statement for the whole batch, which skips a serial already taken and names the
//! rows it stored, so each member still hears of its own duplicate alone. Every statement is a
//! round trip to the database (for SQLite, a hand-off to its connection's thread and back), so
//! a batch of certificates costs three round trips instead of one per certificate and two more.
//! Flows finishing with a certificate share set statements the same way ([`crate::finish`]).
//!
//! A savepoint is one more round trip per member, and a member is almost never refused, so a
//! batch first runs without them: if a member is refused after all, that transaction is rolled
//! back whole and the batch runs again, a savepoint around each member.
//!
//! If the shared transaction itself fails (its begin, a savepoint, or the commit), nobody's
//! answer is taken from it: every member runs again alone, in a transaction of its own, and is
//! answered from that. A COMMIT whose answer is an error may have landed all the same
//! (PostgreSQL's connection dropped as the server committed): each shared transaction writes
//! its writer's next mark (`commit_marks`), and a failed commit's mark is read back first.
//! Found, the members are answered as committed; not found, they run again; unreadable, they
//! hear [`StoreError::CommitUnknown`] rather than run twice. A member's work is therefore a
//! `Fn`, run at most three times, touching nothing but the transaction it is given.
//!
//! The commits run on a task of their own, started by the first writer to find nobody
//! committing and ended when the queue is empty, so a caller that goes away (a client hanging
//! up) never leaves the others waiting on a commit half done.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::finish::{Finished, FlowFinish};
use crate::record::NewCertificate;
use crate::store::Store;
use crate::tx::Tx;

/// The work of one member of a group commit: what it does inside the shared transaction.
pub type Work<'t, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 't>>;

/// At most this many members share one transaction: the write lock is not held for long, and a
/// member's answer does not wait behind an unbounded queue.
const MAX_MEMBERS: usize = 256;

/// The queue of writers waiting for the next shared transaction.
pub(crate) struct GroupCommit {
    queue: Mutex<Queue>,
    /// Transactions this queue has committed (shared or alone), for the tests and the metric.
    commits: AtomicU64,
    /// Batches run again with a savepoint per member because one was refused without.
    reruns: AtomicU64,
    /// This queue's row in `commit_marks`: a tag no other store or process has.
    writer: String,
    /// The mark the last shared transaction wrote.
    last_mark: AtomicI64,
    /// Tests: the next shared commit's answer is lost after it landed.
    #[cfg(test)]
    lose_next_answer: std::sync::atomic::AtomicBool,
}

impl Default for GroupCommit {
    fn default() -> Self {
        // The process, the moment and this queue's number in the process: unique among the
        // writers of one database, which is all a mark's row needs.
        static QUEUES: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut tag = Sha256::new();
        tag.update(std::process::id().to_be_bytes());
        tag.update(now.to_be_bytes());
        tag.update(QUEUES.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        let writer = tag.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect();
        GroupCommit {
            queue: Mutex::default(),
            commits: AtomicU64::default(),
            reruns: AtomicU64::default(),
            writer,
            last_mark: AtomicI64::default(),
            #[cfg(test)]
            lose_next_answer: std::sync::atomic::AtomicBool::default(),
        }
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Box<dyn Member>>,
    /// A task is committing, and will take what is waiting before it stops.
    committing: bool,
}

impl fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = self.lock();
        f.debug_struct("GroupCommit")
            .field("waiting", &q.waiting.len())
            .field("committing", &q.committing)
            .field("commits", &self.commits.load(Ordering::Relaxed))
            .finish()
    }
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The queue holds no invariant a panic elsewhere could break half-way.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `member`; true when the caller must start the committing task.
    fn enqueue(&self, member: Box<dyn Member>) -> bool {
        let mut q = self.lock();
        q.waiting.push(member);
        !std::mem::replace(&mut q.committing, true)
    }

    /// The next members to commit together, or none (and the task stops) when nobody waits.
    fn next_batch(&self) -> Option<Vec<Box<dyn Member>>> {
        let mut q = self.lock();
        if q.waiting.is_empty() {
            q.committing = false;
            return None;
        }
        let take = q.waiting.len().min(MAX_MEMBERS);
        let rest = q.waiting.split_off(take);
        Some(std::mem::replace(&mut q.waiting, rest))
    }

    /// Transactions committed so far, and batches run again with savepoints (for tests).
    #[cfg(test)]
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.commits.load(Ordering::Relaxed), self.reruns.load(Ordering::Relaxed))
    }

    fn committed(&self, members: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("dojang_store_group_commits_total").increment(1);
        metrics::histogram!("dojang_store_group_commit_members").record(members as f64);
    }
}

/// One caller's work and where its answer goes, with the type of its answer hidden so that
/// callers of every kind share one queue.
trait Member: Send {
    /// Runs the work in `tx`, keeping its value for [`Member::answer`].
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Work<'t, ()>;
    /// Answers the caller: the kept value once its transaction committed, or `Err`.
    fn answer(self: Box<Self>, outcome: Result<(), StoreError>);
    /// What the batch can do for this member in statements shared with the others, if
    /// anything; otherwise [`Member::run`] does its work.
    fn batched(&self) -> Option<Batched<'_>> {
        None
    }
    /// Keeps what the shared statements made of its finish ([`Batched::Finish`]).
    fn finished(&mut self, _finished: Finished) {}
}

/// Work a batch does for several members at once.
enum Batched<'m> {
    /// Storing a certificate is all the work: the member needs no savepoint (the insert undoes
    /// only itself), and it shares one INSERT with the batch's others.
    Certificate(&'m NewCertificate),
    /// A plain flow finish ([`FlowFinish::is_plain`]): it shares the set statements of
    /// [`Tx::finish_flows`] with the batch's others.
    Finish(&'m FlowFinish),
}

type Job<T> = Box<dyn for<'t> Fn(&'t mut Tx) -> Work<'t, T> + Send + Sync>;

struct Typed<T> {
    job: Job<T>,
    value: Option<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send + 'static> Member for Typed<T> {
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Work<'t, ()> {
        Box::pin(async move {
            self.value = None;
            self.value = Some((self.job)(tx).await?);
            Ok(())
        })
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let Typed { value, reply, .. } = *self;
        let answer = outcome.and_then(|()| value.ok_or(StoreError::Stopped));
        // A caller that went away needs no answer; its work is committed all the same.
        let _ = reply.send(answer);
    }
}

/// A member that stores one newly issued certificate.
struct Insert {
    certificate: NewCertificate,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

impl Member for Insert {
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Work<'t, ()> {
        Box::pin(tx.insert_certificate(&self.certificate))
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        // A caller that went away needs no answer; its certificate is kept all the same.
        let _ = self.reply.send(outcome);
    }

    fn batched(&self) -> Option<Batched<'_>> {
        Some(Batched::Certificate(&self.certificate))
    }
}

/// A member that finishes a flow with its certificate ([`Store::finish_flow`]).
struct Finishing {
    finish: FlowFinish,
    value: Option<Finished>,
    reply: oneshot::Sender<Result<Finished, StoreError>>,
}

impl Member for Finishing {
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Work<'t, ()> {
        Box::pin(async move {
            self.value = None;
            self.value = Some(tx.finish_flow(&self.finish).await?);
            Ok(())
        })
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let answer = outcome.and_then(|()| self.value.ok_or(StoreError::Stopped));
        // A caller that went away needs no answer; its flow is finished all the same.
        let _ = self.reply.send(answer);
    }

    fn batched(&self) -> Option<Batched<'_>> {
        self.finish.is_plain().then_some(Batched::Finish(&self.finish))
    }

    fn finished(&mut self, finished: Finished) {
        self.value = Some(finished);
    }
}

impl Store {
    /// Runs `work` in a write transaction shared with whoever else is writing this way at the
    /// same moment, and returns its value once that transaction has committed durably. An
    /// `Err` from `work` undoes only its own changes (and is returned); the others commit.
    ///
    /// `work` may run up to three times (again with a savepoint if another member was refused,
    /// and alone if the shared transaction failed), so it must change nothing but the
    /// transaction it is given.
    pub async fn in_group_commit<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'t> Fn(&'t mut Tx) -> Work<'t, T> + Send + Sync + 'static,
    {
        self.join_group(|reply| Box::new(Typed { job: Box::new(work), value: None, reply })).await
    }

    /// Stores `certificate` in the next shared transaction (see [`Store::insert_certificate`]).
    pub(crate) async fn insert_in_group(
        &self,
        certificate: NewCertificate,
    ) -> Result<(), StoreError> {
        self.join_group(|reply| Box::new(Insert { certificate, reply })).await
    }

    /// Finishes a flow in the next shared transaction (see [`Store::finish_flow`]).
    pub(crate) async fn finish_in_group(&self, finish: FlowFinish) -> Result<Finished, StoreError> {
        self.join_group(|reply| Box::new(Finishing { finish, value: None, reply })).await
    }

    /// Queues the member `member` makes around its reply channel for the next shared
    /// transaction, and waits for its answer.
    async fn join_group<T>(
        &self,
        member: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Box<dyn Member>,
    ) -> Result<T, StoreError> {
        let (reply, answered) = oneshot::channel();
        if self.group.enqueue(member(reply)) {
            tokio::spawn(commit_while_waiting(self.clone()));
        }
        answered.await.map_err(|_| StoreError::Stopped)?
    }
}

/// Commits the queue, batch after batch, until nobody waits.
async fn commit_while_waiting(store: Store) {
    // If this task is dropped half-way (its runtime shutting down), the waiting callers are
    // answered with an error rather than left waiting, and the next writer starts a new task.
    let mut stopped = Stopped { group: Arc::clone(&store.group), armed: true };
    while let Some(batch) = store.group.next_batch() {
        commit(&store, batch).await;
    }
    stopped.armed = false;
}

struct Stopped {
    group: Arc<GroupCommit>,
    armed: bool,
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if self.armed {
            let mut q = self.group.lock();
            q.committing = false;
            // Dropping a member drops its reply: its caller hears Stopped.
            q.waiting.clear();
        }
    }
}

async fn commit(store: &Store, mut batch: Vec<Box<dyn Member>>) {
    if batch.len() > 1 {
        // First as if nobody will be refused, which is nearly always so; if someone is, that
        // transaction is rolled back whole and the batch runs again with a savepoint each.
        let shared = match together(store, &mut batch, Savepoints::None).await {
            Err(Shared::Refused) => {
                store.group.reruns.fetch_add(1, Ordering::Relaxed);
                together(store, &mut batch, Savepoints::Each).await
            }
            other => other,
        };
        match shared {
            Ok(outcomes) => {
                for (member, outcome) in batch.into_iter().zip(outcomes) {
                    member.answer(outcome);
                }
                return;
            }
            Err(Shared::Unknown(e)) => {
                tracing::error!(members = batch.len(), error = %e, "a shared commit's outcome is unknown; its members are told so, not run again");
                for member in batch {
                    member.answer(Err(StoreError::CommitUnknown));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(members = batch.len(), error = %e, "a shared commit failed; each member is committed alone");
            }
        }
    }
    for member in batch {
        alone(store, member).await;
    }
}

/// Whether each member of a shared transaction runs inside a savepoint of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Savepoints {
    /// None: a statement to the database saved per member (each is a round trip, for SQLite a
    /// hand-off to its connection's thread and back); a refused member spoils the transaction.
    None,
    /// One each: a refused member undoes only its own work.
    Each,
}

/// Why a shared transaction did not commit.
#[derive(Debug, thiserror::Error)]
enum Shared {
    /// A member was refused in a transaction without savepoints; nothing was kept.
    #[error("a member was refused")]
    Refused,
    /// The transaction itself failed (its begin, a savepoint or the commit).
    #[error(transparent)]
    Failed(#[from] StoreError),
    /// The commit's answer was an error and its mark could not be read back.
    #[error("{0}")]
    Unknown(StoreError),
}

/// One transaction for all of `batch`: the certificates in one INSERT, then every other member,
/// each in a savepoint of its own or not (`savepoints`). `Err` when the shared transaction did
/// not commit, which decides nothing for any member.
async fn together(
    store: &Store,
    batch: &mut [Box<dyn Member>],
    savepoints: Savepoints,
) -> Result<Vec<Result<(), StoreError>>, Shared> {
    let mut tx = store.begin().await?;
    let mut outcomes = insert_certificates(&mut tx, batch).await;
    if savepoints == Savepoints::None && finish_flows(&mut tx, batch, &mut outcomes).await.is_err()
    {
        tx.roll_back().await?;
        return Err(Shared::Refused);
    }
    for (member, outcome) in batch.iter_mut().zip(outcomes.iter_mut()) {
        if outcome.is_some() {
            continue;
        }
        if certificate(member.as_ref()).is_some() {
            // Its row alone: the shared INSERT failed, and this finds whose row it was.
            *outcome = Some(member.run(&mut tx).await);
            continue;
        }
        let result = match savepoints {
            Savepoints::None => {
                let result = member.run(&mut tx).await;
                if result.is_err() {
                    tx.roll_back().await?;
                    return Err(Shared::Refused);
                }
                result
            }
            Savepoints::Each => {
                let savepoint = tx.savepoint().await?;
                let result = member.run(&mut tx).await;
                if result.is_err() {
                    tx.roll_back_to(&savepoint).await?;
                }
                result
            }
        };
        *outcome = Some(result);
    }
    let mark = store.group.last_mark.fetch_add(1, Ordering::Relaxed) + 1;
    write_mark(&mut tx, &store.group.writer, mark).await?;
    let committed = tx.commit().await;
    #[cfg(test)]
    let committed = committed.and_then(|()| {
        match store.group.lose_next_answer.swap(false, Ordering::Relaxed) {
            true => Err(StoreError::Stopped),
            false => Ok(()),
        }
    });
    if let Err(e) = committed {
        // Whether it landed all the same (an answer lost on the way back) decides whether the
        // members may run again.
        match read_mark(store, &store.group.writer).await {
            Ok(Some(seen)) if seen == mark => {
                tracing::warn!(members = batch.len(), error = %e, "a shared commit's answer was lost, but it landed");
            }
            Ok(_) => return Err(Shared::Failed(e)),
            Err(read) => {
                tracing::warn!(error = %read, "a failed shared commit's mark could not be read back");
                return Err(Shared::Unknown(e));
            }
        }
    }
    store.group.committed(batch.len());
    Ok(outcomes.into_iter().map(|o| o.unwrap_or(Err(StoreError::Stopped))).collect())
}

/// Writes `mark` as `writer`'s last shared transaction, inside it, with when it was written.
async fn write_mark(tx: &mut Tx, writer: &str, mark: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO commit_marks (writer, mark, written_at) VALUES ($1, $2, $3) \
         ON CONFLICT (writer) DO UPDATE SET mark = excluded.mark, written_at = excluded.written_at",
    )
    .bind(writer)
    .bind(mark)
    .bind(unix_now())
    .execute(&mut *tx.inner)
    .await?;
    Ok(())
}

/// The system clock in unix seconds. Marks are the store's own bookkeeping, so they keep the
/// machine's time rather than the center's (which tests and the bench move).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Store {
    /// Deletes the commit marks no writer has written for `idle` (housekeeping): every process
    /// that opens the store and group-commits leaves one row, and a mark is only read back by
    /// its own writer moments after a COMMIT, so a writer idle that long needs none kept — a
    /// live one writes its row again with its next shared transaction. Returns how many went.
    pub async fn prune_commit_marks(&self, idle: std::time::Duration) -> Result<u64, StoreError> {
        let idle = i64::try_from(idle.as_secs()).unwrap_or(i64::MAX);
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM commit_marks WHERE written_at < $1")
            .bind(unix_now().saturating_sub(idle))
            .execute(&mut *tx.inner)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// The last mark `writer`'s shared transactions left, as committed now.
async fn read_mark(store: &Store, writer: &str) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT mark FROM commit_marks WHERE writer = $1")
        .bind(writer)
        .fetch_optional(&store.pool)
        .await?)
}

/// The certificate of a member whose work is storing it, and nothing else.
fn certificate(member: &dyn Member) -> Option<&NewCertificate> {
    match member.batched() {
        Some(Batched::Certificate(c)) => Some(c),
        _ => None,
    }
}

/// Stores the certificates of `batch`'s insert members in one statement; returns the outcome of
/// each member it decided (`None` for the others). If the statement failed (a row breaking
/// another constraint), it stored nothing and decided nothing: each is stored alone after it.
async fn insert_certificates(
    tx: &mut Tx,
    batch: &mut [Box<dyn Member>],
) -> Vec<Option<Result<(), StoreError>>> {
    let certificates: Vec<&NewCertificate> =
        batch.iter().filter_map(|m| certificate(m.as_ref())).collect();
    let mut decided = match certificates.is_empty() {
        true => None,
        false => match tx.insert_certificates(&certificates).await {
            Ok(outcomes) => Some(outcomes.into_iter()),
            Err(e) => {
                tracing::debug!(rows = certificates.len(), error = %e, "a shared INSERT failed; each row is stored alone");
                None
            }
        },
    };
    batch
        .iter()
        .map(|m| certificate(m.as_ref()).and_then(|_| decided.as_mut().and_then(Iterator::next)))
        .collect()
}

/// Finishes `batch`'s plain flow finishes in the set statements of [`Tx::finish_flows`], one
/// per flow (a flow finished twice in one batch, a request sent again, has its second finish
/// run on its own after, where it finds the flow moved), and marks them decided in `outcomes`.
/// `Err` when any was refused or a statement failed: the transaction must then be rolled back
/// whole, and the batch runs again, each member on its own in a savepoint.
async fn finish_flows(
    tx: &mut Tx,
    batch: &mut [Box<dyn Member>],
    outcomes: &mut [Option<Result<(), StoreError>>],
) -> Result<(), StoreError> {
    let (chosen, answers) = {
        let mut flows = std::collections::HashSet::new();
        let (chosen, finishes): (Vec<usize>, Vec<&FlowFinish>) = batch
            .iter()
            .enumerate()
            .filter_map(|(i, m)| match m.batched() {
                Some(Batched::Finish(f)) if flows.insert(f.flow.as_str()) => Some((i, f)),
                _ => None,
            })
            .unzip();
        if finishes.is_empty() {
            return Ok(());
        }
        let answers = tx.finish_flows(&finishes).await.inspect_err(|e| {
            tracing::debug!(finishes = finishes.len(), error = %e, "shared finish statements failed; each runs on its own");
        })?;
        (chosen, answers)
    };
    let decided = answers.into_iter().collect::<Result<Vec<_>, _>>()?;
    for (i, finished) in chosen.into_iter().zip(decided) {
        batch[i].finished(finished);
        outcomes[i] = Some(Ok(()));
    }
    Ok(())
}

/// `member` in a transaction of its own, as a writer without a group would do it.
async fn alone(store: &Store, mut member: Box<dyn Member>) {
    let outcome = async {
        let mut tx = store.begin().await?;
        member.run(&mut tx).await?;
        tx.commit().await?;
        store.group.committed(1);
        Ok(())
    }
    .await;
    member.answer(outcome);
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashSet;
    use std::sync::atomic::Ordering;

    use dojang_pki::Serial;

    use crate::record::NewCertificate;
    use crate::StoreError;

    pub(crate) fn cert(serial: &Serial) -> NewCertificate {
        crate::testing::certificate(serial, crate::testing::t0())
    }

    pub(crate) fn serial(n: usize) -> Serial {
        format!("{:04X}", n + 1).parse().expect("serial")
    }

    /// Waits until a committing task holds what it took and `want` writers wait behind it.
    async fn queued(s: &crate::Store, want: usize) {
        // A bound against hanging for ever, not a limit on speed.
        tokio::time::timeout(std::time::Duration::from_secs(60), async {
            loop {
                let waiting = {
                    let q = s.group.lock();
                    q.committing.then_some(q.waiting.len())
                };
                if waiting == Some(want) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        })
        .await
        .expect("the writers queued");
    }

    /// Spawns `n` writers so that the first is taken alone by the committing task (held at the
    /// write lock) and the other `n - 1` queue behind it; then lets them go.
    pub(crate) async fn first_alone_then_together<T: Send + 'static>(
        s: &crate::Store,
        n: usize,
        spawn: impl Fn(usize) -> tokio::task::JoinHandle<T>,
    ) -> Vec<tokio::task::JoinHandle<T>> {
        let holder = s.begin().await.expect("hold the write lock");
        let mut tasks = vec![spawn(0)];
        queued(s, 0).await;
        tasks.extend((1..n).map(&spawn));
        queued(s, n - 1).await;
        drop(holder);
        tasks
    }

    /// A member that stores certificate `i` and then, when `fails`, fails — when `breaks`, after
    /// taking away the savepoint its failure would be rolled back to (alone, it then fails on the
    /// savepoint that is not there).
    fn insert_then(
        s: &crate::Store,
        i: usize,
        fails: bool,
        breaks: bool,
    ) -> tokio::task::JoinHandle<Result<usize, StoreError>> {
        let s = s.clone();
        tokio::spawn(async move {
            let c = cert(&serial(i));
            s.in_group_commit(move |tx| {
                let c = c.clone();
                Box::pin(async move {
                    tx.insert_certificate(&c).await?;
                    if breaks {
                        // The batch's first savepoint, and with it every later one.
                        sqlx::query("RELEASE SAVEPOINT dojang_member_1")
                            .execute(&mut *tx.inner)
                            .await?;
                    }
                    if fails {
                        return Err(StoreError::NotSuspended(c.serial));
                    }
                    Ok(i)
                })
            })
            .await
        })
    }

    // Many issuances at once: every one answered Ok is in the store, each exactly once, and
    // visible to any other connection as soon as its answer arrives.
    crate::store_test!(async fn concurrent_inserts_are_all_kept_and_share_commits(s) {
        const N: usize = 200;
        let g0 = s.status_generation().await.expect("gen");
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let c = cert(&serial(i));
                    s.insert_certificate(&c).await.map(|()| c.serial)
                })
            })
            .collect();
        let mut kept = HashSet::new();
        for t in tasks {
            let serial = t.await.expect("task").expect("insert");
            // Answered only after the commit: the row is there when the answer arrives.
            assert!(s.certificate(&serial).await.expect("read").is_some(), "{serial}");
            assert!(kept.insert(serial));
        }
        assert_eq!(kept.len(), N);
        assert_eq!(s.certificate_count().await.expect("count"), N as i64);
        // Inserting issues no status change.
        assert_eq!(s.status_generation().await.expect("gen"), g0);
    });

    // Writers that arrive while a commit is in flight share the next transaction. The write
    // lock is held from outside until all have queued; then the first (already taken by the
    // committing task) commits alone and all the others together: two transactions.
    crate::store_test!(async fn members_arriving_together_share_one_transaction(s) {
        const N: usize = 50;
        let commits = |s: &crate::Store| s.group.commits.load(Ordering::Relaxed);
        let before = commits(s);
        let tasks = first_alone_then_together(s, N, |i| {
            let s = s.clone();
            tokio::spawn(async move { s.insert_certificate(&cert(&serial(i))).await })
        })
        .await;
        for t in tasks {
            t.await.expect("task").expect("insert");
        }
        assert_eq!(s.certificate_count().await.expect("count"), N as i64);
        assert_eq!(commits(s) - before, 2, "one alone, then {} together", N - 1);
    });

    // A shared commit that landed but whose answer was lost: its mark is read back, and every
    // member is answered from it — none runs again (which would find its own certificate and
    // answer "duplicate serial" for a certificate that was stored).
    crate::store_test!(async fn a_commit_whose_answer_was_lost_is_found_by_its_mark(s) {
        const N: usize = 10;
        let commits = |s: &crate::Store| s.group.commits.load(Ordering::Relaxed);
        let before = commits(s);
        let tasks = first_alone_then_together(s, N, |i| {
            if i == 1 {
                // The first is taken alone; the rest share the next transaction, whose answer
                // is lost.
                s.group.lose_next_answer.store(true, Ordering::Relaxed);
            }
            let s = s.clone();
            tokio::spawn(async move { s.insert_certificate(&cert(&serial(i))).await })
        })
        .await;
        for (i, t) in tasks.into_iter().enumerate() {
            t.await.expect("task").unwrap_or_else(|e| panic!("{i}: {e}"));
        }
        assert!(!s.group.lose_next_answer.load(Ordering::Relaxed), "the answer was lost");
        assert_eq!(s.certificate_count().await.expect("count"), N as i64);
        assert_eq!(commits(s) - before, 2, "one alone, then one shared; nobody ran again");
        let mark = crate::group_commit::read_mark(s, &s.group.writer).await.expect("read");
        assert_eq!(mark, Some(s.group.last_mark.load(Ordering::Relaxed)));
    });

    // Housekeeping drops the marks of writers long idle (a process gone: here a row written
    // two days ago) and keeps a live writer's; a writer whose row went writes it again with
    // its next shared transaction.
    crate::store_test!(async fn marks_of_writers_long_idle_are_pruned_and_live_ones_kept(s) {
        let day = 24 * 3600;
        let tasks = first_alone_then_together(s, 4, |i| {
            let s = s.clone();
            tokio::spawn(async move { s.insert_certificate(&cert(&serial(i))).await })
        })
        .await;
        for t in tasks {
            t.await.expect("task").expect("insert");
        }
        let live = s.group.last_mark.load(Ordering::Relaxed);
        assert!(live > 0, "a shared transaction wrote a mark");
        sqlx::query("INSERT INTO commit_marks (writer, mark, written_at) VALUES ('gone', 7, $1)")
            .bind(crate::group_commit::unix_now() - 2 * day)
            .execute(&s.pool)
            .await
            .expect("an old writer's mark");
        let idle = std::time::Duration::from_secs(day as u64);
        assert_eq!(s.prune_commit_marks(idle).await.expect("prune"), 1);
        assert_eq!(crate::group_commit::read_mark(s, "gone").await.expect("read"), None);
        let mark = crate::group_commit::read_mark(s, &s.group.writer).await.expect("read");
        assert_eq!(mark, Some(live), "the live writer's mark is kept");
        // Its row written ten seconds ago and nothing idle allowed: it goes too, and comes
        // back with the writer's next shared transaction.
        sqlx::query("UPDATE commit_marks SET written_at = written_at - 10")
            .execute(&s.pool)
            .await
            .expect("age the marks");
        assert_eq!(s.prune_commit_marks(std::time::Duration::ZERO).await.expect("prune"), 1);
        let tasks = first_alone_then_together(s, 3, |i| {
            let s = s.clone();
            tokio::spawn(async move { s.insert_certificate(&cert(&serial(100 + i))).await })
        })
        .await;
        for t in tasks {
            t.await.expect("task").expect("insert");
        }
        let mark = crate::group_commit::read_mark(s, &s.group.writer).await.expect("read");
        assert_eq!(mark, Some(s.group.last_mark.load(Ordering::Relaxed)));
    });

    // Nobody refused: the batch commits at its first try, without savepoints. One refused
    // (a `Typed` member, which would take a savepoint): that try is undone whole and the batch
    // runs again, a savepoint each — the refused member's row is not kept, the others' are,
    // and each hears its own answer.
    crate::store_test!(async fn a_batch_runs_again_with_savepoints_only_when_someone_is_refused(s) {
        const N: usize = 12;
        let reruns = |s: &crate::Store| s.group.reruns.load(Ordering::Relaxed);
        let before = reruns(s);
        let tasks = first_alone_then_together(s, N, |i| insert_then(s, i, false, false)).await;
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.expect("task").expect("ok"), i);
        }
        assert_eq!(reruns(s), before, "nobody was refused");

        let tasks = first_alone_then_together(s, N, |i| insert_then(s, N + i, i == 5, false)).await;
        for (i, t) in tasks.into_iter().enumerate() {
            let result = t.await.expect("task");
            let stored = s.certificate(&serial(N + i)).await.expect("read").is_some();
            if i == 5 {
                assert!(matches!(result, Err(StoreError::NotSuspended(_))), "{i}: {result:?}");
                assert!(!stored, "the refused member's row was kept");
            } else {
                assert_eq!(result.expect("ok"), N + i);
                assert!(stored, "{i}");
            }
        }
        assert_eq!(reruns(s), before + 1, "the batch with a refusal ran again once");
        assert_eq!(s.certificate_count().await.expect("count"), (2 * N - 1) as i64);
    });

    // One bad member in a shared transaction: it alone gets its error, and its changes alone
    // are undone; the others' certificates are kept and they are told so.
    crate::store_test!(async fn one_refused_member_does_not_fail_the_others(s) {
        let taken = serial(10_000);
        s.insert_certificate(&cert(&taken)).await.expect("first");
        const N: usize = 40;
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let s = s.clone();
                let taken = taken.clone();
                tokio::spawn(async move {
                    // Every fourth one asks for the serial already taken.
                    let c = if i % 4 == 0 { cert(&taken) } else { cert(&serial(i)) };
                    (i, s.insert_certificate(&c).await)
                })
            })
            .collect();
        for t in tasks {
            let (i, result) = t.await.expect("task");
            if i % 4 == 0 {
                assert!(matches!(result, Err(StoreError::DuplicateSerial(_))), "{i}: {result:?}");
            } else {
                result.expect("kept");
                assert!(s.certificate(&serial(i)).await.expect("read").is_some());
            }
        }
        assert_eq!(s.certificate_count().await.expect("count"), 1 + (N - N / 4) as i64);
    });

    // A member whose work fails after writing: its writes are rolled back (to its
    // savepoint), the members around it keep theirs.
    crate::store_test!(async fn a_failing_member_leaves_no_half_of_its_work(s) {
        const N: usize = 30;
        let tasks: Vec<_> = (0..N).map(|i| insert_then(s, i, i % 3 == 0, false)).collect();
        for (i, t) in tasks.into_iter().enumerate() {
            let result = t.await.expect("task");
            let stored = s.certificate(&serial(i)).await.expect("read").is_some();
            if i % 3 == 0 {
                assert!(matches!(result, Err(StoreError::NotSuspended(_))), "{i}: {result:?}");
                assert!(!stored, "{i}: a failed member's row was kept");
            } else {
                assert_eq!(result.expect("ok"), i);
                assert!(stored, "{i}");
            }
        }
        assert_eq!(s.certificate_count().await.expect("count"), (N - N / 3) as i64);
    });

    // Audit entries are chained in memory and written at commit: a member that fails after
    // appending takes its entries with it, the others' entries are all there, numbered without
    // a gap, and the chain (head included) verifies.
    crate::store_test!(async fn a_failing_member_takes_its_audit_entries_with_it(s) {
        const N: usize = 24;
        let entries_before = s.audit_entries(0, 10_000).await.expect("list").len();
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.in_group_commit(move |tx| {
                        Box::pin(async move {
                            for part in ["a", "b"] {
                                let event = crate::AuditEvent::new(
                                    crate::Actor::System,
                                    "test.step",
                                    format!("member:{i}:{part}"),
                                    serde_json::json!({ "i": i }),
                                );
                                tx.audit(&event, crate::testing::t0()).await?;
                            }
                            if i % 3 == 0 {
                                return Err(StoreError::NotSuspended(serial(i)));
                            }
                            Ok(i)
                        })
                    })
                    .await
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.expect("task").is_ok(), i % 3 != 0, "{i}");
        }
        let entries = s.audit_entries(0, 10_000).await.expect("list");
        let ours: Vec<_> = entries[entries_before..].iter().map(|e| e.subject.clone()).collect();
        assert_eq!(ours.len(), 2 * (N - N / 3));
        for i in 0..N {
            let kept = ours.contains(&format!("member:{i}:a"))
                && ours.contains(&format!("member:{i}:b"));
            assert_eq!(kept, i % 3 != 0, "{i}");
        }
        assert!(matches!(
            s.verify_audit().await.expect("verify"),
            crate::AuditVerdict::Intact { .. }
        ));
    });

    // Certificates stored together share one INSERT. Two of them with the same new serial:
    // the first is kept, the second alone hears its serial was taken. One naming a customer
    // who does not exist fails the shared INSERT: every row is then stored alone, in the same
    // transaction, so that only that one fails — also when it is in the last of the INSERT's
    // pieces (nine rows go as eight and one), the first piece's rows stored already.
    crate::store_test!(async fn each_certificate_of_a_shared_insert_gets_its_own_answer(s) {
        const N: usize = 10;
        let commits = |s: &crate::Store| s.group.commits.load(Ordering::Relaxed);
        for stranger in [None, Some(4), Some(9)] {
            let before = commits(s);
            let base = stranger.map_or(0, |i| 100 * i);
            let tasks = first_alone_then_together(s, N, |i| {
                let s = s.clone();
                // Members 6 and 7 ask for the same serial.
                let mut c = cert(&serial(base + if i == 7 { 6 } else { i }));
                if Some(i) == stranger {
                    c.customer_id = Some(424_242);
                }
                tokio::spawn(async move { s.insert_certificate(&c).await })
            })
            .await;
            for (i, t) in tasks.into_iter().enumerate() {
                let result = t.await.expect("task");
                match i {
                    7 => assert!(matches!(result, Err(StoreError::DuplicateSerial(_))), "{result:?}"),
                    i if Some(i) == stranger => {
                        assert!(result.is_err(), "{i}: {result:?}");
                        assert!(s.certificate(&serial(base + i)).await.expect("read").is_none());
                    }
                    i => {
                        result.unwrap_or_else(|e| panic!("{i}: {e}"));
                        assert!(s.certificate(&serial(base + i)).await.expect("read").is_some());
                    }
                }
            }
            assert_eq!(commits(s) - before, 2, "one alone, then the others together");
        }
        assert_eq!(s.certificate_count().await.expect("count"), 3 * (N as i64 - 1) - 2);
    });

    // A member that breaks the shared transaction itself: the transaction decides
    // nothing, every member runs again alone, and only the breaker fails.
    crate::store_test!(async fn a_broken_shared_transaction_is_retried_one_by_one(s) {
        const N: usize = 12;
        let commits = |s: &crate::Store| s.group.commits.load(Ordering::Relaxed);
        let before = commits(s);
        let tasks = first_alone_then_together(s, N, |i| insert_then(s, i, i == 5, i == 5)).await;
        for (i, t) in tasks.into_iter().enumerate() {
            let result = t.await.expect("task");
            let stored = s.certificate(&serial(i)).await.expect("read").is_some();
            if i == 5 {
                assert!(result.is_err());
                assert!(!stored);
            } else {
                result.unwrap_or_else(|e| panic!("{i}: {e}"));
                assert!(stored, "{i}");
            }
        }
        // The first alone; the shared one failed; ten alone again (the breaker's commits none).
        assert_eq!(commits(s) - before, 1 + (N as u64 - 2));
        assert_eq!(s.certificate_count().await.expect("count"), N as i64 - 1);
    });
}
