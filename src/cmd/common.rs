//! What the verbs share: loading and checking a model through the database,
//! printing diagnostics, and terminal detection.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;

use mql_core::{Diagnostic, LineIndex, Severity};
use mql_db::{Database, Db};
use mql_sema::Checked;

/// How `diff` and `backtest` print their report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A report for people
    Text,
    /// One JSON object, for scripts
    Json,
    /// One CSV table, for spreadsheets
    Csv,
}

/// The file `--html FILE` writes, created before the leads are read so that
/// a path that cannot be written fails at once.
pub struct HtmlFile {
    path: String,
    file: std::fs::File,
}

impl HtmlFile {
    /// Create `path`, refusing one of the `inputs` (the rules, leads and
    /// events files), which creating it would empty.
    pub fn create(path: &str, inputs: &[&str]) -> anyhow::Result<HtmlFile> {
        if path == "-" {
            anyhow::bail!(
                "`--html` writes the report to a file, and standard output already carries the text report; name a file such as `--html report.html`"
            );
        }
        let same = |input: &str| match (std::fs::canonicalize(path), std::fs::canonicalize(input)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if let Some(input) = inputs.iter().find(|i| same(i)) {
            anyhow::bail!(
                "`--html {path}` would overwrite `{input}`, which this command reads; name a new file such as `report.html`"
            );
        }
        let file = std::fs::File::create(path)
            .map_err(|e| anyhow::anyhow!("cannot write the HTML report `{path}`: {e}"))?;
        Ok(HtmlFile {
            path: path.to_string(),
            file,
        })
    }

    /// Write the page rendered by `render` (a message when it could not be).
    pub fn write(mut self, render: Result<String, String>) -> anyhow::Result<()> {
        use std::io::Write;
        let page = render
            .map_err(|e| anyhow::anyhow!("cannot draw the HTML report `{}`: {e}", self.path))?;
        self.file
            .write_all(page.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| anyhow::anyhow!("cannot write the HTML report `{}`: {e}", self.path))
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set.
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A checked model file, with the database that knows its sources.
pub struct Loaded {
    pub db: Database,
    pub path: String,
    pub checked: Arc<Checked>,
}

impl Loaded {
    pub fn errors(&self) -> usize {
        self.checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.checked.diagnostics.len() - self.errors()
    }

    /// The text of a file of this model (the root or a `use`d one).
    pub fn text_of(&self, path: &str) -> Arc<str> {
        self.db
            .file(path)
            .text(&self.db)
            .clone()
            .unwrap_or_else(|| Arc::from(""))
    }

    /// The path a diagnostic's span refers to.
    pub fn diag_path<'a>(&'a self, d: &'a Diagnostic) -> &'a str {
        d.file.as_deref().unwrap_or(&self.path)
    }
}

/// Read and check a model file. `Err` when the file itself cannot be read
/// (exit 2); rule errors are in the result.
pub fn load(path: &str) -> anyhow::Result<Loaded> {
    let db = Database::new();
    let file = db.file(path);
    if file.text(&db).is_none() {
        let why = file
            .error(&db)
            .clone()
            .unwrap_or_else(|| format!("cannot read `{path}`"));
        anyhow::bail!("{why}");
    }
    let (_, checked) = db.check_path(path);
    Ok(Loaded {
        path: file.path(&db).to_string(),
        db,
        checked,
    })
}

/// The texts and line indexes of a model's files, each made once however
/// many diagnostics point into it.
#[derive(Default)]
pub struct Texts(HashMap<String, (Arc<str>, LineIndex)>);

impl Texts {
    /// The text and line index of the file a diagnostic points into.
    pub fn of<'a>(&'a mut self, loaded: &Loaded, d: &Diagnostic) -> (&'a str, &'a LineIndex) {
        let path = loaded.diag_path(d);
        let (text, index) = self.0.entry(path.to_string()).or_insert_with(|| {
            let text = loaded.text_of(path);
            let index = LineIndex::new(&text);
            (text, index)
        });
        (text, index)
    }
}

/// Print every diagnostic of a model, rendered for people, on standard error.
pub fn print_diagnostics(loaded: &Loaded, color: bool) {
    let mut texts = Texts::default();
    for d in &loaded.checked.diagnostics {
        let (text, index) = texts.of(loaded, d);
        eprint!(
            "{}",
            mql_syntax::render::render_indexed(d, loaded.diag_path(d), text, index, color)
        );
    }
}

/// One diagnostic as a JSON object for CI pipelines.
pub fn diagnostic_json(loaded: &Loaded, d: &Diagnostic, texts: &mut Texts) -> serde_json::Value {
    let path = loaded.diag_path(d);
    let (text, index) = texts.of(loaded, d);
    let (line, column) = index.line_col(text, d.span.start);
    let (end_line, end_column) = index.line_col(text, d.span.end);
    serde_json::json!({
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "file": path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "help": d.help,
    })
}

/// Load and check a model for a verb that needs a runnable model: prints the
/// diagnostics and returns `None` (exit 1) when the model has errors.
pub fn load_runnable(path: &str) -> anyhow::Result<Option<Loaded>> {
    let loaded = load(path)?;
    if loaded.errors() > 0 || loaded.checked.model.is_none() {
        print_diagnostics(&loaded, stderr_color());
        eprintln!(
            "error: `{}` has {} error(s); fix them and run again (`mql check {}` lists them)",
            loaded.path,
            loaded.errors(),
            loaded.path
        );
        return Ok(None);
    }
    Ok(Some(loaded))
}
