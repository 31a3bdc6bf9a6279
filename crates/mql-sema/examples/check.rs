//! Check one `.mql` file and print its diagnostics (a developer's probe).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check FILE.mql");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("can't read {path}: {e}");
            std::process::exit(2);
        }
    };
    let c = mql_sema::check_source(&path, &text);
    print!(
        "{}",
        mql_syntax::render_all(&c.diagnostics, &path, &text, false)
    );
    println!(
        "model: {}",
        if c.model.is_some() { "ok" } else { "withheld" }
    );
}
