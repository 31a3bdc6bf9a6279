//! Everything that differs between SQL engines, in one place per engine: the
//! [`Dialect`] trait and one implementation per file. The query builder asks
//! the dialect for every construct that is not written the same way
//! everywhere (quoting, literals, integer overflow tests, text and regex
//! functions, arrays, time conversion), and never tests which engine it is.

mod bigquery;
mod duckdb;
mod postgres;
mod snowflake;
mod spark;

use crate::frag::{bin, call, cmp, tpl, Frag, P_ADD, P_CMP};
use crate::regex::Flavor;

pub use bigquery::BigQuery;
pub use duckdb::DuckDb;
pub use postgres::Postgres;
pub use snowflake::Snowflake;
pub use spark::Spark;

/// The characters Unicode calls white space, which `trim` removes.
pub const WHITE_SPACE: &[char] = &[
    '\u{9}', '\u{a}', '\u{b}', '\u{c}', '\u{d}', ' ', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}',
    '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}',
    '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
];

pub const I64_MAX: &str = "9223372036854775807";
pub const I64_MIN: &str = "-9223372036854775808";

/// The SQL types the query uses.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlTy {
    Int,
    Double,
    Text,
    Bool,
    /// An exact integer wide enough for the sum or product of two 64-bit integers.
    Wide,
    Array(Box<SqlTy>),
}

/// One engine's names for the types of [`SqlTy`].
pub struct TypeNames {
    pub int: &'static str,
    pub double: &'static str,
    pub text: &'static str,
    pub bool: &'static str,
    pub wide: &'static str,
    /// An array type, `{}` standing for the element's type (engines whose
    /// arrays are untyped leave it out).
    pub array: &'static str,
}

/// How an aggregate's rows are chosen: `FILTER (WHERE …)` or a `CASE` inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterStyle {
    Filter,
    Case,
}

pub trait Dialect {
    /// The `--dialect` name: `duckdb`.
    fn id(&self) -> &'static str;
    /// The engine's name for people: `DuckDB`.
    fn title(&self) -> &'static str;

    // ---- names and literals

    /// A quoted identifier.
    fn quote(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
    /// Whether two names that differ only in case name the same column.
    fn case_blind_names(&self) -> bool;
    /// The longest column name the engine keeps (in bytes), if it cuts them.
    fn max_name_len(&self) -> Option<usize> {
        None
    }
    /// A text literal; `None` when the engine cannot hold this text.
    fn text(&self, s: &str) -> Option<String>;
    fn int(&self, i: i64) -> Frag {
        if i == i64::MIN {
            Frag::atom(format!("CAST({I64_MIN} AS {})", self.ty(&SqlTy::Int)))
        } else if i < 0 {
            Frag::with_prec(i.to_string(), crate::frag::P_NEG)
        } else {
            Frag::simple(i.to_string())
        }
    }
    /// A double literal that reads back exactly: the engine writes the
    /// magnitude ([`Dialect::double_magnitude`]) and a minus sign goes in
    /// front; infinities and NaN are cast from text.
    fn double(&self, x: f64) -> Frag {
        if !x.is_finite() {
            let inf = self.infinity_text();
            let t = if x.is_nan() {
                "NaN".to_string()
            } else if x > 0.0 {
                inf.to_string()
            } else {
                format!("-{inf}")
            };
            return Frag::atom(format!("CAST('{t}' AS {})", self.ty(&SqlTy::Double)));
        }
        let t = double_text(x);
        let body = self.double_magnitude(t.trim_start_matches('-'));
        if x.is_sign_negative() {
            Frag::with_prec(format!("-{body}"), crate::frag::P_NEG)
        } else {
            Frag::with_prec(body, crate::frag::P_ATOM)
        }
    }
    /// A literal of the non-negative double whose shortest exact text is
    /// `text` (`0.1`, `1e300`).
    fn double_magnitude(&self, text: &str) -> String;
    /// How the engine spells infinity in text cast to a double.
    fn infinity_text(&self) -> &'static str {
        "Infinity"
    }
    /// The engine's names for the SQL types the query uses.
    fn type_names(&self) -> &'static TypeNames;
    fn ty(&self, t: &SqlTy) -> String {
        let n = self.type_names();
        match t {
            SqlTy::Int => n.int.into(),
            SqlTy::Double => n.double.into(),
            SqlTy::Text => n.text.into(),
            SqlTy::Bool => n.bool.into(),
            SqlTy::Wide => n.wide.into(),
            SqlTy::Array(e) => n.array.replace("{}", &self.ty(e)),
        }
    }
    fn cast(&self, x: &Frag, t: &SqlTy) -> Frag {
        Frag::atom(format!("CAST({} AS {})", x.s(), self.ty(t))).layered(x.layer)
    }
    /// A typed NULL.
    fn null(&self, t: &SqlTy) -> Frag {
        Frag::atom(format!("CAST(NULL AS {})", self.ty(t)))
    }

    // ---- time

    /// A timestamp column as whole milliseconds since the epoch (UTC).
    fn epoch_ms(&self, ts: &Frag) -> Frag;
    /// The current instant, in milliseconds, read once per query.
    fn now_ms(&self) -> Frag;

    // ---- integers

    /// `a op b` (`+`, `-`, `*`) on 64-bit integers, NULL when the exact
    /// result does not fit in 64 bits; never an engine error.
    fn int_checked(&self, op: char, a: &Frag, b: &Frag) -> Frag;
    /// The exact `a op b` in a wide type, to test for overflow.
    fn wide(&self, op: char, a: &Frag, b: &Frag) -> Frag {
        let w = self.cast(a, &SqlTy::Wide);
        bin(
            &w,
            &op.to_string(),
            b,
            if op == '*' { crate::frag::P_MUL } else { P_ADD },
        )
    }
    /// `a / b` for integers whose quotient is exact and non-negative operands.
    fn int_div(&self, a: &Frag, b: &Frag) -> Frag;
    /// `a mod b`, the remainder with the sign of `a` (SQL's `%`).
    fn int_rem(&self, a: &Frag, b: &Frag) -> Frag {
        bin(a, "%", b, crate::frag::P_MUL)
    }
    /// A double rounded half away from zero (still a double).
    fn round_half_away(&self, x: &Frag) -> Frag {
        call("ROUND", &[x])
    }
    fn power(&self, base: &Frag, exp: &Frag) -> Frag {
        call("POWER", &[base, exp])
    }

    // ---- text

    /// `s` for an ordering comparison by bytes.
    fn byte_order(&self, s: &Frag) -> Frag {
        s.clone()
    }
    fn contains(&self, s: &Frag, t: &Frag) -> Frag;
    fn starts_with(&self, s: &Frag, t: &Frag) -> Frag;
    fn ends_with(&self, s: &Frag, t: &Frag) -> Frag;
    /// The number of Unicode scalar values, as a 64-bit integer.
    fn char_length(&self, s: &Frag) -> Frag;
    /// The text after the last `sep` (all of it when there is none).
    fn after_last(&self, s: &Frag, sep: &str) -> Frag;
    /// The characters of [`WHITE_SPACE`] as one text value.
    fn white_space(&self) -> String {
        let chars: String = WHITE_SPACE.iter().collect();
        self.text(&chars).unwrap_or_else(|| "' '".into())
    }
    /// `s` without Unicode white space at either end.
    fn trim_white_space(&self, s: &Frag) -> Frag {
        Frag::atom(format!("TRIM({}, {})", s.s(), self.white_space())).layered(s.layer)
    }
    fn lower(&self, s: &Frag) -> Frag {
        call("LOWER", &[s])
    }
    fn upper(&self, s: &Frag) -> Frag {
        call("UPPER", &[s])
    }
    fn replace(&self, s: &Frag, from: &str, to: &str) -> Frag {
        let f = Frag::simple(self.text(from).unwrap_or_default());
        let t = Frag::simple(self.text(to).unwrap_or_default());
        call("REPLACE", &[s, &f, &t])
    }
    /// Text concatenation.
    fn concat(&self, parts: &[Frag]) -> Frag {
        let text: Vec<String> = parts.iter().map(|p| p.at(P_ADD)).collect();
        let refs: Vec<&Frag> = parts.iter().collect();
        Frag::with_prec(text.join(" || "), crate::frag::P_CAT).layered(crate::frag::layer_of(&refs))
    }
    /// A value as text (ids).
    fn to_text(&self, x: &Frag) -> Frag {
        self.cast(x, &SqlTy::Text)
    }

    // ---- regular expressions

    fn regex_flavor(&self) -> Flavor;
    /// Whether `s` has a match of `pattern` (already in the engine's syntax).
    fn regex_find(&self, s: &Frag, pattern: &str, case_insensitive: bool) -> Frag;

    // ---- arrays

    fn array_lit(&self, items: &[Frag], elem: &SqlTy) -> Frag;
    /// Whether the array holds `x` (NULL when either is NULL).
    fn array_contains(&self, arr: &Frag, x: &Frag) -> Frag;
    fn array_len(&self, arr: &Frag) -> Frag;
    fn array_eq(&self, a: &Frag, b: &Frag) -> Frag {
        cmp(a, "=", b)
    }
    /// The array with each item `x` (named `var`) turned into `item`, and the
    /// NULL results dropped, in order.
    fn array_map_keep(&self, arr: &Frag, var: &str, item: &Frag) -> Frag;
    /// Whether some item `x` (named `var`) of the array makes `test` true.
    fn array_any(&self, arr: &Frag, var: &str, test: &Frag) -> Frag;
    /// The column name of the item variable inside [`Dialect::array_map_keep`].
    fn item_ref(&self, var: &str) -> Frag {
        Frag::simple(var)
    }

    // ---- aggregates and query shape

    fn filter_style(&self) -> FilterStyle {
        FilterStyle::Case
    }
    /// `f(arg)` over the rows where `cond` is true (`arg` `None`: `f(*)`).
    fn filtered(&self, f: &str, arg: Option<&Frag>, cond: &Frag) -> Frag {
        match (self.filter_style(), arg) {
            (FilterStyle::Filter, Some(a)) => {
                Frag::atom(format!("{f}({}) FILTER (WHERE {})", a.s(), cond.s()))
                    .layered(a.layer.max(cond.layer))
            }
            (FilterStyle::Filter, None) => {
                Frag::atom(format!("{f}(*) FILTER (WHERE {})", cond.s())).layered(cond.layer)
            }
            (FilterStyle::Case, Some(a)) => {
                Frag::atom(format!("{f}(CASE WHEN {} THEN {} END)", cond.s(), a.s()))
                    .layered(a.layer.max(cond.layer))
            }
            (FilterStyle::Case, None) => {
                Frag::atom(format!("{f}(CASE WHEN {} THEN 1 END)", cond.s())).layered(cond.layer)
            }
        }
    }
    /// `COUNT(DISTINCT x)` over the rows where `cond` is true.
    fn count_distinct(&self, x: &Frag, cond: &Frag) -> Frag {
        Frag::atom(format!(
            "COUNT(DISTINCT CASE WHEN {} THEN {} END)",
            cond.s(),
            x.s()
        ))
        .layered(x.layer.max(cond.layer))
    }
    /// Any value of a column that is the same on every row of the group.
    fn any_value(&self, x: &Frag, _t: &SqlTy) -> Frag {
        call("ANY_VALUE", &[x])
    }
    /// What follows a step's `FROM` so that the engine computes each step
    /// once instead of copying its expressions into the next (PostgreSQL).
    fn fence(&self) -> &'static str {
        ""
    }
    /// A unique key for each row of a table, computed in one pass.
    fn row_key(&self) -> Frag;

    /// `x BETWEEN lo AND hi`.
    fn between(&self, x: &Frag, lo: &Frag, hi: &Frag) -> Frag {
        tpl(
            &format!(
                "{} BETWEEN {} AND {}",
                x.at(P_CMP + 1),
                lo.at(P_CMP + 1),
                hi.at(P_CMP + 1)
            ),
            &[x, lo, hi],
            P_CMP,
        )
    }
}

/// The dialect of a `--dialect` name.
pub fn by_name(name: &str) -> Option<&'static dyn Dialect> {
    match name {
        "duckdb" => Some(&DuckDb),
        "postgres" | "postgresql" => Some(&Postgres),
        "spark" => Some(&Spark),
        "bigquery" => Some(&BigQuery),
        "snowflake" => Some(&Snowflake),
        _ => None,
    }
}

/// Every dialect, in the order the documentation lists them.
pub fn all() -> [&'static dyn Dialect; 5] {
    [&DuckDb, &Postgres, &Spark, &BigQuery, &Snowflake]
}

/// The shortest text that reads back as `x`, in decimal or exponent form.
pub fn double_text(x: f64) -> String {
    let plain = format!("{x:?}");
    if plain.contains('e') || plain.contains('.') {
        plain
    } else {
        format!("{plain}.0")
    }
}

/// [`WHITE_SPACE`] as `chr(9) || chr(10) || …`, for engines whose text
/// literals have no escapes (the line breaks would break the query's lines).
pub fn chr_white_space() -> String {
    WHITE_SPACE
        .iter()
        .map(|c| format!("chr({})", *c as u32))
        .collect::<Vec<_>>()
        .join(" || ")
}

/// A text literal with `'` doubled and nothing else escaped (standard SQL).
pub fn standard_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A text literal with backslash escapes (Spark, BigQuery, Snowflake).
pub fn backslash_text(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || (c != ' ' && WHITE_SPACE.contains(&c)) => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}
