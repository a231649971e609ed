//! PodTopologySpread's soft constraints: PreScore counts matching pods per domain of the scored
//! nodes, Score and NormalizeScore turn the counts into scores (upstream
//! `podtopologyspread/scoring.go`).

use std::sync::Arc;

use super::*;

/// What PreScore computes for Score and NormalizeScore (upstream `preScoreState`).
#[derive(Debug)]
struct PreScoreState {
    constraints: Vec<Constraint>,
    /// Per constraint: the domains of its key.
    topos: Vec<TopologyView>,
    /// Whether a node must carry every constraint's key to be scored (false only for system
    /// defaults, so nodes without a zone label still get hostname spreading).
    require_all_topologies: bool,
    /// Per constraint: by domain id, matching pods, for the domains of the scored nodes (empty
    /// for hostname constraints, counted in Score) (`TopologyValueToPodCounts`). Score reads only
    /// the domains of scored nodes; other entries may hold anything.
    pod_counts: Vec<Arc<Vec<i64>>>,
    /// Per hostname constraint: matching pods per node id (upstream counts these in Score, on
    /// the node); `None` for other constraints and constraints without selector.
    host_counts: Vec<Option<Arc<Vec<u32>>>>,
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
        let topos = topologies(&constraints, cluster);

        // initPreScoreState: ignored nodes and the domains of the scored nodes (a node without
        // the key, scored under system defaults, stands in the domain of the empty value).
        let mut present: Vec<Vec<bool>> = constraints
            .iter()
            .zip(&topos)
            .map(|(c, t)| if c.is_hostname { Vec::new() } else { vec![false; t.domain_ids() + 1] })
            .collect();
        let mut sizes = vec![0usize; constraints.len()];
        let mut ignored = vec![false; nodes.len()];
        for (k, id) in nodes.iter().enumerate() {
            if require_all_topologies && !has_all_keys(&topos, *id) {
                ignored[k] = true;
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if c.is_hostname {
                    continue;
                }
                let d = topos[i].domain(*id).unwrap_or(topos[i].empty_value_domain) as usize;
                if !present[i][d] {
                    present[i][d] = true;
                    sizes[i] += 1;
                }
            }
        }
        let scored = nodes.len() - ignored.iter().filter(|i| **i).count();
        let weights = constraints
            .iter()
            .zip(&sizes)
            .map(|(c, size)| topology_normalizing_weight(if c.is_hostname { scored } else { *size }))
            .collect();

        // Counts over every node of the cluster, for those domains; hostname counts per node.
        let host_counts: Vec<Option<Arc<Vec<u32>>>> = constraints
            .iter()
            .map(|c| c.query.as_ref().filter(|_| c.is_hostname).map(|q| cluster.pod_counts_per_node(q)))
            .collect();
        let pod_counts = if index_counts_apply(pod, &constraints, &topos, cluster, require_all_topologies) {
            constraints
                .iter()
                .map(|c| if c.is_hostname { Arc::new(Vec::new()) } else { index_domain_counts(c, cluster) })
                .collect()
        } else {
            count_node_by_node(pod, &constraints, &topos, &present, cluster, require_all_topologies)
        };
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState {
                constraints,
                topos,
                require_all_topologies,
                pod_counts,
                host_counts,
                weights,
                ignored,
            },
        );
        Status::success()
    }
}

fn pre_score_state(state: &CycleState) -> Result<&PreScoreState, Status> {
    state.read::<PreScoreState>(PRE_SCORE_STATE_KEY).ok_or_else(|| {
        Status::error(format!("error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"))
    })
}

impl PreScoreState {
    /// Upstream `Score` of node `id`: `round(Σ count · weight + (maxSkew − 1))` over the
    /// constraints whose key the node carries; 0 for an ignored node.
    fn score(&self, id: NodeId) -> i64 {
        if self.require_all_topologies && !has_all_keys(&self.topos, id) {
            return 0;
        }
        let mut score = 0.0;
        for (i, c) in self.constraints.iter().enumerate() {
            let Some(d) = self.topos[i].domain(id) else { continue };
            let count = if c.is_hostname {
                node_count(&self.host_counts[i], id)
            } else {
                self.pod_counts[i].get(d as usize).copied().unwrap_or(0)
            };
            score += score_for_count(count, c.max_skew, self.weights[i]);
        }
        score.round() as i64
    }
}

/// The per-domain counts of PreScore's node-by-node case (upstream's loop over all nodes):
/// nodes that carry every key (under `require_all`), for the domains in `present`, where each
/// constraint's inclusion policies admit the node.
fn count_node_by_node(
    pod: &Pod,
    constraints: &[Constraint],
    topos: &[TopologyView],
    present: &[Vec<bool>],
    cluster: &Cluster,
    require_all: bool,
) -> Vec<Arc<Vec<i64>>> {
    let per_node = per_node_counts(constraints, cluster);
    let mut counts: Vec<Vec<i64>> = present.iter().map(|p| vec![0; p.len()]).collect();
    for (id, info) in cluster.live_nodes() {
        if require_all && !has_all_keys(topos, id) {
            continue;
        }
        let mut inclusion = Inclusion::new(pod, info);
        for (i, c) in constraints.iter().enumerate() {
            if c.is_hostname {
                continue;
            }
            let d = topos[i].domain(id).unwrap_or(topos[i].empty_value_domain) as usize;
            if !present[i][d] || !inclusion.admits(c) {
                continue;
            }
            counts[i][d] += node_count(&per_node[i], id);
        }
    }
    counts.into_iter().map(Arc::new).collect()
}

impl ScorePlugin for PodTopologySpread {
    /// `round(Σ count · weight + (maxSkew − 1))` over the constraints whose key the node carries;
    /// the hostname constraint counts the node's own matching pods. Ignored nodes score 0.
    fn score(&self, state: &CycleState, _: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        Ok(pre_score_state(state)?.score(node.id))
    }

    /// [`ScorePlugin::score`] of each node from its id (its domains), without its `NodeInfo`.
    fn score_nodes(
        &self,
        state: &CycleState,
        _: &Pod,
        nodes: &[NodeId],
        _: &Cluster,
        out: &mut [i64],
    ) -> Result<(), Status> {
        let s = pre_score_state(state)?;
        for (o, id) in out.iter_mut().zip(nodes) {
            *o = s.score(*id);
        }
        Ok(())
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
