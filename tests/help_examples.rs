//! Every verb's `--help` ends with real examples, and they run: each example
//! line is run from the repository's root and must succeed. And `mql
//! completions` prints a script for each shell it names.

use std::process::{Command, Output};

fn mql(args: &[String]) -> Output {
    mql_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn mql_in(dir: &std::path::Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("mql runs")
}

/// Split a command line at spaces outside double quotes.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

const VERBS: [&str; 10] = [
    "check",
    "fmt",
    "eval",
    "explain",
    "test",
    "diff",
    "backtest",
    "compile",
    "completions",
    "lsp",
];

#[test]
fn every_verb_ends_its_help_with_examples_that_run() {
    let mut ran = 0;
    // `fmt` rewrites files: its examples run on copies.
    let copies = std::env::temp_dir().join(format!("mql-help-examples-{}", std::process::id()));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["examples/b2b_saas"] {
        std::fs::create_dir_all(copies.join(dir)).unwrap();
        for file in std::fs::read_dir(root.join(dir)).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "mql") {
                std::fs::copy(&file, copies.join(dir).join(file.file_name().unwrap())).unwrap();
            }
        }
    }
    for verb in VERBS {
        let out = mql(&[verb.to_string(), "--help".to_string()]);
        assert_eq!(out.status.code(), Some(0), "{verb}");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        let (_, examples) = help
            .split_once("\nExamples:\n")
            .unwrap_or_else(|| panic!("`mql {verb} --help` has no examples:\n{help}"));
        let lines: Vec<&str> = examples.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            (1..=2).contains(&lines.len()),
            "`mql {verb} --help`: one or two examples, found {lines:?}"
        );
        for line in lines {
            let line = line.trim();
            assert!(line.starts_with(&format!("mql {verb}")), "{line}");
            // The language server waits for an editor: not run here.
            if verb == "lsp" {
                continue;
            }
            let args: Vec<String> = words(line).into_iter().skip(1).collect();
            let out = if verb == "fmt" {
                mql_in(&copies, &args)
            } else {
                mql(&args)
            };
            // `fmt --check` says so (exit 1) when a file would change.
            let ok: &[i32] = if args.contains(&"--check".to_string()) {
                &[0, 1]
            } else {
                &[0]
            };
            assert!(
                out.status.code().is_some_and(|c| ok.contains(&c)),
                "`{line}` failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // A clean check or format prints nothing to standard output.
            assert!(
                !out.stdout.is_empty() || ["check", "fmt"].contains(&verb),
                "`{line}` printed nothing"
            );
            ran += 1;
        }
    }
    // After the plain `fmt` example, the file is formatted.
    let check = mql_in(
        &copies,
        &["fmt", "--check", "examples/b2b_saas/acme.mql"].map(String::from),
    );
    assert_eq!(check.status.code(), Some(0));
    std::fs::remove_dir_all(&copies).ok();
    assert!(ran >= 14, "only {ran} examples ran");
}

#[test]
fn completions_for_each_shell_name_every_verb() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = mql(&["completions".to_string(), shell.to_string()]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for verb in VERBS {
            assert!(script.contains(verb), "{shell} script lacks `{verb}`");
        }
        // Options too (fish writes them without their dashes).
        assert!(
            script.contains("outcome") && script.contains("sweep"),
            "{shell}"
        );
    }
    // A shell that is not offered is a usage error naming those that are.
    let out = mql(&["completions".to_string(), "tcsh".to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bash, zsh, fish, powershell"), "{stderr}");
    // The bash script is valid bash, when bash is there to say so.
    let script = mql(&["completions".to_string(), "bash".to_string()]).stdout;
    let file = std::env::temp_dir().join(format!("mql-completion-{}.bash", std::process::id()));
    std::fs::write(&file, script).unwrap();
    if let Ok(out) = Command::new("bash").arg("-n").arg(&file).output() {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::remove_file(&file).ok();
}
