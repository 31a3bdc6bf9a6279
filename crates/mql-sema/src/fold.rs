//! Compile-time evaluation of expressions that depend neither on the lead nor
//! on `now`: folds consts, points, caps, decay parameters and list literals,
//! and finds conditions that are constant.

use std::cmp::Ordering;
use std::sync::Arc;

use mql_core::time::MS_PER_DAY;
use mql_core::Value;

use crate::hir::{ArithOp, CmpOp, Expr, ExprKind, Func, StrOp};

/// Why an expression could not be folded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldError {
    /// It depends on the lead, its events or `now`.
    NotConst,
    /// Integer arithmetic overflowed.
    Overflow,
}

type R = Result<Value, FoldError>;

/// True when `e` mentions nothing that depends on the lead or on `now`.
pub fn is_const(e: &Expr) -> bool {
    mql_core::deep(|| is_const_body(e))
}

fn is_const_body(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Lit(_) => true,
        ExprKind::Field(_)
        | ExprKind::EventField(_)
        | ExprKind::EventAt
        | ExprKind::Id
        | ExprKind::Now
        | ExprKind::TimeInStage
        | ExprKind::Stage
        | ExprKind::ValueRef(_)
        | ExprKind::ScoreRef(_)
        | ExprKind::TierRef(_)
        | ExprKind::Agg { .. } => false,
        ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::Matches(a, _) => is_const(a),
        ExprKind::Arith(_, a, b)
        | ExprKind::Cmp(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::StrTest(_, a, b) => is_const(a) && is_const(b),
        ExprKind::Between { value, lo, hi } => is_const(value) && is_const(lo) && is_const(hi),
        ExprKind::In { value, list, .. } => is_const(value) && is_const(list),
        ExprKind::Call(f, args) => *f != Func::Since && args.iter().all(is_const),
    }
}

/// Evaluate a constant expression.
pub fn eval(e: &Expr) -> R {
    mql_core::deep(|| eval_body(e))
}

fn eval_body(e: &Expr) -> R {
    match &e.kind {
        ExprKind::Lit(v) => Ok(v.clone()),
        ExprKind::Neg(a) => match eval(a)? {
            Value::Int(i) => i.checked_neg().map(Value::Int).ok_or(FoldError::Overflow),
            Value::Number(n) => Ok(Value::Number(-n)),
            Value::Duration(d) => d
                .checked_neg()
                .map(Value::Duration)
                .ok_or(FoldError::Overflow),
            _ => Ok(Value::Unknown),
        },
        ExprKind::Not(a) => Ok(match eval(a)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Unknown,
        }),
        ExprKind::Arith(op, a, b) => arith(*op, eval(a)?, eval(b)?),
        ExprKind::Cmp(op, a, b) => Ok(cmp(*op, &eval(a)?, &eval(b)?)),
        ExprKind::And(a, b) => {
            let l = eval(a)?;
            if l == Value::Bool(false) {
                return Ok(l);
            }
            let r = eval(b)?;
            Ok(match (l, r) {
                (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Unknown,
            })
        }
        ExprKind::Or(a, b) => {
            let l = eval(a)?;
            if l == Value::Bool(true) {
                return Ok(l);
            }
            let r = eval(b)?;
            Ok(match (l, r) {
                (_, Value::Bool(true)) => Value::Bool(true),
                (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                _ => Value::Unknown,
            })
        }
        ExprKind::Between { value, lo, hi } => {
            let v = eval(value)?;
            let a = cmp(CmpOp::Le, &eval(lo)?, &v);
            let b = cmp(CmpOp::Le, &v, &eval(hi)?);
            Ok(match (a, b) {
                (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Unknown,
            })
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => {
            let v = eval(value)?;
            let l = eval(list)?;
            Ok(match (&v, &l) {
                (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
                (_, Value::List(items)) => {
                    let found = items.iter().any(|x| equal(x, &v) == Some(true));
                    Value::Bool(found != *negated)
                }
                _ => Value::Unknown,
            })
        }
        ExprKind::StrTest(op, a, b) => Ok(match (eval(a)?, eval(b)?) {
            (Value::Str(s), Value::Str(t)) => Value::Bool(match op {
                StrOp::Contains => s.contains(&*t),
                StrOp::StartsWith => s.starts_with(&*t),
                StrOp::EndsWith => s.ends_with(&*t),
            }),
            _ => Value::Unknown,
        }),
        ExprKind::Matches(a, p) => Ok(match eval(a)? {
            Value::Str(s) => Value::Bool(p.0.is_match(&s)),
            _ => Value::Unknown,
        }),
        ExprKind::Call(f, args) => {
            if *f == Func::Since {
                return Err(FoldError::NotConst);
            }
            let vals = args.iter().map(eval).collect::<Result<Vec<_>, _>>()?;
            call(*f, &vals)
        }
        _ => Err(FoldError::NotConst),
    }
}

fn round_ms(x: f64) -> Result<i64, FoldError> {
    let r = x.round();
    if r.is_finite() && r.abs() <= i64::MAX as f64 {
        Ok(r as i64)
    } else {
        Err(FoldError::Overflow)
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn arith(op: ArithOp, a: Value, b: Value) -> R {
    use Value::*;
    let ovf = FoldError::Overflow;
    Ok(match (op, &a, &b) {
        (_, Unknown, _) | (_, _, Unknown) => Unknown,
        (ArithOp::Add, Int(x), Int(y)) => Int(x.checked_add(*y).ok_or(ovf)?),
        (ArithOp::Sub, Int(x), Int(y)) => Int(x.checked_sub(*y).ok_or(ovf)?),
        (ArithOp::Mul, Int(x), Int(y)) => Int(x.checked_mul(*y).ok_or(ovf)?),
        (ArithOp::Sub, Time(x), Time(y)) => Duration(x.checked_sub(*y).ok_or(ovf)?),
        (ArithOp::Add, Time(x), Duration(y)) | (ArithOp::Add, Duration(y), Time(x)) => {
            Time(x.checked_add(*y).ok_or(ovf)?)
        }
        (ArithOp::Sub, Time(x), Duration(y)) => Time(x.checked_sub(*y).ok_or(ovf)?),
        (ArithOp::Add, Duration(x), Duration(y)) => Duration(x.checked_add(*y).ok_or(ovf)?),
        (ArithOp::Sub, Duration(x), Duration(y)) => Duration(x.checked_sub(*y).ok_or(ovf)?),
        (ArithOp::Div, Duration(x), Duration(y)) => {
            if *y == 0 {
                Unknown
            } else {
                Number(*x as f64 / *y as f64)
            }
        }
        (ArithOp::Mul, Duration(d), n) | (ArithOp::Mul, n, Duration(d)) => match num(n) {
            Some(f) => Duration(round_ms(*d as f64 * f)?),
            None => Unknown,
        },
        (ArithOp::Div, Duration(d), n) => match num(n) {
            Some(f) if f != 0.0 => Duration(round_ms(*d as f64 / f)?),
            _ => Unknown,
        },
        _ => match (num(&a), num(&b)) {
            (Some(x), Some(y)) => match op {
                ArithOp::Add => Number(x + y),
                ArithOp::Sub => Number(x - y),
                ArithOp::Mul => Number(x * y),
                ArithOp::Div => {
                    if y == 0.0 {
                        Unknown
                    } else {
                        Number(x / y)
                    }
                }
            },
            _ => Unknown,
        },
    })
}

/// Equality of two known values (int and number compare numerically).
pub fn equal(a: &Value, b: &Value) -> Option<bool> {
    use Value::*;
    Some(match (a, b) {
        (Unknown, _) | (_, Unknown) => return None,
        (Int(x), Int(y)) => x == y,
        (Int(_) | Number(_), Int(_) | Number(_)) => num(a) == num(b),
        (List(x), List(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| equal(p, q) == Some(true))
        }
        _ => a == b,
    })
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Int(_) | Number(_), Int(_) | Number(_)) => num(a)?.partial_cmp(&num(b)?),
        (Str(x), Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Time(x), Time(y)) | (Duration(x), Duration(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn cmp(op: CmpOp, a: &Value, b: &Value) -> Value {
    let r = match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => equal(a, b).map(|x| !x),
        _ => order(a, b).map(|o| match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }),
    };
    r.map(Value::Bool).unwrap_or(Value::Unknown)
}

fn call(f: Func, v: &[Value]) -> R {
    use Value::*;
    let first = v.first().cloned().unwrap_or(Unknown);
    if f == Func::Known {
        return Ok(Bool(first.is_known()));
    }
    if f == Func::Default {
        return Ok(if first.is_known() {
            first
        } else {
            v.get(1).cloned().unwrap_or(Unknown)
        });
    }
    if v.iter().any(|x| !x.is_known()) {
        return Ok(Unknown);
    }
    Ok(match (f, &first) {
        (Func::Lower, Str(s)) => Str(Arc::from(s.to_lowercase())),
        (Func::Upper, Str(s)) => Str(Arc::from(s.to_uppercase())),
        (Func::Trim, Str(s)) => Str(Arc::from(s.trim())),
        (Func::Length, Str(s)) => Int(s.chars().count() as i64),
        (Func::Length, List(l)) => Int(l.len() as i64),
        (Func::Domain, Str(s)) => match s.rfind('@') {
            Some(i) => Str(Arc::from(s[i + 1..].to_lowercase())),
            None => Unknown,
        },
        (Func::Min | Func::Max, _) => {
            if v.iter().all(|x| matches!(x, Int(_))) {
                let ints = v.iter().filter_map(|x| match x {
                    Int(i) => Some(*i),
                    _ => None,
                });
                Int(if f == Func::Min {
                    ints.min().unwrap_or(0)
                } else {
                    ints.max().unwrap_or(0)
                })
            } else {
                let nums: Vec<f64> = v.iter().filter_map(num).collect();
                let r =
                    nums.iter().copied().reduce(
                        |a, b| {
                            if f == Func::Min {
                                a.min(b)
                            } else {
                                a.max(b)
                            }
                        },
                    );
                r.map(Number).unwrap_or(Unknown)
            }
        }
        (Func::Abs, Int(i)) => Int(i.checked_abs().ok_or(FoldError::Overflow)?),
        (Func::Abs, Number(n)) => Number(n.abs()),
        (Func::Round, x) => match (num(x), v.get(1)) {
            (Some(x), Some(Int(d))) => {
                let p = 10f64.powi((*d).clamp(-400, 400) as i32);
                Number((x * p).round() / p)
            }
            _ => Unknown,
        },
        (Func::Hour, Time(t)) => Int(t.rem_euclid(MS_PER_DAY) / 3_600_000),
        (Func::Weekday, Time(t)) => Int((t.div_euclid(MS_PER_DAY).rem_euclid(7) + 3) % 7 + 1),
        (Func::Day, Time(t)) => Time(t.div_euclid(MS_PER_DAY) * MS_PER_DAY),
        (Func::Days, Duration(d)) => Number(*d as f64 / MS_PER_DAY as f64),
        _ => Unknown,
    })
}
