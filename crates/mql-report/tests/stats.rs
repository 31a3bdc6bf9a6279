//! The figures of backtests and diffs against values computed here
//! independently: by hand on small data where the answer is obvious, and by
//! brute force on random data (property tests).

use mql_report::stats::{auc, histogram, metrics, Ranked, Tally};
use proptest::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// Ten leads scoring 1 to 10; those scoring 8 or more had the outcome.
fn ten() -> Vec<(f64, bool)> {
    (1..=10).map(|i| (i as f64, i >= 8)).collect()
}

#[test]
fn a_sweep_by_hand() {
    let ranked = Ranked::new(&ten());
    let rows = ranked.sweep(&[8.0, 5.0, 0.0, 11.0]);
    // >= 8: three leads, all with the outcome: every one found.
    assert_eq!(rows[0].selected, Tally { leads: 3, yes: 3 });
    assert_eq!(rows[0].metrics.precision, Some(1.0));
    assert_eq!(rows[0].metrics.recall, Some(1.0));
    assert!(close(rows[0].metrics.lift.unwrap(), 1.0 / 0.3));
    assert_eq!(rows[0].metrics.f1, Some(1.0));
    // >= 5: six leads, three with it.
    assert_eq!(rows[1].selected, Tally { leads: 6, yes: 3 });
    assert_eq!(rows[1].metrics.precision, Some(0.5));
    assert!(close(rows[1].metrics.f1.unwrap(), 2.0 * 0.5 / 1.5));
    // Everyone: the base rate, lift 1.
    assert_eq!(rows[2].selected, Tally { leads: 10, yes: 3 });
    assert!(close(rows[2].metrics.lift.unwrap(), 1.0));
    // No one: precision unknown, recall 0.
    assert_eq!(rows[3].selected, Tally { leads: 0, yes: 0 });
    assert_eq!(rows[3].metrics.precision, None);
    assert_eq!(rows[3].metrics.recall, Some(0.0));
    assert_eq!(rows[3].metrics.f1, None);
}

#[test]
fn deciles_and_their_thresholds_by_hand() {
    let ranked = Ranked::new(&ten());
    let d = ranked.deciles();
    assert_eq!(d.len(), 10);
    assert_eq!((d[0].decile, d[0].min, d[0].max), (1, 10.0, 10.0));
    assert!(d.iter().all(|d| d.through == d.decile));
    assert_eq!(d[0].tally, Tally { leads: 1, yes: 1 });
    assert_eq!(d[3].tally, Tally { leads: 1, yes: 0 });
    assert_eq!(
        ranked.decile_thresholds(),
        [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    );
    // Ties stay together: half the leads score 0.
    let mut tied: Vec<(f64, bool)> = (0..10).map(|i| (0.0, i % 2 == 0)).collect();
    tied.extend((1..=10).map(|i| (i as f64, true)));
    let d = Ranked::new(&tied).deciles();
    let last = d.last().unwrap();
    assert_eq!((last.decile, last.min, last.max), (6, 0.0, 0.0));
    // the tied half fills deciles 6 to 10, and says so
    assert_eq!(last.through, 10);
    assert_eq!((d[4].decile, d[4].through), (5, 5));
    assert_eq!(last.tally, Tally { leads: 10, yes: 5 });
    assert_eq!(d[0].tally.leads, 2);
    assert_eq!((d[0].min, d[0].max), (9.0, 10.0));
    assert_eq!(
        Ranked::new(&tied).decile_thresholds(),
        [9.0, 7.0, 5.0, 3.0, 1.0, 0.0]
    );
}

#[test]
fn curves_by_hand() {
    // Two leads with the outcome above two without: a perfect ranking.
    let pts = [(4.0, true), (3.0, true), (2.0, false), (1.0, false)];
    let (roc, gain) = Ranked::new(&pts).curves(101);
    let xy: Vec<(f64, f64)> = roc.iter().map(|p| (p.x, p.y)).collect();
    assert_eq!(
        xy,
        [(0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (0.5, 1.0), (1.0, 1.0)]
    );
    let xy: Vec<(f64, f64)> = gain.iter().map(|p| (p.x, p.y)).collect();
    assert_eq!(
        xy,
        [(0.0, 0.0), (0.25, 0.5), (0.5, 1.0), (0.75, 1.0), (1.0, 1.0)]
    );
    // Without anyone with (or without) the outcome there is no ROC curve.
    assert!(Ranked::new(&[(1.0, true)]).curves(10).0.is_empty());
    assert!(Ranked::new(&[(1.0, false)]).curves(10).1.is_empty());
}

#[test]
fn histograms_by_hand() {
    // Five different values, four bars: bars of equal width.
    let bins = histogram([&[0.0, 5.0, 10.0, 6.0], &[10.0, 2.5, f64::NAN]], 4);
    let got: Vec<(f64, f64, [u64; 2])> = bins.iter().map(|b| (b.lo, b.hi, b.counts)).collect();
    assert_eq!(
        got,
        [
            (0.0, 2.5, [1, 0]),
            (2.5, 5.0, [0, 1]),
            (5.0, 7.5, [2, 0]),
            (7.5, 10.0, [1, 1]),
        ]
    );
    // Four different values (-0 and 0 are one), four bars: one per value.
    let bins = histogram([&[0.0, 5.0, 10.0], &[10.0, 2.5, -0.0, f64::NAN]], 4);
    let got: Vec<(f64, f64, [u64; 2])> = bins.iter().map(|b| (b.lo, b.hi, b.counts)).collect();
    assert_eq!(
        got,
        [
            (0.0, 0.0, [1, 1]),
            (2.5, 2.5, [0, 1]),
            (5.0, 5.0, [1, 0]),
            (10.0, 10.0, [1, 1]),
        ]
    );
    assert_eq!(histogram([&[3.0, 3.0], &[]], 10).len(), 1);
    assert!(histogram([&[], &[f64::NAN]], 10).is_empty());
}

/// Scores from a small set (many ties) or spread out, with an outcome.
fn points() -> impl Strategy<Value = Vec<(f64, bool)>> {
    prop::collection::vec(
        (
            prop_oneof![(0i32..6).prop_map(|x| x as f64 * 10.0), -50.0..150.0f64],
            any::<bool>(),
        ),
        0..200,
    )
}

/// AUC by definition: over every (with, without) pair, 1 when the lead with
/// the outcome scores higher, 1/2 on a tie.
fn brute_auc(pts: &[(f64, bool)]) -> Option<f64> {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (a, ya) in pts {
        for (b, yb) in pts {
            if *ya && !*yb {
                pairs += 1.0;
                if a > b {
                    wins += 1.0;
                } else if a == b {
                    wins += 0.5;
                }
            }
        }
    }
    (pairs > 0.0).then(|| wins / pairs)
}

proptest! {
    #[test]
    fn precision_times_picked_is_recall_times_outcomes(pts in points(), t in -60.0..160.0f64) {
        let ranked = Ranked::new(&pts);
        let row = ranked.sweep(&[t])[0];
        let all = pts.iter().fold(Tally::default(), |mut a, (_, y)| { a.add(*y); a });
        // Brute force: who scores at least t.
        let picked: Vec<&(f64, bool)> = pts.iter().filter(|(v, _)| *v >= t).collect();
        prop_assert_eq!(row.selected.leads, picked.len() as u64);
        prop_assert_eq!(row.selected.yes, picked.iter().filter(|p| p.1).count() as u64);
        let m = row.metrics;
        if let (Some(p), Some(r)) = (m.precision, m.recall) {
            prop_assert!(close(p * row.selected.leads as f64, r * all.yes as f64));
            prop_assert!(close(p * row.selected.leads as f64, row.selected.yes as f64));
            if let Some(lift) = m.lift {
                prop_assert!(close(lift * all.rate().unwrap(), p));
            }
            let f1 = m.f1.unwrap();
            prop_assert!(close(f1 * (p + r), 2.0 * p * r));
        }
        prop_assert_eq!(metrics(row.selected, all), m);
    }

    #[test]
    fn auc_agrees_with_counting_pairs_and_with_the_roc_curve(pts in points()) {
        let a = auc(&pts);
        let b = brute_auc(&pts);
        prop_assert_eq!(a.is_some(), b.is_some());
        if let (Some(a), Some(b)) = (a, b) {
            prop_assert!(close(a, b), "{} vs {}", a, b);
            // The area under the full ROC curve (trapezoids) is the AUC.
            let (roc, _) = Ranked::new(&pts).curves(usize::MAX);
            let area: f64 = roc.windows(2).map(|w| (w[1].x - w[0].x) * (w[1].y + w[0].y) / 2.0).sum();
            prop_assert!((area - a).abs() < 1e-9, "{} vs {}", area, a);
        }
    }

    #[test]
    fn deciles_hold_every_lead_once_and_keep_ties_together(pts in points()) {
        let ranked = Ranked::new(&pts);
        let deciles = ranked.deciles();
        let total: u64 = deciles.iter().map(|d| d.tally.leads).sum();
        prop_assert_eq!(total, pts.len() as u64);
        let yes: u64 = deciles.iter().map(|d| d.tally.yes).sum();
        prop_assert_eq!(yes, pts.iter().filter(|p| p.1).count() as u64);
        if let (Some(first), Some(last)) = (deciles.first(), deciles.last()) {
            // The rows cover the deciles 1 to 10 without a gap or overlap.
            prop_assert_eq!(first.decile, 1);
            prop_assert_eq!(last.through, 10);
        }
        for w in deciles.windows(2) {
            prop_assert_eq!(w[0].through + 1, w[1].decile);
            // Highest first, no score in two deciles.
            prop_assert!(w[0].decile < w[1].decile);
            prop_assert!(w[0].min > w[1].max);
        }
        for d in &deciles {
            prop_assert!((1..=10).contains(&d.decile));
            let inside = pts.iter().filter(|(v, _)| *v >= d.min && *v <= d.max).count() as u64;
            prop_assert_eq!(inside, d.tally.leads);
        }
        // The k-th threshold picks at least k tenths of the leads.
        let n = pts.len();
        let thresholds = ranked.decile_thresholds();
        let rows = ranked.sweep(&thresholds);
        for w in rows.windows(2) {
            prop_assert!(w[0].threshold > w[1].threshold);
            prop_assert!(w[0].selected.leads < w[1].selected.leads);
        }
        if let Some(last) = rows.last() {
            prop_assert_eq!(last.selected.leads, n as u64);
        }
    }

    #[test]
    fn the_gain_curve_ends_with_everyone(pts in points()) {
        let (roc, gain) = Ranked::new(&pts).curves(50);
        prop_assert!(roc.len() <= 50 && gain.len() <= 50);
        for curve in [&roc, &gain] {
            if let (Some(first), Some(last)) = (curve.first(), curve.last()) {
                prop_assert_eq!((first.x, first.y), (0.0, 0.0));
                prop_assert!(close(last.x, 1.0) && close(last.y, 1.0));
                for w in curve.windows(2) {
                    prop_assert!(w[0].x <= w[1].x && w[0].y <= w[1].y);
                }
            }
        }
    }

    #[test]
    fn histograms_count_every_finite_value_in_its_bar(a in prop::collection::vec(-100.0..100.0f64, 0..50), b in prop::collection::vec(-100.0..100.0f64, 0..50)) {
        let bins = histogram([&a, &b], 7);
        for (s, vs) in [&a, &b].iter().enumerate() {
            let n: u64 = bins.iter().map(|x| x.counts[s]).sum();
            prop_assert_eq!(n, vs.len() as u64);
        }
        if bins.iter().all(|b| b.lo == b.hi) {
            // one bar per value, in order, at most as many as asked for
            prop_assert!(bins.len() <= 7);
            for w in bins.windows(2) {
                prop_assert!(w[0].lo < w[1].lo);
            }
        } else {
            for w in bins.windows(2) {
                prop_assert_eq!(w[0].hi, w[1].lo);
            }
        }
    }
}
