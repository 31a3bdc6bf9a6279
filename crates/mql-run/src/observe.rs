//! Who hears about the data issues and evaluation errors of a run, in input
//! order, and prints its summary line.
//!
//! Every verb that reads leads reports through an [`Observer`], so how data
//! issues are shown (one line each today; summarised per kind, or written to
//! a file, later) is decided in one place: the observer the command line
//! picks. [`Console`] prints every issue on standard error as it comes, above
//! an optional progress bar.

use mql_core::LeadId;
use mql_data::DataIssue;
use mql_vm::EvalError;

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
    /// The run's last line (`leads read: …, data errors: …`): anything the
    /// observer held back comes before it.
    fn summary(&mut self, line: &str);
}

/// Prints every data issue and evaluation error on standard error, one line
/// each, above a progress bar when there is one.
#[derive(Default)]
pub struct Console {
    bar: Option<ProgressBar>,
}

impl Console {
    /// Print on standard error, without a progress bar.
    pub fn new() -> Console {
        Console { bar: None }
    }

    /// Print on standard error below a spinner counting the leads evaluated
    /// (for a terminal).
    pub fn with_progress() -> Console {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} leads evaluated ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Console { bar: Some(bar) }
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
        self.say(&issue.to_string());
    }

    fn eval_error(&mut self, id: &LeadId, error: &EvalError) {
        self.say(&format!("evaluation error: lead {id}: {error}"));
    }

    fn progress(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn summary(&mut self, line: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!("{line}");
    }
}
