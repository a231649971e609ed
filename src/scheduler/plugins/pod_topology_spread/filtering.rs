//! PodTopologySpread's hard constraints: PreFilter counts matching pods per domain once per
//! cycle, Filter checks a node's skew (upstream `podtopologyspread/filtering.go`).

use indexmap::IndexMap;

use super::*;

/// What PreFilter computes for Filter (upstream `preFilterState`), with the global minimum (after
/// `minDomains`) and the incoming pod's self-match resolved per constraint.
#[derive(Debug)]
struct PreFilterState {
    constraints: Vec<Constraint>,
    /// Per constraint: domain value → matching pods over eligible nodes (`TpValueToMatchNum`).
    match_num: Vec<IndexMap<String, i64>>,
    /// Per constraint: the minimum of `match_num` (`i32::MAX` with no domain), or 0 when there
    /// are fewer domains than `minDomains` (upstream `minMatchNum`).
    min_match_num: Vec<i64>,
    /// Per constraint: 1 when the constraint's selector matches the incoming pod, else 0.
    self_match_num: Vec<i64>,
}

/// Upstream `calPreFilterState`: counts matching pods per domain over every node that carries all
/// the constraints' keys and that each constraint's inclusion policies admit.
fn pre_filter_state(pod: &Pod, constraints: Vec<Constraint>, cluster: &Cluster) -> PreFilterState {
    let mut match_num: Vec<IndexMap<String, i64>> = vec![IndexMap::new(); constraints.len()];
    let mut counts = SharedCounts::new(&constraints);
    for (_, info) in cluster.live_nodes() {
        let labels = &info.node.labels;
        if !has_all_keys(labels, &constraints) {
            continue;
        }
        counts.reset();
        let mut inclusion = Inclusion::new(pod, info);
        for (i, c) in constraints.iter().enumerate() {
            if !inclusion.admits(c) {
                continue;
            }
            let value = labels.get(&c.topology_key).map_or("", String::as_str);
            let count = counts.count(i, c, info, cluster, &pod.namespace);
            match match_num[i].get_mut(value) {
                Some(n) => *n += count,
                None => {
                    match_num[i].insert(value.to_string(), count);
                }
            }
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
    PreFilterState { constraints, match_num, min_match_num, self_match_num }
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
}

impl FilterPlugin for PodTopologySpread {
    /// Per hard constraint: the node must carry the key (else UnschedulableAndUnresolvable), and
    /// `count[node's domain] + selfMatch − globalMin` must not exceed `maxSkew` (else
    /// Unschedulable).
    fn filter(&self, state: &CycleState, _: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return Status::error(format!("reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"));
        };
        let labels = &node.node.labels;
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = labels.get(&c.topology_key) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let match_num = s.match_num[i].get(value.as_str()).copied().unwrap_or(0);
            let skew = match_num + s.self_match_num[i] - s.min_match_num[i];
            if skew > c.max_skew {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}
