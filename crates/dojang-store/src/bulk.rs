//! Bulk loading, for building large data sets (the benchmark's million certificates, a
//! migration rehearsal): many certificates, or many revocations, in one transaction each, so
//! that one durable commit covers thousands of rows. Not a way to issue — it skips the RA's
//! checks — so nothing in the center's request paths calls it.

use dojang_pki::{RevocationReason, Serial};
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::record::NewCertificate;
use crate::store::Store;

impl Store {
    /// Stores every certificate of `certs` in one transaction: all of them, or (on any error,
    /// a duplicate serial included) none. Returns how many were stored.
    pub async fn bulk_insert_certificates(
        &self,
        certs: &[NewCertificate],
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        for c in certs {
            tx.insert_certificate(c).await?;
        }
        tx.commit().await?;
        Ok(certs.len())
    }

    /// Revokes every serial of `serials` with `reason` at `at`, in one transaction: all of
    /// them, or none. Each bumps the status generation as a single revocation does.
    pub async fn bulk_revoke(
        &self,
        serials: &[Serial],
        reason: RevocationReason,
        at: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        for s in serials {
            tx.revoke(s, reason, at).await?;
        }
        tx.commit().await?;
        Ok(serials.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StatusOf;
    use time::Duration;

    fn cert(n: u32, now: OffsetDateTime) -> NewCertificate {
        crate::testing::certificate(&format!("{:08X}", n + 1).parse().expect("serial"), now)
    }

    crate::store_test!(async fn a_batch_lands_whole_or_not_at_all(s) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let batch: Vec<_> = (0..500).map(|n| cert(n, now)).collect();
        assert_eq!(s.bulk_insert_certificates(&batch).await.expect("insert"), 500);
        assert_eq!(s.certificate_count().await.expect("count"), 500);

        // A batch with one serial already taken stores nothing.
        let mut again: Vec<_> = (500..600).map(|n| cert(n, now)).collect();
        again.push(cert(7, now));
        let err = s.bulk_insert_certificates(&again).await.expect_err("duplicate");
        assert!(matches!(err, StoreError::DuplicateSerial(_)));
        assert_eq!(s.certificate_count().await.expect("count"), 500);

        let g0 = s.status_generation().await.expect("generation");
        let serials: Vec<Serial> = batch[..100].iter().map(|c| c.serial.clone()).collect();
        let at = now + Duration::hours(1);
        assert_eq!(
            s.bulk_revoke(&serials, RevocationReason::KeyCompromise, at).await.expect("revoke"),
            100
        );
        assert_eq!(s.status_generation().await.expect("generation"), g0 + 100);
        assert_eq!(s.revoked_unexpired(now).await.expect("list").len(), 100);
        assert!(matches!(s.status(&serials[0]).await.expect("status"), StatusOf::Revoked(_)));
        assert_eq!(s.status(&batch[100].serial).await.expect("status"), StatusOf::Good);

        // Revoking one already revoked refuses the whole batch.
        let more = vec![batch[200].serial.clone(), serials[0].clone()];
        assert!(s.bulk_revoke(&more, RevocationReason::Superseded, at).await.is_err());
        assert_eq!(s.status(&batch[200].serial).await.expect("status"), StatusOf::Good);
    });
}
