//! Inquiries (문의) customers leave on the support page, and how staff handle them. The text is
//! stored as given, except that anything shaped like a resident registration number is masked
//! first (the caller does it: [`mask_rrns`]), so the table never holds one.

use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

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
    /// Stores an inquiry (its text already checked and masked); returns its number.
    pub async fn insert_inquiry(
        &mut self,
        n: &NewInquiry,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO inquiries (name, contact, category, title, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&n.name)
        .bind(&n.contact)
        .bind(&n.category)
        .bind(&n.title)
        .bind(&n.body)
        .bind(unix(now))
        .fetch_one(&mut *self.inner)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Marks inquiry `id` answered by `staff`; false if there is no such open inquiry.
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
        .bind(note)
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
