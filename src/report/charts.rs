//! Charts shared by every results folder (the pending-time CDF, series over time) and the
//! `report.html` of a single run. The comparison's own charts are in `experiment::compare_report`.

use std::path::Path;

use hdrhistogram::Histogram;

use super::digest::RunDigest;
use super::html::Page;
use super::svg::{Axis, Series, line_chart};
use crate::error::SimError;
use crate::metrics::{MAX_PENDING_MS, Sample};

fn out_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

/// An axis without bounds.
pub(crate) fn axis(label: &str) -> Axis {
    Axis { label: label.to_string(), log: false, min: None, max: None }
}

/// The pending-time CDF of each profile over all its seeds: the runs' histograms merged bucket
/// by bucket, then the fraction of scheduled pods that waited at most x seconds. Zero waits are
/// drawn at 1 ms (the histogram's resolution) on the log axis.
pub fn pending_cdf(names: &[String], runs: &[Vec<RunDigest>]) -> String {
    let series: Vec<Series> = names
        .iter()
        .zip(runs)
        .map(|(name, rs)| {
            let mut h: Histogram<u64> =
                Histogram::new_with_bounds(1, MAX_PENDING_MS, 3).expect("valid histogram bounds");
            for (ms, n) in rs.iter().flat_map(|r| &r.pending) {
                let _ = h.record_n(*ms, *n);
            }
            let total = h.len().max(1) as f64;
            let mut seen = 0u64;
            let mut points = Vec::new();
            for v in h.iter_recorded() {
                seen += v.count_at_value();
                let x = (v.value_iterated_to() as f64 / 1000.0).max(0.001);
                points.push((x, seen as f64 / total));
            }
            Series { name: name.clone(), points }
        })
        .collect();
    let x = Axis { log: true, ..axis("pending time (s, log scale; 0 drawn at 1 ms)") };
    let y = Axis { min: Some(0.0), max: Some(1.0), ..axis("fraction of scheduled pods") };
    line_chart("Pending time CDF per profile (all seeds)", &x, &y, &series, true)
}

/// Time unit for a span of `max_s` seconds: (divisor, axis label).
fn time_unit(max_s: f64) -> (f64, &'static str) {
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

/// A line per profile of `get` over the first seed's samples.
pub fn over_time(
    title: &str,
    y_label: &str,
    names: &[String],
    series: &[&[Sample]],
    get: fn(&Sample) -> f64,
    fraction: bool,
) -> String {
    let max_s = series.iter().flat_map(|s| s.last()).map(|s| s.time_s).fold(0.0, f64::max);
    let (div, label) = time_unit(max_s);
    let lines: Vec<Series> = names
        .iter()
        .zip(series)
        .map(|(name, ss)| Series {
            name: name.clone(),
            points: ss
                .iter()
                .map(|s| (s.time_s / div, get(s) * if fraction { 100.0 } else { 1.0 }))
                .collect(),
        })
        .collect();
    let y = Axis { min: Some(0.0), ..axis(y_label) };
    line_chart(title, &axis(label), &y, &lines, true)
}

/// Seeds written compactly: `42..=57` for a consecutive run, else comma-separated.
pub fn seed_list(seeds: &[u64]) -> String {
    match seeds {
        [] => String::new(),
        [a] => a.to_string(),
        [a, .., b] if seeds.windows(2).all(|w| w[1] == w[0] + 1) => format!("{a}..={b}"),
        _ => seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    }
}

/// Writes `report.html` of a single run's results folder (the summary, the pending-time CDF and
/// the time series charts, the scenario) into `dir`.
///
/// # Errors
/// [`SimError::Output`] when the file cannot be written.
pub fn write_run_report(dir: &Path, d: &RunDigest, scenario_text: &str) -> Result<(), SimError> {
    let s = &d.summary;
    let names = [format!("seed {}", s.seed)];
    let runs = [vec![d.clone()]];
    let series: [&[Sample]; 1] = [&d.series];
    let mut page = Page::new(&format!("capsim run: {} (seed {})", s.scenario, s.seed));
    let (header, values) = super::summary_record(s).map_err(|e| out_err(dir, e))?;
    let rows: Vec<Vec<String>> = header.into_iter().zip(values).map(|(h, v)| vec![h, v]).collect();
    page.heading("Charts");
    page.chart(&pending_cdf(&names, &runs), "How long scheduled pods waited.");
    type Chart = (&'static str, &'static str, fn(&Sample) -> f64, bool);
    let charts: [Chart; 4] = [
        ("CPU allocated over time", "requested / allocatable cpu (%)", |x| x.cpu_allocated, true),
        ("Memory allocated over time", "requested / allocatable memory (%)", |x| x.memory_allocated, true),
        ("Nodes in use over time", "nodes with at least one pod", |x| x.nodes_used as f64, false),
        (
            "Fragmented cpu over time",
            "free cpu on nodes that can't fit the median pending pod (% of allocatable)",
            |x| x.cpu_fragmented,
            true,
        ),
    ];
    for (title, y, get, fraction) in charts {
        page.chart(&over_time(title, y, &names, &series, get, fraction), "");
    }
    if s.gpu_allocated_peak > 0.0 {
        let svg = over_time(
            "GPU allocated over time",
            "milli-GPU taken / capacity (%)",
            &names,
            &series,
            |x| x.gpu_allocated,
            true,
        );
        page.chart(&svg, "");
    }
    page.heading("Summary").table(&["metric", "value"], &rows);
    page.heading("Scenario").pre(scenario_text);
    std::fs::write(dir.join("report.html"), page.finish()).map_err(|e| out_err(dir, e))
}
