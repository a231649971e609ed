//! GpuPackingScore: the paper's "GpuPacking" policy (`gpu_packing_score.go`): prefer devices
//! already in use, then nodes already in use, then idle nodes. A node whose devices are all idle
//! scores `max(33 − F, F)` (F idle devices); otherwise the devices the pod would take (least left
//! first): if any is idle, `max(50 − k, 33)` (k idle ones taken); else `max(100 − x / 10, 50)`
//! with `x = Σ ⌊left · 100 / 1000⌋` over them. Cpu-only pods score 0. Devices: the default.

use super::{idle, score_plugin, sub_devices};
use crate::model::gpu::pod_gpu;
use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, ScorePlugin, Status};

/// Plugin name (the simulator's).
pub const NAME: &str = "GpuPackingScore";

/// The GpuPacking policy.
#[derive(Debug, Default)]
pub struct GpuPackingScore;

score_plugin!(GpuPackingScore);

impl ScorePlugin for GpuPackingScore {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        let Some(g) = pod_gpu(pod) else { return Ok(0) };
        let left = &node.gpu_left;
        let free = left.iter().filter(|l| idle(**l)).count() as i64;
        if free == left.len() as i64 {
            return Ok((33 - free).max(free));
        }
        let taken = sub_devices(left, &g);
        if taken.len() < g.count as usize {
            return Err(Status::error(format!("pod does not fit the GPUs of node {}", node.node.name)));
        }
        let k = taken.iter().filter(|i| idle(left[**i])).count() as i64;
        if k > 0 {
            return Ok((50 - k).max(33));
        }
        let x: i64 = taken.iter().map(|i| i64::from(left[*i]) * 100 / 1000).sum();
        Ok((100 - x / 10).max(50))
    }
}
