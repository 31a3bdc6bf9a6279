//! The protocol's edges: ids the library can't hold, files that are not
//! files, and a random stream of messages (the stand-in for the fuzz
//! target `lsp_messages`).

use serde_json::{json, Value};

use crate::harness::{position, text_document, Client};

/// The server still answers after whatever came before.
async fn still_alive(c: &mut Client) {
    let uri = c.uri("alive.mql");
    c.open(
        "alive.mql",
        "model alive\nlead { e: string }\ncriterion c = known(e)\n",
    )
    .await;
    let answer = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": text_document(&uri), "position": { "line": 2, "character": 10 } }),
        )
        .await;
    assert!(
        answer["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|s| s.contains("criterion")),
        "{answer}"
    );
}

/// A request whose id is not a whole number gets an error answer with its
/// id, and the server keeps serving (it used to stop reading for good).
#[tokio::test]
async fn ids_that_are_not_whole_numbers_get_an_error_and_the_server_goes_on() {
    let mut c = Client::start().await;
    for id in ["1.5", "1.0", "1e3", "9223372036854775808"] {
        c.send_raw(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"textDocument/hover","params":{{}}}}"#
        ))
        .await;
        let want: Value = serde_json::from_str(id).unwrap_or_default();
        let answer = c.response(want.clone()).await;
        assert_eq!(answer["error"]["code"], -32600, "{id}: {answer}");
        still_alive(&mut c).await;
    }
}

/// `/dev/zero` is never read without end: not when a model uses it, not
/// when the editor says it changed, not when it is closed.
#[tokio::test]
async fn a_device_is_refused_wherever_it_comes_from() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let mut c = Client::start().await;
    let diags = c
        .open(
            "main.mql",
            "model m\nuse \"/dev/zero\"\nlead { e: string }\n",
        )
        .await;
    assert!(
        diags.iter().any(|d| d["message"]
            .as_str()
            .is_some_and(|m| m.contains("`/dev/zero` is a device, not a file"))),
        "{diags:?}"
    );
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": "file:///dev/zero", "type": 2 }] }),
    )
    .await;
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": "file:///dev/zero", "languageId": "mql", "version": 1, "text": "lead { x: int }\n" } }),
    )
    .await;
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": "file:///dev/zero" } }),
    )
    .await;
    still_alive(&mut c).await;
}

mod random {
    //! Random sequences of messages, some valid, some not: the server
    //! answers every request and is still alive at the end.

    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::still_alive;
    use crate::harness::Client;

    fn methods() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/definition",
            "textDocument/references",
            "textDocument/rename",
            "textDocument/prepareRename",
            "textDocument/formatting",
            "textDocument/codeLens",
            "textDocument/foldingRange",
            "textDocument/selectionRange",
            "textDocument/documentHighlight",
            "textDocument/prepareCallHierarchy",
            "workspace/symbol",
            "workspace/executeCommand",
            "textDocument/didChange",
            "textDocument/didOpen",
            "mql/unknown",
        ])
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(|f| json!(f)),
            "[a-z:/.é😀 ]{0,12}".prop_map(Value::from),
            Just(json!("file:///tmp/mql-random/main.mql")),
            Just(json!({ "line": 1, "character": 3 })),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "textDocument",
                        "uri",
                        "position",
                        "text",
                        "newName",
                        "query",
                        "command",
                        "arguments",
                        "contentChanges",
                        "version",
                        "range",
                        "positions",
                        "context",
                        "item",
                    ]),
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                )),
            ]
        })
    }

    /// One message: a request, a notification, or something broken.
    fn message() -> impl Strategy<Value = String> {
        prop_oneof![
            (1i64..1000, methods(), value()).prop_map(|(id, m, p)| {
                json!({ "jsonrpc": "2.0", "id": id, "method": m, "params": p }).to_string()
            }),
            (methods(), value()).prop_map(|(m, p)| {
                json!({ "jsonrpc": "2.0", "method": m, "params": p }).to_string()
            }),
            value().prop_map(|v| v.to_string()),
            "[{}\\[\\]\":,0-9a-z.]{0,30}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn random_messages_never_stop_the_server(msgs in prop::collection::vec(message(), 1..12)) {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let mut c = Client::start().await;
                for m in &msgs {
                    c.send_raw(m).await;
                }
                still_alive(&mut c).await;
            });
        }
    }
}

#[tokio::test]
async fn a_request_right_after_a_change_sees_the_change() {
    // The server handles several messages at once; a code lens asked for
    // right after `didOpen` (as editors do) once got no answer when the
    // request overtook the change, and a hover right after `didChange`
    // answered from the old text.
    for round in 0..20 {
        let mut c = Client::start().await;
        let uri = c.uri(&format!("t{round}.mql"));
        let text = "model t\nlead { n: int }\ncriterion big = n > 10\ntest \"big\" {\n  lead { n: 20 }\n  expect big\n}\n";
        c.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri.as_str(), "languageId": "mql", "version": 1, "text": text } }),
        )
        .await;
        let lenses = c
            .request(
                "textDocument/codeLens",
                json!({ "textDocument": { "uri": uri.as_str() } }),
            )
            .await;
        let runs_big = lenses["result"].as_array().is_some_and(|a| {
            a.iter().any(|l| {
                l["command"]["command"] == "mql.runTest" && l["command"]["arguments"][1] == "big"
            })
        });
        assert!(runs_big, "round {round}: {lenses}");

        let changed = text
            .replace("criterion big", "criterion large")
            .replace("expect big", "expect large");
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri.as_str(), "version": 2 }, "contentChanges": [{ "text": changed }] }),
        )
        .await;
        let at = changed.find("large").unwrap_or(0) + 1;
        let hover = c
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": uri.as_str() }, "position": position(&changed, at) }),
            )
            .await;
        assert!(
            hover["result"]["contents"]["value"]
                .as_str()
                .unwrap_or("")
                .contains("large"),
            "round {round}: {hover}"
        );
        c.shutdown().await;
    }
}
