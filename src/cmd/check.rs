//! `mql check FILE…`: parse and type-check models and print their diagnostics.

use clap::ValueEnum;

use super::common::{diagnostic_json, load, print_diagnostics, stderr_color, Texts};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Rendered for people, with the source excerpt
    Text,
    /// One JSON object per diagnostic and line, for CI pipelines
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The model files to check
    #[arg(required = true)]
    files: Vec<String>,
    /// How to print diagnostics
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let color = stderr_color();
    let mut errors = 0;
    let mut unreadable = false;
    for path in &args.files {
        let loaded = match load(path) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {e}");
                unreadable = true;
                continue;
            }
        };
        errors += loaded.errors();
        match args.format {
            Format::Text => {
                print_diagnostics(&loaded, color);
                eprintln!(
                    "{}: {} error(s), {} warning(s)",
                    loaded.path,
                    loaded.errors(),
                    loaded.warnings()
                );
            }
            Format::Json => {
                let mut texts = Texts::default();
                for d in &loaded.checked.diagnostics {
                    println!("{}", diagnostic_json(&loaded, d, &mut texts));
                }
            }
        }
    }
    Ok(if unreadable {
        2
    } else if errors > 0 {
        1
    } else {
        0
    })
}
