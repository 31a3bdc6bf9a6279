//! Semantic analysis of mql models: resolves every name, types every
//! expression, runs the static checks of spec §11 and produces the checked
//! model ([`hir::Model`]). Does no IO: `use`d files come through a [`Loader`].
//!
//! The work is split so that each declaration is checked by a pure function
//! against a [`scope`] of signatures collected first; a salsa layer can wrap
//! those functions one by one (see [`incr`]).

pub mod builtins;
mod check;
pub mod codes;
mod expr;
pub mod fold;
pub mod hir;
pub mod incr;
pub mod index;
mod load;
pub mod ranges;
mod scope;
mod suggest;

use std::sync::Arc;

pub use index::{Def, DefKind, NameIndex, Ref};
pub use ranges::{score_range, score_ranges};
pub use suggest::did_you_mean;

/// One source file: its path (as the loader names it), text and syntax tree.
#[derive(Clone, Debug)]
pub struct FileSource {
    pub path: Arc<str>,
    pub text: Arc<str>,
    pub ast: Arc<mql_syntax::SourceFile>,
}

impl FileSource {
    /// Parse `text` into a file source.
    pub fn parse(path: &str, text: &str) -> FileSource {
        FileSource {
            path: Arc::from(path),
            text: Arc::from(text),
            ast: Arc::new(mql_syntax::parse(text)),
        }
    }
}

/// Reads the files a model `use`s. The checker itself does no IO.
pub trait Loader {
    /// `from` is the path of the file containing the `use`, `relative` the
    /// string in it. An `Err` says why the file can't be read, in the
    /// author's words ("no such file").
    fn load(&self, from: &str, relative: &str) -> Result<FileSource, String>;
}

/// A loader for a file checked on its own: every `use` is refused.
pub struct NoUses;

impl Loader for NoUses {
    fn load(&self, _from: &str, _relative: &str) -> Result<FileSource, String> {
        Err("this file is checked on its own, without the files it uses".to_string())
    }
}

/// The result of checking a model.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The checked model; `Some` only when there is no error.
    pub model: Option<Arc<hir::Model>>,
    /// Syntax diagnostics of every file included, then the checker's.
    /// `file` is `Some(path)` for diagnostics in `use`d files, `None` for the
    /// root file.
    pub diagnostics: Vec<mql_core::Diagnostic>,
    /// Definitions and references, for the editor.
    pub index: Arc<NameIndex>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Check a model whose root file is `root`, loading its `use`s with `loader`.
pub fn check(root: FileSource, loader: &dyn Loader) -> Checked {
    check::run(root, loader)
}

/// Parse and check one file on its own (every `use` is refused).
pub fn check_source(path: &str, text: &str) -> Checked {
    check(FileSource::parse(path, text), &NoUses)
}
