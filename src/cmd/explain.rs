//! `mql explain RULES --leads FILE --id ID`: one lead as a readable tree —
//! each criterion met / not met / unknown and why, each rule's points with
//! decay and caps, each tier label tried, each transition taken.

use super::run::{compile, observer, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    /// The model file
    rules: String,
    #[command(flatten)]
    data: DataArgs,
    /// The id of the lead to explain
    #[arg(long)]
    id: String,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let now = args.data.now()?;
    let Some(runnable) = compile(&args.rules)? else {
        return Ok(1);
    };
    let model = &runnable.model;
    let found = mql_run::explain::find_lead(
        &model.schema,
        &args.data.input(),
        &args.id,
        &mut observer(false),
    )?;
    let Some(found) = found else {
        eprintln!(
            "error: no lead with id `{}` in `{}`{}",
            args.id,
            args.data.leads,
            match &args.data.id_field {
                Some(f) => format!(" (ids read from `{f}`)"),
                None => " (ids are read from `id`; use --id-field to name another column)".into(),
            }
        );
        return Ok(2);
    };
    let explanation = mql_vm::explain(&runnable.program, model, &found.lead, now);
    print!(
        "{}",
        mql_vm::render_explanation_with(&explanation, model, &found.notes(&model.schema))
    );
    Ok(0)
}
