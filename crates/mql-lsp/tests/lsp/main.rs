//! Protocol tests of the mql language server: every feature driven through
//! real JSON-RPC messages over in-memory pipes, answers snapshotted under
//! the source text they are about; and robustness tests (malformed messages,
//! unknown documents, huge files, bursts of edits, a used file deleted).

mod features;
mod harness;
mod protocol;
mod robustness;
mod workspace;

/// A complete model used by most feature tests. It checks clean; it has
/// non-ASCII text in comments and strings to exercise UTF-16 positions.
pub const MODEL: &str = r#"/// Scoring model for Acme — démo 😀
model acme

lead {
  email: string
  seniority: enum { intern, manager, director, vp, cxo }
  industry: enum { saas, fintech, retail }
  company_size: int
  unsubscribed: bool
}

/// A visit to one of our pages.
event page_view { url: string, seconds: int, device: enum { desktop, mobile } }
event form_submit { form: string }

const free_mail = ["gmail.com", "yahoo.com"]

/// Director level or above: can sign a purchase. Café ☕
criterion decision_maker = seniority in [director, vp, cxo]
criterion personal_email = domain(email) in free_mail
let pricing_visits = count(page_view where url starts_with "/pricing" within 14d)

score fit {
  range 0 to 100
  decision_maker => +25
  industry in [saas, fintech] => +15
  personal_email => -30
}

score engagement {
  decay half_life 14d
  each page_view where url starts_with "/pricing" => +10 up to 40
  latest form_submit where form == "demo" => +40
  pricing_visits >= 3 => +10
}

tier grade {
  A when fit >= 40
  B when fit >= 25
  C otherwise
}

stages prospect, lead, mql, customer

transition prospect -> lead when exists(form_submit)
transition lead -> mql when fit >= 30 and engagement >= 50
transition mql -> customer when engagement >= 90 and company_size > 10
transition any -> prospect when unsubscribed

test "a VP is a decision maker" {
  lead { email: "ana@acme.io", seniority: vp, stage: lead }
  events {
    form_submit { form: "demo" } 1d ago
  }
  expect stage == lead
  expect grade == B
}
"#;

/// `MODEL` with the cursor (`$0`) placed `k` bytes into the first
/// occurrence of `needle`.
pub fn at(needle: &str, k: usize) -> String {
    at_in(MODEL, needle, k)
}

pub fn at_in(text: &str, needle: &str, k: usize) -> String {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the model"));
    format!("{}$0{}", &text[..i + k], &text[i + k..])
}
