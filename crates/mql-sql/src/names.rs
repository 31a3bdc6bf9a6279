//! Names of the query's helper columns and steps: unique even where the
//! engine ignores case, short enough for every engine, never a keyword.

use std::collections::HashSet;

#[derive(Default)]
pub struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// Reserve a name the query uses as is.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_ascii_lowercase());
    }

    /// A fresh name built from `base` (letters, digits and `_` kept).
    pub fn fresh(&mut self, base: &str) -> String {
        let mut clean: String = base
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if clean.len() > 48 {
            clean.truncate(48);
        }
        if clean.is_empty() || clean.starts_with(|c: char| c.is_ascii_digit()) {
            clean.insert(0, 'x');
        }
        let mut name = clean.clone();
        let mut n = 2;
        while self.taken.contains(&name.to_ascii_lowercase()) {
            name = format!("{clean}_{n}");
            n += 1;
        }
        self.taken.insert(name.to_ascii_lowercase());
        name
    }
}
