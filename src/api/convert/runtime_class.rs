//! `RuntimeClass` (`node.k8s.io/v1`), kept untyped and read into
//! [`crate::model::policy::RuntimeClass`]: its `overhead.podFixed` and its `scheduling`
//! (`nodeSelector`, `tolerations`), which RuntimeClass admission applies to pods.

use std::path::Path;

use serde_json::Value;

use super::Ctx;
use crate::api::objects as api;
use crate::error::InputError;
use crate::model::policy::RuntimeClass;

/// Reads a RuntimeClass whose whole object is `value` (from `path`, starting at `line`).
///
/// # Errors
/// A missing name or handler, or a field of the wrong shape (a bad quantity, an unknown
/// toleration operator or effect), naming the field.
pub fn runtime_class_from_value(value: &Value, path: &Path, line: usize) -> Result<RuntimeClass, InputError> {
    let ctx = Ctx { path, line };
    let text = |ptr: &str| value.pointer(ptr).and_then(Value::as_str).unwrap_or("").to_string();
    let name = text("/metadata/name");
    if name.is_empty() {
        return Err(ctx.field_error("metadata.name", "Required value: a RuntimeClass needs a name".into()));
    }
    if text("/handler").is_empty() {
        return Err(ctx.field_error("handler", "Required value".into()));
    }
    let at = |ptr: &str| value.pointer(ptr).filter(|v| !v.is_null()).cloned();
    let overhead = match at("/overhead/podFixed") {
        None => None,
        Some(Value::Object(map)) => {
            // A quantity may be written as a number (`cpu: 1`) or a string (`cpu: 250m`).
            let list: api::ResourceList = map
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect();
            Some(ctx.resources(&list, "overhead.podFixed")?)
        }
        Some(v) => {
            return Err(ctx.field_error("overhead.podFixed", format!("{v}: expected a map of quantities")));
        }
    };
    let node_selector = match at("/scheduling/nodeSelector") {
        None => Default::default(),
        Some(v) => serde_json::from_value(v).map_err(|e| {
            ctx.field_error("scheduling.nodeSelector", format!("expected a map of strings: {e}"))
        })?,
    };
    let tolerations = match at("/scheduling/tolerations") {
        None => Vec::new(),
        Some(v) => {
            let list: Vec<api::Toleration> = serde_json::from_value(v).map_err(|e| {
                ctx.field_error("scheduling.tolerations", format!("expected a list of tolerations: {e}"))
            })?;
            list.iter()
                .enumerate()
                .map(|(i, t)| ctx.toleration(t, &format!("scheduling.tolerations[{i}]")))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(RuntimeClass { name, overhead, node_selector, tolerations, created: Default::default() })
}
