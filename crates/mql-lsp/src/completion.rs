//! Completion in context. The text before the cursor may be half-typed and
//! not parse, so the context comes from the scanner's tokens: which
//! declaration the cursor is in, how deep in braces and brackets, and the
//! words just before it. The names offered come from the model's index.

use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind,
};

use crate::analysis::Analysis;
use crate::builtins::FUNCTIONS;
use crate::index::{type_text, DefId, DefKind, Index};
use crate::lex::{self, Kind, Tok};

const DECL_KEYWORDS: &[&str] = &[
    "model",
    "use",
    "lead",
    "event",
    "const",
    "let",
    "criterion",
    "segment",
    "score",
    "tier",
    "stages",
    "transition",
    "test",
];

const EXPR_KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "between",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "true",
    "false",
];

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
    crate::builtins::function(name).is_some_and(|f| f.aggregate)
}

/// One open bracket before the cursor.
#[derive(Clone, Debug)]
struct Frame<'a> {
    open: &'a str,
    /// The word before it (a function name, `lead`, `events`, an event).
    before: Option<&'a str>,
    /// The event whose fields are in scope here.
    event: Option<DefId>,
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
    rule_event: Option<DefId>,
}

fn event_named(ix: &Index, w: &str) -> Option<DefId> {
    ix.top_level(w)
        .filter(|&d| ix.def(d).kind == DefKind::Event)
}

fn context<'a>(ix: &Index, text: &'a str, start: usize) -> Option<Ctx<'a>> {
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
            && DECL_KEYWORDS.contains(&w)
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
                if let Some(ev) = prev.and_then(|p| event_named(ix, p)) {
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
                            f.event = decl_toks.get(p).and_then(|x| event_named(ix, x.text(text)));
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
    kind: CompletionItemKind,
    detail: Option<String>,
    doc: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        documentation: doc.map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d,
            })
        }),
        ..CompletionItem::default()
    }
}

fn keywords(words: &[&str]) -> Vec<CompletionItem> {
    words
        .iter()
        .map(|w| item(w, CompletionItemKind::KEYWORD, None, None))
        .collect()
}

fn def_item(a: &Analysis, d: DefId) -> CompletionItem {
    let def = a.index.def(d);
    let kind = match def.kind {
        DefKind::LeadField | DefKind::EventField { .. } => CompletionItemKind::FIELD,
        DefKind::Event => CompletionItemKind::EVENT,
        DefKind::Const => CompletionItemKind::CONSTANT,
        DefKind::Let | DefKind::Criterion | DefKind::Segment | DefKind::Score => {
            CompletionItemKind::VARIABLE
        }
        DefKind::Tier => CompletionItemKind::ENUM,
        DefKind::Model => CompletionItemKind::MODULE,
        DefKind::TierLabel { .. } | DefKind::Stage | DefKind::Variant { .. } => {
            CompletionItemKind::ENUM_MEMBER
        }
    };
    let path = &a.index.files[def.file].path;
    let ty = def
        .ty
        .as_ref()
        .map(type_text)
        .or_else(|| a.sema_def(path, def.span).and_then(|s| s.ty.clone()));
    let detail = match ty {
        Some(t) => format!("{} · {t}", def.kind.describe()),
        None => def.kind.describe().to_string(),
    };
    item(&def.name, kind, Some(detail), def.doc.clone())
}

/// The values an operand named `word` can be compared with, if it is an enum.
fn variants_of(a: &Analysis, word: &str, event: Option<DefId>) -> Option<Vec<DefId>> {
    if word == "stage" {
        return Some(a.index.stages.clone());
    }
    let d = event
        .and_then(|e| a.index.event_field(e, word))
        .or_else(|| a.index.top_level(word))?;
    let def = a.index.def(d);
    matches!(
        def.kind,
        DefKind::LeadField | DefKind::EventField { .. } | DefKind::Tier
    )
    .then(|| def.children.clone())
    .filter(|c| !c.is_empty())
}

fn defs_where(a: &Analysis, f: impl Fn(DefKind) -> bool) -> Vec<CompletionItem> {
    let mut seen = std::collections::HashSet::new();
    a.index
        .defs
        .iter()
        .enumerate()
        .filter(|(_, d)| f(d.kind) && seen.insert(d.name.clone()))
        .map(|(i, _)| def_item(a, DefId(i as u32)))
        .collect()
}

fn events(a: &Analysis) -> Vec<CompletionItem> {
    defs_where(a, |k| k == DefKind::Event)
}

fn stages(a: &Analysis) -> Vec<CompletionItem> {
    a.index.stages.iter().map(|&s| def_item(a, s)).collect()
}

fn expression(a: &Analysis, ctx: &Ctx, event: Option<DefId>) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    if let Some(ev) = event {
        out.extend(a.index.def(ev).children.iter().map(|&c| def_item(a, c)));
        out.push(item(
            "at",
            CompletionItemKind::FIELD,
            Some("event field · time".into()),
            Some("when the event happened".into()),
        ));
    }
    out.extend(defs_where(a, |k| k.is_top_level() && k != DefKind::Event));
    for f in FUNCTIONS {
        out.push(item(
            f.name,
            CompletionItemKind::FUNCTION,
            Some(crate::builtins::signature_label(f, 0)),
            Some(f.doc.to_string()),
        ));
    }
    out.push(item(
        "now",
        CompletionItemKind::VARIABLE,
        Some("time".into()),
        None,
    ));
    match ctx.decl {
        Some("test") => out.push(item(
            "stage",
            CompletionItemKind::VARIABLE,
            Some("the final stage".into()),
            None,
        )),
        Some("transition") => out.push(item(
            "time_in_stage",
            CompletionItemKind::VARIABLE,
            Some("duration".into()),
            None,
        )),
        _ => {}
    }
    out.extend(keywords(EXPR_KEYWORDS));
    out
}

/// Completions at byte `offset` of file `file`.
pub fn complete(a: &Analysis, file: usize, offset: usize) -> Vec<CompletionItem> {
    let data = &a.index.files[file];
    let text = &*data.text;
    let mut start = offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while start > 0 && text[..start].ends_with(|c: char| lex::is_ident_char(c)) {
        start -= 1;
    }
    let Some(ctx) = context(&a.index, text, start) else {
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
        return keywords(DECL_KEYWORDS);
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
            if let Some(vs) = prev2.and_then(|w| variants_of(a, w, event)) {
                return vs.iter().map(|&v| def_item(a, v)).collect();
            }
        }
    }
    if let Some(f) = top {
        if f.open == "[" && matches!(prev, Some("[" | ",")) {
            if let Some(vs) = f.list_of.and_then(|w| variants_of(a, w, event)) {
                return vs.iter().map(|&v| def_item(a, v)).collect();
            }
        }
    }
    match ctx.decl {
        Some("use" | "model" | "stages") => return Vec::new(),
        Some("lead" | "event") => {
            if matches!(prev, Some(":")) {
                return keywords(lex::TYPE_WORDS);
            }
            if matches!(prev, Some("<")) {
                return keywords(&["int", "number", "string", "enum"]);
            }
            return Vec::new();
        }
        Some("transition") => match prev {
            Some("transition") => {
                let mut out = stages(a);
                out.extend(keywords(&["any"]));
                return out;
            }
            Some("->") => return stages(a),
            _ if prev2 == Some("->") => return keywords(&["when"]),
            _ if prev2 == Some("transition") => return keywords(&["->"]),
            _ => {}
        },
        Some("score") => match prev {
            Some("each" | "latest") => return events(a),
            Some("decay") => return keywords(&["half_life", "linear", "none"]),
            _ if depth == 1 && ctx.first_on_line && !continues => {
                let mut out = keywords(&["decay", "range", "each", "latest"]);
                out.extend(expression(a, &ctx, None));
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
                        return variants_of(a, field, None)
                            .map(|vs| vs.iter().map(|&v| def_item(a, v)).collect())
                            .unwrap_or_default();
                    }
                    let mut out = defs_where(a, |k| k == DefKind::LeadField);
                    out.extend(keywords(&["stage", "stage_since", "id"]));
                    return out;
                }
                if before == Some("events") && depth == 2 {
                    return events(a);
                }
                if in_events {
                    let ev = before.and_then(|b| event_named(&a.index, b));
                    if prev == Some(":") {
                        return prev2
                            .and_then(|w| variants_of(a, w, ev))
                            .map(|vs| vs.iter().map(|&v| def_item(a, v)).collect())
                            .unwrap_or_default();
                    }
                    return ev
                        .map(|e| {
                            a.index
                                .def(e)
                                .children
                                .iter()
                                .map(|&c| def_item(a, c))
                                .collect()
                        })
                        .unwrap_or_default();
                }
            }
        }
        _ => {}
    }
    // An aggregate's first argument is an event.
    if let Some(f) = top {
        if f.open == "(" && prev == Some("(") && f.before.is_some_and(is_aggregate) {
            let mut out = events(a);
            if matches!(f.before, Some("min" | "max")) {
                out.extend(expression(a, &ctx, None));
            }
            return out;
        }
    }
    if ctx.decl == Some("tier") && depth == 1 && ctx.first_on_line && !continues {
        return Vec::new();
    }
    let mut out = expression(a, &ctx, event);
    if event.is_some() && prev.is_some_and(|p| !CONTINUES.contains(&p)) {
        out.extend(keywords(&["within"]));
    }
    out
}
