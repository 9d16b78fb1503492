//! What a field should have been, as serde's derived code describes it ("a string", "u32",
//! "one of `issue`, `renew`"), said again in Korean for a customer.

use std::fmt;

/// serde's own description of what a type takes. It comes from our types, never from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected(String);

impl Expected {
    pub(crate) fn new(text: &str) -> Self {
        Self(text.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// In Korean, for the kinds serde names most; any other kind as serde says it.
    pub fn ko(&self) -> String {
        let t = self.0.as_str();
        let integer = [
            "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        ];
        if integer.contains(&t) {
            return "정수".into();
        }
        if t.starts_with("struct ") || t == "a map" {
            return "객체({ … })".into();
        }
        if let Some(list) = t.strip_prefix("one of ") {
            return format!("{list} 중 하나");
        }
        match t {
            "a string" | "a borrowed string" | "a character" => "문자열".into(),
            "a boolean" => "true 또는 false".into(),
            "a sequence" => "배열([ … ])".into(),
            "f32" | "f64" => "숫자".into(),
            _ if t.starts_with('`') => format!("{} 중 하나", t.replace(" or ", ", ")),
            _ => t.into(),
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
