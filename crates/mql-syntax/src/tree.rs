//! A compact, readable text form of the syntax tree (S-expressions, one
//! declaration per line block), used by snapshot tests and debugging tools.
//! Spans are left out except each declaration's; parentheses show grouping.

use std::fmt::Write;

use crate::ast::*;

/// Print every declaration of a file.
pub fn to_sexpr(file: &SourceFile) -> String {
    let mut out = String::new();
    for d in &file.decls {
        out.push_str(&decl(d));
        out.push('\n');
    }
    out
}

fn decl(d: &Decl) -> String {
    let mut s = String::new();
    if let Some(doc) = &d.doc {
        let _ = writeln!(s, "doc {:?}", doc.text);
    }
    let _ = write!(s, "[{}..{}] ", d.span.start, d.span.end);
    match &d.kind {
        DeclKind::Model(n) => s.push_str(&format!("(model {})", n.name)),
        DeclKind::Use(p) => s.push_str(&format!("(use {:?})", p.value)),
        DeclKind::Lead(fields) => s.push_str(&format!("(lead{})", field_list(fields))),
        DeclKind::Event { name, fields } => {
            s.push_str(&format!("(event {}{})", name.name, field_list(fields)))
        }
        DeclKind::Const(n) => s.push_str(&named("const", n)),
        DeclKind::Let(n) => s.push_str(&named("let", n)),
        DeclKind::Criterion(n) => s.push_str(&named("criterion", n)),
        DeclKind::Segment(n) => s.push_str(&named("segment", n)),
        DeclKind::Score(sc) => {
            s.push_str(&format!("(score {}", sc.name.name));
            for o in &sc.options {
                match &o.kind {
                    ScoreOptionKind::Range { lo, hi } => {
                        s.push_str(&format!("\n  (range {} {})", expr(lo), expr(hi)))
                    }
                    ScoreOptionKind::Decay(d) => s.push_str(&format!(
                        "\n  (decay {})",
                        match d {
                            Decay::None => "none".to_string(),
                            Decay::HalfLife(e) => format!("half_life {}", expr(e)),
                            Decay::Linear(e) => format!("linear {}", expr(e)),
                            Decay::Step { percent, every } =>
                                format!("{} every {}", expr(percent), expr(every)),
                        }
                    )),
                }
            }
            for r in &sc.rules {
                let head = match &r.kind {
                    RuleKind::Cond(e) => expr(e),
                    RuleKind::Each(q) => format!("(each {})", query(q)),
                    RuleKind::Latest(q) => format!("(latest {})", query(q)),
                };
                s.push_str(&format!("\n  (=> {head} {}", expr(&r.points)));
                if let Some(c) = &r.cap {
                    s.push_str(&format!(" (up_to {})", expr(c)));
                }
                s.push(')');
            }
            s.push(')');
        }
        DeclKind::Tier(t) => {
            s.push_str(&format!("(tier {}", t.name.name));
            for a in &t.arms {
                match &a.cond {
                    Some(c) => s.push_str(&format!("\n  ({} when {})", a.label.name, expr(c))),
                    None => s.push_str(&format!("\n  ({} otherwise)", a.label.name)),
                }
            }
            s.push(')');
        }
        DeclKind::Stages(names) => {
            let names: Vec<String> = names.iter().map(variant).collect();
            s.push_str(&format!("(stages {})", names.join(" ")));
        }
        DeclKind::Transition(t) => s.push_str(&format!(
            "(transition {} -> {} when {})",
            t.from.as_ref().map(|f| f.name.as_str()).unwrap_or("any"),
            t.to.name,
            expr(&t.cond)
        )),
        DeclKind::Test(t) => {
            s.push_str(&format!("(test {:?}", t.name.value));
            for it in &t.items {
                match &it.kind {
                    TestItemKind::AsOf(e) => s.push_str(&format!("\n  (as_of {})", expr(e))),
                    TestItemKind::Lead(f) => s.push_str(&format!("\n  (lead{})", lit_fields(f))),
                    TestItemKind::Events(evs) => {
                        s.push_str("\n  (events");
                        for e in evs {
                            let when = match &e.when {
                                EventWhen::At(t) => format!("at {}", expr(t)),
                                EventWhen::Ago(d) => format!("{} ago", expr(d)),
                            };
                            s.push_str(&format!(
                                "\n    ({}{} {when})",
                                e.event.name,
                                lit_fields(&e.fields)
                            ));
                        }
                        s.push(')');
                    }
                    TestItemKind::Expect(e) => s.push_str(&format!("\n  (expect {})", expr(e))),
                }
            }
            s.push(')');
        }
    }
    s
}

fn named(kw: &str, n: &NamedExpr) -> String {
    format!("({kw} {} {})", n.name.name, expr(&n.value))
}

fn field_list(block: &FieldBlock) -> String {
    let mut s = String::new();
    if let Some(m) = &block.missing {
        s.push_str(&format!(" {}", missing(m)));
    }
    for f in block {
        s.push_str(&format!(" ({} {}", f.name.name, ty(&f.ty)));
        if let Some(src) = &f.source {
            s.push_str(&format!(" (from {:?})", src.value));
        }
        if let Some(m) = &f.missing {
            s.push_str(&format!(" {}", missing(m)));
        }
        s.push(')');
    }
    s
}

fn missing(m: &Missing) -> String {
    let texts: Vec<String> = m.texts.iter().map(|t| format!(" {:?}", t.value)).collect();
    format!("(missing{})", texts.concat())
}

/// `vp` or `(vp "Vice President" "VP")`.
fn variant(v: &Variant) -> String {
    if v.labels.is_empty() {
        return v.name.name.clone();
    }
    let labels: Vec<String> = v.labels.iter().map(|l| format!(" {:?}", l.value)).collect();
    format!("({}{})", v.name.name, labels.concat())
}

fn lit_fields(fields: &[LitField]) -> String {
    fields
        .iter()
        .map(|f| format!(" ({} {})", f.name.name, expr(&f.value)))
        .collect()
}

fn ty(t: &TypeExpr) -> String {
    match &t.kind {
        TypeKind::Int => "int".into(),
        TypeKind::Number => "number".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::String => "string".into(),
        TypeKind::Time => "time".into(),
        TypeKind::Duration => "duration".into(),
        TypeKind::Enum(vs) => {
            let vs: Vec<String> = vs.iter().map(variant).collect();
            format!("(enum {})", vs.join(" "))
        }
        TypeKind::List(inner) => format!("(list {})", ty(inner)),
    }
}

fn query(q: &Query) -> String {
    let mut s = format!("(query {}", q.event.name);
    if let Some(f) = &q.filter {
        s.push_str(&format!(" where {}", expr(f)));
    }
    if let Some(w) = &q.within {
        s.push_str(&format!(" within {}", expr(w)));
    }
    s.push(')');
    s
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "invalid".to_string(),
    }
}

/// One expression as an S-expression.
pub fn expr(e: &Expr) -> String {
    mql_core::deep(|| expr_body(e))
}

fn expr_body(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => opt(v),
        ExprKind::Number(n) => format!("{n:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Duration(d) => format!("(duration_ms {})", opt(d)),
        ExprKind::Time(t) => format!("(time_ms {})", opt(t)),
        ExprKind::Percent(p) => format!("{p}%"),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::Unary(op, inner) => {
            let op = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Plus => "plus",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", expr(inner))
        }
        ExprKind::Binary(op, l, r) => format!("({} {} {})", op.as_str(), expr(l), expr(r)),
        ExprKind::Between { value, lo, hi } => {
            format!("(between {} {} {})", expr(value), expr(lo), expr(hi))
        }
        ExprKind::Call { func, args } => {
            let args: Vec<String> = args.iter().map(expr).collect();
            format!("(call {} {})", func.name, args.join(" "))
        }
        ExprKind::Query(q) => query(q),
        ExprKind::Paren(inner) => format!("(paren {})", expr(inner)),
    }
}
