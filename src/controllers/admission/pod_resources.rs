//! The resource lists of containers and pods as the admission plugins read them: which requests
//! and limits a container lists, the container aggregate of a pod (sidecar formula) and the
//! pod's effective limits, after component-helpers' `resource/helpers.go`
//! (`AggregateContainerRequests` / `AggregateContainerLimits`, `PodLimits`), plus the resource
//! name predicates of `pkg/apis/core/helper/helpers.go` (`IsNativeResource`,
//! `IsExtendedResourceName`, `IsOvercommitAllowed`).
//!
//! Presence of a limit is read from the model: a cpu, memory or ephemeral-storage limit of 0
//! counts as absent (explicit zero limits are not kept by the model); extended resources keep
//! presence exactly.

use crate::model::pod::{Container, Pod};
use crate::model::policy::ResourceMap;
use crate::model::resources::{CPU, EPHEMERAL_STORAGE, MEMORY, PODS};

/// Upstream `IsNativeResource`: no domain prefix, or a `kubernetes.io/` one.
pub(super) fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// Upstream `IsExtendedResourceName`: a domain-prefixed name outside `kubernetes.io/` that is not
/// itself a quota key (`requests.…`).
pub fn is_extended_resource_name(name: &str) -> bool {
    crate::model::resources::is_extended_resource_name(name)
}

/// Upstream `IsOvercommitAllowed`: native resources other than `hugepages-*`. Extended resources
/// and huge pages need request == limit.
pub(super) fn is_overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !name.starts_with("hugepages-")
}

/// Whether container `c` lists a request for `name` (an explicit 0 counts for cpu and memory).
pub(super) fn has_request(c: &Container, name: &str) -> bool {
    match name {
        CPU => c.has_cpu_request,
        MEMORY => c.has_memory_request,
        EPHEMERAL_STORAGE | PODS => c.requests.get(name) != 0,
        _ => c.requests.scalar.contains_key(name),
    }
}

/// Whether container `c` lists a limit for `name` (a zero cpu/memory/ephemeral-storage limit
/// reads as absent; see the module docs).
pub(super) fn has_limit(c: &Container, name: &str) -> bool {
    match name {
        CPU | MEMORY | EPHEMERAL_STORAGE | PODS => c.limits.get(name) != 0,
        _ => c.limits.scalar.contains_key(name),
    }
}

/// Names of the resources `r` may hold: the four fixed ones, then its scalars.
fn resource_names(r: &crate::model::Resources) -> impl Iterator<Item = &str> {
    [CPU, MEMORY, EPHEMERAL_STORAGE, PODS].into_iter().chain(r.scalar.keys().map(String::as_str))
}

/// The container's `resources.requests` as listed.
pub(super) fn request_map(c: &Container) -> ResourceMap {
    resource_names(&c.requests)
        .filter(|n| has_request(c, n))
        .map(|n| (n.to_string(), c.requests.get(n)))
        .collect()
}

/// The container's `resources.limits` as listed.
pub(super) fn limit_map(c: &Container) -> ResourceMap {
    resource_names(&c.limits).filter(|n| has_limit(c, n)).map(|n| (n.to_string(), c.limits.get(n))).collect()
}

/// Adds `other` into `list`, key by key (upstream `addResourceList`).
pub(super) fn add_into(list: &mut ResourceMap, other: &ResourceMap) {
    // Saturating: upstream adds `resource.Quantity`s, which do not overflow; a sum past
    // `i64::MAX` is more than any quota anyway.
    for (k, v) in other {
        let e = list.entry(k.clone()).or_insert(0);
        *e = e.saturating_add(*v);
    }
}

/// Raises `list` to `other` key by key, adding missing keys (upstream `maxResourceList`).
fn max_into(list: &mut ResourceMap, other: &ResourceMap) {
    for (k, v) in other {
        let e = list.entry(k.clone()).or_insert(*v);
        *e = (*e).max(*v);
    }
}

/// The container aggregate of a pod over `per_container` (requests or limits), with the
/// sidecar formula of `AggregateContainerRequests` / `AggregateContainerLimits`:
/// `max(Σ containers + Σ sidecars, peak over init containers)`, where a plain init container's
/// peak is itself plus the sidecars declared before it. A resource appears when any container
/// lists it.
pub(super) fn aggregate(pod: &Pod, per_container: impl Fn(&Container) -> ResourceMap) -> ResourceMap {
    let mut total = ResourceMap::new();
    for c in &pod.containers {
        add_into(&mut total, &per_container(c));
    }
    let mut sidecars = ResourceMap::new();
    let mut init_peak = ResourceMap::new();
    for c in &pod.init_containers {
        let mut r = per_container(c);
        if c.restart_always {
            add_into(&mut total, &r);
            add_into(&mut sidecars, &r);
            max_into(&mut init_peak, &sidecars);
        } else {
            add_into(&mut r, &sidecars);
            max_into(&mut init_peak, &r);
        }
    }
    max_into(&mut total, &init_peak);
    total
}

/// The pod's effective limits as the quota evaluator sees them (component-helpers `PodLimits`):
/// the container aggregate of limits (sidecar formula), each pod-level limit replacing its
/// resource, then the pod overhead added to every resource with a non-zero limit.
pub fn pod_limits(pod: &Pod) -> ResourceMap {
    let mut limits = aggregate(pod, limit_map);
    if !pod.pod_level_requests.is_empty() || !pod.pod_level_limits.is_empty() {
        for (k, v) in &pod.pod_level_limits {
            limits.insert(k.clone(), *v);
        }
    }
    for (name, v) in pod.overhead.iter_nonzero() {
        if let Some(l) = limits.get_mut(name).filter(|l| **l != 0) {
            *l = l.saturating_add(v);
        }
    }
    limits
}
