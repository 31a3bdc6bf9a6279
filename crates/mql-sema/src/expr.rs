//! Type checking of one expression against a [`Scope`]: resolves names and
//! bare enum variants, applies the typing rules of spec §5, and lowers the
//! AST expression to a typed HIR expression. Errors are collected, never
//! thrown: a sub-expression with an error becomes `None` and stays silent.

use std::sync::Arc;

use mql_core::{Diagnostic, Span, Ty, Value};
use mql_syntax::ast;

use crate::builtins::FUNCTIONS;
use crate::codes;
use crate::fold::{self, FoldError};
use crate::hir::{AggKind, ArithOp, CmpOp, DeclRef, Expr, ExprKind, Func, Pattern, Query, StrOp};
use crate::index::Builtin;
use crate::scope::{NameDef, Scope, Target};
use crate::suggest::{did_you_mean, Pending};

/// The longest pattern after `matches`, in characters…
pub const MAX_PATTERN_CHARS: usize = 1000;
/// …and the most memory one may take once compiled (the regex crate's
/// measure), so that a model's patterns cannot take gigabytes.
pub const MAX_PATTERN_BYTES: usize = 1 << 20;

/// Where an expression stands, which decides the names in scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctx {
    /// Must not depend on the lead or `now`.
    Const,
    /// `let`, `criterion`, `segment`, score rules, tier conditions.
    Lead,
    /// A transition condition: `time_in_stage` is in scope.
    Transition,
    /// A test's `expect`: `stage` is in scope.
    Expect,
}

/// The checking context of one declaration.
pub struct Cx<'a> {
    pub sc: &'a Scope,
    /// The text of the file the expression is in (for messages).
    pub text: &'a str,
    pub ctx: Ctx,
    /// What must be constant in `Ctx::Const` ("a const", "the points"), and
    /// the code to report when it is not.
    pub const_what: &'static str,
    pub const_code: &'static str,
    /// The event being queried, inside a `where` or an aggregate's argument.
    pub event: Option<u32>,
    pub diags: Vec<Diagnostic>,
    pub uses: Vec<(Span, Target)>,
    /// Unknown names whose "did you mean" is left to the model's end.
    pub pending: Vec<Pending>,
    pub deps: Vec<DeclRef>,
    /// A guessed enum variant or an empty list was used (consts only).
    pub flexible: bool,
}

/// `span` without the white space (and `//` comments) at its end.
pub fn trim_span(text: &str, span: Span) -> Span {
    let Some(s) = text.get(span.range()) else {
        return span;
    };
    let kept = s.trim_end().len();
    Span::new(span.start as usize, span.start as usize + kept)
}

/// Source text of a span with `//` comments left out and runs of white space
/// collapsed to one space (a rule's text as results and messages show it).
pub fn collapse(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            code.push(c);
            match c {
                '\\' => code.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '/' && chars.peek() == Some(&'/') {
            // A comment runs to the end of its line.
            for rest in chars.by_ref() {
                if rest == '\n' {
                    code.push('\n');
                    break;
                }
            }
        } else {
            in_string = c == '"';
            code.push(c);
        }
    }
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn lit(v: Value, ty: Ty, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Lit(v),
        ty,
        span,
    }
}

fn mk(kind: ExprKind, ty: Ty, span: Span) -> Expr {
    Expr { kind, ty, span }
}

/// Same type for comparisons: equal, or both numeric (also inside lists).
pub fn same_ty(a: &Ty, b: &Ty) -> bool {
    match (a, b) {
        (Ty::List(x), Ty::List(y)) => same_ty(x, y),
        _ => a == b || (a.is_numeric() && b.is_numeric()),
    }
}

fn ordered(t: &Ty) -> bool {
    matches!(
        t,
        Ty::Int | Ty::Number | Ty::String | Ty::Time | Ty::Duration
    )
}

fn unparen(e: &ast::Expr) -> &ast::Expr {
    match &e.kind {
        ast::ExprKind::Paren(inner) => unparen(inner),
        _ => e,
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl<'a> Cx<'a> {
    pub fn new(sc: &'a Scope, text: &'a str, ctx: Ctx) -> Cx<'a> {
        Cx {
            sc,
            text,
            ctx,
            const_what: "this value",
            const_code: codes::NOT_CONSTANT,
            event: None,
            diags: Vec::new(),
            uses: Vec::new(),
            pending: Vec::new(),
            deps: Vec::new(),
            flexible: false,
        }
    }

    /// The source text under `span`, shortened for a message.
    pub fn show(&self, span: Span) -> String {
        let span = trim_span(self.text, span);
        let s = collapse(self.text.get(span.range()).unwrap_or(""));
        if s.chars().count() > 40 {
            let cut: String = s.chars().take(37).collect();
            format!("{cut}…")
        } else {
            s
        }
    }

    pub fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn mismatch(&mut self, a: &Expr, b: &Expr, span: Span, label: &str) {
        let d = Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!(
                "`{}` is {}, but `{}` is {}",
                self.show(a.span),
                a.ty.describe(),
                self.show(b.span),
                b.ty.describe()
            ),
            span,
        )
        .with_label(label);
        // `seniority == "vp"`: the value meant, without its quotes
        let written = self
            .text
            .get(trim_span(self.text, b.span).range())
            .unwrap_or("");
        let d = match unquoted(written, &a.ty) {
            Some(fix) => d
                .with_help(format!("write `{fix}` without quotes"))
                .with_suggestion(b.span, fix.clone(), format!("change to `{fix}`")),
            None => d.with_help(format!(
                "both sides must be the same kind of value: compare `{}` with {}",
                self.show(a.span),
                a.ty.describe()
            )),
        };
        self.err(d);
    }

    /// A condition: must be `bool`.
    pub fn cond(&mut self, e: &ast::Expr) -> Option<Expr> {
        let x = self.elab(e, Some(&Ty::Bool))?;
        if x.ty != Ty::Bool {
            let d = Diagnostic::error(
                codes::NOT_A_CONDITION,
                format!(
                    "a condition must be yes or no, but `{}` is {}",
                    self.show(x.span),
                    x.ty.describe()
                ),
                x.span,
            )
            .with_label("not a yes/no value")
            .with_help(match x.ty {
                Ty::Int | Ty::Number => "compare it with something, like `… >= 10`",
                Ty::String => "test it, like `… == \"text\"` or `… contains \"text\"`",
                _ => "compare it with something to get yes or no",
            });
            self.err(d);
            return None;
        }
        Some(x)
    }

    /// Does `e` need the other operand's type to be understood (a bare enum
    /// variant, an empty list, a const of variants)?
    fn needs_hint(&self, e: &ast::Expr) -> bool {
        match &e.kind {
            ast::ExprKind::Paren(x) => self.needs_hint(x),
            ast::ExprKind::List(items) => {
                items.is_empty() || items.iter().all(|i| self.needs_hint(i))
            }
            ast::ExprKind::Name(id) => {
                let n = id.name.as_str();
                if let Some(ev) = self.event {
                    if n == "at" || self.sc.schema.events[ev as usize].field(n).is_some() {
                        return false;
                    }
                }
                if self.sc.enum_with(n).is_some() {
                    return true;
                }
                match self.sc.names.get(n) {
                    Some(entry) => match entry.def {
                        NameDef::Const(i) => self.sc.consts[i as usize].flexible,
                        _ => false,
                    },
                    None => !matches!(n, "now" | "id" | "stage" | "time_in_stage"),
                }
            }
            _ => false,
        }
    }

    /// Elaborate two operands, the one that needs a type first taking it from
    /// the other.
    fn pair(
        &mut self,
        l: &ast::Expr,
        r: &ast::Expr,
        hint: impl Fn(&Ty) -> Ty,
        back: impl Fn(&Ty) -> Ty,
    ) -> Option<(Expr, Expr)> {
        if self.needs_hint(l) && !self.needs_hint(r) {
            let b = self.elab(r, None)?;
            let h = back(&b.ty);
            let a = self.elab(l, Some(&h));
            Some((a?, b))
        } else {
            let a = self.elab(l, None);
            let Some(a) = a else {
                // the other side may need this one's type: stay silent
                if !self.needs_hint(r) {
                    let _ = self.elab(r, None);
                }
                return None;
            };
            let h = hint(&a.ty);
            let b = self.elab(r, Some(&h));
            Some((a, b?))
        }
    }

    /// Run `f` in a constant context and fold its result.
    pub fn constant<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        let saved = (self.ctx, self.const_what, self.const_code, self.event);
        self.ctx = Ctx::Const;
        self.const_what = what;
        self.const_code = codes::NOT_CONSTANT;
        self.event = None;
        let r = f(self);
        (self.ctx, self.const_what, self.const_code, self.event) = saved;
        r
    }

    /// Fold an elaborated constant expression to a value.
    pub fn fold(&mut self, e: &Expr) -> Option<Value> {
        match fold::eval(e) {
            Ok(v) => Some(v),
            Err(FoldError::Overflow) => {
                let d = Diagnostic::error(
                    codes::OVERFLOW,
                    format!("`{}` is too large for a whole number", self.show(e.span)),
                    e.span,
                )
                .with_label("overflows")
                .with_help(
                    "whole numbers go up to 9223372036854775807; write a decimal point to work with numbers instead",
                );
                self.err(d);
                None
            }
            Err(FoldError::NotConst) => {
                let d = Diagnostic::error(
                    self.const_code,
                    format!("{} must be a fixed value", self.const_what),
                    e.span,
                )
                .with_label("depends on the lead or on `now`")
                .with_help("write a literal here, or the name of a const");
                self.err(d);
                None
            }
        }
    }

    /// Elaborate a constant expression (`within`, points, decay, test
    /// literals) and fold it.
    pub fn const_value(
        &mut self,
        e: &ast::Expr,
        hint: Option<&Ty>,
        what: &'static str,
    ) -> Option<(Value, Ty, Span)> {
        let x = self.constant(what, |cx| cx.elab(e, hint))?;
        let v = self.fold(&x)?;
        Some((v, x.ty, x.span))
    }

    fn not_const(&mut self, span: Span, why: String) -> Option<Expr> {
        let help = if self.const_code == codes::CONST_NOT_CONSTANT {
            "a const is fixed when the model is checked; use `let` for a value computed from the lead"
        } else {
            "write a literal here, or the name of a const"
        };
        let d = Diagnostic::error(
            self.const_code,
            format!("{} must be a fixed value, but {why}", self.const_what),
            span,
        )
        .with_label("not fixed")
        .with_help(help);
        self.err(d);
        None
    }

    /// Convert a folded value to `want` if it fits (int to number, variants to
    /// the enum they meet). `Err(Some(v))` names a variant that is not in the
    /// wanted enum.
    pub fn convert(&self, v: &Value, want: &Ty) -> Result<Value, Option<String>> {
        match (v, want) {
            (Value::Unknown, _) => Ok(Value::Unknown),
            (Value::Int(i), Ty::Number) => Ok(Value::Number(*i as f64)),
            (Value::Int(_), Ty::Int)
            | (Value::Number(_), Ty::Number)
            | (Value::Str(_), Ty::String)
            | (Value::Bool(_), Ty::Bool)
            | (Value::Time(_), Ty::Time)
            | (Value::Duration(_), Ty::Duration) => Ok(v.clone()),
            (Value::Enum(s), Ty::Enum(e)) => {
                let name = self.sc.schema.symbols.name(*s);
                match e.sym_of(name) {
                    Some(sym) => Ok(Value::Enum(sym)),
                    None => Err(Some(name.to_string())),
                }
            }
            (Value::List(items), Ty::List(t)) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items.iter() {
                    out.push(self.convert(i, t)?);
                }
                Ok(Value::List(Arc::from(out)))
            }
            _ => Err(None),
        }
    }

    fn unknown_variant(&mut self, name: &str, span: Span, e: &mql_core::EnumTy) {
        let sugg = did_you_mean(name, e.variants.iter().map(String::as_str));
        let mut d = Diagnostic::error(
            codes::UNKNOWN_VARIANT,
            format!("`{name}` is not one of {}", e.variants.join(", ")),
            span,
        )
        .with_label("unknown value");
        if is_null_word(name) {
            self.err(d.with_help(format!(
                "mql has no `{name}`: a value the data does not give is unknown; {NULL_HELP}"
            )));
            return;
        }
        match sugg {
            Some(s) => {
                d = d.with_help(format!("did you mean `{s}`?")).with_suggestion(
                    span,
                    s.clone(),
                    format!("change to `{s}`"),
                );
            }
            None => {
                d = d.with_help(format!("use one of {}", e.variants.join(", ")));
            }
        }
        self.err(d);
    }

    /// Record a use of the value `n` of the enum `e`.
    pub fn use_value(&mut self, span: Span, e: &mql_core::EnumTy, n: &str) {
        if let Some(class) = self.sc.enum_class(e) {
            self.uses
                .push((span, Target::Variant(class, n.to_string())));
        }
    }

    /// Does `n` name something other than a variant here?
    fn declared(&self, n: &str) -> bool {
        self.sc.names.contains_key(n)
            || self
                .event
                .is_some_and(|ev| self.sc.schema.events[ev as usize].field(n).is_some())
    }

    fn name(&mut self, id: &ast::Ident, hint: Option<&Ty>) -> Option<Expr> {
        let n = id.name.as_str();
        let span = id.span;
        // 1. a variant of the enum the other operand expects
        if let Some(Ty::Enum(et)) = hint {
            if let Some(sym) = et.sym_of(n) {
                if self.declared(n) {
                    let d = Diagnostic::warning(
                        codes::VARIANT_HIDES_DECL,
                        format!(
                            "`{n}` here is a value from {}, not the declared `{n}`",
                            et.variants.join(", ")
                        ),
                        span,
                    )
                    .with_label("read as a value")
                    .with_help(format!(
                        "rename the declaration `{n}` so the two can't be confused"
                    ));
                    self.err(d);
                }
                self.use_value(span, et, n);
                return Some(lit(Value::Enum(sym), Ty::Enum(et.clone()), span));
            }
        }
        // 2. the queried event's fields
        if let Some(ev) = self.event {
            let def = &self.sc.schema.events[ev as usize];
            if n == "at" {
                self.uses.push((span, Target::Builtin(Builtin::At)));
                return Some(mk(ExprKind::EventAt, Ty::Time, span));
            }
            if let Some(fi) = def.field(n) {
                if self.sc.schema.lead_field(n).is_some() {
                    let d = Diagnostic::warning(
                        codes::EVENT_FIELD_HIDES,
                        format!("`{n}` here is the field of the `{}` event, not the lead field `{n}`", def.name),
                        span,
                    )
                    .with_label("the event's field")
                    .with_help(
                        "rename the event field to tell them apart; the lead field can't be used inside this query",
                    );
                    self.err(d);
                }
                self.uses.push((span, Target::EventField(ev, fi as u32)));
                return Some(mk(
                    ExprKind::EventField(fi as u32),
                    def.fields[fi].ty.clone(),
                    span,
                ));
            }
        }
        // 3. built-in names
        match n {
            "now" | "id" | "time_in_stage" | "stage" if self.ctx == Ctx::Const => {
                return self.not_const(span, format!("`{n}` depends on the lead"));
            }
            _ => {}
        }
        match n {
            "now" => {
                self.uses.push((span, Target::Builtin(Builtin::Now)));
                return Some(mk(ExprKind::Now, Ty::Time, span));
            }
            "id" => {
                self.uses.push((span, Target::Builtin(Builtin::Id)));
                return Some(mk(ExprKind::Id, Ty::String, span));
            }
            "time_in_stage" => {
                if self.ctx == Ctx::Transition {
                    self.uses
                        .push((span, Target::Builtin(Builtin::TimeInStage)));
                    return Some(mk(ExprKind::TimeInStage, Ty::Duration, span));
                }
                let d = Diagnostic::error(
                    codes::NAME_NOT_HERE,
                    "`time_in_stage` can only be used in a transition's condition",
                    span,
                )
                .with_label("not available here")
                .with_help("it is how long the lead has been in its current stage, which only a transition knows");
                self.err(d);
                return None;
            }
            "stage" => {
                if self.ctx == Ctx::Expect {
                    if let Some(t) = self.sc.stages_ty() {
                        self.uses.push((span, Target::Builtin(Builtin::Stage)));
                        return Some(mk(ExprKind::Stage, t, span));
                    }
                    let d = Diagnostic::error(
                        codes::NO_STAGES,
                        "`stage` is used, but this model has no `stages`",
                        span,
                    )
                    .with_label("no stages declared")
                    .with_help("declare the lifecycle first, like `stages prospect, lead, mql`");
                    if !self.sc.stages_broken() {
                        self.err(d);
                    }
                    return None;
                }
                let d = Diagnostic::error(
                    codes::NAME_NOT_HERE,
                    "`stage` can only be used in a test's `expect`",
                    span,
                )
                .with_label("not available here")
                .with_help("rules and conditions can't depend on the stage; use a transition's `FROM` stage instead");
                self.err(d);
                return None;
            }
            "stage_since" => {
                let d = Diagnostic::error(
                    codes::NAME_NOT_HERE,
                    "`stage_since` can't be used in an expression",
                    span,
                )
                .with_label("not available here")
                .with_help("in a transition's condition, `time_in_stage` says how long the lead has been in its stage");
                self.err(d);
                return None;
            }
            "at" => {
                let d = Diagnostic::error(
                    codes::NAME_NOT_HERE,
                    "`at` is the time of an event and can only be used inside a query",
                    span,
                )
                .with_label("not inside a query")
                .with_help("use it in a `where`, like `count(page_view where hour(at) < 6)`");
                self.err(d);
                return None;
            }
            _ => {}
        }
        // 4. declarations
        if let Some(entry) = self.sc.names.get(n) {
            let def = entry.def;
            if self.ctx == Ctx::Const && !matches!(def, NameDef::Const(_) | NameDef::Event(_)) {
                self.uses.push((span, Target::Name(def)));
                return self.not_const(span, format!("`{n}` depends on the lead"));
            }
            self.uses.push((span, Target::Name(def)));
            return match def {
                NameDef::LeadField(i) => Some(mk(
                    ExprKind::Field(i),
                    self.sc.schema.lead[i as usize].ty.clone(),
                    span,
                )),
                NameDef::Const(i) => {
                    let c = &self.sc.consts[i as usize];
                    let v = c.value.clone()?;
                    let ty = c.ty.clone()?;
                    if c.flexible {
                        if let Some(h) = hint {
                            match self.convert(&v, h) {
                                Ok(v) => return Some(lit(v, h.clone(), span)),
                                Err(Some(bad)) => {
                                    if let Ty::Enum(e) = h {
                                        let e = e.clone();
                                        self.unknown_variant(&bad, span, &e);
                                        return None;
                                    }
                                    if let Ty::List(inner) = h {
                                        if let Ty::Enum(e) = &**inner {
                                            let e = e.clone();
                                            self.unknown_variant(&bad, span, &e);
                                            return None;
                                        }
                                    }
                                }
                                Err(None) => {}
                            }
                        } else if self.ctx == Ctx::Const {
                            self.flexible = true;
                        }
                    }
                    Some(lit(v, ty, span))
                }
                NameDef::Value(i) => {
                    let ty = self.sc.values[i as usize].ty.clone()?;
                    self.deps.push(DeclRef::Value(i));
                    Some(mk(ExprKind::ValueRef(i), ty, span))
                }
                NameDef::Score(i) => {
                    self.deps.push(DeclRef::Score(i));
                    Some(mk(ExprKind::ScoreRef(i), Ty::Number, span))
                }
                NameDef::Tier(i) => {
                    self.deps.push(DeclRef::Tier(i));
                    Some(mk(
                        ExprKind::TierRef(i),
                        self.sc.tiers[i as usize].ty.clone(),
                        span,
                    ))
                }
                NameDef::Event(_) => {
                    let d = Diagnostic::error(
                        codes::QUERY_MISPLACED,
                        format!(
                            "`{n}` is an event: its events can only be used through an aggregate"
                        ),
                        span,
                    )
                    .with_label("an event")
                    .with_help(format!(
                        "count or test them, like `count({n})` or `exists({n} within 30d)`; \
                         in a score, `each {n} => +5` gives points for every one"
                    ));
                    self.err(d);
                    None
                }
            };
        }
        // 5. a variant that is not in the expected enum
        if let Some(Ty::Enum(et)) = hint {
            let et = et.clone();
            self.unknown_variant(n, span, &et);
            return None;
        }
        // 6. a variant of some enum, but nothing says which
        if let Some(e) = self.sc.enum_with(n) {
            let e = e.clone();
            if self.ctx == Ctx::Const {
                self.flexible = true;
                self.use_value(span, &e, n);
                let sym = e.sym_of(n)?;
                return Some(lit(Value::Enum(sym), Ty::Enum(e), span));
            }
            let owner = self
                .sc
                .schema
                .lead
                .iter()
                .find(|f| {
                    matches!(&f.ty, Ty::Enum(x) if x.has(n))
                        || matches!(&f.ty, Ty::List(t) if matches!(&**t, Ty::Enum(x) if x.has(n)))
                })
                .map(|f| f.name.clone());
            let help = match owner {
                Some(f) => format!("compare it with a value of that kind, like `{f} == {n}`"),
                None => format!("compare it with a value of that kind, like `… == {n}`"),
            };
            let d = Diagnostic::error(
                codes::BARE_VARIANT,
                format!("can't tell which list of values `{n}` belongs to here"),
                span,
            )
            .with_label("a bare value")
            .with_help(help);
            self.err(d);
            return None;
        }
        // 7. unknown (unless a declaration with a syntax error declares it)
        if self.sc.broken.contains(n) {
            return None;
        }
        if is_null_word(n) {
            let d = Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("mql has no `{n}`: a value the data does not give is unknown"),
                span,
            )
            .with_label("not a value in mql")
            .with_help(NULL_HELP);
            self.err(d);
            return None;
        }
        // The "did you mean" is worked out once per distinct name, when the
        // whole model is known (see `Pending`).
        let d = Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{n}`"), span)
            .with_label("not declared in this model")
            .with_help(format!(
                "declare it, for example as a lead field or with `let {n} = …`"
            ));
        self.pending.push(Pending {
            diag: self.diags.len() as u32,
            name: n.to_string(),
            extra: match self.ctx {
                Ctx::Transition => Some("time_in_stage"),
                Ctx::Expect => Some("stage"),
                _ => None,
            },
            event: self.event,
        });
        self.err(d);
        None
    }

    /// Elaborate an expression; `hint` is the type the context expects, used
    /// to read bare enum variants and empty lists. The result's type may still
    /// differ from the hint: callers check it.
    pub fn elab(&mut self, e: &ast::Expr, hint: Option<&Ty>) -> Option<Expr> {
        mql_core::deep(|| self.elab_body(e, hint))
    }

    fn elab_body(&mut self, e: &ast::Expr, hint: Option<&Ty>) -> Option<Expr> {
        let span = e.span;
        match &e.kind {
            ast::ExprKind::Int(v) => Some(lit(Value::Int((*v)?), Ty::Int, span)),
            ast::ExprKind::Number(n) => Some(lit(Value::Number(*n), Ty::Number, span)),
            ast::ExprKind::Str(s) => Some(lit(Value::Str(Arc::from(s.as_str())), Ty::String, span)),
            ast::ExprKind::Bool(b) => Some(lit(Value::Bool(*b), Ty::Bool, span)),
            ast::ExprKind::Duration(d) => Some(lit(Value::Duration((*d)?), Ty::Duration, span)),
            ast::ExprKind::Time(t) => Some(lit(Value::Time((*t)?), Ty::Time, span)),
            ast::ExprKind::Percent(_) => {
                let d = Diagnostic::error(
                    codes::PERCENT_MISPLACED,
                    "a percentage can only be used in `decay P% every D`",
                    span,
                )
                .with_label("percentage")
                .with_help("write a plain number instead, like `0.25` for 25%");
                self.err(d);
                None
            }
            ast::ExprKind::List(items) => self.list(items, hint, span),
            ast::ExprKind::Name(id) => self.name(id, hint),
            ast::ExprKind::Paren(inner) => {
                let mut x = self.elab(inner, hint)?;
                x.span = span;
                Some(x)
            }
            ast::ExprKind::Unary(op, inner) => match op {
                ast::UnaryOp::Not => {
                    let x = self.cond(inner)?;
                    Some(mk(ExprKind::Not(Box::new(x)), Ty::Bool, span))
                }
                ast::UnaryOp::Neg | ast::UnaryOp::Plus => {
                    let x = self.elab(inner, hint)?;
                    if !matches!(x.ty, Ty::Int | Ty::Number | Ty::Duration) {
                        let d = Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!(
                                "a sign only goes before a number or a duration, but `{}` is {}",
                                self.show(x.span),
                                x.ty.describe()
                            ),
                            span,
                        )
                        .with_label("can't take a sign")
                        .with_help("remove the sign");
                        self.err(d);
                        return None;
                    }
                    if *op == ast::UnaryOp::Plus {
                        let mut x = x;
                        x.span = span;
                        return Some(x);
                    }
                    let ty = x.ty.clone();
                    let neg = mk(ExprKind::Neg(Box::new(x)), ty.clone(), span);
                    if let ExprKind::Neg(inner) = &neg.kind {
                        if matches!(inner.kind, ExprKind::Lit(_)) {
                            if let Ok(v) = fold::eval(&neg) {
                                return Some(lit(v, ty, span));
                            }
                        }
                    }
                    Some(neg)
                }
            },
            ast::ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span),
            ast::ExprKind::Between { value, lo, hi } => {
                let v = self.elab(value, None);
                let h = v.as_ref().map(|v| v.ty.clone());
                let a = self.elab(lo, h.as_ref());
                let b = self.elab(hi, h.as_ref());
                let (v, a, b) = (v?, a?, b?);
                for bound in [&a, &b] {
                    if !same_ty(&v.ty, &bound.ty) {
                        self.mismatch(&v, bound, bound.span, "not comparable");
                        return None;
                    }
                }
                if !ordered(&v.ty) {
                    self.unordered("between", &v, span);
                    return None;
                }
                Some(mk(
                    ExprKind::Between {
                        value: Box::new(v),
                        lo: Box::new(a),
                        hi: Box::new(b),
                    },
                    Ty::Bool,
                    span,
                ))
            }
            ast::ExprKind::Call { func, args } => self.call(func, args, span),
            ast::ExprKind::Query(q) => {
                let d = Diagnostic::error(
                    codes::QUERY_MISPLACED,
                    "an event query can only be used inside an aggregate",
                    span,
                )
                .with_label("a query on its own")
                .with_help(format!(
                    "wrap it in an aggregate, like `count({})` or `exists({})`",
                    self.show(q.span),
                    self.show(q.span)
                ));
                self.err(d);
                None
            }
        }
    }

    fn unordered(&mut self, op: &str, x: &Expr, span: Span) {
        let d = Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!(
                "`{op}` needs values that have an order, but `{}` is {}",
                self.show(x.span),
                x.ty.describe()
            ),
            span,
        )
        .with_label("no order")
        .with_help("yes/no values and values from a list can only be compared with `==` or `!=`");
        self.err(d);
    }

    fn list(&mut self, items: &[ast::Expr], hint: Option<&Ty>, span: Span) -> Option<Expr> {
        let mut elem_hint: Option<Ty> = match hint {
            Some(Ty::List(t)) => Some((**t).clone()),
            _ => None,
        };
        if items.is_empty() {
            if self.ctx == Ctx::Const && elem_hint.is_none() {
                self.flexible = true;
            }
            let t = elem_hint.unwrap_or(Ty::Int);
            return Some(lit(
                Value::List(Arc::from(Vec::new())),
                Ty::List(Box::new(t)),
                span,
            ));
        }
        let mut elems = Vec::new();
        let mut ok = true;
        for it in items {
            match self.elab(it, elem_hint.as_ref()) {
                Some(x) => {
                    if elem_hint.is_none() {
                        elem_hint = Some(x.ty.clone());
                    }
                    elems.push(x)
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        // element type: all the same, int and number mixing as number
        let mut ty = elems[0].ty.clone();
        for x in &elems[1..] {
            if !same_ty(&ty, &x.ty) {
                let first = elems[0].clone();
                let d = Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "a list holds values of one kind, but `{}` is {} and `{}` is {}",
                        self.show(first.span),
                        first.ty.describe(),
                        self.show(x.span),
                        x.ty.describe()
                    ),
                    x.span,
                )
                .with_label("different kind")
                .with_help("split the list, or make every value the same kind");
                self.err(d);
                return None;
            }
            if x.ty == Ty::Number {
                ty = Ty::Number;
            }
        }
        let mut values = Vec::new();
        for x in &elems {
            if !fold::is_const(x) {
                let d = Diagnostic::error(
                    codes::NOT_CONSTANT,
                    format!(
                        "a list can only hold fixed values, but `{}` depends on the lead",
                        self.show(x.span)
                    ),
                    x.span,
                )
                .with_label("not fixed")
                .with_help(
                    "write literals, consts or values from a list; compare lead values one by one",
                );
                self.err(d);
                return None;
            }
            let v = self.fold(x)?;
            values.push(self.convert(&v, &ty).unwrap_or(v));
        }
        Some(lit(
            Value::List(Arc::from(values)),
            Ty::List(Box::new(ty)),
            span,
        ))
    }

    /// `email ends_with "@gmail.com" or "@yahoo.com"`: a value alone on the
    /// right of `or`/`and`, where the test on its left was meant again.
    fn half_test(&self, op: ast::BinaryOp, l: &ast::Expr, r: &ast::Expr) -> Option<Diagnostic> {
        use ast::BinaryOp as B;
        use ast::ExprKind as K;
        let K::Binary(test, subject, _) = &l.kind else {
            return None;
        };
        let is_test = matches!(
            test,
            B::Eq
                | B::Ne
                | B::Lt
                | B::Le
                | B::Gt
                | B::Ge
                | B::In
                | B::NotIn
                | B::Contains
                | B::StartsWith
                | B::EndsWith
                | B::Matches
        );
        let is_value = matches!(r.kind, K::Str(_) | K::Int(_) | K::Number(_) | K::List(_));
        if !is_test || !is_value {
            return None;
        }
        let text = |span: Span| {
            self.text
                .get(trim_span(self.text, span).range())
                .unwrap_or("")
        };
        let value = self.show(r.span);
        let d = Diagnostic::error(
            codes::NOT_A_CONDITION,
            format!("`{value}` after `{}` is not a test of its own", op.as_str()),
            r.span,
        )
        .with_label("a value, not a yes/no test");
        // `company_size >= 200 and 5000` is a range
        if let (B::And, B::Gt | B::Ge | B::Lt | B::Le, K::Binary(_, _, lo)) = (op, test, &l.kind) {
            let range = format!(
                "{} between {} and {}",
                text(subject.span),
                text(lo.span),
                text(r.span)
            );
            return Some(d.with_help(format!(
                "each side of `and` is a whole test; for a range, write `{}` (both ends included)",
                collapse(&range)
            )));
        }
        let fixed = format!("{} {} {}", text(subject.span), test.as_str(), text(r.span));
        Some(
            d.with_help(format!(
                "each side of `{}` is a whole test; write `{}`",
                op.as_str(),
                collapse(&fixed)
            ))
            .with_suggestion(
                r.span,
                fixed.clone(),
                format!("change to `{}`", collapse(&fixed)),
            ),
        )
    }

    fn binary(
        &mut self,
        op: ast::BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
    ) -> Option<Expr> {
        use ast::BinaryOp as B;
        let same = |t: &Ty| t.clone();
        match op {
            B::And | B::Or => {
                let a = self.cond(l);
                if let Some(d) = self.half_test(op, l, r) {
                    self.err(d);
                    return None;
                }
                let b = self.cond(r);
                let (a, b) = (Box::new(a?), Box::new(b?));
                let kind = if op == B::And {
                    ExprKind::And(a, b)
                } else {
                    ExprKind::Or(a, b)
                };
                Some(mk(kind, Ty::Bool, span))
            }
            B::Add | B::Sub | B::Mul | B::Div => {
                let (a, b) = self.pair(l, r, same, same)?;
                let aop = match op {
                    B::Add => ArithOp::Add,
                    B::Sub => ArithOp::Sub,
                    B::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                match arith_ty(aop, &a.ty, &b.ty) {
                    Some(t) => Some(mk(ExprKind::Arith(aop, Box::new(a), Box::new(b)), t, span)),
                    None => {
                        let verb = match aop {
                            ArithOp::Add => "add",
                            ArithOp::Sub => "subtract",
                            ArithOp::Mul => "multiply",
                            ArithOp::Div => "divide",
                        };
                        let help = if a.ty == Ty::String || b.ty == Ty::String {
                            "text can't be joined or computed with; compare it or test it with `contains`"
                        } else if a.ty == Ty::Time || b.ty == Ty::Time {
                            "a time minus a time is a duration, and a time plus or minus a duration is a time"
                        } else {
                            "arithmetic works on numbers, and on times and durations as in `now - 30d`"
                        };
                        let d = Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!(
                                "can't {verb} `{}` ({}) and `{}` ({})",
                                self.show(a.span),
                                a.ty.describe(),
                                self.show(b.span),
                                b.ty.describe()
                            ),
                            span,
                        )
                        .with_label(format!("`{}` doesn't work here", op.as_str()))
                        .with_help(help);
                        self.err(d);
                        None
                    }
                }
            }
            B::Eq | B::Ne | B::Lt | B::Le | B::Gt | B::Ge => {
                let (a, b) = self.pair(l, r, same, same)?;
                if !same_ty(&a.ty, &b.ty) {
                    self.mismatch(&a, &b, span, "can't compare these");
                    return None;
                }
                let cop = match op {
                    B::Eq => CmpOp::Eq,
                    B::Ne => CmpOp::Ne,
                    B::Lt => CmpOp::Lt,
                    B::Le => CmpOp::Le,
                    B::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                if !matches!(cop, CmpOp::Eq | CmpOp::Ne) && !ordered(&a.ty) {
                    self.unordered(op.as_str(), &a, span);
                    return None;
                }
                Some(mk(
                    ExprKind::Cmp(cop, Box::new(a), Box::new(b)),
                    Ty::Bool,
                    span,
                ))
            }
            B::In | B::NotIn => {
                let (a, b) = self.pair(
                    l,
                    r,
                    |t| Ty::List(Box::new(t.clone())),
                    |t| match t {
                        Ty::List(x) => (**x).clone(),
                        other => other.clone(),
                    },
                )?;
                self.membership(a, b, op == B::NotIn, op.as_str(), span)
            }
            B::Contains => {
                let (a, b) = self.pair(
                    l,
                    r,
                    |t| match t {
                        Ty::List(x) => (**x).clone(),
                        other => other.clone(),
                    },
                    |t| Ty::List(Box::new(t.clone())),
                )?;
                if a.ty == Ty::String && b.ty == Ty::String {
                    return Some(mk(
                        ExprKind::StrTest(StrOp::Contains, Box::new(a), Box::new(b)),
                        Ty::Bool,
                        span,
                    ));
                }
                self.membership(b, a, false, "contains", span)
            }
            B::StartsWith | B::EndsWith => {
                let a = self.elab(l, Some(&Ty::String));
                let b = self.elab(r, Some(&Ty::String));
                let (a, b) = (a?, b?);
                for x in [&a, &b] {
                    if x.ty != Ty::String {
                        self.needs_text(op.as_str(), x);
                        return None;
                    }
                }
                let sop = if op == B::StartsWith {
                    StrOp::StartsWith
                } else {
                    StrOp::EndsWith
                };
                Some(mk(
                    ExprKind::StrTest(sop, Box::new(a), Box::new(b)),
                    Ty::Bool,
                    span,
                ))
            }
            B::Matches => {
                let a = self.elab(l, Some(&Ty::String));
                let b = self.constant("the pattern after `matches`", |cx| {
                    cx.elab(r, Some(&Ty::String))
                });
                let (a, b) = (a?, b?);
                for x in [&a, &b] {
                    if x.ty != Ty::String {
                        self.needs_text("matches", x);
                        return None;
                    }
                }
                let pat = match self.fold(&b)? {
                    Value::Str(s) => s,
                    _ => return None,
                };
                let built = if pat.chars().count() > MAX_PATTERN_CHARS {
                    Err(None)
                } else {
                    regex::RegexBuilder::new(&pat)
                        .size_limit(MAX_PATTERN_BYTES)
                        .build()
                        .map_err(Some)
                };
                match built {
                    Ok(re) => Some(mk(
                        ExprKind::Matches(Box::new(a), Pattern(Arc::new(re))),
                        Ty::Bool,
                        span,
                    )),
                    Err(err) => {
                        let (why, help) = match err {
                            None => (
                                format!("it is longer than {MAX_PATTERN_CHARS} characters"),
                                "split it into several `matches` joined with `or`",
                            ),
                            Some(regex::Error::CompiledTooBig(_)) => (
                                "it is too large once compiled (more than 1 MiB)".to_string(),
                                "make it simpler: counted repeats like `\\w{500}` make a pattern large",
                            ),
                            Some(err) => (
                                err.to_string()
                                    .lines()
                                    .rev()
                                    .find_map(|l| l.trim().strip_prefix("error: "))
                                    .unwrap_or("it can't be read")
                                    .to_string(),
                                "patterns use Rust regex syntax; escape special characters like `(` or `.` with a backslash",
                            ),
                        };
                        let shown: String = if pat.chars().count() > 60 {
                            pat.chars().take(60).chain(['…']).collect()
                        } else {
                            pat.to_string()
                        };
                        let d = Diagnostic::error(
                            codes::INVALID_PATTERN,
                            format!("`{shown}` is not a valid pattern: {why}"),
                            b.span,
                        )
                        .with_label(why)
                        .with_help(help);
                        self.err(d);
                        None
                    }
                }
            }
        }
    }

    fn needs_text(&mut self, op: &str, x: &Expr) {
        let d = Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!(
                "`{op}` works on text, but `{}` is {}",
                self.show(x.span),
                x.ty.describe()
            ),
            x.span,
        )
        .with_label("not text")
        .with_help("use it on a text field, like `url starts_with \"/pricing\"`");
        self.err(d);
    }

    fn membership(
        &mut self,
        value: Expr,
        list: Expr,
        negated: bool,
        op: &str,
        span: Span,
    ) -> Option<Expr> {
        let elem = match &list.ty {
            Ty::List(t) => (**t).clone(),
            _ => {
                let help = if list.ty == Ty::String && value.ty == Ty::String {
                    "to look for text inside text, write `… contains \"text\"`"
                } else {
                    "write a list like `[a, b]`, a const that holds a list, or a list field"
                };
                let d = Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "`{op}` needs a list, but `{}` is {}",
                        self.show(list.span),
                        list.ty.describe()
                    ),
                    list.span,
                )
                .with_label("not a list")
                .with_help(help);
                self.err(d);
                return None;
            }
        };
        let empty = matches!(&list.kind, ExprKind::Lit(Value::List(l)) if l.is_empty());
        if !same_ty(&value.ty, &elem) && !empty {
            self.mismatch(&value, &list, span, "can't be in this list");
            return None;
        }
        Some(mk(
            ExprKind::In {
                value: Box::new(value),
                list: Box::new(list),
                negated,
            },
            Ty::Bool,
            span,
        ))
    }

    fn arity(&mut self, func: &ast::Ident, args: &[ast::Expr], n: usize, span: Span) -> bool {
        if args.len() == n {
            return true;
        }
        let d = Diagnostic::error(
            codes::ARGUMENT_COUNT,
            format!(
                "`{}` takes {}, but {} given",
                func.name,
                plural(n, "value"),
                if args.len() == 1 {
                    "1 was".to_string()
                } else {
                    format!("{} were", args.len())
                }
            ),
            span,
        )
        .with_label("wrong number of values")
        .with_help(signature(&func.name));
        self.err(d);
        false
    }

    fn arg_ty(&mut self, func: &str, x: &Expr, ok: bool, want: &str) -> bool {
        if !ok {
            let d = Diagnostic::error(
                codes::WRONG_ARGUMENT,
                format!(
                    "`{func}` needs {want}, but `{}` is {}",
                    self.show(x.span),
                    x.ty.describe()
                ),
                x.span,
            )
            .with_label(format!("not {want}"))
            .with_help(signature(func));
            self.err(d);
        }
        ok
    }

    /// The event a first argument names, if it is a query or a bare event name.
    fn is_query_arg(&self, e: &ast::Expr) -> bool {
        match &unparen(e).kind {
            ast::ExprKind::Query(_) => true,
            ast::ExprKind::Name(id) => {
                matches!(
                    self.sc.names.get(&id.name).map(|n| n.def),
                    Some(NameDef::Event(_))
                )
            }
            _ => false,
        }
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], span: Span) -> Option<Expr> {
        let name = func.name.as_str();
        let agg = match name {
            "count" => Some(AggKind::Count),
            "exists" => Some(AggKind::Exists),
            "sum" => Some(AggKind::Sum),
            "avg" => Some(AggKind::Avg),
            "distinct" => Some(AggKind::Distinct),
            "first" => Some(AggKind::First),
            "last" => Some(AggKind::Last),
            "min" if args.first().is_some_and(|a| self.is_query_arg(a)) => Some(AggKind::Min),
            "max" if args.first().is_some_and(|a| self.is_query_arg(a)) => Some(AggKind::Max),
            _ => None,
        };
        if crate::builtins::function(name).is_some() {
            self.uses
                .push((func.span, Target::Builtin(Builtin::Function)));
        }
        if let Some(kind) = agg {
            return self.aggregate(kind, func, args, span);
        }
        let f = match name {
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "trim" => Func::Trim,
            "length" => Func::Length,
            "domain" => Func::Domain,
            "known" => Func::Known,
            "default" => Func::Default,
            "min" => Func::Min,
            "max" => Func::Max,
            "abs" => Func::Abs,
            "round" => Func::Round,
            "since" => Func::Since,
            "hour" => Func::Hour,
            "weekday" => Func::Weekday,
            "day" => Func::Day,
            "days" => Func::Days,
            _ => {
                let sugg = did_you_mean(name, FUNCTIONS.iter().map(|f| f.name));
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("unknown function `{name}`"),
                    func.span,
                )
                .with_label("no such function");
                match sugg {
                    Some(s) => {
                        d = d.with_help(format!("did you mean `{s}`?")).with_suggestion(
                            func.span,
                            s.clone(),
                            format!("change to `{s}`"),
                        );
                    }
                    None => {
                        let all: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
                        d = d.with_help(format!("the functions are {}", all.join(", ")));
                    }
                }
                self.err(d);
                for a in args {
                    let _ = self.elab(a, None);
                }
                return None;
            }
        };
        let n = match f {
            Func::Default | Func::Round => 2,
            Func::Min | Func::Max => args.len().max(2),
            _ => 1,
        };
        if !self.arity(func, args, n, span) {
            return None;
        }
        let call = |args: Vec<Expr>, ty: Ty| Some(mk(ExprKind::Call(f, args), ty, span));
        match f {
            Func::Default => {
                let (a, b) = self.pair(&args[0], &args[1], |t| t.clone(), |t| t.clone())?;
                if !same_ty(&a.ty, &b.ty) {
                    self.mismatch(&a, &b, b.span, "a different kind of value");
                    return None;
                }
                let ty = if a.ty != b.ty && a.ty.is_numeric() {
                    Ty::Number
                } else {
                    a.ty.clone()
                };
                call(vec![a, b], ty)
            }
            Func::Min | Func::Max => {
                let xs: Vec<Option<Expr>> = args.iter().map(|a| self.elab(a, None)).collect();
                let xs: Vec<Expr> = xs.into_iter().collect::<Option<_>>()?;
                for x in &xs {
                    if !self.arg_ty(name, x, x.ty.is_numeric(), "a number") {
                        return None;
                    }
                }
                let ty = if xs.iter().all(|x| x.ty == Ty::Int) {
                    Ty::Int
                } else {
                    Ty::Number
                };
                call(xs, ty)
            }
            Func::Round => {
                let a = self.elab(&args[0], None);
                let b = self.elab(&args[1], None);
                let (a, b) = (a?, b?);
                if !self.arg_ty(name, &a, a.ty.is_numeric(), "a number")
                    || !self.arg_ty(name, &b, b.ty == Ty::Int, "a whole number of digits")
                {
                    return None;
                }
                call(vec![a, b], Ty::Number)
            }
            _ => {
                let x = self.elab(&args[0], None)?;
                let (ok, want, ty) = match f {
                    Func::Lower | Func::Upper | Func::Trim | Func::Domain => {
                        (x.ty == Ty::String, "text", Ty::String)
                    }
                    Func::Length => (
                        x.ty == Ty::String || matches!(x.ty, Ty::List(_)),
                        "text or a list",
                        Ty::Int,
                    ),
                    Func::Known => (true, "a value", Ty::Bool),
                    Func::Abs => (x.ty.is_numeric(), "a number", x.ty.clone()),
                    Func::Since => (x.ty == Ty::Time, "a time", Ty::Duration),
                    Func::Hour | Func::Weekday => (x.ty == Ty::Time, "a time", Ty::Int),
                    Func::Day => (x.ty == Ty::Time, "a time", Ty::Time),
                    _ => (x.ty == Ty::Duration, "a duration", Ty::Number),
                };
                if !self.arg_ty(name, &x, ok, want) {
                    return None;
                }
                if f == Func::Since && self.ctx == Ctx::Const {
                    return self.not_const(span, "`since` depends on `now`".into());
                }
                call(vec![x], ty)
            }
        }
    }

    fn aggregate(
        &mut self,
        kind: AggKind,
        func: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<Expr> {
        let n = match kind {
            AggKind::Count | AggKind::Exists | AggKind::First | AggKind::Last => 1,
            _ => 2,
        };
        if !self.arity(func, args, n, span) {
            return None;
        }
        if self.ctx == Ctx::Const {
            return self.not_const(span, format!("`{}` looks at the lead's events", func.name));
        }
        if self.event.is_some() {
            let d = Diagnostic::error(
                codes::QUERY_MISPLACED,
                "a query can't be written inside another query",
                span,
            )
            .with_label("query inside a query")
            .with_help("move the inner aggregate into a `let` and use the let's name here");
            self.err(d);
            return None;
        }
        let first = unparen(&args[0]);
        let query = match &first.kind {
            ast::ExprKind::Query(q) => self.query(q),
            ast::ExprKind::Name(id)
                if !matches!(
                    self.sc.names.get(&id.name).map(|n| n.def),
                    Some(d) if !matches!(d, NameDef::Event(_))
                ) =>
            {
                let q = ast::Query {
                    event: id.clone(),
                    filter: None,
                    within: None,
                    span: first.span,
                };
                self.query(&q)
            }
            _ => {
                let _ = self.elab(first, None);
                let d = Diagnostic::error(
                    codes::WRONG_ARGUMENT,
                    format!(
                        "`{}` works on events, but `{}` is not an event",
                        func.name,
                        self.show(first.span)
                    ),
                    first.span,
                )
                .with_label("not an event")
                .with_help(signature(&func.name));
                self.err(d);
                return None;
            }
        };
        let query = query?;
        let arg = if n == 2 {
            let saved = self.event;
            self.event = Some(query.event);
            let x = self.elab(&args[1], None);
            self.event = saved;
            Some(x?)
        } else {
            None
        };
        let ty = match (kind, &arg) {
            (AggKind::Count | AggKind::Distinct, _) => Ty::Int,
            (AggKind::Exists, _) => Ty::Bool,
            (AggKind::First | AggKind::Last, _) => Ty::Time,
            (AggKind::Sum, Some(x)) => {
                if !self.arg_ty(&func.name, x, x.ty.is_numeric(), "a number for each event") {
                    return None;
                }
                x.ty.clone()
            }
            (AggKind::Avg, Some(x)) => {
                if !self.arg_ty(&func.name, x, x.ty.is_numeric(), "a number for each event") {
                    return None;
                }
                Ty::Number
            }
            (AggKind::Min | AggKind::Max, Some(x)) => {
                if !self.arg_ty(
                    &func.name,
                    x,
                    ordered(&x.ty),
                    "a value with an order for each event",
                ) {
                    return None;
                }
                x.ty.clone()
            }
            _ => return None,
        };
        Some(mk(
            ExprKind::Agg {
                kind,
                query,
                arg: arg.map(Box::new),
            },
            ty,
            span,
        ))
    }

    /// `EVENT [where COND] [within D]`.
    pub fn query(&mut self, q: &ast::Query) -> Option<Query> {
        let name = q.event.name.as_str();
        let ev = match self.sc.names.get(name).map(|n| n.def) {
            Some(NameDef::Event(i)) => {
                self.uses
                    .push((q.event.span, Target::Name(NameDef::Event(i))));
                i
            }
            _ => {
                if self.sc.broken.contains(name) {
                    return None;
                }
                let events = self.sc.schema.events.iter().map(|e| e.name.as_str());
                let sugg = did_you_mean(name, events);
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_EVENT,
                    format!("unknown event `{name}`"),
                    q.event.span,
                )
                .with_label("no event of this name");
                match sugg {
                    Some(s) => {
                        d = d.with_help(format!("did you mean `{s}`?")).with_suggestion(
                            q.event.span,
                            s.clone(),
                            format!("change to `{s}`"),
                        );
                    }
                    None => {
                        let all: Vec<&str> = self
                            .sc
                            .schema
                            .events
                            .iter()
                            .map(|e| e.name.as_str())
                            .collect();
                        d = d.with_help(if all.is_empty() {
                            format!("declare it, like `event {name} {{ … }}`")
                        } else {
                            format!("the events are {}", all.join(", "))
                        });
                    }
                }
                self.err(d);
                return None;
            }
        };
        let filter = match &q.filter {
            Some(f) => {
                let saved = self.event;
                self.event = Some(ev);
                let x = self.cond(f);
                self.event = saved;
                Some(Box::new(x?))
            }
            None => None,
        };
        let within = match &q.within {
            Some(w) => {
                let (v, ty, span) =
                    self.const_value(w, Some(&Ty::Duration), "the `within` duration")?;
                match v {
                    Value::Duration(d) if d >= 0 => Some(d),
                    Value::Duration(_) => {
                        let d = Diagnostic::error(
                            codes::DECAY_OUT_OF_RANGE,
                            "the `within` duration can't be negative",
                            span,
                        )
                        .with_label("negative")
                        .with_help("write how far back to look, like `within 30d`");
                        self.err(d);
                        return None;
                    }
                    _ => {
                        let d = Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!(
                                "`within` needs a duration like `30d`, but `{}` is {}",
                                self.show(span),
                                ty.describe()
                            ),
                            span,
                        )
                        .with_label("not a duration")
                        .with_help("write a number with a unit: `30m`, `12h`, `14d` or `2w`");
                        self.err(d);
                        return None;
                    }
                }
            }
            None => None,
        };
        Some(Query {
            event: ev,
            filter,
            within,
            span: q.span,
        })
    }
}

/// The result type of an arithmetic operator, spec §5.2.
pub fn arith_ty(op: ArithOp, a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty::*;
    Some(match (op, a, b) {
        (ArithOp::Div, Int | Number, Int | Number) => Number,
        (_, Int, Int) => Int,
        (_, Int | Number, Int | Number) => Number,
        (ArithOp::Sub, Time, Time) => Duration,
        (ArithOp::Add | ArithOp::Sub, Time, Duration) => Time,
        (ArithOp::Add, Duration, Time) => Time,
        (ArithOp::Add | ArithOp::Sub, Duration, Duration) => Duration,
        (ArithOp::Div, Duration, Duration) => Number,
        (ArithOp::Mul | ArithOp::Div, Duration, Int | Number) => Duration,
        (ArithOp::Mul, Int | Number, Duration) => Duration,
        _ => return None,
    })
}

/// How a function is called, for help texts.
fn signature(f: &str) -> String {
    match crate::builtins::function(f) {
        Some(func) => func.usage.to_string(),
        None => format!("see the list of functions for `{f}`"),
    }
}

/// Words other languages use for "no value" (`null`, `NULL`, `nil`,
/// `None`); mql calls it unknown and tests it with `known(x)`.
fn is_null_word(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "null" | "nil" | "none" | "undefined"
    )
}

const NULL_HELP: &str = "to ask whether a field has a value, write `known(…)` around it, like \
     `known(email)`; `not known(email)` holds when it is missing";

/// What a value written in quotes (`"vp"`, `"50"`) was meant to be, when
/// `want` is not text and the quoted text reads as one of its values: the
/// enum value's name, or the number or yes/no as written.
pub(crate) fn unquoted(written: &str, want: &Ty) -> Option<String> {
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains(['"', '\\']) {
        return None;
    }
    let t = inner.trim();
    match want {
        Ty::Enum(e) => {
            let key = mql_core::names::normalise_enum(t);
            e.variants
                .iter()
                .find(|v| mql_core::names::normalise_enum(v) == key)
                .cloned()
        }
        Ty::Int => t.parse::<i64>().ok().map(|_| t.to_string()),
        Ty::Number => t
            .parse::<f64>()
            .ok()
            .filter(|n| {
                n.is_finite()
                    && t.bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            })
            .map(|_| t.to_string()),
        Ty::Bool => matches!(t, "true" | "false").then(|| t.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod collapse_tests {
    use super::collapse;

    #[test]
    fn comments_are_left_out_but_not_inside_strings() {
        assert_eq!(collapse("vip  =>\n  +10 // the big one"), "vip => +10");
        assert_eq!(
            collapse("url starts_with \"https://x\" // docs\n  => +5"),
            "url starts_with \"https://x\" => +5"
        );
        assert_eq!(
            collapse(r#"name == "a\"//b" => +1"#),
            r#"name == "a\"//b" => +1"#
        );
    }
}
