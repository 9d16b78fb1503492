//! The local simulator of the outside world: the default adapter. Every message lands in the
//! store's inbox (what the customer's phone, mailbox or banking app would show); the ID-card
//! issuer answers from the `sim_id_cards` registry filled at enrolment.

use std::sync::Arc;

use async_trait::async_trait;
use dojang_store::{inbox_address, InboxMessage, SimIdCard, Store, StoreError};
use dojang_vault::{Purpose, Vault};
use time::OffsetDateTime;

use crate::error::OutsideError;
use crate::id_card::{IdCard, IdCardVerdict};
use crate::message::{Message, Receipt};
use crate::Outside;

/// The simulated outside world, writing to (and reading from) the center's own store.
#[derive(Clone)]
pub struct Simulator {
    store: Store,
    vault: Arc<Vault>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Simulator")
    }
}

impl Simulator {
    /// `vault` keys the hash under which the simulated issuer keeps card numbers (a resident
    /// card's number is the RRN: never stored in the clear, not even by a simulator).
    pub fn new(store: Store, vault: Arc<Vault>) -> Simulator {
        Simulator { store, vault }
    }

    fn number_hash(&self, card: &IdCard) -> Result<[u8; 32], OutsideError> {
        let mut input = b"dojang sim id-card v1\0".to_vec();
        input.extend_from_slice(card.kind.as_str().as_bytes());
        input.push(0);
        input.extend_from_slice(card.expose_number().as_bytes());
        let hash = self.vault.lookup_hash(Purpose::IdCard, &input);
        zeroize::Zeroize::zeroize(&mut input);
        Ok(hash?)
    }

    fn record(&self, card: &IdCard, status: &str) -> Result<SimIdCard, OutsideError> {
        Ok(SimIdCard {
            kind: card.kind.as_str().to_string(),
            number_hash: self.number_hash(card)?,
            holder_name: card.holder_name.clone(),
            issue_date: card.issue_date.to_string(),
            status: status.to_string(),
        })
    }

    /// Marks a card reported lost (분실 신고): the issuer refuses it from now on. For demos
    /// and tests of that refusal.
    pub async fn report_lost(
        &self,
        card: &IdCard,
        now: OffsetDateTime,
    ) -> Result<(), OutsideError> {
        Ok(self.store.register_sim_id_card(&self.record(card, "lost")?, now).await?)
    }
}

fn check_address(message: &Message) -> Result<(), OutsideError> {
    let address = message.address();
    let normal = inbox_address(address);
    let digits_only = !normal.is_empty() && normal.chars().all(|c| c.is_ascii_digit());
    let (ok, what) = match message {
        Message::Sms { .. } => (digits_only && normal.starts_with("01"), "mobile phone number"),
        Message::ArsCall { .. } => (digits_only && normal.starts_with('0'), "phone number"),
        Message::Email { .. } => (normal.contains('@') && !normal.contains(' '), "e-mail address"),
        Message::DepositNotice { .. } => (digits_only, "account number"),
    };
    if ok {
        Ok(())
    } else {
        Err(OutsideError::BadAddress { what, address: address.to_string() })
    }
}

#[async_trait]
impl Outside for Simulator {
    async fn send(&self, message: &Message, now: OffsetDateTime) -> Result<Receipt, OutsideError> {
        check_address(message)?;
        let channel = message.channel();
        let id =
            self.store.deliver(channel, message.address(), &message.display_text(), now).await?;
        tracing::debug!(channel = channel.as_str(), inbox_id = id, "simulated message delivered");
        Ok(Receipt { channel, address: inbox_address(message.address()), id: Some(id.to_string()) })
    }

    async fn verify_id_card(
        &self,
        card: &IdCard,
        _now: OffsetDateTime,
    ) -> Result<IdCardVerdict, OutsideError> {
        let hash = self.number_hash(card)?;
        let Some(known) = self.store.sim_id_card(card.kind.as_str(), &hash).await? else {
            return Ok(IdCardVerdict::Mismatch);
        };
        if known.status == "lost" {
            return Ok(IdCardVerdict::ReportedLost);
        }
        let same_name = squeeze(&known.holder_name) == squeeze(&card.holder_name);
        if same_name && known.issue_date == card.issue_date.to_string() {
            Ok(IdCardVerdict::Genuine)
        } else {
            Ok(IdCardVerdict::Mismatch)
        }
    }

    async fn register_id_card(
        &self,
        card: &IdCard,
        now: OffsetDateTime,
    ) -> Result<(), OutsideError> {
        Ok(self.store.register_sim_id_card(&self.record(card, "valid")?, now).await?)
    }
}

/// Names compared without spaces (`홍 길동` is `홍길동`).
fn squeeze(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The messages sent to `address` (phone, e-mail or account; any spelling) after inbox id
/// `after_id` (0 for all), oldest first: what `dojang phone` and the web page show.
pub async fn list_inbox(
    store: &Store,
    address: &str,
    after_id: i64,
) -> Result<Vec<InboxMessage>, StoreError> {
    store.list_inbox(address, after_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{find_code, IdCardKind};
    use dojang_store::Channel;
    use time::macros::date;

    async fn sim() -> (tempfile::TempDir, Simulator) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_sqlite(&dir.path().join("db")).await.expect("store");
        let (vault, _) =
            Vault::open_or_create(&dir.path().join("vault.key"), b"pass").expect("vault");
        (dir, Simulator::new(store, Arc::new(vault)))
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
    }

    #[tokio::test]
    async fn every_channel_lands_in_the_inbox_of_its_address() {
        let (_d, sim) = sim().await;
        let out: &dyn Outside = &sim;
        let sms = Message::Sms {
            to: "010-1234-5678".into(),
            text: "[도장은행] 인증번호 [123456]를 입력해 주세요.".into(),
        };
        let receipt = out.send(&sms, now()).await.expect("sms");
        assert_eq!(receipt.address, "01012345678");
        let ars = Message::ArsCall {
            to: "01012345678".into(),
            script: "승인번호는 [1 2 3 4 5 6]".into(),
        };
        out.send(&ars, now()).await.expect("ars");
        out.send(
            &Message::Email {
                to: "Hong@Example.com".into(),
                subject: "안내".into(),
                body: "본문".into(),
            },
            now(),
        )
        .await
        .expect("mail");
        out.send(
            &Message::DepositNotice {
                account: "123-456-789012".into(),
                amount: 1,
                memo: "도장 4827".into(),
            },
            now(),
        )
        .await
        .expect("deposit");

        let phone = list_inbox(&sim.store, "010 1234 5678", 0).await.expect("list");
        assert_eq!(phone.len(), 2);
        assert_eq!(phone[0].channel, Channel::Sms);
        assert_eq!(phone[1].channel, Channel::Ars);
        assert_eq!(find_code(&phone[1].body).as_deref(), Some("123456"));
        let later = list_inbox(&sim.store, "01012345678", phone[0].id).await.expect("list");
        assert_eq!(later.len(), 1);
        let mail = list_inbox(&sim.store, "hong@example.com", 0).await.expect("list");
        assert!(mail[0].body.starts_with("제목: 안내"));
        let account = list_inbox(&sim.store, "123456789012", 0).await.expect("list");
        assert_eq!(account[0].body, "입금 1원 | 보낸 분(적요): [도장 4827]");
        assert_eq!(find_code(&account[0].body).as_deref(), Some("4827"));
    }

    #[tokio::test]
    async fn a_message_to_a_wrong_kind_of_address_is_refused() {
        let (_d, sim) = sim().await;
        let bad = Message::Sms { to: "hong@example.com".into(), text: "x".into() };
        assert!(matches!(sim.send(&bad, now()).await, Err(OutsideError::BadAddress { .. })));
        let bad =
            Message::Email { to: "01012345678".into(), subject: "x".into(), body: "y".into() };
        assert!(matches!(sim.send(&bad, now()).await, Err(OutsideError::BadAddress { .. })));
    }

    #[tokio::test]
    async fn the_issuer_knows_registered_cards_only() {
        let (_d, sim) = sim().await;
        let card =
            IdCard::new(IdCardKind::Resident, "900101-1234567", date!(2015 - 03 - 02), "홍길동");
        assert_eq!(sim.verify_id_card(&card, now()).await.expect("ask"), IdCardVerdict::Mismatch);
        sim.register_id_card(&card, now()).await.expect("register");
        assert_eq!(sim.verify_id_card(&card, now()).await.expect("ask"), IdCardVerdict::Genuine);
        let spaced =
            IdCard::new(IdCardKind::Resident, "9001011234567", date!(2015 - 03 - 02), "홍 길동");
        assert_eq!(sim.verify_id_card(&spaced, now()).await.expect("ask"), IdCardVerdict::Genuine);
        for wrong in [
            IdCard::new(IdCardKind::Resident, "900101-1234567", date!(2015 - 03 - 03), "홍길동"),
            IdCard::new(IdCardKind::Resident, "900101-1234568", date!(2015 - 03 - 02), "홍길동"),
            IdCard::new(IdCardKind::Resident, "900101-1234567", date!(2015 - 03 - 02), "김철수"),
            IdCard::new(IdCardKind::Driver, "900101-1234567", date!(2015 - 03 - 02), "홍길동"),
        ] {
            assert_eq!(
                sim.verify_id_card(&wrong, now()).await.expect("ask"),
                IdCardVerdict::Mismatch
            );
        }
        sim.report_lost(&card, now()).await.expect("lost");
        assert_eq!(
            sim.verify_id_card(&card, now()).await.expect("ask"),
            IdCardVerdict::ReportedLost
        );
        // The number is nowhere in the card's Debug output.
        assert!(!format!("{card:?}").contains("1234567"));
    }
}
