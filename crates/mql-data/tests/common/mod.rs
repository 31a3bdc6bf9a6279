//! Helpers shared by the integration tests: the conformance folder, and the
//! fixed conformance schema read from a case's `model.mql`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mql_core::{EnumTy, EventDef, FieldDef, Schema, Symbols, Ty};

pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

/// Parse a type as written in the fixed conformance schema.
fn parse_ty(text: &str, symbols: &mut Symbols) -> Ty {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("list<").and_then(|r| r.strip_suffix('>')) {
        return Ty::List(Box::new(parse_ty(inner, symbols)));
    }
    if let Some(body) = t.strip_prefix("enum {").and_then(|r| r.strip_suffix('}')) {
        let variants: Vec<String> = body.split(',').map(|v| v.trim().to_string()).collect();
        let syms = variants.iter().map(|v| symbols.intern(v)).collect();
        return Ty::Enum(Arc::new(EnumTy::new(variants, syms)));
    }
    match t {
        "int" => Ty::Int,
        "number" => Ty::Number,
        "bool" => Ty::Bool,
        "string" => Ty::String,
        "time" => Ty::Time,
        "duration" => Ty::Duration,
        other => panic!("unexpected type {other:?}"),
    }
}

/// Split `a: t, b: enum { x, y }` at the commas outside braces.
fn split_fields(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in body.char_indices() {
        match c {
            '{' | '<' => depth += 1,
            '}' | '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !body[start..].trim().is_empty() {
        out.push(&body[start..]);
    }
    out
}

fn field(text: &str, symbols: &mut Symbols) -> FieldDef {
    let (name, ty) = text.split_once(':').expect("field with a type");
    FieldDef::new(name.trim(), parse_ty(ty, symbols))
}

/// The schema of a case's model: its `lead {…}` block, `event` lines and `stages` line.
pub fn schema_of(model: &str) -> Schema {
    let mut symbols = Symbols::default();
    let mut lead = Vec::new();
    let mut events = Vec::new();
    let mut stages = None;
    let mut in_lead = false;
    for line in model.lines() {
        let l = line.trim();
        if in_lead {
            if l == "}" {
                in_lead = false;
            } else if !l.is_empty() {
                lead.push(field(l, &mut symbols));
            }
        } else if l == "lead {" {
            in_lead = true;
        } else if let Some(rest) = l.strip_prefix("event ") {
            let (name, body) = rest.split_once('{').expect("event body");
            let body = body.trim().strip_suffix('}').expect("event body end");
            events.push(EventDef {
                name: name.trim().to_string(),
                fields: split_fields(body)
                    .into_iter()
                    .map(|f| field(f, &mut symbols))
                    .collect(),
            });
        } else if let Some(rest) = l.strip_prefix("stages ") {
            let variants: Vec<String> = rest.split(',').map(|v| v.trim().to_string()).collect();
            let syms = variants.iter().map(|v| symbols.intern(v)).collect();
            stages = Some(Arc::new(EnumTy::new(variants, syms)));
        }
    }
    Schema {
        lead,
        events,
        stages,
        symbols,
    }
}
