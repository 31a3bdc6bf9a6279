//! Checking a model one declaration at a time, each in its own coordinates
//! (as the salsa database does), gives exactly what checking it whole gives:
//! same diagnostics, same model, same name index, for every fixture (most of
//! them with errors) and every conformance model. And a declaration in its
//! own coordinates does not change when text is inserted above it.

use std::path::{Path, PathBuf};

use mql_sema::incr::{
    check_decl, decl_start, finish, prepare, relative_decl, DeclChecks, DeclResult, Prepared,
    Signatures,
};
use mql_sema::{check_source, FileSource, NoUses};

/// Checks each declaration moved to its own coordinates, then moves the
/// result back.
struct Relative;

impl DeclChecks for Relative {
    fn check_decl(&self, prep: &Prepared, item: usize) -> DeclResult {
        let sig = Signatures::of(prep);
        let (file, _) = prep.items()[item];
        let decl = prep.decl(item).expect("item exists");
        let text = &prep.files()[file as usize].text;
        let rel = relative_decl(decl, text);
        let start = decl_start(decl);
        check_decl(&sig, &rel.decl, &rel.text).shifted(start, prep.line_of(file, start))
    }
}

fn models() -> Vec<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let fixtures = manifest.join("tests/fixtures");
    for e in std::fs::read_dir(&fixtures).expect("fixtures").flatten() {
        if e.path().extension().is_some_and(|x| x == "mql") {
            out.push(e.path());
        }
    }
    if let Ok(dir) = std::fs::read_dir(manifest.join("../../../shared/conformance")) {
        for e in dir.flatten() {
            let p = e.path().join("model.mql");
            if p.exists() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("model.mql")
        .to_string()
}

#[test]
fn per_declaration_checking_matches_whole_model_checking() {
    let paths = models();
    assert!(paths.len() >= 40, "found only {} models", paths.len());
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("read model");
        let whole = check_source(&name(&p), &text);
        let prep = prepare(FileSource::parse(&name(&p), &text), &NoUses);
        let split = finish(&prep, &Relative);
        assert_eq!(whole.diagnostics, split.diagnostics, "{}", p.display());
        assert_eq!(whole.model, split.model, "{}", p.display());
        assert_eq!(whole.index, split.index, "{}", p.display());
    }
}

#[test]
fn a_declaration_in_its_own_coordinates_ignores_text_above_it() {
    for p in models() {
        let text = std::fs::read_to_string(&p).expect("read model");
        let moved = format!("// a note\n\n{text}");
        let a = mql_syntax::parse(&text);
        let b = mql_syntax::parse(&moved);
        assert_eq!(a.decls.len(), b.decls.len(), "{}", p.display());
        for (x, y) in a.decls.iter().zip(&b.decls) {
            let rx = relative_decl(x, &text);
            let ry = relative_decl(y, &moved);
            assert_eq!(rx, ry, "{}", p.display());
            assert_eq!(decl_start(y) - decl_start(x), 11);
        }
    }
}
