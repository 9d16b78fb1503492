//! What can go wrong talking to the center. A refusal carries the center's own sentences
//! (Korean and English), which say what failed and what to do, so the client shows them as
//! they are instead of a generic "인증서 발급이 실패했습니다".

use std::fmt;

use serde::Deserialize;

/// The center refused a request: its error body `{"error", "message_ko", "message_en",
/// "attempts_left"?}` and the HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status (400, 403, 404, 409, 410, 422, 423, 500…).
    pub status: u16,
    /// The center's stable code: `step_out_of_order`, `insufficient_funds`, `wrong-answer`…
    /// For a body that was not the center's error form, `http_<status>`.
    pub code: String,
    /// What a Korean customer reads.
    pub message_ko: String,
    /// The same in English.
    pub message_en: String,
    /// For checks that count wrong answers: how many more are allowed.
    pub attempts_left: Option<u32>,
}

/// The error body as the center sends it.
#[derive(Deserialize)]
struct Problem {
    error: String,
    #[serde(default)]
    message_ko: Option<String>,
    #[serde(default)]
    message_en: Option<String>,
    #[serde(default)]
    attempts_left: Option<u32>,
}

/// Bodies are shown at most this long when they are not the center's error form (an HTML
/// page from a proxy, a framework's plain-text rejection).
const SNIPPET: usize = 200;

impl ApiError {
    /// Reads an error response. Never fails: a body that is not the center's error form still
    /// gives an error that names the status and shows the start of the body.
    pub fn from_response(status: u16, body: &str) -> ApiError {
        if let Ok(p) = serde_json::from_str::<Problem>(body) {
            let en = p.message_en.filter(|m| !m.is_empty());
            let ko = p.message_ko.filter(|m| !m.is_empty());
            let fallback =
                || format!("the center refused the request ({}, HTTP {status})", p.error);
            return ApiError {
                status,
                message_ko: ko.or_else(|| en.clone()).unwrap_or_else(|| {
                    format!("인증센터가 요청을 거절했습니다 ({}, HTTP {status}).", p.error)
                }),
                message_en: en.unwrap_or_else(fallback),
                code: p.error,
                attempts_left: p.attempts_left,
            };
        }
        let snippet: String = body.trim().chars().take(SNIPPET).collect();
        let (ko, en) = match status {
            404 => (
                format!("인증센터 주소에 인증서 신청 기능이 없습니다 (HTTP 404). --server 주소를 확인해 주세요. {snippet}"),
                format!("the server has no certificate flows at this address (HTTP 404); check --server. {snippet}"),
            ),
            500..=599 => (
                format!("인증센터에 일시적인 오류가 있습니다 (HTTP {status}). 잠시 후 다시 시도해 주세요. {snippet}"),
                format!("the center failed (HTTP {status}); try again later. {snippet}"),
            ),
            _ => (
                format!("인증센터가 요청을 거절했습니다 (HTTP {status}): {snippet}"),
                format!("the center refused the request (HTTP {status}): {snippet}"),
            ),
        };
        ApiError {
            status,
            code: format!("http_{status}"),
            message_ko: ko.trim_end().to_string(),
            message_en: en.trim_end().to_string(),
            attempts_left: None,
        }
    }

    /// The message in Korean (`korean`) or English.
    pub fn message(&self, korean: bool) -> &str {
        if korean {
            &self.message_ko
        } else {
            &self.message_en
        }
    }

    /// A one-time code, card digits or password was wrong and another try is allowed.
    pub fn may_retry(&self) -> bool {
        is_wrong_answer(&self.code) && self.attempts_left.is_none_or(|n| n > 0)
    }

    /// The code (or challenge) can no longer be answered: it expired, or took all its wrong
    /// answers. Asking for a new one (the step's `start` again) may still work.
    pub fn needs_new_challenge(&self) -> bool {
        matches!(
            self.code.as_str(),
            "expired" | "too-many-attempts" | "too_many_attempts" | "code_expired"
        ) || (is_wrong_answer(&self.code) && self.attempts_left == Some(0))
    }

    /// The step's input lacked or had wrong something (HTTP 400, `bad_input`).
    pub fn is_bad_input(&self) -> bool {
        self.code == "bad_input"
    }
}

fn is_wrong_answer(code: &str) -> bool {
    matches!(code, "wrong-answer" | "wrong_answer" | "wrong_code")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, HTTP {})", self.message_en, self.code, self.status)
    }
}

impl std::error::Error for ApiError {}

/// A request to the center that did not get an answer we could use.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The center answered with a refusal.
    #[error(transparent)]
    Api(#[from] ApiError),

    /// The URL given for the center cannot be used.
    #[error("the center's URL {url:?} cannot be used: {why}")]
    BadUrl { url: String, why: &'static str },

    /// The center could not be reached (not running, wrong port, network).
    #[error("cannot reach the certificate center at {url}: {reason}; is `dojang serve` running there? (--server, $DOJANG_SERVER)")]
    Unreachable { url: String, reason: String },

    /// The center answered, but not with what the API promises.
    #[error("the center's answer to {what} cannot be read: {reason}")]
    BadResponse { what: String, reason: String },
}

impl ClientError {
    /// The center's refusal, if that is what this is.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(e),
            _ => None,
        }
    }

    /// A sentence for the customer in Korean (`korean`) or English.
    pub fn message(&self, korean: bool) -> String {
        match self {
            ClientError::Api(e) => e.message(korean).to_string(),
            ClientError::BadUrl { url, why } if korean => {
                format!("인증센터 주소 {url:?}를 쓸 수 없습니다: {why}")
            }
            ClientError::Unreachable { url, reason } if korean => format!(
                "인증센터({url})에 연결할 수 없습니다: {reason}. 주소(--server, $DOJANG_SERVER)와 서버 실행 여부를 확인해 주세요."
            ),
            ClientError::BadResponse { what, reason } if korean => {
                format!("인증센터의 응답({what})을 읽을 수 없습니다: {reason}")
            }
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_centers_error_body_is_read_as_it_is() {
        let body = r#"{"error":"wrong-answer","message_ko":"ARS 승인번호가 일치하지 않습니다. (남은 입력 횟수 2회)","message_en":"The ARS approval number is wrong (2 tries left).","attempts_left":2}"#;
        let e = ApiError::from_response(403, body);
        assert_eq!(e.status, 403);
        assert_eq!(e.code, "wrong-answer");
        assert_eq!(e.attempts_left, Some(2));
        assert!(e.message(true).contains("남은 입력 횟수 2회"));
        assert!(e.message(false).contains("2 tries left"));
        assert!(e.may_retry());
        assert!(!e.needs_new_challenge());

        let last = ApiError::from_response(
            403,
            r#"{"error":"wrong-answer","message_ko":"…","message_en":"…","attempts_left":0}"#,
        );
        assert!(!last.may_retry());
        assert!(last.needs_new_challenge());

        let expired = ApiError::from_response(
            403,
            r#"{"error":"expired","message_ko":"ARS 인증 입력 시간이 지났습니다.","message_en":"expired"}"#,
        );
        assert!(expired.needs_new_challenge() && !expired.may_retry());
        assert_eq!(expired.attempts_left, None);
    }

    #[test]
    fn refusals_keep_their_codes() {
        let e = ApiError::from_response(
            422,
            r#"{"error":"insufficient_funds","message_ko":"출금계좌의 잔액이 부족합니다 (잔액 1000원, 수수료 4400원).","message_en":"Not enough money"}"#,
        );
        assert_eq!(e.code, "insufficient_funds");
        assert!(!e.may_retry() && !e.needs_new_challenge() && !e.is_bad_input());
        let c = ClientError::from(e);
        assert_eq!(c.api().map(|e| e.status), Some(422));
        assert!(c.message(true).contains("잔액이 부족"));
        assert!(c.message(false).contains("Not enough money"));
        assert!(c.to_string().contains("insufficient_funds"), "{c}");
    }

    #[test]
    fn a_missing_language_falls_back_to_the_other() {
        let e = ApiError::from_response(
            400,
            r#"{"error":"bad_input","message_en":"the name is needed too"}"#,
        );
        assert!(e.is_bad_input());
        assert_eq!(e.message(true), "the name is needed too");
        let e = ApiError::from_response(409, r#"{"error":"step_out_of_order"}"#);
        assert!(e.message(true).contains("step_out_of_order"));
        assert!(e.message(false).contains("HTTP 409"));
    }

    #[test]
    fn bodies_that_are_not_the_error_form_still_make_an_error() {
        let e = ApiError::from_response(404, "");
        assert_eq!(e.code, "http_404");
        assert!(e.message(true).contains("--server"), "{}", e.message_ko);
        let e = ApiError::from_response(502, "<html>Bad Gateway</html>");
        assert_eq!(e.code, "http_502");
        assert!(e.message(false).contains("Bad Gateway"));
        let long = "x".repeat(5000);
        let e = ApiError::from_response(415, &long);
        assert!(e.message_en.len() < 400);
        // Not an object of the right shape: treated as text.
        let e = ApiError::from_response(400, r#"{"message":"no error field"}"#);
        assert_eq!(e.code, "http_400");
    }
}
