//! The in-tree plugins, one file (or folder) each, named as upstream, and [`registry::in_tree`],
//! the registry of them all that callers pass to profile building (upstream `plugins/registry.go`).

pub mod default_binder;
pub mod default_preemption;
pub mod dynamic_resources;
pub mod gpu;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod priority_sort;
pub mod registry;
pub mod scheduling_gates;
pub mod taint_toleration;
pub mod volume;

#[cfg(test)]
mod fidelity_tests;
#[cfg(test)]
mod index_props;
