//! CSV input: rows with their line numbers (blank lines skipped), and the
//! header of a leads or events file matched to the schema.

use std::io::{BufReader, Read};
use std::sync::Arc;

use csv::ByteRecord;

use crate::issue::{Issues, Loc};
use crate::layout::{note_no_stages, note_undeclared, EventKey, Layout, LeadKey};
use crate::source::ReadError;

/// A CSV file read row by row.
pub(crate) struct CsvRows<'a> {
    reader: csv::Reader<BufReader<Box<dyn Read + 'a>>>,
    record: ByteRecord,
    file: Arc<str>,
}

/// One row: its line, and its cells when they are valid UTF-8.
pub(crate) enum Row<'r> {
    Cells(u64, Vec<&'r str>),
    NotText(u64),
}

impl<'a> CsvRows<'a> {
    pub fn new(file: Arc<str>, input: BufReader<Box<dyn Read + 'a>>) -> CsvRows<'a> {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        CsvRows {
            reader,
            record: ByteRecord::new(),
            file,
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
                        csv::ErrorKind::Io(source) => ReadError::Io { file, source },
                        _ => ReadError::Io {
                            file,
                            source: std::io::Error::other("the file could not be read as CSV"),
                        },
                    }
                })?;
            if !more {
                return Ok(None);
            }
            let line = self.record.position().map(|p| p.line()).unwrap_or(0);
            let blank =
                self.record.len() == 1 && self.record[0].iter().all(|b| b.is_ascii_whitespace());
            if blank || self.record.is_empty() {
                continue;
            }
            let mut cells = Vec::with_capacity(self.record.len());
            for cell in self.record.iter() {
                match std::str::from_utf8(cell) {
                    Ok(s) => cells.push(s),
                    Err(_) => return Ok(Some(Row::NotText(line))),
                }
            }
            return Ok(Some(Row::Cells(line, cells)));
        }
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

/// Report two header cells filling the same slot; the exact one wins, else the first.
fn clash(
    issues: &mut Issues,
    loc: &Loc,
    header: &[&str],
    field: &str,
    kept: usize,
    dropped: usize,
) {
    issues.report(loc.at(loc.line, Some(dropped as u64 + 1)).error(
        Some(field),
        format!(
            "columns `{}` (column {}) and `{}` (column {}) both fill this field; column {} is used and column {} is ignored",
            header[kept],
            kept + 1,
            header[dropped],
            dropped + 1,
            kept + 1,
            dropped + 1
        ),
    ));
}

/// What each column of a leads CSV fills.
pub(crate) fn lead_header(
    layout: &Layout,
    header: &[&str],
    loc: &Loc,
    issues: &mut Issues,
) -> Vec<LeadKey> {
    let found: Vec<(LeadKey, bool)> = header.iter().map(|h| layout.lead_key(h, false)).collect();
    let mut keys: Vec<LeadKey> = found.iter().map(|k| k.0).collect();
    for (col, (key, _)) in found.iter().enumerate() {
        let here = loc.at(loc.line, Some(col as u64 + 1));
        match key {
            LeadKey::Unknown => note_undeclared(issues, &here, "column", header[col]),
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
                clash(issues, loc, header, &name, kept, dropped);
                keys[dropped] = LeadKey::Unknown;
                owners[j].1 = kept;
            }
        }
    }
    keys
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
    header: &[&str],
    loc: &Loc,
    issues: &mut Issues,
) -> Result<EventColumns, ReadError> {
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
                clash(issues, loc, header, name, first, later);
            }
        }
    }
    for (col, h) in header.iter().enumerate() {
        if kinds[col] == EventKey::Other && !layout.any_event_field(h) {
            note_undeclared(issues, &loc.at(loc.line, Some(col as u64 + 1)), "column", h);
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
                        clash(issues, loc, header, name, kept, dropped);
                    }
                    map[j] = (f, kept, exact || map[j].2);
                }
            }
        }
        fields.push(map.into_iter().map(|(f, c, _)| (f, c)).collect());
    }
    Ok(EventColumns {
        lead_id,
        ty,
        at,
        fields,
    })
}
