//! The §1 model written by hand in plain Rust over the generator's structs:
//! the baseline an engineer would write without a rules language. Missing
//! values are `Option`s; a condition on a missing value does not hold, which
//! is what the §1 model gives (no `not` over an unknown there). Texts are
//! any `AsRef<str>`: owned in the peer benchmark, borrowed from the input
//! line in the end-to-end baseline (`benches/eval_by_hand.rs`).

use super::gen::{Lead, DAY};

/// What every peer reports for one lead: the values the comparison checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub fit: f64,
    pub engagement: f64,
    /// Index into `gen::GRADES`.
    pub grade: u8,
    /// Final stage, index into `gen::STAGES`.
    pub stage: u8,
    pub decision_maker: bool,
    pub personal_email: bool,
    pub demo_request: bool,
    pub enterprise: bool,
    pub night_owl: bool,
}

/// The transitions that fired, in order (indices into the model's
/// transitions), for writing a result's stage path, and the one that would
/// have returned to a stage already visited (with the stage it left).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Walk {
    pub fired: [u8; 8],
    pub len: u8,
    pub cycle: Option<(u8, u8)>,
}

impl Walk {
    /// (Read by the end-to-end baseline only.)
    #[allow(dead_code)]
    pub fn fired(&self) -> &[u8] {
        &self.fired[..self.len as usize]
    }
}

const HALF_LIFE: f64 = 14.0 * DAY as f64;
const FREE_MAIL: [&str; 4] = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];

// stage indices into `gen::STAGES`
const PROSPECT: u8 = 0;
const LEAD: u8 = 1;
const MQL: u8 = 2;
const SQL: u8 = 3;
const DISQUALIFIED: u8 = 5;

/// The part after the last `@`, lowercased.
fn domain(email: &str) -> Option<String> {
    email.rfind('@').map(|i| email[i + 1..].to_lowercase())
}

fn decay(now: i64, at: i64) -> f64 {
    0.5f64.powf((now - at) as f64 / HALF_LIFE)
}

fn cap(total: f64, cap: f64) -> f64 {
    if total > 0.0 {
        total.min(cap)
    } else {
        total.max(-cap)
    }
}

pub fn evaluate<S: AsRef<str>>(lead: &Lead<S>, now: i64) -> Outcome {
    evaluate_walk(lead, now).0
}

/// [`evaluate`], with the transitions that fired.
pub fn evaluate_walk<S: AsRef<str>>(lead: &Lead<S>, now: i64) -> (Outcome, Walk) {
    // criteria, lets and segments
    let decision_maker = matches!(lead.seniority, Some(3..=5)); // director, vp, cxo
    let personal_email = lead
        .email
        .as_ref()
        .and_then(|e| domain(e.as_ref()))
        .is_some_and(|d| FREE_MAIL.contains(&d.as_str()));
    let demo_request = lead
        .form_submit
        .iter()
        .any(|e| e.at <= now && e.at > now - 30 * DAY && e.form.as_ref() == "demo");
    let pricing_visits = lead
        .page_view
        .iter()
        .filter(|e| e.at <= now && e.at > now - 14 * DAY && e.url.as_ref().starts_with("/pricing"))
        .count();
    let enterprise = lead.company_size.is_some_and(|n| n >= 1000);
    let night_owl = lead
        .page_view
        .iter()
        .filter(|e| e.at <= now && e.at > now - 30 * DAY && e.at.rem_euclid(DAY) / 3_600_000 < 6)
        .count()
        >= 3;

    // score fit, range 0 to 100
    let mut fit: f64 = 0.0;
    if decision_maker {
        fit += 25.0;
    }
    if matches!(lead.industry, Some(0 | 1)) {
        fit += 15.0; // saas, fintech
    }
    if lead.company_size.is_some_and(|n| (200..=5000).contains(&n)) {
        fit += 10.0;
    }
    if personal_email {
        fit += -30.0;
    }
    let fit = fit.clamp(0.0, 100.0);

    // score engagement, decay half_life 14d
    let mut pricing = 0.0;
    for e in &lead.page_view {
        if e.at <= now && e.url.as_ref().starts_with("/pricing") {
            pricing += 10.0 * decay(now, e.at);
        }
    }
    let mut downloads = 0.0;
    for e in &lead.content_download {
        if e.at <= now {
            downloads += 8.0 * decay(now, e.at);
        }
    }
    let mut webinars = 0.0;
    for e in &lead.webinar {
        if e.at <= now && e.attended == Some(true) {
            webinars += 15.0 * decay(now, e.at);
        }
    }
    let mut clicks = 0.0;
    for e in &lead.email_click {
        if e.at <= now {
            clicks += 3.0 * decay(now, e.at);
        }
    }
    let demo = lead
        .form_submit
        .iter()
        .rev()
        .find(|e| e.at <= now && e.form.as_ref() == "demo")
        .map_or(0.0, |e| 40.0 * decay(now, e.at));
    let engagement = 0.0
        + cap(pricing, 40.0)
        + downloads
        + webinars
        + cap(clicks, 15.0)
        + demo
        + if pricing_visits >= 3 { 10.0 } else { 0.0 };

    // tier grade
    let grade = if fit >= 40.0 {
        0
    } else if fit >= 25.0 {
        1
    } else if fit >= 10.0 {
        2
    } else {
        3
    };

    // the stage walk: transitions in source order, stop on a revisit
    let condition = |t: usize| -> bool {
        match t {
            0 => lead.form_submit.iter().any(|e| e.at <= now),
            1 => fit >= 30.0 && engagement >= 50.0,
            2 => enterprise && fit >= 40.0 && engagement >= 30.0,
            3 => lead.budget_confirmed == Some(true) && demo_request,
            4 => engagement < 15.0,
            _ => lead.unsubscribed == Some(true),
        }
    };
    // (from, to); `None` is `any`
    const TRANSITIONS: [(Option<u8>, u8); 6] = [
        (Some(PROSPECT), LEAD),
        (Some(LEAD), MQL),
        (Some(LEAD), MQL),
        (Some(MQL), SQL),
        (Some(MQL), LEAD),
        (None, DISQUALIFIED),
    ];
    let mut current = lead.stage.unwrap_or(PROSPECT);
    let mut visited: u8 = 1 << current;
    let mut walk = Walk::default();
    loop {
        let fired = TRANSITIONS.iter().enumerate().find(|&(t, &(from, to))| {
            let applies = match from {
                Some(f) => f == current,
                None => to != current,
            };
            applies && condition(t)
        });
        let Some((t, &(_, to))) = fired else { break };
        if visited & (1 << to) != 0 {
            walk.cycle = Some((current, t as u8));
            break;
        }
        visited |= 1 << to;
        current = to;
        walk.fired[walk.len as usize] = t as u8;
        walk.len += 1;
    }

    let outcome = Outcome {
        fit,
        engagement,
        grade,
        stage: current,
        decision_maker,
        personal_email,
        demo_request,
        enterprise,
        night_owl,
    };
    (outcome, walk)
}
