//! "Did you mean": the closest known name to a misspelt one, first by a
//! case-insensitive exact match, then by edit distance within a threshold.

/// The best candidate for `wrong` among `candidates`, if one is close enough.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&str> = candidates
        .into_iter()
        .filter(|c| !c.is_empty() && *c != wrong)
        .collect();
    let lower = wrong.to_lowercase();
    if let Some(c) = candidates.iter().find(|c| c.to_lowercase() == lower) {
        return Some((*c).to_string());
    }
    // Allow about one edit per three characters, at least one.
    let limit = (wrong.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn prefers_case_insensitive_match() {
        assert_eq!(
            did_you_mean("VP", ["vp", "cxo"].iter().copied()),
            Some("vp".into())
        );
    }

    #[test]
    fn finds_close_spelling() {
        assert_eq!(
            did_you_mean("seniorty", ["seniority", "industry"].iter().copied()),
            Some("seniority".into())
        );
        assert_eq!(did_you_mean("xyz", ["seniority"].iter().copied()), None);
    }
}
