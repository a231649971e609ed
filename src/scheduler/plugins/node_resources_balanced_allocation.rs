//! NodeResourcesBalancedAllocation: favours nodes whose resource fractions stay balanced.
//! Mirrors `pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go` (v1.35: the
//! `(1 − std)·100` score on declared requests; PreScore skips pods that request none of the
//! configured resources).

use serde::Deserialize;

use super::node_resources_fit::{ResourceSpec, allocatable_and_requested, validate_resources};
use crate::model::{Cluster, NodeId, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, MAX_NODE_SCORE, Plugin, PreScorePlugin, ScorePlugin, Status};

/// Upstream name.
pub const NAME: &str = "NodeResourcesBalancedAllocation";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    resources: Option<Vec<ResourceSpec>>,
}

/// The plugin with its resources (default cpu and memory; weights are validated but, as
/// upstream, do not enter the formula).
#[derive(Clone, Debug)]
pub struct BalancedAllocation {
    resources: Vec<ResourceSpec>,
}

impl BalancedAllocation {
    /// Builds the plugin from `NodeResourcesBalancedAllocationArgs` (`Value::Null` for defaults).
    ///
    /// # Errors
    /// Unknown fields or weights outside 1..=100.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        let a: Args = if args.is_null() {
            Args::default()
        } else {
            serde_json::from_value(args.clone())
                .map_err(|e| format!("invalid NodeResourcesBalancedAllocationArgs: {e}"))?
        };
        Ok(Self { resources: validate_resources(a.resources)? })
    }
}

impl Plugin for BalancedAllocation {
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

impl PreScorePlugin for BalancedAllocation {
    fn pre_score(&self, _: &mut CycleState, pod: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        if self.resources.iter().all(|r| pod.requests.get(&r.name) == 0) {
            return Status::skip();
        }
        Status::success()
    }
}

impl ScorePlugin for BalancedAllocation {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        // Fractions live on the stack for up to 8 resources; more spill to the heap.
        let mut buf = [0.0f64; 8];
        let mut spill: Vec<f64> = Vec::new();
        let mut n = 0usize;
        let mut total = 0.0f64;
        for r in &self.resources {
            let (alloc, req) = allocatable_and_requested(node, pod, &r.name, true);
            if alloc == 0 {
                continue;
            }
            let f = (req as f64 / alloc as f64).min(1.0);
            total += f;
            if n == buf.len() {
                spill.extend_from_slice(&buf);
            }
            if n < buf.len() {
                buf[n] = f;
            } else {
                spill.push(f);
            }
            n += 1;
        }
        let all: &[f64] = if spill.is_empty() { &buf[..n] } else { &spill };
        let std = match all.len() {
            2 => ((all[0] - all[1]) / 2.0).abs(),
            k if k > 2 => {
                let mean = total / k as f64;
                (all.iter().map(|f| (f - mean) * (f - mean)).sum::<f64>() / k as f64).sqrt()
            }
            _ => 0.0,
        };
        Ok(((1.0 - std) * MAX_NODE_SCORE as f64) as i64)
    }
}
