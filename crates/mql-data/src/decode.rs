//! Reading one value by its declared type, from a JSON value or a text cell,
//! and the wording of what went wrong when it cannot be read.

use std::borrow::Cow;
use std::sync::Arc;

use mql_core::names::normalise_placeholder;
pub(crate) use mql_core::names::{normalise_enum, normalise_key};
use mql_core::time::{parse_duration, parse_time, TimeSyntax};
use mql_core::{EnumTy, Sym, Ty, Value};

/// How to read a value of one declared type, prepared once per schema.
#[derive(Clone, Debug)]
pub(crate) enum Plan {
    Int,
    Number,
    Bool,
    /// Text; the number picks the field's cache of repeated texts.
    Str(usize),
    Time,
    Duration,
    Enum(Arc<EnumPlan>),
    List(Box<Plan>, Arc<str>),
}

/// An enum's variants by their normalised names and labels (spec §3.1).
#[derive(Clone, Debug)]
pub(crate) struct EnumPlan {
    variants: Vec<(Box<str>, Sym)>,
    /// `basic, pro ("Professional"), enterprise`, for messages.
    pub choices: String,
}

impl EnumPlan {
    pub fn new(e: &EnumTy) -> EnumPlan {
        let norm = |t: &str| normalise_enum(t).into_owned().into_boxed_str();
        let mut variants: Vec<(Box<str>, Sym)> = e
            .variants
            .iter()
            .zip(&e.syms)
            .map(|(v, s)| (norm(v), *s))
            .collect();
        let mut choices = Vec::with_capacity(e.variants.len());
        for (i, (v, s)) in e.variants.iter().zip(&e.syms).enumerate() {
            let labels = e.labels_of(i);
            for l in labels {
                variants.push((norm(l), *s));
            }
            if labels.is_empty() {
                choices.push(v.clone());
            } else {
                let shown: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
                choices.push(format!("{v} ({})", shown.join(", ")));
            }
        }
        EnumPlan {
            variants,
            choices: choices.join(", "),
        }
    }

    /// The variant a text names, after normalising it.
    pub fn find(&self, text: &str) -> Option<Sym> {
        let n = normalise_enum(text);
        self.variants
            .iter()
            .find(|(v, _)| **v == *n)
            .map(|(_, s)| *s)
    }
}

/// A field's placeholders (spec §3.1), trimmed and lower-cased: a text that
/// equals one of them is unknown, whatever the field's type.
#[derive(Clone, Debug, Default)]
pub(crate) struct Placeholders(Option<Arc<[Box<str>]>>);

impl Placeholders {
    /// No placeholders (`id`, `stage`, `at`, … and fields without `missing`).
    pub const NONE: Placeholders = Placeholders(None);

    pub fn new(texts: &[String]) -> Placeholders {
        if texts.is_empty() {
            return Placeholders::NONE;
        }
        Placeholders(Some(
            texts
                .iter()
                .map(|t| normalise_placeholder(t).into_owned().into_boxed_str())
                .collect(),
        ))
    }

    /// Whether a text (a JSON string or a cell) is one of the placeholders.
    pub fn matches(&self, text: &str) -> bool {
        match &self.0 {
            None => false,
            Some(texts) => {
                let t = normalise_placeholder(text);
                texts.iter().any(|p| **p == *t)
            }
        }
    }
}

impl Plan {
    /// The plan for a type; each text gets the next number from `texts`.
    pub fn new(ty: &Ty, texts: &mut usize) -> Plan {
        match ty {
            Ty::Int => Plan::Int,
            Ty::Number => Plan::Number,
            Ty::Bool => Plan::Bool,
            Ty::String => {
                *texts += 1;
                Plan::Str(*texts - 1)
            }
            Ty::Time => Plan::Time,
            Ty::Duration => Plan::Duration,
            Ty::Enum(e) => Plan::Enum(Arc::new(EnumPlan::new(e))),
            Ty::List(t) => Plan::List(Box::new(Plan::new(t, texts)), ty.to_string().into()),
        }
    }

    pub(crate) fn expected(&self) -> Cow<'static, str> {
        match self {
            Plan::Int => "expected a whole number".into(),
            Plan::Number => "expected a number".into(),
            Plan::Bool => "expected a bool (true/false/yes/no/1/0)".into(),
            Plan::Str(_) => "expected a string".into(),
            Plan::Time => {
                "expected a time (RFC 3339, YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\")".into()
            }
            Plan::Duration => {
                "expected a duration like \"14d\" (a number then m, h, d or w)".into()
            }
            Plan::Enum(e) => format!("expected one of {}", e.choices).into(),
            Plan::List(_, ty) => format!("expected a JSON array for {ty}").into(),
        }
    }
}

/// Shares the text of values that repeat (countries, job titles, pages,
/// campaigns…) so that they are stored once, per field. A field whose texts
/// rarely repeat (emails) soon stops being cached.
#[derive(Clone, Debug, Default)]
pub(crate) struct Strings {
    fields: Vec<TextCache>,
    /// Room reused while reading the items of a list.
    scratch: Vec<Value>,
    empty: Option<Arc<[Value]>>,
}

#[derive(Clone, Debug, Default)]
struct TextCache {
    known: rustc_hash::FxHashSet<Arc<str>>,
    looked: u32,
    found: u32,
    off: bool,
}

impl Strings {
    const MAX_LEN: usize = 64;
    const MAX_KNOWN: usize = 4096;

    fn text(&mut self, field: usize, s: &str) -> Value {
        if s.len() > Self::MAX_LEN {
            return Value::Str(Arc::from(s));
        }
        if field >= self.fields.len() {
            self.fields.resize_with(field + 1, TextCache::default);
        }
        let c = &mut self.fields[field];
        if c.off {
            return Value::Str(Arc::from(s));
        }
        c.looked += 1;
        if let Some(a) = c.known.get(s) {
            c.found += 1;
            return Value::Str(a.clone());
        }
        let a: Arc<str> = Arc::from(s);
        if c.known.len() < Self::MAX_KNOWN {
            c.known.insert(a.clone());
        }
        if c.looked >= 1024 && c.found * 4 < c.looked {
            // Mostly different texts: caching only costs time and room.
            c.off = true;
            c.known = Default::default();
        }
        Value::Str(a)
    }

    fn list(&mut self, items: &[Value]) -> Value {
        if items.is_empty() {
            return Value::List(
                self.empty
                    .get_or_insert_with(|| Arc::from(Vec::new()))
                    .clone(),
            );
        }
        Value::List(Arc::from(items))
    }
}

/// The way a bad value is shown: the JSON text as written, or a quoted cell.
pub(crate) fn show_json(raw: &str) -> String {
    let collapsed: String = if raw.contains(['\n', '\r', '\t']) {
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        raw.to_string()
    };
    shorten(collapsed)
}

pub(crate) fn show_text(text: &str) -> String {
    shorten(format!("{text:?}"))
}

fn shorten(s: String) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        return s;
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}

/// The text of a JSON string (`raw` includes its quotes), unescaped when needed.
pub(crate) fn json_str(raw: &str) -> Option<Cow<'_, str>> {
    if raw.len() >= 2 && !raw.contains('\\') {
        return Some(Cow::Borrowed(&raw[1..raw.len() - 1]));
    }
    serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
}

/// Optional sign, digits with an optional decimal point, optional exponent.
fn is_numeric_text(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

fn number_of(t: &str) -> Option<f64> {
    if !is_numeric_text(t) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn int_of(t: &str) -> Option<i64> {
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    let n = number_of(t)?;
    // i64::MAX as f64 rounds up to 2^63, which does not fit.
    if n.fract() == 0.0 && n >= i64::MIN as f64 && n < i64::MAX as f64 {
        Some(n as i64)
    } else {
        None
    }
}

fn bool_of(t: &str) -> Option<bool> {
    const TRUE: [&str; 3] = ["true", "yes", "1"];
    const FALSE: [&str; 3] = ["false", "no", "0"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// A time in lead data. Like the language's times, but also without offset
/// (read as UTC) and with a space; a time of day needs its seconds.
pub(crate) fn time_of(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() > 10 && (b.len() < 19 || b[16] != b':') {
        return None;
    }
    parse_time(t, TimeSyntax::Data)
}

/// Why a value could not be read (without the "treated as unknown" ending).
pub(crate) type Bad = String;

fn bad(plan: &Plan, found: String) -> Bad {
    format!("{}, found {found}", plan.expected())
}

/// What to do about a number written with digit separators or a decimal
/// comma, which data may not use (cli-and-data.md: "no digit separators"):
/// `; numbers are read without digit separators: write 2500`.
fn separator_hint(plan: &Plan, text: &str) -> Option<String> {
    if !matches!(plan, Plan::Int | Plan::Number) {
        return None;
    }
    let t = text.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let sign = &t[..t.len() - body.len()];
    // Groups of three digits after the first, split by one separator kind.
    let grouped = |sep: char| -> Option<String> {
        let (int, frac) = match sep {
            '.' => (
                body.split_once(',').map_or(body, |p| p.0),
                body.split_once(',').map(|p| p.1),
            ),
            _ => (
                body.split_once('.').map_or(body, |p| p.0),
                body.split_once('.').map(|p| p.1),
            ),
        };
        let groups: Vec<&str> = int.split(sep).collect();
        let min_groups = if sep == '.' { 3 } else { 2 };
        let ok = groups.len() >= min_groups
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
            && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
        ok.then(|| {
            let mut n = format!("{sign}{}", groups.concat());
            if let Some(f) = frac {
                n.push('.');
                n.push_str(f);
            }
            n
        })
    };
    for sep in [',', ' ', '\u{a0}', '\u{202f}', '\'', '’', '_', '.'] {
        if let Some(n) = grouped(sep) {
            return Some(format!(
                "; numbers are read without digit separators: write {n}"
            ));
        }
    }
    // `1,5`: a decimal comma.
    let (int, frac) = body.split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(int) && digits(frac))
        .then(|| format!("; the decimal separator is a point: write {sign}{int}.{frac}"))
}

/// [`bad`] for a text, with advice for digit separators.
fn bad_text(plan: &Plan, text: &str, shown: String) -> Bad {
    let mut why = bad(plan, shown);
    if let Some(hint) = separator_hint(plan, text) {
        why.push_str(&hint);
    }
    why
}

/// Read a value from text: a CSV cell (`csv` true) or the text of a JSON string.
/// Empty text (after trimming, for every type but string) is unknown, and so
/// is a placeholder (before anything else: it wins over an enum's value).
pub(crate) fn decode_text(
    plan: &Plan,
    text: &str,
    csv: bool,
    ph: &Placeholders,
    st: &mut Strings,
) -> Result<Value, Bad> {
    if ph.matches(text) {
        return Ok(Value::Unknown);
    }
    if let Plan::Str(id) = plan {
        if csv && text.is_empty() {
            return Ok(Value::Unknown);
        }
        return Ok(st.text(*id, text));
    }
    let t = text.trim();
    if t.is_empty() {
        return Ok(Value::Unknown);
    }
    let value = match plan {
        Plan::Int => int_of(t).map(Value::Int),
        Plan::Number => number_of(t).map(Value::Number),
        Plan::Bool => bool_of(t).map(Value::Bool),
        Plan::Time => time_of(t).map(Value::Time),
        Plan::Duration => parse_duration(t).map(Value::Duration),
        Plan::Enum(e) => {
            return e
                .find(t)
                .map(Value::Enum)
                .ok_or_else(|| format!("{} is not one of {}", show_text(text), e.choices))
        }
        Plan::List(item, _) => {
            if !csv {
                return Err(bad(plan, show_text(text)));
            }
            let mut items = std::mem::take(&mut st.scratch);
            items.clear();
            let mut result = Ok(());
            for part in t.split(';') {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                match decode_text(item, part, true, ph, st) {
                    Ok(Value::Unknown) => {}
                    Ok(v) => items.push(v),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            let list = result.map(|()| st.list(&items));
            items.clear();
            st.scratch = items;
            return list;
        }
        Plan::Str(_) => None,
    };
    value.ok_or_else(|| bad_text(plan, text, show_text(text)))
}

/// Read a value from JSON text (`raw` is one complete, valid JSON value).
/// Only strings are compared with the placeholders.
pub(crate) fn decode_json(
    plan: &Plan,
    raw: &str,
    ph: &Placeholders,
    st: &mut Strings,
) -> Result<Value, Bad> {
    let first = raw.as_bytes().first().copied().unwrap_or(b'n');
    match first {
        b'n' => Ok(Value::Unknown),
        b'"' => match json_str(raw) {
            Some(s) => decode_text(plan, &s, false, ph, st).map_err(|e| {
                // A string that is not an enum variant is told as such; other
                // messages show the value as written in the file.
                if matches!(plan, Plan::Enum(_)) {
                    e
                } else {
                    bad_text(plan, &s, show_json(raw))
                }
            }),
            None => Err(bad(plan, show_json(raw))),
        },
        b't' | b'f' => {
            let b = first == b't';
            match plan {
                Plan::Bool => Ok(Value::Bool(b)),
                Plan::Str(id) => Ok(st.text(*id, raw)),
                _ => Err(bad(plan, show_json(raw))),
            }
        }
        b'[' => match plan {
            Plan::List(item, _) => {
                let mut items = std::mem::take(&mut st.scratch);
                items.clear();
                let mut seed = ListSeed {
                    item,
                    ph,
                    st,
                    items: &mut items,
                    bad: None,
                };
                let mut de = serde_json::Deserializer::from_str(raw);
                let read = serde::de::DeserializeSeed::deserialize(&mut seed, &mut de);
                let result = match (read, seed.bad.take()) {
                    (_, Some(why)) => Err(why),
                    (Err(_), None) => Err(bad(plan, show_json(raw))),
                    (Ok(()), None) => Ok(st.list(&items)),
                };
                items.clear();
                st.scratch = items;
                result
            }
            _ => Err(bad(plan, show_json(raw))),
        },
        b'{' => Err(bad(plan, show_json(raw))),
        _ => {
            let v = match plan {
                Plan::Int => int_of(raw).map(Value::Int),
                Plan::Number => number_of(raw).map(Value::Number),
                Plan::Bool => match raw {
                    "1" => Some(Value::Bool(true)),
                    "0" => Some(Value::Bool(false)),
                    _ => None,
                },
                Plan::Str(id) => Some(st.text(*id, raw)),
                _ => None,
            };
            v.ok_or_else(|| bad(plan, show_json(raw)))
        }
    }
}

/// Reads the items of a JSON array one by one, without keeping them as JSON.
struct ListSeed<'p, 's> {
    item: &'p Plan,
    ph: &'p Placeholders,
    st: &'s mut Strings,
    items: &'s mut Vec<Value>,
    /// The first item that could not be read.
    bad: Option<Bad>,
}

impl<'de> serde::de::DeserializeSeed<'de> for &mut ListSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut ListSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de serde_json::value::RawValue>()? {
            if self.bad.is_some() {
                continue;
            }
            match decode_json(self.item, raw.get(), self.ph, self.st) {
                Ok(Value::Unknown) => {}
                Ok(v) => self.items.push(v),
                Err(why) => self.bad = Some(why),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mql_core::Symbols;

    fn decode_json(plan: &Plan, raw: &str) -> Result<Value, Bad> {
        super::decode_json(plan, raw, &Placeholders::NONE, &mut Strings::default())
    }

    fn decode_text(plan: &Plan, text: &str, csv: bool) -> Result<Value, Bad> {
        super::decode_text(
            plan,
            text,
            csv,
            &Placeholders::NONE,
            &mut Strings::default(),
        )
    }

    #[test]
    fn repeated_texts_are_shared() {
        let mut st = Strings::default();
        let none = Placeholders::NONE;
        let a = super::decode_json(&Plan::Str(0), "\"US\"", &none, &mut st).unwrap();
        let b = super::decode_text(&Plan::Str(0), "US", true, &none, &mut st).unwrap();
        match (a, b) {
            (Value::Str(a), Value::Str(b)) => assert!(Arc::ptr_eq(&a, &b)),
            other => panic!("{other:?}"),
        }
    }

    fn enum_plan(variants: &[&str]) -> (Plan, Symbols) {
        let mut syms = Symbols::default();
        let e = EnumTy::new(
            variants.iter().map(|v| v.to_string()).collect(),
            variants.iter().map(|v| syms.intern(v)).collect(),
        );
        (Plan::new(&Ty::Enum(Arc::new(e)), &mut 0), syms)
    }

    #[test]
    fn ints() {
        assert_eq!(decode_json(&Plan::Int, "3"), Ok(Value::Int(3)));
        assert_eq!(decode_json(&Plan::Int, "3.0"), Ok(Value::Int(3)));
        assert_eq!(decode_json(&Plan::Int, "199e0"), Ok(Value::Int(199)));
        assert_eq!(decode_json(&Plan::Int, "\"5001.0\""), Ok(Value::Int(5001)));
        assert_eq!(
            decode_json(&Plan::Int, "4611686018427387904"),
            Ok(Value::Int(4_611_686_018_427_387_904))
        );
        assert_eq!(
            decode_json(&Plan::Int, "3.5"),
            Err("expected a whole number, found 3.5".into())
        );
        assert_eq!(
            decode_json(&Plan::Int, "\"1,000\""),
            Err("expected a whole number, found \"1,000\"; numbers are read without digit separators: write 1000".into())
        );
        assert_eq!(
            decode_json(&Plan::Int, "true"),
            Err("expected a whole number, found true".into())
        );
        assert!(decode_json(&Plan::Int, "1e30").is_err());
        assert_eq!(decode_text(&Plan::Int, " 42 ", true), Ok(Value::Int(42)));
        assert_eq!(decode_text(&Plan::Int, "  ", true), Ok(Value::Unknown));
        assert!(decode_text(&Plan::Int, "12x", true).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(decode_json(&Plan::Number, "1.5"), Ok(Value::Number(1.5)));
        assert_eq!(
            decode_text(&Plan::Number, "1.493e+04", true),
            Ok(Value::Number(14930.0))
        );
        assert_eq!(
            decode_text(&Plan::Number, "-.5", true),
            Ok(Value::Number(-0.5))
        );
        assert_eq!(
            decode_text(&Plan::Number, "+7", true),
            Ok(Value::Number(7.0))
        );
        for bad in ["inf", "NaN", "12x", "e5", "1e", ".", "infinity", "1,5,5"] {
            assert_eq!(
                decode_text(&Plan::Number, bad, true),
                Err(format!("expected a number, found {bad:?}")),
                "{bad}"
            );
        }
        assert_eq!(
            decode_json(&Plan::Number, "true"),
            Err("expected a number, found true".into())
        );
    }

    #[test]
    fn digit_separators_are_errors_that_say_what_to_write() {
        let why = |plan: &Plan, t: &str| decode_text(plan, t, true).unwrap_err();
        let hint = |plan: &Plan, t: &str| why(plan, t).split_once("; ").map(|p| p.1.to_string());
        let sep = |n: &str| {
            Some(format!(
                "numbers are read without digit separators: write {n}"
            ))
        };
        assert_eq!(hint(&Plan::Int, "2,500"), sep("2500"));
        assert_eq!(hint(&Plan::Int, "-1,234,567"), sep("-1234567"));
        assert_eq!(hint(&Plan::Number, "1,234.50"), sep("1234.50"));
        assert_eq!(hint(&Plan::Number, "1.234.567,8"), sep("1234567.8"));
        assert_eq!(hint(&Plan::Int, "2 500"), sep("2500"));
        assert_eq!(hint(&Plan::Int, "1'000"), sep("1000"));
        assert_eq!(hint(&Plan::Int, "1_000"), sep("1000"));
        assert_eq!(
            hint(&Plan::Number, "1,5"),
            Some("the decimal separator is a point: write 1.5".into())
        );
        assert_eq!(
            hint(&Plan::Int, "12,5000"),
            Some("the decimal separator is a point: write 12.5000".into())
        );
        assert_eq!(hint(&Plan::Int, "12x"), None);
        assert_eq!(hint(&Plan::Int, "1,2,3"), None);
        // A value is never guessed: "2.500" is 2.5, which is no whole number.
        assert_eq!(
            why(&Plan::Int, "2.500"),
            "expected a whole number, found \"2.500\""
        );
        assert_eq!(
            decode_json(&Plan::Int, "\"2,500\""),
            Err("expected a whole number, found \"2,500\"; numbers are read without digit separators: write 2500".into())
        );
    }

    #[test]
    fn bools() {
        for (t, b) in [
            ("TRUE", true),
            ("yes", true),
            ("1", true),
            ("No", false),
            ("0", false),
        ] {
            assert_eq!(decode_text(&Plan::Bool, t, true), Ok(Value::Bool(b)));
        }
        assert_eq!(decode_json(&Plan::Bool, "1"), Ok(Value::Bool(true)));
        assert_eq!(decode_json(&Plan::Bool, "false"), Ok(Value::Bool(false)));
        assert_eq!(
            decode_json(&Plan::Bool, "2"),
            Err("expected a bool (true/false/yes/no/1/0), found 2".into())
        );
        assert_eq!(
            decode_json(&Plan::Bool, "\"y\""),
            Err("expected a bool (true/false/yes/no/1/0), found \"y\"".into())
        );
    }

    #[test]
    fn strings() {
        assert_eq!(
            decode_json(&Plan::Str(0), "3.5"),
            Ok(Value::Str(Arc::from("3.5")))
        );
        assert_eq!(
            decode_json(&Plan::Str(0), "true"),
            Ok(Value::Str(Arc::from("true")))
        );
        assert_eq!(
            decode_json(&Plan::Str(0), "\" a\\\"b \""),
            Ok(Value::Str(Arc::from(" a\"b ")))
        );
        assert_eq!(
            decode_json(&Plan::Str(0), "[1, 2]"),
            Err("expected a string, found [1, 2]".into())
        );
        assert_eq!(
            decode_text(&Plan::Str(0), " Director ", true),
            Ok(Value::Str(Arc::from(" Director ")))
        );
        assert_eq!(decode_text(&Plan::Str(0), "", true), Ok(Value::Unknown));
    }

    #[test]
    fn times_and_durations() {
        let t = |s: &str| decode_text(&Plan::Time, s, true);
        assert!(t("2026-04-07 12:00:00").is_ok());
        assert!(t("2025-11-11T11:15:28.114Z").is_ok());
        assert!(t("2026-01-13T14:00:00+02:00").is_ok());
        assert!(t("2025-06-03T15:12:55").is_ok());
        assert!(t("2026-05-01").is_ok());
        for bad in ["2026-06-01 10:00", "2026-13-01", "yesterday", "12345"] {
            assert_eq!(
                t(bad),
                Err(format!(
                    "expected a time (RFC 3339, YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\"), found {bad:?}"
                ))
            );
        }
        assert_eq!(
            decode_json(&Plan::Time, "12345"),
            Err(
                "expected a time (RFC 3339, YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\"), found 12345"
                    .into()
            )
        );
        assert_eq!(
            decode_json(&Plan::Duration, "\"14d\""),
            Ok(Value::Duration(14 * 86_400_000))
        );
        assert!(decode_json(&Plan::Duration, "14").is_err());
    }

    #[test]
    fn enums() {
        let (p, syms) = enum_plan(&["real_estate", "vp", "saas"]);
        let sym = |v: &str| Value::Enum(syms.get(v).unwrap());
        assert_eq!(decode_json(&p, "\"REAL ESTATE\""), Ok(sym("real_estate")));
        assert_eq!(decode_text(&p, "real-estate", true), Ok(sym("real_estate")));
        assert_eq!(decode_text(&p, " VP ", true), Ok(sym("vp")));
        assert_eq!(
            decode_json(&p, "\"Vice President\""),
            Err("\"Vice President\" is not one of real_estate, vp, saas".into())
        );
        assert_eq!(
            decode_json(&p, "3"),
            Err("expected one of real_estate, vp, saas, found 3".into())
        );
        assert_eq!(
            decode_text(&p, "3", true),
            Err("\"3\" is not one of real_estate, vp, saas".into())
        );
    }

    #[test]
    fn enums_read_labels_and_placeholders_win() {
        let mut syms = Symbols::default();
        let mut e = EnumTy::new(
            vec!["vp".into(), "other".into()],
            vec![syms.intern("vp"), syms.intern("other")],
        );
        e.labels = vec![vec!["Vice President".into()], vec!["Other".into()]];
        let p = Plan::new(&Ty::Enum(Arc::new(e)), &mut 0);
        let vp = Value::Enum(syms.get("vp").unwrap());
        assert_eq!(decode_json(&p, "\"vice-president\""), Ok(vp.clone()));
        assert_eq!(decode_text(&p, " VICE PRESIDENT ", true), Ok(vp));
        assert_eq!(
            decode_text(&p, "Vice", true),
            Err("\"Vice\" is not one of vp (\"Vice President\"), other (\"Other\")".into())
        );
        let ph = Placeholders::new(&["other".into(), "N/A".into()]);
        let mut st = Strings::default();
        assert_eq!(
            super::decode_text(&p, " OTHER ", true, &ph, &mut st),
            Ok(Value::Unknown)
        );
        assert_eq!(
            super::decode_json(&p, "\"n/a\"", &ph, &mut st),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn placeholders_are_text_only() {
        let ph = Placeholders::new(&["0".into(), "-".into()]);
        let mut st = Strings::default();
        let ints = Plan::new(&Ty::List(Box::new(Ty::Int)), &mut 0);
        // A number is not compared; its text is.
        assert_eq!(
            super::decode_json(&Plan::Int, "0", &ph, &mut st),
            Ok(Value::Int(0))
        );
        assert_eq!(
            super::decode_json(&Plan::Int, "\" 0 \"", &ph, &mut st),
            Ok(Value::Unknown)
        );
        assert_eq!(
            super::decode_text(&Plan::Int, "0", true, &ph, &mut st),
            Ok(Value::Unknown)
        );
        // A whole cell makes the list unknown; items are dropped one by one.
        assert_eq!(
            super::decode_text(&ints, " - ", true, &ph, &mut st),
            Ok(Value::Unknown)
        );
        assert_eq!(
            super::decode_text(&ints, "1;-;0;2", true, &ph, &mut st),
            Ok(Value::List(vec![Value::Int(1), Value::Int(2)].into()))
        );
        assert_eq!(
            super::decode_json(&ints, "[1, \"-\", 0, \"0\"]", &ph, &mut st),
            Ok(Value::List(vec![Value::Int(1), Value::Int(0)].into()))
        );
        // Strings too, though they are not trimmed otherwise.
        assert_eq!(
            super::decode_text(&Plan::Str(0), " - ", true, &ph, &mut st),
            Ok(Value::Unknown)
        );
        assert!(!Placeholders::NONE.matches(""));
    }

    #[test]
    fn lists() {
        let ints = Plan::new(&Ty::List(Box::new(Ty::Int)), &mut 0);
        assert_eq!(
            decode_text(&ints, " 5; 1;;", true),
            Ok(Value::List(vec![Value::Int(5), Value::Int(1)].into()))
        );
        assert_eq!(
            decode_json(&ints, "[\"5\", 10, null]"),
            Ok(Value::List(vec![Value::Int(5), Value::Int(10)].into()))
        );
        assert_eq!(
            decode_json(&ints, "5"),
            Err("expected a JSON array for list<int>, found 5".into())
        );
        assert_eq!(
            decode_json(&ints, "\"not-a-list\""),
            Err("expected a JSON array for list<int>, found \"not-a-list\"".into())
        );
        assert_eq!(
            decode_text(&ints, "not-a-list", true),
            Err("expected a whole number, found \"not-a-list\"".into())
        );
        assert_eq!(
            decode_json(&ints, "[1, 2.5]"),
            Err("expected a whole number, found 2.5".into())
        );
        let (e, _) = enum_plan(&["ai", "cloud"]);
        let list = Plan::List(Box::new(e), "list<enum { ai, cloud }>".into());
        assert_eq!(
            decode_text(&list, "5", true),
            Err("\"5\" is not one of ai, cloud".into())
        );
        assert!(decode_text(&list, "AI;CLOUD", true).is_ok());
    }

    #[test]
    fn key_normalisation() {
        assert_eq!(normalise_key(" Job / Title "), "job_title");
        assert_eq!(normalise_key(" Lead / Id "), "lead_id");
        assert_eq!(normalise_key("ANNUAL-REVENUE"), "annual_revenue");
        assert_eq!(
            normalise_key("Total Time Spent on Website"),
            "total_time_spent_on_website"
        );
        assert_eq!(normalise_key("scores_seen"), "scores_seen");
        assert_eq!(normalise_key("Budget?"), "budget_");
        assert_eq!(normalise_enum(" Real Estate "), "real_estate");
        assert_eq!(normalise_enum("Vice President"), "vice_president");
    }
}
