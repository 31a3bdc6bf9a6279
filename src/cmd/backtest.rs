//! `mql backtest RULES --leads FILE --outcome FIELD`: how well the rules
//! predict a known yes/no outcome of the same leads (e.g. `converted`) — the
//! outcome rate per final stage, tier and segment, precision, recall and lift
//! of "reached stage X", and how well each score ranks the leads.
//!
//! The outcome column need not be declared in the model (rules should not
//! read the answer they are judged against): when it is not, it is added to
//! the schema the leads are decoded by, as a `bool` field the model never uses.

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;

use mql_core::time::format_time;
use mql_core::{FieldDef, Ty, Value};
use mql_data::{normalise_key, IssueKind};
use mql_sema::hir::{Model, ValueKind};
use mql_vm::LeadResult;
use serde_json::{json, Value as Json};

use super::common::ReportFormat as Format;
use super::run::{compile, open_leads_with, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    /// The model file
    rules: String,
    #[command(flatten)]
    data: DataArgs,
    /// The yes/no column or key holding what really happened (e.g. `converted`)
    #[arg(long, value_name = "FIELD")]
    outcome: String,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

const CHUNK: usize = 4096;

/// Leads and how many of them had the outcome.
#[derive(Clone, Copy, Default, Debug)]
struct Tally {
    leads: u64,
    yes: u64,
}

impl Tally {
    fn add(&mut self, yes: bool) {
        self.leads += 1;
        self.yes += u64::from(yes);
    }

    fn rate(&self) -> Option<f64> {
        (self.leads > 0).then(|| self.yes as f64 / self.leads as f64)
    }
}

/// Everything counted over the leads.
struct Stats {
    /// Leads evaluated with a known outcome.
    all: Tally,
    /// Leads whose outcome was missing or unreadable.
    unknown_outcome: u64,
    /// Leads that could not be evaluated.
    eval_errors: u64,
    /// Per final stage, in funnel order.
    stage: Vec<Tally>,
    /// Per stage: leads that were in it at some point of their walk.
    reached: Vec<Tally>,
    /// Per tier: per label (in declaration order), then one for no label.
    tiers: Vec<Vec<Tally>>,
    /// Per segment: leads in it.
    segments: Vec<Tally>,
    /// Per score: (points, outcome) of every lead.
    scores: Vec<Vec<(f64, bool)>>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let now = args.data.now()?;
    let Some(runnable) = compile(&args.rules)? else {
        return Ok(1);
    };
    let model = &runnable.model;

    // Find the outcome in the model's schema, or add it as a new bool field.
    let wanted = normalise_key(&args.outcome);
    let mut schema = model.schema.clone();
    let slot = match schema.lead.iter().position(|f| {
        f.name == args.outcome
            || f.source_name() == args.outcome
            || normalise_key(f.source_name()) == wanted
    }) {
        Some(i) => {
            let field = &schema.lead[i];
            if field.ty != Ty::Bool {
                anyhow::bail!(
                    "`--outcome {}` names the field `{}`, which holds {}; a backtest needs a yes/no field (`bool`), such as `converted`",
                    args.outcome,
                    field.name,
                    field.ty.describe()
                );
            }
            i
        }
        None => {
            schema
                .lead
                .push(FieldDef::new(args.outcome.clone(), Ty::Bool));
            schema.lead.len() - 1
        }
    };

    let errors = Rc::new(Cell::new(0u64));
    let counter = errors.clone();
    // An outcome column that is not there is told below in its own words, not
    // as a model field to declare.
    let added = (slot == model.schema.lead.len()).then(|| args.outcome.clone());
    let mut leads = open_leads_with(&schema, &args.data, move |issue| {
        if issue.kind == IssueKind::Error {
            counter.set(counter.get() + 1);
        }
        if issue.is_warning() && issue.field.is_some() && issue.field == added {
            return;
        }
        eprintln!("{issue}");
    })?;

    let stage_names: Vec<String> = model
        .schema
        .stages
        .as_ref()
        .map(|s| s.variants.iter().map(|v| v.to_string()).collect())
        .unwrap_or_default();
    let segments: Vec<usize> = model
        .values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind == ValueKind::Segment)
        .map(|(i, _)| i)
        .collect();
    let mut stats = Stats {
        all: Tally::default(),
        unknown_outcome: 0,
        eval_errors: 0,
        stage: vec![Tally::default(); stage_names.len()],
        reached: vec![Tally::default(); stage_names.len()],
        tiers: model
            .tiers
            .iter()
            .map(|t| vec![Tally::default(); t.arms.len() + 1])
            .collect(),
        segments: vec![Tally::default(); segments.len()],
        scores: vec![Vec::new(); model.scores.len()],
    };

    loop {
        let chunk = leads.next_chunk(CHUNK)?;
        if chunk.is_empty() {
            break;
        }
        let results = runnable.program.eval_batch(&chunk, now, false);
        for (lead, r) in chunk.iter().zip(&results) {
            if let Some(e) = &r.error {
                stats.eval_errors += 1;
                eprintln!("evaluation error: lead {}: {e}", r.id);
                continue;
            }
            match lead.fields.get(slot) {
                Some(Value::Bool(yes)) => count(&mut stats, model, &segments, r, *yes),
                _ => stats.unknown_outcome += 1,
            }
        }
    }
    let leads_read = leads.leads_read();
    drop(leads);
    if stats.all.leads == 0 && stats.unknown_outcome > 0 {
        eprintln!(
            "error: none of the {} leads has a yes/no value in `{}`; check the column's name in `{}` (names are matched after lower-casing and turning spaces into `_`)",
            stats.unknown_outcome, args.outcome, args.data.leads
        );
        return Ok(2);
    }

    let report = Report {
        model,
        rules: &args.rules,
        outcome: &args.outcome,
        now,
        stage_names: &stage_names,
        segments: &segments,
        stats: &stats,
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => out.write_all(report.text().as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report.json())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    eprintln!(
        "leads read: {leads_read}, data errors: {}",
        errors.get() + stats.eval_errors
    );
    Ok(0)
}

fn count(stats: &mut Stats, model: &Model, segments: &[usize], r: &LeadResult, yes: bool) {
    stats.all.add(yes);
    if let (Some(stages), Some(fin)) = (&model.schema.stages, r.stage) {
        let index = |s| stages.syms.iter().position(|x| *x == s);
        if let Some(i) = index(fin) {
            stats.stage[i].add(yes);
        }
        // Every stage of the walk, the starting one included, counted once.
        let mut seen = vec![false; stages.syms.len()];
        let walk = r.from_stage.into_iter().chain(r.path.iter().map(|p| p.to));
        for s in walk.chain(std::iter::once(fin)) {
            if let Some(i) = index(s) {
                if !seen[i] {
                    seen[i] = true;
                    stats.reached[i].add(yes);
                }
            }
        }
    }
    for ((tier, tallies), label) in model.tiers.iter().zip(&mut stats.tiers).zip(&r.tiers) {
        let i = label
            .and_then(|l| tier.arms.iter().position(|a| a.label == l))
            .unwrap_or(tier.arms.len());
        tallies[i].add(yes);
    }
    for (k, value_index) in segments.iter().enumerate() {
        if r.segments.contains(&(*value_index as u32)) {
            stats.segments[k].add(yes);
        }
    }
    for (points, v) in stats.scores.iter_mut().zip(&r.scores) {
        points.push((*v, yes));
    }
}

/// How well a score ranks leads with the outcome above those without: the
/// area under the ROC curve (0.5 is no better than chance, 1.0 is perfect),
/// with ties counted as half. `None` when either group is empty.
fn auc(points: &[(f64, bool)]) -> Option<f64> {
    let mut sorted: Vec<(f64, bool)> = points
        .iter()
        .filter(|(v, _)| !v.is_nan())
        .copied()
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = sorted.iter().filter(|(_, y)| *y).count() as f64;
    let neg = sorted.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    // Sum of the ranks (1-based, ties averaged) of the leads with the outcome.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mid_rank * sorted[i..j].iter().filter(|(_, y)| *y).count() as f64;
        i = j;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

fn mean(points: &[(f64, bool)], yes: bool) -> Option<f64> {
    let (sum, n) = points
        .iter()
        .filter(|(_, y)| *y == yes)
        .fold((0.0, 0u64), |(s, n), (v, _)| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

struct Report<'a> {
    model: &'a Model,
    rules: &'a str,
    outcome: &'a str,
    now: i64,
    stage_names: &'a [String],
    segments: &'a [usize],
    stats: &'a Stats,
}

/// Precision, recall and lift of "reached this stage" as a prediction.
struct Prediction {
    precision: Option<f64>,
    recall: Option<f64>,
    lift: Option<f64>,
}

impl Report<'_> {
    fn prediction(&self, reached: &Tally) -> Prediction {
        let precision = reached.rate();
        let recall =
            (self.stats.all.yes > 0).then(|| reached.yes as f64 / self.stats.all.yes as f64);
        let lift = match (precision, self.stats.all.rate()) {
            (Some(p), Some(base)) if base > 0.0 => Some(p / base),
            _ => None,
        };
        Prediction {
            precision,
            recall,
            lift,
        }
    }

    fn tier_labels(&self, t: usize) -> Vec<String> {
        let tier = &self.model.tiers[t];
        let sy = &self.model.schema.symbols;
        let mut labels: Vec<String> = tier
            .arms
            .iter()
            .map(|a| sy.name(a.label).to_string())
            .collect();
        // A tier with `otherwise` always gives a label.
        if tier.arms.iter().all(|a| a.cond.is_some()) {
            labels.push("(no label)".into());
        }
        labels
    }

    fn text(&self) -> String {
        let s = self.stats;
        let mut out = format!(
            "backtest of `{}` at {}: outcome `{}`\n",
            self.rules,
            format_time(self.now),
            self.outcome
        );
        out.push_str(&format!(
            "  {} leads with a known outcome, {} with it ({})\n",
            s.all.leads,
            s.all.yes,
            pct(s.all.rate())
        ));
        if s.unknown_outcome > 0 {
            out.push_str(&format!(
                "  {} leads left out: their `{}` is empty or not yes/no\n",
                s.unknown_outcome, self.outcome
            ));
        }
        if s.eval_errors > 0 {
            out.push_str(&format!(
                "  {} leads left out: they could not be evaluated\n",
                s.eval_errors
            ));
        }
        let rate_header = |first: &str| {
            vec![
                first.to_string(),
                "leads".to_string(),
                "with outcome".to_string(),
                "rate".to_string(),
            ]
        };
        let rate_row = |name: &str, t: &Tally| {
            vec![
                name.to_string(),
                t.leads.to_string(),
                t.yes.to_string(),
                pct(t.rate()),
            ]
        };

        if !self.stage_names.is_empty() {
            out.push('\n');
            let rows: Vec<Vec<String>> = self
                .stage_names
                .iter()
                .zip(&s.stage)
                .map(|(n, t)| rate_row(n, t))
                .collect();
            out.push_str(&mql_vm::render_table(&rate_header("final stage"), &rows));

            out.push('\n');
            let header: Vec<String> = [
                "reached stage",
                "leads",
                "with outcome",
                "precision",
                "recall",
                "lift",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect();
            let rows: Vec<Vec<String>> = self
                .stage_names
                .iter()
                .zip(&s.reached)
                .map(|(n, t)| {
                    let p = self.prediction(t);
                    vec![
                        n.clone(),
                        t.leads.to_string(),
                        t.yes.to_string(),
                        pct(p.precision),
                        pct(p.recall),
                        p.lift.map_or("-".into(), |l| format!("{l:.2}")),
                    ]
                })
                .collect();
            out.push_str(&mql_vm::render_table(&header, &rows));
        }

        for (t, tier) in self.model.tiers.iter().enumerate() {
            out.push('\n');
            let rows: Vec<Vec<String>> = self
                .tier_labels(t)
                .iter()
                .zip(&s.tiers[t])
                .map(|(l, tally)| rate_row(l, tally))
                .collect();
            out.push_str(&mql_vm::render_table(
                &rate_header(&format!("tier {}", tier.name)),
                &rows,
            ));
        }

        if !self.segments.is_empty() {
            out.push('\n');
            let rows: Vec<Vec<String>> = self
                .segments
                .iter()
                .zip(&s.segments)
                .map(|(v, t)| rate_row(&self.model.values[*v].name, t))
                .collect();
            out.push_str(&mql_vm::render_table(&rate_header("segment"), &rows));
        }

        if !self.model.scores.is_empty() {
            out.push('\n');
            let header: Vec<String> = ["score", "mean with outcome", "mean without", "AUC"]
                .iter()
                .map(|h| h.to_string())
                .collect();
            let rows: Vec<Vec<String>> = self
                .model
                .scores
                .iter()
                .zip(&s.scores)
                .map(|(sc, pts)| {
                    vec![
                        sc.name.clone(),
                        num(mean(pts, true)),
                        num(mean(pts, false)),
                        auc(pts).map_or("-".into(), |a| format!("{a:.3}")),
                    ]
                })
                .collect();
            out.push_str(&mql_vm::render_table(&header, &rows));
            out.push_str(
                "  (AUC: the chance that a lead with the outcome scores higher than one without; 0.5 is a coin toss)\n",
            );
        }
        out
    }

    fn json(&self) -> Json {
        let s = self.stats;
        let tally = |t: &Tally| json!({"leads": t.leads, "with_outcome": t.yes, "rate": t.rate()});
        let stages: Vec<Json> = self
            .stage_names
            .iter()
            .zip(&s.stage)
            .zip(&s.reached)
            .map(|((n, fin), reached)| {
                let p = self.prediction(reached);
                json!({
                    "stage": n,
                    "final": tally(fin),
                    "reached": {
                        "leads": reached.leads,
                        "with_outcome": reached.yes,
                        "precision": p.precision,
                        "recall": p.recall,
                        "lift": p.lift,
                    },
                })
            })
            .collect();
        let tiers: Vec<Json> = self
            .model
            .tiers
            .iter()
            .enumerate()
            .map(|(t, tier)| {
                let labels: Vec<Json> = self
                    .tier_labels(t)
                    .iter()
                    .zip(&s.tiers[t])
                    .enumerate()
                    .map(|(i, (l, tally_))| {
                        let label = if i < tier.arms.len() {
                            json!(l)
                        } else {
                            Json::Null
                        };
                        let mut o = tally(tally_);
                        o["label"] = label;
                        o
                    })
                    .collect();
                json!({"tier": tier.name, "labels": labels})
            })
            .collect();
        let segments: Vec<Json> = self
            .segments
            .iter()
            .zip(&s.segments)
            .map(|(v, t)| {
                let mut o = tally(t);
                o["segment"] = json!(self.model.values[*v].name);
                o
            })
            .collect();
        let scores: Vec<Json> = self
            .model
            .scores
            .iter()
            .zip(&s.scores)
            .map(|(sc, pts)| {
                json!({
                    "score": sc.name,
                    "mean_with_outcome": mean(pts, true),
                    "mean_without_outcome": mean(pts, false),
                    "auc": auc(pts),
                })
            })
            .collect();
        json!({
            "rules": self.rules,
            "outcome": self.outcome,
            "as_of": format_time(self.now),
            "leads": s.all.leads,
            "with_outcome": s.all.yes,
            "rate": s.all.rate(),
            "unknown_outcome": s.unknown_outcome,
            "evaluation_errors": s.eval_errors,
            "stages": stages,
            "tiers": tiers,
            "segments": segments,
            "scores": scores,
        })
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
}

fn num(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.2}"))
}

#[cfg(test)]
mod tests {
    use super::auc;

    #[test]
    fn auc_is_one_for_a_perfect_ranking_and_half_for_ties() {
        assert_eq!(auc(&[(1.0, false), (2.0, false), (3.0, true)]), Some(1.0));
        assert_eq!(auc(&[(3.0, false), (1.0, true)]), Some(0.0));
        assert_eq!(auc(&[(5.0, false), (5.0, true)]), Some(0.5));
        assert_eq!(auc(&[(5.0, true)]), None);
        // One of two positives is ranked above the negative.
        assert_eq!(auc(&[(1.0, true), (2.0, false), (3.0, true)]), Some(0.5));
    }
}
