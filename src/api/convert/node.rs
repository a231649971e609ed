//! Nodes (core/v1 `Node`) into [`model::Node`]: taints, capacity and allocatable (defaulted to
//! the capacity, as the kubelet reports it when no reservation is configured), images.

use std::path::Path;

use super::Ctx;
use crate::api::objects as api;
use crate::error::InputError;
use crate::model;

/// Converts an API Node into the model.
///
/// `path` and `line` (where the object starts) are used in errors.
///
/// # Errors
/// [`InputError::Field`] for a malformed quantity (e.g. `status.allocatable.cpu`) or an unknown
/// taint effect (`spec.taints[0].effect`). The API validation of the Node itself (its name and
/// labels) is [`super::validate_node`], which readers call first.
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::convert::test_support::{node, path};

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
}
