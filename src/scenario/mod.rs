//! Loads a scenario file and every file it names into the inputs of a run ([`LoadedScenario`]).
//! All paths are resolved against the scenario file's folder. Every error names the file, the
//! line and the field.

pub mod manifests;
pub mod timeline;

use std::path::{Path, PathBuf};

use crate::api::convert::{node_to_model, pod_to_model, validate_pod};
use crate::api::objects::KubeObject;
use crate::api::scenario::{self as schema, NodeSource, WorkloadSource};
use crate::api::scheduler_config::KubeSchedulerConfiguration;
use crate::api::yaml::{from_str_typed, read_objects};
use crate::controllers::static_pods::StaticPods;
use crate::error::InputError;
use crate::model::Node;
use crate::model::labels::{Taint, TaintEffect};
use crate::model::pdb::PodDisruptionBudget;
use crate::model::selection::NodeSelection;
use crate::scheduler::framework::profile::{SchedulerConfig, build};
use crate::scheduler::framework::runner::TieBreak;
use crate::time::SimTime;
use crate::workload::alibaba_openb::{self, Arrival};
use timeline::{Action, Dynamics, FailureProcess, Spacing};

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

/// Checks a `generator` workload source and builds its [`PodGenerator`](crate::workload::generator::PodGenerator).
fn load_generator(
    g: &schema::GeneratorSpec,
    i: usize,
    path: &Path,
    text: &str,
) -> Result<crate::workload::generator::PodGenerator, InputError> {
    use crate::workload::generator::{ArrivalProcess, PodGenerator};
    let at = |f: &str| format!("spec.workload[{i}].generator.{f}");
    let bad = |needle: &str, f: &str, msg: String| field_err(path, text, needle, &at(f), msg);
    if !(1..=100_000_000).contains(&g.count) {
        return Err(bad("count", "count", format!("{}: expected 1 to 100000000 pods", g.count)));
    }
    let start = match &g.at {
        Some(s) => parse_duration(s, path, text, &at("at"))?,
        None => SimTime::ZERO,
    };
    let over = parse_duration(&g.over, path, text, &at("over"))?;
    if start.0 + over.0 > SimTime::MAX.0 {
        return Err(bad(&g.over, "over", "the arrival window must end within 100 years".into()));
    }
    if g.name.len() > 200 || !crate::model::labels::is_dns1123_subdomain(&g.name) {
        return Err(bad(
            &g.name,
            "name",
            format!(
                "{:?}: expected lowercase letters, digits, '-' and '.' (a DNS subdomain of at most 200 characters)",
                g.name
            ),
        ));
    }
    if let Some(ns) = &g.namespace
        && (ns.len() > 63 || ns.contains('.') || !crate::model::labels::is_dns1123_subdomain(ns))
    {
        return Err(bad(
            ns,
            "namespace",
            format!("{ns:?}: expected a DNS label (lowercase letters, digits, '-')"),
        ));
    }
    let arrival = match g.arrival.as_deref().unwrap_or("poisson") {
        "poisson" => ArrivalProcess::Poisson,
        "uniform" => ArrivalProcess::Uniform,
        other => return Err(bad(other, "arrival", format!("{other:?}: expected poisson or uniform"))),
    };
    let lifetime = match &g.lifetime {
        Some(l) => Some(crate::time::RunTime::parse(l).map_err(|e| bad(l, "lifetime", e))?),
        None => None,
    };
    use crate::time::RunTime;
    if let Some(RunTime::Fixed(ms) | RunTime::Exponential(ms) | RunTime::Uniform(_, ms)) = lifetime
        && ms > SimTime::MAX.0
    {
        let l = g.lifetime.as_deref().unwrap_or("");
        return Err(bad(l, "lifetime", format!("{l:?}: a lifetime must stay within 100 years")));
    }
    if g.shapes.is_empty() {
        return Err(bad("shapes", "shapes", "at least one shape ({cpu, memory}) is required".into()));
    }
    let namespace = g.namespace.clone().unwrap_or_else(|| "default".into());
    let mut shapes = Vec::with_capacity(g.shapes.len());
    let mut total = 0.0;
    for (k, s) in g.shapes.iter().enumerate() {
        let f = |name: &str| format!("shapes[{k}].{name}");
        let weight = s.weight.unwrap_or(1.0);
        if !(weight.is_finite() && weight > 0.0) {
            return Err(bad("weight", &f("weight"), format!("{weight}: expected a positive number")));
        }
        let quantity = |v: &str, name: &str| -> Result<crate::api::quantity::Quantity, InputError> {
            crate::api::quantity::Quantity::parse(v).ok().filter(|q| !q.is_negative()).ok_or_else(|| {
                bad(v, &f(name), format!("{v:?}: expected a non-negative quantity like 500m or 1Gi"))
            })
        };
        let requests = crate::model::Resources {
            milli_cpu: quantity(&s.cpu, "cpu")?.milli_value(),
            memory: quantity(&s.memory, "memory")?.value(),
            ..Default::default()
        };
        let mut pod = PodGenerator::template(&namespace, requests);
        pod.labels = g.labels.clone();
        if let Some(n) = &g.scheduler_name {
            pod.scheduler_name = n.clone();
        }
        if let Some(c) = &s.priority_class_name {
            pod.priority_class_name = c.clone();
        }
        total += weight;
        if !total.is_finite() {
            return Err(bad("weight", &f("weight"), "the weights add up to more than a float holds".into()));
        }
        shapes.push((total, pod));
    }
    Ok(PodGenerator {
        name: g.name.clone(),
        count: g.count,
        start,
        over_ms: over.0,
        arrival,
        lifetime,
        shapes,
    })
}

fn field_err(path: &Path, text: &str, needle: &str, field: &str, message: String) -> InputError {
    InputError::Field {
        path: path.to_path_buf(),
        line: field_line(text, needle, field),
        field: field.into(),
        message,
    }
}

/// The line of `field` (a path like `spec.events[3].taint.add[0].effect`) in a scenario's text:
/// inside the list item its path names (block-style lists), the first line from there that
/// holds `needle` (or the item's own line); else the first line of the file holding `needle`.
pub fn field_line(text: &str, needle: &str, field: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    let mut narrowed = false;
    for seg in field.split('.') {
        let Some((key, rest)) = seg.split_once('[') else { continue };
        let Some(n) = rest.strip_suffix(']').and_then(|x| x.parse::<usize>().ok()) else { break };
        match list_item(&lines, from, key, n) {
            Some(i) => {
                from = i;
                narrowed = true;
            }
            None => break,
        }
    }
    if !narrowed {
        return find_line(text, needle);
    }
    let found = if needle.is_empty() {
        None
    } else {
        lines.iter().enumerate().skip(from).find(|(_, l)| l.contains(needle)).map(|(i, _)| i)
    };
    found.unwrap_or(from) + 1
}

/// The 0-based line where item `n` of the block-style list under `key:` starts, searching from
/// line `from`.
fn list_item(lines: &[&str], from: usize, key: &str, n: usize) -> Option<usize> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let k = (from..lines.len()).find(|i| {
        let t = lines[*i].trim_start().trim_start_matches("- ");
        t.starts_with(&format!("{key}:"))
    })?;
    if !lines[k].trim_end().ends_with(':') {
        return None; // a flow-style list on the key's line
    }
    let key_indent = indent(lines[k]);
    let mut item_indent = None;
    let mut count = 0;
    for (i, l) in lines.iter().enumerate().skip(k + 1) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = indent(l);
        let is_item = t.starts_with("- ") || t == "-";
        if ind < key_indent || (ind == key_indent && !is_item) {
            return None;
        }
        if is_item && *item_indent.get_or_insert(ind) == ind {
            if count == n {
                return Some(i);
            }
            count += 1;
        }
    }
    None
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
    build(&cfg, crate::scheduler::plugins::registry::in_tree()).map_err(|e| InputError::Field {
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

    let mut dynamics = timeline::Dynamics::default();
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
            NodeSource::Pool(pool) => {
                let p = resolve(&pool.template);
                let template = pool_template(&p)?;
                if dynamics.pools.iter().any(|x| x.name == pool.name) {
                    return Err(field_err(
                        path,
                        &text,
                        &pool.name,
                        &format!("spec.cluster.nodes[{i}].pool.name"),
                        format!("two pools are named {:?}", pool.name),
                    ));
                }
                let pool = timeline::Pool { name: pool.name.clone(), template, initial: pool.count };
                for k in 0..pool.initial {
                    let node = pool.node(k);
                    if !node_names.insert(node.name.clone()) {
                        return Err(field_err(
                            path,
                            &text,
                            &pool.name,
                            &format!("spec.cluster.nodes[{i}].pool.name"),
                            format!("node {:?} is defined twice in the scenario's nodes", node.name),
                        ));
                    }
                    nodes.push(node);
                }
                dynamics.pools.push(pool);
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
    // The system layer.
    for m in &sc.spec.cluster.manifests {
        let p = resolve(m);
        let mut got = manifests::Collected::default();
        manifests::load(&p, SimTime::ZERO, &mut dynamics, &mut got)?;
        arrivals.extend(got.arrivals);
        pdbs.extend(got.pdbs);
        inputs.extend(got.files);
    }
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
                if let Some(l) = &t.limits {
                    for (ratio, name) in [(l.cpu, "cpu"), (l.memory, "memory")] {
                        if !(ratio.is_finite() && ratio >= 1.0) {
                            return Err(field_err(
                                path,
                                &text,
                                "limits",
                                &format!("spec.workload[{i}].trace.limits.{name}"),
                                format!("{ratio}: a limit-to-request ratio must be a number ≥ 1"),
                            ));
                        }
                    }
                    for a in &mut list.arrivals {
                        for c in &mut a.pod.containers {
                            c.limits.milli_cpu = (c.requests.milli_cpu as f64 * l.cpu).ceil() as i64;
                            c.limits.memory = (c.requests.memory as f64 * l.memory).ceil() as i64;
                        }
                    }
                }
                arrivals.extend(list.arrivals);
                inputs.push(p);
            }
            WorkloadSource::Generator(g) => {
                let generator = load_generator(g, i, path, &text)?;
                if dynamics.generators.iter().any(|o| {
                    o.name == generator.name && o.shapes[0].1.namespace == generator.shapes[0].1.namespace
                }) {
                    return Err(field_err(
                        path,
                        &text,
                        &g.name,
                        &format!("spec.workload[{i}].generator.name"),
                        format!(
                            "two generators are named {:?} in one namespace: their pods' names would clash",
                            g.name
                        ),
                    ));
                }
                dynamics.generators.push(generator);
            }
            WorkloadSource::Manifest(m) => {
                let p = resolve(&m.path);
                let at = match &m.at {
                    Some(s) => parse_duration(s, path, &text, &format!("spec.workload[{i}].manifest.at"))?,
                    None => SimTime::ZERO,
                };
                let mut got = manifests::Collected::default();
                manifests::load(&p, at, &mut dynamics, &mut got)?;
                arrivals.extend(got.arrivals);
                pdbs.extend(got.pdbs);
                inputs.extend(got.files);
            }
        }
    }
    // Stable: sources in scenario order, then creation time.
    arrivals.sort_by_key(|a| a.created);
    // A generator's pods are `<name>-<n>`: no trace or manifest pod of its namespace may be one.
    for (k, g) in dynamics.generators.iter().enumerate() {
        let ns = &g.shapes[0].1.namespace;
        let clash = arrivals.iter().find(|a| {
            a.pod.namespace == *ns
                && a.pod.name.strip_prefix(&g.name).and_then(|r| r.strip_prefix('-')).is_some_and(|n| {
                    !n.is_empty()
                        && (n == "0" || !n.starts_with('0'))
                        && n.parse::<u64>().is_ok_and(|v| v < g.count)
                })
        });
        if let Some(a) = clash {
            let i = sc
                .spec
                .workload
                .iter()
                .enumerate()
                .filter(|(_, w)| matches!(w, WorkloadSource::Generator(_)))
                .nth(k)
                .map_or(0, |(i, _)| i);
            return Err(field_err(
                path,
                &text,
                &g.name,
                &format!("spec.workload[{i}].generator.name"),
                format!("generator {:?} would make a second pod {}/{}", g.name, ns, a.pod.name),
            ));
        }
    }

    // Scheduler.
    let scheduler = match &sc.spec.scheduler.config {
        None => SchedulerConfig::default_config(crate::scheduler::plugins::registry::in_tree()),
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
    load_dynamics(&sc, path, &text, base, horizon, &mut dynamics, &mut inputs)?;
    if dynamics.runtime.is_some() && horizon.is_none() {
        notes.push(
            "the runtime is measured until the workload's last event (no spec.duration); pods that never end stop being measured there".into(),
        );
    }
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
        dynamics,
        record_events: true,
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

/// Reads a pool's template: a YAML file with exactly one Node.
fn pool_template(p: &Path) -> Result<Node, InputError> {
    let objects = read_objects(p)?;
    let mut nodes = Vec::new();
    for obj in &objects {
        match &obj.value {
            KubeObject::Node(n) => nodes.push(node_to_model(n, p, obj.line).map_err(|e| refine_line(e, p))?),
            other => {
                return Err(InputError::Field {
                    path: p.to_path_buf(),
                    line: obj.line,
                    field: "kind".into(),
                    message: format!("{}: a pool template holds one Node", other.kind()),
                });
            }
        }
    }
    if nodes.len() != 1 {
        return Err(InputError::Field {
            path: p.to_path_buf(),
            line: 0,
            field: "kind".into(),
            message: format!("a pool template holds exactly one Node, found {}", nodes.len()),
        });
    }
    Ok(nodes.remove(0))
}

/// Checks a selection's `count` / `fraction`.
fn check_selection(
    s: &schema::NodeSelection,
    path: &Path,
    text: &str,
    field: &str,
) -> Result<(), InputError> {
    if s.count.is_some() && s.fraction.is_some() {
        return Err(field_err(path, text, "fraction", field, "give count or fraction, not both".into()));
    }
    if let Some(f) = s.fraction
        && !(f > 0.0 && f <= 1.0)
    {
        return Err(field_err(
            path,
            text,
            "fraction",
            &format!("{field}.fraction"),
            format!("{f}: must be in (0, 1]"),
        ));
    }
    if s.count == Some(0) {
        return Err(field_err(path, text, "count", &format!("{field}.count"), "must be at least 1".into()));
    }
    Ok(())
}

fn selection(s: &schema::NodeSelection) -> NodeSelection {
    NodeSelection {
        names: s.names.clone(),
        labels: s.labels.clone(),
        pool: s.pool.clone(),
        count: s.count,
        fraction: s.fraction,
    }
}

fn effect(path: &Path, text: &str, e: &str, field: &str) -> Result<TaintEffect, InputError> {
    match e {
        "NoSchedule" => Ok(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
        "NoExecute" => Ok(TaintEffect::NoExecute),
        other => Err(field_err(
            path,
            text,
            other,
            field,
            format!("{other:?}: expected NoSchedule, PreferNoSchedule or NoExecute"),
        )),
    }
}

/// Static pods, failure processes, timeline events and controller settings.
fn load_dynamics(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    base: &Path,
    horizon: Option<SimTime>,
    dy: &mut Dynamics,
    inputs: &mut Vec<PathBuf>,
) -> Result<(), InputError> {
    let dur = |s: &str, field: &str| parse_duration(s, path, text, field);
    // Static pods.
    for (i, sp) in sc.spec.cluster.static_pods.iter().enumerate() {
        let p = base.join(&sp.path);
        let mut pods = Vec::new();
        for obj in read_objects(&p)? {
            match &obj.value {
                KubeObject::Pod(pod) => {
                    validate_pod(pod, &p, obj.line)?;
                    let classes = &dy.priority_classes;
                    let m = pod_to_model(pod, &p, obj.line, |n| {
                        classes.resolve(n).or_else(|| crate::api::convert::builtin_priority(n)).or(Some(0))
                    })
                    .map_err(|e| refine_line(e, &p))?;
                    pods.push(m);
                }
                other => {
                    return Err(InputError::Field {
                        path: p.clone(),
                        line: obj.line,
                        field: "kind".into(),
                        message: format!("{}: static pod manifests hold Pods only", other.kind()),
                    });
                }
            }
        }
        let _ = i;
        dy.static_pods.push(StaticPods { pods, nodes: sp.nodes.as_ref().map(selection) });
        inputs.push(p);
    }
    // Failure processes.
    for (i, f) in sc.spec.cluster.node_failures.iter().enumerate() {
        let mtbf = dur(&f.mtbf, &format!("spec.cluster.nodeFailures[{i}].mtbf"))?;
        let repair = dur(&f.repair, &format!("spec.cluster.nodeFailures[{i}].repair"))?;
        if mtbf.0 <= 0 {
            return Err(field_err(
                path,
                text,
                "mtbf",
                &format!("spec.cluster.nodeFailures[{i}].mtbf"),
                "must be greater than 0".into(),
            ));
        }
        if horizon.is_none() {
            return Err(field_err(
                path,
                text,
                "nodeFailures",
                "spec.duration",
                "a random failure process needs a horizon: set spec.duration".into(),
            ));
        }
        dy.failures.push(FailureProcess {
            nodes: f.nodes.as_ref().map(selection),
            mtbf_ms: mtbf.0,
            repair_ms: repair.0,
        });
    }
    // Timeline.
    for (i, e) in sc.spec.events.iter().enumerate() {
        let at = dur(&e.at, &format!("spec.events[{i}].at"))?;
        let f = |name: &str| format!("spec.events[{i}].{name}");
        let mut actions: Vec<Action> = Vec::new();
        if let Some(j) = &e.node_join {
            let Some(pool) = dy.pools.iter().position(|p| p.name == j.pool) else {
                return Err(field_err(
                    path,
                    text,
                    &j.pool,
                    &f("nodeJoin.pool"),
                    format!("{:?}: no pool with this name in spec.cluster.nodes", j.pool),
                ));
            };
            let spacing = match (&j.interval, &j.mean_interval) {
                (Some(_), Some(_)) => {
                    return Err(field_err(
                        path,
                        text,
                        "meanInterval",
                        &f("nodeJoin"),
                        "give interval or meanInterval, not both".into(),
                    ));
                }
                (Some(d), None) => Spacing::Fixed(dur(d, &f("nodeJoin.interval"))?.0),
                (None, Some(d)) => Spacing::Exponential(dur(d, &f("nodeJoin.meanInterval"))?.0),
                (None, None) => Spacing::None,
            };
            const MAX_JOIN: usize = 100_000;
            if j.count == 0 || j.count > MAX_JOIN {
                return Err(field_err(
                    path,
                    text,
                    "count",
                    &f("nodeJoin.count"),
                    format!("{}: must be between 1 and {MAX_JOIN}", j.count),
                ));
            }
            if let Spacing::Fixed(ms) | Spacing::Exponential(ms) = spacing
                && ms <= 0
            {
                return Err(field_err(
                    path,
                    text,
                    "nterval",
                    &f("nodeJoin"),
                    "the interval must be greater than 0".into(),
                ));
            }
            actions.push(Action::Join { pool, count: j.count, spacing });
        }
        for (name, sel) in [
            ("nodeFailure.nodes", e.node_failure.as_ref().map(|x| &x.nodes)),
            ("nodeRecovery", e.node_recovery.as_ref()),
            ("nodeLeave", e.node_leave.as_ref()),
            ("cordon", e.cordon.as_ref()),
            ("uncordon", e.uncordon.as_ref()),
            ("taint.nodes", e.taint.as_ref().map(|x| &x.nodes)),
            ("label.nodes", e.label.as_ref().map(|x| &x.nodes)),
        ] {
            if let Some(sel) = sel {
                check_selection(sel, path, text, &f(name))?;
            }
        }
        if let Some(x) = &e.node_failure {
            let recover = match &x.recover_after {
                Some(d) => Some(dur(d, &f("nodeFailure.recoverAfter"))?),
                None => None,
            };
            actions.push(Action::Fail(selection(&x.nodes), recover));
        }
        if let Some(x) = &e.node_recovery {
            actions.push(Action::Recover(selection(x)));
        }
        if let Some(x) = &e.node_leave {
            actions.push(Action::Leave(selection(x)));
        }
        if let Some(x) = &e.cordon {
            actions.push(Action::Cordon(selection(x), true));
        }
        if let Some(x) = &e.uncordon {
            actions.push(Action::Cordon(selection(x), false));
        }
        if let Some(x) = &e.taint {
            let mut add = Vec::new();
            for (k, t) in x.add.iter().enumerate() {
                let eff = effect(path, text, &t.effect, &f(&format!("taint.add[{k}].effect")))?;
                add.push(Taint { key: t.key.clone(), value: t.value.clone(), effect: eff });
            }
            let mut remove = Vec::new();
            for (k, t) in x.remove.iter().enumerate() {
                let eff = match &t.effect {
                    Some(e) => Some(effect(path, text, e, &f(&format!("taint.remove[{k}].effect")))?),
                    None => None,
                };
                remove.push((t.key.clone(), eff));
            }
            actions.push(Action::Taint(selection(&x.nodes), add, remove));
        }
        if let Some(x) = &e.label {
            actions.push(Action::Label(selection(&x.nodes), x.add.clone(), x.remove.clone()));
        }
        if let Some(x) = &e.scale {
            let (ns, name) = x.deployment.split_once('/').unwrap_or(("default", x.deployment.as_str()));
            let Some(rs) = dy
                .replicasets
                .iter()
                .position(|r| r.namespace == ns && (r.deployment.as_deref() == Some(name) || r.name == name))
            else {
                return Err(field_err(
                    path,
                    text,
                    &x.deployment,
                    &f("scale.deployment"),
                    format!(
                        "{:?}: no Deployment or ReplicaSet with this namespace/name in the manifests",
                        x.deployment
                    ),
                ));
            };
            if at < dy.replicasets[rs].created {
                return Err(field_err(
                    path,
                    text,
                    &x.deployment,
                    &f("scale.deployment"),
                    format!("{:?} is created later than this event", x.deployment),
                ));
            }
            if x.replicas < 0 {
                return Err(field_err(
                    path,
                    text,
                    "replicas",
                    &f("scale.replicas"),
                    format!("{}: must be greater than or equal to 0", x.replicas),
                ));
            }
            actions.push(Action::Scale(rs, x.replicas));
        }
        if actions.len() != 1 {
            return Err(field_err(
                path,
                text,
                &e.at,
                &format!("spec.events[{i}]"),
                format!(
                    "an event needs exactly one action (nodeJoin, nodeFailure, nodeRecovery, nodeLeave, cordon, uncordon, taint, label, scale); found {}",
                    actions.len()
                ),
            ));
        }
        dy.timeline.push((at, actions.remove(0)));
    }
    dy.timeline.sort_by_key(|(t, _)| *t);
    // Controller settings.
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
                name,
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
    dy.settings = s;
    if let Some(rt) = &sc.spec.runtime {
        dy.runtime = Some(load_runtime(rt, path, text)?);
    }
    Ok(())
}

/// The runtime section into settings.
fn load_runtime(
    rt: &schema::RuntimeSpec,
    path: &Path,
    text: &str,
) -> Result<crate::kubelet::RuntimeSettings, InputError> {
    use crate::kubelet::usage::{Base, Bursts, Dist, Diurnal, ResourceUsage, UsageMatch, UsageRule};
    let mut s = crate::kubelet::RuntimeSettings::default();
    let dur = |d: &str, field: &str| parse_duration(d, path, text, field);
    if let Some(d) = &rt.change_interval {
        s.change_interval_ms = dur(d, "spec.runtime.changeInterval")?.0;
        if s.change_interval_ms <= 0 {
            return Err(field_err(
                path,
                text,
                "changeInterval",
                "spec.runtime.changeInterval",
                "must be greater than 0".into(),
            ));
        }
    }
    let k = &rt.kubelet;
    if let Some(e) = &k.eviction_hard {
        s.eviction_threshold = crate::kubelet::memory::parse_memory_threshold(e, None)
            .map_err(|m| field_err(path, text, e, "spec.runtime.kubelet.evictionHard", m))?;
    }
    if let Some(d) = &k.eviction_pressure_transition_period {
        s.pressure_transition_ms = dur(d, "spec.runtime.kubelet.evictionPressureTransitionPeriod")?.0;
    }
    if let Some(d) = &k.eviction_monitoring_interval {
        s.eviction_interval_ms = dur(d, "spec.runtime.kubelet.evictionMonitoringInterval")?.0;
        if s.eviction_interval_ms < 100 {
            let m = format!("{d:?}: must be at least 100ms");
            let fld = "spec.runtime.kubelet.evictionMonitoringInterval";
            return Err(field_err(path, text, "evictionMonitoringInterval", fld, m));
        }
    }
    if let Some(n) = k.max_kubelet_rejections {
        s.max_kubelet_rejections = n;
    }
    for (i, r) in rt.usage.iter().enumerate() {
        let f = |name: &str| format!("spec.runtime.usage[{i}].{name}");
        let qos = r.matches.as_ref().and_then(|m| m.qos_class.clone());
        if let Some(q) = &qos
            && !matches!(q.as_str(), "Guaranteed" | "Burstable" | "BestEffort")
        {
            return Err(field_err(
                path,
                text,
                q,
                &f("match.qosClass"),
                format!("{q:?}: expected Guaranteed, Burstable or BestEffort"),
            ));
        }
        let default = UsageRule::default_for(crate::model::pod::QosClass::Burstable);
        let resource = |spec: &Option<schema::ResourceUsageSpec>,
                        name: &str,
                        cpu: bool,
                        fallback: ResourceUsage|
         -> Result<ResourceUsage, InputError> {
            let Some(u) = spec else { return Ok(fallback) };
            let fld = f(name);
            let base = match u.of.as_deref() {
                None | Some("request") => Base::Request,
                Some("limit") => Base::Limit,
                Some(o) => {
                    return Err(field_err(
                        path,
                        text,
                        o,
                        &format!("{fld}.of"),
                        format!("{o:?}: expected request or limit"),
                    ));
                }
            };
            let mut dists = Vec::new();
            if let Some(v) = u.constant {
                dists.push(Dist::Constant(v));
            }
            if let Some(m) = &u.uniform {
                if m.min > m.max {
                    return Err(field_err(
                        path,
                        text,
                        "uniform",
                        &format!("{fld}.uniform"),
                        format!("min {} is above max {}", m.min, m.max),
                    ));
                }
                dists.push(Dist::Uniform(m.min, m.max));
            }
            if let Some(m) = &u.normal {
                dists.push(Dist::Normal(m.mean, m.sd));
            }
            if let Some(m) = &u.lognormal {
                dists.push(Dist::LogNormal(m.median, m.sigma));
            }
            if let Some(v) = &u.empirical {
                if v.is_empty() {
                    return Err(field_err(
                        path,
                        text,
                        "empirical",
                        &format!("{fld}.empirical"),
                        "needs at least one value".into(),
                    ));
                }
                dists.push(Dist::Empirical(v.clone()));
            }
            if dists.is_empty() {
                let m = "give a distribution (constant, uniform, normal, lognormal or empirical)".to_string();
                return Err(field_err(path, text, name, &fld, m));
            }
            if dists.len() > 1 {
                return Err(field_err(
                    path,
                    text,
                    name,
                    &fld,
                    "give one distribution (constant, uniform, normal, lognormal or empirical)".into(),
                ));
            }
            let bad = |d: &Dist| match d {
                Dist::Constant(v) => !v.is_finite() || *v < 0.0 || *v > 1e6,
                Dist::Uniform(a, b) => !a.is_finite() || !b.is_finite() || *a < 0.0,
                Dist::Normal(m, sd) => !m.is_finite() || !sd.is_finite() || *sd < 0.0,
                Dist::LogNormal(m, s) => !m.is_finite() || !s.is_finite() || *m < 0.0 || *s < 0.0,
                Dist::Empirical(v) => v.iter().any(|x| !x.is_finite() || *x < 0.0),
            };
            if let Some(d) = dists.first().filter(|d| bad(d)) {
                return Err(field_err(
                    path,
                    text,
                    name,
                    &fld,
                    format!("{d:?}: ratios must be finite and ≥ 0"),
                ));
            }
            let growth = match &u.growth_per_hour {
                None => 0.0,
                Some(q) => {
                    let v = crate::api::quantity::Quantity::parse(q).map_err(|e| {
                        field_err(path, text, q, &format!("{fld}.growthPerHour"), format!("{q:?}: {e}"))
                    })?;
                    let g = if cpu { v.milli_value() as f64 } else { v.value() as f64 };
                    if g < 0.0 {
                        let m = format!("{q:?}: must not be negative");
                        return Err(field_err(path, text, q, &format!("{fld}.growthPerHour"), m));
                    }
                    g
                }
            };
            Ok(ResourceUsage { base, dist: dists.pop().unwrap_or(fallback.dist), growth_per_hour: growth })
        };
        let diurnal = match &r.diurnal {
            None => None,
            Some(d) => {
                if !(0.0..=1.0).contains(&d.amplitude) {
                    let m = format!("{}: must be between 0 and 1", d.amplitude);
                    return Err(field_err(path, text, "amplitude", &f("diurnal.amplitude"), m));
                }
                Some(Diurnal { amplitude: d.amplitude, peak_ms: dur(&d.peak_at, &f("diurnal.peakAt"))?.0 })
            }
        };
        if let Some(b) = &r.bursts {
            if !(0.0..=1.0).contains(&b.probability) {
                let m = format!("{}: must be between 0 and 1", b.probability);
                return Err(field_err(path, text, "probability", &f("bursts.probability"), m));
            }
            if !(b.factor.is_finite() && (0.0..=1000.0).contains(&b.factor)) {
                let m = format!("{}: must be a number between 0 and 1000", b.factor);
                return Err(field_err(path, text, "factor", &f("bursts.factor"), m));
            }
        }
        s.rules.push(UsageRule {
            matches: UsageMatch {
                namespace: r.matches.as_ref().and_then(|m| m.namespace.clone()),
                labels: r.matches.as_ref().map(|m| m.labels.clone()).unwrap_or_default(),
                qos_class: qos,
            },
            cpu: resource(&r.cpu, "cpu", true, default.cpu.clone())?,
            memory: resource(&r.memory, "memory", false, default.memory.clone())?,
            diurnal,
            bursts: r.bursts.as_ref().map(|b| Bursts { probability: b.probability, factor: b.factor }),
            cpu_given: r.cpu.is_some(),
            memory_given: r.memory.is_some(),
        });
    }
    Ok(s)
}
