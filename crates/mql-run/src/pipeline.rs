//! The block pipeline: one model (or several, read side by side) over a lead
//! source on every core, with what each lead gave handed back in input order.
//!
//! The calling thread splits the leads file into blocks of 256 NDJSON lines
//! ([`LeadReader::next_lines`]; CSV and JSON leads are decoded on the calling
//! thread instead, 256 at a time). A worker per core takes a block and, lead
//! by lead, decodes it (one [`LineDecoder`] per reading), evaluates it with
//! each reading's program and hands the lead and its results to the [`Job`],
//! which adds what it needs to the block's part (rendered lines, counts…) and
//! drops the lead, so a lead stays in one core's cache from text to result.
//! Finished blocks come back to the calling thread, which settles them in
//! input order ([`LeadReader::settle`]: data issues, duplicate ids), tells the
//! [`Observer`] the block's data issues and evaluation errors, and gives the
//! part to its consumer. The result does not depend on the number of workers.
//!
//! Several readings (for `mql diff`, one per version of the model) read the
//! same leads, each by its own schema: the lines are split once and decoded
//! by each reading's decoder. A data issue that more than one reading finds
//! is told once.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::{mpsc, Mutex};

use mql_core::{LeadId, LeadRecord, Schema};
use mql_data::{DataIssue, Decoded, LeadReader, LineDecoder, RawLines};
use mql_vm::{EvalError, LeadResult, Program};

use crate::input::{open, Input};
use crate::observe::Observer;

/// Lines (or leads) a worker takes at a time. A block's text, its leads and
/// their results stay in one core's cache from reading to output, and handing
/// blocks over costs little next to the work in them.
pub const BLOCK: usize = 256;
/// Blocks read ahead of the one being handed back, per worker: enough that
/// no worker waits, few enough that memory stays flat.
const AHEAD: usize = 8;

/// A way to read and evaluate the leads: the schema they are decoded by (the
/// model's own, or one with extra columns such as a backtest's outcome) and
/// the compiled model.
#[derive(Clone, Copy)]
pub struct Reading<'a> {
    pub schema: &'a Schema,
    pub program: &'a Program,
    /// A field of `schema` that is no field of the model (a backtest's
    /// outcome column): that nothing fills it is not warned about, as a
    /// field to declare; the verb says so in its own words.
    pub added: Option<&'a str>,
}

impl<'a> Reading<'a> {
    /// The model's own schema and program.
    pub fn new(schema: &'a Schema, program: &'a Program) -> Reading<'a> {
        Reading {
            schema,
            program,
            added: None,
        }
    }

    /// Whether an issue is told: not the warning about the added field.
    fn tells(&self, issue: &DataIssue) -> bool {
        !(issue.is_warning() && issue.field.is_some() && issue.field.as_deref() == self.added)
    }
}

/// How to evaluate.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The evaluation instant, in milliseconds since the epoch.
    pub now: i64,
    /// Results carry criteria and per-rule contributions.
    pub explain: bool,
    /// Tell the observer of leads that could not be evaluated.
    pub report_eval_errors: bool,
}

/// One lead as each reading decoded and evaluated it (same order as the
/// readings).
pub struct Lead<'a> {
    pub records: &'a [LeadRecord],
    pub results: &'a [LeadResult],
}

/// What a run does with each lead, on the workers.
pub trait Job: Sync {
    /// What the workers make of one block; handed back in input order.
    type Part: Send;
    /// An empty part, for a new block.
    fn part(&self) -> Self::Part;
    /// Add one lead to its block's part.
    fn lead(&self, part: &mut Self::Part, lead: Lead<'_>);
}

/// What a run counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Leads read (bad lines and rows, which give no lead, not counted).
    pub leads_read: u64,
    /// Records met: the leads read and the lines, rows or objects skipped
    /// as data errors.
    pub records: u64,
    /// Data errors told to the observer.
    pub data_errors: u64,
    /// Warnings told to the observer: declared fields that nothing fills
    /// (they fail a `--strict` run like data errors).
    pub warnings: u64,
    /// Results that could not be evaluated (a lead counts once per reading
    /// that failed on it).
    pub eval_errors: u64,
    /// Kept columns (`--keep`) no record had, each with the closest key the
    /// data has (JSON and NDJSON; a CSV file without the column is refused
    /// when its header is read).
    pub kept_missing: Vec<(String, Option<String>)>,
}

/// A block for a worker: NDJSON lines to decode, or leads decoded already
/// (one list per reading).
enum Work {
    Lines(RawLines),
    Leads(Vec<Vec<LeadRecord>>),
}

/// What a worker made of a block.
struct Done<P> {
    index: u64,
    /// The block's lines (their memory to be reused) and, per reading, their
    /// issues and ids to settle in input order.
    lines: Option<(RawLines, Vec<Decoded>)>,
    part: P,
    count: u64,
    /// Leads that could not be evaluated, in input order.
    errors: Vec<(LeadId, EvalError)>,
}

/// Data issues collected per reading, to be told in order.
struct Pending(Vec<Rc<RefCell<Vec<DataIssue>>>>);

impl Pending {
    fn take(&self) -> Vec<Vec<DataIssue>> {
        self.0
            .iter()
            .map(|p| std::mem::take(&mut *p.borrow_mut()))
            .collect()
    }
}

/// Tell the observer a group of issues: the first reading's, then each
/// other reading's that no earlier one found.
fn tell(groups: Vec<Vec<DataIssue>>, observer: &mut dyn Observer, summary: &mut Summary) {
    let several = groups.len() > 1;
    let mut told: HashSet<String> = HashSet::new();
    for (k, group) in groups.into_iter().enumerate() {
        for issue in group {
            if several {
                let text = issue.to_string();
                if k > 0 && told.contains(&text) {
                    continue;
                }
                told.insert(text);
            }
            if issue.is_error() {
                summary.data_errors += 1;
            } else if issue.is_warning() {
                summary.warnings += 1;
            }
            observer.issue(&issue);
        }
    }
}

/// Run `readings` over the leads of `input`: each lead goes to `job` on a
/// worker, and each block's part to `take` on this thread, in input order.
pub fn run<J: Job>(
    readings: &[Reading],
    input: &Input,
    settings: Settings,
    job: &J,
    observer: &mut dyn Observer,
    mut take: impl FnMut(J::Part) -> anyhow::Result<()>,
) -> anyhow::Result<Summary> {
    if readings.is_empty() {
        anyhow::bail!("internal error: a run needs a model to evaluate");
    }
    let pending = Pending(readings.iter().map(|_| Rc::default()).collect());
    let mut readers: Vec<LeadReader> = Vec::with_capacity(readings.len());
    for (reading, sink) in readings.iter().zip(&pending.0) {
        let sink = sink.clone();
        let reading = *reading;
        let fields = reading.program.event_fields_read();
        readers.push(open(reading.schema, input, Some(fields), move |issue| {
            if reading.tells(&issue) {
                sink.borrow_mut().push(issue)
            }
        })?);
    }
    let mut summary = Summary::default();

    let workers = rayon::current_num_threads().max(1);
    let (work_tx, work_rx) = mpsc::channel::<(u64, Work)>();
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        // Owned here, so that however this ends the workers see the end of
        // the blocks and stop.
        let work_tx = work_tx;
        let (done_tx, done_rx) = mpsc::channel::<Result<Done<J::Part>, ()>>();
        for _ in 0..workers {
            let decoders: Vec<LineDecoder> = readers.iter().map(|r| r.line_decoder()).collect();
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            std::thread::Builder::new()
                .name("mql-eval".into())
                .spawn_scoped(scope, move || {
                    work(readings, settings, job, decoders, work_rx, done_tx)
                })
                .map_err(|e| anyhow::anyhow!("cannot start an evaluation thread: {e}"))?;
        }
        drop(done_tx);

        // Issues met while reading each block still in flight (CSV and JSON
        // leads are decoded here), and after the last.
        let mut read_issues: VecDeque<Vec<Vec<DataIssue>>> = VecDeque::new();
        let mut trailing: Vec<Vec<DataIssue>> = vec![Vec::new(); readers.len()];
        let mut waiting: BTreeMap<u64, Done<J::Part>> = BTreeMap::new();
        // Blocks of lines done with, to read the next lines into.
        let mut spare: Vec<RawLines> = Vec::new();
        let (mut sent, mut handed, mut at_end) = (0u64, 0u64, false);
        loop {
            while !at_end && sent - handed < (workers * AHEAD) as u64 {
                let block = spare.pop().unwrap_or_default();
                let work = match readers[0].next_lines(BLOCK, block)? {
                    Some(lines) => {
                        at_end = lines.at_end();
                        (!lines.is_empty()).then_some(Work::Lines(lines))
                    }
                    None => {
                        let mut chunks = Vec::with_capacity(readers.len());
                        for reader in &mut readers {
                            chunks.push(reader.next_chunk(BLOCK)?);
                        }
                        // Every reading finds the same records, however
                        // their schemas differ.
                        at_end = chunks.iter().any(Vec::is_empty);
                        (!at_end).then_some(Work::Leads(chunks))
                    }
                };
                match work {
                    Some(work) => {
                        read_issues.push_back(pending.take());
                        work_tx.send((sent, work)).map_err(|_| {
                            anyhow::anyhow!("the evaluation threads stopped unexpectedly")
                        })?;
                        sent += 1;
                    }
                    None => {
                        for (all, new) in trailing.iter_mut().zip(pending.take()) {
                            all.extend(new);
                        }
                    }
                }
            }
            if handed == sent {
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
            while let Some(done) = waiting.remove(&handed) {
                let mut issues = read_issues.pop_front().unwrap_or_default();
                if let Some((lines, decoded)) = done.lines {
                    for (reader, decoded) in readers.iter_mut().zip(decoded) {
                        reader.settle(decoded);
                    }
                    spare.push(lines);
                }
                issues.resize_with(readers.len(), Vec::new);
                for (all, new) in issues.iter_mut().zip(pending.take()) {
                    all.extend(new);
                }
                tell(issues, observer, &mut summary);
                for (id, error) in &done.errors {
                    summary.eval_errors += 1;
                    if settings.report_eval_errors {
                        observer.eval_error(id, error);
                    }
                }
                observer.progress(done.count);
                take(done.part)?;
                handed += 1;
            }
        }
        drop(work_tx);
        for reader in &mut readers {
            reader.finish();
        }
        for (all, new) in trailing.iter_mut().zip(pending.take()) {
            all.extend(new);
        }
        tell(trailing, observer, &mut summary);
        Ok(())
    })?;
    summary.leads_read = readers[0].leads_read();
    summary.records = readers[0].records_seen();
    summary.kept_missing = readers[0].kept_missing();
    observer.records(summary.records, summary.leads_read);
    Ok(summary)
}

/// A worker: take blocks until there are none, and send back what each gave
/// (or, should evaluating one panic, that it did).
fn work<J: Job>(
    readings: &[Reading],
    settings: Settings,
    job: &J,
    mut decoders: Vec<LineDecoder>,
    blocks: &Mutex<mpsc::Receiver<(u64, Work)>>,
    done: mpsc::Sender<Result<Done<J::Part>, ()>>,
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
            evaluate_block(readings, settings, job, &mut decoders, index, work)
        }));
        if done.send(result.map_err(|_| ())).is_err() {
            return;
        }
    }
}

/// Decode (if need be) and evaluate the leads of one block, one lead at a
/// time, each dropped as soon as the job has seen it.
fn evaluate_block<J: Job>(
    readings: &[Reading],
    settings: Settings,
    job: &J,
    decoders: &mut [LineDecoder],
    index: u64,
    work: Work,
) -> Done<J::Part> {
    let mut done = Done {
        index,
        lines: None,
        part: job.part(),
        count: 0,
        errors: Vec::new(),
    };
    let mut each = |records: &[LeadRecord]| {
        let eval = |(reading, lead): (&Reading, &LeadRecord)| {
            reading.program.eval(lead, settings.now, settings.explain)
        };
        // One reading (all but `mql diff`) needs no list of results.
        let one;
        let several: Vec<LeadResult>;
        let results: &[LeadResult] = match (readings, records) {
            ([reading], [lead]) => {
                one = eval((reading, lead));
                std::slice::from_ref(&one)
            }
            _ => {
                several = readings.iter().zip(records).map(eval).collect();
                &several
            }
        };
        for r in results {
            if let Some(e) = &r.error {
                done.errors.push((r.id.clone(), e.clone()));
            }
        }
        job.lead(&mut done.part, Lead { records, results });
        done.count += 1;
    };
    match work {
        Work::Lines(lines) => {
            let range = 0..lines.len();
            // The other readings' leads first, to go with the first's as it
            // decodes them one by one.
            let Some((first, others)) = decoders.split_first_mut() else {
                return done;
            };
            let mut decoded = Vec::with_capacity(readings.len());
            let mut other_leads: Vec<std::vec::IntoIter<LeadRecord>> = Vec::new();
            let mut other_decoded = Vec::new();
            for decoder in others {
                let mut leads = Vec::with_capacity(lines.len());
                other_decoded.push(decoder.decode(&lines, range.clone(), |l| leads.push(l)));
                other_leads.push(leads.into_iter());
            }
            let mut set: Vec<LeadRecord> = Vec::with_capacity(readings.len());
            decoded.push(first.decode(&lines, range, |lead| {
                set.clear();
                set.push(lead);
                // A line gives a lead to every reading or to none.
                set.extend(other_leads.iter_mut().filter_map(Iterator::next));
                if set.len() == readings.len() {
                    each(&set);
                }
                set.clear();
            }));
            decoded.extend(other_decoded);
            done.lines = Some((lines, decoded));
        }
        Work::Leads(chunks) => {
            let mut iters: Vec<_> = chunks.into_iter().map(Vec::into_iter).collect();
            let mut set: Vec<LeadRecord> = Vec::with_capacity(readings.len());
            'leads: loop {
                set.clear();
                for it in &mut iters {
                    match it.next() {
                        Some(lead) => set.push(lead),
                        None => break 'leads,
                    }
                }
                each(&set);
            }
        }
    }
    done
}
