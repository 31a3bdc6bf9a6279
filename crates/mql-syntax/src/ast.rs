//! The owned syntax tree of one `.mql` file. Every node carries the byte span of
//! its text; nothing here borrows the source, so trees can be stored (salsa) and
//! shared. Names are resolved later, by `mql-sema`.

use mql_core::Span;
use serde::Serialize;

/// One parsed file: the declarations that parsed (in source order) and the
/// syntax errors of those that did not.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct SourceFile {
    pub decls: Vec<Decl>,
    /// Syntax errors (and literal errors found while lowering, e.g. an integer
    /// that overflows or an invalid duration).
    #[serde(skip)]
    pub diagnostics: Vec<mql_core::Diagnostic>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A `///` doc comment block: the lines' text without the `///` and one
/// following space, joined with `\n`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Doc {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decl {
    pub kind: DeclKind,
    /// The whole declaration, from its keyword (not its doc comment) to its end.
    pub span: Span,
    /// Span of the declaration's leading keyword (`score`, `transition`, …).
    pub keyword: Span,
    pub doc: Option<Doc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum DeclKind {
    Model(Ident),
    Use(StrLit),
    Lead(FieldBlock),
    Event {
        name: Ident,
        fields: FieldBlock,
    },
    Const(NamedExpr),
    Let(NamedExpr),
    Criterion(NamedExpr),
    Segment(NamedExpr),
    Score(ScoreDecl),
    Tier(TierDecl),
    /// The stages in funnel order, each with its labels.
    Stages(Vec<Variant>),
    Transition(TransitionDecl),
    Test(TestDecl),
}

impl DeclKind {
    /// The declared name, for declarations that have one.
    pub fn name(&self) -> Option<&Ident> {
        match self {
            DeclKind::Model(n) => Some(n),
            DeclKind::Event { name, .. } => Some(name),
            DeclKind::Const(n)
            | DeclKind::Let(n)
            | DeclKind::Criterion(n)
            | DeclKind::Segment(n) => Some(&n.name),
            DeclKind::Score(s) => Some(&s.name),
            DeclKind::Tier(t) => Some(&t.name),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StrLit {
    /// The string's value, escapes decoded.
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedExpr {
    pub name: Ident,
    pub value: Expr,
}

/// The inside of a `lead { … }` or `event NAME { … }` block: the block's
/// placeholders (`missing "Select", "N/A"` as its first item) and its fields.
/// It reads as the slice of its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FieldBlock {
    pub missing: Option<Missing>,
    pub fields: Vec<FieldDecl>,
}

impl std::ops::Deref for FieldBlock {
    type Target = [FieldDecl];

    fn deref(&self) -> &[FieldDecl] {
        &self.fields
    }
}

impl<'a> IntoIterator for &'a FieldBlock {
    type Item = &'a FieldDecl;
    type IntoIter = std::slice::Iter<'a, FieldDecl>;

    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

/// `FIELD: TYPE [from "NAME"] [missing "TEXT", …]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    /// `from "NAME"`: the data key or column that fills the field.
    pub source: Option<StrLit>,
    /// `missing "TEXT", …`: this field's own placeholders.
    pub missing: Option<Missing>,
    pub span: Span,
}

/// `missing "TEXT", …`: texts that mean "no value" in the data. May be empty
/// (the checker reports it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub texts: Vec<StrLit>,
    /// From `missing` to the last text.
    pub span: Span,
}

/// An enum value or a stage with the labels data may spell it with:
/// `vp "Vice President" "VP"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Variant {
    pub name: Ident,
    pub labels: Vec<StrLit>,
}

impl Variant {
    /// The variant's name and its labels.
    pub fn span(&self) -> Span {
        match self.labels.last() {
            Some(l) => self.name.span.to(l.span),
            None => self.name.span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TypeKind {
    Int,
    Number,
    Bool,
    String,
    Time,
    Duration,
    /// `enum { a, b "Label" }`: the variants as written, with their labels
    /// (may be empty or hold duplicates; the checker reports both).
    Enum(Vec<Variant>),
    List(Box<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreDecl {
    pub name: Ident,
    /// `decay …` and `range … to …`, in source order (duplicates kept for the
    /// checker to report).
    pub options: Vec<ScoreOption>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreOption {
    pub kind: ScoreOptionKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ScoreOptionKind {
    Decay(Decay),
    /// `range LO to HI` (each a signed literal or const).
    Range {
        lo: Expr,
        hi: Expr,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Decay {
    /// `decay none`
    None,
    /// `decay half_life D`
    HalfLife(Expr),
    /// `decay linear D`
    Linear(Expr),
    /// `decay P% every D`: `percent` is a `Percent` literal, or a name of a
    /// numeric const followed by `%`.
    Step { percent: Expr, every: Expr },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    pub kind: RuleKind,
    /// `+25`, `-30`, `12.5`, `-penalty`: a `Unary(Plus|Neg)` around a literal or
    /// a name, or a bare literal or name.
    pub points: Expr,
    /// `up to CAP`
    pub cap: Option<Expr>,
    /// The whole rule.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum RuleKind {
    /// `COND => POINTS`
    Cond(Expr),
    /// `each QUERY => POINTS [up to CAP]`
    Each(Query),
    /// `latest QUERY => POINTS`
    Latest(Query),
}

/// `EVENT [where COND] [within DURATION]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Query {
    pub event: Ident,
    pub filter: Option<Box<Expr>>,
    pub within: Option<Box<Expr>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierDecl {
    pub name: Ident,
    pub arms: Vec<TierArm>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierArm {
    pub label: Ident,
    /// `None` for `otherwise`.
    pub cond: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransitionDecl {
    /// `None` for `any` (its span is `any_span`).
    pub from: Option<Ident>,
    pub any_span: Option<Span>,
    pub to: Ident,
    pub cond: Expr,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestDecl {
    pub name: StrLit,
    pub items: Vec<TestItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestItem {
    pub kind: TestItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TestItemKind {
    /// `as_of @…` (a time literal or a const).
    AsOf(Expr),
    /// `lead { field: LITERAL, … }`
    Lead(Vec<LitField>),
    /// `events { … }`
    Events(Vec<EventLit>),
    /// `expect EXPR`
    Expect(Expr),
}

/// `name: LITERAL` inside a test's lead or event literal. The value is an
/// expression restricted by the grammar to literals, (signed) numbers, names
/// (enum variants or consts) and lists of those.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LitField {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventLit {
    pub event: Ident,
    pub fields: Vec<LitField>,
    pub when: EventWhen,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum EventWhen {
    /// `at @TIME` (time literal or const)
    At(Expr),
    /// `2d ago` (a duration literal or const), relative to the test's `as_of`
    Ago(Expr),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ExprKind {
    /// An integer literal; `None` when it does not fit in i64 (the parser has
    /// already reported it).
    Int(Option<i64>),
    Number(f64),
    Str(String),
    Bool(bool),
    /// Whole milliseconds; `None` when invalid (already reported).
    Duration(Option<i64>),
    /// Milliseconds since the epoch, UTC; `None` when invalid (already reported).
    Time(Option<i64>),
    /// `25%` as 25.0 (only valid in `decay P% every D`).
    Percent(f64),
    List(Vec<Expr>),
    /// Any bare name: a declaration, a field, `now`, `id`, `stage`,
    /// `time_in_stage`, `at`, an enum variant, a stage name, an event name
    /// (as an aggregate's first argument).
    Name(Ident),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x between lo and hi`
    Between {
        value: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
    },
    /// `f(args…)`; an aggregate's first argument is a `Query` when written
    /// with `where`/`within`, or a bare `Name` of an event otherwise.
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `EVENT where … within …` as a call argument.
    Query(Box<Query>),
    /// `( e )`, kept so that spans and the formatter see the parentheses.
    Paren(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x` (only in points)
    Plus,
    /// `not x`
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    /// The operator as written in source.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Contains => "contains",
            BinaryOp::StartsWith => "starts_with",
            BinaryOp::EndsWith => "ends_with",
            BinaryOp::Matches => "matches",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        !matches!(
            self,
            BinaryOp::Or
                | BinaryOp::And
                | BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Div
        )
    }
}
