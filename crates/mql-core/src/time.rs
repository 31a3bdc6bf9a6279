//! Instants as whole milliseconds since the Unix epoch (UTC), and the text forms
//! the language and the data accept: RFC 3339, a bare date, and the zone-less
//! `YYYY-MM-DD HH:MM:SS` that CRM exports write.

/// Milliseconds in one unit of each duration suffix.
pub const MS_PER_MINUTE: i64 = 60_000;
pub const MS_PER_HOUR: i64 = 3_600_000;
pub const MS_PER_DAY: i64 = 86_400_000;
pub const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// Which text forms a parse accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSyntax {
    /// The language's `@` literal: RFC 3339 with seconds and offset, or a date.
    Literal,
    /// Lead data: also `YYYY-MM-DD HH:MM:SS[.fff]` or with `T`, without offset (UTC).
    Data,
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
        }
        self.i += n;
        Some(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

/// Parse a time; `None` when the text is not one of the accepted forms or names
/// an impossible date. Fraction digits beyond milliseconds are cut off.
pub fn parse_time(text: &str, syntax: TimeSyntax) -> Option<i64> {
    let mut c = Cursor {
        b: text.as_bytes(),
        i: 0,
    };
    let y = c.digits(4)? as i64;
    if !c.eat(b'-') {
        return None;
    }
    let mo = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let d = c.digits(2)?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let day_ms = days_from_civil(y, mo, d) * MS_PER_DAY;
    if c.done() {
        return Some(day_ms);
    }
    let sep = c.peek()?;
    let space_sep = sep == b' ';
    if !(sep == b'T' || sep == b't' || (space_sep && syntax == TimeSyntax::Data)) {
        return None;
    }
    c.i += 1;
    let h = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let mi = c.digits(2)?;
    let mut s = 0;
    if c.eat(b':') {
        s = c.digits(2)?;
    } else if syntax == TimeSyntax::Literal {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut ms = 0i64;
    if c.eat(b'.') {
        let start = c.i;
        let mut n = 0;
        while let Some(ch) = c.peek() {
            if !ch.is_ascii_digit() {
                break;
            }
            if n < 3 {
                ms = ms * 10 + (ch - b'0') as i64;
            }
            n += 1;
            c.i += 1;
        }
        if c.i == start {
            return None;
        }
        for _ in n..3 {
            ms *= 10;
        }
    }
    let mut offset_min: i64 = 0;
    if c.done() {
        if syntax == TimeSyntax::Literal {
            return None;
        }
    } else if c.eat(b'Z') || c.eat(b'z') {
    } else {
        let sign = match c.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        c.i += 1;
        let oh = c.digits(2)? as i64;
        if !c.eat(b':') {
            return None;
        }
        let om = c.digits(2)? as i64;
        if oh > 23 || om > 59 {
            return None;
        }
        offset_min = sign * (oh * 60 + om);
    }
    if !c.done() {
        return None;
    }
    let s = s.min(59) as i64;
    Some(
        day_ms + h as i64 * MS_PER_HOUR + mi as i64 * MS_PER_MINUTE + s * 1000 + ms
            - offset_min * MS_PER_MINUTE,
    )
}

/// RFC 3339 text in UTC with millisecond precision when there is a fraction:
/// `2026-11-01T09:30:00Z`, `2026-11-01T09:30:00.250Z`.
pub fn format_time(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let h = rem / MS_PER_HOUR;
    let mi = (rem % MS_PER_HOUR) / MS_PER_MINUTE;
    let s = (rem % MS_PER_MINUTE) / 1000;
    let frac = rem % 1000;
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// A duration in the language's literal form, largest exact unit first
/// (`14d`, `36h`, `90m`, `1500ms` is written as `0.025m`… so: whole units only,
/// falling back to a fraction of minutes).
pub fn format_duration(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs() as i64;
    if a == 0 {
        return "0d".to_string();
    }
    for (unit, size) in [
        ("w", MS_PER_WEEK),
        ("d", MS_PER_DAY),
        ("h", MS_PER_HOUR),
        ("m", MS_PER_MINUTE),
    ] {
        if a % size == 0 {
            return format!("{sign}{}{unit}", a / size);
        }
    }
    let mins = a as f64 / MS_PER_MINUTE as f64;
    format!("{sign}{mins}m")
}

/// Parse a duration in the literal form: a non-negative decimal number followed
/// by `m`, `h`, `d` or `w`; rounded to whole milliseconds half away from zero.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    // the unit is the last character, which need not be ASCII in bad data
    let unit = text.chars().next_back()?;
    let num = &text[..text.len() - unit.len_utf8()];
    let size = match unit {
        'm' => MS_PER_MINUTE,
        'h' => MS_PER_HOUR,
        'd' => MS_PER_DAY,
        'w' => MS_PER_WEEK,
        _ => return None,
    };
    let (neg, num) = match num.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, num),
    };
    if num.is_empty()
        || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || num.starts_with('.')
        || num.ends_with('.')
        || num.matches('.').count() > 1
    {
        return None;
    }
    let v: f64 = num.parse().ok()?;
    let ms = (v * size as f64).round();
    if !ms.is_finite() || ms.abs() > i64::MAX as f64 {
        return None;
    }
    Some(if neg { -(ms as i64) } else { ms as i64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literal_forms() {
        assert_eq!(
            parse_time("2026-11-01", TimeSyntax::Literal),
            Some(days_from_civil(2026, 11, 1) * MS_PER_DAY)
        );
        let t = parse_time("2026-11-01T09:30:00.250+02:00", TimeSyntax::Literal).unwrap();
        assert_eq!(format_time(t), "2026-11-01T07:30:00.250Z");
        assert_eq!(
            parse_time("2026-11-01T09:30:00.2509Z", TimeSyntax::Literal),
            parse_time("2026-11-01T09:30:00.250Z", TimeSyntax::Literal)
        );
        assert_eq!(parse_time("2026-11-01T09:30Z", TimeSyntax::Literal), None);
        assert_eq!(parse_time("2026-11-01T09:30:00", TimeSyntax::Literal), None);
        assert_eq!(parse_time("2026-02-30", TimeSyntax::Literal), None);
    }

    #[test]
    fn parses_crm_forms() {
        let a = parse_time("2018-02-26 19:58:54", TimeSyntax::Data).unwrap();
        assert_eq!(format_time(a), "2018-02-26T19:58:54Z");
        assert_eq!(parse_time("2018-02-26T19:58:54", TimeSyntax::Data), Some(a));
        assert_eq!(parse_time("last week", TimeSyntax::Data), None);
    }

    #[test]
    fn civil_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 19_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d"), Some(14 * MS_PER_DAY));
        assert_eq!(parse_duration("1.5d"), Some(36 * MS_PER_HOUR));
        assert_eq!(parse_duration("30s"), None);
        assert_eq!(parse_duration("30min"), None);
        // text ending in a character of several bytes is not a duration
        for text in ["é", "3é", "1d😀", "ü1d", "\u{a0}", "d\u{2028}"] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
        assert_eq!(parse_duration(" 2w\u{a0}"), Some(2 * MS_PER_WEEK));
        assert_eq!(format_duration(36 * MS_PER_HOUR), "36h");
        assert_eq!(format_duration(14 * MS_PER_DAY), "2w");
    }
}
