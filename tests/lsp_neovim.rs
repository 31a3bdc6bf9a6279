//! End-to-end test of `mql lsp` with a real editor: headless Neovim runs
//! `tests/nvim/check.lua`, which opens a broken model, attaches the server,
//! waits for the diagnostics, checks them, fixes the buffer and waits for
//! them to clear. Skipped (with a notice) only when `nvim` is not installed
//! and `CI` is not set; on CI it always runs.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("nvim can be waited for") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("headless Neovim did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
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
}
