//! Oracle-found cases of issue 15 about owner references and API defaulting, replayed through
//! `capsim schedule`'s library ([`capsim::experiment::schedule::Session`]) and compared line by
//! line with upstream kube-scheduler v1.35.4's `expected.jsonl` (as `tests/oracle.rs` does):
//!
//! - `default-spread-label-match-without-ownerref`: a StatefulSet that only matches the pod's
//!   labels adds nothing to PodTopologySpread's default selector (upstream `DefaultSelector`).
//! - `default-spread-ownerref-controller-selector`: the ReplicaSet named by the pod's controller
//!   reference adds its selector, whatever the pod's labels.
//! - `hostnetwork-hostport-defaulting`: a `hostNetwork` pod's ports get `hostPort = containerPort`
//!   (upstream `SetDefaults_Pod`), so NodePorts sees them.

mod common;

use std::path::Path;

use capsim::experiment::schedule::{Session, load};
use capsim::model::SelectorKind;
use serde_json::Value;

/// The scenarios under `tests/conformance/oracle-found/` this file replays.
const CASES: &[&str] = &[
    "default-spread-label-match-without-ownerref",
    "default-spread-ownerref-controller-selector",
    "hostnetwork-hostport-defaulting",
];

/// The top-level fields on which two lines differ, each with both values.
fn diff(want: &Value, got: &Value) -> Vec<String> {
    let mut keys: Vec<&String> =
        want.as_object().unwrap().keys().chain(got.as_object().unwrap().keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&Value>| v.map(Value::to_string).unwrap_or_else(|| "<absent>".into());
    keys.into_iter()
        .filter(|k| want.get(*k) != got.get(*k))
        .map(|k| format!("{k}: want {} got {}", show(want.get(k)), show(got.get(k))))
        .collect()
}

/// Replays one folder; returns every diverging pod with its field differences.
fn replay(dir: &Path) -> Vec<String> {
    let input = load(&dir.join("scenario.yaml")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let text = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let expected: Vec<Value> =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut session = Session::new(input);
    let mut problems = Vec::new();
    let mut want_iter = expected.iter();
    while let Some((i, decision)) = session.decide_next() {
        let want = want_iter.next().unwrap_or_else(|| panic!("no expected line for {}", decision.pod));
        assert_eq!(want["pod"].as_str(), Some(decision.pod.as_str()), "expected.jsonl out of step");
        let got = serde_json::to_value(&decision).unwrap();
        if &got != want {
            problems.push(format!("{}:\n    {}", decision.pod, diff(want, &got).join("\n    ")));
        }
        // Bind where the oracle bound, so one divergence does not cascade.
        if let Some(node) = want["bound_to"].as_str() {
            session.bind(i, node);
        }
    }
    assert!(want_iter.next().is_none(), "{}: more expected lines than pending pods", dir.display());
    problems
}

#[test]
fn owner_reference_and_defaulting_cases_match_upstream() {
    let root = common::tests_dir().join("conformance/oracle-found");
    let mut problems = Vec::new();
    for name in CASES {
        for p in replay(&root.join(name)) {
            problems.push(format!("{name}: {p}"));
        }
    }
    assert!(problems.is_empty(), "diverging:\n{}", problems.join("\n"));
}

/// In `capsim run`, a Deployment's ReplicaSet is named `<name>-<hash>` and its selector and pod
/// template carry `pod-template-hash: <hash>` (as upstream's deployment controller writes them), so
/// the pods it creates (whose controller reference names it) get the system default spreading;
/// Services and StatefulSets in the manifests are read for the same default selector.
#[test]
fn run_registers_replicaset_service_and_statefulset_selectors() {
    const NODE: &str = "apiVersion: v1\nkind: Node\nmetadata: {name: template}\nstatus: {capacity: {cpu: '4', memory: 16Gi, pods: '110'}}\n";
    const APPS: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-svc}
spec: {selector: {app: web}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec: {selector: {matchLabels: {app: db}}}
";
    let spec =
        "  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}], manifests: [apps.yaml]}\n";
    let (sc, r) = common::builders::simulate_files(spec, &[("node.yaml", NODE), ("apps.yaml", APPS)]);
    let rs = &sc.dynamics.replicasets[0];
    let hash = rs.name.strip_prefix("web-").expect("ReplicaSet web-<hash>");
    assert_eq!(rs.template.labels.get("pod-template-hash").map(String::as_str), Some(hash));
    let sels: Vec<(SelectorKind, &str, &str)> = sc
        .dynamics
        .workload_selectors
        .iter()
        .map(|w| (w.kind, w.name.as_str(), w.namespace.as_str()))
        .collect();
    assert_eq!(
        sels,
        [
            (SelectorKind::ReplicaSet, rs.name.as_str(), "default"),
            (SelectorKind::Service, "web-svc", "default"),
            (SelectorKind::StatefulSet, "db", "data"),
        ]
    );
    let rs_sel = &sc.dynamics.workload_selectors[0].selector;
    assert_eq!(rs_sel.match_labels.get("pod-template-hash").map(String::as_str), Some(hash));
    assert_eq!(rs_sel.match_labels.get("app").map(String::as_str), Some("web"));
    // Each pod the ReplicaSet created carries its controller reference, as upstream's controller
    // writes it.
    for (p, rec) in r.recorder.pods.iter().enumerate() {
        let refs = &r.cluster.pod(p as u32).owner_references;
        assert_eq!(refs.len(), 1, "{}", rec.owner);
        let c = &refs[0];
        assert!(c.controller);
        assert_eq!(
            (c.api_version.as_str(), c.kind.as_str(), c.name.as_str()),
            ("apps/v1", "ReplicaSet", rs.name.as_str())
        );
    }
    assert_eq!(r.recorder.pods.len(), 2);
    // Both replicas ran, one per node (spread by the default constraints).
    let nodes: std::collections::BTreeSet<_> =
        r.recorder.pods.iter().filter(|p| p.owner.starts_with("ReplicaSet/")).map(|p| p.node).collect();
    assert_eq!(nodes.len(), 2);
}
