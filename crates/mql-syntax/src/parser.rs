//! The parse driver: lex the file, split it into declarations, parse each one
//! with pest, lower it, and turn failures into plain-language diagnostics.

use mql_core::{Diagnostic, Span};
use pest::error::{ErrorVariant, InputLocation};
use pest::Parser;

use crate::ast::{Doc, SourceFile};
use crate::codes;
use crate::grammar::{MqlParser, Rule};
use crate::lexer::{self, is_keyword, Chunk, Tok, Token};
use crate::lower::Lowerer;

/// Deeper bracket nesting than this is reported instead of parsed.
pub const MAX_DEPTH: usize = 64;

/// More operators than this in one declaration are reported instead of parsed.
pub const MAX_OPERATORS: usize = 4096;

/// Grow the stack when less than this is left before parsing a file or a
/// declaration…
const STACK_RED_ZONE: usize = 4 << 20;
/// …to this many bytes.
const STACK_SIZE: usize = 32 << 20;

/// Parse a whole file. Never panics; a syntax error in one declaration does not
/// hide the others.
pub fn parse(text: &str) -> SourceFile {
    // One stack for the whole file: on a small thread stack, growing per
    // declaration would map a fresh stack for every one of them.
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, || parse_chunks(text))
}

fn parse_chunks(text: &str) -> SourceFile {
    let tokens = lexer::tokenize(text);
    let chunks = lexer::split(&tokens, text);
    let mut file = SourceFile::default();
    for chunk in &chunks {
        let cx = Cx {
            text,
            tokens: &tokens[chunk.first..chunk.end],
        };
        if cx.tokens.is_empty() {
            continue;
        }
        if chunk.stray {
            file.diagnostics.push(cx.stray());
            continue;
        }
        let doc = doc_of(chunk, &tokens, text);
        cx.parse_decl(doc, &mut file);
    }
    file
}

fn doc_of(chunk: &Chunk, tokens: &[Token], text: &str) -> Option<Doc> {
    let first = tokens.get(*chunk.doc.first()?)?;
    let last = tokens.get(*chunk.doc.last()?)?;
    let lines: Vec<&str> = chunk
        .doc
        .iter()
        .filter_map(|&i| tokens.get(i))
        .map(|t| {
            let s = t.text(text).trim_start_matches("///");
            let s = s.strip_prefix(' ').unwrap_or(s);
            s.trim_end_matches('\r')
        })
        .collect();
    Some(Doc {
        text: lines.join("\n"),
        span: Span::new(first.start, last.end),
    })
}

/// One declaration's tokens in the file's text.
struct Cx<'a> {
    text: &'a str,
    tokens: &'a [Token],
}

fn tspan(t: &Token) -> Span {
    Span::new(t.start, t.end)
}

fn is(t: &Token, tok: Tok) -> bool {
    t.tok == Some(tok)
}

/// Shorten user text for a message.
fn shown(s: &str) -> String {
    let s = s.lines().next().unwrap_or("");
    if s.chars().count() > 30 {
        let cut: String = s.chars().take(30).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

fn closer_of(open: &str) -> &'static str {
    match open {
        "{" => "}",
        "[" => "]",
        _ => ")",
    }
}

/// The declaration keyword closest to a misspelled word, if any is close.
pub fn did_you_mean(word: &str) -> Option<&'static str> {
    if word.len() < 3 || is_keyword(word) {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(&'static str, usize)> = None;
    for k in crate::words::with_role(crate::words::Role::Declaration) {
        let d = if lower == k {
            0
        } else {
            strsim::damerau_levenshtein(&lower, k)
        };
        let limit = if k.len() <= 4 { 1 } else { 2 };
        let close = d <= limit || (lower.len() >= 5 && strsim::jaro_winkler(&lower, k) >= 0.88);
        if close && best.is_none_or(|(_, bd)| d < bd) {
            best = Some((k, d));
        }
    }
    best.map(|(k, _)| k)
}

impl<'a> Cx<'a> {
    fn start(&self) -> usize {
        self.tokens.first().map(|t| t.start).unwrap_or(0)
    }

    fn end(&self) -> usize {
        self.tokens.last().map(|t| t.end).unwrap_or(0)
    }

    fn chunk_text(&self) -> &'a str {
        self.text.get(self.start()..self.end()).unwrap_or("")
    }

    fn word(&self, t: &Token) -> &'a str {
        t.text(self.text)
    }

    /// Tokens that are not comments.
    fn code(&self) -> Vec<Token> {
        self.tokens
            .iter()
            .filter(|t| !is(t, Tok::Comment))
            .copied()
            .collect()
    }

    fn kind(&self) -> &'a str {
        self.code().first().map(|t| self.word(t)).unwrap_or("")
    }

    fn parse_decl(&self, doc: Option<Doc>, file: &mut SourceFile) {
        if let Some(d) = self.pre_checks() {
            // A stray closer after a complete declaration: keep the declaration.
            if d.code == codes::UNMATCHED_CLOSE {
                let k = self
                    .tokens
                    .iter()
                    .position(|t| t.start == d.span.start as usize);
                if let Some(k) = k.filter(|&k| k > 0) {
                    let head = Cx {
                        text: self.text,
                        tokens: &self.tokens[..k],
                    };
                    if head.pre_checks().is_none() && head.parses() {
                        head.parse_decl(doc, file);
                        file.diagnostics.push(d);
                        return;
                    }
                }
            }
            file.diagnostics.push(d);
            return;
        }
        let src = self.chunk_text();
        // pest and the lowering recurse once per nesting level; give them
        // room even on small thread stacks (bounded by MAX_DEPTH).
        let parsed = stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, || {
            MqlParser::parse(Rule::decl_chunk, src)
        });
        match parsed {
            Ok(pairs) => {
                let mut low = Lowerer {
                    base: self.start(),
                    diags: Vec::new(),
                };
                for p in pairs {
                    if p.as_rule() == Rule::EOI {
                        continue;
                    }
                    let lowered = stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, || low.decl(p));
                    if let Some(mut d) = lowered {
                        d.doc = doc.clone();
                        file.decls.push(d);
                    }
                }
                file.diagnostics.append(&mut low.diags);
            }
            Err(err) => {
                let (pos, positives) = error_facts(&err);
                let at = self.start() + pos;
                // An error at the first token of a line after a complete
                // declaration: keep the declaration, report the rest alone.
                if let Some(k) = self.tokens.iter().position(|t| t.start == at) {
                    if k > 0 && self.tokens[k].line_start {
                        let head = Cx {
                            text: self.text,
                            tokens: &self.tokens[..k],
                        };
                        let tail = Cx {
                            text: self.text,
                            tokens: &self.tokens[k..],
                        };
                        if head.parses() {
                            head.parse_decl(doc, file);
                            file.diagnostics.push(tail.stray());
                            return;
                        }
                    }
                }
                let diag = self
                    .heuristics(Some(at))
                    .unwrap_or_else(|| self.translate(at, &positives));
                file.diagnostics.push(diag);
            }
        }
    }

    fn parses(&self) -> bool {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, || {
            MqlParser::parse(Rule::decl_chunk, self.chunk_text()).is_ok()
        })
    }

    /// Checks that need no grammar: nesting depth, unterminated strings,
    /// brackets.
    fn pre_checks(&self) -> Option<Diagnostic> {
        let code = self.code();
        // nesting depth, counting runs of prefix operators too
        let mut depth = 0usize;
        let mut run = 0usize;
        for t in &code {
            match t.tok {
                Some(Tok::LBrace | Tok::LParen | Tok::LBracket) => depth += 1,
                Some(Tok::RBrace | Tok::RParen | Tok::RBracket) => depth = depth.saturating_sub(1),
                _ => {}
            }
            if is(t, Tok::Minus) || (is(t, Tok::Word) && self.word(t) == "not") {
                run += 1;
            } else if !matches!(t.tok, Some(Tok::LParen)) {
                run = 0;
            }
            if depth + run > MAX_DEPTH {
                return Some(
                    Diagnostic::error(codes::TOO_DEEP, "this expression is nested too deeply", tspan(t))
                        .with_label("too many levels of brackets here")
                        .with_help(format!(
                            "split it into named parts with `let`; at most {MAX_DEPTH} levels are allowed"
                        )),
                );
            }
        }
        // A chain of operators builds a tree as deep as it is long.
        let ops = code
            .iter()
            .filter(|t| {
                matches!(t.tok, Some(Tok::Op | Tok::Plus | Tok::Minus))
                    || (is(t, Tok::Punct) && matches!(self.word(t), "*" | "/"))
                    || (is(t, Tok::Word) && matches!(self.word(t), "and" | "or" | "not"))
            })
            .nth(MAX_OPERATORS);
        if let Some(t) = ops {
            return Some(
                Diagnostic::error(codes::TOO_DEEP, "this expression is nested too deeply", tspan(t))
                    .with_label("too many operators in one declaration")
                    .with_help(format!(
                        "split it into named parts with `let`; at most {MAX_OPERATORS} operators are allowed in one declaration"
                    )),
            );
        }
        for t in &code {
            if t.tok == Some(Tok::Str(false)) {
                let open = Span::new(t.start, t.start + 1);
                return Some(
                    Diagnostic::error(
                        codes::UNTERMINATED_STRING,
                        "this string is never closed",
                        open,
                    )
                    .with_label("the string starts here")
                    .with_help("end the string with a straight double quote `\"`"),
                );
            }
        }
        let mut stack: Vec<Token> = Vec::new();
        for t in &code {
            match t.tok {
                Some(Tok::LBrace | Tok::LParen | Tok::LBracket) => stack.push(*t),
                Some(Tok::RBrace | Tok::RParen | Tok::RBracket) => {
                    let close = self.word(t);
                    match stack.pop() {
                        None => {
                            let open = match close {
                                "}" => "{",
                                "]" => "[",
                                _ => "(",
                            };
                            return Some(
                                Diagnostic::error(
                                    codes::UNMATCHED_CLOSE,
                                    format!("this `{close}` has no matching `{open}`"),
                                    tspan(t),
                                )
                                .with_label("nothing to close here")
                                .with_help(format!(
                                    "remove it, or add the missing `{open}` before it"
                                ))
                                .with_suggestion(
                                    tspan(t),
                                    "",
                                    format!("remove `{close}`"),
                                ),
                            );
                        }
                        Some(o) => {
                            let want = closer_of(self.word(&o));
                            if want != close {
                                // A missing closer right before this one.
                                return Some(
                                    Diagnostic::error(
                                        codes::UNCLOSED,
                                        format!(
                                            "expected `{want}` to close the `{}`, found `{close}`",
                                            self.word(&o)
                                        ),
                                        tspan(t),
                                    )
                                    .with_label(format!("`{want}` expected before this"))
                                    .with_secondary(
                                        tspan(&o),
                                        format!("this `{}` is not closed", self.word(&o)),
                                    )
                                    .with_suggestion(
                                        Span::new(t.start, t.start),
                                        want,
                                        format!("insert `{want}`"),
                                    ),
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(o) = stack.first() {
            let open = self.word(o);
            let want = closer_of(open);
            let last = code.last().copied().unwrap_or(*o);
            let at = Span::new(last.end, last.end);
            return Some(
                Diagnostic::error(
                    codes::UNCLOSED,
                    format!("this `{open}` is never closed"),
                    tspan(o),
                )
                .with_label(format!("this `{open}` has no matching `{want}`"))
                .with_secondary(
                    at,
                    format!("expected `{want}` here, before the next declaration"),
                )
                .with_help(format!("add `{want}` where the `{}` ends", self.kind()))
                .with_suggestion(
                    at,
                    format!("\n{want}"),
                    format!("insert `{want}`"),
                ),
            );
        }
        None
    }

    /// Mistakes people really make, recognised from the tokens. Only called
    /// when the grammar rejected the declaration, so each hit is certain.
    /// Picks the first one in the text (up to the grammar's error position).
    fn heuristics(&self, error_at: Option<usize>) -> Option<Diagnostic> {
        let code = self.code();
        let kind = self.kind();
        let limit = error_at.unwrap_or(usize::MAX);
        for (i, t) in code.iter().enumerate() {
            if t.start > limit {
                break;
            }
            let w = self.word(t);
            let next = code.get(i + 1);
            let prev = if i > 0 { code.get(i - 1) } else { None };
            let same_line = |n: &Token| !n.line_start;
            match t.tok {
                Some(Tok::Curly) => {
                    let mut d = Diagnostic::error(
                        codes::BAD_QUOTES,
                        "curly quotes “…” are not allowed; use straight quotes \"…\"",
                        tspan(t),
                    )
                    .with_label("curly quote")
                    .with_help("text pasted from a word processor often has curly quotes; type the quotes again");
                    for c in code.iter().filter(|c| is(c, Tok::Curly)) {
                        d = d.with_suggestion(tspan(c), "\"", "use a straight quote");
                    }
                    return Some(d);
                }
                Some(Tok::Quote) => {
                    return Some(
                        Diagnostic::error(
                            codes::BAD_QUOTES,
                            "strings are written in double quotes \"…\", not single quotes",
                            tspan(t),
                        )
                        .with_label("single quote")
                        .with_suggestion(
                            tspan(t),
                            "\"",
                            "use a double quote",
                        ),
                    );
                }
                Some(Tok::Op) => {
                    let fix = match w {
                        "===" => Some(("==", "`===` is not an operator; to compare use `==`")),
                        "!==" => Some(("!=", "`!==` is not an operator; use `!=`")),
                        "=<" => Some(("<=", "`=<` is not an operator; write `<=`")),
                        "<>" => Some(("!=", "`<>` is not an operator; write `!=`")),
                        "&&" | "&" => Some(("and", "write `and` instead of `&&`")),
                        "||" | "|" => Some(("or", "write `or` instead of `||`")),
                        "!" => Some(("not ", "write `not` instead of `!`")),
                        _ => None,
                    };
                    if let Some((rep, msg)) = fix {
                        let msg = msg
                            .replace("`&&`", &format!("`{w}`"))
                            .replace("`||`", &format!("`{w}`"));
                        return Some(
                            Diagnostic::error(codes::FOREIGN_OPERATOR, msg, tspan(t))
                                .with_label("not an mql operator")
                                .with_suggestion(
                                    tspan(t),
                                    rep,
                                    format!("change to `{}`", rep.trim()),
                                ),
                        );
                    }
                    if w == "=" {
                        let is_assign =
                            i == 2 && matches!(kind, "const" | "let" | "criterion" | "segment");
                        // `name = value` inside `{ … }` wants a `:` (the grammar says so)
                        // … unless the line goes on to `=>`: then it is a
                        // score rule's condition (`size = 1000 => +5`).
                        let rule_follows = code[i + 1..]
                            .iter()
                            .take_while(|n| !n.line_start)
                            .any(|n| self.word(n) == "=>");
                        let field_like = !rule_follows
                            && prev.is_some_and(|p| {
                                is(p, Tok::Word)
                                    && (p.line_start
                                        || code
                                            .get(i.wrapping_sub(2))
                                            .is_some_and(|pp| matches!(self.word(pp), "{" | ",")))
                            });
                        if !is_assign && !field_like {
                            return Some(
                                Diagnostic::error(
                                    codes::ASSIGN_NOT_COMPARE,
                                    "`=` assigns; to compare use `==`",
                                    tspan(t),
                                )
                                .with_label("this is not a comparison")
                                .with_suggestion(
                                    tspan(t),
                                    "==",
                                    "change to `==`",
                                ),
                            );
                        }
                    }
                }
                Some(Tok::Minus) => {
                    if let Some(n) = next {
                        if is(n, Tok::Op) && self.word(n).starts_with('>') && n.start > t.end {
                            let span = Span::new(t.start, n.start + 1);
                            return Some(
                                Diagnostic::error(
                                    codes::SPLIT_ARROW,
                                    "`- >` must be written `->` without a space",
                                    span,
                                )
                                .with_label("write this as one arrow")
                                .with_suggestion(
                                    span,
                                    "->",
                                    "change to `->`",
                                ),
                            );
                        }
                    }
                }
                Some(Tok::NumWord) => {
                    if let Some(d) = self.bad_number(t) {
                        return Some(d);
                    }
                    if let Some(n) = next.filter(|n| same_line(n) && is(n, Tok::Word)) {
                        let unit = self.word(n);
                        if let Some(u) = unit_letter(unit) {
                            let span = tspan(t).to(tspan(n));
                            let fixed = format!("{w}{u}");
                            return Some(
                                Diagnostic::error(
                                    codes::BAD_DURATION,
                                    format!("`{w} {unit}` is not a duration; write `{fixed}`"),
                                    span,
                                )
                                .with_label("not a duration")
                                .with_help("a duration is a number immediately followed by `m`, `h`, `d` or `w`")
                                .with_suggestion(span, fixed.clone(), format!("change to `{fixed}`")),
                            );
                        }
                        if matches!(unit, "points" | "point" | "pts" | "pt")
                            && prev.is_some_and(|p| {
                                self.word(p) == "=>"
                                    || matches!(p.tok, Some(Tok::Plus | Tok::Minus))
                            })
                        {
                            let span = Span::new(t.end, n.end);
                            return Some(
                                Diagnostic::error(
                                    codes::POINTS_WORD,
                                    format!("points are a plain number; remove `{unit}`"),
                                    tspan(n),
                                )
                                .with_label("not needed")
                                .with_suggestion(
                                    span,
                                    "",
                                    format!("remove `{unit}`"),
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// `30min`, `30s`, `1e5`, `10k`: a number glued to letters it cannot have.
    fn bad_number(&self, t: &Token) -> Option<Diagnostic> {
        let w = self.word(t);
        let num_end = w
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
            .map(|(i, _)| i)?;
        let (num, suffix) = w.split_at(num_end);
        if matches!(suffix, "m" | "h" | "d" | "w" | "%") {
            return None;
        }
        let span = tspan(t);
        if let Some(u) = unit_letter(suffix) {
            let fixed = format!("{num}{u}");
            return Some(
                Diagnostic::error(
                    codes::BAD_DURATION,
                    format!("`{w}` is not a duration; write `{fixed}`"),
                    span,
                )
                .with_label("unknown unit")
                .with_help("a duration is a number immediately followed by `m` (minutes), `h` (hours), `d` (days) or `w` (weeks)")
                .with_suggestion(span, fixed.clone(), format!("change to `{fixed}`")),
            );
        }
        if matches!(suffix, "s" | "sec" | "secs" | "second" | "seconds" | "ms") {
            return Some(
                Diagnostic::error(codes::BAD_DURATION, format!("`{w}` is not a duration"), span)
                    .with_label("seconds are not a unit")
                    .with_help("durations use `m` (minutes), `h` (hours), `d` (days) or `w` (weeks); the smallest unit is a minute, e.g. `1m`"),
            );
        }
        if matches!(
            suffix,
            "mo" | "month" | "months" | "y" | "yr" | "yrs" | "year" | "years"
        ) {
            return Some(
                Diagnostic::error(codes::BAD_DURATION, format!("`{w}` is not a duration"), span)
                    .with_label("months and years are not units")
                    .with_help("months and years have different lengths; write days or weeks instead, e.g. `30d` or `52w`"),
            );
        }
        if suffix.starts_with(['e', 'E'])
            && suffix[1..]
                .trim_start_matches(['+', '-'])
                .chars()
                .all(|c| c.is_ascii_digit())
        {
            return Some(
                Diagnostic::error(
                    codes::BAD_NUMBER,
                    format!("`{w}` is not a number: exponents are not allowed"),
                    span,
                )
                .with_label("exponent")
                .with_help("write the number out in full, e.g. `150000` instead of `1.5e5`"),
            );
        }
        Some(
            Diagnostic::error(codes::BAD_NUMBER, format!("`{w}` is not a number or a duration"), span)
                .with_label("letters right after a number")
                .with_help("a number is written with digits only (`1000`, `12.5`); a duration ends in `m`, `h`, `d` or `w`; names cannot start with a digit"),
        )
    }

    /// Text that does not start a declaration.
    fn stray(&self) -> Diagnostic {
        let code = self.code();
        let Some(first) = code.first() else {
            return Diagnostic::error(
                codes::STRAY_TEXT,
                "unexpected text",
                Span::new(self.start(), self.end()),
            );
        };
        let w = self.word(first);
        if is(first, Tok::Word) && w == "lead" {
            let at = Span::new(first.end, first.end);
            return Diagnostic::error(codes::SYNTAX, "expected `{` after `lead`", tspan(first))
                .with_label("the lead's fields go in `{ … }` after this")
                .with_help("write the lead schema as `lead { email: string, company_size: int }`")
                .with_suggestion(at, " {", "insert `{`");
        }
        if is(first, Tok::Word) {
            if let Some(k) = did_you_mean(w) {
                return Diagnostic::error(
                    codes::MISSPELLED_KEYWORD,
                    format!("`{w}` is not a keyword; did you mean `{k}`?"),
                    tspan(first),
                )
                .with_label("unknown word")
                .with_suggestion(tspan(first), k, format!("change to `{k}`"));
            }
        }
        if let Some(d) = self.heuristics(None) {
            return d;
        }
        Diagnostic::error(
            codes::STRAY_TEXT,
            format!("`{}` does not start a declaration", shown(w)),
            tspan(first),
        )
        .with_label("expected a declaration here")
        .with_help("a declaration starts with `model`, `use`, `lead`, `event`, `const`, `let`, `criterion`, `segment`, `score`, `tier`, `stages`, `transition` or `test`")
    }

    /// Words from spreadsheets and SQL where mql has its own: a keyword in
    /// capitals (`AND`), `like`, `is null`.
    fn other_language(
        &self,
        idx: Option<usize>,
        found: Option<Token>,
        code: &[Token],
        pw: &str,
        span: Span,
    ) -> Option<Diagnostic> {
        let found = found.filter(|f| is(f, Tok::Word))?;
        let fw = self.word(&found);
        let lower = fw.to_ascii_lowercase();
        let e = |msg: String| Diagnostic::error(codes::SYNTAX, msg, span);
        let field = if !pw.is_empty()
            && !is_keyword(pw)
            && pw.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            pw
        } else {
            "email"
        };
        // (the words of conditions and rules; a declaration keyword in
        // capitals is left to the other messages)
        const OPERATORS: &[&str] = &[
            "and",
            "or",
            "not",
            "in",
            "between",
            "when",
            "where",
            "within",
            "otherwise",
            "true",
            "false",
            "each",
            "latest",
            "up",
            "to",
            "contains",
            "starts_with",
            "ends_with",
        ];
        if lower != fw && OPERATORS.contains(&lower.as_str()) && is_keyword(&lower) {
            return Some(
                e(format!(
                    "`{fw}` is written in small letters in mql: `{lower}`"
                ))
                .with_label("write it in small letters")
                .with_suggestion(
                    span,
                    lower.clone(),
                    format!("change to `{lower}`"),
                ),
            );
        }
        match lower.as_str() {
            "like" | "ilike" => Some(
                e(format!("mql has no `{fw}`; text is matched with `contains`, `starts_with` or `ends_with`"))
                    .with_label("not an operator in mql")
                    .with_help(format!(
                        "write `{field} contains \"gmail\"`, `{field} starts_with \"/pricing\"` or `{field} ends_with \".edu\"` (no `%` needed)"
                    )),
            ),
            "is" => {
                let next = |k: usize| {
                    idx.and_then(|i| code.get(i + k))
                        .map(|t| self.word(t).to_ascii_lowercase())
                        .unwrap_or_default()
                };
                let negated = next(1) == "not";
                let what = if negated { "is not null" } else { "is null" };
                let (write, meaning) = if negated {
                    (format!("known({field})"), "has a value")
                } else {
                    (format!("not known({field})"), "has no value")
                };
                Some(
                    e(format!("mql has no `{what}`: a value the data does not give is unknown"))
                        .with_label("not an operator in mql")
                        .with_help(format!("to ask whether `{field}` {meaning}, write `{write}`")),
                )
            }
            _ => None,
        }
    }

    /// Mistakes with `from`, `missing` and value labels (spec §3.1): the
    /// grammar only says that a `:` was expected, which would be a puzzle.
    fn reading_mistake(
        &self,
        idx: Option<usize>,
        found: Option<Token>,
        code: &[Token],
        positives: &[Rule],
        span: Span,
        found_desc: &str,
    ) -> Option<Diagnostic> {
        let kind = self.kind();
        let at = idx.unwrap_or(code.len());
        let word = |back: usize| {
            at.checked_sub(back)
                .and_then(|i| code.get(i))
                .map(|t| self.word(t))
                .unwrap_or("")
        };
        let (pw, pw2) = (word(1), word(2));
        let found_str = found.is_some_and(|f| matches!(f.tok, Some(Tok::Str(_))));
        let e = |msg: String| Diagnostic::error(codes::SYNTAX, msg, span);
        let comma_at = || at.checked_sub(2).and_then(|i| code.get(i)).map(tspan);
        if found_str && pw == "," && (kind == "stages" || self.in_enum(code, at)) {
            let (what, example) = if kind == "stages" {
                ("stage", "mql \"Marketing Qualified Lead\" \"MQL\"")
            } else {
                ("value", "vp \"Vice President\" \"VP\"")
            };
            return Some(
                e(format!("a label follows its {what} directly, not after a `,`"))
                    .with_label(format!("a label without a {what}"))
                    .with_help(format!(
                        "write the labels right after the {what}'s name, without commas between them: `{example}`"
                    )),
            );
        }
        if !matches!(kind, "lead" | "event") {
            return None;
        }
        if found_str && pw.starts_with('"') {
            // `missing "A" "B"`: a comma forgotten between placeholders.
            let mut i = at;
            while i > 0
                && (self.word(&code[i - 1]).starts_with('"') || self.word(&code[i - 1]) == ",")
            {
                i -= 1;
            }
            if i > 0 && self.word(&code[i - 1]) == "missing" {
                let gap = Span::new(code[at - 1].end, span.start as usize);
                return Some(
                    e("expected `,` between the placeholders".to_string())
                        .with_label("`,` expected before this")
                        .with_help("write `missing \"Select\", \"N/A\"`")
                        .with_suggestion(gap, ", ", "insert `,`"),
                );
            }
        }
        if found_str && pw == "missing" {
            if pw2 == "," {
                let mut d = e("`missing` cannot follow a `,`: it belongs to the field before it, or opens the block".to_string())
                    .with_label("placeholders after a `,`")
                    .with_help("write a field's placeholders right after its type, without a comma (`city: string missing \"Other\"`), or put `missing \"…\"` first in the block for every field");
                if let Some(c) = comma_at() {
                    d = d.with_suggestion(c, "", "remove `,`");
                }
                return Some(d);
            }
            return Some(
                e(
                    "a second `missing` here: a field or a block has one list of placeholders"
                        .to_string(),
                )
                .with_label("`missing` again")
                .with_help("list every placeholder in one `missing \"Select\", \"N/A\"`"),
            );
        }
        if found_str && pw == "from" {
            if pw2 == "," {
                let mut d = e(
                    "`from` cannot follow a `,`: it comes right after a field's type".to_string(),
                )
                .with_label("`from` after a `,`")
                .with_help("write `total_visits: int from \"TotalVisits\"`");
                if let Some(c) = comma_at() {
                    d = d.with_suggestion(c, "", "remove `,`");
                }
                return Some(d);
            }
            return Some(
                e(
                    "`from` comes once, right after the field's type and before `missing`"
                        .to_string(),
                )
                .with_label("misplaced `from`")
                .with_help("the order is `FIELD: TYPE from \"Column\" missing \"N/A\"`"),
            );
        }
        if pw == "from" && positives.contains(&Rule::string) {
            return Some(
                e(format!("expected the data's column or key name in double quotes after `from`, {found_desc}"))
                    .with_label("a name in double quotes is expected here")
                    .with_help("write `total_visits: int from \"TotalVisits\"`"),
            );
        }
        if pw2 == "missing" && positives.contains(&Rule::colon) && !found_str {
            return Some(
                Diagnostic::error(
                    codes::SYNTAX,
                    format!("the placeholders after `missing` go in double quotes, found `{pw}`"),
                    at.checked_sub(1)
                        .and_then(|i| code.get(i))
                        .map(tspan)
                        .unwrap_or(span),
                )
                .with_label("not in quotes")
                .with_help("write `missing \"Select\", \"N/A\"`"),
            );
        }
        None
    }

    /// Whether token `at` is inside the braces of an `enum { … }`.
    fn in_enum(&self, code: &[Token], at: usize) -> bool {
        let mut depth = 0usize;
        for i in (0..at.min(code.len())).rev() {
            match code[i].tok {
                Some(Tok::RBrace) => depth += 1,
                Some(Tok::LBrace) if depth > 0 => depth -= 1,
                Some(Tok::LBrace) => {
                    return i > 0 && self.word(&code[i - 1]) == "enum";
                }
                _ => {}
            }
        }
        false
    }

    /// Turn pest's "expected one of these rules" into plain words.
    fn translate(&self, at: usize, positives: &[Rule]) -> Diagnostic {
        let code = self.code();
        let idx = code.iter().position(|t| t.start >= at);
        let found = idx.and_then(|i| code.get(i)).copied();
        let prev = match idx {
            Some(0) => None,
            Some(i) => code.get(i - 1).copied(),
            None => code.last().copied(),
        };
        let prev2 = match idx {
            Some(i) if i >= 2 => code.get(i - 2).copied(),
            None if code.len() >= 2 => code.get(code.len() - 2).copied(),
            _ => None,
        };
        let pw = prev.map(|p| self.word(&p)).unwrap_or("");
        let pw2 = prev2.map(|p| self.word(&p)).unwrap_or("");
        let (span, found_desc, fw) = match found {
            Some(f) => (
                tspan(&f),
                format!("found `{}`", shown(self.word(&f))),
                self.word(&f),
            ),
            None => {
                let e = self.end();
                (
                    Span::new(e, e),
                    "but the declaration ends here".to_string(),
                    "",
                )
            }
        };
        let has = |r: Rule| positives.contains(&r);
        let found_kw = found.is_some_and(|f| is(&f, Tok::Word)) && is_keyword(fw);
        let kind = self.kind();
        let e = |msg: String| Diagnostic::error(codes::SYNTAX, msg, span);
        let wants_value = positives
            .iter()
            .any(|r| describe(*r, kind) == Some("a value"));

        let found_int = found.is_some_and(|f| is(&f, Tok::NumWord))
            && fw.chars().all(|c| c.is_ascii_digit() || c == '.');

        if let Some(d) = self.reading_mistake(idx, found, &code, positives, span, &found_desc) {
            return d;
        }

        if let Some(d) = self.other_language(idx, found, &code, pw, span) {
            return d;
        }
        // types by the names other tools give them
        if has(Rule::type_expr) || has(Rule::t_int) {
            let lower = fw.to_ascii_lowercase();
            let ours = match lower.as_str() {
                "text" | "str" | "varchar" | "char" | "email" | "url" | "phone" => Some("string"),
                "integer" | "long" | "bigint" | "smallint" | "whole" => Some("int"),
                "float" | "double" | "decimal" | "real" | "numeric" | "currency" | "money"
                | "percent" => Some("number"),
                "boolean" | "checkbox" | "yesno" => Some("bool"),
                "date" | "datetime" | "timestamp" | "timestamptz" | "instant" => Some("time"),
                "interval" => Some("duration"),
                "picklist" | "dropdown" | "select" => Some("enum { … }"),
                "string" | "int" | "number" | "bool" | "time" | "duration" => Some(""),
                _ => None,
            };
            match ours {
                // a right name in capitals: `String`
                Some("") => {
                    return e(format!("types are written in small letters: `{lower}`"))
                        .with_label("write it in small letters")
                        .with_suggestion(span, lower.clone(), format!("change to `{lower}`"));
                }
                Some("enum { … }") => {
                    return e(format!("a picklist is an `enum` in mql, found `{fw}`"))
                        .with_label("not a type in mql")
                        .with_help("list its values: `enum { low, medium, high }`");
                }
                Some(ty) => {
                    return e(format!("`{fw}` is not a type in mql; it is written `{ty}`"))
                        .with_label(format!("write `{ty}`"))
                        .with_help(
                            "the types are `int`, `number`, `bool`, `string`, `time` (a date, or a date and time), \
                             `duration`, `enum { … }` and `list<…>`",
                        )
                        .with_suggestion(span, ty, format!("change to `{ty}`"));
                }
                None => {}
            }
        }
        // `tags: string[]`
        if fw == "[" && matches!(kind, "lead" | "event") {
            let next = idx.and_then(|i| code.get(i + 1));
            if let (Some(p), Some(n)) = (prev, next.filter(|n| is(n, Tok::RBracket))) {
                let item = pw;
                let whole = Span::new(p.start, n.end);
                let list = format!("list<{item}>");
                return Diagnostic::error(
                    codes::SYNTAX,
                    format!("a list is written `{list}`"),
                    whole,
                )
                .with_label(format!("write `{list}`"))
                .with_suggestion(
                    whole,
                    list.clone(),
                    format!("change to `{list}`"),
                );
            }
        }
        // `enum(low, high)`
        if pw == "enum" && fw == "(" {
            return e("the values of an `enum` go in `{ }`, found `(`".to_string())
                .with_label("expected `{`")
                .with_help("write `enum { low, high }`");
        }
        // `enum { "low", "high" }`
        if pw == "{"
            && found.is_some_and(|f| matches!(f.tok, Some(Tok::Str(_))))
            && self.in_enum(&code, idx.unwrap_or(code.len()))
        {
            let inner = fw.trim_matches('"');
            let name: String = inner
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let name = if name.starts_with(|c: char| c.is_ascii_lowercase()) {
                name
            } else {
                "low".to_string()
            };
            return e("the values of an `enum` are names, not text in quotes".to_string())
                .with_label("a value name is expected here")
                .with_help(format!(
                    "write `{name}`: the data's values are matched to the names ignoring case, spaces and hyphens; \
                     text that reads differently goes after the name as its label, like `vp \"Vice President\"`"
                ));
        }
        // `decay half-life 14d`
        if pw == "half" && fw == "-" {
            let next = idx.and_then(|i| code.get(i + 1));
            if let (Some(p), Some(n)) = (prev, next.filter(|n| self.word(n) == "life")) {
                let whole = Span::new(p.start, n.end);
                return Diagnostic::error(
                    codes::SYNTAX,
                    "`half-life` is written `half_life`",
                    whole,
                )
                .with_label("write `half_life`")
                .with_suggestion(whole, "half_life", "change to `half_life`");
            }
        }
        // `+25 if big`: the points written first
        if kind == "score"
            && found.is_some_and(|f| f.line_start)
            && (matches!(fw, "+" | "-") || found_int)
        {
            let from = self.text.get(span.start as usize..).unwrap_or("");
            let line = from.split('\n').next().unwrap_or("").trim();
            let mut words = line.splitn(2, char::is_whitespace);
            let mut points = words.next().unwrap_or("").to_string();
            let mut rest = words.next().unwrap_or("").trim_start();
            if matches!(points.as_str(), "+" | "-") {
                let mut w = rest.splitn(2, char::is_whitespace);
                points.push_str(w.next().unwrap_or(""));
                rest = w.next().unwrap_or("").trim_start();
            }
            let cond = ["if ", "when "]
                .iter()
                .find_map(|k| rest.strip_prefix(k))
                .map(str::trim)
                .filter(|c| !c.is_empty() && !c.contains("//"));
            let example = match cond {
                Some(c) => format!("{c} => {points}"),
                None => format!("company_size >= 1000 => {points}"),
            };
            return e("a rule starts with its condition; the points come after `=>`".to_string())
                .with_label("points first")
                .with_help(format!("write `{example}`"));
        }

        if has(Rule::assign) && fw == "==" {
            return e(format!(
                "expected `=` after the name of the {kind}, found `==`"
            ))
            .with_label("`==` compares; a declaration uses `=`")
            .with_suggestion(span, "=", "change to `=`");
        }
        if fw == ";" {
            let d = e("mql does not use `;`".to_string()).with_label("not needed");
            return if has(Rule::comma) {
                d.with_help("separate items with a comma or a new line")
                    .with_suggestion(span, ",", "change to `,`")
            } else {
                d.with_help("end the line without it")
                    .with_suggestion(span, "", "remove `;`")
            };
        }
        if has(Rule::time)
            && found.is_some_and(|f| is(&f, Tok::NumWord))
            && fw.len() == 4
            && fw.bytes().all(|b| b.is_ascii_digit())
        {
            let at = Span::new(span.start as usize, span.start as usize);
            return e("a time starts with `@`".to_string())
                .with_label("`@` missing before this date")
                .with_help("write times like `@2026-11-01` or `@2026-11-01T09:30:00Z`")
                .with_suggestion(at, "@", "insert `@`");
        }
        if has(Rule::kw_and) {
            let before = idx.unwrap_or(code.len());
            let since_between = code[..before]
                .iter()
                .rev()
                .take_while(|t| self.word(t) != "between")
                .count();
            if since_between < before
                && !code[before - since_between..before]
                    .iter()
                    .any(|t| self.word(t) == "and")
            {
                return e(format!(
                    "expected `and` between the two bounds of `between`, {found_desc}"
                ))
                .with_label("expected `and`")
                .with_help("write `company_size between 200 and 5000`");
            }
        }
        if positives == [Rule::kw_in] {
            return e(format!("expected `in` after `not`, {found_desc}"))
                .with_label("expected `in`")
                .with_help("`x not in [a, b]` tests that a value is not in a list; to negate a condition put `not` in front of it");
        }
        if fw == "+"
            && positives
                .iter()
                .any(|r| describe(*r, kind) == Some("a value"))
        {
            return e("a leading `+` is only allowed in a rule's points".to_string())
                .with_label("not needed")
                .with_help("write the number without `+`")
                .with_suggestion(span, "", "remove `+`");
        }
        // `+` or `-` without a number
        if matches!(pw, "+" | "-")
            && (has(Rule::int) || has(Rule::number) || has(Rule::duration))
            && !found_int
        {
            return Diagnostic::error(
                codes::LONE_SIGN,
                format!("`{pw}` must be followed by a number"),
                prev.map(|p| tspan(&p)).unwrap_or(span),
            )
            .with_label("a number should follow")
            .with_help(
                "write points like `+10` or `-5`, or the name of a number const like `-penalty`",
            );
        }
        if pw == "decay" {
            if found_int {
                let fixed = format!("{fw}%");
                return Diagnostic::error(
                    codes::PERCENT,
                    format!("a decay step needs a percent: write `{fixed}`"),
                    span,
                )
                .with_label("percent sign missing")
                .with_help("the form is `decay 25% every 30d`")
                .with_suggestion(
                    span,
                    fixed.clone(),
                    format!("change to `{fixed}`"),
                );
            }
            return e(format!("expected how points fade after `decay`, {found_desc}"))
                .with_label("expected `none`, `half_life …`, `linear …` or `…% every …`")
                .with_help("write `decay none`, `decay half_life 14d`, `decay linear 90d` or `decay 25% every 30d`");
        }
        if has(Rule::dur_arg) || (has(Rule::duration) && !has(Rule::int)) {
            if found_int {
                let fixed = format!("{fw}d");
                return Diagnostic::error(codes::BAD_DURATION, format!("`{fw}` needs a unit: write `{fixed}` for days"), span)
                    .with_label("a duration needs a unit")
                    .with_help("a duration is a number immediately followed by `m` (minutes), `h` (hours), `d` (days) or `w` (weeks)")
                    .with_suggestion(span, fixed.clone(), format!("change to `{fixed}`"));
            }
            let after = if pw.is_empty() {
                String::new()
            } else {
                format!(" after `{pw}`")
            };
            return e(format!("expected a duration like `14d`{after}, {found_desc}"))
                .with_label("a duration is expected here")
                .with_help("write a number immediately followed by `m`, `h`, `d` or `w`, or the name of a duration const");
        }
        if has(Rule::percent_sign) {
            return e(format!(
                "expected `%` after `{pw}` in this decay step, {found_desc}"
            ))
            .with_label("expected `%`")
            .with_help("the form is `decay 25% every 30d`");
        }
        if has(Rule::cw_every) {
            return e(format!(
                "expected `every` and a duration after the percent, {found_desc}"
            ))
            .with_label("expected `every`")
            .with_help("the form is `decay 25% every 30d`");
        }
        if kind == "use" && has(Rule::string) && found.is_some() {
            let rest = Span::new(span.start as usize, self.end());
            let path = self.text.get(rest.range()).unwrap_or("").trim();
            let quoted = format!("\"{}\"", path.trim_matches(|c| c == '\'' || c == '"'));
            return e(format!(
                "the file name after `use` goes in double quotes, {found_desc}"
            ))
            .with_label("not in quotes")
            .with_help(format!("write `use {quoted}`"))
            .with_suggestion(rest, quoted.clone(), format!("change to `{quoted}`"));
        }
        if pw == "test" && has(Rule::string) {
            return e(format!(
                "expected the test's name in double quotes, {found_desc}"
            ))
            .with_label("the test needs a name")
            .with_help("write `test \"a VP who asked for a demo is an MQL\" { … }`");
        }
        if kind == "tier" && fw == "otherwise" {
            return e("`otherwise` needs a tier label before it".to_string())
                .with_label("label missing")
                .with_help("write the label first, like `D otherwise`");
        }
        if kind == "score" && matches!(fw, "range" | "decay") && has(Rule::score_rule) {
            return e(format!("`{fw}` must come before the rules of the score"))
                .with_label("options go first")
                .with_help(format!(
                    "move this `{fw}` line up, right after `score {} {{`",
                    code.get(1).map(|t| self.word(t)).unwrap_or("…")
                ));
        }
        if has(Rule::cw_at) {
            return e(format!("expected when the event happened, {found_desc}"))
                .with_label("expected `at @…` or `… ago`")
                .with_help("write `at @2026-10-30T12:00:00Z` or `2d ago` after the event's `}`");
        }
        if found.is_some_and(|f| is(&f, Tok::NumWord)) && fw.ends_with('%') {
            return Diagnostic::error(
                codes::PERCENT,
                "a percent is only allowed in `decay P% every D`",
                span,
            )
            .with_label("not allowed here")
            .with_help(format!(
                "write a plain number instead, like `{}`",
                fw.trim_end_matches('%')
            ));
        }
        // `cond =>` with the points forgotten: the next line was taken as points
        if pw2 == "=>" && prev.is_some_and(|p| p.line_start) {
            let arrow = prev2.map(|p| tspan(&p)).unwrap_or(span);
            return Diagnostic::error(
                codes::SYNTAX,
                "expected the points for this rule after `=>`",
                arrow,
            )
            .with_label("points missing after this")
            .with_help(
                "write a number like `+10`, `-5` or `12.5`, or a number const like `+bonus`",
            );
        }
        // `count(page_view) where url == "/x"`: the filter outside the query
        if fw == "where" && !has(Rule::kw_where) {
            let help = if pw == ")" {
                "write the filter inside the parentheses, right after the event: \
                 `count(page_view where url starts_with \"/pricing\")`"
            } else {
                "a filter follows an event inside a query, like `count(page_view where url starts_with \"/pricing\")`, \
                 or an `each`/`latest` rule: `each page_view where seconds > 30 => +5`"
            };
            return e("`where` only follows an event in a query".to_string())
                .with_label("not after an event")
                .with_help(help);
        }
        // `contains(email, "gmail")`: a text test written as a function
        if matches!(fw, "contains" | "starts_with" | "ends_with")
            && idx
                .and_then(|i| code.get(i + 1))
                .is_some_and(|t| self.word(t) == "(")
        {
            return e(format!(
                "`{fw}` is written between its two sides, not as a function"
            ))
            .with_label("not a function")
            .with_help(format!("write `email {fw} \"gmail\"`"));
        }
        // `form_submit.form`, `email.contains(…)`
        if fw == "." && found.is_some_and(|f| is(&f, Tok::Punct)) {
            return e("mql does not use `.` to reach a field or a function".to_string())
                .with_label("not used in mql")
                .with_help(
                    "inside a query, name an event's fields directly: `exists(form_submit where form == \"demo\")`, \
                     `sum(page_view, seconds)`; text is tested with operators: `email contains \"gmail\"`",
                );
        }
        // `signup_date within 30d`: a window belongs to an event query
        if fw == "within" && !has(Rule::kw_within) {
            let time = prev
                .filter(|p| is(p, Tok::Word) && !is_keyword(pw))
                .map_or("signup_date", |_| pw);
            let window = idx
                .and_then(|i| code.get(i + 1))
                .filter(|t| is(t, Tok::NumWord))
                .map_or("30d", |t| self.word(t));
            return e("`within` only follows an event in a query".to_string())
                .with_label("not in an event query")
                .with_help(format!(
                    "to count events in a window, write `count(page_view within {window})`; \
                     to ask whether a time is less than {window} ago, write `since({time}) < {window}`"
                ));
        }
        if found_kw
            && (has(Rule::ident) || has(Rule::name) || wants_value)
            && !has(Rule::kw_any)
            && !matches!(fw, "not" | "true" | "false")
        {
            return Diagnostic::error(
                codes::RESERVED_NAME,
                format!("`{fw}` is a reserved word and cannot be used as a name"),
                span,
            )
            .with_label("reserved word")
            .with_help(format!("choose another name, such as `{fw}_value`"));
        }
        let starts_value = found.is_some_and(|f| {
            matches!(
                f.tok,
                Some(Tok::Word | Tok::NumWord | Tok::Str(_) | Tok::Time | Tok::LBracket)
            )
        });
        if kind != "stages"
            && has(Rule::comma)
            && (has(Rule::rbracket) || has(Rule::rparen))
            && starts_value
            && !found_kw
        {
            let gap = Span::new(
                prev.map(|p| p.end).unwrap_or(span.start as usize),
                span.start as usize,
            );
            return e(format!("expected `,` between the items, {found_desc}"))
                .with_label("`,` expected before this")
                .with_help(
                    "separate the items of a list or the arguments of a function with commas",
                )
                .with_suggestion(gap, ", ", "insert `,`");
        }
        if kind == "stages" && has(Rule::comma) && found.is_some_and(|f| is(&f, Tok::Word)) {
            let gap = Span::new(
                prev.map(|p| p.end).unwrap_or(span.start as usize),
                span.start as usize,
            );
            return Diagnostic::error(
                codes::STAGES_COMMA,
                "stage names must be separated by commas",
                span,
            )
            .with_label("`,` expected before this")
            .with_help("write `stages prospect, lead, mql`")
            .with_suggestion(gap, ", ", "insert `,`");
        }
        if pw == "up" && has(Rule::kw_to) {
            return e(format!("expected `to` after `up`, {found_desc}"))
                .with_label("expected `to`")
                .with_help("a cap is written `up to 40`");
        }
        if pw == "to" && pw2 == "up" {
            return e(format!("expected a number after `up to`, {found_desc}"))
                .with_label("the cap is missing")
                .with_help("write the largest total for this rule, like `up to 40`");
        }
        if pw == "=>"
            && (has(Rule::sign) || has(Rule::signed_arg) || has(Rule::points) || has(Rule::int))
        {
            return e(format!(
                "expected the points for this rule after `=>`, {found_desc}"
            ))
            .with_label("points expected")
            .with_help(
                "write a number like `+10`, `-5` or `12.5`, or a number const like `+bonus`",
            );
        }
        if kind == "transition" && has(Rule::arrow) {
            return e(format!(
                "expected `->` between the two stages, {found_desc}"
            ))
            .with_label("expected `->`")
            .with_help("write `transition prospect -> lead when …`");
        }
        let cmp_words = [
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "in",
            "contains",
            "starts_with",
            "ends_with",
            "matches",
            "between",
        ];
        if cmp_words.contains(&fw) && !has(Rule::cmp_op) && !has(Rule::ident) && !has(Rule::name) {
            return Diagnostic::error(codes::CHAINED_COMPARISON, "comparisons cannot be chained", span)
                .with_label("second comparison")
                .with_help("compare two values at a time and join them with `and`, e.g. `a < b and b < c`, or use `x between lo and hi`");
        }
        if has(Rule::fat_arrow) {
            return e(format!(
                "expected `=>` followed by the points for this rule, {found_desc}"
            ))
            .with_label("expected `=>` here")
            .with_help(
                "a rule is written `CONDITION => POINTS`, e.g. `company_size >= 1000 => +10`",
            );
        }
        if has(Rule::kw_when) && has(Rule::kw_otherwise) {
            return e(format!("expected `when` and a condition, or `otherwise`, after the tier label `{pw}`, {found_desc}"))
                .with_label("expected `when` or `otherwise`")
                .with_help("write `A when fit >= 40`, and `D otherwise` for the last label");
        }
        if has(Rule::kw_when) {
            return e(format!(
                "expected `when` followed by the condition for this transition, {found_desc}"
            ))
            .with_label("expected `when`")
            .with_help("write `transition lead -> mql when fit >= 30`");
        }
        // generic: list what was expected
        let mut phrases: Vec<&str> = Vec::new();
        for r in positives {
            if let Some(p) = describe(*r, kind) {
                if !phrases.contains(&p) {
                    phrases.push(p);
                }
            }
        }
        if phrases.len() > 1 {
            phrases.retain(|p| *p != "an operator");
        }
        let expected = match phrases.len() {
            0 => "something else".to_string(),
            1 => phrases[0].to_string(),
            n => format!("{} or {}", phrases[..n - 1].join(", "), phrases[n - 1]),
        };
        if has(Rule::colon) && fw == "=" {
            let what = if matches!(kind, "lead" | "event") {
                "type"
            } else {
                "value"
            };
            return e(format!(
                "expected `:` between the name and its {what}, found `=`"
            ))
            .with_label("expected `:`")
            .with_suggestion(span, ":", "change to `:`");
        }
        if phrases == ["the end of the declaration"] {
            return e(format!(
                "unexpected `{}` after the end of this `{kind}`",
                shown(fw)
            ))
            .with_label("not part of the declaration")
            .with_help("is an operator or a `,` missing before it, or is it a stray word?");
        }
        let label = if expected.chars().count() <= 40 {
            format!("expected {expected}")
        } else {
            "not expected here".to_string()
        };
        let mut d = e(format!("expected {expected}, {found_desc}")).with_label(label);
        if found.is_some_and(|f| is(&f, Tok::Punct) && self.word(&f) == ",") && !has(Rule::comma) {
            d = d
                .with_help("this `,` is not needed here; remove it")
                .with_suggestion(span, "", "remove `,`");
        }
        d
    }
}

fn describe(r: Rule, kind: &str) -> Option<&'static str> {
    Some(match r {
        Rule::fat_arrow => "`=>`",
        Rule::arrow => "`->`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::assign => "`=`",
        Rule::langle => "`<`",
        Rule::rangle => "`>`",
        Rule::ident | Rule::name => {
            if matches!(kind, "lead" | "event") {
                "a field name"
            } else {
                "a name"
            }
        }
        Rule::kw_when => "`when`",
        Rule::kw_in => "`in`",
        Rule::kw_otherwise => "`otherwise`",
        Rule::kw_to => "`to`",
        Rule::kw_where => "`where`",
        Rule::kw_within => "`within`",
        Rule::cw_ago => "`ago`",
        Rule::cw_at => "`at`",
        Rule::cw_up => "`up to`",
        Rule::string => "a string in double quotes",
        Rule::time => "a time like `@2026-11-01`",
        Rule::duration | Rule::dur_arg => "a duration like `14d`",
        Rule::int | Rule::number | Rule::signed_arg | Rule::points | Rule::signed_lit => "a number",
        Rule::type_expr | Rule::t_int | Rule::t_enum | Rule::t_list => {
            "a type (`int`, `number`, `bool`, `string`, `time`, `duration`, `enum { … }` or `list<…>`)"
        }
        Rule::expr | Rule::or_expr | Rule::and_expr | Rule::not_expr | Rule::cmp_expr | Rule::add_expr | Rule::mul_expr | Rule::unary_expr | Rule::query | Rule::query_arg | Rule::paren | Rule::list | Rule::call | Rule::bool_lit | Rule::lit_value | Rule::lit_list | Rule::neg_op | Rule::kw_not => "a value",
        Rule::cmp_op | Rule::add_op | Rule::mul_op | Rule::kw_or | Rule::kw_and | Rule::between_tail | Rule::not_in_tail | Rule::cmp_tail => "an operator",
        Rule::EOI => "the end of the declaration",
        Rule::score_option | Rule::decay_opt | Rule::range_opt | Rule::kw_decay | Rule::kw_range => "an option (`decay`, `range`)",
        Rule::score_rule | Rule::each_rule | Rule::latest_rule | Rule::cond_rule | Rule::kw_each | Rule::kw_latest => "a rule",
        Rule::tier_arm => "a tier label",
        Rule::as_of_item | Rule::cw_as_of => "`as_of`",
        Rule::test_lead | Rule::cw_lead => "`lead`",
        Rule::test_events | Rule::cw_events => "`events`",
        Rule::expect_item | Rule::cw_expect => "`expect`",
        Rule::event_lit => "an event like `page_view { url: \"/pricing\" } 2d ago`",
        Rule::field_decl => "a field like `email: string`",
        Rule::lit_field => "a field like `email: \"ana@acme.io\"`",
        Rule::kw_any => "`any`",
        Rule::cw_from | Rule::field_from => "`from`",
        Rule::cw_missing | Rule::field_missing | Rule::block_missing => "`missing`",
        Rule::missing_texts => "a string in double quotes",
        Rule::variant => "a name",
        _ => return None,
    })
}

/// The duration unit letter a spelled-out unit means.
fn unit_letter(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "min" | "mins" | "minute" | "minutes" | "mn" => "m",
        "hr" | "hrs" | "hour" | "hours" | "h" => "h",
        "day" | "days" | "d" => "d",
        "wk" | "wks" | "week" | "weeks" | "w" => "w",
        "m" => "m",
        _ => return None,
    })
}

fn error_facts(err: &pest::error::Error<Rule>) -> (usize, Vec<Rule>) {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    (pos, positives)
}
