//! `mql compile --emit sql`: turns a checked model (the HIR of `mql-sema`)
//! into one SQL query that gives, for every row of a leads table, the result
//! `mql eval` gives (shared spec `sql.md`), and a companion query that lists
//! the values the main query treats as unknown (`--emit sql-data-errors`).
//!
//! The query is a chain of common table expressions: the input tables read
//! and converted (times to milliseconds, enum text to variants), one pass over
//! the events computing every aggregate by conditional aggregation, one step
//! per declaration in dependency order (named after it, with its source line),
//! the stage walk unrolled over at most the number of stages, and the output.
//! Everything that differs between engines is asked of a [`Dialect`].
//!
//! Invariants:
//! - the query never makes the engine fail on data: integer arithmetic is
//!   tested for overflow before it could fail, and an overflow becomes the
//!   lead's `error` with the message `mql eval` gives;
//! - every input column is read by [`input::column_of_field`], every enum text
//!   matched by [`input::variant_of`], and every placeholder test goes
//!   through [`input::is_placeholder`];
//! - a construct whose meaning could differ in an engine is refused with a
//!   [`CompileError`] naming the declaration and the dialect.

mod build;
pub mod dialect;
mod errors;
mod expr;
mod frag;
pub mod input;
mod names;
pub mod regex;
mod walk;

pub use dialect::{by_name, Dialect};

use mql_sema::hir::Model;

/// What the query reads and how it is written.
#[derive(Clone)]
pub struct Options {
    pub dialect: &'static dyn Dialect,
    /// The leads table, inserted as written.
    pub leads_table: String,
    /// The events table, inserted as written.
    pub events_table: String,
    /// The id column of the leads table (and the name of the output's id column).
    pub id_field: String,
    /// `now`, in milliseconds, written into the query; `None`: the engine's
    /// current timestamp.
    pub as_of: Option<i64>,
    /// Add a `criterion_NAME` column for every criterion.
    pub explain: bool,
    /// The model file, as named on the command line (for the header comment).
    pub model_file: String,
    /// The mql version (for the header comment).
    pub version: String,
    /// The text of each file of the model (`Model::files` order), to show
    /// each declaration's source in a comment; may be empty.
    pub sources: Vec<std::sync::Arc<str>>,
}

impl Options {
    pub fn new(dialect: &'static dyn Dialect) -> Options {
        Options {
            dialect,
            leads_table: "leads".into(),
            events_table: "events".into(),
            id_field: "id".into(),
            as_of: None,
            explain: false,
            model_file: "model.mql".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            sources: Vec::new(),
        }
    }
}

/// Why a model cannot be compiled for a dialect.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    /// The whole message: what, where, which dialect, and how to fix it.
    pub message: String,
}

impl CompileError {
    pub(crate) fn new(message: impl Into<String>) -> CompileError {
        CompileError {
            message: message.into(),
        }
    }
}

/// The query computing every lead's result (spec `sql.md`), ending in a
/// newline, without a trailing semicolon.
pub fn compile(model: &Model, opts: &Options) -> Result<String, CompileError> {
    build::query(model, opts)
}

/// The companion query listing every value the main query treats as
/// unknown or does not read (`lead_id`, `field`, `value`, `reason`).
pub fn compile_data_errors(model: &Model, opts: &Options) -> Result<String, CompileError> {
    errors::query(model, opts)
}
