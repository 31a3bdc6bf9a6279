//! The outline of a file (its declarations, with lead and event fields,
//! tier labels and stages nested under them) and the declarations of the
//! whole workspace, found by name.

use std::collections::HashSet;
use std::sync::Arc;

use mql_core::Span;
use mql_db::Database;
use mql_sema::index::DefKind;
use mql_syntax::ast::{DeclKind, FieldDecl, TypeExpr, TypeKind};

use crate::model::{self, Model};
use crate::{FileRange, Workspace};

/// What a symbol is, for its icon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Module,
    File,
    Struct,
    Event,
    Field,
    Constant,
    Variable,
    Boolean,
    Number,
    Enum,
    EnumMember,
    Operator,
    Method,
}

/// One entry of a file's outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// The whole declaration (it holds `focus_span`).
    pub span: Span,
    /// Its name.
    pub focus_span: Span,
    pub children: Vec<Symbol>,
}

/// A declaration found in the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// What it belongs to (`lead`, an event, a field, a tier).
    pub container: Option<String>,
    pub range: FileRange,
}

/// A written type as source text: `list<string>`, `enum { a, b }`.
pub fn type_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeKind::Int => "int".into(),
        TypeKind::Number => "number".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::String => "string".into(),
        TypeKind::Time => "time".into(),
        TypeKind::Duration => "duration".into(),
        TypeKind::Enum(vs) => format!(
            "enum {{ {} }}",
            vs.iter()
                .map(|v| v.name.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeKind::List(inner) => format!("list<{}>", type_text(inner)),
    }
}

fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    span: Span,
    name_span: Span,
    children: Vec<Symbol>,
) -> Symbol {
    Symbol {
        name,
        detail,
        kind,
        // The name lies inside the declaration.
        span: span.to(name_span),
        focus_span: name_span,
        children,
    }
}

fn fields(fields: &[FieldDecl]) -> Vec<Symbol> {
    fields
        .iter()
        .map(|fd| {
            symbol(
                fd.name.name.clone(),
                Some(type_text(&fd.ty)),
                SymbolKind::Field,
                fd.span,
                fd.name.span,
                Vec::new(),
            )
        })
        .collect()
}

pub fn document_symbols(db: &Database, path: &str) -> Vec<Symbol> {
    let ast = model::ast(db, path);
    let mut out = Vec::new();
    for decl in &ast.decls {
        let s = match &decl.kind {
            DeclKind::Model(n) => symbol(
                n.name.clone(),
                Some("model".into()),
                SymbolKind::Module,
                decl.span,
                n.span,
                Vec::new(),
            ),
            DeclKind::Use(p) => symbol(
                p.value.clone(),
                Some("use".into()),
                SymbolKind::File,
                decl.span,
                p.span,
                Vec::new(),
            ),
            DeclKind::Lead(fs) => symbol(
                "lead".into(),
                None,
                SymbolKind::Struct,
                decl.span,
                decl.keyword,
                fields(fs),
            ),
            DeclKind::Event { name, fields: fs } => symbol(
                name.name.clone(),
                Some("event".into()),
                SymbolKind::Event,
                decl.span,
                name.span,
                fields(fs),
            ),
            DeclKind::Const(n) => symbol(
                n.name.name.clone(),
                Some("const".into()),
                SymbolKind::Constant,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Let(n) => symbol(
                n.name.name.clone(),
                Some("let".into()),
                SymbolKind::Variable,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Criterion(n) => symbol(
                n.name.name.clone(),
                Some("criterion".into()),
                SymbolKind::Boolean,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Segment(n) => symbol(
                n.name.name.clone(),
                Some("segment".into()),
                SymbolKind::Boolean,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Score(s) => symbol(
                s.name.name.clone(),
                Some(format!("score, {} rules", s.rules.len())),
                SymbolKind::Number,
                decl.span,
                s.name.span,
                Vec::new(),
            ),
            DeclKind::Tier(t) => {
                let labels = t
                    .arms
                    .iter()
                    .map(|arm| {
                        symbol(
                            arm.label.name.clone(),
                            Some(
                                if arm.cond.is_some() {
                                    "when"
                                } else {
                                    "otherwise"
                                }
                                .into(),
                            ),
                            SymbolKind::EnumMember,
                            arm.span,
                            arm.label.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                symbol(
                    t.name.name.clone(),
                    Some("tier".into()),
                    SymbolKind::Enum,
                    decl.span,
                    t.name.span,
                    labels,
                )
            }
            DeclKind::Stages(names) => {
                let stages = names
                    .iter()
                    .map(|n| {
                        symbol(
                            n.name.name.clone(),
                            None,
                            SymbolKind::EnumMember,
                            n.name.span,
                            n.span(),
                            Vec::new(),
                        )
                    })
                    .collect();
                symbol(
                    "stages".into(),
                    None,
                    SymbolKind::Enum,
                    decl.span,
                    decl.keyword,
                    stages,
                )
            }
            DeclKind::Transition(t) => {
                let from = t.from.as_ref().map_or("any", |i| i.name.as_str());
                let name_span = t
                    .from
                    .as_ref()
                    .map(|i| i.span)
                    .or(t.any_span)
                    .unwrap_or(decl.keyword)
                    .to(t.to.span);
                symbol(
                    format!("{from} -> {}", t.to.name),
                    Some("transition".into()),
                    SymbolKind::Operator,
                    decl.span,
                    name_span,
                    Vec::new(),
                )
            }
            DeclKind::Test(t) => symbol(
                t.name.value.clone(),
                Some("test".into()),
                SymbolKind::Method,
                decl.span,
                t.name.span,
                Vec::new(),
            ),
        };
        out.push(s);
    }
    out
}

fn kind_of(k: DefKind) -> SymbolKind {
    match k {
        DefKind::Model => SymbolKind::Module,
        DefKind::LeadField | DefKind::EventField => SymbolKind::Field,
        DefKind::Event => SymbolKind::Event,
        DefKind::Const => SymbolKind::Constant,
        DefKind::Let => SymbolKind::Variable,
        DefKind::Criterion | DefKind::Segment => SymbolKind::Boolean,
        DefKind::Score => SymbolKind::Number,
        DefKind::Tier => SymbolKind::Enum,
        DefKind::Stage | DefKind::TierLabel | DefKind::Variant => SymbolKind::EnumMember,
    }
}

/// Does `name` hold the letters of `query` in order (any case)?
pub fn matches(name: &str, query: &str) -> bool {
    let mut want = query.chars().flat_map(char::to_lowercase).peekable();
    for c in name.chars().flat_map(char::to_lowercase) {
        if want.peek() == Some(&c) {
            want.next();
        }
    }
    want.peek().is_none()
}

/// The most symbols one search returns.
const MAX_SYMBOLS: usize = 1_000;

/// The declarations of every model of the workspace whose name matches
/// `query`, each once, shortest names first.
pub fn workspace_symbols(db: &Database, query: &str, ws: &Workspace) -> Vec<WorkspaceSymbol> {
    let mut seen: HashSet<(Arc<str>, Span)> = HashSet::new();
    let mut out = Vec::new();
    for root in model::workspace_roots(db, ws) {
        let m = Model::new(db, &root);
        for def in &m.index.defs {
            if !matches(&def.name, query) || !seen.insert((def.file.clone(), def.span)) {
                continue;
            }
            let container = match def.kind {
                DefKind::LeadField => Some("lead".to_string()),
                _ => def.parent.and_then(|p| m.def(p)).map(|p| p.name.clone()),
            };
            out.push(WorkspaceSymbol {
                name: def.name.clone(),
                kind: kind_of(def.kind),
                container,
                range: FileRange {
                    path: def.file.clone(),
                    span: def.span,
                },
            });
        }
    }
    out.sort_by(|a, b| (a.name.len(), &a.name, &a.range).cmp(&(b.name.len(), &b.name, &b.range)));
    out.truncate(MAX_SYMBOLS);
    out
}
