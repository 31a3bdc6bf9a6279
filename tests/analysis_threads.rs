//! `diff` and `backtest` run on every core like `eval`: their reports and
//! their messages must not depend on the number of threads, for NDJSON
//! (decoded on the workers) and CSV (decoded on the reading thread) alike.

use std::path::Path;
use std::process::{Command, Output};

const V1: &str = "tests/fixtures/diff/funnel_v1.mql";
const V2: &str = "tests/fixtures/diff/funnel_v2.mql";

fn mql(args: &[&str], extra: &Path, threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .arg(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RAYON_NUM_THREADS", threads)
        .env("NO_COLOR", "1")
        .output()
        .expect("mql runs")
}

/// 3,000 leads (12 blocks) with a bad value, an unknown outcome or a
/// duplicate id here and there, as NDJSON and as CSV.
fn write_leads(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let plans = ["free", "team", "Enterprise", "gold"];
    let mut ndjson = String::new();
    let mut csv = String::from("id,employees,plan,converted\n");
    for i in 0..3000u64 {
        let id = if i % 997 == 0 { 5 } else { i };
        let employees = if i % 401 == 0 {
            "\"lots\"".to_string()
        } else {
            ((i * 37) % 300).to_string()
        };
        let plan = plans[(i % 7 % 4) as usize];
        let converted = match i % 11 {
            0 => "\"maybe\"",
            1..=4 => "true",
            _ => "false",
        };
        ndjson.push_str(&format!(
            "{{\"id\": \"L{id}\", \"employees\": {employees}, \"plan\": \"{plan}\", \"converted\": {converted}}}\n"
        ));
        csv.push_str(&format!(
            "L{id},{},{plan},{}\n",
            employees.trim_matches('"'),
            converted.trim_matches('"')
        ));
    }
    let (a, b) = (dir.join("leads.ndjson"), dir.join("leads.csv"));
    std::fs::write(&a, ndjson).unwrap();
    std::fs::write(&b, csv).unwrap();
    (a, b)
}

#[test]
fn diff_and_backtest_do_not_depend_on_the_number_of_threads() {
    let dir = std::env::temp_dir().join(format!("mql-analysis-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ndjson, csv) = write_leads(&dir);
    let runs: [&[&str]; 4] = [
        &[
            "diff",
            V1,
            V2,
            "--as-of",
            "2026-11-01",
            "--format",
            "json",
            "--leads",
        ],
        &["diff", V1, V2, "--as-of", "2026-11-01", "--leads"],
        &[
            "backtest",
            V1,
            "--as-of",
            "2026-11-01",
            "--outcome",
            "converted",
            "--format",
            "json",
            "--leads",
        ],
        &[
            "backtest",
            V2,
            "--as-of",
            "2026-11-01",
            "--outcome",
            "converted",
            "--leads",
        ],
    ];
    for file in [&ndjson, &csv] {
        for args in runs {
            let one = mql(args, file, "1");
            let three = mql(args, file, "3");
            let what = format!("{args:?} {}", file.display());
            assert_eq!(
                one.status.code(),
                Some(0),
                "{what}: {}",
                String::from_utf8_lossy(&one.stderr)
            );
            assert!(one.stdout == three.stdout, "{what}: reports differ");
            assert!(one.stderr == three.stderr, "{what}: messages differ");
            let stderr = String::from_utf8_lossy(&one.stderr);
            assert!(stderr.contains("duplicate id \"L5\""), "{what}: {stderr}");
            assert!(
                stderr.contains("\nleads read: 3000, data errors: "),
                "{what}: {stderr}"
            );
        }
    }
    // The same leads give the same figures whichever way they are written.
    let a = mql(runs[2], &ndjson, "2");
    let b = mql(runs[2], &csv, "2");
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&a.stdout).unwrap(),
        serde_json::from_slice(&b.stdout).unwrap(),
    );
    assert_eq!(a["stages"], b["stages"]);
    assert_eq!(a["scores"], b["scores"]);
    // Every eleventh lead's outcome is "maybe".
    assert_eq!(a["leads"], 3000 - 273);
    assert_eq!(a["unknown_outcome"], 273);
    std::fs::remove_dir_all(&dir).ok();
}
