//! One module per verb of the `mql` command, plus what they share.

pub mod backtest;
pub mod check;
pub mod common;
pub mod compile;
pub mod completions;
pub mod diff;
pub mod eval;
pub mod examples;
pub mod explain;
pub mod fmt;
pub mod run;
pub mod test;
