//! Customers (고객) enrolled at a branch: who they are, how they log in to internet banking,
//! and whether they are locked. The store keeps only what the vault made of the RRN (a sealed
//! copy and a keyed hash) and an Argon2id PHC string of the password; it never sees either in
//! the clear.

use std::fmt;

use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::{count, opt_time, time_of, unique_violation, unix, Columns, Conn};
use crate::store::Store;
use crate::tx::Tx;

/// Person (개인) or business (법인).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CustomerKind {
    Person,
    Business,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Person => "person",
            CustomerKind::Business => "business",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "person" => Ok(CustomerKind::Person),
            "business" => Ok(CustomerKind::Business),
            other => Err(StoreError::Corrupt(format!("customer kind {other:?}"))),
        }
    }
}

/// A customer to enrol. Secret-derived fields arrive already sealed or hashed.
#[derive(Clone)]
pub struct NewCustomer {
    pub kind: CustomerKind,
    pub name: String,
    /// Vault keyed hash of the RRN (required for a person; a business may give its
    /// representative's).
    pub rrn_lookup: Option<[u8; 32]>,
    /// Vault-sealed RRN.
    pub rrn_sealed: Option<Vec<u8>>,
    /// 사업자등록번호, 10 digits, businesses only.
    pub business_number: Option<String>,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub banking_id: String,
    /// Argon2id PHC string of the internet-banking password.
    pub banking_password_hash: String,
}

impl fmt::Debug for NewCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCustomer")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("banking_id", &self.banking_id)
            .finish_non_exhaustive()
    }
}

/// A stored customer.
#[derive(Clone)]
pub struct Customer {
    pub id: i64,
    pub kind: CustomerKind,
    pub name: String,
    pub rrn_lookup: Option<Vec<u8>>,
    pub rrn_sealed: Option<Vec<u8>>,
    pub business_number: Option<String>,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub banking_id: String,
    /// Argon2id PHC string; not the password, but still not for display.
    pub banking_password_hash: String,
    /// Wrong internet-banking passwords in a row.
    pub banking_failures: u32,
    pub locked_at: Option<OffsetDateTime>,
    /// Why: `banking-password` (too many wrong passwords) or what the staff member wrote.
    pub lock_reason: Option<String>,
    pub created_at: OffsetDateTime,
}

impl Customer {
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

/// Shows who, never the sealed RRN or the password hash.
impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Customer")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("banking_id", &self.banking_id)
            .field("locked_at", &self.locked_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, kind, name, rrn_lookup, rrn_sealed, business_number, phone, email, \
    address, banking_id, banking_password, banking_failures, locked_at, lock_reason, created_at";

fn customer_of(r: &impl Columns) -> Result<Customer, StoreError> {
    Ok(Customer {
        id: r.get("id")?,
        kind: CustomerKind::parse(&r.get::<String>("kind")?)?,
        name: r.get("name")?,
        rrn_lookup: r.get("rrn_lookup")?,
        rrn_sealed: r.get("rrn_sealed")?,
        business_number: r.get("business_number")?,
        phone: r.get("phone")?,
        email: r.get("email")?,
        address: r.get("address")?,
        banking_id: r.get("banking_id")?,
        banking_password_hash: r.get("banking_password")?,
        banking_failures: count(r.get("banking_failures")?),
        locked_at: opt_time(r.get("locked_at")?)?,
        lock_reason: r.get("lock_reason")?,
        created_at: time_of(r.get("created_at")?)?,
    })
}

/// Which customer to read.
enum By<'a> {
    Id(i64),
    BankingId(&'a str),
    RrnLookup(&'a [u8]),
    BusinessNumber(&'a str),
}

impl By<'_> {
    /// The query that reads the customer, its one parameter the key.
    fn sql(&self) -> String {
        let key = match self {
            By::Id(_) => "id",
            By::BankingId(_) => "banking_id",
            By::RrnLookup(_) => "rrn_lookup",
            By::BusinessNumber(_) => "business_number",
        };
        format!("SELECT {COLUMNS} FROM customers WHERE {key} = $1")
    }
}

async fn fetch(c: &mut Conn, by: By<'_>) -> Result<Option<Customer>, StoreError> {
    let q = by.sql();
    let q = sqlx::query(&q);
    let q = match by {
        By::Id(id) => q.bind(id),
        By::BankingId(s) | By::BusinessNumber(s) => q.bind(s),
        By::RrnLookup(h) => q.bind(h),
    };
    q.fetch_optional(c).await?.as_ref().map(customer_of).transpose()
}

/// Adds a customer; returns the new id.
async fn insert(c: &mut Conn, n: &NewCustomer, now: OffsetDateTime) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO customers (kind, name, rrn_lookup, rrn_sealed, business_number, phone, email,
             address, banking_id, banking_password, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(n.kind.as_str())
    .bind(&n.name)
    .bind(n.rrn_lookup.as_ref().map(|h| h.as_slice()))
    .bind(n.rrn_sealed.as_deref())
    .bind(n.business_number.as_deref())
    .bind(&n.phone)
    .bind(&n.email)
    .bind(&n.address)
    .bind(&n.banking_id)
    .bind(&n.banking_password_hash)
    .bind(unix(now))
    .fetch_one(c)
    .await
}

/// A refused enrolment as [`StoreError::Duplicate`], naming which value was taken (never the
/// value: it may be an RRN hash).
fn duplicate(e: sqlx::Error) -> StoreError {
    match unique_violation(&e) {
        Some(v) if v.is_on("customers", "banking_id") => {
            StoreError::Duplicate { what: "the internet banking ID" }
        }
        Some(v) if v.is_on("customers", "rrn_lookup") => {
            StoreError::Duplicate { what: "the resident registration number" }
        }
        Some(v) if v.is_on("customers", "business_number") => {
            StoreError::Duplicate { what: "the business registration number" }
        }
        _ => e.into(),
    }
}

impl Store {
    /// The customer with `id`, read on the caller's thread where the store allows it
    /// (SQLite): every step of a flow after identification reads its customer.
    pub async fn customer(&self, id: i64) -> Result<Option<Customer>, StoreError> {
        let sql = By::Id(id).sql();
        if let Some(found) =
            self.direct.as_ref().and_then(|d| d.row(&sql, [id], |r| customer_of(r)))
        {
            return Ok(found);
        }
        fetch(&mut *self.pool.acquire().await?, By::Id(id)).await
    }

    /// The customer whose internet-banking ID is `banking_id` (exact).
    pub async fn customer_by_banking_id(
        &self,
        banking_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        fetch(&mut *self.pool.acquire().await?, By::BankingId(banking_id)).await
    }

    /// The customer whose RRN has the vault keyed hash `lookup`.
    pub async fn customer_by_rrn_lookup(
        &self,
        lookup: &[u8],
    ) -> Result<Option<Customer>, StoreError> {
        fetch(&mut *self.pool.acquire().await?, By::RrnLookup(lookup)).await
    }

    /// The business customer with registration number `number` (10 digits).
    pub async fn customer_by_business_number(
        &self,
        number: &str,
    ) -> Result<Option<Customer>, StoreError> {
        fetch(&mut *self.pool.acquire().await?, By::BusinessNumber(number)).await
    }

    /// Customers with id above `after_id`, in id order, at most `limit`: a page of a listing.
    pub async fn customers(&self, after_id: i64, limit: i64) -> Result<Vec<Customer>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM customers WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(customer_of).collect()
    }
}

impl Tx {
    /// Enrols a customer; returns the new id.
    pub async fn insert_customer(
        &mut self,
        n: &NewCustomer,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        self.guarded(async |conn| insert(conn, n, now).await).await.map_err(duplicate)
    }

    /// The customer with `id`, read under this transaction's write lock.
    pub async fn customer(&mut self, id: i64) -> Result<Option<Customer>, StoreError> {
        fetch(&mut self.inner, By::Id(id)).await
    }

    /// Locks the customer (all checks and logins refuse until staff unlock). Keeps the first
    /// lock's time and reason if already locked; returns whether this call locked it.
    pub async fn lock_customer(
        &mut self,
        id: i64,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let exists = fetch(&mut self.inner, By::Id(id)).await?;
        if exists.is_none() {
            return Err(StoreError::NoSuchCustomer(id));
        }
        let done = sqlx::query(
            "UPDATE customers SET locked_at = $1, lock_reason = $2 WHERE id = $3 AND locked_at IS NULL",
        )
        .bind(unix(now))
        .bind(reason)
        .bind(id)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
