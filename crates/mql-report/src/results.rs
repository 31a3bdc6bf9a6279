//! Writing results: the spec's JSON object (one line of NDJSON), CSV rows and
//! the cells of table rows.

use std::io::{self, Write};

use mql_core::number::format_number;
use mql_core::LeadId;
use mql_sema::hir::Model;
use mql_vm::LeadResult;

use crate::table::render_table;

fn string(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"\""),
    }
}

fn id_json(out: &mut String, id: &LeadId) {
    match id {
        LeadId::Str(s) => string(out, s),
        LeadId::Int(i) => out.push_str(&i.to_string()),
    }
}

fn step_json(out: &mut String, model: &Model, from: mql_core::Sym, to: mql_core::Sym, tr: u32) {
    let sy = &model.schema.symbols;
    out.push_str("{\"from\": ");
    string(out, sy.name(from));
    out.push_str(", \"to\": ");
    string(out, sy.name(to));
    out.push_str(", \"line\": ");
    if let Some(t) = model.transitions.get(tr as usize) {
        out.push_str(&t.origin.line.to_string());
        if t.origin.file != 0 {
            out.push_str(", \"file\": ");
            string(out, model.file(&t.origin));
        }
    } else {
        out.push('0');
    }
    out.push('}');
}

/// The result object of spec "Output", as one line of text (no newline).
pub fn json_line(r: &LeadResult, model: &Model) -> String {
    let mut out = String::with_capacity(256);
    push_json_line(&mut out, r, model);
    out
}

/// [`json_line`], appended to `out`.
pub fn push_json_line(out: &mut String, r: &LeadResult, model: &Model) {
    let sy = &model.schema.symbols;
    out.push_str("{\"id\": ");
    id_json(out, &r.id);
    if let Some(e) = &r.error {
        out.push_str(", \"error\": ");
        string(out, &e.0);
        out.push('}');
        return;
    }
    let opt_sym = |out: &mut String, s: Option<mql_core::Sym>| match s {
        Some(s) => string(out, sy.name(s)),
        None => out.push_str("null"),
    };
    out.push_str(", \"stage\": ");
    opt_sym(out, r.stage);
    out.push_str(", \"from_stage\": ");
    opt_sym(out, r.from_stage);
    out.push_str(", \"path\": [");
    for (i, p) in r.path.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        step_json(out, model, p.from, p.to, p.transition);
    }
    out.push(']');
    if let Some(c) = &r.cycle {
        out.push_str(", \"cycle\": ");
        step_json(out, model, c.from, c.to, c.transition);
    }
    out.push_str(", \"scores\": {");
    for (i, (s, v)) in model.scores.iter().zip(&r.scores).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, &s.name);
        out.push_str(": ");
        out.push_str(&format_number(*v));
    }
    out.push_str("}, \"tiers\": {");
    for (i, (t, v)) in model.tiers.iter().zip(&r.tiers).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, &t.name);
        out.push_str(": ");
        opt_sym(out, *v);
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
                out.push_str(&format_number(*p));
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

/// CSV header: `id,stage,<score…>,<tier…>,segments,error`.
pub fn csv_header(model: &Model) -> String {
    let mut cols = vec!["id".to_string(), "stage".to_string()];
    cols.extend(model.scores.iter().map(|s| csv_field(&s.name)));
    cols.extend(model.tiers.iter().map(|t| csv_field(&t.name)));
    cols.push("segments".into());
    cols.push("error".into());
    cols.join(",")
}

/// One CSV row matching [`csv_header`]; scores at full precision, segments
/// joined by `;`, unknown values empty.
pub fn csv_row(r: &LeadResult, model: &Model) -> String {
    let sy = &model.schema.symbols;
    let mut cols = vec![csv_field(&r.id.to_string())];
    if let Some(e) = &r.error {
        cols.push(String::new());
        cols.extend(model.scores.iter().map(|_| String::new()));
        cols.extend(model.tiers.iter().map(|_| String::new()));
        cols.push(String::new());
        cols.push(csv_field(&e.0));
        return cols.join(",");
    }
    cols.push(r.stage.map_or(String::new(), |s| csv_field(sy.name(s))));
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
            .map(|t| t.map_or(String::new(), |s| csv_field(sy.name(s)))),
    );
    let segs: Vec<&str> = r
        .segments
        .iter()
        .filter_map(|i| model.values.get(*i as usize).map(|v| v.name.as_str()))
        .collect();
    cols.push(csv_field(&segs.join(";")));
    cols.push(String::new());
    cols.join(",")
}

/// Column cells of a table row (not yet aligned): id, stage, scores rounded
/// to two decimals, tiers, segments joined by `, `; an error fills the stage
/// column with `error: …`.
pub fn table_row(r: &LeadResult, model: &Model) -> Vec<String> {
    let sy = &model.schema.symbols;
    let mut cols = vec![r.id.to_string()];
    if let Some(e) = &r.error {
        cols.push(format!("error: {}", e.0));
        cols.extend(model.scores.iter().map(|_| String::new()));
        cols.extend(model.tiers.iter().map(|_| String::new()));
        cols.push(String::new());
        return cols;
    }
    cols.push(r.stage.map_or("-".to_string(), |s| sy.name(s).to_string()));
    cols.extend(r.scores.iter().map(|v| format!("{v:.2}")));
    cols.extend(
        r.tiers
            .iter()
            .map(|t| t.map_or("-".to_string(), |s| sy.name(s).to_string())),
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
pub fn table_header(model: &Model) -> Vec<String> {
    let mut cols = vec!["id".to_string(), "stage".to_string()];
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

/// Renders results in one format; shared by every thread.
pub struct Renderer<'m> {
    pub model: &'m Model,
    pub format: Format,
}

impl Renderer<'_> {
    /// Add one result to a block's rendering.
    pub fn push(&self, out: &mut Rendered, r: &LeadResult) {
        match self.format {
            Format::Table => out.rows.push(table_row(r, self.model)),
            Format::Csv => {
                out.text.push_str(&csv_row(r, self.model));
                out.text.push('\n');
            }
            Format::Json => {
                out.text.push_str(",\n");
                push_json_line(&mut out.text, r, self.model);
            }
            Format::Ndjson => {
                push_json_line(&mut out.text, r, self.model);
                out.text.push('\n');
            }
        }
        out.count += 1;
    }
}

/// Writes rendered blocks in order: the JSON array's brackets, the CSV
/// header, and the table aligned once every row is known.
pub struct Writer<'m, W: Write> {
    format: Format,
    model: &'m Model,
    out: W,
    count: u64,
    table: Vec<Vec<String>>,
}

impl<'m, W: Write> Writer<'m, W> {
    pub fn new(renderer: &Renderer<'m>, out: W) -> Self {
        Writer {
            format: renderer.format,
            model: renderer.model,
            out,
            count: 0,
            table: Vec::new(),
        }
    }

    /// Write a block's results.
    pub fn write(&mut self, block: Rendered) -> io::Result<()> {
        let text = block.text.as_bytes();
        match self.format {
            Format::Table => self.table.extend(block.rows),
            Format::Json if self.count == 0 && !text.is_empty() => {
                // The first item's `,\n` becomes the array's opening.
                self.out.write_all(b"[\n")?;
                self.out.write_all(&text[2..])?;
            }
            Format::Csv if self.count == 0 && !text.is_empty() => {
                writeln!(self.out, "{}", csv_header(self.model))?;
                self.out.write_all(text)?;
            }
            _ => self.out.write_all(text)?,
        }
        self.count += block.count;
        Ok(())
    }

    /// Close the output: the array's end, a lone CSV header, the table.
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json => {
                self.out
                    .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
            }
            Format::Csv if self.count == 0 => {
                writeln!(self.out, "{}", csv_header(self.model))?;
            }
            Format::Table => {
                let header = table_header(self.model);
                self.out
                    .write_all(render_table(&header, &self.table).as_bytes())?;
            }
            _ => {}
        }
        self.out.flush()
    }
}
