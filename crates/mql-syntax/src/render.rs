//! Renders a [`mql_core::Diagnostic`] for a terminal with miette: location,
//! code, message, the source excerpt with the primary span underlined, secondary
//! labels, `help` and suggested fixes. Without colour the output is stable
//! enough to snapshot.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use mql_core::{Diagnostic, Severity, Span};

/// The width diagnostics are wrapped to.
const WIDTH: usize = 100;

/// One diagnostic in the shape miette wants.
struct Report {
    message: String,
    code: String,
    severity: Severity,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Clamp a span to the text and to character boundaries, so a stale or
/// out-of-range span can never make rendering fail.
fn clamp(span: Span, text: &str) -> SourceSpan {
    let mut start = (span.start as usize).min(text.len());
    let mut end = (span.end as usize).min(text.len()).max(start);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    SourceSpan::new(start.into(), end - start)
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Render one diagnostic. `path` names the file whose `text` the spans point
/// into; `color` turns on ANSI colours (off for snapshots and pipes).
pub fn render_diagnostic(diag: &Diagnostic, path: &str, text: &str, color: bool) -> String {
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        diag.label.clone(),
        clamp(diag.span, text),
    )];
    let mut notes = Vec::new();
    for l in &diag.secondary {
        match &l.file {
            Some(other) if **other != *path => {
                notes.push(format!("note: {} (in `{}`)", l.message, other));
            }
            _ => labels.push(LabeledSpan::new_with_span(
                Some(l.message.clone()),
                clamp(l.span, text),
            )),
        }
    }
    let report = Report {
        message: diag.message.clone(),
        code: format!("{}[{}]", severity_word(diag.severity), diag.code),
        severity: diag.severity,
        source: NamedSource::new(path, text.to_string()),
        labels,
        help: diag.help.clone(),
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .with_urls(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .tab_width(4);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Rendering into a String only fails if a Display impl fails; fall
        // back to a plain line rather than losing the diagnostic.
        out = plain_line(diag, path, text);
    }
    let mut tail = String::new();
    for note in notes {
        tail.push_str("  ");
        tail.push_str(&note);
        tail.push('\n');
    }
    for s in &diag.suggestions {
        tail.push_str("  help: ");
        tail.push_str(&s.message);
        tail.push('\n');
    }
    let mut out = out.trim_end().to_string();
    out.push('\n');
    if !tail.is_empty() {
        out.push_str(&tail);
    }
    out
}

/// `path:line:col: error[E0001]: message` — one line, for logs and fallbacks.
pub fn plain_line(diag: &Diagnostic, path: &str, text: &str) -> String {
    let index = mql_core::LineIndex::new(text);
    let (line, col) = index.line_col(text, diag.span.start);
    format!(
        "{path}:{line}:{col}: {}[{}]: {}",
        severity_word(diag.severity),
        diag.code,
        diag.message
    )
}

/// Render several diagnostics of one file, separated by blank lines.
pub fn render_all(diags: &[Diagnostic], path: &str, text: &str, color: bool) -> String {
    diags
        .iter()
        .map(|d| render_diagnostic(d, path, text, color))
        .collect::<Vec<_>>()
        .join("\n")
}
