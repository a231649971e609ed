//! Pods (core/v1 `Pod`) into [`model::Pod`]: containers and their resources, pod-level
//! resources with `SetDefaults_Pod`'s defaulting, priority resolution, the enum fields, and the
//! annotations capsim reads (deletion cost, mirror pods, GPU sharing).

use std::collections::BTreeMap;
use std::path::Path;

use super::priority::builtin_priority;
use super::{Ctx, DEFAULT_NAMESPACE};
use crate::api::objects as api;
use crate::error::InputError;
use crate::model;
use crate::names::DEFAULT_SCHEDULER_NAME;

/// Pod-level requests or limits by resource name, in capsim units.
type PodLevel = BTreeMap<String, i64>;

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
        .map(|(i, c)| ctx.container(c, &format!("spec.containers[{i}]"), false, spec.host_network))
        .collect::<Result<Vec<_>, _>>()?;
    let init_containers = spec
        .init_containers
        .iter()
        .enumerate()
        .map(|(i, c)| ctx.container(c, &format!("spec.initContainers[{i}]"), true, spec.host_network))
        .collect::<Result<Vec<_>, _>>()?;
    let overhead = ctx.resources(&spec.overhead, "spec.overhead")?;

    let (pod_level_requests, pod_level_limits) =
        ctx.pod_level_resources(spec.resources.as_ref(), &containers, &init_containers, "spec")?;

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

    let priority = ctx.priority(spec, priority_of)?;
    // The fallible fields, in the order their errors are reported (gpu_share last).
    let preemption_policy = ctx.preemption_policy(spec)?;
    let termination_grace_period_s = ctx.termination_grace_period(spec)?;
    let deletion_cost = ctx.deletion_cost(&p.metadata.annotations)?;
    let restart_policy = ctx.restart_policy(spec)?;
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
        runtime_class_name: spec.runtime_class_name.clone(),
        preemption_policy,
        termination_grace_period_s,
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
        owner_references: p
            .metadata
            .owner_references
            .iter()
            .map(|r| model::OwnerReference {
                api_version: r.api_version.clone(),
                kind: r.kind.clone(),
                name: r.name.clone(),
                uid: r.uid.clone(),
                controller: r.controller == Some(true),
            })
            .collect(),
        deletion_cost,
        mirror: p.metadata.annotations.contains_key(ANNOTATION_MIRROR),
        host_network: spec.host_network,
        restart_policy,
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
        ctx.field_error(&field(ANNOTATION_GPU_MILLI), format!("{milli:?}: expected milli-GPU from 1 to 1000"))
    })?;
    let count: u32 = match annotations.get(ANNOTATION_GPU_COUNT) {
        None => 1,
        Some(c) => c.trim().parse().ok().filter(|c| (1..=255).contains(c)).ok_or_else(|| {
            ctx.field_error(
                &field(ANNOTATION_GPU_COUNT),
                format!("{c:?}: expected a GPU count from 1 to 255"),
            )
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

/// Upstream `IsSupportedPodLevelResource`: `cpu`, `memory` and `hugepages-*`.
fn is_supported_pod_level(name: &str) -> bool {
    name == model::resources::CPU
        || name == model::resources::MEMORY
        || name.starts_with(model::pod::HUGEPAGES_PREFIX)
}

/// Upstream `helper.IsStandardResourceName`: the standard quota resource names (compute
/// resources, quota keys, object counts, `hugepages-*`) and `storage`.
fn is_standard_resource_name(name: &str) -> bool {
    name == "storage" || crate::api::policy::is_standard_quota_resource(name)
}

/// Annotation with a pod's deletion cost (ReplicaSet scale-down order).
pub const ANNOTATION_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// Annotation the kubelet puts on the mirror pod of a static pod.
pub const ANNOTATION_MIRROR: &str = "kubernetes.io/config.mirror";

impl Ctx<'_> {
    /// `spec.preemptionPolicy` (default `PreemptLowerPriority`).
    fn preemption_policy(&self, spec: &api::PodSpec) -> Result<model::PreemptionPolicy, InputError> {
        Ok(match spec.preemption_policy.as_deref() {
            None | Some("PreemptLowerPriority") => model::PreemptionPolicy::PreemptLowerPriority,
            Some("Never") => model::PreemptionPolicy::Never,
            Some(other) => {
                return Err(self.field_error(
                    "spec.preemptionPolicy",
                    format!("{other:?}: expected PreemptLowerPriority or Never"),
                ));
            }
        })
    }

    /// `spec.terminationGracePeriodSeconds` (default 30 s), which must not be negative.
    fn termination_grace_period(&self, spec: &api::PodSpec) -> Result<i64, InputError> {
        Ok(match spec.termination_grace_period_seconds {
            None => model::pod::DEFAULT_TERMINATION_GRACE_PERIOD_S,
            Some(s) if s >= 0 => s,
            Some(s) => {
                return Err(self.field_error(
                    "spec.terminationGracePeriodSeconds",
                    format!("{s}: must be greater than or equal to 0"),
                ));
            }
        })
    }

    /// The pod's deletion cost from its annotation (0 without one).
    fn deletion_cost(&self, annotations: &BTreeMap<String, String>) -> Result<i32, InputError> {
        match annotations.get(ANNOTATION_DELETION_COST) {
            None => Ok(0),
            Some(v) => v.trim().parse::<i32>().map_err(|_| {
                self.field_error(
                    &format!("metadata.annotations.{ANNOTATION_DELETION_COST}"),
                    format!("{v:?}: must be a 32-bit integer"),
                )
            }),
        }
    }

    /// `spec.restartPolicy` (default `Always`).
    fn restart_policy(&self, spec: &api::PodSpec) -> Result<model::pod::RestartPolicy, InputError> {
        Ok(match spec.restart_policy.as_str() {
            "" | "Always" => model::pod::RestartPolicy::Always,
            "OnFailure" => model::pod::RestartPolicy::OnFailure,
            "Never" => model::pod::RestartPolicy::Never,
            other => {
                return Err(self.field_error(
                    "spec.restartPolicy",
                    format!("{other:?}: expected Always, OnFailure or Never"),
                ));
            }
        })
    }

    /// Pod-level resources (PodLevelResources, on in v1.35), defaulted as the API server does
    /// (`defaultPodRequests`): only the resources supported at pod level (`cpu`, `memory`,
    /// `hugepages-*`) are kept; when pod-level limits are set, a missing cpu/memory request
    /// becomes the containers' aggregate request when some container requests that resource, and
    /// any request still missing becomes the pod-level limit. The API validation of the result is
    /// [`Ctx::validate_pod_level`].
    fn pod_level_resources(
        &self,
        resources: Option<&api::ResourceRequirements>,
        containers: &[model::Container],
        init_containers: &[model::Container],
        prefix: &str,
    ) -> Result<(PodLevel, PodLevel), InputError> {
        let (mut pod_level_requests, mut pod_level_limits) = (BTreeMap::new(), BTreeMap::new());
        let Some(r) = resources else { return Ok((pod_level_requests, pod_level_limits)) };
        let requests = self.resources(&r.requests, &format!("{prefix}.resources.requests"))?;
        let limits = self.resources(&r.limits, &format!("{prefix}.resources.limits"))?;
        for name in r.requests.keys().filter(|n| is_supported_pod_level(n)) {
            pod_level_requests.insert(name.clone(), requests.get(name));
        }
        for name in r.limits.keys().filter(|n| is_supported_pod_level(n)) {
            pod_level_limits.insert(name.clone(), limits.get(name));
        }
        if !r.limits.is_empty() {
            let mut scratch = model::simple_pod("", model::Resources::default());
            scratch.containers = containers.to_vec();
            scratch.init_containers = init_containers.to_vec();
            let aggregate = scratch.aggregate_container_requests(false);
            let all = containers.iter().chain(init_containers);
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
        Ok((pod_level_requests, pod_level_limits))
    }

    /// API validation of pod-level resources (`validatePodResources`, v1.35) of the pod spec at
    /// `prefix` (`spec`, `spec.template.spec`), on the defaulted object as upstream validates it:
    ///
    /// - names (`validatePodResourceName`, limits first): only `cpu`, `memory` and `hugepages-*`
    ///   (`spec.resources.limits[nvidia.com/gpu]: Unsupported value: "nvidia.com/gpu": supported
    ///   values: "cpu", "hugepages-", "memory"`);
    /// - requirements (`validateResourceRequirements` at pod level): a request above its limit, a
    ///   huge-page request different from its limit or without one, huge pages without cpu or
    ///   memory;
    /// - consistency with the containers ([`model::Pod::pod_level_violations`]).
    ///
    /// The first error is reported.
    pub(super) fn validate_pod_level(&self, spec: &api::PodSpec, prefix: &str) -> Result<(), InputError> {
        let Some(r) = spec.resources.as_ref() else { return Ok(()) };
        let at = |f: &str| format!("{prefix}.resources{f}");
        // Quantities first: an unparsable one fails decoding before any validation.
        self.resources(&r.requests, &at(".requests"))?;
        self.resources(&r.limits, &at(".limits"))?;
        for (what, list) in [("limits", &r.limits), ("requests", &r.requests)] {
            for name in list.keys() {
                self.pod_resource_name(name, &at(&format!(".{what}[{name}]")))?;
            }
        }
        let convert = |list: &[api::Container], what: &str, init: bool| {
            list.iter()
                .enumerate()
                .map(|(i, c)| self.container(c, &format!("{prefix}.{what}[{i}]"), init, spec.host_network))
                .collect::<Result<Vec<_>, _>>()
        };
        let mut scratch = model::simple_pod("", model::Resources::default());
        scratch.containers = convert(&spec.containers, "containers", false)?;
        scratch.init_containers = convert(&spec.init_containers, "initContainers", true)?;
        let (requests, limits) =
            self.pod_level_resources(Some(r), &scratch.containers, &scratch.init_containers, prefix)?;
        self.pod_level_requirements(&requests, &limits, &at(""))?;
        scratch.pod_level_requests = requests;
        scratch.pod_level_limits = limits;
        if let Some(v) = scratch.pod_level_violations().first() {
            let (field, body) = super::validation::pod_level_violation(v, &at(""));
            return Err(self.field_error(&field, body));
        }
        Ok(())
    }

    /// `validatePodResourceName`: a qualified name, a standard resource when unprefixed, and one
    /// of the resources supported at pod level.
    fn pod_resource_name(&self, name: &str, field: &str) -> Result<(), InputError> {
        if let Some(m) = crate::api::names::qualified_name(name).into_iter().next() {
            return Err(self.field_error(field, format!("Invalid value: {name:?}: {m}")));
        }
        if !name.contains('/') && !is_standard_resource_name(name) {
            return Err(self.field_error(
                field,
                format!("Invalid value: {name:?}: must be a standard resource type or fully qualified"),
            ));
        }
        if !is_supported_pod_level(name) {
            return Err(self.field_error(
                field,
                format!("Unsupported value: {name:?}: supported values: \"cpu\", \"hugepages-\", \"memory\""),
            ));
        }
        Ok(())
    }

    /// `validateResourceRequirements` on the defaulted pod-level resources: each request at most
    /// its limit, huge pages (not overcommittable) with a limit equal to the request, and huge
    /// pages only beside cpu or memory. Resources in name order; the first error is reported.
    fn pod_level_requirements(
        &self,
        requests: &PodLevel,
        limits: &PodLevel,
        at: &str,
    ) -> Result<(), InputError> {
        use crate::api::quantity::format_quantity;
        let hugepages = |n: &str| n.starts_with(model::pod::HUGEPAGES_PREFIX);
        for (name, r) in requests {
            match limits.get(name) {
                Some(l) if hugepages(name) && r != l => {
                    return Err(self.field_error(
                        &format!("{at}.requests"),
                        format!(
                            "Invalid value: {:?}: must be equal to {name} limit of {}",
                            format_quantity(name, *r),
                            format_quantity(name, *l)
                        ),
                    ));
                }
                Some(l) if r > l => {
                    return Err(self.field_error(
                        &format!("{at}.requests"),
                        format!(
                            "Invalid value: {:?}: must be less than or equal to {name} limit of {}",
                            format_quantity(name, *r),
                            format_quantity(name, *l)
                        ),
                    ));
                }
                None if hugepages(name) => {
                    return Err(self.field_error(
                        &format!("{at}.limits"),
                        "Required value: Limit must be set for non overcommitable resources".into(),
                    ));
                }
                _ => {}
            }
        }
        let any = |f: &dyn Fn(&str) -> bool| requests.keys().chain(limits.keys()).any(|n| f(n));
        if any(&|n| hugepages(n)) && !any(&|n| n == model::resources::CPU || n == model::resources::MEMORY) {
            return Err(
                self.field_error("spec.resources", "Forbidden: HugePages require cpu or memory".into())
            );
        }
        Ok(())
    }

    /// The pod's priority: `spec.priority` when set, else the value `priority_of` gives for
    /// `spec.priorityClassName` (see [`pod_to_model`]).
    fn priority(
        &self,
        spec: &api::PodSpec,
        priority_of: impl Fn(&str) -> Option<i32>,
    ) -> Result<i32, InputError> {
        Ok(match spec.priority {
            Some(v) => v,
            None if spec.priority_class_name.is_empty() => priority_of("").unwrap_or(0),
            None => {
                let name = spec.priority_class_name.as_str();
                priority_of(name).or_else(|| builtin_priority(name)).ok_or_else(|| {
                    self.field_error(
                        "spec.priorityClassName",
                        format!(
                            "no PriorityClass named {name:?}; define it in the input or use a built-in class"
                        ),
                    )
                })?
            }
        })
    }

    /// One container, API-defaulted (requests from limits; with `host_network`, a port's unset
    /// `hostPort` becomes its `containerPort`, upstream `SetDefaults_Pod` ->
    /// `defaultHostNetworkPorts`) and validated.
    pub(super) fn container(
        &self,
        c: &api::Container,
        prefix: &str,
        init: bool,
        host_network: bool,
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
            ports: self.ports(&c.ports, prefix, host_network)?,
            restart_always: init && c.restart_policy.as_deref() == Some("Always"),
        })
    }

    /// A container's ports after API defaulting: with `host_network`, an unset (0) `hostPort`
    /// takes the `containerPort` (upstream `defaultHostNetworkPorts`), and a set one must equal
    /// it (upstream `validateHostNetwork`, for a Pod).
    fn ports(
        &self,
        ports: &[api::ContainerPort],
        prefix: &str,
        host_network: bool,
    ) -> Result<Vec<model::ContainerPort>, InputError> {
        let mut out = Vec::with_capacity(ports.len());
        for (j, p) in ports.iter().enumerate() {
            let mut host_port = p.host_port;
            if host_network {
                if host_port == 0 {
                    host_port = p.container_port;
                }
                if host_port != p.container_port {
                    return Err(self.field_error(
                        &format!("{prefix}.ports[{j}].hostPort"),
                        format!("{host_port}: must match `containerPort` when `hostNetwork` is true"),
                    ));
                }
            }
            out.push(model::ContainerPort {
                host_port,
                protocol: p.protocol.clone(),
                host_ip: p.host_ip.clone(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::convert::test_support::{path, pod};

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

    /// The pod-level resource validation of `pkg/apis/core/validation` (v1.35): supported names,
    /// requests within limits, and consistency with the containers, with upstream's messages.
    #[test]
    fn invalid_pod_level_resources_are_refused_as_upstream() {
        let err = |resources: &str, containers: &str| {
            let p = pod(&format!(
                "kind: Pod\nmetadata: {{name: p}}\nspec:\n  resources: {resources}\n  containers: {containers}\n"
            ));
            match crate::api::convert::validate_pod(&p, path(), 1)
                .and_then(|_| pod_to_model(&p, path(), 1, |_| None))
            {
                Err(InputError::Field { field, message, .. }) => Some((field, message)),
                Err(other) => panic!("unexpected {other:?}"),
                Ok(_) => None,
            }
        };
        let e = |f: &str, m: &str| Some((f.to_string(), m.to_string()));
        assert_eq!(
            err("{requests: {cpu: 1, ephemeral-storage: 1Gi}}", "[{name: c}]"),
            e(
                "spec.resources.requests[ephemeral-storage]",
                "Unsupported value: \"ephemeral-storage\": supported values: \"cpu\", \"hugepages-\", \"memory\""
            )
        );
        assert_eq!(
            err("{limits: {nvidia.com/gpu: 1}}", "[{name: c}]"),
            e(
                "spec.resources.limits[nvidia.com/gpu]",
                "Unsupported value: \"nvidia.com/gpu\": supported values: \"cpu\", \"hugepages-\", \"memory\""
            )
        );
        assert_eq!(
            err("{requests: {cpus: 1}}", "[{name: c}]"),
            e(
                "spec.resources.requests[cpus]",
                "Invalid value: \"cpus\": must be a standard resource type or fully qualified"
            )
        );
        assert_eq!(
            err(
                "{requests: {cpu: 1}}",
                "[{name: a, resources: {requests: {cpu: 800m}}}, {name: b, resources: {requests: {cpu: 800m}}}]"
            ),
            e(
                "spec.resources.requests[cpu]",
                "Invalid value: \"1\": must be greater than or equal to aggregate container requests of 1600m"
            )
        );
        assert_eq!(
            err("{requests: {cpu: 2}, limits: {cpu: 1}}", "[{name: c}]"),
            e(
                "spec.resources.requests",
                "Invalid value: \"2\": must be less than or equal to cpu limit of 1"
            )
        );
        assert_eq!(
            err(
                "{requests: {memory: 512Mi}, limits: {memory: 1Gi}}",
                "[{name: c, resources: {requests: {memory: 256Mi}, limits: {memory: 2Gi}}}]"
            ),
            e(
                "spec.resources.containers[0][memory].limits",
                "Invalid value: \"2Gi\": must be less than or equal to pod limits of 1Gi"
            )
        );
        // Containers may request resources the pod level does not set (upstream skips them).
        assert_eq!(
            err(
                "{requests: {cpu: 300m}}",
                "[{name: c, resources: {requests: {ephemeral-storage: 10Mi, memory: 1Gi}}}]"
            ),
            None
        );
        // Pod-level limits default the requests; a container above the limit then fails the
        // request-within-limit check.
        assert_eq!(
            err("{limits: {cpu: 1}}", "[{name: c, resources: {requests: {cpu: 1500m}}}]"),
            e(
                "spec.resources.requests",
                "Invalid value: \"1500m\": must be less than or equal to cpu limit of 1"
            )
        );
        assert_eq!(
            err("{requests: {hugepages-2Mi: 4Mi}, limits: {hugepages-2Mi: 4Mi}}", "[{name: c}]"),
            e("spec.resources", "Forbidden: HugePages require cpu or memory")
        );
    }

    /// `SetDefaults_Pod` -> `defaultHostNetworkPorts`: with `hostNetwork`, an unset `hostPort`
    /// of a container or init container becomes its `containerPort`; without it, it stays 0. A
    /// different `hostPort` is rejected as upstream's `validateHostNetwork` does.
    #[test]
    fn host_network_ports_default_host_port_to_container_port() {
        let yaml = |host_network: bool, host_port: i32| {
            format!(
                "kind: Pod\nmetadata: {{name: p}}\nspec:\n  hostNetwork: {host_network}\n  containers:\n  - name: c\n    ports: [{{containerPort: 80, hostPort: {host_port}}}, {{containerPort: 53, protocol: UDP}}]\n  initContainers:\n  - name: i\n    ports: [{{containerPort: 9000}}]\n"
            )
        };
        let m = pod_to_model(&pod(&yaml(true, 0)), path(), 1, |_| None).unwrap();
        let ports = |c: &model::Container| c.ports.iter().map(|p| p.host_port).collect::<Vec<_>>();
        assert_eq!(ports(&m.containers[0]), [80, 53]);
        assert_eq!(m.containers[0].ports[1].protocol, "UDP");
        assert_eq!(ports(&m.init_containers[0]), [9000]);
        let m = pod_to_model(&pod(&yaml(false, 0)), path(), 1, |_| None).unwrap();
        assert_eq!(ports(&m.containers[0]), [0, 0]);
        assert_eq!(ports(&m.init_containers[0]), [0]);
        match pod_to_model(&pod(&yaml(true, 81)), path(), 1, |_| None).unwrap_err() {
            InputError::Field { field, message, .. } => {
                assert_eq!(field, "spec.containers[0].ports[0].hostPort");
                assert_eq!(message, "81: must match `containerPort` when `hostNetwork` is true");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    /// `metadata.ownerReferences` are read as written; the controller is the first entry with
    /// `controller: true` (upstream `GetControllerOfNoCopy`).
    #[test]
    fn owner_references_are_read_and_the_controller_found() {
        let p = pod(
            "kind: Pod\nmetadata:\n  name: p\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: cm, uid: u0}\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, uid: u1, controller: true, blockOwnerDeletion: true}\nspec:\n  containers: [{name: c}]\n",
        );
        let m = pod_to_model(&p, path(), 1, |_| None).unwrap();
        assert_eq!(m.owner_references.len(), 2);
        assert!(!m.owner_references[0].controller);
        let c = m.controller_ref().unwrap();
        assert_eq!(
            (c.api_version.as_str(), c.kind.as_str(), c.name.as_str(), c.uid.as_str()),
            ("apps/v1", "ReplicaSet", "web-5d4f", "u1")
        );
        assert_eq!(c.group_version(), Some(("apps", "v1")));
        assert!(m.owner.is_none());
    }
}
