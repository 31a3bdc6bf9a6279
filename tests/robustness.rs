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

#[test]
fn what_is_not_a_file_is_refused_with_a_message() {
    let dir = scratch("not-a-file");
    std::fs::write(dir.join("d.mql"), DURATION_MODEL).unwrap();
    std::fs::write(
        dir.join("uses.mql"),
        "lead { a: int }\nuse \"/dev/zero\"\nuse \".\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("leads.ndjson"),
        "{\"id\":\"a\",\"trial\":\"1d\"}\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("folder.mql")).unwrap();
    let device = "`/dev/zero` is a device, not a file; give the path of a file";
    let mut cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["check", "/dev/zero"], 2, device),
        (vec!["fmt", "/dev/zero"], 2, device),
        (vec!["test", "/dev/zero"], 2, device),
        (vec!["compile", "/dev/zero", "--emit", "ast"], 2, device),
        (
            vec!["check", "folder.mql"],
            2,
            "`folder.mql` is a folder, not a file",
        ),
        (
            vec!["check", "uses.mql"],
            1,
            "can't use `/dev/zero`: `/dev/zero` is a device, not a file",
        ),
        (
            vec!["check", "uses.mql"],
            1,
            "can't use `.`: `.` is a folder, not a file",
        ),
        (
            vec![
                "eval",
                "d.mql",
                "--leads",
                "leads.ndjson",
                "--events",
                "/dev/zero",
            ],
            2,
            device,
        ),
    ];
    for format in ["ndjson", "json", "csv"] {
        cases.push((
            vec![
                "eval",
                "d.mql",
                "--leads",
                "/dev/zero",
                "--input-format",
                format,
            ],
            2,
            device,
        ));
    }
    for (args, code, words) in &cases {
        let out = mql_in(&dir, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
}

/// Run `mql` with `input` on its standard input.
fn mql_stdin(dir: &Path, args: &[&str], input: Vec<u8>) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mql runs");
    let mut stdin = child.stdin.take().expect("stdin");
    // mql may stop reading early: a broken pipe is fine
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("mql ends");
    let _ = writer.join();
    out
}

#[test]
fn a_record_longer_than_16_mib_stops_the_read_with_a_message() {
    let dir = scratch("long-record");
    std::fs::write(dir.join("d.mql"), DURATION_MODEL).unwrap();
    let limit = mql_data::MAX_RECORD_BYTES as usize;
    // `/dev/zero` through a pipe: one endless line
    for format in ["ndjson", "csv"] {
        let zeros = vec![0u8; limit + 4096];
        let out = mql_stdin(
            &dir,
            &["eval", "d.mql", "--leads", "-", "--input-format", format],
            zeros,
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains("line 1 of `-` is longer than 16 MiB"),
            "{format}: {stderr}"
        );
    }
    // at the limit: a lead of exactly 16 MiB (line end included) is read
    let head = "{\"id\":\"big\",\"trial\":\"2d\",\"pad\":\"";
    let tail = "\"}\n";
    let record = format!(
        "{head}{}{tail}",
        "x".repeat(limit - head.len() - tail.len())
    );
    assert_eq!(record.len(), limit);
    let leads = format!("{record}{{\"id\":\"after\",\"trial\":\"9d\"}}\n");
    let out = mql_stdin(
        &dir,
        &["eval", "d.mql", "--leads", "-", "--format", "ndjson"],
        leads.into_bytes(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).lines().count(), 2, "{stderr}");
    // one byte more is too long
    let record = format!(
        "{head}{}{tail}",
        "x".repeat(limit + 1 - head.len() - tail.len())
    );
    let out = mql_stdin(
        &dir,
        &["eval", "d.mql", "--leads", "-"],
        record.into_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("line 1 of `-` is longer than 16 MiB"));
    // a CSV row at the limit and one byte past it
    let csv_head = "id,trial,pad\nbig,2d,";
    for (extra, code) in [(0, 0), (1, 2)] {
        let row = "y".repeat(limit + extra - (csv_head.len() - "id,trial,pad\n".len()) - 1);
        let leads = format!("{csv_head}{row}\n");
        let out = mql_stdin(
            &dir,
            &["eval", "d.mql", "--leads", "-", "--input-format", "csv"],
            leads.into_bytes(),
        );
        assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
    }
}

#[test]
fn a_model_file_may_hold_8_mib_and_no_more() {
    let dir = scratch("model-size");
    let limit = mql_core::input::MAX_MODEL_BYTES as usize;
    let head = "lead { a: int }\ncriterion c = a > 1\n// ";
    let at_limit = format!("{head}{}\n", "x".repeat(limit - head.len() - 1));
    assert_eq!(at_limit.len(), limit);
    std::fs::write(dir.join("at.mql"), &at_limit).unwrap();
    std::fs::write(dir.join("past.mql"), format!("{at_limit} ")).unwrap();
    std::fs::write(dir.join("uses.mql"), "use \"past.mql\"\n").unwrap();
    let out = mql_in(&dir, &["check", "at.mql"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = mql_in(&dir, &["check", "past.mql"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(
        "`past.mql` is larger than 8 MiB, the most mql reads of a model file; split the model into files joined with `use`"
    ));
    let out = mql_in(&dir, &["check", "uses.mql"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is larger than 8 MiB"));
    let out = mql_in(&dir, &["fmt", "--check", "past.mql"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_deepest_expressions_accepted_go_through_every_verb() {
    // 4096 operators in one declaration (the `=` counted) and 64 levels of
    // brackets, through the database the CLI (and the editor) check with
    let ops = mql_syntax::MAX_OPERATORS;
    let depth = mql_syntax::MAX_DEPTH;
    let chain = |item: &str, op: &str, n: usize| vec![item; n].join(&format!(" {op} "));
    let model = format!(
        "lead {{ a: int }}\nlet s = {}\nlet p = {}a{} + 1\ncriterion c = {}\ncriterion d = s > 0 and p > 1\n\
         test \"deep\" {{\n  lead {{ a: 2 }}\n  expect {} and d\n}}\n",
        chain("a", "+", ops),
        "(".repeat(depth),
        ")".repeat(depth),
        chain("a > 1", "or", ops / 2),
        chain("c", "and", ops - 1),
    );
    let dir = scratch("deepest");
    std::fs::write(dir.join("deep.mql"), &model).unwrap();
    std::fs::write(dir.join("leads.ndjson"), "{\"id\":\"x\",\"a\":2}\n").unwrap();
    for args in [
        &["check", "deep.mql"][..],
        &["test", "deep.mql"],
        &["fmt", "--check", "deep.mql"],
        &["compile", "deep.mql", "--emit", "bytecode"],
        &["eval", "deep.mql", "--leads", "leads.ndjson"],
        &[
            "explain",
            "deep.mql",
            "--leads",
            "leads.ndjson",
            "--id",
            "x",
        ],
    ] {
        let out = mql_in(&dir, args);
        let stderr = text(&out.stderr);
        assert!(
            out.status.code() == Some(0) || (args[0] == "fmt" && out.status.code() == Some(1)),
            "{args:?}: {stderr}"
        );
    }
    // one operator more
    std::fs::write(
        dir.join("deeper.mql"),
        model.replace("let s = a", "let s = a + a"),
    )
    .unwrap();
    let out = mql_in(&dir, &["check", "deeper.mql"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("at most 4096 operators"));
}

#[test]
fn twenty_thousand_warnings_and_a_cycle_of_twenty_thousand_print_in_linear_time() {
    // Rendering each diagnostic re-read the whole model (20,000 warnings:
    // 30–44 s in a release build), and one diagnostic drew all 20,000
    // labels of a cycle (~20 s). The bounds here are for a debug build on a
    // busy machine; docs/performance.md has release figures.
    let dir = scratch("many-diagnostics");
    let n = 20_000;
    let mut unused = String::from("lead { a: int }\n");
    let mut cycle = String::from("lead { a: int }\n");
    for k in 0..n {
        unused.push_str(&format!("criterion c{k} = a > {k}\n"));
        cycle.push_str(&format!("let v{k} = v{}\n", (k + 1) % n));
    }
    std::fs::write(dir.join("unused.mql"), unused).unwrap();
    std::fs::write(dir.join("cycle.mql"), cycle).unwrap();
    let limit = std::time::Duration::from_secs(60);
    for format in ["text", "json"] {
        let started = std::time::Instant::now();
        let out = mql_in(&dir, &["check", "unused.mql", "--format", format]);
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let shown = if format == "text" {
            text(&out.stderr).matches("warning[W0").count()
        } else {
            text(&out.stdout).lines().count()
        };
        assert_eq!(shown, n, "{format}");
        assert!(took < limit, "{format}: {took:?}");
    }
    let started = std::time::Instant::now();
    let out = mql_in(&dir, &["check", "cycle.mql"]);
    let took = started.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.matches("is part of the cycle").count(), 10);
    assert!(
        stderr.contains("note: 19,989 more places are not shown"),
        "{stderr}"
    );
    assert!(took < limit, "{took:?}");
}

#[test]
fn a_lead_record_of_100000_fields_is_read_in_linear_time_and_counted() {
    // every key of a very wide record is looked at once (unknown keys are
    // summed up in one note, a repeated key is a data error), and every
    // lead is still read and written
    let dir = scratch("wide-record");
    std::fs::write(dir.join("d.mql"), DURATION_MODEL).unwrap();
    let n = 100_000;
    let mut wide = String::from("{\"id\":\"wide\",\"trial\":\"9d\"");
    for k in 0..n {
        wide.push_str(&format!(",\"f{k}\":{k}"));
    }
    wide.push_str(",\"trial\":\"1d\"}\n");
    let leads =
        format!("{{\"id\":\"a\",\"trial\":\"1d\"}}\n{wide}{{\"id\":\"b\",\"trial\":\"8d\"}}\n");
    std::fs::write(dir.join("wide.ndjson"), leads).unwrap();
    let mut header = String::from("id,trial");
    let mut row = String::from("wide,9d");
    for k in 0..n {
        header.push_str(&format!(",f{k}"));
        row.push_str(&format!(",{k}"));
    }
    std::fs::write(
        dir.join("wide.csv"),
        format!("{header}\na,1d{}\n{row}\n", ",".repeat(n)),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = mql_in(
        &dir,
        &[
            "eval",
            "d.mql",
            "--leads",
            "wide.ndjson",
            "--format",
            "ndjson",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).lines().count(), 3, "{stderr}");
    assert!(stderr.contains("leads read: 3, data errors: 1"), "{stderr}");
    assert!(stderr.contains("`trial`"), "{stderr}");
    let out = mql_in(
        &dir,
        &["eval", "d.mql", "--leads", "wide.csv", "--format", "ndjson"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).lines().count(), 2, "{stderr}");
    assert!(stderr.contains("leads read: 2, data errors: 0"), "{stderr}");
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
}

#[test]
fn a_value_nested_10000_deep_in_a_record_is_one_data_error() {
    // arrays inside arrays in a lead record: never a stack overflow; in a
    // declared field it is a value of the wrong kind, elsewhere ignored
    let dir = scratch("nested-value");
    std::fs::write(dir.join("d.mql"), DURATION_MODEL).unwrap();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    std::fs::write(
        dir.join("leads.ndjson"),
        format!(
            "{{\"id\":\"a\",\"trial\":{deep}}}\n{{\"id\":\"b\",\"trial\":\"1d\",\"x\":{deep}}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("leads.json"),
        format!(
            "[{{\"id\":\"a\",\"trial\":{deep}}},{{\"id\":\"b\",\"trial\":\"1d\",\"x\":{deep}}}]"
        ),
    )
    .unwrap();
    for leads in ["leads.ndjson", "leads.json"] {
        let out = mql_in(
            &dir,
            &["eval", "d.mql", "--leads", leads, "--format", "ndjson"],
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{leads}: {stderr}");
        assert_eq!(text(&out.stdout).lines().count(), 2, "{leads}: {stderr}");
        assert!(
            stderr.contains("leads read: 2, data errors: 1"),
            "{leads}: {stderr}"
        );
    }
}

/// A workbook of two leads whose sheet also has a note in `note_at` (row,
/// column), which stretches the sheet's used range to there.
fn workbook_with_a_far_cell(path: &Path, note_at: (u32, u16)) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [["id", "trial"], ["a", "2d"], ["b", "9d"]]
        .iter()
        .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    sheet.write_string(note_at.0, note_at.1, "note").unwrap();
    book.save(path).unwrap();
}

#[test]
fn a_sheet_may_span_20_million_cells_and_no_more() {
    // A tiny workbook with cells at A1 and XFD1048576 once asked for 17
    // billion cells (the sheet's range is held whole).
    let dir = scratch("sheet-cells");
    std::fs::write(dir.join("d.mql"), DURATION_MODEL).unwrap();
    assert_eq!(mql_data::MAX_SHEET_CELLS, 20_000_000);
    workbook_with_a_far_cell(&dir.join("far.xlsx"), (1_048_575, 16_383));
    // 20,000 rows of 1,000 columns: at the limit
    workbook_with_a_far_cell(&dir.join("at.xlsx"), (19_999, 999));
    // one row more
    workbook_with_a_far_cell(&dir.join("past.xlsx"), (20_000, 999));
    let out = mql_in(
        &dir,
        &["eval", "d.mql", "--leads", "at.xlsx", "--format", "ndjson"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).lines().count(), 3, "{stderr}");
    for file in ["far.xlsx", "past.xlsx"] {
        let out = mql_in(&dir, &["eval", "d.mql", "--leads", file]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "`{file}` is a sheet spanning more than 20,000,000 cells (rows × columns), the most mql reads of an Excel workbook; export the sheet as CSV"
            )),
            "{file}: {stderr}"
        );
    }
}

#[test]
fn a_workbook_may_hold_256_mib_and_no_more() {
    let dir = scratch("workbook-size");
    std::fs::write(dir.join("d.mql"), DURATION_MODEL).unwrap();
    let limit = mql_data::MAX_WORKBOOK_BYTES as usize;
    assert_eq!(limit, 256 << 20);
    for (extra, words) in [
        (0, "`-` cannot be read as an Excel workbook"),
        (
            1,
            "`-` is larger than 256 MiB, the most mql reads of an Excel workbook",
        ),
    ] {
        let out = mql_stdin(
            &dir,
            &["eval", "d.mql", "--leads", "-", "--input-format", "xlsx"],
            vec![0u8; limit + extra],
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
    }
}
