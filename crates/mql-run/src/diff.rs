//! `mql diff`: two versions of a model over the same leads, each lead's
//! results compared into a [`Diff`] report.
//!
//! The leads are read once and decoded by each version's schema (the two
//! versions may declare different fields); a data issue both find is told
//! once.

use mql_report::diff::{Counts, Diff, Meta, Pairing};
use mql_sema::hir::Model;
use mql_vm::Program;

use crate::input::Input;
use crate::observe::Observer;
use crate::outcome::OutcomeSchema;
use crate::pipeline::{self, Job, Lead, Reading, Settings, Summary};

/// A diff's report and what the run counted.
pub struct Diffed {
    pub report: Diff,
    pub summary: Summary,
}

impl Diffed {
    /// The last line on standard error. Leads that cannot be evaluated are
    /// in the report's `error` row or column, not counted as data errors.
    pub fn summary_line(&self, model: &Model) -> String {
        mql_report::summary_line(
            model,
            self.summary.leads_read,
            self.summary.data_errors,
            None,
        )
    }
}

/// One version of the model.
pub struct Version<'a> {
    pub model: &'a Model,
    pub program: &'a Program,
}

struct DiffJob<'a> {
    pairing: &'a Pairing<'a>,
    /// The outcome column, read with the old version's leads.
    outcome: Option<&'a OutcomeSchema>,
}

impl Job for DiffJob<'_> {
    type Part = Counts;

    fn part(&self) -> Counts {
        self.pairing.counts()
    }

    fn lead(&self, part: &mut Counts, lead: Lead<'_>) {
        if let ([old, new], Some(record)) = (lead.results, lead.records.first()) {
            let outcome = self.outcome.and_then(|o| o.of(record));
            self.pairing.add(part, old, new, outcome);
        }
    }
}

/// Refuse standard input, which cannot be read once per version.
pub fn check_input(input: &Input) -> anyhow::Result<()> {
    if input.reads_stdin() {
        anyhow::bail!(
            "`mql diff` reads the leads once for each version of the rules, so it needs a file; save the data to a file and pass its name instead of `-`"
        );
    }
    Ok(())
}

/// Run both versions over the leads of `input` and compare each lead's
/// results; with `outcome`, measure both against that yes/no column.
pub fn diff(
    old: Version,
    new: Version,
    input: &Input,
    meta: &Meta,
    outcome: Option<&str>,
    observer: &mut dyn Observer,
) -> anyhow::Result<Diffed> {
    check_input(input)?;
    let name = outcome.map(str::to_string);
    let outcome = outcome
        .map(|name| OutcomeSchema::new(&old.model.schema, name))
        .transpose()?;
    // The new version reads the same column too (by the column the old one
    // reads it from), so that it is not noted as ignored and its data errors
    // are the old version's, told once.
    let new_schema = outcome
        .as_ref()
        .map(|o| OutcomeSchema::new(&new.model.schema, o.column()))
        .transpose()?;
    let pairing = Pairing::new(old.model, new.model, name);
    let job = DiffJob {
        pairing: &pairing,
        outcome: outcome.as_ref(),
    };
    let readings = [
        Reading {
            schema: outcome.as_ref().map_or(&old.model.schema, |o| &o.schema),
            program: old.program,
            added: outcome.as_ref().and_then(|o| o.added.as_deref()),
        },
        Reading {
            schema: new_schema.as_ref().map_or(&new.model.schema, |o| &o.schema),
            program: new.program,
            added: new_schema.as_ref().and_then(|o| o.added.as_deref()),
        },
    ];
    let settings = Settings {
        now: meta.now,
        explain: false,
        report_eval_errors: false,
    };
    let mut counts = pairing.counts();
    let summary = pipeline::run(&readings, input, settings, &job, observer, |part| {
        counts.merge(part);
        Ok(())
    })?;
    Ok(Diffed {
        report: Diff::new(&pairing, counts, meta),
        summary,
    })
}
