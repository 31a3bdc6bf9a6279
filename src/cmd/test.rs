//! `mql test FILE…`: run every `test` block of the models through the same VM
//! as `eval`; a failing `expect` shows each operand's value and the lead's
//! explanation. Ends with `N passed, N failed`; exit 1 on any failure.

use mql_core::LineIndex;

use super::common::load_runnable;

#[derive(clap::Args)]
pub struct Args {
    /// The model files whose tests to run
    #[arg(required = true)]
    files: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let (mut passed, mut failed) = (0u64, 0u64);
    let mut broken = false;
    for path in &args.files {
        let Some(loaded) = load_runnable(path)? else {
            broken = true;
            continue;
        };
        let Some(model) = loaded.checked.model.clone() else {
            broken = true;
            continue;
        };
        let program = mql_vm::compile(&model);
        let text = loaded.text_of(&loaded.path);
        let index = LineIndex::new(&text);
        for test in &model.tests {
            let outcome = mql_vm::run_test(&program, &model, test);
            let line = index.line(test.origin.span.start);
            let place = format!("{}:{line}", loaded.path);
            if outcome.passed {
                passed += 1;
            } else {
                failed += 1;
            }
            print!(
                "{}",
                mql_vm::render_test_outcome(&outcome, &program, &model, test, &place)
            );
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed > 0 || broken { 1 } else { 0 })
}
