//! Reading lead data (JSON, NDJSON, CSV, and a separate events file) into typed
//! [`mql_core::LeadRecord`]s by the model's [`mql_core::Schema`], reporting every
//! value that cannot be read as a located data error.
