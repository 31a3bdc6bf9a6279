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
