//! `mql fmt [--check] FILE…`: rewrite models in the canonical layout, keeping
//! every comment; with `--check`, only report the files that would change.

use super::common::stderr_color;

#[derive(clap::Args)]
pub struct Args {
    /// The model files to format
    #[arg(required = true)]
    files: Vec<String>,
    /// Do not write; exit 1 if a file is not formatted
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let color = stderr_color();
    let (mut unformatted, mut broken, mut unreadable) = (0, 0, 0);
    for path in &args.files {
        let text = match mql_core::input::read_model_file(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                unreadable += 1;
                continue;
            }
        };
        match mql_syntax::format(&text) {
            Err(diags) => {
                eprint!(
                    "{}",
                    mql_syntax::render::render_all(&diags, path, &text, color)
                );
                eprintln!("{path}: not formatted, fix the syntax errors first");
                broken += 1;
            }
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                unformatted += 1;
                if args.check {
                    eprintln!("{path}: would be reformatted (run `mql fmt {path}`)");
                } else if let Err(e) = std::fs::write(path, formatted) {
                    eprintln!("error: cannot write `{path}`: {e}");
                    unreadable += 1;
                } else {
                    eprintln!("{path}: formatted");
                }
            }
        }
    }
    Ok(if unreadable > 0 {
        2
    } else if broken > 0 || (args.check && unformatted > 0) {
        1
    } else {
        0
    })
}
