//! Room for recursion whose depth the user's text decides: expression trees
//! are as deep as a declaration's brackets and operator chains (bounded by
//! `mql_syntax::MAX_DEPTH` and `MAX_OPERATORS`), and the functions that walk
//! them recurse once per level. Each such function calls [`deep`], so a deep
//! tree grows the stack on the heap instead of overflowing it, on any thread
//! (the language server's threads have small stacks).

/// Grow the stack when less than this is left…
const RED_ZONE: usize = 256 * 1024;
/// …by this many bytes.
const GROW: usize = 4 * 1024 * 1024;

/// Run `f`, first moving to a fresh piece of stack if less than 256 KiB is
/// left. Call it at the top of every function that recurses over a tree
/// from user input; it costs a comparison when there is room.
#[inline]
pub fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, GROW, f)
}
