//! Deterministic lead generator of the peer benchmark: plain Rust leads that
//! follow the lead and event schema of the spec's §1 model, and their
//! conversion into the VM's typed `LeadRecord`s.
//!
//! The mix is chosen so that every rule of the model fires for some leads and
//! not for others: about 20 events per lead spread over the last 60 days
//! (a few in the future, which every query must skip), some missing lead
//! fields (unknown values), emails without `@` or with upper-case domains,
//! and a starting stage from the data for half of the leads.

use std::sync::Arc;

use mql_core::{EventRec, LeadId, LeadRecord, Schema, Ty, Value};

pub const DAY: i64 = 86_400_000;

/// splitmix64: small, fast and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub const SENIORITY: [&str; 6] = ["intern", "individual", "manager", "director", "vp", "cxo"];
pub const INDUSTRY: [&str; 6] = [
    "saas",
    "fintech",
    "healthcare",
    "retail",
    "education",
    "other",
];
pub const DEVICE: [&str; 2] = ["desktop", "mobile"];
pub const STAGES: [&str; 6] = ["prospect", "lead", "mql", "sql", "customer", "disqualified"];
pub const GRADES: [&str; 4] = ["A", "B", "C", "D"];

pub struct PageView<S = String> {
    pub at: i64,
    pub url: S,
    pub seconds: i64,
    /// Index into [`DEVICE`].
    pub device: u8,
}

pub struct FormSubmit<S = String> {
    pub at: i64,
    pub form: S,
}

pub struct ContentDownload<S = String> {
    pub at: i64,
    pub asset: S,
}

pub struct Webinar<S = String> {
    pub at: i64,
    pub name: S,
    pub attended: Option<bool>,
}

pub struct EmailClick<S = String> {
    pub at: i64,
    pub campaign: S,
}

/// One generated lead; `None` is a field missing from the data. Enum fields
/// are indices into the constant name arrays above. Every event list is
/// sorted by `at` (stable), like the VM's records. Texts are `S`: owned
/// here, borrowed from the input line in the end-to-end baseline.
pub struct Lead<S = String> {
    pub id: S,
    pub email: Option<S>,
    pub job_title: Option<S>,
    pub seniority: Option<u8>,
    pub company_size: Option<i64>,
    pub industry: Option<u8>,
    pub country: Option<S>,
    pub tags: Option<Vec<S>>,
    pub budget_confirmed: Option<bool>,
    pub unsubscribed: Option<bool>,
    /// Starting stage from the data (index into [`STAGES`]).
    pub stage: Option<u8>,
    pub page_view: Vec<PageView<S>>,
    pub form_submit: Vec<FormSubmit<S>>,
    pub content_download: Vec<ContentDownload<S>>,
    pub webinar: Vec<Webinar<S>>,
    pub email_click: Vec<EmailClick<S>>,
}

const DOMAINS: [&str; 10] = [
    "gmail.com",
    "GMail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "acme.io",
    "globex.com",
    "initech.example",
    "umbrella.co",
    "mail.gmail.com",
];
const URLS: [&str; 8] = [
    "/",
    "/pricing",
    "/pricing/enterprise",
    "/pricing/teams",
    "/blog/scoring-101",
    "/docs/start",
    "/product",
    "/Pricing",
];
const FORMS: [&str; 4] = ["demo", "contact", "newsletter", "trial"];
const TITLES: [&str; 4] = ["Head of Growth", "Data Analyst", "CTO", "Marketing Manager"];
const COUNTRIES: [&str; 5] = ["US", "DE", "FR", "BR", "JP"];

/// The time of one event: mostly in the last 60 days, 3% up to 2 days ahead
/// of `now` (not yet happened at `now`).
fn event_time(rng: &mut Rng, now: i64) -> i64 {
    if rng.chance(3) {
        now + 1 + rng.below(2 * DAY as u64) as i64
    } else {
        now - rng.below(60 * DAY as u64) as i64
    }
}

/// Lead number `i` (0-based) of the data set made with `seed`.
pub fn lead(i: usize, seed: u64, now: i64) -> Lead {
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let email = if rng.chance(3) {
        None
    } else if rng.chance(2) {
        Some(format!("user{i}-no-address"))
    } else {
        Some(format!("user{i}@{}", rng.pick(&DOMAINS)))
    };
    let job_title = Some(rng.pick(&TITLES).to_string());
    let seniority = (!rng.chance(5)).then(|| rng.below(6) as u8);
    // log-uniform 1..~30,000 employees
    let company_size = (!rng.chance(5)).then(|| {
        let exp = rng.below(1000) as f64 / 1000.0 * 4.5;
        10f64.powf(exp).round() as i64
    });
    let industry = (!rng.chance(5)).then(|| rng.below(6) as u8);
    let country = Some(rng.pick(&COUNTRIES).to_string());
    let tags = Some(if rng.chance(50) {
        vec!["newsletter".to_string()]
    } else {
        Vec::new()
    });
    let budget_confirmed = (!rng.chance(10)).then(|| rng.chance(40));
    let unsubscribed = (!rng.chance(10)).then(|| rng.chance(5));
    let stage = rng.chance(50).then(|| rng.below(6) as u8);

    let mut lead = Lead {
        id: format!("L{i:06}"),
        email,
        job_title,
        seniority,
        company_size,
        industry,
        country,
        tags,
        budget_confirmed,
        unsubscribed,
        stage,
        page_view: Vec::new(),
        form_submit: Vec::new(),
        content_download: Vec::new(),
        webinar: Vec::new(),
        email_click: Vec::new(),
    };
    // 10..=30 events, 20 on average
    let n = 10 + rng.below(21);
    for k in 0..n {
        let at = event_time(&mut rng, now);
        match rng.below(100) {
            0..=49 => lead.page_view.push(PageView {
                at,
                url: rng.pick(&URLS).to_string(),
                seconds: rng.below(300) as i64,
                device: rng.below(2) as u8,
            }),
            50..=57 => lead.form_submit.push(FormSubmit {
                at,
                form: rng.pick(&FORMS).to_string(),
            }),
            58..=67 => lead.content_download.push(ContentDownload {
                at,
                asset: format!("ebook-{}", k % 4),
            }),
            68..=79 => lead.webinar.push(Webinar {
                at,
                name: format!("webinar-{}", k % 3),
                attended: (!rng.chance(5)).then(|| rng.chance(50)),
            }),
            _ => lead.email_click.push(EmailClick {
                at,
                campaign: format!("nurture-{}", k % 5),
            }),
        }
    }
    lead.sort_events();
    lead
}

pub fn leads(n: usize, seed: u64, now: i64) -> Vec<Lead> {
    (0..n).map(|i| lead(i, seed, now)).collect()
}

impl<S> Lead<S> {
    /// Put each type's events in time order, as the rules expect them.
    pub fn sort_events(&mut self) {
        self.page_view.sort_by_key(|e| e.at);
        self.form_submit.sort_by_key(|e| e.at);
        self.content_download.sort_by_key(|e| e.at);
        self.webinar.sort_by_key(|e| e.at);
        self.email_click.sort_by_key(|e| e.at);
    }

    pub fn event_count(&self) -> usize {
        self.page_view.len()
            + self.form_submit.len()
            + self.content_download.len()
            + self.webinar.len()
            + self.email_click.len()
    }
}

/// A text value. Like `mql-data`'s reader, which keeps one copy of a short
/// text that repeats (urls, form names, campaigns…), texts already seen
/// share one allocation (up to 4,096 different ones; the rest get their own).
fn text(s: &str) -> Value {
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<Box<str>, Arc<str>>> =
            Default::default();
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(t) = seen.get(s) {
            return Value::Str(t.clone());
        }
        let t: Arc<str> = Arc::from(s);
        if seen.len() < 4096 {
            seen.insert(s.into(), t.clone());
        }
        Value::Str(t)
    })
}

fn opt<T>(v: &Option<T>, f: impl FnOnce(&T) -> Value) -> Value {
    v.as_ref().map_or(Value::Unknown, f)
}

/// The VM's typed record of a generated lead, by the model's schema (what
/// `mql-data` would produce reading the same lead from a file).
pub fn to_record(lead: &Lead, schema: &Schema) -> LeadRecord {
    let enum_value = |field: &str, name: &str| -> Value {
        let slot = schema
            .lead_field(field)
            .unwrap_or_else(|| panic!("the model has no lead field `{field}`"));
        match &schema.lead[slot].ty {
            Ty::Enum(e) => Value::Enum(
                e.sym_of(name)
                    .unwrap_or_else(|| panic!("`{name}` is not a value of `{field}`")),
            ),
            other => panic!("`{field}` is {other}, not an enum"),
        }
    };
    let mut fields = vec![Value::Unknown; schema.lead.len()];
    let mut set = |name: &str, v: Value| {
        let slot = schema
            .lead_field(name)
            .unwrap_or_else(|| panic!("the model has no lead field `{name}`"));
        fields[slot] = v;
    };
    set("email", opt(&lead.email, |s| text(s)));
    set("job_title", opt(&lead.job_title, |s| text(s)));
    set(
        "seniority",
        opt(&lead.seniority, |&s| {
            enum_value("seniority", SENIORITY[s as usize])
        }),
    );
    set("company_size", opt(&lead.company_size, |&n| Value::Int(n)));
    set(
        "industry",
        opt(&lead.industry, |&s| {
            enum_value("industry", INDUSTRY[s as usize])
        }),
    );
    set("country", opt(&lead.country, |s| text(s)));
    set(
        "tags",
        opt(&lead.tags, |t| {
            Value::List(t.iter().map(|s| text(s)).collect())
        }),
    );
    set(
        "budget_confirmed",
        opt(&lead.budget_confirmed, |&b| Value::Bool(b)),
    );
    set("unsubscribed", opt(&lead.unsubscribed, |&b| Value::Bool(b)));

    let stages = schema.stages.as_ref().expect("the §1 model has stages");
    let stage = lead
        .stage
        .map(|s| stages.sym_of(STAGES[s as usize]).expect("a stage"));

    let mut events: Vec<Vec<EventRec>> = vec![Vec::new(); schema.events.len()];
    let device_ty = |schema: &Schema| -> Arc<mql_core::EnumTy> {
        let ev = &schema.events[schema.event("page_view").expect("page_view")];
        match &ev.fields[ev.field("device").expect("device")].ty {
            Ty::Enum(e) => e.clone(),
            _ => panic!("device is not an enum"),
        }
    };
    let device = device_ty(schema);
    // Each event's values in the slots of its event type, by field name.
    let mut push = |event: &str, at: i64, named: Vec<(&str, Value)>| {
        let slot = schema
            .event(event)
            .unwrap_or_else(|| panic!("the model has no event `{event}`"));
        let def = &schema.events[slot];
        let mut values = vec![Value::Unknown; def.fields.len()];
        for (name, v) in named {
            let f = def
                .field(name)
                .unwrap_or_else(|| panic!("`{event}` has no field `{name}`"));
            values[f] = v;
        }
        events[slot].push(EventRec {
            at,
            fields: values.into_boxed_slice(),
        });
    };
    for e in &lead.page_view {
        push(
            "page_view",
            e.at,
            vec![
                ("url", text(&e.url)),
                ("seconds", Value::Int(e.seconds)),
                (
                    "device",
                    Value::Enum(device.sym_of(DEVICE[e.device as usize]).expect("device")),
                ),
            ],
        );
    }
    for e in &lead.form_submit {
        push("form_submit", e.at, vec![("form", text(&e.form))]);
    }
    for e in &lead.content_download {
        push("content_download", e.at, vec![("asset", text(&e.asset))]);
    }
    for e in &lead.webinar {
        push(
            "webinar",
            e.at,
            vec![
                ("name", text(&e.name)),
                ("attended", opt(&e.attended, |&b| Value::Bool(b))),
            ],
        );
    }
    for e in &lead.email_click {
        push("email_click", e.at, vec![("campaign", text(&e.campaign))]);
    }
    let mut record = LeadRecord {
        id: LeadId::Str(Arc::from(lead.id.as_str())),
        fields: fields.into_boxed_slice(),
        stage,
        stage_since: None,
        events,
    };
    record.sort_events();
    record
}
