//! Records read without a model: every column or key of an export with the
//! values as the data writes them, for drafting a model from it (`mql init
//! --from`). CSV cells are text; JSON values and workbook cells keep what
//! they are (a number, a bool, a date cell), so that a draft can tell a
//! typed number from a text that reads as one.

use std::collections::HashMap;
use std::io;

use serde_json::Value as Json;

use crate::csvin::{CsvRows, Row};
use crate::sheet::{SheetRows, SheetValue};
use crate::source::{
    buffered, read_json_text, read_line_bounded, InputFormat, ReadError, Source, MAX_JSON_BYTES,
    MAX_RECORD_BYTES,
};

/// One value as an export writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    /// Text: a CSV cell, a JSON string, a workbook text cell.
    Text(String),
    /// A JSON number or a workbook number cell, as text (`12`, `2.5`).
    Number(String),
    Bool(bool),
    /// A workbook date cell, as RFC 3339 text.
    Time(String),
    /// A JSON array or object, or a workbook error value, as text.
    Other(String),
}

impl RawValue {
    /// The value's text (what a placeholder or a label is compared with).
    pub fn text(&self) -> &str {
        match self {
            RawValue::Text(t) | RawValue::Number(t) | RawValue::Time(t) | RawValue::Other(t) => t,
            RawValue::Bool(true) => "true",
            RawValue::Bool(false) => "false",
        }
    }
}

/// Read every record of an export: `columns` is told each new column or key
/// name as it is met (a CSV or workbook header at once, JSON keys in order of
/// first appearance), `record` each record as (column number, value) pairs
/// with its empty and null values left out. A record that cannot be read (a
/// malformed JSON line, a CSV row of the wrong width) is given as far as it
/// was read — only the counts of values matter for a draft — and counted in
/// the result: the records read and those skipped.
pub fn read_raw(
    path: &str,
    format: Option<InputFormat>,
    sheet: Option<&str>,
    mut columns: impl FnMut(&str),
    mut record: impl FnMut(&[(usize, RawValue)]),
) -> Result<(u64, u64), ReadError> {
    let format = format
        .or_else(|| InputFormat::from_path(path))
        .unwrap_or(InputFormat::Csv);
    let source = Source::open(path)?;
    let name = source.name.clone();
    let mut row: Vec<(usize, RawValue)> = Vec::new();
    let (mut read, mut skipped) = (0u64, 0u64);
    match format {
        InputFormat::Csv => {
            let mut rows = CsvRows::new(name.clone(), buffered(&name, source.reader)?);
            let mut width: Option<usize> = None;
            while let Some(next) = rows.next_row()? {
                match (next, width) {
                    (Row::Cells(_, cells), None) => {
                        too_many_columns(&name, cells.len())?;
                        for cell in &cells {
                            columns(cell.trim());
                        }
                        width = Some(cells.len());
                    }
                    (Row::NotText(line), None) => {
                        return Err(ReadError::io(
                            &name,
                            io::Error::other(format!(
                                "the header (line {line}) is not UTF-8 text; save the file as UTF-8"
                            )),
                        ))
                    }
                    (Row::NotText(_), Some(_)) => {
                        read += 1;
                        skipped += 1;
                    }
                    (Row::Cells(_, cells), Some(width)) => {
                        read += 1;
                        if cells.len() != width {
                            skipped += 1;
                            continue;
                        }
                        row.clear();
                        for (i, cell) in cells.iter().enumerate() {
                            if !cell.trim().is_empty() {
                                row.push((i, RawValue::Text(cell.to_string())));
                            }
                        }
                        record(&row);
                    }
                }
            }
        }
        InputFormat::Xlsx => {
            let mut rows = SheetRows::open(&name, source.reader, sheet)?;
            let mut width = None;
            while let Some((_, _, cells)) = rows.next_row() {
                if width.is_none() {
                    too_many_columns(&name, cells.len())?;
                    for c in cells {
                        columns(c.as_text().unwrap_or_default().trim());
                    }
                    width = Some(cells.len());
                    continue;
                }
                read += 1;
                row.clear();
                for (i, c) in cells.iter().enumerate() {
                    let v = match c {
                        SheetValue::Empty => continue,
                        SheetValue::Text(t) if t.trim().is_empty() => continue,
                        SheetValue::Text(t) => RawValue::Text(t.clone()),
                        SheetValue::Int(_) | SheetValue::Number(_) => {
                            RawValue::Number(c.as_text().unwrap_or_default())
                        }
                        SheetValue::Bool(b) => RawValue::Bool(*b),
                        SheetValue::Time(_) => RawValue::Time(c.as_text().unwrap_or_default()),
                        SheetValue::Duration(_) | SheetValue::Error(_) => {
                            RawValue::Other(c.raw_text().unwrap_or_default())
                        }
                    };
                    row.push((i, v));
                }
                record(&row);
            }
        }
        InputFormat::Ndjson | InputFormat::Json => {
            // Keys in order of first appearance, found by a table so that
            // records with many keys cost what they hold.
            let mut keys: HashMap<String, usize> = HashMap::new();
            let mut each = |obj: &serde_json::Map<String, Json>,
                            row: &mut Vec<(usize, RawValue)>|
             -> Result<(), ReadError> {
                row.clear();
                for (k, v) in obj {
                    let i = match keys.get(k) {
                        Some(&i) => i,
                        None => {
                            too_many_columns(&name, keys.len() + 1)?;
                            let i = keys.len();
                            keys.insert(k.clone(), i);
                            columns(k);
                            i
                        }
                    };
                    let v = match v {
                        Json::Null => continue,
                        Json::String(s) if s.trim().is_empty() => continue,
                        Json::String(s) => RawValue::Text(s.clone()),
                        Json::Number(n) => RawValue::Number(n.to_string()),
                        Json::Bool(b) => RawValue::Bool(*b),
                        other => RawValue::Other(other.to_string()),
                    };
                    row.push((i, v));
                }
                record(row);
                Ok(())
            };
            let mut input = buffered(&name, source.reader)?;
            if format == InputFormat::Json {
                let mut text = String::new();
                read_json_text(&name, &mut input, &mut text, MAX_JSON_BYTES)?;
                let items: Vec<Json> = serde_json::from_str(&text).map_err(|e| {
                    ReadError::io(&name, io::Error::other(format!("not a JSON array: {e}")))
                })?;
                for item in &items {
                    read += 1;
                    match item {
                        Json::Object(obj) => each(obj, &mut row)?,
                        _ => skipped += 1,
                    }
                }
            } else {
                let mut buf = Vec::new();
                let mut line = 0u64;
                loop {
                    line += 1;
                    buf.clear();
                    if read_line_bounded(&name, &mut input, &mut buf, line, MAX_RECORD_BYTES)? == 0
                    {
                        break;
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    read += 1;
                    match serde_json::from_slice::<Json>(&buf) {
                        Ok(Json::Object(obj)) => each(&obj, &mut row)?,
                        _ => skipped += 1,
                    }
                }
            }
        }
    }
    Ok((read, skipped))
}

/// The most columns (or distinct JSON keys) a draft is made from.
pub const MAX_DRAFT_COLUMNS: usize = 10_000;

/// Refuse an export with more columns than a draft is made from.
fn too_many_columns(file: &str, count: usize) -> Result<(), ReadError> {
    if count <= MAX_DRAFT_COLUMNS {
        return Ok(());
    }
    Err(ReadError::io(
        file,
        io::Error::other(format!(
            "it has more than {MAX_DRAFT_COLUMNS} different columns or keys; \
             a draft is made from at most {MAX_DRAFT_COLUMNS}: export fewer columns"
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<Vec<(usize, RawValue)>>;

    fn read(path: &str, body: &str) -> (Vec<String>, Rows, (u64, u64)) {
        let dir = std::env::temp_dir().join(format!("mql-raw-{}-{path}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(path);
        std::fs::write(&file, body).unwrap();
        let mut cols = Vec::new();
        let mut rows = Vec::new();
        let counts = read_raw(
            file.to_str().unwrap(),
            None,
            None,
            |c| cols.push(c.to_string()),
            |r| rows.push(r.to_vec()),
        )
        .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        (cols, rows, counts)
    }

    #[test]
    fn csv_cells_are_text_and_bad_rows_are_counted() {
        let (cols, rows, counts) =
            read("a.csv", "\u{feff}Lead Id, Total Visits\n1,3\n\n2,,x\n3,\n");
        assert_eq!(cols, ["Lead Id", "Total Visits"]);
        assert_eq!(counts, (3, 1));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1], (1, RawValue::Text("3".into())));
        assert_eq!(rows[1].len(), 1);
    }

    #[test]
    fn json_keeps_types_and_keys_in_order_of_appearance() {
        let (cols, rows, counts) = read(
            "a.ndjson",
            "{\"a\": 1, \"b\": true}\nnot json\n{\"c\": \"x\", \"a\": null}\n",
        );
        assert_eq!(cols, ["a", "b", "c"]);
        assert_eq!(counts, (3, 1));
        assert_eq!(rows[0][0], (0, RawValue::Number("1".into())));
        assert_eq!(rows[0][1], (1, RawValue::Bool(true)));
        assert_eq!(rows[1], vec![(2, RawValue::Text("x".into()))]);
    }
}
