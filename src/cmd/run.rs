//! What the verbs that evaluate leads share: the `--as-of` instant, the data
//! options, compiling a checked model, and streaming leads with their data
//! issues reported on standard error as they come.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context;
use mql_core::time::{parse_time, TimeSyntax};
use mql_core::Schema;
use mql_data::{read_events, InputFormat, Issues, LeadReader, ReadOptions, Source};
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
        }
    }

    /// Refuse a sheet named for a file that is not a workbook.
    fn check_sheets(&self, options: &ReadOptions) -> anyhow::Result<()> {
        let workbook = |path: &str, format: Option<InputFormat>| {
            format.or_else(|| InputFormat::from_path(path)) == Some(InputFormat::Xlsx)
        };
        if self.sheet.is_some() && !workbook(&self.leads, options.format) {
            anyhow::bail!(
                "`--sheet` names a sheet of an Excel workbook, but `{}` is not one (.xlsx)",
                self.leads
            );
        }
        if let Some(events) = &self.events {
            if self.events_sheet.is_some() && !workbook(events, None) {
                anyhow::bail!(
                    "`--events-sheet` names a sheet of an Excel workbook, but `{events}` is not one (.xlsx)"
                );
            }
        } else if self.events_sheet.is_some() {
            anyhow::bail!("`--events-sheet` needs `--events` with an Excel workbook (.xlsx)");
        }
        Ok(())
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

/// Open the leads (with the events file joined) for streaming. Every data
/// issue goes through `report` as soon as it is found.
pub fn open_leads<'a>(
    model: &'a Model,
    args: &DataArgs,
    report: impl FnMut(mql_data::DataIssue) + 'a,
) -> anyhow::Result<LeadReader<'a>> {
    open_leads_with(&model.schema, args, report)
}

/// [`open_leads`] against a schema of the caller's (`backtest` adds the
/// outcome column to the model's schema so that it is decoded too).
pub fn open_leads_with<'a>(
    schema: &'a Schema,
    args: &DataArgs,
    report: impl FnMut(mql_data::DataIssue) + 'a,
) -> anyhow::Result<LeadReader<'a>> {
    let options = args.read_options();
    args.check_sheets(&options)?;
    // One collector for both files, so that a name is noted (and a field
    // warned about) once per run.
    let mut issues = Issues::new(report);
    let events = match &args.events {
        Some(path) => {
            let events_options = ReadOptions {
                format: None,
                id_field: None,
                sheet: args.events_sheet.clone(),
            };
            let index = read_events(schema, Source::open(path)?, &events_options, &mut issues)?;
            Some(index)
        }
        None => None,
    };
    let reader = LeadReader::new(schema, Source::open(&args.leads)?, &options, issues)?;
    Ok(match events {
        Some(index) => reader.with_events(index),
        None => reader,
    })
}

/// True when a progress bar may be drawn on standard error.
pub fn progress_allowed() -> bool {
    std::io::stderr().is_terminal()
}
