//! End-to-end tests of the `mql` command: exit codes, and what a user sees on
//! standard output and standard error, snapshotted.

use std::path::Path;
use std::process::{Command, Output};

fn mql(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("mql runs")
}

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
