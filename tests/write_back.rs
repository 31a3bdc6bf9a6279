//! `mql eval` results back into a CRM: the CSV columns of the spec, kept
//! input columns, only the leads whose stage changed, criterion columns, and
//! the refusals that tell the user what to do instead.

mod support;

use std::process::Output;

use support::mql;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ACME: &str = "examples/b2b_saas/acme.mql";
const ACME_LEADS: &str = "examples/b2b_saas/leads.ndjson";

fn shop(extra: &[&str]) -> Output {
    let mut args = vec![
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
    ];
    args.extend(extra);
    mql(&args)
}

#[test]
fn csv_names_the_id_column_as_the_input_does_and_keeps_columns_after_it() {
    let out = shop(&["--format", "csv", "--keep", "Email,Country"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("Customer ID,Email,Country,stage,from_stage,stage_changed,"),
        "{stdout}"
    );
    insta::assert_snapshot!("write_back_shop_csv_keep", stdout);
}

#[test]
fn changed_only_writes_the_leads_that_moved_and_still_counts_them_all() {
    let all = mql(&[
        "eval",
        ACME,
        "--leads",
        ACME_LEADS,
        "--as-of",
        "2026-11-01",
        "--format",
        "csv",
    ]);
    let changed = mql(&[
        "eval",
        ACME,
        "--leads",
        ACME_LEADS,
        "--as-of",
        "2026-11-01",
        "--format",
        "csv",
        "--changed-only",
    ]);
    assert_eq!(changed.status.code(), Some(0), "{}", text(&changed.stderr));
    let all = text(&all.stdout);
    let changed_out = text(&changed.stdout);
    let header = all.lines().next().unwrap();
    let col = header
        .split(',')
        .position(|c| c == "stage_changed")
        .unwrap();
    let moved: Vec<&str> = all
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(col) == Some("true"))
        .collect();
    assert!(!moved.is_empty() && moved.len() < 40);
    let lines: Vec<&str> = changed_out.lines().collect();
    assert_eq!(lines[0], header);
    assert_eq!(&lines[1..], &moved[..]);
    // The summary still counts every lead.
    assert!(
        text(&changed.stderr)
            .contains("leads read: 40, data errors: 4, stages: prospect 4, lead 16,"),
        "{}",
        text(&changed.stderr)
    );
}

#[test]
fn json_results_carry_a_keep_object_with_the_json_values() {
    let out = mql(&[
        "eval",
        ACME,
        "--leads",
        ACME_LEADS,
        "--as-of",
        "2026-11-01",
        "--format",
        "json",
        "--keep",
        "country,tags,budget_confirmed",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v[0]["keep"],
        serde_json::json!({"country": "GB", "tags": ["competitor"], "budget_confirmed": null})
    );
    assert_eq!(v[1]["keep"]["budget_confirmed"], "yes");
    // `keep` comes right after the id.
    let first_line = text(&out.stdout).lines().nth(1).unwrap().to_string();
    assert!(
        first_line.starts_with("{\"id\": \"ACME-0001\", \"keep\": {\"country\": \"GB\""),
        "{first_line}"
    );
}

#[test]
fn explain_adds_a_column_per_criterion_to_csv() {
    let out = mql(&[
        "eval",
        ACME,
        "--leads",
        ACME_LEADS,
        "--as-of",
        "2026-11-01",
        "--format",
        "csv",
        "--explain",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let header = stdout.lines().next().unwrap();
    assert!(
        header.ends_with(",segments,error,criterion_decision_maker,criterion_personal_email,criterion_demo_request,criterion_not_a_buyer"),
        "{header}"
    );
    // ACME-0003's seniority "Vice President" is the label of `vp`: a
    // decision maker.
    let row = stdout
        .lines()
        .find(|l| l.starts_with("ACME-0003,"))
        .unwrap();
    assert!(row.ends_with(",true,false,true,true"), "{row}");
}

#[test]
fn explain_with_a_table_is_refused_with_the_ways_to_see_it() {
    let out = mql(&[
        "eval",
        ACME,
        "--leads",
        ACME_LEADS,
        "--format",
        "table",
        "--explain",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!("write_back_explain_table_refused", text(&out.stderr));
}

#[test]
fn a_kept_column_that_is_not_in_the_data_is_a_usage_error_naming_the_closest() {
    let out = shop(&["--format", "csv", "--keep", "email,Contry"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stderr).trim_end(),
        "error: `--keep Contry`: `examples/ecommerce/leads.csv` has no column `Contry`; the closest is `Country`"
    );
    let out = mql(&[
        "eval", ACME, "--leads", ACME_LEADS, "--format", "ndjson", "--keep", "contry",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).ends_with(
            "error: `--keep contry`: no record of `examples/b2b_saas/leads.ndjson` has a key `contry`; the closest is `country`\n"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn labels_and_changed_only_are_checked_against_the_model() {
    // Without labels in the model, `--labels` writes stage names.
    let plain = shop(&["--format", "csv"]);
    let labelled = shop(&["--format", "csv", "--labels"]);
    assert_eq!(labelled.status.code(), Some(0));
    assert_eq!(plain.stdout, labelled.stdout);
    let out = mql(&[
        "eval",
        "tests/fixtures/failing_test.mql",
        "--leads",
        ACME_LEADS,
        "--changed-only",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: `--changed-only` writes the leads whose stage changed, but `tests/fixtures/failing_test.mql` declares no stages\n"
    );
}
