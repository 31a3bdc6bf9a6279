//! `use "…"` through an in-memory loader: included declarations, a missing
//! file, a cycle of uses, and diagnostics in a used file.

use std::collections::HashMap;

use mql_sema::{check, FileSource, Loader};
use mql_syntax::render_diagnostic;

/// Files by path; a `use` path is taken relative to the folder of `from`.
struct Memory(HashMap<&'static str, &'static str>);

impl Loader for Memory {
    fn load(&self, from: &str, relative: &str) -> Result<FileSource, String> {
        let dir = from.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let path = if dir.is_empty() {
            relative.to_string()
        } else {
            format!("{dir}/{relative}")
        };
        match self.0.get(path.as_str()) {
            Some(text) => Ok(FileSource::parse(&path, text)),
            None => Err("no such file".into()),
        }
    }
}

fn render(c: &mql_sema::Checked, files: &Memory, root: (&str, &str)) -> String {
    c.diagnostics
        .iter()
        .map(|d| {
            let (path, text) = match &d.file {
                Some(p) => (p.to_string(), files.0.get(&**p).copied().unwrap_or("")),
                None => (root.0.to_string(), root.1),
            };
            render_diagnostic(d, &path, text, false)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const SCHEMA: &str = r#"
lead { email: string, company_size: int, seniority: enum { manager, director, vp } }
event page_view { url: string }
const senior = [director, vp]
test "not run: a used file's tests are not collected" {
  expect true
}
"#;

#[test]
fn used_declarations_stand_where_the_use_is() {
    let files = Memory(HashMap::from([("lib/schema.mql", SCHEMA)]));
    let root = r#"model acme
use "lib/schema.mql"
score fit {
  seniority in senior => +20
  each page_view => +1 up to 10
}
test "a vp" {
  lead { seniority: vp }
  expect fit == 20
}
"#;
    let c = check(FileSource::parse("acme.mql", root), &files);
    assert!(
        c.diagnostics.is_empty(),
        "{}",
        render(&c, &files, ("acme.mql", root))
    );
    let m = c.model.expect("model");
    assert_eq!(&*m.files[1], "lib/schema.mql");
    assert_eq!(m.schema.lead.len(), 3);
    assert_eq!(m.consts[0].origin.file, 1);
    assert_eq!(m.tests.len(), 1, "only the root file's tests are collected");
    assert_eq!(m.tests[0].name, "a vp");
}

#[test]
fn a_missing_file_is_reported_at_the_use() {
    let files = Memory(HashMap::new());
    let root = "use \"schema.mql\"\nlead { email: string }\n";
    let c = check(FileSource::parse("acme.mql", root), &files);
    assert!(c.model.is_none());
    insta::assert_snapshot!(render(&c, &files, ("acme.mql", root)));
}

#[test]
fn a_cycle_of_uses_is_reported_with_the_whole_chain() {
    let files = Memory(HashMap::from([
        ("a.mql", "use \"b.mql\"\nlead { email: string }\n"),
        ("b.mql", "use \"a.mql\"\nevent visit { url: string }\n"),
    ]));
    let root = files.0["a.mql"];
    let c = check(FileSource::parse("a.mql", root), &files);
    assert!(c.model.is_none());
    let codes: Vec<_> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0151"]);
    assert_eq!(c.diagnostics[0].file.as_deref(), Some("b.mql"));
    insta::assert_snapshot!(render(&c, &files, ("a.mql", root)));
}

#[test]
fn a_file_used_twice_is_included_once() {
    let files = Memory(HashMap::from([
        ("schema.mql", "lead { email: string }\n"),
        (
            "rules.mql",
            "use \"schema.mql\"\ncriterion work_mail = not (email ends_with \"gmail.com\")\n",
        ),
    ]));
    let root = "use \"schema.mql\"\nuse \"rules.mql\"\nscore fit {\n  work_mail => +5\n}\n";
    let c = check(FileSource::parse("main.mql", root), &files);
    assert!(
        c.diagnostics.is_empty(),
        "{}",
        render(&c, &files, ("main.mql", root))
    );
    let m = c.model.expect("model");
    assert_eq!(m.files.len(), 3);
}

#[test]
fn errors_in_a_used_file_name_that_file() {
    let files = Memory(HashMap::from([(
        "schema.mql",
        "lead { email: string, email: int }\n",
    )]));
    let root = "use \"schema.mql\"\nscore fit {\n  email == \"x\" => +5\n}\n";
    let c = check(FileSource::parse("main.mql", root), &files);
    assert_eq!(c.diagnostics.len(), 1);
    assert_eq!(c.diagnostics[0].code, "E0111");
    assert_eq!(c.diagnostics[0].file.as_deref(), Some("schema.mql"));
    insta::assert_snapshot!(render(&c, &files, ("main.mql", root)));
}

/// Files made on demand: `f{k}.mql` uses `f{k+1}.mql` and declares `let
/// v{k}`, down to `f{n}.mql`, which uses `back` (a file of the chain, or
/// nothing when it is empty).
struct Chain {
    n: usize,
    back: &'static str,
}

impl Loader for Chain {
    fn load(&self, _from: &str, relative: &str) -> Result<FileSource, String> {
        let k: usize = relative
            .trim_start_matches('f')
            .trim_end_matches(".mql")
            .parse()
            .map_err(|_| "no such file".to_string())?;
        let text = if k < self.n {
            format!("use \"f{}.mql\"\nlet v{k} = v{} + 1\n", k + 1, k + 1)
        } else if self.back.is_empty() {
            format!("let v{k} = 1\n")
        } else {
            format!("use \"{}\"\nlet v{k} = 1\n", self.back)
        };
        Ok(FileSource::parse(relative, &text))
    }
}

const N: usize = 5_000;

#[test]
fn a_chain_of_5000_used_files_loads_without_recursion() {
    let checked = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let root = FileSource::parse(
                "m.mql",
                "lead { a: int }\nuse \"f0.mql\"\ncriterion c = v0 > 1\n",
            );
            let long = check(root.clone(), &Chain { n: N, back: "" });
            let circle = check(
                root,
                &Chain {
                    n: N,
                    back: "f5.mql",
                },
            );
            (long, circle)
        })
        .unwrap()
        .join()
        .unwrap();
    let (long, circle) = checked;
    assert!(!long.has_errors(), "{:?}", long.diagnostics.first());
    assert_eq!(long.model.expect("checks").files.len(), N + 2);
    let circles: Vec<_> = circle
        .diagnostics
        .iter()
        .filter(|d| d.code == "E0151")
        .collect();
    assert_eq!(circles.len(), 1);
    assert_eq!(
        circles[0].message,
        "these files use each other in a circle: f5.mql -> f6.mql -> f7.mql -> f8.mql -> f9.mql -> f10.mql -> f11.mql -> f12.mql -> f13.mql -> … -> f5000.mql -> f5.mql (4996 files)"
    );
}
