//! The `capsim` binary end to end: determinism of results folders, and clear exit-2 errors for
//! bad input with no results folder left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).output().expect("capsim runs")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn same_scenario_and_seed_give_byte_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let o = capsim(&[
            "run",
            "workloads/openb-default.yaml",
            "--seed",
            "7",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // Every file but timing.csv (wall-clock figures) is byte-identical.
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| std::path::Path::new(&a).join(n).is_file() && n != "timing.csv")
        .collect();
    names.sort();
    for f in [
        "pods.csv",
        "timeseries.csv",
        "summary.csv",
        "summary.json",
        "groups.csv",
        "scenario.yaml",
        "report.html",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} missing from {names:?}");
    }
    for f in &names {
        assert!(read(&a.join(f)) == read(&b.join(f)), "{f} differs between two runs of the same seed");
    }
    for chart in ["pending_cdf", "allocation", "nodes", "pods", "fragmentation"] {
        for f in [format!("charts/{chart}.svg"), format!("charts/{chart}.png")] {
            assert!(read(&a.join(&f)) == read(&b.join(&f)), "{f} differs between two runs of the same seed");
        }
    }
    let html = String::from_utf8(read(&a.join("report.html"))).unwrap();
    assert!(
        html.contains("<title>capsim run: openb-default (seed 7)</title>")
            && html.contains("Nodes with pods over time (1523 in the cluster throughout)")
            && html.contains("cpu_allocated_mean (%)")
    );
    // openb's pods all fit at once: the CDF says so rather than drawing a line at 0.
    assert!(html.contains("no pod waited: all 8151 scheduled pods were bound at once"), "{html}");
    let pods = String::from_utf8(read(&a.join("pods.csv"))).unwrap();
    assert_eq!(pods.lines().count(), 8152 + 1, "one row per trace pod plus the header");
    assert!(pods.starts_with(
        "namespace,name,priority,scheduler,created_s,scheduled_s,deleted_s,pending_s,node,outcome,attempts,last_unschedulable_reason,terminating_s,owner,oom_kills,restarts,throttled_cpu_s,throttled_fraction,throttled_periods,cpu_shortfall_s,gpu_milli,gpu_devices\n"
    ));
    assert!(a.join("summary.json").exists() && a.join("timing.csv").exists());
}

#[test]
fn different_seeds_break_ties_differently() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (out, seed) in [(&a, "1"), (&b, "2")] {
        let o = capsim(&[
            "run",
            "workloads/openb-default.yaml",
            "--seed",
            seed,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success());
    }
    assert!(
        read(&a.join("pods.csv")) != read(&b.join("pods.csv")),
        "seeds 1 and 2 should place some pod differently"
    );
}

/// A scratch folder with a scenario whose parts can be broken one at a time.
struct Scratch {
    dir: tempfile::TempDir,
}

const NODES: &str = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  allocatable:\n    cpu: \"4\"\n    memory: 8Gi\n    pods: \"110\"\n";
const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\np0,1000,1024,0,0,,LS,Running,0,10,0\n";
const CONFIG: &str = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n  - schedulerName: default-scheduler\n";

impl Scratch {
    fn new() -> Self {
        let s = Scratch { dir: tempfile::tempdir().unwrap() };
        s.write("nodes.yaml", NODES);
        s.write("pods.csv", PODS);
        s.write("config.yaml", CONFIG);
        s.write(
            "scenario.yaml",
            "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: scratch\nspec:\n  cluster:\n    nodes:\n      - manifest: {path: nodes.yaml}\n  scheduler:\n    config: config.yaml\n  workload:\n    - trace: {format: alibaba-openb, path: pods.csv}\n",
        );
        s
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Runs the scenario into `out/` and returns (exit code, stderr).
    fn run(&self) -> (i32, String) {
        let o = capsim(&[
            "run",
            self.path("scenario.yaml").to_str().unwrap(),
            "--quiet",
            "--out",
            self.path("out").to_str().unwrap(),
        ]);
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
    }
    /// Asserts exit code 2, a one-line message containing every `needle`, and no results left.
    fn assert_input_error(&self, needles: &[&str]) {
        let (code, stderr) = self.run();
        assert_eq!(code, 2, "stderr: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one clear message, got: {stderr}");
        for n in needles {
            assert!(stderr.contains(n), "message should mention {n:?}: {stderr}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n == "out" || n.starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no results folder may be left behind: {leftovers:?}");
    }
}

#[test]
fn the_scratch_scenario_itself_runs() {
    let s = Scratch::new();
    let (code, stderr) = s.run();
    assert_eq!(code, 0, "{stderr}");
    let pods = std::fs::read_to_string(s.path("out/pods.csv")).unwrap();
    assert!(pods.contains("default,p0,0,default-scheduler,0,0,10,0,n1,Scheduled,1,"), "{pods}");
}

#[test]
fn malformed_quantity_names_file_line_and_field() {
    let s = Scratch::new();
    s.write("nodes.yaml", &NODES.replace("cpu: \"4\"", "cpu: \"4x\""));
    s.assert_input_error(&["nodes.yaml:7", "status.allocatable.cpu", "4x"]);
}

#[test]
fn missing_trace_file_names_the_file() {
    let s = Scratch::new();
    std::fs::remove_file(s.path("pods.csv")).unwrap();
    s.assert_input_error(&["pods.csv", "cannot read"]);
}

#[test]
fn csv_row_with_a_non_number_names_line_and_column() {
    let s = Scratch::new();
    s.write("pods.csv", &PODS.replace("p0,1000,", "p0,lots,"));
    s.assert_input_error(&["pods.csv:2", "cpu_milli", "\"lots\""]);
}

#[test]
fn unknown_plugin_names_file_line_and_field() {
    let s = Scratch::new();
    s.write(
        "config.yaml",
        &format!("{CONFIG}    plugins:\n      score:\n        enabled:\n          - name: NoSuchPlugin\n"),
    );
    s.assert_input_error(&[
        "config.yaml:8",
        "profiles[0].plugins.score.enabled[0].name",
        "NoSuchPlugin",
        "is not built in",
    ]);
}

#[test]
fn validate_accepts_the_bundled_scenario_and_rejects_a_broken_one() {
    let o = capsim(&["validate", "workloads/openb-default.yaml"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("1523 nodes, 1 scheduler profile(s): default-scheduler"), "{out}");
    assert!(out.contains("pods: 8152 listed (trace rows and Pod manifests)\n"), "{out}");
    let o = capsim(&["validate", "workloads/plan-small.yaml"]);
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("note: the scenario has no node, so every pod stays pending"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // A scenario of Deployments lists no pod itself; validate counts the controllers' replicas.
    let o = capsim(&["validate", "workloads/two-schedulers-race.yaml"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("pods: 0 listed (trace rows and Pod manifests); 196 replicas of 2 Deployment/ReplicaSet(s) at creation\n"),
        "{out}"
    );
    let s = Scratch::new();
    s.write(
        "scenario.yaml",
        &std::fs::read_to_string(s.path("scenario.yaml")).unwrap().replace("manifest:", "manifset:"),
    );
    let o = capsim(&["validate", s.path("scenario.yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("scenario.yaml:8"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn out_folder_that_is_not_a_results_folder_is_never_replaced() {
    let s = Scratch::new();
    let precious = s.path("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("notes.txt"), "keep me").unwrap();
    let o = capsim(&[
        "run",
        s.path("scenario.yaml").to_str().unwrap(),
        "--quiet",
        "--out",
        precious.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a capsim results folder"));
    assert_eq!(std::fs::read_to_string(precious.join("notes.txt")).unwrap(), "keep me");
    // A file as --out is refused too; an earlier results folder is replaced.
    let o = capsim(&[
        "run",
        s.path("scenario.yaml").to_str().unwrap(),
        "--quiet",
        "--out",
        precious.join("notes.txt").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let out = s.path("out");
    for _ in 0..2 {
        let o = capsim(&[
            "run",
            s.path("scenario.yaml").to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn schedule_prints_the_oracle_lines_of_a_scenario() {
    let dir = "tests/conformance/oracle/taints-tolerations-all-effects";
    let o = capsim(&["schedule", &format!("{dir}/scenario.yaml")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Vec<serde_json::Value> =
        String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let want: Vec<serde_json::Value> = std::fs::read_to_string(format!("{dir}/expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 30);
    assert_eq!(got, want, "capsim schedule reproduces upstream's decisions line for line");
}

#[test]
fn api_validation_and_range_errors_exit_2() {
    // A negative allocatable, as the API server would reject it.
    let s = Scratch::new();
    s.write("nodes.yaml", &NODES.replace("cpu: \"4\"", "cpu: \"-4\""));
    s.assert_input_error(&["nodes.yaml:7", "status.allocatable.cpu", "greater than or equal to 0"]);
    // A node defined twice.
    let s = Scratch::new();
    s.write("nodes.yaml", &format!("{NODES}---\n{NODES}"));
    s.assert_input_error(&["nodes.yaml:14", "metadata.name", "defined twice"]);
    // A trace value that would overflow bytes.
    let s = Scratch::new();
    s.write("pods.csv", &PODS.replace("p0,1000,1024,", "p0,1000,99999999999999999,"));
    s.assert_input_error(&["pods.csv:2", "memory_mib", "is not an integer from 0 to"]);
    // A sample interval that would need millions of rows.
    let s = Scratch::new();
    let scenario = std::fs::read_to_string(s.path("scenario.yaml")).unwrap();
    s.write("scenario.yaml", &format!("{scenario}  duration: 87600h\n  metrics:\n    sampleInterval: 1ms\n"));
    s.assert_input_error(&["spec.metrics.sampleInterval", "samples"]);
}

#[test]
fn a_pod_claiming_storage_is_not_placed_by_guess() {
    let s = Scratch::new();
    s.write(
        "pods.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  containers:\n    - name: c\n      image: postgres\n  volumes:\n    - name: data\n      persistentVolumeClaim: {claimName: data}\n",
    );
    let scenario = std::fs::read_to_string(s.path("scenario.yaml")).unwrap();
    s.write(
        "scenario.yaml",
        &scenario
            .replace("- trace: {format: alibaba-openb, path: pods.csv}", "- manifest: {path: pods.yaml}"),
    );
    let (code, stderr) = s.run();
    assert_eq!(code, 0, "{stderr}");
    let pods = std::fs::read_to_string(s.path("out/pods.csv")).unwrap();
    assert!(pods.contains(",Pending,"), "{pods}");
    assert!(pods.contains("PersistentVolumeClaims, which capsim does not model yet"), "{pods}");
}

#[test]
fn schedule_with_preemption_names_the_victims_and_the_nominated_node() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pre.yaml");
    std::fs::write(
        &f,
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: \"4\", memory: 8Gi, pods: \"110\"}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: low}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {cpu: \"3\"}}}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: urgent}\nspec:\n  priorityClassName: high\n  containers: [{name: c, image: x, resources: {requests: {cpu: \"3\"}}}]\n",
    )
    .unwrap();
    let o = capsim(&["schedule", f.to_str().unwrap(), "--preemption"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[1]["preemption"], "succeeded");
    assert_eq!(lines[1]["nominated_node"], "n1");
    assert_eq!(lines[1]["victims"], serde_json::json!(["default/low"]));
    // Without the flag, preemption is skipped as in the oracle.
    let o = capsim(&["schedule", f.to_str().unwrap()]);
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8(o.stdout).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(last["preemption"], "skipped");
}

#[test]
fn explain_shows_filter_verdicts_scores_and_the_outcome_for_a_pod() {
    let o = capsim(&[
        "explain",
        "workloads/openb-default.yaml",
        "--pod",
        "default/openb-pod-0100",
        "--at",
        "10021257s",
        "--top",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("pod default/openb-pod-0100 at 10021257s (seed 1): created 10021257s"),
        "{text}"
    );
    assert!(text.contains("of 1523 nodes feasible"), "{text}");
    assert!(text.contains("310 rejected by Open-Gpu-Share: node(s) had no GPU"), "{text}");
    assert!(text.contains("Outcome: would bind to openb-node-"), "{text}");
    let o =
        capsim(&["explain", "workloads/openb-default.yaml", "--pod", "default/no-such-pod", "--at", "1h"]);
    assert_eq!(o.status.code(), Some(2));
}

const SCENARIO_HEAD: &str = "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: scratch\nspec:\n  cluster:\n    nodes:\n      - manifest: {path: nodes.yaml}\n";

#[test]
fn timeline_and_controller_errors_name_file_line_and_field() {
    let s = Scratch::new();
    // An event with two actions.
    s.write(
        "scenario.yaml",
        &format!(
            "{SCENARIO_HEAD}  events:\n    - at: 1h\n      cordon: {{names: [n1]}}\n      uncordon: {{names: [n1]}}\n"
        ),
    );
    s.assert_input_error(&["scenario.yaml:10", "spec.events[0]", "exactly one action", "found 2"]);
    // An unknown taint effect.
    s.write(
        "scenario.yaml",
        &format!(
            "{SCENARIO_HEAD}  events:\n    - at: 1h\n      taint:\n        nodes: {{names: [n1]}}\n        add: [{{key: k, effect: NoRun}}]\n"
        ),
    );
    s.assert_input_error(&["scenario.yaml:13", "spec.events[0].taint.add[0].effect", "NoRun"]);
    // Scaling a Deployment that no manifest defines.
    s.write(
        "scenario.yaml",
        &format!(
            "{SCENARIO_HEAD}  events:\n    - at: 1h\n      scale: {{deployment: shop/web, replicas: 3}}\n"
        ),
    );
    s.assert_input_error(&["spec.events[0].scale.deployment", "shop/web"]);
    // A failure process without a horizon.
    s.write(
        "scenario.yaml",
        &format!("{SCENARIO_HEAD}    nodeFailures:\n      - {{mtbf: 10h, repair: 1h}}\n"),
    );
    s.assert_input_error(&["spec.duration", "horizon"]);
    // A Deployment with negative replicas in the system layer.
    s.write(
        "apps.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: -1\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n",
    );
    s.write("scenario.yaml", &format!("{SCENARIO_HEAD}    manifests: [apps.yaml]\n"));
    s.assert_input_error(&["apps.yaml:6", "spec.replicas", "-1"]);
    // A malformed quantity inside a DaemonSet's pod template.
    s.write(
        "apps.yaml",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          resources:\n            requests: {cpu: 1x}\n",
    );
    s.assert_input_error(&["apps.yaml:11", "spec.template.spec.containers[0].resources.requests.cpu", "1x"]);
    // An unknown pool in a join.
    s.write(
        "scenario.yaml",
        &format!("{SCENARIO_HEAD}  events:\n    - at: 1h\n      nodeJoin: {{pool: gpu, count: 2}}\n"),
    );
    s.assert_input_error(&["spec.events[0].nodeJoin.pool", "gpu"]);
}

#[test]
fn a_pool_joins_and_its_daemonset_follows() {
    let s = Scratch::new();
    s.write(
        "ds.yaml",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: kube-system\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: agent-config\n",
    );
    s.write(
        "scenario.yaml",
        &format!(
            "{SCENARIO_HEAD}      - pool: {{name: burst, count: 1, template: nodes.yaml}}\n    manifests: [ds.yaml]\n  duration: 1h\n  events:\n    - at: 10m\n      nodeJoin: {{pool: burst, count: 2, interval: 30s}}\n"
        )
        .replace("  duration: 1h\n", "")
        .replace("spec:\n  cluster:", "spec:\n  duration: 1h\n  cluster:"),
    );
    let o = capsim(&["validate", s.path("scenario.yaml").to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("skipped (not simulated): 1 ConfigMap"), "{stdout}");
    let (code, stderr) = s.run();
    assert_eq!(code, 0, "{stderr}");
    let pods = std::fs::read_to_string(s.path("out/pods.csv")).unwrap();
    let agents: Vec<(&str, &str)> = pods
        .lines()
        .filter(|l| l.contains("DaemonSet/kube-system/agent"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[5], f[8]) // scheduled_s, node
        })
        .collect();
    assert_eq!(agents, vec![("0", "n1"), ("0", "burst-0"), ("600", "burst-1"), ("630", "burst-2")]);
    let ds = std::fs::read_to_string(s.path("out/daemonsets.csv")).unwrap();
    assert!(ds.lines().last().unwrap().ends_with("kube-system/agent,4,4,4,0"), "{ds}");
}

/// Every file of a comparison folder.
const COMPARE_FILES: [&str; 18] = [
    "compare.csv",
    "compare.json",
    "runs.csv",
    "groups.csv",
    "pending.csv",
    "series.csv",
    "scenario.yaml",
    "report.html",
    "charts/pending_cdf.svg",
    "charts/pending_by_size.svg",
    "charts/allocation_cpu.svg",
    "charts/allocation_memory.svg",
    "charts/allocation_gpu.svg",
    "charts/nodes_used.svg",
    "charts/fragmentation.svg",
    "charts/disruptions.svg",
    "charts/oom_kills.svg",
    "charts/throttling.svg",
];

/// `compare` writes the same files whatever the rayon thread count, and refuses an unknown
/// profile with exit code 2.
#[test]
fn compare_is_independent_of_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("c{threads}"));
        let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "compare",
                "workloads/openb-profiles.yaml",
                "--profiles",
                "least-allocated,most-allocated",
            ])
            .args(["--seeds", "2", "--quiet", "--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outs.push(out);
    }
    for f in COMPARE_FILES {
        assert!(read(&outs[0].join(f)) == read(&outs[1].join(f)), "{f} depends on the thread count");
        if let Some(stem) = f.strip_suffix(".svg") {
            let png = format!("{stem}.png");
            assert!(
                read(&outs[0].join(&png)) == read(&outs[1].join(&png)),
                "{png} depends on the thread count"
            );
        }
    }
    let csv = String::from_utf8(read(&outs[0].join("compare.csv"))).unwrap();
    assert!(csv.starts_with("metric,group,profile,n,mean,ci_low,ci_high,verdict\n"));
    assert!(csv.contains("pending_p99_s,all,most-allocated - least-allocated,2,"), "{csv}");
    // Breakdowns by priority, namespace and size class; openb's pods are all priority 0 in
    // namespace default.
    for g in ["priority=0", "namespace=default", "size=cpu1-4", "size=cpu16+"] {
        assert!(csv.contains(&format!("pending_p99_s,{g},least-allocated,2,")), "{g}: {csv}");
    }
    let html = String::from_utf8(read(&outs[0].join("report.html"))).unwrap();
    assert!(
        html.contains("Pending-time CDF per profile (seeds 1 to 2 merged)")
            && html.contains("Nodes in use over time")
    );
    assert!(
        html.contains("least-allocated")
            && html.contains("most-allocated")
            && html.contains("cpu_allocated_mean (%)")
    );
    assert_eq!(html.matches("<figure><svg").count(), 10, "ten charts inline");
    let runs = String::from_utf8(read(&outs[0].join("runs.csv"))).unwrap();
    assert_eq!(runs.lines().count(), 1 + 4, "one row per (profile, seed)");
    let o = capsim(&["compare", "workloads/openb-profiles.yaml", "--profiles", "nope", "--seeds", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no profile named \"nope\""));
}

/// Errors in a list item of the scenario point into that item, not at the first line that
/// happens to contain the same word.
#[test]
fn scenario_errors_point_into_their_list_item() {
    let s = Scratch::new();
    s.write(
        "scenario.yaml",
        "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: effect-and-mtbf\nspec:\n  duration: 1h\n  cluster:\n    nodes:\n      - manifest: {path: nodes.yaml}\n  events:\n    - at: 10m\n      cordon: {names: [n1]}\n    - at: 20m\n      taint:\n        nodes: {names: [n1]}\n        add: [{key: effect, effect: NoRun}]\n",
    );
    s.assert_input_error(&["scenario.yaml:16", "spec.events[1].taint.add[0].effect", "NoRun"]);
}

/// A sweep run as 4 shards (one per run here, the index from `JOB_COMPLETION_INDEX` for one of
/// them) and merged gives byte-identical files to a single process; a missing shard is refused.
#[test]
fn sharded_compare_merges_to_the_single_process_result() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "compare",
        "workloads/openb-profiles.yaml",
        "--profiles",
        "least-allocated,most-allocated",
        "--seeds",
        "2",
        "--quiet",
    ];
    let single = dir.path().join("single");
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .args(["--out", single.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut shards = Vec::new();
    for i in 0..4 {
        let out = dir.path().join(format!("shard{i}"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_capsim"));
        cmd.args(args).args(["--out", out.to_str().unwrap()]);
        if i == 3 {
            cmd.env("JOB_COMPLETION_INDEX", "3").args(["--shard", "/4"]);
        } else {
            cmd.args(["--shard", &format!("{i}/4")]);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        shards.push(out.to_str().unwrap().to_string());
    }
    let merged = dir.path().join("merged");
    let mut m = vec!["merge".to_string()];
    m.extend(shards.iter().rev().cloned()); // order of the folders does not matter
    m.extend(["--out".to_string(), merged.to_str().unwrap().to_string()]);
    let refs: Vec<&str> = m.iter().map(String::as_str).collect();
    let o = capsim(&refs);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in COMPARE_FILES {
        assert!(read(&single.join(f)) == read(&merged.join(f)), "{f} differs after the merge");
    }
    let o = capsim(&[
        "merge",
        &shards[0],
        &shards[1],
        &shards[2],
        "--out",
        dir.path().join("partial").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("shard 3 of 4 is missing"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Without a terminal, a long `run` writes plain progress lines to stderr (virtual time and
/// events, at most every 10 s), never to stdout. A short run finishes before the first line is
/// due: stderr stays empty and stdout holds only the summary.
#[test]
fn a_short_run_writes_its_summary_to_stdout_and_nothing_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["run", "workloads/openb-default.yaml", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr), "", "a 1-second run writes no progress line");
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("capsim run workloads/openb-default.yaml (seed 1)\n")
    );
}

/// `capsim schedule` decodes its KubeSchedulerConfiguration as strictly as `run` does: a
/// misspelt field is named with its whole path and line, exit code 2.
#[test]
fn schedule_refuses_a_misspelt_config_field_with_its_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cycle.yaml");
    let text = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: default-scheduler\n  plugins:\n    score:\n      enabled:\n      - name: NodeResourcesFit\n        wieght: 2\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus:\n  allocatable: {cpu: '4', memory: 8Gi, pods: '110'}\n";
    std::fs::write(&file, text).unwrap();
    let o = capsim(&["schedule", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cycle.yaml:9: field `profiles[0].plugins.score.enabled[0].wieght`: strict decoding error: unknown field \"profiles[0].plugins.score.enabled[0].wieght\""),
        "{err}"
    );
}
