//! RandomScore: the paper's "Random" policy (`random_score.go`): PreScore draws one feasible node
//! uniformly, which scores 100 while every other node scores 0; a sharing pod gets a uniformly
//! random device with room.

use super::random_device;
use crate::model::{Cluster, NodeId, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, Plugin, PreScorePlugin, ScorePlugin, Status};

/// Plugin name (the simulator's).
pub const NAME: &str = "RandomScore";

/// The Random policy.
#[derive(Debug, Default)]
pub struct RandomScore;

impl Plugin for RandomScore {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreScorePlugin for RandomScore {
    fn pre_score(&self, state: &mut CycleState, _: &Pod, nodes: &[NodeId], _: &Cluster) -> Status {
        let r = state.random.unwrap_or(0);
        let chosen = nodes[(r % nodes.len() as u64) as usize];
        state.write(NAME, chosen);
        Status::success()
    }
}

impl ScorePlugin for RandomScore {
    fn score(&self, state: &CycleState, _: &Pod, node: &NodeInfo, cluster: &Cluster) -> Result<i64, Status> {
        let chosen = state.read::<NodeId>(NAME).copied();
        Ok(if chosen.is_some_and(|c| std::ptr::eq(cluster.node(c), node)) { 100 } else { 0 })
    }
    fn wants_random(&self) -> bool {
        true
    }
    fn select_gpus(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Option<Vec<u8>> {
        random_device(state, pod, node)
    }
}
