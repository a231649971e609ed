//! NodeUnschedulable: cordoned nodes take only pods that tolerate
//! `node.kubernetes.io/unschedulable:NoSchedule`.
//! Mirrors `pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`.

use crate::model::labels::tolerations_tolerate;
use crate::model::{Cluster, NodeHot, NodeInfo, Pod, Taint, TaintEffect};
use crate::names::TAINT_UNSCHEDULABLE;
use crate::scheduler::framework::{CycleState, FastFilter, FilterPlugin, Plugin, Status};

/// Upstream name.
pub const NAME: &str = "NodeUnschedulable";
/// Upstream `ErrReasonUnschedulable`.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";

/// Filter: rejects `spec.unschedulable` nodes (UnschedulableAndUnresolvable) unless tolerated.
#[derive(Debug, Default)]
pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

fn tolerates_unschedulable(pod: &Pod) -> bool {
    let taint =
        Taint { key: TAINT_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
    tolerations_tolerate(&pod.tolerations, &taint)
}

impl FilterPlugin for NodeUnschedulable {
    /// Any node that is not cordoned passes; a pod tolerating the unschedulable taint passes all.
    fn fast_filter(&self, _: &CycleState, pod: &Pod) -> Option<FastFilter> {
        let reject_flags = if tolerates_unschedulable(pod) { 0 } else { NodeHot::UNSCHEDULABLE };
        Some(FastFilter { reject_flags, ..FastFilter::default() })
    }

    fn filter(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        if !node.node.unschedulable {
            return Status::success();
        }
        if tolerates_unschedulable(pod) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        }
    }
}
