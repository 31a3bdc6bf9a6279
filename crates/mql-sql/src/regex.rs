//! `matches` patterns: each is written in mql's (Rust) regex syntax; this
//! module decides whether it means the same in an engine's regex language and,
//! if so, writes it in that language. A pattern is accepted when it is made of
//! literals, `.`, bracketed classes of literals and ranges, `^`, `$`, groups,
//! `|`, the usual quantifiers and `(?i)` at the start; anything else (`\d`,
//! `\w`, Unicode classes, other flags…) is refused with the reason.
//!
//! `\b` (a word boundary, with Rust's Unicode idea of a word character) is
//! written without `\b`, whose meaning differs in every engine (ASCII only in
//! RE2 and Java, the database's locale in PostgreSQL): at the start or end of
//! an alternative, next to a part that always begins (ends) with a word
//! character, it is "there is no word character before (after) it", written
//! with a class that lists Rust's word characters. A find only asks whether
//! there is a match, so taking in that one neighbouring character changes
//! nothing. Other places of `\b`, and Snowflake, are refused.

use std::sync::OnceLock;

use regex_syntax::ast::{
    self, AssertionKind, Ast, ClassSet, ClassSetItem, GroupKind, RepetitionKind, RepetitionRange,
};
use regex_syntax::hir::{Class, HirKind};

/// The regex languages of the engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Google RE2 (DuckDB, BigQuery).
    Re2,
    /// PostgreSQL's advanced regular expressions.
    Postgres,
    /// `java.util.regex` (Spark).
    Java,
    /// Snowflake's POSIX-style expressions.
    Snowflake,
}

/// A pattern in an engine's syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translated {
    pub pattern: String,
    /// `(?i)` was at the start: the engine is asked to ignore case.
    pub case_insensitive: bool,
}

/// Write `pattern` for `flavor`, or say (in the user's words) why it could
/// match differently there.
pub fn translate(pattern: &str, flavor: Flavor) -> Result<Translated, String> {
    // `(?i)` at the very start applies to the whole pattern, alternatives included
    let (ci, rest) = match pattern.strip_prefix("(?i)") {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let ast = ast::parse::Parser::new()
        .parse(rest)
        .map_err(|e| format!("the pattern does not parse: {}", e.kind()))?;
    let mut w = Writer {
        flavor,
        out: String::new(),
        ci,
    };
    match &ast {
        Ast::Alternation(alt) => {
            for (i, a) in alt.asts.iter().enumerate() {
                if i > 0 {
                    w.out.push('|');
                }
                w.branch(a)?;
            }
        }
        other => w.branch(other)?,
    }
    Ok(Translated {
        pattern: w.out,
        case_insensitive: ci,
    })
}

struct Writer {
    flavor: Flavor,
    out: String,
    ci: bool,
}

const META: &str = "\\.+*?()|[]{}^$";

/// Rust's Unicode word characters (`\w`: letters, marks, digits,
/// connector punctuation, joiners), as ranges.
fn word_ranges() -> &'static [(char, char)] {
    static RANGES: OnceLock<Vec<(char, char)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        let hir = regex_syntax::Parser::new().parse(r"\w");
        match hir.as_ref().map(|h| h.kind()) {
            Ok(HirKind::Class(Class::Unicode(c))) => {
                c.ranges().iter().map(|r| (r.start(), r.end())).collect()
            }
            // the Unicode tables are compiled in; without them, ASCII
            _ => vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        }
    })
}

fn is_word(c: char) -> bool {
    word_ranges()
        .binary_search_by(|&(a, b)| {
            if b < c {
                std::cmp::Ordering::Less
            } else if a > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether every character of `a..=b` is a word character (`Some(true)`),
/// none is (`Some(false)`), or some are.
fn range_kind(a: char, b: char) -> Option<bool> {
    let ranges = word_ranges();
    if ranges.iter().any(|&(x, y)| x <= a && b <= y) {
        return Some(true);
    }
    if ranges.iter().all(|&(x, y)| y < a || x > b) {
        return Some(false);
    }
    None
}

fn same(kinds: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = None;
    for k in kinds {
        let k = k?;
        if out.is_some_and(|o| o != k) {
            return None;
        }
        out = Some(k);
    }
    out
}

fn class_kind(item: &ClassSetItem) -> Option<bool> {
    match item {
        ClassSetItem::Literal(l) => Some(is_word(l.c)),
        ClassSetItem::Range(r) => range_kind(r.start.c, r.end.c),
        ClassSetItem::Union(u) => same(u.items.iter().map(class_kind)),
        _ => None,
    }
}

/// Whether whatever `a` matches always begins (`first`) or ends with a word
/// character (`Some(true)`), never does (`Some(false)`), or either.
fn edge_kind(a: &Ast, first: bool) -> Option<bool> {
    match a {
        Ast::Literal(l) => Some(is_word(l.c)),
        Ast::ClassBracketed(b) if !b.negated => match &b.kind {
            ClassSet::Item(item) => class_kind(item),
            ClassSet::BinaryOp(_) => None,
        },
        Ast::Group(g) => edge_kind(&g.ast, first),
        Ast::Concat(c) => {
            let mut items = c.asts.iter().filter(|x| !matches!(x, Ast::Empty(_)));
            let edge = if first {
                items.next()
            } else {
                items.next_back()
            }?;
            edge_kind(edge, first)
        }
        Ast::Alternation(alt) => same(alt.asts.iter().map(|x| edge_kind(x, first))),
        Ast::Repetition(r) => {
            let min = match &r.op.kind {
                RepetitionKind::OneOrMore => 1,
                RepetitionKind::Range(RepetitionRange::Exactly(n))
                | RepetitionKind::Range(RepetitionRange::AtLeast(n))
                | RepetitionKind::Range(RepetitionRange::Bounded(n, _)) => *n,
                _ => 0,
            };
            if min == 0 {
                None
            } else {
                edge_kind(&r.ast, first)
            }
        }
        _ => None,
    }
}

fn is_boundary(a: &Ast) -> bool {
    matches!(a, Ast::Assertion(x) if x.kind == AssertionKind::WordBoundary)
}

fn is_assertion(a: &Ast, kind: AssertionKind) -> bool {
    matches!(a, Ast::Assertion(x) if x.kind == kind)
}

const BOUNDARY_PLACES: &str = "`\\b` is supported at the start or end of the pattern (or of one of its top-level alternatives), next to a part that always begins or ends with a letter, digit or `_`, or never does";

impl Writer {
    /// One top-level alternative, with a `\b` at its start or end written
    /// as a test of the neighbouring character.
    fn branch(&mut self, a: &Ast) -> Result<(), String> {
        let items: Vec<&Ast> = match a {
            Ast::Concat(c) => c.asts.iter().collect(),
            other => vec![other],
        };
        let mut lo = 0;
        let mut hi = items.len();
        let caret = items
            .first()
            .is_some_and(|x| is_assertion(x, AssertionKind::StartLine));
        if caret {
            self.out.push('^');
            lo = 1;
        }
        let dollar = hi > lo && is_assertion(items[hi - 1], AssertionKind::EndLine);
        if dollar {
            hi -= 1;
        }
        let lead = lo < hi && is_boundary(items[lo]);
        if lead {
            lo += 1;
        }
        let trail = lo < hi && is_boundary(items[hi - 1]);
        if trail {
            hi -= 1;
        }
        let inner = &items[lo..hi];
        if (lead || trail) && self.flavor == Flavor::Snowflake {
            return Err("`\\b` is not supported for Snowflake: its regular expressions give no way to list mql's word characters (letters of every language) in a class; write the boundary out, e.g. `(^|[^A-Za-z0-9_])` if the text is ASCII".into());
        }
        if lead {
            let kind = inner.first().and_then(|x| edge_kind(x, true));
            match (kind, caret) {
                (Some(true), true) => {}
                (Some(true), false) => {
                    self.out.push_str("(?:^|");
                    self.word_class(true);
                    self.out.push(')');
                }
                (Some(false), false) => self.word_class(false),
                (Some(false), true) => {
                    return Err(
                        "`^\\b` before a character that is no letter, digit or `_` can never match"
                            .into(),
                    )
                }
                (None, _) => return Err(BOUNDARY_PLACES.into()),
            }
        }
        for x in inner {
            self.ast(x)?;
        }
        if trail {
            let kind = inner.last().and_then(|x| edge_kind(x, false));
            match (kind, dollar) {
                (Some(true), true) => {}
                (Some(true), false) => {
                    self.open_group();
                    self.word_class(true);
                    self.out.push('|');
                    self.end_of_text();
                    self.out.push(')');
                }
                (Some(false), false) => self.word_class(false),
                (Some(false), true) => {
                    return Err(
                        "`\\b$` after a character that is no letter, digit or `_` can never match"
                            .into(),
                    )
                }
                (None, _) => return Err(BOUNDARY_PLACES.into()),
            }
        }
        if dollar {
            self.end_of_text();
        }
        Ok(())
    }

    fn end_of_text(&mut self) {
        self.out.push_str(match self.flavor {
            // Java's `$` also matches before a final line break
            Flavor::Java => "\\z",
            _ => "$",
        });
    }

    /// The class of Rust's word characters, or (`negated`) of all others.
    fn word_class(&mut self, negated: bool) {
        self.out.push('[');
        if negated {
            self.out.push('^');
        }
        for &(a, b) in word_ranges() {
            self.class_char(a);
            if b != a {
                if b as u32 > a as u32 + 1 {
                    self.out.push('-');
                }
                self.class_char(b);
            }
        }
        self.out.push(']');
    }

    fn class_char(&mut self, c: char) {
        if c.is_ascii_alphanumeric() || c == '_' {
            self.out.push(c);
            return;
        }
        let n = c as u32;
        let esc = match self.flavor {
            Flavor::Postgres if n <= 0xFFFF => format!("\\u{n:04X}"),
            Flavor::Postgres => format!("\\U{n:08X}"),
            _ => format!("\\x{{{n:X}}}"),
        };
        self.out.push_str(&esc);
    }

    fn literal(&mut self, c: char, in_class: bool) -> Result<(), String> {
        if c == '\0' {
            return Err("a NUL character cannot be matched there".into());
        }
        if self.ci && !c.is_ascii() && self.flavor == Flavor::Postgres {
            return Err(format!(
                "with `(?i)`, `{c}` may match other letters in mql than in PostgreSQL"
            ));
        }
        let special = if in_class {
            "\\]-[^&".contains(c)
        } else {
            META.contains(c)
        };
        if special {
            self.out.push('\\');
        }
        self.out.push(c);
        Ok(())
    }

    fn ast(&mut self, a: &Ast) -> Result<(), String> {
        match a {
            Ast::Empty(_) => Ok(()),
            Ast::Flags(_) => Err("flags other than `(?i)` at the start are not supported".into()),
            Ast::Literal(l) => self.literal(l.c, false),
            Ast::Dot(_) => {
                // mql's `.` is any character but a line feed
                self.out.push_str(match self.flavor {
                    Flavor::Re2 | Flavor::Snowflake => ".",
                    Flavor::Postgres | Flavor::Java => "[^\\n]",
                });
                Ok(())
            }
            Ast::Assertion(x) => match x.kind {
                AssertionKind::StartLine => {
                    self.out.push('^');
                    Ok(())
                }
                AssertionKind::EndLine => {
                    self.end_of_text();
                    Ok(())
                }
                AssertionKind::WordBoundary => Err(BOUNDARY_PLACES.into()),
                _ => Err(
                    "`\\B`, `\\A`, `\\z` and other assertions are not supported; use `^` and `$`"
                        .into(),
                ),
            },
            Ast::ClassUnicode(_) => Err(
                "Unicode classes like `\\p{L}` are not supported; list the characters in `[…]`"
                    .into(),
            ),
            Ast::ClassPerl(p) => Err(perl_reason(p)),
            Ast::ClassBracketed(b) => self.bracketed(b),
            Ast::Repetition(r) => {
                let wrap = matches!(
                    *r.ast,
                    Ast::Concat(_) | Ast::Alternation(_) | Ast::Repetition(_)
                );
                if wrap {
                    self.open_group();
                }
                self.ast(&r.ast)?;
                if wrap {
                    self.out.push(')');
                }
                let limit = match self.flavor {
                    Flavor::Postgres => 255,
                    _ => 1000,
                };
                let count = |n: u32| -> Result<(), String> {
                    if n > limit {
                        Err(format!("a repetition count above {limit} is not supported"))
                    } else {
                        Ok(())
                    }
                };
                match &r.op.kind {
                    RepetitionKind::ZeroOrOne => self.out.push('?'),
                    RepetitionKind::ZeroOrMore => self.out.push('*'),
                    RepetitionKind::OneOrMore => self.out.push('+'),
                    RepetitionKind::Range(RepetitionRange::Exactly(n)) => {
                        count(*n)?;
                        self.out.push_str(&format!("{{{n}}}"));
                    }
                    RepetitionKind::Range(RepetitionRange::AtLeast(n)) => {
                        count(*n)?;
                        self.out.push_str(&format!("{{{n},}}"));
                    }
                    RepetitionKind::Range(RepetitionRange::Bounded(n, m)) => {
                        count(*m)?;
                        self.out.push_str(&format!("{{{n},{m}}}"));
                    }
                }
                // laziness does not change whether there is a match
                if !r.greedy && self.flavor != Flavor::Snowflake {
                    self.out.push('?');
                }
                Ok(())
            }
            Ast::Group(g) => {
                if let GroupKind::NonCapturing(f) = &g.kind {
                    if !f.items.is_empty() {
                        return Err(
                            "flags inside a group are not supported; put `(?i)` at the start"
                                .into(),
                        );
                    }
                }
                self.open_group();
                self.ast(&g.ast)?;
                self.out.push(')');
                Ok(())
            }
            Ast::Alternation(alt) => {
                for (i, a) in alt.asts.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.ast(a)?;
                }
                Ok(())
            }
            Ast::Concat(c) => {
                for a in &c.asts {
                    self.ast(a)?;
                }
                Ok(())
            }
        }
    }

    fn open_group(&mut self) {
        self.out.push_str(match self.flavor {
            Flavor::Snowflake => "(",
            _ => "(?:",
        });
    }

    fn bracketed(&mut self, b: &ast::ClassBracketed) -> Result<(), String> {
        let ClassSet::Item(item) = &b.kind else {
            return Err("class operations like `&&` and `--` are not supported".into());
        };
        self.out.push('[');
        if b.negated {
            self.out.push('^');
        }
        self.class_item(item)?;
        self.out.push(']');
        Ok(())
    }

    fn class_item(&mut self, item: &ClassSetItem) -> Result<(), String> {
        match item {
            ClassSetItem::Empty(_) => Ok(()),
            ClassSetItem::Literal(l) => self.literal(l.c, true),
            ClassSetItem::Range(r) => {
                self.literal(r.start.c, true)?;
                self.out.push('-');
                self.literal(r.end.c, true)
            }
            ClassSetItem::Union(u) => {
                for i in &u.items {
                    self.class_item(i)?;
                }
                Ok(())
            }
            ClassSetItem::Perl(p) => Err(perl_reason(p)),
            ClassSetItem::Ascii(_) => {
                Err("named classes like `[[:alpha:]]` are not supported; write the ranges, e.g. `[a-zA-Z]`".into())
            }
            ClassSetItem::Unicode(_) => {
                Err("Unicode classes like `\\p{L}` are not supported; list the characters in `[…]`".into())
            }
            ClassSetItem::Bracketed(_) => Err("a class inside a class is not supported".into()),
        }
    }
}

fn perl_reason(p: &ast::ClassPerl) -> String {
    let (name, what, fix) = match p.kind {
        ast::ClassPerlKind::Digit => ("\\d", "digit", "`[0-9]`"),
        ast::ClassPerlKind::Space => ("\\s", "kind of space", "`[ \\t\\n\\r]`"),
        ast::ClassPerlKind::Word => ("\\w", "letter, digit and `_`", "`[A-Za-z0-9_]`"),
    };
    format!("`{name}` matches every Unicode {what} in mql but not in every database; write {fix} instead")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &str, f: Flavor) -> Result<String, String> {
        translate(p, f).map(|t| {
            if t.case_insensitive {
                format!("(ci){}", t.pattern)
            } else {
                t.pattern
            }
        })
    }

    #[test]
    fn safe_patterns_are_rewritten_for_each_engine() {
        assert_eq!(t("^/pricing", Flavor::Re2).unwrap(), "^/pricing");
        assert_eq!(t("a.b$", Flavor::Postgres).unwrap(), "a[^\\n]b$");
        assert_eq!(t("a.b$", Flavor::Java).unwrap(), "a[^\\n]b\\z");
        assert_eq!(t("(?i)chief|head", Flavor::Re2).unwrap(), "(ci)chief|head");
        assert_eq!(t("(a|b)+?c{2,3}", Flavor::Re2).unwrap(), "(?:a|b)+?c{2,3}");
        assert_eq!(t("(a|b)+?", Flavor::Snowflake).unwrap(), "(a|b)+");
        assert_eq!(t("[^a-z\\]]x\\.", Flavor::Java).unwrap(), "[^a-z\\]]x\\.");
        assert_eq!(t("", Flavor::Postgres).unwrap(), "");
    }

    #[test]
    fn word_boundaries_test_the_neighbouring_character() {
        let w = |neg: bool, f: Flavor| {
            let mut wr = Writer {
                flavor: f,
                out: String::new(),
                ci: false,
            };
            wr.word_class(neg);
            wr.out
        };
        let nw = w(true, Flavor::Re2);
        assert!(
            nw.starts_with("[^0-9A-Z_a-z\\x{AA}\\x{B5}"),
            "{}",
            &nw[..40]
        );
        assert!(w(false, Flavor::Postgres).contains("\\u00C0-\\u00D6"));
        assert_eq!(
            t("(?i)\\b(data|bi)\\b", Flavor::Re2).unwrap(),
            format!("(ci)(?:^|{nw})(?:data|bi)(?:{nw}|$)")
        );
        assert_eq!(t("^\\bab\\b$", Flavor::Java).unwrap(), "^ab\\z");
        let wc = w(false, Flavor::Re2);
        assert_eq!(t("-\\b|x", Flavor::Re2).unwrap(), format!("-{wc}|x"));
        assert_eq!(
            t("\\bx+|\\b[a-c]", Flavor::Re2).unwrap(),
            format!("(?:^|{nw})x+|(?:^|{nw})[a-c]")
        );
    }

    #[test]
    fn patterns_that_could_match_differently_are_refused() {
        for p in [
            "\\d+", "[\\w]", "a\\bword", "\\b.x", "\\Bx", "\\pL", "(?m)^a", "a(?i)b", "x{300}",
        ] {
            assert!(t(p, Flavor::Postgres).is_err(), "{p}");
        }
        assert!(t("\\bword\\b", Flavor::Snowflake).is_err());
        assert!(t("(?i)é", Flavor::Postgres).is_err());
        assert!(t("(?i)é", Flavor::Re2).is_ok());
        assert!(t("x{300}", Flavor::Re2).is_ok());
    }
}
