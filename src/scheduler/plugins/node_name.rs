//! NodeName: a pod with `spec.nodeName` fits only that node.
//! Mirrors `pkg/scheduler/framework/plugins/nodename/node_name.go`.

use crate::model::{Cluster, NodeInfo, Pod};
use crate::scheduler::framework::{CycleState, FilterPlugin, Plugin, Status};

/// Upstream name.
pub const NAME: &str = "NodeName";
/// Upstream `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// Filter: UnschedulableAndUnresolvable when `spec.nodeName` is set and differs from the node.
#[derive(Debug, Default)]
pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for NodeName {
    fn filter(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        match &pod.node_name {
            Some(name) if !name.is_empty() && *name != node.node.name => Status::unresolvable(ERR_REASON),
            _ => Status::success(),
        }
    }
    fn filter_relevant(&self, pod: &Pod) -> bool {
        pod.node_name.as_ref().is_some_and(|n| !n.is_empty())
    }
}
