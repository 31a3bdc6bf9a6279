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

    /// Where to cut the model: every `step`th byte and every line end (on
    /// character boundaries), and the whole text. A plain list, so the loop
    /// over it ends whatever the text's length.
    fn cuts(text: &str, step: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .filter(|&i| i % step == 0 || text[i..].starts_with('\n') || i == text.len())
            .collect();
        out.dedup();
        out
    }

    /// Runs `work` on another thread and fails, naming the input, when one
    /// input takes longer than `limit` (a hang must fail, not stall the suite).
    fn within<T: Clone + Send + 'static>(
        limit: std::time::Duration,
        inputs: Vec<T>,
        work: impl Fn(&T) + Send + 'static,
        describe: impl Fn(&T) -> String,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        let todo = inputs.clone();
        let worker = std::thread::spawn(move || {
            for (n, input) in todo.iter().enumerate() {
                if tx.send(n).is_err() {
                    return;
                }
                work(input);
            }
        });
        let mut current = None;
        loop {
            match rx.recv_timeout(limit) {
                Ok(n) => current = Some(n),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    let what = current.map_or_else(String::new, |n| describe(&inputs[n]));
                    panic!("no answer within {limit:?} on {what}");
                }
            }
        }
        if let Err(e) = worker.join() {
            std::panic::resume_unwind(e);
        }
    }

    #[test]
    fn on_a_whole_model_and_every_prefix_of_it() {
        within(
            std::time::Duration::from_secs(60),
            cuts(TEXT, 3),
            |&cut| every_feature("/tmp/never-panics/prefix.mql", &TEXT[..cut]),
            |&cut| format!("the first {cut} bytes: {:?}", &TEXT[..cut]),
        );
    }

    /// The sampled prefixes used to be stepped through with `cut += 11`,
    /// which jumped past the end of the text and then searched forever for
    /// a character boundary beyond it (the test "hung" after all its work).
    #[test]
    fn prefixes_end_at_the_whole_text() {
        for text in [TEXT, "", "a", "ab😀", "x\ny\n", "é"] {
            for step in [1, 2, 3, 11] {
                let c = cuts(text, step);
                assert_eq!(c.first(), Some(&0), "{text:?} by {step}");
                assert_eq!(c.last(), Some(&text.len()), "{text:?} by {step}");
                assert!(c.windows(2).all(|w| w[0] < w[1]));
                assert!(c.iter().all(|&i| text.is_char_boundary(i)));
                for (i, _) in text.match_indices('\n') {
                    assert!(c.contains(&i), "line end {i} of {text:?} by {step}");
                }
            }
        }
    }

    /// A hang is reported with the input it hung on.
    #[test]
    fn a_hang_names_its_input() {
        let caught = std::panic::catch_unwind(|| {
            within(
                std::time::Duration::from_millis(50),
                vec![1u64, 2],
                |&n| {
                    if n == 2 {
                        std::thread::sleep(std::time::Duration::from_secs(2));
                    }
                },
                |n| format!("input {n}"),
            )
        });
        let message = caught
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(message.contains("input 2"), "{message}");
    }
}
