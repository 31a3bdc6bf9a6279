//! One module per verb of the `mql` command, plus what they share.

pub mod check;
pub mod common;
