//! Opening and reading the user's files within bounds. Every part of mql
//! that reads a file goes through here — the CLI, the database's loader of
//! `use`d files, the language server — so that `mql check /dev/zero`,
//! `use "/dev/zero"` or a leads "file" that is a folder is one clear error,
//! never gigabytes of memory or a read that does not end.
//!
//! - [`read_model_file`] reads a whole model file: a regular file of at most
//!   [`MAX_MODEL_BYTES`], UTF-8 text.
//! - [`read_text_file`] is the same with a limit of the caller's.
//! - [`open_data_file`] opens a leads or events file to stream it: a regular
//!   file or a pipe, never a folder or a device. The readers in `mql-data`
//!   bound each record themselves.
//!
//! This is the only module of `mql-core` that does IO.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest model file (the root file or a `use`d one) mql reads: 8 MiB,
/// some 200,000 declarations. Larger models are split into files joined
/// with `use`.
pub const MAX_MODEL_BYTES: u64 = 8 << 20;

/// Why a file could not be read.
#[derive(Debug)]
pub enum Problem {
    /// Nothing is at the path.
    Missing,
    /// Something other than a file is there: a folder, a device (like
    /// `/dev/zero`), a pipe or a socket (named in the message).
    NotAFile(&'static str),
    /// The file is larger than the limit (in bytes) of the caller.
    TooLarge(u64),
    /// The file is not UTF-8 text: the offset of its first bad byte.
    NotUtf8(usize),
    /// Anything else the system reports (no permission, …).
    Io(io::Error),
}

/// A file that could not be read: its path as the user gave it, and why.
/// Displays as a message for the user: lower-case, the path in backticks,
/// what to do.
#[derive(Debug)]
pub struct InputError {
    pub path: String,
    pub problem: Problem,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.problem {
            Problem::Missing => write!(f, "there is no file `{path}`"),
            Problem::NotAFile(what) => write!(
                f,
                "`{path}` is {what}, not a file; give the path of a file"
            ),
            Problem::TooLarge(limit) => write!(
                f,
                "`{path}` is larger than {}, the most mql reads of a model file; split the model into files joined with `use`",
                size_text(*limit)
            ),
            Problem::NotUtf8(offset) => write!(
                f,
                "`{path}` is not UTF-8 text (invalid byte at offset {offset}); save it as UTF-8"
            ),
            Problem::Io(e) => write!(f, "cannot read `{path}`: {e}"),
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    fn new(path: &Path, problem: Problem) -> InputError {
        InputError {
            path: path.display().to_string(),
            problem,
        }
    }

    fn io(path: &Path, e: io::Error) -> InputError {
        let problem = if e.kind() == io::ErrorKind::NotFound {
            Problem::Missing
        } else {
            Problem::Io(e)
        };
        InputError::new(path, problem)
    }
}

/// `8 MiB`, `1 GiB`, `1,000 bytes`: a size as the messages give it.
pub fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// What is at `path` when it is not a regular file, in words.
fn not_a_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a pipe");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Read a whole model file: see [`read_text_file`], with [`MAX_MODEL_BYTES`].
/// This is how the CLI, the database and the language server read a model.
pub fn read_model_file(path: impl AsRef<Path>) -> Result<String, InputError> {
    read_text_file(path, MAX_MODEL_BYTES)
}

/// Read a whole file as text: only a regular file (not a folder, device,
/// pipe or socket), of at most `limit` bytes (also if it grows while being
/// read), holding UTF-8 text (a byte-order mark is kept). Never reads more
/// than `limit + 1` bytes.
pub fn read_text_file(path: impl AsRef<Path>, limit: u64) -> Result<String, InputError> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| InputError::io(path, e))?;
    if let Some(what) = not_a_file(&meta) {
        return Err(InputError::new(path, Problem::NotAFile(what)));
    }
    if meta.len() > limit {
        return Err(InputError::new(path, Problem::TooLarge(limit)));
    }
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    // the file may have been swapped for something else since it was looked at
    let meta = file.metadata().map_err(|e| InputError::io(path, e))?;
    if let Some(what) = not_a_file(&meta) {
        return Err(InputError::new(path, Problem::NotAFile(what)));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(InputError::new(path, Problem::TooLarge(limit)));
    }
    String::from_utf8(bytes)
        .map_err(|e| InputError::new(path, Problem::NotUtf8(e.utf8_error().valid_up_to())))
}

/// Open a leads or events file to stream it: a regular file or a pipe
/// (`<(zcat leads.ndjson.gz)`), never a folder, a device or a socket. How
/// much is read at a time is for the reader to bound.
pub fn open_data_file(path: impl AsRef<Path>) -> Result<File, InputError> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| InputError::io(path, e))?;
    let what = not_a_file(&meta);
    if what.is_some_and(|w| w != "a pipe") {
        return Err(InputError::new(
            path,
            Problem::NotAFile(what.unwrap_or("?")),
        ));
    }
    File::open(path).map_err(|e| InputError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mql-input-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_a_file_up_to_the_limit_and_not_one_byte_more() {
        let dir = scratch("limit");
        let at = dir.join("at.mql");
        std::fs::write(&at, "x".repeat(100)).unwrap();
        assert_eq!(read_text_file(&at, 100).unwrap().len(), 100);
        let e = read_text_file(&at, 99).unwrap_err();
        assert!(matches!(e.problem, Problem::TooLarge(99)));
        assert_eq!(
            e.to_string(),
            format!("`{}` is larger than 99 bytes, the most mql reads of a model file; split the model into files joined with `use`", at.display())
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn refuses_what_is_not_a_file_and_names_it() {
        let dir = scratch("kinds");
        let e = read_model_file(&dir).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "`{}` is a folder, not a file; give the path of a file",
                dir.display()
            )
        );
        assert!(matches!(
            open_data_file(&dir).unwrap_err().problem,
            Problem::NotAFile("a folder")
        ));
        let missing = dir.join("missing.mql");
        assert_eq!(
            read_model_file(&missing).unwrap_err().to_string(),
            format!("there is no file `{}`", missing.display())
        );
        #[cfg(unix)]
        {
            let e = read_model_file("/dev/zero").unwrap_err();
            assert_eq!(
                e.to_string(),
                "`/dev/zero` is a device, not a file; give the path of a file"
            );
            assert!(matches!(
                open_data_file("/dev/zero").unwrap_err().problem,
                Problem::NotAFile("a device")
            ));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = scratch("utf8");
        let bad = dir.join("bad.mql");
        std::fs::write(&bad, b"lead {\xff}").unwrap();
        assert!(matches!(
            read_model_file(&bad).unwrap_err().problem,
            Problem::NotUtf8(6)
        ));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size_text(MAX_MODEL_BYTES), "8 MiB");
        assert_eq!(size_text(1 << 30), "1 GiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }
}
