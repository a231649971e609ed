//! PodTopologySpread. Registered so the default profile matches upstream's; the constraint
//! arithmetic lands with the scheduler-fidelity work. Until then, for pods without
//! `topologySpreadConstraints` it behaves as upstream with no Service/ReplicaSet selecting the pod
//! (PreFilter and PreScore skip), and a pod that declares constraints gets an Error status rather
//! than a silently wrong placement.

use serde::Deserialize;

use crate::model::{Cluster, NodeId, NodeInfo, Pod};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, Plugin, PreFilterOutcome, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status,
};

/// Upstream name.
pub const NAME: &str = "PodTopologySpread";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    default_constraints: Vec<serde_json::Value>,
    #[serde(default)]
    defaulting_type: Option<String>,
}

/// The plugin (placeholder semantics, see the module doc).
#[derive(Debug, Default)]
pub struct PodTopologySpread;

impl PodTopologySpread {
    /// Builds the plugin from `PodTopologySpreadArgs` (`Value::Null` for defaults).
    ///
    /// # Errors
    /// Unknown fields, or a `defaultingType` other than `System`/`List`.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        if !args.is_null() {
            let a: Args = serde_json::from_value(args.clone())
                .map_err(|e| format!("invalid PodTopologySpreadArgs: {e}"))?;
            match a.defaulting_type.as_deref() {
                None | Some("System") | Some("List") => {}
                Some(other) => return Err(format!("defaultingType {other:?}: must be System or List")),
            }
            if !a.default_constraints.is_empty() {
                return Err("defaultConstraints are not supported yet".into());
            }
        }
        Ok(Self)
    }
}

const NOT_YET: &str = "topologySpreadConstraints are not modelled yet";

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
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

impl PreFilterPlugin for PodTopologySpread {
    fn pre_filter(&self, _: &mut CycleState, pod: &Pod, _: &Cluster) -> PreFilterOutcome {
        if !pod.topology_spread_constraints.is_empty() {
            (None, Status::error(NOT_YET))
        } else {
            (None, Status::skip())
        }
    }
}

impl FilterPlugin for PodTopologySpread {
    fn filter(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Status {
        Status::success()
    }
}

impl PreScorePlugin for PodTopologySpread {
    fn pre_score(&self, _: &mut CycleState, pod: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        if !pod.topology_spread_constraints.is_empty() { Status::error(NOT_YET) } else { Status::skip() }
    }
}

impl ScorePlugin for PodTopologySpread {
    fn score(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        Ok(0)
    }
}
