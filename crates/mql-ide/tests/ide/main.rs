//! The editor's features at the IDE boundary: each test is a small fixture
//! with the cursor marked `$0` and the expected answer written out.

mod fixture;

mod completion;
mod diagnostics;
mod format;
mod hierarchy;
mod hover;
mod navigation;
mod never_panics;
mod rename;
mod signature;
mod structure;
mod symbols;
mod testing;
