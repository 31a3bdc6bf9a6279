//! What mql writes: one result per lead in the output formats of `mql eval`
//! (JSON, NDJSON, CSV, aligned table), and the reports of `mql backtest` and
//! `mql diff` as plain serialisable data with their text, JSON, CSV and HTML
//! forms.
//!
//! Nothing here reads files or evaluates leads: `mql-run` does that and hands
//! the results over.

pub mod backtest;
pub mod diff;
pub mod html;
pub mod results;
pub mod stats;
pub mod table;

pub use table::render_table;

use mql_sema::hir::Model;

/// The last line of a run on standard error: `leads read: 40, data errors:
/// 3`, and with `per_stage` (for a model with stages) `, stages: prospect 5,
/// lead 12, …` in funnel order.
pub fn summary_line(
    model: &Model,
    leads_read: u64,
    errors: u64,
    per_stage: Option<&[u64]>,
) -> String {
    let mut line = format!("leads read: {leads_read}, data errors: {errors}");
    if let (Some(stages), Some(counts)) = (&model.schema.stages, per_stage) {
        let parts: Vec<String> = stages
            .variants
            .iter()
            .zip(counts)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        line.push_str(&format!(", stages: {}", parts.join(", ")));
    }
    line
}
