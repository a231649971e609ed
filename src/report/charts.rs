//! The charts of a comparison folder (`charts/*.svg`) and its `report.html`.

use std::path::Path;

use hdrhistogram::Histogram;

use super::html::Page;
use super::svg::{Axis, Bars, Series, bar_chart, line_chart};
use crate::error::SimError;
use crate::experiment::compare::{CompareRow, Plan, RunDigest};
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

/// Bars of whole-run metrics per profile: means with their 95 % intervals.
fn metric_bars(
    title: &str,
    y_label: &str,
    metrics: &[(&str, &str)],
    names: &[String],
    rows: &[CompareRow],
) -> String {
    let cats: Vec<String> = metrics.iter().map(|(_, label)| label.to_string()).collect();
    let bars: Vec<Bars> = names
        .iter()
        .map(|name| {
            let found: Vec<&CompareRow> = metrics
                .iter()
                .map(|(m, _)| {
                    rows.iter()
                        .find(|r| r.metric == *m && r.group == "all" && r.profile == *name)
                        .expect("every metric has a row per profile")
                })
                .collect();
            Bars {
                name: name.clone(),
                values: found.iter().map(|r| r.mean).collect(),
                // The metrics are counts and durations: an interval below 0 is drawn from 0.
                errors: Some(found.iter().map(|r| (r.ci_low.max(0.0), r.ci_high)).collect()),
            }
        })
        .collect();
    bar_chart(title, y_label, &cats, &bars)
}

/// Bars of the 99th percentile pending time per pod size class and profile.
fn size_bars(names: &[String], rows: &[CompareRow]) -> String {
    let cats: Vec<String> = crate::report::SIZE_CLASSES
        .iter()
        .map(|(_, c)| format!("size={c}"))
        .filter(|g| rows.iter().any(|r| r.group == *g))
        .collect();
    let bars: Vec<Bars> = names
        .iter()
        .map(|name| {
            let found: Vec<Option<&CompareRow>> = cats
                .iter()
                .map(|g| {
                    rows.iter().find(|r| r.metric == "pending_p99_s" && r.group == *g && r.profile == *name)
                })
                .collect();
            Bars {
                name: name.clone(),
                values: found.iter().map(|r| r.map_or(f64::NAN, |r| r.mean)).collect(),
                errors: Some(
                    found
                        .iter()
                        .map(|r| r.map_or((f64::NAN, f64::NAN), |r| (r.ci_low.max(0.0), r.ci_high)))
                        .collect(),
                ),
            }
        })
        .collect();
    let cats: Vec<String> =
        cats.iter().map(|c| c.trim_start_matches("size=").to_string() + " cores").collect();
    bar_chart("p99 pending time by pod size (cpu request), mean over seeds", "pending time (s)", &cats, &bars)
}

/// Writes `charts/*.svg` and `report.html` of a comparison into `dir`.
///
/// # Errors
/// [`SimError::Output`] when a file cannot be written.
pub fn write_compare_report(
    dir: &Path,
    plan: &Plan,
    runs: &[Vec<RunDigest>],
    rows: &[CompareRow],
) -> Result<(), SimError> {
    let names = &plan.profiles;
    let first = plan.seeds.first().copied().unwrap_or(0);
    let series: Vec<&[Sample]> = runs
        .iter()
        .map(|rs| rs.iter().find(|r| !r.series.is_empty()).map_or(&[][..], |r| r.series.as_slice()))
        .collect();
    let has_gpu = runs.iter().flatten().any(|r| r.summary.gpu_allocated_peak > 0.0);
    let mut charts: Vec<(&str, String, String)> = vec![
        (
            "pending_cdf.svg",
            pending_cdf(names, runs),
            "How long scheduled pods waited, all seeds merged: further left and higher is better.".into(),
        ),
        (
            "pending_by_size.svg",
            size_bars(names, rows),
            "Big pods wait differently: p99 pending time per size class, with 95 % intervals.".into(),
        ),
        (
            "allocation_cpu.svg",
            over_time(
                &format!("CPU allocated over time (seed {first})"),
                "requested / allocatable cpu (%)",
                names,
                &series,
                |s| s.cpu_allocated,
                true,
            ),
            "Σ cpu requests of bound pods over Σ allocatable cpu.".into(),
        ),
        (
            "allocation_memory.svg",
            over_time(
                &format!("Memory allocated over time (seed {first})"),
                "requested / allocatable memory (%)",
                names,
                &series,
                |s| s.memory_allocated,
                true,
            ),
            "Σ memory requests of bound pods over Σ allocatable memory.".into(),
        ),
    ];
    if has_gpu {
        charts.push((
            "allocation_gpu.svg",
            over_time(
                &format!("GPU allocated over time (seed {first})"),
                "requested / allocatable GPU (%)",
                names,
                &series,
                |s| s.gpu_allocated,
                true,
            ),
            "Σ GPU requests of bound pods over Σ allocatable GPUs.".into(),
        ));
    }
    charts.push((
        "nodes_used.svg",
        over_time(
            &format!("Nodes in use over time (seed {first})"),
            "nodes with at least one pod",
            names,
            &series,
            |s| s.nodes_used as f64,
            false,
        ),
        "Fewer nodes in use for the same pods means tighter packing.".into(),
    ));
    charts.push((
        "fragmentation.svg",
        over_time(
            &format!("Fragmented cpu over time (seed {first})"),
            "free cpu on nodes that can't fit the median pending pod (% of allocatable)",
            names,
            &series,
            |s| s.cpu_fragmented,
            true,
        ),
        "Free capacity stranded on nodes too full for the median pending pod (0 when nothing is pending)."
            .into(),
    ));
    charts.push((
        "disruptions.svg",
        metric_bars(
            "Evictions, preemptions, OOM kills and restarts per run",
            "pods or containers per run",
            &[
                ("pods_evicted", "evictions"),
                ("preemptions", "preemptions"),
                ("oom_kills", "OOM kills"),
                ("restarts", "restarts"),
            ],
            names,
            rows,
        ),
        "Means over seeds with 95 % confidence intervals.".into(),
    ));
    charts.push((
        "throttling.svg",
        metric_bars(
            "CPU throttling per run",
            "throttled cpu (CPU-seconds)",
            &[("throttled_cpu_s", "throttled CPU-seconds")],
            names,
            rows,
        ),
        "CPU demand cut by CFS quota (0 without a runtime section), means with 95 % intervals.".into(),
    ));
    let cdir = dir.join("charts");
    std::fs::create_dir_all(&cdir).map_err(|e| out_err(&cdir, e))?;
    for (file, svg, _) in &charts {
        std::fs::write(cdir.join(file), svg).map_err(|e| out_err(&cdir.join(file), e))?;
    }

    let mut page = Page::new(&format!("capsim compare: {}", plan.scenario));
    page.para(&format!(
        "Profiles {} (the first is the baseline of the paired differences) over {} seeds ({}), {} runs; \
         every profile sees the same workload on a seed.",
        names.join(", "),
        plan.seeds.len(),
        seed_list(&plan.seeds),
        names.len() * plan.seeds.len()
    ));
    let verdicts: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| !r.verdict.is_empty() && r.group == "all")
        .map(|r| {
            vec![
                r.metric.clone(),
                r.profile.clone(),
                format!("{} [{}, {}]", r.mean, r.ci_low, r.ci_high),
                r.verdict.clone(),
            ]
        })
        .collect();
    page.heading("Paired differences (whole run)")
        .table(&["metric", "difference", "mean [95 % CI]", "verdict"], &verdicts);
    let per_profile = |group_all: bool| -> Vec<Vec<String>> {
        rows.iter()
            .filter(|r| r.verdict.is_empty() && (r.group == "all") == group_all)
            .map(|r| {
                vec![
                    r.metric.clone(),
                    r.group.clone(),
                    r.profile.clone(),
                    r.n.to_string(),
                    r.mean.to_string(),
                    format!("[{}, {}]", r.ci_low, r.ci_high),
                ]
            })
            .collect()
    };
    let header = ["metric", "group", "profile", "seeds", "mean", "95 % CI"];
    page.heading("Charts");
    for (file, svg, caption) in &charts {
        page.chart(svg, &format!("charts/{file}: {caption}"));
    }
    page.heading("Per profile (whole run)").table(&header, &per_profile(true));
    page.heading("Pending by priority, namespace and pod size").table(&header, &per_profile(false));
    page.heading("Scenario").pre(&plan.text);
    std::fs::write(dir.join("report.html"), page.finish()).map_err(|e| out_err(dir, e))
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
