//! `mql eval` end to end on a large NDJSON file of the language reference's §1
//! model, side by side with the floor any NDJSON tool pays: reading the same
//! file and parsing every line with serde_json.
//!
//! The file is generated once (deterministically) under the target folder.
//! `MQL_E2E_LEADS` sets the number of leads (default 1,000,000);
//! `MQL_E2E_GENERATE_ONLY=1` writes the file, prints its path and stops, for
//! whole-process timing and peak-memory measurements outside criterion.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The model of the language reference's §1, kept once in the checker's fixtures.
const MODEL: &str = "crates/mql-sema/tests/fixtures/spec_example.mql";

/// A small, fast, seeded generator: the same file on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The evaluation instant the file's event times are relative to.
const AS_OF: &str = "2026-11-01T00:00:00Z";
const AS_OF_SECS: i64 = 1_793_491_200;

fn timestamp(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn write_lead(rng: &mut Rng, n: u64, out: &mut impl Write) -> std::io::Result<()> {
    let first = rng.pick(&["ana", "ben", "chloe", "dev", "eli", "fatima", "gus"]);
    let domain = rng.pick(&[
        "acme.io",
        "gmail.com",
        "initech.com",
        "outlook.com",
        "globex.net",
    ]);
    let seniority = rng.pick(&["intern", "individual", "manager", "director", "vp", "cxo"]);
    let industry = rng.pick(&[
        "saas",
        "fintech",
        "healthcare",
        "retail",
        "education",
        "other",
    ]);
    let size = [5, 40, 250, 800, 1500, 12000][rng.below(6) as usize];
    let stage = rng.pick(&["prospect", "lead", "lead", "mql", "sql"]);
    write!(
        out,
        r#"{{"id":"L-{n}","email":"{first}.{n}@{domain}","job_title":"Head of Data","seniority":"{seniority}","company_size":{size},"industry":"{industry}","country":"DE","tags":["webinar","trial"],"budget_confirmed":{},"unsubscribed":{},"stage":"{stage}","events":["#,
        rng.below(4) == 0,
        rng.below(50) == 0,
    )?;
    let events = rng.below(17);
    for e in 0..events {
        if e > 0 {
            out.write_all(b",")?;
        }
        let at = timestamp(AS_OF_SECS - rng.below(60 * 86_400) as i64);
        match rng.below(10) {
            0..=4 => {
                let url = rng.pick(&["/pricing", "/pricing/enterprise", "/blog/scoring", "/docs"]);
                let device = rng.pick(&["desktop", "mobile"]);
                write!(
                    out,
                    r#"{{"type":"page_view","at":"{at}","url":"{url}","seconds":{},"device":"{device}"}}"#,
                    rng.below(300)
                )?;
            }
            5 => {
                let form = rng.pick(&["demo", "contact", "newsletter"]);
                write!(
                    out,
                    r#"{{"type":"form_submit","at":"{at}","form":"{form}"}}"#
                )?;
            }
            6 => write!(
                out,
                r#"{{"type":"content_download","at":"{at}","asset":"scoring-guide.pdf"}}"#
            )?,
            7 => write!(
                out,
                r#"{{"type":"webinar","at":"{at}","name":"Lead scoring 101","attended":{}}}"#,
                rng.below(2) == 0
            )?,
            _ => write!(
                out,
                r#"{{"type":"email_click","at":"{at}","campaign":"nov-launch"}}"#
            )?,
        }
    }
    out.write_all(b"]}\n")
}

/// The NDJSON file for `n` leads, generated on first use.
fn leads_file(n: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join(format!("s1_leads_{n}.ndjson"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("create target/bench-data");
        let tmp = path.with_extension("partial");
        let mut out = BufWriter::new(File::create(&tmp).expect("create the leads file"));
        let mut rng = Rng(0x5eed_1ead_5c0e);
        for i in 1..=n {
            write_lead(&mut rng, i, &mut out).expect("write a lead");
        }
        out.flush().expect("flush the leads file");
        drop(out);
        std::fs::rename(&tmp, &path).expect("move the leads file in place");
    }
    path
}

fn parse_with_serde_json(path: &Path) -> usize {
    let reader = BufReader::with_capacity(1 << 16, File::open(path).expect("open leads"));
    let mut objects = 0;
    for line in reader.lines() {
        let line = line.expect("read a line");
        let value: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        objects += usize::from(value.is_object());
    }
    objects
}

/// Run `mql eval` on the first `cores` processors (with `taskset`, which
/// also makes the program size its thread pools to them).
fn mql_eval(path: &Path, cores: usize) {
    let cpus = (0..cores)
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let status = Command::new("taskset")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["-c", &cpus, env!("CARGO_BIN_EXE_mql")])
        .args([
            "eval", MODEL, "--as-of", AS_OF, "--format", "ndjson", "--leads",
        ])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("taskset and mql run");
    assert!(status.success(), "mql eval failed: {status}");
}

fn end_to_end(c: &mut Criterion) {
    let n: u64 = std::env::var("MQL_E2E_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let path = leads_file(n);
    if std::env::var_os("MQL_E2E_GENERATE_ONLY").is_some() {
        println!("{}", path.display());
        return;
    }
    assert_eq!(parse_with_serde_json(&path) as u64, n);

    let mut group = c.benchmark_group("eval_end_to_end");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("serde_json_parse_only", |b| {
        b.iter(|| parse_with_serde_json(&path))
    });
    group.bench_function("mql_eval_1_core", |b| b.iter(|| mql_eval(&path, 1)));
    group.bench_function("mql_eval_2_cores", |b| b.iter(|| mql_eval(&path, 2)));
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
