//! PreFilter and Filter of InterPodAffinity: required pod affinity, required pod anti-affinity,
//! and existing pods' required anti-affinity towards the incoming pod.
//!
//! Mirrors `pkg/scheduler/framework/plugins/interpodaffinity/filtering.go` (v1.35):
//! `getExistingAntiAffinityCounts`, `getIncomingAffinityAntiAffinityCounts`, `PreFilter` (with its
//! Skip rule), `satisfyPodAffinity` (with the first-replica exception), `satisfyPodAntiAffinity`,
//! `satisfyExistingPodsAntiAffinity` and `Filter`, in that order and with the same reasons and codes.

use super::terms::{NamespaceLabels, TopologyTally, for_each_match, pod_parse_error, term_matches};
use crate::model::{Cluster, NodeInfo, Pod, PodAffinityTerm};
use crate::scheduler::framework::Status;

/// Filter reason when existing pods' required anti-affinity rejects the node (Unschedulable).
pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// Filter reason when the incoming pod's required affinity is not met (UnschedulableAndUnresolvable).
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
/// Filter reason when the incoming pod's required anti-affinity is violated (Unschedulable).
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod anti-affinity rules";

/// What PreFilter computes for Filter (upstream `preFilterState`).
#[derive(Debug, Default)]
pub(crate) struct PreFilterState {
    /// Per domain: existing pods whose required anti-affinity terms select the incoming pod
    /// (`existingAntiAffinityCounts`).
    pub(crate) existing_anti_affinity: TopologyTally,
    /// Per domain: existing pods that match *all* the incoming pod's required affinity terms
    /// (`affinityCounts`).
    pub(crate) affinity: TopologyTally,
    /// Per domain: existing pods matching each incoming required anti-affinity term
    /// (`antiAffinityCounts`).
    pub(crate) anti_affinity: TopologyTally,
    /// Whether the incoming pod matches all its own required affinity terms (the first-replica
    /// exception of `satisfyPodAffinity`).
    pub(crate) matches_own_affinity: bool,
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
pub(crate) fn pre_filter(pod: &Pod, cluster: &Cluster) -> Result<Option<PreFilterState>, Status> {
    if let Some(e) = pod_parse_error(pod) {
        return Err(Status::unresolvable(format!("parsing pod: {e}")));
    }
    let mut ns = NamespaceLabels::new(cluster);
    let mut s = PreFilterState::default();

    // Existing pods' required anti-affinity terms that select the incoming pod.
    for id in cluster.pods_with_required_anti_affinity() {
        let Some(node) = cluster.pod_node(id) else { continue };
        let existing = cluster.pod(id);
        let labels = &cluster.node(node).node.labels;
        for_each_match(
            required_anti_affinity(existing),
            |t| t,
            |t| term_matches(t, &existing.namespace, pod, &mut ns),
            |t| {
                s.existing_anti_affinity.add(labels, &t.topology_key, 1);
            },
        );
    }

    // Existing pods matching the incoming pod's required terms.
    let affinity = required_affinity(pod);
    let anti = required_anti_affinity(pod);
    if !affinity.is_empty() || !anti.is_empty() {
        for (_, info) in cluster.live_nodes() {
            let labels = &info.node.labels;
            for id in &info.pods {
                let existing = cluster.pod(*id);
                if matches_all(affinity, &pod.namespace, existing, &mut ns) {
                    for t in affinity {
                        s.affinity.add(labels, &t.topology_key, 1);
                    }
                }
                for t in anti {
                    if term_matches(t, &pod.namespace, existing, &mut ns) {
                        s.anti_affinity.add(labels, &t.topology_key, 1);
                    }
                }
            }
        }
    }

    if s.existing_anti_affinity.is_empty() && affinity.is_empty() && anti.is_empty() {
        return Ok(None);
    }
    s.matches_own_affinity = matches_all(affinity, &pod.namespace, pod, &mut ns);
    Ok(Some(s))
}

/// Upstream `satisfyPodAffinity`: every required affinity term needs its topology key on the
/// node and a matching pod in the node's domain; when some domain lacks one, the node still
/// passes if no pod anywhere matched (the affinity tally is empty) and the pod matches all its
/// own terms, so the first pod of a self-affine group can land.
fn satisfies_pod_affinity(s: &PreFilterState, pod: &Pod, node: &NodeInfo) -> bool {
    let labels = &node.node.labels;
    let mut pods_exist = true;
    for t in required_affinity(pod) {
        match labels.get(&t.topology_key) {
            Some(v) => {
                if s.affinity.get(&t.topology_key, v) <= 0 {
                    pods_exist = false;
                }
            }
            None => return false,
        }
    }
    pods_exist || (s.affinity.is_empty() && s.matches_own_affinity)
}

/// Upstream `satisfyPodAntiAffinity`: no pod matching a required anti-affinity term in the node's
/// domain of that term.
fn satisfies_pod_anti_affinity(s: &PreFilterState, pod: &Pod, node: &NodeInfo) -> bool {
    if s.anti_affinity.is_empty() {
        return true;
    }
    let labels = &node.node.labels;
    !required_anti_affinity(pod).iter().any(|t| s.anti_affinity.get_for_node(labels, &t.topology_key) > 0)
}

/// Upstream `satisfyExistingPodsAntiAffinity`: the node lies in no domain where an existing pod's
/// required anti-affinity selects the incoming pod.
fn satisfies_existing_pods_anti_affinity(s: &PreFilterState, node: &NodeInfo) -> bool {
    let labels = &node.node.labels;
    !s.existing_anti_affinity
        .iter()
        .any(|(key, values)| labels.get(key).and_then(|v| values.get(v.as_str())).is_some_and(|c| *c > 0))
}

/// Filter, in upstream's order: required affinity (UnschedulableAndUnresolvable), required
/// anti-affinity (Unschedulable), existing pods' anti-affinity (Unschedulable).
pub(crate) fn filter(s: &PreFilterState, pod: &Pod, node: &NodeInfo) -> Status {
    if !satisfies_pod_affinity(s, pod, node) {
        return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
    }
    if !satisfies_pod_anti_affinity(s, pod, node) {
        return Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
    }
    if !satisfies_existing_pods_anti_affinity(s, node) {
        return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
    }
    Status::success()
}
