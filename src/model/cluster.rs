//! Cluster state: nodes with their per-node sums, and every pod. The scheduler's snapshot.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::node::{Node, NodeId};
pub use super::node_info::{FilterRow, HostPort, LowestPriority, NodeHot, NodeInfo, PodRow, host_ports};
use super::pod::{Pod, PodId};
use super::pod_index::{DomainCounts, IndexCell, PodQuery, TermGroup, TermKind, TopologyView};
use super::pod_table::PodTable;
use super::resources::Resources;
use crate::error::SimError;
use crate::names::{LABEL_NAMESPACE_NAME, LABEL_REGION, LABEL_ZONE};

/// Kind of a controller or Service whose selector PodTopologySpread's system default constraints
/// use (upstream `helper.DefaultSelector`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SelectorKind {
    /// A Service (`spec.selector`, a label map).
    Service,
    /// A ReplicationController (`spec.selector`, a label map).
    ReplicationController,
    /// A ReplicaSet (`spec.selector`, a label selector).
    ReplicaSet,
    /// A StatefulSet (`spec.selector`, a label selector).
    StatefulSet,
}

/// The selector of a Service or controller in a namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSelector {
    /// Kind of the object.
    pub kind: SelectorKind,
    /// Its name (`metadata.name`): a pod's controller reference names it.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// Its selector.
    pub selector: super::labels::LabelSelector,
    /// When its object is created (its manifest's `at`): the engine adds the selector to the
    /// cluster then, so PodTopologySpread's default constraints read it from that time on.
    pub created: crate::time::SimTime,
}

/// Mutable access to a node's spec that refreshes the node's [`NodeHot`] row when dropped
/// (returned by [`Cluster::node_spec_mut`]).
pub struct NodeSpecMut<'a> {
    cluster: &'a mut Cluster,
    id: NodeId,
}

impl std::ops::Deref for NodeSpecMut<'_> {
    type Target = Node;
    fn deref(&self) -> &Node {
        &self.cluster.nodes[self.id as usize].node
    }
}

impl std::ops::DerefMut for NodeSpecMut<'_> {
    fn deref_mut(&mut self) -> &mut Node {
        Arc::make_mut(&mut Arc::make_mut(&mut self.cluster.nodes[self.id as usize]).node)
    }
}

/// Where a bound pod is.
#[derive(Clone, Debug)]
struct Binding {
    node: NodeId,
    /// GPU devices (indices on the node) of a GPU pod.
    gpus: Vec<u8>,
}

impl Drop for NodeSpecMut<'_> {
    fn drop(&mut self) {
        self.cluster.refresh_hot(self.id);
        self.cluster.reindex_node(self.id);
    }
}

/// Node ids in kube-scheduler's snapshot order, and each node's position in it by id.
#[derive(Clone, Debug, Default)]
struct SnapshotOrder {
    ids: Vec<NodeId>,
    pos: Vec<usize>,
    /// The [`FilterRow`] of each node of `ids`, in the same order.
    rows: Vec<FilterRow>,
}

/// All nodes and pods of one run. Plugins read it; only the engine changes it, through
/// [`Cluster::bind`] and [`Cluster::unbind`], which keep the per-node sums exact.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// The nodes, each behind an `Arc` so a scratch copy of the cluster (preemption's dry run)
    /// shares them and copies only a node it changes.
    nodes: Vec<Arc<NodeInfo>>,
    /// [`NodeHot`] row of each node, by id (all zero for a removed node).
    hot: Vec<NodeHot>,
    /// [`LowestPriority`] row of each node, by id (rebuilt with `hot`).
    lowest: Vec<LowestPriority>,
    /// Nodes with each [`NodeHot`] flag bit set, by bit.
    flag_counts: [u32; 8],
    node_ids: Arc<BTreeMap<String, NodeId>>,
    /// The pods added and not yet freed ([`Cluster::free_pod`]), by id.
    pods: PodTable<Pod>,
    /// Where each bound pod is: its node and GPU devices.
    bound: PodTable<Binding>,
    /// When each pod that started running started (virtual ms), for preemption's victim order.
    start_ms: PodTable<i64>,
    /// The workload's pod shapes for FGD scoring (set by the engine).
    gpu_workload: Option<std::sync::Arc<crate::model::gpu::TargetWorkload>>,
    /// Zones in first-seen order, each with its nodes in insertion order.
    zones: Vec<(String, Vec<NodeId>)>,
    /// Nodes in kube-scheduler's snapshot order (zone-interleaved) with the position of each node
    /// in it (`usize::MAX` for removed nodes), by id: built on first use after a change of the
    /// nodes or zones, so adding n nodes costs O(n), not O(n²).
    order: std::sync::OnceLock<SnapshotOrder>,
    /// Image name (as nodes report it) → (size reported by the first node that listed it, number
    /// of nodes that hold it): upstream's cache-wide `imageStates`.
    image_nodes: BTreeMap<String, (i64, u32)>,
    /// Namespaces with their labels (a namespace not listed has only its name label).
    namespaces: BTreeMap<String, super::labels::Labels>,
    /// Selectors of Services and controllers, in the order they were added.
    workload_selectors: Vec<WorkloadSelector>,
    /// Counts of bound pods per topology domain for the inter-pod constraints, and the
    /// (anti-)affinity terms of bound pods (see [`super::pod_index`]).
    index: IndexCell,
    /// PodDisruptionBudgets, in the order they were added (DefaultPreemption reads them).
    pdbs: Vec<super::pdb::PodDisruptionBudget>,
    /// Pods the scheduler preempted: they carry the `DisruptionTarget` condition with reason
    /// `PreemptionByScheduler` (and are terminating) until they are unbound.
    preempted: std::collections::BTreeSet<PodId>,
}

impl Cluster {
    /// An empty cluster.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node and returns its id.
    ///
    /// # Errors
    /// A node with the same name already exists.
    pub fn add_node(&mut self, node: Node) -> Result<NodeId, SimError> {
        if self.node_ids.contains_key(&node.name) {
            return Err(SimError::Internal(format!("node {} added twice", node.name)));
        }
        let id = self.nodes.len() as NodeId;
        let zone = zone_key(&node);
        match self.zones.iter_mut().find(|(z, _)| *z == zone) {
            Some((_, ids)) => ids.push(id),
            None => self.zones.push((zone, vec![id])),
        }
        // Upstream `addNodeImageStates`: the first entry of a name on this node counts; the
        // cluster-wide state keeps the size of the first node that reported the name.
        let mut image_sizes = BTreeMap::new();
        for image in &node.images {
            for name in &image.names {
                image_sizes.entry(name.clone()).or_insert(image.size_bytes);
            }
        }
        for (name, size) in &image_sizes {
            self.image_nodes.entry(name.clone()).or_insert((*size, 0)).1 += 1;
        }
        Arc::make_mut(&mut self.node_ids).insert(node.name.clone(), id);
        let devices = super::gpu::node_devices(&node);
        let labels = node.labels.clone();
        self.nodes.push(Arc::new(NodeInfo {
            id,
            node: Arc::new(node),
            pods: Vec::new(),
            pod_rows: Vec::new(),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            used_ports: Vec::new(),
            image_sizes: Arc::new(image_sizes),
            gpu_left: vec![super::gpu::GPU_MILLI; devices],
            removed: false,
        }));
        self.hot.push(NodeHot::default());
        self.lowest.push(LowestPriority::default());
        self.refresh_hot(id);
        self.drop_order();
        self.index.get_mut().node_added(id, &labels);
        Ok(id)
    }

    /// Deletes node `id` (its pods must have been unbound): it leaves the snapshot order, its
    /// zone and the image counts, and its name may be reused by a new node.
    ///
    /// # Errors
    /// The node still has pods, or was already removed (a bug in the caller).
    pub fn remove_node(&mut self, id: NodeId) -> Result<(), SimError> {
        let info = Arc::make_mut(&mut self.nodes[id as usize]);
        if info.removed || !info.pods.is_empty() {
            return Err(SimError::Internal(format!(
                "node {} removed twice or with {} pods bound",
                info.node.name,
                info.pods.len()
            )));
        }
        info.removed = true;
        for name in info.image_sizes.keys() {
            if let Some(state) = self.image_nodes.get_mut(name) {
                state.1 -= 1;
                if state.1 == 0 {
                    self.image_nodes.remove(name);
                }
            }
        }
        let name = info.node.name.clone();
        Arc::make_mut(&mut self.node_ids).remove(&name);
        for (_, ids) in &mut self.zones {
            ids.retain(|x| *x != id);
        }
        self.zones.retain(|(_, ids)| !ids.is_empty());
        self.drop_order();
        self.refresh_hot(id);
        self.index.get_mut().node_removed(id);
        Ok(())
    }

    /// Replaces node `id`'s labels, moving it to its new zone in the snapshot order if the zone
    /// labels changed.
    pub fn set_node_labels(&mut self, id: NodeId, labels: super::labels::Labels) {
        let old_zone = zone_key(&self.nodes[id as usize].node);
        Arc::make_mut(&mut Arc::make_mut(&mut self.nodes[id as usize]).node).labels = labels;
        let zone = zone_key(&self.nodes[id as usize].node);
        if zone != old_zone && !self.nodes[id as usize].removed {
            for (_, ids) in &mut self.zones {
                ids.retain(|x| *x != id);
            }
            self.zones.retain(|(_, ids)| !ids.is_empty());
            match self.zones.iter_mut().find(|(z, _)| *z == zone) {
                Some((_, ids)) => ids.push(id),
                None => self.zones.push((zone, vec![id])),
            }
            self.drop_order();
        }
        self.reindex_node(id);
    }

    /// Brings the pod index's topology domains of node `id` in line with its labels, moving the
    /// counts of its pods when a domain changed.
    fn reindex_node(&mut self, id: NodeId) {
        let info = &self.nodes[id as usize];
        if info.removed || !self.index.get_mut().node_domains_differ(id, &info.node.labels) {
            return;
        }
        let index = self.index.get_mut();
        for p in &info.pods {
            index.pod_moved(&self.pods[*p], id, -1, &self.nodes, &self.namespaces);
        }
        index.node_relabelled(id, &info.node.labels);
        for p in &info.pods {
            index.pod_moved(&self.pods[*p], id, 1, &self.nodes, &self.namespaces);
        }
    }

    /// Nodes in the cluster now (not removed), with their ids, in id order.
    pub fn live_nodes(&self) -> impl Iterator<Item = (NodeId, &NodeInfo)> + '_ {
        self.nodes.iter().enumerate().filter(|(_, n)| !n.removed).map(|(i, n)| (i as NodeId, &**n))
    }

    /// Number of nodes in the cluster now.
    pub fn num_live_nodes(&self) -> usize {
        self.snapshot_order().ids.len()
    }

    /// Marks pod `pod` as terminating (`deletionTimestamp` set): it keeps its node's resources
    /// until [`Cluster::unbind`].
    pub fn mark_terminating(&mut self, pod: PodId) {
        self.index_terminating(pod);
        self.pods[pod].terminating = true;
    }

    /// The pod index stops counting bound pod `pod` where terminating pods do not count (called
    /// before the pod is marked).
    fn index_terminating(&mut self, pod: PodId) {
        let p = &self.pods[pod];
        if let (Some(node), false) = (self.pod_node(pod), p.terminating) {
            self.index.get_mut().pod_terminating(p, node, &self.namespaces);
        }
    }

    /// Forgets the snapshot order after a change of the nodes or their zones.
    fn drop_order(&mut self) {
        self.order.take();
    }

    /// The zone-interleaved order of upstream's `nodeTree.list()` (the 1st node of every zone,
    /// then the 2nd of every zone, and so on), built from the zones if a change dropped it.
    fn snapshot_order(&self) -> &SnapshotOrder {
        self.order.get_or_init(|| {
            let mut order = SnapshotOrder {
                ids: Vec::with_capacity(self.nodes.len()),
                pos: vec![usize::MAX; self.nodes.len()],
                rows: Vec::with_capacity(self.nodes.len()),
            };
            let longest = self.zones.iter().map(|(_, ids)| ids.len()).max().unwrap_or(0);
            for i in 0..longest {
                for (_, ids) in &self.zones {
                    if let Some(id) = ids.get(i) {
                        order.pos[*id as usize] = order.ids.len();
                        order.ids.push(*id);
                        order.rows.push(FilterRow::of(&self.hot[*id as usize]));
                    }
                }
            }
            order
        })
    }

    /// Declares a namespace with its labels (the name label is added).
    pub fn add_namespace(&mut self, name: &str, mut labels: super::labels::Labels) {
        labels.insert(LABEL_NAMESPACE_NAME.to_string(), name.to_string());
        self.namespaces.insert(name.to_string(), labels);
        self.index.get_mut().namespaces_changed();
    }

    /// The labels of namespace `name`: those declared, or only its name label.
    pub fn namespace_labels(&self, name: &str) -> super::labels::Labels {
        self.namespaces.get(name).cloned().unwrap_or_else(|| {
            let mut l = super::labels::Labels::new();
            l.insert(LABEL_NAMESPACE_NAME.to_string(), name.to_string());
            l
        })
    }

    /// Names of every namespace declared or used by a pod, in name order.
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: std::collections::BTreeSet<String> = self.namespaces.keys().cloned().collect();
        names.extend(self.pods.iter().map(|(_, p)| p.namespace.clone()));
        names.into_iter().collect()
    }

    /// Adds the selector of a Service or controller.
    pub fn add_workload_selector(&mut self, s: WorkloadSelector) {
        self.workload_selectors.push(s);
    }

    /// Selectors of Services and controllers, in the order added.
    pub fn workload_selectors(&self) -> &[WorkloadSelector] {
        &self.workload_selectors
    }

    /// The target workload FGDScore measures fragmentation against, if set.
    pub fn gpu_workload(&self) -> Option<std::sync::Arc<crate::model::gpu::TargetWorkload>> {
        self.gpu_workload.clone()
    }

    /// Sets the target workload of FGDScore (the scenario's pods).
    pub fn set_gpu_workload(&mut self, w: std::sync::Arc<crate::model::gpu::TargetWorkload>) {
        self.gpu_workload = Some(w);
    }

    /// The GPU devices of bound pod `pod` (empty for pods without GPUs).
    pub fn pod_gpus(&self, pod: PodId) -> &[u8] {
        self.bound.get(pod).map_or(&[], |b| &b.gpus)
    }

    /// Adds a pod (not yet bound) and returns its id: the next one, in creation order.
    pub fn add_pod(&mut self, pod: Pod) -> PodId {
        self.pods.push(pod)
    }

    /// Adds a pod under `id` (a scheduler's cache catching up with the API server keeps the
    /// server's ids, skipping pods that came and went before it looked).
    ///
    /// # Panics
    /// `id` was already added.
    pub fn add_pod_with_id(&mut self, id: PodId, pod: Pod) {
        self.pods.insert(id, pod);
    }

    /// Hands out no pod id below `next` from now on (a cache that caught up with the server).
    pub fn skip_pod_ids(&mut self, next: PodId) {
        self.pods.skip_to(next);
    }

    /// The id the next [`Cluster::add_pod`] hands out (one past every pod ever added).
    pub fn next_pod_id(&self) -> PodId {
        self.pods.next_id()
    }

    /// Mutable access to a pod that is not bound (admission mutates new pods: LimitRange
    /// defaults, tolerations, priority).
    ///
    /// # Panics
    /// The pod is bound (its node's sums would go stale): a bug in the caller.
    pub fn pod_mut(&mut self, id: PodId) -> &mut Pod {
        assert!(self.pod_node(id).is_none(), "pod {id} mutated while bound");
        &mut self.pods[id]
    }

    /// Frees a finished pod entirely and returns it (`None` when it is still bound or already
    /// freed): once it has ended and left its node it is never scheduled or bound again, so a
    /// run holds only the pods alive (issue 16). Its id is never handed out again; reading it
    /// afterwards ([`Cluster::pod`]) is a bug, while [`Cluster::pod_node`] and
    /// [`Cluster::try_pod`] answer `None`.
    pub fn free_pod(&mut self, id: PodId) -> Option<Pod> {
        if self.pod_node(id).is_some() {
            return None;
        }
        self.preempted.remove(&id);
        self.start_ms.remove(id);
        self.pods.remove(id)
    }

    /// Binds pod `pod` to node `node`, adding its requests, non-zero requests and host ports to the
    /// node's sums.
    ///
    /// # Errors
    /// The pod is already bound (a bug in the caller).
    pub fn bind(&mut self, pod: PodId, node: NodeId) -> Result<(), SimError> {
        self.bind_gpus(pod, node, None)
    }

    /// Binds like [`Cluster::bind`], giving a GPU pod the devices `gpus` (a policy's choice), or
    /// when `None` the default choice ([`super::gpu::GpuShare::best_devices`]); a GPU pod whose
    /// devices do not fit (a pod bound by `spec.nodeName`, the kubelet's business) takes none.
    ///
    /// # Errors
    /// The pod is already bound, or `gpus` names devices without room (a bug in the caller).
    pub fn bind_gpus(&mut self, pod: PodId, node: NodeId, gpus: Option<Vec<u8>>) -> Result<(), SimError> {
        if let Some(on) = self.pod_node(pod) {
            return Err(SimError::Internal(format!("pod {pod} bound twice (already on node {on})")));
        }
        let p = &self.pods[pod];
        let info = Arc::make_mut(&mut self.nodes[node as usize]);
        let devices = info.add_pod(pod, p, gpus).map_err(SimError::Internal)?;
        self.bound.insert(pod, Binding { node, gpus: devices });
        self.index.get_mut().pod_moved(p, node, 1, &self.nodes, &self.namespaces);
        self.refresh_hot(node);
        Ok(())
    }

    /// Removes a bound pod from its node (deletion), returning the node it was on.
    pub fn unbind(&mut self, pod: PodId) -> Option<NodeId> {
        let Binding { node, gpus: devices, .. } = self.bound.remove(pod)?;
        let p = &self.pods[pod];
        Arc::make_mut(&mut self.nodes[node as usize]).remove_pod(pod, p, &devices);
        self.index.get_mut().pod_moved(p, node, -1, &self.nodes, &self.namespaces);
        self.refresh_hot(node);
        Some(node)
    }

    /// Adds a PodDisruptionBudget.
    pub fn add_pdb(&mut self, pdb: super::pdb::PodDisruptionBudget) {
        self.pdbs.push(pdb);
    }

    /// PodDisruptionBudgets, in the order added (upstream's PDB lister; DefaultPreemption counts
    /// budgets in this order).
    pub fn pdbs(&self) -> &[super::pdb::PodDisruptionBudget] {
        &self.pdbs
    }

    /// Records that the scheduler preempted bound pod `pod`: as upstream's preemption does, the pod
    /// gets the `DisruptionTarget` condition (reason `PreemptionByScheduler`) and a deletion
    /// timestamp, so it counts as terminating ([`Pod::terminating`]) while it keeps its node
    /// resources for its grace period. The engine calls this when it evicts a victim and
    /// [`Cluster::unbind`]s the pod once the grace period is over.
    pub fn mark_preempted(&mut self, pod: PodId) {
        self.index_terminating(pod);
        self.pods[pod].terminating = true;
        self.preempted.insert(pod);
    }

    /// Upstream `podTerminatingByPreemption`: the pod is terminating and carries the
    /// `DisruptionTarget` condition set by scheduler preemption ([`Cluster::mark_preempted`]).
    pub fn is_terminating_by_preemption(&self, pod: PodId) -> bool {
        self.pods[pod].terminating && self.preempted.contains(&pod)
    }

    /// The domains of topology `key` (a node label key): each node's domain id and the live nodes
    /// per domain. Created on first use, then kept current as nodes change.
    pub fn topology(&self, key: &str) -> TopologyView {
        self.index.lock().topology(key, &self.nodes)
    }

    /// Bound pods matching `query`, summed per domain of topology `key` (upstream counts these in
    /// PreFilter/PreScore from every pod; the index keeps them as pods bind and leave).
    pub fn pod_counts(&self, query: &PodQuery, key: &str) -> DomainCounts {
        self.index.lock().counts(query, key, &self.nodes, &self.pods, &self.namespaces)
    }

    /// Bound pods matching `query`, by [`NodeId`] (upstream `countPodsMatchSelector` on each
    /// node).
    pub fn pod_counts_per_node(&self, query: &PodQuery) -> Arc<Vec<u32>> {
        self.index.lock().per_node(query, &self.nodes, &self.pods, &self.namespaces)
    }

    /// Whether `pod` counts for `query` (its namespace labels as this cluster declares them).
    pub fn pod_matches(&self, query: &PodQuery, pod: &Pod) -> bool {
        query.matches(pod, &self.namespaces)
    }

    /// Calls `f` with every group of identical (anti-)affinity terms of `kind` that bound pods
    /// declare (the terms of upstream's `PodsWithAffinity` / `PodsWithRequiredAntiAffinity`),
    /// in a fixed order, with the domains of the group's topology key.
    ///
    /// `f` runs while the pod index is locked: it must not call [`Cluster::topology`],
    /// [`Cluster::pod_counts`], [`Cluster::pod_counts_per_node`] or this method.
    pub fn for_each_term_group(
        &self,
        kind: TermKind,
        mut f: impl FnMut(&TermGroup, &dyn Fn() -> TopologyView),
    ) {
        let index = self.index.lock();
        index.for_each_group(kind, |g| f(g, &|| index.group_topology(g)));
    }

    /// Pod queries and term groups the index holds now (for tests and diagnostics).
    pub fn pod_index_size(&self) -> (usize, usize) {
        let index = self.index.lock();
        (index.num_queries(), index.num_groups())
    }

    /// Compares every count the pod index holds with a recount from the bound pods.
    ///
    /// # Errors
    /// The first difference (a bug in the index's upkeep).
    pub fn verify_pod_index(&self) -> Result<(), String> {
        self.index.lock().verify(&self.nodes, &self.pods, &self.namespaces)
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Node ids in kube-scheduler's snapshot order (zone-interleaved, insertion order inside a
    /// zone).
    pub fn node_order(&self) -> &[NodeId] {
        &self.snapshot_order().ids
    }

    /// The [`FilterRow`] of each node of [`Cluster::node_order`], in the same order.
    pub fn filter_rows(&self) -> &[FilterRow] {
        &self.snapshot_order().rows
    }

    /// Position of node `id` in [`Cluster::node_order`] (`usize::MAX` once removed).
    pub fn order_position(&self, id: NodeId) -> usize {
        self.snapshot_order().pos.get(id as usize).copied().unwrap_or(usize::MAX)
    }

    /// All nodes, indexed by [`NodeId`].
    pub fn nodes(&self) -> &[Arc<NodeInfo>] {
        &self.nodes
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &NodeInfo {
        &self.nodes[id as usize]
    }

    /// Mutable access to a node's spec (labels, taints, unschedulable, allocatable); the node's
    /// [`NodeHot`] row follows when the guard drops. The per-node sums are not exposed mutably.
    pub fn node_spec_mut(&mut self, id: NodeId) -> NodeSpecMut<'_> {
        NodeSpecMut { cluster: self, id }
    }

    /// The [`NodeHot`] rows, indexed by [`NodeId`].
    pub fn hot(&self) -> &[NodeHot] {
        &self.hot
    }

    /// The [`LowestPriority`] row of each node, by id (the default row for a removed node).
    pub fn lowest_priority(&self) -> &[LowestPriority] {
        &self.lowest
    }

    /// Nodes whose [`NodeHot`] row has `flag` (one `NodeHot::*` bit), now.
    pub fn nodes_with(&self, flag: u32) -> u32 {
        self.flag_counts[flag.trailing_zeros() as usize % 8]
    }

    fn refresh_hot(&mut self, id: NodeId) {
        let info = &self.nodes[id as usize];
        let row = if info.removed { NodeHot::default() } else { NodeHot::of(info) };
        self.lowest[id as usize] =
            if info.removed { LowestPriority::default() } else { LowestPriority::of(info) };
        let old = std::mem::replace(&mut self.hot[id as usize], row);
        if let Some(order) = self.order.get_mut()
            && let Some(&p) = order.pos.get(id as usize)
            && p != usize::MAX
        {
            order.rows[p] = FilterRow::of(&row);
        }
        for (bit, count) in self.flag_counts.iter_mut().enumerate() {
            *count = *count - (old.flags >> bit & 1) + (row.flags >> bit & 1);
        }
    }

    /// The id of the node named `name`.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.node_ids.get(name).copied()
    }

    /// The pod `id`.
    ///
    /// # Panics
    /// The pod was freed ([`Cluster::free_pod`]) or never added: a bug in the caller.
    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id]
    }

    /// The pod `id`, unless it was freed or never added.
    pub fn try_pod(&self, id: PodId) -> Option<&Pod> {
        self.pods.get(id)
    }

    /// The pods not freed, in id (creation) order. Walks every id ever handed out: for
    /// whole-cluster questions, not per scheduling cycle.
    pub fn pods(&self) -> impl Iterator<Item = (PodId, &Pod)> {
        self.pods.iter()
    }

    /// The table of pods not freed (the pod index reads them by id).
    pub fn pod_table(&self) -> &PodTable<Pod> {
        &self.pods
    }

    /// Records when pod `id` started running (virtual ms).
    pub fn set_start_time(&mut self, id: PodId, ms: i64) {
        match self.start_ms.get_mut(id) {
            Some(t) => *t = ms,
            None => self.start_ms.insert(id, ms),
        }
    }

    /// When pod `id` started running (virtual ms), if recorded.
    pub fn start_time(&self, id: PodId) -> Option<i64> {
        self.start_ms.get(id).copied()
    }

    /// The node pod `id` is bound to (`None` for a pending, unbound or freed pod).
    pub fn pod_node(&self, id: PodId) -> Option<NodeId> {
        self.bound.get(id).map(|b| b.node)
    }

    /// How many nodes hold the image `name` (exactly as nodes report it).
    pub fn image_num_nodes(&self, name: &str) -> u32 {
        self.image_nodes.get(name).map_or(0, |s| s.1)
    }

    /// Upstream's `ImageStateSummary` of image `name`: the size the first node listing it
    /// reported, and how many nodes hold it.
    pub fn image_state(&self, name: &str) -> Option<(i64, u32)> {
        self.image_nodes.get(name).copied()
    }

    /// Checks that no node's summed requests exceed its allocatable for any resource, returning a
    /// description of the first violation. Pods bound by `spec.nodeName` bypass the scheduler and
    /// may break this, as they do upstream until the kubelet rejects them.
    pub fn check_not_overallocated(&self) -> Result<(), String> {
        for info in &self.nodes {
            let a = &info.node.allocatable;
            let r = &info.requested;
            let mut bad: Vec<(String, i64, i64)> = Vec::new();
            for (name, used) in r.iter_nonzero() {
                let cap = if name == super::resources::PODS { a.pods } else { a.get(name) };
                if used > cap {
                    bad.push((name.to_string(), used, cap));
                }
            }
            if let Some((name, used, cap)) = bad.first() {
                return Err(format!(
                    "node {} over-allocated: {name} requested {used} > allocatable {cap}",
                    info.node.name
                ));
            }
        }
        Ok(())
    }
}

/// Upstream `utilnode.GetZoneKey`: region and zone labels joined (empty when both are unset).
pub fn zone_key(node: &Node) -> String {
    let region = node.labels.get(LABEL_REGION).map(String::as_str).unwrap_or("");
    let zone = node.labels.get(LABEL_ZONE).map(String::as_str).unwrap_or("");
    if region.is_empty() && zone.is_empty() { String::new() } else { format!("{region}:\x00:{zone}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::node::ContainerImage;
    use crate::model::pod::{ContainerPort, simple_pod};

    fn node(name: &str, images: &[(&str, i64)]) -> Node {
        Node {
            name: name.into(),
            labels: Default::default(),
            taints: vec![],
            unschedulable: false,
            allocatable: Resources { pods: 110, ..Default::default() },
            capacity: Resources::default(),
            images: images
                .iter()
                .map(|(n, s)| ContainerImage { names: vec![n.to_string()], size_bytes: *s })
                .collect(),
        }
    }

    /// Upstream `GetHostPorts`: only sidecar init containers (restartPolicy Always) hold host ports.
    #[test]
    fn only_sidecar_init_containers_claim_host_ports() {
        let port = |p| ContainerPort { host_port: p, protocol: String::new(), host_ip: String::new() };
        let mut pod = simple_pod("p", Resources::default());
        let mut init = pod.containers[0].clone();
        init.ports = vec![port(81)];
        let mut sidecar = init.clone();
        sidecar.ports = vec![port(82)];
        sidecar.restart_always = true;
        pod.init_containers = vec![init, sidecar];
        pod.containers[0].ports = vec![port(83)];
        let ports: Vec<i32> = host_ports(&pod).map(|p| p.port).collect();
        assert_eq!(ports, vec![82, 83]);
    }

    /// Upstream's cache keeps one size per image name: the first node that reported it.
    #[test]
    fn image_state_keeps_first_reported_size_and_counts_nodes() {
        let mut c = Cluster::new();
        c.add_node(node("a", &[("img:1", 100), ("img:1", 7)])).unwrap();
        c.add_node(node("b", &[("img:1", 300)])).unwrap();
        assert_eq!(c.image_state("img:1"), Some((100, 2)));
        assert_eq!(c.node(0).image_sizes["img:1"], 100);
        assert_eq!(c.image_state("img"), None);
    }
}
