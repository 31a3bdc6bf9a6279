//! Where lead data comes from: the input formats, reading options, the input
//! source (a file or standard input) and the errors that stop a read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use mql_core::input::{size_text, InputError};
use thiserror::Error;

/// The largest lead or event record read: an NDJSON line, or a CSV row with
/// the line ends inside its quotes, of at most 16 MiB. A longer one stops
/// the read ([`ReadError::RecordTooLarge`]): it is not a lead but the wrong
/// file (or `/dev/zero` through a pipe), and reading on would hold it all.
pub const MAX_RECORD_BYTES: u64 = 16 << 20;

/// The largest JSON array file read: 512 MiB (its text and items are held,
/// about twice that in memory). A JSON array is read whole
/// before its items are; NDJSON and CSV stream, and have no such limit.
pub const MAX_JSON_BYTES: u64 = 512 << 20;

/// The largest Excel workbook read: 256 MiB. A workbook is read whole (its
/// format is a zip archive); export larger data as CSV, which streams.
pub const MAX_WORKBOOK_BYTES: u64 = 256 << 20;

/// The most cells the used range of a sheet may span (rows × columns, from
/// its first used cell to its last): 20,000,000, some 200,000 rows of 100
/// columns. The range is held whole while its rows are read.
pub const MAX_SHEET_CELLS: u64 = 20_000_000;

/// How a data file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// One JSON array of objects.
    Json,
    /// One JSON object a line.
    Ndjson,
    /// A header line, then one row a record.
    Csv,
    /// An Excel workbook: one sheet read like a CSV file, with typed cells.
    Xlsx,
}

impl InputFormat {
    /// The format a file's extension names: `.json`, `.ndjson`/`.jsonl`,
    /// `.csv`, `.xlsx` (in any case).
    pub fn from_path(path: &str) -> Option<InputFormat> {
        let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
        InputFormat::from_name(&ext)
    }

    /// The format as named on the command line: `json`, `ndjson`, `jsonl`,
    /// `csv`, `xlsx`.
    pub fn from_name(name: &str) -> Option<InputFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json" => Some(InputFormat::Json),
            "ndjson" | "jsonl" => Some(InputFormat::Ndjson),
            "csv" => Some(InputFormat::Csv),
            "xlsx" => Some(InputFormat::Xlsx),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Json => "json",
            InputFormat::Ndjson => "ndjson",
            InputFormat::Csv => "csv",
            InputFormat::Xlsx => "xlsx",
        }
    }
}

/// Options for reading a leads or events file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The format; `None`: told by the file's extension.
    pub format: Option<InputFormat>,
    /// The key or column holding the lead id (`--id-field`); `None`: `id`.
    /// Not used for an events file, whose events always name their lead in `lead_id`.
    pub id_field: Option<String>,
    /// The sheet of a workbook to read (`--sheet`); `None`: the first.
    pub sheet: Option<String>,
    /// Input columns or keys to copy, as read, into each lead (`--keep`):
    /// each lead's [`mql_core::LeadRecord::fields`] holds their values after
    /// the schema's fields, in this order — the raw text of a CSV cell, or
    /// the JSON text of a JSON value; unknown when the record lacks it. A
    /// name matches a key exactly, or else after normalising both. Not used
    /// for an events file.
    pub keep: Vec<String>,
    /// Each lead also carries, after its fields and kept columns, what the
    /// data wrote for each of its fields and then for its `stage`: the text
    /// of a CSV or workbook cell or of a JSON string, a JSON array as a list
    /// of what its items wrote, another JSON value as its JSON text; unknown
    /// where the record has nothing (`mql explain` shows labels and
    /// placeholders with it). Not used for an events file.
    pub written: bool,
    /// For an events file only: per event type (schema order), the fields
    /// (slots) worth keeping, because a program reads them; `None` keeps
    /// every field. A separate events file is held whole until its leads
    /// are read, so the others are left out of it: they are still decoded
    /// and checked (their data errors are reported as ever), and each lead
    /// then gets them as unknown.
    pub event_fields: Option<Vec<Vec<u32>>>,
}

/// A readable input with the name used in messages.
pub struct Source<'a> {
    pub name: Arc<str>,
    pub reader: Box<dyn Read + 'a>,
}

impl<'a> Source<'a> {
    /// Any reader, e.g. standard input (`Source::new("-", Box::new(io::stdin()))`).
    pub fn new(name: impl Into<Arc<str>>, reader: Box<dyn Read + 'a>) -> Source<'a> {
        Source {
            name: name.into(),
            reader,
        }
    }

    /// In-memory text, for tests and editors.
    pub fn from_text(name: impl Into<Arc<str>>, text: &'a str) -> Source<'a> {
        Source::new(name, Box::new(text.as_bytes()))
    }
}

impl Source<'static> {
    /// Open a file (a regular file or a pipe, never a folder or a device:
    /// [`mql_core::input::open_data_file`]); `-` means standard input.
    pub fn open(path: &str) -> Result<Source<'static>, ReadError> {
        if path == "-" {
            return Ok(Source::new("-", Box::new(io::stdin())));
        }
        let file: File = mql_core::input::open_data_file(path)?;
        Ok(Source::new(path, Box::new(file)))
    }
}

impl std::fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A problem that stops reading a file altogether (the CLI exits 2). Problems
/// with single records or values are [`crate::DataIssue`]s instead.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The file could not be opened (missing, a folder, a device…).
    #[error(transparent)]
    Open(#[from] InputError),
    #[error(
        "line {line} of `{file}` is longer than {}: a lead or event record (an NDJSON line, a CSV row) holds at most that; is `{file}` the right file?",
        size_text(*limit)
    )]
    RecordTooLarge { file: String, line: u64, limit: u64 },
    #[error(
        "`{file}` is larger than {}, the most mql reads of a JSON array file; write the records as NDJSON (one object a line), which is read as it streams",
        size_text(*limit)
    )]
    TooLarge { file: String, limit: u64 },
    /// The cause is part of the message, and so not also given as the
    /// error's source: `error: {e:#}` would say it twice.
    #[error("cannot read `{file}`: {cause}")]
    Io { file: String, cause: io::Error },
    #[error(
        "cannot tell how `{file}` is written from its name; name it `.json`, `.ndjson`, `.jsonl`, `.csv` or `.xlsx`, or give --input-format json, ndjson, csv or xlsx"
    )]
    UnknownFormat { file: String },
    #[error("`{file}` is not valid JSON at line {line}, column {column} ({reason}); fix the file, or write one object a line as NDJSON")]
    BadJson {
        file: String,
        line: u64,
        column: u64,
        reason: String,
    },
    #[error("`{file}` is not a JSON array; a JSON data file holds one array of objects, `[{{…}}, {{…}}]`")]
    NotArray { file: String },
    #[error("the events file `{file}` has no `{column}` column; an events CSV needs `lead_id`, `type` and `at` columns")]
    MissingColumn { file: String, column: &'static str },
    #[error("`{file}` cannot be read as an Excel workbook (.xlsx): {reason}; save it from Excel as an .xlsx workbook, or export it as CSV")]
    NotWorkbook { file: String, reason: String },
    #[error("`{file}` is {what}, the most mql reads of an Excel workbook; export the sheet as CSV, which is read as it streams")]
    SheetTooLarge { file: String, what: String },
    #[error("`{file}` has no sheet named `{sheet}`; its sheets are `{sheets}`")]
    NoSuchSheet {
        file: String,
        sheet: String,
        /// The sheets' names, joined with `` `, ` ``.
        sheets: String,
    },
    #[error("`--keep {column}`: `{file}` has no column `{column}`{}", closest.as_ref().map_or(String::new(), |c| format!("; the closest is `{c}`")))]
    NoKeptColumn {
        file: String,
        column: String,
        /// The column whose name is closest.
        closest: Option<String>,
    },
    #[error("`{file}` has more than {limit} different {what}; a draft is made from at most {limit}: {fix}")]
    TooMuchToDraft {
        file: String,
        limit: usize,
        /// What there is too much of (`event types`, `keys in its … events`).
        what: &'static str,
        /// What the user can do.
        fix: &'static str,
    },
    #[error("`{file}` looks separated by {separator}, not commas: its header is the one column `{header}`; export it again as comma-separated CSV")]
    NotCommaSeparated {
        file: String,
        /// How the separator is named to the user (`semicolons`, `tabs`, …).
        separator: &'static str,
        header: String,
    },
}

impl ReadError {
    pub(crate) fn io(file: &str, cause: io::Error) -> ReadError {
        ReadError::Io {
            file: file.to_string(),
            cause,
        }
    }
}

/// Read the rest of a JSON array file into `text`, up to `limit` bytes
/// ([`MAX_JSON_BYTES`]).
pub(crate) fn read_json_text(
    file: &str,
    reader: &mut impl Read,
    text: &mut String,
    limit: u64,
) -> Result<(), ReadError> {
    reader
        .take(limit + 1)
        .read_to_string(text)
        .map_err(|e| ReadError::io(file, e))?;
    if text.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            file: file.to_string(),
            limit,
        });
    }
    Ok(())
}

/// Append the next line of `reader` (its `\n` included) to `buf`, as
/// `BufRead::read_until` does, but stop with [`ReadError::RecordTooLarge`]
/// once the line passes `limit` bytes ([`MAX_RECORD_BYTES`]). The number of
/// bytes added; 0 at the end of the input. `line` is the line's number, for
/// the message.
pub(crate) fn read_line_bounded(
    file: &str,
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    line: u64,
    limit: u64,
) -> Result<usize, ReadError> {
    let start = buf.len();
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::io(file, e)),
        };
        if available.is_empty() {
            return Ok(buf.len() - start);
        }
        let (used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        buf.extend_from_slice(&available[..used]);
        reader.consume(used);
        if (buf.len() - start) as u64 > limit {
            return Err(ReadError::RecordTooLarge {
                file: file.to_string(),
                line,
                limit,
            });
        }
        if done {
            return Ok(buf.len() - start);
        }
    }
}

/// Pick the format of a source: the explicit one, else by its name.
pub(crate) fn resolve_format(
    name: &str,
    explicit: Option<InputFormat>,
) -> Result<InputFormat, ReadError> {
    explicit
        .or_else(|| InputFormat::from_path(name))
        .ok_or_else(|| ReadError::UnknownFormat {
            file: name.to_string(),
        })
}

/// Wrap a reader in a buffer and skip a UTF-8 byte-order mark.
pub(crate) fn buffered<'a>(
    name: &str,
    reader: Box<dyn Read + 'a>,
) -> Result<BufReader<Box<dyn Read + 'a>>, ReadError> {
    let mut buf = BufReader::with_capacity(1 << 16, reader);
    loop {
        match buf.fill_buf() {
            Ok(bytes) => {
                if bytes.starts_with(b"\xEF\xBB\xBF") {
                    buf.consume(3);
                }
                return Ok(buf);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::io(name, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_may_be_as_long_as_the_limit_and_no_longer() {
        let text = b"12345\n123456\n1234567";
        let mut r = io::BufReader::with_capacity(2, &text[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded("f", &mut r, &mut buf, 1, 6).unwrap(), 6);
        assert_eq!(buf, b"12345\n");
        let e = read_line_bounded("f", &mut r, &mut buf, 2, 6).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2 of `f` is longer than 6 bytes: a lead or event record (an NDJSON line, a CSV row) holds at most that; is `f` the right file?"
        );
        // a last line without its line end
        let mut r = io::BufReader::new(&b"1234567"[..]);
        buf.clear();
        assert_eq!(read_line_bounded("f", &mut r, &mut buf, 1, 7).unwrap(), 7);
        assert_eq!(read_line_bounded("f", &mut r, &mut buf, 2, 7).unwrap(), 0);
    }

    #[test]
    fn a_json_file_may_be_as_large_as_the_limit_and_no_larger() {
        let mut text = String::new();
        read_json_text("f", &mut &b"[1,2]"[..], &mut text, 5).unwrap();
        assert_eq!(text, "[1,2]");
        let e = read_json_text("f", &mut &b"[1,22]"[..], &mut String::new(), 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`f` is larger than 5 bytes, the most mql reads of a JSON array file; write the records as NDJSON (one object a line), which is read as it streams"
        );
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(
            InputFormat::from_path("a/leads.ndjson"),
            Some(InputFormat::Ndjson)
        );
        assert_eq!(InputFormat::from_path("x.JSONL"), Some(InputFormat::Ndjson));
        assert_eq!(InputFormat::from_path("x.json"), Some(InputFormat::Json));
        assert_eq!(InputFormat::from_path("x.csv"), Some(InputFormat::Csv));
        assert_eq!(
            InputFormat::from_path("Export.XLSX"),
            Some(InputFormat::Xlsx)
        );
        assert_eq!(InputFormat::from_path("-"), None);
        assert_eq!(InputFormat::from_path("x.txt"), None);
        let e = resolve_format("-", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot tell how `-` is written from its name; name it `.json`, `.ndjson`, `.jsonl`, `.csv` or `.xlsx`, or give --input-format json, ndjson, csv or xlsx"
        );
    }
}
