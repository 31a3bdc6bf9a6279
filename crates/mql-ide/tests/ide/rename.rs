//! Rename: everywhere in the workspace, and never to a name that breaks the
//! model.

use mql_ide::FilePosition;

use crate::fixture::{check, Fixture, MAIN};

/// Rename at the cursor; every file of the fixture after the edits (only
/// the changed ones), or the refusal.
fn rename(fixture: &str, new_name: &str) -> String {
    let f = Fixture::new(fixture);
    let answer = f
        .analysis()
        .rename(&f.pos(), new_name, &f.workspace())
        .expect("not cancelled");
    match answer {
        Err(why) => format!("refused: {why}"),
        Ok(None) => "(nothing to rename)".into(),
        Ok(Some(change)) => {
            let mut out = String::new();
            for (path, edits) in &change.edits {
                let mut text = f.text(path).to_string();
                for e in edits.iter().rev() {
                    text.replace_range(e.span.start as usize..e.span.end as usize, &e.new_text);
                }
                out.push_str(&format!("{path}\n{text}"));
            }
            out
        }
    }
}

const MODEL: &str = "lead {\n  seniority: enum { intern, vp }\n}\nevent visit { url: string }\ncriterion senior = seniority == vp\nscore fit { senior => +1 }\nstages prospect, mql\ntransition prospect -> mql when fit > 0\ntest \"t\" { lead { seniority: vp, stage: prospect } expect stage == mql }\n";

fn at(needle: &str) -> String {
    let i = MODEL.find(needle).expect("in the model");
    format!("{}$0{}", &MODEL[..i], &MODEL[i..])
}

#[test]
fn renames_every_use_and_the_declaration() {
    check(
        &rename(&at("senior = "), "decision_maker"),
        r#"
        /ws/main.mql
        lead {
          seniority: enum { intern, vp }
        }
        event visit { url: string }
        criterion decision_maker = seniority == vp
        score fit { decision_maker => +1 }
        stages prospect, mql
        transition prospect -> mql when fit > 0
        test "t" { lead { seniority: vp, stage: prospect } expect stage == mql }
        "#,
    );
    let out = rename(&at("vp }"), "vice_president");
    assert_eq!(out.matches("vice_president").count(), 3, "{out}");
    let out = rename(&at("mql when"), "qualified");
    assert!(out.contains("stages prospect, qualified\ntransition prospect -> qualified when"));
    assert!(out.contains("expect stage == qualified"));
}

/// Renaming in a shared file edits the models that use it, even closed.
#[test]
fn renames_in_closed_files_that_use_the_declaration() {
    check(
        &rename(
            "//- /ws/common.mql\nlead { em$0ail: string }\n//- /ws/a.mql\nuse \"common.mql\"\ncriterion c = known(email)\nscore s { c => +1 }\n",
            "work_email",
        ),
        r#"
        /ws/a.mql
        use "common.mql"
        criterion c = known(work_email)
        score s { c => +1 }
        /ws/common.mql
        lead { work_email: string }
        "#,
    );
}

#[test]
fn refuses_words_of_the_language_and_built_in_names() {
    let mut out = String::new();
    for name in [
        "lead", "at", "events", "score", "now", "stage", "2nd", "x-y",
    ] {
        out.push_str(&format!("{name}: {}\n", rename(&at("senior = "), name)));
    }
    check(
        &out,
        r#"
        lead: refused: `lead` is a word of the language (as in `lead { … }`); choose another name
        at: refused: `at` is a word of the language (as in `where hour(at) < 6`); choose another name
        events: refused: `events` is a word of the language (as in `events { … }`); choose another name
        score: refused: `score` is a keyword of the language; choose another name
        now: refused: `now` is a built-in name and can't be declared
        stage: refused: `stage` is a built-in name and can't be declared
        2nd: refused: `2nd` is not a valid name: use letters, digits and `_`, not starting with a digit
        x-y: refused: `x-y` is not a valid name: use letters, digits and `_`, not starting with a digit
        "#,
    );
}

#[test]
fn refuses_names_that_are_taken_or_would_hide_another() {
    let mut out = String::new();
    for (needle, name) in [
        ("senior = ", "fit"),
        ("mql when", "prospect"),
        ("url", "seniority"),
        ("seniority:", "url"),
        ("senior = ", "vp"),
        ("vp }", "senior"),
        ("url", "type"),
    ] {
        out.push_str(&format!(
            "{needle} -> {name}: {}\n",
            rename(&at(needle), name)
        ));
    }
    check(
        &out,
        r#"
        senior =  -> fit: refused: `fit` is already the name of a score in this model; choose another name
        mql when -> prospect: refused: `prospect` is already the name of a stage in this model; choose another name
        url -> seniority: refused: `seniority` is already the name of a lead field: inside this event's queries the field would be read instead of it; choose another name
        seniority: -> url: refused: `url` is a field of the event `visit`: inside its queries the field would be read instead of the lead field; choose another name
        senior =  -> vp: refused: `vp` is already a value of `seniority`; in comparisons it would be read as that value instead of the criterion; choose another name
        vp } -> senior: refused: `senior` is already the name of a criterion; a value of the same name would be read instead of it in comparisons; choose another name
        url -> type: refused: `type` can't name an event field: the data format uses it
        "#,
    );
}

#[test]
fn built_in_names_and_functions_cant_be_renamed() {
    let f = Fixture::new("lead { e: string }\ncriterion c = dom$0ain(e) == \"x\"\n");
    let a = f.analysis();
    assert_eq!(
        a.prepare_rename(&f.pos()).expect("ok"),
        Err("`domain` is a function of the language and can't be renamed".into())
    );
    let pos = FilePosition {
        path: MAIN.into(),
        offset: f.text(MAIN).find("c =").expect("c"),
    };
    let ok = a
        .prepare_rename(&pos)
        .expect("ok")
        .expect("a name")
        .expect("renamable");
    assert_eq!(ok.1, "c");
}

/// Two fields with the same values keep separate values: renaming one
/// field's value leaves the other field's alone.
#[test]
fn a_value_of_one_field_is_not_the_same_value_of_another() {
    let out = rename(
        "lead {\n  a: enum { low, hi$0gh }\n  b: enum { low, high }\n}\ncriterion x = a == high\ncriterion y = b == high\n",
        "top",
    );
    assert_eq!(
        out,
        "/ws/main.mql\nlead {\n  a: enum { low, top }\n  b: enum { low, high }\n}\ncriterion x = a == top\ncriterion y = b == high\n"
    );
}
