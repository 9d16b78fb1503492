//! Withdrawal accounts (출금계좌) and their ledger (거래내역). Money is integer won. Every
//! movement is a ledger row with the balance after it, written in the same transaction as the
//! balance change, and the balance never goes below zero: a debit that would is refused with
//! how much there is and how much was needed.

use std::fmt;

use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::{count, opt_time, time_of, unique_violation, unix, Conn};
use crate::store::Store;
use crate::tx::Tx;

/// An account to open at enrolment.
#[derive(Clone)]
pub struct NewAccount {
    pub number: String,
    /// Argon2id PHC string of the 4-digit account password.
    pub password_hash: String,
    /// Opening balance in won (recorded in the ledger as the first deposit).
    pub balance: i64,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("number", &self.number)
            .field("balance", &self.balance)
            .finish_non_exhaustive()
    }
}

/// A stored account.
#[derive(Clone)]
pub struct Account {
    pub number: String,
    pub customer_id: i64,
    /// Argon2id PHC string of the account password; not for display.
    pub password_hash: String,
    pub balance: i64,
    /// Wrong passwords in a row.
    pub failures: u32,
    pub locked_at: Option<OffsetDateTime>,
}

impl Account {
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("number", &self.number)
            .field("customer_id", &self.customer_id)
            .field("balance", &self.balance)
            .field("failures", &self.failures)
            .field("locked_at", &self.locked_at)
            .finish_non_exhaustive()
    }
}

/// One movement of money.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub account: String,
    /// Positive: a deposit (입금); negative: a withdrawal (출금), e.g. a certificate fee.
    pub amount: i64,
    pub balance_after: i64,
    /// What the customer sees in the account history (적요), e.g. `도장 4827` or `인증서 수수료`.
    pub memo: String,
    pub flow_id: Option<String>,
    pub at: OffsetDateTime,
}

fn account_of(r: &AnyRow) -> Result<Account, StoreError> {
    Ok(Account {
        number: r.try_get("number")?,
        customer_id: r.try_get("customer_id")?,
        password_hash: r.try_get("password")?,
        balance: r.try_get("balance")?,
        failures: count(r.try_get("failures")?),
        locked_at: opt_time(r.try_get("locked_at")?)?,
    })
}

fn entry_of(r: &AnyRow) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        id: r.try_get("id")?,
        account: r.try_get("account_number")?,
        amount: r.try_get("amount")?,
        balance_after: r.try_get("balance_after")?,
        memo: r.try_get("memo")?,
        flow_id: r.try_get("flow_id")?,
        at: time_of(r.try_get("at")?)?,
    })
}

const ACCOUNT_COLUMNS: &str = "number, customer_id, password, balance, failures, locked_at";
const LEDGER_COLUMNS: &str = "id, account_number, amount, balance_after, memo, flow_id, at";

async fn fetch(c: &mut Conn, number: &str) -> Result<Option<Account>, StoreError> {
    sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE number = $1"))
        .bind(number)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(account_of)
        .transpose()
}

/// Moves `amount` (positive: in, negative: out) and writes the ledger row.
async fn post(
    c: &mut Conn,
    number: &str,
    amount: i64,
    memo: &str,
    flow_id: Option<&str>,
    now: OffsetDateTime,
) -> Result<LedgerEntry, StoreError> {
    // The balance moves in one statement that also checks it: the bounds keep the sum inside
    // i64 and a debit from going below zero. Only when it refuses is the balance read, to say why.
    let (low, high) = match amount {
        a if a < 0 => (a.saturating_neg(), i64::MAX),
        a => (i64::MIN, i64::MAX - a),
    };
    let after: Option<i64> = sqlx::query_scalar(
        "UPDATE accounts SET balance = balance + $1 WHERE number = $2 AND balance >= $3 AND balance <= $4 RETURNING balance",
    )
    .bind(amount)
    .bind(number)
    .bind(low)
    .bind(high)
    .fetch_optional(&mut *c)
    .await?;
    let Some(after) = after else {
        return Err(refusal(c, number, amount).await);
    };
    let row = sqlx::query(&format!(
        "INSERT INTO ledger (account_number, amount, balance_after, memo, flow_id, at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {LEDGER_COLUMNS}"
    ))
    .bind(number)
    .bind(amount)
    .bind(after)
    .bind(memo)
    .bind(flow_id)
    .bind(unix(now))
    .fetch_one(&mut *c)
    .await?;
    entry_of(&row)
}

/// Why [`post`] moved nothing: no such account, a debit larger than the balance, or a sum
/// beyond what a balance holds.
async fn refusal(c: &mut Conn, number: &str, amount: i64) -> StoreError {
    let read = sqlx::query_scalar::<_, i64>("SELECT balance FROM accounts WHERE number = $1")
        .bind(number)
        .fetch_optional(&mut *c)
        .await;
    match read {
        Err(e) => e.into(),
        Ok(None) => StoreError::NoSuchAccount(number.to_string()),
        Ok(Some(balance)) => match balance.checked_add(amount) {
            Some(after) if after < 0 => StoreError::InsufficientFunds {
                account: number.to_string(),
                balance,
                needed: amount.saturating_neg(),
            },
            _ => StoreError::InvalidAmount(amount),
        },
    }
}

impl Store {
    /// The account `number`.
    pub async fn account(&self, number: &str) -> Result<Option<Account>, StoreError> {
        fetch(&mut *self.pool.acquire().await?, number).await
    }

    /// A customer's accounts in the order they were opened (the first is the primary one).
    pub async fn accounts_of(&self, customer_id: i64) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE customer_id = $1 ORDER BY rowid"
        ))
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_of).collect()
    }

    /// An account's history, oldest first.
    pub async fn ledger(&self, number: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {LEDGER_COLUMNS} FROM ledger WHERE account_number = $1 ORDER BY id"
        ))
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_of).collect()
    }

    /// The money a flow moved (its fee, its one-won transfer), oldest first.
    pub async fn ledger_of_flow(&self, flow_id: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {LEDGER_COLUMNS} FROM ledger WHERE flow_id = $1 ORDER BY id"
        ))
        .bind(flow_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_of).collect()
    }
}

impl Tx {
    /// Opens an account for `customer_id`; an opening balance is recorded as its first ledger
    /// row (`memo`), so that the ledger always adds up to the balance.
    pub async fn insert_account(
        &mut self,
        customer_id: i64,
        a: &NewAccount,
        memo: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if a.balance < 0 {
            return Err(StoreError::InvalidAmount(a.balance));
        }
        let done = self
            .guarded(async |conn| {
                sqlx::query(
                    "INSERT INTO accounts (number, customer_id, password, balance) VALUES ($1, $2, $3, 0)",
                )
                .bind(&a.number)
                .bind(customer_id)
                .bind(&a.password_hash)
                .execute(conn)
                .await
            })
            .await;
        if let Err(e) = done {
            return Err(match unique_violation(&e) {
                Some(_) => StoreError::Duplicate { what: "the account number" },
                None => e.into(),
            });
        }
        if a.balance > 0 {
            post(&mut self.inner, &a.number, a.balance, memo, None, now).await?;
        }
        Ok(())
    }

    /// The account `number`, read under this transaction's write lock.
    pub async fn account(&mut self, number: &str) -> Result<Option<Account>, StoreError> {
        fetch(&mut self.inner, number).await
    }

    /// Deposits `amount` won (> 0) into `number` (입금), e.g. the one-won transfer.
    pub async fn credit(
        &mut self,
        number: &str,
        amount: i64,
        memo: &str,
        flow_id: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<LedgerEntry, StoreError> {
        if amount <= 0 {
            return Err(StoreError::InvalidAmount(amount));
        }
        post(&mut self.inner, number, amount, memo, flow_id, now).await
    }

    /// Withdraws `amount` won (> 0) from `number` (출금), e.g. a certificate fee. Refused with
    /// [`StoreError::InsufficientFunds`] if the balance is smaller; nothing changes then.
    pub async fn debit(
        &mut self,
        number: &str,
        amount: i64,
        memo: &str,
        flow_id: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<LedgerEntry, StoreError> {
        if amount <= 0 {
            return Err(StoreError::InvalidAmount(amount));
        }
        post(&mut self.inner, number, -amount, memo, flow_id, now).await
    }
}
