//! The scheduling framework: one trait per extension point, `Status` codes, `CycleState`, the
//! plugin registry, validated profiles, and the runner that drives one scheduling cycle.
//!
//! Mirrors `staging/src/k8s.io/kube-scheduler/framework/interface.go` and
//! `pkg/scheduler/framework/runtime/framework.go` of Kubernetes v1.35. A plugin implements only
//! the extension points it cares about and says so through the `as_*` accessors of [`Plugin`].

pub mod cycle_state;
pub mod profile;
pub mod registry;
pub mod runner;
pub mod status;

use std::collections::BTreeSet;

pub use cycle_state::CycleState;
pub use profile::Profile;
pub use status::{Code, Status};

use crate::model::{Cluster, NodeId, NodeInfo, Pod};

/// Highest score a Score plugin may return after NormalizeScore (upstream `MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;
/// Lowest score (upstream `MinNodeScore`).
pub const MIN_NODE_SCORE: i64 = 0;

/// A scheduler plugin. Every plugin has its upstream name and exposes the extension points it
/// implements; the framework calls only those.
pub trait Plugin: Send + Sync {
    /// The plugin's upstream name (e.g. `NodeResourcesFit`).
    fn name(&self) -> &'static str;
    /// PreEnqueue, if implemented.
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        None
    }
    /// QueueSort, if implemented.
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        None
    }
    /// PreFilter, if implemented.
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        None
    }
    /// Filter, if implemented.
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        None
    }
    /// PostFilter, if implemented.
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        None
    }
    /// PreScore, if implemented.
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        None
    }
    /// Score (with optional NormalizeScore), if implemented.
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        None
    }
    /// Bind, if implemented.
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        None
    }
}

/// PreEnqueue: decides whether a pod may enter the active queue at all.
pub trait PreEnqueuePlugin: Plugin {
    /// Success lets the pod in; anything else keeps it out (e.g. scheduling gates).
    fn pre_enqueue(&self, pod: &Pod) -> Status;
}

/// QueueSort: the order of pods in the active queue.
pub trait QueueSortPlugin: Plugin {
    /// True when `a` (queued at `a_time`, in virtual milliseconds) should be popped before `b`.
    fn less(&self, a: &Pod, a_time: i64, b: &Pod, b_time: i64) -> bool;
}

/// What PreFilter returns: a status and, optionally, the only node names Filter should consider
/// (upstream `PreFilterResult`). `None` means all nodes.
pub type PreFilterOutcome = (Option<BTreeSet<String>>, Status);

/// PreFilter: per-pod work before the per-node Filter loop.
pub trait PreFilterPlugin: Plugin {
    /// Runs once per cycle. Skip disables this plugin's Filter for the pod; a rejection fails
    /// every node.
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, cluster: &Cluster) -> PreFilterOutcome;
}

/// Filter: may the pod run on this node?
pub trait FilterPlugin: Plugin {
    /// Success when the node passes; Unschedulable / UnschedulableAndUnresolvable with reasons
    /// otherwise.
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Status;
}

/// PostFilter: runs when no node is feasible (preemption).
pub trait PostFilterPlugin: Plugin {
    /// Returns a nominated node, if this plugin made room for the pod somewhere.
    fn post_filter(&self, state: &CycleState, pod: &Pod, cluster: &Cluster) -> (Option<NodeId>, Status);
}

/// PreScore: per-pod work before the per-node Score loop, over the feasible nodes.
pub trait PreScorePlugin: Plugin {
    /// Skip drops this plugin's Score for the pod.
    fn pre_score(&self, state: &mut CycleState, pod: &Pod, nodes: &[NodeId], cluster: &Cluster) -> Status;
}

/// Score: ranks feasible nodes.
pub trait ScorePlugin: Plugin {
    /// The raw score of `node` (0..=100 unless the plugin normalises).
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster)
    -> Result<i64, Status>;

    /// Whether the plugin has a NormalizeScore step.
    fn has_normalize(&self) -> bool {
        false
    }

    /// NormalizeScore: rescales the raw scores of all feasible nodes, in place, into 0..=100.
    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, _scores: &mut [i64]) -> Status {
        Status::success()
    }
}

/// Bind: commits the placement.
pub trait BindPlugin: Plugin {
    /// Success when the plugin bound the pod; Skip passes to the next Bind plugin.
    fn bind(&self, pod: &Pod, node: &NodeInfo) -> Status;
}
