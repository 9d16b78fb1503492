//! Issued certificates, their revocations and holds, CRL numbers and the newest CRLs, and the
//! status generation that tells every process (and every replica) when its CRL is stale.

use std::str::FromStr;

use dojang_pki::{RevocationReason, Serial};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::record::{
    CertificateRecord, CrlRecord, NewCertificate, Revocation, RevokedEntry, StatusOf,
};
use crate::rows::{time_of as from_unix, unix, Conn};
use crate::store::{Backend, Store};
use crate::tx::Tx;

fn serial_of(hex: &str) -> Result<Serial, StoreError> {
    Serial::from_str(hex).map_err(|_| StoreError::Corrupt(format!("serial {hex:?}")))
}

pub(crate) fn revocation_of(
    at: Option<i64>,
    reason: Option<i64>,
) -> Result<Option<Revocation>, StoreError> {
    match (at, reason) {
        (Some(at), Some(code)) => {
            let reason = u8::try_from(code)
                .ok()
                .and_then(RevocationReason::from_code)
                .ok_or_else(|| StoreError::Corrupt(format!("revocation reason {code}")))?;
            Ok(Some(Revocation { at: from_unix(at)?, reason }))
        }
        _ => Ok(None),
    }
}

/// A stored certificate's status from its revocation columns (what OCSP answers).
pub(crate) fn status_of(at: Option<i64>, reason: Option<i64>) -> Result<StatusOf, StoreError> {
    Ok(match revocation_of(at, reason)? {
        Some(r) => StatusOf::Revoked(r),
        None => StatusOf::Good,
    })
}

/// The columns [`certificate_of`] reads.
const CERT_COLUMNS: &str = "serial, product, subject, not_before, not_after, issued_at, der, revoked_at, revocation_reason, customer_id";

fn certificate_of(row: &AnyRow) -> Result<CertificateRecord, StoreError> {
    Ok(CertificateRecord {
        serial: serial_of(row.try_get("serial")?)?,
        product: row.try_get("product")?,
        subject: row.try_get("subject")?,
        not_before: from_unix(row.try_get("not_before")?)?,
        not_after: from_unix(row.try_get("not_after")?)?,
        issued_at: from_unix(row.try_get("issued_at")?)?,
        der: row.try_get("der")?,
        revocation: revocation_of(row.try_get("revoked_at")?, row.try_get("revocation_reason")?)?,
        customer_id: row.try_get("customer_id")?,
    })
}

/// A new certificate's row: its columns, in the order [`bind_certificate`] binds them.
const INSERT_COLUMNS: &str = "INSERT INTO certificates (serial, product, subject, not_before, not_after, issued_at, der, customer_id) VALUES ";
const INSERT_ARITY: usize = 8;

fn bind_certificate<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    c: &'q NewCertificate,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(c.serial.to_hex())
        .bind(&c.product)
        .bind(&c.subject)
        .bind(unix(c.not_before))
        .bind(unix(c.not_after))
        .bind(unix(c.issued_at))
        .bind(&c.der)
        .bind(c.customer_id)
}

/// `INSERT … VALUES (…), (…), …` for `rows` certificates, keeping those whose serial is taken
/// out (and naming the serials it stored).
fn insert_many_sql(backend: Backend, rows: usize) -> String {
    format!(
        "{INSERT_COLUMNS}{} ON CONFLICT (serial) DO NOTHING RETURNING serial",
        crate::rows::values_list(backend, INSERT_ARITY, rows)
    )
}

/// At most this many certificates go into one INSERT (a power of two: see
/// [`crate::rows::pieces`]).
const ROWS_PER_INSERT: usize = 256;

impl Tx {
    /// Stores a newly issued certificate inside this transaction.
    pub async fn insert_certificate(&mut self, c: &NewCertificate) -> Result<(), StoreError> {
        let [outcome] =
            self.insert_certificates(&[c]).await?.try_into().map_err(|outcomes: Vec<_>| {
                StoreError::Corrupt(format!("{} answers for one row", outcomes.len()))
            })?;
        outcome
    }

    /// Stores `certs` inside this transaction in one statement — one round trip to the
    /// database however many there are — and answers each: a serial already taken (in the table,
    /// or by an earlier one of `certs`) is that certificate's [`StoreError::DuplicateSerial`]
    /// and stores nothing of it, the others are stored. `Err` when the statement itself failed
    /// (another constraint, the connection); then none is stored and the transaction is still
    /// usable, so the caller can store them one by one to learn whose fault it was.
    pub(crate) async fn insert_certificates(
        &mut self,
        certs: &[&NewCertificate],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let backend = self.backend;
        let insert = async |conn: &mut Conn| {
            let mut stored = Vec::with_capacity(certs.len());
            for piece in crate::rows::pieces(certs, ROWS_PER_INSERT) {
                let sql = insert_many_sql(backend, piece.len());
                let query = piece.iter().fold(sqlx::query(&sql), |q, c| bind_certificate(q, c));
                for row in query.fetch_all(&mut *conn).await? {
                    stored.push(row.try_get::<String, _>("serial")?);
                }
            }
            Ok(stored)
        };
        // Several statements are undone together when one fails, as one would be.
        let stored: Vec<String> =
            match certs.len().is_power_of_two() && certs.len() <= ROWS_PER_INSERT {
                true => self.guarded(insert).await?,
                false => self.all_or_nothing(insert).await?,
            };
        let mut stored: std::collections::HashSet<String> = stored.into_iter().collect();
        Ok(certs
            .iter()
            .map(|c| match stored.remove(&c.serial.to_hex()) {
                true => Ok(()),
                false => Err(StoreError::DuplicateSerial(c.serial.clone())),
            })
            .collect())
    }

    async fn bump_status_generation(&mut self) -> Result<(), StoreError> {
        sqlx::query("UPDATE status_generation SET generation = generation + 1 WHERE id = 1")
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Revokes `serial` inside this transaction (see [`Store::revoke`]).
    pub async fn revoke(
        &mut self,
        serial: &Serial,
        reason: RevocationReason,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let row =
            sqlx::query("SELECT revoked_at, revocation_reason FROM certificates WHERE serial = $1")
                .bind(serial.to_hex())
                .fetch_optional(&mut *self.inner)
                .await?;
        let Some(row) = row else { return Err(StoreError::NotFound(serial.clone())) };
        let mut at = at;
        if let Some(old) =
            revocation_of(row.try_get("revoked_at")?, row.try_get("revocation_reason")?)?
        {
            let upgrade = old.reason == RevocationReason::CertificateHold
                && reason != RevocationReason::CertificateHold;
            if !upgrade {
                return Err(StoreError::AlreadyRevoked {
                    serial: serial.clone(),
                    reason: old.reason,
                    at: old.at,
                });
            }
            // A held certificate revoked for good keeps the time of its hold: it has not been
            // valid since, and a later time would make a signature made while it was held look
            // as if it came before the revocation.
            at = old.at;
        }
        sqlx::query(
            "UPDATE certificates SET revoked_at = $1, revocation_reason = $2 WHERE serial = $3",
        )
        .bind(unix(at))
        .bind(i64::from(reason.code()))
        .bind(serial.to_hex())
        .execute(&mut *self.inner)
        .await?;
        self.bump_status_generation().await
    }

    /// Lifts a hold inside this transaction.
    pub async fn resume(&mut self, serial: &Serial) -> Result<(), StoreError> {
        let row =
            sqlx::query("SELECT revoked_at, revocation_reason FROM certificates WHERE serial = $1")
                .bind(serial.to_hex())
                .fetch_optional(&mut *self.inner)
                .await?;
        let Some(row) = row else { return Err(StoreError::NotFound(serial.clone())) };
        match revocation_of(row.try_get("revoked_at")?, row.try_get("revocation_reason")?)? {
            Some(r) if r.reason == RevocationReason::CertificateHold => {}
            Some(r) => {
                return Err(StoreError::AlreadyRevoked {
                    serial: serial.clone(),
                    reason: r.reason,
                    at: r.at,
                })
            }
            None => return Err(StoreError::NotSuspended(serial.clone())),
        }
        sqlx::query(
            "UPDATE certificates SET revoked_at = NULL, revocation_reason = NULL WHERE serial = $1",
        )
        .bind(serial.to_hex())
        .execute(&mut *self.inner)
        .await?;
        self.bump_status_generation().await
    }
}

impl Store {
    /// Stores a newly issued certificate, durably before it returns. A serial already taken is
    /// [`StoreError::DuplicateSerial`] and changes nothing, so the caller can draw another
    /// serial and sign again. Certificates stored at the same moment share one commit
    /// ([`Store::in_group_commit`]): the disk's flush rate does not bound the issuance rate.
    pub async fn insert_certificate(&self, c: &NewCertificate) -> Result<(), StoreError> {
        self.insert_in_group(c.clone()).await
    }

    /// The certificate with `serial`, if it was issued here.
    pub async fn certificate(
        &self,
        serial: &Serial,
    ) -> Result<Option<CertificateRecord>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {CERT_COLUMNS} FROM certificates WHERE serial = $1"))
                .bind(serial.to_hex())
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(certificate_of).transpose()
    }

    /// Every certificate issued to `customer_id`, newest first.
    pub async fn certificates_of(
        &self,
        customer_id: i64,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CERT_COLUMNS} FROM certificates WHERE customer_id = $1 ORDER BY issued_at DESC, serial"
        ))
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(certificate_of).collect()
    }

    /// Customers' certificates that end in `(now, until]`, are not revoked, and have had no
    /// reminder yet: the expiry reminders due (document 004: 30 days before).
    pub async fn reminders_due(
        &self,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CERT_COLUMNS} FROM certificates c
             WHERE c.customer_id IS NOT NULL AND c.revoked_at IS NULL
               AND c.not_after > $1 AND c.not_after <= $2
               AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.serial = c.serial)
             ORDER BY c.not_after"
        ))
        .bind(unix(now))
        .bind(unix(until))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(certificate_of).collect()
    }

    /// Claims the reminder of `serial`: true for exactly one caller, however many replicas ask.
    pub async fn claim_reminder(
        &self,
        serial: &Serial,
        channel: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        let done = sqlx::query(
            "INSERT INTO reminders (serial, sent_at, channel) VALUES ($1, $2, $3) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(serial.to_hex())
        .bind(unix(now))
        .bind(channel)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claim back when the reminder could not be sent, so that a later run retries.
    pub async fn release_reminder(&self, serial: &Serial) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sqlx::query("DELETE FROM reminders WHERE serial = $1")
            .bind(serial.to_hex())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes `serial`. A certificate on hold (효력정지, certificateHold) may be revoked for
    /// good with another reason; one already revoked otherwise is refused with when and why.
    pub async fn revoke(
        &self,
        serial: &Serial,
        reason: RevocationReason,
        at: OffsetDateTime,
    ) -> Result<CertificateRecord, StoreError> {
        let mut tx = self.begin().await?;
        tx.revoke(serial, reason, at).await?;
        tx.commit().await?;
        self.certificate(serial).await?.ok_or_else(|| StoreError::NotFound(serial.clone()))
    }

    /// Lifts a hold (효력회복): only a certificate suspended with certificateHold comes back.
    pub async fn resume(&self, serial: &Serial) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.resume(serial).await?;
        tx.commit().await
    }

    /// Revoked certificates that have not yet expired at `now`: the entries of the next CRL.
    /// (RFC 5280 §3.3 lets an entry go once the certificate has expired.)
    pub async fn revoked_unexpired(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<RevokedEntry>, StoreError> {
        Ok(self.crl_entries(now).await?.1)
    }

    /// The status generation and, as of exactly that generation, the revoked certificates not
    /// yet expired at `now`: both read in one snapshot (SQLite's read transaction, PostgreSQL's
    /// REPEATABLE READ), so a CRL made from them lists every revocation its generation counts
    /// and none after. [`Store::save_crl`] relies on that to never let a CRL replace one that
    /// listed more.
    pub async fn crl_entries(
        &self,
        now: OffsetDateTime,
    ) -> Result<(i64, Vec<RevokedEntry>), StoreError> {
        let mut snapshot = match self.backend {
            // Deferred: the snapshot is taken by the first read and held to the last.
            Backend::Sqlite => self.pool.begin_with("BEGIN").await?,
            Backend::Postgres => {
                self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?
            }
        };
        let generation: i64 =
            sqlx::query_scalar("SELECT generation FROM status_generation WHERE id = 1")
                .fetch_one(&mut *snapshot)
                .await?;
        let rows = sqlx::query(
            "SELECT serial, revoked_at, revocation_reason FROM certificates
             WHERE revoked_at IS NOT NULL AND not_after >= $1 ORDER BY revoked_at, serial",
        )
        .bind(unix(now))
        .fetch_all(&mut *snapshot)
        .await?;
        snapshot.rollback().await?;
        let entries = rows
            .iter()
            .map(|row| {
                let revocation =
                    revocation_of(row.try_get("revoked_at")?, row.try_get("revocation_reason")?)?
                        .ok_or_else(|| StoreError::Corrupt("revocation without time".into()))?;
                Ok(RevokedEntry { serial: serial_of(row.try_get("serial")?)?, revocation })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((generation, entries))
    }

    /// A counter that moves on every status change.
    pub async fn status_generation(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT generation FROM status_generation WHERE id = 1")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The next CRL number of `scope`, handed out once (1, 2, 3, …).
    pub async fn next_crl_number(&self, scope: &str) -> Result<u64, StoreError> {
        let _turn = self.turn().await?;
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO crl_numbers (scope, last_number) VALUES ($1, 1)
             ON CONFLICT (scope) DO UPDATE SET last_number = crl_numbers.last_number + 1
             RETURNING last_number",
        )
        .bind(scope)
        .fetch_one(&self.pool)
        .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("CRL number {n}")))
    }

    /// Keeps `crl` as the newest of `scope` unless one is kept with a higher number or made
    /// from a later status generation. Numbers are drawn after the entries are read, so two
    /// processes building at once can draw them in the other order; the generation rule keeps
    /// a CRL that missed a revocation from replacing one that listed it (RFC 5280 §5.2.3: a
    /// later number, a CRL at least as complete). Whether it was kept: one that was not must
    /// not be handed out either.
    pub async fn save_crl(&self, scope: &str, crl: &CrlRecord) -> Result<bool, StoreError> {
        let number =
            i64::try_from(crl.number).map_err(|_| StoreError::Corrupt("CRL number".into()))?;
        let _turn = self.turn().await?;
        let kept = sqlx::query(
            "INSERT INTO crls (scope, number, this_update, next_update, generation, der)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (scope) DO UPDATE SET number = excluded.number,
                 this_update = excluded.this_update, next_update = excluded.next_update,
                 generation = excluded.generation, der = excluded.der
             WHERE excluded.number > crls.number AND excluded.generation >= crls.generation",
        )
        .bind(scope)
        .bind(number)
        .bind(unix(crl.this_update))
        .bind(unix(crl.next_update))
        .bind(crl.generation)
        .bind(&crl.der)
        .execute(&self.pool)
        .await?;
        Ok(kept.rows_affected() == 1)
    }

    /// The newest CRL of `scope`.
    pub async fn latest_crl(&self, scope: &str) -> Result<Option<CrlRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT number, this_update, next_update, generation, der FROM crls WHERE scope = $1",
        )
        .bind(scope)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let number: i64 = row.try_get("number")?;
        Ok(Some(CrlRecord {
            number: u64::try_from(number).map_err(|_| StoreError::Corrupt("CRL number".into()))?,
            this_update: from_unix(row.try_get("this_update")?)?,
            next_update: from_unix(row.try_get("next_update")?)?,
            generation: row.try_get("generation")?,
            der: row.try_get("der")?,
        }))
    }

    /// How many certificates have been issued.
    pub async fn certificate_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM certificates").fetch_one(&self.pool).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::StatusOf;
    use time::Duration;

    fn cert(serial: &str, now: OffsetDateTime) -> NewCertificate {
        crate::testing::certificate(&serial.parse().expect("serial"), now)
    }

    crate::store_test!(async fn insert_read_and_refuse_a_duplicate_serial(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        s.insert_certificate(&cert("0A01", now)).await.expect("insert");
        let err = s.insert_certificate(&cert("0A01", now)).await.expect_err("duplicate");
        assert!(matches!(err, StoreError::DuplicateSerial(_)));
        let got =
            s.certificate(&"0A01".parse().expect("serial")).await.expect("read").expect("found");
        assert_eq!(got.subject, "cn=홍길동()0011234567890123");
        assert_eq!(got.not_after, now + Duration::days(730));
        assert_eq!(s.certificate_count().await.expect("count"), 1);
        assert_eq!(
            s.status(&"0B".parse().expect("serial")).await.expect("status"),
            StatusOf::Unknown
        );
    });

    crate::store_test!(async fn revocation_is_seen_at_once_and_bumps_the_generation(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let serial: Serial = "0A01".parse().expect("serial");
        s.insert_certificate(&cert("0A01", now)).await.expect("insert");
        assert_eq!(s.status(&serial).await.expect("status"), StatusOf::Good);
        let g0 = s.status_generation().await.expect("gen");

        s.revoke(&serial, RevocationReason::CertificateHold, now).await.expect("hold");
        s.revoke(&serial, RevocationReason::KeyCompromise, now + Duration::hours(1))
            .await
            .expect("upgrade");
        let err = s.revoke(&serial, RevocationReason::Superseded, now).await.expect_err("again");
        assert!(matches!(
            err,
            StoreError::AlreadyRevoked { reason: RevocationReason::KeyCompromise, .. }
        ));
        assert_eq!(
            s.status(&serial).await.expect("status"),
            StatusOf::Revoked(Revocation { at: now, reason: RevocationReason::KeyCompromise }),
            "revoked as of the hold, not of the upgrade an hour later"
        );
        assert_eq!(s.status_generation().await.expect("gen"), g0 + 2);
        assert_eq!(s.revoked_unexpired(now).await.expect("list").len(), 1);
        assert!(s.revoked_unexpired(now + Duration::days(731)).await.expect("list").is_empty());

        let missing =
            s.revoke(&"FF".parse().expect("serial"), RevocationReason::Unspecified, now).await;
        assert!(matches!(missing, Err(StoreError::NotFound(_))));
    });

    crate::store_test!(async fn crl_numbers_go_up_and_an_older_crl_never_replaces_a_newer_one(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        assert_eq!(s.next_crl_number("issuing").await.expect("n"), 1);
        assert_eq!(s.next_crl_number("issuing").await.expect("n"), 2);
        assert_eq!(s.next_crl_number("root").await.expect("n"), 1);
        let rec = |n: u64| CrlRecord {
            number: n,
            this_update: now,
            next_update: now,
            generation: 0,
            der: vec![n as u8],
        };
        assert!(s.save_crl("issuing", &rec(2)).await.expect("save"));
        assert!(!s.save_crl("issuing", &rec(1)).await.expect("save"), "not kept");
        assert_eq!(s.latest_crl("issuing").await.expect("read").map(|c| c.number), Some(2));
        assert!(s.latest_crl("root").await.expect("read").is_none());
    });

    // The generation and the entries come from one snapshot: while revocations commit one by
    // one beside it, every read lists exactly the revocations its generation counts. Read
    // apart, a revocation committing between the two reads shows as an entry too many.
    crate::store_test!(async fn crl_entries_are_read_in_one_snapshot_while_revocations_commit(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let serials: Vec<Serial> =
            (1..=150u32).map(|i| format!("0C{i:04X}").parse().expect("serial")).collect();
        let certs: Vec<_> = serials.iter().map(|s| cert(&s.to_hex(), now)).collect();
        s.bulk_insert_certificates(&certs).await.expect("insert");
        let g0 = s.status_generation().await.expect("gen");
        let done = std::sync::atomic::AtomicBool::new(false);
        let revoker = async {
            for serial in &serials {
                s.revoke(serial, RevocationReason::KeyCompromise, now).await.expect("revoke");
                tokio::task::yield_now().await;
            }
            done.store(true, std::sync::atomic::Ordering::Release);
        };
        let reader = async {
            let mut reads = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                let (generation, entries) = s.crl_entries(now).await.expect("read");
                reads.push((generation - g0, entries.len()));
            }
            reads
        };
        let ((), reads) = tokio::join!(revoker, reader);
        let torn: Vec<_> = reads.iter().filter(|(g, n)| usize::try_from(*g) != Ok(*n)).collect();
        assert!(torn.is_empty(), "{} of {} reads torn: {torn:?}", torn.len(), reads.len());
        // The reads overlapped the revocations, not only their end.
        assert!(reads.iter().any(|(g, _)| *g > 0 && *g < 150), "{reads:?}");
        let (generation, entries) = s.crl_entries(now).await.expect("read");
        assert_eq!((generation - g0, entries.len()), (150, 150));
    });

    // Two builders at once: A reads its entries, a revocation lands, B reads (with it), B draws
    // number n and saves, then A draws n+1. A's CRL lacks the revocation B's listed, so it must
    // not replace B's though its number is higher.
    crate::store_test!(async fn a_crl_from_an_older_snapshot_never_replaces_one_that_listed_more(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let serial: Serial = "0A01".parse().expect("serial");
        s.insert_certificate(&cert("0A01", now)).await.expect("insert");
        let (a_generation, a_entries) = s.crl_entries(now).await.expect("A reads");
        assert!(a_entries.is_empty());
        s.revoke(&serial, RevocationReason::KeyCompromise, now).await.expect("revoke");
        let (b_generation, b_entries) = s.crl_entries(now).await.expect("B reads");
        assert_eq!((b_generation, b_entries.len()), (a_generation + 1, 1));
        let rec = |number: u64, generation: i64| CrlRecord {
            number,
            this_update: now,
            next_update: now,
            generation,
            der: vec![number as u8],
        };
        let b_number = s.next_crl_number("issuing").await.expect("B's number");
        assert!(s.save_crl("issuing", &rec(b_number, b_generation)).await.expect("B saves"));
        let a_number = s.next_crl_number("issuing").await.expect("A's number");
        let kept = s.save_crl("issuing", &rec(a_number, a_generation)).await.expect("A saves");
        assert!(!kept, "A's CRL is not kept");
        let kept = s.latest_crl("issuing").await.expect("read").expect("kept");
        assert_eq!((kept.number, kept.generation), (b_number, b_generation), "B's CRL stays");
        // The next one, from a fresh snapshot, replaces it.
        let (c_generation, _) = s.crl_entries(now).await.expect("C reads");
        let c_number = s.next_crl_number("issuing").await.expect("C's number");
        assert!(s.save_crl("issuing", &rec(c_number, c_generation)).await.expect("C saves"));
        assert_eq!(s.latest_crl("issuing").await.expect("read").map(|c| c.number), Some(c_number));
    });
}
