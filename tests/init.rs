//! `mql init --from` (cli-and-data.md v1.1, "Drafting a schema from an
//! export"): the draft of a messy export, and on every data file of the
//! examples and the shared Olist export, a draft that checks and reads its
//! own export with no data error, warning or note.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("init-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    dir
}

/// A small export as CRMs write them: headers in words, picklist labels,
/// "Select" and "N/A" placeholders, a number column with a placeholder.
const EXPORT: &str = "\
Lead Number,Lead Origin,What is your current occupation,TotalVisits,Do Not Email,Last Activity Date,Score,Specialization
101,API,Unemployed,5,No,2024-01-02,1.5,Select
102,Landing Page Submission,Working Professional,N/A,No,2024-01-03,2,Finance Management
103,API,Unemployed,2,Yes,2024-01-04 10:00:00,3.25,Select
104,API,Student,0,No,2024-01-05,0,N/A
105,Landing Page Submission,Unemployed,12,No,2024-01-06,7,Finance Management
106,Lead Add Form,Working Professional,3,No,2024-01-07,1,Human Resource Management
";

#[test]
fn a_messy_export_drafts_a_model_that_reads_it_cleanly() {
    let dir = folder("messy");
    std::fs::write(dir.join("export.csv"), EXPORT).expect("write");
    let out = mql(
        &dir,
        &[
            "init",
            "--from",
            "export.csv",
            "--id-field",
            "Lead Number",
            "-o",
            "draft.mql",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let model = std::fs::read_to_string(dir.join("draft.mql")).expect("the draft");
    insta::assert_snapshot!("init_messy_model", model);
    insta::assert_snapshot!("init_messy_guesses", text(&out.stderr));
    let check = mql(&dir, &["check", "draft.mql"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    assert!(text(&check.stderr).contains("0 error(s), 0 warning(s)"));
    let eval = mql(
        &dir,
        &[
            "eval",
            "draft.mql",
            "--leads",
            "export.csv",
            "--id-field",
            "Lead Number",
            "--strict",
            "--errors",
            "issues.ndjson",
            "--as-of",
            "2024-02-01",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(eval.status.code(), Some(0), "{}", text(&eval.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("issues.ndjson")).unwrap(),
        ""
    );
    assert_eq!(text(&eval.stdout).lines().count(), 6);
}

#[test]
fn an_existing_file_is_never_overwritten() {
    let dir = folder("existing");
    std::fs::write(dir.join("export.csv"), EXPORT).expect("write");
    std::fs::write(dir.join("draft.mql"), "model mine\n").expect("write");
    let out = mql(&dir, &["init", "--from", "export.csv", "-o", "draft.mql"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`draft.mql` already exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("draft.mql")).unwrap(),
        "model mine\n"
    );
}

#[test]
fn an_unreadable_export_is_exit_2() {
    let dir = folder("unreadable");
    let out = mql(&dir, &["init", "--from", "nothing.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nothing.csv"));
}

/// Every data file of the examples and the shared Olist export: the draft
/// checks without errors and reads its own export with no data error, no
/// warning and no note (the events file with the leads it belongs to).
#[test]
fn every_example_export_drafts_a_model_that_reads_it_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = folder("examples");
    let olist = root.join("../shared/data/olist");
    let mut exports: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for example in std::fs::read_dir(root.join("examples")).expect("examples") {
        let example = example.expect("an example").path();
        let events = ["events.csv", "events.ndjson"]
            .iter()
            .map(|f| example.join(f))
            .find(|p| p.exists());
        for file in std::fs::read_dir(&example).expect("an example folder") {
            let file = file.expect("a file").path();
            let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !["csv", "ndjson", "json", "xlsx"].contains(&ext) || name.starts_with("events") {
                continue;
            }
            exports.push((
                file.clone(),
                events.clone().filter(|_| name.starts_with("leads")),
            ));
        }
    }
    for file in std::fs::read_dir(&olist).expect("the shared Olist export") {
        let file = file.expect("a file").path();
        if file.extension().is_some_and(|e| e == "csv") {
            exports.push((file, None));
        }
    }
    assert!(exports.len() >= 8, "{exports:?}");
    for (k, (export, events)) in exports.iter().enumerate() {
        let model = dir.join(format!("draft{k}.mql"));
        let issues = dir.join(format!("issues{k}.ndjson"));
        let export_s = export.to_str().unwrap();
        let model_s = model.to_str().unwrap();
        let mut init = vec!["init", "--from", export_s, "-o", model_s];
        let mut eval = vec![
            "eval",
            model_s,
            "--leads",
            export_s,
            "--as-of",
            "2026-01-01",
            "--strict",
            "--format",
            "ndjson",
            "--errors",
            issues.to_str().unwrap(),
        ];
        if let Some(ev) = events {
            init.extend(["--events", ev.to_str().unwrap()]);
            eval.extend(["--events", ev.to_str().unwrap()]);
        }
        // Leads keyed by a column of another name than `id`, as their
        // examples run them.
        let id = if export.ends_with("tutorial/leads.csv") {
            Some("Lead ID")
        } else if export.ends_with("ecommerce/leads.csv") {
            Some("Customer ID")
        } else {
            None
        };
        if let Some(id) = id {
            init.extend(["--id-field", id]);
            eval.extend(["--id-field", id]);
        }
        let out = mql(root, &init);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{export:?}: {}",
            text(&out.stderr)
        );
        let check = mql(root, &["check", model_s]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "{export:?}: {}",
            text(&check.stderr)
        );
        let out = mql(root, &eval);
        let found = std::fs::read_to_string(&issues).unwrap_or_default();
        assert_eq!(
            (out.status.code(), found.as_str()),
            (Some(0), ""),
            "{export:?} read by its draft:\n{}\n{}",
            std::fs::read_to_string(&model).unwrap_or_default(),
            text(&out.stderr).chars().take(3000).collect::<String>()
        );
    }
}

/// `examples/olist/drafted/draft.mql` is what `mql init` writes for the Olist
/// export, as it writes it (the reviewed model next to it starts from it),
/// and a draft is already in the layout `mql fmt` writes.
#[test]
fn the_olist_example_draft_is_what_init_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = mql(
        root,
        &[
            "init",
            "--from",
            "examples/olist/leads.csv",
            "--id-field",
            "MQL Id",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let kept = std::fs::read_to_string(root.join("examples/olist/drafted/draft.mql")).unwrap();
    assert_eq!(text(&out.stdout), kept);
    let fmt = mql(
        root,
        &["fmt", "--check", "examples/olist/drafted/draft.mql"],
    );
    assert_eq!(fmt.status.code(), Some(0), "{}", text(&fmt.stderr));
}

#[test]
fn a_column_that_looks_like_the_id_is_pointed_out() {
    let dir = folder("id-guess");
    std::fs::write(dir.join("export.csv"), EXPORT).expect("write");
    let out = mql(&dir, &["init", "--from", "export.csv"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !text(&out.stderr).contains("different value on every row"),
        "`Lead Number` is no id-like name"
    );
    let renamed = EXPORT.replacen("Lead Number", "Lead Id", 1);
    std::fs::write(dir.join("export.csv"), renamed).expect("write");
    let out = mql(&dir, &["init", "--from", "export.csv"]);
    assert!(
        text(&out.stderr).contains(
            "column \"Lead Id\" has a different value on every row: if it is the lead's id, draft and run with `--id-field \"Lead Id\"`"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// The guess follows every row, not only the first thousand values kept
/// for the comments: a repeat far down the file still rules a column out.
#[test]
fn an_id_column_is_pointed_out_in_a_large_export() {
    let dir = folder("id-guess-large");
    let rows = |repeat_at: Option<usize>| {
        let mut csv = String::from("mql_id,origin\n");
        for i in 0..5_000 {
            let id = if Some(i) == repeat_at { 17 } else { i };
            csv.push_str(&format!("m{id:05},{}\n", ["social", "email"][i % 2]));
        }
        csv
    };
    std::fs::write(dir.join("export.csv"), rows(None)).expect("write");
    let out = mql(&dir, &["init", "--from", "export.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "column \"mql_id\" has a different value on every row: if it is the lead's id, draft and run with `--id-field \"mql_id\"`"
        ),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.join("export.csv"), rows(Some(4_321))).expect("write");
    let out = mql(&dir, &["init", "--from", "export.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("different value on every row"),
        "{}",
        text(&out.stderr)
    );
}

/// A workbook (generated here) with typed cells: numbers, a date, a bool
/// and text with placeholders; the draft reads it with no data error.
#[test]
fn a_workbook_drafts_a_model_that_reads_it_cleanly() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = folder("workbook");
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let sheet = book.add_worksheet().set_name("Leads").unwrap();
    for (c, h) in [
        "Lead ID",
        "Total Visits",
        "Seniority",
        "Signed Up",
        "Opted In",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let seniorities = [
        "Vice President",
        "Select",
        "Manager",
        "Vice President",
        "Manager",
        "N/A",
    ];
    for r in 1..=6u32 {
        sheet.write_string(r, 0, format!("W-{r}")).unwrap();
        if r == 2 {
            sheet.write_string(r, 1, "N/A").unwrap();
        } else {
            sheet.write_number(r, 1, f64::from(r * 3)).unwrap();
        }
        sheet
            .write_string(r, 2, seniorities[r as usize - 1])
            .unwrap();
        let day = ExcelDateTime::from_ymd(2026, 5, r as u8).unwrap();
        sheet.write_datetime_with_format(r, 3, &day, &date).unwrap();
        sheet.write_boolean(r, 4, r % 2 == 0).unwrap();
    }
    book.save(dir.join("export.xlsx"))
        .expect("the workbook is written");
    let out = mql(
        &dir,
        &[
            "init",
            "--from",
            "export.xlsx",
            "--id-field",
            "Lead ID",
            "-o",
            "draft.mql",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let model = std::fs::read_to_string(dir.join("draft.mql")).unwrap();
    for line in [
        "missing \"N/A\"",
        "total_visits: int from \"Total Visits\"",
        "seniority: enum { manager, vice_president } from \"Seniority\" missing \"Select\"",
        "signed_up: time from \"Signed Up\"",
        "opted_in: bool from \"Opted In\"",
    ] {
        assert!(model.contains(line), "no `{line}` in\n{model}");
    }
    let eval = mql(
        &dir,
        &[
            "eval",
            "draft.mql",
            "--leads",
            "export.xlsx",
            "--id-field",
            "Lead ID",
            "--strict",
            "--errors",
            "issues.ndjson",
            "--as-of",
            "2026-06-01",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(eval.status.code(), Some(0), "{}", text(&eval.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("issues.ndjson")).unwrap(),
        ""
    );
}

/// Drafting reads through the same bounds as every reader: only regular
/// files, records up to 16 MiB, and at most 10,000 columns or keys; each is
/// refused with a message (exit 2), never an endless read.
#[test]
fn drafting_reads_within_the_limits_of_every_reader() {
    let dir = folder("limits");
    let out = mql(&dir, &["init", "--from", "/dev/zero", "-o", "zero.mql"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not a file"),
        "{}",
        text(&out.stderr)
    );

    let long = format!("{{\"id\":\"a\",\"note\":\"{}\"}}\n", "x".repeat(17 << 20));
    std::fs::write(dir.join("long.ndjson"), long).expect("write");
    let out = mql(&dir, &["init", "--from", "long.ndjson", "-o", "long.mql"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("16 MiB"),
        "{}",
        text(&out.stderr)
    );

    let header: Vec<String> = (0..10_001).map(|i| format!("c{i}")).collect();
    let wide = format!("{}\n{}\n", header.join(","), vec!["1"; 10_001].join(","));
    std::fs::write(dir.join("wide.csv"), wide).expect("write");
    let out = mql(&dir, &["init", "--from", "wide.csv", "-o", "wide.mql"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // said once (the cause is not repeated as the error's source)
    assert_eq!(
        text(&out.stderr)
            .matches("more than 10000 different columns")
            .count(),
        1,
        "{}",
        text(&out.stderr)
    );

    // Events that name a type each: counting stops at 1,000 types.
    std::fs::write(dir.join("one.csv"), "id,email\n1,a@b.c\n").expect("write");
    let mut many = String::from("lead_id,type,at\n");
    for i in 0..200_000 {
        many.push_str(&format!("1,happened {i},2026-01-01T00:00:00Z\n"));
    }
    std::fs::write(dir.join("types.csv"), many).expect("write");
    let out = mql(
        &dir,
        &[
            "init",
            "--from",
            "one.csv",
            "--events",
            "types.csv",
            "-o",
            "types.mql",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim_end(),
        "error: `types.csv` has more than 1000 different event types; a draft is made from at most 1000: is `type` the column that says what happened (a page view, a form)? Draft from an export of fewer event types"
    );
    assert!(!dir.join("types.mql").exists());

    // Events nested in the leads, one type with a new key in each event.
    let nested: Vec<String> = (0..10_001)
        .map(|i| format!("{{\"type\":\"visit\",\"at\":\"2026-01-01\",\"k{i}\":1}}"))
        .collect();
    std::fs::write(
        dir.join("nested.ndjson"),
        format!("{{\"id\":1,\"events\":[{}]}}\n", nested.join(",")),
    )
    .expect("write");
    let out = mql(
        &dir,
        &["init", "--from", "nested.ndjson", "-o", "nested.mql"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "`nested.ndjson` has more than 10000 different keys in the events of one type"
        ),
        "{}",
        text(&out.stderr)
    );

    // Many keys, each new, cost what they hold: 10,000 keys in one record.
    let keys: Vec<String> = (0..10_000).map(|i| format!("\"k{i}\":{i}")).collect();
    std::fs::write(dir.join("keys.ndjson"), format!("{{{}}}\n", keys.join(","))).expect("write");
    let out = mql(&dir, &["init", "--from", "keys.ndjson", "-o", "keys.mql"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
