//! What the API server itself does to a new pod around the admission plugins: the defaulting of
//! the decoded object before them (`SetDefaults_Pod`, `pkg/apis/core/v1/defaults.go`), and the
//! validation of the object between the mutating and the validating plugins
//! (`ValidateResourceRequirements`, `pkg/apis/core/validation/validation.go`), limited to the
//! resources LimitRanger defaulted.

use std::collections::BTreeSet;

use super::pod_resources::{has_limit, has_request, is_overcommit_allowed, limit_map};
use super::{Rejection, aggregate_messages};
use crate::api::convert::validation::pod_level_violation;
use crate::api::quantity::format_quantity;
use crate::model::pod::{Container, Pod};
use crate::model::resources::{CPU, MEMORY};

/// API defaulting of the decoded pod (`SetDefaults_Pod`): in every regular and init container, a
/// listed limit without a request becomes the request. capsim's converter already does this; it
/// is repeated so that pods built in code behave the same. Returns whether anything changed.
pub(super) fn set_defaults_pod(pod: &mut Pod) -> bool {
    let mut changed = false;
    for c in pod.containers.iter_mut().chain(pod.init_containers.iter_mut()) {
        changed |= copy_limits_to_requests(c);
    }
    changed
}

/// API defaulting of a pod container (`SetDefaults_Pod`): each listed limit without a request
/// becomes the request. Returns whether anything changed.
fn copy_limits_to_requests(c: &mut Container) -> bool {
    let missing: Vec<(String, i64)> =
        limit_map(c).into_iter().filter(|(name, _)| !has_request(c, name)).collect();
    for (name, v) in &missing {
        c.requests.set(name, *v);
        match name.as_str() {
            CPU => c.has_cpu_request = true,
            MEMORY => c.has_memory_request = true,
            _ => {}
        }
    }
    !missing.is_empty()
}

/// Object validation of what LimitRanger defaulted: `defaulted` holds, per container (regular
/// ones first, then init containers), the resources it set. A request above its (defaulted)
/// limit makes the pod invalid (`Pod "x" is invalid: spec.containers[0].resources.requests:
/// Invalid value: …`), and so does a container default that no longer fits the pod-level
/// resources (`validatePodResourceConsistency`: `spec.resources.requests[cpu]: Invalid value:
/// "200m": must be greater than or equal to aggregate container requests of 500m`), as the API
/// server validates the object after the mutating plugins.
pub(super) fn validate_defaulted(pod: &Pod, defaulted: &[BTreeSet<String>]) -> Result<(), Rejection> {
    let mut invalid = Vec::new();
    let fields = (0..pod.containers.len())
        .map(|i| format!("spec.containers[{i}]"))
        .chain((0..pod.init_containers.len()).map(|i| format!("spec.initContainers[{i}]")));
    for ((c, field), names) in pod.containers.iter().chain(&pod.init_containers).zip(fields).zip(defaulted) {
        defaulted_resource_errors(c, &field, names, &mut invalid);
    }
    for v in pod.pod_level_violations() {
        let (field, body) = pod_level_violation(&v, "spec.resources");
        invalid.push(format!("{field}: {body}"));
    }
    if invalid.is_empty() {
        return Ok(());
    }
    Err(Rejection {
        reason: "Invalid".into(),
        plugin: "LimitRanger",
        message: format!("Pod {:?} is invalid: {}", pod.name, aggregate_messages(&invalid)),
    })
}

/// Object validation (`ValidateResourceRequirements`) of the resources LimitRanger defaulted in
/// `c`: a request above its limit, or for extended resources and huge pages a request different
/// from its limit, is invalid.
fn defaulted_resource_errors(c: &Container, field: &str, names: &BTreeSet<String>, out: &mut Vec<String>) {
    for name in names {
        if !(has_request(c, name) && has_limit(c, name)) {
            continue;
        }
        let (r, l) = (c.requests.get(name), c.limits.get(name));
        let detail = if !is_overcommit_allowed(name) && r != l {
            "must be equal to"
        } else if r > l {
            "must be less than or equal to"
        } else {
            continue;
        };
        out.push(format!(
            "{field}.resources.requests: Invalid value: {:?}: {detail} {name} limit of {}",
            format_quantity(name, r),
            format_quantity(name, l)
        ));
    }
}
