//! How data meets the model's names (cli-and-data.md, "Keys and CSV headers";
//! language.md §3.1): the normalisations of keys and headers, of enum values
//! and labels, and of placeholders. The checker uses them to find names that
//! data could not tell apart; the readers use them to match data.

use std::borrow::Cow;

/// Lower-case, trim, and turn every run of characters other than letters and
/// digits into one `_` (keys and CSV headers): `Total Time Spent on Website`
/// is `total_time_spent_on_website`.
pub fn normalise_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            if gap {
                out.push('_');
                gap = false;
            }
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    if gap {
        out.push('_');
    }
    out
}

/// Whether a column or key name reads like an id: its first or last word is
/// `id` (`mql_id`, `Lead ID`, `LeadId`, `id_lead`), so that a user can be
/// told about `--id-field` when the data has no `id`.
pub fn reads_like_id(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut lower_before = false;
    for c in name.trim().chars() {
        if !c.is_alphanumeric() {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            lower_before = false;
            continue;
        }
        // `LeadId`: a capital after a small letter starts a word
        if c.is_uppercase() && lower_before {
            words.push(std::mem::take(&mut word));
        }
        lower_before = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    words.extend((!word.is_empty()).then_some(word));
    words.len() > 1 && (words[0] == "id" || words[words.len() - 1] == "id")
}

/// Lower-case, trim, and turn spaces and hyphens into `_` (enum values, their
/// labels and stages): `Vice President` is `vice_president`.
pub fn normalise_enum(text: &str) -> Cow<'_, str> {
    let t = text.trim();
    let clean = t
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if clean && t.len() == text.len() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        t.chars()
            .flat_map(char::to_lowercase)
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect(),
    )
}

/// Trim and lower-case (Unicode): two texts are the same placeholder when
/// this gives the same text (`" n/a "` is `N/A`).
pub fn normalise_placeholder(text: &str) -> Cow<'_, str> {
    let t = text.trim();
    if t.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        return Cow::Borrowed(t);
    }
    Cow::Owned(t.chars().flat_map(char::to_lowercase).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(normalise_key(" Job / Title "), "job_title");
        assert_eq!(normalise_key("ANNUAL-REVENUE"), "annual_revenue");
        assert_eq!(normalise_key("Amount ($)"), "amount_");
        assert_eq!(normalise_key("TotalVisits"), "totalvisits");
    }

    #[test]
    fn names_that_read_like_ids() {
        for id in [
            "mql_id",
            "Lead ID",
            "LeadId",
            "leadID",
            "id_lead",
            "Prospect Id",
        ] {
            assert!(reads_like_id(id), "{id}");
        }
        for other in [
            "id",
            "paid",
            "valid_until",
            "Identity",
            "Android",
            "ids",
            "",
        ] {
            assert!(!reads_like_id(other), "{other}");
        }
    }

    #[test]
    fn enum_values() {
        assert_eq!(normalise_enum(" Real Estate "), "real_estate");
        assert_eq!(normalise_enum("Vice President"), "vice_president");
        assert_eq!(normalise_enum("02.Medium"), "02.medium");
        assert!(matches!(normalise_enum("vp"), Cow::Borrowed(_)));
    }

    #[test]
    fn placeholders() {
        assert_eq!(normalise_placeholder(" N/A "), "n/a");
        assert_eq!(normalise_placeholder("SELECT"), "select");
        assert_eq!(normalise_placeholder("ÉTÉ"), "été");
        assert_eq!(normalise_placeholder("-"), "-");
        assert!(matches!(normalise_placeholder("n/a "), Cow::Borrowed(_)));
    }
}
