//! Document URIs to database paths and back. `file:` URIs become normalised
//! file paths (the keys `use` resolution produces); any other URI (an unsaved
//! `untitled:` buffer) is keyed by its text.

use std::str::FromStr;

use tower_lsp_server::ls_types::Uri;

pub fn uri_to_path(uri: &Uri) -> String {
    if uri.scheme().as_str().eq_ignore_ascii_case("file") {
        if let Some(p) = uri.to_file_path() {
            return mql_ide::normalize(&p);
        }
    }
    uri.as_str().to_string()
}

pub fn path_to_uri(path: &str) -> Option<Uri> {
    if path.starts_with('/') {
        Uri::from_file_path(path)
    } else if path.contains(':') {
        Uri::from_str(path).ok()
    } else {
        Uri::from_file_path(std::path::absolute(path).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_paths_with_spaces_and_accents() {
        let uri = path_to_uri("/tmp/mes modèles/main.mql");
        let uri = uri.as_ref().map(|u| u.as_str().to_string());
        assert_eq!(
            uri.as_deref(),
            Some("file:///tmp/mes%20mod%C3%A8les/main.mql")
        );
        let back = Uri::from_str("file:///tmp/mes%20mod%C3%A8les/./x/../main.mql")
            .map(|u| uri_to_path(&u))
            .ok();
        assert_eq!(back.as_deref(), Some("/tmp/mes modèles/main.mql"));
        let untitled = Uri::from_str("untitled:Untitled-1")
            .map(|u| uri_to_path(&u))
            .ok();
        assert_eq!(untitled.as_deref(), Some("untitled:Untitled-1"));
    }
}
