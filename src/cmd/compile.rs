//! `mql compile RULES --emit ast|bytecode`: show the parsed tree or the
//! compiled program, annotated with the source lines it comes from.

use clap::ValueEnum;
use mql_core::LineIndex;

use super::common::{load, print_diagnostics, stderr_color};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Emit {
    /// The syntax tree of the file
    Ast,
    /// The disassembled bytecode
    Bytecode,
}

#[derive(clap::Args)]
pub struct Args {
    /// The model file
    rules: String,
    /// What to print
    #[arg(long, value_enum)]
    emit: Emit,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let loaded = load(&args.rules)?;
    match args.emit {
        Emit::Ast => {
            let text = loaded.text_of(&loaded.path);
            let ast = mql_syntax::parse(&text);
            print!("{}", mql_syntax::tree::to_sexpr(&ast));
            if !ast.diagnostics.is_empty() {
                print_diagnostics(&loaded, stderr_color());
                return Ok(1);
            }
            Ok(0)
        }
        Emit::Bytecode => {
            let Some(model) = loaded.checked.model.clone() else {
                print_diagnostics(&loaded, stderr_color());
                return Ok(1);
            };
            let program = mql_vm::compile(&model);
            let sources: Vec<(std::sync::Arc<str>, LineIndex)> = model
                .files
                .iter()
                .map(|f| {
                    let text = loaded.text_of(f);
                    let index = LineIndex::new(&text);
                    (text, index)
                })
                .collect();
            let line_text = |file: u32, line: u32| -> Option<String> {
                let (text, index) = sources.get(file as usize)?;
                let start = index.line_start(line.checked_sub(1)? as usize)? as usize;
                let rest = text.get(start..)?;
                Some(rest.lines().next().unwrap_or("").trim_end().to_string())
            };
            print!("{}", program.disassemble(&line_text));
            Ok(0)
        }
    }
}
