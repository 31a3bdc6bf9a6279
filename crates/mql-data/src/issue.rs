//! Data errors, warnings and notes: what a reader reports about the lead
//! data, where it happened, and the collector that hands them to the caller
//! as they come.

use std::fmt;
use std::sync::Arc;

use mql_core::LeadId;
use rustc_hash::FxHashSet;

/// Whether an issue counts as a data error, is a warning (both fail a
/// `--strict` run) or is only a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IssueKind {
    Error,
    /// A declared field that nothing in the data fills (cli-and-data.md v1.1).
    Warning,
    Note,
}

/// One problem found in the lead data, located by file, line and (for CSV) column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataIssue {
    pub kind: IssueKind,
    /// The file's name as the user gave it (`-` for standard input).
    pub file: Arc<str>,
    /// 1-based line of the record, value or header; 0 when the issue is about
    /// the whole file (a JSON field that no record has).
    pub line: u64,
    /// 1-based cell number, CSV only.
    pub column: Option<u64>,
    /// The lead the issue belongs to, when known (events file: its `lead_id`).
    pub lead: Option<LeadId>,
    /// The field, key or column concerned (`id`, `type`, `at`, `lead_id` included).
    pub field: Option<String>,
    /// The value that could not be read, as the data wrote it (a JSON value
    /// as JSON, a CSV cell quoted), for a value of a field.
    pub value: Option<String>,
    /// What is wrong and what was done about it.
    pub reason: String,
}

impl DataIssue {
    pub fn is_error(&self) -> bool {
        self.kind == IssueKind::Error
    }

    pub fn is_warning(&self) -> bool {
        self.kind == IssueKind::Warning
    }

    /// The same issue, with the value that could not be read.
    pub fn with_value(self, value: String) -> DataIssue {
        DataIssue {
            value: Some(value),
            ..self
        }
    }
}

/// `data error: leads.csv:15:13: lead L-0014: field `budget_confirmed`: expected …`,
/// `note: leads.csv:1:18: column `x` is not declared by the model and is ignored`
/// and `warning: field `total_visits` is not filled by any column of leads.csv; …`
/// (a warning's reason names the file itself).
impl fmt::Display for DataIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            IssueKind::Error => f.write_str("data error: ")?,
            IssueKind::Warning => return write!(f, "warning: {}", self.reason),
            IssueKind::Note => f.write_str("note: ")?,
        }
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(c) = self.column {
            write!(f, ":{c}")?;
        }
        f.write_str(": ")?;
        if self.kind == IssueKind::Error {
            if let Some(lead) = &self.lead {
                write!(f, "lead {lead}: ")?;
            }
            if let Some(field) = &self.field {
                write!(f, "field `{field}`: ")?;
            }
        }
        f.write_str(&self.reason)
    }
}

/// Receives the issues of a run as they are found, counts them, and makes sure
/// each undeclared key or column is noted only once per run.
///
/// One `Issues` is meant to be used for the events file and then handed to the
/// lead reader, so the once-per-run rule holds across both files.
pub struct Issues<'a> {
    sink: Box<dyn FnMut(DataIssue) + 'a>,
    errors: u64,
    warnings: u64,
    notes: u64,
    noted: FxHashSet<String>,
    /// When set, issues are kept here, in order, with the name a note is
    /// reported once for, to be replayed into the run's `Issues` later.
    deferred: Option<Vec<Deferred>>,
}

/// An issue kept for replaying: the once-per-run name of a note, and the issue.
pub(crate) type Deferred = (Option<String>, DataIssue);

impl<'a> Issues<'a> {
    /// Hand every issue to `sink` as soon as it is found.
    pub fn new(sink: impl FnMut(DataIssue) + 'a) -> Issues<'a> {
        Issues {
            sink: Box::new(sink),
            errors: 0,
            warnings: 0,
            notes: 0,
            noted: FxHashSet::default(),
            deferred: None,
        }
    }

    /// Keep issues to replay them later, in order, into the run's `Issues`
    /// (records decoded on other threads).
    pub(crate) fn deferred() -> Issues<'static> {
        let mut issues = Issues::new(|_| {});
        issues.deferred = Some(Vec::new());
        issues
    }

    /// The issues kept by a [`Issues::deferred`].
    pub(crate) fn into_deferred(self) -> Vec<Deferred> {
        self.deferred.unwrap_or_default()
    }

    /// How many issues a [`Issues::deferred`] has kept so far.
    pub(crate) fn kept(&self) -> usize {
        self.deferred.as_ref().map_or(0, Vec::len)
    }

    /// Report kept issues as if they were found now: the counts, the sink and
    /// the once-per-run rule for notes apply as usual.
    pub(crate) fn replay(&mut self, kept: impl IntoIterator<Item = Deferred>) {
        for (name, issue) in kept {
            match name {
                Some(name) => self.once(&name, || issue),
                None => self.report(issue),
            }
        }
    }

    /// Collect every issue into `into`.
    pub fn collect(into: &'a mut Vec<DataIssue>) -> Issues<'a> {
        Issues::new(move |i| into.push(i))
    }

    /// Count issues without keeping them.
    pub fn ignore() -> Issues<'static> {
        Issues::new(|_| {})
    }

    /// How many data errors were reported so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// How many warnings were reported so far.
    pub fn warnings(&self) -> u64 {
        self.warnings
    }

    /// How many notes were reported so far.
    pub fn notes(&self) -> u64 {
        self.notes
    }

    pub(crate) fn report(&mut self, issue: DataIssue) {
        if let Some(kept) = &mut self.deferred {
            kept.push((None, issue));
            return;
        }
        match issue.kind {
            IssueKind::Error => self.errors += 1,
            IssueKind::Warning => self.warnings += 1,
            IssueKind::Note => self.notes += 1,
        }
        (self.sink)(issue);
    }

    /// Report a note once per run for `name`; later notes for the same name are dropped.
    pub(crate) fn note_once(&mut self, name: &str, issue: impl FnOnce() -> DataIssue) {
        self.once(name, issue)
    }

    /// Report a warning once per run for `name` (names of warnings and notes
    /// do not meet: `name` is kept apart from the notes' names).
    pub(crate) fn warn_once(&mut self, name: &str, issue: impl FnOnce() -> DataIssue) {
        self.once(&format!("\u{0}warning {name}"), issue)
    }

    fn once(&mut self, name: &str, issue: impl FnOnce() -> DataIssue) {
        if self.noted.insert(name.to_string()) {
            if let Some(kept) = &mut self.deferred {
                kept.push((Some(name.to_string()), issue()));
                return;
            }
            self.report(issue());
        }
    }
}

impl fmt::Debug for Issues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issues")
            .field("errors", &self.errors)
            .field("warnings", &self.warnings)
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

/// Where the reader currently is, used to build issues.
#[derive(Clone, Debug)]
pub(crate) struct Loc {
    pub file: Arc<str>,
    pub line: u64,
    pub column: Option<u64>,
    pub lead: Option<LeadId>,
}

impl Loc {
    pub fn error(&self, field: Option<&str>, reason: String) -> DataIssue {
        DataIssue {
            kind: IssueKind::Error,
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            lead: self.lead.clone(),
            field: field.map(str::to_string),
            value: None,
            reason,
        }
    }

    pub fn note(&self, field: &str, reason: String) -> DataIssue {
        DataIssue {
            kind: IssueKind::Note,
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            lead: None,
            field: Some(field.to_string()),
            value: None,
            reason,
        }
    }

    /// A warning about a whole field (no lead, no column).
    pub fn warning(&self, field: &str, reason: String) -> DataIssue {
        DataIssue {
            kind: IssueKind::Warning,
            file: self.file.clone(),
            line: self.line,
            column: None,
            lead: None,
            field: Some(field.to_string()),
            value: None,
            reason,
        }
    }

    pub fn at(&self, line: u64, column: Option<u64>) -> Loc {
        Loc {
            file: self.file.clone(),
            line,
            column,
            lead: self.lead.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_the_reference() {
        let e = DataIssue {
            kind: IssueKind::Error,
            file: "leads.csv".into(),
            line: 15,
            column: Some(13),
            lead: Some(LeadId::Str("L-0014".into())),
            field: Some("budget_confirmed".into()),
            value: Some("\"2\"".into()),
            reason: "expected a bool (true/false/yes/no/1/0), found \"2\" (treated as unknown)"
                .into(),
        };
        assert_eq!(
            e.to_string(),
            "data error: leads.csv:15:13: lead L-0014: field `budget_confirmed`: expected a bool (true/false/yes/no/1/0), found \"2\" (treated as unknown)"
        );
        let n = DataIssue {
            kind: IssueKind::Note,
            file: "leads.ndjson".into(),
            line: 8,
            column: None,
            lead: None,
            field: Some("undeclared_column".into()),
            value: None,
            reason: "key `undeclared_column` is not declared by the model and is ignored".into(),
        };
        assert_eq!(
            n.to_string(),
            "note: leads.ndjson:8: key `undeclared_column` is not declared by the model and is ignored"
        );
    }

    #[test]
    fn notes_once_per_name_and_counts() {
        let mut got = Vec::new();
        {
            let mut issues = Issues::collect(&mut got);
            let loc = Loc {
                file: "a.csv".into(),
                line: 1,
                column: Some(2),
                lead: None,
            };
            issues.note_once("x", || loc.note("x", "column `x` is ignored".into()));
            issues.note_once("x", || loc.note("x", "column `x` is ignored".into()));
            issues.report(loc.error(Some("y"), "bad".into()));
            assert_eq!((issues.errors(), issues.notes()), (1, 1));
        }
        assert_eq!(got.len(), 2);
    }
}
