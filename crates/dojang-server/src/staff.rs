//! Staff accounts (직원) and their sign-in sessions for the web page's staff console.
//!
//! - Passwords are Argon2id PHC strings (OWASP parameters: m=19 MiB, t=2, p=1); five wrong
//!   ones in a row lock the account until an operator unlocks it (`dojang admin staff unlock`).
//! - A session is a random 256-bit token in an `HttpOnly; SameSite=Strict` cookie; the store
//!   keeps only its SHA-256, with a separate random CSRF token that every change must echo in
//!   the `X-CSRF-Token` header. Sessions end after 15 idle minutes or 8 hours at most.
//! - Every account change, sign-in and failed sign-in is in the audit log.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use dojang_store::{Actor, AuditEvent, NewStaff, StaffMember, StaffRole, Store, StoreError};
use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// Wrong passwords in a row that lock a staff account.
pub const LOCK_AFTER: u32 = 5;
/// A session left idle this long ends.
pub const SESSION_IDLE: Duration = Duration::minutes(15);
/// However busy, a session ends this long after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::hours(8);

/// Why a staff account could not be added or changed.
#[derive(Debug, thiserror::Error)]
pub enum StaffAccountError {
    #[error("the username must be 3 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter")]
    BadUsername,
    #[error("the display name must be 1 to 40 characters")]
    BadDisplayName,
    #[error("the staff password must be 10 to 128 characters with letters, digits and symbols, and no spaces")]
    WeakPassword,
    #[error("there is no staff account {0}; `dojang admin staff list` shows them")]
    NoSuchStaff(String),
    #[error("the password hash could not be made")]
    Hash,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A login name as stored: trimmed and lower case, checked.
pub fn normalise_username(raw: &str) -> Result<String, StaffAccountError> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(StaffAccountError::BadUsername)
    }
}

/// The staff password rule: 10–128 printable ASCII characters with a letter, a digit and a
/// symbol.
pub fn check_password_rule(password: &str) -> Result<(), StaffAccountError> {
    let ok = (10..=128).contains(&password.chars().count())
        && password.chars().all(|c| c.is_ascii_graphic())
        && password.chars().any(|c| c.is_ascii_alphabetic())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| c.is_ascii_punctuation());
    if ok {
        Ok(())
    } else {
        Err(StaffAccountError::WeakPassword)
    }
}

/// An Argon2id PHC string of `password`.
pub fn hash_password(password: &str) -> Result<String, StaffAccountError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| StaffAccountError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StaffAccountError::Hash)
}

/// Whether `password` matches the PHC string `phc` (false for an unreadable hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A fresh random token (256 bits, base64url without padding).
pub fn new_token() -> Zeroizing<String> {
    let mut b = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(b.as_mut_slice());
    Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b.as_slice()))
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"dojang staff session v1\0");
    h.update(token.as_bytes());
    h.finalize().into()
}

/// Adds a staff account (the password checked against the rule and hashed); returns its id.
pub async fn add(
    store: &Store,
    username: &str,
    display_name: &str,
    role: StaffRole,
    password: &str,
    actor: Actor,
    now: OffsetDateTime,
) -> Result<i64, StaffAccountError> {
    let username = normalise_username(username)?;
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 40 {
        return Err(StaffAccountError::BadDisplayName);
    }
    check_password_rule(password)?;
    let password_hash = hash_password(password)?;
    let new = NewStaff {
        username: username.clone(),
        display_name: display_name.to_string(),
        role,
        password_hash,
    };
    let mut tx = store.begin().await?;
    let id = tx.insert_staff(&new, now).await?;
    let detail = json!({ "display_name": display_name, "role": role.as_str() });
    tx.audit(&AuditEvent::new(actor, "staff.add", format!("staff:{username}"), detail), now)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Clears a staff account's lock and failure count.
pub async fn unlock(
    store: &Store,
    username: &str,
    actor: Actor,
    now: OffsetDateTime,
) -> Result<(), StaffAccountError> {
    let username = normalise_username(username)?;
    let mut tx = store.begin().await?;
    if !tx.unlock_staff(&username).await? {
        return Err(StaffAccountError::NoSuchStaff(username));
    }
    let event = AuditEvent::new(actor, "staff.unlock", format!("staff:{username}"), json!({}));
    tx.audit(&event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password (and unlocks); the account's sessions end.
pub async fn set_password(
    store: &Store,
    username: &str,
    password: &str,
    actor: Actor,
    now: OffsetDateTime,
) -> Result<(), StaffAccountError> {
    let username = normalise_username(username)?;
    check_password_rule(password)?;
    let hash = hash_password(password)?;
    let mut tx = store.begin().await?;
    if !tx.set_staff_password(&username, &hash).await? {
        return Err(StaffAccountError::NoSuchStaff(username));
    }
    let event = AuditEvent::new(actor, "staff.password", format!("staff:{username}"), json!({}));
    tx.audit(&event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables an account for good; its sessions end. False if it was already disabled.
pub async fn disable(
    store: &Store,
    username: &str,
    actor: Actor,
    now: OffsetDateTime,
) -> Result<bool, StaffAccountError> {
    let username = normalise_username(username)?;
    if store.staff_by_username(&username).await?.is_none() {
        return Err(StaffAccountError::NoSuchStaff(username));
    }
    let mut tx = store.begin().await?;
    let done = tx.disable_staff(&username, now).await?;
    let event = AuditEvent::new(actor, "staff.disable", format!("staff:{username}"), json!({}));
    tx.audit(&event, now).await?;
    tx.commit().await?;
    Ok(done)
}

/// A session just opened: the token goes into the cookie, the CSRF token to the page.
pub struct NewSession {
    pub token: Zeroizing<String>,
    pub csrf_token: String,
    pub staff: StaffMember,
    pub expires_at: OffsetDateTime,
}

/// How a sign-in went.
pub enum Login {
    Opened(Box<NewSession>),
    /// Unknown name, disabled account or wrong password: the same answer for all three.
    Refused {
        /// Tries left before the account locks, when the name was right.
        attempts_left: Option<u32>,
    },
    /// Locked after too many wrong passwords (now or before).
    Locked,
}

/// A hash to verify against when the name is unknown, so that an unknown name takes as long
/// as a known one.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("dojang decoy password 1!").unwrap_or_default())
}

/// Signs a staff member in. The Argon2 work runs on a blocking thread.
pub async fn login(
    store: &Store,
    username: &str,
    password: Zeroizing<String>,
    now: OffsetDateTime,
) -> Result<Login, StaffAccountError> {
    let name = normalise_username(username).unwrap_or_default();
    let member = if name.is_empty() { None } else { store.staff_by_username(&name).await? };
    let phc = member
        .as_ref()
        .map(|m| m.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let subject = format!("staff:{}", if name.is_empty() { "-" } else { name.as_str() });
    let Some(member) = member else {
        let event = AuditEvent::new(
            Actor::Anonymous,
            "staff.login.fail",
            subject,
            json!({ "why": "unknown" }),
        );
        store.audit(&event, now).await?;
        return Ok(Login::Refused { attempts_left: None });
    };
    let actor = Actor::Staff(member.username.clone());
    if member.disabled_at.is_some() {
        let event =
            AuditEvent::new(actor, "staff.login.fail", subject, json!({ "why": "disabled" }));
        store.audit(&event, now).await?;
        return Ok(Login::Refused { attempts_left: None });
    }
    if member.locked_at.is_some() {
        let event = AuditEvent::new(actor, "staff.login.fail", subject, json!({ "why": "locked" }));
        store.audit(&event, now).await?;
        return Ok(Login::Locked);
    }
    let mut tx = store.begin().await?;
    if !matches {
        let count = tx.record_staff_failure(member.id, LOCK_AFTER, now).await?;
        let detail =
            json!({ "why": "password", "failures": count.failures, "locked": count.locked });
        tx.audit(&AuditEvent::new(actor, "staff.login.fail", subject, detail), now).await?;
        tx.commit().await?;
        return Ok(if count.locked {
            Login::Locked
        } else {
            Login::Refused { attempts_left: Some(LOCK_AFTER.saturating_sub(count.failures)) }
        });
    }
    let token = new_token();
    let csrf_token = new_token().to_string();
    let expires_at = now + SESSION_LIFETIME;
    tx.open_staff_session(member.id, &token_hash(&token), &csrf_token, now, expires_at).await?;
    tx.audit(&AuditEvent::new(actor, "staff.login", subject, json!({})), now).await?;
    tx.commit().await?;
    Ok(Login::Opened(Box::new(NewSession { token, csrf_token, staff: member, expires_at })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_passwords_follow_the_rules() {
        assert_eq!(normalise_username("  Kim.Teller ").unwrap(), "kim.teller");
        assert!(normalise_username("k").is_err());
        assert!(normalise_username("1kim").is_err());
        assert!(normalise_username("김직원").is_err());
        assert!(check_password_rule("Staff-pass1!").is_ok());
        assert!(check_password_rule("short1!").is_err());
        assert!(check_password_rule("no digits here!").is_err());
        assert!(check_password_rule("NoSymbols123").is_err());
        assert!(check_password_rule("has space 1!x").is_err());
    }

    #[test]
    fn hashes_verify_and_tokens_differ() {
        let h = hash_password("Staff-pass1!").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Staff-pass1!", &h));
        assert!(!verify_password("Staff-pass2!", &h));
        assert!(!verify_password("Staff-pass1!", "not a hash"));
        let (a, b) = (new_token(), new_token());
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 43);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[tokio::test]
    async fn sign_in_counts_failures_and_locks_at_five() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("db.sqlite3")).await.unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        add(&store, "kim", "김직원", StaffRole::Officer, "Staff-pass1!", Actor::Operator, now)
            .await
            .unwrap();
        let pw = |s: &str| Zeroizing::new(s.to_string());
        assert!(matches!(
            login(&store, "nobody", pw("Staff-pass1!"), now).await.unwrap(),
            Login::Refused { attempts_left: None }
        ));
        for left in (1..=4).rev() {
            match login(&store, "kim", pw("wrong-pass1!"), now).await.unwrap() {
                Login::Refused { attempts_left } => assert_eq!(attempts_left, Some(left)),
                _ => panic!("a wrong password must be refused"),
            }
        }
        assert!(matches!(
            login(&store, "kim", pw("wrong-pass1!"), now).await.unwrap(),
            Login::Locked
        ));
        assert!(matches!(
            login(&store, "kim", pw("Staff-pass1!"), now).await.unwrap(),
            Login::Locked
        ));
        unlock(&store, "kim", Actor::Operator, now).await.unwrap();
        let Login::Opened(s) = login(&store, "KIM", pw("Staff-pass1!"), now).await.unwrap() else {
            panic!("the right password after unlock signs in")
        };
        let live = store.staff_session(&token_hash(&s.token), now, SESSION_IDLE).await.unwrap();
        assert_eq!(live.map(|l| l.csrf_token), Some(s.csrf_token.clone()));
        let audit = store.audit_tail(20).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "staff.login"));
        assert!(audit
            .iter()
            .all(|e| !e.detail.contains("Staff-pass1!") && !e.detail.contains("wrong-pass1!")));
    }
}
