//! How fast NDJSON leads are read, against serde_json parsing the same lines
//! into trees. Ignored by default; run it in release mode:
//! `MQL_SPEED_LEADS=1000000 cargo test --release -p mql-data --test speed -- --ignored --nocapture`

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::{conformance_dir, schema_of};
use mql_data::{Issues, LeadReader, ReadOptions, Source};

/// Counts allocations, to report how many a lead costs.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static LARGE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        if layout.size() >= 1024 {
            LARGE.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        if new_size >= 1024 {
            LARGE.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A deterministic stream of realistic leads, each with a few nested events.
fn generate(n: usize) -> String {
    let seniorities = ["intern", "individual", "manager", "director", "vp", "cxo"];
    let industries = ["saas", "fintech", "healthcare", "retail", "education"];
    let mut out = String::with_capacity(n * 900);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let r = next();
        let _ = write!(
            out,
            r#"{{"id": "L-{i:07}", "stage": "lead", "email": "user{i}@acme.io", "job_title": "Head of Data", "seniority": "{}", "company_size": {}, "industry": "{}", "country": "US", "tags": ["beta", "vip"], "interests": ["ai", "cloud"], "scores_seen": [3, 4], "budget_confirmed": true, "unsubscribed": false, "annual_revenue": {}.5, "signup_at": "2026-0{}-1{}T12:00:00Z", "nps": {}, "events": ["#,
            seniorities[(r % 6) as usize],
            r % 5000,
            industries[(r % 5) as usize],
            r % 100_000,
            1 + r % 9,
            r % 10,
            r % 11,
        );
        let k = 2 + (r % 5) as usize;
        for j in 0..k {
            if j > 0 {
                out.push_str(", ");
            }
            let e = next();
            match e % 3 {
                0 => write!(
                    out,
                    r#"{{"type": "page_view", "at": "2026-05-{:02}T10:{:02}:00Z", "url": "/pricing", "seconds": {}, "device": "desktop"}}"#,
                    1 + e % 28,
                    e % 60,
                    e % 600
                ),
                1 => write!(
                    out,
                    r#"{{"type": "form_submit", "at": "2026-05-{:02}T10:00:00Z", "form": "demo"}}"#,
                    1 + e % 28
                ),
                _ => write!(
                    out,
                    r#"{{"type": "purchase", "at": "2026-06-{:02}T08:00:00.250Z", "amount": {}.0, "plan": "pro"}}"#,
                    1 + e % 28,
                    e % 900
                ),
            }
            .unwrap();
        }
        out.push_str("]}\n");
    }
    out
}

#[test]
#[ignore = "a measurement, not a check; run it in release mode"]
fn ndjson_reading_speed() {
    let n: usize = std::env::var("MQL_SPEED_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let model = std::fs::read_to_string(conformance_dir().join("gen-1000/model.mql")).unwrap();
    let schema = schema_of(&model);
    let path = std::env::temp_dir().join(format!("mql-data-speed-{n}.ndjson"));
    if !path.exists() {
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(generate(n).as_bytes()).unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let path_s = path.to_str().unwrap();

    // Baseline: serde_json parsing every line into a tree.
    let t = Instant::now();
    if std::env::var_os("MQL_SPEED_NO_BASELINE").is_none() {
        let mut count = 0usize;
        for line in BufReader::new(std::fs::File::open(&path).unwrap()).lines() {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            count += v.is_object() as usize;
        }
        assert_eq!(count, n);
    }
    let serde_time = t.elapsed();

    if std::env::var_os("MQL_SPEED_ONLY_BASELINE").is_some() {
        println!("{n} leads: serde_json::Value {serde_time:.2?}");
        return;
    }
    let allocs = ALLOCS.load(Ordering::Relaxed);
    let large = LARGE.load(Ordering::Relaxed);
    let t = Instant::now();
    let mut reader = LeadReader::new(
        &schema,
        Source::open(path_s).unwrap(),
        &ReadOptions::default(),
        Issues::ignore(),
    )
    .unwrap();
    let mut leads = 0usize;
    let mut events = 0usize;
    loop {
        let chunk = reader.next_chunk(8192).unwrap();
        if chunk.is_empty() {
            break;
        }
        leads += chunk.len();
        events += chunk
            .iter()
            .map(|l| l.events.iter().map(Vec::len).sum::<usize>())
            .sum::<usize>();
    }
    let ours = t.elapsed();
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs;
    let large = LARGE.load(Ordering::Relaxed) - large;
    assert_eq!(leads, n);
    assert_eq!(reader.issues().errors(), 0);
    println!(
        "{n} leads ({events} events, {:.0} MB): serde_json::Value {:.2?}, mql-data {:.2?} ({:.2}x); {:.1} allocations a lead, {large} of 1 KiB or more",
        size as f64 / 1e6,
        serde_time,
        ours,
        ours.as_secs_f64() / serde_time.as_secs_f64(),
        allocs as f64 / n as f64,
    );
}
