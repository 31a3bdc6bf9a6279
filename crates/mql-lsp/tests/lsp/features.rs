//! One test (or a few) per feature, each through the protocol. Snapshots show
//! the source with the cursor (`↑`) and the ranges of the answer (`▔`).

use serde_json::{json, Value};

use crate::harness::{cursor, draw, position, span, text_document, Client};
use crate::{at, at_in, MODEL};

/// Open `fixture` (cursor marked `$0`) as `main.mql` and send `method` at
/// the cursor with `extra` params merged in.
async fn ask(fixture: &str, method: &str, extra: Value) -> (Client, String, usize, Value) {
    let (text, offset) = cursor(fixture);
    let mut c = Client::start().await;
    c.open("main.mql", &text).await;
    let uri = c.uri("main.mql");
    let mut params =
        json!({ "textDocument": text_document(&uri), "position": position(&text, offset) });
    if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    let answer = c.request(method, params).await;
    (c, text, offset, answer)
}

/// Only the lines around the cursor, to keep snapshots readable.
fn around(drawn: &str, lines: usize) -> String {
    let all: Vec<&str> = drawn.lines().collect();
    let Some(mark) = all.iter().position(|l| l.contains('↑')) else {
        return drawn.to_string();
    };
    let from = mark.saturating_sub(lines + 1);
    let to = (mark + 1 + lines).min(all.len());
    all[from..to].join("\n")
}

async fn hover(fixture: &str) -> String {
    let (_c, text, offset, answer) = ask(fixture, "textDocument/hover", json!({})).await;
    let result = &answer["result"];
    if result.is_null() {
        return format!(
            "{}\n----- no hover",
            around(&draw(&text, Some(offset), &[]), 1)
        );
    }
    let range = span(&text, &result["range"]);
    format!(
        "{}\n----- hover\n{}",
        around(&draw(&text, Some(offset), &[range]), 1),
        result["contents"]["value"].as_str().unwrap_or("")
    )
}

#[tokio::test]
async fn hover_on_a_score_shows_its_reachable_range() {
    insta::assert_snapshot!(hover(&at("fit >= 40", 1)).await);
    insta::assert_snapshot!(hover(&at("engagement >= 50", 0)).await);
}

#[tokio::test]
async fn hover_counts_utf16_columns_after_emoji() {
    let src = "/// Démo 😀 model\nmodel m\nlead { e: string }\nconst x = \"😀😀\" // ok\ncriterion c = known(e) and \"😀\" == \"é\"\n";
    let fixture = at_in(src, "known(e)", 6);
    insta::assert_snapshot!(hover(&fixture).await);
}

/// Diagnostics of `text` drawn under it, with codes, help and related info.
fn show_diagnostics(c: &Client, text: &str, diags: &[Value]) -> String {
    let mut out = String::new();
    for d in diags {
        let r = span(text, &d["range"]);
        out.push_str(&around_range(&draw(text, None, &[r])));
        out.push_str(&format!(
            "{} {}: {}\n",
            match d["severity"].as_i64() {
                Some(1) => "error",
                Some(2) => "warning",
                _ => "?",
            },
            d["code"].as_str().unwrap_or(""),
            d["message"].as_str().unwrap_or("")
        ));
        for rel in d["relatedInformation"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  related: {} @ {}\n",
                rel["message"].as_str().unwrap_or(""),
                c.scrub(&rel["location"]).replace(['\n', ' '], "")
            ));
        }
        out.push('\n');
    }
    out
}

fn around_range(drawn: &str) -> String {
    let all: Vec<&str> = drawn.lines().collect();
    let Some(mark) = all.iter().position(|l| l.contains('▔')) else {
        return String::new();
    };
    let from = mark.saturating_sub(1);
    format!("{}\n", all[from..=mark].join("\n"))
}

#[tokio::test]
async fn a_clean_model_has_no_diagnostics() {
    let mut c = Client::start().await;
    let diags = c.open("main.mql", MODEL).await;
    assert_eq!(diags, Vec::<Value>::new());
}

#[tokio::test]
async fn diagnostics_carry_code_help_and_related_information() {
    let text = MODEL
        .replace("seniority in [director", "senority in [director")
        .replace("criterion personal_email", "criterion decision_maker")
        .replace("fit >= 30", "fit >= 300");
    let mut c = Client::start().await;
    let diags = c.open("main.mql", &text).await;
    insta::assert_snapshot!(show_diagnostics(&c, &text, &diags));
}

#[tokio::test]
async fn diagnostics_columns_are_utf16_after_emoji_and_accents() {
    let text = "model m\nlead { e: string }\n// 😀😀 é\ncriterion c = \"😀é\" == ee\n";
    let mut c = Client::start().await;
    let diags = c.open("main.mql", text).await;
    let first = diags
        .iter()
        .find(|d| d["severity"] == 1)
        .cloned()
        .unwrap_or_default();
    // `ee` starts after `criterion c = "😀é" == ` : 14 + 1 + 2 + 1 + 1 + 4 = 23 units.
    assert_eq!(
        first["range"]["start"],
        json!({ "line": 3, "character": 23 })
    );
    assert_eq!(first["range"]["end"], json!({ "line": 3, "character": 25 }));
}

#[tokio::test]
async fn code_action_applies_did_you_mean() {
    let text = MODEL.replace("seniority: vp", "seniority: VP");
    let text = text.replace("seniority in [director", "senority in [director");
    let mut c = Client::start().await;
    let diags = c.open("main.mql", &text).await;
    let uri = c.uri("main.mql");
    let typo = text.find("senority").unwrap_or(0);
    let answer = c
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": text_document(&uri),
                "range": { "start": position(&text, typo), "end": position(&text, typo + 3) },
                "context": { "diagnostics": diags },
            }),
        )
        .await;
    let actions = answer["result"].as_array().cloned().unwrap_or_default();
    let mut out = String::new();
    let mut fixed = text.clone();
    for a in &actions {
        out.push_str(&format!(
            "{} (preferred: {})\n",
            a["title"].as_str().unwrap_or(""),
            a["isPreferred"]
        ));
        for e in a["edit"]["changes"][uri.as_str()]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (s, t) = span(&fixed, &e["range"]);
            fixed.replace_range(s..t, e["newText"].as_str().unwrap_or(""));
        }
    }
    insta::assert_snapshot!(out);
    assert!(fixed.contains("seniority in [director"));
    // The quick fix removes that diagnostic.
    let v = c.change("main.mql", &fixed).await;
    let after = c.diagnostics(&uri, Some(v)).await;
    assert!(after.len() < diags.len(), "{after:?}");
}

async fn complete(fixture: &str) -> String {
    let (_c, text, offset, answer) = ask(fixture, "textDocument/completion", json!({})).await;
    let items = answer["result"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out = around(&draw(&text, Some(offset), &[]), 0);
    out.push_str("\n-----\n");
    for i in items {
        out.push_str(&format!(
            "{} ({})\n",
            i["label"].as_str().unwrap_or(""),
            i["detail"].as_str().unwrap_or("")
        ));
    }
    out
}

#[tokio::test]
async fn completes_enum_variants_after_equals_and_in() {
    let fx = MODEL.replace(
        "criterion personal_email",
        "criterion mobile = exists(page_view where device == )\ncriterion personal_email",
    );
    insta::assert_snapshot!(complete(&at_in(&fx, "device == )", 10)).await);
    insta::assert_snapshot!(complete(&at("director, vp, cxo]", 0)).await);
    insta::assert_snapshot!(complete(&at("vp, stage", 0)).await);
}

#[tokio::test]
async fn go_to_definition_across_declarations() {
    let (c, text, offset, answer) = ask(
        &at("decision_maker => +25", 3),
        "textDocument/definition",
        json!({}),
    )
    .await;
    let r = span(&text, &answer["result"]["range"]);
    assert_eq!(&text[r.0..r.1], "decision_maker");
    assert!(r.0 < offset);
    assert_eq!(answer["result"]["uri"], c.uri("main.mql").as_str());
}

#[tokio::test]
async fn find_references_of_a_criterion_and_a_stage() {
    for (needle, k) in [
        ("decision_maker => +25", 0),
        ("mql when fit", 0),
        ("vp, cxo]", 0),
    ] {
        let (_c, text, offset, answer) = ask(
            &at(needle, k),
            "textDocument/references",
            json!({ "context": { "includeDeclaration": true } }),
        )
        .await;
        let ranges: Vec<(usize, usize)> = answer["result"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| span(&text, &l["range"]))
            .collect();
        let drawn = draw(&text, Some(offset), &ranges);
        let marked: Vec<&str> = drawn
            .lines()
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[1].contains('▔') || w[1].contains('↑'))
            .flat_map(|w| [w[0], w[1]])
            .collect();
        insta::assert_snapshot!(marked.join("\n"));
    }
}

async fn rename(fixture: &str, new_name: &str) -> (String, Value) {
    let (c, text, _, answer) = ask(
        fixture,
        "textDocument/rename",
        json!({ "newName": new_name }),
    )
    .await;
    let uri = c.uri("main.mql");
    let mut edits: Vec<(usize, usize, String)> = answer["result"]["changes"][uri.as_str()]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let (s, t) = span(&text, &e["range"]);
            (s, t, e["newText"].as_str().unwrap_or("").to_string())
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.clone();
    for (s, t, n) in edits {
        out.replace_range(s..t, &n);
    }
    (out, answer)
}

#[tokio::test]
async fn rename_a_criterion_a_stage_a_field_and_a_variant() {
    let (out, _) = rename(&at("decision_maker => +25", 2), "can_sign").await;
    assert_eq!(out.matches("can_sign").count(), 2);
    assert!(!out.contains("decision_maker"));
    let (out, _) = rename(&at("lead -> mql", 0), "lead_stage").await;
    assert!(out.contains("stages prospect, lead_stage, mql"));
    assert!(out.contains("transition prospect -> lead_stage when"));
    assert!(out.contains("stage: lead_stage }"));
    assert!(out.contains("expect stage == lead_stage"));
    // The `lead` block keyword is untouched.
    assert!(out.contains("\nlead {\n"));
    let (out, _) = rename(&at("url starts_with \"/pricing\" within", 0), "path").await;
    assert_eq!(out.matches("path starts_with").count(), 2);
    let (out, _) = rename(&at("vp, cxo]", 0), "vice_president").await;
    assert!(out.contains("director, vice_president, cxo }"));
    assert!(out.contains("seniority: vice_president,"));
    // The renamed model still checks clean.
    let mut c = Client::start().await;
    assert_eq!(c.open("main.mql", &out).await, Vec::<Value>::new());
}

#[tokio::test]
async fn rename_refuses_clashes_keywords_and_builtins() {
    let mut out = String::new();
    for (fixture, name) in [
        (at("decision_maker => +25", 0), "fit"),
        (at("decision_maker => +25", 0), "score"),
        (at("decision_maker => +25", 0), "2nd"),
        (at("decision_maker => +25", 0), "now"),
        (at("lead -> mql", 0), "prospect"),
        (at("url starts_with \"/pricing\" within", 0), "seconds"),
        (at("url starts_with \"/pricing\" within", 0), "at"),
        (at("domain(email)", 0), "host"),
    ] {
        let (_, answer) = rename(&fixture, name).await;
        out.push_str(&format!(
            "{name}: {}\n",
            answer["error"]["message"].as_str().unwrap_or("(no error)")
        ));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn prepare_rename_gives_the_name_range() {
    let (_c, text, _, answer) = ask(
        &at("engagement >= 50", 3),
        "textDocument/prepareRename",
        json!({}),
    )
    .await;
    let r = span(&text, &answer["result"]["range"]);
    assert_eq!(&text[r.0..r.1], "engagement");
    assert_eq!(answer["result"]["placeholder"], "engagement");
}

fn outline(symbols: &Value, depth: usize, out: &mut String) {
    for s in symbols.as_array().into_iter().flatten() {
        out.push_str(&format!(
            "{}{} [{}] {}\n",
            "  ".repeat(depth),
            s["name"].as_str().unwrap_or(""),
            s["kind"],
            s["detail"].as_str().unwrap_or("")
        ));
        outline(&s["children"], depth + 1, out);
    }
}

#[tokio::test]
async fn document_symbols_outline_the_model() {
    let mut c = Client::start().await;
    c.open("main.mql", MODEL).await;
    let uri = c.uri("main.mql");
    let answer = c
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": text_document(&uri) }),
        )
        .await;
    let mut out = String::new();
    outline(&answer["result"], 0, &mut out);
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn semantic_tokens_classify_names_by_what_they_are() {
    let text = "/// Doc é\nmodel m\nlead { tier_level: enum { a, b } }\nevent visit { url: string }\nconst n = 3\ncriterion c = tier_level == a and count(visit where url contains \"😀x\" within 7d) >= n\n";
    let mut c = Client::start().await;
    c.open("main.mql", text).await;
    let uri = c.uri("main.mql");
    let answer = c
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": text_document(&uri) }),
        )
        .await;
    let data: Vec<u64> = answer["result"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let types = [
        "keyword",
        "comment",
        "string",
        "number",
        "operator",
        "variable",
        "property",
        "function",
        "type",
        "enumMember",
        "event",
        "namespace",
    ];
    let mods = ["declaration", "readonly", "documentation", "defaultLibrary"];
    let (mut line, mut col) = (0u64, 0u64);
    let mut out = String::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            col = t[1];
        } else {
            col += t[1];
        }
        let start = crate::harness::offset(text, &json!({ "line": line, "character": col }));
        let end = crate::harness::offset(text, &json!({ "line": line, "character": col + t[2] }));
        let m: Vec<&str> = (0..4)
            .filter(|b| t[4] & (1 << b) != 0)
            .map(|b| mods[b])
            .collect();
        out.push_str(&format!(
            "{:<28} {} {}\n",
            &text[start..end],
            types.get(t[3] as usize).unwrap_or(&"?"),
            m.join(",")
        ));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn inlay_hints_show_each_scores_reachable_points() {
    let mut c = Client::start().await;
    c.open("main.mql", MODEL).await;
    let uri = c.uri("main.mql");
    let answer = c
        .request(
            "textDocument/inlayHint",
            json!({ "textDocument": text_document(&uri), "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 999, "character": 0 } } }),
        )
        .await;
    let mut out = String::new();
    for h in answer["result"].as_array().into_iter().flatten() {
        let at = crate::harness::offset(MODEL, &h["position"]);
        let line_start = MODEL[..at].rfind('\n').map_or(0, |n| n + 1);
        out.push_str(&format!(
            "{}⟨{}⟩\n",
            &MODEL[line_start..at],
            h["label"].as_str().unwrap_or("")
        ));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn signature_help_for_functions_and_aggregates() {
    let fx = MODEL.replace(
        "let pricing_visits",
        "let seconds_read = sum(page_view where url starts_with \"/blog\", seconds)\nlet rounded = round(seconds_read, 1)\nlet pricing_visits",
    );
    let mut out = String::new();
    for (needle, k) in [
        ("seconds)\n", 0),
        ("1)\nlet", 0),
        ("url starts_with \"/blog\"", 0),
    ] {
        let (_c, text, offset, answer) = ask(
            &at_in(&fx, needle, k),
            "textDocument/signatureHelp",
            json!({}),
        )
        .await;
        let r = &answer["result"];
        let active = r["activeSignature"].as_u64().unwrap_or(0) as usize;
        out.push_str(&around(&draw(&text, Some(offset), &[]), 0));
        out.push_str(&format!(
            "\n=> {} (parameter {})\n\n",
            r["signatures"][active]["label"]
                .as_str()
                .unwrap_or("(none)"),
            r["activeParameter"]
        ));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn a_used_file_edited_in_the_editor_rechecks_the_model_that_uses_it() {
    let common =
        "lead { email: string, seniority: enum { junior, senior } }\nevent visit { url: string }\n";
    let main = "model main\nuse \"common.mql\"\ncriterion senior_lead = seniority == senior\nscore s { senior_lead => +1 }\n";
    let mut c = Client::start().await;
    c.write_file("common.mql", common);
    assert_eq!(c.open("main.mql", main).await, Vec::<Value>::new());
    // Go to definition lands in the used file.
    let uri = c.uri("main.mql");
    let at = main.find("seniority ==").unwrap_or(0);
    let def = c
        .request(
            "textDocument/definition",
            json!({ "textDocument": text_document(&uri), "position": position(main, at) }),
        )
        .await;
    assert_eq!(def["result"]["uri"], c.uri("common.mql").as_str());
    // So does go to definition on the `use` path.
    let at = main.find("common.mql").unwrap_or(0);
    let def = c
        .request(
            "textDocument/definition",
            json!({ "textDocument": text_document(&uri), "position": position(main, at) }),
        )
        .await;
    assert_eq!(def["result"]["uri"], c.uri("common.mql").as_str());
    // Open the used file and rename the field without saving.
    c.open("common.mql", common).await;
    let v = c
        .change("common.mql", &common.replace("seniority", "level"))
        .await;
    let _ = c.diagnostics(&c.uri("common.mql"), Some(v)).await;
    let diags = c.wait_diagnostics(&uri, |d| !d.is_empty()).await;
    insta::assert_snapshot!(show_diagnostics(&c, main, &diags));
    // Closing the used file goes back to the disk's text.
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": text_document(&c.uri("common.mql")) }),
    )
    .await;
    let diags = c.wait_diagnostics(&uri, |d| d.is_empty()).await;
    assert_eq!(diags, Vec::<Value>::new());
}

#[tokio::test]
async fn rename_reaches_every_open_file_that_sees_the_declaration() {
    let common = "lead { email: string }\ncriterion has_email = known(email)\n";
    let main = "model main\nuse \"common.mql\"\nsegment reachable = has_email\n";
    let mut c = Client::start().await;
    c.write_file("common.mql", common);
    c.open("main.mql", main).await;
    let uri = c.uri("main.mql");
    let at = main.find("has_email").unwrap_or(0);
    let answer = c
        .request(
            "textDocument/rename",
            json!({ "textDocument": text_document(&uri), "position": position(main, at), "newName": "emailable" }),
        )
        .await;
    let changes = &answer["result"]["changes"];
    assert_eq!(changes[uri.as_str()].as_array().map(Vec::len), Some(1));
    assert_eq!(
        changes[c.uri("common.mql").as_str()]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
