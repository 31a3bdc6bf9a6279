//! How long checking a large model takes: a generated 10,000-line model
//! (a realistic schema, then hundreds of groups of criteria, lets, scores,
//! tiers and transitions) checked cold, and re-checked after an edit to one
//! score's rule, after a line typed above a declaration and after an edit
//! that changes what every declaration sees (a let's type). The phases of a
//! check without the database are measured too.

use criterion::{criterion_group, criterion_main, Criterion};
use mql_db::{check, Database};

const SCHEMA: &str = "\
model big

lead {
  email: string
  job_title: string
  seniority: enum { intern, individual, manager, director, vp, cxo }
  company_size: int
  industry: enum { saas, fintech, healthcare, retail, education, other }
  country: string
  tags: list<string>
  interests: list<enum { analytics, security, ai, cloud }>
  budget_confirmed: bool
  unsubscribed: bool
  annual_revenue: number
  signup_at: time
  nps: int
}

event page_view { url: string, seconds: int, device: enum { desktop, mobile } }
event form_submit { form: string }
event content_download { asset: string, pages: int }
event webinar { name: string, attended: bool, minutes: number }
event email_click { campaign: string }
event purchase { amount: number, plan: enum { basic, pro, enterprise } }

const senior_levels = [director, vp, cxo]
const window = 14d

stages prospect, lead, mql, sql
transition lead -> mql when known(email)
transition mql -> sql when budget_confirmed
";

/// One group of declarations (27 lines), numbered `i`.
fn group(i: usize) -> String {
    format!(
        "\
/// fit signals, group {i}
criterion senior_{i} = seniority in senior_levels and company_size >= {size}
criterion eng_{i} = count(page_view where url starts_with \"/pricing/{i}\" within window) >= 2
let visits_{i} = count(page_view where seconds > {secs} within 30d)
let revenue_{i} = round(annual_revenue / {div}, 2)
segment region_{i} = lower(country) == \"c{i}\"

score s_{i} {{
  decay half_life 14d
  range -50 to 200
  senior_{i} => +25
  eng_{i} => +10
  visits_{i} > 3 => +5
  revenue_{i} > 1000 => +8
  each form_submit where form == \"demo-{i}\" within window => +15 up to 45
  latest content_download where pages > 10 => +7
  each email_click within 7d => +2 up to 10
  unsubscribed => -50
}}

tier band_{i} {{
  hot when s_{i} >= 60
  warm when s_{i} >= 30
  cold otherwise
}}

transition prospect -> lead when s_{i} > {gate}
",
        size = 100 + i,
        secs = 10 + i % 50,
        div = 100 + i,
        gate = 40 + i % 30,
    )
}

/// A model of about `lines` lines.
fn model(lines: usize) -> String {
    let mut out = SCHEMA.to_string();
    let mut i = 0;
    while out.lines().count() < lines {
        out.push('\n');
        out.push_str(&group(i));
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = model(10_000);
    let path = "big.mql";
    {
        let mut db = Database::new();
        let root = db.set_text(path, &text);
        let r = check(&db, root).0.clone();
        assert!(
            !r.has_errors(),
            "the generated model has errors: {:?}",
            r.diagnostics.iter().find(|d| d.is_error())
        );
        eprintln!(
            "model: {} lines, {} declarations",
            text.lines().count(),
            mql_syntax::parse(&text).decls.len()
        );
    }
    let mut g = c.benchmark_group("check_10k_lines");
    g.sample_size(10);
    g.bench_function("cold", |b| {
        b.iter(|| {
            let mut db = Database::new();
            let root = db.set_text(path, &text);
            check(&db, root).0.clone()
        })
    });
    let edited = text.replacen("senior_7 => +25", "senior_7 => +30", 1);
    let moved = text.replacen("score s_7 {", "// note\nscore s_7 {", 1);
    // `visits_7` becomes a number instead of a whole number: every
    // declaration sees the new signature and is checked again
    let retyped = text.replacen(
        "let visits_7 = count(page_view where seconds > 17 within 30d)",
        "let visits_7 = count(page_view where seconds > 17 within 30d) * 1.5",
        1,
    );
    assert_ne!(retyped, text);
    for (name, other) in [
        ("edit_one_rule", &edited),
        ("line_above_a_score", &moved),
        ("change_a_let_type", &retyped),
    ] {
        let mut db = Database::new();
        let root = db.set_text(path, &text);
        let _ = check(&db, root);
        let mut flip = false;
        g.bench_function(name, |b| {
            b.iter(|| {
                flip = !flip;
                db.set_text(path, if flip { other } else { &text });
                check(&db, root).0.clone()
            })
        });
    }
    g.bench_function("parse_only", |b| b.iter(|| mql_syntax::parse(&text)));
    let src = mql_sema::FileSource::parse(path, &text);
    g.bench_function("prepare_only", |b| {
        b.iter(|| mql_sema::incr::prepare(src.clone(), &mql_sema::NoUses))
    });
    let prep = mql_sema::incr::prepare(src.clone(), &mql_sema::NoUses);
    g.bench_function("finish_only", |b| {
        b.iter(|| mql_sema::incr::finish(&prep, &mql_sema::incr::Direct))
    });
    // the same model without the database, for comparison
    g.bench_function("without_database", |b| {
        b.iter(|| mql_sema::check_source(path, &text))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
