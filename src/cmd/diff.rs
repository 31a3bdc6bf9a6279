//! `mql diff OLD.mql NEW.mql --leads FILE`: what a change to the rules does to
//! the same leads — a matrix of final stages (old × new) and every lead whose
//! stage, tier or segments change.

use std::io::{self, Write};

use mql_report::diff::Meta;
use mql_run::diff::Version;

use super::common::HtmlFile;
use super::common::ReportFormat as Format;
use super::run::{compile, finish_observer, observer, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    /// The model as it is today
    old: String,
    /// The changed model
    new: String,
    #[command(flatten)]
    data: DataArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write the report with its charts as one self-contained HTML page
    #[arg(long, value_name = "FILE")]
    html: Option<String>,
    /// List at most this many changed leads in the text report (all by default)
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// A yes/no column of the leads (e.g. `converted`): precision, recall and
    /// lift of each stage under both versions, and the outcome rate of each
    /// cell of the stage matrix
    #[arg(long, value_name = "FIELD")]
    outcome: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let input = args.data.input();
    mql_run::diff::check_input(&input)?;
    let now = args.data.now()?;
    let Some(old) = compile(&args.old)? else {
        return Ok(1);
    };
    let Some(new) = compile(&args.new)? else {
        return Ok(1);
    };
    let meta = Meta {
        old: args.old.clone(),
        new: args.new.clone(),
        leads: args.data.leads.clone(),
        now,
    };
    let mut inputs = vec![
        args.old.as_str(),
        args.new.as_str(),
        args.data.leads.as_str(),
    ];
    inputs.extend(args.data.events.as_deref());
    let html = args
        .html
        .as_deref()
        .map(|p| HtmlFile::create(p, &inputs))
        .transpose()?;
    let mut observer = observer(&args.data, true)?;
    let done = mql_run::diff::diff(
        Version {
            model: &old.model,
            program: &old.program,
        },
        Version {
            model: &new.model,
            program: &new.program,
        },
        &input,
        &meta,
        args.outcome.as_deref(),
        &mut observer,
    )?;
    if let Some(file) = html {
        file.write(mql_report::html::diff(&done.report))?;
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => out.write_all(done.report.text(args.limit).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &done.report.json())?;
            out.write_all(b"\n")?;
        }
        Format::Csv => out.write_all(done.report.csv().as_bytes())?,
    }
    out.flush()?;
    mql_run::Observer::summary(&mut observer, &done.summary_line(&new.model));
    finish_observer(&args.data, &mut observer)?;
    Ok(0)
}
