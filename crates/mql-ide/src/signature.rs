//! Inlay hints (each score's reachable points after its name) and
//! signature help for functions and aggregates.

use mql_core::Span;
use mql_db::Database;
use mql_sema::builtins;
use mql_sema::index::DefKind;
use mql_syntax::ast::DeclKind;

use crate::hover::{range_text, score_range};
use crate::lex::{self, Kind};
use crate::model::Model;
use crate::FilePosition;

/// A note shown in the text, after `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    pub offset: usize,
    pub label: String,
    pub tooltip: String,
}

/// One overload of a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// `round(x: number, digits: int) -> number`
    pub label: String,
    pub doc: String,
    /// Each parameter as written in the label.
    pub params: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    pub signatures: Vec<Signature>,
    pub active_signature: usize,
    pub active_parameter: usize,
}

/// The reachable points of each score declared in `span` of `path`.
pub fn inlay_hints(db: &Database, path: &str, span: Span) -> Vec<InlayHint> {
    let m = Model::new(db, path);
    let ast = m.ast(path);
    let mut out = Vec::new();
    for decl in &ast.decls {
        let DeclKind::Score(s) = &decl.kind else {
            continue;
        };
        let at = s.name.span.end;
        if at < span.start || at > span.end {
            continue;
        }
        let Some((d, _)) = m.def_at(s.name.span.start as usize) else {
            continue;
        };
        let Some(def) = m.def(d).filter(|def| def.kind == DefKind::Score) else {
            continue;
        };
        let Some(r) = score_range(&m, def) else {
            continue;
        };
        out.push(InlayHint {
            offset: at as usize,
            label: format!("reaches {}", range_text(r)),
            tooltip: "the fewest and the most points this score's rules can give, after its range"
                .into(),
        });
    }
    out
}

pub fn signature_help(db: &Database, pos: &FilePosition) -> Option<SignatureHelp> {
    let m = Model::new(db, &pos.path);
    let text = m.text(&pos.path);
    let text = &*text;
    let offset = pos.offset.min(text.len());
    // Open brackets before the cursor: (function name if a call, commas,
    // first word inside).
    let mut stack: Vec<(Option<&str>, usize, Option<&str>)> = Vec::new();
    let toks = lex::scan(text);
    let mut prev_word: Option<&str> = None;
    for t in toks.iter().take_while(|t| t.end <= offset) {
        let w = t.text(text);
        if let Some(top) = stack.last_mut() {
            if top.2.is_none() && t.kind == Kind::Word {
                top.2 = Some(w);
            }
        }
        match (t.kind, w) {
            (Kind::Punct, "(") => stack.push((prev_word.take(), 0, None)),
            (Kind::Punct, "[") => stack.push((None, 0, None)),
            (Kind::Punct, ")" | "]") => {
                stack.pop();
            }
            (Kind::Punct, ",") => {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
            }
            _ => {}
        }
        prev_word = (t.kind == Kind::Word).then_some(w);
    }
    let (name, commas, first) = stack.pop()?;
    let f = builtins::function(name?)?;
    let signatures: Vec<Signature> = f
        .signatures
        .iter()
        .enumerate()
        .map(|(i, (params, _))| Signature {
            label: builtins::signature_label(f, i),
            doc: f.doc.to_string(),
            params: params.iter().map(|p| p.to_string()).collect(),
        })
        .collect();
    let is_query = first
        .and_then(|w| m.index.lookup(w))
        .is_some_and(|d| m.def(d).is_some_and(|d| d.kind == DefKind::Event));
    let active = if signatures.len() > 1 && is_query {
        1
    } else {
        0
    };
    Some(SignatureHelp {
        signatures,
        active_signature: active,
        active_parameter: commas,
    })
}
