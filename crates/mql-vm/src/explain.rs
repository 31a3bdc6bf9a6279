//! Explanations for `mql explain`: why each criterion holds or not (and which
//! missing lead fields made it unknown), how every rule earned its points,
//! which tier label was chosen, and how the stage walk went.

use std::fmt::Write as _;

use mql_core::time::format_time;
use mql_core::{LeadId, LeadRecord, Value};
use mql_sema::hir::{Decay, DeclRef, Expr, ExprKind, Model, RuleKind, ValueKind};

use crate::describe::expr_text;
use crate::output::format_number;
use crate::program::Program;
use crate::vm::{EvalError, LeadResult, Scratch, Trace};

/// A criterion, segment or let that is a yes/no value.
#[derive(Clone, Debug, PartialEq)]
pub struct CriterionExplanation {
    /// Index into `Model::values`.
    pub index: u32,
    pub name: String,
    pub kind: ValueKind,
    pub line: u32,
    pub text: String,
    pub value: Option<bool>,
    /// The lead fields with no value that the condition depends on.
    pub missing_fields: Vec<String>,
}

/// A `let` and its value for the lead.
#[derive(Clone, Debug, PartialEq)]
pub struct LetExplanation {
    pub name: String,
    pub line: u32,
    pub text: String,
    pub value: Value,
    /// Missing lead fields, when the value is unknown.
    pub missing_fields: Vec<String>,
}

/// One event that earned points for an `each`/`latest` rule.
#[derive(Clone, Debug, PartialEq)]
pub struct EventContribution {
    pub at: i64,
    pub age_ms: i64,
    pub factor: f64,
    pub points: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleExplanation {
    pub line: u32,
    pub text: String,
    /// `Cond` rules: the condition's value.
    pub condition: Option<Option<bool>>,
    pub missing_fields: Vec<String>,
    pub events: Vec<EventContribution>,
    pub points: f64,
    pub cap: Option<f64>,
    /// Before the cap.
    pub raw_total: f64,
    /// After decay and cap.
    pub total: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScoreExplanation {
    pub name: String,
    pub decay: Decay,
    pub range: Option<(f64, f64)>,
    pub sum: f64,
    pub value: f64,
    pub rules: Vec<RuleExplanation>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TierArmExplanation {
    pub label: String,
    /// `None` for `otherwise`.
    pub condition: Option<String>,
    pub value: Option<bool>,
    pub missing_fields: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TierExplanation {
    pub name: String,
    pub chosen: Option<String>,
    pub tried: Vec<TierArmExplanation>,
}

/// A transition considered at one step of the stage walk.
#[derive(Clone, Debug, PartialEq)]
pub struct TransitionExplanation {
    pub index: u32,
    pub line: u32,
    pub from: Option<String>,
    pub to: String,
    pub condition: String,
    pub value: Option<bool>,
    pub missing_fields: Vec<String>,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WalkStep {
    /// The stage the lead was in at this step.
    pub at_stage: String,
    pub considered: Vec<TransitionExplanation>,
    /// The transition that fired (last of `considered`), if any.
    pub fired: bool,
    /// The fired transition leads back to a visited stage.
    pub cycle: bool,
}

/// Everything `mql explain` shows for one lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub id: LeadId,
    pub now: i64,
    pub result: LeadResult,
    pub error: Option<EvalError>,
    pub criteria: Vec<CriterionExplanation>,
    /// Every `let` with its value for this lead.
    pub lets: Vec<LetExplanation>,
    pub scores: Vec<ScoreExplanation>,
    pub tiers: Vec<TierExplanation>,
    pub walk: Vec<WalkStep>,
    pub stage_since: Option<i64>,
}

fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::Matches(a, _) => vec![a],
        ExprKind::Arith(_, a, b)
        | ExprKind::Cmp(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::StrTest(_, a, b) => vec![a, b],
        ExprKind::Between { value, lo, hi } => vec![value, lo, hi],
        ExprKind::In { value, list, .. } => vec![value, list],
        ExprKind::Call(_, args) => args.iter().collect(),
        ExprKind::Agg { query, arg, .. } => query
            .filter
            .iter()
            .chain(arg.iter())
            .map(|b| &**b)
            .collect(),
        _ => Vec::new(),
    }
}

fn collect_fields(model: &Model, e: &Expr, out: &mut Vec<u32>, seen: &mut Vec<DeclRef>) {
    mql_core::deep(|| collect_fields_body(model, e, out, seen))
}

fn collect_fields_body(model: &Model, e: &Expr, out: &mut Vec<u32>, seen: &mut Vec<DeclRef>) {
    match &e.kind {
        ExprKind::Field(i) if !out.contains(i) => out.push(*i),
        ExprKind::ValueRef(i) if !seen.contains(&DeclRef::Value(*i)) => {
            seen.push(DeclRef::Value(*i));
            if let Some(v) = model.values.get(*i as usize) {
                collect_fields(model, &v.expr, out, seen);
            }
        }
        ExprKind::TierRef(i) if !seen.contains(&DeclRef::Tier(*i)) => {
            seen.push(DeclRef::Tier(*i));
            if let Some(t) = model.tiers.get(*i as usize) {
                for c in t.arms.iter().filter_map(|a| a.cond.as_ref()) {
                    collect_fields(model, c, out, seen);
                }
            }
        }
        _ => {
            for c in children(e) {
                collect_fields(model, c, out, seen);
            }
        }
    }
}

/// The lead fields an expression depends on (through lets, criteria and
/// tiers too) that have no value for this lead.
pub fn missing_fields(model: &Model, e: &Expr, lead: &LeadRecord) -> Vec<String> {
    let mut fields = Vec::new();
    collect_fields(model, e, &mut fields, &mut Vec::new());
    fields
        .into_iter()
        .filter(|&i| !lead.fields.get(i as usize).is_some_and(Value::is_known))
        .filter_map(|i| model.schema.lead.get(i as usize).map(|f| f.name.clone()))
        .collect()
}

fn truth(v: &Value) -> Option<bool> {
    v.as_bool()
}

/// Evaluate one lead at `now` and explain the result.
pub fn explain(program: &Program, model: &Model, lead: &LeadRecord, now: i64) -> Explanation {
    let mut s = Scratch::default();
    let mut trace = Trace::default();
    let result = program.eval_core(lead, now, true, &mut s, Some(&mut trace));
    let mut ex = Explanation {
        id: lead.id.clone(),
        now,
        error: result.error.clone(),
        result: result.clone(),
        criteria: Vec::new(),
        lets: Vec::new(),
        scores: Vec::new(),
        tiers: Vec::new(),
        walk: Vec::new(),
        stage_since: lead.stage_since,
    };
    if result.error.is_some() {
        return ex;
    }
    let missing_if_unknown = |e: &Expr, v: Option<bool>| {
        if v.is_none() {
            missing_fields(model, e, lead)
        } else {
            Vec::new()
        }
    };
    for (i, v) in model.values.iter().enumerate() {
        if v.kind == ValueKind::Let {
            let value = trace.slots.get(i).cloned().unwrap_or_default();
            let missing = if value.is_known() {
                Vec::new()
            } else {
                missing_fields(model, &v.expr, lead)
            };
            ex.lets.push(LetExplanation {
                name: v.name.clone(),
                line: v.origin.line,
                text: expr_text(model, &v.expr),
                value,
                missing_fields: missing,
            });
            continue;
        }
        let value = trace.slots.get(i).and_then(truth);
        ex.criteria.push(CriterionExplanation {
            index: i as u32,
            name: v.name.clone(),
            kind: v.kind,
            line: v.origin.line,
            text: expr_text(model, &v.expr),
            value,
            missing_fields: missing_if_unknown(&v.expr, value),
        });
    }
    for (si, sc) in model.scores.iter().enumerate() {
        let mut rules = Vec::new();
        let mut sum = 0.0;
        for (ri, r) in sc.rules.iter().enumerate() {
            let total = result
                .contributions
                .get(si)
                .and_then(|c| c.get(ri))
                .copied()
                .unwrap_or(0.0);
            sum += total;
            let events: Vec<EventContribution> = trace
                .rule_events
                .get(si)
                .and_then(|x| x.get(ri))
                .map(|evs| {
                    evs.iter()
                        .map(|&(at, factor)| EventContribution {
                            at,
                            age_ms: now - at,
                            factor,
                            points: r.points * factor,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (condition, missing) = match &r.kind {
                RuleKind::Cond(e) => {
                    let v = trace
                        .rule_conds
                        .get(si)
                        .and_then(|x| x.get(ri))
                        .and_then(|v| v.as_ref())
                        .and_then(truth);
                    (Some(v), missing_if_unknown(e, v))
                }
                _ => (None, Vec::new()),
            };
            let raw_total = match &r.kind {
                RuleKind::Cond(_) => {
                    if condition == Some(Some(true)) {
                        r.points
                    } else {
                        0.0
                    }
                }
                _ => events.iter().fold(0.0, |a, e| a + e.points),
            };
            rules.push(RuleExplanation {
                line: r.line,
                text: r.text.clone(),
                condition,
                missing_fields: missing,
                events,
                points: r.points,
                cap: r.cap,
                raw_total,
                total,
            });
        }
        ex.scores.push(ScoreExplanation {
            name: sc.name.clone(),
            decay: sc.decay,
            range: sc.range,
            sum,
            value: result.scores.get(si).copied().unwrap_or(0.0),
            rules,
        });
    }
    let sy = &model.schema.symbols;
    for (ti, t) in model.tiers.iter().enumerate() {
        let values = trace.tier_arms.get(ti).cloned().unwrap_or_default();
        let tried = t
            .arms
            .iter()
            .zip(values.iter())
            .map(|(a, v)| {
                let value = truth(v);
                TierArmExplanation {
                    label: sy.name(a.label).to_string(),
                    condition: a.cond.as_ref().map(|c| expr_text(model, c)),
                    value,
                    missing_fields: a
                        .cond
                        .as_ref()
                        .map(|c| missing_if_unknown(c, value))
                        .unwrap_or_default(),
                }
            })
            .collect();
        ex.tiers.push(TierExplanation {
            name: t.name.clone(),
            chosen: result
                .tiers
                .get(ti)
                .copied()
                .flatten()
                .map(|s| sy.name(s).to_string()),
            tried,
        });
    }
    let mut current = result.from_stage;
    for (k, considered) in trace.walk.iter().enumerate() {
        let at_stage = current.map_or(String::new(), |s| sy.name(s).to_string());
        let list: Vec<TransitionExplanation> = considered
            .iter()
            .filter_map(|(i, v)| {
                let t = model.transitions.get(*i as usize)?;
                let value = truth(v);
                Some(TransitionExplanation {
                    index: *i,
                    line: t.origin.line,
                    from: t.from.map(|s| sy.name(s).to_string()),
                    to: sy.name(t.to).to_string(),
                    condition: expr_text(model, &t.cond),
                    value,
                    missing_fields: missing_if_unknown(&t.cond, value),
                    doc: t.doc.clone(),
                })
            })
            .collect();
        let fired = list.last().is_some_and(|t| t.value == Some(true));
        let cycle = fired && k == trace.walk.len() - 1 && result.cycle.is_some();
        if let Some(step) = result.path.get(k) {
            current = Some(step.to);
        }
        ex.walk.push(WalkStep {
            at_stage,
            considered: list,
            fired,
            cycle,
        });
    }
    ex
}

fn decay_words(d: Decay) -> Option<String> {
    match d {
        Decay::None => None,
        Decay::HalfLife(h) => Some(format!(
            "points halve every {}",
            crate::describe::duration_text(h as i64)
        )),
        Decay::Linear(t) => Some(format!(
            "points fade to zero over {}",
            crate::describe::duration_text(t as i64)
        )),
        Decay::Step { percent, every } => Some(format!(
            "points lose {}% every {}",
            trim_num(percent),
            crate::describe::duration_text(every as i64)
        )),
    }
}

fn trim_num(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn signed(x: f64) -> String {
    let t = trim_num(x);
    if x > 0.0 && t != "0" {
        format!("+{t}")
    } else {
        t
    }
}

fn age_words(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if ms < 3_600_000 {
        format!("{} min ago", ms / 60_000)
    } else if hours < 48 {
        format!("{hours}h ago")
    } else {
        format!("{}d ago", ms / 86_400_000)
    }
}

fn missing_words(m: &[String]) -> String {
    if m.is_empty() {
        "unknown".to_string()
    } else {
        let names: Vec<String> = m.iter().map(|f| format!("`{f}`")).collect();
        format!("unknown, because the lead has no {}", names.join(", "))
    }
}

fn verdict(v: Option<bool>, missing: &[String]) -> String {
    match v {
        Some(true) => "met".to_string(),
        Some(false) => "not met".to_string(),
        None => missing_words(missing),
    }
}

/// A readable, indented account of an explanation, in plain words.
pub fn render_explanation(ex: &Explanation, model: &Model) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "lead {} evaluated at {}", ex.id, format_time(ex.now));
    if let Some(e) = &ex.error {
        let _ = writeln!(o, "  could not be evaluated: {}", e.0);
        return o;
    }
    let sy = &model.schema.symbols;
    let r = &ex.result;
    // stage
    if let Some(from) = r.from_stage {
        let final_stage = r.stage.map_or("", |s| sy.name(s));
        let _ = writeln!(o, "\nstage: {final_stage}");
        let since = match ex.stage_since {
            Some(t) => format!(" (since {})", format_time(t)),
            None => String::new(),
        };
        let _ = writeln!(o, "  starts in {}{since}", sy.name(from));
        for step in &ex.walk {
            if step.considered.is_empty() {
                let _ = writeln!(o, "  in {}: no transition leaves this stage", step.at_stage);
                continue;
            }
            let _ = writeln!(o, "  in {}, transitions checked in order:", step.at_stage);
            for t in &step.considered {
                let from = t.from.as_deref().unwrap_or("any");
                let _ = writeln!(
                    o,
                    "    line {}: {from} -> {} when {} — {}",
                    t.line,
                    t.to,
                    t.condition,
                    verdict(t.value, &t.missing_fields)
                );
            }
            if step.cycle {
                if let Some(t) = step.considered.last() {
                    let _ = writeln!(
                        o,
                        "    stops here: {} was already visited, so the move back is not made",
                        t.to
                    );
                }
            } else if step.fired {
                if let Some(t) = step.considered.last() {
                    let doc = t
                        .doc
                        .as_ref()
                        .map_or(String::new(), |d| format!(" ({})", d.trim()));
                    let _ = writeln!(o, "    moves to {}{doc}", t.to);
                }
            } else {
                let _ = writeln!(
                    o,
                    "    none applies, so the lead stays in {}",
                    step.at_stage
                );
            }
        }
    }
    // criteria and segments
    if !ex.criteria.is_empty() {
        let _ = writeln!(o, "\ncriteria and segments");
        for c in &ex.criteria {
            let kind = if c.kind == ValueKind::Segment {
                "segment"
            } else {
                "criterion"
            };
            let _ = writeln!(
                o,
                "  {kind} {} (line {}): {} — {}",
                c.name,
                c.line,
                c.text,
                verdict(c.value, &c.missing_fields)
            );
        }
    }
    if !ex.lets.is_empty() {
        let _ = writeln!(o, "\nvalues");
        for l in &ex.lets {
            let shown = if l.value.is_known() {
                crate::describe::value_text(model, &l.value)
            } else {
                missing_words(&l.missing_fields)
            };
            let _ = writeln!(o, "  {} (line {}) = {} — {}", l.name, l.line, shown, l.text);
        }
    }
    // scores
    for s in &ex.scores {
        let _ = writeln!(o, "\nscore {} = {}", s.name, format_number(s.value));
        if let Some(w) = decay_words(s.decay) {
            let _ = writeln!(o, "  {w}");
        }
        for rule in &s.rules {
            let _ = writeln!(
                o,
                "  line {}: {} — {} points",
                rule.line,
                rule.text,
                signed(rule.total)
            );
            match rule.condition {
                Some(v) => {
                    let _ = writeln!(o, "    condition {}", verdict(v, &rule.missing_fields));
                }
                None => {
                    if rule.events.is_empty() {
                        let _ = writeln!(o, "    no matching events");
                    }
                    for e in &rule.events {
                        if s.decay == Decay::None {
                            let _ = writeln!(
                                o,
                                "    event at {} ({}): {}",
                                format_time(e.at),
                                age_words(e.age_ms),
                                signed(e.points)
                            );
                        } else {
                            let _ = writeln!(
                                o,
                                "    event at {} ({}): {} × {:.3} = {}",
                                format_time(e.at),
                                age_words(e.age_ms),
                                signed(rule.points),
                                e.factor,
                                signed(e.points)
                            );
                        }
                    }
                }
            }
            if let Some(cap) = rule.cap {
                if rule.raw_total != rule.total {
                    let _ = writeln!(
                        o,
                        "    capped at {} (up to {}), from {}",
                        signed(rule.total),
                        trim_num(cap),
                        signed(rule.raw_total)
                    );
                }
            }
        }
        if let Some((lo, hi)) = s.range {
            if s.sum != s.value {
                let _ = writeln!(
                    o,
                    "  rules add up to {}, kept within {} to {}",
                    trim_num(s.sum),
                    trim_num(lo),
                    trim_num(hi)
                );
            }
        }
    }
    // tiers
    for t in &ex.tiers {
        let _ = writeln!(
            o,
            "\ntier {} = {}",
            t.name,
            t.chosen.as_deref().unwrap_or("none (no label applies)")
        );
        for a in &t.tried {
            match &a.condition {
                Some(c) => {
                    let _ = writeln!(
                        o,
                        "  {} when {} — {}",
                        a.label,
                        c,
                        verdict(a.value, &a.missing_fields)
                    );
                }
                None => {
                    let _ = writeln!(o, "  {} otherwise — chosen", a.label);
                }
            }
        }
    }
    o
}
