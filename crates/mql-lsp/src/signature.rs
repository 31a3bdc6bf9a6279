//! Inlay hints (each score's reachable points after its name) and signature
//! help for functions and aggregates.

use mql_syntax::ast::DeclKind;
use tower_lsp_server::ls_types::{
    Documentation, InlayHint, InlayHintLabel, InlayHintTooltip, ParameterInformation,
    ParameterLabel, Range, SignatureHelp, SignatureInformation,
};

use crate::analysis::Analysis;
use crate::builtins;
use crate::hover::{range_text, score_range};
use crate::index::{DefKind, Target};
use crate::lex::{self, Kind};

pub fn inlay_hints(a: &Analysis, file: usize, range: Range) -> Vec<InlayHint> {
    let data = &a.index.files[file];
    let mut out = Vec::new();
    for decl in &data.ast.decls {
        let DeclKind::Score(s) = &decl.kind else {
            continue;
        };
        let pos = data.lines.position(&data.text, s.name.span.end as usize);
        if pos.line < range.start.line || pos.line > range.end.line {
            continue;
        }
        let Some(Target::Def(d)) = a
            .index
            .at(file, s.name.span.start as usize)
            .map(|r| r.target)
        else {
            continue;
        };
        if a.index.def(d).kind != DefKind::Score {
            continue;
        }
        let Some(r) = score_range(a, a.index.def(d)) else {
            continue;
        };
        out.push(InlayHint {
            position: pos,
            label: InlayHintLabel::String(format!("reaches {}", range_text(r))),
            kind: None,
            text_edits: None,
            tooltip: Some(InlayHintTooltip::String(
                "the fewest and the most points this score's rules can give, after its range"
                    .into(),
            )),
            padding_left: Some(true),
            padding_right: Some(false),
            data: None,
        });
    }
    out
}

pub fn signature_help(a: &Analysis, file: usize, offset: usize) -> Option<SignatureHelp> {
    let data = &a.index.files[file];
    let text = &*data.text;
    let offset = offset.min(text.len());
    // Open brackets before the cursor: (function name if a call, commas, first word inside).
    let mut stack: Vec<(Option<&str>, u32, Option<&str>)> = Vec::new();
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
    let signatures: Vec<SignatureInformation> = f
        .signatures
        .iter()
        .enumerate()
        .map(|(i, (params, _))| SignatureInformation {
            label: builtins::signature_label(f, i),
            documentation: Some(Documentation::String(f.doc.to_string())),
            parameters: Some(
                params
                    .iter()
                    .map(|p| ParameterInformation {
                        label: ParameterLabel::Simple(p.to_string()),
                        documentation: None,
                    })
                    .collect(),
            ),
            active_parameter: None,
        })
        .collect();
    let is_query = first
        .and_then(|w| a.index.top_level(w))
        .is_some_and(|d| a.index.def(d).kind == DefKind::Event);
    let active = if signatures.len() > 1 && is_query {
        1
    } else {
        0
    };
    Some(SignatureHelp {
        signatures,
        active_signature: Some(active),
        active_parameter: Some(commas),
    })
}
