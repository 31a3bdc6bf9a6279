//! Declared fields that nothing in the data fills (cli-and-data.md v1.1): what
//! the readers saw of the data's keys, and the warning, once per run and per
//! field, that names the closest undeclared column or key and the fix
//! (`write \`total_visits: int from "TotalVisits"\``).

use std::sync::Arc;

use mql_core::{FieldDef, Ty};
use rustc_hash::FxHashSet;

use crate::decode::normalise_key;
use crate::issue::{Issues, Loc};
use crate::layout::Layout;

/// What a decoder saw of JSON data's keys, merged across the threads that
/// decode it: which fields some record or event had, and which keys the
/// model does not declare.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    /// Per lead field: some record had its key.
    pub lead: Vec<bool>,
    /// Per event type: the file of its first event read, if any.
    pub event_file: Vec<Option<Arc<str>>>,
    /// Per event type and field: some event of the type had its key.
    pub events: Vec<Vec<bool>>,
    /// Undeclared lead keys, in the order first met (at most
    /// [`MAX_KEYS`]).
    pub lead_keys: Vec<String>,
    /// Per event type: keys of its events that are not its fields (at most
    /// [`MAX_KEYS`] each).
    pub event_keys: Vec<Vec<String>>,
    /// The keys of `lead_keys`, to look them up (a record of 100,000
    /// undeclared keys made a scan of the list quadratic).
    lead_known: FxHashSet<String>,
    /// The keys of `event_keys`, per event type.
    event_known: Vec<FxHashSet<String>>,
}

/// The most undeclared keys remembered (per lead, per event type) as
/// candidates for the closest-key hint: data with more distinct keys than
/// this is not an export a model is being fitted to, and memory must not
/// grow with them.
pub(crate) const MAX_KEYS: usize = 10_000;

/// Remember `key` in `list` (and its set) unless it is known or the list
/// is full.
fn remember(list: &mut Vec<String>, known: &mut FxHashSet<String>, key: &str) {
    if list.len() < MAX_KEYS && !known.contains(key) {
        known.insert(key.to_string());
        list.push(key.to_string());
    }
}

impl Seen {
    fn fit(&mut self, layout: &Layout) {
        let schema = layout.schema;
        if self.lead.len() != schema.lead.len() {
            self.lead.resize(schema.lead.len(), false);
        }
        let n = schema.events.len();
        if self.events.len() != n {
            self.event_file.resize(n, None);
            self.event_keys.resize(n, Vec::new());
            self.event_known.resize(n, FxHashSet::default());
            self.events = schema
                .events
                .iter()
                .map(|e| vec![false; e.fields.len()])
                .collect();
        }
    }

    /// Lead field `i` had a key in some record.
    pub fn lead_field(&mut self, layout: &Layout, i: usize) {
        if self.lead.get(i) != Some(&true) {
            self.fit(layout);
            self.lead[i] = true;
        }
    }

    /// An event of type `ty` was read from `file`; `filled(i)` tells which
    /// of its fields it had.
    pub fn event(
        &mut self,
        layout: &Layout,
        ty: usize,
        file: &Arc<str>,
        filled: impl Fn(usize) -> bool,
    ) {
        self.fit(layout);
        if self.event_file[ty].is_none() {
            self.event_file[ty] = Some(file.clone());
        }
        for (i, f) in self.events[ty].iter_mut().enumerate() {
            *f = *f || filled(i);
        }
    }

    pub fn lead_key(&mut self, key: &str) {
        remember(&mut self.lead_keys, &mut self.lead_known, key);
    }

    pub fn event_key(&mut self, layout: &Layout, ty: usize, key: &str) {
        self.fit(layout);
        remember(&mut self.event_keys[ty], &mut self.event_known[ty], key);
    }

    /// Add what another decoder saw.
    pub fn merge(&mut self, other: Seen) {
        for (i, &f) in other.lead.iter().enumerate() {
            if f {
                if self.lead.len() <= i {
                    self.lead.resize(other.lead.len(), false);
                }
                self.lead[i] = true;
            }
        }
        if self.events.len() < other.events.len() {
            self.events.resize(other.events.len(), Vec::new());
            self.event_file.resize(other.events.len(), None);
            self.event_keys.resize(other.events.len(), Vec::new());
            self.event_known
                .resize(other.events.len(), FxHashSet::default());
        }
        for (t, fields) in other.events.into_iter().enumerate() {
            let mine = &mut self.events[t];
            if mine.len() < fields.len() {
                mine.resize(fields.len(), false);
            }
            for (i, f) in fields.into_iter().enumerate() {
                mine[i] = mine[i] || f;
            }
        }
        for (t, file) in other.event_file.into_iter().enumerate() {
            if self.event_file[t].is_none() {
                self.event_file[t] = file;
            }
        }
        for key in other.lead_keys {
            self.lead_key(&key);
        }
        for (t, keys) in other.event_keys.into_iter().enumerate() {
            for key in keys {
                remember(&mut self.event_keys[t], &mut self.event_known[t], &key);
            }
        }
    }
}

/// `column` (CSV and workbooks) or `key` (JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Where {
    Column,
    Key,
}

impl Where {
    fn word(self) -> &'static str {
        match self {
            Where::Column => "column",
            Where::Key => "key",
        }
    }
}

/// Letters and digits of a name, lower-cased: `TotalVisits` and
/// `total_visits` are both `totalvisits`.
fn compact(text: &str) -> String {
    normalise_key(text).replace('_', "")
}

/// The undeclared name among `candidates` closest to a field's name (or its
/// source name): the same letters and digits, else within about one edit
/// per three characters, else one containing the other.
fn closest<'a>(field: &FieldDef, candidates: &[&'a str]) -> Option<&'a str> {
    let targets: Vec<String> = [Some(field.name.as_str()), field.source.as_deref()]
        .into_iter()
        .flatten()
        .map(compact)
        .filter(|t| !t.is_empty())
        .collect();
    let mut best: Option<(usize, usize, &str)> = None;
    for &c in candidates {
        let cc = compact(c);
        if cc.is_empty() {
            continue;
        }
        for t in &targets {
            let rank = if cc == *t {
                Some((0, 0))
            } else {
                let d = strsim::damerau_levenshtein(&cc, t);
                let limit = (t.chars().count() / 3).max(1);
                let shorter = cc.len().min(t.len());
                if d <= limit {
                    Some((1, d))
                } else if shorter >= 4 && (cc.contains(t.as_str()) || t.contains(cc.as_str())) {
                    Some((2, cc.len().abs_diff(t.len())))
                } else {
                    None
                }
            };
            if let Some((tier, d)) = rank {
                if best.is_none_or(|(bt, bd, _)| (tier, d) < (bt, bd)) {
                    best = Some((tier, d, c));
                }
            }
        }
    }
    best.map(|(_, _, c)| c)
}

/// A field's type as the fix writes it (`enum { … }` for the long ones).
fn type_text(ty: &Ty) -> String {
    match ty {
        Ty::Enum(_) => "enum { … }".into(),
        Ty::List(inner) => format!("list<{}>", type_text(inner)),
        _ => ty.to_string(),
    }
}

/// Where the columns or keys of a field were looked for.
pub(crate) struct Looked<'a> {
    /// The file, or `the \`page_view\` events in leads.ndjson`.
    pub place: &'a str,
    pub kind: Where,
    /// The undeclared columns or keys met there.
    pub candidates: &'a [&'a str],
}

/// The warning for one unfilled field. `what` names the field
/// (``field `x` `` or ``field `x` of event `e` ``).
fn warn(
    issues: &mut Issues,
    loc: &Loc,
    once: String,
    what: String,
    field: &FieldDef,
    looked: &Looked,
) {
    issues.warn_once(&once, || {
        let from = match &field.source {
            Some(s) => format!(" (from {s:?})"),
            None => String::new(),
        };
        let word = looked.kind.word();
        let place = looked.place;
        let ty = type_text(&field.ty);
        let reason = match closest(field, looked.candidates) {
            Some(c) => format!(
                "{what}{from} is not filled by any {word} of {place}; the {word} `{c}` looks like it: write `{}: {ty} from {c:?}`",
                field.name
            ),
            None => format!(
                "{what}{from} is not filled by any {word} of {place}, so it is unknown everywhere; if the data holds it under another name, write `{}: {ty} from \"…\"` with that name",
                field.name
            ),
        };
        loc.warning(&field.name, reason)
    });
}

/// Warn about every lead field that `filled` says nothing fills.
pub(crate) fn lead_fields(
    layout: &Layout,
    filled: impl Fn(usize) -> bool,
    looked: &Looked,
    loc: &Loc,
    issues: &mut Issues,
) {
    for (i, f) in layout.schema.lead.iter().enumerate() {
        if filled(i) {
            continue;
        }
        let what = format!("field `{}`", f.name);
        warn(issues, loc, format!("lead {}", f.name), what, f, looked);
    }
}

/// Warn about every field of event type `ty` that `filled` says nothing fills.
pub(crate) fn event_fields(
    layout: &Layout,
    ty: usize,
    filled: impl Fn(usize) -> bool,
    looked: &Looked,
    loc: &Loc,
    issues: &mut Issues,
) {
    let def = &layout.schema.events[ty];
    for (i, f) in def.fields.iter().enumerate() {
        if filled(i) {
            continue;
        }
        let once = format!("event {} {}", def.name, f.name);
        let what = format!("field `{}` of event `{}`", f.name, def.name);
        warn(issues, loc, once, what, f, looked);
    }
}

/// At the end of reading JSON data: warn about the lead fields no record had
/// (when `leads` is true and some record was read) and the fields of each
/// event type that none of its events had.
pub(crate) fn report_seen(layout: &Layout, seen: &Seen, leads: Option<&Loc>, issues: &mut Issues) {
    if let Some(loc) = leads {
        let keys: Vec<&str> = seen.lead_keys.iter().map(String::as_str).collect();
        let looked = Looked {
            place: &loc.file,
            kind: Where::Key,
            candidates: &keys,
        };
        lead_fields(
            layout,
            |i| seen.lead.get(i) == Some(&true),
            &looked,
            loc,
            issues,
        );
    }
    for (t, file) in seen.event_file.iter().enumerate() {
        let Some(file) = file else {
            continue;
        };
        let keys: Vec<&str> = seen.event_keys[t].iter().map(String::as_str).collect();
        let place = format!("the `{}` events in {file}", layout.schema.events[t].name);
        let loc = Loc {
            file: file.clone(),
            line: 0,
            column: None,
            lead: None,
        };
        let looked = Looked {
            place: &place,
            kind: Where::Key,
            candidates: &keys,
        };
        event_fields(
            layout,
            t,
            |i| seen.events[t].get(i) == Some(&true),
            &looked,
            &loc,
            issues,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, source: Option<&str>) -> FieldDef {
        let mut f = FieldDef::new(name, Ty::Int);
        f.source = source.map(str::to_string);
        f
    }

    #[test]
    fn finds_the_column_a_field_means() {
        let cols = ["Lead Number", "TotalVisits", "Page Views Per Visit", "City"];
        assert_eq!(
            closest(&field("total_visits", None), &cols),
            Some("TotalVisits")
        );
        assert_eq!(
            closest(&field("page_views_per_visit", None), &cols),
            Some("Page Views Per Visit")
        );
        assert_eq!(closest(&field("citty", None), &cols), Some("City"));
        assert_eq!(closest(&field("lead_no", None), &cols), None);
        assert_eq!(
            closest(&field("page_views", None), &cols),
            Some("Page Views Per Visit")
        );
        // A misspelt `from` is compared too.
        assert_eq!(
            closest(&field("visits", Some("Total Visit")), &cols),
            Some("TotalVisits")
        );
        assert_eq!(closest(&field("score", None), &cols), None);
    }
}
