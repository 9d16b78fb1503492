//! The center's clock: the system clock, optionally shifted by `DOJANG_CLOCK_OFFSET`, so that
//! a demo or a test can run the center thirty days before a certificate ends, or after it.
//! Library code never reads the time itself; it is handed `clock.now()`.

use time::{Duration, OffsetDateTime};

use crate::{ConfigError, Env};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    /// The system clock, unshifted.
    pub fn system() -> Self {
        Clock { offset: Duration::ZERO }
    }

    /// A clock running `offset` ahead of (or, negative, behind) the system clock.
    pub fn shifted(offset: Duration) -> Self {
        Clock { offset }
    }

    /// `DOJANG_CLOCK_OFFSET`: `+710d`, `-3h`, `90m`, `45s` or plain seconds.
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        match env.get("DOJANG_CLOCK_OFFSET") {
            None => Ok(Clock::system()),
            Some(text) => parse_offset(&text).map(Clock::shifted).ok_or_else(|| ConfigError::Env {
                name: "DOJANG_CLOCK_OFFSET",
                value: text,
                why: "use a signed number with d, h, m or s, e.g. +710d".into(),
            }),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }

    pub fn offset(&self) -> Duration {
        self.offset
    }

    pub fn is_shifted(&self) -> bool {
        self.offset != Duration::ZERO
    }
}

fn parse_offset(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1i64, r),
        None => (1i64, t.strip_prefix('+').unwrap_or(t)),
    };
    let (digits, unit) = match rest.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&rest[..i], c),
        _ => (rest, 's'),
    };
    let n: i64 = digits.parse().ok()?;
    let secs = match unit {
        'd' => n.checked_mul(86_400)?,
        'h' => n.checked_mul(3_600)?,
        'm' => n.checked_mul(60)?,
        's' => n,
        _ => return None,
    };
    Some(Duration::seconds(sign * secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+710d"), Some(Duration::days(710)));
        assert_eq!(parse_offset("-3h"), Some(Duration::hours(-3)));
        assert_eq!(parse_offset("90m"), Some(Duration::minutes(90)));
        assert_eq!(parse_offset("45"), Some(Duration::seconds(45)));
        assert_eq!(parse_offset("soon"), None);
        assert_eq!(parse_offset("5y"), None);
        assert_eq!(parse_offset(""), None);
    }
}
