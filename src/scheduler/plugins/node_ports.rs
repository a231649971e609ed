//! NodePorts: a pod's host ports must be free on the node.
//! Mirrors `pkg/scheduler/framework/plugins/nodeports/node_ports.go` (v1.35).

use crate::model::cluster::host_ports;
use crate::model::{Cluster, HostPort, NodeHot, NodeInfo, Pod};
use crate::scheduler::framework::{
    CycleState, FastFilter, FilterPlugin, Plugin, PreFilterOutcome, PreFilterPlugin, Status,
};

/// Upstream name.
pub const NAME: &str = "NodePorts";
/// Upstream `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// PreFilter: Skip for pods without host ports. Filter: Unschedulable when a wanted
/// (protocol, port) is taken on the same IP, or either side binds `0.0.0.0`.
#[derive(Debug, Default)]
pub struct NodePorts;

struct PreFilterState(Vec<HostPort>);

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

/// Upstream `HostPortInfo.CheckConflict` for one wanted port against the node's used ports.
fn conflicts(used: &[HostPort], want: &HostPort) -> bool {
    used.iter().any(|u| {
        u.protocol == want.protocol
            && u.port == want.port
            && (want.ip == "0.0.0.0" || u.ip == "0.0.0.0" || u.ip == want.ip)
    })
}

impl PreFilterPlugin for NodePorts {
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, _: &Cluster) -> PreFilterOutcome {
        let ports: Vec<HostPort> = host_ports(pod).collect();
        if ports.is_empty() {
            return (None, Status::skip());
        }
        state.write(NAME, PreFilterState(ports));
        (None, Status::success())
    }
}

impl FilterPlugin for NodePorts {
    /// A node where no bound pod claims a host port passes.
    fn fast_filter(&self, _: &CycleState, _: &Pod) -> Option<FastFilter> {
        Some(FastFilter { reject_flags: NodeHot::HOST_PORTS, ..FastFilter::default() })
    }

    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        let computed;
        let wanted = match state.read::<PreFilterState>(NAME) {
            Some(s) => &s.0,
            None => {
                computed = host_ports(pod).collect::<Vec<_>>();
                &computed
            }
        };
        if wanted.iter().any(|w| conflicts(&node.used_ports, w)) {
            Status::unschedulable(ERR_REASON)
        } else {
            Status::success()
        }
    }
}
