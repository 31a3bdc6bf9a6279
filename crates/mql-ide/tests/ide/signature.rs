//! Signature help and inlay hints.

use mql_ide::Span;

use crate::fixture::{check, Fixture, MAIN};

fn help(fixture: &str) -> String {
    let f = Fixture::new(fixture);
    match f.analysis().signature_help(&f.pos()).expect("ok") {
        None => "(none)".into(),
        Some(h) => format!(
            "{} (parameter {})",
            h.signatures[h.active_signature].label, h.active_parameter
        ),
    }
}

#[test]
fn signature_help_follows_the_arguments() {
    let model = "event page_view { url: string, seconds: int }\n";
    check(
        &help(&format!("{model}let n = round(3.14, $0)\n")),
        "round(x: number, digits: int) -> number (parameter 1)",
    );
    check(
        &help(&format!(
            "{model}let n = max(page_view where url == \"/\", $0)\n"
        )),
        "max(query: event query, value: per-event expression) -> the value's type (parameter 1)",
    );
    check(
        &help(&format!("{model}let n = max(1, $0)\n")),
        "max(a: number, b: number) -> number (parameter 1)",
    );
    check(&help(&format!("{model}let n = 3$0\n")), "(none)");
}

#[test]
fn each_score_shows_the_points_it_can_reach() {
    let text = "lead { n: int }\nscore fit {\n  range 0 to 20\n  n > 1 => +15\n  n > 2 => +10\n}\nscore open {\n  n > 1 => +5\n  each v => +1\n}\nevent v { u: string }\n";
    let f = Fixture::new(text);
    let hints = f
        .analysis()
        .inlay_hints(MAIN, Span::new(0, text.len()))
        .expect("ok");
    let shown: Vec<String> = hints
        .iter()
        .map(|h| {
            let line_start = text[..h.offset].rfind('\n').map_or(0, |n| n + 1);
            format!("{}⟨{}⟩", &text[line_start..h.offset], h.label)
        })
        .collect();
    check(
        &shown.join("\n"),
        "
        score fit⟨reaches 0 to 20⟩
        score open⟨reaches 0 or more⟩
        ",
    );
}
