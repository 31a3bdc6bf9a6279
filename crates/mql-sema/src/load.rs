//! Follows `use "…"` through the [`Loader`]: each file once, depth-first, the
//! declarations of a used file standing where its `use` is.

use std::collections::HashMap;
use std::sync::Arc;

use mql_core::Diagnostic;
use mql_syntax::ast::DeclKind;

use crate::codes;
use crate::{FileSource, Loader};

/// The files of a model and its declarations in order.
pub struct Loaded {
    pub files: Vec<FileSource>,
    /// `(file index, declaration index in that file)`, `use`s resolved.
    pub items: Vec<(u32, usize)>,
    /// Diagnostics about uses, with the file index they belong to.
    pub diags: Vec<(u32, Diagnostic)>,
}

pub fn load_all(root: FileSource, loader: &dyn Loader) -> Loaded {
    let mut l = Loaded {
        files: vec![root],
        items: Vec::new(),
        diags: Vec::new(),
    };
    // The files being read, the innermost `use` last, each with the index of
    // its next declaration: a loop, not recursion, however long the chain of
    // files using each other.
    let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
    // every file met, by path, and whether it is on the stack
    let mut known: HashMap<Arc<str>, u32> = HashMap::from([(l.files[0].path.clone(), 0)]);
    let mut open = vec![true];
    while let Some(top) = stack.last_mut() {
        let (file, i) = *top;
        let ast = l.files[file as usize].ast.clone();
        let Some(decl) = ast.decls.get(i) else {
            open[file as usize] = false;
            stack.pop();
            continue;
        };
        top.1 += 1;
        let DeclKind::Use(s) = &decl.kind else {
            l.items.push((file, i));
            continue;
        };
        let from: Arc<str> = l.files[file as usize].path.clone();
        match loader.load(&from, &s.value) {
            Err(why) => {
                // the file is there but is not a model mql can read
                // (`mql_core::input`'s messages)
                let missing = !["not a file;", "is larger than", "is not UTF-8"]
                    .iter()
                    .any(|w| why.contains(w));
                let d = Diagnostic::error(
                    codes::MISSING_USE,
                    format!("can't use `{}`: {why}", s.value),
                    s.span,
                )
                .with_label(if missing {
                    "file not found"
                } else {
                    "can't be read"
                })
                .with_help(if missing {
                    "the path is relative to the file that has the `use`; check its spelling"
                } else {
                    "point `use` at a model file (a `.mql` text file)"
                });
                l.diags.push((file, d));
            }
            Ok(src) => {
                let met = known.get(&src.path).copied();
                if let Some(pos) = met
                    .filter(|&f| open[f as usize])
                    .and_then(|f| stack.iter().position(|&(g, _)| g == f))
                {
                    let mut chain: Vec<String> = stack[pos..]
                        .iter()
                        .map(|&(f, _)| l.files[f as usize].path.to_string())
                        .collect();
                    chain.push(src.path.to_string());
                    let d = Diagnostic::error(
                        codes::USE_CYCLE,
                        format!(
                            "these files use each other in a circle: {}",
                            circle_text(&chain)
                        ),
                        s.span,
                    )
                    .with_label("closes the circle")
                    .with_help("move the shared declarations into a file that both use");
                    l.diags.push((file, d));
                    continue;
                }
                if met.is_some() {
                    continue;
                }
                let f = l.files.len() as u32;
                known.insert(src.path.clone(), f);
                l.files.push(src);
                open.push(true);
                stack.push((f, 0));
            }
        }
    }
    l
}

/// A circle of files as the message shows it: every path when there are
/// few, else the first and last ones and how many there are.
fn circle_text(chain: &[String]) -> String {
    const SHOWN: usize = 12;
    if chain.len() <= SHOWN {
        return chain.join(" -> ");
    }
    format!(
        "{} -> … -> {} ({} files)",
        chain[..SHOWN - 3].join(" -> "),
        chain[chain.len() - 2..].join(" -> "),
        chain.len() - 1
    )
}
