//! Explanations for `mql explain`: why each criterion holds or not (and which
//! missing lead fields made it unknown), how every rule earned its points,
//! which tier label was chosen, and how the stage walk went.

use std::fmt::Write as _;

use mql_core::time::format_time;
use mql_core::{LeadId, LeadRecord, Value};
use mql_sema::hir::{Decay, DeclRef, Expr, ExprKind, Model, RuleKind, ValueKind};

use mql_core::number::format_number;

use crate::compile::compile_with_probes;
use crate::describe::expr_text;
use crate::program::{Block, Program};
use crate::vm::{EvalError, LeadResult, Scratch, Trace};

/// A value a condition read: a lead field, or a let, criterion, segment,
/// score or tier it names.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueRead {
    pub name: String,
    pub value: Value,
    /// The field's slot, for a lead field.
    pub field: Option<u32>,
}

/// The sides of an `and` or `or` chain and their values: which decided
/// the condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// An `and` chain (else an `or` chain).
    pub and: bool,
    /// Each side as written, and its value.
    pub parts: Vec<(String, Option<bool>)>,
}

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
    /// The values the condition read.
    pub reads: Vec<ValueRead>,
    /// For an `and`/`or`, which side decided it.
    pub decision: Option<Decision>,
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
    /// `Cond` rules: the values the condition read, and which side of an
    /// `and`/`or` decided it.
    pub reads: Vec<ValueRead>,
    pub decision: Option<Decision>,
    /// The score's decay applies to this rule (event rules of a decaying
    /// score; condition rules never decay).
    pub decays: bool,
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
    pub reads: Vec<ValueRead>,
    pub decision: Option<Decision>,
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
    pub reads: Vec<ValueRead>,
    pub decision: Option<Decision>,
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

/// What a condition's values were, as the evaluation saw them.
struct Seen<'a> {
    model: &'a Model,
    lead: &'a LeadRecord,
    /// Every let, criterion and segment.
    slots: &'a [Value],
    result: &'a LeadResult,
}

impl Seen<'_> {
    /// The lead fields a condition reads directly and the lets, criteria,
    /// segments, scores and tiers it names, each once, in the order written
    /// (nothing for a condition that is one name: its verdict says it all).
    fn reads(&self, e: &Expr) -> Vec<ValueRead> {
        let mut out = Vec::new();
        if !matches!(
            e.kind,
            ExprKind::ValueRef(_) | ExprKind::ScoreRef(_) | ExprKind::TierRef(_)
        ) {
            self.collect(e, &mut out);
        }
        out
    }

    fn collect(&self, e: &Expr, out: &mut Vec<ValueRead>) {
        mql_core::deep(|| self.collect_body(e, out))
    }

    fn collect_body(&self, e: &Expr, out: &mut Vec<ValueRead>) {
        let model = self.model;
        let read = match &e.kind {
            ExprKind::Field(i) => model.schema.lead.get(*i as usize).map(|f| ValueRead {
                name: f.name.clone(),
                value: self
                    .lead
                    .fields
                    .get(*i as usize)
                    .cloned()
                    .unwrap_or_default(),
                field: Some(*i),
            }),
            ExprKind::ValueRef(i) => model.values.get(*i as usize).map(|v| ValueRead {
                name: v.name.clone(),
                value: self.slots.get(*i as usize).cloned().unwrap_or_default(),
                field: None,
            }),
            ExprKind::ScoreRef(i) => model.scores.get(*i as usize).map(|sc| ValueRead {
                name: sc.name.clone(),
                value: self
                    .result
                    .scores
                    .get(*i as usize)
                    .map_or(Value::Unknown, |v| Value::Number(*v)),
                field: None,
            }),
            ExprKind::TierRef(i) => model.tiers.get(*i as usize).map(|t| ValueRead {
                name: t.name.clone(),
                value: self
                    .result
                    .tiers
                    .get(*i as usize)
                    .copied()
                    .flatten()
                    .map_or(Value::Unknown, Value::Enum),
                field: None,
            }),
            // A query reads events, which the rule or criterion lists.
            ExprKind::Agg { .. } => return,
            _ => {
                for c in children(e) {
                    self.collect(c, out);
                }
                return;
            }
        };
        if let Some(read) = read {
            if !out.iter().any(|r| r.name == read.name) {
                out.push(read);
            }
        }
    }
}

/// The sides of a top-level `and` (or `or`) chain: `a and b and c` has three.
fn sides(e: &Expr) -> Option<(bool, Vec<&Expr>)> {
    fn chain<'e>(e: &'e Expr, and: bool, out: &mut Vec<&'e Expr>) {
        mql_core::deep(|| match &e.kind {
            ExprKind::And(a, b) if and => {
                chain(a, and, out);
                chain(b, and, out);
            }
            ExprKind::Or(a, b) if !and => {
                chain(a, and, out);
                chain(b, and, out);
            }
            _ => out.push(e),
        })
    }
    let and = match &e.kind {
        ExprKind::And(..) => true,
        ExprKind::Or(..) => false,
        _ => return None,
    };
    let mut out = Vec::new();
    chain(e, and, &mut out);
    Some((and, out))
}

/// The `and`/`or` conditions an explanation shows the sides of, compiled
/// once with the model and run after the lead's evaluation.
#[derive(Default)]
struct Probes {
    exprs: Vec<Expr>,
    /// Per registered condition: and/or, its sides' texts, its first block.
    sites: Vec<(bool, Vec<String>, usize)>,
}

impl Probes {
    /// Register a condition; its number, when it is an `and`/`or`.
    fn add(&mut self, model: &Model, e: &Expr) -> Option<usize> {
        let (and, parts) = sides(e)?;
        let first = self.exprs.len();
        let texts = parts.iter().map(|p| expr_text(model, p)).collect();
        self.exprs.extend(parts.into_iter().cloned());
        self.sites.push((and, texts, first));
        Some(self.sites.len() - 1)
    }
}

/// The registered conditions' sides, evaluated for one lead.
struct Probed {
    program: Program,
    blocks: Vec<Block>,
    scratch: Scratch,
    sites: Vec<(bool, Vec<String>, usize)>,
}

impl Probed {
    fn new(probes: Probes, model: &Model, lead: &LeadRecord, now: i64) -> Probed {
        let (program, blocks) = if probes.exprs.is_empty() {
            (crate::compile(model), Vec::new())
        } else {
            compile_with_probes(model, &probes.exprs)
        };
        let mut scratch = Scratch::default();
        program.eval_core(lead, now, false, &mut scratch, None);
        Probed {
            program,
            blocks,
            scratch,
            sites: probes.sites,
        }
    }

    /// The sides of registered condition `site`, with `time_in_stage` for a
    /// transition.
    fn decision(
        &mut self,
        site: Option<usize>,
        lead: &LeadRecord,
        now: i64,
        time_in_stage: Option<i64>,
    ) -> Option<Decision> {
        let (and, texts, first) = self.sites.get(site?)?.clone();
        let mut parts = Vec::with_capacity(texts.len());
        for (k, text) in texts.into_iter().enumerate() {
            let value = match self.blocks.get(first + k) {
                Some(b) => self
                    .program
                    .run_probe(*b, lead, now, time_in_stage, &mut self.scratch)
                    .ok()
                    .and_then(|v| v.as_bool()),
                None => None,
            };
            parts.push((text, value));
        }
        Some(Decision { and, parts })
    }
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
    let seen = Seen {
        model,
        lead,
        slots: &trace.slots,
        result: &result,
    };
    // The `and`/`or` conditions, in the order they are explained below.
    let mut probes = Probes::default();
    let value_sites: Vec<Option<usize>> = model
        .values
        .iter()
        .map(|v| match v.kind {
            ValueKind::Let => None,
            _ => probes.add(model, &v.expr),
        })
        .collect();
    let rule_sites: Vec<Vec<Option<usize>>> = model
        .scores
        .iter()
        .map(|sc| {
            sc.rules
                .iter()
                .map(|r| match &r.kind {
                    RuleKind::Cond(e) => probes.add(model, e),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let arm_sites: Vec<Vec<Option<usize>>> = model
        .tiers
        .iter()
        .map(|t| {
            t.arms
                .iter()
                .map(|a| a.cond.as_ref().and_then(|c| probes.add(model, c)))
                .collect()
        })
        .collect();
    let transition_sites: Vec<Option<usize>> = model
        .transitions
        .iter()
        .map(|t| probes.add(model, &t.cond))
        .collect();
    let mut probed = Probed::new(probes, model, lead, now);

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
            reads: seen.reads(&v.expr),
            decision: probed.decision(value_sites[i], lead, now, None),
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
            let (condition, missing, reads, decision) = match &r.kind {
                RuleKind::Cond(e) => {
                    let v = trace
                        .rule_conds
                        .get(si)
                        .and_then(|x| x.get(ri))
                        .and_then(|v| v.as_ref())
                        .and_then(truth);
                    (
                        Some(v),
                        missing_if_unknown(e, v),
                        seen.reads(e),
                        probed.decision(rule_sites[si][ri], lead, now, None),
                    )
                }
                _ => (None, Vec::new(), Vec::new(), None),
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
                reads,
                decision,
                decays: sc.decay != Decay::None && !matches!(r.kind, RuleKind::Cond(_)),
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
            .enumerate()
            .map(|(ai, (a, v))| {
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
                    reads: a.cond.as_ref().map(|c| seen.reads(c)).unwrap_or_default(),
                    decision: probed.decision(arm_sites[ti][ai], lead, now, None),
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
    // How long the lead had been in its stage at each step: since the data's
    // `stage_since` at first, nothing after a move.
    let mut time_in_stage = lead.stage_since.and_then(|t| now.checked_sub(t));
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
                    reads: seen.reads(&t.cond),
                    decision: probed.decision(
                        transition_sites.get(*i as usize).copied().flatten(),
                        lead,
                        now,
                        time_in_stage,
                    ),
                    doc: t.doc.clone(),
                })
            })
            .collect();
        let fired = list.last().is_some_and(|t| t.value == Some(true));
        let cycle = fired && k == trace.walk.len() - 1 && result.cycle.is_some();
        if let Some(step) = result.path.get(k) {
            current = Some(step.to);
        }
        time_in_stage = Some(0);
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

/// Why a value is unknown: the fields the lead has no value for, those
/// whose value is a placeholder, and those whose value could not be read (a
/// data error).
fn missing_words(m: &[String], notes: &[DataNote]) -> String {
    let quote = |fs: &[&String]| {
        fs.iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let how = |f: &str| notes.iter().find(|n| n.field == f).map(|n| &n.how);
    let (mut absent, mut placeholders, mut bad) = (Vec::new(), Vec::new(), Vec::new());
    for f in m {
        match how(f) {
            Some(NoteKind::Unreadable(_)) => bad.push(f),
            Some(NoteKind::Placeholder) => placeholders.push(f),
            Some(NoteKind::Label) | None => absent.push(f),
        }
    }
    let mut why = Vec::new();
    if !absent.is_empty() {
        why.push(format!("the lead has no {}", quote(&absent)));
    }
    match placeholders.len() {
        0 => {}
        1 => why.push(format!("{} holds a placeholder", quote(&placeholders))),
        _ => why.push(format!("{} hold placeholders", quote(&placeholders))),
    }
    if !bad.is_empty() {
        why.push(format!("{} could not be read", quote(&bad)));
    }
    if why.is_empty() {
        "unknown".to_string()
    } else {
        format!("unknown, because {}", why.join(" and "))
    }
}

fn verdict(v: Option<bool>, missing: &[String], notes: &[DataNote]) -> String {
    match v {
        Some(true) => "met".to_string(),
        Some(false) => "not met".to_string(),
        None => missing_words(missing, notes),
    }
}

/// What the data held for one of the lead's fields (or for its `stage`),
/// where the value read does not say it all: the field, what the data
/// wrote, and how it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataNote {
    pub field: String,
    /// The value as the data wrote it, ready to show (`"Vice President"`).
    pub value: Option<String>,
    pub how: NoteKind,
}

/// How a value the data wrote was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// It could not be read (a data error the reader reported), and why.
    Unreadable(String),
    /// It is one of the field's placeholders (`missing`, language §3.1), so
    /// the field is unknown.
    Placeholder,
    /// It is a label of the value read (language §3.1).
    Label,
}

/// Which side of an `and`/`or` decided its value, in words; `None` when
/// the sides do not tell (they could not all be evaluated).
fn decision_words(d: &Decision, value: Option<bool>) -> Option<String> {
    let n = d.parts.len();
    let side = |k: usize| {
        if n == 2 {
            ["the left side", "the right side"][k].to_string()
        } else {
            format!("part {} of {n}", k + 1)
        }
    };
    let find = |v: Option<bool>| d.parts.iter().position(|(_, p)| *p == v);
    Some(match (d.and, value) {
        (true, Some(true)) => {
            if n == 2 {
                "both sides hold".to_string()
            } else {
                format!("all {n} parts hold")
            }
        }
        (false, Some(false)) => {
            if n == 2 {
                "neither side holds".to_string()
            } else {
                format!("none of the {n} parts holds")
            }
        }
        (true, Some(false)) => {
            let k = find(Some(false))?;
            format!("decided by {}: {} is false", side(k), d.parts[k].0)
        }
        (false, Some(true)) => {
            let k = find(Some(true))?;
            format!("decided by {}: {} holds", side(k), d.parts[k].0)
        }
        (_, None) => {
            let k = find(None)?;
            format!(
                "unknown because of {}: {} is unknown",
                side(k),
                d.parts[k].0
            )
        }
    })
}

/// How the data wrote a value it gave as a label: ` — written "Vice
/// President" (a label)`; empty when there is nothing to say.
fn label_words(field: &str, notes: &[DataNote]) -> String {
    match notes
        .iter()
        .find(|n| n.field == field && n.how == NoteKind::Label)
        .and_then(|n| n.value.as_deref())
    {
        Some(written) => format!(" — written {written} (a label)"),
        None => String::new(),
    }
}

/// A value a condition read, in words: `seniority = vp`, with how the data
/// wrote it when that was a label (`seniority = vp — written "Vice
/// President" (a label)`); for a field the data gave a placeholder, that
/// placeholder (`city = "N/A" — a placeholder, so unknown`); for a field
/// the data gave a value that could not be read, that value and why
/// (`seniority = "Vice Pres" — not a value of the enum, so unknown`).
fn read_words(model: &Model, r: &ValueRead, notes: &[DataNote]) -> String {
    if r.value.is_known() {
        let label = match r.field {
            Some(_) => label_words(&r.name, notes),
            None => String::new(),
        };
        return format!(
            "{} = {}{label}",
            r.name,
            crate::describe::value_text(model, &r.value)
        );
    }
    let Some(slot) = r.field else {
        return format!("{} = unknown", r.name);
    };
    match notes.iter().find(|p| p.field == r.name) {
        Some(DataNote {
            value,
            how: NoteKind::Placeholder,
            ..
        }) => {
            let shown = value.as_deref().unwrap_or("a value");
            format!("{} = {shown} — a placeholder, so unknown", r.name)
        }
        Some(DataNote {
            value,
            how: NoteKind::Unreadable(reason),
            ..
        }) => {
            let is_enum = model
                .schema
                .lead
                .get(slot as usize)
                .is_some_and(|f| matches!(f.ty, mql_core::Ty::Enum(_)));
            let why = if is_enum && reason.contains(" is not one of ") {
                "not a value of the enum".to_string()
            } else {
                let reason = reason.trim_end_matches(" (treated as unknown)");
                reason
                    .split_once(", found ")
                    .map_or(reason, |(head, _)| head)
                    .to_string()
            };
            let shown = value.as_deref().unwrap_or("a value");
            format!("{} = {shown} — {why}, so unknown", r.name)
        }
        Some(DataNote {
            how: NoteKind::Label,
            ..
        })
        | None => format!("{} = unknown — the data has no value for it", r.name),
    }
}

/// The lines under a condition: which side of its `and`/`or` decided it,
/// and the values it read.
fn condition_lines(
    o: &mut String,
    indent: &str,
    model: &Model,
    value: Option<bool>,
    decision: Option<&Decision>,
    reads: &[ValueRead],
    notes: &[DataNote],
) {
    if let Some(words) = decision.and_then(|d| decision_words(d, value)) {
        let _ = writeln!(o, "{indent}{words}");
    }
    for r in reads {
        let _ = writeln!(o, "{indent}{}", read_words(model, r, notes));
    }
}

/// How a score's decay applies to its rules: condition rules never decay.
fn decay_header(s: &ScoreExplanation) -> Option<String> {
    let words = decay_words(s.decay)?;
    let events = s.rules.iter().any(|r| r.condition.is_none());
    let conditions = s.rules.iter().any(|r| r.condition.is_some());
    Some(match (events, conditions) {
        (true, true) => format!(
            "{words} for the event rules (`each`, `latest`); condition rules are not decayed"
        ),
        (false, true) => {
            format!("condition rules are not decayed, so the decay ({words}) changes nothing")
        }
        _ => words,
    })
}

/// A readable, indented account of an explanation, in plain words.
pub fn render_explanation(ex: &Explanation, model: &Model) -> String {
    render_explanation_with(ex, model, &[])
}

/// [`render_explanation`], with what the data wrote for the lead's fields
/// shown where a condition read them: values that could not be read (data
/// errors), placeholders, and labels (also the starting stage's).
pub fn render_explanation_with(ex: &Explanation, model: &Model, notes: &[DataNote]) -> String {
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
        let _ = writeln!(
            o,
            "  starts in {}{since}{}",
            sy.name(from),
            label_words("stage", notes)
        );
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
                    verdict(t.value, &t.missing_fields, notes)
                );
                condition_lines(
                    &mut o,
                    "      ",
                    model,
                    t.value,
                    t.decision.as_ref(),
                    &t.reads,
                    notes,
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
                verdict(c.value, &c.missing_fields, notes)
            );
            condition_lines(
                &mut o,
                "    ",
                model,
                c.value,
                c.decision.as_ref(),
                &c.reads,
                notes,
            );
        }
    }
    if !ex.lets.is_empty() {
        let _ = writeln!(o, "\nvalues");
        for l in &ex.lets {
            let shown = if l.value.is_known() {
                crate::describe::value_text(model, &l.value)
            } else {
                missing_words(&l.missing_fields, notes)
            };
            let _ = writeln!(o, "  {} (line {}) = {} — {}", l.name, l.line, shown, l.text);
        }
    }
    // scores
    for s in &ex.scores {
        let _ = writeln!(o, "\nscore {} = {}", s.name, format_number(s.value));
        if let Some(w) = decay_header(s) {
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
                    let _ = writeln!(
                        o,
                        "    condition {}",
                        verdict(v, &rule.missing_fields, notes)
                    );
                    condition_lines(
                        &mut o,
                        "      ",
                        model,
                        v,
                        rule.decision.as_ref(),
                        &rule.reads,
                        notes,
                    );
                }
                None => {
                    if rule.events.is_empty() {
                        let _ = writeln!(o, "    no matching events");
                    }
                    for e in &rule.events {
                        if !rule.decays {
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
                        verdict(a.value, &a.missing_fields, notes)
                    );
                    condition_lines(
                        &mut o,
                        "    ",
                        model,
                        a.value,
                        a.decision.as_ref(),
                        &a.reads,
                        notes,
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

#[cfg(test)]
mod words {
    use super::*;

    fn d(and: bool, parts: &[Option<bool>]) -> Decision {
        Decision {
            and,
            parts: parts
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("p{i}"), *v))
                .collect(),
        }
    }

    #[test]
    fn the_side_that_decided_an_and_or_an_or_is_named() {
        let w = |dd: Decision, v| decision_words(&dd, v);
        assert_eq!(
            w(d(true, &[Some(true), Some(true)]), Some(true)).as_deref(),
            Some("both sides hold")
        );
        assert_eq!(
            w(d(true, &[Some(true), Some(false)]), Some(false)).as_deref(),
            Some("decided by the right side: p1 is false")
        );
        // Kleene: a false side decides an `and` even next to an unknown one.
        assert_eq!(
            w(d(true, &[None, Some(false), Some(true)]), Some(false)).as_deref(),
            Some("decided by part 2 of 3: p1 is false")
        );
        assert_eq!(
            w(d(true, &[Some(true), None]), None).as_deref(),
            Some("unknown because of the right side: p1 is unknown")
        );
        assert_eq!(
            w(d(false, &[Some(false), Some(true)]), Some(true)).as_deref(),
            Some("decided by the right side: p1 holds")
        );
        assert_eq!(
            w(d(false, &[Some(false); 3]), Some(false)).as_deref(),
            Some("none of the 3 parts holds")
        );
        assert_eq!(
            w(d(true, &[Some(true); 3]), Some(true)).as_deref(),
            Some("all 3 parts hold")
        );
        // Sides that could not be evaluated tell nothing.
        assert_eq!(w(d(false, &[Some(false), Some(false)]), Some(true)), None);
    }

    fn score(decay: Decay, kinds: &[bool]) -> ScoreExplanation {
        ScoreExplanation {
            name: "s".into(),
            decay,
            range: None,
            sum: 0.0,
            value: 0.0,
            rules: kinds
                .iter()
                .map(|is_condition| RuleExplanation {
                    line: 1,
                    text: String::new(),
                    condition: is_condition.then_some(Some(true)),
                    missing_fields: Vec::new(),
                    reads: Vec::new(),
                    decision: None,
                    decays: !is_condition && decay != Decay::None,
                    events: Vec::new(),
                    points: 1.0,
                    cap: None,
                    raw_total: 0.0,
                    total: 0.0,
                })
                .collect(),
        }
    }

    #[test]
    fn the_score_header_says_which_rules_decay() {
        let half = Decay::HalfLife(14.0 * 86_400_000.0);
        assert_eq!(
            decay_header(&score(half, &[false, true])).as_deref(),
            Some("points halve every 14d for the event rules (`each`, `latest`); condition rules are not decayed")
        );
        assert_eq!(
            decay_header(&score(half, &[false])).as_deref(),
            Some("points halve every 14d")
        );
        assert_eq!(
            decay_header(&score(half, &[true])).as_deref(),
            Some("condition rules are not decayed, so the decay (points halve every 14d) changes nothing")
        );
        assert_eq!(decay_header(&score(Decay::None, &[true, false])), None);
    }
}
