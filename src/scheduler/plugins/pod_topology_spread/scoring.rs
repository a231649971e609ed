//! PodTopologySpread's soft constraints: PreScore counts matching pods per domain of the scored
//! nodes, Score and NormalizeScore turn the counts into scores (upstream
//! `podtopologyspread/scoring.go`).

use indexmap::IndexMap;

use super::*;

/// What PreScore computes for Score and NormalizeScore (upstream `preScoreState`).
#[derive(Debug)]
struct PreScoreState {
    constraints: Vec<Constraint>,
    /// Whether a node must carry every constraint's key to be scored (false only for system
    /// defaults, so nodes without a zone label still get hostname spreading).
    require_all_topologies: bool,
    /// Per constraint: domain value → matching pods, for the domains of the scored nodes (empty
    /// for hostname constraints, counted in Score) (`TopologyValueToPodCounts`).
    pod_counts: Vec<IndexMap<String, i64>>,
    /// Per hostname constraint: by [`NodeId`], the matching pods on each scored node (`None`
    /// for other nodes); empty for other constraints. Upstream counts these in Score; PreScore
    /// takes them in its pass over the nodes, sharing the count with a same-selector constraint.
    host_counts: Vec<Vec<Option<i64>>>,
    /// Per constraint: `ln(size + 2)` (`TopologyNormalizingWeight`).
    weights: Vec<f64>,
    /// Per scored node, in PreScore's order: true when it is ignored (`IgnoredNodes`).
    ignored: Vec<bool>,
}

/// Upstream `topologyNormalizingWeight`: `ln(size + 2)`.
pub fn topology_normalizing_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

/// Upstream `scoreForCount`: `count · weight + (maxSkew − 1)`.
pub fn score_for_count(count: i64, max_skew: i64, weight: f64) -> f64 {
    count as f64 * weight + (max_skew - 1) as f64
}

/// Upstream `NormalizeScore`: over the nodes not ignored, `100 · (max + min − s) / max` (integer
/// division), 100 everywhere when the maximum is 0; ignored nodes get 0.
pub fn normalize_spread_scores(scores: &mut [i64], ignored: &[bool]) {
    let mut min = i64::MAX;
    let mut max = 0;
    for (s, ig) in scores.iter().zip(ignored) {
        if !ig {
            min = min.min(*s);
            max = max.max(*s);
        }
    }
    for (s, ig) in scores.iter_mut().zip(ignored) {
        *s = if *ig {
            0
        } else if max == 0 {
            MAX_NODE_SCORE
        } else {
            MAX_NODE_SCORE * (max + min - *s) / max
        };
    }
}

impl PreScorePlugin for PodTopologySpread {
    /// Skip when the cluster has no node or the pod has no ScheduleAnyway constraint (its own, or
    /// defaults when it declares none); otherwise ignored nodes, topology weights and the
    /// per-domain counts over every node of the cluster for the domains of `nodes`.
    fn pre_score(&self, state: &mut CycleState, pod: &Pod, nodes: &[NodeId], cluster: &Cluster) -> Status {
        if cluster.num_nodes() == 0 {
            return Status::skip();
        }
        let require_all_topologies = !pod.topology_spread_constraints.is_empty() || !self.system_defaulted;
        let constraints = self.constraints_for(pod, cluster, WhenUnsatisfiable::ScheduleAnyway);
        if constraints.is_empty() {
            return Status::skip();
        }

        // initPreScoreState: ignored nodes and the domains of the scored nodes.
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
                if !pod_counts[i].contains_key(value) {
                    pod_counts[i].insert(value.to_string(), 0);
                }
            }
        }
        let scored = nodes.len() - ignored.iter().filter(|i| **i).count();
        let weights = constraints
            .iter()
            .zip(&pod_counts)
            .map(|(c, counts)| topology_normalizing_weight(if c.is_hostname { scored } else { counts.len() }))
            .collect();

        // Counts over every node of the cluster, for those domains only; hostname counts (no
        // inclusion policies, as upstream's Score takes them) for the scored nodes.
        let mut host_counts: Vec<Vec<Option<i64>>> = constraints
            .iter()
            .map(|c| if c.is_hostname { vec![None; cluster.num_nodes()] } else { Vec::new() })
            .collect();
        let mut scored_node =
            vec![false; if host_counts.iter().any(|h| !h.is_empty()) { cluster.num_nodes() } else { 0 }];
        for (k, id) in nodes.iter().enumerate() {
            if !ignored[k]
                && let Some(slot) = scored_node.get_mut(*id as usize)
            {
                *slot = true;
            }
        }
        let mut counts = SharedCounts::new(&constraints);
        for (id, info) in cluster.live_nodes() {
            let id = id as usize;
            let labels = &info.node.labels;
            if require_all_topologies && !has_all_keys(labels, &constraints) {
                continue;
            }
            counts.reset();
            let mut inclusion = Inclusion::new(pod, info);
            for (i, c) in constraints.iter().enumerate() {
                if c.is_hostname {
                    if scored_node.get(id).copied().unwrap_or(false) {
                        host_counts[i][id] = Some(counts.count(i, c, info, cluster, &pod.namespace));
                    }
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                if !pod_counts[i].contains_key(value) || !inclusion.admits(c) {
                    continue;
                }
                let count = counts.count(i, c, info, cluster, &pod.namespace);
                if let Some(n) = pod_counts[i].get_mut(value) {
                    *n += count;
                }
            }
        }
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState { constraints, require_all_topologies, pod_counts, host_counts, weights, ignored },
        );
        Status::success()
    }
}

impl ScorePlugin for PodTopologySpread {
    /// `round(Σ count · weight + (maxSkew − 1))` over the constraints whose key the node carries;
    /// the hostname constraint counts the node's own matching pods. Ignored nodes score 0.
    fn score(
        &self,
        state: &CycleState,
        pod: &Pod,
        node: &NodeInfo,
        cluster: &Cluster,
    ) -> Result<i64, Status> {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return Err(Status::error(format!(
                "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
            )));
        };
        let labels = &node.node.labels;
        if s.require_all_topologies && !has_all_keys(labels, &s.constraints) {
            return Ok(0);
        }
        let mut score = 0.0;
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = labels.get(&c.topology_key) else { continue };
            let count = if c.is_hostname {
                let id = cluster.node_id(&node.node.name).filter(|id| std::ptr::eq(cluster.node(*id), node));
                match id.and_then(|id| s.host_counts[i].get(id as usize).copied().flatten()) {
                    Some(n) => n,
                    None => count_pods_match_selector(node, cluster, c.selector.as_ref(), &pod.namespace),
                }
            } else {
                s.pod_counts[i].get(value.as_str()).copied().unwrap_or(0)
            };
            score += score_for_count(count, c.max_skew, s.weights[i]);
        }
        Ok(score.round() as i64)
    }

    fn has_normalize(&self) -> bool {
        true
    }

    /// See [`normalize_spread_scores`]; `scores` are in the order of PreScore's nodes.
    fn normalize_score(&self, state: &CycleState, _: &Pod, scores: &mut [i64]) -> Status {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return Status::error(format!(
                "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
            ));
        };
        if s.ignored.len() != scores.len() {
            return Status::error(format!(
                "PodTopologySpread: {} scores for {} nodes seen at PreScore",
                scores.len(),
                s.ignored.len()
            ));
        }
        normalize_spread_scores(scores, &s.ignored);
        Status::success()
    }
}
