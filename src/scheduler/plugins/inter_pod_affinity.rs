//! InterPodAffinity. Registered so the default profile matches upstream's; the affinity
//! arithmetic lands with the scheduler-fidelity work. Until then a pod without pod affinity or
//! anti-affinity is handled as upstream handles it when no pod in the cluster declares any
//! (PreFilter and PreScore skip), and a pod that declares some gets an Error status rather than a
//! silently wrong placement.

use serde::Deserialize;

use crate::model::{Cluster, NodeId, NodeInfo, Pod};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, Plugin, PreFilterOutcome, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status,
};

/// Upstream name.
pub const NAME: &str = "InterPodAffinity";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    hard_pod_affinity_weight: Option<i64>,
    #[serde(default)]
    ignore_preferred_terms_of_existing_pods: bool,
}

/// The plugin (placeholder semantics, see the module doc).
#[derive(Debug, Default)]
pub struct InterPodAffinity;

impl InterPodAffinity {
    /// Builds the plugin from `InterPodAffinityArgs` (`Value::Null` for defaults).
    ///
    /// # Errors
    /// Unknown fields, or `hardPodAffinityWeight` outside 0..=100.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        if !args.is_null() {
            let a: Args = serde_json::from_value(args.clone())
                .map_err(|e| format!("invalid InterPodAffinityArgs: {e}"))?;
            if let Some(w) = a.hard_pod_affinity_weight
                && !(0..=100).contains(&w)
            {
                return Err(format!("hardPodAffinityWeight {w}: not in valid range [0, 100]"));
            }
            let _ = a.ignore_preferred_terms_of_existing_pods;
        }
        Ok(Self)
    }
}

const NOT_YET: &str = "pod affinity and anti-affinity are not modelled yet";

impl Plugin for InterPodAffinity {
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

impl PreFilterPlugin for InterPodAffinity {
    fn pre_filter(&self, _: &mut CycleState, pod: &Pod, _: &Cluster) -> PreFilterOutcome {
        if pod.has_pod_affinity() { (None, Status::error(NOT_YET)) } else { (None, Status::skip()) }
    }
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Status {
        Status::success()
    }
}

impl PreScorePlugin for InterPodAffinity {
    fn pre_score(&self, _: &mut CycleState, pod: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        if pod.has_pod_affinity() { Status::error(NOT_YET) } else { Status::skip() }
    }
}

impl ScorePlugin for InterPodAffinity {
    fn score(&self, _: &CycleState, _: &Pod, _: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        Ok(0)
    }
}
