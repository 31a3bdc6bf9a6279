//! `mql backtest RULES --leads FILE --outcome FIELD`: how well the rules
//! predict a known yes/no outcome of the same leads (e.g. `converted`) — the
//! outcome rate per final stage, tier and segment, precision, recall and lift
//! of "reached stage X", and how well each score ranks the leads.

use std::io::{self, Write};

use mql_report::backtest::{find_score, Meta, SweepRequest};
use mql_run::Observer;

use super::common::HtmlFile;
use super::common::ReportFormat as Format;
use super::run::{compile, finish_observer, observer, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    /// The model file
    rules: String,
    #[command(flatten)]
    data: DataArgs,
    /// The yes/no column or key holding what really happened (e.g. `converted`)
    #[arg(long, value_name = "FIELD")]
    outcome: String,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write the report with its charts as one self-contained HTML page
    #[arg(long, value_name = "FILE")]
    html: Option<String>,
    /// For each threshold of this score, the leads scoring at least that much:
    /// count, with the outcome, precision, recall, lift and F1
    #[arg(long, value_name = "SCORE")]
    sweep: Option<String>,
    /// The thresholds of `--sweep` (default: the score's deciles among the leads)
    #[arg(long, value_name = "T,T…", value_delimiter = ',', requires = "sweep")]
    thresholds: Option<Vec<f64>>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let now = args.data.now()?;
    let Some(runnable) = compile(&args.rules)? else {
        return Ok(1);
    };
    let sweep = match &args.sweep {
        Some(name) => {
            let score = find_score(&runnable.model, name).map_err(anyhow::Error::msg)?;
            let thresholds = args.thresholds.as_ref().map(|t| {
                let mut t: Vec<f64> = t.iter().copied().filter(|x| x.is_finite()).collect();
                t.sort_by(|a, b| b.total_cmp(a));
                t.dedup();
                t
            });
            Some(SweepRequest { score, thresholds })
        }
        None => None,
    };
    let meta = Meta {
        rules: args.rules.clone(),
        outcome: args.outcome.clone(),
        now,
    };
    let mut inputs = vec![args.rules.as_str(), args.data.leads.as_str()];
    inputs.extend(args.data.events.as_deref());
    let html = args
        .html
        .as_deref()
        .map(|p| HtmlFile::create(p, &inputs))
        .transpose()?;
    let mut observer = observer(&args.data, true)?;
    let done = mql_run::backtest::backtest(
        &runnable.model,
        &runnable.program,
        &args.data.input(),
        &meta,
        sweep.as_ref(),
        &mut observer,
    )?;
    if let Some(file) = html {
        file.write(mql_report::html::backtest(&done.report))?;
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => out.write_all(done.report.text().as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &done.report.json())?;
            out.write_all(b"\n")?;
        }
        Format::Csv => out.write_all(done.report.csv().as_bytes())?,
    }
    out.flush()?;
    observer.summary(&done.summary_line(&runnable.model));
    finish_observer(&args.data, &mut observer)?;
    Ok(0)
}
