//! The simulator's compact model: integer resources, nodes, pods, selectors, and the cluster state
//! with its per-node sums. No I/O, no clock, no RNG.

pub mod cluster;
pub mod labels;
pub mod node;
pub mod pod;
pub mod resources;

pub use cluster::{Cluster, HostPort, NodeInfo};
pub use labels::{
    Labels, NodeAffinity, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
    PreferredSchedulingTerm, Taint, TaintEffect, Toleration, TolerationOperator,
};
pub use node::{ContainerImage, Node, NodeId};
pub use pod::{Container, ContainerPort, Pod, PodId, PodPhase, simple_pod};
pub use resources::Resources;
