//! Well-known names of Kubernetes (labels, taint keys, the default scheduler) and capsim's own,
//! each defined once. The values are upstream's (`k8s.io/api/core/v1/well_known_labels.go`,
//! `well_known_taints.go`).

/// The scheduler name a Pod gets when it names none (`v1.DefaultSchedulerName`).
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// Node label: the node's hostname (`kubernetes.io/hostname`).
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// Node label: the zone (`topology.kubernetes.io/zone`).
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// Node label: the region (`topology.kubernetes.io/region`).
pub const LABEL_REGION: &str = "topology.kubernetes.io/region";
/// Namespace label holding the namespace's own name (`kubernetes.io/metadata.name`).
pub const LABEL_NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";
/// capsim's node label naming the pool a node came from (`capsim.dev/pool`).
pub const LABEL_POOL: &str = "capsim.dev/pool";

/// Taint key: the node's Ready condition is False.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Taint key: the node's Ready condition is Unknown (no heartbeat).
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// Taint key: the node is cordoned (`spec.unschedulable`).
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// Taint key: the node reports MemoryPressure.
pub const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
/// Taint key: the node reports DiskPressure.
pub const TAINT_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
/// Taint key: the node reports PIDPressure.
pub const TAINT_PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
/// Taint key: the node's network is not configured.
pub const TAINT_NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";
