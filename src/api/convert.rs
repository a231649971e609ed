//! Conversion of API objects into the compact [`crate::model`], with the API server's defaulting
//! (core/v1) applied on the way:
//!
//! - a container's limits are copied into its requests for every resource it does not request;
//! - pod-level `resources.limits` are copied into missing pod-level requests;
//! - the namespace defaults to `default`, `spec.schedulerName` to `default-scheduler`;
//! - a Node without `status.allocatable` gets a copy of `status.capacity`;
//! - `spec.priorityClassName` is resolved into the priority (priority admission).
//!
//! Quantities become integers: cpu through `MilliValue()` (millicores), every other resource
//! through `Value()`, both rounding up.

use std::collections::BTreeMap;
use std::path::Path;

use super::objects as api;
use super::quantity::Quantity;
use crate::error::InputError;
use crate::model;
use crate::model::resources::is_milli_resource;
use crate::names::DEFAULT_SCHEDULER_NAME;

/// Default namespace of a pod.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Priority of the built-in classes `system-cluster-critical` (2000000000) and
/// `system-node-critical` (2000001000); `None` for any other name.
pub fn builtin_priority(class_name: &str) -> Option<i32> {
    match class_name {
        "system-cluster-critical" => Some(2_000_000_000),
        "system-node-critical" => Some(2_000_001_000),
        _ => None,
    }
}

/// Converts an API Node into the model.
///
/// `path` and `line` (where the object starts) are used in errors.
///
/// # Errors
/// [`InputError::Field`] for a malformed quantity (e.g. `status.allocatable.cpu`) or an unknown
/// taint effect (`spec.taints[0].effect`).
pub fn node_to_model(n: &api::Node, path: &Path, line: usize) -> Result<model::Node, InputError> {
    let ctx = Ctx { path, line };
    let taints = n
        .spec
        .taints
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(model::Taint {
                key: t.key.clone(),
                value: t.value.clone(),
                effect: ctx.taint_effect(&t.effect, &format!("spec.taints[{i}].effect"))?,
            })
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    let capacity = ctx.resources(&n.status.capacity, "status.capacity")?;
    let allocatable = match &n.status.allocatable {
        Some(a) => ctx.resources(a, "status.allocatable")?,
        None => capacity.clone(),
    };
    let images = n
        .status
        .images
        .iter()
        .map(|img| model::ContainerImage {
            // Kept as reported: the scheduler cache does not normalise node image names.
            names: img.names.clone(),
            size_bytes: img.size_bytes,
        })
        .collect();
    Ok(model::Node {
        name: n.metadata.name.clone(),
        labels: n.metadata.labels.clone(),
        taints,
        unschedulable: n.spec.unschedulable,
        allocatable,
        capacity,
        images,
    })
}

/// Converts an API Pod into the model, applying API defaulting and resolving the priority.
///
/// The priority is `spec.priority` when set. Otherwise `priority_of` is asked for the value of
/// `spec.priorityClassName`; for a pod naming no class it is asked for `""`, and may answer with
/// the `globalDefault` class's value (or `None`, giving 0). A named class that `priority_of` does
/// not know falls back to the built-in classes ([`builtin_priority`]), and is an error otherwise.
///
/// `path` and `line` (where the object starts) are used in errors.
///
/// # Errors
/// [`InputError::Field`] for a malformed quantity (e.g.
/// `spec.containers[0].resources.requests.cpu`), an unknown operator or effect in tolerations or
/// node affinity, or an unknown priority class.
pub fn pod_to_model(
    p: &api::Pod,
    path: &Path,
    line: usize,
    priority_of: impl Fn(&str) -> Option<i32>,
) -> Result<model::Pod, InputError> {
    let ctx = Ctx { path, line };
    let spec = &p.spec;

    let containers = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| ctx.container(c, &format!("spec.containers[{i}]"), false))
        .collect::<Result<Vec<_>, _>>()?;
    let init_containers = spec
        .init_containers
        .iter()
        .enumerate()
        .map(|(i, c)| ctx.container(c, &format!("spec.initContainers[{i}]"), true))
        .collect::<Result<Vec<_>, _>>()?;
    let overhead = ctx.resources(&spec.overhead, "spec.overhead")?;

    // Pod-level resources (PodLevelResources): only cpu, memory and hugepages-* are supported at
    // pod level. API defaulting (`defaultPodRequests`), which applies when pod-level limits are
    // set: a missing cpu/memory request becomes the containers' aggregate request when some
    // container requests that resource, and any request still missing becomes the pod-level limit.
    let (mut pod_level_requests, mut pod_level_limits) = (BTreeMap::new(), BTreeMap::new());
    if let Some(r) = &spec.resources {
        let requests = ctx.resources(&r.requests, "spec.resources.requests")?;
        let limits = ctx.resources(&r.limits, "spec.resources.limits")?;
        let supported = |name: &str| {
            name == model::resources::CPU
                || name == model::resources::MEMORY
                || name.starts_with("hugepages-")
        };
        for name in r.requests.keys().filter(|n| supported(n)) {
            pod_level_requests.insert(name.clone(), requests.get(name));
        }
        for name in r.limits.keys().filter(|n| supported(n)) {
            pod_level_limits.insert(name.clone(), limits.get(name));
        }
        if !r.limits.is_empty() {
            let mut scratch = model::simple_pod("", model::Resources::default());
            scratch.containers = containers.clone();
            scratch.init_containers = init_containers.clone();
            let aggregate = scratch.aggregate_container_requests(false);
            let all = containers.iter().chain(&init_containers);
            for (name, has) in [
                (model::resources::CPU, all.clone().any(|c| c.has_cpu_request)),
                (model::resources::MEMORY, all.clone().any(|c| c.has_memory_request)),
            ] {
                if has && !pod_level_requests.contains_key(name) {
                    pod_level_requests.insert(name.to_string(), aggregate.get(name));
                }
            }
            for (name, v) in &pod_level_limits {
                pod_level_requests.entry(name.clone()).or_insert(*v);
            }
        }
    }

    let tolerations = spec
        .tolerations
        .iter()
        .enumerate()
        .map(|(i, t)| ctx.toleration(t, &format!("spec.tolerations[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;

    let node_affinity = match spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()) {
        Some(na) => Some(ctx.node_affinity(na, "spec.affinity.nodeAffinity")?),
        None => None,
    };

    let labels = &p.metadata.labels;
    let (pod_affinity, pod_anti_affinity) = match &spec.affinity {
        None => (None, None),
        Some(a) => (
            a.pod_affinity
                .as_ref()
                .map(|pa| ctx.pod_affinity(pa, labels, "spec.affinity.podAffinity"))
                .transpose()?,
            a.pod_anti_affinity
                .as_ref()
                .map(|pa| ctx.pod_affinity(pa, labels, "spec.affinity.podAntiAffinity"))
                .transpose()?,
        ),
    };
    let topology_spread_constraints = spec
        .topology_spread_constraints
        .iter()
        .enumerate()
        .map(|(i, c)| ctx.spread_constraint(c, labels, &format!("spec.topologySpreadConstraints[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;

    let priority = match spec.priority {
        Some(v) => v,
        None if spec.priority_class_name.is_empty() => priority_of("").unwrap_or(0),
        None => {
            let name = spec.priority_class_name.as_str();
            priority_of(name).or_else(|| builtin_priority(name)).ok_or_else(|| {
                ctx.field_error(
                    "spec.priorityClassName",
                    format!(
                        "no PriorityClass named {name:?}; define it in the input or use a built-in class"
                    ),
                )
            })?
        }
    };

    let mut pod = model::Pod {
        namespace: if p.metadata.namespace.is_empty() {
            DEFAULT_NAMESPACE.to_string()
        } else {
            p.metadata.namespace.clone()
        },
        name: p.metadata.name.clone(),
        labels: p.metadata.labels.clone(),
        priority,
        priority_class_name: spec.priority_class_name.clone(),
        preemption_policy: match spec.preemption_policy.as_deref() {
            None | Some("PreemptLowerPriority") => model::PreemptionPolicy::PreemptLowerPriority,
            Some("Never") => model::PreemptionPolicy::Never,
            Some(other) => {
                return Err(ctx.field_error(
                    "spec.preemptionPolicy",
                    format!("{other:?}: expected PreemptLowerPriority or Never"),
                ));
            }
        },
        termination_grace_period_s: match spec.termination_grace_period_seconds {
            None => model::pod::DEFAULT_TERMINATION_GRACE_PERIOD_S,
            Some(s) if s >= 0 => s,
            Some(s) => {
                return Err(ctx.field_error(
                    "spec.terminationGracePeriodSeconds",
                    format!("{s}: must be greater than or equal to 0"),
                ));
            }
        },
        scheduler_name: if spec.scheduler_name.is_empty() {
            DEFAULT_SCHEDULER_NAME.to_string()
        } else {
            spec.scheduler_name.clone()
        },
        node_name: if spec.node_name.is_empty() { None } else { Some(spec.node_name.clone()) },
        node_selector: spec.node_selector.clone(),
        node_affinity,
        tolerations,
        containers,
        init_containers,
        overhead,
        pod_level_requests,
        pod_level_limits,
        scheduling_gates: spec.scheduling_gates.iter().map(|g| g.name.clone()).collect(),
        pod_affinity,
        pod_anti_affinity,
        topology_spread_constraints,
        claimed_volumes: spec
            .volumes
            .iter()
            .filter(|v| v.persistent_volume_claim.is_some() || v.ephemeral.is_some())
            .map(|v| v.name.clone())
            .collect(),
        resource_claims: spec.resource_claims.iter().map(|c| c.name.clone()).collect(),
        terminating: p.metadata.deletion_timestamp.is_some(),
        owner: None,
        deletion_cost: match p.metadata.annotations.get(ANNOTATION_DELETION_COST) {
            None => 0,
            Some(v) => v.trim().parse::<i32>().map_err(|_| {
                ctx.field_error(
                    &format!("metadata.annotations.{ANNOTATION_DELETION_COST}"),
                    format!("{v:?}: must be a 32-bit integer"),
                )
            })?,
        },
        mirror: p.metadata.annotations.contains_key(ANNOTATION_MIRROR),
        host_network: spec.host_network,
        restart_policy: match spec.restart_policy.as_str() {
            "" | "Always" => model::pod::RestartPolicy::Always,
            "OnFailure" => model::pod::RestartPolicy::OnFailure,
            "Never" => model::pod::RestartPolicy::Never,
            other => {
                return Err(ctx.field_error(
                    "spec.restartPolicy",
                    format!("{other:?}: expected Always, OnFailure or Never"),
                ));
            }
        },
        gpu_share: gpu_share(&p.metadata.annotations, &ctx)?,
        requests: model::Resources::default(),
        non_zero_requests: model::Resources::default(),
    };
    pod.refresh_requests();
    Ok(pod)
}

/// A pod's GPU-sharing request from its annotations (`alibabacloud.com/gpu-milli` 1..=1000,
/// `alibabacloud.com/gpu-count` ≥ 1 (default 1), `alibabacloud.com/gpu-card-model` `A|B`), as
/// the FGD paper's simulator reads them; `None` without `gpu-milli`.
fn gpu_share(
    annotations: &BTreeMap<String, String>,
    ctx: &Ctx,
) -> Result<Option<model::gpu::GpuShare>, InputError> {
    use model::gpu::{ANNOTATION_GPU_COUNT, ANNOTATION_GPU_MILLI, GPU_MODEL_KEY};
    let Some(milli) = annotations.get(ANNOTATION_GPU_MILLI) else { return Ok(None) };
    let field = |k: &str| format!("metadata.annotations.{k}");
    let milli: u32 = milli.trim().parse().ok().filter(|m| (1..=1000).contains(m)).ok_or_else(|| {
        ctx.field_error(&field(ANNOTATION_GPU_MILLI), format!("{milli:?}: expected milli-GPU in 1..=1000"))
    })?;
    let count: u32 = match annotations.get(ANNOTATION_GPU_COUNT) {
        None => 1,
        Some(c) => c.trim().parse().ok().filter(|c| (1..=255).contains(c)).ok_or_else(|| {
            ctx.field_error(&field(ANNOTATION_GPU_COUNT), format!("{c:?}: expected a GPU count in 1..=255"))
        })?,
    };
    if milli < 1000 && count > 1 {
        return Err(ctx.field_error(
            &field(ANNOTATION_GPU_COUNT),
            format!("{count}: a pod sharing a GPU ({ANNOTATION_GPU_MILLI} {milli} < 1000) asks for one GPU"),
        ));
    }
    let models = annotations
        .get(GPU_MODEL_KEY)
        .map(|m| m.split('|').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    Ok(Some(model::gpu::GpuShare { count, milli, models }))
}

/// Annotation with a pod's deletion cost (ReplicaSet scale-down order).
pub const ANNOTATION_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// Annotation the kubelet puts on the mirror pod of a static pod.
pub const ANNOTATION_MIRROR: &str = "kubernetes.io/config.mirror";

/// The largest value of a user-defined PriorityClass (`HighestUserDefinablePriority`).
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;

/// PriorityClasses known to priority admission: the ones declared plus the built-in
/// `system-cluster-critical` / `system-node-critical`, and at most one `globalDefault`.
#[derive(Clone, Debug, Default)]
pub struct PriorityClasses {
    classes: BTreeMap<String, i32>,
    policies: BTreeMap<String, String>,
    global_default: Option<(String, i32)>,
}

impl PriorityClasses {
    /// Declares a PriorityClass, validated as the API server does.
    ///
    /// # Errors
    /// A duplicate name, a second `globalDefault`, or a value above 1000000000 for a class whose
    /// name does not start with `system-`.
    pub fn add(&mut self, pc: &api::PriorityClass, path: &Path, line: usize) -> Result<(), InputError> {
        let ctx = Ctx { path, line };
        let name = &pc.metadata.name;
        if name.is_empty() {
            return Err(
                ctx.field_error("metadata.name", "Required value: a PriorityClass needs a name".into())
            );
        }
        if self.classes.contains_key(name) || builtin_priority(name).is_some() {
            return Err(ctx.field_error("metadata.name", format!("PriorityClass {name:?} is defined twice")));
        }
        if pc.value > HIGHEST_USER_DEFINABLE_PRIORITY && !name.starts_with("system-") {
            return Err(ctx.field_error(
                "value",
                format!(
                    "{}: must not exceed {HIGHEST_USER_DEFINABLE_PRIORITY} for a user-defined class",
                    pc.value
                ),
            ));
        }
        if pc.global_default {
            if let Some((other, _)) = &self.global_default {
                return Err(ctx.field_error(
                    "globalDefault",
                    format!("PriorityClass {other:?} is already the global default; only one may be"),
                ));
            }
            self.global_default = Some((name.clone(), pc.value));
        }
        if let Some(policy) = &pc.preemption_policy {
            if !matches!(policy.as_str(), "PreemptLowerPriority" | "Never") {
                return Err(ctx.field_error(
                    "preemptionPolicy",
                    format!("{policy:?}: expected PreemptLowerPriority or Never"),
                ));
            }
            self.policies.insert(name.clone(), policy.clone());
        }
        self.classes.insert(name.clone(), pc.value);
        Ok(())
    }

    /// The `preemptionPolicy` of class `name` (for `""`, of the `globalDefault` class), if set.
    pub fn policy(&self, name: &str) -> Option<&str> {
        let name =
            if name.is_empty() { self.global_default.as_ref().map(|(n, _)| n.as_str())? } else { name };
        self.policies.get(name).map(String::as_str)
    }

    /// Priority admission's copy of the class's `preemptionPolicy` into a pod that sets none.
    pub fn apply_policy(&self, api_pod: &api::Pod, pod: &mut model::Pod) {
        if api_pod.spec.preemption_policy.is_none()
            && self.policy(&api_pod.spec.priority_class_name) == Some("Never")
        {
            pod.preemption_policy = model::PreemptionPolicy::Never;
        }
    }

    /// The name of the `globalDefault` class, if one is declared (priority admission writes it
    /// into pods that name no class).
    pub fn global_default_name(&self) -> Option<&str> {
        self.global_default.as_ref().map(|(n, _)| n.as_str())
    }

    /// The priority of class `name`; for `""` (no class named), the `globalDefault` value.
    pub fn resolve(&self, name: &str) -> Option<i32> {
        if name.is_empty() {
            return self.global_default.as_ref().map(|(_, v)| *v);
        }
        self.classes.get(name).copied().or_else(|| builtin_priority(name))
    }
}

/// API validation a Pod must pass before it can be created (what the API server would reject
/// and [`pod_to_model`] does not check): a name, at least one container.
///
/// # Errors
/// [`InputError::Field`] naming `metadata.name` or `spec.containers`.
pub fn validate_pod(p: &api::Pod, path: &Path, line: usize) -> Result<(), InputError> {
    let ctx = Ctx { path, line };
    if p.metadata.name.is_empty() {
        return Err(ctx.field_error("metadata.name", "Required value: a Pod needs a name".into()));
    }
    if p.spec.containers.is_empty() {
        return Err(
            ctx.field_error("spec.containers", "Required value: a Pod needs at least one container".into())
        );
    }
    Ok(())
}

/// Reads the selector of a Service, ReplicationController, ReplicaSet or StatefulSet kept as an
/// untyped object (`KubeObject::Other`), for PodTopologySpread's system default constraints.
/// Returns `None` for other kinds and for Services without a selector (they select no pods).
///
/// # Errors
/// A selector of the wrong shape or with an unknown operator.
pub fn workload_selector_from_value(
    kind: &str,
    value: &serde_json::Value,
    path: &Path,
    line: usize,
) -> Result<Option<model::WorkloadSelector>, InputError> {
    let ctx = Ctx { path, line };
    let kind = match kind {
        "Service" => model::SelectorKind::Service,
        "ReplicationController" => model::SelectorKind::ReplicationController,
        "ReplicaSet" => model::SelectorKind::ReplicaSet,
        "StatefulSet" => model::SelectorKind::StatefulSet,
        _ => return Ok(None),
    };
    let namespace = value
        .pointer("/metadata/namespace")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_NAMESPACE)
        .to_string();
    let raw = value.pointer("/spec/selector").cloned().unwrap_or(serde_json::Value::Null);
    if raw.is_null() {
        return Ok(None);
    }
    let selector = match kind {
        model::SelectorKind::Service | model::SelectorKind::ReplicationController => {
            let map: BTreeMap<String, String> = serde_json::from_value(raw)
                .map_err(|e| ctx.field_error("spec.selector", format!("expected a map of labels: {e}")))?;
            if map.is_empty() {
                return Ok(None);
            }
            model::LabelSelector { match_labels: map, match_expressions: Vec::new() }
        }
        _ => {
            let sel: api::LabelSelector = serde_json::from_value(raw)
                .map_err(|e| ctx.field_error("spec.selector", format!("expected a label selector: {e}")))?;
            ctx.label_selector(&sel, "spec.selector")?
        }
    };
    Ok(Some(model::WorkloadSelector { kind, namespace, selector }))
}

/// Converts a `PodDisruptionBudget` (`policy/v1`, kept as [`api::KubeObject::Other`]) into the
/// model; `Ok(None)` for any other kind. Reads `metadata.namespace` (default `default`),
/// `metadata.name`, `spec.selector`, `spec.minAvailable` / `spec.maxUnavailable` (an integer or a
/// `"N%"` string), and, when present, `status.disruptionsAllowed` and the pod names of
/// `status.disruptedPods` (DefaultPreemption reads the budget's status as the disruption
/// controller last wrote it; without a status capsim computes it).
///
/// # Errors
/// [`InputError::Field`] as upstream validation rejects the object: both `minAvailable` and
/// `maxUnavailable` set, a value that is neither a non-negative integer nor a percentage up to
/// 100 %, a malformed selector or a non-integer `status.disruptionsAllowed`.
pub fn pdb_from_value(
    kind: &str,
    value: &serde_json::Value,
    path: &Path,
    line: usize,
) -> Result<Option<model::PodDisruptionBudget>, InputError> {
    if kind != "PodDisruptionBudget" {
        return Ok(None);
    }
    let ctx = Ctx { path, line };
    let text = |ptr: &str| value.pointer(ptr).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let namespace =
        Some(text("/metadata/namespace")).filter(|s| !s.is_empty()).unwrap_or(DEFAULT_NAMESPACE.into());
    let int_or_percent = |ptr: &str, field: &str| -> Result<Option<model::IntOrPercent>, InputError> {
        let v = match value.pointer(ptr) {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(v) => v,
        };
        let parsed = match v {
            serde_json::Value::Number(n) => {
                n.as_i64().and_then(|n| i32::try_from(n).ok()).map(model::IntOrPercent::Int)
            }
            serde_json::Value::String(s) => s
                .strip_suffix('%')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<i32>().ok())
                .map(model::IntOrPercent::Percent),
            _ => None,
        };
        match parsed {
            None => Err(ctx.field_error(field, format!("{v}: must be an integer or percentage (e.g '5%')"))),
            Some(model::IntOrPercent::Int(n)) if n < 0 => {
                Err(ctx.field_error(field, format!("{n}: must be greater than or equal to 0")))
            }
            Some(model::IntOrPercent::Percent(p)) if p > 100 => {
                Err(ctx.field_error(field, format!("{v}: must not be greater than 100%")))
            }
            Some(x) => Ok(Some(x)),
        }
    };
    let min_available = int_or_percent("/spec/minAvailable", "spec.minAvailable")?;
    let max_unavailable = int_or_percent("/spec/maxUnavailable", "spec.maxUnavailable")?;
    if min_available.is_some() && max_unavailable.is_some() {
        return Err(ctx.field_error("spec", "minAvailable and maxUnavailable cannot be both set".into()));
    }
    let selector = match value.pointer("/spec/selector") {
        None | Some(serde_json::Value::Null) => None,
        Some(raw) => {
            let sel: api::LabelSelector = serde_json::from_value(raw.clone())
                .map_err(|e| ctx.field_error("spec.selector", format!("expected a label selector: {e}")))?;
            Some(ctx.label_selector(&sel, "spec.selector")?)
        }
    };
    let disruptions_allowed = match value.pointer("/status/disruptionsAllowed") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(v.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(|| {
            ctx.field_error("status.disruptionsAllowed", format!("{v}: expected an integer"))
        })?),
    };
    let disrupted_pods = value
        .pointer("/status/disruptedPods")
        .and_then(|v| v.as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    Ok(Some(model::PodDisruptionBudget {
        namespace,
        name: text("/metadata/name"),
        selector,
        min_available,
        max_unavailable,
        disruptions_allowed,
        disrupted_pods,
    }))
}

/// Converts an API NodeAffinity (a pod's `spec.affinity.nodeAffinity`, or NodeAffinityArgs'
/// `addedAffinity`) into the model, as pod conversion does. `prefix` is its field path, used with
/// `path` and `line` in errors.
///
/// # Errors
/// [`InputError::Field`] for an unknown operator.
pub fn node_affinity_to_model(
    na: &api::NodeAffinity,
    path: &Path,
    line: usize,
    prefix: &str,
) -> Result<model::NodeAffinity, InputError> {
    Ctx { path, line }.node_affinity(na, prefix)
}

/// Where the object being converted comes from, for errors.
struct Ctx<'a> {
    path: &'a Path,
    line: usize,
}

impl Ctx<'_> {
    /// A label selector; unknown operators are errors.
    fn label_selector(
        &self,
        sel: &api::LabelSelector,
        prefix: &str,
    ) -> Result<model::LabelSelector, InputError> {
        let match_expressions = sel
            .match_expressions
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let operator = match r.operator.as_str() {
                    "In" => model::LabelSelectorOperator::In,
                    "NotIn" => model::LabelSelectorOperator::NotIn,
                    "Exists" => model::LabelSelectorOperator::Exists,
                    "DoesNotExist" => model::LabelSelectorOperator::DoesNotExist,
                    other => {
                        return Err(self.field_error(
                            &format!("{prefix}.matchExpressions[{i}].operator"),
                            format!("{other:?}: expected In, NotIn, Exists or DoesNotExist"),
                        ));
                    }
                };
                Ok(model::LabelSelectorRequirement { key: r.key.clone(), operator, values: r.values.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(model::LabelSelector { match_labels: sel.match_labels.clone(), match_expressions })
    }

    /// Merges `matchLabelKeys` (`key In [pod's value]`) and `mismatchLabelKeys` (`key NotIn
    /// [pod's value]`) into a selector, as the API server does; keys the pod lacks are ignored.
    fn merge_label_keys(
        selector: Option<model::LabelSelector>,
        labels: &model::Labels,
        match_keys: &[String],
        mismatch_keys: &[String],
    ) -> Option<model::LabelSelector> {
        if match_keys.is_empty() && mismatch_keys.is_empty() {
            return selector;
        }
        let mut sel = selector?;
        for (keys, operator) in [
            (match_keys, model::LabelSelectorOperator::In),
            (mismatch_keys, model::LabelSelectorOperator::NotIn),
        ] {
            for k in keys {
                if let Some(v) = labels.get(k) {
                    sel.match_expressions.push(model::LabelSelectorRequirement {
                        key: k.clone(),
                        operator,
                        values: vec![v.clone()],
                    });
                }
            }
        }
        Some(sel)
    }

    fn pod_affinity_term(
        &self,
        t: &api::PodAffinityTerm,
        labels: &model::Labels,
        prefix: &str,
    ) -> Result<model::PodAffinityTerm, InputError> {
        let selector = t
            .label_selector
            .as_ref()
            .map(|s| self.label_selector(s, &format!("{prefix}.labelSelector")))
            .transpose()?;
        Ok(model::PodAffinityTerm {
            selector: Self::merge_label_keys(selector, labels, &t.match_label_keys, &t.mismatch_label_keys),
            namespaces: t.namespaces.clone(),
            namespace_selector: t
                .namespace_selector
                .as_ref()
                .map(|s| self.label_selector(s, &format!("{prefix}.namespaceSelector")))
                .transpose()?,
            topology_key: t.topology_key.clone(),
        })
    }

    fn pod_affinity(
        &self,
        a: &api::PodAffinity,
        labels: &model::Labels,
        prefix: &str,
    ) -> Result<model::PodAffinity, InputError> {
        let required = a
            .required_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.pod_affinity_term(
                    t,
                    labels,
                    &format!("{prefix}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let preferred = a
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let at = format!("{prefix}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
                Ok(model::WeightedPodAffinityTerm {
                    weight: w.weight,
                    term: self.pod_affinity_term(
                        &w.pod_affinity_term,
                        labels,
                        &format!("{at}.podAffinityTerm"),
                    )?,
                })
            })
            .collect::<Result<Vec<_>, InputError>>()?;
        Ok(model::PodAffinity { required, preferred })
    }

    fn spread_constraint(
        &self,
        c: &api::TopologySpreadConstraint,
        labels: &model::Labels,
        prefix: &str,
    ) -> Result<model::TopologySpreadConstraint, InputError> {
        let when_unsatisfiable = match c.when_unsatisfiable.as_str() {
            "DoNotSchedule" => model::WhenUnsatisfiable::DoNotSchedule,
            "ScheduleAnyway" => model::WhenUnsatisfiable::ScheduleAnyway,
            other => {
                return Err(self.field_error(
                    &format!("{prefix}.whenUnsatisfiable"),
                    format!("{other:?}: expected DoNotSchedule or ScheduleAnyway"),
                ));
            }
        };
        let policy = |v: &Option<String>, field: &str, default: model::NodeInclusionPolicy| match v.as_deref()
        {
            None => Ok(default),
            Some("Honor") => Ok(model::NodeInclusionPolicy::Honor),
            Some("Ignore") => Ok(model::NodeInclusionPolicy::Ignore),
            Some(other) => Err(self
                .field_error(&format!("{prefix}.{field}"), format!("{other:?}: expected Honor or Ignore"))),
        };
        if c.max_skew < 1 {
            return Err(self.field_error(
                &format!("{prefix}.maxSkew"),
                format!("{}: must be greater than zero", c.max_skew),
            ));
        }
        let selector = c
            .label_selector
            .as_ref()
            .map(|s| self.label_selector(s, &format!("{prefix}.labelSelector")))
            .transpose()?;
        Ok(model::TopologySpreadConstraint {
            max_skew: c.max_skew,
            topology_key: c.topology_key.clone(),
            when_unsatisfiable,
            selector: Self::merge_label_keys(selector, labels, &c.match_label_keys, &[]),
            min_domains: c.min_domains,
            node_affinity_policy: policy(
                &c.node_affinity_policy,
                "nodeAffinityPolicy",
                model::NodeInclusionPolicy::Honor,
            )?,
            node_taints_policy: policy(
                &c.node_taints_policy,
                "nodeTaintsPolicy",
                model::NodeInclusionPolicy::Ignore,
            )?,
        })
    }

    fn field_error(&self, field: &str, message: String) -> InputError {
        InputError::Field {
            path: self.path.to_path_buf(),
            line: self.line,
            field: field.to_string(),
            message,
        }
    }

    /// Parses a resource list; `prefix` is its field path (e.g. `status.allocatable`).
    fn resources(&self, list: &api::ResourceList, prefix: &str) -> Result<model::Resources, InputError> {
        let mut r = model::Resources::default();
        for (name, text) in list {
            let q = Quantity::parse(text).map_err(|e| {
                self.field_error(
                    &format!("{prefix}.{name}"),
                    format!(
                        "invalid quantity {text:?}: expected a number with an optional suffix \
                         (m, k, M, G, Ki, Mi, Gi, ... or an exponent such as 1e3): {e}"
                    ),
                )
            })?;
            if q.is_negative() {
                return Err(self.field_error(
                    &format!("{prefix}.{name}"),
                    format!("invalid quantity {text:?}: must be greater than or equal to 0"),
                ));
            }
            r.set(name, if is_milli_resource(name) { q.milli_value() } else { q.value() });
        }
        Ok(r)
    }

    fn container(
        &self,
        c: &api::Container,
        prefix: &str,
        init: bool,
    ) -> Result<model::Container, InputError> {
        let declared = &c.resources.requests;
        let mut requests = self.resources(declared, &format!("{prefix}.resources.requests"))?;
        let limits = self.resources(&c.resources.limits, &format!("{prefix}.resources.limits"))?;
        // API defaulting: a limit without a request becomes the request.
        for name in c.resources.limits.keys() {
            if !declared.contains_key(name) {
                requests.set(name, limits.get(name));
            }
        }
        // API validation: a request may not exceed its limit.
        for (name, limit) in limits.iter_nonzero() {
            if c.resources.limits.contains_key(name) && requests.get(name) > limit {
                return Err(self.field_error(
                    &format!("{prefix}.resources.requests.{name}"),
                    format!(
                        "{:?}: must be less than or equal to {name} limit of {:?}",
                        declared.get(name).map(String::as_str).unwrap_or(""),
                        c.resources.limits[name]
                    ),
                ));
            }
        }
        let listed = |name: &str| declared.contains_key(name) || c.resources.limits.contains_key(name);
        Ok(model::Container {
            name: c.name.clone(),
            image: c.image.clone(),
            has_cpu_request: listed(model::resources::CPU),
            has_memory_request: listed(model::resources::MEMORY),
            requests,
            limits,
            ports: c
                .ports
                .iter()
                .map(|p| model::ContainerPort {
                    host_port: p.host_port,
                    protocol: p.protocol.clone(),
                    host_ip: p.host_ip.clone(),
                })
                .collect(),
            restart_always: init && c.restart_policy.as_deref() == Some("Always"),
        })
    }

    fn taint_effect(&self, effect: &str, field: &str) -> Result<model::TaintEffect, InputError> {
        match effect {
            "NoSchedule" => Ok(model::TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(model::TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(model::TaintEffect::NoExecute),
            other => Err(self.field_error(
                field,
                format!("unknown effect {other:?}: expected NoSchedule, PreferNoSchedule or NoExecute"),
            )),
        }
    }

    fn toleration(&self, t: &api::Toleration, prefix: &str) -> Result<model::Toleration, InputError> {
        let operator = match t.operator.as_str() {
            "" | "Equal" => model::TolerationOperator::Equal,
            "Exists" => model::TolerationOperator::Exists,
            // Alpha TaintTolerationComparisonOperators (off in v1.35): kept, tolerate nothing.
            "Lt" => model::TolerationOperator::Lt,
            "Gt" => model::TolerationOperator::Gt,
            other => {
                return Err(self.field_error(
                    &format!("{prefix}.operator"),
                    format!("unknown toleration operator {other:?}: expected Equal, Exists, Lt or Gt"),
                ));
            }
        };
        let effect = if t.effect.is_empty() {
            None
        } else {
            Some(self.taint_effect(&t.effect, &format!("{prefix}.effect"))?)
        };
        Ok(model::Toleration {
            key: t.key.clone(),
            operator,
            value: t.value.clone(),
            effect,
            toleration_seconds: t.toleration_seconds,
        })
    }

    fn node_affinity(&self, na: &api::NodeAffinity, prefix: &str) -> Result<model::NodeAffinity, InputError> {
        let required = match &na.required_during_scheduling_ignored_during_execution {
            Some(sel) => {
                let p = format!("{prefix}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
                let terms = sel
                    .node_selector_terms
                    .iter()
                    .enumerate()
                    .map(|(i, t)| self.node_selector_term(t, &format!("{p}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Some(model::NodeSelector { terms })
            }
            None => None,
        };
        let preferred = na
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let p = format!("{prefix}.preferredDuringSchedulingIgnoredDuringExecution[{i}].preference");
                Ok(model::PreferredSchedulingTerm {
                    weight: t.weight,
                    preference: self.node_selector_term(&t.preference, &p)?,
                })
            })
            .collect::<Result<Vec<_>, InputError>>()?;
        Ok(model::NodeAffinity { required, preferred })
    }

    fn node_selector_term(
        &self,
        t: &api::NodeSelectorTerm,
        prefix: &str,
    ) -> Result<model::NodeSelectorTerm, InputError> {
        let reqs = |list: &[api::NodeSelectorRequirement], what: &str| {
            list.iter()
                .enumerate()
                .map(|(i, r)| self.node_selector_requirement(r, &format!("{prefix}.{what}[{i}]")))
                .collect::<Result<Vec<_>, InputError>>()
        };
        Ok(model::NodeSelectorTerm {
            match_expressions: reqs(&t.match_expressions, "matchExpressions")?,
            match_fields: reqs(&t.match_fields, "matchFields")?,
        })
    }

    fn node_selector_requirement(
        &self,
        r: &api::NodeSelectorRequirement,
        prefix: &str,
    ) -> Result<model::NodeSelectorRequirement, InputError> {
        use model::NodeSelectorOperator as Op;
        let operator = match r.operator.as_str() {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            other => {
                return Err(self.field_error(
                    &format!("{prefix}.operator"),
                    format!("unknown operator {other:?}: expected In, NotIn, Exists, DoesNotExist, Gt or Lt"),
                ));
            }
        };
        Ok(model::NodeSelectorRequirement { key: r.key.clone(), operator, values: r.values.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::objects::KubeObject;
    use crate::api::yaml::from_str_typed;

    fn path() -> &'static Path {
        Path::new("t.yaml")
    }

    fn pod(text: &str) -> api::Pod {
        match from_str_typed::<KubeObject>(text, path()).unwrap() {
            KubeObject::Pod(p) => *p,
            other => panic!("not a pod: {other:?}"),
        }
    }

    fn node(text: &str) -> api::Node {
        match from_str_typed::<KubeObject>(text, path()).unwrap() {
            KubeObject::Node(n) => *n,
            other => panic!("not a node: {other:?}"),
        }
    }

    #[test]
    fn malformed_quantity_names_the_field() {
        let p = pod(
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources:\n      requests:\n        cpu: 1x\n",
        );
        let err = pod_to_model(&p, path(), 7, |_| None).unwrap_err();
        match err {
            InputError::Field { field, line, message, .. } => {
                assert_eq!(field, "spec.containers[0].resources.requests.cpu");
                assert_eq!(line, 7);
                assert!(message.contains("\"1x\""), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn limits_only_container_gets_requests_equal_to_limits() {
        let p = pod(
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources:\n      limits: {cpu: 500m, memory: 1Gi}\n      requests: {nvidia.com/gpu: 1}\n",
        );
        let m = pod_to_model(&p, path(), 1, |_| None).unwrap();
        let c = &m.containers[0];
        assert_eq!(c.requests.milli_cpu, 500);
        assert_eq!(c.requests.memory, 1 << 30);
        assert_eq!(c.requests.get("nvidia.com/gpu"), 1);
        assert!(c.has_cpu_request && c.has_memory_request);
        assert_eq!(m.requests.milli_cpu, 500);
        assert_eq!(m.namespace, "default");
        assert_eq!(m.scheduler_name, "default-scheduler");
    }

    #[test]
    fn node_allocatable_defaults_to_capacity_and_images_are_kept_as_reported() {
        let n = node(
            "kind: Node\nmetadata: {name: n}\nstatus:\n  capacity: {cpu: 4, memory: 8Gi, pods: 110}\n  images:\n  - names: [nginx, \"reg/x:1\"]\n    sizeBytes: 1000\n",
        );
        let m = node_to_model(&n, path(), 1).unwrap();
        assert_eq!(m.allocatable.milli_cpu, 4000);
        assert_eq!(m.allocatable.pods, 110);
        assert_eq!(m.capacity, m.allocatable);
        assert_eq!(m.images[0].names, vec!["nginx".to_string(), "reg/x:1".to_string()]);
    }

    #[test]
    fn node_malformed_allocatable_names_the_field() {
        let n = node("kind: Node\nstatus:\n  allocatable: {cpu: abc}\n");
        match node_to_model(&n, path(), 3).unwrap_err() {
            InputError::Field { field, .. } => assert_eq!(field, "status.allocatable.cpu"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn taints_tolerations_and_affinity_convert() {
        let n = node(
            "kind: Node\nspec:\n  taints:\n  - {key: k, value: v, effect: NoExecute}\n  unschedulable: true\n",
        );
        let m = node_to_model(&n, path(), 1).unwrap();
        assert_eq!(m.taints[0].effect, model::TaintEffect::NoExecute);
        assert!(m.unschedulable);

        let p = pod(
            "kind: Pod\nspec:\n  tolerations:\n  - {key: k, value: v}\n  - {operator: Exists, effect: NoSchedule, tolerationSeconds: 5}\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions: [{key: zone, operator: In, values: [a]}]\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 7\n        preference:\n          matchFields: [{key: metadata.name, operator: NotIn, values: [n1]}]\n",
        );
        let m = pod_to_model(&p, path(), 1, |_| None).unwrap();
        assert_eq!(m.tolerations[0].operator, model::TolerationOperator::Equal);
        assert_eq!(m.tolerations[0].effect, None);
        assert_eq!(m.tolerations[1].operator, model::TolerationOperator::Exists);
        assert_eq!(m.tolerations[1].toleration_seconds, Some(5));
        let na = m.node_affinity.unwrap();
        assert_eq!(
            na.required.unwrap().terms[0].match_expressions[0].operator,
            model::NodeSelectorOperator::In
        );
        assert_eq!(na.preferred[0].weight, 7);
        assert_eq!(na.preferred[0].preference.match_fields[0].operator, model::NodeSelectorOperator::NotIn);
    }

    #[test]
    fn unknown_operators_and_effects_are_errors() {
        let p = pod("kind: Pod\nspec:\n  tolerations:\n  - {key: k, operator: Above}\n");
        match pod_to_model(&p, path(), 1, |_| None).unwrap_err() {
            InputError::Field { field, .. } => assert_eq!(field, "spec.tolerations[0].operator"),
            other => panic!("unexpected {other:?}"),
        }
        let p = pod(
            "kind: Pod\nspec:\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions: [{key: zone, operator: Within}]\n",
        );
        match pod_to_model(&p, path(), 1, |_| None).unwrap_err() {
            InputError::Field { field, .. } => assert_eq!(
                field,
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"
            ),
            other => panic!("unexpected {other:?}"),
        }
        let n = node("kind: Node\nspec:\n  taints: [{key: k, effect: Sometimes}]\n");
        match node_to_model(&n, path(), 1).unwrap_err() {
            InputError::Field { field, .. } => assert_eq!(field, "spec.taints[0].effect"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn priority_resolution() {
        let classes = |name: &str| match name {
            "high" => Some(1000),
            "" => Some(5),
            _ => None,
        };
        let m =
            pod_to_model(&pod("kind: Pod\nspec: {priorityClassName: high}\n"), path(), 1, classes).unwrap();
        assert_eq!(m.priority, 1000);
        let m = pod_to_model(&pod("kind: Pod\nspec: {}\n"), path(), 1, classes).unwrap();
        assert_eq!(m.priority, 5);
        let m = pod_to_model(
            &pod("kind: Pod\nspec: {priority: 3, priorityClassName: high}\n"),
            path(),
            1,
            classes,
        )
        .unwrap();
        assert_eq!(m.priority, 3);
        let m = pod_to_model(
            &pod("kind: Pod\nspec: {priorityClassName: system-node-critical}\n"),
            path(),
            1,
            classes,
        )
        .unwrap();
        assert_eq!(m.priority, 2_000_001_000);
        let err = pod_to_model(&pod("kind: Pod\nspec: {priorityClassName: nope}\n"), path(), 4, classes)
            .unwrap_err();
        assert!(
            matches!(err, InputError::Field { ref field, line: 4, .. } if field == "spec.priorityClassName")
        );
    }

    #[test]
    fn sidecars_gates_node_name_and_pod_level_limits() {
        let p = pod(
            "kind: Pod\nmetadata: {namespace: ns, deletionTimestamp: \"2024-01-01T00:00:00Z\"}\nspec:\n  nodeName: n1\n  schedulingGates: [{name: g}]\n  resources:\n    limits: {cpu: 2}\n  initContainers:\n  - name: s\n    restartPolicy: Always\n    ports: [{containerPort: 80, hostPort: 8080}]\n",
        );
        let m = pod_to_model(&p, path(), 1, |_| None).unwrap();
        assert!(m.init_containers[0].restart_always);
        assert_eq!(m.init_containers[0].ports[0].host_port, 8080);
        assert_eq!(m.scheduling_gates, vec!["g".to_string()]);
        assert_eq!(m.node_name.as_deref(), Some("n1"));
        assert_eq!(m.namespace, "ns");
        assert!(m.terminating);
        assert_eq!(m.pod_level_requests.get("cpu"), Some(&2000));
        assert_eq!(m.pod_level_requests.get("memory"), None);
        assert_eq!(m.requests.milli_cpu, 2000);
    }
}
