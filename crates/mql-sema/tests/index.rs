//! The name index: definitions and references by offset, as hover,
//! go-to-definition, find-references and rename use them.

use mql_sema::index::{Builtin, NameIndex, Target};
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

/// The definition the name at `offset` refers to.
fn def_at(ix: &NameIndex, offset: usize) -> Option<&mql_sema::Def> {
    match ix.at("m.mql", offset)?.target {
        Target::Def(d) => ix.def(d),
        Target::Builtin(_) => None,
    }
}

fn parent_name(ix: &NameIndex, d: &mql_sema::Def) -> Option<String> {
    d.parent.and_then(|p| ix.def(p)).map(|p| p.name.clone())
}

#[test]
fn references_lead_to_their_definition() {
    let c = check_source("m.mql", MODEL);
    assert!(c.model.is_some(), "{:?}", c.diagnostics);
    let ix = &c.index;
    // the use of `senior` in the score resolves to the criterion
    let hit = ix.at("m.mql", offset("senior", 1) + 2).expect("a name");
    let Target::Def(id) = hit.target else {
        panic!("not a definition: {hit:?}")
    };
    assert!(!hit.is_def);
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
    let url = def_at(ix, offset("url", 1)).expect("url");
    assert_eq!(
        (url.kind, parent_name(ix, url).as_deref()),
        (DefKind::EventField, Some("page_view"))
    );
    let pv = def_at(ix, offset("page_view", 1)).expect("event");
    assert_eq!(pv.kind, DefKind::Event);
    let mql = def_at(ix, offset("mql", 1)).expect("stage");
    assert_eq!(mql.kind, DefKind::Stage);
    for nth in [1, 2] {
        // in the criterion and in the test's lead
        let vp = def_at(ix, offset("vp", nth)).expect("variant");
        assert_eq!(
            (vp.kind, parent_name(ix, vp).as_deref()),
            (DefKind::Variant, Some("seniority"))
        );
        assert_eq!(vp.span.start as usize, offset("vp", 0));
    }
    let fit = def_at(ix, offset("fit", 1)).expect("score");
    assert_eq!((fit.kind, fit.range), (DefKind::Score, Some((0.0, 15.0))));
    assert_eq!(
        ix.lookup("seniority")
            .and_then(|i| ix.def(i))
            .map(|d| d.kind),
        Some(DefKind::LeadField)
    );
    // the test's lead field
    let sen = def_at(ix, offset("seniority", 2)).expect("lead field");
    assert_eq!(sen.kind, DefKind::LeadField);
}

#[test]
fn names_of_the_language_are_in_the_index() {
    let text = "model m\nlead { e: string }\nevent v { u: string }\ncriterion c = count(v where hour(at) > 3 and u == id) > 1 and known(e)\nlet t = now\nstages a, b\ntransition a -> b when c and time_in_stage > 1d\ntest \"x\" { lead { stage: a, id: \"7\" } expect stage == b }\n";
    let c = check_source("m.mql", text);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let ix = &c.index;
    let at = |needle: &str, nth: usize| {
        let i = text
            .match_indices(needle)
            .nth(nth)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("{needle}"));
        ix.at("m.mql", i).map(|h| h.target)
    };
    assert_eq!(at("count", 0), Some(Target::Builtin(Builtin::Function)));
    assert_eq!(at("hour", 0), Some(Target::Builtin(Builtin::Function)));
    assert_eq!(at("at)", 0), Some(Target::Builtin(Builtin::At)));
    assert_eq!(at("id)", 0), Some(Target::Builtin(Builtin::Id)));
    assert_eq!(at("now\n", 0), Some(Target::Builtin(Builtin::Now)));
    assert_eq!(
        at("time_in_stage", 0),
        Some(Target::Builtin(Builtin::TimeInStage))
    );
    assert_eq!(at("stage:", 0), Some(Target::Builtin(Builtin::Stage)));
    assert_eq!(at("id:", 0), Some(Target::Builtin(Builtin::Id)));
    assert_eq!(at("stage ==", 0), Some(Target::Builtin(Builtin::Stage)));
    // `model m` is a definition too
    let m = at("m\n", 0).and_then(|t| match t {
        Target::Def(d) => ix.def(d),
        Target::Builtin(_) => None,
    });
    assert_eq!(m.map(|d| d.kind), Some(DefKind::Model));
}

/// A value is found in the list of values it belongs to, even when
/// another list has a value of the same name.
#[test]
fn values_of_the_same_name_in_two_lists_stay_apart() {
    let text = "lead { a: enum { x, y }, b: enum { x, z } }\ncriterion c = a == x and b == x\nstages x, w\ntransition x -> w when c\ntier t { x when c  y otherwise }\nsegment s = t == x\n";
    let c = check_source("m.mql", text);
    let ix = &c.index;
    let owner = |nth: usize| {
        let i = text.match_indices('x').nth(nth).map(|(i, _)| i).expect("x");
        let d = def_at(ix, i).expect("a value");
        (d.kind, parent_name(ix, d))
    };
    assert_eq!(owner(0), (DefKind::Variant, Some("a".into())));
    assert_eq!(owner(1), (DefKind::Variant, Some("b".into())));
    assert_eq!(owner(2), (DefKind::Variant, Some("a".into())));
    assert_eq!(owner(3), (DefKind::Variant, Some("b".into())));
    assert_eq!(owner(4), (DefKind::Stage, None));
    assert_eq!(owner(5), (DefKind::Stage, None));
    assert_eq!(owner(6), (DefKind::TierLabel, Some("t".into())));
    assert_eq!(owner(7), (DefKind::TierLabel, Some("t".into())));
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
