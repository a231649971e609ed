//! GpuClusteringScore: the paper's "GpuClustering" policy (`gpu_clustering_score.go`): pods of a
//! kind (`share-gpu`, `1-gpu`, `2-gpu`, ...) gather on nodes already running that kind. With
//! `L` the node's free milli-GPU and `base = 25 · (8000 − L) / 8000` (integer): `base + 75` when
//! the node runs only the pod's kind, `+ 50` when it runs it among others, `+ 25` when it runs no
//! GPU pod, `base` when it runs only other kinds; cpu-only pods score 0. Devices: the default.

use super::{gpu_left_total, score_plugin};
use crate::model::gpu::{GpuShare, pod_gpu};
use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, ScorePlugin, Status};

/// Plugin name (the simulator's).
pub const NAME: &str = "GpuClusteringScore";

/// The GpuClustering policy.
#[derive(Debug, Default)]
pub struct GpuClusteringScore;

score_plugin!(GpuClusteringScore);

/// The simulator's affinity tag of a GPU request: 0 for sharing, else the GPU count.
fn tag(g: &GpuShare) -> u32 {
    if g.is_shared() { 0 } else { g.count }
}

impl ScorePlugin for GpuClusteringScore {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Result<i64, Status> {
        let Some(g) = pod_gpu(pod) else { return Ok(0) };
        let mine = tag(&g);
        let (mut same, mut other) = (false, false);
        for p in &node.pods {
            if let Some(h) = pod_gpu(cluster.pod(*p)) {
                if tag(&h) == mine {
                    same = true;
                } else {
                    other = true;
                }
            }
        }
        let base = 100 / 4 * (8000 - gpu_left_total(node)) / 8000;
        Ok(match (same, other) {
            (true, false) => base + 75,
            (true, true) => base + 50,
            (false, false) => base + 25,
            (false, true) => base,
        })
    }
}
