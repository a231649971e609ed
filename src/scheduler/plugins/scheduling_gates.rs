//! SchedulingGates: keeps pods with `spec.schedulingGates` out of the active queue.
//! Mirrors `pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go`.

use crate::model::Pod;
use crate::scheduler::framework::{Code, Plugin, PreEnqueuePlugin, Status};

/// Upstream name.
pub const NAME: &str = "SchedulingGates";

/// PreEnqueue: UnschedulableAndUnresolvable `waiting for scheduling gates: [a b]` while gates
/// remain.
#[derive(Debug, Default)]
pub struct SchedulingGates;

impl Plugin for SchedulingGates {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        Some(self)
    }
}

impl PreEnqueuePlugin for SchedulingGates {
    fn pre_enqueue(&self, pod: &Pod) -> Status {
        if pod.scheduling_gates.is_empty() {
            return Status::success();
        }
        Status::new(
            Code::UnschedulableAndUnresolvable,
            format!("waiting for scheduling gates: [{}]", pod.scheduling_gates.join(" ")),
        )
    }
}
