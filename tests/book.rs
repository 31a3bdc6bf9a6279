//! The book (`docs/`, built with mdBook) cannot rot: every ```mql block must
//! pass `mql check` (and `mql test` when it has tests), every ```console example
//! is run and its output compared with the page, every relative link and anchor
//! must resolve, every page must be in `SUMMARY.md`, and the CLI reference must
//! name every flag that `mql <verb> --help` lists.
//!
//! Fenced blocks are marked in their info string, comma-separated:
//! - ```` ```mql ```` must check with no error and no warning; its tests must pass;
//! - ```` ```mql,error=E0100 ```` / ```` ```mql,warning=W0103 ```` must give that code,
//!   and a `> ` line after it quotes one of mql's messages with that code;
//! - ```` ```mql,failing ```` must check cleanly and have a failing test (to show one);
//! - ```` ```mql,prelude ```` is put in front of every later ```mql block of the
//!   page that has no `file=` and is not marked `alone` (for catalogue pages
//!   whose examples share a schema);
//! - ```` ```console ```` runs each `$ …` line with `sh` in a scratch folder holding
//!   a copy of `examples/`, `mql` on the `PATH`, and compares standard output and
//!   standard error (merged) with the lines below it; every command must succeed
//!   but the last, whose exit status is `exit=N` (default 0);
//! - `file=NAME` on any block writes its text to NAME in the page's scratch folder
//!   before the blocks that follow run; `append=NAME` adds it to the end of NAME
//!   (a tutorial growing a model step by step), and a ```mql block is then
//!   checked as the whole file;
//! - `pending` skips the block (a feature that is not built yet) and counts it.
//!
//! `MQL_BOOK_UPDATE=1 cargo test --test book` rewrites the shown outputs in place,
//! for a maintainer to review with `git diff`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a page asks for and what went wrong on it.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    checked: usize,
    run: usize,
    pending: BTreeMap<String, usize>,
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let docs = root.join("docs");
    let update = std::env::var_os("MQL_BOOK_UPDATE").is_some_and(|v| v != "0" && !v.is_empty());
    let scratch = std::env::temp_dir().join(format!("mql-book-{}", std::process::id()));
    let mut report = Report::default();
    self_check();

    let pages = summary_pages(&docs, &mut report);
    check_every_page_is_listed(&docs, &pages, &mut report);
    for page in &pages {
        check_links(&docs, page, &pages, &mut report);
        run_page(
            &root,
            &docs,
            page,
            &scratch.join(slug(page)),
            update,
            &mut report,
        );
    }
    check_cli_reference(&docs, &pages, &mut report);
    let _ = std::fs::remove_dir_all(&scratch);

    let pending: usize = report.pending.values().sum();
    println!(
        "book: {} pages, {} mql blocks checked, {} commands run, {} blocks pending",
        pages.len(),
        report.checked,
        report.run,
        pending
    );
    for (page, n) in &report.pending {
        println!("  pending: {page}: {n}");
    }
    if report.failures.is_empty() {
        println!("book: ok");
        return;
    }
    eprintln!("\nthe book has {} problem(s):\n", report.failures.len());
    for f in &report.failures {
        eprintln!("{f}\n");
    }
    std::process::exit(1);
}

/// The pages `SUMMARY.md` links to, relative to `docs/`, in book order; each must exist.
fn summary_pages(docs: &Path, report: &mut Report) -> Vec<String> {
    let text = read(&docs.join("SUMMARY.md"));
    let mut pages = vec!["SUMMARY.md".to_string()];
    for (target, line) in links(&text) {
        if target.contains("://") {
            continue;
        }
        let path = target.split('#').next().unwrap_or_default().to_string();
        if !docs.join(&path).is_file() {
            report.failures.push(format!(
                "docs/SUMMARY.md:{line}: `{path}` does not exist (create the page or remove the entry)"
            ));
        } else if !pages.contains(&path) {
            pages.push(path);
        }
    }
    pages
}

/// mdBook renders only the pages `SUMMARY.md` lists: any other page would be lost.
fn check_every_page_is_listed(docs: &Path, pages: &[String], report: &mut Report) {
    let mut found = Vec::new();
    markdown_files(docs, docs, &mut found);
    for page in found {
        if !pages.contains(&page) {
            report.failures.push(format!(
                "docs/{page} is not in docs/SUMMARY.md: add it to the part of the book it belongs to"
            ));
        }
    }
}

fn markdown_files(docs: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(docs, &path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            if let Ok(rel) = path.strip_prefix(docs) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
}

// ---------------------------------------------------------------- links

/// Every relative link of a page must name a page of the book (or a file under
/// `docs/`, which mdBook copies), and its `#anchor` a heading of that page.
fn check_links(docs: &Path, page: &str, pages: &[String], report: &mut Report) {
    let text = read(&docs.join(page));
    let dir = Path::new(page).parent().unwrap_or(Path::new(""));
    for (target, line) in links(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p.to_string(), Some(a.to_string())),
            None => (target.clone(), None),
        };
        let resolved = if path.is_empty() {
            Some(page.to_string())
        } else {
            normalise(&dir.join(&path))
        };
        let Some(resolved) = resolved else {
            report.failures.push(format!(
                "docs/{page}:{line}: the link `{target}` leaves the book; links must stay under docs/ \
                 (name a repository file in backticks instead)"
            ));
            continue;
        };
        let file = docs.join(&resolved);
        if !file.exists() {
            report.failures.push(format!(
                "docs/{page}:{line}: the link `{target}` points to docs/{resolved}, which does not exist"
            ));
            continue;
        }
        if resolved.ends_with(".md") && !pages.contains(&resolved) {
            report.failures.push(format!(
                "docs/{page}:{line}: the link `{target}` points to docs/{resolved}, which is not in SUMMARY.md"
            ));
            continue;
        }
        if let Some(anchor) = anchor {
            if !resolved.ends_with(".md") {
                continue;
            }
            let ids = heading_ids(&read(&file));
            if !ids.contains(&anchor) {
                report.failures.push(format!(
                    "docs/{page}:{line}: the link `{target}`: docs/{resolved} has no heading with the id `{anchor}`"
                ));
            }
        }
    }
}

/// The heading ids of pages written by mdBook 0.5, for the anchor check.
fn self_check() {
    let ids = heading_ids(
        "# A fit × engagement matrix, A1 to D4\n## E0120: `model` misplaced\n\
         ## Five [minutes](x.md)\n## Notes\n## Notes\n```\n# not a heading\n```\n",
    );
    let want = [
        "a-fit--engagement-matrix-a1-to-d4",
        "e0120-model-misplaced",
        "five-minutes",
        "notes",
        "notes-1",
    ];
    assert_eq!(ids, want.iter().map(|s| s.to_string()).collect());
}

/// `a/../b/c.md` → `b/c.md`; `None` if the path leaves `docs/`.
fn normalise(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// The inline links `[text](target)` of a page outside code, with their line numbers.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(f) = &fence {
            if is_fence_close(line, f) {
                fence = None;
            }
            continue;
        }
        if let Some(f) = fence_open(line) {
            fence = Some(f.0);
            continue;
        }
        let code_free = strip_inline_code(line);
        let mut rest = code_free.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let inside = after[..end].trim();
            let target = inside.split_whitespace().next().unwrap_or_default();
            if !target.is_empty() {
                out.push((target.trim_matches(['<', '>']).to_string(), i + 1));
            }
            rest = &after[end..];
        }
    }
    out
}

fn strip_inline_code(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// The ids mdBook gives a page's headings: lower case, letters, digits, `_` and
/// `-` kept, white space turned into `-`, everything else dropped; a repeated id
/// gets `-1`, `-2`, ….
fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut fence: Option<String> = None;
    for line in text.lines() {
        if let Some(f) = &fence {
            if is_fence_close(line, f) {
                fence = None;
            }
            continue;
        }
        if let Some(f) = fence_open(line) {
            fence = Some(f.0);
            continue;
        }
        let Some(title) = line.strip_prefix('#') else {
            continue;
        };
        let title = title.trim_start_matches('#');
        if !title.starts_with(' ') {
            continue;
        }
        let plain = markdown_to_plain(title.trim());
        let mut id = String::new();
        for c in plain.chars() {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                id.extend(c.to_lowercase());
            } else if c.is_whitespace() {
                id.push('-');
            }
        }
        let mut unique = id.clone();
        let mut n = 1;
        while ids.contains(&unique) {
            unique = format!("{id}-{n}");
            n += 1;
        }
        ids.insert(unique);
    }
    ids
}

/// A heading's text as mdBook sees it: `[text](link)` → `text`, no emphasis marks
/// or backticks.
fn markdown_to_plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '*' => {}
            '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                }
            }
            ']' => {}
            _ => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------- blocks

/// One fenced block of a page.
struct Block {
    lang: String,
    attrs: Vec<String>,
    /// 0-based line of the opening fence.
    open: usize,
    /// 0-based line of the closing fence (or the page's end).
    close: usize,
    indent: String,
    body: Vec<String>,
}

impl Block {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find_map(|a| {
            a.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::trim)
        })
    }
    /// The scratch file a block writes (`file=`) or adds to (`append=`).
    fn file(&self) -> Option<&str> {
        self.attr("file").or_else(|| self.attr("append"))
    }
    fn has(&self, flag: &str) -> bool {
        self.attrs.iter().any(|a| a == flag)
    }
    fn text(&self) -> String {
        let mut t = self.body.join("\n");
        t.push('\n');
        t
    }
}

/// An opening fence: its backticks and info string.
fn fence_open(line: &str) -> Option<(String, String)> {
    let t = line.trim_start();
    let ticks: String = t.chars().take_while(|&c| c == '`').collect();
    if ticks.len() < 3 {
        return None;
    }
    let info = t[ticks.len()..].trim();
    if info.contains('`') {
        return None;
    }
    Some((ticks, info.to_string()))
}

fn is_fence_close(line: &str, ticks: &str) -> bool {
    let t = line.trim();
    t.len() >= ticks.len() && t.chars().all(|c| c == '`')
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((ticks, info)) = fence_open(lines[i]) else {
            i += 1;
            continue;
        };
        let indent: String = lines[i].chars().take_while(|c| c.is_whitespace()).collect();
        let mut parts = info.split(',').map(|s| s.trim().to_string());
        let lang = parts.next().unwrap_or_default();
        let attrs: Vec<String> = parts.filter(|s| !s.is_empty()).collect();
        let open = i;
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && !is_fence_close(lines[i], &ticks) {
            let l = lines[i];
            body.push(
                l.strip_prefix(indent.as_str())
                    .unwrap_or(l.trim_start())
                    .to_string(),
            );
            i += 1;
        }
        out.push(Block {
            lang,
            attrs,
            open,
            close: i,
            indent,
            body,
        });
        i += 1;
    }
    out
}

const MQL_ATTRS: &[&str] = &[
    "pending", "error", "warning", "file", "append", "prelude", "alone", "failing",
];
const CONSOLE_ATTRS: &[&str] = &["pending", "exit"];

fn run_page(
    root: &Path,
    docs: &Path,
    page: &str,
    scratch: &Path,
    update: bool,
    report: &mut Report,
) {
    let path = docs.join(page);
    let text = read(&path);
    let all = blocks(&text);
    if !all.iter().any(|b| b.lang == "mql" || b.lang == "console") {
        return;
    }
    let _ = std::fs::remove_dir_all(scratch);
    copy_dir(&root.join("examples"), &scratch.join("examples"));

    let mut prelude: Option<String> = None;
    // (first line, last line exclusive, new lines) of console bodies to rewrite.
    let mut rewrites: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for (n, block) in all.iter().enumerate() {
        let at = format!("docs/{page}:{}", block.open + 1);
        let known: &[&str] = match block.lang.as_str() {
            "mql" => MQL_ATTRS,
            "console" => CONSOLE_ATTRS,
            _ => &[],
        };
        if !known.is_empty() {
            for a in &block.attrs {
                let key = a.split('=').next().unwrap_or_default();
                if !known.contains(&key) {
                    report.failures.push(format!(
                        "{at}: unknown mark `{a}` on a ```{} block (known: {})",
                        block.lang,
                        known.join(", ")
                    ));
                }
            }
        }
        if block.has("pending") {
            *report.pending.entry(page.to_string()).or_default() += 1;
            continue;
        }
        if let Some(name) = block.file() {
            if name.is_empty() || name.starts_with('/') || name.contains("..") {
                report
                    .failures
                    .push(format!("{at}: `file={name}` must be a plain relative name"));
                continue;
            }
            let dest = scratch.join(name);
            if let Some(parent) = dest.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let mut text = block.text();
            if block.attr("append").is_some() {
                let before = std::fs::read_to_string(&dest).unwrap_or_default();
                text = format!("{before}\n{text}");
            }
            if let Err(e) = std::fs::write(&dest, text) {
                report
                    .failures
                    .push(format!("{at}: could not write `{name}`: {e}"));
            }
        }
        match block.lang.as_str() {
            "mql" => {
                let messages = check_mql(block, n, &at, scratch, &mut prelude, report);
                let lines: Vec<&str> = text.lines().collect();
                if let Some((i, line)) =
                    check_quoted_message(&lines, block, page, &messages, report)
                {
                    if update {
                        report.failures.pop();
                        rewrites.push((i, i + 1, vec![line]));
                    }
                }
            }
            "console" => {
                if let Some(body) = run_console(block, page, scratch, update, report) {
                    rewrites.push((block.open + 1, block.close, body));
                }
            }
            _ => {}
        }
    }
    if update && !rewrites.is_empty() {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        rewrites.sort_by_key(|r| r.0);
        for (from, to, body) in rewrites.into_iter().rev() {
            lines.splice(from..to, body);
        }
        let mut new = lines.join("\n");
        new.push('\n');
        if new != text {
            std::fs::write(&path, new).expect("rewrite the page");
            println!("updated docs/{page}");
        }
    }
}

/// Checks one ```mql block; for a block marked `error=`/`warning=`, returns
/// the messages mql gave with that code.
fn check_mql(
    block: &Block,
    n: usize,
    at: &str,
    scratch: &Path,
    prelude: &mut Option<String>,
    report: &mut Report,
) -> Vec<String> {
    report.checked += 1;
    let text = block.text();
    let (name, source) = match block.file() {
        Some(name) => (
            name.to_string(),
            std::fs::read_to_string(scratch.join(name)).unwrap_or_default(),
        ),
        None => {
            let source = match (&*prelude, block.has("prelude") || block.has("alone")) {
                (Some(p), false) => format!("{p}\n{text}"),
                _ => text.clone(),
            };
            let name = format!("block-{n}.mql");
            if std::fs::write(scratch.join(&name), &source).is_err() {
                report
                    .failures
                    .push(format!("{at}: could not write {name}"));
                return Vec::new();
            }
            (name, source)
        }
    };
    if block.has("prelude") {
        *prelude = Some(source.clone());
    }
    let out = mql_in(scratch, &["check", "--format", "json", &name]);
    let mut codes = Vec::new();
    let mut messages = Vec::new();
    let mut shown = String::new();
    for line in out.stdout.lines() {
        let Ok(d) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let code = d["code"].as_str().unwrap_or("?").to_string();
        if block.attr("error").or(block.attr("warning")) == Some(code.as_str()) {
            messages.push(d["message"].as_str().unwrap_or_default().to_string());
        }
        let _ = write!(
            shown,
            "\n    {code} line {}: {}",
            d["line"],
            d["message"].as_str().unwrap_or_default()
        );
        codes.push(code);
    }
    if shown.is_empty() {
        shown = "\n    no diagnostics".to_string();
    }
    if let Some(code) = block.attr("error") {
        if out.status != 1 || !codes.iter().any(|c| c == code) {
            report.failures.push(format!(
                "{at}: this ```mql,error={code} block should fail `mql check` with {code}; it gave:{shown}"
            ));
        }
        return messages;
    }
    if let Some(code) = block.attr("warning") {
        if out.status != 0 || !codes.iter().any(|c| c == code) {
            report.failures.push(format!(
                "{at}: this ```mql,warning={code} block should pass `mql check` with the warning {code}; it gave:{shown}"
            ));
        }
    } else if out.status != 0 || !codes.is_empty() {
        let first = codes.first().cloned().unwrap_or_else(|| "E0000".into());
        report.failures.push(format!(
            "{at}: this ```mql block does not pass `mql check` cleanly:{shown}\n  \
             (if it is meant to show this, mark it ```mql,{}={first}; if it uses a feature \
             that is not built yet, ```mql,pending)",
            if first.starts_with('W') {
                "warning"
            } else {
                "error"
            },
        ));
        return messages;
    }
    if source
        .lines()
        .any(|l| l.trim_start().starts_with("test \""))
    {
        let out = mql_in(scratch, &["test", &name]);
        if block.has("failing") && out.status != 1 {
            report.failures.push(format!(
                "{at}: this ```mql,failing block should have a failing test, but `mql test` gave:\n{}",
                indent(&out.merged(), "    ")
            ));
        } else if !block.has("failing") && out.status != 0 {
            report.failures.push(format!(
                "{at}: the tests of this ```mql block fail:\n{}",
                indent(&out.merged(), "    ")
            ));
        }
    }
    messages
}

/// A catalogue quotes the message of an error or warning example on the first
/// line after the block that starts with `> `; it must be one that mql gives.
/// Returns the line to write in its place when updating.
fn check_quoted_message(
    lines: &[&str],
    block: &Block,
    page: &str,
    messages: &[String],
    report: &mut Report,
) -> Option<(usize, String)> {
    let code = block.attr("error").or(block.attr("warning"))?;
    let i = (block.close + 1..lines.len()).find(|&i| !lines[i].trim().is_empty())?;
    let quoted = lines[i].strip_prefix("> ")?;
    if messages.iter().any(|m| m == quoted) {
        return None;
    }
    let said = messages.first()?;
    report.failures.push(format!(
        "docs/{page}:{}: the message quoted for {code} is not what mql says\n    page: {quoted}\n    mql:  {said}\n  \
         (run `MQL_BOOK_UPDATE=1 cargo test --test book` to refresh the page, then review `git diff`)",
        i + 1
    ));
    Some((i, format!("> {said}")))
}

/// Runs each `$ …` command of a console block; returns the block's new body when
/// updating (or when it already matches, the same body).
fn run_console(
    block: &Block,
    page: &str,
    scratch: &Path,
    update: bool,
    report: &mut Report,
) -> Option<Vec<String>> {
    let at = format!("docs/{page}:{}", block.open + 1);
    let want_exit: i32 = match block.attr("exit").map(str::parse) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            report
                .failures
                .push(format!("{at}: `exit=` needs a number"));
            return None;
        }
    };
    // Split the body into commands (with `\` continuations) and shown outputs.
    let mut commands: Vec<(Vec<String>, Vec<String>, usize)> = Vec::new();
    let mut continuing = false;
    for (i, line) in block.body.iter().enumerate() {
        if continuing {
            if let Some(c) = commands.last_mut() {
                c.0.push(line.clone());
            }
            continuing = line.ends_with('\\');
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            commands.push((vec![format!("$ {cmd}")], Vec::new(), block.open + 2 + i));
            continuing = line.ends_with('\\');
        } else if let Some(c) = commands.last_mut() {
            c.1.push(line.clone());
        } else {
            report.failures.push(format!(
                "{at}: a ```console block starts with a `$ ` command line, found `{line}`"
            ));
            return None;
        }
    }
    if commands.is_empty() {
        report
            .failures
            .push(format!("{at}: this ```console block has no `$ ` command"));
        return None;
    }
    let mut body = Vec::new();
    let mut changed = false;
    let last = commands.len() - 1;
    for (k, (cmd_lines, shown, line)) in commands.into_iter().enumerate() {
        let want_exit = if k == last { want_exit } else { 0 };
        report.run += 1;
        let script: String = cmd_lines
            .iter()
            .map(|l| l.strip_prefix("$ ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let out = shell_in(scratch, &script);
        let actual = tidy(
            &out.stdout
                .replace(&scratch.to_string_lossy().to_string(), "."),
        );
        let expected = tidy(&shown.join("\n"));
        if out.status != want_exit {
            report.failures.push(format!(
                "docs/{page}:{line}: `{}` exited with status {}, the page expects {want_exit}{}\n{}",
                script.replace("\\\n", " "),
                out.status,
                if want_exit == 0 {
                    " (mark the block ```console,exit=N if that is intended)"
                } else {
                    ""
                },
                indent(&actual, "    ")
            ));
        }
        if actual != expected {
            changed = true;
            if !update {
                report.failures.push(format!(
                    "docs/{page}:{line}: the output of `{}` differs from the page\n{}\n  \
                     (run `MQL_BOOK_UPDATE=1 cargo test --test book` to refresh the page, then review `git diff`)",
                    script.replace("\\\n", " "),
                    first_difference(&expected, &actual)
                ));
            }
        }
        body.extend(cmd_lines);
        if !actual.is_empty() {
            body.extend(actual.lines().map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{}{l}", block.indent)
                }
            }));
        }
    }
    let body: Vec<String> = body
        .into_iter()
        .map(|l| {
            if l.starts_with('$') && !block.indent.is_empty() {
                format!("{}{l}", block.indent)
            } else {
                l
            }
        })
        .collect();
    (update && changed).then_some(body)
}

/// Trailing white space of each line and trailing blank lines removed.
fn tidy(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    let mut out = lines.join("\n");
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

fn first_difference(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let i = (0..e.len().max(a.len()))
        .find(|&i| e.get(i) != a.get(i))
        .unwrap_or(0);
    format!(
        "  at output line {}:\n    page:   {}\n    actual: {}",
        i + 1,
        e.get(i)
            .map_or("(nothing)".to_string(), |s| format!("{s:?}")),
        a.get(i)
            .map_or("(nothing)".to_string(), |s| format!("{s:?}")),
    )
}

// ---------------------------------------------------------------- CLI reference

/// Marks a flag, or a whole verb page, that is described but not built yet.
const PLANNED: &str = "(planned)";

/// `docs/cli/VERB.md` for every verb of `mql --help`, naming every flag (and
/// every possible value) of `mql VERB --help`; every flag in a page's tables must
/// exist, unless its row says "(planned)".
fn check_cli_reference(docs: &Path, pages: &[String], report: &mut Report) {
    let help = mql_in(docs, &["--help"]).stdout;
    let verbs = help_section(&help, "Commands:")
        .into_iter()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|v| v != "help")
        .collect::<Vec<_>>();
    assert!(
        verbs.len() >= 8,
        "could not read the verbs of `mql --help`:\n{help}"
    );
    for verb in &verbs {
        let page = format!("cli/{verb}.md");
        if !pages.contains(&page) {
            report.failures.push(format!(
                "`mql {verb}` has no page in the CLI reference: write docs/{page} and list it in docs/SUMMARY.md"
            ));
            continue;
        }
        let text = read(&docs.join(&page));
        if text.lines().next().is_some_and(|l| l.contains(PLANNED)) {
            report.failures.push(format!(
                "`mql {verb}` exists now: remove \"{PLANNED}\" from the title of docs/{page} (and SUMMARY.md), \
                 check its flags, and turn its pending examples on"
            ));
        }
        let verb_help = mql_in(docs, &[verb, "--help"]).stdout;
        let (flags, values) = help_flags(&verb_help);
        for flag in &flags {
            if !text.contains(&format!("`{flag}")) {
                report.failures.push(format!(
                    "the flag `{flag}` of `mql {verb}` is not described in docs/{page}: add a row for it to the table of options"
                ));
            }
        }
        for (flag, value) in &values {
            if !text.contains(&format!("`{value}`")) {
                report.failures.push(format!(
                    "the value `{value}` of `mql {verb} {flag}` is not described in docs/{page}"
                ));
            }
        }
        for (row, line) in table_rows(&text) {
            let first_cell = row.split('|').nth(1).unwrap_or_default();
            for flag in flags_in(first_cell) {
                let planned = row.contains(PLANNED);
                let exists = flags.contains(&flag);
                if !exists && !planned {
                    report.failures.push(format!(
                        "docs/{page}:{line}: `{flag}` is not a flag of `mql {verb}` (see `mql {verb} --help`); \
                         remove the row, or mark it \"{PLANNED}\" if it is being built"
                    ));
                } else if exists && planned {
                    report.failures.push(format!(
                        "docs/{page}:{line}: `{flag}` of `mql {verb}` exists now: remove \"{PLANNED}\" from its row \
                         and turn the pending examples that use it on"
                    ));
                }
            }
        }
    }
    // Pages for verbs that do not exist must say they are planned.
    for page in pages.iter().filter(|p| p.starts_with("cli/")) {
        let verb = page.trim_start_matches("cli/").trim_end_matches(".md");
        if !verbs.iter().any(|v| v == verb) {
            let text = read(&docs.join(page));
            if !text.lines().next().is_some_and(|l| l.contains(PLANNED)) {
                report.failures.push(format!(
                    "docs/{page}: `mql {verb}` is not a verb of `mql --help`; if it is being built, \
                     say \"{PLANNED}\" in the page's title"
                ));
            }
        }
    }
}

/// The lines of a `--help` section (`Commands:`, `Options:`) up to the next blank line.
fn help_section(help: &str, title: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != title)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The long flags of a verb's `--help` (not `--help`/`--version`), and the
/// possible values listed under each.
fn help_flags(help: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut flags = Vec::new();
    let mut values = Vec::new();
    let mut current = String::new();
    let mut in_options = false;
    for line in help.lines() {
        if line.trim() == "Options:" {
            in_options = true;
            continue;
        }
        if !in_options {
            continue;
        }
        let t = line.trim_start();
        let flag_part = t.strip_prefix("-").filter(|_| t.len() > 1);
        if flag_part.is_some() && line.starts_with("  ") && !line.starts_with("            ") {
            if let Some(f) = flags_in(t).into_iter().next() {
                current = f.clone();
                if f != "--help" && f != "--version" {
                    flags.push(f);
                }
            }
            if let Some(list) = t.split("[possible values: ").nth(1) {
                for v in list.trim_end_matches(']').split(',') {
                    values.push((current.clone(), v.trim().to_string()));
                }
            }
        } else if let Some(v) = t.strip_prefix("- ") {
            if let Some((name, _)) = v.split_once(':') {
                values.push((current.clone(), name.trim().to_string()));
            }
        } else if let Some(list) = t.strip_prefix("[possible values: ") {
            for v in list.trim_end_matches(']').split(',') {
                values.push((current.clone(), v.trim().to_string()));
            }
        }
    }
    (flags, values)
}

/// `--long-flag` names in a text.
fn flags_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i + 2 < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '-');
        if boundary && bytes[i] == '-' && bytes[i + 1] == '-' && bytes[i + 2].is_ascii_lowercase() {
            let mut j = i + 2;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == '-') {
                j += 1;
            }
            out.push(bytes[i..j].iter().collect());
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The rows of a page's tables whose first cell names a flag, with line numbers.
fn table_rows(text: &str) -> Vec<(String, usize)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("| `-"))
        .map(|(i, l)| (l.to_string(), i + 1))
        .collect()
}

// ---------------------------------------------------------------- running

struct Ran {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn merged(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn mql_in(dir: &Path, args: &[&str]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_mql"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run mql");
    Ran {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a shell command line with `mql` first on the `PATH`; standard error is
/// merged into standard output, in the order a terminal would show them.
fn shell_in(dir: &Path, script: &str) -> Ran {
    let bin = Path::new(env!("CARGO_BIN_EXE_mql"))
        .parent()
        .expect("the binary's folder")
        .to_path_buf();
    let path = match std::env::var_os("PATH") {
        Some(p) => {
            let mut all = vec![bin];
            all.extend(std::env::split_paths(&p));
            std::env::join_paths(all).expect("PATH")
        }
        None => bin.into_os_string(),
    };
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{script}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("RAYON_NUM_THREADS")
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    Ran {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::new(),
    }
}

// ---------------------------------------------------------------- helpers

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            let _ = std::fs::copy(&p, &dest);
        }
    }
}

fn slug(page: &str) -> String {
    page.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn indent(s: &str, by: &str) -> String {
    s.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
