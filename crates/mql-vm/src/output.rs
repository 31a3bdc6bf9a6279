//! Writing results: the spec's JSON object (one line of NDJSON), CSV rows and
//! aligned table rows.

use mql_core::LeadId;
use mql_sema::hir::Model;

use crate::vm::LeadResult;

/// A double in the shortest form that reads back to the same value, always
/// with a fraction or an exponent (`50.0`, `1e+16`, `2.5e-08`); non-finite
/// numbers are `null`.
pub fn format_number(x: f64) -> String {
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

fn string(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"\""),
    }
}

fn id_json(out: &mut String, id: &LeadId) {
    match id {
        LeadId::Str(s) => string(out, s),
        LeadId::Int(i) => out.push_str(&i.to_string()),
    }
}

fn step_json(out: &mut String, model: &Model, from: mql_core::Sym, to: mql_core::Sym, tr: u32) {
    let sy = &model.schema.symbols;
    out.push_str("{\"from\": ");
    string(out, sy.name(from));
    out.push_str(", \"to\": ");
    string(out, sy.name(to));
    out.push_str(", \"line\": ");
    if let Some(t) = model.transitions.get(tr as usize) {
        out.push_str(&t.origin.line.to_string());
        if t.origin.file != 0 {
            out.push_str(", \"file\": ");
            string(out, model.file(&t.origin));
        }
    } else {
        out.push('0');
    }
    out.push('}');
}

/// The result object of spec "Output", as one line of text (no newline).
pub fn json_line(r: &LeadResult, model: &Model) -> String {
    let mut out = String::with_capacity(256);
    push_json_line(&mut out, r, model);
    out
}

/// [`json_line`], appended to `out`.
pub fn push_json_line(out: &mut String, r: &LeadResult, model: &Model) {
    let sy = &model.schema.symbols;
    out.push_str("{\"id\": ");
    id_json(out, &r.id);
    if let Some(e) = &r.error {
        out.push_str(", \"error\": ");
        string(out, &e.0);
        out.push('}');
        return;
    }
    let opt_sym = |out: &mut String, s: Option<mql_core::Sym>| match s {
        Some(s) => string(out, sy.name(s)),
        None => out.push_str("null"),
    };
    out.push_str(", \"stage\": ");
    opt_sym(out, r.stage);
    out.push_str(", \"from_stage\": ");
    opt_sym(out, r.from_stage);
    out.push_str(", \"path\": [");
    for (i, p) in r.path.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        step_json(out, model, p.from, p.to, p.transition);
    }
    out.push(']');
    if let Some(c) = &r.cycle {
        out.push_str(", \"cycle\": ");
        step_json(out, model, c.from, c.to, c.transition);
    }
    out.push_str(", \"scores\": {");
    for (i, (s, v)) in model.scores.iter().zip(&r.scores).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, &s.name);
        out.push_str(": ");
        out.push_str(&format_number(*v));
    }
    out.push_str("}, \"tiers\": {");
    for (i, (t, v)) in model.tiers.iter().zip(&r.tiers).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, &t.name);
        out.push_str(": ");
        opt_sym(out, *v);
    }
    out.push_str("}, \"segments\": [");
    for (i, s) in r.segments.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, model.values.get(*s as usize).map_or("", |v| &v.name));
    }
    out.push(']');
    if r.explained {
        out.push_str(", \"criteria\": {");
        for (i, (c, v)) in r.criteria.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            string(out, model.values.get(*c as usize).map_or("", |v| &v.name));
            out.push_str(": ");
            out.push_str(match v {
                Some(true) => "true",
                Some(false) => "false",
                None => "null",
            });
        }
        out.push_str("}, \"contributions\": {");
        for (i, (s, rules)) in model.scores.iter().zip(&r.contributions).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            string(out, &s.name);
            out.push_str(": [");
            for (j, (rule, p)) in s.rules.iter().zip(rules).enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                out.push_str("{\"line\": ");
                out.push_str(&rule.line.to_string());
                out.push_str(", \"text\": ");
                string(out, &rule.text);
                out.push_str(", \"points\": ");
                out.push_str(&format_number(*p));
                out.push('}');
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push('}');
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV header: `id,stage,<score…>,<tier…>,segments,error`.
pub fn csv_header(model: &Model) -> String {
    let mut cols = vec!["id".to_string(), "stage".to_string()];
    cols.extend(model.scores.iter().map(|s| csv_field(&s.name)));
    cols.extend(model.tiers.iter().map(|t| csv_field(&t.name)));
    cols.push("segments".into());
    cols.push("error".into());
    cols.join(",")
}

/// One CSV row matching [`csv_header`]; scores at full precision, segments
/// joined by `;`, unknown values empty.
pub fn csv_row(r: &LeadResult, model: &Model) -> String {
    let sy = &model.schema.symbols;
    let mut cols = vec![csv_field(&r.id.to_string())];
    if let Some(e) = &r.error {
        cols.push(String::new());
        cols.extend(model.scores.iter().map(|_| String::new()));
        cols.extend(model.tiers.iter().map(|_| String::new()));
        cols.push(String::new());
        cols.push(csv_field(&e.0));
        return cols.join(",");
    }
    cols.push(r.stage.map_or(String::new(), |s| csv_field(sy.name(s))));
    cols.extend(r.scores.iter().map(|v| {
        if v.is_finite() {
            format_number(*v)
        } else {
            String::new()
        }
    }));
    cols.extend(
        r.tiers
            .iter()
            .map(|t| t.map_or(String::new(), |s| csv_field(sy.name(s)))),
    );
    let segs: Vec<&str> = r
        .segments
        .iter()
        .filter_map(|i| model.values.get(*i as usize).map(|v| v.name.as_str()))
        .collect();
    cols.push(csv_field(&segs.join(";")));
    cols.push(String::new());
    cols.join(",")
}

/// Column cells of a table row (not yet aligned): id, stage, scores rounded
/// to two decimals, tiers, segments joined by `, `; an error fills the stage
/// column with `error: …`.
pub fn table_row(r: &LeadResult, model: &Model) -> Vec<String> {
    let sy = &model.schema.symbols;
    let mut cols = vec![r.id.to_string()];
    if let Some(e) = &r.error {
        cols.push(format!("error: {}", e.0));
        cols.extend(model.scores.iter().map(|_| String::new()));
        cols.extend(model.tiers.iter().map(|_| String::new()));
        cols.push(String::new());
        return cols;
    }
    cols.push(r.stage.map_or("-".to_string(), |s| sy.name(s).to_string()));
    cols.extend(r.scores.iter().map(|v| format!("{v:.2}")));
    cols.extend(
        r.tiers
            .iter()
            .map(|t| t.map_or("-".to_string(), |s| sy.name(s).to_string())),
    );
    let segs: Vec<&str> = r
        .segments
        .iter()
        .filter_map(|i| model.values.get(*i as usize).map(|v| v.name.as_str()))
        .collect();
    cols.push(segs.join(", "));
    cols
}

/// Header cells of the table, matching [`table_row`].
pub fn table_header(model: &Model) -> Vec<String> {
    let mut cols = vec!["id".to_string(), "stage".to_string()];
    cols.extend(model.scores.iter().map(|s| s.name.clone()));
    cols.extend(model.tiers.iter().map(|t| t.name.clone()));
    cols.push("segments".into());
    cols
}

/// Align rows of cells into columns (numbers right-aligned), one line each.
pub fn render_table(header: &[String], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate().take(n) {
            if i > 0 {
                l.push_str("  ");
            }
            let pad = widths[i].saturating_sub(c.chars().count());
            let numeric = !c.is_empty() && c.parse::<f64>().is_ok() && i > 0;
            if numeric {
                l.extend(std::iter::repeat_n(' ', pad));
                l.push_str(c);
            } else {
                l.push_str(c);
                if i + 1 < n {
                    l.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for r in rows {
        line(r);
    }
    out
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
}
