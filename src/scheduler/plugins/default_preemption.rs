//! DefaultPreemption (PostFilter). Registered so default and custom profiles validate as upstream;
//! victim selection lands with the scheduler-fidelity work. Until then the PostFilter reports
//! that preemption did not help, which matches upstream whenever no lower-priority pod exists
//! (as in the openb trace, where every pod has priority 0).

use serde::Deserialize;

use crate::model::{Cluster, NodeId, Pod};
use crate::scheduler::framework::{CycleState, Plugin, PostFilterPlugin, Status};

/// Upstream name.
pub const NAME: &str = "DefaultPreemption";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default = "default_pct")]
    min_candidate_nodes_percentage: i64,
    #[serde(default = "default_abs")]
    min_candidate_nodes_absolute: i64,
}

fn default_pct() -> i64 {
    10
}
fn default_abs() -> i64 {
    100
}

/// `DefaultPreemptionArgs` (defaults 10 % and 100).
#[derive(Debug)]
pub struct DefaultPreemption {
    /// `minCandidateNodesPercentage`.
    pub min_candidate_nodes_percentage: i64,
    /// `minCandidateNodesAbsolute`.
    pub min_candidate_nodes_absolute: i64,
}

impl DefaultPreemption {
    /// Builds the plugin from `DefaultPreemptionArgs` (`Value::Null` for defaults).
    ///
    /// # Errors
    /// Unknown fields or values outside upstream's validation ranges.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        let a: Args = if args.is_null() {
            Args {
                min_candidate_nodes_percentage: default_pct(),
                min_candidate_nodes_absolute: default_abs(),
            }
        } else {
            serde_json::from_value(args.clone()).map_err(|e| format!("invalid DefaultPreemptionArgs: {e}"))?
        };
        if !(0..=100).contains(&a.min_candidate_nodes_percentage) {
            return Err("minCandidateNodesPercentage: not in valid range [0, 100]".into());
        }
        if a.min_candidate_nodes_absolute < 0 {
            return Err("minCandidateNodesAbsolute: not in valid range [0, inf)".into());
        }
        if a.min_candidate_nodes_percentage == 0 && a.min_candidate_nodes_absolute == 0 {
            return Err(
                "minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be zero".into()
            );
        }
        Ok(Self {
            min_candidate_nodes_percentage: a.min_candidate_nodes_percentage,
            min_candidate_nodes_absolute: a.min_candidate_nodes_absolute,
        })
    }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        Some(self)
    }
}

impl PostFilterPlugin for DefaultPreemption {
    fn post_filter(&self, _: &CycleState, _: &Pod, _: &Cluster) -> (Option<NodeId>, Status) {
        (None, Status::unschedulable("preemption is not modelled yet"))
    }
}
