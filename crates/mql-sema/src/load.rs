//! Follows `use "…"` through the [`Loader`]: each file once, depth-first, the
//! declarations of a used file standing where its `use` is.

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
    let mut stack = vec![0u32];
    visit(&mut l, loader, &mut stack);
    l
}

fn visit(l: &mut Loaded, loader: &dyn Loader, stack: &mut Vec<u32>) {
    let Some(&file) = stack.last() else { return };
    let ast = l.files[file as usize].ast.clone();
    let from: Arc<str> = l.files[file as usize].path.clone();
    for (i, decl) in ast.decls.iter().enumerate() {
        let DeclKind::Use(s) = &decl.kind else {
            l.items.push((file, i));
            continue;
        };
        match loader.load(&from, &s.value) {
            Err(why) => {
                let d = Diagnostic::error(
                    codes::MISSING_USE,
                    format!("can't use `{}`: {why}", s.value),
                    s.span,
                )
                .with_label("file not found")
                .with_help(
                    "the path is relative to the file that has the `use`; check its spelling",
                );
                l.diags.push((file, d));
            }
            Ok(src) => {
                if let Some(pos) = stack
                    .iter()
                    .position(|&f| l.files[f as usize].path == src.path)
                {
                    let mut chain: Vec<String> = stack[pos..]
                        .iter()
                        .map(|&f| l.files[f as usize].path.to_string())
                        .collect();
                    chain.push(src.path.to_string());
                    let d = Diagnostic::error(
                        codes::USE_CYCLE,
                        format!(
                            "these files use each other in a circle: {}",
                            chain.join(" -> ")
                        ),
                        s.span,
                    )
                    .with_label("closes the circle")
                    .with_help("move the shared declarations into a file that both use");
                    l.diags.push((file, d));
                    continue;
                }
                if l.files.iter().any(|f| f.path == src.path) {
                    continue;
                }
                l.files.push(src);
                stack.push(l.files.len() as u32 - 1);
                visit(l, loader, stack);
                stack.pop();
            }
        }
    }
}
