//! The financial certificate's PIN (금융인증서 비밀번호): six digits, and none a thief would try
//! first. Every refusal names the rule it broke, so the customer knows what to change.

use zeroize::Zeroizing;

/// A PIN that passed the format check. Its `Debug` shows nothing of it.
pub struct Pin(Zeroizing<String>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(..)")
    }
}

impl Pin {
    /// Six ASCII digits, nothing else (the format a wrong PIN is counted against).
    pub fn parse(text: &str) -> Result<Pin, PinRule> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinRule::SixDigits);
        }
        Ok(Pin(Zeroizing::new(text.to_string())))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The rule a new PIN broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinRule {
    /// Exactly six digits.
    SixDigits,
    /// All the same digit (111111).
    Repeated,
    /// Digits counting up or down (123456, 654321, 890123).
    Sequential,
    /// The same pair or triple over and over (121212, 123123).
    Pattern,
    /// The holder's birth date, the first six digits of the RRN (YYMMDD).
    BirthDate,
}

impl PinRule {
    pub fn code(self) -> &'static str {
        match self {
            PinRule::SixDigits => "six-digits",
            PinRule::Repeated => "repeated-digits",
            PinRule::Sequential => "sequential-digits",
            PinRule::Pattern => "repeated-pattern",
            PinRule::BirthDate => "birth-date",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            PinRule::SixDigits => "금융인증서 비밀번호는 숫자 6자리여야 합니다.",
            PinRule::Repeated => "같은 숫자만 반복된 비밀번호(예: 111111)는 쓸 수 없습니다.",
            PinRule::Sequential => "연속된 숫자(예: 123456, 654321)는 비밀번호로 쓸 수 없습니다.",
            PinRule::Pattern => {
                "같은 숫자 묶음이 반복된 비밀번호(예: 121212, 123123)는 쓸 수 없습니다."
            }
            PinRule::BirthDate => "생년월일(주민등록번호 앞 6자리)은 비밀번호로 쓸 수 없습니다.",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            PinRule::SixDigits => "the PIN must be exactly six digits",
            PinRule::Repeated => "the PIN may not be one digit repeated (like 111111)",
            PinRule::Sequential => "the PIN may not be digits in sequence (like 123456 or 654321)",
            PinRule::Pattern => "the PIN may not repeat a pair or triple (like 121212 or 123123)",
            PinRule::BirthDate => "the PIN may not be the birth date (the RRN's first six digits)",
        }
    }
}

/// Judges a new PIN; `birth` is the first six digits of the holder's RRN.
pub fn check_new(text: &str, birth: Option<&str>) -> Result<Pin, PinRule> {
    let pin = Pin::parse(text)?;
    let d: Vec<i8> = text.bytes().map(|b| (b - b'0') as i8).collect();
    if d.iter().all(|&x| x == d[0]) {
        return Err(PinRule::Repeated);
    }
    let steps: Vec<i8> = d.windows(2).map(|w| (w[1] - w[0]).rem_euclid(10)).collect();
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == 9) {
        return Err(PinRule::Sequential);
    }
    if text[0..2] == text[2..4] && text[2..4] == text[4..6] || text[0..3] == text[3..6] {
        return Err(PinRule::Pattern);
    }
    if birth.is_some_and(|b| b == text) {
        return Err(PinRule::BirthDate);
    }
    Ok(pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_pins_are_refused_with_the_rule() {
        let birth = Some("900101");
        for (pin, rule) in [
            ("12345", PinRule::SixDigits),
            ("12a456", PinRule::SixDigits),
            ("1234567", PinRule::SixDigits),
            ("111111", PinRule::Repeated),
            ("000000", PinRule::Repeated),
            ("123456", PinRule::Sequential),
            ("654321", PinRule::Sequential),
            ("890123", PinRule::Sequential),
            ("121212", PinRule::Pattern),
            ("123123", PinRule::Pattern),
            ("900101", PinRule::BirthDate),
        ] {
            assert_eq!(check_new(pin, birth).err(), Some(rule), "{pin}");
        }
        for good in ["482916", "135790", "902101", "271828"] {
            assert!(check_new(good, birth).is_ok(), "{good}");
        }
        assert_eq!(format!("{:?}", Pin::parse("482916").ok()), "Some(Pin(..))");
    }
}
