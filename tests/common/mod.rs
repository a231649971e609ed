//! Helpers shared by the conformance tests (`golden_plugins.rs`, `oracle.rs`): loading test data,
//! turning upstream-shaped JSON objects into capsim's model the way the API server would hand them
//! to kube-scheduler, building a `Cluster` snapshot, and collecting failures so one run reports
//! every diverging case.

#![allow(dead_code)]

pub mod builders;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use capsim::api::convert::{node_to_model, pod_to_model};
use capsim::api::objects as api;
use capsim::model::{Cluster, Pod};
use serde_json::Value;

/// `tests/` of this crate.
pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Reads and parses a JSON file under `tests/`.
pub fn load_json(rel: &str) -> Value {
    let path = tests_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Feature gates whose v1.35.4 default a golden case may set explicitly (the oracle runs with
/// these defaults). A case that sets a gate to something else exercises a mode kube-scheduler
/// v1.35.4 does not run in by default.
pub const V1_35_GATE_DEFAULTS: &[(&str, bool)] = &[
    ("PodLevelResources", true),
    ("SidecarContainers", true),
    ("DRAExtendedResource", false),
    ("TaintTolerationComparisonOperators", false),
    ("NodeInclusionPolicyInPodTopologySpread", true),
    ("MatchLabelKeysInPodTopologySpread", true),
];

/// Why a case must be skipped because its `featureGates` differ from the v1.35.4 defaults
/// (`None` when every gate it sets is at its default). Panics on a gate this table does not know,
/// so a new gate in the data is never silently ignored.
pub fn gate_skip_reason(case: &Value) -> Option<String> {
    let gates = case.get("featureGates")?.as_object()?;
    let mut off_default = Vec::new();
    for (gate, value) in gates {
        let want = value.as_bool().unwrap_or_else(|| panic!("featureGates.{gate} is not a bool"));
        let Some((_, default)) = V1_35_GATE_DEFAULTS.iter().find(|(g, _)| g == gate) else {
            panic!("case {:?} sets feature gate {gate}, unknown to V1_35_GATE_DEFAULTS", case["name"]);
        };
        if want != *default {
            off_default.push(format!("{gate}={want} (v1.35.4 default {default})"));
        }
    }
    (!off_default.is_empty()).then(|| off_default.join(", "))
}

/// Decodes a JSON Pod as the API server would have received it.
pub fn api_pod(v: &Value) -> Result<api::Pod, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("pod {}: {e}", v["metadata"]["name"]))
}

/// Converts a JSON Pod into the model with API defaulting (limits → requests, namespace,
/// schedulerName); priority classes are not involved in plugin tests.
pub fn model_pod(v: &Value) -> Result<Pod, String> {
    pod_to_model(&api_pod(v)?, Path::new("<golden>"), 0, |_| None)
        .map_err(|e| format!("pod {}: {e}", v["metadata"]["name"]))
}

/// Converts a JSON Node into the model (allocatable defaults to capacity).
pub fn model_node(v: &Value) -> Result<capsim::model::Node, String> {
    let n: api::Node =
        serde_json::from_value(v.clone()).map_err(|e| format!("node {}: {e}", v["metadata"]["name"]))?;
    node_to_model(&n, Path::new("<golden>"), 0).map_err(|e| format!("node {}: {e}", v["metadata"]["name"]))
}

/// The scheduler's snapshot for a unit-test case: nodes in the given order, then the existing
/// pods bound to their `spec.nodeName` (a pod naming a node that is not in `nodes` is added but
/// stays unbound, as upstream's snapshot keeps it out of every NodeInfo).
pub fn build_cluster(nodes: &[Value], existing: &[Value]) -> Result<Cluster, String> {
    let mut cluster = Cluster::new();
    for n in nodes {
        cluster.add_node(model_node(n)?).map_err(|e| e.to_string())?;
    }
    for p in existing {
        let pod = model_pod(p)?;
        let node = pod.node_name.clone();
        let id = cluster.add_pod(pod);
        if let Some(nid) = node.as_deref().and_then(|n| cluster.node_id(n)) {
            cluster.bind(id, nid).map_err(|e| e.to_string())?;
        }
    }
    Ok(cluster)
}

/// A plugin's `args` as the registry expects them: an absent or empty object means defaults
/// (`Value::Null`).
pub fn plugin_args(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Object(m)) if m.is_empty() => Value::Null,
        Some(other) => other.clone(),
    }
}

/// Pass/fail bookkeeping for one group of cases (a plugin, a golden file, a scenario).
#[derive(Default)]
pub struct Tally {
    /// Cases that matched.
    pub passed: usize,
    /// Cases not run, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Cases that diverged, with a readable diff.
    pub failed: Vec<(String, String)>,
}

/// Prints one summary per group and panics with every failing case name when any case failed.
pub fn report(title: &str, groups: &BTreeMap<String, Tally>) -> usize {
    let mut failing = Vec::new();
    for (group, t) in groups {
        println!(
            "[{title}] {group}: {} passed, {} failed, {} skipped",
            t.passed,
            t.failed.len(),
            t.skipped.len()
        );
        for (name, why) in &t.skipped {
            println!("    skipped {name:?}: {why}");
        }
        for (name, diff) in &t.failed {
            println!("    FAILED {name:?}:\n{}", indent(diff, 8));
            failing.push(format!("{group}: {name}"));
        }
    }
    assert!(failing.is_empty(), "[{title}] {} failing case(s):\n  {}", failing.len(), failing.join("\n  "));
    groups.values().map(|t| t.passed).sum()
}

/// Asserts that a harness checked exactly `want` cases, so that a data file emptied, renamed or
/// wholly skipped can't pass silently.
pub fn assert_ran(what: &str, passed: usize, want: usize) {
    assert_eq!(passed, want, "{what}: {passed} cases checked, {want} expected");
}

/// Indents every line of `text` by `n` spaces.
pub fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}")).collect::<Vec<_>>().join("\n")
}

/// Runs `f`, turning a panic into an `Err` with its message, so one broken case does not hide
/// the others.
pub fn catch<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(e) => Err(format!(
            "panicked: {}",
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}
