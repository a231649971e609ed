//! The scheduling framework: one trait per extension point, `Status` codes, `CycleState`, the
//! plugin [`registry::Registry`] type (filled by the caller: the framework names no plugin),
//! validated profiles, and the runner that drives one scheduling cycle.
//!
//! Mirrors `staging/src/k8s.io/kube-scheduler/framework/interface.go` and
//! `pkg/scheduler/framework/runtime/framework.go` of Kubernetes v1.35. A plugin implements only
//! the extension points it cares about and says so through the `as_*` accessors of [`Plugin`].

pub mod cycle_state;
mod post_filter;
pub mod profile;
pub mod registry;
pub mod runner;
pub mod status;
pub mod timing;

use std::collections::BTreeSet;

pub use cycle_state::CycleState;
pub use profile::Profile;
pub use status::{Code, NodeStatuses, Status};

use crate::model::{Cluster, NodeHot, NodeId, NodeInfo, Pod, PodId};
use crate::time::SimTime;

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
    /// True when `a` (queued at `a_time`) should be popped before `b` (queued at `b_time`).
    fn less(&self, a: &Pod, a_time: SimTime, b: &Pod, b_time: SimTime) -> bool;
}

/// What PreFilter returns: a status and, optionally, the only node names Filter should consider
/// (upstream `PreFilterResult`). `None` means all nodes.
pub type PreFilterOutcome = (Option<BTreeSet<String>>, Status);

/// PreFilter: per-pod work before the per-node Filter loop.
pub trait PreFilterPlugin: Plugin {
    /// Runs once per cycle. Skip disables this plugin's Filter for the pod; a rejection fails
    /// every node.
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, cluster: &Cluster) -> PreFilterOutcome;

    /// Whether the state PreFilter writes depends on the pods already in the cluster (upstream:
    /// the plugin has `PreFilterExtensions` that AddPod/RemovePod update), so preemption's dry
    /// run must recompute it when it removes victims. False (the default) when the state reads
    /// only the pod and the nodes.
    fn reads_other_pods(&self) -> bool {
        false
    }

    /// Upstream `PreFilterExtensions.RemovePod`: updates the state this plugin's PreFilter wrote
    /// for `pod` to what PreFilter would compute with bound pod `removed` gone from `node` (the
    /// node it is bound to in `cluster`, whose sums may already leave it out). Preemption's dry
    /// run calls it, for plugins that [read other pods](PreFilterPlugin::reads_other_pods) and
    /// did not skip, instead of recomputing PreFilter. The default (a state that reads no other
    /// pod) changes nothing.
    fn remove_pod(
        &self,
        _state: &mut CycleState,
        _pod: &Pod,
        _removed: PodId,
        _node: &NodeInfo,
        _cluster: &Cluster,
    ) {
    }

    /// Upstream `PreFilterExtensions.AddPod`: the inverse of [`PreFilterPlugin::remove_pod`],
    /// for pod `added` put (back) on `node`.
    fn add_pod(
        &self,
        _state: &mut CycleState,
        _pod: &Pod,
        _added: PodId,
        _node: &NodeInfo,
        _cluster: &Cluster,
    ) {
    }
}

/// Filter: may the pod run on this node?
pub trait FilterPlugin: Plugin {
    /// Success when the node passes; Unschedulable / UnschedulableAndUnresolvable with reasons
    /// otherwise.
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Status;

    /// [`FilterPlugin::filter`] on node `id` of `cluster` (the default looks the node up and calls
    /// it). The runner's Filter loop calls this; a plugin that decides from the node's id alone
    /// (PodTopologySpread and InterPodAffinity read the node's topology domains by id) overrides
    /// it to leave the node's `NodeInfo` untouched, which saves a cache miss per node.
    fn filter_node(&self, state: &CycleState, pod: &Pod, id: NodeId, cluster: &Cluster) -> Status {
        self.filter(state, pod, cluster.node(id), cluster)
    }

    /// The exact status [`FilterPlugin::filter`] would return, decided from the node's
    /// [`NodeHot`] row alone, when the plugin can for this pod (NodeResourcesFit for a pod that
    /// requests only cpu, memory and a pod slot); `None` (the default) otherwise. Preemption's
    /// dry run reads it to judge a node with pods taken off without building a `NodeInfo`.
    fn filter_hot(&self, _state: &CycleState, _pod: &Pod, _row: &NodeHot) -> Option<Status> {
        None
    }

    /// Whether [`FilterPlugin::filter_hot`]'s status would be a success, without building it
    /// (`None` where `filter_hot` is). Preemption's dry run asks it for every pod it puts back.
    fn passes_hot(&self, state: &CycleState, pod: &Pod, row: &NodeHot) -> Option<bool> {
        self.filter_hot(state, pod, row).map(|s| s.is_success())
    }

    /// [`FilterPlugin::filter_node`] on each node of `ids`, into `out` (same length): [`PASS`]
    /// where the node passes, else the index in `statuses` of the status Filter returns
    /// ([`intern_status`] adds it once). The runner hands a plugin without a NodeHot condition
    /// the nodes that meet every other condition in chunks; plugins override this to read their
    /// cycle state once per chunk rather than once per node. The default calls `filter_node`.
    fn filter_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        ids: &[NodeId],
        cluster: &Cluster,
        out: &mut [u32],
        statuses: &mut Vec<Status>,
    ) {
        for (o, id) in out.iter_mut().zip(ids) {
            let s = self.filter_node(state, pod, *id, cluster);
            *o = if s.is_success() { PASS } else { intern_status(statuses, s) };
        }
    }

    /// False when Filter passes every node for this pod whatever the node (NodeName for a pod
    /// without `spec.nodeName`): the runner then leaves the plugin out of the per-node loop, which
    /// changes no decision.
    fn filter_relevant(&self, _pod: &Pod) -> bool {
        true
    }

    /// A sufficient condition, on the node's [`NodeHot`] row, for [`FilterPlugin::filter`] to
    /// pass this pod, decided once per cycle after PreFilter; `None` (the default) when the
    /// plugin has none. The runner checks the profile's conditions together, in one pass over
    /// the hot rows, and calls `filter` only on the plugins without one, or on every plugin (in
    /// profile order, for the exact status) when a node misses the condition. A condition may be
    /// stricter than the plugin (a node that misses it and still passes `filter` is fine) but
    /// never looser: a node that meets it must pass `filter`.
    fn fast_filter(&self, _state: &CycleState, _pod: &Pod) -> Option<FastFilter> {
        None
    }
}

/// The verdict of [`FilterPlugin::filter_nodes`] for a node that passes.
pub const PASS: u32 = u32::MAX;

/// The index of `status` in `statuses`, adding it when no equal status is there yet (for
/// [`FilterPlugin::filter_nodes`]).
pub fn intern_status(statuses: &mut Vec<Status>, status: Status) -> u32 {
    match statuses.iter().rposition(|s| status::same_status(s, &status)) {
        Some(k) => k as u32,
        None => {
            statuses.push(status);
            statuses.len() as u32 - 1
        }
    }
}

/// A Filter plugin's condition on a node's [`NodeHot`] row ([`FilterPlugin::fast_filter`]).
/// Conditions of several plugins combine with [`FastFilter::and`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FastFilter {
    /// `NodeHot` flag bits the node must not have.
    pub reject_flags: u32,
    /// Free cpu the node must have (allocatable − requested), millicores; 0: no condition.
    pub milli_cpu: i64,
    /// Free memory the node must have, bytes; 0: no condition.
    pub memory: i64,
    /// The node must have room for one more pod.
    pub pod_slot: bool,
}

impl FastFilter {
    /// Both conditions.
    pub fn and(self, o: FastFilter) -> FastFilter {
        FastFilter {
            reject_flags: self.reject_flags | o.reject_flags,
            milli_cpu: self.milli_cpu.max(o.milli_cpu),
            memory: self.memory.max(o.memory),
            pod_slot: self.pod_slot || o.pod_slot,
        }
    }

    /// True when no plugin gave a condition.
    pub fn is_empty(&self) -> bool {
        *self == FastFilter::default()
    }

    /// Whether `node` meets the condition.
    #[inline]
    pub fn admits(&self, node: &NodeHot) -> bool {
        self.admits_row(&crate::model::FilterRow::of(node))
    }

    /// Whether the node of `row` meets the condition.
    #[inline]
    pub fn admits_row(&self, row: &crate::model::FilterRow) -> bool {
        row.flags & self.reject_flags == 0
            && (!self.pod_slot || row.free_pods > 0)
            && (self.milli_cpu == 0 || self.milli_cpu <= row.free_milli_cpu)
            && (self.memory == 0 || self.memory <= row.free_memory)
    }
}

/// What a PostFilter plugin receives besides the pod, the cycle state and the cluster: upstream's
/// framework handle (the profile, to re-run PreFilter and Filter), the cycle's `NodeToStatus`,
/// the pod's `status.nominatedNodeName`, and the randomness upstream draws.
#[derive(Clone, Copy)]
pub struct PostFilterInput<'a> {
    /// The profile the cycle ran with (upstream `framework.Handle`): its PreFilter and Filter
    /// plugins decide whether the pod would fit once victims are gone.
    pub profile: &'a Profile,
    /// The Filter verdict of every rejected node of the cycle, in evaluation order (upstream
    /// `NodeToStatusReader`). A node not listed counts as `UnschedulableAndUnresolvable`, as
    /// upstream's default absent-node status does. After a PreFilter rejection every node is
    /// listed with the PreFilter status.
    pub node_statuses: &'a NodeStatuses,
    /// The pod's `status.nominatedNodeName` (from an earlier preemption), if any.
    pub nominated_node: Option<NodeId>,
    /// Seed for the plugin's random draws (DefaultPreemption: the dry-run offset and the final
    /// tie among equally good nodes). `None` asks for the deterministic reading: offset 0 and the
    /// first remaining node.
    pub seed: Option<u64>,
}

/// What PostFilter decided (upstream `PostFilterResult` with its `NominatingInfo`, plus the
/// victims DefaultPreemption chose and the status it returned). The engine acts on it: it evicts
/// `victims` (gracefully, with their `terminationGracePeriodSeconds`; victims already terminating
/// need no new deletion), clears the nomination of lower-priority pods nominated to the same node,
/// and sets the pod's nominated node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostFilterResult {
    /// The node the pod is nominated to (`status.nominatedNodeName`), when preemption made room
    /// for it there. `None` otherwise.
    pub nominated_node: Option<NodeId>,
    /// True when the pod's existing nomination must be cleared (upstream returns a result with an
    /// empty nominated node name when no preemption candidate exists). When both this is false and
    /// `nominated_node` is `None`, the nomination is left as it is (upstream `ModeNoop`).
    pub clear_nomination: bool,
    /// Pods to evict from `nominated_node`, most important first (higher priority, then earlier
    /// start). Empty unless `nominated_node` is set.
    pub victims: Vec<PodId>,
    /// How many of `victims` violate a PodDisruptionBudget.
    pub num_pdb_violations: usize,
    /// `Success` when a node was nominated; `Unschedulable` (or `UnschedulableAndUnresolvable`)
    /// with upstream's message (e.g. `preemption: 0/3 nodes are available: 3 No preemption victims
    /// found for incoming pod.`) when preemption cannot help; `Error` on an internal error.
    pub status: Status,
}

impl PostFilterResult {
    /// A result that changes nothing, with `status`.
    pub fn noop(status: Status) -> Self {
        PostFilterResult {
            nominated_node: None,
            clear_nomination: false,
            victims: Vec::new(),
            num_pdb_violations: 0,
            status,
        }
    }

    /// The status message (upstream's `PostFilterMsg`, appended to the FitError message).
    pub fn message(&self) -> String {
        self.status.message()
    }
}

/// PostFilter: runs when no node is feasible (preemption).
pub trait PostFilterPlugin: Plugin {
    /// Tries to make the pod schedulable in a later cycle (upstream `PostFilter`), e.g. by
    /// nominating a node and choosing victims to evict there.
    fn post_filter(
        &self,
        state: &CycleState,
        pod: &Pod,
        cluster: &Cluster,
        input: &PostFilterInput<'_>,
    ) -> PostFilterResult;
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

    /// The raw scores of `nodes` into `out` (same length), as [`ScorePlugin::score`] gives
    /// them one by one (the default). Plugins override it with a loop over the nodes'
    /// [`NodeHot`] rows where they can: the same numbers, without touching each `NodeInfo`.
    ///
    /// # Errors
    /// The first error `score` returns.
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[NodeId],
        cluster: &Cluster,
        out: &mut [i64],
    ) -> Result<(), Status> {
        for (o, id) in out.iter_mut().zip(nodes) {
            *o = self.score(state, pod, cluster.node(*id), cluster)?;
        }
        Ok(())
    }

    /// True when every node of `nodes` would end with the same score from this plugin (after
    /// NormalizeScore) — TaintToleration when no node has a PreferNoSchedule taint,
    /// ImageLocality when no node reports images. The runner then leaves the plugin out of a
    /// cycle whose scores are not recorded: one constant added to every node's total changes no
    /// choice, not even a tie. Default false.
    fn uniform_scores(&self, _state: &CycleState, _pod: &Pod, _nodes: &[NodeId], _cluster: &Cluster) -> bool {
        false
    }

    /// Whether the plugin has a NormalizeScore step.
    fn has_normalize(&self) -> bool {
        false
    }

    /// NormalizeScore: rescales the raw scores of all feasible nodes, in place, into 0..=100.
    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, _scores: &mut [i64]) -> Status {
        Status::success()
    }

    /// Whether the plugin needs a random draw in [`CycleState::random`] (the Random policy).
    fn wants_random(&self) -> bool {
        false
    }

    /// The GPU devices a GPU pod takes on the chosen node, when this is the profile's heaviest
    /// Score plugin (the GPU-sharing simulator's Reserve-time `gpuSelMethod`); `None` keeps the
    /// default (tightest device for sharing pods, lowest idle devices for whole GPUs).
    fn select_gpus(
        &self,
        _state: &CycleState,
        _pod: &Pod,
        _node: &NodeInfo,
        _cluster: &Cluster,
    ) -> Option<Vec<u8>> {
        None
    }
}

/// Bind: commits the placement.
pub trait BindPlugin: Plugin {
    /// Success when the plugin bound the pod; Skip passes to the next Bind plugin.
    fn bind(&self, pod: &Pod, node: &NodeInfo) -> Status;
}
