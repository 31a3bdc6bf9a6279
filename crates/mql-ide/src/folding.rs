//! Folding ranges (blocks in braces and brackets over several lines,
//! declarations over several lines, runs of comment lines) and selection
//! ranges (from the word under the cursor out through the expressions,
//! the rule or field, the declaration and the whole file).

use std::collections::HashMap;

use mql_core::Span;
use mql_db::Database;

use crate::lex::{self, Kind};
use crate::model;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    /// A block, a list or a declaration.
    Region,
    /// Comment lines.
    Comment,
}

/// A part of a file that can be folded: from the line of `span.start` to
/// the line of `span.end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub span: Span,
    pub kind: FoldKind,
}

fn line_of(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset).saturating_sub(1)
}

pub fn folding_ranges(db: &Database, path: &str) -> Vec<Fold> {
    let text = model::text(db, path);
    let text = &*text;
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line = |o: usize| line_of(&starts, o);
    // One fold per starting line: the largest.
    let mut by_line: HashMap<usize, Fold> = HashMap::new();
    let mut add = |f: Fold| {
        let l = line(f.span.start as usize);
        if line(f.span.end as usize) <= l {
            return;
        }
        match by_line.get(&l) {
            Some(old) if old.span.end >= f.span.end => {}
            _ => {
                by_line.insert(l, f);
            }
        }
    };
    let toks = lex::scan(text);
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut comments: Option<(usize, usize, usize)> = None; // (start, end, last line)
    let flush = |c: Option<(usize, usize, usize)>, add: &mut dyn FnMut(Fold)| {
        if let Some((s, e, _)) = c {
            add(Fold {
                span: Span::new(s, e),
                kind: FoldKind::Comment,
            });
        }
    };
    for (i, t) in toks.iter().enumerate() {
        let w = t.text(text);
        match t.kind {
            Kind::Comment | Kind::DocComment => {
                // A comment alone on its line continues a run of them.
                let l = line(t.start);
                let alone = i == 0 || line(toks[i - 1].end) < l;
                match comments {
                    Some((s, _, last)) if alone && last + 1 == l => comments = Some((s, t.end, l)),
                    _ => {
                        flush(comments.take(), &mut add);
                        if alone {
                            comments = Some((t.start, t.end, l));
                        }
                    }
                }
                continue;
            }
            Kind::Punct => match w {
                "{" | "[" | "(" => open.push((w, t.start)),
                "}" | "]" | ")" => {
                    if let Some((_, s)) = open.pop() {
                        add(Fold {
                            span: Span::new(s, t.end),
                            kind: FoldKind::Region,
                        });
                    }
                }
                _ => {}
            },
            _ => {}
        }
        flush(comments.take(), &mut add);
    }
    flush(comments.take(), &mut add);
    for d in &model::ast(db, path).decls {
        add(Fold {
            span: Span::new(d.keyword.start as usize, d.span.end as usize),
            kind: FoldKind::Region,
        });
    }
    let mut out: Vec<Fold> = by_line.into_values().collect();
    out.sort_by_key(|f| (f.span.start, f.span.end));
    out
}

/// For each offset, the spans that hold it, innermost first, each inside
/// the next.
pub fn selection_ranges(db: &Database, path: &str, offsets: &[usize]) -> Vec<Vec<Span>> {
    let text = model::text(db, path);
    let ast = model::ast(db, path);
    let toks = lex::scan(&text);
    offsets
        .iter()
        .map(|&offset| {
            let mut spans = Vec::new();
            if let Some(d) = ast.decls.iter().find(|d| {
                d.span.start.min(d.keyword.start) as usize <= offset
                    && offset <= d.span.end as usize
            }) {
                if let Some(doc) = &d.doc {
                    spans.push(doc.span.to(d.span));
                }
                spans.extend(mql_sema::incr::spans_of(d));
            }
            if let Some(t) = toks
                .iter()
                .find(|t| t.start <= offset && offset <= t.end && t.kind != Kind::Punct)
            {
                spans.push(Span::new(t.start, t.end));
            }
            // without the white space the parser leaves at their ends
            for s in &mut spans {
                *s = trim_end(&text, *s);
            }
            spans.push(Span::new(0, text.len()));
            spans.retain(|s| s.contains(offset));
            // outermost first; keep each only when inside the one before
            spans.sort_by_key(|s| (std::cmp::Reverse(s.len()), s.start));
            let mut nested: Vec<Span> = Vec::new();
            for s in spans {
                let inside = nested
                    .last()
                    .is_none_or(|o| o.start <= s.start && s.end <= o.end && *o != s);
                if inside {
                    nested.push(s);
                }
            }
            nested.reverse();
            nested
        })
        .collect()
}

/// `span` without the white space at its end.
pub fn trim_end(text: &str, span: Span) -> Span {
    match text.get(span.range()) {
        Some(s) => Span::new(
            span.start as usize,
            span.start as usize + s.trim_end().len(),
        ),
        None => span,
    }
}
