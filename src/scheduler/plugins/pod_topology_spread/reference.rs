//! Test-only: PodTopologySpread as it was before the pod index, counting matching pods by walking
//! every node's pods in each PreFilter and PreScore (upstream's own way). The property test of
//! `plugins/index_props.rs` checks that the plugin decides exactly as this does.

use indexmap::IndexMap;

use super::*;
use crate::model::Labels;

/// Whether `labels` carry every constraint's key.
fn has_all_keys(labels: &Labels, constraints: &[Constraint]) -> bool {
    constraints.iter().all(|c| labels.contains_key(&c.topology_key))
}

/// Pods on `node` in namespace `ns`, not terminating, whose labels `selector` matches.
fn count_pods_match_selector(
    node: &NodeInfo,
    cluster: &Cluster,
    selector: Option<&LabelSelector>,
    ns: &str,
) -> i64 {
    let Some(selector) = selector else { return 0 };
    node.pods
        .iter()
        .map(|id| cluster.pod(*id))
        .filter(|p| !p.terminating && p.namespace == ns && selector.matches(&p.labels))
        .count() as i64
}

/// PreFilter's state: constraints, per-domain counts by value, minima, self-match.
pub(crate) struct FilterState {
    constraints: Vec<Constraint>,
    match_num: Vec<IndexMap<String, i64>>,
    min_match_num: Vec<i64>,
    self_match_num: Vec<i64>,
}

/// PreFilter: `None` is Skip.
pub(crate) fn pre_filter(pl: &PodTopologySpread, pod: &Pod, cluster: &Cluster) -> Option<FilterState> {
    let constraints = pl.constraints_for(pod, cluster, WhenUnsatisfiable::DoNotSchedule);
    if constraints.is_empty() {
        return None;
    }
    let mut match_num: Vec<IndexMap<String, i64>> = vec![IndexMap::new(); constraints.len()];
    for (_, info) in cluster.live_nodes() {
        let labels = &info.node.labels;
        if !has_all_keys(labels, &constraints) {
            continue;
        }
        let mut inclusion = Inclusion::new(pod, info);
        for (i, c) in constraints.iter().enumerate() {
            if !inclusion.admits(c) {
                continue;
            }
            let value = labels.get(&c.topology_key).map_or("", String::as_str);
            let count = count_pods_match_selector(info, cluster, c.selector.as_ref(), &pod.namespace);
            *match_num[i].entry(value.to_string()).or_insert(0) += count;
        }
    }
    let min_match_num = constraints
        .iter()
        .zip(&match_num)
        .map(|(c, counts)| {
            if (counts.len() as i64) < c.min_domains {
                0
            } else {
                counts.values().copied().min().unwrap_or(i64::from(i32::MAX))
            }
        })
        .collect();
    let self_match_num = constraints
        .iter()
        .map(|c| i64::from(c.selector.as_ref().is_some_and(|s| s.matches(&pod.labels))))
        .collect();
    Some(FilterState { constraints, match_num, min_match_num, self_match_num })
}

/// Filter on `node`.
pub(crate) fn filter(s: &FilterState, node: &NodeInfo) -> Status {
    let labels = &node.node.labels;
    for (i, c) in s.constraints.iter().enumerate() {
        let Some(value) = labels.get(&c.topology_key) else {
            return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        };
        let match_num = s.match_num[i].get(value.as_str()).copied().unwrap_or(0);
        if match_num + s.self_match_num[i] - s.min_match_num[i] > c.max_skew {
            return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
        }
    }
    Status::success()
}

/// PreScore's state.
pub(crate) struct ScoreState {
    constraints: Vec<Constraint>,
    require_all_topologies: bool,
    pod_counts: Vec<IndexMap<String, i64>>,
    weights: Vec<f64>,
    /// Per scored node: ignored.
    pub(crate) ignored: Vec<bool>,
}

/// PreScore over `nodes`: `None` is Skip.
pub(crate) fn pre_score(
    pl: &PodTopologySpread,
    pod: &Pod,
    nodes: &[NodeId],
    cluster: &Cluster,
) -> Option<ScoreState> {
    if cluster.num_nodes() == 0 {
        return None;
    }
    let require_all_topologies = !pod.topology_spread_constraints.is_empty() || !pl.system_defaulted;
    let constraints = pl.constraints_for(pod, cluster, WhenUnsatisfiable::ScheduleAnyway);
    if constraints.is_empty() {
        return None;
    }
    let mut pod_counts: Vec<IndexMap<String, i64>> = vec![IndexMap::new(); constraints.len()];
    let mut ignored = vec![false; nodes.len()];
    for (k, id) in nodes.iter().enumerate() {
        let labels = &cluster.node(*id).node.labels;
        if require_all_topologies && !has_all_keys(labels, &constraints) {
            ignored[k] = true;
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.is_hostname {
                continue;
            }
            let value = labels.get(&c.topology_key).map_or("", String::as_str);
            pod_counts[i].entry(value.to_string()).or_insert(0);
        }
    }
    let scored = nodes.len() - ignored.iter().filter(|i| **i).count();
    let weights = constraints
        .iter()
        .zip(&pod_counts)
        .map(|(c, counts)| topology_normalizing_weight(if c.is_hostname { scored } else { counts.len() }))
        .collect();
    for (_, info) in cluster.live_nodes() {
        let labels = &info.node.labels;
        if require_all_topologies && !has_all_keys(labels, &constraints) {
            continue;
        }
        let mut inclusion = Inclusion::new(pod, info);
        for (i, c) in constraints.iter().enumerate() {
            if c.is_hostname {
                continue;
            }
            let value = labels.get(&c.topology_key).map_or("", String::as_str);
            if !pod_counts[i].contains_key(value) || !inclusion.admits(c) {
                continue;
            }
            let count = count_pods_match_selector(info, cluster, c.selector.as_ref(), &pod.namespace);
            if let Some(n) = pod_counts[i].get_mut(value) {
                *n += count;
            }
        }
    }
    Some(ScoreState { constraints, require_all_topologies, pod_counts, weights, ignored })
}

/// Score of `node`.
pub(crate) fn score(s: &ScoreState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> i64 {
    let labels = &node.node.labels;
    if s.require_all_topologies && !has_all_keys(labels, &s.constraints) {
        return 0;
    }
    let mut score = 0.0;
    for (i, c) in s.constraints.iter().enumerate() {
        let Some(value) = labels.get(&c.topology_key) else { continue };
        let count = if c.is_hostname {
            count_pods_match_selector(node, cluster, c.selector.as_ref(), &pod.namespace)
        } else {
            s.pod_counts[i].get(value.as_str()).copied().unwrap_or(0)
        };
        score += score_for_count(count, c.max_skew, s.weights[i]);
    }
    score.round() as i64
}
