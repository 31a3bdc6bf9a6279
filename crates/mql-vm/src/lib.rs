//! Compiles the checked model to bytecode and runs it over typed lead records.
//!
//! The pipeline: [`compile`] turns a [`mql_sema::hir::Model`] into a
//! [`Program`] (a flat instruction vector plus per-declaration plans), and
//! [`Program::eval`] runs it for one lead at one instant, giving a
//! [`LeadResult`] (written out by `mql-report`);
//! [`explain`] and [`run_test`] serve `mql explain` and `mql test`;
//! [`Program::disassemble`] serves `mql compile --emit bytecode`.
//!
//! Invariants:
//! - the VM never looks a name up while evaluating: fields, events, values,
//!   scores and tiers are slots fixed at compile time;
//! - every let, criterion, segment, score and tier is computed exactly once
//!   per lead, in `Model::order`, into a slot of a reusable [`Scratch`];
//! - evaluation is a pure function of (program, lead, now): results do not
//!   depend on the thread count ([`Program::eval_batch`] keeps input order);
//! - a filter of `exists`/`first`/`last`/`latest` runs only until the answer
//!   is known, like `and`/`or` skip their right side;
//! - an integer overflow stops that lead only, with an [`EvalError`] that
//!   names the declaration and its line.

mod compile;
mod describe;
mod disasm;
mod explain;
mod fast;
mod ops;
mod program;
mod short;
mod testing;
mod vm;

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

pub use compile::compile;
pub use describe::{duration_text, expr_text, value_text};
pub use explain::{
    explain, missing_fields, render_explanation, render_explanation_with, CriterionExplanation,
    DataNote, Decision, EventContribution, Explanation, LetExplanation, NoteKind, RuleExplanation,
    ScoreExplanation, TierArmExplanation, TierExplanation, TransitionExplanation, ValueRead,
    WalkStep,
};

pub use program::{ArithKind, Block, CmpKind, FuncKind, Instr, NegKind, Program, Src};
pub use short::ShortVec;
pub use testing::{render_test_outcome, run_test, ExpectOutcome, OperandValue, TestOutcome};
pub use vm::{EvalError, LeadResult, PathStep, Scratch};
