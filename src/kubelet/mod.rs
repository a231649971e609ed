//! The kubelet: its admission of pods bound to its node ([`admission`]), and its view of
//! running pods: what their containers use over virtual time ([`usage`]), CPU throttling and
//! sharing ([`cpu`]), OOM kills, restarts and node-pressure eviction ([`memory`]), and the
//! per-pod and per-node state the engine keeps for them ([`runtime`]). The runtime is off unless
//! the scenario has a `runtime` section; admission always applies.

pub mod admission;
pub mod cfs;
pub mod cpu;
pub mod memory;
pub mod runtime;
pub mod usage;

/// Runtime settings of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeSettings {
    /// Usage rules, first match wins; pods matching none use [`usage::UsageRule::default_for`]
    /// their QoS class.
    pub rules: Vec<usage::UsageRule>,
    /// How often usage is re-drawn, ms.
    pub change_interval_ms: i64,
    /// `evictionHard` memory threshold.
    pub eviction_threshold: memory::MemoryThreshold,
    /// `evictionPressureTransitionPeriod`, ms.
    pub pressure_transition_ms: i64,
    /// How often the eviction manager looks, ms.
    pub eviction_interval_ms: i64,
    /// Most pods a controller may lose to kubelet admission before capsim stops it re-creating
    /// them (a runaway upstream has too).
    pub max_kubelet_rejections: u32,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            rules: Vec::new(),
            change_interval_ms: 300_000,
            eviction_threshold: memory::MemoryThreshold::Bytes(memory::DEFAULT_EVICTION_HARD_MEMORY),
            pressure_transition_ms: memory::DEFAULT_PRESSURE_TRANSITION_MS,
            eviction_interval_ms: memory::DEFAULT_EVICTION_INTERVAL_MS,
            max_kubelet_rejections: 100,
        }
    }
}
