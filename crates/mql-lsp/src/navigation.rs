//! Go to definition, find references and rename. A definition is known by
//! its file and the span of its name, so the same declaration seen from two
//! open models (a shared file both `use`) is one thing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mql_core::Span;
use mql_syntax::ast::DeclKind;
use tower_lsp_server::ls_types::{Location, Range, TextEdit, Uri, WorkspaceEdit};

use crate::analysis::Analysis;
use crate::index::{Builtin, DefId, DefKind, Target};
use crate::lex;
use crate::uri::path_to_uri;

/// A definition's identity across models.
pub type DefKey = (Arc<str>, Span);

pub fn key(a: &Analysis, d: DefId) -> DefKey {
    let def = a.index.def(d);
    (a.index.files[def.file].path.clone(), def.span)
}

pub fn find_def(a: &Analysis, key: &DefKey) -> Option<DefId> {
    let file = a.index.file_of(&key.0)?;
    a.index
        .defs
        .iter()
        .position(|d| d.file == file && d.span == key.1)
        .map(|i| DefId(i as u32))
}

/// The definition under the cursor, or why there is none to rename.
pub fn target_at(
    a: &Analysis,
    file: usize,
    offset: usize,
) -> Result<Option<(DefId, Span)>, String> {
    match a.index.at(file, offset) {
        None => Ok(None),
        Some(r) => match r.target {
            Target::Def(d) => Ok(Some((d, r.span))),
            Target::Builtin(b) => {
                let name = a.index.files[file].slice(r.span).to_string();
                let what = if b == Builtin::Function {
                    "a function of the language"
                } else {
                    "part of the language"
                };
                Err(format!("`{name}` is {what} and can't be renamed"))
            }
        },
    }
}

pub fn definition(a: &Analysis, file: usize, offset: usize) -> Option<Location> {
    if let Some(loc) = used_file(a, file, offset) {
        return Some(loc);
    }
    let r = a.index.at(file, offset)?;
    let Target::Def(d) = r.target else {
        return None;
    };
    let def = a.index.def(d);
    let data = &a.index.files[def.file];
    Some(Location::new(
        path_to_uri(&data.path)?,
        data.lines.range(&data.text, def.span),
    ))
}

/// On the path of a `use "…"`: the start of that file.
fn used_file(a: &Analysis, file: usize, offset: usize) -> Option<Location> {
    let data = &a.index.files[file];
    data.ast.decls.iter().find_map(|d| match &d.kind {
        DeclKind::Use(s) if s.span.contains(offset) => {
            let path = mql_db::resolve_use(&data.path, &s.value);
            Some(Location::new(path_to_uri(&path)?, Range::default()))
        }
        _ => None,
    })
}

/// Every occurrence of the definition `key` in any of the models, by file.
pub fn occurrences(
    models: &[&Analysis],
    key: &DefKey,
    include_declaration: bool,
) -> BTreeMap<Arc<str>, Vec<(Span, Range)>> {
    let mut out: BTreeMap<Arc<str>, Vec<(Span, Range)>> = BTreeMap::new();
    for a in models {
        let Some(d) = find_def(a, key) else { continue };
        for r in a.index.refs_to(d) {
            if r.is_def && !include_declaration {
                continue;
            }
            let data = &a.index.files[r.file];
            let list = out.entry(data.path.clone()).or_default();
            if !list.iter().any(|(s, _)| *s == r.span) {
                list.push((r.span, data.lines.range(&data.text, r.span)));
            }
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|(s, _)| s.start);
    }
    out
}

pub fn references(models: &[&Analysis], key: &DefKey, include_declaration: bool) -> Vec<Location> {
    let mut out = Vec::new();
    for (path, spans) in occurrences(models, key, include_declaration) {
        let Some(uri) = path_to_uri(&path) else {
            continue;
        };
        out.extend(
            spans
                .into_iter()
                .map(|(_, r)| Location::new(uri.clone(), r)),
        );
    }
    out
}

const RESERVED: &[&str] = &["now", "id", "stage", "stage_since", "time_in_stage"];
const RESERVED_EVENT_FIELDS: &[&str] = &["at", "type", "lead_id"];

/// Why `new_name` can't replace definition `d`, if it can't.
pub fn check_new_name(a: &Analysis, d: DefId, new_name: &str) -> Result<(), String> {
    let def = a.index.def(d);
    if !lex::is_identifier(new_name) {
        return Err(if lex::is_keyword(new_name) {
            format!("`{new_name}` is a keyword of the language; choose another name")
        } else {
            format!(
                "`{new_name}` is not a valid name: use letters, digits and `_`, not starting with a digit"
            )
        });
    }
    if new_name == def.name {
        return Ok(());
    }
    let clash = |ids: &[DefId]| {
        ids.iter()
            .copied()
            .find(|&o| o != d && a.index.def(o).name == new_name)
    };
    let taken = match def.kind {
        DefKind::Model => None,
        k if k.is_top_level() => {
            if RESERVED.contains(&new_name) {
                return Err(format!(
                    "`{new_name}` is a built-in name and can't be declared"
                ));
            }
            a.index.top_level(new_name).filter(|&o| o != d)
        }
        DefKind::EventField { event } => {
            if RESERVED_EVENT_FIELDS.contains(&new_name) {
                return Err(format!(
                    "`{new_name}` can't name an event field: the data format uses it"
                ));
            }
            clash(&a.index.def(event).children)
        }
        DefKind::Stage => clash(&a.index.stages),
        DefKind::TierLabel { tier } => clash(&a.index.def(tier).children),
        DefKind::Variant { field } => clash(&a.index.def(field).children),
        _ => None,
    };
    match taken {
        Some(o) => {
            let other = a.index.def(o);
            let what = other.kind.describe();
            let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            Err(format!(
                "`{new_name}` is already the name of {article} {what} in this model; choose another name"
            ))
        }
        None => Ok(()),
    }
}

pub fn rename(models: &[&Analysis], key: &DefKey, new_name: &str) -> WorkspaceEdit {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (path, spans) in occurrences(models, key, true) {
        let Some(uri) = path_to_uri(&path) else {
            continue;
        };
        changes.insert(
            uri,
            spans
                .into_iter()
                .map(|(_, r)| TextEdit::new(r, new_name.to_string()))
                .collect(),
        );
    }
    WorkspaceEdit::new(changes)
}
