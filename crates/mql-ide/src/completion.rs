//! Completion in context. The text before the cursor may be half-typed and
//! not parse, so the context comes from the scanner's tokens: which
//! declaration the cursor is in, how deep in braces and brackets, and the
//! words just before it. The names offered come from the checker's name
//! index; the words from the language's tables. When the author has typed
//! part of a name, only the items whose letters follow in order are sent.

use mql_core::Span;
use mql_db::Database;
use mql_sema::builtins::{self, FUNCTIONS};
use mql_sema::index::DefKind;
use mql_syntax::words::{self, Role};

use crate::lex::{self, Kind, Tok};
use crate::model::{self, Model};
use crate::{FilePosition, TextEdit};

/// What a completion item is, for its icon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Field,
    Event,
    Constant,
    Variable,
    Enum,
    EnumMember,
    Function,
    Module,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// One line: what it is and its type (`lead field · int`).
    pub detail: Option<String>,
    /// Its doc comment or meaning (Markdown).
    pub doc: Option<String>,
    /// When choosing it must replace more than the name being typed.
    pub edit: Option<TextEdit>,
}

/// The items offered, and whether some were left out because they do not
/// match what was typed (the editor should ask again as typing goes on).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    pub items: Vec<CompletionItem>,
    pub incomplete: bool,
}

fn decl_keywords() -> Vec<&'static str> {
    words::with_role(Role::Declaration).collect()
}

fn expr_keywords() -> Vec<&'static str> {
    words::with_role(Role::Operator)
        .chain(words::with_role(Role::Literal))
        .collect()
}

fn type_words() -> Vec<&'static str> {
    words::with_role(Role::Type).collect()
}

/// Words after which an expression continues on the next line.
const CONTINUES: &[&str] = &[
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "and",
    "or",
    "not",
    "in",
    "when",
    "->",
    ",",
    "(",
    "[",
    "=>",
    "between",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "where",
    "within",
    "to",
];

fn is_aggregate(name: &str) -> bool {
    builtins::function(name).is_some_and(|f| f.aggregate)
}

/// One open bracket before the cursor.
#[derive(Clone, Debug)]
struct Frame<'a> {
    open: &'a str,
    /// The word before it (a function name, `lead`, `events`, an event).
    before: Option<&'a str>,
    /// The event whose fields are in scope here.
    event: Option<usize>,
    /// Word before `in` / `==` when this is a list after `x in`.
    list_of: Option<&'a str>,
}

struct Ctx<'a> {
    decl: Option<&'a str>,
    frames: Vec<Frame<'a>>,
    /// Significant tokens of the current declaration before the cursor.
    toks: Vec<&'a str>,
    first_on_line: bool,
    /// The event of a top-level `each`/`latest EVENT where …` of a score rule.
    rule_event: Option<usize>,
}

fn event_named(m: &Model, w: &str) -> Option<usize> {
    m.index
        .lookup(w)
        .filter(|&d| m.def(d).is_some_and(|d| d.kind == DefKind::Event))
}

fn context<'a>(m: &Model, text: &'a str, start: usize) -> Option<Ctx<'a>> {
    let all = lex::scan(text);
    // Inside a comment or a string (a comment or an open string runs to
    // its line's end): nothing to complete.
    if all.iter().any(|t| {
        matches!(t.kind, Kind::Comment | Kind::DocComment | Kind::Str { .. })
            && t.start < start
            && (start < t.end || (t.kind != Kind::Str { closed: true } && start == t.end))
    }) {
        return None;
    }
    let toks: Vec<&Tok> = all
        .iter()
        .filter(|t| t.end <= start && !matches!(t.kind, Kind::Comment | Kind::DocComment))
        .collect();
    let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
    let first_on_line = toks.last().is_none_or(|t| t.end <= line_start);
    // Find where the current declaration starts: a declaration keyword first
    // on its line at depth 0 (`lead` only when a `{` follows).
    let mut depth = 0i32;
    let mut decl_at = None;
    for (i, t) in toks.iter().enumerate() {
        let w = t.text(text);
        match w {
            "{" | "(" | "[" => depth += 1,
            "}" | ")" | "]" => depth = (depth - 1).max(0),
            _ => {}
        }
        // First on its line: a line break since the previous token (comments
        // were left out, and end at a line break).
        let at_line_start = match i.checked_sub(1) {
            Some(p) => text[toks[p].end..t.start].contains('\n'),
            None => {
                let line = text[..t.start].rfind('\n').map_or(0, |n| n + 1);
                text[line..t.start].trim().is_empty()
            }
        };
        let is_decl = t.kind == Kind::Word
            && words::word(w).is_some_and(|x| x.role == Role::Declaration)
            && depth == 0
            && at_line_start
            && (w != "lead" || toks.get(i + 1).is_none_or(|n| n.text(text) == "{"));
        if is_decl {
            decl_at = Some(i);
        }
    }
    let decl_toks: Vec<&Tok> = decl_at.map_or(Vec::new(), |i| toks[i..].to_vec());
    let mut frames: Vec<Frame> = Vec::new();
    let mut rule_event = None;
    let mut prev: Option<&str> = None;
    let mut prev2: Option<&str> = None;
    for (i, t) in decl_toks.iter().enumerate() {
        let w = t.text(text);
        match w {
            "{" | "(" | "[" => {
                let list_of = (w == "[" && matches!(prev, Some("in" | "==" | "!=")))
                    .then(|| prev2.unwrap_or(""));
                let starts_query = w == "(" && prev.is_some_and(is_aggregate);
                let event = if starts_query {
                    None
                } else {
                    frames.last().and_then(|f| f.event)
                };
                frames.push(Frame {
                    open: w,
                    before: prev,
                    event,
                    list_of,
                });
            }
            "}" | ")" | "]" => {
                frames.pop();
            }
            "where" => {
                if let Some(ev) = prev.and_then(|p| event_named(m, p)) {
                    match frames.last_mut() {
                        Some(f) if f.open == "(" => f.event = Some(ev),
                        _ => rule_event = Some(ev),
                    }
                }
            }
            "within" | "=>" => match frames.last_mut() {
                Some(f) if f.open == "(" && w == "within" => f.event = None,
                _ => rule_event = None,
            },
            "," => {
                // `sum(page_view where …, seconds)`: the event stays in scope
                // for the aggregate's later arguments.
                if let Some(f) = frames.last_mut() {
                    if f.open == "(" && f.before.is_some_and(is_aggregate) && f.event.is_none() {
                        // The first word after the paren names the event.
                        let opened = decl_toks[..i]
                            .iter()
                            .rposition(|x| x.text(text) == "(")
                            .map(|p| p + 1);
                        if let Some(p) = opened {
                            f.event = decl_toks.get(p).and_then(|x| event_named(m, x.text(text)));
                        }
                    }
                }
            }
            _ => {}
        }
        prev2 = prev;
        prev = Some(w);
    }
    Some(Ctx {
        decl: decl_at.map(|i| toks[i].text(text)),
        frames,
        toks: decl_toks.iter().map(|t| t.text(text)).collect(),
        first_on_line,
        rule_event,
    })
}

fn item(
    label: &str,
    kind: CompletionKind,
    detail: Option<String>,
    doc: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind,
        detail,
        doc,
        edit: None,
    }
}

fn keywords(words: &[&str]) -> Vec<CompletionItem> {
    words
        .iter()
        .map(|w| item(w, CompletionKind::Keyword, None, None))
        .collect()
}

fn def_item(m: &Model, d: usize) -> Option<CompletionItem> {
    let def = m.def(d)?;
    let kind = match def.kind {
        DefKind::LeadField | DefKind::EventField => CompletionKind::Field,
        DefKind::Event => CompletionKind::Event,
        DefKind::Const => CompletionKind::Constant,
        DefKind::Let | DefKind::Criterion | DefKind::Segment | DefKind::Score => {
            CompletionKind::Variable
        }
        DefKind::Tier => CompletionKind::Enum,
        DefKind::Model => CompletionKind::Module,
        DefKind::TierLabel | DefKind::Stage | DefKind::Variant => CompletionKind::EnumMember,
    };
    let detail = match &def.ty {
        Some(t) => format!("{} · {t}", def.kind.describe()),
        None => def.kind.describe().to_string(),
    };
    Some(item(&def.name, kind, Some(detail), def.doc.clone()))
}

fn def_items(m: &Model, ids: impl IntoIterator<Item = usize>) -> Vec<CompletionItem> {
    ids.into_iter().filter_map(|d| def_item(m, d)).collect()
}

/// The values an operand named `word` can be compared with, if it is an enum.
fn variants_of(m: &Model, word: &str, event: Option<usize>) -> Option<Vec<usize>> {
    if word == "stage" {
        return Some(m.index.stages().collect());
    }
    let d = event
        .and_then(|e| {
            m.children(e)
                .into_iter()
                .find(|&c| m.def(c).is_some_and(|d| d.name == word))
        })
        .or_else(|| m.index.lookup(word))?;
    let def = m.def(d)?;
    matches!(
        def.kind,
        DefKind::LeadField | DefKind::EventField | DefKind::Tier
    )
    .then(|| m.children(d))
    .filter(|c| !c.is_empty())
}

fn defs_where(m: &Model, f: impl Fn(DefKind) -> bool) -> Vec<CompletionItem> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<usize> = m
        .index
        .defs
        .iter()
        .enumerate()
        .filter(|(_, d)| f(d.kind) && seen.insert(d.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    def_items(m, ids)
}

fn events(m: &Model) -> Vec<CompletionItem> {
    defs_where(m, |k| k == DefKind::Event)
}

fn stages(m: &Model) -> Vec<CompletionItem> {
    def_items(m, m.index.stages())
}

fn expression(m: &Model, ctx: &Ctx, event: Option<usize>) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    if let Some(ev) = event {
        out.extend(def_items(m, m.children(ev)));
        let at = builtins::name("at");
        out.push(item(
            "at",
            CompletionKind::Field,
            Some("event field · time".into()),
            at.map(|b| b.doc.to_string()),
        ));
    }
    out.extend(defs_where(m, |k| k.is_top_level() && k != DefKind::Event));
    for f in FUNCTIONS {
        out.push(item(
            f.name,
            CompletionKind::Function,
            Some(builtins::signature_label(f, 0)),
            Some(f.doc.to_string()),
        ));
    }
    let builtin = |name: &str, detail: &str| {
        let b = builtins::name(name);
        item(
            name,
            CompletionKind::Variable,
            Some(detail.to_string()),
            b.map(|b| b.doc.to_string()),
        )
    };
    out.push(builtin("now", "time"));
    match ctx.decl {
        Some("test") => out.push(builtin("stage", "the final stage")),
        Some("transition") => out.push(builtin("time_in_stage", "duration")),
        _ => {}
    }
    out.extend(keywords(&expr_keywords()));
    out
}

/// The completions at a position: the items for the context, narrowed to
/// those matching the part of a name already typed.
pub fn complete(db: &Database, pos: &FilePosition) -> Completions {
    let m = model::at(db, pos);
    let text = m.text(&pos.path);
    let text = &*text;
    let mut offset = pos.offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let mut start = offset;
    while start > 0 && text[..start].ends_with(|c: char| lex::is_ident_char(c)) {
        start -= 1;
    }
    let typed = &text[start..offset];
    let items = match after_dot(&m, text, start, offset) {
        Some(items) => items,
        None => items(&m, text, start),
    };
    narrow(items, typed)
}

/// Keep the items whose label has the typed letters in order (any case).
fn narrow(items: Vec<CompletionItem>, typed: &str) -> Completions {
    if typed.is_empty() {
        return Completions {
            items,
            incomplete: false,
        };
    }
    let want: Vec<char> = typed.chars().flat_map(char::to_lowercase).collect();
    let all = items.len();
    let items: Vec<CompletionItem> = items
        .into_iter()
        .filter(|i| {
            let mut w = want.iter().peekable();
            for c in i.label.chars().flat_map(char::to_lowercase) {
                if w.peek() == Some(&&c) {
                    w.next();
                }
            }
            w.peek().is_none()
        })
        .collect();
    Completions {
        incomplete: items.len() < all,
        items,
    }
}

/// After `lead.`: fields are written without `lead.`, so each lead field
/// is offered with an edit that removes it. After any other `x.`, nothing:
/// the language has no dotted names.
fn after_dot(m: &Model, text: &str, start: usize, offset: usize) -> Option<Vec<CompletionItem>> {
    let before = text[..start].strip_suffix('.')?;
    let word_start = before
        .rfind(|c: char| !lex::is_ident_char(c))
        .map_or(0, |i| i + 1);
    let word = &before[word_start..];
    if word != "lead" {
        return Some(Vec::new());
    }
    let fields = m
        .index
        .defs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == DefKind::LeadField)
        .map(|(i, _)| i);
    let span = Span::new(word_start, offset);
    Some(
        def_items(m, fields)
            .into_iter()
            .map(|mut i| {
                i.detail = Some(format!(
                    "{} (written without `lead.`)",
                    i.detail.unwrap_or_default()
                ));
                i.edit = Some(TextEdit {
                    span,
                    new_text: i.label.clone(),
                });
                i
            })
            .collect(),
    )
}

/// The items for the context at `start` (where the name being typed
/// starts), not yet narrowed.
fn items(m: &Model, text: &str, start: usize) -> Vec<CompletionItem> {
    let Some(ctx) = context(m, text, start) else {
        return Vec::new();
    };
    let prev = ctx.toks.last().copied();
    let prev2 = ctx
        .toks
        .len()
        .checked_sub(2)
        .and_then(|i| ctx.toks.get(i))
        .copied();
    let depth = ctx.frames.len();
    let continues = prev.is_some_and(|p| CONTINUES.contains(&p));
    if ctx.decl.is_none() || (depth == 0 && ctx.first_on_line && !continues) {
        return keywords(&decl_keywords());
    }
    let event = ctx
        .frames
        .iter()
        .rev()
        .find_map(|f| f.event)
        .or(ctx.rule_event);
    let top = ctx.frames.last();
    // Enum values after `==`, `!=`, or inside `x in [ … ]`.
    if let Some(p) = prev {
        if matches!(p, "==" | "!=" | "in") {
            if let Some(vs) = prev2.and_then(|w| variants_of(m, w, event)) {
                return def_items(m, vs);
            }
        }
    }
    if let Some(f) = top {
        if f.open == "[" && matches!(prev, Some("[" | ",")) {
            if let Some(vs) = f.list_of.and_then(|w| variants_of(m, w, event)) {
                return def_items(m, vs);
            }
        }
    }
    match ctx.decl {
        Some("use" | "model" | "stages") => return Vec::new(),
        Some("lead" | "event") => {
            if matches!(prev, Some(":")) {
                return keywords(&type_words());
            }
            if matches!(prev, Some("<")) {
                return keywords(&["int", "number", "string", "enum"]);
            }
            return Vec::new();
        }
        Some("transition") => match prev {
            Some("transition") => {
                let mut out = stages(m);
                out.extend(keywords(&["any"]));
                return out;
            }
            Some("->") => return stages(m),
            _ if prev2 == Some("->") => return keywords(&["when"]),
            _ if prev2 == Some("transition") => return keywords(&["->"]),
            _ => {}
        },
        Some("score") => match prev {
            Some("each" | "latest") => return events(m),
            Some("decay") => return keywords(&["half_life", "linear", "none"]),
            _ if depth == 1 && ctx.first_on_line && !continues => {
                let mut out = keywords(&["decay", "range", "each", "latest"]);
                out.extend(expression(m, &ctx, None));
                return out;
            }
            _ => {}
        },
        Some("test") => {
            if depth == 1 && ctx.first_on_line && !continues {
                return keywords(&["as_of", "lead", "events", "expect"]);
            }
            let before = top.and_then(|f| f.before);
            if top.is_some_and(|f| f.open == "{") {
                let grand = depth.checked_sub(2).and_then(|i| ctx.frames.get(i));
                let in_events = grand.is_some_and(|g| g.before == Some("events"));
                if before == Some("lead") && depth == 2 {
                    if prev == Some(":") {
                        let field = prev2.unwrap_or("");
                        return variants_of(m, field, None)
                            .map(|vs| def_items(m, vs))
                            .unwrap_or_default();
                    }
                    let mut out = defs_where(m, |k| k == DefKind::LeadField);
                    out.extend(keywords(&["stage", "stage_since", "id"]));
                    return out;
                }
                if before == Some("events") && depth == 2 {
                    return events(m);
                }
                if in_events {
                    let ev = before.and_then(|b| event_named(m, b));
                    if prev == Some(":") {
                        return prev2
                            .and_then(|w| variants_of(m, w, ev))
                            .map(|vs| def_items(m, vs))
                            .unwrap_or_default();
                    }
                    return ev.map(|e| def_items(m, m.children(e))).unwrap_or_default();
                }
            }
        }
        _ => {}
    }
    // An aggregate's first argument is an event.
    if let Some(f) = top {
        if f.open == "(" && prev == Some("(") && f.before.is_some_and(is_aggregate) {
            let mut out = events(m);
            if matches!(f.before, Some("min" | "max")) {
                out.extend(expression(m, &ctx, None));
            }
            return out;
        }
    }
    if ctx.decl == Some("tier") && depth == 1 && ctx.first_on_line && !continues {
        return Vec::new();
    }
    let mut out = expression(m, &ctx, event);
    if event.is_some() && prev.is_some_and(|p| !CONTINUES.contains(&p)) {
        out.extend(keywords(&["within"]));
    }
    out
}
