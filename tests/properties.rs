//! Property tests over random valid scenarios: nodes with labels, taints and small or large
//! allocatable; pods with requests, limits, priorities, node selectors, node affinity, pod
//! anti-affinity, topology spread and tolerations; a Deployment, a DaemonSet, a generator;
//! timelines of cordons, taints, failures, joins, leaves and scaling; and sometimes the runtime
//! model. Every run checks the simulator's invariants after every event
//! (`capsim::sim::engine::run_checked`: phases and counters agree, no node holds more than its
//! allocatable); after the run the DaemonSet covers exactly the nodes it should. A few cases also
//! check that results do not depend on the thread count and that a sharded compare merges to the
//! single-process result.

use std::fmt::Write as _;
use std::path::Path;

use capsim::experiment::compare::{Plan, run_all, run_jobs, write_compare, write_shard};
use proptest::prelude::*;

/// One node: cpu (millicores), memory (MiB), pods, disk label, zone, an optional taint.
#[derive(Clone, Debug)]
struct NodeSpec {
    cpu_m: u32,
    mem_mi: u32,
    pods: u32,
    ssd: bool,
    zone: u8,
    taint: Option<&'static str>,
}

/// One pod of the workload.
#[derive(Clone, Debug)]
struct PodSpec {
    cpu_m: u32,
    mem_mi: u32,
    limit_x: Option<u8>,
    high: bool,
    at_s: u32,
    ssd_selector: bool,
    ssd_affinity: bool,
    anti_affinity: bool,
    spread: Option<bool>,
    tolerates: bool,
    app: u8,
}

/// One timeline event, at a minute in the first hour.
#[derive(Clone, Debug)]
enum EventSpec {
    Cordon(usize),
    Uncordon(usize),
    TaintNoExecute(usize),
    Untaint(usize),
    Fail(usize),
    Join(u8),
    Leave,
    Scale(u8),
}

#[derive(Clone, Debug)]
struct ScenarioSpec {
    nodes: Vec<NodeSpec>,
    pods: Vec<PodSpec>,
    replicas: u8,
    generator: Option<(u16, u16)>,
    events: Vec<(u8, EventSpec)>,
    runtime: bool,
    seed: u64,
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (
        prop_oneof![Just(500u32), 1000u32..16_000, Just(64_000)],
        prop_oneof![Just(512u32), 1024u32..65_536],
        prop_oneof![Just(3u32), 4u32..=110],
        any::<bool>(),
        0u8..3,
        prop_oneof![
            3 => Just(None),
            1 => Just(Some("NoSchedule")),
            1 => Just(Some("PreferNoSchedule")),
        ],
    )
        .prop_map(|(cpu_m, mem_mi, pods, ssd, zone, taint)| NodeSpec {
            cpu_m,
            mem_mi,
            pods,
            ssd,
            zone,
            taint,
        })
}

fn pod_spec() -> impl Strategy<Value = PodSpec> {
    (
        (prop_oneof![Just(0u32), 10u32..4_000, Just(20_000)], prop_oneof![Just(0u32), 16u32..8_192]),
        (prop::option::of(1u8..4), any::<bool>(), 0u32..3_600),
        (prop::bool::weighted(0.2), prop::bool::weighted(0.2), prop::bool::weighted(0.2)),
        (prop::option::weighted(0.3, any::<bool>()), prop::bool::weighted(0.3), 0u8..3),
    )
        .prop_map(
            |(
                (cpu_m, mem_mi),
                (limit_x, high, at_s),
                (ssd_selector, ssd_affinity, anti_affinity),
                (spread, tolerates, app),
            )| {
                PodSpec {
                    cpu_m,
                    mem_mi,
                    limit_x,
                    high,
                    at_s,
                    ssd_selector,
                    ssd_affinity,
                    anti_affinity,
                    spread,
                    tolerates,
                    app,
                }
            },
        )
}

fn event_spec() -> impl Strategy<Value = EventSpec> {
    prop_oneof![
        (0usize..8).prop_map(EventSpec::Cordon),
        (0usize..8).prop_map(EventSpec::Uncordon),
        (0usize..8).prop_map(EventSpec::TaintNoExecute),
        (0usize..8).prop_map(EventSpec::Untaint),
        (0usize..8).prop_map(EventSpec::Fail),
        (1u8..4).prop_map(EventSpec::Join),
        Just(EventSpec::Leave),
        (0u8..12).prop_map(EventSpec::Scale),
    ]
}

fn scenario_spec() -> impl Strategy<Value = ScenarioSpec> {
    (
        prop::collection::vec(node_spec(), 1..7),
        prop::collection::vec(pod_spec(), 0..25),
        0u8..10,
        prop::option::weighted(0.4, (1u16..60, 60u16..1800)),
        prop::collection::vec((0u8..60, event_spec()), 0..6),
        prop::bool::weighted(0.3),
        0u64..1000,
    )
        .prop_map(|(nodes, pods, replicas, generator, events, runtime, seed)| ScenarioSpec {
            nodes,
            pods,
            replicas,
            generator,
            events,
            runtime,
            seed,
        })
}

fn node_yaml(out: &mut String, name: &str, n: &NodeSpec) {
    let zone = ["a", "b", "c"][n.zone as usize];
    let disk = if n.ssd { "ssd" } else { "hdd" };
    let _ = write!(
        out,
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/hostname: {name}, topology.kubernetes.io/zone: {zone}, disk: {disk}}}\n"
    );
    if let Some(effect) = n.taint {
        let _ = write!(out, "spec:\n  taints: [{{key: dedicated, value: batch, effect: {effect}}}]\n");
    }
    let _ = writeln!(
        out,
        "status:\n  allocatable: {{cpu: {}m, memory: {}Mi, pods: \"{}\"}}",
        n.cpu_m, n.mem_mi, n.pods
    );
}

fn pod_spec_yaml(out: &mut String, indent: &str, p: &PodSpec) {
    let i = indent;
    if p.high {
        let _ = writeln!(out, "{i}priorityClassName: high");
    }
    if p.ssd_selector {
        let _ = writeln!(out, "{i}nodeSelector: {{disk: ssd}}");
    }
    if p.ssd_affinity || p.anti_affinity {
        let _ = writeln!(out, "{i}affinity:");
        if p.ssd_affinity {
            let _ = writeln!(
                out,
                "{i}  nodeAffinity:\n{i}    preferredDuringSchedulingIgnoredDuringExecution:\n{i}    - weight: 10\n{i}      preference: {{matchExpressions: [{{key: disk, operator: In, values: [ssd]}}]}}"
            );
        }
        if p.anti_affinity {
            let _ = writeln!(
                out,
                "{i}  podAntiAffinity:\n{i}    requiredDuringSchedulingIgnoredDuringExecution:\n{i}    - labelSelector: {{matchLabels: {{app: a{}}}}}\n{i}      topologyKey: kubernetes.io/hostname",
                p.app
            );
        }
    }
    if let Some(hard) = p.spread {
        let when = if hard { "DoNotSchedule" } else { "ScheduleAnyway" };
        let _ = writeln!(
            out,
            "{i}topologySpreadConstraints:\n{i}- {{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: {when}, labelSelector: {{matchLabels: {{app: a{}}}}}}}",
            p.app
        );
    }
    if p.tolerates {
        let _ = writeln!(out, "{i}tolerations: [{{key: dedicated, operator: Exists}}]");
    }
    let _ = writeln!(
        out,
        "{i}containers:\n{i}- name: c\n{i}  image: nginx\n{i}  resources:\n{i}    requests: {{cpu: {}m, memory: {}Mi}}",
        p.cpu_m, p.mem_mi
    );
    if let Some(x) = p.limit_x {
        let _ = writeln!(
            out,
            "{i}    limits: {{cpu: {}m, memory: {}Mi}}",
            (p.cpu_m * u32::from(x)).max(1),
            (p.mem_mi * u32::from(x)).max(1)
        );
    }
}

/// Writes the scenario's files into `dir`; returns the scenario file.
fn write_scenario(dir: &Path, s: &ScenarioSpec) -> std::path::PathBuf {
    let mut nodes = String::new();
    for (k, n) in s.nodes.iter().enumerate() {
        node_yaml(&mut nodes, &format!("n{k}"), n);
    }
    std::fs::write(dir.join("nodes.yaml"), nodes).unwrap();
    let mut tmpl = String::new();
    node_yaml(&mut tmpl, "template", &s.nodes[0]);
    std::fs::write(dir.join("template.yaml"), tmpl).unwrap();
    // The system layer: PriorityClasses, a DaemonSet of BestEffort pods at system-node-critical
    // priority (it preempts its way onto full nodes, as upstream's critical daemons do), and a
    // Deployment.
    let mut system = String::from(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n---\n\
         apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: kube-system}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      priorityClassName: system-node-critical\n      containers: [{name: agent, image: agent}]\n---\n",
    );
    let web = PodSpec {
        cpu_m: 200,
        mem_mi: 256,
        limit_x: None,
        high: false,
        at_s: 0,
        ssd_selector: false,
        ssd_affinity: true,
        anti_affinity: false,
        spread: Some(false),
        tolerates: false,
        app: 9,
    };
    let _ = write!(
        system,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: {}\n  selector: {{matchLabels: {{app: a9}}}}\n  template:\n    metadata: {{labels: {{app: a9}}}}\n    spec:\n",
        s.replicas
    );
    pod_spec_yaml(&mut system, "      ", &web);
    std::fs::write(dir.join("system.yaml"), system).unwrap();
    // Workload pods, one manifest per arrival minute so pods arrive over the first hour.
    let mut workload = String::new();
    for (k, p) in s.pods.iter().enumerate() {
        let file = format!("pod{k}.yaml");
        let mut text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{k}\n  labels: {{app: a{}}}\nspec:\n",
            p.app
        );
        pod_spec_yaml(&mut text, "  ", p);
        std::fs::write(dir.join(&file), text).unwrap();
        let _ = writeln!(workload, "    - manifest: {{path: {file}, at: {}s}}", p.at_s);
    }
    if let Some((count, lifetime)) = s.generator {
        let _ = writeln!(
            workload,
            "    - generator: {{name: gen, count: {count}, over: 1h, lifetime: exponential({lifetime}s), shapes: [{{cpu: 300m, memory: 128Mi}}, {{weight: 2, cpu: 50m, memory: 64Mi}}]}}"
        );
    }
    if workload.is_empty() {
        workload.push_str("    []\n");
    }
    let mut events = String::new();
    let node = |k: usize| format!("n{}", k % s.nodes.len());
    for (minute, e) in &s.events {
        let action = match e {
            EventSpec::Cordon(k) => format!("cordon: {{names: [{}]}}", node(*k)),
            EventSpec::Uncordon(k) => format!("uncordon: {{names: [{}]}}", node(*k)),
            EventSpec::TaintNoExecute(k) => {
                format!(
                    "taint: {{nodes: {{names: [{}]}}, add: [{{key: maint, effect: NoExecute}}]}}",
                    node(*k)
                )
            }
            EventSpec::Untaint(k) => {
                format!("taint: {{nodes: {{names: [{}]}}, remove: [{{key: maint}}]}}", node(*k))
            }
            EventSpec::Fail(k) => {
                format!("nodeFailure: {{nodes: {{names: [{}]}}, recoverAfter: 10m}}", node(*k))
            }
            EventSpec::Join(n) => format!("nodeJoin: {{pool: extra, count: {n}, interval: 10s}}"),
            EventSpec::Leave => "nodeLeave: {count: 1, pool: extra}".to_string(),
            EventSpec::Scale(r) => format!("scale: {{deployment: default/web, replicas: {r}}}"),
        };
        let _ = writeln!(events, "    - {{at: {minute}m, {action}}}");
    }
    if events.is_empty() {
        events.push_str("    []\n");
    }
    let runtime = if s.runtime {
        "  runtime:\n    changeInterval: 5m\n    usage:\n      - cpu: {of: request, lognormal: {median: 0.8, sigma: 0.6}}\n        memory: {of: request, lognormal: {median: 0.9, sigma: 0.3}}\n"
    } else {
        ""
    };
    let scenario = format!(
        "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: prop\nspec:\n  seed: {}\n  duration: 3h\n  cluster:\n    nodes:\n      - manifest: {{path: nodes.yaml}}\n      - pool: {{name: extra, count: 0, template: template.yaml}}\n    manifests: [system.yaml]\n  workload:\n{workload}  events:\n{events}{runtime}  metrics:\n    sampleInterval: 10m\n",
        s.seed
    );
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, scenario).unwrap();
    path
}

fn load(dir: &Path, s: &ScenarioSpec) -> capsim::scenario::LoadedScenario {
    let path = write_scenario(dir, s);
    match capsim::scenario::load(&path) {
        Ok(sc) => sc,
        Err(e) => panic!("a generated scenario must load: {e}\n{}", std::fs::read_to_string(&path).unwrap()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Invariants after every event, and the DaemonSet's coverage once everything settled (the
    /// last event is in the first hour, the run lasts three).
    #[test]
    fn invariants_hold_after_every_event(s in scenario_spec()) {
        let dir = tempfile::tempdir().unwrap();
        let sc = load(dir.path(), &s);
        let r = capsim::sim::engine::run_checked(&sc, s.seed);
        let r = match r {
            Ok(r) => r,
            Err(e) => panic!("{e}\n{}", std::fs::read_to_string(dir.path().join("scenario.yaml")).unwrap()),
        };
        let last = r.recorder.daemonsets.iter().rev().find(|d| d.daemonset == "kube-system/agent");
        let last = last.expect("the DaemonSet is sampled");
        prop_assert_eq!(last.time_s, r.end.as_secs_f64());
        prop_assert_eq!(last.current, last.desired, "DaemonSet coverage at the end: {:?}", last);
        prop_assert_eq!(last.misscheduled, 0);
        prop_assert_eq!(last.desired, r.cluster.num_live_nodes() - untolerated_at_end(&r));
    }
}

/// Live nodes the DaemonSet may not run on at the end: those with a `dedicated:NoSchedule` or
/// `maint:NoExecute` taint, which its pods do not tolerate (the DaemonSet controller adds
/// tolerations for the `node.kubernetes.io/*` taints only).
fn untolerated_at_end(r: &capsim::metrics::RunResult) -> usize {
    use capsim::model::TaintEffect::{NoExecute, NoSchedule};
    r.cluster
        .live_nodes()
        .filter(|(_, i)| {
            i.node.taints.iter().any(|t| {
                (t.key == "dedicated" && t.effect == NoSchedule)
                    || (t.key == "maint" && t.effect == NoExecute)
            })
        })
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    /// Two profiles over two seeds: the same results on one thread and on two, and a compare
    /// run as two shards merges to exactly the single-process folder.
    #[test]
    fn results_do_not_depend_on_threads_or_shards(s in scenario_spec()) {
        let dir = tempfile::tempdir().unwrap();
        let sc = load(dir.path(), &s);
        let profiles = vec!["least".to_string(), "most".to_string()];
        let variants = vec![sc, most_allocated(dir.path())];
        let seeds = vec![s.seed, s.seed + 1];
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| run_all(&variants, &seeds, s.seed, &|| {})).unwrap()
        };
        let (one, two) = (on(1), on(2));
        prop_assert_eq!(format!("{one:?}"), format!("{two:?}"));
        let plan = Plan { scenario: "prop".into(), text: String::new(), profiles, seeds: seeds.clone() };
        let single = dir.path().join("single");
        write_compare(&single, &plan, &one).unwrap();
        let jobs = plan.jobs();
        let mut shards = Vec::new();
        for index in 0..2 {
            let mine: Vec<(usize, u64)> = jobs.iter().enumerate().filter(|(k, _)| k % 2 == index).map(|(_, j)| *j).collect();
            let runs = run_jobs(&variants, &mine, s.seed, &|| {}).unwrap();
            let out = dir.path().join(format!("shard{index}"));
            write_shard(&out, &plan, index, 2, &mine, &runs).unwrap();
            shards.push(out);
        }
        let merged = dir.path().join("merged");
        capsim::experiment::compare::merge(&shards, &merged).unwrap();
        for f in ["compare.csv", "runs.csv", "pending.csv", "groups.csv"] {
            let a = std::fs::read(single.join(f)).unwrap();
            let b = std::fs::read(merged.join(f)).unwrap();
            prop_assert!(a == b, "{} differs between the single run and the merged shards", f);
        }
    }
}

/// The scenario written in `dir`, its one profile scoring by MostAllocated instead.
fn most_allocated(dir: &Path) -> capsim::scenario::LoadedScenario {
    std::fs::write(
        dir.join("most.yaml"),
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: default-scheduler\n  pluginConfig:\n  - name: NodeResourcesFit\n    args: {scoringStrategy: {type: MostAllocated}}\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(dir.join("scenario.yaml")).unwrap();
    let path = dir.join("most-scenario.yaml");
    std::fs::write(&path, text.replacen("spec:\n", "spec:\n  scheduler: {config: most.yaml}\n", 1)).unwrap();
    capsim::scenario::load(&path).unwrap()
}
