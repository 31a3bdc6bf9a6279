//! The HTML reports in a real browser: headless Chromium loads each report
//! (the small fixture's and the Olist export's backtest and diff), the page
//! logs nothing to the console and fetches nothing, every chart is laid out
//! with a non-empty size and draws something, and a full-page screenshot is
//! saved under `target/html-reports/` for people to look at.
//!
//! Without a Chromium (`chromium`, `chromium-browser`, `google-chrome`, or
//! the program `MQL_CHROMIUM` names) the test says it skipped, unless
//! `MQL_BROWSER=required` (as in CI), when it fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::mql;

/// How long one browser run may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// The Chromium to drive, if there is one.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MQL_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Where the reports and screenshots go: `target/html-reports/`.
fn out_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("html-reports");
    std::fs::create_dir_all(&dir).expect("target/html-reports");
    dir
}

/// Run the browser headless with `args` on `page`; its standard output and
/// error. Fails the test when it does not finish in time.
fn browse(browser: &Path, profile: &Path, args: &[String], page: &Path) -> (String, String) {
    let dir = profile.to_string_lossy();
    let url = format!("file://{}", page.display());
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={dir}"),
        ])
        .args(args)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    // Read the pipes on threads so a full pipe cannot stall the browser.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > BROWSER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the browser did not finish {url} in {BROWSER_TIMEOUT:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for the browser: {e}"),
        }
    }
    (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    )
}

/// Measures every chart once the page is laid out and writes the figures
/// into a `<pre id="mql-check">` the dumped DOM carries.
const CHECK: &str = r#"<script>
(function () {
  var charts = [];
  document.querySelectorAll("figure.chart").forEach(function (f) {
    var svg = f.querySelector("svg");
    var box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    var drawn = { width: 0, height: 0 };
    try { drawn = svg.getBBox(); } catch (e) {}
    var style = svg ? getComputedStyle(svg) : null;
    charts.push({
      id: f.id,
      width: box.width,
      height: box.height,
      drawn_width: drawn.width,
      drawn_height: drawn.height,
      visible: !!style && style.display !== "none" && style.visibility !== "hidden",
      shapes: svg ? svg.querySelectorAll("rect, path, polyline, line, circle").length : 0
    });
  });
  var pre = document.createElement("pre");
  pre.id = "mql-check";
  pre.textContent = JSON.stringify({
    charts: charts,
    height: document.documentElement.scrollHeight,
    fetched: performance.getEntriesByType("resource").length
  });
  document.body.appendChild(pre);
})();
</script>
"#;

/// The ids of the page's charts, read from its source.
fn chart_ids(html: &str) -> Vec<String> {
    html.split("<figure class=\"chart\" id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Load `page` in the browser: every chart rendered, nothing logged or
/// fetched; then a screenshot beside it.
fn check_in_browser(browser: &Path, name: &str, page: &Path) {
    let html = std::fs::read_to_string(page).expect("the report");
    let expected = chart_ids(&html);
    assert!(!expected.is_empty(), "{name}: the report has charts");

    // The report allows no script; the copy with the check allows inline
    // ones, and nothing else.
    let policy = "default-src 'none';";
    assert!(html.contains(policy), "{name}: the report forbids fetching");
    let checked = html
        .replacen(policy, "default-src 'none'; script-src 'unsafe-inline';", 1)
        .replacen("</body>", &format!("{CHECK}</body>"), 1);
    let dir = page.parent().expect("a folder");
    let check_page = dir.join(format!("{name}.check.html"));
    std::fs::write(&check_page, checked).expect("write the checked copy");
    let profile = dir.join(format!("{name}.profile"));

    let (dom, log) = browse(browser, &profile, &["--dump-dom".to_string()], &check_page);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "{name}: the page wrote to the browser console:\n{}",
        console.join("\n")
    );
    let json = dom
        .split("<pre id=\"mql-check\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("{name}: the check did not run; browser log:\n{log}"));
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let report: Value = serde_json::from_str(&json).expect("the check's JSON");
    assert_eq!(report["fetched"], 0, "{name}: the page fetched something");
    let charts = report["charts"].as_array().expect("charts");
    let ids: Vec<&str> = charts.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, expected, "{name}: every chart is in the page");
    for c in charts {
        let id = c["id"].as_str().unwrap_or_default();
        let num = |k: &str| c[k].as_f64().unwrap_or(0.0);
        assert!(
            num("width") > 100.0 && num("height") > 50.0,
            "{name}: chart `{id}` is laid out too small: {c}"
        );
        assert!(
            num("drawn_width") > 0.0 && num("drawn_height") > 0.0,
            "{name}: chart `{id}` draws nothing: {c}"
        );
        assert_eq!(c["visible"], true, "{name}: chart `{id}` is hidden");
        assert!(num("shapes") > 0.0, "{name}: chart `{id}` has no shapes");
    }

    // A screenshot of the whole page, as the report is (no check script).
    let height = report["height"]
        .as_f64()
        .unwrap_or(2000.0)
        .clamp(600.0, 16000.0) as u32;
    let shot = dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    let (_, log) = browse(
        browser,
        &profile,
        &[
            format!("--screenshot={}", shot.display()),
            format!("--window-size=1000,{height}"),
        ],
        page,
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "{name}: no screenshot was saved; browser log:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&profile);
}

#[test]
fn reports_render_in_a_real_browser() {
    let Some(browser) = chromium() else {
        if std::env::var("MQL_BROWSER").as_deref() == Ok("required") {
            panic!("MQL_BROWSER=required but no Chromium was found (install Debian's `chromium`)");
        }
        eprintln!("skipped: no Chromium found (set MQL_BROWSER=required to fail instead)");
        println!("skipped: no Chromium found (set MQL_BROWSER=required to fail instead)");
        return;
    };
    let dir = out_dir();
    let olist = [
        "--leads",
        "examples/olist/leads.csv",
        "--id-field",
        "MQL Id",
        "--as-of",
        "2018-06-01",
        "--outcome",
        "Became Seller",
    ];
    let fixture = [
        "--leads",
        "tests/fixtures/diff/leads.ndjson",
        "--as-of",
        "2026-11-01",
        "--outcome",
        "converted",
    ];
    let v1 = "tests/fixtures/diff/funnel_v1.mql";
    let v2 = "tests/fixtures/diff/funnel_v2.mql";
    let runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "backtest-small",
            [&["backtest", v1][..], &fixture, &["--sweep", "fit"]].concat(),
        ),
        ("diff-small", [&["diff", v1, v2][..], &fixture].concat()),
        (
            "backtest-olist",
            [
                &["backtest", "examples/olist/olist.mql"][..],
                &olist,
                &["--sweep", "fit"],
            ]
            .concat(),
        ),
        (
            "diff-olist",
            [
                &[
                    "diff",
                    "examples/olist/olist.mql",
                    "examples/olist/olist_v2.mql",
                ][..],
                &olist,
            ]
            .concat(),
        ),
    ];
    for (name, args) in runs {
        let page = dir.join(format!("{name}.html"));
        let path = page.to_string_lossy().into_owned();
        let mut all = args.clone();
        all.extend(["--html", &path]);
        let out = mql(&all);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check_in_browser(&browser, name, &page);
    }
}
