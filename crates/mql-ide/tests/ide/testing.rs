//! Tests run from the editor.

use mql_ide::LensCommand;

use crate::fixture::{check, draw, Fixture, MAIN};

const MODEL: &str = "lead { n: int }\ncriterion big = n > 10\nscore fit {\n  big => +60\n}\ntest \"big leads\" {\n  lead { n: 20 }\n  expect fit == 50\n  expect big\n}\ntest \"small leads\" {\n  lead { n: 2 }\n  expect fit >= 10\n  expect fit between 1 and 5\n  expect not big\n}\n";

#[test]
fn lenses_run_each_test_and_all_of_them() {
    let f = Fixture::new(MODEL);
    let lenses = f.analysis().lenses(MAIN).expect("ok");
    let shown: Vec<String> = lenses
        .iter()
        .map(|l| format!("{} {:?}", l.title, l.command))
        .collect();
    assert_eq!(
        shown,
        [
            "Run all 2 tests RunAll",
            "Run test RunTest(\"big leads\")",
            "Run test RunTest(\"small leads\")"
        ]
    );
    check(
        &draw(
            MODEL,
            &lenses[1..].iter().map(|l| l.span).collect::<Vec<_>>(),
        ),
        r#"
        test "big leads" {
        ^^^^^^^^^^^^^^^^
        test "small leads" {
        ^^^^^^^^^^^^^^^^^^
        "#,
    );
    assert!(Fixture::new("lead { n: int }\n")
        .analysis()
        .lenses(MAIN)
        .expect("ok")
        .is_empty());
}

/// A failing `expect` is reported on its line with the actual value.
#[test]
fn failing_expects_become_diagnostics_with_the_values() {
    let f = Fixture::new(MODEL);
    let report = f
        .analysis()
        .run_tests(MAIN, None)
        .expect("ok")
        .expect("runs");
    assert_eq!(report.summary(), "0 passed, 2 failed");
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&draw(MODEL, &[d.span]));
        out.push_str(&format!("{}\n", d.message));
    }
    check(
        &out,
        r#"
          expect fit == 50
                 ^^^^^^^^^
        `fit` is 60.0, expected 50
          expect fit >= 10
                 ^^^^^^^^^
        `fit` is 0.0, expected at least 10
          expect fit between 1 and 5
                 ^^^^^^^^^^^^^^^^^^^
        `fit` is 0.0, expected between 1 and 5
        "#,
    );
    // One test alone.
    let one = f
        .analysis()
        .run_tests(MAIN, Some("small leads"))
        .expect("ok")
        .expect("runs");
    assert_eq!(one.results.len(), 1);
    assert_eq!(one.diagnostics.len(), 2);
    let none = f.analysis().run_tests(MAIN, Some("nope")).expect("ok");
    assert_eq!(
        none,
        Err("there is no test \"nope\" in `/ws/main.mql`".into())
    );
}

#[test]
fn a_passing_run_has_no_diagnostics() {
    let fixed = MODEL
        .replace("expect fit == 50", "expect fit == 60")
        .replace(
            "expect fit >= 10\n  expect fit between 1 and 5\n",
            "expect fit == 0\n",
        );
    let f = Fixture::new(&fixed);
    let report = f
        .analysis()
        .run_tests(MAIN, None)
        .expect("ok")
        .expect("runs");
    assert_eq!(report.summary(), "2 passed, 0 failed");
    assert!(report.diagnostics.is_empty());
    assert!(report
        .results
        .iter()
        .all(|r| r.passed && r.failures.is_empty()));
    assert_eq!(
        f.analysis().lenses(MAIN).expect("ok")[0].command,
        LensCommand::RunAll
    );
}

#[test]
fn a_model_with_errors_is_not_run() {
    let f = Fixture::new(
        "lead { n: int }\ncriterion c = nope\ntest \"t\" { lead { n: 1 } expect c }\n",
    );
    assert_eq!(
        f.analysis().run_tests(MAIN, None).expect("ok"),
        Err("`/ws/main.mql` has 1 error(s); fix them before running its tests".into())
    );
}
