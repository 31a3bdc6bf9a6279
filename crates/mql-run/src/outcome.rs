//! The outcome column of `backtest` and `diff --outcome`: a yes/no column of
//! the leads that the model need not declare (rules should not read the
//! answer they are judged against).

use mql_core::{FieldDef, LeadRecord, Schema, Ty, Value};
use mql_data::normalise_key;

/// A schema to read the leads by, with the outcome column in it.
pub struct OutcomeSchema {
    pub schema: Schema,
    /// The outcome's slot among the lead fields.
    pub slot: usize,
    /// The outcome is not a field of the model: it was added, as a `bool`
    /// read from the column of this name.
    pub added: Option<String>,
}

impl OutcomeSchema {
    /// Find the outcome among `schema`'s lead fields — by the field's name,
    /// or by the column it is read from (its source name, language §3.1),
    /// exactly or after normalising like any column — or add it as a new
    /// `bool` field the model never uses. A declared field that is not a
    /// `bool` is refused.
    pub fn new(schema: &Schema, outcome: &str) -> anyhow::Result<OutcomeSchema> {
        let wanted = normalise_key(outcome);
        let mut schema = schema.clone();
        let found = schema
            .lead
            .iter()
            .position(|f| f.name == outcome || f.source_name() == outcome)
            .or_else(|| {
                schema
                    .lead
                    .iter()
                    .position(|f| normalise_key(f.source_name()) == wanted)
            });
        let (slot, added) = match found {
            Some(i) => {
                let field = &schema.lead[i];
                if field.ty != Ty::Bool {
                    anyhow::bail!(
                        "`--outcome {}` names the field `{}`, which holds {}; a backtest needs a yes/no field (`bool`), such as `converted`",
                        outcome,
                        field.name,
                        field.ty.describe()
                    );
                }
                (i, None)
            }
            None => {
                schema.lead.push(FieldDef::new(outcome, Ty::Bool));
                (schema.lead.len() - 1, Some(outcome.to_string()))
            }
        };
        Ok(OutcomeSchema {
            schema,
            slot,
            added,
        })
    }

    /// The column the outcome is read from: the field's source name.
    pub fn column(&self) -> &str {
        self.schema.lead[self.slot].source_name()
    }

    /// A lead's outcome: `None` when the data gave no yes/no value.
    pub fn of(&self, lead: &LeadRecord) -> Option<bool> {
        match lead.fields.get(self.slot) {
            Some(Value::Bool(yes)) => Some(*yes),
            _ => None,
        }
    }
}
