//! PreScore, Score and NormalizeScore of InterPodAffinity.
//!
//! Mirrors `pkg/scheduler/framework/plugins/interpodaffinity/scoring.go` (v1.35): `PreScore`
//! builds a topology score map from existing pods (`processExistingPod`), `Score` sums the map
//! over the node's labels, `NormalizeScore` rescales between the lowest and highest raw score.

use super::terms::{NamespaceLabels, TopologyTally, for_each_match, term_matches};
use crate::model::{Cluster, Labels, Pod, PodAffinity, WeightedPodAffinityTerm};
use crate::scheduler::framework::MAX_NODE_SCORE;

/// What PreScore computes for Score (upstream `preScoreState.topologyScore`).
#[derive(Debug, Default)]
pub(crate) struct PreScoreState {
    /// Topology key → key value → summed weight.
    pub(crate) topology_score: TopologyTally,
}

fn preferred(a: &Option<PodAffinity>) -> &[WeightedPodAffinityTerm] {
    a.as_ref().map_or(&[][..], |a| &a.preferred[..])
}

/// PreScore: `None` is Skip — with `ignorePreferredTermsOfExistingPods` and a pod without
/// preferred terms, or when no existing pod contributed to any domain; otherwise the score map.
///
/// The pods visited are every bound pod when the incoming pod has preferred (anti-)affinity
/// terms, else only pods that declare pod affinity (the others cannot contribute). For each pod
/// on a node that carries the term's topology key:
/// - incoming preferred affinity term selecting it: `+weight`; preferred anti-affinity: `−weight`;
/// - its required affinity terms selecting the incoming pod: `+hardPodAffinityWeight` (when > 0);
/// - its preferred affinity terms selecting the incoming pod: `+weight`; anti-affinity: `−weight`.
pub(crate) fn pre_score(
    pod: &Pod,
    cluster: &Cluster,
    hard_pod_affinity_weight: i32,
    ignore_preferred_terms_of_existing_pods: bool,
) -> Option<PreScoreState> {
    let incoming_aff = preferred(&pod.pod_affinity);
    let incoming_anti = preferred(&pod.pod_anti_affinity);
    let has_constraints = !incoming_aff.is_empty() || !incoming_anti.is_empty();
    if ignore_preferred_terms_of_existing_pods && !has_constraints {
        return None;
    }
    let mut ns = NamespaceLabels::new(cluster);
    let mut state = PreScoreState::default();
    let mut touched = false;
    let mut visit = |existing: &Pod, labels: &Labels, ns: &mut NamespaceLabels<'_>| {
        if labels.is_empty() {
            return;
        }
        let mut add = |key: &str, delta: i64| {
            touched |= state.topology_score.add(labels, key, delta);
        };
        for (terms, sign) in [(incoming_aff, 1), (incoming_anti, -1)] {
            for w in terms {
                if term_matches(&w.term, &pod.namespace, existing, ns) {
                    add(&w.term.topology_key, sign * w.weight as i64);
                }
            }
        }
        if hard_pod_affinity_weight > 0 {
            let required = existing.pod_affinity.as_ref().map_or(&[][..], |a| &a.required[..]);
            for_each_match(
                required,
                |t| t,
                |t| term_matches(t, &existing.namespace, pod, ns),
                |t| add(&t.topology_key, hard_pod_affinity_weight as i64),
            );
        }
        for (terms, sign) in
            [(preferred(&existing.pod_affinity), 1), (preferred(&existing.pod_anti_affinity), -1)]
        {
            for_each_match(
                terms,
                |w| &w.term,
                |t| term_matches(t, &existing.namespace, pod, ns),
                |w| add(&w.term.topology_key, sign * w.weight as i64),
            );
        }
    };
    if has_constraints {
        for (_, info) in cluster.live_nodes() {
            for id in &info.pods {
                visit(cluster.pod(*id), &info.node.labels, &mut ns);
            }
        }
    } else {
        for id in cluster.pods_with_affinity() {
            if let Some(node) = cluster.pod_node(id) {
                visit(cluster.pod(id), &cluster.node(node).node.labels, &mut ns);
            }
        }
    }
    touched.then_some(state)
}

/// Score: the sum, over the topology keys in the map, of the weight of the node's domain.
pub(crate) fn score(state: &PreScoreState, labels: &Labels) -> i64 {
    state
        .topology_score
        .iter()
        .filter_map(|(key, values)| labels.get(key).and_then(|v| values.get(v.as_str())))
        .sum()
}

/// Upstream `NormalizeScore`: `lo` and `hi` are the lowest and highest raw scores of the scored
/// nodes; each score becomes `int64(100 · (raw − lo) / (hi − lo))` computed in `float64`, or 0
/// when `hi == lo`. Nothing changes when the score map is empty (every raw score is then 0).
pub(crate) fn normalize(map_is_empty: bool, scores: &mut [i64]) {
    if map_is_empty || scores.is_empty() {
        return;
    }
    let lo = *scores.iter().min().expect("non-empty");
    let hi = *scores.iter().max().expect("non-empty");
    let diff = hi - lo;
    for s in scores.iter_mut() {
        let f = if diff > 0 { MAX_NODE_SCORE as f64 * ((*s - lo) as f64 / diff as f64) } else { 0.0 };
        *s = f as i64;
    }
}
