//! The signatures every declaration is checked against: the schema, the one
//! namespace of named declarations, folded consts and the types of lets.

use std::collections::HashMap;
use std::sync::Arc;

use mql_core::{EnumTy, Schema, Span, Ty, Value};

use crate::hir::ValueKind;

/// What a top-level name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameDef {
    LeadField(u32),
    Event(u32),
    Const(u32),
    Value(u32),
    Score(u32),
    Tier(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct NameEntry {
    pub def: NameDef,
    pub file: u32,
    /// Span of the name where it is declared.
    pub span: Span,
}

/// A const after folding. `flexible` consts hold enum variants or empty lists,
/// whose type is settled by each use.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstSig {
    pub value: Option<Value>,
    pub ty: Option<Ty>,
    pub flexible: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueSig {
    pub name: String,
    pub kind: ValueKind,
    /// `None` until checked, or when its expression has an error.
    pub ty: Option<Ty>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TierSig {
    pub name: String,
    pub ty: Ty,
}

/// Everything a declaration's check may look up.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    pub schema: Schema,
    pub names: HashMap<String, NameEntry>,
    pub consts: Vec<ConstSig>,
    pub values: Vec<ValueSig>,
    pub scores: Vec<String>,
    pub tiers: Vec<TierSig>,
    /// Every enum type of the model (fields, event fields, tiers, stages), in
    /// declaration order, to recognise and suggest bare variants; each
    /// declared list of values is one entry, even when two are equal.
    pub enums: Vec<Arc<EnumTy>>,
    /// For each value, the place in `enums` of the first list that has it
    /// (filled by [`Scope::index_enums`] once the lists are known).
    pub first_enum: HashMap<String, u32>,
    /// Names that declarations with syntax errors seem to declare: an unknown
    /// name among them is not reported again.
    pub broken: std::collections::HashSet<String>,
}

impl Scope {
    /// The first enum of the model that has `variant`.
    pub fn enum_with(&self, variant: &str) -> Option<&Arc<EnumTy>> {
        if self.first_enum.is_empty() {
            return self.enums.iter().find(|e| e.has(variant));
        }
        let k = *self.first_enum.get(variant)?;
        self.enums.get(k as usize)
    }

    /// Index the values of [`Scope::enums`] (after the last list of values
    /// is declared), so [`Scope::enum_with`] is a lookup.
    pub fn index_enums(&mut self) {
        let mut first = HashMap::new();
        for (k, e) in self.enums.iter().enumerate() {
            for v in &e.variants {
                first.entry(v.clone()).or_insert(k as u32);
            }
        }
        self.first_enum = first;
    }

    /// A `stages` line that did not parse: don't report "no stages" again.
    pub fn stages_broken(&self) -> bool {
        self.broken.contains("#broken stages")
    }

    pub fn stages_ty(&self) -> Option<Ty> {
        self.schema.stages.clone().map(Ty::Enum)
    }

    /// The place in [`Scope::enums`] of the enum equal to `e`: which list of
    /// values a value belongs to, for the name index.
    pub fn enum_class(&self, e: &EnumTy) -> Option<u32> {
        let at = self
            .enums
            .iter()
            .position(|x| std::ptr::eq(&**x, e))
            .or_else(|| self.enums.iter().position(|x| x.variants == e.variants))
            .or_else(|| self.enums.iter().position(|x| **x == *e))?;
        Some(at as u32)
    }
}

/// A name that an expression refers to, for the name index and unused checks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Name(NameDef),
    EventField(u32, u32),
    /// An enum value, stage or tier label: its list of values (a place in
    /// [`Scope::enums`]) and its text.
    Variant(u32, String),
    /// A name of the language (`now`, `at`, a function).
    Builtin(crate::index::Builtin),
}
