//! How the database reads files: through [`FileSystem`], so that a host can
//! supply them (an in-memory workspace in tests, a future editor host). The
//! real file system ([`RealFs`]) reads only regular files of at most
//! [`MAX_SOURCE_BYTES`]: a `use "/dev/zero"` or a folder must give an error,
//! never an endless read.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The largest model file read, in bytes (16 MiB: about 200,000 lines of
/// rules; larger files are refused with a message).
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// The files the database reads.
pub trait FileSystem: Send + Sync {
    /// The text of the file at `path`, or why it can't be read, in the
    /// author's words (`there is no file `x.mql``).
    fn read(&self, path: &str) -> Result<String, String>;

    /// The `.mql` files under `folder` and its sub-folders (hidden folders
    /// and build output left out), sorted, at most `limit`.
    fn mql_files(&self, folder: &str, limit: usize) -> Vec<String>;
}

/// The computer's own file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

impl FileSystem for RealFs {
    fn read(&self, path: &str) -> Result<String, String> {
        read_source_file(Path::new(path), MAX_SOURCE_BYTES)
    }

    fn mql_files(&self, folder: &str, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut todo = vec![(Path::new(folder).to_path_buf(), 0usize)];
        // Folders looked into, so a huge tree (a home folder opened as a
        // workspace) is cut short rather than walked for minutes.
        let mut visited = 0usize;
        while let Some((dir, depth)) = todo.pop() {
            visited += 1;
            if visited > 20_000 || out.len() >= limit {
                break;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                // `file_type` does not follow symbolic links: no cycles.
                let Ok(ty) = e.file_type() else { continue };
                if ty.is_dir() {
                    let skip = name.starts_with('.') || name == "target" || name == "node_modules";
                    if !skip && depth < 32 {
                        todo.push((e.path(), depth + 1));
                    }
                } else if ty.is_file() && name.ends_with(".mql") {
                    out.push(crate::normalize(&e.path()));
                }
            }
        }
        out.sort();
        out.truncate(limit);
        out
    }
}

/// Read a model file: only a regular file, of at most `max` bytes, in UTF-8.
/// The error says why not, naming the path.
///
/// (A bounded reader for the other inputs of the tool may live in a lower
/// crate; this one is what the database uses.)
pub fn read_source_file(path: &Path, max: u64) -> Result<String, String> {
    let shown = path.display();
    let not_regular = |m: &std::fs::Metadata| {
        let what = if m.is_dir() {
            "a folder"
        } else {
            "not a regular file"
        };
        format!("`{shown}` is {what}; give the path of a `.mql` file")
    };
    let too_big = |len: u64| {
        format!(
            "`{shown}` is too large ({} MiB; a model file can have at most {} MiB)",
            len >> 20,
            max >> 20
        )
    };
    // Look before opening: opening a named pipe would wait for a writer.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(not_regular(&m)),
        Ok(m) if m.len() > max => return Err(too_big(m.len())),
        Ok(_) => {}
        Err(e) => return Err(open_error(&shown.to_string(), &e)),
    }
    let file = std::fs::File::open(path).map_err(|e| open_error(&shown.to_string(), &e))?;
    // The file may have been swapped since: check what was opened.
    match file.metadata() {
        Ok(m) if !m.is_file() => return Err(not_regular(&m)),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot read `{shown}`: {e}")),
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{shown}` is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

fn open_error(shown: &str, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!("there is no file `{shown}`")
    } else {
        format!("cannot read `{shown}`: {e}")
    }
}

/// Files held in memory, by normalised path: for tests, and for hosts that
/// have no disk.
#[derive(Clone, Debug, Default)]
pub struct MemoryFs {
    files: Arc<Mutex<BTreeMap<String, String>>>,
}

impl MemoryFs {
    pub fn new() -> MemoryFs {
        MemoryFs::default()
    }

    /// Add or replace a file.
    pub fn insert(&self, path: &str, text: &str) {
        let mut files = match self.files.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        files.insert(crate::normalize(Path::new(path)), text.to_string());
    }

    /// Remove a file.
    pub fn remove(&self, path: &str) {
        let mut files = match self.files.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        files.remove(&crate::normalize(Path::new(path)));
    }
}

impl FileSystem for MemoryFs {
    fn read(&self, path: &str) -> Result<String, String> {
        let files = match self.files.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        files
            .get(path)
            .cloned()
            .ok_or_else(|| format!("there is no file `{path}`"))
    }

    fn mql_files(&self, folder: &str, limit: usize) -> Vec<String> {
        let files = match self.files.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let prefix = if folder.ends_with('/') || folder.is_empty() {
            folder.to_string()
        } else {
            format!("{folder}/")
        };
        files
            .keys()
            .filter(|p| p.starts_with(&prefix) && p.ends_with(".mql"))
            .take(limit)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_folders_and_large_files() {
        if Path::new("/dev/zero").exists() {
            let e = read_source_file(Path::new("/dev/zero"), MAX_SOURCE_BYTES);
            assert_eq!(
                e,
                Err("`/dev/zero` is not a regular file; give the path of a `.mql` file".into())
            );
        }
        let dir = std::env::temp_dir();
        let e = read_source_file(&dir, MAX_SOURCE_BYTES).expect_err("a folder");
        assert!(e.contains("is a folder"), "{e}");
        let big = dir.join(format!("mql-db-big-{}.mql", std::process::id()));
        std::fs::write(&big, "x".repeat(2048)).expect("a temporary file");
        let e = read_source_file(&big, 1024).expect_err("too large");
        assert!(e.contains("too large"), "{e}");
        assert_eq!(
            read_source_file(&big, 4096).map(|t| t.len()),
            Ok(2048),
            "at the limit it is read"
        );
        let _ = std::fs::remove_file(&big);
        let e = read_source_file(Path::new("/no/such/file.mql"), MAX_SOURCE_BYTES);
        assert_eq!(e, Err("there is no file `/no/such/file.mql`".into()));
    }

    #[test]
    fn memory_files_list_by_folder() {
        let fs = MemoryFs::new();
        fs.insert("/w/a.mql", "model a");
        fs.insert("/w/sub/b.mql", "model b");
        fs.insert("/w/notes.txt", "");
        fs.insert("/other/c.mql", "");
        assert_eq!(fs.mql_files("/w", 10), ["/w/a.mql", "/w/sub/b.mql"]);
        assert_eq!(fs.read("/w/a.mql").as_deref(), Ok("model a"));
        assert!(fs.read("/w/x.mql").is_err());
    }
}
