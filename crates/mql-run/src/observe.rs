//! Who hears about the data issues and evaluation errors of a run, in input
//! order, and prints its summary line.
//!
//! Every verb that reads leads reports through an [`Observer`], so how data
//! issues are shown is decided in one place: the observer the command line
//! picks. [`Console`] writes on standard error, above an optional progress
//! bar: the first errors of each kind, then how many more there were and a
//! count per kind before the summary ([`crate::errors::Grouped`]); or, for
//! `--errors -`, every issue as NDJSON; and, for `--errors FILE`, every issue
//! as NDJSON into that file as well.

use std::io::Write;

use mql_core::LeadId;
use mql_data::DataIssue;
use mql_vm::EvalError;

use crate::errors::{ndjson_line, Grouped};

use indicatif::{ProgressBar, ProgressStyle};

/// Receives what a run finds, on the thread that drives the run, in input
/// order: a block's data issues in line order, then its evaluation errors;
/// the events that found no lead last.
pub trait Observer {
    /// A data error, warning or note.
    fn issue(&mut self, issue: &DataIssue);
    /// A lead that could not be evaluated.
    fn eval_error(&mut self, id: &LeadId, error: &EvalError);
    /// `n` more leads were evaluated.
    fn progress(&mut self, _n: u64) {}
    /// The run read `records` records (lines, rows or objects), of which
    /// `leads` were leads and the rest skipped as data errors; told once, at
    /// the end, before the summary.
    fn records(&mut self, _records: u64, _leads: u64) {}
    /// The run's last line (`leads read: …, data errors: …`): anything the
    /// observer held back comes before it.
    fn summary(&mut self, line: &str);
}

/// How [`Console`] shows data issues on standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shown {
    /// Notes and warnings as they come; the first data errors of each kind,
    /// then at the end how many more of each kind there were and a count per
    /// kind.
    #[default]
    Summarised,
    /// `--quiet`: the warnings, the count per kind and the summary only.
    Quiet,
    /// `--errors -`: every data error, note and warning as an NDJSON line.
    Ndjson,
}

/// Writes a run's data issues and evaluation errors on standard error as
/// [`Shown`] says, above a progress bar when there is one, and every issue
/// into an NDJSON file when one is given.
pub struct Console {
    bar: Option<ProgressBar>,
    shown: Shown,
    grouped: Grouped,
    file: Option<Box<dyn Write>>,
    /// The first failure to write the NDJSON file.
    failed: Option<std::io::Error>,
    records: Option<(u64, u64)>,
}

impl Default for Console {
    fn default() -> Console {
        Console::new()
    }
}

impl Console {
    /// Summarised on standard error, without a progress bar.
    pub fn new() -> Console {
        Console {
            bar: None,
            shown: Shown::Summarised,
            grouped: Grouped::new(),
            file: None,
            failed: None,
            records: None,
        }
    }

    /// Show issues this way.
    pub fn shown(mut self, shown: Shown) -> Console {
        self.shown = shown;
        self
    }

    /// Also write every data error, note and warning to `file`, one NDJSON
    /// line each (`--errors FILE`).
    pub fn errors_to(mut self, file: Box<dyn Write>) -> Console {
        self.file = Some(file);
        self
    }

    /// Below a spinner counting the leads evaluated (for a terminal).
    pub fn with_progress(mut self) -> Console {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} leads evaluated ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        self.bar = Some(bar);
        self
    }

    /// The data errors grouped by kind so far.
    pub fn grouped(&self) -> &Grouped {
        &self.grouped
    }

    /// Flush the NDJSON file; the first error met writing it, if any.
    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

impl Drop for Console {
    /// A run that stops early leaves no spinner behind.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Console {
    fn issue(&mut self, issue: &DataIssue) {
        if let (Some(file), None) = (&mut self.file, &self.failed) {
            if let Err(e) = writeln!(file, "{}", ndjson_line(issue)) {
                self.failed = Some(e);
            }
        }
        let first_of_kind = self.grouped.add(issue);
        let show = match self.shown {
            Shown::Ndjson => {
                self.say(&ndjson_line(issue));
                return;
            }
            Shown::Summarised => !issue.is_error() || first_of_kind,
            Shown::Quiet => issue.is_warning(),
        };
        if show {
            self.say(&issue.to_string());
        }
    }

    fn eval_error(&mut self, id: &LeadId, error: &EvalError) {
        if self.shown != Shown::Quiet {
            self.say(&format!("evaluation error: lead {id}: {error}"));
        }
    }

    fn progress(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn records(&mut self, records: u64, leads: u64) {
        self.records = Some((records, leads));
    }

    fn summary(&mut self, line: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.shown != Shown::Ndjson && self.grouped.errors() > 0 {
            if self.shown == Shown::Summarised {
                for more in self.grouped.more_lines() {
                    eprintln!("{more}");
                }
            }
            for row in self.grouped.table() {
                eprintln!("{row}");
            }
            // When records were skipped, how they add up to the leads read.
            if let Some((records, leads)) = self.records.filter(|(r, l)| r > l) {
                eprintln!("{}", records_line(records, leads));
            }
        }
        eprintln!("{line}");
    }
}

/// `records read: 61 = 58 leads + 3 skipped as data errors`: the counts add up.
pub fn records_line(records: u64, leads: u64) -> String {
    let skipped = records.saturating_sub(leads);
    format!("records read: {records} = {leads} leads + {skipped} skipped as data errors")
}
