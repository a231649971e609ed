//! PreScore, Score and NormalizeScore of InterPodAffinity.
//!
//! Mirrors `pkg/scheduler/framework/plugins/interpodaffinity/scoring.go` (v1.35): `PreScore`
//! builds a topology score map from existing pods (`processExistingPod`), `Score` sums the map
//! over the node's labels, `NormalizeScore` rescales between the lowest and highest raw score.

use super::terms::{DomainTally, NamespaceLabels, term_matches};
use crate::model::{Cluster, NodeId, Pod, PodAffinity, PodQuery, TermKind, WeightedPodAffinityTerm};
use crate::scheduler::framework::MAX_NODE_SCORE;

/// What PreScore computes for Score (upstream `preScoreState.topologyScore`).
#[derive(Debug, Default)]
pub(crate) struct PreScoreState {
    /// Per topology domain: summed weight.
    pub(crate) topology_score: DomainTally,
}

fn preferred(a: &Option<PodAffinity>) -> &[WeightedPodAffinityTerm] {
    a.as_ref().map_or(&[][..], |a| &a.preferred[..])
}

/// PreScore: `None` is Skip — with `ignorePreferredTermsOfExistingPods` and a pod without
/// preferred terms, or when no existing pod contributed to any domain; otherwise the score map.
///
/// For each existing pod on a node that carries the term's topology key:
/// - incoming preferred affinity term selecting it: `+weight`; preferred anti-affinity: `−weight`;
/// - its required affinity terms selecting the incoming pod: `+hardPodAffinityWeight` (when > 0);
/// - its preferred affinity terms selecting the incoming pod: `+weight`; anti-affinity: `−weight`.
///
/// The first from the pod index's counts of the pods each incoming term selects; the others from
/// its groups of identical existing terms (one match per distinct term). A pod "contributes" when
/// such a match lies on a node with the key, even if the weights cancel.
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
    for (terms, sign) in [(incoming_aff, 1), (incoming_anti, -1)] {
        for w in terms {
            let Some(q) = PodQuery::affinity(&[&w.term], &pod.namespace) else { continue };
            let c = cluster.pod_counts(&q, &w.term.topology_key);
            if c.total > 0 {
                touched = true;
                state.topology_score.add_counts(
                    &w.term.topology_key,
                    &c.topology,
                    &c.counts,
                    sign * i64::from(w.weight),
                    c.total,
                );
            }
        }
    }
    let mut existing = |kind: TermKind, factor: &dyn Fn(i32) -> i64| {
        cluster.for_each_term_group(kind, |g, topo| {
            if g.total > 0 && term_matches(&g.term, &g.owner_namespace, pod, &mut ns) {
                touched = true;
                state.topology_score.add_counts(
                    &g.term.topology_key,
                    &topo(),
                    &g.counts,
                    factor(g.weight),
                    g.total,
                );
            }
        });
    };
    if hard_pod_affinity_weight > 0 {
        existing(TermKind::RequiredAffinity, &|_| i64::from(hard_pod_affinity_weight));
    }
    existing(TermKind::PreferredAffinity, &|w| i64::from(w));
    existing(TermKind::PreferredAntiAffinity, &|w| -i64::from(w));
    touched.then_some(state)
}

/// Score: the sum, over the topology keys in the map, of the weight of the node's domain.
pub(crate) fn score(state: &PreScoreState, id: NodeId) -> i64 {
    state.topology_score.sum_at(id)
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
