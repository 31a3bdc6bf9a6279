//! The second round of features through the protocol: tests run from code
//! lenses, formatting, workspace-wide rename and symbols, folding,
//! selection, highlights, links and the call hierarchy.

use serde_json::{json, Value};

use crate::harness::{position, span, text_document, Client};

const TESTED: &str = "model m\nlead { n: int }\ncriterion big = n > 10\nscore fit { big => +60 }\ntest \"big leads\" {\n  lead { n: 20 }\n  expect fit == 50\n}\n";

/// The lenses' commands are run by the server itself: failures become
/// diagnostics on their `expect` line with the actual value, a passing run
/// clears them.
#[tokio::test]
async fn code_lenses_run_tests_and_failures_show_on_the_expect_line() {
    let mut c = Client::start().await;
    assert_eq!(c.open("main.mql", TESTED).await, Vec::<Value>::new());
    let uri = c.uri("main.mql");
    let lenses = c
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": text_document(&uri) }),
        )
        .await;
    let lenses = lenses["result"].as_array().cloned().unwrap_or_default();
    let titles: Vec<(&str, u64)> = lenses
        .iter()
        .map(|l| {
            (
                l["command"]["title"].as_str().unwrap_or(""),
                l["range"]["start"]["line"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(titles, [("Run the test", 0), ("Run test", 4)]);
    let run = &lenses[1]["command"];
    assert_eq!(run["command"], "mql.runTest");
    assert_eq!(run["arguments"], json!([uri.as_str(), "big leads"]));
    let answer = c
        .request(
            "workspace/executeCommand",
            json!({ "command": run["command"], "arguments": run["arguments"] }),
        )
        .await;
    assert_eq!(answer["result"]["failed"], 1, "{answer}");
    let shown = c.notification("window/showMessage").await;
    assert_eq!(
        shown["params"]["message"],
        "mql test: 0 passed, 1 failed (failed: \"big leads\")"
    );
    let diags = c.wait_diagnostics(&uri, |d| !d.is_empty()).await;
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0]["range"]["start"],
        json!({ "line": 6, "character": 9 })
    );
    assert_eq!(diags[0]["source"], "mql test");
    assert!(diags[0]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("`fit` is 60.0, expected 50")));
    // Fixed and run again: the failure is gone.
    let fixed = TESTED.replace("fit == 50", "fit == 60");
    let v = c.change("main.mql", &fixed).await;
    assert_eq!(c.diagnostics(&uri, Some(v)).await, Vec::<Value>::new());
    let answer = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "mql.runTests", "arguments": [uri.as_str()] }),
        )
        .await;
    assert_eq!(answer["result"]["passed"], 1, "{answer}");
    assert_eq!(
        c.wait_diagnostics(&uri, |d| d.is_empty()).await,
        Vec::<Value>::new()
    );
    // A model with errors is not run, and says why.
    let v = c
        .change("main.mql", &fixed.replace("n > 10", "nn > 10"))
        .await;
    c.diagnostics(&uri, Some(v)).await;
    let answer = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "mql.runTests", "arguments": [uri.as_str()] }),
        )
        .await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("fix them before running its tests")),
        "{answer}"
    );
}

fn apply(text: &str, edits: &Value) -> String {
    let mut edits: Vec<(usize, usize, String)> = edits
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let (s, t) = span(text, &e["range"]);
            (s, t, e["newText"].as_str().unwrap_or("").to_string())
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, t, n) in edits {
        out.replace_range(s..t, &n);
    }
    out
}

/// The editor's formatting is `mql fmt`'s, byte for byte.
#[tokio::test]
async fn formatting_is_mql_fmt() {
    let messy = "model   m\n/// Doc 😀\nlead {   n : int ,  s: string }\n\n\n\ncriterion   big=n>10 // é\nscore s{\n big=>+1\n}\n";
    let mut c = Client::start().await;
    c.open("main.mql", messy).await;
    let uri = c.uri("main.mql");
    let answer = c
        .request(
            "textDocument/formatting",
            json!({ "textDocument": text_document(&uri), "options": { "tabSize": 2, "insertSpaces": true } }),
        )
        .await;
    let formatted = mql_syntax::format(messy).expect("formattable");
    assert_eq!(apply(messy, &answer["result"]), formatted);
    let at = messy.find("criterion").unwrap_or(0);
    let answer = c
        .request(
            "textDocument/rangeFormatting",
            json!({ "textDocument": text_document(&uri), "range": { "start": position(messy, at), "end": position(messy, at + 3) }, "options": { "tabSize": 2, "insertSpaces": true } }),
        )
        .await;
    let out = apply(messy, &answer["result"]);
    assert!(out.contains("\ncriterion big = n > 10 // é\n"), "{out}");
    assert!(out.starts_with("model   m\n"), "{out}");
    // Syntax errors: an error answer that says so.
    let v = c.change("main.mql", "criterion c = \n").await;
    c.diagnostics(&uri, Some(v)).await;
    let range =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 5 } });
    for (method, range) in [
        ("textDocument/formatting", None),
        ("textDocument/rangeFormatting", Some(range)),
    ] {
        let mut params = json!({ "textDocument": text_document(&uri), "options": { "tabSize": 2, "insertSpaces": true } });
        if let Some(range) = range {
            params["range"] = range;
        }
        let answer = c.request(method, params).await;
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("not formatted: line 1")),
            "{method}: {answer}"
        );
    }
}

/// Renaming a field of a shared file reaches the models of the workspace
/// that use it, open or not; workspace symbols find declarations in closed
/// files.
#[tokio::test]
async fn rename_and_symbols_span_the_whole_workspace() {
    let common = "lead { email: string }\n";
    let mut c = Client::start().await;
    c.write_file("common.mql", common);
    c.write_file(
        "closed.mql",
        "model closed\nuse \"common.mql\"\ncriterion reachable = known(email)\nscore s { reachable => +1 }\n",
    );
    c.open("common.mql", common).await;
    let uri = c.uri("common.mql");
    let at = common.find("email").unwrap_or(0);
    let answer = c
        .request(
            "textDocument/rename",
            json!({ "textDocument": text_document(&uri), "position": position(common, at), "newName": "work_email" }),
        )
        .await;
    let changes = &answer["result"]["changes"];
    assert_eq!(
        changes[uri.as_str()].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    let closed = c.uri("closed.mql");
    assert_eq!(
        changes[closed.as_str()].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    let refs = c
        .request(
            "textDocument/references",
            json!({ "textDocument": text_document(&uri), "position": position(common, at), "context": { "includeDeclaration": false } }),
        )
        .await;
    assert_eq!(refs["result"][0]["uri"], closed.as_str());
    let found = c
        .request("workspace/symbol", json!({ "query": "reach" }))
        .await;
    let names: Vec<(&str, &str)> = found["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or(""),
                s["location"]["uri"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(names, [("reachable", closed.as_str())]);
}

const MODEL: &str = "model m\nuse \"common.mql\"\n// one\n// two\nlead {\n  n: int\n}\ncriterion big = n > 10\nscore fit {\n  big => +1\n  big and n > 20 => +2\n}\n";

#[tokio::test]
async fn folding_selection_highlights_links_and_call_hierarchy() {
    let mut c = Client::start().await;
    c.write_file("common.mql", "event visit { url: string }\n");
    c.open("main.mql", MODEL).await;
    let uri = c.uri("main.mql");
    let doc = text_document(&uri);
    let folds = c
        .request("textDocument/foldingRange", json!({ "textDocument": doc }))
        .await;
    let folds: Vec<(u64, u64)> = folds["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap_or(0),
                f["endLine"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(folds, [(2, 3), (4, 6), (8, 11)]);
    let big = MODEL.rfind("big and").unwrap_or(0);
    let sel = c
        .request(
            "textDocument/selectionRange",
            json!({ "textDocument": doc, "positions": [position(MODEL, big + 1)] }),
        )
        .await;
    let mut depth = 0;
    let mut r = &sel["result"][0];
    while r.is_object() {
        depth += 1;
        r = &r["parent"];
    }
    assert!(depth >= 4, "{sel}");
    let hl = c
        .request(
            "textDocument/documentHighlight",
            json!({ "textDocument": doc, "position": position(MODEL, big) }),
        )
        .await;
    let kinds: Vec<u64> = hl["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h["kind"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(kinds, [3, 2, 2], "{hl}");
    let links = c
        .request("textDocument/documentLink", json!({ "textDocument": doc }))
        .await;
    assert_eq!(links["result"][0]["target"], c.uri("common.mql").as_str());
    let items = c
        .request(
            "textDocument/prepareCallHierarchy",
            json!({ "textDocument": doc, "position": position(MODEL, MODEL.find("fit").unwrap_or(0)) }),
        )
        .await;
    let item = items["result"][0].clone();
    assert_eq!(item["name"], "fit");
    let out = c
        .request("callHierarchy/outgoingCalls", json!({ "item": item }))
        .await;
    let to: Vec<(&str, usize)> = out["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["to"]["name"].as_str().unwrap_or(""),
                c["fromRanges"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(to, [("big", 2), ("n", 1)]);
    let big_item = c
        .request(
            "textDocument/prepareCallHierarchy",
            json!({ "textDocument": doc, "position": position(MODEL, MODEL.find("big =").unwrap_or(0)) }),
        )
        .await;
    let incoming = c
        .request(
            "callHierarchy/incomingCalls",
            json!({ "item": big_item["result"][0] }),
        )
        .await;
    assert_eq!(incoming["result"][0]["from"]["name"], "fit", "{incoming}");
    assert_eq!(
        incoming["result"][0]["fromRanges"].as_array().map(Vec::len),
        Some(2)
    );
}

/// With `runTestsOnSave`, saving a file runs its tests: a failure shows on
/// its `expect`; without the option a save runs nothing.
#[tokio::test]
async fn tests_run_on_save_when_asked() {
    let save = |c: &Client| json!({ "textDocument": { "uri": c.uri("main.mql").as_str() } });
    let mut c = Client::start_with(json!({ "runTestsOnSave": true })).await;
    assert_eq!(c.open("main.mql", TESTED).await, Vec::<Value>::new());
    let uri = c.uri("main.mql");
    c.notify("textDocument/didSave", save(&c)).await;
    let shown = c.notification("window/showMessage").await;
    assert_eq!(
        shown["params"]["message"],
        "mql test: 0 passed, 1 failed (failed: \"big leads\")"
    );
    let d = c.wait_diagnostics(&uri, |d| !d.is_empty()).await;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["range"]["start"]["line"], 6);
    assert_eq!(d[0]["source"], "mql test");
    c.shutdown().await;

    let mut c = Client::start().await;
    assert_eq!(c.open("main.mql", TESTED).await, Vec::<Value>::new());
    c.notify("textDocument/didSave", save(&c)).await;
    // a request after the save is answered with no test run in between
    let answer = c
        .request("workspace/symbol", json!({ "query": "big" }))
        .await;
    assert!(answer["result"].is_array(), "{answer}");
    assert!(
        c.pending_methods()
            .iter()
            .all(|m| m != "window/showMessage"),
        "{:?}",
        c.pending_methods()
    );
    c.shutdown().await;
}
