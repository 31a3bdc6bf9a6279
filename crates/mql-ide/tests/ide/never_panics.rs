//! Every feature at every position of broken, half-typed text answers
//! without a panic, and quickly (a hang fails the test, naming the input).

use mql_ide::{AnalysisHost, FilePosition, Span, Workspace};

const TEXT: &str = "/// Démo 😀\nmodel m\nuse \"nope.mql\"\nlead { e: string, s: enum { a, b } }\nevent v { u: string, n: int }\n/// Café ☕\ncriterion c = s == a and count(v where u starts_with \"😀\\\"x\" within 7d) >= 2\nlet l = sum(v, n)\nscore sc {\n  range 0 to 10\n  each v where n > 1 => +2 up to 6\n  c => +1\n}\ntier t { A when sc >= 5 B otherwise }\nstages x, y\ntransition x -> y when t == A\ntest \"é\" { lead { s: b, stage: x } events { v { u: \"/\", n: 3 } 1d ago } expect stage == y }\n";

fn every_feature(path: &str, text: &str) {
    let mut host = AnalysisHost::new();
    host.set_text(path, text);
    let a = host.analysis();
    let ws = Workspace {
        folders: Vec::new(),
        open: vec![path.to_string()],
    };
    let whole = Span::new(0, text.len());
    a.diagnostics(path).expect("ok");
    a.highlight(path).expect("ok");
    a.document_symbols(path).expect("ok");
    a.inlay_hints(path, whole).expect("ok");
    a.folding_ranges(path).expect("ok");
    a.links(path).expect("ok");
    a.lenses(path).expect("ok");
    let _ = a.format(path).expect("ok");
    let _ = a.run_tests(path, None).expect("ok");
    a.workspace_symbols("c", &ws).expect("ok");
    let offsets: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    a.selection_ranges(path, &offsets).expect("ok");
    for &offset in &offsets {
        let pos = FilePosition {
            path: path.to_string(),
            offset,
        };
        a.hover(&pos).expect("ok");
        a.completions(&pos).expect("ok");
        a.signature_help(&pos).expect("ok");
        a.definition(&pos).expect("ok");
        a.highlights(&pos).expect("ok");
        let _ = a.prepare_rename(&pos).expect("ok");
        let _ = a.format_range(path, Span::new(offset, offset)).expect("ok");
        a.fixes(path, Span::new(offset, offset + 1)).expect("ok");
        if offset % 7 == 0 {
            a.references(&pos, true, &ws).expect("ok");
            let _ = a.rename(&pos, "renamed", &ws).expect("ok");
            if let Some(item) = a.call_hierarchy(&pos).expect("ok") {
                a.incoming_calls(&item, &ws).expect("ok");
                a.outgoing_calls(&item).expect("ok");
            }
        }
    }
}

/// Where to cut the model: every `step`th byte and every line end (on
/// character boundaries), and the whole text.
fn cuts(text: &str, step: usize) -> Vec<usize> {
    let mut out: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .filter(|&i| i % step == 0 || text[i..].starts_with('\n') || i == text.len())
        .collect();
    out.dedup();
    out
}

/// Runs `work` on another thread and fails, naming the input, when one
/// input takes longer than `limit`.
fn within<T: Clone + Send + 'static>(
    limit: std::time::Duration,
    inputs: Vec<T>,
    work: impl Fn(&T) + Send + 'static,
    describe: impl Fn(&T) -> String,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let todo = inputs.clone();
    let worker = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            for (n, input) in todo.iter().enumerate() {
                if tx.send(n).is_err() {
                    return;
                }
                work(input);
            }
        })
        .expect("a thread");
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
        cuts(TEXT, 13),
        |&cut| every_feature("/tmp/never-panics/prefix.mql", &TEXT[..cut]),
        |&cut| format!("the first {cut} bytes: {:?}", &TEXT[..cut]),
    );
}

#[test]
fn prefixes_end_at_the_whole_text() {
    for text in [TEXT, "", "a", "ab😀", "x\ny\n", "é"] {
        for step in [1, 2, 3, 11] {
            let c = cuts(text, step);
            assert_eq!(c.first(), Some(&0), "{text:?} by {step}");
            assert_eq!(c.last(), Some(&text.len()), "{text:?} by {step}");
            assert!(c.windows(2).all(|w| w[0] < w[1]));
            assert!(c.iter().all(|&i| text.is_char_boundary(i)));
        }
    }
}
