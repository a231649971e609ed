//! NodeResourcesBalancedAllocation: favours nodes whose resource fractions stay balanced.
//! Mirrors `pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go` (v1.35: the
//! `(1 − std)·100` score on declared requests; PreScore skips pods that request none of the
//! configured resources).

use serde::Deserialize;

use super::node_resources_fit::{
    ResourceSpec, allocatable_and_requested, cpu_and_memory_only, cpu_memory_weights, validate_resources,
};
use crate::model::resources::CPU;
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

/// What PreScore leaves for Score (capsim needs only its presence: the requests are the pod's).
struct PreScoreState;

impl BalancedAllocation {
    /// Upstream `isBestEffortPod`: the pod requests none of the configured resources.
    fn best_effort(&self, pod: &Pod) -> bool {
        self.resources.iter().all(|r| pod.requests.get(&r.name) == 0)
    }

    /// Upstream Score's fallback when PreScore did not run (a profile enabling only the Score
    /// point): the requests are recomputed and a BestEffort pod scores 0 on every node.
    fn best_effort_without_pre_score(&self, state: &CycleState, pod: &Pod) -> bool {
        state.read::<PreScoreState>(NAME).is_none() && self.best_effort(pod)
    }
}

impl PreScorePlugin for BalancedAllocation {
    fn pre_score(&self, state: &mut CycleState, pod: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        if self.best_effort(pod) {
            return Status::skip();
        }
        state.write(NAME, PreScoreState);
        Status::success()
    }
}

impl ScorePlugin for BalancedAllocation {
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        if self.best_effort_without_pre_score(state, pod) {
            return Ok(0);
        }
        Ok(self.score_of(|_, r| allocatable_and_requested(node, &pod.requests, &r.name, true)))
    }

    /// Over the nodes' [`crate::model::NodeHot`] rows when the resources are cpu and memory only.
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[NodeId],
        cluster: &Cluster,
        out: &mut [i64],
    ) -> Result<(), Status> {
        if !cpu_and_memory_only(&self.resources) || self.best_effort_without_pre_score(state, pod) {
            for (o, id) in out.iter_mut().zip(nodes) {
                *o = self.score(state, pod, cluster.node(*id), cluster)?;
            }
            return Ok(());
        }
        let hot = cluster.hot();
        let (cpu, memory) = (pod.requests.milli_cpu, pod.requests.memory);
        if cpu_memory_weights(&self.resources).is_some() {
            // The default resources: the std of two fractions is half their distance.
            let fraction = |alloc: i64, req: i64| (alloc != 0).then(|| (req as f64 / alloc as f64).min(1.0));
            // Chunks of nodes whose allocatable cpu and memory are both set go through a
            // branch-free loop the compiler vectorises (the same float operations).
            const CHUNK: usize = 8;
            let mut done = 0;
            for (outs, ids) in out.chunks_exact_mut(CHUNK).zip(nodes.chunks_exact(CHUNK)) {
                let mut req = [[0.0f64; CHUNK]; 2];
                let mut alloc = [[1.0f64; CHUNK]; 2];
                let mut plain = false;
                for (k, id) in ids.iter().enumerate() {
                    let h = &hot[*id as usize];
                    plain |= h.allocatable_milli_cpu == 0 || h.allocatable_memory == 0;
                    req[0][k] = (h.requested_milli_cpu + cpu) as f64;
                    req[1][k] = (h.requested_memory + memory) as f64;
                    alloc[0][k] = h.allocatable_milli_cpu as f64;
                    alloc[1][k] = h.allocatable_memory as f64;
                }
                if plain {
                    break;
                }
                for k in 0..CHUNK {
                    let c = (req[0][k] / alloc[0][k]).min(1.0);
                    let m = (req[1][k] / alloc[1][k]).min(1.0);
                    let std = ((c - m) / 2.0).abs();
                    outs[k] = ((1.0 - std) * MAX_NODE_SCORE as f64) as i64;
                }
                done += CHUNK;
            }
            for (o, id) in out[done..].iter_mut().zip(&nodes[done..]) {
                let h = &hot[*id as usize];
                let c = fraction(h.allocatable_milli_cpu, h.requested_milli_cpu + cpu);
                let m = fraction(h.allocatable_memory, h.requested_memory + memory);
                let std = match (c, m) {
                    (Some(c), Some(m)) => ((c - m) / 2.0).abs(),
                    _ => 0.0,
                };
                *o = ((1.0 - std) * MAX_NODE_SCORE as f64) as i64;
            }
            return Ok(());
        }
        let is_cpu: smallvec::SmallVec<[bool; 4]> = self.resources.iter().map(|r| r.name == CPU).collect();
        for (o, id) in out.iter_mut().zip(nodes) {
            let h = &hot[*id as usize];
            *o = self.score_of(|i, _| {
                if is_cpu[i] {
                    (h.allocatable_milli_cpu, h.requested_milli_cpu + cpu)
                } else {
                    (h.allocatable_memory, h.requested_memory + memory)
                }
            });
        }
        Ok(())
    }
}

impl BalancedAllocation {
    /// `(1 − std)·100` of the resources' fractions, from each resource's (allocatable,
    /// requested with the pod).
    fn score_of(&self, mut alloc_req: impl FnMut(usize, &ResourceSpec) -> (i64, i64)) -> i64 {
        // Fractions live on the stack for up to 8 resources; more spill to the heap.
        let mut buf = [0.0f64; 8];
        let mut spill: Vec<f64> = Vec::new();
        let mut n = 0usize;
        let mut total = 0.0f64;
        for (i, r) in self.resources.iter().enumerate() {
            let (alloc, req) = alloc_req(i, r);
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
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }
}
