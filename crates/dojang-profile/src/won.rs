//! Amounts in won (원) as the center writes them for people: fees, balances, deposits.

/// The amount with its digits grouped by thousands: `4400` → `4,400`, `-110000` → `-110,000`.
/// Without the unit, which the caller words (`4,400원`, `4,400 won`).
pub fn grouped(amount: impl Into<i128>) -> String {
    let amount = amount.into();
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if amount < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn digits_are_grouped_by_thousands() {
        assert_eq!(grouped(0u64), "0");
        assert_eq!(grouped(1i64), "1");
        assert_eq!(grouped(4_400u64), "4,400");
        assert_eq!(grouped(110_000u64), "110,000");
        assert_eq!(grouped(1_234_567i64), "1,234,567");
        assert_eq!(grouped(-110_000i64), "-110,000");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }
}
