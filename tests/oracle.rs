//! Whole-cycle oracle: every scenario under `tests/oracle/` (copied from `/work/shared/oracle/`,
//! see its README) replayed through capsim's profiles and cycle runner, compared line by line with
//! what upstream kube-scheduler v1.35.4 decided (`expected.jsonl`).
//!
//! Per scenario: the `KubeSchedulerConfiguration` document becomes profiles
//! (`profile::build`), PriorityClasses are resolved (value, `globalDefault`, built-in classes),
//! Nodes are added in file order, bound Pods (`spec.nodeName`) are applied where they appear
//! (phase Succeeded/Failed dropped), and every pending Pod is handled in file order: no profile ⇒
//! `ignored`; a PreEnqueue rejection ⇒ `gated`; otherwise one cycle with `TieBreak::FirstNode`
//! and `record_scores`, binding the chosen node.
//!
//! Lines are compared in the README's order of importance: `bound_to`, `feasible`, `total` and
//! per-plugin `scores` (a plugin absent on one side counts as 0), `reasons` + `rejected_by`,
//! `message`. The first diverging pod of a scenario is reported with a readable diff; the replay
//! then continues with the oracle's binding forced, so later independent mismatches are counted
//! too. Scenarios in [`PENDING`] must still fail; every other scenario must pass.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use capsim::api::convert::{builtin_priority, node_to_model, pod_to_model};
use capsim::api::objects::KubeObject;
use capsim::api::scheduler_config::KubeSchedulerConfiguration;
use capsim::api::yaml::read_objects;
use capsim::model::{Cluster, NodeId};
use capsim::scheduler::framework::profile::{SchedulerConfig, build};
use capsim::scheduler::framework::runner::{
    CycleOptions, CycleResult, Outcome, SchedulerState, TieBreak, schedule_pod,
};
use rand::SeedableRng;
use serde_json::Value;

/// Scenarios that need plugins capsim only has placeholders for.
/// PodTopologySpread / InterPodAffinity land in issue 3.
const PENDING: &[&str] = &[
    "interpod-affinity-preferred-and-required",
    "topology-spread-hostname-scheduleanyway",
    "topology-spread-system-and-list-defaults",
    // One pod needs required pod affinity, one a DoNotSchedule zone spread.
    "unschedulable-reasons-aggregated-message",
];

/// What capsim decided for one pending pod, in the oracle's vocabulary.
#[derive(Debug, Default)]
struct Line {
    bound_to: Option<String>,
    gated: bool,
    ignored: bool,
    feasible: BTreeMap<String, bool>,
    /// Infeasible node → reasons.
    reasons: BTreeMap<String, Vec<String>>,
    rejected_by: BTreeMap<String, String>,
    /// Feasible node → plugin → weighted score.
    scores: BTreeMap<String, BTreeMap<String, i64>>,
    total: BTreeMap<String, i64>,
    message: String,
}

/// Everything a scenario file holds, converted.
struct Scenario {
    config: SchedulerConfig,
    cluster: Cluster,
    /// Pods in file order, bound ones (`spec.nodeName`) included.
    pods: Vec<capsim::model::Pod>,
}

/// Loads a scenario the way the oracle pre-processed it: the v1 config defaulted and merged,
/// priority admission (classes, `globalDefault`, built-ins), API defaulting of Pods and Nodes.
fn load_scenario(path: &Path) -> Result<Scenario, String> {
    let objects = read_objects(path).map_err(|e| e.to_string())?;
    let mut cfg: Option<KubeSchedulerConfiguration> = None;
    let mut classes: BTreeMap<String, i32> = BTreeMap::new();
    let mut global_default: Option<i32> = None;
    for o in &objects {
        match &o.value {
            KubeObject::Other { kind, value, .. } if kind == "KubeSchedulerConfiguration" => {
                cfg = Some(serde_json::from_value(value.clone()).map_err(|e| format!("config: {e}"))?);
            }
            KubeObject::PriorityClass(pc) => {
                classes.insert(pc.metadata.name.clone(), pc.value);
                if pc.global_default {
                    global_default = Some(pc.value);
                }
            }
            _ => {}
        }
    }
    let config = build(&cfg.unwrap_or_default()).map_err(|e| format!("{e:?}"))?;
    let priority_of = |name: &str| {
        if name.is_empty() {
            global_default
        } else {
            classes.get(name).copied().or_else(|| builtin_priority(name))
        }
    };
    let mut cluster = Cluster::new();
    let mut pods = Vec::new();
    for o in &objects {
        match &o.value {
            KubeObject::Node(n) => {
                cluster
                    .add_node(node_to_model(n, path, o.line).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
            KubeObject::Pod(p) => {
                if !p.spec.node_name.is_empty() && matches!(p.status.phase.as_str(), "Succeeded" | "Failed") {
                    continue;
                }
                pods.push(pod_to_model(p, path, o.line, priority_of).map_err(|e| e.to_string())?);
            }
            _ => {}
        }
    }
    Ok(Scenario { config, cluster, pods })
}

/// Upstream's `rejected_by` for a rejected node: the Filter plugin, `PreFilter/<plugin>` when a
/// PreFilter rejected the pod outright, or `PreFilterResult/<plugin>` when a PreFilterResult left
/// the node out.
fn rejected_by(result: &CycleResult, node: &str, plugin: &str) -> String {
    if result.prefilter_rejected {
        format!("PreFilter/{plugin}")
    } else if result.prefilter_result.as_ref().is_some_and(|names| !names.contains(node)) {
        format!("PreFilterResult/{plugin}")
    } else {
        plugin.to_string()
    }
}

/// Converts a cycle result into an oracle line.
fn line_of(result: &CycleResult, cluster: &Cluster) -> Line {
    let name = |id: NodeId| cluster.node(id).node.name.clone();
    let mut line = Line::default();
    for id in &result.feasible {
        line.feasible.insert(name(*id), true);
    }
    for (id, status) in &result.rejected {
        let n = name(*id);
        line.feasible.insert(n.clone(), false);
        line.reasons.insert(n.clone(), status.reasons.iter().map(|r| r.to_string()).collect());
        line.rejected_by.insert(n.clone(), rejected_by(result, &n, status.plugin));
    }
    if let Some(table) = &result.scores {
        for (id, per_plugin, total) in &table.rows {
            let n = name(*id);
            line.scores.insert(
                n.clone(),
                table.plugins.iter().map(|p| p.to_string()).zip(per_plugin.iter().copied()).collect(),
            );
            line.total.insert(n, *total);
        }
    }
    match &result.outcome {
        Outcome::Scheduled(id) => line.bound_to = Some(name(*id)),
        Outcome::Unschedulable(fit) => line.message = fit.message.clone(),
        Outcome::Error(e) => line.message = format!("scheduler error: {e}"),
    }
    line
}

/// Compares one line, most important field first, returning every difference found.
fn compare(want: &Value, got: &Line) -> Vec<String> {
    let mut diffs = Vec::new();
    let want_bound = want["bound_to"].as_str().map(str::to_string);
    if want_bound != got.bound_to {
        diffs.push(format!(
            "bound_to: want {want_bound:?}, got {:?} (message {:?})",
            got.bound_to, got.message
        ));
    }
    for (flag, g) in [("gated", got.gated), ("ignored", got.ignored)] {
        let w = want.get(flag).and_then(Value::as_bool).unwrap_or(false);
        if w != g {
            diffs.push(format!("{flag}: want {w}, got {g}"));
        }
    }
    if got.gated || got.ignored {
        return diffs;
    }
    let want_feasible: BTreeMap<String, bool> = want["feasible"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_bool().unwrap()))
        .collect();
    if want_feasible != got.feasible {
        let differing: Vec<String> = want_feasible
            .iter()
            .filter(|(n, w)| got.feasible.get(*n) != Some(w))
            .map(|(n, w)| format!("{n} want {w} got {:?} ({:?})", got.feasible.get(n), got.reasons.get(n)))
            .collect();
        diffs.push(format!("feasible differs: {}", differing.join("; ")));
    }
    for (node, w_scores) in want["scores"].as_object().unwrap() {
        let w_total = want["total"][node].as_i64().unwrap();
        let g_scores = got.scores.get(node);
        if got.total.get(node) != Some(&w_total) {
            diffs.push(format!("total[{node}]: want {w_total}, got {:?}", got.total.get(node)));
        }
        let mut plugins: Vec<&str> = w_scores.as_object().unwrap().keys().map(String::as_str).collect();
        if let Some(g) = g_scores {
            plugins.extend(g.keys().map(String::as_str));
        }
        plugins.sort();
        plugins.dedup();
        for p in plugins {
            let w = w_scores.get(p).and_then(Value::as_i64).unwrap_or(0);
            let g = g_scores.and_then(|g| g.get(p)).copied().unwrap_or(0);
            if w != g {
                diffs.push(format!("scores[{node}][{p}]: want {w}, got {g}"));
            }
        }
    }
    for (node, w) in want["rejected_by"].as_object().unwrap() {
        let w_by = w.as_str().unwrap();
        let w_reasons: Vec<String> = want["reasons"][node]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        let g_by = got.rejected_by.get(node).map(String::as_str).unwrap_or("<not rejected>");
        let g_reasons = got.reasons.get(node).cloned().unwrap_or_default();
        if w_by != g_by || w_reasons != g_reasons {
            diffs.push(format!("rejected[{node}]: want {w_by} {w_reasons:?}, got {g_by} {g_reasons:?}"));
        }
    }
    let w_msg = want["message"].as_str().unwrap();
    if w_msg != got.message {
        diffs.push(format!("message:\n      want {w_msg:?}\n      got  {:?}", got.message));
    }
    diffs
}

/// Outcome of one scenario replay.
struct Replay {
    lines: usize,
    /// Pod key and its differences, for every diverging pod.
    diverging: Vec<(String, Vec<String>)>,
}

/// Replays a scenario pod by pod, as the oracle's harness drove kube-scheduler: one cycle per
/// pending pod in file order, binding to the first max-total node in input order. After a
/// divergence the oracle's own binding is forced so later lines stay comparable.
fn replay(dir: &Path) -> Result<Replay, String> {
    let Scenario { config, mut cluster, pods } = load_scenario(&dir.join("scenario.yaml"))?;
    let expected_text = std::fs::read_to_string(dir.join("expected.jsonl")).map_err(|e| e.to_string())?;
    let expected: Vec<Value> = expected_text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut state = SchedulerState::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let opts = CycleOptions { tie_break: TieBreak::FirstNode, record_scores: true };
    let mut next = expected.iter();
    let mut diverging = Vec::new();
    for pod in pods {
        if let Some(node) = pod.node_name.clone() {
            // A pod bound to a node the snapshot lacks sits on no NodeInfo upstream.
            let nid = cluster.node_id(&node);
            let id = cluster.add_pod(pod);
            if let Some(nid) = nid {
                cluster.bind(id, nid).map_err(|e| e.to_string())?;
            }
            continue;
        }
        let want = next.next().ok_or_else(|| format!("no expected line for pending pod {}", pod.key()))?;
        if want["pod"].as_str() != Some(pod.key().as_str()) {
            return Err(format!(
                "expected.jsonl is out of step: line for {}, pod {}",
                want["pod"],
                pod.key()
            ));
        }
        let got = match config.profile(&pod.scheduler_name) {
            None => Line { ignored: true, ..Default::default() },
            Some(profile) => {
                let gate = profile.pre_enqueue.iter().find_map(|p| {
                    let st = p.as_pre_enqueue().expect("PreEnqueue plugin").pre_enqueue(&pod);
                    (!st.is_success()).then(|| format!("PreEnqueue plugin {}: {}", p.name(), st.message()))
                });
                match gate {
                    Some(message) => Line { gated: true, message, ..Default::default() },
                    None => {
                        line_of(&schedule_pod(profile, &pod, &cluster, &mut state, &mut rng, opts), &cluster)
                    }
                }
            }
        };
        let diffs = compare(want, &got);
        if !diffs.is_empty() {
            diverging.push((pod.key(), diffs));
        }
        // Bind where the oracle bound, so one divergence does not cascade.
        if let Some(node) = want["bound_to"].as_str() {
            let nid = cluster.node_id(node).ok_or_else(|| format!("oracle bound to unknown node {node}"))?;
            let id = cluster.add_pod(pod);
            cluster.bind(id, nid).map_err(|e| e.to_string())?;
        }
    }
    if next.next().is_some() {
        return Err("expected.jsonl has more lines than the scenario has pending pods".into());
    }
    Ok(Replay { lines: expected.len(), diverging })
}

/// Scenario folders under `tests/oracle/`, by name.
fn scenarios() -> Vec<(String, PathBuf)> {
    let root = common::tests_dir().join("oracle");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("scenario.yaml").is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

/// Every oracle scenario: non-pending ones must match upstream on every line; pending ones must
/// still diverge somewhere (so [`PENDING`] shrinks as the plugins land).
#[test]
fn oracle_scenarios_match_upstream() {
    let all = scenarios();
    assert!(!all.is_empty(), "no scenarios under tests/oracle");
    for p in PENDING {
        assert!(all.iter().any(|(n, _)| n == p), "PENDING names {p}, which is not a scenario");
    }
    let mut problems = Vec::new();
    for (name, dir) in &all {
        let pending = PENDING.contains(&name.as_str());
        match common::catch(|| replay(dir)) {
            Err(e) => {
                println!("[oracle] {name}: could not replay: {e}");
                if !pending {
                    problems.push(format!("{name}: could not replay: {e}"));
                }
            }
            Ok(r) => {
                let passed = r.lines - r.diverging.len();
                println!(
                    "[oracle] {name}: {passed}/{} pods match{}",
                    r.lines,
                    if pending { " (pending: PodTopologySpread / InterPodAffinity)" } else { "" }
                );
                if let Some((pod, diffs)) = r.diverging.first() {
                    println!("    first diverging pod {pod}:\n{}", common::indent(&diffs.join("\n"), 8));
                    let others: Vec<&str> = r.diverging.iter().skip(1).map(|(p, _)| p.as_str()).collect();
                    if !others.is_empty() {
                        println!(
                            "    also diverging (with the oracle's bindings forced): {}",
                            others.join(", ")
                        );
                    }
                }
                match (pending, r.diverging.is_empty()) {
                    (false, false) => {
                        problems.push(format!("{name}: {} diverging pod(s)", r.diverging.len()))
                    }
                    (true, true) => problems.push(format!("{name} now passes: remove it from PENDING")),
                    _ => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "oracle problems:\n  {}", problems.join("\n  "));
}
