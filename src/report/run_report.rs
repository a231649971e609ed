//! `report.html` and `charts/` of a single run's results folder: the pending-time CDF,
//! allocation (and usage, with a runtime), nodes (and failed, not-ready and memory-pressure
//! nodes when there are any), pods, fragmentation, and, when the run has them, the runtime (OOM
//! kills, restarts and throttling over time by QoS class, and their totals by QoS class),
//! evictions by reason and DaemonSet coverage. Every chart is written as SVG and PNG and inlined
//! in the page; utilisation is in percent in the charts and the page's summary table alike.

use std::collections::BTreeMap;
use std::path::Path;

use super::charts::{Column, columns_over_time, pending_cdf, time_unit};
use super::digest::RunDigest;
use super::html::Page;
use super::plot::{Axis, Bars, Chart, Series, bar_chart, line_chart};
use super::summary::RuntimeSummary;
use crate::error::SimError;
use crate::metrics::{DaemonSetSample, FailureRecord, QOS_CLASSES, RuntimeSample, RuntimeTotals, Sample};

fn out_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

/// What a run recorded beyond its digest, for the charts of its dynamics.
#[derive(Clone, Copy, Debug)]
pub struct RunExtras<'a> {
    /// Runtime figures by scheduler and QoS class (empty without a runtime section).
    pub runtime: &'a [RuntimeSummary],
    /// Runtime counters by QoS class at every sample (empty without a runtime section).
    pub runtime_series: &'a [RuntimeSample],
    /// DaemonSet status samples.
    pub daemonsets: &'a [DaemonSetSample],
    /// Node failures.
    pub failures: &'a [FailureRecord],
    /// Evictions by reason.
    pub evictions: &'a BTreeMap<String, u64>,
}

/// Summary fields that are fractions of capacity (or of time), shown in percent on the pages.
pub const FRACTIONS: [&str; 11] = [
    "cpu_allocated_mean",
    "cpu_allocated_peak",
    "memory_allocated_mean",
    "memory_allocated_peak",
    "gpu_allocated_mean",
    "gpu_allocated_peak",
    "cpu_allocated_stddev_mean",
    "cpu_allocated_node_min_mean",
    "cpu_allocated_node_max_mean",
    "cpu_fragmented_mean",
    "throttled_fraction_p99",
];

/// `v` of metric `name` as the pages show it: a fraction in [`FRACTIONS`] as percent with two
/// decimals, anything else unchanged; with the metric's page name (`(%)` added).
pub fn shown(name: &str, v: f64) -> (String, String) {
    if FRACTIONS.contains(&name) {
        (format!("{name} (%)"), format!("{:.2}", v * 100.0))
    } else {
        (name.to_string(), readable(v, false))
    }
}

/// `x` for a reader: whole numbers from 1,000 up, else about four significant digits and at
/// most three decimals (`-2079.743` → `-2080`, `0.133818` → `0.134`, `8151` → `8151`), trailing
/// zeros dropped, with a sign when `signed`. The CSVs keep the full value.
pub fn readable(x: f64, signed: bool) -> String {
    let a = x.abs();
    let decimals = match a {
        a if a >= 1000.0 || a == 0.0 => 0,
        a if a >= 100.0 => 1,
        a if a >= 10.0 => 2,
        _ => 3,
    };
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "-0" {
        s = "0".into();
    }
    if signed && !s.starts_with('-') && s != "0" { format!("+{s}") } else { s }
}

/// The summary row for the page: fractions as percent (the name says so), the rest as written
/// in `summary.csv`.
fn summary_row(name: String, value: String) -> Vec<String> {
    match value.parse::<f64>() {
        Ok(v) if FRACTIONS.contains(&name.as_str()) => {
            vec![format!("{name} (%)"), format!("{:.2}", v * 100.0)]
        }
        Ok(v) if value.contains('.') => vec![name, readable(v, false)],
        _ => vec![name, value],
    }
}

const PCT: fn(f64) -> Option<f64> = |v| Some(v * 100.0);

/// What a chart of the cluster's nodes says when the cluster never had one.
pub const NO_NODE: &str = "the cluster had no node at any sample";

/// The run's charts: (file stem, chart, caption), in page order.
fn run_charts(d: &RunDigest, x: &RunExtras) -> Vec<(&'static str, Chart, &'static str)> {
    let s = &d.summary;
    let ss = &d.series;
    let no_node = ss.iter().all(|s| s.nodes == 0);
    let cdf_title = format!("Pending-time CDF (seed {})", s.seed);
    let mut charts = vec![(
        "pending_cdf",
        pending_cdf(&cdf_title, &[format!("seed {}", s.seed)], &[vec![d.clone()]]),
        "How long scheduled pods waited: further left and higher is better.",
    )];
    let mut alloc: Vec<Column> =
        vec![("cpu requested", |x| PCT(x.cpu_allocated)), ("memory requested", |x| PCT(x.memory_allocated))];
    if s.gpu_allocated_peak > 0.0 {
        alloc.push(("GPU taken", |x| PCT(x.gpu_allocated)));
    }
    let nothing = if no_node { NO_NODE } else { "no pod requested anything: 0 % throughout" };
    charts.push((
        "allocation",
        columns_over_time("Allocation over time", "requested / allocatable (%)", ss, &alloc, false)
            .note_if_all_zero(nothing),
        "Requests of bound pods over the cluster's allocatable, per resource.",
    ));
    if ss.iter().any(|s| s.cpu_used.is_some()) {
        let used: [Column; 2] =
            [("cpu used", |x| x.cpu_used.and_then(PCT)), ("memory used", |x| x.memory_used.and_then(PCT))];
        let nothing = if no_node { NO_NODE } else { "no container used anything: 0 % throughout" };
        charts.push((
            "usage",
            columns_over_time("Usage over time", "used / allocatable (%)", ss, &used, false)
                .note_if_all_zero(nothing),
            "What the containers used (the runtime section's usage model) over the cluster's allocatable; compare with the requests above.",
        ));
    }
    charts.push(("nodes", nodes_chart(ss), "Nodes with at least one pod bound (fewer for the same pods means tighter packing), and the nodes in the cluster when their number changes."));
    if let Some(chart) = node_problems_chart(ss, x.failures) {
        charts.push((
            "node_problems",
            chart,
            "Failed nodes (stopped heartbeating), nodes whose Ready condition is not True, and nodes under memory pressure; lines that stay at 0 are left out.",
        ));
    }
    let pods: [Column; 4] = [
        ("running", |x| Some(x.pods_running as f64)),
        ("pending", |x| Some(x.pods_pending as f64)),
        ("crash looping", |x| Some(x.pods_crash_looping as f64)),
        ("ended by the system", |x| Some(x.pods_failed as f64)),
    ];
    charts.push((
        "pods",
        columns_over_time("Pods over time", "pods", ss, &pods, true).when_empty("no pod was created"),
        "Bound and waiting pods (lines that stay at 0 are left out); crash looping: a container waiting out its restart back-off; ended by the system: evicted, preempted, lost or rejected (cumulative).",
    ));
    let frag: [Column; 4] = [
        ("stranded free cpu", |x| PCT(x.cpu_fragmented)),
        ("node cpu min", |x| PCT(x.cpu_allocated_node_min)),
        ("node cpu max", |x| PCT(x.cpu_allocated_node_max)),
        ("node cpu stddev", |x| PCT(x.cpu_allocated_stddev)),
    ];
    let nothing = if no_node { NO_NODE } else { "every node was empty at every sample: nothing to spread" };
    charts.push((
        "fragmentation",
        columns_over_time("Fragmentation and spread over nodes", "% of allocatable cpu", ss, &frag, false)
            .note_if_all_zero(nothing),
        "Stranded: free cpu on nodes too full for the median pending pod (0 when nothing waits); min, max and stddev of the nodes' requested / allocatable cpu.",
    ));
    if !x.runtime.is_empty() {
        charts.extend(runtime_over_time(x.runtime_series, x.runtime));
        charts.extend(runtime_charts(x.runtime));
    }
    if !x.evictions.is_empty() || !x.failures.is_empty() {
        let cats: Vec<String> = x.evictions.keys().cloned().collect();
        let bars = [Bars {
            name: "pods evicted".into(),
            values: x.evictions.values().map(|&v| v as f64).collect(),
            errors: None,
        }];
        charts.push((
            "evictions",
            bar_chart("Evictions by reason", "pods evicted", &cats, &bars).when_empty("no pod was evicted"),
            "Pods evicted over the run, by the reason the evicting component gave.",
        ));
    }
    if !x.daemonsets.is_empty() {
        charts.push((
            "daemonsets",
            coverage_chart(x.daemonsets),
            "Ready DaemonSet pods over the nodes that should run one.",
        ));
    }
    charts
}

/// Nodes over time: with at least one pod, and in the cluster when that changes (a constant
/// cluster size goes in the title instead: a line at 1,523 would flatten 50 nodes in use).
fn nodes_chart(ss: &[Sample]) -> Chart {
    let used: Column = ("with pods", |s| Some(s.nodes_used as f64));
    let total: Column = ("in the cluster", |s| Some(s.nodes as f64));
    match ss.first().map(|s| s.nodes) {
        Some(n) if n > 0 && ss.iter().all(|s| s.nodes == n) => {
            let title = format!("Nodes with pods over time ({n} in the cluster throughout)");
            columns_over_time(&title, "nodes with at least one pod", ss, &[used], false)
                .note_if_all_zero("no node had a pod at any sample")
        }
        _ => {
            columns_over_time("Nodes over time", "nodes", ss, &[total, used], false).note_if_all_zero(NO_NODE)
        }
    }
}

/// Failed (from the failure records), not-ready and memory-pressure nodes over time, each only
/// when it is ever above 0; `None` when none ever is. Apart from the nodes chart, so a handful of
/// failed nodes is not a line along the bottom of a chart of thousands.
fn node_problems_chart(ss: &[Sample], failures: &[FailureRecord]) -> Option<Chart> {
    let (div, label) = time_unit(ss.last().map_or(0.0, |s| s.time_s));
    let line = |name: &str, get: &dyn Fn(&Sample) -> usize| Series {
        name: name.to_string(),
        points: ss.iter().map(|s| (s.time_s / div, get(s) as f64)).collect(),
    };
    let failed = |s: &Sample| {
        failures
            .iter()
            .filter(|f| f.failed_s <= s.time_s && f.recovered_s.is_none_or(|r| s.time_s < r))
            .count()
    };
    let lines: Vec<Series> = [
        line("failed", &failed),
        line("not ready", &|s| s.nodes_not_ready),
        line("memory pressure", &|s| s.nodes_memory_pressure),
    ]
    .into_iter()
    .filter(|l| l.points.iter().any(|p| p.1 > 0.0))
    .collect();
    if lines.is_empty() {
        return None;
    }
    let y = Axis::linear("nodes").from(0.0);
    Some(line_chart(
        "Failed, not-ready and memory-pressure nodes over time",
        &Axis::linear(label),
        &y,
        &lines,
        true,
    ))
}

/// One runtime quantity over time (file stem, title, y axis, note when 0 throughout, caption).
type RuntimeQuantity =
    (&'static str, &'static str, &'static str, &'static str, &'static str, fn(&RuntimeTotals) -> f64);

/// OOM kills, restarts and throttled CPU so far, over time, a line per QoS class that ran pods.
fn runtime_over_time(
    rs: &[RuntimeSample],
    rt: &[RuntimeSummary],
) -> Vec<(&'static str, Chart, &'static str)> {
    let (div, label) = time_unit(rs.last().map_or(0.0, |s| s.time_s));
    let classes: Vec<usize> = (0..QOS_CLASSES.len())
        .filter(|&i| rt.iter().any(|r| r.qos_class == QOS_CLASSES[i].as_str()))
        .collect();
    let quantities: [RuntimeQuantity; 3] = [
        (
            "oom_kills_over_time",
            "OOM kills over time, by QoS class",
            "containers OOM-killed so far",
            "no container was OOM-killed",
            "Containers OOM-killed since the start (at their memory limit, or by the node's OOM killer), by the pod's QoS class.",
            |t| t.oom_kills as f64,
        ),
        (
            "restarts_over_time",
            "Container restarts over time, by QoS class",
            "containers restarted so far",
            "no container restarted",
            "Containers restarted by the kubelet since the start (after an OOM kill, with back-off), by the pod's QoS class.",
            |t| t.restarts as f64,
        ),
        (
            "throttling_over_time",
            "CPU throttled over time, by QoS class",
            "throttled CPU so far (CPU-seconds)",
            "no CPU was throttled",
            "CPU work that CFS quota deferred since the start, by the pod's QoS class.",
            |t| t.throttled_cpu_s,
        ),
    ];
    quantities
        .into_iter()
        .map(|(stem, title, y_label, note, caption, get)| {
            let lines: Vec<Series> = classes
                .iter()
                .map(|&i| Series {
                    name: QOS_CLASSES[i].as_str().to_string(),
                    points: rs.iter().map(|s| (s.time_s / div, get(&s.by_qos[i]))).collect(),
                })
                .collect();
            let y = Axis::linear(y_label).from(0.0);
            let chart = line_chart(title, &Axis::linear(label), &y, &lines, true).note_if_all_zero(note);
            (stem, chart, caption)
        })
        .collect()
}

/// OOM kills, restarts and pressure evictions, and throttling, by QoS class (and scheduler
/// when there are several), over the whole run.
fn runtime_charts(rt: &[RuntimeSummary]) -> Vec<(&'static str, Chart, &'static str)> {
    // The rows by scheduler and QoS class, without the totals (`all`).
    let rt: Vec<&RuntimeSummary> =
        rt.iter().filter(|r| r.scheduler != "all" && r.qos_class != "all").collect();
    let several = rt.iter().any(|r| r.scheduler != rt[0].scheduler);
    let cats: Vec<String> = rt
        .iter()
        .map(|r| if several { format!("{}/{}", r.scheduler, r.qos_class) } else { r.qos_class.clone() })
        .collect();
    let bars = |name: &str, get: fn(&RuntimeSummary) -> f64| Bars {
        name: name.to_string(),
        values: rt.iter().map(|r| get(r)).collect(),
        errors: None,
    };
    let events = [
        bars("OOM kills", |r| r.oom_kills as f64),
        bars("restarts", |r| r.restarts as f64),
        bars("pressure evictions", |r| r.pressure_evictions as f64),
    ];
    let events_chart = bar_chart(
        "OOM kills, restarts and pressure evictions by QoS class",
        "containers or pods",
        &cats,
        &events,
    )
    .when_empty("no OOM kill, restart or pressure eviction");
    let cpu = [bars("throttled", |r| r.throttled_cpu_s), bars("shortfall", |r| r.cpu_shortfall_s)];
    let cpu_chart = bar_chart("CPU throttling and shortfall by QoS class", "CPU-seconds", &cats, &cpu)
        .when_empty("no pod was throttled or short of CPU");
    vec![
        (
            "runtime_by_qos",
            events_chart,
            "Containers OOM-killed and restarted, pods evicted under memory pressure, over the whole run.",
        ),
        (
            "throttling_by_qos",
            cpu_chart,
            "CPU demand cut by CFS quota (throttled) and by contention (shortfall), over the whole run.",
        ),
    ]
}

/// Each DaemonSet's ready pods over its desired pods, in percent, over time. The y axis is
/// fitted to the lowest coverage (a dip to 95 % would be a hair on a 0–100 axis), or 0–105 %
/// when coverage is full throughout, and ends a little above 100 %, so full coverage is not
/// drawn along the top edge.
fn coverage_chart(ds: &[DaemonSetSample]) -> Chart {
    let (div, label) = time_unit(ds.iter().map(|d| d.time_s).fold(0.0, f64::max));
    let mut by: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for d in ds.iter().filter(|d| d.desired > 0) {
        by.entry(&d.daemonset).or_default().push((d.time_s / div, 100.0 * d.ready as f64 / d.desired as f64));
    }
    let lowest = by.values().flatten().map(|p| p.1).fold(100.0, f64::min);
    let lines: Vec<Series> = by.into_iter().map(|(n, p)| Series { name: n.to_string(), points: p }).collect();
    let y = if lowest >= 100.0 {
        Axis { min: Some(0.0), max: Some(105.0), ..Axis::linear("ready / desired pods (%)") }
    } else {
        let top = 100.0 + (100.0 - lowest) * 0.05;
        Axis { max: Some(top), ..Axis::linear("ready / desired pods (%, not from 0)") }
    };
    line_chart("DaemonSet coverage over time", &Axis::linear(label), &y, &lines, true)
        .when_empty("no DaemonSet had a node to cover")
}

/// Writes `report.html` and `charts/*.svg|png` of a single run's results folder into `dir`.
///
/// # Errors
/// [`SimError::Output`] when a file cannot be written.
pub fn write_run_report(
    dir: &Path,
    d: &RunDigest,
    x: &RunExtras,
    scenario_text: &str,
) -> Result<(), SimError> {
    let s = &d.summary;
    let mut page = Page::new(&format!("capsim run: {} (seed {})", s.scenario, s.seed));
    let (header, values) = super::summary_record(s).map_err(|e| out_err(dir, e))?;
    let rows: Vec<Vec<String>> = header.into_iter().zip(values).map(|(h, v)| summary_row(h, v)).collect();
    let cdir = dir.join("charts");
    std::fs::create_dir_all(&cdir).map_err(|e| out_err(&cdir, e))?;
    page.heading("Charts");
    for (stem, chart, caption) in run_charts(d, x) {
        let svg = chart.write(&cdir, stem)?;
        page.chart(&svg, &format!("charts/{stem}.svg: {caption}"));
    }
    page.heading("Summary")
        .para("Utilisation figures are in percent, as in the charts; summary.csv keeps them as fractions.")
        .table(&["metric", "value"], &rows);
    page.heading("Scenario").pre(scenario_text);
    std::fs::write(dir.join("report.html"), page.finish()).map_err(|e| out_err(dir, e))
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn numbers_read_with_about_four_significant_digits() {
        assert_eq!(readable(-2079.743, true), "-2080");
        assert_eq!(readable(-2270.664034, false), "-2271");
        assert_eq!(readable(0.133818, true), "+0.134");
        assert_eq!(readable(-16.75, true), "-16.75");
        assert_eq!(readable(-13.012069, false), "-13.01");
        assert_eq!(readable(123456.0, false), "123456");
        assert_eq!(readable(2963.681625, false), "2964");
        assert_eq!(readable(0.0, true), "0");
        assert_eq!(readable(-0.0001, true), "0");
        assert_eq!(readable(0.5, true), "+0.5");
        assert_eq!(readable(1.131972, false), "1.132");
    }
}
