//! How long an editor waits for diagnostics on a 5,000-line model: from a
//! one-character `didChange` to the `publishDiagnostics` that answers it,
//! through the real protocol over in-memory pipes. `incremental` edits an
//! open document (salsa re-parses and re-checks what changed); `cold` opens
//! the same text in a fresh server (everything computed from scratch).
//!
//! Run with `cargo bench -p mql-lsp --bench edit_to_diagnostics`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

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

/// A model of about 5,000 lines: many criteria used by one score.
fn model(threshold: u32) -> String {
    let mut text = String::from(HEAD);
    let mut rules = String::from("score activity {\n");
    let mut lines = text.lines().count() + 2;
    let mut i = 0;
    while lines < 5_000 {
        text.push_str(&format!(
            "/// Visited page {i}\ncriterion visited_{i} = count(page_view where url == \"/p/{i}\" within 30d) >= {}\n",
            i % 7 + 1
        ));
        rules.push_str(&format!("  visited_{i} => +1\n"));
        lines += 3;
        i += 1;
    }
    rules.push_str(&format!("  company_size > {threshold} => +1\n}}\n"));
    text.push_str(&rules);
    text
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("didChange to publishDiagnostics, 5,000 lines");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));

    group.bench_function("incremental", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut client = harness::Client::start().await;
                client.open("main.mql", &model(1)).await;
                let uri = client.uri("main.mql");
                let mut total = Duration::ZERO;
                for n in 0..iters {
                    // One character differs from the previous text.
                    let text = model((n % 9 + 2) as u32);
                    let started = Instant::now();
                    let v = client.change("main.mql", &text).await;
                    client.diagnostics(&uri, Some(v)).await;
                    total += started.elapsed();
                }
                total
            })
        })
    });

    group.bench_function("cold", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let text = model(1);
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut client = harness::Client::start().await;
                    let started = Instant::now();
                    client.open("main.mql", &text).await;
                    total += started.elapsed();
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
