//! The checking pipeline: follow `use`s, collect the schema and the scope of
//! signatures, fold consts, order the lead-level declarations (reporting
//! cycles), check each declaration on its own against the scope, run the
//! model-wide lints and assemble the HIR and the name index.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use mql_core::names::{normalise_enum, normalise_key, normalise_placeholder};
use mql_core::time::MS_PER_DAY;
use mql_core::{
    Diagnostic, EnumTy, EventDef, EventRec, FieldDef, LeadId, LeadRecord, LineIndex, Schema,
    Severity, Span, Suggestion, Sym, Symbols, Ty, Value,
};
use mql_syntax::ast::{self, DeclKind};

use crate::builtins::{is_reserved_name, RESERVED_EVENT_FIELDS};
use crate::codes;
use crate::expr::{collapse, trim_span, Ctx, Cx};
use crate::hir::{self, DeclRef, ValueKind};
use crate::index::{Builtin, Def, DefKind, NameIndex, Ref, Target as IxTarget};
use crate::load::load_all;
use crate::ranges::{score_range, truth, Truth};
use crate::scope::{ConstSig, NameDef, NameEntry, Scope, Target, TierSig, ValueSig};
use crate::suggest::{did_you_mean, Candidates, Pending};
use crate::{Checked, FileSource, Loader};

/// Keys of lead data with a fixed meaning: no `from` may name them.
const RESERVED_LEAD_KEYS: &[&str] = &["id", "stage", "stage_since", "events"];
/// `2026-01-01T00:00:00Z`, the default `as_of` of a test.
const DEFAULT_AS_OF: i64 = 20454 * MS_PER_DAY;

/// What checking one declaration produced besides its HIR.
#[derive(Default)]
struct Out {
    diags: Vec<Diagnostic>,
    uses: Vec<(Span, Target)>,
    pending: Vec<Pending>,
}

impl Out {
    fn take(&mut self, cx: Cx) {
        let at = self.diags.len() as u32;
        self.pending.extend(cx.pending.into_iter().map(|mut p| {
            p.diag += at;
            p
        }));
        self.diags.extend(cx.diags);
        self.uses.extend(cx.uses);
    }
}

struct Checker<'a> {
    files: &'a [FileSource],
    lines: &'a [LineIndex],
    items: Vec<(u32, &'a ast::Decl)>,
    diags: Vec<(u32, Diagnostic)>,
    uses: Vec<(u32, Span, Target)>,
    sc: Scope,
    /// Where each named declaration is: (file, name span, decl span, doc).
    decl_at: HashMap<NameDef, (u32, Span, Span, Option<String>)>,
    /// Event field declarations: (event, field) → (file, name span, field span).
    event_field_at: HashMap<(u32, u32), (u32, Span, Span)>,
    /// Enum values of fields.
    variant_at: Vec<VariantAt>,
    /// Stage names.
    stage_at: Vec<VariantAt>,
    tier_labels_at: Vec<(String, u32, Span, String)>,
    suggestions: Suggestions,
}

type SuggestKey = (String, Option<&'static str>, Option<u32>);

/// "Did you mean" for unknown names, worked out once per distinct name
/// (and context) from candidates grouped once per check.
#[derive(Default)]
struct Suggestions {
    names: Option<Candidates>,
    /// (name, built-in name valid there, queried event) → suggestion.
    cache: HashMap<SuggestKey, Option<String>>,
}

impl Suggestions {
    fn suggest(&mut self, sc: &Scope, p: &Pending) -> Option<String> {
        let key = (p.name.clone(), p.extra, p.event);
        if let Some(s) = self.cache.get(&key) {
            return s.clone();
        }
        let names = self.names.get_or_insert_with(|| {
            Candidates::new(sc.names.keys().map(String::as_str).chain(["now", "id"]))
        });
        let mut more = Candidates::new(p.extra);
        if let Some(ev) = p.event.and_then(|e| sc.schema.events.get(e as usize)) {
            more.add("at");
            for f in &ev.fields {
                more.add(&f.name);
            }
        }
        let s = names.suggest_with(&p.name, &more);
        self.cache.insert(key, s.clone());
        s
    }
}

/// Where an enum value or a stage is declared, with its labels.
#[derive(Clone, Debug)]
struct VariantAt {
    name: String,
    file: u32,
    span: Span,
    labels: Vec<String>,
    /// Its list of values: the place the list takes in the scope's
    /// `enums` (each field's list is its own, even when two are alike, so
    /// renaming one field's value leaves the other's alone).
    class: u32,
}

/// The owned part of a [`Checker`], kept between the two phases.
#[derive(Clone, Debug)]
struct State {
    diags: Vec<(u32, Diagnostic)>,
    uses: Vec<(u32, Span, Target)>,
    sc: Scope,
    decl_at: HashMap<NameDef, (u32, Span, Span, Option<String>)>,
    event_field_at: HashMap<(u32, u32), (u32, Span, Span)>,
    variant_at: Vec<VariantAt>,
    stage_at: Vec<VariantAt>,
    tier_labels_at: Vec<(String, u32, Span, String)>,
}

/// What the first phase decided, by position in the model's items.
#[derive(Clone, Debug)]
struct Phase1 {
    model_name: Option<String>,
    const_hir: Vec<Option<hir::ConstDecl>>,
    value_decls: Vec<(usize, ValueKind)>,
    score_decls: Vec<usize>,
    tier_decls: Vec<usize>,
    transitions: Vec<usize>,
    tests: Vec<usize>,
    order: Vec<usize>,
    refs_of: Vec<DeclRef>,
}

/// A model after its first phase: files loaded, names declared, consts
/// folded, lead-level declarations ordered and the types of lets inferred.
/// What is left is checking each declaration against [`Prepared::scope`]
/// and assembling the result ([`finish`]).
#[derive(Clone, Debug)]
pub struct Prepared {
    files: Vec<FileSource>,
    lines: Vec<LineIndex>,
    /// Every declaration of the model: (file, position in the file's decls).
    item_ix: Vec<(u32, usize)>,
    state: State,
    phase: Phase1,
    n_pre: usize,
}

impl Prepared {
    /// The files of the model, the root first.
    pub fn files(&self) -> &[FileSource] {
        &self.files
    }

    /// The declarations of the model in order: (file, position in its decls).
    pub fn items(&self) -> &[(u32, usize)] {
        &self.item_ix
    }

    /// The declaration at position `item` of [`Prepared::items`].
    pub fn decl(&self, item: usize) -> Option<&ast::Decl> {
        let (f, i) = *self.item_ix.get(item)?;
        self.files.get(f as usize)?.ast.decls.get(i)
    }

    /// 1-based line of a byte offset of file `file`.
    pub fn line_of(&self, file: u32, offset: u32) -> u32 {
        self.lines
            .get(file as usize)
            .map_or(1, |l| l.line(offset) as u32)
    }

    pub(crate) fn scope(&self) -> &Scope {
        &self.state.sc
    }
}

/// Checks one declaration for [`finish`]: directly, or through a cache.
pub trait DeclChecks {
    /// Check the declaration at position `item` of [`Prepared::items`]
    /// against [`Prepared`]'s scope; spans in file offsets.
    fn check_decl(&self, prep: &Prepared, item: usize) -> DeclResult;
}

/// Checks every declaration directly.
pub struct Direct;

impl DeclChecks for Direct {
    fn check_decl(&self, prep: &Prepared, item: usize) -> DeclResult {
        let (f, i) = prep.item_ix[item];
        let file = &prep.files[f as usize];
        match file.ast.decls.get(i) {
            Some(decl) => check_decl_in(prep.scope(), decl, &file.text, &prep.lines[f as usize]),
            None => DeclResult::default(),
        }
    }
}

/// What checking one declaration produced: its HIR parts, diagnostics and
/// the names it refers to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeclResult {
    pub(crate) parts: DeclParts,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) uses: Vec<(Span, Target)>,
    pub(crate) pending: Vec<Pending>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum DeclParts {
    Value(Option<hir::Expr>),
    Score(Option<ScoreParts>),
    Tier(Option<Vec<hir::TierArm>>),
    Transition(Option<TransParts>),
    Test(Option<TestParts>),
    #[default]
    Other,
}

impl DeclResult {
    /// The diagnostics of the declaration.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diags
    }
}

/// Check one declaration against `sc`. `decl`, `text` and `lines` share one
/// coordinate system: the whole file, or the declaration's own text.
pub(crate) fn check_decl_in(
    sc: &Scope,
    decl: &ast::Decl,
    text: &str,
    lines: &LineIndex,
) -> DeclResult {
    let (parts, out) = match &decl.kind {
        DeclKind::Let(ne) | DeclKind::Criterion(ne) | DeclKind::Segment(ne) => {
            let kind = match &decl.kind {
                DeclKind::Let(_) => ValueKind::Let,
                DeclKind::Criterion(_) => ValueKind::Criterion,
                _ => ValueKind::Segment,
            };
            let (e, out) = check_value(sc, text, ne, kind);
            (DeclParts::Value(e), out)
        }
        DeclKind::Score(s) => {
            let (r, out) = check_score(sc, text, lines, s);
            (DeclParts::Score(r), out)
        }
        DeclKind::Tier(t) => {
            let Some(NameDef::Tier(k)) = sc.names.get(&t.name.name).map(|e| e.def) else {
                return DeclResult::default();
            };
            let Some(sig) = sc.tiers.get(k as usize) else {
                return DeclResult::default();
            };
            let (r, out) = check_tier(sc, text, t, &sig.ty);
            (DeclParts::Tier(r), out)
        }
        DeclKind::Transition(t) => {
            let (r, out) = check_transition(sc, text, t, decl.keyword);
            (DeclParts::Transition(r), out)
        }
        DeclKind::Test(t) => {
            let (r, out) = check_test(sc, text, t);
            (DeclParts::Test(r), out)
        }
        _ => (DeclParts::Other, Out::default()),
    };
    DeclResult {
        parts,
        diags: out.diags,
        uses: out.uses,
        pending: out.pending,
    }
}

pub fn run(root: FileSource, loader: &dyn Loader) -> Checked {
    finish(&prepare(root, loader), &Direct)
}

/// The first phase of checking a model (see [`Prepared`]).
pub fn prepare(root: FileSource, loader: &dyn Loader) -> Prepared {
    let loaded = load_all(root, loader);
    let files = loaded.files;
    let lines: Vec<LineIndex> = files.iter().map(|f| LineIndex::new(&f.text)).collect();
    let mut diags: Vec<(u32, Diagnostic)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        for d in &f.ast.diagnostics {
            diags.push((i as u32, d.clone()));
        }
    }
    diags.extend(loaded.diags.iter().cloned());
    let item_ix: Vec<(u32, usize)> = loaded
        .items
        .iter()
        .filter(|&&(f, i)| files[f as usize].ast.decls.get(i).is_some())
        .copied()
        .collect();
    let (state, phase, n_pre) = {
        let items: Vec<(u32, &ast::Decl)> = item_ix
            .iter()
            .map(|&(f, i)| (f, &files[f as usize].ast.decls[i]))
            .collect();
        let mut ck = Checker {
            files: &files,
            lines: &lines,
            items,
            diags,
            uses: Vec::new(),
            sc: Scope {
                schema: Schema {
                    lead: Vec::new(),
                    events: Vec::new(),
                    stages: None,
                    symbols: Symbols::default(),
                },
                names: HashMap::new(),
                consts: Vec::new(),
                values: Vec::new(),
                scores: Vec::new(),
                tiers: Vec::new(),
                enums: Vec::new(),
                first_enum: HashMap::new(),
                broken: broken_names(&files),
            },
            decl_at: HashMap::new(),
            event_field_at: HashMap::new(),
            variant_at: Vec::new(),
            stage_at: Vec::new(),
            tier_labels_at: Vec::new(),
            suggestions: Suggestions::default(),
        };
        let n_pre = ck.diags.len();
        let phase = ck.declare_all();
        (ck.into_state(), phase, n_pre)
    };
    Prepared {
        files,
        lines,
        item_ix,
        state,
        phase,
        n_pre,
    }
}

/// The second phase: check every declaration (through `checks`), run the
/// model-wide lints and assemble the model and the name index.
pub fn finish(prep: &Prepared, checks: &dyn DeclChecks) -> Checked {
    let files = &prep.files;
    let items: Vec<(u32, &ast::Decl)> = prep
        .item_ix
        .iter()
        .map(|&(f, i)| (f, &files[f as usize].ast.decls[i]))
        .collect();
    let st = prep.state.clone();
    let mut ck = Checker {
        files,
        lines: &prep.lines,
        items,
        diags: st.diags,
        uses: st.uses,
        sc: st.sc,
        decl_at: st.decl_at,
        event_field_at: st.event_field_at,
        variant_at: st.variant_at,
        stage_at: st.stage_at,
        tier_labels_at: st.tier_labels_at,
        suggestions: Suggestions::default(),
    };
    let n_pre = prep.n_pre;
    let model = ck.check_rest(&prep.phase, prep, checks);
    ck.diags[n_pre..].sort_by_key(|(f, d)| (*f, d.span.start, d.span.end));
    let index = Arc::new(ck.build_index(model.as_ref()));
    let has_error = ck.diags.iter().any(|(_, d)| d.is_error());
    let diagnostics = ck
        .diags
        .into_iter()
        .map(|(f, d)| {
            let path = (f != 0).then(|| files[f as usize].path.clone());
            let mut d = d;
            if d.file.is_none() {
                d.file = path;
            }
            d
        })
        .collect();
    Checked {
        model: if has_error { None } else { model.map(Arc::new) },
        diagnostics,
        index,
    }
}

/// The names an expression mentions that resolve to declarations (event
/// fields inside queries excluded).
fn walk_names(e: &ast::Expr, event: Option<u32>, sc: &Scope, out: &mut Vec<NameDef>) {
    mql_core::deep(|| walk_names_body(e, event, sc, out))
}

fn walk_names_body(e: &ast::Expr, event: Option<u32>, sc: &Scope, out: &mut Vec<NameDef>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Name(id) => {
            if let Some(ev) = event {
                if id.name == "at" || sc.schema.events[ev as usize].field(&id.name).is_some() {
                    return;
                }
            }
            if let Some(n) = sc.names.get(&id.name) {
                out.push(n.def);
            }
        }
        K::List(items) => items.iter().for_each(|i| walk_names(i, event, sc, out)),
        K::Unary(_, a) | K::Paren(a) => walk_names(a, event, sc, out),
        K::Binary(_, a, b) => {
            walk_names(a, event, sc, out);
            walk_names(b, event, sc, out);
        }
        K::Between { value, lo, hi } => {
            for x in [value, lo, hi] {
                walk_names(x, event, sc, out);
            }
        }
        K::Query(q) => walk_query(q, sc, out),
        K::Call { args, .. } => {
            let mut ev = event;
            for (i, a) in args.iter().enumerate() {
                if i == 0 {
                    let mut inner = a;
                    while let K::Paren(x) = &inner.kind {
                        inner = x;
                    }
                    match &inner.kind {
                        K::Query(q) => {
                            walk_query(q, sc, out);
                            if let Some(NameDef::Event(i)) =
                                sc.names.get(&q.event.name).map(|n| n.def)
                            {
                                ev = Some(i);
                            }
                            continue;
                        }
                        K::Name(id) => {
                            if let Some(NameDef::Event(i)) = sc.names.get(&id.name).map(|n| n.def) {
                                ev = Some(i);
                                continue;
                            }
                        }
                        _ => {}
                    }
                }
                walk_names(a, ev, sc, out);
            }
        }
        _ => {}
    }
}

fn walk_query(q: &ast::Query, sc: &Scope, out: &mut Vec<NameDef>) {
    let ev = match sc.names.get(&q.event.name).map(|n| n.def) {
        Some(NameDef::Event(i)) => Some(i),
        _ => None,
    };
    if let Some(f) = &q.filter {
        walk_names(f, ev, sc, out);
    }
    if let Some(w) = &q.within {
        walk_names(w, None, sc, out);
    }
}

/// Depth-first order (dependencies first) and the cycles found: one for
/// each group of declarations that depend on each other (a strongly
/// connected component of two or more, or one that uses itself), the
/// shortest way round from the group's first-visited member back to it.
///
/// The third result tells, for each node, whether it is in such a group.
///
/// Iterative (Tarjan's algorithm with an explicit stack): a chain of
/// 100,000 lets is as deep as it is long.
fn order_nodes(edges: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>, Vec<bool>) {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut order = Vec::with_capacity(n);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut next = 0;
    // (node, how many of its edges are done)
    let mut work: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        work.push((root, 0));
        while let Some(&(v, done)) = work.last() {
            if done == 0 && index[v] == UNSEEN {
                // first visit
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(done) {
                if let Some(top) = work.last_mut() {
                    top.1 += 1;
                }
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            order.push(v);
            if let Some(&(u, _)) = work.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut group = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 || edges[v].contains(&v) {
                    groups.push(group);
                }
            }
        }
    }
    // report the groups in the order their first member was met
    let first_met = |g: &Vec<usize>| g.iter().map(|&x| index[x]).min().unwrap_or(0);
    groups.sort_by_key(first_met);
    let mut in_group = vec![usize::MAX; n];
    let cycles = groups
        .iter()
        .enumerate()
        .map(|(k, g)| {
            for &x in g {
                in_group[x] = k;
            }
            let start = g.iter().copied().min_by_key(|&x| index[x]).unwrap_or(g[0]);
            shortest_cycle(edges, start, |x| in_group[x] == k)
        })
        .collect();
    let cyclic = in_group.iter().map(|&k| k != usize::MAX).collect();
    (order, cycles, cyclic)
}

/// The shortest path `start -> … -> start` through nodes that are `inside`
/// (a breadth-first search; `start` is on a cycle of them).
fn shortest_cycle(
    edges: &[Vec<usize>],
    start: usize,
    inside: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut came_from: HashMap<usize, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &edges[v] {
            if w == start {
                // walk back from `v` to `start`, then turn it round
                let mut back = Vec::new();
                let mut at = v;
                while at != start {
                    back.push(at);
                    at = came_from[&at];
                }
                let mut path = vec![start];
                path.extend(back.into_iter().rev());
                path.push(start);
                return path;
            }
            if inside(w) && !came_from.contains_key(&w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start, start]
}

/// A cycle `a -> b -> … -> a` as the message shows it: every name when
/// there are few, else the first and last ones and how many there are.
fn cycle_text(chain: &[String]) -> String {
    const SHOWN: usize = 12;
    if chain.len() <= SHOWN {
        return chain.join(" -> ");
    }
    format!(
        "{} -> … -> {} ({} declarations)",
        chain[..SHOWN - 3].join(" -> "),
        chain[chain.len() - 2..].join(" -> "),
        chain.len() - 1
    )
}

/// A normalised source name (data key, CSV header) taken by a field: the
/// field's name, its `from` text, and where the name is written.
struct Claim {
    name: String,
    source: Option<String>,
    at: Span,
}

impl<'a> Checker<'a> {
    fn text(&self, file: u32) -> &'a str {
        &self.files[file as usize].text
    }

    fn line(&self, file: u32, span: Span) -> u32 {
        self.lines[file as usize].line(span.start) as u32
    }

    fn origin(&self, file: u32, decl: &ast::Decl) -> hir::Origin {
        hir::Origin {
            file,
            span: decl.span,
            line: self.line(file, decl.keyword),
        }
    }

    fn push(&mut self, file: u32, d: Diagnostic) {
        self.diags.push((file, d));
    }

    /// A secondary label at `span` of `other`, seen from a diagnostic in `file`.
    fn secondary(&self, d: Diagnostic, file: u32, other: u32, span: Span, msg: &str) -> Diagnostic {
        let mut d = d.with_secondary(span, msg);
        if other != file {
            if let Some(l) = d.secondary.last_mut() {
                l.file = Some(self.files[other as usize].path.clone());
            }
        }
        d
    }

    fn merge(&mut self, file: u32, mut out: Out) {
        for p in &out.pending {
            let Some(d) = out.diags.get_mut(p.diag as usize) else {
                continue;
            };
            if let Some(s) = self.suggestions.suggest(&self.sc, p) {
                d.help = Some(format!("did you mean `{s}`?"));
                d.suggestions.push(Suggestion {
                    span: d.span,
                    message: format!("change to `{s}`"),
                    replacement: s,
                });
            }
        }
        for d in out.diags {
            self.diags.push((file, d));
        }
        for (s, t) in out.uses {
            self.uses.push((file, s, t));
        }
    }

    /// The enum of a written list of values (`owner`: the field's name) or
    /// of the `stages` line (`None`): duplicates are reported and left out,
    /// and so is a label that data could not tell from another value.
    fn enum_of(&mut self, file: u32, vs: &[ast::Variant], owner: Option<&str>) -> EnumTy {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut e = EnumTy::new(Vec::new(), Vec::new());
        // What data may write for each kept value: (normalised text, the
        // value's position, the label's index or `None` for its name).
        let mut spellings: Vec<(String, usize, Option<usize>)> = Vec::new();
        let mut kept: Vec<&ast::Variant> = Vec::new();
        for v in vs {
            let name = v.name.name.as_str();
            if let Some(first) = seen.get(name) {
                let d = match owner {
                    Some(owner) => Diagnostic::error(
                        codes::DUPLICATE_VARIANT,
                        format!("`{name}` is listed twice in the values of `{owner}`"),
                        v.name.span,
                    )
                    .with_help("remove one of them"),
                    None => Diagnostic::error(
                        codes::DUPLICATE_STAGE,
                        format!("the stage `{name}` is listed twice"),
                        v.name.span,
                    )
                    .with_help("each stage appears once, in funnel order"),
                };
                let d = d
                    .with_label("listed again")
                    .with_secondary(*first, "first listed here");
                self.push(file, d);
                continue;
            }
            seen.insert(name, v.name.span);
            spellings.push((normalise_enum(name).into_owned(), kept.len(), None));
            kept.push(v);
        }
        let names: Vec<(String, usize)> =
            spellings.iter().map(|(n, k, _)| (n.clone(), *k)).collect();
        let mut labels: Vec<Vec<String>> = vec![Vec::new(); kept.len()];
        for (k, v) in kept.iter().enumerate() {
            for (li, l) in v.labels.iter().enumerate() {
                let norm = normalise_enum(&l.value).into_owned();
                // The same text again for this value is harmless.
                let clash = names
                    .iter()
                    .map(|(n, j)| (n, *j, None))
                    .chain(
                        spellings
                            .iter()
                            .filter(|s| s.2.is_some())
                            .map(|(n, j, i)| (n, *j, *i)),
                    )
                    .find(|(n, j, _)| **n == norm && *j != k);
                if let Some((_, other, other_label)) = clash {
                    let other_v = kept[other];
                    let what = if owner.is_some() { "value" } else { "stage" };
                    let (reads_as, at) = match other_label {
                        None => (
                            format!("the {what} `{}`", other_v.name.name),
                            other_v.name.span,
                        ),
                        Some(i) => (
                            format!(
                                "the label {:?} of `{}`",
                                other_v.labels[i].value, other_v.name.name
                            ),
                            other_v.labels[i].span,
                        ),
                    };
                    let d = Diagnostic::error(
                        codes::AMBIGUOUS_LABEL,
                        format!(
                            "the label {:?} of `{}` reads like {reads_as}: data saying {:?} could mean either",
                            l.value, v.name.name, l.value
                        ),
                        l.span,
                    )
                    .with_label(format!("a label of `{}`", v.name.name))
                    .with_secondary(at, format!("also read as `{}`", other_v.name.name))
                    .with_help(format!(
                        "labels are compared lower-cased, trimmed, with spaces and hyphens as `_`; keep {:?} on one {what} only",
                        l.value
                    ));
                    self.push(file, d);
                    continue;
                }
                spellings.push((norm, k, Some(li)));
                labels[k].push(l.value.clone());
            }
        }
        for (k, v) in kept.iter().enumerate() {
            let name = &v.name.name;
            e.syms.push(self.sc.schema.symbols.intern(name));
            e.variants.push(name.clone());
            let at = VariantAt {
                name: name.clone(),
                file,
                span: v.name.span,
                labels: labels[k].clone(),
                // the caller pushes the list next
                class: self.sc.enums.len() as u32,
            };
            match owner {
                Some(_) => self.variant_at.push(at),
                None => self.stage_at.push(at),
            }
        }
        if labels.iter().any(|l| !l.is_empty()) {
            e.labels = labels;
        }
        e
    }

    /// Turn a written type into a type, interning enum variants.
    fn lower_ty(&mut self, file: u32, t: &ast::TypeExpr, owner: &str) -> Option<Ty> {
        Some(match &t.kind {
            ast::TypeKind::Int => Ty::Int,
            ast::TypeKind::Number => Ty::Number,
            ast::TypeKind::Bool => Ty::Bool,
            ast::TypeKind::String => Ty::String,
            ast::TypeKind::Time => Ty::Time,
            ast::TypeKind::Duration => Ty::Duration,
            ast::TypeKind::Enum(vs) => {
                if vs.is_empty() {
                    let d = Diagnostic::error(
                        codes::EMPTY_ENUM,
                        format!("`{owner}` has an empty list of values"),
                        t.span,
                    )
                    .with_label("no values")
                    .with_help("list the values it can take, like `enum { basic, pro }`");
                    self.push(file, d);
                    return None;
                }
                let e = Arc::new(self.enum_of(file, vs, Some(owner)));
                // each list of values is its own (see `VariantAt::class`)
                self.sc.enums.push(e.clone());
                Ty::Enum(e)
            }
            ast::TypeKind::List(inner) => {
                let it = self.lower_ty(file, inner, owner)?;
                if !matches!(it, Ty::Int | Ty::Number | Ty::String | Ty::Enum(_)) {
                    let d = Diagnostic::error(
                        codes::LIST_ELEMENT_TYPE,
                        format!("a list can't hold {}", plural_desc(&it)),
                        inner.span,
                    )
                    .with_label("not allowed in a list")
                    .with_help(
                        "lists hold whole numbers, numbers, text or values from an `enum { … }`",
                    );
                    self.push(file, d);
                    return None;
                }
                Ty::List(Box::new(it))
            }
        })
    }

    fn fields(
        &mut self,
        file: u32,
        block: &ast::FieldBlock,
        owner: &str,
        event: bool,
    ) -> Vec<(FieldDef, Span, Span)> {
        let block_missing = match &block.missing {
            Some(m) => self.placeholders(file, m),
            None => Vec::new(),
        };
        let mut out: Vec<(FieldDef, Span, Span)> = Vec::new();
        // The first span of each field name kept, and each claimed
        // normalised source name with the field that claimed it: looked up
        // in tables, so a lead of 100,000 fields is checked in linear time.
        let mut first_of: HashMap<&str, Span> = HashMap::with_capacity(block.len());
        let mut sources: HashMap<String, Claim> = HashMap::with_capacity(block.len());
        for f in block {
            let n = f.name.name.as_str();
            let reserved = if event {
                RESERVED_EVENT_FIELDS.contains(&n)
            } else {
                is_reserved_name(n)
            };
            if reserved {
                let help = if event {
                    format!("`{n}` is used by the data format; pick another name, like `{n}_value`")
                } else {
                    format!("every lead already has `{n}`; pick another name for this field")
                };
                let d = Diagnostic::error(
                    codes::RESERVED_NAME,
                    format!("`{n}` is reserved and can't name a field"),
                    f.name.span,
                )
                .with_label("reserved name")
                .with_help(help);
                self.push(file, d);
                continue;
            }
            if let Some(first) = first_of.get(n) {
                let d = Diagnostic::error(
                    codes::DUPLICATE_FIELD,
                    format!("`{owner}` has two fields named `{n}`"),
                    f.name.span,
                )
                .with_label("declared again")
                .with_secondary(*first, "first declared here")
                .with_help("rename or remove one of them");
                self.push(file, d);
                continue;
            }
            let Some(source) = self.source_of(file, f, owner, event, &mut sources) else {
                continue;
            };
            let owner_field = n.to_string();
            let Some(ty) = self.lower_ty(file, &f.ty, &owner_field) else {
                continue;
            };
            let mut def = FieldDef::new(n, ty);
            def.source = source;
            let own = match &f.missing {
                Some(m) => self.placeholders(file, m),
                None => Vec::new(),
            };
            for text in block_missing.iter().chain(&own) {
                let norm = normalise_placeholder(text);
                if !def.missing.iter().any(|t| normalise_placeholder(t) == norm) {
                    def.missing.push(text.clone());
                }
            }
            self.placeholders_hiding_values(file, &def, block, f);
            first_of.insert(n, f.name.span);
            out.push((def, f.name.span, f.span));
        }
        out
    }

    /// The `from` text of a field, checked: `Some(None)` for a field read by
    /// its own name, `None` (reported) when the field must be left out.
    /// `sources` holds the normalised source names of the fields kept so far.
    fn source_of(
        &mut self,
        file: u32,
        f: &ast::FieldDecl,
        owner: &str,
        event: bool,
        sources: &mut HashMap<String, Claim>,
    ) -> Option<Option<String>> {
        let n = f.name.name.as_str();
        let (text, at) = match &f.source {
            Some(src) => (src.value.as_str(), src.span),
            None => (n, f.name.span),
        };
        let norm = normalise_key(text);
        if let Some(src) = &f.source {
            if norm.is_empty() {
                let d = Diagnostic::error(
                    codes::EMPTY_SOURCE,
                    format!("`from` of `{n}` names no column"),
                    src.span,
                )
                .with_label("no letters or digits")
                .with_help(format!(
                    "write the data's key or column name, like `{n}: … from \"Total Visits\"`, or remove `from` to read the key `{n}`"
                ));
                self.push(file, d);
                return None;
            }
            let reserved: &[&str] = if event {
                RESERVED_EVENT_FIELDS
            } else {
                RESERVED_LEAD_KEYS
            };
            if let Some(r) = reserved.iter().find(|r| normalise_key(r) == norm) {
                let d = Diagnostic::error(
                    codes::RESERVED_SOURCE,
                    format!("`{n}` can't be read from {:?}: the data's `{r}` has a fixed meaning", src.value),
                    src.span,
                )
                .with_label(format!("this is the data's `{r}`"))
                .with_help(if event {
                    "`type`, `at` and `lead_id` of an event are read by the data format itself; read the field from another column".to_string()
                } else {
                    format!("`{r}` of a lead is read by the data format itself (`--id-field` names another id column); read `{n}` from another column")
                });
                self.push(file, d);
                return None;
            }
        }
        if let Some(other) = sources.get(&norm) {
            let first = other.at;
            let written = |name: &str, source: Option<&str>| match source {
                Some(s) => format!("`{name}` (from {s:?})"),
                None => format!("`{name}`"),
            };
            let d = Diagnostic::error(
                codes::DUPLICATE_SOURCE,
                format!(
                    "{} and {} of `{owner}` would be read from the same column",
                    written(&other.name, other.source.as_deref()),
                    written(n, f.source.as_ref().map(|s| s.value.as_str()))
                ),
                at,
            )
            .with_label(format!("reads `{norm}`"))
            .with_secondary(first, format!("`{}` reads `{norm}` too", other.name))
            .with_help("data keys and CSV headers are matched lower-cased, with every run of other characters as `_`; give one of them `from \"…\"` with its own column");
            self.push(file, d);
            return None;
        }
        let source = f.source.as_ref().map(|s| s.value.clone());
        sources.insert(
            norm,
            Claim {
                name: n.to_string(),
                source: source.clone(),
                at,
            },
        );
        Some(source)
    }

    /// The texts of a `missing` list (an empty one is reported).
    fn placeholders(&mut self, file: u32, m: &ast::Missing) -> Vec<String> {
        if m.texts.is_empty() {
            let d = Diagnostic::error(
                codes::EMPTY_MISSING,
                "`missing` needs at least one text",
                m.span,
            )
            .with_label("nothing listed")
            .with_help("list the texts that mean \"no value\" in the data, like `missing \"Select\", \"N/A\"`, or remove `missing`");
            self.push(file, d);
        }
        m.texts.iter().map(|t| t.value.clone()).collect()
    }

    /// Warn when a placeholder of `def` is spelled like one of its values or
    /// labels: the placeholder wins, so that value can never be read.
    fn placeholders_hiding_values(
        &mut self,
        file: u32,
        def: &FieldDef,
        block: &ast::FieldBlock,
        f: &ast::FieldDecl,
    ) {
        let Some(e) = def.enum_ty() else {
            return;
        };
        let written = block
            .missing
            .iter()
            .chain(&f.missing)
            .flat_map(|m| &m.texts);
        let mut warned: Vec<String> = Vec::new();
        for t in written {
            let norm = normalise_enum(&normalise_placeholder(&t.value)).into_owned();
            let hit = e.variants.iter().enumerate().find(|(i, v)| {
                normalise_enum(v) == norm
                    || e.labels_of(*i).iter().any(|l| normalise_enum(l) == norm)
            });
            let Some((_, v)) = hit else {
                continue;
            };
            if warned.contains(&norm) {
                continue;
            }
            warned.push(norm);
            let d = Diagnostic::warning(
                codes::PLACEHOLDER_HIDES_VALUE,
                format!(
                    "the placeholder {:?} is also how data writes `{v}`: for `{}`, {:?} is read as unknown, never as `{v}`",
                    t.value, def.name, t.value
                ),
                t.span,
            )
            .with_label(format!("hides `{v}` of `{}`", def.name))
            .with_help(format!(
                "remove {:?} from `missing`, or, if the data really means \"no value\" by it, remove `{v}` from the values",
                t.value
            ));
            self.push(file, d);
        }
    }

    fn declare(&mut self, file: u32, id: &ast::Ident, def: NameDef, decl: &ast::Decl) -> bool {
        let n = id.name.as_str();
        if is_reserved_name(n) {
            let d = Diagnostic::error(
                codes::RESERVED_NAME,
                format!("`{n}` is a reserved name and can't be declared"),
                id.span,
            )
            .with_label("reserved name")
            .with_help(format!(
                "`{n}` already means something in every model; pick another name"
            ));
            self.push(file, d);
            return false;
        }
        if let Some(first) = self.sc.names.get(n) {
            let (ff, fs) = (first.file, first.span);
            let d = Diagnostic::error(codes::DUPLICATE_DECL, format!("`{n}` is declared twice"), id.span)
                .with_label("declared again")
                .with_help("lead fields, events, consts, lets, criteria, segments, scores and tiers share one set of names: rename one of them");
            let d = self.secondary(d, file, ff, fs, "first declared here");
            self.push(file, d);
            return false;
        }
        self.sc.names.insert(
            n.to_string(),
            NameEntry {
                def,
                file,
                span: id.span,
            },
        );
        self.decl_at.insert(
            def,
            (
                file,
                id.span,
                decl.span,
                decl.doc.as_ref().map(|d| d.text.clone()),
            ),
        );
        true
    }

    fn into_state(self) -> State {
        State {
            diags: self.diags,
            uses: self.uses,
            sc: self.sc,
            decl_at: self.decl_at,
            event_field_at: self.event_field_at,
            variant_at: self.variant_at,
            stage_at: self.stage_at,
            tier_labels_at: self.tier_labels_at,
        }
    }

    /// Declare every name, fold consts, order the lead-level declarations
    /// and infer the types of lets.
    fn declare_all(&mut self) -> Phase1 {
        let items = self.items.clone();
        let mut value_ix = Vec::new();
        let mut score_ix = Vec::new();
        let mut tier_ix = Vec::new();
        let mut trans_ix = Vec::new();
        let mut test_ix = Vec::new();
        // ---- model lines: first in their file, at most once
        let mut model_name = None;
        for (fi, f) in self.files.iter().enumerate() {
            let mut seen: Option<Span> = None;
            for (i, d) in f.ast.decls.iter().enumerate() {
                if let DeclKind::Model(id) = &d.kind {
                    if let Some(first) = seen {
                        let dg = Diagnostic::error(
                            codes::MODEL_MISPLACED,
                            "a file can have only one `model` line",
                            d.keyword,
                        )
                        .with_label("second `model`")
                        .with_secondary(first, "first `model` here")
                        .with_help("remove one of them");
                        self.diags.push((fi as u32, dg));
                    } else if i != 0 {
                        let dg = Diagnostic::error(
                            codes::MODEL_MISPLACED,
                            "`model` must be the first declaration of the file",
                            d.keyword,
                        )
                        .with_label("not first")
                        .with_help("move this line to the top of the file, after any comments");
                        self.diags.push((fi as u32, dg));
                    }
                    if seen.is_none() {
                        seen = Some(d.keyword);
                        if fi == 0 {
                            model_name = Some(id.name.clone());
                        }
                    }
                }
            }
        }
        // ---- lead
        let leads: Vec<(u32, &ast::Decl)> = items
            .iter()
            .filter(|(_, d)| matches!(d.kind, DeclKind::Lead(_)))
            .copied()
            .collect();
        if leads.is_empty() && !self.sc.broken.contains("#broken lead") {
            let d = Diagnostic::error(codes::LEAD_COUNT, "this model has no `lead { … }` declaration", Span::new(0, 0))
                .with_label("no lead")
                .with_help("describe the lead's fields, like `lead { email: string, company_size: int }`, or `use` a file that does");
            self.push(0, d);
        }
        for (k, (file, decl)) in leads.iter().enumerate() {
            if k > 0 {
                let (ff, fd) = leads[0];
                let d = Diagnostic::error(
                    codes::LEAD_COUNT,
                    "a model has exactly one `lead { … }`, and this is a second one",
                    decl.keyword,
                )
                .with_label("second lead")
                .with_help("put all lead fields into one `lead { … }`");
                let d = self.secondary(d, *file, ff, fd.keyword, "first lead here");
                self.push(*file, d);
                continue;
            }
            if let DeclKind::Lead(fs) = &decl.kind {
                let out = self.fields(*file, fs, "lead", false);
                for (f, name_span, span) in out {
                    let slot = self.sc.schema.lead.len() as u32;
                    self.sc.schema.lead.push(f.clone());
                    let id = ast::Ident {
                        name: f.name.clone(),
                        span: name_span,
                    };
                    let fake = ast::Decl {
                        kind: DeclKind::Lead(ast::FieldBlock::default()),
                        span,
                        keyword: span,
                        doc: None,
                    };
                    self.declare(*file, &id, NameDef::LeadField(slot), &fake);
                }
            }
        }
        // ---- events and the other names
        let (mut nc, mut nv, mut ns, mut nt) = (0u32, 0u32, 0u32, 0u32);
        let mut const_decls = Vec::new();
        let mut value_decls = Vec::new();
        let mut score_decls = Vec::new();
        let mut tier_decls = Vec::new();
        let mut stages_decls = Vec::new();
        for (item, &(file, decl)) in items.iter().enumerate() {
            match &decl.kind {
                DeclKind::Event { name, fields } => {
                    let out = self.fields(file, fields, &name.name, true);
                    let ev = self.sc.schema.events.len() as u32;
                    if self.declare(file, name, NameDef::Event(ev), decl) {
                        for (k, (_, ns_, fs)) in out.iter().enumerate() {
                            self.event_field_at
                                .insert((ev, k as u32), (file, *ns_, *fs));
                        }
                        self.sc.schema.events.push(EventDef {
                            name: name.name.clone(),
                            fields: out.into_iter().map(|(f, _, _)| f).collect(),
                        });
                    }
                }
                DeclKind::Const(ne) => {
                    if self.declare(file, &ne.name, NameDef::Const(nc), decl) {
                        self.sc.consts.push(ConstSig {
                            value: None,
                            ty: None,
                            flexible: false,
                        });
                        const_decls.push((file, decl, ne));
                        nc += 1;
                    }
                }
                DeclKind::Let(ne) | DeclKind::Criterion(ne) | DeclKind::Segment(ne) => {
                    let kind = match &decl.kind {
                        DeclKind::Let(_) => ValueKind::Let,
                        DeclKind::Criterion(_) => ValueKind::Criterion,
                        _ => ValueKind::Segment,
                    };
                    if self.declare(file, &ne.name, NameDef::Value(nv), decl) {
                        let ty = (kind != ValueKind::Let).then_some(Ty::Bool);
                        self.sc.values.push(ValueSig {
                            name: ne.name.name.clone(),
                            kind,
                            ty,
                        });
                        value_decls.push((file, decl, ne, kind));
                        value_ix.push((item, kind));
                        nv += 1;
                    }
                }
                DeclKind::Score(s) => {
                    if self.declare(file, &s.name, NameDef::Score(ns), decl) {
                        self.sc.scores.push(s.name.name.clone());
                        score_decls.push((file, decl, s));
                        score_ix.push(item);
                        ns += 1;
                    }
                }
                DeclKind::Tier(t) => {
                    // the labels form the tier's enum
                    let mut e = EnumTy::new(Vec::new(), Vec::new());
                    let mut seen: HashMap<&str, Span> = HashMap::new();
                    let last = t.arms.len().saturating_sub(1);
                    for (k, arm) in t.arms.iter().enumerate() {
                        if arm.cond.is_none() && k != last {
                            let d = Diagnostic::error(codes::OTHERWISE_NOT_LAST, "`otherwise` must be the last label of a tier", arm.span)
                                .with_label("not last")
                                .with_help("labels after `otherwise` could never be chosen: move this label to the end");
                            self.push(file, d);
                        }
                        if let Some(first) = seen.get(arm.label.name.as_str()) {
                            let d = Diagnostic::error(
                                codes::DUPLICATE_TIER_LABEL,
                                format!(
                                    "tier `{}` has the label `{}` twice",
                                    t.name.name, arm.label.name
                                ),
                                arm.label.span,
                            )
                            .with_label("used again")
                            .with_secondary(*first, "first used here")
                            .with_help("each label of a tier must be different");
                            self.push(file, d);
                            continue;
                        }
                        seen.insert(&arm.label.name, arm.label.span);
                        e.syms.push(self.sc.schema.symbols.intern(&arm.label.name));
                        e.variants.push(arm.label.name.clone());
                        self.tier_labels_at.push((
                            arm.label.name.clone(),
                            file,
                            arm.label.span,
                            t.name.name.clone(),
                        ));
                    }
                    if self.declare(file, &t.name, NameDef::Tier(nt), decl) {
                        let e = Arc::new(e);
                        self.sc.enums.push(e.clone());
                        self.sc.tiers.push(TierSig {
                            name: t.name.name.clone(),
                            ty: Ty::Enum(e),
                        });
                        tier_decls.push((file, decl, t));
                        tier_ix.push(item);
                        nt += 1;
                    }
                }
                DeclKind::Stages(names) => stages_decls.push((file, decl, names)),
                DeclKind::Transition(_) => trans_ix.push(item),
                DeclKind::Test(_) => {
                    if file == 0 {
                        test_ix.push(item);
                    }
                }
                DeclKind::Model(_) | DeclKind::Use(_) | DeclKind::Lead(_) => {}
            }
        }
        // ---- stages
        for (k, (file, decl, names)) in stages_decls.iter().enumerate() {
            if k > 0 {
                let (ff, fd, _) = stages_decls[0];
                let d = Diagnostic::error(
                    codes::TWO_STAGES,
                    "a model has at most one `stages` line",
                    decl.keyword,
                )
                .with_label("second `stages`")
                .with_help("list every stage in one `stages` line, in funnel order");
                let d = self.secondary(d, *file, ff, fd.keyword, "first `stages` here");
                self.push(*file, d);
                continue;
            }
            let e = Arc::new(self.enum_of(*file, names, None));
            self.sc.enums.push(e.clone());
            self.sc.schema.stages = Some(e);
        }
        self.sc.index_enums();
        // ---- consts, in dependency order
        let const_hir = self.fold_consts(&const_decls);
        // ---- order of lead-level declarations
        let nvals = self.sc.values.len();
        let nscores = self.sc.scores.len();
        let node_of = |r: DeclRef| match r {
            DeclRef::Value(i) => i as usize,
            DeclRef::Score(i) => nvals + i as usize,
            DeclRef::Tier(i) => nvals + nscores + i as usize,
        };
        let total = nvals + nscores + self.sc.tiers.len();
        let mut refs_of: Vec<DeclRef> = Vec::with_capacity(total);
        refs_of.extend((0..nvals as u32).map(DeclRef::Value));
        refs_of.extend((0..nscores as u32).map(DeclRef::Score));
        refs_of.extend((0..self.sc.tiers.len() as u32).map(DeclRef::Tier));
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); total];
        let to_ref = |d: NameDef| match d {
            NameDef::Value(i) => Some(DeclRef::Value(i)),
            NameDef::Score(i) => Some(DeclRef::Score(i)),
            NameDef::Tier(i) => Some(DeclRef::Tier(i)),
            _ => None,
        };
        for (k, (_, _, ne, _)) in value_decls.iter().enumerate() {
            let mut names = Vec::new();
            walk_names(&ne.value, None, &self.sc, &mut names);
            edges[k] = names.into_iter().filter_map(to_ref).map(node_of).collect();
        }
        for (k, (_, _, s)) in score_decls.iter().enumerate() {
            let mut names = Vec::new();
            for r in &s.rules {
                match &r.kind {
                    ast::RuleKind::Cond(e) => walk_names(e, None, &self.sc, &mut names),
                    ast::RuleKind::Each(q) | ast::RuleKind::Latest(q) => {
                        walk_query(q, &self.sc, &mut names)
                    }
                }
            }
            edges[nvals + k] = names.into_iter().filter_map(to_ref).map(node_of).collect();
        }
        for (k, (_, _, t)) in tier_decls.iter().enumerate() {
            let mut names = Vec::new();
            for a in &t.arms {
                if let Some(c) = &a.cond {
                    walk_names(c, None, &self.sc, &mut names);
                }
            }
            edges[nvals + nscores + k] =
                names.into_iter().filter_map(to_ref).map(node_of).collect();
        }
        let (order, cycles, _) = order_nodes(&edges);
        let name_of = |sc: &Scope, r: DeclRef| match r {
            DeclRef::Value(i) => sc.values[i as usize].name.clone(),
            DeclRef::Score(i) => sc.scores[i as usize].clone(),
            DeclRef::Tier(i) => sc.tiers[i as usize].name.clone(),
        };
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        for c in cycles {
            let mut key = c.clone();
            key.sort_unstable();
            key.dedup();
            if !reported.insert(key) {
                continue;
            }
            let chain: Vec<String> = c.iter().map(|&n| name_of(&self.sc, refs_of[n])).collect();
            let first = refs_of[c[0]];
            let def = match first {
                DeclRef::Value(i) => NameDef::Value(i),
                DeclRef::Score(i) => NameDef::Score(i),
                DeclRef::Tier(i) => NameDef::Tier(i),
            };
            if let Some(&(file, span, _, _)) = self.decl_at.get(&def) {
                let mut d = Diagnostic::error(codes::DEPENDENCY_CYCLE, format!("`{}` depends on itself: {}", chain[0], cycle_text(&chain)), span)
                    .with_label("part of a cycle")
                    .with_help("a value can't be computed from itself; break the cycle by removing one of these references");
                for &n in &c[1..c.len() - 1] {
                    let other = match refs_of[n] {
                        DeclRef::Value(i) => NameDef::Value(i),
                        DeclRef::Score(i) => NameDef::Score(i),
                        DeclRef::Tier(i) => NameDef::Tier(i),
                    };
                    if let Some(&(of, os, _, _)) = self.decl_at.get(&other) {
                        let name = name_of(&self.sc, refs_of[n]);
                        d = self.secondary(
                            d,
                            file,
                            of,
                            os,
                            &format!("`{name}` is part of the cycle"),
                        );
                    }
                }
                self.push(file, d);
            }
        }
        // ---- the types of lets, in dependency order
        for &n in &order {
            if let Some(&(file, _, ne, ValueKind::Let)) = value_decls.get(n) {
                let (expr, _) = check_value(&self.sc, self.text(file), ne, ValueKind::Let);
                if let Some(e) = expr {
                    self.sc.values[n].ty = Some(e.ty);
                }
            }
        }
        Phase1 {
            model_name,
            const_hir,
            value_decls: value_ix,
            score_decls: score_ix,
            tier_decls: tier_ix,
            transitions: trans_ix,
            tests: test_ix,
            order,
            refs_of,
        }
    }

    /// Check declaration `k` of file `file` (through `checks`, which may
    /// have kept it from an earlier check), keep its messages and the names
    /// it uses, and return what it built.
    fn take_checked(
        &mut self,
        checks: &dyn DeclChecks,
        prep: &Prepared,
        k: usize,
        file: u32,
    ) -> DeclParts {
        let r = checks.check_decl(prep, k);
        self.merge(
            file,
            Out {
                diags: r.diags,
                uses: r.uses,
                pending: r.pending,
            },
        );
        r.parts
    }

    /// Check every declaration against the scope, run the lints over the
    /// whole model and assemble it.
    fn check_rest(
        &mut self,
        ph: &Phase1,
        prep: &Prepared,
        checks: &dyn DeclChecks,
    ) -> Option<hir::Model> {
        let items = self.items.clone();
        let named = |k: usize| -> Option<(u32, &'a ast::Decl, &'a ast::NamedExpr)> {
            let (file, decl) = *items.get(k)?;
            match &decl.kind {
                DeclKind::Let(ne) | DeclKind::Criterion(ne) | DeclKind::Segment(ne) => {
                    Some((file, decl, ne))
                }
                _ => None,
            }
        };
        let value_decls: Vec<(usize, u32, &ast::Decl, &ast::NamedExpr, ValueKind)> = ph
            .value_decls
            .iter()
            .filter_map(|&(k, kind)| named(k).map(|(f, d, ne)| (k, f, d, ne, kind)))
            .collect();
        let score_decls = pick(&items, &ph.score_decls, |d| match d {
            DeclKind::Score(x) => Some(x),
            _ => None,
        });
        let tier_decls = pick(&items, &ph.tier_decls, |d| match d {
            DeclKind::Tier(x) => Some(x),
            _ => None,
        });
        let transitions = pick(&items, &ph.transitions, |d| match d {
            DeclKind::Transition(x) => Some(x),
            _ => None,
        });
        let tests = pick(&items, &ph.tests, |d| match d {
            DeclKind::Test(x) => Some(x),
            _ => None,
        });
        let order = &ph.order;
        let refs_of = &ph.refs_of;
        let nvals = self.sc.values.len();
        // ---- lets, criteria, segments in dependency order
        let mut values: Vec<Option<hir::ValueDecl>> = vec![None; nvals];
        for &n in order {
            if n < nvals {
                let Some(&(k, file, decl, ne, kind)) = value_decls.get(n) else {
                    continue;
                };
                let expr = match self.take_checked(checks, prep, k, file) {
                    DeclParts::Value(e) => e,
                    _ => None,
                };
                values[n] = expr.map(|expr| hir::ValueDecl {
                    name: ne.name.name.clone(),
                    kind,
                    ty: expr.ty.clone(),
                    expr,
                    origin: self.origin(file, decl),
                    doc: decl.doc.as_ref().map(|d| d.text.clone()),
                });
            }
        }
        // ---- scores
        let mut scores = Vec::new();
        for &(k, file, decl, s) in &score_decls {
            let sd = match self.take_checked(checks, prep, k, file) {
                DeclParts::Score(x) => x,
                _ => None,
            };
            scores.push(sd.map(|(decay, range, rules)| hir::ScoreDecl {
                name: s.name.name.clone(),
                decay,
                range,
                rules,
                origin: self.origin(file, decl),
                doc: decl.doc.as_ref().map(|d| d.text.clone()),
            }));
        }
        // ---- tiers
        let mut tiers = Vec::new();
        for (n, &(k, file, decl, t)) in tier_decls.iter().enumerate() {
            let ty = self.sc.tiers[n].ty.clone();
            let arms = match self.take_checked(checks, prep, k, file) {
                DeclParts::Tier(x) => x,
                _ => None,
            };
            tiers.push(arms.map(|arms| hir::TierDecl {
                name: t.name.name.clone(),
                ty,
                arms,
                origin: self.origin(file, decl),
                doc: decl.doc.as_ref().map(|d| d.text.clone()),
            }));
        }
        // ---- transitions
        let mut trans = Vec::new();
        for &(k, file, decl, _) in &transitions {
            let parts = match self.take_checked(checks, prep, k, file) {
                DeclParts::Transition(x) => x,
                _ => None,
            };
            trans.push(parts.map(|(from, to, cond)| hir::TransitionDecl {
                from,
                to,
                cond,
                origin: self.origin(file, decl),
                doc: decl.doc.as_ref().map(|d| d.text.clone()),
            }));
        }
        // ---- tests
        let mut hir_tests = Vec::new();
        for &(k, file, decl, t) in &tests {
            let parts = match self.take_checked(checks, prep, k, file) {
                DeclParts::Test(x) => x,
                _ => None,
            };
            hir_tests.push(parts.map(|(as_of, lead, expects)| hir::TestDecl {
                name: t.name.value.clone(),
                as_of,
                lead,
                expects,
                origin: self.origin(file, decl),
            }));
        }
        // ---- lints over the whole model
        let ranges: Vec<(f64, f64)> = scores
            .iter()
            .map(|s| {
                s.as_ref()
                    .map(score_range)
                    .unwrap_or((f64::NEG_INFINITY, f64::INFINITY))
            })
            .collect();
        let score_files: Vec<u32> = score_decls.iter().map(|d| d.1).collect();
        let tier_files: Vec<u32> = tier_decls.iter().map(|d| d.1).collect();
        let trans_files: Vec<u32> = transitions.iter().map(|d| d.1).collect();
        self.lint_conditions(
            &score_files,
            &scores,
            &tier_files,
            &tiers,
            &trans_files,
            &trans,
            &ranges,
        );
        self.lint_unused();
        self.lint_stages(&trans);

        // ---- assemble
        let consts: Option<Vec<hir::ConstDecl>> = ph.const_hir.iter().cloned().collect();
        let values: Option<Vec<_>> = values.into_iter().collect();
        let scores: Option<Vec<_>> = scores.into_iter().collect();
        let tiers: Option<Vec<_>> = tiers.into_iter().collect();
        let transitions: Option<Vec<_>> = trans.into_iter().collect();
        let tests: Option<Vec<_>> = hir_tests.into_iter().collect();
        Some(hir::Model {
            name: ph.model_name.clone(),
            files: self.files.iter().map(|f| f.path.clone()).collect(),
            schema: self.sc.schema.clone(),
            consts: consts?,
            values: values?,
            scores: scores?,
            tiers: tiers?,
            transitions: transitions?,
            tests: tests?,
            order: order.iter().map(|&n| refs_of[n]).collect(),
        })
    }

    fn fold_consts(
        &mut self,
        decls: &[(u32, &'a ast::Decl, &'a ast::NamedExpr)],
    ) -> Vec<Option<hir::ConstDecl>> {
        let n = decls.len();
        let mut edges = vec![Vec::new(); n];
        for (k, (_, _, ne)) in decls.iter().enumerate() {
            let mut names = Vec::new();
            walk_names(&ne.value, None, &self.sc, &mut names);
            edges[k] = names
                .into_iter()
                .filter_map(|d| match d {
                    NameDef::Const(i) => Some(i as usize),
                    _ => None,
                })
                .collect();
        }
        let (order, cycles, in_cycle) = order_nodes(&edges);
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        for c in cycles {
            let mut key = c.clone();
            key.sort_unstable();
            key.dedup();
            if !reported.insert(key) {
                continue;
            }
            let chain: Vec<String> = c.iter().map(|&x| decls[x].2.name.name.clone()).collect();
            let (file, _, ne) = decls[c[0]];
            let d = Diagnostic::error(
                codes::DEPENDENCY_CYCLE,
                format!("`{}` depends on itself: {}", chain[0], cycle_text(&chain)),
                ne.name.span,
            )
            .with_label("part of a cycle")
            .with_help("a const can't be computed from itself; write its value out");
            self.push(file, d);
        }
        let mut out: Vec<Option<hir::ConstDecl>> = vec![None; n];
        for k in order {
            if in_cycle[k] {
                continue;
            }
            let (file, decl, ne) = decls[k];
            let text = self.text(file);
            let mut cx = Cx::new(&self.sc, text, Ctx::Const);
            cx.const_what = "a const";
            cx.const_code = codes::CONST_NOT_CONSTANT;
            let r = cx.elab(&ne.value, None).and_then(|e| {
                let v = cx.fold(&e)?;
                Some((v, e.ty))
            });
            let flexible = cx.flexible;
            let mut o = Out::default();
            o.take(cx);
            self.merge(file, o);
            if let Some((v, ty)) = r {
                self.sc.consts[k].value = Some(v.clone());
                self.sc.consts[k].ty = Some(ty.clone());
                self.sc.consts[k].flexible = flexible;
                out[k] = Some(hir::ConstDecl {
                    name: ne.name.name.clone(),
                    ty,
                    value: v,
                    origin: self.origin(file, decl),
                    doc: decl.doc.as_ref().map(|d| d.text.clone()),
                });
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn lint_conditions(
        &mut self,
        score_decls: &[u32],
        scores: &[Option<hir::ScoreDecl>],
        tier_decls: &[u32],
        tiers: &[Option<hir::TierDecl>],
        trans_decls: &[u32],
        trans: &[Option<hir::TransitionDecl>],
        ranges: &[(f64, f64)],
    ) {
        let mut conds: Vec<(u32, &hir::Expr, &'static str)> = Vec::new();
        for (k, s) in scores.iter().enumerate() {
            if let Some(s) = s {
                for r in &s.rules {
                    match &r.kind {
                        hir::RuleKind::Cond(c) => conds.push((score_decls[k], c, "rule")),
                        hir::RuleKind::Each(q) | hir::RuleKind::Latest(q) => {
                            if let Some(f) = &q.filter {
                                conds.push((score_decls[k], f, "rule"));
                            }
                        }
                    }
                }
            }
        }
        for (k, t) in tiers.iter().enumerate() {
            if let Some(t) = t {
                for a in &t.arms {
                    if let Some(c) = &a.cond {
                        conds.push((tier_decls[k], c, "tier label"));
                    }
                }
            }
        }
        for (k, t) in trans.iter().enumerate() {
            if let Some(t) = t {
                conds.push((trans_decls[k], &t.cond, "transition"));
            }
        }
        let names = self.sc.scores.clone();
        let mut found = Vec::new();
        for (file, c, what) in conds {
            let (t, why) = truth(c, ranges, &names);
            let text = self.text(file);
            let span = trim_span(text, c.span);
            let shown = collapse(text.get(span.range()).unwrap_or(""));
            let d = match t {
                Truth::Never => Diagnostic::warning(
                    codes::NEVER_TRUE,
                    format!("`{shown}` can never be true"),
                    span,
                )
                .with_label(format!("this {what} never applies")),
                Truth::Always => Diagnostic::warning(
                    codes::ALWAYS_TRUE,
                    format!("`{shown}` is always true"),
                    span,
                )
                .with_label("always true"),
                Truth::Maybe => continue,
            };
            let d = match why {
                Some((wspan, why)) => {
                    let wspan = trim_span(text, wspan);
                    let d = if wspan != span {
                        d.with_secondary(wspan, why.clone())
                    } else {
                        d
                    };
                    d.with_help(format!("{why}; fix the numbers or remove the condition"))
                }
                None => d,
            };
            found.push((file, d));
        }
        self.diags.extend(found);
    }

    fn lint_unused(&mut self) {
        // A declaration that did not parse may be where the name is used.
        let syntax_error = self.files.iter().any(|f| {
            f.ast
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
        });
        if syntax_error {
            return;
        }
        let used: HashSet<NameDef> = self
            .uses
            .iter()
            .filter_map(|(_, _, t)| match t {
                Target::Name(d) => Some(*d),
                _ => None,
            })
            .collect();
        let mut found = Vec::new();
        for (name, entry) in &self.sc.names {
            let kind = match entry.def {
                NameDef::Const(_) => "const",
                NameDef::Value(i) => match self.sc.values[i as usize].kind {
                    ValueKind::Let => "let",
                    ValueKind::Criterion => "criterion",
                    // A segment is an output of its own: every result lists
                    // the segments the lead is in, so it is never unused.
                    ValueKind::Segment => continue,
                },
                _ => continue,
            };
            if used.contains(&entry.def) {
                continue;
            }
            let help = "use it in a rule, a condition or a test's `expect`, or remove it";
            let d = Diagnostic::warning(
                codes::UNUSED,
                format!("the {kind} `{name}` is never used"),
                entry.span,
            )
            .with_label("never used")
            .with_help(help);
            found.push((entry.file, entry.span, d));
        }
        found.sort_by_key(|(f, s, _)| (*f, *s));
        for (f, _, d) in found {
            self.push(f, d);
        }
    }

    fn lint_stages(&mut self, trans: &[Option<hir::TransitionDecl>]) {
        let Some(stages) = self.sc.schema.stages.clone() else {
            return;
        };
        if trans.iter().any(Option::is_none) {
            // a transition with an error may be the one that enters it
            return;
        }
        let entered: HashSet<Sym> = trans.iter().flatten().map(|t| t.to).collect();
        let stage_at = self.stage_at.clone();
        for (k, sym) in stages.syms.iter().enumerate().skip(1) {
            if entered.contains(sym) {
                continue;
            }
            let name = &stages.variants[k];
            if let Some(VariantAt { file, span, .. }) = stage_at.iter().find(|v| v.name == *name) {
                let first = &stages.variants[0];
                let d = Diagnostic::warning(codes::STAGE_NEVER_ENTERED, format!("no transition leads to the stage `{name}`"), *span)
                    .with_label("never entered")
                    .with_help(format!(
                        "only leads whose data starts them in `{name}` will be there; add a transition like `transition {first} -> {name} when …`"
                    ));
                self.push(*file, d);
            }
        }
    }

    fn build_index(&self, model: Option<&hir::Model>) -> NameIndex {
        let mut ix = NameIndex::default();
        let path = |f: u32| self.files[f as usize].path.clone();
        // the root file's `model NAME`
        if let Some((id, decl)) = self.files.first().and_then(|f| {
            f.ast.decls.iter().find_map(|d| match &d.kind {
                DeclKind::Model(id) => Some((id, d)),
                _ => None,
            })
        }) {
            ix.defs.push(Def {
                name: id.name.clone(),
                kind: DefKind::Model,
                file: path(0),
                span: id.span,
                decl_span: decl.span,
                ty: None,
                doc: decl.doc.as_ref().map(|d| d.text.clone()),
                range: None,
                parent: None,
                source: None,
                missing: Vec::new(),
                labels: Vec::new(),
            });
        }
        let mut by_name: HashMap<NameDef, usize> = HashMap::new();
        let ranges: Vec<(f64, f64)> = model
            .map(|m| m.scores.iter().map(score_range).collect())
            .unwrap_or_default();
        let mut entries: Vec<(&String, &NameEntry)> = self.sc.names.iter().collect();
        entries.sort_by_key(|(_, e)| (e.file, e.span));
        for (name, e) in entries {
            let (kind, ty) = match e.def {
                NameDef::LeadField(i) => (
                    DefKind::LeadField,
                    Some(self.sc.schema.lead[i as usize].ty.to_string()),
                ),
                NameDef::Event(_) => (DefKind::Event, None),
                NameDef::Const(i) => (
                    DefKind::Const,
                    self.sc.consts[i as usize]
                        .ty
                        .as_ref()
                        .map(|t| t.to_string()),
                ),
                NameDef::Value(i) => {
                    let v = &self.sc.values[i as usize];
                    let k = match v.kind {
                        ValueKind::Let => DefKind::Let,
                        ValueKind::Criterion => DefKind::Criterion,
                        ValueKind::Segment => DefKind::Segment,
                    };
                    (k, v.ty.as_ref().map(|t| t.to_string()))
                }
                NameDef::Score(_) => (DefKind::Score, Some("number".to_string())),
                NameDef::Tier(i) => (
                    DefKind::Tier,
                    Some(self.sc.tiers[i as usize].ty.to_string()),
                ),
            };
            let (file, span, decl_span, doc) = self
                .decl_at
                .get(&e.def)
                .cloned()
                .unwrap_or((e.file, e.span, e.span, None));
            let range = match e.def {
                NameDef::Score(i) => ranges.get(i as usize).copied(),
                _ => None,
            };
            let (source, missing) = match e.def {
                NameDef::LeadField(i) => self
                    .sc
                    .schema
                    .lead
                    .get(i as usize)
                    .map(|f| (f.source.clone(), f.missing.clone()))
                    .unwrap_or_default(),
                _ => (None, Vec::new()),
            };
            by_name.insert(e.def, ix.defs.len());
            ix.defs.push(Def {
                name: name.clone(),
                kind,
                file: path(file),
                span,
                decl_span,
                ty,
                doc,
                range,
                parent: None,
                source,
                missing,
                labels: Vec::new(),
            });
        }
        let mut by_field: HashMap<(u32, u32), usize> = HashMap::new();
        let mut fields: Vec<_> = self.event_field_at.iter().collect();
        fields.sort_by_key(|(k, _)| **k);
        for (&(ev, fi), &(file, span, decl_span)) in fields {
            let Some(edef) = self.sc.schema.events.get(ev as usize) else {
                continue;
            };
            let Some(f) = edef.fields.get(fi as usize) else {
                continue;
            };
            by_field.insert((ev, fi), ix.defs.len());
            ix.defs.push(Def {
                name: f.name.clone(),
                kind: DefKind::EventField,
                file: path(file),
                span,
                decl_span,
                ty: Some(f.ty.to_string()),
                doc: None,
                range: None,
                parent: by_name.get(&NameDef::Event(ev)).copied(),
                source: f.source.clone(),
                missing: f.missing.clone(),
                labels: Vec::new(),
            });
        }
        // values, by their list of values and text
        let mut by_value: HashMap<(u32, String), usize> = HashMap::new();
        let value = |ix: &mut NameIndex,
                     by_value: &mut HashMap<(u32, String), usize>,
                     name: &str,
                     class: Option<u32>,
                     kind: DefKind,
                     file: u32,
                     span: Span,
                     parent: Option<usize>,
                     labels: &[String]| {
            if let Some(c) = class {
                by_value
                    .entry((c, name.to_string()))
                    .or_insert(ix.defs.len());
            }
            ix.defs.push(Def {
                name: name.to_string(),
                kind,
                file: path(file),
                span,
                decl_span: span,
                ty: None,
                doc: None,
                range: None,
                parent,
                source: None,
                missing: Vec::new(),
                labels: labels.to_vec(),
            });
        };
        let stages = self
            .sc
            .schema
            .stages
            .as_ref()
            .and_then(|s| self.sc.enum_class(s));
        for v in &self.stage_at {
            value(
                &mut ix,
                &mut by_value,
                &v.name,
                stages,
                DefKind::Stage,
                v.file,
                v.span,
                None,
                &v.labels,
            );
        }
        for (name, file, span, tier) in &self.tier_labels_at {
            let def = self.sc.names.get(tier).map(|e| e.def);
            let class = match def {
                Some(NameDef::Tier(k)) => match self.sc.tiers.get(k as usize).map(|t| &t.ty) {
                    Some(Ty::Enum(e)) => self.sc.enum_class(e),
                    _ => None,
                },
                _ => None,
            };
            let parent = def.and_then(|d| by_name.get(&d).copied());
            value(
                &mut ix,
                &mut by_value,
                name,
                class,
                DefKind::TierLabel,
                *file,
                *span,
                parent,
                &[],
            );
        }
        // a field's values belong to the field whose declaration holds them
        let field_defs: Vec<(usize, Arc<str>, Span)> = ix
            .defs
            .iter()
            .enumerate()
            .filter(|(_, d)| matches!(d.kind, DefKind::LeadField | DefKind::EventField))
            .map(|(i, d)| (i, d.file.clone(), d.decl_span))
            .collect();
        for v in &self.variant_at {
            let f = path(v.file);
            let parent = field_defs
                .iter()
                .find(|(_, ff, s)| *ff == f && s.start <= v.span.start && v.span.end <= s.end)
                .map(|(i, _, _)| *i);
            value(
                &mut ix,
                &mut by_value,
                &v.name,
                Some(v.class),
                DefKind::Variant,
                v.file,
                v.span,
                parent,
                &v.labels,
            );
        }
        for (file, span, t) in &self.uses {
            let target = match t {
                Target::Name(d) => by_name.get(d).copied().map(IxTarget::Def),
                Target::EventField(e, f) => by_field.get(&(*e, *f)).copied().map(IxTarget::Def),
                Target::Variant(c, n) => by_value.get(&(*c, n.clone())).copied().map(IxTarget::Def),
                Target::Builtin(b) => Some(IxTarget::Builtin(*b)),
            };
            if let Some(target) = target {
                ix.refs.push(Ref {
                    file: path(*file),
                    span: *span,
                    target,
                });
            }
        }
        ix.sort();
        ix
    }
}

/// Check one let, criterion or segment.
fn check_value(
    sc: &Scope,
    text: &str,
    ne: &ast::NamedExpr,
    kind: ValueKind,
) -> (Option<hir::Expr>, Out) {
    let mut cx = Cx::new(sc, text, Ctx::Lead);
    let e = if kind == ValueKind::Let {
        cx.elab(&ne.value, None)
    } else {
        cx.cond(&ne.value)
    };
    let mut out = Out::default();
    out.take(cx);
    (e, out)
}

fn as_f64(cx: &mut Cx, v: &Value, ty: &Ty, span: Span, what: &str) -> Option<f64> {
    match v.as_f64() {
        Some(x) => Some(x),
        None => {
            let d = Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!(
                    "{what} must be a number, but `{}` is {}",
                    cx.show(span),
                    ty.describe()
                ),
                span,
            )
            .with_label("not a number")
            .with_help("write a number like `10`, `-5` or `12.5`, or the name of a numeric const");
            cx.err(d);
            None
        }
    }
}

fn positive_ms(cx: &mut Cx, e: &ast::Expr, what: &'static str) -> Option<f64> {
    let (v, ty, span) = cx.const_value(e, Some(&Ty::Duration), what)?;
    match v {
        Value::Duration(d) if d > 0 => Some(d as f64),
        Value::Duration(_) => {
            let d = Diagnostic::error(
                codes::DECAY_OUT_OF_RANGE,
                format!("{what} must be more than zero"),
                span,
            )
            .with_label("zero or less")
            .with_help("write a positive duration, like `14d`");
            cx.err(d);
            None
        }
        _ => {
            let d = Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!(
                    "{what} must be a duration like `14d`, but `{}` is {}",
                    cx.show(span),
                    ty.describe()
                ),
                span,
            )
            .with_label("not a duration")
            .with_help("write a number with a unit: `30m`, `12h`, `14d` or `2w`");
            cx.err(d);
            None
        }
    }
}

pub(crate) type ScoreParts = (hir::Decay, Option<(f64, f64)>, Vec<hir::Rule>);

/// Check one score: its options and rules.
fn check_score(
    sc: &Scope,
    text: &str,
    lines: &LineIndex,
    s: &ast::ScoreDecl,
) -> (Option<ScoreParts>, Out) {
    let mut cx = Cx::new(sc, text, Ctx::Lead);
    let mut ok = true;
    let mut decay = hir::Decay::None;
    let mut range = None;
    let (mut seen_decay, mut seen_range): (Option<Span>, Option<Span>) = (None, None);
    for opt in &s.options {
        let (seen, word) = match opt.kind {
            ast::ScoreOptionKind::Decay(_) => (&mut seen_decay, "decay"),
            ast::ScoreOptionKind::Range { .. } => (&mut seen_range, "range"),
        };
        if let Some(first) = *seen {
            let d = Diagnostic::error(
                codes::DUPLICATE_SCORE_OPTION,
                format!("score `{}` has `{word}` twice", s.name.name),
                opt.span,
            )
            .with_label("given again")
            .with_secondary(first, "first given here")
            .with_help(format!("a score has at most one `{word}`; remove one"));
            cx.err(d);
            ok = false;
            continue;
        }
        *seen = Some(opt.span);
        match &opt.kind {
            ast::ScoreOptionKind::Decay(dk) => {
                let r = match dk {
                    ast::Decay::None => Some(hir::Decay::None),
                    ast::Decay::HalfLife(e) => {
                        positive_ms(&mut cx, e, "the half-life").map(hir::Decay::HalfLife)
                    }
                    ast::Decay::Linear(e) => {
                        positive_ms(&mut cx, e, "the linear decay time").map(hir::Decay::Linear)
                    }
                    ast::Decay::Step { percent, every } => {
                        let p = match &percent.kind {
                            ast::ExprKind::Percent(p) => Some((*p, percent.span)),
                            _ => cx
                                .const_value(percent, None, "the decay percentage")
                                .and_then(|(v, ty, span)| {
                                    as_f64(&mut cx, &v, &ty, span, "the decay percentage")
                                        .map(|x| (x, span))
                                }),
                        };
                        let every = positive_ms(&mut cx, every, "the decay step");
                        match (p, every) {
                            (Some((p, span)), Some(every)) => {
                                if p > 0.0 && p <= 100.0 {
                                    Some(hir::Decay::Step { percent: p, every })
                                } else {
                                    let d = Diagnostic::error(codes::DECAY_OUT_OF_RANGE, "the decay percentage must be more than 0% and at most 100%", span)
                                        .with_label("out of range")
                                        .with_help("write how much is lost at each step, like `25% every 30d`");
                                    cx.err(d);
                                    None
                                }
                            }
                            _ => None,
                        }
                    }
                };
                match r {
                    Some(d) => decay = d,
                    None => ok = false,
                }
            }
            ast::ScoreOptionKind::Range { lo, hi } => {
                let a = cx
                    .const_value(lo, None, "the range")
                    .and_then(|(v, t, sp)| as_f64(&mut cx, &v, &t, sp, "the range"));
                let b = cx
                    .const_value(hi, None, "the range")
                    .and_then(|(v, t, sp)| as_f64(&mut cx, &v, &t, sp, "the range"));
                match (a, b) {
                    (Some(a), Some(b)) if a <= b => range = Some((a, b)),
                    (Some(a), Some(b)) => {
                        let d = Diagnostic::error(
                            codes::RANGE_REVERSED,
                            format!(
                                "the range goes from {} down to {}",
                                crate::ranges::show_num(a),
                                crate::ranges::show_num(b)
                            ),
                            opt.span,
                        )
                        .with_label("low end is above the high end")
                        .with_help(format!(
                            "write the lower number first: `range {} to {}`",
                            crate::ranges::show_num(b),
                            crate::ranges::show_num(a)
                        ));
                        cx.err(d);
                        ok = false;
                    }
                    _ => ok = false,
                }
            }
        }
    }
    let mut rules = Vec::new();
    for r in &s.rules {
        let kind = match &r.kind {
            ast::RuleKind::Cond(c) => cx.cond(c).map(hir::RuleKind::Cond),
            ast::RuleKind::Each(q) => cx.query(q).map(hir::RuleKind::Each),
            ast::RuleKind::Latest(q) => cx.query(q).map(hir::RuleKind::Latest),
        };
        let points = cx
            .const_value(&r.points, None, "the points")
            .and_then(|(v, t, sp)| as_f64(&mut cx, &v, &t, sp, "the points"));
        if points == Some(0.0) {
            let d = Diagnostic::warning(
                codes::ZERO_POINTS,
                "this rule is worth 0 points",
                r.points.span,
            )
            .with_label("0 points")
            .with_help("give it points, like `+10`, or remove the rule");
            cx.err(d);
        }
        let cap = match &r.cap {
            None => Some(None),
            Some(c) => {
                if !matches!(r.kind, ast::RuleKind::Each(_)) {
                    let d = Diagnostic::error(
                        codes::CAP_OUT_OF_RANGE,
                        "`up to` only works on `each` rules",
                        c.span,
                    )
                    .with_label("not an `each` rule")
                    .with_help("this rule gives its points at most once; remove `up to`");
                    cx.err(d);
                    None
                } else {
                    match cx
                        .const_value(c, None, "the `up to` cap")
                        .and_then(|(v, t, sp)| as_f64(&mut cx, &v, &t, sp, "the `up to` cap"))
                    {
                        Some(x) if x > 0.0 => Some(Some(x)),
                        Some(_) => {
                            let d = Diagnostic::error(codes::CAP_OUT_OF_RANGE, "the `up to` cap must be more than 0", c.span)
                                .with_label("zero or less")
                                .with_help("write the most points this rule may give in total, like `up to 40`");
                            cx.err(d);
                            None
                        }
                        None => None,
                    }
                }
            }
        };
        match (kind, points, cap) {
            (Some(kind), Some(points), Some(cap)) => rules.push(hir::Rule {
                kind,
                points,
                cap,
                line: lines.line(r.span.start) as u32,
                text: collapse(text.get(r.span.range()).unwrap_or("")),
                span: r.span,
            }),
            _ => ok = false,
        }
    }
    let mut out = Out::default();
    out.take(cx);
    (ok.then_some((decay, range, rules)), out)
}

/// Check one tier's conditions.
fn check_tier(
    sc: &Scope,
    text: &str,
    t: &ast::TierDecl,
    ty: &Ty,
) -> (Option<Vec<hir::TierArm>>, Out) {
    let mut cx = Cx::new(sc, text, Ctx::Lead);
    let mut arms = Vec::new();
    let mut ok = true;
    let Ty::Enum(e) = ty else {
        return (None, Out::default());
    };
    for a in &t.arms {
        let cond = match &a.cond {
            Some(c) => match cx.cond(c) {
                Some(c) => Some(c),
                None => {
                    ok = false;
                    continue;
                }
            },
            None => None,
        };
        if let Some(label) = e.sym_of(&a.label.name) {
            cx.use_value(a.label.span, e, &a.label.name);
            arms.push(hir::TierArm { label, cond });
        }
    }
    let mut out = Out::default();
    out.take(cx);
    (ok.then_some(arms), out)
}

fn stage_sym(cx: &mut Cx, id: &ast::Ident) -> Option<Sym> {
    let stages = cx.sc.schema.stages.clone()?;
    if let Some(s) = stages.sym_of(&id.name) {
        cx.use_value(id.span, &stages, &id.name);
        return Some(s);
    }
    let sugg = did_you_mean(&id.name, stages.variants.iter().map(String::as_str));
    let mut d = Diagnostic::error(
        codes::UNKNOWN_STAGE,
        format!("unknown stage `{}`", id.name),
        id.span,
    )
    .with_label("not a stage");
    match sugg {
        Some(s) => {
            d = d.with_help(format!("did you mean `{s}`?")).with_suggestion(
                id.span,
                s.clone(),
                format!("change to `{s}`"),
            );
        }
        None => d = d.with_help(format!("the stages are {}", stages.variants.join(", "))),
    }
    cx.err(d);
    None
}

pub(crate) type TransParts = (Option<Sym>, Sym, hir::Expr);

/// Check one transition.
fn check_transition(
    sc: &Scope,
    text: &str,
    t: &ast::TransitionDecl,
    keyword: Span,
) -> (Option<TransParts>, Out) {
    let mut cx = Cx::new(sc, text, Ctx::Transition);
    if sc.schema.stages.is_none() {
        let d = Diagnostic::error(
            codes::NO_STAGES,
            "`transition` is used, but this model has no `stages`",
            keyword,
        )
        .with_label("no stages declared")
        .with_help("list the lifecycle first, like `stages prospect, lead, mql`");
        if !sc.stages_broken() {
            cx.err(d);
        }
        let _ = cx.cond(&t.cond);
        let mut out = Out::default();
        out.take(cx);
        return (None, out);
    }
    let from = match &t.from {
        Some(f) => stage_sym(&mut cx, f).map(Some),
        None => Some(None),
    };
    let to = stage_sym(&mut cx, &t.to);
    let cond = cx.cond(&t.cond);
    let mut out = Out::default();
    out.take(cx);
    match (from, to, cond) {
        (Some(f), Some(to), Some(c)) => (Some((f, to, c)), out),
        _ => (None, out),
    }
}

pub(crate) type TestParts = (i64, LeadRecord, Vec<hir::Expr>);

fn test_literal(cx: &mut Cx, e: &ast::Expr, want: &Ty, field: &str) -> Option<Value> {
    let (v, ty, span) = cx.const_value(e, Some(want), "a test value")?;
    match cx.convert(&v, want) {
        Ok(v) => Some(v),
        Err(Some(bad)) => {
            let d = Diagnostic::error(
                codes::TEST_VALUE_TYPE,
                format!(
                    "`{field}` is {}, and `{bad}` is not one of them",
                    want.describe()
                ),
                span,
            )
            .with_label("not a value of this field");
            let d = match want {
                _ if enum_of(want).is_some() => {
                    let en = enum_of(want)?;
                    match did_you_mean(&bad, en.variants.iter().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")).with_suggestion(
                            span,
                            s.clone(),
                            format!("change to `{s}`"),
                        ),
                        None => d.with_help(format!("use one of {}", en.variants.join(", "))),
                    }
                }
                _ => d,
            };
            cx.err(d);
            None
        }
        Err(None) => {
            let d = Diagnostic::error(
                codes::TEST_VALUE_TYPE,
                format!(
                    "`{field}` is {}, but `{}` is {}",
                    want.describe(),
                    cx.show(span),
                    ty.describe()
                ),
                span,
            )
            .with_label("wrong kind of value");
            let written = cx.text.get(span.range()).unwrap_or("");
            let d = match crate::expr::unquoted(written, want) {
                Some(fix) => d
                    .with_help(format!("write `{fix}` without quotes"))
                    .with_suggestion(span, fix.clone(), format!("change to `{fix}`")),
                None => d.with_help(format!("write {} here", want.describe())),
            };
            cx.err(d);
            None
        }
    }
}

/// Check one test and build its lead.
fn check_test(sc: &Scope, text: &str, t: &ast::TestDecl) -> (Option<TestParts>, Out) {
    let mut cx = Cx::new(sc, text, Ctx::Const);
    let mut ok = true;
    let schema = &sc.schema;
    let mut lead = LeadRecord {
        id: LeadId::Str(Arc::from(t.name.value.as_str())),
        fields: vec![Value::Unknown; schema.lead.len()].into_boxed_slice(),
        stage: None,
        stage_since: None,
        events: vec![Vec::new(); schema.events.len()],
    };
    // items at most once each
    let mut seen: HashMap<&'static str, Span> = HashMap::new();
    for it in &t.items {
        let word = match it.kind {
            ast::TestItemKind::AsOf(_) => "as_of",
            ast::TestItemKind::Lead(_) => "lead",
            ast::TestItemKind::Events(_) => "events",
            ast::TestItemKind::Expect(_) => continue,
        };
        if let Some(first) = seen.get(word) {
            let d = Diagnostic::error(
                codes::TEST_ITEM_TWICE,
                format!("this test has `{word}` twice"),
                it.span,
            )
            .with_label("given again")
            .with_secondary(*first, "first given here")
            .with_help(format!("a test has at most one `{word}`; merge them"));
            cx.err(d);
            ok = false;
        } else {
            seen.insert(word, it.span);
        }
    }
    let mut as_of = DEFAULT_AS_OF;
    for it in &t.items {
        if let ast::TestItemKind::AsOf(e) = &it.kind {
            match test_literal(&mut cx, e, &Ty::Time, "as_of") {
                Some(Value::Time(x)) => as_of = x,
                _ => ok = false,
            }
            break;
        }
    }
    let mut expects = Vec::new();
    for it in &t.items {
        match &it.kind {
            ast::TestItemKind::AsOf(_) => {}
            ast::TestItemKind::Lead(fields) => {
                let mut seen_f: HashMap<&str, Span> = HashMap::new();
                for f in fields {
                    let n = f.name.name.as_str();
                    if let Some(first) = seen_f.get(n) {
                        let d = Diagnostic::error(
                            codes::DUPLICATE_TEST_FIELD,
                            format!("`{n}` is given twice in this lead"),
                            f.name.span,
                        )
                        .with_label("given again")
                        .with_secondary(*first, "first given here")
                        .with_help("give each field once");
                        cx.err(d);
                        ok = false;
                        continue;
                    }
                    seen_f.insert(n, f.name.span);
                    let builtin = match n {
                        "id" => Some(Builtin::Id),
                        "stage" => Some(Builtin::Stage),
                        "stage_since" => Some(Builtin::StageSince),
                        _ => None,
                    };
                    if let Some(b) = builtin {
                        cx.uses.push((f.name.span, Target::Builtin(b)));
                    }
                    match n {
                        "id" => match test_literal(&mut cx, &f.value, &Ty::String, "id") {
                            Some(Value::Str(s)) => lead.id = LeadId::Str(s),
                            _ => ok = false,
                        },
                        "stage_since" => {
                            match test_literal(&mut cx, &f.value, &Ty::Time, "stage_since") {
                                Some(Value::Time(x)) => lead.stage_since = Some(x),
                                _ => ok = false,
                            }
                        }
                        "stage" => {
                            let Some(stages) = sc.schema.stages.clone() else {
                                let d = Diagnostic::error(
                                    codes::NO_STAGES,
                                    "`stage` is given, but this model has no `stages`",
                                    f.name.span,
                                )
                                .with_label("no stages declared")
                                .with_help(
                                    "list the lifecycle first, like `stages prospect, lead, mql`",
                                );
                                if !sc.stages_broken() {
                                    cx.err(d);
                                }
                                ok = false;
                                continue;
                            };
                            if let ast::ExprKind::Name(id) = &f.value.kind {
                                if !stages.has(&id.name) && !sc.names.contains_key(&id.name) {
                                    let sugg = did_you_mean(
                                        &id.name,
                                        stages.variants.iter().map(String::as_str),
                                    );
                                    let mut d = Diagnostic::error(
                                        codes::NOT_A_STAGE,
                                        format!("`{}` is not a stage", id.name),
                                        id.span,
                                    )
                                    .with_label("not a stage");
                                    d = match sugg {
                                        Some(s) => d
                                            .with_help(format!("did you mean `{s}`?"))
                                            .with_suggestion(
                                                id.span,
                                                s.clone(),
                                                format!("change to `{s}`"),
                                            ),
                                        None => d.with_help(format!(
                                            "the stages are {}",
                                            stages.variants.join(", ")
                                        )),
                                    };
                                    cx.err(d);
                                    ok = false;
                                    continue;
                                }
                            }
                            match test_literal(&mut cx, &f.value, &Ty::Enum(stages), "stage") {
                                Some(Value::Enum(s)) => lead.stage = Some(s),
                                _ => ok = false,
                            }
                        }
                        _ => match sc.names.get(n).map(|e| e.def) {
                            Some(NameDef::LeadField(slot)) => {
                                cx.uses
                                    .push((f.name.span, Target::Name(NameDef::LeadField(slot))));
                                let want = schema.lead[slot as usize].ty.clone();
                                match test_literal(&mut cx, &f.value, &want, n) {
                                    Some(v) => lead.fields[slot as usize] = v,
                                    None => ok = false,
                                }
                            }
                            _ => {
                                let mut cands: Vec<&str> =
                                    schema.lead.iter().map(|f| f.name.as_str()).collect();
                                cands.extend(["id", "stage", "stage_since"]);
                                let sugg = did_you_mean(n, cands);
                                let mut d = Diagnostic::error(
                                    codes::UNKNOWN_TEST_FIELD,
                                    format!("the lead has no field `{n}`"),
                                    f.name.span,
                                )
                                .with_label("unknown field");
                                d = match sugg {
                                    Some(s) => {
                                        d.with_help(format!("did you mean `{s}`?")).with_suggestion(
                                            f.name.span,
                                            s.clone(),
                                            format!("change to `{s}`"),
                                        )
                                    }
                                    None => d.with_help(
                                        "add the field to `lead { … }`, or remove it here",
                                    ),
                                };
                                cx.err(d);
                                ok = false;
                            }
                        },
                    }
                }
            }
            ast::TestItemKind::Events(evs) => {
                for ev in evs {
                    let q = ast::Query {
                        event: ev.event.clone(),
                        filter: None,
                        within: None,
                        span: ev.event.span,
                    };
                    let saved = cx.ctx;
                    cx.ctx = Ctx::Lead;
                    let query = cx.query(&q);
                    cx.ctx = saved;
                    let Some(query) = query else {
                        ok = false;
                        continue;
                    };
                    let def = &schema.events[query.event as usize];
                    let mut fields = vec![Value::Unknown; def.fields.len()];
                    let mut seen_f: HashMap<&str, Span> = HashMap::new();
                    for f in &ev.fields {
                        let n = f.name.name.as_str();
                        if let Some(first) = seen_f.get(n) {
                            let d = Diagnostic::error(
                                codes::DUPLICATE_TEST_FIELD,
                                format!("`{n}` is given twice in this event"),
                                f.name.span,
                            )
                            .with_label("given again")
                            .with_secondary(*first, "first given here")
                            .with_help("give each field once");
                            cx.err(d);
                            ok = false;
                            continue;
                        }
                        seen_f.insert(n, f.name.span);
                        match def.field(n) {
                            Some(k) => {
                                cx.uses
                                    .push((f.name.span, Target::EventField(query.event, k as u32)));
                                let want = def.fields[k].ty.clone();
                                match test_literal(&mut cx, &f.value, &want, n) {
                                    Some(v) => fields[k] = v,
                                    None => ok = false,
                                }
                            }
                            None => {
                                let sugg =
                                    did_you_mean(n, def.fields.iter().map(|f| f.name.as_str()));
                                let mut d = Diagnostic::error(
                                    codes::UNKNOWN_TEST_FIELD,
                                    format!("the event `{}` has no field `{n}`", def.name),
                                    f.name.span,
                                )
                                .with_label("unknown field");
                                d = match sugg {
                                    Some(s) => {
                                        d.with_help(format!("did you mean `{s}`?")).with_suggestion(
                                            f.name.span,
                                            s.clone(),
                                            format!("change to `{s}`"),
                                        )
                                    }
                                    None => d.with_help(format!(
                                        "add the field to `event {} {{ … }}`, or remove it here",
                                        def.name
                                    )),
                                };
                                cx.err(d);
                                ok = false;
                            }
                        }
                    }
                    let at = match &ev.when {
                        ast::EventWhen::At(e) => match test_literal(&mut cx, e, &Ty::Time, "at") {
                            Some(Value::Time(x)) => Some(x),
                            _ => None,
                        },
                        ast::EventWhen::Ago(e) => {
                            match test_literal(&mut cx, e, &Ty::Duration, "ago") {
                                Some(Value::Duration(d)) => as_of.checked_sub(d),
                                _ => None,
                            }
                        }
                    };
                    match at {
                        Some(at) => lead.events[query.event as usize].push(EventRec {
                            at,
                            fields: fields.into_boxed_slice(),
                        }),
                        None => ok = false,
                    }
                }
            }
            ast::TestItemKind::Expect(e) => {
                cx.ctx = Ctx::Expect;
                match cx.cond(e) {
                    Some(x) => expects.push(x),
                    None => ok = false,
                }
                cx.ctx = Ctx::Const;
            }
        }
    }
    if !t
        .items
        .iter()
        .any(|i| matches!(i.kind, ast::TestItemKind::Expect(_)))
    {
        let d = Diagnostic::error(
            codes::TEST_WITHOUT_EXPECT,
            format!("the test `{}` has no `expect`", t.name.value),
            t.name.span,
        )
        .with_label("nothing is checked")
        .with_help("say what must be true, like `expect fit >= 40` or `expect stage == mql`");
        cx.err(d);
        ok = false;
    }
    lead.sort_events();
    let mut out = Out::default();
    out.take(cx);
    (ok.then_some((as_of, lead, expects)), out)
}

fn enum_of(t: &Ty) -> Option<&Arc<EnumTy>> {
    match t {
        Ty::Enum(e) => Some(e),
        Ty::List(inner) => enum_of(inner),
        _ => None,
    }
}

fn plural_desc(t: &Ty) -> &'static str {
    match t {
        Ty::Bool => "yes/no values",
        Ty::Time => "times",
        Ty::Duration => "durations",
        _ => "lists",
    }
}

/// The declarations at `keys` (indices into `items`) that are of one kind,
/// with their index, file and declaration.
fn pick<'a, T>(
    items: &[(u32, &'a ast::Decl)],
    keys: &[usize],
    kind: impl Fn(&'a DeclKind) -> Option<&'a T>,
) -> Vec<(usize, u32, &'a ast::Decl, &'a T)> {
    keys.iter()
        .filter_map(|&k| {
            let &(f, d) = items.get(k)?;
            Some((k, f, d, kind(&d.kind)?))
        })
        .collect()
}

/// The names that declarations of files with syntax errors seem to declare
/// (`criterion foo = …` that did not parse declares `foo`): uses of them are
/// not reported as unknown, since the syntax error is the real problem.
fn broken_names(files: &[FileSource]) -> HashSet<String> {
    const KEYWORDS: &[&str] = &[
        "event",
        "const",
        "let",
        "criterion",
        "segment",
        "score",
        "tier",
    ];
    let mut out = HashSet::new();
    let parsed = |pred: fn(&DeclKind) -> bool| {
        files
            .iter()
            .any(|f| f.ast.decls.iter().any(|d| pred(&d.kind)))
    };
    let lead_parsed = parsed(|k| matches!(k, DeclKind::Lead(_)));
    let stages_parsed = parsed(|k| matches!(k, DeclKind::Stages(_)));
    for f in files.iter().filter(|f| !f.ast.diagnostics.is_empty()) {
        let declared: HashSet<&str> = f
            .ast
            .decls
            .iter()
            .filter_map(|d| d.kind.name().map(|n| n.name.as_str()))
            .collect();
        let mut in_block = false;
        for line in f.text.lines() {
            let mut words = line.split_whitespace();
            let first = words.next().unwrap_or("");
            let kw = first.split('{').next().unwrap_or("");
            if (kw == "lead" && !lead_parsed) || (kw == "stages" && !stages_parsed) {
                in_block = kw == "lead";
                out.insert(BROKEN_MARK.to_string() + kw);
                add_words(line, &mut out);
                if line.contains('}') {
                    in_block = false;
                }
                continue;
            }
            if in_block {
                add_words(line, &mut out);
                if line.trim_start().starts_with('}') {
                    in_block = false;
                }
                continue;
            }
            let Some(name) = words.next() else {
                continue;
            };
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if KEYWORDS.contains(&kw) && !name.is_empty() && !declared.contains(name.as_str()) {
                out.insert(name);
            }
        }
    }
    out
}

/// Marks, in [`Scope::broken`], that a `lead` or `stages` did not parse.
pub(crate) const BROKEN_MARK: &str = "#broken ";

fn add_words(line: &str, out: &mut HashSet<String>) {
    let line = line.split("//").next().unwrap_or("");
    for w in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if !w.is_empty() {
            out.insert(w.to_string());
        }
    }
}
