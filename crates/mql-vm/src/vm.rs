//! The VM: runs a [`Program`] for one lead at one instant. Per-lead state
//! lives in a reusable [`Scratch`]; nothing is looked up by name.

use std::cell::RefCell;
use std::sync::Arc;

use mql_core::{EventRec, LeadId, LeadRecord, Sym, Value};
use mql_sema::hir::{AggKind, CmpOp, StrOp};
use rayon::prelude::*;

use crate::fast::{self, Fast};
use crate::ops::{self, OpError};
use crate::program::{
    AggCode, Block, EventTest, FuncKind, Instr, Program, QueryCode, RuleCode, RulePlan, Src, Step,
};
use crate::short::ShortVec;

/// An evaluation error of one lead: what went wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

/// One step of a lead's stage walk: a transition that fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathStep {
    pub from: Sym,
    pub to: Sym,
    /// Index into `Model::transitions` (line, file, doc live there).
    pub transition: u32,
}

impl Default for PathStep {
    fn default() -> Self {
        PathStep {
            from: Sym(0),
            to: Sym(0),
            transition: 0,
        }
    }
}

/// The result of evaluating one lead.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadResult {
    pub id: LeadId,
    /// Set when the lead could not be evaluated; the other fields are then empty.
    pub error: Option<EvalError>,
    /// Final stage (`None` for a model without stages).
    pub stage: Option<Sym>,
    /// The starting stage.
    pub from_stage: Option<Sym>,
    pub path: ShortVec<PathStep, 4>,
    /// The transition that would have revisited a stage, if the walk stopped so.
    pub cycle: Option<PathStep>,
    /// One per score, in declaration order.
    pub scores: ShortVec<f64, 8>,
    /// One per tier, in declaration order.
    pub tiers: ShortVec<Option<Sym>, 4>,
    /// Indices into `Model::values` of the segments that hold, in declaration order.
    pub segments: ShortVec<u32, 8>,
    /// With explain: (index into `Model::values`, value) per criterion, in
    /// declaration order.
    pub criteria: Vec<(u32, Option<bool>)>,
    /// With explain: per score, each rule's total after decay and cap.
    pub contributions: Vec<Vec<f64>>,
    /// Whether `criteria` and `contributions` were asked for.
    pub explained: bool,
}

impl LeadResult {
    fn failed(id: LeadId, e: EvalError) -> LeadResult {
        LeadResult {
            id,
            error: Some(e),
            stage: None,
            from_stage: None,
            path: ShortVec::new(),
            cycle: None,
            scores: ShortVec::new(),
            tiers: ShortVec::new(),
            segments: ShortVec::new(),
            criteria: Vec::new(),
            contributions: Vec::new(),
            explained: false,
        }
    }
}

/// What to read of a lead's events of one type before evaluating it (see
/// `Program::touch_events`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Touch {
    /// No query reads these events.
    Skip,
    /// Queries read only their times.
    At,
    /// Queries test this field.
    Field(u32),
}

/// What the VM sees while running a block.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub lead: &'a LeadRecord,
    pub now: i64,
    pub event: Option<&'a EventRec>,
    pub time_in_stage: Option<i64>,
    pub stage: Option<Sym>,
}

/// Reusable per-thread working memory of the VM.
#[derive(Default, Debug)]
pub struct Scratch {
    stack: Vec<Value>,
    pub(crate) slots: Vec<Value>,
    pub(crate) scores: Vec<f64>,
    pub(crate) tiers: Vec<Option<Sym>>,
    keys: Vec<(u8, u64)>,
    str_keys: Vec<Arc<str>>,
    other_keys: Vec<Value>,
    visited: Vec<Sym>,
}

/// Optional detail recorded for explanations.
#[derive(Default, Debug, Clone)]
pub(crate) struct Trace {
    /// Per score, per rule: the matching events' (time, decay factor).
    pub rule_events: Vec<Vec<Vec<(i64, f64)>>>,
    /// Per score, per rule: the condition's value (`Cond` rules only).
    pub rule_conds: Vec<Vec<Option<Value>>>,
    /// Per tier: the value of each arm tried.
    pub tier_arms: Vec<Vec<Value>>,
    /// Per walk step: every transition considered (index, condition value).
    pub walk: Vec<Vec<(u32, Value)>>,
    /// Final value of every let, criterion and segment.
    pub slots: Vec<Value>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl EventTest {
    /// Whether the filter is true for this event (same answer as its block).
    #[inline(always)]
    fn holds(&self, ev: &EventRec) -> bool {
        specialised(Some(self), OneEvent(ev))
    }
}

/// A loop over a query's events that is given its filter as a closure, so
/// that [`specialised`] compiles it once for each shape of filter.
trait EventLoop {
    type Out;
    fn run(self, pass: impl Fn(&EventRec) -> bool) -> Self::Out;
}

/// The text of an event's string field, if it has one.
#[inline(always)]
fn text_of(ev: &EventRec, i: usize) -> Option<&str> {
    match ev.fields.get(i) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

/// Run `l` with the direct test `t` as a closure made for the test's shape:
/// the loop then tests each event without first asking what kind of test
/// it is. This is where each test's answer is defined (the same answer as
/// its filter block; a field that is not text never passes a text test).
#[inline(always)]
fn specialised<L: EventLoop>(t: Option<&EventTest>, l: L) -> L::Out {
    let Some(t) = t else {
        return l.run(|_| true);
    };
    match t {
        EventTest::Str { field, op, text } => {
            let i = *field as usize;
            match op {
                StrOp::StartsWith => {
                    let text = text.as_bytes();
                    l.run(move |ev| {
                        text_of(ev, i).is_some_and(|s| {
                            s.as_bytes()
                                .get(..text.len())
                                .is_some_and(|head| same_bytes(head, text))
                        })
                    })
                }
                StrOp::EndsWith => {
                    let text = text.as_bytes();
                    l.run(move |ev| {
                        text_of(ev, i).is_some_and(|s| {
                            s.as_bytes()
                                .get(s.len().wrapping_sub(text.len())..)
                                .is_some_and(|tail| same_bytes(tail, text))
                        })
                    })
                }
                StrOp::Contains => {
                    let text: &str = text;
                    l.run(move |ev| text_of(ev, i).is_some_and(|s| contains(s, text)))
                }
            }
        }
        EventTest::StrEq { field, equal, text } => {
            let (i, equal, text) = (*field as usize, *equal, text.as_bytes());
            l.run(move |ev| text_of(ev, i).is_some_and(|s| same_bytes(s.as_bytes(), text) == equal))
        }
        EventTest::Flag(i) => {
            let i = *i as usize;
            l.run(move |ev| matches!(ev.fields.get(i), Some(Value::Bool(true))))
        }
        EventTest::Hour { op, n } => {
            let (op, n) = (*op, *n);
            l.run(move |ev| {
                ops::ord_holds(
                    op,
                    (ev.at.rem_euclid(ops::MS_PER_DAY) / ops::MS_PER_HOUR).cmp(&n),
                )
            })
        }
    }
}

/// One event.
struct OneEvent<'e>(&'e EventRec);
impl EventLoop for OneEvent<'_> {
    type Out = bool;
    #[inline(always)]
    fn run(self, pass: impl Fn(&EventRec) -> bool) -> bool {
        pass(self.0)
    }
}

/// How many events pass.
struct CountOf<'e>(&'e [EventRec]);
impl EventLoop for CountOf<'_> {
    type Out = usize;
    #[inline(always)]
    fn run(self, pass: impl Fn(&EventRec) -> bool) -> usize {
        self.0.iter().filter(|e| pass(e)).count()
    }
}

/// The first event that passes, from the oldest or (`newest`) the newest.
struct FirstOf<'e> {
    events: &'e [EventRec],
    newest: bool,
}
impl<'e> EventLoop for FirstOf<'e> {
    type Out = Option<&'e EventRec>;
    #[inline(always)]
    fn run(self, pass: impl Fn(&EventRec) -> bool) -> Option<&'e EventRec> {
        if self.newest {
            self.events.iter().rev().find(|e| pass(e))
        } else {
            self.events.iter().find(|e| pass(e))
        }
    }
}

/// The points of the events that pass, each decayed by its age.
struct Decayed<'e> {
    events: &'e [EventRec],
    points: f64,
    decay: mql_sema::hir::Decay,
    now: i64,
}
impl EventLoop for Decayed<'_> {
    type Out = f64;
    #[inline(always)]
    fn run(self, pass: impl Fn(&EventRec) -> bool) -> f64 {
        let mut total = 0.0;
        for ev in self.events {
            if pass(ev) {
                total += self.points * ops::decay_factor(self.decay, self.now - ev.at);
            }
        }
        total
    }
}

/// A query's filter as a direct per-event test: `Some(None)` when there is
/// no filter, `Some(Some(test))` for a filter of a simple shape, `None` when
/// the filter needs the stack machine.
#[inline(always)]
fn direct(q: &QueryCode) -> Option<Option<&EventTest>> {
    match (&q.test, q.filter) {
        (Some(t), _) => Some(Some(t)),
        (None, None) => Some(None),
        _ => None,
    }
}

impl Program {
    /// Read the texts of the lead fields the program uses and, for every
    /// event type it queries, the field its filters test (and that field's
    /// text) or else the times, with loads that do not wait on each other.
    /// Fields, events and texts live in separate allocations; when the lead
    /// is not in the cache (a large batch), fetching them all at once up
    /// front makes the whole evaluation about a tenth faster than meeting
    /// each one inside the steps.
    #[inline(never)]
    fn touch_events(&self, lead: &LeadRecord) {
        let mut acc = 0u64;
        for &i in &self.touch_fields {
            if let Some(Value::Str(t)) = lead.fields.get(i as usize) {
                acc ^= t.as_bytes().first().map_or(1, |&b| b as u64);
            }
        }
        for (group, plan) in lead.events.iter().zip(&self.touch) {
            match plan {
                Touch::Skip => {}
                Touch::At => {
                    for ev in group {
                        acc ^= ev.at as u64;
                    }
                }
                Touch::Field(i) => {
                    for ev in group {
                        acc ^= match ev.fields.get(*i as usize) {
                            Some(Value::Str(t)) => t.as_bytes().first().map_or(1, |&b| b as u64),
                            Some(Value::Unknown) | None => 2,
                            Some(_) => 3,
                        };
                    }
                }
            }
        }
        std::hint::black_box(acc);
    }
}

/// The lead fields the program reads, in slot order.
pub(crate) fn fields_read(code: &[Instr]) -> Vec<u32> {
    let mut read: Vec<u32> = code
        .iter()
        .filter_map(|ins| match *ins {
            Instr::Field(i)
            | Instr::FieldCmpConst(Src::Field(i), ..)
            | Instr::FieldInConst(Src::Field(i), ..)
            | Instr::FieldStrConst(Src::Field(i), ..) => Some(i),
            _ => None,
        })
        .collect();
    read.sort_unstable();
    read.dedup();
    read
}

/// The event fields one block reads (the block runs to its first `End`:
/// the sides of an `and`, `or` or `between` end in jumps).
fn event_fields_of(code: &[Instr], b: Block, out: &mut Vec<u32>) {
    for ins in code.get(b.0 as usize..).unwrap_or(&[]) {
        match *ins {
            Instr::End => break,
            Instr::EventField(i)
            | Instr::FieldCmpConst(Src::Event(i), ..)
            | Instr::FieldInConst(Src::Event(i), ..)
            | Instr::FieldStrConst(Src::Event(i), ..) => out.push(i),
            _ => {}
        }
    }
}

impl Program {
    /// Per event type (schema order), the fields (slots, ascending) that
    /// the program can read: those of its queries' filters and aggregate
    /// arguments, the only code that runs with an event in scope. A reader
    /// may leave the other fields unknown without changing a result.
    pub fn event_fields_read(&self) -> Vec<Vec<u32>> {
        let mut read = vec![Vec::new(); self.touch.len()];
        let mut add = |q: &QueryCode, arg: Option<Block>| {
            if let Some(out) = read.get_mut(q.event as usize) {
                for b in q.filter.into_iter().chain(arg) {
                    event_fields_of(&self.code, b, out);
                }
            }
        };
        for agg in &self.aggs {
            add(&agg.query, agg.arg);
        }
        for step in &self.steps {
            if let Step::Score { rules, .. } = step {
                for rule in rules {
                    if let RuleCode::Each(q) | RuleCode::Latest(q) = &rule.code {
                        add(q, None);
                    }
                }
            }
        }
        for fields in &mut read {
            fields.sort_unstable();
            fields.dedup();
        }
        read
    }
}

/// The plan of the queried events, per event type.
pub(crate) fn touch_plan(p: &Program, n_events: usize) -> Vec<Touch> {
    let mut plan = vec![Touch::Skip; n_events];
    let rules = p.steps.iter().flat_map(|st| match st {
        Step::Score { rules, .. } => rules.as_slice(),
        _ => &[],
    });
    let queries = p
        .aggs
        .iter()
        .map(|a| &a.query)
        .chain(rules.filter_map(|r| match &r.code {
            RuleCode::Each(q) | RuleCode::Latest(q) => Some(q),
            RuleCode::Cond(_) => None,
        }));
    for q in queries {
        let Some(slot) = plan.get_mut(q.event as usize) else {
            continue;
        };
        let field = match (&q.test, q.filter) {
            (
                Some(
                    EventTest::Str { field, .. }
                    | EventTest::StrEq { field, .. }
                    | EventTest::Flag(field),
                ),
                _,
            ) => Some(*field),
            (Some(EventTest::Hour { .. }), _) | (None, None) => None,
            // a filter on the stack machine: its first field is a fair guess
            (None, Some(_)) => Some(0),
        };
        *slot = match (*slot, field) {
            (Touch::Field(a), Some(b)) => Touch::Field(a.min(b)),
            (Touch::Field(a), None) => Touch::Field(a),
            (_, Some(b)) => Touch::Field(b),
            (_, None) => Touch::At,
        };
    }
    plan
}

/// Byte equality, inline for the short texts filters usually hold (a few
/// word compares instead of a library call per event).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn word8(x: &[u8]) -> u64 {
        x.get(..8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_ne_bytes)
    }
    fn word4(x: &[u8]) -> u32 {
        x.get(..4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_ne_bytes)
    }
    match n {
        // two overlapping words cover the text
        8..=16 => word8(a) == word8(b) && word8(&a[n - 8..]) == word8(&b[n - 8..]),
        4..=7 => word4(a) == word4(b) && word4(&a[n - 4..]) == word4(&b[n - 4..]),
        _ => a == b,
    }
}

/// Substring search, kept out of line so the per-event test stays small.
#[inline(never)]
fn contains(s: &str, t: &str) -> bool {
    s.contains(t)
}

/// An f64 sum key that treats 0.0 and -0.0 alike.
fn num_key(n: f64) -> u64 {
    if n == 0.0 {
        0
    } else {
        n.to_bits()
    }
}

fn less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Time(x), Value::Time(y)) | (Value::Duration(x), Value::Duration(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x.as_bytes() < y.as_bytes(),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x < y,
            _ => false,
        },
    }
}

impl Program {
    /// The events of a query's type inside its time window.
    fn window<'a>(&self, q: &QueryCode, ctx: &Ctx<'a>) -> &'a [EventRec] {
        let Some(group) = ctx.lead.events.get(q.event as usize) else {
            return &[];
        };
        let now = ctx.now;
        // Usually every event is in the past: check the newest before searching.
        let hi = match group.last() {
            Some(e) if e.at > now => group.partition_point(|e| e.at <= now),
            _ => group.len(),
        };
        let group = &group[..hi];
        let lo = match (q.within, group.first()) {
            (Some(w), Some(first)) => {
                let from = now.saturating_sub(w);
                if first.at > from {
                    0
                } else {
                    // Walked back from the newest: the query then visits
                    // these events anyway, and a window is usually the
                    // last few of them, which a binary search takes longer
                    // to find.
                    let mut lo = group.len();
                    while lo > 0 && group[lo - 1].at > from {
                        lo -= 1;
                    }
                    lo
                }
            }
            _ => 0,
        };
        &group[lo..]
    }

    #[inline(always)]
    /// Whether `ev` passes the query's filter: by its direct test when `d`
    /// (from [`direct`]) has one, else by running the filter block.
    fn event_passes(
        &self,
        q: &QueryCode,
        d: Option<Option<&EventTest>>,
        ev: &EventRec,
        ctx: &Ctx,
        s: &mut Scratch,
    ) -> Result<bool, OpError> {
        match d {
            Some(t) => Ok(t.is_none_or(|t| t.holds(ev))),
            None => self.passes(
                q,
                &Ctx {
                    event: Some(ev),
                    ..*ctx
                },
                s,
            ),
        }
    }

    fn passes(&self, q: &QueryCode, ctx: &Ctx, s: &mut Scratch) -> Result<bool, OpError> {
        if let (Some(t), Some(ev)) = (&q.test, ctx.event) {
            return Ok(t.holds(ev));
        }
        match q.filter {
            None => Ok(true),
            Some(f) => Ok(matches!(self.run(f, ctx, s)?, Value::Bool(true))),
        }
    }

    pub(crate) fn aggregate(
        &self,
        agg: &AggCode,
        ctx: &Ctx,
        s: &mut Scratch,
    ) -> Result<Value, OpError> {
        let events = self.window(&agg.query, ctx);
        if let Some(t) = direct(&agg.query) {
            let first = |newest| specialised(t, FirstOf { events, newest });
            match agg.kind {
                AggKind::Count if agg.arg.is_none() => {
                    return Ok(Value::Int(specialised(t, CountOf(events)) as i64))
                }
                AggKind::Exists => return Ok(Value::Bool(first(false).is_some())),
                AggKind::First | AggKind::Last => {
                    let found = first(agg.kind == AggKind::Last);
                    return Ok(found.map_or(Value::Unknown, |e| Value::Time(e.at)));
                }
                _ => {}
            }
        }
        let mut count: i64 = 0;
        let mut int_sum: i64 = 0;
        let mut num_sum: f64 = 0.0;
        let mut best: Value = Value::Unknown;
        s.keys.clear();
        s.str_keys.clear();
        s.other_keys.clear();
        match agg.kind {
            AggKind::Last => {
                for ev in events.iter().rev() {
                    let ectx = Ctx {
                        event: Some(ev),
                        ..*ctx
                    };
                    if self.passes(&agg.query, &ectx, s)? {
                        return Ok(Value::Time(ev.at));
                    }
                }
                return Ok(Value::Unknown);
            }
            AggKind::First | AggKind::Exists => {
                for ev in events {
                    let ectx = Ctx {
                        event: Some(ev),
                        ..*ctx
                    };
                    if self.passes(&agg.query, &ectx, s)? {
                        return Ok(if agg.kind == AggKind::Exists {
                            Value::Bool(true)
                        } else {
                            Value::Time(ev.at)
                        });
                    }
                }
                return Ok(if agg.kind == AggKind::Exists {
                    Value::Bool(false)
                } else {
                    Value::Unknown
                });
            }
            _ => {}
        }
        for ev in events {
            let ectx = Ctx {
                event: Some(ev),
                ..*ctx
            };
            if !self.passes(&agg.query, &ectx, s)? {
                continue;
            }
            let v = match agg.arg {
                Some(b) => {
                    let v = self.run(b, &ectx, s)?;
                    if !v.is_known() {
                        continue;
                    }
                    v
                }
                None => Value::Unknown,
            };
            count += 1;
            match agg.kind {
                AggKind::Sum | AggKind::Avg => match v {
                    Value::Int(i) if agg.arg_int && agg.kind == AggKind::Sum => {
                        int_sum = int_sum.checked_add(i).ok_or(OpError::IntOverflow)?
                    }
                    ref v => num_sum += v.as_f64().unwrap_or(0.0),
                },
                AggKind::Min if !best.is_known() || less(&v, &best) => best = v,
                AggKind::Max if !best.is_known() || less(&best, &v) => best = v,
                AggKind::Distinct => match v {
                    Value::Bool(b) => s.keys.push((0, b as u64)),
                    Value::Int(i) => s.keys.push((1, i as u64)),
                    Value::Number(n) => s.keys.push((2, num_key(n))),
                    Value::Time(t) => s.keys.push((3, t as u64)),
                    Value::Duration(d) => s.keys.push((4, d as u64)),
                    Value::Enum(e) => s.keys.push((5, e.0 as u64)),
                    Value::Str(t) => s.str_keys.push(t),
                    other => {
                        if !s
                            .other_keys
                            .iter()
                            .any(|o| ops::value_eq(o, &other) == Some(true))
                        {
                            s.other_keys.push(other);
                        }
                    }
                },
                _ => {}
            }
        }
        Ok(match agg.kind {
            AggKind::Count => Value::Int(count),
            AggKind::Sum if agg.arg_int => Value::Int(int_sum),
            AggKind::Sum => Value::Number(num_sum),
            AggKind::Avg if count == 0 => Value::Unknown,
            AggKind::Avg => Value::Number(num_sum / count as f64),
            AggKind::Min | AggKind::Max => best,
            AggKind::Distinct => {
                s.keys.sort_unstable();
                s.keys.dedup();
                s.str_keys.sort_unstable();
                s.str_keys.dedup();
                Value::Int((s.keys.len() + s.str_keys.len() + s.other_keys.len()) as i64)
            }
            _ => Value::Unknown,
        })
    }

    /// Run one block; leaves the stack as it found it.
    #[inline]
    pub(crate) fn run(&self, b: Block, ctx: &Ctx, s: &mut Scratch) -> Result<Value, OpError> {
        match self.fast.get(b.0 as usize) {
            Some(Fast::Test(t)) => Ok(fast::tri_value(self.test(t, ctx, s)?)),
            Some(Fast::Val(v)) => self.val(*v, ctx, s),
            _ => self.run_stack(b, ctx, s),
        }
    }

    /// A block's value as a truth value (`None` for unknown or anything
    /// not a bool), without making a value when the block is a test.
    #[inline]
    pub(crate) fn truth(
        &self,
        b: Block,
        ctx: &Ctx,
        s: &mut Scratch,
    ) -> Result<Option<bool>, OpError> {
        match self.fast.get(b.0 as usize) {
            Some(Fast::Test(t)) => self.test(t, ctx, s),
            Some(Fast::Val(v)) => self.val_truth(*v, ctx, s),
            _ => Ok(self.run(b, ctx, s)?.as_bool()),
        }
    }

    /// Run a block on the stack machine.
    #[inline(never)]
    fn run_stack(&self, b: Block, ctx: &Ctx, s: &mut Scratch) -> Result<Value, OpError> {
        let base = s.stack.len();
        let r = self.run_inner(b, ctx, s);
        s.stack.truncate(base);
        r
    }

    fn run_inner(&self, b: Block, ctx: &Ctx, s: &mut Scratch) -> Result<Value, OpError> {
        let mut pc = b.0 as usize;
        loop {
            match self.code[pc] {
                Instr::Const(i) => s.stack.push(self.consts[i as usize].clone()),
                Instr::Field(i) => s
                    .stack
                    .push(ctx.lead.fields.get(i as usize).cloned().unwrap_or_default()),
                Instr::EventField(i) => s.stack.push(
                    ctx.event
                        .and_then(|e| e.fields.get(i as usize))
                        .cloned()
                        .unwrap_or_default(),
                ),
                Instr::EventAt => s
                    .stack
                    .push(ctx.event.map_or(Value::Unknown, |e| Value::Time(e.at))),
                Instr::Id => s.stack.push(match &ctx.lead.id {
                    LeadId::Str(x) => Value::Str(x.clone()),
                    LeadId::Int(i) => Value::Str(i.to_string().into()),
                }),
                Instr::Now => s.stack.push(Value::Time(ctx.now)),
                Instr::TimeInStage => s
                    .stack
                    .push(ctx.time_in_stage.map_or(Value::Unknown, Value::Duration)),
                Instr::Stage => s.stack.push(ctx.stage.map_or(Value::Unknown, Value::Enum)),
                Instr::Load(i) => s.stack.push(s.slots[i as usize].clone()),
                Instr::LoadScore(i) => s.stack.push(Value::Number(s.scores[i as usize])),
                Instr::LoadTier(i) => s
                    .stack
                    .push(s.tiers[i as usize].map_or(Value::Unknown, Value::Enum)),
                Instr::Neg(k) => {
                    let v = pop(s);
                    s.stack.push(ops::neg(k, &v)?);
                }
                Instr::Not => {
                    let v = pop(s);
                    s.stack.push(ops::not(&v));
                }
                Instr::Arith(k) => {
                    let r = pop(s);
                    let l = pop(s);
                    s.stack.push(ops::arith(k, &l, &r)?);
                }
                Instr::Cmp(k, op) => {
                    let r = pop(s);
                    let l = pop(s);
                    s.stack.push(ops::compare(k, op, &l, &r));
                }
                Instr::AndJump(off) => {
                    if matches!(s.stack.last(), Some(Value::Bool(false))) {
                        pc += off as usize;
                    }
                }
                Instr::OrJump(off) => {
                    if matches!(s.stack.last(), Some(Value::Bool(true))) {
                        pc += off as usize;
                    }
                }
                Instr::AndEnd => {
                    let r = pop(s);
                    let l = pop(s);
                    s.stack.push(ops::and(&l, &r));
                }
                Instr::OrEnd => {
                    let r = pop(s);
                    let l = pop(s);
                    s.stack.push(ops::or(&l, &r));
                }
                Instr::BetweenLo(k, off) => {
                    let lo = pop(s);
                    let c = match s.stack.last() {
                        Some(v) => ops::compare(k, CmpOp::Le, &lo, v),
                        None => Value::Unknown,
                    };
                    if c == Value::Bool(false) {
                        if let Some(top) = s.stack.last_mut() {
                            *top = c;
                        }
                        pc += off as usize;
                    } else {
                        s.stack.push(c);
                    }
                }
                Instr::BetweenHi(k) => {
                    let hi = pop(s);
                    let c = pop(s);
                    let v = pop(s);
                    s.stack
                        .push(ops::and(&c, &ops::compare(k, CmpOp::Le, &v, &hi)));
                }
                Instr::FieldCmpConst(src, k, op, c) => {
                    let v = ops::compare(k, op, field(ctx, src), &self.consts[c as usize]);
                    s.stack.push(v);
                }
                Instr::FieldInConst(src, negated, c) => {
                    let v = ops::member(field(ctx, src), &self.consts[c as usize], negated);
                    s.stack.push(v);
                }
                Instr::FieldStrConst(src, op, c) => {
                    let v = ops::str_test(op, field(ctx, src), &self.consts[c as usize]);
                    s.stack.push(v);
                }
                Instr::CmpConst(k, op, c) => {
                    let l = pop(s);
                    s.stack
                        .push(ops::compare(k, op, &l, &self.consts[c as usize]));
                }
                Instr::InConst { negated, list } => {
                    let v = pop(s);
                    s.stack
                        .push(ops::member(&v, &self.consts[list as usize], negated));
                }
                Instr::StrConst(op, c) => {
                    let l = pop(s);
                    s.stack
                        .push(ops::str_test(op, &l, &self.consts[c as usize]));
                }
                Instr::In { negated } => {
                    let list = pop(s);
                    let v = pop(s);
                    s.stack.push(ops::member(&v, &list, negated));
                }
                Instr::Str(op) => {
                    let r = pop(s);
                    let l = pop(s);
                    s.stack.push(ops::str_test(op, &l, &r));
                }
                Instr::Matches(i) => {
                    let v = pop(s);
                    s.stack.push(match v {
                        Value::Str(t) => Value::Bool(self.regexes[i as usize].is_match(&t)),
                        _ => Value::Unknown,
                    });
                }
                Instr::Func(k) => {
                    let v = if arity(k) == 2 {
                        let b = pop(s);
                        let a = pop(s);
                        ops::call(k, &[a, b], ctx.now)?
                    } else {
                        let a = pop(s);
                        ops::call(k, std::slice::from_ref(&a), ctx.now)?
                    };
                    s.stack.push(v);
                }
                Instr::Agg(i) => {
                    let v = self.aggregate(&self.aggs[i as usize], ctx, s)?;
                    s.stack.push(v);
                }
                Instr::End => return Ok(pop(s)),
            }
            pc += 1;
        }
    }

    /// A rule's total after decay and cap.
    fn rule_total(
        &self,
        rule: &RulePlan,
        decay: mql_sema::hir::Decay,
        ctx: &Ctx,
        s: &mut Scratch,
        mut events_out: Option<&mut Vec<(i64, f64)>>,
        cond_out: Option<&mut Option<Value>>,
    ) -> Result<f64, OpError> {
        let (points, cap) = (rule.points, rule.cap);
        Ok(match &rule.code {
            RuleCode::Cond(b) => {
                let hit = match cond_out {
                    Some(c) => {
                        let v = self.run(*b, ctx, s)?;
                        let hit = matches!(v, Value::Bool(true));
                        *c = Some(v);
                        hit
                    }
                    None => self.truth(*b, ctx, s)? == Some(true),
                };
                ops::apply_cap(if hit { points } else { 0.0 }, cap)
            }
            RuleCode::Each(q) => {
                let mut total = 0.0;
                let d = direct(q);
                if let (Some(t), None) = (d, events_out.as_deref()) {
                    // the usual case, without the stack and without a trace
                    let events = self.window(q, ctx);
                    let (now, each) = (ctx.now, points);
                    let total = specialised(
                        t,
                        Decayed {
                            events,
                            points: each,
                            decay,
                            now,
                        },
                    );
                    return Ok(ops::apply_cap(total, cap));
                }
                for ev in self.window(q, ctx) {
                    let pass = self.event_passes(q, d, ev, ctx, s)?;
                    if pass {
                        let f = ops::decay_factor(decay, ctx.now - ev.at);
                        total += points * f;
                        if let Some(out) = events_out.as_deref_mut() {
                            out.push((ev.at, f));
                        }
                    }
                }
                ops::apply_cap(total, cap)
            }
            RuleCode::Latest(q) => {
                let mut total = 0.0;
                let d = direct(q);
                if let (Some(t), None) = (d, events_out.as_deref()) {
                    let events = self.window(q, ctx);
                    let newest = specialised(
                        t,
                        FirstOf {
                            events,
                            newest: true,
                        },
                    );
                    let total =
                        newest.map_or(0.0, |ev| points * ops::decay_factor(decay, ctx.now - ev.at));
                    return Ok(ops::apply_cap(total, cap));
                }
                for ev in self.window(q, ctx).iter().rev() {
                    let pass = self.event_passes(q, d, ev, ctx, s)?;
                    if pass {
                        let f = ops::decay_factor(decay, ctx.now - ev.at);
                        total = points * f;
                        if let Some(out) = events_out.as_deref_mut() {
                            out.push((ev.at, f));
                        }
                        break;
                    }
                }
                ops::apply_cap(total, cap)
            }
        })
    }

    /// Evaluate one lead at `now`. With `explain`, the result also carries
    /// criteria and per-rule contributions.
    pub fn eval(&self, lead: &LeadRecord, now: i64, explain: bool) -> LeadResult {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => self.eval_core(lead, now, explain, &mut s, None),
            Err(_) => self.eval_core(lead, now, explain, &mut Scratch::default(), None),
        })
    }

    /// Evaluate one lead with scratch memory the caller keeps.
    pub fn eval_with(
        &self,
        lead: &LeadRecord,
        now: i64,
        explain: bool,
        scratch: &mut Scratch,
    ) -> LeadResult {
        self.eval_core(lead, now, explain, scratch, None)
    }

    /// Evaluate many leads in parallel; results keep the input order and do
    /// not depend on the number of threads.
    pub fn eval_batch(&self, leads: &[LeadRecord], now: i64, explain: bool) -> Vec<LeadResult> {
        leads
            .par_iter()
            .map(|l| self.eval(l, now, explain))
            .collect()
    }

    pub(crate) fn eval_core(
        &self,
        lead: &LeadRecord,
        now: i64,
        explain: bool,
        s: &mut Scratch,
        mut trace: Option<&mut Trace>,
    ) -> LeadResult {
        s.stack.clear();
        s.slots.clear();
        s.slots.resize(self.n_values, Value::Unknown);
        s.scores.clear();
        s.scores.resize(self.n_scores, 0.0);
        s.tiers.clear();
        s.tiers.resize(self.n_tiers, None);
        let mut contributions: Vec<Vec<f64>> = if explain {
            self.rule_counts
                .iter()
                .map(|&n| Vec::with_capacity(n))
                .collect()
        } else {
            Vec::new()
        };
        if let Some(t) = trace.as_deref_mut() {
            *t = Trace {
                rule_events: self
                    .rule_counts
                    .iter()
                    .map(|&n| vec![Vec::new(); n])
                    .collect(),
                rule_conds: self.rule_counts.iter().map(|&n| vec![None; n]).collect(),
                tier_arms: vec![Vec::new(); self.n_tiers],
                walk: Vec::new(),
                slots: Vec::new(),
            };
        }
        self.touch_events(lead);
        let ctx = Ctx {
            lead,
            now,
            event: None,
            time_in_stage: None,
            stage: None,
        };
        for (k, step) in self.steps.iter().enumerate() {
            let r: Result<(), OpError> = (|| {
                match step {
                    Step::Value { slot, block } => {
                        // A test's truth value goes into its slot as one of
                        // three constants: built on the stack and copied in,
                        // it stalled the processor (docs/performance.md).
                        if let Some(Fast::Test(t)) = self.fast.get(block.0 as usize) {
                            let v = self.test(t, &ctx, s)?;
                            let slot = &mut s.slots[*slot as usize];
                            *slot = match v {
                                Some(true) => Value::Bool(true),
                                Some(false) => Value::Bool(false),
                                None => Value::Unknown,
                            };
                        } else {
                            let v = self.run(*block, &ctx, s)?;
                            s.slots[*slot as usize] = v;
                        }
                    }
                    Step::Score {
                        index,
                        decay,
                        range,
                        rules,
                    } => {
                        let mut total = 0.0;
                        for (ri, rule) in rules.iter().enumerate() {
                            let (ev_out, cond_out) = match trace.as_deref_mut() {
                                Some(t) => {
                                    let sc = *index as usize;
                                    (
                                        Some(&mut t.rule_events[sc][ri]),
                                        Some(&mut t.rule_conds[sc][ri]),
                                    )
                                }
                                None => (None, None),
                            };
                            let t = self.rule_total(rule, *decay, &ctx, s, ev_out, cond_out)?;
                            total += t;
                            if explain {
                                contributions[*index as usize].push(t);
                            }
                        }
                        s.scores[*index as usize] = ops::clamp(total, *range);
                    }
                    Step::Tier { index, arms } => {
                        let mut chosen = None;
                        for (label, cond) in arms {
                            let hit = match (cond, trace.as_deref_mut()) {
                                (Some(b), None) => self.truth(*b, &ctx, s)? == Some(true),
                                (cond, Some(t)) => {
                                    let v = match cond {
                                        Some(b) => self.run(*b, &ctx, s)?,
                                        None => Value::Bool(true),
                                    };
                                    let hit = matches!(v, Value::Bool(true));
                                    t.tier_arms[*index as usize].push(v);
                                    hit
                                }
                                (None, None) => true,
                            };
                            if hit {
                                chosen = Some(*label);
                                break;
                            }
                        }
                        s.tiers[*index as usize] = chosen;
                    }
                }
                Ok(())
            })();
            if let Err(e) = r {
                return LeadResult::failed(
                    lead.id.clone(),
                    EvalError(format!("{} in {}", e.describe(), self.step_where[k])),
                );
            }
        }
        // the stage walk (spec §8)
        let from_stage = if self.first_stage.is_some() {
            lead.stage.or(self.first_stage)
        } else {
            None
        };
        let mut path = ShortVec::new();
        let mut cycle = None;
        if let Some(mut current) = from_stage {
            s.visited.clear();
            s.visited.push(current);
            let mut tis = lead.stage_since.and_then(|t| now.checked_sub(t));
            loop {
                let tctx = Ctx {
                    time_in_stage: tis,
                    ..ctx
                };
                let mut fired = None;
                if let Some(t) = trace.as_deref_mut() {
                    t.walk.push(Vec::new());
                }
                for (i, tr) in self.transitions.iter().enumerate() {
                    let applies = match tr.from {
                        Some(f) => f == current,
                        None => tr.to != current,
                    };
                    if !applies {
                        continue;
                    }
                    let hit = match trace.as_deref_mut() {
                        Some(t) => self.run(tr.cond, &tctx, s).map(|v| {
                            let hit = matches!(v, Value::Bool(true));
                            if let Some(w) = t.walk.last_mut() {
                                w.push((i as u32, v));
                            }
                            hit
                        }),
                        None => self.truth(tr.cond, &tctx, s).map(|t| t == Some(true)),
                    };
                    let hit = match hit {
                        Ok(hit) => hit,
                        Err(e) => {
                            return LeadResult::failed(
                                lead.id.clone(),
                                EvalError(format!(
                                    "{} in {}",
                                    e.describe(),
                                    self.transition_where[i]
                                )),
                            )
                        }
                    };
                    if hit {
                        fired = Some(i);
                        break;
                    }
                }
                let Some(i) = fired else { break };
                let tr = &self.transitions[i];
                let step = PathStep {
                    from: current,
                    to: tr.to,
                    transition: i as u32,
                };
                if s.visited.contains(&tr.to) {
                    cycle = Some(step);
                    break;
                }
                s.visited.push(tr.to);
                path.push(step);
                current = tr.to;
                tis = Some(0);
            }
        }
        let stage = path.last().map(|p| p.to).or(from_stage);
        let segments = self
            .segments
            .iter()
            .copied()
            .filter(|&i| matches!(s.slots[i as usize], Value::Bool(true)))
            .collect();
        let criteria = if explain {
            self.criteria
                .iter()
                .map(|&i| (i, s.slots[i as usize].as_bool()))
                .collect()
        } else {
            Vec::new()
        };
        if let Some(t) = trace {
            t.slots = s.slots.clone();
        }
        LeadResult {
            id: lead.id.clone(),
            error: None,
            stage,
            from_stage,
            path,
            cycle,
            scores: ShortVec::from_slice(&s.scores),
            tiers: ShortVec::from_slice(&s.tiers),
            segments,
            criteria,
            contributions,
            explained: explain,
        }
    }

    /// Run a block after `eval_core` as a transition condition of the walk
    /// would see it, with `time_in_stage` (for explaining a side of an
    /// `and`/`or`).
    pub(crate) fn run_probe(
        &self,
        b: Block,
        lead: &LeadRecord,
        now: i64,
        time_in_stage: Option<i64>,
        s: &mut Scratch,
    ) -> Result<Value, OpError> {
        let ctx = Ctx {
            lead,
            now,
            event: None,
            time_in_stage,
            stage: None,
        };
        self.run(b, &ctx, s)
    }

    /// Run a block after `eval_core` with the final stage in scope (for `expect`).
    pub(crate) fn run_after(
        &self,
        b: Block,
        lead: &LeadRecord,
        now: i64,
        stage: Option<Sym>,
        s: &mut Scratch,
    ) -> Result<Value, OpError> {
        let ctx = Ctx {
            lead,
            now,
            event: None,
            time_in_stage: None,
            stage,
        };
        self.run(b, &ctx, s)
    }
}

fn arity(k: FuncKind) -> usize {
    match k {
        FuncKind::Default
        | FuncKind::MinInt
        | FuncKind::MaxInt
        | FuncKind::MinNum
        | FuncKind::MaxNum
        | FuncKind::Round => 2,
        _ => 1,
    }
}

static UNKNOWN: Value = Value::Unknown;

/// A lead or event field, by reference.
#[inline]
pub(crate) fn field<'a>(ctx: &Ctx<'a>, src: Src) -> &'a Value {
    let v = match src {
        Src::Field(i) => ctx.lead.fields.get(i as usize),
        Src::Event(i) => ctx.event.and_then(|e| e.fields.get(i as usize)),
    };
    v.unwrap_or(&UNKNOWN)
}

#[inline]
fn pop(s: &mut Scratch) -> Value {
    s.stack.pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{same_bytes, Touch};

    /// The §1 model reads page view urls, form names and webinar attendance
    /// in its filters, and only the times of downloads and email clicks.
    #[test]
    fn the_reference_model_fetches_the_fields_its_filters_test() {
        let src = include_str!("../../mql-sema/tests/fixtures/spec_example.mql");
        let model = mql_sema::check_source("spec.mql", src)
            .model
            .expect("the §1 model checks");
        let p = crate::compile(&model);
        let plan: Vec<(&str, Touch)> = model
            .schema
            .events
            .iter()
            .map(|e| e.name.as_str())
            .zip(p.touch.iter().copied())
            .collect();
        assert_eq!(
            plan,
            [
                ("page_view", Touch::Field(0)),
                ("form_submit", Touch::Field(0)),
                ("content_download", Touch::At),
                ("webinar", Touch::Field(1)),
                ("email_click", Touch::At),
            ]
        );
        let fields: Vec<&str> = p
            .touch_fields
            .iter()
            .map(|&i| model.schema.lead[i as usize].name.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "email",
                "seniority",
                "company_size",
                "industry",
                "budget_confirmed",
                "unsubscribed"
            ]
        );
    }

    #[test]
    fn short_text_equality_agrees_with_plain_comparison() {
        let text = "/pricing/enterprise-plan";
        for n in 0..=text.len() {
            let a = &text.as_bytes()[..n];
            assert!(same_bytes(a, a), "length {n}");
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 0x20;
                assert!(!same_bytes(a, &b), "length {n}, byte {i} differs");
            }
            if n > 0 {
                assert!(!same_bytes(a, &a[..n - 1]), "length {n} vs {}", n - 1);
            }
        }
    }
}
