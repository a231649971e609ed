//! Loads a scenario file and every file it names into the inputs of a run ([`LoadedScenario`]).
//! All paths are resolved against the scenario file's folder. Every error names the file, the
//! line and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::alibaba_openb::{self, Arrival};
use crate::api::convert::{PriorityClasses, node_to_model, pdb_from_value, pod_to_model, validate_pod};
use crate::api::objects::KubeObject;
use crate::api::scenario::{self as schema, NodeSource, WorkloadSource};
use crate::api::scheduler_config::KubeSchedulerConfiguration;
use crate::api::yaml::{from_str_typed, read_objects};
use crate::error::InputError;
use crate::model::Node;
use crate::model::pdb::PodDisruptionBudget;
use crate::scheduler::framework::profile::{SchedulerConfig, build};
use crate::scheduler::framework::runner::TieBreak;
use crate::sim::time::SimTime;

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

fn field_err(path: &Path, text: &str, needle: &str, field: &str, message: String) -> InputError {
    InputError::Field {
        path: path.to_path_buf(),
        line: find_line(text, needle),
        field: field.into(),
        message,
    }
}

/// The line of a configuration error: where its subject (a plugin or profile name) appears, or
/// else where the last key of its field path does (`profiles[0].percentageOfNodesToScore` →
/// `percentageOfNodesToScore:`), or else 0.
pub fn locate(text: &str, subject: &str, field: &str) -> usize {
    let by_subject = find_line(text, subject);
    if by_subject > 0 {
        return by_subject;
    }
    let leaf = field.rsplit('.').next().unwrap_or(field);
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    find_line(text, &format!("{leaf}:"))
}

/// 1-based line of the first line of `text` that contains `needle` (0 when absent): locates
/// values that a checked field path cannot (plugin names in a config, for instance).
pub fn find_line(text: &str, needle: &str) -> usize {
    if needle.is_empty() {
        return 0;
    }
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or(0)
}

/// Moves a conversion error from the line where its object starts to the line of the field
/// itself: the first line at or after `start` that holds the field's last key (and the bad value,
/// when the message quotes one).
pub fn refine_line(e: InputError, path: &Path) -> InputError {
    let InputError::Field { path: p, line, field, message } = e else { return e };
    let Ok(text) = std::fs::read_to_string(path) else {
        return InputError::Field { path: p, line, field, message };
    };
    let leaf = field.rsplit('.').next().unwrap_or(&field);
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    let value = message.split('"').nth(1).unwrap_or("");
    let found = text
        .lines()
        .enumerate()
        .skip(line.saturating_sub(1))
        .find(|(_, l)| l.contains(&format!("{leaf}:")) && l.contains(value))
        .map(|(i, _)| i + 1);
    InputError::Field { path: p, line: found.unwrap_or(line), field, message }
}

/// Parses a Go-style duration (`90s`, `1h30m`, `72h`, `500ms`) into virtual time.
///
/// # Errors
/// A malformed duration, naming `field`.
pub fn parse_duration(s: &str, path: &Path, text: &str, field: &str) -> Result<SimTime, InputError> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        field_err(path, text, s, field, format!("{s:?} is not a duration like 90s, 1h30m or 72h: {e}"))
    })?;
    match i64::try_from(d.as_millis()) {
        Ok(ms) if ms <= SimTime::MAX.0 => Ok(SimTime(ms)),
        _ => Err(field_err(path, text, s, field, format!("{s:?} is longer than 100 years of virtual time"))),
    }
}

/// At most this many time-series samples per run (keeps memory bounded).
pub const MAX_SAMPLES: i64 = 1_000_000;

fn read_text(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })
}

/// Reads a KubeSchedulerConfiguration file and builds its validated profiles.
///
/// # Errors
/// Unreadable or malformed YAML, or a configuration upstream would reject (unknown plugin, bad
/// args, ...), naming the file, the line and the field path.
pub fn load_scheduler_config(path: &Path) -> Result<SchedulerConfig, InputError> {
    let text = read_text(path)?;
    let cfg: KubeSchedulerConfiguration = from_str_typed(&text, path)?;
    if cfg.kind != "KubeSchedulerConfiguration" {
        return Err(field_err(
            path,
            &text,
            "kind",
            "kind",
            format!("{:?}: expected KubeSchedulerConfiguration", cfg.kind),
        ));
    }
    build(&cfg).map_err(|e| InputError::Field {
        path: path.to_path_buf(),
        line: locate(&text, &e.subject, &e.field),
        field: e.field,
        message: e.message,
    })
}

/// Loads the scenario at `path` and everything it names.
///
/// # Errors
/// Any unreadable file, malformed YAML/CSV, unknown field, unsupported trace format, or invalid
/// scheduler configuration, naming the file, line and field.
pub fn load(path: &Path) -> Result<LoadedScenario, InputError> {
    let text = read_text(path)?;
    let sc: schema::Scenario = from_str_typed(&text, path)?;
    if sc.api_version != schema::API_VERSION {
        return Err(field_err(
            path,
            &text,
            "apiVersion",
            "apiVersion",
            format!("{:?}: expected {}", sc.api_version, schema::API_VERSION),
        ));
    }
    if sc.kind != "Scenario" {
        return Err(field_err(path, &text, "kind", "kind", format!("{:?}: expected Scenario", sc.kind)));
    }
    let name = sc.metadata.name.clone();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(field_err(
            path,
            &text,
            "name",
            "metadata.name",
            format!("{name:?}: use letters, digits, '-', '_' or '.'"),
        ));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| base.join(p);
    let mut inputs = vec![path.to_path_buf()];
    let mut notes = Vec::new();

    // Nodes.
    let mut nodes: Vec<Node> = Vec::new();
    let mut node_names: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (i, src) in sc.spec.cluster.nodes.iter().enumerate() {
        match src {
            NodeSource::Trace(t) => {
                if !t.scheduler_names.is_empty() {
                    return Err(field_err(
                        path,
                        &text,
                        "schedulerNames",
                        &format!("spec.cluster.nodes[{i}].trace.schedulerNames"),
                        "schedulerNames applies to pod traces only".into(),
                    ));
                }
                check_format(path, &text, &t.format, &format!("spec.cluster.nodes[{i}].trace.format"))?;
                let p = resolve(&t.path);
                for node in alibaba_openb::read_nodes(&p)? {
                    if !node_names.insert(node.name.clone()) {
                        return Err(InputError::Field {
                            path: p.clone(),
                            line: 0,
                            field: "sn".into(),
                            message: format!("node {:?} is defined twice in the scenario's nodes", node.name),
                        });
                    }
                    nodes.push(node);
                }
                inputs.push(p);
            }
            NodeSource::Manifest(m) => {
                if let Some(at) = &m.at {
                    return Err(field_err(
                        path,
                        &text,
                        at,
                        &format!("spec.cluster.nodes[{i}].manifest.at"),
                        "nodes join at time 0; `at` applies to pod manifests only".into(),
                    ));
                }
                let p = resolve(&m.path);
                for obj in read_objects(&p)? {
                    match &obj.value {
                        KubeObject::Node(n) => {
                            let node = node_to_model(n, &p, obj.line).map_err(|e| refine_line(e, &p))?;
                            if !node_names.insert(node.name.clone()) {
                                return Err(InputError::Field {
                                    path: p.clone(),
                                    line: obj.line,
                                    field: "metadata.name".into(),
                                    message: format!("node {:?} is defined twice", node.name),
                                });
                            }
                            nodes.push(node);
                        }
                        other => {
                            return Err(InputError::Field {
                                path: p.clone(),
                                line: obj.line,
                                field: "kind".into(),
                                message: format!("{}: a node manifest holds only Node objects", other.kind()),
                            });
                        }
                    }
                }
                inputs.push(p);
            }
        }
    }
    // Pods.
    let mut arrivals: Vec<Arrival> = Vec::new();
    let mut pdbs: Vec<PodDisruptionBudget> = Vec::new();
    for (i, src) in sc.spec.workload.iter().enumerate() {
        match src {
            WorkloadSource::Trace(t) => {
                check_format(path, &text, &t.format, &format!("spec.workload[{i}].trace.format"))?;
                let p = resolve(&t.path);
                let mut list = alibaba_openb::read_pods(&p)?;
                if !t.scheduler_names.is_empty() {
                    // Round-robin in file order (arrivals are sorted by time; `line` keeps file order).
                    let mut by_line: Vec<usize> = (0..list.arrivals.len()).collect();
                    by_line.sort_by_key(|i| list.arrivals[*i].line);
                    for (k, i) in by_line.into_iter().enumerate() {
                        list.arrivals[i].pod.scheduler_name =
                            t.scheduler_names[k % t.scheduler_names.len()].clone();
                    }
                }
                if list.shared_gpu_pods_rounded_up > 0 {
                    notes.push(format!(
                        "{} pods of {} share a GPU (gpu_milli < 1000); until GPU sharing is modelled each takes one whole nvidia.com/gpu",
                        list.shared_gpu_pods_rounded_up, t.path
                    ));
                }
                arrivals.extend(list.arrivals);
                inputs.push(p);
            }
            WorkloadSource::Manifest(m) => {
                let p = resolve(&m.path);
                let at = match &m.at {
                    Some(s) => parse_duration(s, path, &text, &format!("spec.workload[{i}].manifest.at"))?,
                    None => SimTime::ZERO,
                };
                arrivals.extend(manifest_pods(&p, at, &mut pdbs)?);
                inputs.push(p);
            }
        }
    }
    // Stable: sources in scenario order, then creation time.
    arrivals.sort_by_key(|a| a.created);

    // Scheduler.
    let scheduler = match &sc.spec.scheduler.config {
        None => SchedulerConfig::default_config(),
        Some(c) => {
            let p = resolve(c);
            let cfg = load_scheduler_config(&p)?;
            inputs.push(p);
            cfg
        }
    };
    let mut processes: Vec<SchedulerProcess> = Vec::new();
    if !sc.spec.scheduler.processes.is_empty() && sc.spec.scheduler.config.is_some() {
        return Err(field_err(
            path,
            &text,
            "processes",
            "spec.scheduler.processes",
            "give either config or processes, not both".into(),
        ));
    }
    for (i, pr) in sc.spec.scheduler.processes.iter().enumerate() {
        let p = resolve(&pr.config);
        let cfg = load_scheduler_config(&p)?;
        inputs.push(p);
        if processes.iter().any(|e: &SchedulerProcess| e.name == pr.name) {
            return Err(field_err(
                path,
                &text,
                &pr.name,
                &format!("spec.scheduler.processes[{i}].name"),
                format!("two processes are named {:?}", pr.name),
            ));
        }
        for earlier in &processes {
            if let Some(dup) =
                cfg.profiles.iter().find(|x| earlier.scheduler.profile(&x.scheduler_name).is_some())
            {
                return Err(field_err(
                    path,
                    &text,
                    &pr.name,
                    &format!("spec.scheduler.processes[{i}]"),
                    format!(
                        "schedulerName {:?} is served by two processes ({} and {})",
                        dup.scheduler_name, earlier.name, pr.name
                    ),
                ));
            }
        }
        let informer_delay = match &pr.informer_delay {
            None => SimTime::ZERO,
            Some(d) => {
                parse_duration(d, path, &text, &format!("spec.scheduler.processes[{i}].informerDelay"))?
            }
        };
        let cycle_latency = match &pr.cycle_latency {
            None => SimTime::ZERO,
            Some(d) => {
                parse_duration(d, path, &text, &format!("spec.scheduler.processes[{i}].cycleLatency"))?
            }
        };
        processes.push(SchedulerProcess {
            name: pr.name.clone(),
            scheduler: cfg,
            informer_delay,
            cycle_latency,
        });
    }
    let cycle_latency = match &sc.spec.scheduler.cycle_latency {
        None => SimTime::ZERO,
        Some(d) => parse_duration(d, path, &text, "spec.scheduler.cycleLatency")?,
    };
    // With several processes, `scheduler` lists every process's profiles (for validate and
    // explain); the engine runs each process on its own.
    let scheduler = match processes.first() {
        Some(first) => {
            let mut all = first.scheduler.clone();
            for pr in &processes[1..] {
                all.profiles.extend(pr.scheduler.profiles.iter().cloned());
            }
            all
        }
        None => scheduler,
    };
    let tie_break = match sc.spec.scheduler.tie_break.as_deref() {
        None | Some("random") => TieBreak::Random,
        Some("first") => TieBreak::FirstNode,
        Some(other) => {
            return Err(field_err(
                path,
                &text,
                "tieBreak",
                "spec.scheduler.tieBreak",
                format!("{other:?}: expected random or first"),
            ));
        }
    };
    let sample_interval = match &sc.spec.metrics.sample_interval {
        None => DEFAULT_SAMPLE_INTERVAL,
        Some(s) => parse_duration(s, path, &text, "spec.metrics.sampleInterval")?,
    };
    if sample_interval.0 <= 0 {
        return Err(field_err(
            path,
            &text,
            "sampleInterval",
            "spec.metrics.sampleInterval",
            "must be greater than 0".into(),
        ));
    }
    let horizon = match &sc.spec.duration {
        None => None,
        Some(s) => Some(parse_duration(s, path, &text, "spec.duration")?),
    };
    let last_event = arrivals.iter().map(|a| a.deleted.unwrap_or(a.created)).max().unwrap_or(SimTime::ZERO);
    let span = horizon.unwrap_or(last_event);
    if span.0 / sample_interval.0 > MAX_SAMPLES {
        return Err(field_err(
            path,
            &text,
            "sampleInterval",
            "spec.metrics.sampleInterval",
            format!(
                "{} ms over a {} s run would take more than {MAX_SAMPLES} samples; choose a longer interval",
                sample_interval.0,
                span.0 / 1000
            ),
        ));
    }
    Ok(LoadedScenario {
        name,
        path: path.to_path_buf(),
        seed: sc.spec.seed,
        nodes,
        arrivals,
        scheduler,
        tie_break,
        sample_interval,
        horizon,
        notes,
        inputs,
        text,
        pdbs,
        processes,
        cycle_latency,
    })
}

fn check_format(path: &Path, text: &str, format: &str, field: &str) -> Result<(), InputError> {
    if format == "alibaba-openb" {
        Ok(())
    } else {
        Err(field_err(
            path,
            text,
            format,
            field,
            format!("{format:?}: unsupported trace format; expected alibaba-openb"),
        ))
    }
}

/// Reads the Pods of a manifest (PriorityClasses in the same file resolve their priorities),
/// all created at `at`.
fn manifest_pods(
    p: &Path,
    at: SimTime,
    pdbs: &mut Vec<PodDisruptionBudget>,
) -> Result<Vec<Arrival>, InputError> {
    let objects = read_objects(p)?;
    let mut classes = PriorityClasses::default();
    for obj in &objects {
        if let KubeObject::PriorityClass(pc) = &obj.value {
            classes.add(pc, p, obj.line)?;
        }
    }
    let priority_of = |name: &str| classes.resolve(name);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for obj in &objects {
        match &obj.value {
            KubeObject::Pod(pod) => {
                validate_pod(pod, p, obj.line)?;
                let api_pod = pod;
                let mut pod = pod_to_model(pod, p, obj.line, priority_of).map_err(|e| refine_line(e, p))?;
                classes.apply_policy(api_pod, &mut pod);
                if let Some(first) = seen.insert(pod.key(), obj.line) {
                    return Err(InputError::Field {
                        path: p.to_path_buf(),
                        line: obj.line,
                        field: "metadata.name".into(),
                        message: format!("Pod {} is already defined at line {first}", pod.key()),
                    });
                }
                out.push(Arrival { pod, created: at, deleted: None, line: obj.line });
            }
            KubeObject::PriorityClass(_) => {}
            KubeObject::Other { kind, value, .. } if kind == "PodDisruptionBudget" => {
                if let Some(pdb) = pdb_from_value(kind, value, p, obj.line)? {
                    pdbs.push(pdb);
                }
            }
            other => {
                return Err(InputError::Field {
                    path: p.to_path_buf(),
                    line: obj.line,
                    field: "kind".into(),
                    message: format!(
                        "{}: a pod manifest holds Pod, PriorityClass and PodDisruptionBudget objects",
                        other.kind()
                    ),
                });
            }
        }
    }
    Ok(out)
}
