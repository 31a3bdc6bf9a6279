//! A small tree-walking evaluator over the HIR, written for obviousness
//! rather than speed. Tests compare the VM against it.

use mql_core::{EventRec, LeadId, LeadRecord, Sym, Value};
use mql_sema::hir::{
    AggKind, ArithOp, CmpOp, Decay, Expr, ExprKind, Func, Model, Query, RuleKind, StrOp, ValueKind,
};

/// What the reference computes for a lead (`None` error = evaluated fine).
#[derive(Debug, Clone, PartialEq)]
pub struct RefResult {
    pub error: bool,
    pub stage: Option<Sym>,
    pub from_stage: Option<Sym>,
    pub path: Vec<(Sym, Sym, u32)>,
    pub cycle: Option<(Sym, Sym, u32)>,
    pub scores: Vec<f64>,
    pub tiers: Vec<Option<Sym>>,
    pub segments: Vec<u32>,
    pub criteria: Vec<(u32, Option<bool>)>,
    pub contributions: Vec<Vec<f64>>,
}

struct Overflow;

type R = Result<Value, Overflow>;

struct Env<'a> {
    model: &'a Model,
    lead: &'a LeadRecord,
    now: i64,
    event: Option<&'a EventRec>,
    time_in_stage: Option<i64>,
}

fn truth(v: &Value) -> bool {
    *v == Value::Bool(true)
}

fn f(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

fn eq(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Unknown, _) | (_, Value::Unknown) => None,
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        (Value::Number(_), _) | (_, Value::Number(_)) => Some(f(a)? == f(b)?),
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut r = Some(true);
            for (p, q) in x.iter().zip(y.iter()) {
                match eq(p, q) {
                    Some(false) => return Some(false),
                    None => r = None,
                    _ => {}
                }
            }
            r
        }
        _ => Some(a == b),
    }
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) | (Value::Duration(x), Value::Duration(y)) => {
            Some(x.cmp(y))
        }
        (Value::Str(x), Value::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => f(a)?.partial_cmp(&f(b)?),
    }
}

fn cmp(op: CmpOp, a: &Value, b: &Value) -> Value {
    use std::cmp::Ordering::*;
    if !a.is_known() || !b.is_known() {
        return Value::Unknown;
    }
    let r = match op {
        CmpOp::Eq => eq(a, b),
        CmpOp::Ne => eq(a, b).map(|x| !x),
        CmpOp::Lt => Some(order(a, b) == Some(Less)),
        CmpOp::Le => Some(matches!(order(a, b), Some(Less | Equal))),
        CmpOp::Gt => Some(order(a, b) == Some(Greater)),
        CmpOp::Ge => Some(matches!(order(a, b), Some(Greater | Equal))),
    };
    r.map_or(Value::Unknown, Value::Bool)
}

fn kleene_and(a: &Value, b: &Value) -> Value {
    if *a == Value::Bool(false) || *b == Value::Bool(false) {
        Value::Bool(false)
    } else if truth(a) && truth(b) {
        Value::Bool(true)
    } else {
        Value::Unknown
    }
}

fn dur(x: f64) -> R {
    if x.is_nan() {
        return Ok(Value::Unknown);
    }
    let r = x.round();
    if r >= 9.2e18 || r <= -9.2e18 {
        return Err(Overflow);
    }
    Ok(Value::Duration(r as i64))
}

fn decay(d: Decay, age: i64) -> f64 {
    let a = age as f64;
    match d {
        Decay::None => 1.0,
        Decay::HalfLife(h) => 0.5f64.powf(a / h),
        Decay::Linear(t) => (1.0 - a / t).max(0.0),
        Decay::Step { percent, every } => (1.0 - percent / 100.0).powf((a / every).floor()),
    }
}

impl Env<'_> {
    fn matches(&self, q: &Query) -> Result<Vec<&EventRec>, Overflow> {
        let mut out = Vec::new();
        let Some(group) = self.lead.events.get(q.event as usize) else {
            return Ok(out);
        };
        for e in group {
            if e.at > self.now {
                continue;
            }
            if let Some(w) = q.within {
                if e.at <= self.now.saturating_sub(w) {
                    continue;
                }
            }
            if let Some(filter) = &q.filter {
                let env = Env {
                    event: Some(e),
                    ..*self
                };
                if !truth(&env.ev(filter)?) {
                    continue;
                }
            }
            out.push(e);
        }
        Ok(out)
    }

    /// The first (or, reversed, the last) matching event, scanning only as
    /// far as needed (like the VM: filters after the decisive event are not run).
    fn find(&self, q: &Query, newest: bool) -> Result<Option<&EventRec>, Overflow> {
        let Some(group) = self.lead.events.get(q.event as usize) else {
            return Ok(None);
        };
        let mut order: Vec<&EventRec> = group.iter().collect();
        if newest {
            order.reverse();
        }
        for e in order {
            let in_window =
                e.at <= self.now && q.within.is_none_or(|w| e.at > self.now.saturating_sub(w));
            if !in_window {
                continue;
            }
            let ok = match &q.filter {
                Some(filter) => truth(
                    &Env {
                        event: Some(e),
                        ..*self
                    }
                    .ev(filter)?,
                ),
                None => true,
            };
            if ok {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    fn score(&self, i: u32) -> Result<(f64, Vec<f64>), Overflow> {
        let s = &self.model.scores[i as usize];
        let env = Env {
            event: None,
            time_in_stage: None,
            ..*self
        };
        let mut total = 0.0;
        let mut parts = Vec::new();
        for r in &s.rules {
            let mut t = match &r.kind {
                RuleKind::Cond(c) => {
                    if truth(&env.ev(c)?) {
                        r.points
                    } else {
                        0.0
                    }
                }
                RuleKind::Each(q) => {
                    let mut sum = 0.0;
                    for e in env.matches(q)? {
                        sum += r.points * decay(s.decay, self.now - e.at);
                    }
                    sum
                }
                RuleKind::Latest(q) => match env.find(q, true)? {
                    Some(e) => r.points * decay(s.decay, self.now - e.at),
                    None => 0.0,
                },
            };
            if let Some(cap) = r.cap {
                if t > cap {
                    t = cap;
                } else if t < -cap {
                    t = -cap;
                }
            }
            parts.push(t);
            total += t;
        }
        if let Some((lo, hi)) = s.range {
            if total < lo {
                total = lo;
            } else if total > hi {
                total = hi;
            }
        }
        Ok((total, parts))
    }

    fn tier(&self, i: u32) -> Result<Option<Sym>, Overflow> {
        let env = Env {
            event: None,
            time_in_stage: None,
            ..*self
        };
        for arm in &self.model.tiers[i as usize].arms {
            match &arm.cond {
                None => return Ok(Some(arm.label)),
                Some(c) => {
                    if truth(&env.ev(c)?) {
                        return Ok(Some(arm.label));
                    }
                }
            }
        }
        Ok(None)
    }

    fn ev(&self, e: &Expr) -> R {
        mql_core::deep(|| self.ev_body(e))
    }

    fn ev_body(&self, e: &Expr) -> R {
        Ok(match &e.kind {
            ExprKind::Lit(v) => v.clone(),
            ExprKind::Field(i) => self.lead.fields[*i as usize].clone(),
            ExprKind::EventField(i) => self
                .event
                .map_or(Value::Unknown, |ev| ev.fields[*i as usize].clone()),
            ExprKind::EventAt => self.event.map_or(Value::Unknown, |ev| Value::Time(ev.at)),
            ExprKind::Id => Value::Str(match &self.lead.id {
                LeadId::Str(s) => s.clone(),
                LeadId::Int(i) => i.to_string().into(),
            }),
            ExprKind::Now => Value::Time(self.now),
            ExprKind::TimeInStage => self.time_in_stage.map_or(Value::Unknown, Value::Duration),
            ExprKind::Stage => Value::Unknown,
            ExprKind::ValueRef(i) => {
                let env = Env {
                    event: None,
                    time_in_stage: None,
                    ..*self
                };
                env.ev(&self.model.values[*i as usize].expr)?
            }
            ExprKind::ScoreRef(i) => Value::Number(self.score(*i)?.0),
            ExprKind::TierRef(i) => self.tier(*i)?.map_or(Value::Unknown, Value::Enum),
            ExprKind::Neg(a) => match self.ev(a)? {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or(Overflow)?),
                Value::Number(n) => Value::Number(-n),
                Value::Duration(d) => Value::Duration(d.checked_neg().ok_or(Overflow)?),
                _ => Value::Unknown,
            },
            ExprKind::Not(a) => match self.ev(a)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Unknown,
            },
            ExprKind::Arith(op, a, b) => {
                let (x, y) = (self.ev(a)?, self.ev(b)?);
                use Value::*;
                match (op, &x, &y) {
                    (_, Unknown, _) | (_, _, Unknown) => Unknown,
                    (ArithOp::Add, Int(p), Int(q)) => Int(p.checked_add(*q).ok_or(Overflow)?),
                    (ArithOp::Sub, Int(p), Int(q)) => Int(p.checked_sub(*q).ok_or(Overflow)?),
                    (ArithOp::Mul, Int(p), Int(q)) => Int(p.checked_mul(*q).ok_or(Overflow)?),
                    (ArithOp::Sub, Time(p), Time(q)) => {
                        Duration(p.checked_sub(*q).ok_or(Overflow)?)
                    }
                    (ArithOp::Add, Time(p), Duration(q)) | (ArithOp::Add, Duration(q), Time(p)) => {
                        Time(p.checked_add(*q).ok_or(Overflow)?)
                    }
                    (ArithOp::Sub, Time(p), Duration(q)) => {
                        Time(p.checked_sub(*q).ok_or(Overflow)?)
                    }
                    (ArithOp::Add, Duration(p), Duration(q)) => {
                        Duration(p.checked_add(*q).ok_or(Overflow)?)
                    }
                    (ArithOp::Sub, Duration(p), Duration(q)) => {
                        Duration(p.checked_sub(*q).ok_or(Overflow)?)
                    }
                    (ArithOp::Div, Duration(_), Duration(0)) => Unknown,
                    (ArithOp::Div, Duration(p), Duration(q)) => Number(*p as f64 / *q as f64),
                    (ArithOp::Mul, Duration(p), n) | (ArithOp::Mul, n, Duration(p)) => {
                        dur(*p as f64 * f(n).unwrap_or(f64::NAN))?
                    }
                    (ArithOp::Div, Duration(p), n) => match f(n) {
                        Some(z) if z != 0.0 => dur(*p as f64 / z)?,
                        _ => Unknown,
                    },
                    _ => {
                        let (Some(p), Some(q)) = (f(&x), f(&y)) else {
                            return Ok(Unknown);
                        };
                        match op {
                            ArithOp::Add => Number(p + q),
                            ArithOp::Sub => Number(p - q),
                            ArithOp::Mul => Number(p * q),
                            ArithOp::Div if q == 0.0 => Unknown,
                            ArithOp::Div => Number(p / q),
                        }
                    }
                }
            }
            ExprKind::Cmp(op, a, b) => cmp(*op, &self.ev(a)?, &self.ev(b)?),
            ExprKind::And(a, b) => {
                let x = self.ev(a)?;
                if x == Value::Bool(false) {
                    x
                } else {
                    kleene_and(&x, &self.ev(b)?)
                }
            }
            ExprKind::Or(a, b) => {
                let x = self.ev(a)?;
                if truth(&x) {
                    x
                } else {
                    let y = self.ev(b)?;
                    if truth(&y) {
                        y
                    } else if x == Value::Bool(false) && y == Value::Bool(false) {
                        x
                    } else {
                        Value::Unknown
                    }
                }
            }
            ExprKind::Between { value, lo, hi } => {
                // `lo <= value and value <= hi`, skipping hi when the first is false
                let (v, l) = (self.ev(value)?, self.ev(lo)?);
                let first = cmp(CmpOp::Le, &l, &v);
                if first == Value::Bool(false) {
                    first
                } else {
                    kleene_and(&first, &cmp(CmpOp::Le, &v, &self.ev(hi)?))
                }
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let (v, l) = (self.ev(value)?, self.ev(list)?);
                match (&v, &l) {
                    (Value::Unknown, _) => Value::Unknown,
                    (_, Value::List(items)) => {
                        Value::Bool(items.iter().any(|i| eq(&v, i) == Some(true)) != *negated)
                    }
                    _ => Value::Unknown,
                }
            }
            ExprKind::StrTest(op, a, b) => match (self.ev(a)?, self.ev(b)?) {
                (Value::Str(s), Value::Str(t)) => Value::Bool(match op {
                    StrOp::Contains => s.contains(&*t),
                    StrOp::StartsWith => s.starts_with(&*t),
                    StrOp::EndsWith => s.ends_with(&*t),
                }),
                _ => Value::Unknown,
            },
            ExprKind::Matches(a, p) => match self.ev(a)? {
                Value::Str(s) => Value::Bool(p.0.is_match(&s)),
                _ => Value::Unknown,
            },
            ExprKind::Call(func, args) => {
                let vals = args
                    .iter()
                    .map(|a| self.ev(a))
                    .collect::<Result<Vec<_>, _>>()?;
                self.call(*func, &vals)?
            }
            ExprKind::Agg {
                kind: AggKind::Exists,
                query,
                ..
            } => Value::Bool(self.find(query, false)?.is_some()),
            ExprKind::Agg {
                kind: AggKind::First,
                query,
                ..
            } => self
                .find(query, false)?
                .map_or(Value::Unknown, |e| Value::Time(e.at)),
            ExprKind::Agg {
                kind: AggKind::Last,
                query,
                ..
            } => self
                .find(query, true)?
                .map_or(Value::Unknown, |e| Value::Time(e.at)),
            ExprKind::Agg { kind, query, arg } => {
                let evs = self.matches(query)?;
                let mut vals = Vec::new();
                if let Some(a) = arg {
                    for e in &evs {
                        let env = Env {
                            event: Some(e),
                            ..*self
                        };
                        let v = env.ev(a)?;
                        if v.is_known() {
                            vals.push(v);
                        }
                    }
                }
                match kind {
                    AggKind::Count => Value::Int(evs.len() as i64),
                    AggKind::Exists => Value::Bool(!evs.is_empty()),
                    AggKind::First => evs.first().map_or(Value::Unknown, |e| Value::Time(e.at)),
                    AggKind::Last => evs.last().map_or(Value::Unknown, |e| Value::Time(e.at)),
                    AggKind::Sum => {
                        if arg.as_ref().is_some_and(|a| a.ty == mql_core::Ty::Int) {
                            let mut s: i64 = 0;
                            for v in &vals {
                                if let Value::Int(i) = v {
                                    s = s.checked_add(*i).ok_or(Overflow)?;
                                }
                            }
                            Value::Int(s)
                        } else {
                            Value::Number(vals.iter().filter_map(f).fold(0.0, |a, b| a + b))
                        }
                    }
                    AggKind::Avg => {
                        if vals.is_empty() {
                            Value::Unknown
                        } else {
                            let s = vals.iter().filter_map(f).fold(0.0, |a, b| a + b);
                            Value::Number(s / vals.len() as f64)
                        }
                    }
                    AggKind::Min | AggKind::Max => {
                        let mut best: Option<&Value> = None;
                        for v in &vals {
                            let better = match best {
                                None => true,
                                Some(b) => {
                                    let o = order(v, b);
                                    if *kind == AggKind::Min {
                                        o == Some(std::cmp::Ordering::Less)
                                    } else {
                                        o == Some(std::cmp::Ordering::Greater)
                                    }
                                }
                            };
                            if better {
                                best = Some(v);
                            }
                        }
                        best.cloned().unwrap_or(Value::Unknown)
                    }
                    AggKind::Distinct => {
                        let mut seen: Vec<&Value> = Vec::new();
                        for v in &vals {
                            if !seen.iter().any(|s| eq(s, v) == Some(true)) {
                                seen.push(v);
                            }
                        }
                        Value::Int(seen.len() as i64)
                    }
                }
            }
        })
    }

    fn call(&self, func: Func, v: &[Value]) -> R {
        use Value::*;
        if !matches!(func, Func::Known | Func::Default) && v.iter().any(|x| !x.is_known()) {
            return Ok(Unknown);
        }
        const DAY: i64 = 86_400_000;
        Ok(match (func, &v[0]) {
            (Func::Known, x) => Bool(x.is_known()),
            (Func::Default, x) => {
                if x.is_known() {
                    x.clone()
                } else {
                    v[1].clone()
                }
            }
            (Func::Lower, Str(s)) => Str(s.to_lowercase().into()),
            (Func::Upper, Str(s)) => Str(s.to_uppercase().into()),
            (Func::Trim, Str(s)) => Str(s.trim().into()),
            (Func::Length, Str(s)) => Int(s.chars().count() as i64),
            (Func::Length, List(l)) => Int(l.len() as i64),
            (Func::Domain, Str(s)) => match s.rsplit_once('@') {
                Some((_, d)) => Str(d.to_lowercase().into()),
                None => Unknown,
            },
            (Func::Min | Func::Max, Int(a)) if matches!(v[1], Int(_)) => {
                let Int(b) = v[1] else { return Ok(Unknown) };
                Int(if func == Func::Min {
                    (*a).min(b)
                } else {
                    (*a).max(b)
                })
            }
            (Func::Min | Func::Max, a) => {
                let (x, y) = (f(a).unwrap_or(f64::NAN), f(&v[1]).unwrap_or(f64::NAN));
                Number(if func == Func::Min {
                    if y < x {
                        y
                    } else {
                        x
                    }
                } else if y > x {
                    y
                } else {
                    x
                })
            }
            (Func::Abs, Int(i)) => Int(i.checked_abs().ok_or(Overflow)?),
            (Func::Abs, Number(n)) => Number(n.abs()),
            (Func::Round, x) => {
                let Int(d) = v[1] else { return Ok(Unknown) };
                let p = 10f64.powi(d.clamp(-400, 400) as i32);
                Number((f(x).unwrap_or(f64::NAN) * p).round() / p)
            }
            (Func::Since, Time(t)) => Duration(self.now.checked_sub(*t).ok_or(Overflow)?),
            (Func::Hour, Time(t)) => Int(t.rem_euclid(DAY) / 3_600_000),
            (Func::Weekday, Time(t)) => Int((t.div_euclid(DAY) + 3).rem_euclid(7) + 1),
            (Func::Day, Time(t)) => Time(t.div_euclid(DAY) * DAY),
            (Func::Days, Duration(d)) => Number(*d as f64 / DAY as f64),
            _ => Unknown,
        })
    }
}

/// Evaluate a lead the slow, obvious way.
pub fn evaluate(model: &Model, lead: &LeadRecord, now: i64) -> RefResult {
    let env = Env {
        model,
        lead,
        now,
        event: None,
        time_in_stage: None,
    };
    let failed = RefResult {
        error: true,
        stage: None,
        from_stage: None,
        path: vec![],
        cycle: None,
        scores: vec![],
        tiers: vec![],
        segments: vec![],
        criteria: vec![],
        contributions: vec![],
    };
    let mut values = Vec::new();
    for v in &model.values {
        match env.ev(&v.expr) {
            Ok(x) => values.push(x),
            Err(Overflow) => return failed,
        }
    }
    let mut scores = Vec::new();
    let mut contributions = Vec::new();
    for i in 0..model.scores.len() {
        match env.score(i as u32) {
            Ok((s, parts)) => {
                scores.push(s);
                contributions.push(parts);
            }
            Err(Overflow) => return failed,
        }
    }
    let mut tiers = Vec::new();
    for i in 0..model.tiers.len() {
        match env.tier(i as u32) {
            Ok(t) => tiers.push(t),
            Err(Overflow) => return failed,
        }
    }
    let from_stage = model
        .schema
        .stages
        .as_ref()
        .and_then(|s| lead.stage.or(s.syms.first().copied()));
    let mut path = Vec::new();
    let mut cycle = None;
    if let Some(start) = from_stage {
        let mut current = start;
        let mut visited = vec![start];
        let mut tis = lead.stage_since.and_then(|t| now.checked_sub(t));
        'walk: loop {
            let tenv = Env {
                time_in_stage: tis,
                ..env
            };
            for (i, t) in model.transitions.iter().enumerate() {
                let applies = match t.from {
                    Some(f) => f == current,
                    None => t.to != current,
                };
                if !applies {
                    continue;
                }
                match tenv.ev(&t.cond) {
                    Err(Overflow) => return failed,
                    Ok(v) if truth(&v) => {
                        if visited.contains(&t.to) {
                            cycle = Some((current, t.to, i as u32));
                            break 'walk;
                        }
                        visited.push(t.to);
                        path.push((current, t.to, i as u32));
                        current = t.to;
                        tis = Some(0);
                        continue 'walk;
                    }
                    Ok(_) => {}
                }
            }
            break;
        }
    }
    let stage = path.last().map(|p| p.1).or(from_stage);
    let pick = |k: ValueKind| {
        model
            .values
            .iter()
            .enumerate()
            .filter(move |(_, v)| v.kind == k)
            .map(|(i, _)| i as u32)
    };
    RefResult {
        error: false,
        stage,
        from_stage,
        path,
        cycle,
        scores,
        tiers,
        segments: pick(ValueKind::Segment)
            .filter(|&i| truth(&values[i as usize]))
            .collect(),
        criteria: pick(ValueKind::Criterion)
            .map(|i| (i, values[i as usize].as_bool()))
            .collect(),
        contributions,
    }
}
