//! What an author waits for in the editor, on generated 5,000- and
//! 20,000-line models, through the real protocol over in-memory pipes:
//!
//! - `open`: `didOpen` of the model in a fresh server until its
//!   `publishDiagnostics`;
//! - `edit, one criterion`: one digit changed in a criterion in the middle
//!   of the file, until that version's diagnostics;
//! - `edit, lead field`: one character typed into (then deleted from) a lead
//!   field's name; every other edit leaves about one unknown-name error per
//!   12 lines (1,600 on the 20,000-line model), each with its "did you mean";
//! - `completion` in the middle of an expression, and `hover` on a name.
//!
//! Each case runs 20 times; the median and the 90th percentile of the wall
//! time are printed, and the median CPU time of the process (which is what
//! matters when other work shares the machine).
//! The server runs in this process with the allocator of the `mql` binary.
//! Run with `cargo bench -p mql-lsp --bench latency`; `MQL_LATENCY_LINES=5000`
//! runs one size only.

use std::time::{Duration, Instant};

// `mql lsp` runs with mimalloc (see the `mql` binary); so does this bench.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::{json, Value};

#[allow(dead_code)]
#[path = "../tests/lsp/harness.rs"]
mod harness;

const HEAD: &str = "\
model latency

lead {
  email: string
  seniority: enum { intern, individual, manager, director, vp, cxo }
  company_size: int
  industry: enum { saas, fintech, healthcare, retail, education, other }
  country: string
  budget_confirmed: bool
}

event page_view { url: string, seconds: int }
event form_submit { form: string }

const senior_levels = [director, vp, cxo]

stages prospect, lead, mql
transition prospect -> lead when exists(form_submit)
transition lead -> mql when budget_confirmed
";

/// One group of declarations (25 lines) numbered `i`; `digit` is the
/// threshold of its `vertical` criterion.
fn group(i: usize, digit: u32) -> String {
    format!(
        "\
/// fit signals, group {i}
criterion senior_{i} = seniority in senior_levels and company_size >= {size}
criterion vertical_{i} = industry == saas and company_size > {digit}
criterion eng_{i} = count(page_view where url starts_with \"/pricing/{i}\" within 14d) >= 2
let visits_{i} = count(page_view where seconds > {secs} within 30d)
segment region_{i} = lower(country) == \"c{i}\"

score s_{i} {{
  range -50 to 200
  senior_{i} => +25
  vertical_{i} => +10
  eng_{i} => +10
  visits_{i} >= 3 => +5
  industry == retail => -5
  each page_view where url == \"/p/{i}\" => +2 up to 10
}}

tier t_{i} {{
  A when s_{i} >= 40
  B otherwise
}}

test \"group {i}\" {{
  lead {{ seniority: vp, company_size: 900, country: \"c{i}\" }}
  expect s_{i} >= 0
}}
",
        size = 50 + i % 500,
        secs = 10 + i % 90,
    )
}

/// A model of about `lines` lines. `edit` is the digit of the middle
/// group's `vertical` criterion; `field` the name of the `industry` field.
fn model(lines: usize, edit: u32, field: &str) -> String {
    let groups = (lines - HEAD.lines().count()) / 25;
    let mut text = HEAD.replace("industry:", &format!("{field}:"));
    for i in 0..groups {
        let digit = if i == groups / 2 { edit } else { 5 };
        text.push_str(&group(i, digit));
    }
    text
}

fn middle(lines: usize) -> usize {
    (lines - HEAD.lines().count()) / 25 / 2
}

struct Stats {
    median: Duration,
    p90: Duration,
    /// The median CPU time (all threads of the process: the server's, and
    /// the client's reading of the answer).
    cpu: Duration,
}

/// CPU time used by this process so far (user and system, all threads).
fn cpu_now() -> Duration {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    t(u.ru_utime) + t(u.ru_stime)
}

/// Wall and CPU time of each run.
#[derive(Default)]
struct Runs(Vec<Duration>, Vec<Duration>);

impl Runs {
    fn push(&mut self, wall: Duration, cpu: Duration) {
        self.0.push(wall);
        self.1.push(cpu);
    }
}

fn stats(runs: Runs) -> Stats {
    let Runs(mut v, mut c) = runs;
    v.sort();
    c.sort();
    let at = |v: &[Duration], q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        median: at(&v, 0.5),
        p90: at(&v, 0.9),
        cpu: at(&c, 0.5),
    }
}

const RUNS: usize = 20;

async fn open(text: &str) -> (harness::Client, Duration, usize) {
    let mut c = harness::Client::start().await;
    let started = Instant::now();
    let diags = c.open("main.mql", text).await;
    (c, started.elapsed(), diags.len())
}

async fn measure(lines: usize) -> Vec<(String, Stats, String)> {
    let mut rows = Vec::new();
    let clean = model(lines, 1, "industry");

    let mut times = Runs::default();
    let mut n = 0;
    for _ in 0..RUNS.min(10) {
        let cpu = cpu_now();
        let (c, took, count) = open(&clean).await;
        times.push(took, cpu_now() - cpu);
        n = count;
        c.shutdown().await;
    }
    rows.push(("open".into(), stats(times), format!("{n} diagnostics")));

    let (mut c, _, _) = open(&clean).await;
    let uri = c.uri("main.mql");
    let mut times = Runs::default();
    for k in 0..RUNS {
        let text = model(lines, (k % 8) as u32 + 2, "industry");
        let cpu = cpu_now();
        let started = Instant::now();
        let v = c.change("main.mql", &text).await;
        let d = c.diagnostics(&uri, Some(v)).await;
        times.push(started.elapsed(), cpu_now() - cpu);
        assert!(d.iter().all(|d| d["severity"] != 1), "{d:?}");
    }
    rows.push(("edit, one criterion".into(), stats(times), String::new()));

    let mut broken = Runs::default();
    let mut fixed = Runs::default();
    let mut all = Runs::default();
    let mut errors = 0;
    for k in 0..RUNS {
        let field = if k % 2 == 0 { "industryx" } else { "industry" };
        let text = model(lines, 1, field);
        let cpu = cpu_now();
        let started = Instant::now();
        let v = c.change("main.mql", &text).await;
        let d = c.diagnostics(&uri, Some(v)).await;
        let took = started.elapsed();
        let cpu = cpu_now() - cpu;
        all.push(took, cpu);
        if k % 2 == 0 {
            errors = d.len();
            broken.push(took, cpu);
        } else {
            fixed.push(took, cpu);
        }
    }
    rows.push((
        "edit, lead field (both)".into(),
        stats(all),
        format!("{errors} errors after typing"),
    ));
    rows.push((
        "  typing (many errors)".into(),
        stats(broken),
        String::new(),
    ));
    rows.push(("  deleting (clean)".into(), stats(fixed), String::new()));

    // Completion inside the middle group's criterion: after `indu`, and
    // with nothing typed yet (every name of the model is offered).
    let text = model(lines, 1, "industry");
    let v = c.change("main.mql", &text).await;
    c.diagnostics(&uri, Some(v)).await;
    let mid = middle(lines);
    for (name, typed) in [
        ("completion, `indu` typed", "indu"),
        ("completion, nothing typed", ""),
    ] {
        let needle = format!("criterion vertical_{mid} = {typed}");
        let at = text.find(&needle).map_or(0, |i| i + needle.len());
        let mut times = Runs::default();
        let mut items = 0;
        for _ in 0..RUNS {
            let cpu = cpu_now();
            let started = Instant::now();
            let answer = c
                .request(
                    "textDocument/completion",
                    json!({ "textDocument": { "uri": uri.as_str() }, "position": harness::position(&text, at) }),
                )
                .await;
            times.push(started.elapsed(), cpu_now() - cpu);
            items = match &answer["result"] {
                Value::Array(a) => a.len(),
                r => r["items"].as_array().map_or(0, Vec::len),
            };
        }
        rows.push((name.into(), stats(times), format!("{items} items")));
    }

    let needle = format!("  senior_{mid} => +25");
    let at = text.find(&needle).map_or(0, |i| i + 4);
    let mut times = Runs::default();
    for _ in 0..RUNS {
        let cpu = cpu_now();
        let started = Instant::now();
        let answer = c
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": uri.as_str() }, "position": harness::position(&text, at) }),
            )
            .await;
        times.push(started.elapsed(), cpu_now() - cpu);
        assert!(answer["result"]["contents"].is_object(), "{answer}");
    }
    rows.push(("hover".into(), stats(times), String::new()));
    c.shutdown().await;
    rows
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Only under `cargo bench` (which passes `--bench`), not when listed or
    // smoke-tested by `cargo test --benches`.
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = match std::env::var("MQL_LATENCY_LINES") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![5_000, 20_000],
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for lines in sizes {
        let text = model(lines, 1, "industry");
        println!(
            "\n{} lines ({} bytes), {RUNS} runs each (open: 10):",
            text.lines().count(),
            text.len()
        );
        println!(
            "{:<28} {:>10} {:>10} {:>10}",
            "case", "median", "p90", "CPU"
        );
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        for (name, s, note) in rt.block_on(measure(lines)) {
            println!(
                "{name:<28} {:>10} {:>10} {:>10}  {note}",
                ms(s.median),
                ms(s.p90),
                ms(s.cpu)
            );
        }
    }
}
