//! The compiler: from the checked model (HIR) to a [`Program`]. Instruction
//! choice is made from the HIR types; constant subexpressions are folded.

use mql_core::{LeadId, LeadRecord, Ty, Value};
use mql_sema::hir::{
    ArithOp, CmpOp, DeclRef, Expr, ExprKind, Func, Model, Query, RuleKind, ValueKind,
};

use crate::program::{
    AggCode, ArithKind, Block, CmpKind, EventTest, ExpectPlan, FuncKind, Instr, Names, NegKind,
    Program, QueryCode, RuleCode, RulePlan, Src, Step, TransitionPlan,
};
use crate::vm::{Ctx, Scratch};

/// The direct test of a filter block (starting at `code[0]`) of one of the
/// common simple shapes, or `None`.
fn event_test(code: &[Instr], consts: &[Value]) -> Option<EventTest> {
    let text = |c: u32| match consts.get(c as usize) {
        Some(Value::Str(t)) => Some(t.clone()),
        _ => None,
    };
    match code {
        [Instr::FieldStrConst(Src::Event(field), op, c), Instr::End, ..] => Some(EventTest::Str {
            field: *field,
            op: *op,
            text: text(*c)?,
        }),
        [Instr::FieldCmpConst(Src::Event(field), CmpKind::Str, op @ (CmpOp::Eq | CmpOp::Ne), c), Instr::End, ..] => {
            Some(EventTest::StrEq {
                field: *field,
                equal: *op == CmpOp::Eq,
                text: text(*c)?,
            })
        }
        [Instr::EventField(field), Instr::End, ..] => Some(EventTest::Flag(*field)),
        [Instr::EventAt, Instr::Func(FuncKind::Hour), Instr::CmpConst(CmpKind::I64, op, c), Instr::End, ..] => {
            match consts.get(*c as usize) {
                Some(Value::Int(n)) => Some(EventTest::Hour { op: *op, n: *n }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Compile a checked model to bytecode.
pub fn compile(model: &Model) -> Program {
    let mut c = Compiler {
        p: Program {
            code: Vec::new(),
            consts: Vec::new(),
            regexes: Vec::new(),
            aggs: Vec::new(),
            steps: Vec::new(),
            step_decls: Vec::new(),
            step_where: Vec::new(),
            transition_where: Vec::new(),
            transitions: Vec::new(),
            first_stage: model
                .schema
                .stages
                .as_ref()
                .and_then(|s| s.syms.first().copied()),
            n_values: model.values.len(),
            n_scores: model.scores.len(),
            n_tiers: model.tiers.len(),
            rule_counts: model.scores.iter().map(|s| s.rules.len()).collect(),
            segments: slots_of(model, ValueKind::Segment),
            criteria: slots_of(model, ValueKind::Criterion),
            tests: Vec::new(),
            block_origins: Vec::new(),
            fast: Vec::new(),
            touch: Vec::new(),
            touch_fields: Vec::new(),
            names: Names {
                fields: model.schema.lead.iter().map(|f| f.name.clone()).collect(),
                values: model.values.iter().map(|v| v.name.clone()).collect(),
                scores: model.scores.iter().map(|v| v.name.clone()).collect(),
                tiers: model.tiers.iter().map(|v| v.name.clone()).collect(),
                events: model
                    .schema
                    .events
                    .iter()
                    .map(|e| {
                        (
                            e.name.clone(),
                            e.fields.iter().map(|f| f.name.clone()).collect(),
                        )
                    })
                    .collect(),
                symbols: (0..model.schema.symbols.len())
                    .map(|i| {
                        model
                            .schema
                            .symbols
                            .name(mql_core::Sym(i as u32))
                            .to_string()
                    })
                    .collect(),
            },
        },
        here: (0, 0, String::new()),
    };
    for d in &model.order {
        let step = match *d {
            DeclRef::Value(i) => {
                let v = &model.values[i as usize];
                c.at(
                    v.origin.file,
                    v.origin.line,
                    format!("{} `{}`", kind_word(v.kind), v.name),
                );
                let block = c.block(&v.expr);
                c.origin(
                    block,
                    v.origin.file,
                    v.origin.line,
                    format!("{} `{}`", kind_word(v.kind), v.name),
                );
                Step::Value { slot: i, block }
            }
            DeclRef::Score(i) => {
                let s = &model.scores[i as usize];
                let rules = s
                    .rules
                    .iter()
                    .map(|r| {
                        c.at(
                            s.origin.file,
                            r.line,
                            format!("score `{}`: {}", s.name, r.text),
                        );
                        let code = match &r.kind {
                            RuleKind::Cond(e) => {
                                let b = c.block(e);
                                c.origin(
                                    b,
                                    s.origin.file,
                                    r.line,
                                    format!("score `{}`: {}", s.name, r.text),
                                );
                                RuleCode::Cond(b)
                            }
                            RuleKind::Each(q) => RuleCode::Each(c.query(
                                q,
                                s.origin.file,
                                r.line,
                                &format!("score `{}`: {}", s.name, r.text),
                            )),
                            RuleKind::Latest(q) => RuleCode::Latest(c.query(
                                q,
                                s.origin.file,
                                r.line,
                                &format!("score `{}`: {}", s.name, r.text),
                            )),
                        };
                        RulePlan {
                            code,
                            points: r.points,
                            cap: r.cap,
                        }
                    })
                    .collect();
                Step::Score {
                    index: i,
                    decay: s.decay,
                    range: s.range,
                    rules,
                }
            }
            DeclRef::Tier(i) => {
                let t = &model.tiers[i as usize];
                let arms = t
                    .arms
                    .iter()
                    .map(|a| {
                        c.at(t.origin.file, t.origin.line, format!("tier `{}`", t.name));
                        let b = a.cond.as_ref().map(|e| c.block(e));
                        if let Some(b) = b {
                            let label = model.schema.symbols.name(a.label);
                            c.origin(
                                b,
                                t.origin.file,
                                t.origin.line,
                                format!("tier `{}`: {label} when …", t.name),
                            );
                        }
                        (a.label, b)
                    })
                    .collect();
                Step::Tier { index: i, arms }
            }
        };
        c.p.step_where.push(where_of(model, *d));
        c.p.steps.push(step);
        c.p.step_decls.push(*d);
    }
    for t in &model.transitions {
        let from = t.from.map_or("any", |s| model.schema.symbols.name(s));
        let to = model.schema.symbols.name(t.to);
        c.at(
            t.origin.file,
            t.origin.line,
            format!("transition {from} -> {to}"),
        );
        c.p.transition_where.push(format!(
            "transition {from} -> {to} ({})",
            place(model, t.origin.file, t.origin.line)
        ));
        let cond = c.block(&t.cond);
        c.origin(
            cond,
            t.origin.file,
            t.origin.line,
            format!("transition {from} -> {to}"),
        );
        c.p.transitions.push(TransitionPlan {
            from: t.from,
            to: t.to,
            cond,
        });
    }
    for t in &model.tests {
        let plans = t
            .expects
            .iter()
            .map(|e| {
                c.at(t.origin.file, t.origin.line, format!("test \"{}\"", t.name));
                let block = c.block(e);
                c.origin(
                    block,
                    t.origin.file,
                    t.origin.line,
                    format!("test \"{}\": expect", t.name),
                );
                let operands = operands(e).into_iter().map(|o| c.block(o)).collect();
                ExpectPlan { block, operands }
            })
            .collect();
        c.p.tests.push(plans);
    }
    c.p.fast = crate::fast::table(&c.p.code, &c.p.consts);
    c.p.touch = crate::vm::touch_plan(&c.p, model.schema.events.len());
    c.p.touch_fields = crate::vm::fields_read(&c.p.code);
    c.p
}

/// Compile `model` together with blocks for `exprs`, expressions of its
/// lead-level scope that are not declarations of their own (for `mql
/// explain`, the sides of an `and` or `or`). Run them with
/// `Program::run_probe` after evaluating a lead with the returned program.
pub(crate) fn compile_with_probes(model: &Model, exprs: &[Expr]) -> (Program, Vec<Block>) {
    let mut m = model.clone();
    let origin = m
        .values
        .first()
        .map(|v| v.origin.clone())
        .or_else(|| m.scores.first().map(|s| s.origin.clone()))
        .or_else(|| m.tiers.first().map(|t| t.origin.clone()))
        .or_else(|| m.transitions.first().map(|t| t.origin.clone()));
    let Some(origin) = origin else {
        return (compile(model), Vec::new());
    };
    m.tests = vec![mql_sema::hir::TestDecl {
        name: String::new(),
        as_of: 0,
        lead: LeadRecord {
            id: LeadId::Int(0),
            fields: Box::new([]),
            stage: None,
            stage_since: None,
            events: Vec::new(),
        },
        expects: exprs.to_vec(),
        origin,
    }];
    let p = compile(&m);
    let blocks = p
        .tests
        .first()
        .map(|plans| plans.iter().map(|e| e.block).collect())
        .unwrap_or_default();
    (p, blocks)
}

/// The operands a failing `expect` reports: the sides of a comparison.
pub(crate) fn operands(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Cmp(_, a, b) | ExprKind::StrTest(_, a, b) => vec![a, b],
        ExprKind::Between { value, lo, hi } => vec![value, lo, hi],
        ExprKind::In { value, list, .. } => vec![value, list],
        ExprKind::Matches(a, _) | ExprKind::Not(a) => vec![a],
        ExprKind::And(a, b) | ExprKind::Or(a, b) => vec![a, b],
        _ => Vec::new(),
    }
}

fn place(model: &Model, file: u32, line: u32) -> String {
    if file == 0 {
        format!("line {line}")
    } else {
        let f = model.files.get(file as usize).map_or("", |f| &**f);
        format!("{f}, line {line}")
    }
}

fn where_of(model: &Model, d: DeclRef) -> String {
    let (word, name, origin) = match d {
        DeclRef::Value(i) => {
            let v = &model.values[i as usize];
            (kind_word(v.kind), &v.name, &v.origin)
        }
        DeclRef::Score(i) => {
            let v = &model.scores[i as usize];
            ("score", &v.name, &v.origin)
        }
        DeclRef::Tier(i) => {
            let v = &model.tiers[i as usize];
            ("tier", &v.name, &v.origin)
        }
    };
    format!(
        "{word} `{name}` ({})",
        place(model, origin.file, origin.line)
    )
}

fn kind_word(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Let => "let",
        ValueKind::Criterion => "criterion",
        ValueKind::Segment => "segment",
    }
}

fn slots_of(model: &Model, kind: ValueKind) -> Vec<u32> {
    model
        .values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind == kind)
        .map(|(i, _)| i as u32)
        .collect()
}

struct Compiler {
    p: Program,
    /// The declaration being compiled: file, line, label (for the listing).
    here: (u32, u32, String),
}

fn cmp_kind(a: &Ty, b: &Ty) -> CmpKind {
    match (a, b) {
        (Ty::Int, Ty::Int) | (Ty::Time, Ty::Time) | (Ty::Duration, Ty::Duration) => CmpKind::I64,
        (Ty::Int | Ty::Number, Ty::Int | Ty::Number) => CmpKind::Num,
        (Ty::String, Ty::String) => CmpKind::Str,
        _ => CmpKind::Any,
    }
}

fn arith_kind(op: ArithOp, a: &Ty, b: &Ty) -> ArithKind {
    use ArithKind::*;
    match (op, a, b) {
        (ArithOp::Add, Ty::Int, Ty::Int) => AddInt,
        (ArithOp::Sub, Ty::Int, Ty::Int) => SubInt,
        (ArithOp::Mul, Ty::Int, Ty::Int) => MulInt,
        (ArithOp::Sub, Ty::Time, Ty::Time) => TimeMinusTime,
        (ArithOp::Add, Ty::Time, Ty::Duration) => TimePlusDur,
        (ArithOp::Sub, Ty::Time, Ty::Duration) => TimeMinusDur,
        (ArithOp::Add, Ty::Duration, Ty::Time) => DurPlusTime,
        (ArithOp::Add, Ty::Duration, Ty::Duration) => DurPlusDur,
        (ArithOp::Sub, Ty::Duration, Ty::Duration) => DurMinusDur,
        (ArithOp::Div, Ty::Duration, Ty::Duration) => DurDivDur,
        (ArithOp::Mul, Ty::Duration, _) => DurTimesNum,
        (ArithOp::Mul, _, Ty::Duration) => NumTimesDur,
        (ArithOp::Div, Ty::Duration, _) => DurDivNum,
        (ArithOp::Add, _, _) => AddNum,
        (ArithOp::Sub, _, _) => SubNum,
        (ArithOp::Mul, _, _) => MulNum,
        (ArithOp::Div, _, _) => DivNum,
    }
}

impl Compiler {
    fn origin(&mut self, b: Block, file: u32, line: u32, label: String) {
        self.p.block_origins.push((b, file, line, label));
    }

    fn at(&mut self, file: u32, line: u32, label: String) {
        self.here = (file, line, label);
    }

    /// Compile an expression into its own block.
    fn block(&mut self, e: &Expr) -> Block {
        let mut code = Vec::new();
        self.expr(e, &mut code);
        code.push(Instr::End);
        let start = self.p.code.len() as u32;
        self.p.code.extend(code);
        Block(start)
    }

    fn constant(&mut self, v: Value) -> u32 {
        if let Some(i) = self
            .p
            .consts
            .iter()
            .position(|c| c == &v && same_kind(c, &v))
        {
            return i as u32;
        }
        self.p.consts.push(v);
        (self.p.consts.len() - 1) as u32
    }

    fn query(&mut self, q: &Query, file: u32, line: u32, label: &str) -> QueryCode {
        let filter = q.filter.as_ref().map(|f| self.block(f));
        if let Some(b) = filter {
            self.origin(b, file, line, format!("{label} (filter)"));
        }
        let test = filter.and_then(|b| event_test(&self.p.code[b.0 as usize..], &self.p.consts));
        QueryCode {
            event: q.event,
            within: q.within,
            filter,
            test,
        }
    }

    fn expr(&mut self, e: &Expr, out: &mut Vec<Instr>) {
        mql_core::deep(|| self.expr_body(e, out))
    }

    fn expr_body(&mut self, e: &Expr, out: &mut Vec<Instr>) {
        if mql_sema::fold::is_const(e) && !matches!(e.kind, ExprKind::Lit(_)) {
            let mut code = Vec::new();
            self.expr_inner(e, &mut code);
            if let Some(v) = self.fold(code.clone()) {
                let i = self.constant(v);
                out.push(Instr::Const(i));
            } else {
                out.extend(code);
            }
            return;
        }
        self.expr_inner(e, out);
    }

    /// Run constant code once; `None` if it fails (the error then happens
    /// for every lead, as written).
    fn fold(&mut self, mut code: Vec<Instr>) -> Option<Value> {
        code.push(Instr::End);
        let start = self.p.code.len();
        self.p.code.extend(code);
        let lead = LeadRecord {
            id: LeadId::Int(0),
            fields: Box::new([]),
            stage: None,
            stage_since: None,
            events: Vec::new(),
        };
        let mut scratch = Scratch::default();
        let ctx = Ctx {
            lead: &lead,
            now: 0,
            event: None,
            time_in_stage: None,
            stage: None,
        };
        let r = self.p.run(Block(start as u32), &ctx, &mut scratch);
        self.p.code.truncate(start);
        r.ok()
    }

    /// A binary test: fused with a constant right operand (and a field left
    /// operand) when it can be, so neither is copied onto the stack.
    fn binary(
        &mut self,
        a: &Expr,
        b: &Expr,
        out: &mut Vec<Instr>,
        plain: Instr,
        with_const: impl Fn(u32) -> Instr,
        with_field: impl Fn(Src, u32) -> Instr,
    ) {
        let mut ca = Vec::new();
        self.expr(a, &mut ca);
        let mut cb = Vec::new();
        self.expr(b, &mut cb);
        match (ca.as_slice(), cb.as_slice()) {
            ([Instr::Field(i)], [Instr::Const(c)]) => out.push(with_field(Src::Field(*i), *c)),
            ([Instr::EventField(i)], [Instr::Const(c)]) => out.push(with_field(Src::Event(*i), *c)),
            (_, [Instr::Const(c)]) => {
                out.extend(ca);
                out.push(with_const(*c));
            }
            _ => {
                out.extend(ca);
                out.extend(cb);
                out.push(plain);
            }
        }
    }

    fn expr_inner(&mut self, e: &Expr, out: &mut Vec<Instr>) {
        match &e.kind {
            ExprKind::Lit(v) => {
                let i = self.constant(v.clone());
                out.push(Instr::Const(i));
            }
            ExprKind::Field(i) => out.push(Instr::Field(*i)),
            ExprKind::EventField(i) => out.push(Instr::EventField(*i)),
            ExprKind::EventAt => out.push(Instr::EventAt),
            ExprKind::Id => out.push(Instr::Id),
            ExprKind::Now => out.push(Instr::Now),
            ExprKind::TimeInStage => out.push(Instr::TimeInStage),
            ExprKind::Stage => out.push(Instr::Stage),
            ExprKind::ValueRef(i) => out.push(Instr::Load(*i)),
            ExprKind::ScoreRef(i) => out.push(Instr::LoadScore(*i)),
            ExprKind::TierRef(i) => out.push(Instr::LoadTier(*i)),
            ExprKind::Neg(a) => {
                self.expr(a, out);
                out.push(Instr::Neg(match a.ty {
                    Ty::Int => NegKind::Int,
                    Ty::Duration => NegKind::Dur,
                    _ => NegKind::Num,
                }));
            }
            ExprKind::Not(a) => {
                self.expr(a, out);
                out.push(Instr::Not);
            }
            ExprKind::Arith(op, a, b) => {
                self.expr(a, out);
                self.expr(b, out);
                out.push(Instr::Arith(arith_kind(*op, &a.ty, &b.ty)));
            }
            ExprKind::Cmp(op, a, b) => {
                let k = cmp_kind(&a.ty, &b.ty);
                let op = *op;
                self.binary(
                    a,
                    b,
                    out,
                    Instr::Cmp(k, op),
                    |c| Instr::CmpConst(k, op, c),
                    |src, c| Instr::FieldCmpConst(src, k, op, c),
                );
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let is_and = matches!(e.kind, ExprKind::And(..));
                self.expr(a, out);
                let jump_at = out.len();
                out.push(Instr::End);
                self.expr(b, out);
                out.push(if is_and { Instr::AndEnd } else { Instr::OrEnd });
                let offset = (out.len() - jump_at - 1) as u32;
                out[jump_at] = if is_and {
                    Instr::AndJump(offset)
                } else {
                    Instr::OrJump(offset)
                };
            }
            ExprKind::Between { value, lo, hi } => {
                let (k1, k2) = (cmp_kind(&value.ty, &lo.ty), cmp_kind(&value.ty, &hi.ty));
                self.expr(value, out);
                self.expr(lo, out);
                let jump_at = out.len();
                out.push(Instr::End);
                self.expr(hi, out);
                out.push(Instr::BetweenHi(k2));
                let offset = (out.len() - jump_at - 1) as u32;
                out[jump_at] = Instr::BetweenLo(k1, offset);
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let negated = *negated;
                self.binary(
                    value,
                    list,
                    out,
                    Instr::In { negated },
                    |c| Instr::InConst { negated, list: c },
                    |src, c| Instr::FieldInConst(src, negated, c),
                );
            }
            ExprKind::StrTest(op, a, b) => {
                let op = *op;
                self.binary(
                    a,
                    b,
                    out,
                    Instr::Str(op),
                    |c| Instr::StrConst(op, c),
                    |src, c| Instr::FieldStrConst(src, op, c),
                );
            }
            ExprKind::Matches(a, pat) => {
                self.expr(a, out);
                let idx = match self
                    .p
                    .regexes
                    .iter()
                    .position(|r| r.as_str() == pat.0.as_str())
                {
                    Some(i) => i,
                    None => {
                        self.p.regexes.push((*pat.0).clone());
                        self.p.regexes.len() - 1
                    }
                };
                out.push(Instr::Matches(idx as u32));
            }
            ExprKind::Call(f, args) => {
                for a in args {
                    self.expr(a, out);
                }
                let all_int = args.iter().all(|a| a.ty == Ty::Int);
                let k = match f {
                    Func::Lower => FuncKind::Lower,
                    Func::Upper => FuncKind::Upper,
                    Func::Trim => FuncKind::Trim,
                    Func::Length => match args.first().map(|a| &a.ty) {
                        Some(Ty::List(_)) => FuncKind::LengthList,
                        _ => FuncKind::LengthStr,
                    },
                    Func::Domain => FuncKind::Domain,
                    Func::Known => FuncKind::Known,
                    Func::Default => FuncKind::Default,
                    Func::Min if all_int => FuncKind::MinInt,
                    Func::Min => FuncKind::MinNum,
                    Func::Max if all_int => FuncKind::MaxInt,
                    Func::Max => FuncKind::MaxNum,
                    Func::Abs if all_int => FuncKind::AbsInt,
                    Func::Abs => FuncKind::AbsNum,
                    Func::Round => FuncKind::Round,
                    Func::Since => FuncKind::Since,
                    Func::Hour => FuncKind::Hour,
                    Func::Weekday => FuncKind::Weekday,
                    Func::Day => FuncKind::Day,
                    Func::Days => FuncKind::Days,
                };
                out.push(Instr::Func(k));
            }
            ExprKind::Agg { kind, query, arg } => {
                let (file, line, label) = self.here.clone();
                let q = self.query(query, file, line, &format!("{label}: query"));
                let arg_int = arg.as_ref().is_some_and(|a| a.ty == Ty::Int);
                let arg = arg.as_ref().map(|a| self.block(a));
                if let Some(b) = arg {
                    self.origin(b, file, line, format!("{label}: per-event value"));
                }
                self.p.aggs.push(AggCode {
                    kind: *kind,
                    query: q,
                    arg,
                    arg_int,
                });
                out.push(Instr::Agg((self.p.aggs.len() - 1) as u32));
            }
        }
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
