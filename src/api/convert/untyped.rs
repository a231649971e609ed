//! Objects capsim keeps untyped ([`api::KubeObject::Other`]) but reads parts of: the selectors of
//! Services, ReplicationControllers, ReplicaSets and StatefulSets (PodTopologySpread's system
//! default constraints) and PodDisruptionBudgets (`policy/v1`, with upstream's validation of
//! `minAvailable` / `maxUnavailable`).

use std::collections::BTreeMap;
use std::path::Path;

use super::{Ctx, DEFAULT_NAMESPACE};
use crate::api::objects as api;
use crate::error::InputError;
use crate::model;

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
    let name = value.pointer("/metadata/name").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let mut raw = value.pointer("/spec/selector").cloned().unwrap_or(serde_json::Value::Null);
    // `SetDefaults_ReplicationController`: an empty selector becomes the template's labels.
    let empty = raw.is_null() || raw.as_object().is_some_and(|m| m.is_empty());
    if kind == model::SelectorKind::ReplicationController
        && empty
        && let Some(labels) = value.pointer("/spec/template/metadata/labels").filter(|l| !l.is_null())
    {
        raw = labels.clone();
    }
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
    Ok(Some(model::WorkloadSelector { kind, name, namespace, selector, created: crate::time::SimTime::ZERO }))
}

/// The selector of a typed `ReplicaSet` (read as [`api::KubeObject::ReplicaSet`]), for
/// PodTopologySpread's default constraints: pods whose controller reference names it count
/// through it. `None` without a selector.
///
/// # Errors
/// A selector with an unknown operator.
pub fn replicaset_selector(
    rs: &crate::api::workloads::Deployment,
    path: &Path,
    line: usize,
) -> Result<Option<model::WorkloadSelector>, InputError> {
    let ctx = Ctx { path, line };
    let Some(sel) = &rs.spec.selector else { return Ok(None) };
    let namespace =
        if rs.metadata.namespace.is_empty() { DEFAULT_NAMESPACE } else { rs.metadata.namespace.as_str() };
    Ok(Some(model::WorkloadSelector {
        kind: model::SelectorKind::ReplicaSet,
        name: rs.metadata.name.clone(),
        namespace: namespace.to_string(),
        selector: ctx.label_selector(sel, "spec.selector")?,
        created: crate::time::SimTime::ZERO,
    }))
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
