//! `mql eval RULES --leads FILE`: score and stage every lead, in input order,
//! on all cores; results on standard output (or `-o FILE`), data issues and a
//! summary on standard error.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};

use clap::ValueEnum;
use mql_report::results::{Format as Output, Labels, Renderer, Shape};
use mql_run::eval::Which;
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
    /// (CSV: a `criterion_NAME` column per criterion)
    #[arg(long)]
    explain: bool,
    /// Copy these input columns or keys into each result, as read (CSV: after the id)
    #[arg(long, value_name = "COL,COL…", value_delimiter = ',')]
    keep: Vec<String>,
    /// Write only the leads whose final stage differs from the stage they started in
    #[arg(long)]
    changed_only: bool,
    /// Write stages, and the enum values a result carries, as their first label:
    /// the value a CRM's picklist expects
    #[arg(long)]
    labels: bool,
    /// Exit with status 2 if any data error occurred, or a declared field that
    /// no column or key fills
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
    if args.explain && format == Format::Table {
        anyhow::bail!(
            "`--explain` does not fit the `table` format; to see why one lead got its result, run `mql explain {} --leads {} --id ID`, or give `--format json` (or `ndjson`, `csv`) for every lead's criteria and points",
            args.rules,
            args.data.leads
        );
    }
    if args.changed_only && runnable.model.schema.stages.is_none() {
        anyhow::bail!(
            "`--changed-only` writes the leads whose stage changed, but `{}` declares no stages",
            args.rules
        );
    }
    let keep: Vec<String> = args
        .keep
        .iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    let mut input = args.data.input();
    input.options.keep = keep.clone();
    let shape = Shape {
        id_name: args.data.id_field.clone().unwrap_or_else(|| "id".into()),
        kept_json: input.keeps_json(),
        keep,
        labels: args.labels.then(|| Labels::of(&runnable.model)),
        criteria: args.explain,
    };
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => {
            Box::new(File::create(path).map_err(|e| anyhow::anyhow!("cannot write `{path}`: {e}"))?)
        }
        None => Box::new(io::stdout()),
    };
    let renderer = Renderer {
        model: &runnable.model,
        format: format.into(),
        shape,
    };
    let settings = Settings {
        now,
        explain: args.explain,
        report_eval_errors: true,
    };
    let done = mql_run::eval::eval(
        &runnable.model,
        &runnable.program,
        &input,
        settings,
        &renderer,
        if args.changed_only {
            Which::Changed
        } else {
            Which::All
        },
        BufWriter::with_capacity(1 << 16, out),
        &mut observer(true),
    )?;
    Ok(if args.strict && done.fails_strict() {
        2
    } else {
        0
    })
}
