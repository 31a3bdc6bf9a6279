//! Diagnostics as plain data: every stage of the pipeline reports its findings
//! with this one type; rendering (miette, JSON, LSP) happens at the edges.

use serde::Serialize;
use std::sync::Arc;

use crate::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary location that helps explain a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The file the span is in, when it is not the diagnostic's own file.
    pub file: Option<Arc<str>>,
}

/// A machine-applicable fix: replace `span` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Suggestion {
    pub span: Span,
    pub replacement: String,
    /// What the fix does, shown as the quick-fix title ("change to `vp`").
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `E0001` (listed in docs/diagnostics.md).
    pub code: &'static str,
    pub severity: Severity,
    /// Lower-case, no final period, user input in backticks.
    pub message: String,
    pub span: Span,
    /// Text under the primary span.
    pub label: Option<String>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub suggestions: Vec<Suggestion>,
    /// The file the primary span is in; `None` means the file being checked.
    pub file: Option<Arc<str>>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: None,
            secondary: Vec::new(),
            help: None,
            suggestions: Vec::new(),
            file: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
            file: None,
        });
        self
    }

    pub fn with_suggestion(
        mut self,
        span: Span,
        replacement: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.suggestions.push(Suggestion {
            span,
            replacement: replacement.into(),
            message: message.into(),
        });
        self
    }

    pub fn in_file(mut self, file: Option<Arc<str>>) -> Diagnostic {
        self.file = file;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
