//! Semantic highlighting: keywords, comments, literals and operators from
//! the scanner, and every name coloured by what the checker resolved it to
//! (field, event, const, score, stage, …), declarations marked as such.

use std::collections::HashMap;

use mql_core::Span;
use mql_db::Database;
use mql_sema::index::{Builtin, DefKind, Target};

use crate::lex::{self, Kind};
use crate::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HighlightKind {
    Keyword,
    Comment,
    String,
    Number,
    Operator,
    Variable,
    Property,
    Function,
    Type,
    EnumMember,
    Event,
    Namespace,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HighlightMods {
    /// The name is declared here.
    pub declaration: bool,
    /// It never changes (a const, a built-in name).
    pub readonly: bool,
    /// A doc comment.
    pub documentation: bool,
    /// Part of the language (a function, `now`).
    pub default_library: bool,
}

/// One coloured range of a file (never spanning lines: a string over
/// several lines is one range per line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Highlight {
    pub span: Span,
    pub kind: HighlightKind,
    pub mods: HighlightMods,
}

/// Is this punctuation an operator worth colouring?
fn is_operator(p: &str) -> bool {
    matches!(
        p,
        "=>" | "->" | "==" | "!=" | "<=" | ">=" | "<" | ">" | "+" | "-" | "*" | "/" | "="
    )
}

fn name_kind(target: Target, m: &Model) -> (HighlightKind, HighlightMods) {
    let plain = HighlightMods::default();
    match target {
        Target::Builtin(Builtin::Function) => (
            HighlightKind::Function,
            HighlightMods {
                default_library: true,
                ..plain
            },
        ),
        Target::Builtin(_) => (
            HighlightKind::Variable,
            HighlightMods {
                default_library: true,
                readonly: true,
                ..plain
            },
        ),
        Target::Def(d) => match m.def(d).map(|d| d.kind) {
            Some(DefKind::Model) => (HighlightKind::Namespace, plain),
            Some(DefKind::LeadField | DefKind::EventField) => (HighlightKind::Property, plain),
            Some(DefKind::Event) => (HighlightKind::Event, plain),
            Some(DefKind::Const) => (
                HighlightKind::Variable,
                HighlightMods {
                    readonly: true,
                    ..plain
                },
            ),
            Some(DefKind::Tier) => (HighlightKind::Type, plain),
            Some(DefKind::TierLabel | DefKind::Stage | DefKind::Variant) => {
                (HighlightKind::EnumMember, plain)
            }
            Some(DefKind::Let | DefKind::Criterion | DefKind::Segment | DefKind::Score) | None => {
                (HighlightKind::Variable, plain)
            }
        },
    }
}

pub fn highlight(db: &Database, path: &str) -> Vec<Highlight> {
    let m = Model::new(db, path);
    let text = m.text(path);
    let text = &*text;
    // Every name of the file: its target and whether it is declared here.
    let mut names: HashMap<(u32, u32), (Target, bool)> = HashMap::new();
    for r in m.index.refs_in(path) {
        names.insert((r.span.start, r.span.end), (r.target, false));
    }
    for (i, d) in m.index.defs.iter().enumerate() {
        if *d.file == *path {
            names.insert((d.span.start, d.span.end), (Target::Def(i), true));
        }
    }
    let mut out = Vec::new();
    let mut emit = |start: usize, end: usize, kind: HighlightKind, mods: HighlightMods| {
        // A range may not span lines: split multi-line strings.
        let mut s = start;
        while s < end {
            let line_end = text[s..end].find('\n').map_or(end, |n| s + n);
            if line_end > s {
                out.push(Highlight {
                    span: Span::new(s, line_end),
                    kind,
                    mods,
                });
            }
            s = line_end + 1;
        }
    };
    let plain = HighlightMods::default();
    for tok in lex::scan(text) {
        let word = tok.text(text);
        match tok.kind {
            Kind::Comment => emit(tok.start, tok.end, HighlightKind::Comment, plain),
            Kind::DocComment => emit(
                tok.start,
                tok.end,
                HighlightKind::Comment,
                HighlightMods {
                    documentation: true,
                    ..plain
                },
            ),
            Kind::Str { .. } => emit(tok.start, tok.end, HighlightKind::String, plain),
            Kind::Number | Kind::Time => emit(tok.start, tok.end, HighlightKind::Number, plain),
            Kind::Punct => {
                if is_operator(word) {
                    emit(tok.start, tok.end, HighlightKind::Operator, plain)
                }
            }
            Kind::Word => {
                if let Some(&(target, is_def)) = names.get(&(tok.start as u32, tok.end as u32)) {
                    let (kind, mut mods) = name_kind(target, &m);
                    mods.declaration = is_def;
                    emit(tok.start, tok.end, kind, mods);
                } else if let Some(w) = mql_syntax::words::word(word) {
                    let kind = if w.role == mql_syntax::words::Role::Type {
                        HighlightKind::Type
                    } else {
                        HighlightKind::Keyword
                    };
                    emit(tok.start, tok.end, kind, plain);
                }
            }
        }
    }
    out
}
