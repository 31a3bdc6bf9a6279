//! Byte spans into a source text, and conversion to line/column positions.

use serde::Serialize;

/// A half-open byte range `start..end` into one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }

    /// Shift by `delta` bytes (used when a declaration is parsed on its own).
    pub fn shifted(self, delta: usize) -> Span {
        Span {
            start: self.start + delta as u32,
            end: self.end + delta as u32,
        }
    }
}

/// Maps byte offsets of one text to 1-based lines and columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        LineIndex {
            line_starts,
            len: text.len() as u32,
        }
    }

    /// 0-based line of a byte offset (clamped to the text).
    pub fn line0(&self, offset: u32) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: u32) -> usize {
        self.line0(offset) + 1
    }

    /// Byte offset where a 0-based line starts (None past the end).
    pub fn line_start(&self, line0: usize) -> Option<u32> {
        self.line_starts.get(line0).copied()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and 1-based column counted in Unicode scalar values.
    pub fn line_col(&self, text: &str, offset: u32) -> (usize, usize) {
        let line0 = self.line0(offset);
        let start = self.line_starts[line0] as usize;
        let mut end = (offset.min(self.len)) as usize;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let col = text.get(start..end).map(|s| s.chars().count()).unwrap_or(0);
        (line0 + 1, col + 1)
    }
}
