//! The checker never panics, whatever the text: broken variants of the
//! conformance models (lines dropped, words swapped, text cut) all check to
//! diagnostics, never to a crash, and an error always withholds the model.

use std::path::PathBuf;

use mql_sema::check_source;

fn models() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path().join("model.mql")))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

#[test]
fn broken_models_give_diagnostics_not_panics() {
    let swaps = [
        ("int", "string"),
        ("==", "<"),
        ("and", "+"),
        ("within", "where"),
        ("30d", "\"30d\""),
        ("seniority", "senority"),
        ("stages", "stage"),
        ("=>", "=> 0 +"),
    ];
    let mut checked = 0;
    for (k, text) in models().iter().enumerate() {
        let lines: Vec<&str> = text.lines().collect();
        for step in [3usize, 7, 11] {
            let kept: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| (i + k) % step != 0)
                .map(|(_, l)| *l)
                .collect();
            let c = check_source("m.mql", &kept.join("\n"));
            assert!(c.model.is_none() || !c.has_errors());
            checked += 1;
        }
        let (from, to) = swaps[k % swaps.len()];
        let c = check_source("m.mql", &text.replacen(from, to, 3));
        assert!(c.model.is_none() || !c.has_errors());
        let mut cut = text.len() * (k + 1) / 41;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let _ = check_source("m.mql", &text[..cut]);
        checked += 2;
    }
    assert!(checked >= 200);
}

/// Run `f` on a thread with a 1 MiB stack.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("no panic")
}

#[test]
fn a_chain_of_100000_lets_is_ordered_without_recursion() {
    let n = 100_000;
    let mut text = String::from("lead { a: int }\n");
    for k in 0..n {
        text.push_str(&format!("let v{k} = v{}\n", k + 1));
    }
    text.push_str(&format!("let v{n} = a + 1\ncriterion big = v0 > 10\n"));
    let checked = on_small_stack(move || check_source("chain.mql", &text));
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{:?}", errors.first());
    let model = checked.model.expect("the chain checks");
    // dependencies first: v100000 before v99999 … before v0
    let pos = |name: &str| {
        model
            .order
            .iter()
            .position(|r| matches!(r, mql_sema::hir::DeclRef::Value(i) if model.values[*i as usize].name == name))
            .unwrap()
    };
    assert!(pos(&format!("v{n}")) < pos("v1") && pos("v1") < pos("v0"));
}

#[test]
fn a_cycle_of_100000_lets_is_one_error_with_a_short_message() {
    let n = 100_000;
    let mut text = String::from("lead { a: int }\n");
    for k in 0..n {
        text.push_str(&format!("let v{k} = v{}\n", (k + 1) % n));
    }
    text.push_str("criterion big = v0 > 10\n");
    let checked = on_small_stack(move || check_source("cycle.mql", &text));
    let cycles: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == "E0150")
        .collect();
    assert_eq!(cycles.len(), 1);
    let d = cycles[0];
    assert_eq!(
        d.message,
        "`v0` depends on itself: v0 -> v1 -> v2 -> v3 -> v4 -> v5 -> v6 -> v7 -> v8 -> … -> v99999 -> v0 (100000 declarations)"
    );
    // every other member is named once, for the editor; the renderer caps them
    assert_eq!(d.secondary.len(), n - 1);
    assert!(checked.model.is_none());
}

#[test]
fn each_group_of_lets_that_use_each_other_is_one_error_naming_its_shortest_cycle() {
    // a -> b -> c -> a, with a short cut c -> b; d -> d; e alone
    let text = "lead { x: int }\n\
        let a = b + 1\n\
        let b = c + 1\n\
        let c = a + b\n\
        let d = d + 1\n\
        let e = x\n\
        criterion k = a + d + e > 1\n";
    let checked = check_source("m.mql", text);
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == "E0150")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "`a` depends on itself: a -> b -> c -> a",
            "`d` depends on itself: d -> d"
        ]
    );
}

#[test]
fn a_lead_of_100000_fields_is_checked_in_linear_time() {
    let n = 100_000;
    let mut text = String::from("lead {\n");
    for k in 0..n {
        text.push_str(&format!("  f{k}: int\n"));
    }
    text.push_str("  f7: string\n}\ncriterion c = f1 > 1 and f99999 > 2\n");
    let started = std::time::Instant::now();
    let checked = check_source("wide.mql", &text);
    let took = started.elapsed();
    let errors: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(errors, ["`lead` has two fields named `f7`"]);
    // quadratic, this took minutes in a debug build
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
}

/// The E0143 messages of a criterion `email matches PATTERN`.
fn pattern_errors(pattern: &str) -> Vec<String> {
    let text = format!(
        "lead {{ email: string }}\ncriterion c = email matches \"{}\"\n",
        pattern.replace('\\', "\\\\")
    );
    check_source("p.mql", &text)
        .diagnostics
        .iter()
        .filter(|d| d.code == "E0143")
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn a_pattern_may_have_1000_characters_and_compile_to_1_mib() {
    assert_eq!(mql_sema::MAX_PATTERN_CHARS, 1000);
    assert!(pattern_errors(&"a".repeat(1000)).is_empty());
    assert_eq!(
        pattern_errors(&"a".repeat(1001)),
        [format!(
            "`{}…` is not a valid pattern: it is longer than 1000 characters",
            "a".repeat(60)
        )]
    );
    // short, but huge once compiled
    assert!(pattern_errors("[a-z]{100}@\\w{20}").is_empty());
    assert_eq!(
        pattern_errors("\\w{1000}"),
        ["`\\w{1000}` is not a valid pattern: it is too large once compiled (more than 1 MiB)"]
    );
}

#[test]
fn a_column_claimed_by_a_field_of_unknown_type_is_reported_not_a_panic() {
    // The check of two fields read from one column indexed the kept fields
    // by the position of the claimed column, which slid when a field before
    // had a type that could not be read (it panicked).
    let text = "lead {\n  a: list<list<int>>,\n  b: int from \"a\",\n  c: int\n}\ncriterion k = b > 1 and c > 1\n";
    let checked = check_source("m.mql", text);
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m
                .contains("`a` and `b` (from \"a\") of `lead` would be read from the same column")),
        "{messages:?}"
    );
}

#[test]
fn a_lead_of_100000_fields_read_from_named_columns_is_checked_in_linear_time() {
    // the same-column check looked through every field kept before
    let n = 100_000;
    let mut text = String::from("lead {\n");
    for k in 0..n {
        text.push_str(&format!("  f{k}: int from \"Column {k}\"\n"));
    }
    text.push_str("  g: int from \"column_7\"\n}\ncriterion c = f1 > 1\n");
    let started = std::time::Instant::now();
    let checked = check_source("wide.mql", &text);
    let took = started.elapsed();
    let errors: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        errors,
        ["`f7` (from \"Column 7\") and `g` (from \"column_7\") of `lead` would be read from the same column"]
    );
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
}
