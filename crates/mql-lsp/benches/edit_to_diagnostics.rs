//! How long an editor waits for diagnostics on a 5,000-line model: from a
//! one-character `didChange` to the `publishDiagnostics` that answers it,
//! through the real protocol over in-memory pipes.
//!
//! - `incremental, big score`: the edit is in the model's largest
//!   declaration (a score of ~1,660 rules, a third of the file), so salsa
//!   re-parses and re-checks that whole declaration;
//! - `incremental, one criterion`: the edit is in one small criterion;
//! - `cold`: the same text opened in a fresh server (everything computed from
//!   scratch); the previous server is shut down outside the timed part.
//!
//! After criterion's figures, the three cases are run again interleaved
//! (one of each per round, so a busy machine slows all of them alike) and
//! their medians and ratios printed.
//!
//! Run with `cargo bench -p mql-lsp --bench edit_to_diagnostics`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use tokio::runtime::Runtime;

#[allow(dead_code)]
#[path = "../tests/lsp/harness.rs"]
mod harness;

const HEAD: &str = r#"model bench
lead {
  email: string
  seniority: enum { intern, manager, director, vp, cxo }
  company_size: int
}
event page_view { url: string, seconds: int }
criterion decision_maker = seniority in [director, vp, cxo]
score fit {
  range 0 to 100
  decision_maker => +25
  company_size > 500 => +10
}
"#;

/// The criterion whose threshold the small edit changes.
const EDITED_CRITERION: usize = 800;

/// A model of about 5,000 lines: many criteria used by one score. The last
/// rule of the score compares with `score_edit`; the criterion
/// `visited_800` with `criterion_edit` (each a single digit, 1–9).
fn model(score_edit: u32, criterion_edit: u32) -> String {
    let mut text = String::from(HEAD);
    let mut rules = String::from("score activity {\n");
    let mut lines = text.lines().count() + 2;
    let mut i = 0;
    while lines < 5_000 {
        let at_least = if i == EDITED_CRITERION {
            criterion_edit
        } else {
            (i % 7 + 1) as u32
        };
        text.push_str(&format!(
            "/// Visited page {i}\ncriterion visited_{i} = count(page_view where url == \"/p/{i}\" within 30d) >= {at_least}\n",
        ));
        rules.push_str(&format!("  visited_{i} => +1\n"));
        lines += 3;
        i += 1;
    }
    rules.push_str(&format!("  company_size > {score_edit} => +1\n}}\n"));
    text.push_str(&rules);
    text
}

/// The texts one edit after another goes through: each differs from the
/// one before in one character (a digit from 1 to 9).
fn edited(case: Case, n: u64) -> String {
    let digit = (n % 9 + 1) as u32;
    match case {
        Case::BigScore => model(digit, 2),
        Case::OneCriterion => model(1, digit),
    }
}

/// Where the edit lands.
#[derive(Clone, Copy)]
enum Case {
    BigScore,
    OneCriterion,
}

/// A server with the model open, ready for edits.
async fn opened() -> harness::Client {
    let mut client = harness::Client::start().await;
    client.open("main.mql", &model(1, 2)).await;
    client
}

/// One edit and the wait for its diagnostics. `n` counts from 1 so the
/// first edit already differs from the opened text.
async fn edit(client: &mut harness::Client, case: Case, n: u64) -> Duration {
    let text = edited(case, n);
    let uri = client.uri("main.mql");
    let started = Instant::now();
    let v = client.change("main.mql", &text).await;
    let diagnostics = client.diagnostics(&uri, Some(v)).await;
    let took = started.elapsed();
    assert!(diagnostics.is_empty(), "the bench model checks clean");
    took
}

/// One fresh server opening the model; shut down after the timed part.
async fn cold(text: &str) -> Duration {
    let mut client = harness::Client::start().await;
    let started = Instant::now();
    let diagnostics = client.open("main.mql", text).await;
    let took = started.elapsed();
    assert!(diagnostics.is_empty(), "the bench model checks clean");
    client.shutdown().await;
    took
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("didChange to publishDiagnostics, 5,000 lines");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for (name, case) in [
        ("incremental, big score", Case::BigScore),
        ("incremental, one criterion", Case::OneCriterion),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut client = opened().await;
                    let mut total = Duration::ZERO;
                    for n in 1..=iters {
                        total += edit(&mut client, case, n).await;
                    }
                    client.shutdown().await;
                    total
                })
            })
        });
    }
    group.bench_function("cold", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let text = model(1, 2);
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += cold(&text).await;
                }
                total
            })
        })
    });
    group.finish();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The three cases side by side in one run, interleaved round by round.
fn interleaved() {
    const ROUNDS: u64 = 15;
    let rt = runtime();
    let (big, small, fresh) = rt.block_on(async {
        let text = model(1, 2);
        let mut big_client = opened().await;
        let mut small_client = opened().await;
        let (mut big, mut small, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
        for n in 1..=ROUNDS {
            big.push(edit(&mut big_client, Case::BigScore, n).await);
            small.push(edit(&mut small_client, Case::OneCriterion, n).await);
            fresh.push(cold(&text).await);
        }
        big_client.shutdown().await;
        small_client.shutdown().await;
        (median(big), median(small), median(fresh))
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("\ninterleaved, median of {ROUNDS} rounds:");
    println!("  cold open                   {:8.1} ms", ms(fresh));
    println!(
        "  incremental, big score      {:8.1} ms  ({:.1}x faster than cold)",
        ms(big),
        ms(fresh) / ms(big)
    );
    println!(
        "  incremental, one criterion  {:8.1} ms  ({:.1}x faster than cold)",
        ms(small),
        ms(fresh) / ms(small)
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only under `cargo bench` (which passes `--bench`), not when listed or
    // smoke-tested by `cargo test --benches`.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--list") {
        interleaved();
    }
}
