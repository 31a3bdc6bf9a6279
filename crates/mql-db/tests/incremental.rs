//! Replays edits on a model held in the database and shows, from salsa's own
//! log of the queries it runs, that changing one declaration re-checks only
//! that declaration, that moving declarations (a line typed above them)
//! re-checks none, and that editing a `use`d file re-checks the model that
//! includes it. After every edit the result is the same as checking the
//! text from scratch.

use std::sync::{Arc, Mutex};

use mql_db::{check, model_items, Database, SourceFile};
use salsa::plumbing::AsId;
use salsa::Database as _;

const SCHEMA: &str = "\
lead {
  email: string
  seniority: enum { manager, director, vp, cxo }
  company_size: int
}

event page_view { url: string, seconds: int }
event form_submit { form: string }
";

const MODEL: &str = "\
model demo
use \"schema.mql\"

criterion decision_maker = seniority in [director, vp, cxo]
criterion big_company = company_size >= 1000
let visits = count(page_view within 30d)
criterion forgotten = email ends_with \".edu\"

score fit {
  decision_maker => +25
  big_company => +10
}

score engagement {
  decay half_life 14d
  each page_view where url starts_with \"/pricing\" => +5 up to 20
  visits > 10 => +5
  exists(form_submit within 7d) => +15
}

tier band {
  hot when fit + engagement >= 40
  warm otherwise
}

stages prospect, lead, mql
transition prospect -> lead when engagement > 5
transition lead -> mql when band == hot

test \"a director at a big company fits\" {
  lead { seniority: director, company_size: 5000 }
  expect fit == 35
}
";

/// The database with its log of executed queries.
struct Session {
    db: Database,
    log: Arc<Mutex<Vec<salsa::DatabaseKeyIndex>>>,
    root: SourceFile,
}

impl Session {
    fn new() -> Session {
        let log: Arc<Mutex<Vec<salsa::DatabaseKeyIndex>>> = Arc::default();
        let sink = log.clone();
        let mut db = Database::with_events(move |event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                if let Ok(mut l) = sink.lock() {
                    l.push(database_key);
                }
            }
        });
        db.set_text("m/schema.mql", SCHEMA);
        let root = db.set_text("m/model.mql", MODEL);
        Session { db, log, root }
    }

    /// Check the model; return the queries that ran, as
    /// `check_decl(score fit)` or the query's name, in order.
    fn check(&mut self) -> Vec<String> {
        self.log.lock().expect("log").clear();
        let _ = check(&self.db, self.root);
        let ran: Vec<salsa::DatabaseKeyIndex> = std::mem::take(&mut *self.log.lock().expect("log"));
        let items = model_items(&self.db, self.root);
        let out = ran
            .iter()
            .map(|k| {
                let name = self
                    .db
                    .ingredient_debug_name(k.ingredient_index())
                    .to_string();
                match items.iter().find(|i| i.as_id() == k.key_index()) {
                    Some(i) if name == "check_decl" => format!("check_decl({})", i.key(&self.db)),
                    _ => name,
                }
            })
            .collect();
        self.log.lock().expect("log").clear();
        out
    }

    /// The model's text with `from` replaced by `to` (once).
    fn edit(&mut self, path: &str, from: &str, to: &str) {
        let text = self.text(path);
        assert!(text.contains(from), "`{from}` is not in {path}");
        let new = text.replacen(from, to, 1);
        self.db.set_text(path, &new);
    }

    fn text(&self, path: &str) -> String {
        let f = mql_db::Db::file(&self.db, path);
        f.text(&self.db).as_deref().unwrap_or("").to_string()
    }

    /// The incremental result equals a check from scratch.
    fn assert_same_as_fresh(&self) {
        let mut fresh = Database::new();
        fresh.set_text("m/schema.mql", &self.text("m/schema.mql"));
        let root = fresh.set_text("m/model.mql", &self.text("m/model.mql"));
        let a = check(&self.db, self.root).0.clone();
        let b = check(&fresh, root).0.clone();
        assert_eq!(a.diagnostics, b.diagnostics);
        assert_eq!(a.model, b.model);
        assert_eq!(a.index, b.index);
    }
}

fn decl_checks(ran: &[String]) -> Vec<&str> {
    ran.iter()
        .map(String::as_str)
        .filter(|r| r.starts_with("check_decl("))
        .collect()
}

#[test]
fn a_cold_check_checks_every_declaration_once() {
    let mut s = Session::new();
    let ran = s.check();
    insta::assert_snapshot!(decl_checks(&ran).join("\n"), @r#"
    check_decl(criterion decision_maker)
    check_decl(criterion big_company)
    check_decl(let visits)
    check_decl(criterion forgotten)
    check_decl(score fit)
    check_decl(score engagement)
    check_decl(tier band)
    check_decl(transition prospect -> lead)
    check_decl(transition lead -> mql)
    check_decl(test "a director at a big company fits")
    "#);
    // the unused criterion is reported, at its place in the file
    let c = check(&s.db, s.root).0.clone();
    let w: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(w, ["W0103 the criterion `forgotten` is never used"]);
    // nothing changed: nothing runs again
    assert_eq!(s.check(), Vec::<String>::new());
}

#[test]
fn changing_a_rule_rechecks_only_its_score() {
    let mut s = Session::new();
    s.check();
    s.edit(
        "m/model.mql",
        "decision_maker => +25",
        "decision_maker => +30",
    );
    let ran = s.check();
    assert_eq!(decl_checks(&ran), ["check_decl(score fit)"], "{ran:?}");
    assert!(ran.iter().any(|r| r == "check"), "{ran:?}");
    s.assert_same_as_fresh();
    let c = check(&s.db, s.root).0.clone();
    let model = c.model.as_ref().expect("no errors");
    assert_eq!(model.scores[0].rules[0].points, 30.0);
}

#[test]
fn changing_a_criterion_without_changing_its_type_rechecks_only_it() {
    let mut s = Session::new();
    s.check();
    s.edit(
        "m/model.mql",
        "company_size >= 1000",
        "company_size >= 2000",
    );
    let ran = s.check();
    assert_eq!(
        decl_checks(&ran),
        ["check_decl(criterion big_company)"],
        "{ran:?}"
    );
    s.assert_same_as_fresh();
}

#[test]
fn typing_above_declarations_rechecks_none_of_them() {
    let mut s = Session::new();
    s.check();
    // a comment and a blank line above `score engagement`: it and everything
    // after it move down, none of them changes
    s.edit(
        "m/model.mql",
        "score engagement {",
        "// engagement decays\n\nscore engagement {",
    );
    let ran = s.check();
    assert_eq!(decl_checks(&ran), Vec::<&str>::new(), "{ran:?}");
    s.assert_same_as_fresh();
    // the rules moved: their lines are those of the new text
    let c = check(&s.db, s.root).0.clone();
    let model = c.model.as_ref().expect("no errors");
    let lines: Vec<u32> = model.scores[1].rules.iter().map(|r| r.line).collect();
    assert_eq!(lines, [18, 19, 20]);
    // and so does the warning, which stays on `forgotten`
    s.edit("m/model.mql", "model demo\n", "model demo\n\n\n");
    let ran = s.check();
    assert_eq!(decl_checks(&ran), Vec::<&str>::new(), "{ran:?}");
    s.assert_same_as_fresh();
}

#[test]
fn changing_what_others_see_rechecks_those_that_look() {
    let mut s = Session::new();
    s.check();
    // `visits` becomes a yes/no value: every declaration sees the new type
    s.edit(
        "m/model.mql",
        "let visits = count(page_view within 30d)",
        "let visits = count(page_view within 30d) > 3",
    );
    let ran = s.check();
    assert!(
        decl_checks(&ran).contains(&"check_decl(score engagement)"),
        "{ran:?}"
    );
    s.assert_same_as_fresh();
    let c = check(&s.db, s.root).0.clone();
    assert!(
        c.diagnostics.iter().any(|d| d.is_error()),
        "{:?}",
        c.diagnostics
    );
}

#[test]
fn editing_a_used_file_rechecks_the_model_that_uses_it() {
    let mut s = Session::new();
    s.check();
    // a comment in the used file: the model is assembled again, no
    // declaration is re-checked
    s.edit("m/schema.mql", "lead {", "// who we sell to\nlead {");
    let ran = s.check();
    assert!(ran.iter().any(|r| r == "check"), "{ran:?}");
    assert_eq!(decl_checks(&ran), Vec::<&str>::new(), "{ran:?}");
    s.assert_same_as_fresh();
    // removing a value of `seniority` changes the lead: the model's
    // declarations are checked again and the use of `cxo` is now an error
    s.edit("m/schema.mql", "vp, cxo }", "vp }");
    let ran = s.check();
    assert!(
        decl_checks(&ran).contains(&"check_decl(criterion decision_maker)"),
        "{ran:?}"
    );
    s.assert_same_as_fresh();
    let c = check(&s.db, s.root).0.clone();
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(errors, ["E0104 `cxo` is not one of manager, director, vp"]);
}

/// Every model at hand: the checker's fixtures (many with syntax errors),
/// the conformance models and the examples.
fn all_models() -> Vec<std::path::PathBuf> {
    let manifest = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        manifest.join("../mql-sema/tests/fixtures"),
        manifest.join("../mql-syntax/tests/fixtures"),
        manifest.join("../../tests/fixtures"),
    ] {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().extension().is_some_and(|x| x == "mql") {
                out.push(e.path());
            }
        }
    }
    for dir in [
        manifest.join("../../../shared/conformance"),
        manifest.join("../../examples"),
    ] {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            for f in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
                if f.path().extension().is_some_and(|x| x == "mql") {
                    out.push(f.path());
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn parsing_piece_by_piece_gives_the_plain_parse() {
    let paths = all_models();
    assert!(paths.len() >= 40, "found only {} models", paths.len());
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("read model");
        let mut db = Database::new();
        // the model as it is, with a line typed at the top, with a
        // declaration's first line cut off, and with a doc comment after code
        let variants = [
            text.clone(),
            format!("// note\n{text}"),
            text.replacen("\nscore ", "\n", 1),
            text.replacen("\n\nscore ", " /// trailing\nscore ", 1),
            text.replacen('"', "", 1),
        ];
        for v in variants {
            let f = db.set_text("m.mql", &v);
            let plain = mql_syntax::parse(&v);
            let ours = &mql_db::parse(&db, f).0;
            assert_eq!(**ours, plain, "{}", p.display());
        }
    }
}

#[test]
fn editing_one_declaration_reparses_only_its_piece() {
    let mut s = Session::new();
    s.check();
    s.edit(
        "m/model.mql",
        "decision_maker => +25",
        "decision_maker => +30",
    );
    let ran = s.check();
    let parses = ran.iter().filter(|r| *r == "parse_piece").count();
    assert_eq!(parses, 1, "{ran:?}");
}

/// A lead field renamed while typing re-checks the declarations that name
/// it (and tests, which see the whole lead), not the others.
#[test]
fn renaming_a_field_rechecks_only_what_names_it() {
    let mut s = Session::new();
    s.check();
    s.edit("m/schema.mql", "company_size: int", "company_sizes: int");
    let ran = s.check();
    let mut checked = decl_checks(&ran);
    checked.sort_unstable();
    assert_eq!(
        checked,
        [
            "check_decl(criterion big_company)",
            "check_decl(test \"a director at a big company fits\")",
        ],
        "{ran:?}"
    );
    s.assert_same_as_fresh();
    // Typed back: the same ones again, and the result is as before.
    s.edit("m/schema.mql", "company_sizes: int", "company_size: int");
    let ran = s.check();
    assert_eq!(decl_checks(&ran).len(), 2, "{ran:?}");
    s.assert_same_as_fresh();
}

/// Whatever name is changed, in whatever model, the declarations not
/// checked again agree with a check from scratch: what a declaration sees
/// is fully covered by its view.
#[test]
fn every_renamed_word_gives_the_fresh_result() {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for p in all_models() {
        let text = std::fs::read_to_string(&p).expect("read model");
        let mut words: Vec<&str> = text
            .split(|c: char| !word(c))
            .filter(|w| w.len() > 2 && w.starts_with(|c: char| c.is_ascii_lowercase()))
            .collect();
        words.sort_unstable();
        words.dedup();
        let mut db = Database::new();
        let f = db.set_text("m.mql", &text);
        let _ = check(&db, f);
        // the first occurrence of each of a few words, changed and back
        for w in words.iter().step_by(words.len() / 6 + 1) {
            for edited in [text.replacen(w, &format!("{w}x"), 1), text.clone()] {
                let f = db.set_text("m.mql", &edited);
                let ours = check(&db, f).0.clone();
                let mut fresh_db = Database::new();
                let fresh = fresh_db.set_text("m.mql", &edited);
                let fresh = check(&fresh_db, fresh).0.clone();
                assert_eq!(
                    ours.diagnostics,
                    fresh.diagnostics,
                    "{} with `{w}` renamed",
                    p.display()
                );
                assert_eq!(
                    ours.model,
                    fresh.model,
                    "{} with `{w}` renamed",
                    p.display()
                );
            }
        }
    }
}
