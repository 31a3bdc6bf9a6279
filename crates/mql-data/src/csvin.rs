//! CSV input: rows with their line numbers (blank lines skipped), and the
//! header of a leads or events file matched to the schema. A [`Table`] gives
//! the rows of a CSV file or of a workbook's sheet alike.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::rc::Rc;
use std::sync::Arc;

use csv::ByteRecord;

use crate::issue::{Issues, Loc};
use crate::layout::{
    note_no_stages, note_undeclared, note_undeclared_id, Cell, EventKey, Layout, LeadKey,
};
use crate::sheet::SheetRows;
use crate::source::{ReadError, MAX_RECORD_BYTES};
use crate::unfilled::{self, Looked, Where};
use mql_core::names::reads_like_id;

/// A CSV file read row by row.
pub(crate) struct CsvRows<'a> {
    reader: csv::Reader<LineTracker<BufReader<Box<dyn Read + 'a>>>>,
    record: ByteRecord,
    file: Arc<str>,
    /// The line of each record's first byte, in order, as the tracker found them.
    starts: Rc<RefCell<VecDeque<u64>>>,
}

/// Where the tracker is within the CSV text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum At {
    /// Between records: line ends (and blank lines) are skipped here.
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: the end of the quotes, or the first of `""`.
    QuoteInQuoted,
}

impl At {
    /// Where the tracker is after byte `b` of a record (a record's first
    /// byte is read from `FieldStart`).
    fn after(self, b: u8) -> At {
        match (self, b) {
            (At::RecordStart, _) => At::RecordStart,
            (At::Quoted, b'"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, b'"') => At::Quoted,
            (At::FieldStart, b'"') => At::Quoted,
            (_, b',') => At::FieldStart,
            (_, b'\n' | b'\r') => At::RecordStart,
            _ => At::Unquoted,
        }
    }
}

/// Follows CSV text fed to it in pieces by the quoting rules of the CSV
/// reader, and finds where each record starts. The CSV reader's own
/// positions point at the blank lines before a record and, with Windows
/// line ends, at the line before it, so line numbers of data errors are
/// taken from here instead. A `"` opens quotes only at the start of a field,
/// and line ends inside quotes belong to the cell.
pub(crate) struct Tracker {
    at: At,
    line: u64,
    /// Bytes of the record being read so far, and the line it starts on.
    in_record: u64,
    record_line: Option<u64>,
    /// The line of a record found longer than [`MAX_RECORD_BYTES`].
    too_long: Option<u64>,
}

impl Tracker {
    pub(crate) fn new() -> Tracker {
        Tracker {
            at: At::RecordStart,
            line: 1,
            in_record: 0,
            record_line: None,
            too_long: None,
        }
    }

    /// Follow `bytes`, the text after what came before; `start(line, i)`
    /// for each record that starts in them, at `bytes[i]`.
    pub(crate) fn scan(&mut self, bytes: &[u8], mut start: impl FnMut(u64, usize)) {
        // Most exports quote few cells, or none.
        let quotes = memchr::memchr(b'"', bytes).is_some();
        let mut i = 0;
        while i < bytes.len() {
            // Inside a record, the bytes that cannot change where the tracker
            // is are passed over at once: a quoted cell's text up to its `"`
            // or line end; an unquoted cell's up to its `,` or line end, or,
            // with no `"` in these bytes for a `,` to open, the record's
            // text up to its line end.
            let rest = &bytes[i..];
            let plain = match self.at {
                At::Quoted => memchr::memchr2(b'"', b'\n', rest),
                At::FieldStart | At::Unquoted | At::QuoteInQuoted if !quotes => {
                    memchr::memchr2(b'\n', b'\r', rest)
                }
                At::Unquoted => memchr::memchr3(b',', b'\n', b'\r', rest),
                _ => Some(0),
            }
            .unwrap_or(rest.len());
            if plain > 0 {
                if self.at != At::Quoted {
                    self.at = match rest[plain - 1] {
                        b',' => At::FieldStart,
                        _ => At::Unquoted,
                    };
                }
                self.count(plain as u64);
                i += plain;
                continue;
            }
            let b = bytes[i];
            if self.at == At::RecordStart && b != b'\n' && b != b'\r' {
                start(self.line, i);
                self.record_line = Some(self.line);
                self.at = At::FieldStart;
                self.in_record = 0;
            }
            i += 1;
            self.count(1);
            self.at = self.at.after(b);
            if b == b'\n' {
                self.line += 1;
            }
        }
    }

    /// Count `n` more bytes of the record being read, noting its line when
    /// it grows past [`MAX_RECORD_BYTES`].
    #[inline]
    fn count(&mut self, n: u64) {
        self.in_record += n;
        if self.in_record > MAX_RECORD_BYTES && self.too_long.is_none() {
            self.too_long = Some(self.record_line.unwrap_or(self.line));
        }
    }
}

/// Passes the bytes through to the CSV reader and notes, with a
/// [`Tracker`], the line on which each record begins.
pub(crate) struct LineTracker<R> {
    inner: R,
    tracker: Tracker,
    starts: Rc<RefCell<VecDeque<u64>>>,
}

/// What the tracker hands the CSV reader as an IO error when a record is
/// longer than [`MAX_RECORD_BYTES`]: the line it starts on.
#[derive(Debug)]
struct RecordTooLong(u64);

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the record of line {} is too long", self.0)
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: Read> LineTracker<R> {
    fn new(inner: R, starts: Rc<RefCell<VecDeque<u64>>>) -> Self {
        LineTracker {
            inner,
            tracker: Tracker::new(),
            starts,
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(line) = self.tracker.too_long {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                RecordTooLong(line),
            ));
        }
        let n = self.inner.read(buf)?;
        let mut starts = self.starts.borrow_mut();
        self.tracker
            .scan(&buf[..n], |line, _| starts.push_back(line));
        Ok(n)
    }
}

/// One row: its line, and its cells when they are valid UTF-8.
pub(crate) enum Row<'r> {
    Cells(u64, Vec<&'r str>),
    NotText(u64),
}

impl<'r> Row<'r> {
    /// The row as a table's, each cell with its column.
    pub fn cells(self) -> TableRow<'r> {
        match self {
            Row::NotText(line) => TableRow::NotText(line),
            Row::Cells(line, cells) => TableRow::Cells(
                line,
                cells
                    .into_iter()
                    .enumerate()
                    .map(|(c, t)| Cell::Text(t, c as u64 + 1))
                    .collect(),
            ),
        }
    }
}

impl<'a> CsvRows<'a> {
    pub fn new(file: Arc<str>, input: BufReader<Box<dyn Read + 'a>>) -> CsvRows<'a> {
        let starts: Rc<RefCell<VecDeque<u64>>> = Rc::default();
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineTracker::new(input, starts.clone()));
        CsvRows {
            reader,
            record: ByteRecord::new(),
            file,
            starts,
        }
    }

    /// The next row that is not blank; `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, ReadError> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| {
                    let file = self.file.to_string();
                    match e.into_kind() {
                        csv::ErrorKind::Io(source) => {
                            match source
                                .get_ref()
                                .and_then(|e| e.downcast_ref::<RecordTooLong>())
                            {
                                Some(RecordTooLong(line)) => ReadError::RecordTooLarge {
                                    file,
                                    line: *line,
                                    limit: MAX_RECORD_BYTES,
                                },
                                None => ReadError::Io {
                                    file,
                                    cause: source,
                                },
                            }
                        }
                        _ => ReadError::Io {
                            file,
                            cause: std::io::Error::other("the file could not be read as CSV"),
                        },
                    }
                })?;
            if !more {
                return Ok(None);
            }
            // The tracker has seen every byte the reader has, so it knows
            // this record's start; the reader's own line is a fallback.
            let tracked = self.starts.borrow_mut().pop_front();
            if is_blank(&self.record) {
                continue;
            }
            return Ok(Some(row_of(&self.record, tracked)));
        }
    }
}

/// Whether a record is a blank line (or only spaces), which is skipped.
fn is_blank(record: &ByteRecord) -> bool {
    record.is_empty() || (record.len() == 1 && record[0].iter().all(|b| b.is_ascii_whitespace()))
}

/// A record's row, on the line the tracker found (else the CSV reader's).
fn row_of(record: &ByteRecord, line: Option<u64>) -> Row<'_> {
    let line = line
        .or_else(|| record.position().map(|p| p.line()))
        .unwrap_or(0);
    let mut cells = Vec::with_capacity(record.len());
    for cell in record.iter() {
        match std::str::from_utf8(cell) {
            Ok(s) => cells.push(s),
            Err(_) => return Row::NotText(line),
        }
    }
    Row::Cells(line, cells)
}

/// Where a record of a [`CsvBlock`] starts: its line, and its offset in the
/// block's text.
#[derive(Clone, Copy, Debug)]
struct Start {
    line: u64,
    offset: usize,
}

/// A CSV file cut on the reading thread into blocks of whole records, for
/// other threads to parse (the events file, docs/architecture.md). The
/// [`Tracker`] finds where records start as the text is read, so a block
/// ends where a record starts.
pub(crate) struct CsvBlocks<'a> {
    input: BufReader<Box<dyn Read + 'a>>,
    file: Arc<str>,
    tracker: Tracker,
    /// The text read and not handed out yet, from the start of a record (or
    /// of the blank lines before one), and where its records start.
    text: Vec<u8>,
    starts: Vec<Start>,
    at_end: bool,
    /// How much text is read at a time ([`READ_BYTES`]; less in tests).
    read_bytes: usize,
    /// A block's buffers, handed back to be filled again.
    spare: Option<CsvBlock>,
}

/// Whole records of a CSV file, with the line each starts on.
#[derive(Debug)]
pub(crate) struct CsvBlock {
    text: Vec<u8>,
    starts: Vec<Start>,
    /// Whether the text is the file's start (which the header's row is read
    /// from as it is, byte order mark and blank lines included).
    first: bool,
}

/// Some records of a [`CsvBlock`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct CsvPart<'b> {
    text: &'b [u8],
    starts: &'b [Start],
    /// The index of its first record in the block.
    from: usize,
}

/// How much text is read from the file at a time.
const READ_BYTES: usize = 1 << 20;

impl<'a> CsvBlocks<'a> {
    pub fn new(file: Arc<str>, input: BufReader<Box<dyn Read + 'a>>) -> CsvBlocks<'a> {
        CsvBlocks {
            input,
            file,
            tracker: Tracker::new(),
            text: Vec::new(),
            starts: Vec::new(),
            at_end: false,
            read_bytes: READ_BYTES,
            spare: None,
        }
    }

    /// Hand back a block that is done with, for its memory to be used again.
    pub fn recycle(&mut self, block: CsvBlock) {
        self.spare = Some(block);
    }

    /// The next block: the whole records of about `size` bytes of text
    /// (more when a record is longer); `None` at the end of the file.
    pub fn next_block(&mut self, size: usize) -> Result<Option<CsvBlock>, ReadError> {
        let first = self.tracker.line == 1 && self.starts.is_empty() && self.text.is_empty();
        // Read on until a record starts after `size` bytes: the records
        // before it are whole.
        while !self.at_end && (self.text.len() < size || self.starts.len() < 2) {
            let old = self.text.len();
            self.text.resize(old + self.read_bytes, 0);
            let n = loop {
                match self.input.read(&mut self.text[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(cause) => {
                        return Err(ReadError::Io {
                            file: self.file.to_string(),
                            cause,
                        })
                    }
                }
            };
            self.text.truncate(old + n);
            if n == 0 {
                self.at_end = true;
                break;
            }
            let starts = &mut self.starts;
            self.tracker.scan(&self.text[old..], |line, i| {
                starts.push(Start {
                    line,
                    offset: old + i,
                })
            });
            if let Some(line) = self.tracker.too_long {
                return Err(ReadError::RecordTooLarge {
                    file: self.file.to_string(),
                    line,
                    limit: MAX_RECORD_BYTES,
                });
            }
        }
        if self.text.is_empty() {
            return Ok(None);
        }
        let (whole, cut) = match self.starts.last() {
            Some(last) if !self.at_end => (self.starts.len() - 1, last.offset),
            _ => (self.starts.len(), self.text.len()),
        };
        let mut block = self.spare.take().unwrap_or(CsvBlock {
            text: Vec::new(),
            starts: Vec::new(),
            first,
        });
        block.first = first;
        block.text.clear();
        block.text.extend_from_slice(&self.text[..cut]);
        self.text.drain(..cut);
        block.starts.clear();
        block.starts.extend(self.starts.drain(..whole));
        for s in &mut self.starts {
            s.offset -= cut;
        }
        Ok(Some(block))
    }
}

impl CsvBlock {
    /// Its records from `from` on, cut into at most `n` parts of whole
    /// records with about the same amount of text each.
    pub fn parts(&self, from: usize, n: usize) -> Vec<CsvPart<'_>> {
        let from = from.min(self.starts.len());
        let begin = match self.starts.get(from) {
            Some(s) if !(self.first && from == 0) => s.offset,
            Some(_) => 0,
            None => self.text.len(),
        };
        let n = n.max(1);
        let span = self.text.len() - begin;
        let mut parts = Vec::with_capacity(n);
        let (mut record, mut offset) = (from, begin);
        for k in 1..=n {
            let (end_record, end_offset) = if k == n {
                (self.starts.len(), self.text.len())
            } else {
                let target = begin + span / n * k;
                let r = record + self.starts[record..].partition_point(|s| s.offset < target);
                (r, self.starts.get(r).map_or(self.text.len(), |s| s.offset))
            };
            if end_record > record {
                parts.push(CsvPart {
                    text: &self.text[offset..end_offset],
                    starts: &self.starts[record..end_record],
                    from: record,
                });
            }
            (record, offset) = (end_record, end_offset);
        }
        parts
    }
}

impl CsvPart<'_> {
    /// Each row of the part in order, with its record's index in the
    /// block, blank lines skipped, until `f` says to stop (returns false).
    pub fn each_row(&self, mut f: impl FnMut(usize, Row<'_>) -> bool) {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(self.text);
        let mut record = ByteRecord::new();
        let mut k = 0;
        // Text in memory cannot fail to read, and the CSV reader accepts
        // any bytes.
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            let line = self.starts.get(k).map(|s| s.line);
            k += 1;
            if is_blank(&record) {
                continue;
            }
            if !f(self.from + k - 1, row_of(&record, line)) {
                break;
            }
        }
    }
}

/// Rows of cells: a CSV file, or a workbook's sheet (read like one).
pub(crate) enum Table<'a> {
    Csv(Box<CsvRows<'a>>),
    Sheet(SheetRows),
}

/// One row of a [`Table`]: its line (a sheet's row number) and its cells,
/// each with its 1-based column.
pub(crate) enum TableRow<'r> {
    Cells(u64, Vec<Cell<'r>>),
    NotText(u64),
}

impl Table<'_> {
    /// The next row that is not blank; `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<TableRow<'_>>, ReadError> {
        Ok(match self {
            Table::Csv(rows) => rows.next_row()?.map(Row::cells),
            Table::Sheet(rows) => rows.next_row().map(|(line, first, cells)| {
                TableRow::Cells(
                    line,
                    cells
                        .iter()
                        .enumerate()
                        .map(|(c, v)| Cell::Sheet(v, first + c as u64))
                        .collect(),
                )
            }),
        })
    }

    /// Whether the table is CSV text (whose header may hold a wrong separator).
    pub fn is_csv(&self) -> bool {
        matches!(self, Table::Csv(_))
    }
}

/// A report for a row that is not UTF-8 text.
pub(crate) fn not_text(loc: &Loc, what: &str) -> crate::DataIssue {
    loc.error(
        None,
        format!("this row is not UTF-8 text; save the file as UTF-8 ({what} skipped)"),
    )
}

/// A report for a row with the wrong number of cells.
pub(crate) fn wrong_width(loc: &Loc, got: usize, want: usize, what: &str) -> crate::DataIssue {
    loc.error(
        None,
        format!("this row has {got} cells but the header has {want} ({what} skipped)"),
    )
}

/// A header: its cells' names, and the column number of the first.
pub(crate) struct Header<'h> {
    pub names: &'h [&'h str],
    pub first_col: u64,
}

impl Header<'_> {
    /// The column number of the `i`-th cell.
    fn col(&self, i: usize) -> u64 {
        self.first_col + i as u64
    }
}

/// Report two header cells filling the same slot; the exact one wins, else the first.
fn clash(
    issues: &mut Issues,
    loc: &Loc,
    header: &Header,
    field: &str,
    kept: usize,
    dropped: usize,
) {
    let (kc, dc) = (header.col(kept), header.col(dropped));
    let names = header.names;
    issues.report(loc.at(loc.line, Some(dc)).error(
        Some(field),
        format!(
            "columns `{}` (column {}) and `{}` (column {}) both fill this field; column {} is used and column {} is ignored",
            names[kept],
            kc,
            names[dropped],
            dc,
            kc,
            dc
        ),
    ));
}

/// Refuse a header that is one column holding another separator: the file
/// was exported with semicolons (as spreadsheets in many countries do), tabs
/// or bars, and read with commas not one of its values would be found.
fn comma_separated(header: &[&str], loc: &Loc) -> Result<(), ReadError> {
    let [only] = header else {
        return Ok(());
    };
    let separator = [(';', "semicolons"), ('\t', "tabs"), ('|', "`|` bars")]
        .into_iter()
        .find(|(c, _)| only.contains(*c));
    match separator {
        Some((_, name)) => Err(ReadError::NotCommaSeparated {
            file: loc.file.to_string(),
            separator: name,
            header: shown_header(only),
        }),
        None => Ok(()),
    }
}

/// A one-column header as the user is shown it: tabs written `\t`, and cut
/// after 80 characters.
fn shown_header(text: &str) -> String {
    let text = text.replace('\t', "\\t");
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// What each column of a leads CSV (or sheet) fills. A column without a
/// name fills nothing and is not noted (a sheet's used range takes in empty
/// columns).
pub(crate) fn lead_header(
    layout: &Layout,
    head: &Header,
    csv: bool,
    loc: &Loc,
    issues: &mut Issues,
) -> Result<Vec<LeadKey>, ReadError> {
    let header = head.names;
    if csv {
        comma_separated(header, loc)?;
    }
    let found: Vec<(LeadKey, bool)> = header.iter().map(|h| layout.lead_key(h, false)).collect();
    let mut keys: Vec<LeadKey> = found.iter().map(|k| k.0).collect();
    // (a second id column is dropped below, never the first)
    let has_id = keys.contains(&LeadKey::Id);
    for (col, (key, _)) in found.iter().enumerate() {
        let here = loc.at(loc.line, Some(head.col(col)));
        match key {
            LeadKey::Unknown if !csv && header[col].trim().is_empty() => {}
            LeadKey::Unknown if layout.kept(header[col]).is_none() => {
                if !has_id && reads_like_id(header[col]) {
                    note_undeclared_id(issues, &here, &layout.id_key, header[col])
                } else {
                    note_undeclared(issues, &here, "column", header[col])
                }
            }
            LeadKey::Stage if layout.stages.is_none() => {
                note_no_stages(issues, &here, "column", header[col])
            }
            _ => {}
        }
    }
    let mut owners: Vec<(LeadKey, usize)> = Vec::new();
    for (col, &(key, exact)) in found.iter().enumerate() {
        let name = match key {
            LeadKey::Id => layout.id_key.clone(),
            LeadKey::Stage => "stage".into(),
            LeadKey::StageSince => "stage_since".into(),
            LeadKey::Field(i) => layout.schema.lead[i].name.clone(),
            LeadKey::Events | LeadKey::Unknown => continue,
        };
        match owners.iter().position(|o| o.0 == key) {
            None => owners.push((key, col)),
            Some(j) => {
                let prev = owners[j].1;
                let (kept, dropped) = if exact && !found[prev].1 {
                    (col, prev)
                } else {
                    (prev, col)
                };
                clash(issues, loc, head, &name, kept, dropped);
                keys[dropped] = LeadKey::Unknown;
                owners[j].1 = kept;
            }
        }
    }
    // Declared fields that no column fills (the `--id-field` column may fill one).
    let undeclared: Vec<&str> = header
        .iter()
        .zip(&found)
        .filter(|(h, k)| k.0 == LeadKey::Unknown && !h.trim().is_empty())
        .map(|(h, _)| *h)
        .collect();
    let looked = Looked {
        place: &loc.file,
        kind: Where::Column,
        candidates: &undeclared,
    };
    unfilled::lead_fields(
        layout,
        |i| keys.contains(&LeadKey::Field(i)) || (has_id && layout.id_field_slot == Some(i)),
        &looked,
        loc,
        issues,
    );
    Ok(keys)
}

/// The columns of an events CSV: the reserved ones, and per event type, which
/// column fills which field.
pub(crate) struct EventColumns {
    pub lead_id: usize,
    pub ty: usize,
    pub at: usize,
    /// Per event type: (field, column).
    pub fields: Vec<Vec<(usize, usize)>>,
}

pub(crate) fn event_header(
    layout: &Layout,
    head: &Header,
    csv: bool,
    loc: &Loc,
    issues: &mut Issues,
) -> Result<EventColumns, ReadError> {
    let header = head.names;
    if csv {
        comma_separated(header, loc)?;
    }
    let kinds: Vec<EventKey> = header.iter().map(|h| layout.event_key(h)).collect();
    let find = |k: EventKey, name: &'static str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .ok_or(ReadError::MissingColumn {
                file: loc.file.to_string(),
                column: name,
            })
    };
    let lead_id = find(EventKey::LeadId, "lead_id")?;
    let ty = find(EventKey::Type, "type")?;
    let at = find(EventKey::At, "at")?;
    for (k, name) in [
        (EventKey::LeadId, "lead_id"),
        (EventKey::Type, "type"),
        (EventKey::At, "at"),
    ] {
        let first = kinds.iter().position(|x| *x == k).unwrap_or(0);
        for (later, kind) in kinds.iter().enumerate().skip(first + 1) {
            if *kind == k {
                clash(issues, loc, head, name, first, later);
            }
        }
    }
    let mut undeclared: Vec<&str> = Vec::new();
    for (col, h) in header.iter().enumerate() {
        let unnamed = !csv && h.trim().is_empty();
        if kinds[col] == EventKey::Other && !layout.any_event_field(h) && !unnamed {
            note_undeclared(issues, &loc.at(loc.line, Some(head.col(col))), "column", h);
            undeclared.push(h);
        }
    }
    let mut reported = Vec::new();
    let mut fields = Vec::new();
    for t in 0..layout.schema.events.len() {
        let mut map: Vec<(usize, usize, bool)> = Vec::new();
        for (col, h) in header.iter().enumerate() {
            if kinds[col] != EventKey::Other {
                continue;
            }
            let Some((f, exact)) = layout.event_field(t, h) else {
                continue;
            };
            match map.iter().position(|m| m.0 == f) {
                None => map.push((f, col, exact)),
                Some(j) => {
                    let (kept, dropped) = if exact && !map[j].2 {
                        (col, map[j].1)
                    } else {
                        (map[j].1, col)
                    };
                    if !reported.contains(&dropped) {
                        reported.push(dropped);
                        let name = &layout.schema.events[t].fields[f].name;
                        clash(issues, loc, head, name, kept, dropped);
                    }
                    map[j] = (f, kept, exact || map[j].2);
                }
            }
        }
        let looked = Looked {
            place: &loc.file,
            kind: Where::Column,
            candidates: &undeclared,
        };
        unfilled::event_fields(
            layout,
            t,
            |f| map.iter().any(|m| m.0 == f),
            &looked,
            loc,
            issues,
        );
        fields.push(map.into_iter().map(|(f, c, _)| (f, c)).collect());
    }
    Ok(EventColumns {
        lead_id,
        ty,
        at,
        fields,
    })
}

#[cfg(test)]
mod line_tests {
    use super::{CsvRows, Row};
    use std::io::{BufReader, Read};

    /// (line, first cell) of every row of `text`.
    fn rows(text: &'static str) -> Vec<(u64, String)> {
        let input: Box<dyn Read> = Box::new(text.as_bytes());
        let mut csv = CsvRows::new("t.csv".into(), BufReader::new(input));
        let mut out = Vec::new();
        while let Some(row) = csv.next_row().expect("readable") {
            match row {
                Row::Cells(line, cells) => out.push((line, cells[0].to_string())),
                Row::NotText(line) => out.push((line, "?".into())),
            }
        }
        out
    }

    /// A seeded xorshift: each call gives a number below `n`.
    fn rng(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    fn expect(text: &'static str, want: &[(u64, &str)]) {
        let want: Vec<(u64, String)> = want.iter().map(|(l, c)| (*l, c.to_string())).collect();
        assert_eq!(rows(text), want, "{text:?}");
    }

    #[test]
    fn rows_after_blank_lines_keep_their_own_line() {
        expect("h\n1\n\n\n2\n3", &[(1, "h"), (2, "1"), (5, "2"), (6, "3")]);
        expect("\n\nh\n5\n", &[(3, "h"), (4, "5")]);
    }

    #[test]
    fn windows_line_ends_do_not_shift_lines() {
        expect(
            "h\r\n1\r\n2\r\n\r\n3\r\n",
            &[(1, "h"), (2, "1"), (3, "2"), (5, "3")],
        );
    }

    #[test]
    fn line_breaks_inside_quotes_belong_to_the_cell() {
        expect(
            "h,x\n\"a\nb\",1\n4,\"p\"\"\nq\"\n5,z\n",
            &[(1, "h"), (2, "a\nb"), (4, "4"), (6, "5")],
        );
        // A quote inside an unquoted cell is an ordinary character.
        expect(
            "h\n5\" screen\n6\n",
            &[(1, "h"), (2, "5\" screen"), (3, "6")],
        );
    }

    /// Rows of CSV text read in blocks of whole records, each cut into
    /// parts, are the rows read one after the other, on the same lines,
    /// however the text is cut: quotes, line breaks in quotes, Windows line
    /// ends, blank lines and bytes that are not text alike.
    #[test]
    fn blocks_of_whole_records_give_the_rows_of_the_whole_text() {
        use super::CsvBlocks;

        fn one_by_one(text: &[u8]) -> Vec<(u64, Option<Vec<String>>)> {
            let input: Box<dyn Read> = Box::new(std::io::Cursor::new(text.to_vec()));
            let mut csv = CsvRows::new("t.csv".into(), BufReader::new(input));
            let mut out = Vec::new();
            while let Some(row) = csv.next_row().expect("readable") {
                out.push(shown(row));
            }
            out
        }
        fn shown(row: Row<'_>) -> (u64, Option<Vec<String>>) {
            match row {
                Row::Cells(line, cells) => {
                    (line, Some(cells.iter().map(|c| c.to_string()).collect()))
                }
                Row::NotText(line) => (line, None),
            }
        }

        let mut next = rng(0x9E37_79B9_7F4A_7C15u64);
        for round in 0..3_000 {
            let quote_odds = if round % 2 == 0 { 6 } else { 300 };
            let len = next(300) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| match next(quote_odds) {
                    0 => b'"',
                    _ => b"ab,\n\r x\n,\xff"[next(10) as usize],
                })
                .collect();
            let input: Box<dyn Read> = Box::new(std::io::Cursor::new(text.clone()));
            let mut blocks = CsvBlocks::new("t.csv".into(), BufReader::new(input));
            blocks.read_bytes = 1 + next(40) as usize;
            let size = 1 + next(80) as usize;
            let mut got = Vec::new();
            let mut records = 0;
            while let Some(block) = blocks.next_block(size).expect("in memory") {
                for part in block.parts(0, 1 + next(4) as usize) {
                    part.each_row(|k, row| {
                        assert!(k >= records, "records in order");
                        records = k;
                        got.push(shown(row));
                        true
                    });
                }
                records = 0;
            }
            assert_eq!(
                got,
                one_by_one(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    /// The tracker passes over plain bytes several at a time; what it finds
    /// must be what stepping one byte at a time finds, however the text is
    /// cut into reads.
    #[test]
    fn passing_over_plain_bytes_finds_what_one_byte_at_a_time_finds() {
        use super::{At, LineTracker};
        use std::cell::RefCell;
        use std::collections::VecDeque;
        use std::rc::Rc;

        fn one_at_a_time(text: &[u8]) -> (Vec<u64>, u64) {
            let (mut at, mut line, mut starts) = (At::RecordStart, 1, Vec::new());
            for &b in text {
                if at == At::RecordStart && b != b'\n' && b != b'\r' {
                    starts.push(line);
                    at = At::FieldStart;
                }
                at = at.after(b);
                line += u64::from(b == b'\n');
            }
            (starts, line)
        }

        let mut next = rng(0x2545_F491_4F6C_DD1Du64);
        for round in 0..4_000 {
            // half the texts with quotes anywhere, half with few or none
            let quote_odds = if round % 2 == 0 { 8 } else { 400 };
            let len = next(200) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| match next(quote_odds) {
                    0 => b'"',
                    _ => b"ab,\n\r x"[next(7) as usize],
                })
                .collect();
            let starts: Rc<RefCell<VecDeque<u64>>> = Rc::default();
            let mut tracker = LineTracker::new(&text[..], starts.clone());
            let mut buf = [0u8; 64];
            loop {
                let want = 1 + next(64) as usize;
                let n = tracker.read(&mut buf[..want]).expect("in memory");
                if n == 0 {
                    break;
                }
            }
            let found: Vec<u64> = starts.borrow().iter().copied().collect();
            assert_eq!(
                (found, tracker.tracker.line),
                one_at_a_time(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}
