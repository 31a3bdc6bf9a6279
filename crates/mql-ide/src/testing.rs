//! Tests in the editor: a "Run test" lens on each `test` block and "Run all
//! tests" at the top of the file, and the run itself, through the same VM
//! as `mql test`. A failing `expect` becomes a diagnostic on its line that
//! says what the value was (`` `fit` is 60, expected 50 ``).

use mql_core::{Severity, Span};
use mql_db::Database;
use mql_sema::hir::{CmpOp, Expr, ExprKind};
use mql_syntax::ast::DeclKind;
use mql_vm::{ExpectOutcome, OperandValue};

use crate::diagnostics::FileDiagnostic;
use crate::model::{self, Model};

/// What a lens runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LensCommand {
    /// Every test of the file.
    RunAll,
    /// The test with this name.
    RunTest(String),
}

/// A command shown above a line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lens {
    pub span: Span,
    pub title: String,
    pub command: LensCommand,
}

/// The outcome of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    pub name: String,
    pub passed: bool,
    /// The test's title in the file.
    pub span: Span,
    /// For a failure, what failed (one line per failing `expect`).
    pub failures: Vec<String>,
}

/// The outcome of a run: each test, and the failures as diagnostics of the
/// file (an empty list clears the previous ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestReport {
    pub results: Vec<TestResult>,
    pub diagnostics: Vec<FileDiagnostic>,
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// `2 passed, 1 failed`, as `mql test` ends.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }
}

pub fn lenses(db: &Database, path: &str) -> Vec<Lens> {
    let ast = model::ast(db, path);
    let tests: Vec<(Span, String)> = ast
        .decls
        .iter()
        .filter_map(|d| match &d.kind {
            DeclKind::Test(t) => Some((d.keyword.to(t.name.span), t.name.value.clone())),
            _ => None,
        })
        .collect();
    if tests.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Lens {
        span: Span::new(0, 0),
        title: if tests.len() == 1 {
            "Run the test".into()
        } else {
            format!("Run all {} tests", tests.len())
        },
        command: LensCommand::RunAll,
    }];
    out.extend(tests.into_iter().map(|(span, name)| Lens {
        span,
        title: "Run test".into(),
        command: LensCommand::RunTest(name),
    }));
    out
}

/// Run the tests of the model rooted at `path` (all, or the one named
/// `only`).
pub fn run(db: &Database, path: &str, only: Option<&str>) -> Result<TestReport, String> {
    let m = Model::new(db, path);
    let checked = m.checked();
    let Some(hir) = checked.model.clone() else {
        let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(format!(
            "`{}` has {errors} error(s); fix them before running its tests",
            m.path
        ));
    };
    let names = test_titles(&m);
    if let Some(name) = only {
        if !hir.tests.iter().any(|t| t.name == name) {
            return Err(format!("there is no test \"{name}\" in `{}`", m.path));
        }
    }
    let program = mql_vm::compile(&hir);
    let mut report = TestReport {
        results: Vec::new(),
        diagnostics: Vec::new(),
    };
    for test in hir
        .tests
        .iter()
        .filter(|t| only.is_none_or(|n| t.name == n))
    {
        let outcome = mql_vm::run_test(&program, &hir, test);
        let title = names
            .iter()
            .find(|(_, n)| *n == test.name)
            .map_or(test.origin.span, |(s, _)| *s);
        let mut failures = Vec::new();
        if let Some(e) = &outcome.error {
            let message = format!("the test's lead could not be evaluated: {e}");
            report
                .diagnostics
                .push(failure(title, &test.name, message.clone()));
            failures.push(message);
        }
        for (e, out) in test.expects.iter().zip(&outcome.expects) {
            if out.passed {
                continue;
            }
            let message = describe(e, out);
            let span = crate::folding::trim_end(&m.text(&m.path), e.span);
            report
                .diagnostics
                .push(failure(span, &test.name, message.clone()));
            failures.push(message);
        }
        report.results.push(TestResult {
            name: test.name.clone(),
            passed: outcome.passed,
            span: title,
            failures,
        });
    }
    Ok(report)
}

/// The titles of the root file's tests and their spans.
fn test_titles(m: &Model) -> Vec<(Span, String)> {
    m.ast(&m.path)
        .decls
        .iter()
        .filter_map(|d| match &d.kind {
            DeclKind::Test(t) => Some((t.name.span, t.name.value.clone())),
            _ => None,
        })
        .collect()
}

fn failure(span: Span, test: &str, message: String) -> FileDiagnostic {
    FileDiagnostic {
        span,
        severity: Severity::Error,
        code: None,
        message,
        help: Some(format!(
            "in the test \"{test}\"; `mql test` shows why the lead got these values"
        )),
        related: Vec::new(),
    }
}

fn op_words(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "",
        CmpOp::Ne => "anything but ",
        CmpOp::Lt => "less than ",
        CmpOp::Le => "at most ",
        CmpOp::Gt => "more than ",
        CmpOp::Ge => "at least ",
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// Is the operand written as its own value (a literal)?
fn literal(o: &OperandValue) -> bool {
    o.text == o.shown
}

/// A failing `expect` in a line: what the value was and what was expected.
pub fn describe(e: &Expr, out: &ExpectOutcome) -> String {
    let ops = &out.operands;
    match (&e.kind, ops.as_slice()) {
        (ExprKind::Cmp(op, _, _), [l, r]) if !literal(l) && literal(r) => {
            format!(
                "`{}` is {}, expected {}{}",
                l.text,
                l.shown,
                op_words(*op),
                r.text
            )
        }
        (ExprKind::Cmp(op, _, _), [l, r]) if literal(l) && !literal(r) => format!(
            "`{}` is {}, expected {}{}",
            r.text,
            r.shown,
            op_words(flip(*op)),
            l.text
        ),
        (ExprKind::Cmp(..), [l, r]) => format!(
            "`{}` is {} and `{}` is {}, expected `{}`",
            l.text, l.shown, r.text, r.shown, out.text
        ),
        (ExprKind::Between { .. }, [v, lo, hi]) if !literal(v) => format!(
            "`{}` is {}, expected between {} and {}",
            v.text, v.shown, lo.shown, hi.shown
        ),
        _ if ops.is_empty() => {
            let verdict = if out.value.is_known() {
                "false"
            } else {
                "unknown"
            };
            format!("`{}` is {verdict}, expected it to hold", out.text)
        }
        _ => out.describe(),
    }
}
