//! The inbox of the simulated outside world: every SMS, ARS call script, e-mail and deposit
//! notice the center sent, as the customer's phone, mailbox or banking app would show it.
//! A person runs `dojang phone <number>` to read it; tests read their codes from it.
//!
//! Addresses are normalised on the way in and on the way out (phone and account numbers to
//! their digits, e-mail to lower case), so `010-1234-5678` and `01012345678` are one inbox.

use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::{time_of, unix};
use crate::store::Store;
use crate::tx::Tx;

/// How a message reached the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A text message (문자).
    Sms,
    /// An automated call (ARS); the body is what the voice says.
    Ars,
    Email,
    /// A deposit shown in the account history of the banking app (입금 내역).
    Transfer,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Ars => "ars",
            Channel::Email => "email",
            Channel::Transfer => "transfer",
        }
    }

    /// The Korean word a customer sees.
    pub fn korean(self) -> &'static str {
        match self {
            Channel::Sms => "문자",
            Channel::Ars => "ARS 전화",
            Channel::Email => "이메일",
            Channel::Transfer => "입금 알림",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "sms" => Ok(Channel::Sms),
            "ars" => Ok(Channel::Ars),
            "email" => Ok(Channel::Email),
            "transfer" => Ok(Channel::Transfer),
            other => Err(StoreError::Corrupt(format!("inbox channel {other:?}"))),
        }
    }
}

/// One delivered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxMessage {
    pub id: i64,
    pub channel: Channel,
    /// Normalised address (see [`inbox_address`]).
    pub address: String,
    pub body: String,
    pub at: OffsetDateTime,
}

/// The normal form of an address: an e-mail address in lower case; anything made only of
/// digits, spaces, `-` and `+` (a phone or account number) as its digits; else trimmed.
pub fn inbox_address(raw: &str) -> String {
    let raw = raw.trim();
    if raw.contains('@') {
        return raw.to_lowercase();
    }
    if !raw.is_empty()
        && raw.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')'))
    {
        return raw.chars().filter(char::is_ascii_digit).collect();
    }
    raw.to_string()
}

fn message_of(r: &AnyRow) -> Result<InboxMessage, StoreError> {
    Ok(InboxMessage {
        id: r.try_get("id")?,
        channel: Channel::parse(r.try_get("channel")?)?,
        address: r.try_get("address")?,
        body: r.try_get("body")?,
        at: time_of(r.try_get("at")?)?,
    })
}

const INSERT: &str =
    "INSERT INTO inbox (channel, address, body, at) VALUES ($1, $2, $3, $4) RETURNING id";

impl Store {
    /// Puts a message in the inbox of `address`; returns its id.
    pub async fn deliver(
        &self,
        channel: Channel,
        address: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let _turn = self.turn().await?;
        Ok(sqlx::query_scalar(INSERT)
            .bind(channel.as_str())
            .bind(inbox_address(address))
            .bind(body)
            .bind(unix(now))
            .fetch_one(&self.pool)
            .await?)
    }

    /// The messages of `address` with id above `after_id` (0 for all), oldest first. Polling
    /// with the last id seen gives each message once.
    pub async fn list_inbox(
        &self,
        address: &str,
        after_id: i64,
    ) -> Result<Vec<InboxMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, channel, address, body, at FROM inbox WHERE address = $1 AND id > $2
             ORDER BY id",
        )
        .bind(inbox_address(address))
        .bind(after_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_of).collect()
    }
}

impl Tx {
    /// Puts a message in an inbox inside this transaction.
    pub async fn deliver(
        &mut self,
        channel: Channel,
        address: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(INSERT)
            .bind(channel.as_str())
            .bind(inbox_address(address))
            .bind(body)
            .bind(unix(now))
            .fetch_one(&mut *self.inner)
            .await?)
    }
}
