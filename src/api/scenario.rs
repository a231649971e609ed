//! The capsim scenario file (`apiVersion: capsim.dev/v1alpha1`, `kind: Scenario`), as written.
//! Documented in `docs/scenario.md`. Unknown fields are errors here (they are typos in a file
//! capsim owns), unlike in Kubernetes objects.

use serde::{Deserialize, Serialize};

/// The API version of scenario files.
pub const API_VERSION: &str = "capsim.dev/v1alpha1";

/// A scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// Must be `capsim.dev/v1alpha1`.
    pub api_version: String,
    /// Must be `Scenario`.
    pub kind: String,
    /// Name (used for the default results folder).
    pub metadata: ScenarioMeta,
    /// What to simulate.
    pub spec: ScenarioSpec,
}

/// Scenario metadata.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioMeta {
    /// Scenario name: letters, digits, `-`, `_`, `.`.
    pub name: String,
}

/// The scenario's content. Paths are relative to the scenario file's folder.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Seed of the run (default 1); `--seed` overrides it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Virtual horizon (`72h`, `90m`, `3600s`); default: until no event is left.
    #[serde(default)]
    pub duration: Option<String>,
    /// The cluster's nodes.
    pub cluster: ClusterSpec,
    /// The scheduler configuration.
    #[serde(default)]
    pub scheduler: SchedulerSpec,
    /// Pod sources.
    #[serde(default)]
    pub workload: Vec<WorkloadSource>,
    /// Metrics settings.
    #[serde(default)]
    pub metrics: MetricsSpec,
}

fn default_seed() -> u64 {
    1
}

/// Where nodes come from.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    /// Node sources, joined at time 0 in order.
    pub nodes: Vec<NodeSource>,
}

/// One source of nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum NodeSource {
    /// A trace node list.
    Trace(TraceRef),
    /// A YAML file of `Node` objects (multi-document or `kind: List`).
    Manifest(ManifestRef),
}

/// One source of pods.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum WorkloadSource {
    /// A trace pod list (arrivals and departures).
    Trace(TraceRef),
    /// A YAML file of `Pod` (and `PriorityClass`) objects, all created at `at`.
    Manifest(ManifestRef),
}

/// A trace file and its format.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceRef {
    /// Trace format; `alibaba-openb` is supported.
    pub format: String,
    /// Path of the file, relative to the scenario.
    pub path: String,
    /// For pod traces: `spec.schedulerName`s given to the pods in turn, in file order (pod 0 gets
    /// the first, pod 1 the second, ...), to split one trace between profiles. Default: every pod
    /// uses `default-scheduler`.
    #[serde(default)]
    pub scheduler_names: Vec<String>,
}

/// A manifest file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestRef {
    /// Path of the YAML file, relative to the scenario.
    pub path: String,
    /// When the objects are created (default `0s`).
    #[serde(default)]
    pub at: Option<String>,
}

/// Scheduler settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchedulerSpec {
    /// Path of a KubeSchedulerConfiguration file; default: upstream's default profile.
    #[serde(default)]
    pub config: Option<String>,
    /// Tie-break among top-scored nodes: `random` (default, as kube-scheduler) or `first`.
    #[serde(default)]
    pub tie_break: Option<String>,
    /// Several scheduler processes instead of one (`config` must then be unset): each has its own
    /// configuration, queue and cache, fed by its informer after `informerDelay`, so they can
    /// race for the same free capacity.
    #[serde(default)]
    pub processes: Vec<ProcessSpec>,
    /// Virtual time one scheduling cycle takes in the single scheduler process (default `0s`).
    #[serde(default)]
    pub cycle_latency: Option<String>,
}

/// One scheduler process of a scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcessSpec {
    /// A name for reports.
    pub name: String,
    /// Path of its KubeSchedulerConfiguration.
    pub config: String,
    /// How long its informer takes to see a change of the cluster (default `0s`).
    #[serde(default)]
    pub informer_delay: Option<String>,
    /// Virtual time one scheduling cycle takes (default `0s`): the process starts its next
    /// cycle only after it.
    #[serde(default)]
    pub cycle_latency: Option<String>,
}

/// Metrics settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricsSpec {
    /// Interval between time-series samples (default `1h`).
    #[serde(default)]
    pub sample_interval: Option<String>,
}
