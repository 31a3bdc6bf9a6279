//! `mql lsp` as a process: `exit` ends it even while the editor keeps its
//! input open, with the exit code the protocol asks for (0 after
//! `shutdown`, 1 without).

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn frame(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

fn start() -> Child {
    Command::new(env!("CARGO_BIN_EXE_mql"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("`mql lsp` starts")
}

/// Send `messages` and wait (the input stays open) for the process to end.
fn exit_code(messages: &[&str]) -> Option<i32> {
    let mut child = start();
    let mut input = child.stdin.take().expect("its input");
    for m in messages {
        input
            .write_all(frame(m).as_bytes())
            .expect("the server reads");
    }
    input.flush().expect("the server reads");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("it can be waited for") {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(input);
    status.map(|s| s.code().unwrap_or(-1))
}

const INITIALIZE: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
const SHUTDOWN: &str = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
const EXIT: &str = r#"{"jsonrpc":"2.0","method":"exit"}"#;

#[test]
fn exit_after_shutdown_ends_the_process_with_0() {
    assert_eq!(
        exit_code(&[INITIALIZE, INITIALIZED, SHUTDOWN, EXIT]),
        Some(0),
        "the server must stop on `exit` even though its input is still open"
    );
}

#[test]
fn exit_without_shutdown_ends_the_process_with_1() {
    assert_eq!(exit_code(&[INITIALIZE, INITIALIZED, EXIT]), Some(1));
}

#[test]
fn closing_the_input_ends_the_process() {
    let mut child = start();
    drop(child.stdin.take());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("it can be waited for") {
            assert_eq!(status.code(), Some(0));
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still running after its input closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
