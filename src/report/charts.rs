//! Chart builders shared by every results folder (the pending-time CDF, series over time) and
//! the seed-list formatting of report captions. The single run's page is `run_report`; the
//! comparison's own charts are in `experiment::compare_report`.

use hdrhistogram::Histogram;

use super::digest::RunDigest;
use super::plot::{Axis, Chart, Series, line_chart};
use crate::metrics::{MAX_PENDING_MS, Sample};

/// The pending-time CDF of each run group (a profile over its seeds, or one run): the runs'
/// histograms merged bucket by bucket, then the share of scheduled pods that waited at most x
/// seconds, in percent. Zero waits are drawn at 1 ms (the histogram's resolution) on the log
/// axis. Each legend entry says how many of its scheduled pods waited at all; when at least
/// 95 % of every group's pods were bound at once, the y axis starts at the lowest share instead
/// of 0, so the tail is not a line along the top edge. When no pod was scheduled, or none
/// waited, the chart says so instead ([`no_wait_note`]).
pub fn pending_cdf(title: &str, names: &[String], runs: &[Vec<RunDigest>]) -> Chart {
    let series: Vec<Series> = names
        .iter()
        .zip(runs)
        .map(|(name, rs)| {
            let mut h: Histogram<u64> =
                Histogram::new_with_bounds(1, MAX_PENDING_MS, 3).expect("valid histogram bounds");
            let mut waited = 0u64;
            for (ms, n) in rs.iter().flat_map(|r| &r.pending) {
                let _ = h.record_n(*ms, *n);
                if *ms > 0 {
                    waited += *n;
                }
            }
            let total = h.len().max(1) as f64;
            let mut seen = 0u64;
            let mut points = Vec::new();
            for v in h.iter_recorded() {
                seen += v.count_at_value();
                let x = (v.value_iterated_to() as f64 / 1000.0).max(0.001);
                points.push((x, 100.0 * seen as f64 / total));
            }
            Series { name: format!("{name} ({waited} of {} waited)", h.len()), points }
        })
        .collect();
    let x = Axis::log("pending time (s, log scale; 0 drawn at 1 ms)");
    let lowest = series.iter().filter_map(|s| s.points.first()).map(|p| p.1).fold(100.0, f64::min);
    let y = if lowest >= 95.0 {
        Axis { max: Some(100.0), ..Axis::linear("scheduled pods (%, not from 0)") }
    } else {
        Axis { max: Some(100.0), ..Axis::linear("scheduled pods (%)").from(0.0) }
    };
    match no_wait_note(runs) {
        Some(note) => line_chart(title, &x, &y, &[], true).when_empty(&note),
        None => line_chart(title, &x, &y, &series, true),
    }
}

/// What a pending-time chart says when it has nothing to draw because no pod waited: `"no pod
/// was scheduled"` when none was, else `"no pod waited: all N scheduled pods were bound at
/// once"` (N over every run of `runs`); `None` when some pod waited.
pub fn no_wait_note(runs: &[Vec<RunDigest>]) -> Option<String> {
    let (mut scheduled, mut waited) = (0u64, 0u64);
    for &(ms, n) in runs.iter().flatten().flat_map(|r| &r.pending) {
        scheduled += n;
        if ms > 0 {
            waited += n;
        }
    }
    match (scheduled, waited) {
        (0, _) => Some("no pod was scheduled".to_string()),
        (n, 0) => Some(format!("no pod waited: all {n} scheduled pods were bound at once")),
        _ => None,
    }
}

/// Time unit for a span of `max_s` seconds: (divisor, axis label).
pub fn time_unit(max_s: f64) -> (f64, &'static str) {
    if max_s >= 10.0 * 86400.0 {
        (86400.0, "virtual time (days)")
    } else if max_s >= 4.0 * 3600.0 {
        (3600.0, "virtual time (h)")
    } else if max_s >= 600.0 {
        (60.0, "virtual time (min)")
    } else {
        (1.0, "virtual time (s)")
    }
}

/// A line per profile of `get` over the first seed's samples; `percent` draws fractions as
/// percent.
pub fn over_time(
    title: &str,
    y_label: &str,
    names: &[String],
    series: &[&[Sample]],
    get: fn(&Sample) -> f64,
    percent: bool,
) -> Chart {
    let max_s = series.iter().flat_map(|s| s.last()).map(|s| s.time_s).fold(0.0, f64::max);
    let (div, label) = time_unit(max_s);
    let k = if percent { 100.0 } else { 1.0 };
    let lines: Vec<Series> = names
        .iter()
        .zip(series)
        .map(|(name, ss)| Series {
            name: name.clone(),
            points: ss.iter().map(|s| (s.time_s / div, get(s) * k)).collect(),
        })
        .collect();
    line_chart(title, &Axis::linear(label), &Axis::linear(y_label).from(0.0), &lines, true)
}

/// One named quantity of a sample, `None` where the run did not record it.
pub type Column = (&'static str, fn(&Sample) -> Option<f64>);

/// Several quantities of one run's samples over time, a line each; a column never recorded is
/// left out, and with `skip_zero` so is one that is 0 throughout.
pub fn columns_over_time(
    title: &str,
    y_label: &str,
    samples: &[Sample],
    columns: &[Column],
    skip_zero: bool,
) -> Chart {
    let (div, label) = time_unit(samples.last().map_or(0.0, |s| s.time_s));
    let lines: Vec<Series> = columns
        .iter()
        .map(|(name, get)| Series {
            name: name.to_string(),
            points: samples.iter().filter_map(|s| Some((s.time_s / div, get(s)?))).collect(),
        })
        .filter(|s| s.points.iter().any(|p| !skip_zero || p.1 != 0.0))
        .collect();
    line_chart(title, &Axis::linear(label), &Axis::linear(y_label).from(0.0), &lines, true)
}

/// Seeds written compactly: `42 to 57` for a consecutive run, else comma-separated.
pub fn seed_list(seeds: &[u64]) -> String {
    match seeds {
        [] => String::new(),
        [a] => a.to_string(),
        [a, .., b] if seeds.windows(2).all(|w| w[1] == w[0] + 1) => format!("{a} to {b}"),
        _ => seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_lists_read_as_words_not_rust_ranges() {
        assert_eq!(seed_list(&[1, 2, 3, 4, 5, 6, 7, 8]), "1 to 8");
        assert_eq!(seed_list(&[42]), "42");
        assert_eq!(seed_list(&[1, 3, 4]), "1, 3, 4");
    }

    fn digest(pending: &[(u64, u64)]) -> RunDigest {
        RunDigest { pending: pending.to_vec(), ..RunDigest::default() }
    }

    #[test]
    fn pending_notes_say_whether_pods_were_scheduled_or_waited() {
        assert_eq!(
            no_wait_note(&[vec![digest(&[])], vec![digest(&[])]]).as_deref(),
            Some("no pod was scheduled")
        );
        let at_once = [vec![digest(&[(0, 3)]), digest(&[(0, 4)])]];
        assert_eq!(
            no_wait_note(&at_once).as_deref(),
            Some("no pod waited: all 7 scheduled pods were bound at once")
        );
        assert_eq!(no_wait_note(&[vec![digest(&[(0, 3), (10, 1)])]]), None);
        let names = ["seed 1".to_string()];
        let cdf = pending_cdf("CDF", &names, &at_once);
        assert_eq!(cdf.note(), Some("no pod waited: all 7 scheduled pods were bound at once"));
    }

    /// One pod of 8,151 waited: the legend says so and the y axis does not start at 0, so the
    /// CDF is not a line along the top edge.
    #[test]
    fn a_cdf_of_few_waits_counts_them_and_zooms_in() {
        let names = ["seed 1".to_string()];
        let cdf = pending_cdf("CDF", &names, &[vec![digest(&[(0, 8150), (2000, 1)])]]);
        let svg = cdf.svg();
        assert!(svg.contains("seed 1 (1 of 8151 waited)"), "{svg}");
        assert!(svg.contains("scheduled pods (%, not from 0)"), "{svg}");
        let many = pending_cdf("CDF", &names, &[vec![digest(&[(0, 50), (2000, 50)])]]).svg();
        assert!(many.contains("seed 1 (50 of 100 waited)") && many.contains("scheduled pods (%)"), "{many}");
    }
}
