//! PrioritySort: orders the active queue by priority, then by queue timestamp.
//! Mirrors `pkg/scheduler/framework/plugins/queuesort/priority_sort.go`.

use crate::model::Pod;
use crate::scheduler::framework::{Plugin, QueueSortPlugin};
use crate::time::SimTime;

/// Upstream name.
pub const NAME: &str = "PrioritySort";

/// Higher `spec.priority` first; equal priority → earlier queue timestamp first.
#[derive(Debug, Default)]
pub struct PrioritySort;

impl Plugin for PrioritySort {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        Some(self)
    }
}

impl QueueSortPlugin for PrioritySort {
    fn less(&self, a: &Pod, a_time: SimTime, b: &Pod, b_time: SimTime) -> bool {
        a.priority > b.priority || (a.priority == b.priority && a_time < b_time)
    }
}
