//! The words of the language, in one table: reserved keywords (which can
//! never name anything; the grammar's `keyword` rule lists the same words,
//! checked by a test) and contextual words, which are keywords only where the
//! grammar expects them (`lead {`, `3d ago`, `at`). The parser, the checker
//! and the editor all read this table.

/// What a word does in the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Starts a top-level declaration (`criterion`, `score`, …).
    Declaration,
    /// A part of a declaration (`when`, `each`, `within`, `range`, …).
    Clause,
    /// A word operator in expressions (`and`, `in`, `starts_with`, …).
    Operator,
    /// `true`, `false`.
    Literal,
    /// A type in a field declaration (`int`, `enum`, `list`, …).
    Type,
}

/// One word of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: &'static str,
    pub role: Role,
    /// Reserved words can't name anything; the others are keywords only
    /// where the grammar expects them.
    pub reserved: bool,
    /// For a contextual word, where it has its meaning (for messages).
    pub example: Option<&'static str>,
}

const fn reserved(text: &'static str, role: Role) -> Word {
    Word {
        text,
        role,
        reserved: true,
        example: None,
    }
}

const fn contextual(text: &'static str, role: Role, example: &'static str) -> Word {
    Word {
        text,
        role,
        reserved: false,
        example: Some(example),
    }
}

/// Every word of the language.
pub const WORDS: &[Word] = &[
    reserved("model", Role::Declaration),
    reserved("use", Role::Declaration),
    reserved("event", Role::Declaration),
    reserved("const", Role::Declaration),
    reserved("let", Role::Declaration),
    reserved("criterion", Role::Declaration),
    reserved("segment", Role::Declaration),
    reserved("score", Role::Declaration),
    reserved("tier", Role::Declaration),
    reserved("stages", Role::Declaration),
    reserved("transition", Role::Declaration),
    reserved("test", Role::Declaration),
    contextual("lead", Role::Declaration, "lead { … }"),
    reserved("when", Role::Clause),
    reserved("otherwise", Role::Clause),
    reserved("each", Role::Clause),
    reserved("latest", Role::Clause),
    reserved("where", Role::Clause),
    reserved("within", Role::Clause),
    reserved("decay", Role::Clause),
    reserved("range", Role::Clause),
    reserved("to", Role::Clause),
    reserved("any", Role::Clause),
    contextual("as_of", Role::Clause, "as_of @2026-01-01T00:00:00Z"),
    contextual("events", Role::Clause, "events { … }"),
    contextual("expect", Role::Clause, "expect fit >= 40"),
    contextual("ago", Role::Clause, "3d ago"),
    contextual("at", Role::Clause, "where hour(at) < 6"),
    contextual("up", Role::Clause, "up to 40"),
    contextual("none", Role::Clause, "decay none"),
    contextual("half_life", Role::Clause, "decay half_life 14d"),
    contextual("linear", Role::Clause, "decay linear 30d"),
    contextual("every", Role::Clause, "decay 10% every 7d"),
    contextual("from", Role::Clause, "visits: int from \"Total Visits\""),
    contextual("missing", Role::Clause, "missing \"Select\", \"N/A\""),
    reserved("and", Role::Operator),
    reserved("or", Role::Operator),
    reserved("not", Role::Operator),
    reserved("in", Role::Operator),
    reserved("between", Role::Operator),
    reserved("contains", Role::Operator),
    reserved("starts_with", Role::Operator),
    reserved("ends_with", Role::Operator),
    reserved("matches", Role::Operator),
    reserved("true", Role::Literal),
    reserved("false", Role::Literal),
    reserved("int", Role::Type),
    reserved("number", Role::Type),
    reserved("bool", Role::Type),
    reserved("string", Role::Type),
    reserved("time", Role::Type),
    reserved("duration", Role::Type),
    reserved("enum", Role::Type),
    reserved("list", Role::Type),
];

/// The table entry of `w`, if it is a word of the language.
pub fn word(w: &str) -> Option<&'static Word> {
    WORDS.iter().find(|x| x.text == w)
}

/// Is `w` reserved (it can never be a name)?
pub fn is_reserved(w: &str) -> bool {
    word(w).is_some_and(|x| x.reserved)
}

/// Is `w` a word of the language, reserved or contextual?
pub fn is_word(w: &str) -> bool {
    word(w).is_some()
}

/// Words with `role`, in table order.
pub fn with_role(role: Role) -> impl Iterator<Item = &'static str> {
    WORDS.iter().filter(move |w| w.role == role).map(|w| w.text)
}

/// Reserved words that start a declaration (not `lead`, which starts one
/// only before `{`).
pub fn is_decl_keyword(w: &str) -> bool {
    word(w).is_some_and(|x| x.reserved && x.role == Role::Declaration)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grammar's `keyword` rule lists exactly the reserved words.
    #[test]
    fn the_grammar_reserves_the_same_words() {
        let grammar = include_str!("../../../grammar/mql.pest");
        let start = grammar.find("keyword = @{").expect("a keyword rule");
        let body = &grammar[start..];
        let body = &body[..body.find('}').expect("the rule ends")];
        let mut in_grammar: Vec<&str> = body
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        in_grammar.sort_unstable();
        let mut in_table: Vec<&str> = WORDS
            .iter()
            .filter(|w| w.reserved)
            .map(|w| w.text)
            .collect();
        in_table.sort_unstable();
        assert_eq!(in_grammar, in_table);
    }

    #[test]
    fn lead_and_at_are_contextual() {
        assert!(is_word("lead") && !is_reserved("lead"));
        assert!(is_word("at") && !is_reserved("at"));
        assert!(is_reserved("score") && is_decl_keyword("score"));
        assert!(!is_decl_keyword("lead"));
        assert!(!is_word("fit"));
    }
}
