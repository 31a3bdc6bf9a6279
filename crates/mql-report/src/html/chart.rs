//! The charts of the HTML reports, drawn as SVG by plotters: bars of a rate
//! per group, pairs of bars (a distribution split in two, or old beside
//! new), curves against a diagonal, lines over thresholds, and a heat map.
//!
//! Every chart has a legend strip on top when its colours mean something,
//! axis descriptions on both axes, and text in [`FONT`], a stack that ends
//! in a generic family so it renders offline everywhere. The SVG is a pure
//! function of the figures: the same report gives the same bytes.

use std::fmt::Display;

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The fonts of the charts' text, the same as the page's.
pub const FONT: &str = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

/// Width of the wide charts, in pixels (the page scales them down on
/// narrow screens).
const WIDTH: u32 = 760;
/// Height of the legend strip.
const LEGEND: u32 = 34;

// Okabe–Ito colours, told apart with every common colour blindness.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const GREY: RGBColor = RGBColor(140, 140, 140);
const INK: RGBColor = RGBColor(40, 40, 40);
const RULE: RGBColor = RGBColor(225, 225, 225);

/// What the axes show, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Axes {
    pub x: String,
    pub y: String,
}

impl Axes {
    pub fn new(x: impl Into<String>, y: impl Into<String>) -> Axes {
        Axes {
            x: x.into(),
            y: y.into(),
        }
    }
}

/// One coloured thing in a legend.
#[derive(Clone, Debug)]
pub struct Key {
    pub label: String,
    pub color: RGBColor,
    /// A dashed line rather than a filled box.
    pub dashed: bool,
}

impl Key {
    pub fn fill(label: impl Into<String>, color: RGBColor) -> Key {
        Key {
            label: label.into(),
            color,
            dashed: false,
        }
    }

    pub fn dashed(label: impl Into<String>, color: RGBColor) -> Key {
        Key {
            label: label.into(),
            color,
            dashed: true,
        }
    }
}

type Drawn = Result<(), String>;
type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn err<E: Display>(e: E) -> String {
    e.to_string()
}

fn text_style(size: f64, color: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, size).into_font());
    style.color = color.to_backend_color();
    style
}

/// Label text (13 px in the page).
fn label_font() -> TextStyle<'static> {
    text_style(16.0, INK)
}

/// Axis description text (14 px, bold).
fn desc_font() -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, 17.5, FontStyle::Bold).into_font());
    style.color = INK.to_backend_color();
    style
}

/// Draw into an SVG of `size`, and return its text.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area) -> Drawn) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// The legend strip: a swatch and a label per key, left to right.
fn legend(area: &Area, keys: &[Key]) -> Drawn {
    let mut x = 12;
    let y = (LEGEND / 2) as i32;
    let font = label_font().pos(Pos::new(HPos::Left, VPos::Center));
    for key in keys {
        if key.dashed {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 6, y)],
                key.color.stroke_width(2),
            ))
            .map_err(err)?;
            area.draw(&PathElement::new(
                vec![(x + 10, y), (x + 16, y)],
                key.color.stroke_width(2),
            ))
            .map_err(err)?;
        } else {
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + 16, y + 6)],
                key.color.filled(),
            ))
            .map_err(err)?;
        }
        area.draw(&Text::new(key.label.clone(), (x + 22, y), font.clone()))
            .map_err(err)?;
        x += 22 + text_width(&key.label) + 24;
    }
    Ok(())
}

/// A rough width of `text` in pixels at the label size (the browser lays it
/// out; this only reserves room).
fn text_width(text: &str) -> i32 {
    (text.chars().count() as f64 * 7.4).round() as i32
}

/// `text`, cut to `max` characters with an ellipsis (the table twin has
/// the full text).
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A round upper bound for an axis over `0..max`.
fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let step = 10f64.powf(max.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * step >= max * 1.0001 {
            return m * step;
        }
    }
    10.0 * step
}

fn pct_label(v: f64) -> String {
    let t = format!("{v:.1}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    format!("{t}%")
}

/// A category axis: `n` bands of height 1 over `0..n`, the first at the
/// top, with a tick in the middle of each (plotters' own numeric axes pick
/// round ticks, which would fall between the bands).
#[derive(Clone, Copy, Debug)]
struct Bands(usize);

impl Ranged for Bands {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = value / self.0.max(1) as f64;
        limit.0 + ((limit.1 - limit.0) as f64 * share + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        (0..self.0).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.0.max(1) as f64
    }
}

fn bands(n: usize) -> Bands {
    Bands(n.max(1))
}

/// The index of the band (first at the top) a tick value belongs to.
fn band_of(v: f64, n: usize) -> Option<usize> {
    let from_bottom = v.floor();
    if from_bottom < 0.0 || from_bottom >= n as f64 {
        return None;
    }
    Some(n - 1 - from_bottom as usize)
}

/// The vertical position of band `i` (first at the top) of `n`.
fn band_y(i: usize, n: usize) -> f64 {
    (n - 1 - i) as f64
}

/// The frame of a chart of rates drawn as bars across: 0 to `x_max` percent
/// along the bottom, one band per label down the side, the axes' titles.
fn rate_frame<'b, 'a>(
    body: &'b Area<'a>,
    labels: &[String],
    x_max: f64,
    axes: &Axes,
) -> Result<
    ChartContext<'b, SVGBackend<'a>, Cartesian2d<plotters::coord::types::RangedCoordf64, Bands>>,
    String,
> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(body)
        .margin_right(24)
        .margin_top(6)
        .x_label_area_size(52)
        .y_label_area_size(label_area(labels))
        .build_cartesian_2d(0.0..x_max, bands(n))
        .map_err(err)?;
    let y_label = |v: &f64| band_of(*v, n).map_or(String::new(), |i| labels[i].clone());
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(RULE)
        .x_labels(6)
        .x_label_formatter(&|v| pct_label(*v))
        .y_label_formatter(&y_label)
        .label_style(label_font())
        .axis_desc_style(desc_font())
        .x_desc(axes.x.as_str())
        .y_desc(axes.y.as_str())
        .draw()
        .map_err(err)?;
    Ok(chart)
}

fn label_area(labels: &[String]) -> u32 {
    let widest = labels.iter().map(|l| text_width(l)).max().unwrap_or(0);
    (widest + 22).clamp(60, 280) as u32
}

/// One bar of a rate chart.
pub struct RateBar {
    pub label: String,
    /// A share between 0 and 1; no bar when unknown.
    pub rate: Option<f64>,
    /// What is written at the end of the bar.
    pub note: String,
}

/// Horizontal bars, one per group, of a share in percent, with a dashed
/// line at `reference` (e.g. the rate of all leads).
pub fn rate_bars(
    bars: &[RateBar],
    reference: Option<(f64, String)>,
    color: RGBColor,
    bar_key: &str,
    axes: &Axes,
) -> Result<String, String> {
    let n = bars.len();
    let labels: Vec<String> = bars.iter().map(|b| short(&b.label, 30)).collect();
    let height = LEGEND + 70 + 34 * n.max(1) as u32;
    let top = bars
        .iter()
        .filter_map(|b| b.rate)
        .chain(reference.as_ref().map(|r| r.0))
        .fold(0.0f64, f64::max);
    // Room for the notes at the end of the bars.
    let x_max = nice_max(top * 100.0 * 1.3)
        .min(100.0)
        .max(nice_max(top * 100.0));
    svg((WIDTH, height), |root| {
        let (top_area, body) = root.split_vertically(LEGEND);
        let mut keys = vec![Key::fill(bar_key, color)];
        if let Some((_, text)) = &reference {
            keys.push(Key::dashed(text.clone(), INK));
        }
        legend(&top_area, &keys)?;
        let mut chart = rate_frame(&body, &labels, x_max, axes)?;
        let note_font = label_font().pos(Pos::new(HPos::Left, VPos::Center));
        for (i, bar) in bars.iter().enumerate() {
            let y = band_y(i, n);
            if let Some(rate) = bar.rate {
                let x = rate * 100.0;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y + 0.2), (x, y + 0.8)],
                        color.filled(),
                    )))
                    .map_err(err)?;
            }
            let at = chart.backend_coord(&(bar.rate.unwrap_or(0.0) * 100.0, y + 0.5));
            root.draw(&Text::new(
                bar.note.clone(),
                (at.0 + 6, at.1),
                note_font.clone(),
            ))
            .map_err(err)?;
        }
        if let Some((r, _)) = reference {
            let x = r * 100.0;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, 0.0), (x, n.max(1) as f64)],
                    6,
                    4,
                    INK.stroke_width(2),
                ))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// One score range of a paired bar chart: the two series' values.
pub struct PairBin {
    pub lo: f64,
    pub hi: f64,
    pub a: f64,
    pub b: f64,
}

/// Two bars side by side in each score range: series `a` on the left,
/// `b` on the right, on a numeric score axis.
pub fn paired_bars(
    bins: &[PairBin],
    keys: [Key; 2],
    y_percent: bool,
    axes: &Axes,
) -> Result<String, String> {
    let (mut lo, mut hi) = bins
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), b| {
            (l.min(b.lo), h.max(b.hi))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    // Bars of single values (see `stats::histogram`) stand centred on their
    // value, as wide as the closest two values allow.
    let points = bins.iter().all(|b| b.lo == b.hi);
    let half = if points {
        let gap = bins
            .windows(2)
            .map(|w| w[1].lo - w[0].lo)
            .filter(|g| *g > 0.0)
            .fold(f64::INFINITY, f64::min);
        let half = if gap.is_finite() { gap / 2.0 } else { 0.5 };
        (lo, hi) = (lo - half, hi + half);
        half
    } else {
        0.0
    };
    let span = |b: &PairBin| {
        if points {
            (b.lo - half, b.lo + half)
        } else {
            (b.lo, b.hi)
        }
    };
    let top = bins.iter().map(|b| b.a.max(b.b)).fold(0.0f64, f64::max);
    let y_max = if y_percent {
        nice_max(top * 1.08)
    } else {
        // Whole leads: a whole top, so the ticks can be whole numbers.
        nice_max(top * 1.08).ceil()
    };
    svg((WIDTH, 380), |root| {
        let (top_area, body) = root.split_vertically(LEGEND);
        legend(&top_area, &keys)?;
        let mut chart = ChartBuilder::on(&body)
            .margin_right(24)
            .margin_top(8)
            .x_label_area_size(52)
            .y_label_area_size(74)
            .build_cartesian_2d(lo..hi, 0.0..y_max)
            .map_err(err)?;
        let y_fmt = |v: &f64| {
            if y_percent {
                pct_label(*v)
            } else {
                count_label(*v)
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RULE)
            .x_labels(10)
            .y_labels(6)
            .x_label_formatter(&|v| number_label(*v))
            .y_label_formatter(&y_fmt)
            .label_style(label_font())
            .axis_desc_style(desc_font())
            .x_desc(axes.x.as_str())
            .y_desc(axes.y.as_str())
            .draw()
            .map_err(err)?;
        for b in bins {
            let (l, h) = span(b);
            let w = h - l;
            let mid = l + w / 2.0;
            let gap = w * 0.08;
            for (x0, x1, v, color) in [
                (l + gap, mid, b.a, keys[0].color),
                (mid, h - gap, b.b, keys[1].color),
            ] {
                if v > 0.0 {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x0, 0.0), (x1, v)],
                            color.filled(),
                        )))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    })
}

/// A curve of shares (both axes 0–100%) against the dashed diagonal of
/// picking leads at random.
pub fn curve(points: &[(f64, f64)], keys: [Key; 2], axes: &Axes) -> Result<String, String> {
    svg((WIDTH, 470), |root| {
        let (top_area, body) = root.split_vertically(LEGEND);
        legend(&top_area, &keys)?;
        let body = body.margin(0, 0, 120, 120);
        let mut chart = ChartBuilder::on(&body)
            .margin_right(24)
            .margin_top(8)
            .x_label_area_size(52)
            .y_label_area_size(74)
            .build_cartesian_2d(0.0..100.0, 0.0..100.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RULE)
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| pct_label(*v))
            .y_label_formatter(&|v| pct_label(*v))
            .label_style(label_font())
            .axis_desc_style(desc_font())
            .x_desc(axes.x.as_str())
            .y_desc(axes.y.as_str())
            .draw()
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (100.0, 100.0)],
                6,
                4,
                keys[1].color.stroke_width(2),
            ))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(x, y)| (x * 100.0, y * 100.0)),
                keys[0].color.stroke_width(3),
            ))
            .map_err(err)?;
        Ok(())
    })
}

/// Lines of shares (0–100%) over a numeric axis, one per series, with a
/// dot at each point.
pub fn lines(
    xs: &[f64],
    series: &[(Key, Vec<Option<f64>>)],
    axes: &Axes,
) -> Result<String, String> {
    let (mut lo, mut hi) = xs
        .iter()
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
            (l.min(*x), h.max(*x))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.04 } else { 1.0 };
    let (lo, hi) = (lo - pad, hi + pad);
    let keys: Vec<Key> = series.iter().map(|(k, _)| k.clone()).collect();
    svg((WIDTH, 400), |root| {
        let (top_area, body) = root.split_vertically(LEGEND);
        legend(&top_area, &keys)?;
        let mut chart = ChartBuilder::on(&body)
            .margin_right(24)
            .margin_top(8)
            .x_label_area_size(52)
            .y_label_area_size(74)
            .build_cartesian_2d(lo..hi, 0.0..100.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RULE)
            .x_labels(10)
            .y_labels(6)
            .x_label_formatter(&|v| number_label(*v))
            .y_label_formatter(&|v| pct_label(*v))
            .label_style(label_font())
            .axis_desc_style(desc_font())
            .x_desc(axes.x.as_str())
            .y_desc(axes.y.as_str())
            .draw()
            .map_err(err)?;
        for (key, ys) in series {
            let pts: Vec<(f64, f64)> = xs
                .iter()
                .zip(ys)
                .filter_map(|(x, y)| Some((*x, (*y)? * 100.0)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            chart
                .draw_series(LineSeries::new(
                    pts.iter().copied(),
                    key.color.stroke_width(3),
                ))
                .map_err(err)?;
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 4, key.color.filled())))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// One group of an old-beside-new bar chart: each side's share (no bar
/// when unknown) and what is written at the end of its bar.
pub struct PairedRate {
    pub label: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub old_note: String,
    pub new_note: String,
}

/// Horizontal bars of a share per group, the old rules' bar above the new
/// rules' one, each with its value written at its end.
pub fn old_new_bars(groups: &[PairedRate], keys: [Key; 2], axes: &Axes) -> Result<String, String> {
    let n = groups.len();
    let labels: Vec<String> = groups.iter().map(|g| short(&g.label, 30)).collect();
    let height = LEGEND + 70 + 52 * n.max(1) as u32;
    let top = groups
        .iter()
        .flat_map(|g| [g.old, g.new])
        .flatten()
        .fold(0.0f64, f64::max);
    let x_max = nice_max(top * 100.0 * 1.2)
        .min(100.0)
        .max(nice_max(top * 100.0));
    svg((WIDTH, height), |root| {
        let (top_area, body) = root.split_vertically(LEGEND);
        legend(&top_area, &keys)?;
        let mut chart = rate_frame(&body, &labels, x_max, axes)?;
        let note_font = label_font().pos(Pos::new(HPos::Left, VPos::Center));
        for (i, g) in groups.iter().enumerate() {
            let y = band_y(i, n);
            for (value, note, y0, y1, color) in [
                (g.old, &g.old_note, y + 0.52, y + 0.88, keys[0].color),
                (g.new, &g.new_note, y + 0.12, y + 0.48, keys[1].color),
            ] {
                let x = value.map_or(0.0, |v| v * 100.0);
                if value.is_some() {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(0.0, y0), (x, y1)],
                            color.filled(),
                        )))
                        .map_err(err)?;
                }
                let at = chart.backend_coord(&(x, (y0 + y1) / 2.0));
                root.draw(&Text::new(
                    note.clone(),
                    (at.0 + 6, at.1),
                    note_font.clone(),
                ))
                .map_err(err)?;
            }
        }
        Ok(())
    })
}

/// A heat map of lead counts: rows (first at the top) by columns. Cells
/// on the diagonal (`same(row, column)`) are grey, the others orange;
/// the more leads, the darker. Each cell shows its count and its share of
/// the row.
pub fn heat_map(
    rows: &[String],
    cols: &[String],
    counts: &[Vec<u64>],
    same: impl Fn(usize, usize) -> bool,
    axes: &Axes,
) -> Result<String, String> {
    let (nr, nc) = (rows.len(), cols.len());
    let row_labels: Vec<String> = rows.iter().map(|l| short(l, 24)).collect();
    let col_labels: Vec<String> = cols.iter().map(|l| short(l, 16)).collect();
    let height = LEGEND + 80 + 56 * nr.max(1) as u32;
    let max_same = cell_max(counts, &same, true);
    let max_moved = cell_max(counts, &same, false);
    svg((WIDTH, height), |root| {
        let (top_area, body) = root.split_vertically(LEGEND);
        legend(
            &top_area,
            &[
                Key::fill("keep their stage", GREY),
                Key::fill("move to another stage", ORANGE),
                Key::fill("darker: more leads", RGBColor(90, 90, 90)),
            ],
        )?;
        let mut chart = ChartBuilder::on(&body)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(52)
            .y_label_area_size(label_area(&row_labels))
            .build_cartesian_2d(bands(nc), bands(nr))
            .map_err(err)?;
        let y_label = |v: &f64| band_of(*v, nr).map_or(String::new(), |i| row_labels[i].clone());
        // The columns run left to right: the band counted from the top
        // of a reversed axis.
        let x_label =
            |v: &f64| band_of(*v, nc).map_or(String::new(), |j| col_labels[nc - 1 - j].clone());
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style(label_font())
            .axis_desc_style(desc_font())
            .x_desc(axes.x.as_str())
            .y_desc(axes.y.as_str())
            .draw()
            .map_err(err)?;
        let count_font = label_font().pos(Pos::new(HPos::Center, VPos::Center));
        for (i, row) in counts.iter().enumerate().take(nr) {
            let row_total: u64 = row.iter().sum();
            let y = band_y(i, nr);
            for (j, &count) in row.iter().enumerate().take(nc) {
                let on_diagonal = same(i, j);
                let max = if on_diagonal { max_same } else { max_moved };
                let strength = if count == 0 || max == 0 {
                    0.0
                } else {
                    0.15 + 0.85 * (count as f64 / max as f64).sqrt()
                };
                let base = if on_diagonal { GREY } else { ORANGE };
                let fill = mix(base, strength);
                let x = j as f64;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        fill.filled(),
                    )))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        WHITE.stroke_width(2),
                    )))
                    .map_err(err)?;
                let ink = if strength > 0.65 && on_diagonal {
                    WHITE
                } else {
                    INK
                };
                let share = if row_total > 0 {
                    format!(
                        "{} · {}",
                        count,
                        pct_label(count as f64 * 100.0 / row_total as f64)
                    )
                } else {
                    count.to_string()
                };
                chart
                    .draw_series(std::iter::once(Text::new(
                        share,
                        (x + 0.5, y + 0.5),
                        count_font.clone().color(&ink),
                    )))
                    .map_err(err)?;
            }
        }
        Ok(())
    })
}

/// The largest count on (`diagonal`) or off the diagonal.
fn cell_max(counts: &[Vec<u64>], same: &impl Fn(usize, usize) -> bool, diagonal: bool) -> u64 {
    let mut max = 0;
    for (i, row) in counts.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            if same(i, j) == diagonal {
                max = max.max(n);
            }
        }
    }
    max
}

/// `color` at `strength` (0: white, 1: the colour).
fn mix(color: RGBColor, strength: f64) -> RGBColor {
    let s = strength.clamp(0.0, 1.0);
    let ch = |c: u8| (255.0 - (255.0 - c as f64) * s).round() as u8;
    RGBColor(ch(color.0), ch(color.1), ch(color.2))
}

/// A whole number of leads on an axis; no label between whole numbers.
fn count_label(v: f64) -> String {
    if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// A score on an axis: at most two decimals, no trailing zeros.
fn number_label(v: f64) -> String {
    crate::backtest::score_text(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).expect("well-formed SVG")
    }

    fn texts(svg: &str) -> Vec<String> {
        parse(svg)
            .descendants()
            .filter(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "text")))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect()
    }

    fn axes() -> Axes {
        Axes::new("x <&> axis", "y axis")
    }

    #[test]
    fn labels_are_escaped_and_the_drawing_is_the_same_each_time() {
        let bars = || {
            vec![RateBar {
                label: "<script>&'\"".into(),
                rate: Some(0.25),
                note: "25%".into(),
            }]
        };
        let a = rate_bars(&bars(), Some((0.1, "all".into())), BLUE, "rate", &axes()).unwrap();
        let b = rate_bars(&bars(), Some((0.1, "all".into())), BLUE, "rate", &axes()).unwrap();
        assert_eq!(a, b);
        assert!(!a.contains("<script>"));
        let t = texts(&a);
        assert!(t.contains(&"<script>&'\"".to_string()), "{t:?}");
        assert!(t.contains(&"x <&> axis".to_string()), "{t:?}");
        assert!(t.contains(&"25%".to_string()), "{t:?}");
    }

    #[test]
    fn empty_and_odd_figures_still_draw_a_chart() {
        let keys = || [Key::fill("a", BLUE), Key::dashed("b", GREY)];
        let charts = [
            rate_bars(&[], None, BLUE, "rate", &axes()),
            rate_bars(
                &[RateBar {
                    label: "x".into(),
                    rate: None,
                    note: "no leads".into(),
                }],
                None,
                BLUE,
                "rate",
                &axes(),
            ),
            paired_bars(&[], keys(), true, &axes()),
            paired_bars(
                &[PairBin {
                    lo: 5.0,
                    hi: 5.0,
                    a: 3.0,
                    b: 0.0,
                }],
                keys(),
                false,
                &axes(),
            ),
            curve(&[], keys(), &axes()),
            curve(&[(0.0, 0.0), (f64::NAN, 0.5), (1.0, 1.0)], keys(), &axes()),
            lines(&[], &[], &axes()),
            lines(
                &[f64::INFINITY, 1.0],
                &[(Key::fill("p", BLUE), vec![Some(0.5), None])],
                &axes(),
            ),
            old_new_bars(&[], keys(), &axes()),
            heat_map(&[], &[], &[], |_, _| false, &axes()),
            heat_map(
                &["a".into()],
                &["a".into(), "b".into()],
                &[vec![0, 0]],
                |i, j| i == j,
                &axes(),
            ),
        ];
        for svg in charts {
            let svg = svg.expect("a chart");
            let doc = parse(&svg);
            let root = doc.root_element();
            assert!(root.attribute("width").is_some_and(|w| w != "0"));
        }
    }

    #[test]
    fn a_heat_map_writes_each_cell_with_its_share_of_the_row() {
        let svg = heat_map(
            &["lead".into(), "mql".into()],
            &["lead".into(), "mql".into()],
            &[vec![3, 1], vec![0, 4]],
            |i, j| i == j,
            &axes(),
        )
        .unwrap();
        let t = texts(&svg);
        for cell in ["3 · 75%", "1 · 25%", "0 · 0%", "4 · 100%"] {
            assert!(t.contains(&cell.to_string()), "{cell} in {t:?}");
        }
    }
}
