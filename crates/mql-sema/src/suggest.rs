//! "Did you mean": the closest known name to a misspelt one, first by a
//! case-insensitive exact match, then by edit distance within a threshold
//! (about one edit per three characters).
//!
//! A model can have thousands of names, and one typo in a lead field can
//! leave thousands of unknown names, so the candidates are kept grouped by
//! length ([`Candidates`]): the edit distance is only computed for names
//! whose length could be close enough, and the checker asks once per
//! distinct unknown name ([`Pending`]), not once per use.

use std::collections::HashMap;

/// Known names, grouped for quick suggestions.
#[derive(Clone, Debug, Default)]
pub struct Candidates {
    /// Lower-cased name → the smallest name with that lower-case form.
    lower: HashMap<String, String>,
    /// By length in characters: (lower-cased, name).
    by_len: HashMap<usize, Vec<(String, String)>>,
}

/// A candidate that is close to the misspelt name.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Match {
    /// 0 for a case-insensitive exact match.
    distance: usize,
    exact: bool,
    name: String,
}

impl Match {
    /// Exact matches first, then the smallest distance, then the name.
    fn better(self, other: Option<Match>) -> Match {
        match other {
            Some(o)
                if (!o.exact, o.distance, &o.name) < (!self.exact, self.distance, &self.name) =>
            {
                o
            }
            _ => self,
        }
    }
}

impl Candidates {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Candidates {
        let mut c = Candidates::default();
        for n in names {
            c.add(n);
        }
        c
    }

    pub fn add(&mut self, name: &str) {
        if name.is_empty() {
            return;
        }
        let lower = name.to_lowercase();
        match self.lower.get_mut(&lower) {
            Some(n) if name < n.as_str() => *n = name.to_string(),
            Some(_) => {}
            None => {
                self.lower.insert(lower.clone(), name.to_string());
            }
        }
        self.by_len
            .entry(lower.chars().count())
            .or_default()
            .push((lower, name.to_string()));
    }

    fn best(&self, wrong: &str) -> Option<Match> {
        let lower = wrong.to_lowercase();
        if let Some(n) = self.lower.get(&lower).filter(|n| n.as_str() != wrong) {
            return Some(Match {
                distance: 0,
                exact: true,
                name: n.clone(),
            });
        }
        let len = lower.chars().count();
        let limit = (wrong.chars().count() / 3).max(1);
        let mut best: Option<Match> = None;
        for l in len.saturating_sub(limit)..=len + limit {
            for (cl, c) in self.by_len.get(&l).into_iter().flatten() {
                if c == wrong {
                    continue;
                }
                #[cfg(test)]
                tests::DISTANCES.with(|n| n.set(n.get() + 1));
                let d = strsim::damerau_levenshtein(&lower, cl);
                if d <= limit {
                    best = Some(
                        Match {
                            distance: d,
                            exact: false,
                            name: c.clone(),
                        }
                        .better(best),
                    );
                }
            }
        }
        best
    }

    /// The best candidate for `wrong`, if one is close enough.
    pub fn suggest(&self, wrong: &str) -> Option<String> {
        self.best(wrong).map(|m| m.name)
    }

    /// The best candidate for `wrong` among these and `more`.
    pub fn suggest_with(&self, wrong: &str, more: &Candidates) -> Option<String> {
        match (self.best(wrong), more.best(wrong)) {
            (Some(a), b) => Some(a.better(b).name),
            (None, b) => b.map(|m| m.name),
        }
    }
}

/// The best candidate for `wrong` among `candidates`, if one is close enough.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    Candidates::new(candidates).suggest(wrong)
}

/// An unknown name whose "did you mean" is worked out once the whole model
/// is known, and once per distinct name: `diag` is the index of its
/// diagnostic among those of the same check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub diag: u32,
    pub name: String,
    /// A built-in name valid only here (`stage` in `expect`,
    /// `time_in_stage` in transitions).
    pub extra: Option<&'static str>,
    /// The queried event, whose fields (and `at`) are candidates too.
    pub event: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Edit distances computed on this thread.
        pub static DISTANCES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// One typo in a lead field of a big model leaves thousands of unknown
    /// names; their suggestion is worked out once, not once per use (this
    /// took seconds per keystroke in the editor).
    #[test]
    fn a_thousand_uses_of_one_unknown_name_cost_one_suggestion() {
        let mut text = String::from("lead { industryx: string }\n");
        for i in 0..1000 {
            text.push_str(&format!("criterion industry_{i} = industry == \"x{i}\"\n"));
        }
        DISTANCES.with(|n| n.set(0));
        let checked = crate::check_source("m.mql", &text);
        let unknown: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.code == "E0100")
            .collect();
        assert_eq!(unknown.len(), 1000);
        assert!(unknown
            .iter()
            .all(|d| d.help.as_deref() == Some("did you mean `industryx`?")
                && d.suggestions.len() == 1
                && d.suggestions[0].span == d.span));
        let computed = DISTANCES.with(|n| n.get());
        assert!(computed <= 1001, "{computed} edit distances computed");
    }

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

    #[test]
    fn ties_go_to_the_first_name_alphabetically() {
        assert_eq!(
            did_you_mean("fix", ["fit", "fin", "six"].iter().copied()),
            Some("fin".into())
        );
        // the name itself is never suggested
        assert_eq!(did_you_mean("fit", ["fit"].iter().copied()), None);
    }

    #[test]
    fn merges_two_sets_of_candidates() {
        let names = Candidates::new(["industry", "seniority"]);
        let more = Candidates::new(["stage"]);
        assert_eq!(names.suggest_with("stag", &more), Some("stage".into()));
        assert_eq!(
            names.suggest_with("industy", &more),
            Some("industry".into())
        );
        assert_eq!(names.suggest_with("zzzz", &more), None);
    }

    /// Suggestions over many names stay quick (a few hundred microseconds
    /// per lookup in a debug build), and agree with a plain scan.
    #[test]
    fn many_names_agree_with_a_plain_scan() {
        let names: Vec<String> = (0..5000)
            .map(|i| format!("visited_page_{i}_{}", i % 7))
            .collect();
        let c = Candidates::new(names.iter().map(String::as_str));
        for wrong in [
            "visited_page_12_5",
            "visted_page_120_1",
            "Visited_Page_7_0",
            "nothing",
        ] {
            let lower = wrong.to_lowercase();
            let limit = (wrong.chars().count() / 3).max(1);
            let plain = names
                .iter()
                .filter(|n| n.as_str() != wrong)
                .map(|n| (strsim::damerau_levenshtein(&lower, &n.to_lowercase()), n))
                .filter(|(d, _)| *d <= limit)
                .min()
                .map(|(_, n)| n.clone());
            assert_eq!(c.suggest(wrong), plain, "{wrong}");
        }
    }
}
