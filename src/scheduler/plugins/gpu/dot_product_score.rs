//! DotProductScore: the paper's "DotProd" policy (`dot_product_score.go`, `dimExt: merge`,
//! `norm: max`): the node's free (cpu, GPU) and the pod's request, each normalised by the
//! largest node spec (128 cores, 8 GPUs), dot product over 2 dimensions; score
//! `⌊100 · (1 − dot)⌋`, so nodes left with less of what the pod asks for win. Devices: the
//! default (tightest fit).

use super::{MAX_SPEC_CPU, MAX_SPEC_GPU, cpu_left, gpu_left_total, pod_cpu, pod_gpu_total, score_plugin};
use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, ScorePlugin, Status};

/// Plugin name (the simulator's).
pub const NAME: &str = "DotProductScore";

/// The DotProd policy.
#[derive(Debug, Default)]
pub struct DotProductScore;

score_plugin!(DotProductScore);

impl ScorePlugin for DotProductScore {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        let (cpu, left) = (pod_cpu(pod), cpu_left(node));
        if left < cpu {
            return Ok(0);
        }
        let (_, gpu) = pod_gpu_total(pod);
        let n = [left as f64 / MAX_SPEC_CPU, gpu_left_total(node) as f64 / MAX_SPEC_GPU];
        let p = [cpu as f64 / MAX_SPEC_CPU, gpu as f64 / MAX_SPEC_GPU];
        let dot = (n[0] * p[0] + n[1] * p[1]) / 2.0;
        Ok((100.0 * (1.0 - dot)) as i64)
    }
}
