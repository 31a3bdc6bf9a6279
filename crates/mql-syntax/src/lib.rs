//! The syntax of mql: a logos lexer that finds declaration boundaries, the pest
//! grammar (`grammar/mql.pest`) that parses each declaration, lowering to the
//! owned AST in [`ast`], the diagnostic renderer, and the formatter behind
//! `mql fmt` ([`format()`]).
//!
//! Parsing never fails: [`parse`] returns the declarations that parsed and a
//! diagnostic for each one that did not. This crate knows nothing of types,
//! salsa or LSP.

pub mod ast;
pub mod codes;
pub mod format;
mod grammar;
pub mod lexer;
mod lower;
mod parser;
pub mod render;
pub mod tree;
pub mod words;

pub use ast::*;
pub use format::format;
pub use parser::{did_you_mean, parse, MAX_DEPTH, MAX_OPERATORS};
pub use render::{plain_line, render_all, render_diagnostic};
