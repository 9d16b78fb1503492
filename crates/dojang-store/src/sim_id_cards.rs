//! The registry of the simulated ID-card issuer (신분증 진위확인). Only the local simulator of
//! the outside world reads and writes it; a real center asks the issuing authority instead.
//! The card number is kept as a vault keyed hash the simulator computes.

use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::rows::unix;
use crate::store::Store;

/// A card the simulated issuer knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimIdCard {
    /// `resident` (주민등록증), `driver` (운전면허증) or `passport` (여권).
    pub kind: String,
    pub number_hash: [u8; 32],
    pub holder_name: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
    /// `valid` or `lost` (reported lost: 분실 신고).
    pub status: String,
}

impl Store {
    /// Registers a card with the simulated issuer; a card of the same kind and number is
    /// replaced (a reissued card has a new issue date, and the old one stops being valid).
    pub async fn register_sim_id_card(
        &self,
        card: &SimIdCard,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query(
            "INSERT INTO sim_id_cards (kind, number_hash, holder_name, issue_date, status, registered_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kind, number_hash) DO UPDATE SET holder_name = excluded.holder_name,
                 issue_date = excluded.issue_date, status = excluded.status,
                 registered_at = excluded.registered_at",
        )
        .bind(&card.kind)
        .bind(card.number_hash.as_slice())
        .bind(&card.holder_name)
        .bind(&card.issue_date)
        .bind(&card.status)
        .bind(unix(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The card of `kind` whose number has `number_hash`, if the simulated issuer knows it.
    pub async fn sim_id_card(
        &self,
        kind: &str,
        number_hash: &[u8],
    ) -> Result<Option<SimIdCard>, StoreError> {
        let row = sqlx::query(
            "SELECT kind, number_hash, holder_name, issue_date, status FROM sim_id_cards
             WHERE kind = $1 AND number_hash = $2",
        )
        .bind(kind)
        .bind(number_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let hash: Vec<u8> = row.try_get("number_hash")?;
        Ok(Some(SimIdCard {
            kind: row.try_get("kind")?,
            number_hash: hash
                .try_into()
                .map_err(|_| StoreError::Corrupt("ID card hash is not 32 bytes".into()))?,
            holder_name: row.try_get("holder_name")?,
            issue_date: row.try_get("issue_date")?,
            status: row.try_get("status")?,
        }))
    }
}
