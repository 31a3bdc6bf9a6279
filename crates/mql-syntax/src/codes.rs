//! The stable codes of syntax and literal errors (listed with examples in
//! `docs/diagnostics-syntax.md`).

/// Something is missing or out of place (the message says what was expected).
pub const SYNTAX: &str = "E0001";
/// A `{`, `[` or `(` that is never closed.
pub const UNCLOSED: &str = "E0002";
/// A `}`, `]` or `)` without a matching opener.
pub const UNMATCHED_CLOSE: &str = "E0003";
/// A string that is never closed.
pub const UNTERMINATED_STRING: &str = "E0004";
/// An unknown escape in a string.
pub const BAD_ESCAPE: &str = "E0005";
/// An integer literal larger than 9223372036854775807.
pub const INT_OVERFLOW: &str = "E0006";
/// A malformed duration (`30min`, `30s`, `14 days`).
pub const BAD_DURATION: &str = "E0007";
/// A malformed or impossible `@` time.
pub const BAD_TIME: &str = "E0008";
/// Curly or single quotes instead of straight double quotes.
pub const BAD_QUOTES: &str = "E0009";
/// A reserved word used as a name.
pub const RESERVED_NAME: &str = "E0010";
/// A misspelled declaration keyword.
pub const MISSPELLED_KEYWORD: &str = "E0011";
/// `=` where `==` was meant.
pub const ASSIGN_NOT_COMPARE: &str = "E0012";
/// An operator from another language: `===`, `=<`, `<>`, `&&`, `||`, `!`.
pub const FOREIGN_OPERATOR: &str = "E0013";
/// `- >` written with a space.
pub const SPLIT_ARROW: &str = "E0014";
/// Comparisons chained like `a < b < c`.
pub const CHAINED_COMPARISON: &str = "E0015";
/// Brackets nested too deeply.
pub const TOO_DEEP: &str = "E0016";
/// `up to` on a rule that is not an `each` rule.
pub const CAP_NOT_EACH: &str = "E0017";
/// A malformed number (`1e5`, `10k`).
pub const BAD_NUMBER: &str = "E0018";
/// `stages` names not separated by commas.
pub const STAGES_COMMA: &str = "E0019";
/// A percent where it is not allowed, or a decay step without `%`.
pub const PERCENT: &str = "E0020";
/// A word such as `points` after a rule's points.
pub const POINTS_WORD: &str = "E0021";
/// Text that is not part of any declaration.
pub const STRAY_TEXT: &str = "E0022";
/// A sign (`+`, `-`) not followed by a number.
pub const LONE_SIGN: &str = "E0023";
