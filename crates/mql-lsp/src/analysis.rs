//! Everything the features know about one open model at one moment: its
//! files (root first, then what it uses), the editor's name index built from
//! their trees, and the checker's result from the shared salsa database.

use std::sync::Arc;

use mql_db::{Database, Db};
use mql_sema::Checked;
use mql_syntax::ast::DeclKind;

use crate::index::{FileData, Index};

pub struct Analysis {
    pub index: Index,
    pub checked: Arc<Checked>,
}

impl Analysis {
    /// Check the model rooted at `path` and index it. Salsa may cancel this
    /// (a newer edit arrived); callers run it under `Cancelled::catch`.
    pub fn new(db: &Database, path: &str) -> Analysis {
        Analysis::build(db, path, true)
    }

    /// Only what diagnostics need: the check and the files' line tables,
    /// without the name index.
    pub fn for_diagnostics(db: &Database, path: &str) -> Analysis {
        Analysis::build(db, path, false)
    }

    fn build(db: &Database, path: &str, with_index: bool) -> Analysis {
        let root = db.file(path);
        let checked = mql_db::check(db, root).0.clone();
        let mut files = Vec::new();
        let mut seen: Vec<Arc<str>> = Vec::new();
        collect(db, root, &mut files, &mut seen);
        let index = if with_index {
            Index::build(files)
        } else {
            Index::files_only(files)
        };
        Analysis { index, checked }
    }

    pub fn root(&self) -> &FileData {
        &self.index.files[0]
    }

    /// The checker's facts about the definition declared at `span` of `file`
    /// (its type as written, a score's reachable range).
    pub fn sema_def(&self, file: &str, span: mql_core::Span) -> Option<&mql_sema::index::Def> {
        self.checked
            .index
            .defs
            .iter()
            .find(|d| &*d.file == file && d.span == span)
    }
}

/// Depth-first over `use`s, each file once (as the checker loads them).
fn collect(
    db: &Database,
    file: mql_db::SourceFile,
    out: &mut Vec<FileData>,
    seen: &mut Vec<Arc<str>>,
) {
    let path = file.path(db).clone();
    if seen.contains(&path) {
        return;
    }
    seen.push(path.clone());
    let text = file.text(db).clone().unwrap_or_else(|| Arc::from(""));
    let ast = mql_db::parse(db, file).0.clone();
    out.push(FileData::new(path.clone(), text, ast.clone()));
    for decl in &ast.decls {
        if let DeclKind::Use(s) = &decl.kind {
            let used = mql_db::resolve_use(&path, &s.value);
            let used = db.file(&used);
            if used.text(db).is_some() {
                collect(db, used, out, seen);
            }
        }
    }
}
