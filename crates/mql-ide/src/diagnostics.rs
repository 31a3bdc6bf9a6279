//! The checker's diagnostics placed in the file they are shown in: a
//! problem of the model's own file at its place; a problem of a `use`d file
//! on the `use` line that brings it in, named ("in `common.mql`: …"), with
//! its real place as related information. "Did you mean" suggestions become
//! quick fixes.

use std::sync::Arc;

use mql_core::{Diagnostic, Severity, Span};
use mql_db::Database;
use mql_syntax::ast::DeclKind;

use crate::model::Model;
use crate::{FileRange, TextEdit};

/// Another place that explains a diagnostic ("first declared here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub range: FileRange,
    pub message: String,
}

/// A diagnostic as shown in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiagnostic {
    /// Where in the file it is shown.
    pub span: Span,
    pub severity: Severity,
    /// `E0100`; `None` for a failing test.
    pub code: Option<String>,
    pub message: String,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

/// A quick fix: one edit of the file, for the diagnostic at `diagnostic`
/// in the list [`diagnostics`] gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub edit: TextEdit,
    /// The only fix offered for its diagnostic.
    pub preferred: bool,
    pub diagnostic: usize,
}

/// Every diagnostic of the model rooted at `path`, as shown in that file.
pub fn diagnostics(db: &Database, path: &str) -> Vec<FileDiagnostic> {
    let m = Model::new(db, path);
    let checked = m.checked();
    checked.diagnostics.iter().map(|d| place(&m, d)).collect()
}

fn is_root(m: &Model, file: Option<&str>) -> bool {
    file.is_none_or(|f| f == &*m.path)
}

/// Where in the root file to show a problem of a used file: at the `use`
/// that brings it in (or the first `use`).
fn use_span(m: &Model, file: &str) -> Span {
    let ast = m.ast(&m.path);
    let mut first = None;
    for decl in &ast.decls {
        if let DeclKind::Use(s) = &decl.kind {
            first.get_or_insert(s.span);
            if mql_db::resolve_use(&m.path, &s.value) == file {
                return s.span;
            }
        }
    }
    first.unwrap_or_default()
}

fn place(m: &Model, d: &Diagnostic) -> FileDiagnostic {
    let own = is_root(m, d.file.as_deref());
    let file_of = |f: Option<&Arc<str>>| f.cloned().unwrap_or_else(|| m.path.clone());
    let mut related = Vec::new();
    let (span, message) = if own {
        (d.span, d.message.clone())
    } else {
        let file = file_of(d.file.as_ref());
        related.push(Related {
            range: FileRange {
                path: file.clone(),
                span: d.span,
            },
            message: d.label.clone().unwrap_or_else(|| d.message.clone()),
        });
        (use_span(m, &file), format!("in `{file}`: {}", d.message))
    };
    for l in &d.secondary {
        related.push(Related {
            range: FileRange {
                path: file_of(l.file.as_ref().or(d.file.as_ref())),
                span: l.span,
            },
            message: l.message.clone(),
        });
    }
    FileDiagnostic {
        span,
        severity: d.severity,
        code: Some(d.code.to_string()),
        message,
        help: d.help.clone(),
        related,
    }
}

/// Quick fixes for the diagnostics of the root file that touch `span`.
pub fn fixes(db: &Database, path: &str, span: Span) -> Vec<Fix> {
    let m = Model::new(db, path);
    let checked = m.checked();
    let mut out = Vec::new();
    for (i, d) in checked.diagnostics.iter().enumerate() {
        if !is_root(&m, d.file.as_deref()) || d.suggestions.is_empty() {
            continue;
        }
        let touches = d.span.start <= span.end && span.start <= d.span.end;
        if !touches {
            continue;
        }
        let only = d.suggestions.len() == 1;
        for s in &d.suggestions {
            out.push(Fix {
                title: s.message.clone(),
                edit: TextEdit {
                    span: s.span,
                    new_text: s.replacement.clone(),
                },
                preferred: only,
                diagnostic: i,
            });
        }
    }
    out
}
