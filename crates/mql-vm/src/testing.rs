//! Running a model's `test` blocks (spec §9): evaluate the test's lead at its
//! `as_of`, check every `expect`, and for a failing one report each operand.

use mql_core::Value;
use mql_sema::hir::{Model, TestDecl};

use crate::compile::operands;
use crate::describe::expr_text;
use crate::program::{ExpectPlan, Program};
use crate::vm::{EvalError, LeadResult, Scratch};

/// One operand of an `expect` and its value for the test's lead.
#[derive(Clone, Debug, PartialEq)]
pub struct OperandValue {
    /// The operand as written (`engagement`).
    pub text: String,
    pub value: Value,
    /// The value in the language's literal syntax (`41.7`, `unknown`).
    pub shown: String,
}

/// The outcome of one `expect`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectOutcome {
    /// The expectation as written (`engagement between 55 and 60`).
    pub text: String,
    pub passed: bool,
    /// What the expectation evaluated to: `true`, `false` or unknown.
    pub value: Value,
    /// For a failing expectation, each operand's actual value.
    pub operands: Vec<OperandValue>,
}

impl ExpectOutcome {
    /// A one-line account of a failure, in plain words:
    /// `expected engagement between 55 and 60, but engagement = 41.7`.
    pub fn describe(&self) -> String {
        if self.passed {
            return format!("{} holds", self.text);
        }
        let verdict = if self.value.is_known() {
            "is false"
        } else {
            "is unknown"
        };
        let facts: Vec<String> = self
            .operands
            .iter()
            .filter(|o| o.text != o.shown)
            .map(|o| format!("{} = {}", o.text, o.shown))
            .collect();
        if facts.is_empty() {
            format!("expected {}, but it {verdict}", self.text)
        } else {
            format!("expected {}, but {}", self.text, facts.join(", "))
        }
    }
}

/// The outcome of a whole test.
#[derive(Clone, Debug, PartialEq)]
pub struct TestOutcome {
    pub name: String,
    pub passed: bool,
    /// The evaluation of the test's lead.
    pub result: LeadResult,
    /// Set when the lead could not be evaluated (e.g. integer overflow).
    pub error: Option<EvalError>,
    pub expects: Vec<ExpectOutcome>,
}

/// Run one test of `model` (compiled to `program`).
pub fn run_test(program: &Program, model: &Model, test: &TestDecl) -> TestOutcome {
    let idx = model
        .tests
        .iter()
        .position(|t| std::ptr::eq(t, test))
        .or_else(|| model.tests.iter().position(|t| t == test));
    match idx.and_then(|i| program.tests.get(i)) {
        Some(plans) => run_with(program, model, test, plans),
        None => {
            // a test from elsewhere: compile it together with the model
            let mut m = model.clone();
            m.tests = vec![test.clone()];
            let p = crate::compile(&m);
            let plans = p.tests.first().cloned().unwrap_or_default();
            run_with(&p, model, test, &plans)
        }
    }
}

fn run_with(
    program: &Program,
    model: &Model,
    test: &TestDecl,
    plans: &[ExpectPlan],
) -> TestOutcome {
    let mut s = Scratch::default();
    let lead = &test.lead;
    let now = test.as_of;
    let result = program.eval_core(lead, now, true, &mut s, None);
    if let Some(e) = &result.error {
        return TestOutcome {
            name: test.name.clone(),
            passed: false,
            error: Some(e.clone()),
            result,
            expects: Vec::new(),
        };
    }
    let mut expects = Vec::new();
    let mut error = None;
    for (e, plan) in test.expects.iter().zip(plans) {
        let value = match program.run_after(plan.block, lead, now, result.stage, &mut s) {
            Ok(v) => v,
            Err(err) => {
                error = Some(EvalError(format!(
                    "{} in expect `{}` of test \"{}\"",
                    err.describe(),
                    expr_text(model, e),
                    test.name
                )));
                Value::Unknown
            }
        };
        let passed = value == Value::Bool(true);
        let mut ops = Vec::new();
        if !passed {
            for (o, b) in operands(e).into_iter().zip(&plan.operands) {
                let v = program
                    .run_after(*b, lead, now, result.stage, &mut s)
                    .unwrap_or(Value::Unknown);
                ops.push(OperandValue {
                    text: expr_text(model, o),
                    shown: crate::describe::value_text(model, &v),
                    value: v,
                });
            }
        }
        expects.push(ExpectOutcome {
            text: expr_text(model, e),
            passed,
            value,
            operands: ops,
        });
    }
    TestOutcome {
        name: test.name.clone(),
        passed: error.is_none() && expects.iter().all(|e| e.passed),
        result,
        error,
        expects,
    }
}

/// A test's outcome as `mql test` shows it: `ok`/`FAILED`, `place` (the
/// test's file and line) and its name; for a failure, each failing
/// expectation with its operands' values, then the explanation of the
/// test's lead.
pub fn render_test_outcome(
    outcome: &TestOutcome,
    program: &Program,
    model: &Model,
    test: &TestDecl,
    place: &str,
) -> String {
    let mut out = String::new();
    if outcome.passed {
        out.push_str(&format!("ok      {place} {}\n", outcome.name));
        return out;
    }
    out.push_str(&format!("FAILED  {place} {}\n", outcome.name));
    if let Some(e) = &outcome.error {
        out.push_str(&format!("    the lead could not be evaluated: {e}\n"));
    }
    for e in outcome.expects.iter().filter(|e| !e.passed) {
        out.push_str(&format!("    {}\n", e.describe()));
    }
    let ex = crate::explain(program, model, &test.lead, test.as_of);
    out.push_str("    why:\n");
    for line in crate::render_explanation(&ex, model).lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("      {line}\n"));
        }
    }
    out
}
