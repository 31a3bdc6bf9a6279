//! `mql eval RULES --leads FILE`: score and stage every lead, in input order,
//! on all cores; results on standard output (or `-o FILE`), data issues and a
//! summary on standard error.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};

use clap::ValueEnum;
use mql_report::results::{Format as Output, Renderer};
use mql_run::Settings;

use super::run::{compile, observer, DataArgs};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, for people (scores rounded to two decimals)
    Table,
    /// One JSON array
    Json,
    /// One JSON object a line
    Ndjson,
    /// Comma-separated values with a header line
    Csv,
}

impl From<Format> for Output {
    fn from(f: Format) -> Output {
        match f {
            Format::Table => Output::Table,
            Format::Json => Output::Json,
            Format::Ndjson => Output::Ndjson,
            Format::Csv => Output::Csv,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// The model file
    rules: String,
    #[command(flatten)]
    data: DataArgs,
    /// Output format (default: `table` on a terminal, `ndjson` otherwise)
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Add each criterion's value and each rule's points to every result
    #[arg(long)]
    explain: bool,
    /// Exit with status 2 if any data error occurred
    #[arg(long)]
    strict: bool,
    /// Write results to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let now = args.data.now()?;
    let Some(runnable) = compile(&args.rules)? else {
        return Ok(1);
    };
    let format = args.format.unwrap_or_else(|| {
        if args.output.is_none() && io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Ndjson
        }
    });
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => {
            Box::new(File::create(path).map_err(|e| anyhow::anyhow!("cannot write `{path}`: {e}"))?)
        }
        None => Box::new(io::stdout()),
    };
    let renderer = Renderer {
        model: &runnable.model,
        format: format.into(),
    };
    let settings = Settings {
        now,
        explain: args.explain,
        report_eval_errors: true,
    };
    let done = mql_run::eval::eval(
        &runnable.model,
        &runnable.program,
        &args.data.input(),
        settings,
        &renderer,
        BufWriter::with_capacity(1 << 16, out),
        &mut observer(true),
    )?;
    Ok(if args.strict && done.errors() > 0 {
        2
    } else {
        0
    })
}
