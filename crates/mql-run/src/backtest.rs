//! `mql backtest`: the model over leads with a known yes/no outcome, counted
//! into a [`Backtest`] report.

use mql_report::backtest::{Backtest, Counts, Meta, SweepRequest};
use mql_sema::hir::Model;
use mql_vm::Program;

use crate::input::Input;
use crate::observe::Observer;
use crate::outcome::OutcomeSchema;
use crate::pipeline::{self, Job, Lead, Reading, Settings, Summary};

/// A backtest's report and what the run counted.
pub struct Backtested {
    pub report: Backtest,
    pub summary: Summary,
}

impl Backtested {
    /// The last line on standard error.
    pub fn summary_line(&self, model: &Model) -> String {
        mql_report::summary_line(
            model,
            self.summary.leads_read,
            self.summary.data_errors + self.summary.eval_errors,
            None,
        )
    }
}

struct BacktestJob<'a> {
    model: &'a Model,
    outcome: &'a OutcomeSchema,
}

impl Job for BacktestJob<'_> {
    type Part = Counts;

    fn part(&self) -> Counts {
        Counts::new(self.model)
    }

    fn lead(&self, part: &mut Counts, lead: Lead<'_>) {
        if let (Some(record), Some(r)) = (lead.records.first(), lead.results.first()) {
            part.add(self.model, r, self.outcome.of(record));
        }
    }
}

/// Run `model` over the leads of `input` and count how its stages, tiers,
/// segments and scores match the yes/no column `meta.outcome`; with
/// `sweep`, how each threshold of one score would have picked the leads.
pub fn backtest(
    model: &Model,
    program: &Program,
    input: &Input,
    meta: &Meta,
    sweep: Option<&SweepRequest>,
    observer: &mut dyn Observer,
) -> anyhow::Result<Backtested> {
    let outcome = OutcomeSchema::new(&model.schema, &meta.outcome)?;
    let job = BacktestJob {
        model,
        outcome: &outcome,
    };
    let reading = Reading {
        schema: &outcome.schema,
        program,
        added: outcome.added.as_deref(),
    };
    let settings = Settings {
        now: meta.now,
        explain: false,
        report_eval_errors: true,
    };
    let mut counts = Counts::new(model);
    let summary = pipeline::run(&[reading], input, settings, &job, observer, |part| {
        counts.merge(part);
        Ok(())
    })?;
    if counts.all.leads == 0 && counts.unknown_outcome > 0 {
        anyhow::bail!(
            "none of the {} leads has a yes/no value in `{}`; check the column's name in `{}` (names are matched after lower-casing and turning spaces into `_`)",
            counts.unknown_outcome,
            meta.outcome,
            input.leads
        );
    }
    Ok(Backtested {
        report: Backtest::new(model, &counts, meta, sweep),
        summary,
    })
}
