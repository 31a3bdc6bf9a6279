//! End-to-end tests of the `mql` command: exit codes, and what a user sees on
//! standard output and standard error, snapshotted.

mod support;

use std::path::Path;
use std::process::Command;

use support::mql;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_example_checks_clean() {
    let mut n = 0;
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")).unwrap()
    {
        let dir = entry.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "mql") {
                let out = mql(&["check", file.to_str().unwrap()]);
                let stderr = text(&out.stderr);
                assert_eq!(out.status.code(), Some(0), "{}: {stderr}", file.display());
                assert!(
                    stderr.contains("0 error(s), 0 warning(s)"),
                    "{}: {stderr}",
                    file.display()
                );
                n += 1;
            }
        }
    }
    assert!(n >= 4, "expected at least four example models, found {n}");
}

#[test]
fn broken_model_reports_every_mistake_with_location() {
    let out = mql(&["check", "tests/fixtures/broken.mql"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("check_broken_text", text(&out.stderr));
}

#[test]
fn broken_model_as_json_for_ci() {
    let out = mql(&["check", "--format", "json", "tests/fixtures/broken.mql"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        for key in [
            "code",
            "severity",
            "message",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "help",
        ] {
            assert!(v.get(key).is_some(), "missing `{key}` in {line}");
        }
    }
    insta::assert_snapshot!("check_broken_json", stdout);
}

#[test]
fn missing_file_is_a_usage_error() {
    let out = mql(&["check", "tests/fixtures/no_such_file.mql"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("there is no file `tests/fixtures/no_such_file.mql`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn fmt_check_reports_unformatted_and_fmt_fixes_it() {
    let dir = std::env::temp_dir().join(format!("mql-fmt-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("messy.mql");
    std::fs::write(
        &file,
        "lead {  size: int }\nscore fit {\n   size > 10 => +5 // big enough\n}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = mql(&["fmt", "--check", path]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = mql(&["fmt", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert!(formatted.contains("// big enough"), "{formatted}");
    let out = mql(&["fmt", "--check", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

const ACME: &str = "examples/b2b_saas/acme.mql";
const ACME_LEADS: &str = "examples/b2b_saas/leads.ndjson";

#[test]
fn eval_streams_ndjson_with_data_errors_and_summary() {
    let out = mql(&[
        "eval",
        ACME,
        "--leads",
        ACME_LEADS,
        "--as-of",
        "2026-11-01",
        "--format",
        "ndjson",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 40);
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "ACME-0001");
    insta::assert_snapshot!("eval_acme_ndjson", stdout);
    insta::assert_snapshot!("eval_acme_stderr", text(&out.stderr));
}

#[test]
fn eval_strict_exits_2_on_data_errors() {
    let out = mql(&[
        "eval",
        ACME,
        "--leads",
        ACME_LEADS,
        "--as-of",
        "2026-11-01",
        "--strict",
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stdout).starts_with("id,"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn eval_table_and_csv_with_separate_events_file() {
    let out = mql(&[
        "eval",
        "examples/ecommerce/shop.mql",
        "--leads",
        "examples/ecommerce/leads.csv",
        "--events",
        "examples/ecommerce/events.csv",
        "--id-field",
        "Customer ID",
        "--as-of",
        "2026-11-20T12:00:00Z",
        "--format",
        "table",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("eval_shop_table", text(&out.stdout));
}

#[test]
fn eval_rejects_a_bad_as_of() {
    let out = mql(&["eval", ACME, "--leads", ACME_LEADS, "--as-of", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not a time"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn eval_on_a_broken_model_exits_1() {
    let out = mql(&["eval", "tests/fixtures/broken.mql", "--leads", ACME_LEADS]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn explain_one_lead_as_a_tree() {
    let out = mql(&[
        "explain",
        ACME,
        "--leads",
        ACME_LEADS,
        "--id",
        "ACME-0033",
        "--as-of",
        "2026-11-01",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("explain_acme_0033", text(&out.stdout));
    let out = mql(&["explain", ACME, "--leads", ACME_LEADS, "--id", "NOPE"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_verb_runs_example_tests_and_reports_failures() {
    let out = mql(&["test", ACME]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).ends_with("4 passed, 0 failed\n"),
        "{}",
        text(&out.stdout)
    );
    let out = mql(&["test", "tests/fixtures/failing_test.mql"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("test_failing", text(&out.stdout));
}

#[test]
fn compile_emits_bytecode_and_ast() {
    let out = mql(&[
        "compile",
        "tests/fixtures/failing_test.mql",
        "--emit",
        "bytecode",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("compile_bytecode", text(&out.stdout));
    let out = mql(&[
        "compile",
        "tests/fixtures/failing_test.mql",
        "--emit",
        "ast",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("compile_ast", text(&out.stdout));
}

const V1: &str = "tests/fixtures/diff/funnel_v1.mql";
const V2: &str = "tests/fixtures/diff/funnel_v2.mql";
const FUNNEL_LEADS: &str = "tests/fixtures/diff/leads.ndjson";

#[test]
fn diff_shows_the_stage_matrix_and_the_leads_that_change() {
    let out = mql(&[
        "diff",
        V1,
        V2,
        "--leads",
        FUNNEL_LEADS,
        "--as-of",
        "2026-11-01",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(
        "diff_text",
        format!(
            "{}\n--- stderr ---\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    );
}

#[test]
fn diff_as_json_counts_by_hand() {
    let out = mql(&[
        "diff",
        V1,
        V2,
        "--leads",
        FUNNEL_LEADS,
        "--as-of",
        "2026-11-01",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["leads"], 6);
    // b: 60 employees is `big` only under the new bar: lead → mql, grade none → A.
    // c: 5 employees joins the new `small_team` segment. Nothing else changes.
    assert_eq!(
        v["changed_counts"],
        serde_json::json!({"any": 2, "stage": 1, "tier": 1, "segments": 1})
    );
    assert_eq!(v["changed"][0]["id"], "b");
    assert_eq!(
        v["changed"][0]["stage"],
        serde_json::json!({"old": "lead", "new": "mql"})
    );
    assert_eq!(
        v["changed"][0]["tiers"]["grade"],
        serde_json::json!({"old": null, "new": "A"})
    );
    assert_eq!(v["changed"][0]["scores"]["new"]["fit"], 50.0);
    assert_eq!(v["changed"][1]["id"], "c");
    assert_eq!(
        v["changed"][1]["segments"],
        serde_json::json!({"added": ["small_team"], "removed": []})
    );
    // a, d, f stay in mql; c and e stay leads; b moves up.
    assert_eq!(
        v["matrix"][0]["to"],
        serde_json::json!({"lead": 2, "mql": 1, "sql": 0})
    );
    assert_eq!(
        v["matrix"][1]["to"],
        serde_json::json!({"lead": 0, "mql": 3, "sql": 0})
    );
}

#[test]
fn diff_refuses_standard_input() {
    let out = mql(&["diff", V1, V2, "--leads", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("needs a file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn backtest_reports_rates_precision_recall_lift_and_auc() {
    let out = mql(&[
        "backtest",
        V1,
        "--leads",
        FUNNEL_LEADS,
        "--as-of",
        "2026-11-01",
        "--outcome",
        "converted",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(
        "backtest_text",
        format!(
            "{}\n--- stderr ---\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    );
}

#[test]
fn backtest_as_json_matches_hand_counts() {
    let out = mql(&[
        "backtest",
        V1,
        "--leads",
        FUNNEL_LEADS,
        "--as-of",
        "2026-11-01",
        "--outcome",
        "Converted",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    // d ("maybe") and f (missing) have no usable outcome; a and c converted,
    // b and e did not.
    assert_eq!(v["leads"], 4);
    assert_eq!(v["with_outcome"], 2);
    assert_eq!(v["unknown_outcome"], 2);
    // Only a reaches mql: precision 1, recall 1/2, lift 1 / 0.5 = 2.
    let mql_stage = &v["stages"][1];
    assert_eq!(mql_stage["stage"], "mql");
    assert_eq!(
        mql_stage["reached"],
        serde_json::json!({"leads": 1, "with_outcome": 1, "precision": 1.0, "recall": 0.5, "lift": 2.0})
    );
    // fit: a 70 and c 0 converted, b 0 and e 20 did not; of the four
    // (yes, no) pairs a wins twice, c ties b and loses to e: 2.5 / 4.
    assert_eq!(v["scores"][0]["auc"], 0.625);
    assert_eq!(v["scores"][0]["mean_with_outcome"], 35.0);
    assert_eq!(v["scores"][0]["mean_without_outcome"], 10.0);
    assert_eq!(v["tiers"][0]["labels"][2]["label"], serde_json::Value::Null);
    assert_eq!(v["tiers"][0]["labels"][2]["leads"], 2);
}

#[test]
fn backtest_refuses_an_outcome_that_is_not_yes_or_no() {
    let out = mql(&[
        "backtest",
        V1,
        "--leads",
        FUNNEL_LEADS,
        "--outcome",
        "employees",
    ]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("backtest_wrong_outcome_type", text(&out.stderr));
}

#[test]
fn eval_output_is_the_same_whatever_the_number_of_threads() {
    // 12,000 leads (47 blocks of lines, handed to 1 or 3 workers), copies of
    // the example's leads with new ids, a duplicate id and a bad value here
    // and there.
    let source = std::fs::read_to_string("examples/b2b_saas/leads.ndjson").unwrap();
    let lines: Vec<serde_json::Value> = source
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut data = String::new();
    for k in 0..300 {
        for (i, lead) in lines.iter().enumerate() {
            let mut lead = lead.clone();
            let id = if (k * 40 + i) % 1999 == 0 {
                7
            } else {
                k * 40 + i
            };
            lead["id"] = serde_json::json!(format!("C-{id}"));
            if (k + i) % 613 == 0 {
                lead["company_size"] = serde_json::json!("lots");
            }
            data.push_str(&lead.to_string());
            data.push('\n');
        }
    }
    let dir = std::env::temp_dir().join(format!("mql-threads-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let leads = dir.join("leads.ndjson");
    std::fs::write(&leads, data).unwrap();
    let run = |threads: &str| {
        Command::new(env!("CARGO_BIN_EXE_mql"))
            .args([
                "eval",
                "examples/b2b_saas/acme.mql",
                "--as-of",
                "2026-11-01",
                "--explain",
                "--format",
                "ndjson",
                "--leads",
            ])
            .arg(&leads)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("mql runs")
    };
    let one = run("1");
    let three = run("3");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    assert_eq!(one.stdout.iter().filter(|b| **b == b'\n').count(), 12_000);
    let stderr = text(&one.stderr);
    assert!(stderr.contains("duplicate id \"C-7\""), "{stderr}");
    assert!(stderr.contains("found \"lots\""), "{stderr}");
    assert!(
        one.stdout == three.stdout,
        "results differ between 1 and 3 threads"
    );
    assert_eq!(stderr, text(&three.stderr));
}

#[test]
fn backtest_says_when_no_lead_has_the_outcome() {
    let out = mql(&["backtest", V1, "--leads", FUNNEL_LEADS, "--outcome", "won"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("none of the 6 leads has a yes/no value in `won`"),
        "{stderr}"
    );
}

#[test]
fn eval_gives_the_same_results_from_ndjson_and_a_json_array_with_an_events_file() {
    // 1,000 leads, several blocks' worth: NDJSON lines are decoded on the
    // worker threads, a JSON array on the reading thread; both join the
    // events file on their way.
    let source = std::fs::read_to_string(ACME_LEADS).unwrap();
    let base: Vec<serde_json::Value> = source
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut leads = Vec::new();
    let mut events = String::new();
    for k in 0..1000 {
        let mut lead = base[k % base.len()].clone();
        let id = format!("E-{k}");
        lead["id"] = serde_json::json!(id);
        if k % 3 == 0 {
            events.push_str(&format!(
                "{{\"lead_id\": \"{id}\", \"type\": \"form_submit\", \"at\": \"2026-10-2{}T10:00:00Z\", \"form\": \"demo\"}}\n",
                k % 10
            ));
        }
        leads.push(lead);
    }
    events.push_str(
        "{\"lead_id\": \"NOPE-1\", \"type\": \"form_submit\", \"at\": \"2026-10-20T10:00:00Z\", \"form\": \"demo\"}\n",
    );
    let dir = std::env::temp_dir().join(format!("mql-formats-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ndjson = dir.join("leads.ndjson");
    let array = dir.join("leads.json");
    let events_file = dir.join("events.ndjson");
    let lines: Vec<String> = leads.iter().map(|l| l.to_string()).collect();
    std::fs::write(&ndjson, lines.join("\n") + "\n").unwrap();
    std::fs::write(&array, format!("[\n{}\n]\n", lines.join(",\n"))).unwrap();
    std::fs::write(&events_file, events).unwrap();
    let run = |leads: &std::path::Path, format: &str| {
        Command::new(env!("CARGO_BIN_EXE_mql"))
            .args(["eval", ACME, "--as-of", "2026-11-01", "--format", format])
            .args(["--errors", "-"])
            .arg("--leads")
            .arg(leads)
            .arg("--events")
            .arg(&events_file)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RAYON_NUM_THREADS", "2")
            .output()
            .expect("mql runs")
    };
    let from_lines = run(&ndjson, "json");
    let from_array = run(&array, "json");
    let csv = run(&ndjson, "csv");
    std::fs::remove_dir_all(&dir).ok();

    assert_eq!(
        from_lines.status.code(),
        Some(0),
        "{}",
        text(&from_lines.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&from_lines.stdout).unwrap();
    assert_eq!(results.len(), 1000);
    assert_eq!(results[999]["id"], "E-999");
    assert!(
        from_lines.stdout == from_array.stdout,
        "NDJSON and JSON array leads give different results"
    );
    // The events file's events count: the demo requests move leads on.
    let plain = mql(&[
        "eval",
        ACME,
        "--as-of",
        "2026-11-01",
        "--format",
        "json",
        "--leads",
        ACME_LEADS,
    ]);
    let plain: Vec<serde_json::Value> = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(
        (0..base.len())
            .step_by(3)
            .any(|k| results[k]["scores"] != plain[k]["scores"]),
        "the events file's events were not joined"
    );
    // The example's leads carry a few bad values; the unmatched event is
    // reported last, once every lead has been read (every issue, as NDJSON).
    let (a, b) = (text(&from_lines.stderr), text(&from_array.stderr));
    assert_eq!(a.lines().count(), b.lines().count(), "{a}\n----\n{b}");
    for stderr in [&a, &b] {
        let lines: Vec<&str> = stderr.lines().collect();
        let n = lines.len();
        assert!(n > 20, "{stderr}");
        assert!(
            lines[n - 2].contains(r#""lead":"NOPE-1","field":"lead_id","value":"NOPE-1","reason":"no lead with id \"NOPE-1\""#),
            "{stderr}"
        );
        assert_eq!(stderr.matches("NOPE-1").count(), 3, "{stderr}");
        assert!(
            lines[n - 1].starts_with("leads read: 1000, data errors: "),
            "{stderr}"
        );
    }
    assert_eq!(a.lines().last(), b.lines().last());
    let csv = text(&csv.stdout);
    assert_eq!(csv.lines().count(), 1001);
    assert_eq!(csv.matches("id,stage,").count(), 1, "one header line");
}

#[test]
fn eval_refuses_a_csv_separated_by_semicolons() {
    // Spreadsheets in many countries export "CSV" with semicolons; read with
    // commas, every lead would silently lose every value.
    let commas = std::fs::read_to_string("examples/olist/leads.csv").unwrap();
    let dir = std::env::temp_dir().join(format!("mql-semicolons-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let leads = dir.join("leads.csv");
    std::fs::write(&leads, commas.replace(',', ";")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(["eval", "examples/olist/olist.mql", "--leads"])
        .arg(&leads)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("mql runs");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("looks separated by semicolons, not commas: its header is the one column `MQL Id;First Contact Date;"),
        "{stderr}"
    );
    assert!(
        stderr.contains("export it again as comma-separated CSV"),
        "{stderr}"
    );
}
