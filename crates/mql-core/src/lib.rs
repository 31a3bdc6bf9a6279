//! Shared vocabulary of every mql crate: byte spans, diagnostics as plain data,
//! the language's types, runtime values, the lead schema and typed lead records.
//!
//! This crate knows nothing of parsing, salsa or LSP; its only IO is
//! [`input`], the bounded reading of the user's files every crate shares.

pub mod diag;
pub mod input;
pub mod names;
pub mod number;
pub mod span;
pub mod stack;
pub mod time;
pub mod types;
pub mod value;

pub use diag::{Diagnostic, Label, Severity, Suggestion};
pub use span::{LineIndex, Span};
pub use stack::deep;
pub use types::{EnumTy, EventDef, FieldDef, Schema, Sym, Symbols, Ty};
pub use value::{EventRec, LeadId, LeadRecord, Value};
