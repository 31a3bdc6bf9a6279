//! The byte streams between the editor and the server. Every incoming frame
//! is checked before the protocol library sees it: that library stops reading
//! for good after one undecodable message (an id of `1.5`, say), so a
//! malformed frame is answered here with a JSON-RPC error (parse error or
//! invalid request) and skipped, and the server keeps running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{LspService, Server};

use crate::server::Backend;

/// Larger frames are refused rather than buffered.
const MAX_FRAME: usize = 512 << 20;

enum Frame {
    Body(Vec<u8>),
    /// Headers without a usable `Content-Length`, or a body too large.
    Broken,
}

/// Read one frame; `None` at the end of the input.
async fn read_frame<R: AsyncBufRead + Unpin>(r: &mut R) -> Option<Frame> {
    let mut len: Option<Option<usize>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                len = Some(value.trim().parse::<usize>().ok());
            }
        }
    }
    match len {
        Some(Some(n)) if n <= MAX_FRAME => {
            let mut body = vec![0; n];
            r.read_exact(&mut body).await.ok()?;
            Some(Frame::Body(body))
        }
        _ => Some(Frame::Broken),
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn error_response(id: Value, code: i64, message: &str) -> Vec<u8> {
    let v = json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } });
    v.to_string().into_bytes()
}

/// What a frame is, once checked.
#[derive(Debug, PartialEq)]
enum Vetted {
    /// A message for the protocol library; `exit` and `shutdown` say
    /// whether it is that notification or request.
    Pass { exit: bool, shutdown: bool },
    /// An answer to send instead.
    Answer(Vec<u8>),
    /// A bad answer from the client: there is nobody to tell.
    Drop,
}

/// Is this a JSON-RPC message the protocol library can decode? If not, the
/// error answer to send instead.
fn vet(body: &[u8]) -> Vetted {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vetted::Answer(error_response(
            Value::Null,
            -32700,
            "the message is not valid JSON",
        ));
    };
    let id = v.get("id").cloned();
    // The library keeps ids as whole numbers that fit in 64 bits, or text.
    let id_ok = match &id {
        None | Some(Value::Null) | Some(Value::String(_)) => true,
        Some(Value::Number(n)) => n.as_i64().is_some(),
        Some(_) => false,
    };
    let looks_like_answer =
        v.get("method").is_none() && (v.get("result").is_some() || v.get("error").is_some());
    let well_formed = v.get("jsonrpc") == Some(&json!("2.0"))
        && match v.get("method") {
            Some(Value::String(_)) => v
                .get("params")
                .is_none_or(|p| p.is_object() || p.is_array() || p.is_null()),
            Some(_) => false,
            None => id.is_some() && (v.get("result").is_some() || v.get("error").is_some()),
        };
    if looks_like_answer && !(well_formed && id_ok) {
        return Vetted::Drop;
    }
    // Whatever passes must decode as the library decodes it.
    let decodes = serde_json::from_slice::<Response>(body).is_ok()
        || serde_json::from_slice::<Request>(body).is_ok();
    if well_formed && id_ok && decodes {
        return Vetted::Pass {
            exit: v.get("method") == Some(&json!("exit")),
            shutdown: v.get("method") == Some(&json!("shutdown")) && id.is_some(),
        };
    }
    let (answer_id, message) = if !id_ok {
        (
            id.unwrap_or(Value::Null),
            "the request's `id` must be a whole number or a string",
        )
    } else {
        (
            id.unwrap_or(Value::Null),
            "the message is not a valid JSON-RPC request",
        )
    };
    let answer_id = match answer_id {
        Value::Number(_) | Value::String(_) | Value::Null => answer_id,
        // An id that is neither a number nor text is not echoed.
        _ => Value::Null,
    };
    Vetted::Answer(error_response(answer_id, -32600, message))
}

/// Serve LSP over any byte streams (stdio in production, in-memory pipes in
/// tests) until the client sends `exit` or closes the input. Returns the
/// exit code the protocol asks for: 1 for an `exit` that came without a
/// `shutdown` request before it, else 0.
pub async fn serve<I, O>(input: I, mut output: O) -> u8
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin,
{
    let (mut to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, from_server) = tokio::io::duplex(1 << 16);
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();

    let shut_down = Arc::new(AtomicBool::new(false));
    let exited = Arc::new(AtomicBool::new(false));

    // Editor → server, vetting each frame.
    let errors = tx.clone();
    let saw_exit = exited.clone();
    let saw_shutdown = shut_down.clone();
    let pump_in = tokio::spawn(async move {
        let mut r = BufReader::new(input);
        while let Some(f) = read_frame(&mut r).await {
            let body = match f {
                Frame::Body(b) => b,
                Frame::Broken => {
                    let e = error_response(
                        Value::Null,
                        -32700,
                        "the message has no valid `Content-Length` header",
                    );
                    let _ = errors.send(frame(&e));
                    continue;
                }
            };
            match vet(&body) {
                Vetted::Pass { exit, shutdown } => {
                    if shutdown {
                        saw_shutdown.store(true, Ordering::SeqCst);
                    }
                    if to_server.write_all(&frame(&body)).await.is_err() {
                        break;
                    }
                    if exit {
                        saw_exit.store(true, Ordering::SeqCst);
                        break;
                    }
                }
                Vetted::Answer(e) => {
                    let _ = errors.send(frame(&e));
                }
                Vetted::Drop => {}
            }
        }
        // Dropping `to_server` ends the server's input.
    });

    // Server → editor, one whole frame at a time so error answers never
    // interleave with a message.
    let pump_out = async move {
        let mut r = BufReader::new(from_server);
        while let Some(f) = read_frame(&mut r).await {
            if let Frame::Body(b) = f {
                if tx.send(frame(&b)).is_err() {
                    break;
                }
            }
        }
    };
    let write = async move {
        while let Some(bytes) = rx.recv().await {
            if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    };
    let run = async move {
        let (service, socket) = LspService::new(Backend::new);
        Server::new(server_in, server_out, socket)
            .serve(service)
            .await;
        // After `exit` (or the end of input) stop reading.
        pump_in.abort();
    };
    tokio::join!(run, pump_out, write);
    if exited.load(Ordering::SeqCst) && !shut_down.load(Ordering::SeqCst) {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::{vet, Vetted};

    fn passes(body: &[u8]) -> bool {
        matches!(vet(body), Vetted::Pass { .. })
    }

    fn answer(body: &[u8]) -> serde_json::Value {
        match vet(body) {
            Vetted::Answer(a) => serde_json::from_slice(&a).unwrap_or_default(),
            other => panic!("no answer: {other:?}"),
        }
    }

    #[test]
    fn vets_messages() {
        assert!(passes(
            br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#
        ));
        assert!(passes(br#"{"jsonrpc":"2.0","id":"a","method":"shutdown"}"#));
        assert_eq!(
            vet(br#"{"jsonrpc":"2.0","method":"exit"}"#),
            Vetted::Pass {
                exit: true,
                shutdown: false
            }
        );
        assert!(passes(br#"{"jsonrpc":"2.0","id":3,"result":null}"#));
        assert_eq!(answer(b"{ nope")["error"]["code"], -32700);
        assert_eq!(
            answer(br#"{"jsonrpc":"2.0","id":{"x":1},"method":"m"}"#)["id"],
            serde_json::Value::Null
        );
        assert_eq!(
            answer(br#"{"jsonrpc":"2.0","method":7}"#)["error"]["code"],
            -32600
        );
        assert_eq!(answer(br#"[1,2]"#)["error"]["code"], -32600);
        // A bad answer from the client is dropped: nobody to tell.
        assert_eq!(
            vet(br#"{"jsonrpc":"2.0","id":1.5,"result":1}"#),
            Vetted::Drop
        );
    }

    /// Ids the library can't hold get an error answer that echoes them
    /// (they used to stop the server for good).
    #[test]
    fn ids_that_are_not_whole_numbers_are_refused_and_echoed() {
        for id in ["1.5", "1.0", "1e3", "9223372036854775808", "true"] {
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"textDocument/hover","params":{{}}}}"#
            );
            let a = answer(body.as_bytes());
            assert_eq!(a["error"]["code"], -32600, "{id}: {a}");
            if id != "true" {
                assert_eq!(
                    a["id"].to_string(),
                    serde_json::from_str::<serde_json::Value>(id)
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    "{id}"
                );
            }
        }
        assert!(passes(
            br#"{"jsonrpc":"2.0","id":-9223372036854775808,"method":"shutdown"}"#
        ));
    }
}
