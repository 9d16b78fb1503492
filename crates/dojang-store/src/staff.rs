//! Bank staff (직원) who sign in to the web page's staff console, their sessions, and what the
//! console looks up (customers, certificates, the audit trail).
//!
//! A staff password is kept only as an Argon2id PHC string (made by the caller); a session only
//! as the SHA-256 hash of the random token in the staff member's cookie, with its CSRF token,
//! an idle limit and an absolute end. Wrong passwords in a row lock the account until an
//! operator unlocks it.

use std::fmt;
use std::str::FromStr;

use dojang_pki::Serial;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use crate::audit::AuditEntry;
use crate::customers::Customer;
use crate::error::StoreError;
use crate::locks::FailureCount;
use crate::record::CertificateRecord;
use crate::rows::{count, opt_time, time_of, unique_violation, unix};
use crate::store::Store;
use crate::tx::Tx;

/// What a staff member may do in the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StaffRole {
    /// 업무 담당자: looks up customers and certificates, revokes, locks and unlocks.
    Officer,
    /// 감사 담당자: reads only (customers, certificates, the audit trail).
    Auditor,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Officer => "officer",
            StaffRole::Auditor => "auditor",
        }
    }

    pub fn korean(self) -> &'static str {
        match self {
            StaffRole::Officer => "업무 담당자",
            StaffRole::Auditor => "감사 담당자",
        }
    }

    /// Whether the role may change things (revoke, lock, unlock, answer inquiries).
    pub fn may_change(self) -> bool {
        self == StaffRole::Officer
    }
}

/// A role name that is neither `officer` nor `auditor`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown staff role {0:?}; use officer or auditor")]
pub struct UnknownRole(pub String);

impl FromStr for StaffRole {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "officer" => Ok(StaffRole::Officer),
            "auditor" => Ok(StaffRole::Auditor),
            other => Err(UnknownRole(other.to_string())),
        }
    }
}

/// A staff account to add. The password arrives already hashed.
#[derive(Clone)]
pub struct NewStaff {
    /// Lower-case login name.
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    /// Argon2id PHC string.
    pub password_hash: String,
}

impl fmt::Debug for NewStaff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewStaff")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A stored staff account.
#[derive(Clone)]
pub struct StaffMember {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    /// Argon2id PHC string; not for display.
    pub password_hash: String,
    /// Wrong passwords in a row.
    pub failures: u32,
    pub locked_at: Option<OffsetDateTime>,
    pub disabled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
}

impl StaffMember {
    /// Whether the account may sign in now.
    pub fn is_usable(&self) -> bool {
        self.locked_at.is_none() && self.disabled_at.is_none()
    }
}

impl fmt::Debug for StaffMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffMember")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("locked_at", &self.locked_at)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// A live session: who, and the CSRF token their changes must carry.
#[derive(Clone)]
pub struct StaffSession {
    pub staff: StaffMember,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for StaffSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffSession")
            .field("staff", &self.staff)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, username, display_name, role, password, failures, locked_at, \
    disabled_at, created_at, last_login_at";

fn staff_of(r: &AnyRow) -> Result<StaffMember, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(StaffMember {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: role.parse().map_err(|e: UnknownRole| StoreError::Corrupt(e.to_string()))?,
        password_hash: r.try_get("password")?,
        failures: count(r.try_get("failures")?),
        locked_at: opt_time(r.try_get("locked_at")?)?,
        disabled_at: opt_time(r.try_get("disabled_at")?)?,
        created_at: time_of(r.try_get("created_at")?)?,
        last_login_at: opt_time(r.try_get("last_login_at")?)?,
    })
}

fn serial_of(hex: &str) -> Result<Serial, StoreError> {
    Serial::from_str(hex).map_err(|_| StoreError::Corrupt(format!("serial {hex:?}")))
}

/// `%text%` for LIKE, with the wildcards in `text` taken literally (ESCAPE '\').
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// The staff account named `username` (lower case).
    pub async fn staff_by_username(
        &self,
        username: &str,
    ) -> Result<Option<StaffMember>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM staff WHERE username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(staff_of).transpose()
    }

    /// Every staff account, in the order they were added.
    pub async fn staff_members(&self) -> Result<Vec<StaffMember>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM staff ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(staff_of).collect()
    }

    /// The session whose token hashes to `token_hash`, if it is still alive at `now`: not past
    /// its absolute end, not idle longer than `idle`, and its staff account still usable.
    /// A live session's idle clock starts again.
    pub async fn staff_session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
        idle: Duration,
    ) -> Result<Option<StaffSession>, StoreError> {
        let row = sqlx::query(
            "SELECT staff_id, csrf_token, created_at, last_seen, expires_at FROM staff_sessions
             WHERE token_hash = $1",
        )
        .bind(token_hash.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last_seen = time_of(row.try_get("last_seen")?)?;
        let expires_at = time_of(row.try_get("expires_at")?)?;
        if expires_at <= now || last_seen + idle <= now {
            self.end_staff_session(token_hash).await?;
            return Ok(None);
        }
        let staff_id: i64 = row.try_get("staff_id")?;
        let staff = sqlx::query(&format!("SELECT {COLUMNS} FROM staff WHERE id = $1"))
            .bind(staff_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(staff) = staff.as_ref().map(staff_of).transpose()? else { return Ok(None) };
        if !staff.is_usable() {
            self.end_staff_session(token_hash).await?;
            return Ok(None);
        }
        let _turn = self.turn().await?;
        sqlx::query("UPDATE staff_sessions SET last_seen = $1 WHERE token_hash = $2")
            .bind(unix(now))
            .bind(token_hash.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(Some(StaffSession {
            staff,
            csrf_token: row.try_get("csrf_token")?,
            created_at: time_of(row.try_get("created_at")?)?,
            expires_at,
        }))
    }

    /// Ends a session (sign-out, or found dead).
    pub async fn end_staff_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes sessions past their absolute end or idle since before `idle_before`.
    pub async fn purge_staff_sessions(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let _turn = self.turn().await?;
        let done =
            sqlx::query("DELETE FROM staff_sessions WHERE expires_at <= $1 OR last_seen <= $2")
                .bind(unix(now))
                .bind(unix(idle_before))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// Customers whose name, internet-banking ID or phone number contains `query` (or whose
    /// customer number it is), newest first, at most `limit`. An empty query lists the newest.
    pub async fn search_customers(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<Customer>, StoreError> {
        let query = query.trim();
        let ids: Vec<i64> = if query.is_empty() {
            sqlx::query_scalar("SELECT id FROM customers ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
        } else {
            let digits: String = query.chars().filter(char::is_ascii_digit).collect();
            let number: i64 = query.parse().unwrap_or(-1);
            sqlx::query_scalar(
                "SELECT id FROM customers
                 WHERE id = $1 OR name LIKE $2 ESCAPE '\\' OR banking_id LIKE $3 ESCAPE '\\'
                    OR ($4 <> '' AND replace(phone, '-', '') LIKE $5 ESCAPE '\\')
                 ORDER BY id DESC LIMIT $6",
            )
            .bind(number)
            .bind(like_pattern(query))
            .bind(like_pattern(&query.to_lowercase()))
            .bind(&digits)
            .bind(like_pattern(&digits))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self.customer(id).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Certificates whose serial starts with `query` (hex) or whose subject contains it,
    /// newest first, at most `limit`. An empty query lists the newest.
    pub async fn search_certificates(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        let query = query.trim();
        let serials: Vec<String> = if query.is_empty() {
            sqlx::query_scalar(
                "SELECT serial FROM certificates ORDER BY issued_at DESC, serial LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
        } else {
            let hex: String = query.chars().filter(|c| c.is_ascii_hexdigit()).collect();
            let serial_prefix = if hex.len() == query.len() && !hex.is_empty() {
                format!("{}%", hex.to_ascii_uppercase())
            } else {
                String::new()
            };
            sqlx::query_scalar(
                "SELECT serial FROM certificates
                 WHERE ($1 <> '' AND serial LIKE $2) OR subject LIKE $3 ESCAPE '\\'
                 ORDER BY issued_at DESC, serial LIMIT $4",
            )
            .bind(&serial_prefix)
            .bind(&serial_prefix)
            .bind(like_pattern(query))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
        };
        let mut out = Vec::with_capacity(serials.len());
        for s in serials {
            if let Some(c) = self.certificate(&serial_of(&s)?).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The newest `limit` audit entries, newest first (the console's audit trail).
    pub async fn audit_tail(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log ORDER BY seq DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.try_get("seq")?;
                let hash: Vec<u8> = r.try_get("hash")?;
                Ok(AuditEntry {
                    seq,
                    at: time_of(r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                    hash: hash.try_into().map_err(|_| {
                        StoreError::Corrupt(format!("audit hash of entry {seq} is not 32 bytes"))
                    })?,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Adds a staff account; returns its id. A taken username is [`StoreError::Duplicate`].
    pub async fn insert_staff(
        &mut self,
        n: &NewStaff,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let result = self
            .guarded(async |conn| {
                sqlx::query_scalar(
                    "INSERT INTO staff (username, display_name, role, password, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&n.username)
                .bind(&n.display_name)
                .bind(n.role.as_str())
                .bind(&n.password_hash)
                .bind(unix(now))
                .fetch_one(conn)
                .await
            })
            .await;
        match result {
            Ok(id) => Ok(id),
            Err(e) if unique_violation(&e).is_some() => {
                Err(StoreError::Duplicate { what: "the staff username" })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Counts a wrong password against staff account `id`, locking it at `limit` in a row.
    pub async fn record_staff_failure(
        &mut self,
        id: i64,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<FailureCount, StoreError> {
        let limit = i64::from(limit.max(1));
        let row = sqlx::query(
            "UPDATE staff SET failures = failures + 1,
                 locked_at = CASE WHEN locked_at IS NULL AND failures + 1 >= $2 THEN $1 ELSE locked_at END
             WHERE id = $3 RETURNING failures, locked_at",
        )
        .bind(unix(now))
        .bind(limit)
        .bind(id)
        .fetch_optional(&mut *self.inner)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::Corrupt(format!("staff account {id} vanished")));
        };
        let failures: i64 = row.try_get("failures")?;
        let locked_at: Option<i64> = row.try_get("locked_at")?;
        Ok(FailureCount {
            failures: count(failures),
            locked: locked_at.is_some(),
            newly_locked: locked_at == Some(unix(now)) && failures == limit,
        })
    }

    /// A successful sign-in: the count of wrong passwords starts again, and a session is made.
    pub async fn open_staff_session(
        &mut self,
        staff_id: i64,
        token_hash: &[u8; 32],
        csrf_token: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff SET failures = 0, last_login_at = $1 WHERE id = $2")
            .bind(unix(now))
            .bind(staff_id)
            .execute(&mut *self.inner)
            .await?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_at, last_seen, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash.as_slice())
        .bind(staff_id)
        .bind(csrf_token)
        .bind(unix(now))
        .bind(unix(now))
        .bind(unix(expires_at))
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Clears the lock and the failure count of staff account `username`; false if no such account.
    pub async fn unlock_staff(&mut self, username: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE staff SET failures = 0, locked_at = NULL WHERE username = $1")
                .bind(username)
                .execute(&mut *self.inner)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a new password hash (and unlocks); false if no such account. Ends its sessions.
    pub async fn set_staff_password(
        &mut self,
        username: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE staff SET password = $1, failures = 0, locked_at = NULL WHERE username = $2",
        )
        .bind(password_hash)
        .bind(username)
        .execute(&mut *self.inner)
        .await?;
        self.end_sessions_of(username).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disables staff account `username` (it can no longer sign in) and ends its sessions;
    /// false if no such account or already disabled.
    pub async fn disable_staff(
        &mut self,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE staff SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL",
        )
        .bind(unix(now))
        .bind(username)
        .execute(&mut *self.inner)
        .await?;
        self.end_sessions_of(username).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_sessions_of(&mut self, username: &str) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM staff_sessions WHERE staff_id IN (SELECT id FROM staff WHERE username = $1)",
        )
        .bind(username)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
    }

    fn kim() -> NewStaff {
        NewStaff {
            username: "kim".into(),
            display_name: "김직원".into(),
            role: StaffRole::Officer,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        }
    }

    async fn add(s: &Store) -> i64 {
        let mut tx = s.begin().await.expect("begin");
        let id = tx.insert_staff(&kim(), t0()).await.expect("insert");
        tx.commit().await.expect("commit");
        id
    }

    crate::store_test!(async fn usernames_are_unique_and_roles_round_trip(s) {
        add(s).await;
        let mut tx = s.begin().await.expect("begin");
        let again = tx.insert_staff(&kim(), t0()).await;
        assert!(matches!(again, Err(StoreError::Duplicate { .. })));
        drop(tx);
        let got = s.staff_by_username("kim").await.expect("read").expect("found");
        assert_eq!(got.role, StaffRole::Officer);
        assert!(got.is_usable());
        assert!(!format!("{got:?}").contains("argon2"), "Debug shows no hash");
        assert_eq!("auditor".parse::<StaffRole>(), Ok(StaffRole::Auditor));
        assert!("boss".parse::<StaffRole>().is_err());
    });

    crate::store_test!(async fn wrong_passwords_lock_and_unlock_clears(s) {
        let id = add(s).await;
        for n in 1..=5u32 {
            let mut tx = s.begin().await.expect("begin");
            let c = tx.record_staff_failure(id, 5, t0()).await.expect("count");
            tx.commit().await.expect("commit");
            assert_eq!(c.failures, n);
            assert_eq!(c.newly_locked, n == 5);
        }
        assert!(!s.staff_by_username("kim").await.unwrap().unwrap().is_usable());
        let mut tx = s.begin().await.unwrap();
        assert!(tx.unlock_staff("kim").await.unwrap());
        tx.commit().await.unwrap();
        let again = s.staff_by_username("kim").await.unwrap().unwrap();
        assert!(again.is_usable());
        assert_eq!(again.failures, 0);
    });

    crate::store_test!(async fn sessions_live_until_idle_or_absolute_end_or_disabled(s) {
        let id = add(s).await;
        let token = [7u8; 32];
        let mut tx = s.begin().await.unwrap();
        tx.open_staff_session(id, &token, "csrf", t0(), t0() + Duration::hours(8)).await.unwrap();
        tx.commit().await.unwrap();
        let idle = Duration::minutes(15);
        let live = s.staff_session(&token, t0() + Duration::minutes(10), idle).await.unwrap();
        assert_eq!(live.map(|l| l.csrf_token), Some("csrf".to_string()));
        // The idle clock restarted at +10 minutes, so +20 is still alive.
        assert!(s
            .staff_session(&token, t0() + Duration::minutes(20), idle)
            .await
            .unwrap()
            .is_some());
        assert!(s.staff_session(&[8u8; 32], t0(), idle).await.unwrap().is_none());
        // Idle for 15 minutes: gone for good.
        assert!(s
            .staff_session(&token, t0() + Duration::minutes(36), idle)
            .await
            .unwrap()
            .is_none());
        assert!(s
            .staff_session(&token, t0() + Duration::minutes(37), idle)
            .await
            .unwrap()
            .is_none());

        let mut tx = s.begin().await.unwrap();
        tx.open_staff_session(id, &token, "c2", t0(), t0() + Duration::hours(8)).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = s.begin().await.unwrap();
        assert!(tx.disable_staff("kim", t0()).await.unwrap());
        tx.commit().await.unwrap();
        assert!(s.staff_session(&token, t0(), idle).await.unwrap().is_none());
    });

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
