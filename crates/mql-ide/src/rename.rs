//! Rename a declaration, field, value, stage or tier label everywhere it is
//! named, in every model of the workspace that sees it (open in the editor
//! or not). A new name is refused, with the reason, when it would break a
//! model or change what a name means: a word of the language, a built-in
//! name, a name already taken, or a name that another would hide (an event
//! field named like a lead field is read instead of it inside queries).

use mql_core::Span;
use mql_db::Database;
use mql_sema::builtins::{self, RESERVED_EVENT_FIELDS};
use mql_sema::index::{Builtin, DefKind, Target};
use mql_syntax::words;

use crate::lex;
use crate::model::{self, Model};
use crate::navigation::{occurrences, roots};
use crate::{FilePosition, SourceChange, TextEdit, Workspace};

/// The name at `pos` that can be renamed, or why the thing there can't be.
pub fn prepare(db: &Database, pos: &FilePosition) -> Result<Option<(Span, String)>, String> {
    let m = model::at(db, pos);
    let Some(hit) = m.hit(pos.offset) else {
        return Ok(None);
    };
    match hit.target {
        Target::Def(d) => Ok(m.def(d).map(|def| (hit.span, def.name.clone()))),
        Target::Builtin(b) => {
            let text = m.text(&pos.path);
            let name = text.get(hit.span.range()).unwrap_or("");
            let what = if b == Builtin::Function {
                "a function of the language"
            } else {
                "part of the language"
            };
            Err(format!("`{name}` is {what} and can't be renamed"))
        }
    }
}

pub fn rename(
    db: &Database,
    pos: &FilePosition,
    new_name: &str,
    ws: &Workspace,
) -> Result<Option<SourceChange>, String> {
    if prepare(db, pos)?.is_none() {
        return Ok(None);
    }
    let m = model::at(db, pos);
    let Some((d, _)) = m.def_at(pos.offset) else {
        return Ok(None);
    };
    let Some(key) = m.key(d) else {
        return Ok(None);
    };
    let roots = roots(db, &pos.path, ws);
    // The new name must fit in every model that sees the definition.
    for root in &roots {
        let other = Model::new(db, root);
        if let Some(od) = other.find(&key) {
            check_new_name(&other, od, new_name)?;
        }
    }
    let mut change = SourceChange::default();
    for (path, spans) in occurrences(db, &key, &roots, true) {
        change.edits.insert(
            path,
            spans
                .into_iter()
                .map(|span| TextEdit {
                    span,
                    new_text: new_name.to_string(),
                })
                .collect(),
        );
    }
    Ok(Some(change))
}

fn article(what: &str) -> &'static str {
    if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Why `new_name` can't replace definition `d` of model `m`, if it can't.
pub fn check_new_name(m: &Model, d: usize, new_name: &str) -> Result<(), String> {
    let Some(def) = m.def(d) else {
        return Ok(());
    };
    if !lex::is_identifier(new_name) {
        return Err(if words::is_reserved(new_name) {
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
    if def.kind == DefKind::EventField && RESERVED_EVENT_FIELDS.contains(&new_name) {
        return Err(format!(
            "`{new_name}` can't name an event field: the data format uses it"
        ));
    }
    if builtins::is_reserved_name(new_name) {
        return Err(format!(
            "`{new_name}` is a built-in name and can't be declared"
        ));
    }
    if words::is_word(new_name) {
        return Err(format!(
            "`{new_name}` is a word of the language (as in `{}`); choose another name",
            words::word(new_name)
                .and_then(|w| w.example)
                .unwrap_or(new_name)
        ));
    }
    let same = |o: &usize| *o != d && m.def(*o).is_some_and(|x| x.name == new_name);
    let siblings = |parent: Option<usize>| -> Option<usize> {
        let p = parent?;
        m.children(p).into_iter().find(same)
    };
    let taken = |o: usize| {
        let what = m.def(o).map_or("name", |x| x.kind.describe());
        Err(format!(
            "`{new_name}` is already the name of {} {what} in this model; choose another name",
            article(what)
        ))
    };
    let named = |keep: fn(DefKind) -> bool| {
        m.index
            .defs
            .iter()
            .enumerate()
            .find(|(i, x)| *i != d && x.name == new_name && keep(x.kind))
            .map(|(i, _)| i)
    };
    match def.kind {
        DefKind::Model => Ok(()),
        k if k.is_top_level() => {
            if let Some(o) = named(DefKind::is_top_level) {
                return taken(o);
            }
            if let Some(o) = named(|k| k == DefKind::EventField) {
                let event = m
                    .def(o)
                    .and_then(|f| f.parent)
                    .and_then(|e| m.def(e))
                    .map_or(String::new(), |e| e.name.clone());
                return Err(format!(
                    "`{new_name}` is a field of the event `{event}`: inside its queries the field would be read instead of the {}; choose another name",
                    k.describe()
                ));
            }
            if let Some(o) = named(DefKind::is_value) {
                return Err(value_clash(m, o, new_name, k.describe()));
            }
            Ok(())
        }
        DefKind::EventField => {
            if let Some(o) = siblings(def.parent) {
                return taken(o);
            }
            if let Some(o) = named(DefKind::is_top_level) {
                let what = m.def(o).map_or("name", |x| x.kind.describe());
                return Err(format!(
                    "`{new_name}` is already the name of {} {what}: inside this event's queries the field would be read instead of it; choose another name",
                    article(what)
                ));
            }
            if let Some(o) = named(DefKind::is_value) {
                return Err(value_clash(m, o, new_name, "event field"));
            }
            Ok(())
        }
        DefKind::Stage => match m.index.stages().find(same) {
            Some(o) => taken(o),
            None => value_kind_clash(m, d, new_name),
        },
        DefKind::TierLabel | DefKind::Variant => match siblings(def.parent) {
            Some(o) => taken(o),
            None => value_kind_clash(m, d, new_name),
        },
        _ => Ok(()),
    }
}

/// A value (enum value, stage, tier label) can't take the name of a
/// declaration: where both fit, the value would be read instead.
fn value_kind_clash(m: &Model, d: usize, new_name: &str) -> Result<(), String> {
    let what = m.def(d).map_or("value", |x| x.kind.describe());
    match m
        .index
        .lookup(new_name)
        .or_else(|| {
            m.index
                .defs
                .iter()
                .position(|x| x.kind == DefKind::EventField && x.name == new_name)
        })
        .and_then(|o| m.def(o))
    {
        Some(o) => Err(format!(
            "`{new_name}` is already the name of {} {}; a {what} of the same name would be read instead of it in comparisons; choose another name",
            article(o.kind.describe()),
            o.kind.describe()
        )),
        None => Ok(()),
    }
}

fn value_clash(m: &Model, o: usize, new_name: &str, what: &str) -> String {
    let (kind, owner) = m
        .def(o)
        .map(|v| {
            let owner = v
                .parent
                .and_then(|p| m.def(p))
                .map(|p| format!(" of `{}`", p.name))
                .unwrap_or_default();
            (v.kind.describe(), owner)
        })
        .unwrap_or(("value", String::new()));
    format!(
        "`{new_name}` is already {} {kind}{owner}; in comparisons it would be read as that {kind} instead of the {what}; choose another name",
        article(kind)
    )
}
