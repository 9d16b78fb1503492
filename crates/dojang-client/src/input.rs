//! What the customer sends for each step, typed. Several inputs carry secrets (the RRN, the
//! account and banking passwords, one-time codes): they are borrowed, serialised straight into
//! a buffer that is wiped after sending, and `Debug` names only the kind of input.

use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

/// The input of one step.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// `terms`: the ids of the accepted terms.
    Terms { accepted: &'a [String] },
    /// `identify`: internet-banking ID and RRN, plus the name or the banking password when the
    /// center's policy asks for them.
    Identify { banking_id: &'a str, rrn: &'a str, name: Option<&'a str>, password: Option<&'a str> },
    /// `identify` for a business: internet-banking ID and business registration number.
    IdentifyBusiness { banking_id: &'a str, business_number: &'a str, password: Option<&'a str> },
    /// `product`: the product id (`personal-bank`…).
    Product { product: &'a str },
    /// `select`: which certificate, or `None` to let the center take the only one that fits.
    Select { serial: Option<&'a str> },
    /// `possession`: the certificate's serial and the signature (base64) over the message.
    Possession { serial: &'a str, signature: &'a str },
    /// A challenge step's `{"action":"start"}`: send the code, pose the question.
    Start,
    /// A challenge answered with a code (ARS, SMS, OTP, the one-won memo).
    Code { code: &'a str },
    /// A security-card challenge answered (`first`, `second`), with an OTP code instead when
    /// the second factor is an OTP.
    Card { first: &'a str, second: &'a str },
    /// The ID-card check: kind (`resident`, `driver`, `passport`), number, issue date.
    IdCard { id_kind: &'a str, id_number: &'a str, issue_date: &'a str },
    /// `payment`: the withdrawal account and its password.
    Payment { account: &'a str, password: &'a str },
    /// `reason`: the revocation reason (`keyCompromise`…).
    Reason { reason: &'a str },
    /// `confirm`.
    Confirm,
    /// `csr`: the PEM certificate request.
    Csr { pem: &'a str },
}

/// The JSON shapes of the inputs.
#[derive(Serialize)]
#[serde(untagged)]
enum Wire<'a> {
    Terms {
        accepted: &'a [String],
    },
    IdentifyBusiness {
        banking_id: &'a str,
        business_number: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        password: Option<&'a str>,
    },
    Identify {
        banking_id: &'a str,
        rrn: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        password: Option<&'a str>,
    },
    Product {
        product: &'a str,
    },
    Select {
        #[serde(skip_serializing_if = "Option::is_none")]
        serial: Option<&'a str>,
    },
    Possession {
        serial: &'a str,
        signature: &'a str,
    },
    Start {
        action: &'static str,
    },
    Code {
        action: &'static str,
        code: &'a str,
    },
    Card {
        action: &'static str,
        first: &'a str,
        second: &'a str,
    },
    IdCard {
        action: &'static str,
        id_kind: &'a str,
        id_number: &'a str,
        issue_date: &'a str,
    },
    Payment {
        account: &'a str,
        password: &'a str,
    },
    Reason {
        reason: &'a str,
    },
    Confirm {
        confirm: bool,
    },
    Csr {
        csr: &'a str,
    },
}

impl<'a> Input<'a> {
    fn wire(self) -> Wire<'a> {
        match self {
            Input::Terms { accepted } => Wire::Terms { accepted },
            Input::Identify { banking_id, rrn, name, password } => {
                Wire::Identify { banking_id, rrn, name, password }
            }
            Input::IdentifyBusiness { banking_id, business_number, password } => {
                Wire::IdentifyBusiness { banking_id, business_number, password }
            }
            Input::Product { product } => Wire::Product { product },
            Input::Select { serial } => Wire::Select { serial },
            Input::Possession { serial, signature } => Wire::Possession { serial, signature },
            Input::Start => Wire::Start { action: "start" },
            Input::Code { code } => Wire::Code { action: "answer", code },
            Input::Card { first, second } => Wire::Card { action: "answer", first, second },
            Input::IdCard { id_kind, id_number, issue_date } => {
                Wire::IdCard { action: "answer", id_kind, id_number, issue_date }
            }
            Input::Payment { account, password } => Wire::Payment { account, password },
            Input::Reason { reason } => Wire::Reason { reason },
            Input::Confirm => Wire::Confirm { confirm: true },
            Input::Csr { pem } => Wire::Csr { csr: pem },
        }
    }

    /// The request body, in a buffer wiped when dropped.
    pub fn to_body(self) -> Result<Zeroizing<Vec<u8>>, serde_json::Error> {
        serde_json::to_vec(&self.wire()).map(Zeroizing::new)
    }

    /// Which input this is, for messages: never its content.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Terms { .. } => "terms",
            Input::Identify { .. } | Input::IdentifyBusiness { .. } => "identify",
            Input::Product { .. } => "product",
            Input::Select { .. } => "select",
            Input::Possession { .. } => "possession",
            Input::Start => "start",
            Input::Code { .. } => "code",
            Input::Card { .. } => "security card",
            Input::IdCard { .. } => "ID card",
            Input::Payment { .. } => "payment",
            Input::Reason { .. } => "reason",
            Input::Confirm => "confirm",
            Input::Csr { .. } => "csr",
        }
    }
}

impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Input::{}(..)", self.kind())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn body(i: Input<'_>) -> Value {
        serde_json::from_slice(&i.to_body().unwrap()).unwrap()
    }

    #[test]
    fn every_input_has_the_apis_shape() {
        let accepted = vec!["a".to_string(), "b".to_string()];
        assert_eq!(body(Input::Terms { accepted: &accepted }), json!({"accepted": ["a", "b"]}));
        assert_eq!(
            body(Input::Identify {
                banking_id: "hong",
                rrn: "9001011234567",
                name: None,
                password: None
            }),
            json!({"banking_id": "hong", "rrn": "9001011234567"})
        );
        assert_eq!(
            body(Input::Identify {
                banking_id: "h",
                rrn: "r",
                name: Some("홍길동"),
                password: Some("p")
            }),
            json!({"banking_id": "h", "rrn": "r", "name": "홍길동", "password": "p"})
        );
        assert_eq!(
            body(Input::Product { product: "personal-bank" }),
            json!({"product": "personal-bank"})
        );
        assert_eq!(body(Input::Select { serial: None }), json!({}));
        assert_eq!(body(Input::Select { serial: Some("0A") }), json!({"serial": "0A"}));
        assert_eq!(
            body(Input::Possession { serial: "0A", signature: "c2ln" }),
            json!({"serial": "0A", "signature": "c2ln"})
        );
        assert_eq!(body(Input::Start), json!({"action": "start"}));
        assert_eq!(
            body(Input::Code { code: "123456" }),
            json!({"action": "answer", "code": "123456"})
        );
        assert_eq!(
            body(Input::Card { first: "12", second: "34" }),
            json!({"action": "answer", "first": "12", "second": "34"})
        );
        assert_eq!(
            body(Input::IdCard { id_kind: "driver", id_number: "11-22", issue_date: "2020-01-02" }),
            json!({"action": "answer", "id_kind": "driver", "id_number": "11-22", "issue_date": "2020-01-02"})
        );
        assert_eq!(
            body(Input::Payment { account: "123-456", password: "0000" }),
            json!({"account": "123-456", "password": "0000"})
        );
        assert_eq!(
            body(Input::Reason { reason: "keyCompromise" }),
            json!({"reason": "keyCompromise"})
        );
        assert_eq!(body(Input::Confirm), json!({"confirm": true}));
        assert_eq!(body(Input::Csr { pem: "-----BEGIN" }), json!({"csr": "-----BEGIN"}));
    }

    #[test]
    fn debug_hides_the_secrets() {
        let i = Input::Payment { account: "123-456", password: "4821" };
        let text = format!("{i:?}");
        assert!(!text.contains("4821") && !text.contains("123-456"), "{text}");
        let i = Input::Identify {
            banking_id: "hong",
            rrn: "9001011234567",
            name: None,
            password: None,
        };
        assert!(!format!("{i:?}").contains("9001011234567"));
    }
}
