//! Certificate copies in flight (인증서 복사): the relay's table. Every change is one conditional
//! statement, so two senders racing, or a sender and an expiry, cannot both win: an offer takes
//! a try before it is stored, and a try beyond the limit is never stored at all.
//!
//! What is kept is useless without the number's secret digits, which the center never sees;
//! still, the messages and the box are wiped (with SQLite's `secure_delete`, so freed pages are
//! zeroed too) as soon as the copy ends, dies or expires. PostgreSQL has no such switch: a
//! wiped value stays in the dead row version until vacuum reclaims it.

use std::fmt;

use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use crate::error::StoreError;
use crate::rows::{count, time_of, unique_violation, unix};
use crate::store::{Backend, Store};

/// Where a transfer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferState {
    /// Waiting for a sender's offer.
    Waiting,
    /// An offer waits for the receiver's verdict.
    Offered,
    /// The receiver kept the certificate; the sender has yet to read its confirmation.
    Accepted,
    /// The last try was wrong: nothing is kept but this state.
    Dead,
    /// Its life ran out: nothing is kept but this state.
    Expired,
}

impl TransferState {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Waiting => "waiting",
            TransferState::Offered => "offered",
            TransferState::Accepted => "accepted",
            TransferState::Dead => "dead",
            TransferState::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<TransferState, StoreError> {
        Ok(match s {
            "waiting" => TransferState::Waiting,
            "offered" => TransferState::Offered,
            "accepted" => TransferState::Accepted,
            "dead" => TransferState::Dead,
            "expired" => TransferState::Expired,
            other => return Err(StoreError::Corrupt(format!("transfer state {other:?}"))),
        })
    }
}

/// A transfer to keep, as the receiver opened it.
pub struct NewTransfer<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub receiver_token_hash: [u8; 32],
    pub receiver_message: &'a [u8],
    pub max_attempts: u32,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Why a new transfer was not kept.
#[derive(Debug, PartialEq, Eq)]
pub enum TransferClash {
    /// Another live transfer has this code: draw another.
    Code,
    /// The id is taken: the receiver must draw another.
    Id,
}

/// A sender's offer.
pub struct NewOffer<'a> {
    pub round: u32,
    pub attempt_token_hash: [u8; 32],
    pub sender_message: &'a [u8],
    pub sender_confirm: &'a [u8],
    pub sealed: &'a [u8],
}

/// A stored transfer.
#[derive(Clone)]
pub struct TransferRecord {
    pub id: String,
    pub code: String,
    pub receiver_token_hash: Vec<u8>,
    pub state: TransferState,
    pub round: u32,
    pub receiver_message: Option<Vec<u8>>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub attempt_token_hash: Option<Vec<u8>>,
    pub sender_message: Option<Vec<u8>>,
    pub sender_confirm: Option<Vec<u8>>,
    pub sealed: Option<Vec<u8>>,
    pub receiver_confirm: Option<Vec<u8>>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl TransferRecord {
    /// Tries still allowed.
    pub fn attempts_left(&self) -> u32 {
        self.max_attempts.saturating_sub(self.attempts)
    }
}

impl fmt::Debug for TransferRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferRecord")
            .field("id", &self.id)
            .field("code", &self.code)
            .field("state", &self.state)
            .field("round", &self.round)
            .field("attempts", &self.attempts)
            .field("max_attempts", &self.max_attempts)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What an offer found when it could not be stored.
#[derive(Debug, PartialEq, Eq)]
pub enum OfferRefused {
    NotFound,
    /// Another offer waits for the receiver.
    Busy,
    /// The offer answers an older receiver message.
    StaleRound,
    /// No tries left, dead or expired, or already accepted.
    Closed(TransferState),
    Expired,
}

const COLUMNS: &str = "id, code, receiver_token, state, round, receiver_message, attempts, \
    max_attempts, attempt_token, sender_message, sender_confirm, sealed, receiver_confirm, \
    created_at, expires_at";

/// Every secret-ish column set to NULL but the receiver's message (a column may be set only
/// once in an UPDATE on PostgreSQL, and a rejection sets that one itself).
const WIPE_OFFER: &str = "sender_message = NULL, sender_confirm = NULL, sealed = NULL";

fn transfer_of(r: &AnyRow) -> Result<TransferRecord, StoreError> {
    Ok(TransferRecord {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        receiver_token_hash: r.try_get("receiver_token")?,
        state: TransferState::parse(r.try_get("state")?)?,
        round: count(r.try_get("round")?),
        receiver_message: r.try_get("receiver_message")?,
        attempts: count(r.try_get("attempts")?),
        max_attempts: count(r.try_get("max_attempts")?),
        attempt_token_hash: r.try_get("attempt_token")?,
        sender_message: r.try_get("sender_message")?,
        sender_confirm: r.try_get("sender_confirm")?,
        sealed: r.try_get("sealed")?,
        receiver_confirm: r.try_get("receiver_confirm")?,
        created_at: time_of(r.try_get("created_at")?)?,
        expires_at: time_of(r.try_get("expires_at")?)?,
    })
}

impl Store {
    /// A connection that zeroes what it deletes or overwrites (pages freed by a wipe).
    async fn scrubbing(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA secure_delete = ON").execute(&mut *conn).await?;
        }
        Ok(conn)
    }

    /// Keeps a new transfer, or says which of its unique keys clashed.
    pub async fn insert_transfer(
        &self,
        t: &NewTransfer<'_>,
    ) -> Result<Result<(), TransferClash>, StoreError> {
        let _turn = self.turn().await?;
        let done = sqlx::query(
            "INSERT INTO transfers (id, code, receiver_token, state, round, receiver_message,
                 max_attempts, created_at, expires_at)
             VALUES ($1, $2, $3, 'waiting', 1, $4, $5, $6, $7)",
        )
        .bind(t.id)
        .bind(t.code)
        .bind(t.receiver_token_hash.as_slice())
        .bind(t.receiver_message)
        .bind(i64::from(t.max_attempts))
        .bind(unix(t.created_at))
        .bind(unix(t.expires_at))
        .execute(&self.pool)
        .await;
        match done {
            Ok(_) => Ok(Ok(())),
            Err(e) => match unique_violation(&e) {
                Some(v) if v.is_on("transfers", "code") => Ok(Err(TransferClash::Code)),
                Some(_) => Ok(Err(TransferClash::Id)),
                None => Err(e.into()),
            },
        }
    }

    pub async fn transfer(&self, id: &str) -> Result<Option<TransferRecord>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM transfers WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(transfer_of)
            .transpose()
    }

    pub async fn transfer_by_code(&self, code: &str) -> Result<Option<TransferRecord>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM transfers WHERE code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(transfer_of)
            .transpose()
    }

    /// Stores a sender's offer, taking one try — only if the transfer waits for this round,
    /// has a try left and has not expired. Returns the tries left after this one.
    pub async fn offer_transfer(
        &self,
        id: &str,
        o: &NewOffer<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<u32, OfferRefused>, StoreError> {
        let _turn = self.turn().await?;
        let taken: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE transfers SET state = 'offered', attempts = attempts + 1, attempt_token = $1,
                 sender_message = $2, sender_confirm = $3, sealed = $4
             WHERE id = $5 AND state = 'waiting' AND round = $6 AND attempts < max_attempts
                 AND expires_at > $7
             RETURNING attempts, max_attempts",
        )
        .bind(o.attempt_token_hash.as_slice())
        .bind(o.sender_message)
        .bind(o.sender_confirm)
        .bind(o.sealed)
        .bind(id)
        .bind(i64::from(o.round))
        .bind(unix(now))
        .fetch_optional(&self.pool)
        .await?;
        if let Some((attempts, max)) = taken {
            return Ok(Ok(count(max - attempts)));
        }
        // Not taken: say why, from the row as it is now.
        let Some(t) = self.transfer(id).await? else {
            return Ok(Err(OfferRefused::NotFound));
        };
        Ok(Err(if t.expires_at <= now {
            OfferRefused::Expired
        } else {
            match t.state {
                TransferState::Offered => OfferRefused::Busy,
                TransferState::Waiting if t.round != o.round => OfferRefused::StaleRound,
                TransferState::Waiting => OfferRefused::Closed(TransferState::Dead),
                other => OfferRefused::Closed(other),
            }
        }))
    }

    /// The receiver found the offer's confirmation wrong: back to waiting with its new message
    /// for the next round, or dead (everything wiped) when that was the last try. Returns the
    /// new state and the tries left; `None` if the transfer does not wait for a verdict or the
    /// token is not the receiver's.
    pub async fn reject_offer(
        &self,
        id: &str,
        receiver_token_hash: &[u8; 32],
        next_receiver_message: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<(TransferState, u32)>, StoreError> {
        let mut conn = self.scrubbing().await?;
        let row: Option<(String, i64, i64)> = sqlx::query_as(&format!(
            "UPDATE transfers SET
                 state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'waiting' END,
                 round = round + 1, {WIPE_OFFER},
                 receiver_message = CASE WHEN attempts >= max_attempts THEN NULL ELSE $1 END
             WHERE id = $2 AND receiver_token = $3 AND state = 'offered' AND expires_at > $4
             RETURNING state, attempts, max_attempts"
        ))
        .bind(next_receiver_message)
        .bind(id)
        .bind(receiver_token_hash.as_slice())
        .bind(unix(now))
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|(state, attempts, max)| Ok((TransferState::parse(&state)?, count(max - attempts))))
            .transpose()
    }

    /// The receiver kept the certificate: its confirmation stays for the sender, the rest is
    /// wiped. False if the transfer does not wait for a verdict or the token is not the
    /// receiver's.
    pub async fn accept_offer(
        &self,
        id: &str,
        receiver_token_hash: &[u8; 32],
        receiver_confirm: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.scrubbing().await?;
        let done = sqlx::query(&format!(
            "UPDATE transfers SET state = 'accepted', receiver_confirm = $1, receiver_message = NULL, {WIPE_OFFER}
             WHERE id = $2 AND receiver_token = $3 AND state = 'offered' AND expires_at > $4"
        ))
        .bind(receiver_confirm)
        .bind(id)
        .bind(receiver_token_hash.as_slice())
        .bind(unix(now))
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The sender read the receiver's confirmation: the transfer is deleted.
    pub async fn finish_transfer(
        &self,
        id: &str,
        attempt_token_hash: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let mut conn = self.scrubbing().await?;
        let done = sqlx::query(
            "DELETE FROM transfers WHERE id = $1 AND attempt_token = $2 AND state = 'accepted'",
        )
        .bind(id)
        .bind(attempt_token_hash.as_slice())
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The receiver gave up: the transfer is deleted, whatever its state.
    pub async fn cancel_transfer(
        &self,
        id: &str,
        receiver_token_hash: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let mut conn = self.scrubbing().await?;
        let done = sqlx::query("DELETE FROM transfers WHERE id = $1 AND receiver_token = $2")
            .bind(id)
            .bind(receiver_token_hash.as_slice())
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Housekeeping: transfers past their life keep only their state (so a late caller hears
    /// "expired"), and are forgotten an hour later. Returns (wiped, deleted).
    pub async fn purge_transfers(&self, now: OffsetDateTime) -> Result<(u64, u64), StoreError> {
        let mut conn = self.scrubbing().await?;
        let wiped = sqlx::query(&format!(
            "UPDATE transfers SET state = CASE WHEN state = 'dead' THEN 'dead' ELSE 'expired' END,
                 receiver_message = NULL, {WIPE_OFFER}, receiver_confirm = NULL
             WHERE expires_at <= $1 AND (state NOT IN ('dead', 'expired')
                 OR receiver_message IS NOT NULL OR sealed IS NOT NULL)"
        ))
        .bind(unix(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let deleted = sqlx::query("DELETE FROM transfers WHERE expires_at <= $1")
            .bind(unix(now - Duration::hours(1)))
            .execute(&mut *conn)
            .await?
            .rows_affected();
        Ok((wiped, deleted))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn new<'a>(id: &'a str, code: &'a str) -> NewTransfer<'a> {
        NewTransfer {
            id,
            code,
            receiver_token_hash: [1; 32],
            receiver_message: b"B-message",
            max_attempts: 2,
            created_at: t0(),
            expires_at: t0() + Duration::minutes(5),
        }
    }

    fn offer(round: u32, token: u8) -> NewOffer<'static> {
        NewOffer {
            round,
            attempt_token_hash: [token; 32],
            sender_message: b"A-message",
            sender_confirm: b"confirm",
            sealed: b"sealed box",
        }
    }

    crate::store_test!(async fn codes_and_ids_are_unique(s) {
        assert_eq!(s.insert_transfer(&new("a", "0001")).await.unwrap(), Ok(()));
        assert_eq!(s.insert_transfer(&new("b", "0001")).await.unwrap(), Err(TransferClash::Code));
        assert_eq!(s.insert_transfer(&new("a", "0002")).await.unwrap(), Err(TransferClash::Id));
        assert_eq!(s.transfer_by_code("0001").await.unwrap().unwrap().id, "a");
    });

    crate::store_test!(async fn tries_are_taken_one_at_a_time_and_the_last_wrong_one_kills(s) {
        s.insert_transfer(&new("a", "0001")).await.unwrap().unwrap();
        let now = t0() + Duration::minutes(1);
        assert_eq!(s.offer_transfer("a", &offer(1, 7), now).await.unwrap(), Ok(1));
        // One offer at a time; an old round is refused.
        assert_eq!(
            s.offer_transfer("a", &offer(1, 8), now).await.unwrap(),
            Err(OfferRefused::Busy)
        );
        // Only the receiver's token judges.
        assert_eq!(s.reject_offer("a", &[9; 32], b"B2", now).await.unwrap(), None);
        assert_eq!(
            s.reject_offer("a", &[1; 32], b"B2", now).await.unwrap(),
            Some((TransferState::Waiting, 1))
        );
        let t = s.transfer("a").await.unwrap().unwrap();
        assert_eq!((t.round, t.receiver_message.as_deref(), t.sealed), (2, Some(&b"B2"[..]), None));
        assert_eq!(
            s.offer_transfer("a", &offer(1, 8), now).await.unwrap(),
            Err(OfferRefused::StaleRound)
        );
        assert_eq!(s.offer_transfer("a", &offer(2, 8), now).await.unwrap(), Ok(0));
        assert_eq!(
            s.reject_offer("a", &[1; 32], b"B3", now).await.unwrap(),
            Some((TransferState::Dead, 0))
        );
        let t = s.transfer("a").await.unwrap().unwrap();
        assert_eq!(t.state, TransferState::Dead);
        assert!(t.receiver_message.is_none() && t.sender_message.is_none() && t.sealed.is_none());
        assert_eq!(
            s.offer_transfer("a", &offer(3, 9), now).await.unwrap(),
            Err(OfferRefused::Closed(TransferState::Dead))
        );
    });

    crate::store_test!(async fn an_accepted_copy_is_wiped_then_deleted_by_the_sender(s) {
        s.insert_transfer(&new("a", "0001")).await.unwrap().unwrap();
        let now = t0() + Duration::minutes(1);
        s.offer_transfer("a", &offer(1, 7), now).await.unwrap().unwrap();
        assert!(!s.accept_offer("a", &[2; 32], b"rc", now).await.unwrap());
        assert!(s.accept_offer("a", &[1; 32], b"rc", now).await.unwrap());
        let t = s.transfer("a").await.unwrap().unwrap();
        assert_eq!(t.state, TransferState::Accepted);
        assert_eq!(t.receiver_confirm.as_deref(), Some(&b"rc"[..]));
        assert!(t.sealed.is_none() && t.sender_message.is_none() && t.receiver_message.is_none());
        assert!(!s.finish_transfer("a", &[8; 32]).await.unwrap());
        assert!(s.finish_transfer("a", &[7; 32]).await.unwrap());
        assert!(s.transfer("a").await.unwrap().is_none());
    });

    crate::store_test!(async fn expiry_refuses_wipes_and_later_forgets(s) {
        s.insert_transfer(&new("a", "0001")).await.unwrap().unwrap();
        let late = t0() + Duration::minutes(6);
        assert_eq!(
            s.offer_transfer("a", &offer(1, 7), late).await.unwrap(),
            Err(OfferRefused::Expired)
        );
        assert_eq!(s.purge_transfers(late).await.unwrap(), (1, 0));
        let t = s.transfer("a").await.unwrap().unwrap();
        assert_eq!(t.state, TransferState::Expired);
        assert!(t.receiver_message.is_none());
        assert_eq!(s.purge_transfers(late).await.unwrap(), (0, 0));
        assert_eq!(s.purge_transfers(late + Duration::hours(1)).await.unwrap(), (0, 1));
        assert!(s.transfer("a").await.unwrap().is_none());
        // The receiver may cancel at any time.
        s.insert_transfer(&new("b", "0002")).await.unwrap().unwrap();
        assert!(!s.cancel_transfer("b", &[5; 32]).await.unwrap());
        assert!(s.cancel_transfer("b", &[1; 32]).await.unwrap());
    });
}
