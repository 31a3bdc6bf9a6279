//! The language's types (§3 of the spec), interned enum variant symbols, and the
//! lead schema that data readers decode against.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// An interned enum variant, stage name or tier label. Two variants with the same
/// text are the same symbol within one model, so enum values compare as integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// The interner for [`Sym`]s of one model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Symbols {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, Sym>,
}

impl Symbols {
    pub fn intern(&mut self, name: &str) -> Sym {
        if let Some(&s) = self.index.get(name) {
            return s;
        }
        let s = Sym(self.names.len() as u32);
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        self.index.insert(name, s);
        s
    }

    pub fn get(&self, name: &str) -> Option<Sym> {
        self.index.get(name).copied()
    }

    pub fn name(&self, sym: Sym) -> &str {
        &self.names[sym.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// An enum type: its variants in declaration order. Two enums with the same set
/// of variants are the same type (spec §4), whatever their order; their labels
/// do not take part (they only say how data spells the values).
#[derive(Clone, Debug)]
pub struct EnumTy {
    pub variants: Vec<String>,
    /// The interned symbol of each variant, same order as `variants`.
    pub syms: Vec<Sym>,
    /// The labels of each variant (spec §3.1: `vp "Vice President" "VP"`),
    /// same order as `variants`; may be shorter (a variant past its end has
    /// no labels).
    pub labels: Vec<Vec<String>>,
}

impl EnumTy {
    /// An enum without labels.
    pub fn new(variants: Vec<String>, syms: Vec<Sym>) -> EnumTy {
        EnumTy {
            variants,
            syms,
            labels: Vec::new(),
        }
    }

    /// The labels of the `i`-th variant.
    pub fn labels_of(&self, i: usize) -> &[String] {
        self.labels.get(i).map_or(&[], Vec::as_slice)
    }

    /// The first label of a variant, if it has one (what a CRM's picklist
    /// expects back).
    pub fn first_label(&self, sym: Sym) -> Option<&str> {
        let i = self.syms.iter().position(|s| *s == sym)?;
        self.labels_of(i).first().map(String::as_str)
    }

    pub fn sym_of(&self, variant: &str) -> Option<Sym> {
        self.variants
            .iter()
            .position(|v| v == variant)
            .map(|i| self.syms[i])
    }

    pub fn has(&self, variant: &str) -> bool {
        self.variants.iter().any(|v| v == variant)
    }

    fn sorted(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.variants.iter().map(String::as_str).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

impl PartialEq for EnumTy {
    fn eq(&self, other: &Self) -> bool {
        self.sorted() == other.sorted()
    }
}
impl Eq for EnumTy {}
impl Hash for EnumTy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.sorted().hash(state)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Int,
    Number,
    Bool,
    String,
    Time,
    Duration,
    Enum(Arc<EnumTy>),
    List(Box<Ty>),
}

impl Ty {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Number)
    }

    /// How an author would name a value of this type, for messages:
    /// "a whole number", "text", "a list of text".
    pub fn describe(&self) -> String {
        match self {
            Ty::Int => "a whole number".into(),
            Ty::Number => "a number".into(),
            Ty::Bool => "a yes/no value".into(),
            Ty::String => "text".into(),
            Ty::Time => "a time".into(),
            Ty::Duration => "a duration".into(),
            Ty::Enum(e) => format!("one of {}", e.variants.join(", ")),
            Ty::List(t) => format!("a list of {}", t.describe_plural()),
        }
    }

    fn describe_plural(&self) -> String {
        match self {
            Ty::Int => "whole numbers".into(),
            Ty::Number => "numbers".into(),
            Ty::Bool => "yes/no values".into(),
            Ty::String => "text".into(),
            Ty::Time => "times".into(),
            Ty::Duration => "durations".into(),
            Ty::Enum(e) => format!("values from {}", e.variants.join(", ")),
            Ty::List(t) => format!("lists of {}", t.describe_plural()),
        }
    }
}

/// The type as written in the language: `int`, `list<string>`, `enum { a, b }`.
impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Int => f.write_str("int"),
            Ty::Number => f.write_str("number"),
            Ty::Bool => f.write_str("bool"),
            Ty::String => f.write_str("string"),
            Ty::Time => f.write_str("time"),
            Ty::Duration => f.write_str("duration"),
            Ty::Enum(e) => write!(f, "enum {{ {} }}", e.variants.join(", ")),
            Ty::List(t) => write!(f, "list<{t}>"),
        }
    }
}

/// One declared field of the lead or of an event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
    /// `from "NAME"`: the data key or column that fills the field, when it
    /// is not the field's name (spec §3.1).
    pub source: Option<String>,
    /// The texts that mean "no value" for this field: its block's
    /// `missing` first, then its own, as written.
    pub missing: Vec<String>,
}

impl FieldDef {
    /// A field read from the key of its own name, without placeholders.
    pub fn new(name: impl Into<String>, ty: Ty) -> FieldDef {
        FieldDef {
            name: name.into(),
            ty,
            source: None,
            missing: Vec::new(),
        }
    }

    /// The key or column that fills the field: its `from` text, or else its name.
    pub fn source_name(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.name)
    }

    /// The enum the field's values come from (`enum` or `list<enum>`).
    pub fn enum_ty(&self) -> Option<&Arc<EnumTy>> {
        match &self.ty {
            Ty::Enum(e) => Some(e),
            Ty::List(t) => match &**t {
                Ty::Enum(e) => Some(e),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One declared event type; `at` is implicit and not listed in `fields`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventDef {
    pub name: String,
    pub fields: Vec<FieldDef>,
}

impl EventDef {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// What lead data is decoded against: field slots, event types, and stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// Lead fields; a field's index is its slot in [`crate::LeadRecord::fields`].
    pub lead: Vec<FieldDef>,
    /// Event types; an event's index is its slot in [`crate::LeadRecord::events`].
    pub events: Vec<EventDef>,
    /// The stages in funnel order, if the model declares `stages`.
    pub stages: Option<Arc<EnumTy>>,
    pub symbols: Symbols,
}

impl Schema {
    pub fn lead_field(&self, name: &str) -> Option<usize> {
        self.lead.iter().position(|f| f.name == name)
    }

    pub fn event(&self, name: &str) -> Option<usize> {
        self.events.iter().position(|e| e.name == name)
    }
}
