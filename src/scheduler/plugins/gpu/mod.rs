//! GPU-sharing plugins of the FGD paper's simulator (hkust-adsl/kubernetes-scheduler-simulator,
//! `pkg/simulator/plugin/`): the `Open-Gpu-Share` Filter, and the six policies of "Beware of
//! Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent" (USENIX
//! ATC '23) as Score plugins, each of which also picks the GPU devices of the pod it placed (the
//! simulator's `gpuSelMethod`). Names match the simulator's plugin names. See docs/fgd.md.

pub mod best_fit_score;
pub mod dot_product_score;
pub mod fgd_score;
pub mod gpu_clustering_score;
pub mod gpu_packing_score;
pub mod open_gpu_share;
pub mod random_score;

use crate::model::gpu::{GPU_MILLI, GpuShare, pod_gpu};
use crate::model::{NodeInfo, Pod};

/// The simulator's `MaxSpecCpu`: cpu scores divide by 128 cores (millicores).
pub const MAX_SPEC_CPU: f64 = 128_000.0;
/// The simulator's `MaxSpecGpu`: GPU scores divide by 8 GPUs (milli-GPU).
pub const MAX_SPEC_GPU: f64 = 8_000.0;

/// Millicores left on the node for requests (allocatable − Σ requests of its pods).
pub fn cpu_left(node: &NodeInfo) -> i64 {
    node.node.allocatable.milli_cpu - node.requested.milli_cpu
}

/// The pod's cpu as the simulator's scorers see it (the non-zero request: 100m when unset).
pub fn pod_cpu(pod: &Pod) -> i64 {
    pod.non_zero_requests.milli_cpu
}

/// Milli-GPU free on the node, all devices.
pub fn gpu_left_total(node: &NodeInfo) -> i64 {
    node.gpu_left.iter().map(|l| i64::from(*l)).sum()
}

/// The pod's GPU request, with the pod's total milli-GPU (0 for cpu-only pods).
pub fn pod_gpu_total(pod: &Pod) -> (Option<GpuShare>, i64) {
    let g = pod_gpu(pod);
    let total = g.as_ref().map_or(0, GpuShare::total_milli);
    (g, total)
}

/// Indices of the devices the simulator's `NodeResource.Sub` takes for `g`: for each wanted GPU,
/// the device with the least left that still has `g.milli` (stable ascending order).
pub fn sub_devices(left: &[u32], g: &GpuShare) -> Vec<usize> {
    let mut order: Vec<usize> = (0..left.len()).collect();
    order.sort_by_key(|i| left[*i]);
    order.into_iter().filter(|i| left[*i] >= g.milli).take(g.count as usize).collect()
}

/// Whether a device is idle.
pub fn idle(left: u32) -> bool {
    left == GPU_MILLI
}

/// A uniformly random device with room for a sharing pod (from the cycle's random draw); `None`
/// for other pods (the default choice).
pub fn random_device(
    state: &crate::scheduler::framework::CycleState,
    pod: &Pod,
    node: &NodeInfo,
) -> Option<Vec<u8>> {
    let g = pod_gpu(pod).filter(GpuShare::is_shared)?;
    let fits: Vec<u8> =
        node.gpu_left.iter().enumerate().filter(|(_, l)| **l >= g.milli).map(|(i, _)| i as u8).collect();
    if fits.is_empty() {
        return None;
    }
    let r = state.random.unwrap_or(0) >> 32;
    Some(vec![fits[(r % fits.len() as u64) as usize]])
}

/// Implements [`crate::scheduler::framework::Plugin`] for a Score-only policy.
macro_rules! score_plugin {
    ($t:ty) => {
        impl crate::scheduler::framework::Plugin for $t {
            fn name(&self) -> &'static str {
                NAME
            }
            fn as_score(&self) -> Option<&dyn crate::scheduler::framework::ScorePlugin> {
                Some(self)
            }
        }
    };
}
pub(crate) use score_plugin;

/// True when a pod asks for GPU sharing: the `alibabacloud.com/gpu-milli` family of annotations,
/// or the openb trace's GPU fields ([`Pod::gpu_share`]).
pub fn asks_for_gpu_sharing(pod: &Pod) -> bool {
    pod.gpu_share.is_some()
}

/// capsim's opt-in for its GPU-sharing Filter: when any of `pods` asks for GPU sharing, adds
/// `Open-Gpu-Share` to every profile of `config` right after NodeResourcesFit, unless the profile
/// disables it by name or already has it. Upstream's default profile has no such plugin, so a
/// workload without GPU-sharing pods keeps upstream's profiles exactly.
pub fn enable_for_workload<'a>(
    config: &mut crate::scheduler::framework::profile::SchedulerConfig,
    mut pods: impl Iterator<Item = &'a Pod>,
) {
    if pods.any(asks_for_gpu_sharing) {
        config
            .add_filter(open_gpu_share::NAME, "NodeResourcesFit", super::registry::in_tree())
            .expect("Open-Gpu-Share is an in-tree Filter plugin");
    }
}
