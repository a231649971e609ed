//! Owner references in `capsim run`: a Deployment's ReplicaSet and pod template carry
//! `pod-template-hash`, the pods it creates carry its controller reference, and the selectors of
//! ReplicaSets, Services and StatefulSets feed PodTopologySpread's default constraints. (The
//! oracle-found cases of this class are replayed by `tests/oracle.rs`.)

mod common;

use capsim::model::SelectorKind;

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
