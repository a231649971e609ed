//! The simulator's compact model: integer resources, nodes, pods, selectors, and the cluster state
//! with its per-node sums. No I/O, no clock, no RNG.

pub mod cluster;
pub mod gpu;
pub mod labels;
pub mod node;
pub mod node_info;
pub mod pdb;
pub mod pod;
pub mod pod_index;
pub mod pod_table;
pub mod policy;
pub mod resources;
pub mod selection;

pub use cluster::{
    Cluster, FilterRow, HostPort, LowestPriority, NodeHot, NodeInfo, PodRow, SelectorKind, WorkloadSelector,
};
pub use labels::{
    LabelSelector, LabelSelectorOperator, LabelSelectorRequirement, Labels, NodeAffinity, NodeSelector,
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm, Taint,
    TaintEffect, Toleration, TolerationOperator,
};
pub use node::{ContainerImage, Node, NodeId};
pub use pdb::{IntOrPercent, PodDisruptionBudget};
pub use pod::{
    Container, ContainerPort, NodeInclusionPolicy, Pod, PodAffinity, PodAffinityTerm, PodId, PodPhase,
    PreemptionPolicy, TopologySpreadConstraint, WeightedPodAffinityTerm, WhenUnsatisfiable, simple_pod,
};
pub use pod::{Owner, OwnerReference, QosClass};
pub use pod_index::{DomainCounts, NO_DOMAIN, NamespaceScope, PodQuery, TermGroup, TermKind, TopologyView};
pub use pod_table::PodTable;
pub use resources::Resources;
