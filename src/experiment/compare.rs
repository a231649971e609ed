//! `capsim compare`: runs a scenario under several scheduler profiles on the same seeds (each
//! profile sees the same workload for a seed: common random numbers), in parallel with rayon,
//! and reports per metric the mean with a 95 % confidence interval per profile and the paired
//! difference between each profile and the first, with a verdict.

use rayon::prelude::*;
use serde::Serialize;

use crate::error::SimError;
use crate::report::{Summary, summarize};
use crate::scheduler::framework::profile::SchedulerConfig;
use crate::sim::engine::run;
use crate::workload::scenario::LoadedScenario;

/// Two-sided 95 % Student t quantiles for 1..=30 degrees of freedom.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
    2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// The two-sided 95 % t quantile for `df` degrees of freedom (1.96 beyond 120; a table of
/// upstream statistics tables' values up to 30, then 40, 60, 120).
pub fn t95(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T95[df - 1],
        31..=40 => 2.021,
        41..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
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
    Metric { name: "cpu_allocated_mean", lower_is_better: None, get: |s| s.cpu_allocated_mean },
    Metric { name: "cpu_allocated_peak", lower_is_better: None, get: |s| s.cpu_allocated_peak },
    Metric { name: "memory_allocated_mean", lower_is_better: None, get: |s| s.memory_allocated_mean },
    Metric { name: "gpu_allocated_mean", lower_is_better: None, get: |s| s.gpu_allocated_mean },
    Metric { name: "nodes_used_mean", lower_is_better: None, get: |s| s.nodes_used_mean },
    Metric { name: "cpu_allocated_stddev_mean", lower_is_better: None, get: |s| s.cpu_allocated_stddev_mean },
    Metric { name: "pods_evicted", lower_is_better: Some(true), get: |s| s.pods_evicted as f64 },
    Metric { name: "preemptions", lower_is_better: Some(true), get: |s| s.preemptions as f64 },
    Metric { name: "oom_kills", lower_is_better: Some(true), get: |s| s.oom_kills as f64 },
    Metric { name: "throttled_cpu_s", lower_is_better: Some(true), get: |s| s.throttled_cpu_s },
];

/// One row of `compare.csv`: a metric's mean and interval for a profile, or the paired
/// difference `profile − baseline` with a verdict.
#[derive(Clone, Debug, Serialize)]
pub struct CompareRow {
    /// The metric.
    pub metric: String,
    /// The profile, or `B-A` for a paired difference.
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

/// Rows for per-profile runs `runs[profile][seed]` (the same seeds, in the same order, for
/// every profile): each profile's mean ± CI, then each other profile's paired difference
/// against the first.
pub fn compare_rows(names: &[String], runs: &[Vec<Summary>]) -> Vec<CompareRow> {
    let r6 = crate::metrics::round6;
    let mut out = Vec::new();
    for m in METRICS {
        for (name, rs) in names.iter().zip(runs) {
            let xs: Vec<f64> = rs.iter().map(m.get).collect();
            let (mean, h) = mean_ci(&xs);
            out.push(CompareRow {
                metric: m.name.into(),
                profile: name.clone(),
                n: xs.len(),
                mean: r6(mean),
                ci_low: r6(mean - h),
                ci_high: r6(mean + h),
                verdict: String::new(),
            });
        }
        for (k, name) in names.iter().enumerate().skip(1) {
            let d: Vec<f64> = runs[k].iter().zip(&runs[0]).map(|(b, a)| (m.get)(b) - (m.get)(a)).collect();
            let (mean, h) = mean_ci(&d);
            let (lo, hi) = (mean - h, mean + h);
            let v = if d.iter().all(|x| *x == 0.0) {
                "no difference detected"
            } else {
                verdict(lo, hi, m.lower_is_better)
            };
            out.push(CompareRow {
                metric: m.name.into(),
                profile: format!("{name}-{}", names[0]),
                n: d.len(),
                mean: r6(mean),
                ci_low: r6(lo),
                ci_high: r6(hi),
                verdict: v.into(),
            });
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
    Ok(out)
}

/// Runs every (profile, seed) in parallel and returns the summaries, `[profile][seed]`, in
/// order (independent of the thread count).
///
/// # Errors
/// An internal error of any run.
pub fn run_all(scenarios: &[LoadedScenario], seeds: &[u64]) -> Result<Vec<Vec<Summary>>, SimError> {
    let jobs: Vec<(usize, u64)> =
        (0..scenarios.len()).flat_map(|k| seeds.iter().map(move |s| (k, *s))).collect();
    let results: Vec<Result<Summary, SimError>> =
        jobs.par_iter().map(|(k, s)| run(&scenarios[*k], *s).map(|r| summarize(&r).0)).collect();
    let mut out: Vec<Vec<Summary>> = vec![Vec::new(); scenarios.len()];
    for ((k, _), r) in jobs.iter().zip(results) {
        out[*k].push(r?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed: [1, 2, 3, 4] has mean 2.5, sample sd √(5/3) = 1.290994, and with
    /// t(3) = 3.182 a half-width of 3.182 · 1.290994 / 2 = 2.054…
    #[test]
    fn confidence_intervals_match_hand_computed_values() {
        let (m, h) = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((h - 3.182 * (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12);
        assert!((h - 2.054).abs() < 1e-3);
        let (m, h) = mean_ci(&[10.0, 10.0]);
        assert_eq!((m, h), (10.0, 0.0));
        assert!(mean_ci(&[3.0]).1.is_nan());
        assert_eq!(t95(1), 12.706);
        assert_eq!(t95(15), 2.131);
        assert_eq!(t95(1000), 1.96);
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
        let s = |p99: f64| Summary { pending_p99_s: p99, ..Default::default() };
        let runs = vec![vec![s(10.0), s(20.0), s(30.0)], vec![s(11.0), s(21.0), s(31.0)]];
        let rows = compare_rows(&["A".into(), "B".into()], &runs);
        let p99: Vec<&CompareRow> = rows.iter().filter(|r| r.metric == "pending_p99_s").collect();
        assert_eq!(p99.len(), 3);
        // A: mean 20, sd 10, t(2) = 4.303 → 20 ± 4.303 · 10 / √3 = 20 ± 24.843382.
        assert_eq!((p99[0].mean, p99[0].ci_low, p99[0].ci_high), (20.0, -4.843382, 44.843382));
        assert_eq!(
            (p99[2].profile.as_str(), p99[2].mean, p99[2].ci_low, p99[2].ci_high),
            ("B-A", 1.0, 1.0, 1.0)
        );
        assert_eq!(p99[2].verdict, "worse");
        let never = rows.iter().find(|r| r.metric == "pods_never_scheduled" && r.profile == "B-A").unwrap();
        assert_eq!(never.verdict, "no difference detected");
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
        format!("{:016x}", crate::controllers::fnv1a(&json))
    }
}

/// Runs `jobs` (profile index, seed) in parallel; results in job order.
///
/// # Errors
/// An internal error of any run.
pub fn run_jobs(scenarios: &[LoadedScenario], jobs: &[(usize, u64)]) -> Result<Vec<Summary>, SimError> {
    jobs.par_iter().map(|(k, s)| run(&scenarios[*k], *s).map(|r| summarize(&r).0)).collect()
}

fn out_err(path: &std::path::Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

/// Writes `runs.csv`: one row per run, `profile,run_seed,` then the summary's fields.
fn write_runs(
    path: &std::path::Path,
    plan: &Plan,
    jobs: &[(usize, u64)],
    runs: &[Summary],
) -> Result<(), SimError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| out_err(path, e))?;
    let (header, _) = crate::report::summary_record(&Summary::default()).map_err(|e| out_err(path, e))?;
    let mut h = vec!["profile".to_string(), "run_seed".to_string()];
    h.extend(header);
    w.write_record(&h).map_err(|e| out_err(path, e))?;
    for ((k, seed), s) in jobs.iter().zip(runs) {
        let (_, values) = crate::report::summary_record(s).map_err(|e| out_err(path, e))?;
        let mut v = vec![plan.profiles[*k].clone(), seed.to_string()];
        v.extend(values);
        w.write_record(&v).map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// Writes a comparison folder (`compare.csv`, `runs.csv`, `compare.json`, `scenario.yaml`)
/// atomically and returns its rows. `runs[profile][seed]`.
///
/// # Errors
/// [`SimError::Output`] when the folder cannot be written.
pub fn write_compare(
    out: &std::path::Path,
    plan: &Plan,
    runs: &[Vec<Summary>],
) -> Result<Vec<CompareRow>, SimError> {
    let rows = compare_rows(&plan.profiles, runs);
    let flat: Vec<Summary> = runs.iter().flatten().cloned().collect();
    crate::report::write_folder(out, &crate::report::COMPARE_MARKERS, |tmp| {
        crate::report::write_rows(
            &rows,
            &["metric", "profile", "n", "mean", "ci_low", "ci_high", "verdict"],
            &tmp.join("compare.csv"),
        )?;
        write_runs(&tmp.join("runs.csv"), plan, &plan.jobs(), &flat)?;
        let json = serde_json::json!({
            "scenario": plan.scenario, "profiles": plan.profiles, "seeds": plan.seeds, "rows": rows
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| out_err(tmp, e))?;
        std::fs::write(tmp.join("compare.json"), text + "\n").map_err(|e| out_err(tmp, e))?;
        std::fs::write(tmp.join("scenario.yaml"), &plan.text).map_err(|e| out_err(tmp, e))?;
        Ok(())
    })?;
    Ok(rows)
}

/// Files a shard folder holds.
pub const SHARD_MARKERS: [&str; 2] = ["shard.json", "runs.csv"];

/// Writes shard `index` of `count`: its runs and `shard.json` (the plan, its hash, the shard).
///
/// # Errors
/// [`SimError::Output`] when the folder cannot be written.
pub fn write_shard(
    out: &std::path::Path,
    plan: &Plan,
    index: usize,
    count: usize,
    jobs: &[(usize, u64)],
    runs: &[Summary],
) -> Result<(), SimError> {
    crate::report::write_folder(out, &SHARD_MARKERS, |tmp| {
        write_runs(&tmp.join("runs.csv"), plan, jobs, runs)?;
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

/// Merges the shard folders of one sweep into `out`, exactly as a single process writes it.
///
/// # Errors
/// [`MergeError::Bad`] for folders of different plans, a missing or repeated shard, or a
/// missing run; [`MergeError::Sim`] for unreadable or unwritable files.
pub fn merge(dirs: &[std::path::PathBuf], out: &std::path::Path) -> Result<(), MergeError> {
    let mut plan: Option<(Plan, String, usize)> = None;
    let mut seen: Vec<bool> = Vec::new();
    let mut by_job: std::collections::BTreeMap<(usize, u64), Summary> = Default::default();
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
        let rp = d.join("runs.csv");
        let mut rd =
            csv::Reader::from_path(&rp).map_err(|e| MergeError::Bad(format!("{}: {e}", rp.display())))?;
        let headers = rd.headers().map_err(|e| MergeError::Bad(format!("{}: {e}", rp.display())))?.clone();
        let sub: csv::StringRecord = headers.iter().skip(2).collect();
        for rec in rd.records() {
            let rec = rec.map_err(|e| MergeError::Bad(format!("{}: {e}", rp.display())))?;
            let k =
                p.profiles.iter().position(|x| x == &rec[0]).ok_or_else(|| {
                    MergeError::Bad(format!("{}: unknown profile {:?}", rp.display(), &rec[0]))
                })?;
            let seed: u64 = rec[1]
                .parse()
                .map_err(|_| MergeError::Bad(format!("{}: bad run_seed {:?}", rp.display(), &rec[1])))?;
            let body: csv::StringRecord = rec.iter().skip(2).collect();
            let s: Summary = body
                .deserialize(Some(&sub))
                .map_err(|e| MergeError::Bad(format!("{}: {e}", rp.display())))?;
            by_job.insert((k, seed), s);
        }
    }
    let Some((plan, _, _)) = plan else { return Err(MergeError::Bad("no shard folders given".into())) };
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(MergeError::Bad(format!("shard {i} of {} is missing", seen.len())));
    }
    let mut runs: Vec<Vec<Summary>> = vec![Vec::new(); plan.profiles.len()];
    for (k, seed) in plan.jobs() {
        let s = by_job
            .remove(&(k, seed))
            .ok_or_else(|| MergeError::Bad(format!("run ({}, seed {seed}) is missing", plan.profiles[k])))?;
        runs[k].push(s);
    }
    write_compare(out, &plan, &runs)?;
    Ok(())
}
