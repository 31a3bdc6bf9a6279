//! The pest parser generated from `grammar/mql.pest`.

use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../../../grammar/mql.pest"]
pub struct MqlParser;
