//! Writing results: the spec's JSON object (one line of NDJSON), CSV rows a
//! CRM can import back, and the cells of table rows; the [`Writer`] that puts
//! rendered blocks out in order.
//!
//! What a result line holds beyond the spec's object is the [`Shape`]: the
//! id column's name, the input columns kept (`--keep`), stages and tier
//! values written as their first label (`--labels`, [`Labels`]), criterion
//! columns (`--explain` in CSV).

use std::io::{self, Write};

use mql_core::number::{format_number, push_number};
use mql_core::{EnumTy, LeadId, Sym, Ty, Value};
use mql_sema::hir::{Model, ValueKind};
use mql_vm::LeadResult;

use crate::table::render_table;

/// The first label (language §3.1, `mql "Marketing Qualified Lead"`) of
/// every enum value a result carries — its stages and its tiers' values —
/// that has one: what `--labels` writes, the value a CRM's picklist expects.
///
/// A value's labels are those of its own enum (the `stages` line); a tier's
/// values have no labels of their own, but an enum of the model that is the
/// same type (the same variants, spec §4) may label them — the first such
/// enum that does, in the order stages, lead fields, event fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    stages: Vec<(Sym, String)>,
    /// Per tier, in declaration order.
    tiers: Vec<Vec<(Sym, String)>>,
}

impl Labels {
    /// The labels of `model`'s stages and tier values.
    pub fn of(model: &Model) -> Labels {
        let schema = &model.schema;
        let enums: Vec<&EnumTy> = schema
            .stages
            .iter()
            .map(|s| &**s)
            .chain(schema.lead.iter().filter_map(|f| f.enum_ty().map(|e| &**e)))
            .chain(
                schema
                    .events
                    .iter()
                    .flat_map(|e| &e.fields)
                    .filter_map(|f| f.enum_ty().map(|e| &**e)),
            )
            .collect();
        let labelled = |ty: &EnumTy| -> Vec<(Sym, String)> {
            ty.syms
                .iter()
                .filter_map(|&sym| {
                    let label = ty.first_label(sym).or_else(|| {
                        enums
                            .iter()
                            .filter(|e| ***e == *ty)
                            .find_map(|e| e.first_label(sym))
                    })?;
                    Some((sym, label.to_string()))
                })
                .collect()
        };
        Labels {
            stages: schema.stages.as_deref().map(labelled).unwrap_or_default(),
            tiers: model
                .tiers
                .iter()
                .map(|t| match &t.ty {
                    Ty::Enum(e) => labelled(e),
                    _ => Vec::new(),
                })
                .collect(),
        }
    }

    /// A stage's first label.
    pub fn stage(&self, sym: Sym) -> Option<&str> {
        find(&self.stages, sym)
    }

    /// The first label of a value of the `tier`-th tier.
    pub fn tier(&self, tier: usize, sym: Sym) -> Option<&str> {
        find(self.tiers.get(tier)?, sym)
    }
}

fn find(labels: &[(Sym, String)], sym: Sym) -> Option<&str> {
    labels
        .iter()
        .find(|(s, _)| *s == sym)
        .map(|(_, l)| l.as_str())
}

/// What each result line holds beyond the spec's object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The id column's name in CSV: as the input names it (`--id-field`, or
    /// `id`).
    pub id_name: String,
    /// Input columns copied into each result (`--keep`), in order; their
    /// values come after the schema's fields of each lead.
    pub keep: Vec<String>,
    /// The kept values are JSON texts (JSON and NDJSON input) rather than
    /// raw cell text (CSV).
    pub kept_json: bool,
    /// Stages and tier values as their first label where they have one
    /// (`--labels`); `None`: by their names.
    pub labels: Option<Labels>,
    /// CSV rows end with one `criterion_NAME` column per criterion.
    pub criteria: bool,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            id_name: "id".into(),
            keep: Vec::new(),
            kept_json: false,
            labels: None,
            criteria: false,
        }
    }
}

/// `s` as a JSON string. Texts with nothing to escape (names, most ids) are
/// copied as they are, which is what serde_json writes for them.
fn string(out: &mut String, s: &str) {
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"\""),
    }
}

fn id_json(out: &mut String, id: &LeadId) {
    match id {
        LeadId::Str(s) => string(out, s),
        LeadId::Int(i) => push_int(out, *i),
    }
}

fn push_int(out: &mut String, i: i64) {
    use std::fmt::Write;
    let _ = write!(out, "{i}");
}

/// Writes stage and tier names, as labels when asked.
struct Names<'m> {
    model: &'m Model,
    labels: Option<&'m Labels>,
}

impl<'m> Names<'m> {
    fn new(model: &'m Model, shape: &'m Shape) -> Names<'m> {
        Names {
            model,
            labels: shape.labels.as_ref(),
        }
    }

    fn stage(&self, s: Sym) -> &'m str {
        self.labels
            .and_then(|l| l.stage(s))
            .unwrap_or_else(|| self.model.schema.symbols.name(s))
    }

    /// A value of the `tier`-th tier.
    fn tier(&self, tier: usize, s: Sym) -> &'m str {
        self.labels
            .and_then(|l| l.tier(tier, s))
            .unwrap_or_else(|| self.model.schema.symbols.name(s))
    }

    fn step_json(&self, out: &mut String, from: Sym, to: Sym, tr: u32) {
        out.push_str("{\"from\": ");
        string(out, self.stage(from));
        out.push_str(", \"to\": ");
        string(out, self.stage(to));
        out.push_str(", \"line\": ");
        if let Some(t) = self.model.transitions.get(tr as usize) {
            push_int(out, i64::from(t.origin.line));
            if t.origin.file != 0 {
                out.push_str(", \"file\": ");
                string(out, self.model.file(&t.origin));
            }
        } else {
            out.push('0');
        }
        out.push('}');
    }
}

/// The result object of spec "Output", as one line of text (no newline).
pub fn json_line(r: &LeadResult, model: &Model) -> String {
    let mut out = String::with_capacity(256);
    push_json_line(&mut out, r, model, &Shape::default(), &[]);
    out
}

/// The result object, appended to `out`: with `"keep": {…}` after the id
/// when columns are kept (`kept` holds their values).
pub fn push_json_line(
    out: &mut String,
    r: &LeadResult,
    model: &Model,
    shape: &Shape,
    kept: &[Value],
) {
    let names = Names::new(model, shape);
    out.push_str("{\"id\": ");
    id_json(out, &r.id);
    if !shape.keep.is_empty() {
        out.push_str(", \"keep\": {");
        for (i, name) in shape.keep.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            string(out, name);
            out.push_str(": ");
            match kept.get(i) {
                Some(Value::Str(raw)) if shape.kept_json => out.push_str(raw),
                Some(Value::Str(text)) => string(out, text),
                _ => out.push_str("null"),
            }
        }
        out.push('}');
    }
    if let Some(e) = &r.error {
        out.push_str(", \"error\": ");
        string(out, &e.0);
        out.push('}');
        return;
    }
    let stage = |out: &mut String, s: Option<Sym>| match s {
        Some(s) => string(out, names.stage(s)),
        None => out.push_str("null"),
    };
    out.push_str(", \"stage\": ");
    stage(out, r.stage);
    out.push_str(", \"from_stage\": ");
    stage(out, r.from_stage);
    out.push_str(", \"path\": [");
    for (i, p) in r.path.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        names.step_json(out, p.from, p.to, p.transition);
    }
    out.push(']');
    if let Some(c) = &r.cycle {
        out.push_str(", \"cycle\": ");
        names.step_json(out, c.from, c.to, c.transition);
    }
    out.push_str(", \"scores\": {");
    for (i, (s, v)) in model.scores.iter().zip(&r.scores).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, &s.name);
        out.push_str(": ");
        push_number(out, *v);
    }
    out.push_str("}, \"tiers\": {");
    for (i, (t, v)) in model.tiers.iter().zip(&r.tiers).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, &t.name);
        out.push_str(": ");
        match v {
            Some(s) => string(out, names.tier(i, *s)),
            None => out.push_str("null"),
        }
    }
    out.push_str("}, \"segments\": [");
    for (i, s) in r.segments.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, model.values.get(*s as usize).map_or("", |v| &v.name));
    }
    out.push(']');
    if r.explained {
        out.push_str(", \"criteria\": {");
        for (i, (c, v)) in r.criteria.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            string(out, model.values.get(*c as usize).map_or("", |v| &v.name));
            out.push_str(": ");
            out.push_str(match v {
                Some(true) => "true",
                Some(false) => "false",
                None => "null",
            });
        }
        out.push_str("}, \"contributions\": {");
        for (i, (s, rules)) in model.scores.iter().zip(&r.contributions).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            string(out, &s.name);
            out.push_str(": [");
            for (j, (rule, p)) in s.rules.iter().zip(rules).enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                out.push_str("{\"line\": ");
                out.push_str(&rule.line.to_string());
                out.push_str(", \"text\": ");
                string(out, &rule.text);
                out.push_str(", \"points\": ");
                push_number(out, *p);
                out.push('}');
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push('}');
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A kept value as text: the cell's text, or a JSON string's text (other
/// JSON values as written; `null` and absent values empty).
fn kept_text(v: Option<&Value>, json: bool) -> String {
    match v {
        Some(Value::Str(raw)) if json => match raw.as_bytes().first() {
            Some(b'"') => serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_string()),
            _ if &**raw == "null" => String::new(),
            _ => raw.to_string(),
        },
        Some(Value::Str(text)) => text.to_string(),
        _ => String::new(),
    }
}

/// The criteria of a model, in declaration order (the order of
/// [`LeadResult::criteria`]).
fn criteria(model: &Model) -> impl Iterator<Item = &str> {
    model
        .values
        .iter()
        .filter(|v| v.kind == ValueKind::Criterion)
        .map(|v| v.name.as_str())
}

/// The CSV header (spec "Results back into the CRM"): the id, the kept
/// columns, `stage`, `from_stage`, `stage_changed`, the scores and the tiers
/// in declaration order, `segments`, `error`, and with `shape.criteria` a
/// `criterion_NAME` column per criterion.
pub fn csv_header(model: &Model, shape: &Shape) -> String {
    let mut cols = vec![csv_field(&shape.id_name)];
    cols.extend(shape.keep.iter().map(|k| csv_field(k)));
    for c in ["stage", "from_stage", "stage_changed"] {
        cols.push(c.to_string());
    }
    cols.extend(model.scores.iter().map(|s| csv_field(&s.name)));
    cols.extend(model.tiers.iter().map(|t| csv_field(&t.name)));
    cols.push("segments".into());
    cols.push("error".into());
    if shape.criteria {
        cols.extend(criteria(model).map(|c| csv_field(&format!("criterion_{c}"))));
    }
    cols.join(",")
}

/// One CSV row matching [`csv_header`]: scores at full precision, segments
/// joined by `;`, unknown values empty.
pub fn csv_row(r: &LeadResult, model: &Model, shape: &Shape, kept: &[Value]) -> String {
    let names = Names::new(model, shape);
    let mut cols = vec![csv_field(&r.id.to_string())];
    cols.extend((0..shape.keep.len()).map(|i| csv_field(&kept_text(kept.get(i), shape.kept_json))));
    let n_criteria = if shape.criteria {
        criteria(model).count()
    } else {
        0
    };
    if let Some(e) = &r.error {
        let blanks = 3 + model.scores.len() + model.tiers.len() + 1;
        cols.extend(std::iter::repeat_n(String::new(), blanks));
        cols.push(csv_field(&e.0));
        cols.extend(std::iter::repeat_n(String::new(), n_criteria));
        return cols.join(",");
    }
    let stage = |s: Option<Sym>| s.map_or(String::new(), |s| csv_field(names.stage(s)));
    cols.push(stage(r.stage));
    cols.push(stage(r.from_stage));
    cols.push(match (r.stage, r.from_stage) {
        (Some(a), Some(b)) => (a != b).to_string(),
        _ => String::new(),
    });
    cols.extend(r.scores.iter().map(|v| {
        if v.is_finite() {
            format_number(*v)
        } else {
            String::new()
        }
    }));
    cols.extend(
        r.tiers
            .iter()
            .enumerate()
            .map(|(i, t)| t.map_or(String::new(), |s| csv_field(names.tier(i, s)))),
    );
    let segs: Vec<&str> = r
        .segments
        .iter()
        .filter_map(|i| model.values.get(*i as usize).map(|v| v.name.as_str()))
        .collect();
    cols.push(csv_field(&segs.join(";")));
    cols.push(String::new());
    if shape.criteria {
        for i in 0..n_criteria {
            cols.push(match r.criteria.get(i).and_then(|(_, v)| *v) {
                Some(v) => v.to_string(),
                None => String::new(),
            });
        }
    }
    cols.join(",")
}

/// Column cells of a table row (not yet aligned): id, kept columns, stage,
/// scores rounded to two decimals, tiers, segments joined by `, `; an error
/// fills the stage column with `error: …`.
pub fn table_row(r: &LeadResult, model: &Model, shape: &Shape, kept: &[Value]) -> Vec<String> {
    let names = Names::new(model, shape);
    let mut cols = vec![r.id.to_string()];
    cols.extend((0..shape.keep.len()).map(|i| kept_text(kept.get(i), shape.kept_json)));
    if let Some(e) = &r.error {
        cols.push(format!("error: {}", e.0));
        cols.extend(model.scores.iter().map(|_| String::new()));
        cols.extend(model.tiers.iter().map(|_| String::new()));
        cols.push(String::new());
        return cols;
    }
    cols.push(
        r.stage
            .map_or("-".to_string(), |s| names.stage(s).to_string()),
    );
    cols.extend(r.scores.iter().map(|v| format!("{v:.2}")));
    cols.extend(
        r.tiers
            .iter()
            .enumerate()
            .map(|(i, t)| t.map_or("-".to_string(), |s| names.tier(i, s).to_string())),
    );
    let segs: Vec<&str> = r
        .segments
        .iter()
        .filter_map(|i| model.values.get(*i as usize).map(|v| v.name.as_str()))
        .collect();
    cols.push(segs.join(", "));
    cols
}

/// Header cells of the table, matching [`table_row`].
pub fn table_header(model: &Model, shape: &Shape) -> Vec<String> {
    let mut cols = vec!["id".to_string()];
    cols.extend(shape.keep.iter().cloned());
    cols.push("stage".to_string());
    cols.extend(model.scores.iter().map(|s| s.name.clone()));
    cols.extend(model.tiers.iter().map(|t| t.name.clone()));
    cols.push("segments".into());
    cols
}

/// The output formats of `mql eval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns, for people (scores rounded to two decimals).
    Table,
    /// One JSON array.
    Json,
    /// One JSON object a line.
    Ndjson,
    /// Comma-separated values with a header line.
    Csv,
}

/// The rendered results of a block of leads, ready to be written in order.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The results in a line format, each line ending with a newline (JSON
    /// array items start with `,\n` instead).
    pub text: String,
    /// The results as table rows (cells not aligned yet).
    pub rows: Vec<Vec<String>>,
    /// How many results.
    pub count: u64,
}

/// Renders results in one format and shape; shared by every thread.
pub struct Renderer<'m> {
    pub model: &'m Model,
    pub format: Format,
    pub shape: Shape,
}

impl Renderer<'_> {
    /// Add one result to a block's rendering; `kept` holds the values of the
    /// kept columns.
    pub fn push(&self, out: &mut Rendered, r: &LeadResult, kept: &[Value]) {
        let (model, shape) = (self.model, &self.shape);
        match self.format {
            Format::Table => out.rows.push(table_row(r, model, shape, kept)),
            Format::Csv => {
                out.text.push_str(&csv_row(r, model, shape, kept));
                out.text.push('\n');
            }
            Format::Json => {
                out.text.push_str(",\n");
                push_json_line(&mut out.text, r, model, shape, kept);
            }
            Format::Ndjson => {
                push_json_line(&mut out.text, r, model, shape, kept);
                out.text.push('\n');
            }
        }
        out.count += 1;
    }
}

/// Writes rendered blocks in order: the JSON array's brackets, the CSV
/// header, and the table aligned once every row is known.
pub struct Writer<'r, 'm, W: Write> {
    renderer: &'r Renderer<'m>,
    out: W,
    count: u64,
    table: Vec<Vec<String>>,
}

impl<'r, 'm, W: Write> Writer<'r, 'm, W> {
    pub fn new(renderer: &'r Renderer<'m>, out: W) -> Self {
        Writer {
            renderer,
            out,
            count: 0,
            table: Vec::new(),
        }
    }

    fn csv_header(&mut self) -> io::Result<()> {
        let r = self.renderer;
        writeln!(self.out, "{}", csv_header(r.model, &r.shape))
    }

    /// Write a block's results.
    pub fn write(&mut self, block: Rendered) -> io::Result<()> {
        let text = block.text.as_bytes();
        match self.renderer.format {
            Format::Table => self.table.extend(block.rows),
            Format::Json if self.count == 0 && !text.is_empty() => {
                // The first item's `,\n` becomes the array's opening.
                self.out.write_all(b"[\n")?;
                self.out.write_all(&text[2..])?;
            }
            Format::Csv if self.count == 0 && !text.is_empty() => {
                self.csv_header()?;
                self.out.write_all(text)?;
            }
            _ => self.out.write_all(text)?,
        }
        self.count += block.count;
        Ok(())
    }

    /// Close the output: the array's end, a lone CSV header, the table.
    pub fn finish(mut self) -> io::Result<()> {
        match self.renderer.format {
            Format::Json => {
                self.out
                    .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
            }
            Format::Csv if self.count == 0 => self.csv_header()?,
            Format::Table => {
                let r = self.renderer;
                let header = table_header(r.model, &r.shape);
                self.out
                    .write_all(render_table(&header, &self.table).as_bytes())?;
            }
            _ => {}
        }
        self.out.flush()
    }
}
