//! The HTML reports of `backtest --html` and `diff --html`: one
//! self-contained page each (inline CSS and SVG charts, no script, nothing
//! fetched), every chart followed by its figures as a table.
//!
//! The page is well-formed XML as well as HTML, so tests can parse it with
//! an XML reader. Every text that comes from the user — file names, field,
//! stage, tier, segment and score names, lead ids — is escaped here, and
//! plotters escapes the text it writes into the charts.

mod backtest;
pub mod chart;
mod diff;

pub use backtest::backtest;
pub use diff::diff;

/// `text` with the characters that mean something in HTML and XML written
/// as references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML; a field name
            // cannot usefully hold them.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The style of both reports.
const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif;
  color: #282828; background: #fff; margin: 0 auto; max-width: 820px;
  padding: 24px 20px 60px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 40px 0 6px; border-bottom: 2px solid #e1e1e1;
  padding-bottom: 4px; }
h3 { font-size: 17px; margin: 0 0 4px; }
p { margin: 4px 0 10px; }
code { font-family: DejaVu Sans Mono, Liberation Mono, Consolas, monospace;
  font-size: 0.92em; background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
.meta { color: #555; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px;
  margin: 12px 0; }
.facts dt { color: #555; }
.facts dd { margin: 0; font-weight: bold; }
figure { margin: 22px 0 28px; }
figcaption p { color: #555; }
.plot svg { display: block; max-width: 100%; height: auto; }
details { margin: 6px 0; }
summary { cursor: pointer; color: #0059a0; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e1e1e1; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #bbb; }
.note { color: #555; font-style: italic; }
";

/// A report page being written.
struct Page {
    out: String,
}

impl Page {
    /// A page titled `title`; `heading` is its first heading (already HTML).
    fn new(title: &str, heading: &str) -> Page {
        let mut out = String::new();
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n");
        out.push_str("<meta charset=\"utf-8\"/>\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
        // Nothing may be fetched or run: the report is read as it is.
        out.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n",
        );
        out.push_str(&format!("<title>{}</title>\n", escape(title)));
        out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
        out.push_str(&format!("<h1>{heading}</h1>\n"));
        Page { out }
    }

    /// A section heading; its id is `section-ID` (figures and tables have
    /// their own ids).
    fn h2(&mut self, id: &str, html: &str) {
        self.out
            .push_str(&format!("<h2 id=\"section-{}\">{html}</h2>\n", escape(id)));
    }

    fn p(&mut self, html: &str) {
        self.out.push_str(&format!("<p>{html}</p>\n"));
    }

    fn note(&mut self, html: &str) {
        self.out
            .push_str(&format!("<p class=\"note\">{html}</p>\n"));
    }

    /// A list of facts: (term, value), both already HTML.
    fn facts(&mut self, facts: &[(&str, String)]) {
        self.out.push_str("<dl class=\"facts\">\n");
        for (term, value) in facts {
            self.out
                .push_str(&format!("<dt>{term}</dt><dd>{value}</dd>\n"));
        }
        self.out.push_str("</dl>\n");
    }

    /// A chart with its title, a sentence on how to read it, the SVG, and
    /// its figures as a table.
    fn figure(&mut self, id: &str, title: &str, how: &str, svg: &str, table: &Table) {
        let id = escape(id);
        self.out.push_str(&format!(
            "<figure class=\"chart\" id=\"{id}\">\n<figcaption><h3>{}</h3><p>{how}</p></figcaption>\n",
            escape(title)
        ));
        // The chart's name for screen readers: its title.
        let svg = svg.replacen(
            "<svg ",
            &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(title)),
            1,
        );
        self.out
            .push_str(&format!("<div class=\"plot\">\n{svg}</div>\n"));
        let open = if table.rows.len() <= 12 {
            " open=\"open\""
        } else {
            ""
        };
        self.out.push_str(&format!(
            "<details{open}><summary>The figures as a table</summary>\n{}</details>\n</figure>\n",
            table.html()
        ));
    }

    /// A table on its own.
    fn table(&mut self, table: &Table) {
        self.out.push_str(&table.html());
    }

    fn finish(mut self) -> String {
        self.out.push_str("</body>\n</html>\n");
        self.out
    }
}

/// A table of plain text cells (escaped when written).
struct Table {
    id: String,
    caption: String,
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(id: impl Into<String>, caption: impl Into<String>, head: &[&str]) -> Table {
        Table {
            id: id.into(),
            caption: caption.into(),
            head: head.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn html(&self) -> String {
        let mut out = format!(
            "<table id=\"{}\">\n<caption>{}</caption>\n<thead><tr>",
            escape(&self.id),
            escape(&self.caption)
        );
        for h in &self.head {
            out.push_str(&format!("<th scope=\"col\">{}</th>", escape(h)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                if i == 0 {
                    out.push_str(&format!("<th scope=\"row\">{}</th>", escape(cell)));
                } else {
                    out.push_str(&format!("<td>{}</td>", escape(cell)));
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        out
    }
}

/// `text` as inline code.
fn code(text: &str) -> String {
    format!("<code>{}</code>", escape(text))
}

/// A share as a percentage with one decimal, `-` when unknown (as in the
/// text report).
fn pct(x: Option<f64>) -> String {
    crate::backtest::pct(x)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The range of a distribution's bar: `[lo, hi)`, the last one `[lo, hi]`.
fn bin_range(lo: f64, hi: f64, last: bool) -> String {
    use crate::backtest::score_text;
    if lo == hi {
        score_text(lo)
    } else if last {
        format!("{} to {}", score_text(lo), score_text(hi))
    } else {
        format!("{} to under {}", score_text(lo), score_text(hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_writes_markup_characters_as_references() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("a\u{1}b"), "a\u{fffd}b");
    }

    #[test]
    fn a_table_escapes_its_cells() {
        let mut t = Table::new("t", "<caption>", &["a&b"]);
        t.row(vec!["<script>".into(), "1".into()]);
        let html = t.html();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;caption&gt;"));
        assert!(html.contains("a&amp;b"));
    }
}
