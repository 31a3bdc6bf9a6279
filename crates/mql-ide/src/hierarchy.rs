//! What a declaration depends on and what uses it, as a call hierarchy:
//! the "calls" out of a score are the criteria, lets, fields and events its
//! rules name; the calls into a criterion are the scores, tiers,
//! transitions and tests that name it, in every model of the workspace.

use std::collections::BTreeMap;
use std::sync::Arc;

use mql_core::Span;
use mql_db::Database;
use mql_sema::index::{DefKind, Target};
use mql_syntax::ast::{Decl, DeclKind};

use crate::model::{self, Model};
use crate::navigation::roots;
use crate::{FilePosition, Workspace};

/// What an item of the hierarchy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallKind {
    Def(DefKind),
    Transition,
    Test,
}

/// A declaration in the hierarchy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallItem {
    pub name: String,
    pub kind: CallKind,
    pub path: Arc<str>,
    /// The whole declaration.
    pub span: Span,
    /// Its name (for a transition, its stages; for a test, its title).
    pub focus_span: Span,
}

/// One link of the hierarchy: the item at the other end, and where the
/// name is used (for incoming calls, in the caller's file; for outgoing
/// ones, in the declaration asked about).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub item: CallItem,
    pub spans: Vec<Span>,
}

fn def_item(m: &Model, d: usize) -> Option<CallItem> {
    let def = m.def(d)?;
    Some(CallItem {
        name: def.name.clone(),
        kind: CallKind::Def(def.kind),
        path: def.file.clone(),
        span: def.decl_span.to(def.span),
        focus_span: def.span,
    })
}

pub fn prepare(db: &Database, pos: &FilePosition) -> Option<CallItem> {
    let m = model::at(db, pos);
    let (d, _) = m.def_at(pos.offset)?;
    def_item(&m, d)
}

/// The declaration of `path` that holds `span`, as an item.
fn enclosing(m: &Model, path: &Arc<str>, span: Span) -> Option<CallItem> {
    let ast = m.ast(path);
    let decl: &Decl = ast
        .decls
        .iter()
        .find(|d| d.keyword.start <= span.start && span.end <= d.span.end)?;
    let whole = Span::new(decl.keyword.start as usize, decl.span.end as usize);
    let named = |name: &mql_syntax::Ident| {
        let d = m
            .index
            .defs
            .iter()
            .position(|d| d.span == name.span && d.file == *path)?;
        let mut item = def_item(m, d)?;
        item.span = whole;
        Some(item)
    };
    match &decl.kind {
        DeclKind::Const(ne)
        | DeclKind::Let(ne)
        | DeclKind::Criterion(ne)
        | DeclKind::Segment(ne) => named(&ne.name),
        DeclKind::Score(s) => named(&s.name),
        DeclKind::Tier(t) => named(&t.name),
        DeclKind::Event { name, .. } => named(name),
        DeclKind::Transition(t) => {
            let from = t.from.as_ref().map_or("any", |f| f.name.as_str());
            let first = t
                .from
                .as_ref()
                .map(|f| f.span)
                .or(t.any_span)
                .unwrap_or(t.to.span);
            Some(CallItem {
                name: format!("{from} -> {}", t.to.name),
                kind: CallKind::Transition,
                path: path.clone(),
                span: whole,
                focus_span: first.to(t.to.span),
            })
        }
        DeclKind::Test(t) => Some(CallItem {
            name: t.name.value.clone(),
            kind: CallKind::Test,
            path: path.clone(),
            span: whole,
            focus_span: t.name.span,
        }),
        DeclKind::Model(_) | DeclKind::Use(_) | DeclKind::Lead(_) | DeclKind::Stages(_) => None,
    }
}

/// The declarations that name `item`, with where they name it.
pub fn incoming(db: &Database, item: &CallItem, ws: &Workspace) -> Vec<Call> {
    let key = (item.path.clone(), item.focus_span);
    let mut found: BTreeMap<CallItem, Vec<Span>> = BTreeMap::new();
    for root in roots(db, &item.path, ws) {
        let m = Model::new(db, &root);
        let Some(d) = m.find(&key) else { continue };
        for r in m.index.references(d) {
            if let Some(caller) = enclosing(&m, &r.file, r.span) {
                found.entry(caller).or_default().push(r.span);
            }
        }
    }
    let mut out: Vec<Call> = found
        .into_iter()
        .map(|(item, mut spans)| {
            spans.sort_by_key(|s| s.start);
            spans.dedup();
            Call { item, spans }
        })
        .collect();
    out.sort_by(|a, b| (&a.item.path, a.item.span.start).cmp(&(&b.item.path, b.item.span.start)));
    out
}

/// What `item`'s declaration names: declarations, fields and events.
pub fn outgoing(db: &Database, item: &CallItem) -> Vec<Call> {
    let m = Model::new(db, &item.path);
    let mut found: BTreeMap<usize, Vec<Span>> = BTreeMap::new();
    for r in m.index.refs_in(&item.path) {
        let inside = item.span.start <= r.span.start && r.span.end <= item.span.end;
        if !inside || r.span == item.focus_span {
            continue;
        }
        let Target::Def(d) = r.target else { continue };
        if m.def(d).is_some_and(|def| def.kind.is_top_level()) {
            found.entry(d).or_default().push(r.span);
        }
    }
    let mut out: Vec<Call> = found
        .into_iter()
        .filter_map(|(d, spans)| {
            Some(Call {
                item: def_item(&m, d)?,
                spans,
            })
        })
        .collect();
    out.sort_by_key(|c| c.spans.first().map(|s| s.start));
    out
}
