//! The §1 model written in Rhai: one script function computes every
//! criterion, let, segment, score, the tier and the whole stage walk; the host
//! only calls it and reads the returned array.
//!
//! Fairness: the script is compiled once; every lead is turned into a Rhai
//! object map once, up front. Maps and arrays are *shared* values so that
//! passing a lead into the script and reading `lead.page_view` clones a
//! reference count instead of deep-copying the events (Rhai copies plain
//! arrays and maps on every read). A missing field is `()` in the map. The
//! timed loop includes: the call into the script (argument passing, the
//! script itself) and turning the returned array into an [`Outcome`].

use rhai::{Array, CallFnOptions, Dynamic, Engine, Map, Scope, AST};

use super::gen::{Lead, DEVICE, INDUSTRY, SENIORITY, STAGES};
use super::Outcome;

const SCRIPT: &str = r#"
fn decay(now, at) {
    0.5 ** ((now - at).to_float() / 1209600000.0)
}

// `up to CAP` for a total that can only be positive here
fn up_to(total, cap) {
    if total > cap { cap } else { total }
}

// the part after the last `@`, lowercased; () without `@`
fn domain(email) {
    let parts = email.split('@');
    if parts.len() < 2 { return (); }
    parts[-1].to_lower()
}

fn evaluate(lead, now) {
    let day = 86400000;

    // criteria, lets, segments
    let decision_maker = lead.seniority in ["director", "vp", "cxo"];
    let personal_email = false;
    if lead.email != () {
        let d = domain(lead.email);
        personal_email = d in ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];
    }
    let demo_request = false;
    for e in lead.form_submit {
        if e.at <= now && e.at > now - 30 * day && e.form == "demo" {
            demo_request = true;
            break;
        }
    }
    let pricing_visits = 0;
    let night_visits = 0;
    for e in lead.page_view {
        if e.at <= now && e.at > now - 14 * day && e.url.starts_with("/pricing") {
            pricing_visits += 1;
        }
        if e.at <= now && e.at > now - 30 * day && (e.at % day) / 3600000 < 6 {
            night_visits += 1;
        }
    }
    let size = lead.company_size;
    let enterprise = size != () && size >= 1000;
    let night_owl = night_visits >= 3;

    // score fit, range 0 to 100
    let fit = 0.0;
    if decision_maker { fit += 25.0; }
    if lead.industry in ["saas", "fintech"] { fit += 15.0; }
    if size != () && size >= 200 && size <= 5000 { fit += 10.0; }
    if personal_email { fit += -30.0; }
    if fit < 0.0 { fit = 0.0; }
    if fit > 100.0 { fit = 100.0; }

    // score engagement, decay half_life 14d
    let pricing = 0.0;
    for e in lead.page_view {
        if e.at <= now && e.url.starts_with("/pricing") { pricing += 10.0 * decay(now, e.at); }
    }
    let downloads = 0.0;
    for e in lead.content_download {
        if e.at <= now { downloads += 8.0 * decay(now, e.at); }
    }
    let webinars = 0.0;
    for e in lead.webinar {
        if e.at <= now && e.attended == true { webinars += 15.0 * decay(now, e.at); }
    }
    let clicks = 0.0;
    for e in lead.email_click {
        if e.at <= now { clicks += 3.0 * decay(now, e.at); }
    }
    let demo = 0.0;
    let forms = lead.form_submit;
    let i = forms.len() - 1;
    while i >= 0 {
        let e = forms[i];
        if e.at <= now && e.form == "demo" { demo = 40.0 * decay(now, e.at); break; }
        i -= 1;
    }
    let engagement = 0.0 + up_to(pricing, 40.0) + downloads + webinars + up_to(clicks, 15.0) + demo;
    if pricing_visits >= 3 { engagement += 10.0; }

    // tier grade
    let grade = if fit >= 40.0 { "A" } else if fit >= 25.0 { "B" } else if fit >= 10.0 { "C" } else { "D" };

    // the stage walk: first transition in source order whose FROM matches and
    // whose condition holds; stop when none fires or a stage would repeat
    let current = lead.stage;
    if current == () { current = "prospect"; }
    let visited = [current];
    loop {
        let next = ();
        if current == "prospect" && forms.some(|e| e.at <= now) {
            next = "lead";
        } else if current == "lead" && fit >= 30.0 && engagement >= 50.0 {
            next = "mql";
        } else if current == "lead" && enterprise && fit >= 40.0 && engagement >= 30.0 {
            next = "mql";
        } else if current == "mql" && lead.budget_confirmed == true && demo_request {
            next = "sql";
        } else if current == "mql" && engagement < 15.0 {
            next = "lead";
        } else if current != "disqualified" && lead.unsubscribed == true {
            next = "disqualified";
        }
        if next == () || next in visited { break; }
        visited.push(next);
        current = next;
    }

    [fit, engagement, grade, current, decision_maker, personal_email, demo_request, enterprise, night_owl]
}
"#;

pub struct RhaiPeer {
    engine: Engine,
    ast: AST,
}

fn shared(v: Dynamic) -> Dynamic {
    v.into_shared()
}

fn opt<T>(v: &Option<T>, f: impl FnOnce(&T) -> Dynamic) -> Dynamic {
    v.as_ref().map_or(Dynamic::UNIT, f)
}

fn text(s: &str) -> Dynamic {
    Dynamic::from(s.to_string())
}

/// An event list as a shared array of shared maps.
fn events<T>(list: &[T], fields: impl Fn(&T, &mut Map)) -> Dynamic {
    let items: Array = list
        .iter()
        .map(|e| {
            let mut m = Map::new();
            fields(e, &mut m);
            shared(Dynamic::from_map(m))
        })
        .collect();
    shared(Dynamic::from_array(items))
}

impl RhaiPeer {
    pub fn new() -> RhaiPeer {
        let engine = Engine::new();
        let ast = match engine.compile(SCRIPT) {
            Ok(ast) => ast,
            Err(e) => panic!("the Rhai script does not compile: {e}"),
        };
        RhaiPeer { engine, ast }
    }

    /// A lead as a shared Rhai object map (built once, outside the timing).
    pub fn convert(lead: &Lead) -> Dynamic {
        let mut m = Map::new();
        m.insert("id".into(), text(&lead.id));
        m.insert("email".into(), opt(&lead.email, |s| text(s)));
        m.insert("job_title".into(), opt(&lead.job_title, |s| text(s)));
        m.insert(
            "seniority".into(),
            opt(&lead.seniority, |&s| text(SENIORITY[s as usize])),
        );
        m.insert(
            "company_size".into(),
            opt(&lead.company_size, |&n| n.into()),
        );
        m.insert(
            "industry".into(),
            opt(&lead.industry, |&s| text(INDUSTRY[s as usize])),
        );
        m.insert("country".into(), opt(&lead.country, |s| text(s)));
        m.insert(
            "tags".into(),
            opt(&lead.tags, |t| {
                Dynamic::from_array(t.iter().map(|s| text(s)).collect())
            }),
        );
        m.insert(
            "budget_confirmed".into(),
            opt(&lead.budget_confirmed, |&b| b.into()),
        );
        m.insert(
            "unsubscribed".into(),
            opt(&lead.unsubscribed, |&b| b.into()),
        );
        m.insert(
            "stage".into(),
            opt(&lead.stage, |&s| text(STAGES[s as usize])),
        );
        m.insert(
            "page_view".into(),
            events(&lead.page_view, |e, m| {
                m.insert("at".into(), e.at.into());
                m.insert("url".into(), text(&e.url));
                m.insert("seconds".into(), e.seconds.into());
                m.insert("device".into(), text(DEVICE[e.device as usize]));
            }),
        );
        m.insert(
            "form_submit".into(),
            events(&lead.form_submit, |e, m| {
                m.insert("at".into(), e.at.into());
                m.insert("form".into(), text(&e.form));
            }),
        );
        m.insert(
            "content_download".into(),
            events(&lead.content_download, |e, m| {
                m.insert("at".into(), e.at.into());
                m.insert("asset".into(), text(&e.asset));
            }),
        );
        m.insert(
            "webinar".into(),
            events(&lead.webinar, |e, m| {
                m.insert("at".into(), e.at.into());
                m.insert("name".into(), text(&e.name));
                m.insert("attended".into(), opt(&e.attended, |&b| b.into()));
            }),
        );
        m.insert(
            "email_click".into(),
            events(&lead.email_click, |e, m| {
                m.insert("at".into(), e.at.into());
                m.insert("campaign".into(), text(&e.campaign));
            }),
        );
        shared(Dynamic::from_map(m))
    }

    /// Run the script for one lead (`lead` is a cheap reference-counted clone).
    pub fn evaluate(&self, scope: &mut Scope, lead: &Dynamic, now: i64) -> Outcome {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let out: Array = match self.engine.call_fn_with_options(
            options,
            scope,
            &self.ast,
            "evaluate",
            (lead.clone(), now),
        ) {
            Ok(a) => a,
            Err(e) => panic!("the Rhai script failed: {e}"),
        };
        let num = |i: usize| out[i].as_float().unwrap_or(f64::NAN);
        let flag = |i: usize| out[i].as_bool().unwrap_or(false);
        let label = |i: usize, names: &[&str]| -> u8 {
            let s = out[i].clone().into_immutable_string().unwrap_or_default();
            names.iter().position(|n| *n == s.as_str()).unwrap_or(255) as u8
        };
        Outcome {
            fit: num(0),
            engagement: num(1),
            grade: label(2, &super::gen::GRADES),
            stage: label(3, &STAGES),
            decision_maker: flag(4),
            personal_email: flag(5),
            demo_request: flag(6),
            enterprise: flag(7),
            night_owl: flag(8),
        }
    }
}
