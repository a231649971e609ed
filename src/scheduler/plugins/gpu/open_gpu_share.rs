//! Open-Gpu-Share: the Filter of GPU-sharing clusters (the FGD simulator's
//! `pkg/simulator/plugin/open_gpu_share.go`, after Alibaba's gpushare scheduler extender). A pod
//! asking for GPUs (sharing annotations or `nvidia.com/gpu`) fits a node whose GPU model it
//! accepts and whose devices have room: one device with `milli` left for a sharing pod, `count`
//! fully idle devices for whole GPUs. Pods without GPUs pass. Not in upstream's default profile:
//! a configuration enables it, or [`super::enable_for_workload`] adds it (after NodeResourcesFit)
//! when the workload has GPU-sharing pods.

use crate::model::gpu::{node_model, pod_gpu};
use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, FilterPlugin, Plugin, Status};

/// Plugin name (the simulator's).
pub const NAME: &str = "Open-Gpu-Share";
/// Reason: the node has no GPU device.
pub const ERR_NO_GPU: &str = "node(s) had no GPU";
/// Reason: the node's GPU model is not one the pod accepts.
pub const ERR_MODEL: &str = "node(s) didn't match the pod's GPU model";
/// Reason: no device (or not enough idle devices) with room.
pub const ERR_INSUFFICIENT: &str = "Insufficient GPU devices";

/// The Filter.
#[derive(Debug, Default)]
pub struct OpenGpuShare;

impl Plugin for OpenGpuShare {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for OpenGpuShare {
    fn filter(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        let Some(g) = pod_gpu(pod) else { return Status::success() };
        if node.gpu_left.is_empty() {
            return Status::unresolvable(ERR_NO_GPU);
        }
        if !g.accepts_model(node_model(&node.node)) {
            return Status::unresolvable(ERR_MODEL);
        }
        if g.fits(&node.gpu_left) { Status::success() } else { Status::unschedulable(ERR_INSUFFICIENT) }
    }
    fn filter_relevant(&self, pod: &Pod) -> bool {
        pod_gpu(pod).is_some()
    }
}
