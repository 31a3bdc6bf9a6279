//! The `mql` command on hostile inputs: what a fuzzing campaign found (issue
//! 10). Each verb must answer with a message and an exit code, never a crash
//! (exit 101), a hang or memory without bound.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mql_in(dir: &Path, args: &[&str]) -> Output {
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

/// A fresh folder under the target directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("robustness-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn a_diagnostic_past_column_65535_is_printed_not_a_crash() {
    let dir = scratch("long-line");
    let long = "x".repeat(65_600);
    std::fs::write(
        dir.join("m.mql"),
        format!("lead {{ a: int }}\nconst s = \"{long}\" + nope\n"),
    )
    .unwrap();
    // a syntax error that far right, for `fmt`
    std::fs::write(
        dir.join("broken.mql"),
        format!("lead {{ a: int }}\nconst s = \"{long}\" + )\n"),
    )
    .unwrap();
    std::fs::write(dir.join("leads.ndjson"), "{\"id\":\"a\",\"a\":1}\n").unwrap();
    for args in [
        &["check", "m.mql"][..],
        &["test", "m.mql"],
        &["eval", "m.mql", "--leads", "leads.ndjson"],
        &["compile", "m.mql", "--emit", "bytecode"],
        &["fmt", "--check", "broken.mql"],
    ] {
        let out = mql_in(&dir, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        // the line is cut to a window around the mistake
        assert!(stderr.contains("…x"), "{args:?}: {stderr}");
        assert!(stderr.lines().all(|l| l.chars().count() < 300), "{args:?}");
    }
}

/// A model with a `duration` field on the lead and on an event.
const DURATION_MODEL: &str = "lead { trial: duration, won: bool }\n\
event call { length: duration }\n\
criterion long_trial = trial > 7d\n\
score talk {\n  each call where length > 1h => +5\n}\n\
stages lead, mql\n\
transition lead -> mql when long_trial\n";

#[test]
fn a_duration_ending_in_a_non_ascii_character_is_one_data_error() {
    let dir = scratch("duration");
    std::fs::write(dir.join("m.mql"), DURATION_MODEL).unwrap();
    std::fs::write(
        dir.join("leads.ndjson"),
        "{\"id\":\"a\",\"trial\":\"10d\",\"won\":true}\n{\"id\":\"b\",\"trial\":\"é\",\"won\":false}\n{\"id\":\"c\",\"trial\":\"3dé\",\"won\":true}\n{\"id\":\"d\",\"trial\":\"1d\",\"won\":false}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("leads.json"),
        "[{\"id\":\"a\",\"trial\":\"10d\",\"won\":true},{\"id\":\"b\",\"trial\":\"é\",\"won\":false},{\"id\":\"c\",\"trial\":\"3dé\",\"won\":true},{\"id\":\"d\",\"trial\":\"1d\",\"won\":false}]",
    )
    .unwrap();
    std::fs::write(
        dir.join("leads.csv"),
        "id,trial,won\na,10d,yes\nb,é,no\nc,3dé,yes\nd,1d,no\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("events.csv"),
        "lead_id,type,at,length\na,call,2026-01-01,2h\nb,call,2026-01-02,ü\nd,call,2026-01-03,30m\n",
    )
    .unwrap();
    let as_of = ["--as-of", "2026-02-01"];
    for leads in ["leads.ndjson", "leads.json", "leads.csv"] {
        for events in [None, Some("events.csv")] {
            let mut args = vec!["eval", "m.mql", "--leads", leads, "--format", "ndjson"];
            args.extend(as_of);
            if let Some(e) = events {
                args.extend(["--events", e]);
            }
            let out = mql_in(&dir, &args);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            // every lead is written, the bad ones without that value
            assert_eq!(stdout.lines().count(), 4, "{args:?}: {stdout}");
            let errors = if events.is_some() { 3 } else { 2 };
            assert!(
                stderr.contains(&format!("data errors: {errors}")),
                "{args:?}: {stderr}"
            );
            assert!(stderr.contains("found \"é\""), "{args:?}: {stderr}");
        }
    }
    let out = mql_in(
        &dir,
        &[
            "explain",
            "m.mql",
            "--leads",
            "leads.csv",
            "--events",
            "events.csv",
            "--id",
            "b",
            "--as-of",
            "2026-02-01",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("lead b evaluated"));
    assert!(text(&out.stderr).contains("found \"ü\""));
    let out = mql_in(
        &dir,
        &[
            "diff",
            "m.mql",
            "m.mql",
            "--leads",
            "leads.csv",
            "--as-of",
            "2026-02-01",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("compared 4 leads"),
        "{}",
        text(&out.stdout)
    );
    let out = mql_in(
        &dir,
        &[
            "backtest",
            "m.mql",
            "--leads",
            "leads.ndjson",
            "--outcome",
            "won",
            "--as-of",
            "2026-02-01",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("4 leads with a known outcome"));
}
