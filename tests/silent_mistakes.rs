//! Mistakes that used to pass in silence now fail with a clear exit-2 error or print a note in
//! both `capsim validate` and `capsim run`; counts have caps that fail before memory runs out.

use std::path::Path;
use std::process::{Command, Output};

const NODES: &str = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  allocatable:\n    cpu: \"4\"\n    memory: 8Gi\n    pods: \"110\"\n";
const HEAD: &str = "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: scratch\nspec:\n";
const CLUSTER: &str = "  cluster:\n    nodes:\n      - manifest: {path: nodes.yaml}\n";
const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p0\nspec:\n  schedulerName: my-scheduler\n  containers:\n    - name: c\n      resources:\n        requests: {cpu: 100m}\n";

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).output().expect("capsim runs")
}

/// Writes `files` into `dir` (nodes.yaml always) and returns the scenario's path.
fn write(dir: &Path, scenario: &str, files: &[(&str, &str)]) -> String {
    std::fs::write(dir.join("nodes.yaml"), NODES).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let p = dir.join("scenario.yaml");
    std::fs::write(&p, scenario).unwrap();
    p.to_string_lossy().into_owned()
}

/// `validate` and `run` both succeed and print a note holding every needle.
fn assert_noted(scenario: &str, files: &[(&str, &str)], needles: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let sc = write(d.path(), scenario, files);
    let out = d.path().join("out");
    for o in [capsim(&["validate", &sc]), capsim(&["run", &sc, "--out", out.to_str().unwrap()])] {
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let note = stdout.lines().find(|l| l.contains("note:") && needles.iter().all(|n| l.contains(n)));
        assert!(note.is_some(), "a note with {needles:?} expected in:\n{stdout}");
    }
}

/// `validate` fails with exit 2 and a message holding every needle.
fn assert_refused(scenario: &str, files: &[(&str, &str)], needles: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let sc = write(d.path(), scenario, files);
    let o = capsim(&["validate", &sc]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{n:?} expected in: {stderr}");
    }
}

#[test]
fn schedule_refuses_a_scenario_file() {
    let d = tempfile::tempdir().unwrap();
    let sc = write(d.path(), &format!("{HEAD}{CLUSTER}"), &[]);
    let o = capsim(&["schedule", &sc]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("scenario.yaml:1") && stderr.contains("capsim run"), "{stderr}");
}

#[test]
fn a_scheduler_name_no_profile_serves_is_noted() {
    let sc = format!("{HEAD}{CLUSTER}  workload:\n    - manifest: {{path: pods.yaml}}\n");
    assert_noted(&sc, &[("pods.yaml", POD)], &["\"my-scheduler\"", "no profile serves", "NoProfile"]);
}

#[test]
fn an_event_naming_an_unknown_node_is_noted() {
    let sc = format!("{HEAD}{CLUSTER}  events:\n    - at: 1h\n      cordon: {{names: [n9]}}\n");
    assert_noted(&sc, &[], &["cordon", "\"n9\"", "no node of the scenario"]);
}

/// A pool's node past its size (its initial count plus its joins), a pool the scenario does not
/// have, and labels no node carries are noted; an empty selection (every node) is refused.
#[test]
fn selections_that_match_no_node_are_noted() {
    let pool = "  cluster:\n    nodes:\n      - pool: {name: general, template: nodes.yaml, count: 3}\n";
    let sc = format!("{HEAD}{pool}  events:\n    - at: 1h\n      cordon: {{names: [general-3]}}\n");
    assert_noted(&sc, &[], &["cordon", "\"general-3\"", "no node of the scenario"]);
    // With a join of one node, general-3 exists.
    let sc = format!(
        "{HEAD}{pool}  events:\n    - at: 30m\n      nodeJoin: {{pool: general, count: 1}}\n    - at: 1h\n      cordon: {{names: [general-3]}}\n"
    );
    let d = tempfile::tempdir().unwrap();
    let o = capsim(&["validate", &write(d.path(), &sc, &[])]);
    assert!(o.status.success() && !String::from_utf8_lossy(&o.stdout).contains("note:"), "{o:?}");
    let sc = format!(
        "{HEAD}{pool}  events:\n    - at: 1h\n      taint: {{nodes: {{pool: nopool}}, add: [{{key: k, effect: NoSchedule}}]}}\n"
    );
    assert_noted(&sc, &[], &["taint event at 3600 s", "capsim.dev/pool=nopool", "acts on no node"]);
    let sc = format!(
        "{HEAD}{pool}  events:\n    - at: 1h\n      nodeFailure: {{nodes: {{labels: {{zone: nowhere}}}}}}\n"
    );
    assert_noted(&sc, &[], &["nodeFailure event at 3600 s", "zone=nowhere", "acts on no node"]);
    for empty in ["cordon: {}", "cordon: {names: []}"] {
        let sc = format!("{HEAD}{pool}  events:\n    - at: 1h\n      {empty}\n");
        assert_refused(
            &sc,
            &[],
            &["scenario.yaml:", "spec.events[0].cordon", "would act on every node", "fraction: 1"],
        );
    }
}

/// A manifest folder without a manifest is refused, not read as nothing.
#[test]
fn an_empty_manifest_folder_is_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("empty")).unwrap();
    std::fs::write(d.path().join("empty/README.md"), "notes").unwrap();
    let sc = write(d.path(), &format!("{HEAD}{CLUSTER}  workload:\n    - manifest: {{path: empty}}\n"), &[]);
    let o = capsim(&["validate", &sc]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("empty: cannot read: the folder holds no .yaml, .yml or .json file"), "{stderr}");
}

#[test]
fn events_after_the_duration_are_noted() {
    let sc =
        format!("{HEAD}  duration: 1h\n{CLUSTER}  events:\n    - at: 2h\n      cordon: {{names: [n1]}}\n");
    assert_noted(&sc, &[], &["1 timeline event(s)", "after spec.duration (3600 s)"]);
}

#[test]
fn counts_have_caps() {
    // A pool of 100,000,000 nodes.
    let sc = format!(
        "{HEAD}  cluster:\n    nodes:\n      - pool: {{name: big, template: nodes.yaml, count: 100000000}}\n"
    );
    assert_refused(
        &sc,
        &[],
        &["scenario.yaml:8", "spec.cluster.nodes[0].pool.count", "at most 1000000 nodes"],
    );
    // A Deployment of 2,000,000,000 replicas, and a scale event to as many.
    let dep = |n: i64| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {n}\n  template:\n    spec:\n      containers: [{{name: c, image: x}}]\n"
        )
    };
    let sc = format!("{HEAD}{CLUSTER}    manifests: [apps.yaml]\n");
    assert_refused(
        &sc,
        &[("apps.yaml", &dep(2_000_000_000))],
        &["apps.yaml:6", "spec.replicas", "10000000 (the cap)"],
    );
    let scaled =
        format!("{sc}  events:\n    - at: 1h\n      scale: {{deployment: web, replicas: 2000000000}}\n");
    assert_refused(
        &scaled,
        &[("apps.yaml", &dep(1))],
        &["spec.events[0].scale.replicas", "10000000 (the cap)"],
    );
    // A Job of 2,000,000,000 completions.
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  completions: 2000000000\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: x}]\n";
    assert_refused(&sc, &[("apps.yaml", job)], &["apps.yaml", "spec.completions", "(the cap)"]);
    // Eleven Deployments of 10,000,000 replicas: more than 100,000,000 pods in all.
    let many: Vec<String> =
        (0..11).map(|k| dep(10_000_000).replace("name: web", &format!("name: web{k}"))).collect();
    assert_refused(
        &sc,
        &[("apps.yaml", &many.join("---\n"))],
        &["spec.workload", "110000000 pods", "at most 100000000"],
    );
}

/// A file of another kind where a Scenario (or node types) belongs is named by its kind.
#[test]
fn a_file_of_another_kind_is_named_as_such() {
    let o = capsim(&["validate", "workloads/nodes/general-16x64.yaml"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "general-16x64.yaml:4: field `kind`: \"Node\": expected Scenario (capsim.dev/v1alpha1)"
        ),
        "{stderr}"
    );
    let o = capsim(&["validate", "workloads/apps/two-schedulers-apps.yaml"]);
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("\"Namespace\" (the first of 4 documents): expected Scenario")
    );
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let o = capsim(&[
        "plan",
        "workloads/plan-small.yaml",
        "--node-types",
        "workloads/plan-small.yaml",
        "--slo",
        "never_ran==0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("field `kind`: \"Scenario\": expected NodeTypes"));
}
