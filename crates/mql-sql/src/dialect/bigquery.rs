//! BigQuery GoogleSQL: `SAFE_ADD` and its kin for overflow, RE2 regular
//! expressions, arrays through `UNNEST`, no `FILTER` on aggregates.

use super::{backslash_text, Dialect, SqlTy, TypeNames};
use crate::frag::{call, cmp, tpl, Frag, P_ATOM, P_CMP};
use crate::regex::Flavor;

pub struct BigQuery;

impl Dialect for BigQuery {
    fn id(&self) -> &'static str {
        "bigquery"
    }
    fn title(&self) -> &'static str {
        "BigQuery"
    }
    fn quote(&self, name: &str) -> String {
        format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
    }
    fn case_blind_names(&self) -> bool {
        true
    }
    fn max_name_len(&self) -> Option<usize> {
        Some(300)
    }
    fn text(&self, s: &str) -> Option<String> {
        Some(backslash_text(s))
    }
    fn double_magnitude(&self, text: &str) -> String {
        text.to_string()
    }
    fn infinity_text(&self) -> &'static str {
        "inf"
    }
    fn type_names(&self) -> &'static TypeNames {
        &TypeNames {
            int: "INT64",
            double: "FLOAT64",
            text: "STRING",
            bool: "BOOL",
            wide: "BIGNUMERIC",
            array: "ARRAY<{}>",
        }
    }
    fn epoch_ms(&self, ts: &Frag) -> Frag {
        call("UNIX_MILLIS", &[ts])
    }
    fn now_ms(&self) -> Frag {
        Frag::atom("UNIX_MILLIS(CURRENT_TIMESTAMP())")
    }
    fn int_checked(&self, op: char, a: &Frag, b: &Frag) -> Frag {
        let f = match op {
            '+' => "SAFE_ADD",
            '-' => "SAFE_SUBTRACT",
            _ => "SAFE_MULTIPLY",
        };
        call(f, &[a, b])
    }
    fn int_div(&self, a: &Frag, b: &Frag) -> Frag {
        call("DIV", &[a, b])
    }
    fn int_rem(&self, a: &Frag, b: &Frag) -> Frag {
        call("MOD", &[a, b])
    }
    fn contains(&self, s: &Frag, t: &Frag) -> Frag {
        cmp(&call("STRPOS", &[s, t]), ">", &Frag::simple("0"))
    }
    fn starts_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("STARTS_WITH", &[s, t])
    }
    fn ends_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("ENDS_WITH", &[s, t])
    }
    fn char_length(&self, s: &Frag) -> Frag {
        call("CHAR_LENGTH", &[s])
    }
    fn after_last(&self, s: &Frag, sep: &str) -> Frag {
        let pat = Frag::simple(backslash_text(&format!("[^{sep}]*$")));
        call("REGEXP_EXTRACT", &[s, &pat])
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
        call("REGEXP_CONTAINS", &[s, &Frag::simple(backslash_text(&p))])
    }
    fn array_lit(&self, items: &[Frag], elem: &SqlTy) -> Frag {
        let inner: Vec<&str> = items.iter().map(|i| i.s()).collect();
        Frag::atom(format!(
            "{}[{}]",
            self.ty(&SqlTy::Array(Box::new(elem.clone()))),
            inner.join(", ")
        ))
    }
    fn array_contains(&self, arr: &Frag, x: &Frag) -> Frag {
        tpl(
            &format!(
                "CASE WHEN {{0}} IS NULL THEN NULL ELSE {} IN UNNEST({{0}}) END",
                x.at(P_CMP + 1)
            ),
            &[arr, x],
            P_ATOM,
        )
    }
    fn array_len(&self, arr: &Frag) -> Frag {
        call("ARRAY_LENGTH", &[arr])
    }
    fn array_eq(&self, a: &Frag, b: &Frag) -> Frag {
        tpl(
            "CASE WHEN {0} IS NULL OR {1} IS NULL THEN NULL ELSE TO_JSON_STRING({0}) = TO_JSON_STRING({1}) END",
            &[a, b],
            P_ATOM,
        )
    }
    fn array_map_keep(&self, arr: &Frag, var: &str, item: &Frag) -> Frag {
        tpl(
            &format!(
                "CASE WHEN {{0}} IS NULL THEN NULL ELSE ARRAY(SELECT m.v FROM (SELECT {{1}} AS v, o FROM UNNEST({{0}}) AS {var} WITH OFFSET AS o) AS m WHERE m.v IS NOT NULL ORDER BY m.o) END"
            ),
            &[arr, item],
            P_ATOM,
        )
    }
    fn array_any(&self, arr: &Frag, var: &str, test: &Frag) -> Frag {
        tpl(
            &format!("EXISTS (SELECT 1 FROM UNNEST({{0}}) AS {var} WHERE {{1}})"),
            &[arr, test],
            P_ATOM,
        )
    }
    fn row_key(&self) -> Frag {
        Frag::atom("GENERATE_UUID()")
    }
}
