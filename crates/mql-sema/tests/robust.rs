//! The checker never panics, whatever the text: broken variants of the
//! conformance models (lines dropped, words swapped, text cut) all check to
//! diagnostics, never to a crash, and an error always withholds the model.

use std::path::PathBuf;

use mql_sema::check_source;

fn models() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path().join("model.mql")))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

#[test]
fn broken_models_give_diagnostics_not_panics() {
    let swaps = [
        ("int", "string"),
        ("==", "<"),
        ("and", "+"),
        ("within", "where"),
        ("30d", "\"30d\""),
        ("seniority", "senority"),
        ("stages", "stage"),
        ("=>", "=> 0 +"),
    ];
    let mut checked = 0;
    for (k, text) in models().iter().enumerate() {
        let lines: Vec<&str> = text.lines().collect();
        for step in [3usize, 7, 11] {
            let kept: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| (i + k) % step != 0)
                .map(|(_, l)| *l)
                .collect();
            let c = check_source("m.mql", &kept.join("\n"));
            assert!(c.model.is_none() || !c.has_errors());
            checked += 1;
        }
        let (from, to) = swaps[k % swaps.len()];
        let c = check_source("m.mql", &text.replacen(from, to, 3));
        assert!(c.model.is_none() || !c.has_errors());
        let mut cut = text.len() * (k + 1) / 41;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let _ = check_source("m.mql", &text[..cut]);
        checked += 2;
    }
    assert!(checked >= 200);
}
