//! Typed fast paths: the shape of every code block is recognised once, when
//! the program is compiled, and the common shapes (field and slot tests
//! against constants, enum lists, `domain(..) in [...]`, `between` on whole
//! numbers, aggregates compared with a constant, and `and`/`or`/`not` of
//! those) are kept as small trees the VM evaluates without its stack. Each
//! tree gives exactly the answer (and the error) of the block it stands for;
//! blocks of any other shape run on the stack machine.

use std::sync::Arc;

use mql_core::{Sym, Value};
use mql_sema::hir::{CmpOp, StrOp};

use crate::ops::{self, OpError};
use crate::program::{CmpKind, FuncKind, Instr, Program, Src};
use crate::vm::{field, Ctx, Scratch};

/// How the VM runs the block that starts at a given instruction.
#[derive(Clone, Debug, Default)]
pub(crate) enum Fast {
    /// On the stack machine.
    #[default]
    Slow,
    /// The block's value is one operand.
    Val(Val),
    /// The block is a truth test.
    Test(Test),
}

/// An operand read without the stack.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val {
    Field(u32),
    /// A field of the event being queried.
    Event(u32),
    /// The event's time.
    EventAt,
    /// A one-argument function of the event's time (`hour(at)`).
    AtFunc(FuncKind),
    Load(u32),
    LoadScore(u32),
    Agg(u32),
    Const(u32),
}

/// A truth test; evaluates to true, false or unknown (`None`).
#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// Compare an int, time or duration with a whole-number constant.
    I64 {
        src: Val,
        op: CmpOp,
        n: i64,
    },
    /// Compare a number (ints promoted) with a numeric constant.
    Num {
        src: Val,
        op: CmpOp,
        x: f64,
    },
    /// `src between lo and hi` on ints, times or durations.
    Between {
        src: Val,
        lo: i64,
        hi: i64,
    },
    /// An enum field in a constant list of enum values (`list` is the pool
    /// constant, used for the rare value that is not an enum).
    EnumIn {
        field: u32,
        set: Box<[Sym]>,
        negated: bool,
        list: u32,
    },
    /// `domain(field) in [...]` against a constant list of texts.
    DomainIn {
        field: u32,
        texts: Box<[Arc<str>]>,
        negated: bool,
    },
    /// Any other comparison with a pool constant.
    Cmp {
        src: Val,
        kind: CmpKind,
        op: CmpOp,
        c: u32,
    },
    /// Any other membership in a constant list.
    In {
        src: Val,
        negated: bool,
        list: u32,
    },
    /// A string test against a constant string.
    Str {
        src: Val,
        op: StrOp,
        c: u32,
    },
    /// A value used as a truth value (a bool field, criterion, `exists`).
    Truth(Val),
    Not(Box<Test>),
    And(Box<Test>, Box<Test>),
    Or(Box<Test>, Box<Test>),
}

/// One entry of the symbolic stack while a block is decoded.
enum Item {
    V(Val),
    T(Test),
    /// `domain(field)`, waiting for its `in`.
    Domain(u32),
    /// The first half of a `between`.
    Lo(Val, i64),
}

fn operand(src: Src) -> Val {
    match src {
        Src::Field(i) => Val::Field(i),
        Src::Event(i) => Val::Event(i),
    }
}

fn one_argument(k: FuncKind) -> bool {
    !matches!(
        k,
        FuncKind::Default
            | FuncKind::MinInt
            | FuncKind::MaxInt
            | FuncKind::MinNum
            | FuncKind::MaxNum
            | FuncKind::Round
    )
}

fn whole(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Int(i) | Value::Time(i) | Value::Duration(i) => Some(*i),
        _ => None,
    }
}

fn truth(item: Item) -> Option<Test> {
    match item {
        Item::V(v) => Some(Test::Truth(v)),
        Item::T(t) => Some(t),
        _ => None,
    }
}

fn compare(src: Val, kind: CmpKind, op: CmpOp, c: u32, consts: &[Value]) -> Test {
    let k = consts.get(c as usize);
    match kind {
        CmpKind::I64 => {
            if let Some(n) = whole(k) {
                return Test::I64 { src, op, n };
            }
        }
        CmpKind::Num => {
            if let Some(x) = k.and_then(Value::as_f64) {
                return Test::Num { src, op, x };
            }
        }
        _ => {}
    }
    Test::Cmp { src, kind, op, c }
}

fn member(src: Val, negated: bool, list: u32, consts: &[Value]) -> Test {
    if let (Val::Field(field), Some(Value::List(items))) = (src, consts.get(list as usize)) {
        let set: Option<Vec<Sym>> = items
            .iter()
            .map(|x| match x {
                Value::Enum(e) => Some(*e),
                _ => None,
            })
            .collect();
        if let Some(set) = set {
            return Test::EnumIn {
                field,
                set: set.into(),
                negated,
                list,
            };
        }
    }
    Test::In { src, negated, list }
}

/// At most this many `and`, `or` and `not` in a block with a fast form:
/// [`Program::test`] recurses once per level of the tree, and a longer
/// chain (a model may have thousands) runs on the stack machine instead.
const MAX_LOGIC: usize = 256;

/// The fast form of the block starting at `code[0]`, or `None`.
fn decode(code: &[Instr], consts: &[Value]) -> Option<Fast> {
    let mut stack: Vec<Item> = Vec::new();
    let mut logic = 0;
    for ins in code {
        if matches!(ins, Instr::AndEnd | Instr::OrEnd | Instr::Not) {
            logic += 1;
            if logic > MAX_LOGIC {
                return None;
            }
        }
        let item = match *ins {
            Instr::Const(i) => Item::V(Val::Const(i)),
            Instr::Field(i) => Item::V(Val::Field(i)),
            Instr::EventField(i) => Item::V(Val::Event(i)),
            Instr::EventAt => Item::V(Val::EventAt),
            Instr::Load(i) => Item::V(Val::Load(i)),
            Instr::LoadScore(i) => Item::V(Val::LoadScore(i)),
            Instr::Agg(i) => Item::V(Val::Agg(i)),
            Instr::FieldCmpConst(src, kind, op, c) => {
                Item::T(compare(operand(src), kind, op, c, consts))
            }
            Instr::FieldInConst(src, negated, list) => {
                Item::T(member(operand(src), negated, list, consts))
            }
            Instr::FieldStrConst(src, op, c) => Item::T(Test::Str {
                src: operand(src),
                op,
                c,
            }),
            Instr::CmpConst(kind, op, c) => match stack.pop()? {
                Item::V(v) => Item::T(compare(v, kind, op, c, consts)),
                _ => return None,
            },
            Instr::InConst { negated, list } => match stack.pop()? {
                Item::V(v) => Item::T(member(v, negated, list, consts)),
                Item::Domain(field) => {
                    let Some(Value::List(items)) = consts.get(list as usize) else {
                        return None;
                    };
                    // only texts can equal a domain
                    let texts = items
                        .iter()
                        .filter_map(|x| match x {
                            Value::Str(t) => Some(t.clone()),
                            _ => None,
                        })
                        .collect();
                    Item::T(Test::DomainIn {
                        field,
                        texts,
                        negated,
                    })
                }
                _ => return None,
            },
            Instr::StrConst(op, c) => match stack.pop()? {
                Item::V(v) => Item::T(Test::Str { src: v, op, c }),
                _ => return None,
            },
            Instr::Func(FuncKind::Domain) => match stack.pop()? {
                Item::V(Val::Field(f)) => Item::Domain(f),
                _ => return None,
            },
            Instr::Func(k) if one_argument(k) => match stack.pop()? {
                Item::V(Val::EventAt) => Item::V(Val::AtFunc(k)),
                _ => return None,
            },
            Instr::BetweenLo(CmpKind::I64, _) => {
                let Item::V(Val::Const(lo)) = stack.pop()? else {
                    return None;
                };
                let lo = whole(consts.get(lo as usize))?;
                match stack.pop()? {
                    Item::V(v) => Item::Lo(v, lo),
                    _ => return None,
                }
            }
            Instr::BetweenHi(CmpKind::I64) => {
                let Item::V(Val::Const(hi)) = stack.pop()? else {
                    return None;
                };
                let hi = whole(consts.get(hi as usize))?;
                match stack.pop()? {
                    Item::Lo(src, lo) => Item::T(Test::Between { src, lo, hi }),
                    _ => return None,
                }
            }
            // the short cut is the tree's own: the right side runs only
            // when the left does not decide
            Instr::AndJump(_) | Instr::OrJump(_) => continue,
            Instr::AndEnd | Instr::OrEnd => {
                let r = truth(stack.pop()?)?;
                let l = truth(stack.pop()?)?;
                Item::T(if *ins == Instr::AndEnd {
                    Test::And(Box::new(l), Box::new(r))
                } else {
                    Test::Or(Box::new(l), Box::new(r))
                })
            }
            Instr::Not => Item::T(Test::Not(Box::new(truth(stack.pop()?)?))),
            Instr::End => {
                let item = stack.pop()?;
                if !stack.is_empty() {
                    return None;
                }
                return match item {
                    Item::V(v) => Some(Fast::Val(v)),
                    Item::T(t) => Some(Fast::Test(t)),
                    _ => None,
                };
            }
            _ => return None,
        };
        stack.push(item);
    }
    None
}

/// The side table of a program: the fast form of a block starting at every
/// instruction (`Slow` where none applies or no block starts).
pub(crate) fn table(code: &[Instr], consts: &[Value]) -> Vec<Fast> {
    (0..code.len())
        .map(|i| decode(&code[i..], consts).unwrap_or_default())
        .collect()
}

/// `Bool(b)` or unknown.
#[inline(always)]
pub(crate) fn tri_value(t: Option<bool>) -> Value {
    t.map_or(Value::Unknown, Value::Bool)
}

#[inline(always)]
fn whole_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) | Value::Time(i) | Value::Duration(i) => Some(*i),
        _ => None,
    }
}

/// `v OP n` for a test on a whole number (unknown when `v` is none).
#[inline(always)]
fn whole_test(v: &Value, op: CmpOp, n: i64) -> Option<bool> {
    whole_of(v).map(|x| ops::ord_holds(op, x.cmp(&n)))
}

/// `v OP x` for a test on a number (ints promoted).
#[inline(always)]
fn num_test(v: &Value, op: CmpOp, x: f64) -> Option<bool> {
    v.as_f64().map(|a| ops::num_holds(op, a, x))
}

/// `v between lo and hi` on whole numbers.
#[inline(always)]
fn between(v: &Value, lo: i64, hi: i64) -> Option<bool> {
    whole_of(v).map(|x| lo <= x && x <= hi)
}

/// The domain of an address, lower-cased, compared with the texts; `None`
/// when the address has no `@` or is not text.
#[inline]
fn domain_in(v: &Value, texts: &[Arc<str>]) -> Option<bool> {
    let Value::Str(s) = v else { return None };
    let d = &s[s.rfind('@')? + 1..];
    let is = |d: &str| texts.iter().any(|t| t.as_bytes() == d.as_bytes());
    Some(
        if d.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            is(d)
        } else {
            is(&d.to_lowercase())
        },
    )
}

impl Program {
    /// Apply `f` to an operand's value, by reference where it has one.
    #[inline(always)]
    fn with_val<R>(
        &self,
        v: Val,
        ctx: &Ctx,
        s: &mut Scratch,
        f: impl FnOnce(&Value) -> R,
    ) -> Result<R, OpError> {
        Ok(match v {
            Val::Field(i) => f(field(ctx, Src::Field(i))),
            Val::Event(i) => f(field(ctx, Src::Event(i))),
            Val::EventAt => f(&ctx.event.map_or(Value::Unknown, |e| Value::Time(e.at))),
            Val::AtFunc(k) => {
                let at = ctx.event.map_or(Value::Unknown, |e| Value::Time(e.at));
                f(&ops::call(k, std::slice::from_ref(&at), ctx.now)?)
            }
            Val::Load(i) => f(&s.slots[i as usize]),
            Val::LoadScore(i) => f(&Value::Number(s.scores[i as usize])),
            Val::Const(i) => f(&self.consts[i as usize]),
            Val::Agg(i) => {
                let v = self.aggregate(&self.aggs[i as usize], ctx, s)?;
                f(&v)
            }
        })
    }

    /// An operand's value.
    #[inline]
    pub(crate) fn val(&self, v: Val, ctx: &Ctx, s: &mut Scratch) -> Result<Value, OpError> {
        self.with_val(v, ctx, s, Value::clone)
    }

    /// An operand's value as a truth value, without copying it.
    #[inline]
    pub(crate) fn val_truth(
        &self,
        v: Val,
        ctx: &Ctx,
        s: &mut Scratch,
    ) -> Result<Option<bool>, OpError> {
        self.with_val(v, ctx, s, Value::as_bool)
    }

    /// A test's truth value.
    #[inline]
    pub(crate) fn test(
        &self,
        t: &Test,
        ctx: &Ctx,
        s: &mut Scratch,
    ) -> Result<Option<bool>, OpError> {
        match self.leaf(t, ctx, s) {
            Some(r) => Ok(r),
            None => self.test_tree(t, ctx, s),
        }
    }

    /// An operand that is read without a call: a field, a slot or a
    /// constant (`None` for the others).
    #[inline(always)]
    fn plain<'v>(&'v self, v: Val, ctx: &Ctx<'v>, s: &'v Scratch) -> Option<&'v Value> {
        match v {
            Val::Field(i) => Some(field(ctx, Src::Field(i))),
            Val::Event(i) => Some(field(ctx, Src::Event(i))),
            Val::Load(i) => s.slots.get(i as usize),
            Val::Const(i) => self.consts.get(i as usize),
            _ => None,
        }
    }

    /// The test's truth value when it is one comparison of a plain operand
    /// (most tests of a model), `None` otherwise. It makes no call, so the
    /// usual test costs a few instructions instead of a call into the
    /// general tree walk with all its registers to save.
    #[inline(always)]
    fn leaf(&self, t: &Test, ctx: &Ctx, s: &Scratch) -> Option<Option<bool>> {
        Some(match t {
            Test::Num {
                src: Val::LoadScore(i),
                op,
                x,
            } => Some(ops::num_holds(*op, *s.scores.get(*i as usize)?, *x)),
            Test::Num { src, op, x } => num_test(self.plain(*src, ctx, s)?, *op, *x),
            Test::I64 { src, op, n } => whole_test(self.plain(*src, ctx, s)?, *op, *n),
            Test::Between { src, lo, hi } => between(self.plain(*src, ctx, s)?, *lo, *hi),
            Test::EnumIn {
                field: f,
                set,
                negated,
                ..
            } => match field(ctx, Src::Field(*f)) {
                Value::Enum(e) => Some(set.contains(e) != *negated),
                Value::Unknown => None,
                _ => return None,
            },
            Test::Truth(v) => self.plain(*v, ctx, s)?.as_bool(),
            _ => return None,
        })
    }

    /// [`Program::test`] for any test.
    #[inline(never)]
    fn test_tree(&self, t: &Test, ctx: &Ctx, s: &mut Scratch) -> Result<Option<bool>, OpError> {
        Ok(match t {
            Test::I64 { src, op, n } => self.with_val(*src, ctx, s, |v| whole_test(v, *op, *n))?,
            Test::Num { src, op, x } => self.with_val(*src, ctx, s, |v| num_test(v, *op, *x))?,
            Test::Between { src, lo, hi } => {
                self.with_val(*src, ctx, s, |v| between(v, *lo, *hi))?
            }
            Test::EnumIn {
                field: f,
                set,
                negated,
                list,
            } => match field(ctx, Src::Field(*f)) {
                Value::Enum(e) => Some(set.contains(e) != *negated),
                Value::Unknown => None,
                other => ops::member(other, &self.consts[*list as usize], *negated).as_bool(),
            },
            Test::DomainIn {
                field: f,
                texts,
                negated,
            } => domain_in(field(ctx, Src::Field(*f)), texts).map(|b| b != *negated),
            Test::Cmp { src, kind, op, c } => self.with_val(*src, ctx, s, |v| {
                ops::compare(*kind, *op, v, &self.consts[*c as usize]).as_bool()
            })?,
            Test::In { src, negated, list } => self.with_val(*src, ctx, s, |v| {
                ops::member(v, &self.consts[*list as usize], *negated).as_bool()
            })?,
            Test::Str { src, op, c } => self.with_val(*src, ctx, s, |v| {
                ops::str_test(*op, v, &self.consts[*c as usize]).as_bool()
            })?,
            Test::Truth(v) => self.with_val(*v, ctx, s, Value::as_bool)?,
            Test::Not(t) => self.test(t, ctx, s)?.map(|b| !b),
            Test::And(l, r) => match self.test(l, ctx, s)? {
                Some(false) => Some(false),
                l => match (l, self.test(r, ctx, s)?) {
                    (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
            },
            Test::Or(l, r) => match self.test(l, ctx, s)? {
                Some(true) => Some(true),
                l => match (l, self.test(r, ctx, s)?) {
                    (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Fast, Test};

    /// Every block the §1 model runs per lead has a fast form, so none of
    /// it runs on the stack machine (its test's expects may).
    #[test]
    fn the_reference_model_runs_without_the_stack() {
        let src = include_str!("../../mql-sema/tests/fixtures/spec_example.mql");
        let checked = mql_sema::check_source("spec.mql", src);
        let model = checked.model.expect("the §1 model checks");
        let p = crate::compile(&model);
        let mut slow = Vec::new();
        for (b, _, line, label) in &p.block_origins {
            if matches!(p.fast[b.0 as usize], Fast::Slow) && !label.starts_with("test ") {
                slow.push(format!("{label} (line {line})"));
            }
        }
        assert!(slow.is_empty(), "blocks on the stack machine: {slow:?}");
        let shape = |label: &str| {
            let (b, ..) = p
                .block_origins
                .iter()
                .find(|o| o.3 == label)
                .unwrap_or_else(|| panic!("no block `{label}`"));
            &p.fast[b.0 as usize]
        };
        assert!(matches!(
            shape("score `fit`: company_size between 200 and 5000 => +10"),
            Fast::Test(Test::Between {
                lo: 200,
                hi: 5000,
                ..
            })
        ));
        assert!(matches!(
            shape("criterion `personal_email`"),
            Fast::Test(Test::DomainIn { negated: false, .. })
        ));
        assert!(matches!(
            shape("criterion `decision_maker`"),
            Fast::Test(Test::EnumIn { negated: false, .. })
        ));
        assert!(matches!(
            shape("transition lead -> mql"),
            Fast::Test(Test::And(..))
        ));
    }
}
