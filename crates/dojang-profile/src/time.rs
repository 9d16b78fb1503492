//! Certificate times: RFC 5280 §4.1.2.5 says UTCTime through 2049, GeneralizedTime after.

use der::asn1::{GeneralizedTime, UtcTime};
use der::DateTime;
use time::OffsetDateTime;
use x509_cert::time::Time;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("time {0} cannot be put in a certificate (before 1970 or after 9999)")]
pub struct TimeOutOfRange(pub OffsetDateTime);

/// To an X.509 time, whole seconds.
pub fn to_x509(t: OffsetDateTime) -> Result<Time, TimeOutOfRange> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| TimeOutOfRange(t))?;
    let dt = DateTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map_err(|_| TimeOutOfRange(t))?;
    if dt.year() < 2050 {
        UtcTime::from_date_time(dt).map(Time::UtcTime).map_err(|_| TimeOutOfRange(t))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    }
}

/// To a generalized time (OCSP uses only GeneralizedTime).
pub fn to_generalized(t: OffsetDateTime) -> Result<GeneralizedTime, TimeOutOfRange> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| TimeOutOfRange(t))?;
    GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map_err(|_| TimeOutOfRange(t))
}

/// From an X.509 time.
pub fn from_x509(t: &Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs();
    // An X.509 time is at most year 9999, far inside i64 seconds and `time`'s range.
    OffsetDateTime::from_unix_timestamp(secs as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn utc_before_2050_generalized_after() {
        assert!(matches!(to_x509(datetime!(2049-12-31 23:59:59 UTC)), Ok(Time::UtcTime(_))));
        assert!(matches!(to_x509(datetime!(2050-01-01 0:00 UTC)), Ok(Time::GeneralTime(_))));
        let t = datetime!(2027-03-01 12:34:56 UTC);
        assert_eq!(to_x509(t).map(|x| from_x509(&x)), Ok(t));
        assert!(to_x509(datetime!(1969-01-01 0:00 UTC)).is_err());
    }
}
