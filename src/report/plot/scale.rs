//! Axis arithmetic shared by every chart: fitting an axis to the data, "nice" ticks (1-2-5
//! steps, or powers of ten on a log axis) and compact tick labels. Pure functions of their
//! inputs, so the same data always gives the same axis.

use super::Axis;

/// Formats `v` compactly to the precision of `step` (the tick spacing): `0.30000000000000004` with
/// step 0.1 is `0.3`, trailing zeros are dropped, and values of 10,000 and more take `k`, `M` or `G`
/// (scientific notation from 10¹²).
pub(super) fn fmt_num(v: f64, step: f64) -> String {
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

/// Ticks covering `lo..=hi` at a 1-2-5 step aiming at about five intervals, and that step; the
/// step is at least `min_step` (1 for counts, so no tick falls between two whole numbers).
pub(super) fn nice_ticks(lo: f64, hi: f64, min_step: f64) -> (Vec<f64>, f64) {
    let raw = ((hi - lo) / 5.0).max(min_step);
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
pub(super) fn ok(axis: &Axis, v: f64) -> bool {
    v.is_finite() && (!axis.log || v > 0.0)
}

/// A fitted axis: its ends in data units, its ticks, and the tick step (0 on a log axis).
#[derive(Clone, Debug)]
pub(super) struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub ticks: Vec<f64>,
    pub step: f64,
}

impl Scale {
    pub fn new(axis: &Axis, values: impl Iterator<Item = f64>) -> Scale {
        let log = axis.log;
        let mut integral = true;
        let fit = values.filter(|&v| ok(axis, v)).fold((f64::INFINITY, -f64::INFINITY), |(a, b), v| {
            integral &= v.fract() == 0.0;
            (a.min(v), b.max(v))
        });
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
            // Whole-number data (counts) gets whole-number ticks.
            let (ticks, step) = nice_ticks(lo, hi, if integral && fit.0.is_finite() { 1.0 } else { 0.0 });
            let (first, last) = (ticks[0].min(lo), ticks[ticks.len() - 1].max(hi));
            // Data at the top tick would run along the plot's top edge: leave 3 % above it.
            let room = if last - hi < 0.02 * (last - first) { 0.03 * (last - first) } else { 0.0 };
            lo = fix_lo.unwrap_or(first);
            hi = fix_hi.unwrap_or(last + room);
            (ticks, step)
        };
        let eps = (hi - lo) * 1e-9;
        let mut ticks: Vec<f64> = ticks.into_iter().filter(|&t| t >= lo - eps && t <= hi + eps).collect();
        if ticks.is_empty() {
            ticks = vec![lo, hi];
        }
        Scale { lo, hi, log, ticks, step }
    }

    /// `v` in the chart's (linear) coordinates: log10 on a log axis; `None` if not drawable.
    pub fn to(&self, v: f64) -> Option<f64> {
        let t = if self.log { (v > 0.0).then(|| v.log10())? } else { v };
        t.is_finite().then_some(t)
    }

    /// `v` in chart coordinates, clamped into the axis (for markers that must stay visible).
    pub fn clamped(&self, v: f64) -> Option<f64> {
        self.to(v.clamp(self.lo, self.hi))
    }

    /// The axis' ends in chart coordinates.
    pub fn range(&self) -> std::ops::Range<f64> {
        let (a, b) = (self.to(self.lo).unwrap_or(0.0), self.to(self.hi).unwrap_or(1.0));
        if b > a { a..b } else { a..a + 1.0 }
    }

    /// The ticks in chart coordinates.
    pub fn keys(&self) -> Vec<f64> {
        self.ticks.iter().filter_map(|&t| self.to(t)).collect()
    }

    /// The label of the tick at chart coordinate `c`.
    pub fn label(&self, c: f64) -> String {
        let t = if self.log { 10f64.powf(c) } else { c };
        fmt_num(t, if self.step > 0.0 { self.step } else { t.abs() })
    }
}

/// `text` cut to `max` characters by an ellipsis in the middle, keeping distinguishing suffixes
/// such as `node-17`.
pub(super) fn shorten(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_string();
    }
    let (head, tail) = (max.saturating_sub(1).div_ceil(2), max.saturating_sub(1) / 2);
    chars[..head].iter().chain(['…'].iter()).chain(&chars[chars.len() - tail..]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lin() -> Axis {
        Axis::linear("x (s)")
    }

    fn ticks(axis: &Axis, values: &[f64]) -> Vec<String> {
        let s = Scale::new(axis, values.iter().copied());
        s.keys().iter().map(|&t| s.label(t)).collect()
    }

    #[test]
    fn linear_ticks_use_1_2_5_steps() {
        assert_eq!(nice_ticks(0.0, 97.0, 0.0), (vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0], 20.0));
        assert_eq!(nice_ticks(0.0, 1.0, 1.0), (vec![0.0, 1.0], 1.0), "counts: no tick at 0.2");
        assert_eq!(ticks(&lin(), &[0.0, 1.0, 0.0]), ["0", "1"]);
        assert_eq!(ticks(&lin(), &[0.0, 0.5]), ["0", "0.1", "0.2", "0.3", "0.4", "0.5"]);
        assert_eq!(ticks(&lin(), &[0.0, 97.0]), ["0", "20", "40", "60", "80", "100"]);
        assert_eq!(ticks(&lin(), &[0.0, 0.3]), ["0", "0.1", "0.2", "0.3"]);
        assert_eq!(ticks(&lin(), &[-3.0, 7.0]), ["-4", "-2", "0", "2", "4", "6", "8"]);
        assert_eq!(ticks(&lin(), &[1.0, 1.9]), ["1", "1.2", "1.4", "1.6", "1.8", "2"]);
        assert_eq!(ticks(&lin(), &[0.0, 48_000.0]), ["0", "10k", "20k", "30k", "40k", "50k"]);
        assert_eq!(ticks(&lin(), &[5.5, 5.5]), ["4.5", "5", "5.5", "6", "6.5"]);
        assert_eq!(ticks(&lin(), &[5.0, 5.0]), ["4", "5", "6"], "a constant count");
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
    fn long_names_keep_both_ends() {
        assert_eq!(shorten("scenario-number-11", 14), "scenari…ber-11");
        assert_eq!(shorten("ok", 2), "ok");
    }
}
