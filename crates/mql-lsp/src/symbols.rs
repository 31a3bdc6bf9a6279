//! The outline of a file: its declarations, with lead and event fields, tier
//! labels and stages nested under them.

use mql_core::Span;
use mql_syntax::ast::{DeclKind, FieldDecl};
use tower_lsp_server::ls_types::{DocumentSymbol, SymbolKind};

use crate::index::{type_text, FileData};

#[allow(deprecated)] // `deprecated` is a required field of the struct
fn symbol(
    f: &FileData,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    span: Span,
    name_span: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    // The selection range must lie inside the range.
    let span = span.to(name_span);
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: f.lines.range(&f.text, span),
        selection_range: f.lines.range(&f.text, name_span),
        children: (!children.is_empty()).then_some(children),
    }
}

fn fields(f: &FileData, fields: &[FieldDecl]) -> Vec<DocumentSymbol> {
    fields
        .iter()
        .map(|fd| {
            symbol(
                f,
                fd.name.name.clone(),
                Some(type_text(&fd.ty)),
                SymbolKind::FIELD,
                fd.span,
                fd.name.span,
                Vec::new(),
            )
        })
        .collect()
}

pub fn document_symbols(f: &FileData) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for decl in &f.ast.decls {
        let s = match &decl.kind {
            DeclKind::Model(n) => symbol(
                f,
                n.name.clone(),
                Some("model".into()),
                SymbolKind::MODULE,
                decl.span,
                n.span,
                Vec::new(),
            ),
            DeclKind::Use(p) => symbol(
                f,
                p.value.clone(),
                Some("use".into()),
                SymbolKind::FILE,
                decl.span,
                p.span,
                Vec::new(),
            ),
            DeclKind::Lead(fs) => symbol(
                f,
                "lead".into(),
                None,
                SymbolKind::STRUCT,
                decl.span,
                decl.keyword,
                fields(f, fs),
            ),
            DeclKind::Event { name, fields: fs } => symbol(
                f,
                name.name.clone(),
                Some("event".into()),
                SymbolKind::EVENT,
                decl.span,
                name.span,
                fields(f, fs),
            ),
            DeclKind::Const(n) => symbol(
                f,
                n.name.name.clone(),
                Some("const".into()),
                SymbolKind::CONSTANT,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Let(n) => symbol(
                f,
                n.name.name.clone(),
                Some("let".into()),
                SymbolKind::VARIABLE,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Criterion(n) => symbol(
                f,
                n.name.name.clone(),
                Some("criterion".into()),
                SymbolKind::BOOLEAN,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Segment(n) => symbol(
                f,
                n.name.name.clone(),
                Some("segment".into()),
                SymbolKind::BOOLEAN,
                decl.span,
                n.name.span,
                Vec::new(),
            ),
            DeclKind::Score(s) => symbol(
                f,
                s.name.name.clone(),
                Some(format!("score, {} rules", s.rules.len())),
                SymbolKind::NUMBER,
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
                            f,
                            arm.label.name.clone(),
                            Some(
                                if arm.cond.is_some() {
                                    "when"
                                } else {
                                    "otherwise"
                                }
                                .into(),
                            ),
                            SymbolKind::ENUM_MEMBER,
                            arm.span,
                            arm.label.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                symbol(
                    f,
                    t.name.name.clone(),
                    Some("tier".into()),
                    SymbolKind::ENUM,
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
                            f,
                            n.name.name.clone(),
                            None,
                            SymbolKind::ENUM_MEMBER,
                            n.name.span,
                            n.name.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                symbol(
                    f,
                    "stages".into(),
                    None,
                    SymbolKind::ENUM,
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
                    f,
                    format!("{from} -> {}", t.to.name),
                    Some("transition".into()),
                    SymbolKind::OPERATOR,
                    decl.span,
                    name_span,
                    Vec::new(),
                )
            }
            DeclKind::Test(t) => symbol(
                f,
                t.name.value.clone(),
                Some("test".into()),
                SymbolKind::METHOD,
                decl.span,
                t.name.span,
                Vec::new(),
            ),
        };
        out.push(s);
    }
    out
}
