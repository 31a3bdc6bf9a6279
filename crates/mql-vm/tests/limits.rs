//! The deepest expressions the language accepts (`mql_syntax::MAX_DEPTH`
//! levels of brackets, `MAX_OPERATORS` operators in one declaration) go
//! through the whole pipeline — parse, format, check, compile, the model's
//! tests, evaluation, explanation — on a thread with a small stack; one
//! level or operator more is a clear error, not a crash.

use mql_core::{LeadId, LeadRecord, Value};
use mql_syntax::{MAX_DEPTH, MAX_OPERATORS};

/// Run `f` on a thread with a 1 MiB stack (smaller than any the tool runs
/// on: the language server's threads have 2 MiB).
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("no panic")
}

/// `n` copies of `item` joined by `op`.
fn chain(item: &str, op: &str, n: usize) -> String {
    vec![item; n].join(&format!(" {op} "))
}

/// A model whose every expression has `ops` operators (the declaration's
/// `=`, `=>` and comparisons counted) or `depth` levels of brackets.
fn model(ops: usize, depth: usize) -> String {
    let parens = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
    format!(
        "lead {{ a: int }}\n\
         event e {{ x: int }}\n\
         let s = {}\n\
         let p = {parens} + 1\n\
         criterion c = {}\n\
         criterion d = s > 0 and p > 1\n\
         score sc {{\n  {} > 0 => +1\n}}\n\
         score ev {{\n  each e where {} => +2\n}}\n\
         tier t {{\n  hot when {}\n  cold otherwise\n}}\n\
         stages s1, s2\n\
         transition s1 -> s2 when {}\n\
         test \"deep\" {{\n  lead {{ a: 2 }}\n  events {{ e {{ x: 3 }} at @2026-01-01 }}\n  as_of @2026-02-01\n  expect {} and d\n}}\n",
        // `=` and ops-1 `+`
        chain("a", "+", ops),
        // `=`, and pairs of `>` and `or`
        chain("a > 1", "or", ops / 2),
        // ops-3 `-`, `>`, `=>` and the sign of `+1`
        chain("a", "-", ops - 2),
        // `where` is not an operator: `>` and `and`, `=>` and `+`
        chain("x > 1", "and", ops / 2 - 1),
        chain("a > 1", "or", ops / 2),
        chain("c", "or", ops),
        chain("c", "and", ops - 1),
    )
}

fn lead() -> LeadRecord {
    LeadRecord {
        id: LeadId::Str("a".into()),
        fields: Box::new([Value::Int(2)]),
        stage: None,
        stage_since: None,
        events: Vec::new(),
    }
}

#[test]
fn the_deepest_model_accepted_runs_everywhere_on_a_small_stack() {
    let text = model(MAX_OPERATORS, MAX_DEPTH);
    let report = on_small_stack(move || {
        let parsed = mql_syntax::parse(&text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{:?}",
            parsed
                .diagnostics
                .iter()
                .map(|d| &d.label)
                .collect::<Vec<_>>()
        );
        let once = mql_syntax::format(&text).expect("formats");
        let twice = mql_syntax::format(&once).expect("formats again");
        assert_eq!(once, twice);
        let _ = mql_syntax::tree::to_sexpr(&parsed);
        let checked = mql_sema::check_source("deep.mql", &text);
        let model = checked.model.expect("the model checks");
        let program = mql_vm::compile(&model);
        let _ = program.disassemble(&|_, _| None);
        let outcome = mql_vm::run_test(&program, &model, &model.tests[0]);
        assert!(outcome.passed, "{:?}", outcome.error);
        let result = program.eval(&lead(), 0, true);
        assert_eq!(result.error, None);
        let explanation = mql_vm::explain(&program, &model, &lead(), 0);
        let shown = mql_vm::render_explanation(&explanation, &model);
        for e in model.values.iter().map(|v| &v.expr) {
            let _ = mql_vm::expr_text(&model, e);
        }
        shown.len()
    });
    assert!(report > 0);
}

#[test]
fn one_operator_or_level_more_is_a_clear_error() {
    for (ops, depth, words) in [
        (MAX_OPERATORS + 1, MAX_DEPTH, "at most 4096 operators"),
        (MAX_OPERATORS, MAX_DEPTH + 1, "at most 64 levels"),
    ] {
        let text = model(ops, depth);
        let found = on_small_stack(move || {
            let checked = mql_sema::check_source("deep.mql", &text);
            assert!(checked.model.is_none());
            checked
                .diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "{} {} {}",
                        d.code,
                        d.message,
                        d.help.clone().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
        });
        assert!(
            found.iter().any(
                |d| d.starts_with("E0016 this expression is nested too deeply")
                    && d.contains(words)
            ),
            "{found:?}"
        );
    }
}
