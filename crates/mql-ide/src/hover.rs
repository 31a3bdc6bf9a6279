//! Hover: what a name is, its type, its doc comment, and what an author
//! wants to know next — a score's reachable points, an enum's values, a
//! criterion's definition, where a stage sits in the funnel, what a
//! function does. Each kind of name is described by one arm of
//! [`describe`], as a list of parts, so a new fact is one more part.

use mql_core::Span;
use mql_db::Database;
use mql_sema::builtins;
use mql_sema::index::{Builtin, Def, DefKind, Target};
use mql_syntax::ast::{DeclKind, Expr, ExprKind, RuleKind, ScoreOptionKind, UnaryOp};

use crate::model::{self, Model};
use crate::FilePosition;

/// One part of a hover, shown in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Markup {
    /// Source code of the language.
    Code(String),
    /// A sentence or two (may hold `code` in backticks).
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// The name hovered.
    pub span: Span,
    pub parts: Vec<Markup>,
}

pub fn hover(db: &Database, pos: &FilePosition) -> Option<Hover> {
    let m = model::at(db, pos);
    let hit = m.hit(pos.offset)?;
    let parts = match hit.target {
        Target::Def(d) => describe(&m, d),
        Target::Builtin(Builtin::Function) => {
            let text = m.text(&pos.path);
            let name = text.get(hit.span.range())?;
            let f = builtins::function(name)?;
            let sigs: Vec<String> = (0..f.signatures.len())
                .map(|i| builtins::signature_label(f, i))
                .collect();
            vec![Markup::Code(sigs.join("\n")), Markup::Text(f.doc.into())]
        }
        Target::Builtin(b) => builtin(b)?,
    };
    Some(Hover {
        span: hit.span,
        parts,
    })
}

/// A built-in name: its type and meaning.
pub fn builtin(b: Builtin) -> Option<Vec<Markup>> {
    let n = builtins::name(b.name())?;
    let code = if n.ty.is_empty() {
        n.name.to_string()
    } else {
        format!("{}: {}", n.name, n.ty)
    };
    let doc = match n.only_in {
        Some(place) => format!("{} (only in {place})", n.doc),
        None => n.doc.to_string(),
    };
    Some(vec![Markup::Code(code), Markup::Text(doc)])
}

/// The declaration's source, at most 12 lines.
fn source_text(m: &Model, path: &str, span: Span) -> String {
    let text = m.text(path);
    let src = text.get(span.range()).unwrap_or("").trim();
    let lines: Vec<&str> = src.lines().collect();
    if lines.len() > 12 {
        format!("{}\n  …", lines[..12].join("\n"))
    } else {
        src.to_string()
    }
}

fn names(m: &Model, ids: &[usize]) -> String {
    ids.iter()
        .filter_map(|&c| m.def(c))
        .map(|d| format!("`{}`", d.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What definition `id` is, for hover (and completion's documentation).
pub fn describe(m: &Model, id: usize) -> Vec<Markup> {
    let Some(def) = m.def(id) else {
        return Vec::new();
    };
    let parent = def.parent.and_then(|p| m.def(p));
    let mut parts = Vec::new();
    match def.kind {
        DefKind::Model => parts.push(Markup::Code(format!("model {}", def.name))),
        DefKind::LeadField | DefKind::EventField => {
            let ty = def.ty.clone().unwrap_or_default();
            match (def.kind, parent) {
                (DefKind::EventField, Some(ev)) => {
                    parts.push(Markup::Code(format!("{}.{}: {ty}", ev.name, def.name)));
                    parts.push(Markup::Text(format!("field of the event `{}`", ev.name)));
                }
                _ => {
                    parts.push(Markup::Code(format!("{}: {ty}", def.name)));
                    parts.push(Markup::Text("lead field".into()));
                }
            }
            let values = m.children(id);
            if !values.is_empty() {
                parts.push(Markup::Text(format!("values: {}", names(m, &values))));
            }
            if let Some(src) = &def.source {
                parts.push(Markup::Text(format!("read from the column {src:?}")));
            }
            if !def.missing.is_empty() {
                parts.push(Markup::Text(format!(
                    "read as unknown: {}",
                    quoted(&def.missing)
                )));
            }
        }
        DefKind::Event => {
            let fields: Vec<String> = m
                .children(id)
                .into_iter()
                .filter_map(|c| m.def(c))
                .map(|f| format!("{}: {}", f.name, f.ty.clone().unwrap_or_default()))
                .collect();
            parts.push(Markup::Code(format!(
                "event {} {{ {} }}",
                def.name,
                fields.join(", ")
            )));
            parts.push(Markup::Text(
                "every event also has `at: time`, when it happened".into(),
            ));
        }
        DefKind::Const | DefKind::Let | DefKind::Criterion | DefKind::Segment => {
            parts.push(Markup::Code(source_text(m, &def.file, def.decl_span)));
            let ty = def.ty.clone().or_else(|| {
                matches!(def.kind, DefKind::Criterion | DefKind::Segment).then(|| "bool".into())
            });
            parts.push(Markup::Text(match ty {
                Some(ty) => format!("{} of type `{ty}`", def.kind.describe()),
                None => def.kind.describe().to_string(),
            }));
        }
        DefKind::Score => {
            parts.push(Markup::Code(format!("score {}: number", def.name)));
            if let Some(r) = score_range(m, def) {
                parts.push(Markup::Text(format!("reachable points: {}", range_text(r))));
            }
        }
        DefKind::Tier => {
            let labels: Vec<String> = m
                .children(id)
                .into_iter()
                .filter_map(|c| m.def(c))
                .map(|d| d.name.clone())
                .collect();
            parts.push(Markup::Code(format!(
                "tier {}: {}",
                def.name,
                labels.join(" | ")
            )));
            parts.push(Markup::Text("the first label whose condition holds".into()));
        }
        DefKind::TierLabel => {
            let arm = tier_arm(m, def).unwrap_or(def.decl_span);
            parts.push(Markup::Code(source_text(m, &def.file, arm)));
            if let Some(t) = parent {
                parts.push(Markup::Text(format!("label of the tier `{}`", t.name)));
            }
        }
        DefKind::Stage => {
            let stages: Vec<&str> = m
                .index
                .stages()
                .filter_map(|s| m.def(s))
                .map(|d| d.name.as_str())
                .collect();
            let funnel: Vec<String> = stages
                .iter()
                .map(|n| {
                    if *n == def.name {
                        format!("**{n}**")
                    } else {
                        n.to_string()
                    }
                })
                .collect();
            let pos = stages
                .iter()
                .position(|n| *n == def.name)
                .map_or(0, |p| p + 1);
            parts.push(Markup::Code(format!("stage {}", def.name)));
            parts.push(Markup::Text(format!(
                "stage {pos} of {}: {}",
                stages.len(),
                funnel.join(" → ")
            )));
            labels(&mut parts, def);
        }
        DefKind::Variant => {
            parts.push(Markup::Code(def.name.clone()));
            if let Some((p, f)) = def.parent.and_then(|p| Some((p, m.def(p)?))) {
                parts.push(Markup::Text(format!(
                    "value of `{}`: {}",
                    f.name,
                    names(m, &m.children(p))
                )));
            }
            labels(&mut parts, def);
        }
    }
    if let Some(doc) = &def.doc {
        parts.push(Markup::Text(doc.clone()));
    }
    parts
}

/// Texts as data writes them: `"Select"`, `"N/A"`.
fn quoted(texts: &[String]) -> String {
    texts
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The labels data may write a value or a stage with.
fn labels(parts: &mut Vec<Markup>, def: &Def) {
    if !def.labels.is_empty() {
        parts.push(Markup::Text(format!(
            "data may also write it as {}",
            quoted(&def.labels)
        )));
    }
}

/// The whole arm (`A when fit >= 40`) of a tier label.
fn tier_arm(m: &Model, def: &Def) -> Option<Span> {
    let ast = m.ast(&def.file);
    ast.decls.iter().find_map(|d| match &d.kind {
        DeclKind::Tier(t) => t
            .arms
            .iter()
            .find(|a| a.label.span == def.span)
            .map(|a| a.span),
        _ => None,
    })
}

/// The least and most points a score can reach: the checker's figure, or,
/// while the model has errors, one worked out from the rules' literal
/// points.
pub fn score_range(m: &Model, def: &Def) -> Option<(f64, f64)> {
    if let Some(r) = def.range {
        return Some(r);
    }
    let ast = m.ast(&def.file);
    let score = ast.decls.iter().find_map(|d| match &d.kind {
        DeclKind::Score(s) if s.name.span == def.span => Some(s),
        _ => None,
    })?;
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for rule in &score.rules {
        let p = literal(m, &rule.points, 0)?;
        let (rlo, rhi) = match &rule.kind {
            RuleKind::Cond(_) | RuleKind::Latest(_) => (p.min(0.0), p.max(0.0)),
            RuleKind::Each(_) => {
                let cap = match &rule.cap {
                    Some(c) => literal(m, c, 0)?.abs(),
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
            let (l, h) = (literal(m, l, 0)?, literal(m, h, 0)?);
            lo = lo.clamp(l, h.max(l));
            hi = hi.clamp(l, h.max(l));
        }
    }
    Some((lo, hi))
}

/// A signed number literal or a const holding one (`depth` stops a const
/// that names itself).
fn literal(m: &Model, e: &Expr, depth: u32) -> Option<f64> {
    if depth > 16 {
        return None;
    }
    match &e.kind {
        ExprKind::Int(Some(i)) => Some(*i as f64),
        ExprKind::Number(n) => Some(*n),
        ExprKind::Unary(UnaryOp::Neg, x) => literal(m, x, depth + 1).map(|v| -v),
        ExprKind::Unary(UnaryOp::Plus, x) | ExprKind::Paren(x) => literal(m, x, depth + 1),
        ExprKind::Name(n) => {
            let def = m.def(m.index.lookup(&n.name)?)?;
            if def.kind != DefKind::Const {
                return None;
            }
            let ast = m.ast(&def.file);
            ast.decls.iter().find_map(|decl| match &decl.kind {
                DeclKind::Const(c) if c.name.span == def.span => literal(m, &c.value, depth + 1),
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
