//! Deciding with outcomes, end to end: `backtest --sweep`, decile outcome
//! rates, `diff --outcome`, and the CSV forms — figures checked against
//! counts made by hand on the small funnel fixture, and the identities that
//! must hold on the real Olist export.

mod funnel;
mod support;

use std::process::Output;

use funnel::{BACKTEST, DIFF};
use serde_json::{json, Value};
use support::mql;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

// The fixture's leads under funnel_v1 (fit: +50 for 100+ employees, +20
// for the team plan), and their outcome:
//   a: 200 team        fit 70  mql   converted
//   b: 60 free         fit 0   lead  not converted   (v2: 60 is big: fit 50, mql)
//   c: 5 Enterprise    fit 0   lead  converted
//   d: 150 free        fit 50  mql   outcome "maybe": left out
//   e: "lots" team     fit 20  lead  not converted
//   f: 120 team        fit 70  mql   no outcome: left out

fn backtest(extra: &[&str]) -> Output {
    mql(&[&BACKTEST[..], extra].concat())
}

fn diff(extra: &[&str]) -> Output {
    mql(&[&DIFF[..], extra].concat())
}

#[test]
fn a_sweep_at_given_thresholds_counts_by_hand() {
    let v = json_of(&backtest(&[
        "--sweep",
        "fit",
        "--thresholds",
        "20,50,50",
        "--format",
        "json",
    ]));
    // Highest threshold first, each once.
    assert_eq!(
        v["sweep"],
        json!({
            "score": "fit",
            "deciles": false,
            "rows": [
                // a: 1 lead, converted: recall 1/2, lift 1 / 0.5, F1 2·1·.5/1.5.
                {"threshold": 50.0, "leads": 1, "with_outcome": 1, "precision": 1.0,
                 "recall": 0.5, "lift": 2.0, "f1": 2.0 / 3.0},
                // a and e: one of two.
                {"threshold": 20.0, "leads": 2, "with_outcome": 1, "precision": 0.5,
                 "recall": 0.5, "lift": 1.0, "f1": 0.5},
            ]
        })
    );
}

#[test]
fn every_backtest_has_decile_rates_and_the_curves() {
    let v = json_of(&backtest(&["--format", "json"]));
    assert!(v.get("sweep").is_none());
    let fit = &v["scores"][0];
    // 70 (a), 20 (e), 0 (b, c): ranks 0, 1, 2–3 of 4.
    assert_eq!(
        fit["deciles"],
        json!([
            {"decile": 1, "through": 2, "min": 70.0, "max": 70.0, "leads": 1, "with_outcome": 1},
            {"decile": 3, "through": 5, "min": 20.0, "max": 20.0, "leads": 1, "with_outcome": 0},
            {"decile": 6, "through": 10, "min": 0.0, "max": 0.0, "leads": 2, "with_outcome": 1},
        ])
    );
    // ROC down the scores: 70 (a, yes), 20 (e, no), 0 (b no, c yes).
    assert_eq!(
        fit["roc"],
        json!([
            {"x": 0.0, "y": 0.0}, {"x": 0.0, "y": 0.5}, {"x": 0.5, "y": 0.5}, {"x": 1.0, "y": 1.0}
        ])
    );
    assert_eq!(
        fit["gain"],
        json!([
            {"x": 0.0, "y": 0.0}, {"x": 0.25, "y": 0.5}, {"x": 0.5, "y": 0.5}, {"x": 1.0, "y": 1.0}
        ])
    );
    // Three different scores: one bar each.
    let bins = fit["distribution"].as_array().unwrap();
    assert_eq!(
        *bins,
        [
            json!({"lo": 0.0, "hi": 0.0, "with_outcome": 1, "without_outcome": 1}),
            json!({"lo": 20.0, "hi": 20.0, "with_outcome": 0, "without_outcome": 1}),
            json!({"lo": 70.0, "hi": 70.0, "with_outcome": 1, "without_outcome": 0}),
        ]
    );
}

#[test]
fn backtest_sweep_text_and_csv() {
    let out = backtest(&["--sweep", "fit"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("deciding_backtest_sweep_text", text(&out.stdout));
    let out = backtest(&["--sweep", "fit", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("deciding_backtest_csv", text(&out.stdout));
}

#[test]
fn the_json_forms_of_a_sweep_and_of_a_diff_with_an_outcome() {
    let out = backtest(&["--sweep", "fit", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("deciding_backtest_sweep_json", text(&out.stdout));
    let out = diff(&["--outcome", "converted", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("deciding_diff_outcome_json", text(&out.stdout));
}

#[test]
fn a_sweep_of_a_score_the_model_lacks_is_refused() {
    let out = backtest(&["--sweep", "fitt"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: `--sweep fitt`: the model has no score `fitt`; its scores are `fit`\n"
    );
    let out = backtest(&["--thresholds", "10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--sweep"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn diff_with_an_outcome_counts_by_hand() {
    let v = json_of(&diff(&["--outcome", "converted", "--format", "json"]));
    let o = &v["outcome"];
    assert_eq!(o["field"], "converted");
    assert_eq!(
        (o["leads"].clone(), o["with_outcome"].clone()),
        (json!(4), json!(2))
    );
    assert_eq!(o["unknown_outcome"], 2);
    // mql: old rules a (yes); new rules a (yes) and b (no).
    assert_eq!(
        o["stages"][1],
        json!({
            "stage": "mql",
            "old": {"leads": 1, "with_outcome": 1, "precision": 1.0, "recall": 0.5, "lift": 2.0},
            "new": {"leads": 2, "with_outcome": 1, "precision": 0.5, "recall": 0.5, "lift": 1.0},
        })
    );
    // lead → lead: c (yes), e (no); lead → mql: b (no); mql → mql: a (yes).
    assert_eq!(
        o["matrix"][0],
        json!({"from": "lead", "to": {
            "lead": {"leads": 2, "with_outcome": 1, "rate": 0.5},
            "mql": {"leads": 1, "with_outcome": 0, "rate": 0.0},
            "sql": {"leads": 0, "with_outcome": 0, "rate": null},
        }})
    );
    assert_eq!(
        o["matrix"][1]["to"]["mql"],
        json!({"leads": 1, "with_outcome": 1, "rate": 1.0})
    );
    // fit: b goes from 0 to 50, the others stay: mean 35 → 43.33.
    assert_eq!(v["score_shifts"][0]["higher"], 1);
    assert_eq!(v["score_shifts"][0]["unchanged"], 5);
    assert_eq!(v["score_shifts"][0]["mean_old"], 35.0);
    // Without --outcome there is no outcome section.
    let v = json_of(&diff(&["--format", "json"]));
    assert!(v.get("outcome").is_none());
}

#[test]
fn diff_with_an_outcome_text_and_csv() {
    let out = diff(&["--outcome", "converted"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(
        "deciding_diff_outcome_text",
        format!(
            "{}\n--- stderr ---\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    );
    let out = diff(&["--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("deciding_diff_csv", text(&out.stdout));
}

const OLIST: [&str; 6] = [
    "--leads",
    "examples/olist/leads.csv",
    "--id-field",
    "MQL Id",
    "--as-of",
    "2018-06-01",
];

fn close(a: &Value, b: f64) -> bool {
    a.as_f64()
        .is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}

#[test]
fn the_olist_figures_hold_together() {
    let mut args = vec!["backtest", "examples/olist/olist.mql"];
    args.extend(OLIST);
    args.extend([
        "--outcome",
        "Became Seller",
        "--sweep",
        "fit",
        "--format",
        "json",
    ]);
    let v = json_of(&mql(&args));
    let (n, yes) = (
        v["leads"].as_u64().unwrap(),
        v["with_outcome"].as_u64().unwrap(),
    );
    assert!(n > 1000 && yes > 100, "{n} {yes}");
    // precision × reached = recall × leads with the outcome, for every stage.
    for s in v["stages"].as_array().unwrap() {
        let r = &s["reached"];
        let reached = r["leads"].as_f64().unwrap();
        if reached > 0.0 {
            let p = r["precision"].as_f64().unwrap();
            assert!(close(&r["recall"], p * reached / yes as f64), "{s}");
            assert!(close(&r["lift"], p / (yes as f64 / n as f64)), "{s}");
        }
    }
    // Deciles hold every lead once; the default sweep ends with everyone.
    for sc in v["scores"].as_array().unwrap() {
        let total: u64 = sc["deciles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["leads"].as_u64().unwrap())
            .sum();
        assert_eq!(total, n);
    }
    let rows = v["sweep"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 10);
    assert_eq!(rows.last().unwrap()["leads"].as_u64(), Some(n));
    assert_eq!(v["sweep"]["deciles"], true);
    for r in rows {
        if let (Some(p), Some(rc)) = (r["precision"].as_f64(), r["recall"].as_f64()) {
            assert!(
                (p * r["leads"].as_f64().unwrap() - rc * yes as f64).abs() < 1e-6,
                "{r}"
            );
        }
    }

    let mut args = vec![
        "diff",
        "examples/olist/olist.mql",
        "examples/olist/olist_v2.mql",
    ];
    args.extend(OLIST);
    args.extend(["--outcome", "Became Seller", "--format", "json"]);
    let d = json_of(&mql(&args));
    // Every cell's leads with an outcome add up to the leads with one.
    let cells: u64 = d["outcome"]["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row["to"]
                .as_object()
                .unwrap()
                .values()
                .map(|c| c["leads"].as_u64().unwrap())
                .collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(cells, n);
    assert_eq!(d["outcome"]["with_outcome"].as_u64(), Some(yes));
    // The old side of the diff is the backtest of the old rules.
    for (s, b) in d["outcome"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .zip(v["stages"].as_array().unwrap())
    {
        assert_eq!(s["old"], b["reached"], "{s}");
    }
}
