//! The LSP backend: it holds the IDE layer's [`AnalysisHost`] and the open
//! documents behind a lock, applies edits under the lock, and answers every
//! request on a snapshot, on a thread of its own (with a stack the parser
//! does not need to grow), off the async runtime. An answer cancelled by a
//! newer edit is asked again on a fresh snapshot; a newer edit makes older
//! diagnostics moot. Each handler only converts between LSP and the IDE
//! layer's plain data.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mql_ide::{
    Analysis, AnalysisHost, CallItem, Cancellable, FileDiagnostic, FilePosition, FoldKind,
    LensCommand, Workspace,
};
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::convert::{self, FileLines, Files};
use crate::position::Lines;
use crate::uri::{path_to_uri, uri_to_path};

/// The commands the server runs itself (`workspace/executeCommand`).
pub const RUN_TESTS: &str = "mql.runTests";
pub const RUN_TEST: &str = "mql.runTest";

/// A document open in the editor: its text overrides the file on disk.
#[derive(Clone, Debug)]
struct Doc {
    uri: Uri,
    version: i32,
}

#[derive(Default)]
struct State {
    host: AnalysisHost,
    docs: HashMap<String, Doc>,
    /// Every file of the open models, to re-read from disk on save.
    known: HashSet<String>,
    /// The workspace folders' paths.
    folders: Vec<String>,
    /// Failures of the last test run of each file, until it changes.
    test_failures: HashMap<String, Vec<FileDiagnostic>>,
    /// Run a file's tests each time it is saved (the client's
    /// `initializationOptions` `{ "runTestsOnSave": true }`).
    tests_on_save: bool,
}

/// What a request is answered from: a snapshot of the database, the open
/// documents and the workspace.
struct Snap {
    analysis: Analysis,
    docs: HashMap<String, Doc>,
    ws: Workspace,
}

impl Snap {
    fn is_open(&self, path: &str) -> bool {
        self.docs.contains_key(path)
    }
}

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
    /// Bumped by every change; diagnostics computed for an older generation
    /// are dropped (a newer run will publish).
    generation: Arc<AtomicU64>,
    /// Edits in the order their notifications came, not applied yet (see
    /// [`Backend::edit`]).
    pending: Arc<Mutex<VecDeque<Edit>>>,
}

/// A change to the server's documents, waiting to be applied.
type Edit = Box<dyn FnOnce(&mut State) + Send>;

/// Apply the waiting edits, oldest first, to the locked state `st`.
fn apply_pending(st: &mut State, pending: &Mutex<VecDeque<Edit>>, generation: &AtomicU64) {
    loop {
        let next = lock(pending).pop_front();
        let Some(edit) = next else { break };
        generation.fetch_add(1, Ordering::SeqCst);
        edit(st);
    }
}

fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    match state.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The most times a request is asked again after an edit cancelled it.
const RETRIES: usize = 50;

/// Stack of the threads that answer requests. The parser moves to a freshly
/// mapped stack for each declaration when less than 4 MiB of stack remain;
/// on the 2 MiB threads of tokio's blocking pool that happened for every
/// declaration and doubled the time of a cold check of a large model.
const QUERY_STACK: usize = 16 << 20;

/// Run `f` on a thread of its own with a roomy stack, off the async runtime.
/// `None` when the thread could not start or `f` panicked.
async fn on_query_thread<T, F>(f: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("mql-query".into())
        .stack_size(QUERY_STACK)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.await.ok()
}

fn position(p: &TextDocumentPositionParams) -> (String, Position) {
    (uri_to_path(&p.text_document.uri), p.position)
}

fn request_failed(message: String) -> Error {
    Error {
        code: ErrorCode::ServerError(-32803),
        message: message.into(),
        data: None,
    }
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Arc::new(Mutex::new(State::default())),
            generation: Arc::new(AtomicU64::new(0)),
            pending: Arc::default(),
        }
    }

    /// Answer from a snapshot, off the async runtime. An edit that arrives
    /// meanwhile cancels the answer, and it is asked again on a new
    /// snapshot; a bug that panics becomes an error answer rather than a
    /// dead server.
    async fn query<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Snap) -> Cancellable<T> + Send + 'static,
    {
        let state = self.state.clone();
        let pending = self.pending.clone();
        let generation = self.generation.clone();
        let job = on_query_thread(move || {
            for _ in 0..RETRIES {
                let snap = {
                    let mut st = lock(&state);
                    // Every edit that came before this request first.
                    apply_pending(&mut st, &pending, &generation);
                    Snap {
                        analysis: st.host.analysis(),
                        docs: st.docs.clone(),
                        ws: Workspace {
                            folders: st.folders.clone(),
                            open: {
                                let mut open: Vec<String> = st.docs.keys().cloned().collect();
                                open.sort();
                                open
                            },
                        },
                    }
                };
                if let Ok(v) = f(&snap) {
                    return Ok(v);
                }
            }
            Err(Error::request_cancelled())
        });
        job.await.unwrap_or_else(|| Err(Error::internal_error()))
    }

    /// Answer about a position of an open document (`None` for others).
    async fn at<T, F>(&self, p: &TextDocumentPositionParams, f: F) -> Result<Option<T>>
    where
        T: Send + 'static,
        F: Fn(&Snap, &mut Files, &FilePosition) -> Cancellable<Option<T>> + Send + 'static,
    {
        let (path, pos) = position(p);
        self.query(move |snap| {
            if !snap.is_open(&path) {
                return Ok(None);
            }
            let mut files = Files::new(&snap.analysis);
            let offset = files.get(&path)?.offset(pos);
            let fp = FilePosition {
                path: path.clone(),
                offset,
            };
            f(snap, &mut files, &fp)
        })
        .await
    }

    /// Answer about an open document (`None` for others).
    async fn in_doc<T, F>(&self, uri: &Uri, f: F) -> Result<Option<T>>
    where
        T: Send + 'static,
        F: Fn(&Snap, &mut Files, &str) -> Cancellable<Option<T>> + Send + 'static,
    {
        let path = uri_to_path(uri);
        self.query(move |snap| {
            if !snap.is_open(&path) {
                return Ok(None);
            }
            let mut files = Files::new(&snap.analysis);
            f(snap, &mut files, &path)
        })
        .await
    }

    /// The formatter's edits of a document (of a range of it, with
    /// `range`); a document it cannot format fails the request with why.
    async fn format_edits(&self, uri: &Uri, range: Option<Range>) -> Result<Option<Vec<TextEdit>>> {
        let answer = self
            .in_doc(uri, move |snap, files, path| {
                let edits = match range {
                    None => snap.analysis.format(path)?,
                    Some(range) => {
                        let span = files.get(path)?.span(range);
                        snap.analysis.format_range(path, span)?
                    }
                };
                let edits = match edits {
                    Ok(edits) => edits,
                    Err(why) => return Ok(Some(Err(why))),
                };
                let f = files.get(path)?;
                Ok(Some(Ok(edits
                    .into_iter()
                    .map(|e| TextEdit::new(f.range(e.span), e.new_text))
                    .collect())))
            })
            .await?;
        match answer {
            None => Ok(None),
            Some(a) => a.map(Some).map_err(request_failed),
        }
    }

    /// Apply an edit under the lock (waiting for running answers to notice
    /// they are cancelled), then publish diagnostics again.
    ///
    /// The server handles several messages at once, so a request sent just
    /// after a change (a code lens asked for right after `didOpen`) could
    /// be answered before the change is applied. The edit is therefore
    /// queued at once, in the order the notifications came, and every
    /// answer applies the queued edits before it reads the documents.
    async fn edit<F>(&self, f: F)
    where
        F: FnOnce(&mut State) + Send + 'static,
    {
        lock(&self.pending).push_back(Box::new(f));
        let state = self.state.clone();
        let pending = self.pending.clone();
        let generation = self.generation.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut st = lock(&state);
            apply_pending(&mut st, &pending, &generation);
        })
        .await;
        if done.is_ok() {
            self.publish_all().await;
        }
    }

    /// Publish diagnostics for every open document (a change to one file
    /// can change the diagnostics of every model that uses it), with the
    /// failures of the last test run of each.
    async fn publish_all(&self) {
        let generation = self.generation.load(Ordering::SeqCst);
        let failures = lock(&self.state).test_failures.clone();
        let result = self
            .query(move |snap| {
                let mut out = Vec::new();
                let mut known = Vec::new();
                let mut files = Files::new(&snap.analysis);
                let mut paths: Vec<&String> = snap.docs.keys().collect();
                paths.sort();
                for path in paths {
                    let doc = &snap.docs[path];
                    known.extend(snap.analysis.model_files(path)?);
                    let mut diags = Vec::new();
                    for d in snap.analysis.diagnostics(path)?.iter() {
                        diags.push(files.diagnostic(path, d)?);
                    }
                    for d in failures.get(path).into_iter().flatten() {
                        diags.push(files.diagnostic(path, d)?);
                    }
                    out.push((doc.uri.clone(), doc.version, diags));
                }
                Ok((out, known))
            })
            .await;
        let Ok((all, known)) = result else { return };
        lock(&self.state)
            .known
            .extend(known.iter().map(|p| p.to_string()));
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        for (uri, version, diags) in all {
            self.client
                .publish_diagnostics(uri, diags, Some(version))
                .await;
        }
    }

    /// Run the tests of a file (all, or one), keep their failures as its
    /// diagnostics and say how it went.
    async fn run_tests(&self, path: String, only: Option<String>) -> Result<Option<Value>> {
        let p = path.clone();
        let report = self
            .query(move |snap| snap.analysis.run_tests(&p, only.as_deref()))
            .await?
            .map_err(request_failed)?;
        lock(&self.state)
            .test_failures
            .insert(path.clone(), report.diagnostics.clone());
        self.publish_all().await;
        let failed: Vec<&str> = report
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.name.as_str())
            .collect();
        let mut message = format!("mql test: {}", report.summary());
        if !failed.is_empty() {
            message.push_str(&format!(
                " (failed: {})",
                failed
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let typ = if failed.is_empty() {
            MessageType::INFO
        } else {
            MessageType::WARNING
        };
        self.client.show_message(typ, message).await;
        Ok(Some(json!({
            "passed": report.passed(),
            "failed": report.failed(),
            "tests": report.results.iter().map(|r| json!({
                "name": r.name,
                "passed": r.passed,
                "failures": r.failures,
            })).collect::<Vec<_>>(),
        })))
    }
}

fn call_item(files: &mut Files, item: &CallItem) -> Cancellable<Option<CallHierarchyItem>> {
    let Some(uri) = path_to_uri(&item.path) else {
        return Ok(None);
    };
    let f = files.get(&item.path)?;
    Ok(Some(CallHierarchyItem {
        name: item.name.clone(),
        kind: convert::call_kind(item.kind),
        tags: None,
        detail: Some(match item.kind {
            mql_ide::CallKind::Def(k) => k.describe().to_string(),
            mql_ide::CallKind::Transition => "transition".into(),
            mql_ide::CallKind::Test => "test".into(),
        }),
        uri,
        range: f.range(item.span),
        selection_range: f.range(item.focus_span),
        data: None,
    }))
}

/// The IDE item a protocol item stands for, found again by its place.
fn ide_item(files: &mut Files, item: &CallHierarchyItem) -> Cancellable<(CallItem, FilePosition)> {
    let path = uri_to_path(&item.uri);
    let f = files.get(&path)?;
    let focus = f.span(item.selection_range);
    Ok((
        CallItem {
            name: item.name.clone(),
            kind: mql_ide::CallKind::Test,
            path: Arc::from(path.as_str()),
            span: f.span(item.range),
            focus_span: focus,
        },
        FilePosition {
            path,
            offset: focus.start as usize,
        },
    ))
}

fn folders_of(params: &InitializeParams) -> Vec<String> {
    let mut out: Vec<String> = params
        .workspace_folders
        .iter()
        .flatten()
        .map(|f| uri_to_path(&f.uri))
        .collect();
    #[allow(deprecated)] // the older clients' only way to name the folder
    if out.is_empty() {
        if let Some(root) = &params.root_uri {
            out.push(uri_to_path(root));
        }
    }
    out.retain(|p| p.starts_with('/'));
    out
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        {
            let mut st = lock(&self.state);
            st.folders = folders_of(&params);
            st.tests_on_save = params
                .initialization_options
                .as_ref()
                .and_then(|o| o.get("runTestsOnSave"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
        }
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(PositionEncodingKind::UTF16),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::FULL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(
                        ["(", "[", ",", ">", " ", "."]
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                    ),
                    ..CompletionOptions::default()
                }),
                signature_help_provider: Some(SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".into(), ",".into()]),
                    retrigger_characters: None,
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![RUN_TESTS.into(), RUN_TEST.into()],
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                document_formatting_provider: Some(OneOf::Left(true)),
                document_range_formatting_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                call_hierarchy_provider: Some(CallHierarchyServerCapability::Simple(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: convert::legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "mql".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn shutdown(&self) -> Result<()> {
        // The transport notes the request for the exit code.
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let path = uri_to_path(&doc.uri);
        self.edit(move |st| {
            st.host.set_text(&path, &doc.text);
            st.docs.insert(
                path,
                Doc {
                    uri: doc.uri,
                    version: doc.version,
                },
            );
        })
        .await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let path = uri_to_path(&params.text_document.uri);
        let version = params.text_document.version;
        let changes = params.content_changes;
        self.edit(move |st| {
            let Some(doc) = st.docs.get_mut(&path) else {
                return;
            };
            // Changes handled out of order: keep the newest text.
            if version < doc.version {
                return;
            }
            doc.version = version;
            // The server asks for whole texts; a client that sends ranged
            // changes anyway gets them applied in order.
            let mut text = st.host.file_text(&path).to_string();
            for change in changes {
                match change.range {
                    None => text = change.text,
                    Some(range) => {
                        let lines = Lines::new(&text);
                        let span = lines.span(&text, range);
                        text.replace_range(span.range(), &change.text);
                    }
                }
            }
            st.host.set_text(&path, &text);
            // Test failures point into the old text.
            st.test_failures.remove(&path);
        })
        .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let path = uri_to_path(&uri);
        self.edit(move |st| {
            if st.docs.remove(&path).is_some() {
                st.host.reload(&path);
            }
            st.test_failures.remove(&path);
        })
        .await;
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // The editor's text is already current; files the editor does not
        // hold may have changed on disk alongside the save.
        self.edit(|st| {
            let closed: Vec<String> = st
                .known
                .iter()
                .filter(|p| !st.docs.contains_key(*p))
                .cloned()
                .collect();
            for p in closed {
                st.host.reload(&p);
            }
        })
        .await;
        if !lock(&self.state).tests_on_save {
            return;
        }
        // A file without tests, or whose model has errors, is left alone:
        // nothing to say on every save.
        let path = uri_to_path(&params.text_document.uri);
        let p = path.clone();
        let has_tests = self
            .query(move |snap| snap.analysis.lenses(&p))
            .await
            .is_ok_and(|l| !l.is_empty());
        if has_tests {
            let _ = self.run_tests(path, None).await;
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let paths: Vec<String> = params.changes.iter().map(|c| uri_to_path(&c.uri)).collect();
        self.edit(move |st| {
            for p in paths {
                if !st.docs.contains_key(&p) {
                    st.host.reload(&p);
                }
            }
        })
        .await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let mut st = lock(&self.state);
        for f in params.event.removed {
            let p = uri_to_path(&f.uri);
            st.folders.retain(|x| *x != p);
        }
        for f in params.event.added {
            let p = uri_to_path(&f.uri);
            if p.starts_with('/') && !st.folders.contains(&p) {
                st.folders.push(p);
            }
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.at(&params.text_document_position_params, |snap, files, pos| {
            let Some(h) = snap.analysis.hover(pos)? else {
                return Ok(None);
            };
            Ok(Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: convert::markdown(&h.parts),
                }),
                range: Some(files.get(&pos.path)?.range(h.span)),
            }))
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.at(&params.text_document_position, |snap, files, pos| {
            let c = snap.analysis.completions(pos)?;
            let f = files.get(&pos.path)?;
            let items = c
                .items
                .into_iter()
                .map(|i| CompletionItem {
                    kind: Some(convert::completion_kind(i.kind)),
                    detail: i.detail,
                    documentation: i.doc.as_deref().map(convert::markdown_doc),
                    text_edit: i.edit.map(|e| {
                        CompletionTextEdit::Edit(TextEdit::new(f.range(e.span), e.new_text))
                    }),
                    filter_text: None,
                    label: i.label,
                    ..CompletionItem::default()
                })
                .collect();
            Ok(Some(CompletionResponse::List(CompletionList {
                is_incomplete: c.incomplete,
                items,
            })))
        })
        .await
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        self.at(&params.text_document_position_params, |snap, _, pos| {
            let Some(h) = snap.analysis.signature_help(pos)? else {
                return Ok(None);
            };
            Ok(Some(SignatureHelp {
                signatures: h
                    .signatures
                    .into_iter()
                    .map(|s| SignatureInformation {
                        label: s.label,
                        documentation: Some(Documentation::String(s.doc)),
                        parameters: Some(
                            s.params
                                .into_iter()
                                .map(|p| ParameterInformation {
                                    label: ParameterLabel::Simple(p),
                                    documentation: None,
                                })
                                .collect(),
                        ),
                        active_parameter: None,
                    })
                    .collect(),
                active_signature: Some(h.active_signature as u32),
                active_parameter: Some(h.active_parameter as u32),
            }))
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.at(&params.text_document_position_params, |snap, files, pos| {
            let Some(t) = snap.analysis.definition(pos)? else {
                return Ok(None);
            };
            let Some(uri) = path_to_uri(&t.path) else {
                return Ok(None);
            };
            let range = if t.kind.is_none() {
                Range::default()
            } else {
                files.get(&t.path)?.range(t.focus_span)
            };
            Ok(Some(GotoDefinitionResponse::Scalar(Location::new(
                uri, range,
            ))))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let include = params.context.include_declaration;
        self.at(&params.text_document_position, move |snap, files, pos| {
            let Some(found) = snap.analysis.references(pos, include, &snap.ws)? else {
                return Ok(None);
            };
            let mut out = Vec::new();
            for r in &found {
                out.extend(files.location(r)?);
            }
            Ok(Some(out))
        })
        .await
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        self.at(&params.text_document_position_params, |snap, files, pos| {
            let found = snap.analysis.highlights(pos)?;
            let f = files.get(&pos.path)?;
            Ok(Some(
                found
                    .iter()
                    .map(|o| DocumentHighlight {
                        range: f.range(o.span),
                        kind: Some(if o.is_def {
                            DocumentHighlightKind::WRITE
                        } else {
                            DocumentHighlightKind::READ
                        }),
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let answer = self
            .at(&params, |snap, files, pos| {
                Ok(Some(match snap.analysis.prepare_rename(pos)? {
                    Ok(Some((span, placeholder))) => {
                        Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
                            range: files.get(&pos.path)?.range(span),
                            placeholder,
                        }))
                    }
                    Ok(None) => Ok(None),
                    Err(why) => Err(why),
                }))
            })
            .await?;
        match answer {
            None => Ok(None),
            Some(a) => a.map_err(Error::invalid_params),
        }
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let new_name = params.new_name;
        let answer = self
            .at(&params.text_document_position, move |snap, files, pos| {
                Ok(Some(
                    match snap.analysis.rename(pos, &new_name, &snap.ws)? {
                        Ok(Some(change)) => Ok(Some(files.workspace_edit(&change)?)),
                        Ok(None) => Ok(None),
                        Err(why) => Err(why),
                    },
                ))
            })
            .await?;
        match answer {
            None => Ok(None),
            Some(a) => a.map_err(Error::invalid_params),
        }
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        #[allow(deprecated)] // `deprecated` is a required field of the struct
        fn convert(f: &FileLines, s: &mql_ide::Symbol) -> DocumentSymbol {
            DocumentSymbol {
                name: s.name.clone(),
                detail: s.detail.clone(),
                kind: convert::symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                range: f.range(s.span),
                selection_range: f.range(s.focus_span),
                children: (!s.children.is_empty())
                    .then(|| s.children.iter().map(|c| convert(f, c)).collect()),
            }
        }
        self.in_doc(&params.text_document.uri, |snap, files, path| {
            let symbols = snap.analysis.document_symbols(path)?;
            let f = files.get(path)?;
            Ok(Some(DocumentSymbolResponse::Nested(
                symbols.iter().map(|s| convert(f, s)).collect(),
            )))
        })
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let query = params.query;
        self.query(move |snap| {
            let found = snap.analysis.workspace_symbols(&query, &snap.ws)?;
            let mut files = Files::new(&snap.analysis);
            let mut out = Vec::new();
            for s in found {
                let Some(location) = files.location(&s.range)? else {
                    continue;
                };
                out.push(WorkspaceSymbol {
                    name: s.name,
                    kind: convert::symbol_kind(s.kind),
                    tags: None,
                    container_name: s.container,
                    location: OneOf::Left(location),
                    data: None,
                });
            }
            Ok(Some(WorkspaceSymbolResponse::Nested(out)))
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.in_doc(&params.text_document.uri, |snap, files, path| {
            let hl = snap.analysis.highlight(path)?;
            Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data: convert::semantic_tokens(files.get(path)?, &hl),
            })))
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        let range = params.range;
        self.in_doc(&params.text_document.uri, move |snap, files, path| {
            let span = files.get(path)?.span(range);
            let fixes = snap.analysis.fixes(path, span)?;
            let diags = snap.analysis.diagnostics(path)?;
            let mut out = Vec::new();
            for fix in fixes {
                let diagnostic = match diags.get(fix.diagnostic) {
                    Some(d) => Some(vec![files.diagnostic(path, d)?]),
                    None => None,
                };
                let edit = TextEdit::new(files.get(path)?.range(fix.edit.span), fix.edit.new_text);
                let mut changes = HashMap::new();
                changes.insert(uri.clone(), vec![edit]);
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: diagnostic,
                    edit: Some(WorkspaceEdit::new(changes)),
                    is_preferred: Some(fix.preferred),
                    ..CodeAction::default()
                }));
            }
            Ok(Some(out))
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let range = params.range;
        self.in_doc(&params.text_document.uri, move |snap, files, path| {
            let f = files.get(path)?;
            let hints = snap.analysis.inlay_hints(path, f.span(range))?;
            Ok(Some(
                hints
                    .into_iter()
                    .map(|h| InlayHint {
                        position: f.position(h.offset),
                        label: InlayHintLabel::String(h.label),
                        kind: None,
                        text_edits: None,
                        tooltip: Some(InlayHintTooltip::String(h.tooltip)),
                        padding_left: Some(true),
                        padding_right: Some(false),
                        data: None,
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.format_edits(&params.text_document.uri, None).await
    }

    async fn range_formatting(
        &self,
        params: DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        self.format_edits(&params.text_document.uri, Some(params.range))
            .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.in_doc(&params.text_document.uri, |snap, files, path| {
            let folds = snap.analysis.folding_ranges(path)?;
            let f = files.get(path)?;
            Ok(Some(
                folds
                    .into_iter()
                    .map(|fold| FoldingRange {
                        start_line: f.position(fold.span.start as usize).line,
                        end_line: f.position(fold.span.end as usize).line,
                        kind: Some(match fold.kind {
                            FoldKind::Comment => FoldingRangeKind::Comment,
                            FoldKind::Region => FoldingRangeKind::Region,
                        }),
                        ..FoldingRange::default()
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn selection_range(
        &self,
        params: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        let positions = params.positions;
        self.in_doc(&params.text_document.uri, move |snap, files, path| {
            let f = files.get(path)?;
            let offsets: Vec<usize> = positions.iter().map(|p| f.offset(*p)).collect();
            let ranges = snap.analysis.selection_ranges(path, &offsets)?;
            Ok(Some(
                ranges
                    .into_iter()
                    .map(|spans| {
                        let mut out: Option<SelectionRange> = None;
                        for s in spans.iter().rev() {
                            out = Some(SelectionRange {
                                range: f.range(*s),
                                parent: out.map(Box::new),
                            });
                        }
                        out.unwrap_or(SelectionRange {
                            range: Range::default(),
                            parent: None,
                        })
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.in_doc(&params.text_document.uri, |snap, files, path| {
            let links = snap.analysis.links(path)?;
            let f = files.get(path)?;
            Ok(Some(
                links
                    .into_iter()
                    .filter_map(|l| {
                        Some(DocumentLink {
                            range: f.range(l.span),
                            target: Some(path_to_uri(&l.target)?),
                            tooltip: Some(format!("open `{}`", l.target)),
                            data: None,
                        })
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn prepare_call_hierarchy(
        &self,
        params: CallHierarchyPrepareParams,
    ) -> Result<Option<Vec<CallHierarchyItem>>> {
        self.at(&params.text_document_position_params, |snap, files, pos| {
            let Some(item) = snap.analysis.call_hierarchy(pos)? else {
                return Ok(None);
            };
            Ok(call_item(files, &item)?.map(|i| vec![i]))
        })
        .await
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        let item = params.item;
        self.query(move |snap| {
            let mut files = Files::new(&snap.analysis);
            let (_, pos) = ide_item(&mut files, &item)?;
            let Some(found) = snap.analysis.call_hierarchy(&pos)? else {
                return Ok(None);
            };
            let mut out = Vec::new();
            for call in snap.analysis.incoming_calls(&found, &snap.ws)? {
                let Some(from) = call_item(&mut files, &call.item)? else {
                    continue;
                };
                let f = files.get(&call.item.path)?;
                out.push(CallHierarchyIncomingCall {
                    from,
                    from_ranges: call.spans.iter().map(|s| f.range(*s)).collect(),
                });
            }
            Ok(Some(out))
        })
        .await
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        let item = params.item;
        self.query(move |snap| {
            let mut files = Files::new(&snap.analysis);
            let (mut asked, pos) = ide_item(&mut files, &item)?;
            // The item as the IDE layer describes it, if the name is still
            // there; else the range the editor gave.
            if let Some(found) = snap.analysis.call_hierarchy(&pos)? {
                asked = found;
            }
            let mut out = Vec::new();
            for call in snap.analysis.outgoing_calls(&asked)? {
                let Some(to) = call_item(&mut files, &call.item)? else {
                    continue;
                };
                let f = files.get(&asked.path)?;
                out.push(CallHierarchyOutgoingCall {
                    to,
                    from_ranges: call.spans.iter().map(|s| f.range(*s)).collect(),
                });
            }
            Ok(Some(out))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let uri = params.text_document.uri.clone();
        self.in_doc(&params.text_document.uri, move |snap, files, path| {
            let lenses = snap.analysis.lenses(path)?;
            let f = files.get(path)?;
            Ok(Some(
                lenses
                    .into_iter()
                    .map(|l| {
                        let (command, arguments) = match &l.command {
                            LensCommand::RunAll => (RUN_TESTS, vec![json!(uri.as_str())]),
                            LensCommand::RunTest(name) => {
                                (RUN_TEST, vec![json!(uri.as_str()), json!(name)])
                            }
                        };
                        CodeLens {
                            range: f.range(l.span),
                            command: Some(Command {
                                title: l.title,
                                command: command.into(),
                                arguments: Some(arguments),
                            }),
                            data: None,
                        }
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let uri = params
            .arguments
            .first()
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Uri>().ok());
        let Some(uri) = uri else {
            return Err(Error::invalid_params(format!(
                "`{}` needs the file's URI as its first argument",
                params.command
            )));
        };
        let path = uri_to_path(&uri);
        match params.command.as_str() {
            RUN_TESTS => self.run_tests(path, None).await,
            RUN_TEST => {
                let Some(name) = params.arguments.get(1).and_then(Value::as_str) else {
                    return Err(Error::invalid_params(
                        "`mql.runTest` needs the test's name as its second argument",
                    ));
                };
                self.run_tests(path, Some(name.to_string())).await
            }
            other => Err(Error::invalid_params(format!(
                "there is no command `{other}`; the commands are `{RUN_TESTS}` and `{RUN_TEST}`"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::on_query_thread;

    /// The parser wants 4 MiB of stack per declaration and maps a new stack
    /// when less is left; queries leave it more than that.
    #[tokio::test]
    async fn queries_run_with_stack_to_spare_for_the_parser() {
        let remaining = on_query_thread(stacker::remaining_stack).await.flatten();
        assert!(
            remaining.is_some_and(|r| r > 8 << 20),
            "remaining stack: {remaining:?}"
        );
    }

    #[tokio::test]
    async fn a_panicking_query_answers_nothing() {
        let answer: Option<u32> = on_query_thread(|| panic!("a bug")).await;
        assert_eq!(answer, None);
    }
}
