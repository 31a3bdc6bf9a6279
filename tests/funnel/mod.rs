//! The small funnel fixture (`tests/fixtures/diff/`) that the deciding
//! tests and the HTML report tests run `mql backtest` and `mql diff` on.

pub const V1: &str = "tests/fixtures/diff/funnel_v1.mql";
pub const V2: &str = "tests/fixtures/diff/funnel_v2.mql";
pub const LEADS: &str = "tests/fixtures/diff/leads.ndjson";

/// `mql backtest` of the fixture against its `converted` outcome, before
/// the options of each test.
pub const BACKTEST: [&str; 8] = [
    "backtest",
    V1,
    "--leads",
    LEADS,
    "--as-of",
    "2026-11-01",
    "--outcome",
    "converted",
];

/// `mql diff` of the fixture's two versions, before the options of each test.
pub const DIFF: [&str; 7] = ["diff", V1, V2, "--leads", LEADS, "--as-of", "2026-11-01"];
