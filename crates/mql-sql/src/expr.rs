//! Expressions of the checked model as SQL. Each expression gives a value
//! (NULL for unknown: SQL's three-valued logic is Kleene's, as §5.4 asks)
//! and, where evaluation can fail, an error: SQL that is NULL, or the kind of
//! evaluation error (`whole-number overflow`) when `mql eval` would stop on
//! this expression, respecting which operands it skips (`and`, `or`,
//! `between`). Values never make the engine fail: overflowing integer
//! operations give NULL, and the error says so.
//!
//! An operand that an operation needs more than once is computed once as a
//! helper column of an earlier step ("hoisted"), so the query grows linearly
//! with the model.

use std::collections::{BTreeSet, HashSet};

use mql_core::{Ty, Value};
use mql_sema::hir::{ArithOp, CmpOp, DeclRef, Expr, ExprKind, Func, Query, StrOp};

use crate::build::{AggSpec, Builder};
use crate::dialect::SqlTy;
use crate::frag::{
    bin, call, case, cmp, coalesce, is_null, not, Frag, P_ADD, P_AND, P_CMP, P_MUL, P_NEG, P_OR,
};
use crate::input::sql_ty;
use crate::CompileError;

pub const INT_OVERFLOW: &str = "whole-number overflow";
pub const TIME_OVERFLOW: &str = "duration or time out of range";

/// An expression's value and, if it can fail, its error.
#[derive(Clone, Debug)]
pub struct Code {
    pub v: Frag,
    pub e: Option<Frag>,
}

impl Code {
    fn ok(v: Frag) -> Code {
        Code { v, e: None }
    }
}

/// Where an expression is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Lead,
    /// Per event of this type, inside a query.
    Event(u32),
}

/// What `time_in_stage` is in a transition condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tis {
    /// Not in a transition condition.
    None,
    /// The starting stage: `now - stage_since`.
    Start,
    /// Right after a move: zero.
    Moved,
}

/// A helper column: name, SQL, type.
pub type Temp = (String, Frag, SqlTy);

pub struct Cx<'a, 'm> {
    pub b: &'a mut Builder<'m>,
    pub scope: Scope,
    pub tis: Tis,
    /// Helper columns by layer.
    pub temps: Vec<Vec<Temp>>,
    /// Aggregates the expression reads (lead scope).
    pub aggs: BTreeSet<usize>,
    /// Declarations the expression reads.
    pub deps: HashSet<DeclRef>,
    /// Whether an event-scope expression reads anything of the lead.
    pub lead_ref: bool,
    /// The declaration, for messages: "criterion `x` (line 3)".
    pub place: String,
}

fn err_text(cx: &Cx, kind: &str) -> Frag {
    Frag::simple(cx.b.d.text(kind).unwrap_or_default())
}

/// The errors of operands evaluated in order, then the operation's own.
fn first_error(parts: Vec<Option<Frag>>) -> Option<Frag> {
    let parts: Vec<Frag> = parts.into_iter().flatten().collect();
    if parts.is_empty() {
        None
    } else {
        Some(coalesce(&parts))
    }
}

impl<'a, 'm> Cx<'a, 'm> {
    pub fn new(b: &'a mut Builder<'m>, scope: Scope, tis: Tis, place: String) -> Cx<'a, 'm> {
        Cx {
            b,
            scope,
            tis,
            temps: Vec::new(),
            aggs: BTreeSet::new(),
            deps: HashSet::new(),
            lead_ref: false,
            place,
        }
    }

    fn refuse(&self, reason: String) -> CompileError {
        CompileError::new(format!(
            "{} cannot be compiled for {}: {reason}",
            self.place,
            self.b.d.title()
        ))
    }

    /// A fragment usable several times: itself when it is a column or a
    /// short literal, else a helper column computed in an earlier step.
    pub fn share(&mut self, f: Frag, ty: SqlTy) -> Frag {
        if f.simple {
            return f;
        }
        let layer = f.layer as usize;
        while self.temps.len() <= layer {
            self.temps.push(Vec::new());
        }
        let name = self.b.names.fresh("tmp");
        self.temps[layer].push((name.clone(), f, ty));
        Frag::simple(name).layered(layer as u32 + 1)
    }

    fn share_e(&mut self, e: &Expr, f: Frag) -> Frag {
        self.share(f, sql_ty(&e.ty))
    }

    fn lit(&self, v: &Value, ty: &Ty) -> Result<Frag, CompileError> {
        let d = self.b.d;
        Ok(match v {
            Value::Unknown => d.null(&sql_ty(ty)),
            Value::Bool(b) => Frag::simple(if *b { "TRUE" } else { "FALSE" }),
            Value::Int(i) if *ty == Ty::Number => d.double(*i as f64),
            Value::Int(i) | Value::Time(i) | Value::Duration(i) => d.int(*i),
            Value::Number(n) => d.double(*n),
            Value::Str(s) => {
                let t = d.text(s).ok_or_else(|| {
                    self.refuse(
                        "its text holds a NUL character, which the engine cannot store".into(),
                    )
                })?;
                if t.len() <= 40 {
                    Frag::simple(t)
                } else {
                    Frag::atom(t)
                }
            }
            Value::Enum(s) => {
                let name = self.b.model.schema.symbols.name(*s);
                Frag::simple(d.text(name).unwrap_or_default())
            }
            Value::List(items) => {
                let elem = match ty {
                    Ty::List(t) => (**t).clone(),
                    _ => Ty::String,
                };
                let parts = items
                    .iter()
                    .map(|i| self.lit(i, &elem))
                    .collect::<Result<Vec<_>, _>>()?;
                d.array_lit(&parts, &sql_ty(&elem))
            }
        })
    }

    /// A numeric value as a double.
    fn as_double(&self, f: Frag, ty: &Ty) -> Frag {
        if *ty == Ty::Int {
            self.b.d.cast(&f, &SqlTy::Double)
        } else {
            f
        }
    }

    pub fn expr(&mut self, e: &Expr) -> Result<Code, CompileError> {
        if mql_sema::fold::is_const(e) && !matches!(e.kind, ExprKind::Lit(_)) {
            if let Ok(v) = mql_sema::fold::eval(e) {
                return Ok(Code::ok(self.lit(&v, &e.ty)?));
            }
        }
        let d = self.b.d;
        Ok(match &e.kind {
            ExprKind::Lit(v) => Code::ok(self.lit(v, &e.ty)?),
            ExprKind::Field(i) => {
                if let Scope::Event(_) = self.scope {
                    self.lead_ref = true;
                }
                Code::ok(Frag::simple(self.b.lead_field(*i)))
            }
            ExprKind::EventField(i) => {
                let Scope::Event(ev) = self.scope else {
                    return Err(self.refuse("an event field is used outside a query".into()));
                };
                Code::ok(Frag::simple(self.b.event_field(ev, *i)))
            }
            ExprKind::EventAt => Code::ok(Frag::simple("at_ms")),
            ExprKind::Id => {
                self.lead_ref = true;
                Code::ok(d.to_text(&Frag::simple("lead_key")))
            }
            ExprKind::Now => Code::ok(self.b.now.clone()),
            ExprKind::TimeInStage => match self.tis {
                Tis::Moved => Code::ok(d.int(0)),
                Tis::Start => {
                    self.lead_ref = true;
                    let since = Frag::simple(self.b.stage_since_col());
                    Code::ok(bin(&self.b.now.clone(), "-", &since, P_ADD))
                }
                Tis::None => {
                    return Err(self.refuse("`time_in_stage` is used outside a transition".into()))
                }
            },
            ExprKind::Stage => {
                return Err(self.refuse("`stage` is only known in a test's `expect`".into()))
            }
            ExprKind::ValueRef(i) => self.decl_ref(DeclRef::Value(*i)),
            ExprKind::ScoreRef(i) => self.decl_ref(DeclRef::Score(*i)),
            ExprKind::TierRef(i) => self.decl_ref(DeclRef::Tier(*i)),
            ExprKind::Neg(a) => self.neg(a)?,
            ExprKind::Not(a) => {
                let c = self.expr(a)?;
                Code {
                    v: not(&c.v),
                    e: c.e,
                }
            }
            ExprKind::Arith(op, a, b) => self.arith(*op, a, b, &e.ty)?,
            ExprKind::Cmp(op, a, b) => {
                let (ca, cb) = (self.expr(a)?, self.expr(b)?);
                let v = self.compare(*op, ca.v, &a.ty, cb.v, &b.ty);
                Code {
                    v,
                    e: first_error(vec![ca.e, cb.e]),
                }
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let is_and = matches!(e.kind, ExprKind::And(..));
                let ca = self.expr(a)?;
                let cb = self.expr(b)?;
                let (op, prec) = if is_and { ("AND", P_AND) } else { ("OR", P_OR) };
                match cb.e {
                    None => Code {
                        v: bin(&ca.v, op, &cb.v, prec),
                        e: ca.e,
                    },
                    Some(eb) => {
                        // the right side runs only when the left does not decide
                        let left = self.share(ca.v, SqlTy::Bool);
                        let decided = coalesce(&[
                            left.clone(),
                            Frag::simple(if is_and { "TRUE" } else { "FALSE" }),
                        ]);
                        let runs = if is_and { decided } else { not(&decided) };
                        let eb = case(&[(runs, eb)], None);
                        Code {
                            v: bin(&left, op, &cb.v, prec),
                            e: first_error(vec![ca.e, Some(eb)]),
                        }
                    }
                }
            }
            ExprKind::Between { value, lo, hi } => {
                let cv = self.expr(value)?;
                let cl = self.expr(lo)?;
                let ch = self.expr(hi)?;
                let numeric_mix = [&value.ty, &lo.ty, &hi.ty]
                    .iter()
                    .any(|t| **t == Ty::Number);
                let fix = |cx: &Self, f: Frag, t: &Ty| {
                    if numeric_mix {
                        cx.as_double(f, t)
                    } else if *t == Ty::String {
                        cx.b.d.byte_order(&f)
                    } else {
                        f
                    }
                };
                match ch.e {
                    None => {
                        let (v, l, h) = (
                            fix(self, cv.v, &value.ty),
                            fix(self, cl.v, &lo.ty),
                            fix(self, ch.v, &hi.ty),
                        );
                        Code {
                            v: d.between(&v, &l, &h),
                            e: first_error(vec![cv.e, cl.e]),
                        }
                    }
                    Some(eh) => {
                        let v = self.share_e(value, cv.v);
                        let l = self.share_e(lo, cl.v);
                        let (fv, fl) = (
                            fix(self, v.clone(), &value.ty),
                            fix(self, l.clone(), &lo.ty),
                        );
                        let first = cmp(&fl, "<=", &fv);
                        let runs = coalesce(&[first, Frag::simple("TRUE")]);
                        let fh = fix(self, ch.v, &hi.ty);
                        Code {
                            v: d.between(&fv, &fl, &fh),
                            e: first_error(vec![cv.e, cl.e, Some(case(&[(runs, eh)], None))]),
                        }
                    }
                }
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => self.member(value, list, *negated)?,
            ExprKind::StrTest(op, a, b) => {
                let (ca, cb) = (self.expr(a)?, self.expr(b)?);
                let v = match op {
                    StrOp::Contains => d.contains(&ca.v, &cb.v),
                    StrOp::StartsWith => d.starts_with(&ca.v, &cb.v),
                    StrOp::EndsWith => d.ends_with(&ca.v, &cb.v),
                };
                Code {
                    v,
                    e: first_error(vec![ca.e, cb.e]),
                }
            }
            ExprKind::Matches(a, pat) => {
                let ca = self.expr(a)?;
                let t = crate::regex::translate(pat.0.as_str(), d.regex_flavor()).map_err(|why| {
                    self.refuse(format!(
                        "the pattern `{}` could match differently in its regular expressions: {why}",
                        pat.0.as_str()
                    ))
                })?;
                Code {
                    v: d.regex_find(&ca.v, &t.pattern, t.case_insensitive),
                    e: ca.e,
                }
            }
            ExprKind::Call(f, args) => self.call(*f, args, &e.ty)?,
            ExprKind::Agg { kind, query, arg } => {
                if let Scope::Event(_) = self.scope {
                    return Err(self.refuse("a query inside a query".into()));
                }
                self.agg(AggSpec::Plain(*kind), query, arg.as_deref())?
            }
        })
    }

    fn decl_ref(&mut self, r: DeclRef) -> Code {
        if let Scope::Event(_) = self.scope {
            self.lead_ref = true;
        }
        self.deps.insert(r);
        Code::ok(Frag::simple(self.b.decl_col(r)))
    }

    fn neg(&mut self, a: &Expr) -> Result<Code, CompileError> {
        let ca = self.expr(a)?;
        let d = self.b.d;
        Ok(match a.ty {
            Ty::Int | Ty::Duration => {
                let kind = if a.ty == Ty::Int {
                    INT_OVERFLOW
                } else {
                    TIME_OVERFLOW
                };
                let x = self.share_e(a, ca.v);
                let min = d.int(i64::MIN);
                let v = Frag::with_prec(format!("-{}", call("NULLIF", &[&x, &min]).s()), P_NEG)
                    .layered(x.layer);
                let own = case(&[(cmp(&x, "=", &min), err_text(self, kind))], None);
                Code {
                    v,
                    e: first_error(vec![ca.e, Some(own)]),
                }
            }
            _ => Code {
                v: Frag::with_prec(format!("-{}", ca.v.at(P_NEG)), P_NEG).layered(ca.v.layer),
                e: ca.e,
            },
        })
    }

    /// `a op b` on 64-bit integers (ints, times, durations) with the
    /// overflow test.
    fn int_op(&mut self, op: char, a: Code, b: Code, kind: &str) -> Code {
        let d = self.b.d;
        let x = self.share(a.v, SqlTy::Int);
        let y = self.share(b.v, SqlTy::Int);
        let v = d.int_checked(op, &x, &y);
        let wide = d.wide(op, &x, &y);
        let range = Frag::with_prec(
            format!(
                "{} NOT BETWEEN {} AND {}",
                wide.at(P_CMP + 1),
                crate::dialect::I64_MIN,
                crate::dialect::I64_MAX
            ),
            P_CMP,
        )
        .layered(wide.layer);
        let own = case(&[(range, err_text(self, kind))], None);
        Code {
            v,
            e: first_error(vec![a.e, b.e, Some(own)]),
        }
    }

    /// A double number of milliseconds rounded half away from zero to a
    /// duration, with the range test.
    fn duration_of(&mut self, x: Frag, errs: Vec<Option<Frag>>) -> Code {
        let d = self.b.d;
        let x = self.share(x, SqlTy::Double);
        let r = self.share(d.round_half_away(&x), SqlTy::Double);
        let limit = d.double(9.223_372_036_854_776e18);
        let neg_limit = d.double(-9.223_372_036_854_776e18);
        let out = Frag::with_prec(
            format!(
                "{} >= {} OR {} < {}",
                r.at(P_CMP + 1),
                limit.at(P_CMP + 1),
                r.at(P_CMP + 1),
                neg_limit.at(P_CMP + 1)
            ),
            P_OR,
        )
        .layered(r.layer);
        let v = case(
            &[(out.clone(), Frag::simple("NULL"))],
            Some(&d.cast(&r, &SqlTy::Int)),
        );
        let own = case(&[(out, err_text(self, TIME_OVERFLOW))], None);
        let mut errs = errs;
        errs.push(Some(own));
        Code {
            v,
            e: first_error(errs),
        }
    }

    fn arith(&mut self, op: ArithOp, a: &Expr, b: &Expr, ty: &Ty) -> Result<Code, CompileError> {
        let ca = self.expr(a)?;
        let cb = self.expr(b)?;
        let d = self.b.d;
        let sym = match op {
            ArithOp::Add => '+',
            ArithOp::Sub => '-',
            ArithOp::Mul => '*',
            ArithOp::Div => '/',
        };
        use Ty::*;
        Ok(match (op, &a.ty, &b.ty) {
            (ArithOp::Add | ArithOp::Sub | ArithOp::Mul, Int, Int) => {
                self.int_op(sym, ca, cb, INT_OVERFLOW)
            }
            (ArithOp::Add | ArithOp::Sub, Time | Duration, Time | Duration) => {
                self.int_op(sym, ca, cb, TIME_OVERFLOW)
            }
            (ArithOp::Div, Duration, Duration) => {
                let x = d.cast(&ca.v, &SqlTy::Double);
                let y = d.cast(&cb.v, &SqlTy::Double);
                let zero = d.double(0.0);
                Code {
                    v: bin(&x, "/", &call("NULLIF", &[&y, &zero]), P_MUL),
                    e: first_error(vec![ca.e, cb.e]),
                }
            }
            (ArithOp::Mul, Duration, n) | (ArithOp::Mul, n, Duration) => {
                let (dur, num, num_ty) = if a.ty == Duration {
                    (&ca.v, &cb.v, n)
                } else {
                    (&cb.v, &ca.v, n)
                };
                let x = d.cast(dur, &SqlTy::Double);
                let num = self.as_double(num.clone(), num_ty);
                let prod = if a.ty == Duration {
                    bin(&x, "*", &num, P_MUL)
                } else {
                    bin(&num, "*", &x, P_MUL)
                };
                self.duration_of(prod, vec![ca.e, cb.e])
            }
            (ArithOp::Div, Duration, n) => {
                let x = d.cast(&ca.v, &SqlTy::Double);
                let num = self.as_double(cb.v.clone(), n);
                let zero = d.double(0.0);
                let q = bin(&x, "/", &call("NULLIF", &[&num, &zero]), P_MUL);
                self.duration_of(q, vec![ca.e, cb.e])
            }
            _ => {
                let _ = ty;
                let x = self.as_double(ca.v, &a.ty);
                let y = self.as_double(cb.v, &b.ty);
                let v = match op {
                    ArithOp::Add => bin(&x, "+", &y, P_ADD),
                    ArithOp::Sub => bin(&x, "-", &y, P_ADD),
                    ArithOp::Mul => bin(&x, "*", &y, P_MUL),
                    ArithOp::Div => {
                        let zero = d.double(0.0);
                        bin(&x, "/", &call("NULLIF", &[&y, &zero]), P_MUL)
                    }
                };
                Code {
                    v,
                    e: first_error(vec![ca.e, cb.e]),
                }
            }
        })
    }

    fn compare(&mut self, op: CmpOp, a: Frag, at: &Ty, b: Frag, bt: &Ty) -> Frag {
        let d = self.b.d;
        let sym = match op {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        };
        match (at, bt) {
            (Ty::Int, Ty::Number) | (Ty::Number, Ty::Int) => {
                cmp(&self.as_double(a, at), sym, &self.as_double(b, bt))
            }
            (Ty::String, Ty::String) if !matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                cmp(&d.byte_order(&a), sym, &b)
            }
            (Ty::List(_), _) => {
                let eq = d.array_eq(&a, &b);
                if op == CmpOp::Ne {
                    not(&eq)
                } else {
                    eq
                }
            }
            _ => cmp(&a, sym, &b),
        }
    }

    fn member(&mut self, value: &Expr, list: &Expr, negated: bool) -> Result<Code, CompileError> {
        let cv = self.expr(value)?;
        let d = self.b.d;
        let elem = match &list.ty {
            Ty::List(t) => (**t).clone(),
            _ => value.ty.clone(),
        };
        let numeric_mix = (value.ty == Ty::Int && elem == Ty::Number)
            || (value.ty == Ty::Number && elem == Ty::Int);
        if let ExprKind::Lit(Value::List(items)) = &list.kind {
            let v = if numeric_mix {
                self.as_double(cv.v, &value.ty)
            } else {
                cv.v
            };
            let item_ty = if numeric_mix { Ty::Number } else { elem };
            if items.is_empty() {
                let x = self.share_e(value, v);
                let r = case(
                    &[(is_null(&x, false), Frag::simple("NULL"))],
                    Some(&Frag::simple(if negated { "TRUE" } else { "FALSE" })),
                );
                return Ok(Code { v: r, e: cv.e });
            }
            let parts = items
                .iter()
                .map(|i| self.lit(i, &item_ty))
                .collect::<Result<Vec<_>, _>>()?;
            let texts: Vec<&str> = parts.iter().map(|p| p.s()).collect();
            let w = if negated { "NOT IN" } else { "IN" };
            return Ok(Code {
                v: Frag::with_prec(
                    format!("{} {w} ({})", v.at(P_CMP + 1), texts.join(", ")),
                    P_CMP,
                )
                .layered(v.layer),
                e: cv.e,
            });
        }
        let cl = self.expr(list)?;
        let mut arr = cl.v;
        let mut x = cv.v;
        if numeric_mix {
            if value.ty == Ty::Int {
                x = d.cast(&x, &SqlTy::Double);
            } else {
                arr = self.share(arr, sql_ty(&list.ty));
                let item = d.cast(&d.item_ref("x"), &SqlTy::Double);
                arr = d.array_map_keep(&arr, "x", &item);
            }
        }
        let arr = self.share(arr, sql_ty(&list.ty));
        let x = self.share(x, sql_ty(&value.ty));
        // unknown stays unknown, whatever the engine says of an empty list
        let found = case(
            &[(is_null(&x, false), Frag::simple("NULL"))],
            Some(&d.array_contains(&arr, &x)),
        );
        Ok(Code {
            v: if negated { not(&found) } else { found },
            e: first_error(vec![cv.e, cl.e]),
        })
    }

    fn call(&mut self, f: Func, args: &[Expr], ty: &Ty) -> Result<Code, CompileError> {
        let d = self.b.d;
        let mut codes = Vec::new();
        for a in args {
            codes.push(self.expr(a)?);
        }
        let errs: Vec<Option<Frag>> = codes.iter().map(|c| c.e.clone()).collect();
        let done = |v: Frag, extra: Option<Frag>| {
            let mut e = errs.clone();
            e.push(extra);
            Code {
                v,
                e: first_error(e),
            }
        };
        let arg = |i: usize| codes[i].v.clone();
        const DAY: i64 = 86_400_000;
        Ok(match f {
            Func::Lower => done(d.lower(&arg(0)), None),
            Func::Upper => done(d.upper(&arg(0)), None),
            Func::Trim => done(d.trim_white_space(&arg(0)), None),
            Func::Length => match args[0].ty {
                Ty::List(_) => done(d.array_len(&arg(0)), None),
                _ => done(d.char_length(&arg(0)), None),
            },
            Func::Domain => {
                let s = self.share_e(&args[0], arg(0));
                let at = Frag::simple(d.text("@").unwrap_or_default());
                let has = d.contains(&s, &at);
                done(case(&[(has, d.lower(&d.after_last(&s, "@")))], None), None)
            }
            Func::Known => done(is_null(&arg(0), true), None),
            Func::Default => done(coalesce(&[arg(0), arg(1)]), None),
            Func::Min | Func::Max => {
                let all_int = args.iter().all(|a| a.ty == Ty::Int);
                let mut acc = if all_int {
                    arg(0)
                } else {
                    self.as_double(arg(0), &args[0].ty)
                };
                for (i, a) in args.iter().enumerate().skip(1) {
                    let y = if all_int {
                        arg(i)
                    } else {
                        self.as_double(arg(i), &a.ty)
                    };
                    let t = if all_int { SqlTy::Int } else { SqlTy::Double };
                    let x = self.share(acc, t.clone());
                    let y = self.share(y, t);
                    let better = cmp(&y, if f == Func::Min { "<" } else { ">" }, &x);
                    let unknown = Frag::with_prec(
                        format!("{} OR {}", is_null(&x, false).s(), is_null(&y, false).s()),
                        P_OR,
                    );
                    acc = case(&[(unknown, Frag::simple("NULL")), (better, y)], Some(&x));
                }
                done(acc, None)
            }
            Func::Abs => match ty {
                Ty::Int => {
                    let x = self.share_e(&args[0], arg(0));
                    let min = d.int(i64::MIN);
                    let negd =
                        Frag::with_prec(format!("-{}", call("NULLIF", &[&x, &min]).s()), P_NEG)
                            .layered(x.layer);
                    let v = case(&[(cmp(&x, "<", &Frag::simple("0")), negd)], Some(&x));
                    let own = case(&[(cmp(&x, "=", &min), err_text(self, INT_OVERFLOW))], None);
                    done(v, Some(own))
                }
                _ => done(call("ABS", &[&self.as_double(arg(0), &args[0].ty)]), None),
            },
            Func::Round => {
                let x = self.as_double(arg(0), &args[0].ty);
                let digits = match &args[1].kind {
                    ExprKind::Lit(Value::Int(n)) => Some(*n),
                    _ => mql_sema::fold::eval(&args[1]).ok().and_then(|v| match v {
                        Value::Int(n) => Some(n),
                        _ => None,
                    }),
                };
                let p = match digits {
                    Some(n) => d.double(10f64.powi(n.clamp(-400, 400) as i32)),
                    None => {
                        let n = arg(1);
                        let clamped = call(
                            "GREATEST",
                            &[
                                &call("LEAST", &[&n, &Frag::simple("400")]),
                                &Frag::simple("-400"),
                            ],
                        );
                        d.power(&d.double(10.0), &d.cast(&clamped, &SqlTy::Double))
                    }
                };
                let p = self.share(p, SqlTy::Double);
                let scaled = self.share(bin(&x, "*", &p, P_MUL), SqlTy::Double);
                let r = d.round_half_away(&scaled);
                let zero = d.double(0.0);
                done(bin(&r, "/", &call("NULLIF", &[&p, &zero]), P_MUL), None)
            }
            Func::Since => {
                let now = Code::ok(self.b.now.clone());
                let t = codes[0].clone();
                self.int_op('-', now, t, TIME_OVERFLOW)
            }
            Func::Hour | Func::Weekday | Func::Day => {
                let t = self.share(arg(0), SqlTy::Int);
                let day = d.int(DAY);
                // the remainder of t by a day, in [0, day)
                let r = d.int_rem(&bin(&d.int_rem(&t, &day), "+", &day, P_ADD), &day);
                let v = match f {
                    Func::Hour => d.int_div(&r, &d.int(3_600_000)),
                    Func::Day => bin(&t, "-", &r, P_ADD),
                    _ => {
                        let r = self.share(r, SqlTy::Int);
                        let days = d.int_div(&bin(&t, "-", &r, P_ADD), &day);
                        let seven = d.int(7);
                        let shifted = bin(
                            &d.int_rem(&bin(&days, "+", &d.int(3), P_ADD), &seven),
                            "+",
                            &seven,
                            P_ADD,
                        );
                        bin(&d.int_rem(&shifted, &seven), "+", &d.int(1), P_ADD)
                    }
                };
                done(v, None)
            }
            Func::Days => {
                let x = d.cast(&arg(0), &SqlTy::Double);
                done(bin(&x, "/", &d.double(DAY as f64), P_MUL), None)
            }
        })
    }

    /// An aggregate (or an `each`/`latest` rule) over a query: its value and
    /// error, from the columns of the events pass that computes it.
    pub fn agg(
        &mut self,
        spec: AggSpec,
        q: &Query,
        arg: Option<&Expr>,
    ) -> Result<Code, CompileError> {
        let mut ev = Cx::new(self.b, Scope::Event(q.event), self.tis, self.place.clone());
        let filter = match &q.filter {
            Some(f) => Some(ev.expr(f)?),
            None => None,
        };
        let arg_code = match arg {
            Some(a) => Some((ev.expr(a)?, a.ty.clone())),
            None => None,
        };
        let temps = std::mem::take(&mut ev.temps);
        let deps = std::mem::take(&mut ev.deps);
        let lead_ref = ev.lead_ref;
        let id = self
            .b
            .add_agg(spec, q, filter, arg_code, temps, deps.clone(), lead_ref);
        self.aggs.insert(id);
        let a = &self.b.aggs[id];
        Ok(Code {
            v: Frag::simple(a.value_col.clone()),
            e: a.err_col.clone().map(Frag::simple),
        })
    }
}
