//! Write-only recorders fed by the engine: one record per pod, pending time in an HdrHistogram,
//! exact time-weighted allocation, and sampled time series. They never influence a decision.

pub mod event_log;
pub mod finished;

pub use event_log::EventLog;
pub use finished::{FinishedPods, PodFacts, PodResult};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::model::{Cluster, NodeId, NodeInfo};
use crate::time::SimTime;

/// How a pod's life in the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum PodOutcome {
    /// Not yet created when the run ended (beyond the horizon).
    NotCreated,
    /// Bound to a node by the scheduler.
    Scheduled,
    /// Created with `spec.nodeName`: bound without the scheduler.
    BoundByNodeName,
    /// Still pending when the run ended.
    Pending,
    /// Deleted by the workload before it was ever scheduled.
    DeletedWhilePending,
    /// Held back by a PreEnqueue plugin (scheduling gates) for the whole run.
    Gated,
    /// No profile has its `schedulerName`; kube-scheduler ignores such pods.
    NoProfile,
    /// `spec.nodeName` names a node that does not exist.
    NodeNotFound,
    /// Scheduled, then deleted by the scheduler's preemption (after its grace period).
    Preempted,
    /// Bound by a scheduler whose cache was stale, then rejected by the kubelet (OutOfcpu, ...).
    RejectedByKubelet,
    /// Refused at creation by admission (unknown PriorityClass, LimitRange, ResourceQuota).
    Rejected,
    /// Deleted by a controller's eviction: the taint eviction controller (NoExecute taints,
    /// failed nodes), a drain, or capsim's node-affinity extension.
    Evicted,
    /// Ran to completion (a Job's pod).
    Succeeded,
    /// Deleted by its owner (ReplicaSet scale-down, DaemonSet on a node no longer eligible).
    DeletedByOwner,
    /// Its node was deleted under it.
    NodeLost,
    /// A container was OOM-killed and `restartPolicy: Never` let the pod fail.
    OomKilled,
}

impl PodOutcome {
    /// The outcome as written in `pods.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            PodOutcome::NotCreated => "NotCreated",
            PodOutcome::Scheduled => "Scheduled",
            PodOutcome::BoundByNodeName => "BoundByNodeName",
            PodOutcome::Pending => "Pending",
            PodOutcome::DeletedWhilePending => "DeletedWhilePending",
            PodOutcome::Gated => "Gated",
            PodOutcome::NoProfile => "NoProfile",
            PodOutcome::NodeNotFound => "NodeNotFound",
            PodOutcome::Preempted => "Preempted",
            PodOutcome::RejectedByKubelet => "RejectedByKubelet",
            PodOutcome::Rejected => "Rejected",
            PodOutcome::Evicted => "Evicted",
            PodOutcome::Succeeded => "Succeeded",
            PodOutcome::DeletedByOwner => "DeletedByOwner",
            PodOutcome::NodeLost => "NodeLost",
            PodOutcome::OomKilled => "OOMKilled",
        }
    }
}

/// What happened to one pod (a row of `pods.csv`). Times in milliseconds of virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct PodRecord {
    /// When the pod was created.
    pub created_ms: Option<i64>,
    /// When it was bound.
    pub scheduled_ms: Option<i64>,
    /// When it was deleted.
    pub deleted_ms: Option<i64>,
    /// The node it was bound to.
    pub node: Option<NodeId>,
    /// How it ended.
    pub outcome: PodOutcome,
    /// The message of its last failed scheduling attempt (FitError text), if any.
    pub last_reason: String,
    /// Scheduling cycles run for it.
    pub attempts: u32,
    /// When its deletion was requested (`deletionTimestamp`: eviction, preemption, scale-down),
    /// if it was; it may keep its node for a grace period after that.
    pub terminating_ms: Option<i64>,
    /// Its controller, `Kind/namespace/name` (empty for standalone pods).
    pub owner: String,
    /// Runtime counters (zero without a runtime section).
    pub runtime: RuntimeCounters,
    /// The GPU devices (indices on its node) it was bound to, for GPU pods.
    pub gpus: Vec<u8>,
}

/// A pod's runtime counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct RuntimeCounters {
    /// OOM kills of its containers.
    pub oom_kills: u32,
    /// Container restarts.
    pub restarts: u32,
    /// CPU work CFS quota deferred to later periods, CPU-seconds: steady demand above the limit,
    /// and what bursts' arrival periods could not run.
    pub throttled_cpu_s: f64,
    /// Fraction of CFS periods throttled (`nr_throttled / nr_periods`).
    pub throttled_fraction: f64,
    /// CFS periods that ended with CPU work waiting for quota, summed over containers
    /// (`nr_throttled` of `cpu.stat`).
    pub throttled_periods: u64,
    /// CPU the node could not serve, CPU-seconds.
    pub cpu_shortfall_s: f64,
    /// QoS class, if it ran with a runtime.
    pub qos: Option<crate::model::QosClass>,
}

impl PodRecord {
    /// A record for a pod not yet created.
    pub fn new() -> Self {
        PodRecord {
            created_ms: None,
            scheduled_ms: None,
            deleted_ms: None,
            node: None,
            outcome: PodOutcome::NotCreated,
            last_reason: String::new(),
            attempts: 0,
            terminating_ms: None,
            owner: String::new(),
            runtime: RuntimeCounters::default(),
            gpus: Vec::new(),
        }
    }
}

impl Default for PodRecord {
    fn default() -> Self {
        Self::new()
    }
}

/// Pods by phase at one instant: every pod created so far is in exactly one of pending,
/// running, succeeded, failed, rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodCounts {
    /// Created so far.
    pub created: usize,
    /// Admitted, not bound (queued, unschedulable, gated, or with no profile).
    pub pending: usize,
    /// Bound and not terminating.
    pub running: usize,
    /// Finished well: Job pods that completed, pods deleted by their owner or the trace after
    /// running.
    pub succeeded: usize,
    /// Ended by the system: evicted, preempted, rejected by the kubelet, lost with their node,
    /// or deleted before they ever ran.
    pub failed: usize,
    /// Refused at admission.
    pub rejected: usize,
}

/// A DaemonSet's status at one sample (a row of `daemonsets.csv`).
#[derive(Clone, Debug, Serialize)]
pub struct DaemonSetSample {
    /// Virtual time, seconds.
    pub time_s: f64,
    /// `namespace/name`.
    pub daemonset: String,
    /// Nodes that should run a daemon pod (`desiredNumberScheduled`).
    pub desired: usize,
    /// Of those, nodes with a daemon pod (`currentNumberScheduled`).
    pub current: usize,
    /// Of those, nodes where it runs (`numberReady`; no readiness probes in capsim).
    pub ready: usize,
    /// Nodes that run a daemon pod but should not (`numberMisscheduled`).
    pub misscheduled: usize,
}

/// QoS classes in the order of [`RuntimeSample::by_qos`] (name order, as in `runtime.csv`).
pub const QOS_CLASSES: [crate::model::QosClass; 3] = [
    crate::model::QosClass::BestEffort,
    crate::model::QosClass::Burstable,
    crate::model::QosClass::Guaranteed,
];

/// Runtime counters of the pods of one QoS class, summed from the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RuntimeTotals {
    /// Containers OOM-killed.
    pub oom_kills: u64,
    /// Containers restarted.
    pub restarts: u64,
    /// CPU work CFS quota deferred, CPU-seconds.
    pub throttled_cpu_s: f64,
}

/// The runtime counters so far at one sample, by QoS class (runs with a runtime section only).
/// Kept for the report's charts over time; not written to a CSV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuntimeSample {
    /// Virtual time, seconds.
    pub time_s: f64,
    /// Totals so far, one per class of [`QOS_CLASSES`], in that order.
    pub by_qos: [RuntimeTotals; 3],
}

/// Index of `q` in [`QOS_CLASSES`].
fn qos_index(q: crate::model::QosClass) -> usize {
    QOS_CLASSES.iter().position(|&c| c == q).unwrap_or(0)
}

/// One node failure (a row of `failures.csv`).
#[derive(Clone, Debug, Serialize)]
pub struct FailureRecord {
    /// The node.
    pub node: String,
    /// When it stopped heartbeating, seconds.
    pub failed_s: f64,
    /// When it heartbeated again, seconds (empty if never within the run).
    pub recovered_s: Option<f64>,
    /// Pods bound to it when it failed.
    pub pods_on_node: usize,
    /// Of those, pods evicted while it was down.
    pub pods_evicted: usize,
    /// Replacements of the evicted pods that a scheduler bound within the run.
    pub replacements_scheduled: usize,
}

/// A Kubernetes-style event (a row of `events.csv`), as `kubectl get events` shows them.
#[derive(Clone, Debug, Serialize)]
pub struct KubeEvent {
    /// Virtual time, milliseconds (written as seconds).
    #[serde(skip)]
    pub time_ms: i64,
    /// Virtual time, seconds.
    pub time_s: String,
    /// The object, `Pod/namespace/name`.
    pub object: String,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `Scheduled`, `FailedScheduling`, `Preempted`, ...
    pub reason: &'static str,
    /// The message, in upstream's words.
    pub message: String,
    /// Who reported it: a profile's schedulerName, or `capsim`.
    pub source: String,
}

/// One row of `timeseries.csv`.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct Sample {
    /// Virtual time, seconds.
    pub time_s: f64,
    /// Nodes in the cluster.
    pub nodes: usize,
    /// Pods bound to a node.
    pub pods_running: usize,
    /// Pods created and not yet bound (queued, unschedulable or gated).
    pub pods_pending: usize,
    /// Σ requested cpu / Σ allocatable cpu.
    pub cpu_allocated: f64,
    /// Σ requested memory / Σ allocatable memory.
    pub memory_allocated: f64,
    /// Σ milli-GPU taken on GPU devices / Σ devices × 1000 (0 without GPUs).
    pub gpu_allocated: f64,
    /// Pods created so far (= pending + running + succeeded + failed + rejected).
    pub pods_created: usize,
    /// Pods that finished well.
    pub pods_succeeded: usize,
    /// Pods ended by the system (evicted, preempted, lost, rejected by the kubelet, deleted
    /// before running).
    pub pods_failed: usize,
    /// Pods refused at admission.
    pub pods_rejected: usize,
    /// Nodes whose Ready condition is not True (failed and past the grace period).
    pub nodes_not_ready: usize,
    /// Σ cpu used / Σ allocatable cpu (empty without a runtime section).
    pub cpu_used: Option<f64>,
    /// Σ memory used / Σ allocatable memory (empty without a runtime section).
    pub memory_used: Option<f64>,
    /// Nodes with the MemoryPressure condition.
    pub nodes_memory_pressure: usize,
    /// Running pods with a container in CrashLoopBackOff (waiting out its restart back-off).
    pub pods_crash_looping: usize,
    /// Nodes with at least one pod bound.
    pub nodes_used: usize,
    /// Standard deviation over the nodes of each node's requested / allocatable cpu.
    pub cpu_allocated_stddev: f64,
    /// Lowest requested / allocatable cpu of a node.
    pub cpu_allocated_node_min: f64,
    /// Highest requested / allocatable cpu of a node.
    pub cpu_allocated_node_max: f64,
    /// Fragmentation: free cpu on nodes that cannot fit the median pending pod (by cpu, memory
    /// and GPU requests), as a fraction of the cluster's allocatable cpu; 0 when no pod is
    /// pending.
    pub cpu_fragmented: f64,
}

/// Longest pending time the histogram tracks exactly: 100 years of virtual time, in ms. Longer
/// values saturate.
pub const MAX_PENDING_MS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Cluster-wide (requested, allocatable) of cpu (millicores), memory (bytes) and milli-GPU.
/// The sums are 128-bit: each node's values fit an `i64` as upstream's do, but a cluster of
/// nodes with exabytes of memory would overflow a 64-bit sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Σ requested, per resource.
    pub requested: [i128; 3],
    /// Σ allocatable, per resource.
    pub allocatable: [i128; 3],
}

impl Totals {
    /// Fractions requested/allocatable (0 where nothing is allocatable).
    pub fn fractions(&self) -> [f64; 3] {
        std::array::from_fn(|i| {
            if self.allocatable[i] > 0 { self.requested[i] as f64 / self.allocatable[i] as f64 } else { 0.0 }
        })
    }

    /// A node's (cpu millicores, memory bytes, milli-GPU), allocatable or requested.
    fn node_vec(info: &NodeInfo, requested: bool) -> [i64; 3] {
        let gpu_total = 1000 * info.gpu_left.len() as i64;
        if requested {
            let gpu_free: i64 = info.gpu_left.iter().map(|l| i64::from(*l)).sum();
            [info.requested.milli_cpu, info.requested.memory, gpu_total - gpu_free]
        } else {
            [info.node.allocatable.milli_cpu, info.node.allocatable.memory, gpu_total]
        }
    }

    /// Adds a node's allocatable (and what its pods request).
    pub fn add_node(&mut self, info: &NodeInfo) {
        let (a, r) = (Self::node_vec(info, false), Self::node_vec(info, true));
        for i in 0..3 {
            self.allocatable[i] += i128::from(a[i]);
            self.requested[i] += i128::from(r[i]);
        }
    }

    /// Adds (`sign` = 1) or removes (`sign` = -1) a pod's requests; GPUs count as the pod's
    /// milli-GPU on each of the `devices` it holds (none when its devices did not fit).
    pub fn add_pod(&mut self, pod: &crate::model::Pod, devices: usize, sign: i64) {
        let r = &pod.requests;
        let sign = i128::from(sign);
        self.requested[0] += sign * i128::from(r.milli_cpu);
        self.requested[1] += sign * i128::from(r.memory);
        self.requested[2] +=
            sign * crate::model::gpu::pod_gpu(pod).map_or(0, |g| i128::from(g.milli) * devices as i128);
    }
}

/// Collects everything a run reports.
pub struct Recorder {
    /// The record of each pod not yet finished, by pod id.
    pub pods: crate::model::PodTable<PodRecord>,
    /// The records of finished pods, streamed out of memory as they pile up.
    pub finished: FinishedPods,
    /// Pending time (creation → binding) of scheduled pods, milliseconds.
    pub pending: Histogram<u64>,
    /// Longest pending time seen, exact, milliseconds.
    pub pending_max_ms: u64,
    /// Time-series samples.
    pub samples: Vec<Sample>,
    /// Current cluster totals.
    pub totals: Totals,
    area: [f64; 3],
    peak: [f64; 3],
    last_change: SimTime,
    first_time: Option<SimTime>,
    /// Kubernetes-style events, in the order they happened (streamed to disk as they pile up).
    pub kube_events: EventLog,
    /// Whether events are recorded (off for runs that keep only digests).
    pub record_events: bool,
    /// Pods preempted (victims whose deletion was requested).
    pub preemptions: u64,
    /// Pods the kubelet rejected after a scheduler bound them from a stale cache.
    pub kubelet_rejections: u64,
    /// Events processed.
    pub events: u64,
    /// Scheduling cycles run.
    pub cycles: u64,
    /// Cycles that found no feasible node.
    pub failed_cycles: u64,
    /// Evicted pods by reason (`TaintManagerEviction`, `NodeFailure`, `Drain`, `MemoryPressure`,
    /// ...); preemption victims are counted apart ([`Recorder::preemptions`]).
    pub evictions: std::collections::BTreeMap<String, u64>,
    /// Pods refused at admission, by reason.
    pub rejections: std::collections::BTreeMap<String, u64>,
    /// Time from a controller-owned pod's loss to its replacement being bound, ms.
    pub replacement: Histogram<u64>,
    /// DaemonSet status at every sample.
    pub daemonsets: Vec<DaemonSetSample>,
    /// Node failures.
    pub failures: Vec<FailureRecord>,
    /// Runtime counters by QoS class at every sample (runs with a runtime section only).
    pub runtime_samples: Vec<RuntimeSample>,
    /// Runtime counters of the pods whose runtime state was freed, by QoS class.
    retired_runtime: [RuntimeTotals; 3],
}

impl Recorder {
    /// A recorder for `num_pods` pods.
    pub fn new(num_pods: usize) -> Self {
        Recorder {
            pods: {
                let mut t = crate::model::PodTable::new();
                for _ in 0..num_pods {
                    t.push(PodRecord::new());
                }
                t
            },
            finished: FinishedPods::default(),
            evictions: Default::default(),
            rejections: Default::default(),
            replacement: Histogram::new_with_bounds(1, MAX_PENDING_MS, 3).expect("valid histogram bounds"),
            daemonsets: Vec::new(),
            failures: Vec::new(),
            runtime_samples: Vec::new(),
            retired_runtime: [RuntimeTotals::default(); 3],
            pending: Histogram::new_with_bounds(1, MAX_PENDING_MS, 3).expect("valid histogram bounds"),
            pending_max_ms: 0,
            samples: Vec::new(),
            totals: Totals::default(),
            area: [0.0; 3],
            peak: [0.0; 3],
            last_change: SimTime::ZERO,
            first_time: None,
            kube_events: EventLog::default(),
            record_events: true,
            preemptions: 0,
            kubelet_rejections: 0,
            events: 0,
            cycles: 0,
            failed_cycles: 0,
        }
    }

    /// Records a Kubernetes-style event about pod `object` (`namespace/name`).
    pub fn event(
        &mut self,
        now: SimTime,
        object: &str,
        warning: bool,
        reason: &'static str,
        message: String,
        source: &str,
    ) {
        self.event_on(now, &format!("Pod/{object}"), warning, reason, message, source);
    }

    /// Records a Kubernetes-style event about `object` (`Kind/namespace/name` or `Node/name`).
    pub fn event_on(
        &mut self,
        now: SimTime,
        object: &str,
        warning: bool,
        reason: &'static str,
        message: String,
        source: &str,
    ) {
        if !self.record_events {
            return;
        }
        self.kube_events.push(KubeEvent {
            time_ms: now.0,
            time_s: crate::time::secs(now.0),
            object: object.to_string(),
            kind: if warning { "Warning" } else { "Normal" },
            reason,
            message,
            source: source.to_string(),
        });
    }

    /// Records the pending time (creation → binding) of a pod just scheduled.
    pub fn record_pending(&mut self, ms: u64) {
        self.pending.saturating_record(ms);
        self.pending_max_ms = self.pending_max_ms.max(ms);
    }

    /// Integrates allocation up to `now`; call before every change of [`Recorder::totals`].
    pub fn advance(&mut self, now: SimTime) {
        if self.first_time.is_none() {
            self.first_time = Some(now);
            self.last_change = now;
        }
        let dt = (now.0 - self.last_change.0) as f64;
        for (area, f) in self.area.iter_mut().zip(self.totals.fractions()) {
            *area += f * dt;
        }
        self.last_change = now;
    }

    /// Records a new peak if the current allocation is the highest seen; call after a change.
    pub fn note_peak(&mut self) {
        for (peak, f) in self.peak.iter_mut().zip(self.totals.fractions()) {
            *peak = peak.max(f);
        }
    }

    /// Time-weighted mean allocation per resource (cpu, memory, gpu) over [first event, `end`].
    pub fn mean_allocation(&self, end: SimTime) -> [f64; 3] {
        let start = self.first_time.unwrap_or(SimTime::ZERO);
        let span = (end.0 - start.0) as f64;
        if span <= 0.0 {
            return self.totals.fractions();
        }
        let tail = (end.0 - self.last_change.0) as f64;
        let f = self.totals.fractions();
        std::array::from_fn(|i| (self.area[i] + f[i] * tail) / span)
    }

    /// Peak allocation per resource (cpu, memory, gpu).
    pub fn peak_allocation(&self) -> [f64; 3] {
        self.peak
    }

    /// Takes a sample of `cluster` at `now`, with the pods by phase and the nodes not ready.
    pub fn sample(
        &mut self,
        now: SimTime,
        cluster: &Cluster,
        pods: PodCounts,
        nodes_not_ready: usize,
        used: Option<(f64, f64, usize, usize)>,
        reference: Option<[i64; 3]>,
    ) {
        let f = self.totals.fractions();
        let (mut n, mut used_nodes, mut sum, mut sq) = (0usize, 0usize, 0.0f64, 0.0f64);
        let (mut lo, mut hi, mut fragmented) = (f64::INFINITY, 0.0f64, 0i128);
        for (_, info) in cluster.live_nodes() {
            n += 1;
            if !info.pods.is_empty() {
                used_nodes += 1;
            }
            let a = info.node.allocatable.milli_cpu;
            let x = if a > 0 { info.requested.milli_cpu as f64 / a as f64 } else { 0.0 };
            sum += x;
            sq += x * x;
            lo = lo.min(x);
            hi = hi.max(x);
            if let Some(want) = reference {
                let (alloc, req) = (Totals::node_vec(info, false), Totals::node_vec(info, true));
                if (0..3).any(|i| alloc[i] - req[i] < want[i]) {
                    fragmented += i128::from((alloc[0] - req[0]).max(0));
                }
            }
        }
        let cpu_total = self.totals.allocatable[0];
        let stddev = if n > 0 { (sq / n as f64 - (sum / n as f64).powi(2)).max(0.0).sqrt() } else { 0.0 };
        self.samples.push(Sample {
            time_s: now.as_secs_f64(),
            nodes: cluster.num_live_nodes(),
            pods_running: pods.running,
            pods_pending: pods.pending,
            cpu_allocated: round6(f[0]),
            memory_allocated: round6(f[1]),
            gpu_allocated: round6(f[2]),
            pods_created: pods.created,
            pods_succeeded: pods.succeeded,
            pods_failed: pods.failed,
            pods_rejected: pods.rejected,
            nodes_not_ready,
            cpu_used: used.map(|u| {
                if self.totals.allocatable[0] > 0 {
                    round6(u.0 / self.totals.allocatable[0] as f64)
                } else {
                    0.0
                }
            }),
            memory_used: used.map(|u| {
                if self.totals.allocatable[1] > 0 {
                    round6(u.1 / self.totals.allocatable[1] as f64)
                } else {
                    0.0
                }
            }),
            nodes_memory_pressure: used.map_or(0, |u| u.2),
            pods_crash_looping: used.map_or(0, |u| u.3),
            nodes_used: used_nodes,
            cpu_allocated_stddev: round6(stddev),
            cpu_allocated_node_min: if n > 0 { round6(lo) } else { 0.0 },
            cpu_allocated_node_max: round6(hi),
            cpu_fragmented: if cpu_total > 0 { round6(fragmented as f64 / cpu_total as f64) } else { 0.0 },
        });
    }

    /// Records the final runtime counters of pod `p`, whose runtime state is being freed: its
    /// record's, and the QoS class's totals that [`Recorder::sample_runtime`] adds the live
    /// pods' counters to.
    pub fn retire_runtime(&mut self, p: crate::model::PodId, counters: RuntimeCounters) {
        if let Some(q) = counters.qos {
            let t = &mut self.retired_runtime[qos_index(q)];
            t.oom_kills += u64::from(counters.oom_kills);
            t.restarts += u64::from(counters.restarts);
            t.throttled_cpu_s += counters.throttled_cpu_s;
        }
        self.pods[p].runtime = counters;
    }

    /// Takes a runtime sample at `now`: the freed pods' totals plus `live`, the counters of the
    /// pods the kubelet still holds, by QoS class `(OOM kills, restarts, throttled CPU-s)`.
    pub fn sample_runtime(
        &mut self,
        now: SimTime,
        live: &std::collections::BTreeMap<crate::model::QosClass, (u64, u64, f64)>,
    ) {
        let mut by_qos = self.retired_runtime;
        for (q, &(oom, restarts, throttled)) in live {
            let t = &mut by_qos[qos_index(*q)];
            t.oom_kills += oom;
            t.restarts += restarts;
            t.throttled_cpu_s += throttled;
        }
        for t in &mut by_qos {
            t.throttled_cpu_s = round6(t.throttled_cpu_s);
        }
        self.runtime_samples.push(RuntimeSample { time_s: now.as_secs_f64(), by_qos });
    }

    /// Adds a record for a pod created during the run; returns the pod's id.
    pub fn add_pod(&mut self) -> crate::model::PodId {
        self.pods.push(PodRecord::new())
    }

    /// Pod `id` is finished and freed: its record joins the finished pods, with `facts`.
    pub fn finish_pod(&mut self, id: crate::model::PodId, facts: PodFacts) {
        if let Some(record) = self.pods.remove(id) {
            self.finished.push(PodResult { id, facts, record });
        }
    }
}

/// Rounds to 6 decimals, so outputs stay readable and byte-stable.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The result of one run, as recorded: the final cluster (for names), the recorders, and timing.
/// The engine ([`crate::sim`]) produces it; the report and experiments read it.
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// The run's seed.
    pub seed: u64,
    /// Cluster at the end of the run (every pod ever created, every node).
    pub cluster: crate::model::Cluster,
    /// What was recorded.
    pub recorder: Recorder,
    /// Virtual time of the last event processed.
    pub end: SimTime,
    /// Wall-clock time of the run loop.
    pub wall: std::time::Duration,
    /// Notes carried from the scenario.
    pub notes: Vec<String>,
    /// Pods nominated by a preemption and still waiting, with their node, at the end.
    pub nominated: Vec<(crate::model::PodId, crate::model::NodeId)>,
}

impl RunResult {
    /// Every pod of the run in id (creation) order: the finished ones read back from
    /// [`Recorder::finished`], then merged with the ones alive at the end (their facts from the
    /// final cluster).
    ///
    /// # Errors
    /// A finished pod's temporary file cannot be read back ([`crate::error::SimError::Output`]
    /// naming the temporary directory); the stream ends after the error.
    pub fn pods(&self) -> impl Iterator<Item = Result<PodResult, crate::error::SimError>> + '_ {
        let alive = self.recorder.pods.iter().map(|(id, record)| PodResult {
            id,
            facts: PodFacts::of(self.cluster.pod(id)),
            record: record.clone(),
        });
        self.recorder.finished.merged(alive).map(|r| {
            r.map_err(|e| crate::error::SimError::Output {
                path: std::env::temp_dir(),
                message: format!("cannot read back finished pods: {e}"),
            })
        })
    }

    /// [`RunResult::pods`] collected: every pod's facts and record, indexed by id (memory grows
    /// with the pods of the run: for tests and small runs).
    ///
    /// # Errors
    /// As [`RunResult::pods`].
    pub fn pod_results(&self) -> Result<Vec<PodResult>, crate::error::SimError> {
        self.pods().collect()
    }

    /// The records of [`RunResult::pod_results`], indexed by pod id.
    ///
    /// # Errors
    /// As [`RunResult::pods`].
    pub fn records(&self) -> Result<Vec<PodRecord>, crate::error::SimError> {
        self.pods().map(|p| p.map(|p| p.record)).collect()
    }
}
