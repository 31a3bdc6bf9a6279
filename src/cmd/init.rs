//! `mql init --from FILE`: draft a model from a CRM export (the drafting is
//! `mql-draft`'s); the model on standard output or into a new file, what was
//! guessed on standard error.

use std::io::Write;

use mql_data::InputFormat;

#[derive(clap::Args)]
pub struct Args {
    /// The export to draft from: CSV, NDJSON, JSON (an array) or an Excel
    /// workbook (.xlsx); `-` for standard input
    #[arg(long, value_name = "FILE")]
    from: String,
    /// An events export (NDJSON, CSV or .xlsx with `type`, `at` and `lead_id`),
    /// for the `event` blocks
    #[arg(long, value_name = "FILE")]
    events: Option<String>,
    /// The column that holds the lead's id, left out of the fields (default `id`)
    #[arg(long, value_name = "NAME")]
    id_field: Option<String>,
    /// The export's format, when its extension does not tell
    #[arg(long, value_name = "FORMAT", value_parser = ["json", "ndjson", "jsonl", "csv", "xlsx"])]
    input_format: Option<String>,
    /// The sheet of a workbook to read (default: the first)
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Write the model to this new file instead of standard output (an
    /// existing file is never overwritten)
    #[arg(short = 'o', long = "output", value_name = "MODEL")]
    output: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    if let Some(path) = &args.output {
        if std::path::Path::new(path).exists() {
            anyhow::bail!(
                "`{path}` already exists and is left as it is; give `-o` a new file name, or remove `{path}` first"
            );
        }
    }
    let format = args
        .input_format
        .as_deref()
        .and_then(InputFormat::from_name)
        .or_else(|| (args.from == "-").then_some(InputFormat::Ndjson));
    let options = mql_draft::Options {
        from: args.from.clone(),
        format,
        sheet: args.sheet.clone(),
        events: args.events.clone(),
        events_sheet: None,
        id_field: args.id_field.clone(),
    };
    let draft = mql_draft::draft(&options)?;
    match &args.output {
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot write `{path}`: {e}"))?;
            file.write_all(draft.text.as_bytes())
                .map_err(|e| anyhow::anyhow!("cannot write `{path}`: {e}"))?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(draft.text.as_bytes())?;
            out.flush()?;
        }
    }
    for guess in &draft.guesses {
        eprintln!("guessed: {guess}");
    }
    eprintln!(
        "drafted {}: check it with `mql check {}`, then rename fields and fix the guesses in it",
        args.output
            .as_deref()
            .unwrap_or("a model on standard output"),
        args.output.as_deref().unwrap_or("MODEL")
    );
    Ok(0)
}
