//! Peer benchmark: the spec's §1 model over 100,000 generated leads (about
//! 20 events each), evaluated single-threaded by the mql VM and by the same
//! rules written by hand in plain Rust, in Rhai and in CEL
//! (cel-interpreter).
//!
//! Before anything is timed, the first 1,000 leads are evaluated by every
//! peer and compared with the VM: every criterion and segment, both scores
//! (within 1e-9), the tier and the final stage must agree, or the benchmark
//! stops and says where they differ. Lead data is converted into each peer's
//! own shape once, up front; the timed loops contain only evaluation (see
//! each peer's module for exactly what its loop includes).
//!
//! Run: `cargo bench -p mql-vm --bench peers` (set `MQL_PEER_LEADS` to use
//! fewer leads while trying things out).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mql_core::time::{parse_time, TimeSyntax};
use mql_core::{LeadRecord, Sym};
use mql_sema::hir::Model;
use mql_vm::{LeadResult, Program, Scratch};

#[path = "peers/cel_peer.rs"]
mod cel_peer;
#[path = "peers/gen.rs"]
mod gen;
#[path = "peers/hand.rs"]
mod hand;
#[path = "peers/rhai_peer.rs"]
mod rhai_peer;

use hand::Outcome;

/// The model of the language reference's §1, kept once in the checker's fixtures.
const MODEL: &str = include_str!("../../mql-sema/tests/fixtures/spec_example.mql");
const SEED: u64 = 0x5EED_0001;
const LEADS: usize = 100_000;
const VERIFY: usize = 1_000;
const NOW: &str = "2026-11-01T00:00:00Z";

/// Where the VM keeps each compared value, found by name in the model.
struct Slots {
    fit: usize,
    engagement: usize,
    grade: usize,
    criteria: [u32; 3],
    segments: [u32; 2],
}

fn value_index(model: &Model, name: &str) -> u32 {
    model
        .values
        .iter()
        .position(|v| v.name == name)
        .unwrap_or_else(|| panic!("the model has no `{name}`")) as u32
}

impl Slots {
    fn new(model: &Model) -> Slots {
        let score = |n: &str| {
            model
                .scores
                .iter()
                .position(|s| s.name == n)
                .unwrap_or_else(|| panic!("the model has no score `{n}`"))
        };
        Slots {
            fit: score("fit"),
            engagement: score("engagement"),
            grade: model
                .tiers
                .iter()
                .position(|t| t.name == "grade")
                .expect("tier grade"),
            criteria: [
                value_index(model, "decision_maker"),
                value_index(model, "personal_email"),
                value_index(model, "demo_request"),
            ],
            segments: [
                value_index(model, "enterprise"),
                value_index(model, "night_owl"),
            ],
        }
    }

    /// The VM's result (evaluated with explanations, for the criteria) in
    /// the peers' terms.
    fn outcome(&self, model: &Model, r: &LeadResult) -> Outcome {
        if let Some(e) = &r.error {
            panic!("the VM failed on lead `{}`: {e}", r.id);
        }
        let name = |s: Option<Sym>| s.map_or("", |s| model.schema.symbols.name(s));
        let index =
            |n: &str, names: &[&str]| names.iter().position(|x| *x == n).unwrap_or(255) as u8;
        let holds = |i: u32| r.criteria.iter().any(|&(c, v)| c == i && v == Some(true));
        Outcome {
            fit: r.scores[self.fit],
            engagement: r.scores[self.engagement],
            grade: index(name(r.tiers[self.grade]), &gen::GRADES),
            stage: index(name(r.stage), &gen::STAGES),
            decision_maker: holds(self.criteria[0]),
            personal_email: holds(self.criteria[1]),
            demo_request: holds(self.criteria[2]),
            enterprise: r.segments.contains(&self.segments[0]),
            night_owl: r.segments.contains(&self.segments[1]),
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Panic with a clear message unless `got` equals the VM's `want`.
fn verify(peer: &str, id: &str, want: &Outcome, got: &Outcome) {
    let mut diffs = Vec::new();
    if !close(want.fit, got.fit) {
        diffs.push(format!("fit {} vs {}", want.fit, got.fit));
    }
    if !close(want.engagement, got.engagement) {
        diffs.push(format!(
            "engagement {} vs {}",
            want.engagement, got.engagement
        ));
    }
    let label =
        |i: u8, names: &[&str]| names.get(i as usize).copied().unwrap_or("none").to_string();
    if want.grade != got.grade {
        diffs.push(format!(
            "grade {} vs {}",
            label(want.grade, &gen::GRADES),
            label(got.grade, &gen::GRADES)
        ));
    }
    if want.stage != got.stage {
        diffs.push(format!(
            "stage {} vs {}",
            label(want.stage, &gen::STAGES),
            label(got.stage, &gen::STAGES)
        ));
    }
    let flags = [
        ("decision_maker", want.decision_maker, got.decision_maker),
        ("personal_email", want.personal_email, got.personal_email),
        ("demo_request", want.demo_request, got.demo_request),
        ("enterprise", want.enterprise, got.enterprise),
        ("night_owl", want.night_owl, got.night_owl),
    ];
    for (n, w, g) in flags {
        if w != g {
            diffs.push(format!("{n} {w} vs {g}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{peer} disagrees with the VM on lead {id} (VM vs {peer}): {}",
        diffs.join(", ")
    );
}

struct Setup {
    model: Arc<Model>,
    program: Program,
    now: i64,
    leads: Vec<gen::Lead>,
    records: Vec<LeadRecord>,
    rhai: rhai_peer::RhaiPeer,
    rhai_leads: Vec<rhai::Dynamic>,
    cel: cel_peer::CelPeer,
    cel_leads: Vec<cel_interpreter::Value>,
}

fn setup() -> Setup {
    let checked = mql_sema::check_source("spec_s1.mql", MODEL);
    let Some(model) = checked.model else {
        let msgs: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        panic!("the §1 model does not check: {msgs:?}");
    };
    let program = mql_vm::compile(&model);
    let now = parse_time(NOW, TimeSyntax::Literal).expect("a valid instant");
    let n = std::env::var("MQL_PEER_LEADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(LEADS);
    let t = Instant::now();
    let leads = gen::leads(n, SEED, now);
    let records: Vec<LeadRecord> = leads
        .iter()
        .map(|l| gen::to_record(l, &model.schema))
        .collect();
    let rhai_leads: Vec<rhai::Dynamic> = leads.iter().map(rhai_peer::RhaiPeer::convert).collect();
    let cel_leads: Vec<cel_interpreter::Value> =
        leads.iter().map(cel_peer::CelPeer::convert).collect();
    let events: usize = leads.iter().map(gen::Lead::event_count).sum();
    eprintln!(
        "peers: {n} leads, {events} events ({:.1} per lead), data built in {:.1?}",
        events as f64 / n.max(1) as f64,
        t.elapsed()
    );
    Setup {
        model,
        program,
        now,
        leads,
        records,
        rhai: rhai_peer::RhaiPeer::new(),
        rhai_leads,
        cel: cel_peer::CelPeer::new(),
        cel_leads,
    }
}

/// Every peer must agree with the VM on the first leads before timing.
fn verify_peers(s: &Setup) {
    let slots = Slots::new(&s.model);
    let mut scope = rhai::Scope::new();
    let root = cel_peer::CelPeer::root(s.now);
    let mut cel_ctx = root.new_inner_scope();
    let mut stages = [0usize; 6];
    let mut grades = [0usize; 4];
    let (mut dm, mut pe, mut dr, mut ent, mut owl) = (0, 0, 0, 0, 0);
    let n = VERIFY.min(s.leads.len());
    for i in 0..n {
        let want = slots.outcome(&s.model, &s.program.eval(&s.records[i], s.now, true));
        let id = &s.leads[i].id;
        verify(
            "hand-written Rust",
            id,
            &want,
            &hand::evaluate(&s.leads[i], s.now),
        );
        verify(
            "Rhai",
            id,
            &want,
            &s.rhai.evaluate(&mut scope, &s.rhai_leads[i], s.now),
        );
        verify(
            "CEL",
            id,
            &want,
            &s.cel
                .evaluate(&mut cel_ctx, &s.cel_leads[i], s.leads[i].stage),
        );
        stages[want.stage as usize] += 1;
        grades[want.grade as usize] += 1;
        dm += want.decision_maker as usize;
        pe += want.personal_email as usize;
        dr += want.demo_request as usize;
        ent += want.enterprise as usize;
        owl += want.night_owl as usize;
    }
    eprintln!("peers: all peers agree with the VM on the first {n} leads");
    eprintln!(
        "peers:   final stages {:?}, grades {:?}",
        gen::STAGES.iter().zip(stages).collect::<Vec<_>>(),
        gen::GRADES.iter().zip(grades).collect::<Vec<_>>()
    );
    eprintln!(
        "peers:   decision_maker {dm}, personal_email {pe}, demo_request {dr}, enterprise {ent}, night_owl {owl}"
    );
}

fn peers(c: &mut Criterion) {
    let s = setup();
    verify_peers(&s);
    let n = s.leads.len();

    let mut group = c.benchmark_group("s1_100k_leads");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));

    // The VM: one reusable scratch, results without explanations.
    group.bench_function("mql_vm", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            for r in &s.records {
                black_box(
                    s.program
                        .eval_with(black_box(r), s.now, false, &mut scratch),
                );
            }
        })
    });
    group.bench_function("hand_rust", |b| {
        b.iter(|| {
            for l in &s.leads {
                black_box(hand::evaluate(black_box(l), s.now));
            }
        })
    });
    group.bench_function("rhai", |b| {
        let mut scope = rhai::Scope::new();
        b.iter(|| {
            for l in &s.rhai_leads {
                black_box(s.rhai.evaluate(&mut scope, l, s.now));
            }
        })
    });
    group.bench_function("cel", |b| {
        let root = cel_peer::CelPeer::root(s.now);
        let mut ctx = root.new_inner_scope();
        b.iter(|| {
            for (l, lead) in s.cel_leads.iter().zip(&s.leads) {
                black_box(s.cel.evaluate(&mut ctx, l, lead.stage));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, peers);
criterion_main!(benches);
