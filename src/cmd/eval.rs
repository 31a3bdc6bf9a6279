//! `mql eval RULES --leads FILE`: score and stage every lead, in input order,
//! on all cores (reading overlaps with evaluating); results on standard output (or `-o FILE`), data issues and a
//! summary on standard error.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::rc::Rc;
use std::sync::mpsc;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use mql_core::LeadRecord;
use mql_data::{DataIssue, IssueKind};
use mql_sema::hir::Model;
use mql_vm::LeadResult;
use rayon::prelude::*;

use super::run::{compile, open_leads, progress_allowed, DataArgs, Runnable};

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
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => {
            Box::new(File::create(path).map_err(|e| anyhow::anyhow!("cannot write `{path}`: {e}"))?)
        }
        None => Box::new(io::stdout()),
    };
    let writer = ResultWriter::new(format, model, BufWriter::with_capacity(1 << 16, out));

    let progress = progress_allowed().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} leads evaluated ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    });

    // Data issues are collected while a chunk is read and printed just
    // before that chunk's results, so standard error reads in input order.
    let pending: Rc<RefCell<Vec<DataIssue>>> = Rc::default();
    let sink = pending.clone();
    let mut leads = open_leads(model, &args.data, move |issue| {
        sink.borrow_mut().push(issue)
    })?;

    // Two stages: this thread reads and decodes leads; a second one evaluates
    // them on every core and writes the results. Reading the next chunk
    // overlaps with evaluating the last.
    let (tx, rx) = mpsc::sync_channel::<Batch>(2);
    let explain = args.explain;
    let (read, written) = std::thread::scope(|scope| {
        let worker =
            scope.spawn(|| evaluate_and_write(&runnable, now, explain, rx, writer, progress));
        let read = (|| -> anyhow::Result<u64> {
            loop {
                let leads_chunk = leads.next_chunk(CHUNK)?;
                let done = leads_chunk.is_empty();
                let issues = std::mem::take(&mut *pending.borrow_mut());
                if tx
                    .send(Batch {
                        leads: leads_chunk,
                        issues,
                    })
                    .is_err()
                    || done
                {
                    // The writer stopped (its error is reported below) or
                    // the input is exhausted.
                    return Ok(leads.leads_read());
                }
            }
        })();
        drop(tx);
        let written = worker.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the evaluation thread stopped unexpectedly"
            ))
        });
        (read, written)
    });
    let tally = written?;
    let leads_read = read?;

    let errors = tally.data_errors + tally.eval_errors;
    let mut summary = format!("leads read: {leads_read}, data errors: {errors}");
    if let Some(stages) = &model.schema.stages {
        let parts: Vec<String> = stages
            .variants
            .iter()
            .zip(&tally.per_stage)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        summary.push_str(&format!(", stages: {}", parts.join(", ")));
    }
    eprintln!("{summary}");
    Ok(if args.strict && errors > 0 { 2 } else { 0 })
}

/// Leads read together, with the data issues met while reading them.
struct Batch {
    leads: Vec<LeadRecord>,
    issues: Vec<DataIssue>,
}

/// What the evaluation stage counted.
struct Tally {
    data_errors: u64,
    eval_errors: u64,
    per_stage: Vec<u64>,
}

fn evaluate_and_write<W: Write>(
    runnable: &Runnable,
    now: i64,
    explain: bool,
    batches: mpsc::Receiver<Batch>,
    mut writer: ResultWriter<'_, W>,
    progress: Option<ProgressBar>,
) -> anyhow::Result<Tally> {
    let model = &runnable.model;
    let say = |line: &str| match &progress {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    };
    let stage_count = model.schema.stages.as_ref().map_or(0, |s| s.variants.len());
    let mut tally = Tally {
        data_errors: 0,
        eval_errors: 0,
        per_stage: vec![0; stage_count],
    };
    for batch in batches {
        for issue in &batch.issues {
            if issue.kind == IssueKind::Error {
                tally.data_errors += 1;
            }
            say(&issue.to_string());
        }
        if batch.leads.is_empty() {
            continue;
        }
        let results = runnable.program.eval_batch(&batch.leads, now, explain);
        drop(batch.leads);
        for r in &results {
            if let Some(e) = &r.error {
                tally.eval_errors += 1;
                say(&format!("evaluation error: lead {}: {e}", r.id));
            }
            if let (Some(stage), Some(stages)) = (r.stage, &model.schema.stages) {
                if let Some(i) = stages.syms.iter().position(|s| *s == stage) {
                    tally.per_stage[i] += 1;
                }
            }
        }
        writer.write_all(&results)?;
        if let Some(bar) = &progress {
            bar.inc(results.len() as u64);
        }
    }
    writer.finish()?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    Ok(tally)
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

    /// Write a chunk of results, in order. The text of the line formats is
    /// rendered on every core; table rows are kept to be aligned at the end.
    fn write_all(&mut self, results: &[LeadResult]) -> io::Result<()> {
        let (model, format) = (self.model, self.format);
        if format == Format::Table {
            self.table
                .extend(results.iter().map(|r| mql_vm::table_row(r, model)));
            self.count += results.len() as u64;
            return Ok(());
        }
        let lines: Vec<String> = results
            .par_iter()
            .map(|r| match format {
                Format::Csv => mql_vm::csv_row(r, model),
                _ => mql_vm::json_line(r, model),
            })
            .collect();
        for line in lines {
            match format {
                Format::Json => {
                    self.out
                        .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
                    self.out.write_all(line.as_bytes())?;
                }
                _ => {
                    if format == Format::Csv && self.count == 0 {
                        writeln!(self.out, "{}", mql_vm::csv_header(model))?;
                    }
                    self.out.write_all(line.as_bytes())?;
                    self.out.write_all(b"\n")?;
                }
            }
            self.count += 1;
        }
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
