//! Where the leads come from: the leads file, the events file joined to it,
//! and how to read them; opening them for a schema.

use mql_core::Schema;
use mql_data::{read_events, DataIssue, InputFormat, Issues, LeadReader, ReadOptions, Source};

/// A lead source: what every verb that reads leads is given.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// The leads file; `-` for standard input.
    pub leads: String,
    /// A separate events file, each event naming its lead in `lead_id`.
    pub events: Option<String>,
    /// How to read the leads file.
    pub options: ReadOptions,
    /// The sheet of an events workbook to read (`--events-sheet`); `None`:
    /// the first.
    pub events_sheet: Option<String>,
}

impl Input {
    /// Whether the leads or events come from standard input (which can be
    /// read only once).
    pub fn reads_stdin(&self) -> bool {
        self.leads == "-" || self.events.as_deref() == Some("-")
    }

    /// How the leads file is written, when its name or the options tell.
    pub fn format(&self) -> Option<InputFormat> {
        self.options
            .format
            .or_else(|| InputFormat::from_path(&self.leads))
    }

    /// Whether kept columns (`--keep`) hold JSON texts (JSON and NDJSON
    /// leads) rather than the text of a cell (CSV and workbooks).
    pub fn keeps_json(&self) -> bool {
        !matches!(self.format(), Some(InputFormat::Csv | InputFormat::Xlsx))
    }

    /// Refuse a sheet named for a file that is not a workbook.
    pub fn check_sheets(&self) -> anyhow::Result<()> {
        if self.options.sheet.is_some() && self.format() != Some(InputFormat::Xlsx) {
            anyhow::bail!(
                "`--sheet` names a sheet of an Excel workbook, but `{}` is not one (.xlsx)",
                self.leads
            );
        }
        match &self.events {
            Some(events)
                if self.events_sheet.is_some()
                    && InputFormat::from_path(events) != Some(InputFormat::Xlsx) =>
            {
                anyhow::bail!(
                    "`--events-sheet` names a sheet of an Excel workbook, but `{events}` is not one (.xlsx)"
                );
            }
            None if self.events_sheet.is_some() => {
                anyhow::bail!("`--events-sheet` needs `--events` with an Excel workbook (.xlsx)");
            }
            _ => Ok(()),
        }
    }
}

/// Open the leads (with the events file joined) for streaming by `schema`.
/// Every data issue goes to `report` as soon as it is found, the events
/// file's first; one collector serves both files, so that a name is noted
/// (and a field warned about) once per run. `event_fields`: the event
/// fields a program reads, the only ones a separate events file keeps
/// (`None`: all; see [`ReadOptions::event_fields`]).
pub fn open<'a>(
    schema: &'a Schema,
    input: &Input,
    event_fields: Option<Vec<Vec<u32>>>,
    report: impl FnMut(DataIssue) + 'a,
) -> anyhow::Result<LeadReader<'a>> {
    input.check_sheets()?;
    let mut issues = Issues::new(report);
    let events = match &input.events {
        Some(path) => {
            let events_options = ReadOptions {
                sheet: input.events_sheet.clone(),
                event_fields,
                ..ReadOptions::default()
            };
            let index = read_events(schema, Source::open(path)?, &events_options, &mut issues)?;
            Some(index)
        }
        None => None,
    };
    let reader = LeadReader::new(schema, Source::open(&input.leads)?, &input.options, issues)?;
    Ok(match events {
        Some(index) => reader.with_events(index),
        None => reader,
    })
}
