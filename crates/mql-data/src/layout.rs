//! The schema prepared for reading: which key or column fills which slot, and
//! turning the cells of one lead or event into typed values, reporting every
//! value that cannot be read.

use std::borrow::Cow;
use std::sync::Arc;

use mql_core::{EventRec, LeadId, Schema, Value};
use rustc_hash::FxHashMap;

use crate::decode::{
    decode_json, decode_text, json_str, normalise_enum, normalise_key, show_json, show_text,
    EnumPlan, Placeholders, Plan, Strings,
};
use crate::issue::{Issues, Loc};
use crate::json::{array_items, parse_object_into, Entry, LeadLine, Lines};
use crate::sheet::{decode_sheet, SheetValue};
use crate::unfilled::Seen;

/// One undecoded value: JSON text, a CSV cell or a workbook cell with its
/// 1-based column.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell<'t> {
    Json(&'t str),
    Text(&'t str, u64),
    Sheet(&'t SheetValue, u64),
}

impl<'t> Cell<'t> {
    fn loc(&self, base: &Loc, lines: &Lines) -> Loc {
        match self {
            Cell::Json(raw) => base.at(lines.line_of(raw), None),
            Cell::Text(_, col) | Cell::Sheet(_, col) => base.at(base.line, Some(*col)),
        }
    }

    fn decode(&self, plan: &Plan, ph: &Placeholders, st: &mut Strings) -> Result<Value, String> {
        match self {
            Cell::Json(raw) => decode_json(plan, raw, ph, st),
            Cell::Text(t, _) => decode_text(plan, t, true, ph, st),
            Cell::Sheet(v, _) => decode_sheet(plan, v, ph, st),
        }
    }

    /// The 1-based column of a CSV or workbook cell (1 for JSON).
    pub fn column(&self) -> u64 {
        match self {
            Cell::Json(_) => 1,
            Cell::Text(_, col) | Cell::Sheet(_, col) => *col,
        }
    }

    /// A header cell's text (a workbook's header may hold numbers or dates).
    pub fn header_text(&self) -> String {
        match self {
            Cell::Json(raw) => raw.to_string(),
            Cell::Text(t, _) => t.to_string(),
            Cell::Sheet(v, _) => v.as_text().unwrap_or_default(),
        }
    }

    /// The cell as trimmed text if it is a string (or CSV text); `Err` shows
    /// what else it is; `Ok(None)` when null or empty.
    pub fn text(&self) -> Result<Option<Cow<'t, str>>, String> {
        match self {
            Cell::Text(t, _) => {
                let t = t.trim();
                Ok((!t.is_empty()).then_some(Cow::Borrowed(t)))
            }
            Cell::Json(raw) if raw.starts_with('"') => match json_str(raw) {
                Some(Cow::Borrowed(s)) => {
                    let s = s.trim();
                    Ok((!s.is_empty()).then_some(Cow::Borrowed(s)))
                }
                Some(Cow::Owned(s)) => {
                    let s = s.trim();
                    Ok((!s.is_empty()).then(|| Cow::Owned(s.to_string())))
                }
                None => Err(show_json(raw)),
            },
            Cell::Json(raw) if *raw == "null" => Ok(None),
            Cell::Json(raw) => Err(show_json(raw)),
            Cell::Sheet(v, _) => match v {
                SheetValue::Empty => Ok(None),
                SheetValue::Text(_) | SheetValue::Int(_) | SheetValue::Number(_) => {
                    let t = v.as_text().unwrap_or_default();
                    let t = t.trim();
                    Ok((!t.is_empty()).then(|| Cow::Owned(t.to_string())))
                }
                _ => Err(v.show()),
            },
        }
    }

    /// What the data wrote: a cell's text (a workbook cell as the sheet
    /// shows it), a JSON string's text, a JSON array as a list of what its
    /// items wrote, another JSON value as its JSON text; `null` and an empty
    /// workbook cell are unknown.
    fn written(&self) -> Value {
        fn json(raw: &str) -> Value {
            if raw == "null" {
                Value::Unknown
            } else if raw.starts_with('"') {
                Value::Str(json_str(raw).map_or_else(|| raw.into(), |t| (*t).into()))
            } else if let Some(items) = array_items(raw) {
                Value::List(items.into_iter().map(json).collect())
            } else {
                Value::Str(raw.into())
            }
        }
        match self {
            Cell::Text(t, _) => Value::Str((*t).into()),
            Cell::Sheet(v, _) => v
                .raw_text()
                .map_or(Value::Unknown, |t| Value::Str(t.into())),
            Cell::Json(raw) => json(raw),
        }
    }

    fn show(&self) -> String {
        match self {
            Cell::Json(raw) => show_json(raw),
            Cell::Text(t, _) => show_text(t),
            Cell::Sheet(v, _) => v.show(),
        }
    }
}

/// What a lead key or column fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeadKey {
    Id,
    Stage,
    StageSince,
    Events,
    Field(usize),
    Unknown,
}

/// What an event key or column is, whatever the event's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKey {
    Type,
    At,
    LeadId,
    Other,
}

/// A value found for a slot, with the key or column that gave it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot<'t> {
    pub cell: Cell<'t>,
    pub key: &'t str,
    pub exact: bool,
}

/// The values of one lead record, by slot, before decoding.
#[derive(Debug, Default)]
pub(crate) struct LeadSlots<'t> {
    pub id: Option<Slot<'t>>,
    pub stage: Option<Slot<'t>>,
    pub stage_since: Option<Slot<'t>>,
    pub events: Option<Slot<'t>>,
    pub fields: Vec<Option<Slot<'t>>>,
    /// The values of the kept columns (`--keep`), by their order there.
    pub kept: Vec<Option<Slot<'t>>>,
    /// Two keys for one slot: (the slot's name, the key used, the key ignored).
    pub clashes: Vec<(String, Slot<'t>, Slot<'t>)>,
}

impl<'t> LeadSlots<'t> {
    pub fn new(layout: &Layout) -> Self {
        LeadSlots {
            fields: vec![None; layout.schema.lead.len()],
            kept: vec![None; layout.keep.len()],
            ..Default::default()
        }
    }

    /// A kept column's value; an exact match of the name wins over a
    /// normalised one, else the first.
    pub fn keep(&mut self, (k, exact): (usize, bool), slot: Slot<'t>) {
        match &self.kept[k] {
            Some(old) if old.exact || !exact => {}
            _ => self.kept[k] = Some(Slot { exact, ..slot }),
        }
    }

    pub fn put(&mut self, target: LeadKey, slot: Slot<'t>, layout: &Layout) {
        let (place, name) = match target {
            LeadKey::Id => (&mut self.id, layout.id_key.as_str()),
            LeadKey::Stage => (&mut self.stage, "stage"),
            LeadKey::StageSince => (&mut self.stage_since, "stage_since"),
            LeadKey::Events => (&mut self.events, "events"),
            LeadKey::Field(i) => (&mut self.fields[i], layout.schema.lead[i].name.as_str()),
            LeadKey::Unknown => return,
        };
        match place {
            None => *place = Some(slot),
            Some(old) => {
                let (kept, dropped) = if slot.exact && !old.exact {
                    (slot, *old)
                } else {
                    (*old, slot)
                };
                *place = Some(kept);
                self.clashes.push((name.to_string(), kept, dropped));
            }
        }
    }
}

/// The schema, prepared for reading data. Fields are matched by their
/// source names (spec §3.1: the `from` text, or else the name).
#[derive(Clone)]
pub(crate) struct Layout<'s> {
    pub schema: &'s Schema,
    pub lead_plans: Vec<Plan>,
    pub lead_missing: Vec<Placeholders>,
    lead_norm: Vec<String>,
    pub event_plans: Vec<Vec<Plan>>,
    pub event_missing: Vec<Vec<Placeholders>>,
    event_norm: Vec<Vec<String>>,
    event_type_norm: Vec<String>,
    pub stages: Option<EnumPlan>,
    pub id_key: String,
    id_norm: String,
    /// The lead field the id key also fills, when `--id-field` names one.
    pub id_field_slot: Option<usize>,
    /// The columns or keys to copy into each lead (`--keep`), and their
    /// normalised forms.
    pub keep: Vec<String>,
    keep_norm: Vec<String>,
    /// Each lead also carries what the data wrote for each field and its
    /// stage (see [`crate::ReadOptions::written`]).
    pub written: bool,
}

impl<'s> Layout<'s> {
    pub fn new(schema: &'s Schema, id_field: Option<&str>) -> Layout<'s> {
        let id_key = id_field.unwrap_or("id").to_string();
        let mut texts = 0;
        Layout {
            schema,
            lead_plans: schema
                .lead
                .iter()
                .map(|f| Plan::new(&f.ty, &mut texts))
                .collect(),
            lead_missing: schema
                .lead
                .iter()
                .map(|f| Placeholders::new(&f.missing))
                .collect(),
            lead_norm: schema
                .lead
                .iter()
                .map(|f| normalise_key(f.source_name()))
                .collect(),
            event_plans: schema
                .events
                .iter()
                .map(|e| {
                    e.fields
                        .iter()
                        .map(|f| Plan::new(&f.ty, &mut texts))
                        .collect()
                })
                .collect(),
            event_missing: schema
                .events
                .iter()
                .map(|e| {
                    e.fields
                        .iter()
                        .map(|f| Placeholders::new(&f.missing))
                        .collect()
                })
                .collect(),
            event_norm: schema
                .events
                .iter()
                .map(|e| {
                    e.fields
                        .iter()
                        .map(|f| normalise_key(f.source_name()))
                        .collect()
                })
                .collect(),
            event_type_norm: schema
                .events
                .iter()
                .map(|e| normalise_enum(&e.name).into_owned())
                .collect(),
            stages: schema.stages.as_deref().map(EnumPlan::new),
            id_norm: normalise_key(&id_key),
            id_field_slot: id_field.and_then(|n| {
                let norm = normalise_key(n);
                let by = |same: &dyn Fn(&str) -> bool| {
                    schema.lead.iter().position(|f| same(f.source_name()))
                };
                by(&|s| s == n).or_else(|| by(&|s| normalise_key(s) == norm))
            }),
            id_key,
            keep: Vec::new(),
            keep_norm: Vec::new(),
            written: false,
        }
    }

    /// Copy these columns or keys into each lead (see
    /// [`crate::ReadOptions::keep`]).
    pub fn with_keep(mut self, keep: &[String]) -> Layout<'s> {
        self.keep_norm = keep.iter().map(|k| normalise_key(k)).collect();
        self.keep = keep.to_vec();
        self
    }

    /// Carry what the data wrote for each field and the stage (see
    /// [`crate::ReadOptions::written`]).
    pub fn with_written(mut self, written: bool) -> Layout<'s> {
        self.written = written;
        self
    }

    /// Which kept name a key or header is, and whether exactly.
    pub fn kept(&self, key: &str) -> Option<(usize, bool)> {
        if self.keep.is_empty() {
            return None;
        }
        if let Some(i) = self.keep.iter().position(|k| k == key) {
            return Some((i, true));
        }
        let n = normalise_key(key);
        self.keep_norm
            .iter()
            .position(|k| *k == n)
            .map(|i| (i, false))
    }

    /// What a lead key or header fills, and whether it matched exactly.
    pub fn lead_key(&self, key: &str, json: bool) -> (LeadKey, bool) {
        let reserved = |k: &str| -> Option<LeadKey> {
            if k == self.id_key {
                Some(LeadKey::Id)
            } else if k == "stage" {
                Some(LeadKey::Stage)
            } else if k == "stage_since" {
                Some(LeadKey::StageSince)
            } else if json && k == "events" {
                Some(LeadKey::Events)
            } else {
                None
            }
        };
        if let Some(r) = reserved(key) {
            return (r, true);
        }
        if let Some(i) = self.schema.lead.iter().position(|f| f.source_name() == key) {
            return (LeadKey::Field(i), true);
        }
        let n = normalise_key(key);
        if n == self.id_norm {
            return (LeadKey::Id, false);
        }
        if let Some(r) = reserved(&n) {
            return (r, false);
        }
        match self.lead_norm.iter().position(|f| *f == n) {
            Some(i) => (LeadKey::Field(i), false),
            None => (LeadKey::Unknown, false),
        }
    }

    pub fn event_key(&self, key: &str) -> EventKey {
        exact_event_key(key)
            .or_else(|| exact_event_key(&normalise_key(key)))
            .unwrap_or(EventKey::Other)
    }

    /// The field of event type `ty` whose source name is exactly `key`.
    fn exact_event_field(&self, ty: usize, key: &str) -> Option<usize> {
        let fields = &self.schema.events[ty].fields;
        fields.iter().position(|f| f.source_name() == key)
    }

    /// The field of event type `ty` a key or header fills, and whether exactly.
    pub fn event_field(&self, ty: usize, key: &str) -> Option<(usize, bool)> {
        if let Some(i) = self.exact_event_field(ty, key) {
            return Some((i, true));
        }
        let n = normalise_key(key);
        self.event_norm[ty]
            .iter()
            .position(|f| *f == n)
            .map(|i| (i, false))
    }

    /// Is this key or header a field of some event type?
    pub fn any_event_field(&self, key: &str) -> bool {
        (0..self.schema.events.len()).any(|t| self.event_field(t, key).is_some())
    }

    /// The event type an event's `type` names: exactly, or as an enum value.
    pub fn event_type(&self, name: &str) -> Option<usize> {
        self.schema.event(name).or_else(|| {
            let n = normalise_enum(name);
            self.event_type_norm.iter().position(|t| *t == *n)
        })
    }
}

/// Two independent 64-bit SipHash digests of a lead id: a 128-bit key kept as
/// two halves, so that a table of them is aligned to 8 bytes, not 16.
pub(crate) fn id_digest(id: &LeadId) -> IdDigest {
    use std::hash::{Hash, Hasher};
    let half = |salt: u64| {
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        id.hash(&mut h);
        h.finish()
    };
    (half(0x6d71_6c5f_6964_5f31), half(0x6d71_6c5f_6964_5f32))
}

/// See [`id_digest`].
pub(crate) type IdDigest = (u64, u64);

/// The field a key fills and whether it matched exactly; `None`: no field.
type FieldMatch = Option<(usize, bool)>;

/// Decodes leads and events by a [`Layout`], remembering what it learnt about
/// keys.
#[derive(Clone)]
pub(crate) struct Decoder<'s> {
    pub layout: Layout<'s>,
    lead_keys: FxHashMap<Box<str>, (LeadKey, bool)>,
    /// With kept columns: which kept name each key seen is.
    kept_keys: FxHashMap<Box<str>, Option<(usize, bool)>>,
    /// With kept columns: the keys seen for the first time since the last
    /// [`Decoder::take_new_keys`] (to name the closest to a kept name that
    /// no record has).
    new_keys: Vec<Box<str>>,
    event_keys: FxHashMap<Box<str>, EventKey>,
    event_fields: Vec<FxHashMap<Box<str>, FieldMatch>>,
    /// Room reused from event to event: each entry's kind, and each field's entry.
    ev_kinds: Vec<EventKey>,
    ev_slots: Vec<Option<(usize, bool)>>,
    strings: Strings,
    /// What was seen of the data's keys since it was last taken.
    pub seen: Seen,
}

/// An event read from a JSON object or a CSV row.
pub(crate) struct DecodedEvent {
    pub ty: usize,
    pub rec: EventRec,
}

impl<'s> Decoder<'s> {
    pub fn new(layout: Layout<'s>) -> Decoder<'s> {
        let n = layout.schema.events.len();
        Decoder {
            layout,
            lead_keys: FxHashMap::default(),
            kept_keys: FxHashMap::default(),
            new_keys: Vec::new(),
            event_keys: FxHashMap::default(),
            event_fields: vec![FxHashMap::default(); n],
            ev_kinds: Vec::new(),
            ev_slots: Vec::new(),
            strings: Strings::default(),
            seen: Seen::default(),
        }
    }

    /// What a JSON lead key fills; notes a key the model does not declare.
    pub fn json_lead_key(
        &mut self,
        key: &str,
        value: &str,
        base: &Loc,
        lines: &Lines,
        issues: &mut Issues,
    ) -> (LeadKey, bool) {
        if let Some(&t) = self.lead_keys.get(key) {
            return t;
        }
        let loc = &base.at(lines.line_of(value), None);
        let t = self.layout.lead_key(key, true);
        if t.0 == LeadKey::Unknown {
            self.seen.lead_key(key);
        }
        if t.0 == LeadKey::Unknown && self.layout.kept(key).is_none() {
            note_undeclared(issues, loc, "key", key);
        } else if t.0 == LeadKey::Stage && self.layout.stages.is_none() {
            note_no_stages(issues, loc, "key", key);
        }
        self.lead_keys.insert(key.into(), t);
        t
    }

    /// Which kept name a JSON lead key is (only asked when columns are kept).
    pub fn json_kept_key(&mut self, key: &str) -> Option<(usize, bool)> {
        if let Some(&k) = self.kept_keys.get(key) {
            return k;
        }
        let k = self.layout.kept(key);
        self.kept_keys.insert(key.into(), k);
        self.new_keys.push(key.into());
        k
    }

    /// The keys seen for the first time since the last call.
    pub fn take_new_keys(&mut self) -> Vec<Box<str>> {
        std::mem::take(&mut self.new_keys)
    }

    fn json_event_key(&mut self, key: &str) -> EventKey {
        // The usual keys are known without a look-up.
        if let Some(t) = exact_event_key(key) {
            return t;
        }
        if let Some(&t) = self.event_keys.get(key) {
            return t;
        }
        let t = self.layout.event_key(key);
        self.event_keys.insert(key.into(), t);
        t
    }

    fn json_event_field(
        &mut self,
        ty: usize,
        key: &str,
        loc: &Loc,
        issues: &mut Issues,
    ) -> Option<(usize, bool)> {
        // A declared field's own name, found without hashing.
        if let Some(i) = self.layout.exact_event_field(ty, key) {
            return Some((i, true));
        }
        if let Some(&t) = self.event_fields[ty].get(key) {
            return t;
        }
        let t = self.layout.event_field(ty, key);
        if t.is_none() {
            self.seen.event_key(&self.layout, ty, key);
            let event = &self.layout.schema.events[ty].name;
            issues.note_once(&format!("event {event}: {key}"), || {
                loc.note(
                    key,
                    format!("key `{key}` is not a field of event `{event}` and is ignored"),
                )
            });
        }
        self.event_fields[ty].insert(key.into(), t);
        t
    }

    /// Decode one lead from its slots. `position` is its 1-based record number.
    /// Duplicate ids are not checked here: the reader checks them in input order.
    /// `in_place`: the line was read by `parse_lead_line`, and its events
    /// slot (the first `events` key) holds [`READ_IN_PLACE`].
    pub fn lead(
        &mut self,
        slots: &LeadSlots,
        in_place: Option<&LeadLine>,
        position: u64,
        base: &Loc,
        lines: &Lines,
        issues: &mut Issues,
    ) -> mql_core::LeadRecord {
        let schema = self.layout.schema;
        let mut loc = base.clone();
        // The id first, so that every later issue names the lead.
        let mut id = None;
        if let Some(slot) = &slots.id {
            match lead_id_of(&slot.cell) {
                Ok(v) => id = v,
                Err(found) => issues.report(slot.cell.loc(base, lines).error(
                    Some(&self.layout.id_key),
                    format!(
                        "expected an id (text or a whole number), found {found} (the record's position {position} is used)"
                    ),
                )),
            }
        }
        let id = id.unwrap_or(LeadId::Int(position as i64));
        loc.lead = Some(id.clone());
        for (name, kept, dropped) in &slots.clashes {
            issues.report(
                dropped
                    .cell
                    .loc(&loc, lines)
                    .error(Some(name), clash_message(kept.key, dropped.key, "record")),
            );
        }

        let mut fields: Vec<Value> = Vec::with_capacity(slots.fields.len() + slots.kept.len());
        let mut written: Vec<Value> = Vec::new();
        for (i, slot) in slots.fields.iter().enumerate() {
            let slot = match (slot, self.layout.id_field_slot) {
                (Some(s), _) => Some(s),
                (None, Some(j)) if j == i => slots.id.as_ref(),
                _ => None,
            };
            if slot.is_some() {
                self.seen.lead_field(&self.layout, i);
            }
            if self.layout.written {
                written.push(slot.map_or(Value::Unknown, |s| s.cell.written()));
            }
            let v = match slot {
                None => Value::Unknown,
                Some(s) => match s.cell.decode(
                    &self.layout.lead_plans[i],
                    &self.layout.lead_missing[i],
                    &mut self.strings,
                ) {
                    Ok(v) => v,
                    Err(why) => {
                        issues.report(
                            s.cell
                                .loc(&loc, lines)
                                .error(
                                    Some(&schema.lead[i].name),
                                    format!("{why} (treated as unknown)"),
                                )
                                .with_value(s.cell.show()),
                        );
                        Value::Unknown
                    }
                },
            };
            fields.push(v);
        }

        let mut stage = None;
        if let (Some(slot), Some(stages)) = (&slots.stage, &self.layout.stages) {
            match slot.cell.text() {
                Ok(None) => {}
                Ok(Some(t)) => match stages.find(&t) {
                    Some(s) => stage = Some(s),
                    None => issues.report(slot.cell.loc(&loc, lines).error(
                        Some("stage"),
                        format!(
                            "{} is not one of the stages {} (treated as absent: the lead starts at the first stage)",
                            slot.cell.show(),
                            stages.choices
                        ),
                    ).with_value(slot.cell.show())),
                },
                Err(found) => issues.report(slot.cell.loc(&loc, lines).error(
                    Some("stage"),
                    format!(
                        "expected a stage name ({}), found {found} (treated as absent: the lead starts at the first stage)",
                        stages.choices
                    ),
                )),
            }
        }

        let mut stage_since = None;
        if let Some(slot) = &slots.stage_since {
            match slot
                .cell
                .decode(&Plan::Time, &Placeholders::NONE, &mut self.strings)
            {
                Ok(Value::Time(t)) => stage_since = Some(t),
                Ok(_) => {}
                Err(why) => issues.report(
                    slot.cell
                        .loc(&loc, lines)
                        .error(Some("stage_since"), format!("{why} (treated as unknown)")),
                ),
            }
        }

        // The kept columns after the fields: the raw text of a CSV cell or of
        // a workbook cell (as the sheet shows it), the JSON text of a value.
        for slot in &slots.kept {
            fields.push(match slot.map(|s| s.cell) {
                Some(Cell::Json(raw)) | Some(Cell::Text(raw, _)) => Value::Str(raw.into()),
                Some(Cell::Sheet(v, _)) => v
                    .raw_text()
                    .map_or(Value::Unknown, |t| Value::Str(t.into())),
                None => Value::Unknown,
            });
        }
        // What the data wrote for each field and the stage, last.
        if self.layout.written {
            fields.extend(written);
            fields.push(
                slots
                    .stage
                    .as_ref()
                    .map_or(Value::Unknown, |s| s.cell.written()),
            );
        }
        let mut record = mql_core::LeadRecord {
            id,
            fields: fields.into_boxed_slice(),
            stage,
            stage_since,
            events: vec![Vec::new(); schema.events.len()],
        };
        if let Some(slot) = &slots.events {
            self.nested_events(slot, in_place, &mut record.events, &loc, lines, issues);
        }
        record
    }

    /// Decode the events nested in a lead record into its event groups.
    fn nested_events(
        &mut self,
        slot: &Slot,
        in_place: Option<&LeadLine>,
        groups: &mut [Vec<EventRec>],
        loc: &Loc,
        lines: &Lines,
        issues: &mut Issues,
    ) {
        let raw = match slot.cell {
            Cell::Json(raw) => raw,
            Cell::Text(..) | Cell::Sheet(..) => return,
        };
        // Read with the line (`parse_lead_line`): the objects are there.
        if let Some(line) = in_place {
            let mut start = 0;
            for &end in &line.ends {
                let event = &line.events[start..end];
                start = end;
                if let Some(e) = self.json_event(event, loc, lines, issues, false).1 {
                    groups[e.ty].push(e.rec);
                }
            }
            return;
        }
        if raw == "null" {
            return;
        }
        let Some(items) = array_items(raw) else {
            issues.report(slot.cell.loc(loc, lines).error(
                Some("events"),
                format!(
                    "expected a JSON array of events, found {} (ignored)",
                    show_json(raw)
                ),
            ));
            return;
        };
        let mut entries = Vec::with_capacity(8);
        for item in items {
            match parse_object_into(item, &mut entries) {
                Ok(()) => {
                    let here = match lines {
                        Lines::Fixed(_) => None,
                        Lines::File { .. } => Some(loc.at(lines.line_of(item), None)),
                    };
                    let here = here.as_ref().unwrap_or(loc);
                    if let Some(e) = self.json_event(&entries, here, lines, issues, false).1 {
                        groups[e.ty].push(e.rec);
                    }
                }
                Err(_) => issues.report(loc.at(lines.line_of(item), None).error(
                    Some("events"),
                    format!(
                        "expected an event object `{{\"type\": …, \"at\": …}}`, found {} (event skipped)",
                        show_json(item)
                    ),
                )),
            }
        }
    }

    /// Decode an event from a JSON object. With `from_file`, the event must name
    /// its lead in `lead_id`; its text is returned for joining.
    pub fn json_event(
        &mut self,
        entries: &[Entry],
        base: &Loc,
        lines: &Lines,
        issues: &mut Issues,
        from_file: bool,
    ) -> (Option<(String, LeadId)>, Option<DecodedEvent>) {
        let mut type_cell = None;
        let mut at_cell = None;
        let mut lead_cell = None;
        let mut kinds = std::mem::take(&mut self.ev_kinds);
        kinds.clear();
        for (k, v) in entries {
            let kind = self.json_event_key(k);
            match kind {
                EventKey::Type => type_cell = type_cell.or(Some(Cell::Json(v))),
                EventKey::At => at_cell = at_cell.or(Some(Cell::Json(v))),
                EventKey::LeadId => lead_cell = lead_cell.or(Some(Cell::Json(v))),
                EventKey::Other => {}
            }
            kinds.push(kind);
        }
        let owned;
        let mut loc = base;
        let mut lead_text = None;
        if from_file {
            match lead_cell.map(|c| (c, event_lead_id(&c))) {
                Some((_, Ok(Some((text, id))))) => {
                    owned = Loc {
                        lead: Some(id.clone()),
                        ..base.clone()
                    };
                    loc = &owned;
                    lead_text = Some((text, id));
                }
                Some((c, Err(found))) => {
                    issues.report(c.loc(loc, lines).error(
                        Some("lead_id"),
                        format!("expected a lead id (text or a whole number), found {found} (event skipped)"),
                    ));
                    self.ev_kinds = kinds;
                    return (None, None);
                }
                None | Some((_, Ok(None))) => {
                    issues.report(loc.error(
                        Some("lead_id"),
                        "event without `lead_id` (event skipped)".to_string(),
                    ));
                    self.ev_kinds = kinds;
                    return (None, None);
                }
            }
        }
        let Some((ty, at)) = self.event_head(type_cell, at_cell, loc, lines, issues) else {
            self.ev_kinds = kinds;
            return (lead_text, None);
        };
        let n = self.layout.schema.events[ty].fields.len();
        let mut slots = std::mem::take(&mut self.ev_slots);
        slots.clear();
        slots.resize(n, None);
        let mut clashes = Vec::new();
        for (e, (k, _)) in entries.iter().enumerate() {
            if kinds[e] != EventKey::Other {
                continue;
            }
            let Some((i, exact)) = self.json_event_field(ty, k, loc, issues) else {
                continue;
            };
            match slots[i] {
                None => slots[i] = Some((e, exact)),
                Some((old, old_exact)) => {
                    let slot = |e: usize, exact| Slot {
                        cell: Cell::Json(entries[e].1),
                        key: &entries[e].0,
                        exact,
                    };
                    let (kept, dropped) = if exact && !old_exact {
                        ((e, exact), (old, old_exact))
                    } else {
                        ((old, old_exact), (e, exact))
                    };
                    slots[i] = Some(kept);
                    clashes.push((i, slot(kept.0, kept.1), slot(dropped.0, dropped.1)));
                }
            }
        }
        self.seen
            .event(&self.layout, ty, &loc.file, |i| slots[i].is_some());
        let fields = self.event_fields_of(
            ty,
            |i| slots[i].map(|(e, _)| Cell::Json(entries[e].1)),
            &clashes,
            loc,
            lines,
            issues,
        );
        self.ev_slots = slots;
        self.ev_kinds = kinds;
        (
            lead_text,
            Some(DecodedEvent {
                ty,
                rec: EventRec { at, fields },
            }),
        )
    }

    /// Check an event's `type` and `at`; `None` (reported) if the event must be skipped.
    pub fn event_head(
        &self,
        type_cell: Option<Cell>,
        at_cell: Option<Cell>,
        loc: &Loc,
        lines: &Lines,
        issues: &mut Issues,
    ) -> Option<(usize, i64)> {
        let ty = match type_cell.map(|c| (c, c.text())) {
            None => {
                issues.report(loc.error(
                    Some("type"),
                    "event without `type` (event skipped)".to_string(),
                ));
                return None;
            }
            Some((c, Ok(None))) => {
                issues.report(c.loc(loc, lines).error(
                    Some("type"),
                    "event without `type` (event skipped)".to_string(),
                ));
                return None;
            }
            Some((c, Err(found))) => {
                issues.report(c.loc(loc, lines).error(
                    Some("type"),
                    format!("expected an event type name, found {found} (event skipped)"),
                ));
                return None;
            }
            Some((c, Ok(Some(name)))) => match self.layout.event_type(&name) {
                Some(t) => t,
                None => {
                    let known: Vec<&str> = self
                        .layout
                        .schema
                        .events
                        .iter()
                        .map(|e| e.name.as_str())
                        .collect();
                    issues.report(
                        c.loc(loc, lines)
                            .error(
                                Some("type"),
                                format!(
                                    "unknown event type {}, expected one of {} (event skipped)",
                                    show_text(&name),
                                    known.join(", ")
                                ),
                            )
                            .with_value(show_text(&name)),
                    );
                    return None;
                }
            },
        };
        let at = match at_cell.map(|c| {
            let at = c.decode(&Plan::Time, &Placeholders::NONE, &mut Strings::default());
            (c, at)
        }) {
            None => {
                issues.report(
                    loc.error(Some("at"), "event without `at` (event skipped)".to_string()),
                );
                return None;
            }
            Some((c, Ok(Value::Unknown))) => {
                issues.report(
                    c.loc(loc, lines)
                        .error(Some("at"), "event without `at` (event skipped)".to_string()),
                );
                return None;
            }
            Some((_, Ok(Value::Time(t)))) => t,
            Some((c, Ok(_))) | Some((c, Err(_))) => {
                issues.report(c.loc(loc, lines).error(
                    Some("at"),
                    format!(
                        "expected a time (RFC 3339, YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\"), found {} (event skipped)",
                        c.show()
                    ),
                ));
                return None;
            }
        };
        Some((ty, at))
    }

    /// Decode the fields of an event of type `ty`; `cells` gives each field's cell.
    pub fn event_fields_of<'t>(
        &mut self,
        ty: usize,
        cells: impl Fn(usize) -> Option<Cell<'t>>,
        clashes: &[(usize, Slot, Slot)],
        loc: &Loc,
        lines: &Lines,
        issues: &mut Issues,
    ) -> Box<[Value]> {
        let schema = self.layout.schema;
        let def = &schema.events[ty];
        for (i, kept, dropped) in clashes {
            issues.report(dropped.cell.loc(loc, lines).error(
                Some(&def.fields[*i].name),
                clash_message(kept.key, dropped.key, "event"),
            ));
        }
        (0..def.fields.len())
            .map(|i| match cells(i) {
                None => Value::Unknown,
                Some(cell) => match cell.decode(
                    &self.layout.event_plans[ty][i],
                    &self.layout.event_missing[ty][i],
                    &mut self.strings,
                ) {
                    Ok(v) => v,
                    Err(why) => {
                        issues.report(
                            cell.loc(loc, lines)
                                .error(
                                    Some(&def.fields[i].name),
                                    format!("{why} (treated as unknown)"),
                                )
                                .with_value(cell.show()),
                        );
                        Value::Unknown
                    }
                },
            })
            .collect()
    }
}

/// A lead's id from its cell: JSON text or integer, or CSV text. `Ok(None)`:
/// absent (null or empty), so the record's position is used.
fn lead_id_of(cell: &Cell) -> Result<Option<LeadId>, String> {
    match cell {
        Cell::Text(t, _) => {
            let t = t.trim();
            Ok((!t.is_empty()).then(|| LeadId::Str(Arc::from(t))))
        }
        // Read like a CSV cell: ids are text (a number cell as it is shown).
        Cell::Sheet(..) => Ok(cell.text()?.map(|t| LeadId::Str(Arc::from(t.as_ref())))),
        Cell::Json(raw) => match raw.as_bytes().first() {
            Some(b'n') => Ok(None),
            Some(b'"') => match json_str(raw) {
                Some(s) if s.is_empty() => Ok(None),
                Some(s) => Ok(Some(LeadId::Str(Arc::from(s.as_ref())))),
                None => Err(show_json(raw)),
            },
            _ => raw
                .parse::<i64>()
                .map(|i| Some(LeadId::Int(i)))
                .map_err(|_| show_json(raw)),
        },
    }
}

/// An event's `lead_id`: the text it is joined by, and the id to name it with.
fn event_lead_id(cell: &Cell) -> Result<Option<(String, LeadId)>, String> {
    match cell {
        Cell::Text(t, _) => {
            let t = t.trim();
            Ok((!t.is_empty()).then(|| (t.to_string(), LeadId::Str(Arc::from(t)))))
        }
        Cell::Json(_) | Cell::Sheet(..) => Ok(lead_id_of(cell)?.map(|id| {
            let text = match &id {
                LeadId::Str(s) => s.trim().to_string(),
                LeadId::Int(i) => i.to_string(),
            };
            (text, id)
        })),
    }
}

pub(crate) fn note_undeclared(issues: &mut Issues, loc: &Loc, what: &str, name: &str) {
    issues.note_once(name, || {
        loc.note(
            name,
            format!("{what} `{name}` is not declared by the model and is ignored"),
        )
    });
}

/// [`note_undeclared`] for a column whose name reads like an id when no
/// column is the lead's id: the leads are then numbered by position, which
/// is rarely what the user meant.
pub(crate) fn note_undeclared_id(issues: &mut Issues, loc: &Loc, id_key: &str, name: &str) {
    issues.note_once(name, || {
        loc.note(
            name,
            format!(
                "column `{name}` is not declared by the model and is ignored; no column is `{id_key}`, so the leads are numbered by their position: if `{name}` holds each lead's id, run with `--id-field \"{name}\"`"
            ),
        )
    });
}

pub(crate) fn note_no_stages(issues: &mut Issues, loc: &Loc, what: &str, name: &str) {
    issues.note_once(name, || {
        loc.note(
            name,
            format!("{what} `{name}` is ignored: the model declares no stages"),
        )
    });
}

/// The key of an event's own data that `key` is, written exactly.
fn exact_event_key(key: &str) -> Option<EventKey> {
    match key {
        "type" => Some(EventKey::Type),
        "at" => Some(EventKey::At),
        "lead_id" => Some(EventKey::LeadId),
        _ => None,
    }
}

/// What to say when two keys of one record fill the same field: two
/// spellings (a name and its source name, say), or one key written twice
/// in the same `record` or event.
fn clash_message(kept: &str, dropped: &str, within: &str) -> String {
    if kept == dropped {
        format!("`{kept}` appears twice in this {within}; the first value is used and the second is ignored")
    } else {
        format!("both `{kept}` and `{dropped}` fill this field; `{kept}` is used and `{dropped}` is ignored")
    }
}
