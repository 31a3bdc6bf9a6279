//! The HTML page of a diff: the stage matrix as a heat map, each score's
//! shift, and with `--outcome` the old and new precision and recall side by
//! side — each a chart with its table — then the leads that change.

use crate::backtest::{ratio, score_text, Reached};
use crate::diff::{Diff, StageSides};

use super::chart::{self, Axes, Key, PairBin, PairedRate, BLUE, GREY};
use super::{bin_range, capitalise, code, escape, pct, Page, Table};

/// Changed leads listed in the page at most; the CSV form lists them all.
pub const CHANGED_ROWS: usize = 1000;

/// The diff as one self-contained HTML page.
pub fn diff(d: &Diff) -> Result<String, String> {
    let mut page = Page::new(
        &format!("Diff of {} and {}", d.old, d.new),
        &format!("What changing {} to {} does", code(&d.old), code(&d.new)),
    );
    page.p(&format!(
        "The same leads ({}) evaluated under the rules as they are today (old: {}) and as changed (new: {}), at {}.",
        code(&d.leads_file),
        code(&d.old),
        code(&d.new),
        escape(&d.as_of)
    ));
    let c = d.changed_counts;
    page.facts(&[
        ("Leads compared", d.leads.to_string()),
        ("Leads that change", c.any.to_string()),
        ("… in final stage", c.stage.to_string()),
        ("… in a tier's label", c.tier.to_string()),
        ("… in segments", c.segments.to_string()),
    ]);
    for (tier, path) in &d.lone_tiers {
        page.note(&format!(
            "Tier {} is only in {}, so its labels are not compared.",
            code(tier),
            code(path)
        ));
    }

    page.h2("stages", "Final stage");
    if d.leads == 0 {
        page.note("No lead was compared, so there is nothing to chart.");
    } else {
        let svg = chart::heat_map(
            &d.stages.old,
            &d.stages.new,
            &d.matrix,
            |i, j| d.stages.old.get(i) == d.stages.new.get(j),
            &Axes::new("final stage under the new rules", "under the old rules"),
        )?;
        let mut head = vec!["old \\ new"];
        head.extend(d.stages.new.iter().map(String::as_str));
        let mut t = Table::new(
            "stage-matrix-table",
            "Leads by final stage: old rules (rows), new rules (columns)",
            &head,
        );
        for (label, row) in d.stages.old.iter().zip(&d.matrix) {
            let mut cells = vec![label.clone()];
            cells.extend(row.iter().map(|n| n.to_string()));
            t.row(cells);
        }
        page.figure(
            "stage-matrix",
            "Final stage: old rules against new rules",
            "Each row is the leads that end in a stage under the old rules; each cell how many of them end in each stage under the new rules, and their share of the row. Grey cells keep their stage, orange ones move; the darker, the more leads.",
            &svg,
            &t,
        );
    }

    if let Some(o) = &d.outcome {
        let outcome = code(&o.field);
        page.h2("outcome", &format!("Against the outcome {outcome}"));
        let mut facts = vec![
            ("Leads with a known outcome", o.leads.to_string()),
            (
                "With the outcome",
                format!("{} ({})", o.with_outcome, pct(o.rate)),
            ),
        ];
        if o.unknown_outcome > 0 {
            facts.push((
                "Left out: outcome empty or not yes/no",
                o.unknown_outcome.to_string(),
            ));
        }
        page.facts(&facts);
        if o.leads == 0 || o.stages.is_empty() {
            page.note("No lead has a known outcome, or the rules have no stages, so there is nothing to chart.");
        } else {
            for (kind, pick, how) in [
                (
                    "precision",
                    (|r: &Reached| r.precision) as fn(&Reached) -> Option<f64>,
                    format!("Of the leads that reach each stage, the share with {outcome}, under the old rules and under the new. Higher is better: the stage picks the right leads."),
                ),
                (
                    "recall",
                    |r: &Reached| r.recall,
                    format!("Of all the leads with {outcome}, the share that reach each stage, under the old rules and under the new. Higher is better: the stage misses fewer of them."),
                ),
            ] {
                let groups: Vec<PairedRate> = o
                    .stages
                    .iter()
                    .map(|s| {
                        let (old, new) = (s.old.as_ref().and_then(pick), s.new.as_ref().and_then(pick));
                        PairedRate {
                            label: s.stage.clone(),
                            old,
                            new,
                            old_note: bar_note(&s.old, old),
                            new_note: bar_note(&s.new, new),
                        }
                    })
                    .collect();
                let svg = chart::old_new_bars(
                    &groups,
                    [Key::fill("old rules", GREY), Key::fill("new rules", BLUE)],
                    &Axes::new(format!("{kind} (%)"), "reached stage"),
                )?;
                let mut t = Table::new(
                    format!("outcome-{kind}-table"),
                    format!("{} of reaching each stage", capitalise(kind)),
                    &["reached stage", "old rules", "new rules"],
                );
                for (s, g) in o.stages.iter().zip(&groups) {
                    t.row(vec![s.stage.clone(), side(&s.old, g.old), side(&s.new, g.new)]);
                }
                page.figure(
                    &format!("outcome-{kind}"),
                    &format!("{} of each stage: old rules beside new", capitalise(kind)),
                    &how,
                    &svg,
                    &t,
                );
            }
            page.table(&reached_table(&o.stages));
            let mut head = vec!["old \\ new"];
            head.extend(d.stages.new.iter().map(String::as_str));
            let mut t = Table::new(
                "outcome-matrix-table",
                "Outcome rate of the leads in each cell of the stage matrix (rows: old rules, columns: new rules)",
                &head,
            );
            for (label, row) in d.stages.old.iter().zip(&o.cells) {
                let mut cells = vec![label.clone()];
                cells.extend(row.iter().map(|r| match r.rate {
                    Some(_) => format!("{} ({} of {})", pct(r.rate), r.with_outcome, r.leads),
                    None => "-".to_string(),
                }));
                t.row(cells);
            }
            page.table(&t);
        }
    }

    if !d.score_shifts.is_empty() {
        page.h2("scores", "Scores");
        let mut t = Table::new(
            "score-shifts-table",
            "How each score moves (leads both versions evaluated)",
            &[
                "score",
                "mean old",
                "mean new",
                "higher",
                "lower",
                "unchanged",
            ],
        );
        for sh in &d.score_shifts {
            t.row(vec![
                sh.score.clone(),
                sh.mean_old.map_or("-".into(), score_text),
                sh.mean_new.map_or("-".into(), score_text),
                sh.higher.to_string(),
                sh.lower.to_string(),
                sh.unchanged.to_string(),
            ]);
        }
        page.table(&t);
    }
    for (i, sh) in d.score_shifts.iter().enumerate() {
        if sh.distribution.is_empty() {
            continue;
        }
        let name = &sh.score;
        let bins: Vec<PairBin> = sh
            .distribution
            .iter()
            .map(|b| PairBin {
                lo: b.lo,
                hi: b.hi,
                a: b.old as f64,
                b: b.new as f64,
            })
            .collect();
        let svg = chart::paired_bars(
            &bins,
            [Key::fill("old rules", GREY), Key::fill("new rules", BLUE)],
            false,
            &Axes::new(name.as_str(), "leads"),
        )?;
        let mut t = Table::new(
            format!("score-{i}-shift-table"),
            format!("Leads by {name} under each version"),
            &[name.as_str(), "old rules", "new rules"],
        );
        let last = sh.distribution.len() - 1;
        for (k, b) in sh.distribution.iter().enumerate() {
            t.row(vec![
                bin_range(b.lo, b.hi, k == last),
                b.old.to_string(),
                b.new.to_string(),
            ]);
        }
        page.figure(
            &format!("score-{i}-shift"),
            &format!("Shift of {name}"),
            &format!(
                "How many leads score in each range of {} under the old rules and under the new. Leads whose score goes up: {}, down: {}, unchanged: {}.",
                code(name),
                sh.higher,
                sh.lower,
                sh.unchanged
            ),
            &svg,
            &t,
        );
    }

    page.h2("changed", "Leads that change");
    if d.changed.is_empty() {
        page.p("No lead changes stage, tier or segments.");
    } else {
        let mut head = vec!["id", "stage"];
        head.extend(d.common_tiers.iter().map(String::as_str));
        head.push("segments");
        let mut t = Table::new(
            "changed-table",
            "Leads whose stage, tier or segments change",
            &head,
        );
        for ch in d.changed.iter().take(CHANGED_ROWS) {
            let mut row = vec![ch.id.to_string()];
            row.push(if ch.stage_changed() {
                format!("{} → {}", ch.stage.old, ch.stage.new)
            } else {
                ch.stage.new.clone()
            });
            for name in &d.common_tiers {
                row.push(match ch.tiers.get(name) {
                    Some(t) => format!(
                        "{} → {}",
                        t.old.as_deref().unwrap_or("none"),
                        t.new.as_deref().unwrap_or("none")
                    ),
                    None => String::new(),
                });
            }
            let mut segs: Vec<String> = ch.segments.added.iter().map(|n| format!("+{n}")).collect();
            segs.extend(ch.segments.removed.iter().map(|n| format!("-{n}")));
            row.push(segs.join(" "));
            t.row(row);
        }
        page.table(&t);
        if d.changed.len() > CHANGED_ROWS {
            page.note(&format!(
                "… and {} more leads: {} lists them all.",
                d.changed.len() - CHANGED_ROWS,
                code("mql diff … --format csv")
            ));
        }
    }
    Ok(page.finish())
}

/// What is written at the end of a bar of a reached-stage chart.
fn bar_note(r: &Option<Reached>, value: Option<f64>) -> String {
    match (r, value) {
        (None, _) => "not in this version".to_string(),
        (Some(r), None) if r.leads == 0 => "no lead reaches it".to_string(),
        (Some(_), v) => pct(v),
    }
}

/// A side of a reached-stage row: the figure, or why there is none.
fn side(r: &Option<Reached>, value: Option<f64>) -> String {
    match r {
        None => "not in this version".to_string(),
        Some(_) => pct(value),
    }
}

/// Every figure of "reached this stage" under both versions.
fn reached_table(stages: &[StageSides]) -> Table {
    let mut t = Table::new(
        "outcome-stages-table",
        "Reaching a stage as a prediction of the outcome: old rules, then new rules",
        &[
            "stage",
            "old leads",
            "old precision",
            "old recall",
            "old lift",
            "new leads",
            "new precision",
            "new recall",
            "new lift",
        ],
    );
    let cells = |r: &Option<Reached>| -> Vec<String> {
        match r {
            Some(r) => vec![
                r.leads.to_string(),
                pct(r.precision),
                pct(r.recall),
                ratio(r.lift),
            ],
            None => vec!["-".into(), "-".into(), "-".into(), "-".into()],
        }
    };
    for s in stages {
        let mut row = vec![s.stage.clone()];
        row.extend(cells(&s.old));
        row.extend(cells(&s.new));
        t.row(row);
    }
    t
}
