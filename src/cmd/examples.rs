//! The examples that end each verb's `--help`: real commands that run on the
//! models and data bundled in `examples/` (from the repository's root).
//! `tests/help_examples.rs` runs every one of them.

pub const CHECK: &str = "\
Examples:
  mql check examples/b2b_saas/acme.mql
  mql check --format json examples/olist/olist.mql examples/olist/olist_v2.mql";

pub const FMT: &str = "\
Examples:
  mql fmt --check examples/b2b_saas/acme.mql
  mql fmt examples/b2b_saas/acme.mql";

pub const EVAL: &str = "\
Examples:
  mql eval examples/b2b_saas/acme.mql --leads examples/b2b_saas/leads.ndjson --as-of 2026-11-01 --format table
  mql eval examples/olist/olist.mql --leads examples/olist/leads.csv --id-field \"MQL Id\" --as-of 2018-06-01 --format csv --keep Origin --changed-only";

pub const EXPLAIN: &str = "\
Examples:
  mql explain examples/b2b_saas/acme.mql --leads examples/b2b_saas/leads.ndjson --id ACME-0003 --as-of 2026-11-01";

pub const TEST: &str = "\
Examples:
  mql test examples/b2b_saas/acme.mql examples/webinar/webinars.mql";

pub const DIFF: &str = "\
Examples:
  mql diff examples/olist/olist.mql examples/olist/olist_v2.mql --leads examples/olist/leads.csv --id-field \"MQL Id\" --as-of 2018-06-01 --limit 10
  mql diff examples/olist/olist.mql examples/olist/olist_v2.mql --leads examples/olist/leads.csv --id-field \"MQL Id\" --as-of 2018-06-01 --outcome \"Became Seller\" --format json";

pub const BACKTEST: &str = "\
Examples:
  mql backtest examples/olist/olist.mql --leads examples/olist/leads.csv --id-field \"MQL Id\" --as-of 2018-06-01 --outcome \"Became Seller\"
  mql backtest examples/olist/olist.mql --leads examples/olist/leads.csv --id-field \"MQL Id\" --as-of 2018-06-01 --outcome \"Became Seller\" --sweep fit --thresholds 20,40,50";

pub const COMPILE: &str = "\
Examples:
  mql compile examples/webinar/webinars.mql --emit bytecode";

pub const COMPLETIONS: &str = "\
Examples:
  mql completions bash
  mql completions zsh";

pub const LSP: &str = "\
Examples:
  mql lsp    (started by an editor, which talks to it on standard input and output)";
