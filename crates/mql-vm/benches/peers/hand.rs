//! The §1 model written by hand in plain Rust over the generator's structs:
//! the baseline an engineer would write without a rules language. Missing
//! values are `Option`s; a condition on a missing value does not hold, which
//! is what the §1 model gives (no `not` over an unknown there).

use super::gen::{Lead, DAY};
use super::Outcome;

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

pub fn evaluate(lead: &Lead, now: i64) -> Outcome {
    // criteria, lets and segments
    let decision_maker = matches!(lead.seniority, Some(3..=5)); // director, vp, cxo
    let personal_email = lead
        .email
        .as_deref()
        .and_then(domain)
        .is_some_and(|d| FREE_MAIL.contains(&d.as_str()));
    let demo_request = lead
        .form_submit
        .iter()
        .any(|e| e.at <= now && e.at > now - 30 * DAY && e.form == "demo");
    let pricing_visits = lead
        .page_view
        .iter()
        .filter(|e| e.at <= now && e.at > now - 14 * DAY && e.url.starts_with("/pricing"))
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
        if e.at <= now && e.url.starts_with("/pricing") {
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
        .find(|e| e.at <= now && e.form == "demo")
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
    loop {
        let fired = TRANSITIONS.iter().enumerate().find(|&(t, &(from, to))| {
            let applies = match from {
                Some(f) => f == current,
                None => to != current,
            };
            applies && condition(t)
        });
        let Some((_, &(_, to))) = fired else { break };
        if visited & (1 << to) != 0 {
            break;
        }
        visited |= 1 << to;
        current = to;
    }

    Outcome {
        fit,
        engagement,
        grade,
        stage: current,
        decision_maker,
        personal_email,
        demo_request,
        enterprise,
        night_owl,
    }
}
