//! Reading the input tables: which column fills a field, how a column's value
//! becomes the field's value (times to milliseconds, enum text to the
//! variant, arrays item by item), and which text is a placeholder. The rest
//! of the query only sees converted columns.

use mql_core::names::{normalise_enum, normalise_placeholder};
use mql_core::{EnumTy, FieldDef, Ty};

use crate::dialect::{Dialect, SqlTy};
use crate::frag::{and_all, case, cmp, is_null, Frag};

/// The column of the input table that fills `field`: its source name
/// (language.md §3.1: the `from` text, or the field name).
pub fn column_of_field(field: &FieldDef) -> &str {
    field.source_name()
}

/// Texts that stand for "no value" in a field (language.md §3.1 `missing`:
/// its block's and its own), trimmed and lower-cased as `mql eval` compares
/// them, each once.
pub fn placeholders_of(field: &FieldDef) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &field.missing {
        let p = normalise_placeholder(p).into_owned();
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// An enum's variants and the normalised texts that name each: its name and
/// its labels (language.md §3.1), each once.
pub fn variant_keys(e: &EnumTy) -> Vec<(String, Vec<String>)> {
    e.variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut keys = vec![normalise_enum(v).into_owned()];
            for l in e.labels_of(i) {
                let k = normalise_enum(l).into_owned();
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            (v.clone(), keys)
        })
        .collect()
}

/// An enum's values as a message lists them: `basic, pro ("Professional")`.
pub fn choices(e: &EnumTy) -> String {
    e.variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let labels = e.labels_of(i);
            if labels.is_empty() {
                v.clone()
            } else {
                let shown: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
                format!("{v} ({})", shown.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// SQL testing whether `text` is one of `placeholders` (already normalised
/// by [`placeholders_of`]; the text is trimmed and lower-cased the same way),
/// or `None` when there are none.
pub fn is_placeholder(d: &dyn Dialect, text: &Frag, placeholders: &[String]) -> Option<Frag> {
    if placeholders.is_empty() {
        return None;
    }
    let items: Vec<String> = placeholders.iter().filter_map(|p| d.text(p)).collect();
    let key = d.lower(&d.trim_white_space(text));
    Some(Frag::with_prec(
        format!(
            "{} IN ({})",
            key.at(crate::frag::P_CMP + 1),
            items.join(", ")
        ),
        crate::frag::P_CMP,
    ))
}

/// SQL turning enum text into the variant's name, NULL when it names none
/// (or is a placeholder).
pub fn variant_of(
    d: &dyn Dialect,
    text: &Frag,
    keys: &[(String, Vec<String>)],
    placeholders: &[String],
) -> Frag {
    let norm = d.replace(
        &d.replace(&d.lower(&d.trim_white_space(text)), " ", "_"),
        "-",
        "_",
    );
    let mut out = format!("CASE {}", norm.s());
    for (name, ks) in keys {
        for k in ks {
            if let (Some(k), Some(n)) = (d.text(k), d.text(name)) {
                out.push_str(&format!(" WHEN {k} THEN {n}"));
            }
        }
    }
    out.push_str(" END");
    let m = Frag::atom(out).layered(text.layer);
    match is_placeholder(d, text, placeholders) {
        Some(p) => case(&[(p, Frag::simple("NULL"))], Some(&m)),
        None => m,
    }
}

/// The SQL type a value of `ty` has inside the query.
pub fn sql_ty(ty: &Ty) -> SqlTy {
    match ty {
        Ty::Int | Ty::Time | Ty::Duration => SqlTy::Int,
        Ty::Number => SqlTy::Double,
        Ty::Bool => SqlTy::Bool,
        Ty::String | Ty::Enum(_) => SqlTy::Text,
        Ty::List(t) => SqlTy::Array(Box::new(sql_ty(t))),
    }
}

/// What kind of column an input field needs, to tell when two event types
/// cannot share one.
pub fn column_kind(ty: &Ty) -> String {
    match ty {
        Ty::Int | Ty::Duration => "an integer".into(),
        Ty::Number => "a number".into(),
        Ty::Bool => "a boolean".into(),
        Ty::String | Ty::Enum(_) => "text".into(),
        Ty::Time => "a timestamp".into(),
        Ty::List(t) => format!("an array of {}", column_kind(t)),
    }
}

/// The converted value of input column `col` for a field of type `ty`.
pub fn read_value(d: &dyn Dialect, col: &Frag, field: &FieldDef) -> Frag {
    let ph = placeholders_of(field);
    convert(d, col, &field.ty, &ph)
}

fn convert(d: &dyn Dialect, col: &Frag, ty: &Ty, ph: &[String]) -> Frag {
    match ty {
        Ty::Int | Ty::Duration => d.cast(col, &SqlTy::Int),
        Ty::Number => d.cast(col, &SqlTy::Double),
        Ty::Bool => col.clone(),
        Ty::String => match is_placeholder(d, col, ph) {
            Some(p) => case(&[(p, Frag::simple("NULL"))], Some(col)),
            None => col.clone(),
        },
        Ty::Time => d.epoch_ms(col),
        Ty::Enum(e) => variant_of(d, col, &variant_keys(e), ph),
        Ty::List(item) => {
            let x = d.item_ref("x");
            let conv = convert(d, &x, item, ph);
            let kept = d.array_map_keep(col, "x", &conv);
            match &**item {
                Ty::Enum(_) => {
                    // one item that names no variant makes the whole list
                    // unknown; placeholder items are only dropped
                    let bad = bad_item(d, &x, &conv, ph);
                    case(
                        &[(d.array_any(col, "x", &bad), Frag::simple("NULL"))],
                        Some(&kept),
                    )
                }
                _ => kept,
            }
        }
    }
}

/// SQL that is true when a non-NULL input value of a field cannot be read
/// (an enum text that names no variant, a list with such an item), for the
/// data-errors query; `None` when every value can be read.
pub fn unreadable(d: &dyn Dialect, col: &Frag, field: &FieldDef) -> Option<Frag> {
    let ph = placeholders_of(field);
    match &field.ty {
        Ty::Enum(e) => {
            let v = variant_of(d, col, &variant_keys(e), &ph);
            let mut parts = vec![is_null(col, true), is_null(&v, false)];
            if let Some(p) = is_placeholder(d, col, &ph) {
                parts.push(crate::frag::not(&p));
            }
            Some(and_all(&parts))
        }
        Ty::List(item) => match &**item {
            Ty::Enum(e) => {
                let x = d.item_ref("x");
                let v = variant_of(d, &x, &variant_keys(e), &ph);
                let bad = bad_item(d, &x, &v, &ph);
                Some(d.array_any(col, "x", &bad))
            }
            _ => None,
        },
        _ => None,
    }
}

/// An item `x` of a list that is there, is no placeholder, and converts to
/// NULL (`conv`): it names no variant.
fn bad_item(d: &dyn Dialect, x: &Frag, conv: &Frag, ph: &[String]) -> Frag {
    let mut parts = vec![is_null(x, true), is_null(conv, false)];
    if let Some(p) = is_placeholder(d, x, ph) {
        parts.push(crate::frag::not(&p));
    }
    and_all(&parts)
}

/// `col = 'text'`.
pub fn equals_text(d: &dyn Dialect, col: &Frag, text: &str) -> Frag {
    cmp(col, "=", &Frag::simple(d.text(text).unwrap_or_default()))
}

/// A quoted input column.
pub fn column(d: &dyn Dialect, name: &str) -> Frag {
    Frag::simple(d.quote(name))
}
