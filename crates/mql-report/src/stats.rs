//! The figures of backtests and diffs, as plain functions of counts and of
//! (score, outcome) pairs: rates, precision, recall, lift and F1, AUC,
//! deciles, threshold sweeps, and the points of ROC and cumulative gain
//! curves and of score distributions.
//!
//! Scores that are not a number (`NaN`) are left out of everything that
//! ranks or bins leads by score.

use serde::Serialize;

/// Leads, and how many of them had the outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub leads: u64,
    #[serde(rename = "with_outcome")]
    pub yes: u64,
}

impl Tally {
    pub fn add(&mut self, yes: bool) {
        self.leads += 1;
        self.yes += u64::from(yes);
    }

    pub fn merge(&mut self, other: Tally) {
        self.leads += other.leads;
        self.yes += other.yes;
    }

    /// The share of the leads with the outcome; `None` with no leads.
    pub fn rate(&self) -> Option<f64> {
        (self.leads > 0).then(|| self.yes as f64 / self.leads as f64)
    }
}

/// How well "being in `selected`" predicts the outcome among `all` leads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// The outcome rate among the selected leads.
    pub precision: Option<f64>,
    /// The share of all leads with the outcome that were selected.
    pub recall: Option<f64>,
    /// Precision divided by the outcome rate of all leads.
    pub lift: Option<f64>,
    /// The harmonic mean of precision and recall (0 when both are 0).
    pub f1: Option<f64>,
}

/// Precision, recall, lift and F1 of `selected` among `all`.
pub fn metrics(selected: Tally, all: Tally) -> Metrics {
    let precision = selected.rate();
    let recall = (all.yes > 0).then(|| selected.yes as f64 / all.yes as f64);
    let lift = match (precision, all.rate()) {
        (Some(p), Some(base)) if base > 0.0 => Some(p / base),
        _ => None,
    };
    let f1 = match (precision, recall) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    Metrics {
        precision,
        recall,
        lift,
        f1,
    }
}

/// The mean score of the leads with (`yes`) or without the outcome.
pub fn mean(points: &[(f64, bool)], yes: bool) -> Option<f64> {
    let (sum, n) = points
        .iter()
        .filter(|(_, y)| *y == yes)
        .fold((0.0, 0u64), |(s, n), (v, _)| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// How well a score ranks leads with the outcome above those without: the
/// area under the ROC curve (0.5 is no better than chance, 1.0 is perfect),
/// with ties counted as half. `None` when either group is empty.
pub fn auc(points: &[(f64, bool)]) -> Option<f64> {
    let mut sorted: Vec<(f64, bool)> = points
        .iter()
        .filter(|(v, _)| !v.is_nan())
        .copied()
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = sorted.iter().filter(|(_, y)| *y).count() as f64;
    let neg = sorted.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    // Sum of the ranks (1-based, ties averaged) of the leads with the outcome.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mid_rank * sorted[i..j].iter().filter(|(_, y)| *y).count() as f64;
        i = j;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Leads ranked by score, highest first; leads with equal scores keep their
/// input order. `NaN` scores are left out.
pub struct Ranked {
    points: Vec<(f64, bool)>,
}

impl Ranked {
    pub fn new(points: &[(f64, bool)]) -> Ranked {
        let mut points: Vec<(f64, bool)> = points
            .iter()
            .filter(|(v, _)| !v.is_nan())
            .copied()
            .collect();
        points.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ranked { points }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    fn all(&self) -> Tally {
        let mut t = Tally::default();
        for (_, y) in &self.points {
            t.add(*y);
        }
        t
    }

    /// The ranks (0-based) where each run of equal scores starts, and the
    /// end.
    fn groups(&self) -> Vec<usize> {
        let mut starts = Vec::new();
        for (i, (v, _)) in self.points.iter().enumerate() {
            if i == 0 || self.points[i - 1].0 != *v {
                starts.push(i);
            }
        }
        starts.push(self.points.len());
        starts
    }

    /// The leads in ten groups by score, highest first: a lead's decile is
    /// the tenth of the ranking its score first appears in, so leads with the
    /// same score are always in the same decile (and a decile that ties
    /// swallowed is left out).
    pub fn deciles(&self) -> Vec<Decile> {
        let n = self.points.len();
        let mut out: Vec<Decile> = Vec::new();
        let groups = self.groups();
        for w in groups.windows(2) {
            let (start, end) = (w[0], w[1]);
            let decile = (start * 10 / n) as u32 + 1;
            let value = self.points[start].0;
            let mut tally = Tally::default();
            for (_, y) in &self.points[start..end] {
                tally.add(*y);
            }
            match out.last_mut() {
                Some(d) if d.decile == decile => {
                    d.min = value;
                    d.tally.merge(tally);
                }
                _ => out.push(Decile {
                    decile,
                    through: decile,
                    min: value,
                    max: value,
                    tally,
                }),
            }
        }
        // A row reaches to the decile before the next row's; the last to 10.
        for k in 0..out.len() {
            let end = out.get(k + 1).map_or(10, |next| next.decile - 1);
            out[k].through = end.max(out[k].decile);
        }
        out
    }

    /// The scores that cut off the top 10%, 20%, … 100% of the leads: the
    /// score of the lead at each tenth of the ranking, highest first, each
    /// once.
    pub fn decile_thresholds(&self) -> Vec<f64> {
        let n = self.points.len();
        let mut out: Vec<f64> = Vec::new();
        for k in 1..=10 {
            let rank = (k * n).div_ceil(10);
            if rank == 0 {
                continue;
            }
            let t = self.points[rank - 1].0;
            if out.last() != Some(&t) {
                out.push(t);
            }
        }
        out
    }

    /// For each threshold, the leads scoring at least that much, and how
    /// well that choice predicts the outcome.
    pub fn sweep(&self, thresholds: &[f64]) -> Vec<SweepRow> {
        let all = self.all();
        // yes_before[i]: leads with the outcome among the first i.
        let mut yes_before = Vec::with_capacity(self.points.len() + 1);
        yes_before.push(0u64);
        for (_, y) in &self.points {
            let last = yes_before.last().copied().unwrap_or(0);
            yes_before.push(last + u64::from(*y));
        }
        thresholds
            .iter()
            .map(|&t| {
                let n = self.points.partition_point(|(v, _)| *v >= t);
                let selected = Tally {
                    leads: n as u64,
                    yes: yes_before[n],
                };
                SweepRow {
                    threshold: t,
                    selected,
                    metrics: metrics(selected, all),
                }
            })
            .collect()
    }

    /// The ROC curve (false positive rate, true positive rate) and the
    /// cumulative gain curve (share of the leads, share of those with the
    /// outcome), one point for each score from the highest down (after
    /// (0, 0)), thinned to at most `max_points`. Empty when no lead or none
    /// or every lead has the outcome (for ROC), or no lead has it (for gain).
    pub fn curves(&self, max_points: usize) -> (Vec<Point>, Vec<Point>) {
        let all = self.all();
        let (pos, neg) = (all.yes as f64, (all.leads - all.yes) as f64);
        let n = self.points.len() as f64;
        let mut roc = vec![Point { x: 0.0, y: 0.0 }];
        let mut gain = vec![Point { x: 0.0, y: 0.0 }];
        let groups = self.groups();
        let mut yes = 0u64;
        for w in groups.windows(2) {
            yes += self.points[w[0]..w[1]].iter().filter(|(_, y)| *y).count() as u64;
            let taken = w[1] as f64;
            let no = w[1] as u64 - yes;
            roc.push(Point {
                x: no as f64 / neg,
                y: yes as f64 / pos,
            });
            gain.push(Point {
                x: taken / n,
                y: yes as f64 / pos,
            });
        }
        if pos == 0.0 || neg == 0.0 {
            roc.clear();
        }
        if pos == 0.0 {
            gain.clear();
        }
        (thin(roc, max_points), thin(gain, max_points))
    }
}

/// One tenth of the leads ranked by score (see [`Ranked::deciles`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Decile {
    /// 1 for the highest scores, 10 for the lowest.
    pub decile: u32,
    /// The last decile this row covers: the same as `decile`, or more when
    /// many leads share one score and fill several deciles (`3` through `5`).
    pub through: u32,
    /// The lowest and highest score in it.
    pub min: f64,
    pub max: f64,
    #[serde(flatten)]
    pub tally: Tally,
}

/// One threshold of a sweep: the leads scoring at least `threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SweepRow {
    pub threshold: f64,
    #[serde(flatten)]
    pub selected: Tally,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// A point of a curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// At most `max` points of `points`, evenly spread, the first and the last
/// always kept.
fn thin(points: Vec<Point>, max: usize) -> Vec<Point> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let last = points.len() - 1;
    (0..max)
        .map(|j| points[(j * last + (max - 1) / 2) / (max - 1)])
        .collect()
}

/// One bar of a distribution: the leads whose score is in `[lo, hi)` (the
/// last bar includes `hi`), or is exactly `lo` when `lo == hi`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    /// Per series (e.g. with and without the outcome, or old and new).
    pub counts: [u64; 2],
}

/// The bars of both series' finite values: one bar per value when there are
/// at most `bins` different values (scores made of a few point rules take
/// only a few, and a bar per value shows each where it is), else `bins` bars
/// of equal width from the lowest value to the highest; none without values.
pub fn histogram(series: [&[f64]; 2], bins: usize) -> Vec<Bin> {
    if let Some(values) = few_values(series, bins.max(1)) {
        let mut out: Vec<Bin> = values
            .iter()
            .map(|&v| Bin {
                lo: v,
                hi: v,
                counts: [0, 0],
            })
            .collect();
        for (s, vs) in series.iter().enumerate() {
            for v in vs.iter().filter(|v| v.is_finite()) {
                let v = unsigned_zero(*v);
                if let Ok(i) = values.binary_search_by(|x| x.total_cmp(&v)) {
                    out[i].counts[s] += 1;
                }
            }
        }
        return out;
    }
    let all = series.iter().copied().flatten().filter(|v| v.is_finite());
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(*v), hi.max(*v))
    });
    if lo > hi {
        return Vec::new();
    }
    let bins = if lo == hi { 1 } else { bins.max(1) };
    let width = (hi - lo) / bins as f64;
    let mut out: Vec<Bin> = (0..bins)
        .map(|i| Bin {
            lo: lo + width * i as f64,
            hi: if i + 1 == bins {
                hi
            } else {
                lo + width * (i + 1) as f64
            },
            counts: [0, 0],
        })
        .collect();
    for (s, vs) in series.iter().enumerate() {
        for v in vs.iter().filter(|v| v.is_finite()) {
            let i = if width > 0.0 {
                (((v - lo) / width) as usize).min(bins - 1)
            } else {
                0
            };
            out[i].counts[s] += 1;
        }
    }
    out
}

/// The different finite values of both series, in order, if there are at
/// most `most` of them (and at least one). Zero is counted once, whatever
/// its sign.
fn few_values(series: [&[f64]; 2], most: usize) -> Option<Vec<f64>> {
    let mut seen: Vec<f64> = Vec::new();
    for v in series.iter().copied().flatten().filter(|v| v.is_finite()) {
        let v = unsigned_zero(*v);
        if let Err(i) = seen.binary_search_by(|x| x.total_cmp(&v)) {
            if seen.len() == most {
                return None;
            }
            seen.insert(i, v);
        }
    }
    (!seen.is_empty()).then_some(seen)
}

/// `v`, with -0 as 0 (they are one score, but not one value to `total_cmp`).
fn unsigned_zero(v: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_is_one_for_a_perfect_ranking_and_half_for_ties() {
        assert_eq!(auc(&[(1.0, false), (2.0, false), (3.0, true)]), Some(1.0));
        assert_eq!(auc(&[(3.0, false), (1.0, true)]), Some(0.0));
        assert_eq!(auc(&[(5.0, false), (5.0, true)]), Some(0.5));
        assert_eq!(auc(&[(5.0, true)]), None);
        // One of two positives is ranked above the negative.
        assert_eq!(auc(&[(1.0, true), (2.0, false), (3.0, true)]), Some(0.5));
    }
}
