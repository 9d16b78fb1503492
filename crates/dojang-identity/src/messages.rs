//! The words the bank sends: SMS texts, ARS call scripts, one-won transfer memos, and the
//! instructions a prompt shows. Korean as a Korean bank writes it, English beside it.

use serde::{Deserialize, Serialize};

use crate::ko::eul_reul;

/// The bank as its messages name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bank {
    /// `[도장은행]` at the head of every text.
    pub name: String,
    /// The few letters that fit in a transfer memo (적요) before the code: `도장 4827`.
    pub memo_name: String,
    /// The customer center's number, said at the end of an ARS call.
    pub support_phone: String,
}

impl Default for Bank {
    fn default() -> Self {
        Bank {
            name: "도장은행".into(),
            memo_name: "도장".into(),
            support_phone: "1588-0000".into(),
        }
    }
}

/// The SMS with a code.
pub(crate) fn sms(bank: &Bank, code: &str, minutes: i64) -> String {
    format!(
        "[{}] 인증번호 [{code}]를 {minutes}분 안에 입력해 주세요. 타인에게 절대 알려주지 마세요.",
        bank.name
    )
}

/// What the ARS voice says. The digits are spoken one by one, twice.
pub(crate) fn ars(bank: &Bank, code: &str, minutes: i64) -> String {
    let spoken: Vec<String> = code.chars().map(String::from).collect();
    let spoken = spoken.join(" ");
    format!(
        "[{name} ARS] 안녕하세요, {name} 인증센터입니다. 고객님께서 요청하신 본인확인 전화입니다. \
         승인번호는 [{spoken}] 입니다. 다시 한 번 알려 드립니다. 승인번호는 {spoken} 입니다. \
         {minutes}분 안에 화면에 승인번호 6자리를 입력해 주세요. 본인이 요청하지 않으셨다면 \
         승인번호를 입력하지 마시고 고객센터 {phone}로 연락해 주세요.",
        name = bank.name,
        phone = bank.support_phone,
    )
}

/// The memo (적요) of the one-won transfer.
pub(crate) fn memo(bank: &Bank, code: &str) -> String {
    format!("{} {code}", bank.memo_name)
}

pub(crate) fn ars_prompt(to: &str, minutes: i64) -> (String, String) {
    (
        format!("등록된 전화번호 {to}로 ARS 전화를 걸고 있습니다. 전화를 받아 안내하는 승인번호 6자리를 {minutes}분 안에 입력해 주세요."),
        format!("We are calling your registered phone {to}. Answer it and enter the 6-digit approval number it tells you within {minutes} minutes."),
    )
}

pub(crate) fn sms_prompt(to: &str, minutes: i64) -> (String, String) {
    (
        format!("{to}로 인증번호를 보냈습니다. 문자로 받은 인증번호 6자리를 {minutes}분 안에 입력해 주세요."),
        format!("A code was sent by text message to {to}. Enter the 6 digits within {minutes} minutes."),
    )
}

pub(crate) fn card_prompt(first: u8, second: u8, minutes: i64) -> (String, String) {
    (
        format!("보안카드 {first:02}번 코드의 앞 2자리와 {second:02}번 코드의 뒤 2자리를 {minutes}분 안에 입력해 주세요."),
        format!("Enter the first two digits of code {first:02} and the last two digits of code {second:02} on your security card, within {minutes} minutes."),
    )
}

pub(crate) fn otp_prompt() -> (String, String) {
    (
        "OTP 생성기의 버튼을 눌러 표시되는 6자리 번호를 입력해 주세요.".into(),
        "Press the button of your OTP device and enter the 6 digits it shows.".into(),
    )
}

pub(crate) fn one_won_prompt(bank: &Bank, to: &str, minutes: i64) -> (String, String) {
    (
        format!(
            "고객님의 계좌 {to}{} 1원을 보냈습니다. 입금 내역의 보낸 분(적요)에 표시된 '{} ' 뒤의 숫자 4자리를 {minutes}분 안에 입력해 주세요.",
            // 으로 after 영, 삼, 육 (0, 3, 6); 로 after a vowel or ㄹ (1 일, 7 칠, 8 팔).
            if to.ends_with(|c: char| "036".contains(c)) { "으로" } else { "로" },
            bank.memo_name
        ),
        format!("We sent 1 won to your account {to}. Enter the 4 digits after '{} ' in the sender (memo) of that deposit within {minutes} minutes.", bank.memo_name),
    )
}

pub(crate) fn id_card_prompt(minutes: i64) -> (String, String) {
    (
        format!("신분증(주민등록증, 운전면허증 또는 여권)의 종류, 번호, 발급일자를 {minutes}분 안에 입력해 주세요. 유효기간이 지났거나 분실 신고된 신분증은 사용할 수 없습니다."),
        format!("Enter the kind, number and issue date of your ID card (resident card, driver's licence or passport) within {minutes} minutes. Expired or lost cards cannot be used."),
    )
}

pub(crate) fn account_password_prompt() -> (String, String) {
    (
        format!("{} 입력하고 계좌 비밀번호 4자리를 입력해 주세요.", eul_reul("출금계좌번호")),
        "Enter your withdrawal account number and its 4-digit password.".into(),
    )
}

pub(crate) fn banking_login_prompt() -> (String, String) {
    (
        "인터넷뱅킹 ID와 비밀번호를 입력해 주세요.".into(),
        "Enter your internet banking ID and password.".into(),
    )
}

pub(crate) fn rrn_name_prompt() -> (String, String) {
    (
        "이름과 주민등록번호 13자리를 입력해 주세요.".into(),
        "Enter your name and your 13-digit resident registration number.".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_outside::find_code;

    #[test]
    fn every_message_carries_its_code_where_the_reader_finds_it() {
        let bank = Bank::default();
        let s = sms(&bank, "123456", 3);
        assert!(s.starts_with("[도장은행] 인증번호 [123456]를"), "{s}");
        assert_eq!(find_code(&s).as_deref(), Some("123456"));
        let a = ars(&bank, "482913", 3);
        assert!(a.contains("승인번호는 [4 8 2 9 1 3]"), "{a}");
        assert_eq!(find_code(&a).as_deref(), Some("482913"));
        assert_eq!(memo(&bank, "4827"), "도장 4827");
        let (ko, _) = card_prompt(7, 23, 5);
        assert!(ko.contains("07번 코드의 앞 2자리와 23번 코드의 뒤 2자리"), "{ko}");
    }
}
