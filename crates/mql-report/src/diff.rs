//! `mql diff`: what a change to the rules does to the same leads — a matrix
//! of final stages (old × new) and every lead whose stage, tier or segments
//! change — as plain data ([`Diff`]) with its text and JSON forms.
//!
//! [`Pairing`] compares the two results of each lead into [`Counts`] (on any
//! thread, block by block, merged in input order); [`Diff::new`] turns them
//! into the report.

use std::collections::{BTreeMap, BTreeSet};

use mql_core::time::format_time;
use mql_core::LeadId;
use mql_sema::hir::{Model, ValueKind};
use mql_vm::LeadResult;
use serde::Serialize;

use crate::backtest::{csv_cell, opt, pct, ratio, reached_stages, score_text, Rate, Reached};
use crate::stats::{self, Tally};
use crate::table::render_table;

/// Bars of each score's distribution in a diff.
pub const SHIFT_BINS: usize = 20;

/// The stage of a lead that could not be evaluated, in the matrix.
pub const ERROR: &str = "error";
/// The stage of every lead under a model without stages.
pub const NO_STAGES: &str = "-";

/// A pair of values: under the old rules and under the new.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OldNew<T> {
    pub old: T,
    pub new: T,
}

/// A lead's id as the data gave it (text or a whole number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Id {
    Str(String),
    Int(i64),
}

impl From<&LeadId> for Id {
    fn from(id: &LeadId) -> Id {
        match id {
            LeadId::Str(s) => Id::Str(s.to_string()),
            LeadId::Int(i) => Id::Int(*i),
        }
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Str(s) => f.write_str(s),
            Id::Int(i) => write!(f, "{i}"),
        }
    }
}

/// Segments a lead joins and leaves.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SegmentChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// One lead whose final stage, tier labels or segments differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub id: Id,
    pub stage: OldNew<String>,
    /// Tiers (declared in both versions) whose label changed.
    pub tiers: BTreeMap<String, OldNew<Option<String>>>,
    pub segments: SegmentChange,
    /// Every score of each version (`None` when not finite).
    pub scores: OldNew<BTreeMap<String, Option<f64>>>,
    pub error: OldNew<Option<String>>,
}

impl Change {
    pub fn stage_changed(&self) -> bool {
        self.stage.old != self.stage.new
    }

    pub fn segments_changed(&self) -> bool {
        !self.segments.added.is_empty() || !self.segments.removed.is_empty()
    }
}

/// What a lead got from one model, in names (the two models have their own
/// symbol tables, so only names can be compared).
struct Outcome<'m> {
    /// The final stage's index on the model's axis ([`Axis`]).
    stage: usize,
    stage_name: &'m str,
    /// Label per tier of the model.
    tiers: Vec<Option<&'m str>>,
    segments: BTreeSet<&'m str>,
    error: Option<&'m str>,
}

/// The labels of one side of the stage matrix: the stages in funnel order
/// (or `-` for a model without stages), then `error`.
fn axis(model: &Model) -> Vec<String> {
    let mut labels: Vec<String> = match &model.schema.stages {
        Some(stages) => stages.variants.clone(),
        None => vec![NO_STAGES.to_string()],
    };
    labels.push(ERROR.to_string());
    labels
}

fn result_of<'m>(r: &'m LeadResult, model: &'m Model) -> Outcome<'m> {
    let sy = &model.schema.symbols;
    let last = model.schema.stages.as_ref().map_or(1, |s| s.syms.len());
    if let Some(e) = &r.error {
        return Outcome {
            stage: last,
            stage_name: ERROR,
            tiers: Vec::new(),
            segments: BTreeSet::new(),
            error: Some(&e.0),
        };
    }
    let (stage, stage_name) = match (&model.schema.stages, r.stage) {
        (Some(stages), Some(s)) => (
            stages.syms.iter().position(|x| *x == s).unwrap_or(last),
            sy.name(s),
        ),
        _ => (0, NO_STAGES),
    };
    Outcome {
        stage,
        stage_name,
        tiers: r.tiers.iter().map(|l| l.map(|s| sy.name(s))).collect(),
        segments: r
            .segments
            .iter()
            .filter_map(|i| model.values.get(*i as usize))
            .filter(|v| v.kind == ValueKind::Segment)
            .map(|v| v.name.as_str())
            .collect(),
        error: None,
    }
}

/// What a diff counts over the leads; [`Counts::merge`] adds up the counts
/// of consecutive blocks.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub compared: u64,
    /// Leads per (old stage, new stage), on the axes of [`axis`].
    pub matrix: Vec<Vec<u64>>,
    /// The leads that change, in input order.
    pub changes: Vec<Change>,
    /// Per score both versions declare: (old, new) points of every lead
    /// both evaluated.
    pub shifts: Vec<Vec<(f64, f64)>>,
    /// With an outcome column (`--outcome`).
    pub outcome: Option<OutcomeCounts>,
}

/// What a diff counts against a known yes/no outcome.
#[derive(Clone, Debug, Default)]
pub struct OutcomeCounts {
    /// Leads with a known outcome.
    pub all: Tally,
    /// Leads whose outcome was missing or not yes/no.
    pub unknown: u64,
    /// Per stage of each version: leads that reached it.
    pub reached_old: Vec<Tally>,
    pub reached_new: Vec<Tally>,
    /// Per (old stage, new stage) cell of the matrix.
    pub cells: Vec<Vec<Tally>>,
}

fn add_grid<T: Copy>(a: &mut [Vec<T>], b: Vec<Vec<T>>, add: impl Fn(&mut T, T)) {
    for (x, y) in a.iter_mut().zip(b) {
        for (p, q) in x.iter_mut().zip(y) {
            add(p, q);
        }
    }
}

impl Counts {
    pub fn merge(&mut self, later: Counts) {
        self.compared += later.compared;
        add_grid(&mut self.matrix, later.matrix, |x, y| *x += y);
        self.changes.extend(later.changes);
        for (a, b) in self.shifts.iter_mut().zip(later.shifts) {
            a.extend(b);
        }
        if let (Some(a), Some(b)) = (&mut self.outcome, later.outcome) {
            a.all.merge(b.all);
            a.unknown += b.unknown;
            for (x, y) in a.reached_old.iter_mut().zip(b.reached_old) {
                x.merge(y);
            }
            for (x, y) in a.reached_new.iter_mut().zip(b.reached_new) {
                x.merge(y);
            }
            add_grid(&mut a.cells, b.cells, Tally::merge);
        }
    }
}

/// The two versions of a model, ready to compare results.
pub struct Pairing<'m> {
    pub old: &'m Model,
    pub new: &'m Model,
    /// Tiers both versions declare: (name, index in old, index in new).
    common_tiers: Vec<(&'m str, usize, usize)>,
    /// Scores both versions declare: (name, index in old, index in new).
    common_scores: Vec<(&'m str, usize, usize)>,
    /// The name of the outcome column, when the figures are measured
    /// against one.
    pub outcome: Option<String>,
}

impl<'m> Pairing<'m> {
    /// Pair two versions; `outcome` names the yes/no column the figures are
    /// measured against, if any.
    pub fn new(old: &'m Model, new: &'m Model, outcome: Option<String>) -> Pairing<'m> {
        let common_tiers = old
            .tiers
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let j = new.tiers.iter().position(|n| n.name == t.name)?;
                Some((t.name.as_str(), i, j))
            })
            .collect();
        let common_scores = old
            .scores
            .iter()
            .enumerate()
            .filter_map(|(i, sc)| {
                let j = new.scores.iter().position(|n| n.name == sc.name)?;
                Some((sc.name.as_str(), i, j))
            })
            .collect();
        Pairing {
            old,
            new,
            common_tiers,
            common_scores,
            outcome,
        }
    }

    /// Empty counts.
    pub fn counts(&self) -> Counts {
        let (rows, cols) = (axis(self.old).len(), axis(self.new).len());
        let stages = |m: &Model| m.schema.stages.as_ref().map_or(0, |s| s.syms.len());
        Counts {
            compared: 0,
            matrix: vec![vec![0; cols]; rows],
            changes: Vec::new(),
            shifts: vec![Vec::new(); self.common_scores.len()],
            outcome: self.outcome.as_ref().map(|_| OutcomeCounts {
                all: Tally::default(),
                unknown: 0,
                reached_old: vec![Tally::default(); stages(self.old)],
                reached_new: vec![Tally::default(); stages(self.new)],
                cells: vec![vec![Tally::default(); cols]; rows],
            }),
        }
    }

    /// Compare one lead's results under the old and the new rules;
    /// `outcome` is the lead's known yes/no outcome, if any.
    pub fn add(
        &self,
        counts: &mut Counts,
        old: &LeadResult,
        new: &LeadResult,
        outcome: Option<bool>,
    ) {
        fn label<'a>(o: &Outcome<'a>, i: usize) -> Option<&'a str> {
            o.tiers.get(i).copied().flatten()
        }
        counts.compared += 1;
        let (a, b) = (result_of(old, self.old), result_of(new, self.new));
        if let Some(row) = counts.matrix.get_mut(a.stage) {
            if let Some(cell) = row.get_mut(b.stage) {
                *cell += 1;
            }
        }
        if old.error.is_none() && new.error.is_none() {
            for (points, &(_, i, j)) in counts.shifts.iter_mut().zip(&self.common_scores) {
                if let (Some(x), Some(y)) = (old.scores.get(i), new.scores.get(j)) {
                    points.push((*x, *y));
                }
            }
        }
        match (&mut counts.outcome, outcome) {
            (Some(o), Some(yes)) => {
                o.all.add(yes);
                if let Some(cell) = o.cells.get_mut(a.stage).and_then(|r| r.get_mut(b.stage)) {
                    cell.add(yes);
                }
                for (reached, r, model) in [
                    (&mut o.reached_old, old, self.old),
                    (&mut o.reached_new, new, self.new),
                ] {
                    for i in reached_stages(model, r) {
                        if let Some(t) = reached.get_mut(i) {
                            t.add(yes);
                        }
                    }
                }
            }
            (Some(o), None) => o.unknown += 1,
            _ => {}
        }
        let tiers: BTreeMap<String, OldNew<Option<String>>> = self
            .common_tiers
            .iter()
            .filter_map(|&(name, i, j)| {
                let (x, y) = (label(&a, i), label(&b, j));
                (x != y).then(|| {
                    (
                        name.to_string(),
                        OldNew {
                            old: x.map(str::to_string),
                            new: y.map(str::to_string),
                        },
                    )
                })
            })
            .collect();
        let names = |set: std::collections::btree_set::Difference<&str>| {
            set.map(|s| s.to_string()).collect::<Vec<String>>()
        };
        let segments = SegmentChange {
            added: names(b.segments.difference(&a.segments)),
            removed: names(a.segments.difference(&b.segments)),
        };
        if a.stage_name == b.stage_name
            && tiers.is_empty()
            && segments.added.is_empty()
            && segments.removed.is_empty()
        {
            return;
        }
        let scores = |model: &Model, r: &LeadResult| -> BTreeMap<String, Option<f64>> {
            if r.error.is_some() {
                return BTreeMap::new();
            }
            model
                .scores
                .iter()
                .zip(&r.scores)
                .map(|(s, v)| (s.name.clone(), v.is_finite().then_some(*v)))
                .collect()
        };
        counts.changes.push(Change {
            id: (&new.id).into(),
            stage: OldNew {
                old: a.stage_name.to_string(),
                new: b.stage_name.to_string(),
            },
            tiers,
            segments,
            scores: OldNew {
                old: scores(self.old, old),
                new: scores(self.new, new),
            },
            error: OldNew {
                old: a.error.map(str::to_string),
                new: b.error.map(str::to_string),
            },
        });
    }
}

/// How many leads change, and in what.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChangedCounts {
    pub any: u64,
    pub stage: u64,
    pub tier: u64,
    pub segments: u64,
}

/// How one score moves from the old rules to the new, over the leads both
/// versions evaluated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreShift {
    pub score: String,
    pub mean_old: Option<f64>,
    pub mean_new: Option<f64>,
    /// Leads whose score went up, down, or stayed.
    pub higher: u64,
    pub lower: u64,
    pub unchanged: u64,
    /// The score's distribution under each version, on the same bars.
    pub distribution: Vec<ShiftBin>,
}

/// One bar of a score's distribution under the old and the new rules: the
/// leads whose score is in `[lo, hi)` (the last bar includes `hi`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ShiftBin {
    pub lo: f64,
    pub hi: f64,
    pub old: u64,
    pub new: u64,
}

/// "Reached this stage" under each version, for one stage name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageSides {
    pub stage: String,
    /// `None` when that version has no such stage.
    pub old: Option<Reached>,
    pub new: Option<Reached>,
}

/// A diff's figures against a known yes/no outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiffOutcome {
    /// The outcome column as named on the command line.
    pub field: String,
    /// Leads with a known outcome, and how many had it.
    pub leads: u64,
    pub with_outcome: u64,
    pub rate: Option<f64>,
    pub unknown_outcome: u64,
    /// Per stage (the old version's in funnel order, then the new one's
    /// other stages): precision, recall and lift of reaching it.
    pub stages: Vec<StageSides>,
    /// The outcome among the leads of each cell of the stage matrix (same
    /// rows and columns).
    #[serde(skip)]
    pub cells: Vec<Vec<Rate>>,
}

/// Where a diff's figures come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// The two rules files and the leads file as named on the command line.
    pub old: String,
    pub new: String,
    pub leads: String,
    pub now: i64,
}

/// A diff report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diff {
    pub old: String,
    pub new: String,
    pub as_of: String,
    /// Leads compared.
    pub leads: u64,
    /// The labels of the matrix's rows (old) and columns (new): the stages in
    /// funnel order, and `error` when a lead could not be evaluated.
    pub stages: OldNew<Vec<String>>,
    /// Leads per (old stage, new stage).
    pub matrix: Vec<Vec<u64>>,
    pub changed_counts: ChangedCounts,
    pub changed: Vec<Change>,
    /// How each score both versions declare moves.
    pub score_shifts: Vec<ScoreShift>,
    /// With `--outcome`: the figures measured against the outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<DiffOutcome>,
    /// The leads file, as named on the command line.
    #[serde(skip)]
    pub leads_file: String,
    /// Tiers both versions declare, in the old version's order.
    #[serde(skip)]
    pub common_tiers: Vec<String>,
    /// Tiers only one version declares: (tier, the file that declares it).
    #[serde(skip)]
    pub lone_tiers: Vec<(String, String)>,
}

impl Diff {
    pub fn new(pairing: &Pairing, counts: Counts, meta: &Meta) -> Diff {
        let (mut rows, mut cols) = (axis(pairing.old), axis(pairing.new));
        let mut matrix = counts.matrix;
        let mut cells = counts.outcome.as_ref().map(|o| o.cells.clone());
        // The `error` row and column only when some lead needs them.
        if matrix.last().is_some_and(|r| r.iter().all(|n| *n == 0)) {
            matrix.pop();
            rows.pop();
            if let Some(c) = &mut cells {
                c.pop();
            }
        }
        if matrix.iter().all(|r| r.last().is_none_or(|n| *n == 0)) {
            for r in &mut matrix {
                r.pop();
            }
            for r in cells.iter_mut().flatten() {
                r.pop();
            }
            cols.pop();
        }
        let score_shifts = pairing
            .common_scores
            .iter()
            .zip(&counts.shifts)
            .map(|((name, _, _), points)| shift(name, points))
            .collect();
        let outcome = counts.outcome.as_ref().map(|o| {
            let stage_names = |m: &Model| -> Vec<String> {
                m.schema
                    .stages
                    .as_ref()
                    .map(|s| s.variants.clone())
                    .unwrap_or_default()
            };
            let (old_names, new_names) = (stage_names(pairing.old), stage_names(pairing.new));
            let mut names = old_names.clone();
            names.extend(new_names.iter().filter(|n| !old_names.contains(n)).cloned());
            let side = |names: &[String], reached: &[Tally], stage: &str| {
                let i = names.iter().position(|n| n == stage)?;
                Some(Reached::new(*reached.get(i)?, o.all))
            };
            DiffOutcome {
                field: pairing.outcome.clone().unwrap_or_default(),
                leads: o.all.leads,
                with_outcome: o.all.yes,
                rate: o.all.rate(),
                unknown_outcome: o.unknown,
                stages: names
                    .iter()
                    .map(|stage| StageSides {
                        stage: stage.clone(),
                        old: side(&old_names, &o.reached_old, stage),
                        new: side(&new_names, &o.reached_new, stage),
                    })
                    .collect(),
                cells: cells
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| r.into_iter().map(Rate::from).collect())
                    .collect(),
            }
        });
        let changed_counts = ChangedCounts {
            any: counts.changes.len() as u64,
            stage: counts.changes.iter().filter(|c| c.stage_changed()).count() as u64,
            tier: counts
                .changes
                .iter()
                .filter(|c| !c.tiers.is_empty())
                .count() as u64,
            segments: counts
                .changes
                .iter()
                .filter(|c| c.segments_changed())
                .count() as u64,
        };
        let common_tiers: Vec<String> = pairing
            .common_tiers
            .iter()
            .map(|(n, _, _)| n.to_string())
            .collect();
        let mut lone_tiers = Vec::new();
        for (model, path) in [(pairing.old, &meta.old), (pairing.new, &meta.new)] {
            for t in &model.tiers {
                if !common_tiers.contains(&t.name) {
                    lone_tiers.push((t.name.clone(), path.clone()));
                }
            }
        }
        Diff {
            old: meta.old.clone(),
            new: meta.new.clone(),
            as_of: format_time(meta.now),
            leads: counts.compared,
            stages: OldNew {
                old: rows,
                new: cols,
            },
            matrix,
            changed_counts,
            changed: counts.changes,
            score_shifts,
            outcome,
            leads_file: meta.leads.clone(),
            common_tiers,
            lone_tiers,
        }
    }

    /// The report as one JSON object (keys in alphabetical order; each
    /// matrix row as `{"from": OLD, "to": {NEW: leads, …}}`).
    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let (rows, cols) = (&self.stages.old, &self.stages.new);
        v["matrix"] = matrix_json(rows, cols, &self.matrix, |n| (*n).into());
        if let Some(o) = &self.outcome {
            v["outcome"]["matrix"] = matrix_json(rows, cols, &o.cells, |r| {
                serde_json::to_value(r).unwrap_or(serde_json::Value::Null)
            });
        }
        v
    }

    /// The leads that change, as one CSV table: the id, the final stage, the
    /// label of each tier both versions declare and every score under each
    /// version, the segments joined and left, and any evaluation error.
    pub fn csv(&self) -> String {
        let mut scores: Vec<&str> = Vec::new();
        for c in &self.changed {
            for name in c.scores.old.keys().chain(c.scores.new.keys()) {
                if !scores.contains(&name.as_str()) {
                    scores.push(name);
                }
            }
        }
        let mut head = vec!["id".to_string(), "stage_old".into(), "stage_new".into()];
        for t in &self.common_tiers {
            head.push(format!("{t}_old"));
            head.push(format!("{t}_new"));
        }
        head.push("segments_added".into());
        head.push("segments_removed".into());
        for sc in &scores {
            head.push(format!("{sc}_old"));
            head.push(format!("{sc}_new"));
        }
        head.push("error_old".into());
        head.push("error_new".into());
        let mut out: String = head
            .iter()
            .map(|h| csv_cell(h))
            .collect::<Vec<_>>()
            .join(",");
        out.push('\n');
        for c in &self.changed {
            let mut row = vec![
                csv_cell(&c.id.to_string()),
                csv_cell(&c.stage.old),
                csv_cell(&c.stage.new),
            ];
            for t in &self.common_tiers {
                match c.tiers.get(t) {
                    Some(x) => {
                        row.push(csv_cell(label(x.old.as_deref())));
                        row.push(csv_cell(label(x.new.as_deref())));
                    }
                    // Unchanged: the label is the same under both.
                    None => {
                        row.push(String::new());
                        row.push(String::new());
                    }
                }
            }
            row.push(csv_cell(&c.segments.added.join(";")));
            row.push(csv_cell(&c.segments.removed.join(";")));
            for sc in &scores {
                row.push(opt(c.scores.old.get(*sc).copied().flatten()));
                row.push(opt(c.scores.new.get(*sc).copied().flatten()));
            }
            row.push(csv_cell(c.error.old.as_deref().unwrap_or("")));
            row.push(csv_cell(c.error.new.as_deref().unwrap_or("")));
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }

    /// The report for people; `limit` shortens the list of changed leads.
    pub fn text(&self, limit: Option<usize>) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "compared {} leads of `{}` at {}\n  old: {}\n  new: {}\n",
            self.leads, self.leads_file, self.as_of, self.old, self.new
        ));
        for (tier, path) in &self.lone_tiers {
            s.push_str(&format!(
                "  note: tier `{tier}` is only in `{path}`, so its labels are not compared\n"
            ));
        }

        s.push_str("\nfinal stage (rows: old rules, columns: new rules)\n");
        let mut header = vec![String::new()];
        header.extend(self.stages.new.iter().cloned());
        let body: Vec<Vec<String>> = self
            .stages
            .old
            .iter()
            .zip(&self.matrix)
            .map(|(label, counts)| {
                let mut row = vec![label.clone()];
                row.extend(counts.iter().map(|n| n.to_string()));
                row
            })
            .collect();
        s.push_str(&indent(&render_table(&header, &body)));

        if let Some(o) = &self.outcome {
            s.push_str(&format!(
                "\noutcome `{}`: {} leads with a known outcome, {} with it ({})\n",
                o.field,
                o.leads,
                o.with_outcome,
                pct(o.rate)
            ));
            if o.unknown_outcome > 0 {
                s.push_str(&format!(
                    "  {} leads left out: their `{}` is empty or not yes/no\n",
                    o.unknown_outcome, o.field
                ));
            }
            s.push_str("\noutcome rate by final stage (rows: old rules, columns: new rules)\n");
            let mut header = vec![String::new()];
            header.extend(self.stages.new.iter().cloned());
            let body: Vec<Vec<String>> = self
                .stages
                .old
                .iter()
                .zip(&o.cells)
                .map(|(label, cells)| {
                    let mut row = vec![label.clone()];
                    row.extend(cells.iter().map(rate_cell));
                    row
                })
                .collect();
            s.push_str(&indent(&render_table(&header, &body)));

            s.push_str("\nreached stage, as a prediction of the outcome: old rules | new rules\n");
            let header: Vec<String> = [
                "stage",
                "old leads",
                "precision",
                "recall",
                "lift",
                "new leads",
                "precision",
                "recall",
                "lift",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect();
            let side = |r: &Option<Reached>| -> Vec<String> {
                match r {
                    Some(r) => vec![
                        r.leads.to_string(),
                        pct(r.precision),
                        pct(r.recall),
                        ratio(r.lift),
                    ],
                    None => vec!["-".into(), String::new(), String::new(), String::new()],
                }
            };
            let body: Vec<Vec<String>> = o
                .stages
                .iter()
                .map(|st| {
                    let mut row = vec![st.stage.clone()];
                    row.extend(side(&st.old));
                    row.extend(side(&st.new));
                    row
                })
                .collect();
            s.push_str(&render_table(&header, &body));
        }

        if !self.score_shifts.is_empty() {
            s.push_str("\nscores (leads both versions evaluated)\n");
            let header: Vec<String> = [
                "score",
                "mean old",
                "mean new",
                "higher",
                "lower",
                "unchanged",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect();
            let body: Vec<Vec<String>> = self
                .score_shifts
                .iter()
                .map(|sh| {
                    vec![
                        sh.score.clone(),
                        sh.mean_old.map_or("-".into(), score_text),
                        sh.mean_new.map_or("-".into(), score_text),
                        sh.higher.to_string(),
                        sh.lower.to_string(),
                        sh.unchanged.to_string(),
                    ]
                })
                .collect();
            s.push_str(&render_table(&header, &body));
        }

        let c = self.changed_counts;
        if self.changed.is_empty() {
            s.push_str("\nno lead changes stage, tier or segments\n");
            return s;
        }
        s.push_str(&format!(
            "\n{} of {} leads change: {} stage, {} tier, {} segments\n\n",
            c.any, self.leads, c.stage, c.tier, c.segments
        ));
        let mut header = vec!["id".to_string(), "stage".to_string()];
        header.extend(self.common_tiers.iter().cloned());
        header.push("segments".into());
        let shown = limit.unwrap_or(usize::MAX).min(self.changed.len());
        let body: Vec<Vec<String>> = self.changed[..shown]
            .iter()
            .map(|c| {
                let mut row = vec![c.id.to_string()];
                row.push(if c.stage_changed() {
                    format!("{} → {}", c.stage.old, c.stage.new)
                } else {
                    c.stage.new.clone()
                });
                for name in &self.common_tiers {
                    row.push(match c.tiers.get(name) {
                        Some(t) => {
                            format!("{} → {}", label(t.old.as_deref()), label(t.new.as_deref()))
                        }
                        None => String::new(),
                    });
                }
                let mut segs: Vec<String> =
                    c.segments.added.iter().map(|n| format!("+{n}")).collect();
                segs.extend(c.segments.removed.iter().map(|n| format!("-{n}")));
                row.push(segs.join(" "));
                row
            })
            .collect();
        s.push_str(&render_table(&header, &body));
        if shown < self.changed.len() {
            s.push_str(&format!(
                "… and {} more (drop `--limit` to list them all)\n",
                self.changed.len() - shown
            ));
        }
        s
    }
}

/// How one score moved over the leads both versions evaluated.
fn shift(name: &str, points: &[(f64, f64)]) -> ScoreShift {
    let mean = |pick: fn(&(f64, f64)) -> f64| {
        let vs: Vec<f64> = points.iter().map(pick).filter(|v| !v.is_nan()).collect();
        (!vs.is_empty()).then(|| vs.iter().sum::<f64>() / vs.len() as f64)
    };
    let (mut higher, mut lower, mut unchanged) = (0, 0, 0);
    for (a, b) in points {
        match b.partial_cmp(a) {
            Some(std::cmp::Ordering::Greater) => higher += 1,
            Some(std::cmp::Ordering::Less) => lower += 1,
            _ => unchanged += 1,
        }
    }
    let old: Vec<f64> = points.iter().map(|p| p.0).collect();
    let new: Vec<f64> = points.iter().map(|p| p.1).collect();
    ScoreShift {
        score: name.to_string(),
        mean_old: mean(|p| p.0),
        mean_new: mean(|p| p.1),
        higher,
        lower,
        unchanged,
        distribution: stats::histogram([&old, &new], SHIFT_BINS)
            .into_iter()
            .map(|b| ShiftBin {
                lo: b.lo,
                hi: b.hi,
                old: b.counts[0],
                new: b.counts[1],
            })
            .collect(),
    }
}

/// A matrix as JSON rows `{"from": ROW, "to": {COLUMN: cell, …}}`.
fn matrix_json<T>(
    rows: &[String],
    cols: &[String],
    cells: &[Vec<T>],
    cell: impl Fn(&T) -> serde_json::Value,
) -> serde_json::Value {
    let out: Vec<serde_json::Value> = rows
        .iter()
        .zip(cells)
        .map(|(from, counts)| {
            let to: serde_json::Map<String, serde_json::Value> = cols
                .iter()
                .zip(counts)
                .map(|(c, n)| (c.clone(), cell(n)))
                .collect();
            serde_json::json!({"from": from, "to": to})
        })
        .collect();
    out.into()
}

/// An outcome rate with its counts, `50.0% (1/2)`, or `-` with no leads.
fn rate_cell(r: &Rate) -> String {
    match r.rate {
        Some(_) => format!("{} ({}/{})", pct(r.rate), r.with_outcome, r.leads),
        None => "-".to_string(),
    }
}

fn label(l: Option<&str>) -> &str {
    l.unwrap_or("none")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
