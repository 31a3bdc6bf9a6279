//! The checked model (HIR): every name resolved to a slot or an index, every
//! expression typed, consts folded to values. The bytecode compiler, the
//! reference evaluator, explanations and the language server consume this.
//!
//! Indices are positions in the `Model`'s vectors; all vectors are in
//! declaration order (a `use`d file's declarations stand where its `use` is).

use std::sync::Arc;

use mql_core::{LeadRecord, Schema, Span, Sym, Ty, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// `model NAME` of the root file, if any.
    pub name: Option<String>,
    /// Every file of the model: `files[0]` is the root, the others were `use`d.
    pub files: Vec<Arc<str>>,
    /// Lead fields, events, stages and the enum symbol table.
    pub schema: Schema,
    pub consts: Vec<ConstDecl>,
    /// Lets, criteria and segments, in declaration order.
    pub values: Vec<ValueDecl>,
    pub scores: Vec<ScoreDecl>,
    pub tiers: Vec<TierDecl>,
    pub transitions: Vec<TransitionDecl>,
    /// Tests of the root file only (a `use`d file's tests are not run).
    pub tests: Vec<TestDecl>,
    /// Every let, criterion, segment, score and tier, each after everything it
    /// depends on: evaluating in this order needs no recursion.
    pub order: Vec<DeclRef>,
}

/// A reference to a named, lead-dependent value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclRef {
    Value(u32),
    Score(u32),
    Tier(u32),
}

/// Where a declaration (or rule) comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Index into [`Model::files`].
    pub file: u32,
    /// Span of the whole declaration/rule in that file.
    pub span: Span,
    /// 1-based line of its first token (the keyword for declarations).
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConstDecl {
    pub name: String,
    pub ty: Ty,
    pub value: Value,
    pub origin: Origin,
    pub doc: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    Let,
    Criterion,
    Segment,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueDecl {
    pub name: String,
    pub kind: ValueKind,
    pub ty: Ty,
    pub expr: Expr,
    pub origin: Origin,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScoreDecl {
    pub name: String,
    pub decay: Decay,
    /// `range LO to HI`
    pub range: Option<(f64, f64)>,
    pub rules: Vec<Rule>,
    pub origin: Origin,
    pub doc: Option<String>,
}

/// Decay parameters in milliseconds (as doubles), spec §6.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decay {
    None,
    HalfLife(f64),
    Linear(f64),
    /// `P% every D`: `percent` is P (0 < P <= 100), `every` is D.
    Step {
        percent: f64,
        every: f64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub kind: RuleKind,
    pub points: f64,
    /// `up to CAP` (CAP > 0)
    pub cap: Option<f64>,
    /// The rule's 1-based line and its source text with every run of white
    /// space collapsed to one space (as shown in `contributions`).
    pub line: u32,
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RuleKind {
    Cond(Expr),
    Each(Query),
    Latest(Query),
}

/// `EVENT [where COND] [within D]`, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Index into `schema.events`.
    pub event: u32,
    /// Evaluated per event, with the event's fields in scope (`EventField`).
    pub filter: Option<Box<Expr>>,
    /// Milliseconds (`0` selects nothing).
    pub within: Option<i64>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TierDecl {
    pub name: String,
    /// The enum type formed by the tier's labels.
    pub ty: Ty,
    pub arms: Vec<TierArm>,
    pub origin: Origin,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TierArm {
    pub label: Sym,
    /// `None` for `otherwise`.
    pub cond: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TransitionDecl {
    /// `None` for `any`.
    pub from: Option<Sym>,
    pub to: Sym,
    pub cond: Expr,
    /// File, span and the line of the `transition` keyword.
    pub origin: Origin,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TestDecl {
    pub name: String,
    /// The evaluation instant (default `2026-01-01T00:00:00Z`).
    pub as_of: i64,
    /// The test's lead, built from its literals: id (default the test's name),
    /// fields, `stage`, `stage_since` and events (already sorted).
    pub lead: LeadRecord,
    pub expects: Vec<Expr>,
    pub origin: Origin,
}

/// A typed expression. `span` is in the file of the enclosing declaration.
#[derive(Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

impl Clone for Expr {
    /// A derived clone recurses once per level of the tree; a deep one
    /// (4096 operators) overflowed a small stack when `explain` copied the
    /// model, so each level makes sure of its stack room.
    fn clone(&self) -> Expr {
        mql_core::deep(|| Expr {
            kind: self.kind.clone(),
            ty: self.ty.clone(),
            span: self.span,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal or a folded const.
    Lit(Value),
    /// A lead field, by slot in `schema.lead`.
    Field(u32),
    /// A field of the event being queried, by slot in its `EventDef` (only
    /// inside a query's `filter` or an aggregate's argument).
    EventField(u32),
    /// `at` of the event being queried.
    EventAt,
    /// The lead's `id`, as a string.
    Id,
    Now,
    /// Only in transition conditions.
    TimeInStage,
    /// The final stage; only in `expect`.
    Stage,
    /// A let, criterion or segment.
    ValueRef(u32),
    /// A score (a number, never unknown).
    ScoreRef(u32),
    /// A tier (its label enum, or unknown).
    TierRef(u32),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    /// `+ - * /`; operand types are on the operands (`int`, `number`,
    /// `time`, `duration`), the result type is `ty`.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `== != < <= > >=` on operands of the same type (int/number mixed).
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `value between lo and hi` = `lo <= value and value <= hi` (Kleene).
    Between {
        value: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
    },
    /// `value in list` / `value not in list` / `list contains value` (list typed).
    In {
        value: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    /// `s contains t`, `s starts_with t`, `s ends_with t` on strings.
    StrTest(StrOp, Box<Expr>, Box<Expr>),
    /// `s matches "regex"`; the pattern was compiled at check time.
    Matches(Box<Expr>, Pattern),
    Call(Func, Vec<Expr>),
    /// An aggregate over a query; `arg` is the per-event expression of
    /// `sum/avg/min/max/distinct`.
    Agg {
        kind: AggKind,
        query: Query,
        arg: Option<Box<Expr>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
}

/// Scalar functions of spec §5.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Lower,
    Upper,
    Trim,
    Length,
    Domain,
    Known,
    Default,
    Min,
    Max,
    Abs,
    Round,
    Since,
    Hour,
    Weekday,
    Day,
    Days,
}

/// Aggregates over an event query, spec §5.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggKind {
    Count,
    Exists,
    Sum,
    Avg,
    Min,
    Max,
    Distinct,
    First,
    Last,
}

/// A compiled regular expression, compared by its pattern text.
#[derive(Clone, Debug)]
pub struct Pattern(pub Arc<regex::Regex>);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Model {
    /// The file path a declaration came from.
    pub fn file(&self, origin: &Origin) -> &str {
        &self.files[origin.file as usize]
    }

    pub fn stage_name(&self, sym: Sym) -> &str {
        self.schema.symbols.name(sym)
    }
}
