//! The HTML page of a backtest: the outcome rate by final stage, tier and
//! segment, each score's distribution split by outcome, its deciles, its
//! cumulative gain and ROC curves, and the sweep — each a chart with its
//! table.

use crate::backtest::{decile_name, num, ratio, score_range as range, score_text, Backtest, Rate};
use crate::stats::Point;

use super::chart::{self, Axes, Key, PairBin, RateBar, BLUE, GREY, ORANGE};
use super::{bin_range, capitalise, code, escape, pct, Page, Table};

/// The backtest as one self-contained HTML page.
pub fn backtest(r: &Backtest) -> Result<String, String> {
    let outcome = code(&r.outcome);
    let mut page = Page::new(
        &format!("Backtest of {} against {}", r.rules, r.outcome),
        &format!("Backtest of {} against {outcome}", code(&r.rules)),
    );
    page.p(&format!(
        "How well the rules in {} predict what really happened to the leads: the outcome {outcome}, at {}.",
        code(&r.rules),
        escape(&r.as_of)
    ));
    let mut facts = vec![
        ("Leads with a known outcome", r.leads.to_string()),
        (
            "With the outcome",
            format!("{} ({})", r.with_outcome, pct(r.rate)),
        ),
    ];
    if r.unknown_outcome > 0 {
        facts.push((
            "Left out: outcome empty or not yes/no",
            r.unknown_outcome.to_string(),
        ));
    }
    if r.evaluation_errors > 0 {
        facts.push((
            "Left out: could not be evaluated",
            r.evaluation_errors.to_string(),
        ));
    }
    page.facts(&facts);
    if r.leads == 0 {
        page.note("No lead has a known outcome, so there is nothing to chart: check the outcome column's name and that it holds yes/no values.");
        return Ok(page.finish());
    }
    let all_rate = r.rate.map(|x| (x, format!("all leads: {}", pct(Some(x)))));

    if !r.stages.is_empty() {
        page.h2("stages", "Stages");
        let bars: Vec<RateBar> = r
            .stages
            .iter()
            .map(|s| rate_bar(&s.stage, &s.final_))
            .collect();
        let svg = chart::rate_bars(
            &bars,
            all_rate.clone(),
            BLUE,
            "outcome rate",
            &Axes::new(format!("leads with {} (%)", r.outcome), "final stage"),
        )?;
        let mut t = rate_table(
            "final-stage-table",
            "Outcome rate by final stage",
            "final stage",
        );
        for s in &r.stages {
            t.row(rate_row(&s.stage, &s.final_));
        }
        page.figure(
            "final-stage",
            "Outcome rate by final stage",
            &format!("Of the leads that ended in each stage, the share with {outcome}; the dashed line is the rate of all leads. A good funnel has the rate rising stage by stage."),
            &svg,
            &t,
        );

        let mut t = Table::new(
            "reached-stage",
            "Reaching a stage as a prediction of the outcome",
            &[
                "reached stage",
                "leads",
                "with outcome",
                "precision",
                "recall",
                "lift",
            ],
        );
        for s in &r.stages {
            let p = &s.reached;
            t.row(vec![
                s.stage.clone(),
                p.leads.to_string(),
                p.with_outcome.to_string(),
                pct(p.precision),
                pct(p.recall),
                ratio(p.lift),
            ]);
        }
        page.table(&t);
        page.note("Precision: the outcome rate of the leads that reached the stage. Recall: the share of all leads with the outcome that reached it. Lift: precision divided by the rate of all leads.");
    }

    for (i, tier) in r.tiers.iter().enumerate() {
        if i == 0 {
            page.h2("tiers", "Tiers");
        }
        let name = |l: &Option<String>| l.clone().unwrap_or_else(|| "(no label)".into());
        let bars: Vec<RateBar> = tier
            .labels
            .iter()
            .map(|l| rate_bar(&name(&l.label), &l.rate))
            .collect();
        let svg = chart::rate_bars(
            &bars,
            all_rate.clone(),
            BLUE,
            "outcome rate",
            &Axes::new(
                format!("leads with {} (%)", r.outcome),
                format!("tier {}", tier.tier),
            ),
        )?;
        let title = format!("Outcome rate by tier {}", tier.tier);
        let mut t = rate_table(format!("tier-{i}-table"), &title, "label");
        for l in &tier.labels {
            t.row(rate_row(&name(&l.label), &l.rate));
        }
        page.figure(
            &format!("tier-{i}"),
            &title,
            &format!("Of the leads with each label of tier {}, the share with {outcome}; the dashed line is the rate of all leads.", code(&tier.tier)),
            &svg,
            &t,
        );
    }

    if !r.segments.is_empty() {
        page.h2("segments", "Segments");
        let bars: Vec<RateBar> = r
            .segments
            .iter()
            .map(|s| rate_bar(&s.segment, &s.rate))
            .collect();
        let svg = chart::rate_bars(
            &bars,
            all_rate.clone(),
            BLUE,
            "outcome rate",
            &Axes::new(format!("leads with {} (%)", r.outcome), "segment"),
        )?;
        let mut t = rate_table("segment-table", "Outcome rate by segment", "segment");
        for s in &r.segments {
            t.row(rate_row(&s.segment, &s.rate));
        }
        page.figure(
            "segment",
            "Outcome rate by segment",
            &format!("Of the leads in each segment, the share with {outcome} (a lead can be in several segments); the dashed line is the rate of all leads."),
            &svg,
            &t,
        );
    }

    if !r.scores.is_empty() {
        page.h2("scores", "Scores");
        let mut t = Table::new(
            "scores-table",
            "How well each score ranks the leads",
            &["score", "mean with outcome", "mean without", "AUC"],
        );
        for s in &r.scores {
            t.row(vec![
                s.score.clone(),
                num(s.mean_with_outcome),
                num(s.mean_without_outcome),
                s.auc.map_or("-".into(), |a| format!("{a:.3}")),
            ]);
        }
        page.table(&t);
        page.note("AUC: the chance that a lead with the outcome scores higher than one without; 0.5 is a coin toss, 1 is perfect.");
    }
    for (i, s) in r.scores.iter().enumerate() {
        page.h2(&format!("score-{i}"), &format!("Score {}", code(&s.score)));
        score_figures(&mut page, r, i)?;
    }

    if let Some(sweep) = &r.sweep {
        page.h2(
            "sweep",
            &format!("Choosing a threshold for {}", code(&sweep.score)),
        );
        let xs: Vec<f64> = sweep.rows.iter().map(|row| row.threshold).collect();
        let share = |n: u64| (r.leads > 0).then(|| n as f64 / r.leads as f64);
        let series = vec![
            (
                Key::fill("precision", BLUE),
                sweep.rows.iter().map(|row| row.metrics.precision).collect(),
            ),
            (
                Key::fill("recall", ORANGE),
                sweep.rows.iter().map(|row| row.metrics.recall).collect(),
            ),
            (
                Key::fill("share of the leads picked", GREY),
                sweep
                    .rows
                    .iter()
                    .map(|row| share(row.selected.leads))
                    .collect(),
            ),
        ];
        let svg = chart::lines(
            &xs,
            &series,
            &Axes::new(format!("threshold: {} at least", sweep.score), "share (%)"),
        )?;
        let first = format!("{} >=", sweep.score);
        let mut t = Table::new(
            "sweep-table",
            format!("Leads picked at each threshold of {}", sweep.score),
            &[
                &first,
                "leads",
                "with outcome",
                "precision",
                "recall",
                "lift",
                "F1",
            ],
        );
        for row in &sweep.rows {
            t.row(vec![
                score_text(row.threshold),
                row.selected.leads.to_string(),
                row.selected.yes.to_string(),
                pct(row.metrics.precision),
                pct(row.metrics.recall),
                ratio(row.metrics.lift),
                row.metrics.f1.map_or("-".into(), |f| format!("{f:.3}")),
            ]);
        }
        let source = if sweep.deciles {
            "the score's deciles among the leads"
        } else {
            "as given"
        };
        page.figure(
            "sweep",
            &format!("Precision and recall at each threshold of {}", sweep.score),
            &format!(
                "A lead is picked when {} is at least the threshold (thresholds: {source}). Raising the threshold picks fewer leads: usually more of them have {outcome} (precision) but fewer of all the leads with it are picked (recall).",
                code(&sweep.score)
            ),
            &svg,
            &t,
        );
    }
    Ok(page.finish())
}

/// The distribution, deciles, gain and ROC of score `i`.
fn score_figures(page: &mut Page, r: &Backtest, i: usize) -> Result<(), String> {
    let s = &r.scores[i];
    let name = &s.score;
    let with = format!("with {}", r.outcome);
    let without = format!("without {}", r.outcome);

    if !s.distribution.is_empty() {
        // Each group's bars as shares of that group, so that a small group
        // (usually the leads with the outcome) is as easy to read as a
        // large one.
        let total_with: u64 = s.distribution.iter().map(|b| b.with_outcome).sum();
        let total_without: u64 = s.distribution.iter().map(|b| b.without_outcome).sum();
        let share = |n: u64, total: u64| {
            if total == 0 {
                0.0
            } else {
                n as f64 * 100.0 / total as f64
            }
        };
        let bins: Vec<PairBin> = s
            .distribution
            .iter()
            .map(|b| PairBin {
                lo: b.lo,
                hi: b.hi,
                a: share(b.with_outcome, total_with),
                b: share(b.without_outcome, total_without),
            })
            .collect();
        let svg = chart::paired_bars(
            &bins,
            [
                Key::fill(format!("leads {with} ({total_with})"), BLUE),
                Key::fill(format!("leads {without} ({total_without})"), ORANGE),
            ],
            true,
            &Axes::new(name.as_str(), "share of their group (%)"),
        )?;
        let mut t = Table::new(
            format!("score-{i}-distribution-table"),
            format!("Leads by {name}, split by outcome"),
            &[
                name.as_str(),
                "leads with the outcome",
                "share of them",
                "leads without",
                "share of them",
            ],
        );
        let last = s.distribution.len() - 1;
        for (k, b) in s.distribution.iter().enumerate() {
            t.row(vec![
                bin_range(b.lo, b.hi, k == last),
                b.with_outcome.to_string(),
                pct(Some(share(b.with_outcome, total_with) / 100.0)),
                b.without_outcome.to_string(),
                pct(Some(share(b.without_outcome, total_without) / 100.0)),
            ]);
        }
        page.figure(
            &format!("score-{i}-distribution"),
            &format!("Distribution of {name} by outcome"),
            "Where the leads with the outcome score, and where those without do: each bar is a share of its own group, so both groups add up to 100%. A score that tells them apart has the blue bars to the right of the orange ones.",
            &svg,
            &t,
        );
    }

    if !s.deciles.is_empty() {
        let bars: Vec<RateBar> = s
            .deciles
            .iter()
            .map(|d| RateBar {
                label: format!("{}: {}", decile_name(d), range(d.min, d.max)),
                rate: d.tally.rate(),
                note: format!(
                    "{} ({} of {})",
                    pct(d.tally.rate()),
                    d.tally.yes,
                    d.tally.leads
                ),
            })
            .collect();
        let svg = chart::rate_bars(
            &bars,
            r.rate.map(|x| (x, format!("all leads: {}", pct(Some(x))))),
            BLUE,
            "outcome rate",
            &Axes::new(
                format!("leads with {} (%)", r.outcome),
                format!("decile of {name}"),
            ),
        )?;
        let title = format!("{name} decile");
        let mut t = Table::new(
            format!("score-{i}-deciles-table"),
            format!("Outcome rate by decile of {name}"),
            &[
                &title,
                "highest score",
                "lowest score",
                "leads",
                "with outcome",
                "rate",
            ],
        );
        for d in &s.deciles {
            t.row(vec![
                decile_name(d),
                score_text(d.max),
                score_text(d.min),
                d.tally.leads.to_string(),
                d.tally.yes.to_string(),
                pct(d.tally.rate()),
            ]);
        }
        page.figure(
            &format!("score-{i}-deciles"),
            &format!("Outcome rate by decile of {name}"),
            &format!("The leads ranked by {}, highest first, in ten groups (leads with the same score stay together): the share of each group with the outcome. A useful score has the top deciles well above the dashed line.", code(name)),
            &svg,
            &t,
        );
    }

    for (kind, points, axes, head, key, how) in [
        (
            "gain",
            &s.gain,
            Axes::new("leads picked, highest scores first (%)", format!("of the leads {with}, share picked (%)")),
            ["leads picked", "of those with the outcome"],
            "cumulative gain",
            format!("Pick the leads with the highest {} first: how many of the leads with the outcome you reach for each share of all leads picked. The further above the diagonal (picking at random), the better.", code(name)),
        ),
        (
            "roc",
            &s.roc,
            Axes::new(format!("of the leads {without}, share picked (%)"), format!("of the leads {with}, share picked (%)")),
            ["of those without the outcome, picked", "of those with it, picked"],
            "ROC",
            format!("As the threshold of {} goes down, the share of the leads with the outcome picked against the share of those without. The area under the curve is the AUC ({}).", code(name), s.auc.map_or("-".into(), |a| format!("{a:.3}"))),
        ),
    ] {
        if points.is_empty() {
            continue;
        }
        let pts: Vec<(f64, f64)> = points.iter().map(|p| (p.x, p.y)).collect();
        let svg = chart::curve(
            &pts,
            [
                Key::fill(format!("ranked by {name}"), BLUE),
                Key::dashed("picked at random", GREY),
            ],
            &axes,
        )?;
        let title = format!("{} curve of {name}", capitalise(key));
        let mut t = Table::new(
            format!("score-{i}-{kind}-table"),
            title.clone(),
            &head,
        );
        for p in points {
            t.row(point_row(p));
        }
        page.figure(&format!("score-{i}-{kind}"), &title, &how, &svg, &t);
    }
    Ok(())
}

fn point_row(p: &Point) -> Vec<String> {
    vec![pct(Some(p.x)), pct(Some(p.y))]
}

fn rate_bar(label: &str, rate: &Rate) -> RateBar {
    RateBar {
        label: label.to_string(),
        rate: rate.rate,
        note: if rate.leads == 0 {
            "no leads".to_string()
        } else {
            format!(
                "{} ({} of {})",
                pct(rate.rate),
                rate.with_outcome,
                rate.leads
            )
        },
    }
}

fn rate_table(id: impl Into<String>, caption: &str, first: &str) -> Table {
    Table::new(id, caption, &[first, "leads", "with outcome", "rate"])
}

fn rate_row(name: &str, r: &Rate) -> Vec<String> {
    vec![
        name.to_string(),
        r.leads.to_string(),
        r.with_outcome.to_string(),
        pct(r.rate),
    ]
}
