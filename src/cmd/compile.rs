//! `mql compile RULES --emit ast|bytecode|sql|sql-data-errors`: show the
//! parsed tree or the compiled program, or write the model as one SQL query
//! for a database (argument handling only; the SQL is built by `mql-sql`).

use std::io::Write;

use anyhow::Context;
use clap::ValueEnum;
use mql_core::time::{parse_time, TimeSyntax};
use mql_core::LineIndex;

use super::common::{load, print_diagnostics, stderr_color};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Emit {
    /// The syntax tree of the file
    Ast,
    /// The disassembled bytecode
    Bytecode,
    /// One SQL query computing every lead's result in a database
    Sql,
    /// A SQL query listing the values the scoring query treats as unknown
    SqlDataErrors,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DialectName {
    Duckdb,
    Postgres,
    Spark,
    Bigquery,
    Snowflake,
}

#[derive(clap::Args)]
pub struct Args {
    /// The model file
    rules: String,
    /// What to print
    #[arg(long, value_enum)]
    emit: Emit,
    /// The SQL engine the query is for (with --emit sql)
    #[arg(long, value_enum, default_value = "duckdb")]
    dialect: DialectName,
    /// The leads table, inserted as written (e.g. analytics.crm_leads)
    #[arg(long, value_name = "NAME", default_value = "leads")]
    leads_table: String,
    /// The events table, inserted as written
    #[arg(long, value_name = "NAME", default_value = "events")]
    events_table: String,
    /// The leads table's id column (default `id`)
    #[arg(long, value_name = "NAME", default_value = "id")]
    id_field: String,
    /// `now` written into the query: an RFC 3339 time or a date (default: the
    /// engine's current timestamp when the query runs)
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// Add a criterion_NAME column for every criterion
    #[arg(long)]
    explain: bool,
    /// Write the query to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let loaded = load(&args.rules)?;
    let text = match args.emit {
        Emit::Ast => {
            let text = loaded.text_of(&loaded.path);
            let ast = mql_syntax::parse(&text);
            print!("{}", mql_syntax::tree::to_sexpr(&ast));
            if !ast.diagnostics.is_empty() {
                print_diagnostics(&loaded, stderr_color());
                return Ok(1);
            }
            return Ok(0);
        }
        Emit::Bytecode => {
            let Some(model) = loaded.checked.model.clone() else {
                print_diagnostics(&loaded, stderr_color());
                return Ok(1);
            };
            let program = mql_vm::compile(&model);
            let sources: Vec<(std::sync::Arc<str>, LineIndex)> = model
                .files
                .iter()
                .map(|f| {
                    let text = loaded.text_of(f);
                    let index = LineIndex::new(&text);
                    (text, index)
                })
                .collect();
            let line_text = |file: u32, line: u32| -> Option<String> {
                let (text, index) = sources.get(file as usize)?;
                let start = index.line_start(line.checked_sub(1)? as usize)? as usize;
                let rest = text.get(start..)?;
                Some(rest.lines().next().unwrap_or("").trim_end().to_string())
            };
            print!("{}", program.disassemble(&line_text));
            return Ok(0);
        }
        Emit::Sql | Emit::SqlDataErrors => {
            let Some(model) = loaded.checked.model.clone() else {
                print_diagnostics(&loaded, stderr_color());
                return Ok(1);
            };
            let dialect = match args.dialect {
                DialectName::Duckdb => "duckdb",
                DialectName::Postgres => "postgres",
                DialectName::Spark => "spark",
                DialectName::Bigquery => "bigquery",
                DialectName::Snowflake => "snowflake",
            };
            let dialect = mql_sql::by_name(dialect).context("unknown dialect")?;
            let mut opts = mql_sql::Options::new(dialect);
            opts.leads_table = args.leads_table.clone();
            opts.events_table = args.events_table.clone();
            opts.id_field = args.id_field.clone();
            opts.explain = args.explain;
            opts.model_file = args.rules.clone();
            opts.sources = model.files.iter().map(|f| loaded.text_of(f)).collect();
            if let Some(t) = &args.as_of {
                opts.as_of = Some(parse_time(t.trim(), TimeSyntax::Literal).with_context(|| {
                    format!("`--as-of {t}` is not a time; write a date like 2026-11-01 or an instant like 2026-11-01T09:30:00Z")
                })?);
            }
            let made = match args.emit {
                Emit::Sql => mql_sql::compile(&model, &opts),
                _ => mql_sql::compile_data_errors(&model, &opts),
            };
            match made {
                Ok(sql) => sql,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(1);
                }
            }
        }
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("cannot write `{path}`"))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(0)
}
