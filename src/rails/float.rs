//! Ruby's `Float#to_s`, which Rails' JSON, Ruby's `inspect` and RMT's string
//! columns all print floats with.

/// Ruby's `Float#to_s` for a finite float: the shortest round-tripping digits, in
/// fixed notation while the decimal exponent is in -4 < e <= 16, else scientific
/// with at least one fractional digit and a signed two-digit exponent.
pub fn ruby_float_to_s(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // `{:e}` gives Rust's shortest round-trip digits, the same digits Ruby picks.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let decpt: i32 = exponent.parse::<i32>().unwrap_or(0) + 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    let n = digits.len() as i32;
    if decpt > 0 && decpt <= 15 {
        if decpt >= n {
            out.push_str(&digits);
            out.push_str(&"0".repeat((decpt - n) as usize));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else if decpt <= 0 && decpt > -4 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-decpt) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if n > 1 { &digits[1..] } else { "0" });
        let e = decpt - 1;
        out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_floats_as_ruby_does() {
        let cases = [
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-05"),
            (1e14, "100000000000000.0"),
            (1e15, "1.0e+15"),
            (1.234567890123456e15, "1.234567890123456e+15"),
            (1e16, "1.0e+16"),
            (1.5e300, "1.5e+300"),
            (123456.789, "123456.789"),
            (-0.0, "-0.0"),
            (5e-324, "5.0e-324"),
        ];
        for (f, expected) in cases {
            assert_eq!(ruby_float_to_s(f), expected, "{f}");
        }
    }
}
