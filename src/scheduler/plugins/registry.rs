//! The in-tree registry: every plugin capsim implements, by upstream name (upstream
//! `pkg/scheduler/framework/plugins/registry.go` `NewInTreeRegistry`, v1.35). Callers pass it to
//! [`crate::scheduler::framework::profile::build`]; the framework itself never names a plugin.

use std::sync::{Arc, OnceLock};

use super::*;
use crate::scheduler::framework::registry::{PluginFactory, Registry};

/// The in-tree plugins, built once and shared.
pub fn in_tree() -> &'static Registry {
    static IN_TREE: OnceLock<Registry> = OnceLock::new();
    IN_TREE.get_or_init(new_in_tree_registry)
}

/// A fresh registry of every in-tree plugin (to extend with out-of-tree plugins).
pub fn new_in_tree_registry() -> Registry {
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
    let mut registry = Registry::new();
    for (name, f) in r {
        registry.register(name, f).expect("in-tree plugin names are unique");
    }
    registry
}

/// Profiles built from the in-tree registry (`profile::build`).
#[cfg(test)]
mod tests {
    use super::in_tree;
    use crate::api::scheduler_config::KubeSchedulerConfiguration;
    use crate::scheduler::framework::profile::build;

    fn cfg(yaml_json: serde_json::Value) -> KubeSchedulerConfiguration {
        serde_json::from_value(yaml_json).unwrap()
    }

    /// Plugin args may carry `apiVersion`/`kind` (typed args objects upstream).
    #[test]
    fn plugin_args_may_carry_type_meta() {
        let c = cfg(serde_json::json!({"profiles": [{"pluginConfig": [{"name": "NodeResourcesFit", "args": {
            "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "NodeResourcesFitArgs",
            "scoringStrategy": {"type": "MostAllocated"}}}]}]}));
        build(&c, in_tree()).expect("args with type metadata are accepted");
    }

    /// v1 defaulting names a profile `default-scheduler` only when it is the only profile.
    #[test]
    fn unnamed_profile_among_several_is_an_error() {
        let c = cfg(serde_json::json!({"profiles": [{"schedulerName": "a"}, {}]}));
        let e = build(&c, in_tree()).unwrap_err();
        assert_eq!(e.field, "profiles[1].schedulerName");
    }

    /// `expandMultiPointPlugins`: a default re-enabled at a specific point moves to the front of
    /// that point and its weight there wins.
    #[test]
    fn point_override_moves_plugin_first_with_its_weight() {
        let c = cfg(
            serde_json::json!({"profiles": [{"plugins": {"score": {"enabled": [{"name": "ImageLocality", "weight": 5}]}}}]}),
        );
        let p = &build(&c, in_tree()).unwrap().profiles[0];
        let score: Vec<(&str, i64)> = p.score.iter().map(|w| (w.plugin.name(), w.weight)).collect();
        assert_eq!(score[0], ("ImageLocality", 5));
        assert_eq!(score.iter().filter(|(n, _)| *n == "ImageLocality").count(), 1);
        assert_eq!(score[1], ("TaintToleration", 3));
    }
}
