//! Go to definition, find references (over every model of the workspace),
//! the occurrences of a name in its file, and the `use "…"` paths as links.

use std::collections::BTreeMap;
use std::sync::Arc;

use mql_core::Span;
use mql_db::Database;
use mql_sema::index::{DefKind, Target};
use mql_syntax::ast::DeclKind;

use crate::model::{self, DefKey, Model};
use crate::{FilePosition, FileRange, Workspace};

/// Where a definition is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavTarget {
    pub path: Arc<str>,
    /// The whole declaration.
    pub full_span: Span,
    /// Its name.
    pub focus_span: Span,
    pub name: String,
    /// `None` for a file (the target of a `use`).
    pub kind: Option<DefKind>,
}

/// One occurrence of a name in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    /// The declaration itself, not a use.
    pub is_def: bool,
}

/// A `use "…"` path and the file it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The path inside the quotes.
    pub span: Span,
    pub target: String,
}

pub fn definition(db: &Database, pos: &FilePosition) -> Option<NavTarget> {
    if let Some(t) = used_file(db, pos) {
        return Some(t);
    }
    let m = model::at(db, pos);
    let (d, _) = m.def_at(pos.offset)?;
    let def = m.def(d)?;
    Some(NavTarget {
        path: def.file.clone(),
        full_span: def.decl_span.to(def.span),
        focus_span: def.span,
        name: def.name.clone(),
        kind: Some(def.kind),
    })
}

/// On the path of a `use "…"`: the start of that file.
fn used_file(db: &Database, pos: &FilePosition) -> Option<NavTarget> {
    let ast = model::ast(db, &pos.path);
    ast.decls.iter().find_map(|d| match &d.kind {
        DeclKind::Use(s) if s.span.contains(pos.offset) => Some(NavTarget {
            path: Arc::from(mql_db::resolve_use(&pos.path, &s.value)),
            full_span: Span::default(),
            focus_span: Span::default(),
            name: s.value.clone(),
            kind: None,
        }),
        _ => None,
    })
}

/// Every occurrence of the definition `key` in the models rooted at
/// `roots`, by file, in order.
pub fn occurrences(
    db: &Database,
    key: &DefKey,
    roots: &[String],
    include_declaration: bool,
) -> BTreeMap<Arc<str>, Vec<Span>> {
    let mut out: BTreeMap<Arc<str>, Vec<Span>> = BTreeMap::new();
    for root in roots {
        let m = Model::new(db, root);
        let Some(d) = m.find(key) else { continue };
        if include_declaration {
            out.entry(key.0.clone()).or_default().push(key.1);
        }
        for r in m.index.references(d) {
            out.entry(r.file.clone()).or_default().push(r.span);
        }
    }
    for spans in out.values_mut() {
        spans.sort_by_key(|s| (s.start, s.end));
        spans.dedup();
    }
    out
}

/// The models a definition in `path` may be seen from: `path`'s own, the
/// open files' and every file of the workspace folders'.
pub fn roots(db: &Database, path: &str, ws: &Workspace) -> Vec<String> {
    let mut out = vec![path.to_string()];
    out.extend(
        model::workspace_roots(db, ws)
            .into_iter()
            .filter(|p| p != path),
    );
    out
}

pub fn references(
    db: &Database,
    pos: &FilePosition,
    include_declaration: bool,
    ws: &Workspace,
) -> Option<Vec<FileRange>> {
    let m = model::at(db, pos);
    let (d, _) = m.def_at(pos.offset)?;
    let key = m.key(d)?;
    let found = occurrences(db, &key, &roots(db, &pos.path, ws), include_declaration);
    Some(
        found
            .into_iter()
            .flat_map(|(path, spans)| {
                spans.into_iter().map(move |span| FileRange {
                    path: path.clone(),
                    span,
                })
            })
            .collect(),
    )
}

/// The occurrences of the name at `pos` in its own file: a definition's
/// uses and declaration, or every use of the same built-in name.
pub fn highlights(db: &Database, pos: &FilePosition) -> Vec<Occurrence> {
    let m = model::at(db, pos);
    let Some(hit) = m.hit(pos.offset) else {
        return Vec::new();
    };
    let refs = m.index.refs_in(&pos.path);
    let mut out: Vec<Occurrence> = match hit.target {
        Target::Def(d) => {
            let mut out: Vec<Occurrence> = refs
                .iter()
                .filter(|r| r.target == Target::Def(d))
                .map(|r| Occurrence {
                    span: r.span,
                    is_def: false,
                })
                .collect();
            if let Some(def) = m.def(d).filter(|def| *def.file == *pos.path) {
                out.retain(|o| o.span != def.span);
                out.push(Occurrence {
                    span: def.span,
                    is_def: true,
                });
            }
            out
        }
        Target::Builtin(b) => {
            let text = m.text(&pos.path);
            let word = text.get(hit.span.range()).unwrap_or("");
            refs.iter()
                .filter(|r| {
                    r.target == Target::Builtin(b) && text.get(r.span.range()) == Some(word)
                })
                .map(|r| Occurrence {
                    span: r.span,
                    is_def: false,
                })
                .collect()
        }
    };
    out.sort_by_key(|o| o.span.start);
    out
}

/// The `use "…"` paths of a file.
pub fn links(db: &Database, path: &str) -> Vec<Link> {
    let ast = model::ast(db, path);
    let text = model::text(db, path);
    ast.decls
        .iter()
        .filter_map(|d| match &d.kind {
            DeclKind::Use(s) => {
                let quoted = text.get(s.span.range()).unwrap_or("");
                let span = if quoted.len() >= 2 && quoted.starts_with('"') && quoted.ends_with('"')
                {
                    Span::new(s.span.start as usize + 1, s.span.end as usize - 1)
                } else {
                    s.span
                };
                Some(Link {
                    span,
                    target: mql_db::resolve_use(path, &s.value),
                })
            }
            _ => None,
        })
        .collect()
}
