//! The crash classes of the fuzzing campaign and the break-it pass (issue 18), each as a
//! regression: sums of extreme quantities, inputs that are not regular files, caps on work over
//! the horizon, and every saved fuzz input under `tests/regressions/`.

use std::path::Path;
use std::process::{Command, Output};

const HEAD: &str = "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: scratch\nspec:\n";

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).output().expect("capsim runs")
}

/// Three nodes of 4 EiB of memory each (12 EiB in all, past an i64 of bytes) and a pod asking
/// for 2 EiB: the cluster totals must not wrap. The pod takes 2 of 12 EiB, so the memory
/// allocated is 1/6 while it runs.
#[test]
fn cluster_totals_past_i64_do_not_wrap() {
    let d = tempfile::tempdir().unwrap();
    let mut nodes = String::new();
    for k in 0..3 {
        nodes.push_str(&format!(
            "---\napiVersion: v1\nkind: Node\nmetadata: {{name: n{k}}}\nstatus:\n  allocatable: {{cpu: \"4\", memory: 4Ei, pods: \"110\"}}\n"
        ));
    }
    std::fs::write(d.path().join("nodes.yaml"), nodes).unwrap();
    std::fs::write(
        d.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers: [{name: c, resources: {requests: {cpu: 1, memory: 2Ei}}}]\n",
    )
    .unwrap();
    let sc = d.path().join("scenario.yaml");
    std::fs::write(
        &sc,
        format!("{HEAD}  duration: 1h\n  cluster:\n    nodes:\n      - manifest: {{path: nodes.yaml}}\n  workload:\n    - manifest: {{path: pod.yaml}}\n"),
    )
    .unwrap();
    let out = d.path().join("out");
    let o = capsim(&["run", sc.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let col = |name: &str| -> String {
        let line = summary.lines().find(|l| l.split(',').next() == Some(name));
        line.unwrap_or_else(|| panic!("{name} in {summary}")).split_once(',').unwrap().1.to_string()
    };
    assert_eq!(col("pods_scheduled"), "1");
    assert_eq!(col("memory_allocated_peak"), "0.166667");
    assert_eq!(col("cpu_allocated_peak"), "0.083333");
}

/// A manifest, trace or node-types path that is a device, or a folder where a file is needed,
/// is refused with exit 2 before a byte is read (`/dev/zero` would read for ever).
#[test]
fn inputs_must_be_regular_files() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("nodes.yaml"),
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: \"4\", memory: 8Gi, pods: \"110\"}}\n",
    )
    .unwrap();
    let cases = [
        (
            "      - manifest: {path: /dev/zero}\n",
            "/dev/zero: cannot read: not a regular file (a device, FIFO or socket)",
        ),
        (
            "      - trace: {format: alibaba-openb, path: /dev/urandom}\n",
            "/dev/urandom: cannot read: not a regular file (a device, FIFO or socket)",
        ),
    ];
    for (nodes, needle) in cases {
        let sc = d.path().join("scenario.yaml");
        std::fs::write(&sc, format!("{HEAD}  cluster:\n    nodes:\n{nodes}")).unwrap();
        let o = capsim(&["validate", sc.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{needle:?} expected in: {stderr}");
    }
    // The scheduler configuration named by a scenario, and `schedule`'s own input.
    let sc = d.path().join("scenario.yaml");
    std::fs::write(
        &sc,
        format!("{HEAD}  cluster:\n    nodes:\n      - manifest: {{path: nodes.yaml}}\n  scheduler:\n    config: /dev/null\n"),
    )
    .unwrap();
    let o = capsim(&["validate", sc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/dev/null: cannot read: not a regular file"));
    let o = capsim(&["schedule", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file (a directory)"));
}

/// Every input saved under `tests/regressions/` (see its README: inputs a fuzz target made
/// capsim crash on) is replayed: each structured one's rendered scenario (`<name>.scenario/`)
/// through `capsim run`, which must finish or fail with exit 2, never panic; each raw input of
/// the `quantity` and `k8s_objects` targets through its entry point, which must not panic.
#[test]
fn saved_regression_inputs_run_or_fail_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut entries: Vec<_> =
        std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    let mut replayed = 0;
    for f in entries {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".scenario") {
            let scratch = tempfile::tempdir().unwrap();
            let out = scratch.path().join("out");
            let sc = f.join("scenario.yaml");
            let o = capsim(&["run", sc.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
            assert!(matches!(o.status.code(), Some(0 | 2)), "{name}: exit {:?}: {stderr}", o.status.code());
            replayed += 1;
        } else if name.starts_with("fuzz-quantity-") {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
            assert!(
                capsim::api::quantity::Quantity::parse(&text).is_err(),
                "{name}: {text:?} must not parse"
            );
            replayed += 1;
        } else if name.starts_with("fuzz-k8s_objects-") {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
            let _ = capsim::api::yaml::objects_from_str(&text, &f);
            let _ = capsim::api::yaml::objects_from_str_general(&text, &f);
            replayed += 1;
        }
    }
    assert_eq!(replayed, 11, "every saved input replayed");
}

/// Work that grows with the run's length has caps too: usage changes per pod
/// (`runtime.changeInterval`) and failures per node (`nodeFailures[].mtbf`), against the span.
#[test]
fn work_over_the_horizon_has_caps() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("nodes.yaml"),
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: \"4\", memory: 8Gi, pods: \"110\"}}\n",
    )
    .unwrap();
    let cluster = "  cluster:\n    nodes:\n      - manifest: {path: nodes.yaml}\n";
    let cases = [
        (
            format!("{HEAD}  duration: 87600h\n{cluster}  runtime:\n    changeInterval: 1ms\n"),
            "field `spec.runtime.changeInterval`: 1 ms over a 315360000 s run would change each pod's usage more than 10000000 times",
        ),
        (
            format!(
                "{HEAD}  duration: 1000h\n{cluster}    nodeFailures:\n      - {{mtbf: 1ms, repair: 1ms}}\n"
            ),
            "field `spec.cluster.nodeFailures[0].mtbf`: 1 ms over a 3600000 s run would fail each node more than 1000000 times",
        ),
    ];
    for (scenario, needle) in cases {
        let sc = d.path().join("scenario.yaml");
        std::fs::write(&sc, scenario).unwrap();
        let o = capsim(&["validate", sc.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{needle:?} expected in: {stderr}");
    }
}
