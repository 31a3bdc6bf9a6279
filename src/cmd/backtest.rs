//! `mql backtest RULES --leads FILE --outcome FIELD`: how well the rules
//! predict a known yes/no outcome of the same leads (e.g. `converted`) — the
//! outcome rate per final stage, tier and segment, precision, recall and lift
//! of "reached stage X", and how well each score ranks the leads.

use std::io::{self, Write};

use mql_report::backtest::Meta;
use mql_run::Observer;

use super::common::ReportFormat as Format;
use super::run::{compile, observer, DataArgs};

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
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let now = args.data.now()?;
    let Some(runnable) = compile(&args.rules)? else {
        return Ok(1);
    };
    let meta = Meta {
        rules: args.rules.clone(),
        outcome: args.outcome.clone(),
        now,
    };
    let mut observer = observer(false);
    let done = mql_run::backtest::backtest(
        &runnable.model,
        &runnable.program,
        &args.data.input(),
        &meta,
        &mut observer,
    )?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => out.write_all(done.report.text().as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &done.report.json())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    observer.summary(&done.summary_line(&runnable.model));
    Ok(0)
}
