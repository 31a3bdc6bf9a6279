//! A forgiving scanner over any text, even half-typed: comments, strings,
//! numbers, times, words and punctuation with their byte ranges. Semantic
//! tokens and completion read it; it never fails and never panics.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Comment,
    DocComment,
    Str,
    /// Numbers, durations (`14d`) and percents (`25%`).
    Number,
    /// `@2026-11-01T00:00:00Z`
    Time,
    Word,
    Punct,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tok {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Tok {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Scan the whole text. White space is skipped; anything unexpected becomes a
/// one-character `Punct`.
pub fn scan(src: &str) -> Vec<Tok> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let kind = if b.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if src[i..].starts_with("//") {
            let doc = src[i..].starts_with("///") && !src[i..].starts_with("////");
            i = src[i..].find('\n').map_or(bytes.len(), |n| i + n);
            if doc {
                Kind::DocComment
            } else {
                Kind::Comment
            }
        } else if b == b'"' {
            i += 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => {
                        i += 1;
                        break;
                    }
                    _ => i += 1,
                }
            }
            i = i.min(bytes.len());
            Kind::Str
        } else if b.is_ascii_digit() {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'%' {
                i += 1;
            }
            Kind::Number
        } else if b == b'@' {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || matches!(bytes[i], b'-' | b':' | b'.' | b'+'))
            {
                i += 1;
            }
            Kind::Time
        } else if b.is_ascii_alphabetic() || b == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Kind::Word
        } else {
            let two = src.get(i..i + 2).unwrap_or("");
            if matches!(two, "=>" | "->" | "==" | "!=" | "<=" | ">=") {
                i += 2;
            } else {
                // One character, whatever its width.
                i += src[i..].chars().next().map_or(1, char::len_utf8);
            }
            Kind::Punct
        };
        out.push(Tok {
            kind,
            start,
            end: i,
        });
    }
    out
}

/// Whether a word is reserved (spec §2), by the syntax crate's keyword list.
pub use mql_syntax::lexer::is_keyword;

/// Words that are keywords only where the grammar expects them.
pub const CONTEXTUAL: &[&str] = &[
    "lead",
    "as_of",
    "events",
    "expect",
    "ago",
    "at",
    "up",
    "none",
    "half_life",
    "linear",
    "every",
];

pub const TYPE_WORDS: &[&str] = &[
    "int", "number", "bool", "string", "time", "duration", "enum", "list",
];

/// Is `name` a valid identifier that is not a keyword?
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(is_ident_char)
        && !is_keyword(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_half_typed_text() {
        let src = "/// doc\nscore s { each page_view where url == \"é😀 => +10 up to 40 }";
        let kinds: Vec<(Kind, &str)> = scan(src).iter().map(|t| (t.kind, t.text(src))).collect();
        assert_eq!(kinds[0], (Kind::DocComment, "/// doc"));
        assert!(kinds.contains(&(Kind::Punct, "==")));
        // The unterminated string runs to the end.
        assert_eq!(kinds.last().map(|k| k.0), Some(Kind::Str));
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("fit_2"));
        assert!(!is_identifier("score"));
        assert!(!is_identifier("2fit"));
        assert!(!is_identifier("fit-2"));
        assert!(!is_identifier(""));
    }
}
