//! The logos lexer: a forgiving token stream used to find where each top-level
//! declaration starts, to collect `///` doc comments, to check brackets and to
//! recognise the common mistakes that deserve a tailored message. The real
//! syntax lives in `grammar/mql.pest`.

use logos::Logos;

/// Scan a string body after its opening `"`: bump to just past the closing
/// quote and report whether there was one.
fn lex_string(lex: &mut logos::Lexer<'_, Tok>) -> bool {
    let rest = lex.remainder();
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                lex.bump(i + 1);
                return true;
            }
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    // Never closed: stop at the end of the line so the rest of the file is
    // still seen as tokens.
    let end = rest.find('\n').unwrap_or(rest.len());
    lex.bump(end);
    false
}

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f\u{0B}\u{A0}\u{FEFF}\u{2028}\u{2029}]+")]
pub enum Tok {
    #[regex(r"//[^\n]*")]
    Comment,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Word,
    /// A number, possibly with a unit or a `%` (checked later).
    #[regex(r"[0-9]+(\.[0-9]+)?[A-Za-z0-9_]*%?")]
    NumWord,
    #[regex(r"@[A-Za-z0-9:.+\-]*")]
    Time,
    /// A string; `true` when it is closed.
    #[token("\"", lex_string)]
    Str(bool),
    #[regex(r"[\u{201C}\u{201D}\u{2018}\u{2019}\u{201E}\u{00AB}\u{00BB}]")]
    Curly,
    #[token("'")]
    Quote,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("->")]
    Arrow,
    #[token("-")]
    Minus,
    #[token("+")]
    Plus,
    /// Runs of `= < > ! & |`: `==`, `<=`, `=>`, and mistakes like `===`, `&&`.
    #[regex(r"[=<>!&|]+")]
    Op,
    #[regex(r"[*/%:,.;?#$^~\\`]")]
    Punct,
}

/// One token with its byte range in the text being lexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// `None` for bytes no token matches.
    pub tok: Option<Tok>,
    pub start: usize,
    pub end: usize,
    /// The first token on its line.
    pub line_start: bool,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

/// Tokenize `text`, keeping comments (doc comments matter) and errors.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut lex = Tok::lexer(text);
    let mut last_end = 0;
    while let Some(res) = lex.next() {
        let span = lex.span();
        let gap = text.get(last_end..span.start).unwrap_or("");
        let line_start = out.is_empty() || gap.contains('\n');
        out.push(Token {
            tok: res.ok(),
            start: span.start,
            end: span.end,
            line_start,
        });
        last_end = span.end;
    }
    out
}

/// Reserved words that start a declaration (see [`crate::words`]).
pub fn is_decl_keyword(w: &str) -> bool {
    crate::words::is_decl_keyword(w)
}

/// Every reserved word of the language (see [`crate::words`]).
pub fn is_keyword(w: &str) -> bool {
    crate::words::is_reserved(w)
}

/// One top-level declaration's tokens: `first..end` indexes into the token
/// list; `doc` holds the indexes of the `///` comment lines directly before it.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub first: usize,
    pub end: usize,
    pub doc: Vec<usize>,
    /// True when the chunk does not start with a declaration keyword (text
    /// before the first declaration, or after an unclosed one).
    pub stray: bool,
}

fn is_doc(t: &Token, text: &str) -> bool {
    let s = t.text(text);
    t.tok == Some(Tok::Comment) && s.starts_with("///") && !s.starts_with("////")
}

/// Split the token stream into declarations.
///
/// A declaration starts at a declaration keyword at depth 0 (or at the start
/// of a line at any depth: such a keyword can never be inside a declaration),
/// or at `lead` followed by `{` at depth 0. A keyword right after `=`, a
/// keyword, an operator or a comma on the same line is taken as a misused name
/// instead, so `criterion score = …` gets one clear error.
pub fn split(tokens: &[Token], text: &str) -> Vec<Chunk> {
    let mut starts: Vec<usize> = Vec::new();
    let mut depth: i64 = 0;
    let mut prev: Option<usize> = None; // previous non-comment token
    for (i, t) in tokens.iter().enumerate() {
        let Some(kind) = t.tok else {
            continue;
        };
        match kind {
            Tok::Comment => continue,
            Tok::LBrace | Tok::LParen | Tok::LBracket => depth += 1,
            Tok::RBrace | Tok::RParen | Tok::RBracket => depth = (depth - 1).max(0),
            Tok::Word => {
                let w = t.text(text);
                let next = tokens[i + 1..]
                    .iter()
                    .find(|n| n.tok != Some(Tok::Comment))
                    .and_then(|n| n.tok);
                let starts_decl = if is_decl_keyword(w) {
                    let after_name_slot = prev.is_some_and(|p| {
                        let pt = &tokens[p];
                        !t.line_start
                            && (matches!(
                                pt.tok,
                                Some(Tok::Op) | Some(Tok::Punct) | Some(Tok::Arrow)
                            ) || (pt.tok == Some(Tok::Word) && is_keyword(pt.text(text))))
                    });
                    (depth == 0 && !after_name_slot) || t.line_start
                } else {
                    w == "lead" && depth == 0 && next == Some(Tok::LBrace)
                };
                if starts_decl {
                    starts.push(i);
                    depth = 0;
                }
            }
            _ => {}
        }
        prev = Some(i);
    }
    let mut chunks = Vec::new();
    // Text before the first declaration.
    let first_start = starts.first().copied().unwrap_or(tokens.len());
    let mut boundaries = starts.clone();
    boundaries.push(tokens.len());
    let doc_before = |start: usize, floor: usize| -> Vec<usize> {
        let mut doc = Vec::new();
        let mut j = start;
        while j > floor {
            let t = &tokens[j - 1];
            if is_doc(t, text) {
                doc.push(j - 1);
                j -= 1;
            } else {
                break;
            }
        }
        doc.reverse();
        doc
    };
    let pre_doc = doc_before(first_start, 0);
    let pre_end = pre_doc.first().copied().unwrap_or(first_start);
    if tokens[..pre_end]
        .iter()
        .any(|t| t.tok != Some(Tok::Comment))
    {
        chunks.push(Chunk {
            first: 0,
            end: pre_end,
            doc: Vec::new(),
            stray: true,
        });
    }
    for w in 0..starts.len() {
        let start = starts[w];
        let mut end = boundaries[w + 1];
        // The next declaration's doc comment is not part of this one.
        let next_doc = doc_before(end, start + 1);
        if let Some(&d) = next_doc.first() {
            end = d;
        }
        let floor = if w == 0 { 0 } else { starts[w - 1] + 1 };
        let doc = doc_before(start, floor);
        chunks.push(Chunk {
            first: start,
            end,
            doc,
            stray: false,
        });
    }
    chunks
}
