//! Snowflake: exact `NUMBER(38,0)` integers (overflow tested by range),
//! `REGEXP_INSTR` (its `REGEXP_LIKE` matches whole texts only), `ARRAY`
//! values with lambdas.

use super::{backslash_text, Dialect, SqlTy, TypeNames};
use crate::frag::{call, cmp, tpl, Frag, P_ATOM};
use crate::regex::Flavor;

pub struct Snowflake;

impl Dialect for Snowflake {
    fn id(&self) -> &'static str {
        "snowflake"
    }
    fn title(&self) -> &'static str {
        "Snowflake"
    }
    fn case_blind_names(&self) -> bool {
        false
    }
    fn max_name_len(&self) -> Option<usize> {
        Some(255)
    }
    fn text(&self, s: &str) -> Option<String> {
        Some(backslash_text(s))
    }
    fn double_magnitude(&self, text: &str) -> String {
        format!("CAST('{text}' AS FLOAT)")
    }
    fn infinity_text(&self) -> &'static str {
        "inf"
    }
    fn type_names(&self) -> &'static TypeNames {
        &TypeNames {
            int: "BIGINT",
            double: "FLOAT",
            text: "VARCHAR",
            bool: "BOOLEAN",
            wide: "NUMBER(38,0)",
            array: "ARRAY",
        }
    }
    fn epoch_ms(&self, ts: &Frag) -> Frag {
        Frag::atom(format!("DATE_PART(EPOCH_MILLISECOND, {})", ts.s())).layered(ts.layer)
    }
    fn now_ms(&self) -> Frag {
        Frag::atom("DATE_PART(EPOCH_MILLISECOND, CURRENT_TIMESTAMP())")
    }
    fn int_checked(&self, op: char, a: &Frag, b: &Frag) -> Frag {
        let w = self.wide(op, a, b);
        Frag::atom(format!(
            "NULLIF(NULLIF(GREATEST(LEAST({}, 9223372036854775808), -9223372036854775809), 9223372036854775808), -9223372036854775809)",
            w.s()
        ))
        .layered(w.layer)
    }
    fn int_div(&self, a: &Frag, b: &Frag) -> Frag {
        tpl("TRUNC({0} / {1})", &[a, b], P_ATOM)
    }
    fn contains(&self, s: &Frag, t: &Frag) -> Frag {
        call("CONTAINS", &[s, t])
    }
    fn starts_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("STARTSWITH", &[s, t])
    }
    fn ends_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("ENDSWITH", &[s, t])
    }
    fn char_length(&self, s: &Frag) -> Frag {
        call("LENGTH", &[s])
    }
    fn after_last(&self, s: &Frag, sep: &str) -> Frag {
        let sep = Frag::simple(backslash_text(sep));
        call("SPLIT_PART", &[s, &sep, &Frag::simple("-1")])
    }
    fn regex_flavor(&self) -> Flavor {
        Flavor::Snowflake
    }
    fn regex_find(&self, s: &Frag, pattern: &str, ci: bool) -> Frag {
        let p = Frag::simple(backslash_text(pattern));
        let flags = Frag::simple(if ci { "'i'" } else { "'c'" });
        let one = Frag::simple("1");
        let zero = Frag::simple("0");
        cmp(
            &call("REGEXP_INSTR", &[s, &p, &one, &one, &zero, &flags]),
            ">",
            &zero,
        )
    }
    fn array_lit(&self, items: &[Frag], _elem: &SqlTy) -> Frag {
        let refs: Vec<&Frag> = items.iter().collect();
        call("ARRAY_CONSTRUCT", &refs)
    }
    fn array_contains(&self, arr: &Frag, x: &Frag) -> Frag {
        let v = Frag::atom(format!("CAST({} AS VARIANT)", x.s())).layered(x.layer);
        call("ARRAY_CONTAINS", &[&v, arr])
    }
    fn array_len(&self, arr: &Frag) -> Frag {
        call("ARRAY_SIZE", &[arr])
    }
    fn array_map_keep(&self, arr: &Frag, var: &str, item: &Frag) -> Frag {
        tpl(
            &format!("FILTER(TRANSFORM({{0}}, {var} -> {{1}}), {var} -> {var} IS NOT NULL)"),
            &[arr, item],
            P_ATOM,
        )
    }
    fn array_any(&self, arr: &Frag, var: &str, test: &Frag) -> Frag {
        let f = tpl(
            &format!("ARRAY_SIZE(FILTER({{0}}, {var} -> {{1}}))"),
            &[arr, test],
            P_ATOM,
        );
        cmp(&f, ">", &Frag::simple("0"))
    }
    fn row_key(&self) -> Frag {
        Frag::atom("SEQ8()")
    }
}
