//! Certificate copy between two devices through the center (인증서 복사 / 이동): the
//! `dojang-transfer` protocol over the center's relay (`/api/v1/transfers`, docs/copy.md).
//!
//! - The receiving device: [`Receiving::open`] shows a [`Number`]; [`Receiving::wait`] polls
//!   until an offer comes, judges it (a wrong number is reported to the center, which counts
//!   it, and a fresh round starts), and hands over the files; after keeping them the caller
//!   [`Receiving::accept`]s, which sends the confirmation the sender waits for.
//! - The sending device: [`send`] with the typed number and the files, which returns once the
//!   receiver confirmed — only then may a move delete the source.

use std::time::{Duration, Instant};

use dojang_keystore::NpkiPair;
use dojang_transfer::wire::{
    b64, unb64, Accept, AfterReject, AttemptOutcome, AttemptView, CreateTransfer, OfferAccepted,
    OfferBody, ReceiverState, ReceiverView, Reject, RejectOutcome, TransferCreated, TransferLookup,
};
use dojang_transfer::{Number, Payload, ReceiverRound, Secret, TransferError};
use zeroize::Zeroizing;

use crate::api::Client;
use crate::error::ClientError;

/// How often a device asks the center whether the other side has moved.
const POLL: Duration = Duration::from_millis(300);
/// A transfer lives five minutes at the center; a device waits a little longer than that
/// before it gives up on its own.
const PATIENCE: Duration = Duration::from_secs(330);

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Center(#[from] ClientError),
    #[error(transparent)]
    Protocol(#[from] TransferError),
    /// The receiving device found the number wrong; `attempts_left` more may be tried.
    #[error("the authentication number is wrong ({attempts_left} tries left)")]
    WrongNumber { attempts_left: u32 },
    /// The last try was wrong: the transfer is dead.
    #[error("the authentication number was wrong too many times; the copy is cancelled")]
    Dead,
    /// Nothing happened within the transfer's life.
    #[error("the other device did not answer in time")]
    TimedOut,
}

impl CopyError {
    /// The center's refusal code, if the center refused (`transfer_expired`, `transfer_dead`…).
    pub fn code(&self) -> Option<&str> {
        match self {
            CopyError::Center(e) => e.api().map(|a| a.code.as_str()),
            _ => None,
        }
    }
}

/// The files of a stored certificate as the payload of a copy.
pub fn payload_of(pair: &NpkiPair) -> Payload {
    Payload {
        sign_cert: pair.sign_cert.clone(),
        sign_key: Zeroizing::new(pair.sign_key.clone()),
        km: pair.km.as_ref().map(|(c, k)| (c.clone(), Zeroizing::new(k.clone()))),
    }
}

/// A copied payload as the files to store.
pub fn pair_of(p: &Payload) -> NpkiPair {
    NpkiPair {
        sign_cert: p.sign_cert.clone(),
        sign_key: p.sign_key.to_vec(),
        km: p.km.as_ref().map(|(c, k)| (c.clone(), k.to_vec())),
    }
}

fn protocol_message(text: &str, what: &'static str) -> Result<Vec<u8>, CopyError> {
    Ok(unb64(text, what)?)
}

// ---------------------------------------------------------------------------------------------
// The receiving device

/// A copy this device waits for.
pub struct Receiving<'c> {
    client: &'c Client,
    id: String,
    token: Zeroizing<String>,
    number: Number,
    round: Option<ReceiverRound>,
    expires_at: String,
    attempts_left: u32,
}

impl std::fmt::Debug for Receiving<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiving").field("id", &self.id).field("number", &self.number).finish()
    }
}

/// What [`Receiving::wait`] saw.
#[derive(Debug)]
pub enum Received {
    /// A sender typed a wrong number; the copy still waits.
    WrongNumber { attempts_left: u32 },
    /// The certificate arrived. Keep it, then [`Receiving::accept`] with `confirm`.
    Arrived { payload: Payload, confirm: [u8; 32] },
}

impl<'c> Receiving<'c> {
    /// Opens a copy at the center: the number to show comes back.
    pub fn open(client: &'c Client) -> Result<Receiving<'c>, CopyError> {
        let secret = Secret::generate();
        let id = dojang_transfer::new_transfer_id();
        let round = ReceiverRound::start(&secret, &id);
        let body = CreateTransfer { id: id.clone(), receiver_message: b64(round.message()) };
        let created: TransferCreated = client
            .post_json("the new copy", "/api/v1/transfers", &body, None)?
            .ok_or_else(|| empty("the new copy"))?;
        let slot = created.code.parse()?;
        Ok(Receiving {
            client,
            id,
            token: Zeroizing::new(created.receiver_token),
            number: Number { slot, secret },
            round: Some(round),
            expires_at: created.expires_at,
            attempts_left: created.attempts_left,
        })
    }

    /// The number to show on this device.
    pub fn number(&self) -> &Number {
        &self.number
    }

    /// When the center stops accepting the number (RFC 3339, the center's clock).
    pub fn expires_at(&self) -> &str {
        &self.expires_at
    }

    pub fn attempts_left(&self) -> u32 {
        self.attempts_left
    }

    /// Waits for the next offer and judges it.
    pub fn wait(&mut self) -> Result<Received, CopyError> {
        let path = format!("/api/v1/transfers/{}", self.id);
        let deadline = Instant::now() + PATIENCE;
        let view = loop {
            let v: ReceiverView = self.client.get_json("the copy", &path, Some(&self.token))?;
            self.attempts_left = v.attempts_left;
            if v.state == ReceiverState::Offered {
                break v;
            }
            if Instant::now() > deadline {
                return Err(CopyError::TimedOut);
            }
            std::thread::sleep(POLL);
        };
        let Some(body) = view.offer else {
            return Err(empty("the offer").into());
        };
        let offer = dojang_transfer::Offer {
            sender_message: protocol_message(&body.sender_message, "sender's message")?,
            sender_confirm: protocol_message(&body.sender_confirm, "sender's confirmation")?
                .try_into()
                .map_err(|_| TransferError::Malformed("sender's confirmation"))?,
            sealed: protocol_message(&body.sealed, "sealed certificate")?,
        };
        let round = self.round.take().ok_or(TransferError::Malformed("receiver state"))?;
        match round.open(&offer) {
            Ok(opened) => {
                Ok(Received::Arrived { payload: opened.payload, confirm: opened.receiver_confirm })
            }
            Err(TransferError::WrongNumber) => {
                let next = ReceiverRound::start(&self.number.secret, &self.id);
                let body = Reject { receiver_message: b64(next.message()) };
                let outcome: RejectOutcome = self
                    .client
                    .post_json(
                        "the wrong number",
                        &format!("{path}/reject"),
                        &body,
                        Some(&self.token),
                    )?
                    .ok_or_else(|| empty("the wrong number"))?;
                self.attempts_left = outcome.attempts_left;
                match outcome.state {
                    AfterReject::Dead => Err(CopyError::Dead),
                    AfterReject::Waiting => {
                        self.round = Some(next);
                        Ok(Received::WrongNumber { attempts_left: outcome.attempts_left })
                    }
                }
            }
            // Confirmed key but a box that does not open or read: someone changed it on the
            // way. Nothing is kept; the copy is called off.
            Err(other) => {
                self.cancel();
                Err(other.into())
            }
        }
    }

    /// Tells the sender (through the center) that the files are kept.
    pub fn accept(self, confirm: &[u8; 32]) -> Result<(), CopyError> {
        let body = Accept { receiver_confirm: b64(confirm) };
        let path = format!("/api/v1/transfers/{}/accept", self.id);
        self.client.post_json::<serde_json::Value>(
            "the receipt",
            &path,
            &body,
            Some(&self.token),
        )?;
        Ok(())
    }

    /// Calls the copy off at the center (best effort: it expires anyway).
    pub fn cancel(&self) {
        let path = format!("/api/v1/transfers/{}/cancel", self.id);
        let _ = self.client.post_json::<serde_json::Value>(
            "the cancellation",
            &path,
            &serde_json::json!({}),
            Some(&self.token),
        );
    }
}

fn empty(what: &str) -> ClientError {
    ClientError::BadResponse { what: what.to_string(), reason: "the answer was empty".into() }
}

// ---------------------------------------------------------------------------------------------
// The sending device

/// Sends `payload` to the device showing `number`, and returns once that device confirmed it
/// kept exactly what was sent.
pub fn send(client: &Client, number: &Number, payload: &Payload) -> Result<(), CopyError> {
    let code = number.slot.as_digits();
    // An offer for a round the receiver already left is refused; the receiver's new message
    // is then fetched once more.
    let mut tries = 0;
    let (id, accepted, wait) = loop {
        tries += 1;
        let found: TransferLookup =
            client.get_json("the copy", &format!("/api/v1/transfers/code/{code}"), None)?;
        if !dojang_transfer::is_transfer_id(&found.id) {
            return Err(TransferError::Malformed("transfer id").into());
        }
        let receiver_message = protocol_message(&found.receiver_message, "receiver's message")?;
        let (offer, wait) =
            dojang_transfer::offer(&number.secret, &found.id, &receiver_message, payload)?;
        let body = OfferBody {
            round: found.round,
            sender_message: b64(&offer.sender_message),
            sender_confirm: b64(&offer.sender_confirm),
            sealed: b64(&offer.sealed),
        };
        let path = format!("/api/v1/transfers/{}/offer", found.id);
        match client.post_json::<OfferAccepted>("the offer", &path, &body, None) {
            Ok(Some(accepted)) => break (found.id, accepted, wait),
            Ok(None) => return Err(empty("the offer").into()),
            Err(e) if tries < 3 && e.api().is_some_and(|a| a.code == "stale_round") => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let path = format!("/api/v1/transfers/{id}/attempt");
    let token = Zeroizing::new(accepted.attempt_token);
    let deadline = Instant::now() + PATIENCE;
    let view = loop {
        let v: AttemptView = client.get_json("the copy", &path, Some(&token))?;
        if v.outcome != AttemptOutcome::Pending {
            break v;
        }
        if Instant::now() > deadline {
            return Err(CopyError::TimedOut);
        }
        std::thread::sleep(POLL);
    };
    match view.outcome {
        AttemptOutcome::WrongNumber => {
            Err(CopyError::WrongNumber { attempts_left: view.attempts_left })
        }
        AttemptOutcome::Dead => Err(CopyError::Dead),
        AttemptOutcome::Pending => Err(CopyError::TimedOut),
        AttemptOutcome::Accepted => {
            let confirm = view
                .receiver_confirm
                .as_deref()
                .map(|c| protocol_message(c, "receiver's confirmation"))
                .transpose()?
                .unwrap_or_default();
            wait.check(&confirm)?;
            let finish = format!("/api/v1/transfers/{id}/finish");
            client.post_json::<serde_json::Value>(
                "the end of the copy",
                &finish,
                &serde_json::json!({}),
                Some(&token),
            )?;
            Ok(())
        }
    }
}
