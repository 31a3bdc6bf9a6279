//! `mql explain`: find one lead by id and explain its evaluation.

use std::cell::RefCell;
use std::rc::Rc;

use mql_core::{LeadRecord, Schema};
use mql_data::DataIssue;
use mql_vm::DataProblem;

use crate::input::{open, Input};
use crate::observe::Observer;

/// A lead found by id, with the data issues reported for it.
pub struct Found {
    pub lead: LeadRecord,
    pub issues: Vec<DataIssue>,
}

impl Found {
    /// The values of the lead's fields that could not be read, for the
    /// explanation to show where a condition read them.
    pub fn problems(&self) -> Vec<DataProblem> {
        self.issues
            .iter()
            .filter(|i| i.is_error())
            .filter_map(|i| {
                Some(DataProblem {
                    field: i.field.clone()?,
                    value: i.value.clone(),
                    reason: i.reason.clone(),
                })
            })
            .collect()
    }
}

/// Read the leads until the one whose id reads `id`; its data issues (and
/// those of earlier records with the same id), and the warnings about
/// fields that nothing fills, go to `observer` as they are found. `None`
/// when no lead has that id.
pub fn find_lead(
    schema: &Schema,
    input: &Input,
    id: &str,
    observer: &mut dyn Observer,
) -> anyhow::Result<Option<Found>> {
    let pending: Rc<RefCell<Vec<DataIssue>>> = Rc::default();
    let sink = pending.clone();
    let mut leads = open(schema, input, move |issue| sink.borrow_mut().push(issue))?;
    let mut mine = Vec::new();
    let mut found = None;
    loop {
        let next = leads.next_lead()?;
        for issue in pending.borrow_mut().drain(..) {
            if issue.lead.as_ref().is_some_and(|l| l.to_string() == id) {
                observer.issue(&issue);
                mine.push(issue);
            } else if issue.is_warning() {
                // A field that nothing fills explains why it is unknown.
                observer.issue(&issue);
            }
        }
        match next {
            Some(lead) if lead.id.to_string() == id => {
                found = Some(lead);
                break;
            }
            Some(_) => {}
            None => break,
        }
    }
    Ok(found.map(|lead| Found { lead, issues: mine }))
}
