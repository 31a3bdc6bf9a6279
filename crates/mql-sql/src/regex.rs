//! `matches` patterns: each is written in mql's (Rust) regex syntax; this
//! module decides whether it means the same in an engine's regex language and,
//! if so, writes it in that language. A pattern is accepted when it is made of
//! literals, `.`, bracketed classes of literals and ranges, `^`, `$`, groups,
//! `|`, the usual quantifiers and `(?i)` at the start; anything else (`\d`,
//! `\w`, `\b`, Unicode classes, other flags…) is refused with the reason.

use regex_syntax::ast::{
    self, AssertionKind, Ast, ClassSet, ClassSetItem, GroupKind, RepetitionKind, RepetitionRange,
};

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
    w.ast(&ast)?;
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

impl Writer {
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
            Ast::Assertion(x) => {
                let s =
                    match x.kind {
                        AssertionKind::StartLine => "^",
                        AssertionKind::EndLine => match self.flavor {
                            // Java's `$` also matches before a final line break
                            Flavor::Java => "\\z",
                            _ => "$",
                        },
                        _ => return Err(
                            "word boundaries and `\\A`/`\\z` are not supported; use `^` and `$`"
                                .into(),
                        ),
                    };
                self.out.push_str(s);
                Ok(())
            }
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
    let (name, fix) = match p.kind {
        ast::ClassPerlKind::Digit => ("\\d", "`[0-9]`"),
        ast::ClassPerlKind::Space => ("\\s", "`[ \\t\\n\\r]`"),
        ast::ClassPerlKind::Word => ("\\w", "`[A-Za-z0-9_]`"),
    };
    format!("`{name}` matches every Unicode digit, space or letter in mql but not in every database; write {fix} instead")
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
    fn patterns_that_could_match_differently_are_refused() {
        for p in [
            "\\d+", "[\\w]", "\\bword", "\\pL", "(?m)^a", "a(?i)b", "x{300}",
        ] {
            assert!(t(p, Flavor::Postgres).is_err(), "{p}");
        }
        assert!(t("(?i)é", Flavor::Postgres).is_err());
        assert!(t("(?i)é", Flavor::Re2).is_ok());
        assert!(t("x{300}", Flavor::Re2).is_ok());
    }
}
