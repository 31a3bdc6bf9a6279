//! PostgreSQL (15 and later): `numeric` for exact overflow tests, byte-order
//! text comparison with `COLLATE "C"`, arrays through `unnest`, and a fence
//! (`OFFSET 0`) so each step is computed once.

use super::{standard_text, Dialect, FilterStyle, SqlTy, TypeNames};
use crate::frag::{bin, call, cmp, tpl, Frag, P_ATOM, P_MUL};
use crate::regex::Flavor;

pub struct Postgres;

impl Dialect for Postgres {
    fn id(&self) -> &'static str {
        "postgres"
    }
    fn title(&self) -> &'static str {
        "PostgreSQL"
    }
    fn case_blind_names(&self) -> bool {
        false
    }
    fn max_name_len(&self) -> Option<usize> {
        Some(63)
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
        format!("{text}::float8")
    }
    fn type_names(&self) -> &'static TypeNames {
        &TypeNames {
            int: "bigint",
            double: "double precision",
            text: "text",
            bool: "boolean",
            wide: "numeric",
            array: "{}[]",
        }
    }
    fn epoch_ms(&self, ts: &Frag) -> Frag {
        Frag::atom(format!(
            "CAST(FLOOR(EXTRACT(EPOCH FROM {}) * 1000) AS bigint)",
            ts.s()
        ))
        .layered(ts.layer)
    }
    fn now_ms(&self) -> Frag {
        self.epoch_ms(&Frag::simple("CURRENT_TIMESTAMP"))
    }
    fn int_checked(&self, op: char, a: &Frag, b: &Frag) -> Frag {
        let w = self.wide(op, a, b);
        Frag::atom(format!(
            "CAST(NULLIF(NULLIF(GREATEST(LEAST({}, {hi}), {lo}), {hi}), {lo}) AS bigint)",
            w.s(),
            hi = "9223372036854775808",
            lo = "-9223372036854775809"
        ))
        .layered(w.layer)
    }
    fn int_div(&self, a: &Frag, b: &Frag) -> Frag {
        bin(a, "/", b, P_MUL)
    }
    fn round_half_away(&self, x: &Frag) -> Frag {
        // round(double precision) rounds half to even; this is exact
        tpl(
            "SIGN({0}) * (FLOOR(ABS({0})) + CASE WHEN ABS({0}) - FLOOR(ABS({0})) >= 0.5 THEN 1 ELSE 0 END)",
            &[x],
            P_MUL,
        )
    }
    fn byte_order(&self, s: &Frag) -> Frag {
        Frag::with_prec(format!("{} COLLATE \"C\"", s.at(P_ATOM)), P_ATOM - 1).layered(s.layer)
    }
    fn contains(&self, s: &Frag, t: &Frag) -> Frag {
        cmp(&call("strpos", &[s, t]), ">", &Frag::simple("0"))
    }
    fn starts_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("starts_with", &[s, t])
    }
    fn ends_with(&self, s: &Frag, t: &Frag) -> Frag {
        let r = call("right", &[s, &call("char_length", &[t])]);
        cmp(&r, "=", t)
    }
    fn char_length(&self, s: &Frag) -> Frag {
        self.cast(&call("char_length", &[s]), &SqlTy::Int)
    }
    fn after_last(&self, s: &Frag, sep: &str) -> Frag {
        let sep = Frag::simple(standard_text(sep));
        call("split_part", &[s, &sep, &Frag::simple("-1")])
    }
    fn trim_white_space(&self, s: &Frag) -> Frag {
        Frag::atom(format!("btrim({}, {})", s.s(), self.white_space())).layered(s.layer)
    }
    fn regex_flavor(&self) -> Flavor {
        Flavor::Postgres
    }
    fn regex_find(&self, s: &Frag, pattern: &str, ci: bool) -> Frag {
        let op = if ci { "~*" } else { "~" };
        cmp(s, op, &Frag::simple(standard_text(pattern)))
    }
    fn array_lit(&self, items: &[Frag], elem: &SqlTy) -> Frag {
        let inner: Vec<&str> = items.iter().map(|i| i.s()).collect();
        Frag::atom(format!(
            "CAST(ARRAY[{}] AS {})",
            inner.join(", "),
            self.ty(&SqlTy::Array(Box::new(elem.clone())))
        ))
    }
    fn array_contains(&self, arr: &Frag, x: &Frag) -> Frag {
        Frag::with_prec(
            format!("{} = ANY({})", x.at(crate::frag::P_CMP + 1), arr.s()),
            crate::frag::P_CMP,
        )
        .layered(arr.layer.max(x.layer))
    }
    fn array_len(&self, arr: &Frag) -> Frag {
        self.cast(&call("cardinality", &[arr]), &SqlTy::Int)
    }
    fn array_map_keep(&self, arr: &Frag, var: &str, item: &Frag) -> Frag {
        tpl(
            &format!(
                "CASE WHEN {{0}} IS NULL THEN NULL ELSE ARRAY(SELECT m.v FROM (SELECT {{1}} AS v, u.o FROM unnest({{0}}) WITH ORDINALITY AS u({var}, o)) AS m WHERE m.v IS NOT NULL ORDER BY m.o) END"
            ),
            &[arr, item],
            P_ATOM,
        )
    }
    fn array_any(&self, arr: &Frag, var: &str, test: &Frag) -> Frag {
        tpl(
            &format!("EXISTS (SELECT 1 FROM unnest({{0}}) AS u({var}) WHERE {{1}})"),
            &[arr, test],
            P_ATOM,
        )
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
    fn any_value(&self, x: &Frag, t: &SqlTy) -> Frag {
        // any_value() is PostgreSQL 16; every row of the group is the same
        match t {
            SqlTy::Bool => call("bool_or", &[x]),
            _ => call("MIN", &[x]),
        }
    }
    fn fence(&self) -> &'static str {
        " OFFSET 0"
    }
    fn row_key(&self) -> Frag {
        Frag::atom("row_number() OVER ()")
    }
}
