//! Small, dependency-free SVG charts for reports: line charts (straight or step-after, for CDFs),
//! grouped bar charts with error bars, and labelled scatter charts.
//!
//! Every chart is a standalone 800×480 SVG document: white background, bold title at the top,
//! labelled axes with "nice" ticks (1-2-5 steps, or powers of ten on a log axis), light grid lines,
//! `sans-serif` text and a legend box on the right. Series take the Okabe–Ito colour-blind-friendly
//! palette in order, cycled. Non-finite values, and zero or negative values on a log axis, are
//! skipped, so no input panics or writes `NaN` into the document. The output depends only on the
//! arguments: the same input gives a byte-identical string.

use std::fmt::Write;

/// Okabe–Ito palette, yellow and black last (yellow is the weakest on white).
const PALETTE: [&str; 8] =
    ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"];
/// Plot area in pixels: left, right, top and bottom edges; the legend sits right of `R`.
const L: f64 = 72.0;
const R: f64 = 624.0;
const T: f64 = 44.0;
const B: f64 = 416.0;
const MIDDLE: &str = r#" text-anchor="middle""#;

/// `writeln!` into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// One line of a [`line_chart`]: `points` are `(x, y)` pairs in the units of the chart's axes, drawn
/// in the given order (sort by x first for a CDF or time series).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// `(x, y)` points; non-finite ones, and non-positive ones on a log axis, are skipped.
    pub points: Vec<(f64, f64)>,
}

/// One axis of a [`line_chart`] or [`scatter_chart`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Axis {
    /// Axis title with its units, e.g. `"virtual time (h)"`.
    pub label: String,
    /// log10 scale with ticks at powers of ten; only positive values are drawn.
    pub log: bool,
    /// Lower end in axis units; `None` fits the data and rounds down to a tick.
    pub min: Option<f64>,
    /// Upper end in axis units; `None` fits the data and rounds up to a tick.
    pub max: Option<f64>,
}

impl Axis {
    /// A linear axis fitted to the data.
    pub fn linear(label: &str) -> Axis {
        Axis { label: label.to_string(), ..Axis::default() }
    }

    /// A log10 axis fitted to the data's positive values.
    pub fn log(label: &str) -> Axis {
        Axis { label: label.to_string(), log: true, ..Axis::default() }
    }
}

/// One series of a [`bar_chart`]: a bar in each category group, in the y axis' units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bars {
    /// Legend name.
    pub name: String,
    /// One value per category, in `categories` order; extra values are ignored, missing or
    /// non-finite ones leave a gap.
    pub values: Vec<f64>,
    /// Optional error bar per value: the absolute `(low, high)` y values of the whisker ends
    /// (e.g. a 95% interval), not offsets from the value.
    pub errors: Option<Vec<(f64, f64)>>,
}

/// One series of a [`scatter_chart`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Points {
    /// Legend name.
    pub name: String,
    /// `(x, y)` points in the units of the chart's axes.
    pub points: Vec<(f64, f64)>,
    /// Text drawn next to the point of the same index; may be shorter than `points` or empty.
    pub labels: Vec<String>,
    /// Index of a point to draw larger and ringed (e.g. the chosen configuration on a frontier).
    pub highlight: Option<usize>,
}

/// Line chart of `series` against axes `x` and `y`, 800×480 px. With `step = false` points are
/// joined by straight segments; with `step = true` each point's y holds until the next point's x
/// (step-after), for CDFs and piecewise-constant series. Short series also get point markers.
pub fn line_chart(title: &str, x: &Axis, y: &Axis, series: &[Series], step: bool) -> String {
    let (xs, ys) = scales(x, y, series.iter().flat_map(|s| s.points.iter().copied()));
    let mut s = begin(title, &xs, &ys, &x.label, &y.label);
    w!(s, r#"{} fill="none" stroke-width="2" stroke-linejoin="round">"#, plot_layer());
    for (i, ser) in series.iter().enumerate() {
        let pts: Vec<(f64, f64)> =
            ser.points.iter().filter_map(|&(a, b)| Some((xs.map(a, L, R)?, ys.map(b, B, T)?))).collect();
        let mut coords = String::new();
        for (k, &(px, py)) in pts.iter().enumerate() {
            if step && k > 0 {
                let _ = write!(coords, " {px:.1},{:.1}", pts[k - 1].1);
            }
            let _ = write!(coords, "{}{px:.1},{py:.1}", if k == 0 { "" } else { " " });
        }
        if pts.len() > 1 {
            w!(s, r#"<polyline stroke="{}" points="{coords}"/>"#, color(i));
        }
        if pts.len() == 1 || (!step && pts.len() <= 40) {
            for &(px, py) in &pts {
                w!(s, r#"<circle cx="{px:.1}" cy="{py:.1}" r="3" fill="{}"/>"#, color(i));
            }
        }
    }
    s.push_str("</svg>\n");
    legend(&mut s, series.iter().map(|s| s.name.as_str()), LINE);
    end(s)
}

/// Grouped bar chart, 800×480 px: one group per category along x, one bar per [`Bars`] series in
/// each group, bars rising from zero (the y axis always includes 0), with optional error bars.
/// `y_label` names the y axis with its units; long category names are slanted and shortened.
pub fn bar_chart(title: &str, y_label: &str, categories: &[String], bars: &[Bars]) -> String {
    let n = categories.len();
    let errs =
        |b: &Bars| b.errors.iter().flatten().take(n).flat_map(|&(lo, hi)| [lo, hi]).collect::<Vec<_>>();
    let vals = bars.iter().flat_map(|b| b.values.iter().take(n).copied().chain(errs(b)));
    let ys = Scale::new(&Axis::linear(y_label), std::iter::once(0.0).chain(vals));
    let mut s = header(title);
    y_axis(&mut s, &ys, y_label);
    let gw = (R - L) / n.max(1) as f64;
    let bw = gw * 0.8 / bars.len().max(1) as f64;
    let slant = categories.iter().any(|c| c.chars().count() as f64 * 7.0 > gw - 4.0);
    for (j, cat) in categories.iter().enumerate() {
        let cx = L + gw * (j as f64 + 0.5);
        if slant {
            let rot =
                format!(r#" text-anchor="end" font-size="11" transform="rotate(-30 {cx:.1} {})""#, B + 14.0);
            text(&mut s, (cx, B + 14.0), &rot, &shorten(cat, 14));
        } else {
            text(&mut s, (cx, B + 16.0), MIDDLE, cat);
        }
    }
    let zero = ys.map(0.0, B, T).unwrap_or(B);
    for (i, b) in bars.iter().enumerate() {
        for (j, &v) in b.values.iter().take(n).enumerate() {
            let x0 = L + gw * (j as f64 + 0.1) + bw * i as f64;
            if let Some(py) = ys.map(v, B, T) {
                let (top, h, c) = (py.min(zero), (py - zero).abs(), color(i));
                w!(s, r#"<rect x="{x0:.1}" y="{top:.1}" width="{bw:.1}" height="{h:.1}" fill="{c}"/>"#);
            }
            let Some(&(lo, hi)) = b.errors.as_ref().and_then(|e| e.get(j)) else { continue };
            if let (Some(a), Some(c)) = (ys.map(lo, B, T), ys.map(hi, B, T)) {
                let (cx, cap) = (x0 + bw / 2.0, (bw * 0.25).min(6.0));
                let (left, w) = (cx - cap, 2.0 * cap);
                let d = format!("M{cx:.1} {a:.1}V{c:.1}M{left:.1} {a:.1}h{w:.1}M{left:.1} {c:.1}h{w:.1}");
                w!(s, r##"<path d="{d}" stroke="#222" stroke-width="1.5"/>"##);
            }
        }
    }
    line(&mut s, (L, zero), (R, zero), "#333");
    legend(&mut s, bars.iter().map(|b| b.name.as_str()), BOX);
    end(s)
}

/// Scatter chart of `series` against axes `x` and `y`, 800×480 px: a dot per point, its label (if
/// any) beside it, and each series' `highlight` point drawn larger and ringed, with a bold label.
/// Used for the cost-vs-SLO-margin frontier of capacity plans.
pub fn scatter_chart(title: &str, x: &Axis, y: &Axis, series: &[Points]) -> String {
    let (xs, ys) = scales(x, y, series.iter().flat_map(|s| s.points.iter().copied()));
    let mut s = begin(title, &xs, &ys, &x.label, &y.label);
    w!(s, "{}>", plot_layer());
    for (i, ser) in series.iter().enumerate() {
        let c = color(i);
        for (k, &(a, b)) in ser.points.iter().enumerate() {
            let (Some(px), Some(py)) = (xs.map(a, L, R), ys.map(b, B, T)) else { continue };
            let hl = ser.highlight == Some(k);
            if hl {
                w!(
                    s,
                    r#"<circle cx="{px:.1}" cy="{py:.1}" r="9" fill="none" stroke="{c}" stroke-width="2"/>"#
                );
            }
            let r = if hl { 5.5 } else { 4.0 };
            w!(s, r#"<circle cx="{px:.1}" cy="{py:.1}" r="{r}" fill="{c}" fill-opacity="0.85"/>"#);
            if let Some(label) = ser.labels.get(k).filter(|l| !l.is_empty()) {
                let attrs = if hl { r##" font-size="10" font-weight="bold""## } else { r#" font-size="10""# };
                text(&mut s, (px + if hl { 11.0 } else { 6.0 }, py - 6.0), attrs, label);
            }
        }
    }
    s.push_str("</svg>\n");
    legend(&mut s, series.iter().map(|p| p.name.as_str()), DOT);
    end(s)
}

/// Escapes text for SVG content and attribute values; control characters become spaces.
pub fn esc(text: &str) -> String {
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Formats `v` compactly to the precision of `step` (the tick spacing): `0.30000000000000004` with
/// step 0.1 is `0.3`, trailing zeros are dropped, and values of 10,000 and more take `k`, `M` or `G`
/// (scientific notation from 10¹²).
fn fmt_num(v: f64, step: f64) -> String {
    let (v, step, suffix) = match v.abs() {
        a if a >= 1e12 => return format!("{v:.1e}"),
        a if a >= 1e9 => (v / 1e9, step / 1e9, "G"),
        a if a >= 1e6 => (v / 1e6, step / 1e6, "M"),
        a if a >= 1e4 => (v / 1e3, step / 1e3, "k"),
        _ => (v, step, ""),
    };
    let dec = if step > 0.0 && step.is_finite() { -(step.log10() + 1e-9).floor() } else { 3.0 };
    let mut s = format!("{v:.*}", dec.clamp(0.0, 12.0) as usize);
    if s.contains('.') {
        s.truncate(s.trim_end_matches('0').trim_end_matches('.').len());
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s + suffix
}

/// Ticks covering `lo..=hi` at a 1-2-5 step aiming at about five intervals, and that step.
fn nice_ticks(lo: f64, hi: f64) -> (Vec<f64>, f64) {
    let raw = (hi - lo) / 5.0;
    let step = if raw > 0.0 && raw.is_finite() {
        let mag = 10f64.powf(raw.log10().floor());
        mag * [1.0, 2.0, 5.0].into_iter().find(|&m| raw / mag <= m * (1.0 + 1e-9)).unwrap_or(10.0)
    } else {
        1.0
    };
    let (a, b) = ((lo / step + 1e-9).floor() as i64, (hi / step - 1e-9).ceil() as i64);
    ((a..=b.clamp(a, a + 100)).map(|k| k as f64 * step).collect(), step)
}

/// Whether `v` can be drawn on `axis`.
fn ok(axis: &Axis, v: f64) -> bool {
    v.is_finite() && (!axis.log || v > 0.0)
}

/// Both scales, fitted to the points drawable on both axes.
fn scales(x: &Axis, y: &Axis, points: impl Iterator<Item = (f64, f64)> + Clone) -> (Scale, Scale) {
    let pts = points.filter(|&(a, b)| ok(x, a) && ok(y, b));
    (Scale::new(x, pts.clone().map(|p| p.0)), Scale::new(y, pts.map(|p| p.1)))
}

/// A fitted axis: its ends in data units, its ticks, and the tick step (0 on a log axis).
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
    step: f64,
}

impl Scale {
    fn new(axis: &Axis, values: impl Iterator<Item = f64>) -> Scale {
        let log = axis.log;
        let fit = values
            .filter(|&v| ok(axis, v))
            .fold((f64::INFINITY, -f64::INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (mut fix_lo, mut fix_hi) = (axis.min.filter(|&v| ok(axis, v)), axis.max.filter(|&v| ok(axis, v)));
        let (mut lo, mut hi) = (fix_lo.unwrap_or(fit.0), fix_hi.unwrap_or(fit.1));
        if !lo.is_finite() || !hi.is_finite() {
            let v = [lo, hi].into_iter().find(|v| v.is_finite()).unwrap_or(if log { 1.0 } else { 0.0 });
            (lo, hi) = (v, v);
        }
        if hi <= lo {
            (fix_lo, fix_hi) = (None, None);
            let d = lo.abs() / 10.0;
            (lo, hi) = if log {
                (lo / 2.0, lo * 2.0)
            } else if d == 0.0 {
                (0.0, 1.0)
            } else {
                (lo - d, lo + d)
            };
        }
        let (ticks, step) = if log {
            let (le, he) = ((lo.log10() + 1e-9).floor() as i32, (hi.log10() - 1e-9).ceil() as i32);
            let he = he.max(le + 1);
            (lo, hi) = (fix_lo.unwrap_or(10f64.powi(le)), fix_hi.unwrap_or(10f64.powi(he)));
            ((le..=he).step_by(((he - le) as usize).div_ceil(8)).map(|e| 10f64.powi(e)).collect(), 0.0)
        } else {
            let (ticks, step) = nice_ticks(lo, hi);
            lo = fix_lo.unwrap_or(ticks[0].min(lo));
            hi = fix_hi.unwrap_or(ticks[ticks.len() - 1].max(hi));
            (ticks, step)
        };
        let eps = (hi - lo) * 1e-9;
        let mut ticks: Vec<f64> = ticks.into_iter().filter(|&t| t >= lo - eps && t <= hi + eps).collect();
        if ticks.is_empty() {
            ticks = vec![lo, hi];
        }
        Scale { lo, hi, log, ticks, step }
    }

    /// Pixel position of `v` between pixels `from` (at `lo`) and `to` (at `hi`), if drawable.
    fn map(&self, v: f64, from: f64, to: f64) -> Option<f64> {
        let f = |v: f64| if self.log { v.log10() } else { v };
        if !v.is_finite() || (self.log && v <= 0.0) {
            return None;
        }
        let p = from + (f(v) - f(self.lo)) / (f(self.hi) - f(self.lo)) * (to - from);
        p.is_finite().then_some(p)
    }

    fn label(&self, t: f64) -> String {
        fmt_num(t, if self.step > 0.0 { self.step } else { t.abs() })
    }
}

fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// `text` cut to `max` characters by an ellipsis in the middle, keeping distinguishing suffixes
/// such as `node-17`.
fn shorten(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_string();
    }
    let (head, tail) = (max.saturating_sub(1).div_ceil(2), max.saturating_sub(1) / 2);
    chars[..head].iter().chain(['…'].iter()).chain(&chars[chars.len() - tail..]).collect()
}

fn line(s: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
    w!(s, r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}"/>"#);
}

/// A `<text>` element at `(x, y)` with extra attributes `attrs` (` name="value"` pairs) and
/// escaped `content`.
fn text(s: &mut String, (x, y): (f64, f64), attrs: &str, content: &str) {
    w!(s, r#"<text x="{x:.1}" y="{y:.1}"{attrs}>{}</text>"#, esc(content));
}

/// The `<svg>` element, background and title.
fn header(title: &str) -> String {
    let mut s = String::with_capacity(8192);
    let size = r#"width="800" height="480" viewBox="0 0 800 480""#;
    w!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" {size} font-family="sans-serif" font-size="12">"#);
    w!(s, r#"<rect width="800" height="480" fill="white"/>"#);
    let attrs = r#" text-anchor="middle" font-size="16" font-weight="bold""#;
    text(&mut s, (400.0, 26.0), attrs, &shorten(title, 90));
    s
}

/// Header, both axes with grid, tick labels and titles, ready for the data layer.
fn begin(title: &str, xs: &Scale, ys: &Scale, x_label: &str, y_label: &str) -> String {
    let mut s = header(title);
    for &t in &xs.ticks {
        let Some(px) = xs.map(t, L, R) else { continue };
        line(&mut s, (px, T), (px, B), "#e4e4e4");
        text(&mut s, (px, B + 16.0), MIDDLE, &xs.label(t));
    }
    y_axis(&mut s, ys, y_label);
    text(&mut s, ((L + R) / 2.0, 466.0), MIDDLE, x_label);
    line(&mut s, (L, B), (R, B), "#333");
    s
}

/// Horizontal grid lines, tick labels, the rotated title and the line of the y axis.
fn y_axis(s: &mut String, ys: &Scale, label: &str) {
    for &t in &ys.ticks {
        let Some(py) = ys.map(t, B, T) else { continue };
        line(s, (L, py), (R, py), "#e4e4e4");
        text(s, (L - 6.0, py + 4.0), r#" text-anchor="end""#, &ys.label(t));
    }
    let my = (T + B) / 2.0;
    text(s, (18.0, my), &format!(r#" text-anchor="middle" transform="rotate(-90 18 {my})""#), label);
    line(s, (L, T), (L, B), "#333");
}

/// Opening tag (without its `>`) of the data layer: a nested viewport over the plot area, 8 px
/// wider each side for markers, that clips without an `id`, so charts can share one HTML page.
fn plot_layer() -> String {
    let (x, y, w, h) = (L - 8.0, T - 8.0, R - L + 16.0, B - T + 16.0);
    format!(r#"<svg x="{x}" y="{y}" width="{w}" height="{h}" viewBox="{x} {y} {w} {h}" overflow="hidden""#)
}

fn end(mut s: String) -> String {
    s.push_str("</svg>\n");
    s
}

/// Legend swatches, centred on (0, 0): a line, a box and a dot.
const LINE: &str = r#"<rect x="-9" y="-1.5" width="18" height="3""#;
const BOX: &str = r#"<rect x="-8" y="-5" width="16" height="10""#;
const DOT: &str = r#"<circle r="4.5""#;

/// Legend box right of the plot: a colour swatch and the name of each series (at most 19 rows).
fn legend<'a>(s: &mut String, names: impl Iterator<Item = &'a str>, swatch: &str) {
    let names: Vec<&str> = names.collect();
    let shown = if names.len() > 19 { 18 } else { names.len() };
    if shown == 0 {
        return;
    }
    let (x, w, h) =
        (R + 12.0, 792.0 - R - 12.0, 8.0 + 18.0 * (shown + usize::from(names.len() > shown)) as f64);
    w!(s, r##"<rect x="{x}" y="{T}" width="{w}" height="{h}" fill="white" stroke="#999"/>"##);
    w!(s, r#"<g font-size="11">"#);
    for (i, name) in names.iter().take(shown).enumerate() {
        let (cy, c) = (T + 13.0 + 18.0 * i as f64, color(i));
        w!(s, r#"{swatch} fill="{c}" transform="translate({} {cy})"/>"#, x + 17.0);
        text(s, (x + 32.0, cy + 4.0), "", &shorten(name, 18));
    }
    if names.len() > shown {
        text(s, (x + 32.0, T + 17.0 + 18.0 * shown as f64), "", &format!("+{} more", names.len() - shown));
    }
    s.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ser(name: &str, points: &[(f64, f64)]) -> Series {
        Series { name: name.to_string(), points: points.to_vec() }
    }

    fn lin() -> Axis {
        Axis::linear("x (s)")
    }

    /// Standalone, finished, and free of unformatted floats.
    fn valid(svg: &str) {
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="480""#));
        assert!(svg.contains(r#"viewBox="0 0 800 480""#) && svg.ends_with("</svg>\n"), "{svg}");
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        assert!(!svg.contains(" id="), "no ids: charts are inlined together in HTML reports");
        for bad in ["NaN", "inf", "0000000"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
    }

    fn ticks(axis: &Axis, values: &[f64]) -> Vec<String> {
        let s = Scale::new(axis, values.iter().copied());
        s.ticks.iter().map(|&t| s.label(t)).collect()
    }

    #[test]
    fn linear_ticks_use_1_2_5_steps() {
        assert_eq!(nice_ticks(0.0, 97.0), (vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0], 20.0));
        assert_eq!(ticks(&lin(), &[0.0, 97.0]), ["0", "20", "40", "60", "80", "100"]);
        assert_eq!(ticks(&lin(), &[0.0, 0.3]), ["0", "0.1", "0.2", "0.3"]);
        assert_eq!(ticks(&lin(), &[-3.0, 7.0]), ["-4", "-2", "0", "2", "4", "6", "8"]);
        assert_eq!(ticks(&lin(), &[1.0, 1.9]), ["1", "1.2", "1.4", "1.6", "1.8", "2"]);
        assert_eq!(ticks(&lin(), &[0.0, 48_000.0]), ["0", "10k", "20k", "30k", "40k", "50k"]);
        assert_eq!(ticks(&lin(), &[5.0, 5.0]), ["4.4", "4.6", "4.8", "5", "5.2", "5.4", "5.6"]);
        let fixed = Axis { min: Some(0.0), max: Some(1.0), ..lin() };
        assert_eq!(ticks(&fixed, &[0.13, 0.42]), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        let log = Axis::log("x");
        assert_eq!(ticks(&log, &[0.05, 0.0, -3.0, 420.0]), ["0.01", "0.1", "1", "10", "100", "1000"]);
        assert_eq!(ticks(&log, &[20_000.0, 3e6]), ["10k", "100k", "1M", "10M"]);
        assert_eq!(ticks(&log, &[5.0]), ["1", "10"]);
        assert_eq!(ticks(&log, &[1e-9, 1e9]).len(), 7, "19 decades take a tick every 3rd");
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(fmt_num(0.1 + 0.2, 0.1), "0.3");
        assert_eq!(fmt_num(-0.0001, 0.1), "0");
        assert_eq!(fmt_num(1234.0, 1.0), "1234");
        assert_eq!(fmt_num(12_500.0, 500.0), "12.5k");
        assert_eq!(fmt_num(1_500_000.0, 500_000.0), "1.5M");
        assert_eq!(fmt_num(0.05, 0.05), "0.05");
        assert_eq!([fmt_num(2.5e9, 5e8), fmt_num(-1e300, 1e299)], ["2.5G", "-1.0e300"]);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc(r#"a & b <c> "d""#), "a &amp; b &lt;c&gt; &quot;d&quot;");
        let svg = line_chart(r#"p<99> & "x""#, &lin(), &lin(), &[ser("a<b", &[(0.0, 1.0)])], false);
        assert!(svg.contains(">p&lt;99&gt; &amp; &quot;x&quot;</text>") && svg.contains(">a&lt;b</text>"));
        assert!(!svg.contains("a<b"));
        assert_eq!(
            (shorten("scenario-number-11", 14).as_str(), shorten("ok", 2).as_str()),
            ("scenari…ber-11", "ok")
        );
    }

    #[test]
    fn legends_list_every_series_in_palette_order() {
        let line = line_chart("t", &lin(), &lin(), &[ser("alpha", &[]), ser("beta", &[(1.0, 2.0)])], false);
        assert!(line.contains(">alpha</text>") && line.contains(">beta</text>"));
        let swatch = |c: &str| line.find(&format!(r#"fill="{c}" transform"#)).unwrap();
        assert!(swatch(PALETTE[0]) < swatch(PALETTE[1]));
        let bars = [Bars { name: "MostAllocated".into(), values: vec![1.0], errors: None }];
        assert!(bar_chart("t", "nodes", &["a".to_string()], &bars).contains(">MostAllocated</text>"));
        let pts = [Points { name: "plans".into(), points: vec![(1.0, 1.0)], ..Points::default() }];
        assert!(scatter_chart("t", &lin(), &lin(), &pts).contains(">plans</text>"));
        let many: Vec<Series> = (0..30).map(|i| ser(&format!("s{i}"), &[(i as f64, 1.0)])).collect();
        assert!(line_chart("many", &lin(), &lin(), &many, false).contains(">+12 more</text>"));
    }

    #[test]
    fn cdf_step_path_holds_each_value_until_the_next_x() {
        let cdf = ser("cdf", &[(1.0, 0.25), (2.0, 0.5), (4.0, 0.75), (8.0, 1.0)]);
        let svg = line_chart("cdf", &Axis::log("latency (s)"), &Axis::linear("fraction"), &[cdf], true);
        valid(&svg);
        let points = svg.split(r#"points=""#).nth(1).unwrap().split('"').next().unwrap();
        let xy: Vec<Vec<&str>> = points.split(' ').map(|p| p.split(',').collect()).collect();
        assert_eq!(xy.len(), 7);
        assert_eq!((xy[1][0], xy[1][1]), (xy[2][0], xy[0][1]), "second vertex: next x, previous y");
        assert!(!svg.contains("<circle cx"), "no markers on step lines");
    }

    #[test]
    fn unusable_values_are_skipped() {
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let s = [ser("s", &[(nan, 1.0), (1.0, nan), (inf, 2.0), (0.0, 5.0), (2.0, -1.0), (3.0, 4.0)])];
        let svg = line_chart("t", &lin(), &lin(), &s, false);
        valid(&svg);
        assert_eq!(svg.matches("<circle cx").count(), 3);
        let svg = line_chart("t", &Axis::log("x"), &Axis::log("y"), &s, true);
        valid(&svg);
        assert!(svg.contains("<circle cx") && !svg.contains("<polyline"), "one point left: a marker");
        let errors = Some(vec![(nan, 1.0), (1.5, 2.5)]);
        let svg = bar_chart(
            "t",
            "y",
            &["a".into(), "b".into()],
            &[Bars { values: vec![nan, 2.0], errors, ..Bars::default() }],
        );
        valid(&svg);
        assert_eq!((svg.matches("<path").count(), svg.matches(r##"fill="#0072B2""##).count()), (1, 2));
        let (points, labels) = (vec![(nan, nan), (1.0, 2.0)], vec!["x".into()]);
        let pts = Points { points, labels, highlight: Some(0), ..Points::default() };
        valid(&scatter_chart("t", &Axis::log("x"), &lin(), &[pts]));
    }

    #[test]
    fn degenerate_input_does_not_panic() {
        let log = Axis::log("y");
        let inverted = Axis { min: Some(5.0), max: Some(1.0), ..lin() };
        valid(&line_chart("", &lin(), &log, &[], false));
        valid(&line_chart("empty", &lin(), &log, &[ser("empty", &[])], true));
        valid(&line_chart("one", &lin(), &log, &[ser("one", &[(3.0, 3.0)])], false));
        valid(&line_chart("zeros", &lin(), &lin(), &[ser("f", &[(0.0, 0.0), (0.0, 0.0)])], false));
        valid(&line_chart("inverted", &inverted, &inverted, &[ser("f", &[(2.0, 2.0)])], false));
        valid(&bar_chart("none", "y", &[], &[]));
        valid(&bar_chart("zero", "y", &["a".into()], &[Bars { values: vec![0.0], ..Bars::default() }]));
        let points = vec![(1e300, -1e300), (-1e300, 1e300), (f64::MAX, f64::MIN)];
        valid(&scatter_chart(
            "far",
            &lin(),
            &lin(),
            &[Points { points, highlight: Some(9), ..Points::default() }],
        ));
    }

    #[test]
    fn output_is_deterministic() {
        let s = [ser("a", &[(0.0, 0.1), (1.5, 0.7)]), ser("b", &[(0.2, 0.3)])];
        let a = line_chart("t", &lin(), &lin(), &s, false);
        assert_eq!(a, line_chart("t", &lin(), &lin(), &s.clone(), false));
        let diagonal = line_chart("t", &lin(), &lin(), &[ser("d", &[(0.0, 0.0), (1.0, 1.0)])], false);
        assert!(diagonal.contains(r##"<polyline stroke="#0072B2" points="72.0,416.0 624.0,44.0"/>"##));
    }
}
