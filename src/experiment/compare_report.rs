//! The charts of a comparison folder (`charts/*.svg`: the pending-time CDF, p99 pending by pod
//! size, allocation, nodes in use and fragmentation over time, not-ready nodes and crash-looping
//! pods over time when there are any, and bars with 95 % intervals of evictions and preemptions,
//! OOM kills and restarts, and CPU throttling) and its `report.html`, built from the report's
//! chart primitives.

use std::path::Path;

use super::compare::{CompareRow, Plan};
use crate::error::SimError;
use crate::metrics::Sample;
use crate::report::charts::{no_wait_note, over_time, pending_cdf, seed_list};
use crate::report::digest::RunDigest;
use crate::report::html::Page;
use crate::report::plot::{Bars, Chart, bar_chart};
use crate::report::run_report::shown;

fn out_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

/// Bars of whole-run metrics per profile: means with their 95 % intervals; `note` when every
/// mean is 0.
fn metric_bars(
    (title, y_label, note): (&str, &str, &str),
    metrics: &[(&str, &str)],
    names: &[String],
    rows: &[CompareRow],
) -> Chart {
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
    bar_chart(title, y_label, &cats, &bars).when_empty(note)
}

/// Bars of the 99th percentile pending time per pod size class and profile. With every p99 at
/// 0 the chart says why: no pod was scheduled, no pod waited, or too few waited to move a p99.
fn size_bars(names: &[String], rows: &[CompareRow], runs: &[Vec<RunDigest>]) -> Chart {
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
    let note = no_wait_note(runs).unwrap_or_else(|| {
        "p99 pending time is 0 s in every size class: at most 1 % of each class's pods waited".to_string()
    });
    bar_chart("p99 pending time by pod size (cpu request), mean over seeds", "pending time (s)", &cats, &bars)
        .when_empty(&note)
}

/// The comparison's charts: (file stem, chart, caption), in the order the page shows them.
fn compare_charts(
    plan: &Plan,
    runs: &[Vec<RunDigest>],
    rows: &[CompareRow],
) -> Vec<(&'static str, Chart, String)> {
    let names = &plan.profiles;
    let first = plan.seeds.first().copied().unwrap_or(0);
    let series: Vec<&[Sample]> = runs
        .iter()
        .map(|rs| rs.iter().find(|r| !r.series.is_empty()).map_or(&[][..], |r| r.series.as_slice()))
        .collect();
    let has_gpu = runs.iter().flatten().any(|r| r.summary.gpu_allocated_peak > 0.0);
    let cdf_title = format!("Pending-time CDF per profile (seeds {} merged)", seed_list(&plan.seeds));
    let mut charts: Vec<(&'static str, Chart, String)> = vec![
        (
            "pending_cdf",
            pending_cdf(&cdf_title, names, runs),
            "How long scheduled pods waited, all seeds merged: further left and higher is better.".into(),
        ),
        (
            "pending_by_size",
            size_bars(names, rows, runs),
            "Big pods wait differently: p99 pending time per size class, with 95 % intervals.".into(),
        ),
        (
            "allocation_cpu",
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
            "allocation_memory",
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
            "allocation_gpu",
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
        "nodes_used",
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
        "fragmentation",
        over_time(
            &format!("Fragmented cpu over time (seed {first})"),
            "stranded free cpu (% of allocatable)",
            names,
            &series,
            |s| s.cpu_fragmented,
            true,
        )
        .note_if_all_zero("no cpu stranded: no pod was pending at any sample"),
        "Free capacity stranded on nodes too full for the median pending pod (0 when nothing is pending)."
            .into(),
    ));
    let any = |get: fn(&Sample) -> usize| series.iter().any(|ss| ss.iter().any(|s| get(s) > 0));
    if any(|s| s.nodes_not_ready) {
        charts.push((
            "nodes_not_ready",
            over_time(
                &format!("Nodes not ready over time (seed {first})"),
                "nodes not ready",
                names,
                &series,
                |s| s.nodes_not_ready as f64,
                false,
            ),
            "Nodes whose Ready condition is not True (failed and past the grace period).".into(),
        ));
    }
    if any(|s| s.pods_crash_looping) {
        charts.push((
            "crash_looping",
            over_time(
                &format!("Crash-looping pods over time (seed {first})"),
                "pods in CrashLoopBackOff",
                names,
                &series,
                |s| s.pods_crash_looping as f64,
                false,
            ),
            "Running pods with a container waiting out its restart back-off.".into(),
        ));
    }
    charts.push((
        "disruptions",
        metric_bars(
            ("Evictions and preemptions per run", "pods per run", "no eviction or preemption in any run"),
            &[("pods_evicted", "evictions"), ("preemptions", "preemptions")],
            names,
            rows,
        ),
        "Pods evicted and preempted: means over seeds with 95 % confidence intervals.".into(),
    ));
    charts.push((
        "oom_kills",
        metric_bars(
            (
                "OOM kills and container restarts per run",
                "containers per run",
                "no OOM kill or restart in any run (they need a runtime section)",
            ),
            &[("oom_kills", "OOM kills"), ("restarts", "restarts")],
            names,
            rows,
        ),
        "Containers OOM-killed and restarted: means over seeds with 95 % confidence intervals.".into(),
    ));
    charts.push((
        "throttling",
        metric_bars(
            (
                "CPU throttling per run",
                "throttled cpu (CPU-seconds)",
                "no CPU was throttled in any run (throttling needs a runtime section)",
            ),
            &[("throttled_cpu_s", "throttled CPU-seconds")],
            names,
            rows,
        ),
        "CPU demand cut by CFS quota (0 without a runtime section), means with 95 % intervals.".into(),
    ));
    charts
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
    let charts = compare_charts(plan, runs, rows);
    let cdir = dir.join("charts");
    std::fs::create_dir_all(&cdir).map_err(|e| out_err(&cdir, e))?;
    let mut drawn = Vec::with_capacity(charts.len());
    for (stem, chart, caption) in charts {
        drawn.push((stem, chart.write(&cdir, stem)?, caption));
    }
    let page = compare_page(plan, rows, &drawn);
    std::fs::write(dir.join("report.html"), page.finish()).map_err(|e| out_err(dir, e))
}

/// The comparison's `report.html`: the paired differences, the charts, the per-profile tables and
/// the scenario.
fn compare_page(plan: &Plan, rows: &[CompareRow], charts: &[(&str, String, String)]) -> Page {
    let names = &plan.profiles;
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
            let (metric, mean) = shown(&r.metric, r.mean);
            let (lo, hi) = (shown(&r.metric, r.ci_low).1, shown(&r.metric, r.ci_high).1);
            vec![metric, r.profile.clone(), format!("{mean} [{lo}, {hi}]"), r.verdict.clone()]
        })
        .collect();
    page.para(
        "Utilisation metrics (marked %) are in percent here and in the charts, and their differences \
         in percentage points; compare.csv keeps them as fractions.",
    );
    page.heading("Paired differences (whole run)")
        .table(&["metric", "difference", "mean [95 % CI]", "verdict"], &verdicts);
    let per_profile = |group_all: bool| -> Vec<Vec<String>> {
        rows.iter()
            .filter(|r| r.verdict.is_empty() && (r.group == "all") == group_all)
            .map(|r| {
                let (metric, mean) = shown(&r.metric, r.mean);
                let (lo, hi) = (shown(&r.metric, r.ci_low).1, shown(&r.metric, r.ci_high).1);
                vec![
                    metric,
                    r.group.clone(),
                    r.profile.clone(),
                    r.n.to_string(),
                    mean,
                    format!("[{lo}, {hi}]"),
                ]
            })
            .collect()
    };
    let header = ["metric", "group", "profile", "seeds", "mean", "95 % CI"];
    page.heading("Charts");
    for (file, svg, caption) in charts {
        page.chart(svg, &format!("charts/{file}.svg: {caption}"));
    }
    page.heading("Per profile (whole run)").table(&header, &per_profile(true));
    page.heading("Pending by priority, namespace and pod size").table(&header, &per_profile(false));
    page.heading("Scenario").pre(&plan.text);
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::compare::compare_rows;
    use crate::report::GroupPending;

    /// A run whose pods are all of size class `cpu<1`: `pending` as `(ms, pods)` buckets and the
    /// class's p99 pending time.
    fn run(pending: &[(u64, u64)], created: usize, p99_s: f64) -> RunDigest {
        let scheduled = pending.iter().map(|b| b.1).sum::<u64>() as usize;
        let group = GroupPending {
            dimension: "size".into(),
            group: "cpu<1".into(),
            pods_created: created,
            pods_scheduled: scheduled,
            pods_never_scheduled: created - scheduled,
            pending_p99_s: p99_s,
            ..GroupPending::default()
        };
        RunDigest { groups: vec![group], pending: pending.to_vec(), ..RunDigest::default() }
    }

    /// The p99-by-size chart of two profiles × two seeds of the same run.
    fn size_chart(r: &RunDigest) -> Chart {
        let names = vec!["least-allocated".to_string(), "most-allocated".to_string()];
        let runs = vec![vec![r.clone(), r.clone()], vec![r.clone(), r.clone()]];
        size_bars(&names, &compare_rows(&names, &runs), &runs)
    }

    /// Issue 17: the chart said "no pod was scheduled" when pods were scheduled and none waited.
    #[test]
    fn the_p99_by_size_chart_says_what_is_true() {
        let bound_at_once = size_chart(&run(&[(0, 5)], 5, 0.0));
        assert_eq!(bound_at_once.note(), Some("no pod waited: all 20 scheduled pods were bound at once"));
        let never = size_chart(&run(&[], 3, 0.0));
        assert_eq!(never.note(), Some("no pod was scheduled"));
        // One pod of 200 waited 2 s: every p99 is still 0.
        let few = size_chart(&run(&[(0, 199), (2000, 1)], 200, 0.0));
        assert_eq!(
            few.note(),
            Some("p99 pending time is 0 s in every size class: at most 1 % of each class's pods waited")
        );
        let waited = size_chart(&run(&[(0, 90), (2000, 10)], 100, 2.0));
        assert_eq!(waited.note(), None);
        assert!(waited.svg().contains("cpu&lt;1 cores"), "the class's bars are drawn");
    }
}
