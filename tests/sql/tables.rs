//! The tables of one case for the SQL engines: the leads and events as
//! `mql eval` reads them (decoded by `mql-data`), written as typed rows. Enum
//! values are written in a different case or spacing now and then, or as
//! text that names no variant where `mql eval` has an unknown, so that the
//! query's own matching of enum text is exercised; columns are named by the
//! fields' source names, enum values and stages are written by their labels
//! now and then, and unknown text as one of the field's placeholders. A few
//! events that must not be read (no time, an unknown type, no such lead) are
//! added.

use std::path::Path;
use std::sync::Arc;

use mql_core::{LeadId, LeadRecord, Schema, Ty, Value};
use mql_data::{read_events, Issues, LeadReader, ReadOptions, Source};
use serde_json::{json, Value as J};

/// The output columns a case's rows have.
pub struct Outputs {
    pub has_stages: bool,
    pub scores: Vec<String>,
    pub tiers: Vec<String>,
    pub segments: Vec<String>,
    pub criteria: Vec<String>,
}

pub struct Data {
    pub tables: Vec<J>,
    pub outputs: Outputs,
}

struct FsLoader;

impl mql_sema::Loader for FsLoader {
    fn load(&self, from: &str, relative: &str) -> Result<mql_sema::FileSource, String> {
        let base = Path::new(from).parent().unwrap_or(Path::new("."));
        let path = base.join(relative);
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        Ok(mql_sema::FileSource::parse(&path.to_string_lossy(), &text))
    }
}

fn col_type(ty: &Ty, time: &str) -> String {
    match ty {
        Ty::Int => "int".into(),
        Ty::Duration => "duration".into(),
        Ty::Number => "double".into(),
        Ty::Bool => "bool".into(),
        Ty::String | Ty::Enum(_) => "text".into(),
        Ty::Time => time.into(),
        Ty::List(t) => format!("{}[]", col_type(t, time)),
    }
}

/// A small deterministic hash, to vary the spelling of enum values.
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0x632B_E59B_D9B4_E019);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 32)
}

fn spelled(name: &str, h: u64) -> String {
    match h % 5 {
        0 => name.to_uppercase(),
        1 => format!("  {name} "),
        2 => name.replace('_', " "),
        3 => name.replace('_', "-").to_uppercase(),
        _ => name.to_string(),
    }
}

/// How a placeholder may be written in the data: as declared, in capitals,
/// or padded (all mean the same to `mql eval`).
fn spelled_placeholder(p: &str, h: u64) -> String {
    match h % 3 {
        0 if p.to_uppercase().to_lowercase() == p.to_lowercase() => p.to_uppercase(),
        1 => format!(" {p}  "),
        _ => p.to_string(),
    }
}

/// A value's cell: enum values in varied spellings, by name or by one of
/// their labels; an unknown text now and then as text that names no variant
/// or as one of the field's placeholders; placeholder items in text lists
/// (both sides drop them).
fn cell(v: &Value, ty: &Ty, schema: &Schema, h: u64, ph: &[String]) -> J {
    let texty = matches!(ty, Ty::String | Ty::Enum(_));
    match (v, ty) {
        (Value::Unknown, _) if texty && !ph.is_empty() && h % 3 == 1 => {
            json!(spelled_placeholder(
                &ph[(h >> 8) as usize % ph.len()],
                h >> 16
            ))
        }
        (Value::Unknown, Ty::Enum(_)) if h.is_multiple_of(3) => json!("no-such-value"),
        (Value::Unknown, _) => J::Null,
        (Value::Bool(b), _) => json!(b),
        (Value::Int(i), Ty::Number) => json!(*i as f64),
        (Value::Int(i) | Value::Time(i) | Value::Duration(i), _) => json!(i),
        (Value::Number(n), _) => json!(n),
        (Value::Str(s), _) => json!(&**s),
        (Value::Enum(s), Ty::Enum(e)) => json!(enum_text(e, schema.symbols.name(*s), h)),
        (Value::Enum(s), _) => json!(spelled(schema.symbols.name(*s), h)),
        (Value::List(items), Ty::List(t)) => {
            let mut out: Vec<J> = items
                .iter()
                .enumerate()
                .map(|(k, i)| cell(i, t, schema, mix(h, k as u64), ph))
                .collect();
            let text_items = matches!(**t, Ty::String | Ty::Enum(_));
            if text_items && !ph.is_empty() && h % 4 == 1 {
                let at = (h >> 8) as usize % (out.len() + 1);
                let p = &ph[(h >> 12) as usize % ph.len()];
                out.insert(at, json!(spelled_placeholder(p, h >> 16)));
            }
            J::Array(out)
        }
        (Value::List(_), _) => J::Null,
    }
}

/// An enum value as data writes it: its name or, when it has labels, now
/// and then one of them, in varied spellings.
fn enum_text(e: &mql_core::EnumTy, name: &str, h: u64) -> String {
    let labels = e
        .variants
        .iter()
        .position(|v| v == name)
        .map_or(&[][..], |i| e.labels_of(i));
    if !labels.is_empty() && !(h >> 8).is_multiple_of(3) {
        let l = &labels[(h >> 12) as usize % labels.len()];
        return spelled(l, h);
    }
    spelled(name, h)
}

fn id_cell(id: &LeadId, text_ids: bool) -> J {
    match id {
        LeadId::Int(i) if !text_ids => json!(i),
        other => json!(other.to_string()),
    }
}

/// A table cell as `mql eval` reads it from NDJSON: times as text.
fn file_value(v: &J, ty: &str) -> J {
    match (v, ty) {
        (J::Number(n), "timestamp" | "timestamptz") => {
            json!(mql_core::time::format_time(n.as_i64().unwrap_or(0)))
        }
        (J::Number(n), "duration") => {
            json!(mql_core::time::format_duration(n.as_i64().unwrap_or(0)))
        }
        _ => v.clone(),
    }
}

/// Write the tables as the files `mql eval` reads: `leads.ndjson` and
/// `events.ndjson` in `out`, so both sides read the very same data.
pub fn write_files(tables: &[J], out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    for (t, file) in tables.iter().zip(["leads.ndjson", "events.ndjson"]) {
        let cols: Vec<(String, String)> = t["columns"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c[0].as_str().unwrap_or("").to_string(),
                            c[1].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut text = String::new();
        for row in t["rows"].as_array().into_iter().flatten() {
            let mut obj = serde_json::Map::new();
            for ((name, ty), v) in cols.iter().zip(row.as_array().into_iter().flatten()) {
                if !v.is_null() {
                    obj.insert(name.clone(), file_value(v, ty));
                }
            }
            text.push_str(&J::Object(obj).to_string());
            text.push('\n');
        }
        std::fs::write(out.join(file), text)?;
    }
    Ok(())
}

pub fn build(
    dir: &Path,
    leads: &str,
    events: Option<&str>,
    leads_table: &str,
    events_table: &str,
) -> Result<Data, String> {
    let model_path = dir.join("model.mql");
    let text = std::fs::read_to_string(&model_path).map_err(|e| e.to_string())?;
    let checked = mql_sema::check(
        mql_sema::FileSource::parse(&model_path.to_string_lossy(), &text),
        &FsLoader,
    );
    let model: Arc<mql_sema::hir::Model> = checked.model.ok_or("the model does not check")?;
    let schema = &model.schema;
    let options = ReadOptions::default();
    let mut issues = Issues::ignore();
    let source = |f: &str| Source::open(&dir.join(f).to_string_lossy()).map_err(|e| e.to_string());
    let index = match events {
        Some(e) => Some(
            read_events(schema, source(e)?, &options, &mut issues).map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let mut reader =
        LeadReader::new(schema, source(leads)?, &options, issues).map_err(|e| e.to_string())?;
    if let Some(i) = index {
        reader = reader.with_events(i);
    }
    let (records, _) = reader.read_all().map_err(|e| e.to_string())?;
    let text_ids = records.iter().any(|r| matches!(r.id, LeadId::Str(_)));
    let id_type = if text_ids { "text" } else { "int" };
    // the leads table
    let mut columns = vec![json!(["id", id_type])];
    for f in &schema.lead {
        columns.push(json!([f.source_name(), col_type(&f.ty, "timestamptz")]));
    }
    if schema.stages.is_some() {
        columns.push(json!(["stage", "text"]));
        columns.push(json!(["stage_since", "timestamptz"]));
    }
    let rows: Vec<J> = records
        .iter()
        .enumerate()
        .map(|(n, r)| lead_row(r, n as u64, schema, text_ids))
        .collect();
    let mut tables = vec![json!({"name": leads_table, "columns": columns, "rows": rows})];
    // the events table: one column per field source name
    let mut ev_cols: Vec<(String, Ty)> = Vec::new();
    for e in &schema.events {
        for f in &e.fields {
            if !ev_cols.iter().any(|(n, _)| n == f.source_name()) {
                ev_cols.push((f.source_name().to_string(), f.ty.clone()));
            }
        }
    }
    let mut columns = vec![
        json!(["lead_id", id_type]),
        json!(["type", "text"]),
        json!(["at", "timestamp"]),
    ];
    for (n, t) in &ev_cols {
        columns.push(json!([n, col_type(t, "timestamp")]));
    }
    let mut rows = Vec::new();
    let mut seen_ids = std::collections::HashSet::new();
    for (n, r) in records.iter().enumerate() {
        // a table joins events by id: a duplicate id's events are written once
        if !seen_ids.insert(r.id.to_string()) {
            continue;
        }
        for (k, group) in r.events.iter().enumerate() {
            let e = &schema.events[k];
            for (j, ev) in group.iter().enumerate() {
                let mut row = vec![id_cell(&r.id, text_ids), json!(e.name), json!(ev.at)];
                for (name, _) in &ev_cols {
                    row.push(
                        match e.fields.iter().position(|f| f.source_name() == name) {
                            Some(i) => cell(
                                &ev.fields[i],
                                &e.fields[i].ty,
                                schema,
                                mix(n as u64 * 1000 + j as u64, i as u64),
                                &e.fields[i].missing,
                            ),
                            None => J::Null,
                        },
                    );
                }
                rows.push(J::Array(row));
            }
        }
        // events the query must not read
        if n.is_multiple_of(4) {
            let mut junk = |ty: J, at: J| {
                let mut row = vec![id_cell(&r.id, text_ids), ty, at];
                row.extend(ev_cols.iter().map(|_| J::Null));
                rows.push(J::Array(row));
            };
            junk(json!("no_such_event"), json!(0));
            if let Some(e) = schema.events.first() {
                junk(json!(e.name), J::Null);
            }
        }
    }
    let mut stray = vec![
        if text_ids {
            json!("no-such-lead")
        } else {
            json!(-987654321)
        },
        json!("x"),
        json!(0),
    ];
    stray.extend(ev_cols.iter().map(|_| J::Null));
    rows.push(J::Array(stray));
    tables.push(json!({"name": events_table, "columns": columns, "rows": rows}));
    use mql_sema::hir::ValueKind;
    Ok(Data {
        tables,
        outputs: Outputs {
            has_stages: schema.stages.is_some(),
            scores: model.scores.iter().map(|s| s.name.clone()).collect(),
            tiers: model.tiers.iter().map(|s| s.name.clone()).collect(),
            segments: model
                .values
                .iter()
                .filter(|v| v.kind == ValueKind::Segment)
                .map(|v| v.name.clone())
                .collect(),
            criteria: model
                .values
                .iter()
                .filter(|v| v.kind == ValueKind::Criterion)
                .map(|v| v.name.clone())
                .collect(),
        },
    })
}

fn lead_row(r: &LeadRecord, n: u64, schema: &Schema, text_ids: bool) -> J {
    let mut row = vec![id_cell(&r.id, text_ids)];
    for (i, f) in schema.lead.iter().enumerate() {
        row.push(cell(
            &r.fields[i],
            &f.ty,
            schema,
            mix(n, i as u64),
            &f.missing,
        ));
    }
    if schema.stages.is_some() {
        row.push(match r.stage {
            Some(s) => json!(match &schema.stages {
                Some(e) => enum_text(e, schema.symbols.name(s), mix(n, 999)),
                None => spelled(schema.symbols.name(s), mix(n, 999)),
            }),
            None if n.is_multiple_of(3) => json!("not-a-stage"),
            None => J::Null,
        });
        row.push(r.stage_since.map_or(J::Null, |t| json!(t)));
    }
    J::Array(row)
}
