//! The certificate password rule Korean banks apply to joint certificates: 10 to 30
//! characters mixing letters, digits and symbols.
//!
//! Only printable ASCII is accepted. Korean client software hands the password to the key
//! derivation as bytes in the system code page (CP949 on Korean Windows), so a Hangul or other
//! non-ASCII password written here as UTF-8 would not open the same file there.

use std::fmt;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 30;

/// One thing a password lacks or has wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    TooShort,
    TooLong,
    NoLetter,
    NoDigit,
    NoSymbol,
    /// A space, a control character or a character outside ASCII.
    BadCharacter,
}

impl Problem {
    fn describe(self, len: usize) -> String {
        match self {
            Problem::TooShort => format!("it has {len} characters, at least {MIN_LEN} are needed"),
            Problem::TooLong => format!("it has {len} characters, at most {MAX_LEN} are allowed"),
            Problem::NoLetter => "it has no letter (a-z, A-Z)".into(),
            Problem::NoDigit => "it has no digit (0-9)".into(),
            Problem::NoSymbol => "it has no symbol (such as ! @ # $ % ^ & *)".into(),
            Problem::BadCharacter => {
                "it has a space, a non-ASCII character (e.g. Hangul) or a control character; only letters, digits and symbols are allowed".into()
            }
        }
    }
}

/// Why a new password was refused: every problem at once, so the customer fixes it in one go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordRuleError {
    pub problems: Vec<Problem>,
    len: usize,
}

impl fmt::Display for PasswordRuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the certificate password must be {MIN_LEN} to {MAX_LEN} characters with letters, digits and symbols: "
        )?;
        let parts: Vec<String> = self.problems.iter().map(|p| p.describe(self.len)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for PasswordRuleError {}

/// Checks a password being set (new certificate password, PFX export password).
pub fn check(password: &str) -> Result<(), PasswordRuleError> {
    let len = password.chars().count();
    let mut problems = Vec::new();
    if len < MIN_LEN {
        problems.push(Problem::TooShort);
    }
    if len > MAX_LEN {
        problems.push(Problem::TooLong);
    }
    if !password.chars().any(|c| c.is_ascii_alphabetic()) {
        problems.push(Problem::NoLetter);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        problems.push(Problem::NoDigit);
    }
    if !password.chars().any(|c| c.is_ascii_punctuation()) {
        problems.push(Problem::NoSymbol);
    }
    if password.chars().any(|c| !c.is_ascii_graphic()) {
        problems.push(Problem::BadCharacter);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PasswordRuleError { problems, len })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_mixed_password_of_10_to_30() {
        assert_eq!(check("abc123!@#x"), Ok(()));
        assert_eq!(check(&format!("A1!{}", "x".repeat(27))), Ok(()));
    }

    #[test]
    fn names_everything_missing() {
        let e = check("abc").unwrap_err();
        assert_eq!(e.problems, vec![Problem::TooShort, Problem::NoDigit, Problem::NoSymbol]);
        let text = e.to_string();
        assert!(text.contains("3 characters, at least 10"), "{text}");
        assert!(text.contains("no digit") && text.contains("no symbol"), "{text}");
        assert!(!text.contains("abc"), "the password itself is never shown: {text}");

        assert_eq!(check("1234567890!").unwrap_err().problems, vec![Problem::NoLetter]);
        assert_eq!(
            check(&format!("A1!{}", "x".repeat(28))).unwrap_err().problems,
            vec![Problem::TooLong]
        );
        assert_eq!(check("비밀번호abc123!!").unwrap_err().problems, vec![Problem::BadCharacter]);
        assert_eq!(check("abc 123 !!xx").unwrap_err().problems, vec![Problem::BadCharacter]);
    }
}
