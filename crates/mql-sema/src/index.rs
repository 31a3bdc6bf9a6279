//! The name index: every definition of a model and every place that names
//! one, as the checker resolved them. It is the one source of names for the
//! editor: hover, go to definition, references, rename, highlighting,
//! completion and the call hierarchy are lookups in it.

use std::sync::Arc;

use mql_core::Span;

/// What kind of thing a definition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefKind {
    Model,
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
            DefKind::Model => "model",
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

    /// Does it live in the model's one namespace (lead fields, events,
    /// consts, lets, criteria, segments, scores, tiers)?
    pub fn is_top_level(self) -> bool {
        matches!(
            self,
            DefKind::LeadField
                | DefKind::Event
                | DefKind::Const
                | DefKind::Let
                | DefKind::Criterion
                | DefKind::Segment
                | DefKind::Score
                | DefKind::Tier
        )
    }

    /// Is it one value of a list of values (an enum value, a stage, a tier
    /// label)?
    pub fn is_value(self) -> bool {
        matches!(self, DefKind::Stage | DefKind::TierLabel | DefKind::Variant)
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
    /// What it belongs to: an event field's event, a value's field, a tier
    /// label's tier (an index into [`NameIndex::defs`]).
    pub parent: Option<usize>,
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

/// A name that is part of the language rather than of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Now,
    Id,
    Stage,
    StageSince,
    TimeInStage,
    /// An event's time, inside a query.
    At,
    /// A function or an aggregate (its name is the text at the span).
    Function,
}

impl Builtin {
    /// The built-in name (not for functions).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Now => "now",
            Builtin::Id => "id",
            Builtin::Stage => "stage",
            Builtin::StageSince => "stage_since",
            Builtin::TimeInStage => "time_in_stage",
            Builtin::At => "at",
            Builtin::Function => "",
        }
    }
}

/// What a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A definition of the model (an index into [`NameIndex::defs`]).
    Def(usize),
    Builtin(Builtin),
}

/// One use of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub file: Arc<str>,
    pub span: Span,
    pub target: Target,
}

/// A name found at an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub span: Span,
    pub target: Target,
    /// The name is the definition itself, not a use.
    pub is_def: bool,
}

/// Every definition and reference of a checked model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NameIndex {
    pub defs: Vec<Def>,
    /// Sorted by file, then by position.
    pub refs: Vec<Ref>,
}

impl NameIndex {
    /// Put the references in order (by file, then position) and drop
    /// repeats, so lookups by offset can search.
    pub fn sort(&mut self) {
        // The references of one file share its path: comparing the pointers
        // first spares a string comparison in nearly every step.
        self.refs.sort_by(|a, b| {
            let file = if Arc::ptr_eq(&a.file, &b.file) {
                std::cmp::Ordering::Equal
            } else {
                a.file.cmp(&b.file)
            };
            file.then((a.span.start, a.span.end).cmp(&(b.span.start, b.span.end)))
        });
        self.refs.dedup();
    }

    /// The references of `file`, in order.
    pub fn refs_in(&self, file: &str) -> &[Ref] {
        let first = self.refs.partition_point(|r| &*r.file < file);
        let end = first + self.refs[first..].partition_point(|r| &*r.file == file);
        &self.refs[first..end]
    }

    /// The name at `offset` of `file`: a use, or a definition's own name.
    /// The offset may sit just after the name, where the cursor is after
    /// typing it; a name that starts at the offset wins over one that ends
    /// there.
    pub fn at(&self, file: &str, offset: usize) -> Option<Hit> {
        let refs = self.refs_in(file);
        // references that start at or before the offset
        let upto = refs.partition_point(|r| (r.span.start as usize) <= offset);
        let used = refs[..upto]
            .iter()
            .rev()
            .take(8)
            .filter(|r| r.span.contains(offset))
            .max_by_key(|r| r.span.start)
            .map(|r| Hit {
                span: r.span,
                target: r.target,
                is_def: self.is_def_site(r),
            });
        let defined = self
            .defs
            .iter()
            .enumerate()
            .filter(|(_, d)| &*d.file == file && d.span.contains(offset))
            .max_by_key(|(_, d)| d.span.start)
            .map(|(i, d)| Hit {
                span: d.span,
                target: Target::Def(i),
                is_def: true,
            });
        match (used, defined) {
            (Some(u), Some(d)) if d.span.start > u.span.start => Some(d),
            (Some(u), _) => Some(u),
            (None, d) => d,
        }
    }

    fn is_def_site(&self, r: &Ref) -> bool {
        match r.target {
            Target::Def(d) => self
                .defs
                .get(d)
                .is_some_and(|d| d.span == r.span && d.file == r.file),
            Target::Builtin(_) => false,
        }
    }

    pub fn def(&self, id: usize) -> Option<&Def> {
        self.defs.get(id)
    }

    /// Every use of definition `id` (not its declaration).
    pub fn references(&self, id: usize) -> impl Iterator<Item = &Ref> {
        self.refs
            .iter()
            .filter(move |r| r.target == Target::Def(id) && !self.is_def_site(r))
    }

    /// The definitions that belong to `id`: an event's fields, a field's
    /// values, a tier's labels.
    pub fn children(&self, id: usize) -> impl Iterator<Item = usize> + '_ {
        self.defs
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.parent == Some(id))
            .map(|(i, _)| i)
    }

    /// The definition of a name of the one namespace (lead fields, events,
    /// consts, lets, criteria, segments, scores, tiers).
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.name == name && d.kind.is_top_level())
    }

    /// The stages, in funnel order.
    pub fn stages(&self) -> impl Iterator<Item = usize> + '_ {
        self.defs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == DefKind::Stage)
            .map(|(i, _)| i)
    }
}
