//! `mql eval RULES --leads FILE`: score and stage every lead, in input order,
//! on all cores; results on standard output (or `-o FILE`), data issues and a
//! summary on standard error.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::rc::Rc;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use mql_data::IssueKind;
use mql_sema::hir::Model;
use mql_vm::LeadResult;

use super::run::{compile, open_leads, progress_allowed, DataArgs};

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

/// Leads evaluated together: big enough to keep every core busy, small enough
/// that memory does not grow with the input.
const CHUNK: usize = 4096;

pub fn run(args: Args) -> anyhow::Result<u8> {
    let now = args.data.now()?;
    let Some(runnable) = compile(&args.rules)? else {
        return Ok(1);
    };
    let model = &runnable.model;
    let format = args.format.unwrap_or_else(|| {
        if args.output.is_none() && io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Ndjson
        }
    });
    let out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(File::create(path).map_err(|e| anyhow::anyhow!("cannot write `{path}`: {e}"))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut writer = ResultWriter::new(format, model, BufWriter::with_capacity(1 << 16, out));

    let progress = progress_allowed().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} leads evaluated ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    });

    let data_errors = Rc::new(Cell::new(0u64));
    let counter = data_errors.clone();
    let bar = progress.clone();
    let mut leads = open_leads(model, &args.data, move |issue| {
        if issue.kind == IssueKind::Error {
            counter.set(counter.get() + 1);
        }
        match &bar {
            Some(bar) => bar.suspend(|| eprintln!("{issue}")),
            None => eprintln!("{issue}"),
        }
    })?;

    let stage_count = model.schema.stages.as_ref().map_or(0, |s| s.variants.len());
    let mut per_stage = vec![0u64; stage_count];
    let mut eval_errors = 0u64;
    loop {
        let chunk = leads.next_chunk(CHUNK)?;
        if chunk.is_empty() {
            break;
        }
        let results = runnable.program.eval_batch(&chunk, now, args.explain);
        for r in &results {
            if let Some(e) = &r.error {
                eval_errors += 1;
                let line = format!("evaluation error: lead {}: {e}", r.id);
                match &progress {
                    Some(bar) => bar.suspend(|| eprintln!("{line}")),
                    None => eprintln!("{line}"),
                }
            }
            if let (Some(stage), Some(stages)) = (r.stage, &model.schema.stages) {
                if let Some(i) = stages.syms.iter().position(|s| *s == stage) {
                    per_stage[i] += 1;
                }
            }
            writer.write(r)?;
        }
        if let Some(bar) = &progress {
            bar.inc(results.len() as u64);
        }
    }
    let leads_read = leads.leads_read();
    drop(leads);
    writer.finish()?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

    let errors = data_errors.get() + eval_errors;
    let mut summary = format!("leads read: {leads_read}, data errors: {errors}");
    if let Some(stages) = &model.schema.stages {
        let parts: Vec<String> = stages
            .variants
            .iter()
            .zip(&per_stage)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        summary.push_str(&format!(", stages: {}", parts.join(", ")));
    }
    eprintln!("{summary}");
    Ok(if args.strict && errors > 0 { 2 } else { 0 })
}

/// Writes results in one of the output formats, in the order given.
struct ResultWriter<'m, W: Write> {
    format: Format,
    model: &'m Model,
    out: W,
    count: u64,
    /// Table rows are aligned once all are known.
    table: Vec<Vec<String>>,
}

impl<'m, W: Write> ResultWriter<'m, W> {
    fn new(format: Format, model: &'m Model, out: W) -> Self {
        ResultWriter {
            format,
            model,
            out,
            count: 0,
            table: Vec::new(),
        }
    }

    fn write(&mut self, r: &LeadResult) -> io::Result<()> {
        match self.format {
            Format::Ndjson => mql_vm::write_json(r, self.model, &mut self.out)?,
            Format::Json => {
                self.out
                    .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
                self.out
                    .write_all(mql_vm::json_line(r, self.model).as_bytes())?;
            }
            Format::Csv => {
                if self.count == 0 {
                    writeln!(self.out, "{}", mql_vm::csv_header(self.model))?;
                }
                writeln!(self.out, "{}", mql_vm::csv_row(r, self.model))?;
            }
            Format::Table => self.table.push(mql_vm::table_row(r, self.model)),
        }
        self.count += 1;
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json => {
                self.out
                    .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
            }
            Format::Csv if self.count == 0 => {
                writeln!(self.out, "{}", mql_vm::csv_header(self.model))?;
            }
            Format::Table => {
                let header = mql_vm::table_header(self.model);
                self.out
                    .write_all(mql_vm::render_table(&header, &self.table).as_bytes())?;
            }
            _ => {}
        }
        self.out.flush()
    }
}
