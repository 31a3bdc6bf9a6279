//! Runtime values and typed lead records: what the data readers produce and the
//! VM consumes.

use std::fmt;
use std::sync::Arc;

use crate::time::{format_duration, format_time};
use crate::{Sym, Symbols};

/// A value of the language. `Unknown` is the third truth value and the value of
/// any missing field (spec §5.4).
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Unknown,
    Bool(bool),
    Int(i64),
    Number(f64),
    Str(Arc<str>),
    /// Milliseconds since the Unix epoch, UTC.
    Time(i64),
    /// Milliseconds.
    Duration(i64),
    Enum(Sym),
    List(Arc<[Value]>),
}

impl Value {
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Unknown)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A numeric value as a double (ints promoted).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A display form in the language's own literal syntax, for explanations
    /// and test failures.
    pub fn display<'a>(&'a self, symbols: &'a Symbols) -> ValueDisplay<'a> {
        ValueDisplay {
            value: self,
            symbols,
        }
    }
}

pub struct ValueDisplay<'a> {
    value: &'a Value,
    symbols: &'a Symbols,
}

impl fmt::Display for ValueDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Value::Unknown => f.write_str("unknown"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Number(n) => {
                if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
                    write!(f, "{n:.1}")
                } else {
                    write!(f, "{n}")
                }
            }
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Time(t) => write!(f, "@{}", format_time(*t)),
            Value::Duration(d) => f.write_str(&format_duration(*d)),
            Value::Enum(s) => f.write_str(self.symbols.name(*s)),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", v.display(self.symbols))?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A lead's id as the data gave it: JSON ids keep their type, CSV ids are
/// strings, a record without id gets its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeadId {
    Str(Arc<str>),
    Int(i64),
}

impl fmt::Display for LeadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeadId::Str(s) => f.write_str(s),
            LeadId::Int(i) => write!(f, "{i}"),
        }
    }
}

/// One event of a lead, its fields in the slots of its [`crate::EventDef`].
#[derive(Clone, Debug, PartialEq)]
pub struct EventRec {
    pub at: i64,
    pub fields: Box<[Value]>,
}

/// One lead, decoded by the schema: no name lookups are needed to evaluate it.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRecord {
    pub id: LeadId,
    /// One value per lead field of the schema, in schema order.
    pub fields: Box<[Value]>,
    /// The starting stage from the data (`None`: the first stage).
    pub stage: Option<Sym>,
    /// When the lead entered its starting stage, if the data says.
    pub stage_since: Option<i64>,
    /// Events grouped by event type (schema order), each group sorted by `at`,
    /// ties kept in input order (nested events first, then the events file).
    pub events: Vec<Vec<EventRec>>,
}

impl LeadRecord {
    /// Sort every event group by time, keeping input order among equal times.
    pub fn sort_events(&mut self) {
        for group in &mut self.events {
            group.sort_by_key(|e| e.at);
        }
    }
}
