//! A lead's events of one type, kept by column: every time in one array, and
//! each field of every event in one array per field.
//!
//! The readers decode an event at a time ([`EventRec`]); once a lead's events
//! are all read they become an [`Events`] per type, sorted by time. A query
//! reads the times to find its window and then one field (the one its
//! filter tests) of the events inside it: with columns, both are runs of
//! neighbouring memory, where a record per event would be an allocation
//! (and a cache miss) per event.

use std::ops::Range;

use crate::Value;

/// One event as read, its fields in the slots of its [`crate::EventDef`].
#[derive(Clone, Debug, PartialEq)]
pub struct EventRec {
    pub at: i64,
    pub fields: Box<[Value]>,
}

/// The events of one type of one lead, sorted by time (events at the same
/// time keep the order they were read in), stored by column.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Events {
    at: Vec<i64>,
    /// Field `f` of event `i` is at `f * len + i`.
    values: Vec<Value>,
    width: usize,
}

static UNKNOWN: Value = Value::Unknown;

impl Events {
    /// The events of `rows`, sorted by time (a stable sort: ties keep the
    /// order of `rows`). Every row must have the same number of fields.
    pub fn from_rows(mut rows: Vec<EventRec>) -> Events {
        Events::take_rows(&mut rows)
    }

    /// [`Events::from_rows`] that leaves `rows` empty, its room kept for
    /// the next lead's.
    pub fn take_rows(rows: &mut Vec<EventRec>) -> Events {
        rows.sort_by_key(|e| e.at);
        let width = rows.first().map_or(0, |e| e.fields.len());
        let len = rows.len();
        let mut at = Vec::with_capacity(len);
        let mut values = vec![Value::Unknown; width * len];
        for (i, row) in rows.drain(..).enumerate() {
            at.push(row.at);
            assert_eq!(
                row.fields.len(),
                width,
                "every event of a type has the same fields"
            );
            for (f, v) in row.fields.into_vec().into_iter().enumerate() {
                values[f * len + i] = v;
            }
        }
        Events { at, values, width }
    }

    /// These events and then `more` (in that order among events at the
    /// same time), sorted by time.
    pub fn extend(&mut self, more: Vec<EventRec>) {
        if more.is_empty() {
            return;
        }
        let mut rows = std::mem::take(self).into_rows();
        rows.extend(more);
        *self = Events::from_rows(rows);
    }

    /// The events as records, in time order.
    fn into_rows(self) -> Vec<EventRec> {
        let len = self.len();
        let mut fields: Vec<Vec<Value>> =
            (0..len).map(|_| Vec::with_capacity(self.width)).collect();
        for (k, v) in self.values.into_iter().enumerate() {
            fields[k % len].push(v);
        }
        self.at
            .iter()
            .zip(fields)
            .map(|(&at, f)| EventRec {
                at,
                fields: f.into_boxed_slice(),
            })
            .collect()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.at.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    #[inline]
    /// Every event's time, oldest first.
    pub fn times(&self) -> &[i64] {
        &self.at
    }

    #[inline]
    /// Field `f` of every event, in time order (empty when the type has no
    /// field `f`).
    pub fn column(&self, f: usize) -> &[Value] {
        let len = self.len();
        self.values.get(f * len..(f + 1) * len).unwrap_or(&[])
    }

    /// The `i`th event (oldest first). Panics when there are not that many.
    #[inline]
    pub fn get(&self, i: usize) -> Event<'_> {
        Event {
            at: self.at[i],
            events: self,
            index: i,
        }
    }

    #[inline]
    /// The events oldest first.
    pub fn iter(&self) -> EventIter<'_> {
        self.slice(0..self.len()).iter()
    }

    /// The events of a range of positions.
    #[inline]
    pub fn slice(&self, range: Range<usize>) -> EventSlice<'_> {
        assert!(range.start <= range.end && range.end <= self.len());
        EventSlice {
            events: self,
            range,
        }
    }
}

/// One event of an [`Events`]: its time, and its fields by slot.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    pub at: i64,
    events: &'a Events,
    index: usize,
}

impl<'a> Event<'a> {
    /// The field in slot `f` (`None` when the type has no such slot).
    #[inline]
    pub fn get(&self, f: usize) -> Option<&'a Value> {
        let e = self.events;
        if f < e.width {
            e.values.get(f * e.len() + self.index)
        } else {
            None
        }
    }

    /// The field in slot `f`, unknown when the type has no such slot.
    #[inline]
    pub fn field(&self, f: usize) -> &'a Value {
        self.get(f).unwrap_or(&UNKNOWN)
    }

    /// Its fields, in slot order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = &'a Value> + 'a {
        let (e, i) = (self.events, self.index);
        (0..e.width).map(move |f| &e.values[f * e.len() + i])
    }
}

impl PartialEq for Event<'_> {
    /// The same event of the same lead.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.events, other.events) && self.index == other.index
    }
}

/// A run of neighbouring events of one type (a query's time window).
#[derive(Clone, Debug)]
pub struct EventSlice<'a> {
    events: &'a Events,
    range: Range<usize>,
}

impl<'a> EventSlice<'a> {
    /// No events.
    pub fn empty() -> EventSlice<'static> {
        static NONE: Events = Events {
            at: Vec::new(),
            values: Vec::new(),
            width: 0,
        };
        EventSlice {
            events: &NONE,
            range: 0..0,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.range.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// The times of these events, oldest first.
    #[inline]
    pub fn times(&self) -> &'a [i64] {
        &self.events.at[self.range.clone()]
    }

    /// Field `f` of these events (empty when the type has no field `f`).
    #[inline]
    pub fn column(&self, f: usize) -> &'a [Value] {
        match self.events.column(f) {
            [] => &[],
            all => &all[self.range.clone()],
        }
    }

    #[inline]
    pub fn iter(&self) -> EventIter<'a> {
        EventIter {
            events: self.events,
            range: self.range.clone(),
        }
    }
}

/// The events of an [`EventSlice`], oldest first (or newest, reversed).
#[derive(Clone, Debug)]
pub struct EventIter<'a> {
    events: &'a Events,
    range: Range<usize>,
}

impl<'a> Iterator for EventIter<'a> {
    type Item = Event<'a>;

    #[inline]
    fn next(&mut self) -> Option<Event<'a>> {
        self.range.next().map(|i| self.events.get(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for EventIter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.range.next_back().map(|i| self.events.get(i))
    }
}

impl ExactSizeIterator for EventIter<'_> {}

impl FromIterator<EventRec> for Events {
    /// The events, sorted by time: see [`Events::from_rows`].
    fn from_iter<I: IntoIterator<Item = EventRec>>(rows: I) -> Events {
        Events::from_rows(rows.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = Event<'a>;
    type IntoIter = EventIter<'a>;

    fn into_iter(self) -> EventIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &EventSlice<'a> {
    type Item = Event<'a>;
    type IntoIter = EventIter<'a>;

    fn into_iter(self) -> EventIter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at: i64, a: i64, b: &str) -> EventRec {
        EventRec {
            at,
            fields: vec![Value::Int(a), Value::Str(b.into())].into_boxed_slice(),
        }
    }

    #[test]
    fn rows_become_columns_sorted_by_time_ties_in_reading_order() {
        let ev = Events::from_rows(vec![
            rec(3, 1, "c"),
            rec(1, 2, "a"),
            rec(3, 3, "d"),
            rec(2, 4, "b"),
        ]);
        assert_eq!(ev.times(), &[1, 2, 3, 3]);
        assert_eq!(
            ev.column(0),
            &[Value::Int(2), Value::Int(4), Value::Int(1), Value::Int(3)]
        );
        assert_eq!(ev.column(2), &[] as &[Value]);
        let e = ev.get(2);
        assert_eq!(
            (e.at, e.field(1), e.get(5)),
            (3, &Value::Str("c".into()), None)
        );
        assert_eq!(e.field(7), &Value::Unknown);
        let back: Vec<i64> = ev.iter().rev().map(|e| e.at).collect();
        assert_eq!(back, [3, 3, 2, 1]);
        let rows = ev.clone().into_rows();
        assert_eq!(rows[2], rec(3, 1, "c"));
        assert_eq!(Events::from_rows(rows), ev);
    }

    #[test]
    fn extending_keeps_the_first_events_first_among_equal_times() {
        let mut ev = Events::from_rows(vec![rec(2, 1, "x"), rec(1, 2, "y")]);
        ev.extend(vec![rec(2, 3, "z"), rec(0, 4, "w")]);
        let order: Vec<&Value> = ev.iter().map(|e| e.field(0)).collect();
        assert_eq!(
            order,
            [
                &Value::Int(4),
                &Value::Int(2),
                &Value::Int(1),
                &Value::Int(3)
            ]
        );
        ev.extend(Vec::new());
        assert_eq!(ev.len(), 4);
        let mut none = Events::default();
        none.extend(vec![rec(5, 5, "v")]);
        assert_eq!(none.get(0).fields().count(), 2);
    }

    #[test]
    fn a_slice_is_a_window_of_positions() {
        let ev = Events::from_rows((0..6).map(|i| rec(i * 10, i, "t")).collect());
        let w = ev.slice(2..4);
        assert_eq!(w.times(), &[20, 30]);
        assert_eq!(w.column(0), &[Value::Int(2), Value::Int(3)]);
        assert_eq!(w.column(3), &[] as &[Value]);
        assert_eq!(w.iter().next(), Some(ev.get(2)));
        assert_eq!(w.iter().next_back().map(|e| e.at), Some(30));
        assert!(ev.slice(3..3).iter().next().is_none());
        assert!(EventSlice::empty().iter().next().is_none());
    }
}
