//! PreFilter and Filter of InterPodAffinity: required pod affinity, required pod anti-affinity,
//! and existing pods' required anti-affinity towards the incoming pod.
//!
//! Mirrors `pkg/scheduler/framework/plugins/interpodaffinity/filtering.go` (v1.35):
//! `getExistingAntiAffinityCounts`, `getIncomingAffinityAntiAffinityCounts`, `PreFilter` (with its
//! Skip rule), `satisfyPodAffinity` (with the first-replica exception), `satisfyPodAntiAffinity`,
//! `satisfyExistingPodsAntiAffinity` and `Filter`, in that order and with the same reasons and codes.

use super::terms::{DomainTally, NamespaceLabels, TallyView, pod_parse_error, term_error, term_matches};
use crate::model::{
    Cluster, NodeId, NodeInfo, Pod, PodAffinityTerm, PodId, PodQuery, TermKind, TopologyView,
};
use crate::scheduler::framework::Status;

/// Filter reason when existing pods' required anti-affinity rejects the node (Unschedulable).
pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// Filter reason when the incoming pod's required affinity is not met (UnschedulableAndUnresolvable).
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
/// Filter reason when the incoming pod's required anti-affinity is violated (Unschedulable).
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod anti-affinity rules";

/// What PreFilter computes for Filter (upstream `preFilterState`).
#[derive(Clone, Debug, Default)]
pub(crate) struct PreFilterState {
    /// Per domain: existing pods whose required anti-affinity terms select the incoming pod
    /// (`existingAntiAffinityCounts`).
    pub(crate) existing_anti_affinity: DomainTally,
    /// Per domain: existing pods that match *all* the incoming pod's required affinity terms
    /// (`affinityCounts`).
    pub(crate) affinity: DomainTally,
    /// Per domain: existing pods matching each incoming required anti-affinity term
    /// (`antiAffinityCounts`).
    pub(crate) anti_affinity: DomainTally,
    /// The domains of each of the incoming pod's required affinity terms' keys, in term order.
    pub(crate) affinity_topologies: Vec<TopologyView>,
    /// Whether the incoming pod matches all its own required affinity terms (the first-replica
    /// exception of `satisfyPodAffinity`).
    pub(crate) matches_own_affinity: bool,
    /// Per required affinity term of the incoming pod: its key's slot in `affinity`.
    affinity_slots: Vec<Option<usize>>,
    /// Per required anti-affinity term of the incoming pod: its key's slot in `anti_affinity`.
    anti_affinity_slots: Vec<Option<usize>>,
}

impl PreFilterState {
    /// Finds each term's slot in the tallies (after they change).
    fn find_slots(&mut self, pod: &Pod) {
        self.affinity_slots =
            required_affinity(pod).iter().map(|t| self.affinity.slot(&t.topology_key)).collect();
        self.anti_affinity_slots =
            required_anti_affinity(pod).iter().map(|t| self.anti_affinity.slot(&t.topology_key)).collect();
    }
}

fn required(a: &Option<crate::model::PodAffinity>) -> &[PodAffinityTerm] {
    a.as_ref().map_or(&[][..], |a| &a.required[..])
}

/// The incoming pod's required affinity terms.
pub(crate) fn required_affinity(pod: &Pod) -> &[PodAffinityTerm] {
    required(&pod.pod_affinity)
}

/// The incoming pod's required anti-affinity terms.
pub(crate) fn required_anti_affinity(pod: &Pod) -> &[PodAffinityTerm] {
    required(&pod.pod_anti_affinity)
}

/// Upstream `podMatchesAllAffinityTerms`: false for an empty list.
fn matches_all(
    terms: &[PodAffinityTerm],
    owner_ns: &str,
    target: &Pod,
    ns: &mut NamespaceLabels<'_>,
) -> bool {
    !terms.is_empty() && terms.iter().all(|t| term_matches(t, owner_ns, target, ns))
}

/// PreFilter: `Err` is the rejecting status; `Ok(None)` is Skip (no existing pod's required
/// anti-affinity selects the pod and it has no required terms of its own); `Ok(Some)` the state.
///
/// The tallies come from the cluster's pod index: existing pods' required anti-affinity terms
/// grouped by identical term (one match per distinct term, not per pod), and the pods matching
/// the incoming pod's terms counted per domain ([`Cluster::pod_counts`]).
pub(crate) fn pre_filter(pod: &Pod, cluster: &Cluster) -> Result<Option<PreFilterState>, Status> {
    if let Some(e) = pod_parse_error(pod) {
        return Err(Status::unresolvable(format!("parsing pod: {e}")));
    }
    let mut ns = NamespaceLabels::new(cluster);
    let mut s = PreFilterState::default();

    // Existing pods' required anti-affinity terms that select the incoming pod.
    cluster.for_each_term_group(TermKind::RequiredAntiAffinity, |g, topo| {
        if g.total > 0 && term_matches(&g.term, &g.owner_namespace, pod, &mut ns) {
            s.existing_anti_affinity.add_counts(&g.term.topology_key, &topo(), &g.counts, 1, g.total);
        }
    });

    // Existing pods matching the incoming pod's required terms.
    let affinity = required_affinity(pod);
    let anti = required_anti_affinity(pod);
    let all: Vec<&PodAffinityTerm> = affinity.iter().collect();
    if let Some(q) = PodQuery::affinity(&all, &pod.namespace) {
        for t in affinity {
            let c = cluster.pod_counts(&q, &t.topology_key);
            if c.total > 0 {
                s.affinity.add_counts(&t.topology_key, &c.topology, &c.counts, 1, c.total);
            }
        }
    }
    s.affinity_topologies = affinity.iter().map(|t| cluster.topology(&t.topology_key)).collect();
    for t in anti {
        if let Some(q) = PodQuery::affinity(&[t], &pod.namespace) {
            let c = cluster.pod_counts(&q, &t.topology_key);
            if c.total > 0 {
                s.anti_affinity.add_counts(&t.topology_key, &c.topology, &c.counts, 1, c.total);
            }
        }
    }

    if s.existing_anti_affinity.is_empty() && affinity.is_empty() && anti.is_empty() {
        return Ok(None);
    }
    s.matches_own_affinity = matches_all(affinity, &pod.namespace, pod, &mut ns);
    s.find_slots(pod);
    Ok(Some(s))
}

/// Upstream `updateWithPod`: the tallies PreFilter would take with bound pod `other` added on
/// `node` (`delta` 1) or gone from it (−1): its required anti-affinity terms that select the
/// incoming pod (when its list parses), the incoming pod's required affinity terms when it
/// matches them all, and each incoming required anti-affinity term it matches, each in the node's
/// domain of the term's key.
pub(crate) fn update_with_pod(
    s: &mut PreFilterState,
    pod: &Pod,
    other: PodId,
    node: &NodeInfo,
    cluster: &Cluster,
    delta: i64,
) {
    let other = cluster.pod(other);
    let id = node.id;
    let mut ns = NamespaceLabels::new(cluster);
    let existing = required_anti_affinity(other);
    if existing.iter().all(|t| term_error(t).is_none()) {
        for t in existing {
            if term_matches(t, &other.namespace, pod, &mut ns) {
                let topo = cluster.topology(&t.topology_key);
                s.existing_anti_affinity.add_at_node(&t.topology_key, &topo, id, delta);
            }
        }
    }
    let affinity = required_affinity(pod);
    if matches_all(affinity, &pod.namespace, other, &mut ns) {
        for (t, topo) in affinity.iter().zip(&s.affinity_topologies) {
            s.affinity.add_at_node(&t.topology_key, topo, id, delta);
        }
    }
    for t in required_anti_affinity(pod) {
        if term_matches(t, &pod.namespace, other, &mut ns) {
            let topo = cluster.topology(&t.topology_key);
            s.anti_affinity.add_at_node(&t.topology_key, &topo, id, delta);
        }
    }
    s.find_slots(pod);
}

/// Upstream `satisfyPodAffinity`: every required affinity term needs its topology key on the
/// node and a matching pod in the node's domain; when some domain lacks one, the node still
/// passes if no pod anywhere matched (the affinity tally is empty) and the pod matches all its
/// own terms, so the first pod of a self-affine group can land.
fn satisfies_pod_affinity(s: &PreFilterState, id: NodeId) -> bool {
    let mut pods_exist = true;
    for (topo, slot) in s.affinity_topologies.iter().zip(&s.affinity_slots) {
        if topo.domain(id).is_none() {
            return false;
        }
        if s.affinity.get_at(*slot, id) <= 0 {
            pods_exist = false;
        }
    }
    pods_exist || (s.affinity.is_empty() && s.matches_own_affinity)
}

/// Upstream `satisfyPodAntiAffinity`: no pod matching a required anti-affinity term in the node's
/// domain of that term.
fn satisfies_pod_anti_affinity(s: &PreFilterState, id: NodeId) -> bool {
    if s.anti_affinity.is_empty() {
        return true;
    }
    !s.anti_affinity_slots.iter().any(|slot| s.anti_affinity.get_at(*slot, id) > 0)
}

/// Upstream `satisfyExistingPodsAntiAffinity`: the node lies in no domain where an existing pod's
/// required anti-affinity selects the incoming pod.
fn satisfies_existing_pods_anti_affinity(s: &PreFilterState, id: NodeId) -> bool {
    !s.existing_anti_affinity.any_positive_at(id)
}

/// Filter, in upstream's order: required affinity (UnschedulableAndUnresolvable), required
/// anti-affinity (Unschedulable), existing pods' anti-affinity (Unschedulable).
pub(crate) fn filter(s: &PreFilterState, id: NodeId) -> Status {
    match verdict(s, id) {
        None => Status::success(),
        Some(k) => rejection(k),
    }
}

/// Filter's verdict on node `id`: `None` when it passes, else which check (in upstream's order)
/// rejects it: 0 required affinity, 1 required anti-affinity, 2 existing pods' anti-affinity
/// (see [`rejection`]).
#[inline]
pub(crate) fn verdict(s: &PreFilterState, id: NodeId) -> Option<usize> {
    if !satisfies_pod_affinity(s, id) {
        return Some(0);
    }
    if !satisfies_pod_anti_affinity(s, id) {
        return Some(1);
    }
    if !satisfies_existing_pods_anti_affinity(s, id) {
        return Some(2);
    }
    None
}

/// The state as a chunk of Filter reads it ([`PreFilterState::checks`]): each tally a
/// [`verdict_by`] reads, resolved once.
pub(crate) struct Checks<'a> {
    /// Per required affinity term: its key's domains (the node must carry the key) and its
    /// tally's sums.
    affinity: smallvec::SmallVec<[(&'a [u32], Option<TallyView<'a>>); 2]>,
    /// The first-replica exception applies (no pod matched anywhere, the pod matches its terms).
    first_replica: bool,
    /// Per required anti-affinity term: its tally's sums (none when nothing matched anywhere).
    anti_affinity: smallvec::SmallVec<[Option<TallyView<'a>>; 2]>,
    /// Existing pods' anti-affinity sums, per key.
    existing: smallvec::SmallVec<[TallyView<'a>; 2]>,
}

impl PreFilterState {
    /// The [`Checks`] of this state.
    pub(crate) fn checks(&self) -> Checks<'_> {
        Checks {
            affinity: self
                .affinity_topologies
                .iter()
                .zip(&self.affinity_slots)
                .map(|(t, slot)| (&t.node_domain[..], self.affinity.view(*slot)))
                .collect(),
            first_replica: self.affinity.is_empty() && self.matches_own_affinity,
            anti_affinity: if self.anti_affinity.is_empty() {
                smallvec::SmallVec::new()
            } else {
                self.anti_affinity_slots.iter().map(|slot| self.anti_affinity.view(*slot)).collect()
            },
            existing: self.existing_anti_affinity.views().collect(),
        }
    }
}

/// [`verdict`] on node `id` from the state's [`Checks`]: the same three checks in order.
#[inline]
pub(crate) fn verdict_by(c: &Checks<'_>, id: NodeId) -> Option<usize> {
    let mut pods_exist = true;
    for (domains, view) in &c.affinity {
        if domains.get(id as usize).is_none_or(|d| *d == crate::model::NO_DOMAIN) {
            return Some(0);
        }
        if view.and_then(|v| v.at(id)).unwrap_or(0) <= 0 {
            pods_exist = false;
        }
    }
    if !pods_exist && !c.first_replica {
        return Some(0);
    }
    if c.anti_affinity.iter().any(|v| v.and_then(|v| v.at(id)).unwrap_or(0) > 0) {
        return Some(1);
    }
    if c.existing.iter().any(|v| v.at(id).is_some_and(|x| x > 0)) {
        return Some(2);
    }
    None
}

/// The status of a [`verdict`]'s check.
pub(crate) fn rejection(check: usize) -> Status {
    match check {
        0 => Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH),
        1 => Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH),
        _ => Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH),
    }
}
