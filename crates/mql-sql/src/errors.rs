//! `--emit sql-data-errors`: a query over the same tables listing every value
//! the main query treats as unknown or does not read, where `mql eval` would
//! report a data error: enum text that names no variant, a stage that is not
//! a stage, a duplicate or missing id, an event of no type of the model, an
//! event without `lead_id`, `type` or `at`, an event whose lead is not in the
//! leads table.

use mql_core::Ty;

use crate::build::{self, Builder};
use crate::dialect::SqlTy;
use crate::frag::{and_all, is_null, not, Frag};
use crate::input;
use crate::{CompileError, Options};

pub fn query(model: &mql_sema::hir::Model, opts: &Options) -> Result<String, CompileError> {
    let d = opts.dialect;
    let mut b = Builder::new(model, opts);
    build::compile_all(&mut b)?;
    let text = |s: &str| d.text(s).unwrap_or_default();
    let as_text = |f: &Frag| d.to_text(f).sql;
    let id = input::column(d, &opts.id_field);
    let mut parts: Vec<String> = Vec::new();
    let select = |lead: &str, field: &str, value: &str, reason: &str, from: &str, cond: &str| {
        format!(
            "  SELECT {lead} AS lead_id, {field} AS field, {value} AS value, {reason} AS reason\n  FROM {from}\n  WHERE {cond}"
        )
    };
    // lead fields
    for (i, f) in model.schema.lead.iter().enumerate() {
        if !b.reads_lead_field(i) {
            continue;
        }
        let col = input::column(d, input::column_of_field(f));
        if let Some(bad) = input::unreadable(d, &col, f) {
            let reason = match &f.ty {
                Ty::Enum(e) => format!("not one of {}", input::choices(e)),
                Ty::List(t) => match &**t {
                    Ty::Enum(e) => format!("an item is not one of {}", input::choices(e)),
                    _ => "cannot be read".into(),
                },
                _ => "cannot be read".into(),
            };
            let value = match &f.ty {
                Ty::List(_) => d.null(&SqlTy::Text).sql,
                _ => as_text(&col),
            };
            parts.push(select(
                &as_text(&id),
                &text(&f.name),
                &value,
                &text(&reason),
                &opts.leads_table,
                bad.s(),
            ));
        }
    }
    // the stage
    if let Some(stages) = &model.schema.stages {
        let col = input::column(d, "stage");
        let v = input::variant_of(d, &col, &input::variant_keys(stages), &[]);
        let bad = and_all(&[is_null(&col, true), is_null(&v, false)]);
        let reason = format!("not one of the stages {}", input::choices(stages));
        parts.push(select(
            &as_text(&id),
            &text("stage"),
            &as_text(&col),
            &text(&reason),
            &opts.leads_table,
            bad.s(),
        ));
    }
    // ids
    parts.push(select(
        &d.null(&SqlTy::Text).sql,
        &text(&opts.id_field),
        &d.null(&SqlTy::Text).sql,
        &text("a lead without an id"),
        &opts.leads_table,
        is_null(&id, false).s(),
    ));
    parts.push(format!(
        "  SELECT {} AS lead_id, {} AS field, {} AS value, {} AS reason\n  FROM {}\n  WHERE {} IS NOT NULL\n  GROUP BY {}\n  HAVING COUNT(*) > 1",
        as_text(&id),
        text(&opts.id_field),
        as_text(&id),
        text("a duplicate id: every row with it is evaluated with all of its events"),
        opts.leads_table,
        id.s(),
        id.s()
    ));
    // events
    if !b.events_read.is_empty() {
        let lead = input::column(d, "lead_id");
        let ty = input::column(d, "type");
        let at = input::column(d, "at");
        let names: Vec<String> = model.schema.events.iter().map(|e| text(&e.name)).collect();
        parts.push(select(
            &as_text(&lead),
            &text("type"),
            &as_text(&ty),
            &text(&format!(
                "not an event of the model ({})",
                model
                    .schema
                    .events
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            &opts.events_table,
            &format!(
                "{} IS NOT NULL AND {} NOT IN ({})",
                ty.s(),
                ty.s(),
                names.join(", ")
            ),
        ));
        for (col, what) in [(&lead, "lead_id"), (&ty, "type"), (&at, "at")] {
            parts.push(select(
                &as_text(&lead),
                &text(what),
                &d.null(&SqlTy::Text).sql,
                &text(&format!("an event without `{what}` is not read")),
                &opts.events_table,
                is_null(col, false).s(),
            ));
        }
        parts.push(format!(
            "  SELECT {} AS lead_id, {} AS field, {} AS value, {} AS reason\n  FROM {} AS e\n  WHERE e.{} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} AS l WHERE l.{} = e.{})",
            as_text(&Frag::simple(format!("e.{}", lead.s()))),
            text("lead_id"),
            as_text(&Frag::simple(format!("e.{}", lead.s()))),
            text("no lead has this id"),
            opts.events_table,
            lead.s(),
            opts.leads_table,
            id.s(),
            lead.s()
        ));
        for &(ev, i) in b.event_fields_read() {
            let e = &model.schema.events[ev as usize];
            let f = &e.fields[i as usize];
            let col = input::column(d, input::column_of_field(f));
            if let Some(bad) = input::unreadable(d, &col, f) {
                let reason = match &f.ty {
                    Ty::Enum(en) => {
                        format!("not one of {} (event {})", input::choices(en), e.name)
                    }
                    _ => format!("an item names no value of the enum (event {})", e.name),
                };
                let value = match &f.ty {
                    Ty::List(_) => d.null(&SqlTy::Text).sql,
                    _ => as_text(&col),
                };
                let cond = and_all(&[input::equals_text(d, &ty, &e.name), bad]);
                parts.push(select(
                    &as_text(&lead),
                    &text(&f.name),
                    &value,
                    &text(&reason),
                    &opts.events_table,
                    cond.s(),
                ));
            }
        }
    }
    let _ = not;
    let mut out = format!(
        "-- Generated by mql {} from {} for {}: the values of {}{} that the scoring query treats as unknown or does not read.\n",
        opts.version,
        opts.model_file.replace('\n', " "),
        d.title(),
        opts.leads_table.replace('\n', " "),
        if b.events_read.is_empty() { String::new() } else { format!(" and {}", opts.events_table.replace('\n', " ")) }
    );
    out.push_str(&parts.join("\nUNION ALL\n"));
    out.push('\n');
    Ok(out)
}
