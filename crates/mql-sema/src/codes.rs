//! The stable codes of the checker's diagnostics, one name each (listed with
//! examples in `docs/diagnostics.md`). Errors `E0100`–`E0299` stop
//! compilation; warnings `W0100`–`W0199` do not.

// ---- unknown names

/// A name declared nowhere in the model.
pub const UNKNOWN_NAME: &str = "E0100";
/// A test literal names a field the lead or event does not have.
pub const UNKNOWN_TEST_FIELD: &str = "E0101";
/// A query or a test names an event that is not declared.
pub const UNKNOWN_EVENT: &str = "E0102";
/// A transition names a stage that is not in `stages`.
pub const UNKNOWN_STAGE: &str = "E0103";
/// A bare value that is not one of its enum's values.
pub const UNKNOWN_VARIANT: &str = "E0104";

// ---- declarations

/// Two declarations of the one namespace share a name.
pub const DUPLICATE_DECL: &str = "E0110";
/// The lead or an event declares a field twice.
pub const DUPLICATE_FIELD: &str = "E0111";
/// An enum lists a value twice.
pub const DUPLICATE_VARIANT: &str = "E0112";
/// `stages` lists a stage twice.
pub const DUPLICATE_STAGE: &str = "E0113";
/// A test literal gives a field twice.
pub const DUPLICATE_TEST_FIELD: &str = "E0114";
/// A reserved name declared, or used as a field.
pub const RESERVED_NAME: &str = "E0115";
/// `enum { }` with no values.
pub const EMPTY_ENUM: &str = "E0116";
/// A tier uses a label twice.
pub const DUPLICATE_TIER_LABEL: &str = "E0117";
/// `otherwise` that is not the tier's last label.
pub const OTHERWISE_NOT_LAST: &str = "E0118";
/// A second `stages` line.
pub const TWO_STAGES: &str = "E0119";
/// `model` twice in a file, or not first.
pub const MODEL_MISPLACED: &str = "E0120";
/// No `lead { … }` in the model, or two.
pub const LEAD_COUNT: &str = "E0121";
/// A score option (`decay`, `range`) given twice.
pub const DUPLICATE_SCORE_OPTION: &str = "E0122";
/// A list of a type lists cannot hold.
pub const LIST_ELEMENT_TYPE: &str = "E0123";

// ---- reading CRM data (spec §3.1)

/// Two fields of one block read from the same key or column.
pub const DUPLICATE_SOURCE: &str = "E0124";
/// `from ""`.
pub const EMPTY_SOURCE: &str = "E0125";
/// A label that makes two values (or two stages) impossible to tell apart.
pub const AMBIGUOUS_LABEL: &str = "E0126";
/// `missing` with no text after it.
pub const EMPTY_MISSING: &str = "E0127";
/// `from` naming a key the data format keeps for itself (`id`, `stage`, `at`…).
pub const RESERVED_SOURCE: &str = "E0128";

// ---- types

/// Operands of the wrong type.
pub const TYPE_MISMATCH: &str = "E0130";
/// A condition that is not a yes/no value.
pub const NOT_A_CONDITION: &str = "E0131";
/// A function argument of the wrong kind or type.
pub const WRONG_ARGUMENT: &str = "E0132";
/// A call of a function that does not exist.
pub const UNKNOWN_FUNCTION: &str = "E0133";
/// A call with the wrong number of arguments.
pub const ARGUMENT_COUNT: &str = "E0134";
/// A query where none may stand (or inside another query).
pub const QUERY_MISPLACED: &str = "E0135";
/// A name that exists but not here (`stage` outside `expect`, …).
pub const NAME_NOT_HERE: &str = "E0136";
/// A bare value whose enum cannot be told.
pub const BARE_VARIANT: &str = "E0137";

// ---- constants

/// A `const` that depends on the lead or on `now`.
pub const CONST_NOT_CONSTANT: &str = "E0140";
/// A value that must be fixed (`within`, points, cap, decay, pattern) is not.
pub const NOT_CONSTANT: &str = "E0141";
/// An integer constant that overflows.
pub const OVERFLOW: &str = "E0142";
/// A `matches` pattern that is not a valid regular expression.
pub const INVALID_PATTERN: &str = "E0143";
/// A percentage outside `decay P% every D`.
pub const PERCENT_MISPLACED: &str = "E0144";

// ---- the model as a whole

/// Lets, criteria, segments, scores or tiers that depend on each other in a circle.
pub const DEPENDENCY_CYCLE: &str = "E0150";
/// Files that `use` each other in a circle.
pub const USE_CYCLE: &str = "E0151";
/// `use` of a file that cannot be read.
pub const MISSING_USE: &str = "E0152";
/// `up to` with a cap that is not positive.
pub const CAP_OUT_OF_RANGE: &str = "E0160";
/// A decay parameter out of its range.
pub const DECAY_OUT_OF_RANGE: &str = "E0161";
/// `range LO to HI` with LO above HI.
pub const RANGE_REVERSED: &str = "E0162";

// ---- stages and tests

/// A transition or a `stage` without a `stages` line.
pub const NO_STAGES: &str = "E0170";
/// A test without `expect`.
pub const TEST_WITHOUT_EXPECT: &str = "E0171";
/// `as_of`, `lead` or `events` twice in a test.
pub const TEST_ITEM_TWICE: &str = "E0172";
/// A test value of the wrong type.
pub const TEST_VALUE_TYPE: &str = "E0173";
/// A test's `stage:` that is not a stage.
pub const NOT_A_STAGE: &str = "E0174";

// ---- warnings

/// A condition that can never be true.
pub const NEVER_TRUE: &str = "W0100";
/// A condition that is always true.
pub const ALWAYS_TRUE: &str = "W0101";
/// A stage that no transition enters.
pub const STAGE_NEVER_ENTERED: &str = "W0102";
/// A const, let or criterion nothing uses.
pub const UNUSED: &str = "W0103";
/// An event field hides a lead field inside a `where`.
pub const EVENT_FIELD_HIDES: &str = "W0104";
/// A bare name read as an enum value that also names a declaration.
pub const VARIANT_HIDES_DECL: &str = "W0105";
/// A score rule worth 0 points.
pub const ZERO_POINTS: &str = "W0106";
/// A placeholder that is also one of the field's values or labels, which can
/// then never be read.
pub const PLACEHOLDER_HIDES_VALUE: &str = "W0107";
