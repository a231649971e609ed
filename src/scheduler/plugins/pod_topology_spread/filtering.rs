//! PodTopologySpread's hard constraints: PreFilter takes the matching pods per domain once per
//! cycle, Filter checks a node's skew (upstream `podtopologyspread/filtering.go`).

use std::sync::Arc;

use crate::model::NO_DOMAIN;

use super::*;

/// What PreFilter computes for Filter (upstream `preFilterState`), with the global minimum (after
/// `minDomains`) and the incoming pod's self-match resolved per constraint.
#[derive(Clone, Debug)]
struct PreFilterState {
    constraints: Vec<Constraint>,
    /// Per constraint: the domains of its key (Filter finds the node's domain id here).
    topos: Vec<TopologyView>,
    /// Per constraint: by domain id, matching pods over eligible nodes (`TpValueToMatchNum`;
    /// missing entries and domains without an eligible node are 0).
    match_num: Vec<Arc<Vec<i64>>>,
    /// Per constraint: the domains with an eligible node, when not every domain of the key has
    /// one (`None`: all live domains count).
    present: Vec<Present>,
    /// Per constraint: the minimum of `match_num` over the domains (`i32::MAX` with no domain),
    /// or 0 when there are fewer domains than `minDomains` (upstream `minMatchNum`).
    min_match_num: Vec<i64>,
    /// Per constraint: 1 when the constraint's selector matches the incoming pod, else 0.
    self_match_num: Vec<i64>,
}

/// Upstream `calPreFilterState`: matching pods per domain over every node that carries all the
/// constraints' keys and that each constraint's inclusion policies admit. Taken from the pod
/// index's per-domain counts when every such node counts ([`index_counts_apply`]), else summed
/// node by node from its per-node counts.
fn pre_filter_state(pod: &Pod, constraints: Vec<Constraint>, cluster: &Cluster) -> PreFilterState {
    let topos = topologies(&constraints, cluster);
    let (match_num, present) = if index_counts_apply(pod, &constraints, &topos, cluster, true) {
        (constraints.iter().map(|c| index_domain_counts(c, cluster)).collect(), vec![None; constraints.len()])
    } else {
        count_node_by_node(pod, &constraints, &topos, cluster)
    };
    let mut s = PreFilterState {
        self_match_num: constraints
            .iter()
            .map(|c| i64::from(c.selector.as_ref().is_some_and(|s| s.matches(&pod.labels))))
            .collect(),
        min_match_num: vec![0; constraints.len()],
        constraints,
        topos,
        match_num,
        present,
    };
    for i in 0..s.constraints.len() {
        s.min_match_num[i] = s.min_match_num_of(i);
    }
    s
}

/// By domain id: whether some eligible node lies in the domain (`None`: every live domain).
type Present = Option<Arc<Vec<bool>>>;

/// The per-domain counts and present domains of [`pre_filter_state`]'s node-by-node case.
fn count_node_by_node(
    pod: &Pod,
    constraints: &[Constraint],
    topos: &[TopologyView],
    cluster: &Cluster,
) -> (Vec<Arc<Vec<i64>>>, Vec<Present>) {
    let per_node = per_node_counts(constraints, cluster);
    let mut counts: Vec<Vec<i64>> = topos.iter().map(|t| vec![0; t.domain_ids()]).collect();
    let mut present: Vec<Vec<bool>> = topos.iter().map(|t| vec![false; t.domain_ids()]).collect();
    for (id, info) in cluster.live_nodes() {
        if !has_all_keys(topos, id) {
            continue;
        }
        let mut inclusion = Inclusion::new(pod, info);
        for (i, c) in constraints.iter().enumerate() {
            if !inclusion.admits(c) {
                continue;
            }
            let d = topos[i].domain(id).expect("has_all_keys") as usize;
            present[i][d] = true;
            counts[i][d] += node_count(&per_node[i], id);
        }
    }
    (counts.into_iter().map(Arc::new).collect(), present.into_iter().map(|p| Some(Arc::new(p))).collect())
}

impl PreFilterState {
    /// Upstream's `minMatchNum` of constraint `i`: 0 below `minDomains` domains, else the lowest
    /// count of a domain (`i32::MAX` with none).
    fn min_match_num_of(&self, i: usize) -> i64 {
        let (t, counts) = (&self.topos[i], &self.match_num[i]);
        let mut min = i64::from(i32::MAX);
        let mut domains = 0i64;
        for d in 0..t.domain_ids() {
            let counted = match &self.present[i] {
                None => t.nodes_in_domain[d] > 0,
                Some(p) => p[d],
            };
            if counted {
                domains += 1;
                min = min.min(counts.get(d).copied().unwrap_or(0));
            }
        }
        if domains < self.constraints[i].min_domains { 0 } else { min }
    }
}

impl PreFilterPlugin for PodTopologySpread {
    /// The state counts existing pods (upstream's AddPod/RemovePod extensions update it).
    fn reads_other_pods(&self) -> bool {
        true
    }

    /// Skip when the pod has no DoNotSchedule constraint (its own, or defaults when it declares
    /// none); otherwise the per-domain counts for Filter.
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, cluster: &Cluster) -> PreFilterOutcome {
        let constraints = self.constraints_for(pod, cluster, WhenUnsatisfiable::DoNotSchedule);
        if constraints.is_empty() {
            return (None, Status::skip());
        }
        state.write(PRE_FILTER_STATE_KEY, pre_filter_state(pod, constraints, cluster));
        (None, Status::success())
    }

    /// Upstream `RemovePod` (`updateWithPod` with −1).
    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        removed: PodId,
        node: &NodeInfo,
        cluster: &Cluster,
    ) {
        update_with_pod(state, pod, removed, node, cluster, -1);
    }

    /// Upstream `AddPod` (`updateWithPod` with +1).
    fn add_pod(&self, state: &mut CycleState, pod: &Pod, added: PodId, node: &NodeInfo, cluster: &Cluster) {
        update_with_pod(state, pod, added, node, cluster, 1);
    }
}

/// Upstream `updateWithPod`: the counts PreFilter would take with `other` on `node` added
/// (`delta` 1) or gone (−1): when the node carries every constraint's key, each constraint whose
/// inclusion policies admit the node and whose pods `other` is one of (the incoming pod's
/// namespace and the selector, not terminating, as PreFilter counts) moves by `delta` in the
/// node's domain, and its minimum follows.
fn update_with_pod(
    state: &mut CycleState,
    pod: &Pod,
    other: PodId,
    node: &NodeInfo,
    cluster: &Cluster,
    delta: i64,
) {
    let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else { return };
    let id = node.id;
    if !has_all_keys(&s.topos, id) {
        return;
    }
    let other = cluster.pod(other);
    let mut inclusion = Inclusion::new(pod, node);
    for i in 0..s.constraints.len() {
        let c = &s.constraints[i];
        if !c.query.as_ref().is_some_and(|q| cluster.pod_matches(q, other)) || !inclusion.admits(c) {
            continue;
        }
        let d = s.topos[i].domain(id).expect("has_all_keys") as usize;
        let counts = Arc::make_mut(&mut s.match_num[i]);
        if counts.len() <= d {
            counts.resize(d + 1, 0);
        }
        counts[d] += delta;
        s.min_match_num[i] = s.min_match_num_of(i);
    }
}

impl FilterPlugin for PodTopologySpread {
    /// Per hard constraint: the node must carry the key (else UnschedulableAndUnresolvable), and
    /// `count[node's domain] + selfMatch − globalMin` must not exceed `maxSkew` (else
    /// Unschedulable).
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Status {
        self.filter_node(state, pod, node.id, cluster)
    }

    /// [`FilterPlugin::filter`] from the node's id (its domains), without its `NodeInfo`.
    fn filter_node(&self, state: &CycleState, _: &Pod, id: NodeId, _: &Cluster) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return Status::error(format!("reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"));
        };
        match s.verdict(id) {
            Verdict::Pass => Status::success(),
            Verdict::MissingKey => Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH),
            Verdict::Skewed => Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH),
        }
    }

    /// [`FilterPlugin::filter_node`] over a chunk of nodes, reading the state once.
    fn filter_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        ids: &[NodeId],
        cluster: &Cluster,
        out: &mut [u32],
        statuses: &mut Vec<Status>,
    ) {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            let e = intern_status(statuses, self.filter_node(state, pod, 0, cluster));
            out.fill(e);
            return;
        };
        let mut missing = None;
        let mut skewed = None;
        let checks = s.checks();
        for (o, id) in out.iter_mut().zip(ids) {
            *o = match verdict_by(&checks, *id) {
                Verdict::Pass => PASS,
                Verdict::MissingKey => *missing.get_or_insert_with(|| {
                    intern_status(statuses, Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH))
                }),
                Verdict::Skewed => *skewed.get_or_insert_with(|| {
                    intern_status(statuses, Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH))
                }),
            };
        }
    }
}

/// A constraint as a chunk of Filter reads it: by node id the node's domain, by domain id the
/// matching pods, and the most a domain may hold (`maxSkew − selfMatch + globalMin`: a node
/// passes when its domain's count does not exceed it, which is [`PreFilterState::verdict`]'s
/// `count + selfMatch − globalMin ≤ maxSkew`).
type Check<'a> = (&'a [u32], &'a [i64], i64);

impl PreFilterState {
    /// Each constraint's [`Check`], in order.
    fn checks(&self) -> smallvec::SmallVec<[Check<'_>; 2]> {
        self.constraints
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let limit = c.max_skew - self.self_match_num[i] + self.min_match_num[i];
                (&self.topos[i].node_domain[..], &self.match_num[i][..], limit)
            })
            .collect()
    }
}

/// [`PreFilterState::verdict`] on node `id` from the state's [`PreFilterState::checks`].
#[inline]
fn verdict_by(checks: &[Check<'_>], id: NodeId) -> Verdict {
    for &(domains, counts, limit) in checks {
        let d = domains.get(id as usize).copied().unwrap_or(NO_DOMAIN);
        if d == NO_DOMAIN {
            return Verdict::MissingKey;
        }
        if counts.get(d as usize).copied().unwrap_or(0) > limit {
            return Verdict::Skewed;
        }
    }
    Verdict::Pass
}

/// Filter's verdict on a node.
enum Verdict {
    Pass,
    /// The node lacks a constraint's key (checked constraint by constraint, in order).
    MissingKey,
    /// Placing the pod would exceed a constraint's `maxSkew`.
    Skewed,
}

impl PreFilterState {
    /// Per constraint in order: the node must carry the key, and `count[node's domain] +
    /// selfMatch − globalMin` must not exceed `maxSkew`.
    #[inline]
    fn verdict(&self, id: NodeId) -> Verdict {
        for (i, c) in self.constraints.iter().enumerate() {
            let Some(d) = self.topos[i].domain(id) else { return Verdict::MissingKey };
            let match_num = self.match_num[i].get(d as usize).copied().unwrap_or(0);
            if match_num + self.self_match_num[i] - self.min_match_num[i] > c.max_skew {
                return Verdict::Skewed;
            }
        }
        Verdict::Pass
    }
}
