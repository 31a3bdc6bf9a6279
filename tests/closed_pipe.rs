//! `mql … | head` closes the pipe before mql is done writing: every verb must
//! then end quietly, never with a panic (exit 101 and a stack trace).

use std::process::{Command, Stdio};

fn ends_quietly(args: &[&str]) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mql starts");
    // Close the reading end before mql writes anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("mql ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && out.status.code() != Some(101),
        "`mql {}` panicked on a closed pipe ({:?}):\n{stderr}",
        args.join(" "),
        out.status
    );
}

#[test]
fn every_verb_ends_quietly_when_its_reader_goes_away() {
    let model = "examples/b2b_saas/acme.mql";
    let leads = "examples/b2b_saas/leads.ndjson";
    let at = "2026-11-01";
    ends_quietly(&["check", model]);
    ends_quietly(&["fmt", model]);
    ends_quietly(&["test", model]);
    ends_quietly(&["compile", "--emit", "bytecode", model]);
    ends_quietly(&["completions", "bash"]);
    ends_quietly(&["--help"]);
    for format in ["ndjson", "csv", "table", "json"] {
        ends_quietly(&[
            "eval", model, "--leads", leads, "--as-of", at, "--format", format,
        ]);
    }
    ends_quietly(&[
        "explain",
        model,
        "--leads",
        leads,
        "--as-of",
        at,
        "--id",
        "ACME-0001",
    ]);
    ends_quietly(&["diff", model, model, "--leads", leads, "--as-of", at]);
}
