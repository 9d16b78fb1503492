//! Masking (마스킹) for display: enough for the customer to recognise their own number, not
//! enough for anyone else to use it.

use dojang_npki::vid::Rrn;

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// `010-1234-5678` → `010-****-5678`; `02-123-4567` → `02-***-4567`.
pub fn mask_phone(phone: &str) -> String {
    let d = digits(phone);
    if d.len() < 8 {
        return "*".repeat(d.len());
    }
    let head = if d.starts_with("02") { 2 } else { 3 };
    let tail = &d[d.len() - 4..];
    format!("{}-{}-{tail}", &d[..head], "*".repeat(d.len() - head - 4))
}

/// `123456789012` → `123-*****-9012`.
pub fn mask_account(account: &str) -> String {
    let d = digits(account);
    if d.len() < 8 {
        return "*".repeat(d.len());
    }
    format!("{}-{}-{}", &d[..3], "*".repeat(d.len() - 7), &d[d.len() - 4..])
}

/// `hong@example.com` → `ho**@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            let hidden = local.chars().count().saturating_sub(2).max(1);
            format!("{shown}{}@{domain}", "*".repeat(hidden))
        }
        None => "*".repeat(email.chars().count()),
    }
}

/// `900101-1******`: birth date and the sex digit, as Korean sites print an RRN.
pub fn mask_rrn(rrn: &Rrn) -> String {
    let d = rrn.expose_digits();
    let mut out = String::with_capacity(14);
    out.extend(d[..6].iter().map(|&b| char::from(b)));
    out.push('-');
    out.push(char::from(d[6]));
    out.push_str("******");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_the_customer_recognises() {
        assert_eq!(mask_phone("010-1234-5678"), "010-****-5678");
        assert_eq!(mask_phone("01012345678"), "010-****-5678");
        assert_eq!(mask_phone("011-123-4567"), "011-***-4567");
        assert_eq!(mask_phone("02-123-4567"), "02-***-4567");
        assert_eq!(mask_account("123-456-789012"), "123-*****-9012");
        assert_eq!(mask_email("hong@example.com"), "ho**@example.com");
        assert_eq!(mask_email("a@b.kr"), "a*@b.kr");
        let rrn = Rrn::new("900101-1234567").expect("rrn");
        assert_eq!(mask_rrn(&rrn), "900101-1******");
    }
}
