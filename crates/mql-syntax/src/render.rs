//! Renders a [`mql_core::Diagnostic`] for a terminal with miette: location,
//! code, message, the source excerpt with the primary span underlined, secondary
//! labels, `help` and suggested fixes. Without colour the output is stable
//! enough to snapshot.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use mql_core::{Diagnostic, LineIndex, Severity, Span};

/// The width diagnostics are wrapped to.
const WIDTH: usize = 100;

/// One diagnostic in the shape miette wants.
struct Report<'t> {
    message: String,
    code: String,
    severity: Severity,
    source: ExcerptSource<'t>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
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

/// At most this many secondary labels are drawn under a diagnostic (or
/// listed as notes, for other files); the rest are counted in one note.
pub const MAX_LABELS: usize = 10;

/// Lines longer than this many bytes are shown cut to a window around their
/// labels…
const LONG_LINE: usize = 240;
/// …of about this many characters…
const WINDOW: usize = 120;
/// …starting this many characters before the first label on the line.
const LEAD_IN: usize = 40;
/// Lines shown above and below each label (miette's default).
const CONTEXT: usize = 1;
/// Labels whose context lines are at most this many lines apart are drawn
/// in one snippet, the lines between them included.
const JOIN: usize = 2;

/// Clamp a span to the text and to character boundaries, so a stale or
/// out-of-range span can never make rendering fail.
fn clamp(span: Span, text: &str) -> (usize, usize) {
    let mut start = (span.start as usize).min(text.len());
    let mut end = (span.end as usize).min(text.len()).max(start);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One line of the file as shown in an [`Excerpt`].
#[derive(Debug)]
struct Shown {
    /// 0-based line number in the file.
    line: usize,
    /// Where the line starts in the file.
    start: usize,
    /// Where the line starts in the excerpt's text.
    at: usize,
    /// Bytes of the line in the excerpt, `…` marks included, newline not.
    len: usize,
    /// The part of the file's line that is shown, as file offsets.
    from: usize,
    to: usize,
    /// Bytes of the `…` before the shown part (0 when the line is not cut
    /// at the start).
    lead: usize,
    /// Runs of consecutive lines are numbered; contexts never cross runs.
    run: usize,
    /// The last file line of the run.
    run_end: usize,
}

/// The lines of one file that one diagnostic shows, long lines cut to a
/// window, with its own offsets. Handing miette only this (instead of the
/// whole file) makes rendering a diagnostic cost what it shows, not the size
/// of the file, and keeps every column miette pads to small.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    lines: Vec<Shown>,
}

impl Excerpt {
    /// The excerpt of `text` (whose lines `index` knows) that shows `spans`
    /// (already clamped) with their context lines.
    fn new(name: &str, text: &str, index: &LineIndex, spans: &[(usize, usize)]) -> Excerpt {
        // the empty "line" after a final newline is shown only for a label on it
        let mut last_line = index.line_count().saturating_sub(1);
        if last_line > 0 && index.line_start(last_line) == Some(text.len() as u32) {
            last_line -= 1;
        }
        // the lines each span needs, with context, merged into runs
        let mut wanted: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                let a = index.line0(s as u32);
                let b = index.line0(e as u32).max(a);
                (
                    a.saturating_sub(CONTEXT),
                    (b + CONTEXT).min(last_line).max(b),
                )
            })
            .collect();
        wanted.sort_unstable();
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (a, b) in wanted {
            match runs.last_mut() {
                Some(last) if a <= last.1 + 1 + JOIN => last.1 = last.1.max(b),
                _ => runs.push((a, b)),
            }
        }
        let mut out = Excerpt {
            name: name.to_string(),
            text: String::new(),
            lines: Vec::new(),
        };
        for (run, &(a, b)) in runs.iter().enumerate() {
            for line in a..=b {
                let start = index.line_start(line).unwrap_or(text.len() as u32) as usize;
                let mut end = index
                    .line_start(line + 1)
                    .map_or(text.len(), |n| n as usize - 1);
                if text[start..end].ends_with('\r') {
                    end -= 1;
                }
                // the first label point on this line anchors the window
                let anchor = spans
                    .iter()
                    .flat_map(|&(s, e)| [s, e])
                    .filter(|&p| p >= start && p <= end)
                    .min()
                    .unwrap_or(start);
                let (from, to) = window(text, start, end, anchor);
                let at = out.text.len();
                let lead = if from > start { "…".len() } else { 0 };
                if lead > 0 {
                    out.text.push('…');
                }
                out.text.push_str(&text[from..to]);
                if to < end {
                    out.text.push('…');
                }
                let len = out.text.len() - at;
                out.text.push('\n');
                out.lines.push(Shown {
                    line,
                    start,
                    at,
                    len,
                    from,
                    to,
                    lead,
                    run,
                    run_end: b,
                });
            }
        }
        out
    }

    /// Where file offset `offset` is shown in the excerpt (clamped into the
    /// shown part of its line).
    fn place(&self, index: &LineIndex, offset: usize) -> usize {
        let line = index.line0(offset as u32);
        let k = self.lines.partition_point(|l| l.line < line);
        let Some(l) = self.lines.get(k).filter(|l| l.line == line) else {
            return self.lines.get(k).map_or(self.text.len(), |l| l.at);
        };
        if offset < l.from {
            l.at + l.lead
        } else if offset >= l.to {
            // past the shown part: at the end of the line (after any `…`)
            if offset > l.to {
                l.at + l.len
            } else {
                l.at + l.lead + (l.to - l.from)
            }
        } else {
            l.at + l.lead + (offset - l.from)
        }
    }

    /// The shown line an excerpt offset is on.
    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|l| l.at <= offset)
            .saturating_sub(1)
    }

    /// The file column (0-based, in characters) shown at excerpt `offset`.
    fn column(&self, file: &str, offset: usize) -> usize {
        let Some(l) = self.lines.get(self.line_at(offset)) else {
            return 0;
        };
        let in_line = offset.saturating_sub(l.at + l.lead).min(l.to - l.from);
        let mut end = l.from + in_line;
        while !file.is_char_boundary(end) {
            end -= 1;
        }
        file[l.start..end].chars().count()
    }
}

/// The part `from..to` of the line `start..end` to show: all of it when it
/// is short, else a window of about [`WINDOW`] characters that starts
/// [`LEAD_IN`] characters before `anchor`.
fn window(text: &str, start: usize, end: usize, anchor: usize) -> (usize, usize) {
    if end - start <= LONG_LINE {
        return (start, end);
    }
    let before = text[start..anchor]
        .char_indices()
        .rev()
        .nth(LEAD_IN - 1)
        .map_or(start, |(i, _)| start + i);
    let to = text[before..end]
        .char_indices()
        .nth(WINDOW)
        .map_or(end, |(i, _)| before + i);
    (before, to)
}

/// The file text, read through an excerpt; miette asks it for spans.
struct ExcerptSource<'t> {
    excerpt: Excerpt,
    /// The whole file, for columns.
    file: &'t str,
}

impl SourceCode for ExcerptSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let ex = &self.excerpt;
        if ex.lines.is_empty() || span.offset() > ex.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = ex.line_at(span.offset());
        let last = ex.line_at(
            (span.offset() + span.len())
                .saturating_sub(1)
                .max(span.offset()),
        );
        let run = ex.lines[first].run;
        if ex.lines[last].run != run {
            // miette asks this when it would merge two snippets; runs are
            // never merged
            return Err(MietteError::OutOfBounds);
        }
        let mut a = first;
        while a > 0 && first - a < before && ex.lines[a - 1].run == run {
            a -= 1;
        }
        let mut b = last;
        while b + 1 < ex.lines.len() && b - last < after && ex.lines[b + 1].run == run {
            b += 1;
        }
        let start = if before == 0 {
            span.offset()
        } else {
            ex.lines[a].at
        };
        let end = (ex.lines[b].at + ex.lines[b].len + 1).min(ex.text.len());
        let column = if before == 0 {
            ex.column(self.file, span.offset())
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            ex.name.clone(),
            &ex.text.as_bytes()[start..end],
            SourceSpan::new(start.into(), end - start),
            ex.lines[a].line,
            column,
            // miette draws two labels in one snippet when the first one's
            // lines reach the second's: all labels of a run are
            ex.lines[a].run_end - ex.lines[a].line + 1,
        )))
    }
}

/// Render one diagnostic. `path` names the file whose `text` the spans point
/// into; `color` turns on ANSI colours (off for snapshots and pipes).
///
/// To render many diagnostics of one file, build its [`LineIndex`] once and
/// call [`render_indexed`]: then each diagnostic costs what it shows.
pub fn render_diagnostic(diag: &Diagnostic, path: &str, text: &str, color: bool) -> String {
    render_indexed(diag, path, text, &LineIndex::new(text), color)
}

/// [`render_diagnostic`] with the file's line index given, so that rendering
/// does not depend on the size of the file.
pub fn render_indexed(
    diag: &Diagnostic,
    path: &str,
    text: &str,
    index: &LineIndex,
    color: bool,
) -> String {
    let mut spans = vec![clamp(diag.span, text)];
    let mut labels: Vec<(Option<String>, usize)> = vec![(diag.label.clone(), 0)];
    let mut notes = Vec::new();
    for l in diag.secondary.iter().take(MAX_LABELS) {
        match &l.file {
            Some(other) if **other != *path => {
                notes.push(format!("note: {} (in `{}`)", l.message, other));
            }
            _ => {
                labels.push((Some(l.message.clone()), spans.len()));
                spans.push(clamp(l.span, text));
            }
        }
    }
    let hidden = diag.secondary.len().saturating_sub(MAX_LABELS);
    if hidden > 0 {
        notes.push(format!(
            "note: {} more place{} not shown",
            thousands(hidden),
            if hidden == 1 { " is" } else { "s are" }
        ));
    }
    let excerpt = Excerpt::new(path, text, index, &spans);
    let shown: Vec<LabeledSpan> = labels
        .into_iter()
        .map(|(message, k)| {
            let (s, e) = spans[k];
            let (a, b) = (excerpt.place(index, s), excerpt.place(index, e));
            let span = SourceSpan::new(a.into(), b.max(a) - a);
            if k == 0 {
                LabeledSpan::new_primary_with_span(message, span)
            } else {
                LabeledSpan::new_with_span(message, span)
            }
        })
        .collect();
    let report = Report {
        message: diag.message.clone(),
        code: format!("{}[{}]", severity_word(diag.severity), diag.code),
        severity: diag.severity,
        source: ExcerptSource {
            excerpt,
            file: text,
        },
        labels: shown,
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
        out = plain_indexed(diag, path, text, index);
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

/// `12,345`: a count as people read it.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `path:line:col: error[E0001]: message` — one line, for logs and fallbacks.
pub fn plain_line(diag: &Diagnostic, path: &str, text: &str) -> String {
    plain_indexed(diag, path, text, &LineIndex::new(text))
}

fn plain_indexed(diag: &Diagnostic, path: &str, text: &str, index: &LineIndex) -> String {
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
    let index = LineIndex::new(text);
    diags
        .iter()
        .map(|d| render_indexed(d, path, text, &index, color))
        .collect::<Vec<_>>()
        .join("\n")
}
