//! Fuzz target: the language server's message handling. The input is a
//! sequence of JSON-RPC bodies, one per line, sent framed to a server
//! running in this process after `initialize` (an input starting with a
//! zero byte is sent as raw bytes instead, framing included). Whatever
//! comes, the server must answer `shutdown` and end on `exit` in time:
//! no panic, no hang, no stop in the middle.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Messages that would end the session before the check.
fn ends_session(body: &[u8]) -> bool {
    let s = String::from_utf8_lossy(body);
    s.contains("\"exit\"") || s.contains("\"shutdown\"")
}

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server);
        let serving = tokio::spawn(mql_lsp::serve(server_read, server_write));
        let (mut from_server, mut to_server) = tokio::io::split(client);
        // Read everything the server says, looking for the answer to the
        // final `shutdown` (its id is unusual enough not to collide).
        let reading = tokio::spawn(async move {
            let mut all = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                match from_server.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => all.extend_from_slice(&buf[..n]),
                }
            }
            all
        });
        let init = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
        let mut input = frame(init);
        input.extend(frame(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#));
        if data.first() == Some(&0) {
            // Raw bytes: end them with a blank frame boundary so the
            // server can find the next header.
            input.extend_from_slice(&data[1..]);
            input.extend_from_slice(b"\r\n\r\n");
        } else {
            for body in data.split(|&b| b == b'\n').filter(|b| !ends_session(b)) {
                input.extend(frame(body));
            }
        }
        input.extend(frame(br#"{"jsonrpc":"2.0","id":987654321,"method":"shutdown"}"#));
        input.extend(frame(br#"{"jsonrpc":"2.0","method":"exit"}"#));
        let _ = to_server.write_all(&input).await;
        let _ = to_server.flush().await;
        // The end of the input ends the server too (raw bytes may have left
        // it waiting for the rest of a frame).
        drop(to_server);
        let ended = tokio::time::timeout(Duration::from_secs(20), serving).await;
        assert!(ended.is_ok(), "the server did not end within 20 s of `exit`");
        let said = tokio::time::timeout(Duration::from_secs(5), reading)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let said = String::from_utf8_lossy(&said);
        if data.first() != Some(&0) {
            // Framed messages never stop the server before the end.
            assert!(
                said.contains("\"id\":987654321"),
                "no answer to the final `shutdown`"
            );
        }
    });
});
