//! `mql explain` shows what it read: each condition's values (a value the
//! data gave but that could not be read, as written, with why), which side
//! of an `and`/`or` decided it, and which rules of a score decay.

use std::process::{Command, Output};

fn explain(id: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mql"))
        .args([
            "explain",
            "examples/b2b_saas/acme.mql",
            "--leads",
            "examples/b2b_saas/leads.ndjson",
            "--as-of",
            "2026-11-01",
            "--id",
            id,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("mql runs")
}

#[test]
fn a_lead_with_unreadable_values_shows_them_as_written() {
    let out = explain("ACME-0003");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "  segment enterprise (line 39): company_size >= 1000 — unknown, because `company_size` could not be read\n    company_size = \"2,500\" — expected a whole number, so unknown\n",
        "  criterion not_a_buyer (line 34): \"competitor\" in tags or seniority == intern — met\n    decided by the left side: \"competitor\" in tags holds\n",
        "    line 85: any -> disqualified when unsubscribed or not_a_buyer — met\n      decided by the right side: not_a_buyer holds\n",
        "  points halve every 14d for the event rules (`each`, `latest`); condition rules are not decayed\n",
    ] {
        assert!(stdout.contains(line), "missing:\n{line}\nin:\n{stdout}");
    }
    // The data errors themselves are on standard error, as before.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    insta::assert_snapshot!("explain_reads_acme_0003", stdout);
}

#[test]
fn a_transition_that_reads_time_in_stage_is_explained_with_the_right_time() {
    // ACME-0034 went quiet in mql: `engagement < 15 and time_in_stage > 21d`.
    let out = explain("ACME-0034");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "    line 84: mql -> lead when engagement < 15 and time_in_stage > 21d — met\n      both sides hold\n"
        ),
        "{stdout}"
    );
}
