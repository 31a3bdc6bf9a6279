//! Pieces for checking a model one declaration at a time, so that a salsa
//! database can cache each declaration's check: the span-free
//! [`Signatures`] every declaration is checked against, a declaration moved
//! to its own coordinates ([`relative_decl`]), [`check_decl`] on such a
//! declaration, and [`DeclResult::shifted`] to move its result back into the
//! file. [`prepare`] and [`finish`] are the model-level phases around them.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use rustc_hash::FxHashMap;

use mql_core::{Diagnostic, LineIndex, Span};
use mql_syntax::ast;

use crate::check::DeclParts;
pub use crate::check::{finish, prepare, DeclChecks, DeclResult, Direct, Prepared};
use crate::hir;
use crate::scope::{NameDef, Scope};

/// What every declaration of a model is checked against: the schema, the
/// names and their kinds, folded consts, the types of lets and tiers. Holds
/// no positions, so it compares equal after edits that move declarations
/// around or change them without changing what others can see of them.
#[derive(Clone, Debug)]
pub struct Signatures(Arc<Scope>, Arc<OnceLock<Digests>>);

impl PartialEq for Signatures {
    fn eq(&self, other: &Signatures) -> bool {
        self.0 == other.0
    }
}

/// Digests of what a declaration can see, computed once per set of
/// signatures: one for what every declaration may look at (the lists of
/// values, the stages, the event names, …), one per name.
#[derive(Debug, Default)]
struct Digests {
    global: u64,
    /// Each word's digest (the signature of the name it is, if any, and
    /// what it is as a bare value), worked out when first asked.
    words: Mutex<FxHashMap<Box<str>, u64>>,
    /// Lead and event schema as a whole, for tests (a test's lead is built
    /// over every field, and an unknown field is matched against all).
    schema: u64,
    /// For each value: the first list of values it is in, and the first
    /// lead field whose values include it.
    values: HashMap<String, (usize, Option<usize>)>,
}

fn digest(value: &impl std::fmt::Debug) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{value:?}").hash(&mut h);
    h.finish()
}

impl Signatures {
    /// The signatures of a prepared model.
    pub fn of(prep: &Prepared) -> Signatures {
        let mut sc = prep.scope().clone();
        for e in sc.names.values_mut() {
            e.span = Span::new(0, 0);
        }
        Signatures(Arc::new(sc), Arc::default())
    }

    fn digests(&self) -> &Digests {
        self.1.get_or_init(|| {
            let sc = &*self.0;
            let mut global = DefaultHasher::new();
            let enums: Vec<&Vec<String>> = sc.enums.iter().map(|e| &e.variants).collect();
            format!("{enums:?}").hash(&mut global);
            for i in 0..sc.schema.symbols.len() {
                sc.schema
                    .symbols
                    .name(mql_core::Sym(i as u32))
                    .hash(&mut global);
            }
            format!("{:?}", sc.schema.stages).hash(&mut global);
            for e in &sc.schema.events {
                e.name.hash(&mut global);
            }
            sc.schema.lead.len().hash(&mut global);
            sc.schema.events.len().hash(&mut global);
            sc.stages_broken().hash(&mut global);
            let mut broken: Vec<&String> =
                sc.broken.iter().filter(|b| b.starts_with('#')).collect();
            broken.sort();
            broken.hash(&mut global);
            let schema = digest(&(&sc.schema.lead, &sc.schema.events));
            let mut values: HashMap<String, (usize, Option<usize>)> = HashMap::new();
            for (k, e) in sc.enums.iter().enumerate() {
                for v in &e.variants {
                    values.entry(v.clone()).or_insert((k, None));
                }
            }
            for (k, f) in sc.schema.lead.iter().enumerate() {
                let e = match &f.ty {
                    mql_core::Ty::Enum(x) => x,
                    mql_core::Ty::List(t) => match &**t {
                        mql_core::Ty::Enum(x) => x,
                        _ => continue,
                    },
                    _ => continue,
                };
                for v in &e.variants {
                    if let Some(entry) = values.get_mut(v) {
                        entry.1.get_or_insert(k);
                    }
                }
            }
            Digests {
                global: global.finish(),
                words: Mutex::default(),
                schema,
                values,
            }
        })
    }

    /// The digest of what the word `w` stands for: the signature of the
    /// name it is (if any), whether that name is broken, and for a bare
    /// value which list it is first found in and the lead field a message
    /// would name for it.
    fn word_digest(&self, w: &str) -> u64 {
        let sc = &*self.0;
        let d = self.digests();
        let name = sc.names.get(w).map(|e| {
            let entry = match e.def {
                NameDef::LeadField(i) => digest(&sc.schema.lead.get(i as usize)),
                NameDef::Event(i) => digest(&sc.schema.events.get(i as usize)),
                NameDef::Const(i) => digest(&sc.consts.get(i as usize)),
                NameDef::Value(i) => digest(&sc.values.get(i as usize)),
                NameDef::Score(i) => digest(&sc.scores.get(i as usize)),
                NameDef::Tier(i) => digest(&sc.tiers.get(i as usize)),
            };
            (format!("{:?}", e.def), entry)
        });
        let mut h = DefaultHasher::new();
        w.hash(&mut h);
        name.hash(&mut h);
        sc.broken.contains(w).hash(&mut h);
        d.values.get(w).hash(&mut h);
        h.finish()
    }

    /// A digest of everything a declaration naming `words` can see: the
    /// signature of each name it mentions (and the absence of the others),
    /// the values, stages and event names of the model, and for a test the
    /// whole schema. Two declarations' checks against signatures with the
    /// same digest are the same, so a declaration whose digest did not
    /// change is not checked again.
    pub fn view_of<'w>(&self, decl: &ast::Decl, words: impl IntoIterator<Item = &'w str>) -> u64 {
        let d = self.digests();
        let mut h = rustc_hash::FxHasher::default();
        d.global.hash(&mut h);
        if matches!(decl.kind, ast::DeclKind::Test(_)) {
            d.schema.hash(&mut h);
        }
        let mut known = match d.words.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        for w in words {
            let x = match known.get(w) {
                Some(&x) => x,
                None => {
                    let x = self.word_digest(w);
                    known.insert(w.into(), x);
                    x
                }
            };
            x.hash(&mut h);
        }
        h.finish()
    }
}

/// The distinct words of a declaration's text (names, keywords), sorted,
/// as byte ranges of the text.
pub fn words_of(text: &str) -> Box<[(u32, u32)]> {
    let mut words: Vec<(&str, u32)> = mql_syntax::lexer::tokenize(text)
        .iter()
        .filter(|t| t.tok == Some(mql_syntax::lexer::Tok::Word))
        .map(|t| (t.text(text), t.start as u32))
        .collect();
    words.sort_unstable();
    words.dedup_by(|a, b| a.0 == b.0);
    words
        .into_iter()
        .map(|(w, start)| (start, start + w.len() as u32))
        .collect()
}

/// Check one declaration against `sig`. `decl` and `text` must share one
/// coordinate system, normally the declaration's own (see
/// [`relative_decl`]).
pub fn check_decl(sig: &Signatures, decl: &ast::Decl, text: &str) -> DeclResult {
    let lines = LineIndex::new(text);
    crate::check::check_decl_in(&sig.0, decl, text, &lines)
}

/// A declaration in its own coordinates: its syntax tree with every span
/// counted from the start of the declaration, and its text. Edits to other
/// declarations (which shift their offsets) leave it unchanged. The doc
/// comment is left out: it does not take part in checking.
#[derive(Clone, Debug, PartialEq)]
pub struct RelDecl {
    pub decl: ast::Decl,
    pub text: Arc<str>,
    /// The distinct words of `text` (see [`words_of`]), found once when the
    /// declaration is parsed rather than each time the signatures change.
    words: Box<[(u32, u32)]>,
}

impl RelDecl {
    /// The distinct words of the declaration's text, sorted.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .map(|&(a, b)| self.text.get(a as usize..b as usize).unwrap_or(""))
    }
}

/// Where a declaration starts in its file.
pub fn decl_start(decl: &ast::Decl) -> u32 {
    decl.span.start.min(decl.keyword.start)
}

/// `decl` of a file with text `file_text`, moved to its own coordinates.
pub fn relative_decl(decl: &ast::Decl, file_text: &str) -> RelDecl {
    let start = decl_start(decl);
    let text = file_text
        .get(start as usize..decl.span.end as usize)
        .unwrap_or("");
    let mut d = ast::Decl {
        kind: decl.kind.clone(),
        span: decl.span,
        keyword: decl.keyword,
        doc: None,
    };
    let mv = |s: &mut Span| {
        s.start = s.start.saturating_sub(start);
        s.end = s.end.saturating_sub(start);
    };
    ast_decl(&mut d, &mv);
    RelDecl {
        decl: d,
        words: words_of(text),
        text: Arc::from(text),
    }
}

/// Move every span of `decl` (its doc comment included) `by` bytes later,
/// e.g. from the coordinates of a piece of a file to the file's.
pub fn shift_decl(decl: &mut ast::Decl, by: u32) {
    let mv = |s: &mut Span| {
        s.start = s.start.saturating_add(by);
        s.end = s.end.saturating_add(by);
    };
    if let Some(doc) = &mut decl.doc {
        mv(&mut doc.span);
    }
    ast_decl(decl, &mv);
}

/// Every span of `decl`'s syntax tree (its names, expressions, rules,
/// fields, …), outer ones before the spans inside them.
pub fn spans_of(decl: &ast::Decl) -> Vec<Span> {
    let out = std::cell::RefCell::new(Vec::new());
    let mut d = decl.clone();
    ast_decl(&mut d, &|s: &mut Span| out.borrow_mut().push(*s));
    out.into_inner()
}

impl DeclResult {
    /// This result moved from the coordinates of a declaration that starts
    /// at byte `start`, on 1-based line `line`, into those of its file.
    pub fn shifted(&self, start: u32, line: u32) -> DeclResult {
        let mut r = self.clone();
        let mv = |s: &mut Span| {
            s.start = s.start.saturating_add(start);
            s.end = s.end.saturating_add(start);
        };
        for d in &mut r.diags {
            diag(d, &mv);
        }
        for (s, _) in &mut r.uses {
            mv(s);
        }
        let lines = line.saturating_sub(1);
        match &mut r.parts {
            DeclParts::Value(Some(e)) => hir_expr(e, &mv),
            DeclParts::Score(Some((_, _, rules))) => {
                for rule in rules {
                    mv(&mut rule.span);
                    rule.line = rule.line.saturating_add(lines);
                    match &mut rule.kind {
                        hir::RuleKind::Cond(e) => hir_expr(e, &mv),
                        hir::RuleKind::Each(q) | hir::RuleKind::Latest(q) => hir_query(q, &mv),
                    }
                }
            }
            DeclParts::Tier(Some(arms)) => {
                for a in arms {
                    if let Some(c) = &mut a.cond {
                        hir_expr(c, &mv);
                    }
                }
            }
            DeclParts::Transition(Some((_, _, c))) => hir_expr(c, &mv),
            DeclParts::Test(Some((_, _, expects))) => {
                for e in expects {
                    hir_expr(e, &mv);
                }
            }
            _ => {}
        }
        r
    }
}

type Mv<'a> = &'a dyn Fn(&mut Span);

fn diag(d: &mut Diagnostic, mv: Mv) {
    mv(&mut d.span);
    for l in &mut d.secondary {
        if l.file.is_none() {
            mv(&mut l.span);
        }
    }
    for s in &mut d.suggestions {
        mv(&mut s.span);
    }
}

fn hir_query(q: &mut hir::Query, mv: Mv) {
    mv(&mut q.span);
    if let Some(f) = &mut q.filter {
        hir_expr(f, mv);
    }
}

fn hir_expr(e: &mut hir::Expr, mv: Mv) {
    mql_core::deep(|| hir_expr_body(e, mv))
}

fn hir_expr_body(e: &mut hir::Expr, mv: Mv) {
    use hir::ExprKind as K;
    mv(&mut e.span);
    match &mut e.kind {
        K::Lit(_)
        | K::Field(_)
        | K::EventField(_)
        | K::EventAt
        | K::Id
        | K::Now
        | K::TimeInStage
        | K::Stage
        | K::ValueRef(_)
        | K::ScoreRef(_)
        | K::TierRef(_) => {}
        K::Neg(a) | K::Not(a) | K::Matches(a, _) => hir_expr(a, mv),
        K::Arith(_, a, b) | K::Cmp(_, a, b) | K::And(a, b) | K::Or(a, b) | K::StrTest(_, a, b) => {
            hir_expr(a, mv);
            hir_expr(b, mv);
        }
        K::Between { value, lo, hi } => {
            hir_expr(value, mv);
            hir_expr(lo, mv);
            hir_expr(hi, mv);
        }
        K::In { value, list, .. } => {
            hir_expr(value, mv);
            hir_expr(list, mv);
        }
        K::Call(_, args) => args.iter_mut().for_each(|a| hir_expr(a, mv)),
        K::Agg { query, arg, .. } => {
            hir_query(query, mv);
            if let Some(a) = arg {
                hir_expr(a, mv);
            }
        }
    }
}

fn ast_decl(d: &mut ast::Decl, mv: Mv) {
    use ast::DeclKind as D;
    mv(&mut d.span);
    mv(&mut d.keyword);
    match &mut d.kind {
        D::Model(id) => mv(&mut id.span),
        D::Use(s) => mv(&mut s.span),
        D::Lead(block) => ast_block(block, mv),
        D::Event { name, fields } => {
            mv(&mut name.span);
            ast_block(fields, mv);
        }
        D::Const(ne) | D::Let(ne) | D::Criterion(ne) | D::Segment(ne) => {
            mv(&mut ne.name.span);
            ast_expr(&mut ne.value, mv);
        }
        D::Score(s) => {
            mv(&mut s.name.span);
            for o in &mut s.options {
                mv(&mut o.span);
                match &mut o.kind {
                    ast::ScoreOptionKind::Decay(dk) => match dk {
                        ast::Decay::None => {}
                        ast::Decay::HalfLife(e) | ast::Decay::Linear(e) => ast_expr(e, mv),
                        ast::Decay::Step { percent, every } => {
                            ast_expr(percent, mv);
                            ast_expr(every, mv);
                        }
                    },
                    ast::ScoreOptionKind::Range { lo, hi } => {
                        ast_expr(lo, mv);
                        ast_expr(hi, mv);
                    }
                }
            }
            for r in &mut s.rules {
                mv(&mut r.span);
                match &mut r.kind {
                    ast::RuleKind::Cond(e) => ast_expr(e, mv),
                    ast::RuleKind::Each(q) | ast::RuleKind::Latest(q) => ast_query(q, mv),
                }
                ast_expr(&mut r.points, mv);
                if let Some(c) = &mut r.cap {
                    ast_expr(c, mv);
                }
            }
        }
        D::Tier(t) => {
            mv(&mut t.name.span);
            for a in &mut t.arms {
                mv(&mut a.span);
                mv(&mut a.label.span);
                if let Some(c) = &mut a.cond {
                    ast_expr(c, mv);
                }
            }
        }
        D::Stages(vs) => vs.iter_mut().for_each(|v| ast_variant(v, mv)),
        D::Transition(t) => {
            if let Some(f) = &mut t.from {
                mv(&mut f.span);
            }
            if let Some(s) = &mut t.any_span {
                mv(s);
            }
            mv(&mut t.to.span);
            ast_expr(&mut t.cond, mv);
        }
        D::Test(t) => {
            mv(&mut t.name.span);
            for it in &mut t.items {
                mv(&mut it.span);
                match &mut it.kind {
                    ast::TestItemKind::AsOf(e) | ast::TestItemKind::Expect(e) => ast_expr(e, mv),
                    ast::TestItemKind::Lead(fs) => fs.iter_mut().for_each(|f| ast_lit(f, mv)),
                    ast::TestItemKind::Events(evs) => {
                        for ev in evs {
                            mv(&mut ev.span);
                            mv(&mut ev.event.span);
                            ev.fields.iter_mut().for_each(|f| ast_lit(f, mv));
                            match &mut ev.when {
                                ast::EventWhen::At(e) | ast::EventWhen::Ago(e) => ast_expr(e, mv),
                            }
                        }
                    }
                }
            }
        }
    }
}

fn ast_lit(f: &mut ast::LitField, mv: Mv) {
    mv(&mut f.span);
    mv(&mut f.name.span);
    ast_expr(&mut f.value, mv);
}

fn ast_block(b: &mut ast::FieldBlock, mv: Mv) {
    if let Some(m) = &mut b.missing {
        ast_missing(m, mv);
    }
    b.fields.iter_mut().for_each(|f| ast_field(f, mv));
}

fn ast_missing(m: &mut ast::Missing, mv: Mv) {
    mv(&mut m.span);
    m.texts.iter_mut().for_each(|t| mv(&mut t.span));
}

fn ast_variant(v: &mut ast::Variant, mv: Mv) {
    mv(&mut v.name.span);
    v.labels.iter_mut().for_each(|l| mv(&mut l.span));
}

fn ast_field(f: &mut ast::FieldDecl, mv: Mv) {
    mv(&mut f.span);
    mv(&mut f.name.span);
    ast_type(&mut f.ty, mv);
    if let Some(s) = &mut f.source {
        mv(&mut s.span);
    }
    if let Some(m) = &mut f.missing {
        ast_missing(m, mv);
    }
}

fn ast_type(t: &mut ast::TypeExpr, mv: Mv) {
    mv(&mut t.span);
    match &mut t.kind {
        ast::TypeKind::Enum(vs) => vs.iter_mut().for_each(|v| ast_variant(v, mv)),
        ast::TypeKind::List(inner) => ast_type(inner, mv),
        _ => {}
    }
}

fn ast_query(q: &mut ast::Query, mv: Mv) {
    mv(&mut q.span);
    mv(&mut q.event.span);
    if let Some(f) = &mut q.filter {
        ast_expr(f, mv);
    }
    if let Some(w) = &mut q.within {
        ast_expr(w, mv);
    }
}

fn ast_expr(e: &mut ast::Expr, mv: Mv) {
    mql_core::deep(|| ast_expr_body(e, mv))
}

fn ast_expr_body(e: &mut ast::Expr, mv: Mv) {
    use ast::ExprKind as K;
    mv(&mut e.span);
    match &mut e.kind {
        K::Int(_)
        | K::Number(_)
        | K::Str(_)
        | K::Bool(_)
        | K::Duration(_)
        | K::Time(_)
        | K::Percent(_) => {}
        K::List(items) => items.iter_mut().for_each(|i| ast_expr(i, mv)),
        K::Name(id) => mv(&mut id.span),
        K::Unary(_, a) | K::Paren(a) => ast_expr(a, mv),
        K::Binary(_, a, b) => {
            ast_expr(a, mv);
            ast_expr(b, mv);
        }
        K::Between { value, lo, hi } => {
            ast_expr(value, mv);
            ast_expr(lo, mv);
            ast_expr(hi, mv);
        }
        K::Call { func, args } => {
            mv(&mut func.span);
            args.iter_mut().for_each(|a| ast_expr(a, mv));
        }
        K::Query(q) => ast_query(q, mv),
    }
}
