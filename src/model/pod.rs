//! The compact Pod the simulator works with, and its effective requests as upstream computes them.

use std::collections::BTreeMap;

use super::labels::{LabelSelector, Labels, NodeAffinity, Toleration};
use super::resources::{DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, Resources};

/// Index of a pod in its [`crate::model::Cluster`].
pub type PodId = u32;

/// A container port that may claim a host port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    /// `hostPort`; 0 means the port claims nothing on the node.
    pub host_port: i32,
    /// `protocol` (`TCP` by default).
    pub protocol: String,
    /// `hostIP` (`0.0.0.0` when empty).
    pub host_ip: String,
}

/// A container (regular or init) with its requests and limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Container {
    /// Container name.
    pub name: String,
    /// Image reference as written.
    pub image: String,
    /// Declared requests (cpu in millicores, memory in bytes).
    pub requests: Resources,
    /// Declared limits.
    pub limits: Resources,
    /// Whether `requests` lists `cpu` at all (an explicit 0 counts as listed).
    pub has_cpu_request: bool,
    /// Whether `requests` lists `memory` at all.
    pub has_memory_request: bool,
    /// Ports.
    pub ports: Vec<ContainerPort>,
    /// For init containers: `restartPolicy: Always`, i.e. a sidecar.
    pub restart_always: bool,
}

impl Container {
    /// Requests with the scoring stand-ins for a missing cpu (100m) or memory (200Mi) request
    /// (upstream `NonMissingContainerRequests`). An explicit 0 stays 0.
    fn non_missing_requests(&self) -> Resources {
        let mut r = self.requests.clone();
        if !self.has_cpu_request {
            r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !self.has_memory_request {
            r.memory = DEFAULT_MEMORY_REQUEST;
        }
        r
    }
}

/// One pod (anti-)affinity term (`PodAffinityTerm`). `matchLabelKeys` / `mismatchLabelKeys` are
/// already merged into `selector`, as the API server does since v1.33.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodAffinityTerm {
    /// Which pods the term selects; `None` (no selector) selects none.
    pub selector: Option<LabelSelector>,
    /// `namespaces`: namespaces searched besides those `namespace_selector` picks.
    pub namespaces: Vec<String>,
    /// `namespaceSelector` over namespace labels; `Some(empty)` selects every namespace. When
    /// both this and `namespaces` are unset, the pod's own namespace is searched.
    pub namespace_selector: Option<LabelSelector>,
    /// The node label whose values are the topology domains.
    pub topology_key: String,
}

impl PodAffinityTerm {
    /// Why upstream's `newAffinityTerm` would fail on this term (label selector first, then
    /// namespace selector), if it would.
    pub fn parse_error(&self) -> Option<String> {
        use super::labels::selector_parse_error;
        selector_parse_error(self.selector.as_ref())
            .or_else(|| selector_parse_error(self.namespace_selector.as_ref()))
    }
}

/// A preferred pod (anti-)affinity term with its weight (1..=100).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedPodAffinityTerm {
    /// Weight.
    pub weight: i32,
    /// The term.
    pub term: PodAffinityTerm,
}

/// `podAffinity` or `podAntiAffinity` of a pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    pub required: Vec<PodAffinityTerm>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred: Vec<WeightedPodAffinityTerm>,
}

/// `whenUnsatisfiable` of a topology spread constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenUnsatisfiable {
    /// A hard constraint (Filter).
    DoNotSchedule,
    /// A soft constraint (Score).
    ScheduleAnyway,
}

/// `nodeAffinityPolicy` / `nodeTaintsPolicy` of a topology spread constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeInclusionPolicy {
    /// Only nodes that pass the pod's node affinity (or tolerate its taints) count.
    Honor,
    /// Every node counts.
    Ignore,
}

/// One `topologySpreadConstraints` entry, defaulted: `matchLabelKeys` merged into `selector`
/// (as the API server does since v1.34), `nodeAffinityPolicy` Honor and `nodeTaintsPolicy`
/// Ignore when unset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologySpreadConstraint {
    /// `maxSkew` (≥ 1).
    pub max_skew: i32,
    /// The node label whose values are the domains.
    pub topology_key: String,
    /// Hard or soft.
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// Which pods count; `None` counts none.
    pub selector: Option<LabelSelector>,
    /// `minDomains` (only with DoNotSchedule), `None` = 1.
    pub min_domains: Option<i32>,
    /// `nodeAffinityPolicy`.
    pub node_affinity_policy: NodeInclusionPolicy,
    /// `nodeTaintsPolicy`.
    pub node_taints_policy: NodeInclusionPolicy,
}

/// `preemptionPolicy` of a pod (from its PriorityClass unless set on the pod).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PreemptionPolicy {
    /// May preempt lower-priority pods (the default).
    #[default]
    PreemptLowerPriority,
    /// Never preempts; still ordered by priority in the queue.
    Never,
}

/// Default `terminationGracePeriodSeconds`.
pub const DEFAULT_TERMINATION_GRACE_PERIOD_S: i64 = 30;

/// Lifecycle phase of a pod in the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodPhase {
    /// Created, not yet bound.
    Pending,
    /// Bound to a node.
    Running,
    /// Deleted (departed) after running.
    Deleted,
}

/// `spec.restartPolicy`: what the kubelet does when a container exits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Restart it (the default).
    #[default]
    Always,
    /// Restart it if it failed.
    OnFailure,
    /// Never; the pod fails.
    Never,
}

/// What created a pod and keeps it alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// DaemonSet number `n` of the run.
    DaemonSet(u32),
    /// ReplicaSet number `n` of the run (a Deployment owns exactly one).
    ReplicaSet(u32),
    /// Job number `n` of the run.
    Job(u32),
    /// The kubelet of node `n` (a static pod; the pod is its mirror).
    Node(u32),
}

impl Owner {
    /// The owner's kind as Kubernetes writes it (`DaemonSet`, `ReplicaSet`, `Job`, `Node`).
    pub fn kind(self) -> &'static str {
        match self {
            Owner::DaemonSet(_) => "DaemonSet",
            Owner::ReplicaSet(_) => "ReplicaSet",
            Owner::Job(_) => "Job",
            Owner::Node(_) => "Node",
        }
    }
}

/// One `metadata.ownerReferences` entry of a pod, as the API stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnerReference {
    /// `apiVersion` of the owner (`apps/v1`, `v1`, `batch/v1`).
    pub api_version: String,
    /// `kind` of the owner (`ReplicaSet`, `Node`, ...).
    pub kind: String,
    /// `name` of the owner, in the pod's namespace (cluster-scoped owners: their name).
    pub name: String,
    /// `uid` of the owner (empty for objects capsim creates without one).
    pub uid: String,
    /// `controller: true`: this owner is the pod's managing controller.
    pub controller: bool,
}

impl OwnerReference {
    /// A controller reference (`controller: true`) to `kind`/`name` of `api_version`.
    pub fn controller(api_version: &str, kind: &str, name: &str) -> Self {
        OwnerReference {
            api_version: api_version.into(),
            kind: kind.into(),
            name: name.into(),
            uid: String::new(),
            controller: true,
        }
    }

    /// The group and version of `apiVersion` as upstream `schema.ParseGroupVersion` splits it
    /// (`v1` → ("", "v1"), `apps/v1` → ("apps", "v1")); `None` when it has more than one `/`.
    pub fn group_version(&self) -> Option<(&str, &str)> {
        let v = self.api_version.as_str();
        if v.is_empty() {
            return Some(("", ""));
        }
        match v.matches('/').count() {
            0 => Some(("", v)),
            1 => v.split_once('/'),
            _ => None,
        }
    }
}

/// A Pod as the simulator holds it: converted once from the API object, with its effective
/// requests precomputed.
#[derive(Clone, Debug)]
pub struct Pod {
    /// Namespace (`default` when unset).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: Labels,
    /// Resolved priority (`spec.priority`).
    pub priority: i32,
    /// `spec.priorityClassName` as written (empty when unset).
    pub priority_class_name: String,
    /// `spec.runtimeClassName` (empty when unset).
    pub runtime_class_name: String,
    /// `spec.preemptionPolicy` after priority admission: may this pod preempt others?
    pub preemption_policy: PreemptionPolicy,
    /// `spec.terminationGracePeriodSeconds` (default 30): how long a deleted or preempted pod keeps
    /// its resources, in seconds of virtual time.
    pub termination_grace_period_s: i64,
    /// `spec.schedulerName` (`default-scheduler` when unset).
    pub scheduler_name: String,
    /// `spec.nodeName` as written: a pod with it set bypasses the scheduler.
    pub node_name: Option<String>,
    /// `spec.nodeSelector`.
    pub node_selector: Labels,
    /// `spec.affinity.nodeAffinity`.
    pub node_affinity: Option<NodeAffinity>,
    /// `spec.tolerations`.
    pub tolerations: Vec<Toleration>,
    /// `spec.containers`.
    pub containers: Vec<Container>,
    /// `spec.initContainers` (sidecars have `restart_always`).
    pub init_containers: Vec<Container>,
    /// `spec.overhead`.
    pub overhead: Resources,
    /// Pod-level `spec.resources.requests` (PodLevelResources, beta and on in v1.35) of the
    /// resources upstream supports at pod level (cpu in millicores, memory and `hugepages-*` in
    /// bytes), after API defaulting. Each one present replaces the container aggregate of that
    /// resource in the effective request. Empty when unset.
    pub pod_level_requests: BTreeMap<String, i64>,
    /// Pod-level `spec.resources.limits` of the supported resources (QoS only). Empty when unset.
    pub pod_level_limits: BTreeMap<String, i64>,
    /// Names of `spec.schedulingGates`.
    pub scheduling_gates: Vec<String>,
    /// `spec.affinity.podAffinity`.
    pub pod_affinity: Option<PodAffinity>,
    /// `spec.affinity.podAntiAffinity`.
    pub pod_anti_affinity: Option<PodAffinity>,
    /// `spec.topologySpreadConstraints`.
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// Volumes that need volume scheduling (PersistentVolumeClaims, generic ephemeral volumes),
    /// by volume name. capsim does not model storage; VolumeBinding reports such pods.
    pub claimed_volumes: Vec<String>,
    /// `spec.resourceClaims` names (DRA). capsim does not model claims; DynamicResources reports
    /// such pods.
    pub resource_claims: Vec<String>,
    /// Whether `metadata.deletionTimestamp` is set (terminating).
    pub terminating: bool,
    /// The controller of this run that owns the pod (a ReplicaSet, DaemonSet or Job capsim
    /// runs), or the node whose kubelet created it (a static pod's mirror): the simulation's
    /// handle on the owner. Pods read from manifests have none, except those whose controller
    /// reference names a ReplicaSet of the manifests (adopted, as upstream's controller claims
    /// them); their API owners are in [`Pod::owner_references`].
    pub owner: Option<Owner>,
    /// `metadata.ownerReferences` as the API server stores them: read from manifests, and set
    /// by capsim's controllers on the pods they create (one controller reference each).
    pub owner_references: Vec<OwnerReference>,
    /// Annotation `controller.kubernetes.io/pod-deletion-cost` (default 0): ReplicaSet scale-down
    /// removes lower costs first.
    pub deletion_cost: i32,
    /// A mirror pod (annotation `kubernetes.io/config.mirror`): the API view of a static pod.
    pub mirror: bool,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// `spec.restartPolicy` (default `Always`).
    pub restart_policy: RestartPolicy,
    /// A GPU-sharing request (annotations `alibabacloud.com/gpu-milli`, `-gpu-count`,
    /// `-gpu-card-model`; the openb trace's `num_gpu`, `gpu_milli`, `gpu_spec`). `None`: the pod's
    /// GPUs, if any, are its whole `nvidia.com/gpu` requests.
    pub gpu_share: Option<super::gpu::GpuShare>,
    /// Effective request used by Filter (upstream `PodRequests`).
    pub requests: Resources,
    /// Effective request with the non-zero stand-ins, used by the cpu/memory scorers.
    pub non_zero_requests: Resources,
}

impl Pod {
    /// Recomputes [`Pod::requests`] and [`Pod::non_zero_requests`] from the containers. Call after
    /// changing containers, overhead or pod-level requests.
    pub fn refresh_requests(&mut self) {
        self.requests = self.compute_requests(false);
        self.non_zero_requests = self.compute_requests(true);
    }

    /// The pod's effective request, mirroring `component-helpers/resource.PodRequests`: the
    /// container aggregate ([`Pod::aggregate_container_requests`]), with each pod-level request
    /// (PodLevelResources) replacing the aggregate of its resource, plus overhead. With
    /// `non_missing`, containers without a cpu/memory request count 100m / 200Mi (scoring only);
    /// pod-level requests still replace those.
    ///
    /// With pod-level requests set, upstream's scheduler cache (`getNonMissingContainerRequests`)
    /// gives the 100m / 200Mi stand-ins only for cpu / memory that neither the containers nor the
    /// pod level request; a resource some container requests is counted as declared.
    pub fn compute_requests(&self, non_missing: bool) -> Resources {
        let mut main = if non_missing && !self.pod_level_requests.is_empty() {
            let mut declared = self.aggregate_container_requests(false);
            let defaulted = self.aggregate_container_requests(true);
            let any = |f: fn(&Container) -> bool| self.containers.iter().chain(&self.init_containers).any(f);
            if !any(|c| c.has_cpu_request) {
                declared.milli_cpu = defaulted.milli_cpu;
            }
            if !any(|c| c.has_memory_request) {
                declared.memory = defaulted.memory;
            }
            declared
        } else {
            self.aggregate_container_requests(non_missing)
        };
        for (name, v) in &self.pod_level_requests {
            main.set(name, *v);
        }
        main.add(&self.overhead);
        main
    }

    /// Upstream `AggregateContainerRequests`: `max(Σ containers + Σ sidecars, peak over init
    /// containers in order)`, where a regular init container's peak is its own request plus the
    /// sidecars declared before it and a sidecar's peak is the sum of sidecars up to and including
    /// it. No pod-level requests, no overhead.
    pub fn aggregate_container_requests(&self, non_missing: bool) -> Resources {
        self.aggregate_containers(|c| if non_missing { c.non_missing_requests() } else { c.requests.clone() })
    }

    /// The sidecar formula of [`Pod::aggregate_container_requests`] over any per-container
    /// amount (requests or limits, upstream `AggregateContainerRequests` /
    /// `AggregateContainerLimits`).
    pub fn aggregate_containers(&self, amount: impl Fn(&Container) -> Resources) -> Resources {
        let req = amount;
        let mut main = Resources::default();
        for c in &self.containers {
            main.add(&req(c));
        }
        let mut init_peak = Resources::default();
        let mut sidecars = Resources::default();
        for c in &self.init_containers {
            let r = req(c);
            if c.restart_always {
                sidecars.add(&r);
                main.add(&r);
                init_peak.max_with(&sidecars);
            } else {
                let mut peak = r;
                peak.add(&sidecars);
                init_peak.max_with(&peak);
            }
        }
        main.max_with(&init_peak);
        main
    }

    /// What upstream's `validatePodResourceConsistency` (`pkg/apis/core/validation`, v1.35) finds
    /// wrong with the pod-level resources, in its order (resources in name order, containers in
    /// order): a pod-level request below the containers' aggregate request of that resource
    /// (sidecar formula); a pod-level `hugepages-*` limit below the containers' aggregate limit;
    /// a regular container's limit above the pod-level limit of that resource. Resources without
    /// a pod-level value are not checked. Empty without pod-level resources.
    pub fn pod_level_violations(&self) -> Vec<PodLevelViolation> {
        let mut out = Vec::new();
        if self.pod_level_requests.is_empty() && self.pod_level_limits.is_empty() {
            return out;
        }
        let requests = self.aggregate_container_requests(false);
        for (name, pod) in &self.pod_level_requests {
            let aggregate = requests.get(name);
            if aggregate > *pod {
                out.push(PodLevelViolation::RequestBelowAggregate {
                    resource: name.clone(),
                    pod: *pod,
                    aggregate,
                });
            }
        }
        let limits = self.aggregate_containers(|c| c.limits.clone());
        for (name, pod) in self.pod_level_limits.iter().filter(|(n, _)| n.starts_with(HUGEPAGES_PREFIX)) {
            let aggregate = limits.get(name);
            if aggregate > *pod {
                out.push(PodLevelViolation::HugePageLimitBelowAggregate {
                    resource: name.clone(),
                    pod: *pod,
                    aggregate,
                });
            }
        }
        for (index, c) in self.containers.iter().enumerate() {
            for (name, pod) in &self.pod_level_limits {
                let limit = c.limits.get(name);
                if limit > *pod {
                    out.push(PodLevelViolation::ContainerLimitAbovePod {
                        container: index,
                        resource: name.clone(),
                        limit,
                        pod: *pod,
                    });
                }
            }
        }
        out
    }

    /// Whether the pod declares any pod affinity or anti-affinity term.
    pub fn has_pod_affinity(&self) -> bool {
        let any = |a: &Option<PodAffinity>| {
            a.as_ref().is_some_and(|a| !a.required.is_empty() || !a.preferred.is_empty())
        };
        any(&self.pod_affinity) || any(&self.pod_anti_affinity)
    }

    /// The pod's managing controller: the first owner reference with `controller: true`
    /// (upstream `metav1.GetControllerOfNoCopy`).
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|r| r.controller)
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Every container image (init containers first, then regular), for ImageLocality.
    pub fn images(&self) -> impl Iterator<Item = &str> {
        self.init_containers.iter().chain(&self.containers).map(|c| c.image.as_str())
    }
}

/// Prefix of the huge-page resources (`hugepages-2Mi`, ...).
pub const HUGEPAGES_PREFIX: &str = "hugepages-";

/// One inconsistency between pod-level and container-level resources that the API server
/// refuses ([`Pod::pod_level_violations`]). Amounts are in capsim units (cpu in millicores).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodLevelViolation {
    /// `spec.resources.requests[<resource>]` is below the containers' aggregate request.
    RequestBelowAggregate {
        /// The resource.
        resource: String,
        /// The pod-level request.
        pod: i64,
        /// The containers' aggregate request.
        aggregate: i64,
    },
    /// `spec.resources.limits[hugepages-*]` is below the containers' aggregate limit.
    HugePageLimitBelowAggregate {
        /// The resource.
        resource: String,
        /// The pod-level limit.
        pod: i64,
        /// The containers' aggregate limit.
        aggregate: i64,
    },
    /// A regular container's limit is above the pod-level limit.
    ContainerLimitAbovePod {
        /// Index of the container in `spec.containers`.
        container: usize,
        /// The resource.
        resource: String,
        /// The container's limit.
        limit: i64,
        /// The pod-level limit.
        pod: i64,
    },
}

/// A pod's QoS class (`status.qosClass`, upstream `v1.PodQOSClass`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum QosClass {
    /// No cpu or memory request or limit anywhere.
    BestEffort,
    /// Neither BestEffort nor Guaranteed.
    Burstable,
    /// cpu and memory limits everywhere, and summed requests equal summed limits.
    Guaranteed,
}

impl QosClass {
    /// The class's API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::BestEffort => "BestEffort",
            QosClass::Burstable => "Burstable",
            QosClass::Guaranteed => "Guaranteed",
        }
    }
}

/// The QoS class of `pod`, as upstream `ComputePodQOS` (`pkg/apis/core/v1/helper/qos`, v1.35 with
/// PodLevelResources on) computes it on the API-defaulted pod.
///
/// Only cpu and memory count, and zero quantities are ignored. When pod-level resources are set,
/// they alone decide: Guaranteed needs pod-level cpu and memory limits. Otherwise requests and
/// limits are summed over regular and init containers, and every one of them must carry both a
/// cpu and a memory limit for Guaranteed. No request or limit at all is BestEffort; Guaranteed
/// also needs each summed request to equal the summed limit, for the same set of resources;
/// anything else is Burstable.
pub fn qos_class(pod: &Pod) -> QosClass {
    const QOS_RESOURCES: [&str; 2] = [super::resources::CPU, super::resources::MEMORY];
    let mut requests: BTreeMap<&str, i64> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i64> = BTreeMap::new();
    let mut guaranteed = true;
    if !pod.pod_level_requests.is_empty() || !pod.pod_level_limits.is_empty() {
        for name in QOS_RESOURCES {
            if let Some(v) = pod.pod_level_requests.get(name).filter(|v| **v > 0) {
                requests.insert(name, *v);
            }
            if let Some(v) = pod.pod_level_limits.get(name).filter(|v| **v > 0) {
                limits.insert(name, *v);
            }
        }
        guaranteed = limits.len() == QOS_RESOURCES.len();
    } else {
        for c in pod.containers.iter().chain(&pod.init_containers) {
            let mut limits_found = 0;
            for name in QOS_RESOURCES {
                let r = c.requests.get(name);
                if r > 0 {
                    *requests.entry(name).or_insert(0) += r;
                }
                let l = c.limits.get(name);
                if l > 0 {
                    limits_found += 1;
                    *limits.entry(name).or_insert(0) += l;
                }
            }
            if limits_found < QOS_RESOURCES.len() {
                guaranteed = false;
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return QosClass::BestEffort;
    }
    if guaranteed
        && requests.iter().all(|(name, r)| limits.get(name) == Some(r))
        && requests.len() == limits.len()
    {
        QosClass::Guaranteed
    } else {
        QosClass::Burstable
    }
}

/// A minimal pending pod: no containers beyond one with `requests`, default namespace and
/// scheduler. Used by trace readers, benches and tests.
pub fn simple_pod(name: &str, requests: Resources) -> Pod {
    let container = Container {
        name: "main".into(),
        has_cpu_request: requests.milli_cpu != 0,
        has_memory_request: requests.memory != 0,
        requests,
        ..Default::default()
    };
    let mut pod = Pod {
        namespace: "default".into(),
        name: name.into(),
        labels: Labels::new(),
        priority: 0,
        priority_class_name: String::new(),
        runtime_class_name: String::new(),
        preemption_policy: PreemptionPolicy::PreemptLowerPriority,
        termination_grace_period_s: DEFAULT_TERMINATION_GRACE_PERIOD_S,
        scheduler_name: "default-scheduler".into(),
        node_name: None,
        node_selector: Labels::new(),
        node_affinity: None,
        tolerations: Vec::new(),
        containers: vec![container],
        init_containers: Vec::new(),
        overhead: Resources::default(),
        pod_level_requests: BTreeMap::new(),
        pod_level_limits: BTreeMap::new(),
        scheduling_gates: Vec::new(),
        pod_affinity: None,
        pod_anti_affinity: None,
        topology_spread_constraints: Vec::new(),
        claimed_volumes: Vec::new(),
        resource_claims: Vec::new(),
        terminating: false,
        owner: None,
        owner_references: Vec::new(),
        deletion_cost: 0,
        mirror: false,
        host_network: false,
        restart_policy: RestartPolicy::Always,
        gpu_share: None,
        requests: Resources::default(),
        non_zero_requests: Resources::default(),
    };
    pod.refresh_requests();
    pod
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(cpu: i64, mem: i64, sidecar: bool) -> Container {
        Container {
            requests: Resources { milli_cpu: cpu, memory: mem, ..Default::default() },
            has_cpu_request: true,
            has_memory_request: true,
            restart_always: sidecar,
            ..Default::default()
        }
    }

    #[test]
    fn init_containers_and_sidecars_combine_as_upstream() {
        let mut pod = simple_pod("p", Resources { milli_cpu: 100, memory: 100, ..Default::default() });
        // sidecar 50 declared first, then a plain init container of 200: peak 250; main 100+50.
        pod.init_containers = vec![c(50, 10, true), c(200, 10, false)];
        pod.overhead = Resources { milli_cpu: 7, ..Default::default() };
        pod.refresh_requests();
        assert_eq!(pod.requests.milli_cpu, 257);
        assert_eq!(pod.requests.memory, 110);
    }

    #[test]
    fn non_zero_defaults_apply_only_to_missing_requests() {
        let mut pod = simple_pod("p", Resources::default());
        pod.containers.push(Container { has_cpu_request: true, ..Default::default() });
        pod.refresh_requests();
        assert_eq!(pod.requests.milli_cpu, 0);
        assert_eq!(pod.non_zero_requests.milli_cpu, DEFAULT_MILLI_CPU_REQUEST);
        assert_eq!(pod.non_zero_requests.memory, 2 * DEFAULT_MEMORY_REQUEST);
    }
}
