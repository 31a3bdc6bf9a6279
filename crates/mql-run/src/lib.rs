//! Running a model over a lead source: the block pipeline that evaluates
//! leads on every core and hands back what each gave in input order
//! ([`pipeline`]), the observer of data issues ([`observe`]), and the drivers
//! of the verbs that read leads — [`eval`], [`diff`], [`backtest`] and
//! [`explain`].
//!
//! This crate reads and evaluates; what is written (result lines, reports)
//! is `mql-report`'s; the command line's arguments are the `mql` binary's.

pub mod backtest;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod input;
pub mod observe;
pub mod outcome;
pub mod pipeline;

pub use input::Input;
pub use observe::{Console, Observer};
pub use pipeline::{Reading, Settings, Summary};
