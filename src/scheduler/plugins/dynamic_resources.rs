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
    fn pre_filter(&self, _: &mut CycleState, pod: &Pod, _: &Cluster) -> PreFilterOutcome {
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

impl ScorePlugin for DynamicResources {
    fn score(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        Ok(0)
    }
    /// Every node scores 0 (no claims are modelled).
    fn uniform_scores(&self, _: &CycleState, _: &Pod, _: &[crate::model::NodeId], _: &Cluster) -> bool {
        true
    }
}
