//! SQL expression text with its binding strength, so operands are put in
//! parentheses only where the operator needs them, and the hoisting layer
//! (how many helper-column steps it depends on).

/// Binding strengths, weakest first.
pub const P_OR: u8 = 1;
pub const P_AND: u8 = 2;
pub const P_NOT: u8 = 3;
pub const P_CMP: u8 = 4;
pub const P_CAT: u8 = 5;
pub const P_ADD: u8 = 6;
pub const P_MUL: u8 = 7;
pub const P_NEG: u8 = 8;
pub const P_ATOM: u8 = 10;

/// A piece of SQL: an expression and how strongly it binds.
#[derive(Clone, Debug, PartialEq)]
pub struct Frag {
    pub sql: String,
    pub prec: u8,
    /// How many helper-column steps must run before this can be computed.
    pub layer: u32,
    /// A column name or a short literal: cheap to write twice.
    pub simple: bool,
}

impl Frag {
    /// A function call, a column, a `CASE … END` or anything else that never
    /// needs parentheses.
    pub fn atom(sql: impl Into<String>) -> Frag {
        Frag {
            sql: sql.into(),
            prec: P_ATOM,
            layer: 0,
            simple: false,
        }
    }

    /// A column or literal.
    pub fn simple(sql: impl Into<String>) -> Frag {
        Frag {
            simple: true,
            ..Frag::atom(sql)
        }
    }

    pub fn with_prec(sql: impl Into<String>, prec: u8) -> Frag {
        Frag {
            sql: sql.into(),
            prec,
            layer: 0,
            simple: false,
        }
    }

    /// The text, in parentheses when it binds more loosely than `min`.
    pub fn at(&self, min: u8) -> String {
        if self.prec >= min {
            self.sql.clone()
        } else {
            format!("({})", self.sql)
        }
    }

    /// The text as an argument or a whole expression (never wrapped).
    pub fn s(&self) -> &str {
        &self.sql
    }

    pub fn layered(mut self, layer: u32) -> Frag {
        self.layer = self.layer.max(layer);
        self
    }
}

/// The deepest layer of some fragments.
pub fn layer_of(parts: &[&Frag]) -> u32 {
    parts.iter().map(|f| f.layer).max().unwrap_or(0)
}

/// `a OP b` for a left-associative operator of strength `prec`.
pub fn bin(a: &Frag, op: &str, b: &Frag, prec: u8) -> Frag {
    Frag::with_prec(format!("{} {op} {}", a.at(prec), b.at(prec + 1)), prec)
        .layered(layer_of(&[a, b]))
}

/// `a OP b` for a comparison (neither side may be a comparison).
pub fn cmp(a: &Frag, op: &str, b: &Frag) -> Frag {
    Frag::with_prec(
        format!("{} {op} {}", a.at(P_CMP + 1), b.at(P_CMP + 1)),
        P_CMP,
    )
    .layered(layer_of(&[a, b]))
}

/// `f(a, b, …)`.
pub fn call(f: &str, args: &[&Frag]) -> Frag {
    let inner: Vec<&str> = args.iter().map(|a| a.s()).collect();
    Frag::atom(format!("{f}({})", inner.join(", "))).layered(layer_of(args))
}

/// Text with `{0}`, `{1}`… replaced by the arguments (each as a whole
/// expression); the result binds as `prec`.
pub fn tpl(template: &str, args: &[&Frag], prec: u8) -> Frag {
    let mut out = template.to_string();
    for (i, a) in args.iter().enumerate().rev() {
        out = out.replace(&format!("{{{i}}}"), a.s());
    }
    Frag::with_prec(out, prec).layered(layer_of(args))
}

/// `NOT a`.
pub fn not(a: &Frag) -> Frag {
    Frag::with_prec(format!("NOT {}", a.at(P_NOT)), P_NOT).layered(a.layer)
}

/// `a IS NULL` / `a IS NOT NULL`.
pub fn is_null(a: &Frag, negated: bool) -> Frag {
    let w = if negated { "IS NOT NULL" } else { "IS NULL" };
    Frag::with_prec(format!("{} {w}", a.at(P_CMP + 1)), P_CMP).layered(a.layer)
}

/// `CASE WHEN c1 THEN v1 … [ELSE e] END`.
pub fn case(arms: &[(Frag, Frag)], otherwise: Option<&Frag>) -> Frag {
    if arms.is_empty() {
        return otherwise.cloned().unwrap_or_else(|| Frag::simple("NULL"));
    }
    let mut out = String::from("CASE");
    let mut layer = 0;
    for (c, v) in arms {
        out.push_str(&format!(" WHEN {} THEN {}", c.s(), v.s()));
        layer = layer.max(c.layer).max(v.layer);
    }
    if let Some(e) = otherwise {
        out.push_str(&format!(" ELSE {}", e.s()));
        layer = layer.max(e.layer);
    }
    out.push_str(" END");
    Frag::atom(out).layered(layer)
}

/// `COALESCE(a, b, …)`, or the one argument itself.
pub fn coalesce(parts: &[Frag]) -> Frag {
    match parts {
        [] => Frag::simple("NULL"),
        [one] => one.clone(),
        _ => {
            let refs: Vec<&Frag> = parts.iter().collect();
            call("COALESCE", &refs)
        }
    }
}

/// Parts joined by AND (true when there are none).
pub fn and_all(parts: &[Frag]) -> Frag {
    match parts {
        [] => Frag::simple("TRUE"),
        [one] => one.clone(),
        _ => {
            let text: Vec<String> = parts.iter().map(|p| p.at(P_AND + 1)).collect();
            let refs: Vec<&Frag> = parts.iter().collect();
            Frag::with_prec(text.join(" AND "), P_AND).layered(layer_of(&refs))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parentheses_only_where_needed() {
        let a = Frag::simple("a");
        let b = Frag::simple("b");
        let sum = bin(&a, "+", &b, P_ADD);
        assert_eq!(bin(&sum, "*", &a, P_MUL).sql, "(a + b) * a");
        assert_eq!(bin(&a, "-", &sum, P_ADD).sql, "a - (a + b)");
        assert_eq!(bin(&sum, "-", &a, P_ADD).sql, "a + b - a");
        assert_eq!(cmp(&sum, "<", &a).sql, "a + b < a");
        assert_eq!(not(&cmp(&a, "=", &b)).sql, "NOT a = b");
    }
}
