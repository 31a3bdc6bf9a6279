//! Score-range analysis: the least and the most points each score can reach
//! from its rules, and which conditions are constant or can never be true
//! given those ranges.

use mql_core::{Span, Value};

use crate::fold;
use crate::hir::{CmpOp, Expr, ExprKind, Model, RuleKind, ScoreDecl};

/// The least and the most points one score can reach (infinite when an
/// uncapped `each` rule can add without end).
pub fn score_range(s: &ScoreDecl) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for r in &s.rules {
        let p = r.points;
        let (a, b) = match r.kind {
            RuleKind::Cond(_) | RuleKind::Latest(_) => (p.min(0.0), p.max(0.0)),
            RuleKind::Each(_) => {
                let reach = r.cap.unwrap_or(f64::INFINITY);
                if p > 0.0 {
                    (0.0, reach)
                } else if p < 0.0 {
                    (-reach, 0.0)
                } else {
                    (0.0, 0.0)
                }
            }
        };
        lo += a;
        hi += b;
    }
    if let Some((rlo, rhi)) = s.range {
        lo = lo.clamp(rlo, rhi);
        hi = hi.clamp(rlo, rhi);
    }
    (lo, hi)
}

/// The reachable range of every score of a model, in `Model::scores` order.
pub fn score_ranges(model: &Model) -> Vec<(f64, f64)> {
    model.scores.iter().map(score_range).collect()
}

/// A number as an author writes it: `120`, `12.5`, `no limit`.
pub fn show_num(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 {
            "no upper limit".into()
        } else {
            "no lower limit".into()
        }
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// What can be said of a condition before any lead is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    Always,
    Never,
    Maybe,
}

/// Why a condition is constant: the part that decides it and an explanation.
pub type Why = Option<(Span, String)>;

pub fn truth(e: &Expr, ranges: &[(f64, f64)], names: &[String]) -> (Truth, Why) {
    mql_core::deep(|| truth_body(e, ranges, names))
}

fn truth_body(e: &Expr, ranges: &[(f64, f64)], names: &[String]) -> (Truth, Why) {
    if fold::is_const(e) {
        return match fold::eval(e) {
            Ok(Value::Bool(true)) => (
                Truth::Always,
                Some((
                    e.span,
                    "it doesn't depend on the lead and is always true".into(),
                )),
            ),
            Ok(Value::Bool(false)) | Ok(Value::Unknown) => (
                Truth::Never,
                Some((
                    e.span,
                    "it doesn't depend on the lead and is always false".into(),
                )),
            ),
            _ => (Truth::Maybe, None),
        };
    }
    match &e.kind {
        ExprKind::And(a, b) => {
            let (ta, wa) = truth(a, ranges, names);
            if ta == Truth::Never {
                return (ta, wa);
            }
            let (tb, wb) = truth(b, ranges, names);
            if tb == Truth::Never {
                return (tb, wb);
            }
            if ta == Truth::Always && tb == Truth::Always {
                return (Truth::Always, wa);
            }
            (Truth::Maybe, None)
        }
        ExprKind::Or(a, b) => {
            let (ta, wa) = truth(a, ranges, names);
            if ta == Truth::Always {
                return (ta, wa);
            }
            let (tb, wb) = truth(b, ranges, names);
            if tb == Truth::Always {
                return (tb, wb);
            }
            if ta == Truth::Never && tb == Truth::Never {
                return (Truth::Never, wa);
            }
            (Truth::Maybe, None)
        }
        ExprKind::Not(a) => match truth(a, ranges, names) {
            (Truth::Always, w) => (Truth::Never, w),
            (Truth::Never, w) => (Truth::Always, w),
            m => m,
        },
        ExprKind::Cmp(op, a, b) => {
            let (score, op, x) = match (&a.kind, &b.kind) {
                (ExprKind::ScoreRef(i), ExprKind::Lit(v)) => (*i, *op, v.as_f64()),
                (ExprKind::Lit(v), ExprKind::ScoreRef(i)) => (*i, flip(*op), v.as_f64()),
                _ => return (Truth::Maybe, None),
            };
            let Some(x) = x else {
                return (Truth::Maybe, None);
            };
            let Some(&(lo, hi)) = ranges.get(score as usize) else {
                return (Truth::Maybe, None);
            };
            let (always, never) = match op {
                CmpOp::Lt => (hi < x, lo >= x),
                CmpOp::Le => (hi <= x, lo > x),
                CmpOp::Gt => (lo > x, hi <= x),
                CmpOp::Ge => (lo >= x, hi < x),
                CmpOp::Eq => (lo == x && hi == x, x < lo || x > hi),
                CmpOp::Ne => (x < lo || x > hi, lo == x && hi == x),
            };
            why_range(e.span, score, lo, hi, always, never, names)
        }
        ExprKind::Between {
            value,
            lo: l,
            hi: h,
        } => {
            let (ExprKind::ScoreRef(i), ExprKind::Lit(a), ExprKind::Lit(b)) =
                (&value.kind, &l.kind, &h.kind)
            else {
                return (Truth::Maybe, None);
            };
            let (Some(a), Some(b), Some(&(lo, hi))) =
                (a.as_f64(), b.as_f64(), ranges.get(*i as usize))
            else {
                return (Truth::Maybe, None);
            };
            let always = a <= lo && hi <= b;
            let never = b < lo || a > hi || a > b;
            why_range(e.span, *i, lo, hi, always, never, names)
        }
        _ => (Truth::Maybe, None),
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

fn why_range(
    span: Span,
    score: u32,
    lo: f64,
    hi: f64,
    always: bool,
    never: bool,
    names: &[String],
) -> (Truth, Why) {
    let name = names
        .get(score as usize)
        .map(String::as_str)
        .unwrap_or("the score");
    let why = format!(
        "`{name}` can only be between {} and {}",
        show_num(lo),
        show_num(hi)
    );
    let why = if hi.is_infinite() && lo.is_finite() {
        format!("`{name}` is always at least {}", show_num(lo))
    } else if lo.is_infinite() && hi.is_finite() {
        format!("`{name}` is always at most {}", show_num(hi))
    } else {
        why
    };
    if never {
        (Truth::Never, Some((span, why)))
    } else if always {
        (Truth::Always, Some((span, why)))
    } else {
        (Truth::Maybe, None)
    }
}
