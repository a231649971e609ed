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
    /// Timeline: node joins, failures, leaves, taint and label changes, cordons, scaling.
    #[serde(default)]
    pub events: Vec<TimelineEvent>,
    /// Controller settings (reaction delays and rates; upstream defaults when unset).
    #[serde(default)]
    pub controllers: ControllersSpec,
    /// The kubelet runtime: container usage, CPU throttling, OOM kills, node-pressure eviction.
    /// Off when absent.
    #[serde(default)]
    pub runtime: Option<RuntimeSpec>,
}

/// The runtime section (see `docs/runtime.md`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeSpec {
    /// How often usage is re-drawn (default `5m`).
    #[serde(default)]
    pub change_interval: Option<String>,
    /// Usage rules, first match wins; unmatched pods use their QoS class's default.
    #[serde(default)]
    pub usage: Vec<UsageRuleSpec>,
    /// Kubelet settings.
    #[serde(default)]
    pub kubelet: KubeletSpec,
}

/// Kubelet settings of the runtime.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeletSpec {
    /// The memory hard-eviction signal (default `memory.available<100Mi`; `memory.available<5%`).
    #[serde(default)]
    pub eviction_hard: Option<String>,
    /// `evictionPressureTransitionPeriod` (default `5m`).
    #[serde(default)]
    pub eviction_pressure_transition_period: Option<String>,
    /// How often the eviction manager looks (default `10s`).
    #[serde(default)]
    pub eviction_monitoring_interval: Option<String>,
    /// Pods one controller may lose to kubelet admission before capsim stops it (default 100).
    #[serde(default)]
    pub max_kubelet_rejections: Option<u32>,
}

/// One usage rule.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageRuleSpec {
    /// Which pods (default: all).
    #[serde(default, rename = "match")]
    pub matches: Option<UsageMatchSpec>,
    /// CPU usage (default: the QoS class's).
    #[serde(default)]
    pub cpu: Option<ResourceUsageSpec>,
    /// Memory usage (default: the QoS class's).
    #[serde(default)]
    pub memory: Option<ResourceUsageSpec>,
    /// A daily curve on CPU.
    #[serde(default)]
    pub diurnal: Option<DiurnalSpec>,
    /// Bursts on CPU.
    #[serde(default)]
    pub bursts: Option<BurstsSpec>,
    /// Bursts of CPU work that carry over CFS periods.
    #[serde(default)]
    pub work_bursts: Option<WorkBurstsSpec>,
}

/// Which pods a usage rule applies to.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageMatchSpec {
    /// Namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// `Guaranteed`, `Burstable` or `BestEffort`.
    #[serde(default)]
    pub qos_class: Option<String>,
}

/// Usage of one resource: exactly one distribution.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceUsageSpec {
    /// `request` (default) or `limit`.
    #[serde(default)]
    pub of: Option<String>,
    /// A constant ratio.
    #[serde(default)]
    pub constant: Option<f64>,
    /// A uniform ratio.
    #[serde(default)]
    pub uniform: Option<MinMax>,
    /// A normal ratio.
    #[serde(default)]
    pub normal: Option<MeanSd>,
    /// A log-normal ratio.
    #[serde(default)]
    pub lognormal: Option<MedianSigma>,
    /// Ratios drawn with equal chance.
    #[serde(default)]
    pub empirical: Option<Vec<f64>>,
    /// Linear growth from the container's start, a quantity per hour (`64Mi`, `100m`).
    #[serde(default)]
    pub growth_per_hour: Option<String>,
}

/// `{min, max}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MinMax {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// `{mean, sd}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeanSd {
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
}

/// `{median, sigma}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MedianSigma {
    /// Median.
    pub median: f64,
    /// Sigma of the underlying normal.
    pub sigma: f64,
}

/// A daily curve.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiurnalSpec {
    /// Relative swing, 0..1.
    pub amplitude: f64,
    /// Time of day of the peak (`14h`).
    pub peak_at: String,
}

/// Bursts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BurstsSpec {
    /// Chance per change interval, 0..1.
    pub probability: f64,
    /// Multiplier.
    pub factor: f64,
}

/// Bursts of CPU work (`workBursts: {every: 10s, cpuTime: 200ms, threads: 1}`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkBurstsSpec {
    /// Time between bursts from the pod's start (`10s`).
    pub every: String,
    /// CPU time each burst needs (`200ms`).
    pub cpu_time: String,
    /// Threads it runs on (default 1).
    #[serde(default)]
    pub threads: Option<u32>,
    /// Chance of a burst at each tick, 0..1 (default 1).
    #[serde(default)]
    pub probability: Option<f64>,
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
    /// The cluster's system layer: files or folders of manifests (DaemonSet, Deployment,
    /// ReplicaSet, Job, Pod, PriorityClass, LimitRange, ResourceQuota, PodDisruptionBudget,
    /// Namespace), created at time 0. Other kinds (CRDs, RBAC, Services, ConfigMaps, ...) are
    /// skipped and counted.
    #[serde(default)]
    pub manifests: Vec<String>,
    /// Static pods: per-node Pod manifests the kubelet runs on every matching node.
    #[serde(default)]
    pub static_pods: Vec<StaticPodsSpec>,
    /// Random node failures: per selection of nodes, a mean time between failures and a repair
    /// time. Needs `spec.duration`.
    #[serde(default)]
    pub node_failures: Vec<FailureProcessSpec>,
}

/// Static pods for a selection of nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaticPodsSpec {
    /// A YAML file of Pod objects (the kubelet's manifest folder).
    pub path: String,
    /// Nodes whose kubelet runs them (default: every node).
    #[serde(default)]
    pub nodes: Option<NodeSelection>,
}

/// A random failure process over a selection of nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailureProcessSpec {
    /// The nodes that may fail (each independently).
    #[serde(default)]
    pub nodes: Option<NodeSelection>,
    /// Mean time between failures of one node (exponential), e.g. `720h`.
    pub mtbf: String,
    /// How long a failed node stays down before it recovers, e.g. `1h`.
    pub repair: String,
}

/// Which nodes an event applies to. Filters combine: `names`, then `labels`; then `count` or
/// `fraction` picks that many of the matching nodes at random (from the run's failure stream).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelection {
    /// Node names.
    #[serde(default)]
    pub names: Vec<String>,
    /// Labels the nodes must carry (`matchLabels`).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Nodes of this pool (label `capsim.dev/pool`).
    #[serde(default)]
    pub pool: Option<String>,
    /// Pick this many of the matching nodes.
    #[serde(default)]
    pub count: Option<usize>,
    /// Pick this fraction of the matching nodes (rounded to the nearest, at least 1 when > 0).
    #[serde(default)]
    pub fraction: Option<f64>,
}

/// One timeline event: `at` plus exactly one action.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimelineEvent {
    /// When (`2h`, `90m`, `3600s`).
    pub at: String,
    /// Nodes join from a pool template.
    #[serde(default)]
    pub node_join: Option<NodeJoinSpec>,
    /// Nodes stop heartbeating (kubelet and network down).
    #[serde(default)]
    pub node_failure: Option<NodeFailureSpec>,
    /// Failed nodes heartbeat again.
    #[serde(default)]
    pub node_recovery: Option<NodeSelection>,
    /// Graceful leave: cordon, drain (Eviction API, honouring PodDisruptionBudgets), delete.
    #[serde(default)]
    pub node_leave: Option<NodeSelection>,
    /// Cordon (`spec.unschedulable: true`).
    #[serde(default)]
    pub cordon: Option<NodeSelection>,
    /// Uncordon.
    #[serde(default)]
    pub uncordon: Option<NodeSelection>,
    /// Add, update or remove taints.
    #[serde(default)]
    pub taint: Option<TaintChangeSpec>,
    /// Add, update or remove labels.
    #[serde(default)]
    pub label: Option<LabelChangeSpec>,
    /// Scale a Deployment (or ReplicaSet).
    #[serde(default)]
    pub scale: Option<ScaleSpec>,
}

/// Nodes joining from a pool.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeJoinSpec {
    /// The pool (a `pool` node source) whose template the nodes copy.
    pub pool: String,
    /// How many nodes.
    pub count: usize,
    /// Spacing between joins (default: all at once).
    #[serde(default)]
    pub interval: Option<String>,
    /// Mean spacing of a Poisson arrival process (exponential gaps, from the failure stream);
    /// exclusive with `interval`.
    #[serde(default)]
    pub mean_interval: Option<String>,
}

/// Nodes failing.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeFailureSpec {
    /// Which nodes.
    pub nodes: NodeSelection,
    /// Recover after this long (default: never).
    #[serde(default)]
    pub recover_after: Option<String>,
}

/// A taint written in a scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaintSpec {
    /// Key.
    pub key: String,
    /// Value (default empty).
    #[serde(default)]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// Taints to add (or update, by key and effect) and remove on a selection of nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaintChangeSpec {
    /// Which nodes.
    pub nodes: NodeSelection,
    /// Taints to add; one with the same key and effect is replaced.
    #[serde(default)]
    pub add: Vec<TaintSpec>,
    /// Taints to remove (by key, and effect when given).
    #[serde(default)]
    pub remove: Vec<TaintKeySpec>,
}

/// A taint to remove: its key, and optionally its effect.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaintKeySpec {
    /// Key.
    pub key: String,
    /// Effect (default: every effect).
    #[serde(default)]
    pub effect: Option<String>,
}

/// Labels to set and remove on a selection of nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelChangeSpec {
    /// Which nodes.
    pub nodes: NodeSelection,
    /// Labels to set.
    #[serde(default)]
    pub add: std::collections::BTreeMap<String, String>,
    /// Label keys to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A Deployment or ReplicaSet scaled to a new replica count.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleSpec {
    /// `namespace/name` (or `name` in `default`) of the Deployment or ReplicaSet.
    pub deployment: String,
    /// New `spec.replicas`.
    pub replicas: i32,
}

/// Controller settings; every field defaults to upstream's value.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllersSpec {
    /// node-monitor-grace-period (default `50s`, v1.32+).
    #[serde(default)]
    pub node_monitor_grace_period: Option<String>,
    /// node-eviction-rate: NoExecute taints per second per healthy zone (default 0.1).
    #[serde(default)]
    pub node_eviction_rate: Option<f64>,
    /// secondary-node-eviction-rate for partially disrupted zones (default 0.01).
    #[serde(default)]
    pub secondary_node_eviction_rate: Option<f64>,
    /// unhealthy-zone-threshold (default 0.55).
    #[serde(default)]
    pub unhealthy_zone_threshold: Option<f64>,
    /// large-cluster-size-threshold (default 50).
    #[serde(default)]
    pub large_cluster_size_threshold: Option<usize>,
    /// DefaultTolerationSeconds for `node.kubernetes.io/not-ready` (default 300).
    #[serde(default)]
    pub default_not_ready_toleration_seconds: Option<i64>,
    /// DefaultTolerationSeconds for `node.kubernetes.io/unreachable` (default 300).
    #[serde(default)]
    pub default_unreachable_toleration_seconds: Option<i64>,
    /// How long ReplicaSet, DaemonSet and Job controllers take to react to a change (default
    /// `0s`: the informer and the sync are instant in virtual time).
    #[serde(default)]
    pub sync_delay: Option<String>,
    /// capsim's extension (off by default): treat required node affinity as
    /// `requiredDuringSchedulingRequiredDuringExecution`, evicting a running pod when its
    /// node's labels stop matching.
    #[serde(default)]
    pub evict_on_node_affinity_change: bool,
}

/// One source of nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum NodeSource {
    /// A trace node list.
    Trace(TraceRef),
    /// A pool of identical nodes from a Node template, `count` of them at time 0 (0 is fine:
    /// `nodeJoin` events add more later).
    Pool(PoolSpec),
    /// A YAML file of `Node` objects (multi-document or `kind: List`).
    Manifest(ManifestRef),
}

/// A pool of nodes sharing a template.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolSpec {
    /// Pool name: nodes are named `<name>-<n>` and labelled `capsim.dev/pool: <name>`.
    pub name: String,
    /// Nodes at time 0 (default 0).
    #[serde(default)]
    pub count: usize,
    /// A YAML file with one Node: the template (its name is replaced).
    pub template: String,
}

/// One source of pods.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum WorkloadSource {
    /// A trace pod list (arrivals and departures).
    Trace(TraceRef),
    /// A YAML file (or a folder of them) of Pods and controllers (`Deployment`, `ReplicaSet`,
    /// `DaemonSet`, `Job`) with `PriorityClass`, `LimitRange`, `ResourceQuota` and
    /// `PodDisruptionBudget` objects, all created at `at`; other kinds are skipped and counted.
    Manifest(ManifestRef),
    /// Synthetic pods drawn from the run's workload stream ([`GeneratorSpec`]).
    Generator(GeneratorSpec),
}

/// A pod generator: `count` pods arriving over `over` from `at`, each with a shape drawn by
/// weight and a lifetime drawn from a distribution.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeneratorSpec {
    /// Pods are named `<name>-<n>`.
    pub name: String,
    /// Pods to create (at most 100,000,000).
    pub count: u64,
    /// Start of the arrivals (default `0s`).
    #[serde(default)]
    pub at: Option<String>,
    /// Arrival window, e.g. `24h`.
    pub over: String,
    /// `poisson` (default: exponential gaps averaging `over / count`) or `uniform` (even spacing).
    #[serde(default)]
    pub arrival: Option<String>,
    /// Time from creation to deletion: `30m`, `exponential(2h)` (mean) or `uniform(10m,1h)`;
    /// default: pods are never deleted.
    #[serde(default)]
    pub lifetime: Option<String>,
    /// Namespace of the pods (default `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// `spec.schedulerName` of the pods (default `default-scheduler`).
    #[serde(default)]
    pub scheduler_name: Option<String>,
    /// Labels of every pod.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Pod shapes to draw from (at least one).
    pub shapes: Vec<ShapeSpec>,
}

/// One pod shape of a generator: one container's requests.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShapeSpec {
    /// Relative weight (default 1).
    #[serde(default)]
    pub weight: Option<f64>,
    /// cpu request, a Kubernetes quantity (`100m`, `2`).
    pub cpu: String,
    /// memory request, a Kubernetes quantity (`512Mi`).
    pub memory: String,
    /// PriorityClass of the pods of this shape (admission resolves it).
    #[serde(default)]
    pub priority_class_name: Option<String>,
}

/// A trace file and its format.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceRef {
    /// Trace format; `alibaba-openb` is supported.
    pub format: String,
    /// Path of the file, relative to the scenario.
    pub path: String,
    /// For pod traces: set every container's cpu and memory limits to its request times these
    /// ratios (the trace has requests only), e.g. `{cpu: 2, memory: 1.5}`.
    #[serde(default)]
    pub limits: Option<LimitRatios>,
    /// For pod traces: `spec.schedulerName`s given to the pods in turn, in file order (pod 0 gets
    /// the first, pod 1 the second, ...), to split one trace between profiles. Default: every pod
    /// uses `default-scheduler`.
    #[serde(default)]
    pub scheduler_names: Vec<String>,
}

/// Limit-to-request ratios for a trace.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRatios {
    /// cpu limit / request (≥ 1).
    pub cpu: f64,
    /// memory limit / request (≥ 1).
    pub memory: f64,
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
