//! The salsa database shared by the CLI and the language server.
