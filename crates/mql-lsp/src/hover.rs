//! Hover: what a name is, its type, its doc comment, and what an author wants
//! to know next — a score's reachable points, an enum's values, a criterion's
//! definition, where a stage sits in the funnel.

use mql_syntax::ast::{DeclKind, Expr, ExprKind, RuleKind, ScoreOptionKind, UnaryOp};
use tower_lsp_server::ls_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::analysis::Analysis;
use crate::builtins;
use crate::index::{type_text, Builtin, Def, DefKind, Target};

pub fn hover(a: &Analysis, file: usize, offset: usize) -> Option<Hover> {
    let r = a.index.at(file, offset)?;
    let text = match r.target {
        Target::Def(d) => describe_def(a, a.index.def(d)),
        Target::Builtin(Builtin::Function) => {
            let data = &a.index.files[file];
            let name = data.slice(r.span);
            let f = builtins::function(name)?;
            let sigs: Vec<String> = (0..f.signatures.len())
                .map(|i| builtins::signature_label(f, i))
                .collect();
            format!("```mql\n{}\n```\n\n{}", sigs.join("\n"), f.doc)
        }
        Target::Builtin(b) => {
            let (sig, doc) = builtins::describe(b);
            format!("```mql\n{sig}\n```\n\n{doc}")
        }
    };
    let data = &a.index.files[file];
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(data.lines.range(&data.text, r.span)),
    })
}

/// The declaration's source, at most 12 lines.
fn source_text(a: &Analysis, def: &Def) -> String {
    let text = a.index.files[def.file].slice(def.decl_span).trim();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 12 {
        format!("{}\n  …", lines[..12].join("\n"))
    } else {
        text.to_string()
    }
}

fn code(s: &str) -> String {
    format!("```mql\n{s}\n```")
}

fn names(a: &Analysis, ids: &[crate::index::DefId]) -> String {
    ids.iter()
        .map(|&c| format!("`{}`", a.index.def(c).name))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn describe_def(a: &Analysis, def: &Def) -> String {
    let path = &a.index.files[def.file].path;
    let sema = a.sema_def(path, def.span);
    let sema_ty = sema.and_then(|d| d.ty.clone());
    let mut parts = Vec::new();
    match def.kind {
        DefKind::Model => parts.push(code(&format!("model {}", def.name))),
        DefKind::LeadField | DefKind::EventField { .. } => {
            let ty = def.ty.as_ref().map(type_text).unwrap_or_default();
            let owner = match def.kind {
                DefKind::EventField { event } => format!("{}.", a.index.def(event).name),
                _ => String::new(),
            };
            parts.push(code(&format!("{owner}{}: {ty}", def.name)));
            parts.push(match def.kind {
                DefKind::EventField { event } => {
                    format!("field of the event `{}`", a.index.def(event).name)
                }
                _ => "lead field".to_string(),
            });
            if !def.children.is_empty() {
                parts.push(format!("values: {}", names(a, &def.children)));
            }
        }
        DefKind::Event => {
            let fields: Vec<String> = def
                .children
                .iter()
                .map(|&c| {
                    let f = a.index.def(c);
                    format!(
                        "{}: {}",
                        f.name,
                        f.ty.as_ref().map(type_text).unwrap_or_default()
                    )
                })
                .collect();
            parts.push(code(&format!(
                "event {} {{ {} }}",
                def.name,
                fields.join(", ")
            )));
            parts.push("every event also has `at: time`, when it happened".into());
        }
        DefKind::Const | DefKind::Let | DefKind::Criterion | DefKind::Segment => {
            parts.push(code(&source_text(a, def)));
            let ty = sema_ty.or_else(|| {
                matches!(def.kind, DefKind::Criterion | DefKind::Segment).then(|| "bool".into())
            });
            if let Some(ty) = ty {
                parts.push(format!("{} of type `{ty}`", def.kind.describe()));
            } else {
                parts.push(def.kind.describe().to_string());
            }
        }
        DefKind::Score => {
            parts.push(code(&format!("score {}: number", def.name)));
            if let Some(r) = score_range(a, def) {
                parts.push(format!("reachable points: {}", range_text(r)));
            }
        }
        DefKind::Tier => {
            let labels: Vec<&str> = def
                .children
                .iter()
                .map(|&c| a.index.def(c).name.as_str())
                .collect();
            parts.push(code(&format!("tier {}: {}", def.name, labels.join(" | "))));
            parts.push("the first label whose condition holds".into());
        }
        DefKind::TierLabel { tier } => {
            parts.push(code(&source_text(a, def)));
            parts.push(format!("label of the tier `{}`", a.index.def(tier).name));
        }
        DefKind::Stage => {
            let funnel: Vec<String> = a
                .index
                .stages
                .iter()
                .map(|&s| {
                    let n = &a.index.def(s).name;
                    if *n == def.name {
                        format!("**{n}**")
                    } else {
                        n.clone()
                    }
                })
                .collect();
            let pos = a
                .index
                .stages
                .iter()
                .position(|&s| a.index.def(s).name == def.name)
                .map_or(0, |p| p + 1);
            parts.push(code(&format!("stage {}", def.name)));
            parts.push(format!(
                "stage {pos} of {}: {}",
                a.index.stages.len(),
                funnel.join(" → ")
            ));
        }
        DefKind::Variant { field } => {
            let f = a.index.def(field);
            parts.push(code(&def.name.clone()));
            parts.push(format!("value of `{}`: {}", f.name, names(a, &f.children)));
        }
    }
    if let Some(doc) = &def.doc {
        parts.push(doc.clone());
    }
    parts.join("\n\n")
}

/// The least and most points a score can reach: the checker's figure, or
/// one worked out from the rules' literal points.
pub fn score_range(a: &Analysis, def: &Def) -> Option<(f64, f64)> {
    let path = &a.index.files[def.file].path;
    if let Some(r) = a.sema_def(path, def.span).and_then(|d| d.range) {
        return Some(r);
    }
    let ast = &a.index.files[def.file].ast;
    let score = ast.decls.iter().find_map(|d| match &d.kind {
        DeclKind::Score(s) if s.name.span == def.span => Some(s),
        _ => None,
    })?;
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for rule in &score.rules {
        let p = literal(a, &rule.points)?;
        let (rlo, rhi) = match &rule.kind {
            RuleKind::Cond(_) | RuleKind::Latest(_) => (p.min(0.0), p.max(0.0)),
            RuleKind::Each(_) => {
                let cap = match &rule.cap {
                    Some(c) => literal(a, c)?.abs(),
                    None => f64::INFINITY,
                };
                if p >= 0.0 {
                    (0.0, if p == 0.0 { 0.0 } else { cap })
                } else {
                    (-cap, 0.0)
                }
            }
        };
        lo += rlo;
        hi += rhi;
    }
    for o in &score.options {
        if let ScoreOptionKind::Range { lo: l, hi: h } = &o.kind {
            let (l, h) = (literal(a, l)?, literal(a, h)?);
            lo = lo.clamp(l, h.max(l));
            hi = hi.clamp(l, h.max(l));
        }
    }
    Some((lo, hi))
}

/// A signed number literal or a const holding one.
fn literal(a: &Analysis, e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Int(Some(i)) => Some(*i as f64),
        ExprKind::Number(n) => Some(*n),
        ExprKind::Unary(UnaryOp::Neg, x) => literal(a, x).map(|v| -v),
        ExprKind::Unary(UnaryOp::Plus, x) | ExprKind::Paren(x) => literal(a, x),
        ExprKind::Name(n) => {
            let d = a.index.top_level(&n.name)?;
            let def = a.index.def(d);
            if def.kind != DefKind::Const {
                return None;
            }
            let ast = &a.index.files[def.file].ast;
            ast.decls.iter().find_map(|decl| match &decl.kind {
                DeclKind::Const(c) if c.name.span == def.span => literal(a, &c.value),
                _ => None,
            })
        }
        _ => None,
    }
}

pub fn num_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `0 to 100`, `0 or more`, `-30 or less`, `any amount`.
pub fn range_text((lo, hi): (f64, f64)) -> String {
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) => format!("{} to {}", num_text(lo), num_text(hi)),
        (true, false) => format!("{} or more", num_text(lo)),
        (false, true) => format!("{} or less", num_text(hi)),
        (false, false) => "any amount".into(),
    }
}
