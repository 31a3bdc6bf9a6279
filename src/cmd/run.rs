//! What the verbs that evaluate leads share: the `--as-of` instant, the data
//! options, compiling a checked model, and the observer their data issues
//! are reported to.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context;
use mql_core::time::{parse_time, TimeSyntax};
use mql_data::{InputFormat, ReadOptions};
use mql_run::{Console, Input};
use mql_sema::hir::Model;
use mql_vm::Program;

use super::common::load_runnable;

/// Options shared by every verb that reads lead data.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// The leads: JSON (an array), NDJSON, CSV or an Excel workbook (.xlsx);
    /// `-` for standard input
    #[arg(long, value_name = "FILE")]
    pub leads: String,
    /// A separate events file (NDJSON, CSV or .xlsx), each event with its `lead_id`
    #[arg(long, value_name = "FILE")]
    pub events: Option<String>,
    /// The instant to evaluate at: an RFC 3339 time or a date (default: now)
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// The key or column that holds the lead id (default `id`)
    #[arg(long, value_name = "NAME")]
    pub id_field: Option<String>,
    /// The leads file's format, when its extension does not tell
    #[arg(long, value_name = "FORMAT", value_parser = ["json", "ndjson", "jsonl", "csv", "xlsx"])]
    pub input_format: Option<String>,
    /// The sheet of a leads workbook to read (default: the first)
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// The sheet of an events workbook to read (default: the first)
    #[arg(long, value_name = "NAME")]
    pub events_sheet: Option<String>,
}

impl DataArgs {
    pub fn now(&self) -> anyhow::Result<i64> {
        match &self.as_of {
            Some(text) => parse_time(text.trim(), TimeSyntax::Literal).with_context(|| {
                format!(
                    "`--as-of {text}` is not a time; write a date like 2026-11-01 or an instant like 2026-11-01T09:30:00Z"
                )
            }),
            None => Ok(std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)),
        }
    }

    /// Where the leads come from and how to read them.
    pub fn input(&self) -> Input {
        Input {
            leads: self.leads.clone(),
            events: self.events.clone(),
            options: self.read_options(),
            events_sheet: self.events_sheet.clone(),
        }
    }

    pub fn read_options(&self) -> ReadOptions {
        let format = self
            .input_format
            .as_deref()
            .and_then(InputFormat::from_name);
        // Standard input has no extension to tell its format: NDJSON unless told.
        let format = format.or_else(|| (self.leads == "-").then_some(InputFormat::Ndjson));
        ReadOptions {
            format,
            id_field: self.id_field.clone(),
            sheet: self.sheet.clone(),
            ..ReadOptions::default()
        }
    }
}

/// A model ready to run: the checked model and its compiled program.
pub struct Runnable {
    pub model: Arc<Model>,
    pub program: Program,
}

/// Check and compile a rules file; `None` (exit 1) when it has errors, which
/// have then been printed.
pub fn compile(path: &str) -> anyhow::Result<Option<Runnable>> {
    let Some(loaded) = load_runnable(path)? else {
        return Ok(None);
    };
    let Some(model) = loaded.checked.model.clone() else {
        return Ok(None);
    };
    let program = mql_vm::compile(&model);
    Ok(Some(Runnable { model, program }))
}

/// The observer of data issues and evaluation errors every verb that reads
/// leads reports to: one line each on standard error, under a progress bar
/// when `progress` is asked for and standard error is a terminal.
pub fn observer(progress: bool) -> Console {
    if progress && progress_allowed() {
        Console::with_progress()
    } else {
        Console::new()
    }
}

/// True when a progress bar may be drawn on standard error.
pub fn progress_allowed() -> bool {
    std::io::stderr().is_terminal()
}
