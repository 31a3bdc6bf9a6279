//! The fuzz targets' paths under proptest, for machines without a nightly
//! toolchain (and for every `cargo test`): the same functions the targets in
//! `fuzz/` call, fed mutated copies of the examples and test data. Each
//! panics when the pipeline crashes or a property breaks (fmt not
//! idempotent, a lead lost). A failing input is saved in
//! `tests/fuzz_paths.proptest-regressions`.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod paths;

use std::path::Path;

use mql_data::InputFormat;
use proptest::prelude::*;

/// The text of every file under `dirs` (relative to the repository) whose
/// name ends with one of `ends`, sorted by path.
fn seeds(dirs: &[&str], ends: &[&str]) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, ends: &[&str], out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("target") && !p.ends_with("snapshots") {
                    walk(&p, ends, out);
                }
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| ends.iter().any(|e| n.ends_with(e)))
            {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for d in dirs {
        walk(&root.join(d), ends, &mut paths);
    }
    paths.sort();
    let mut out: Vec<Vec<u8>> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| b.len() <= 64 * 1024)
        .collect();
    if out.is_empty() {
        out.push(Vec::new());
    }
    out
}

/// Pieces a mutation may insert: the language's punctuation and words, and
/// bytes that have broken readers before (non-ASCII, quotes, line ends).
const PIECES: &[&[u8]] = &[
    b"{",
    b"}",
    b"(",
    b")",
    b"[",
    b"]",
    b",",
    b"\"",
    b":",
    b"=>",
    b"->",
    b"==",
    b"\n",
    b"\r\n",
    b" and ",
    b" or ",
    b"not ",
    b"14d",
    b"@2026-11-01",
    b"null",
    b"\xc3\xa9",
    b"\xff",
    b"\\",
    b"9223372036854775807",
    b"-",
    b"let x = ",
    b"criterion ",
    b"\"id\":",
    b"lead_id,type,at\n",
];

/// A copy of one of `seeds` with a few random edits: cuts, copies,
/// insertions of [`PIECES`].
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    (
        0..n,
        proptest::collection::vec((0usize..4, any::<prop::sample::Index>(), 0usize..64), 0..8),
    )
        .prop_map(move |(which, edits)| {
            let mut text = seeds[which].clone();
            for (op, at, len) in edits {
                let i = at.index(text.len() + 1);
                let j = (i + len).min(text.len());
                match op {
                    0 => {
                        text.drain(i..j);
                    }
                    1 => {
                        let piece = text[i..j].to_vec();
                        text.splice(i..i, piece);
                    }
                    2 => {
                        let piece = PIECES[len % PIECES.len()];
                        text.splice(i..i, piece.iter().copied());
                    }
                    _ => {
                        if i < text.len() {
                            text[i] = text[i].wrapping_add(len as u8 + 1);
                        }
                    }
                }
            }
            text
        })
}

fn models() -> Vec<Vec<u8>> {
    seeds(
        &["examples", "tests", "crates", "../shared/conformance"],
        &[".mql"],
    )
}

fn data(ends: &[&str]) -> Vec<Vec<u8>> {
    seeds(&["examples", "tests", "../shared/conformance"], ends)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn model_pipeline_never_panics(text in mutated(models())) {
        paths::model(&text);
    }

    #[test]
    fn model_pipeline_on_words(text in "(model m\n|lead \\{ a: int \\}\n|let x = |criterion c = |score s \\{|tier t \\{|test \"t\" \\{|expect |a|x|c|1|14d|\"s\"|@2026-01-01| and | or |not |\\+|-|\\*|/|==|>|\\(|\\)|\\[|\\]|\\}|,|\n| ){0,40}") {
        paths::model(text.as_bytes());
    }

    #[test]
    fn ndjson_leads_are_all_accounted_for(bytes in mutated(data(&[".ndjson", ".jsonl"]))) {
        paths::leads(InputFormat::Ndjson, &bytes);
    }

    #[test]
    fn json_leads_are_all_accounted_for(bytes in mutated(data(&[".json", ".ndjson"]))) {
        // NDJSON seeds are not arrays; wrapped or not, both are fine inputs
        paths::leads(InputFormat::Json, &bytes);
        let mut wrapped = b"[".to_vec();
        wrapped.extend(bytes.iter().map(|&b| if b == b'\n' { b',' } else { b }));
        wrapped.push(b']');
        paths::leads(InputFormat::Json, &wrapped);
    }

    #[test]
    fn csv_leads_are_all_accounted_for(bytes in mutated(data(&[".csv"]))) {
        paths::leads(InputFormat::Csv, &bytes);
    }

    #[test]
    fn events_never_stop_the_leads(bytes in mutated(data(&["events.csv", "events.ndjson", "events.jsonl"]))) {
        paths::events(&bytes);
    }
}

proptest! {
    // each case writes a workbook: fewer cases
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn workbook_leads_are_all_accounted_for(bytes in mutated(data(&[".csv"]))) {
        paths::workbook(&bytes);
    }
}

#[test]
fn a_workbook_with_a_far_cell_is_refused_and_a_broken_one_too() {
    // the sheet reader's limits, through the workbook target's own writer
    paths::workbook(b"id,company_size\na,300\n#1048000\nfar,true,,,,,,,,,,,,,,,,,,,x\n");
    let book = paths::workbook_from_text("id\na\n#1048000\n,,,,,,,,,,,,,,,,,,,,x\n").unwrap();
    let model = mql_sema::check_source("m.mql", "lead { a: int }\n")
        .model
        .expect("a model");
    let schema = &model.schema;
    let source = mql_data::Source::new("far.xlsx", Box::new(&book[..]));
    let options = mql_data::ReadOptions {
        format: Some(InputFormat::Xlsx),
        ..mql_data::ReadOptions::default()
    };
    let e = mql_data::LeadReader::new(
        schema,
        source,
        &options,
        mql_data::Issues::collect(&mut Vec::new()),
    )
    .err()
    .expect("refused");
    assert!(e.to_string().contains("more than 20,000,000 cells"), "{e}");
    paths::workbook(b"PK\x03\x04 not really a zip");
}

#[test]
fn the_data_targets_model_checks() {
    // the data targets read by this model; it must stay valid
    paths::leads(InputFormat::Ndjson, b"{\"id\":1}\n");
}

#[test]
fn the_seeds_are_found() {
    assert!(models().len() > 50, "{}", models().len());
    assert!(data(&[".ndjson"]).len() > 20);
    assert!(data(&[".csv"]).len() > 5);
    assert!(data(&["events.csv", "events.ndjson"]).len() > 2);
}
