//! The block pipeline seen from an observer: data issues and evaluation
//! errors arrive in input order, an issue both versions of a diff find
//! arrives once, and the counts match what the observer heard — whatever
//! the number of workers.

use std::sync::Arc;

use mql_core::LeadId;
use mql_data::DataIssue;
use mql_report::results::{Format, Renderer, Shape};
use mql_run::diff::Version;
use mql_run::eval::Which;
use mql_run::{Input, Observer, Settings};
use mql_vm::EvalError;

/// Remembers everything it hears, as the lines a console would print.
#[derive(Default)]
struct Recorder {
    lines: Vec<String>,
    progress: u64,
}

impl Observer for Recorder {
    fn issue(&mut self, issue: &DataIssue) {
        self.lines.push(issue.to_string());
    }
    fn eval_error(&mut self, id: &LeadId, error: &EvalError) {
        self.lines
            .push(format!("evaluation error: lead {id}: {error}"));
    }
    fn progress(&mut self, n: u64) {
        self.progress += n;
    }
    fn summary(&mut self, line: &str) {
        self.lines.push(format!("summary: {line}"));
    }
}

const MODEL: &str = "lead { n: int }
let big = n * 1000000000000
score s { n > 5 => +10 }
stages a, b
transition a -> b when big > 0 and s > 0
";

const MODEL_V2: &str = "lead { n: int, m: int }
score s { n > 2 => +10 }
stages a, b
transition a -> b when s > 0
";

fn model(text: &str) -> Arc<mql_sema::hir::Model> {
    mql_sema::check_source("m.mql", text)
        .model
        .expect("the model checks")
}

/// 1,000 leads: every 100th has a bad `n`, every 250th overflows.
fn leads(dir: &std::path::Path) -> Input {
    let mut text = String::new();
    for i in 0..1000u64 {
        let n = if i % 100 == 7 {
            "\"x\"".to_string()
        } else if i % 250 == 3 {
            "99999999".to_string()
        } else {
            (i % 10).to_string()
        };
        text.push_str(&format!("{{\"id\": {i}, \"n\": {n}}}\n"));
    }
    let path = dir.join("leads.ndjson");
    std::fs::write(&path, text).unwrap();
    Input {
        leads: path.to_string_lossy().into_owned(),
        ..Input::default()
    }
}

fn eval_with(threads: usize, input: &Input) -> (Recorder, Vec<u8>) {
    let m = model(MODEL);
    let program = mql_vm::compile(&m);
    let renderer = Renderer {
        model: &m,
        format: Format::Csv,
        shape: Shape::default(),
    };
    let mut rec = Recorder::default();
    let mut out = Vec::new();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let done = pool
        .install(|| {
            mql_run::eval::eval(
                &m,
                &program,
                input,
                Settings {
                    now: 0,
                    explain: false,
                    report_eval_errors: true,
                },
                &renderer,
                Which::All,
                &mut out,
                &mut rec,
            )
        })
        .unwrap();
    assert_eq!(done.summary.leads_read, 1000);
    assert_eq!(done.summary.data_errors, 10);
    assert_eq!(done.summary.eval_errors, 4);
    assert_eq!(rec.progress, 1000);
    (rec, out)
}

#[test]
fn the_observer_hears_everything_in_input_order() {
    let dir = std::env::temp_dir().join(format!("mql-run-pipeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = leads(&dir);
    let (one, out_one) = eval_with(1, &input);
    let (three, out_three) = eval_with(3, &input);
    assert_eq!(one.lines, three.lines);
    assert_eq!(out_one, out_three);
    // Lines 8, 108, 208 have a bad value and lead 3 overflows: within a
    // block of 256 lines, its data errors come before its evaluation errors.
    let kinds: Vec<&str> = one
        .lines
        .iter()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        &kinds[..4],
        ["data error", "data error", "data error", "evaluation error"]
    );
    assert!(
        one.lines[0].contains(":8: lead 7: field `n`"),
        "{:?}",
        one.lines
    );
    assert!(
        one.lines[3].starts_with("evaluation error: lead 3: "),
        "{:?}",
        one.lines
    );
    let summary = one.lines.last().unwrap();
    assert!(
        summary.starts_with("summary: leads read: 1000, data errors: 14, stages: a "),
        "{summary}"
    );

    // A diff: the bad `n` is found by both versions and told once.
    let (old, new) = (model(MODEL), model(MODEL_V2));
    let (p_old, p_new) = (mql_vm::compile(&old), mql_vm::compile(&new));
    let mut rec = Recorder::default();
    let meta = mql_report::diff::Meta {
        old: "old.mql".into(),
        new: "new.mql".into(),
        leads: input.leads.clone(),
        now: 0,
    };
    let done = mql_run::diff::diff(
        Version {
            model: &old,
            program: &p_old,
        },
        Version {
            model: &new,
            program: &p_new,
        },
        &input,
        &meta,
        None,
        &mut rec,
    )
    .unwrap();
    let errors = rec.lines.iter().filter(|l| l.starts_with("data error"));
    assert_eq!(errors.count(), 10, "{:?}", rec.lines);
    assert_eq!(done.summary.data_errors, 10);
    assert_eq!(done.summary.eval_errors, 4);
    assert_eq!(done.report.leads, 1000);
    // The old rules' overflows are in the matrix's `error` row.
    assert_eq!(
        done.report.stages.old.last().map(String::as_str),
        Some("error")
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A CRM export's leads: `Won Deal` is the outcome, `Visits` fills `n`.
const EXPORT: &str = r#"{"id": 1, "Visits": 7, "Won Deal": "yes"}
{"id": 2, "Visits": 1, "Won Deal": "no"}
{"id": 3, "Visits": 9, "Won Deal": "no"}
{"id": 4, "Visits": 0}
"#;

#[test]
fn warnings_are_told_and_counted_and_outcomes_are_found_by_their_columns() {
    let dir = std::env::temp_dir().join(format!("mql-run-warnings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("export.ndjson");
    std::fs::write(&path, EXPORT).unwrap();
    let input = Input {
        leads: path.to_string_lossy().into_owned(),
        ..Input::default()
    };

    // A declared field nothing fills: one warning, heard and counted, and
    // a strict run fails on it though there is no data error.
    let m = model(
        "lead { n: int from \"Visits\", owner: string }\nscore s { n > 5 => +10 }\nstages a, b\ntransition a -> b when s > 0\n",
    );
    let program = mql_vm::compile(&m);
    let renderer = Renderer {
        model: &m,
        format: Format::Csv,
        shape: Shape::default(),
    };
    let mut rec = Recorder::default();
    let done = mql_run::eval::eval(
        &m,
        &program,
        &input,
        Settings {
            now: 0,
            explain: false,
            report_eval_errors: true,
        },
        &renderer,
        Which::All,
        Vec::new(),
        &mut rec,
    )
    .unwrap();
    let warnings: Vec<&String> = rec
        .lines
        .iter()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", rec.lines);
    assert!(warnings[0].contains("field `owner`"), "{warnings:?}");
    assert_eq!(done.summary.warnings, 1);
    assert_eq!(done.summary.data_errors, 0);
    assert!(done.fails_strict());

    // The outcome named by the column a field is read from.
    let m = model(
        "lead { n: int from \"Visits\", won: bool from \"Won Deal\" }\nscore s { n > 5 => +10 }\nstages a, b\ntransition a -> b when s > 0\n",
    );
    let program = mql_vm::compile(&m);
    let backtest = |outcome: &str, m: &mql_sema::hir::Model, rec: &mut Recorder| {
        let meta = mql_report::backtest::Meta {
            rules: "m.mql".into(),
            outcome: outcome.into(),
            now: 0,
        };
        mql_run::backtest::backtest(m, &mql_vm::compile(m), &input, &meta, None, rec)
    };
    let mut rec = Recorder::default();
    let done = backtest("Won Deal", &m, &mut rec).unwrap();
    assert_eq!((done.report.leads, done.report.with_outcome), (3, 1));
    assert_eq!(done.report.unknown_outcome, 1);
    assert!(
        rec.lines.iter().all(|l| !l.starts_with("warning")),
        "{:?}",
        rec.lines
    );

    // An outcome column that is no field and not in the data is not warned
    // about as a field to declare: the backtest says so in its own words.
    let mut rec = Recorder::default();
    let err = backtest("Converted", &m, &mut rec).err().unwrap();
    assert!(
        err.to_string()
            .starts_with("none of the 4 leads has a yes/no value in `Converted`"),
        "{err}"
    );
    assert!(
        rec.lines.iter().all(|l| !l.starts_with("warning")),
        "{:?}",
        rec.lines
    );

    // diff --outcome: the new version, which does not declare the outcome,
    // reads it from the same column as the old one.
    let new = model("lead { n: int from \"Visits\" }\nscore s { n > 0 => +10 }\nstages a, b\ntransition a -> b when s > 0\n");
    let p_new = mql_vm::compile(&new);
    let meta = mql_report::diff::Meta {
        old: "old.mql".into(),
        new: "new.mql".into(),
        leads: input.leads.clone(),
        now: 0,
    };
    let mut rec = Recorder::default();
    let done = mql_run::diff::diff(
        Version {
            model: &m,
            program: &program,
        },
        Version {
            model: &new,
            program: &p_new,
        },
        &input,
        &meta,
        Some("won"),
        &mut rec,
    )
    .unwrap();
    let outcome = done.report.outcome.expect("outcome figures");
    assert_eq!((outcome.leads, outcome.with_outcome), (3, 1));
    assert!(
        rec.lines
            .iter()
            .all(|l| !l.starts_with("note") && !l.starts_with("warning")),
        "{:?}",
        rec.lines
    );
    std::fs::remove_dir_all(&dir).ok();
}
