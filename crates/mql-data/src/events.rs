//! The events file (`--events FILE`): every event of every lead, read fully
//! before the leads and joined to them by `lead_id`.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mql_core::{EventRec, LeadId, Schema, Value};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::csvin::{
    event_header, not_text, wrong_width, CsvBlocks, EventColumns, Header, Row, Table, TableRow,
};
use crate::issue::{Deferred, Issues, Loc};
use crate::json::{line_starts, parse_object, Lines};
use crate::layout::{Cell, Decoder, Layout};
use crate::leads::RawLines;
use crate::sheet::SheetRows;
use crate::source::{
    buffered, read_json_text, resolve_format, InputFormat, ReadError, ReadOptions, Source,
    MAX_JSON_BYTES,
};
use crate::unfilled::Seen;

/// The events of an events file, by the text of their `lead_id`.
///
/// A file's events are all held until the leads are read, so they are kept
/// compactly: every event's entry (24 bytes) in one chunked array in file
/// order, the field values the rules read in another, and each lead's
/// events chained through their entries (docs/performance.md, "CSV").
#[derive(Debug, Default)]
pub struct EventIndex {
    file: Arc<str>,
    by_lead: FxHashMap<Box<str>, EventGroup>,
    entries: Chunks<IndexedEvent>,
    values: Chunks<Value>,
    /// How many events were read (bad ones not included).
    count: usize,
    /// The `lead_id` column of an events CSV, to locate unmatched events.
    lead_id_column: Option<u64>,
    /// What its JSON events had of their fields (an events CSV's fields are
    /// checked at its header).
    pub(crate) seen: Seen,
    /// Per event type, the fields kept in `values` and how many fields the
    /// type has (see [`ReadOptions::event_fields`]).
    kept: Vec<Kept>,
}

/// The fields of one event type an index keeps.
#[derive(Clone, Debug)]
struct Kept {
    /// The slots kept, in order (`None`: every one).
    slots: Option<Box<[u32]>>,
    /// How many fields the type has.
    width: usize,
}

impl Kept {
    /// How many values an event of this type holds in the index.
    fn held(&self) -> usize {
        self.slots.as_ref().map_or(self.width, |s| s.len())
    }

    /// The values kept of an event's fields (taken out of them), in order.
    fn values<'f>(&'f self, fields: &'f mut [Value]) -> impl ExactSizeIterator<Item = Value> + 'f {
        (0..self.held()).map(move |k| {
            let slot = self.slots.as_ref().map_or(k, |s| s[k] as usize);
            fields.get_mut(slot).map(std::mem::take).unwrap_or_default()
        })
    }
}

/// One event in the index.
#[derive(Debug)]
struct IndexedEvent {
    at: i64,
    /// Its line in the high [`LINE_BITS`] bits, its type in the rest.
    line_ty: u64,
    /// The next event of the same `lead_id`, in file order ([`LAST`] for none).
    next: Pos,
    /// Where its fields start in `values` (as many as its type keeps).
    fields: Pos,
}

/// Bits of [`IndexedEvent::line_ty`] for the line: lines up to 2^40, event
/// types up to 2^24.
const LINE_BITS: u32 = 40;
const TY_BITS: u32 = 64 - LINE_BITS;

impl IndexedEvent {
    fn line(&self) -> u64 {
        self.line_ty >> TY_BITS
    }

    fn ty(&self) -> usize {
        (self.line_ty & ((1 << TY_BITS) - 1)) as usize
    }
}

/// [`IndexedEvent::next`] of a lead's last event.
const LAST: Pos = Pos::MAX;

#[derive(Debug)]
struct EventGroup {
    /// The `lead_id` as the first event gave it, when that is not its key's text.
    given: Given,
    /// Its first and last events in `entries`.
    first: Pos,
    last: Pos,
    /// Set by the first lead that takes these events; leads are joined on
    /// several threads at once, and whichever sets it first, the answer is the same.
    matched: AtomicBool,
}

/// How a group's `lead_id` was given, beside the text it is found by.
#[derive(Debug)]
enum Given {
    /// As that text.
    Text,
    /// As a whole number (the text is its digits).
    Int,
    /// Some other way (a JSON text with spaces around it).
    Other(LeadId),
}

impl Given {
    fn of(key: &str, lead: LeadId) -> Given {
        match lead {
            LeadId::Str(s) if *s == *key => Given::Text,
            LeadId::Int(i) if key.parse() == Ok(i) => Given::Int,
            other => Given::Other(other),
        }
    }

    fn lead(&self, key: &str) -> LeadId {
        match self {
            Given::Text => LeadId::Str(Arc::from(key)),
            Given::Int => LeadId::Int(key.parse().unwrap_or_default()),
            Given::Other(id) => id.clone(),
        }
    }
}

/// Items kept in chunks: the array grows without copying what it holds, and
/// without a moment where it is held twice.
#[derive(Debug)]
struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    /// Items per chunk: an item's place is `chunk * size + place in chunk`.
    size: usize,
    /// The next place (items that did not fit at a chunk's end leave its
    /// rest unused).
    end: u64,
}

/// Where an item of [`Chunks`] is.
type Pos = u32;

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks::new(CHUNK)
    }
}

/// Items per chunk, at least.
const CHUNK: usize = 1 << 16;

impl<T> Chunks<T> {
    fn new(size: usize) -> Self {
        Chunks {
            chunks: Vec::new(),
            size: size.max(1),
            end: 0,
        }
    }

    /// Add `items` (at most a chunk's size), kept side by side in one chunk;
    /// where the first is, or `None` when the places a [`Pos`] can name are
    /// used up.
    fn push_all(&mut self, items: impl ExactSizeIterator<Item = T>) -> Option<Pos> {
        let n = items.len();
        let size = self.size as u64;
        if n as u64 > size || self.end >= u64::from(Pos::MAX) {
            return None;
        }
        let mut at = self.end;
        if n == 0 {
            return Some(at as Pos);
        }
        if at % size + n as u64 > size || self.chunks.len() as u64 <= at / size {
            at = at.div_ceil(size) * size;
            self.chunks.push(Vec::with_capacity(self.size));
        }
        let end = at + n as u64;
        // `LAST` stays free to mean "none"
        if end >= u64::from(Pos::MAX) {
            return None;
        }
        let chunk = self.chunks.last_mut()?;
        chunk.extend(items);
        self.end = end;
        Some(at as Pos)
    }

    fn get(&self, at: Pos) -> &T {
        &self.slice(at, 1)[0]
    }

    fn get_mut(&mut self, at: Pos) -> &mut T {
        let (chunk, i) = self.split(at);
        &mut self.chunks[chunk][i]
    }

    /// `n` items side by side from `at`.
    fn slice(&self, at: Pos, n: usize) -> &[T] {
        if n == 0 {
            return &[];
        }
        let (chunk, i) = self.split(at);
        &self.chunks[chunk][i..i + n]
    }

    /// A [`Pos`]'s chunk and its place in it.
    fn split(&self, at: Pos) -> (usize, usize) {
        (at as usize / self.size, at as usize % self.size)
    }
}

impl EventIndex {
    fn new(file: Arc<str>, kept: Vec<Kept>) -> EventIndex {
        let widest = kept.iter().map(Kept::held).max().unwrap_or(0);
        EventIndex {
            file,
            values: Chunks::new(CHUNK.max(widest)),
            kept,
            ..Default::default()
        }
    }

    /// How many events were read (bad ones not included).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The events file's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// How many distinct `lead_id`s the events name.
    pub fn leads(&self) -> usize {
        self.by_lead.len()
    }

    /// Add the events a part of the file found, in order.
    fn add_found(&mut self, found: &mut Found) -> Result<(), ReadError> {
        let kept = std::mem::take(&mut self.kept);
        let mut values = found.values.drain(..);
        let mut from = 0;
        let mut added = Ok(());
        for e in found.events.drain(..) {
            let key = found.ids.get(from..e.id_end).unwrap_or_default();
            from = e.id_end;
            // (the types come from the schema the index was made for)
            let Some(n) = kept.get(e.ty).map(Kept::held) else {
                continue;
            };
            let given = || e.given;
            added = self.add_kept(key, given, e.line, e.ty, e.at, values.by_ref().take(n));
            if added.is_err() {
                break;
            }
        }
        drop(values);
        found.clear();
        self.kept = kept;
        added
    }

    /// Add an event read, with the values its type keeps; `given` says how
    /// its `lead_id` was written, asked for only the first time `key` is met.
    fn add_kept(
        &mut self,
        key: &str,
        given: impl FnOnce() -> Given,
        line: u64,
        ty: usize,
        at: i64,
        values: impl ExactSizeIterator<Item = Value>,
    ) -> Result<(), ReadError> {
        let too_large = || {
            ReadError::io(
                &self.file,
                std::io::Error::other(format!(
                    "line {line}: more events than one events file can hold \
                     (about 4 billion); split the leads and their events into \
                     several files, or nest each lead's events in its NDJSON line"
                )),
            )
        };
        if line >> LINE_BITS != 0 || ty >> TY_BITS != 0 {
            return Err(too_large());
        }
        let Some(fields) = self.values.push_all(values) else {
            return Err(too_large());
        };
        let entry = IndexedEvent {
            at,
            line_ty: (line << TY_BITS) | ty as u64,
            next: LAST,
            fields,
        };
        let Some(here) = self.entries.push_all(std::iter::once(entry)) else {
            return Err(too_large());
        };
        self.count += 1;
        // the key is made only for a lead id not met before
        match self.by_lead.get_mut(key) {
            Some(group) => {
                self.entries.get_mut(group.last).next = here;
                group.last = here;
            }
            None => {
                let group = EventGroup {
                    given: given(),
                    first: here,
                    last: here,
                    matched: AtomicBool::new(false),
                };
                self.by_lead.insert(key.into(), group);
            }
        }
        Ok(())
    }

    /// A group's events in file order.
    fn events_of<'i>(&'i self, group: &EventGroup) -> impl Iterator<Item = &'i IndexedEvent> + 'i {
        std::iter::successors(Some(self.entries.get(group.first)), |e| {
            (e.next != LAST).then(|| self.entries.get(e.next))
        })
    }

    /// Append the events of the lead whose id reads `id_text` to its groups
    /// (file order), and remember that they found their lead.
    pub(crate) fn join(&self, id_text: &str, groups: &mut [Vec<EventRec>]) {
        if let Some(g) = self.by_lead.get(id_text) {
            g.matched.store(true, Ordering::Relaxed);
            for e in self.events_of(g) {
                let ty = e.ty();
                let (Some(group), Some(kept)) = (groups.get_mut(ty), self.kept.get(ty)) else {
                    continue;
                };
                let values = self.values.slice(e.fields, kept.held());
                let fields = match &kept.slots {
                    Some(slots) => {
                        let mut all = vec![Value::Unknown; kept.width];
                        for (&slot, v) in slots.iter().zip(values) {
                            if let Some(place) = all.get_mut(slot as usize) {
                                *place = v.clone();
                            }
                        }
                        all.into()
                    }
                    None => values.into(),
                };
                group.push(EventRec { at: e.at, fields });
            }
        }
    }

    /// Report every event whose `lead_id` matched no lead, in file order.
    pub(crate) fn report_unmatched(&self, issues: &mut Issues) {
        let mut left: Vec<(u64, &str, &Given)> = self
            .by_lead
            .iter()
            .filter(|(_, g)| !g.matched.load(Ordering::Relaxed))
            .flat_map(|(k, g)| {
                self.events_of(g)
                    .map(move |e| (e.line(), k.as_ref(), &g.given))
            })
            .collect();
        left.sort_by_key(|e| e.0);
        for (line, key, given) in left {
            let lead = given.lead(key);
            let shown = match lead {
                LeadId::Int(_) => key.to_string(),
                LeadId::Str(_) => format!("{key:?}"),
            };
            let loc = Loc {
                file: self.file.clone(),
                line,
                column: None,
                lead: Some(lead),
            };
            let mut issue = loc
                .error(
                    Some("lead_id"),
                    format!("no lead with id {shown} (event skipped)"),
                )
                .with_value(shown);
            issue.column = self.lead_id_column;
            issues.report(issue);
        }
    }
}

/// Read a whole events file (NDJSON, JSON array, CSV or a workbook's sheet,
/// each event with its `lead_id`), reporting bad events to `issues`.
pub fn read_events(
    schema: &Schema,
    source: Source<'_>,
    options: &ReadOptions,
    issues: &mut Issues,
) -> Result<EventIndex, ReadError> {
    let file = source.name.clone();
    let format = resolve_format(&file, options.format)?;
    let mut dec = Decoder::new(Layout::new(schema, None));
    let kept = schema
        .events
        .iter()
        .enumerate()
        .map(|(ty, def)| Kept {
            slots: options
                .event_fields
                .as_ref()
                .map(|used| used.get(ty).cloned().unwrap_or_default().into()),
            width: def.fields.len(),
        })
        .collect();
    let mut index = EventIndex::new(file.clone(), kept);
    let mut input = buffered(&file, source.reader)?;
    let base = Loc {
        file: file.clone(),
        line: 0,
        column: None,
        lead: None,
    };
    match format {
        InputFormat::Ndjson => {
            // Lines are split off here, a block at a time, and decoded on
            // every core; what each part of a block found is then added
            // (and its issues reported) in file order.
            let threads = rayon::current_num_threads().max(1);
            let kept = index.kept.clone();
            let mut forks: Vec<Fork> = (0..threads).map(|_| Fork::new(&dec, &file)).collect();
            let mut block = RawLines::default();
            let (mut line, mut position) = (0u64, 0u64);
            while !block.at_end() {
                block.fill(&file, &mut input, &mut line, &mut position, BLOCK_LINES)?;
                let deferred: Vec<Vec<Deferred>> = forks
                    .par_iter_mut()
                    .zip(block.parts(threads))
                    .map(|(fork, part)| {
                        let mut issues = Issues::deferred();
                        for i in part {
                            let (line, bytes) = block.line(i);
                            let loc = fork.base.at(line, None);
                            let found = &mut fork.found;
                            ndjson_event(&mut fork.dec, bytes, &loc, &kept, &mut issues, found);
                        }
                        issues.into_deferred()
                    })
                    .collect();
                for (deferred, fork) in deferred.into_iter().zip(&mut forks) {
                    issues.replay(deferred);
                    index.add_found(&mut fork.found)?;
                }
            }
            for fork in forks {
                dec.seen.merge(fork.dec.seen);
            }
        }
        InputFormat::Json => {
            let mut text = String::new();
            read_json_text(&file, &mut input, &mut text, MAX_JSON_BYTES)?;
            let items = json_array(&file, &text)?;
            let starts = line_starts(&text);
            let lines = Lines::File {
                base: text.as_ptr() as usize,
                starts: &starts,
            };
            let kept = index.kept.clone();
            let mut found = Found::default();
            for item in items {
                let loc = base.at(lines.line_of(item), None);
                event_object(&mut dec, item, &loc, &lines, &kept, issues, &mut found);
                index.add_found(&mut found)?;
            }
        }
        InputFormat::Csv => {
            // The reading thread cuts the text into blocks of whole records
            // (its tracker finds where they start); every core parses and
            // decodes a part of each block into a few lists of its own, and
            // what the parts found is added (and their issues reported) in
            // file order.
            let threads = rayon::current_num_threads().max(1);
            let mut blocks = CsvBlocks::new(file.clone(), input);
            let Some(first) = blocks.next_block(CSV_BLOCK_BYTES)? else {
                return Ok(index);
            };
            // the header: the first row that is not blank
            let mut head = None;
            if let Some(part) = first.parts(0, 1).first() {
                part.each_row(|k, row| {
                    head = Some(match row {
                        Row::Cells(line, cells) => {
                            let names = (cells.iter().enumerate())
                                .map(|(c, t)| Cell::Text(t, c as u64 + 1).header_text());
                            Some((k, line, names.collect::<Vec<String>>()))
                        }
                        Row::NotText(_) => None,
                    });
                    false
                });
            }
            let (k, header_line, header) = match head {
                None => return Ok(index),
                Some(None) => return Err(header_not_text(&file)),
                Some(Some(head)) => head,
            };
            let loc = base.at(header_line, None);
            let table = EventTable::new(&dec, &header, 1, true, &loc, issues)?;
            index.lead_id_column = Some(table.lead_id_col);
            let kept = index.kept.clone();
            let mut forks: Vec<Fork> = (0..threads).map(|_| Fork::new(&dec, &file)).collect();
            let mut block = Some((first, k + 1));
            while let Some((b, from)) = block {
                let deferred: Vec<Vec<Deferred>> = forks
                    .par_iter_mut()
                    .zip(b.parts(from, threads))
                    .map(|(fork, part)| {
                        let mut issues = Issues::deferred();
                        let mut last = None;
                        let Fork { dec, found, base } = fork;
                        part.each_row(|_, row| {
                            let event = table.event(dec, base, row.cells(), &mut issues, &mut last);
                            if let Some(e) = event {
                                let rec = EventRec {
                                    at: e.at,
                                    fields: e.fields,
                                };
                                found.push(&e.lead_text, e.lead, e.line, e.ty, rec, &kept);
                            }
                            true
                        });
                        issues.into_deferred()
                    })
                    .collect();
                for (deferred, fork) in deferred.into_iter().zip(&mut forks) {
                    issues.replay(deferred);
                    index.add_found(&mut fork.found)?;
                }
                blocks.recycle(b);
                block = blocks.next_block(CSV_BLOCK_BYTES)?.map(|b| (b, 0));
            }
            for fork in forks {
                dec.seen.merge(fork.dec.seen);
            }
        }
        InputFormat::Xlsx => {
            let mut rows = Table::Sheet(SheetRows::open(
                &file,
                Box::new(input),
                options.sheet.as_deref(),
            )?);
            let (header_line, header, first_col): (u64, Vec<String>, u64) = match rows.next_row()? {
                None => return Ok(index),
                Some(TableRow::NotText(_)) => return Err(header_not_text(&file)),
                Some(TableRow::Cells(line, cells)) => (
                    line,
                    cells.iter().map(Cell::header_text).collect(),
                    cells.first().map_or(1, Cell::column),
                ),
            };
            let loc = base.at(header_line, None);
            let table = EventTable::new(&dec, &header, first_col, false, &loc, issues)?;
            index.lead_id_column = Some(table.lead_id_col);
            let kept = index.kept.clone();
            let mut found = Found::default();
            let mut last = None;
            while let Some(row) = rows.next_row()? {
                if let Some(e) = table.event(&mut dec, &base, row, issues, &mut last) {
                    let rec = EventRec {
                        at: e.at,
                        fields: e.fields,
                    };
                    found.push(&e.lead_text, e.lead, e.line, e.ty, rec, &kept);
                    index.add_found(&mut found)?;
                }
            }
        }
    }
    index.seen = std::mem::take(&mut dec.seen);
    Ok(index)
}

/// The error for an events table whose header is not text.
fn header_not_text(file: &str) -> ReadError {
    ReadError::io(
        file,
        std::io::Error::other("the header line is not UTF-8 text"),
    )
}

/// How many bytes of an events CSV are cut off at a time, for the cores to
/// share.
const CSV_BLOCK_BYTES: usize = 4 << 20;

/// How the rows of an events CSV or sheet hold events.
struct EventTable {
    cols: EventColumns,
    /// Per event type, the column of each of its fields.
    columns: Vec<Vec<Option<usize>>>,
    /// How many cells a row has (the header's).
    width: usize,
    lead_id_col: u64,
}

/// One event of an events CSV or sheet.
struct TableEvent<'r> {
    lead_text: Cow<'r, str>,
    lead: LeadId,
    line: u64,
    ty: usize,
    at: i64,
    fields: Box<[Value]>,
}

impl EventTable {
    /// Match a header, whose first cell is in column `first_col`, to the
    /// schema's event types.
    fn new(
        dec: &Decoder,
        header: &[String],
        first_col: u64,
        csv: bool,
        loc: &Loc,
        issues: &mut Issues,
    ) -> Result<EventTable, ReadError> {
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        let head = Header {
            names: &names,
            first_col,
        };
        let cols = event_header(&dec.layout, &head, csv, loc, issues)?;
        let columns = (dec.layout.schema.events.iter())
            .zip(&cols.fields)
            .map(|(def, found)| {
                let mut column = vec![None; def.fields.len()];
                for &(f, c) in found {
                    if let Some(place) = column.get_mut(f) {
                        *place = Some(c);
                    }
                }
                column
            })
            .collect();
        Ok(EventTable {
            lead_id_col: first_col + cols.lead_id as u64,
            cols,
            columns,
            width: header.len(),
        })
    }

    /// The event of one row; its data errors go to `issues`. `last` is the
    /// lead id of the row before, kept rather than made again for each of a
    /// lead's events (they usually come a lead at a time).
    fn event<'r>(
        &self,
        dec: &mut Decoder,
        base: &Loc,
        row: TableRow<'r>,
        issues: &mut Issues,
        last: &mut Option<LeadId>,
    ) -> Option<TableEvent<'r>> {
        let (line, cells) = match row {
            TableRow::NotText(line) => {
                issues.report(not_text(&base.at(line, None), "event"));
                return None;
            }
            TableRow::Cells(line, cells) => (line, cells),
        };
        let cols = &self.cols;
        let mut loc = base.at(line, None);
        if cells.len() != self.width {
            issues.report(wrong_width(&loc, cells.len(), self.width, "event"));
            return None;
        }
        let lead_text = match cells[cols.lead_id].text() {
            Ok(Some(t)) => t,
            Ok(None) => {
                issues.report(loc.at(line, Some(self.lead_id_col)).error(
                    Some("lead_id"),
                    "event without `lead_id` (event skipped)".into(),
                ));
                return None;
            }
            Err(found) => {
                issues.report(loc.at(line, Some(self.lead_id_col)).error(
                    Some("lead_id"),
                    format!(
                        "expected a lead id (text or a whole number), found {found} (event skipped)"
                    ),
                ));
                return None;
            }
        };
        let lead = match last.as_ref() {
            Some(LeadId::Str(t)) if **t == *lead_text => LeadId::Str(t.clone()),
            _ => LeadId::Str(Arc::from(&*lead_text)),
        };
        *last = Some(lead.clone());
        loc.lead = Some(lead.clone());
        let lines = Lines::Fixed(line);
        let (ty, at) = dec.event_head(
            Some(cells[cols.ty]),
            Some(cells[cols.at]),
            &loc,
            &lines,
            issues,
        )?;
        let column = self.columns.get(ty).map_or(&[][..], Vec::as_slice);
        let cell = |i: usize| column.get(i).copied().flatten().map(|c| cells[c]);
        let fields = dec.event_fields_of(ty, cell, &[], &loc, &lines, issues);
        Some(TableEvent {
            lead_text,
            lead,
            line,
            ty,
            at,
            fields,
        })
    }
}

/// What one core keeps from block to block while it decodes its parts of an
/// events file: its decoder, what it found, and its own copy of the file's
/// name for the places of its messages (a name shared by the cores would
/// have its reference count changed by both for every event).
struct Fork<'s> {
    dec: Decoder<'s>,
    found: Found,
    base: Loc,
}

impl<'s> Fork<'s> {
    fn new(dec: &Decoder<'s>, file: &str) -> Fork<'s> {
        Fork {
            dec: dec.clone(),
            found: Found::default(),
            base: Loc {
                file: Arc::from(file),
                line: 0,
                column: None,
                lead: None,
            },
        }
    }
}

/// What was read of a part of an events file, to add to the index: the
/// events' lead ids one after the other, and per event where its id ends,
/// how the id was written, its line, type and time, and the values its type
/// keeps. Each core keeps its own from block to block, so that nothing is
/// allocated on one thread for each event and freed on another.
#[derive(Default)]
struct Found {
    ids: String,
    events: Vec<FoundEvent>,
    values: Vec<Value>,
}

struct FoundEvent {
    id_end: usize,
    given: Given,
    line: u64,
    ty: usize,
    at: i64,
}

impl Found {
    fn clear(&mut self) {
        self.ids.clear();
        self.events.clear();
        self.values.clear();
    }

    /// An event of the lead whose id reads `key`, given as `lead`, keeping
    /// the values `kept` says its type keeps.
    fn push(
        &mut self,
        key: &str,
        lead: LeadId,
        line: u64,
        ty: usize,
        rec: EventRec,
        kept: &[Kept],
    ) {
        let mut fields = rec.fields;
        if let Some(k) = kept.get(ty) {
            self.values.extend(k.values(&mut fields));
        }
        self.ids.push_str(key);
        self.events.push(FoundEvent {
            id_end: self.ids.len(),
            given: Given::of(key, lead),
            line,
            ty,
            at: rec.at,
        });
    }
}

/// How many lines of an NDJSON events file are split off at a time.
const BLOCK_LINES: usize = 4096;

/// One (non-blank) line of an NDJSON events file; a line that is not UTF-8
/// text is reported.
fn ndjson_event(
    dec: &mut Decoder,
    bytes: &[u8],
    loc: &Loc,
    kept: &[Kept],
    issues: &mut Issues,
    found: &mut Found,
) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        issues.report(loc.error(
            None,
            "this line is not UTF-8 text; save the file as UTF-8 (event skipped)".into(),
        ));
        return;
    };
    let lines = Lines::Fixed(loc.line);
    event_object(dec, text.trim(), loc, &lines, kept, issues, found);
}

/// One JSON event object of an events file.
fn event_object(
    dec: &mut Decoder,
    text: &str,
    loc: &Loc,
    lines: &Lines,
    kept: &[Kept],
    issues: &mut Issues,
    found: &mut Found,
) {
    let entries = match parse_object(text) {
        Ok(e) => e,
        Err(why) => {
            issues.report(loc.error(None, format!("{why} (event skipped)")));
            return;
        }
    };
    let (lead, event) = dec.json_event(&entries.0, loc, lines, issues, true);
    if let (Some((key, lead)), Some(e)) = (lead, event) {
        found.push(&key, lead, loc.line, e.ty, e.rec, kept);
    }
}

/// The items of a JSON array file, or why it cannot be read.
pub(crate) fn json_array<'t>(file: &str, text: &'t str) -> Result<Vec<&'t str>, ReadError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if !trimmed.starts_with('[') {
        return Err(ReadError::NotArray {
            file: file.to_string(),
        });
    }
    match serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text) {
        Ok(items) => Ok(items.into_iter().map(|r| r.get()).collect()),
        Err(e) => {
            let msg = e.to_string();
            let reason = match msg.find(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            Err(ReadError::BadJson {
                file: file.to_string(),
                line: e.line() as u64,
                column: e.column() as u64,
                reason,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Chunks, EventIndex, Found, Given, IndexedEvent, Kept, Pos, CHUNK};
    use mql_core::{EventRec, LeadId, Value};

    #[test]
    fn chunks_keep_every_run_whole_and_in_its_place() {
        let mut chunks: Chunks<u32> = Chunks::default();
        let mut runs = Vec::new();
        let mut next = 0u32;
        // runs of 0 to 5 items across several chunks, then one a chunk long
        for width in (0..3 * CHUNK / 2).map(|i| i % 6).chain([CHUNK, 2]) {
            let items = next..next + width as u32;
            let at = chunks.push_all(items.clone()).expect("room");
            runs.push((at, width, items));
            next += width as u32;
        }
        for (at, width, items) in &runs {
            assert_eq!(chunks.slice(*at, *width), items.clone().collect::<Vec<_>>());
            if *width > 0 {
                assert_eq!(*chunks.get(*at), items.start);
            }
        }
        let last = runs.last().expect("runs").0;
        *chunks.get_mut(last) = 7;
        assert_eq!(*chunks.get(last), 7);
        // more than a chunk at once is refused, not split
        assert_eq!(chunks.push_all(0..CHUNK as u32 + 1), None);
    }

    #[test]
    fn chunks_refuse_places_a_position_cannot_name() {
        let mut chunks: Chunks<u8> = Chunks::new(4);
        chunks.end = u64::from(Pos::MAX) - 1;
        assert_eq!(chunks.push_all([1].into_iter()), None);
        assert_eq!(chunks.push_all(std::iter::empty()), Some(Pos::MAX - 1));
        // the last place is `LAST`, which means "none"
        chunks.end = u64::from(Pos::MAX);
        assert_eq!(chunks.push_all(std::iter::empty()), None);
    }

    #[test]
    fn an_index_past_its_last_place_stops_with_an_error() {
        let kept = vec![Kept {
            slots: None,
            width: 1,
        }];
        let mut index = EventIndex::new("events.csv".into(), kept);
        let event = |at| EventRec {
            at,
            fields: vec![Value::Int(at)].into(),
        };
        let kept = index.kept.clone();
        let add = |index: &mut EventIndex, key: &str, line, at| {
            let mut found = Found::default();
            found.push(key, LeadId::Str(key.into()), line, 0, event(at), &kept);
            index.add_found(&mut found)
        };
        add(&mut index, "L-1", 2, 1).expect("room");
        index.entries.end = u64::from(Pos::MAX) - 1;
        let e = add(&mut index, "L-1", 3, 2).expect_err("no place left");
        assert_eq!(
            e.to_string(),
            "cannot read `events.csv`: line 3: more events than one events file can hold \
             (about 4 billion); split the leads and their events into several files, \
             or nest each lead's events in its NDJSON line"
        );
        assert_eq!(index.len(), 1);
        // a line past 2^40 cannot be packed either
        let e = add(&mut index, "L-2", 1 << 40, 3);
        assert!(e.is_err());
    }

    #[test]
    fn an_entry_takes_24_bytes() {
        assert_eq!(std::mem::size_of::<IndexedEvent>(), 24);
    }

    #[test]
    fn a_lead_id_is_given_back_as_it_was_given() {
        for (key, id) in [
            ("L-1", LeadId::Str("L-1".into())),
            ("42", LeadId::Int(42)),
            ("-7", LeadId::Int(-7)),
            ("L-2", LeadId::Str(" L-2 ".into())),
        ] {
            assert_eq!(Given::of(key, id.clone()).lead(key), id, "{key}");
        }
    }
}
