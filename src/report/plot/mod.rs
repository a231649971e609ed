//! Report charts drawn with plotters: line charts (straight or step-after, for CDFs), grouped
//! bar charts with error bars, and labelled scatter charts, each written as SVG (inlined in
//! `report.html`) and as PNG beside it.
//!
//! A chart is data ([`Chart`]) until it is drawn, so the SVG and the PNG come from one
//! description. Every chart is 800×480: white background, a bold title, labelled axes with
//! "nice" ticks (1-2-5 steps, whole numbers for counts, or powers of ten on a log axis), light
//! grid lines and a legend right of the plot. Series take the Okabe–Ito colour-blind-friendly
//! palette in order. No series hides another: a line identical to an earlier one is drawn
//! dashed and its legend says which it repeats, a line sharing at least half its points with an
//! earlier one is dashed too, lines joined by straight segments carry a marker shape each, and
//! bars carry their values. A chart with nothing to draw shows its note ("no pod waited")
//! instead of an empty frame. Text is drawn with the bundled DejaVu Sans and DejaVu Sans Bold
//! (`assets/fonts`), registered with plotters' `ab_glyph` backend for layout; the PNG's text is
//! laid out by `png::Png` as the SVG shows it, so PNGs need no system font and read like the
//! SVGs. The output depends only on the data: the same input gives byte-identical files.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

mod draw;
mod png;
mod scale;

use crate::error::SimError;

/// Chart size in pixels.
pub const SIZE: (u32, u32) = (800, 480);
/// Size of a chart that only says why it has nothing to draw.
const NOTE_SIZE: (u32, u32) = (800, 120);

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, for titles (same licence, `assets/fonts/DejaVuSans-Bold-LICENSE.txt`).
static FONT_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the bundled fonts as plotters' `sans-serif`, normal and bold (once per process).
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (style, bytes) in [(FontStyle::Normal, FONT), (FontStyle::Bold, FONT_BOLD)] {
            if plotters::style::register_font("sans-serif", style, bytes).is_err() {
                unreachable!("the bundled fonts parse");
            }
        }
    });
}

/// One line of a [`line_chart`]: `points` are `(x, y)` pairs in the units of the chart's axes,
/// drawn in the given order (sort by x first for a CDF or time series).
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

    /// This axis starting at `min`.
    pub fn from(self, min: f64) -> Axis {
        Axis { min: Some(min), ..self }
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

/// What a chart draws.
#[derive(Clone, Debug)]
enum Body {
    Line { x: Axis, y: Axis, series: Vec<Series>, step: bool },
    Bars { y_label: String, categories: Vec<String>, bars: Vec<Bars> },
    Scatter { x: Axis, y: Axis, series: Vec<Points> },
}

/// A chart described, drawn by [`Chart::svg`] and [`Chart::write`].
#[derive(Clone, Debug)]
pub struct Chart {
    title: String,
    body: Body,
    empty: String,
}

/// Line chart of `series` against axes `x` and `y`. With `step = false` points are joined by
/// straight segments (short series also get markers); with `step = true` each point's y holds
/// until the next point's x (step-after), for CDFs and piecewise-constant series.
pub fn line_chart(title: &str, x: &Axis, y: &Axis, series: &[Series], step: bool) -> Chart {
    let body = Body::Line { x: x.clone(), y: y.clone(), series: series.to_vec(), step };
    Chart { title: title.to_string(), body, empty: "nothing to draw: no data points".into() }
}

/// Grouped bar chart: one group per category along x, one bar per [`Bars`] series in each
/// group, bars rising from zero, with optional error bars. `y_label` names the y axis.
pub fn bar_chart(title: &str, y_label: &str, categories: &[String], bars: &[Bars]) -> Chart {
    let body =
        Body::Bars { y_label: y_label.to_string(), categories: categories.to_vec(), bars: bars.to_vec() };
    Chart { title: title.to_string(), body, empty: "nothing to draw: every value is 0".into() }
}

/// Scatter chart: a dot per point, its label (if any) beside it, and each series' `highlight`
/// point drawn larger and ringed. Used for the cost-vs-SLO-margin frontier of capacity plans.
pub fn scatter_chart(title: &str, x: &Axis, y: &Axis, series: &[Points]) -> Chart {
    let body = Body::Scatter { x: x.clone(), y: y.clone(), series: series.to_vec() };
    Chart { title: title.to_string(), body, empty: "nothing to draw: no data points".into() }
}

impl Chart {
    /// The same chart saying `note` instead of drawing an empty frame when it has no data.
    pub fn when_empty(mut self, note: &str) -> Chart {
        self.empty = note.to_string();
        self
    }

    /// A line chart whose every value is 0 shows `note` instead (a flat line at 0 looks like
    /// a missing chart).
    pub fn note_if_all_zero(mut self, note: &str) -> Chart {
        if let Body::Line { series, .. } = &mut self.body
            && series.iter().flat_map(|s| &s.points).all(|p| p.1 == 0.0 || !p.1.is_finite())
        {
            series.clear();
            self.empty = note.to_string();
        }
        self
    }

    /// Whether any value can be drawn (for bars: any value not 0).
    pub fn has_data(&self) -> bool {
        match &self.body {
            Body::Line { x, y, series, .. } => {
                series.iter().flat_map(|s| &s.points).any(|&(a, b)| scale::ok(x, a) && scale::ok(y, b))
            }
            Body::Bars { categories, bars, .. } => bars
                .iter()
                .any(|b| b.values.iter().take(categories.len()).any(|v| v.is_finite() && *v != 0.0)),
            Body::Scatter { x, y, series } => {
                series.iter().flat_map(|s| &s.points).any(|&(a, b)| scale::ok(x, a) && scale::ok(y, b))
            }
        }
    }

    /// Pixel size: [`SIZE`], or a short strip for a chart with nothing to draw.
    pub fn size(&self) -> (u32, u32) {
        if self.has_data() { SIZE } else { NOTE_SIZE }
    }

    /// The chart's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// What the chart says instead of drawing, when it has nothing to draw (`None` when it
    /// draws).
    pub fn note(&self) -> Option<&str> {
        (!self.has_data()).then_some(self.empty.as_str())
    }

    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        register_font();
        let mut out = String::new();
        let drawn = {
            let root = SVGBackend::with_string(&mut out, self.size()).into_drawing_area();
            self.draw(&root).and_then(|()| root.present().map_err(|e| e.to_string()))
        };
        match drawn {
            Ok(()) => out,
            // Unreachable with the bundled font; a page still shows what went wrong.
            Err(e) => format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"60\"><text x=\"10\" \
                 y=\"30\">chart not drawn: {}</text></svg>",
                super::html::escape(&e)
            ),
        }
    }

    /// Writes `<stem>.svg` and `<stem>.png` into `dir` and returns the SVG.
    ///
    /// # Errors
    /// [`SimError::Output`] when a file cannot be written.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<String, SimError> {
        let err = |p: &Path, e: String| SimError::Output { path: p.to_path_buf(), message: e };
        let svg = self.svg();
        let path = dir.join(format!("{stem}.svg"));
        std::fs::write(&path, &svg).map_err(|e| err(&path, e.to_string()))?;
        let path = dir.join(format!("{stem}.png"));
        let root = png::Png(BitMapBackend::new(&path, self.size())).into_drawing_area();
        self.draw(&root)
            .and_then(|()| root.present().map_err(|e| e.to_string()))
            .map_err(|e| err(&path, e))?;
        Ok(svg)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(draw::e)?;
        let title = scale::shorten(&self.title, 80);
        let font = ("sans-serif", 17, FontStyle::Bold).into_font().color(&BLACK);
        let root = root.titled(&title, font).map_err(draw::e)?;
        if !self.has_data() {
            return draw::note(&root, &self.empty);
        }
        let (plot, legend) = root.split_horizontally(SIZE.0 - 190);
        match &self.body {
            Body::Line { x, y, series, step } => {
                let keys = draw::line(&plot, x, y, series, *step)?;
                draw::legend(&legend, &keys)
            }
            Body::Bars { y_label, categories, bars } => {
                draw::bars(&plot, y_label, categories, bars)?;
                let keys: Vec<draw::Key> =
                    bars.iter().map(|b| draw::Key::new(&b.name, draw::Swatch::Box)).collect();
                draw::legend(&legend, &keys)
            }
            Body::Scatter { x, y, series } => {
                draw::scatter(&plot, x, y, series)?;
                let keys: Vec<draw::Key> =
                    series.iter().map(|p| draw::Key::new(&p.name, draw::Swatch::Dot)).collect();
                draw::legend(&legend, &keys)
            }
        }
    }
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
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        for bad in ["NaN", "inf", "0000000"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
    }

    #[test]
    fn legends_name_every_series_and_mark_repeats() {
        let same = [(0.0, 1.0), (1.0, 2.0)];
        let svg = line_chart("t", &lin(), &lin(), &[ser("alpha", &same), ser("beta", &same)], false).svg();
        valid(&svg);
        assert!(svg.contains("alpha") && svg.contains("beta (same as alpha)"), "{svg}");
        let bars = [Bars { name: "MostAllocated".into(), values: vec![1.0], errors: Some(vec![(0.5, 1.5)]) }];
        assert!(bar_chart("t", "nodes", &["a".to_string()], &bars).svg().contains("MostAllocated"));
        let pts = [Points { name: "plans".into(), points: vec![(1.0, 1.0)], ..Points::default() }];
        assert!(scatter_chart("t", &lin(), &lin(), &pts).svg().contains("plans"));
    }

    #[test]
    fn empty_charts_say_so() {
        let svg = line_chart("CDF", &Axis::log("s"), &lin(), &[ser("a", &[(0.0, 1.0)])], true)
            .when_empty("no pod waited")
            .svg();
        valid(&svg);
        assert!(svg.contains("no pod waited") && !svg.contains("<polyline"));
        let flat = line_chart("f", &lin(), &lin(), &[ser("a", &[(0.0, 0.0), (1.0, 0.0)])], true);
        assert!(flat.has_data() && !flat.note_if_all_zero("nothing stranded").has_data());
        let bars = bar_chart("none", "y", &[], &[]);
        assert!(!bars.has_data() && bars.svg().contains("nothing to draw"));
    }

    #[test]
    fn unusable_values_do_not_panic_or_leak() {
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let s = [ser("s", &[(nan, 1.0), (1.0, nan), (inf, 2.0), (0.0, 5.0), (2.0, -1.0), (3.0, 4.0)])];
        valid(&line_chart("t", &lin(), &lin(), &s, false).svg());
        valid(&line_chart("t", &Axis::log("x"), &Axis::log("y"), &s, true).svg());
        let errors = Some(vec![(nan, 1.0), (1.5, 2.5)]);
        let b = [Bars { values: vec![nan, 2.0], errors, ..Bars::default() }];
        valid(&bar_chart("t", "y", &["a".into(), "b".into()], &b).svg());
        let far = vec![(1e300, -1e300), (-1e300, 1e300), (f64::MAX, f64::MIN), (1.0, 2.0)];
        let pts = [Points { points: far, labels: vec!["x".into()], highlight: Some(9), ..Points::default() }];
        valid(&scatter_chart("far", &lin(), &lin(), &pts).svg());
        let inverted = Axis { min: Some(5.0), max: Some(1.0), ..lin() };
        valid(&line_chart("inverted", &inverted, &inverted, &[ser("f", &[(2.0, 2.0)])], false).svg());
    }

    #[test]
    fn output_is_deterministic_and_png_is_written() {
        let s = [ser("a", &[(0.0, 0.1), (1.5, 0.7)]), ser("b", &[(0.2, 0.3)])];
        let c = line_chart("t", &lin(), &lin(), &s, false);
        assert_eq!(c.svg(), c.clone().svg());
        let dir = tempfile::tempdir().unwrap();
        let svg = c.write(dir.path(), "x").unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("x.svg")).unwrap(), svg);
        let png = std::fs::read(dir.path().join("x.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
