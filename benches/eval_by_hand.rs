//! `mql eval --format ndjson` end to end against the same whole job written
//! by hand in Rust, and against that program's parse alone.
//!
//! The leads are those of the peer benchmark's generator
//! (`crates/mql-vm/benches/peers/gen.rs`: the §1 model, 10–30 events per lead,
//! some fields missing, some events after the evaluation instant), written
//! once as NDJSON under `target/bench-data/`. The hand-written program reads
//! it with serde-derived structs that borrow from each line, evaluates the
//! peer benchmark's hand-written rules (`peers/hand.rs`) and writes the
//! result lines in input order, on as many threads as it has cores (rayon).
//! Its parse alone is the same program stopping after deserialising each
//! line.
//!
//! Before timing, both programs' outputs are compared byte for byte; the
//! benchmark stops at the first line that differs. Then the three programs
//! run in turns as whole processes (`taskset` gives each the same cores),
//! and the medians of each figure and of the ratios, pair by pair, are
//! printed.
//!
//! `MQL_BY_HAND_LEADS` sets the number of leads (200,000),
//! `MQL_BY_HAND_CORES` the core counts to try (`1,2`), `MQL_BY_HAND_PAIRS`
//! the runs of each (5), `MQL_BY_HAND_MQL` another `mql` binary to time (to
//! compare builds); `MQL_BY_HAND_GENERATE_ONLY=1` writes the file,
//! prints its path and stops. The bench binary runs the hand-written program
//! itself when `MQL_BY_HAND_ROLE` is `hand` or `parse` (the leads file is
//! its argument; results go to standard output).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use rayon::prelude::*;
use serde::Deserialize;

#[path = "../crates/mql-vm/benches/peers/gen.rs"]
#[allow(dead_code)]
mod gen;
#[path = "../crates/mql-vm/benches/peers/hand.rs"]
#[allow(dead_code)]
mod hand;

use gen::{ContentDownload, EmailClick, FormSubmit, Lead, PageView, Webinar};

/// The model of the language reference's §1, kept once in the checker's fixtures.
const MODEL: &str = "crates/mql-sema/tests/fixtures/spec_example.mql";
const AS_OF: &str = "2026-11-01T00:00:00Z";
const SEED: u64 = 0x5EED_0001;

// ---------------------------------------------------------------------------
// The data file

fn now_ms() -> i64 {
    mql_core::time::parse_time(AS_OF, mql_core::time::TimeSyntax::Literal).expect("a valid instant")
}

/// One generated lead as an NDJSON line: missing fields are left out, the
/// events nested in time order.
fn write_lead(lead: &Lead, out: &mut impl Write) -> std::io::Result<()> {
    let text = |out: &mut dyn Write, key: &str, v: &Option<String>| match v {
        Some(v) => write!(out, ",\"{key}\":\"{v}\""),
        None => Ok(()),
    };
    write!(out, "{{\"id\":\"{}\"", lead.id)?;
    text(out, "email", &lead.email)?;
    text(out, "job_title", &lead.job_title)?;
    if let Some(s) = lead.seniority {
        write!(out, ",\"seniority\":\"{}\"", gen::SENIORITY[s as usize])?;
    }
    if let Some(n) = lead.company_size {
        write!(out, ",\"company_size\":{n}")?;
    }
    if let Some(s) = lead.industry {
        write!(out, ",\"industry\":\"{}\"", gen::INDUSTRY[s as usize])?;
    }
    text(out, "country", &lead.country)?;
    if let Some(tags) = &lead.tags {
        let tags: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
        write!(out, ",\"tags\":[{}]", tags.join(","))?;
    }
    if let Some(b) = lead.budget_confirmed {
        write!(out, ",\"budget_confirmed\":{b}")?;
    }
    if let Some(b) = lead.unsubscribed {
        write!(out, ",\"unsubscribed\":{b}")?;
    }
    if let Some(s) = lead.stage {
        write!(out, ",\"stage\":\"{}\"", gen::STAGES[s as usize])?;
    }
    let time = mql_core::time::format_time;
    let mut events: Vec<(i64, String)> = Vec::with_capacity(lead.event_count());
    for e in &lead.page_view {
        events.push((e.at, format!(
            "{{\"type\":\"page_view\",\"at\":\"{}\",\"url\":\"{}\",\"seconds\":{},\"device\":\"{}\"}}",
            time(e.at), e.url, e.seconds, gen::DEVICE[e.device as usize]
        )));
    }
    for e in &lead.form_submit {
        events.push((
            e.at,
            format!(
                "{{\"type\":\"form_submit\",\"at\":\"{}\",\"form\":\"{}\"}}",
                time(e.at),
                e.form
            ),
        ));
    }
    for e in &lead.content_download {
        events.push((
            e.at,
            format!(
                "{{\"type\":\"content_download\",\"at\":\"{}\",\"asset\":\"{}\"}}",
                time(e.at),
                e.asset
            ),
        ));
    }
    for e in &lead.webinar {
        let attended = match e.attended {
            Some(b) => format!(",\"attended\":{b}"),
            None => String::new(),
        };
        events.push((
            e.at,
            format!(
                "{{\"type\":\"webinar\",\"at\":\"{}\",\"name\":\"{}\"{attended}}}",
                time(e.at),
                e.name
            ),
        ));
    }
    for e in &lead.email_click {
        events.push((
            e.at,
            format!(
                "{{\"type\":\"email_click\",\"at\":\"{}\",\"campaign\":\"{}\"}}",
                time(e.at),
                e.campaign
            ),
        ));
    }
    events.sort_by_key(|e| e.0);
    let events: Vec<String> = events.into_iter().map(|e| e.1).collect();
    writeln!(out, ",\"events\":[{}]}}", events.join(","))
}

/// The NDJSON file for `n` leads, generated on first use.
fn leads_file(n: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join(format!("s1_peer_leads_{n}.ndjson"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("create target/bench-data");
        let tmp = path.with_extension("partial");
        let mut out = BufWriter::new(File::create(&tmp).expect("create the leads file"));
        let now = now_ms();
        for i in 0..n {
            write_lead(&gen::lead(i, SEED, now), &mut out).expect("write a lead");
        }
        out.flush().expect("flush the leads file");
        drop(out);
        std::fs::rename(&tmp, &path).expect("move the leads file in place");
    }
    path
}

// ---------------------------------------------------------------------------
// The hand-written program

/// A lead line as serde reads it, texts borrowed from the line (copied only
/// where an escape forces it).
#[derive(Deserialize)]
struct LeadIn<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    email: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    job_title: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    seniority: Option<Cow<'a, str>>,
    #[serde(default)]
    company_size: Option<i64>,
    #[serde(borrow, default)]
    industry: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    country: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Cow<'a, str>>>,
    #[serde(default)]
    budget_confirmed: Option<bool>,
    #[serde(default)]
    unsubscribed: Option<bool>,
    #[serde(borrow, default)]
    stage: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    events: Vec<EventIn<'a>>,
}

/// An event of any type: the fields of every type, each optional.
#[derive(Deserialize)]
struct EventIn<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    at: Cow<'a, str>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(default)]
    seconds: Option<i64>,
    #[serde(borrow, default)]
    device: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    form: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    asset: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    attended: Option<bool>,
    #[serde(borrow, default)]
    campaign: Option<Cow<'a, str>>,
}

fn index(names: &[&str], v: Option<&Cow<str>>) -> Option<u8> {
    v.and_then(|v| names.iter().position(|n| *n == v.as_ref()))
        .map(|i| i as u8)
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` in milliseconds since the epoch.
fn parse_at(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = match b.get(19) {
        Some(b'.') => num(20..23)?,
        _ => 0,
    };
    // days from the civil date (proleptic Gregorian)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms)
}

/// The generator's lead from a parsed line; events grouped by type and
/// sorted by time (stable), as the rules expect.
fn to_lead<'a>(l: LeadIn<'a>) -> Lead<Cow<'a, str>> {
    let mut lead = Lead {
        seniority: index(&gen::SENIORITY, l.seniority.as_ref()),
        industry: index(&gen::INDUSTRY, l.industry.as_ref()),
        stage: index(&gen::STAGES, l.stage.as_ref()),
        id: l.id,
        email: l.email,
        job_title: l.job_title,
        company_size: l.company_size,
        country: l.country,
        tags: l.tags,
        budget_confirmed: l.budget_confirmed,
        unsubscribed: l.unsubscribed,
        page_view: Vec::new(),
        form_submit: Vec::new(),
        content_download: Vec::new(),
        webinar: Vec::new(),
        email_click: Vec::new(),
    };
    let text = |t: Option<Cow<'a, str>>| t.unwrap_or(Cow::Borrowed(""));
    for e in l.events {
        let Some(at) = parse_at(&e.at) else { continue };
        match e.ty.as_ref() {
            "page_view" => lead.page_view.push(PageView {
                at,
                url: text(e.url),
                seconds: e.seconds.unwrap_or(0),
                device: index(&gen::DEVICE, e.device.as_ref()).unwrap_or(0),
            }),
            "form_submit" => lead.form_submit.push(FormSubmit {
                at,
                form: text(e.form),
            }),
            "content_download" => lead.content_download.push(ContentDownload {
                at,
                asset: text(e.asset),
            }),
            "webinar" => lead.webinar.push(Webinar {
                at,
                name: text(e.name),
                attended: e.attended,
            }),
            "email_click" => lead.email_click.push(EmailClick {
                at,
                campaign: text(e.campaign),
            }),
            _ => {}
        }
    }
    lead.sort_events();
    lead
}

/// The source line of each transition of the §1 model, in order.
const TRANSITION_LINES: [u32; 6] = [60, 61, 63, 64, 66, 67];
/// Each transition's target stage (index into `gen::STAGES`).
const TRANSITION_TO: [u8; 6] = [1, 2, 2, 3, 1, 5];

/// A score as `mql eval` writes it: the shortest form that reads back, with
/// a fraction. Rust's own `{}` gives that form for the usual magnitudes;
/// the rare others (and 17-digit ties) go to the project's own formatting.
fn push_number(out: &mut Vec<u8>, x: f64) {
    if x == 0.0 || (1e-4..1e16).contains(&x.abs()) {
        let start = out.len();
        write!(out, "{x}").ok();
        if out[start..].iter().filter(|b| b.is_ascii_digit()).count() < 17 {
            if !out[start..].contains(&b'.') {
                out.extend_from_slice(b".0");
            }
            return;
        }
        out.truncate(start);
    }
    out.extend_from_slice(mql_core::number::format_number(x).as_bytes());
}

/// The result line of one lead, as `mql eval --format ndjson` writes it.
fn push_result(out: &mut Vec<u8>, lead: &Lead<Cow<str>>, now: i64) {
    let (o, walk) = hand::evaluate_walk(lead, now);
    let stage = |i: u8| gen::STAGES[i as usize];
    let from = lead.stage.unwrap_or(0);
    out.extend_from_slice(b"{\"id\": ");
    out.extend_from_slice(
        serde_json::to_string(lead.id.as_ref())
            .unwrap_or_default()
            .as_bytes(),
    );
    write!(
        out,
        ", \"stage\": \"{}\", \"from_stage\": \"{}\", \"path\": [",
        stage(o.stage),
        stage(from)
    )
    .ok();
    let mut at = from;
    for (i, &t) in walk.fired().iter().enumerate() {
        let to = TRANSITION_TO[t as usize];
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        write!(
            out,
            "{{\"from\": \"{}\", \"to\": \"{}\", \"line\": {}}}",
            stage(at),
            stage(to),
            TRANSITION_LINES[t as usize]
        )
        .ok();
        at = to;
    }
    out.push(b']');
    if let Some((from, t)) = walk.cycle {
        write!(
            out,
            ", \"cycle\": {{\"from\": \"{}\", \"to\": \"{}\", \"line\": {}}}",
            stage(from),
            stage(TRANSITION_TO[t as usize]),
            TRANSITION_LINES[t as usize]
        )
        .ok();
    }
    out.extend_from_slice(b", \"scores\": {\"fit\": ");
    push_number(out, o.fit);
    out.extend_from_slice(b", \"engagement\": ");
    push_number(out, o.engagement);
    write!(
        out,
        "}}, \"tiers\": {{\"grade\": \"{}\"}}, \"segments\": [",
        gen::GRADES[o.grade as usize]
    )
    .ok();
    match (o.enterprise, o.night_owl) {
        (true, true) => out.extend_from_slice(b"\"enterprise\", \"night_owl\""),
        (true, false) => out.extend_from_slice(b"\"enterprise\""),
        (false, true) => out.extend_from_slice(b"\"night_owl\""),
        (false, false) => {}
    }
    out.extend_from_slice(b"]}\n");
}

/// Whole lines of the file, about 1 MiB at a time, from a reading thread.
fn read_blocks(path: &Path, send: mpsc::SyncSender<Vec<u8>>) {
    let mut file = File::open(path).expect("open the leads file");
    let mut rest: Vec<u8> = Vec::new();
    loop {
        let mut block = std::mem::take(&mut rest);
        let start = block.len();
        block.resize(start + (1 << 20), 0);
        let got = file.read(&mut block[start..]).expect("read the leads file");
        block.truncate(start + got);
        if got == 0 {
            if !block.is_empty() {
                send.send(block).ok();
            }
            return;
        }
        if let Some(end) = block.iter().rposition(|&b| b == b'\n') {
            rest = block[end + 1..].to_vec();
            block.truncate(end + 1);
            if send.send(block).is_err() {
                return;
            }
        } else {
            rest = block;
        }
    }
}

/// The hand-written program: with `evaluate`, the whole job to standard
/// output; without, the parse alone (nothing written).
fn run_by_hand(path: &Path, evaluate: bool) {
    let now = now_ms();
    let (send, recv) = mpsc::sync_channel::<Vec<u8>>(4);
    let path = path.to_path_buf();
    let reader = std::thread::spawn(move || read_blocks(&path, send));
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut parsed = 0usize;
    for block in recv {
        let lines: Vec<&[u8]> = block
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let parts: Vec<(Vec<u8>, usize)> = lines
            .par_chunks(64)
            .map(|chunk| {
                let mut part = Vec::with_capacity(if evaluate { chunk.len() * 256 } else { 0 });
                let mut n = 0;
                for line in chunk {
                    let l: LeadIn = serde_json::from_slice(line).expect("a lead line");
                    if evaluate {
                        push_result(&mut part, &to_lead(l), now);
                    } else {
                        std::hint::black_box(&l);
                        n += 1;
                    }
                }
                (part, n)
            })
            .collect();
        for (part, n) in parts {
            out.write_all(&part).expect("write results");
            parsed += n;
        }
    }
    out.flush().expect("write results");
    reader.join().expect("the reading thread");
    if !evaluate {
        eprintln!("parsed {parsed} leads");
    }
}

// ---------------------------------------------------------------------------
// Timing

/// Wall seconds, CPU seconds (user + system) and peak resident memory (MB)
/// of one whole process.
#[derive(Clone, Copy, Default)]
struct Run {
    wall: f64,
    cpu: f64,
    peak_mb: f64,
}

/// Run `cmd` to completion on `cores` processors; its output goes to `out`.
// The child is reaped by `wait4`, which also gives its CPU time and peak memory.
#[allow(clippy::zombie_processes)]
fn timed(cmd: Command, cores: usize, out: Stdio) -> Run {
    let cpus = (0..cores)
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut task = Command::new("taskset");
    task.arg("-c")
        .arg(cpus)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            task.env(k, v);
        }
    }
    task.current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(out)
        .stderr(Stdio::null());
    let start = Instant::now();
    let child = task.spawn().expect("taskset runs");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own child's, reaped here once.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert!(
        pid > 0 && status == 0,
        "{:?} failed (status {status})",
        cmd.get_program()
    );
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
    }
}

fn mql_eval(path: &Path) -> Command {
    let mql =
        std::env::var_os("MQL_BY_HAND_MQL").unwrap_or_else(|| env!("CARGO_BIN_EXE_mql").into());
    let mut c = Command::new(mql);
    c.args([
        "eval", MODEL, "--as-of", AS_OF, "--format", "ndjson", "--leads",
    ])
    .arg(path);
    c
}

fn by_hand(path: &Path, role: &str) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("this program's path"));
    c.env("MQL_BY_HAND_ROLE", role).arg(path);
    c
}

/// Stop unless both programs write the same bytes for the leads file.
fn check_same_output(path: &Path, cores: usize) {
    let dir = path.parent().expect("the data folder");
    let mql_out = dir.join("by_hand_check_mql.ndjson");
    let hand_out = dir.join("by_hand_check_hand.ndjson");
    for (cmd, file) in [
        (mql_eval(path), &mql_out),
        (by_hand(path, "hand"), &hand_out),
    ] {
        let f = File::create(file).expect("create a check file");
        timed(cmd, cores, Stdio::from(f));
    }
    let a = BufReader::new(File::open(&mql_out).expect("mql's output"));
    let b = BufReader::new(File::open(&hand_out).expect("the hand-written output"));
    let mut a_lines = a.lines();
    let mut b_lines = b.lines();
    let mut n = 0u64;
    loop {
        n += 1;
        match (a_lines.next(), b_lines.next()) {
            (None, None) => break,
            (x, y) => {
                let x = x.map(|l| l.expect("read mql's output"));
                let y = y.map(|l| l.expect("read the hand-written output"));
                assert!(
                    x == y,
                    "the outputs differ at line {n}:\n  mql eval:     {}\n  hand-written: {}",
                    x.as_deref().unwrap_or("(ended)"),
                    y.as_deref().unwrap_or("(ended)")
                );
            }
        }
    }
    std::fs::remove_file(&mql_out).ok();
    std::fs::remove_file(&hand_out).ok();
    eprintln!("by hand: the outputs agree byte for byte ({} lines)", n - 1);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn main() {
    if let Ok(role) = std::env::var("MQL_BY_HAND_ROLE") {
        let path = std::env::args_os()
            .nth(1)
            .map(PathBuf::from)
            .expect("the leads file as argument");
        run_by_hand(&path, role == "hand");
        return;
    }
    // `cargo bench` passes `--bench`; any other argument is a filter we ignore.
    let env = |k: &str| std::env::var(k).ok();
    let n: usize = env("MQL_BY_HAND_LEADS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let path = leads_file(n);
    if env("MQL_BY_HAND_GENERATE_ONLY").is_some() {
        println!("{}", path.display());
        return;
    }
    let cores: Vec<usize> = env("MQL_BY_HAND_CORES")
        .unwrap_or_else(|| "1,2".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let pairs: usize = env("MQL_BY_HAND_PAIRS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mb = std::fs::metadata(&path).map_or(0, |m| m.len()) / 1_000_000;
    eprintln!("by hand: {n} leads, {mb} MB, {}", path.display());
    check_same_output(&path, *cores.iter().max().unwrap_or(&1));

    println!("| cores | program | wall (s) | CPU (s) | peak memory (MB) |");
    println!("|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for &c in &cores {
        let mut runs: [Vec<Run>; 3] = Default::default();
        for _ in 0..pairs {
            runs[0].push(timed(mql_eval(&path), c, Stdio::null()));
            runs[1].push(timed(by_hand(&path, "hand"), c, Stdio::null()));
            runs[2].push(timed(by_hand(&path, "parse"), c, Stdio::null()));
        }
        for (name, r) in ["mql eval", "by hand", "by hand, parse alone"]
            .iter()
            .zip(&runs)
        {
            println!(
                "| {c} | {name} | {:.2} | {:.2} | {:.0} |",
                median(r.iter().map(|r| r.wall).collect()),
                median(r.iter().map(|r| r.cpu).collect()),
                median(r.iter().map(|r| r.peak_mb).collect()),
            );
        }
        let ratio = |i: usize, f: fn(&Run) -> f64| {
            median(
                runs[0]
                    .iter()
                    .zip(&runs[i])
                    .map(|(a, b)| f(a) / f(b))
                    .collect(),
            )
        };
        ratios.push((
            c,
            ratio(1, |r| r.wall),
            ratio(2, |r| r.wall),
            ratio(1, |r| r.cpu),
            ratio(2, |r| r.cpu),
        ));
    }
    println!();
    println!("| cores | mql / by hand, wall | mql / parse alone, wall | mql / by hand, CPU | mql / parse alone, CPU |");
    println!("|---|---|---|---|---|");
    for (c, a, b, d, e) in ratios {
        println!("| {c} | {a:.2}× | {b:.2}× | {d:.2}× | {e:.2}× |");
    }
}
