//! DuckDB (1.1 and later): RE2 regular expressions, `HUGEINT` for exact
//! overflow tests, lists with lambdas, `FILTER` on aggregates.

use super::{standard_text, Dialect, FilterStyle, SqlTy, TypeNames};
use crate::frag::{call, cmp, tpl, Frag, P_ATOM, P_CMP, P_MUL};
use crate::regex::Flavor;

pub struct DuckDb;

impl Dialect for DuckDb {
    fn id(&self) -> &'static str {
        "duckdb"
    }
    fn title(&self) -> &'static str {
        "DuckDB"
    }
    fn case_blind_names(&self) -> bool {
        true
    }
    fn text(&self, s: &str) -> Option<String> {
        if s.contains('\0') {
            return None;
        }
        Some(standard_text(s))
    }
    fn white_space(&self) -> String {
        format!("({})", super::chr_white_space())
    }
    fn double_magnitude(&self, text: &str) -> String {
        let digits = text.chars().filter(|c| c.is_ascii_digit()).count();
        if text.contains('e') || digits > 15 {
            format!("'{text}'::DOUBLE")
        } else {
            format!("{text}::DOUBLE")
        }
    }
    fn type_names(&self) -> &'static TypeNames {
        &TypeNames {
            int: "BIGINT",
            double: "DOUBLE",
            text: "VARCHAR",
            bool: "BOOLEAN",
            wide: "HUGEINT",
            array: "{}[]",
        }
    }
    fn epoch_ms(&self, ts: &Frag) -> Frag {
        call("epoch_ms", &[ts])
    }
    fn now_ms(&self) -> Frag {
        Frag::atom("epoch_ms(CURRENT_TIMESTAMP)")
    }
    fn int_checked(&self, op: char, a: &Frag, b: &Frag) -> Frag {
        let w = self.wide(op, a, b);
        Frag::atom(format!("TRY_CAST({} AS BIGINT)", w.s())).layered(w.layer)
    }
    fn int_div(&self, a: &Frag, b: &Frag) -> Frag {
        crate::frag::bin(a, "//", b, P_MUL)
    }
    fn contains(&self, s: &Frag, t: &Frag) -> Frag {
        call("contains", &[s, t])
    }
    fn starts_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("starts_with", &[s, t])
    }
    fn ends_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("ends_with", &[s, t])
    }
    fn char_length(&self, s: &Frag) -> Frag {
        call("length", &[s])
    }
    fn after_last(&self, s: &Frag, sep: &str) -> Frag {
        let sep = Frag::simple(standard_text(sep));
        call("split_part", &[s, &sep, &Frag::simple("-1")])
    }
    fn regex_flavor(&self) -> Flavor {
        Flavor::Re2
    }
    fn regex_find(&self, s: &Frag, pattern: &str, ci: bool) -> Frag {
        let p = if ci {
            format!("(?i){pattern}")
        } else {
            pattern.to_string()
        };
        let p = Frag::simple(standard_text(&p));
        call("regexp_matches", &[s, &p])
    }
    fn array_lit(&self, items: &[Frag], elem: &SqlTy) -> Frag {
        let inner: Vec<&str> = items.iter().map(|i| i.s()).collect();
        Frag::atom(format!(
            "CAST([{}] AS {})",
            inner.join(", "),
            self.ty(&SqlTy::Array(Box::new(elem.clone())))
        ))
    }
    fn array_contains(&self, arr: &Frag, x: &Frag) -> Frag {
        call("list_contains", &[arr, x])
    }
    fn array_len(&self, arr: &Frag) -> Frag {
        self.cast(&call("len", &[arr]), &SqlTy::Int)
    }
    fn array_map_keep(&self, arr: &Frag, var: &str, item: &Frag) -> Frag {
        // list comprehensions read the same in every DuckDB since 0.8
        tpl(
            &format!("[v FOR v IN [{{1}} FOR {var} IN {{0}}] IF v IS NOT NULL]"),
            &[arr, item],
            P_ATOM,
        )
    }
    fn array_any(&self, arr: &Frag, var: &str, test: &Frag) -> Frag {
        let f = tpl(
            &format!("len([1 FOR {var} IN {{0}} IF {{1}}])"),
            &[arr, test],
            P_ATOM,
        );
        cmp(&f, ">", &Frag::simple("0"))
    }
    fn filter_style(&self) -> FilterStyle {
        FilterStyle::Filter
    }
    fn count_distinct(&self, x: &Frag, cond: &Frag) -> Frag {
        Frag::atom(format!(
            "COUNT(DISTINCT {}) FILTER (WHERE {})",
            x.s(),
            cond.s()
        ))
        .layered(x.layer.max(cond.layer))
    }
    fn row_key(&self) -> Frag {
        Frag::atom("row_number() OVER ()")
    }
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
