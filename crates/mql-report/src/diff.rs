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

use crate::table::render_table;

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

fn outcome<'m>(r: &'m LeadResult, model: &'m Model) -> Outcome<'m> {
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
}

impl Counts {
    pub fn merge(&mut self, later: Counts) {
        self.compared += later.compared;
        for (a, b) in self.matrix.iter_mut().zip(later.matrix) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.changes.extend(later.changes);
    }
}

/// The two versions of a model, ready to compare results.
pub struct Pairing<'m> {
    pub old: &'m Model,
    pub new: &'m Model,
    /// Tiers both versions declare: (name, index in old, index in new).
    common_tiers: Vec<(&'m str, usize, usize)>,
}

impl<'m> Pairing<'m> {
    pub fn new(old: &'m Model, new: &'m Model) -> Pairing<'m> {
        let common_tiers = old
            .tiers
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let j = new.tiers.iter().position(|n| n.name == t.name)?;
                Some((t.name.as_str(), i, j))
            })
            .collect();
        Pairing {
            old,
            new,
            common_tiers,
        }
    }

    /// Empty counts.
    pub fn counts(&self) -> Counts {
        Counts {
            compared: 0,
            matrix: vec![vec![0; axis(self.new).len()]; axis(self.old).len()],
            changes: Vec::new(),
        }
    }

    /// Compare one lead's results under the old and the new rules.
    pub fn add(&self, counts: &mut Counts, old: &LeadResult, new: &LeadResult) {
        fn label<'a>(o: &Outcome<'a>, i: usize) -> Option<&'a str> {
            o.tiers.get(i).copied().flatten()
        }
        counts.compared += 1;
        let (a, b) = (outcome(old, self.old), outcome(new, self.new));
        if let Some(row) = counts.matrix.get_mut(a.stage) {
            if let Some(cell) = row.get_mut(b.stage) {
                *cell += 1;
            }
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
        // The `error` row and column only when some lead needs them.
        if matrix.last().is_some_and(|r| r.iter().all(|n| *n == 0)) {
            matrix.pop();
            rows.pop();
        }
        if matrix.iter().all(|r| r.last().is_none_or(|n| *n == 0)) {
            for r in &mut matrix {
                r.pop();
            }
            cols.pop();
        }
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
            leads_file: meta.leads.clone(),
            common_tiers,
            lone_tiers,
        }
    }

    /// The report as one JSON object (keys in alphabetical order; each
    /// matrix row as `{"from": OLD, "to": {NEW: leads, …}}`).
    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let matrix: Vec<serde_json::Value> = self
            .stages
            .old
            .iter()
            .zip(&self.matrix)
            .map(|(from, counts)| {
                let to: serde_json::Map<String, serde_json::Value> = self
                    .stages
                    .new
                    .iter()
                    .zip(counts)
                    .map(|(c, n)| (c.clone(), (*n).into()))
                    .collect();
                serde_json::json!({"from": from, "to": to})
            })
            .collect();
        v["matrix"] = matrix.into();
        v
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

fn label(l: Option<&str>) -> &str {
    l.unwrap_or("none")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
