//! Builders for test fixtures, in the spirit of kube-scheduler's `pkg/scheduler/testing/wrappers.go`
//! (`MakeNode().Name(..).Capacity(..).Obj()`): model Nodes and Pods, hand-built scenarios, and
//! scenario folders written from YAML text and run.

use std::path::PathBuf;

use capsim::metrics::RunResult;
use capsim::model::resources::Resources;
use capsim::model::{Cluster, Labels, Node, Pod, PodId, simple_pod};
use capsim::names::LABEL_HOSTNAME;
use capsim::scenario::{LoadedScenario, load};
use capsim::scheduler::framework::profile::SchedulerConfig;
use capsim::scheduler::framework::runner::TieBreak;
use capsim::sim::engine::run;
use capsim::time::SimTime;
use capsim::workload::Arrival;

/// A model Node under construction: 110 pods, no labels, no taints until set.
#[derive(Clone, Debug)]
pub struct NodeBuilder(Node);

/// Starts a Node named `name` with `milli_cpu` millicores and `memory` bytes allocatable (and the
/// same capacity), room for 110 pods.
pub fn make_node(name: &str, milli_cpu: i64, memory: i64) -> NodeBuilder {
    let r = Resources { milli_cpu, memory, pods: 110, ..Default::default() };
    NodeBuilder(Node {
        name: name.into(),
        labels: Labels::new(),
        taints: Vec::new(),
        unschedulable: false,
        capacity: r.clone(),
        allocatable: r,
        images: Vec::new(),
    })
}

impl NodeBuilder {
    /// Sets label `key` to `value`.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.0.labels.insert(key.into(), value.into());
        self
    }

    /// Sets `kubernetes.io/hostname` to the node's name.
    pub fn hostname(self) -> Self {
        let name = self.0.name.clone();
        self.label(LABEL_HOSTNAME, &name)
    }

    /// Sets an extended resource's allocatable and capacity (`nvidia.com/gpu`, ...).
    pub fn resource(mut self, name: &str, amount: i64) -> Self {
        self.0.allocatable.set(name, amount);
        self.0.capacity.set(name, amount);
        self
    }

    /// The Node.
    pub fn obj(self) -> Node {
        self.0
    }
}

/// A model Pod under construction: one container `main` in namespace `default`.
#[derive(Clone, Debug)]
pub struct PodBuilder(Pod);

/// Starts a Pod named `name` requesting `milli_cpu` millicores and `memory` bytes (0: not set).
pub fn make_pod(name: &str, milli_cpu: i64, memory: i64) -> PodBuilder {
    PodBuilder(simple_pod(name, Resources { milli_cpu, memory, ..Default::default() }))
}

impl PodBuilder {
    /// Sets the resolved priority.
    pub fn priority(mut self, priority: i32) -> Self {
        self.0.priority = priority;
        self
    }

    /// Sets label `key` to `value`.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.0.labels.insert(key.into(), value.into());
        self
    }

    /// The Pod.
    pub fn obj(self) -> Pod {
        self.0
    }
}

/// A cluster of `nodes` (name, millicores), each with 64 GiB and its hostname label, in order.
pub fn cluster_of(nodes: &[(&str, i64)]) -> Cluster {
    let mut c = Cluster::new();
    for (n, cpu) in nodes {
        c.add_node(make_node(n, *cpu, 64 << 30).hostname().obj()).unwrap();
    }
    c
}

/// Adds `pod` to `c` bound to node `on`, running since `start` (what preemption's victim order
/// reads).
pub fn bind_running(c: &mut Cluster, pod: Pod, on: &str, start: SimTime) -> PodId {
    let node = c.node_id(on).unwrap();
    let id = c.add_pod(pod);
    c.bind(id, node).unwrap();
    c.set_start_time(id, start.as_millis());
    id
}

/// A workload pod arriving at `created_s` and leaving at `deleted_s` (seconds of virtual time).
pub fn arrival(pod: Pod, created_s: i64, deleted_s: Option<i64>) -> Arrival {
    Arrival {
        pod,
        created: SimTime::from_secs(created_s),
        deleted: deleted_s.map(SimTime::from_secs),
        line: 0,
    }
}

/// A hand-built scenario `t` (seed 1, the default profile, first-node ties, 60 s samples) of
/// `nodes` and `arrivals`, with nothing else.
pub fn scenario_of(nodes: Vec<Node>, arrivals: Vec<Arrival>) -> LoadedScenario {
    LoadedScenario {
        name: "t".into(),
        path: PathBuf::from("t.yaml"),
        seed: 1,
        nodes,
        arrivals,
        scheduler: SchedulerConfig::default_config(capsim::scheduler::plugins::registry::in_tree()),
        tie_break: TieBreak::FirstNode,
        sample_interval: SimTime::from_secs(60),
        horizon: None,
        notes: Vec::new(),
        inputs: Vec::new(),
        text: String::new(),
        pdbs: Vec::new(),
        processes: Vec::new(),
        cycle_latency: SimTime::ZERO,
        dynamics: Default::default(),
        record_events: true,
    }
}

/// Writes a scenario named `t` whose `spec:` body is `spec`, and `files` (name, text) beside it,
/// into a temporary folder, loads it and runs it with seed 1, and checks [`assert_conserved`].
pub fn simulate_files(spec: &str, files: &[(&str, &str)]) -> (LoadedScenario, RunResult) {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n{spec}");
    std::fs::write(dir.path().join("scenario.yaml"), text).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let sc = load(&dir.path().join("scenario.yaml")).unwrap_or_else(|e| panic!("load: {e}"));
    let r = run(&sc, 1).unwrap_or_else(|e| panic!("run: {e}"));
    assert_conserved(&r);
    (sc, r)
}

/// At every sample: created = pending + running + succeeded + failed + rejected.
pub fn assert_conserved(r: &RunResult) {
    assert!(!r.recorder.samples.is_empty());
    for s in &r.recorder.samples {
        let sum = s.pods_pending + s.pods_running + s.pods_succeeded + s.pods_failed + s.pods_rejected;
        assert_eq!(s.pods_created, sum, "t={}", s.time_s);
    }
}

/// A Pod manifest (YAML document with its `---`): `metadata` holds the fields inside
/// `metadata: {...}`, `extra` lines of `spec` before `containers`, `resources` the container's
/// `resources` value.
pub fn pod_yaml(metadata: &str, extra: &str, resources: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{{metadata}}}\nspec:\n{extra}  containers: [{{name: c, image: x, resources: {resources}}}]\n---\n"
    )
}
