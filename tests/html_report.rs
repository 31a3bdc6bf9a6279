//! The HTML reports of `backtest --html` and `diff --html`, read back as
//! XML: every chart the spec lists is there and draws something, every
//! table agrees with the same run's `--format json`, nothing is fetched or
//! run, user text is escaped, and a snapshot of the small report's outline.

mod funnel;
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use funnel::{BACKTEST, DIFF, LEADS, V1, V2};
use roxmltree::{Document, Node, ParsingOptions};
use serde_json::Value;
use support::mql;

/// A fresh folder under `target/` for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("html_report")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Run `mql ARGS --html FILE --format json`: the page and the JSON report.
fn report(args: &[&str], dir: &Path) -> (String, Value) {
    let file = dir.join("report.html");
    let mut all: Vec<&str> = args.to_vec();
    let path = file.to_string_lossy().into_owned();
    all.extend(["--format", "json", "--html", &path]);
    let out = mql(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let html = std::fs::read_to_string(&file).expect("the report was written");
    (html, json)
}

fn backtest_fixture(dir: &Path) -> (String, Value) {
    report(&[&BACKTEST[..], &["--sweep", "fit"]].concat(), dir)
}

/// `mql backtest` of the fixture with `--html` naming `path`.
fn backtest_to_html(path: &str) -> Output {
    mql(&[&BACKTEST[..], &["--html", path]].concat())
}

fn diff_fixture(dir: &Path) -> (String, Value) {
    report(&[&DIFF[..], &["--outcome", "converted"]].concat(), dir)
}

fn parse(html: &str) -> Document<'_> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(html, options).expect("the report is well-formed XML")
}

fn by_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no element with id `{id}`"))
}

fn text_of(node: Node) -> String {
    let t: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The body rows of the table with `id`, as cell texts.
fn rows(doc: &Document, id: &str) -> Vec<Vec<String>> {
    let table = by_id(doc, id);
    assert!(table.has_tag_name("table"), "`{id}` is a table");
    table
        .descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|n| n.has_tag_name("tr")))
        .map(|tr| {
            tr.children()
                .filter(|c| c.has_tag_name("td") || c.has_tag_name("th"))
                .map(text_of)
                .collect()
        })
        .collect()
}

/// The chart of the figure `id`: its SVG drawing has a size and draws at
/// least `min_shapes` rectangles, lines and dots; and the figure's table.
fn chart<'a, 'i>(doc: &'a Document<'i>, id: &str, min_shapes: usize) -> Node<'a, 'i> {
    let fig = by_id(doc, id);
    assert!(fig.has_tag_name("figure"), "`{id}` is a figure");
    let svg = fig
        .descendants()
        .find(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "svg")))
        .unwrap_or_else(|| panic!("figure `{id}` has no SVG chart"));
    let size = |a: &str| -> f64 {
        svg.attribute(a)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("chart `{id}` has no {a}"))
    };
    assert!(
        size("width") > 0.0 && size("height") > 0.0,
        "chart `{id}` has a size"
    );
    let shapes = svg
        .descendants()
        .filter(|n| {
            ["rect", "path", "polyline", "line", "circle"]
                .iter()
                .any(|t| n.tag_name().name() == *t)
        })
        .count();
    assert!(
        shapes >= min_shapes,
        "chart `{id}` draws {shapes} shapes, expected at least {min_shapes}"
    );
    let title = fig
        .descendants()
        .find(|n| n.has_tag_name("h3"))
        .map(text_of)
        .unwrap_or_default();
    assert!(!title.is_empty(), "chart `{id}` has a title");
    // Axis descriptions and labels are text in the drawing.
    let texts = svg
        .descendants()
        .filter(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "text")))
        .count();
    assert!(texts >= 3, "chart `{id}` has axis labels");
    assert!(
        fig.descendants().any(|n| n.has_tag_name("table")),
        "chart `{id}` has its figures as a table"
    );
    fig
}

/// A share as the reports write it.
fn pct(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{:.1}%", x * 100.0),
        None => "-".to_string(),
    }
}

fn ratio(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{x:.2}"),
        None => "-".to_string(),
    }
}

fn count(v: &Value) -> String {
    v.as_u64().expect("a count").to_string()
}

/// A score as the reports write it: at most two decimals.
fn score(v: &Value) -> String {
    let t = format!("{:.2}", v.as_f64().expect("a score"));
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().expect("an array")
}

/// Nothing in the page is fetched or run.
fn self_contained(html: &str, doc: &Document) {
    for n in doc.descendants().filter(|n| n.is_element()) {
        let tag = n.tag_name().name();
        assert!(
            !["script", "link", "img", "iframe", "object", "embed"].contains(&tag),
            "the report has a <{tag}>"
        );
        for a in n.attributes() {
            assert!(
                !["src", "href"].contains(&a.name()) && !a.name().starts_with("on"),
                "the report has a `{}` attribute",
                a.name()
            );
        }
    }
    let without_ns = html.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"));
    assert!(!html.contains("url("), "the style loads nothing");
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "ids are unique: {ids:?}");
}

#[test]
fn backtest_report_has_every_chart_and_its_tables_match_the_json() {
    let dir = scratch("backtest");
    let (html, json) = backtest_fixture(&dir);
    let doc = parse(&html);
    self_contained(&html, &doc);

    // Outcome rate by final stage, tier and segment.
    let stages = arr(&json["stages"]);
    chart(&doc, "final-stage", stages.len());
    let expected: Vec<Vec<String>> = stages
        .iter()
        .map(|s| {
            vec![
                s["stage"].as_str().unwrap_or_default().to_string(),
                count(&s["final"]["leads"]),
                count(&s["final"]["with_outcome"]),
                pct(&s["final"]["rate"]),
            ]
        })
        .collect();
    assert_eq!(rows(&doc, "final-stage-table"), expected);
    let expected: Vec<Vec<String>> = stages
        .iter()
        .map(|s| {
            let r = &s["reached"];
            vec![
                s["stage"].as_str().unwrap_or_default().to_string(),
                count(&r["leads"]),
                count(&r["with_outcome"]),
                pct(&r["precision"]),
                pct(&r["recall"]),
                ratio(&r["lift"]),
            ]
        })
        .collect();
    assert_eq!(rows(&doc, "reached-stage"), expected);

    let tiers = arr(&json["tiers"]);
    assert!(!tiers.is_empty());
    for (i, tier) in tiers.iter().enumerate() {
        let labels = arr(&tier["labels"]);
        chart(&doc, &format!("tier-{i}"), 1);
        let expected: Vec<Vec<String>> = labels
            .iter()
            .map(|l| {
                vec![
                    l["label"].as_str().unwrap_or("(no label)").to_string(),
                    count(&l["leads"]),
                    count(&l["with_outcome"]),
                    pct(&l["rate"]),
                ]
            })
            .collect();
        assert_eq!(rows(&doc, &format!("tier-{i}-table")), expected);
    }

    let segments = arr(&json["segments"]);
    assert!(!segments.is_empty());
    chart(&doc, "segment", 1);
    let expected: Vec<Vec<String>> = segments
        .iter()
        .map(|s| {
            vec![
                s["segment"].as_str().unwrap_or_default().to_string(),
                count(&s["leads"]),
                count(&s["with_outcome"]),
                pct(&s["rate"]),
            ]
        })
        .collect();
    assert_eq!(rows(&doc, "segment-table"), expected);

    // Each score: distribution by outcome, deciles, gain and ROC.
    let scores = arr(&json["scores"]);
    assert!(!scores.is_empty());
    for (i, s) in scores.iter().enumerate() {
        let dist = arr(&s["distribution"]);
        chart(&doc, &format!("score-{i}-distribution"), 1);
        let got = rows(&doc, &format!("score-{i}-distribution-table"));
        assert_eq!(got.len(), dist.len());
        for (row, bin) in got.iter().zip(dist) {
            assert_eq!(row[1], count(&bin["with_outcome"]));
            assert_eq!(row[3], count(&bin["without_outcome"]));
            assert!(row[0].starts_with(&score(&bin["lo"])), "{row:?} {bin}");
        }

        let deciles = arr(&s["deciles"]);
        chart(&doc, &format!("score-{i}-deciles"), deciles.len());
        let expected: Vec<Vec<String>> = deciles
            .iter()
            .map(|d| {
                let n = d["decile"].as_u64().unwrap_or_default();
                let through = d["through"].as_u64().unwrap_or_default();
                let span = if through > n {
                    format!("{n}–{through}")
                } else {
                    n.to_string()
                };
                vec![
                    if n == 1 {
                        format!("{span} (top)")
                    } else {
                        span
                    },
                    score(&d["max"]),
                    score(&d["min"]),
                    count(&d["leads"]),
                    count(&d["with_outcome"]),
                    pct(&d["with_outcome"]
                        .as_f64()
                        .zip(d["leads"].as_f64())
                        .map(|(y, n)| y / n)
                        .into()),
                ]
            })
            .collect();
        assert_eq!(rows(&doc, &format!("score-{i}-deciles-table")), expected);

        for kind in ["gain", "roc"] {
            let points = arr(&s[kind]);
            if points.is_empty() {
                assert!(html.find(&format!("id=\"score-{i}-{kind}\"")).is_none());
                continue;
            }
            chart(&doc, &format!("score-{i}-{kind}"), 2);
            let expected: Vec<Vec<String>> = points
                .iter()
                .map(|p| vec![pct(&p["x"]), pct(&p["y"])])
                .collect();
            assert_eq!(rows(&doc, &format!("score-{i}-{kind}-table")), expected);
        }
    }
    // The fixture's scores tell the outcome apart: both curves are drawn.
    assert!(html.contains("id=\"score-0-gain\"") && html.contains("id=\"score-0-roc\""));

    // The sweep.
    let sweep = arr(&json["sweep"]["rows"]);
    chart(&doc, "sweep", 3);
    let expected: Vec<Vec<String>> = sweep
        .iter()
        .map(|r| {
            vec![
                score(&r["threshold"]),
                count(&r["leads"]),
                count(&r["with_outcome"]),
                pct(&r["precision"]),
                pct(&r["recall"]),
                ratio(&r["lift"]),
                r["f1"].as_f64().map_or("-".into(), |f| format!("{f:.3}")),
            ]
        })
        .collect();
    assert_eq!(rows(&doc, "sweep-table"), expected);
}

#[test]
fn diff_report_has_every_chart_and_its_tables_match_the_json() {
    let dir = scratch("diff");
    let (html, json) = diff_fixture(&dir);
    let doc = parse(&html);
    self_contained(&html, &doc);

    // The stage matrix as a heat map: one cell per (old, new) pair.
    let matrix = arr(&json["matrix"]);
    let cols = arr(&json["stages"]["new"]);
    chart(&doc, "stage-matrix", matrix.len() * cols.len());
    let expected: Vec<Vec<String>> = matrix
        .iter()
        .map(|row| {
            let mut cells = vec![row["from"].as_str().unwrap_or_default().to_string()];
            for c in cols {
                cells.push(count(&row["to"][c.as_str().unwrap_or_default()]));
            }
            cells
        })
        .collect();
    assert_eq!(rows(&doc, "stage-matrix-table"), expected);

    // Each score's shift.
    let shifts = arr(&json["score_shifts"]);
    assert!(!shifts.is_empty());
    let expected: Vec<Vec<String>> = shifts
        .iter()
        .map(|s| {
            vec![
                s["score"].as_str().unwrap_or_default().to_string(),
                score(&s["mean_old"]),
                score(&s["mean_new"]),
                count(&s["higher"]),
                count(&s["lower"]),
                count(&s["unchanged"]),
            ]
        })
        .collect();
    assert_eq!(rows(&doc, "score-shifts-table"), expected);
    for (i, s) in shifts.iter().enumerate() {
        chart(&doc, &format!("score-{i}-shift"), 1);
        let dist = arr(&s["distribution"]);
        let got = rows(&doc, &format!("score-{i}-shift-table"));
        let expected: Vec<(String, String)> = dist
            .iter()
            .map(|b| (count(&b["old"]), count(&b["new"])))
            .collect();
        let got: Vec<(String, String)> = got.iter().map(|r| (r[1].clone(), r[2].clone())).collect();
        assert_eq!(got, expected);
    }

    // With --outcome: precision and recall side by side.
    let stages = arr(&json["outcome"]["stages"]);
    for (kind, key) in [("precision", "precision"), ("recall", "recall")] {
        chart(&doc, &format!("outcome-{kind}"), stages.len());
        let side = |v: &Value| {
            if v.is_null() {
                "not in this version".to_string()
            } else {
                pct(&v[key])
            }
        };
        let expected: Vec<Vec<String>> = stages
            .iter()
            .map(|s| {
                vec![
                    s["stage"].as_str().unwrap_or_default().to_string(),
                    side(&s["old"]),
                    side(&s["new"]),
                ]
            })
            .collect();
        assert_eq!(rows(&doc, &format!("outcome-{kind}-table")), expected);
    }
    // The outcome rate of each cell of the matrix.
    let cells = arr(&json["outcome"]["matrix"]);
    let got = rows(&doc, "outcome-matrix-table");
    for (row, cell_row) in got.iter().zip(cells) {
        for (text, c) in row[1..].iter().zip(cols) {
            let cell = &cell_row["to"][c.as_str().unwrap_or_default()];
            let expected = match cell["rate"].as_f64() {
                Some(r) => format!(
                    "{:.1}% ({} of {})",
                    r * 100.0,
                    count(&cell["with_outcome"]),
                    count(&cell["leads"])
                ),
                None => "-".to_string(),
            };
            assert_eq!(text, &expected);
        }
    }

    // The changed leads.
    let changed = arr(&json["changed"]);
    let got = rows(&doc, "changed-table");
    let ids: Vec<String> = got.iter().map(|r| r[0].clone()).collect();
    let expected: Vec<String> = changed
        .iter()
        .map(|c| match &c["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn user_text_is_escaped() {
    let dir = scratch("escape");
    // A rules file and a leads file whose names, and a lead id, hold markup.
    let rules = dir.join("<b>rules & 'co'.mql");
    std::fs::copy(V1, &rules).expect("copy the rules");
    let rules2 = dir.join("new \"<i>\".mql");
    std::fs::copy(V2, &rules2).expect("copy the rules");
    let leads = dir.join("<script>alert(1).ndjson");
    let text = std::fs::read_to_string(LEADS)
        .expect("the leads")
        .replace("\"b\"", "\"<img src=x onerror=alert(1)>\"");
    std::fs::write(&leads, text).expect("write the leads");
    let r = rules.to_string_lossy().into_owned();
    let r2 = rules2.to_string_lossy().into_owned();
    let l = leads.to_string_lossy().into_owned();
    let (html, _) = report(
        &[
            "backtest",
            &r,
            "--leads",
            &l,
            "--as-of",
            "2026-11-01",
            "--outcome",
            "converted",
        ],
        &dir,
    );
    let doc = parse(&html);
    self_contained(&html, &doc);
    assert!(text_of(by_id(&doc, "final-stage")).len() > 10);
    assert!(html.contains("&lt;b&gt;rules &amp; &#39;co&#39;.mql"));
    let (html, _) = report(
        &["diff", &r, &r2, "--leads", &l, "--as-of", "2026-11-01"],
        &dir,
    );
    let doc = parse(&html);
    self_contained(&html, &doc);
    assert!(html.contains("&lt;script&gt;alert(1).ndjson"));
    let ids: Vec<String> = rows(&doc, "changed-table")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(
        ids.contains(&"<img src=x onerror=alert(1)>".to_string()),
        "{ids:?}"
    );
}

#[test]
fn an_unwritable_html_path_fails_before_reading_the_leads() {
    let dir = scratch("unwritable");
    let file = dir.join("no-such-folder").join("report.html");
    let path = file.to_string_lossy().into_owned();
    let out = backtest_to_html(&path);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write the HTML report"), "{err}");
    assert!(!err.contains("data error"), "failed before reading: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_html_report_never_overwrites_a_file_it_reads() {
    let dir = scratch("overwrite");
    let leads = dir.join("leads.ndjson");
    std::fs::copy(LEADS, &leads).expect("copy the leads");
    let l = leads.to_string_lossy().into_owned();
    let before = std::fs::read(&leads).expect("the leads");
    let out = mql(&[
        "diff",
        V1,
        V2,
        "--leads",
        &l,
        "--as-of",
        "2026-11-01",
        "--html",
        &l,
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would overwrite"), "{err}");
    assert_eq!(std::fs::read(&leads).expect("the leads"), before);
}

/// The page's outline: headings, sentences, tables row by row, and each
/// chart as its size, what it draws and the words in it.
fn outline(doc: &Document) -> String {
    fn walk(n: Node, out: &mut String) {
        let name = n.tag_name().name();
        match name {
            "style" | "head" => {}
            "h1" | "h2" | "h3" | "p" | "summary" | "caption" => {
                out.push_str(&format!("{name}: {}\n", text_of(n)));
            }
            "dl" => {
                let parts: Vec<String> = n
                    .children()
                    .filter(|c| c.is_element())
                    .map(text_of)
                    .collect();
                out.push_str(&format!("facts: {}\n", parts.join(" / ")));
            }
            "tr" => {
                let cells: Vec<String> = n
                    .children()
                    .filter(|c| c.is_element())
                    .map(text_of)
                    .collect();
                out.push_str(&format!("  | {} |\n", cells.join(" | ")));
            }
            "svg" => {
                let mut kinds = std::collections::BTreeMap::new();
                for d in n.descendants().filter(|d| d.is_element()) {
                    *kinds.entry(d.tag_name().name()).or_insert(0) += 1;
                }
                let texts: Vec<String> = n
                    .descendants()
                    .filter(|d| d.has_tag_name(("http://www.w3.org/2000/svg", "text")))
                    .map(text_of)
                    .collect();
                out.push_str(&format!(
                    "svg {}x{} {:?}\n  words: {}\n",
                    n.attribute("width").unwrap_or("?"),
                    n.attribute("height").unwrap_or("?"),
                    kinds,
                    texts.join(" · ")
                ));
            }
            _ => {
                if let Some(id) = n.attribute("id") {
                    if name == "figure" || name == "table" {
                        out.push_str(&format!("[{name} #{id}]\n"));
                    }
                }
                for c in n.children() {
                    walk(c, out);
                }
            }
        }
    }
    let mut out = String::new();
    walk(doc.root_element(), &mut out);
    out
}

#[test]
fn small_reports_outline_snapshot() {
    let dir = scratch("snapshot");
    let (html, _) = backtest_fixture(&dir);
    insta::assert_snapshot!("backtest_html_outline", outline(&parse(&html)));
    let (html, _) = diff_fixture(&dir);
    insta::assert_snapshot!("diff_html_outline", outline(&parse(&html)));
}

#[test]
fn the_html_report_goes_to_a_named_file_not_standard_output() {
    let out = backtest_to_html("-");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("name a file such as `--html report.html`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(!std::path::Path::new("-").exists(), "no file named `-`");
}
