//! DynamicResources (DRA): in the v1.35 default profile as Filter and Score (weight 2). capsim
//! models no ResourceClaims, so, as upstream does for pods without claims, PreFilter skips and
//! Score is 0 on every node; a pod with claims gets an Error status instead of a guessed placement.

use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, Plugin, PreFilterOutcome, PreFilterPlugin, ScorePlugin, Status,
};

/// Upstream name.
pub const NAME: &str = "DynamicResources";

/// Inert without resource claims.
#[derive(Debug, Default)]
pub struct DynamicResources;

impl Plugin for DynamicResources {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreFilterPlugin for DynamicResources {
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, _: &Cluster) -> PreFilterOutcome {
        // Upstream writes its (empty) state first, then skips a pod without claims; Score reads it.
        state.write(NAME, StateData);
        if pod.resource_claims.is_empty() {
            return (None, Status::skip());
        }
        let msg =
            format!("resource claim(s) [{}]: capsim does not model DRA yet", pod.resource_claims.join(" "));
        (None, Status::error(msg))
    }
}

impl FilterPlugin for DynamicResources {
    fn filter(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Status {
        Status::success()
    }
    fn filter_relevant(&self, _: &Pod) -> bool {
        false // capsim models no volumes or claims: Filter passes every node
    }
}

/// What PreFilter leaves for Score (upstream `stateData`; capsim needs only its presence).
struct StateData;

impl ScorePlugin for DynamicResources {
    /// 0 (no claims are modelled); upstream's Score fails with `not found` when PreFilter did not
    /// run (a profile enabling DynamicResources at Score only).
    fn score(&self, state: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        match state.read::<StateData>(NAME) {
            Some(_) => Ok(0),
            None => Err(Status::error("not found")),
        }
    }
    /// Every node scores 0 when PreFilter ran.
    fn uniform_scores(&self, state: &CycleState, _: &Pod, _: &[crate::model::NodeId], _: &Cluster) -> bool {
        state.read::<StateData>(NAME).is_some()
    }
}
