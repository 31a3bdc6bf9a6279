//! Excel workbooks (`.xlsx`, read with calamine): one sheet read like a CSV
//! file — the first non-empty row is the header, then one row a record, a
//! row's line being its row number in the sheet — but with typed cells: a
//! number cell is a number, a date cell a time (in the workbook's date
//! system, read as UTC), a boolean cell a bool, a text cell text
//! (cli-and-data.md, "Lead data").

use std::io::{Cursor, Read};

use calamine::{Cell, Data, DataRef, Range, Reader, Xlsx};
use mql_core::time::{days_from_civil, format_duration, format_time, MS_PER_DAY};
use mql_core::Value;

use crate::decode::{decode_text, show_text, Bad, Placeholders, Plan, Strings};
use crate::source::{ReadError, MAX_SHEET_CELLS, MAX_WORKBOOK_BYTES};

/// One cell of a sheet, converted from calamine's.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SheetValue {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Bool(bool),
    /// A date (or date and time) cell: milliseconds since the epoch, UTC.
    Time(i64),
    /// A duration cell (`[h]:mm:ss`): milliseconds.
    Duration(i64),
    /// An error value such as `#N/A` or `#DIV/0!`.
    Error(String),
}

impl SheetValue {
    fn of(d: &Data) -> SheetValue {
        match d {
            Data::Empty => SheetValue::Empty,
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                SheetValue::Text(s.clone())
            }
            Data::Int(i) => SheetValue::Int(*i),
            Data::Float(f) => SheetValue::Number(*f),
            Data::Bool(b) => SheetValue::Bool(*b),
            Data::DateTime(dt) if dt.is_duration() => {
                SheetValue::Duration((dt.as_f64() * MS_PER_DAY as f64).round() as i64)
            }
            Data::DateTime(dt) => {
                let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
                let day = days_from_civil(i64::from(y), u32::from(mo), u32::from(d));
                let time = ((i64::from(h) * 60 + i64::from(mi)) * 60 + i64::from(s)) * 1000
                    + i64::from(ms);
                SheetValue::Time(day * MS_PER_DAY + time)
            }
            Data::Error(e) => SheetValue::Error(e.to_string()),
        }
    }

    /// The cell as text, as the user sees it in the sheet: `12`, `2.5`,
    /// `TRUE`, `2026-05-01T09:30:00Z`. `None` when empty or an error value.
    pub fn as_text(&self) -> Option<String> {
        match self {
            SheetValue::Empty | SheetValue::Error(_) => None,
            SheetValue::Text(t) => Some(t.clone()),
            SheetValue::Int(i) => Some(i.to_string()),
            SheetValue::Number(n) => Some(number_text(*n)),
            SheetValue::Bool(true) => Some("TRUE".into()),
            SheetValue::Bool(false) => Some("FALSE".into()),
            SheetValue::Time(ms) => Some(format_time(*ms)),
            SheetValue::Duration(ms) => Some(format_duration(*ms)),
        }
    }

    /// The cell's text as the sheet shows it, an error value included
    /// (`#N/A`): what `--keep` copies. `None` when empty.
    pub fn raw_text(&self) -> Option<String> {
        match self {
            SheetValue::Error(e) => Some(e.clone()),
            _ => self.as_text(),
        }
    }

    /// How a bad value is shown in a message.
    pub fn show(&self) -> String {
        match self {
            SheetValue::Empty => "an empty cell".into(),
            SheetValue::Text(t) => show_text(t),
            SheetValue::Int(_) | SheetValue::Number(_) => {
                format!("the number {}", self.as_text().unwrap_or_default())
            }
            SheetValue::Bool(_) => self.as_text().unwrap_or_default(),
            SheetValue::Time(ms) => format!("the date {}", format_time(*ms)),
            SheetValue::Duration(ms) => format!("the duration {}", format_duration(*ms)),
            SheetValue::Error(e) => format!("the error value {e}"),
        }
    }
}

/// A number as a spreadsheet shows it: whole numbers without a fraction.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn bad(plan: &Plan, value: &SheetValue) -> Bad {
    format!("{}, found {}", plan.expected(), value.show())
}

/// Read a cell by its declared type. Text cells follow the CSV rules
/// (trimmed, placeholders, enum normalisation, lists split on `;`); a typed
/// cell is taken as what it is, or as its text for a text or list field.
pub(crate) fn decode_sheet(
    plan: &Plan,
    value: &SheetValue,
    ph: &Placeholders,
    st: &mut Strings,
) -> Result<Value, Bad> {
    let as_text = |st: &mut Strings| match value.as_text() {
        Some(t) => decode_text(plan, &t, true, ph, st),
        None => Ok(Value::Unknown),
    };
    match (value, plan) {
        (SheetValue::Empty, _) => Ok(Value::Unknown),
        (SheetValue::Text(t), _) => decode_text(plan, t, true, ph, st),
        (SheetValue::Error(_), _) => Err(bad(plan, value)),
        (_, Plan::Str(_) | Plan::List(..)) => as_text(st),
        (SheetValue::Int(i), Plan::Int) => Ok(Value::Int(*i)),
        (SheetValue::Int(i), Plan::Number) => Ok(Value::Number(*i as f64)),
        (SheetValue::Number(n), Plan::Number) if n.is_finite() => Ok(Value::Number(*n)),
        // i64::MAX as f64 rounds up to 2^63, which does not fit.
        (SheetValue::Number(n), Plan::Int)
            if n.fract() == 0.0 && *n >= i64::MIN as f64 && *n < i64::MAX as f64 =>
        {
            Ok(Value::Int(*n as i64))
        }
        (SheetValue::Int(0), Plan::Bool) => Ok(Value::Bool(false)),
        (SheetValue::Int(1), Plan::Bool) => Ok(Value::Bool(true)),
        (SheetValue::Number(n), Plan::Bool) if *n == 0.0 || *n == 1.0 => Ok(Value::Bool(*n == 1.0)),
        (SheetValue::Bool(b), Plan::Bool) => Ok(Value::Bool(*b)),
        (SheetValue::Time(ms), Plan::Time) => Ok(Value::Time(*ms)),
        (SheetValue::Duration(ms), Plan::Duration) => Ok(Value::Duration(*ms)),
        _ => Err(bad(plan, value)),
    }
}

/// The rows of one sheet, from its first non-empty row on.
pub(crate) struct SheetRows {
    range: Range<Data>,
    /// The next row to give, relative to the range.
    next: usize,
    /// Cells of the row given last.
    row: Vec<SheetValue>,
}

impl SheetRows {
    /// Open the workbook in `reader` and take its sheet `sheet` (or the first).
    pub fn open(
        file: &str,
        reader: Box<dyn Read + '_>,
        sheet: Option<&str>,
    ) -> Result<SheetRows, ReadError> {
        let mut bytes = Vec::new();
        reader
            .take(MAX_WORKBOOK_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ReadError::io(file, e))?;
        if bytes.len() as u64 > MAX_WORKBOOK_BYTES {
            return Err(ReadError::SheetTooLarge {
                file: file.to_string(),
                what: format!(
                    "larger than {}",
                    mql_core::input::size_text(MAX_WORKBOOK_BYTES)
                ),
            });
        }
        let not_a_workbook = |e: calamine::XlsxError| ReadError::NotWorkbook {
            file: file.to_string(),
            reason: e.to_string(),
        };
        let mut book = Xlsx::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(wanted) => names
                .iter()
                .find(|n| *n == wanted)
                .or_else(|| {
                    names
                        .iter()
                        .find(|n| n.trim().eq_ignore_ascii_case(wanted.trim()))
                })
                .cloned()
                .ok_or_else(|| ReadError::NoSuchSheet {
                    file: file.to_string(),
                    sheet: wanted.to_string(),
                    sheets: names.join("`, `"),
                })?,
            None => names
                .first()
                .cloned()
                .ok_or_else(|| ReadError::NotWorkbook {
                    file: file.to_string(),
                    reason: "it has no sheet".into(),
                })?,
        };
        let range = bounded_range(file, &mut book, &name)?;
        Ok(SheetRows {
            range,
            next: 0,
            row: Vec::new(),
        })
    }

    /// The next row that is not blank, with its row number in the sheet and
    /// the sheet column number of its first cell; `None` at the end.
    pub fn next_row(&mut self) -> Option<(u64, u64, &[SheetValue])> {
        let (top, left) = self.range.start().unwrap_or((0, 0));
        let width = self.range.width();
        loop {
            let i = self.next;
            if i >= self.range.height() {
                return None;
            }
            self.next += 1;
            let cells = self.range.rows().nth(i).unwrap_or(&[]);
            if cells.iter().all(|c| *c == Data::Empty) {
                continue;
            }
            self.row.clear();
            self.row.extend(cells.iter().map(SheetValue::of));
            self.row.resize(width, SheetValue::Empty);
            let line = u64::from(top) + i as u64 + 1;
            return Some((line, u64::from(left) + 1, &self.row));
        }
    }
}

/// The cells of sheet `name`, as calamine's `worksheet_range` reads them
/// (empty cells left out, the range from the first used cell to the last),
/// but refusing a sheet whose range would hold more than
/// [`MAX_SHEET_CELLS`]: two cells at `A1` and `XFD1048576` of a tiny file
/// would otherwise ask for 17 billion.
fn bounded_range(
    file: &str,
    book: &mut Xlsx<Cursor<Vec<u8>>>,
    name: &str,
) -> Result<Range<Data>, ReadError> {
    let not_a_workbook = |e: calamine::XlsxError| ReadError::NotWorkbook {
        file: file.to_string(),
        reason: e.to_string(),
    };
    let mut reader = book.worksheet_cells_reader(name).map_err(not_a_workbook)?;
    let too_large = || ReadError::SheetTooLarge {
        file: file.to_string(),
        what: "a sheet spanning more than 20,000,000 cells (rows × columns)".to_string(),
    };
    let mut cells: Vec<Cell<Data>> = Vec::new();
    let (mut top, mut bottom, mut left, mut right) = (u32::MAX, 0u32, u32::MAX, 0u32);
    while let Some(cell) = reader.next_cell().map_err(not_a_workbook)? {
        if *cell.get_value() == DataRef::Empty {
            continue;
        }
        let (r, c) = cell.get_position();
        (top, bottom) = (top.min(r), bottom.max(r));
        (left, right) = (left.min(c), right.max(c));
        let span = (u64::from(bottom - top) + 1) * (u64::from(right - left) + 1);
        if span > MAX_SHEET_CELLS {
            return Err(too_large());
        }
        cells.push(Cell::new((r, c), Data::from(cell.get_value().clone())));
    }
    Ok(Range::from_sparse(cells))
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    fn plan(ty: &mql_core::Ty) -> Plan {
        Plan::new(ty, &mut 0)
    }

    fn read(ty: mql_core::Ty, v: SheetValue) -> Result<Value, Bad> {
        decode_sheet(&plan(&ty), &v, &Placeholders::NONE, &mut Strings::default())
    }

    #[test]
    fn dates_in_both_date_systems() {
        // 45943.5 is 2025-10-13 12:00 in the 1900 system; 1462 days later in 1904.
        let d1900 = ExcelDateTime::new(45943.5, ExcelDateTimeType::DateTime, false);
        let d1904 = ExcelDateTime::new(45943.5 - 1462.0, ExcelDateTimeType::DateTime, true);
        let want =
            mql_core::time::parse_time("2025-10-13T12:00:00Z", mql_core::time::TimeSyntax::Data)
                .unwrap();
        assert_eq!(
            SheetValue::of(&Data::DateTime(d1900)),
            SheetValue::Time(want)
        );
        assert_eq!(
            SheetValue::of(&Data::DateTime(d1904)),
            SheetValue::Time(want)
        );
        let dur = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(
            SheetValue::of(&Data::DateTime(dur)),
            SheetValue::Duration(36 * 3_600_000)
        );
    }

    #[test]
    fn typed_cells_by_declared_type() {
        use mql_core::Ty;
        assert_eq!(
            read(Ty::Int, SheetValue::Number(2500.0)),
            Ok(Value::Int(2500))
        );
        assert_eq!(
            read(Ty::Int, SheetValue::Number(2.5)),
            Err("expected a whole number, found the number 2.5".into())
        );
        assert_eq!(read(Ty::Number, SheetValue::Int(3)), Ok(Value::Number(3.0)));
        assert_eq!(
            read(Ty::Bool, SheetValue::Bool(true)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            read(Ty::Bool, SheetValue::Number(0.0)),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            read(Ty::String, SheetValue::Number(75001.0)),
            Ok(Value::Str("75001".into()))
        );
        assert_eq!(
            read(Ty::String, SheetValue::Bool(false)),
            Ok(Value::Str("FALSE".into()))
        );
        assert_eq!(
            read(Ty::Time, SheetValue::Time(86_400_000)),
            Ok(Value::Time(86_400_000))
        );
        assert_eq!(
            read(Ty::Int, SheetValue::Time(0)),
            Err("expected a whole number, found the date 1970-01-01T00:00:00Z".into())
        );
        assert_eq!(
            read(Ty::Number, SheetValue::Error("#DIV/0!".into())),
            Err("expected a number, found the error value #DIV/0!".into())
        );
        assert_eq!(
            read(Ty::Int, SheetValue::Text(" 42 ".into())),
            Ok(Value::Int(42))
        );
        assert_eq!(
            read(Ty::List(Box::new(Ty::Int)), SheetValue::Int(7)),
            Ok(Value::List(vec![Value::Int(7)].into()))
        );
        assert_eq!(
            read(Ty::Duration, SheetValue::Duration(60_000)),
            Ok(Value::Duration(60_000))
        );
    }
}
