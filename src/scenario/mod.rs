//! Loads a scenario file and every file it names into the inputs of a run ([`LoadedScenario`]).
//! All paths are resolved against the scenario file's folder. Every error names the file, the
//! line and the field.
//!
//! [`load`] reads the sections in order, one step each: the header, the nodes (`nodes.rs`), the
//! workload (`sources.rs`, with `manifests.rs`), the scheduler (`scheduler.rs`), the metrics
//! interval and horizon, static pods and failure processes (`nodes.rs`), the timeline
//! (`events.rs`, into `timeline.rs`'s [`Dynamics`]), the controllers and the runtime
//! (`runtime.rs`). `fields.rs` places errors at the line of their field path ([`crate::api::spans`]).

pub mod caps;
mod events;
mod fields;
pub mod manifests;
mod nodes;
mod runtime;
mod scheduler;
mod sources;
pub mod timeline;
mod warnings;

use std::path::{Path, PathBuf};

use crate::api::scenario as schema;
use crate::api::yaml::from_str_typed;
use crate::error::InputError;
use crate::model::Node;
use crate::model::pdb::PodDisruptionBudget;
use crate::scheduler::framework::profile::SchedulerConfig;
use crate::scheduler::framework::runner::TieBreak;
use crate::time::SimTime;
use crate::workload::alibaba_openb::Arrival;
use fields::{field_err, read_text};
use timeline::Dynamics;

pub use fields::{expect_kind, parse_duration, refine_line};
pub use scheduler::load_scheduler_config;

/// Default interval between time-series samples: one hour of virtual time.
pub const DEFAULT_SAMPLE_INTERVAL: SimTime = SimTime::from_secs(3600);

/// Everything a run needs, resolved from a scenario file.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    /// The scenario's name.
    pub name: String,
    /// The scenario file.
    pub path: PathBuf,
    /// The scenario's seed.
    pub seed: u64,
    /// Nodes, joined at time 0 in this order.
    pub nodes: Vec<Node>,
    /// Pods in creation order.
    pub arrivals: Vec<Arrival>,
    /// The scheduler configuration (default profile when the scenario names none).
    pub scheduler: SchedulerConfig,
    /// Tie-break rule among top-scored nodes.
    pub tie_break: TieBreak,
    /// Interval between time-series samples.
    pub sample_interval: SimTime,
    /// Virtual horizon; `None` runs until no event is left.
    pub horizon: Option<SimTime>,
    /// Facts a reader of the results must know (e.g. GPU-sharing pods rounded up).
    pub notes: Vec<String>,
    /// Every input file read, scenario first.
    pub inputs: Vec<PathBuf>,
    /// The scenario file's text, saved into results folders.
    pub text: String,
    /// PodDisruptionBudgets from the pod manifests (DefaultPreemption honours them).
    pub pdbs: Vec<PodDisruptionBudget>,
    /// Several scheduler processes racing (empty: one process runs `scheduler` and reads the
    /// cluster directly).
    pub processes: Vec<SchedulerProcess>,
    /// Virtual time one scheduling cycle of the single process takes.
    pub cycle_latency: SimTime,
    /// Timeline, pools, failure processes, the system layer (controllers, policies) and
    /// controller settings.
    pub dynamics: timeline::Dynamics,
    /// Record Kubernetes-style events (`events.csv`); experiments that keep only digests
    /// (compare, plan, bench) turn it off.
    pub record_events: bool,
}

/// One scheduler process with its own configuration and informer delay.
#[derive(Clone, Debug)]
pub struct SchedulerProcess {
    /// Its name.
    pub name: String,
    /// Its configuration.
    pub scheduler: SchedulerConfig,
    /// How long its cache lags the cluster.
    pub informer_delay: SimTime,
    /// Virtual time one of its scheduling cycles takes.
    pub cycle_latency: SimTime,
}

/// At most this many time-series samples per run (keeps memory bounded).
pub const MAX_SAMPLES: i64 = 1_000_000;

/// At most this many usage changes per pod over a run (`spec.runtime.changeInterval` against the
/// run's span): bounds the runtime model's work.
pub const MAX_USAGE_CHANGES: i64 = 10_000_000;

/// At most this many failures per node on average over a run (a random failure process's `mtbf`
/// against the run's span).
pub const MAX_FAILURES_PER_NODE: i64 = 1_000_000;

/// Loads the scenario at `path` and everything it names.
///
/// # Errors
/// Any unreadable file, malformed YAML/CSV, unknown field, unsupported trace format, or invalid
/// scheduler configuration, naming the file, line and field.
pub fn load(path: &Path) -> Result<LoadedScenario, InputError> {
    let text = read_text(path)?;
    let sc = read_header(path, &text)?;
    let name = sc.metadata.name.clone();
    let base = path.parent().unwrap_or(Path::new("."));
    let mut inputs = vec![path.to_path_buf()];
    let mut notes = Vec::new();

    let mut dynamics = Dynamics::default();
    let nodes = nodes::load_nodes(&sc, path, &text, base, &mut dynamics, &mut inputs)?;
    let (arrivals, pdbs): (Vec<Arrival>, Vec<PodDisruptionBudget>) =
        sources::load_workload(&sc, path, &text, base, &mut dynamics, &mut inputs)?;
    let mut sched = scheduler::load_scheduler(&sc, path, &text, base, &mut inputs)?;
    let sample_interval = load_sample_interval(&sc, path, &text)?;
    let horizon = match &sc.spec.duration {
        None => None,
        Some(s) => Some(parse_duration(s, path, &text, "spec.duration")?),
    };
    nodes::load_static_pods(&sc, base, &mut dynamics, &mut inputs)?;
    nodes::load_failures(&sc, path, &text, horizon, &mut dynamics)?;
    events::load_events(&sc, path, &text, &mut dynamics)?;
    dynamics.settings = load_controller_settings(&sc, path, &text)?;
    if let Some(rt) = &sc.spec.runtime {
        dynamics.runtime = Some(runtime::load_runtime(rt, path, &text)?);
    }
    if dynamics.runtime.is_some() && horizon.is_none() {
        notes.push(
            "the runtime is measured until the workload's last event (no spec.duration); pods that never end stop being measured there".into(),
        );
    }
    check_sample_count(path, &text, &arrivals, &dynamics, horizon, sample_interval)?;
    caps::check_total_pods(path, &text, &arrivals, &dynamics)?;
    warnings::timeline_notes(&nodes, &dynamics, horizon, &mut notes);
    // A workload with GPU-sharing pods asks for capsim's GPU-sharing Filter (docs/plugins.md).
    let workload_pods = arrivals
        .iter()
        .map(|a| &a.pod)
        .chain(dynamics.replicasets.iter().map(|r| &r.template))
        .chain(dynamics.jobs.iter().map(|j| &j.template))
        .chain(dynamics.daemonsets.iter().map(|d| &d.template));
    let workload_pods: Vec<&crate::model::Pod> = workload_pods.collect();
    crate::scheduler::plugins::gpu::enable_for_workload(&mut sched.scheduler, workload_pods.iter().copied());
    for p in &mut sched.processes {
        crate::scheduler::plugins::gpu::enable_for_workload(&mut p.scheduler, workload_pods.iter().copied());
    }
    let mut configs = vec![&sched.scheduler];
    configs.extend(sched.processes.iter().map(|p| &p.scheduler));
    let template_pods = dynamics.generators.iter().flat_map(|g| g.shapes.iter().map(|(_, p)| p));
    warnings::unserved_scheduler_names(
        workload_pods.iter().copied().chain(template_pods),
        &configs,
        &mut notes,
    );
    Ok(LoadedScenario {
        name,
        path: path.to_path_buf(),
        seed: sc.spec.seed,
        nodes,
        arrivals,
        scheduler: sched.scheduler,
        tie_break: sched.tie_break,
        sample_interval,
        horizon,
        notes,
        inputs,
        text,
        pdbs,
        processes: sched.processes,
        cycle_latency: sched.cycle_latency,
        dynamics,
        record_events: true,
    })
}

/// Parses the scenario and checks its `apiVersion`, `kind` and `metadata.name`.
fn read_header(path: &Path, text: &str) -> Result<schema::Scenario, InputError> {
    fields::expect_kind(path, text, "Scenario", schema::API_VERSION)?;
    let sc: schema::Scenario = from_str_typed(text, path)?;
    if sc.api_version != schema::API_VERSION {
        return Err(field_err(
            path,
            text,
            "apiVersion",
            format!("{:?}: expected {}", sc.api_version, schema::API_VERSION),
        ));
    }
    if sc.kind != "Scenario" {
        return Err(field_err(path, text, "kind", format!("{:?}: expected Scenario", sc.kind)));
    }
    let name = sc.metadata.name.clone();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(field_err(
            path,
            text,
            "metadata.name",
            format!("{name:?}: use letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(sc)
}

/// `spec.metrics.sampleInterval` (default one hour), greater than 0.
fn load_sample_interval(sc: &schema::Scenario, path: &Path, text: &str) -> Result<SimTime, InputError> {
    let sample_interval = match &sc.spec.metrics.sample_interval {
        None => DEFAULT_SAMPLE_INTERVAL,
        Some(s) => parse_duration(s, path, text, "spec.metrics.sampleInterval")?,
    };
    if sample_interval.0 <= 0 {
        return Err(field_err(path, text, "spec.metrics.sampleInterval", "must be greater than 0".into()));
    }
    Ok(sample_interval)
}

/// Refuses a run that would take more than [`MAX_SAMPLES`] samples, [`MAX_USAGE_CHANGES`] usage
/// changes per pod or [`MAX_FAILURES_PER_NODE`] failures per node over its horizon (or, without
/// one, until its last event).
fn check_sample_count(
    path: &Path,
    text: &str,
    arrivals: &[Arrival],
    dynamics: &Dynamics,
    horizon: Option<SimTime>,
    sample_interval: SimTime,
) -> Result<(), InputError> {
    // A generator's pods arrive within its window; their lifetimes are bounded by SimTime::MAX.
    let last_event = arrivals
        .iter()
        .map(|a| a.deleted.unwrap_or(a.created))
        .chain(dynamics.timeline.iter().map(|(t, _)| *t))
        .chain(dynamics.generators.iter().map(|g| g.start.plus_millis(g.over_ms + g.longest_lifetime_ms())))
        .max()
        .unwrap_or(SimTime::ZERO);
    let span = horizon.unwrap_or(last_event);
    if span.0 / sample_interval.0 > MAX_SAMPLES {
        return Err(field_err(
            path,
            text,
            "spec.metrics.sampleInterval",
            format!(
                "{} ms over a {} s run would take more than {MAX_SAMPLES} samples; choose a longer interval",
                sample_interval.0,
                span.0 / 1000
            ),
        ));
    }
    if let Some(rt) = &dynamics.runtime
        && span.0 / rt.change_interval_ms.max(1) > MAX_USAGE_CHANGES
    {
        return Err(field_err(
            path,
            text,
            "spec.runtime.changeInterval",
            format!(
                "{} ms over a {} s run would change each pod's usage more than {MAX_USAGE_CHANGES} times; choose a longer interval or a shorter run",
                rt.change_interval_ms,
                span.0 / 1000
            ),
        ));
    }
    for (i, f) in dynamics.failures.iter().enumerate() {
        if span.0 / f.mtbf_ms.max(1) > MAX_FAILURES_PER_NODE {
            return Err(field_err(
                path,
                text,
                &format!("spec.cluster.nodeFailures[{i}].mtbf"),
                format!(
                    "{} ms over a {} s run would fail each node more than {MAX_FAILURES_PER_NODE} times on average; choose a longer mtbf or a shorter run",
                    f.mtbf_ms,
                    span.0 / 1000
                ),
            ));
        }
    }
    Ok(())
}

/// The controllers' settings of `spec.controllers`.
fn load_controller_settings(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
) -> Result<crate::controllers::Settings, InputError> {
    let dur = |s: &str, field: &str| parse_duration(s, path, text, field);
    let c = &sc.spec.controllers;
    let mut s = crate::controllers::Settings::default();
    if let Some(d) = &c.node_monitor_grace_period {
        s.node_monitor_grace_ms = dur(d, "spec.controllers.nodeMonitorGracePeriod")?.0;
    }
    if let Some(d) = &c.sync_delay {
        s.sync_delay_ms = dur(d, "spec.controllers.syncDelay")?.0;
    }
    let rate = |v: Option<f64>, d: f64, name: &str| -> Result<f64, InputError> {
        match v {
            None => Ok(d),
            Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
            Some(x) => Err(field_err(
                path,
                text,
                &format!("spec.controllers.{name}"),
                format!("{x}: must be a number ≥ 0"),
            )),
        }
    };
    s.node_eviction_rate = rate(c.node_eviction_rate, s.node_eviction_rate, "nodeEvictionRate")?;
    s.secondary_node_eviction_rate =
        rate(c.secondary_node_eviction_rate, s.secondary_node_eviction_rate, "secondaryNodeEvictionRate")?;
    s.unhealthy_zone_threshold =
        rate(c.unhealthy_zone_threshold, s.unhealthy_zone_threshold, "unhealthyZoneThreshold")?;
    if let Some(v) = c.large_cluster_size_threshold {
        s.large_cluster_size_threshold = v;
    }
    if let Some(v) = c.default_not_ready_toleration_seconds {
        s.not_ready_toleration_s = v;
    }
    if let Some(v) = c.default_unreachable_toleration_seconds {
        s.unreachable_toleration_s = v;
    }
    s.evict_on_node_affinity_change = c.evict_on_node_affinity_change;
    Ok(s)
}
