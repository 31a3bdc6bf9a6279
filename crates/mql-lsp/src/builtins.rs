//! What the language itself provides: functions and aggregates with their
//! signatures (for hover, completion and signature help), and the built-in
//! names `now`, `id`, `stage`, `at`, … with what they mean.

use crate::index::Builtin;

pub struct Function {
    pub name: &'static str,
    /// Each overload: its parameters and what it returns.
    pub signatures: &'static [(&'static [&'static str], &'static str)],
    pub doc: &'static str,
    pub aggregate: bool,
}

pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "lower",
        signatures: &[(&["s: string"], "string")],
        doc: "the text in lower case",
        aggregate: false,
    },
    Function {
        name: "upper",
        signatures: &[(&["s: string"], "string")],
        doc: "the text in upper case",
        aggregate: false,
    },
    Function {
        name: "trim",
        signatures: &[(&["s: string"], "string")],
        doc: "the text without white space at either end",
        aggregate: false,
    },
    Function {
        name: "length",
        signatures: &[(&["x: string or list"], "int")],
        doc: "the number of characters of a text, or of elements of a list",
        aggregate: false,
    },
    Function {
        name: "domain",
        signatures: &[(&["email: string"], "string")],
        doc: "the part after the last `@`, in lower case; unknown if there is no `@`",
        aggregate: false,
    },
    Function {
        name: "known",
        signatures: &[(&["x: any"], "bool")],
        doc: "true if the value is not missing; never unknown itself",
        aggregate: false,
    },
    Function {
        name: "default",
        signatures: &[(&["x: T", "fallback: T"], "T")],
        doc: "the value if it is known, otherwise the fallback",
        aggregate: false,
    },
    Function {
        name: "min",
        signatures: &[
            (&["a: number", "b: number"], "number"),
            (&["query: event query", "value: per-event expression"], "the value's type"),
        ],
        doc: "the smaller of two numbers; over a query, the smallest value among the matching events (unknown if none match)",
        aggregate: true,
    },
    Function {
        name: "max",
        signatures: &[
            (&["a: number", "b: number"], "number"),
            (&["query: event query", "value: per-event expression"], "the value's type"),
        ],
        doc: "the larger of two numbers; over a query, the largest value among the matching events (unknown if none match)",
        aggregate: true,
    },
    Function {
        name: "abs",
        signatures: &[(&["x: number"], "number")],
        doc: "the value without its sign",
        aggregate: false,
    },
    Function {
        name: "round",
        signatures: &[(&["x: number", "digits: int"], "number")],
        doc: "rounded to `digits` decimal places, half away from zero (digits may be negative)",
        aggregate: false,
    },
    Function {
        name: "since",
        signatures: &[(&["t: time"], "duration")],
        doc: "how long ago `t` was: `now - t`",
        aggregate: false,
    },
    Function {
        name: "hour",
        signatures: &[(&["t: time"], "int")],
        doc: "the hour of the day, 0 to 23, in UTC",
        aggregate: false,
    },
    Function {
        name: "weekday",
        signatures: &[(&["t: time"], "int")],
        doc: "the day of the week, 1 (Monday) to 7 (Sunday), in UTC",
        aggregate: false,
    },
    Function {
        name: "day",
        signatures: &[(&["t: time"], "time")],
        doc: "midnight UTC of that day",
        aggregate: false,
    },
    Function {
        name: "days",
        signatures: &[(&["d: duration"], "number")],
        doc: "the duration in days",
        aggregate: false,
    },
    Function {
        name: "count",
        signatures: &[(&["query: event query"], "int")],
        doc: "how many of the lead's events match (0 if none)",
        aggregate: true,
    },
    Function {
        name: "exists",
        signatures: &[(&["query: event query"], "bool")],
        doc: "whether any of the lead's events match",
        aggregate: true,
    },
    Function {
        name: "sum",
        signatures: &[(&["query: event query", "value: per-event number"], "int or number")],
        doc: "the total of the value over the matching events (0 if none)",
        aggregate: true,
    },
    Function {
        name: "avg",
        signatures: &[(&["query: event query", "value: per-event number"], "number")],
        doc: "the average of the value over the matching events (unknown if none)",
        aggregate: true,
    },
    Function {
        name: "distinct",
        signatures: &[(&["query: event query", "value: per-event expression"], "int")],
        doc: "how many different known values the matching events have (0 if none)",
        aggregate: true,
    },
    Function {
        name: "first",
        signatures: &[(&["query: event query"], "time")],
        doc: "when the oldest matching event happened (unknown if none)",
        aggregate: true,
    },
    Function {
        name: "last",
        signatures: &[(&["query: event query"], "time")],
        doc: "when the newest matching event happened (unknown if none)",
        aggregate: true,
    },
];

pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

pub fn signature_label(f: &Function, i: usize) -> String {
    let (params, ret) = f.signatures[i.min(f.signatures.len() - 1)];
    format!("{}({}) -> {}", f.name, params.join(", "), ret)
}

/// The type and meaning of a built-in name.
pub fn describe(b: Builtin) -> (&'static str, &'static str) {
    match b {
        Builtin::Now => ("now: time", "the instant the lead is evaluated at"),
        Builtin::Id => ("id: string", "the lead's id from the data"),
        Builtin::Stage => (
            "stage",
            "the lead's lifecycle stage: in `expect`, the final stage; in a test's `lead`, the starting stage",
        ),
        Builtin::StageSince => (
            "stage_since: time",
            "when the lead entered its starting stage",
        ),
        Builtin::TimeInStage => (
            "time_in_stage: duration",
            "how long the lead has been in its current stage (only in transition conditions)",
        ),
        Builtin::At => ("at: time", "when the event happened"),
        Builtin::Function => ("", ""),
    }
}
