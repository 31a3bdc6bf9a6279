//! What the end-to-end test programs share: running the `mql` under test.

use std::process::{Command, Output};

/// Run the `mql` being tested from the project's folder, without colours.
pub fn mql(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("mql runs")
}
