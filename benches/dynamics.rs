//! Criterion benchmarks of cluster dynamics at scale: whole runs of generated scenarios.
//!
//! - `daemonsets_5000_nodes_join_burst_1000`: 5,000 nodes (32 cores / 128 GiB / 110 pods, three
//!   zones) with three DaemonSets (one selecting 2/3 of the nodes); at 10m, 1,000 nodes join at
//!   once and the DaemonSets fan out to them. The run ends when everything is placed.
//! - `node_failure_5000_nodes`: the same cluster and DaemonSets plus a Deployment of 10,000
//!   replicas (500m / 1Gi); 5% of the nodes fail at 10m and recover an hour later (2h horizon).
//! - `synthetic_day_1m_pods`: `workloads/synthetic-day.yaml`, 1,000,000 generated pods over a
//!   day on 5,000 nodes (about 20 s an iteration: 10 samples take a few minutes).
//!
//! The scenarios are written as YAML into a temporary folder and loaded once; only
//! `capsim::sim::engine::run` is timed. Placement is checked (and pod and event counts printed)
//! outside the timed loop. Run with `cargo bench --bench dynamics`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use capsim::metrics::RunResult;
use capsim::model::Owner;
use capsim::scenario::{LoadedScenario, load};
use capsim::sim::engine::run;
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
    measurement::WallTime,
};

/// The node pools: (zone, node class, nodes at time 0, nodes joining at 10m). Per zone, 2/3 of
/// the nodes are `general` (the class the `log-shipper` DaemonSet selects) and 1/3 `compute`:
/// 3,333 + 1,667 = 5,000 at time 0, then 666 + 334 = 1,000 joining.
const POOLS: [(&str, &str, usize, usize); 6] = [
    ("zone-a", "general", 1_111, 222),
    ("zone-b", "general", 1_111, 222),
    ("zone-c", "general", 1_111, 222),
    ("zone-a", "compute", 556, 112),
    ("zone-b", "compute", 556, 111),
    ("zone-c", "compute", 555, 111),
];

/// Nodes at time 0.
const INITIAL_NODES: usize = 5_000;
/// Nodes joining in the burst.
const BURST_NODES: usize = 1_000;
/// Replicas of the Deployment of the node-failure scenario.
const REPLICAS: usize = 10_000;

const NODE_CLASS_LABEL: &str = "bench.capsim.dev/node-class";

fn pool_name(zone: &str, class: &str) -> String {
    format!("{class}-{zone}")
}

fn node_template(zone: &str, class: &str) -> String {
    format!(
        "apiVersion: v1
kind: Node
metadata:
  name: template
  labels:
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: {zone}
    {NODE_CLASS_LABEL}: {class}
status:
  capacity: {{cpu: '32', memory: 128Gi, pods: '110'}}
  allocatable: {{cpu: '32', memory: 128Gi, pods: '110'}}
"
    )
}

fn daemonset(name: &str, cpu: &str, memory: &str, node_selector: &[(&str, &str)]) -> String {
    let mut sel = String::new();
    for (k, v) in node_selector {
        let _ = write!(sel, "\n        {k}: {v}");
    }
    format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {name}
  namespace: kube-system
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      nodeSelector:{sel}
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0
          resources:
            requests: {{cpu: {cpu}, memory: {memory}}}
"
    )
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 10000
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            requests: {cpu: 500m, memory: 1Gi}
";

/// Writes the node templates and manifests into `dir`, then a scenario named `name` with
/// `extra_manifests` added to the system layer, `events` (YAML list items) as its timeline and
/// an optional `duration`; returns the scenario's path.
fn write_scenario(
    dir: &Path,
    name: &str,
    extra_manifests: &[&str],
    events: &str,
    duration: Option<&str>,
) -> String {
    let mut nodes = String::new();
    for (zone, class, initial, _) in POOLS {
        let file = format!("node-{class}-{zone}.yaml");
        std::fs::write(dir.join(&file), node_template(zone, class)).unwrap();
        let _ = write!(
            nodes,
            "\n      - pool: {{name: {}, count: {initial}, template: {file}}}",
            pool_name(zone, class)
        );
    }
    let system = [
        daemonset("net-agent", "250m", "128Mi", &[("kubernetes.io/os", "linux")]),
        daemonset("node-monitor", "100m", "200Mi", &[("kubernetes.io/os", "linux")]),
        daemonset(
            "log-shipper",
            "50m",
            "64Mi",
            &[("kubernetes.io/os", "linux"), (NODE_CLASS_LABEL, "general")],
        ),
    ]
    .join("---\n");
    std::fs::write(dir.join("daemonsets.yaml"), system).unwrap();
    std::fs::write(dir.join("deployment.yaml"), DEPLOYMENT).unwrap();
    let mut manifests = String::from("\n      - daemonsets.yaml");
    for m in extra_manifests {
        let _ = write!(manifests, "\n      - {m}");
    }
    let duration = duration.map(|d| format!("\n  duration: {d}")).unwrap_or_default();
    let text = format!(
        "apiVersion: capsim.dev/v1alpha1
kind: Scenario
metadata:
  name: {name}
spec:
  seed: 1{duration}
  cluster:
    nodes:{nodes}
    manifests:{manifests}
  events:{events}
"
    );
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The burst: every pool grows by its share of the 1,000 nodes at 10m, all at once.
fn burst_events() -> String {
    let mut s = String::new();
    for (zone, class, _, join) in POOLS {
        let _ =
            write!(s, "\n    - {{at: 10m, nodeJoin: {{pool: {}, count: {join}}}}}", pool_name(zone, class));
    }
    s
}

const FAILURE_EVENTS: &str =
    "\n    - at: 10m\n      nodeFailure:\n        nodes: {fraction: 0.05}\n        recoverAfter: 1h";

/// Checks that every DaemonSet has exactly one bound, live pod on each node where it should
/// run (and none elsewhere), on `nodes` live nodes; returns the eligible count per DaemonSet.
fn check_daemonsets(sc: &LoadedScenario, r: &RunResult, nodes: usize) -> Vec<usize> {
    assert_eq!(r.cluster.num_live_nodes(), nodes, "live nodes at the end");
    let mut eligible = vec![0usize; sc.dynamics.daemonsets.len()];
    for (id, info) in r.cluster.live_nodes() {
        for (k, ds) in sc.dynamics.daemonsets.iter().enumerate() {
            let (should_run, _) = ds.should_run(&info.node);
            let mine = info
                .pods
                .iter()
                .filter(|p| {
                    let pod = r.cluster.pod(**p);
                    pod.owner == Some(Owner::DaemonSet(k as u32)) && !pod.terminating
                })
                .count();
            if should_run {
                eligible[k] += 1;
            }
            assert_eq!(mine, usize::from(should_run), "{} on {} (node {id})", ds.name, info.node.name);
        }
    }
    eligible
}

/// A group for whole runs of a few hundred milliseconds or more: 10 samples of equal iteration
/// counts (flat sampling), a short warm-up and measurement, throughput in pods.
fn group<'a>(c: &'a mut Criterion, pods: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group("dynamics");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(pods as u64));
    g
}

/// Runs `sc` once outside the timer, prints its counts, and returns the run.
fn dry_run(label: &str, sc: &LoadedScenario) -> RunResult {
    let t = Instant::now();
    let r = run(sc, 1).expect("run");
    let wall = t.elapsed();
    let pods = r.cluster.next_pod_id() as usize;
    let events = r.recorder.events;
    println!(
        "{label}: {pods} pods, {events} events, {} scheduling cycles ({} failed), virtual end {} s, \
         one untimed run {:.2} s",
        r.recorder.cycles,
        r.recorder.failed_cycles,
        r.end.as_secs_f64(),
        wall.as_secs_f64(),
    );
    r
}

fn join_burst(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), "daemonsets-join-burst", &[], &burst_events(), None);
    let sc = load(Path::new(&path)).expect("generated scenario loads");
    assert_eq!(sc.nodes.len(), INITIAL_NODES);
    assert_eq!(sc.dynamics.daemonsets.len(), 3);

    let r = dry_run("daemonsets_5000_nodes_join_burst_1000", &sc);
    let eligible = check_daemonsets(&sc, &r, INITIAL_NODES + BURST_NODES);
    // 6,000 nodes for the two unrestricted DaemonSets; 3,999 `general` nodes for the third.
    assert_eq!(eligible, vec![6_000, 6_000, 3_999]);
    let bound = r.cluster.pods().filter(|(p, _)| r.cluster.pod_node(*p).is_some()).count();
    assert_eq!(bound, 6_000 + 6_000 + 3_999, "every daemon pod is bound");
    println!("  eligible nodes per DaemonSet: {eligible:?}; bound pods: {bound}");
    let pods = r.cluster.next_pod_id() as usize;
    drop(r);

    let mut group = group(c, pods);
    group.bench_function("daemonsets_5000_nodes_join_burst_1000", |b| {
        b.iter(|| black_box(run(&sc, 1).unwrap()))
    });
    group.finish();
}

fn node_failure(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(
        dir.path(),
        "daemonsets-node-failure",
        &["deployment.yaml"],
        FAILURE_EVENTS,
        Some("2h"),
    );
    let sc = load(Path::new(&path)).expect("generated scenario loads");
    assert_eq!(sc.nodes.len(), INITIAL_NODES);
    assert_eq!(sc.dynamics.replicasets.len(), 1);

    let r = dry_run("node_failure_5000_nodes", &sc);
    let eligible = check_daemonsets(&sc, &r, INITIAL_NODES);
    assert_eq!(eligible, vec![5_000, 5_000, 3_333]);
    let web_running = r
        .cluster
        .live_nodes()
        .flat_map(|(_, info)| info.pods.iter())
        .filter(|p| {
            let pod = r.cluster.pod(**p);
            pod.owner == Some(Owner::ReplicaSet(0)) && !pod.terminating
        })
        .count();
    assert_eq!(web_running, REPLICAS, "every replica runs at the end");
    // Web pods bound before the failure at 10m (all 10,000 once the ReplicaSet controller has
    // created them; see the note printed when fewer).
    let web_before = r
        .records()
        .expect("records")
        .into_iter()
        .filter(|p| p.owner.starts_with("ReplicaSet/") && p.scheduled_ms.is_some_and(|t| t < 600_000))
        .count();
    let failures = r.recorder.failures.len();
    let evicted: u64 = r.recorder.evictions.values().sum();
    println!(
        "  eligible nodes per DaemonSet: {eligible:?}; web replicas running at the end: {web_running}, \
         bound before the failure: {web_before}; node failures: {failures}; evictions: {evicted}"
    );
    if web_before < REPLICAS {
        println!(
            "  note: only {web_before} of {REPLICAS} replicas existed at 10m: the ReplicaSet controller \
             creates at most burstReplicas (500) per sync and is only re-synced by later pod events"
        );
    }
    let pods = r.cluster.next_pod_id() as usize;
    drop(r);

    let mut group = group(c, pods);
    group.bench_function("node_failure_5000_nodes", |b| b.iter(|| black_box(run(&sc, 1).unwrap())));
    group.finish();
}

fn synthetic_day(c: &mut Criterion) {
    let sc = load(Path::new("workloads/synthetic-day.yaml")).expect("the bundled scenario loads");
    let mut group = group(c, 1_000_000);
    group.bench_function("synthetic_day_1m_pods", |b| b.iter(|| black_box(run(&sc, 1).unwrap())));
    group.finish();
}

criterion_group!(benches, join_burst, node_failure, synthetic_day);
criterion_main!(benches);
