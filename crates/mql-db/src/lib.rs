//! The incremental database shared by the CLI and the language server: source
//! files are salsa inputs, parsing and checking are tracked functions that
//! return their diagnostics as values. `use`d files are loaded through the
//! database too, so an edit to a used file (saved or only open in an editor)
//! re-checks exactly the models that include it.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use mql_sema::{Checked, FileSource, Loader};
use salsa::Setter;

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
}

/// A parsed file; compared by content so unchanged parses stop re-checking.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed(pub Arc<mql_syntax::SourceFile>);

/// A checked model. Compared by identity: a new check result is always new.
#[derive(Clone, Debug)]
pub struct CheckResult(pub Arc<Checked>);

impl PartialEq for CheckResult {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Parse one file (an unreadable file parses as empty).
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> Parsed {
    let text = file.text(db).as_deref().unwrap_or("");
    Parsed(Arc::new(mql_syntax::parse(text)))
}

/// Check the model whose root is `file`, with every file it `use`s.
#[salsa::tracked(returns(ref))]
pub fn check(db: &dyn Db, file: SourceFile) -> CheckResult {
    let loader = DbLoader { db };
    let root = loader.source(file);
    CheckResult(Arc::new(mql_sema::check(root, &loader)))
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
    out.to_string_lossy().into_owned()
}

fn read(path: &str) -> (Option<Arc<str>>, Option<String>) {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (Some(Arc::from(text)), None),
            Err(e) => (
                None,
                Some(format!(
                    "`{path}` is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
                    e.utf8_error().valid_up_to()
                )),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (None, Some(format!("there is no file `{path}`")))
        }
        Err(e) => (None, Some(format!("cannot read `{path}`: {e}"))),
    }
}

/// The database: salsa storage plus the table of known files.
#[salsa::db]
#[derive(Clone, Default)]
pub struct Database {
    storage: salsa::Storage<Self>,
    files: Arc<Mutex<HashMap<String, SourceFile>>>,
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
        let (text, error) = read(&key);
        let file = SourceFile::new(self, Arc::from(key.as_str()), text, error);
        files.insert(key, file);
        file
    }
}

impl Database {
    pub fn new() -> Database {
        Database::default()
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
        let (text, error) = read(file.path(self));
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
