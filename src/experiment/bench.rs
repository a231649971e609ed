//! `capsim bench`: scheduling throughput of a user's profiles on workloads shaped like upstream
//! scheduler_perf's (`test/integration/scheduler_perf/config/performance-config.yaml`): nodes
//! from its default node template (4 cpu, 32 GiB, 110 pods), pods from its default pod template
//! (100m cpu, 500 MiB), a number of initial pods placed first, then measured pods scheduled one
//! by one through the framework (one cycle each, bound at once). The measured pods are built
//! before the clock starts (upstream's scheduler_perf creates them through the API server, not
//! in the scheduler). Reports pods per second (the best and the median of repetitions: on a
//! shared machine other processes only ever slow a pass down, so the best pass is the figure of
//! what the code can do and the one compared with a baseline), each plugin's share of the cycle
//! time (a separate timed pass), placement quality (cpu allocated, nodes used) and a hash of the
//! placements; compares with a baseline and flags slowdowns and changed placements.

use std::path::Path;
use std::time::Instant;

use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::{InputError, SimError};
use crate::model::{Cluster, Node, Pod};
use crate::scheduler::framework::profile::Profile;
use crate::scheduler::framework::runner::{
    CycleOptions, CycleOutcome, SchedulerState, TieBreak, schedule_pod,
};

/// A workload shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `SchedulingBasic`: plain pods.
    Basic,
    /// `SchedulingNodeAffinity`: pods require `topology.kubernetes.io/zone In [zone1]`, half the
    /// nodes are in zone1.
    NodeAffinity,
    /// `SchedulingPodAntiAffinity`: pods of one app repel each other per node (hostname).
    PodAntiAffinity,
    /// `TopologySpreading`: pods spread over 3 zones, maxSkew 1, DoNotSchedule.
    TopologySpread,
    /// `TopologySpreadingZoneHostname`: a Deployment's pods shaped as Karpenter's `ha-az-nodes`
    /// blueprint: spread over hostnames and over zones, maxSkew 1, both ScheduleAnyway.
    TopologySpreadZoneHostname,
    /// `SchedulingPreferredPodAffinity`: pods prefer (weight 1) nodes with a pod of their app
    /// (hostname).
    PreferredPodAffinity,
    /// `PreemptionBasic`: the initial pods are low-priority 900m / 500Mi pods (four fill a
    /// node), the measured ones priority-10 pods of 3 cpu / 500Mi that fit only by preempting
    /// three of them: each measured pod runs a failed cycle, DefaultPreemption, the victims'
    /// deletion and a second cycle on the nominated node.
    Preemption,
    /// `SchedulingDaemonset`: one pod per node pinned by a `matchFields metadata.name` node
    /// affinity, as the DaemonSet controller makes them (NodeAffinity's PreFilterResult names
    /// one node of the 15,000).
    DaemonSet,
}

/// One benchmark workload.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Name (scheduler_perf's test name).
    pub name: &'static str,
    /// Shape of its pods and nodes.
    pub shape: Shape,
    /// Nodes.
    pub nodes: usize,
    /// Pods placed before measuring.
    pub init_pods: usize,
    /// Pods measured.
    pub measured_pods: usize,
}

/// The workloads, at `scale` (1.0: scheduler_perf's 5,000-node sizes).
pub fn workloads(scale: f64) -> Vec<Workload> {
    let s = |n: usize| ((n as f64 * scale).round() as usize).max(1);
    vec![
        Workload {
            name: "SchedulingBasic",
            shape: Shape::Basic,
            nodes: s(5000),
            init_pods: s(1000),
            measured_pods: s(10000),
        },
        Workload {
            name: "SchedulingNodeAffinity",
            shape: Shape::NodeAffinity,
            nodes: s(5000),
            init_pods: s(1000),
            measured_pods: s(10000),
        },
        Workload {
            name: "SchedulingPodAntiAffinity",
            shape: Shape::PodAntiAffinity,
            nodes: s(5000),
            init_pods: s(1000),
            measured_pods: s(1000),
        },
        Workload {
            name: "TopologySpreading",
            shape: Shape::TopologySpread,
            nodes: s(5000),
            init_pods: s(1000),
            measured_pods: s(5000),
        },
        Workload {
            name: "TopologySpreadingZoneHostname",
            shape: Shape::TopologySpreadZoneHostname,
            nodes: s(5000),
            init_pods: s(1000),
            measured_pods: s(5000),
        },
        Workload {
            name: "SchedulingPreferredPodAffinity",
            shape: Shape::PreferredPodAffinity,
            nodes: s(5000),
            init_pods: s(1000),
            measured_pods: s(5000),
        },
        Workload {
            name: "PreemptionBasic",
            shape: Shape::Preemption,
            nodes: s(5000),
            init_pods: s(20000),
            measured_pods: s(5000),
        },
        Workload {
            name: "SchedulingDaemonset",
            shape: Shape::DaemonSet,
            nodes: s(15000),
            init_pods: 0,
            measured_pods: s(15000),
        },
    ]
}

fn node_yaml(i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-{i}\n  labels:\n    kubernetes.io/hostname: node-{i}\n    topology.kubernetes.io/zone: zone{}\nstatus:\n  capacity: {{cpu: '4', memory: 32Gi, pods: '110'}}\n  allocatable: {{cpu: '4', memory: 32Gi, pods: '110'}}\n",
        if i.is_multiple_of(2) { 1 } else { 2 + (i / 2) % 2 }
    )
}

/// The measured pods' manifest (`initial`: the initial pods', which differ for preemption).
fn pod_yaml(shape: Shape, initial: bool) -> String {
    let cpu = match (shape, initial) {
        (Shape::Preemption, true) => "900m",
        (Shape::Preemption, false) => "3",
        _ => "100m",
    };
    let affinity = match shape {
        Shape::Basic | Shape::Preemption => String::new(),
        Shape::DaemonSet => "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchFields:\n          - {key: metadata.name, operator: In, values: [node-0]}\n".into(),
        Shape::NodeAffinity => "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: topology.kubernetes.io/zone, operator: In, values: [zone1]}\n".into(),
        Shape::PodAntiAffinity => "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: bench}}\n        topologyKey: kubernetes.io/hostname\n".into(),
        Shape::TopologySpread => "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: topology.kubernetes.io/zone\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector: {matchLabels: {app: bench}}\n".into(),
        Shape::TopologySpreadZoneHostname => "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: kubernetes.io/hostname\n    whenUnsatisfiable: ScheduleAnyway\n    labelSelector: {matchLabels: {app: bench}}\n  - maxSkew: 1\n    topologyKey: topology.kubernetes.io/zone\n    whenUnsatisfiable: ScheduleAnyway\n    labelSelector: {matchLabels: {app: bench}}\n".into(),
        Shape::PreferredPodAffinity => "  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 1\n        podAffinityTerm:\n          labelSelector: {matchLabels: {app: bench}}\n          topologyKey: kubernetes.io/hostname\n".into(),
    };
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\n  labels: {{app: bench}}\nspec:\n{affinity}  containers:\n  - name: c\n    image: registry.k8s.io/pause:3.10\n    resources:\n      requests: {{cpu: {cpu}, memory: 500Mi}}\n"
    )
}

fn parse<T>(yaml: &str, f: impl Fn(&crate::api::objects::KubeObject) -> Option<T>) -> T {
    let objs = crate::api::yaml::objects_from_str(yaml, Path::new("bench.yaml")).expect("bench YAML parses");
    f(&objs[0].value).expect("bench object converts")
}

/// A workload's nodes and pods, converted as any manifest is.
#[derive(Clone, Debug)]
pub struct Built {
    /// The nodes, `node-0` to `node-<n-1>`.
    pub nodes: Vec<Node>,
    /// Template of the initial pods.
    pub init: Pod,
    /// Template of the measured pods.
    pub measured: Pod,
}

impl Built {
    /// Measured pod `i` (named `pod-<i>`; a DaemonSet pod pinned to node `i`).
    fn measured_pod(&self, shape: Shape, i: usize, k: usize) -> Pod {
        let mut pod = self.measured.clone();
        pod.name = format!("pod-{i}");
        if shape == Shape::DaemonSet
            && let Some(term) =
                pod.node_affinity.as_mut().and_then(|a| a.required.as_mut()).and_then(|r| r.terms.first_mut())
            && let Some(field) = term.match_fields.first_mut()
        {
            field.values = vec![self.nodes[k % self.nodes.len()].name.clone()];
        }
        pod
    }
}

/// The workload's nodes and pod templates (converted as any manifest is).
pub fn build(w: &Workload) -> Built {
    use crate::api::objects::KubeObject;
    let p = Path::new("bench.yaml");
    let nodes = (0..w.nodes)
        .map(|i| {
            parse(&node_yaml(i), |o| match o {
                KubeObject::Node(n) => crate::api::convert::node_to_model(n, p, 1).ok(),
                _ => None,
            })
        })
        .collect();
    let pod = |initial: bool| {
        let mut pod = parse(&pod_yaml(w.shape, initial), |o| match o {
            KubeObject::Pod(x) => crate::api::convert::pod_to_model(x, p, 1, |_| Some(0)).ok(),
            _ => None,
        });
        if w.shape == Shape::Preemption {
            // pod-high-priority.yaml: priority 10; pod-low-priority.yaml: no grace period.
            if initial {
                pod.termination_grace_period_s = 0;
            } else {
                pod.priority = 10;
            }
        }
        pod
    };
    Built { nodes, init: pod(true), measured: pod(false) }
}

/// What one measured pass gave.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BenchRow {
    /// Workload.
    pub workload: String,
    /// Profile (schedulerName), with `@100` when percentageOfNodesToScore was forced to 100.
    pub profile: String,
    /// Nodes.
    pub nodes: usize,
    /// Pods measured.
    pub pods: usize,
    /// Measured pods per wall second: the best of the repetitions (the one figure of a whole
    /// run or a load).
    pub pods_per_s: f64,
    /// Measured pods per wall second, median of the repetitions (absent from baselines saved
    /// before it existed).
    #[serde(default)]
    pub pods_per_s_median: f64,
    /// Measured pods that found no node.
    pub unschedulable: usize,
    /// Σ cpu requested / Σ allocatable at the end, 0–1.
    pub cpu_allocated: f64,
    /// Nodes with at least one pod at the end.
    pub nodes_used: usize,
    /// FNV-1a of the measured pods' nodes, hex: any change of placement changes it.
    pub placement_hash: String,
    /// Peak resident memory of the process so far, MiB (Linux `VmHWM`).
    pub peak_rss_mib: f64,
    /// The five plugins that took most of the cycle time, `Point/Plugin=share%` joined by `; `.
    pub plugin_share: String,
}

/// Peak resident memory so far, MiB (0 where `/proc` is unavailable).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        })
        .map_or(0.0, |kib| (kib / 1024.0 * 10.0).round() / 10.0)
}

/// One pass: init pods placed, measured pods timed. Returns (seconds, row without timing).
///
/// # Errors
/// An internal error of a binding.
pub fn pass(w: &Workload, built: &Built, profile: &Profile) -> Result<(f64, BenchRow), SimError> {
    let mut c = Cluster::new();
    for n in &built.nodes {
        c.add_node(n.clone())?;
    }
    let mut state = SchedulerState::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let opts = CycleOptions {
        tie_break: TieBreak::Random,
        record_scores: false,
        run_post_filter: w.shape == Shape::Preemption,
        nominated_node: None,
    };
    type Rng = rand_chacha::ChaCha8Rng;
    // One pod through a cycle; a preemption deletes its victims at once (the initial pods have
    // no grace period) and the pod takes its nominated node in a second cycle.
    let one = |c: &mut Cluster, pod: Pod, state: &mut SchedulerState, rng: &mut Rng| {
        let id = c.add_pod(pod);
        let r = schedule_pod(profile, c.pod(id), c, state, rng, opts);
        let (r, id) = match (r.outcome, r.post_filter) {
            (CycleOutcome::Scheduled(n), _) => return c.bind_gpus(id, n, r.gpus).map(|_| Some(n)),
            (_, Some(pf)) if pf.nominated_node.is_some() => {
                for v in &pf.victims {
                    c.unbind(*v);
                }
                let again = CycleOptions { nominated_node: pf.nominated_node, ..opts };
                (schedule_pod(profile, c.pod(id), c, state, rng, again), id)
            }
            _ => return Ok(None),
        };
        match r.outcome {
            CycleOutcome::Scheduled(n) => c.bind_gpus(id, n, r.gpus).map(|_| Some(n)),
            _ => Ok(None),
        }
    };
    for i in 0..w.init_pods {
        let mut pod = built.init.clone();
        pod.name = format!("init-{i}");
        one(&mut c, pod, &mut state, &mut rng)?;
    }
    let mut hash = crate::hash::Fnv1a::default();
    let mut unschedulable = 0;
    let pods: Vec<Pod> =
        (0..w.measured_pods).map(|i| built.measured_pod(w.shape, w.init_pods + i, i)).collect();
    let t = Instant::now();
    for pod in pods {
        let node = one(&mut c, pod, &mut state, &mut rng)?;
        let v = node.map_or(u64::MAX, u64::from);
        hash.write_u64(v);
        unschedulable += usize::from(node.is_none());
    }
    let secs = t.elapsed().as_secs_f64();
    let (mut req, mut alloc, mut used) = (0i64, 0i64, 0usize);
    for (_, n) in c.live_nodes() {
        req += n.requested.milli_cpu;
        alloc += n.node.allocatable.milli_cpu;
        used += usize::from(!n.pods.is_empty());
    }
    let row = BenchRow {
        workload: w.name.into(),
        profile: profile.scheduler_name.clone(),
        nodes: w.nodes,
        pods: w.measured_pods,
        pods_per_s: 0.0,
        pods_per_s_median: 0.0,
        unschedulable,
        cpu_allocated: crate::metrics::round6(req as f64 / alloc.max(1) as f64),
        nodes_used: used,
        placement_hash: format!("{:016x}", hash.finish()),
        peak_rss_mib: 0.0,
        plugin_share: String::new(),
    };
    Ok((secs, row))
}

/// Benchmarks `profile` on `w`: `repeat` timed passes (the best and the median pods/s), then one
/// pass with per-plugin timing.
///
/// # Errors
/// An internal error of a binding.
pub fn bench(w: &Workload, built: &Built, profile: &Profile, repeat: usize) -> Result<BenchRow, SimError> {
    let mut rates = Vec::new();
    let mut row = BenchRow::default();
    for _ in 0..repeat.max(1) {
        let (secs, r) = pass(w, built, profile)?;
        rates.push(w.measured_pods as f64 / secs.max(1e-9));
        row = r;
    }
    rates.sort_by(f64::total_cmp);
    row.pods_per_s = rates[rates.len() - 1].round();
    row.pods_per_s_median = rates[rates.len() / 2].round();
    crate::scheduler::framework::timing::enable(true);
    let timed = pass(w, built, profile);
    let times = crate::scheduler::framework::timing::take();
    crate::scheduler::framework::timing::enable(false);
    timed?;
    row.plugin_share = plugin_shares(&times);
    row.peak_rss_mib = peak_rss_mib();
    Ok(row)
}

/// The five largest per-plugin time shares, `Point/Plugin=share%` joined by `; `.
fn plugin_shares(
    times: &std::collections::BTreeMap<(&'static str, &'static str), std::time::Duration>,
) -> String {
    let total: f64 = times.values().map(|d| d.as_secs_f64()).sum();
    let mut shares: Vec<(String, f64)> =
        times.iter().map(|((p, n), d)| (format!("{p}/{n}"), d.as_secs_f64() / total.max(1e-12))).collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    shares.iter().take(5).map(|(n, s)| format!("{n}={:.0}%", s * 100.0)).collect::<Vec<_>>().join("; ")
}

/// A whole-run workload: a bundled scenario run through the engine as `capsim run` runs it.
#[derive(Clone, Debug)]
pub struct RunWorkload {
    /// Name in the bench table.
    pub name: &'static str,
    /// The scenario, relative to the `workloads/` folder.
    pub scenario: &'static str,
    /// Runs only when named (`--workloads`): it takes minutes.
    pub on_request: bool,
}

/// The whole-run workloads: the openb replay, the 1,000,000-pod synthetic day and, on request,
/// the 10,000,000-pod synthetic week (run at their bundled size, once each; `--scale` does not
/// apply). A run's `peak_rss_mib` is the bench process's peak so far: bench a whole run alone
/// (`--workloads SyntheticWeek10M`) to read its own.
pub fn run_workloads() -> Vec<RunWorkload> {
    vec![
        RunWorkload { name: "OpenbReplay", scenario: "openb-default.yaml", on_request: false },
        RunWorkload { name: "SyntheticDay1M", scenario: "synthetic-day.yaml", on_request: false },
        RunWorkload { name: "SyntheticWeek10M", scenario: "synthetic-week.yaml", on_request: true },
    ]
}

/// Runs scenario `sc` once with `profile` standing in for every profile of its scheduler (the
/// pods keep their schedulerName). Pods per second: pods created / wall time of the run loop.
///
/// # Errors
/// An internal error of the run.
pub fn bench_run(
    w: &RunWorkload,
    sc: &crate::scenario::LoadedScenario,
    profile: &Profile,
) -> Result<BenchRow, SimError> {
    let mut sc = sc.clone();
    sc.record_events = false;
    for p in &mut sc.scheduler.profiles {
        let name = p.scheduler_name.clone();
        *p = profile.clone();
        p.scheduler_name = name;
    }
    let r = crate::sim::engine::run(&sc, sc.seed)?;
    let mut hash = crate::hash::Fnv1a::default();
    let (mut created, mut unschedulable) = (0usize, 0usize);
    for p in r.pods() {
        let rec = &p?.record;
        created += usize::from(rec.created_ms.is_some());
        unschedulable += usize::from(rec.created_ms.is_some() && rec.scheduled_ms.is_none());
        let v = rec.node.map_or(u64::MAX, u64::from);
        hash.write_u64(v);
    }
    let (mut req, mut alloc, mut used) = (0i64, 0i64, 0usize);
    for (_, n) in r.cluster.live_nodes() {
        req += n.requested.milli_cpu;
        alloc += n.node.allocatable.milli_cpu;
        used += usize::from(!n.pods.is_empty());
    }
    let rate = (created as f64 / r.wall.as_secs_f64().max(1e-9)).round();
    Ok(BenchRow {
        workload: w.name.into(),
        profile: profile.scheduler_name.clone(),
        nodes: r.cluster.num_live_nodes(),
        pods: created,
        pods_per_s: rate,
        pods_per_s_median: rate,
        unschedulable,
        cpu_allocated: crate::metrics::round6(req as f64 / alloc.max(1) as f64),
        nodes_used: used,
        placement_hash: format!("{:016x}", hash.finish()),
        peak_rss_mib: peak_rss_mib(),
        plugin_share: String::new(),
    })
}

/// One Pod of a `kubectl get pods -A -o yaml` dump, as the API server returns it: metadata
/// with uid, ownerReferences and managed labels, the defaulted spec, and status.
fn dump_pod(i: usize, nodes: usize) -> String {
    let rs = i / 50;
    format!(
        "- apiVersion: v1
  kind: Pod
  metadata:
    creationTimestamp: \"2026-12-01T10:00:00Z\"
    generateName: app-{rs}-5d8f7c6b9-
    labels: {{app: app-{rs}, pod-template-hash: 5d8f7c6b9}}
    name: app-{rs}-5d8f7c6b9-{i:05}
    namespace: team-{ns}
    ownerReferences:
    - apiVersion: apps/v1
      blockOwnerDeletion: true
      controller: true
      kind: ReplicaSet
      name: app-{rs}-5d8f7c6b9
      uid: 00000000-0000-0000-0000-{rs:012}
    resourceVersion: \"{i}\"
    uid: 10000000-0000-0000-0000-{i:012}
  spec:
    containers:
    - image: registry.example/app:1.{rs}
      imagePullPolicy: IfNotPresent
      name: app
      ports:
      - {{containerPort: 8080, name: http, protocol: TCP}}
      resources:
        limits: {{cpu: 500m, memory: 512Mi}}
        requests: {{cpu: 250m, memory: 256Mi}}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
    dnsPolicy: ClusterFirst
    enableServiceLinks: true
    nodeName: node-{node}
    preemptionPolicy: PreemptLowerPriority
    priority: 0
    restartPolicy: Always
    schedulerName: default-scheduler
    securityContext: {{}}
    serviceAccountName: default
    terminationGracePeriodSeconds: 30
    tolerations:
    - {{effect: NoExecute, key: node.kubernetes.io/not-ready, operator: Exists, tolerationSeconds: 300}}
    - {{effect: NoExecute, key: node.kubernetes.io/unreachable, operator: Exists, tolerationSeconds: 300}}
  status:
    phase: Running
    hostIP: 10.0.0.1
    podIP: 10.1.0.1
    qosClass: Burstable
    startTime: \"2026-12-01T10:00:01Z\"
",
        ns = rs % 40,
        node = i % nodes
    )
}

/// `LoadPodDump`: loads (as `capsim run` does, strict field checks included) a scenario whose
/// workload is one `kubectl get pods -A -o yaml` List of `pods` Pods of ReplicaSets, bound to
/// `nodes` Nodes of a second dump, written to a temporary folder. `pods_per_s` is Pods loaded
/// per second of load time.
///
/// # Errors
/// The temporary folder cannot be written, or the dump does not load (a bug in capsim).
pub fn bench_load(pods: usize, nodes: usize) -> Result<BenchRow, InputError> {
    let dir = tempfile::tempdir().map_err(|source| InputError::Io { path: std::env::temp_dir(), source })?;
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).map_err(|source| InputError::Io { path, source })
    };
    let mut nodes_yaml = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..nodes {
        let doc = node_yaml(i)
            .replace("memory: 32Gi, pods: '110'", "memory: 512Gi, pods: '250'")
            .replace("cpu: '4'", "cpu: '64'");
        for (k, line) in doc.lines().enumerate() {
            nodes_yaml.push_str(if k == 0 { "- " } else { "  " });
            nodes_yaml.push_str(line);
            nodes_yaml.push('\n');
        }
    }
    let mut pods_yaml = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..pods {
        pods_yaml.push_str(&dump_pod(i, nodes));
    }
    write("nodes.yaml", &nodes_yaml)?;
    write("pods.yaml", &pods_yaml)?;
    write(
        "scenario.yaml",
        "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: dump}\nspec:\n  cluster: {nodes: [{manifest: {path: nodes.yaml}}]}\n  workload: [{manifest: {path: pods.yaml}}]\n",
    )?;
    let t = Instant::now();
    let sc = crate::scenario::load(&dir.path().join("scenario.yaml"))?;
    let secs = t.elapsed().as_secs_f64();
    let rate = (sc.arrivals.len() as f64 / secs.max(1e-9)).round();
    Ok(BenchRow {
        workload: "LoadPodDump".into(),
        profile: "-".into(),
        nodes,
        pods: sc.arrivals.len(),
        pods_per_s: rate,
        pods_per_s_median: rate,
        peak_rss_mib: peak_rss_mib(),
        placement_hash: format!("{:016x}", crate::hash::fnv1a(&format!("{}", sc.arrivals.len()))),
        ..Default::default()
    })
}

/// A regression found against a baseline.
#[derive(Clone, Debug, PartialEq)]
pub enum Regression {
    /// pods/s fell below baseline × (1 − threshold).
    Slower { key: String, now: f64, baseline: f64 },
    /// The placements changed.
    Placements { key: String },
    /// The baseline has no row for a measured (workload, profile, size): nothing was checked.
    Missing { key: String },
}

impl std::fmt::Display for Regression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Regression::Slower { key, now, baseline } => write!(
                f,
                "{key}: {now} pods/s is {:.0}% slower than the baseline's {baseline}",
                (1.0 - now / baseline) * 100.0
            ),
            Regression::Placements { key } => write!(f, "{key}: placements differ from the baseline"),
            Regression::Missing { key } => {
                write!(f, "{key}: the baseline has no such row (another --scale, profile or workload?)")
            }
        }
    }
}

/// Compares rows with a baseline (matched by workload and profile; rows missing from either side
/// are skipped): a slowdown beyond `threshold` (0.2 = 20 %) or a changed placement hash.
pub fn compare(now: &[BenchRow], baseline: &[BenchRow], threshold: f64) -> Vec<Regression> {
    let mut out = Vec::new();
    for r in now {
        let Some(b) = baseline.iter().find(|b| {
            b.workload == r.workload && b.profile == r.profile && b.nodes == r.nodes && b.pods == r.pods
        }) else {
            let key = format!("{} ({}, {} nodes, {} pods)", r.workload, r.profile, r.nodes, r.pods);
            out.push(Regression::Missing { key });
            continue;
        };
        let key = format!("{} ({})", r.workload, r.profile);
        if r.pods_per_s < b.pods_per_s * (1.0 - threshold) {
            out.push(Regression::Slower { key: key.clone(), now: r.pods_per_s, baseline: b.pods_per_s });
        }
        if r.placement_hash != b.placement_hash {
            out.push(Regression::Placements { key });
        }
    }
    out
}

/// Column order of a bench CSV.
pub const COLUMNS: [&str; 12] = [
    "workload",
    "profile",
    "nodes",
    "pods",
    "pods_per_s",
    "pods_per_s_median",
    "unschedulable",
    "cpu_allocated",
    "nodes_used",
    "placement_hash",
    "peak_rss_mib",
    "plugin_share",
];

/// Reads a bench CSV (`--save` output).
///
/// # Errors
/// A message naming the file and line.
pub fn read(path: &Path) -> Result<Vec<BenchRow>, String> {
    let mut rd = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<BenchRow> = rd
        .deserialize()
        .map(|r| r.map_err(|e: csv::Error| format!("{}: {e}", path.display())))
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Err(format!("{}: no benchmark rows", path.display()));
    }
    if let Some((i, r)) =
        rows.iter().enumerate().find(|(_, r)| !(r.pods_per_s.is_finite() && r.pods_per_s > 0.0))
    {
        return Err(format!(
            "{}:{}: field `pods_per_s`: {} is not a positive rate",
            path.display(),
            i + 2,
            r.pods_per_s
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rate: f64, hash: &str) -> BenchRow {
        BenchRow {
            workload: "W".into(),
            profile: "p".into(),
            nodes: 5,
            pods: 10,
            pods_per_s: rate,
            placement_hash: hash.into(),
            ..Default::default()
        }
    }

    /// A baseline saved before the median column existed still reads, its median 0.
    #[test]
    fn a_baseline_without_the_median_column_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.csv");
        std::fs::write(
            &path,
            "workload,profile,nodes,pods,pods_per_s,unschedulable,cpu_allocated,nodes_used,placement_hash,peak_rss_mib,plugin_share\n\
             SchedulingBasic,default-scheduler,5000,10000,100376,0,0.055,5000,00ff,40.6,x\n",
        )
        .unwrap();
        let rows = read(&path).unwrap();
        assert_eq!((rows[0].pods_per_s, rows[0].pods_per_s_median), (100376.0, 0.0));
        assert_eq!(rows[0].placement_hash, "00ff");
    }

    #[test]
    fn a_slowdown_beyond_the_threshold_and_a_changed_placement_are_regressions() {
        let base = [row(1000.0, "aa")];
        assert!(compare(&[row(850.0, "aa")], &base, 0.2).is_empty());
        assert_eq!(
            compare(&[row(700.0, "aa")], &base, 0.2),
            [Regression::Slower { key: "W (p)".into(), now: 700.0, baseline: 1000.0 }]
        );
        assert_eq!(
            compare(&[row(1200.0, "ab")], &base, 0.2),
            [Regression::Placements { key: "W (p)".into() }]
        );
    }
}
