//! The name index for the language server: every definition and every
//! reference of a model, so hover, go-to-definition, find-references and
//! rename are lookups by offset.

use std::sync::Arc;

use mql_core::Span;

/// What kind of thing a definition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefKind {
    LeadField,
    Event,
    EventField,
    Const,
    Let,
    Criterion,
    Segment,
    Score,
    Tier,
    Stage,
    TierLabel,
    /// A value of an `enum { … }` field.
    Variant,
}

impl DefKind {
    /// The word an author uses for it ("lead field", "criterion").
    pub fn describe(self) -> &'static str {
        match self {
            DefKind::LeadField => "lead field",
            DefKind::Event => "event",
            DefKind::EventField => "event field",
            DefKind::Const => "const",
            DefKind::Let => "let",
            DefKind::Criterion => "criterion",
            DefKind::Segment => "segment",
            DefKind::Score => "score",
            DefKind::Tier => "tier",
            DefKind::Stage => "stage",
            DefKind::TierLabel => "tier label",
            DefKind::Variant => "value",
        }
    }
}

/// One definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Def {
    pub name: String,
    pub kind: DefKind,
    /// The file it is declared in.
    pub file: Arc<str>,
    /// The span of its name.
    pub span: Span,
    /// The span of the whole declaration (the field, the score, …).
    pub decl_span: Span,
    /// Its type as written in the language (`int`, `enum { a, b }`), if it has one.
    pub ty: Option<String>,
    pub doc: Option<String>,
    /// For scores: the least and the most points the rules can reach.
    pub range: Option<(f64, f64)>,
    /// For event fields: the event's name; for variants, stages and tier
    /// labels: what they belong to.
    pub parent: Option<String>,
    /// For lead and event fields: the data key or column that fills the
    /// field (`from "…"`), when it is not the field's own name.
    pub source: Option<String>,
    /// For lead and event fields: the texts read as "no value" (`missing`).
    pub missing: Vec<String>,
    /// For enum values and stages: the labels data may spell them with.
    pub labels: Vec<String>,
}

impl Def {
    /// The data key or column that fills a lead or event field: its `from`
    /// text, or else its name. `None` for other definitions.
    pub fn source_name(&self) -> Option<&str> {
        match self.kind {
            DefKind::LeadField | DefKind::EventField => {
                Some(self.source.as_deref().unwrap_or(&self.name))
            }
            _ => None,
        }
    }
}

/// One use of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub file: Arc<str>,
    pub span: Span,
    /// Index into [`NameIndex::defs`].
    pub def: usize,
}

/// Every definition and reference of a checked model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NameIndex {
    pub defs: Vec<Def>,
    pub refs: Vec<Ref>,
}

impl NameIndex {
    /// The definition whose name or a reference to which is at `offset` of
    /// `file`.
    pub fn at(&self, file: &str, offset: usize) -> Option<usize> {
        let in_span = |f: &Arc<str>, s: Span| &**f == file && s.contains(offset);
        if let Some(r) = self.refs.iter().find(|r| in_span(&r.file, r.span)) {
            return Some(r.def);
        }
        self.defs.iter().position(|d| in_span(&d.file, d.span))
    }

    pub fn def(&self, id: usize) -> Option<&Def> {
        self.defs.get(id)
    }

    /// Every reference to definition `id`.
    pub fn references(&self, id: usize) -> impl Iterator<Item = &Ref> {
        self.refs.iter().filter(move |r| r.def == id)
    }

    /// The definition of a name of the one namespace (lead fields, events,
    /// consts, lets, criteria, segments, scores, tiers).
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.defs.iter().position(|d| {
            d.name == name
                && !matches!(
                    d.kind,
                    DefKind::EventField | DefKind::Stage | DefKind::TierLabel | DefKind::Variant
                )
        })
    }
}
