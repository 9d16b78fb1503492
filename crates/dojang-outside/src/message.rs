//! What the center says to the customer through the outside world.

use std::fmt;

use dojang_store::Channel;

/// One message. The text is written by the caller (the identity checks write it in Korean,
/// as a bank does); the adapter only delivers it.
#[derive(Clone)]
pub enum Message {
    /// A text message (문자) to a mobile number.
    Sms { to: String, text: String },
    /// An automated call (ARS) to a phone number; `script` is what the voice says.
    ArsCall { to: String, script: String },
    /// An e-mail.
    Email { to: String, subject: String, body: String },
    /// A deposit into the customer's account, as the banking app's history shows it
    /// (the one-won transfer: 1원 입금, with a code in the memo 적요).
    DepositNotice { account: String, amount: i64, memo: String },
}

impl Message {
    pub fn channel(&self) -> Channel {
        match self {
            Message::Sms { .. } => Channel::Sms,
            Message::ArsCall { .. } => Channel::Ars,
            Message::Email { .. } => Channel::Email,
            Message::DepositNotice { .. } => Channel::Transfer,
        }
    }

    /// Where it goes: the phone number, e-mail address or account number.
    pub fn address(&self) -> &str {
        match self {
            Message::Sms { to, .. } | Message::ArsCall { to, .. } | Message::Email { to, .. } => to,
            Message::DepositNotice { account, .. } => account,
        }
    }

    /// The text as the customer sees it (the simulator stores this).
    pub fn display_text(&self) -> String {
        match self {
            Message::Sms { text, .. } => text.clone(),
            Message::ArsCall { script, .. } => script.clone(),
            Message::Email { subject, body, .. } => format!("제목: {subject}\n\n{body}"),
            Message::DepositNotice { amount, memo, .. } => {
                format!(
                    "입금 {}원 | 보낸 분(적요): [{memo}]",
                    dojang_profile::won::grouped(*amount)
                )
            }
        }
    }
}

/// Where and how; never the text (it holds codes).
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("channel", &self.channel())
            .field("to", &self.address())
            .finish_non_exhaustive()
    }
}

/// What the adapter says it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub channel: Channel,
    /// The normalised address it went to.
    pub address: String,
    /// The simulator's inbox id; a real gateway's message id if it gives one.
    pub id: Option<String>,
}

/// The code in a message as the center writes them: the digits inside the first `[…]` that
/// holds any (`인증번호 [123456]`, `승인번호는 [482913]`, `적요: [도장 4827]`). For demos
/// and tests that play the customer reading their phone.
pub fn find_code(body: &str) -> Option<String> {
    let mut rest = body;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']')?;
        let digits: String = after[..close].chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            return Some(digits);
        }
        rest = &after[close + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_in_every_kind_of_message() {
        assert_eq!(
            find_code("[도장은행] 인증번호 [123456]를 입력해 주세요.").as_deref(),
            Some("123456")
        );
        assert_eq!(find_code("승인번호는 [4 8 2 9 1 3] 입니다").as_deref(), Some("482913"));
        assert_eq!(find_code("입금 1원 | 보낸 분(적요): [도장 4827]").as_deref(), Some("4827"));
        assert_eq!(find_code("no code here"), None);
        assert_eq!(find_code("[unclosed 12"), None);
    }

    #[test]
    fn debug_never_shows_the_text() {
        let m = Message::Sms { to: "010-1234-5678".into(), text: "인증번호 [987654]".into() };
        let shown = format!("{m:?}");
        assert!(!shown.contains("987654"), "{shown}");
        assert!(shown.contains("010-1234-5678"));
    }
}
