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
    /// The scheduler pops the next pod of its active queue and runs one cycle.
    SchedulingCycle,
    /// The scheduling queue's periodic flush of pods left in the unschedulable pool (every 30 s,
    /// on multiples of 30 s).
    UnschedulableFlush,
    /// Take a time-series sample.
    MetricsSample,
}
