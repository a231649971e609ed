//! The events of a run.

use crate::model::{NodeId, Owner, PodId};

/// Something that happens at a point in virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Node number `n` of the run's node list (the scenario's nodes, then pool joins) joins.
    NodeAdded(u32),
    /// Workload pod `p` is created (arrives at the API server).
    PodCreated(PodId),
    /// Pod generator `k` makes its next pod.
    Generate(u32),
    /// Workload pod `p` is deleted (trace departure), whether running or still pending.
    PodDeleted(PodId),
    /// A deleted pod's graceful termination ends: it leaves its node.
    PodTerminated(PodId),
    /// Scheduler process `k` pops the next pod of its active queue and runs one cycle.
    SchedulingCycle(u32),
    /// Scheduler process `k`'s informer delivers a change of the true cluster to its cache.
    CacheSync(u32, CacheChange),
    /// Scheduler process `k`'s periodic flush of pods left in the unschedulable pool (every 30 s,
    /// on multiples of 30 s).
    UnschedulableFlush(u32),
    /// Take a time-series sample.
    MetricsSample,
    /// Timeline action number `n` fires.
    Timeline(u32),
    /// One node of pool `n` joins.
    PoolJoin(u32),
    /// A node stops heartbeating; from failure process `Some(k)` or the timeline (`None`).
    NodeFail(NodeId, Option<u32>),
    /// A failed node heartbeats again, if its failure `epoch` is still current.
    NodeRecover(NodeId, u32, Option<u32>),
    /// The node monitor grace period of failure `epoch` ran out: Ready becomes Unknown.
    NodeGraceExpired(NodeId, u32),
    /// The NoExecute rate limiter of zone number `z` lets the next node through.
    ZoneTick(u32),
    /// A scheduled taint eviction of a pod fires, if its token is still current.
    TaintEviction(PodId, u32),
    /// A controller syncs (ReplicaSet, Job, or a whole DaemonSet).
    ControllerSync(Owner),
    /// A controller retries creations that admission refused (workqueue backoff); does not keep
    /// a run going.
    ControllerRetry(Owner),
    /// A DaemonSet reconciles one node (after a failed pod's backoff).
    DaemonSetNode(u32, NodeId),
    /// A Job's pod finishes its work.
    JobPodDone(PodId),
    /// A kubelet runtime timer (usage change, OOM kill, container restart, eviction manager,
    /// node OOM); does not keep a run going.
    Runtime(crate::kubelet::runtime::Timer),
    /// A drain retries the pods a PodDisruptionBudget held back, and deletes the node when
    /// only daemon and mirror pods are left.
    DrainStep(NodeId),
    /// Workload selector number `n` of the scenario (a Service, ReplicaSet, StatefulSet or
    /// ReplicationController created after time 0) joins the cluster; does not keep a run going.
    SelectorCreated(u32),
}

impl Event {
    /// Whether the event can change the cluster on its own (keeps a run without a horizon
    /// going). Scheduler cycles, samples and retries do not.
    pub fn drives(&self) -> bool {
        !matches!(
            self,
            Event::SchedulingCycle(_)
                | Event::UnschedulableFlush(_)
                | Event::MetricsSample
                | Event::DaemonSetNode(..)
                | Event::ControllerRetry(_)
                | Event::Runtime(_)
                | Event::DrainStep(_)
                | Event::SelectorCreated(_)
        )
    }
}

/// A change of the true cluster that a scheduler's cache learns through its informer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheChange {
    /// Node number `n` of the run's node list joined.
    NodeAdded(u32),
    /// Node `id`'s labels, taints or `unschedulable` changed (the cache copies them).
    NodeUpdated(NodeId),
    /// Node `id` was deleted.
    NodeRemoved(NodeId),
    /// A pod was bound to a node.
    Bound(PodId, NodeId),
    /// A pod left its node (deleted, preempted, or rejected by the kubelet).
    Unbound(PodId),
}
