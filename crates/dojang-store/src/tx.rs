//! A write transaction: several changes that land together or not at all (a certificate, the
//! fee for it and the audit entries of the flow that made it).
//!
//! Write transactions run one at a time, whichever process or replica begins them, so that a
//! read-then-write inside one (a revocation's check of the current status, a debit's check of
//! the balance, a flow's step, a PIN try) cannot interleave with another writer. SQLite gives
//! that with `BEGIN IMMEDIATE` (the database's one write lock, taken at once). PostgreSQL gets
//! the same from a transaction-scoped advisory lock taken first thing: every `Tx` of every
//! replica queues on it, and it is released by the commit or rollback itself, so a crashed
//! replica never leaves it held. Reads outside a `Tx` (OCSP, status) never wait for it.
//!
//! Within one process, SQLite writers first queue on an async mutex ([`Store::turn`]): SQLite's
//! own busy handler makes a waiting connection sleep and retry (1, 2, 5 … up to 100 ms a try),
//! and a perf trace under concurrent flows found the store's threads asleep in it most of the
//! time, the lock often free meanwhile. The queue hands the turn over the moment the previous
//! writer ends; the database lock still guards against other processes (`dojang admin`,
//! `dojang ca revoke`).
//!
//! Why not SERIALIZABLE with retries: a `Tx` spans work between its statements (the RA signs,
//! the vault seals) and its callers are not written to run twice; a serialization failure at
//! commit would have to go back to the customer. One writer at a time is what the center has
//! always had with SQLite, and its writes are short.
//!
//! A statement refused inside a `Tx` (a duplicate serial, a taken banking ID) leaves the
//! transaction usable on both backends: PostgreSQL would abort the whole transaction, so there
//! such statements run inside a savepoint ([`Tx::guarded`]).

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, Executor, Transaction};
use tokio::sync::OwnedMutexGuard;

use crate::audit::{AuditTail, TailMark};
use crate::error::StoreError;
use crate::rows::Conn;
use crate::store::{Backend, Store};

/// The key of the advisory lock every PostgreSQL write transaction holds ("dojang" in ASCII,
/// then 1). Advisory locks are per database, so two centers on one server do not share it.
const WRITE_LOCK: i64 = 0x646f_6a61_6e67_0001;

/// How long a writer waits for its turn in this process before giving up, as SQLite's busy
/// timeout does for a lock held by another process.
const TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// An open write transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    pub(crate) inner: Transaction<'static, Any>,
    pub(crate) backend: Backend,
    /// Audit entries appended so far, written just before COMMIT.
    pub(crate) audit: AuditTail,
    /// Savepoints taken ([`Tx::savepoint`]), to name each one apart.
    savepoints: u32,
    /// This process's write turn (SQLite), given back when the transaction ends. Declared
    /// after `inner` so that it is dropped after it (a dropped transaction's rollback is only
    /// queued on its connection; the next writer's `BEGIN IMMEDIATE` waits for it in SQLite).
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Store {
    /// Begins a write transaction, holding the store's one write lock until it ends.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let turn = self.turn().await?;
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut inner = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *inner)
                    .await?;
                inner
            }
        };
        Ok(Tx {
            inner,
            backend: self.backend,
            audit: AuditTail::default(),
            savepoints: 0,
            _turn: turn,
        })
    }

    /// This process's turn to write, for a single statement outside a [`Tx`] too: on SQLite
    /// the writers queue here rather than sleep in the busy handler; `None` on PostgreSQL,
    /// whose lock waits already queue.
    pub(crate) async fn turn(&self) -> Result<Option<OwnedMutexGuard<()>>, StoreError> {
        match &self.writers {
            Some(writers) => tokio::time::timeout(TURN_TIMEOUT, Arc::clone(writers).lock_owned())
                .await
                .map(Some)
                .map_err(|_| StoreError::Busy),
            None => Ok(None),
        }
    }
}

impl Tx {
    /// Runs `statement`, whose failure the caller may answer and go on (a unique key taken),
    /// so that a failure undoes only it, as it does on SQLite; on PostgreSQL, inside a
    /// savepoint.
    pub(crate) async fn guarded<T>(
        &mut self,
        statement: impl AsyncFnOnce(&mut Conn) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        if self.backend == Backend::Sqlite {
            return statement(&mut self.inner).await;
        }
        self.all_or_nothing(statement).await
    }

    /// Runs `statements` so that a failure of any undoes them all and nothing before them: in
    /// a savepoint, on both backends (SQLite undoes only the one statement that failed).
    pub(crate) async fn all_or_nothing<T>(
        &mut self,
        statements: impl AsyncFnOnce(&mut Conn) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        self.inner.execute("SAVEPOINT dojang_statement").await?;
        let result = statements(&mut self.inner).await;
        let end = match result {
            Ok(_) => "RELEASE SAVEPOINT dojang_statement",
            Err(_) => "ROLLBACK TO SAVEPOINT dojang_statement",
        };
        self.inner.execute(end).await?;
        result
    }

    /// Makes every change durable (SQLite runs with `synchronous=FULL`; PostgreSQL's commit
    /// waits for its WAL flush unless the server was configured otherwise).
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let written = self.write_audit().await?;
        self.inner.commit().await?;
        for (action, detail) in &written {
            crate::events::count(action, detail);
        }
        Ok(())
    }

    /// Undoes the whole transaction now, rather than when it is dropped: a dropped
    /// transaction's rollback waits on its connection until that is next used, and with it
    /// SQLite's write lock, which the next writer's `BEGIN IMMEDIATE` would wait for.
    pub(crate) async fn roll_back(self) -> Result<(), StoreError> {
        self.inner.rollback().await?;
        Ok(())
    }

    /// Marks where the transaction stands, so that [`Tx::roll_back_to`] can undo what follows
    /// and nothing before it (one member of a group commit). Each savepoint has a name of its
    /// own and is not released: the commit ends them all, and a rollback can only ever reach
    /// the savepoint it was given, never an earlier member's of the same name.
    pub(crate) async fn savepoint(&mut self) -> Result<Savepoint, StoreError> {
        self.savepoints += 1;
        let name = format!("dojang_member_{}", self.savepoints);
        self.inner.execute(format!("SAVEPOINT {name}").as_str()).await?;
        Ok(Savepoint { name, audit: self.audit.mark() })
    }

    /// Undoes everything since `savepoint`, audit entries included; the transaction goes on.
    pub(crate) async fn roll_back_to(&mut self, savepoint: &Savepoint) -> Result<(), StoreError> {
        let sql = format!("ROLLBACK TO SAVEPOINT {}", savepoint.name);
        self.inner.execute(sql.as_str()).await?;
        self.audit.roll_back_to(savepoint.audit);
        Ok(())
    }
}

/// A point inside a [`Tx`] to roll back to.
pub(crate) struct Savepoint {
    name: String,
    audit: TailMark,
}

#[cfg(test)]
mod tests {
    // Sixteen writers each read a counter and write it back plus one, with a pause between
    // the read and the write. Were two ever inside at once, one's write would be lost.
    crate::store_test!(async fn writers_take_turns_so_no_read_then_write_is_lost(s) {
        let before = s.status_generation().await.expect("read");
        let writers: Vec<_> = (0..16)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    let mut tx = s.begin().await.expect("begin");
                    let seen: i64 =
                        sqlx::query_scalar("SELECT generation FROM status_generation WHERE id = 1")
                            .fetch_one(&mut *tx.inner)
                            .await
                            .expect("read");
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    sqlx::query("UPDATE status_generation SET generation = $1 WHERE id = 1")
                        .bind(seen + 1)
                        .execute(&mut *tx.inner)
                        .await
                        .expect("write");
                    tx.commit().await.expect("commit");
                })
            })
            .collect();
        for w in writers {
            w.await.expect("writer");
        }
        assert_eq!(s.status_generation().await.expect("read"), before + 16);
    });

    // A transaction dropped half-way gives the lock back: the next writer gets in.
    crate::store_test!(async fn an_abandoned_transaction_releases_the_lock(s) {
        let mut tx = s.begin().await.expect("begin");
        sqlx::query("UPDATE status_generation SET generation = generation + 100 WHERE id = 1")
            .execute(&mut *tx.inner)
            .await
            .expect("write");
        drop(tx);
        let before = s.status_generation().await.expect("read");
        let mut tx = tokio::time::timeout(std::time::Duration::from_secs(5), s.begin())
            .await
            .expect("the lock came back")
            .expect("begin");
        sqlx::query("UPDATE status_generation SET generation = generation + 1 WHERE id = 1")
            .execute(&mut *tx.inner)
            .await
            .expect("write");
        tx.commit().await.expect("commit");
        assert_eq!(s.status_generation().await.expect("read"), before + 1);
    });
}
