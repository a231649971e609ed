//! The figures of one recorded run: the summary (`summary.csv`, `summary.json`), pending times
//! per profile and per group (priority, namespace, pod size), the runtime table, and wall-clock
//! timing. Pure functions of a [`RunResult`]; writing them is `report`'s job.

use std::collections::BTreeMap;

use serde::Serialize;

use super::tally::{DIM_NAMESPACE, DIM_PRIORITY, DIM_SCHEDULER, DIM_SIZE, PodTally};
use crate::metrics::{PodOutcome, RunResult, round6};

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
    /// Pods that ran to completion (Jobs' pods; outcome `Succeeded` in `pods.csv`). Not the
    /// `pods_succeeded` of `timeseries.csv`, which counts pods in phase Succeeded (ended
    /// without failing) at each sample.
    pub pods_completed: usize,
    /// Pods deleted by their owner (scale-down, DaemonSet on an ineligible node).
    pub pods_deleted_by_owner: usize,
    /// Pods lost with their deleted node.
    pub pods_node_lost: usize,
    /// The evicted pods (`pods_evicted`) by reason, `reason=count` joined with `; `
    /// (NodeFailure, TaintManagerEviction, Drain, MemoryPressure, ...); preemption victims are
    /// `pods_preempted`, not evictions.
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

/// Per-`schedulerName` summaries, in name order.
pub fn summarize_profiles(t: &PodTally) -> Vec<ProfileSummary> {
    pending_by(t, DIM_SCHEDULER)
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
pub fn summarize_groups(t: &PodTally) -> Vec<GroupPending> {
    let mut out = Vec::new();
    for (dim, name) in [(DIM_PRIORITY, "priority"), (DIM_NAMESPACE, "namespace"), (DIM_SIZE, "size")] {
        out.extend(pending_by(t, dim).into_iter().map(|s| GroupPending {
            dimension: name.to_string(),
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

/// Summaries of the created pods of dimension `dim`'s groups (sorted by the group's key; its
/// name goes in the `scheduler` field).
fn pending_by(t: &PodTally, dim: usize) -> Vec<ProfileSummary> {
    t.groups[dim]
        .iter()
        .map(|((_, name), g)| {
            let rank = |q: f64| g.waits.quantile(q).map_or(0.0, |ms| ms as f64 / 1000.0);
            let c = g.counts;
            ProfileSummary {
                scheduler: name.clone(),
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

/// Computes the summary and timing of a run whose pods `t` tallied.
pub fn summarize(r: &RunResult, t: &PodTally) -> (Summary, Timing) {
    let rec = &r.recorder;
    let count = |o: PodOutcome| t.count(o);
    // HdrHistogram reports a bucket's highest equivalent value; never above the exact maximum.
    let pct = |q: f64| {
        if rec.pending.is_empty() {
            0.0
        } else {
            rec.pending.value_at_quantile(q).min(rec.pending_max_ms) as f64 / 1000.0
        }
    };
    let never_wait_ms = t.never_wait_ms;
    let joined =
        |m: &BTreeMap<String, u64>| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let replacement = |q: f64| {
        if rec.replacement.is_empty() { 0.0 } else { rec.replacement.value_at_quantile(q) as f64 / 1000.0 }
    };
    let runtime_all = summarize_runtime(t).into_iter().find(|x| x.scheduler == "all" && x.qos_class == "all");
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
        pods_total: t.total,
        pods_created: t.created,
        pods_scheduled: t.scheduled,
        pods_bound_by_node_name: t.bound_by_node_name,
        pods_never_scheduled: count(PodOutcome::Pending)
            + count(PodOutcome::Gated)
            + count(PodOutcome::NoProfile)
            + count(PodOutcome::NodeNotFound),
        pods_deleted_while_pending: count(PodOutcome::DeletedWhilePending),
        pods_deleted_unschedulable: t.deleted_unschedulable,
        pods_preempted: count(PodOutcome::Preempted),
        preemptions: rec.preemptions,
        pods_rejected_by_kubelet: count(PodOutcome::RejectedByKubelet),
        pods_rejected: count(PodOutcome::Rejected),
        pods_evicted: count(PodOutcome::Evicted),
        pods_completed: count(PodOutcome::Succeeded),
        pods_deleted_by_owner: count(PodOutcome::DeletedByOwner),
        pods_node_lost: count(PodOutcome::NodeLost),
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
pub fn summarize_runtime(t: &PodTally) -> Vec<RuntimeSummary> {
    t.runtime
        .iter()
        .map(|((scheduler, qos_class), g)| {
            let p99 = g.throttled_fractions.quantile(0.99).map_or(0.0, f64::from_bits);
            RuntimeSummary {
                scheduler: scheduler.clone(),
                qos_class: qos_class.clone(),
                pods: g.pods,
                oom_kills: g.oom_kills,
                restarts: g.restarts,
                pressure_evictions: g.pressure_evictions,
                throttled_cpu_s: round6(g.throttled_cpu_s),
                throttled_fraction_p99: round6(p99),
                cpu_shortfall_s: round6(g.cpu_shortfall_s),
            }
        })
        .collect()
}
