//! The LSP backend: open documents and the shared salsa database behind a
//! lock, edits applied under the lock, every query run on a clone of the
//! database on a thread of its own (with a stack the parser does not need to
//! grow), off the async runtime. A query cancelled by a newer edit is
//! retried on a fresh clone; a newer edit makes older diagnostics moot.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mql_db::{Database, Db};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::Analysis;
use crate::position::Lines;
use crate::uri::uri_to_path;
use crate::{completion, diagnostics, hover, navigation, signature, symbols, tokens};

/// A document open in the editor: its text overrides the file on disk.
#[derive(Clone, Debug)]
struct Doc {
    uri: Uri,
    version: i32,
}

#[derive(Default)]
struct State {
    db: Database,
    docs: HashMap<String, Doc>,
    /// Every file of the open models, to re-read from disk on save.
    known: HashSet<String>,
}

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
    /// Bumped by every change; diagnostics computed for an older generation
    /// are dropped (a newer run will publish).
    generation: Arc<AtomicU64>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    match state.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The most times a query is retried after salsa cancelled it.
const RETRIES: usize = 50;

/// Stack of the threads that run queries. The parser moves to a freshly
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

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Arc::new(Mutex::new(State::default())),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Run `f` on a snapshot of the database, off the async runtime. A salsa
    /// cancellation (an edit arrived meanwhile) retries on a new snapshot; a
    /// bug that panics becomes an error response rather than a dead server.
    async fn query<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Database, &HashMap<String, Doc>) -> T + Send + 'static,
    {
        let state = self.state.clone();
        let job = on_query_thread(move || {
            for _ in 0..RETRIES {
                let (db, docs) = {
                    let st = lock(&state);
                    (st.db.clone(), st.docs.clone())
                };
                match salsa::Cancelled::catch(AssertUnwindSafe(|| f(&db, &docs))) {
                    Ok(v) => return Ok(v),
                    Err(_) => continue,
                }
            }
            Err(Error::request_cancelled())
        });
        job.await.unwrap_or_else(|| Err(Error::internal_error()))
    }

    /// Run a request against the analysis of the open document `uri`.
    /// Unknown documents answer `None`.
    async fn with_doc<T, F>(&self, uri: &Uri, f: F) -> Result<Option<T>>
    where
        T: Send + 'static,
        F: Fn(&Analysis) -> Option<T> + Send + 'static,
    {
        let path = uri_to_path(uri);
        self.query(move |db, docs| {
            if !docs.contains_key(&path) {
                return None;
            }
            let a = Analysis::new(db, &path);
            f(&a)
        })
        .await
    }

    /// Apply an edit to the database under the lock (waiting for running
    /// queries to notice the cancellation), then re-publish diagnostics.
    async fn edit<F>(&self, f: F)
    where
        F: FnOnce(&mut State) + Send + 'static,
    {
        let state = self.state.clone();
        let generation = self.generation.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut st = lock(&state);
            generation.fetch_add(1, Ordering::SeqCst);
            f(&mut st);
        })
        .await;
        if done.is_ok() {
            self.publish_all().await;
        }
    }

    /// Publish diagnostics for every open document: a change to one file can
    /// change the diagnostics of every model that uses it.
    async fn publish_all(&self) {
        let generation = self.generation.load(Ordering::SeqCst);
        let result = self
            .query(|db, docs| {
                let mut out = Vec::new();
                let mut files = Vec::new();
                for (path, doc) in docs {
                    let a = Analysis::for_diagnostics(db, path);
                    files.extend(a.index.files.iter().map(|f| f.path.to_string()));
                    let diags = diagnostics::diagnostics(&a)
                        .into_iter()
                        .map(|(_, d)| d)
                        .collect::<Vec<_>>();
                    out.push((doc.uri.clone(), doc.version, diags));
                }
                (out, files)
            })
            .await;
        let Ok((all, files)) = result else { return };
        lock(&self.state).known.extend(files);
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        for (uri, version, diags) in all {
            self.client
                .publish_diagnostics(uri, diags, Some(version))
                .await;
        }
    }

    /// All open models, for references and rename across files.
    fn analyses(db: &Database, docs: &HashMap<String, Doc>, first: &str) -> Vec<Analysis> {
        let mut out = vec![Analysis::new(db, first)];
        let mut paths: Vec<&String> = docs.keys().filter(|p| p.as_str() != first).collect();
        paths.sort();
        out.extend(paths.into_iter().map(|p| Analysis::new(db, p)));
        out
    }
}

fn position_params(p: &TextDocumentPositionParams) -> (Uri, Position) {
    (p.text_document.uri.clone(), p.position)
}

impl LanguageServer for Backend {
    async fn initialize(&self, _: InitializeParams) -> Result<InitializeResult> {
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
                        ["(", "[", ",", ">", " "]
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
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
                inlay_hint_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: tokens::legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
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
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let path = uri_to_path(&doc.uri);
        self.edit(move |st| {
            st.db.set_text(&path, &doc.text);
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
            let file = st.db.file(&path);
            let mut text = file.text(&st.db).as_deref().unwrap_or("").to_string();
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
            st.db.set_text(&path, &text);
        })
        .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let path = uri_to_path(&uri);
        self.edit(move |st| {
            if st.docs.remove(&path).is_some() {
                st.db.reload(&path);
            }
        })
        .await;
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
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
                st.db.reload(&p);
            }
        })
        .await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let paths: Vec<String> = params.changes.iter().map(|c| uri_to_path(&c.uri)).collect();
        self.edit(move |st| {
            for p in paths {
                if !st.docs.contains_key(&p) {
                    st.db.reload(&p);
                }
            }
        })
        .await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let (uri, pos) = position_params(&params.text_document_position_params);
        self.with_doc(&uri, move |a| {
            let root = a.root();
            hover::hover(a, 0, root.lines.offset(&root.text, pos))
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let (uri, pos) = position_params(&params.text_document_position);
        self.with_doc(&uri, move |a| {
            let root = a.root();
            let items = completion::complete(a, 0, root.lines.offset(&root.text, pos));
            Some(CompletionResponse::Array(items))
        })
        .await
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let (uri, pos) = position_params(&params.text_document_position_params);
        self.with_doc(&uri, move |a| {
            let root = a.root();
            signature::signature_help(a, 0, root.lines.offset(&root.text, pos))
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let (uri, pos) = position_params(&params.text_document_position_params);
        self.with_doc(&uri, move |a| {
            let root = a.root();
            navigation::definition(a, 0, root.lines.offset(&root.text, pos))
                .map(GotoDefinitionResponse::Scalar)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let (uri, pos) = position_params(&params.text_document_position);
        let include = params.context.include_declaration;
        let path = uri_to_path(&uri);
        self.query(move |db, docs| {
            if !docs.contains_key(&path) {
                return None;
            }
            let models = Backend::analyses(db, docs, &path);
            let a = &models[0];
            let offset = a.root().lines.offset(&a.root().text, pos);
            let (d, _) = navigation::target_at(a, 0, offset).ok()??;
            let key = navigation::key(a, d);
            let refs: Vec<&Analysis> = models.iter().collect();
            Some(navigation::references(&refs, &key, include))
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let (uri, pos) = position_params(&params);
        let path = uri_to_path(&uri);
        let answer: std::result::Result<Option<PrepareRenameResponse>, String> = self
            .query(move |db, docs| {
                if !docs.contains_key(&path) {
                    return Ok(None);
                }
                let a = Analysis::new(db, &path);
                let root = a.root();
                let offset = root.lines.offset(&root.text, pos);
                Ok(navigation::target_at(&a, 0, offset)?.map(|(d, span)| {
                    PrepareRenameResponse::RangeWithPlaceholder {
                        range: root.lines.range(&root.text, span),
                        placeholder: a.index.def(d).name.clone(),
                    }
                }))
            })
            .await?;
        answer.map_err(Error::invalid_params)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let (uri, pos) = position_params(&params.text_document_position);
        let new_name = params.new_name;
        let path = uri_to_path(&uri);
        let answer: std::result::Result<Option<WorkspaceEdit>, String> = self
            .query(move |db, docs| {
                if !docs.contains_key(&path) {
                    return Ok(None);
                }
                let models = Backend::analyses(db, docs, &path);
                let a = &models[0];
                let offset = a.root().lines.offset(&a.root().text, pos);
                let Some((d, _)) = navigation::target_at(a, 0, offset)? else {
                    return Ok(None);
                };
                let key = navigation::key(a, d);
                // The new name must fit in every open model that sees the definition.
                for m in &models {
                    if let Some(md) = navigation::find_def(m, &key) {
                        navigation::check_new_name(m, md, &new_name)?;
                    }
                }
                let refs: Vec<&Analysis> = models.iter().collect();
                Ok(Some(navigation::rename(&refs, &key, &new_name)))
            })
            .await?;
        answer.map_err(Error::invalid_params)
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.with_doc(&params.text_document.uri, |a| {
            Some(DocumentSymbolResponse::Nested(symbols::document_symbols(
                a.root(),
            )))
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.with_doc(&params.text_document.uri, |a| {
            Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data: tokens::semantic_tokens(&a.index, 0),
            }))
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        let range = params.range;
        self.with_doc(&params.text_document.uri, move |a| {
            Some(diagnostics::code_actions(a, &uri, range))
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let range = params.range;
        self.with_doc(&params.text_document.uri, move |a| {
            Some(signature::inlay_hints(a, 0, range))
        })
        .await
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
