//! Parse the mql text given as the first argument and print its diagnostics
//! (rendered without colour) and its tree: `cargo run -p mql-syntax --example
//! dbg -- 'criterion a = x == 1'`.

fn main() {
    let t = std::env::args().nth(1).unwrap_or_default();
    let f = mql_syntax::parse(&t);
    println!(
        "{}",
        mql_syntax::render_all(&f.diagnostics, "x.mql", &t, false)
    );
    print!("{}", mql_syntax::tree::to_sexpr(&f));
}
