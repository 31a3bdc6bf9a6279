//! Building the main query: names for every column, the input steps, the
//! events passes, one step per declaration, the walk and the output.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use mql_core::Ty;
use mql_sema::hir::{AggKind, Decay, DeclRef, Model, Query, RuleKind, ValueKind};

use crate::dialect::{Dialect, SqlTy};
use crate::expr::{Code, Cx, Scope, Temp, Tis, INT_OVERFLOW};
use crate::frag::{
    and_all, bin, call, case, cmp, coalesce, is_null, Frag, P_ADD, P_AND, P_CMP, P_MUL,
};
use crate::input::{self, sql_ty};
use crate::names::Names;
use crate::{CompileError, Options};

/// What an events-pass aggregate computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AggSpec {
    Plain(AggKind),
    /// `each QUERY => POINTS [up to CAP]` in a score with this decay.
    Each {
        points: f64,
        cap: Option<f64>,
        decay: Decay,
    },
    /// `latest QUERY => POINTS`.
    Latest {
        points: f64,
        cap: Option<f64>,
        decay: Decay,
    },
}

/// One aggregate of an events pass.
pub struct AggReq {
    pub value_col: String,
    pub err_col: Option<String>,
    /// Aggregate columns over the events: name, SQL.
    pub raws: Vec<(String, Frag)>,
    /// Lead columns computed from them after the pass.
    pub posts: Vec<(String, Frag, SqlTy)>,
    /// Helper columns of the events, by layer.
    pub temps: Vec<Vec<Temp>>,
    /// Declarations the filter or argument reads.
    pub deps: HashSet<DeclRef>,
    /// Whether the filter or argument reads the lead.
    pub lead_ref: bool,
    /// A one-line description, for the query's comments.
    pub what: String,
}

pub struct Builder<'m> {
    pub model: &'m Model,
    pub d: &'static dyn Dialect,
    pub opts: &'m Options,
    pub names: Names,
    /// `now`, in milliseconds.
    pub now: Frag,
    lead_cols: Vec<Option<String>>,
    event_cols: BTreeMap<(u32, u32), String>,
    decl_cols: HashMap<DeclRef, String>,
    stage_col: Option<String>,
    stage_since_col: Option<String>,
    pub aggs: Vec<AggReq>,
    agg_keys: HashMap<String, usize>,
    pub events_read: BTreeSet<u32>,
}

/// One step of the query: a common table expression.
pub struct Cte {
    pub name: String,
    pub comment: Vec<String>,
    pub body: String,
}

/// The chain of steps over the leads, and its lasting columns.
pub struct Chain {
    pub ctes: Vec<Cte>,
    pub prev: String,
    pub cols: Vec<(String, SqlTy)>,
    pub need_row_key: bool,
}

fn indent(s: &str, by: &str) -> String {
    s.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Chain {
    /// `SELECT *, cols FROM prev` as a new step.
    pub fn project(
        &mut self,
        b: &mut Builder,
        name: &str,
        comment: Vec<String>,
        cols: &[(String, Frag)],
        lasting: Option<&[(String, SqlTy)]>,
    ) {
        let name = b.names.fresh(name);
        let mut lines = vec!["  SELECT".to_string(), "    *".to_string()];
        for (c, f) in cols {
            let last = lines.len() - 1;
            lines[last].push(',');
            lines.push(format!("    {} AS {c}", f.s()));
        }
        lines.push(format!("  FROM {}{}", self.prev, b.d.fence()));
        self.ctes.push(Cte {
            name: name.clone(),
            comment,
            body: lines.join("\n"),
        });
        self.prev = name;
        if let Some(l) = lasting {
            self.cols.extend(l.iter().cloned());
        }
    }

    /// `SELECT *, cols FROM prev` with a comment above each declaration's column.
    pub fn project_commented(
        &mut self,
        b: &mut Builder,
        name: &str,
        cols: &[(Vec<String>, String, Frag)],
        lasting: &[(String, SqlTy)],
    ) {
        let name = b.names.fresh(name);
        let mut lines = vec!["  SELECT".to_string(), "    *".to_string()];
        for (comment, c, f) in cols {
            let last = lines.len() - 1;
            lines[last].push(',');
            for line in comment {
                lines.push(format!("    -- {}", line.replace('\n', " ")));
            }
            lines.push(format!("    {} AS {c}", f.s()));
        }
        lines.push(format!("  FROM {}{}", self.prev, b.d.fence()));
        self.ctes.push(Cte {
            name: name.clone(),
            comment: Vec::new(),
            body: lines.join("\n"),
        });
        self.prev = name;
        self.cols.extend(lasting.iter().cloned());
    }
}

/// How mql eval names where an error happened: "let `x` (line 3)".
pub fn place(model: &Model, word: &str, name: &str, file: u32, line: u32) -> String {
    if file == 0 {
        format!("{word} `{name}` (line {line})")
    } else {
        let f = model.files.get(file as usize).map_or("", |f| &**f);
        format!("{word} `{name}` ({f}, line {line})")
    }
}

pub fn kind_word(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Let => "let",
        ValueKind::Criterion => "criterion",
        ValueKind::Segment => "segment",
    }
}

impl<'m> Builder<'m> {
    pub fn new(model: &'m Model, opts: &'m Options) -> Builder<'m> {
        let d = opts.dialect;
        let mut names = Names::default();
        for n in [
            "lead_key",
            "row_key",
            "lead_id",
            "ev_type",
            "at_ms",
            "mql_error",
            "lead_rows",
            "event_rows",
            "result",
        ] {
            names.reserve(n);
        }
        names.reserve(&opts.leads_table);
        names.reserve(&opts.events_table);
        let mut decl_cols = HashMap::new();
        for (i, v) in model.values.iter().enumerate() {
            let p = match v.kind {
                ValueKind::Let => "l",
                ValueKind::Criterion => "c",
                ValueKind::Segment => "s",
            };
            decl_cols.insert(
                DeclRef::Value(i as u32),
                names.fresh(&format!("{p}_{}", v.name)),
            );
        }
        for (i, s) in model.scores.iter().enumerate() {
            decl_cols.insert(
                DeclRef::Score(i as u32),
                names.fresh(&format!("sc_{}", s.name)),
            );
        }
        for (i, t) in model.tiers.iter().enumerate() {
            decl_cols.insert(
                DeclRef::Tier(i as u32),
                names.fresh(&format!("t_{}", t.name)),
            );
        }
        let now = match opts.as_of {
            Some(ms) => d.int(ms),
            None => d.now_ms(),
        };
        Builder {
            model,
            d,
            opts,
            names,
            now,
            lead_cols: vec![None; model.schema.lead.len()],
            event_cols: BTreeMap::new(),
            decl_cols,
            stage_col: None,
            stage_since_col: None,
            aggs: Vec::new(),
            agg_keys: HashMap::new(),
            events_read: BTreeSet::new(),
        }
    }

    pub fn lead_field(&mut self, i: u32) -> String {
        if let Some(Some(n)) = self.lead_cols.get(i as usize) {
            return n.clone();
        }
        let name = self
            .model
            .schema
            .lead
            .get(i as usize)
            .map_or("field", |f| &f.name)
            .to_string();
        let n = self.names.fresh(&format!("f_{name}"));
        if let Some(slot) = self.lead_cols.get_mut(i as usize) {
            *slot = Some(n.clone());
        }
        n
    }

    pub fn event_field(&mut self, ev: u32, i: u32) -> String {
        if let Some(n) = self.event_cols.get(&(ev, i)) {
            return n.clone();
        }
        let e = &self.model.schema.events[ev as usize];
        let f = e.fields.get(i as usize).map_or("field", |f| &f.name);
        let n = self.names.fresh(&format!("e_{}_{f}", e.name));
        self.event_cols.insert((ev, i), n.clone());
        n
    }

    pub fn reads_lead_field(&self, i: usize) -> bool {
        matches!(self.lead_cols.get(i), Some(Some(_)))
    }

    pub fn event_fields_read(&self) -> impl Iterator<Item = &(u32, u32)> {
        self.event_cols.keys()
    }

    pub fn decl_col(&self, r: DeclRef) -> String {
        self.decl_cols.get(&r).cloned().unwrap_or_default()
    }

    pub fn stage_col(&mut self) -> String {
        if self.stage_col.is_none() {
            self.stage_col = Some(self.names.fresh("f_stage"));
        }
        self.stage_col.clone().unwrap_or_default()
    }

    pub fn stage_since_col(&mut self) -> String {
        if self.stage_since_col.is_none() {
            self.stage_since_col = Some(self.names.fresh("f_stage_since"));
        }
        self.stage_since_col.clone().unwrap_or_default()
    }

    fn decay(&self, decay: Decay, at: &Frag) -> Option<Frag> {
        let d = self.d;
        let age = d.cast(&bin(&self.now, "-", at, P_ADD), &SqlTy::Double);
        match decay {
            Decay::None => None,
            Decay::HalfLife(h) => {
                Some(d.power(&d.double(0.5), &bin(&age, "/", &d.double(h), P_MUL)))
            }
            Decay::Linear(t) => {
                let f = bin(
                    &d.double(1.0),
                    "-",
                    &bin(&age, "/", &d.double(t), P_MUL),
                    P_ADD,
                );
                Some(call("GREATEST", &[&d.double(0.0), &f]))
            }
            Decay::Step { percent, every } => {
                let base = d.double(1.0 - percent / 100.0);
                let n = call("FLOOR", &[&bin(&age, "/", &d.double(every), P_MUL)]);
                Some(d.power(&base, &n))
            }
        }
    }

    fn cap(&self, x: Frag, cap: Option<f64>) -> Frag {
        match cap {
            Some(c) => call(
                "LEAST",
                &[
                    &call("GREATEST", &[&x, &self.d.double(-c)]),
                    &self.d.double(c),
                ],
            ),
            None => x,
        }
    }

    /// Register an aggregate (shared with an identical one) and name its columns.
    #[allow(clippy::too_many_arguments)]
    pub fn add_agg(
        &mut self,
        spec: AggSpec,
        q: &Query,
        filter: Option<Code>,
        arg: Option<(Code, Ty)>,
        temps: Vec<Vec<Temp>>,
        deps: HashSet<DeclRef>,
        lead_ref: bool,
    ) -> usize {
        let key = format!(
            "{spec:?}|{}|{:?}|{:?}|{:?}|{:?}",
            q.event,
            q.within,
            filter
                .as_ref()
                .map(|c| (&c.v.sql, c.e.as_ref().map(|e| &e.sql))),
            arg.as_ref()
                .map(|(c, _)| (&c.v.sql, c.e.as_ref().map(|e| &e.sql))),
            temps.iter().flatten().map(|t| &t.1.sql).collect::<Vec<_>>()
        );
        if let Some(&i) = self.agg_keys.get(&key) {
            return i;
        }
        self.events_read.insert(q.event);
        let d = self.d;
        let ev = &self.model.schema.events[q.event as usize];
        let at = Frag::simple("at_ms");
        let mut win = vec![
            input::equals_text(d, &Frag::simple("ev_type"), &ev.name),
            cmp(&at, "<=", &self.now),
        ];
        if let Some(w) = q.within {
            let from = match self.opts.as_of {
                Some(now) => d.int(now.saturating_sub(w)),
                None => bin(&self.now, "-", &d.int(w), P_ADD),
            };
            win.push(cmp(&at, ">", &from));
        }
        let inwin = and_all(&win);
        let mut inq_parts = win.clone();
        if let Some(f) = &filter {
            inq_parts.push(f.v.clone());
        }
        let inq = and_all(&inq_parts);
        let ferr = filter.as_ref().and_then(|f| f.e.clone());
        let n = self.aggs.len() + 1;
        let mut raws: Vec<(String, Frag)> = Vec::new();
        let mut posts: Vec<(String, Frag, SqlTy)> = Vec::new();
        let mut raw = |b: &mut Self, what: &str, f: Frag| -> Frag {
            let name = b.names.fresh(&format!("a{n}_{what}"));
            raws.push((name.clone(), f));
            Frag::simple(name)
        };
        let value_col = self.names.fresh(&format!("a{n}"));
        let mut errs: Vec<Frag> = Vec::new();
        let scan = |b: &mut Self,
                    raw: &mut dyn FnMut(&mut Self, &str, Frag) -> Frag,
                    oldest: bool,
                    matched: &Frag|
         -> Option<Frag> {
            // exists/first/last/latest stop at the decisive event: an error
            // counts only in an event before it
            let fe = ferr.clone()?;
            let cond = and_all(&[inwin.clone(), is_null(&fe, true)]);
            let f = if oldest { "MIN" } else { "MAX" };
            let e_at = raw(b, "err_at", d.filtered(f, Some(&at), &cond));
            let e_kind = raw(b, "err", d.filtered("MAX", Some(&fe), &inwin));
            let before = cmp(&e_at, if oldest { "<=" } else { ">=" }, matched);
            let when = and_all(&[
                is_null(&e_at, true),
                Frag::with_prec(
                    format!("({} OR {})", is_null(matched, false).s(), before.s()),
                    crate::frag::P_ATOM,
                ),
            ]);
            Some(case(&[(when, e_kind)], None))
        };
        let every_event_errs = |b: &mut Self,
                                raw: &mut dyn FnMut(&mut Self, &str, Frag) -> Frag,
                                errs: &mut Vec<Frag>| {
            if let Some(fe) = &ferr {
                errs.push(raw(b, "ferr", d.filtered("MAX", Some(fe), &inwin)));
            }
            if let Some((c, _)) = &arg {
                if let Some(ae) = &c.e {
                    errs.push(raw(b, "aerr", d.filtered("MAX", Some(ae), &inq)));
                }
            }
        };
        let what;
        match spec {
            AggSpec::Plain(kind) => {
                what = format!("{kind:?}").to_lowercase();
                let argv = arg.as_ref().map(|(c, _)| c.v.clone());
                let argty = arg.as_ref().map(|(_, t)| t.clone()).unwrap_or(Ty::Int);
                match kind {
                    AggKind::Count | AggKind::Exists => {
                        let c = raw(self, "n", d.filtered("COUNT", None, &inq));
                        let v = coalesce(&[c, d.int(0)]);
                        if kind == AggKind::Count {
                            posts.push((value_col.clone(), v, SqlTy::Int));
                            every_event_errs(self, &mut raw, &mut errs);
                        } else {
                            posts.push((value_col.clone(), cmp(&v, ">", &d.int(0)), SqlTy::Bool));
                            let first = raw(self, "first", d.filtered("MIN", Some(&at), &inq));
                            if let Some(e) = scan(self, &mut raw, true, &first) {
                                errs.push(e);
                            }
                        }
                    }
                    AggKind::First | AggKind::Last => {
                        let oldest = kind == AggKind::First;
                        let m = raw(
                            self,
                            "at",
                            d.filtered(if oldest { "MIN" } else { "MAX" }, Some(&at), &inq),
                        );
                        posts.push((value_col.clone(), m.clone(), SqlTy::Int));
                        if let Some(e) = scan(self, &mut raw, oldest, &m) {
                            errs.push(e);
                        }
                    }
                    AggKind::Sum if argty == Ty::Int => {
                        let x = argv.unwrap_or_else(|| d.int(0));
                        let wide = d.cast(&x, &SqlTy::Wide);
                        let t = raw(self, "sum", d.filtered("SUM", Some(&wide), &inq));
                        let pos = raw(
                            self,
                            "pos",
                            d.filtered(
                                "SUM",
                                Some(&wide),
                                &and_all(&[inq.clone(), cmp(&x, ">", &d.int(0))]),
                            ),
                        );
                        let neg = raw(
                            self,
                            "neg",
                            d.filtered(
                                "SUM",
                                Some(&wide),
                                &and_all(&[inq.clone(), cmp(&x, "<", &d.int(0))]),
                            ),
                        );
                        let over = Frag::with_prec(
                            format!(
                                "{} > {} OR {} < {}",
                                coalesce(&[pos, d.int(0)]).s(),
                                crate::dialect::I64_MAX,
                                coalesce(&[neg, d.int(0)]).s(),
                                crate::dialect::I64_MIN
                            ),
                            crate::frag::P_OR,
                        );
                        let total = d.cast(&coalesce(&[t, d.int(0)]), &SqlTy::Int);
                        posts.push((
                            value_col.clone(),
                            case(&[(over.clone(), Frag::simple("NULL"))], Some(&total)),
                            SqlTy::Int,
                        ));
                        every_event_errs(self, &mut raw, &mut errs);
                        errs.push(case(
                            &[(over, Frag::simple(d.text(INT_OVERFLOW).unwrap_or_default()))],
                            None,
                        ));
                    }
                    AggKind::Sum => {
                        let x = d.cast(&argv.unwrap_or_else(|| d.double(0.0)), &SqlTy::Double);
                        let t = raw(self, "sum", d.filtered("SUM", Some(&x), &inq));
                        posts.push((
                            value_col.clone(),
                            coalesce(&[t, d.double(0.0)]),
                            SqlTy::Double,
                        ));
                        every_event_errs(self, &mut raw, &mut errs);
                    }
                    AggKind::Avg => {
                        let x = d.cast(&argv.unwrap_or_else(|| d.double(0.0)), &SqlTy::Double);
                        let t = raw(self, "avg", d.filtered("AVG", Some(&x), &inq));
                        posts.push((value_col.clone(), t, SqlTy::Double));
                        every_event_errs(self, &mut raw, &mut errs);
                    }
                    AggKind::Min | AggKind::Max => {
                        let x = argv.unwrap_or_else(|| d.int(0));
                        let x = if argty == Ty::String {
                            d.byte_order(&x)
                        } else {
                            x
                        };
                        let f = if kind == AggKind::Min { "MIN" } else { "MAX" };
                        let t = raw(self, "best", d.filtered(f, Some(&x), &inq));
                        posts.push((value_col.clone(), t, sql_ty(&argty)));
                        every_event_errs(self, &mut raw, &mut errs);
                    }
                    AggKind::Distinct => {
                        let x = argv.unwrap_or_else(|| d.int(0));
                        // -0.0 and 0.0 are one value
                        let x = if argty == Ty::Number {
                            bin(&x, "+", &d.double(0.0), P_ADD)
                        } else {
                            x
                        };
                        let t = raw(self, "n", d.count_distinct(&x, &inq));
                        posts.push((value_col.clone(), coalesce(&[t, d.int(0)]), SqlTy::Int));
                        every_event_errs(self, &mut raw, &mut errs);
                    }
                }
            }
            AggSpec::Each { points, cap, decay } => {
                what = "each".into();
                let term = match self.decay(decay, &at) {
                    Some(f) => bin(&d.double(points), "*", &f, P_MUL),
                    None => d.double(points),
                };
                let t = raw(self, "points", d.filtered("SUM", Some(&term), &inq));
                posts.push((
                    value_col.clone(),
                    self.cap(coalesce(&[t, d.double(0.0)]), cap),
                    SqlTy::Double,
                ));
                every_event_errs(self, &mut raw, &mut errs);
            }
            AggSpec::Latest { points, cap, decay } => {
                what = "latest".into();
                let m = raw(self, "at", d.filtered("MAX", Some(&at), &inq));
                let pts = match self.decay(decay, &m) {
                    Some(f) => bin(&d.double(points), "*", &f, P_MUL),
                    None => case(&[(is_null(&m, true), d.double(points))], None),
                };
                posts.push((
                    value_col.clone(),
                    self.cap(coalesce(&[pts, d.double(0.0)]), cap),
                    SqlTy::Double,
                ));
                if let Some(e) = scan(self, &mut raw, false, &m) {
                    errs.push(e);
                }
            }
        }
        let err_col = if errs.is_empty() {
            None
        } else {
            let name = self.names.fresh(&format!("a{n}_error"));
            posts.push((name.clone(), coalesce(&errs), SqlTy::Text));
            Some(name)
        };
        let within = q
            .within
            .map(|w| format!(" within {}", mql_core::time::format_duration(w)))
            .unwrap_or_default();
        let what = format!(
            "{what}({}{}{within})",
            ev.name,
            if q.filter.is_some() { " where …" } else { "" }
        );
        self.aggs.push(AggReq {
            value_col,
            err_col,
            raws,
            posts,
            temps,
            deps,
            lead_ref,
            what,
        });
        self.agg_keys.insert(key, self.aggs.len() - 1);
        self.aggs.len() - 1
    }
}

/// A declaration (or transition) compiled: its step's columns and needs.
pub struct Step {
    pub name: String,
    pub comment: Vec<String>,
    pub temps: Vec<Vec<Temp>>,
    pub cols: Vec<(String, Frag, SqlTy)>,
    pub aggs: BTreeSet<usize>,
    /// The declaration this step computes, once done.
    pub decl: Option<DeclRef>,
    /// The column holding the step's error message, if it can fail.
    pub err_col: Option<String>,
}

fn comment_for(model: &Model, file: u32, line: u32, text: String) -> Vec<String> {
    let at = if file == 0 {
        format!("line {line}")
    } else {
        format!(
            "{}, line {line}",
            model.files.get(file as usize).map_or("", |f| &**f)
        )
    };
    let mut t = text;
    if t.chars().count() > 200 {
        t = t.chars().take(200).collect::<String>() + "…";
    }
    vec![format!("{at}: {t}")]
}

/// Every declaration's and transition's step, in order.
pub fn compile_all(b: &mut Builder) -> Result<(Vec<Step>, crate::walk::Compiled), CompileError> {
    let mut steps: Vec<Step> = Vec::new();
    for &r in &b.model.order {
        steps.push(decl_step(b, r)?);
    }
    let walk = crate::walk::compile(b)?;
    Ok((steps, walk))
}

pub fn query(model: &Model, opts: &Options) -> Result<String, CompileError> {
    let d = opts.dialect;
    check_output_names(model, opts)?;
    let mut b = Builder::new(model, opts);
    let (steps, walk) = compile_all(&mut b)?;

    // the input steps
    let mut chain = Chain {
        ctes: Vec::new(),
        prev: "lead_rows".into(),
        cols: Vec::new(),
        need_row_key: false,
    };
    let mut passes: Vec<Vec<usize>> = Vec::new();
    let mut done_aggs: BTreeSet<usize> = BTreeSet::new();
    let mut done_decls: HashSet<DeclRef> = HashSet::new();
    // decide the passes first (to know whether lead rows need a key)
    {
        let mut order: Vec<(&BTreeSet<usize>, Option<DeclRef>)> =
            steps.iter().map(|s| (&s.aggs, s.decl)).collect();
        for t in &walk.steps {
            order.push((&t.aggs, None));
        }
        for (needed, decl) in order {
            if needed.iter().any(|a| !done_aggs.contains(a)) {
                let ready: Vec<usize> = (0..b.aggs.len())
                    .filter(|a| {
                        !done_aggs.contains(a)
                            && b.aggs[*a].deps.iter().all(|x| done_decls.contains(x))
                    })
                    .collect();
                for a in needed {
                    if !done_aggs.contains(a) && !ready.contains(a) {
                        return Err(CompileError::new(
                            "internal error: an aggregate is needed before what it reads",
                        ));
                    }
                }
                done_aggs.extend(ready.iter().copied());
                passes.push(ready);
            }
            if let Some(r) = decl {
                done_decls.insert(r);
            }
        }
    }
    if passes.iter().any(|p| p.iter().any(|a| b.aggs[*a].lead_ref)) {
        chain.need_row_key = true;
    }
    let mut ctes_head: Vec<Cte> = Vec::new();
    ctes_head.push(lead_rows(&mut b, &mut chain, &walk)?);
    if !b.aggs.is_empty() {
        ctes_head.push(event_rows(&mut b)?);
    }
    chain.ctes = ctes_head;

    // declarations and transitions, level by level: a step holds every
    // column whose inputs are all computed before it
    let mut all_steps: Vec<Step> = steps;
    all_steps.extend(walk.steps);
    let mut errors: Vec<String> = all_steps.iter().filter_map(|s| s.err_col.clone()).collect();
    schedule(&mut b, &mut chain, all_steps, passes);
    // the stage walk
    let walk_out = crate::walk::emit(&mut b, &mut chain, &walk.plan);
    if let Some(e) = &walk_out.error {
        errors.push(e.clone());
    }
    // the output
    let out = output(&mut b, &chain, &walk_out, &errors);
    let mut text = String::new();
    text.push_str(&header(model, opts));
    text.push_str("WITH\n");
    let n = chain.ctes.len();
    for (i, c) in chain.ctes.iter().enumerate() {
        for line in &c.comment {
            text.push_str(&format!("-- {}\n", line.replace('\n', " ")));
        }
        text.push_str(&format!(
            "{} AS (\n{}\n){}\n",
            c.name,
            c.body,
            if i + 1 < n { "," } else { "" }
        ));
    }
    text.push_str(&out);
    text.push('\n');
    let _ = d;
    Ok(text)
}

fn header(model: &Model, opts: &Options) -> String {
    let d = opts.dialect;
    let name = model
        .name
        .as_deref()
        .map(|n| format!(" (model {n})"))
        .unwrap_or_default();
    let now = match opts.as_of {
        Some(ms) => format!("as of {}", mql_core::time::format_time(ms)),
        None => "as of the moment the query runs".into(),
    };
    let mut h = format!(
        "-- Generated by mql {} from {}{name} for {}, {now}.\n-- Reads {} (one row per lead)",
        opts.version,
        opts.model_file.replace('\n', " "),
        d.title(),
        opts.leads_table.replace('\n', " ")
    );
    if uses_events(model) {
        h.push_str(&format!(
            " and {} (one row per event)",
            opts.events_table.replace('\n', " ")
        ));
    }
    h.push_str(".\n-- Edit the model, not this query: `mql compile --emit sql` writes it again.\n");
    h
}

fn uses_events(model: &Model) -> bool {
    !model.schema.events.is_empty()
}

fn check_output_names(model: &Model, opts: &Options) -> Result<(), CompileError> {
    let d = opts.dialect;
    let mut seen: Vec<(String, String)> = vec![
        (
            opts.id_field.clone(),
            format!("the id column `{}`", opts.id_field),
        ),
        ("stage".into(), "the output column `stage`".into()),
        ("from_stage".into(), "the output column `from_stage`".into()),
        ("path".into(), "the output column `path`".into()),
        ("cycle".into(), "the output column `cycle`".into()),
        ("error".into(), "the output column `error`".into()),
    ];
    let mut outs: Vec<(String, String)> = Vec::new();
    for s in &model.scores {
        outs.push((
            s.name.clone(),
            format!("score `{}` (line {})", s.name, s.origin.line),
        ));
    }
    for t in &model.tiers {
        outs.push((
            t.name.clone(),
            format!("tier `{}` (line {})", t.name, t.origin.line),
        ));
    }
    for v in &model.values {
        if v.kind == ValueKind::Segment {
            outs.push((
                v.name.clone(),
                format!("segment `{}` (line {})", v.name, v.origin.line),
            ));
        }
    }
    if opts.explain {
        for v in &model.values {
            if v.kind == ValueKind::Criterion {
                outs.push((
                    format!("criterion_{}", v.name),
                    format!(
                        "the column `criterion_{}` of criterion `{}` (line {})",
                        v.name, v.name, v.origin.line
                    ),
                ));
            }
        }
    }
    let same = |a: &str, b: &str| {
        if d.case_blind_names() {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    for (name, what) in outs {
        if let Some(max) = d.max_name_len() {
            if name.len() > max {
                return Err(CompileError::new(format!(
                    "{what} cannot be compiled for {}: its output column name is longer than the {max} bytes {} keeps; rename it",
                    d.title(),
                    d.title()
                )));
            }
        }
        if let Some((_, other)) = seen.iter().find(|(n, _)| same(n, &name)) {
            let how = if d.case_blind_names() && !seen.iter().any(|(n, _)| n == &name) {
                format!(
                    " ({} does not tell upper from lower case in column names)",
                    d.title()
                )
            } else {
                String::new()
            };
            return Err(CompileError::new(format!(
                "{what} cannot be compiled for {}: its output column `{name}` would clash with {other}{how}; rename one of them",
                d.title()
            )));
        }
        seen.push((name, what));
    }
    Ok(())
}

fn decl_step(b: &mut Builder, r: DeclRef) -> Result<Step, CompileError> {
    let model = b.model;
    let d = b.d;
    let (word, name, origin) = match r {
        DeclRef::Value(i) => {
            let v = &model.values[i as usize];
            (kind_word(v.kind), &v.name, &v.origin)
        }
        DeclRef::Score(i) => {
            let s = &model.scores[i as usize];
            ("score", &s.name, &s.origin)
        }
        DeclRef::Tier(i) => {
            let t = &model.tiers[i as usize];
            ("tier", &t.name, &t.origin)
        }
    };
    let where_ = place(model, word, name, origin.file, origin.line);
    let col = b.decl_col(r);
    let mut cx = Cx::new(b, Scope::Lead, Tis::None, where_.clone());
    let (value, err, ty, comment): (Frag, Option<Frag>, SqlTy, Vec<String>) = match r {
        DeclRef::Value(i) => {
            let v = &model.values[i as usize];
            let c = cx.expr(&v.expr)?;
            let text = source_text(cx.b.opts, origin.file, origin.span);
            (
                c.v,
                c.e,
                sql_ty(&v.ty),
                comment_for(model, origin.file, origin.line, text),
            )
        }
        DeclRef::Score(i) => {
            let s = &model.scores[i as usize];
            let mut total: Option<Frag> = None;
            let mut errs: Vec<Frag> = Vec::new();
            let mut comment = comment_for(model, origin.file, origin.line, format!("score {name}"));
            for rule in &s.rules {
                comment.push(format!("  line {}: {}", rule.line, rule.text));
                let t = match &rule.kind {
                    RuleKind::Cond(c) => {
                        let c = cx.expr(c)?;
                        if let Some(e) = c.e {
                            errs.push(e);
                        }
                        let pts = match rule.cap {
                            Some(cap) => rule.points.clamp(-cap, cap),
                            None => rule.points,
                        };
                        case(&[(c.v, d.double(pts))], Some(&d.double(0.0)))
                    }
                    RuleKind::Each(q) => {
                        let c = cx.agg(
                            AggSpec::Each {
                                points: rule.points,
                                cap: rule.cap,
                                decay: s.decay,
                            },
                            q,
                            None,
                        )?;
                        if let Some(e) = c.e {
                            errs.push(e);
                        }
                        c.v
                    }
                    RuleKind::Latest(q) => {
                        let c = cx.agg(
                            AggSpec::Latest {
                                points: rule.points,
                                cap: rule.cap,
                                decay: s.decay,
                            },
                            q,
                            None,
                        )?;
                        if let Some(e) = c.e {
                            errs.push(e);
                        }
                        c.v
                    }
                };
                total = Some(match total {
                    None => t,
                    Some(acc) => bin(&acc, "+", &t, P_ADD),
                });
            }
            let mut total = total.unwrap_or_else(|| d.double(0.0));
            if let Some((lo, hi)) = s.range {
                total = call(
                    "LEAST",
                    &[&call("GREATEST", &[&total, &d.double(lo)]), &d.double(hi)],
                );
            }
            let e = if errs.is_empty() {
                None
            } else {
                Some(coalesce(&errs))
            };
            (total, e, SqlTy::Double, comment)
        }
        DeclRef::Tier(i) => {
            let t = &model.tiers[i as usize];
            let mut arms: Vec<(Frag, Frag)> = Vec::new();
            let mut err_arms: Vec<(Frag, Frag)> = Vec::new();
            let mut otherwise = None;
            let mut comment = comment_for(model, origin.file, origin.line, format!("tier {name}"));
            let mut conds = Vec::new();
            for arm in &t.arms {
                let label = Frag::simple(
                    d.text(model.schema.symbols.name(arm.label))
                        .unwrap_or_default(),
                );
                match &arm.cond {
                    None => {
                        comment.push(format!(
                            "  {} otherwise",
                            model.schema.symbols.name(arm.label)
                        ));
                        otherwise = Some(label);
                        break;
                    }
                    Some(c) => {
                        comment.push(format!("  {} when …", model.schema.symbols.name(arm.label)));
                        conds.push((cx.expr(c)?, label));
                    }
                }
            }
            let any_err = conds.iter().any(|(c, _)| c.e.is_some());
            for (c, label) in conds {
                let v = if any_err {
                    cx.share(c.v, SqlTy::Bool)
                } else {
                    c.v
                };
                if let Some(e) = c.e {
                    err_arms.push((is_null(&e, true), e));
                }
                err_arms.push((v.clone(), Frag::simple("NULL")));
                arms.push((v, label));
            }
            let value = if arms.is_empty() {
                otherwise.clone().unwrap_or_else(|| d.null(&SqlTy::Text))
            } else {
                case(&arms, otherwise.as_ref())
            };
            let e = if any_err {
                Some(case(&err_arms, None))
            } else {
                None
            };
            (value, e, SqlTy::Text, comment)
        }
    };
    let temps = std::mem::take(&mut cx.temps);
    let aggs = std::mem::take(&mut cx.aggs);
    let mut cols = vec![(col.clone(), value, ty)];
    let mut err_col = None;
    if let Some(e) = err {
        let n = b.names.fresh(&format!("{col}_error"));
        let msg = b.d.concat(&[
            e,
            Frag::simple(b.d.text(&format!(" in {where_}")).unwrap_or_default()),
        ]);
        cols.push((n.clone(), msg, SqlTy::Text));
        err_col = Some(n);
    }
    Ok(Step {
        name: format!("{word}_{name}"),
        comment,
        temps,
        cols,
        aggs,
        decl: Some(r),
        err_col,
    })
}

/// A declaration as the model writes it (white space collapsed), for comments.
fn source_text(opts: &Options, file: u32, span: mql_core::Span) -> String {
    let Some(text) = opts.sources.get(file as usize) else {
        return String::new();
    };
    let Some(s) = text.get(span.start as usize..span.end as usize) else {
        return String::new();
    };
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn lead_rows(
    b: &mut Builder,
    chain: &mut Chain,
    walk: &crate::walk::Compiled,
) -> Result<Cte, CompileError> {
    let d = b.d;
    let model = b.model;
    let mut cols: Vec<(String, String)> = vec![(
        format!("{} AS lead_key", d.quote(&b.opts.id_field)),
        String::new(),
    )];
    chain.cols.push(("lead_key".into(), SqlTy::Text));
    if chain.need_row_key {
        cols.push((format!("{} AS row_key", d.row_key().s()), String::new()));
        chain.cols.push(("row_key".into(), SqlTy::Int));
    }
    for (i, f) in model.schema.lead.iter().enumerate() {
        let Some(Some(name)) = b.lead_cols.get(i).cloned() else {
            continue;
        };
        let col = input::column(d, input::column_of_field(f));
        let v = input::read_value(d, &col, f);
        cols.push((
            format!("{} AS {name}", v.s()),
            format!("{}: {}", f.name, f.ty),
        ));
        chain.cols.push((name, sql_ty(&f.ty)));
    }
    let _ = walk;
    if let Some(name) = b.stage_col.clone() {
        let stages = model
            .schema
            .stages
            .as_ref()
            .map(|s| input::variant_keys(s))
            .unwrap_or_default();
        let v = input::variant_of(d, &input::column(d, "stage"), &stages, &[]);
        cols.push((format!("{} AS {name}", v.s()), "the lead's stage".into()));
        chain.cols.push((name, SqlTy::Text));
    }
    if let Some(name) = b.stage_since_col.clone() {
        let v = d.epoch_ms(&input::column(d, "stage_since"));
        cols.push((
            format!("{} AS {name}", v.s()),
            "when it entered that stage".into(),
        ));
        chain.cols.push((name, SqlTy::Int));
    }
    let mut body = vec!["  SELECT".to_string()];
    let n = cols.len();
    for (i, (c, note)) in cols.into_iter().enumerate() {
        let comma = if i + 1 < n { "," } else { "" };
        if note.is_empty() {
            body.push(format!("    {c}{comma}"));
        } else {
            body.push(format!("    {c}{comma}  -- {}", note.replace('\n', " ")));
        }
    }
    body.push(format!("  FROM {}", b.opts.leads_table));
    Ok(Cte {
        name: "lead_rows".into(),
        comment: vec!["the leads, one row each: times in milliseconds since 1970 (UTC), enum text matched to its variant".into()],
        body: body.join("\n"),
    })
}

fn event_rows(b: &mut Builder) -> Result<Cte, CompileError> {
    let d = b.d;
    let model = b.model;
    // a column shared by two event types must be of one kind
    let mut kinds: BTreeMap<String, (String, String)> = BTreeMap::new();
    for &(ev, i) in b.event_cols.keys() {
        let e = &model.schema.events[ev as usize];
        let f = &e.fields[i as usize];
        let col = input::column_of_field(f).to_string();
        let kind = input::column_kind(&f.ty);
        if let Some((k, who)) = kinds.get(&col) {
            if *k != kind {
                return Err(CompileError::new(format!(
                    "event field `{}.{}` ({}) and {who} cannot be compiled for {}: they read one column `{col}` of the events table as {kind} and as {k}; rename one of them with `from`",
                    e.name, f.name, f.ty, d.title()
                )));
            }
        } else {
            kinds.insert(
                col,
                (
                    kind,
                    format!("event field `{}.{}` ({})", e.name, f.name, f.ty),
                ),
            );
        }
    }
    let mut cols = vec![
        format!("{} AS lead_id", d.quote("lead_id")),
        format!("{} AS ev_type", d.quote("type")),
        format!("{} AS at_ms", d.epoch_ms(&input::column(d, "at")).s()),
    ];
    for (&(ev, i), name) in &b.event_cols {
        let e = &model.schema.events[ev as usize];
        let f = &e.fields[i as usize];
        let col = input::column(d, input::column_of_field(f));
        let v = input::read_value(d, &col, f);
        let is_type = input::equals_text(d, &input::column(d, "type"), &e.name);
        cols.push(format!("{} AS {name}", case(&[(is_type, v)], None).s()));
    }
    let types: Vec<String> = b
        .events_read
        .iter()
        .filter_map(|&i| d.text(&model.schema.events[i as usize].name))
        .collect();
    let mut body = vec!["  SELECT".to_string()];
    let n = cols.len();
    for (i, c) in cols.into_iter().enumerate() {
        body.push(format!("    {c}{}", if i + 1 < n { "," } else { "" }));
    }
    body.push(format!("  FROM {}", b.opts.events_table));
    body.push(format!(
        "  WHERE {} IN ({}) AND {} IS NOT NULL AND {} IS NOT NULL",
        d.quote("type"),
        types.join(", "),
        d.quote("lead_id"),
        d.quote("at")
    ));
    Ok(Cte {
        name: "event_rows".into(),
        comment: vec!["the events the model queries, one row each; a field is read only for its own event type".into()],
        body: body.join("\n"),
    })
}

/// A piece of the query placed at one level: some columns of a step, or an
/// events pass.
enum Unit {
    Cols {
        /// The declaration's step name, for naming the level's step.
        name: String,
        comment: Vec<String>,
        cols: Vec<(String, Frag, SqlTy)>,
        lasting: bool,
    },
    Pass(Vec<usize>),
}

/// The identifiers an SQL text mentions.
fn idents(sql: &str, out: &mut Vec<String>) {
    let mut cur = String::new();
    for c in sql.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            cur.push(c);
        } else if !cur.is_empty() {
            if !cur.starts_with(|c: char| c.is_ascii_digit()) {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.clear();
            }
        }
    }
}

/// Place every step's columns and every events pass at the first level
/// where what they read is computed, then write one step per level.
fn schedule(b: &mut Builder, chain: &mut Chain, steps: Vec<Step>, passes: Vec<Vec<usize>>) {
    let mut units: Vec<Unit> = Vec::new();
    for p in passes {
        units.push(Unit::Pass(p));
    }
    for s in steps {
        for (k, layer) in s.temps.into_iter().enumerate() {
            if !layer.is_empty() {
                units.push(Unit::Cols {
                    name: format!("{}_{}", s.name, k + 1),
                    comment: Vec::new(),
                    cols: layer,
                    lasting: false,
                });
            }
        }
        units.push(Unit::Cols {
            name: s.name,
            comment: s.comment,
            cols: s.cols,
            lasting: true,
        });
    }
    // who produces each column
    let mut producer: HashMap<String, usize> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        match u {
            Unit::Cols { cols, .. } => {
                for (n, _, _) in cols {
                    producer.insert(n.clone(), i);
                }
            }
            Unit::Pass(aggs) => {
                for a in aggs {
                    for (n, _, _) in &b.aggs[*a].posts {
                        producer.insert(n.clone(), i);
                    }
                }
            }
        }
    }
    let reads = |u: &Unit| -> Vec<String> {
        let mut out = Vec::new();
        match u {
            Unit::Cols { cols, .. } => cols.iter().for_each(|(_, f, _)| idents(&f.sql, &mut out)),
            Unit::Pass(aggs) => {
                for a in aggs {
                    let r = &b.aggs[*a];
                    r.raws.iter().for_each(|(_, f)| idents(&f.sql, &mut out));
                    r.temps
                        .iter()
                        .flatten()
                        .for_each(|(_, f, _)| idents(&f.sql, &mut out));
                }
            }
        }
        out
    };
    let mut level: Vec<usize> = vec![0; units.len()];
    // units may read only earlier ones, except passes, placed by what they read
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..units.len() {
            let mut l = 1;
            for name in reads(&units[i]) {
                if let Some(&j) = producer.get(&name) {
                    if j != i {
                        l = l.max(level[j] + 1);
                    }
                }
            }
            if l != level[i] {
                level[i] = l;
                changed = true;
            }
        }
    }
    let top = level.iter().copied().max().unwrap_or(0);
    let mut pass_no = 0;
    for l in 1..=top {
        for (i, u) in units.iter().enumerate() {
            if let (Unit::Pass(aggs), true) = (u, level[i] == l) {
                pass_no += 1;
                emit_pass(b, chain, aggs, pass_no);
            }
        }
        let mut names = Vec::new();
        let mut comment_cols: Vec<(Vec<String>, String, Frag)> = Vec::new();
        let mut lasting = Vec::new();
        for (i, u) in units.iter().enumerate() {
            if let (
                Unit::Cols {
                    name,
                    comment,
                    cols,
                    lasting: keep,
                },
                true,
            ) = (u, level[i] == l)
            {
                if *keep {
                    names.push(name.clone());
                }
                for (k, (n, f, t)) in cols.iter().enumerate() {
                    let c = if k == 0 { comment.clone() } else { Vec::new() };
                    comment_cols.push((c, n.clone(), f.clone()));
                    // helpers too: a later pass that regroups the rows carries them
                    lasting.push((n.clone(), t.clone()));
                }
            }
        }
        if comment_cols.is_empty() {
            continue;
        }
        let step_name = match names.len() {
            0 => format!("helpers_{l}"),
            1 => names[0].clone(),
            2 => format!("{}_and_{}", names[0], names[1]),
            n => format!("{}_and_{}_more", names[0], n - 1),
        };
        chain.project_commented(b, &step_name, &comment_cols, &lasting);
    }
}

fn emit_pass(b: &mut Builder, chain: &mut Chain, pass: &[usize], no: usize) {
    let d = b.d;
    let joined = pass.iter().any(|a| b.aggs[*a].lead_ref);
    let mut comment = vec![format!(
        "one pass over the events{}: {}",
        if joined { " joined to each lead" } else { "" },
        pass.iter()
            .map(|a| b.aggs[*a].what.clone())
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let suffix = if no == 1 {
        String::new()
    } else {
        format!("_{no}")
    };
    let mut frame = "event_rows".to_string();
    let mut ctes = Vec::new();
    if joined {
        let name = b.names.fresh(&format!("lead_events{suffix}"));
        ctes.push(Cte {
            name: name.clone(),
            comment: std::mem::take(&mut comment),
            body: format!("  SELECT l.*, e.*\n  FROM {} AS l\n  LEFT JOIN event_rows AS e ON e.lead_id = l.lead_key", chain.prev),
        });
        frame = name;
    }
    // helper columns of the events, by layer
    let depth = pass
        .iter()
        .map(|a| b.aggs[*a].temps.len())
        .max()
        .unwrap_or(0);
    for k in 0..depth {
        let cols: Vec<(String, Frag)> = pass
            .iter()
            .flat_map(|a| b.aggs[*a].temps.get(k).cloned().unwrap_or_default())
            .map(|(n, f, _)| (n, f))
            .collect();
        if cols.is_empty() {
            continue;
        }
        let name = b.names.fresh(&format!("events{suffix}_{}", k + 1));
        let mut lines = vec!["  SELECT".to_string(), "    *".to_string()];
        for (c, f) in cols {
            let last = lines.len() - 1;
            lines[last].push(',');
            lines.push(format!("    {} AS {c}", f.s()));
        }
        lines.push(format!("  FROM {frame}{}", d.fence()));
        ctes.push(Cte {
            name: name.clone(),
            comment: std::mem::take(&mut comment),
            body: lines.join("\n"),
        });
        frame = name;
    }
    let facts = b.names.fresh(&format!("event_facts{suffix}"));
    let key = if joined { "row_key" } else { "lead_id" };
    let mut lines = vec!["  SELECT".to_string(), format!("    {key}")];
    if joined {
        for (c, t) in &chain.cols {
            if c == "row_key" {
                continue;
            }
            let last = lines.len() - 1;
            lines[last].push(',');
            lines.push(format!(
                "    {} AS {c}",
                d.any_value(&Frag::simple(c.clone()), t).s()
            ));
        }
    }
    for a in pass {
        for (c, f) in &b.aggs[*a].raws {
            let last = lines.len() - 1;
            lines[last].push(',');
            lines.push(format!("    {} AS {c}", f.s()));
        }
    }
    lines.push(format!("  FROM {frame}"));
    lines.push(format!("  GROUP BY {key}"));
    ctes.push(Cte {
        name: facts.clone(),
        comment: std::mem::take(&mut comment),
        body: lines.join("\n"),
    });
    let after = b.names.fresh(&format!("with_event_facts{suffix}"));
    let mut lines = vec!["  SELECT".to_string()];
    if joined {
        lines.push("    *".into());
    } else {
        lines.push("    l.*".into());
    }
    for a in pass {
        for (c, f, t) in &b.aggs[*a].posts {
            let last = lines.len() - 1;
            lines[last].push(',');
            lines.push(format!("    {} AS {c}", f.s()));
            chain.cols.push((c.clone(), t.clone()));
        }
    }
    if joined {
        lines.push(format!("  FROM {facts}"));
    } else {
        lines.push(format!("  FROM {} AS l", chain.prev));
        lines.push(format!(
            "  LEFT JOIN {facts} AS g ON g.lead_id = l.lead_key"
        ));
    }
    ctes.push(Cte {
        name: after.clone(),
        comment: Vec::new(),
        body: lines.join("\n"),
    });
    chain.ctes.extend(ctes);
    chain.prev = after;
}

/// The final `SELECT`: the output columns, NULL when the lead has an error.
fn output(b: &mut Builder, chain: &Chain, walk: &crate::walk::Out, errors: &[String]) -> String {
    let d = b.d;
    let model = b.model;
    let err_parts: Vec<Frag> = errors.iter().map(|e| Frag::simple(e.clone())).collect();
    let error = if err_parts.is_empty() {
        d.null(&SqlTy::Text)
    } else {
        coalesce(&err_parts)
    };
    let ok = |v: &Frag| {
        case(
            &[(is_null(&Frag::simple("mql_error"), false), v.clone())],
            None,
        )
    };
    let mut cols: Vec<String> = vec![format!("lead_key AS {}", d.quote(&b.opts.id_field))];
    let text_null = d.null(&SqlTy::Text);
    cols.push(format!(
        "{} AS {}",
        ok(walk.stage.as_ref().unwrap_or(&text_null)).s(),
        d.quote("stage")
    ));
    cols.push(format!(
        "{} AS {}",
        ok(walk.from_stage.as_ref().unwrap_or(&text_null)).s(),
        d.quote("from_stage")
    ));
    cols.push(format!(
        "{} AS {}",
        ok(walk.path.as_ref().unwrap_or(&text_null)).s(),
        d.quote("path")
    ));
    cols.push(format!(
        "{} AS {}",
        ok(walk.cycle.as_ref().unwrap_or(&text_null)).s(),
        d.quote("cycle")
    ));
    for (i, s) in model.scores.iter().enumerate() {
        let c = Frag::simple(b.decl_col(DeclRef::Score(i as u32)));
        cols.push(format!("{} AS {}", ok(&c).s(), d.quote(&s.name)));
    }
    for (i, t) in model.tiers.iter().enumerate() {
        let c = Frag::simple(b.decl_col(DeclRef::Tier(i as u32)));
        cols.push(format!("{} AS {}", ok(&c).s(), d.quote(&t.name)));
    }
    for (i, v) in model.values.iter().enumerate() {
        if v.kind == ValueKind::Segment {
            let c = Frag::simple(b.decl_col(DeclRef::Value(i as u32)));
            cols.push(format!(
                "{} AS {}",
                ok(&coalesce(&[c, Frag::simple("FALSE")])).s(),
                d.quote(&v.name)
            ));
        }
    }
    if b.opts.explain {
        for (i, v) in model.values.iter().enumerate() {
            if v.kind == ValueKind::Criterion {
                let c = Frag::simple(b.decl_col(DeclRef::Value(i as u32)));
                cols.push(format!(
                    "{} AS {}",
                    ok(&c).s(),
                    d.quote(&format!("criterion_{}", v.name))
                ));
            }
        }
    }
    cols.push(format!("mql_error AS {}", d.quote("error")));
    let _ = (P_AND, P_CMP);
    format!(
        "SELECT\n{}\nFROM (\n  SELECT *, {} AS mql_error\n  FROM {}\n) AS result",
        indent(&cols.join(",\n"), "  "),
        error.s(),
        chain.prev
    )
}
