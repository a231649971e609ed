//! DefaultBinder: binds the pod to the chosen node.
//! Mirrors `pkg/scheduler/framework/plugins/defaultbinder/default_binder.go`; in capsim the engine
//! performs the binding, so the plugin only confirms it.

use crate::model::{NodeInfo, Pod};
use crate::scheduler::framework::{BindPlugin, Plugin, Status};

/// Upstream name.
pub const NAME: &str = "DefaultBinder";

/// Bind: always succeeds.
#[derive(Debug, Default)]
pub struct DefaultBinder;

impl Plugin for DefaultBinder {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        Some(self)
    }
}

impl BindPlugin for DefaultBinder {
    fn bind(&self, _: &Pod, _: &NodeInfo) -> Status {
        Status::success()
    }
}
