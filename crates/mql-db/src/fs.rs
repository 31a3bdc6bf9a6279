//! How the database reads files: through [`FileSystem`], so that a host can
//! supply them (an in-memory workspace in tests, a future editor host). The
//! real file system ([`RealFs`]) reads through
//! [`mql_core::input::read_model_file`], the one bounded way mql reads a
//! model: only regular files of at most [`MAX_SOURCE_BYTES`], so a
//! `use "/dev/zero"` or a folder gives an error, never an endless read.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The largest model file read, in bytes: the limit every part of mql
/// shares ([`mql_core::input::MAX_MODEL_BYTES`], docs/limits.md).
pub const MAX_SOURCE_BYTES: u64 = mql_core::input::MAX_MODEL_BYTES;

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
        mql_core::input::read_model_file(path).map_err(|e| e.to_string())
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
    fn the_real_file_system_reads_with_the_shared_bounds() {
        if Path::new("/dev/zero").exists() {
            assert_eq!(
                RealFs.read("/dev/zero"),
                Err("`/dev/zero` is a device, not a file; give the path of a file".into())
            );
        }
        let dir = std::env::temp_dir();
        let e = RealFs.read(&dir.to_string_lossy()).expect_err("a folder");
        assert!(e.contains("is a folder"), "{e}");
        assert_eq!(
            RealFs.read("/no/such/file.mql"),
            Err("there is no file `/no/such/file.mql`".into())
        );
        assert_eq!(MAX_SOURCE_BYTES, 8 << 20);
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
