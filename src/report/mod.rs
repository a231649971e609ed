//! Results folders: `pods.csv`, `timeseries.csv`, `summary.csv`, `profiles.csv`, `events.csv`,
//! `daemonsets.csv` and `failures.csv` (when the run has DaemonSets or node failures),
//! `summary.json`,
//! `timing.csv`
//! and a copy of the scenario, written to a temporary folder and renamed into place only when
//! complete, so a failed run never leaves a half-written result.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub mod charts;
pub mod digest;
pub mod html;
pub mod svg;

use crate::error::SimError;
use crate::metrics::RunResult;
use crate::metrics::{Outcome, round6};
use crate::time::secs;

/// The deterministic summary of a run (`summary.csv` rows, and `summary.json` with timing).
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Nodes at the end of the run.
    pub nodes: usize,
    /// Pods in the workload.
    pub pods_total: usize,
    /// Pods created within the run.
    pub pods_created: usize,
    /// Pods bound by the scheduler.
    pub pods_scheduled: usize,
    /// Pods bound through `spec.nodeName`, bypassing the scheduler.
    pub pods_bound_by_node_name: usize,
    /// Pods never bound: still pending, gated, without a profile, or pinned to a missing node.
    pub pods_never_scheduled: usize,
    /// Pods the workload deleted before they were ever scheduled.
    pub pods_deleted_while_pending: usize,
    /// Of those, pods that had failed at least one scheduling attempt (they waited for room
    /// that never came, rather than leaving before the scheduler saw them).
    pub pods_deleted_unschedulable: usize,
    /// Pods scheduled and later deleted by preemption.
    pub pods_preempted: usize,
    /// Preemption victims whose deletion the scheduler requested.
    pub preemptions: u64,
    /// Pods bound from a stale scheduler cache and rejected by the kubelet (OutOfcpu, ...).
    pub pods_rejected_by_kubelet: usize,
    /// Pods refused at admission (unknown PriorityClass, LimitRange, ResourceQuota).
    pub pods_rejected: usize,
    /// Pods evicted by a controller (taints, failed nodes, drains).
    pub pods_evicted: usize,
    /// Pods that ran to completion (Jobs).
    pub pods_succeeded: usize,
    /// Pods deleted by their owner (scale-down, DaemonSet on an ineligible node).
    pub pods_deleted_by_owner: usize,
    /// Pods lost with their deleted node.
    pub pods_node_lost: usize,
    /// Evictions by reason, `reason=count` joined with `; ` (NodeFailure, TaintManagerEviction,
    /// Drain, Preemption, ...).
    pub evictions_by_reason: String,
    /// Pods refused at admission by reason, `reason=count` joined with `; `.
    pub rejections_by_reason: String,
    /// Node failures within the run.
    pub node_failures: usize,
    /// OOM kills (runtime).
    pub oom_kills: u64,
    /// Container restarts (runtime).
    pub restarts: u64,
    /// Pods evicted by kubelets under memory pressure.
    pub pressure_evictions: u64,
    /// Throttled CPU, CPU-seconds (runtime).
    pub throttled_cpu_s: f64,
    /// 99th percentile over pods of the fraction of CFS periods throttled (runtime).
    pub throttled_fraction_p99: f64,
    /// Median time from the loss of a controller-owned pod to its replacement being bound,
    /// seconds (0 when none).
    pub replacement_p50_s: f64,
    /// 99th percentile of that time, seconds.
    pub replacement_p99_s: f64,
    /// Median pending time of scheduled pods, seconds (HdrHistogram, 3 significant digits).
    pub pending_p50_s: f64,
    /// 90th percentile pending time, seconds.
    pub pending_p90_s: f64,
    /// 99th percentile pending time, seconds.
    pub pending_p99_s: f64,
    /// Longest pending time, seconds (exact).
    pub pending_max_s: f64,
    /// Longest wait of a pod that was never scheduled (until its deletion, or the end of the
    /// run), seconds; such pods are not in the pending percentiles.
    pub unscheduled_wait_max_s: f64,
    /// Time-weighted mean fraction of allocatable cpu requested.
    pub cpu_allocated_mean: f64,
    /// Peak fraction of allocatable cpu requested.
    pub cpu_allocated_peak: f64,
    /// Time-weighted mean fraction of allocatable memory requested.
    pub memory_allocated_mean: f64,
    /// Peak fraction of allocatable memory requested.
    pub memory_allocated_peak: f64,
    /// Time-weighted mean fraction of allocatable nvidia.com/gpu requested.
    pub gpu_allocated_mean: f64,
    /// Peak fraction of allocatable nvidia.com/gpu requested.
    pub gpu_allocated_peak: f64,
    /// Mean over samples of the nodes with at least one pod.
    pub nodes_used_mean: f64,
    /// Most nodes with a pod at a sample.
    pub nodes_used_peak: usize,
    /// Mean over samples of the standard deviation, over nodes, of requested / allocatable cpu
    /// (how unevenly the cluster is packed).
    pub cpu_allocated_stddev_mean: f64,
    /// Mean over samples of the lowest node's requested / allocatable cpu.
    pub cpu_allocated_node_min_mean: f64,
    /// Mean over samples of the highest node's requested / allocatable cpu.
    pub cpu_allocated_node_max_mean: f64,
    /// Mean over samples of the fragmented cpu (free cpu on nodes that cannot fit the median
    /// pending pod, as a fraction of allocatable cpu).
    pub cpu_fragmented_mean: f64,
    /// Virtual time of the last event, seconds.
    pub virtual_end_s: f64,
    /// Events processed.
    pub events: u64,
    /// Scheduling cycles run.
    pub scheduling_cycles: u64,
    /// Cycles that found no feasible node.
    pub failed_cycles: u64,
    /// Facts about the modelling a reader must know, joined with `; `.
    pub notes: String,
}

/// One row of `profiles.csv`: the pods of one `schedulerName` (a profile, or a name no profile
/// has). Percentiles are exact (nearest rank) over the profile's scheduled pods, in seconds.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileSummary {
    /// The pods' `spec.schedulerName`.
    pub scheduler: String,
    /// Pods created with this schedulerName.
    pub pods_created: usize,
    /// Pods bound by the scheduler.
    pub pods_scheduled: usize,
    /// Pods never bound (pending at the end, gated, no such profile, missing node).
    pub pods_never_scheduled: usize,
    /// Pods deleted before they were scheduled.
    pub pods_deleted_while_pending: usize,
    /// Pods scheduled, then preempted.
    pub pods_preempted: usize,
    /// Pods rejected by the kubelet after a race between scheduler processes.
    pub pods_rejected_by_kubelet: usize,
    /// Median pending time, seconds.
    pub pending_p50_s: f64,
    /// 90th percentile, seconds.
    pub pending_p90_s: f64,
    /// 99th percentile, seconds.
    pub pending_p99_s: f64,
    /// Longest, seconds.
    pub pending_max_s: f64,
}

/// Whether a scheduler bound the pod at some point (whatever happened to it afterwards).
fn by_scheduler(rec: &crate::metrics::PodRecord) -> bool {
    rec.scheduled_ms.is_some()
        && !matches!(rec.outcome, Outcome::BoundByNodeName | Outcome::RejectedByKubelet)
        && !rec.owner.starts_with("Node/")
}

/// Per-`schedulerName` summaries, in name order.
pub fn summarize_profiles(r: &RunResult) -> Vec<ProfileSummary> {
    pending_by(r, |p| (0, p.scheduler_name.clone()))
}

/// Pod size classes by cpu request (millicores): upper bounds (exclusive) and names.
pub const SIZE_CLASSES: [(i64, &str); 4] =
    [(1000, "cpu<1"), (4000, "cpu1-4"), (16000, "cpu4-16"), (i64::MAX, "cpu16+")];

/// The size class of a pod with `milli_cpu` requested: its index in [`SIZE_CLASSES`].
pub fn size_class(milli_cpu: i64) -> usize {
    SIZE_CLASSES.iter().position(|(hi, _)| milli_cpu < *hi).unwrap_or(SIZE_CLASSES.len() - 1)
}

/// One row of `groups.csv`: the pending times of one group of pods — a `priority`, a
/// `namespace` or a pod `size` class (cpu request: `cpu<1`, `cpu1-4`, `cpu4-16`, `cpu16+`
/// cores), since big pods wait differently. Percentiles are exact (nearest rank), seconds.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct GroupPending {
    /// `priority`, `namespace` or `size`.
    pub dimension: String,
    /// The group's value.
    pub group: String,
    /// Pods created.
    pub pods_created: usize,
    /// Pods bound by the scheduler.
    pub pods_scheduled: usize,
    /// Pods never bound.
    pub pods_never_scheduled: usize,
    /// Median pending time, seconds.
    pub pending_p50_s: f64,
    /// 90th percentile, seconds.
    pub pending_p90_s: f64,
    /// 99th percentile, seconds.
    pub pending_p99_s: f64,
    /// Longest, seconds.
    pub pending_max_s: f64,
}

/// Columns of `groups.csv`, in [`GroupPending`] field order.
pub const GROUP_COLUMNS: [&str; 9] = [
    "dimension",
    "group",
    "pods_created",
    "pods_scheduled",
    "pods_never_scheduled",
    "pending_p50_s",
    "pending_p90_s",
    "pending_p99_s",
    "pending_max_s",
];

/// Pending times by priority (numeric order), namespace and size class, in that order.
pub fn summarize_groups(r: &RunResult) -> Vec<GroupPending> {
    let mut out = Vec::new();
    type Key = fn(&crate::model::Pod) -> (i64, String);
    let dims: [(&str, Key); 3] = [
        ("priority", |p| (p.priority as i64, p.priority.to_string())),
        ("namespace", |p| (0, p.namespace.clone())),
        ("size", |p| {
            let k = size_class(p.requests.milli_cpu);
            (k as i64, SIZE_CLASSES[k].1.to_string())
        }),
    ];
    for (dim, key) in dims {
        out.extend(pending_by(r, key).into_iter().map(|s| GroupPending {
            dimension: dim.to_string(),
            group: s.scheduler,
            pods_created: s.pods_created,
            pods_scheduled: s.pods_scheduled,
            pods_never_scheduled: s.pods_never_scheduled,
            pending_p50_s: s.pending_p50_s,
            pending_p90_s: s.pending_p90_s,
            pending_p99_s: s.pending_p99_s,
            pending_max_s: s.pending_max_s,
        }));
    }
    out
}

/// Summaries of the created pods grouped by `key` (sorted by the key; its string names the
/// group, in the `scheduler` field).
fn pending_by(r: &RunResult, key: impl Fn(&crate::model::Pod) -> (i64, String)) -> Vec<ProfileSummary> {
    let mut by: BTreeMap<(i64, String), (Vec<i64>, [usize; 6])> = BTreeMap::new();
    for (i, rec) in r.recorder.pods.iter().enumerate() {
        if rec.created_ms.is_none() {
            continue;
        }
        let e = by.entry(key(r.cluster.pod(i as u32))).or_default();
        e.1[0] += 1;
        if by_scheduler(rec) {
            e.1[1] += 1;
            e.0.push(rec.scheduled_ms.unwrap_or(0) - rec.created_ms.unwrap_or(0));
        }
        match rec.outcome {
            Outcome::DeletedWhilePending => e.1[3] += 1,
            Outcome::Preempted => e.1[4] += 1,
            Outcome::RejectedByKubelet => e.1[5] += 1,
            Outcome::Pending | Outcome::Gated | Outcome::NoProfile | Outcome::NodeNotFound => e.1[2] += 1,
            _ => {}
        }
    }
    by.into_iter()
        .map(|((_, name), (mut waits, c))| {
            waits.sort_unstable();
            let rank = |q: f64| {
                if waits.is_empty() {
                    return 0.0;
                }
                let k = ((q * waits.len() as f64).ceil() as usize).clamp(1, waits.len());
                waits[k - 1] as f64 / 1000.0
            };
            ProfileSummary {
                scheduler: name,
                pods_created: c[0],
                pods_scheduled: c[1],
                pods_never_scheduled: c[2],
                pods_deleted_while_pending: c[3],
                pods_preempted: c[4],
                pods_rejected_by_kubelet: c[5],
                pending_p50_s: rank(0.5),
                pending_p90_s: rank(0.9),
                pending_p99_s: rank(0.99),
                pending_max_s: rank(1.0),
            }
        })
        .collect()
}

/// Wall-clock figures of a run, kept apart from the summary because they vary between runs.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// Wall time of the run loop, seconds.
    pub wall_seconds: f64,
    /// Events per wall second.
    pub events_per_second: f64,
    /// Scheduling cycles per wall second.
    pub cycles_per_second: f64,
}

/// Computes the summary and timing of a run.
pub fn summarize(r: &RunResult) -> (Summary, Timing) {
    let rec = &r.recorder;
    let count = |o: Outcome| rec.pods.iter().filter(|p| p.outcome == o).count();
    // HdrHistogram reports a bucket's highest equivalent value; never above the exact maximum.
    let pct = |q: f64| {
        if rec.pending.is_empty() {
            0.0
        } else {
            rec.pending.value_at_quantile(q).min(rec.pending_max_ms) as f64 / 1000.0
        }
    };
    let never_wait_ms = rec
        .pods
        .iter()
        .filter(|p| {
            p.scheduled_ms.is_none()
                && matches!(
                    p.outcome,
                    Outcome::Pending
                        | Outcome::Gated
                        | Outcome::NoProfile
                        | Outcome::NodeNotFound
                        | Outcome::DeletedWhilePending
                )
        })
        .filter_map(|p| Some(p.deleted_ms.unwrap_or(r.end.0) - p.created_ms?))
        .max()
        .unwrap_or(0);
    let joined =
        |m: &BTreeMap<String, u64>| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let replacement = |q: f64| {
        if rec.replacement.is_empty() { 0.0 } else { rec.replacement.value_at_quantile(q) as f64 / 1000.0 }
    };
    let runtime_all = summarize_runtime(r).into_iter().find(|x| x.scheduler == "all" && x.qos_class == "all");
    let mean_of = |f: fn(&crate::metrics::Sample) -> f64| {
        if rec.samples.is_empty() {
            0.0
        } else {
            rec.samples.iter().map(f).sum::<f64>() / rec.samples.len() as f64
        }
    };
    let mean = rec.mean_allocation(r.end);
    let peak = rec.peak_allocation();
    let summary = Summary {
        scenario: r.scenario.clone(),
        seed: r.seed,
        nodes: r.cluster.num_live_nodes(),
        pods_total: rec.pods.len(),
        pods_created: rec.pods.iter().filter(|p| p.created_ms.is_some()).count(),
        pods_scheduled: rec.pods.iter().filter(|p| by_scheduler(p)).count(),
        pods_bound_by_node_name: rec
            .pods
            .iter()
            .filter(|p| {
                p.outcome == Outcome::BoundByNodeName
                    || (p.owner.starts_with("Node/") && p.scheduled_ms.is_some())
            })
            .count(),
        pods_never_scheduled: count(Outcome::Pending)
            + count(Outcome::Gated)
            + count(Outcome::NoProfile)
            + count(Outcome::NodeNotFound),
        pods_deleted_while_pending: count(Outcome::DeletedWhilePending),
        pods_deleted_unschedulable: rec
            .pods
            .iter()
            .filter(|p| p.outcome == Outcome::DeletedWhilePending && p.attempts > 0)
            .count(),
        pods_preempted: count(Outcome::Preempted),
        preemptions: rec.preemptions,
        pods_rejected_by_kubelet: count(Outcome::RejectedByKubelet),
        pods_rejected: count(Outcome::Rejected),
        pods_evicted: count(Outcome::Evicted),
        pods_succeeded: count(Outcome::Succeeded),
        pods_deleted_by_owner: count(Outcome::DeletedByOwner),
        pods_node_lost: count(Outcome::NodeLost),
        evictions_by_reason: joined(&rec.evictions),
        rejections_by_reason: joined(&rec.rejections),
        node_failures: rec.failures.len(),
        oom_kills: runtime_all.as_ref().map_or(0, |x| x.oom_kills),
        restarts: runtime_all.as_ref().map_or(0, |x| x.restarts),
        pressure_evictions: rec.evictions.get("MemoryPressure").copied().unwrap_or(0),
        throttled_cpu_s: runtime_all.as_ref().map_or(0.0, |x| x.throttled_cpu_s),
        throttled_fraction_p99: runtime_all.as_ref().map_or(0.0, |x| x.throttled_fraction_p99),
        replacement_p50_s: replacement(0.5),
        replacement_p99_s: replacement(0.99),
        pending_p50_s: pct(0.5),
        pending_p90_s: pct(0.9),
        pending_p99_s: pct(0.99),
        pending_max_s: rec.pending_max_ms as f64 / 1000.0,
        unscheduled_wait_max_s: never_wait_ms as f64 / 1000.0,
        cpu_allocated_mean: round6(mean[0]),
        cpu_allocated_peak: round6(peak[0]),
        memory_allocated_mean: round6(mean[1]),
        memory_allocated_peak: round6(peak[1]),
        gpu_allocated_mean: round6(mean[2]),
        gpu_allocated_peak: round6(peak[2]),
        nodes_used_mean: round6(mean_of(|s| s.nodes_used as f64)),
        nodes_used_peak: rec.samples.iter().map(|s| s.nodes_used).max().unwrap_or(0),
        cpu_allocated_stddev_mean: round6(mean_of(|s| s.cpu_allocated_stddev)),
        cpu_allocated_node_min_mean: round6(mean_of(|s| s.cpu_allocated_node_min)),
        cpu_allocated_node_max_mean: round6(mean_of(|s| s.cpu_allocated_node_max)),
        cpu_fragmented_mean: round6(mean_of(|s| s.cpu_fragmented)),
        virtual_end_s: r.end.as_secs_f64(),
        events: rec.events,
        scheduling_cycles: rec.cycles,
        failed_cycles: rec.failed_cycles,
        notes: r.notes.join("; "),
    };
    let wall = r.wall.as_secs_f64().max(1e-9);
    let timing = Timing {
        wall_seconds: r.wall.as_secs_f64(),
        events_per_second: rec.events as f64 / wall,
        cycles_per_second: rec.cycles as f64 / wall,
    };
    (summary, timing)
}

fn out_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

#[derive(Serialize)]
struct PodRow<'a> {
    namespace: &'a str,
    name: &'a str,
    priority: i32,
    scheduler: &'a str,
    created_s: String,
    scheduled_s: String,
    deleted_s: String,
    pending_s: String,
    node: &'a str,
    outcome: &'static str,
    attempts: u32,
    last_unschedulable_reason: &'a str,
    terminating_s: String,
    owner: &'a str,
    oom_kills: u32,
    restarts: u32,
    throttled_cpu_s: String,
    throttled_fraction: String,
    cpu_shortfall_s: String,
    gpu_milli: String,
    gpu_devices: String,
}

/// Columns of `pods.csv`, in `PodRow` field order.
const POD_COLUMNS: [&str; 21] = [
    "namespace",
    "name",
    "priority",
    "scheduler",
    "created_s",
    "scheduled_s",
    "deleted_s",
    "pending_s",
    "node",
    "outcome",
    "attempts",
    "last_unschedulable_reason",
    "terminating_s",
    "owner",
    "oom_kills",
    "restarts",
    "throttled_cpu_s",
    "throttled_fraction",
    "cpu_shortfall_s",
    "gpu_milli",
    "gpu_devices",
];

/// Columns of `timeseries.csv`, in [`crate::metrics::Sample`] field order.
pub const SAMPLE_COLUMNS: [&str; 21] = [
    "time_s",
    "nodes",
    "pods_running",
    "pods_pending",
    "cpu_allocated",
    "memory_allocated",
    "gpu_allocated",
    "pods_created",
    "pods_succeeded",
    "pods_failed",
    "pods_rejected",
    "nodes_not_ready",
    "cpu_used",
    "memory_used",
    "nodes_memory_pressure",
    "pods_crash_looping",
    "nodes_used",
    "cpu_allocated_stddev",
    "cpu_allocated_node_min",
    "cpu_allocated_node_max",
    "cpu_fragmented",
];

/// A CSV writer whose header is written even when no row follows.
fn csv_with_header(path: &Path, header: &[&str]) -> Result<csv::Writer<fs::File>, SimError> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_path(path).map_err(|e| out_err(path, e))?;
    w.write_record(header).map_err(|e| out_err(path, e))?;
    Ok(w)
}

fn write_pods(r: &RunResult, path: &Path) -> Result<(), SimError> {
    let mut w = csv_with_header(path, &POD_COLUMNS)?;
    let opt = |v: Option<i64>| v.map(secs).unwrap_or_default();
    for (i, rec) in r.recorder.pods.iter().enumerate() {
        let pod = r.cluster.pod(i as u32);
        let pending = match (rec.created_ms, rec.scheduled_ms) {
            (Some(c), Some(s)) => secs(s - c),
            _ => String::new(),
        };
        w.serialize(PodRow {
            namespace: &pod.namespace,
            name: &pod.name,
            priority: pod.priority,
            scheduler: &pod.scheduler_name,
            created_s: opt(rec.created_ms),
            scheduled_s: opt(rec.scheduled_ms),
            deleted_s: opt(rec.deleted_ms),
            pending_s: pending,
            node: rec.node.map(|n| r.cluster.node(n).node.name.as_str()).unwrap_or(""),
            outcome: rec.outcome.as_str(),
            attempts: rec.attempts,
            last_unschedulable_reason: &rec.last_reason,
            terminating_s: opt(rec.terminating_ms),
            owner: &rec.owner,
            oom_kills: rec.runtime.oom_kills,
            restarts: rec.runtime.restarts,
            throttled_cpu_s: fmt6(rec.runtime.throttled_cpu_s),
            throttled_fraction: fmt6(rec.runtime.throttled_fraction),
            cpu_shortfall_s: fmt6(rec.runtime.cpu_shortfall_s),
            gpu_milli: crate::model::gpu::pod_gpu(pod).map(|g| g.milli.to_string()).unwrap_or_default(),
            gpu_devices: rec.gpus.iter().map(u8::to_string).collect::<Vec<_>>().join(";"),
        })
        .map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// A number rounded to 6 decimals, empty for 0 (most pods of most runs).
fn fmt6(x: f64) -> String {
    if x == 0.0 { String::new() } else { round6(x).to_string() }
}

/// One row of `runtime.csv`: runtime risk of the pods of one profile and QoS class.
#[derive(Clone, Debug, Serialize)]
pub struct RuntimeSummary {
    /// `spec.schedulerName` of the pods, or `all`.
    pub scheduler: String,
    /// QoS class, or `all`.
    pub qos_class: String,
    /// Pods that ran with the runtime.
    pub pods: usize,
    /// OOM kills.
    pub oom_kills: u64,
    /// Container restarts.
    pub restarts: u64,
    /// Pods evicted by the kubelet under memory pressure.
    pub pressure_evictions: usize,
    /// Throttled CPU, CPU-seconds, total.
    pub throttled_cpu_s: f64,
    /// 99th percentile over pods of the fraction of CFS periods throttled (nearest rank).
    pub throttled_fraction_p99: f64,
    /// CPU the nodes could not serve, CPU-seconds, total.
    pub cpu_shortfall_s: f64,
}

/// Runtime summaries: per (schedulerName, QoS class), per schedulerName, and overall, in name
/// order. Empty without a runtime.
pub fn summarize_runtime(r: &RunResult) -> Vec<RuntimeSummary> {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, rec) in r.recorder.pods.iter().enumerate() {
        let Some(q) = rec.runtime.qos else { continue };
        let s = r.cluster.pod(i as u32).scheduler_name.clone();
        for key in [(s.clone(), q.to_string()), (s, "all".into()), ("all".into(), "all".into())] {
            groups.entry(key).or_default().push(i);
        }
    }
    groups
        .into_iter()
        .map(|((scheduler, qos_class), ids)| {
            let pods: Vec<&crate::metrics::PodRecord> = ids.iter().map(|i| &r.recorder.pods[*i]).collect();
            let mut fr: Vec<f64> = pods.iter().map(|p| p.runtime.throttled_fraction).collect();
            fr.sort_by(|a, b| a.total_cmp(b));
            let rank = ((0.99 * fr.len() as f64).ceil() as usize).clamp(1, fr.len()) - 1;
            RuntimeSummary {
                scheduler,
                qos_class,
                pods: pods.len(),
                oom_kills: pods.iter().map(|p| p.runtime.oom_kills as u64).sum(),
                restarts: pods.iter().map(|p| p.runtime.restarts as u64).sum(),
                pressure_evictions: pods
                    .iter()
                    .filter(|p| {
                        p.outcome == Outcome::Evicted
                            && p.last_reason.starts_with("The node was low on resource")
                    })
                    .count(),
                throttled_cpu_s: round6(pods.iter().map(|p| p.runtime.throttled_cpu_s).sum()),
                throttled_fraction_p99: round6(fr[rank]),
                cpu_shortfall_s: round6(pods.iter().map(|p| p.runtime.cpu_shortfall_s).sum()),
            }
        })
        .collect()
}

pub(crate) fn write_rows<T: Serialize>(rows: &[T], header: &[&str], path: &Path) -> Result<(), SimError> {
    let mut w = csv_with_header(path, header)?;
    for row in rows {
        w.serialize(row).map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// `summary.csv`: one `metric,value` row per summary field, in field order.
fn write_summary_csv(s: &Summary, path: &Path) -> Result<(), SimError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| out_err(path, e))?;
    w.write_record(["metric", "value"]).map_err(|e| out_err(path, e))?;
    let (header, record) = summary_record(s).map_err(|e| out_err(path, e))?;
    for (key, v) in header.iter().zip(record.iter()) {
        w.write_record([key, v]).map_err(|e| out_err(path, e))?;
    }
    w.flush().map_err(|e| out_err(path, e))
}

/// A summary as (field names, values) in the struct's field order (the csv serializer walks
/// it; serde_json's map would sort the names).
///
/// # Errors
/// A csv serialization error (a bug).
pub fn summary_record(s: &Summary) -> Result<(Vec<String>, Vec<String>), csv::Error> {
    record_of(s)
}

/// A serializable row as (header, values), as the csv crate writes it.
///
/// # Errors
/// A value that does not serialize as a flat record.
pub fn record_of<T: Serialize>(s: &T) -> Result<(Vec<String>, Vec<String>), csv::Error> {
    let mut row = csv::Writer::from_writer(Vec::new());
    row.serialize(s)?;
    let bytes = row.into_inner().map_err(|e| e.into_error())?;
    let mut rd = csv::Reader::from_reader(bytes.as_slice());
    let header = rd.headers()?.iter().map(String::from).collect();
    let record =
        rd.records().next().transpose()?.map(|r| r.iter().map(String::from).collect()).unwrap_or_default();
    Ok((header, record))
}

/// Files every capsim results folder holds; an existing `--out` folder is replaced only if it
/// holds them (or is empty), so a mistyped `--out` can never delete someone's folder.
const RESULT_MARKERS: [&str; 2] = ["summary.csv", "pods.csv"];

/// Refuses to replace `out` unless it is absent, an empty folder, or a capsim results folder.
pub fn check_replaceable(out: &Path) -> Result<(), SimError> {
    check_replaceable_with(out, &RESULT_MARKERS)
}

/// Files every `capsim compare` folder holds.
pub const COMPARE_MARKERS: [&str; 2] = ["compare.csv", "runs.csv"];

/// Refuses to replace `out` unless it is absent, empty, or holds every file of `markers`.
pub fn check_replaceable_with(out: &Path, markers: &[&str]) -> Result<(), SimError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| out_err(parent, format!("cannot create the parent folder: {e}")))?;
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(out_err(out, "exists and is not a folder; choose another --out"));
    }
    let empty = fs::read_dir(out).map_err(|e| out_err(out, e))?.next().is_none();
    if empty || markers.iter().all(|m| out.join(m).is_file()) {
        Ok(())
    } else {
        Err(out_err(
            out,
            format!(
                "exists and is not a capsim results folder (no {}); refusing to replace it",
                markers.join(" and ")
            ),
        ))
    }
}

/// Writes the results folder of `r` at `out` (replacing an older one), through a temporary
/// sibling folder renamed into place at the end. `scenario_text` is saved as `scenario.yaml`.
///
/// # Errors
/// [`SimError::Output`] when a file cannot be written; the temporary folder is removed.
pub fn write_results(r: &RunResult, scenario_text: &str, out: &Path) -> Result<Summary, SimError> {
    write_folder(out, &RESULT_MARKERS, |tmp| {
        let (summary, timing) = summarize(r);
        write_pods(r, &tmp.join("pods.csv"))?;
        write_rows(&r.recorder.samples, &SAMPLE_COLUMNS, &tmp.join("timeseries.csv"))?;
        write_summary_csv(&summary, &tmp.join("summary.csv"))?;
        if !r.recorder.daemonsets.is_empty() {
            write_rows(
                &r.recorder.daemonsets,
                &["time_s", "daemonset", "desired", "current", "ready", "misscheduled"],
                &tmp.join("daemonsets.csv"),
            )?;
        }
        let runtime = summarize_runtime(r);
        if !runtime.is_empty() {
            write_rows(
                &runtime,
                &[
                    "scheduler",
                    "qos_class",
                    "pods",
                    "oom_kills",
                    "restarts",
                    "pressure_evictions",
                    "throttled_cpu_s",
                    "throttled_fraction_p99",
                    "cpu_shortfall_s",
                ],
                &tmp.join("runtime.csv"),
            )?;
        }
        if !r.recorder.failures.is_empty() {
            write_rows(
                &r.recorder.failures,
                &[
                    "node",
                    "failed_s",
                    "recovered_s",
                    "pods_on_node",
                    "pods_evicted",
                    "replacements_scheduled",
                ],
                &tmp.join("failures.csv"),
            )?;
        }
        let events = tmp.join("events.csv");
        r.recorder.kube_events.write_csv(&events).map_err(|e| out_err(&events, e))?;
        write_rows(&summarize_groups(r), &GROUP_COLUMNS, &tmp.join("groups.csv"))?;
        let profiles = summarize_profiles(r);
        write_rows(
            &profiles,
            &[
                "scheduler",
                "pods_created",
                "pods_scheduled",
                "pods_never_scheduled",
                "pods_deleted_while_pending",
                "pods_preempted",
                "pods_rejected_by_kubelet",
                "pending_p50_s",
                "pending_p90_s",
                "pending_p99_s",
                "pending_max_s",
            ],
            &tmp.join("profiles.csv"),
        )?;
        write_rows(
            std::slice::from_ref(&timing),
            &["wall_seconds", "events_per_second", "cycles_per_second"],
            &tmp.join("timing.csv"),
        )?;
        let json = serde_json::json!({ "summary": &summary, "profiles": &profiles, "timing": &timing });
        let text = serde_json::to_string_pretty(&json).map_err(|e| out_err(tmp, e))?;
        fs::write(tmp.join("summary.json"), text + "\n").map_err(|e| out_err(tmp, e))?;
        fs::write(tmp.join("scenario.yaml"), scenario_text).map_err(|e| out_err(tmp, e))?;
        charts::write_run_report(tmp, &digest::digest(r, true), scenario_text)?;
        Ok(summary)
    })
}

/// Writes a folder at `out` atomically: `body` fills a temporary sibling folder, which then
/// replaces `out` (allowed only if `out` is absent, empty, or holds every file of `markers`).
/// On an error the temporary folder is removed and `out` is untouched.
///
/// # Errors
/// [`SimError::Output`] from the checks, `body`, or the rename.
pub fn write_folder<T>(
    out: &Path,
    markers: &[&str],
    body: impl FnOnce(&Path) -> Result<T, SimError>,
) -> Result<T, SimError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| out_err(parent, e))?;
    let leaf = out.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "results".into());
    let tmp: PathBuf = parent.join(format!(".tmp-{leaf}-{}", std::process::id()));
    check_replaceable_with(out, markers)?;
    let _ = fs::remove_dir_all(&tmp);
    let result = (|| {
        fs::create_dir_all(&tmp).map_err(|e| out_err(&tmp, e))?;
        let v = body(&tmp)?;
        if out.exists() {
            fs::remove_dir_all(out).map_err(|e| out_err(out, e))?;
        }
        fs::rename(&tmp, out).map_err(|e| out_err(out, e))?;
        Ok(v)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}
