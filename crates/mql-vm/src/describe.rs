//! Turns checked expressions back into the language's own text, for
//! explanations, test failures and the bytecode listing.

use mql_sema::hir::{AggKind, ArithOp, CmpOp, Expr, ExprKind, Func, Model, Query, StrOp};

/// A duration as authors write it: whole days, hours or minutes (`14d`,
/// `36h`, `90m`), or a fraction of minutes.
pub fn duration_text(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs();
    if a == 0 {
        return "0d".to_string();
    }
    for (unit, size) in [("d", 86_400_000u64), ("h", 3_600_000), ("m", 60_000)] {
        if a.is_multiple_of(size) {
            return format!("{sign}{}{unit}", a / size);
        }
    }
    format!("{sign}{}m", a as f64 / 60_000.0)
}

/// A value in the language's literal syntax, durations as authors write them.
pub fn value_text(model: &Model, v: &mql_core::Value) -> String {
    match v {
        mql_core::Value::Duration(d) => duration_text(*d),
        v => v.display(&model.schema.symbols).to_string(),
    }
}

/// Binding strength, higher binds tighter (spec §5.1).
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Or(..) => 1,
        ExprKind::And(..) => 2,
        ExprKind::Not(..) => 3,
        ExprKind::Cmp(..)
        | ExprKind::Between { .. }
        | ExprKind::In { .. }
        | ExprKind::StrTest(..)
        | ExprKind::Matches(..) => 4,
        ExprKind::Arith(ArithOp::Add | ArithOp::Sub, ..) => 5,
        ExprKind::Arith(..) => 6,
        ExprKind::Neg(..) => 7,
        _ => 8,
    }
}

/// The source-like text of an expression. `event` names the event whose
/// fields are in scope (inside a query).
pub fn expr_text(model: &Model, e: &Expr) -> String {
    let mut out = String::new();
    write(model, e, None, &mut out);
    out
}

fn sub(model: &Model, e: &Expr, event: Option<u32>, min: u8, out: &mut String) {
    mql_core::deep(|| sub_body(model, e, event, min, out))
}

fn sub_body(model: &Model, e: &Expr, event: Option<u32>, min: u8, out: &mut String) {
    if prec(e) < min {
        out.push('(');
        write(model, e, event, out);
        out.push(')');
    } else {
        write(model, e, event, out);
    }
}

fn query_text(model: &Model, q: &Query, out: &mut String) {
    let ev = model.schema.events.get(q.event as usize);
    out.push_str(ev.map_or("?", |e| e.name.as_str()));
    if let Some(f) = &q.filter {
        out.push_str(" where ");
        write(model, f, Some(q.event), out);
    }
    if let Some(w) = q.within {
        out.push_str(" within ");
        out.push_str(&duration_text(w));
    }
}

fn write(model: &Model, e: &Expr, event: Option<u32>, out: &mut String) {
    mql_core::deep(|| write_body(model, e, event, out))
}

fn write_body(model: &Model, e: &Expr, event: Option<u32>, out: &mut String) {
    let p = prec(e);
    match &e.kind {
        ExprKind::Lit(v) => out.push_str(&value_text(model, v)),
        ExprKind::Field(i) => {
            out.push_str(model.schema.lead.get(*i as usize).map_or("?", |f| &f.name))
        }
        ExprKind::EventField(i) => out.push_str(
            event
                .and_then(|ev| model.schema.events.get(ev as usize))
                .and_then(|ev| ev.fields.get(*i as usize))
                .map_or("?", |f| &f.name),
        ),
        ExprKind::EventAt => out.push_str("at"),
        ExprKind::Id => out.push_str("id"),
        ExprKind::Now => out.push_str("now"),
        ExprKind::TimeInStage => out.push_str("time_in_stage"),
        ExprKind::Stage => out.push_str("stage"),
        ExprKind::ValueRef(i) => {
            out.push_str(model.values.get(*i as usize).map_or("?", |v| &v.name))
        }
        ExprKind::ScoreRef(i) => {
            out.push_str(model.scores.get(*i as usize).map_or("?", |v| &v.name))
        }
        ExprKind::TierRef(i) => out.push_str(model.tiers.get(*i as usize).map_or("?", |v| &v.name)),
        ExprKind::Neg(a) => {
            out.push('-');
            sub(model, a, event, 7, out);
        }
        ExprKind::Not(a) => {
            out.push_str("not ");
            sub(model, a, event, 4, out);
        }
        ExprKind::Arith(op, a, b) => {
            sub(model, a, event, p, out);
            out.push_str(match op {
                ArithOp::Add => " + ",
                ArithOp::Sub => " - ",
                ArithOp::Mul => " * ",
                ArithOp::Div => " / ",
            });
            sub(model, b, event, p + 1, out);
        }
        ExprKind::Cmp(op, a, b) => {
            sub(model, a, event, 5, out);
            out.push_str(match op {
                CmpOp::Eq => " == ",
                CmpOp::Ne => " != ",
                CmpOp::Lt => " < ",
                CmpOp::Le => " <= ",
                CmpOp::Gt => " > ",
                CmpOp::Ge => " >= ",
            });
            sub(model, b, event, 5, out);
        }
        ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            sub(model, a, event, p, out);
            out.push_str(if p == 2 { " and " } else { " or " });
            sub(model, b, event, p + 1, out);
        }
        ExprKind::Between { value, lo, hi } => {
            sub(model, value, event, 5, out);
            out.push_str(" between ");
            sub(model, lo, event, 5, out);
            out.push_str(" and ");
            sub(model, hi, event, 5, out);
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => {
            sub(model, value, event, 5, out);
            out.push_str(if *negated { " not in " } else { " in " });
            sub(model, list, event, 5, out);
        }
        ExprKind::StrTest(op, a, b) => {
            sub(model, a, event, 5, out);
            out.push_str(match op {
                StrOp::Contains => " contains ",
                StrOp::StartsWith => " starts_with ",
                StrOp::EndsWith => " ends_with ",
            });
            sub(model, b, event, 5, out);
        }
        ExprKind::Matches(a, pat) => {
            sub(model, a, event, 5, out);
            out.push_str(" matches ");
            out.push_str(&format!("{:?}", pat.0.as_str()));
        }
        ExprKind::Call(f, args) => {
            out.push_str(func_name(*f));
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(model, a, event, out);
            }
            out.push(')');
        }
        ExprKind::Agg { kind, query, arg } => {
            out.push_str(agg_name(*kind));
            out.push('(');
            query_text(model, query, out);
            if let Some(a) = arg {
                out.push_str(", ");
                write(model, a, Some(query.event), out);
            }
            out.push(')');
        }
    }
}

pub(crate) fn func_name(f: Func) -> &'static str {
    match f {
        Func::Lower => "lower",
        Func::Upper => "upper",
        Func::Trim => "trim",
        Func::Length => "length",
        Func::Domain => "domain",
        Func::Known => "known",
        Func::Default => "default",
        Func::Min => "min",
        Func::Max => "max",
        Func::Abs => "abs",
        Func::Round => "round",
        Func::Since => "since",
        Func::Hour => "hour",
        Func::Weekday => "weekday",
        Func::Day => "day",
        Func::Days => "days",
    }
}

pub(crate) fn agg_name(k: AggKind) -> &'static str {
    match k {
        AggKind::Count => "count",
        AggKind::Exists => "exists",
        AggKind::Sum => "sum",
        AggKind::Avg => "avg",
        AggKind::Min => "min",
        AggKind::Max => "max",
        AggKind::Distinct => "distinct",
        AggKind::First => "first",
        AggKind::Last => "last",
    }
}
