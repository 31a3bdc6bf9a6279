//! Drafting a model from a CRM export (`mql init --from`, cli-and-data.md
//! "Drafting a schema from an export"): a `lead` block with one field per
//! column — a name made from the header, `from "Header"` where the two
//! differ, a type guessed from the values (`bool`, `int`, `number`, `time`,
//! an `enum` with labels for text with few different values, else
//! `string`), `missing` for placeholder-looking values — `event` blocks for
//! an events file, and commented examples of criteria, a score and stages.
//!
//! The export is read once, as the user's data is (`mql_data::read_raw`),
//! keeping per column only counts and at most [`MAX_VALUES`] different
//! values, so an export of any length drafts in bounded memory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use mql_core::names::{normalise_enum, normalise_key, normalise_placeholder, reads_like_id};
use mql_core::time::{parse_time, TimeSyntax};
use mql_data::{read_raw, InputFormat, RawValue, ReadError, MAX_DRAFT_COLUMNS};
use mql_syntax::lexer::is_keyword;

/// Different values of a column counted; a column with more is text.
pub const MAX_VALUES: usize = 1024;
/// How many values of a column that reads like an id are kept (as hashes,
/// 8 bytes each) to tell whether one repeats.
const MAX_ID_VALUES: usize = 4_000_000;

/// At most this many different values make a text column an `enum`.
pub const MAX_ENUM_VALUES: usize = 20;
/// Values longer than this make a text column a `string`.
const MAX_ENUM_TEXT: usize = 60;
/// Texts that stand for "no answer" in CRM exports, as
/// [`normalise_placeholder`] writes them.
const PLACEHOLDERS: &[&str] = &[
    "select",
    "n/a",
    "na",
    "-",
    "--",
    "?",
    "null",
    "unknown",
    "not specified",
    "not provided",
    "(blank)",
    "#n/a",
];

/// What to draft from.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The leads export (`-` for standard input).
    pub from: String,
    /// Its format when the extension does not tell.
    pub format: Option<InputFormat>,
    /// The sheet of a workbook (default: the first).
    pub sheet: Option<String>,
    /// An events export, for `event` blocks.
    pub events: Option<String>,
    /// The sheet of an events workbook.
    pub events_sheet: Option<String>,
    /// The column holding the lead's id (default: a column named `id`).
    pub id_field: Option<String>,
}

/// A drafted model and what was guessed, for the person to review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The model's text.
    pub text: String,
    /// One line per guess worth a look (`column "Lead Origin": an enum of 5 values`).
    pub guesses: Vec<String>,
}

/// The type guessed for a column.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Guess {
    Bool,
    Int,
    Number,
    Time,
    /// Variants in order of frequency: (name, labels).
    Enum(Vec<(String, Vec<String>)>),
    String,
    StringList,
}

/// What was counted of one column (of the leads, or of one event type).
#[derive(Clone, Debug, Default)]
struct Column {
    header: String,
    /// Values that are neither empty nor placeholders.
    values_seen: u64,
    /// Cells with a value, placeholders included.
    filled: u64,
    values: HashMap<String, u64>,
    too_many: bool,
    /// For a column whose name reads like an id: a hash of each value met,
    /// for as long as no value repeats (`None` once one does, and for other
    /// columns). Unlike `values`, it follows every row of a large export.
    distinct: Option<HashSet<u64>>,
    /// Placeholders met: normalised text → (as first written, count).
    placeholders: BTreeMap<String, (String, u64)>,
    not_bool: bool,
    not_int: bool,
    not_number: bool,
    not_time: bool,
    /// A value no enum could hold (long text, an array, a workbook error).
    not_enum: bool,
    /// A value that is not a JSON array of texts.
    not_list: bool,
    /// Values written with digit separators (`2,500`).
    separated: u64,
}

impl Column {
    fn new(header: &str) -> Column {
        Column {
            header: header.to_string(),
            distinct: reads_like_id(header).then(HashSet::new),
            ..Column::default()
        }
    }

    fn add(&mut self, value: &RawValue) {
        self.filled += 1;
        let text = value.text().trim();
        if matches!(value, RawValue::Text(_)) {
            let p = normalise_placeholder(text);
            if PLACEHOLDERS.contains(&&*p) {
                let entry = self
                    .placeholders
                    .entry(p.into_owned())
                    .or_insert_with(|| (text.to_string(), 0));
                entry.1 += 1;
                return;
            }
        }
        self.values_seen += 1;
        match value {
            RawValue::Bool(_) => {
                self.not_int = true;
                self.not_number = true;
                self.not_time = true;
                self.not_enum = true;
                self.not_list = true;
            }
            RawValue::Number(n) => {
                self.not_bool |= !matches!(n.as_str(), "0" | "1");
                // `100000.0` is a whole number, but written as a decimal one.
                self.not_int |= int_of(n).is_none() || n.contains(['.', 'e', 'E']);
                self.not_time = true;
                self.not_enum = true;
                self.not_list = true;
            }
            RawValue::Time(_) => {
                self.not_bool = true;
                self.not_int = true;
                self.not_number = true;
                self.not_enum = true;
                self.not_list = true;
            }
            RawValue::Text(_) => {
                self.not_list = true;
                self.not_bool |= !is_bool(text);
                self.not_int |= int_of(text).is_none() || text.contains(['.', 'e', 'E']);
                self.not_number |= number_of(text).is_none();
                self.not_time |= !is_time(text);
                if number_of(text).is_none() && looks_separated(text) {
                    self.separated += 1;
                }
                self.not_enum |= text.chars().count() > MAX_ENUM_TEXT
                    || text.contains(['\n', '\r'])
                    || ascii_name(text).is_empty();
            }
            RawValue::Other(raw) => {
                // A JSON array of texts is a list of strings.
                self.not_list |=
                    !raw.starts_with('[') || serde_json::from_str::<Vec<String>>(raw).is_err();
                self.not_bool = true;
                self.not_int = true;
                self.not_number = true;
                self.not_time = true;
                self.not_enum = true;
            }
        }
        if let Some(seen) = &mut self.distinct {
            let hash = {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(text, &mut h);
                std::hash::Hasher::finish(&h)
            };
            // past the cap, values are still checked against those kept
            let new = if seen.len() < MAX_ID_VALUES {
                seen.insert(hash)
            } else {
                !seen.contains(&hash)
            };
            if !new {
                self.distinct = None;
            }
        }
        if let Some(n) = self.values.get_mut(text) {
            *n += 1;
        } else if self.values.len() < MAX_VALUES {
            self.values.insert(text.to_string(), 1);
        } else {
            self.too_many = true;
        }
    }

    /// The most common values, most common first, then by text.
    fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.values.iter().map(|(v, c)| (v.as_str(), *c)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    fn guess(&self) -> Guess {
        if self.values_seen == 0 {
            return Guess::String;
        }
        if !self.not_bool {
            return Guess::Bool;
        }
        if !self.not_int {
            return Guess::Int;
        }
        if !self.not_number {
            return Guess::Number;
        }
        if !self.not_time {
            return Guess::Time;
        }
        if !self.not_list {
            return Guess::StringList;
        }
        let distinct = self.values.len();
        if self.not_enum
            || self.too_many
            || distinct > MAX_ENUM_VALUES
            || (distinct as u64) * 2 > self.values_seen
        {
            return Guess::String;
        }
        Guess::Enum(self.variants())
    }

    /// The values as enum variants, most common first: values that read as
    /// one variant share it; a value whose enum form is not the variant's
    /// name becomes one of its labels.
    fn variants(&self) -> Vec<(String, Vec<String>)> {
        let distinct = self.values.len();
        let mut variants: Vec<(String, Vec<String>, u64)> = Vec::new();
        let mut used: HashSet<String> = HashSet::new();
        for (value, count) in self.top(distinct) {
            let name = variant_name(value);
            match variants.iter_mut().find(|v| v.0 == name) {
                Some(v) => {
                    v.2 += count;
                    if *normalise_enum(value) != *name
                        && !v
                            .1
                            .iter()
                            .any(|l| normalise_enum(l) == normalise_enum(value))
                    {
                        v.1.push(value.to_string());
                    }
                }
                None => {
                    used.insert(name.clone());
                    let labels = if *normalise_enum(value) != *name {
                        vec![value.to_string()]
                    } else {
                        Vec::new()
                    };
                    variants.push((name, labels, count));
                }
            }
        }
        variants.into_iter().map(|(n, l, _)| (n, l)).collect()
    }
}

/// A whole number as the readers take it: an integer, or a number with no
/// fraction.
fn int_of(t: &str) -> Option<i64> {
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    let n = number_of(t)?;
    (n.fract() == 0.0 && n.abs() < 9.0e15).then_some(n as i64)
}

/// A number as the readers take it: sign, digits, point, exponent; no
/// `inf`, `nan` or separators.
fn number_of(t: &str) -> Option<f64> {
    let ok = !t.is_empty()
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn is_bool(t: &str) -> bool {
    ["true", "false", "yes", "no", "1", "0"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// A time as the lead data readers take it.
fn is_time(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() > 10 && (b.len() < 19 || b[16] != b':') {
        return false;
    }
    parse_time(t, TimeSyntax::Data).is_some()
}

/// `2,500` or `1.250.000`: digits in groups, which the readers refuse.
fn looks_separated(t: &str) -> bool {
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    digits > 3
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b',' | b'.' | b' ' | b'\'' | b'-' | b'+'))
}

/// An identifier made of a text: lower-case ASCII letters and digits, every
/// run of anything else one `_`, none at either end; empty when nothing is left.
fn ascii_name(text: &str) -> String {
    name_of(text, false)
}

/// [`ascii_name`], also splitting `TotalVisits` into words: for field names.
fn field_name(text: &str) -> String {
    name_of(text, true)
}

fn name_of(text: &str, camel: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    let mut lower_before = false;
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            // `TotalVisits`: a capital after a small letter starts a word.
            if (gap || (camel && lower_before && c.is_ascii_uppercase())) && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            lower_before = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
            lower_before = false;
        }
    }
    out
}

/// A name the language accepts: starts with a letter, is no keyword.
fn legal(mut name: String, fallback: &str) -> String {
    if name.is_empty() {
        name = fallback.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, fallback.split('_').next().unwrap_or("n"));
        name.insert(fallback.split('_').next().map_or(1, str::len), '_');
    }
    if is_keyword(&name) {
        name.push_str("_value");
    }
    name
}

fn variant_name(value: &str) -> String {
    legal(ascii_name(value), "v")
}

/// Names the data format keeps for itself in a lead record.
const LEAD_RESERVED: &[&str] = &["id", "stage", "stage_since", "events"];
/// Names the data format keeps for itself in an event.
const EVENT_RESERVED: &[&str] = &["type", "at", "lead_id"];
/// Names that may not be declared as fields.
const NOT_FIELDS: &[&str] = &[
    "id",
    "stage",
    "stage_since",
    "now",
    "time_in_stage",
    "at",
    "type",
    "lead_id",
];

/// A block's columns as read.
#[derive(Default)]
struct Block {
    columns: Vec<Column>,
    records: u64,
}

/// A field to write: its name, the column, and the guessed type.
struct Field<'c> {
    name: String,
    column: &'c Column,
    guess: Guess,
    missing: Vec<String>,
}

/// The most event types a draft is made from: past it, the `type` the
/// events give is unlikely to be their type.
pub const MAX_EVENT_TYPES: usize = 1_000;

/// The events counted so far, a block per type in order of first
/// appearance, each found by its type's text and each column by its name.
#[derive(Default)]
struct EventBlocks {
    /// Each type's text, its block, and the block's columns by header.
    blocks: Vec<(String, Block, HashMap<String, usize>)>,
    by_type: HashMap<String, usize>,
    /// Set once an event is past a limit: too many types, or too many keys
    /// in one type's events. Counting stops there.
    over: Option<Over>,
}

/// What the events had too much of.
#[derive(Clone, Copy)]
enum Over {
    Types,
    Keys,
}

impl EventBlocks {
    /// Count one event into the block of its type: `pairs` are its keys or
    /// column names with their values; `type`, `at` and `lead_id` are not fields.
    fn add(&mut self, pairs: &[(&str, &RawValue)]) {
        if self.over.is_some() {
            return;
        }
        let Some(ty) = pairs
            .iter()
            .find(|(k, _)| normalise_key(k) == "type")
            .map(|(_, v)| v.text().trim())
        else {
            return;
        };
        let k = match self.by_type.get(ty) {
            Some(&k) => k,
            None if self.blocks.len() == MAX_EVENT_TYPES => {
                self.over = Some(Over::Types);
                return;
            }
            None => {
                self.blocks
                    .push((ty.to_string(), Block::default(), HashMap::new()));
                self.by_type.insert(ty.to_string(), self.blocks.len() - 1);
                self.blocks.len() - 1
            }
        };
        let (_, block, columns) = &mut self.blocks[k];
        block.records += 1;
        for (header, v) in pairs {
            if EVENT_RESERVED.contains(&normalise_key(header).as_str()) {
                continue;
            }
            let c = match columns.get(*header) {
                Some(&c) => c,
                None if block.columns.len() == MAX_DRAFT_COLUMNS => {
                    self.over = Some(Over::Keys);
                    return;
                }
                None => {
                    block.columns.push(Column::new(header));
                    columns.insert(header.to_string(), block.columns.len() - 1);
                    block.columns.len() - 1
                }
            };
            block.columns[c].add(v);
        }
    }

    /// The error for a file whose events went past a limit, if they did.
    fn check(&self, file: &str) -> Result<(), ReadError> {
        let (limit, what, fix) = match self.over {
            None => return Ok(()),
            Some(Over::Types) => (
                MAX_EVENT_TYPES,
                "event types",
                "is `type` the column that says what happened (a page view, a form)? Draft from an export of fewer event types",
            ),
            Some(Over::Keys) => (
                MAX_DRAFT_COLUMNS,
                "keys in the events of one type",
                "export fewer columns",
            ),
        };
        Err(ReadError::TooMuchToDraft {
            file: file.to_string(),
            limit,
            what,
            fix,
        })
    }
}

/// The events nested in a JSON lead's `events` key.
fn add_nested_events(events: &mut EventBlocks, raw: &str) {
    let Ok(items) = serde_json::from_str::<Vec<serde_json::Map<String, serde_json::Value>>>(raw)
    else {
        return;
    };
    for obj in items {
        let values: Vec<(String, RawValue)> = obj
            .iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) if s.trim().is_empty() => return None,
                    serde_json::Value::String(s) => RawValue::Text(s.clone()),
                    serde_json::Value::Number(n) => RawValue::Number(n.to_string()),
                    serde_json::Value::Bool(b) => RawValue::Bool(*b),
                    other => RawValue::Other(other.to_string()),
                };
                Some((k.clone(), v))
            })
            .collect();
        let pairs: Vec<(&str, &RawValue)> = values.iter().map(|(k, v)| (k.as_str(), v)).collect();
        events.add(&pairs);
    }
}

/// Read the export (and the events export) and draft a model from it.
pub fn draft(options: &Options) -> Result<Draft, ReadError> {
    let mut leads = Block::default();
    let mut event_blocks = EventBlocks::default();
    let (read, skipped) = {
        let columns = std::cell::RefCell::new(Vec::<Column>::new());
        let mut records = 0u64;
        let events = &mut event_blocks;
        let counts = read_raw(
            &options.from,
            options.format,
            options.sheet.as_deref(),
            |name| columns.borrow_mut().push(Column::new(name)),
            |row| {
                records += 1;
                let mut cols = columns.borrow_mut();
                for (i, v) in row {
                    if let Some(c) = cols.get_mut(*i) {
                        if let RawValue::Other(raw) = v {
                            if normalise_key(&c.header) == "events" {
                                add_nested_events(events, raw);
                            }
                        }
                        c.add(v);
                    }
                }
            },
        )?;
        event_blocks.check(&options.from)?;
        leads.columns = columns.into_inner();
        leads.records = records;
        counts
    };
    let mut events: Vec<(String, String, Block)> = Vec::new();
    let mut event_skips = Vec::new();
    if let Some(path) = &options.events {
        let headers = std::cell::RefCell::new(Vec::<String>::new());
        let events = &mut event_blocks;
        read_raw(
            path,
            None,
            options.events_sheet.as_deref(),
            |name| headers.borrow_mut().push(name.to_string()),
            |row| {
                let headers = headers.borrow();
                let pairs: Vec<(&str, &RawValue)> = row
                    .iter()
                    .filter_map(|(i, v)| headers.get(*i).map(|h| (h.as_str(), v)))
                    .collect();
                events.add(&pairs);
            },
        )?;
        event_blocks.check(path)?;
    }
    {
        let mut names = HashSet::new();
        for (ty, block, _) in event_blocks.blocks {
            let name = legal(ascii_name(&ty), "event");
            if *normalise_enum(&ty) != *name || !names.insert(name.clone()) {
                event_skips.push(ty);
                continue;
            }
            events.push((ty, name, block));
        }
    }

    let mut guesses = Vec::new();
    // Placeholders seen in several columns go first in the block.
    let mut columns_with: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for c in &leads.columns {
        for (norm, (written, _)) in &c.placeholders {
            let e = columns_with
                .entry(norm.clone())
                .or_insert_with(|| (written.clone(), 0));
            e.1 += 1;
        }
    }
    let shared: Vec<String> = columns_with
        .iter()
        .filter(|(_, (_, n))| *n >= 2)
        .map(|(_, (w, _))| w.clone())
        .collect();
    let shared_norm: HashSet<String> = shared
        .iter()
        .map(|w| normalise_placeholder(w).into_owned())
        .collect();

    let id_key = options.id_field.as_deref().map(normalise_key);
    let mut taken: HashSet<String> = HashSet::new();
    let mut sources: HashMap<String, String> = HashMap::new();
    let mut fields = Vec::new();
    let mut left_out = Vec::new();
    let mut has_id = false;
    for c in &leads.columns {
        let key = normalise_key(&c.header);
        let is_id = match (&options.id_field, &id_key) {
            (Some(f), Some(k)) => c.header == *f || key == *k,
            _ => key == "id",
        };
        if is_id {
            has_id = true;
            left_out.push(match options.id_field {
                // the commands that read the leads must be told too
                Some(_) if key != "id" => format!(
                    "column \"{}\" is the lead's id (run `mql eval`, `backtest` and `diff` with `--id-field {}`)",
                    c.header,
                    quoted(&c.header)
                ),
                _ => format!("column \"{}\" is the lead's id", c.header),
            });
            continue;
        }
        if LEAD_RESERVED.contains(&key.as_str()) {
            left_out.push(format!(
                "column \"{}\" is read as the lead's `{key}`, not as a field",
                c.header
            ));
            continue;
        }
        if let Some(other) = sources.get(&key) {
            left_out.push(format!(
                "column \"{}\" reads like column \"{other}\"; rename one of them in the export to keep both",
                c.header
            ));
            continue;
        }
        sources.insert(key, c.header.clone());
        let mut name = legal(field_name(&c.header), "field");
        if NOT_FIELDS.contains(&name.as_str()) {
            name.push_str("_value");
        }
        let base = name.clone();
        let mut k = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        let guess = c.guess();
        let missing: Vec<String> = c
            .placeholders
            .iter()
            .filter(|(n, _)| !shared_norm.contains(*n))
            .map(|(_, (w, _))| w.clone())
            .collect();
        fields.push(Field {
            name,
            column: c,
            guess,
            missing,
        });
    }

    // Without an id column, a column with a different value on every row
    // and a name like an id is probably it.
    if !has_id && leads.records > 1 {
        if let Some(f) = fields.iter().find(|f| {
            let c = f.column;
            // (`distinct` is kept only for names that read like an id)
            c.values_seen == leads.records && c.distinct.is_some()
        }) {
            guesses.push(format!(
                "column {} has a different value on every row: if it is the lead's id, draft and run with `--id-field {}`",
                quoted(&f.column.header),
                quoted(&f.column.header)
            ));
        }
    }

    let model_name = {
        let stem = std::path::Path::new(&options.from)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        legal(ascii_name(&stem), "draft")
    };
    let model_name = if model_name == "stdin" || options.from == "-" {
        "draft".to_string()
    } else {
        model_name
    };

    let mut t = String::new();
    let _ = writeln!(
        t,
        "/// Drafted by `mql init` from {} ({} records{}): review the names, types and\n/// placeholders, then write criteria, scores and stages.",
        display_path(&options.from),
        read,
        if skipped > 0 {
            format!(", {skipped} not readable")
        } else {
            String::new()
        }
    );
    let _ = writeln!(t, "model {model_name}\n");
    for l in &left_out {
        let _ = writeln!(t, "// Left out: {l}.");
        guesses.push(format!("left out: {l}"));
    }
    t.push_str("lead {\n");
    if !shared.is_empty() {
        let _ = writeln!(
            t,
            "  // Placeholders seen in several columns: read as no value.\n  missing {}\n",
            quoted_list(&shared)
        );
        guesses.push(format!(
            "placeholders read as no value in every column: {}",
            quoted_list(&shared)
        ));
    }
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            t.push('\n');
        }
        write_field(&mut t, f, leads.records, &mut guesses);
    }
    t.push_str("}\n");

    for (ty, name, block) in &events {
        let _ = writeln!(
            t,
            "\n// Events of type \"{ty}\": {} in the export.",
            block.records
        );
        let _ = writeln!(t, "event {name} {{");
        let mut taken: HashSet<String> = HashSet::new();
        let mut k = 0;
        for c in &block.columns {
            if c.values_seen == 0 && c.placeholders.is_empty() {
                continue;
            }
            let mut fname = legal(field_name(&c.header), "field");
            if NOT_FIELDS.contains(&fname.as_str()) {
                fname.push_str("_value");
            }
            if !taken.insert(fname.clone()) {
                continue;
            }
            if k > 0 {
                t.push('\n');
            }
            k += 1;
            let f = Field {
                name: fname,
                column: c,
                guess: c.guess(),
                missing: c.placeholders.values().map(|(w, _)| w.clone()).collect(),
            };
            write_field(&mut t, &f, block.records, &mut guesses);
        }
        t.push_str("}\n");
    }
    for ty in &event_skips {
        let _ = writeln!(
            t,
            "\n// Left out: events of type \"{ty}\", whose name is no name of the language."
        );
        guesses.push(format!("left out: events of type \"{ty}\""));
    }

    let stage = leads
        .columns
        .iter()
        .find(|c| normalise_key(&c.header) == "stage" && c.values_seen > 0);
    write_examples(&mut t, &fields, stage);
    // In the layout `mql fmt` writes, so that formatting the draft changes
    // nothing (the text is the language's: it always parses).
    let text = mql_syntax::format::format(&t).unwrap_or(t);
    Ok(Draft { text, guesses })
}

fn display_path(path: &str) -> String {
    match path {
        "-" => "standard input".into(),
        p => std::path::Path::new(p)
            .file_name()
            .map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned()),
    }
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn quoted_list(texts: &[String]) -> String {
    texts
        .iter()
        .map(|t| quoted(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A field with its comment: fill rate and most common values.
fn write_field(t: &mut String, f: &Field, records: u64, guesses: &mut Vec<String>) {
    let c = f.column;
    let rate = (c.values_seen * 100 + records / 2)
        .checked_div(records)
        .unwrap_or(0);
    let _ = write!(
        t,
        "  // {}: {rate}% filled ({} of {})",
        quoted(&c.header),
        c.values_seen,
        records
    );
    let top = c.top(3);
    if !top.is_empty() && !matches!(f.guess, Guess::Bool) {
        let shown: Vec<String> = top
            .iter()
            .map(|(v, n)| format!("{} {n}", shorten(v)))
            .collect();
        let more = c.values.len() > top.len() || c.too_many;
        let _ = write!(
            t,
            "; most common: {}{}",
            shown.join(", "),
            if more { ", …" } else { "" }
        );
    }
    if !c.placeholders.is_empty() {
        let ph: Vec<String> = c
            .placeholders
            .values()
            .map(|(w, n)| format!("{} {n}", quoted(w)))
            .collect();
        let _ = write!(t, "; placeholders: {}", ph.join(", "));
    }
    t.push('\n');
    if c.separated > 0 && f.guess == Guess::String {
        let _ = writeln!(
            t,
            "  // {} values use digit separators (like \"2,500\"), which numbers may not: kept as text",
            c.separated
        );
        guesses.push(format!(
            "column {}: {} values use digit separators, so it is a string; remove the separators in the export to read it as a number",
            quoted(&c.header),
            c.separated
        ));
    }
    let ty = match &f.guess {
        Guess::Bool => "bool".to_string(),
        Guess::Int => "int".to_string(),
        Guess::Number => "number".to_string(),
        Guess::Time => "time".to_string(),
        Guess::String => "string".to_string(),
        Guess::StringList => "list<string>".to_string(),
        Guess::Enum(variants) => {
            let items: Vec<String> = variants
                .iter()
                .map(|(n, labels)| {
                    let mut s = n.clone();
                    for l in labels {
                        s.push(' ');
                        s.push_str(&quoted(l));
                    }
                    s
                })
                .collect();
            let one_line = format!("enum {{ {} }}", items.join(", "));
            if one_line.len() + f.name.len() <= 90 {
                one_line
            } else {
                format!("enum {{\n    {},\n  }}", items.join(",\n    "))
            }
        }
    };
    let _ = write!(t, "  {}: {ty}", f.name);
    if f.name != c.header {
        let _ = write!(t, " from {}", quoted(&c.header));
    }
    if !f.missing.is_empty() {
        let _ = write!(t, " missing {}", quoted_list(&f.missing));
    }
    t.push('\n');
    let what = match &f.guess {
        Guess::Enum(v) => format!("an enum of {} values", v.len()),
        Guess::String if c.values_seen == 0 => "a string (never filled)".to_string(),
        g => type_word(g).to_string(),
    };
    guesses.push(format!(
        "column {} → `{}`: {what}",
        quoted(&c.header),
        f.name
    ));
}

fn type_word(g: &Guess) -> &'static str {
    match g {
        Guess::Bool => "a bool",
        Guess::Int => "an int",
        Guess::Number => "a number",
        Guess::Time => "a time",
        Guess::String => "a string",
        Guess::StringList => "a list of strings",
        Guess::Enum(_) => "an enum",
    }
}

fn shorten(v: &str) -> String {
    let s: String = v.chars().take(40).collect();
    if s.len() < v.len() {
        quoted(&format!("{s}…"))
    } else {
        quoted(v)
    }
}

/// Commented criteria, a score and stages made of the drafted fields, and
/// one stage so that the model runs as it is.
fn write_examples(t: &mut String, fields: &[Field], stage: Option<&Column>) {
    let mut criteria: Vec<(String, String)> = Vec::new();
    for f in fields {
        if criteria.len() >= 3 {
            break;
        }
        let c = match &f.guess {
            Guess::Bool => Some(f.name.clone()),
            Guess::Enum(v) => v.first().map(|(n, _)| format!("{} == {n}", f.name)),
            Guess::Int | Guess::Number => f
                .column
                .top(1)
                .first()
                .map(|(v, _)| format!("{} >= {v}", f.name)),
            _ => None,
        };
        if let Some(expr) = c {
            criteria.push((format!("{}_example", f.name), expr));
        }
    }
    t.push_str("\n// Criteria, a score and stages to start from: uncomment and edit.\n");
    for (name, expr) in &criteria {
        let _ = writeln!(t, "// criterion {name} = {expr}");
    }
    t.push_str("//\n// score fit {\n");
    for (k, (name, _)) in criteria.iter().enumerate() {
        let _ = writeln!(t, "//   {name} => +{}", 10 * (k + 1));
    }
    if criteria.is_empty() {
        t.push_str("//   some_criterion => +10\n");
    }
    t.push_str("// }\n//\n// stages lead, mql\n// transition lead -> mql when fit >= 20\n");
    match stage {
        // The stages the data starts leads in, most common first: put them
        // in the funnel's order.
        Some(c) => {
            let items: Vec<String> = c
                .variants()
                .iter()
                .map(|(n, labels)| {
                    let mut s = n.clone();
                    for l in labels {
                        s.push(' ');
                        s.push_str(&quoted(l));
                    }
                    s
                })
                .collect();
            let _ = writeln!(
                t,
                "\n// The stages the export's {} column names, most common first: put them in\n// the funnel's order and add transitions.\nstages {}",
                quoted(&c.header),
                items.join(", ")
            );
        }
        None => t.push_str("stages lead\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_legal_identifiers() {
        assert_eq!(
            ascii_name("Total Time Spent on Website"),
            "total_time_spent_on_website"
        );
        assert_eq!(ascii_name(" (Amount $) "), "amount");
        assert_eq!(field_name("TotalVisits"), "total_visits");
        assert_eq!(ascii_name("SaaS"), "saas");
        assert_eq!(variant_name("02.Medium"), "v_02_medium");
        assert_eq!(legal(ascii_name("Score"), "field"), "score_value");
        assert_eq!(legal(ascii_name("ação"), "field"), "a_o");
        assert_eq!(legal(String::new(), "field"), "field");
    }

    #[test]
    fn types_are_guessed_from_every_value() {
        let guess = |values: &[&str]| {
            let mut c = Column::new("x");
            for v in values {
                c.add(&RawValue::Text(v.to_string()));
            }
            c.guess()
        };
        assert_eq!(guess(&["yes", "No", "yes"]), Guess::Bool);
        assert_eq!(guess(&["1", "20", "-3", "N/A"]), Guess::Int);
        assert_eq!(guess(&["1", "20", "3.0"]), Guess::Number);
        assert_eq!(guess(&["1", "2.5"]), Guess::Number);
        assert_eq!(guess(&["2,500", "12"]), Guess::String);
        assert_eq!(guess(&["2018-02-26 19:58:54", "2018-02-26"]), Guess::Time);
        assert_eq!(
            guess(
                &[
                    "02.Medium",
                    "02 medium",
                    "01.High",
                    "Manager",
                    "manager",
                    "01.High"
                ]
                .repeat(2)
            ),
            Guess::Enum(vec![
                ("v_01_high".into(), vec!["01.High".into()]),
                (
                    "v_02_medium".into(),
                    vec!["02 medium".into(), "02.Medium".into()]
                ),
                ("manager".into(), vec![]),
            ])
        );
        assert_eq!(guess(&["a", "b", "c"]), Guess::String);
    }
}
