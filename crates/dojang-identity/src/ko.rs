//! Korean particles (조사) chosen by the last sound of the word, so that messages read
//! `보안카드가` and `인증을` rather than the clumsy `보안카드이(가)`.

/// Whether `word` ends in a consonant (받침) as a Korean reader says it: a Hangul syllable by
/// its final, a Latin letter or digit by its Korean name (엘, 엠, 엔, 알; 영, 일, 삼, 육, 칠, 팔).
fn has_final(word: &str) -> bool {
    let Some(last) = word.trim_end().chars().last() else { return false };
    match last {
        '가'..='힣' => (u32::from(last) - 0xAC00) % 28 != 0,
        'L' | 'M' | 'N' | 'R' | 'l' | 'm' | 'n' | 'r' => true,
        '0' | '1' | '3' | '6' | '7' | '8' => true,
        _ => false,
    }
}

/// `word` + 이/가 (subject).
pub(crate) fn i_ga(word: &str) -> String {
    format!("{word}{}", if has_final(word) { "이" } else { "가" })
}

/// `word` + 을/를 (object).
pub(crate) fn eul_reul(word: &str) -> String {
    format!("{word}{}", if has_final(word) { "을" } else { "를" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn particles_follow_the_last_sound() {
        assert_eq!(i_ga("보안카드"), "보안카드가");
        assert_eq!(i_ga("계좌 비밀번호"), "계좌 비밀번호가");
        assert_eq!(i_ga("OTP"), "OTP가");
        assert_eq!(i_ga("신분증"), "신분증이");
        assert_eq!(eul_reul("ARS 인증"), "ARS 인증을");
        assert_eq!(eul_reul("SMS 인증번호"), "SMS 인증번호를");
        assert_eq!(eul_reul("URL"), "URL을");
        assert_eq!(eul_reul("123"), "123을");
    }
}
