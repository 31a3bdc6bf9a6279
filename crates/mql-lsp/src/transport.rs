//! The byte streams between the editor and the server. Every incoming frame
//! is checked before the protocol library sees it: that library stops reading
//! for good after one undecodable message, so a malformed frame is answered
//! here with a JSON-RPC error (parse error or invalid request) and skipped,
//! and the server keeps running.

use serde_json::{json, Value};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::sync::mpsc;
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

/// Is this a JSON-RPC message the protocol library can decode? If not, the
/// error response to send instead.
fn vet(body: &[u8]) -> Result<(), Vec<u8>> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Err(error_response(
            Value::Null,
            -32700,
            "the message is not valid JSON",
        ));
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    let id_ok = matches!(id, Value::Null | Value::Number(_) | Value::String(_));
    let ok = v.get("jsonrpc") == Some(&json!("2.0"))
        && id_ok
        && match v.get("method") {
            Some(Value::String(_)) => v
                .get("params")
                .is_none_or(|p| p.is_object() || p.is_array() || p.is_null()),
            Some(_) => false,
            None => {
                v.get("id").is_some() && (v.get("result").is_some() || v.get("error").is_some())
            }
        };
    if ok {
        Ok(())
    } else {
        let id = if id_ok { id } else { Value::Null };
        Err(error_response(
            id,
            -32600,
            "the message is not a valid JSON-RPC request",
        ))
    }
}

/// Serve LSP over any byte streams (stdio in production, in-memory pipes in
/// tests) until the client sends `exit` or closes the input.
pub async fn serve<I, O>(input: I, mut output: O)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin,
{
    let (mut to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, from_server) = tokio::io::duplex(1 << 16);
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();

    // Editor → server, vetting each frame.
    let errors = tx.clone();
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
                Ok(()) => {
                    if to_server.write_all(&frame(&body)).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = errors.send(frame(&e));
                }
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
}

#[cfg(test)]
mod tests {
    use super::vet;

    #[test]
    fn vets_messages() {
        assert!(vet(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#).is_ok());
        assert!(vet(br#"{"jsonrpc":"2.0","method":"exit"}"#).is_ok());
        assert!(vet(br#"{"jsonrpc":"2.0","id":3,"result":null}"#).is_ok());
        assert!(vet(b"{ nope").is_err());
        assert!(vet(br#"{"jsonrpc":"2.0","id":{"x":1},"method":"m"}"#).is_err());
        assert!(vet(br#"{"jsonrpc":"2.0","method":7}"#).is_err());
        assert!(vet(br#"[1,2]"#).is_err());
    }
}
