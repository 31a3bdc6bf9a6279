//! Error reports a person can read (cli-and-data.md v1.1, "Bad data"): the
//! first errors of each kind, "… and N more" with the most common values, a
//! count per kind before the summary; `--errors FILE` and `--errors -` with
//! every issue as NDJSON; `--quiet`; on every verb that reads leads. And the
//! counts always add up: records read = leads written + records skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proptest::prelude::*;
use serde_json::Value;

fn mql(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("mql runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder for one test, with `files` written into it.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("errors-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    for (file, body) in files {
        std::fs::write(dir.join(file), body).expect("write a file");
    }
    dir
}

const MODEL: &str = r#"model messy

lead {
  visits: int
  seniority: enum { manager, vp "Vice President", cxo }
  country: string
}

criterion senior = seniority in [vp, cxo]

score fit {
  senior       => +20
  visits >= 5  => +10
}

stages lead, mql
transition lead -> mql when fit >= 20
"#;

/// 12 leads: six bad `seniority` values of three spellings, five bad
/// `visits` values, one row with a cell too many, and two undeclared columns.
const LEADS: &str = "\
id,visits,seniority,country,Owner,Won
1,3,manager,France,ann,yes
2,7,Director,Spain,bob,no
3,many,vp,Italy,ann,yes
4,2,Head of Sales,France,bob,no
5,n/a,cxo,Spain,ann,yes
6,9,Director,Italy,bob,no
7,1,Intern,France,ann,extra,yes
8,n/a,Director,Spain,bob,no
9,-,Head of Sales,Italy,ann,yes
10,4,Intern,France,bob,no
11,n/a,vp,Spain,ann,yes
12,6,Vice President,Italy,bob,no
";

fn messy(name: &str) -> PathBuf {
    folder(name, &[("model.mql", MODEL), ("leads.csv", LEADS)])
}

const EVAL: &[&str] = &[
    "eval",
    "model.mql",
    "--leads",
    "leads.csv",
    "--as-of",
    "2026-01-01",
    "--format",
    "ndjson",
];

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn errors_are_summarised_per_kind() {
    let dir = messy("errors_are_summarised_per_kind");
    let out = mql(&dir, EVAL);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn quiet_keeps_warnings_counts_and_summary() {
    let dir = messy("quiet_keeps_warnings_counts_and_summary");
    let out = mql(&dir, &with(EVAL, &["--quiet"]));
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn errors_file_has_every_issue_as_ndjson() {
    let dir = messy("errors_file_has_every_issue_as_ndjson");
    let out = mql(&dir, &with(EVAL, &["--errors", "errors.ndjson"]));
    assert_eq!(out.status.code(), Some(0));
    let file = std::fs::read_to_string(dir.join("errors.ndjson")).expect("the errors file");
    let lines: Vec<Value> = file
        .lines()
        .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
        .collect();
    // Nothing lost: every data error the summary counts, and the notes.
    let errors = lines.iter().filter(|l| l["kind"] == "data error").count();
    assert_eq!(errors, 12);
    assert!(text(&out.stderr).contains("data errors: 12"));
    assert_eq!(lines.iter().filter(|l| l["kind"] == "note").count(), 2);
    insta::assert_snapshot!(file);
    // The screen still shows the summarised report.
    assert!(text(&out.stderr).contains("… and 3 more: field `seniority`"));
}

#[test]
fn errors_dash_writes_ndjson_on_standard_error_instead() {
    let dir = messy("errors_dash_writes_ndjson_on_standard_error_instead");
    let out = mql(&dir, &with(EVAL, &["--errors", "-"]));
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    let mut lines: Vec<&str> = stderr.lines().collect();
    let summary = lines.pop().expect("a summary line");
    assert!(
        summary.starts_with("leads read: 11, data errors: 12"),
        "{summary}"
    );
    assert_eq!(lines.len(), 14, "12 errors and 2 notes:\n{stderr}");
    for l in lines {
        let v: Value = serde_json::from_str(l).expect("an NDJSON line");
        assert!(v["reason"].is_string());
    }
    assert!(!stderr.contains("more:"));
}

#[test]
fn strict_fails_with_exit_2_whichever_way_errors_are_shown() {
    let dir = messy("strict_fails_with_exit_2_whichever_way_errors_are_shown");
    for extra in [
        &["--quiet"][..],
        &["--errors", "-"],
        &["--errors", "e.ndjson"],
        &[],
    ] {
        let args = with(&with(EVAL, &["--strict"]), extra);
        assert_eq!(mql(&dir, &args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn an_errors_file_that_cannot_be_written_is_a_usage_error() {
    let dir = messy("an_errors_file_that_cannot_be_written_is_a_usage_error");
    let out = mql(&dir, &with(EVAL, &["--errors", "no/such/folder/e.ndjson"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write the errors file `no/such/folder/e.ndjson`"));
}

#[test]
fn every_verb_that_reads_leads_takes_the_options() {
    let dir = messy("every_verb_that_reads_leads_takes_the_options");
    std::fs::write(dir.join("new.mql"), MODEL.replace("+20", "+25")).expect("write");
    let runs: [&[&str]; 3] = [
        &[
            "explain",
            "model.mql",
            "--leads",
            "leads.csv",
            "--id",
            "2",
            "--as-of",
            "2026-01-01",
        ],
        &[
            "diff",
            "model.mql",
            "new.mql",
            "--leads",
            "leads.csv",
            "--as-of",
            "2026-01-01",
        ],
        &[
            "backtest",
            "model.mql",
            "--leads",
            "leads.csv",
            "--outcome",
            "Won",
            "--as-of",
            "2026-01-01",
        ],
    ];
    for args in runs {
        let out = mql(&dir, &with(args, &["--errors", "e.ndjson", "--quiet"]));
        let file = std::fs::read_to_string(dir.join("e.ndjson")).unwrap_or_default();
        assert!(
            file.lines().any(|l| l.contains("\"data error\"")),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("data error: "),
            "{args:?} --quiet"
        );
    }
}

/// How many leads a run wrote and how many records it skipped, from its
/// results and its `--errors` file: lines that gave no lead are the data
/// errors without a lead.
fn written_and_skipped(dir: &Path, leads: &str) -> (usize, usize) {
    std::fs::write(dir.join("leads.csv"), leads).expect("write");
    let out = mql(dir, &with(EVAL, &["--errors", "e.ndjson"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = text(&out.stdout).lines().filter(|l| !l.is_empty()).count();
    let file = std::fs::read_to_string(dir.join("e.ndjson")).expect("errors file");
    let skipped = file
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["kind"] == "data error" && v.get("lead").is_none())
        .count();
    (written, skipped)
}

#[test]
fn the_counts_add_up_on_the_messy_file() {
    let dir = messy("the_counts_add_up_on_the_messy_file");
    let (written, skipped) = written_and_skipped(&dir, LEADS);
    assert_eq!((written, skipped), (11, 1));
    let out = mql(&dir, EVAL);
    assert!(text(&out.stderr).contains("records read: 12 = 11 leads + 1 skipped as data errors"));
}

/// A row of the generated file: good, with a bad value, or of the wrong width.
fn row() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            0u8..20,
            prop::sample::select(vec!["manager", "vp", "cxo", "Vice President"])
        )
            .prop_map(|(v, s)| format!("{v},{s},France,ann,yes")),
        (
            prop::sample::select(vec!["n/a", "-", "lots", "2,5"]),
            prop::sample::select(vec!["Director", "Intern", "vp"])
        )
            .prop_map(|(v, s)| format!("\"{v}\",{s},Spain,bob,no")),
        Just("1,vp".to_string()),
        Just("1,vp,France,ann,no,extra".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Records read = leads written + records skipped, for any mix of good
    /// rows, bad values and rows of the wrong width.
    #[test]
    fn the_counts_always_add_up(rows in prop::collection::vec(row(), 0..40)) {
        let dir = folder("prop", &[("model.mql", MODEL)]);
        let mut csv = String::from("visits,seniority,country,Owner,Won\n");
        for r in &rows {
            csv.push_str(r);
            csv.push('\n');
        }
        let (written, skipped) = written_and_skipped(&dir, &csv);
        prop_assert_eq!(written + skipped, rows.len());
        let out = mql(&dir, EVAL);
        let stderr = text(&out.stderr);
        let summary = stderr.lines().last().unwrap_or_default();
        let leads_read = format!("leads read: {written},");
        prop_assert!(summary.starts_with(&leads_read), "{}", summary);
    }
}
