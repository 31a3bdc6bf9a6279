//! The editor's features over the mql database, as plain data: byte offsets
//! into files, names, kinds and text edits. Nothing here knows LSP, JSON or
//! UTF-16; the language server (`mql-lsp`) converts to and from the
//! protocol, and any other host could use the same answers.
//!
//! Every name-based feature (hover, definition, references, rename,
//! highlights, semantic highlighting, completion, the call hierarchy,
//! workspace symbols) reads the checker's name index through the tracked
//! query [`mql_db::name_index`]: names are resolved once, by the checker.
//!
//! An [`AnalysisHost`] owns the database and takes edits; an [`Analysis`]
//! is a snapshot of it that answers questions on any thread. A question may
//! be [`salsa::Cancelled`] by a newer edit: the host then asks again.

mod completion;
mod diagnostics;
mod folding;
mod format;
mod hierarchy;
mod highlight;
mod hover;
mod lex;
mod model;
mod navigation;
mod rename;
mod signature;
mod symbols;
mod testing;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

pub use mql_core::{Severity, Span};
pub use mql_db::{normalize, FileSystem, MemoryFs, RealFs};
pub use mql_sema::index::{Builtin, DefKind};

pub use completion::{CompletionItem, CompletionKind, Completions};
pub use diagnostics::{FileDiagnostic, Fix, Related};
pub use folding::{Fold, FoldKind};
pub use hierarchy::{Call, CallItem, CallKind};
pub use highlight::{Highlight, HighlightKind, HighlightMods};
pub use hover::{Hover, Markup};
pub use navigation::{Link, NavTarget, Occurrence};
pub use signature::{InlayHint, Signature, SignatureHelp};
pub use symbols::{Symbol, SymbolKind, WorkspaceSymbol};
pub use testing::{Lens, LensCommand, TestReport, TestResult};

use mql_db::Database;

/// A question was overtaken by an edit; ask again on a new snapshot.
pub type Cancellable<T> = Result<T, salsa::Cancelled>;

/// A place in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePosition {
    /// The file's path as the database keys it (normalised).
    pub path: String,
    /// A byte offset into the file's text.
    pub offset: usize,
}

/// A range of a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileRange {
    pub path: Arc<str>,
    pub span: Span,
}

/// Replace `span` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// Edits to one or more files, each file's edits in order and not
/// overlapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceChange {
    pub edits: BTreeMap<Arc<str>, Vec<TextEdit>>,
}

/// The files workspace-wide features look at: every `.mql` file under the
/// folders, and the files open in the editor.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    pub folders: Vec<String>,
    pub open: Vec<String>,
}

/// At most this many `.mql` files of the workspace folders are looked at.
pub const MAX_WORKSPACE_FILES: usize = 5_000;

/// Owns the database; takes the editor's changes.
#[derive(Default)]
pub struct AnalysisHost {
    db: Database,
}

impl AnalysisHost {
    /// A host reading files from the computer's file system.
    pub fn new() -> AnalysisHost {
        AnalysisHost::default()
    }

    /// A host reading files from `fs`.
    pub fn with_fs(fs: Arc<dyn FileSystem>) -> AnalysisHost {
        AnalysisHost {
            db: Database::with_fs(fs),
        }
    }

    /// The editor's text of a file (it overrides the file on disk).
    pub fn set_text(&mut self, path: &str, text: &str) {
        self.db.set_text(path, text);
    }

    /// Read a file again from the file system (after it changed there, or
    /// when the editor closes it).
    pub fn reload(&mut self, path: &str) {
        self.db.reload(path);
    }

    /// The current text of a file (the editor's, or the file system's).
    pub fn file_text(&self, path: &str) -> Arc<str> {
        model::text(&self.db, path)
    }

    /// A snapshot to ask questions of, on any thread.
    pub fn analysis(&self) -> Analysis {
        Analysis {
            db: self.db.clone(),
        }
    }
}

/// A snapshot of the database. Every answer is [`Cancellable`].
#[derive(Clone)]
pub struct Analysis {
    db: Database,
}

impl Analysis {
    fn run<T>(&self, f: impl FnOnce(&Database) -> T) -> Cancellable<T> {
        salsa::Cancelled::catch(AssertUnwindSafe(|| f(&self.db)))
    }

    /// The text of a file (empty when it can't be read).
    pub fn file_text(&self, path: &str) -> Cancellable<Arc<str>> {
        self.run(|db| model::text(db, path))
    }

    /// The files of the model rooted at `path`: the file itself and every
    /// file it uses.
    pub fn model_files(&self, path: &str) -> Cancellable<Vec<Arc<str>>> {
        self.run(|db| model::Model::new(db, path).files())
    }

    /// The problems of the model rooted at `path`, placed in that file.
    pub fn diagnostics(&self, path: &str) -> Cancellable<Vec<FileDiagnostic>> {
        self.run(|db| diagnostics::diagnostics(db, path))
    }

    /// Quick fixes for the problems of `path` that touch `span`.
    pub fn fixes(&self, path: &str, span: Span) -> Cancellable<Vec<Fix>> {
        self.run(|db| diagnostics::fixes(db, path, span))
    }

    pub fn hover(&self, pos: &FilePosition) -> Cancellable<Option<Hover>> {
        self.run(|db| hover::hover(db, pos))
    }

    pub fn completions(&self, pos: &FilePosition) -> Cancellable<Completions> {
        self.run(|db| completion::complete(db, pos))
    }

    pub fn signature_help(&self, pos: &FilePosition) -> Cancellable<Option<SignatureHelp>> {
        self.run(|db| signature::signature_help(db, pos))
    }

    pub fn inlay_hints(&self, path: &str, span: Span) -> Cancellable<Vec<InlayHint>> {
        self.run(|db| signature::inlay_hints(db, path, span))
    }

    pub fn definition(&self, pos: &FilePosition) -> Cancellable<Option<NavTarget>> {
        self.run(|db| navigation::definition(db, pos))
    }

    /// Every place that names what is at `pos`, in every model of the
    /// workspace that sees it.
    pub fn references(
        &self,
        pos: &FilePosition,
        include_declaration: bool,
        ws: &Workspace,
    ) -> Cancellable<Option<Vec<FileRange>>> {
        self.run(|db| navigation::references(db, pos, include_declaration, ws))
    }

    /// The occurrences of what is at `pos` in its own file.
    pub fn highlights(&self, pos: &FilePosition) -> Cancellable<Vec<Occurrence>> {
        self.run(|db| navigation::highlights(db, pos))
    }

    /// The `use "…"` paths of a file, as links to the files they name.
    pub fn links(&self, path: &str) -> Cancellable<Vec<Link>> {
        self.run(|db| navigation::links(db, path))
    }

    /// The name at `pos` that can be renamed (its span and text), or why
    /// it can't be.
    pub fn prepare_rename(
        &self,
        pos: &FilePosition,
    ) -> Cancellable<Result<Option<(Span, String)>, String>> {
        self.run(|db| rename::prepare(db, pos))
    }

    /// The edits that rename what is at `pos` to `new_name` everywhere in
    /// the workspace, or why the name can't be used.
    pub fn rename(
        &self,
        pos: &FilePosition,
        new_name: &str,
        ws: &Workspace,
    ) -> Cancellable<Result<Option<SourceChange>, String>> {
        self.run(|db| rename::rename(db, pos, new_name, ws))
    }

    pub fn document_symbols(&self, path: &str) -> Cancellable<Vec<Symbol>> {
        self.run(|db| symbols::document_symbols(db, path))
    }

    /// Declarations of every model of the workspace whose name matches
    /// `query` (its letters in order, any case).
    pub fn workspace_symbols(
        &self,
        query: &str,
        ws: &Workspace,
    ) -> Cancellable<Vec<WorkspaceSymbol>> {
        self.run(|db| symbols::workspace_symbols(db, query, ws))
    }

    /// How to colour a file: keywords, literals, comments, and every name
    /// by what it is.
    pub fn highlight(&self, path: &str) -> Cancellable<Vec<Highlight>> {
        self.run(|db| highlight::highlight(db, path))
    }

    pub fn folding_ranges(&self, path: &str) -> Cancellable<Vec<Fold>> {
        self.run(|db| folding::folding_ranges(db, path))
    }

    /// For each offset, the spans around it from the innermost out.
    pub fn selection_ranges(&self, path: &str, offsets: &[usize]) -> Cancellable<Vec<Vec<Span>>> {
        self.run(|db| folding::selection_ranges(db, path, offsets))
    }

    pub fn call_hierarchy(&self, pos: &FilePosition) -> Cancellable<Option<CallItem>> {
        self.run(|db| hierarchy::prepare(db, pos))
    }

    /// What uses `item`, in every model of the workspace.
    pub fn incoming_calls(&self, item: &CallItem, ws: &Workspace) -> Cancellable<Vec<Call>> {
        self.run(|db| hierarchy::incoming(db, item, ws))
    }

    /// What `item` depends on.
    pub fn outgoing_calls(&self, item: &CallItem) -> Cancellable<Vec<Call>> {
        self.run(|db| hierarchy::outgoing(db, item))
    }

    /// The edits that give the file `mql fmt`'s layout, or why it can't
    /// be formatted.
    pub fn format(&self, path: &str) -> Cancellable<Result<Vec<TextEdit>, String>> {
        self.run(|db| format::format(db, path, None))
    }

    /// The edits of [`Analysis::format`] that touch `span`.
    pub fn format_range(
        &self,
        path: &str,
        span: Span,
    ) -> Cancellable<Result<Vec<TextEdit>, String>> {
        self.run(|db| format::format(db, path, Some(span)))
    }

    /// "Run test" above each test of the file, "Run all tests" at the top.
    pub fn lenses(&self, path: &str) -> Cancellable<Vec<Lens>> {
        self.run(|db| testing::lenses(db, path))
    }

    /// Run the tests of the model rooted at `path` (all, or the one named
    /// `only`).
    pub fn run_tests(
        &self,
        path: &str,
        only: Option<&str>,
    ) -> Cancellable<Result<TestReport, String>> {
        self.run(|db| testing::run(db, path, only))
    }
}
