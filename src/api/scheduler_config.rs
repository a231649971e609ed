//! `KubeSchedulerConfiguration` (`kubescheduler.config.k8s.io/v1`, after
//! `k8s.io/kube-scheduler/config/v1/types.go`) as written, before defaulting.
//! Defaulting, merging with the default plugins and validation happen in
//! [`crate::scheduler::framework::profile`].
//!
//! Decoding is strict, as kube-scheduler's codec decodes its config file (serializer options
//! `Strict: true` in `pkg/scheduler/apis/config/scheme`): every field of v1.35's
//! `KubeSchedulerConfiguration`, `KubeSchedulerProfile`, `Plugins`, `PluginSet`, `Plugin` and
//! `PluginConfig` is accepted, and any other field (`profile:`, `plugin:`,
//! `percentageOfNodeToScore`) or a repeated field is an error, inside `leaderElection`,
//! `clientConnection` and `extenders` too. What capsim does not simulate (leader election,
//! client connection, profiling, extenders) is accepted and ignored.

use serde::{Deserialize, Serialize};

/// The API version capsim reads.
pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";

/// A KubeSchedulerConfiguration document.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
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
    /// Parallelism of the scheduling algorithms (accepted, no effect in virtual time).
    pub parallelism: Option<i32>,
    /// Leader election of the process (accepted, not simulated).
    pub leader_election: Option<LeaderElection>,
    /// Client connection settings (accepted, not simulated).
    pub client_connection: Option<ClientConnection>,
    /// Debugging: profiling handlers (accepted, not simulated).
    pub enable_profiling: Option<bool>,
    /// Debugging: contention profiling (accepted, not simulated).
    pub enable_contention_profiling: Option<bool>,
    /// Scheduler extenders (accepted, not simulated).
    pub extenders: Option<Vec<Extender>>,
    /// Whether caches wait for leadership (accepted, not simulated).
    pub delay_cache_until_active: Option<bool>,
}

/// `leaderElection` (component-base `LeaderElectionConfiguration`): field names checked,
/// values not simulated.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct LeaderElection {
    /// `leaderElect`.
    pub leader_elect: Option<serde_json::Value>,
    /// `leaseDuration`.
    pub lease_duration: Option<serde_json::Value>,
    /// `renewDeadline`.
    pub renew_deadline: Option<serde_json::Value>,
    /// `retryPeriod`.
    pub retry_period: Option<serde_json::Value>,
    /// `resourceLock`.
    pub resource_lock: Option<serde_json::Value>,
    /// `resourceName`.
    pub resource_name: Option<serde_json::Value>,
    /// `resourceNamespace`.
    pub resource_namespace: Option<serde_json::Value>,
}

/// `clientConnection` (component-base `ClientConnectionConfiguration`): field names checked,
/// values not simulated.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientConnection {
    /// `kubeconfig`.
    pub kubeconfig: Option<serde_json::Value>,
    /// `acceptContentTypes`.
    pub accept_content_types: Option<serde_json::Value>,
    /// `contentType`.
    pub content_type: Option<serde_json::Value>,
    /// `qps`.
    pub qps: Option<serde_json::Value>,
    /// `burst`.
    pub burst: Option<serde_json::Value>,
}

/// One entry of `extenders` (v1 `Extender`): field names checked, never called.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Extender {
    /// `urlPrefix`.
    pub url_prefix: Option<serde_json::Value>,
    /// `filterVerb`.
    pub filter_verb: Option<serde_json::Value>,
    /// `preemptVerb`.
    pub preempt_verb: Option<serde_json::Value>,
    /// `prioritizeVerb`.
    pub prioritize_verb: Option<serde_json::Value>,
    /// `weight`.
    pub weight: Option<serde_json::Value>,
    /// `bindVerb`.
    pub bind_verb: Option<serde_json::Value>,
    /// `enableHTTPS`.
    #[serde(rename = "enableHTTPS")]
    pub enable_https: Option<serde_json::Value>,
    /// `tlsConfig`.
    pub tls_config: Option<ExtenderTls>,
    /// `httpTimeout`.
    pub http_timeout: Option<serde_json::Value>,
    /// `nodeCacheCapable`.
    pub node_cache_capable: Option<serde_json::Value>,
    /// `managedResources`.
    pub managed_resources: Option<Vec<ExtenderManagedResource>>,
    /// `ignorable`.
    pub ignorable: Option<serde_json::Value>,
}

/// An extender's `tlsConfig` (v1 `ExtenderTLSConfig`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtenderTls {
    /// `insecure`.
    pub insecure: Option<serde_json::Value>,
    /// `serverName`.
    pub server_name: Option<serde_json::Value>,
    /// `certFile`.
    pub cert_file: Option<serde_json::Value>,
    /// `keyFile`.
    pub key_file: Option<serde_json::Value>,
    /// `caFile`.
    pub ca_file: Option<serde_json::Value>,
    /// `certData`.
    pub cert_data: Option<serde_json::Value>,
    /// `keyData`.
    pub key_data: Option<serde_json::Value>,
    /// `caData`.
    pub ca_data: Option<serde_json::Value>,
}

/// An extender's `managedResources` entry (v1 `ExtenderManagedResource`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtenderManagedResource {
    /// `name`.
    pub name: Option<serde_json::Value>,
    /// `ignoredByScheduler`.
    pub ignored_by_scheduler: Option<serde_json::Value>,
}

/// One profile.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
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
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
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
#[serde(default, deny_unknown_fields)]
pub struct PluginSet {
    /// Plugins to enable (a default of the same name is replaced in place).
    pub enabled: Vec<PluginEntry>,
    /// Plugins to disable; `*` disables every default.
    pub disabled: Vec<PluginEntry>,
}

/// A plugin name with an optional score weight.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginEntry {
    /// Plugin name.
    pub name: String,
    /// Score weight (0 or unset: 1).
    pub weight: Option<i32>,
}

/// Arguments of one plugin.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginConfig {
    /// Plugin name.
    pub name: String,
    /// The plugin's args object, decoded by the plugin.
    pub args: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::yaml::from_str_typed;
    use crate::error::InputError;
    use std::path::Path;

    fn field_error(text: &str) -> (usize, String, String) {
        match from_str_typed::<KubeSchedulerConfiguration>(text, Path::new("c.yaml")).unwrap_err() {
            InputError::Field { line, field, message, .. } => (line, field, message),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_strict_decoding_errors_with_line_and_path() {
        let k = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";
        let (line, field, msg) = field_error(&format!("{k}profile:\n- schedulerName: a\n"));
        assert_eq!((line, field.as_str()), (3, "profile"));
        assert_eq!(msg, "strict decoding error: unknown field \"profile\"");
        let (line, field, _) = field_error(&format!("{k}profiles:\n- schedulerName: a\n  plugin: {{}}\n"));
        assert_eq!((line, field.as_str()), (5, "profiles[0].plugin"));
        let (line, field, _) = field_error(&format!("{k}percentageOfNodeToScore: 50\n"));
        assert_eq!((line, field.as_str()), (3, "percentageOfNodeToScore"));
        let text = format!(
            "{k}profiles:\n- plugins:\n    score:\n      enabled:\n      - name: X\n        wieght: 2\n"
        );
        let (line, field, _) = field_error(&text);
        assert_eq!((line, field.as_str()), (8, "profiles[0].plugins.score.enabled[0].wieght"));
    }

    #[test]
    fn duplicate_fields_are_errors() {
        let err = from_str_typed::<KubeSchedulerConfiguration>(
            "kind: KubeSchedulerConfiguration\nparallelism: 4\nparallelism: 8\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("c.yaml:3"), "{err}");
        assert!(err.to_string().contains("duplicate"), "{err}");
    }

    #[test]
    fn every_upstream_field_is_accepted() {
        let text = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nparallelism: 16\nleaderElection: {leaderElect: false}\nclientConnection: {kubeconfig: /etc/k}\nenableProfiling: true\nenableContentionProfiling: false\npercentageOfNodesToScore: 0\npodInitialBackoffSeconds: 1\npodMaxBackoffSeconds: 10\nextenders: []\ndelayCacheUntilActive: false\nprofiles:\n- schedulerName: s\n  percentageOfNodesToScore: 10\n  plugins:\n    preEnqueue: {}\n    queueSort: {}\n    preFilter: {}\n    filter: {}\n    postFilter: {}\n    preScore: {}\n    score: {enabled: [{name: A, weight: 2}], disabled: [{name: '*'}]}\n    reserve: {}\n    permit: {}\n    preBind: {}\n    bind: {}\n    postBind: {}\n    multiPoint: {}\n  pluginConfig:\n  - name: A\n    args: {anything: 1}\n";
        let cfg: KubeSchedulerConfiguration = from_str_typed(text, Path::new("c.yaml")).unwrap();
        assert_eq!(cfg.profiles.len(), 1);
        assert_eq!(cfg.parallelism, Some(16));
    }
}
