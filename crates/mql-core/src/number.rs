//! Numbers as text: the shortest form that reads back to the same double,
//! as results, reports and bytecode listings write them.

/// A double in the shortest form that reads back to the same value, always
/// with a fraction or an exponent (`50.0`, `1e+16`, `2.5e-08`); non-finite
/// numbers are `null`.
pub fn format_number(x: f64) -> String {
    let mut out = String::new();
    push_number(&mut out, x);
    out
}

/// [`format_number`], appended to `out`. The usual numbers (0, and
/// magnitudes from 1e-4 to 1e16 with at most 16 significant digits) are
/// written straight into `out` by Rust's own shortest form (the digits the
/// general path starts from, without an exponent in this range); the
/// others take the general path.
pub fn push_number(out: &mut String, x: f64) {
    use std::fmt::Write;
    if x == 0.0 || (1e-4..1e16).contains(&x.abs()) {
        let start = out.len();
        let _ = write!(out, "{x}");
        let written = &out[start..];
        // 17 digits may be a tie that the general path settles.
        if written.bytes().filter(u8::is_ascii_digit).count() < 17 {
            if !written.contains('.') {
                out.push_str(".0");
            }
            return;
        }
        out.truncate(start);
    }
    out.push_str(&format_general(x));
}

fn format_general(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_string();
    }
    let sci = format!("{x:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let mut digits: String = mant.chars().filter(|c| *c != '.').collect();
    if digits.len() >= 17 {
        digits = tie_to_even(x, digits, exp);
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    }
    out
}

/// When the exact value lies halfway between two shortest 17-digit
/// renderings, pick the one ending in an even digit (as Python's `repr`
/// does, which wrote the conformance outputs).
fn tie_to_even(x: f64, digits: String, exp: i32) -> String {
    if digits.len() != 17 || !exactly_18_digits(x) {
        return digits;
    }
    let exact = format!("{:.767e}", x.abs());
    let (m, _) = exact.split_once('e').unwrap_or((&exact, ""));
    let all: String = m.chars().filter(|c| *c != '.').collect();
    let n = digits.len();
    if all.len() <= n {
        return digits;
    }
    let (head, tail) = all.split_at(n);
    let is_tie = tail.starts_with('5') && tail[1..].bytes().all(|b| b == b'0');
    if !is_tie {
        return digits;
    }
    let last = head.as_bytes()[n - 1];
    if last % 2 == 0 {
        // the truncation is even: use it if it reads back the same
        let candidate = format!("{}.{}e{exp}", &head[..1], &head[1..]);
        if candidate.parse::<f64>().ok() == Some(x.abs()) {
            return head.to_string();
        }
    }
    digits
}

/// Whether the exact decimal value of `x` has 18 significant digits: only
/// then can it lie exactly halfway between two 17-digit renderings. With
/// `x = m / 2^k` (`m` odd), the exact value is `m * 5^k / 10^k`, so its
/// significant digits are those of `m * 5^k`.
fn exactly_18_digits(x: f64) -> bool {
    let bits = x.abs().to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if exp_bits == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_bits - 1075)
    };
    if m == 0 {
        return false;
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    // An integer (e >= 0) below 2^53 has at most 16 digits, and above it
    // ends in an even digit, never in the `5` of a tie.
    if e >= 0 {
        return false;
    }
    let k = (-e) as u32;
    // m < 2^53 and 5^k >= 5^33 > 10^23 would give more than 18 digits.
    if k > 32 {
        return false;
    }
    let Some(p) = 5u128.checked_pow(k) else {
        return false;
    };
    let Some(n) = (m as u128).checked_mul(p) else {
        return false;
    };
    (100_000_000_000_000_000..1_000_000_000_000_000_000).contains(&n)
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn numbers_are_shortest_with_a_fraction_and_ties_go_to_even() {
        assert_eq!(format_number(50.0), "50.0");
        assert_eq!(format_number(58.32740005883471), "58.32740005883471");
        assert_eq!(format_number(1e16), "1e+16");
        assert_eq!(format_number(2.5e-8), "2.5e-08");
        assert_eq!(format_number(f64::NAN), "null");
        // Exactly halfway between two 17-digit renderings: the even one wins,
        // as in the reference's output.
        assert_eq!(format_number(1e15 + 0.25), "1000000000000000.2");
        assert_eq!(format_number(1e15 + 0.75), "1000000000000000.8");
        assert_eq!(format_number(-(1e15 + 0.25)), "-1000000000000000.2");
        // 17 digits that are not a tie keep Rust's shortest form.
        assert_eq!(format_number(0.1 + 0.2), "0.30000000000000004");
        assert!(super::exactly_18_digits(1e15 + 0.25));
        assert!(!super::exactly_18_digits(0.1 + 0.2));
        assert!(!super::exactly_18_digits(50.0));
    }

    /// The quick test must agree with the exact decimal expansion.
    #[test]
    fn the_18_digit_test_agrees_with_the_exact_expansion() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut ties = 0;
        for i in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mix random doubles with halves, quarters and eighths of big integers.
            let v = if i % 2 == 0 {
                f64::from_bits(x >> 2)
            } else {
                (x >> 12) as f64 / f64::from(1u32 << (i % 4))
            };
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let exact = format!("{:.767e}", v);
            let (m, _) = exact.split_once('e').unwrap();
            let digits = m.replace('.', "");
            let significant = digits.trim_end_matches('0').len();
            assert_eq!(super::exactly_18_digits(v), significant == 18, "{v:e}");
            ties += usize::from(significant == 18);
        }
        assert!(ties > 100, "only {ties} values with 18 digits were tried");
    }

    /// The shortcut writes what the general path writes.
    #[test]
    fn the_shortcut_agrees_with_the_general_path() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..200_000u64 {
            let r = next();
            let v = match i % 4 {
                // any double
                0 => f64::from_bits(r),
                // the magnitudes scores have
                1 => (r >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((i % 24) as i32 - 6),
                // sums of halves, quarters, tenths
                2 => (r % 1_000_000) as f64 / [2.0, 4.0, 10.0, 100.0][(i / 4 % 4) as usize],
                // decays of round points
                _ => 10.0 * 0.5f64.powf((r % 5_000_000) as f64 / 1_209_600.0),
            };
            let mut fast = String::new();
            super::push_number(&mut fast, v);
            assert_eq!(fast, super::format_general(v), "{v:e} {v:?}");
        }
    }

    #[test]
    fn numbers_are_written_like_the_reference() {
        let f = format_number;
        assert_eq!(f(-0.0), "-0.0");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(2.0396276189733965e-08), "2.0396276189733965e-08");
        assert_eq!(f(0.0001), "0.0001");
        // an exact tie between two 17-digit forms goes to the even digit
        assert_eq!(f(0.0022058486938476562), "0.0022058486938476562");
        assert_eq!(f(123456789012345.6), "123456789012345.6");
        assert_eq!(f(f64::INFINITY), "null");
    }
}
