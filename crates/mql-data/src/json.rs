//! JSON plumbing: an object read as its keys and undecoded values (no tree is
//! built), JSON arrays as undecoded items, and finding the line of a value.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// One key of a JSON object, borrowed from the input where no escape forces a
/// copy, with its value's text, borrowed and undecoded.
pub(crate) type Entry<'de> = (Cow<'de, str>, &'de str);

/// One JSON object as its entries (no tree is built).
pub(crate) struct Entries<'de>(pub Vec<Entry<'de>>);

/// Fills a vector with the entries of one object.
struct EntriesSeed<'v, 'de>(&'v mut Vec<Entry<'de>>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value: &'de RawValue = map.next_value()?;
            self.0.push((key, value.get()));
        }
        Ok(())
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// Why a text is not one JSON object, in words for the data's author.
pub(crate) fn object_problem(text: &str, e: &serde_json::Error) -> String {
    let first = text.trim_start().chars().next();
    match first {
        Some('{') | None => {
            let msg = e.to_string();
            let msg = match msg.find(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            format!("not valid JSON: {msg} at column {}", e.column())
        }
        Some(_) => "expected a JSON object `{…}`".to_string(),
    }
}

/// Parse one object; `Err` holds the reason it is not one.
pub(crate) fn parse_object(text: &str) -> Result<Entries<'_>, String> {
    let mut out = Vec::with_capacity(24);
    parse_object_into(text, &mut out)?;
    Ok(Entries(out))
}

/// Parse one object into `out` (cleared first), reusing its room.
pub(crate) fn parse_object_into<'de>(
    text: &'de str,
    out: &mut Vec<Entry<'de>>,
) -> Result<(), String> {
    out.clear();
    let mut de = serde_json::Deserializer::from_str(text);
    EntriesSeed(out)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| object_problem(text, &e))
}

/// An NDJSON lead line read in one pass: its entries, and the objects of
/// its nested events, each object's entries one after the other in
/// `events` and where each object's entries end in `ends`.
pub(crate) struct LeadLine<'de> {
    pub entries: Vec<Entry<'de>>,
    pub events: Vec<Entry<'de>>,
    pub ends: Vec<usize>,
}

/// The value the `events` entry of a [`LeadLine`] shows: its objects were
/// read in place, into [`LeadLine::events`].
pub(crate) const READ_IN_PLACE: &str = "[]";

/// Read a lead line in one pass, the events under its first `events` key
/// (an array of objects, or `null`) read in place rather than kept as
/// text to read again. `None` when the line is not such an object (not
/// JSON, not an object, events of another shape): the caller then reads
/// it the general way, which says what is wrong.
pub(crate) fn parse_lead_line(text: &str) -> Option<LeadLine<'_>> {
    let mut line = LeadLine {
        entries: Vec::with_capacity(24),
        events: Vec::with_capacity(96),
        ends: Vec::with_capacity(32),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    LineSeed(&mut line)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .ok()?;
    Some(line)
}

/// Fills a [`LeadLine`] from an object.
struct LineSeed<'v, 'de>(&'v mut LeadLine<'de>);

impl<'de> DeserializeSeed<'de> for LineSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let line = self.0;
        let mut nested = false;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if !nested && key == "events" {
                nested = true;
                map.next_value_seed(ObjectsSeed {
                    entries: &mut line.events,
                    ends: &mut line.ends,
                })?;
                line.entries.push((key, READ_IN_PLACE));
            } else {
                let value: &'de RawValue = map.next_value()?;
                line.entries.push((key, value.get()));
            }
        }
        Ok(())
    }
}

/// Fills a [`LeadLine`]'s events from an array of objects or `null`.
struct ObjectsSeed<'v, 'de> {
    entries: &'v mut Vec<Entry<'de>>,
    ends: &'v mut Vec<usize>,
}

impl<'de> DeserializeSeed<'de> for ObjectsSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectsSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(EntriesSeed(&mut *self.entries))?
            .is_some()
        {
            self.ends.push(self.entries.len());
        }
        Ok(())
    }
}

/// The items of a JSON array (`raw` must be valid JSON); `None` if not an array.
pub(crate) fn array_items(raw: &str) -> Option<Vec<&str>> {
    if !raw.starts_with('[') {
        return None;
    }
    let items: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
    Some(items.into_iter().map(RawValue::get).collect())
}

/// Finds the 1-based line of a slice of the input.
pub(crate) enum Lines<'t> {
    /// Everything is on one line (NDJSON).
    Fixed(u64),
    /// A whole file: its start address and where each line starts.
    File { base: usize, starts: &'t [usize] },
}

impl Lines<'_> {
    pub fn line_of(&self, s: &str) -> u64 {
        match self {
            Lines::Fixed(l) => *l,
            Lines::File { base, starts } => {
                let off = (s.as_ptr() as usize).saturating_sub(*base);
                let i = match starts.binary_search(&off) {
                    Ok(i) => i,
                    Err(i) => i.saturating_sub(1),
                };
                i as u64 + 1
            }
        }
    }
}

/// Byte offsets where each line of `text` starts.
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        text.bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_borrow_keys_and_values() {
        let e = parse_object(r#"{"id": "L-1", "a\u0062": [1, 2], "n": null}"#).unwrap();
        let keys: Vec<&str> = e.0.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["id", "ab", "n"]);
        assert!(matches!(e.0[0].0, Cow::Borrowed(_)));
        assert_eq!(e.0[1].1, "[1, 2]");
        assert_eq!(e.0[2].1, "null");
    }

    #[test]
    fn lead_lines_in_one_pass() {
        let line = parse_lead_line(
            r#"{"id": 1, "events": [{"type": "a", "at": 1}, {}, {"x": [1, {"y": 2}]}], "events": 5}"#,
        )
        .unwrap();
        assert_eq!(line.ends, [2, 2, 3]);
        assert_eq!(line.events[1], (Cow::Borrowed("at"), "1"));
        assert_eq!(line.events[2], (Cow::Borrowed("x"), r#"[1, {"y": 2}]"#));
        let values: Vec<&str> = line.entries.iter().map(|e| e.1).collect();
        assert_eq!(values, ["1", READ_IN_PLACE, "5"]);
        for ok in [r#"{"events": null}"#, r#"{"events": []}"#, r#"{"id": "a"}"#] {
            let line = parse_lead_line(ok).unwrap();
            assert!(line.events.is_empty() && line.ends.is_empty(), "{ok}");
        }
        for other in [
            r#"{"events": [{"a": 1}, 2]}"#,
            r#"{"events": {"a": 1}}"#,
            r#"{"events": 3}"#,
            r#"{"events": "x"}"#,
            r#"{"id": }"#,
            "[1]",
        ] {
            assert!(parse_lead_line(other).is_none(), "{other}");
        }
    }

    #[test]
    fn explains_bad_lines() {
        assert_eq!(
            parse_object(r#"{"id": "L-1", "x": }"#).err().unwrap(),
            "not valid JSON: expected value at column 20"
        );
        assert_eq!(
            parse_object("[1]").err().unwrap(),
            "expected a JSON object `{…}`"
        );
    }

    #[test]
    fn lines_of_slices() {
        let text = "[\n{\"a\": 1},\n{\"a\": 2}\n]";
        let starts = line_starts(text);
        let lines = Lines::File {
            base: text.as_ptr() as usize,
            starts: &starts,
        };
        let items = array_items(text).unwrap();
        assert_eq!(lines.line_of(items[0]), 2);
        assert_eq!(lines.line_of(items[1]), 3);
    }
}
