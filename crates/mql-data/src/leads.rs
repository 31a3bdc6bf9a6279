//! The streaming lead reader: one [`LeadRecord`] at a time from NDJSON or CSV
//! (a JSON array is read whole), each with its nested events and its events
//! from the events file, sorted for evaluation.

use std::collections::hash_map::Entry;
use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::sync::Arc;

use mql_core::{LeadId, LeadRecord, Schema};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::csvin::{lead_header, not_text, wrong_width, CsvRows, Header, Table, TableRow};
use crate::events::{json_array, EventIndex};
use crate::issue::{Deferred, Issues, Loc};
use crate::json::{
    line_starts, parse_lead_line, parse_object, Entry as JsonEntry, LeadLine, Lines,
};
use crate::layout::{id_digest, Cell, Decoder, IdDigest, Layout, LeadKey, LeadSlots, Slot};
use crate::sheet::SheetRows;
use crate::source::{
    buffered, read_json_text, read_line_bounded, resolve_format, InputFormat, ReadError,
    ReadOptions, Source, MAX_JSON_BYTES, MAX_RECORD_BYTES,
};
use crate::unfilled::{self, Seen};

enum Input<'a> {
    Ndjson {
        reader: BufReader<Box<dyn Read + 'a>>,
        line: u64,
        /// The memory of the one-line blocks read one lead at a time.
        one: RawLines,
    },
    Json {
        text: String,
        /// Byte ranges of the array's items, still to read.
        items: std::vec::IntoIter<(usize, usize)>,
        starts: Vec<usize>,
    },
    /// A CSV file or a workbook's sheet.
    Table {
        /// Boxed: a CSV reader's state is large beside the other inputs'.
        rows: Box<Table<'a>>,
        /// What each column fills; `None` until the header is read.
        keys: Option<Vec<LeadKey>>,
        header: Vec<String>,
        /// The column of each kept name (`--keep`), and whether it matched
        /// exactly.
        kept: Vec<(usize, bool)>,
    },
}

/// Reads leads one at a time, in input order.
///
/// Iterating yields `Ok(lead)` for each record that could be read and `Err`
/// only when the input itself cannot be read further. Problems with records and
/// values go to the [`Issues`] given to [`LeadReader::new`]; once the input is
/// exhausted, the events of the events file that found no lead are reported too.
pub struct LeadReader<'a> {
    dec: Decoder<'a>,
    /// Decoders for NDJSON lines on other threads (made on first use, one per
    /// thread).
    forks: Vec<LineDecoder<'a>>,
    /// The line of each id's first record, by a 128-bit digest of the id
    /// (its type and text), so that memory per lead stays small whatever
    /// the ids' length; two ids sharing a digest has odds of about 1 in 10^19
    /// even for a billion leads.
    seen_ids: FxHashMap<IdDigest, u64>,
    issues: Issues<'a>,
    file: Arc<str>,
    input: Input<'a>,
    events: Option<Arc<EventIndex>>,
    position: u64,
    leads_read: u64,
    /// With kept columns: every key or column name met so far.
    keys_seen: FxHashSet<Box<str>>,
    /// The input is exhausted.
    finished: bool,
    /// The events that found no lead have been reported.
    ended: bool,
}

impl<'a> LeadReader<'a> {
    /// Start reading `source` by `schema`. A JSON array file is read whole here;
    /// NDJSON and CSV are read as the leads are asked for.
    pub fn new(
        schema: &'a Schema,
        source: Source<'a>,
        options: &ReadOptions,
        issues: Issues<'a>,
    ) -> Result<LeadReader<'a>, ReadError> {
        let file = source.name.clone();
        let format = resolve_format(&file, options.format)?;
        let layout = Layout::new(schema, options.id_field.as_deref())
            .with_keep(&options.keep)
            .with_written(options.written);
        let mut reader = buffered(&file, source.reader)?;
        let input = match format {
            InputFormat::Ndjson => Input::Ndjson {
                reader,
                line: 0,
                one: RawLines::default(),
            },
            InputFormat::Json => {
                let mut text = String::new();
                read_json_text(&file, &mut reader, &mut text, MAX_JSON_BYTES)?;
                let base = text.as_ptr() as usize;
                let items: Vec<(usize, usize)> = json_array(&file, &text)?
                    .into_iter()
                    .map(|s| {
                        let start = s.as_ptr() as usize - base;
                        (start, start + s.len())
                    })
                    .collect();
                let starts = line_starts(&text);
                Input::Json {
                    text,
                    items: items.into_iter(),
                    starts,
                }
            }
            InputFormat::Csv => Input::Table {
                rows: Box::new(Table::Csv(Box::new(CsvRows::new(file.clone(), reader)))),
                keys: None,
                header: Vec::new(),
                kept: Vec::new(),
            },
            InputFormat::Xlsx => Input::Table {
                rows: Box::new(Table::Sheet(SheetRows::open(
                    &file,
                    Box::new(reader),
                    options.sheet.as_deref(),
                )?)),
                keys: None,
                header: Vec::new(),
                kept: Vec::new(),
            },
        };
        Ok(LeadReader {
            dec: Decoder::new(layout),
            forks: Vec::new(),
            seen_ids: FxHashMap::default(),
            issues,
            file,
            input,
            events: None,
            position: 0,
            leads_read: 0,
            keys_seen: FxHashSet::default(),
            finished: false,
            ended: false,
        })
    }

    /// Join the events of an events file to the leads by id.
    pub fn with_events(mut self, mut events: EventIndex) -> LeadReader<'a> {
        self.dec.seen.merge(std::mem::take(&mut events.seen));
        self.events = Some(Arc::new(events));
        self
    }

    /// The issues reported so far (for their counts).
    pub fn issues(&self) -> &Issues<'a> {
        &self.issues
    }

    /// Stop reading and get the issues back (to go on counting in a later read).
    pub fn into_issues(self) -> Issues<'a> {
        self.issues
    }

    /// Leads produced so far.
    pub fn leads_read(&self) -> u64 {
        self.leads_read
    }

    /// Records met so far, bad ones (skipped lines and rows) included.
    pub fn records_seen(&self) -> u64 {
        self.position
    }

    /// Up to `n` more leads, in input order; empty at the end. NDJSON records
    /// are decoded on every core; the leads, their issues and the duplicate
    /// id checks come out exactly as when reading one lead at a time.
    pub fn next_chunk(&mut self, n: usize) -> Result<Vec<LeadRecord>, ReadError> {
        if matches!(self.input, Input::Ndjson { .. })
            && n >= PARALLEL_MIN
            && rayon::current_num_threads() > 1
        {
            // A chunk whose every line was bad gives no lead: go on to the
            // next, so that an empty chunk always means the end.
            loop {
                let chunk = self.next_chunk_parallel(n)?;
                if !chunk.is_empty() || self.finished {
                    return Ok(chunk);
                }
            }
        }
        let mut out = Vec::with_capacity(n.min(1 << 16));
        while out.len() < n {
            match self.next_lead()? {
                Some(lead) => out.push(lead),
                None => break,
            }
        }
        Ok(out)
    }

    /// Read every lead that is left.
    pub fn read_all(mut self) -> Result<(Vec<LeadRecord>, Issues<'a>), ReadError> {
        let mut out = Vec::new();
        while let Some(lead) = self.next_lead()? {
            out.push(lead);
        }
        Ok((out, self.issues))
    }

    /// The next lead, or `None` at the end of the input.
    pub fn next_lead(&mut self) -> Result<Option<LeadRecord>, ReadError> {
        if self.finished {
            return Ok(None);
        }
        let got = self.read_one()?;
        match got {
            Some((lead, line)) => Ok(Some(self.complete(lead, line))),
            None => {
                self.finished = true;
                self.finish();
                Ok(None)
            }
        }
    }

    /// The steps every decoded lead goes through in input order: the
    /// duplicate-id check, the events file's events, sorting.
    fn complete(&mut self, mut lead: LeadRecord, line: u64) -> LeadRecord {
        self.check_duplicate(&lead.id, id_digest(&lead.id), line);
        join_events(self.events.as_deref(), &mut lead);
        self.leads_read += 1;
        lead
    }

    /// Report `id` if an earlier record had it. Called in input order, after
    /// the record's own issues, whether records were decoded here or on
    /// other threads.
    fn check_duplicate(&mut self, id: &LeadId, digest: IdDigest, line: u64) {
        match self.seen_ids.entry(digest) {
            Entry::Vacant(e) => {
                e.insert(line);
            }
            Entry::Occupied(e) => {
                let first = *e.get();
                let shown = match id {
                    LeadId::Str(s) => format!("{s:?}"),
                    LeadId::Int(i) => i.to_string(),
                };
                let loc = Loc {
                    file: self.file.clone(),
                    line,
                    column: None,
                    lead: Some(id.clone()),
                };
                self.issues.report(loc.error(
                    Some(&self.dec.layout.id_key),
                    format!(
                        "duplicate id {shown} (first at line {first}); both records are evaluated"
                    ),
                ));
            }
        }
    }

    /// Report what only the end of the input tells: the events of the events
    /// file that found no lead. Reading to the end with [`LeadReader::next_lead`]
    /// or [`LeadReader::next_chunk`] does this itself; after
    /// [`LeadReader::next_lines`], call it once every block is settled. Later
    /// calls do nothing.
    pub fn finish(&mut self) {
        if !self.ended {
            self.ended = true;
            if let Some(index) = &self.events {
                index.report_unmatched(&mut self.issues);
            }
            // Fields of JSON data that no record (or event) had; a CSV's
            // were told at its header. A file without records fills nothing
            // and is not warned about.
            let leads =
                (!matches!(self.input, Input::Table { .. }) && self.position > 0).then(|| Loc {
                    file: self.file.clone(),
                    line: 0,
                    column: None,
                    lead: None,
                });
            unfilled::report_seen(
                &self.dec.layout,
                &self.dec.seen,
                leads.as_ref(),
                &mut self.issues,
            );
        }
    }

    /// The next up to `n` non-blank NDJSON lines, split off but not decoded,
    /// for a [`LineDecoder`] to decode on any thread; their issues and ids
    /// then come back, in input order, through [`LeadReader::settle`].
    /// `block` is filled anew (pass `RawLines::default()`, or a block done
    /// with, to reuse its memory). `None` when the input is not NDJSON (read
    /// it with [`LeadReader::next_chunk`]); a block with no lines at the end.
    pub fn next_lines(
        &mut self,
        n: usize,
        mut block: RawLines,
    ) -> Result<Option<RawLines>, ReadError> {
        let Input::Ndjson { reader, line, .. } = &mut self.input else {
            return Ok(None);
        };
        if self.finished {
            block.bytes.clear();
            block.lines.clear();
            block.at_end = true;
        } else {
            block.fill(&self.file, reader, line, &mut self.position, n)?;
            self.finished = block.at_end;
        }
        Ok(Some(block))
    }

    /// A decoder for the lines of [`LeadReader::next_lines`], to use on
    /// another thread.
    pub fn line_decoder(&self) -> LineDecoder<'a> {
        LineDecoder {
            dec: self.dec.clone(),
            file: self.file.clone(),
            events: self.events.clone(),
        }
    }

    /// Take back, in input order, what decoding a block of lines found: its
    /// issues are reported, its ids checked for duplicates and its leads counted.
    pub fn settle(&mut self, decoded: Decoded) {
        self.dec.seen.merge(decoded.seen);
        let mut issues = decoded.issues.into_iter();
        let mut replayed = 0;
        for lead in decoded.leads {
            self.issues
                .replay(issues.by_ref().take(lead.issues_before - replayed));
            replayed = lead.issues_before;
            self.check_duplicate(&lead.id, lead.digest, lead.line);
            self.leads_read += 1;
        }
        self.issues.replay(issues);
        self.keys_seen.extend(decoded.new_keys);
    }

    /// The kept names (`--keep`) that no key or column of the data read so
    /// far matches, each with the closest name the data has.
    pub fn kept_missing(&mut self) -> Vec<(String, Option<String>)> {
        self.keys_seen.extend(self.dec.take_new_keys());
        let layout = &self.dec.layout;
        let mut seen = vec![false; layout.keep.len()];
        for key in &self.keys_seen {
            if let Some((k, _)) = layout.kept(key) {
                seen[k] = true;
            }
        }
        let keys: Vec<&str> = self.keys_seen.iter().map(|k| &**k).collect();
        layout
            .keep
            .iter()
            .zip(seen)
            .filter(|(_, seen)| !seen)
            .map(|(name, _)| (name.clone(), closest_kept(layout, name, &keys)))
            .collect()
    }

    /// [`LeadReader::next_chunk`] for NDJSON: lines are split off here, decoded
    /// in contiguous parts by one decoder per thread, and settled in input order.
    fn next_chunk_parallel(&mut self, n: usize) -> Result<Vec<LeadRecord>, ReadError> {
        let Some(block) = self.next_lines(n, RawLines::default())? else {
            return Ok(Vec::new());
        };
        let threads = rayon::current_num_threads();
        while self.forks.len() < threads {
            let fork = self.line_decoder();
            self.forks.push(fork);
        }
        let ranges = block.parts(threads);
        let parts: Vec<(Vec<LeadRecord>, Decoded)> = self
            .forks
            .par_iter_mut()
            .zip(ranges)
            .map(|(dec, range)| {
                let mut leads = Vec::with_capacity(range.len());
                let decoded = dec.decode(&block, range, |lead| leads.push(lead));
                (leads, decoded)
            })
            .collect();
        let mut out = Vec::with_capacity(block.len());
        for (leads, decoded) in parts {
            self.settle(decoded);
            out.extend(leads);
        }
        if block.at_end {
            self.finish();
        }
        Ok(out)
    }

    /// [`LeadReader::read_one`] for NDJSON: the next line with a lead, by
    /// the same splitting and decoding as [`LeadReader::next_lines`] and
    /// [`LineDecoder::decode`].
    fn read_one_line(&mut self) -> Result<Option<(LeadRecord, u64)>, ReadError> {
        loop {
            let Input::Ndjson { one, .. } = &mut self.input else {
                return Ok(None);
            };
            let spare = std::mem::take(one);
            let Some(block) = self.next_lines(1, spare)? else {
                return Ok(None);
            };
            let got = block.lines.first().map(|raw| {
                let lead = ndjson_lead(&mut self.dec, &self.file, &block, raw, &mut self.issues);
                lead.map(|lead| (lead, raw.line))
            });
            if let Input::Ndjson { one, .. } = &mut self.input {
                *one = block;
            }
            match got {
                // The end of the input.
                None => return Ok(None),
                Some(Some(found)) => return Ok(Some(found)),
                // A line that gave no lead (its issue is reported).
                Some(None) => continue,
            }
        }
    }

    fn read_one(&mut self) -> Result<Option<(LeadRecord, u64)>, ReadError> {
        let base = Loc {
            file: self.file.clone(),
            line: 0,
            column: None,
            lead: None,
        };
        let dec = &mut self.dec;
        let issues = &mut self.issues;
        match &mut self.input {
            Input::Ndjson { .. } => self.read_one_line(),
            Input::Json {
                text,
                items,
                starts,
            } => loop {
                let Some((start, end)) = items.next() else {
                    return Ok(None);
                };
                let item = &text[start..end];
                let lines = Lines::File {
                    base: text.as_ptr() as usize,
                    starts,
                };
                let loc = base.at(lines.line_of(item), None);
                self.position += 1;
                match parse_object(item) {
                    Ok(entries) => {
                        let lead =
                            json_lead(dec, &entries.0, None, self.position, &loc, &lines, issues);
                        return Ok(Some((lead, loc.line)));
                    }
                    Err(why) => issues.report(loc.error(None, format!("{why} (record skipped)"))),
                }
            },
            Input::Table {
                rows,
                keys,
                header,
                kept,
            } => loop {
                let csv = rows.is_csv();
                let Some(row) = rows.next_row()? else {
                    return Ok(None);
                };
                let (line, cells) = match row {
                    TableRow::NotText(line) => {
                        if keys.is_some() {
                            self.position += 1;
                            issues.report(not_text(&base.at(line, None), "row"));
                            continue;
                        }
                        return Err(ReadError::io(
                            &self.file,
                            std::io::Error::other("the header line is not UTF-8 text"),
                        ));
                    }
                    TableRow::Cells(line, cells) => (line, cells),
                };
                let loc = base.at(line, None);
                let Some(keys) = keys.as_ref() else {
                    let names: Vec<String> = cells.iter().map(Cell::header_text).collect();
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    let head = Header {
                        names: &refs,
                        first_col: cells.first().map_or(1, Cell::column),
                    };
                    *keys = Some(lead_header(&dec.layout, &head, csv, &loc, issues)?);
                    *header = names;
                    *kept = kept_columns(&dec.layout, header, &self.file)?;
                    self.keys_seen
                        .extend(header.iter().map(|h| h.as_str().into()));
                    continue;
                };
                self.position += 1;
                if cells.len() != keys.len() {
                    issues.report(wrong_width(&loc, cells.len(), keys.len(), "row"));
                    continue;
                }
                let mut slots = LeadSlots::new(&dec.layout);
                for (k, &(c, exact)) in kept.iter().enumerate() {
                    slots.kept[k] = Some(Slot {
                        cell: cells[c],
                        key: &header[c],
                        exact,
                    });
                }
                for (&key, (cell, name)) in keys.iter().zip(cells.iter().zip(header.iter())) {
                    slots.put(
                        key,
                        Slot {
                            cell: *cell,
                            key: name,
                            exact: true,
                        },
                        &dec.layout,
                    );
                }
                let lines = Lines::Fixed(line);
                let lead = dec.lead(&slots, None, self.position, &loc, &lines, issues);
                return Ok(Some((lead, line)));
            },
        }
    }
}

/// The column of each kept name: an exact match first, else the first
/// column whose name normalises to it; a name no column matches stops the
/// read, naming the closest column.
fn kept_columns(
    layout: &Layout,
    header: &[String],
    file: &str,
) -> Result<Vec<(usize, bool)>, ReadError> {
    let mut out: Vec<Option<(usize, bool)>> = vec![None; layout.keep.len()];
    for (c, h) in header.iter().enumerate() {
        if let Some((k, exact)) = layout.kept(h) {
            if out[k].is_none() || (exact && out[k].is_some_and(|(_, e)| !e)) {
                out[k] = Some((c, exact));
            }
        }
    }
    out.into_iter()
        .zip(&layout.keep)
        .map(|(found, name)| {
            found.ok_or_else(|| {
                let cols: Vec<&str> = header.iter().map(String::as_str).collect();
                ReadError::NoKeptColumn {
                    file: file.to_string(),
                    column: name.clone(),
                    closest: closest_kept(layout, name, &cols),
                }
            })
        })
        .collect()
}

/// The column or key to suggest for a kept name the data does not have: for
/// the name of a lead field read from another column (`from`, language
/// §3.1), that column when the data has it; else the closest name.
fn closest_kept(layout: &Layout, wanted: &str, names: &[&str]) -> Option<String> {
    let norm = crate::decode::normalise_key(wanted);
    let source = layout
        .schema
        .lead
        .iter()
        .filter(|f| f.source.is_some())
        .find(|f| f.name == wanted || crate::decode::normalise_key(&f.name) == norm)
        .map(|f| f.source_name());
    if let Some(source) = source {
        let src_norm = crate::decode::normalise_key(source);
        let found = names.iter().find(|n| **n == source).or_else(|| {
            names
                .iter()
                .find(|n| crate::decode::normalise_key(n) == src_norm)
        });
        if let Some(n) = found {
            return Some(n.to_string());
        }
    }
    closest(wanted, names)
}

/// The name among `names` closest to `wanted` (after normalising both).
pub(crate) fn closest(wanted: &str, names: &[&str]) -> Option<String> {
    let w = crate::decode::normalise_key(wanted);
    names
        .iter()
        .map(|n| {
            (
                strsim::jaro_winkler(&w, &crate::decode::normalise_key(n)),
                *n,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, n)| n.to_string())
}

/// Chunks smaller than this are read one lead at a time.
const PARALLEL_MIN: usize = 64;

/// A block of lines ends after this many bytes even when it has fewer lines
/// than asked for, so that the memory of the blocks in flight stays bounded
/// whatever the length of the lines (each at most [`MAX_RECORD_BYTES`]).
///
/// [`MAX_RECORD_BYTES`]: crate::MAX_RECORD_BYTES
const BLOCK_BYTES: usize = 16 << 20;

/// One NDJSON line split off for decoding: where it is in the chunk's buffer.
struct RawLine {
    line: u64,
    position: u64,
    start: usize,
    end: usize,
}

/// A line with nothing but white space, as `str::trim` sees it. Only a line
/// whose first non-blank byte is not ASCII needs the full UTF-8 check here.
fn is_blank(bytes: &[u8]) -> bool {
    // The ASCII characters `char::is_whitespace` counts (with vertical tab).
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    match bytes.iter().find(|b| !space(b)) {
        None => true,
        Some(b) if b.is_ascii() => false,
        Some(_) => std::str::from_utf8(bytes).is_ok_and(|t| t.trim().is_empty()),
    }
}

/// NDJSON lines split off by [`LeadReader::next_lines`], not decoded yet.
#[derive(Default)]
pub struct RawLines {
    /// The lines one after the other.
    bytes: Vec<u8>,
    lines: Vec<RawLine>,
    at_end: bool,
}

impl RawLines {
    /// Read the next up to `n` non-blank lines of `reader` (fewer once they
    /// hold [`BLOCK_BYTES`]) in place of these; `line` is the number of the
    /// last line read, `position` the number of the last non-blank one.
    /// `at_end` tells whether the input ended.
    pub(crate) fn fill(
        &mut self,
        file: &str,
        reader: &mut impl BufRead,
        line: &mut u64,
        position: &mut u64,
        n: usize,
    ) -> Result<(), ReadError> {
        self.bytes.clear();
        self.lines.clear();
        self.at_end = false;
        while self.lines.len() < n && self.bytes.len() < BLOCK_BYTES {
            let start = self.bytes.len();
            let got =
                read_line_bounded(file, reader, &mut self.bytes, *line + 1, MAX_RECORD_BYTES)?;
            if got == 0 {
                self.at_end = true;
                break;
            }
            *line += 1;
            if is_blank(&self.bytes[start..]) {
                self.bytes.truncate(start);
                continue;
            }
            *position += 1;
            self.lines.push(RawLine {
                line: *line,
                position: *position,
                start,
                end: self.bytes.len(),
            });
        }
        Ok(())
    }

    /// The lines cut into at most `n` runs of neighbouring lines, as even as
    /// can be, one for each thread to decode.
    pub(crate) fn parts(&self, n: usize) -> Vec<Range<usize>> {
        let len = self.lines.len();
        let per_part = len.div_ceil(n.max(1)).max(1);
        (0..len)
            .step_by(per_part)
            .map(|start| start..(start + per_part).min(len))
            .collect()
    }

    /// The `i`th line: its number and its text.
    pub(crate) fn line(&self, i: usize) -> (u64, &[u8]) {
        let raw = &self.lines[i];
        (raw.line, &self.bytes[raw.start..raw.end])
    }

    /// How many (non-blank) lines there are.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether the input ended after these lines.
    pub fn at_end(&self) -> bool {
        self.at_end
    }
}

/// What decoding lines found besides the leads, for [`LeadReader::settle`]:
/// their issues in order, and what each lead's duplicate-id check needs.
pub struct Decoded {
    issues: Vec<Deferred>,
    leads: Vec<DecodedId>,
    /// What the lines had of the fields' keys.
    seen: Seen,
    /// With kept columns: keys this decoder met for the first time.
    new_keys: Vec<Box<str>>,
}

/// A decoded lead's id, where it is, and how many of the block's issues come
/// before its duplicate-id check.
struct DecodedId {
    id: LeadId,
    digest: IdDigest,
    line: u64,
    issues_before: usize,
}

/// Decodes the NDJSON lines of [`LeadReader::next_lines`] into leads with
/// the events file's events joined and every event list sorted, on any thread.
#[derive(Clone)]
pub struct LineDecoder<'a> {
    dec: Decoder<'a>,
    file: Arc<str>,
    events: Option<Arc<EventIndex>>,
}

impl LineDecoder<'_> {
    /// Decode the lines `range` of `block`, handing each lead to `each` in
    /// order. Lines that are not a JSON object give no lead; their issue is
    /// among those returned.
    pub fn decode(
        &mut self,
        block: &RawLines,
        range: Range<usize>,
        mut each: impl FnMut(LeadRecord),
    ) -> Decoded {
        let mut issues = Issues::deferred();
        let mut leads = Vec::with_capacity(range.len());
        for raw in &block.lines[range] {
            let Some(mut lead) = ndjson_lead(&mut self.dec, &self.file, block, raw, &mut issues)
            else {
                continue;
            };
            join_events(self.events.as_deref(), &mut lead);
            leads.push(DecodedId {
                id: lead.id.clone(),
                digest: id_digest(&lead.id),
                line: raw.line,
                issues_before: issues.kept(),
            });
            each(lead);
        }
        Decoded {
            issues: issues.into_deferred(),
            leads,
            seen: std::mem::take(&mut self.dec.seen),
            new_keys: self.dec.take_new_keys(),
        }
    }
}

/// Decode one line of `block` into a lead. A line that is not UTF-8 text or
/// not a JSON object is reported and gives none.
fn ndjson_lead(
    dec: &mut Decoder,
    file: &Arc<str>,
    block: &RawLines,
    raw: &RawLine,
    issues: &mut Issues,
) -> Option<LeadRecord> {
    let loc = Loc {
        file: file.clone(),
        line: raw.line,
        column: None,
        lead: None,
    };
    let Ok(text) = std::str::from_utf8(&block.bytes[raw.start..raw.end]) else {
        issues.report(loc.error(
            None,
            "this line is not UTF-8 text; save the file as UTF-8 (line skipped)".into(),
        ));
        return None;
    };
    let text = text.trim();
    let lines = Lines::Fixed(raw.line);
    // The usual line in one pass, its nested events read in place; the
    // others (and leads whose raw texts are kept) the general way.
    let layout = &dec.layout;
    if layout.keep.is_empty() && !layout.written && layout.id_key != "events" {
        if let Some(line) = parse_lead_line(text) {
            let entries = &line.entries;
            return Some(json_lead(
                dec,
                entries,
                Some(&line),
                raw.position,
                &loc,
                &lines,
                issues,
            ));
        }
    }
    match parse_object(text) {
        Ok(entries) => Some(json_lead(
            dec,
            &entries.0,
            None,
            raw.position,
            &loc,
            &lines,
            issues,
        )),
        Err(why) => {
            issues.report(loc.error(None, format!("{why} (line skipped)")));
            None
        }
    }
}

/// Add the events file's events for `lead` (if any) and sort its events.
fn join_events(index: Option<&EventIndex>, lead: &mut LeadRecord) {
    if let Some(index) = index {
        match &lead.id {
            LeadId::Str(s) => index.join(s, &mut lead.events),
            LeadId::Int(i) => index.join(&i.to_string(), &mut lead.events),
        }
    }
    lead.sort_events();
}

/// Decode a lead from its JSON object's entries; `in_place`: see
/// [`Decoder::lead`].
fn json_lead(
    dec: &mut Decoder,
    entries: &[JsonEntry],
    in_place: Option<&LeadLine>,
    position: u64,
    loc: &Loc,
    lines: &Lines,
    issues: &mut Issues,
) -> LeadRecord {
    let mut slots = LeadSlots::new(&dec.layout);
    let keeps = !dec.layout.keep.is_empty();
    for (k, v) in entries {
        if keeps {
            if let Some(kept) = dec.json_kept_key(k) {
                let slot = Slot {
                    cell: Cell::Json(v),
                    key: k,
                    exact: kept.1,
                };
                slots.keep(kept, slot);
            }
        }
        let (key, exact) = dec.json_lead_key(k, v, loc, lines, issues);
        slots.put(
            key,
            Slot {
                cell: Cell::Json(v),
                key: k,
                exact,
            },
            &dec.layout,
        );
    }
    dec.lead(&slots, in_place, position, loc, lines, issues)
}

impl Iterator for LeadReader<'_> {
    type Item = Result<LeadRecord, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_lead().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::is_blank;

    #[test]
    fn blank_means_what_trim_means() {
        let samples: [&[u8]; 9] = [
            b"",
            b" \t\r\n",
            b"\x0b\x0c\n",
            b" {}\n",
            "\u{a0}\u{2028}\n".as_bytes(),
            "\u{a0}x".as_bytes(),
            b"\xff\n",
            b"  \xc3\n",
            "\u{85}".as_bytes(),
        ];
        for bytes in samples {
            let by_trim = std::str::from_utf8(bytes).is_ok_and(|t| t.trim().is_empty());
            assert_eq!(is_blank(bytes), by_trim, "{bytes:?}");
        }
    }
}
