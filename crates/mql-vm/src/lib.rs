//! Compiles the checked model to bytecode and runs it over typed lead records.
