//! `capsim compare`: runs a scenario under several scheduler profiles on the same seeds (each
//! profile sees the same workload for a seed: common random numbers), in parallel with rayon,
//! and reports per metric the mean with a 95 % confidence interval per profile and the paired
//! difference between each profile and the first, with a verdict.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::SimError;
use crate::metrics::Sample;
use crate::report::digest::{RunDigest, digest};
use crate::report::{GroupPending, Summary};
use crate::scenario::LoadedScenario;
use crate::scheduler::framework::profile::SchedulerConfig;
use crate::sim::engine::run;

/// The two-sided 95 % Student t quantile for `df` degrees of freedom (the 0.975 quantile of
/// `statrs`'s t distribution); NaN for 0.
pub fn t95(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(t) if df > 0 => t.inverse_cdf(0.975),
        _ => f64::NAN,
    }
}

/// Mean and 95 % confidence half-width of `xs` (Student t, sample standard deviation). One
/// value has no interval (half-width NaN).
pub fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, t95(n - 1) * var.sqrt() / (n as f64).sqrt())
}

/// One metric compared.
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    /// Column name.
    pub name: &'static str,
    /// Whether lower values are better (pending times, failures); `None` when neither is.
    pub lower_is_better: Option<bool>,
    /// The value of a run.
    pub get: fn(&Summary) -> f64,
}

/// The metrics `compare` reports.
pub const METRICS: &[Metric] = &[
    Metric { name: "pending_p50_s", lower_is_better: Some(true), get: |s| s.pending_p50_s },
    Metric { name: "pending_p90_s", lower_is_better: Some(true), get: |s| s.pending_p90_s },
    Metric { name: "pending_p99_s", lower_is_better: Some(true), get: |s| s.pending_p99_s },
    Metric { name: "pending_max_s", lower_is_better: Some(true), get: |s| s.pending_max_s },
    Metric {
        name: "pods_never_scheduled",
        lower_is_better: Some(true),
        get: |s| s.pods_never_scheduled as f64,
    },
    Metric {
        name: "pods_deleted_while_pending",
        lower_is_better: Some(true),
        get: |s| s.pods_deleted_while_pending as f64,
    },
    Metric { name: "cpu_allocated_mean", lower_is_better: None, get: |s| s.cpu_allocated_mean },
    Metric { name: "cpu_allocated_peak", lower_is_better: None, get: |s| s.cpu_allocated_peak },
    Metric { name: "memory_allocated_mean", lower_is_better: None, get: |s| s.memory_allocated_mean },
    Metric { name: "gpu_allocated_mean", lower_is_better: None, get: |s| s.gpu_allocated_mean },
    Metric { name: "nodes_used_mean", lower_is_better: None, get: |s| s.nodes_used_mean },
    Metric { name: "cpu_allocated_stddev_mean", lower_is_better: None, get: |s| s.cpu_allocated_stddev_mean },
    Metric {
        name: "cpu_allocated_node_min_mean",
        lower_is_better: None,
        get: |s| s.cpu_allocated_node_min_mean,
    },
    Metric {
        name: "cpu_allocated_node_max_mean",
        lower_is_better: None,
        get: |s| s.cpu_allocated_node_max_mean,
    },
    Metric { name: "cpu_fragmented_mean", lower_is_better: Some(true), get: |s| s.cpu_fragmented_mean },
    Metric { name: "throttled_fraction_p99", lower_is_better: Some(true), get: |s| s.throttled_fraction_p99 },
    Metric { name: "pods_evicted", lower_is_better: Some(true), get: |s| s.pods_evicted as f64 },
    Metric { name: "preemptions", lower_is_better: Some(true), get: |s| s.preemptions as f64 },
    Metric { name: "oom_kills", lower_is_better: Some(true), get: |s| s.oom_kills as f64 },
    Metric { name: "restarts", lower_is_better: Some(true), get: |s| s.restarts as f64 },
    Metric { name: "throttled_cpu_s", lower_is_better: Some(true), get: |s| s.throttled_cpu_s },
];

/// One row of `compare.csv`: a metric's mean and interval for a profile, or the paired
/// difference `profile − baseline` with a verdict.
#[derive(Clone, Debug, Serialize)]
pub struct CompareRow {
    /// The metric.
    pub metric: String,
    /// The pods it covers: `all`, or `priority=N`, `namespace=NS`, `size=CLASS`.
    pub group: String,
    /// The profile, or `B - A` for the paired difference of profile B against the first
    /// profile A (see [`difference_label`]).
    pub profile: String,
    /// Runs (seeds).
    pub n: usize,
    /// Mean over seeds.
    pub mean: f64,
    /// 95 % confidence interval, low end.
    pub ci_low: f64,
    /// 95 % confidence interval, high end.
    pub ci_high: f64,
    /// For differences: `better`, `worse`, `higher`, `lower` or `no difference detected`.
    pub verdict: String,
}

/// The verdict of a paired difference `b − a` with interval `[lo, hi]`.
pub fn verdict(lo: f64, hi: f64, lower_is_better: Option<bool>) -> &'static str {
    if !(lo > 0.0 || hi < 0.0) {
        return "no difference detected";
    }
    let higher = lo > 0.0;
    match lower_is_better {
        Some(true) => {
            if higher {
                "worse"
            } else {
                "better"
            }
        }
        Some(false) => {
            if higher {
                "better"
            } else {
                "worse"
            }
        }
        None => {
            if higher {
                "higher"
            } else {
                "lower"
            }
        }
    }
}

/// Group metrics: (name, lower is better, value).
/// A group metric's value.
type GroupValue = fn(&GroupPending) -> f64;

const GROUP_METRICS: [(&str, GroupValue); 4] = [
    ("pending_p50_s", |g| g.pending_p50_s),
    ("pending_p90_s", |g| g.pending_p90_s),
    ("pending_p99_s", |g| g.pending_p99_s),
    ("pods_never_scheduled", |g| g.pods_never_scheduled as f64),
];

/// The rows of one metric: each profile's mean ± CI over `xs[profile][seed]` (`None` where a
/// run has no value), then each other profile's paired difference against the first over the
/// seeds where both have a value.
fn metric_rows(
    out: &mut Vec<CompareRow>,
    metric: &str,
    group: &str,
    lower_is_better: Option<bool>,
    names: &[String],
    xs: &[Vec<Option<f64>>],
) {
    let r6 = crate::metrics::round6;
    let row = |profile: String, v: &[f64], verdict: &str| {
        let (mean, h) = mean_ci(v);
        CompareRow {
            metric: metric.into(),
            group: group.into(),
            profile,
            n: v.len(),
            mean: r6(mean),
            ci_low: r6(mean - h),
            ci_high: r6(mean + h),
            verdict: verdict.into(),
        }
    };
    for (name, v) in names.iter().zip(xs) {
        let v: Vec<f64> = v.iter().flatten().copied().collect();
        let mut r = row(name.clone(), &v, "");
        // A quantity that cannot be negative (counts, seconds, fractions) gets an interval cut
        // at 0: the t interval of a few small counts reaches below it.
        if v.iter().all(|x| *x >= 0.0) {
            r.ci_low = r.ci_low.max(0.0);
        }
        out.push(r);
    }
    for (k, name) in names.iter().enumerate().skip(1) {
        let d: Vec<f64> = xs[k].iter().zip(&xs[0]).filter_map(|(b, a)| Some((*b)? - (*a)?)).collect();
        let (mean, h) = mean_ci(&d);
        let v = if d.iter().all(|x| *x == 0.0) {
            "no difference detected"
        } else {
            verdict(mean - h, mean + h, lower_is_better)
        };
        out.push(row(difference_label(name, &names[0]), &d, v));
    }
}

/// The `profile` of a paired-difference row: `B - A` (profile names hold no spaces, so the
/// label cannot be read two ways, unlike `B-A` with hyphenated names).
pub fn difference_label(b: &str, a: &str) -> String {
    format!("{b} - {a}")
}

/// Rows for per-profile runs `runs[profile][seed]` (the same seeds, in the same order, for
/// every profile): per metric, each profile's mean ± CI, then each other profile's paired
/// difference against the first; the whole-run metrics (group `all`) first, then the pending
/// metrics of each group (in order of first appearance).
pub fn compare_rows(names: &[String], runs: &[Vec<RunDigest>]) -> Vec<CompareRow> {
    let mut out = Vec::new();
    for m in METRICS {
        let xs: Vec<Vec<Option<f64>>> =
            runs.iter().map(|rs| rs.iter().map(|r| Some((m.get)(&r.summary))).collect()).collect();
        metric_rows(&mut out, m.name, "all", m.lower_is_better, names, &xs);
    }
    let mut keys: Vec<(String, String)> = Vec::new();
    for g in runs.iter().flatten().flat_map(|r| &r.groups) {
        if !keys.iter().any(|(d, n)| *d == g.dimension && *n == g.group) {
            keys.push((g.dimension.clone(), g.group.clone()));
        }
    }
    for (dim, group) in &keys {
        for (metric, get) in GROUP_METRICS {
            let xs: Vec<Vec<Option<f64>>> = runs
                .iter()
                .map(|rs| {
                    rs.iter()
                        .map(|r| r.groups.iter().find(|g| g.dimension == *dim && g.group == *group).map(get))
                        .collect()
                })
                .collect();
            metric_rows(&mut out, metric, &format!("{dim}={group}"), Some(true), names, &xs);
        }
    }
    out
}

/// The scenario under one profile: only that profile, and every pod (workload and controller
/// templates) asking for it.
pub fn with_profile(
    sc: &LoadedScenario,
    config: &SchedulerConfig,
    profile: &str,
) -> Result<LoadedScenario, String> {
    let Some(p) = config.profile(profile) else {
        let known: Vec<&str> = config.profiles.iter().map(|p| p.scheduler_name.as_str()).collect();
        return Err(format!("no profile named {profile:?}; the configuration has {}", known.join(", ")));
    };
    let mut out = sc.clone();
    let mut cfg = config.clone();
    cfg.profiles = vec![p.clone()];
    out.scheduler = cfg;
    out.processes.clear();
    let name = p.scheduler_name.clone();
    for a in &mut out.arrivals {
        a.pod.scheduler_name = name.clone();
    }
    let dy = &mut out.dynamics;
    for t in dy.daemonsets.iter_mut().map(|d| &mut d.template) {
        t.scheduler_name = name.clone();
    }
    for t in dy.replicasets.iter_mut().map(|d| &mut d.template) {
        t.scheduler_name = name.clone();
    }
    for t in dy.jobs.iter_mut().map(|d| &mut d.template) {
        t.scheduler_name = name.clone();
    }
    for t in dy.generators.iter_mut().flat_map(|g| g.shapes.iter_mut().map(|(_, pod)| pod)) {
        t.scheduler_name = name.clone();
    }
    out.record_events = false;
    Ok(out)
}

/// Runs every (profile, seed) in parallel and returns the digests, `[profile][seed]`, in order
/// (independent of the thread count); runs of `series_seed` keep their time series; `tick` is
/// called as each run ends.
///
/// # Errors
/// An internal error of any run.
pub fn run_all(
    scenarios: &[LoadedScenario],
    seeds: &[u64],
    series_seed: u64,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<RunDigest>>, SimError> {
    let jobs: Vec<(usize, u64)> =
        (0..scenarios.len()).flat_map(|k| seeds.iter().map(move |s| (k, *s))).collect();
    let results = run_jobs(scenarios, &jobs, series_seed, tick)?;
    let mut out: Vec<Vec<RunDigest>> = vec![Vec::new(); scenarios.len()];
    for ((k, _), r) in jobs.iter().zip(results) {
        out[*k].push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed: [1, 2, 3, 4] has mean 2.5, sample sd √(5/3) = 1.290994, and with
    /// t(3) = 3.182446 a half-width of 3.182446 · 1.290994 / 2 = 2.054275…
    #[test]
    fn confidence_intervals_match_hand_computed_values() {
        let (m, h) = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((h - 3.182_446 * (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-5, "{h}");
        let (m, h) = mean_ci(&[10.0, 10.0]);
        assert_eq!((m, h), (10.0, 0.0));
        assert!(mean_ci(&[3.0]).1.is_nan());
        assert!(t95(0).is_nan());
        // The statistics tables: t(1) = 12.7062, t(15) = 2.1314, t(31) = 2.0395, t(63) = 1.9983,
        // t(127) = 1.9788, t(1000) = 1.9623.
        for (df, t) in [(1, 12.7062), (15, 2.1314), (31, 2.0395), (63, 1.9983), (127, 1.9788), (1000, 1.9623)]
        {
            assert!((t95(df) - t).abs() < 1e-4, "t95({df}) = {}", t95(df));
        }
    }

    #[test]
    fn verdicts_follow_the_direction_of_better() {
        assert_eq!(verdict(-2.0, -1.0, Some(true)), "better");
        assert_eq!(verdict(1.0, 2.0, Some(true)), "worse");
        assert_eq!(verdict(-1.0, 2.0, Some(true)), "no difference detected");
        assert_eq!(verdict(1.0, 2.0, None), "higher");
        assert_eq!(verdict(1.0, 2.0, Some(false)), "better");
    }

    /// Paired differences cancel the seed-to-seed noise that independent intervals keep: B is
    /// 1 s worse than A on every seed, so the difference is exactly 1 ± 0 although the
    /// per-profile intervals overlap widely.
    #[test]
    fn paired_differences_use_per_seed_differences() {
        let s = |p99: f64| RunDigest {
            summary: Summary { pending_p99_s: p99, ..Default::default() },
            ..Default::default()
        };
        let runs = vec![vec![s(10.0), s(20.0), s(30.0)], vec![s(11.0), s(21.0), s(31.0)]];
        let rows = compare_rows(&["A".into(), "B".into()], &runs);
        let p99: Vec<&CompareRow> = rows.iter().filter(|r| r.metric == "pending_p99_s").collect();
        assert_eq!(p99.len(), 3);
        // A: mean 20, sd 10, t(2) = 4.302653 → 20 ± 4.302653 · 10 / √3 = 20 ± 24.841377, cut
        // at 0 below because a pending time is never negative.
        assert_eq!((p99[0].mean, p99[0].ci_low, p99[0].ci_high), (20.0, 0.0, 44.841377));
        assert_eq!(
            (p99[2].profile.as_str(), p99[2].mean, p99[2].ci_low, p99[2].ci_high),
            ("B - A", 1.0, 1.0, 1.0)
        );
        assert_eq!(p99[2].verdict, "worse");
        let never = rows.iter().find(|r| r.metric == "pods_never_scheduled" && r.profile == "B - A").unwrap();
        assert_eq!(never.verdict, "no difference detected");
    }

    /// Group rows pair only the seeds where both profiles have the group: a namespace with pods
    /// on seeds 1 and 3 only gives n = 2 per profile and 2 differences.
    #[test]
    fn group_rows_pair_the_seeds_that_have_the_group() {
        let g = |p99: f64| GroupPending {
            dimension: "namespace".into(),
            group: "ml".into(),
            pending_p99_s: p99,
            ..Default::default()
        };
        let d = |groups: Vec<GroupPending>| RunDigest { groups, ..Default::default() };
        let runs = vec![
            vec![d(vec![g(4.0)]), d(vec![]), d(vec![g(8.0)])],
            vec![d(vec![g(1.0)]), d(vec![]), d(vec![g(3.0)])],
        ];
        let rows = compare_rows(&["A".into(), "B".into()], &runs);
        let p99: Vec<&CompareRow> =
            rows.iter().filter(|r| r.metric == "pending_p99_s" && r.group == "namespace=ml").collect();
        assert_eq!(p99.len(), 3);
        assert_eq!((p99[0].n, p99[0].mean), (2, 6.0));
        // Differences −3 and −5: mean −4, sd √2, t(1) = 12.706205 → −4 ± 12.706205 · √2 / √2.
        assert_eq!((p99[2].n, p99[2].mean, p99[2].ci_low, p99[2].ci_high), (2, -4.0, -16.706205, 8.706205));
        assert_eq!(p99[2].verdict, "no difference detected");
    }
}

/// What a comparison runs: the scenario, its profiles (first = baseline) and seeds. Shards and
/// their merge check its hash.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Plan {
    /// Scenario name.
    pub scenario: String,
    /// Scenario text (saved as `scenario.yaml`).
    pub text: String,
    /// Profiles.
    pub profiles: Vec<String>,
    /// Seeds.
    pub seeds: Vec<u64>,
}

impl Plan {
    /// Every run as (profile index, seed), in the order results are written.
    pub fn jobs(&self) -> Vec<(usize, u64)> {
        (0..self.profiles.len()).flat_map(|k| self.seeds.iter().map(move |s| (k, *s))).collect()
    }

    /// A stable hash of the plan (FNV-1a of its JSON), hex.
    pub fn hash(&self) -> String {
        let json = serde_json::to_string(self).expect("a plan serializes");
        format!("{:016x}", crate::hash::fnv1a(&json))
    }
}

/// Runs `jobs` (profile index, seed) in parallel; digests in job order (runs of `series_seed`
/// keep their time series; `tick` is called as each run ends).
///
/// # Errors
/// An internal error of any run.
pub fn run_jobs(
    scenarios: &[LoadedScenario],
    jobs: &[(usize, u64)],
    series_seed: u64,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<RunDigest>, SimError> {
    jobs.par_iter()
        .map(|(k, s)| {
            let d = run(&scenarios[*k], *s).and_then(|r| digest(&r, *s == series_seed));
            tick();
            d
        })
        .collect()
}

fn out_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

/// Writes a keyed CSV: `profile,run_seed,` then the columns of `T`, one row per item.
fn write_keyed<'a, T: Serialize + Default + 'a>(
    path: &Path,
    rows: impl Iterator<Item = (&'a str, u64, &'a T)>,
) -> Result<(), SimError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| out_err(path, e))?;
    let (header, _) = crate::report::record_of(&T::default()).map_err(|e| out_err(path, e))?;
    let mut h = vec!["profile".to_string(), "run_seed".to_string()];
    h.extend(header);
    w.write_record(&h).map_err(|e| out_err(path, e))?;
    for (profile, seed, row) in rows {
        let (_, values) = crate::report::record_of(row).map_err(|e| out_err(path, e))?;
        let mut v = vec![profile.to_string(), seed.to_string()];
        v.extend(values);
        w.write_record(&v).map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// One bucket of a run's pending-time histogram (a row of `pending.csv`).
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
struct PendingBucket {
    pending_ms: u64,
    pods: u64,
}

/// Writes the per-run files of `runs` (in job order): `runs.csv` (summaries), `groups.csv`,
/// `pending.csv` (histogram buckets) and `series.csv` (the first seed's samples).
fn write_run_files(
    dir: &Path,
    plan: &Plan,
    jobs: &[(usize, u64)],
    runs: &[RunDigest],
) -> Result<(), SimError> {
    let keyed = || jobs.iter().zip(runs).map(|((k, seed), r)| (plan.profiles[*k].as_str(), *seed, r));
    write_keyed(&dir.join("runs.csv"), keyed().map(|(p, s, r)| (p, s, &r.summary)))?;
    write_keyed(
        &dir.join("groups.csv"),
        keyed().flat_map(|(p, s, r)| r.groups.iter().map(move |g| (p, s, g))),
    )?;
    let buckets: Vec<(&str, u64, PendingBucket)> = keyed()
        .flat_map(|(p, s, r)| {
            r.pending.iter().map(move |(ms, n)| (p, s, PendingBucket { pending_ms: *ms, pods: *n }))
        })
        .collect();
    write_keyed(&dir.join("pending.csv"), buckets.iter().map(|(p, s, b)| (*p, *s, b)))?;
    write_keyed(
        &dir.join("series.csv"),
        keyed().flat_map(|(p, s, r)| r.series.iter().map(move |x| (p, s, x))),
    )
}

/// Reads a keyed CSV written by [`write_keyed`] into `(profile index, seed, row)`.
fn read_keyed<T: serde::de::DeserializeOwned>(
    path: &Path,
    plan: &Plan,
) -> Result<Vec<(usize, u64, T)>, String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut rd = csv::Reader::from_path(path).map_err(|e| err(&e))?;
    let headers = rd.headers().map_err(|e| err(&e))?.clone();
    let sub: csv::StringRecord = headers.iter().skip(2).collect();
    let mut out = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| err(&e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let k = plan
            .profiles
            .iter()
            .position(|x| x == &rec[0])
            .ok_or_else(|| format!("{}:{line}: unknown profile {:?}", path.display(), &rec[0]))?;
        let seed: u64 =
            rec[1].parse().map_err(|_| format!("{}:{line}: bad run_seed {:?}", path.display(), &rec[1]))?;
        let body: csv::StringRecord = rec.iter().skip(2).collect();
        let row: T = body.deserialize(Some(&sub)).map_err(|e| format!("{}:{line}: {e}", path.display()))?;
        out.push((k, seed, row));
    }
    Ok(out)
}

/// Reads the per-run files of a folder written by [`write_run_files`].
fn read_run_files(dir: &Path, plan: &Plan) -> Result<BTreeMap<(usize, u64), RunDigest>, String> {
    let mut by: BTreeMap<(usize, u64), RunDigest> = BTreeMap::new();
    for (k, seed, s) in read_keyed::<Summary>(&dir.join("runs.csv"), plan)? {
        by.insert((k, seed), RunDigest { summary: s, ..Default::default() });
    }
    fn get<'m>(
        by: &'m mut BTreeMap<(usize, u64), RunDigest>,
        dir: &Path,
        key: (usize, u64),
        file: &str,
    ) -> Result<&'m mut RunDigest, String> {
        by.get_mut(&key).ok_or_else(|| {
            format!("{}: run ({}, {}) is not in runs.csv", dir.join(file).display(), key.0, key.1)
        })
    }
    for (k, seed, g) in read_keyed::<GroupPending>(&dir.join("groups.csv"), plan)? {
        get(&mut by, dir, (k, seed), "groups.csv")?.groups.push(g);
    }
    for (k, seed, b) in read_keyed::<PendingBucket>(&dir.join("pending.csv"), plan)? {
        get(&mut by, dir, (k, seed), "pending.csv")?.pending.push((b.pending_ms, b.pods));
    }
    for (k, seed, x) in read_keyed::<Sample>(&dir.join("series.csv"), plan)? {
        get(&mut by, dir, (k, seed), "series.csv")?.series.push(x);
    }
    Ok(by)
}

/// Writes a comparison folder atomically and returns its rows: `compare.csv`, `compare.json`,
/// the per-run files (`runs.csv`, `groups.csv`, `pending.csv`, `series.csv`), `scenario.yaml`,
/// the charts under `charts/` and `report.html`. `runs[profile][seed]`.
///
/// # Errors
/// [`SimError::Output`] when the folder cannot be written.
pub fn write_compare(out: &Path, plan: &Plan, runs: &[Vec<RunDigest>]) -> Result<Vec<CompareRow>, SimError> {
    let rows = compare_rows(&plan.profiles, runs);
    let flat: Vec<RunDigest> = runs.iter().flatten().cloned().collect();
    crate::report::write_folder(out, COMPARE_KIND, |tmp| {
        crate::report::write_rows(
            &rows,
            &["metric", "group", "profile", "n", "mean", "ci_low", "ci_high", "verdict"],
            &tmp.join("compare.csv"),
        )?;
        write_run_files(tmp, plan, &plan.jobs(), &flat)?;
        let json = serde_json::json!({
            "scenario": plan.scenario, "profiles": plan.profiles, "seeds": plan.seeds, "rows": rows
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| out_err(tmp, e))?;
        std::fs::write(tmp.join("compare.json"), text + "\n").map_err(|e| out_err(tmp, e))?;
        std::fs::write(tmp.join("scenario.yaml"), &plan.text).map_err(|e| out_err(tmp, e))?;
        super::compare_report::write_compare_report(tmp, plan, runs, &rows)
    })?;
    Ok(rows)
}

/// The kind of a `capsim compare` (or `merge`) folder (see [`crate::report::MARKER`]).
pub const COMPARE_KIND: &str = "compare";

/// The kind of a `capsim compare --shard` folder.
pub const SHARD_KIND: &str = "compare-shard";

/// Writes shard `index` of `count`: its per-run files and `shard.json` (the plan, its hash,
/// the shard).
///
/// # Errors
/// [`SimError::Output`] when the folder cannot be written.
pub fn write_shard(
    out: &Path,
    plan: &Plan,
    index: usize,
    count: usize,
    jobs: &[(usize, u64)],
    runs: &[RunDigest],
) -> Result<(), SimError> {
    crate::report::write_folder(out, SHARD_KIND, |tmp| {
        write_run_files(tmp, plan, jobs, runs)?;
        let json = serde_json::json!({ "hash": plan.hash(), "index": index, "count": count, "plan": plan });
        let text = serde_json::to_string_pretty(&json).map_err(|e| out_err(tmp, e))?;
        std::fs::write(tmp.join("shard.json"), text + "\n").map_err(|e| out_err(tmp, e))
    })
}

/// Why a merge failed.
#[derive(Debug)]
pub enum MergeError {
    /// The shard folders do not make one whole sweep (message says why).
    Bad(String),
    /// Reading or writing failed.
    Sim(SimError),
}

impl From<SimError> for MergeError {
    fn from(e: SimError) -> Self {
        MergeError::Sim(e)
    }
}

/// Merges the shard folders of one sweep into `out`, exactly as a single process writes it
/// (histograms merged bucket by bucket, never percentiles averaged).
///
/// # Errors
/// [`MergeError::Bad`] for folders of different plans, a missing or repeated shard, or a
/// missing run; [`MergeError::Sim`] for unreadable or unwritable files.
pub fn merge(dirs: &[std::path::PathBuf], out: &Path) -> Result<(), MergeError> {
    let mut plan: Option<(Plan, String, usize)> = None;
    let mut seen: Vec<bool> = Vec::new();
    let mut by_job: BTreeMap<(usize, u64), RunDigest> = Default::default();
    for d in dirs {
        let sp = d.join("shard.json");
        let text =
            std::fs::read_to_string(&sp).map_err(|e| MergeError::Bad(format!("{}: {e}", sp.display())))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| MergeError::Bad(format!("{}: {e}", sp.display())))?;
        let p: Plan = serde_json::from_value(v["plan"].clone())
            .map_err(|e| MergeError::Bad(format!("{}: field `plan`: {e}", sp.display())))?;
        let hash = v["hash"].as_str().unwrap_or("").to_string();
        let (index, count) =
            (v["index"].as_u64().unwrap_or(u64::MAX) as usize, v["count"].as_u64().unwrap_or(0) as usize);
        if hash != p.hash() {
            return Err(MergeError::Bad(format!(
                "{}: the plan does not match its hash {hash}",
                sp.display()
            )));
        }
        match &plan {
            None => {
                seen = vec![false; count];
                plan = Some((p.clone(), hash.clone(), count));
            }
            Some((_, h, n)) if *h != hash || *n != count => {
                return Err(MergeError::Bad(format!(
                    "{}: shard of another sweep (plan {hash}, {count} shards; expected {h}, {n})",
                    d.display()
                )));
            }
            _ => {}
        }
        if index >= seen.len() || std::mem::replace(&mut seen[index], true) {
            return Err(MergeError::Bad(format!(
                "{}: shard {index} is out of range or given twice",
                d.display()
            )));
        }
        by_job.extend(read_run_files(d, &p).map_err(MergeError::Bad)?);
    }
    let Some((plan, _, _)) = plan else { return Err(MergeError::Bad("no shard folders given".into())) };
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(MergeError::Bad(format!("shard {i} of {} is missing", seen.len())));
    }
    let mut runs: Vec<Vec<RunDigest>> = vec![Vec::new(); plan.profiles.len()];
    for (k, seed) in plan.jobs() {
        let s = by_job
            .remove(&(k, seed))
            .ok_or_else(|| MergeError::Bad(format!("run ({}, seed {seed}) is missing", plan.profiles[k])))?;
        runs[k].push(s);
    }
    write_compare(out, &plan, &runs)?;
    Ok(())
}
