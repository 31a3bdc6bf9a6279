//! Semantic tokens: keywords, comments, literals and operators from the
//! scanner, and every name coloured by what it resolves to (field, event,
//! const, score, stage, …), declarations marked as such.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend,
};

use crate::index::{Builtin, DefKind, Index, Target};
use crate::lex::{self, Kind};

const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::COMMENT,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::TYPE,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::EVENT,
    SemanticTokenType::NAMESPACE,
];

const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::READONLY,
    SemanticTokenModifier::DOCUMENTATION,
    SemanticTokenModifier::DEFAULT_LIBRARY,
];

#[derive(Clone, Copy)]
#[repr(u32)]
enum T {
    Keyword = 0,
    Comment,
    Str,
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

const DECLARATION: u32 = 1;
const READONLY: u32 = 2;
const DOCUMENTATION: u32 = 4;
const DEFAULT_LIBRARY: u32 = 8;

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// Is this punctuation an operator worth colouring?
fn is_operator(p: &str) -> bool {
    matches!(
        p,
        "=>" | "->" | "==" | "!=" | "<=" | ">=" | "<" | ">" | "+" | "-" | "*" | "/" | "="
    )
}

pub fn semantic_tokens(ix: &Index, file: usize) -> Vec<SemanticToken> {
    let data = &ix.files[file];
    let text = &*data.text;
    let refs: HashMap<(u32, u32), _> = ix
        .refs
        .iter()
        .filter(|r| r.file == file)
        .map(|r| ((r.span.start, r.span.end), *r))
        .collect();
    let mut out = Vec::new();
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    let mut emit = |start: usize, end: usize, ty: T, mods: u32| {
        // A token may not span lines: split multi-line strings.
        let mut s = start;
        while s < end {
            let line_end = text[s..end].find('\n').map_or(end, |n| s + n);
            if line_end > s {
                let p = data.lines.position(text, s);
                let len: usize = text[s..line_end].chars().map(char::len_utf16).sum();
                let delta_line = p.line - prev_line;
                let delta_start = if delta_line == 0 {
                    p.character - prev_col
                } else {
                    p.character
                };
                out.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length: len as u32,
                    token_type: ty as u32,
                    token_modifiers_bitset: mods,
                });
                prev_line = p.line;
                prev_col = p.character;
            }
            s = line_end + 1;
        }
    };
    for tok in lex::scan(text) {
        let word = tok.text(text);
        match tok.kind {
            Kind::Comment => emit(tok.start, tok.end, T::Comment, 0),
            Kind::DocComment => emit(tok.start, tok.end, T::Comment, DOCUMENTATION),
            Kind::Str { .. } => emit(tok.start, tok.end, T::Str, 0),
            Kind::Number | Kind::Time => emit(tok.start, tok.end, T::Number, 0),
            Kind::Punct => {
                if is_operator(word) {
                    emit(tok.start, tok.end, T::Operator, 0)
                }
            }
            Kind::Word => {
                if let Some(r) = refs.get(&(tok.start as u32, tok.end as u32)) {
                    let decl = if r.is_def { DECLARATION } else { 0 };
                    let (ty, mods) = match r.target {
                        Target::Builtin(Builtin::Function) => (T::Function, DEFAULT_LIBRARY),
                        Target::Builtin(_) => (T::Variable, DEFAULT_LIBRARY | READONLY),
                        Target::Def(d) => match ix.def(d).kind {
                            DefKind::Model => (T::Namespace, 0),
                            DefKind::LeadField | DefKind::EventField { .. } => (T::Property, 0),
                            DefKind::Event => (T::Event, 0),
                            DefKind::Const => (T::Variable, READONLY),
                            DefKind::Let
                            | DefKind::Criterion
                            | DefKind::Segment
                            | DefKind::Score => (T::Variable, 0),
                            DefKind::Tier => (T::Type, 0),
                            DefKind::TierLabel { .. }
                            | DefKind::Stage
                            | DefKind::Variant { .. } => (T::EnumMember, 0),
                        },
                    };
                    emit(tok.start, tok.end, ty, mods | decl);
                } else if lex::TYPE_WORDS.contains(&word) {
                    emit(tok.start, tok.end, T::Type, 0);
                } else if lex::is_keyword(word) || lex::CONTEXTUAL.contains(&word) {
                    emit(tok.start, tok.end, T::Keyword, 0);
                }
            }
        }
    }
    out
}
