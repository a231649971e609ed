//! `KubeSchedulerConfiguration` (`kubescheduler.config.k8s.io/v1`, after
//! `k8s.io/kube-scheduler/config/v1/types.go`) as written, before defaulting.
//! Defaulting, merging with the default plugins and validation happen in
//! [`crate::scheduler::framework::profile`].

use serde::{Deserialize, Serialize};

/// The API version capsim reads.
pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";

/// A KubeSchedulerConfiguration document.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KubeSchedulerConfiguration {
    /// Must be `kubescheduler.config.k8s.io/v1`.
    pub api_version: String,
    /// Must be `KubeSchedulerConfiguration`.
    pub kind: String,
    /// Global percentage of nodes to score (0 or unset: adaptive).
    pub percentage_of_nodes_to_score: Option<i32>,
    /// Initial backoff of an unschedulable pod, seconds (default 1).
    pub pod_initial_backoff_seconds: Option<i64>,
    /// Maximum backoff, seconds (default 10).
    pub pod_max_backoff_seconds: Option<i64>,
    /// Scheduler profiles; one `default-scheduler` profile when empty.
    pub profiles: Vec<KubeSchedulerProfile>,
}

/// One profile.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KubeSchedulerProfile {
    /// The `spec.schedulerName` pods use to select this profile (default `default-scheduler`).
    pub scheduler_name: Option<String>,
    /// Per-profile percentage of nodes to score, overriding the global one.
    pub percentage_of_nodes_to_score: Option<i32>,
    /// Plugins per extension point, merged with the defaults.
    pub plugins: Option<Plugins>,
    /// Plugin arguments.
    pub plugin_config: Vec<PluginConfig>,
}

/// Enabled/disabled plugins per extension point.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Plugins {
    /// Plugins enabled at every extension point they implement.
    pub multi_point: PluginSet,
    /// PreEnqueue.
    pub pre_enqueue: PluginSet,
    /// QueueSort.
    pub queue_sort: PluginSet,
    /// PreFilter.
    pub pre_filter: PluginSet,
    /// Filter.
    pub filter: PluginSet,
    /// PostFilter.
    pub post_filter: PluginSet,
    /// PreScore.
    pub pre_score: PluginSet,
    /// Score.
    pub score: PluginSet,
    /// Reserve.
    pub reserve: PluginSet,
    /// Permit.
    pub permit: PluginSet,
    /// PreBind.
    pub pre_bind: PluginSet,
    /// Bind.
    pub bind: PluginSet,
    /// PostBind.
    pub post_bind: PluginSet,
}

/// Enabled and disabled plugins of one extension point.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PluginSet {
    /// Plugins to enable (a default of the same name is replaced in place).
    pub enabled: Vec<PluginEntry>,
    /// Plugins to disable; `*` disables every default.
    pub disabled: Vec<PluginEntry>,
}

/// A plugin name with an optional score weight.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PluginEntry {
    /// Plugin name.
    pub name: String,
    /// Score weight (0 or unset: 1).
    pub weight: Option<i32>,
}

/// Arguments of one plugin.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PluginConfig {
    /// Plugin name.
    pub name: String,
    /// The plugin's args object, decoded by the plugin.
    pub args: serde_json::Value,
}
