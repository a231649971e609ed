//! The plugin registry type: plugin name → factory (upstream `framework/runtime/registry.go`),
//! and the default profile's plugin set (upstream `apis/config/v1/default_plugins.go`, v1.35).
//!
//! The framework never names a plugin: the in-tree registry is built beside the plugins
//! (`scheduler::plugins::registry::in_tree`, upstream `plugins/registry.go`) and passed to
//! [`super::profile::build`]. A library user may [`Registry::register`] plugins of their own on
//! top of it (upstream's out-of-tree registry, `app.WithPlugin`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Plugin;

/// Builds a plugin from its `pluginConfig` args (`Value::Null` when none were given).
pub type PluginFactory = fn(&serde_json::Value) -> Result<Arc<dyn Plugin>, String>;

/// The plugins a scheduler can instantiate, by upstream name (kept in name order).
#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<String, PluginFactory>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the factory of plugin `name` (upstream `Registry.Register`).
    ///
    /// # Errors
    /// A plugin of that name is already registered.
    pub fn register(&mut self, name: impl Into<String>, factory: PluginFactory) -> Result<(), String> {
        let name = name.into();
        if self.factories.contains_key(&name) {
            return Err(format!("a plugin named {name} already exists"));
        }
        self.factories.insert(name, factory);
        Ok(())
    }

    /// Adds every plugin of `other` (upstream `Registry.Merge`).
    ///
    /// # Errors
    /// A plugin of `other` is already registered here.
    pub fn merge(&mut self, other: &Registry) -> Result<(), String> {
        for (name, f) in &other.factories {
            self.register(name.clone(), *f)?;
        }
        Ok(())
    }

    /// The factory of plugin `name`, if registered.
    pub fn factory(&self, name: &str) -> Option<PluginFactory> {
        self.factories.get(name).copied()
    }

    /// True when plugin `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }

    /// The registered plugin names, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// The error for a plugin name this registry lacks (an unregistered plugin or a typo).
    pub fn not_built_in(&self, name: &str) -> String {
        let known: Vec<&str> = self.names().collect();
        format!("plugin {name:?} is not built in (capsim has the in-tree plugins: {})", known.join(", "))
    }
}

/// The default profile's `multiPoint` plugins with their weights (0 = not a score plugin), in
/// upstream order (v1.35 with DynamicResourceAllocation GA).
pub const DEFAULT_MULTI_POINT: &[(&str, i32)] = &[
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DynamicResources", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
];
