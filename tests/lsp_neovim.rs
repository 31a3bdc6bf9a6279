//! End-to-end test of `mql lsp` with a real editor: headless Neovim runs
//! `tests/nvim/check.lua`, which opens a broken model, attaches the server,
//! waits for the diagnostics, checks them, fixes the buffer and waits for
//! them to clear; runs a failing test from its code lens; formats a file
//! (compared with what `mql fmt` writes); and renames a field of a shared
//! file, which edits a model that is not open. Skipped (with a notice) only
//! when `nvim` is not installed and `CI` is not set; on CI it always runs.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TESTED: &str = "model t\nlead { n: int }\ncriterion big = n > 10\nscore fit { big => +60 }\ntest \"big leads\" {\n  lead { n: 20 }\n  expect fit == 50\n}\n";

const MESSY: &str =
    "model   m\nlead {   n : int }\n\n\ncriterion   big=n>10\nscore s{\n big=>+1\n}\n";

const CLOSED: &str = "model closed\nuse \"common.mql\"\ncriterion reachable = known(email)\nscore s { reachable => +1 }\n";

const BROKEN: &str = "model e2e\n\nlead {\n  seniority: enum { intern, manager, director, vp }\n  company_size: int\n}\n\n/// Can sign — café ☕\ncriterion decision_maker = senority in [director, vp]\n\nscore fit {\n  decision_maker => +25\n  company_size > 100 => +10\n}\n";

#[test]
fn neovim_shows_and_clears_diagnostics() {
    if Command::new("nvim").arg("--version").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "nvim is required on CI for the editor end-to-end test (apt-get install -y neovim)"
            );
        }
        eprintln!("notice: skipping the Neovim end-to-end test: `nvim` is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("mql-nvim-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join("broken.mql");
    std::fs::write(&file, BROKEN).expect("the model is written");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).expect("a model is written");
    };
    write("tested.mql", TESTED);
    write("messy.mql", MESSY);
    write("messy.expected", MESSY);
    write("common.mql", "lead { email: string }\n");
    write("closed.mql", CLOSED);
    // What `mql fmt` makes of the messy file.
    let fmt = Command::new(env!("CARGO_BIN_EXE_mql"))
        .arg("fmt")
        .arg(dir.join("messy.expected"))
        .output()
        .expect("mql fmt runs");
    assert!(fmt.status.success(), "{fmt:?}");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nvim/check.lua");
    let mut child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-S", script])
        .env("MQL_BIN", env!("CARGO_BIN_EXE_mql"))
        .env("MQL_FILE", &file)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nvim starts");
    // Read what Neovim prints while it runs (a full pipe would stall it),
    // so that a run that takes too long still shows how far it got.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    // Each of the script's waits gives up after 30 s; three in a row is the
    // longest a slow machine should need.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("nvim can be waited for") {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(150) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let Some(status) = status else {
        panic!("headless Neovim did not finish within 150 s:\nstdout:\n{out}\nstderr:\n{err}");
    };
    let closed = std::fs::read_to_string(dir.join("closed.mql")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        status.success(),
        "nvim failed ({status}):\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(
        out.contains("diagnostic E0100 at 9:28: unknown name `senority`"),
        "stdout:\n{out}\nstderr:\n{err}"
    );
    assert!(out.contains("hover: "), "stdout:\n{out}");
    assert!(out.contains("fixed: no errors"), "stdout:\n{out}");
    assert!(
        out.contains("lens: Run test big leads"),
        "stdout:\n{out}\nstderr:\n{err}"
    );
    assert!(
        out.contains("test failure at 7: `fit` is 60.0, expected 50"),
        "stdout:\n{out}\nstderr:\n{err}"
    );
    assert!(out.contains("formatted: same as mql fmt"), "stdout:\n{out}");
    assert!(out.contains("renamed in 2 files"), "stdout:\n{out}");
    // The model that was never opened was edited and saved.
    assert!(
        closed.contains("known(work_email)"),
        "closed.mql after the rename:\n{closed}"
    );
}
