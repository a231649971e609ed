//! The DaemonSet controller (mirrors kube-controller-manager's `pkg/controller/daemon`): one pod
//! per eligible node, placed by the default scheduler through a `matchFields metadata.name`
//! node affinity, created when a node joins or becomes eligible, deleted when the node stops
//! being eligible under NoExecute rules or leaves.

use std::collections::BTreeMap;

use crate::model::labels::{
    NodeAffinity, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, TaintEffect,
    Toleration, tolerations_tolerate,
};
use crate::model::{Node, NodeId, Pod, PodId};
use crate::time::SimTime;

use super::exists_toleration;
use crate::names::{
    TAINT_DISK_PRESSURE, TAINT_MEMORY_PRESSURE, TAINT_NETWORK_UNAVAILABLE, TAINT_NOT_READY,
    TAINT_PID_PRESSURE, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE,
};

/// Backoff of a node's failed daemon pod before it is recreated: 1 s, doubling.
pub const FAILED_POD_BACKOFF_INITIAL_MS: i64 = 1_000;
/// Longest backoff of a node's failed daemon pod: 15 min.
pub const FAILED_POD_BACKOFF_MAX_MS: i64 = 15 * 60 * 1000;

/// A DaemonSet as capsim runs it.
#[derive(Clone, Debug)]
pub struct DaemonSet {
    /// Namespace.
    pub namespace: String,
    /// Name; pods are named `<name>-<suffix>`.
    pub name: String,
    /// The pod template, with the tolerations the controller adds already appended.
    pub template: Pod,
    /// When the DaemonSet is created (virtual time).
    pub created: SimTime,
}

impl DaemonSet {
    /// A DaemonSet from its template: adds the controller's tolerations
    /// ([`daemon_tolerations`]) to the template.
    pub fn new(namespace: String, name: String, mut template: Pod, created: SimTime) -> Self {
        for t in daemon_tolerations(template.host_network) {
            if !template.tolerations.contains(&t) {
                template.tolerations.push(t);
            }
        }
        DaemonSet { namespace, name, template, created }
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Upstream `NodeShouldRunDaemonPod`: (shouldRun, shouldContinueRunning) for `node`. The
    /// template's `nodeName`, `nodeSelector` and required node affinity must match (else
    /// neither); an untolerated NoSchedule or NoExecute taint stops new pods, and only an
    /// untolerated NoExecute taint stops a running one. Resources are not considered.
    pub fn should_run(&self, node: &Node) -> (bool, bool) {
        let t = &self.template;
        if t.node_name.as_deref().is_some_and(|n| n != node.name) {
            return (false, false);
        }
        if !t.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v)) {
            return (false, false);
        }
        if let Some(req) = t.node_affinity.as_ref().and_then(|a| a.required.as_ref())
            && !req.matches(&node.name, &node.labels)
        {
            return (false, false);
        }
        let untolerated = |effect: TaintEffect| {
            node.taints.iter().any(|x| x.effect == effect && !tolerations_tolerate(&t.tolerations, x))
        };
        let no_execute = untolerated(TaintEffect::NoExecute);
        let no_schedule = untolerated(TaintEffect::NoSchedule);
        (!no_execute && !no_schedule, !no_execute)
    }

    /// The pod for `node`: the template with its required node affinity replaced by one term
    /// `matchFields metadata.name In [node]` (upstream `ReplaceDaemonSetPodNodeNameNodeAffinity`;
    /// the template's `nodeSelector` is kept), named `<name>-<suffix>`.
    pub fn pod_for(&self, node_name: &str, suffix: &str) -> Pod {
        let mut pod = self.template.clone();
        pod.name = format!("{}-{suffix}", self.name);
        pod.namespace = self.namespace.clone();
        let term = NodeSelectorTerm {
            match_expressions: Vec::new(),
            match_fields: vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: NodeSelectorOperator::In,
                values: vec![node_name.to_string()],
            }],
        };
        let preferred = pod.node_affinity.take().map(|a| a.preferred).unwrap_or_default();
        pod.node_affinity =
            Some(NodeAffinity { required: Some(NodeSelector { terms: vec![term] }), preferred });
        pod
    }
}

/// Tolerations upstream adds to every DaemonSet pod (`AddOrUpdateDaemonPodTolerations`), all
/// `Exists` without `tolerationSeconds`: not-ready and unreachable (NoExecute), disk-, memory-
/// and pid-pressure and unschedulable (NoSchedule), and network-unavailable (NoSchedule) for
/// host-network pods.
pub fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut v = vec![
        exists_toleration(TAINT_NOT_READY, TaintEffect::NoExecute, None),
        exists_toleration(TAINT_UNREACHABLE, TaintEffect::NoExecute, None),
        exists_toleration(TAINT_DISK_PRESSURE, TaintEffect::NoSchedule, None),
        exists_toleration(TAINT_MEMORY_PRESSURE, TaintEffect::NoSchedule, None),
        exists_toleration(TAINT_PID_PRESSURE, TaintEffect::NoSchedule, None),
        exists_toleration(TAINT_UNSCHEDULABLE, TaintEffect::NoSchedule, None),
    ];
    if host_network {
        v.push(exists_toleration(TAINT_NETWORK_UNAVAILABLE, TaintEffect::NoSchedule, None));
    }
    v
}

/// The controller's state: per DaemonSet, the live pod on each node, per (DaemonSet, node) the
/// backoff of failed pods, and per DaemonSet the workqueue backoff after a refused creation.
#[derive(Clone, Debug, Default)]
pub struct DaemonSetController {
    /// The DaemonSets, indexed by their number in the run.
    pub sets: Vec<DaemonSet>,
    /// Whether each DaemonSet exists yet (created at its time).
    pub active: Vec<bool>,
    /// Per DaemonSet: node → its live (not terminating) pod.
    pub pods: Vec<BTreeMap<NodeId, PodId>>,
    /// Per DaemonSet: node → (next backoff ms, earliest recreation time) after a failure.
    pub backoff: Vec<BTreeMap<NodeId, (i64, SimTime)>>,
    /// Per DaemonSet: the workqueue's current backoff after a refused creation, ms.
    retry_ms: Vec<i64>,
    /// Per DaemonSet: whether a retry is queued.
    retry_pending: Vec<bool>,
}

/// What a reconcile of one (DaemonSet, node) decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do.
    Keep,
    /// Create a pod for the node (now, or at the given time after a failure backoff).
    Create(SimTime),
    /// Delete the node's pod: the node no longer passes `shouldContinueRunning`.
    Delete(PodId),
}

impl DaemonSetController {
    /// A controller for `sets` (none active yet).
    pub fn new(sets: Vec<DaemonSet>) -> Self {
        let n = sets.len();
        DaemonSetController {
            sets,
            active: vec![false; n],
            pods: vec![BTreeMap::new(); n],
            backoff: vec![BTreeMap::new(); n],
            retry_ms: vec![0; n],
            retry_pending: vec![false; n],
        }
    }

    /// DaemonSet `ds` exists from now on (its creation time came).
    pub fn activate(&mut self, ds: usize) {
        self.active[ds] = true;
    }

    /// Pod `p` of `ds` was created for `node` and admitted: it is the node's pod, and the
    /// workqueue backoff resets.
    pub fn pod_created(&mut self, ds: usize, node: NodeId, p: PodId) {
        self.pods[ds].insert(node, p);
        self.retry_ms[ds] = 0;
    }

    /// Admission refused a creation of `ds` (a failed sync): the wait before the workqueue
    /// retries, ms (5 ms doubling, at most 1000 s), unless a retry is already queued.
    pub fn creation_refused(&mut self, ds: usize) -> Option<i64> {
        if self.retry_pending[ds] {
            return None;
        }
        let wait = super::workqueue_backoff_ms(self.retry_ms[ds]);
        self.retry_ms[ds] = wait;
        self.retry_pending[ds] = true;
        Some(wait)
    }

    /// The queued retry of `ds` runs.
    pub fn retry_started(&mut self, ds: usize) {
        self.retry_pending[ds] = false;
    }

    /// Pod `p` of `ds` ended; `failed`: the kubelet rejected, evicted or OOM-killed it, so the
    /// next pod for its node waits out a back-off. Returns the node it was the pod of.
    pub fn pod_ended(&mut self, ds: usize, p: PodId, failed: bool, now: SimTime) -> Option<NodeId> {
        let node = self.pods[ds].iter().find(|(_, q)| **q == p).map(|(n, _)| *n)?;
        self.pods[ds].remove(&node);
        if failed {
            self.note_failure(ds, node, now);
        }
        Some(node)
    }

    /// Node `node` was deleted: every DaemonSet forgets its pod and backoff there.
    pub fn node_removed(&mut self, node: NodeId) {
        for ds in 0..self.sets.len() {
            self.pods[ds].remove(&node);
            self.backoff[ds].remove(&node);
        }
    }

    /// Reconciles DaemonSet `ds` on `node` at `now` (upstream `podsShouldBeOnNode`).
    pub fn reconcile(&self, ds: usize, node_id: NodeId, node: &Node, now: SimTime) -> Decision {
        if !self.active[ds] {
            return Decision::Keep;
        }
        let (should_run, should_continue) = self.sets[ds].should_run(node);
        match self.pods[ds].get(&node_id) {
            Some(p) if !should_continue => Decision::Delete(*p),
            Some(_) => Decision::Keep,
            None if should_run => {
                let at = self.backoff[ds].get(&node_id).map_or(now, |(_, t)| (*t).max(now));
                Decision::Create(at)
            }
            None => Decision::Keep,
        }
    }

    /// Records that `pod` of `ds` on `node` failed (rejected by the kubelet, evicted by the
    /// kubelet): the next pod for the node waits 1 s, then 2 s, ... up to 15 min.
    pub fn note_failure(&mut self, ds: usize, node: NodeId, now: SimTime) {
        let entry = self.backoff[ds].entry(node).or_insert((FAILED_POD_BACKOFF_INITIAL_MS, now));
        let wait = entry.0;
        *entry = ((wait * 2).min(FAILED_POD_BACKOFF_MAX_MS), now.plus_millis(wait));
    }

    /// Status of `ds` for the time series: (desired, current, ready, misscheduled), as upstream's
    /// `desiredNumberScheduled`, `currentNumberScheduled`, `numberReady` and
    /// `numberMisscheduled`. `nodes` are the live nodes; `bound(p)` tells whether pod `p` runs.
    pub fn status<'n>(
        &self,
        ds: usize,
        nodes: impl Iterator<Item = (NodeId, &'n Node)>,
        bound: impl Fn(PodId) -> bool,
    ) -> (usize, usize, usize, usize) {
        let (mut desired, mut current, mut ready, mut mis) = (0, 0, 0, 0);
        for (id, node) in nodes {
            let (should_run, _) = self.sets[ds].should_run(node);
            let pod = self.pods[ds].get(&id);
            if should_run {
                desired += 1;
                if let Some(p) = pod {
                    current += 1;
                    if bound(*p) {
                        ready += 1;
                    }
                }
            } else if pod.is_some() {
                mis += 1;
            }
        }
        (desired, current, ready, mis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::labels::{Taint, TolerationOperator};
    use crate::model::resources::Resources;
    use crate::model::simple_pod;

    fn node(taints: Vec<Taint>) -> Node {
        let mut labels = crate::model::Labels::new();
        labels.insert("kubernetes.io/os".into(), "linux".into());
        Node {
            name: "n1".into(),
            labels,
            taints,
            unschedulable: false,
            allocatable: Resources::default(),
            capacity: Resources::default(),
            images: Vec::new(),
        }
    }

    fn ds(tolerations: Vec<Toleration>) -> DaemonSet {
        let mut t = simple_pod("t", Resources::default());
        t.node_selector.insert("kubernetes.io/os".into(), "linux".into());
        t.tolerations = tolerations;
        DaemonSet::new("kube-system".into(), "agent".into(), t, SimTime::ZERO)
    }

    fn t(key: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.into(), value: String::new(), effect }
    }

    /// Upstream `TestNodeShouldRunDaemonPod`-style cases: NoSchedule stops new pods only,
    /// NoExecute stops both, the controller's own tolerations cover node conditions.
    #[test]
    fn should_run_follows_taint_effects_and_added_tolerations() {
        let d = ds(vec![]);
        assert_eq!(d.should_run(&node(vec![])), (true, true));
        assert_eq!(d.should_run(&node(vec![t("dedicated", TaintEffect::NoSchedule)])), (false, true));
        assert_eq!(d.should_run(&node(vec![t("maintenance", TaintEffect::NoExecute)])), (false, false));
        assert_eq!(d.should_run(&node(vec![t("dedicated", TaintEffect::PreferNoSchedule)])), (true, true));
        // Added by the controller: unreachable NoExecute and unschedulable NoSchedule.
        assert_eq!(d.should_run(&node(vec![t(TAINT_UNREACHABLE, TaintEffect::NoExecute)])), (true, true));
        assert_eq!(d.should_run(&node(vec![t(TAINT_UNSCHEDULABLE, TaintEffect::NoSchedule)])), (true, true));
        // Not added: unreachable NoSchedule, so no new pod lands on a NotReady node.
        assert_eq!(d.should_run(&node(vec![t(TAINT_UNREACHABLE, TaintEffect::NoSchedule)])), (false, true));
        // network-unavailable only for host-network pods.
        let na = node(vec![t(TAINT_NETWORK_UNAVAILABLE, TaintEffect::NoSchedule)]);
        assert_eq!(d.should_run(&na), (false, true));
        let mut hn = simple_pod("t", Resources::default());
        hn.host_network = true;
        let d2 = DaemonSet::new("kube-system".into(), "cni".into(), hn, SimTime::ZERO);
        assert_eq!(d2.should_run(&na), (true, true));
        // A toleration of everything (`operator: Exists`, no key).
        let all = Toleration {
            key: String::new(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
            toleration_seconds: None,
        };
        assert_eq!(
            ds(vec![all]).should_run(&node(vec![t("maintenance", TaintEffect::NoExecute)])),
            (true, true)
        );
        // Node selector mismatch.
        let mut other = node(vec![]);
        other.labels.insert("kubernetes.io/os".into(), "windows".into());
        assert_eq!(d.should_run(&other), (false, false));
    }

    #[test]
    fn daemon_pods_are_pinned_with_match_fields_and_keep_preferred_terms() {
        let d = ds(vec![]);
        let p = d.pod_for("node-7", "bcdfg");
        assert_eq!(p.name, "agent-bcdfg");
        let req = p.node_affinity.as_ref().unwrap().required.as_ref().unwrap();
        assert!(req.matches("node-7", &Default::default()));
        assert!(!req.matches("node-8", &Default::default()));
        assert_eq!(p.node_selector.get("kubernetes.io/os").map(String::as_str), Some("linux"));
    }

    #[test]
    fn failed_pod_backoff_doubles_to_fifteen_minutes() {
        let mut c = DaemonSetController::new(vec![ds(vec![])]);
        c.active[0] = true;
        let n = node(vec![]);
        let t = SimTime;
        assert_eq!(c.reconcile(0, 0, &n, t(0)), Decision::Create(t(0)));
        c.note_failure(0, 0, t(0));
        assert_eq!(c.reconcile(0, 0, &n, t(0)), Decision::Create(t(1_000)));
        c.note_failure(0, 0, t(1_000));
        assert_eq!(c.reconcile(0, 0, &n, t(1_000)), Decision::Create(t(3_000)));
        for k in 0..20 {
            c.note_failure(0, 0, t(k));
        }
        assert_eq!(c.backoff[0][&0].0, FAILED_POD_BACKOFF_MAX_MS);
    }

    #[test]
    fn refused_creations_retry_once_at_a_time_with_backoff() {
        let mut c = DaemonSetController::new(vec![ds(vec![])]);
        assert_eq!(c.creation_refused(0), Some(5));
        assert_eq!(c.creation_refused(0), None, "a retry is queued");
        c.retry_started(0);
        assert_eq!(c.creation_refused(0), Some(10));
        c.retry_started(0);
        c.pod_created(0, 3, 9);
        assert_eq!(c.creation_refused(0), Some(5), "a creation resets the backoff");
        assert_eq!(c.pod_ended(0, 9, true, SimTime(100)), Some(3));
        assert_eq!(c.backoff[0][&3], (2 * FAILED_POD_BACKOFF_INITIAL_MS, SimTime(1_100)));
        c.node_removed(3);
        assert!(c.backoff[0].is_empty());
    }
}
