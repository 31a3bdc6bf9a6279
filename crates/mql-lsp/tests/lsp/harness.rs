//! An in-memory LSP client: runs the real server (`mql_lsp::serve`) over
//! duplex pipes, speaks framed JSON-RPC to it, and draws answers under the
//! source text for snapshots.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::Uri;

pub struct Client {
    writer: WriteHalf<DuplexStream>,
    incoming: mpsc::UnboundedReceiver<Value>,
    /// Notifications read while waiting for something else.
    pending: VecDeque<Value>,
    next_id: i64,
    pub dir: tempfile::TempDir,
    versions: std::collections::HashMap<String, i32>,
}

const TIMEOUT: Duration = Duration::from_secs(30);

async fn read_message<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Start a server and initialise it.
    pub async fn start() -> Client {
        Client::start_with(Value::Null).await
    }

    /// Start a server and initialise it with these `initializationOptions`.
    pub async fn start_with(options: Value) -> Client {
        let (client_end, server_end) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_end);
        tokio::spawn(mql_lsp::serve(server_read, server_write));
        let (client_read, writer) = tokio::io::split(client_end);
        let (tx, incoming) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut r = BufReader::new(client_read);
            while let Some(msg) = read_message(&mut r).await {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            writer,
            incoming,
            pending: VecDeque::new(),
            next_id: 1,
            dir: tempfile::tempdir().expect("a temporary folder"),
            versions: Default::default(),
        };
        // The temporary folder is the workspace.
        let root = c.uri_of_dir();
        let init = c
            .request(
                "initialize",
                json!({ "capabilities": {}, "processId": null, "rootUri": root, "workspaceFolders": [{ "uri": root, "name": "ws" }], "initializationOptions": options }),
            )
            .await;
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        c.notify("initialized", json!({})).await;
        c
    }

    /// Ask the server to shut down and exit, and wait until it has closed
    /// its output. Returns the answer to `shutdown`.
    pub async fn shutdown(mut self) -> Value {
        let answer = self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null).await;
        loop {
            match tokio::time::timeout(TIMEOUT, self.incoming.recv()).await {
                Ok(Some(_)) => continue,
                Ok(None) => return answer,
                Err(_) => {
                    panic!("the server did not close its output within {TIMEOUT:?} of `exit`")
                }
            }
        }
    }

    pub async fn send_raw(&mut self, body: &str) {
        let msg = format!("Content-Length: {}\r\n\r\n{}", body.len(), body);
        self.writer
            .write_all(msg.as_bytes())
            .await
            .expect("the server reads");
        self.writer.flush().await.expect("the server reads");
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string();
        self.send_raw(&body).await;
    }

    /// Send a request and return the whole response message.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let body =
            json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string();
        self.send_raw(&body).await;
        self.response(json!(id)).await
    }

    pub async fn response(&mut self, id: Value) -> Value {
        loop {
            let msg = self.next_message().await;
            if msg.get("id") == Some(&id) && msg.get("method").is_none() {
                return msg;
            }
            self.pending.push_back(msg);
        }
    }

    async fn next_message(&mut self) -> Value {
        match tokio::time::timeout(TIMEOUT, self.incoming.recv()).await {
            Ok(Some(m)) => m,
            Ok(None) => panic!("the server closed its output"),
            Err(_) => panic!("no message from the server within {TIMEOUT:?}"),
        }
    }

    /// The next notification `method` from the server (one that came
    /// while waiting for something else included).
    pub async fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["method"] == method) {
            if let Some(m) = self.pending.remove(i) {
                return m;
            }
        }
        loop {
            let m = self.next_message().await;
            if m["method"] == method {
                return m;
            }
            self.pending.push_back(m);
        }
    }

    /// The diagnostics published for `uri` at document version `version`
    /// (older publications are skipped).
    pub async fn diagnostics(&mut self, uri: &Uri, version: Option<i32>) -> Vec<Value> {
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && (version.is_none() || m["params"]["version"].as_i64() == version.map(i64::from))
        };
        let mut found = None;
        self.pending.retain(|m| {
            if matches(m) {
                found = Some(m.clone());
                false
            } else {
                true
            }
        });
        let msg = match found {
            Some(m) => m,
            None => loop {
                let m = self.next_message().await;
                if matches(&m) {
                    break m;
                }
                self.pending.push_back(m);
            },
        };
        msg["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Wait until the diagnostics published for `uri` satisfy `done` (later
    /// edits may make earlier publications moot, so wait for the state).
    pub async fn wait_diagnostics(
        &mut self,
        uri: &Uri,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let is_for = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str()
        };
        let list = |m: &Value| {
            m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        let mut hit = None;
        self.pending.retain(|m| {
            if hit.is_none() && is_for(m) && done(&list(m)) {
                hit = Some(list(m));
                false
            } else {
                !is_for(m)
            }
        });
        if let Some(h) = hit {
            return h;
        }
        loop {
            let m = self.next_message().await;
            if is_for(&m) && done(&list(&m)) {
                return list(&m);
            }
            if !is_for(&m) {
                self.pending.push_back(m);
            }
        }
    }

    fn uri_of_dir(&self) -> String {
        Uri::from_file_path(self.dir.path())
            .map(|u| u.as_str().to_string())
            .unwrap_or_default()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The methods of the messages received but not read yet.
    pub fn pending_methods(&self) -> Vec<String> {
        self.pending
            .iter()
            .filter_map(|m| m["method"].as_str().map(str::to_string))
            .collect()
    }

    pub fn uri(&self, name: &str) -> Uri {
        Uri::from_file_path(self.path(name)).expect("an absolute path")
    }

    pub fn write_file(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).expect("the temporary folder is writable");
    }

    /// Open a document and return its diagnostics.
    pub async fn open(&mut self, name: &str, text: &str) -> Vec<Value> {
        let uri = self.uri(name);
        self.versions.insert(name.to_string(), 1);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri.as_str(), "languageId": "mql", "version": 1, "text": text } }),
        )
        .await;
        self.diagnostics(&uri, Some(1)).await
    }

    /// Replace a document's text; returns the new version.
    pub async fn change(&mut self, name: &str, text: &str) -> i32 {
        let uri = self.uri(name);
        let v = self.versions.entry(name.to_string()).or_insert(1);
        *v += 1;
        let v = *v;
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri.as_str(), "version": v }, "contentChanges": [{ "text": text }] }),
        )
        .await;
        v
    }

    /// Replace the temporary folder's path by `$DIR` in an answer.
    pub fn scrub(&self, v: &Value) -> String {
        let text = serde_json::to_string_pretty(v).unwrap_or_default();
        let dir = self.dir.path().to_string_lossy().to_string();
        let uri_dir = Uri::from_file_path(self.dir.path())
            .map(|u| u.as_str().to_string())
            .unwrap_or_default();
        text.replace(&uri_dir, "file://$DIR").replace(&dir, "$DIR")
    }
}

/// Split a fixture at its `$0` cursor marker: (text, byte offset).
pub fn cursor(fixture: &str) -> (String, usize) {
    let at = fixture
        .find("$0")
        .expect("the fixture marks the cursor with $0");
    (fixture.replacen("$0", "", 1), at)
}

/// The LSP position of a byte offset (UTF-16 columns).
pub fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let col: usize = before[line_start..].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": col })
}

/// Byte offset of an LSP position in `text`.
pub fn offset(text: &str, pos: &Value) -> usize {
    let line = pos["line"].as_u64().unwrap_or(0) as usize;
    let col = pos["character"].as_u64().unwrap_or(0) as usize;
    let mut start = 0;
    for _ in 0..line {
        start = text[start..]
            .find('\n')
            .map_or(text.len(), |n| start + n + 1);
    }
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= col || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The source with a line under each line that holds the cursor (`↑`) or a
/// range (`▔`), Gleam style.
pub fn draw(text: &str, cursor: Option<usize>, ranges: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        let body = line.trim_end_matches('\n');
        out.push_str(body);
        out.push('\n');
        let mut marks = String::new();
        let mut any = false;
        for (i, _) in body
            .char_indices()
            .chain(std::iter::once((body.len(), ' ')))
        {
            let at = line_start + i;
            let in_range = ranges.iter().any(|&(a, b)| a <= at && at < b);
            let mark = if Some(at) == cursor {
                '↑'
            } else if in_range {
                '▔'
            } else {
                ' '
            };
            any |= mark != ' ';
            marks.push(mark);
        }
        if any {
            out.push_str(marks.trim_end());
            out.push('\n');
        }
        line_start = line_end;
    }
    out
}

/// A range value as byte offsets into `text`.
pub fn span(text: &str, range: &Value) -> (usize, usize) {
    (offset(text, &range["start"]), offset(text, &range["end"]))
}

pub fn text_document(uri: &Uri) -> Value {
    json!({ "uri": uri.as_str() })
}
