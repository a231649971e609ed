//! Drawing a [`super::Chart`] on any plotters backend (SVG or bitmap): the axes and grid, the
//! series of each kind of chart, the legend and the note of an empty chart.

use std::collections::BTreeSet;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::scale::{Scale, fmt_num, ok, shorten};
use super::{Axis, Bars, Points, Series};

/// Okabe–Ito palette, yellow and black last (yellow is the weakest on white).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xF0, 0xE4, 0x42),
    RGBColor(0x00, 0x00, 0x00),
];
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);

pub(super) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A drawing error as text.
pub(super) fn e(err: impl std::fmt::Display) -> String {
    err.to_string()
}

/// A linear coordinate whose only grid lines and tick labels are the scale's ticks (plotters'
/// own key points would not match the 1-2-5 and powers-of-ten ticks of [`Scale`]).
#[derive(Clone)]
struct Keyed {
    range: std::ops::Range<f64>,
    keys: Vec<f64>,
}

impl Keyed {
    fn of(s: &Scale) -> Keyed {
        Keyed { range: s.range(), keys: s.keys() }
    }
}

impl Ranged for Keyed {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    /// Pixel of `v`; far-off values are held a few plot widths out, so nothing overflows.
    fn map(&self, v: &f64, (p0, p1): (i32, i32)) -> i32 {
        let f = ((v - self.range.start) / (self.range.end - self.range.start)).clamp(-4.0, 5.0);
        p0 + (f * f64::from(p1 - p0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.keys.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

type Ctx<'a, DB> = ChartContext<'a, DB, Cartesian2d<Keyed, Keyed>>;

/// Font size that fits `label` along `room` pixels (about 0.55 em per character), 9 to 13.
fn fit(label: &str, room: f64) -> u32 {
    (room / (label.chars().count().max(1) as f64 * 0.56)).clamp(9.0, 13.0) as u32
}

/// The chart's axes: key points at the scales' ticks, light grid lines, tick labels and axis
/// titles sized to fit (a long title shrinks, and is shortened only below 9 px).
fn axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    xs: &Scale,
    ys: &Scale,
    x_label: &str,
    y_label: &str,
    x_fmt: &dyn Fn(&f64) -> String,
) -> Result<Ctx<'a, DB>, String> {
    let (w, h) = area.dim_in_pixel();
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .margin_right(16)
        .x_label_area_size(44)
        .y_label_area_size(62)
        .build_cartesian_2d(Keyed::of(xs), Keyed::of(ys))
        .map_err(e)?;
    let (xsz, ysz) = (fit(x_label, w as f64 - 90.0), fit(y_label, h as f64 - 70.0));
    let x_title = shorten(x_label, ((w as f64 - 90.0) / (xsz as f64 * 0.56)) as usize);
    let y_title = shorten(y_label, ((h as f64 - 70.0) / (ysz as f64 * 0.56)) as usize);
    let y_fmt = |v: &f64| ys.label(*v);
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(INK)
        .label_style(("sans-serif", 13))
        .x_desc(x_title)
        .y_desc(y_title)
        .axis_desc_style(("sans-serif", xsz.min(ysz)))
        .x_label_formatter(x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// A solid line of more points than this, in a chart of three lines or more, is drawn 1 px
/// wide (dense, noisy series drawn 2 px wide become solid bands that hide each other).
const DENSE: usize = 600;

/// Dash and gap lengths, in pixels, of the successive dashed lines of a chart: different
/// patterns, so two dashed lines over the same solid one both show.
const DASHES: [(u32, u32); 3] = [(8, 5), (4, 9), (2, 11)];

/// Marker shapes a line chart's series take in turn (see [`marker`]).
const SHAPES: usize = 8;

/// Draws the lines; returns the legend's keys. A line identical to an earlier one is named
/// "(same as …)"; it, and a line that shares at least half its points with an earlier one, is
/// drawn dashed, so the line under it shows. Lines joined by straight segments (not steps) get
/// a marker shape each, at every point of a short series and at staggered points of a long
/// one, so lines that run together can still be told apart.
pub(super) fn line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    series: &[Series],
    step: bool,
) -> Result<Vec<Key>, String> {
    let drawable = |s: &Series| -> Vec<(f64, f64)> {
        s.points.iter().copied().filter(|&(a, b)| ok(x, a) && ok(y, b)).collect()
    };
    let pts: Vec<Vec<(f64, f64)>> = series.iter().map(drawable).collect();
    let xs = Scale::new(x, pts.iter().flatten().map(|p| p.0));
    let ys = Scale::new(y, pts.iter().flatten().map(|p| p.1));
    let x_fmt = |v: &f64| xs.label(*v);
    let mut chart = axes(area, &xs, &ys, &x.label, &y.label, &x_fmt)?;
    let bits = |p: &[(f64, f64)]| -> BTreeSet<(u64, u64)> {
        p.iter().map(|&(a, b)| (a.to_bits(), b.to_bits())).collect()
    };
    let earlier: Vec<BTreeSet<(u64, u64)>> = pts.iter().map(|p| bits(p)).collect();
    let mut keys = Vec::new();
    let mut dashed_lines = 0;
    for (i, (s, p)) in series.iter().zip(&pts).enumerate() {
        let twin = pts[..i].iter().position(|q| q == p && !p.is_empty());
        let shared = |e: &BTreeSet<(u64, u64)>| {
            p.iter().filter(|&&(a, b)| e.contains(&(a.to_bits(), b.to_bits()))).count()
        };
        let dashed =
            twin.is_some() || (!p.is_empty() && earlier[..i].iter().any(|e| 2 * shared(e) >= p.len()));
        let at: Vec<(f64, f64)> = p.iter().filter_map(|&(a, b)| Some((xs.to(a)?, ys.to(b)?))).collect();
        let mut coords: Vec<(f64, f64)> = Vec::with_capacity(at.len() * 2);
        for (k, &(cx, cy)) in at.iter().enumerate() {
            if step && k > 0 {
                coords.push((cx, coords[coords.len() - 1].1));
            }
            coords.push((cx, cy));
        }
        let thin = at.len() > DENSE && series.len() >= 3 && !dashed;
        let style = color(i).stroke_width(if thin { 1 } else { 2 });
        if dashed {
            let (dash, gap) = DASHES[dashed_lines % DASHES.len()];
            dashed_lines += 1;
            chart.draw_series(DashedLineSeries::new(coords, dash, gap, style)).map_err(e)?;
        } else {
            chart.draw_series(LineSeries::new(coords, style)).map_err(e)?;
        }
        let shape = (!step || at.len() == 1).then_some(i % SHAPES);
        if let Some(shape) = shape {
            let every = if at.len() <= 12 { 1 } else { at.len().div_ceil(10) };
            let offset = i * every / series.len().max(1);
            for (k, &c) in at.iter().enumerate() {
                if (k + offset).is_multiple_of(every) {
                    marker(chart.plotting_area(), c, shape, color(i))?;
                }
            }
        }
        let name = match twin {
            Some(j) => format!("{} (same as {})", s.name, series[j].name),
            None => s.name.clone(),
        };
        keys.push(Key { name, swatch: Swatch::Line { dashed, marker: shape } });
    }
    Ok(keys)
}

/// Draws marker `shape` (0 to [`SHAPES`] − 1: circle, square, triangle, diamond, inverted
/// triangle, cross, plus, ring) centred at `at` in `area`'s coordinates.
fn marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    shape: usize,
    c: RGBColor,
) -> Result<(), String> {
    let (fill, pen) = (c.filled(), c.stroke_width(2));
    let p = EmptyElement::at(at);
    match shape % SHAPES {
        0 => area.draw(&(p + Circle::new((0, 0), 4, fill))),
        1 => area.draw(&(p + Rectangle::new([(-4, -4), (4, 4)], fill))),
        2 => area.draw(&(p + Polygon::new(vec![(0, -5), (5, 4), (-5, 4)], fill))),
        3 => area.draw(&(p + Polygon::new(vec![(0, -5), (5, 0), (0, 5), (-5, 0)], fill))),
        4 => area.draw(&(p + Polygon::new(vec![(0, 5), (5, -4), (-5, -4)], fill))),
        5 => area.draw(
            &(p + PathElement::new(vec![(-4, -4), (4, 4)], pen)
                + PathElement::new(vec![(-4, 4), (4, -4)], pen)),
        ),
        6 => area.draw(
            &(p + PathElement::new(vec![(-5, 0), (5, 0)], pen)
                + PathElement::new(vec![(0, -5), (0, 5)], pen)),
        ),
        _ => area.draw(&(p + Circle::new((0, 0), 4, pen))),
    }
    .map_err(e)
}

/// Bars in a chart beyond which their values are not written above them (they would collide).
const LABELLED_BARS: usize = 24;

/// Draws grouped bars rising from zero, with whiskers where `errors` are given, and each bar's
/// value written above it (above its whisker) when there are at most [`LABELLED_BARS`], so a
/// small bar beside a tall one still reads.
pub(super) fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y_label: &str,
    categories: &[String],
    bars: &[Bars],
) -> Result<(), String> {
    let n = categories.len();
    let errs =
        |b: &Bars| b.errors.iter().flatten().take(n).flat_map(|&(lo, hi)| [lo, hi]).collect::<Vec<_>>();
    let vals = bars.iter().flat_map(|b| b.values.iter().take(n).copied().chain(errs(b)));
    let mut ys = Scale::new(&Axis::linear(y_label), std::iter::once(0.0).chain(vals.clone()));
    let labelled = n * bars.len() <= LABELLED_BARS;
    let top = vals.filter(|v| v.is_finite()).fold(0.0, f64::max);
    if labelled && top > ys.hi - 0.08 * (ys.hi - ys.lo) {
        // Room for the value written above the tallest bar.
        ys.hi = top + 0.08 * (ys.hi - ys.lo);
    }
    let xs =
        Scale::new(&Axis { min: Some(-0.5), max: Some(n as f64 - 0.5), ..Axis::default() }, [].into_iter());
    let xs = Scale { ticks: (0..n).map(|i| i as f64).collect(), ..xs };
    let width = (area.dim_in_pixel().0 as f64 - 90.0) / n.max(1) as f64;
    let cat = |v: &f64| {
        let i = v.round();
        let name = categories.get(i as usize).filter(|_| (v - i).abs() < 1e-6 && i >= 0.0);
        name.map(|c| shorten(c, (width / 7.0) as usize)).unwrap_or_default()
    };
    let mut chart = axes(area, &xs, &ys, "", y_label, &cat)?;
    let bw = 0.8 / bars.len().max(1) as f64;
    for (i, b) in bars.iter().enumerate() {
        for (j, &v) in b.values.iter().take(n).enumerate() {
            let x0 = j as f64 - 0.4 + bw * i as f64;
            if v.is_finite() {
                let rect = Rectangle::new([(x0, 0.0), (x0 + bw * 0.92, v)], color(i).filled());
                chart.draw_series(std::iter::once(rect)).map_err(e)?;
            }
            let whisker =
                b.errors.as_ref().and_then(|e| e.get(j)).filter(|w| w.0.is_finite() && w.1.is_finite());
            if labelled && v.is_finite() {
                let above = whisker.map_or(v, |w| w.1.max(v)).max(0.0);
                let mag = 10f64.powf(v.abs().max(1e-12).log10().floor() - 2.0);
                let font =
                    ("sans-serif", 12).into_font().color(&INK).pos(Pos::new(HPos::Center, VPos::Bottom));
                let text =
                    EmptyElement::at((x0 + bw * 0.46, above)) + Text::new(fmt_num(v, mag), (0, -3), font);
                chart.draw_series(std::iter::once(text)).map_err(e)?;
            }
            if let Some(&(lo, hi)) = whisker {
                let (cx, cap) = (x0 + bw * 0.46, (bw * 0.2).min(0.05));
                let ink = INK.stroke_width(2);
                let whisker = [
                    PathElement::new(vec![(cx, lo), (cx, hi)], ink),
                    PathElement::new(vec![(cx - cap, lo), (cx + cap, lo)], ink),
                    PathElement::new(vec![(cx - cap, hi), (cx + cap, hi)], ink),
                ];
                chart.draw_series(whisker).map_err(e)?;
            }
        }
    }
    Ok(())
}

/// Draws the points, labels beside them, the highlighted point larger and ringed. Points off
/// a fixed axis are pinned to its edge.
pub(super) fn scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    series: &[Points],
) -> Result<(), String> {
    let all = || series.iter().flat_map(|s| &s.points).filter(|&&(a, b)| ok(x, a) && ok(y, b));
    let xs = Scale::new(x, all().map(|p| p.0));
    let ys = Scale::new(y, all().map(|p| p.1));
    let x_fmt = |v: &f64| xs.label(*v);
    let mut chart = axes(area, &xs, &ys, &x.label, &y.label, &x_fmt)?;
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        for (k, &(a, b)) in s.points.iter().enumerate() {
            if !(ok(x, a) && ok(y, b)) {
                continue;
            }
            let (Some(px), Some(py)) = (xs.clamped(a), ys.clamped(b)) else { continue };
            let hl = s.highlight == Some(k);
            let label = s.labels.get(k).cloned().unwrap_or_default();
            let font = ("sans-serif", 11).into_font().color(&INK);
            // Translucent, so points drawn over each other show as a darker dot.
            let dot = EmptyElement::at((px, py))
                + Circle::new((0, 0), if hl { 6 } else { 4 }, c.mix(0.6).filled())
                + Circle::new((0, 0), if hl { 10 } else { 0 }, c.stroke_width(2))
                + Text::new(label, (if hl { 12 } else { 7 }, -14), font);
            chart.draw_series(std::iter::once(dot)).map_err(e)?;
        }
    }
    Ok(())
}

/// How a legend row shows its series' colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Swatch {
    /// A line, dashed or solid, with the series' marker shape if its points are marked.
    Line { dashed: bool, marker: Option<usize> },
    /// A filled box (bars).
    Box,
    /// A dot (scatter points).
    Dot,
}

/// A legend row: a series' name and its swatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Key {
    pub name: String,
    pub swatch: Swatch,
}

impl Key {
    pub fn new(name: &str, swatch: Swatch) -> Key {
        Key { name: name.to_string(), swatch }
    }
}

/// Characters of a legend line (the legend is 190 px wide).
const LEGEND_CHARS: usize = 25;

/// The legend in `area` (right of the plot): a swatch and the name of each series, at most 16
/// rows (15 and "+N more" beyond).
pub(super) fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, keys: &[Key]) -> Result<(), String> {
    let shown = if keys.len() > 16 { 15 } else { keys.len() };
    let font = ("sans-serif", 12).into_font().color(&BLACK);
    let mut y = 20;
    for (i, key) in keys.iter().take(shown).enumerate() {
        let (x, c) = (8, color(i));
        match key.swatch {
            Swatch::Line { dashed, marker: m } => {
                let segments: &[(i32, i32)] = if dashed { &[(0, 6), (10, 16)] } else { &[(0, 16)] };
                for &(a, b) in segments {
                    area.draw(&PathElement::new(vec![(x + a, y), (x + b, y)], c.stroke_width(3)))
                        .map_err(e)?;
                }
                if let Some(shape) = m {
                    marker(area, (x + 8, y), shape, c)?;
                }
            }
            Swatch::Box => {
                area.draw(&Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled())).map_err(e)?
            }
            Swatch::Dot => area.draw(&Circle::new((x + 8, y), 5, c.filled())).map_err(e)?,
        }
        let pos = Pos::new(HPos::Left, VPos::Center);
        for line in wrap(&key.name, LEGEND_CHARS) {
            area.draw(&Text::new(line, (x + 22, y), font.clone().pos(pos))).map_err(e)?;
            y += 15;
        }
        y += 6;
    }
    if keys.len() > shown {
        let more = format!("+{} more", keys.len() - shown);
        area.draw(&Text::new(more, (30, y), font)).map_err(e)?;
    }
    Ok(())
}

/// `text` in lines of at most `max` characters, broken after a space, `/` or `-` where it can
/// be; at most three lines, the last shortened in the middle.
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > max && lines.len() < 2 {
        let cut = (1..=max).rev().find(|&k| matches!(rest[k - 1], ' ' | '/' | '-')).unwrap_or(max);
        lines.push(rest[..cut].iter().collect::<String>().trim_end().to_string());
        rest = rest[cut..].to_vec();
    }
    lines.push(shorten(&rest.iter().collect::<String>(), max));
    lines
}

/// A note centred in `area`, for a chart with nothing to draw.
pub(super) fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let style = ("sans-serif", 16).into_font().color(&INK).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(text.to_string(), (w as i32 / 2, h as i32 / 2), style)).map_err(e)
}
