//! The editor's view of the syntax crate's logos lexer: comments (doc
//! comments told apart), strings, numbers, times, words and punctuation with
//! their byte ranges, over any text, even half-typed. Semantic tokens,
//! completion and signature help read it; it never fails and never panics.

use mql_syntax::lexer::{tokenize, Tok as Lexed};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Comment,
    DocComment,
    /// A string; `closed: false` when its closing quote is missing (it then
    /// ends at the end of its line).
    Str {
        closed: bool,
    },
    /// Numbers, durations (`14d`) and percents (`25%`).
    Number,
    /// `@2026-11-01T00:00:00Z`
    Time,
    Word,
    /// Brackets, operators, separators and any character no token matches.
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

/// Scan the whole text with the language's lexer. White space is skipped;
/// anything unexpected becomes a `Punct` (whole characters: the lexer's
/// error tokens end on character boundaries).
pub fn scan(src: &str) -> Vec<Tok> {
    tokenize(src)
        .into_iter()
        .map(|t| {
            let kind = match t.tok {
                Some(Lexed::Comment) => {
                    let text = t.text(src);
                    if text.starts_with("///") && !text.starts_with("////") {
                        Kind::DocComment
                    } else {
                        Kind::Comment
                    }
                }
                Some(Lexed::Str(closed)) => Kind::Str { closed },
                Some(Lexed::NumWord) => Kind::Number,
                Some(Lexed::Time) => Kind::Time,
                Some(Lexed::Word) => Kind::Word,
                _ => Kind::Punct,
            };
            Tok {
                kind,
                start: t.start,
                end: t.end,
            }
        })
        .collect()
}

/// Is `name` a valid identifier that is not a reserved word?
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(is_ident_char)
        && !mql_syntax::words::is_reserved(name)
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
        // The unterminated string runs to the end of its line.
        assert_eq!(
            kinds.last(),
            Some(&(Kind::Str { closed: false }, "\"é😀 => +10 up to 40 }"))
        );
    }

    #[test]
    fn an_open_string_stops_at_its_line_end() {
        let src = "let a = \"x\nlet b = 2 // done\n§ é";
        let toks = scan(src);
        let kinds: Vec<(Kind, &str)> = toks.iter().map(|t| (t.kind, t.text(src))).collect();
        assert_eq!(kinds[3], (Kind::Str { closed: false }, "\"x"));
        assert_eq!(kinds[4], (Kind::Word, "let"));
        assert!(kinds.contains(&(Kind::Comment, "// done")));
        // Characters no token matches are whole characters.
        assert_eq!(
            &kinds[kinds.len() - 2..],
            [(Kind::Punct, "§"), (Kind::Punct, "é")]
        );
        assert!(toks
            .iter()
            .all(|t| src.is_char_boundary(t.start) && src.is_char_boundary(t.end)));
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
