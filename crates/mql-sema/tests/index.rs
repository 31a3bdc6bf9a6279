//! The name index: definitions and references by offset, as hover,
//! go-to-definition, find-references and rename use them.

use mql_sema::{check_source, DefKind};

const MODEL: &str = r#"lead { email: string, seniority: enum { manager, vp } }
event page_view { url: string }
/// Director or above.
criterion senior = seniority == vp
score fit {
  senior => +10
  each page_view where url starts_with "/p" => +1 up to 5
}
stages prospect, mql
transition prospect -> mql when fit >= 10 and senior
test "t" {
  lead { seniority: vp }
  expect senior
}
"#;

/// Byte offset of the `nth` occurrence of `needle` as a whole word.
fn offset(needle: &str, nth: usize) -> usize {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    MODEL
        .match_indices(needle)
        .filter(|(i, _)| {
            !word(MODEL[..*i].chars().last()) && !word(MODEL[i + needle.len()..].chars().next())
        })
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no {needle} #{nth}"))
}

#[test]
fn references_lead_to_their_definition() {
    let c = check_source("m.mql", MODEL);
    assert!(c.model.is_some(), "{:?}", c.diagnostics);
    let ix = &c.index;
    // the use of `senior` in the score resolves to the criterion
    let id = ix.at("m.mql", offset("senior", 1) + 2).expect("a name");
    let def = ix.def(id).expect("def");
    assert_eq!(def.kind, DefKind::Criterion);
    assert_eq!(def.name, "senior");
    assert_eq!(def.doc.as_deref(), Some("Director or above."));
    assert_eq!(def.ty.as_deref(), Some("bool"));
    assert_eq!(def.span.start as usize, offset("senior", 0));
    // find references: score rule, transition, test expect
    let refs: Vec<usize> = ix.references(id).map(|r| r.span.start as usize).collect();
    assert_eq!(
        refs,
        [
            offset("senior", 1),
            offset("senior", 2),
            offset("senior", 3)
        ]
    );
    // event fields, events, stages, variants, scores
    let url = ix
        .at("m.mql", offset("url", 1))
        .and_then(|i| ix.def(i))
        .expect("url");
    assert_eq!(
        (url.kind, url.parent.as_deref()),
        (DefKind::EventField, Some("page_view"))
    );
    let pv = ix
        .at("m.mql", offset("page_view", 1))
        .and_then(|i| ix.def(i))
        .expect("event");
    assert_eq!(pv.kind, DefKind::Event);
    let mql = ix
        .at("m.mql", offset("mql", 1))
        .and_then(|i| ix.def(i))
        .expect("stage");
    assert_eq!(mql.kind, DefKind::Stage);
    let vp = ix
        .at("m.mql", offset("vp", 1))
        .and_then(|i| ix.def(i))
        .expect("variant");
    assert_eq!(
        (vp.kind, vp.parent.as_deref()),
        (DefKind::Variant, Some("seniority"))
    );
    let fit = ix
        .at("m.mql", offset("fit", 1))
        .and_then(|i| ix.def(i))
        .expect("score");
    assert_eq!((fit.kind, fit.range), (DefKind::Score, Some((0.0, 15.0))));
    assert_eq!(
        ix.lookup("seniority")
            .and_then(|i| ix.def(i))
            .map(|d| d.kind),
        Some(DefKind::LeadField)
    );
}

/// What the editor shows of reading CRM data: a field's source name and
/// placeholders, a value's or a stage's labels.
#[test]
fn fields_carry_source_names_and_values_their_labels() {
    let text = r#"lead {
  missing "Select", "N/A"
  total_visits: int from "TotalVisits"
  seniority: enum { manager, vp "Vice President" "VP" } missing "-"
  email: string
}
event page_view { seconds: int from "Time On Page" missing "n/a" }
stages lead "Lead", mql "Marketing Qualified Lead"
transition lead -> mql when total_visits > 3
"#;
    let c = check_source("m.mql", text);
    assert!(c.model.is_some(), "{:?}", c.diagnostics);
    let ix = &c.index;
    let def = |kind: DefKind, name: &str| {
        ix.defs
            .iter()
            .find(|d| d.kind == kind && d.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let visits = def(DefKind::LeadField, "total_visits");
    assert_eq!(visits.source.as_deref(), Some("TotalVisits"));
    assert_eq!(visits.source_name(), Some("TotalVisits"));
    assert_eq!(visits.missing, ["Select", "N/A"]);
    let email = def(DefKind::LeadField, "email");
    assert_eq!(email.source, None);
    assert_eq!(email.source_name(), Some("email"));
    assert_eq!(
        def(DefKind::LeadField, "seniority").missing,
        ["Select", "N/A", "-"]
    );
    let seconds = def(DefKind::EventField, "seconds");
    assert_eq!(seconds.source.as_deref(), Some("Time On Page"));
    assert_eq!(seconds.missing, ["n/a"]);
    assert_eq!(def(DefKind::Variant, "vp").labels, ["Vice President", "VP"]);
    assert!(def(DefKind::Variant, "manager").labels.is_empty());
    assert_eq!(
        def(DefKind::Stage, "mql").labels,
        ["Marketing Qualified Lead"]
    );
    assert_eq!(def(DefKind::Stage, "lead").source_name(), None);

    // The checked model carries the same for the readers.
    let model = c.model.expect("model");
    let lead = &model.schema.lead;
    assert_eq!(lead[0].source_name(), "TotalVisits");
    assert_eq!(lead[2].source_name(), "email");
    let seniority = lead[1].enum_ty().expect("an enum");
    assert_eq!(seniority.labels_of(1), ["Vice President", "VP"]);
    let stages = model.schema.stages.as_ref().expect("stages");
    assert_eq!(stages.labels_of(0), ["Lead"]);
    assert_eq!(
        stages.first_label(stages.syms[1]),
        Some("Marketing Qualified Lead")
    );
}
