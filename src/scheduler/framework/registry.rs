//! The plugin registry: the only list of plugins capsim knows, and the default profile's plugin
//! set (upstream `plugins/registry.go` and `apis/config/v1/default_plugins.go`, v1.35).

use std::sync::Arc;

use super::Plugin;
use crate::scheduler::plugins;

/// Builds a plugin from its `pluginConfig` args (`Value::Null` when none were given).
pub type PluginFactory = fn(&serde_json::Value) -> Result<Arc<dyn Plugin>, String>;

/// Every plugin capsim implements, by upstream name, in name order.
pub fn registry() -> Vec<(&'static str, PluginFactory)> {
    use plugins::*;
    let mut r: Vec<(&'static str, PluginFactory)> = vec![
        (default_binder::NAME, |_| Ok(Arc::new(default_binder::DefaultBinder))),
        (default_preemption::NAME, |a| Ok(Arc::new(default_preemption::DefaultPreemption::new(a)?))),
        (dynamic_resources::NAME, |_| Ok(Arc::new(dynamic_resources::DynamicResources))),
        (image_locality::NAME, |_| Ok(Arc::new(image_locality::ImageLocality))),
        (inter_pod_affinity::NAME, |a| Ok(Arc::new(inter_pod_affinity::InterPodAffinity::new(a)?))),
        (node_affinity::NAME, |a| Ok(Arc::new(node_affinity::NodeAffinity::new(a)?))),
        (node_name::NAME, |_| Ok(Arc::new(node_name::NodeName))),
        (node_ports::NAME, |_| Ok(Arc::new(node_ports::NodePorts))),
        (node_resources_balanced_allocation::NAME, |a| {
            Ok(Arc::new(node_resources_balanced_allocation::BalancedAllocation::new(a)?))
        }),
        (node_resources_fit::NAME, |a| Ok(Arc::new(node_resources_fit::Fit::new(a)?))),
        (node_unschedulable::NAME, |_| Ok(Arc::new(node_unschedulable::NodeUnschedulable))),
        (pod_topology_spread::NAME, |a| Ok(Arc::new(pod_topology_spread::PodTopologySpread::new(a)?))),
        (priority_sort::NAME, |_| Ok(Arc::new(priority_sort::PrioritySort))),
        (taint_toleration::NAME, |_| Ok(Arc::new(taint_toleration::TaintToleration))),
        (scheduling_gates::NAME, |_| Ok(Arc::new(scheduling_gates::SchedulingGates))),
        (gpu::open_gpu_share::NAME, |_| Ok(Arc::new(gpu::open_gpu_share::OpenGpuShare))),
        (gpu::random_score::NAME, |_| Ok(Arc::new(gpu::random_score::RandomScore))),
        (gpu::dot_product_score::NAME, |_| Ok(Arc::new(gpu::dot_product_score::DotProductScore))),
        (gpu::gpu_clustering_score::NAME, |_| Ok(Arc::new(gpu::gpu_clustering_score::GpuClusteringScore))),
        (gpu::gpu_packing_score::NAME, |_| Ok(Arc::new(gpu::gpu_packing_score::GpuPackingScore))),
        (gpu::best_fit_score::NAME, |_| Ok(Arc::new(gpu::best_fit_score::BestFitScore))),
        (gpu::fgd_score::NAME, |_| Ok(Arc::new(gpu::fgd_score::FgdScore))),
    ];
    for name in volume::NAMES {
        r.push((name, volume::factory(name)));
    }
    r.sort_by_key(|(n, _)| *n);
    r
}

/// Looks up a plugin factory by name.
pub fn factory(name: &str) -> Option<PluginFactory> {
    registry().into_iter().find(|(n, _)| *n == name).map(|(_, f)| f)
}

/// The default profile's `multiPoint` plugins with their weights (0 = not a score plugin), in
/// upstream order (v1.35 with DynamicResourceAllocation GA).
pub const DEFAULT_MULTI_POINT: &[(&str, i32)] = &[
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("Open-Gpu-Share", 0),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DynamicResources", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
];
