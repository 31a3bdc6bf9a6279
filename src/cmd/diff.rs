//! `mql diff OLD.mql NEW.mql --leads FILE`: what a change to the rules does to
//! the same leads — a matrix of final stages (old × new) and every lead whose
//! stage, tier or segments change.
//!
//! The leads file is read twice in lockstep, once by each model's schema (the
//! two versions may declare different fields), and results are paired by
//! position. A data issue both readings find is reported once.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::io::{self, Write};
use std::rc::Rc;

use mql_core::time::format_time;
use mql_data::{DataIssue, IssueKind};
use mql_sema::hir::{Model, ValueKind};
use mql_vm::LeadResult;
use serde_json::{json, Value as Json};

use super::common::ReportFormat as Format;
use super::run::{compile, open_leads, DataArgs, Runnable};

#[derive(clap::Args)]
pub struct Args {
    /// The model as it is today
    old: String,
    /// The changed model
    new: String,
    #[command(flatten)]
    data: DataArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// List at most this many changed leads in the text report (all by default)
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

/// Leads read from each file before results are paired.
const CHUNK: usize = 4096;

/// What one lead got from one model, in names (the two models have their own
/// symbol tables, so only names can be compared).
/// Names are borrowed from the model.
#[derive(Clone, Debug, PartialEq)]
struct Outcome<'m> {
    /// Final stage name, `-` for a model without stages, `error` when the
    /// lead could not be evaluated.
    stage: &'m str,
    /// (tier name, label) for every tier of the model.
    tiers: Vec<(&'m str, Option<&'m str>)>,
    segments: BTreeSet<&'m str>,
    /// (score name, points)
    scores: Vec<(&'m str, f64)>,
    error: Option<String>,
}

const NO_STAGES: &str = "-";
const ERROR: &str = "error";

fn outcome<'m>(r: &LeadResult, model: &'m Model) -> Outcome<'m> {
    let sy = &model.schema.symbols;
    if let Some(e) = &r.error {
        return Outcome {
            stage: ERROR,
            tiers: Vec::new(),
            segments: BTreeSet::new(),
            scores: Vec::new(),
            error: Some(e.0.clone()),
        };
    }
    Outcome {
        stage: r.stage.map_or(NO_STAGES, |s| sy.name(s)),
        tiers: model
            .tiers
            .iter()
            .zip(&r.tiers)
            .map(|(t, l)| (t.name.as_str(), l.map(|s| sy.name(s))))
            .collect(),
        segments: r
            .segments
            .iter()
            .filter_map(|i| model.values.get(*i as usize))
            .filter(|v| v.kind == ValueKind::Segment)
            .map(|v| v.name.as_str())
            .collect(),
        scores: model
            .scores
            .iter()
            .zip(&r.scores)
            .map(|(s, v)| (s.name.as_str(), *v))
            .collect(),
        error: None,
    }
}

/// One lead whose stage, tiers or segments differ between the versions.
struct Change<'m> {
    id: String,
    id_json: Json,
    old: Outcome<'m>,
    new: Outcome<'m>,
    /// Tiers (declared in both versions) whose label changed: (name, old, new).
    tiers: Vec<(&'m str, Option<&'m str>, Option<&'m str>)>,
    added: Vec<&'m str>,
    removed: Vec<&'m str>,
}

impl Change<'_> {
    fn stage_changed(&self) -> bool {
        self.old.stage != self.new.stage
    }
}

/// The labels of one axis of the stage matrix, in funnel order, with `error`
/// (and `-` for a model without stages) added when seen.
struct Axis(Vec<String>);

impl Axis {
    fn of(model: &Model) -> Axis {
        Axis(match &model.schema.stages {
            Some(stages) => stages.variants.iter().map(|v| v.to_string()).collect(),
            None => vec![NO_STAGES.to_string()],
        })
    }

    fn index(&mut self, label: &str) -> usize {
        match self.0.iter().position(|l| l == label) {
            Some(i) => i,
            None => {
                self.0.push(label.to_string());
                self.0.len() - 1
            }
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.data.leads == "-" || args.data.events.as_deref() == Some("-") {
        anyhow::bail!(
            "`mql diff` reads the leads once for each version of the rules, so it needs a file; save the data to a file and pass its name instead of `-`"
        );
    }
    let now = args.data.now()?;
    let Some(old) = compile(&args.old)? else {
        return Ok(1);
    };
    let Some(new) = compile(&args.new)? else {
        return Ok(1);
    };

    // Both readings report into one place; what both find is printed once.
    let seen: Rc<RefCell<(HashSet<String>, u64)>> = Rc::default();
    let reporter = |seen: Rc<RefCell<(HashSet<String>, u64)>>| {
        move |issue: DataIssue| {
            let text = issue.to_string();
            let mut seen = seen.borrow_mut();
            if seen.0.insert(text.clone()) {
                if issue.kind == IssueKind::Error {
                    seen.1 += 1;
                }
                eprintln!("{text}");
            }
        }
    };
    let mut old_leads = open_leads(&old.model, &args.data, reporter(seen.clone()))?;
    let mut new_leads = open_leads(&new.model, &args.data, reporter(seen.clone()))?;

    let mut rows = Axis::of(&old.model);
    let mut cols = Axis::of(&new.model);
    let mut matrix: Vec<Vec<u64>> = vec![vec![0; cols.0.len()]; rows.0.len()];
    let mut changes: Vec<Change> = Vec::new();
    let mut compared = 0u64;
    let common_tiers: Vec<&str> = old
        .model
        .tiers
        .iter()
        .filter(|t| new.model.tiers.iter().any(|n| n.name == t.name))
        .map(|t| t.name.as_str())
        .collect();

    let mut old_queue: VecDeque<LeadResult> = VecDeque::new();
    let mut new_queue: VecDeque<LeadResult> = VecDeque::new();
    let (mut old_done, mut new_done) = (false, false);
    loop {
        if old_queue.is_empty() && !old_done {
            let chunk = old_leads.next_chunk(CHUNK)?;
            old_done = chunk.is_empty();
            old_queue.extend(old.program.eval_batch(&chunk, now, false));
        }
        if new_queue.is_empty() && !new_done {
            let chunk = new_leads.next_chunk(CHUNK)?;
            new_done = chunk.is_empty();
            new_queue.extend(new.program.eval_batch(&chunk, now, false));
        }
        if old_queue.is_empty() || new_queue.is_empty() {
            break;
        }
        while let (Some(a), Some(b)) = (old_queue.pop_front(), new_queue.pop_front()) {
            compared += 1;
            let before = outcome(&a, &old.model);
            let after = outcome(&b, &new.model);
            let (r, c) = (rows.index(before.stage), cols.index(after.stage));
            // Only an `error` row or column can be new; rows are evened out below.
            if r >= matrix.len() {
                matrix.resize(r + 1, Vec::new());
            }
            if c >= matrix[r].len() {
                matrix[r].resize(c + 1, 0);
            }
            matrix[r][c] += 1;
            if let Some(change) = compare(&b, before, after, &common_tiers) {
                changes.push(change);
            }
        }
    }
    // Both files are the same records, so both readers end together.
    let leads_read = new_leads.leads_read();
    drop(old_leads);
    drop(new_leads);
    matrix.resize(rows.0.len(), Vec::new());
    for row in &mut matrix {
        row.resize(cols.0.len(), 0);
    }

    let report = Report {
        old: &old,
        new: &new,
        old_path: &args.old,
        new_path: &args.new,
        leads_path: &args.data.leads,
        now,
        compared,
        rows: &rows.0,
        cols: &cols.0,
        matrix: &matrix,
        changes: &changes,
        common_tiers: &common_tiers,
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => out.write_all(report.text(args.limit).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report.json())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    let errors = seen.borrow().1;
    eprintln!("leads read: {leads_read}, data errors: {errors}");
    Ok(0)
}

fn compare<'m>(
    lead: &LeadResult,
    old: Outcome<'m>,
    new: Outcome<'m>,
    common_tiers: &[&'m str],
) -> Option<Change<'m>> {
    let label = |o: &Outcome<'m>, name: &str| -> Option<&'m str> {
        o.tiers
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, l)| *l)
    };
    let tiers: Vec<_> = common_tiers
        .iter()
        .filter_map(|&name| {
            let (a, b) = (label(&old, name), label(&new, name));
            (a != b).then_some((name, a, b))
        })
        .collect();
    let added: Vec<&str> = new.segments.difference(&old.segments).copied().collect();
    let removed: Vec<&str> = old.segments.difference(&new.segments).copied().collect();
    if old.stage == new.stage && tiers.is_empty() && added.is_empty() && removed.is_empty() {
        return None;
    }
    Some(Change {
        id: lead.id.to_string(),
        id_json: match &lead.id {
            mql_core::LeadId::Int(n) => json!(n),
            mql_core::LeadId::Str(s) => json!(s.as_ref()),
        },
        old,
        new,
        tiers,
        added,
        removed,
    })
}

struct Report<'a> {
    old: &'a Runnable,
    new: &'a Runnable,
    old_path: &'a str,
    new_path: &'a str,
    leads_path: &'a str,
    now: i64,
    compared: u64,
    rows: &'a [String],
    cols: &'a [String],
    matrix: &'a [Vec<u64>],
    changes: &'a [Change<'a>],
    common_tiers: &'a [&'a str],
}

impl Report<'_> {
    fn counts(&self) -> (usize, usize, usize) {
        let stage = self.changes.iter().filter(|c| c.stage_changed()).count();
        let tier = self.changes.iter().filter(|c| !c.tiers.is_empty()).count();
        let segs = self
            .changes
            .iter()
            .filter(|c| !c.added.is_empty() || !c.removed.is_empty())
            .count();
        (stage, tier, segs)
    }

    /// Tiers only one version declares: their labels cannot be compared.
    fn lone_tiers(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        for (model, path) in [
            (&self.old.model, self.old_path),
            (&self.new.model, self.new_path),
        ] {
            for t in &model.tiers {
                if !self.common_tiers.contains(&t.name.as_str()) {
                    out.push((t.name.as_str(), path));
                }
            }
        }
        out
    }

    fn text(&self, limit: Option<usize>) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "compared {} leads of `{}` at {}\n  old: {}\n  new: {}\n",
            self.compared,
            self.leads_path,
            format_time(self.now),
            self.old_path,
            self.new_path
        ));
        for (tier, path) in self.lone_tiers() {
            s.push_str(&format!(
                "  note: tier `{tier}` is only in `{path}`, so its labels are not compared\n"
            ));
        }

        s.push_str("\nfinal stage (rows: old rules, columns: new rules)\n");
        let mut header = vec![String::new()];
        header.extend(self.cols.iter().cloned());
        let body: Vec<Vec<String>> = self
            .rows
            .iter()
            .zip(self.matrix)
            .map(|(label, counts)| {
                let mut row = vec![label.clone()];
                row.extend(counts.iter().map(|n| n.to_string()));
                row
            })
            .collect();
        s.push_str(&indent(&mql_vm::render_table(&header, &body)));

        let (stage, tier, segs) = self.counts();
        if self.changes.is_empty() {
            s.push_str("\nno lead changes stage, tier or segments\n");
            return s;
        }
        s.push_str(&format!(
            "\n{} of {} leads change: {} stage, {} tier, {} segments\n\n",
            self.changes.len(),
            self.compared,
            stage,
            tier,
            segs
        ));
        let mut header = vec!["id".to_string(), "stage".to_string()];
        header.extend(self.common_tiers.iter().map(|t| t.to_string()));
        header.push("segments".into());
        let shown = limit.unwrap_or(usize::MAX).min(self.changes.len());
        let body: Vec<Vec<String>> = self.changes[..shown]
            .iter()
            .map(|c| {
                let mut row = vec![c.id.clone()];
                row.push(if c.stage_changed() {
                    format!("{} → {}", c.old.stage, c.new.stage)
                } else {
                    c.new.stage.to_string()
                });
                for name in self.common_tiers {
                    row.push(match c.tiers.iter().find(|(n, _, _)| n == name) {
                        Some((_, a, b)) => format!("{} → {}", label(*a), label(*b)),
                        None => String::new(),
                    });
                }
                let mut segs: Vec<String> = c.added.iter().map(|n| format!("+{n}")).collect();
                segs.extend(c.removed.iter().map(|n| format!("-{n}")));
                row.push(segs.join(" "));
                row
            })
            .collect();
        s.push_str(&mql_vm::render_table(&header, &body));
        if shown < self.changes.len() {
            s.push_str(&format!(
                "… and {} more (drop `--limit` to list them all)\n",
                self.changes.len() - shown
            ));
        }
        s
    }

    fn json(&self) -> Json {
        let (stage, tier, segs) = self.counts();
        let matrix: Vec<Json> = self
            .rows
            .iter()
            .zip(self.matrix)
            .map(|(from, counts)| {
                let to: serde_json::Map<String, Json> = self
                    .cols
                    .iter()
                    .zip(counts)
                    .map(|(c, n)| (c.clone(), json!(n)))
                    .collect();
                json!({"from": from, "to": to})
            })
            .collect();
        let changed: Vec<Json> = self
            .changes
            .iter()
            .map(|c| {
                let tiers: serde_json::Map<String, Json> = c
                    .tiers
                    .iter()
                    .map(|(n, a, b)| (n.to_string(), json!({"old": a, "new": b})))
                    .collect();
                let scores = |o: &Outcome| -> serde_json::Map<String, Json> {
                    o.scores
                        .iter()
                        .map(|(n, v)| {
                            let v = if v.is_finite() { json!(v) } else { Json::Null };
                            (n.to_string(), v)
                        })
                        .collect()
                };
                json!({
                    "id": c.id_json,
                    "stage": {"old": c.old.stage, "new": c.new.stage},
                    "tiers": tiers,
                    "segments": {"added": c.added, "removed": c.removed},
                    "scores": {"old": scores(&c.old), "new": scores(&c.new)},
                    "error": {"old": c.old.error, "new": c.new.error},
                })
            })
            .collect();
        json!({
            "old": self.old_path,
            "new": self.new_path,
            "as_of": format_time(self.now),
            "leads": self.compared,
            "stages": {"old": self.rows, "new": self.cols},
            "matrix": matrix,
            "changed_counts": {"any": self.changes.len(), "stage": stage, "tier": tier, "segments": segs},
            "changed": changed,
        })
    }
}

fn label(l: Option<&str>) -> &str {
    l.unwrap_or("none")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
