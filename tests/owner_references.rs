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
    for (p, rec) in r.records().unwrap().iter().enumerate() {
        let refs = &r.cluster.pod(p as u32).owner_references;
        assert_eq!(refs.len(), 1, "{}", rec.owner);
        let c = &refs[0];
        assert!(c.controller);
        assert_eq!(
            (c.api_version.as_str(), c.kind.as_str(), c.name.as_str()),
            ("apps/v1", "ReplicaSet", rs.name.as_str())
        );
    }
    assert_eq!(r.records().unwrap().len(), 2);
    // Both replicas ran, one per node (spread by the default constraints).
    let nodes: std::collections::BTreeSet<_> =
        r.records().unwrap().iter().filter(|p| p.owner.starts_with("ReplicaSet/")).map(|p| p.node).collect();
    assert_eq!(nodes.len(), 2);
}

/// A `kubectl get -o yaml` dump of a ReplicaSet and its pods: the pods whose controller reference
/// names the ReplicaSet count toward its replicas (upstream's controller adopts them), so it
/// creates only the missing one; a pod owned by a ReplicaSet that is not in the dump stays a
/// plain pod.
#[test]
fn dumped_pods_count_toward_their_replicaset() {
    const NODE: &str = "apiVersion: v1\nkind: Node\nmetadata: {name: template}\nstatus: {capacity: {cpu: '4', memory: 16Gi, pods: '110'}}\n";
    let pod = |name: &str, rs: &str| {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: web}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: ReplicaSet, name: {rs}, uid: uid-{rs}, controller: true, blockOwnerDeletion: true}}
spec: {{containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: 100m}}}}}}]}}
---
"
        )
    };
    let dump = format!(
        "apiVersion: apps/v1
kind: ReplicaSet
metadata: {{name: web-7d9f}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: 100m}}}}}}]}}
---
{}{}{}",
        pod("web-7d9f-aaaaa", "web-7d9f"),
        pod("web-7d9f-bbbbb", "web-7d9f"),
        pod("orphan", "gone-1234")
    );
    let spec = "  duration: 10m\n  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}]}\n  workload: [{manifest: {path: dump.yaml}}]\n";
    let (sc, r) = common::builders::simulate_files(spec, &[("node.yaml", NODE), ("dump.yaml", &dump)]);
    let pods = r.pod_results().unwrap();
    let owners: Vec<(&str, &str)> =
        pods.iter().map(|p| (p.facts.name.as_str(), p.record.owner.as_str())).collect();
    assert_eq!(sc.dynamics.replicasets[0].name, "web-7d9f");
    // Two dumped pods adopted, one created by the ReplicaSet (3 replicas in all).
    assert_eq!(owners.len(), 4, "{owners:?}");
    assert_eq!(
        &owners[..3],
        [
            ("web-7d9f-aaaaa", "ReplicaSet/default/web-7d9f"),
            ("web-7d9f-bbbbb", "ReplicaSet/default/web-7d9f"),
            ("orphan", ""),
        ]
    );
    assert!(owners[3].0.starts_with("web-7d9f-") && owners[3].1 == "ReplicaSet/default/web-7d9f");
    // The adopted pods keep their own references; no creation event is written for them.
    assert_eq!(r.cluster.pod(0).owner_references[0].uid, "uid-web-7d9f");
    assert!(r.records().unwrap().iter().all(|p| p.outcome == capsim::metrics::PodOutcome::Scheduled));
    let created: Vec<&str> = r
        .recorder
        .kube_events
        .iter()
        .filter(|e| e.reason == "SuccessfulCreate")
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(created, [format!("Created pod: {}", owners[3].0)]);
}

/// A dump of a Deployment, its ReplicaSets and its pods: the Deployment takes the dumped
/// ReplicaSet its controller reference claims (the one with the most replicas) instead of making
/// its own, an old ReplicaSet stays at 0, and the dumped pods count: 2 replicas run, none is
/// created.
#[test]
fn a_dumped_deployment_adopts_its_replicasets_and_their_pods() {
    const NODE: &str = "apiVersion: v1\nkind: Node\nmetadata: {name: template}\nstatus: {capacity: {cpu: '4', memory: 16Gi, pods: '110'}}\n";
    let rs = |name: &str, replicas: i32| {
        format!(
            "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: {name}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: uid-web, controller: true}}]
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: c, image: nginx}}]}}
---
"
        )
    };
    let pod = |name: &str| {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: web}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f, uid: uid-rs, controller: true}}]
spec: {{containers: [{{name: c, image: nginx}}]}}
---
"
        )
    };
    let dump = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: c, image: nginx}}]}}
---
{}{}{}{}",
        rs("web-5c4b", 0),
        rs("web-7d9f", 2),
        pod("web-7d9f-aaaaa"),
        pod("web-7d9f-bbbbb")
    );
    let spec = "  duration: 10m\n  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}]}\n  workload: [{manifest: {path: dump.yaml}}]\n";
    let (sc, r) = common::builders::simulate_files(spec, &[("node.yaml", NODE), ("dump.yaml", &dump)]);
    let sets: Vec<(&str, Option<&str>, i32)> = sc
        .dynamics
        .replicasets
        .iter()
        .map(|r| (r.name.as_str(), r.deployment.as_deref(), r.replicas))
        .collect();
    assert_eq!(sets, [("web-5c4b", None, 0), ("web-7d9f", Some("web"), 2)]);
    let rs_selectors: Vec<&str> = sc
        .dynamics
        .workload_selectors
        .iter()
        .filter(|w| w.kind == SelectorKind::ReplicaSet)
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(rs_selectors, ["web-5c4b", "web-7d9f"]);
    let pods = r.pod_results().unwrap();
    let names: Vec<(&str, &str)> =
        pods.iter().map(|p| (p.facts.name.as_str(), p.record.owner.as_str())).collect();
    assert_eq!(
        names,
        [
            ("web-7d9f-aaaaa", "ReplicaSet/default/web-7d9f"),
            ("web-7d9f-bbbbb", "ReplicaSet/default/web-7d9f")
        ]
    );
}
