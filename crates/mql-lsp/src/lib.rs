//! The mql language server: the IDE layer's features (`mql-ide`) over the
//! Language Server Protocol — diagnostics, hover, completion, navigation
//! and rename across the workspace, outline and workspace symbols, semantic
//! tokens, quick fixes, inlay hints, signature help, formatting, folding,
//! selection ranges, highlights, links, the call hierarchy, and tests run
//! from code lenses. This is the only crate that knows LSP, JSON-RPC and
//! UTF-16 positions; it converts to and from the IDE layer's plain data.

mod convert;
mod position;
mod server;
mod transport;
mod uri;

pub use server::{Backend, RUN_TEST, RUN_TESTS};
pub use transport::serve;

/// Run the server on stdin/stdout (what `mql lsp` does) with a tokio
/// runtime of its own. Returns the process's exit code: 0 after `shutdown`
/// then `exit` (or the end of the input), 1 for an `exit` without
/// `shutdown`, as the protocol says.
pub fn run_stdio() -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let code = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // Reading stdin blocks a thread that only returns when the input
    // closes; an editor that sent `exit` may keep it open, so do not wait.
    runtime.shutdown_background();
    Ok(code)
}
