//! `mql explain`: find one lead by id and explain its evaluation, with what
//! the data wrote where the value read does not say it all (a value that
//! could not be read, a placeholder, a label).

use std::cell::RefCell;
use std::rc::Rc;

use mql_core::names::{normalise_enum, normalise_placeholder};
use mql_core::{FieldDef, LeadRecord, Schema, Value};
use mql_data::DataIssue;
use mql_vm::{DataNote, NoteKind};

use crate::input::{open, Input};
use crate::observe::Observer;

/// A lead found by id, with the data issues reported for it.
pub struct Found {
    pub lead: LeadRecord,
    pub issues: Vec<DataIssue>,
    /// What the data wrote for each lead field, then for the stage.
    written: Vec<Value>,
}

impl Found {
    /// What the data wrote for the lead's fields where the value read does
    /// not say it all, for the explanation to show where a condition read
    /// them: values that could not be read (the lead's data errors), values
    /// that are placeholders, values and a stage written as labels.
    pub fn notes(&self, schema: &Schema) -> Vec<DataNote> {
        let mut notes: Vec<DataNote> = self
            .issues
            .iter()
            .filter(|i| i.is_error())
            .filter_map(|i| {
                Some(DataNote {
                    field: i.field.clone()?,
                    value: i.value.clone(),
                    how: NoteKind::Unreadable(i.reason.clone()),
                })
            })
            .collect();
        for (i, field) in schema.lead.iter().enumerate() {
            if notes.iter().any(|n| n.field == field.name) {
                continue;
            }
            let (Some(value), Some(written)) = (self.lead.fields.get(i), self.written.get(i))
            else {
                continue;
            };
            if let Some(how) = how_read(schema, field, value, written) {
                notes.push(DataNote {
                    field: field.name.clone(),
                    value: Some(shown(written)),
                    how,
                });
            }
        }
        let stage_written = self.written.get(schema.lead.len());
        if let (Some(stage), Some(Value::Str(t))) = (self.lead.stage, stage_written) {
            if normalise_enum(t) != normalise_enum(schema.symbols.name(stage)) {
                notes.push(DataNote {
                    field: "stage".into(),
                    value: Some(format!("{t:?}")),
                    how: NoteKind::Label,
                });
            }
        }
        notes
    }
}

/// Whether the data wrote a placeholder for `field` (its value is then
/// unknown) or an enum value as one of its labels.
fn how_read(schema: &Schema, field: &FieldDef, value: &Value, written: &Value) -> Option<NoteKind> {
    let is_placeholder = |t: &str| {
        let t = normalise_placeholder(t);
        field.missing.iter().any(|m| normalise_placeholder(m) == t)
    };
    let by_label = |sym: &mql_core::Sym, text: &str| {
        normalise_enum(text) != normalise_enum(schema.symbols.name(*sym))
    };
    match (value, written) {
        (Value::Unknown, Value::Str(t)) if is_placeholder(t) => Some(NoteKind::Placeholder),
        (Value::Enum(sym), Value::Str(t)) if by_label(sym, t) => Some(NoteKind::Label),
        (Value::List(items), written) if field.enum_ty().is_some() => {
            // The items the data wrote, placeholders left out: a label was
            // used if one of them is not the name of a value read.
            let texts: Vec<&str> = match written {
                Value::Str(t) => t.split(';').map(str::trim).collect(),
                Value::List(ws) => ws
                    .iter()
                    .filter_map(|w| match w {
                        Value::Str(t) => Some(&**t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let names: Vec<std::borrow::Cow<str>> = items
                .iter()
                .filter_map(|v| match v {
                    Value::Enum(s) => Some(normalise_enum(schema.symbols.name(*s))),
                    _ => None,
                })
                .collect();
            texts
                .iter()
                .filter(|t| !t.is_empty() && !is_placeholder(t))
                .any(|t| !names.iter().any(|n| *n == normalise_enum(t)))
                .then_some(NoteKind::Label)
        }
        _ => None,
    }
}

/// A written value as the explanation shows it: a text quoted, a JSON
/// array as a list of its items.
fn shown(written: &Value) -> String {
    match written {
        Value::Str(t) => format!("{:?}", &**t),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(shown).collect();
            format!("[{}]", items.join(", "))
        }
        _ => "a value".into(),
    }
}

/// Read the leads until the one whose id reads `id`; its data issues (and
/// those of earlier records with the same id), and the warnings about
/// fields that nothing fills, go to `observer` as they are found. `None`
/// when no lead has that id.
pub fn find_lead(
    schema: &Schema,
    input: &Input,
    id: &str,
    observer: &mut dyn Observer,
) -> anyhow::Result<Option<Found>> {
    let pending: Rc<RefCell<Vec<DataIssue>>> = Rc::default();
    let sink = pending.clone();
    let mut input = input.clone();
    input.options.written = true;
    // every event field: no program is at hand here to say which its rules read
    let mut leads = open(schema, &input, None, move |issue| {
        sink.borrow_mut().push(issue)
    })?;
    let mut mine = Vec::new();
    let mut found = None;
    loop {
        let next = leads.next_lead()?;
        for issue in pending.borrow_mut().drain(..) {
            if issue.lead.as_ref().is_some_and(|l| l.to_string() == id) {
                observer.issue(&issue);
                mine.push(issue);
            } else if issue.is_warning() {
                // A field that nothing fills explains why it is unknown.
                observer.issue(&issue);
            }
        }
        match next {
            Some(lead) if lead.id.to_string() == id => {
                found = Some(lead);
                break;
            }
            Some(_) => {}
            None => break,
        }
    }
    // What the data wrote follows the fields and the kept columns.
    let at = schema.lead.len() + input.options.keep.len();
    Ok(found.map(|mut lead| {
        let mut fields = lead.fields.into_vec();
        let written = fields.split_off(at.min(fields.len()));
        fields.truncate(schema.lead.len());
        lead.fields = fields.into_boxed_slice();
        Found {
            lead,
            issues: mine,
            written,
        }
    }))
}
