//! Small fixtures for the feature tests: one or more files (`//- /path`
//! starts a file; without one the text is `/ws/main.mql`), a cursor marked
//! `$0`, and helpers that draw answers under the text they are about.

use std::collections::BTreeMap;
use std::sync::Arc;

use mql_ide::{Analysis, AnalysisHost, FilePosition, MemoryFs, Span, Workspace};

pub struct Fixture {
    pub host: AnalysisHost,
    /// Each file's text, by path.
    pub files: BTreeMap<String, String>,
    /// Where `$0` was.
    pub cursor: Option<FilePosition>,
}

pub const MAIN: &str = "/ws/main.mql";

impl Fixture {
    /// Every file is on "disk"; the file with the cursor is also open in
    /// the editor.
    pub fn new(text: &str) -> Fixture {
        let fs = MemoryFs::new();
        let mut files = BTreeMap::new();
        let mut cursor = None;
        let mut sections: Vec<(String, String)> = Vec::new();
        if text.trim_start().starts_with("//- ") {
            for part in text.split("//- ").filter(|p| !p.trim().is_empty()) {
                let (path, body) = part.split_once('\n').unwrap_or((part, ""));
                sections.push((path.trim().to_string(), body.to_string()));
            }
        } else {
            sections.push((MAIN.to_string(), text.to_string()));
        }
        for (path, body) in sections {
            let body = match body.find("$0") {
                Some(at) => {
                    cursor = Some(FilePosition {
                        path: path.clone(),
                        offset: at,
                    });
                    body.replacen("$0", "", 1)
                }
                None => body,
            };
            fs.insert(&path, &body);
            files.insert(path, body);
        }
        let mut host = AnalysisHost::with_fs(Arc::new(fs.clone()));
        if let Some(c) = &cursor {
            host.set_text(&c.path, &files[&c.path]);
        }
        Fixture {
            host,
            files,
            cursor,
        }
    }

    pub fn analysis(&self) -> Analysis {
        self.host.analysis()
    }

    pub fn pos(&self) -> FilePosition {
        self.cursor
            .clone()
            .expect("the fixture marks the cursor with $0")
    }

    pub fn text(&self, path: &str) -> &str {
        self.files.get(path).map_or("", String::as_str)
    }

    /// The workspace: the folder `/ws`, with the cursor's file open.
    pub fn workspace(&self) -> Workspace {
        Workspace {
            folders: vec!["/ws".into()],
            open: self.cursor.iter().map(|c| c.path.clone()).collect(),
        }
    }
}

/// The source with a line under each line that holds a marked span (`^`)
/// or the cursor (`$`), only the lines with marks and the one before.
pub fn draw(text: &str, spans: &[Span]) -> String {
    let mut out = String::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let mut marks = String::new();
        for (i, _) in body
            .char_indices()
            .chain(std::iter::once((body.len(), ' ')))
        {
            let at = (line_start + i) as u32;
            let hit = spans
                .iter()
                .any(|s| (s.start <= at && at < s.end) || (s.is_empty() && s.start == at));
            marks.push(if hit { '^' } else { ' ' });
        }
        let marks = marks.trim_end();
        if !marks.is_empty() {
            out.push_str(body);
            out.push('\n');
            out.push_str(marks);
            out.push('\n');
        }
        line_start += line.len();
    }
    out
}

/// Compare with an expected text, ignoring the indentation of the raw
/// string it is written in and its first and last line breaks.
#[track_caller]
pub fn check(actual: &str, expected: &str) {
    let expected = trim_indent(expected);
    let actual = actual.trim_end();
    if actual != expected {
        panic!("\n--- expected\n{expected}\n--- actual\n{actual}\n---\n");
    }
}

fn trim_indent(s: &str) -> String {
    let s = s.strip_prefix('\n').unwrap_or(s);
    let indent = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    s.lines()
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_string()
}
