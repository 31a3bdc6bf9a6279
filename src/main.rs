//! The `mql` command: check, evaluate, explain and test lead-scoring models.
//! Each verb lives in `src/cmd/`; this file only parses the command line and
//! maps outcomes to the exit codes of the CLI contract (0 ok, 1 rule errors or
//! failed tests, 2 bad usage, unreadable files or, with `--strict`, data errors).

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "mql",
    version,
    about = "Lead qualification rules as code: check, evaluate, explain and test .mql models"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check models; print diagnostics; exit 1 if any error
    Check(cmd::check::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let status = match cli.command {
        Command::Check(args) => cmd::check::run(args),
    };
    match status {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
