//! `capsim schedule`: one multi-document YAML (a KubeSchedulerConfiguration, other objects,
//! Nodes, then Pods in arrival order) scheduled pod by pod, each decision explained in the
//! oracle's `expected.jsonl` form. It is the user-facing what-if tool and the conformance
//! harness: upstream kube-scheduler v1.35.4, driven the same way, produced `tests/oracle/`.
//!
//! Pre-processing mirrors the API server: defaulting of Pods and Nodes, priority admission
//! (the file's PriorityClasses, `globalDefault`, built-in classes). A Pod with `spec.nodeName`
//! is bound where it appears (phase Succeeded/Failed dropped). Each pending Pod is scheduled by
//! its profile with every node filtered and scored at `percentageOfNodesToScore` as configured,
//! and bound to the **first** top-scoring node in input order (this command's tie rule;
//! `capsim run` breaks ties at random as kube-scheduler does).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rand::SeedableRng;
use serde::Serialize;

use crate::api::convert::{
    PriorityClasses, node_to_model, pdb_from_value, pod_to_model, replicaset_selector, validate_node,
    validate_pod, workload_selector_from_value,
};
use crate::api::objects::KubeObject;
use crate::api::scheduler_config::KubeSchedulerConfiguration;
use crate::api::spans::field_line;
use crate::api::yaml::read_objects;
use crate::error::InputError;
use crate::model::{Cluster, NodeId, Pod};
use crate::scheduler::framework::profile::{SchedulerConfig, build};
use crate::scheduler::framework::runner::{
    CycleOptions, CycleOutcome, CycleResult, SchedulerState, TieBreak, effective_percentage, schedule_pod,
};

/// A `capsim schedule` input, converted: the profiles, the cluster (nodes, namespaces, Service
/// and controller selectors) and the pods in file order.
pub struct ScheduleInput {
    /// The profiles.
    pub config: SchedulerConfig,
    /// Nodes and everything else but the pods.
    pub cluster: Cluster,
    /// Pods in file order; those with `spec.nodeName` are bound where they appear.
    pub pods: Vec<Pod>,
}

/// Decodes a KubeSchedulerConfiguration document strictly, as `capsim run` reads a config file:
/// an unknown field is `strict decoding error: unknown field "<path>"`, at its line.
fn decode_config(
    value: &serde_json::Value,
    path: &Path,
    text: &str,
    doc_line: usize,
) -> Result<KubeSchedulerConfiguration, InputError> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let at = e.path().to_string();
        let message = e.inner().to_string();
        let unknown =
            message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()).map(str::to_string);
        let (field, message) = match &unknown {
            Some(key) => {
                // The path already ends at the unknown key.
                let field = if at.ends_with(key.as_str()) { at.clone() } else { format!("{at}.{key}") };
                let m = format!("strict decoding error: unknown field \"{field}\"");
                (field, m)
            }
            None => (at, message),
        };
        InputError::Field {
            path: path.to_path_buf(),
            line: field_line(text, doc_line, &field),
            field,
            message,
        }
    })
}

/// Loads a `capsim schedule` file.
///
/// # Errors
/// Unreadable or malformed YAML, more than one KubeSchedulerConfiguration, an invalid
/// configuration, a malformed object, or an unknown PriorityClass — naming file, line and field.
pub fn load(path: &Path) -> Result<ScheduleInput, InputError> {
    let objects = read_objects(path)?;
    let text = crate::api::input::read_text(path)?;
    let mut cfg: Option<KubeSchedulerConfiguration> = None;
    let mut cfg_line = 0;
    let mut classes = PriorityClasses::default();
    let mut cluster = Cluster::new();
    for o in &objects {
        match &o.value {
            KubeObject::Other { kind, .. } if kind == "Scenario" => {
                return Err(InputError::Field {
                    path: path.to_path_buf(),
                    line: o.line,
                    field: "kind".into(),
                    message: "a capsim Scenario: `capsim schedule` takes Kubernetes objects (a KubeSchedulerConfiguration, Nodes, Pods); run a scenario with `capsim run`, `validate` or `explain`".into(),
                });
            }
            KubeObject::Other { kind, value, .. } if kind == "KubeSchedulerConfiguration" => {
                if cfg.is_some() {
                    return Err(InputError::Field {
                        path: path.to_path_buf(),
                        line: o.line,
                        field: "kind".into(),
                        message: "a second KubeSchedulerConfiguration; the file must hold one".into(),
                    });
                }
                cfg = Some(decode_config(value, path, &text, o.line)?);
                cfg_line = o.line;
            }
            KubeObject::Other { kind, value, .. } if kind == "Namespace" => {
                let name = value.pointer("/metadata/name").and_then(|v| v.as_str()).unwrap_or("").to_string();
                let labels: BTreeMap<String, String> = value
                    .pointer("/metadata/labels")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default();
                cluster.add_namespace(&name, labels);
            }
            KubeObject::Other { kind, value, .. } => {
                if let Some(sel) = workload_selector_from_value(kind, value, path, o.line)? {
                    cluster.add_workload_selector(sel);
                }
                if let Some(pdb) = pdb_from_value(kind, value, path, o.line)? {
                    cluster.add_pdb(pdb);
                }
            }
            KubeObject::ReplicaSet(rs) => {
                if let Some(sel) = replicaset_selector(rs, path, o.line)? {
                    cluster.add_workload_selector(sel);
                }
            }
            KubeObject::PriorityClass(pc) => classes.add(pc, path, o.line)?,
            _ => {}
        }
    }
    let registry = crate::scheduler::plugins::registry::in_tree();
    let mut config = build(&cfg.unwrap_or_default(), registry).map_err(|e| InputError::Field {
        path: path.to_path_buf(),
        line: if cfg_line == 0 { 0 } else { field_line(&text, cfg_line, &e.field) },
        field: e.field,
        message: e.message,
    })?;
    let priority_of = |name: &str| classes.resolve(name);
    let mut pods = Vec::new();
    for o in &objects {
        match &o.value {
            KubeObject::Node(n) => {
                validate_node(n, path, o.line)?;
                let node = node_to_model(n, path, o.line)?;
                let name = node.name.clone();
                cluster.add_node(node).map_err(|_| InputError::Field {
                    path: path.to_path_buf(),
                    line: o.line,
                    field: "metadata.name".into(),
                    message: format!("node {name:?} appears twice"),
                })?;
            }
            KubeObject::Pod(p) => {
                if !p.spec.node_name.is_empty() && matches!(p.status.phase.as_str(), "Succeeded" | "Failed") {
                    continue;
                }
                validate_pod(p, path, o.line)?;
                let mut pod = pod_to_model(p, path, o.line, priority_of)?;
                classes.apply_policy(p, &mut pod);
                pods.push(pod);
            }
            _ => {}
        }
    }
    // GPU-sharing pods ask for capsim's GPU-sharing Filter (docs/plugins.md).
    crate::scheduler::plugins::gpu::enable_for_workload(&mut config, pods.iter());
    // FGDScore measures fragmentation against the file's pods.
    let target = crate::model::gpu::TargetWorkload::from_pods(&pods, crate::model::gpu::POPULARITY_THRESHOLD);
    cluster.set_gpu_workload(std::sync::Arc::new(target));
    Ok(ScheduleInput { config, cluster, pods })
}

/// One pending pod's decision, in the oracle's `expected.jsonl` vocabulary. Serialises with
/// sorted map keys; optional flags appear only when set.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Decision {
    /// `namespace/name`.
    pub pod: String,
    /// The pod's `schedulerName`.
    pub profile: String,
    /// Node → passed Filter.
    pub feasible: BTreeMap<String, bool>,
    /// Node → reasons of the status that rejected it (`[]` for feasible nodes).
    pub reasons: BTreeMap<String, Vec<String>>,
    /// Rejected node → `Plugin`, `PreFilter/Plugin` or `PreFilterResult/Plugin`.
    pub rejected_by: BTreeMap<String, String>,
    /// Feasible node → Score plugin → normalised score × weight.
    pub scores: BTreeMap<String, BTreeMap<String, i64>>,
    /// Feasible node → sum of its scores.
    pub total: BTreeMap<String, i64>,
    /// Feasible nodes with the top total, in input order.
    pub max_nodes: Vec<String>,
    /// The node bound, if any.
    pub bound_to: Option<String>,
    /// `""` when bound; the FitError text, or why the pod was gated or ignored.
    pub message: String,
    /// Plugins whose PreFilter returned Skip, sorted.
    pub prefilter_skipped: Vec<String>,
    /// Plugins whose PreScore returned Skip, sorted.
    pub prescore_skipped: Vec<String>,
    /// The percentage of nodes the cycle evaluated (100 below 100 nodes; else the profile's or
    /// the adaptive value).
    pub percentage_of_nodes_to_score: i32,
    /// Present when exactly one node was feasible (kube-scheduler binds it without scoring).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_feasible_node: Option<bool>,
    /// `"skipped"` on unschedulable pods (PostFilter is not run by this command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preemption: Option<String>,
    /// With `--preemption`: the node DefaultPreemption nominated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nominated_node: Option<String>,
    /// With `--preemption`: the pods preempted (`namespace/name`), removed before the next pod.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub victims: Vec<String>,
    /// The scheduling cycle's error (upstream fails the cycle and retries the pod later): for
    /// example a Score plugin whose PreScore state is missing, with two or more feasible nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With exactly one feasible node: the PreScore/Score error kube-scheduler never meets,
    /// because it binds that node without scoring (the node's total is then 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_error: Option<String>,
    /// Present when a PreEnqueue plugin held the pod back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gated: Option<bool>,
    /// Present when no profile has the pod's schedulerName.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<bool>,
}

/// Upstream's `rejected_by` for a rejected node.
fn rejected_by(result: &CycleResult, node: &str, plugin: &str) -> String {
    if result.prefilter_rejected {
        format!("PreFilter/{plugin}")
    } else if result.prefilter_result.as_ref().is_some_and(|names| !names.contains(node)) {
        format!("PreFilterResult/{plugin}")
    } else {
        plugin.to_string()
    }
}

fn sorted(names: &[&'static str]) -> Vec<String> {
    let set: BTreeSet<&str> = names.iter().copied().collect();
    set.into_iter().map(str::to_string).collect()
}

/// Runs one recorded cycle of `pod` (its profile from `config`) against `cluster` and explains
/// it as a [`Decision`]: PreEnqueue (gated), no profile (ignored), then every node's Filter
/// verdict, the weighted scores and the outcome.
pub fn decide_pod(
    config: &SchedulerConfig,
    pod: &Pod,
    cluster: &Cluster,
    state: &mut SchedulerState,
    rng: &mut rand_chacha::ChaCha8Rng,
    opts: CycleOptions,
) -> Decision {
    let mut d = Decision { pod: pod.key(), profile: pod.scheduler_name.clone(), ..Default::default() };
    let Some(profile) = config.profile(&pod.scheduler_name) else {
        d.ignored = Some(true);
        d.message = format!(
            "no profile has schedulerName {:?}; kube-scheduler leaves the pod alone",
            pod.scheduler_name
        );
        return d;
    };
    d.percentage_of_nodes_to_score =
        effective_percentage(profile.percentage_of_nodes_to_score, cluster.num_nodes());
    for pe in &profile.pre_enqueue {
        let st = pe.as_pre_enqueue().expect("PreEnqueue plugin").pre_enqueue(pod);
        if !st.is_success() {
            d.gated = Some(true);
            d.message = format!("PreEnqueue plugin {}: {}", pe.name(), st.message());
            return d;
        }
    }
    let result = schedule_pod(profile, pod, cluster, state, rng, opts);
    let name = |id: NodeId| cluster.node(id).node.name.clone();
    for id in &result.feasible {
        d.feasible.insert(name(*id), true);
        d.reasons.insert(name(*id), Vec::new());
    }
    for (id, status) in result.rejected.iter() {
        let n = name(id);
        d.feasible.insert(n.clone(), false);
        d.reasons.insert(n.clone(), status.reasons.iter().map(|r| r.to_string()).collect());
        d.rejected_by.insert(n.clone(), rejected_by(&result, &n, status.plugin));
    }
    if let Some(table) = &result.scores {
        let best = table.rows.iter().map(|r| r.2).max();
        let mut rows: Vec<&(NodeId, Vec<i64>, i64)> = table.rows.iter().collect();
        rows.sort_by_key(|r| r.0);
        for (id, per_plugin, total) in rows {
            let n = name(*id);
            d.scores.insert(
                n.clone(),
                table.plugins.iter().map(|p| p.to_string()).zip(per_plugin.iter().copied()).collect(),
            );
            d.total.insert(n.clone(), *total);
            if Some(*total) == best {
                d.max_nodes.push(n);
            }
        }
    }
    if let (Some(e), [id]) = (&result.score_error, result.feasible.as_slice()) {
        d.score_error = Some(e.clone());
        d.total.insert(name(*id), 0);
        d.max_nodes.push(name(*id));
    }
    d.prefilter_skipped = sorted(&result.prefilter_skipped);
    d.prescore_skipped = sorted(&result.prescore_skipped);
    if result.feasible.len() == 1 {
        d.single_feasible_node = Some(true);
    }
    match &result.outcome {
        CycleOutcome::Scheduled(id) => d.bound_to = Some(name(*id)),
        CycleOutcome::Unschedulable(fit) => {
            d.message = fit.message.clone();
            match &result.post_filter {
                None => d.preemption = Some("skipped".into()),
                Some(pf) => {
                    d.preemption = Some(if pf.nominated_node.is_some() {
                        "succeeded".to_string()
                    } else {
                        pf.status.message()
                    });
                    d.nominated_node = pf.nominated_node.map(name);
                    d.victims = pf.victims.iter().map(|v| cluster.pod(*v).key()).collect();
                }
            }
        }
        CycleOutcome::Error(e) => d.error = Some(e.clone()),
    }
    d
}

/// Schedules the pods of an input one by one, keeping the cluster and the rotating start index
/// between them.
pub struct Session {
    /// The input, with the cluster as it evolves.
    pub input: ScheduleInput,
    /// Run PostFilter (DefaultPreemption) on unschedulable pods; the victims are removed at once
    /// and the pod is bound to its nominated node.
    pub preemption: bool,
    state: SchedulerState,
    rng: rand_chacha::ChaCha8Rng,
    next: usize,
}

impl Session {
    /// A session over `input`.
    pub fn new(input: ScheduleInput) -> Self {
        Session {
            input,
            preemption: false,
            state: SchedulerState::default(),
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(0),
            next: 0,
        }
    }

    /// Binds the pods with `spec.nodeName` that come next in file order, then decides the next
    /// pending pod. Returns the pod's index in [`ScheduleInput::pods`] and the decision, or
    /// `None` when every pod was handled. The caller binds (see [`Session::bind`]).
    pub fn decide_next(&mut self) -> Option<(usize, Decision)> {
        while self.next < self.input.pods.len() {
            let i = self.next;
            self.next += 1;
            let pod = &self.input.pods[i];
            if let Some(node) = pod.node_name.clone() {
                // A pod bound to a node the snapshot lacks sits on no NodeInfo upstream.
                let nid = self.input.cluster.node_id(&node);
                let id = self.input.cluster.add_pod(pod.clone());
                if let Some(nid) = nid {
                    self.input.cluster.bind(id, nid).expect("a freshly added pod binds");
                }
                continue;
            }
            return Some((i, self.decide(i)));
        }
        None
    }

    fn decide(&mut self, i: usize) -> Decision {
        let opts = CycleOptions {
            tie_break: TieBreak::FirstNode,
            record_scores: true,
            run_post_filter: self.preemption,
            nominated_node: None,
        };
        let input = &self.input;
        decide_pod(&input.config, &input.pods[i], &input.cluster, &mut self.state, &mut self.rng, opts)
    }

    /// Removes the bound pod `key` (`namespace/name`) from its node (a preemption victim).
    pub fn remove(&mut self, key: &str) {
        let cluster = &mut self.input.cluster;
        let found = cluster
            .pods()
            .find(|(id, p)| p.key() == key && cluster.pod_node(*id).is_some())
            .map(|(id, _)| id);
        if let Some(id) = found {
            cluster.unbind(id);
        }
    }

    /// Binds pod `i` of the input to node `node` (by name).
    ///
    /// # Panics
    /// If `node` is not a node of the input.
    pub fn bind(&mut self, i: usize, node: &str) {
        let nid = self.input.cluster.node_id(node).unwrap_or_else(|| panic!("no node named {node}"));
        let id = self.input.cluster.add_pod(self.input.pods[i].clone());
        self.input.cluster.bind(id, nid).expect("a freshly added pod binds");
    }
}

/// Schedules every pending pod of `input` in order, binding each to its decision's node, and
/// returns the decisions. With `preemption`, an unschedulable pod's victims are removed at once
/// (no grace period in this timeless command) and the pod is bound to its nominated node.
pub fn schedule_all(input: ScheduleInput, preemption: bool) -> Vec<Decision> {
    let mut session = Session::new(input);
    session.preemption = preemption;
    let mut out = Vec::new();
    while let Some((i, d)) = session.decide_next() {
        if let Some(node) = d.bound_to.clone() {
            session.bind(i, &node);
        } else if let Some(node) = d.nominated_node.clone() {
            for v in &d.victims {
                session.remove(v);
            }
            session.bind(i, &node);
        }
        out.push(d);
    }
    out
}
