//! ImageLocality: favours nodes that already hold the pod's images, scaled by how widely each
//! image is spread. Mirrors `pkg/scheduler/framework/plugins/imagelocality/image_locality.go`
//! (v1.35: init containers count, and the upper threshold scales with the container count).
//!
//! A pod image without a tag is looked up as `:latest`; node image names are matched exactly as
//! the node reports them. An image's size is the cluster-wide one of the scheduler cache (the
//! size the first node listing that name reported), and its spread is the fraction of all
//! cluster nodes holding it.

use crate::model::node::normalized_image_name;
use crate::model::{Cluster, NodeHot, NodeId, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, MAX_NODE_SCORE, Plugin, ScorePlugin, Status};

/// Upstream name.
pub const NAME: &str = "ImageLocality";
const MB: i64 = 1024 * 1024;
/// Image bytes below which a node scores 0 (23 MiB).
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// Image bytes per container at which a node scores 100 (1000 MiB).
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// Score only; no NormalizeScore.
#[derive(Debug, Default)]
pub struct ImageLocality;

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for ImageLocality {
    /// No node reports images: every node scores 0.
    fn uniform_scores(&self, _: &CycleState, _: &Pod, _: &[NodeId], cluster: &Cluster) -> bool {
        cluster.nodes_with(NodeHot::IMAGES) == 0
    }

    /// A node that reports no images scores 0 without a look at the pod's images.
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[NodeId],
        cluster: &Cluster,
        out: &mut [i64],
    ) -> Result<(), Status> {
        let hot = cluster.hot();
        for (o, id) in out.iter_mut().zip(nodes) {
            *o = if hot[*id as usize].flags & NodeHot::IMAGES == 0 {
                0
            } else {
                self.score(state, pod, cluster.node(*id), cluster)?
            };
        }
        Ok(())
    }

    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Result<i64, Status> {
        if node.image_sizes.is_empty() {
            // No image on the node: the sum is 0, which clamps to the floor and scores 0.
            return Ok(0);
        }
        let total_nodes = cluster.num_nodes() as f64;
        let mut sum: i64 = 0;
        for image in pod.images() {
            let name = normalized_image_name(image);
            if node.image_sizes.contains_key(&name)
                && let Some((size, num_nodes)) = cluster.image_state(&name)
            {
                let spread = num_nodes as f64 / total_nodes;
                sum += (size as f64 * spread) as i64;
            }
        }
        let containers = (pod.init_containers.len() + pod.containers.len()) as i64;
        let max_threshold = MAX_CONTAINER_THRESHOLD * containers;
        let clamped = if sum < MIN_THRESHOLD { MIN_THRESHOLD } else { sum.min(max_threshold) };
        if max_threshold <= MIN_THRESHOLD {
            return Ok(0);
        }
        Ok(MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD))
    }
}
