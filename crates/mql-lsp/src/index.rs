//! The editor's map of a model, built from the syntax trees of its files:
//! every declared thing (declarations, lead and event fields, enum variants,
//! stages, tier labels) and every place that names one. Hover, definition,
//! references, rename, semantic tokens and completion all read it.
//!
//! Names are resolved the way the language does (spec §4): an enum variant
//! where the other operand's enum is known, an event's fields inside its
//! query, then the model's one namespace, then stages and variants by text.

use std::collections::HashMap;
use std::sync::Arc;

use mql_core::Span;
use mql_syntax::ast::{
    BinaryOp, Decay, DeclKind, EventWhen, Expr, ExprKind, FieldDecl, Query, RuleKind,
    ScoreOptionKind, SourceFile, TestItemKind, TypeExpr, TypeKind,
};

use crate::position::Lines;

/// One file of the model, with its text and tree.
#[derive(Clone, Debug)]
pub struct FileData {
    pub path: Arc<str>,
    pub text: Arc<str>,
    pub ast: Arc<SourceFile>,
    pub lines: Lines,
}

impl FileData {
    pub fn new(path: Arc<str>, text: Arc<str>, ast: Arc<SourceFile>) -> FileData {
        let lines = Lines::new(&text);
        FileData {
            path,
            text,
            ast,
            lines,
        }
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    Model,
    LeadField,
    Event,
    EventField {
        event: DefId,
    },
    Const,
    Let,
    Criterion,
    Segment,
    Score,
    Tier,
    TierLabel {
        tier: DefId,
    },
    Stage,
    /// A variant of an enum written in a field's type.
    Variant {
        field: DefId,
    },
}

impl DefKind {
    /// Does this name live in the model's one namespace (spec §3)?
    pub fn is_top_level(self) -> bool {
        matches!(
            self,
            DefKind::LeadField
                | DefKind::Event
                | DefKind::Const
                | DefKind::Let
                | DefKind::Criterion
                | DefKind::Segment
                | DefKind::Score
                | DefKind::Tier
        )
    }

    /// How an author calls it.
    pub fn describe(self) -> &'static str {
        match self {
            DefKind::Model => "model",
            DefKind::LeadField => "lead field",
            DefKind::Event => "event",
            DefKind::EventField { .. } => "event field",
            DefKind::Const => "const",
            DefKind::Let => "let",
            DefKind::Criterion => "criterion",
            DefKind::Segment => "segment",
            DefKind::Score => "score",
            DefKind::Tier => "tier",
            DefKind::TierLabel { .. } => "tier label",
            DefKind::Stage => "stage",
            DefKind::Variant { .. } => "enum variant",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Def {
    pub kind: DefKind,
    pub name: String,
    /// Index into [`Index::files`].
    pub file: usize,
    /// The name where it is declared.
    pub span: Span,
    /// The whole declaration (or field, or tier arm).
    pub decl_span: Span,
    pub doc: Option<String>,
    /// The written type of a lead or event field.
    pub ty: Option<TypeExpr>,
    /// Variants of an enum-typed field, labels of a tier, fields of an event.
    pub children: Vec<DefId>,
}

/// Names that are part of the language rather than the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Now,
    Id,
    Stage,
    StageSince,
    TimeInStage,
    At,
    Function,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Def(DefId),
    Builtin(Builtin),
}

/// One occurrence of a name in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ref {
    pub file: usize,
    pub span: Span,
    pub target: Target,
    /// This occurrence is the declaration itself.
    pub is_def: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Index {
    pub files: Vec<FileData>,
    pub defs: Vec<Def>,
    /// Sorted by file, then start.
    pub refs: Vec<Ref>,
    /// The model's one namespace (first declaration wins).
    pub names: HashMap<String, DefId>,
    pub stages: Vec<DefId>,
}

const AGGREGATES: &[&str] = &[
    "count", "exists", "sum", "avg", "min", "max", "distinct", "first", "last",
];

#[derive(Clone, Copy, Default)]
struct Ctx {
    event: Option<DefId>,
    expect: bool,
    transition: bool,
}

impl Index {
    /// Build the index of the model whose files are `files` (`files[0]` is the
    /// root; the others are what it uses).
    pub fn build(files: Vec<FileData>) -> Index {
        let mut ix = Index {
            files,
            ..Index::default()
        };
        for f in 0..ix.files.len() {
            ix.collect_defs(f);
        }
        for f in 0..ix.files.len() {
            ix.collect_refs(f);
        }
        ix.refs.sort_by_key(|r| (r.file, r.span.start, r.span.end));
        ix.refs.dedup();
        ix
    }

    /// The files alone, without definitions or references.
    pub fn files_only(files: Vec<FileData>) -> Index {
        Index {
            files,
            ..Index::default()
        }
    }

    pub fn def(&self, id: DefId) -> &Def {
        &self.defs[id.0 as usize]
    }

    pub fn file_of(&self, path: &str) -> Option<usize> {
        self.files.iter().position(|f| &*f.path == path)
    }

    /// The name under `offset` in file `file` (the offset may sit just after
    /// the name, where an editor's cursor is after typing it).
    pub fn at(&self, file: usize, offset: usize) -> Option<Ref> {
        let first = self.refs.partition_point(|r| r.file < file);
        self.refs[first..]
            .iter()
            .take_while(|r| r.file == file)
            .filter(|r| r.span.contains(offset))
            // Prefer the name that starts at the cursor over one ending there.
            .max_by_key(|r| r.span.start)
            .copied()
    }

    /// Every occurrence of `def`, declaration first.
    pub fn refs_to(&self, def: DefId) -> impl Iterator<Item = &Ref> {
        self.refs
            .iter()
            .filter(move |r| r.target == Target::Def(def))
    }

    pub fn top_level(&self, name: &str) -> Option<DefId> {
        self.names.get(name).copied()
    }

    /// Fields of an event, by name.
    pub fn event_field(&self, event: DefId, name: &str) -> Option<DefId> {
        self.def(event)
            .children
            .iter()
            .copied()
            .find(|&c| self.def(c).name == name)
    }

    /// The variants an expression's value can take, when it is an enum (or a
    /// list of one): a field's variants, a tier's labels, or the stages.
    fn enum_of(&self, e: &Expr, ctx: Ctx) -> Option<Vec<DefId>> {
        match &e.kind {
            ExprKind::Paren(inner) => self.enum_of(inner, ctx),
            ExprKind::Call { func, args } if func.name == "default" => {
                args.first().and_then(|a| self.enum_of(a, ctx))
            }
            ExprKind::Name(id) => match self.resolve_plain(&id.name, ctx)? {
                Target::Builtin(Builtin::Stage) => Some(self.stages.clone()),
                Target::Def(d) => match self.def(d).kind {
                    DefKind::LeadField | DefKind::EventField { .. } | DefKind::Tier => {
                        let children = self.def(d).children.clone();
                        (!children.is_empty()).then_some(children)
                    }
                    _ => None,
                },
                Target::Builtin(_) => None,
            },
            _ => None,
        }
    }

    /// Resolve a bare name without an expected enum.
    fn resolve_plain(&self, name: &str, ctx: Ctx) -> Option<Target> {
        if let Some(ev) = ctx.event {
            if let Some(f) = self.event_field(ev, name) {
                return Some(Target::Def(f));
            }
            if name == "at" {
                return Some(Target::Builtin(Builtin::At));
            }
        }
        if let Some(d) = self.top_level(name) {
            return Some(Target::Def(d));
        }
        match name {
            "now" => return Some(Target::Builtin(Builtin::Now)),
            "id" => return Some(Target::Builtin(Builtin::Id)),
            "stage" if ctx.expect => return Some(Target::Builtin(Builtin::Stage)),
            "time_in_stage" if ctx.transition => {
                return Some(Target::Builtin(Builtin::TimeInStage))
            }
            _ => {}
        }
        if let Some(&s) = self.stages.iter().find(|&&s| self.def(s).name == name) {
            return Some(Target::Def(s));
        }
        self.defs
            .iter()
            .position(|d| {
                matches!(d.kind, DefKind::TierLabel { .. } | DefKind::Variant { .. })
                    && d.name == name
            })
            .map(|i| Target::Def(DefId(i as u32)))
    }

    fn resolve(&self, name: &str, ctx: Ctx, expected: Option<&[DefId]>) -> Option<Target> {
        if let Some(v) = expected.and_then(|vs| vs.iter().find(|&&v| self.def(v).name == name)) {
            return Some(Target::Def(*v));
        }
        self.resolve_plain(name, ctx)
    }

    fn add_def(&mut self, def: Def) -> DefId {
        let id = DefId(self.defs.len() as u32);
        if def.kind.is_top_level() {
            self.names.entry(def.name.clone()).or_insert(id);
        }
        if def.kind == DefKind::Stage && !self.stages.iter().any(|&s| self.def(s).name == def.name)
        {
            self.stages.push(id);
        }
        self.refs.push(Ref {
            file: def.file,
            span: def.span,
            target: Target::Def(id),
            is_def: true,
        });
        self.defs.push(def);
        id
    }

    fn simple_def(
        &mut self,
        kind: DefKind,
        file: usize,
        name: &mql_syntax::Ident,
        decl_span: Span,
        doc: Option<String>,
    ) -> DefId {
        self.add_def(Def {
            kind,
            name: name.name.clone(),
            file,
            span: name.span,
            decl_span,
            doc,
            ty: None,
            children: Vec::new(),
        })
    }

    fn field_def(
        &mut self,
        kind: DefKind,
        file: usize,
        f: &FieldDecl,
        doc: Option<String>,
    ) -> DefId {
        let id = self.add_def(Def {
            kind,
            name: f.name.name.clone(),
            file,
            span: f.name.span,
            decl_span: f.span,
            doc,
            ty: Some(f.ty.clone()),
            children: Vec::new(),
        });
        let mut ty = &f.ty;
        while let TypeKind::List(inner) = &ty.kind {
            ty = inner;
        }
        if let TypeKind::Enum(variants) = &ty.kind {
            let mut children = Vec::new();
            for v in variants {
                children.push(self.simple_def(
                    DefKind::Variant { field: id },
                    file,
                    &v.name,
                    v.name.span,
                    None,
                ));
            }
            self.defs[id.0 as usize].children = children;
        }
        id
    }

    fn collect_defs(&mut self, file: usize) {
        let ast = self.files[file].ast.clone();
        for decl in &ast.decls {
            let doc = decl.doc.as_ref().map(|d| d.text.clone());
            let span = decl.span;
            match &decl.kind {
                DeclKind::Model(n) => {
                    self.simple_def(DefKind::Model, file, n, span, doc);
                }
                DeclKind::Use(_) | DeclKind::Transition(_) | DeclKind::Test(_) => {}
                DeclKind::Lead(fields) => {
                    for f in fields {
                        self.field_def(DefKind::LeadField, file, f, None);
                    }
                }
                DeclKind::Event { name, fields } => {
                    let ev = self.simple_def(DefKind::Event, file, name, span, doc);
                    let mut children = Vec::new();
                    for f in fields {
                        children.push(self.field_def(
                            DefKind::EventField { event: ev },
                            file,
                            f,
                            None,
                        ));
                    }
                    self.defs[ev.0 as usize].children = children;
                }
                DeclKind::Const(n) => {
                    self.simple_def(DefKind::Const, file, &n.name, span, doc);
                }
                DeclKind::Let(n) => {
                    self.simple_def(DefKind::Let, file, &n.name, span, doc);
                }
                DeclKind::Criterion(n) => {
                    self.simple_def(DefKind::Criterion, file, &n.name, span, doc);
                }
                DeclKind::Segment(n) => {
                    self.simple_def(DefKind::Segment, file, &n.name, span, doc);
                }
                DeclKind::Score(s) => {
                    self.simple_def(DefKind::Score, file, &s.name, span, doc);
                }
                DeclKind::Tier(t) => {
                    let tier = self.simple_def(DefKind::Tier, file, &t.name, span, doc);
                    let mut children = Vec::new();
                    for arm in &t.arms {
                        // A repeated label is one label (the checker reports it).
                        if let Some(&same) = children
                            .iter()
                            .find(|&&c: &&DefId| self.def(c).name == arm.label.name)
                        {
                            self.refs.push(Ref {
                                file,
                                span: arm.label.span,
                                target: Target::Def(same),
                                is_def: false,
                            });
                            continue;
                        }
                        children.push(self.simple_def(
                            DefKind::TierLabel { tier },
                            file,
                            &arm.label,
                            arm.span,
                            None,
                        ));
                    }
                    self.defs[tier.0 as usize].children = children;
                }
                DeclKind::Stages(names) => {
                    for n in names {
                        self.simple_def(DefKind::Stage, file, &n.name, span, None);
                    }
                }
            }
        }
    }

    fn push_ref(&mut self, file: usize, span: Span, target: Option<Target>) {
        if let Some(target) = target {
            self.refs.push(Ref {
                file,
                span,
                target,
                is_def: false,
            });
        }
    }

    fn stage_ref(&mut self, file: usize, id: &mql_syntax::Ident) {
        if let Some(&s) = self.stages.iter().find(|&&s| self.def(s).name == id.name) {
            self.push_ref(file, id.span, Some(Target::Def(s)));
        }
    }

    fn collect_refs(&mut self, file: usize) {
        let ast = self.files[file].ast.clone();
        let plain = Ctx::default();
        for decl in &ast.decls {
            match &decl.kind {
                DeclKind::Model(_) | DeclKind::Use(_) | DeclKind::Lead(_) | DeclKind::Stages(_) => {
                }
                DeclKind::Event { .. } => {}
                DeclKind::Const(n)
                | DeclKind::Let(n)
                | DeclKind::Criterion(n)
                | DeclKind::Segment(n) => self.expr(file, &n.value, plain, None),
                DeclKind::Score(s) => {
                    for o in &s.options {
                        match &o.kind {
                            ScoreOptionKind::Range { lo, hi } => {
                                self.expr(file, lo, plain, None);
                                self.expr(file, hi, plain, None);
                            }
                            ScoreOptionKind::Decay(d) => match d {
                                Decay::None => {}
                                Decay::HalfLife(e) | Decay::Linear(e) => {
                                    self.expr(file, e, plain, None)
                                }
                                Decay::Step { percent, every } => {
                                    self.expr(file, percent, plain, None);
                                    self.expr(file, every, plain, None);
                                }
                            },
                        }
                    }
                    for r in &s.rules {
                        match &r.kind {
                            RuleKind::Cond(e) => self.expr(file, e, plain, None),
                            RuleKind::Each(q) | RuleKind::Latest(q) => {
                                self.query(file, q, plain);
                            }
                        }
                        self.expr(file, &r.points, plain, None);
                        if let Some(c) = &r.cap {
                            self.expr(file, c, plain, None);
                        }
                    }
                }
                DeclKind::Tier(t) => {
                    for arm in &t.arms {
                        if let Some(c) = &arm.cond {
                            self.expr(file, c, plain, None);
                        }
                    }
                }
                DeclKind::Transition(t) => {
                    if let Some(from) = &t.from {
                        self.stage_ref(file, from);
                    }
                    self.stage_ref(file, &t.to);
                    let ctx = Ctx {
                        transition: true,
                        ..plain
                    };
                    self.expr(file, &t.cond, ctx, None);
                }
                DeclKind::Test(t) => {
                    for item in &t.items {
                        match &item.kind {
                            TestItemKind::AsOf(e) => self.expr(file, e, plain, None),
                            TestItemKind::Expect(e) => {
                                let ctx = Ctx {
                                    expect: true,
                                    ..plain
                                };
                                self.expr(file, e, ctx, None);
                            }
                            TestItemKind::Lead(fields) => {
                                for f in fields {
                                    let (target, expected) = match f.name.name.as_str() {
                                        "stage" => (
                                            Some(Target::Builtin(Builtin::Stage)),
                                            Some(self.stages.clone()),
                                        ),
                                        "stage_since" => {
                                            (Some(Target::Builtin(Builtin::StageSince)), None)
                                        }
                                        "id" => (Some(Target::Builtin(Builtin::Id)), None),
                                        name => match self.top_level(name) {
                                            Some(d) if self.def(d).kind == DefKind::LeadField => (
                                                Some(Target::Def(d)),
                                                Some(self.def(d).children.clone()),
                                            ),
                                            _ => (None, None),
                                        },
                                    };
                                    self.push_ref(file, f.name.span, target);
                                    self.expr(file, &f.value, plain, expected.as_deref());
                                }
                            }
                            TestItemKind::Events(events) => {
                                for ev in events {
                                    let event = self
                                        .top_level(&ev.event.name)
                                        .filter(|&d| self.def(d).kind == DefKind::Event);
                                    self.push_ref(file, ev.event.span, event.map(Target::Def));
                                    for f in &ev.fields {
                                        let field =
                                            event.and_then(|e| self.event_field(e, &f.name.name));
                                        self.push_ref(file, f.name.span, field.map(Target::Def));
                                        let expected = field.map(|d| self.def(d).children.clone());
                                        self.expr(file, &f.value, plain, expected.as_deref());
                                    }
                                    match &ev.when {
                                        EventWhen::At(e) | EventWhen::Ago(e) => {
                                            self.expr(file, e, plain, None)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn query(&mut self, file: usize, q: &Query, ctx: Ctx) -> Option<DefId> {
        let event = self
            .top_level(&q.event.name)
            .filter(|&d| self.def(d).kind == DefKind::Event);
        self.push_ref(file, q.event.span, event.map(Target::Def));
        let inner = Ctx { event, ..ctx };
        if let Some(f) = &q.filter {
            self.expr(file, f, inner, None);
        }
        if let Some(w) = &q.within {
            self.expr(file, w, ctx, None);
        }
        event
    }

    fn expr(&mut self, file: usize, e: &Expr, ctx: Ctx, expected: Option<&[DefId]>) {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Duration(_)
            | ExprKind::Time(_)
            | ExprKind::Percent(_) => {}
            ExprKind::List(items) => {
                for i in items {
                    self.expr(file, i, ctx, expected);
                }
            }
            ExprKind::Name(id) => {
                let t = self.resolve(&id.name, ctx, expected);
                self.push_ref(file, id.span, t);
            }
            ExprKind::Unary(_, x) | ExprKind::Paren(x) => self.expr(file, x, ctx, expected),
            ExprKind::Binary(op, l, r) => {
                let enum_sides = matches!(
                    op,
                    BinaryOp::Eq
                        | BinaryOp::Ne
                        | BinaryOp::In
                        | BinaryOp::NotIn
                        | BinaryOp::Contains
                );
                if enum_sides {
                    let le = self.enum_of(l, ctx);
                    let re = self.enum_of(r, ctx);
                    self.expr(file, l, ctx, re.as_deref());
                    self.expr(file, r, ctx, le.as_deref());
                } else {
                    self.expr(file, l, ctx, None);
                    self.expr(file, r, ctx, None);
                }
            }
            ExprKind::Between { value, lo, hi } => {
                self.expr(file, value, ctx, None);
                self.expr(file, lo, ctx, None);
                self.expr(file, hi, ctx, None);
            }
            ExprKind::Query(q) => {
                self.query(file, q, ctx);
            }
            ExprKind::Call { func, args } => {
                self.push_ref(file, func.span, Some(Target::Builtin(Builtin::Function)));
                let mut rest = args.iter();
                let mut inner = ctx;
                if AGGREGATES.contains(&func.name.as_str()) {
                    match args.first().map(|a| &a.kind) {
                        Some(ExprKind::Name(id)) => {
                            if let Some(ev) = self
                                .top_level(&id.name)
                                .filter(|&d| self.def(d).kind == DefKind::Event)
                            {
                                self.push_ref(file, id.span, Some(Target::Def(ev)));
                                inner.event = Some(ev);
                                rest.next();
                            }
                        }
                        Some(ExprKind::Query(q)) => {
                            inner.event = self.query(file, q, ctx);
                            rest.next();
                        }
                        _ => {}
                    }
                }
                let first_enum = if func.name == "default" {
                    args.first().and_then(|a| self.enum_of(a, ctx))
                } else {
                    None
                };
                for a in rest {
                    self.expr(file, a, inner, first_enum.as_deref().or(expected));
                }
            }
        }
    }
}

/// A written type as source text: `list<string>`, `enum { a, b }`.
pub fn type_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeKind::Int => "int".into(),
        TypeKind::Number => "number".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::String => "string".into(),
        TypeKind::Time => "time".into(),
        TypeKind::Duration => "duration".into(),
        TypeKind::Enum(vs) => format!(
            "enum {{ {} }}",
            vs.iter()
                .map(|v| v.name.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeKind::List(inner) => format!("list<{}>", type_text(inner)),
    }
}
