//! A write transaction: several changes that land together or not at all (a certificate, the
//! fee for it and the audit entries of the flow that made it).

use sqlx::{Sqlite, Transaction};

use crate::error::StoreError;
use crate::sqlite::Store;

/// An open write transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    pub(crate) inner: Transaction<'static, Sqlite>,
}

impl Store {
    /// Begins a write transaction. It takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// read-then-write inside it cannot fail half-way on a lock upgrade.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(Tx { inner: self.pool.begin_with("BEGIN IMMEDIATE").await? })
    }
}

impl Tx {
    /// Makes every change durable (the store runs with `synchronous=FULL`).
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.inner.commit().await?)
    }
}
