//! Static pods (mirrors the kubelet's file source and mirror pods): per-node Pod manifests the
//! kubelet runs as soon as its node joins. The API shows each as a mirror pod named
//! `<name>-<node>` with `spec.nodeName` set, so the scheduler never sees it, but its requests
//! count in the node's totals.

use crate::model::{NodeId, Owner, OwnerReference, Pod};

/// Static pods for the nodes a selection matches.
#[derive(Clone, Debug)]
pub struct StaticPods {
    /// The manifests (as the kubelet reads them).
    pub pods: Vec<Pod>,
    /// Which nodes run them; `None` = every node.
    pub nodes: Option<crate::model::selection::NodeSelection>,
}

/// The mirror pod of `template` on node `node_name` (id `node`): named `<name>-<node>`, bound
/// by `spec.nodeName`, annotated as a mirror, owned by the node (the kubelet writes a controller
/// reference to its `v1` Node, as upstream's mirror client does).
pub fn mirror_pod(template: &Pod, node: NodeId, node_name: &str) -> Pod {
    let mut p = template.clone();
    p.name = format!("{}-{node_name}", template.name);
    p.node_name = Some(node_name.to_string());
    p.mirror = true;
    p.owner = Some(Owner::Node(node));
    p.owner_references = vec![OwnerReference::controller("v1", "Node", node_name)];
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_pods_are_named_after_their_node() {
        let t = crate::model::simple_pod("etcd", Default::default());
        let p = mirror_pod(&t, 3, "cp-1");
        assert_eq!((p.name.as_str(), p.node_name.as_deref()), ("etcd-cp-1", Some("cp-1")));
        assert!(p.mirror);
        assert_eq!(p.owner, Some(Owner::Node(3)));
        let r = p.controller_ref().expect("a controller reference");
        assert_eq!((r.api_version.as_str(), r.kind.as_str()), ("v1", "Node"));
    }
}
