//! One model as the features see it: the file it is rooted at, the texts
//! and syntax trees of its files, the checker's result and its name index.
//! A file open on its own (a shared schema, say) is the root of its own
//! model.

use std::sync::Arc;

use mql_core::Span;
use mql_db::{Database, Db, SourceFile};
use mql_sema::index::{Def, Hit, NameIndex, Target};
use mql_sema::Checked;

use crate::{FilePosition, Workspace, MAX_WORKSPACE_FILES};

/// The text of a file (empty when it can't be read).
pub fn text(db: &Database, path: &str) -> Arc<str> {
    db.file(path)
        .text(db)
        .clone()
        .unwrap_or_else(|| Arc::from(""))
}

/// The syntax tree of a file.
pub fn ast(db: &Database, path: &str) -> Arc<mql_syntax::SourceFile> {
    mql_db::parse(db, db.file(path)).0.clone()
}

/// A definition's identity across models: its file and the span of its
/// name. The same declaration seen from two models (a shared file both
/// `use`) is one thing.
pub type DefKey = (Arc<str>, Span);

pub struct Model<'db> {
    pub db: &'db Database,
    pub root: SourceFile,
    pub path: Arc<str>,
    pub index: Arc<NameIndex>,
}

impl<'db> Model<'db> {
    /// The model rooted at `path`.
    pub fn new(db: &'db Database, path: &str) -> Model<'db> {
        let root = db.file(path);
        let index = mql_db::name_index(db, root).0.clone();
        Model {
            db,
            root,
            path: root.path(db).clone(),
            index,
        }
    }

    pub fn checked(&self) -> Arc<Checked> {
        mql_db::check(self.db, self.root).0.clone()
    }

    /// The model's files, the root first.
    pub fn files(&self) -> Vec<Arc<str>> {
        mql_db::prepared(self.db, self.root)
            .0
            .files()
            .iter()
            .map(|f| f.path.clone())
            .collect()
    }

    pub fn text(&self, path: &str) -> Arc<str> {
        text(self.db, path)
    }

    pub fn ast(&self, path: &str) -> Arc<mql_syntax::SourceFile> {
        ast(self.db, path)
    }

    pub fn def(&self, id: usize) -> Option<&Def> {
        self.index.def(id)
    }

    /// The name at a position of this model's root file.
    pub fn hit(&self, offset: usize) -> Option<Hit> {
        self.index.at(&self.path, offset)
    }

    /// The definition the name at `offset` of the root file refers to.
    pub fn def_at(&self, offset: usize) -> Option<(usize, Hit)> {
        let hit = self.hit(offset)?;
        match hit.target {
            Target::Def(d) => Some((d, hit)),
            Target::Builtin(_) => None,
        }
    }

    pub fn key(&self, id: usize) -> Option<DefKey> {
        self.def(id).map(|d| (d.file.clone(), d.span))
    }

    /// The definition with identity `key` in this model.
    pub fn find(&self, key: &DefKey) -> Option<usize> {
        self.index
            .defs
            .iter()
            .position(|d| d.span == key.1 && d.file == key.0)
    }

    /// The definitions belonging to `id` (an event's fields, a field's
    /// values, a tier's labels), in order.
    pub fn children(&self, id: usize) -> Vec<usize> {
        self.index.children(id).collect()
    }
}

/// The position's model: the one rooted at its file.
pub fn at<'db>(db: &'db Database, pos: &FilePosition) -> Model<'db> {
    Model::new(db, &pos.path)
}

/// The roots of the models of a workspace: the open files, then every
/// `.mql` file of its folders.
pub fn workspace_roots(db: &Database, ws: &Workspace) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let open = ws.open.iter().cloned();
    let listed = ws
        .folders
        .iter()
        .flat_map(|f| db.fs().mql_files(f, MAX_WORKSPACE_FILES));
    for p in open.chain(listed) {
        let key = mql_db::normalize(std::path::Path::new(&p));
        if seen.insert(key.clone()) {
            out.push(key);
        }
        if out.len() >= MAX_WORKSPACE_FILES {
            break;
        }
    }
    out
}
