//! `capsim repro fgd`: the experiment of "Beware of Fragmentation: Scheduling GPU-Sharing
//! Workloads with Fragmentation Gradient Descent" (USENIX ATC '23), as its simulator
//! (hkust-adsl/kubernetes-scheduler-simulator) runs it, for traces × policies × seeds in parallel.
//!
//! One run: the trace's pods (sorted by name) are shuffled with the seed, then pods drawn
//! uniformly with replacement from the trace are appended until the arrived GPU request would pass
//! 130 % of the cluster's GPU capacity (the simulator's check compares the drawn pod's per-GPU
//! milli, not its total, so the end overshoots by up to 7 GPUs, as there); the nodes get a random
//! rank from the same seed, which breaks ties between equal scores (the simulator's fork of
//! kube-scheduler picks the smallest node name, and names carry that random prefix). Pods arrive
//! one by one and never leave; each is scheduled once by the policy's profile (kube-scheduler's
//! filters with Open-Gpu-Share, every node scored) and bound with the devices the policy picks,
//! or fails and is dropped. After each pod, the arrived GPU request and the GPU allocation are
//! recorded; binned as the paper's scripts do (arrived % rounded half to even), the unallocated
//! GPU % at an arrived % is 100 − the mean allocation % of the pods in that bin.

use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{InputError, SimError};
use crate::model::gpu::pod_gpu;
use crate::model::gpu::{POPULARITY_THRESHOLD, TargetWorkload};
use crate::model::{Cluster, Node, Pod};
use crate::scheduler::framework::profile::{Profile, SchedulerConfig};
use crate::scheduler::framework::runner::{
    CycleOptions, CycleOutcome, SchedulerState, TieBreak, schedule_pod,
};

/// The paper's inflation of the workload: arrived GPU requests up to 130 % of capacity.
pub const TUNE_RATIO: f64 = 1.3;
/// Highest arrived % binned.
pub const MAX_ARRIVED_PCT: usize = 130;

/// The paper's name of each policy, by the plugin a profile scores with.
pub fn paper_name(plugin: &str) -> &'static str {
    use crate::scheduler::plugins::gpu::*;
    match plugin {
        random_score::NAME => "Random",
        dot_product_score::NAME => "DotProd",
        gpu_clustering_score::NAME => "GpuClustering",
        gpu_packing_score::NAME => "GpuPacking",
        best_fit_score::NAME => "BestFit",
        fgd_score::NAME => "FGD",
        _ => "other",
    }
}

/// The outcome of one run, binned by arrived %.
#[derive(Clone, Debug)]
pub struct RunCurve {
    /// Mean GPU allocation % of the pods whose arrived % rounds to x, for x in 0..=130 (NaN
    /// where no pod falls in the bin or its neighbours).
    pub alloc_pct: Vec<f64>,
    /// Cluster GPU fragmentation % (Σ over nodes of FGD's expected fragmentation / capacity)
    /// when the arrived % first reaches x.
    pub frag_pct: Vec<f64>,
    /// Pods that arrived.
    pub pods: usize,
    /// Pods no node could take.
    pub failed: usize,
}

/// Python's `round()`: half to even.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 { 2.0 * (x / 2.0).round() } else { r }
}

/// The arrival list of one seed: the trace's pods shuffled, then the inflation draws.
pub fn arrivals(pods: &[Pod], capacity_milli: i64, rng: &mut ChaCha8Rng) -> Vec<Pod> {
    let mut out: Vec<Pod> = pods.to_vec();
    out.shuffle(rng);
    let target = TUNE_RATIO * capacity_milli as f64;
    let mut total: i64 = pods.iter().map(|p| pod_gpu(p).map_or(0, |g| g.total_milli())).sum();
    let mut i = 0;
    while !pods.is_empty() && (total as f64) < target {
        let p = &pods[rng.random_range(0..pods.len())];
        let g = pod_gpu(p);
        if (total + g.as_ref().map_or(0, |g| i64::from(g.milli))) as f64 > target {
            break;
        }
        total += g.map_or(0, |g| g.total_milli());
        let mut clone = p.clone();
        clone.name = format!("{}-tuned-{i}", p.name);
        out.push(clone);
        i += 1;
    }
    out
}

/// Runs one (trace, profile, seed).
///
/// # Errors
/// [`SimError::Internal`] when a binding breaks the device accounting (a bug).
pub fn run_one(nodes: &[Node], pods: &[Pod], profile: &Profile, seed: u64) -> Result<RunCurve, SimError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let capacity: i64 = nodes.iter().map(|n| 1000 * crate::model::gpu::node_devices(n) as i64).sum();
    let workload = std::sync::Arc::new(TargetWorkload::from_pods(pods, POPULARITY_THRESHOLD));
    let list = arrivals(pods, capacity, &mut rng);
    // Node ranks: nodes join in a random order, so the first node id among equal scores is the
    // lowest rank.
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.shuffle(&mut rng);
    let mut cluster = Cluster::new();
    for i in order {
        cluster.add_node(nodes[i].clone())?;
    }
    cluster.set_gpu_workload(workload.clone());
    let mut state = SchedulerState::default();
    let opts = CycleOptions {
        tie_break: TieBreak::FirstNode,
        record_scores: false,
        run_post_filter: false,
        nominated_node: None,
    };
    let gpus = capacity as f64 / 1000.0;
    let mut sums = vec![(0.0f64, 0usize); MAX_ARRIVED_PCT + 2];
    let mut frag = vec![f64::NAN; MAX_ARRIVED_PCT + 1];
    let (mut arrived, mut used, mut failed) = (0i64, 0i64, 0usize);
    for pod in list.iter() {
        let demand = pod_gpu(pod).map_or(0, |g| g.total_milli());
        arrived += demand;
        let id = cluster.add_pod(pod.clone());
        let r = schedule_pod(profile, cluster.pod(id), &cluster, &mut state, &mut rng, opts);
        match r.outcome {
            CycleOutcome::Scheduled(node) => {
                cluster.bind_gpus(id, node, r.gpus)?;
                used += demand;
            }
            _ => failed += 1,
        }
        let x = round_half_even(arrived as f64 / gpus / 10.0);
        let alloc = (used as f64 / gpus / 10.0 * 100.0).round() / 100.0;
        if x >= 0.0 && (x as usize) <= MAX_ARRIVED_PCT {
            let b = x as usize;
            sums[b].0 += alloc;
            sums[b].1 += 1;
            if frag[b].is_nan() {
                let f: f64 = cluster
                    .live_nodes()
                    .map(|(_, n)| {
                        let cpu = n.node.allocatable.milli_cpu - n.requested.milli_cpu;
                        workload.fragmentation(cpu, &n.gpu_left, crate::model::gpu::node_model(&n.node))
                    })
                    .sum();
                frag[b] = f / capacity as f64 * 100.0;
            }
        }
    }
    let mean = |b: usize| if sums[b].1 > 0 { Some(sums[b].0 / sums[b].1 as f64) } else { None };
    let alloc_pct = (0..=MAX_ARRIVED_PCT)
        .map(|x| {
            mean(x)
                .or_else(|| {
                    // The scripts' fallback: the rows within one point.
                    let lo = x.saturating_sub(1);
                    let (s, n) = (lo..=x + 1).fold((0.0, 0), |(s, n), b| (s + sums[b].0, n + sums[b].1));
                    (n > 0).then(|| s / n as f64)
                })
                .map_or(f64::NAN, |v| (v * 100.0).round() / 100.0)
        })
        .collect();
    Ok(RunCurve { alloc_pct, frag_pct: frag, pods: list.len(), failed })
}

/// A trace of the study: its name (`default`, `gpushare40`, ...) and pod-list file.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Name.
    pub name: String,
    /// `openb_pod_list_<name>.csv`.
    pub path: PathBuf,
}

/// The 17 traces of the paper's figures: default (Fig. 9), gpushare40–100 (Fig. 11),
/// multigpu20–50 (Fig. 12), gpuspec10–33 (Fig. 13), cpu050–250 (Fig. 14).
pub const PAPER_TRACES: [&str; 17] = [
    "default",
    "gpushare40",
    "gpushare60",
    "gpushare80",
    "gpushare100",
    "multigpu20",
    "multigpu30",
    "multigpu40",
    "multigpu50",
    "gpuspec10",
    "gpuspec20",
    "gpuspec25",
    "gpuspec33",
    "cpu050",
    "cpu100",
    "cpu200",
    "cpu250",
];

/// One row of `table.csv`: a trace and policy at an arrived %, over the seeds.
#[derive(Clone, Debug, Serialize)]
pub struct TableRow {
    /// Trace.
    pub trace: String,
    /// Policy (paper name).
    pub policy: String,
    /// Arrived GPU request, % of capacity.
    pub arrived_pct: usize,
    /// Seeds.
    pub seeds: usize,
    /// Mean unallocated GPU %.
    pub unallocated_mean: f64,
    /// Sample standard deviation over seeds.
    pub unallocated_sd: f64,
    /// Mean GPU fragmentation % (FGD's measure, the first pod reaching this arrived %).
    pub fragmentation_mean: f64,
}

/// One row of `curves.csv`.
#[derive(Clone, Debug, Serialize)]
pub struct CurveRow {
    /// Trace.
    pub trace: String,
    /// Policy.
    pub policy: String,
    /// Seed.
    pub seed: u64,
    /// Arrived GPU request, %.
    pub arrived_pct: usize,
    /// GPU allocation %.
    pub allocated_pct: f64,
    /// Unallocated GPU % (100 − allocation).
    pub unallocated_pct: f64,
    /// GPU fragmentation %.
    pub fragmentation_pct: f64,
}

/// Everything the study produced.
pub struct Study {
    /// `[trace][policy][seed]`.
    pub curves: Vec<Vec<Vec<RunCurve>>>,
    /// Traces.
    pub traces: Vec<String>,
    /// Policies (paper names, in profile order).
    pub policies: Vec<String>,
    /// Seeds.
    pub seeds: Vec<u64>,
}

/// Runs traces × profiles × seeds in parallel (results independent of the thread count).
///
/// # Errors
/// An unreadable trace or node list, or an internal error of a run.
pub fn study(
    nodes_path: &Path,
    traces: &[Trace],
    config: &SchedulerConfig,
    seeds: &[u64],
    tick: &(dyn Fn() + Sync),
) -> Result<Study, SimError> {
    let mut nodes = crate::workload::alibaba_openb::read_nodes(nodes_path)?;
    for n in &mut nodes {
        // The simulator's nodes take up to 1,001 pods, never a limit in practice.
        n.allocatable.pods = 1001;
        n.capacity.pods = 1001;
    }
    let mut pod_lists = Vec::new();
    for t in traces {
        let mut pods: Vec<Pod> =
            crate::workload::alibaba_openb::read_pods(&t.path)?.arrivals.into_iter().map(|a| a.pod).collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        pod_lists.push(pods);
    }
    // The traces' GPU-sharing pods ask for capsim's GPU-sharing Filter (docs/plugins.md).
    let mut config = config.clone();
    crate::scheduler::plugins::gpu::enable_for_workload(&mut config, pod_lists.iter().flatten());
    let profiles = &config.profiles;
    let jobs: Vec<(usize, usize, u64)> = (0..traces.len())
        .flat_map(|t| (0..profiles.len()).flat_map(move |p| seeds.iter().map(move |s| (t, p, *s))))
        .collect();
    let results: Vec<Result<RunCurve, SimError>> = jobs
        .par_iter()
        .map(|(t, p, s)| {
            let r = run_one(&nodes, &pod_lists[*t], &profiles[*p], *s);
            tick();
            r
        })
        .collect();
    let mut curves = vec![vec![Vec::new(); profiles.len()]; traces.len()];
    for ((t, p, _), r) in jobs.iter().zip(results) {
        curves[*t][*p].push(r?);
    }
    let policies = profiles
        .iter()
        .map(|p| p.score.first().map_or("none", |w| paper_name(w.plugin.name())).to_string())
        .collect();
    Ok(Study {
        curves,
        traces: traces.iter().map(|t| t.name.clone()).collect(),
        policies,
        seeds: seeds.to_vec(),
    })
}

/// Mean and sample standard deviation.
fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, var.sqrt())
}

impl Study {
    /// The table at the given arrived percentages.
    pub fn table(&self, at: &[usize]) -> Vec<TableRow> {
        let r2 = |x: f64| (x * 100.0).round() / 100.0;
        let mut out = Vec::new();
        for (t, trace) in self.traces.iter().enumerate() {
            for (p, policy) in self.policies.iter().enumerate() {
                for &x in at {
                    let un: Vec<f64> = self.curves[t][p].iter().map(|c| 100.0 - c.alloc_pct[x]).collect();
                    let fr: Vec<f64> = self.curves[t][p].iter().map(|c| c.frag_pct[x]).collect();
                    let (m, sd) = mean_sd(&un);
                    out.push(TableRow {
                        trace: trace.clone(),
                        policy: policy.clone(),
                        arrived_pct: x,
                        seeds: un.len(),
                        unallocated_mean: r2(m),
                        unallocated_sd: r2(sd),
                        fragmentation_mean: r2(mean_sd(&fr).0),
                    });
                }
            }
        }
        out
    }

    /// Every run's curve, per arrived %.
    pub fn curve_rows(&self) -> Vec<CurveRow> {
        let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
        let mut out = Vec::new();
        for (t, trace) in self.traces.iter().enumerate() {
            for (p, policy) in self.policies.iter().enumerate() {
                for (c, seed) in self.curves[t][p].iter().zip(&self.seeds) {
                    for x in 0..=MAX_ARRIVED_PCT {
                        out.push(CurveRow {
                            trace: trace.clone(),
                            policy: policy.clone(),
                            seed: *seed,
                            arrived_pct: x,
                            allocated_pct: r3(c.alloc_pct[x]),
                            unallocated_pct: r3(100.0 - c.alloc_pct[x]),
                            fragmentation_pct: r3(c.frag_pct[x]),
                        });
                    }
                }
            }
        }
        out
    }

    /// The paper's Fig. 9(a)-style chart of one trace: unallocated GPU % against arrived GPU
    /// request %, the mean over seeds per policy, from 75 % to 130 %.
    pub fn chart(&self, t: usize) -> crate::report::plot::Chart {
        use crate::report::plot::{Axis, Series, line_chart};
        let series: Vec<Series> = self
            .policies
            .iter()
            .enumerate()
            .map(|(p, name)| Series {
                name: name.clone(),
                points: (75..=MAX_ARRIVED_PCT)
                    .map(|x| {
                        let v: Vec<f64> = self.curves[t][p].iter().map(|c| 100.0 - c.alloc_pct[x]).collect();
                        (x as f64, mean_sd(&v).0)
                    })
                    .collect(),
            })
            .collect();
        let x = Axis {
            label: "arrived GPU request (% of cluster GPU capacity)".into(),
            log: false,
            min: Some(75.0),
            max: Some(130.0),
        };
        let y = Axis {
            label: "unallocated GPU (% of capacity), mean over seeds".into(),
            log: false,
            min: Some(0.0),
            max: None,
        };
        line_chart(
            &format!(
                "Unallocated GPU vs arrived workload, openb {} ({} seeds)",
                self.traces[t],
                self.seeds.len()
            ),
            &x,
            &y,
            &series,
            false,
        )
    }
}

/// The paper's Table (default trace): unallocated GPU % mean (sd) at 100 % and 130 % arrived, by
/// policy in the order Random, DotProd, GpuClustering, GpuPacking, BestFit, FGD.
pub const PAPER_DEFAULT: [(&str, [(f64, f64); 2]); 6] = [
    ("Random", [(13.70, 0.33), (12.53, 0.32)]),
    ("DotProd", [(9.38, 0.19), (9.15, 0.20)]),
    ("GpuClustering", [(8.35, 0.61), (8.12, 0.62)]),
    ("GpuPacking", [(8.22, 0.53), (8.00, 0.54)]),
    ("BestFit", [(7.14, 0.14), (6.92, 0.13)]),
    ("FGD", [(4.77, 0.11), (4.61, 0.08)]),
];

/// Whether capsim's value is within the tolerance of the paper's: ±0.5 points or two of the
/// paper's standard deviations, whichever is wider.
pub fn within(capsim: f64, paper: (f64, f64)) -> bool {
    (capsim - paper.0).abs() <= 0.5f64.max(2.0 * paper.1)
}

/// The node list and pod-list folder of a scenario whose nodes and workload are openb traces.
///
/// # Errors
/// A scenario without an openb node list and pod list.
pub fn trace_paths(sc_path: &Path, text: &str) -> Result<(PathBuf, PathBuf), InputError> {
    let sc: crate::api::scenario::Scenario = crate::api::yaml::from_str_typed(text, sc_path)?;
    let dir = sc_path.parent().unwrap_or(Path::new("."));
    let node = sc.spec.cluster.nodes.iter().find_map(|n| match n {
        crate::api::scenario::NodeSource::Trace(t) => Some(dir.join(&t.path)),
        _ => None,
    });
    let pods = sc.spec.workload.iter().find_map(|w| match w {
        crate::api::scenario::WorkloadSource::Trace(t) => Some(dir.join(&t.path)),
        _ => None,
    });
    match (node, pods) {
        (Some(n), Some(p)) => Ok((n, p.parent().map(Path::to_path_buf).unwrap_or_default())),
        _ => Err(InputError::Field {
            path: sc_path.to_path_buf(),
            line: 0,
            field: "spec".into(),
            message: "repro fgd needs an openb node list in spec.cluster.nodes and an openb pod list in spec.workload".into(),
        }),
    }
}

/// The kind of a `capsim repro fgd` folder: the study and its traces, so a study is replaced
/// only by a study of the same traces (see [`crate::report::MARKER`]).
pub fn study_kind(traces: &[String]) -> String {
    format!("repro fgd, traces {}", traces.join(","))
}

/// The default folder of a study of `traces`: `results/fgd/<set>/`, the set being `paper` for
/// the paper's 17 traces, else the trace names joined with `+`.
pub fn default_out(traces: &[String]) -> std::path::PathBuf {
    let set = if traces.iter().map(String::as_str).eq(PAPER_TRACES.iter().copied()) {
        "paper".to_string()
    } else {
        traces.join("+")
    };
    std::path::Path::new("results").join("fgd").join(set)
}

/// Writes the study into `out` atomically: `table.csv` (every trace × policy at 100 % and 130 %
/// arrived), `curves.csv` (every run, every arrived %), `comparison.md` (the default trace
/// against the paper's table, when it was run), `charts/<trace>.svg` and `report.html`. Returns
/// the comparison text (or the table in short when the default trace was not run).
///
/// # Errors
/// [`SimError::Output`] when the folder cannot be written.
pub fn write_study(out: &Path, s: &Study, scenario_text: &str) -> Result<String, SimError> {
    let oe = |p: &Path, e: &dyn std::fmt::Display| SimError::Output {
        path: p.to_path_buf(),
        message: e.to_string(),
    };
    let table = s.table(&[100, MAX_ARRIVED_PCT]);
    let text = comparison(s, &table);
    crate::report::write_folder(out, &study_kind(&s.traces), |tmp| {
        crate::report::write_rows(
            &table,
            &[
                "trace",
                "policy",
                "arrived_pct",
                "seeds",
                "unallocated_mean",
                "unallocated_sd",
                "fragmentation_mean",
            ],
            &tmp.join("table.csv"),
        )?;
        crate::report::write_rows(
            &s.curve_rows(),
            &[
                "trace",
                "policy",
                "seed",
                "arrived_pct",
                "allocated_pct",
                "unallocated_pct",
                "fragmentation_pct",
            ],
            &tmp.join("curves.csv"),
        )?;
        std::fs::write(tmp.join("comparison.md"), &text).map_err(|e| oe(tmp, &e))?;
        let cdir = tmp.join("charts");
        std::fs::create_dir_all(&cdir).map_err(|e| oe(&cdir, &e))?;
        let mut page = crate::report::html::Page::new("capsim repro fgd");
        page.heading("Comparison").markdown(&text);
        for (t, name) in s.traces.iter().enumerate() {
            let svg = s.chart(t).write(&cdir, name)?;
            page.chart(&svg, &format!("charts/{name}.svg"));
        }
        let rows: Vec<Vec<String>> = table
            .iter()
            .map(|r| {
                vec![
                    r.trace.clone(),
                    r.policy.clone(),
                    r.arrived_pct.to_string(),
                    format!("{:.2} ({:.2})", r.unallocated_mean, r.unallocated_sd),
                    format!("{:.2}", r.fragmentation_mean),
                ]
            })
            .collect();
        page.heading("Table").table(
            &["trace", "policy", "arrived %", "unallocated GPU % mean (sd)", "fragmentation %"],
            &rows,
        );
        page.heading("Scenario").pre(scenario_text);
        std::fs::write(tmp.join("report.html"), page.finish()).map_err(|e| oe(tmp, &e))
    })?;
    Ok(text)
}

/// The comparison with the paper (default trace) as a Markdown table, or a short table.
fn comparison(s: &Study, table: &[TableRow]) -> String {
    let seeds = crate::report::charts::seed_list(&s.seeds);
    let mut out = String::new();
    for trace in &s.traces {
        let rows: Vec<&TableRow> = table.iter().filter(|r| r.trace == *trace).collect();
        out.push_str(&format!("openb {trace}: unallocated GPU %, mean (sd) over seeds {seeds}\n\n"));
        if trace == "default" {
            out.push_str("| policy | arrived | capsim | paper | within tolerance |\n|---|---|---|---|---|\n");
            for (policy, paper) in PAPER_DEFAULT {
                for (k, x) in [100, MAX_ARRIVED_PCT].into_iter().enumerate() {
                    if let Some(r) = rows.iter().find(|r| r.policy == policy && r.arrived_pct == x) {
                        out.push_str(&format!(
                            "| {policy} | {x}% | {:.2} ({:.2}) | {:.2} ({:.2}) | {} |\n",
                            r.unallocated_mean,
                            r.unallocated_sd,
                            paper[k].0,
                            paper[k].1,
                            if within(r.unallocated_mean, paper[k]) { "yes" } else { "NO" }
                        ));
                    }
                }
            }
        } else {
            out.push_str("| policy | 100% | 130% |\n|---|---|---|\n");
            for p in &s.policies {
                let v = |x: usize| {
                    rows.iter().find(|r| r.policy == *p && r.arrived_pct == x).map_or("-".into(), |r| {
                        format!("{:.2} ({:.2})", r.unallocated_mean, r.unallocated_sd)
                    })
                };
                out.push_str(&format!("| {p} | {} | {} |\n", v(100), v(MAX_ARRIVED_PCT)));
            }
        }
        out.push('\n');
    }
    out
}
