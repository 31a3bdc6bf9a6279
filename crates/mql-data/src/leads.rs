//! The streaming lead reader: one [`LeadRecord`] at a time from NDJSON or CSV
//! (a JSON array is read whole), each with its nested events and its events
//! from the events file, sorted for evaluation.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use mql_core::{LeadId, LeadRecord, Schema};
use rayon::prelude::*;

use crate::csvin::{lead_header, not_text, wrong_width, CsvRows, Row};
use crate::events::{json_array, EventIndex};
use crate::issue::{Deferred, Issues, Loc};
use crate::json::{line_starts, parse_object, Entries, Lines};
use crate::layout::{Cell, Decoder, Layout, LeadKey, LeadSlots, Slot};
use crate::source::{buffered, resolve_format, InputFormat, ReadError, ReadOptions, Source};

enum Input<'a> {
    Ndjson {
        reader: BufReader<Box<dyn Read + 'a>>,
        buf: Vec<u8>,
        line: u64,
    },
    Json {
        text: String,
        /// Byte ranges of the array's items, still to read.
        items: std::vec::IntoIter<(usize, usize)>,
        starts: Vec<usize>,
    },
    Csv {
        rows: CsvRows<'a>,
        /// What each column fills; `None` until the header is read.
        keys: Option<Vec<LeadKey>>,
        header: Vec<String>,
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
    /// Copies of `dec` that decode NDJSON records on other threads (made on
    /// first use, one per thread); `dec` alone tracks the ids seen.
    forks: Vec<Decoder<'a>>,
    issues: Issues<'a>,
    file: Arc<str>,
    input: Input<'a>,
    events: Option<EventIndex>,
    position: u64,
    leads_read: u64,
    finished: bool,
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
        let layout = Layout::new(schema, options.id_field.as_deref());
        let mut reader = buffered(&file, source.reader)?;
        let input = match format {
            InputFormat::Ndjson => Input::Ndjson {
                reader,
                buf: Vec::with_capacity(4096),
                line: 0,
            },
            InputFormat::Json => {
                let mut text = String::new();
                reader
                    .read_to_string(&mut text)
                    .map_err(|e| ReadError::io(&file, e))?;
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
            InputFormat::Csv => Input::Csv {
                rows: CsvRows::new(file.clone(), reader),
                keys: None,
                header: Vec::new(),
            },
        };
        Ok(LeadReader {
            dec: Decoder::new(layout),
            forks: Vec::new(),
            issues,
            file,
            input,
            events: None,
            position: 0,
            leads_read: 0,
            finished: false,
        })
    }

    /// Join the events of an events file to the leads by id.
    pub fn with_events(mut self, events: EventIndex) -> LeadReader<'a> {
        self.events = Some(events);
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
                self.finish();
                Ok(None)
            }
        }
    }

    /// The steps every decoded lead goes through in input order: the
    /// duplicate-id check, the events file's events, sorting.
    fn complete(&mut self, mut lead: LeadRecord, line: u64) -> LeadRecord {
        let loc = Loc {
            file: self.file.clone(),
            line,
            column: None,
            lead: Some(lead.id.clone()),
        };
        self.dec.check_duplicate(&lead.id, &loc, &mut self.issues);
        self.attach_events(&mut lead);
        self.leads_read += 1;
        lead
    }

    fn finish(&mut self) {
        self.finished = true;
        if let Some(index) = &self.events {
            index.report_unmatched(&mut self.issues);
        }
    }

    /// [`LeadReader::next_chunk`] for NDJSON: lines are split off here, decoded
    /// in contiguous parts by one decoder per thread, and their issues replayed
    /// in input order.
    fn next_chunk_parallel(&mut self, n: usize) -> Result<Vec<LeadRecord>, ReadError> {
        if self.finished {
            return Ok(Vec::new());
        }
        let Input::Ndjson { reader, buf, line } = &mut self.input else {
            return Ok(Vec::new());
        };
        // The chunk's lines go one after the other into one buffer, kept from
        // chunk to chunk, that the decoding threads read from.
        let block = buf;
        block.clear();
        let mut raws: Vec<RawLine> = Vec::with_capacity(n);
        let mut at_end = false;
        while raws.len() < n {
            let start = block.len();
            let got = reader
                .read_until(b'\n', block)
                .map_err(|e| ReadError::io(&self.file, e))?;
            if got == 0 {
                at_end = true;
                break;
            }
            *line += 1;
            if is_blank(&block[start..]) {
                block.truncate(start);
                continue;
            }
            self.position += 1;
            raws.push(RawLine {
                line: *line,
                position: self.position,
                start,
                end: block.len(),
            });
        }

        let threads = rayon::current_num_threads();
        while self.forks.len() < threads {
            self.forks.push(self.dec.clone());
        }
        let per_part = raws.len().div_ceil(threads).max(1);
        let file = &self.file;
        let decoded: Vec<Vec<DecodedLine>> = self
            .forks
            .par_iter_mut()
            .zip(raws.par_chunks(per_part))
            .map(|(dec, part)| {
                part.iter()
                    .map(|raw| decode_line(dec, file, &block[raw.start..raw.end], raw))
                    .collect()
            })
            .collect();

        let mut out = Vec::with_capacity(raws.len());
        for d in decoded.into_iter().flatten() {
            self.issues.replay(d.issues);
            if let Some((lead, line)) = d.lead {
                out.push(self.complete(lead, line));
            }
        }
        if at_end {
            self.finish();
        }
        Ok(out)
    }

    fn attach_events(&mut self, lead: &mut LeadRecord) {
        if let Some(index) = &mut self.events {
            match &lead.id {
                LeadId::Str(s) => index.join(s, &mut lead.events),
                LeadId::Int(i) => index.join(&i.to_string(), &mut lead.events),
            }
        }
        lead.sort_events();
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
            Input::Ndjson { reader, buf, line } => loop {
                buf.clear();
                let n = reader
                    .read_until(b'\n', buf)
                    .map_err(|e| ReadError::io(&self.file, e))?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                let loc = base.at(*line, None);
                let Ok(text) = std::str::from_utf8(buf) else {
                    self.position += 1;
                    issues.report(loc.error(
                        None,
                        "this line is not UTF-8 text; save the file as UTF-8 (line skipped)".into(),
                    ));
                    continue;
                };
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                self.position += 1;
                match parse_object(text) {
                    Ok(entries) => {
                        let lines = Lines::Fixed(*line);
                        let lead = json_lead(dec, &entries, self.position, &loc, &lines, issues);
                        return Ok(Some((lead, *line)));
                    }
                    Err(why) => issues.report(loc.error(None, format!("{why} (line skipped)"))),
                }
            },
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
                        let lead = json_lead(dec, &entries, self.position, &loc, &lines, issues);
                        return Ok(Some((lead, loc.line)));
                    }
                    Err(why) => issues.report(loc.error(None, format!("{why} (record skipped)"))),
                }
            },
            Input::Csv { rows, keys, header } => loop {
                let Some(row) = rows.next_row()? else {
                    return Ok(None);
                };
                let (line, cells) = match row {
                    Row::NotText(line) => {
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
                    Row::Cells(line, cells) => (line, cells),
                };
                let loc = base.at(line, None);
                let Some(keys) = keys.as_ref() else {
                    *keys = Some(lead_header(&dec.layout, &cells, &loc, issues));
                    *header = cells.iter().map(|c| c.to_string()).collect();
                    continue;
                };
                self.position += 1;
                if cells.len() != keys.len() {
                    issues.report(wrong_width(&loc, cells.len(), keys.len(), "row"));
                    continue;
                }
                let mut slots = LeadSlots::new(dec.layout.schema.lead.len());
                for (c, (&key, text)) in keys.iter().zip(&cells).enumerate() {
                    slots.put(
                        key,
                        Slot {
                            cell: Cell::Text(text, c as u64 + 1),
                            key: &header[c],
                            exact: true,
                        },
                        &dec.layout,
                    );
                }
                let lines = Lines::Fixed(line);
                let lead = dec.lead(&slots, self.position, &loc, &lines, issues);
                return Ok(Some((lead, line)));
            },
        }
    }
}

/// Chunks smaller than this are read one lead at a time.
const PARALLEL_MIN: usize = 64;

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

/// What decoding one line gave: its issues, in order, and its lead.
struct DecodedLine {
    issues: Vec<Deferred>,
    lead: Option<(LeadRecord, u64)>,
}

fn decode_line(dec: &mut Decoder, file: &Arc<str>, bytes: &[u8], raw: &RawLine) -> DecodedLine {
    let mut issues = Issues::deferred();
    let loc = Loc {
        file: file.clone(),
        line: raw.line,
        column: None,
        lead: None,
    };
    let lead = match std::str::from_utf8(bytes).ok() {
        None => {
            issues.report(loc.error(
                None,
                "this line is not UTF-8 text; save the file as UTF-8 (line skipped)".into(),
            ));
            None
        }
        Some(text) => match parse_object(text.trim()) {
            Ok(entries) => {
                let lines = Lines::Fixed(raw.line);
                let mut lead = json_lead(dec, &entries, raw.position, &loc, &lines, &mut issues);
                // Sorted here, on this thread; sorting again after the events
                // file's events are joined is then a quick pass.
                lead.sort_events();
                Some((lead, raw.line))
            }
            Err(why) => {
                issues.report(loc.error(None, format!("{why} (line skipped)")));
                None
            }
        },
    };
    DecodedLine {
        issues: issues.into_deferred(),
        lead,
    }
}

fn json_lead(
    dec: &mut Decoder,
    entries: &Entries,
    position: u64,
    loc: &Loc,
    lines: &Lines,
    issues: &mut Issues,
) -> LeadRecord {
    let mut slots = LeadSlots::new(dec.layout.schema.lead.len());
    for (k, v) in &entries.0 {
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
    dec.lead(&slots, position, loc, lines, issues)
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
