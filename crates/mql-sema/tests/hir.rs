//! The checked model of a small file, snapshotted whole: slots, folded
//! consts, rule texts and lines, origins, docs, test leads.

use mql_sema::check_source;

const MODEL: &str = r#"/// A tiny model.
model tiny

lead {
  email: string
  seniority: enum { manager, vp }
}

event page_view { url: string }

const bonus = 5

/// Senior people.
criterion senior = seniority == vp

score engagement {
  decay half_life 14d
  range 0 to 50
  each page_view where url starts_with "/pricing"
      => +10 up to 40
  senior => +bonus
}

tier grade {
  A when engagement >= 20
  B otherwise
}

stages prospect, mql

/// Engaged leads qualify.
transition prospect -> mql when grade == A

test "two pricing visits" {
  as_of @2026-03-01
  lead { seniority: vp }
  events {
    page_view { url: "/pricing" } 1d ago
  }
  expect engagement > 10
  expect stage == mql
}
"#;

#[test]
fn small_model_hir() {
    let c = check_source("tiny.mql", MODEL);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let m = c.model.expect("model");
    assert_eq!(
        m.scores[0].rules[0].text,
        "each page_view where url starts_with \"/pricing\" => +10 up to 40"
    );
    assert_eq!(m.scores[0].rules[0].line, 19);
    assert_eq!(m.transitions[0].origin.line, 32);
    assert_eq!(
        m.transitions[0].doc.as_deref(),
        Some("Engaged leads qualify.")
    );
    assert_eq!(mql_sema::score_ranges(&m), vec![(0.0, 45.0)]);
    // the symbol table's map has no stable order: show it as a list
    let symbols: Vec<String> = (0..m.schema.symbols.len() as u32)
        .map(|i| format!("{i}: {}", m.schema.symbols.name(mql_core::Sym(i))))
        .collect();
    let mut shown = (*m).clone();
    shown.schema.symbols = mql_core::Symbols::default();
    insta::assert_snapshot!(format!("symbols: {symbols:?}\n{shown:#?}"));
}
