//! The `mql` command: check, evaluate, explain, test, diff and backtest
//! lead-scoring models.
//! Each verb lives in `src/cmd/`; this file only parses the command line and
//! maps outcomes to the exit codes of the CLI contract (0 ok, 1 rule errors or
//! failed tests, 2 bad usage, unreadable files or, with `--strict`, data errors).

mod cmd;

/// Decoding and evaluating leads allocate many small, short-lived values;
/// mimalloc serves them faster than the system allocator, on every core.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use cmd::examples;

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
    #[command(after_help = examples::CHECK)]
    Check(cmd::check::Args),
    /// Rewrite models in the canonical layout, keeping comments
    #[command(after_help = examples::FMT)]
    Fmt(cmd::fmt::Args),
    /// Score and stage every lead of a data file
    #[command(after_help = examples::EVAL)]
    Eval(cmd::eval::Args),
    /// Explain one lead: criteria, points with decay, tiers and transitions
    #[command(after_help = examples::EXPLAIN)]
    Explain(cmd::explain::Args),
    /// Run the `test` blocks of models
    #[command(after_help = examples::TEST)]
    Test(cmd::test::Args),
    /// Compare two versions of a model on the same leads
    #[command(after_help = examples::DIFF)]
    Diff(cmd::diff::Args),
    /// Measure how well a model predicts a known yes/no outcome of the leads
    #[command(after_help = examples::BACKTEST)]
    Backtest(cmd::backtest::Args),
    /// Print the parsed tree, the compiled bytecode, or the model as a SQL query
    #[command(after_help = examples::COMPILE)]
    Compile(cmd::compile::Args),
    /// Draft a model from a CRM export: fields, source names, types, labels, placeholders
    #[command(after_help = examples::INIT)]
    Init(cmd::init::Args),
    /// Print a shell completion script (bash, zsh, fish or powershell)
    #[command(after_help = examples::COMPLETIONS)]
    Completions(cmd::completions::Args),
    /// Run the language server on stdin/stdout (for editors)
    #[command(after_help = examples::LSP)]
    Lsp,
}

fn main() -> ExitCode {
    quiet_end_on_closed_pipe();
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
        Command::Fmt(args) => cmd::fmt::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Test(args) => cmd::test::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Backtest(args) => cmd::backtest::run(args),
        Command::Compile(args) => cmd::compile::run(args),
        Command::Init(args) => cmd::init::run(args),
        Command::Completions(args) => cmd::completions::run(args, &mut Cli::command()),
        Command::Lsp => mql_lsp::run_stdio(),
    };
    match status {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `mql eval … | head` stops reading early; like `cat` or `grep`, mql then
/// ends quietly instead of reporting a write error (or panicking in a
/// `println!`). Rust ignores SIGPIPE by default; this restores the system's
/// default action, which ends the process when it writes to a closed pipe.
fn quiet_end_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists; it only
    // changes the disposition of one signal to the system default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
