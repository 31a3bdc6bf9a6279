//! The bytecode: instructions, per-declaration evaluation plans and the
//! compiled [`Program`] the VM runs.

use std::sync::Arc;

use mql_core::{Sym, Value};
use mql_sema::hir::{AggKind, CmpOp, Decay, DeclRef, StrOp};

/// The first instruction of a code block; a block runs until [`Instr::End`]
/// and leaves exactly one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block(pub u32);

/// How two operands are compared, chosen at compile time from their types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpKind {
    /// Both operands carry an `i64`: int, time or duration.
    I64,
    /// Numbers, ints promoted to doubles.
    Num,
    /// Text, by bytes.
    Str,
    /// Equality of anything else (bool, enum, list).
    Any,
}

/// Arithmetic, typed at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithKind {
    AddInt,
    SubInt,
    MulInt,
    AddNum,
    SubNum,
    MulNum,
    /// `/` on numbers or ints (result number).
    DivNum,
    TimeMinusTime,
    TimePlusDur,
    TimeMinusDur,
    DurPlusTime,
    DurPlusDur,
    DurMinusDur,
    DurTimesNum,
    NumTimesDur,
    DurDivNum,
    DurDivDur,
}

/// Scalar functions, typed at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncKind {
    Lower,
    Upper,
    Trim,
    LengthStr,
    LengthList,
    Domain,
    Known,
    Default,
    MinInt,
    MaxInt,
    MinNum,
    MaxNum,
    AbsInt,
    AbsNum,
    Round,
    Since,
    Hour,
    Weekday,
    Day,
    Days,
}

/// The numeric flavour of a negation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegKind {
    Int,
    Num,
    Dur,
}

/// Where a fused instruction reads its operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// A lead field slot.
    Field(u32),
    /// A field slot of the event being queried.
    Event(u32),
}

/// One instruction of the stack machine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    /// Push a constant from the pool.
    Const(u32),
    /// Push a lead field.
    Field(u32),
    /// Push a field of the event being queried.
    EventField(u32),
    EventAt,
    Id,
    Now,
    TimeInStage,
    Stage,
    /// Push a let/criterion/segment slot.
    Load(u32),
    LoadScore(u32),
    LoadTier(u32),
    Neg(NegKind),
    Not,
    Arith(ArithKind),
    Cmp(CmpKind, CmpOp),
    /// Kleene `and`: if the top is `false`, jump forward by the offset
    /// (keeping `false`); otherwise evaluate the right side, then `AndEnd`.
    AndJump(u32),
    AndEnd,
    /// Kleene `or`: if the top is `true`, jump forward (keeping `true`).
    OrJump(u32),
    OrEnd,
    /// First half of `value between lo and hi`: pops lo and compares
    /// `lo <= value`; if that is false, replaces value with `false` and jumps
    /// forward past `hi` (which is then not evaluated); otherwise pushes the
    /// comparison's value.
    BetweenLo(CmpKind, u32),
    /// Second half: pops hi, the first comparison and value, pushes
    /// `first and value <= hi`.
    BetweenHi(CmpKind),
    /// Pops list, value.
    In {
        negated: bool,
    },
    Str(StrOp),
    /// Compare a lead or event field with a constant, copying neither.
    FieldCmpConst(Src, CmpKind, CmpOp, u32),
    /// Membership of a lead or event field in a constant list.
    FieldInConst(Src, bool, u32),
    /// A string test of a lead or event field against a constant string.
    FieldStrConst(Src, StrOp, u32),
    /// Compare the top with a constant of the pool (no copy of the constant).
    CmpConst(CmpKind, CmpOp, u32),
    /// Membership of the top in a constant list.
    InConst {
        negated: bool,
        list: u32,
    },
    /// A string test of the top against a constant string.
    StrConst(StrOp, u32),
    /// Pops a string, tests it against a regex of the pool.
    Matches(u32),
    Func(FuncKind),
    /// Runs an aggregate query of the pool.
    Agg(u32),
    End,
}

/// A query as the VM runs it: the event group, the window and the filter.
#[derive(Clone, Debug)]
pub struct QueryCode {
    pub event: u32,
    pub within: Option<i64>,
    pub filter: Option<Block>,
    /// The filter decoded into a direct test when it has one of the common
    /// simple shapes; the block stays the source for explanations and the
    /// disassembly, and the VM runs it when this is `None`.
    pub test: Option<EventTest>,
}

/// A query filter simple enough to decide per event without the stack
/// machine. Each gives exactly the block's answer to "is the filter true"
/// (an unknown field never passes).
#[derive(Clone, Debug)]
pub enum EventTest {
    /// `FIELD starts_with "text"` (or `ends_with`, `contains`) on a string field.
    Str {
        field: u32,
        op: StrOp,
        text: Arc<str>,
    },
    /// `FIELD == "text"` (`equal`) or `FIELD != "text"` on a string field.
    StrEq {
        field: u32,
        equal: bool,
        text: Arc<str>,
    },
    /// A bool field on its own.
    Flag(u32),
    /// `hour(at) OP n`.
    Hour { op: CmpOp, n: i64 },
}

/// An aggregate over a query.
#[derive(Clone, Debug)]
pub struct AggCode {
    pub kind: AggKind,
    pub query: QueryCode,
    pub arg: Option<Block>,
    /// The per-event argument is an int (sum stays int, min/max stay int).
    pub arg_int: bool,
}

#[derive(Clone, Debug)]
pub enum RuleCode {
    Cond(Block),
    Each(QueryCode),
    Latest(QueryCode),
}

#[derive(Clone, Debug)]
pub struct RulePlan {
    pub code: RuleCode,
    pub points: f64,
    pub cap: Option<f64>,
}

/// One step of the per-lead evaluation, in dependency order.
#[derive(Clone, Debug)]
pub enum Step {
    Value {
        slot: u32,
        block: Block,
    },
    Score {
        index: u32,
        decay: Decay,
        range: Option<(f64, f64)>,
        rules: Vec<RulePlan>,
    },
    Tier {
        index: u32,
        arms: Vec<(Sym, Option<Block>)>,
    },
}

#[derive(Clone, Debug)]
pub struct TransitionPlan {
    pub from: Option<Sym>,
    pub to: Sym,
    pub cond: Block,
}

/// One compiled `expect` of a test, with its operands for failure reports.
#[derive(Clone, Debug)]
pub struct ExpectPlan {
    pub block: Block,
    pub operands: Vec<Block>,
}

/// A compiled model. Immutable, `Send + Sync`; evaluate any number of leads
/// with it from any number of threads.
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) code: Vec<Instr>,
    pub(crate) consts: Vec<Value>,
    pub(crate) regexes: Vec<regex::Regex>,
    pub(crate) aggs: Vec<AggCode>,
    pub(crate) steps: Vec<Step>,
    /// For each step, which declaration it computes (for error messages).
    pub(crate) step_decls: Vec<DeclRef>,
    /// For each step, where it is, in words ("let `x` (line 3)").
    pub(crate) step_where: Vec<String>,
    /// For each transition, where it is, in words.
    pub(crate) transition_where: Vec<String>,
    pub(crate) transitions: Vec<TransitionPlan>,
    pub(crate) first_stage: Option<Sym>,
    pub(crate) n_values: usize,
    pub(crate) n_scores: usize,
    pub(crate) n_tiers: usize,
    /// Per score, its number of rules.
    pub(crate) rule_counts: Vec<usize>,
    /// Segment slots in declaration order.
    pub(crate) segments: Vec<u32>,
    /// Criterion slots in declaration order.
    pub(crate) criteria: Vec<u32>,
    /// Per test of the model, its expects.
    pub(crate) tests: Vec<Vec<ExpectPlan>>,
    /// Names for the listing.
    pub(crate) names: Names,
    /// Source of each block, for the disassembly: (block, file, line, label).
    pub(crate) block_origins: Vec<(Block, u32, u32, String)>,
    /// Per instruction, the fast form of the block starting there (see
    /// `fast.rs`); filled once compilation is done.
    pub(crate) fast: Vec<crate::fast::Fast>,
    /// Per event type, what to read of a lead's events up front.
    pub(crate) touch: Vec<crate::vm::Touch>,
    /// The lead fields any block reads, to fetch their texts up front.
    pub(crate) touch_fields: Vec<u32>,
}

impl Program {
    /// Number of instructions, for statistics.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }
}

/// Names of slots, for the bytecode listing only.
#[derive(Clone, Debug, Default)]
pub(crate) struct Names {
    pub fields: Vec<String>,
    pub values: Vec<String>,
    pub scores: Vec<String>,
    pub tiers: Vec<String>,
    /// Event name and its field names.
    pub events: Vec<(String, Vec<String>)>,
    pub symbols: Vec<String>,
}
