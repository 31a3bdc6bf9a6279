//! The §1 model written in CEL (cel-interpreter): one CEL program per
//! criterion, let, segment, score, tier and transition condition, run in
//! dependency order, each result added to the lead's context under the
//! declaration's name (CEL has no `let`, and this crate has no `cel.bind`).
//!
//! What CEL cannot express is done by the host and said here:
//! - the stage walk is a loop, which CEL has no form for: the host walks the
//!   transitions in source order, asking the CEL program of each transition's
//!   condition only when its FROM matches (like the VM does);
//! - three small functions are registered in Rust, because CEL (and this
//!   crate) has no fold, no power and no lower-casing: `sum(list)` adds a
//!   list of doubles in order, `pow(x, y)` is `x.powf(y)`, and
//!   `domain(s)` is the part after the last `@`, lowercased, or null.
//!
//! Fairness: every program is compiled once; every lead is turned into a CEL
//! map once, up front (missing fields are `null`, as a JSON `null` would be);
//! `now` and the free-mail list live in the root context. The timed loop
//! includes: putting the lead's map into a reused child context (a reference
//! count and one map insert), running the programs, storing each result in
//! the context, and the host's stage walk.

use std::collections::HashMap;
use std::sync::Arc;

use cel_interpreter::objects::{Key, Map};
use cel_interpreter::{Context, ExecutionError, Program, Value};

use super::gen::{Lead, DEVICE, INDUSTRY, SENIORITY, STAGES};
use super::Outcome;

/// (name, source) in dependency order; each result is visible to the later
/// programs under its name.
const PROGRAMS: [(&str, &str); 9] = [
    (
        "decision_maker",
        r#"lead.seniority in ["director", "vp", "cxo"]"#,
    ),
    (
        "personal_email",
        r#"lead.email != null && domain(lead.email) in free_mail"#,
    ),
    (
        "demo_request",
        r#"lead.form_submit.exists(e, e.at <= now && e.at > now - 2592000000 && e.form == "demo")"#,
    ),
    (
        "pricing_visits",
        r#"size(lead.page_view.filter(e, e.at <= now && e.at > now - 1209600000 && e.url.startsWith("/pricing")))"#,
    ),
    (
        "enterprise",
        r#"lead.company_size != null && lead.company_size >= 1000"#,
    ),
    (
        "night_owl",
        r#"size(lead.page_view.filter(e, e.at <= now && e.at > now - 2592000000 && e.at % 86400000 / 3600000 < 6)) >= 3"#,
    ),
    (
        "fit",
        r#"min(100.0, max(0.0, 0.0
            + (decision_maker ? 25.0 : 0.0)
            + (lead.industry in ["saas", "fintech"] ? 15.0 : 0.0)
            + (lead.company_size != null && lead.company_size >= 200 && lead.company_size <= 5000 ? 10.0 : 0.0)
            + (personal_email ? -30.0 : 0.0)))"#,
    ),
    (
        "engagement",
        r#"0.0
            + min(40.0, sum(lead.page_view.filter(e, e.at <= now && e.url.startsWith("/pricing"))
                .map(e, 10.0 * pow(0.5, double(now - e.at) / 1209600000.0))))
            + sum(lead.content_download.filter(e, e.at <= now)
                .map(e, 8.0 * pow(0.5, double(now - e.at) / 1209600000.0)))
            + sum(lead.webinar.filter(e, e.at <= now && e.attended == true)
                .map(e, 15.0 * pow(0.5, double(now - e.at) / 1209600000.0)))
            + min(15.0, sum(lead.email_click.filter(e, e.at <= now)
                .map(e, 3.0 * pow(0.5, double(now - e.at) / 1209600000.0))))
            + (lead.form_submit.exists(e, e.at <= now && e.form == "demo")
                ? 40.0 * pow(0.5, double(now - max(lead.form_submit.filter(e, e.at <= now && e.form == "demo").map(e, e.at))) / 1209600000.0)
                : 0.0)
            + (pricing_visits >= 3 ? 10.0 : 0.0)"#,
    ),
    (
        "grade",
        r#"fit >= 40.0 ? "A" : (fit >= 25.0 ? "B" : (fit >= 10.0 ? "C" : "D"))"#,
    ),
];

/// Transition conditions in source order, with (from, to) as stage indices;
/// `None` is `any`.
const TRANSITIONS: [(Option<u8>, u8, &str); 6] = [
    (Some(0), 1, "lead.form_submit.exists(e, e.at <= now)"),
    (Some(1), 2, "fit >= 30.0 && engagement >= 50.0"),
    (
        Some(1),
        2,
        "enterprise && fit >= 40.0 && engagement >= 30.0",
    ),
    (Some(2), 3, "lead.budget_confirmed == true && demo_request"),
    (Some(2), 1, "engagement < 15.0"),
    (None, 5, "lead.unsubscribed == true"),
];

pub struct CelPeer {
    programs: Vec<(&'static str, Program)>,
    transitions: Vec<(Option<u8>, u8, Program)>,
}

fn compile(src: &str) -> Program {
    match Program::compile(src) {
        Ok(p) => p,
        Err(e) => panic!("the CEL program `{src}` does not compile: {e}"),
    }
}

fn text(s: &str) -> Value {
    Value::String(Arc::new(s.to_string()))
}

fn opt<T>(v: &Option<T>, f: impl FnOnce(&T) -> Value) -> Value {
    v.as_ref().map_or(Value::Null, f)
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    let m: HashMap<Key, Value> = entries
        .into_iter()
        .map(|(k, v)| (Key::String(Arc::new(k.to_string())), v))
        .collect();
    Value::Map(Map { map: Arc::new(m) })
}

fn list(items: Vec<Value>) -> Value {
    Value::List(Arc::new(items))
}

impl CelPeer {
    pub fn new() -> CelPeer {
        CelPeer {
            programs: PROGRAMS
                .iter()
                .map(|&(name, src)| (name, compile(src)))
                .collect(),
            transitions: TRANSITIONS
                .iter()
                .map(|&(from, to, src)| (from, to, compile(src)))
                .collect(),
        }
    }

    /// The root context: the built-in functions, the three host functions,
    /// `now` and the model's `free_mail` const.
    pub fn root(now: i64) -> Context<'static> {
        let mut ctx = Context::default();
        ctx.add_function("sum", |items: Arc<Vec<Value>>| -> f64 {
            let mut total = 0.0;
            for v in items.iter() {
                if let Value::Float(x) = v {
                    total += x;
                }
            }
            total
        });
        ctx.add_function("pow", |x: f64, y: f64| -> f64 { x.powf(y) });
        ctx.add_function(
            "domain",
            |s: Arc<String>| -> Result<Value, ExecutionError> {
                Ok(match s.rfind('@') {
                    Some(i) => Value::String(Arc::new(s[i + 1..].to_lowercase())),
                    None => Value::Null,
                })
            },
        );
        ctx.add_variable_from_value("now", Value::Int(now));
        ctx.add_variable_from_value(
            "free_mail",
            list(
                ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]
                    .iter()
                    .map(|s| text(s))
                    .collect(),
            ),
        );
        ctx
    }

    /// A lead as a CEL map (built once, outside the timing).
    pub fn convert(lead: &Lead) -> Value {
        let events = |items: Vec<Value>| list(items);
        map(vec![
            ("id", text(&lead.id)),
            ("email", opt(&lead.email, |s| text(s))),
            ("job_title", opt(&lead.job_title, |s| text(s))),
            (
                "seniority",
                opt(&lead.seniority, |&s| text(SENIORITY[s as usize])),
            ),
            ("company_size", opt(&lead.company_size, |&n| Value::Int(n))),
            (
                "industry",
                opt(&lead.industry, |&s| text(INDUSTRY[s as usize])),
            ),
            ("country", opt(&lead.country, |s| text(s))),
            (
                "tags",
                opt(&lead.tags, |t| list(t.iter().map(|s| text(s)).collect())),
            ),
            (
                "budget_confirmed",
                opt(&lead.budget_confirmed, |&b| Value::Bool(b)),
            ),
            ("unsubscribed", opt(&lead.unsubscribed, |&b| Value::Bool(b))),
            ("stage", opt(&lead.stage, |&s| text(STAGES[s as usize]))),
            (
                "page_view",
                events(
                    lead.page_view
                        .iter()
                        .map(|e| {
                            map(vec![
                                ("at", Value::Int(e.at)),
                                ("url", text(&e.url)),
                                ("seconds", Value::Int(e.seconds)),
                                ("device", text(DEVICE[e.device as usize])),
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "form_submit",
                events(
                    lead.form_submit
                        .iter()
                        .map(|e| map(vec![("at", Value::Int(e.at)), ("form", text(&e.form))]))
                        .collect(),
                ),
            ),
            (
                "content_download",
                events(
                    lead.content_download
                        .iter()
                        .map(|e| map(vec![("at", Value::Int(e.at)), ("asset", text(&e.asset))]))
                        .collect(),
                ),
            ),
            (
                "webinar",
                events(
                    lead.webinar
                        .iter()
                        .map(|e| {
                            map(vec![
                                ("at", Value::Int(e.at)),
                                ("name", text(&e.name)),
                                ("attended", opt(&e.attended, |&b| Value::Bool(b))),
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "email_click",
                events(
                    lead.email_click
                        .iter()
                        .map(|e| {
                            map(vec![
                                ("at", Value::Int(e.at)),
                                ("campaign", text(&e.campaign)),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
    }

    /// Run every program for one lead in `ctx` (a child of the root context
    /// that is reused from lead to lead), then walk the stages.
    pub fn evaluate(&self, ctx: &mut Context, lead: &Value, lead_stage: Option<u8>) -> Outcome {
        ctx.add_variable_from_value("lead", lead.clone());
        let mut out = [const { Value::Null }; PROGRAMS.len()];
        for (i, (name, program)) in self.programs.iter().enumerate() {
            let v = match program.execute(ctx) {
                Ok(v) => v,
                Err(e) => panic!("the CEL program `{name}` failed: {e:?}"),
            };
            ctx.add_variable_from_value(*name, v.clone());
            out[i] = v;
        }
        let flag = |v: &Value| matches!(v, Value::Bool(true));
        let num = |v: &Value| match v {
            Value::Float(x) => *x,
            Value::Int(i) => *i as f64,
            _ => f64::NAN,
        };
        let grade = match &out[8] {
            Value::String(s) => super::gen::GRADES
                .iter()
                .position(|g| *g == s.as_str())
                .unwrap_or(255) as u8,
            _ => 255,
        };

        // the stage walk, in the host (see the module comment)
        let mut current = lead_stage.unwrap_or(0);
        let mut visited: u8 = 1 << current;
        loop {
            let mut fired = None;
            for (from, to, program) in &self.transitions {
                let applies = match from {
                    Some(f) => *f == current,
                    None => *to != current,
                };
                if !applies {
                    continue;
                }
                match program.execute(ctx) {
                    Ok(Value::Bool(true)) => {
                        fired = Some(*to);
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => panic!("a CEL transition condition failed: {e:?}"),
                }
            }
            let Some(to) = fired else { break };
            if visited & (1 << to) != 0 {
                break;
            }
            visited |= 1 << to;
            current = to;
        }

        Outcome {
            fit: num(&out[6]),
            engagement: num(&out[7]),
            grade,
            stage: current,
            decision_maker: flag(&out[0]),
            personal_email: flag(&out[1]),
            demo_request: flag(&out[2]),
            enterprise: flag(&out[4]),
            night_owl: flag(&out[5]),
        }
    }
}
