//! Kubernetes v1 objects as written in manifests, with only the fields the simulator reads
//! (after `k8s.io/api`: `core/v1/types.go` for Node and Pod, `scheduling/v1` for PriorityClass).
//!
//! Every struct is `#[serde(default, rename_all = "camelCase")]`: absent fields take their zero
//! value and unknown fields are ignored. A field explicitly written as `null` also takes its zero
//! value, as the API server's JSON decoding does. Values are kept as written (quantities as
//! strings, operators and effects as strings); [`crate::api::convert`] validates them and builds
//! the compact [`crate::model`].
//!
//! [`KubeObject`] dispatches one document (or one `List` item) on its `kind`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::yaml::Located;

/// A resource list (`requests`, `limits`, `capacity`, ...): resource name → quantity as written.
///
/// YAML and JSON numbers (`cpu: 1`, `pods: 32`, `cpu: 0.5`) are accepted and kept as their decimal
/// text.
pub type ResourceList = BTreeMap<String, String>;

/// `metadata` of any object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectMeta {
    /// `metadata.name`.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// `metadata.namespace` (empty when unset; conversion defaults pods to `default`).
    #[serde(deserialize_with = "null_default")]
    pub namespace: String,
    /// `metadata.labels`.
    #[serde(deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    #[serde(deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, String>,
    /// `metadata.deletionTimestamp` as written; set means the object is terminating.
    pub deletion_timestamp: Option<String>,
    /// `metadata.uid`.
    #[serde(deserialize_with = "null_default")]
    pub uid: String,
    /// `metadata.ownerReferences`.
    #[serde(deserialize_with = "null_default")]
    pub owner_references: Vec<super::meta::OwnerReference>,
}

// ---------------------------------------------------------------------------------------------
// Node

/// A v1 `Node`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Node {
    /// `apiVersion` (normally `v1`).
    #[serde(deserialize_with = "null_default")]
    pub api_version: String,
    /// `kind` (`Node`).
    #[serde(deserialize_with = "null_default")]
    pub kind: String,
    /// `metadata`.
    #[serde(deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// `spec`.
    #[serde(deserialize_with = "null_default")]
    pub spec: NodeSpec,
    /// `status`.
    #[serde(deserialize_with = "null_default")]
    pub status: NodeStatus,
}

/// `Node.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeSpec {
    /// `spec.taints`.
    #[serde(deserialize_with = "null_default")]
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    #[serde(deserialize_with = "null_default")]
    pub unschedulable: bool,
}

/// One entry of `Node.spec.taints`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Taint {
    /// `key`.
    #[serde(deserialize_with = "null_default")]
    pub key: String,
    /// `value` (may be empty).
    #[serde(deserialize_with = "null_default")]
    pub value: String,
    /// `effect` as written (`NoSchedule`, `PreferNoSchedule`, `NoExecute`).
    #[serde(deserialize_with = "null_default")]
    pub effect: String,
}

/// `Node.status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeStatus {
    /// `status.capacity`.
    #[serde(deserialize_with = "resource_list")]
    pub capacity: ResourceList,
    /// `status.allocatable`; `None` when absent (the API server then copies `capacity`), which is
    /// not the same as an empty map.
    #[serde(deserialize_with = "opt_resource_list")]
    pub allocatable: Option<ResourceList>,
    /// `status.images`.
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<ContainerImage>,
}

/// One entry of `Node.status.images`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerImage {
    /// Every name the image is known by, as written.
    #[serde(deserialize_with = "null_default")]
    pub names: Vec<String>,
    /// `sizeBytes`.
    #[serde(deserialize_with = "null_default")]
    pub size_bytes: i64,
}

// ---------------------------------------------------------------------------------------------
// Pod

/// A v1 `Pod`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Pod {
    /// `apiVersion` (normally `v1`).
    #[serde(deserialize_with = "null_default")]
    pub api_version: String,
    /// `kind` (`Pod`).
    #[serde(deserialize_with = "null_default")]
    pub kind: String,
    /// `metadata`.
    #[serde(deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// `spec`.
    #[serde(deserialize_with = "null_default")]
    pub spec: PodSpec,
    /// `status`.
    #[serde(deserialize_with = "null_default")]
    pub status: PodStatus,
}

/// `Pod.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    /// `spec.containers`.
    #[serde(deserialize_with = "null_default")]
    pub containers: Vec<Container>,
    /// `spec.initContainers` (an entry with `restartPolicy: Always` is a sidecar).
    #[serde(deserialize_with = "null_default")]
    pub init_containers: Vec<Container>,
    /// `spec.overhead` (as RuntimeClass admission would have set it).
    #[serde(deserialize_with = "resource_list")]
    pub overhead: ResourceList,
    /// `spec.resources`: pod-level requests and limits (PodLevelResources).
    pub resources: Option<ResourceRequirements>,
    /// `spec.nodeName`; non-empty means the pod is already bound.
    #[serde(deserialize_with = "null_default")]
    pub node_name: String,
    /// `spec.hostNetwork`.
    #[serde(deserialize_with = "null_default")]
    pub host_network: bool,
    /// `spec.restartPolicy` as written (`Always`, `OnFailure`, `Never`).
    #[serde(deserialize_with = "null_default")]
    pub restart_policy: String,
    /// `spec.nodeSelector`.
    #[serde(deserialize_with = "null_default")]
    pub node_selector: BTreeMap<String, String>,
    /// `spec.affinity`.
    pub affinity: Option<Affinity>,
    /// `spec.tolerations`.
    #[serde(deserialize_with = "null_default")]
    pub tolerations: Vec<Toleration>,
    /// `spec.priority`, when already resolved.
    pub priority: Option<i32>,
    /// `spec.priorityClassName`.
    #[serde(deserialize_with = "null_default")]
    pub priority_class_name: String,
    /// `spec.runtimeClassName` (RuntimeClass admission reads the class).
    #[serde(deserialize_with = "null_default")]
    pub runtime_class_name: String,
    /// `preemptionPolicy` (`PreemptLowerPriority` or `Never`); priority admission copies the
    /// class's policy when unset.
    pub preemption_policy: Option<String>,
    /// `terminationGracePeriodSeconds` (default 30).
    pub termination_grace_period_seconds: Option<i64>,
    /// `spec.schedulerName` (empty when unset; conversion defaults it to `default-scheduler`).
    #[serde(deserialize_with = "null_default")]
    pub scheduler_name: String,
    /// `spec.schedulingGates`.
    #[serde(deserialize_with = "null_default")]
    pub scheduling_gates: Vec<PodSchedulingGate>,
    /// `spec.topologySpreadConstraints`.
    #[serde(deserialize_with = "null_default")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// `volumes`: only whether they claim storage is read (capsim models no volumes).
    #[serde(deserialize_with = "null_default")]
    pub volumes: Vec<Volume>,
    /// `resourceClaims` (DRA): only their names are read (capsim models no claims).
    #[serde(deserialize_with = "null_default")]
    pub resource_claims: Vec<PodResourceClaim>,
}

/// A container or init container.
/// A pod volume; only the kinds that need volume scheduling are read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Volume {
    /// Volume name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// A PersistentVolumeClaim source (`claimName`), kept untyped.
    pub persistent_volume_claim: Option<serde_json::Value>,
    /// A generic ephemeral volume (creates a PVC), kept untyped.
    pub ephemeral: Option<serde_json::Value>,
}

/// A `spec.resourceClaims` entry (DRA).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodResourceClaim {
    /// Claim name inside the pod.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    /// `name`.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// `image` as written.
    #[serde(deserialize_with = "null_default")]
    pub image: String,
    /// `resources`.
    #[serde(deserialize_with = "null_default")]
    pub resources: ResourceRequirements,
    /// `ports`.
    #[serde(deserialize_with = "null_default")]
    pub ports: Vec<ContainerPort>,
    /// `restartPolicy` (only `Always`, on init containers, is meaningful: a sidecar).
    pub restart_policy: Option<String>,
}

/// `resources` of a container or of the pod: requests and limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceRequirements {
    /// `requests`.
    #[serde(deserialize_with = "resource_list")]
    pub requests: ResourceList,
    /// `limits`.
    #[serde(deserialize_with = "resource_list")]
    pub limits: ResourceList,
}

/// One entry of a container's `ports`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPort {
    /// `containerPort`.
    #[serde(deserialize_with = "null_default")]
    pub container_port: i32,
    /// `hostPort` (0 = none).
    #[serde(deserialize_with = "null_default")]
    pub host_port: i32,
    /// `protocol` (empty = `TCP`).
    #[serde(deserialize_with = "null_default")]
    pub protocol: String,
    /// `hostIP` (empty = `0.0.0.0`).
    #[serde(rename = "hostIP", deserialize_with = "null_default")]
    pub host_ip: String,
}

/// `spec.affinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Affinity {
    /// `nodeAffinity`.
    pub node_affinity: Option<NodeAffinity>,
    /// `podAffinity`.
    pub pod_affinity: Option<PodAffinity>,
    /// `podAntiAffinity` (same shape as `podAffinity`).
    pub pod_anti_affinity: Option<PodAffinity>,
}

/// `spec.affinity.nodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    #[serde(deserialize_with = "null_default")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// A required node selector: its terms are ORed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeSelector {
    /// `nodeSelectorTerms`.
    #[serde(deserialize_with = "null_default")]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// One node selector term: its requirements are ANDed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeSelectorTerm {
    /// `matchExpressions` (on node labels).
    #[serde(deserialize_with = "null_default")]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// `matchFields` (on node fields; only `metadata.name`).
    #[serde(deserialize_with = "null_default")]
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// One `matchExpressions` / `matchFields` entry of a node selector term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeSelectorRequirement {
    /// `key`.
    #[serde(deserialize_with = "null_default")]
    pub key: String,
    /// `operator` as written (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`).
    #[serde(deserialize_with = "null_default")]
    pub operator: String,
    /// `values`.
    #[serde(deserialize_with = "null_default")]
    pub values: Vec<String>,
}

/// A weighted preferred node selector term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PreferredSchedulingTerm {
    /// `weight` (1..=100).
    #[serde(deserialize_with = "null_default")]
    pub weight: i32,
    /// `preference`.
    #[serde(deserialize_with = "null_default")]
    pub preference: NodeSelectorTerm,
}

/// `spec.affinity.podAffinity` or `spec.affinity.podAntiAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    #[serde(deserialize_with = "null_default")]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    #[serde(deserialize_with = "null_default")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// One pod (anti-)affinity term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodAffinityTerm {
    /// `labelSelector` (`None` matches no pods).
    pub label_selector: Option<LabelSelector>,
    /// `namespaces` (empty with no `namespaceSelector` = the pod's own namespace).
    #[serde(deserialize_with = "null_default")]
    pub namespaces: Vec<String>,
    /// `namespaceSelector` (`Some` of an empty selector = every namespace).
    pub namespace_selector: Option<LabelSelector>,
    /// `topologyKey`.
    #[serde(deserialize_with = "null_default")]
    pub topology_key: String,
    /// `matchLabelKeys`.
    #[serde(deserialize_with = "null_default")]
    pub match_label_keys: Vec<String>,
    /// `mismatchLabelKeys`.
    #[serde(deserialize_with = "null_default")]
    pub mismatch_label_keys: Vec<String>,
}

/// A weighted preferred pod (anti-)affinity term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WeightedPodAffinityTerm {
    /// `weight` (1..=100).
    #[serde(deserialize_with = "null_default")]
    pub weight: i32,
    /// `podAffinityTerm`.
    #[serde(deserialize_with = "null_default")]
    pub pod_affinity_term: PodAffinityTerm,
}

/// A `metav1.LabelSelector`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelector {
    /// `matchLabels`.
    #[serde(deserialize_with = "null_default")]
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    #[serde(deserialize_with = "null_default")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One `matchExpressions` entry of a label selector.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    /// `key`.
    #[serde(deserialize_with = "null_default")]
    pub key: String,
    /// `operator` as written (`In`, `NotIn`, `Exists`, `DoesNotExist`).
    #[serde(deserialize_with = "null_default")]
    pub operator: String,
    /// `values`.
    #[serde(deserialize_with = "null_default")]
    pub values: Vec<String>,
}

/// One entry of `spec.tolerations`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Toleration {
    /// `key` (empty with `Exists` tolerates every key).
    #[serde(deserialize_with = "null_default")]
    pub key: String,
    /// `operator` as written (`Equal`, `Exists`; empty = `Equal`).
    #[serde(deserialize_with = "null_default")]
    pub operator: String,
    /// `value`.
    #[serde(deserialize_with = "null_default")]
    pub value: String,
    /// `effect` as written (empty = every effect).
    #[serde(deserialize_with = "null_default")]
    pub effect: String,
    /// `tolerationSeconds`.
    pub toleration_seconds: Option<i64>,
}

/// One entry of `spec.schedulingGates`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSchedulingGate {
    /// `name`.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
}

/// One entry of `spec.topologySpreadConstraints`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopologySpreadConstraint {
    /// `maxSkew`.
    #[serde(deserialize_with = "null_default")]
    pub max_skew: i32,
    /// `topologyKey`.
    #[serde(deserialize_with = "null_default")]
    pub topology_key: String,
    /// `whenUnsatisfiable` as written (`DoNotSchedule`, `ScheduleAnyway`).
    #[serde(deserialize_with = "null_default")]
    pub when_unsatisfiable: String,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelector>,
    /// `minDomains`.
    pub min_domains: Option<i32>,
    /// `nodeAffinityPolicy` as written (`Honor`, `Ignore`).
    pub node_affinity_policy: Option<String>,
    /// `nodeTaintsPolicy` as written (`Honor`, `Ignore`).
    pub node_taints_policy: Option<String>,
    /// `matchLabelKeys`.
    #[serde(deserialize_with = "null_default")]
    pub match_label_keys: Vec<String>,
}

/// `Pod.status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodStatus {
    /// `phase` (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`; empty when unset).
    #[serde(deserialize_with = "null_default")]
    pub phase: String,
}

// ---------------------------------------------------------------------------------------------
// PriorityClass

/// A `scheduling.k8s.io/v1` `PriorityClass`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PriorityClass {
    /// `apiVersion` (normally `scheduling.k8s.io/v1`).
    #[serde(deserialize_with = "null_default")]
    pub api_version: String,
    /// `kind` (`PriorityClass`).
    #[serde(deserialize_with = "null_default")]
    pub kind: String,
    /// `metadata` (the class name is `metadata.name`).
    #[serde(deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// `value`: the priority pods of this class get.
    #[serde(deserialize_with = "null_default")]
    pub value: i32,
    /// `globalDefault`: pods naming no class get this one.
    #[serde(deserialize_with = "null_default")]
    pub global_default: bool,
    /// `preemptionPolicy` as written (`PreemptLowerPriority`, `Never`).
    pub preemption_policy: Option<String>,
    /// `description`.
    #[serde(deserialize_with = "null_default")]
    pub description: String,
}

// ---------------------------------------------------------------------------------------------
// KubeObject

/// One object of a manifest file, dispatched on `kind`.
///
/// `apiVersion` and `kind` are normally the first keys of an object; then the rest of the object
/// is deserialized straight into the typed struct, so errors keep their exact line and field
/// path. When other keys come first, they are buffered (untyped) until `kind` is seen.
#[derive(Clone, Debug, PartialEq)]
pub enum KubeObject {
    /// `kind: Node`.
    Node(Box<Node>),
    /// `kind: Pod`.
    Pod(Box<Pod>),
    /// `kind: PriorityClass`.
    PriorityClass(PriorityClass),
    /// `kind: DaemonSet`.
    DaemonSet(Box<super::workloads::DaemonSet>),
    /// `kind: Deployment`.
    Deployment(Box<super::workloads::Deployment>),
    /// `kind: ReplicaSet`.
    ReplicaSet(Box<super::workloads::Deployment>),
    /// `kind: Job`.
    Job(Box<super::workloads::Job>),
    /// `kind: List` (what `kubectl get -o yaml` writes) or any `*List` kind (`NodeList`,
    /// `PodList`, ...): its `items`, each with the line it starts on.
    /// [`crate::api::yaml::read_objects`] expands these into their items.
    List(Vec<Located<KubeObject>>),
    /// Any other kind (KubeSchedulerConfiguration, Deployment, Service, ...), kept untyped for
    /// readers that handle it later.
    Other {
        /// `apiVersion`.
        api_version: String,
        /// `kind`.
        kind: String,
        /// The whole object (including `apiVersion` and `kind`) as an untyped value.
        value: serde_json::Value,
    },
}

impl KubeObject {
    /// The object's `kind` (`List` for every list kind).
    pub fn kind(&self) -> &str {
        match self {
            KubeObject::Node(_) => "Node",
            KubeObject::Pod(_) => "Pod",
            KubeObject::PriorityClass(_) => "PriorityClass",
            KubeObject::DaemonSet(_) => "DaemonSet",
            KubeObject::Deployment(_) => "Deployment",
            KubeObject::ReplicaSet(_) => "ReplicaSet",
            KubeObject::Job(_) => "Job",
            KubeObject::List(_) => "List",
            KubeObject::Other { kind, .. } => kind,
        }
    }
}

/// Whether `kind` is a list kind whose `items` are expanded (`List`, `NodeList`, `PodList`, ...).
pub fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

impl<'de> Deserialize<'de> for KubeObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(KubeObjectVisitor)
    }
}

struct KubeObjectVisitor;

impl<'de> Visitor<'de> for KubeObjectVisitor {
    type Value = KubeObject;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object (a mapping with `apiVersion` and `kind`)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KubeObject, A::Error> {
        let mut api_version: Option<String> = None;
        let mut buffered: Vec<(String, serde_json::Value)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "apiVersion" if api_version.is_none() => api_version = Some(map.next_value()?),
                "kind" => {
                    let kind: String = map.next_value()?;
                    let rest = ChainMap { buffered: buffered.into_iter(), pending: None, tail: map };
                    return finish_object(kind, api_version, rest);
                }
                _ => buffered.push((key, map.next_value()?)),
            }
        }
        Err(de::Error::missing_field("kind"))
    }
}

/// Deserializes the rest of an object (everything but `apiVersion` and `kind`) by kind.
fn finish_object<'de, A: MapAccess<'de>>(
    kind: String,
    api_version: Option<String>,
    rest: A,
) -> Result<KubeObject, A::Error> {
    let api_version = api_version.unwrap_or_default();
    let rest = MapAccessDeserializer::new(rest);
    Ok(match kind.as_str() {
        "Node" => {
            let mut n = Node::deserialize(rest)?;
            fill_header(&mut n.api_version, &mut n.kind, api_version, kind);
            KubeObject::Node(Box::new(n))
        }
        "Pod" => {
            let mut p = Pod::deserialize(rest)?;
            fill_header(&mut p.api_version, &mut p.kind, api_version, kind);
            KubeObject::Pod(Box::new(p))
        }
        "PriorityClass" => {
            let mut pc = PriorityClass::deserialize(rest)?;
            fill_header(&mut pc.api_version, &mut pc.kind, api_version, kind);
            KubeObject::PriorityClass(pc)
        }
        "DaemonSet" => KubeObject::DaemonSet(Box::new(super::workloads::DaemonSet::deserialize(rest)?)),
        "Deployment" => KubeObject::Deployment(Box::new(super::workloads::Deployment::deserialize(rest)?)),
        "ReplicaSet" => KubeObject::ReplicaSet(Box::new(super::workloads::Deployment::deserialize(rest)?)),
        "Job" => KubeObject::Job(Box::new(super::workloads::Job::deserialize(rest)?)),
        k if is_list_kind(k) => KubeObject::List(ListBody::deserialize(rest)?.items.0),
        _ => {
            let mut value = serde_json::Map::<String, serde_json::Value>::deserialize(rest)?;
            // `apiVersion` may have come after `kind`.
            let api_version = match value.get("apiVersion").and_then(|v| v.as_str()) {
                Some(v) if api_version.is_empty() => v.to_string(),
                _ => api_version,
            };
            value.insert("apiVersion".into(), api_version.clone().into());
            value.insert("kind".into(), kind.clone().into());
            KubeObject::Other { api_version, kind, value: serde_json::Value::Object(value) }
        }
    })
}

/// Sets the typed struct's `apiVersion`/`kind` from the keys read before the body, unless the
/// body itself carried `apiVersion` (written after `kind`).
fn fill_header(api_field: &mut String, kind_field: &mut String, api_version: String, kind: String) {
    if api_field.is_empty() {
        *api_field = api_version;
    }
    *kind_field = kind;
}

/// The body of a `List` after `apiVersion` and `kind`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListBody {
    items: ListItems,
}

/// `items` of a `List`, each with its line (from serde-saphyr's span; 0 for other deserializers).
#[derive(Default)]
struct ListItems(Vec<Located<KubeObject>>);

impl<'de> Deserialize<'de> for ListItems {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = ListItems;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence of Kubernetes objects")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ListItems, E> {
                Ok(ListItems(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<ListItems, E> {
                Ok(ListItems(Vec::new()))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<ListItems, S::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<serde_saphyr::Spanned<KubeObject>>()? {
                    let line = item.referenced.line() as usize;
                    items.push(Located { line, value: item.value });
                }
                Ok(ListItems(items))
            }
        }
        deserializer.deserialize_seq(ItemsVisitor)
    }
}

/// A `MapAccess` that first replays buffered (untyped) entries, then continues with the rest of
/// the underlying map.
struct ChainMap<A> {
    buffered: std::vec::IntoIter<(String, serde_json::Value)>,
    pending: Option<(String, serde_json::Value)>,
    tail: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ChainMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.buffered.next() {
            let k = seed.deserialize(key.clone().into_deserializer())?;
            self.pending = Some((key, value));
            return Ok(Some(k));
        }
        self.tail.next_key_seed(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.pending.take() {
            Some((key, value)) => {
                // Errors here have no location of their own: the path below `key` is noted
                // for the YAML reader to place them.
                let mut track = serde_path_to_error::Track::new();
                seed.deserialize(serde_path_to_error::Deserializer::new(value, &mut track)).map_err(|e| {
                    super::yaml::note_buffered_error(&key, &track.path());
                    de::Error::custom(e)
                })
            }
            None => self.tail.next_value_seed(seed),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Field helpers

/// Deserializes `T`, taking an explicit `null` as `T::default()` (as Go's JSON decoding leaves a
/// field at its zero value).
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A quantity as written: a string, or a number kept as its decimal text.
struct QuantityText(String);

impl<'de> Deserialize<'de> for QuantityText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = QuantityText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity (a string such as \"500m\" or \"2Gi\", or a number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<QuantityText, E> {
                Ok(QuantityText(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<QuantityText, E> {
                if v.is_finite() {
                    Ok(QuantityText(v.to_string()))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Deserializes a resource list whose values may be strings or numbers; `null` = empty.
fn resource_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ResourceList, D::Error> {
    Ok(opt_resource_list(deserializer)?.unwrap_or_default())
}

/// Like [`resource_list`], but keeps "absent or null" (`None`) apart from "empty" (`Some({})`).
fn opt_resource_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ResourceList>, D::Error> {
    let m = Option::<BTreeMap<String, QuantityText>>::deserialize(deserializer)?;
    Ok(m.map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect()))
}
