//! The events of a run.

use crate::model::PodId;

/// Something that happens at a point in virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Node number `n` of the scenario's node list joins the cluster.
    NodeAdded(u32),
    /// Workload pod `p` is created (arrives at the API server).
    PodCreated(PodId),
    /// Workload pod `p` is deleted (trace departure), whether running or still pending.
    PodDeleted(PodId),
    /// A preemption victim's graceful termination ends: it leaves its node.
    PodPreempted(PodId),
    /// Scheduler process `k` pops the next pod of its active queue and runs one cycle.
    SchedulingCycle(u32),
    /// Scheduler process `k`'s informer delivers a change of the true cluster to its cache.
    CacheSync(u32, CacheChange),
    /// Scheduler process `k`'s periodic flush of pods left in the unschedulable pool (every 30 s,
    /// on multiples of 30 s).
    UnschedulableFlush(u32),
    /// Take a time-series sample.
    MetricsSample,
}

/// A change of the true cluster that a scheduler's cache learns through its informer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheChange {
    /// Node number `n` of the scenario's node list joined.
    NodeAdded(u32),
    /// A pod was bound to a node.
    Bound(PodId, crate::model::NodeId),
    /// A pod left its node (deleted, preempted, or rejected by the kubelet).
    Unbound(PodId),
}
