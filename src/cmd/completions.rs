//! `mql completions SHELL`: print a completion script for a shell, made by
//! clap_complete from the command line's own definition.

use std::io::{self, Write};

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete `mql` in
    #[arg(value_enum)]
    shell: Shell,
}

/// Print the script for `command` (the whole `mql` command line).
pub fn run(args: Args, command: &mut clap::Command) -> anyhow::Result<u8> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut out = io::stdout().lock();
    clap_complete::generate(shell, command, "mql", &mut out);
    out.flush()?;
    Ok(0)
}
