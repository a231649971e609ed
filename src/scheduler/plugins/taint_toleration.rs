//! TaintToleration: Filter on NoSchedule/NoExecute taints, Score on PreferNoSchedule taints.
//! Mirrors `pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go` (v1.35).

use crate::model::labels::find_untolerated_taint;
use crate::model::{Cluster, NodeHot, NodeId, NodeInfo, Pod, TaintEffect, Toleration};
use crate::scheduler::framework::{
    CycleState, FastFilter, FilterPlugin, MAX_NODE_SCORE, Plugin, PreScorePlugin, ScorePlugin, Status,
};

/// Upstream name.
pub const NAME: &str = "TaintToleration";
/// Filter reason when a NoSchedule/NoExecute taint is not tolerated.
pub const ERR_REASON_UNTOLERATED: &str = "node(s) had untolerated taint(s)";

/// Filter: the first untolerated NoSchedule/NoExecute taint rejects the node
/// (UnschedulableAndUnresolvable). Score: the number of PreferNoSchedule taints not tolerated by
/// the pod's PreferNoSchedule (or effect-less) tolerations, normalised in reverse so the node with
/// the fewest gets 100.
#[derive(Debug, Default)]
pub struct TaintToleration;

struct PreScoreState {
    prefer_no_schedule: Vec<Toleration>,
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl FilterPlugin for TaintToleration {
    /// A node without NoSchedule and NoExecute taints passes.
    fn fast_filter(&self, _: &CycleState, _: &Pod) -> Option<FastFilter> {
        Some(FastFilter { reject_flags: NodeHot::HARD_TAINTS, ..FastFilter::default() })
    }

    fn filter(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        let untolerated = find_untolerated_taint(&node.node.taints, &pod.tolerations, |t| {
            matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
        });
        match untolerated {
            None => Status::success(),
            Some(_) => Status::unresolvable(ERR_REASON_UNTOLERATED),
        }
    }
}

fn prefer_no_schedule_tolerations(pod: &Pod) -> Vec<Toleration> {
    pod.tolerations
        .iter()
        .filter(|t| t.effect.is_none() || t.effect == Some(TaintEffect::PreferNoSchedule))
        .cloned()
        .collect()
}

impl PreScorePlugin for TaintToleration {
    fn pre_score(&self, state: &mut CycleState, pod: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        state.write(NAME, PreScoreState { prefer_no_schedule: prefer_no_schedule_tolerations(pod) });
        Status::success()
    }
}

/// The PreScore state; upstream's Score fails without it (a profile that enables the Score
/// point but not PreScore): `failed to read "PreScoreTaintToleration" from cycleState: not found`.
fn pre_score_state(state: &CycleState) -> Result<&PreScoreState, Status> {
    state
        .read::<PreScoreState>(NAME)
        .ok_or_else(|| Status::error(format!("failed to read \"PreScore{NAME}\" from cycleState: not found")))
}

impl ScorePlugin for TaintToleration {
    fn score(&self, state: &CycleState, _: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        let tolerations = &pre_score_state(state)?.prefer_no_schedule;
        let count = node
            .node
            .taints
            .iter()
            .filter(|t| {
                t.effect == TaintEffect::PreferNoSchedule && !tolerations.iter().any(|tol| tol.tolerates(t))
            })
            .count();
        Ok(count as i64)
    }

    /// No node has a PreferNoSchedule taint: every node counts 0 and normalises to 100 (when
    /// PreScore ran; otherwise Score reports its error).
    fn uniform_scores(&self, state: &CycleState, _: &Pod, _: &[NodeId], cluster: &Cluster) -> bool {
        cluster.nodes_with(NodeHot::PREFER_NO_SCHEDULE_TAINTS) == 0
            && state.read::<PreScoreState>(NAME).is_some()
    }

    /// A node without PreferNoSchedule taints counts 0 without a look at its taints.
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[NodeId],
        cluster: &Cluster,
        out: &mut [i64],
    ) -> Result<(), Status> {
        pre_score_state(state)?;
        let hot = cluster.hot();
        for (o, id) in out.iter_mut().zip(nodes) {
            *o = if hot[*id as usize].flags & NodeHot::PREFER_NO_SCHEDULE_TAINTS == 0 {
                0
            } else {
                self.score(state, pod, cluster.node(*id), cluster)?
            };
        }
        Ok(())
    }

    fn has_normalize(&self) -> bool {
        true
    }

    fn normalize_score(&self, _: &CycleState, _: &Pod, scores: &mut [i64]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
        Status::success()
    }
}

/// Upstream `helper.DefaultNormalizeScore`: scales scores so the highest becomes `max_priority`
/// (integer division), optionally reversed; all-zero scores become 0 (or `max_priority` when
/// reversed).
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0).max(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let mut v = max_priority * *s / max;
        if reverse {
            v = max_priority - v;
        }
        *s = v;
    }
}
