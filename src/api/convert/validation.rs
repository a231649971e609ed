//! What the API server rejects on create (`pkg/apis/core/validation/validation.go`, v1.35) among
//! the fields capsim reads, worded as upstream's `field.Error`s (`<field>: Required value: …`,
//! `<field>: Invalid value: "<value>": …`): object names, namespaces and labels
//! (`ValidateObjectMeta`, `ValidatePodName`, `ValidateNodeName`, `ValidateNamespaceName`,
//! `ValidateLabels`), node affinity (`ValidateNodeSelector`, `ValidateNodeSelectorRequirement`
//! with label values checked in required terms only, `ValidatePreferredSchedulingTerms`' weights),
//! pod (anti-)affinity terms (`validatePodAffinityTerm`, weights),
//! topology spread constraints (`validateTopologySpreadConstraints`) and container ports
//! (`validateContainerPorts`). The first error is reported.

use std::collections::BTreeMap;
use std::path::Path;

use super::Ctx;
use crate::api::names::{dns1123_label, dns1123_subdomain, label_value, port_number, qualified_name};
use crate::api::objects as api;
use crate::api::quantity::format_quantity;
use crate::error::InputError;
use crate::model::pod::PodLevelViolation;

/// `<field>: Invalid value: "<value>": <message>` body for the first of `messages`, if any.
fn invalid(ctx: &Ctx, field: &str, value: &str, messages: Vec<String>) -> Result<(), InputError> {
    match messages.into_iter().next() {
        None => Ok(()),
        Some(m) => Err(ctx.field_error(field, format!("Invalid value: {value:?}: {m}"))),
    }
}

/// `<field>: Required value[: detail]`.
fn required(ctx: &Ctx, field: &str, detail: &str) -> InputError {
    let body =
        if detail.is_empty() { "Required value".to_string() } else { format!("Required value: {detail}") };
    ctx.field_error(field, body)
}

/// `metadata`: a name (`name or generateName is required`) that is a DNS-1123 subdomain, a
/// namespace that is a DNS-1123 label (when given), and valid labels. `namespaced` is false for
/// Nodes.
fn validate_meta(ctx: &Ctx, meta: &api::ObjectMeta, namespaced: bool) -> Result<(), InputError> {
    if meta.name.is_empty() {
        return Err(required(ctx, "metadata.name", "name or generateName is required"));
    }
    invalid(ctx, "metadata.name", &meta.name, dns1123_subdomain(&meta.name))?;
    if namespaced && !meta.namespace.is_empty() {
        invalid(ctx, "metadata.namespace", &meta.namespace, dns1123_label(&meta.namespace))?;
    }
    validate_labels(ctx, &meta.labels, "metadata.labels")?;
    validate_owner_references(ctx, &meta.owner_references)
}

/// `ValidateOwnerReferences` (apimachinery `pkg/api/validation/objectmeta.go`), field path
/// `metadata.ownerReferences` without an index, as upstream writes it: each reference needs an
/// `apiVersion` with a version (`apps/v1`, `v1`; an unparsable one has none), a `kind`, a `name`
/// and a `uid`; core `v1` `Event`s may not own anything; at most one reference may be the
/// controller (`Only one reference can have Controller set to true. Found "true" in references
/// for ReplicaSet/a and ReplicaSet/b`). The first error is reported.
fn validate_owner_references(ctx: &Ctx, refs: &[crate::api::meta::OwnerReference]) -> Result<(), InputError> {
    const FIELD: &str = "metadata.ownerReferences";
    let mut first_controller: Option<String> = None;
    for r in refs {
        // `schema.ParseGroupVersion`: "" → no version, "v1" → ("", "v1"), "g/v" → ("g", "v"),
        // more than one "/" is an error and leaves group and version empty.
        let (group, version) = match r.api_version.matches('/').count() {
            0 => ("", r.api_version.as_str()),
            1 => r.api_version.split_once('/').unwrap_or(("", "")),
            _ => ("", ""),
        };
        let empty = |f: &str, v: &str, what: &str| {
            ctx.field_error(
                &format!("{FIELD}.{f}"),
                format!("Invalid value: {v:?}: {what} must not be empty"),
            )
        };
        if version.is_empty() {
            return Err(empty("apiVersion", &r.api_version, "version"));
        }
        if r.kind.is_empty() {
            return Err(empty("kind", &r.kind, "kind"));
        }
        if r.name.is_empty() {
            return Err(empty("name", &r.name, "name"));
        }
        if r.uid.is_empty() {
            return Err(empty("uid", &r.uid, "uid"));
        }
        if group.is_empty() && version == "v1" && r.kind == "Event" {
            return Err(ctx.field_error(
                FIELD,
                format!(
                    "Invalid value: {}: /v1, Kind=Event is disallowed from being an owner",
                    owner_value(r)
                ),
            ));
        }
        if r.controller == Some(true) {
            let this = format!("{}/{}", r.kind, r.name);
            match &first_controller {
                Some(first) => {
                    let all = refs.iter().map(owner_value).collect::<Vec<_>>().join(", ");
                    return Err(ctx.field_error(
                        FIELD,
                        format!(
                            "Invalid value: [{all}]: Only one reference can have Controller set to true. Found \"true\" \
                             in references for {first} and {this}"
                        ),
                    ));
                }
                None => first_controller = Some(this),
            }
        }
    }
    Ok(())
}

/// An owner reference as the error quotes it. (Upstream prints the Go struct with `%#v`, whose
/// `controller` pointer is a memory address; capsim prints the fields as written.)
fn owner_value(r: &crate::api::meta::OwnerReference) -> String {
    format!(
        "{{apiVersion: {:?}, kind: {:?}, name: {:?}, uid: {:?}, controller: {}}}",
        r.api_version,
        r.kind,
        r.name,
        r.uid,
        r.controller.unwrap_or(false)
    )
}

/// `ValidateLabels`: every key a qualified name, every value a valid label value.
pub(super) fn validate_labels(
    ctx: &Ctx,
    labels: &BTreeMap<String, String>,
    field: &str,
) -> Result<(), InputError> {
    for (k, v) in labels {
        invalid(ctx, field, k, qualified_name(k))?;
        invalid(ctx, field, v, label_value(v))?;
    }
    Ok(())
}

/// API validation of a Node on create: its metadata (a name that is a DNS-1123 subdomain, valid
/// labels).
///
/// # Errors
/// [`InputError::Field`] with upstream's message.
pub fn validate_node(n: &api::Node, path: &Path, line: usize) -> Result<(), InputError> {
    validate_meta(&Ctx { path, line }, &n.metadata, false)
}

/// API validation a Pod must pass before it can be created (what the API server would reject
/// and [`super::pod_to_model`] does not check): its metadata, at least one container, and
/// [`validate_pod_spec`].
///
/// # Errors
/// [`InputError::Field`] naming the field, with upstream's message.
pub fn validate_pod(p: &api::Pod, path: &Path, line: usize) -> Result<(), InputError> {
    let ctx = Ctx { path, line };
    validate_meta(&ctx, &p.metadata, true)?;
    if p.spec.containers.is_empty() {
        return Err(required(&ctx, "spec.containers", ""));
    }
    validate_pod_spec(&p.spec, path, line, "spec")
}

/// API validation of a pod spec (a Pod's or a template's, at field path `prefix`): required node
/// affinity, pod (anti-)affinity terms, topology spread constraints and container ports.
///
/// # Errors
/// [`InputError::Field`] naming the field, with upstream's message.
pub fn validate_pod_spec(
    spec: &api::PodSpec,
    path: &Path,
    line: usize,
    prefix: &str,
) -> Result<(), InputError> {
    let ctx = Ctx { path, line };
    if let Some(aff) = &spec.affinity {
        if let Some(na) = &aff.node_affinity {
            node_affinity(&ctx, na, &format!("{prefix}.affinity.nodeAffinity"))?;
        }
        for (pa, what) in [(&aff.pod_affinity, "podAffinity"), (&aff.pod_anti_affinity, "podAntiAffinity")] {
            let Some(pa) = pa else { continue };
            let p = format!("{prefix}.affinity.{what}");
            for (i, t) in pa.required_during_scheduling_ignored_during_execution.iter().enumerate() {
                affinity_term(&ctx, t, &format!("{p}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"))?;
            }
            for (i, w) in pa.preferred_during_scheduling_ignored_during_execution.iter().enumerate() {
                weight(
                    &ctx,
                    w.weight,
                    &format!("{p}.preferredDuringSchedulingIgnoredDuringExecution[{i}].weight"),
                )?;
                let f = format!("{p}.preferredDuringSchedulingIgnoredDuringExecution[{i}].podAffinityTerm");
                affinity_term(&ctx, &w.pod_affinity_term, &f)?;
            }
        }
    }
    for (i, c) in spec.topology_spread_constraints.iter().enumerate() {
        topology_key(&ctx, &c.topology_key, &format!("{prefix}.topologySpreadConstraints[{i}].topologyKey"))?;
    }
    ctx.validate_pod_level(spec, prefix)?;
    let mut names = std::collections::BTreeSet::new();
    for (containers, what) in [(&spec.init_containers, "initContainers"), (&spec.containers, "containers")] {
        for (ci, c) in containers.iter().enumerate() {
            // `validateContainerCommon`: a DNS-1123 label, unique among all the pod's containers.
            let name_field = format!("{prefix}.{what}[{ci}].name");
            if c.name.is_empty() {
                return Err(required(&ctx, &name_field, ""));
            }
            invalid(&ctx, &name_field, &c.name, dns1123_label(&c.name))?;
            if !names.insert(c.name.as_str()) {
                return Err(ctx.field_error(&name_field, format!("Duplicate value: {:?}", c.name)));
            }
            for (pi, port) in c.ports.iter().enumerate() {
                let f = format!("{prefix}.{what}[{ci}].ports[{pi}]");
                container_port(&ctx, port, &f)?;
            }
        }
    }
    Ok(())
}

/// `validateContainerPorts`: `containerPort` required and in 1..=65535, `protocol` one of `TCP`,
/// `UDP`, `SCTP` (case matters), `hostPort` 0 (unset) or in 1..=65535.
fn container_port(ctx: &Ctx, port: &api::ContainerPort, field: &str) -> Result<(), InputError> {
    let cp = format!("{field}.containerPort");
    if port.container_port == 0 {
        return Err(required(ctx, &cp, ""));
    }
    if let Some(m) = port_number(port.container_port).into_iter().next() {
        return Err(ctx.field_error(&cp, format!("Invalid value: {}: {m}", port.container_port)));
    }
    if !matches!(port.protocol.as_str(), "" | "TCP" | "UDP" | "SCTP") {
        let m =
            format!("Unsupported value: {:?}: supported values: \"SCTP\", \"TCP\", \"UDP\"", port.protocol);
        return Err(ctx.field_error(&format!("{field}.protocol"), m));
    }
    if port.host_port != 0
        && let Some(m) = port_number(port.host_port).into_iter().next()
    {
        return Err(
            ctx.field_error(&format!("{field}.hostPort"), format!("Invalid value: {}: {m}", port.host_port))
        );
    }
    Ok(())
}

/// The weight of a preferred term (`ValidatePreferredSchedulingTerms`,
/// `validateWeightedPodAffinityTerms`): 1..=100.
fn weight(ctx: &Ctx, w: i32, field: &str) -> Result<(), InputError> {
    if (1..=100).contains(&w) {
        return Ok(());
    }
    Err(ctx.field_error(field, format!("Invalid value: {w}: must be in the range 1-100")))
}

/// A topology key: `Required value: can not be empty`, then a qualified name.
fn topology_key(ctx: &Ctx, key: &str, field: &str) -> Result<(), InputError> {
    if key.is_empty() {
        return Err(required(ctx, field, "can not be empty"));
    }
    invalid(ctx, field, key, qualified_name(key))
}

/// `validatePodAffinityTerm`: namespaces are DNS-1123 labels, the topology key is required.
fn affinity_term(ctx: &Ctx, t: &api::PodAffinityTerm, field: &str) -> Result<(), InputError> {
    for ns in &t.namespaces {
        invalid(ctx, &format!("{field}.namespace"), ns, dns1123_label(ns))?;
    }
    topology_key(ctx, &t.topology_key, &format!("{field}.topologyKey"))
}

/// `ValidateNodeSelector` on the required node affinity (at least one term) and
/// `ValidateNodeSelectorRequirement` on every match expression of required and preferred terms.
fn node_affinity(ctx: &Ctx, na: &api::NodeAffinity, prefix: &str) -> Result<(), InputError> {
    if let Some(sel) = &na.required_during_scheduling_ignored_during_execution {
        let p = format!("{prefix}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
        if sel.node_selector_terms.is_empty() {
            return Err(required(ctx, &p, "must have at least one node selector term"));
        }
        for (i, t) in sel.node_selector_terms.iter().enumerate() {
            for (j, r) in t.match_expressions.iter().enumerate() {
                requirement(ctx, r, &format!("{p}[{i}].matchExpressions[{j}]"), true)?;
            }
        }
    }
    for (i, t) in na.preferred_during_scheduling_ignored_during_execution.iter().enumerate() {
        weight(
            ctx,
            t.weight,
            &format!("{prefix}.preferredDuringSchedulingIgnoredDuringExecution[{i}].weight"),
        )?;
        for (j, r) in t.preference.match_expressions.iter().enumerate() {
            let f = format!(
                "{prefix}.preferredDuringSchedulingIgnoredDuringExecution[{i}].preference.matchExpressions[{j}]"
            );
            requirement(ctx, r, &f, false)?;
        }
    }
    Ok(())
}

/// `ValidateNodeSelectorRequirement`: the number of values each operator takes, a qualified-name
/// key, and, in *required* node affinity only, values that are valid label values (upstream
/// always allows invalid ones in preferred terms, "as they can succeed when the cluster has only
/// one node"). The values of `Gt`/`Lt` are not checked to be integers: the API server accepts
/// `Gt: "abc"`; the scheduler cannot parse the term, which then matches no node (required) or
/// fails PreScore (preferred).
fn requirement(
    ctx: &Ctx,
    r: &api::NodeSelectorRequirement,
    field: &str,
    required_affinity: bool,
) -> Result<(), InputError> {
    let values = format!("{field}.values");
    match r.operator.as_str() {
        "In" | "NotIn" if r.values.is_empty() => {
            return Err(required(ctx, &values, "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        "Exists" | "DoesNotExist" if !r.values.is_empty() => {
            return Err(ctx.field_error(
                &values,
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'".into(),
            ));
        }
        "Gt" | "Lt" if r.values.len() != 1 => {
            return Err(required(
                ctx,
                &values,
                "must be specified single value when `operator` is 'Lt' or 'Gt'",
            ));
        }
        _ => {}
    }
    invalid(ctx, &format!("{field}.key"), &r.key, qualified_name(&r.key))?;
    if required_affinity {
        for (k, v) in r.values.iter().enumerate() {
            invalid(ctx, &format!("{values}[{k}]"), v, label_value(v))?;
        }
    }
    Ok(())
}

/// Upstream's field error for one [`PodLevelViolation`] (`validatePodResourceConsistency`), as
/// `(field, body)` with the pod-level resources at `prefix` (`spec.resources`):
/// - `spec.resources.requests[cpu]`, `Invalid value: "500m": must be greater than or equal to
///   aggregate container requests of 1`;
/// - `spec.resources.limits[hugepages-2Mi]`, `Invalid value: "2Mi": must be greater than or
///   equal to aggregate container limits of 4Mi`;
/// - `spec.resources.containers[0][memory].limits`, `Invalid value: "2Gi": must be less than or
///   equal to pod limits of 1Gi` (upstream builds this path under the pod-level resources).
pub fn pod_level_violation(v: &PodLevelViolation, prefix: &str) -> (String, String) {
    match v {
        PodLevelViolation::RequestBelowAggregate { resource, pod, aggregate } => (
            format!("{prefix}.requests[{resource}]"),
            format!(
                "Invalid value: {:?}: must be greater than or equal to aggregate container requests of {}",
                format_quantity(resource, *pod),
                format_quantity(resource, *aggregate)
            ),
        ),
        PodLevelViolation::HugePageLimitBelowAggregate { resource, pod, aggregate } => (
            format!("{prefix}.limits[{resource}]"),
            format!(
                "Invalid value: {:?}: must be greater than or equal to aggregate container limits of {}",
                format_quantity(resource, *pod),
                format_quantity(resource, *aggregate)
            ),
        ),
        PodLevelViolation::ContainerLimitAbovePod { container, resource, limit, pod } => (
            format!("{prefix}.containers[{container}][{resource}].limits"),
            format!(
                "Invalid value: {:?}: must be less than or equal to pod limits of {}",
                format_quantity(resource, *limit),
                format_quantity(resource, *pod)
            ),
        ),
    }
}
