//! Raw CRM exports end to end (language.md §3.1, cli-and-data.md v1.1):
//! what a user sees when a model reads an export with `from`, labels and
//! `missing`, when a declared field is filled by nothing, and when the leads
//! come in an Excel workbook (generated here, never committed as a blob).

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

/// A fresh folder for one test, with `files` written into it.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mql-crm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    for (file, body) in files {
        std::fs::write(dir.join(file), body).expect("write a file");
    }
    dir
}

const MODEL: &str = r#"model crm_export

lead {
  missing "Select", "N/A"
  total_visits: int
  seniority: enum { manager, vp "Vice President" "VP", cxo "C-Level" }
  city: string missing "Other Cities"
}

criterion senior = seniority in [vp, cxo]

score fit {
  senior              => +20
  total_visits >= 5   => +10
}

stages lead "Lead", mql "Marketing Qualified Lead"
transition lead -> mql when fit >= 30

test "placeholders and labels do not touch test literals" {
  lead { total_visits: 6, seniority: vp, city: "N/A" }
  expect known(city)
  expect city == "N/A"
  expect stage == mql
}
"#;

#[test]
fn an_unfilled_field_is_a_warning_that_fails_a_strict_run() {
    let dir = folder(
        "strict",
        &[
            ("model.mql", MODEL),
            (
                "leads.csv",
                "id,TotalVisits,Seniority,City,Stage\nL1,7,Vice President,Paris,Lead\nL2,select,C-level,Other Cities,Marketing Qualified Lead\n",
            ),
        ],
    );
    let args = [
        "eval",
        "model.mql",
        "--leads",
        "leads.csv",
        "--as-of",
        "2026-06-01",
        "--format",
        "ndjson",
    ];
    let out = mql(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stderr), @r#"
    note: leads.csv:1:2: column `TotalVisits` is not declared by the model and is ignored
    warning: field `total_visits` is not filled by any column of leads.csv; the column `TotalVisits` looks like it: write `total_visits: int from "TotalVisits"`
    leads read: 2, data errors: 0, stages: lead 1, mql 1
    "#);
    let strict = mql(&dir, &[&args[..], &["--strict"]].concat());
    assert_eq!(strict.status.code(), Some(2), "a warning fails --strict");
    assert_eq!(
        strict.stdout, out.stdout,
        "the results are written all the same"
    );
    // With the fix the warning gives, the run is clean and strict passes.
    std::fs::write(
        dir.join("model.mql"),
        MODEL.replace(
            "total_visits: int",
            "total_visits: int from \"TotalVisits\"",
        ),
    )
    .unwrap();
    let fixed = mql(&dir, &[&args[..], &["--strict"]].concat());
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stderr));
    // L1: 7 visits and "Vice President" -> 30 points, from the stage labelled
    // "Lead" to mql. L2: "select" is a placeholder (no error), "C-level" is
    // cxo -> 20 points, starting in the stage labelled "Marketing Qualified Lead".
    insta::assert_snapshot!(text(&fixed.stdout), @r#"
    {"id": "L1", "stage": "mql", "from_stage": "lead", "path": [{"from": "lead", "to": "mql", "line": 18}], "scores": {"fit": 30.0}, "tiers": {}, "segments": []}
    {"id": "L2", "stage": "mql", "from_stage": "mql", "path": [], "scores": {"fit": 20.0}, "tiers": {}, "segments": []}
    "#);
    assert_eq!(
        text(&fixed.stderr),
        "leads read: 2, data errors: 0, stages: lead 0, mql 2\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn test_literals_are_untouched_by_placeholders_and_labels() {
    let dir = folder("literals", &[("model.mql", MODEL)]);
    let out = mql(&dir, &["test", "model.mql"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn explain_tells_why_a_field_is_unknown_for_every_lead() {
    let dir = folder(
        "explain",
        &[
            ("model.mql", MODEL),
            ("leads.csv", "id,Total Visit,seniority,city\na,3,VP,\n"),
        ],
    );
    let out = mql(
        &dir,
        &[
            "explain",
            "model.mql",
            "--leads",
            "leads.csv",
            "--id",
            "a",
            "--as-of",
            "2026-06-01",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: field `total_visits` is not filled by any column of leads.csv; the column `Total Visit` looks like it: write `total_visits: int from \"Total Visit\"`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// An export as a user gets it from a CRM: a workbook with a `Leads` and an
/// `Events` sheet, typed cells, labels and placeholders.
fn export_workbook(path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let leads = book.add_worksheet().set_name("Leads").unwrap();
    for (c, h) in ["Lead ID", "Total Visits", "Seniority", "City", "Stage"]
        .iter()
        .enumerate()
    {
        leads.write_string(0, c as u16, *h).unwrap();
    }
    let rows: [(f64, Option<f64>, &str, &str); 3] = [
        (1.0, Some(9.0), "Vice President", "Paris"),
        (2.0, None, "Select", "Other Cities"),
        (3.0, Some(2.0), "C-Level", "N/A"),
    ];
    for (r, (id, visits, seniority, city)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        leads.write_number(r, 0, *id).unwrap();
        match visits {
            Some(v) => leads.write_number(r, 1, *v).unwrap(),
            None => leads.write_string(r, 1, "N/A").unwrap(),
        };
        leads.write_string(r, 2, *seniority).unwrap();
        leads.write_string(r, 3, *city).unwrap();
        leads.write_string(r, 4, "Lead").unwrap();
    }
    let events = book.add_worksheet().set_name("Events").unwrap();
    for (c, h) in ["lead_id", "type", "at", "Form Name"].iter().enumerate() {
        events.write_string(0, c as u16, *h).unwrap();
    }
    let day = ExcelDateTime::from_ymd(2026, 5, 30).unwrap();
    events.write_number(1, 0, 3.0).unwrap();
    events.write_string(1, 1, "form_submit").unwrap();
    events
        .write_datetime_with_format(1, 2, &day, &date)
        .unwrap();
    events.write_string(1, 3, "Demo Request").unwrap();
    book.save(path).expect("the workbook is written");
}

const WORKBOOK_MODEL: &str = r#"model workbook
lead {
  missing "Select", "N/A"
  total_visits: int from "Total Visits"
  seniority: enum { manager, vp "Vice President", cxo "C-Level" }
  city: string missing "Other Cities"
}
event form_submit { form: string from "Form Name" }
criterion senior = seniority in [vp, cxo]
criterion local = known(city)
score fit {
  senior                                    => +20
  total_visits >= 5                         => +10
  latest form_submit where form == "Demo Request" => +15
}
stages lead "Lead", mql
transition lead -> mql when fit >= 30
"#;

#[test]
fn an_excel_workbook_with_its_events_sheet() {
    let dir = folder("xlsx", &[("model.mql", WORKBOOK_MODEL)]);
    export_workbook(&dir.join("crm.xlsx"));
    let out = mql(
        &dir,
        &[
            "eval",
            "model.mql",
            "--leads",
            "crm.xlsx",
            "--sheet",
            "Leads",
            "--events",
            "crm.xlsx",
            "--events-sheet",
            "Events",
            "--id-field",
            "Lead ID",
            "--as-of",
            "2026-06-01",
            "--format",
            "ndjson",
            "--explain",
            "--strict",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // 1: 9 visits, "Vice President" -> 30 -> mql. 2: placeholders everywhere
    // -> 0. 3: "C-Level" and the demo form -> 35 -> mql; its city "N/A" is
    // unknown.
    insta::assert_snapshot!(text(&out.stdout), @r#"
    {"id": "1", "stage": "mql", "from_stage": "lead", "path": [{"from": "lead", "to": "mql", "line": 17}], "scores": {"fit": 30.0}, "tiers": {}, "segments": [], "criteria": {"senior": true, "local": true}, "contributions": {"fit": [{"line": 12, "text": "senior => +20", "points": 20.0}, {"line": 13, "text": "total_visits >= 5 => +10", "points": 10.0}, {"line": 14, "text": "latest form_submit where form == \"Demo Request\" => +15", "points": 0.0}]}}
    {"id": "2", "stage": "lead", "from_stage": "lead", "path": [], "scores": {"fit": 0.0}, "tiers": {}, "segments": [], "criteria": {"senior": null, "local": false}, "contributions": {"fit": [{"line": 12, "text": "senior => +20", "points": 0.0}, {"line": 13, "text": "total_visits >= 5 => +10", "points": 0.0}, {"line": 14, "text": "latest form_submit where form == \"Demo Request\" => +15", "points": 0.0}]}}
    {"id": "3", "stage": "mql", "from_stage": "lead", "path": [{"from": "lead", "to": "mql", "line": 17}], "scores": {"fit": 35.0}, "tiers": {}, "segments": [], "criteria": {"senior": true, "local": false}, "contributions": {"fit": [{"line": 12, "text": "senior => +20", "points": 20.0}, {"line": 13, "text": "total_visits >= 5 => +10", "points": 0.0}, {"line": 14, "text": "latest form_submit where form == \"Demo Request\" => +15", "points": 15.0}]}}
    "#);
    assert_eq!(
        text(&out.stderr),
        "leads read: 3, data errors: 0, stages: lead 1, mql 2\n"
    );

    // The same workbook under another name, told by --input-format.
    std::fs::copy(dir.join("crm.xlsx"), dir.join("crm.export")).unwrap();
    let renamed = mql(
        &dir,
        &[
            "eval",
            "model.mql",
            "--leads",
            "crm.export",
            "--input-format",
            "xlsx",
            "--sheet",
            "leads",
            "--id-field",
            "Lead ID",
            "--as-of",
            "2026-06-01",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(renamed.status.code(), Some(0), "{}", text(&renamed.stderr));
    assert_eq!(text(&renamed.stdout).lines().count(), 3);

    // A sheet that is not there, and a sheet asked of a CSV file: usage errors.
    let missing = mql(
        &dir,
        &[
            "eval",
            "model.mql",
            "--leads",
            "crm.xlsx",
            "--sheet",
            "Contacts",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        text(&missing.stderr),
        "error: `crm.xlsx` has no sheet named `Contacts`; its sheets are `Leads`, `Events`\n"
    );
    std::fs::write(dir.join("leads.csv"), "id\n1\n").unwrap();
    let csv = mql(
        &dir,
        &[
            "eval",
            "model.mql",
            "--leads",
            "leads.csv",
            "--sheet",
            "Leads",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(csv.status.code(), Some(2));
    assert_eq!(
        text(&csv.stderr),
        "error: `--sheet` names a sheet of an Excel workbook, but `leads.csv` is not one (.xlsx)\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn results_go_back_to_the_crm_with_its_labels_and_kept_columns() {
    let dir = folder("write-back", &[("model.mql", WORKBOOK_MODEL)]);
    export_workbook(&dir.join("crm.xlsx"));
    let out = mql(
        &dir,
        &[
            "eval",
            "model.mql",
            "--leads",
            "crm.xlsx",
            "--sheet",
            "Leads",
            "--events",
            "crm.xlsx",
            "--events-sheet",
            "Events",
            "--id-field",
            "Lead ID",
            "--as-of",
            "2026-06-01",
            "--format",
            "csv",
            "--keep",
            "Seniority,total visits,City",
            "--labels",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The id column as the sheet names it; the kept cells as the sheet shows
    // them (labels and placeholders untouched); stages as their first label
    // (`mql` has none).
    insta::assert_snapshot!(text(&out.stdout), @r"
    Lead ID,Seniority,total visits,City,stage,from_stage,stage_changed,fit,segments,error
    1,Vice President,9,Paris,mql,Lead,true,30.0,,
    2,Select,N/A,Other Cities,Lead,Lead,false,0.0,,
    3,C-Level,2,N/A,mql,Lead,true,35.0,,
    ");
    std::fs::remove_dir_all(&dir).ok();
}

const EXPLAINED: &str = r#"model explained
lead {
  missing "Select", "N/A"
  total_visits: int from "TotalVisits"
  seniority: enum { manager, vp "Vice President" "VP", cxo "C-Level" }
  city: string missing "Other Cities"
  interests: list<enum { ai "Artificial Intelligence", cloud }>
}
criterion senior = seniority in [vp, cxo]
criterion local = known(city)
score fit {
  senior            => +20
  total_visits >= 5 => +10
  ai in interests   => +5
}
stages lead "Lead", mql "Marketing Qualified Lead"
transition lead -> mql when fit >= 30 and local
"#;

#[test]
fn explain_shows_labels_and_placeholders_as_the_export_wrote_them() {
    let dir = folder(
        "explain-written",
        &[
            ("model.mql", EXPLAINED),
            (
                "leads.csv",
                "id,TotalVisits,seniority,city,interests,stage\na,N/A,Vice President,Other Cities,Artificial Intelligence; cloud,Marketing Qualified Lead\nc,x,Vice Pres,Select,N/A,Lead\n",
            ),
            (
                "leads.ndjson",
                "{\"id\": \"b\", \"TotalVisits\": \"Select\", \"seniority\": \"VP\", \"city\": \"N/A\", \"interests\": [\"Artificial Intelligence\", \"N/A\"]}\n",
            ),
        ],
    );
    let run = |leads: &str, id: &str| {
        mql(
            &dir,
            &[
                "explain",
                "model.mql",
                "--leads",
                leads,
                "--id",
                id,
                "--as-of",
                "2026-06-01",
            ],
        )
    };
    let explain = |leads: &str, id: &str| {
        let out = run(leads, id);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stderr),
            "",
            "placeholders and labels are no data errors"
        );
        text(&out.stdout)
    };
    insta::assert_snapshot!("explain_written_csv", explain("leads.csv", "a"));
    // JSON: `"VP"` is the value's name, no label; a list's placeholder item
    // is dropped, its label shown.
    insta::assert_snapshot!("explain_written_json", explain("leads.ndjson", "b"));
    // Values that cannot be read, next to placeholders: each says why.
    let out = run("leads.csv", "c");
    let stdout = text(&out.stdout);
    for line in [
        "    seniority = \"Vice Pres\" — not a value of the enum, so unknown\n",
        "    city = \"Select\" — a placeholder, so unknown\n",
        "    condition unknown, because `total_visits` could not be read\n      total_visits = \"x\" — expected a whole number, so unknown\n",
        "    condition unknown, because `interests` holds a placeholder\n      interests = \"N/A\" — a placeholder, so unknown\n",
    ] {
        assert!(stdout.contains(line), "missing:\n{line}\nin:\n{stdout}");
    }
    assert_eq!(
        text(&out.stderr).lines().count(),
        2,
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}
