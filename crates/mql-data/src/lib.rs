//! Reading lead data (JSON, NDJSON, CSV, a sheet of an Excel workbook, and a
//! separate events file) into typed [`mql_core::LeadRecord`]s by the model's
//! [`mql_core::Schema`], reporting every value that cannot be read as a located
//! data error.
//!
//! A run reads the events file first (if any), then streams the leads:
//!
//! ```no_run
//! # fn run(schema: &mql_core::Schema) -> Result<(), mql_data::ReadError> {
//! use mql_data::{read_events, Issues, LeadReader, ReadOptions, Source};
//! let options = ReadOptions::default();
//! let mut issues = Issues::new(|issue| eprintln!("{issue}"));
//! let events = read_events(schema, Source::open("events.csv")?, &options, &mut issues)?;
//! let mut leads = LeadReader::new(schema, Source::open("leads.csv")?, &options, issues)?
//!     .with_events(events);
//! loop {
//!     let chunk = leads.next_chunk(4096)?;
//!     if chunk.is_empty() {
//!         break;
//!     }
//!     // evaluate the chunk…
//! }
//! let errors = leads.issues().errors();
//! # let _ = errors; Ok(()) }
//! ```
//!
//! `next_chunk` decodes NDJSON on every core of rayon's pool. A caller with
//! threads of its own takes the pieces apart: [`LeadReader::next_lines`]
//! splits off a block of lines, a [`LineDecoder`] (one per thread, from
//! [`LeadReader::line_decoder`]) decodes it anywhere, [`LeadReader::settle`]
//! takes back its issues and ids in input order, and [`LeadReader::finish`]
//! reports the events that found no lead once every block is settled.

mod csvin;
mod decode;
mod events;
mod issue;
mod json;
mod layout;
mod leads;
mod raw;
mod sheet;
mod source;
mod unfilled;

pub use events::{read_events, EventIndex};
pub use issue::{DataIssue, IssueKind, Issues};
pub use leads::{Decoded, LeadReader, LineDecoder, RawLines};
pub use mql_core::names::normalise_key;
pub use raw::{read_raw, RawValue, MAX_DRAFT_COLUMNS};
pub use source::{
    InputFormat, ReadError, ReadOptions, Source, MAX_JSON_BYTES, MAX_RECORD_BYTES, MAX_SHEET_CELLS,
    MAX_WORKBOOK_BYTES,
};
