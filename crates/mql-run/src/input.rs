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
}

/// Open the leads (with the events file joined) for streaming by `schema`.
/// Every data issue goes to `report` as soon as it is found, the events
/// file's first.
pub fn open<'a>(
    schema: &'a Schema,
    input: &Input,
    mut report: impl FnMut(DataIssue) + 'a,
) -> anyhow::Result<LeadReader<'a>> {
    let events = match &input.events {
        Some(path) => {
            let mut issues = Issues::new(&mut report);
            let events_options = ReadOptions::default();
            let index = read_events(schema, Source::open(path)?, &events_options, &mut issues)?;
            Some(index)
        }
        None => None,
    };
    let issues = Issues::new(report);
    let reader = LeadReader::new(schema, Source::open(&input.leads)?, &input.options, issues)?;
    Ok(match events {
        Some(index) => reader.with_events(index),
        None => reader,
    })
}
