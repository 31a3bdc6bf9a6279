//! The formatter behind `mql fmt`: prints a model in its canonical layout from
//! the syntax tree, keeping every comment where the author put it.
//!
//! # The canonical layout
//!
//! - Indentation is two spaces per level; lines end without trailing blanks and
//!   the file ends with exactly one line break.
//! - Top-level declarations are separated by one blank line. Consecutive
//!   one-line declarations (`const`, `let`, `criterion`, `transition`, a short
//!   `event`, …) that were adjacent in the source stay together; a blank line
//!   the author put between them is kept (never more than one).
//! - Inside blocks (lead and event fields, score options and rules, tier arms,
//!   test items and events) one blank line the author left between two items is
//!   kept; blank lines right after `{` or before `}` are dropped.
//! - `lead { … }` has one field per line, `name: type [from "NAME"] [missing
//!   "T", …]`, without commas; a block's own `missing "T", …` is its first
//!   line. An `event` is written on one line, fields separated by `, `, when
//!   it fits in 100 columns, holds no comment and no `missing`; otherwise one
//!   field per line.
//! - `enum { a, b "Label", c }` is written on one line when it fits, otherwise
//!   one variant per line; a variant's labels always stay on its line.
//!   `list<T>` has no spaces.
//! - Binary operators have one space on each side; prefix `-` and `+` stick to
//!   their operand; `not` is followed by one space. Parentheses are kept exactly
//!   where the author wrote them. Calls are `f(a, b)`; queries are
//!   `EVENT where COND within D`. Long expressions are not broken.
//! - Lists are `[a, b, c]` when they fit in 100 columns and hold no comment,
//!   otherwise one item per line, each followed by a comma.
//! - Score blocks: options first (`decay …`, `range LO to HI`) as written, then
//!   one rule per line; within a run of rules not interrupted by a blank line
//!   the conditions are padded so that the `=>` line up, one space after the
//!   widest condition. Points keep the sign the author wrote (`+25`, `-30`,
//!   `12.5`, `-penalty`); `up to CAP` follows the points.
//! - Tier arms are one per line with the labels padded so that `when` (and
//!   `otherwise`) line up.
//! - `stages a, b "Label", c` on one line (one stage per line with its labels,
//!   each followed by a comma, when it does not fit or holds a comment); `transition FROM -> TO when COND`.
//! - Tests: `test "NAME" {`, then its items in the author's order: `as_of …`,
//!   `lead { … }` (on one line when it fits in 100 columns, else one field per
//!   line), `events {` with one event per line `}` (an event's fields go one per
//!   line only when they hold a comment or do not fit), `expect …`.
//! - Strings are re-escaped canonically: `\"`, `\\`, `\n`, `\t`, and `\u{…}`
//!   for other control characters. Numbers, durations, times and percents are
//!   printed exactly as written (`1.5d`, `12.50`, `@2026-11-01` stay).
//!
//! # Comments
//!
//! Every comment is kept, in order, with its text (trailing blanks removed):
//! - a comment on a line of its own stays on a line of its own, indented like
//!   the code that follows it; a blank line before it is kept;
//! - `///` doc comments stay directly above their declaration (a blank line
//!   between a doc comment and its declaration is removed);
//! - a comment at the end of a line stays at the end of the line that holds the
//!   code before it, after one space;
//! - a comment inside a construct that would otherwise be put on one line
//!   (event fields, an enum, a list, a test's lead or event literal, `stages`)
//!   puts that construct one item per line; a comment in the middle of an
//!   expression ends the line there and the expression continues on the next
//!   line, indented four more spaces.

use mql_core::{Diagnostic, Span};

use crate::ast::*;
use crate::lexer::{self, Tok};
use crate::parser::parse;

/// The widest line the formatter aims for.
pub const MAX_WIDTH: usize = 100;

/// Grow the stack when less than this is left while printing an expression…
const STACK_RED_ZONE: usize = 1 << 20;
/// …by this many bytes.
const STACK_SIZE: usize = 16 << 20;

/// Format a whole file in the canonical layout (see the module documentation).
///
/// A file with syntax errors is not formatted: its diagnostics are returned
/// instead. Never panics.
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let file = parse(text);
    if file.diagnostics.iter().any(|d| d.is_error()) {
        return Err(file.diagnostics);
    }
    let tokens = lexer::tokenize(text);
    let mut code = Vec::new();
    let mut comments = Vec::new();
    for t in &tokens {
        match t.tok {
            Some(Tok::Comment) => comments.push(Comment {
                start: t.start,
                end: t.end,
                text: t.text(text).trim_end().to_string(),
                trailing: !t.line_start,
            }),
            _ => code.push(CodeTok {
                start: t.start,
                end: t.end,
            }),
        }
    }
    let mut f = Fmt::new(text, &code, &comments);
    f.file(&file);
    Ok(f.finish())
}

struct Comment {
    start: usize,
    end: usize,
    text: String,
    /// Code comes before it on its line.
    trailing: bool,
}

#[derive(Clone, Copy)]
struct CodeTok {
    start: usize,
    end: usize,
}

/// The printer: finished lines in `out`, the line being built in `line`.
struct Fmt<'a> {
    src: &'a str,
    code: &'a [CodeTok],
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    line: String,
    line_open: bool,
    indent: usize,
    /// The current line continues an expression broken by a comment.
    cont: bool,
    /// End of the last source text printed (token or comment).
    cursor: usize,
    want_blank: bool,
    /// The last finished line opened a block.
    after_open: bool,
}

impl<'a> Fmt<'a> {
    fn new(src: &'a str, code: &'a [CodeTok], comments: &'a [Comment]) -> Self {
        Fmt {
            src,
            code,
            comments,
            next_comment: 0,
            out: String::new(),
            line: String::new(),
            line_open: false,
            indent: 0,
            cont: false,
            cursor: 0,
            want_blank: false,
            after_open: false,
        }
    }

    fn finish(mut self) -> String {
        self.flush_before(usize::MAX);
        self.nl();
        self.out
    }

    /// Print something without comments to measure it.
    fn measure(&self, cursor: usize, f: impl FnOnce(&mut Fmt<'a>)) -> String {
        let mut m = Fmt::new(self.src, self.code, &[]);
        m.cursor = cursor;
        f(&mut m);
        m.nl();
        let mut s = m.out;
        while s.ends_with('\n') {
            s.pop();
        }
        s
    }

    fn width(s: &str) -> usize {
        s.chars().count()
    }

    /// Column where the next text would go on the current line.
    fn column(&self) -> usize {
        if self.line_open {
            Self::width(&self.line)
        } else {
            self.indent * 2 + if self.cont { 4 } else { 0 }
        }
    }

    /// End of the last code token that ends by `end` (a node's span may take
    /// in the comments after it).
    fn code_end(&self, end: usize) -> usize {
        let i = self.code.partition_point(|t| t.end <= end);
        i.checked_sub(1)
            .and_then(|i| self.code.get(i))
            .map(|t| t.end)
            .unwrap_or(end)
    }

    fn has_comment(&self, span: Span) -> bool {
        let (s, e) = (span.start as usize, self.code_end(span.end as usize));
        let i = self.comments.partition_point(|c| c.start < s);
        self.comments.get(i).is_some_and(|c| c.start < e)
    }

    fn text(&self, a: usize, b: usize) -> &'a str {
        self.src.get(a..b).unwrap_or("")
    }

    fn has_blank_line(&self, a: usize, b: usize) -> bool {
        if a >= b {
            return false;
        }
        let parts: Vec<&str> = self.text(a, b).split('\n').collect();
        parts.len() > 2
            && parts[1..parts.len() - 1]
                .iter()
                .any(|p| p.trim().is_empty())
    }

    // ------------------------------------------------------------ lines

    fn open_line(&mut self) {
        if self.line_open {
            return;
        }
        if self.want_blank && !self.out.is_empty() && !self.after_open {
            self.out.push('\n');
        }
        self.want_blank = false;
        let n = self.indent * 2 + if self.cont { 4 } else { 0 };
        self.line = " ".repeat(n);
        self.line_open = true;
    }

    fn close_line(&mut self) {
        if !self.line_open {
            return;
        }
        let trimmed = self.line.trim_end();
        self.after_open = trimmed.ends_with('{') || trimmed.ends_with('[');
        self.out.push_str(trimmed);
        self.out.push('\n');
        self.line.clear();
        self.line_open = false;
    }

    /// Write text on the current line.
    fn emit(&mut self, s: &str) {
        self.open_line();
        self.line.push_str(s);
    }

    fn sp(&mut self) {
        if self.line_open && !self.line.ends_with(' ') {
            self.line.push(' ');
        }
    }

    /// End the current line, taking along the comments at its end.
    fn nl(&mut self) {
        while let Some(c) = self.comments.get(self.next_comment) {
            let due = c.start < self.cursor
                || (c.trailing && self.only_commas_between(self.cursor, c.start));
            if !due {
                break;
            }
            self.put_comment(self.next_comment);
        }
        self.close_line();
        self.cont = false;
    }

    fn only_commas_between(&self, a: usize, b: usize) -> bool {
        let i = self.code.partition_point(|t| t.start < a);
        self.code[i..]
            .iter()
            .take_while(|t| t.start < b)
            .all(|t| self.text(t.start, t.end) == ",")
    }

    /// Print comment `i` where it belongs relative to the current line.
    fn put_comment(&mut self, i: usize) {
        let Some(c) = self.comments.get(i) else {
            return;
        };
        self.next_comment = i + 1;
        if c.trailing && self.line_open {
            let trimmed = self.line.trim_end().len();
            self.line.truncate(trimmed);
            self.line.push(' ');
            self.line.push_str(&c.text);
            self.close_line();
            self.cont = true;
        } else {
            if self.line_open {
                self.close_line();
                self.cont = true;
            }
            if self.has_blank_line(self.cursor, c.start) {
                self.want_blank = true;
            }
            self.open_line();
            self.line.push_str(&c.text);
            self.close_line();
        }
        self.cursor = self.cursor.max(c.end);
    }

    /// Print the comments that come before source position `pos`.
    fn flush_before(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.start >= pos {
                break;
            }
            self.put_comment(self.next_comment);
        }
    }

    /// Start a block item (field, rule, test item…) at source position `pos`.
    fn item(&mut self, pos: usize) {
        self.nl();
        self.flush_before(pos);
        if self.has_blank_line(self.cursor, pos) {
            self.want_blank = true;
        }
    }

    /// ` {` at the end of the current line; the block's items follow.
    fn open_block(&mut self) {
        self.sp();
        self.kw("{");
        self.nl();
        self.after_open = true;
        self.indent += 1;
    }

    /// The block's comments before its `}`, then `}` on its own line.
    fn close_block(&mut self, end: usize) {
        let close = self.code_end(end).saturating_sub(1);
        self.nl();
        self.flush_before(close);
        self.nl();
        self.want_blank = false;
        self.indent = self.indent.saturating_sub(1);
        self.tok("}", close);
    }

    /// A token from the source at `pos`.
    fn tok(&mut self, s: &str, pos: usize) {
        self.flush_before(pos);
        self.emit(s);
        self.cursor = self.cursor.max(pos + s.len());
    }

    /// A keyword or punctuation: found in the source right after the cursor.
    fn kw(&mut self, s: &str) {
        let i = self.code.partition_point(|t| t.start < self.cursor);
        let found = self.code[i..]
            .iter()
            .take(8)
            .find(|t| self.text(t.start, t.end) == s)
            .map(|t| t.start);
        match found {
            Some(p) => self.tok(s, p),
            None => self.emit(s),
        }
    }

    /// Source text of a literal, printed as written.
    fn span_text(&mut self, span: Span) {
        let s = self.text(span.start as usize, span.end as usize);
        self.tok(s, span.start as usize);
    }

    fn ident(&mut self, id: &Ident) {
        self.tok(&id.name, id.span.start as usize);
    }

    // ------------------------------------------------------------ file

    fn file(&mut self, file: &SourceFile) {
        let mut prev_multi: Option<bool> = None;
        for d in &file.decls {
            self.nl();
            let mark = self.out.len();
            let kw = d.keyword.start as usize;
            self.flush_before(kw);
            if d.doc.is_none() && self.has_blank_line(self.cursor, kw) {
                self.want_blank = true;
            }
            let body = self.out.len();
            self.decl(d);
            self.nl();
            let lines = self
                .out
                .get(body..)
                .unwrap_or("")
                .lines()
                .filter(|l| !l.is_empty())
                .count();
            let multi = lines > 1;
            if let Some(pm) = prev_multi {
                let already = self.out.get(..mark).unwrap_or("").ends_with("\n\n")
                    || self.out.get(mark..).unwrap_or("").starts_with('\n');
                if (pm || multi) && !already {
                    self.out.insert(mark, '\n');
                }
            }
            prev_multi = Some(multi);
        }
    }

    fn decl(&mut self, d: &Decl) {
        let kw = d.keyword.start as usize;
        match &d.kind {
            DeclKind::Model(n) => {
                self.tok("model", kw);
                self.sp();
                self.ident(n);
            }
            DeclKind::Use(s) => {
                self.tok("use", kw);
                self.sp();
                self.string(&s.value, s.span);
            }
            DeclKind::Lead(fields) => {
                self.tok("lead", kw);
                self.field_block(fields, d.span);
            }
            DeclKind::Event { name, fields } => {
                self.tok("event", kw);
                self.sp();
                self.ident(name);
                let one = !self.has_comment(d.span)
                    && fields.missing.is_none()
                    && fields.iter().all(|f| f.missing.is_none())
                    && {
                        let col = self.column();
                        let cur = self.cursor;
                        let s = self.measure(cur, |m| m.field_line(fields));
                        !s.contains('\n') && col + Self::width(&s) <= MAX_WIDTH
                    };
                if one {
                    self.field_line(fields);
                } else {
                    self.field_block(fields, d.span);
                }
            }
            DeclKind::Const(n) => self.named("const", kw, n),
            DeclKind::Let(n) => self.named("let", kw, n),
            DeclKind::Criterion(n) => self.named("criterion", kw, n),
            DeclKind::Segment(n) => self.named("segment", kw, n),
            DeclKind::Score(s) => {
                self.tok("score", kw);
                self.sp();
                self.ident(&s.name);
                self.score_body(s, d.span);
            }
            DeclKind::Tier(t) => {
                self.tok("tier", kw);
                self.sp();
                self.ident(&t.name);
                self.tier_body(t, d.span);
            }
            DeclKind::Stages(names) => {
                self.tok("stages", kw);
                let one = !self.has_comment(d.span) && {
                    let w: usize = names.iter().map(|n| Self::variant_width(n) + 2).sum();
                    self.column() + w <= MAX_WIDTH
                };
                if one {
                    for (i, n) in names.iter().enumerate() {
                        if i > 0 {
                            self.emit(",");
                        }
                        self.sp();
                        self.variant(n);
                    }
                } else {
                    self.nl();
                    self.indent += 1;
                    for n in names {
                        self.item(n.name.span.start as usize);
                        self.variant(n);
                        self.emit(",");
                    }
                    self.nl();
                    self.indent -= 1;
                }
            }
            DeclKind::Transition(t) => {
                self.tok("transition", kw);
                self.sp();
                match (&t.from, t.any_span) {
                    (Some(f), _) => self.ident(f),
                    (None, Some(s)) => self.tok("any", s.start as usize),
                    (None, None) => self.kw("any"),
                }
                self.sp();
                self.kw("->");
                self.sp();
                self.ident(&t.to);
                self.sp();
                self.kw("when");
                self.sp();
                self.expr(&t.cond);
            }
            DeclKind::Test(t) => {
                self.tok("test", kw);
                self.sp();
                self.string(&t.name.value, t.name.span);
                self.test_body(t, d.span);
            }
        }
    }

    fn named(&mut self, kw: &str, pos: usize, n: &NamedExpr) {
        self.tok(kw, pos);
        self.sp();
        self.ident(&n.name);
        self.sp();
        self.kw("=");
        self.sp();
        self.expr(&n.value);
    }

    // ------------------------------------------------------------ fields and types

    /// `{ a: int, b: string }` on the current line.
    fn field_line(&mut self, fields: &[FieldDecl]) {
        self.braced_line(fields, Self::field);
    }

    /// ` { item, item }` on the current line (` {}` when there is none).
    fn braced_line<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.sp();
        self.kw("{");
        if items.is_empty() {
            self.kw("}");
            return;
        }
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.emit(",");
            }
            self.sp();
            item(self, x);
        }
        self.sp();
        self.kw("}");
    }

    fn field_block(&mut self, block: &FieldBlock, span: Span) {
        if block.is_empty() && block.missing.is_none() && !self.has_comment(span) {
            self.sp();
            self.kw("{");
            self.kw("}");
            return;
        }
        self.open_block();
        if let Some(m) = &block.missing {
            self.item(m.span.start as usize);
            self.missing(m);
        }
        for f in block {
            self.item(f.span.start as usize);
            self.field(f);
        }
        self.close_block(span.end as usize);
    }

    /// `name: type [from "NAME"] [missing "TEXT", …]`
    fn field(&mut self, f: &FieldDecl) {
        self.ident(&f.name);
        self.kw(":");
        self.sp();
        self.ty(&f.ty);
        if let Some(src) = &f.source {
            self.sp();
            self.kw("from");
            self.sp();
            self.string(&src.value, src.span);
        }
        if let Some(m) = &f.missing {
            self.sp();
            self.missing(m);
        }
    }

    /// `missing "TEXT", …` on the current line.
    fn missing(&mut self, m: &Missing) {
        self.tok("missing", m.span.start as usize);
        for (i, t) in m.texts.iter().enumerate() {
            if i > 0 {
                self.emit(",");
            }
            self.sp();
            self.string(&t.value, t.span);
        }
    }

    /// A value or stage with its labels: `vp "Vice President" "VP"`.
    fn variant(&mut self, v: &Variant) {
        self.ident(&v.name);
        for l in &v.labels {
            self.sp();
            self.string(&l.value, l.span);
        }
    }

    /// The width of a variant with its labels, escapes aside.
    fn variant_width(v: &Variant) -> usize {
        Self::width(&v.name.name)
            + v.labels
                .iter()
                .map(|l| Self::width(&l.value) + 3)
                .sum::<usize>()
    }

    fn ty(&mut self, t: &TypeExpr) {
        let pos = t.span.start as usize;
        match &t.kind {
            TypeKind::Int => self.tok("int", pos),
            TypeKind::Number => self.tok("number", pos),
            TypeKind::Bool => self.tok("bool", pos),
            TypeKind::String => self.tok("string", pos),
            TypeKind::Time => self.tok("time", pos),
            TypeKind::Duration => self.tok("duration", pos),
            TypeKind::List(inner) => {
                self.tok("list", pos);
                self.kw("<");
                self.ty(inner);
                self.kw(">");
            }
            TypeKind::Enum(vs) => {
                self.tok("enum", pos);
                let one = !self.has_comment(t.span) && {
                    let w: usize = vs.iter().map(|v| Self::variant_width(v) + 2).sum();
                    self.column() + w + 4 <= MAX_WIDTH
                };
                if one {
                    self.braced_line(vs, Self::variant);
                } else {
                    let outer_cont = self.cont;
                    self.open_block();
                    for v in vs {
                        self.item(v.name.span.start as usize);
                        self.variant(v);
                    }
                    self.close_block(t.span.end as usize);
                    self.cont = outer_cont;
                }
            }
        }
    }

    // ------------------------------------------------------------ scores and tiers

    fn score_body(&mut self, s: &ScoreDecl, span: Span) {
        if s.options.is_empty() && s.rules.is_empty() && !self.has_comment(span) {
            self.sp();
            self.kw("{");
            self.kw("}");
            return;
        }
        self.open_block();
        for o in &s.options {
            self.item(o.span.start as usize);
            match &o.kind {
                ScoreOptionKind::Decay(d) => {
                    self.kw("decay");
                    self.sp();
                    match d {
                        Decay::None => self.kw("none"),
                        Decay::HalfLife(e) => {
                            self.kw("half_life");
                            self.sp();
                            self.expr(e);
                        }
                        Decay::Linear(e) => {
                            self.kw("linear");
                            self.sp();
                            self.expr(e);
                        }
                        Decay::Step { percent, every } => {
                            self.expr(percent);
                            if matches!(percent.kind, ExprKind::Name(_)) {
                                self.kw("%");
                            }
                            self.sp();
                            self.kw("every");
                            self.sp();
                            self.expr(every);
                        }
                    }
                }
                ScoreOptionKind::Range { lo, hi } => {
                    self.kw("range");
                    self.sp();
                    self.expr(lo);
                    self.sp();
                    self.kw("to");
                    self.sp();
                    self.expr(hi);
                }
            }
        }
        // Widths of the rule heads, aligned within runs without a blank line.
        let heads: Vec<Option<usize>> = s
            .rules
            .iter()
            .map(|r| {
                let h = self.measure(r.span.start as usize, |m| m.rule_head(r));
                (!h.contains('\n')).then(|| Self::width(&h))
            })
            .collect();
        let mut pad = vec![0usize; s.rules.len()];
        let mut i = 0;
        while i < s.rules.len() {
            let mut j = i + 1;
            while j < s.rules.len()
                && !self.has_blank_line(
                    s.rules[j - 1].span.end as usize,
                    s.rules[j].span.start as usize,
                )
            {
                j += 1;
            }
            let w = heads[i..j].iter().flatten().copied().max().unwrap_or(0);
            for k in i..j {
                pad[k] = heads[k].map(|h| w - h).unwrap_or(0);
            }
            i = j;
        }
        for (r, pad) in s.rules.iter().zip(pad) {
            self.item(r.span.start as usize);
            self.rule_head(r);
            self.sp();
            self.emit(&" ".repeat(pad));
            self.kw("=>");
            self.sp();
            self.expr(&r.points);
            if let Some(cap) = &r.cap {
                self.sp();
                self.kw("up");
                self.sp();
                self.kw("to");
                self.sp();
                self.expr(cap);
            }
        }
        self.close_block(span.end as usize);
    }

    fn rule_head(&mut self, r: &Rule) {
        match &r.kind {
            RuleKind::Cond(e) => self.expr(e),
            RuleKind::Each(q) => {
                self.kw("each");
                self.sp();
                self.query(q);
            }
            RuleKind::Latest(q) => {
                self.kw("latest");
                self.sp();
                self.query(q);
            }
        }
    }

    fn tier_body(&mut self, t: &TierDecl, span: Span) {
        if t.arms.is_empty() && !self.has_comment(span) {
            self.sp();
            self.kw("{");
            self.kw("}");
            return;
        }
        let w = t
            .arms
            .iter()
            .map(|a| Self::width(&a.label.name))
            .max()
            .unwrap_or(0);
        self.open_block();
        for a in &t.arms {
            self.item(a.span.start as usize);
            self.ident(&a.label);
            self.sp();
            self.emit(&" ".repeat(w - Self::width(&a.label.name)));
            match &a.cond {
                Some(c) => {
                    self.kw("when");
                    self.sp();
                    self.expr(c);
                }
                None => self.kw("otherwise"),
            }
        }
        self.close_block(span.end as usize);
    }

    // ------------------------------------------------------------ tests

    fn test_body(&mut self, t: &TestDecl, span: Span) {
        if t.items.is_empty() && !self.has_comment(span) {
            self.sp();
            self.kw("{");
            self.kw("}");
            return;
        }
        self.open_block();
        for it in &t.items {
            let pos = it.span.start as usize;
            self.item(pos);
            match &it.kind {
                TestItemKind::AsOf(e) => {
                    self.tok("as_of", pos);
                    self.sp();
                    self.expr(e);
                }
                TestItemKind::Expect(e) => {
                    self.tok("expect", pos);
                    self.sp();
                    self.expr(e);
                }
                TestItemKind::Lead(fields) => {
                    self.tok("lead", pos);
                    self.lit_fields(fields, it.span, 0);
                }
                TestItemKind::Events(evs) => {
                    self.tok("events", pos);
                    if evs.is_empty() && !self.has_comment(it.span) {
                        self.sp();
                        self.kw("{");
                        self.kw("}");
                        continue;
                    }
                    self.open_block();
                    for e in evs {
                        self.item(e.span.start as usize);
                        self.ident(&e.event);
                        let extra = match &e.when {
                            EventWhen::At(x) | EventWhen::Ago(x) => {
                                Self::width(self.text(x.span.start as usize, x.span.end as usize))
                                    + 5
                            }
                        };
                        self.lit_fields(&e.fields, e.span, extra);
                        self.sp();
                        match &e.when {
                            EventWhen::At(x) => {
                                self.kw("at");
                                self.sp();
                                self.expr(x);
                            }
                            EventWhen::Ago(x) => {
                                self.expr(x);
                                self.sp();
                                self.kw("ago");
                            }
                        }
                    }
                    self.close_block(it.span.end as usize);
                }
            }
        }
        self.close_block(span.end as usize);
    }

    /// `{ a: 1, b: "x" }` when it fits and holds no comment, else one field
    /// per line. `span` is the literal's owner (the comments are looked for
    /// in the braces).
    fn lit_fields(&mut self, fields: &[LitField], span: Span, extra: usize) {
        let one = !self.has_comment(span) && {
            let col = self.column();
            let cur = self.cursor;
            let s = self.measure(cur, |m| m.lit_line(fields));
            !s.contains('\n') && col + Self::width(&s) + extra <= MAX_WIDTH
        };
        if one {
            self.lit_line(fields);
            return;
        }
        let outer_cont = self.cont;
        self.open_block();
        for f in fields {
            self.item(f.span.start as usize);
            self.ident(&f.name);
            self.kw(":");
            self.sp();
            self.expr(&f.value);
        }
        // The closing brace: the first `}` after the last field.
        let last = fields
            .last()
            .map(|f| f.span.end as usize)
            .unwrap_or(self.cursor);
        let i = self.code.partition_point(|t| t.start < last);
        let close = self.code[i..]
            .iter()
            .find(|t| self.text(t.start, t.end) == "}")
            .map(|t| t.end)
            .unwrap_or(last + 1);
        self.close_block(close);
        self.cont = outer_cont;
    }

    fn lit_line(&mut self, fields: &[LitField]) {
        self.braced_line(fields, |s, f| {
            s.ident(&f.name);
            s.kw(":");
            s.sp();
            s.expr(&f.value);
        });
    }

    // ------------------------------------------------------------ expressions

    fn query(&mut self, q: &Query) {
        self.ident(&q.event);
        if let Some(f) = &q.filter {
            self.sp();
            self.kw("where");
            self.sp();
            self.expr(f);
        }
        if let Some(w) = &q.within {
            self.sp();
            self.kw("within");
            self.sp();
            self.expr(w);
        }
    }

    fn string(&mut self, value: &str, span: Span) {
        let mut s = String::with_capacity(value.len() + 2);
        s.push('"');
        for ch in value.chars() {
            match ch {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                c if c.is_control() => s.push_str(&format!("\\u{{{:X}}}", c as u32)),
                c => s.push(c),
            }
        }
        s.push('"');
        // The cursor follows the source, not the printed text: a string
        // written with escapes (`\u{0}`) is longer than it was in the file,
        // and must not carry the cursor past the comments after it.
        self.flush_before(span.start as usize);
        self.emit(&s);
        self.cursor = self.cursor.max(span.end as usize);
    }

    fn expr(&mut self, e: &Expr) {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, || self.expr_inner(e));
    }

    fn expr_inner(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Duration(_)
            | ExprKind::Time(_)
            | ExprKind::Percent(_) => self.span_text(e.span),
            ExprKind::Str(s) => self.string(s, e.span),
            ExprKind::Bool(b) => self.tok(if *b { "true" } else { "false" }, e.span.start as usize),
            ExprKind::Name(n) => self.ident(n),
            ExprKind::Unary(op, inner) => {
                match op {
                    UnaryOp::Neg => self.kw("-"),
                    UnaryOp::Plus => self.kw("+"),
                    UnaryOp::Not => {
                        self.kw("not");
                        self.sp();
                    }
                }
                self.expr(inner);
            }
            ExprKind::Binary(op, l, r) => {
                self.expr(l);
                self.sp();
                if *op == BinaryOp::NotIn {
                    self.kw("not");
                    self.sp();
                    self.kw("in");
                } else {
                    self.kw(op.as_str());
                }
                self.sp();
                self.expr(r);
            }
            ExprKind::Between { value, lo, hi } => {
                self.expr(value);
                self.sp();
                self.kw("between");
                self.sp();
                self.expr(lo);
                self.sp();
                self.kw("and");
                self.sp();
                self.expr(hi);
            }
            ExprKind::Call { func, args } => {
                self.ident(func);
                self.kw("(");
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.emit(", ");
                    }
                    self.expr(a);
                }
                self.kw(")");
            }
            ExprKind::Query(q) => self.query(q),
            ExprKind::Paren(inner) => {
                self.kw("(");
                self.expr(inner);
                self.kw(")");
            }
            ExprKind::List(items) => self.list(items, e.span),
        }
    }

    fn list(&mut self, items: &[Expr], span: Span) {
        let one = items.is_empty()
            || (!self.has_comment(span) && {
                let col = self.column();
                let cur = self.cursor;
                let s = self.measure(cur, |m| m.list_line(items));
                !s.contains('\n') && col + Self::width(&s) <= MAX_WIDTH
            });
        if one {
            self.list_line(items);
            if items.is_empty() {
                self.cursor = self.cursor.max(span.end as usize);
            }
            return;
        }
        let outer_cont = self.cont;
        self.kw("[");
        self.nl();
        self.indent += 1;
        for it in items {
            self.item(it.span.start as usize);
            self.expr(it);
            self.emit(",");
        }
        let close = self.code_end(span.end as usize).saturating_sub(1);
        self.nl();
        self.flush_before(close);
        self.nl();
        self.want_blank = false;
        self.indent -= 1;
        self.cont = outer_cont;
        self.tok("]", close);
    }

    fn list_line(&mut self, items: &[Expr]) {
        self.kw("[");
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.emit(", ");
            }
            self.expr(it);
        }
        self.kw("]");
    }
}
