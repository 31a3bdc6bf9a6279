//! Files reach the database through its file system: used files are read
//! from whatever the host supplies, and the real file system refuses what
//! can't be a model (a device that never ends, a folder).

use std::sync::Arc;

use mql_db::{check, Database, Db, MemoryFs};

#[test]
fn a_used_device_is_refused_not_read_forever() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let mut db = Database::new();
    let dir = std::env::temp_dir().join(format!("mql-db-files-{}", std::process::id()));
    let main = dir.join("main.mql");
    let main = main.to_string_lossy();
    let file = db.set_text(
        &main,
        "model m\nuse \"/dev/zero\"\nuse \"../\"\nlead { e: string }\n",
    );
    let checked = check(&db, file).0.clone();
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == "E0152")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("`/dev/zero` is not a regular file"),
        "{messages:?}"
    );
    assert!(messages[1].contains("is a folder"), "{messages:?}");
    // Reloading the device (an editor saying it changed) is refused too.
    let dev = db.reload("/dev/zero");
    assert!(dev.text(&db).is_none());
}

#[test]
fn used_files_come_from_the_hosts_file_system() {
    let fs = MemoryFs::new();
    fs.insert("/w/common.mql", "lead { email: string }\n");
    fs.insert(
        "/w/main.mql",
        "model m\nuse \"common.mql\"\ncriterion c = known(email)\nscore s { c => +1 }\n",
    );
    let db = Database::with_fs(Arc::new(fs.clone()));
    let (_, checked) = db.check_path("/w/main.mql");
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    assert_eq!(
        db.fs().mql_files("/w", 10),
        ["/w/common.mql", "/w/main.mql"]
    );
    // A file the host does not have is reported like a missing file.
    fs.remove("/w/common.mql");
    let db = Database::with_fs(Arc::new(fs));
    let (_, checked) = db.check_path("/w/main.mql");
    assert!(checked
        .diagnostics
        .iter()
        .any(|d| d.code == "E0152" && d.message.contains("there is no file `/w/common.mql`")));
}
