//! Value-level operations of the language (spec §5): arithmetic with overflow
//! checks, comparisons, membership, functions and decay, shared by the VM and
//! the explanation code.

use std::cmp::Ordering;

use mql_core::Value;
use mql_sema::hir::{CmpOp, Decay};

use crate::program::{ArithKind, CmpKind, FuncKind, NegKind};

pub const MS_PER_HOUR: i64 = 3_600_000;
pub const MS_PER_DAY: i64 = 86_400_000;

/// Why an operation failed for a lead (before the VM says where).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpError {
    IntOverflow,
    DurationOverflow,
}

impl OpError {
    pub fn describe(self) -> &'static str {
        match self {
            OpError::IntOverflow => "whole-number overflow",
            OpError::DurationOverflow => "duration or time out of range",
        }
    }
}

pub type OpResult = Result<Value, OpError>;

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn i64_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) | Value::Time(i) | Value::Duration(i) => Some(*i),
        _ => None,
    }
}

/// A double rounded half away from zero to a whole number of milliseconds.
fn ms_from_f64(x: f64) -> Result<Option<i64>, OpError> {
    if x.is_nan() {
        return Ok(None);
    }
    let r = x.round();
    if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
        return Err(OpError::DurationOverflow);
    }
    Ok(Some(r as i64))
}

pub fn arith(kind: ArithKind, l: &Value, r: &Value) -> OpResult {
    use ArithKind::*;
    if !l.is_known() || !r.is_known() {
        return Ok(Value::Unknown);
    }
    let int2 = |f: fn(i64, i64) -> Option<i64>, e: OpError, wrap: fn(i64) -> Value| match (
        i64_of(l),
        i64_of(r),
    ) {
        (Some(a), Some(b)) => f(a, b).map(wrap).ok_or(e),
        _ => Ok(Value::Unknown),
    };
    let num2 = |f: fn(f64, f64) -> f64| match (num(l), num(r)) {
        (Some(a), Some(b)) => Ok(Value::Number(f(a, b))),
        _ => Ok(Value::Unknown),
    };
    let dur = |x: f64| ms_from_f64(x).map(|o| o.map_or(Value::Unknown, Value::Duration));
    match kind {
        AddInt => int2(i64::checked_add, OpError::IntOverflow, Value::Int),
        SubInt => int2(i64::checked_sub, OpError::IntOverflow, Value::Int),
        MulInt => int2(i64::checked_mul, OpError::IntOverflow, Value::Int),
        AddNum => num2(|a, b| a + b),
        SubNum => num2(|a, b| a - b),
        MulNum => num2(|a, b| a * b),
        DivNum => match (num(l), num(r)) {
            (Some(a), Some(b)) if b != 0.0 => Ok(Value::Number(a / b)),
            _ => Ok(Value::Unknown),
        },
        TimeMinusTime => int2(i64::checked_sub, OpError::DurationOverflow, Value::Duration),
        TimePlusDur | DurPlusTime => int2(i64::checked_add, OpError::DurationOverflow, Value::Time),
        TimeMinusDur => int2(i64::checked_sub, OpError::DurationOverflow, Value::Time),
        DurPlusDur => int2(i64::checked_add, OpError::DurationOverflow, Value::Duration),
        DurMinusDur => int2(i64::checked_sub, OpError::DurationOverflow, Value::Duration),
        DurTimesNum => match (i64_of(l), num(r)) {
            (Some(d), Some(n)) => dur(d as f64 * n),
            _ => Ok(Value::Unknown),
        },
        NumTimesDur => match (num(l), i64_of(r)) {
            (Some(n), Some(d)) => dur(n * d as f64),
            _ => Ok(Value::Unknown),
        },
        DurDivNum => match (i64_of(l), num(r)) {
            (Some(d), Some(n)) if n != 0.0 => dur(d as f64 / n),
            _ => Ok(Value::Unknown),
        },
        DurDivDur => match (i64_of(l), i64_of(r)) {
            (Some(_), Some(0)) => Ok(Value::Unknown),
            (Some(a), Some(b)) => Ok(Value::Number(a as f64 / b as f64)),
            _ => Ok(Value::Unknown),
        },
    }
}

pub fn neg(kind: NegKind, v: &Value) -> OpResult {
    match (kind, v) {
        (_, Value::Unknown) => Ok(Value::Unknown),
        (NegKind::Int, Value::Int(i)) => {
            i.checked_neg().map(Value::Int).ok_or(OpError::IntOverflow)
        }
        (NegKind::Dur, Value::Duration(d)) => d
            .checked_neg()
            .map(Value::Duration)
            .ok_or(OpError::DurationOverflow),
        (_, v) => Ok(num(v).map_or(Value::Unknown, |n| Value::Number(-n))),
    }
}

pub fn not(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        _ => Value::Unknown,
    }
}

pub(crate) fn ord_holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

pub(crate) fn num_holds(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

/// Equality of two known or unknown values; ints and numbers compare as
/// doubles, lists element by element.
pub fn value_eq(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Unknown, _) | (_, Value::Unknown) => None,
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        (Value::Int(_) | Value::Number(_), Value::Int(_) | Value::Number(_)) => {
            Some(num(a)? == num(b)?)
        }
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.iter().zip(y.iter()) {
                match value_eq(p, q) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        _ => Some(a == b),
    }
}

pub fn compare(kind: CmpKind, op: CmpOp, a: &Value, b: &Value) -> Value {
    if !a.is_known() || !b.is_known() {
        return Value::Unknown;
    }
    let r = match kind {
        CmpKind::I64 => match (i64_of(a), i64_of(b)) {
            (Some(x), Some(y)) => Some(ord_holds(op, x.cmp(&y))),
            _ => None,
        },
        CmpKind::Num => match (num(a), num(b)) {
            (Some(x), Some(y)) => Some(num_holds(op, x, y)),
            _ => None,
        },
        CmpKind::Str => match (a, b) {
            (Value::Str(x), Value::Str(y)) => Some(ord_holds(op, x.as_bytes().cmp(y.as_bytes()))),
            _ => None,
        },
        CmpKind::Any => match op {
            CmpOp::Eq => value_eq(a, b),
            CmpOp::Ne => value_eq(a, b).map(|e| !e),
            _ => None,
        },
    };
    r.map_or(Value::Unknown, Value::Bool)
}

/// Kleene `and` of two truth values.
pub fn and(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Unknown,
    }
}

/// Kleene `or` of two truth values.
pub fn or(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
        (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
        _ => Value::Unknown,
    }
}

pub fn member(v: &Value, list: &Value, negated: bool) -> Value {
    let (Value::List(items), true) = (list, v.is_known()) else {
        return Value::Unknown;
    };
    // enums and text, the usual list elements, compare directly
    let found = match v {
        Value::Enum(e) => items.iter().any(|x| matches!(x, Value::Enum(y) if y == e)),
        Value::Str(t) => items
            .iter()
            .any(|x| matches!(x, Value::Str(y) if y.as_bytes() == t.as_bytes())),
        _ => items.iter().any(|item| value_eq(v, item) == Some(true)),
    };
    Value::Bool(found != negated)
}

pub fn str_test(op: mql_sema::hir::StrOp, s: &Value, t: &Value) -> Value {
    use mql_sema::hir::StrOp;
    match (s, t) {
        (Value::Str(s), Value::Str(t)) => Value::Bool(match op {
            StrOp::Contains => s.contains(&**t),
            StrOp::StartsWith => s.starts_with(&**t),
            StrOp::EndsWith => s.ends_with(&**t),
        }),
        _ => Value::Unknown,
    }
}

/// `round(x, digits)`: `x × 10^digits` rounded half away from zero, divided back.
pub fn round_to(x: f64, digits: i64) -> f64 {
    let d = digits.clamp(-400, 400) as i32;
    let p = 10f64.powi(d);
    (x * p).round() / p
}

/// Applies a function to its already-evaluated arguments. `now` is for `since`.
pub fn call(kind: FuncKind, args: &[Value], now: i64) -> OpResult {
    use FuncKind::*;
    let a = &args[0];
    if !matches!(kind, Known | Default) && args.iter().any(|v| !v.is_known()) {
        return Ok(Value::Unknown);
    }
    let s = |f: fn(&str) -> String| match a {
        Value::Str(s) => Value::Str(f(s).into()),
        _ => Value::Unknown,
    };
    Ok(match kind {
        Lower => s(str::to_lowercase),
        Upper => s(str::to_uppercase),
        Trim => s(|x| x.trim().to_string()),
        LengthStr | LengthList => match a {
            Value::Str(s) => Value::Int(s.chars().count() as i64),
            Value::List(l) => Value::Int(l.len() as i64),
            _ => Value::Unknown,
        },
        Domain => match a {
            Value::Str(s) => match s.rfind('@') {
                Some(i) => {
                    let d = &s[i + 1..];
                    // most domains are lower-case ASCII already: one copy, not two
                    if d.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
                        Value::Str(d.into())
                    } else {
                        Value::Str(d.to_lowercase().into())
                    }
                }
                None => Value::Unknown,
            },
            _ => Value::Unknown,
        },
        Known => Value::Bool(a.is_known()),
        Default => {
            if a.is_known() {
                a.clone()
            } else {
                args[1].clone()
            }
        }
        MinInt | MaxInt => match (a, &args[1]) {
            (Value::Int(x), Value::Int(y)) => {
                Value::Int(if kind == MinInt { *x.min(y) } else { *x.max(y) })
            }
            _ => Value::Unknown,
        },
        MinNum | MaxNum => match (num(a), num(&args[1])) {
            (Some(x), Some(y)) => Value::Number(if (kind == MinNum) == (y < x) { y } else { x }),
            _ => Value::Unknown,
        },
        AbsInt => match a {
            Value::Int(i) => Value::Int(i.checked_abs().ok_or(OpError::IntOverflow)?),
            _ => Value::Unknown,
        },
        AbsNum => num(a).map_or(Value::Unknown, |n| Value::Number(n.abs())),
        Round => match (num(a), &args[1]) {
            (Some(x), Value::Int(d)) => Value::Number(round_to(x, *d)),
            _ => Value::Unknown,
        },
        Since => match a {
            Value::Time(t) => {
                Value::Duration(now.checked_sub(*t).ok_or(OpError::DurationOverflow)?)
            }
            _ => Value::Unknown,
        },
        Hour => match a {
            Value::Time(t) => Value::Int(t.rem_euclid(MS_PER_DAY) / MS_PER_HOUR),
            _ => Value::Unknown,
        },
        Weekday => match a {
            Value::Time(t) => Value::Int((t.div_euclid(MS_PER_DAY) + 3).rem_euclid(7) + 1),
            _ => Value::Unknown,
        },
        Day => match a {
            Value::Time(t) => Value::Time(t - t.rem_euclid(MS_PER_DAY)),
            _ => Value::Unknown,
        },
        Days => match a {
            Value::Duration(d) => Value::Number(*d as f64 / MS_PER_DAY as f64),
            _ => Value::Unknown,
        },
    })
}

/// The decay factor for an age in milliseconds (spec §6).
pub fn decay_factor(decay: Decay, age_ms: i64) -> f64 {
    let a = age_ms as f64;
    match decay {
        Decay::None => 1.0,
        Decay::HalfLife(h) => 0.5f64.powf(a / h),
        Decay::Linear(t) => (1.0 - a / t).max(0.0),
        Decay::Step { percent, every } => (1.0 - percent / 100.0).powf((a / every).floor()),
    }
}

/// `up to CAP`: bound a total's size.
pub fn apply_cap(total: f64, cap: Option<f64>) -> f64 {
    match cap {
        Some(c) if total > 0.0 => total.min(c),
        Some(c) if total < 0.0 => total.max(-c),
        _ => total,
    }
}

/// Clamp a score to its range.
pub fn clamp(total: f64, range: Option<(f64, f64)>) -> f64 {
    match range {
        Some((lo, _)) if total < lo => lo,
        Some((_, hi)) if total > hi => hi,
        _ => total,
    }
}
