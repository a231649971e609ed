//! Cluster dynamics on small hand-built scenarios, with exact expectations: pool joins and
//! DaemonSets, static pods, graceful node leave with a PodDisruptionBudget, taints and cordons,
//! Deployment scale-down, Jobs, admission (LimitRange, ResourceQuota, PriorityClass), random
//! node failures, node label changes, skipped kinds, and the bundled manifests. Every run checks
//! pod conservation at every sample. The last group pins upstream behaviour (kube-semantics.md)
//! that capsim first got wrong: namespaces from manifests, quota held through the grace period,
//! a globalDefault class declared in a later file, DaemonSet retries after a refused pod.

mod common;

use std::path::{Path, PathBuf};

use common::builders::{assert_conserved, pod_yaml, simulate_files};

use capsim::metrics::{PodOutcome, PodRecord, RunResult, Sample};
use capsim::model::PodId;
use capsim::scenario::LoadedScenario;
use capsim::scenario::manifests::{self, Collected};
use capsim::scenario::timeline::Dynamics;
use capsim::sim::engine::run;
use capsim::time::SimTime;

/// The pool template `node.yaml`: 4 cpu, 16 GiB, 110 pods.
const NODE: &str = "apiVersion: v1
kind: Node
metadata: {name: template, labels: {kubernetes.io/os: linux}}
status: {capacity: {cpu: '4', memory: 16Gi, pods: '110'}}
";

/// A DaemonSet `kube-system/agent` requesting 100m.
const AGENT_DS: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: agent:1, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
";

/// Runs the scenario whose `spec:` body is `spec`, with `node.yaml` and `files` beside it.
fn simulate(spec: &str, files: &[(&str, &str)]) -> (LoadedScenario, RunResult) {
    let mut all = vec![("node.yaml", NODE)];
    all.extend_from_slice(files);
    simulate_files(spec, &all)
}

/// Records (with ids) of pods whose owner starts with `owner`, in id (creation) order.
fn owned(r: &RunResult, owner: &str) -> Vec<(PodId, PodRecord)> {
    let pods = r.records().unwrap().into_iter().enumerate();
    pods.filter(|(_, p)| p.owner.starts_with(owner)).map(|(i, p)| (i as PodId, p)).collect()
}

/// (created, scheduled, terminating, deleted, outcome) of the pods of `owner`.
type Row = (Option<i64>, Option<i64>, Option<i64>, Option<i64>, PodOutcome);
fn rows(r: &RunResult, owner: &str) -> Vec<Row> {
    let row = |p: &PodRecord| (p.created_ms, p.scheduled_ms, p.terminating_ms, p.deleted_ms, p.outcome);
    owned(r, owner).iter().map(|(_, p)| row(p)).collect()
}

/// The record of the pod named `name`.
fn by_name(r: &RunResult, name: &str) -> (PodId, PodRecord) {
    let pods = r.pod_results().unwrap();
    let p = pods.into_iter().find(|p| p.facts.name == name).unwrap_or_else(|| panic!("{name}"));
    (p.id, p.record)
}

/// The name of pod `id` (finished pods are freed from the cluster: read it from the results).
fn name_of(r: &RunResult, id: PodId) -> String {
    r.pod_results().unwrap()[id as usize].facts.name.clone()
}

fn node_of<'a>(r: &'a RunResult, rec: &PodRecord) -> &'a str {
    r.cluster.node(rec.node.expect("bound")).node.name.as_str()
}

/// By name among every node ever added (`Cluster::node_id` forgets removed nodes).
fn node_id(r: &RunResult, name: &str) -> u32 {
    let id = r.cluster.nodes().iter().position(|n| n.node.name == name);
    id.unwrap_or_else(|| panic!("node {name}")) as u32
}

fn sample_at(r: &RunResult, t: f64) -> &Sample {
    r.recorder.samples.iter().find(|s| s.time_s == t).unwrap_or_else(|| panic!("no sample at {t}"))
}

/// Times (ms) of kube events with `reason` on `object`.
fn event_times(r: &RunResult, object: &str, reason: &str) -> Vec<i64> {
    let evs = r.recorder.kube_events.iter();
    evs.filter(|e| e.object == object && e.reason == reason).map(|e| e.time_ms).collect()
}

/// A Deployment of `replicas` pods requesting `cpu`, with extra pod-spec lines (indented by six).
fn deployment(name: &str, replicas: i32, cpu: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
{extra}      containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: {cpu}, memory: 100Mi}}}}}}]
---
"
    )
}

const UNSCHEDULABLE_TAIL: &str =
    "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";

// ---------------------------------------------------------------------------------------------
// 1. Pool joins and DaemonSets

#[test]
fn pool_nodes_join_on_schedule_and_each_gets_a_daemonset_pod() {
    let spec = "  duration: 15m
  cluster: {nodes: [{pool: {name: burst, count: 2, template: node.yaml}}], manifests: [ds.yaml]}
  workload: [{manifest: {path: big.yaml}}]
  events: [{at: 10m, nodeJoin: {pool: burst, count: 3, interval: 30s}}]
  metrics: {sampleInterval: 15s}
";
    // Three 3900m pods: one per node beside the 100m DaemonSet pod; the third waits for a join.
    let big = deployment("big", 3, "3900m", "");
    let (_, r) = simulate(spec, &[("ds.yaml", AGENT_DS), ("big.yaml", &big)]);
    let names: Vec<&str> = r.cluster.nodes().iter().map(|n| n.node.name.as_str()).collect();
    assert_eq!(names, ["burst-0", "burst-1", "burst-2", "burst-3", "burst-4"]);
    for info in r.cluster.nodes() {
        assert_eq!(info.node.labels.get("capsim.dev/pool").map(String::as_str), Some("burst"));
        assert_eq!(info.node.labels.get("kubernetes.io/hostname"), Some(&info.node.name));
        assert_eq!((info.node.allocatable.milli_cpu, info.removed), (4000, false));
    }
    // Joins at 0, 0, 600, 630, 660 s: the node count steps up at those instants.
    let times = [0.0, 585.0, 600.0, 615.0, 630.0, 645.0, 660.0, 900.0];
    let nodes: Vec<usize> = times.iter().map(|t| sample_at(&r, *t).nodes).collect();
    assert_eq!(nodes, [2, 2, 3, 3, 4, 4, 5, 5]);
    // One DaemonSet pod per node, created and bound when its node joins.
    let ds = owned(&r, "DaemonSet/kube-system/agent");
    let got: Vec<(&str, Option<i64>, Option<i64>, PodOutcome)> =
        ds.iter().map(|(_, p)| (node_of(&r, p), p.created_ms, p.scheduled_ms, p.outcome)).collect();
    let (s, t) = (PodOutcome::Scheduled, |ms: i64| Some(ms));
    assert_eq!(
        got,
        [
            ("burst-0", t(0), t(0), s),
            ("burst-1", t(0), t(0), s),
            ("burst-2", t(600_000), t(600_000), s),
            ("burst-3", t(630_000), t(630_000), s),
            ("burst-4", t(660_000), t(660_000), s),
        ]
    );
    for (id, p) in &ds {
        let pod = r.cluster.pod(*id);
        assert!(pod.name.starts_with("agent-") && pod.name.len() == "agent-".len() + 5, "{}", pod.name);
        assert_eq!((pod.namespace.as_str(), p.deleted_ms, p.terminating_ms), ("kube-system", None, None));
        // Pinned to its node by a matchFields term.
        let req = pod.node_affinity.as_ref().unwrap().required.as_ref().unwrap();
        let node = &r.cluster.node(p.node.unwrap()).node;
        assert!(req.matches(&node.name, &node.labels) && !req.matches("burst-9", &node.labels));
    }
    let status = |t: f64| {
        let d: Vec<_> = r.recorder.daemonsets.iter().filter(|d| d.time_s == t).collect();
        assert_eq!(d.len(), 1);
        (d[0].desired, d[0].current, d[0].ready, d[0].misscheduled)
    };
    assert_eq!((status(585.0), status(600.0), status(900.0)), ((2, 2, 2, 0), (3, 3, 3, 0), (5, 5, 5, 0)));
    // The pending big pod goes to burst-2 when it joins.
    let mut big: Vec<(Option<i64>, &str)> =
        owned(&r, "ReplicaSet/default/big-").iter().map(|(_, p)| (p.scheduled_ms, node_of(&r, p))).collect();
    big.sort();
    assert_eq!((big[0].0, big[1].0, big[2]), (t(0), t(0), (t(600_000), "burst-2")));
}

// ---------------------------------------------------------------------------------------------
// 2. Static pods

#[test]
fn static_pods_are_mirror_pods_bound_at_join_and_counted_in_requests() {
    let spec = "  duration: 10m
  cluster:
    nodes: [{pool: {name: cp, count: 2, template: node.yaml}}]
    staticPods: [{path: proxy.yaml}, {path: etcd.yaml, nodes: {names: [cp-0]}}]
  workload: [{manifest: {path: hogs.yaml}}]
  events: [{at: 5m, nodeJoin: {pool: cp, count: 1}}]
  metrics: {sampleInterval: 60s}
";
    let stat = |name: &str, cpu: &str| {
        pod_yaml(
            &format!("name: {name}, namespace: kube-system"),
            "",
            &format!("{{requests: {{cpu: {cpu}}}}}"),
        )
    };
    // hog fits only beside the 100m proxy on cp-1 (cp-0 also runs etcd); hog2 fits nowhere.
    let hogs = pod_yaml("name: hog", "", "{requests: {cpu: 3900m}}")
        + &pod_yaml("name: hog2", "", "{requests: {cpu: 3950m}}");
    let files =
        [("proxy.yaml", stat("proxy", "100m")), ("etcd.yaml", stat("etcd", "500m")), ("hogs.yaml", hogs)];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let (_, r) = simulate(spec, &files);
    let mut mirrors = Vec::new();
    for (id, p) in owned(&r, "Node/") {
        let pod = r.cluster.pod(id);
        assert!(pod.mirror, "{}", pod.name);
        assert_eq!(pod.node_name.as_deref(), Some(node_of(&r, &p)));
        assert_eq!((p.owner.clone(), p.attempts), (format!("Node/{}", node_of(&r, &p)), 0));
        mirrors.push((pod.key(), node_of(&r, &p), p.created_ms, p.scheduled_ms, p.outcome));
    }
    let row =
        |k: &str, n: &'static str, t: i64| (k.to_string(), n, Some(t), Some(t), PodOutcome::BoundByNodeName);
    assert_eq!(
        mirrors,
        [
            row("kube-system/proxy-cp-0", "cp-0", 0),
            row("kube-system/etcd-cp-0", "cp-0", 0),
            row("kube-system/proxy-cp-1", "cp-1", 0),
            row("kube-system/proxy-cp-2", "cp-2", 300_000),
        ]
    );
    let (_, hog) = by_name(&r, "hog");
    assert_eq!((node_of(&r, &hog), hog.scheduled_ms, hog.outcome), ("cp-1", Some(0), PodOutcome::Scheduled));
    let (_, hog2) = by_name(&r, "hog2");
    assert_eq!((hog2.outcome, hog2.node), (PodOutcome::Pending, None));
    let want = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    assert_eq!(hog2.last_reason, want);
    let cpu = |n: &str| r.cluster.node(node_id(&r, n)).requested.milli_cpu;
    assert_eq!(
        (cpu("cp-0"), cpu("cp-1"), cpu("cp-2"), r.recorder.totals.requested[0]),
        (600, 4000, 100, 4700)
    );
    assert_eq!((sample_at(&r, 600.0).pods_running, sample_at(&r, 600.0).pods_pending), (5, 1));
}

// ---------------------------------------------------------------------------------------------
// 3. Graceful leave

#[test]
fn node_leave_drains_through_the_pdb_one_pod_at_a_time_then_deletes_the_node() {
    let spec = "  duration: 30m
  cluster:
    nodes:
    - pool: {name: old, count: 1, template: node.yaml}
    - pool: {name: new, count: 0, template: node.yaml}
    manifests: [ds.yaml]
    staticPods: [{path: static.yaml}]
  workload: [{manifest: {path: web.yaml}}]
  events:
  - {at: 10m, nodeJoin: {pool: new, count: 1}}
  - {at: 20m, nodeLeave: {pool: old}}
  metrics: {sampleInterval: 60s}
";
    let pdb = "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
";
    let web = deployment("web", 3, "'1'", "") + pdb;
    let stat = pod_yaml("name: proxy, namespace: kube-system", "", "{requests: {cpu: 100m}}");
    let (_, r) = simulate(spec, &[("ds.yaml", AGENT_DS), ("static.yaml", &stat), ("web.yaml", &web)]);
    let old = node_id(&r, "old-0");
    assert!(r.cluster.node(old).removed, "old-0 is deleted after the drain");
    assert!(!r.cluster.node(node_id(&r, "new-0")).removed);
    assert_eq!(event_times(&r, "Node/old-0", "NodeNotSchedulable"), [1_200_000]);
    // The last evicted pod leaves at 1240 s; the drain's pass at that instant (every 5 s) finds
    // only the DaemonSet and mirror pods and deletes the node.
    assert_eq!(event_times(&r, "Node/old-0", "RemovingNode"), [1_240_000]);
    let web = owned(&r, "ReplicaSet/default/web-");
    let nodes: Vec<&str> = web.iter().map(|(_, p)| node_of(&r, p)).collect();
    assert_eq!(nodes, ["old-0", "old-0", "old-0", "new-0", "new-0", "new-0"]);
    let (ev, sc, t) = (PodOutcome::Evicted, PodOutcome::Scheduled, |ms: i64| Some(ms));
    assert_eq!(
        rows(&r, "ReplicaSet/default/web-"),
        [
            // minAvailable 2 of 3: one eviction allowed per pass; each replacement restores it.
            (t(0), t(0), t(1_200_000), t(1_230_000), ev),
            (t(0), t(0), t(1_205_000), t(1_235_000), ev),
            (t(0), t(0), t(1_210_000), t(1_240_000), ev),
            (t(1_200_000), t(1_200_000), None, None, sc),
            (t(1_205_000), t(1_205_000), None, None, sc),
            (t(1_210_000), t(1_210_000), None, None, sc),
        ]
    );
    assert_eq!(r.recorder.evictions.iter().collect::<Vec<_>>(), [(&"Drain".to_string(), &3)]);
    // The DaemonSet pod and the mirror pod stay until the node goes.
    for owner in ["DaemonSet/kube-system/agent", "Node/old-0"] {
        let on_old: Vec<_> = owned(&r, owner).into_iter().filter(|(_, p)| p.node == Some(old)).collect();
        assert_eq!(on_old.len(), 1, "{owner}");
        let p = &on_old[0].1;
        assert_eq!(
            (p.terminating_ms, p.deleted_ms, p.outcome),
            (t(1_240_000), t(1_240_000), PodOutcome::NodeLost)
        );
    }
    assert_eq!(by_name(&r, "proxy-old-0").1.node, Some(old));
    // new-0: 3 web pods, the DaemonSet pod, the mirror pod.
    assert_eq!(r.cluster.node(node_id(&r, "new-0")).requested.milli_cpu, 3_200);
    assert_eq!((sample_at(&r, 1_260.0).nodes, sample_at(&r, 1_800.0).pods_running), (1, 5));
}

// ---------------------------------------------------------------------------------------------
// 4. Taints and cordons

#[test]
fn noexecute_taints_evict_now_or_after_toleration_seconds_and_removal_cancels() {
    let spec = "  duration: 35m
  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}], manifests: [ds.yaml]}
  workload: [{manifest: {path: apps.yaml}}]
  events:
  - {at: 5m, taint: {nodes: {names: [n-1]}, add: [{key: dedicated, value: x, effect: NoSchedule}]}}
  - {at: 20m, taint: {nodes: {names: [n-0]}, add: [{key: maint, effect: NoExecute}]}}
  - {at: 20m, taint: {nodes: {names: [n-1]}, add: [{key: maint, effect: NoExecute}]}}
  - {at: 25m, taint: {nodes: {names: [n-1]}, remove: [{key: maint}]}}
  - {at: 30m, taint: {nodes: {names: [n-1]}, remove: [{key: dedicated, effect: NoSchedule}]}}
  metrics: {sampleInterval: 60s}
";
    let on = |n: &str| format!("      nodeSelector: {{kubernetes.io/hostname: {n}}}\n");
    let tol =
        |s: &str| format!("      tolerations: [{{key: maint, operator: Exists, effect: NoExecute{s}}}]\n");
    let apps = deployment("plain", 1, "100m", &on("n-0"))
        + &deployment("tola", 1, "100m", &(on("n-0") + &tol(", tolerationSeconds: 600")))
        + &deployment("tolb", 1, "100m", &(on("n-1") + &tol(", tolerationSeconds: 600")))
        + &deployment("keep", 1, "100m", &on("n-1"))
        + &deployment("stay", 1, "100m", &(on("n-1") + &tol("")));
    let (_, r) = simulate(spec, &[("apps.yaml", &apps), ("ds.yaml", AGENT_DS)]);
    let (ev, sc, pe, t) =
        (PodOutcome::Evicted, PodOutcome::Scheduled, PodOutcome::Pending, |ms: i64| Some(ms));
    // The DaemonSet keeps its pods through the NoSchedule taint, loses both to `maint`, and gets
    // n-1 back only when the NoSchedule taint goes too (30m).
    let ds: Vec<_> = owned(&r, "DaemonSet/").iter().map(|(_, p)| node_of(&r, p)).collect();
    assert_eq!(ds, ["n-0", "n-1", "n-1"]);
    let ds_rows = [
        (t(0), t(0), t(1_200_000), t(1_230_000), ev),
        (t(0), t(0), t(1_200_000), t(1_230_000), ev),
        (t(1_800_000), t(1_800_000), None, None, sc),
    ];
    assert_eq!(rows(&r, "DaemonSet/"), ds_rows);
    let app = |d: &str| rows(&r, &format!("ReplicaSet/default/{d}-"));
    // Untolerated NoExecute: evicted at once; the replacement cannot go back (its nodeSelector
    // names the tainted node).
    assert_eq!(
        app("plain"),
        [(t(0), t(0), t(1_200_000), t(1_230_000), ev), (t(1_200_000), None, None, None, pe)]
    );
    // tolerationSeconds 600: evicted 600 s after the taint; the replacement tolerates the taint
    // too and its own 600 s would end after the horizon.
    let tola = [(t(0), t(0), t(1_800_000), t(1_830_000), ev), (t(1_800_000), t(1_800_000), None, None, sc)];
    assert_eq!(app("tola"), tola);
    // The taint is removed at 25m, before its 600 s: no eviction.
    assert_eq!(app("tolb"), [(t(0), t(0), None, None, sc)]);
    // NoSchedule does not evict: keep ran on from 5m and went with the NoExecute taint at 20m;
    // its replacement waits for the NoSchedule taint to go.
    let keep = [(t(0), t(0), t(1_200_000), t(1_230_000), ev), (t(1_200_000), t(1_800_000), None, None, sc)];
    assert_eq!(app("keep"), keep);
    // Tolerated forever.
    assert_eq!(app("stay"), [(t(0), t(0), None, None, sc)]);
    assert_eq!(r.recorder.evictions.get("TaintManagerEviction"), Some(&5), "3 app pods, 2 DaemonSet pods");
    let (_, plain2) = owned(&r, "ReplicaSet/default/plain-")[1].clone();
    let want = "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint(s). ";
    assert_eq!(plain2.last_reason, format!("{want}{UNSCHEDULABLE_TAIL}"));
    let taints = |n: &str| {
        r.cluster.node(node_id(&r, n)).node.taints.iter().map(|t| t.key.clone()).collect::<Vec<_>>()
    };
    assert_eq!((taints("n-0"), taints("n-1")), (vec!["maint".to_string()], vec![]));
}

#[test]
fn cordon_keeps_running_pods_and_blocks_new_ones_until_uncordon() {
    let spec = "  duration: 20m
  cluster: {nodes: [{pool: {name: c, count: 1, template: node.yaml}}]}
  workload: [{manifest: {path: app.yaml}}]
  events:
  - {at: 5m, cordon: {pool: c}}
  - {at: 10m, scale: {deployment: app, replicas: 2}}
  - {at: 15m, uncordon: {names: [c-0]}}
  metrics: {sampleInterval: 60s}
";
    let (_, r) = simulate(spec, &[("app.yaml", &deployment("app", 1, "100m", ""))]);
    let (sc, t) = (PodOutcome::Scheduled, |ms: i64| Some(ms));
    assert_eq!(
        rows(&r, "ReplicaSet/"),
        [(t(0), t(0), None, None, sc), (t(600_000), t(900_000), None, None, sc)]
    );
    let want = "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    assert_eq!(owned(&r, "ReplicaSet/")[1].1.last_reason, want);
    assert_eq!(event_times(&r, "Node/c-0", "NodeNotSchedulable"), [300_000]);
    assert_eq!(event_times(&r, "Node/c-0", "NodeSchedulable"), [900_000]);
    let node = &r.cluster.node(0).node;
    assert!(!node.unschedulable && node.taints.is_empty());
    assert_eq!((sample_at(&r, 840.0).pods_pending, sample_at(&r, 900.0).pods_running), (1, 2));
    assert!(r.recorder.evictions.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 5. Scale-down victims

#[test]
fn scale_down_removes_pending_then_crowded_then_newest_pods() {
    let big = NODE.replace("cpu: '4'", "cpu: '8'");
    let spec = "  duration: 30m
  cluster:
    nodes: [{pool: {name: big, count: 1, template: big.yaml}}, {pool: {name: small, count: 1, template: node.yaml}}]
  workload: [{manifest: {path: web.yaml}}]
  events:
  - {at: 10m, scale: {deployment: default/web, replicas: 6}}
  - {at: 20m, scale: {deployment: web, replicas: 3}}
  metrics: {sampleInterval: 60s}
";
    let (sc, r) = simulate(spec, &[("big.yaml", &big), ("web.yaml", &deployment("web", 8, "1500m", ""))]);
    let pods = owned(&r, "ReplicaSet/default/web-");
    assert_eq!(pods.len(), 8, "scale-down creates nothing");
    // 1500m pods: five fit on big (8 cpu), two on small (4 cpu), one stays pending.
    let on = |n: &str| -> Vec<PodId> {
        pods.iter().filter(|(_, p)| p.node.is_some() && node_of(&r, p) == n).map(|(i, _)| *i).collect()
    };
    let (big_pods, small_pods) = (on("big-0"), on("small-0"));
    assert_eq!((big_pods.len(), small_pods.len()), (5, 2));
    let pending: Vec<_> = pods.iter().filter(|(_, p)| p.scheduled_ms.is_none()).collect();
    assert_eq!(pending.len(), 1);
    let (pending_id, pending_rec) = pending[0].clone();
    let p = pending_rec;
    assert_eq!(
        (p.terminating_ms, p.deleted_ms, p.outcome),
        (Some(600_000), Some(600_000), PodOutcome::DeletedWhilePending)
    );
    // At 10m: the pending pod, then the newest pod on the crowded node (5 siblings vs 2).
    // At 20m (big has 4, small 2): the three newest pods on big.
    let mut expect: Vec<(PodId, Option<i64>)> = vec![(pending_id, Some(600_000))];
    for (k, p) in big_pods.iter().rev().enumerate() {
        expect.push((*p, [Some(600_000), Some(1_200_000), Some(1_200_000), Some(1_200_000), None][k]));
    }
    expect.extend(small_pods.iter().map(|p| (*p, None)));
    expect.sort();
    let got: Vec<(PodId, Option<i64>)> = pods.iter().map(|(i, p)| (*i, p.terminating_ms)).collect();
    assert_eq!(got, expect);
    for (_, p) in pods.iter().filter(|(_, p)| p.scheduled_ms.is_some()) {
        let want =
            if p.terminating_ms.is_some() { PodOutcome::DeletedByOwner } else { PodOutcome::Scheduled };
        assert_eq!(p.outcome, want);
    }
    let left: Vec<&str> =
        pods.iter().filter(|(_, p)| p.terminating_ms.is_none()).map(|(_, p)| node_of(&r, p)).collect();
    assert_eq!(left, ["big-0", "small-0", "small-0"]);
    let rs = format!("ReplicaSet/default/{}", sc.dynamics.replicasets[0].name);
    assert_eq!(event_times(&r, &rs, "SuccessfulDelete"), [600_000, 600_000, 1_200_000, 1_200_000, 1_200_000]);
    let s = sample_at(&r, 1_800.0);
    assert_eq!((s.pods_running, s.pods_pending, s.pods_succeeded, s.pods_failed), (3, 0, 4, 1));
}

// ---------------------------------------------------------------------------------------------
// 6. Jobs

#[test]
fn jobs_complete_at_exact_times_and_evictions_count_against_backoff_limit() {
    let spec = "  duration: 1h
  cluster: {nodes: [{pool: {name: j, count: 2, template: node.yaml}}]}
  workload: [{manifest: {path: jobs.yaml}}]
  events: [{at: 5m, taint: {nodes: {names: [j-1]}, add: [{key: boom, effect: NoExecute}]}}]
  metrics: {sampleInterval: 60s}
";
    let jobs = "apiVersion: batch/v1
kind: Job
metadata: {name: batch, annotations: {capsim.dev/run-time: 10m}}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      nodeSelector: {kubernetes.io/hostname: j-0}
      containers: [{name: w, image: busybox, resources: {requests: {cpu: 100m}}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: fragile}
spec:
  backoffLimit: 1
  template:
    metadata: {annotations: {capsim.dev/run-time: 1h}}
    spec:
      restartPolicy: Never
      nodeSelector: {kubernetes.io/hostname: j-1}
      tolerations: [{key: boom, operator: Exists, effect: NoExecute, tolerationSeconds: 60}]
      containers: [{name: w, image: busybox, resources: {requests: {cpu: 100m}}}]
";
    let (_, r) = simulate(spec, &[("jobs.yaml", jobs)]);
    let (ok, t) = (PodOutcome::Succeeded, |ms: i64| Some(ms));
    // Two at a time, 10 minutes each; the third starts when the first two finish.
    // (created, scheduled, deleted, outcome)
    let batch: Vec<_> = rows(&r, "Job/default/batch").into_iter().map(|x| (x.0, x.1, x.3, x.4)).collect();
    assert_eq!(
        batch,
        [
            (t(0), t(0), t(600_000), ok),
            (t(0), t(0), t(600_000), ok),
            (t(600_000), t(600_000), t(1_200_000), ok)
        ]
    );
    assert_eq!(event_times(&r, "Job/default/batch", "Completed"), [1_200_000]);
    assert!(owned(&r, "Job/default/batch").iter().all(|(id, _)| name_of(&r, *id).starts_with("batch-")));
    // fragile: evicted 60 s after the taint (360 s); recreated after the 10 s backoff (370 s),
    // evicted 60 s later; 2 failures > backoffLimit 1 → the Job fails, no third pod.
    let ev = PodOutcome::Evicted;
    assert_eq!(
        rows(&r, "Job/default/fragile"),
        [(t(0), t(0), t(360_000), t(390_000), ev), (t(370_000), t(370_000), t(430_000), t(460_000), ev)]
    );
    assert_eq!(event_times(&r, "Job/default/fragile", "BackoffLimitExceeded"), [430_000]);
    assert!(event_times(&r, "Job/default/fragile", "Completed").is_empty());
    let s = sample_at(&r, 3_600.0);
    assert_eq!((s.pods_created, s.pods_succeeded, s.pods_failed, s.pods_running), (5, 3, 2, 0));
}

// ---------------------------------------------------------------------------------------------
// 7. Admission

/// Admission objects in a manifest with `at` act from that time (upstream: the object exists
/// once created): before 10m a pod naming class `late` is refused as unknown, a bare pod gets no
/// LimitRange default and no quota refuses it; from 10m the class resolves, the LimitRange fills
/// requests, and the quota (pods: 2) counts the pod admitted before it (as the quota
/// controller's recalculation does), so the second pod after it is refused. The early pod keeps
/// what it was admitted with.
#[test]
fn timed_admission_objects_act_from_their_creation() {
    let spec = "  duration: 1h
  cluster: {nodes: [{pool: {name: a, count: 1, template: node.yaml}}]}
  workload:
    - manifest: {path: early.yaml}
    - manifest: {path: policy.yaml, at: 10m}
    - manifest: {path: late.yaml, at: 20m}
";
    let policy = "apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: late}
value: 1000
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: default}
spec:
  limits: [{type: Container, defaultRequest: {cpu: 200m, memory: 128Mi}}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: pod-count, namespace: default}
spec: {hard: {pods: '2'}}
";
    let early = pod_yaml("name: early-bare", "", "{}")
        + &pod_yaml("name: early-class", "  priorityClassName: late\n", "{}");
    let late = pod_yaml("name: late-class", "  priorityClassName: late\n", "{}")
        + &pod_yaml("name: late-bare", "", "{}");
    let (_, r) = simulate(spec, &[("policy.yaml", policy), ("early.yaml", &early), ("late.yaml", &late)]);
    let (id, rec) = by_name(&r, "early-bare");
    assert_eq!(rec.outcome, PodOutcome::Scheduled);
    assert_eq!((r.cluster.pod(id).requests.milli_cpu, r.cluster.pod(id).requests.memory), (0, 0));
    let (_, rec) = by_name(&r, "early-class");
    assert_eq!(rec.outcome, PodOutcome::Rejected);
    assert_eq!(
        rec.last_reason,
        "pods \"early-class\" is forbidden: no PriorityClass with name late was found"
    );
    let (id, rec) = by_name(&r, "late-class");
    assert_eq!((rec.outcome, r.cluster.pod(id).priority), (PodOutcome::Scheduled, 1000));
    assert_eq!(r.cluster.pod(id).requests.milli_cpu, 200, "LimitRange defaultRequest from 10m");
    let (_, rec) = by_name(&r, "late-bare");
    assert_eq!(rec.outcome, PodOutcome::Rejected);
    let quota = "exceeded quota: pod-count, requested: pods=1, used: pods=2, limited: pods=2";
    assert_eq!(rec.last_reason, format!("pods \"late-bare\" is forbidden: {quota}"));
}

/// RuntimeClass admission: a pod naming class `kata` gets its `overhead.podFixed` (250m,
/// 160Mi), which counts in its requests and in quota (750m charged of 1 cpu, so a 300m pod is
/// then refused), and the class's nodeSelector and toleration take it to the tainted sandbox
/// pool; a pod naming an unknown class is refused with upstream's message.
#[test]
fn runtime_class_sets_overhead_and_scheduling_and_refuses_unknown_classes() {
    let spec = "  duration: 10m
  cluster:
    nodes: [{pool: {name: a, count: 1, template: node.yaml}}, {pool: {name: k, count: 1, template: kata.yaml}}]
  workload: [{manifest: {path: policy.yaml}}, {manifest: {path: pods.yaml, at: 1s}}]
";
    let kata_node = "apiVersion: v1
kind: Node
metadata: {name: template, labels: {kubernetes.io/os: linux, sandbox: kata}}
spec: {taints: [{key: sandbox, value: kata, effect: NoSchedule}]}
status: {capacity: {cpu: '4', memory: 16Gi, pods: '110'}}
";
    let policy = "apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: kata}
handler: kata
overhead: {podFixed: {cpu: 250m, memory: 160Mi}}
scheduling:
  nodeSelector: {sandbox: kata}
  tolerations: [{key: sandbox, operator: Equal, value: kata, effect: NoSchedule}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: default}
spec: {hard: {requests.cpu: '1'}}
";
    let pods = pod_yaml("name: sandboxed", "  runtimeClassName: kata\n", "{requests: {cpu: 500m}}")
        + &pod_yaml("name: ghost", "  runtimeClassName: gvisor\n", "{requests: {cpu: 100m}}")
        + &pod_yaml("name: second", "", "{requests: {cpu: 300m}}");
    let (sc, r) = simulate(spec, &[("kata.yaml", kata_node), ("policy.yaml", policy), ("pods.yaml", &pods)]);
    assert_eq!(sc.dynamics.runtime_classes.len(), 1);
    let (id, rec) = by_name(&r, "sandboxed");
    let p = r.cluster.pod(id);
    assert_eq!(rec.outcome, PodOutcome::Scheduled);
    assert_eq!((p.requests.milli_cpu, p.requests.memory), (750, 160 << 20));
    assert!(node_of(&r, &rec).starts_with('k'), "{}", node_of(&r, &rec));
    let (_, ghost) = by_name(&r, "ghost");
    assert_eq!(ghost.outcome, PodOutcome::Rejected);
    assert_eq!(
        ghost.last_reason,
        "pods \"ghost\" is forbidden: pod rejected: RuntimeClass \"gvisor\" not found"
    );
    let (_, second) = by_name(&r, "second");
    let quota =
        "exceeded quota: q, requested: requests.cpu=300m, used: requests.cpu=750m, limited: requests.cpu=1";
    assert_eq!(second.last_reason, format!("pods \"second\" is forbidden: {quota}"));
    let reasons: Vec<&str> = r.recorder.rejections.keys().map(String::as_str).collect();
    assert_eq!(reasons, ["ResourceQuota", "RuntimeClass"]);
}

#[test]
fn admission_applies_limit_ranges_and_rejects_over_quota_and_unknown_classes() {
    let spec = "  duration: 1h
  cluster: {nodes: [{pool: {name: a, count: 1, template: node.yaml}}], manifests: [policy.yaml]}
  workload: [{manifest: {path: pods.yaml}}]
  metrics: {sampleInterval: 10m}
";
    let policy = "apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: default}
spec:
  limits: [{type: Container, default: {cpu: 500m, memory: 256Mi}, defaultRequest: {cpu: 200m, memory: 128Mi}}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: pod-count, namespace: quota}
spec: {hard: {pods: '2'}}
";
    let pods = pod_yaml("name: bare", "", "{}")
        + &pod_yaml("name: limited", "", "{limits: {cpu: '1'}}")
        + &pod_yaml("name: ghost", "  priorityClassName: nope\n", "{}")
        + &deployment("web", 3, "100m", "").replace("{name: web}", "{name: web, namespace: quota}");
    let (sc, r) = simulate(spec, &[("policy.yaml", policy), ("pods.yaml", &pods)]);
    assert_eq!((sc.dynamics.limit_ranges.len(), sc.dynamics.quotas.len()), (1, 1));
    // LimitRanger: missing requests ← defaultRequest; a limit without a request is the request.
    let (bare, rec) = by_name(&r, "bare");
    let p = r.cluster.pod(bare);
    assert_eq!(
        (p.requests.milli_cpu, p.requests.memory, p.containers[0].limits.milli_cpu),
        (200, 128 << 20, 500)
    );
    assert_eq!(rec.outcome, PodOutcome::Scheduled);
    let p = r.cluster.pod(by_name(&r, "limited").0);
    assert_eq!((p.requests.milli_cpu, p.requests.memory), (1000, 128 << 20));
    // Unknown PriorityClass.
    let (_, ghost) = by_name(&r, "ghost");
    assert_eq!((ghost.outcome, ghost.created_ms, ghost.scheduled_ms), (PodOutcome::Rejected, Some(0), None));
    assert_eq!(ghost.last_reason, "pods \"ghost\" is forbidden: no PriorityClass with name nope was found");
    // ResourceQuota pods: 2: the third replica is refused; the ReplicaSet retries with its
    // workqueue backoff (5 ms doubling, at most 1000 s), each try a new refused pod.
    let web = owned(&r, "ReplicaSet/quota/web-");
    assert_eq!(web.iter().filter(|(_, p)| p.outcome == PodOutcome::Scheduled).count(), 2);
    let refused: Vec<_> = web.iter().filter(|(_, p)| p.outcome == PodOutcome::Rejected).collect();
    let (mut expect, mut t, mut wait) = (vec![0i64], 0i64, 0i64);
    loop {
        wait = if wait == 0 { 5 } else { (wait * 2).min(1_000_000) };
        t += wait;
        if t > 3_600_000 {
            break;
        }
        expect.push(t);
    }
    let times: Vec<i64> = refused.iter().map(|(_, p)| p.created_ms.unwrap()).collect();
    assert_eq!((times, refused.len()), (expect, 21));
    for (id, p) in &refused {
        let name = &r.cluster.pod(*id).name;
        let quota = "exceeded quota: pod-count, requested: pods=1, used: pods=2, limited: pods=2";
        assert_eq!(p.last_reason, format!("pods \"{name}\" is forbidden: {quota}"));
        assert_eq!((p.scheduled_ms, p.node, p.attempts), (None, None, 0));
    }
    let rejections: Vec<(&str, u64)> = r.recorder.rejections.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(rejections, [("PriorityClass", 1), ("ResourceQuota", 21)]);
    let rs_obj = format!("ReplicaSet/quota/{}", sc.dynamics.replicasets[0].name);
    assert_eq!(event_times(&r, &rs_obj, "FailedCreate").len(), 21);
    assert_eq!(event_times(&r, "Pod/default/ghost", "PriorityClass"), [0]);
    // Every refused pod is a row and is counted in the samples.
    assert_eq!(r.records().unwrap().iter().filter(|p| p.outcome == PodOutcome::Rejected).count(), 22);
    assert_eq!(sample_at(&r, 0.0).pods_rejected, 2);
    let end = sample_at(&r, 3_600.0);
    assert_eq!((end.pods_rejected, end.pods_running, end.pods_created), (22, 4, 26));
}

// ---------------------------------------------------------------------------------------------
// 8. Random failure process

#[test]
fn random_failures_are_seeded_and_every_failure_recovers_after_the_repair_time() {
    let spec = "  duration: 24h
  cluster:
    nodes: [{pool: {name: f, count: 5, template: node.yaml}}]
    manifests: [ds.yaml]
    nodeFailures: [{mtbf: 2h, repair: 10m}]
";
    let (sc, r1) = simulate(spec, &[("ds.yaml", AGENT_DS)]);
    let key = |r: &RunResult| -> Vec<(String, f64, Option<f64>)> {
        r.recorder.failures.iter().map(|f| (f.node.clone(), f.failed_s, f.recovered_s)).collect()
    };
    let f1 = key(&r1);
    assert!((25..=100).contains(&f1.len()), "5 nodes × 24 h / (2 h + 10 min) ≈ 55, got {}", f1.len());
    for (node, failed, recovered) in &f1 {
        assert!(["f-0", "f-1", "f-2", "f-3", "f-4"].contains(&node.as_str()));
        assert!(*failed > 0.0 && *failed <= 86_400.0);
        let want = if failed + 600.0 <= 86_400.0 { Some(failed + 600.0) } else { None };
        assert_eq!(*recovered, want, "{node} failed at {failed}");
    }
    // A node fails again only after it recovered.
    for n in 0..5 {
        let name = format!("f-{n}");
        let mine: Vec<_> = f1.iter().filter(|f| f.0 == name).collect();
        assert!(mine.windows(2).all(|w| w[1].1 > w[0].2.unwrap()), "{name}: {mine:?}");
    }
    // Same seed ⇒ same failures; another seed ⇒ others.
    assert_eq!(key(&run(&sc, 1).unwrap()), f1);
    let r2 = run(&sc, 2).unwrap();
    assert_conserved(&r2);
    assert_ne!(key(&r2), f1);
    // DaemonSet pods tolerate the unreachable taint forever: nothing is evicted or replaced.
    assert!(r1.recorder.evictions.is_empty());
    assert_eq!(owned(&r1, "DaemonSet/").len(), 5);
    assert!(r1.recorder.samples.iter().all(|s| s.nodes == 5));
}

// ---------------------------------------------------------------------------------------------
// 9. Node label changes

fn label_run(evict: bool) -> RunResult {
    let spec = format!(
        "  duration: 20m
  cluster: {{nodes: [{{pool: {{name: n, count: 1, template: labelled.yaml}}}}], manifests: [ds.yaml]}}
  workload: [{{manifest: {{path: app.yaml}}}}]
  events: [{{at: 10m, label: {{nodes: {{pool: n}}, add: {{disk: hdd}}}}}}]
  controllers: {{evictOnNodeAffinityChange: {evict}}}
  metrics: {{sampleInterval: 60s}}
"
    );
    let node = NODE.replace("kubernetes.io/os: linux", "kubernetes.io/os: linux, disk: ssd");
    let affinity = "      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: In, values: [ssd]}]}]
";
    let ds = AGENT_DS.replace("    spec:\n", "    spec:\n      nodeSelector: {disk: ssd}\n");
    let app = deployment("app", 1, "100m", affinity);
    simulate(&spec, &[("labelled.yaml", &node), ("ds.yaml", &ds), ("app.yaml", &app)]).1
}

#[test]
fn node_label_change_evicts_only_with_evict_on_node_affinity_change() {
    let t = |ms: i64| Some(ms);
    for evict in [true, false] {
        let r = label_run(evict);
        if evict {
            let want = [
                (t(0), t(0), t(600_000), t(630_000), PodOutcome::Evicted),
                (t(600_000), None, None, None, PodOutcome::Pending),
            ];
            assert_eq!(rows(&r, "ReplicaSet/"), want);
            assert_eq!(r.recorder.evictions.get("NodeAffinityChanged"), Some(&1));
            let first = &name_of(&r, owned(&r, "ReplicaSet/")[0].0);
            assert_eq!(event_times(&r, &format!("Pod/default/{first}"), "NodeAffinityEviction"), [600_000]);
        } else {
            assert_eq!(rows(&r, "ReplicaSet/"), [(t(0), t(0), None, None, PodOutcome::Scheduled)]);
            assert!(r.recorder.evictions.is_empty());
        }
        // Either way the DaemonSet (nodeSelector disk: ssd) deletes its pod from the node.
        let ds = [(t(0), t(0), t(600_000), t(630_000), PodOutcome::DeletedByOwner)];
        assert_eq!(rows(&r, "DaemonSet/"), ds, "evict={evict}");
    }
}

// ---------------------------------------------------------------------------------------------
// 10. Skipped kinds and bundled manifests

const OTHER_KINDS: &str = "apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: kube-system}
data: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg2}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
";

#[test]
fn unsimulated_kinds_are_skipped_and_counted_and_services_read() {
    let spec =
        "  cluster: {nodes: [{pool: {name: n, count: 1, template: node.yaml}}], manifests: [other.yaml]}\n";
    let (sc, r) = simulate(spec, &[("other.yaml", OTHER_KINDS)]);
    let skipped: Vec<(&str, usize)> = sc.dynamics.skipped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(skipped, [("ConfigMap", 2), ("CustomResourceDefinition", 1)]);
    // A Service is read for PodTopologySpread's default selector (upstream DefaultSelector).
    let sel = &sc.dynamics.workload_selectors;
    assert_eq!(sel.len(), 1);
    assert_eq!((sel[0].kind, sel[0].name.as_str()), (capsim::model::SelectorKind::Service, "svc"));
    assert!(sc.arrivals.is_empty() && sc.dynamics.replicasets.is_empty());
    assert_eq!(r.records().unwrap().len(), 0);
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            yaml_files(&e, out);
        } else if e.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(e);
        }
    }
}

#[test]
fn every_bundled_manifest_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/manifests");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    let (mut ds, mut rs, mut jobs, mut pods) = (0, 0, 0, 0);
    let mut skipped = std::collections::BTreeMap::<String, usize>::new();
    for f in &files {
        let (mut dy, mut got) = (Dynamics::default(), Collected::default());
        manifests::load(f, SimTime::ZERO, &mut dy, &mut got)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        (ds, rs, jobs, pods) = (
            ds + dy.daemonsets.len(),
            rs + dy.replicasets.len(),
            jobs + dy.jobs.len(),
            pods + got.arrivals.len(),
        );
        for (k, v) in dy.skipped {
            *skipped.entry(k).or_default() += v;
        }
    }
    println!(
        "{} files: {ds} DaemonSets, {rs} ReplicaSets, {jobs} Jobs, {pods} Pods; skipped {skipped:?}",
        files.len()
    );
    // The bundled set as of this test; update when workloads/manifests changes.
    assert_eq!((files.len(), ds, rs, jobs, pods), (46, 9, 14, 2, 2));
}

// ---------------------------------------------------------------------------------------------
// 11. Regressions: behaviour capsim first got wrong

/// api/scenario.rs lists Namespace among the kinds a cluster manifest creates, and pod
/// affinity's `namespaceSelector` reads namespace labels.
#[test]

fn namespaces_in_cluster_manifests_are_created() {
    let spec = "  duration: 10m
  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}], manifests: [ns.yaml]}
  workload: [{manifest: {path: pods.yaml}}]
";
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n";
    let affinity = "  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - {labelSelector: {matchLabels: {app: db}}, namespaceSelector: {matchLabels: {team: a}}, topologyKey: kubernetes.io/hostname}
";
    let pods = pod_yaml("name: anchor, namespace: shop, labels: {app: db}", "", "{}")
        + &pod_yaml("name: follower", affinity, "{}");
    let (sc, r) = simulate(spec, &[("ns.yaml", ns), ("pods.yaml", &pods)]);
    let ((_, follower), (_, anchor)) = (by_name(&r, "follower"), by_name(&r, "anchor"));
    assert_eq!(follower.outcome, PodOutcome::Scheduled, "{}", follower.last_reason);
    assert_eq!(follower.node, anchor.node);
    assert_eq!(sc.dynamics.skipped.get("Namespace"), None);
}

/// kube-semantics §5.4: quota counts a pod until it terminates or is deleted (a pod with a
/// `deletionTimestamp` still counts during its grace period). A replacement of an evicted pod
/// under a full `pods` quota is therefore refused until the evicted pod is gone (30 s grace).
#[test]

fn quota_keeps_charging_an_evicted_pod_until_it_is_gone() {
    let spec = "  duration: 20m
  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}], manifests: [quota.yaml]}
  workload: [{manifest: {path: web.yaml}}]
  events: [{at: 10m, taint: {nodes: {names: [n-0]}, add: [{key: maint, effect: NoExecute}]}}]
  metrics: {sampleInterval: 60s}
";
    let quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {pods: '2'}}\n";
    let web = deployment("web", 2, "100m", "      nodeSelector: {kubernetes.io/hostname: n-0}\n");
    let (_, r) = simulate(spec, &[("quota.yaml", quota), ("web.yaml", &web)]);
    let pods = owned(&r, "ReplicaSet/default/web-");
    let evicted: Vec<_> = pods.iter().filter(|(_, p)| p.outcome == PodOutcome::Evicted).collect();
    assert_eq!(evicted.len(), 2);
    assert!(evicted.iter().all(|(_, p)| p.deleted_ms == Some(630_000)));
    let admitted = pods.iter().filter(|(_, p)| p.outcome != PodOutcome::Rejected && p.created_ms > Some(0));
    let first = admitted.map(|(_, p)| p.created_ms.unwrap()).min();
    assert!(
        first.is_some_and(|t| t >= 630_000),
        "replacement admitted at {first:?} while both evicted pods count"
    );
}

/// Priority admission resolves a pod that names no class against the `globalDefault` class,
/// wherever in `spec.cluster.manifests` the class is declared (all are created at time 0, and
/// `Dynamics::priority_classes` holds every manifest's classes). With `classes.yaml` listed
/// first this passes.
#[test]

fn global_default_priority_class_in_a_later_manifest_sets_the_priority() {
    let spec = "  duration: 10m
  cluster: {nodes: [{pool: {name: n, count: 1, template: node.yaml}}], manifests: [apps.yaml, classes.yaml]}
";
    let classes = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: normal}\nvalue: 1000\nglobalDefault: true\n";
    let apps = pod_yaml("name: bare", "", "{}") + &deployment("web", 1, "100m", "");
    let (_, r) = simulate(spec, &[("apps.yaml", &apps), ("classes.yaml", classes)]);
    assert_eq!(r.cluster.pods().count(), 2);
    for (_, p) in r.cluster.pods() {
        assert_eq!((p.priority_class_name.as_str(), p.priority), ("normal", 1000), "{}", p.name);
    }
}

/// A DaemonSet pod refused at admission is a failed sync: the DaemonSet controller requeues with
/// its rate limiter (5 ms doubling, at most 1000 s) and creates the pod once the quota has room.
/// Here the Job's pod frees the third slot at 5 min; upstream's retry lands at 60 s + 327.675 s.
#[test]

fn daemonset_pod_refused_by_quota_is_retried() {
    let spec = "  duration: 30m
  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}], manifests: [ds.yaml, quota.yaml, job.yaml]}
  events: [{at: 1m, nodeJoin: {pool: n, count: 1}}]
  metrics: {sampleInterval: 60s}
";
    let quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: kube-system}\nspec: {hard: {pods: '3'}}\n";
    let job = "apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: kube-system, annotations: {capsim.dev/run-time: 5m}}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: w, image: busybox}]}}}
";
    let (_, r) = simulate(spec, &[("ds.yaml", AGENT_DS), ("quota.yaml", quota), ("job.yaml", job)]);
    let job_pods = rows(&r, "Job/kube-system/once");
    assert_eq!(job_pods.len(), 1);
    assert_eq!((job_pods[0].3, job_pods[0].4), (Some(300_000), PodOutcome::Succeeded));
    let ds = owned(&r, "DaemonSet/kube-system/agent");
    let refused: Vec<_> = ds.iter().filter(|(_, p)| p.outcome == PodOutcome::Rejected).collect();
    assert_eq!(refused.first().map(|(_, p)| p.created_ms), Some(Some(60_000)));
    let n2 = node_id(&r, "n-2");
    let on_n2: Vec<_> = ds.iter().filter(|(_, p)| p.node == Some(n2)).collect();
    assert_eq!(on_n2.len(), 1, "n-2 never got its DaemonSet pod");
    assert!(on_n2[0].1.scheduled_ms.is_some_and(|t| t > 300_000));
}

/// A drain that a budget blocks for ever does not keep a run without a horizon going: the run
/// ends, the node stays cordoned, and each refused pod gets one `EvictionBlocked` event.
#[test]
fn a_blocked_drain_without_a_horizon_ends() {
    let spec = "  cluster:
    nodes: [{pool: {name: old, count: 2, template: node.yaml}}]
  workload: [{manifest: {path: web.yaml}}]
  events: [{at: 10m, nodeLeave: {names: [old-0]}}]
";
    let pdb = "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb}
spec: {maxUnavailable: 0, selector: {matchLabels: {app: web}}}
";
    let web = deployment("web", 2, "'1'", "") + pdb;
    let (_, r) = simulate(spec, &[("web.yaml", &web)]);
    let old = node_id(&r, "old-0");
    assert!(!r.cluster.node(old).removed);
    assert!(r.cluster.node(old).node.unschedulable);
    let blocked: Vec<_> = r.recorder.kube_events.iter().filter(|e| e.reason == "EvictionBlocked").collect();
    assert_eq!(blocked.len(), r.cluster.node(old).pods.len());
    assert!(blocked.iter().all(|e| e.time_s == "600"));
}

/// `tolerationSeconds` near i64::MAX must not wrap around: the pod stays.
#[test]
fn a_huge_toleration_never_evicts() {
    let spec = "  duration: 2h
  cluster:
    nodes: [{pool: {name: n, count: 1, template: node.yaml}}]
  workload: [{manifest: {path: p.yaml}}]
  events: [{at: 10m, taint: {nodes: {pool: n}, add: [{key: k, effect: NoExecute}]}}]
";
    let p = pod_yaml(
        "name: p",
        "  tolerations: [{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 9223372036854775807}]\n",
        "{requests: {cpu: 100m}}",
    );
    let (_, r) = simulate(spec, &[("p.yaml", &p)]);
    let (_, rec) = by_name(&r, "p");
    assert_eq!((rec.outcome, rec.terminating_ms), (PodOutcome::Scheduled, None));
}

/// A static pod belongs to its kubelet: a NoExecute taint it does not tolerate leaves it
/// running (upstream's kubelet keeps it and re-creates its mirror pod).
#[test]
fn static_pods_survive_noexecute_taints() {
    let spec = "  duration: 1h
  cluster:
    nodes: [{pool: {name: n, count: 1, template: node.yaml}}]
    staticPods: [{path: s.yaml}, {path: s.yaml}]
  events: [{at: 10m, taint: {nodes: {pool: n}, add: [{key: k, effect: NoExecute}]}}]
";
    let s = pod_yaml("name: etcd, namespace: kube-system", "", "{requests: {cpu: 100m}}");
    let (_, r) = simulate(spec, &[("s.yaml", &s)]);
    let mirrors: Vec<_> = r.records().unwrap().into_iter().filter(|p| p.owner == "Node/n-0").collect();
    assert_eq!(mirrors.len(), 1, "one manifest name runs once per node");
    assert_eq!((mirrors[0].outcome, mirrors[0].terminating_ms), (PodOutcome::BoundByNodeName, None));
}

/// A Service (or controller) in a manifest with `at` joins PodTopologySpread's default selector
/// at that time, not at 0 (issue 15): under a bin-packing profile the pods created before it
/// all go to one node; once the Service selects them, the system default spreading moves the
/// next pod to the other node.
#[test]
fn services_join_the_default_spread_selector_at_their_time() {
    let spec = "  duration: 10m
  cluster: {nodes: [{pool: {name: n, count: 2, template: node.yaml}}]}
  scheduler: {config: sched.yaml}
  workload:
    - manifest: {path: early.yaml}
    - manifest: {path: svc.yaml, at: 1m}
    - manifest: {path: late.yaml, at: 2m}
";
    let sched = "apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
";
    let svc = "apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
";
    let pod =
        |name: &str| pod_yaml(&format!("name: {name}, labels: {{app: web}}"), "", "{requests: {cpu: 100m}}");
    let early: String = (0..3).map(|i| pod(&format!("early-{i}"))).collect();
    let late = pod("late-0");
    let (sc, r) = simulate(
        spec,
        &[("sched.yaml", sched), ("svc.yaml", svc), ("early.yaml", &early), ("late.yaml", &late)],
    );
    assert_eq!(sc.dynamics.workload_selectors[0].created, SimTime(60_000));
    let early_nodes: Vec<&str> = (0..3).map(|i| node_of(&r, &by_name(&r, &format!("early-{i}")).1)).collect();
    assert!(early_nodes.iter().all(|n| *n == early_nodes[0]), "packed before the Service: {early_nodes:?}");
    let late_node = node_of(&r, &by_name(&r, "late-0").1);
    assert_ne!(late_node, early_nodes[0], "spread once the Service selects the pods");
}
