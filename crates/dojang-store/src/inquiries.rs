//! Inquiries (문의) customers leave on the support page, and how staff handle them. The text is
//! stored as given, except that anything shaped like a resident registration number is masked
//! first ([`mask_rrns`], here in the store, whoever calls it), so the table never holds one.
//! Each row records which version of the mask it went through ([`MASK_VERSION`]); when the mask
//! learns more, [`Store::remask_inquiries`] brings the older rows up to it.

use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::{Actor, AuditEvent};
use crate::error::StoreError;
use crate::rows::{opt_time, time_of, unix};
use crate::store::Store;
use crate::tx::Tx;

/// Whether an inquiry still waits for an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InquiryStatus {
    Open,
    Answered,
}

impl InquiryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InquiryStatus::Open => "open",
            InquiryStatus::Answered => "answered",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "open" => Ok(InquiryStatus::Open),
            "answered" => Ok(InquiryStatus::Answered),
            other => Err(StoreError::Corrupt(format!("inquiry status {other:?}"))),
        }
    }
}

/// An inquiry as the customer wrote it.
#[derive(Clone, Debug)]
pub struct NewInquiry {
    pub name: String,
    /// A phone number or e-mail address to answer to.
    pub contact: String,
    pub category: String,
    pub title: String,
    pub body: String,
}

/// A stored inquiry.
#[derive(Clone, Debug)]
pub struct Inquiry {
    pub id: i64,
    pub name: String,
    pub contact: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub created_at: OffsetDateTime,
    pub status: InquiryStatus,
    /// The staff member who answered it.
    pub handled_by: Option<String>,
    pub handled_at: Option<OffsetDateTime>,
    /// What staff noted when answering.
    pub note: Option<String>,
}

fn inquiry_of(r: &AnyRow) -> Result<Inquiry, StoreError> {
    Ok(Inquiry {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        contact: r.try_get("contact")?,
        category: r.try_get("category")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        created_at: time_of(r.try_get("created_at")?)?,
        status: InquiryStatus::parse(r.try_get("status")?)?,
        handled_by: r.try_get("handled_by")?,
        handled_at: opt_time(r.try_get("handled_at")?)?,
        note: r.try_get("note")?,
    })
}

const COLUMNS: &str =
    "id, name, contact, category, title, body, created_at, status, handled_by, handled_at, note";

/// The version of [`mask_rrns`]'s rules, kept with every inquiry (`masked_by`). Raise it when
/// the rules learn a spelling they used to let through: the center then masks the older rows
/// again when it opens. 0: rows from before the column (their name and staff note unmasked);
/// 1 was a hyphen or nothing between the halves, in the contact, title and body; 2 adds any
/// dash, dot, underscore, spaces and full-width digits, and the name and the staff note.
pub const MASK_VERSION: i64 = 2;

/// How many older inquiries one statement re-masks at a time, so a large table is not held in
/// memory at once.
const REMASK_BATCH: i64 = 500;

/// Masks every run that looks like a resident registration number as `******-*******`: six
/// digits, a separator or none, seven digits, not inside a longer run of digits. People type
/// the separator as they please — a hyphen or any dash (`–`, `—`, `−`, `－`), a dot, an
/// underscore, spaces around it or alone — and digits full-width (`９００１０１`) when their
/// input method is set so; all of those count. Phone numbers (3-4-4), account numbers and dates
/// are not that shape and stay as written.
pub fn mask_rrns(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(len) = rrn_at(&chars, i) {
            out.push_str("******-*******");
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A digit as typed: ASCII or full-width.
fn is_digit(ch: char) -> bool {
    ch.is_ascii_digit() || ('０'..='９').contains(&ch)
}

/// What may stand between the birth date and the rest of an RRN, besides spaces.
fn is_rrn_mark(ch: char) -> bool {
    matches!(
        ch,
        '-' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\u{FE63}'
                | '\u{FF0D}'
                | '.'
                | '\u{FF0E}'
                | '_'
                | '\u{FF3F}'
    )
}

fn is_rrn_space(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '\u{A0}' | '\u{3000}')
}

/// The length of an RRN-shaped run starting at `i`, if there is one.
fn rrn_at(chars: &[char], i: usize) -> Option<usize> {
    let digit = |k: usize| chars.get(k).copied().is_some_and(is_digit);
    if i > 0 && digit(i - 1) {
        return None;
    }
    if !(i..i + 6).all(digit) {
        return None;
    }
    // At most a space, a mark and a space between the two halves.
    let mut k = i + 6;
    let at = |k: usize, f: fn(char) -> bool| chars.get(k).copied().is_some_and(f);
    if at(k, is_rrn_space) {
        k += 1;
    }
    if at(k, is_rrn_mark) {
        k += 1;
    }
    if k > i + 6 && at(k, is_rrn_space) {
        k += 1;
    }
    if !(k..k + 7).all(digit) || digit(k + 7) {
        return None;
    }
    Some(k + 7 - i)
}

impl Store {
    /// Inquiries, newest first, at most `limit`; only those in `status` when given.
    pub async fn inquiries(
        &self,
        status: Option<InquiryStatus>,
        limit: i64,
    ) -> Result<Vec<Inquiry>, StoreError> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM inquiries WHERE status = $1 ORDER BY id DESC LIMIT $2"
                ))
                .bind(s.as_str())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {COLUMNS} FROM inquiries ORDER BY id DESC LIMIT $1"))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(inquiry_of).collect()
    }

    /// Masks again, with today's [`mask_rrns`], every inquiry an older version masked (or that
    /// was stored before the name and staff note were masked), in one write transaction
    /// audited as `inquiry.remask`; returns how many were read over. The center does this when
    /// it opens: a cheap indexed count when there is nothing to do.
    pub async fn remask_inquiries(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let older: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inquiries WHERE masked_by < $1")
            .bind(MASK_VERSION)
            .fetch_one(&self.pool)
            .await?;
        if older == 0 {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let (read, changed) = tx.remask_inquiries().await?;
        let event = AuditEvent::new(
            Actor::System,
            "inquiry.remask",
            "inquiries",
            serde_json::json!({ "read": read, "changed": changed, "mask_version": MASK_VERSION }),
        );
        tx.audit(&event, now).await?;
        tx.commit().await?;
        Ok(read)
    }

    /// The inquiry with `id`.
    pub async fn inquiry(&self, id: i64) -> Result<Option<Inquiry>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM inquiries WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(inquiry_of).transpose()
    }
}

impl Tx {
    /// Stores an inquiry (its text already checked), every RRN in it masked; returns its number.
    pub async fn insert_inquiry(
        &mut self,
        n: &NewInquiry,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO inquiries (name, contact, category, title, body, created_at, masked_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(mask_rrns(&n.name))
        .bind(mask_rrns(&n.contact))
        .bind(&n.category)
        .bind(mask_rrns(&n.title))
        .bind(mask_rrns(&n.body))
        .bind(unix(now))
        .bind(MASK_VERSION)
        .fetch_one(&mut *self.inner)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Brings every inquiry masked by an older [`MASK_VERSION`] up to this one, a batch at a
    /// time; returns how many were read and how many of them changed.
    async fn remask_inquiries(&mut self) -> Result<(u64, u64), StoreError> {
        let (mut read, mut changed) = (0u64, 0u64);
        loop {
            let rows = sqlx::query(
                "SELECT id, name, contact, title, body, note FROM inquiries
                 WHERE masked_by < $1 ORDER BY id LIMIT $2",
            )
            .bind(MASK_VERSION)
            .bind(REMASK_BATCH)
            .fetch_all(&mut *self.inner)
            .await?;
            if rows.is_empty() {
                return Ok((read, changed));
            }
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                let text: [String; 4] = [
                    r.try_get("name")?,
                    r.try_get("contact")?,
                    r.try_get("title")?,
                    r.try_get("body")?,
                ];
                let note: Option<String> = r.try_get("note")?;
                let masked = text.each_ref().map(|t| mask_rrns(t));
                let masked_note = note.as_deref().map(mask_rrns);
                read += 1;
                if masked != text || masked_note != note {
                    changed += 1;
                }
                let [name, contact, title, body] = masked;
                sqlx::query(
                    "UPDATE inquiries SET name = $1, contact = $2, title = $3, body = $4,
                     note = $5, masked_by = $6 WHERE id = $7",
                )
                .bind(name)
                .bind(contact)
                .bind(title)
                .bind(body)
                .bind(masked_note)
                .bind(MASK_VERSION)
                .bind(id)
                .execute(&mut *self.inner)
                .await?;
            }
        }
    }

    /// Marks inquiry `id` answered by `staff`, with their `note` (its RRNs masked); false if
    /// there is no such open inquiry.
    pub async fn answer_inquiry(
        &mut self,
        id: i64,
        staff: &str,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE inquiries SET status = 'answered', handled_by = $1, handled_at = $2, note = $3
             WHERE id = $4 AND status = 'open'",
        )
        .bind(staff)
        .bind(unix(now))
        .bind(mask_rrns(note))
        .bind(id)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testing::t0;

    /// An inquiry as a version before [`MASK_VERSION`] left it: name and note never masked,
    /// an RRN typed with an en dash let through in the body.
    async fn stored_long_ago(s: &Store) -> i64 {
        let row = sqlx::query(
            "INSERT INTO inquiries (name, contact, category, title, body, created_at, status,
             handled_by, handled_at, note, masked_by)
             VALUES ('홍길동 900101-1777777', '010-1234-5678', 'issue', '발급 문의',
             '제 번호는 900101–1777777 입니다', $1, 'answered', 'kim', $1,
             '고객 번호 9001011777777 확인', 0) RETURNING id",
        )
        .bind(unix(t0()))
        .fetch_one(&s.pool)
        .await
        .expect("an old row");
        row.try_get("id").expect("id")
    }

    crate::store_test!(async fn older_inquiries_are_masked_again_once_and_audited(s) {
        let old = stored_long_ago(s).await;
        let plain = sqlx::query(
            "INSERT INTO inquiries (name, contact, category, title, body, created_at, masked_by)
             VALUES ('김철수', 'a@example.com', 'etc', '질문', '번호 없음', $1, 0) RETURNING id",
        )
        .bind(unix(t0()))
        .fetch_one(&s.pool)
        .await
        .expect("a row without RRNs")
        .try_get::<i64, _>("id")
        .expect("id");
        let mut tx = s.begin().await.expect("begin");
        let new = NewInquiry {
            name: "이영희".into(),
            contact: "010-9876-5432".into(),
            category: "etc".into(),
            title: "새 문의".into(),
            body: "저는 880202 2888888 입니다".into(),
        };
        let fresh = tx.insert_inquiry(&new, t0()).await.expect("insert");
        tx.commit().await.expect("commit");
        // Stored today: masked on the way in, whoever called.
        let got = s.inquiry(fresh).await.expect("read").expect("there");
        assert_eq!(got.body, "저는 ******-******* 입니다");

        assert_eq!(s.remask_inquiries(t0()).await.expect("remask"), 2, "the two older rows");
        let got = s.inquiry(old).await.expect("read").expect("there");
        assert_eq!(got.name, "홍길동 ******-*******");
        assert_eq!(got.body, "제 번호는 ******-******* 입니다");
        assert_eq!(got.note.as_deref(), Some("고객 번호 ******-******* 확인"));
        assert_eq!((got.contact.as_str(), got.title.as_str()), ("010-1234-5678", "발급 문의"));
        assert_eq!(got.status, InquiryStatus::Answered, "nothing else changes");
        assert_eq!(s.inquiry(plain).await.expect("read").expect("there").body, "번호 없음");

        let audit = s.audit_entries(0, 10).await.expect("audit");
        let remask: Vec<_> = audit.iter().filter(|e| e.action == "inquiry.remask").collect();
        assert_eq!(remask.len(), 1);
        assert!(remask[0].detail.contains("\"changed\":1"), "{}", remask[0].detail);
        assert!(!remask[0].detail.contains("1777777"));

        // Once done, opening again finds nothing to do and writes nothing.
        assert_eq!(s.remask_inquiries(t0()).await.expect("again"), 0);
        assert_eq!(s.audit_entries(0, 10).await.expect("audit").len(), audit.len());
    });

    crate::store_test!(async fn a_staff_note_is_masked_by_the_store_itself(s) {
        let mut tx = s.begin().await.expect("begin");
        let new = NewInquiry {
            name: "박민수".into(),
            contact: "010-1111-2222".into(),
            category: "etc".into(),
            title: "질문".into(),
            body: "내용".into(),
        };
        let id = tx.insert_inquiry(&new, t0()).await.expect("insert");
        assert!(tx.answer_inquiry(id, "kim", "주민번호 750505-2555555 확인함", t0()).await.expect("answer"));
        tx.commit().await.expect("commit");
        let got = s.inquiry(id).await.expect("read").expect("there");
        assert_eq!(got.note.as_deref(), Some("주민번호 ******-******* 확인함"));
    });

    #[test]
    fn rrn_shaped_runs_are_masked_and_nothing_else() {
        assert_eq!(mask_rrns("제 번호는 900101-1234567 입니다"), "제 번호는 ******-******* 입니다");
        assert_eq!(mask_rrns("9001011234567"), "******-*******");
        assert_eq!(mask_rrns("900101 1234567."), "******-*******.");
        assert_eq!(
            mask_rrns("계좌 110-123-456789, 전화 010-1234-5678"),
            "계좌 110-123-456789, 전화 010-1234-5678"
        );
        assert_eq!(mask_rrns("12345678901234"), "12345678901234", "14 digits are not an RRN");
        assert_eq!(mask_rrns("a1900101-1234567"), "a1900101-1234567");
    }

    #[test]
    fn rrns_typed_with_other_separators_or_full_width_digits_are_masked_too() {
        for typed in [
            "900101–1777777",
            "900101—1777777",
            "900101−1777777",
            "900101－1777777",
            "900101.1777777",
            "900101_1777777",
            "900101 - 1777777",
            "900101  1777777",
            "900101\u{3000}1777777",
            "９００１０１－１７７７７７７",
            "９００１０１１７７７７７７",
            "900101-１７７７７７７",
        ] {
            assert_eq!(mask_rrns(&format!("홍길동 {typed}")), "홍길동 ******-*******", "{typed}");
        }
        for kept in [
            "010-1234-5678",
            "010 1234 5678",
            "010.1234.5678",
            "２０２４.０１.０１",
            "2024.01.01 10:00",
            "110-123-456789",
            "123456-12-123456",
            "900101 -- 1777777",
            "１9001011777777",
            "90010117777771",
        ] {
            assert_eq!(mask_rrns(kept), kept);
        }
    }

    crate::store_test!(async fn stored_listed_and_answered_once(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let n = NewInquiry {
            name: "홍길동".into(),
            contact: "010-1234-5678".into(),
            category: "issue".into(),
            title: "발급 오류".into(),
            body: "인증서 발급 중 오류가 납니다".into(),
        };
        let mut tx = s.begin().await.unwrap();
        let id = tx.insert_inquiry(&n, now).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.inquiries(Some(InquiryStatus::Open), 10).await.unwrap().len(), 1);
        let mut tx = s.begin().await.unwrap();
        assert!(tx.answer_inquiry(id, "kim", "전화로 안내", now).await.unwrap());
        assert!(!tx.answer_inquiry(id, "kim", "again", now).await.unwrap());
        tx.commit().await.unwrap();
        let got = s.inquiry(id).await.unwrap().unwrap();
        assert_eq!(got.status, InquiryStatus::Answered);
        assert_eq!(got.handled_by.as_deref(), Some("kim"));
        assert!(s.inquiries(Some(InquiryStatus::Open), 10).await.unwrap().is_empty());
    });
}
