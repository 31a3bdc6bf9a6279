//! What the language provides besides the model's own names, in one table
//! each: the functions and aggregates (signatures, meaning, the one-line
//! usage that error messages show) and the built-in names (`now`, `id`,
//! `stage`, `stage_since`, `time_in_stage`, `at`). The checker, the editor's
//! hover, completion and signature help all read these tables.

/// A function or an aggregate of the language.
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    /// Each overload: its parameters and what it returns.
    pub signatures: &'static [(&'static [&'static str], &'static str)],
    /// What it gives, in a sentence.
    pub doc: &'static str,
    /// How to call it, as error messages put it.
    pub usage: &'static str,
    /// Takes events (`count(page_view where …)`).
    pub aggregate: bool,
}

pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "lower",
        usage: "`lower(text)` gives text",
        signatures: &[(&["s: string"], "string")],
        doc: "the text in lower case",
        aggregate: false,
    },
    Function {
        name: "upper",
        usage: "`upper(text)` gives text",
        signatures: &[(&["s: string"], "string")],
        doc: "the text in upper case",
        aggregate: false,
    },
    Function {
        name: "trim",
        usage: "`trim(text)` gives text",
        signatures: &[(&["s: string"], "string")],
        doc: "the text without white space at either end",
        aggregate: false,
    },
    Function {
        name: "length",
        usage: "`length(x)` counts the characters of text or the items of a list",
        signatures: &[(&["x: string or list"], "int")],
        doc: "the number of characters of a text, or of elements of a list",
        aggregate: false,
    },
    Function {
        name: "domain",
        usage: "`domain(text)` gives text",
        signatures: &[(&["email: string"], "string")],
        doc: "the part after the last `@`, in lower case; unknown if there is no `@`",
        aggregate: false,
    },
    Function {
        name: "known",
        usage: "`known(x)` is true when x has a value",
        signatures: &[(&["x: any"], "bool")],
        doc: "true if the value is not missing; never unknown itself",
        aggregate: false,
    },
    Function {
        name: "default",
        usage: "`default(x, y)` gives x when it has a value, else y (of the same kind)",
        signatures: &[(&["x: T", "fallback: T"], "T")],
        doc: "the value if it is known, otherwise the fallback",
        aggregate: false,
    },
    Function {
        name: "min",
        usage: "`min(a, b)` takes numbers; `min(EVENT where …, e)` takes events and a value per event",
        signatures: &[
            (&["a: number", "b: number"], "number"),
            (&["query: event query", "value: per-event expression"], "the value's type"),
        ],
        doc: "the smaller of two numbers; over a query, the smallest value among the matching events (unknown if none match)",
        aggregate: true,
    },
    Function {
        name: "max",
        usage: "`max(a, b)` takes numbers; `max(EVENT where …, e)` takes events and a value per event",
        signatures: &[
            (&["a: number", "b: number"], "number"),
            (&["query: event query", "value: per-event expression"], "the value's type"),
        ],
        doc: "the larger of two numbers; over a query, the largest value among the matching events (unknown if none match)",
        aggregate: true,
    },
    Function {
        name: "abs",
        usage: "`abs(x)` takes a number",
        signatures: &[(&["x: number"], "number")],
        doc: "the value without its sign",
        aggregate: false,
    },
    Function {
        name: "round",
        usage: "`round(x, digits)` takes a number and a whole number of digits",
        signatures: &[(&["x: number", "digits: int"], "number")],
        doc: "rounded to `digits` decimal places, half away from zero (digits may be negative)",
        aggregate: false,
    },
    Function {
        name: "since",
        usage: "`since(t)` takes a time and gives how long ago it was",
        signatures: &[(&["t: time"], "duration")],
        doc: "how long ago `t` was: `now - t`",
        aggregate: false,
    },
    Function {
        name: "hour",
        usage: "`hour(t)` takes a time and gives a whole number",
        signatures: &[(&["t: time"], "int")],
        doc: "the hour of the day, 0 to 23, in UTC",
        aggregate: false,
    },
    Function {
        name: "weekday",
        usage: "`weekday(t)` takes a time and gives a whole number",
        signatures: &[(&["t: time"], "int")],
        doc: "the day of the week, 1 (Monday) to 7 (Sunday), in UTC",
        aggregate: false,
    },
    Function {
        name: "day",
        usage: "`day(t)` takes a time and gives midnight of that day",
        signatures: &[(&["t: time"], "time")],
        doc: "midnight UTC of that day",
        aggregate: false,
    },
    Function {
        name: "days",
        usage: "`days(d)` takes a duration and gives it in days",
        signatures: &[(&["d: duration"], "number")],
        doc: "the duration in days",
        aggregate: false,
    },
    Function {
        name: "count",
        usage: "`count(EVENT where … within …)` takes an event name, with optional `where` and `within`",
        signatures: &[(&["query: event query"], "int")],
        doc: "how many of the lead's events match (0 if none)",
        aggregate: true,
    },
    Function {
        name: "exists",
        usage: "`exists(EVENT where … within …)` takes an event name, with optional `where` and `within`",
        signatures: &[(&["query: event query"], "bool")],
        doc: "whether any of the lead's events match",
        aggregate: true,
    },
    Function {
        name: "sum",
        usage: "`sum(EVENT where …, e)` takes an event name and a value per event",
        signatures: &[(&["query: event query", "value: per-event number"], "int or number")],
        doc: "the total of the value over the matching events (0 if none)",
        aggregate: true,
    },
    Function {
        name: "avg",
        usage: "`avg(EVENT where …, e)` takes an event name and a value per event",
        signatures: &[(&["query: event query", "value: per-event number"], "number")],
        doc: "the average of the value over the matching events (unknown if none)",
        aggregate: true,
    },
    Function {
        name: "distinct",
        usage: "`distinct(EVENT where …, e)` takes an event name and a value per event",
        signatures: &[(&["query: event query", "value: per-event expression"], "int")],
        doc: "how many different known values the matching events have (0 if none)",
        aggregate: true,
    },
    Function {
        name: "first",
        usage: "`first(EVENT where … within …)` takes an event name, with optional `where` and `within`",
        signatures: &[(&["query: event query"], "time")],
        doc: "when the oldest matching event happened (unknown if none)",
        aggregate: true,
    },
    Function {
        name: "last",
        usage: "`last(EVENT where … within …)` takes an event name, with optional `where` and `within`",
        signatures: &[(&["query: event query"], "time")],
        doc: "when the newest matching event happened (unknown if none)",
        aggregate: true,
    },
];

/// The function called `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// `name(params) -> result` of the `i`th overload of `f` (the last one when
/// `i` is past the end).
pub fn signature_label(f: &Function, i: usize) -> String {
    let Some((params, ret)) = f.signatures.get(i).or(f.signatures.last()) else {
        return format!("{}()", f.name);
    };
    format!("{}({}) -> {}", f.name, params.join(", "), ret)
}

/// A name every model has.
#[derive(Debug)]
pub struct BuiltinName {
    pub name: &'static str,
    /// Its type as the author sees it (empty for `stage`, whose type is
    /// the model's stages).
    pub ty: &'static str,
    pub doc: &'static str,
    /// Where it can be used, when not everywhere.
    pub only_in: Option<&'static str>,
    /// A declaration or lead field can't take this name.
    pub reserved: bool,
}

/// Every built-in name.
pub const NAMES: &[BuiltinName] = &[
    BuiltinName {
        name: "now",
        ty: "time",
        doc: "the instant the lead is evaluated at",
        only_in: None,
        reserved: true,
    },
    BuiltinName {
        name: "id",
        ty: "string",
        doc: "the lead's id from the data",
        only_in: None,
        reserved: true,
    },
    BuiltinName {
        name: "stage",
        ty: "",
        doc: "the lead's lifecycle stage: in `expect`, the final stage; in a test's `lead`, the starting stage",
        only_in: None,
        reserved: true,
    },
    BuiltinName {
        name: "stage_since",
        ty: "time",
        doc: "when the lead entered its starting stage",
        only_in: None,
        reserved: true,
    },
    BuiltinName {
        name: "time_in_stage",
        ty: "duration",
        doc: "how long the lead has been in its current stage",
        only_in: Some("transition conditions"),
        reserved: true,
    },
    BuiltinName {
        name: "at",
        ty: "time",
        doc: "when the event happened",
        only_in: Some("an event query's `where`"),
        reserved: false,
    },
];

/// The built-in name `name`.
pub fn name(name: &str) -> Option<&'static BuiltinName> {
    NAMES.iter().find(|n| n.name == name)
}

/// Names a lead field or a declaration can't take.
pub fn is_reserved_name(n: &str) -> bool {
    name(n).is_some_and(|b| b.reserved)
}

/// Names an event field can't take: `at` is every event's time, `type` and
/// `lead_id` are read by the events data format.
pub const RESERVED_EVENT_FIELDS: &[&str] = &["at", "type", "lead_id"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_a_signature_and_a_usage() {
        for f in FUNCTIONS {
            assert!(!f.signatures.is_empty(), "{}", f.name);
            assert!(f.usage.contains(&format!("`{}(", f.name)), "{}", f.name);
        }
        assert_eq!(
            signature_label(function("round").expect("round"), 0),
            "round(x: number, digits: int) -> number"
        );
    }
}
