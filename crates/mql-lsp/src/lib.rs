//! The mql language server: diagnostics, hover, completion, navigation,
//! rename, outline, semantic tokens, quick fixes, inlay hints and signature
//! help for `.mql` files, over the Language Server Protocol. It runs on the
//! same salsa database as the CLI (`mql-db`); this is the only crate that
//! knows LSP.

mod analysis;
mod builtins;
mod completion;
mod diagnostics;
mod hover;
mod index;
mod lex;
mod navigation;
mod position;
mod server;
mod signature;
mod symbols;
mod tokens;
mod transport;
mod uri;

pub use server::Backend;
pub use transport::serve;

/// Run the server on stdin/stdout (what `mql lsp` does). Creates its own
/// tokio runtime.
pub fn run_stdio() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    Ok(())
}

#[cfg(test)]
mod never_panics {
    //! Every feature at every position of broken, half-typed text.

    use tower_lsp_server::ls_types::{Position, Range};

    use crate::analysis::Analysis;

    const TEXT: &str = "/// Démo 😀\nmodel m\nlead { e: string, s: enum { a, b } }\nevent v { u: string, n: int }\n/// Café ☕\ncriterion c = s == a and count(v where u starts_with \"😀\\\"x\" within 7d) >= 2\nlet l = sum(v, n)\nscore sc {\n  range 0 to 10\n  each v where n > 1 => +2 up to 6\n  c => +1\n}\ntier t { A when sc >= 5 B otherwise }\nstages x, y\ntransition x -> y when t == A\ntest \"é\" { lead { s: b, stage: x } events { v { u: \"/\", n: 3 } 1d ago } expect stage == y }\n";

    fn every_feature(path: &str, text: &str) {
        let mut db = mql_db::Database::new();
        db.set_text(path, text);
        let a = Analysis::new(&db, path);
        let root = a.root();
        let whole = Range::new(Position::new(0, 0), Position::new(9999, 0));
        crate::tokens::semantic_tokens(&a.index, 0);
        crate::symbols::document_symbols(root);
        crate::signature::inlay_hints(&a, 0, whole);
        crate::diagnostics::diagnostics(&a);
        for offset in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            crate::hover::hover(&a, 0, offset);
            crate::completion::complete(&a, 0, offset);
            crate::signature::signature_help(&a, 0, offset);
            crate::navigation::definition(&a, 0, offset);
            let _ = crate::navigation::target_at(&a, 0, offset);
            let p = root.lines.position(text, offset);
            assert_eq!(root.lines.offset(text, p), offset);
            let r = Range::new(p, Position::new(p.line + 1, 0));
            crate::diagnostics::code_actions(&a, &"file:///x.mql".parse().expect("uri"), r);
        }
    }

    #[test]
    #[ignore = "slow on a loaded machine (minutes); run with --ignored"]
    fn on_a_whole_model_and_every_prefix_of_it() {
        every_feature("/tmp/never-panics/full.mql", TEXT);
        let mut cut = 0;
        while cut < TEXT.len() {
            every_feature("/tmp/never-panics/prefix.mql", &TEXT[..cut]);
            cut += 11;
            while !TEXT.is_char_boundary(cut) {
                cut += 1;
            }
        }
    }
}
