//! Spark SQL (3.5 and later, with or without ANSI mode): `try_add` and its
//! kin for overflow, Java regular expressions, backslash escapes in text,
//! arrays with lambdas.

use super::{backslash_text, Dialect, SqlTy, TypeNames};
use crate::frag::{bin, call, tpl, Frag, P_ATOM, P_MUL};
use crate::regex::Flavor;

pub struct Spark;

impl Dialect for Spark {
    fn id(&self) -> &'static str {
        "spark"
    }
    fn title(&self) -> &'static str {
        "Spark SQL"
    }
    fn quote(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }
    fn case_blind_names(&self) -> bool {
        true
    }
    fn text(&self, s: &str) -> Option<String> {
        Some(backslash_text(s))
    }
    fn double_magnitude(&self, text: &str) -> String {
        if text.contains('e') {
            format!("CAST('{text}' AS DOUBLE)")
        } else {
            format!("{text}D")
        }
    }
    fn type_names(&self) -> &'static TypeNames {
        &TypeNames {
            int: "BIGINT",
            double: "DOUBLE",
            text: "STRING",
            bool: "BOOLEAN",
            wide: "DECIMAL(38,0)",
            array: "ARRAY<{}>",
        }
    }
    fn epoch_ms(&self, ts: &Frag) -> Frag {
        call("unix_millis", &[ts])
    }
    fn now_ms(&self) -> Frag {
        Frag::atom("unix_millis(current_timestamp())")
    }
    fn int_checked(&self, op: char, a: &Frag, b: &Frag) -> Frag {
        let f = match op {
            '+' => "try_add",
            '-' => "try_subtract",
            _ => "try_multiply",
        };
        let a = self.cast(a, &SqlTy::Int);
        let b = self.cast(b, &SqlTy::Int);
        call(f, &[&a, &b])
    }
    fn int_div(&self, a: &Frag, b: &Frag) -> Frag {
        bin(a, "div", b, P_MUL)
    }
    fn contains(&self, s: &Frag, t: &Frag) -> Frag {
        call("contains", &[s, t])
    }
    fn starts_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("startswith", &[s, t])
    }
    fn ends_with(&self, s: &Frag, t: &Frag) -> Frag {
        call("endswith", &[s, t])
    }
    fn char_length(&self, s: &Frag) -> Frag {
        self.cast(&call("char_length", &[s]), &SqlTy::Int)
    }
    fn after_last(&self, s: &Frag, sep: &str) -> Frag {
        let sep = Frag::simple(backslash_text(sep));
        call("substring_index", &[s, &sep, &Frag::simple("-1")])
    }
    fn trim_white_space(&self, s: &Frag) -> Frag {
        let chars: String = super::WHITE_SPACE.iter().collect();
        Frag::atom(format!(
            "trim(BOTH {} FROM {})",
            backslash_text(&chars),
            s.s()
        ))
        .layered(s.layer)
    }
    fn regex_flavor(&self) -> Flavor {
        Flavor::Java
    }
    fn regex_find(&self, s: &Frag, pattern: &str, ci: bool) -> Frag {
        let p = if ci {
            format!("(?iu){pattern}")
        } else {
            pattern.to_string()
        };
        crate::frag::cmp(s, "RLIKE", &Frag::simple(backslash_text(&p)))
    }
    fn array_lit(&self, items: &[Frag], elem: &SqlTy) -> Frag {
        let inner: Vec<&str> = items.iter().map(|i| i.s()).collect();
        Frag::atom(format!(
            "CAST(array({}) AS {})",
            inner.join(", "),
            self.ty(&SqlTy::Array(Box::new(elem.clone())))
        ))
    }
    fn array_contains(&self, arr: &Frag, x: &Frag) -> Frag {
        call("array_contains", &[arr, x])
    }
    fn array_len(&self, arr: &Frag) -> Frag {
        self.cast(&call("array_size", &[arr]), &SqlTy::Int)
    }
    fn array_map_keep(&self, arr: &Frag, var: &str, item: &Frag) -> Frag {
        tpl(
            &format!("filter(transform({{0}}, {var} -> {{1}}), {var} -> {var} IS NOT NULL)"),
            &[arr, item],
            P_ATOM,
        )
    }
    fn array_any(&self, arr: &Frag, var: &str, test: &Frag) -> Frag {
        tpl(
            &format!("exists({{0}}, {var} -> {{1}})"),
            &[arr, test],
            P_ATOM,
        )
    }
    fn any_value(&self, x: &Frag, _t: &SqlTy) -> Frag {
        call("first", &[x])
    }
    fn row_key(&self) -> Frag {
        Frag::atom("monotonically_increasing_id()")
    }
}
