//! `mql backtest`: how well a model predicts a known yes/no outcome of the
//! leads — the outcome rate per final stage, tier and segment, precision,
//! recall and lift of "reached stage X", and how well each score ranks the
//! leads — as plain data ([`Backtest`]) with its text and JSON forms.
//!
//! [`Counts`] gathers the figures lead by lead (on any thread, block by
//! block, merged in input order); [`Backtest::new`] turns them into the
//! report.

use mql_core::time::format_time;
use mql_sema::hir::{Model, ValueKind};
use mql_vm::LeadResult;
use serde::Serialize;

use crate::stats::{self, Metrics, Tally};
use crate::table::render_table;

/// What a backtest counts over the leads; [`Counts::merge`] adds up the
/// counts of consecutive blocks.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Leads evaluated with a known outcome.
    pub all: Tally,
    /// Leads whose outcome was missing or unreadable.
    pub unknown_outcome: u64,
    /// Leads that could not be evaluated.
    pub eval_errors: u64,
    /// Per final stage, in funnel order.
    pub stage: Vec<Tally>,
    /// Per stage: leads that were in it at some point of their walk.
    pub reached: Vec<Tally>,
    /// Per tier: per label (in declaration order), then one for no label.
    pub tiers: Vec<Vec<Tally>>,
    /// Per segment: leads in it.
    pub segments: Vec<Tally>,
    /// Per score: (points, outcome) of every lead, in input order.
    pub scores: Vec<Vec<(f64, bool)>>,
}

/// The indices into `Model::values` of the segments.
fn segment_values(model: &Model) -> Vec<usize> {
    model
        .values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind == ValueKind::Segment)
        .map(|(i, _)| i)
        .collect()
}

/// The stages a lead was in: its starting stage, every stage its walk
/// passed through and its final stage, each once, as indices in funnel
/// order.
pub fn reached_stages(model: &Model, r: &LeadResult) -> Vec<usize> {
    let (Some(stages), Some(fin)) = (&model.schema.stages, r.stage) else {
        return Vec::new();
    };
    let index = |s| stages.syms.iter().position(|x| *x == s);
    let mut seen = vec![false; stages.syms.len()];
    let walk = r.from_stage.into_iter().chain(r.path.iter().map(|p| p.to));
    for s in walk.chain(std::iter::once(fin)) {
        if let Some(i) = index(s) {
            seen[i] = true;
        }
    }
    (0..seen.len()).filter(|i| seen[*i]).collect()
}

impl Counts {
    /// Empty counts for `model`.
    pub fn new(model: &Model) -> Counts {
        let stages = model.schema.stages.as_ref().map_or(0, |s| s.variants.len());
        Counts {
            all: Tally::default(),
            unknown_outcome: 0,
            eval_errors: 0,
            stage: vec![Tally::default(); stages],
            reached: vec![Tally::default(); stages],
            tiers: model
                .tiers
                .iter()
                .map(|t| vec![Tally::default(); t.arms.len() + 1])
                .collect(),
            segments: vec![Tally::default(); segment_values(model).len()],
            scores: vec![Vec::new(); model.scores.len()],
        }
    }

    /// Count one lead's result; `outcome` is `None` when the data gave no
    /// yes/no value.
    pub fn add(&mut self, model: &Model, r: &LeadResult, outcome: Option<bool>) {
        if r.error.is_some() {
            self.eval_errors += 1;
            return;
        }
        let Some(yes) = outcome else {
            self.unknown_outcome += 1;
            return;
        };
        self.all.add(yes);
        if let (Some(stages), Some(fin)) = (&model.schema.stages, r.stage) {
            if let Some(i) = stages.syms.iter().position(|x| *x == fin) {
                self.stage[i].add(yes);
            }
        }
        for i in reached_stages(model, r) {
            self.reached[i].add(yes);
        }
        for ((tier, tallies), label) in model.tiers.iter().zip(&mut self.tiers).zip(&r.tiers) {
            let i = label
                .and_then(|l| tier.arms.iter().position(|a| a.label == l))
                .unwrap_or(tier.arms.len());
            tallies[i].add(yes);
        }
        for (k, value_index) in segment_values(model).iter().enumerate() {
            if r.segments.contains(&(*value_index as u32)) {
                self.segments[k].add(yes);
            }
        }
        for (points, v) in self.scores.iter_mut().zip(&r.scores) {
            points.push((*v, yes));
        }
    }

    /// Add the counts of the leads that come after these.
    pub fn merge(&mut self, later: Counts) {
        self.all.merge(later.all);
        self.unknown_outcome += later.unknown_outcome;
        self.eval_errors += later.eval_errors;
        for (a, b) in self.stage.iter_mut().zip(later.stage) {
            a.merge(b);
        }
        for (a, b) in self.reached.iter_mut().zip(later.reached) {
            a.merge(b);
        }
        for (a, b) in self.tiers.iter_mut().zip(later.tiers) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        for (a, b) in self.segments.iter_mut().zip(later.segments) {
            a.merge(b);
        }
        for (a, b) in self.scores.iter_mut().zip(later.scores) {
            a.extend(b);
        }
    }
}

/// A rate: leads, how many had the outcome, and their share.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rate {
    pub leads: u64,
    pub with_outcome: u64,
    pub rate: Option<f64>,
}

impl From<Tally> for Rate {
    fn from(t: Tally) -> Rate {
        Rate {
            leads: t.leads,
            with_outcome: t.yes,
            rate: t.rate(),
        }
    }
}

/// "Reached this stage" as a prediction of the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Reached {
    pub leads: u64,
    pub with_outcome: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub lift: Option<f64>,
}

impl Reached {
    pub fn new(reached: Tally, all: Tally) -> Reached {
        let Metrics {
            precision,
            recall,
            lift,
            ..
        } = stats::metrics(reached, all);
        Reached {
            leads: reached.leads,
            with_outcome: reached.yes,
            precision,
            recall,
            lift,
        }
    }
}

/// One stage: the leads that ended in it, and those that reached it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageRow {
    pub stage: String,
    #[serde(rename = "final")]
    pub final_: Rate,
    pub reached: Reached,
}

/// One label of a tier (`None`: no label applied).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelRow {
    pub label: Option<String>,
    #[serde(flatten)]
    pub rate: Rate,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierRows {
    pub tier: String,
    pub labels: Vec<LabelRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentRow {
    pub segment: String,
    #[serde(flatten)]
    pub rate: Rate,
}

/// How well one score ranks the leads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreRow {
    pub score: String,
    pub mean_with_outcome: Option<f64>,
    pub mean_without_outcome: Option<f64>,
    pub auc: Option<f64>,
}

/// Where a backtest's figures come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// The rules file as named on the command line.
    pub rules: String,
    /// The outcome column as named on the command line.
    pub outcome: String,
    /// The evaluation instant.
    pub now: i64,
}

/// A backtest report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    pub rules: String,
    pub outcome: String,
    pub as_of: String,
    /// Leads with a known outcome.
    pub leads: u64,
    pub with_outcome: u64,
    pub rate: Option<f64>,
    pub unknown_outcome: u64,
    pub evaluation_errors: u64,
    pub stages: Vec<StageRow>,
    pub tiers: Vec<TierRows>,
    pub segments: Vec<SegmentRow>,
    pub scores: Vec<ScoreRow>,
}

impl Backtest {
    pub fn new(model: &Model, counts: &Counts, meta: &Meta) -> Backtest {
        let sy = &model.schema.symbols;
        let all = counts.all;
        let stages = model
            .schema
            .stages
            .as_ref()
            .map(|s| s.variants.clone())
            .unwrap_or_default();
        let stages = stages
            .into_iter()
            .zip(&counts.stage)
            .zip(&counts.reached)
            .map(|((stage, fin), reached)| StageRow {
                stage,
                final_: (*fin).into(),
                reached: Reached::new(*reached, all),
            })
            .collect();
        let tiers = model
            .tiers
            .iter()
            .zip(&counts.tiers)
            .map(|(tier, tallies)| {
                let mut labels: Vec<Option<String>> = tier
                    .arms
                    .iter()
                    .map(|a| Some(sy.name(a.label).to_string()))
                    .collect();
                // A tier with `otherwise` always gives a label.
                if tier.arms.iter().all(|a| a.cond.is_some()) {
                    labels.push(None);
                }
                TierRows {
                    tier: tier.name.clone(),
                    labels: labels
                        .into_iter()
                        .zip(tallies)
                        .map(|(label, t)| LabelRow {
                            label,
                            rate: (*t).into(),
                        })
                        .collect(),
                }
            })
            .collect();
        let segments = segment_values(model)
            .iter()
            .zip(&counts.segments)
            .map(|(v, t)| SegmentRow {
                segment: model.values[*v].name.clone(),
                rate: (*t).into(),
            })
            .collect();
        let scores = model
            .scores
            .iter()
            .zip(&counts.scores)
            .map(|(sc, pts)| ScoreRow {
                score: sc.name.clone(),
                mean_with_outcome: stats::mean(pts, true),
                mean_without_outcome: stats::mean(pts, false),
                auc: stats::auc(pts),
            })
            .collect();
        Backtest {
            rules: meta.rules.clone(),
            outcome: meta.outcome.clone(),
            as_of: format_time(meta.now),
            leads: all.leads,
            with_outcome: all.yes,
            rate: all.rate(),
            unknown_outcome: counts.unknown_outcome,
            evaluation_errors: counts.eval_errors,
            stages,
            tiers,
            segments,
            scores,
        }
    }

    /// The report as one JSON object (keys in alphabetical order).
    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The report for people.
    pub fn text(&self) -> String {
        let mut out = format!(
            "backtest of `{}` at {}: outcome `{}`\n",
            self.rules, self.as_of, self.outcome
        );
        out.push_str(&format!(
            "  {} leads with a known outcome, {} with it ({})\n",
            self.leads,
            self.with_outcome,
            pct(self.rate)
        ));
        if self.unknown_outcome > 0 {
            out.push_str(&format!(
                "  {} leads left out: their `{}` is empty or not yes/no\n",
                self.unknown_outcome, self.outcome
            ));
        }
        if self.evaluation_errors > 0 {
            out.push_str(&format!(
                "  {} leads left out: they could not be evaluated\n",
                self.evaluation_errors
            ));
        }
        let rate_header = |first: &str| header(&[first, "leads", "with outcome", "rate"]);
        let rate_row = |name: &str, r: &Rate| {
            vec![
                name.to_string(),
                r.leads.to_string(),
                r.with_outcome.to_string(),
                pct(r.rate),
            ]
        };

        if !self.stages.is_empty() {
            out.push('\n');
            let rows: Vec<Vec<String>> = self
                .stages
                .iter()
                .map(|s| rate_row(&s.stage, &s.final_))
                .collect();
            out.push_str(&render_table(&rate_header("final stage"), &rows));

            out.push('\n');
            let head = header(&[
                "reached stage",
                "leads",
                "with outcome",
                "precision",
                "recall",
                "lift",
            ]);
            let rows: Vec<Vec<String>> = self
                .stages
                .iter()
                .map(|s| {
                    let p = &s.reached;
                    vec![
                        s.stage.clone(),
                        p.leads.to_string(),
                        p.with_outcome.to_string(),
                        pct(p.precision),
                        pct(p.recall),
                        ratio(p.lift),
                    ]
                })
                .collect();
            out.push_str(&render_table(&head, &rows));
        }

        for tier in &self.tiers {
            out.push('\n');
            let rows: Vec<Vec<String>> = tier
                .labels
                .iter()
                .map(|l| rate_row(l.label.as_deref().unwrap_or("(no label)"), &l.rate))
                .collect();
            out.push_str(&render_table(
                &rate_header(&format!("tier {}", tier.tier)),
                &rows,
            ));
        }

        if !self.segments.is_empty() {
            out.push('\n');
            let rows: Vec<Vec<String>> = self
                .segments
                .iter()
                .map(|s| rate_row(&s.segment, &s.rate))
                .collect();
            out.push_str(&render_table(&rate_header("segment"), &rows));
        }

        if !self.scores.is_empty() {
            out.push('\n');
            let head = header(&["score", "mean with outcome", "mean without", "AUC"]);
            let rows: Vec<Vec<String>> = self
                .scores
                .iter()
                .map(|s| {
                    vec![
                        s.score.clone(),
                        num(s.mean_with_outcome),
                        num(s.mean_without_outcome),
                        s.auc.map_or("-".into(), |a| format!("{a:.3}")),
                    ]
                })
                .collect();
            out.push_str(&render_table(&head, &rows));
            out.push_str(
                "  (AUC: the chance that a lead with the outcome scores higher than one without; 0.5 is a coin toss)\n",
            );
        }
        out
    }
}

pub(crate) fn header(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// A share as a percentage with one decimal, `-` when unknown.
pub(crate) fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
}

/// A number with two decimals, `-` when unknown.
pub(crate) fn num(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.2}"))
}

/// A ratio such as lift, with two decimals, `-` when unknown.
pub(crate) fn ratio(x: Option<f64>) -> String {
    x.map_or("-".into(), |l| format!("{l:.2}"))
}
