//! The checker's diagnostics as LSP diagnostics (code, severity, help, the
//! secondary labels as related information), and its "did you mean"
//! suggestions as quick fixes.

use std::collections::HashMap;

use mql_core::{Diagnostic, Severity, Span};
use mql_syntax::ast::DeclKind;
use tower_lsp_server::ls_types::{
    self as lsp, CodeAction, CodeActionKind, CodeActionOrCommand, DiagnosticRelatedInformation,
    DiagnosticSeverity, Location, NumberOrString, TextEdit, Uri, WorkspaceEdit,
};

use crate::analysis::Analysis;
use crate::uri::path_to_uri;

/// The diagnostics of the model rooted at the analysis's root file (syntax
/// and checks): those of the file itself, and one at the `use` for each
/// problem in a used file.
pub fn diagnostics(a: &Analysis) -> Vec<(Diagnostic, lsp::Diagnostic)> {
    a.checked
        .diagnostics
        .iter()
        .map(|d| (d.clone(), to_lsp(a, d)))
        .collect()
}

fn is_root(a: &Analysis, file: Option<&str>) -> bool {
    file.is_none_or(|f| f == &*a.root().path)
}

/// Where in the root file to show a problem of a used file: at the `use`
/// that brings it in (or the first `use`).
fn use_span(a: &Analysis, file: &str) -> Span {
    let root = a.root();
    let mut first = None;
    for decl in &root.ast.decls {
        if let DeclKind::Use(s) = &decl.kind {
            first.get_or_insert(s.span);
            if mql_db::resolve_use(&root.path, &s.value) == file {
                return s.span;
            }
        }
    }
    first.unwrap_or_default()
}

fn location(a: &Analysis, file: Option<&str>, span: Span) -> Option<Location> {
    let path = file.unwrap_or(&a.root().path);
    let f = a.index.file_of(path)?;
    let data = &a.index.files[f];
    Some(Location::new(
        path_to_uri(path)?,
        data.lines.range(&data.text, span),
    ))
}

pub fn to_lsp(a: &Analysis, d: &Diagnostic) -> lsp::Diagnostic {
    let root = a.root();
    let own = is_root(a, d.file.as_deref());
    let mut message = d.message.clone();
    let mut related = Vec::new();
    let range = if own {
        root.lines.range(&root.text, d.span)
    } else {
        let file = d.file.as_deref().unwrap_or("");
        message = format!("in `{file}`: {message}");
        if let Some(loc) = location(a, d.file.as_deref(), d.span) {
            related.push(DiagnosticRelatedInformation {
                location: loc,
                message: d.label.clone().unwrap_or_else(|| d.message.clone()),
            });
        }
        root.lines.range(&root.text, use_span(a, file))
    };
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for l in &d.secondary {
        let file = l.file.as_deref().or(d.file.as_deref());
        if let Some(loc) = location(a, file, l.span) {
            related.push(DiagnosticRelatedInformation {
                location: loc,
                message: l.message.clone(),
            });
        }
    }
    lsp::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("mql".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp::Diagnostic::default()
    }
}

/// Quick fixes for the diagnostics of the root file that touch `range`.
pub fn code_actions(a: &Analysis, uri: &Uri, range: lsp::Range) -> Vec<CodeActionOrCommand> {
    let root = a.root();
    let want = root.lines.span(&root.text, range);
    let mut out = Vec::new();
    for (d, lsp_diag) in diagnostics(a) {
        if !is_root(a, d.file.as_deref()) || d.suggestions.is_empty() {
            continue;
        }
        let touches = d.span.start <= want.end && want.start <= d.span.end;
        if !touches {
            continue;
        }
        let only = d.suggestions.len() == 1;
        for s in &d.suggestions {
            let edit = TextEdit::new(root.lines.range(&root.text, s.span), s.replacement.clone());
            let mut changes = HashMap::new();
            changes.insert(uri.clone(), vec![edit]);
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: s.message.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp_diag.clone()]),
                edit: Some(WorkspaceEdit::new(changes)),
                is_preferred: Some(only),
                ..CodeAction::default()
            }));
        }
    }
    out
}
