//! Where in the JSON a problem is: `hash[0]`, `credential.id`. Map keys are the sender's words,
//! so only those that look like field names are kept.

use serde_path_to_error::{Path, Segment};

/// The path, or `None` for the whole body.
pub(crate) fn render(path: &Path) -> Option<String> {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => push_name(&mut out, key),
            Segment::Enum { variant } => push_name(&mut out, variant),
            Segment::Unknown => push_name(&mut out, "?"),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `at` with a field `name` under it: a missing field's name, which serde gives in its message
/// rather than in the path.
pub(crate) fn join(at: Option<String>, name: Option<String>) -> Option<String> {
    match name {
        None => at,
        Some(name) => {
            let mut out = at.unwrap_or_default();
            push_name(&mut out, &name);
            Some(out)
        }
    }
}

fn push_name(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(if looks_like_a_name(name) { name } else { "?" });
}

/// A field name as our types spell them: a letter first, then letters, digits, `_` or `-`. An
/// RRN or a password sent as a key is not one.
fn looks_like_a_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
