//! Conversion between byte offsets (what the parser and checker speak) and LSP
//! positions (0-based line, column in UTF-16 code units, the protocol default).

use mql_ide::Span;
use tower_lsp_server::ls_types::{Position, Range};

/// Line starts of one text, for converting offsets both ways.
#[derive(Clone, Debug)]
pub struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines {
            starts,
            len: text.len(),
        }
    }

    /// The LSP position of a byte offset (clamped to the text; an offset inside
    /// a multi-byte character counts from that character's start).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len).min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let column: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, column as u32)
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start as usize),
            self.position(text, span.end as usize),
        )
    }

    /// The byte offset of an LSP position. A column past the end of its line
    /// means the line's end; a line past the end of the text means the text's
    /// end. A column inside a surrogate pair rounds down to the character.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map(|e| e - 1)
            .unwrap_or(self.len)
            .min(text.len());
        let line = text.get(start..end).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            let next = units + c.len_utf16();
            if next > pos.character as usize {
                return start + i;
            }
            units = next;
        }
        start + line.len()
    }

    pub fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "// é😀x\nlet a = \"😀\"\n";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap_or(0);
        // `/`, `/`, ` `, `é` (1 unit), `😀` (2 units) → x at column 6.
        assert_eq!(lines.position(text, x), Position::new(0, 6));
        assert_eq!(lines.offset(text, Position::new(0, 6)), x);
        // Inside the surrogate pair rounds down to the emoji's start.
        let emoji = text.find('😀').unwrap_or(0);
        assert_eq!(lines.offset(text, Position::new(0, 5)), emoji);
        // Past the end of a line: the line's end; past the last line: the end.
        assert_eq!(
            lines.offset(text, Position::new(0, 99)),
            text.find('\n').unwrap_or(0)
        );
        assert_eq!(lines.offset(text, Position::new(99, 0)), text.len());
        let second = text.rfind('😀').unwrap_or(0);
        assert_eq!(lines.position(text, second + 4), Position::new(1, 11));
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let text = "é";
        let lines = Lines::new(text);
        assert_eq!(lines.position(text, 1), Position::new(0, 0));
        assert_eq!(lines.position(text, 99), Position::new(0, 1));
    }
}
