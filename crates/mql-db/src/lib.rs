//! The incremental database shared by the CLI and the language server: source
//! files are salsa inputs, parsing and checking are tracked functions that
//! return their diagnostics as values. `use`d files are loaded through the
//! database too, so an edit to a used file (saved or only open in an editor)
//! re-checks exactly the models that include it.
//!
//! Checking is split per declaration (like rust-analyzer's item trees): each
//! declaration is a tracked [`DeclItem`] keyed by kind and name, holding its
//! syntax tree in its own coordinates; [`check_decl`] checks it against the
//! model's position-free [`signatures`], and [`check`] assembles the
//! results, moved back to file offsets.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use mql_sema::incr::{self, DeclChecks, DeclResult, RelDecl, Signatures};
use mql_sema::{Checked, FileSource, Loader, NameIndex};
use mql_syntax::ast;
use salsa::Setter;

pub mod fs;
mod retire;
pub use fs::{FileSystem, MemoryFs, RealFs};

/// One source file. `text` is `None` when the file could not be read (missing,
/// deleted, not UTF-8); `error` then says why.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: Arc<str>,
    #[returns(ref)]
    pub text: Option<Arc<str>>,
    #[returns(ref)]
    pub error: Option<String>,
}

/// What the pipeline's queries need from a database.
#[salsa::db]
pub trait Db: salsa::Database {
    /// The file at `path` (normalised), read from disk on first use unless an
    /// editor has set its text.
    fn file(&self, path: &str) -> SourceFile;

    /// The file system files are read from.
    fn fs(&self) -> &dyn FileSystem;
}

/// A parsed file; compared by content so unchanged parses stop re-checking.
/// When it was parsed piece by piece, also each declaration in its own
/// coordinates (shared with the pieces' own results, so a declaration an
/// edit did not touch is the same value as before).
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed(
    pub Arc<mql_syntax::SourceFile>,
    pub Option<Arc<[SharedDecl]>>,
);

/// A declaration in its own coordinates, shared; compared by identity
/// first, then by content.
#[derive(Clone, Debug)]
pub struct SharedDecl(pub Arc<RelDecl>);

impl PartialEq for SharedDecl {
    fn eq(&self, other: &SharedDecl) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

/// A checked model. Compared by identity: a new check result is always new.
#[derive(Clone, Debug)]
pub struct CheckResult(pub Arc<Checked>);

impl Drop for CheckResult {
    fn drop(&mut self) {
        retire::retire_last(&self.0);
    }
}

impl PartialEq for CheckResult {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Parse one file (an unreadable file parses as empty).
///
/// The file is cut into pieces at lines that start a declaration (see
/// [`pieces`]) and each piece is parsed on its own and remembered, so an edit
/// re-parses only the piece it touches. The parser splits files at the same
/// places, so the result is the same tree; when any piece has a syntax error
/// the whole file is parsed at once instead, so errors are reported exactly
/// as by a plain parse.
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> Parsed {
    let text = file.text(db).as_deref().unwrap_or("");
    let cuts = pieces(text);
    if cuts.len() < 2 {
        return Parsed(Arc::new(mql_syntax::parse(text)), None);
    }
    let mut out = mql_syntax::SourceFile::default();
    let mut rel = Vec::new();
    for (k, &a) in cuts.iter().enumerate() {
        let b = cuts.get(k + 1).copied().unwrap_or(text.len());
        let piece = Piece::new(db, text[a..b].to_string());
        let parsed = &parse_piece(db, piece).0;
        if !parsed.diagnostics.is_empty() {
            return Parsed(Arc::new(mql_syntax::parse(text)), None);
        }
        for d in &parsed.decls {
            let mut d = d.clone();
            incr::shift_decl(&mut d, a as u32);
            out.decls.push(d);
        }
        rel.extend(piece_decls(db, piece).iter().cloned());
    }
    Parsed(Arc::new(out), Some(rel.into()))
}

/// The declarations of a piece, each in its own coordinates.
#[salsa::tracked(returns(ref))]
pub fn piece_decls<'db>(db: &'db dyn Db, piece: Piece<'db>) -> Vec<SharedDecl> {
    let text = piece.text(db);
    parse_piece(db, piece)
        .0
        .decls
        .iter()
        .map(|d| SharedDecl(Arc::new(incr::relative_decl(d, text))))
        .collect()
}

/// A piece of a file's text that starts at a declaration (with its doc
/// comment). Its identity is its text: a piece that an edit leaves alone is
/// the same piece in the next revision, and is not parsed again.
#[salsa::tracked(debug)]
pub struct Piece<'db> {
    #[returns(ref)]
    pub text: String,
}

/// Parse one piece of a file, in the piece's own coordinates.
#[salsa::tracked(returns(ref))]
pub fn parse_piece<'db>(db: &'db dyn Db, piece: Piece<'db>) -> Parsed {
    Parsed(Arc::new(mql_syntax::parse(piece.text(db))), None)
}

/// Byte offsets where `text` can be cut into pieces that parse on their own,
/// the first being 0: before each line that starts, at its first column,
/// with a declaration's keyword, moved up over the doc comment (`///` lines)
/// just above it. These are places where the parser starts a declaration
/// too; comments and blank lines before a cut stay with the declaration
/// above, as in the parser. No cut follows a line with a comment after code,
/// which might be the start of the next declaration's doc comment.
pub fn pieces(text: &str) -> Vec<usize> {
    let mut cuts = vec![0];
    // start of the doc comment run (blank lines allowed inside) just above
    let mut doc_start: Option<usize> = None;
    let mut after_comment = false;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let keyword = line.starts_with(|c: char| c.is_ascii_lowercase()) && {
            let word = line
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            mql_syntax::lexer::is_decl_keyword(word)
                || (word == "lead" && line[4..].trim_start().starts_with('{'))
        };
        if keyword && start > 0 && !after_comment {
            let cut = doc_start.unwrap_or(start);
            if cuts.last().is_some_and(|&last| cut > last) {
                cuts.push(cut);
            }
        }
        let t = line.trim();
        if t.is_empty() {
            // blank lines do not end a doc comment run
        } else if t.starts_with("///") && !t.starts_with("////") {
            doc_start.get_or_insert(start);
        } else {
            doc_start = None;
            after_comment = line.contains("//");
        }
    }
    cuts
}

/// Check the model whose root is `file`, with every file it `use`s.
///
/// Assembled from per-declaration checks: [`prepared`] loads the files and
/// declares every name, [`signatures`] is what declarations see of each
/// other, and [`check_decl`] checks one declaration in its own coordinates,
/// so an edit re-checks only the declarations it touches (or all of them,
/// when it changes what they see).
#[salsa::tracked(returns(ref))]
pub fn check(db: &dyn Db, file: SourceFile) -> CheckResult {
    let prep = prepared(db, file).0.clone();
    let items = model_items(db, file);
    let cached = Cached { db, items };
    CheckResult(Arc::new(incr::finish(&prep, &cached)))
}

/// The name index of the model rooted at `file`: every definition and
/// reference as the checker resolved them, the one source of names for the
/// editor's features.
#[salsa::tracked(returns(ref))]
pub fn name_index(db: &dyn Db, file: SourceFile) -> IndexResult {
    IndexResult(check(db, file).0.index.clone())
}

/// A model's name index. Compared by identity: it holds positions, so it
/// is new after every edit, and comparing it would cost more than it saves.
#[derive(Clone, Debug)]
pub struct IndexResult(pub Arc<NameIndex>);

impl PartialEq for IndexResult {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A model after its first phase (files loaded, names declared, consts
/// folded, lets typed). Compared by identity: it holds positions, so it is
/// new after every edit; [`signatures`] is the firewall after it.
#[derive(Clone, Debug)]
pub struct PreparedModel(pub Arc<incr::Prepared>);

impl Drop for PreparedModel {
    fn drop(&mut self) {
        retire::retire_last(&self.0);
    }
}

impl PartialEq for PreparedModel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Load the model whose root is `file` and run its first phase.
#[salsa::tracked(returns(ref))]
pub fn prepared(db: &dyn Db, file: SourceFile) -> PreparedModel {
    let loader = DbLoader { db };
    let root = loader.source(file);
    PreparedModel(Arc::new(incr::prepare(root, &loader)))
}

/// What the declarations of the model rooted at `file` can see of each
/// other: names, kinds, types, folded consts. Holds no positions, so it is
/// unchanged (and nothing downstream re-runs) after edits that only move
/// declarations or change a rule's body.
#[salsa::tracked(returns(ref))]
pub fn signatures(db: &dyn Db, file: SourceFile) -> Signatures {
    Signatures::of(&prepared(db, file).0)
}

/// The identity of a declaration: its kind and name (for a transition its
/// stages, for a test its title). Two declarations with the same key are
/// told apart by their order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeclKey {
    pub kind: &'static str,
    pub name: String,
}

impl std::fmt::Display for DeclKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name.is_empty() {
            f.write_str(self.kind)
        } else {
            write!(f, "{} {}", self.kind, self.name)
        }
    }
}

impl DeclKey {
    /// The key of a declaration.
    pub fn of(decl: &ast::Decl) -> DeclKey {
        use ast::DeclKind as D;
        let (kind, name) = match &decl.kind {
            D::Model(id) => ("model", id.name.clone()),
            D::Use(s) => ("use", s.value.clone()),
            D::Lead(_) => ("lead", String::new()),
            D::Event { name, .. } => ("event", name.name.clone()),
            D::Const(ne) => ("const", ne.name.name.clone()),
            D::Let(ne) => ("let", ne.name.name.clone()),
            D::Criterion(ne) => ("criterion", ne.name.name.clone()),
            D::Segment(ne) => ("segment", ne.name.name.clone()),
            D::Score(s) => ("score", s.name.name.clone()),
            D::Tier(t) => ("tier", t.name.name.clone()),
            D::Stages(_) => ("stages", String::new()),
            D::Transition(t) => {
                let from = t.from.as_ref().map_or("any", |f| f.name.as_str());
                ("transition", format!("{from} -> {}", t.to.name))
            }
            D::Test(t) => ("test", format!("\"{}\"", t.name.value)),
        };
        DeclKey { kind, name }
    }
}

/// One declaration of the model rooted at `root`, in file number `file` of
/// the model (0 is the root). Its identity (root, file, key) survives edits
/// elsewhere; its syntax tree is kept in its own coordinates, so typing in
/// another declaration leaves it unchanged.
#[salsa::tracked(debug)]
pub struct DeclItem<'db> {
    pub root: SourceFile,
    pub file: u32,
    #[returns(ref)]
    pub key: DeclKey,
    #[tracked]
    #[returns(ref)]
    pub decl: SharedDecl,
}

/// The declarations of the model rooted at `file`, in the order of
/// [`incr::Prepared::items`].
#[salsa::tracked(returns(ref))]
pub fn model_items<'db>(db: &'db dyn Db, file: SourceFile) -> Vec<DeclItem<'db>> {
    let prep = &prepared(db, file).0;
    // Each file's declarations in their own coordinates, as parsed.
    let rel: Vec<Option<Arc<[SharedDecl]>>> = prep
        .files()
        .iter()
        .map(|f| parse(db, db.file(&f.path)).1.clone())
        .collect();
    (0..prep.items().len())
        .filter_map(|k| {
            let (f, i) = prep.items()[k];
            let decl = prep.decl(k)?;
            let shared = rel
                .get(f as usize)
                .and_then(|r| r.as_ref()?.get(i).cloned())
                .unwrap_or_else(|| {
                    let text = prep.files().get(f as usize).map_or("", |x| &*x.text);
                    SharedDecl(Arc::new(incr::relative_decl(decl, text)))
                });
            Some(DeclItem::new(db, file, f, DeclKey::of(decl), shared))
        })
        .collect()
}

/// The check of one declaration, in its own coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct DeclChecked(pub DeclResult);

/// What one declaration sees of its model's signatures: compared by the
/// digest of the names it mentions (see [`Signatures::view_of`]), so a
/// change to a name the declaration does not mention (a lead field renamed
/// while typing) does not check it again.
#[derive(Clone, Debug)]
pub struct DeclView {
    pub digest: u64,
    pub signatures: Signatures,
}

impl PartialEq for DeclView {
    fn eq(&self, other: &DeclView) -> bool {
        self.digest == other.digest
    }
}

/// The view of its model's signatures that one declaration is checked
/// against.
#[salsa::tracked(returns(ref))]
pub fn decl_view<'db>(db: &'db dyn Db, item: DeclItem<'db>) -> DeclView {
    let sig = signatures(db, item.root(db));
    let d = &item.decl(db).0;
    DeclView {
        digest: sig.view_of(&d.decl, d.words()),
        signatures: sig.clone(),
    }
}

/// Check one declaration against the signatures of its model. Re-runs only
/// when the declaration's own text changes or what it sees of the other
/// declarations ([`decl_view`]).
#[salsa::tracked(returns(ref))]
pub fn check_decl<'db>(db: &'db dyn Db, item: DeclItem<'db>) -> DeclChecked {
    let view = decl_view(db, item);
    let d = &item.decl(db).0;
    DeclChecked(incr::check_decl(&view.signatures, &d.decl, &d.text))
}

/// Feeds [`incr::finish`] from the per-declaration queries.
struct Cached<'a> {
    db: &'a dyn Db,
    items: &'a [DeclItem<'a>],
}

impl DeclChecks for Cached<'_> {
    fn check_decl(&self, prep: &incr::Prepared, item: usize) -> DeclResult {
        let (Some(&it), Some(decl)) = (self.items.get(item), prep.decl(item)) else {
            return DeclResult::default();
        };
        let (file, _) = prep.items()[item];
        let start = incr::decl_start(decl);
        check_decl(self.db, it)
            .0
            .shifted(start, prep.line_of(file, start))
    }
}

struct DbLoader<'a> {
    db: &'a dyn Db,
}

impl DbLoader<'_> {
    fn source(&self, file: SourceFile) -> FileSource {
        FileSource {
            path: file.path(self.db).clone(),
            text: file.text(self.db).clone().unwrap_or_else(|| Arc::from("")),
            ast: parse(self.db, file).0.clone(),
        }
    }
}

impl Loader for DbLoader<'_> {
    fn load(&self, from: &str, relative: &str) -> Result<FileSource, String> {
        let path = resolve_use(from, relative);
        let file = self.db.file(&path);
        match file.text(self.db) {
            Some(_) => Ok(self.source(file)),
            None => Err(file
                .error(self.db)
                .clone()
                .unwrap_or_else(|| format!("cannot read `{path}`"))),
        }
    }
}

/// The path a `use "relative"` in file `from` names: relative to `from`'s
/// folder, with `.` and `..` folded so each file has one key.
pub fn resolve_use(from: &str, relative: &str) -> String {
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    normalize(&base.join(relative))
}

/// Fold `.` and `..` components without touching the file system.
pub fn normalize(path: &Path) -> String {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        // `use "."` next to the root file: the folder itself
        return ".".to_string();
    }
    out.to_string_lossy().into_owned()
}

fn read(fs: &dyn FileSystem, path: &str) -> (Option<Arc<str>>, Option<String>) {
    match fs.read(path) {
        Ok(text) => (Some(Arc::from(text)), None),
        Err(why) => (None, Some(why)),
    }
}

/// The database: salsa storage, the table of known files and the file
/// system they are read from.
#[salsa::db]
#[derive(Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
    files: Arc<Mutex<HashMap<String, SourceFile>>>,
    fs: Arc<dyn FileSystem>,
}

impl Default for Database {
    fn default() -> Database {
        Database::with_fs(Arc::new(RealFs))
    }
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {
    fn file(&self, path: &str) -> SourceFile {
        let key = normalize(Path::new(path));
        let mut files = match self.files.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(&file) = files.get(&key) {
            return file;
        }
        let (text, error) = read(&*self.fs, &key);
        let file = SourceFile::new(self, Arc::from(key.as_str()), text, error);
        files.insert(key, file);
        file
    }

    fn fs(&self) -> &dyn FileSystem {
        &*self.fs
    }
}

impl Database {
    pub fn new() -> Database {
        Database::default()
    }

    /// A database that reads files from `fs`.
    pub fn with_fs(fs: Arc<dyn FileSystem>) -> Database {
        Database {
            storage: salsa::Storage::default(),
            files: Arc::default(),
            fs,
        }
    }

    /// A database that reports what salsa does (which queries run, which
    /// are reused) to `on_event`; for tests and profiling.
    pub fn with_events(on_event: impl Fn(salsa::Event) + Send + Sync + 'static) -> Database {
        Database {
            storage: salsa::Storage::new(Some(Box::new(on_event))),
            files: Arc::default(),
            fs: Arc::new(RealFs),
        }
    }

    /// Set (or replace) a file's text, e.g. from an editor buffer. Everything
    /// that read the file is re-checked on next use.
    pub fn set_text(&mut self, path: &str, text: &str) -> SourceFile {
        let file = self.file(path);
        if file.text(self).as_deref() != Some(text) {
            file.set_text(self).to(Some(Arc::from(text)));
            file.set_error(self).to(None);
        }
        file
    }

    /// Re-read a file from disk (after a change outside the editor, or when an
    /// editor closes an unsaved buffer).
    pub fn reload(&mut self, path: &str) -> SourceFile {
        let file = self.file(path);
        let (text, error) = read(&*self.fs, file.path(self));
        if *file.text(self) != text {
            file.set_text(self).to(text);
        }
        if *file.error(self) != error {
            file.set_error(self).to(error);
        }
        file
    }

    /// Check a model file (the CLI's entry point).
    pub fn check_path(&self, path: &str) -> (SourceFile, Arc<Checked>) {
        let file = self.file(path);
        let checked = check(self, file).0.clone();
        (file, checked)
    }
}
