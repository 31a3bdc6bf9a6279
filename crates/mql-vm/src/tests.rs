//! Unit tests over hand-built checked models, and the property test that the
//! VM agrees with the reference evaluator on random models and leads.

use std::sync::Arc;

use mql_core::{
    EnumTy, EventDef, EventRec, FieldDef, LeadId, LeadRecord, Schema, Span, Sym, Symbols, Ty, Value,
};
use mql_sema::hir::*;
use proptest::prelude::*;

use crate::reference;

const DAY: i64 = 86_400_000;
const NOW: i64 = 20_000 * DAY; // 2024-10-04

fn e(kind: ExprKind, ty: Ty) -> Expr {
    Expr {
        kind,
        ty,
        span: Span::default(),
    }
}
fn b(x: Expr) -> Box<Expr> {
    Box::new(x)
}
fn origin(line: u32) -> Origin {
    Origin {
        file: 0,
        span: Span::default(),
        line,
    }
}

struct Base {
    schema: Schema,
    xyz: Ty,
    abc: Ty,
    syms: Vec<Sym>,
}

/// lead { a: int, b: number, s: string, t: time, flag: bool, e: enum {x, y, z}, tags: list<string> }
/// event ev0 { n: int, v: number, k: string }  event ev1 { ok: bool }
/// stages s0, s1, s2, s3
fn base() -> Base {
    let mut symbols = Symbols::default();
    let names = ["x", "y", "z", "s0", "s1", "s2", "s3", "A", "B", "C"];
    let syms: Vec<Sym> = names.iter().map(|n| symbols.intern(n)).collect();
    let en = |idx: &[usize]| {
        Arc::new(EnumTy::new(
            idx.iter().map(|&i| names[i].to_string()).collect(),
            idx.iter().map(|&i| syms[i]).collect(),
        ))
    };
    let xyz = en(&[0, 1, 2]);
    let stages = en(&[3, 4, 5, 6]);
    let abc = en(&[7, 8, 9]);
    let fd = |n: &str, ty: Ty| FieldDef::new(n, ty);
    let schema = Schema {
        lead: vec![
            fd("a", Ty::Int),
            fd("b", Ty::Number),
            fd("s", Ty::String),
            fd("t", Ty::Time),
            fd("flag", Ty::Bool),
            fd("e", Ty::Enum(xyz.clone())),
            fd("tags", Ty::List(Box::new(Ty::String))),
        ],
        events: vec![
            EventDef {
                name: "ev0".into(),
                fields: vec![fd("n", Ty::Int), fd("v", Ty::Number), fd("k", Ty::String)],
            },
            EventDef {
                name: "ev1".into(),
                fields: vec![fd("ok", Ty::Bool)],
            },
        ],
        stages: Some(stages),
        symbols,
    };
    Base {
        schema,
        xyz: Ty::Enum(xyz),
        abc: Ty::Enum(abc),
        syms,
    }
}

fn empty_model(base: &Base) -> Model {
    Model {
        name: Some("t".into()),
        files: vec![Arc::from("t.mql")],
        schema: base.schema.clone(),
        consts: vec![],
        values: vec![],
        scores: vec![],
        tiers: vec![],
        transitions: vec![],
        tests: vec![],
        order: vec![],
    }
}

fn lead(
    fields: Vec<Value>,
    ev0: Vec<(i64, i64, f64, &str)>,
    ev1: Vec<(i64, Option<bool>)>,
) -> LeadRecord {
    let mut l = LeadRecord {
        id: LeadId::Str("L-1".into()),
        fields: fields.into_boxed_slice(),
        stage: None,
        stage_since: None,
        events: vec![
            ev0.into_iter()
                .map(|(at, n, v, k)| EventRec {
                    at,
                    fields: vec![Value::Int(n), Value::Number(v), Value::Str(k.into())].into(),
                })
                .collect(),
            ev1.into_iter()
                .map(|(at, ok)| EventRec {
                    at,
                    fields: vec![ok.map_or(Value::Unknown, Value::Bool)].into(),
                })
                .collect(),
        ],
    };
    l.sort_events();
    l
}

fn lit(v: Value, ty: Ty) -> Expr {
    e(ExprKind::Lit(v), ty)
}
fn int(i: i64) -> Expr {
    lit(Value::Int(i), Ty::Int)
}
fn num(x: f64) -> Expr {
    lit(Value::Number(x), Ty::Number)
}
fn field(base: &Base, i: u32) -> Expr {
    e(ExprKind::Field(i), base.schema.lead[i as usize].ty.clone())
}

fn rule(kind: RuleKind, points: f64, cap: Option<f64>, line: u32, text: &str) -> Rule {
    Rule {
        kind,
        points,
        cap,
        line,
        text: text.into(),
        span: Span::default(),
    }
}

/// A small model in the spirit of the spec's example.
fn sample() -> (Base, Model) {
    let base = base();
    let mut m = empty_model(&base);
    // criterion big = a >= 100
    m.values.push(ValueDecl {
        name: "big".into(),
        kind: ValueKind::Criterion,
        ty: Ty::Bool,
        expr: e(
            ExprKind::Cmp(CmpOp::Ge, b(field(&base, 0)), b(int(100))),
            Ty::Bool,
        ),
        origin: origin(3),
        doc: None,
    });
    // segment flagged = flag
    m.values.push(ValueDecl {
        name: "flagged".into(),
        kind: ValueKind::Segment,
        ty: Ty::Bool,
        expr: field(&base, 4),
        origin: origin(4),
        doc: None,
    });
    let q = |filter: Option<Expr>, within: Option<i64>| Query {
        event: 0,
        filter: filter.map(Box::new),
        within,
        span: Span::default(),
    };
    m.scores.push(ScoreDecl {
        name: "fit".into(),
        decay: Decay::None,
        range: Some((0.0, 100.0)),
        rules: vec![
            rule(
                RuleKind::Cond(e(ExprKind::ValueRef(0), Ty::Bool)),
                25.0,
                None,
                6,
                "big => +25",
            ),
            rule(
                RuleKind::Cond(e(
                    ExprKind::In {
                        value: b(field(&base, 5)),
                        list: b(lit(
                            Value::List(vec![Value::Enum(base.syms[0])].into()),
                            Ty::List(Box::new(base.xyz.clone())),
                        )),
                        negated: false,
                    },
                    Ty::Bool,
                )),
                15.0,
                None,
                7,
                "e in [x] => +15",
            ),
        ],
        origin: origin(5),
        doc: None,
    });
    m.scores.push(ScoreDecl {
        name: "engagement".into(),
        decay: Decay::HalfLife(14.0 * DAY as f64),
        range: None,
        rules: vec![
            rule(
                RuleKind::Each(q(
                    Some(e(
                        ExprKind::StrTest(
                            StrOp::StartsWith,
                            b(e(ExprKind::EventField(2), Ty::String)),
                            b(lit(Value::Str("/pricing".into()), Ty::String)),
                        ),
                        Ty::Bool,
                    )),
                    None,
                )),
                10.0,
                Some(15.0),
                11,
                "each ev0 where k starts_with \"/pricing\" => +10 up to 15",
            ),
            rule(
                RuleKind::Latest(q(None, Some(30 * DAY))),
                40.0,
                None,
                12,
                "latest ev0 within 30d => +40",
            ),
        ],
        origin: origin(9),
        doc: None,
    });
    m.tiers.push(TierDecl {
        name: "grade".into(),
        ty: base.abc.clone(),
        arms: vec![
            TierArm {
                label: base.syms[7],
                cond: Some(e(
                    ExprKind::Cmp(
                        CmpOp::Ge,
                        b(e(ExprKind::ScoreRef(0), Ty::Number)),
                        b(num(40.0)),
                    ),
                    Ty::Bool,
                )),
            },
            TierArm {
                label: base.syms[8],
                cond: None,
            },
        ],
        origin: origin(14),
        doc: None,
    });
    m.transitions.push(TransitionDecl {
        from: Some(base.syms[3]),
        to: base.syms[4],
        cond: e(
            ExprKind::Agg {
                kind: AggKind::Exists,
                query: q(None, None),
                arg: None,
            },
            Ty::Bool,
        ),
        origin: origin(20),
        doc: Some("any activity makes a lead".into()),
    });
    m.transitions.push(TransitionDecl {
        from: Some(base.syms[4]),
        to: base.syms[5],
        cond: e(
            ExprKind::Cmp(
                CmpOp::Ge,
                b(e(ExprKind::ScoreRef(1), Ty::Number)),
                b(num(30.0)),
            ),
            Ty::Bool,
        ),
        origin: origin(21),
        doc: None,
    });
    m.transitions.push(TransitionDecl {
        from: None,
        to: base.syms[3],
        cond: field(&base, 4),
        origin: origin(22),
        doc: None,
    });
    m.order = vec![
        DeclRef::Value(0),
        DeclRef::Value(1),
        DeclRef::Score(0),
        DeclRef::Score(1),
        DeclRef::Tier(0),
    ];
    (base, m)
}

fn sample_lead(base: &Base) -> LeadRecord {
    let _ = base;
    lead(
        vec![
            Value::Int(250),
            Value::Unknown,
            Value::Str("ana@acme.io".into()),
            Value::Unknown,
            Value::Bool(true),
            Value::Enum(base.syms[0]),
            Value::List(vec![].into()),
        ],
        vec![
            (NOW - 2 * DAY, 1, 1.0, "/pricing"),
            (NOW - DAY, 1, 1.0, "/pricing/enterprise"),
            (NOW - 3 * 3_600_000, 1, 1.0, "/blog"),
            (NOW + DAY, 1, 1.0, "/pricing"),
        ],
        vec![],
    )
}

#[test]
fn result_of_a_sample_lead() {
    let (base, m) = sample();
    let p = crate::compile(&m);
    let r = p.eval(&sample_lead(&base), NOW, true);
    let sy = &m.schema.symbols;
    let name = |s: Option<mql_core::Sym>| s.map(|s| sy.name(s).to_string());
    assert_eq!(name(r.stage).as_deref(), Some("s2"));
    assert_eq!(name(r.from_stage).as_deref(), Some("s0"));
    let steps: Vec<(String, String, u32)> = r
        .path
        .iter()
        .map(|p| (sy.name(p.from).into(), sy.name(p.to).into(), p.transition))
        .collect();
    assert_eq!(
        steps,
        [("s0".into(), "s1".into(), 0), ("s1".into(), "s2".into(), 1)]
    );
    assert_eq!(
        r.cycle.map(|c| sy.name(c.to).to_string()).as_deref(),
        Some("s0")
    );
    assert_eq!(&r.scores[..], &[40.0, 54.753211886089446]);
    assert_eq!(name(r.tiers[0]).as_deref(), Some("A"));
    assert_eq!(r.criteria, vec![(0, Some(true))]);
    assert_eq!(
        r.contributions,
        vec![vec![25.0, 15.0], vec![15.0, 39.753211886089446]]
    );
    let plain = p.eval(&sample_lead(&base), NOW, false);
    assert!(!plain.explained && plain.criteria.is_empty());
}

#[test]
fn overflow_is_an_error_for_that_lead_only() {
    let base = base();
    let mut m = empty_model(&base);
    m.values.push(ValueDecl {
        name: "huge".into(),
        kind: ValueKind::Let,
        ty: Ty::Int,
        expr: e(
            ExprKind::Arith(ArithOp::Mul, b(field(&base, 0)), b(int(1 << 40))),
            Ty::Int,
        ),
        origin: origin(7),
        doc: None,
    });
    m.order = vec![DeclRef::Value(0)];
    let p = crate::compile(&m);
    let mut fields = vec![Value::Unknown; 7];
    fields[0] = Value::Int(1 << 30);
    let bad = lead(fields.clone(), vec![], vec![]);
    let r = p.eval(&bad, NOW, false);
    assert_eq!(
        r.error.map(|e| e.0).as_deref(),
        Some("whole-number overflow in let `huge` (line 7)")
    );
    fields[0] = Value::Int(3);
    let good = lead(fields, vec![], vec![]);
    assert!(p.eval(&good, NOW, false).error.is_none());
}

#[test]
fn explanation_reads_in_plain_words() {
    let (base, m) = sample();
    let p = crate::compile(&m);
    let mut l = sample_lead(&base);
    l.fields[0] = Value::Unknown;
    let ex = crate::explain(&p, &m, &l, NOW);
    insta::assert_snapshot!(crate::render_explanation(&ex, &m));
}

#[test]
fn bytecode_listing_shows_source_lines() {
    let (_, m) = sample();
    let p = crate::compile(&m);
    let listing = p.disassemble(&|_, line| Some(format!("<source line {line}>")));
    insta::assert_snapshot!(listing);
}

#[test]
fn failing_expect_reports_operand_values() {
    let (base, mut m) = sample();
    let engagement = e(ExprKind::ScoreRef(1), Ty::Number);
    m.tests.push(TestDecl {
        name: "pricing readers are engaged".into(),
        as_of: NOW,
        lead: sample_lead(&base),
        expects: vec![
            e(
                ExprKind::Between {
                    value: b(engagement),
                    lo: b(num(55.0)),
                    hi: b(num(60.0)),
                },
                Ty::Bool,
            ),
            e(
                ExprKind::Cmp(
                    CmpOp::Eq,
                    b(e(
                        ExprKind::Stage,
                        m.schema.stages.clone().map(Ty::Enum).unwrap_or(Ty::Bool),
                    )),
                    b(lit(Value::Enum(base.syms[5]), Ty::Bool)),
                ),
                Ty::Bool,
            ),
        ],
        origin: origin(30),
    });
    let p = crate::compile(&m);
    let out = crate::run_test(&p, &m, &m.tests[0]);
    assert!(!out.passed);
    assert!(out.expects[1].passed, "stage == s2 holds");
    assert_eq!(
        out.expects[0].describe(),
        "expected engagement between 55.0 and 60.0, but engagement = 54.753211886089446"
    );
    insta::assert_snapshot!(crate::render_test_outcome(
        &out,
        &p,
        &m,
        &m.tests[0],
        &format!("model.mql:{}", m.tests[0].origin.line)
    ));
}

#[test]
fn batch_keeps_order_and_matches_single_evaluation() {
    let (base, m) = sample();
    let p = crate::compile(&m);
    let leads: Vec<LeadRecord> = (0..200)
        .map(|i| {
            let mut l = sample_lead(&base);
            l.id = LeadId::Int(i);
            l.fields[0] = Value::Int(i * 3);
            l
        })
        .collect();
    let batch = p.eval_batch(&leads, NOW, true);
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        assert_eq!(pool.install(|| p.eval_batch(&leads, NOW, true)), batch);
    }
    for (l, r) in leads.iter().zip(&batch) {
        assert_eq!(r, &p.eval(l, NOW, true));
    }
}

// ---------------------------------------------------------------------------
// random models

struct Gen {
    state: u64,
    base: Base,
    /// Values so far: (index, type).
    values: Vec<(u32, Ty)>,
    scores: u32,
    tiers: u32,
    event: Option<u32>,
    in_transition: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum T {
    Bool,
    Int,
    Num,
    Str,
    Time,
    Dur,
}

fn ty_of(t: T) -> Ty {
    match t {
        T::Bool => Ty::Bool,
        T::Int => Ty::Int,
        T::Num => Ty::Number,
        T::Str => Ty::String,
        T::Time => Ty::Time,
        T::Dur => Ty::Duration,
    }
}

const STRS: [&str; 7] = ["", "a@B.com", "Ab", " x ", "İstanbul", "straße", "/pricing"];

impl Gen {
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
    fn pick(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn sym(&mut self, offset: usize, n: u64) -> Sym {
        let k = self.pick(n) as usize;
        self.base.syms[offset + k]
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.pick(100) < pct
    }

    fn int_lit(&mut self) -> i64 {
        match self.pick(6) {
            0 => i64::MAX - self.pick(3) as i64,
            1 => i64::MIN + self.pick(3) as i64,
            _ => self.pick(21) as i64 - 10,
        }
    }
    fn num_lit(&mut self) -> f64 {
        [0.0, 0.5, -2.5, 3.25, 10.0, 1e300, -7.0][self.pick(7) as usize]
    }

    fn query(&mut self, depth: u32) -> Query {
        let event = self.pick(2) as u32;
        let saved = self.event;
        self.event = Some(event);
        let filter = if self.chance(60) {
            Some(Box::new(self.expr(T::Bool, depth)))
        } else {
            None
        };
        self.event = saved;
        let within = match self.pick(4) {
            0 => Some(0),
            1 => Some(DAY * self.pick(10) as i64 + 1),
            _ => None,
        };
        Query {
            event,
            filter,
            within,
            span: Span::default(),
        }
    }

    fn leaf(&mut self, t: T) -> Expr {
        match (t, self.event, self.next() % 4) {
            (T::Int, Some(0), 0) => return e(ExprKind::EventField(0), Ty::Int),
            (T::Num, Some(0), 0) => return e(ExprKind::EventField(1), Ty::Number),
            (T::Str, Some(0), 0) => return e(ExprKind::EventField(2), Ty::String),
            (T::Bool, Some(1), 0) => return e(ExprKind::EventField(0), Ty::Bool),
            (T::Time, Some(_), 0) => return e(ExprKind::EventAt, Ty::Time),
            _ => {}
        }
        let refs: Vec<u32> = self
            .values
            .iter()
            .filter(|(_, ty)| *ty == ty_of(t))
            .map(|v| v.0)
            .collect();
        if !refs.is_empty() && self.chance(25) {
            let i = refs[self.pick(refs.len() as u64) as usize];
            return e(ExprKind::ValueRef(i), ty_of(t));
        }
        let use_field = self.chance(60);
        match t {
            T::Bool if use_field => field(&self.base, 4),
            T::Bool => lit(Value::Bool(self.chance(50)), Ty::Bool),
            T::Int if use_field => field(&self.base, 0),
            T::Int => {
                let v = self.int_lit();
                int(v)
            }
            T::Num if self.scores > 0 && self.chance(30) => e(
                ExprKind::ScoreRef(self.pick(self.scores as u64) as u32),
                Ty::Number,
            ),
            T::Num if use_field => field(&self.base, 1),
            T::Num => {
                let v = self.num_lit();
                num(v)
            }
            T::Str if use_field => field(&self.base, 2),
            T::Str if self.chance(20) => e(ExprKind::Id, Ty::String),
            T::Str => lit(Value::Str(STRS[self.pick(7) as usize].into()), Ty::String),
            T::Time if use_field => field(&self.base, 3),
            T::Time if self.chance(50) => e(ExprKind::Now, Ty::Time),
            T::Time => lit(Value::Time(NOW - self.pick(30) as i64 * DAY / 3), Ty::Time),
            T::Dur if self.in_transition && self.chance(50) => {
                e(ExprKind::TimeInStage, Ty::Duration)
            }
            T::Dur => lit(
                Value::Duration(self.pick(20) as i64 * DAY / 2 - 3 * DAY),
                Ty::Duration,
            ),
        }
    }

    fn expr(&mut self, t: T, depth: u32) -> Expr {
        if depth == 0 || self.chance(25) {
            return self.leaf(t);
        }
        let d = depth - 1;
        let arith =
            |op: ArithOp, a: Expr, b2: Expr, ty: Ty| e(ExprKind::Arith(op, b(a), b(b2)), ty);
        let ops = [ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Div];
        let cmps = [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ];
        let call = |f: Func, args: Vec<Expr>, ty: Ty| e(ExprKind::Call(f, args), ty);
        match t {
            T::Bool => match self.pick(16) {
                0 | 1 => {
                    let op = cmps[self.pick(6) as usize];
                    let ts = [T::Int, T::Num, T::Str, T::Time, T::Dur][self.pick(5) as usize];
                    let (mut ta, mut tb) = (ts, ts);
                    if ts == T::Num && self.chance(50) {
                        ta = T::Int;
                    } else if ts == T::Int && self.chance(30) {
                        tb = T::Num;
                    }
                    e(
                        ExprKind::Cmp(op, b(self.expr(ta, d)), b(self.expr(tb, d))),
                        Ty::Bool,
                    )
                }
                2 => e(
                    ExprKind::And(b(self.expr(T::Bool, d)), b(self.expr(T::Bool, d))),
                    Ty::Bool,
                ),
                3 => e(
                    ExprKind::Or(b(self.expr(T::Bool, d)), b(self.expr(T::Bool, d))),
                    Ty::Bool,
                ),
                4 => e(ExprKind::Not(b(self.expr(T::Bool, d))), Ty::Bool),
                5 => e(
                    ExprKind::Between {
                        value: b(self.expr(T::Int, d)),
                        lo: b(self.expr(T::Int, d)),
                        hi: b(if self.chance(50) {
                            self.expr(T::Int, d)
                        } else {
                            self.expr(T::Num, d)
                        }),
                    },
                    Ty::Bool,
                ),
                6 => {
                    let negated = self.chance(40);
                    let list = if self.chance(50) {
                        field(&self.base, 6)
                    } else {
                        lit(
                            Value::List(
                                vec![
                                    Value::Str("Ab".into()),
                                    Value::Str("/pricing".into()),
                                    Value::Str("b.com".into()),
                                ]
                                .into(),
                            ),
                            Ty::List(Box::new(Ty::String)),
                        )
                    };
                    e(
                        ExprKind::In {
                            value: b(self.expr(T::Str, d)),
                            list: b(list),
                            negated,
                        },
                        Ty::Bool,
                    )
                }
                7 => {
                    let xyz = self.base.xyz.clone();
                    let v = Value::List(vec![Value::Enum(self.sym(0, 3))].into());
                    e(
                        ExprKind::In {
                            value: b(field(&self.base, 5)),
                            list: b(lit(v, Ty::List(Box::new(xyz)))),
                            negated: false,
                        },
                        Ty::Bool,
                    )
                }
                8 => {
                    let op = [StrOp::Contains, StrOp::StartsWith, StrOp::EndsWith]
                        [self.pick(3) as usize];
                    e(
                        ExprKind::StrTest(op, b(self.expr(T::Str, d)), b(self.expr(T::Str, d))),
                        Ty::Bool,
                    )
                }
                9 => {
                    let re = ["^a", "(?i)b", "@", "^$"][self.pick(4) as usize];
                    let pat = Pattern(Arc::new(regex::Regex::new(re).expect("test pattern")));
                    e(ExprKind::Matches(b(self.expr(T::Str, d)), pat), Ty::Bool)
                }
                10 => {
                    let ts = [T::Int, T::Str, T::Time][self.pick(3) as usize];
                    call(Func::Known, vec![self.expr(ts, d)], Ty::Bool)
                }
                11 if self.event.is_none() => {
                    let q = self.query(d);
                    e(
                        ExprKind::Agg {
                            kind: AggKind::Exists,
                            query: q,
                            arg: None,
                        },
                        Ty::Bool,
                    )
                }
                12 if self.tiers > 0 => {
                    let i = self.pick(self.tiers as u64) as u32;
                    let label = self.sym(7, 3);
                    e(
                        ExprKind::Cmp(
                            CmpOp::Eq,
                            b(e(ExprKind::TierRef(i), self.base.abc.clone())),
                            b(lit(Value::Enum(label), self.base.abc.clone())),
                        ),
                        Ty::Bool,
                    )
                }
                13 => {
                    let tags = field(&self.base, 6);
                    let other = lit(
                        Value::List(vec![Value::Str("Ab".into())].into()),
                        Ty::List(Box::new(Ty::String)),
                    );
                    e(
                        ExprKind::Cmp(
                            if self.chance(50) {
                                CmpOp::Eq
                            } else {
                                CmpOp::Ne
                            },
                            b(tags),
                            b(other),
                        ),
                        Ty::Bool,
                    )
                }
                14 => call(
                    Func::Default,
                    vec![self.expr(T::Bool, d), self.expr(T::Bool, d)],
                    Ty::Bool,
                ),
                _ => self.leaf(T::Bool),
            },
            T::Int => match self.pick(12) {
                0..=2 => {
                    let op = ops[self.pick(3) as usize];
                    arith(op, self.expr(T::Int, d), self.expr(T::Int, d), Ty::Int)
                }
                3 => e(ExprKind::Neg(b(self.expr(T::Int, d))), Ty::Int),
                4 if self.chance(30) => call(Func::Length, vec![field(&self.base, 6)], Ty::Int),
                4 => call(Func::Length, vec![self.expr(T::Str, d)], Ty::Int),
                5 => call(Func::Abs, vec![self.expr(T::Int, d)], Ty::Int),
                6 => {
                    let f = if self.chance(50) {
                        Func::Min
                    } else {
                        Func::Max
                    };
                    call(f, vec![self.expr(T::Int, d), self.expr(T::Int, d)], Ty::Int)
                }
                7 if self.event.is_none() => {
                    let q = self.query(d);
                    e(
                        ExprKind::Agg {
                            kind: AggKind::Count,
                            query: q,
                            arg: None,
                        },
                        Ty::Int,
                    )
                }
                8 if self.event.is_none() => {
                    let mut q = self.query(d);
                    q.event = 0;
                    q.filter = None;
                    let saved = self.event;
                    self.event = Some(0);
                    let arg = self.expr(T::Int, d);
                    let mut kind =
                        [AggKind::Sum, AggKind::Distinct, AggKind::Min][self.pick(3) as usize];
                    let arg = if kind == AggKind::Distinct && self.chance(50) {
                        e(ExprKind::EventField(2), Ty::String)
                    } else if kind == AggKind::Sum && self.chance(30) {
                        kind = AggKind::Distinct;
                        call(Func::Day, vec![e(ExprKind::EventAt, Ty::Time)], Ty::Time)
                    } else {
                        arg
                    };
                    self.event = saved;
                    let ty = Ty::Int;
                    let agg = e(
                        ExprKind::Agg {
                            kind,
                            query: q,
                            arg: Some(b(arg)),
                        },
                        ty.clone(),
                    );
                    if kind == AggKind::Min {
                        call(Func::Default, vec![agg, int(-1)], ty)
                    } else {
                        agg
                    }
                }
                9 => {
                    let f = if self.chance(50) {
                        Func::Hour
                    } else {
                        Func::Weekday
                    };
                    call(f, vec![self.expr(T::Time, d)], Ty::Int)
                }
                10 => call(
                    Func::Default,
                    vec![self.expr(T::Int, d), self.expr(T::Int, d)],
                    Ty::Int,
                ),
                _ => self.leaf(T::Int),
            },
            T::Num => match self.pick(10) {
                0..=2 => {
                    let op = ops[self.pick(4) as usize];
                    let (ta, tb) = [
                        (T::Num, T::Num),
                        (T::Int, T::Num),
                        (T::Num, T::Int),
                        (T::Int, T::Int),
                    ][self.pick(4) as usize];
                    if op != ArithOp::Div && ta == T::Int && tb == T::Int {
                        arith(op, self.expr(T::Num, d), self.expr(tb, d), Ty::Number)
                    } else {
                        arith(op, self.expr(ta, d), self.expr(tb, d), Ty::Number)
                    }
                }
                3 => call(
                    Func::Round,
                    vec![self.expr(T::Num, d), int(self.pick(5) as i64 - 2)],
                    Ty::Number,
                ),
                4 => call(Func::Days, vec![self.expr(T::Dur, d)], Ty::Number),
                5 if self.event.is_none() => {
                    let mut q = self.query(d);
                    q.event = 0;
                    q.filter = None;
                    let saved = self.event;
                    self.event = Some(0);
                    let arg = self.expr(T::Num, d);
                    self.event = saved;
                    let kind = [AggKind::Sum, AggKind::Avg, AggKind::Max][self.pick(3) as usize];
                    e(
                        ExprKind::Agg {
                            kind,
                            query: q,
                            arg: Some(b(arg)),
                        },
                        Ty::Number,
                    )
                }
                6 if self.chance(50) => {
                    let f = if self.chance(50) {
                        Func::Min
                    } else {
                        Func::Max
                    };
                    let (ta, tb) = [(T::Num, T::Int), (T::Int, T::Num), (T::Num, T::Num)]
                        [self.pick(3) as usize];
                    call(f, vec![self.expr(ta, d), self.expr(tb, d)], Ty::Number)
                }
                6 => call(Func::Abs, vec![self.expr(T::Num, d)], Ty::Number),
                7 => e(ExprKind::Neg(b(self.expr(T::Num, d))), Ty::Number),
                8 => arith(
                    ArithOp::Div,
                    self.expr(T::Dur, d),
                    self.expr(T::Dur, d),
                    Ty::Number,
                ),
                _ => self.leaf(T::Num),
            },
            T::Str if self.event.is_none() && self.chance(15) => {
                let mut q = self.query(d);
                q.event = 0;
                q.filter = None;
                let kind = if self.chance(50) {
                    AggKind::Min
                } else {
                    AggKind::Max
                };
                let arg = Some(b(e(ExprKind::EventField(2), Ty::String)));
                let agg = e(
                    ExprKind::Agg {
                        kind,
                        query: q,
                        arg,
                    },
                    Ty::String,
                );
                let none = lit(Value::Str("none".into()), Ty::String);
                call(Func::Default, vec![agg, none], Ty::String)
            }
            T::Str => {
                let f = [Func::Lower, Func::Upper, Func::Trim, Func::Domain][self.pick(4) as usize];
                if self.chance(50) {
                    call(f, vec![self.expr(T::Str, d)], Ty::String)
                } else {
                    self.leaf(T::Str)
                }
            }
            T::Time => match self.pick(6) {
                0 => arith(
                    ArithOp::Add,
                    self.expr(T::Time, d),
                    self.expr(T::Dur, d),
                    Ty::Time,
                ),
                1 => arith(
                    ArithOp::Sub,
                    self.expr(T::Time, d),
                    self.expr(T::Dur, d),
                    Ty::Time,
                ),
                2 => call(Func::Day, vec![self.expr(T::Time, d)], Ty::Time),
                3 if self.event.is_none() => {
                    let q = self.query(d);
                    let kind = if self.chance(50) {
                        AggKind::First
                    } else {
                        AggKind::Last
                    };
                    e(
                        ExprKind::Agg {
                            kind,
                            query: q,
                            arg: None,
                        },
                        Ty::Time,
                    )
                }
                _ => self.leaf(T::Time),
            },
            T::Dur => match self.pick(6) {
                0 => call(Func::Since, vec![self.expr(T::Time, d)], Ty::Duration),
                1 => arith(
                    ArithOp::Sub,
                    self.expr(T::Time, d),
                    self.expr(T::Time, d),
                    Ty::Duration,
                ),
                2 => arith(
                    ArithOp::Mul,
                    self.expr(T::Dur, d),
                    self.expr(T::Num, d),
                    Ty::Duration,
                ),
                3 => arith(
                    ArithOp::Div,
                    self.expr(T::Dur, d),
                    self.expr(T::Num, d),
                    Ty::Duration,
                ),
                4 => e(ExprKind::Neg(b(self.expr(T::Dur, d))), Ty::Duration),
                _ => self.leaf(T::Dur),
            },
        }
    }

    fn model(&mut self) -> Model {
        let mut m = empty_model(&self.base);
        for i in 0..(1 + self.pick(5)) as u32 {
            let (kind, t) = match self.pick(3) {
                0 => (ValueKind::Criterion, T::Bool),
                1 => (ValueKind::Segment, T::Bool),
                _ => (
                    ValueKind::Let,
                    [T::Bool, T::Int, T::Num, T::Str, T::Time, T::Dur][self.pick(6) as usize],
                ),
            };
            let expr = self.expr(t, 3);
            m.values.push(ValueDecl {
                name: format!("v{i}"),
                kind,
                ty: ty_of(t),
                expr,
                origin: origin(10 + i),
                doc: None,
            });
            self.values.push((i, ty_of(t)));
            m.order.push(DeclRef::Value(i));
        }
        for i in 0..(1 + self.pick(3)) as u32 {
            let decay = match self.pick(4) {
                0 => Decay::None,
                1 => Decay::HalfLife((1 + self.pick(10)) as f64 * DAY as f64 / 2.0),
                2 => Decay::Linear((1 + self.pick(10)) as f64 * DAY as f64),
                _ => Decay::Step {
                    percent: [10.0, 50.0, 100.0][self.pick(3) as usize],
                    every: (1 + self.pick(5)) as f64 * DAY as f64,
                },
            };
            let mut rules = Vec::new();
            for r in 0..(1 + self.pick(4)) {
                let kind = match self.pick(3) {
                    0 => RuleKind::Cond(self.expr(T::Bool, 3)),
                    1 => RuleKind::Each(self.query(2)),
                    _ => RuleKind::Latest(self.query(2)),
                };
                let points = [25.0, -30.0, 12.5, 3.0, -0.5][self.pick(5) as usize];
                let cap = if self.chance(30) {
                    Some([1.0, 15.0, 40.0][self.pick(3) as usize])
                } else {
                    None
                };
                rules.push(rule(kind, points, cap, 100 + r as u32, "rule"));
            }
            let range = if self.chance(40) {
                Some((-20.0, 30.0))
            } else {
                None
            };
            m.scores.push(ScoreDecl {
                name: format!("s{i}"),
                decay,
                range,
                rules,
                origin: origin(50 + i),
                doc: None,
            });
            m.order.push(DeclRef::Score(i));
            self.scores = i + 1;
        }
        for i in 0..self.pick(3) as u32 {
            let mut arms = Vec::new();
            for k in 0..(1 + self.pick(3)) as usize {
                arms.push(TierArm {
                    label: self.base.syms[7 + k],
                    cond: Some(self.expr(T::Bool, 2)),
                });
            }
            if self.chance(50) && arms.len() < 3 {
                let k = arms.len();
                arms.push(TierArm {
                    label: self.base.syms[7 + k],
                    cond: None,
                });
            }
            m.tiers.push(TierDecl {
                name: format!("t{i}"),
                ty: self.base.abc.clone(),
                arms,
                origin: origin(80 + i),
                doc: None,
            });
            m.order.push(DeclRef::Tier(i));
            self.tiers = i + 1;
        }
        self.in_transition = true;
        for i in 0..self.pick(6) as u32 {
            let from = if self.chance(25) {
                None
            } else {
                Some(self.sym(3, 4))
            };
            let to = self.sym(3, 4);
            let cond = self.expr(T::Bool, 2);
            m.transitions.push(TransitionDecl {
                from,
                to,
                cond,
                origin: origin(90 + i),
                doc: None,
            });
        }
        self.in_transition = false;
        m
    }

    fn lead(&mut self) -> LeadRecord {
        let maybe = |g: &mut Gen, v: Value| if g.chance(25) { Value::Unknown } else { v };
        let a = self.int_lit();
        let bb = self.num_lit();
        let s = Value::Str(STRS[self.pick(7) as usize].into());
        let t = Value::Time(NOW - self.pick(40) as i64 * DAY / 4);
        let flag = Value::Bool(self.chance(50));
        let en = Value::Enum(self.sym(0, 3));
        let tags = Value::List(
            if self.chance(50) {
                vec![Value::Str("Ab".into())]
            } else {
                vec![]
            }
            .into(),
        );
        let fields = vec![
            maybe(self, Value::Int(a)),
            maybe(self, Value::Number(bb)),
            maybe(self, s),
            maybe(self, t),
            maybe(self, flag),
            maybe(self, en),
            maybe(self, tags),
        ];
        let mut ev0 = Vec::new();
        for _ in 0..self.pick(6) {
            let at = NOW - self.pick(24) as i64 * DAY / 2 + DAY;
            let n = self.int_lit();
            let v = self.num_lit();
            ev0.push((at, n, v, STRS[self.pick(7) as usize]));
        }
        let mut ev1 = Vec::new();
        for _ in 0..self.pick(4) {
            let at = NOW - self.pick(24) as i64 * DAY / 2;
            let ok = if self.chance(20) {
                None
            } else {
                Some(self.chance(50))
            };
            ev1.push((at, ok));
        }
        let mut l = lead(fields, ev0, ev1);
        l.id = LeadId::Int(self.pick(1000) as i64);
        if self.chance(50) {
            l.stage = Some(self.sym(3, 4));
        }
        if self.chance(50) {
            l.stage_since = Some(NOW - self.pick(10) as i64 * DAY);
        }
        l
    }
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// `lead` with every event field not in `read` (per event type) unknown.
fn without_unread(lead: &LeadRecord, read: &[Vec<u32>]) -> LeadRecord {
    let mut lead = lead.clone();
    for (group, read) in lead.events.iter_mut().zip(read) {
        for ev in group {
            for (slot, v) in ev.fields.iter_mut().enumerate() {
                if !read.contains(&(slot as u32)) {
                    *v = Value::Unknown;
                }
            }
        }
    }
    lead
}

fn check_agreement(seed: u64) -> Result<(), TestCaseError> {
    let mut g = Gen {
        state: seed | 1,
        base: base(),
        values: vec![],
        scores: 0,
        tiers: 0,
        event: None,
        in_transition: false,
    };
    let model = g.model();
    let program = crate::compile(&model);
    let read = program.event_fields_read();
    for _ in 0..8 {
        let lead = g.lead();
        let vm = program.eval(&lead, NOW, true);
        // The reference sees the event fields the program does not read as
        // unknown, as a reader told `event_fields_read` leaves them: if that
        // list missed a field some rule reads, the two would differ.
        let rf = reference::evaluate(&model, &without_unread(&lead, &read), NOW);
        let ctx = || format!("model: {model:#?}\nlead: {lead:#?}\nvm: {vm:#?}\nref: {rf:#?}");
        prop_assert_eq!(vm.error.is_some(), rf.error, "{}", ctx());
        if rf.error {
            continue;
        }
        prop_assert_eq!(vm.stage, rf.stage, "{}", ctx());
        prop_assert_eq!(vm.from_stage, rf.from_stage);
        let path: Vec<(Sym, Sym, u32)> = vm
            .path
            .iter()
            .map(|p| (p.from, p.to, p.transition))
            .collect();
        prop_assert_eq!(path, rf.path.clone(), "{}", ctx());
        prop_assert_eq!(vm.cycle.map(|p| (p.from, p.to, p.transition)), rf.cycle);
        prop_assert_eq!(vm.scores.len(), rf.scores.len());
        for (a, b) in vm.scores.iter().zip(&rf.scores) {
            prop_assert!(same_f64(*a, *b), "score {} vs {}\n{}", a, b, ctx());
        }
        for (a, b) in vm
            .contributions
            .iter()
            .flatten()
            .zip(rf.contributions.iter().flatten())
        {
            prop_assert!(same_f64(*a, *b), "contribution {} vs {}\n{}", a, b, ctx());
        }
        prop_assert_eq!(&vm.tiers, &rf.tiers, "{}", ctx());
        prop_assert_eq!(&vm.segments, &rf.segments, "{}", ctx());
        prop_assert_eq!(&vm.criteria, &rf.criteria, "{}", ctx());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]
    #[test]
    fn vm_agrees_with_reference(seed in any::<u64>()) {
        check_agreement(seed)?;
    }
}

// ---------------------------------------------------------------------------
// single expressions against the spec's tables (§5.2, §5.3)

/// Evaluate one expression as a `let` for a lead whose `a` field is unknown.
fn value_of(expr: Expr) -> Result<Value, String> {
    let base = base();
    let mut m = empty_model(&base);
    m.values.push(ValueDecl {
        name: "x".into(),
        kind: ValueKind::Let,
        ty: expr.ty.clone(),
        expr,
        origin: origin(1),
        doc: None,
    });
    m.order = vec![DeclRef::Value(0)];
    let p = crate::compile(&m);
    let l = lead(
        vec![Value::Unknown; 7],
        vec![
            (NOW - DAY, 1, 1.0, "a"),
            (NOW - DAY / 2, 1, -0.0, "b"),
            (NOW - DAY / 3, 1, 0.0, "c"),
        ],
        vec![],
    );
    let ex = crate::explain(&p, &m, &l, NOW);
    match ex.error {
        Some(e) => Err(e.0),
        None => Ok(ex.lets[0].value.clone()),
    }
}

fn s(x: &str) -> Expr {
    lit(Value::Str(x.into()), Ty::String)
}
fn t(text: &str) -> Expr {
    let ms =
        mql_core::time::parse_time(text, mql_core::time::TimeSyntax::Literal).expect("test time");
    lit(Value::Time(ms), Ty::Time)
}
fn d(ms: i64) -> Expr {
    lit(Value::Duration(ms), Ty::Duration)
}
fn f1(func: Func, a: Expr, ty: Ty) -> Expr {
    e(ExprKind::Call(func, vec![a]), ty)
}
fn f2(func: Func, a: Expr, c: Expr, ty: Ty) -> Expr {
    e(ExprKind::Call(func, vec![a, c]), ty)
}
fn ar(op: ArithOp, a: Expr, c: Expr, ty: Ty) -> Expr {
    e(ExprKind::Arith(op, b(a), b(c)), ty)
}

#[test]
fn functions_and_operators_follow_the_spec_tables() {
    let n = Ty::Number;
    let cases: Vec<(&str, Expr, Result<Value, String>)> = vec![
        (
            "round half away from zero",
            f2(Func::Round, num(2.5), int(0), n.clone()),
            Ok(Value::Number(3.0)),
        ),
        (
            "round negative half",
            f2(Func::Round, num(-2.5), int(0), n.clone()),
            Ok(Value::Number(-3.0)),
        ),
        (
            "round to hundreds",
            f2(Func::Round, num(1250.0), int(-2), n.clone()),
            Ok(Value::Number(1300.0)),
        ),
        (
            "round to cents",
            f2(Func::Round, num(41.666), int(2), n.clone()),
            Ok(Value::Number(41.67)),
        ),
        (
            "int division is a number",
            ar(ArithOp::Div, int(7), int(2), n.clone()),
            Ok(Value::Number(3.5)),
        ),
        (
            "division by zero is unknown",
            ar(ArithOp::Div, int(7), int(0), n.clone()),
            Ok(Value::Unknown),
        ),
        (
            "duration times number",
            ar(ArithOp::Mul, d(14 * DAY), num(0.5), Ty::Duration),
            Ok(Value::Duration(7 * DAY)),
        ),
        (
            "duration rounds half away from zero",
            ar(ArithOp::Mul, d(1), num(1.5), Ty::Duration),
            Ok(Value::Duration(2)),
        ),
        (
            "negative duration rounds away from zero",
            ar(ArithOp::Mul, d(-1), num(1.5), Ty::Duration),
            Ok(Value::Duration(-2)),
        ),
        (
            "duration over duration",
            ar(ArithOp::Div, d(36 * 3_600_000), d(DAY), n.clone()),
            Ok(Value::Number(1.5)),
        ),
        (
            "time minus time",
            ar(ArithOp::Sub, t("2026-11-02"), t("2026-11-01"), Ty::Duration),
            Ok(Value::Duration(DAY)),
        ),
        (
            "domain is lowercased",
            f1(Func::Domain, s("Ana@Acme.IO"), Ty::String),
            Ok(Value::Str("acme.io".into())),
        ),
        (
            "domain after the last @",
            f1(Func::Domain, s("a@b@Shop.com"), Ty::String),
            Ok(Value::Str("shop.com".into())),
        ),
        (
            "domain without @ is unknown",
            f1(Func::Domain, s("nobody"), Ty::String),
            Ok(Value::Unknown),
        ),
        (
            "upper is full case mapping",
            f1(Func::Upper, s("straße"), Ty::String),
            Ok(Value::Str("STRASSE".into())),
        ),
        (
            "lower is full case mapping",
            f1(Func::Lower, s("İ"), Ty::String),
            Ok(Value::Str("i\u{307}".into())),
        ),
        (
            "trim is unicode white space",
            f1(Func::Trim, s("\u{a0} x \u{2003}"), Ty::String),
            Ok(Value::Str("x".into())),
        ),
        (
            "length counts characters",
            f1(Func::Length, s("héllo"), Ty::Int),
            Ok(Value::Int(5)),
        ),
        (
            "weekday of a sunday",
            f1(Func::Weekday, t("2026-11-01"), Ty::Int),
            Ok(Value::Int(7)),
        ),
        (
            "weekday of a monday",
            f1(Func::Weekday, t("2026-11-02T23:59:59Z"), Ty::Int),
            Ok(Value::Int(1)),
        ),
        (
            "hour is utc",
            f1(Func::Hour, t("2026-11-01T09:30:00+02:00"), Ty::Int),
            Ok(Value::Int(7)),
        ),
        (
            "day is midnight utc",
            f1(Func::Day, t("2026-11-01T23:30:00Z"), Ty::Time),
            t("2026-11-01").kind_value(),
        ),
        (
            "days of a duration",
            f1(Func::Days, d(36 * 3_600_000), n.clone()),
            Ok(Value::Number(1.5)),
        ),
        (
            "min of int and number is a number",
            f2(Func::Min, int(3), num(2.5), n.clone()),
            Ok(Value::Number(2.5)),
        ),
        (
            "max of ints is an int",
            f2(Func::Max, int(2), int(3), Ty::Int),
            Ok(Value::Int(3)),
        ),
        (
            "abs of an int",
            f1(Func::Abs, int(-4), Ty::Int),
            Ok(Value::Int(4)),
        ),
        (
            "known of a missing field",
            f1(Func::Known, field(&base(), 0), Ty::Bool),
            Ok(Value::Bool(false)),
        ),
        (
            "default of a missing field",
            f2(Func::Default, field(&base(), 0), int(5), Ty::Int),
            Ok(Value::Int(5)),
        ),
        (
            "unknown propagates",
            ar(ArithOp::Add, field(&base(), 0), int(1), Ty::Int),
            Ok(Value::Unknown),
        ),
        (
            "text ordering is by bytes",
            e(ExprKind::Cmp(CmpOp::Lt, b(s("B")), b(s("a"))), Ty::Bool),
            Ok(Value::Bool(true)),
        ),
        (
            "since a future time is negative",
            f1(
                Func::Since,
                lit(Value::Time(NOW + DAY), Ty::Time),
                Ty::Duration,
            ),
            Ok(Value::Duration(-DAY)),
        ),
        (
            "int overflow is an error",
            ar(ArithOp::Add, int(i64::MAX), int(1), Ty::Int),
            Err("whole-number overflow in let `x` (line 1)".into()),
        ),
        (
            "abs overflow is an error",
            f1(Func::Abs, int(i64::MIN), Ty::Int),
            Err("whole-number overflow in let `x` (line 1)".into()),
        ),
    ];
    for (what, expr, want) in cases {
        assert_eq!(value_of(expr), want, "{what}");
    }
}

#[test]
fn aggregates_follow_the_spec_table() {
    let q = |within: Option<i64>| Query {
        event: 0,
        filter: None,
        within,
        span: Span::default(),
    };
    let v = || Some(b(e(ExprKind::EventField(1), Ty::Number)));
    let agg = |kind, query, arg, ty| e(ExprKind::Agg { kind, query, arg }, ty);
    let cases: Vec<(&str, Expr, Value)> = vec![
        (
            "count",
            agg(AggKind::Count, q(None), None, Ty::Int),
            Value::Int(3),
        ),
        (
            "count within",
            agg(AggKind::Count, q(Some(DAY / 2)), None, Ty::Int),
            Value::Int(1),
        ),
        (
            "within 0d selects nothing",
            agg(AggKind::Exists, q(Some(0)), None, Ty::Bool),
            Value::Bool(false),
        ),
        (
            "avg of nothing is unknown",
            agg(AggKind::Avg, q(Some(0)), v(), Ty::Number),
            Value::Unknown,
        ),
        (
            "sum of nothing is 0",
            agg(AggKind::Sum, q(Some(0)), v(), Ty::Number),
            Value::Number(0.0),
        ),
        (
            "distinct treats 0.0 and -0.0 alike",
            agg(AggKind::Distinct, q(None), v(), Ty::Int),
            Value::Int(2),
        ),
        (
            "first is the oldest",
            agg(AggKind::First, q(None), None, Ty::Time),
            Value::Time(NOW - DAY),
        ),
        (
            "last is the newest",
            agg(AggKind::Last, q(None), None, Ty::Time),
            Value::Time(NOW - DAY / 3),
        ),
        (
            "min of numbers",
            agg(AggKind::Min, q(None), v(), Ty::Number),
            Value::Number(-0.0),
        ),
        (
            "max of text",
            agg(
                AggKind::Max,
                q(None),
                Some(b(e(ExprKind::EventField(2), Ty::String))),
                Ty::String,
            ),
            Value::Str("c".into()),
        ),
    ];
    for (what, expr, want) in cases {
        assert_eq!(value_of(expr), Ok(want), "{what}");
    }
}

trait KindValue {
    fn kind_value(&self) -> Result<Value, String>;
}

impl KindValue for Expr {
    fn kind_value(&self) -> Result<Value, String> {
        match &self.kind {
            ExprKind::Lit(v) => Ok(v.clone()),
            _ => Err("not a literal".into()),
        }
    }
}

#[test]
fn the_event_fields_a_program_reads() {
    let src = include_str!("../../mql-sema/tests/fixtures/spec_example.mql");
    let model = mql_sema::check_source("spec.mql", src)
        .model
        .expect("the §1 model checks");
    // page_view's url and form_submit's form (filters), webinar's attended
    // (`where attended`); no rule looks inside a download or a click
    let read = crate::compile(&model).event_fields_read();
    assert_eq!(read, vec![vec![0], vec![0], vec![], vec![1], vec![]]);

    // a filter on the stack machine and an aggregate's argument
    let src = r#"model m
lead { a: int }
event visit { url: string, seconds: int, device: enum { desktop, mobile }, note: string }
event call { minutes: int }
let long = sum(visit where device == mobile or url contains "x", seconds)
let calls = count(call)
"#;
    let checked = mql_sema::check_source("m.mql", src);
    let model = checked.model.expect("the model checks");
    let read = crate::compile(&model).event_fields_read();
    assert_eq!(read, vec![vec![0, 1, 2], vec![]]);
}
