//! `mql eval`: every lead's result written in input order, a summary of the
//! leads per final stage.

use std::io::Write;

use mql_report::results::{Rendered, Renderer, Writer};
use mql_sema::hir::Model;
use mql_vm::Program;

use crate::input::Input;
use crate::observe::Observer;
use crate::pipeline::{self, Job, Lead, Reading, Settings, Summary};

/// What an evaluation counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evaluated {
    pub summary: Summary,
    /// Leads per final stage, in funnel order (empty for a model without
    /// stages).
    pub per_stage: Vec<u64>,
}

impl Evaluated {
    /// Data errors and evaluation errors together (the summary's count).
    pub fn errors(&self) -> u64 {
        self.summary.data_errors + self.summary.eval_errors
    }

    /// Whether a `--strict` run fails: any data or evaluation error, or a
    /// declared field that nothing fills.
    pub fn fails_strict(&self) -> bool {
        self.errors() > 0 || self.summary.warnings > 0
    }
}

struct EvalJob<'a> {
    model: &'a Model,
    renderer: &'a Renderer<'a>,
    changed_only: bool,
}

/// A block's rendered results and its leads per final stage.
struct Part {
    rendered: Rendered,
    per_stage: Vec<u64>,
}

impl Job for EvalJob<'_> {
    type Part = Part;

    fn part(&self) -> Part {
        let stages = self.model.schema.stages.as_ref();
        Part {
            rendered: Rendered::default(),
            per_stage: vec![0; stages.map_or(0, |s| s.variants.len())],
        }
    }

    fn lead(&self, part: &mut Part, lead: Lead<'_>) {
        let (Some(record), Some(r)) = (lead.records.first(), lead.results.first()) else {
            return;
        };
        if let (Some(stage), Some(stages)) = (r.stage, &self.model.schema.stages) {
            if let Some(i) = stages.syms.iter().position(|s| *s == stage) {
                part.per_stage[i] += 1;
            }
        }
        if self.changed_only && (r.error.is_some() || r.stage == r.from_stage) {
            return;
        }
        // The kept columns' values follow the schema's fields.
        let kept = record
            .fields
            .get(self.model.schema.lead.len()..)
            .unwrap_or(&[]);
        self.renderer.push(&mut part.rendered, r, kept);
    }
}

/// Which results to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Which {
    #[default]
    All,
    /// Only the leads whose final stage differs from the stage they started
    /// in (`--changed-only`); the summary still counts every lead.
    Changed,
}

/// Evaluate every lead of `input` and write the results to `out` as
/// `renderer` renders them; data issues and evaluation errors go to
/// `observer`, and the summary line after them. The input's kept columns
/// (`input.options.keep`) must be the renderer's.
#[allow(clippy::too_many_arguments)]
pub fn eval(
    model: &Model,
    program: &Program,
    input: &Input,
    settings: Settings,
    renderer: &Renderer,
    which: Which,
    out: impl Write,
    observer: &mut dyn Observer,
) -> anyhow::Result<Evaluated> {
    let job = EvalJob {
        model,
        renderer,
        changed_only: which == Which::Changed,
    };
    let mut writer = Writer::new(renderer, out);
    let stage_count = model.schema.stages.as_ref().map_or(0, |s| s.variants.len());
    let mut per_stage = vec![0u64; stage_count];
    let reading = Reading::new(&model.schema, program);
    let summary = pipeline::run(&[reading], input, settings, &job, observer, |part| {
        for (total, n) in per_stage.iter_mut().zip(&part.per_stage) {
            *total += n;
        }
        writer.write(part.rendered)?;
        Ok(())
    })?;
    writer.finish()?;
    let done = Evaluated { summary, per_stage };
    observer.summary(&mql_report::summary_line(
        model,
        done.summary.leads_read,
        done.errors(),
        Some(&done.per_stage),
    ));
    if let Some((name, closest)) = done.summary.kept_missing.first() {
        anyhow::bail!(
            "`--keep {name}`: no record of `{}` has a key `{name}`{}",
            input.leads,
            closest
                .as_ref()
                .map_or(String::new(), |c| format!("; the closest is `{c}`"))
        );
    }
    Ok(done)
}
