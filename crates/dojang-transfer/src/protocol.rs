//! The copy protocol between the two devices; the center only relays (see `docs/copy.md`).
//!
//! - The receiver draws the 8-digit secret and starts SPAKE2 (Ed25519, RustCrypto's
//!   `spake2`) as side B, with identities that name the transfer; the center keeps its message.
//! - The sender, once its customer typed the number, runs side A against that message, derives
//!   three keys from the SPAKE2 key with HKDF-SHA256, and sends its message, a key
//!   confirmation (HMAC) and the NPKI pair sealed with AES-256-GCM — all in one go.
//! - The receiver finishes SPAKE2, checks the confirmation (a wrong number fails here, and
//!   nothing is decrypted), opens the box, keeps the files, and answers with its own
//!   confirmation over the box it opened — which tells the sender the copy arrived intact
//!   before a "move" deletes the source.
//!
//! Each try uses fresh SPAKE2 randomness on both sides, so one wrong number teaches an
//! attacker nothing about the next try, and an active center gets one guess per try only —
//! which the center's attempt limit counts.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use spake2::{Ed25519Group, Identity, Password, Spake2};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::TransferError;
use crate::number::Secret;
use crate::payload::Payload;

/// Names this protocol and version everywhere it is mixed in: identities, HKDF salt, AAD.
pub const LABEL: &str = "dojang-copy/1";
/// A SPAKE2 message: the side byte (`A` or `B`) and a compressed Edwards point.
pub const MESSAGE_LEN: usize = 33;
/// A key confirmation: HMAC-SHA256.
pub const CONFIRM_LEN: usize = 32;
/// The sealed box: nonce, ciphertext, tag. A certificate pair is a few KiB.
pub const MAX_SEALED: usize = 192 * 1024;

/// The SPAKE2 identities of the two sides of transfer `id`.
fn identities(transfer_id: &str) -> (Identity, Identity) {
    (
        Identity::new(format!("{LABEL} sender {transfer_id}").as_bytes()),
        Identity::new(format!("{LABEL} receiver {transfer_id}").as_bytes()),
    )
}

/// The three keys HKDF-SHA256 draws from the SPAKE2 key (salt [`LABEL`]).
struct Keys {
    sender_confirm: Zeroizing<[u8; 32]>,
    receiver_confirm: Zeroizing<[u8; 32]>,
    payload: Zeroizing<[u8; 32]>,
}

fn schedule(spake_key: &[u8]) -> Result<Keys, TransferError> {
    let hk = Hkdf::<Sha256>::new(Some(LABEL.as_bytes()), spake_key);
    let expand = |info: &str| -> Result<Zeroizing<[u8; 32]>, TransferError> {
        let mut okm = Zeroizing::new([0u8; 32]);
        hk.expand(info.as_bytes(), okm.as_mut()).map_err(|_| TransferError::Crypto("HKDF"))?;
        Ok(okm)
    };
    Ok(Keys {
        sender_confirm: expand("sender confirm")?,
        receiver_confirm: expand("receiver confirm")?,
        payload: expand("payload")?,
    })
}

fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length; 32 bytes cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

fn aad(transfer_id: &str) -> Vec<u8> {
    format!("{LABEL} payload {transfer_id}").into_bytes()
}

fn aead_key(key: &[u8; 32]) -> Result<LessSafeKey, TransferError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| TransferError::Crypto("AES-256-GCM key"))
}

fn seal(
    key: &[u8; 32],
    nonce: [u8; NONCE_LEN],
    transfer_id: &str,
    plain: &[u8],
) -> Result<Vec<u8>, TransferError> {
    let mut in_out = plain.to_vec();
    aead_key(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(transfer_id)),
            &mut in_out,
        )
        .map_err(|_| TransferError::Crypto("AES-256-GCM seal"))?;
    let mut sealed = nonce.to_vec();
    sealed.append(&mut in_out);
    Ok(sealed)
}

fn open(
    key: &[u8; 32],
    transfer_id: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, TransferError> {
    if sealed.len() < NONCE_LEN + 16 || sealed.len() > MAX_SEALED {
        return Err(TransferError::Malformed("sealed certificate"));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| TransferError::Malformed("sealed certificate"))?;
    let mut buf = Zeroizing::new(body.to_vec());
    let plain_len = aead_key(key)?
        .open_in_place(nonce, Aad::from(aad(transfer_id)), buf.as_mut_slice())
        .map_err(|_| TransferError::Tampered)?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}

fn spake_error(what: &'static str) -> impl Fn(spake2::Error) -> TransferError {
    move |_| TransferError::Malformed(what)
}

/// What the sender sends in one try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// SPAKE2 side A's message (33 bytes).
    pub sender_message: Vec<u8>,
    /// HMAC(sender-confirm key, sender message ‖ receiver message).
    pub sender_confirm: [u8; CONFIRM_LEN],
    /// nonce ‖ AES-256-GCM(payload key, payload JSON, AAD `dojang-copy/1 payload <id>`) ‖ tag.
    pub sealed: Vec<u8>,
}

/// The receiving device's side of one try: its SPAKE2 state, waiting for an offer.
pub struct ReceiverRound {
    state: Spake2<Ed25519Group>,
    message: Vec<u8>,
    transfer_id: String,
}

impl std::fmt::Debug for ReceiverRound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverRound").field("transfer_id", &self.transfer_id).finish()
    }
}

/// What the receiver got from a good offer.
#[derive(Debug)]
pub struct Opened {
    pub payload: Payload,
    /// HMAC(receiver-confirm key, receiver message ‖ sender message ‖ SHA-256(sealed)), for
    /// the sender — sent only after the files are kept.
    pub receiver_confirm: [u8; CONFIRM_LEN],
}

impl ReceiverRound {
    /// Starts a try for transfer `transfer_id` (fresh randomness each time).
    pub fn start(secret: &Secret, transfer_id: &str) -> ReceiverRound {
        let (a, b) = identities(transfer_id);
        let (state, message) =
            Spake2::<Ed25519Group>::start_b(&Password::new(secret.as_bytes()), &a, &b);
        ReceiverRound { state, message, transfer_id: transfer_id.to_string() }
    }

    #[cfg(test)]
    fn start_with_rng(
        secret: &Secret,
        transfer_id: &str,
        rng: impl rand::RngCore + rand::CryptoRng,
    ) -> ReceiverRound {
        let (a, b) = identities(transfer_id);
        let (state, message) = Spake2::<Ed25519Group>::start_b_with_rng(
            &Password::new(secret.as_bytes()),
            &a,
            &b,
            rng,
        );
        ReceiverRound { state, message, transfer_id: transfer_id.to_string() }
    }

    /// SPAKE2 side B's message, for the center to hand to the sender.
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// Checks the sender's confirmation and opens the box. [`TransferError::WrongNumber`]
    /// when the confirmation does not match (nothing is decrypted then), and as well when the
    /// sender's message is no SPAKE2 message of side A: from here that cannot be told from a
    /// guess, and calling the copy off over it would let anyone who knows the center's code
    /// end a copy with one request (as a wrong number, it costs them a try).
    pub fn open(self, offer: &Offer) -> Result<Opened, TransferError> {
        if offer.sender_message.len() != MESSAGE_LEN {
            return Err(TransferError::WrongNumber);
        }
        let key = Zeroizing::new(
            self.state.finish(&offer.sender_message).map_err(|_| TransferError::WrongNumber)?,
        );
        let keys = schedule(&key)?;
        let expected = mac(&keys.sender_confirm, &[&offer.sender_message, &self.message]);
        if !bool::from(expected.ct_eq(&offer.sender_confirm)) {
            return Err(TransferError::WrongNumber);
        }
        let plain = open(&keys.payload, &self.transfer_id, &offer.sealed)?;
        let payload = Payload::from_json(&plain)?;
        let receiver_confirm = mac(
            &keys.receiver_confirm,
            &[&self.message, &offer.sender_message, &Sha256::digest(&offer.sealed)],
        );
        Ok(Opened { payload, receiver_confirm })
    }
}

/// The sending device, after its offer: what it needs to check the receiver's answer.
pub struct AwaitConfirm {
    key: Zeroizing<[u8; 32]>,
    transcript: Vec<u8>,
}

impl std::fmt::Debug for AwaitConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AwaitConfirm")
    }
}

impl AwaitConfirm {
    /// Did the receiver open exactly what was sent? Only then may a move delete the source.
    pub fn check(&self, receiver_confirm: &[u8]) -> Result<(), TransferError> {
        let expected = mac(&self.key, &[&self.transcript]);
        if receiver_confirm.len() == CONFIRM_LEN && bool::from(expected.ct_eq(receiver_confirm)) {
            Ok(())
        } else {
            Err(TransferError::NotConfirmed)
        }
    }
}

/// The sending device's one try: SPAKE2 side A against the receiver's message, keyed by the
/// typed number's secret, and the payload sealed.
pub fn offer(
    secret: &Secret,
    transfer_id: &str,
    receiver_message: &[u8],
    payload: &Payload,
) -> Result<(Offer, AwaitConfirm), TransferError> {
    let (a, b) = identities(transfer_id);
    let (state, message) =
        Spake2::<Ed25519Group>::start_a(&Password::new(secret.as_bytes()), &a, &b);
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| TransferError::Crypto("random"))?;
    offer_with(state, message, nonce, transfer_id, receiver_message, payload)
}

fn offer_with(
    state: Spake2<Ed25519Group>,
    sender_message: Vec<u8>,
    nonce: [u8; NONCE_LEN],
    transfer_id: &str,
    receiver_message: &[u8],
    payload: &Payload,
) -> Result<(Offer, AwaitConfirm), TransferError> {
    if receiver_message.len() != MESSAGE_LEN {
        return Err(TransferError::Malformed("receiver's message"));
    }
    let key =
        Zeroizing::new(state.finish(receiver_message).map_err(spake_error("receiver's message"))?);
    let keys = schedule(&key)?;
    let sender_confirm = mac(&keys.sender_confirm, &[&sender_message, receiver_message]);
    let sealed = seal(&keys.payload, nonce, transfer_id, &payload.to_json()?)?;
    let mut transcript = receiver_message.to_vec();
    transcript.extend_from_slice(&sender_message);
    transcript.extend_from_slice(&Sha256::digest(&sealed));
    Ok((
        Offer { sender_message, sender_confirm, sealed },
        AwaitConfirm { key: keys.receiver_confirm, transcript },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::number::Number;

    fn payload() -> Payload {
        Payload {
            sign_cert: b"0\x82certificate".to_vec(),
            sign_key: Zeroizing::new(b"0\x82encrypted key".to_vec()),
            km: None,
        }
    }

    fn secret(s: &str) -> Secret {
        format!("0000{s}").parse::<Number>().unwrap().secret
    }

    #[test]
    fn the_right_number_copies_and_both_sides_confirm() {
        let s = Secret::generate();
        let receiver = ReceiverRound::start(&s, "t1");
        let (offer, wait) = offer(&s, "t1", receiver.message(), &payload()).unwrap();
        assert_eq!(offer.sender_message.len(), MESSAGE_LEN);
        assert_eq!(offer.sender_message[0], b'A');
        let opened = receiver.open(&offer).unwrap();
        assert_eq!(opened.payload, payload());
        wait.check(&opened.receiver_confirm).unwrap();
        // The box is not the files in the clear.
        let window = &payload().sign_key[..];
        assert!(!offer.sealed.windows(window.len()).any(|w| w == window));
    }

    #[test]
    fn a_wrong_number_fails_confirmation_and_opens_nothing() {
        let receiver = ReceiverRound::start(&secret("12345678"), "t1");
        let (offer, wait) =
            offer(&secret("12345679"), "t1", receiver.message(), &payload()).unwrap();
        assert_eq!(receiver.open(&offer).unwrap_err(), TransferError::WrongNumber);
        // And the sender cannot be fooled into thinking it arrived.
        assert_eq!(wait.check(&[0u8; 32]).unwrap_err(), TransferError::NotConfirmed);
    }

    #[test]
    fn another_transfer_id_is_another_key() {
        let s = secret("12345678");
        let receiver = ReceiverRound::start(&s, "t1");
        let (offer, _) = offer(&s, "t2", receiver.message(), &payload()).unwrap();
        assert_eq!(receiver.open(&offer).unwrap_err(), TransferError::WrongNumber);
    }

    #[test]
    fn tampering_is_caught() {
        let s = secret("12345678");
        // A changed box, confirmation intact.
        let receiver = ReceiverRound::start(&s, "t1");
        let (mut o, _) = offer(&s, "t1", receiver.message(), &payload()).unwrap();
        let last = o.sealed.len() - 1;
        o.sealed[last] ^= 1;
        assert_eq!(receiver.open(&o).unwrap_err(), TransferError::Tampered);
        // A confirmation for another box: the receiver's answer does not match the sender's.
        let receiver = ReceiverRound::start(&s, "t1");
        let (o1, wait1) = offer(&s, "t1", receiver.message(), &payload()).unwrap();
        let opened = receiver.open(&o1).unwrap();
        let receiver2 = ReceiverRound::start(&s, "t1");
        let (_, wait2) = offer(&s, "t1", receiver2.message(), &payload()).unwrap();
        wait1.check(&opened.receiver_confirm).unwrap();
        assert_eq!(wait2.check(&opened.receiver_confirm).unwrap_err(), TransferError::NotConfirmed);
        // A sender's message of the wrong side, size or no point at all is a wrong number, not
        // a reason to call the copy off.
        let receiver = ReceiverRound::start(&s, "t1");
        let mut bad = o1.clone();
        bad.sender_message[0] = b'B';
        assert_eq!(receiver.open(&bad).unwrap_err(), TransferError::WrongNumber);
        // y = 2 is no point of Ed25519: side A, then that.
        let mut not_a_point = vec![0u8; MESSAGE_LEN];
        (not_a_point[0], not_a_point[1]) = (b'A', 2);
        for junk in [not_a_point, vec![b'A'; 5]] {
            let receiver = ReceiverRound::start(&s, "t1");
            let bad = Offer { sender_message: junk, ..o1.clone() };
            assert_eq!(receiver.open(&bad).unwrap_err(), TransferError::WrongNumber);
        }
        assert!(matches!(
            offer(&s, "t1", &[b'B'; 5], &payload()),
            Err(TransferError::Malformed(_))
        ));
        let as_receiver = o1.sender_message.clone();
        assert!(matches!(
            offer(&s, "t1", &as_receiver, &payload()),
            Err(TransferError::Malformed(_))
        ));
    }

    /// Hands out a fixed byte string, for the known-answer test.
    struct Fixed(Vec<u8>, usize);
    impl rand::RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            let mut b = [0u8; 4];
            self.fill_bytes(&mut b);
            u32::from_le_bytes(b)
        }
        fn next_u64(&mut self) -> u64 {
            let mut b = [0u8; 8];
            self.fill_bytes(&mut b);
            u64::from_le_bytes(b)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for d in dest {
                *d = self.0[self.1 % self.0.len()];
                self.1 += 1;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand::CryptoRng for Fixed {}

    /// The vector in docs/copy.md, for a browser implementation to check itself against:
    /// every byte of both messages, both confirmations and the box is fixed by the number, the
    /// transfer id, the SPAKE2 scalars' 64 random bytes (0x01…0x40 for the sender, 0x41…0x80
    /// for the receiver, reduced mod ℓ little-endian) and the nonce (twelve 0x07).
    #[test]
    fn known_answer() {
        let s = secret("12345678");
        let id = "0123456789abcdef0123456789abcdef";
        let receiver = ReceiverRound::start_with_rng(&s, id, Fixed((0x41..=0x80).collect(), 0));
        let (a, b) = identities(id);
        let (state, msg_a) = Spake2::<Ed25519Group>::start_a_with_rng(
            &Password::new(s.as_bytes()),
            &a,
            &b,
            Fixed((0x01..=0x40).collect(), 0),
        );
        let p = Payload {
            sign_cert: vec![0x30, 0x03, 0x02, 0x01, 0x01],
            sign_key: Zeroizing::new(vec![0x30, 0x03, 0x02, 0x01, 0x02]),
            km: None,
        };
        let (offer, wait) =
            offer_with(state, msg_a, [7u8; 12], id, receiver.message(), &p).unwrap();
        let vector = format!(
            "receiver_message {}\nsender_message {}\nsender_confirm {}\nsealed {}\n",
            hex::encode(receiver.message()),
            hex::encode(&offer.sender_message),
            hex::encode(offer.sender_confirm),
            hex::encode(&offer.sealed),
        );
        let opened = receiver.open(&offer).unwrap();
        wait.check(&opened.receiver_confirm).unwrap();
        let vector = format!("{vector}receiver_confirm {}\n", hex::encode(opened.receiver_confirm));
        let doc = include_str!("../../../docs/copy.md");
        for line in vector.lines() {
            assert!(
                doc.contains(line),
                "docs/copy.md lacks the line\n{line}\n(whole vector:\n{vector})"
            );
        }
    }
}
