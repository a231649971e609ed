//! Test-only: InterPodAffinity as it was before the pod index, walking every bound pod (or every
//! bound pod with affinity terms) in each PreFilter and PreScore, as upstream does. The property
//! test of `plugins/index_props.rs` checks that the plugin decides exactly as this does.

use std::collections::BTreeMap;

use super::filtering::{
    ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH, required_affinity, required_anti_affinity,
};
pub(crate) use super::terms::pod_parse_error;
use super::terms::{NamespaceLabels, term_error, term_matches};
use crate::model::{Cluster, Labels, NodeInfo, Pod, PodAffinity, PodAffinityTerm, WeightedPodAffinityTerm};
use crate::scheduler::framework::Status;

/// Topology key → value → sum; keys in first-touched order.
#[derive(Default)]
pub(crate) struct Tally {
    keys: Vec<(String, BTreeMap<String, i64>)>,
}

impl Tally {
    fn add(&mut self, labels: &Labels, key: &str, delta: i64) -> bool {
        let Some(value) = labels.get(key) else { return false };
        let values = match self.keys.iter().position(|(k, _)| k == key) {
            Some(i) => &mut self.keys[i].1,
            None => {
                self.keys.push((key.to_string(), BTreeMap::new()));
                &mut self.keys.last_mut().expect("pushed").1
            }
        };
        *values.entry(value.clone()).or_insert(0) += delta;
        true
    }

    fn get(&self, key: &str, value: &str) -> i64 {
        self.keys.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.get(value)).copied().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Calls `on_match` for every item of a term list whose term `matches`, unless the list does not
/// parse.
fn for_each_match<T>(
    list: &[T],
    term: impl Fn(&T) -> &PodAffinityTerm,
    mut matches: impl FnMut(&PodAffinityTerm) -> bool,
    mut on_match: impl FnMut(&T),
) {
    if !list.iter().all(|i| term_error(term(i)).is_none()) {
        return;
    }
    for item in list {
        if matches(term(item)) {
            on_match(item);
        }
    }
}

fn matches_all(
    terms: &[PodAffinityTerm],
    owner_ns: &str,
    target: &Pod,
    ns: &mut NamespaceLabels<'_>,
) -> bool {
    !terms.is_empty() && terms.iter().all(|t| term_matches(t, owner_ns, target, ns))
}

/// PreFilter's state.
#[derive(Default)]
pub(crate) struct FilterState {
    existing_anti_affinity: Tally,
    affinity: Tally,
    anti_affinity: Tally,
    matches_own_affinity: bool,
}

/// PreFilter: `Err` rejects, `Ok(None)` skips.
pub(crate) fn pre_filter(pod: &Pod, cluster: &Cluster) -> Result<Option<FilterState>, Status> {
    if let Some(e) = pod_parse_error(pod) {
        return Err(Status::unresolvable(format!("parsing pod: {e}")));
    }
    let mut ns = NamespaceLabels::new(cluster);
    let mut s = FilterState::default();
    let affinity = required_affinity(pod);
    let anti = required_anti_affinity(pod);
    for (_, info) in cluster.live_nodes() {
        let labels = &info.node.labels;
        for id in &info.pods {
            let existing = cluster.pod(*id);
            for_each_match(
                required_anti_affinity(existing),
                |t| t,
                |t| term_matches(t, &existing.namespace, pod, &mut ns),
                |t| {
                    s.existing_anti_affinity.add(labels, &t.topology_key, 1);
                },
            );
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
    if s.existing_anti_affinity.is_empty() && affinity.is_empty() && anti.is_empty() {
        return Ok(None);
    }
    s.matches_own_affinity = matches_all(affinity, &pod.namespace, pod, &mut ns);
    Ok(Some(s))
}

/// Filter on `node`.
pub(crate) fn filter(s: &FilterState, pod: &Pod, node: &NodeInfo) -> Status {
    let labels = &node.node.labels;
    let mut pods_exist = true;
    for t in required_affinity(pod) {
        match labels.get(&t.topology_key) {
            Some(v) => {
                if s.affinity.get(&t.topology_key, v) <= 0 {
                    pods_exist = false;
                }
            }
            None => return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH),
        }
    }
    if !(pods_exist || (s.affinity.is_empty() && s.matches_own_affinity)) {
        return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
    }
    let at = |tally: &Tally, key: &str| labels.get(key).map_or(0, |v| tally.get(key, v));
    if required_anti_affinity(pod).iter().any(|t| at(&s.anti_affinity, &t.topology_key) > 0) {
        return Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
    }
    if s.existing_anti_affinity.keys.iter().any(|(key, _)| at(&s.existing_anti_affinity, key) > 0) {
        return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
    }
    Status::success()
}

fn preferred(a: &Option<PodAffinity>) -> &[WeightedPodAffinityTerm] {
    a.as_ref().map_or(&[][..], |a| &a.preferred[..])
}

/// PreScore: `None` is Skip, else the score map.
pub(crate) fn pre_score(
    pod: &Pod,
    cluster: &Cluster,
    hard_pod_affinity_weight: i32,
    ignore_preferred_terms_of_existing_pods: bool,
) -> Option<Tally> {
    let incoming_aff = preferred(&pod.pod_affinity);
    let incoming_anti = preferred(&pod.pod_anti_affinity);
    if ignore_preferred_terms_of_existing_pods && incoming_aff.is_empty() && incoming_anti.is_empty() {
        return None;
    }
    let mut ns = NamespaceLabels::new(cluster);
    let mut tally = Tally::default();
    let mut touched = false;
    for (_, info) in cluster.live_nodes() {
        let labels = &info.node.labels;
        for id in &info.pods {
            let existing = cluster.pod(*id);
            let mut add = |key: &str, delta: i64| touched |= tally.add(labels, key, delta);
            for (terms, sign) in [(incoming_aff, 1), (incoming_anti, -1)] {
                for w in terms {
                    if term_matches(&w.term, &pod.namespace, existing, &mut ns) {
                        add(&w.term.topology_key, sign * w.weight as i64);
                    }
                }
            }
            if hard_pod_affinity_weight > 0 {
                let required = existing.pod_affinity.as_ref().map_or(&[][..], |a| &a.required[..]);
                for_each_match(
                    required,
                    |t| t,
                    |t| term_matches(t, &existing.namespace, pod, &mut ns),
                    |t| add(&t.topology_key, hard_pod_affinity_weight as i64),
                );
            }
            for (terms, sign) in
                [(preferred(&existing.pod_affinity), 1), (preferred(&existing.pod_anti_affinity), -1)]
            {
                for_each_match(
                    terms,
                    |w| &w.term,
                    |t| term_matches(t, &existing.namespace, pod, &mut ns),
                    |w| add(&w.term.topology_key, sign * w.weight as i64),
                );
            }
        }
    }
    touched.then_some(tally)
}

/// Score of `node`.
pub(crate) fn score(tally: &Tally, node: &NodeInfo) -> i64 {
    let labels = &node.node.labels;
    tally.keys.iter().filter_map(|(key, values)| labels.get(key).and_then(|v| values.get(v.as_str()))).sum()
}

/// NormalizeScore of a state PreScore left (its score map is never empty).
pub(crate) fn normalize(scores: &mut [i64]) {
    super::scoring::normalize(false, scores);
}
