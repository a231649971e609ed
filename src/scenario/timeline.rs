//! The scenario's timeline resolved for a run: node selections, actions at points in virtual
//! time, node pools and random failure processes. Selections resolve against the live cluster
//! when their action fires (nodes may have joined or left by then).

use std::collections::BTreeMap;

use crate::model::Node;
use crate::model::labels::{Taint, TaintEffect};
use crate::model::selection::NodeSelection;
use crate::names::LABEL_POOL;
use crate::time::SimTime;

/// A pool of nodes made from one template.
#[derive(Clone, Debug)]
pub struct Pool {
    /// Pool name.
    pub name: String,
    /// The template (name replaced by `<pool>-<n>`, labels `capsim.dev/pool` and
    /// `kubernetes.io/hostname` set).
    pub template: Node,
    /// Nodes created at time 0 (numbered from 0); joins continue the numbering.
    pub initial: usize,
}

impl Pool {
    /// Node number `n` of the pool.
    pub fn node(&self, n: usize) -> Node {
        let mut node = self.template.clone();
        node.name = format!("{}-{n}", self.name);
        node.labels.insert(LABEL_POOL.into(), self.name.clone());
        node.labels.insert("kubernetes.io/hostname".into(), node.name.clone());
        node
    }
}

/// How joins of one `nodeJoin` event are spaced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spacing {
    /// All at once.
    None,
    /// A fixed interval, ms.
    Fixed(i64),
    /// Exponential gaps with this mean, ms (a Poisson arrival process).
    Exponential(i64),
}

/// One action of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `count` nodes of pool number `pool` join, spaced as given.
    Join {
        /// Pool index.
        pool: usize,
        /// How many.
        count: usize,
        /// Spacing.
        spacing: Spacing,
    },
    /// Nodes stop heartbeating; recover after the given time, if any.
    Fail(NodeSelection, Option<SimTime>),
    /// Failed nodes heartbeat again.
    Recover(NodeSelection),
    /// Graceful leave: cordon, drain, delete.
    Leave(NodeSelection),
    /// Cordon (`true`) or uncordon (`false`).
    Cordon(NodeSelection, bool),
    /// Taints added (or updated by key and effect), and removed by key (and effect).
    Taint(NodeSelection, Vec<Taint>, Vec<(String, Option<TaintEffect>)>),
    /// Labels set and removed.
    Label(NodeSelection, BTreeMap<String, String>, Vec<String>),
    /// ReplicaSet number `rs` scaled to `replicas`.
    Scale(usize, i32),
}

/// A random failure process over some nodes: exponential times between failures, a fixed
/// repair time.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureProcess {
    /// The nodes it applies to (`None`: every node).
    pub nodes: Option<NodeSelection>,
    /// Mean time between failures of one node, ms.
    pub mtbf_ms: i64,
    /// Time from failure to recovery, ms.
    pub repair_ms: i64,
}

/// Everything that changes the cluster beyond the workload pods: timeline, pools, failure
/// processes, the system layer of controllers and policies, and controller settings.
#[derive(Clone, Debug, Default)]
pub struct Dynamics {
    /// Node pools.
    pub pools: Vec<Pool>,
    /// Timeline actions in time order (stable for equal times).
    pub timeline: Vec<(SimTime, Action)>,
    /// Random failure processes.
    pub failures: Vec<FailureProcess>,
    /// DaemonSets.
    pub daemonsets: Vec<crate::controllers::daemonset::DaemonSet>,
    /// ReplicaSets (one per Deployment).
    pub replicasets: Vec<crate::controllers::replicaset::ReplicaSet>,
    /// Jobs.
    pub jobs: Vec<crate::controllers::job::Job>,
    /// Static pods.
    pub static_pods: Vec<crate::controllers::static_pods::StaticPods>,
    /// LimitRanges.
    pub limit_ranges: Vec<crate::model::policy::LimitRange>,
    /// ResourceQuotas.
    pub quotas: Vec<crate::model::policy::ResourceQuota>,
    /// RuntimeClasses (RuntimeClass admission).
    pub runtime_classes: Vec<crate::model::policy::RuntimeClass>,
    /// PriorityClasses from every manifest (priority admission of every new pod).
    pub priority_classes: crate::api::convert::PriorityClasses,
    /// Namespaces with their labels (namespaceSelector reads them).
    pub namespaces: Vec<(String, BTreeMap<String, String>)>,
    /// The selectors PodTopologySpread's default constraints read (upstream
    /// `helper.DefaultSelector`): Services, ReplicationControllers and StatefulSets from the
    /// manifests, and every ReplicaSet capsim runs.
    pub workload_selectors: Vec<crate::model::WorkloadSelector>,
    /// Objects skipped by kind (CRDs, RBAC, StatefulSets, ...), with counts.
    pub skipped: BTreeMap<String, usize>,
    /// Controller settings.
    pub settings: crate::controllers::Settings,
    /// The kubelet runtime (usage, throttling, OOM, pressure eviction); `None` = off.
    pub runtime: Option<crate::kubelet::RuntimeSettings>,
    /// Pod generators (their pods are made as the run reaches them).
    pub generators: Vec<crate::workload::generator::PodGenerator>,
}
