//! `mql eval RULES --leads FILE`: score and stage every lead, in input order,
//! on all cores; results on standard output (or `-o FILE`), data issues and a
//! summary on standard error.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::{mpsc, Mutex};

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use mql_core::LeadRecord;
use mql_data::{DataIssue, Decoded, IssueKind, LineDecoder, RawLines};
use mql_sema::hir::Model;

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
    /// Exit with status 2 if any data error occurred, or a declared field that
    /// no column or key fills
    #[arg(long)]
    strict: bool,
    /// Write results to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
}

/// Lines (or leads) a worker takes at a time. A block's text, its leads and
/// their results stay in one core's cache from reading to output, and handing
/// blocks over costs little next to the work in them.
const BLOCK: usize = 256;
/// Blocks read ahead of the one being written, per worker: enough that no
/// worker waits, few enough that memory stays flat.
const AHEAD: usize = 8;

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
    let mut writer = ResultWriter::new(format, model, BufWriter::with_capacity(1 << 16, out));

    let progress = progress_allowed().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} leads evaluated ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    });
    let say = |line: &str| match &progress {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    };

    // Data issues are collected as the reader finds them and printed with
    // the block they belong to, so standard error reads in input order.
    let pending: Rc<RefCell<Vec<DataIssue>>> = Rc::default();
    let sink = pending.clone();
    let mut leads = open_leads(model, &args.data, move |issue| {
        sink.borrow_mut().push(issue)
    })?;
    let take_issues = || std::mem::take(&mut *pending.borrow_mut());

    let stage_count = model.schema.stages.as_ref().map_or(0, |s| s.variants.len());
    let mut tally = Tally {
        data_errors: 0,
        warnings: 0,
        eval_errors: 0,
        per_stage: vec![0; stage_count],
    };
    let print_issues = |issues: Vec<DataIssue>, tally: &mut Tally| {
        for issue in issues {
            match issue.kind {
                IssueKind::Error => tally.data_errors += 1,
                IssueKind::Warning => tally.warnings += 1,
                IssueKind::Note => {}
            }
            say(&issue.to_string());
        }
    };

    // This thread reads blocks of lines and hands them to one worker per
    // core, which decodes, evaluates and renders each lead of its block; the
    // finished blocks come back here and are settled (data issues, duplicate
    // ids) and written in input order.
    let workers = rayon::current_num_threads().max(1);
    let job = Job {
        runnable: &runnable,
        now,
        explain: args.explain,
        format,
    };
    let (work_tx, work_rx) = mpsc::channel::<(u64, Work)>();
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        // Owned here, so that however this ends the workers see the end of
        // the blocks and stop.
        let work_tx = work_tx;
        let (done_tx, done_rx) = mpsc::channel::<Result<Done, ()>>();
        for _ in 0..workers {
            let decoder = leads.line_decoder();
            let (work_rx, done_tx, job) = (&work_rx, done_tx.clone(), &job);
            std::thread::Builder::new()
                .name("mql-eval".into())
                .spawn_scoped(scope, move || work(job, decoder, work_rx, done_tx))
                .map_err(|e| anyhow::anyhow!("cannot start an evaluation thread: {e}"))?;
        }
        drop(done_tx);

        // Issues met while reading each block still in flight (CSV and JSON
        // leads are decoded here), and after the last.
        let mut read_issues: VecDeque<Vec<DataIssue>> = VecDeque::new();
        let mut trailing = Vec::new();
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        // Blocks of lines done with, to read the next lines into.
        let mut spare: Vec<RawLines> = Vec::new();
        let (mut sent, mut written, mut at_end) = (0u64, 0u64, false);
        loop {
            while !at_end && sent - written < (workers * AHEAD) as u64 {
                let spare = spare.pop().unwrap_or_default();
                let work = match leads.next_lines(BLOCK, spare)? {
                    Some(lines) => {
                        at_end = lines.at_end();
                        (!lines.is_empty()).then_some(Work::Lines(lines))
                    }
                    None => {
                        let chunk = leads.next_chunk(BLOCK)?;
                        at_end = chunk.is_empty();
                        (!at_end).then_some(Work::Leads(chunk))
                    }
                };
                match work {
                    Some(work) => {
                        read_issues.push_back(take_issues());
                        work_tx.send((sent, work)).map_err(|_| {
                            anyhow::anyhow!("the evaluation threads stopped unexpectedly")
                        })?;
                        sent += 1;
                    }
                    None => trailing.extend(take_issues()),
                }
            }
            if written == sent {
                break;
            }
            match done_rx.recv() {
                Ok(Ok(done)) => {
                    waiting.insert(done.index, done);
                }
                Ok(Err(())) => anyhow::bail!(
                    "internal error: evaluating the leads stopped unexpectedly; this is a bug in mql, please report it with the rules and the leads file"
                ),
                Err(_) => anyhow::bail!("the evaluation threads stopped unexpectedly"),
            }
            while let Some(done) = waiting.remove(&written) {
                let mut issues = read_issues.pop_front().unwrap_or_default();
                if let Some((lines, decoded)) = done.lines {
                    leads.settle(decoded);
                    spare.push(lines);
                }
                issues.extend(take_issues());
                print_issues(issues, &mut tally);
                for line in &done.errors {
                    say(line);
                }
                tally.eval_errors += done.errors.len() as u64;
                for (total, n) in tally.per_stage.iter_mut().zip(&done.per_stage) {
                    *total += n;
                }
                writer.write(done.text.as_bytes(), done.rows, done.results)?;
                if let Some(bar) = &progress {
                    bar.inc(done.results);
                }
                written += 1;
            }
        }
        drop(work_tx);
        leads.finish();
        trailing.extend(take_issues());
        print_issues(trailing, &mut tally);
        Ok(())
    })?;
    writer.finish()?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

    let errors = tally.data_errors + tally.eval_errors;
    let mut summary = format!("leads read: {}, data errors: {errors}", leads.leads_read());
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
    Ok(if args.strict && (errors > 0 || tally.warnings > 0) {
        2
    } else {
        0
    })
}

/// What the workers need to know.
struct Job<'r> {
    runnable: &'r Runnable,
    now: i64,
    explain: bool,
    format: Format,
}

/// A block for a worker: NDJSON lines to decode, or leads decoded already.
enum Work {
    Lines(RawLines),
    Leads(Vec<LeadRecord>),
}

/// What a worker made of a block.
struct Done {
    index: u64,
    /// The block's lines (their memory to be reused) and their issues and
    /// ids, to settle in input order.
    lines: Option<(RawLines, Decoded)>,
    /// The results in a line format, each line ending with a newline (JSON
    /// array items start with `,\n` instead).
    text: String,
    /// The results as table rows.
    rows: Vec<Vec<String>>,
    results: u64,
    /// `evaluation error: …` lines, in input order.
    errors: Vec<String>,
    per_stage: Vec<u64>,
}

/// What the evaluation counted.
struct Tally {
    data_errors: u64,
    /// Declared fields that nothing fills (they fail `--strict` too).
    warnings: u64,
    eval_errors: u64,
    per_stage: Vec<u64>,
}

/// A worker: take blocks until there are none, and send back what each gave
/// (or, should evaluating one panic, that it did).
fn work(
    job: &Job,
    mut decoder: LineDecoder,
    blocks: &Mutex<mpsc::Receiver<(u64, Work)>>,
    done: mpsc::Sender<Result<Done, ()>>,
) {
    loop {
        let next = match blocks.lock() {
            Ok(blocks) => blocks.recv(),
            Err(_) => return,
        };
        let Ok((index, work)) = next else {
            return;
        };
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            evaluate_block(job, &mut decoder, index, work)
        }));
        if done.send(result.map_err(|_| ())).is_err() {
            return;
        }
    }
}

/// Decode (if need be), evaluate and render the leads of one block, one lead
/// at a time, each dropped as soon as its result is rendered.
fn evaluate_block(job: &Job, decoder: &mut LineDecoder, index: u64, work: Work) -> Done {
    let model = &*job.runnable.model;
    let stages = model.schema.stages.as_ref();
    let mut done = Done {
        index,
        lines: None,
        text: String::new(),
        rows: Vec::new(),
        results: 0,
        errors: Vec::new(),
        per_stage: vec![0; stages.map_or(0, |s| s.variants.len())],
    };
    let mut each = |lead: LeadRecord| {
        let r = job.runnable.program.eval(&lead, job.now, job.explain);
        drop(lead);
        if let Some(e) = &r.error {
            done.errors
                .push(format!("evaluation error: lead {}: {e}", r.id));
        }
        if let (Some(stage), Some(stages)) = (r.stage, stages) {
            if let Some(i) = stages.syms.iter().position(|s| *s == stage) {
                done.per_stage[i] += 1;
            }
        }
        match job.format {
            Format::Table => done.rows.push(mql_vm::table_row(&r, model)),
            Format::Csv => {
                done.text.push_str(&mql_vm::csv_row(&r, model));
                done.text.push('\n');
            }
            Format::Json => {
                done.text.push_str(",\n");
                mql_vm::push_json_line(&mut done.text, &r, model);
            }
            Format::Ndjson => {
                mql_vm::push_json_line(&mut done.text, &r, model);
                done.text.push('\n');
            }
        }
        done.results += 1;
    };
    let lines = match work {
        Work::Lines(lines) => {
            let decoded = decoder.decode(&lines, 0..lines.len(), &mut each);
            Some((lines, decoded))
        }
        Work::Leads(leads) => {
            leads.into_iter().for_each(&mut each);
            None
        }
    };
    done.lines = lines;
    done
}

/// Writes the results of each block in one of the output formats, in order.
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

    /// Write a block's results: `text` in a line format, or table `rows`.
    fn write(&mut self, text: &[u8], rows: Vec<Vec<String>>, results: u64) -> io::Result<()> {
        match self.format {
            Format::Table => self.table.extend(rows),
            Format::Json if self.count == 0 && !text.is_empty() => {
                // The first item's `,\n` becomes the array's opening.
                self.out.write_all(b"[\n")?;
                self.out.write_all(&text[2..])?;
            }
            Format::Csv if self.count == 0 && !text.is_empty() => {
                writeln!(self.out, "{}", mql_vm::csv_header(self.model))?;
                self.out.write_all(text)?;
            }
            _ => self.out.write_all(text)?,
        }
        self.count += results;
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
