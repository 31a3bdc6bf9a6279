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

use crate::stats::{self, Decile, Metrics, Point, Ranked, SweepRow, Tally};
use crate::table::render_table;

/// Bars of each score's distribution in a report.
pub const DISTRIBUTION_BINS: usize = 20;
/// Points kept of each ROC and cumulative gain curve.
pub const CURVE_POINTS: usize = 101;

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
    /// The outcome rate in each tenth of the leads ranked by this score,
    /// highest scores first.
    pub deciles: Vec<Decile>,
    /// The score's distribution, split by outcome.
    pub distribution: Vec<OutcomeBin>,
    /// The ROC curve: (false positive rate, true positive rate) as the
    /// threshold goes down the scores.
    pub roc: Vec<Point>,
    /// The cumulative gain curve: (share of the leads, share of those with
    /// the outcome) taking the highest scores first.
    pub gain: Vec<Point>,
}

/// One bar of a score's distribution: the leads whose score is in `[lo,
/// hi)` (the last bar includes `hi`), with and without the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OutcomeBin {
    pub lo: f64,
    pub hi: f64,
    pub with_outcome: u64,
    pub without_outcome: u64,
}

/// A threshold sweep of one score (`--sweep`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sweep {
    pub score: String,
    /// The thresholds were the score's deciles among the leads (else given).
    pub deciles: bool,
    pub rows: Vec<SweepRow>,
}

/// What `--sweep SCORE [--thresholds T,…]` asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRequest {
    /// The score's index in the model.
    pub score: usize,
    /// The thresholds; `None`: the score's deciles among the leads.
    pub thresholds: Option<Vec<f64>>,
}

/// The score `name` of `model`, or a message naming the model's scores.
pub fn find_score(model: &Model, name: &str) -> Result<usize, String> {
    if let Some(i) = model.scores.iter().position(|s| s.name == name) {
        return Ok(i);
    }
    let names: Vec<&str> = model.scores.iter().map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        return Err(format!(
            "`--sweep {name}`: the model declares no score to sweep"
        ));
    }
    Err(format!(
        "`--sweep {name}`: the model has no score `{name}`; its scores are {}",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
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
    /// With `--sweep`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
}

impl Backtest {
    pub fn new(
        model: &Model,
        counts: &Counts,
        meta: &Meta,
        sweep: Option<&SweepRequest>,
    ) -> Backtest {
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
            .map(|(sc, pts)| {
                let ranked = Ranked::new(pts);
                let (roc, gain) = ranked.curves(CURVE_POINTS);
                let yes: Vec<f64> = pts.iter().filter(|p| p.1).map(|p| p.0).collect();
                let no: Vec<f64> = pts.iter().filter(|p| !p.1).map(|p| p.0).collect();
                ScoreRow {
                    score: sc.name.clone(),
                    mean_with_outcome: stats::mean(pts, true),
                    mean_without_outcome: stats::mean(pts, false),
                    auc: stats::auc(pts),
                    deciles: ranked.deciles(),
                    distribution: stats::histogram([&yes, &no], DISTRIBUTION_BINS)
                        .into_iter()
                        .map(|b| OutcomeBin {
                            lo: b.lo,
                            hi: b.hi,
                            with_outcome: b.counts[0],
                            without_outcome: b.counts[1],
                        })
                        .collect(),
                    roc,
                    gain,
                }
            })
            .collect();
        let sweep = sweep.and_then(|req| {
            let name = model.scores.get(req.score)?.name.clone();
            let ranked = Ranked::new(counts.scores.get(req.score)?);
            let thresholds = match &req.thresholds {
                Some(t) => t.clone(),
                None => ranked.decile_thresholds(),
            };
            Some(Sweep {
                score: name,
                deciles: req.thresholds.is_none(),
                rows: ranked.sweep(&thresholds),
            })
        });
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
            sweep,
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
            for s in &self.scores {
                out.push('\n');
                let title = format!("{} decile", s.score);
                let head = header(&[
                    &title,
                    "highest score",
                    "lowest score",
                    "leads",
                    "with outcome",
                    "rate",
                ]);
                let rows: Vec<Vec<String>> = s
                    .deciles
                    .iter()
                    .map(|d| {
                        vec![
                            decile_name(d),
                            score_text(d.max),
                            score_text(d.min),
                            d.tally.leads.to_string(),
                            d.tally.yes.to_string(),
                            pct(d.tally.rate()),
                        ]
                    })
                    .collect();
                out.push_str(&render_table(&head, &rows));
            }
            out.push_str(
                "  (deciles: the leads ranked by the score, highest first, in ten groups; leads with the same score stay together, so one row can cover several deciles, as in 3–5)\n",
            );
        }

        if let Some(sweep) = &self.sweep {
            out.push('\n');
            let source = if sweep.deciles {
                "the score's deciles among the leads"
            } else {
                "as given"
            };
            out.push_str(&format!(
                "sweep of `{}` (thresholds: {source}); a lead is picked when {} >= the threshold\n",
                sweep.score, sweep.score
            ));
            let first = format!("{} >=", sweep.score);
            let head = header(&[
                &first,
                "leads",
                "with outcome",
                "precision",
                "recall",
                "lift",
                "F1",
            ]);
            let rows: Vec<Vec<String>> = sweep
                .rows
                .iter()
                .map(|r| {
                    vec![
                        score_text(r.threshold),
                        r.selected.leads.to_string(),
                        r.selected.yes.to_string(),
                        pct(r.metrics.precision),
                        pct(r.metrics.recall),
                        ratio(r.metrics.lift),
                        r.metrics.f1.map_or("-".into(), |f| format!("{f:.3}")),
                    ]
                })
                .collect();
            out.push_str(&render_table(&head, &rows));
        }
        out
    }

    /// The report as one CSV table a spreadsheet can filter: a row per
    /// group of leads, named by its table (`final stage`, `reached stage`,
    /// `tier NAME`, `segment`, `score`, `decile NAME`, `sweep NAME`) and row.
    pub fn csv(&self) -> String {
        let mut out =
            String::from("table,row,leads,with_outcome,rate,precision,recall,lift,f1,auc\n");
        let mut row = |table: &str, name: &str, t: Tally, m: Option<Metrics>, auc: Option<f64>| {
            let m = m.unwrap_or_default();
            let cells = [
                csv_cell(table),
                csv_cell(name),
                t.leads.to_string(),
                t.yes.to_string(),
                opt(t.rate()),
                opt(m.precision),
                opt(m.recall),
                opt(m.lift),
                opt(m.f1),
                opt(auc),
            ];
            out.push_str(&cells.join(","));
            out.push('\n');
        };
        let all = Tally {
            leads: self.leads,
            yes: self.with_outcome,
        };
        row("all", "", all, None, None);
        for s in &self.stages {
            row("final stage", &s.stage, tally(&s.final_), None, None);
        }
        for s in &self.stages {
            let t = Tally {
                leads: s.reached.leads,
                yes: s.reached.with_outcome,
            };
            row(
                "reached stage",
                &s.stage,
                t,
                Some(stats::metrics(t, all)),
                None,
            );
        }
        for tier in &self.tiers {
            let table = format!("tier {}", tier.tier);
            for l in &tier.labels {
                let name = l.label.as_deref().unwrap_or("(no label)");
                row(&table, name, tally(&l.rate), None, None);
            }
        }
        for s in &self.segments {
            row("segment", &s.segment, tally(&s.rate), None, None);
        }
        for s in &self.scores {
            row("score", &s.score, all, None, s.auc);
        }
        for s in &self.scores {
            let table = format!("decile {}", s.score);
            for d in &s.deciles {
                let name = format!("{} ({})", decile_span(d), score_range(d.min, d.max));
                row(&table, &name, d.tally, None, None);
            }
        }
        if let Some(sweep) = &self.sweep {
            let table = format!("sweep {}", sweep.score);
            for r in &sweep.rows {
                let name = format!(">= {}", score_text(r.threshold));
                row(&table, &name, r.selected, Some(r.metrics), None);
            }
        }
        out
    }
}

fn tally(r: &Rate) -> Tally {
    Tally {
        leads: r.leads,
        yes: r.with_outcome,
    }
}

/// A number in a CSV cell: full precision, empty when unknown.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.filter(|x| x.is_finite())
        .map_or(String::new(), mql_core::number::format_number)
}

pub(crate) fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A row of deciles as people read it: `1 (top)`, `4`, or `3–5` when leads
/// with one score fill several deciles.
pub(crate) fn decile_name(d: &Decile) -> String {
    if d.decile == 1 {
        format!("{} (top)", decile_span(d))
    } else {
        decile_span(d)
    }
}

/// The deciles a row covers: `4`, or `3–5`.
fn decile_span(d: &Decile) -> String {
    if d.through > d.decile {
        format!("{}–{}", d.decile, d.through)
    } else {
        d.decile.to_string()
    }
}

/// A score as people read it: at most two decimals, no trailing zeros.
pub(crate) fn score_text(x: f64) -> String {
    let t = format!("{x:.2}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" {
        "0".to_string()
    } else {
        t.to_string()
    }
}

/// `lo – hi`, or one score when both are the same.
pub(crate) fn score_range(lo: f64, hi: f64) -> String {
    if lo == hi {
        score_text(lo)
    } else {
        format!("{} – {}", score_text(lo), score_text(hi))
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
