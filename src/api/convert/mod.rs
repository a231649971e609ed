//! Conversion of API objects into the compact [`crate::model`], with the API server's defaulting
//! (core/v1, `pkg/apis/core/v1/defaults.go`) applied on the way:
//!
//! - a container's limits are copied into its requests for every resource it does not request;
//! - pod-level `resources.limits` are copied into missing pod-level requests;
//! - the namespace defaults to `default`, `spec.schedulerName` to `default-scheduler`;
//! - a Node without `status.allocatable` gets a copy of `status.capacity`;
//! - `spec.priorityClassName` is resolved into the priority (priority admission).
//!
//! Quantities become integers: cpu through `MilliValue()` (millicores), every other resource
//! through `Value()`, both rounding up.
//!
//! One file per concern: [`pod`] (Pods, their containers and annotations), [`node`] (Nodes),
//! [`priority`] (PriorityClasses), [`scheduling`] (selectors, affinity, spread constraints,
//! tolerations and taints, shared by pods, nodes and scheduler arguments) and [`untyped`] (the
//! workload selectors and PodDisruptionBudgets read from untyped objects). This file holds what
//! they share: the error context and resource lists.

use std::path::Path;

use super::objects as api;
use super::quantity::Quantity;
use crate::error::InputError;
use crate::model;
use crate::model::resources::is_milli_resource;

pub mod node;
pub mod pod;
pub mod priority;
pub mod runtime_class;
pub mod scheduling;
pub mod untyped;
pub mod validation;

pub use node::node_to_model;
pub use pod::{ANNOTATION_DELETION_COST, ANNOTATION_MIRROR, pod_to_model};
pub use priority::{HIGHEST_USER_DEFINABLE_PRIORITY, PriorityClasses, builtin_priority};
pub use runtime_class::runtime_class_from_value;
pub use scheduling::node_affinity_to_model;
pub use untyped::{pdb_from_value, replicaset_selector, workload_selector_from_value};
pub use validation::{validate_node, validate_pod, validate_pod_spec};

/// Default namespace of a pod.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Where the object being converted comes from, for errors.
struct Ctx<'a> {
    path: &'a Path,
    line: usize,
}

impl Ctx<'_> {
    /// An [`InputError::Field`] about `field` of this object.
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
}

#[cfg(test)]
mod test_support {
    use std::path::Path;

    use crate::api::objects::{self as api, KubeObject};
    use crate::api::yaml::from_str_typed;

    pub(super) fn path() -> &'static Path {
        Path::new("t.yaml")
    }

    pub(super) fn pod(text: &str) -> api::Pod {
        match from_str_typed::<KubeObject>(text, path()).unwrap() {
            KubeObject::Pod(p) => *p,
            other => panic!("not a pod: {other:?}"),
        }
    }

    pub(super) fn node(text: &str) -> api::Node {
        match from_str_typed::<KubeObject>(text, path()).unwrap() {
            KubeObject::Node(n) => *n,
            other => panic!("not a node: {other:?}"),
        }
    }
}
