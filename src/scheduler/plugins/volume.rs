//! The volume plugins of the default profile: VolumeRestrictions, NodeVolumeLimits, VolumeBinding
//! and VolumeZone. capsim models no volumes or PersistentVolumeClaims, so each behaves as upstream
//! does for a pod without volumes (a pod that claims storage gets an Error status instead of a
//! guessed placement): PreFilter returns Skip and Filter never runs (and VolumeBinding's
//! PreScore returns Skip, so its Score never runs).

use std::sync::Arc;

use super::super::framework::registry::PluginFactory;
use crate::model::{Cluster, NodeId, NodeInfo, Pod};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, Plugin, PreFilterOutcome, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status,
};

/// Upstream names of the volume plugins.
pub const NAMES: [&str; 4] = ["VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone"];

/// One inert volume plugin, by name.
#[derive(Debug)]
pub struct VolumePlugin {
    name: &'static str,
}

/// The factory of the volume plugin `name` (one of [`NAMES`]).
pub fn factory(name: &'static str) -> PluginFactory {
    match name {
        "VolumeRestrictions" => |_| Ok(Arc::new(VolumePlugin { name: "VolumeRestrictions" })),
        "NodeVolumeLimits" => |_| Ok(Arc::new(VolumePlugin { name: "NodeVolumeLimits" })),
        "VolumeBinding" => |_| Ok(Arc::new(VolumePlugin { name: "VolumeBinding" })),
        _ => |_| Ok(Arc::new(VolumePlugin { name: "VolumeZone" })),
    }
}

impl Plugin for VolumePlugin {
    fn name(&self) -> &'static str {
        self.name
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    // Upstream VolumeBinding is also a PreScore/Score plugin (it scores storage capacity under a
    // gate); for a pod without claims its PreScore returns Skip.
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        (self.name == "VolumeBinding").then_some(self as &dyn PreScorePlugin)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        (self.name == "VolumeBinding").then_some(self as &dyn ScorePlugin)
    }
}

impl PreScorePlugin for VolumePlugin {
    fn pre_score(&self, _: &mut CycleState, _: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        Status::skip()
    }
}

impl ScorePlugin for VolumePlugin {
    fn score(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        Ok(0)
    }
}

impl PreFilterPlugin for VolumePlugin {
    fn pre_filter(&self, _: &mut CycleState, pod: &Pod, _: &Cluster) -> PreFilterOutcome {
        if pod.claimed_volumes.is_empty() {
            return (None, Status::skip());
        }
        // Placing a pod that claims storage without modelling PVs would be a silent guess.
        let msg = format!(
            "volume(s) [{}] need PersistentVolumeClaims, which capsim does not model yet",
            pod.claimed_volumes.join(" ")
        );
        (None, Status::error(msg))
    }
}

impl FilterPlugin for VolumePlugin {
    fn filter(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Status {
        Status::success()
    }
    fn filter_relevant(&self, _: &Pod) -> bool {
        false // capsim models no volumes or claims: Filter passes every node
    }
}
