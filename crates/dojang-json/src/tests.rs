use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read only to be refused
struct Identify {
    rrn: String,
    password: String,
    #[serde(default)]
    hashes: Vec<String>,
    kind: Option<Kind>,
    inner: Option<Inner>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    Issue,
    Renew,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Inner {
    pin: u32,
}

const RRN: &str = "9001011777777";

fn refused(json: &str) -> JsonError {
    let err = from_str::<Identify>(json).expect_err("refused");
    for text in [err.message_en(), err.message_ko(), format!("{err:?}")] {
        for secret in [RRN, "4821", "hunter2", "9001011"] {
            assert!(!text.contains(secret), "{secret} in {text:?}");
        }
    }
    err
}

#[test]
fn a_number_where_a_string_belongs_names_the_field_not_the_value() {
    let err = refused(&format!(r#"{{"rrn": {RRN}, "password": "x"}}"#));
    assert_eq!(err.field(), Some("rrn"));
    assert_eq!(err.problem(), &Problem::WrongType { expected: Expected::new("a string") });
    assert_eq!(err.message_en(), "`rrn` must be a string");
    assert_eq!(err.message_ko(), "'rrn' 항목은 문자열이어야 합니다.");

    let err = refused(r#"{"rrn": "x", "password": 4821}"#);
    assert_eq!(err.field(), Some("password"));
}

#[test]
fn a_string_where_a_number_belongs_is_not_quoted_even_with_expected_inside() {
    let err =
        refused(r#"{"rrn": "x", "password": "y", "inner": {"pin": "hunter2, expected 9001011"}}"#);
    assert_eq!(err.field(), Some("inner.pin"));
    assert_eq!(err.message_en(), "`inner.pin` must be u32");
    assert_eq!(err.message_ko(), "'inner.pin' 항목은 정수이어야 합니다.");
}

#[test]
fn arrays_are_indexed() {
    let err = refused(r#"{"rrn": "x", "password": "y", "hashes": ["a", 4821]}"#);
    assert_eq!(err.field(), Some("hashes[1]"));
}

#[test]
fn missing_unknown_and_duplicate_fields_are_named() {
    let err = refused(r#"{"rrn": "x"}"#);
    assert_eq!((err.field(), err.problem()), (Some("password"), &Problem::Missing));
    assert_eq!(err.message_ko(), "'password' 항목이 빠졌습니다. 입력한 뒤 다시 보내 주세요.");

    let err = refused(r#"{"rrn": "x", "password": "y", "pasword": "hunter2"}"#);
    assert_eq!(err.field(), Some("pasword"));
    assert!(matches!(err.problem(), Problem::Unknown { expected: Some(_) }));
    assert!(err.message_en().contains("expected one of `rrn`"), "{err}");

    let err = refused(r#"{"rrn": "x", "password": "y", "inner": {"pin": 1, "x": 2}}"#);
    assert_eq!(err.field(), Some("inner.x"));

    let err = refused(r#"{"rrn": "x", "rrn": "y", "password": "z"}"#);
    assert_eq!((err.field(), err.problem()), (Some("rrn"), &Problem::Duplicate));
}

#[test]
fn a_key_that_is_not_a_name_is_not_repeated() {
    let err = refused(&format!(r#"{{"rrn": "x", "password": "y", "{RRN}": 1}}"#));
    assert_eq!(err.field(), Some("?"));
    let err = refused(r#"{"rrn": "x", "password": "y", "hunter2, expected x`, y": 1}"#);
    assert_eq!(err.field(), Some("?"));
}

#[test]
fn an_unknown_variant_lists_the_known_ones() {
    let err = refused(r#"{"rrn": "x", "password": "y", "kind": "hunter2"}"#);
    assert_eq!(err.field(), Some("kind"));
    assert_eq!(err.message_en(), "`kind` must be `issue` or `renew`");
    assert_eq!(err.message_ko(), "'kind' 항목은 `issue`, `renew` 중 하나이어야 합니다.");
}

#[test]
fn not_json_says_where() {
    let err = refused("{\"rrn\": \"9001011777777\"\n \"password\": 4821}");
    let Problem::Syntax { line, column, .. } = err.problem() else { panic!("{err:?}") };
    assert_eq!((*line, *column), (2, 2));
    assert!(
        err.message_en().starts_with("the body is not valid JSON (expected `,` or `}` at line 2"),
        "{err}"
    );

    assert_eq!(refused(r#"{"rrn": "9001011777777", "#).problem(), &Problem::Truncated);
    assert!(matches!(
        refused(r#"{"rrn": "a", "password": "b"} 4821"#).problem(),
        Problem::Syntax { .. }
    ));
    let err = refused("4821");
    assert_eq!(err.field(), None);
    assert_eq!(err.message_en(), "the body must be struct Identify");
}

#[test]
fn a_value_already_parsed_reads_the_same() {
    let value = serde_json::json!({ "rrn": 9001011777777u64, "password": "y" });
    let err = from_value::<Identify>(value).expect_err("refused");
    assert_eq!(err.message_en(), "`rrn` must be a string");
    assert!(!format!("{err:?}").contains(RRN));
}

#[test]
fn good_json_reads() {
    let ok: Identify =
        from_slice(br#"{"rrn": "x", "password": "y", "kind": "renew", "inner": {"pin": 7}}"#)
            .expect("reads");
    assert!(matches!(ok.kind, Some(Kind::Renew)));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "action", rename_all = "kebab-case")]
#[allow(dead_code)]
enum Challenge {
    Start,
    Answer { code: Option<String> },
}

#[test]
fn an_internally_tagged_enum_names_the_field_too() {
    let err = from_str::<Challenge>(r#"{"action": "answer", "code": 9001011777777}"#)
        .expect_err("refused");
    assert!(!format!("{err:?}").contains(RRN));
    // serde reads it from a buffer, where the path cannot follow: the field goes unnamed.
    assert_eq!(err.message_en(), "a field of the body must be a string");
    assert_eq!(err.message_ko(), "요청 내용의 한 항목은 문자열이어야 합니다.");
    let err = from_str::<Challenge>(r#"{"action": "hunter2"}"#).expect_err("refused");
    assert_eq!(err.message_en(), "`action` must be `start` or `answer`");
}
