//! Pod generators (`workload: - generator:`): pods made as the run reaches them, named in order,
//! arriving and leaving at the drawn times, the same for the same seed; bad generator fields are
//! exit-2 errors naming the file, line and field.

use std::path::Path;
use std::process::{Command, Output};

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).output().expect("capsim runs")
}

const NODES: &str = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  allocatable: {cpu: \"4\", memory: 8Gi, pods: \"110\"}\n";

fn scenario(generator: &str) -> String {
    format!(
        "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: gen\nspec:\n  cluster:\n    nodes:\n      - manifest: {{path: nodes.yaml}}\n  workload:\n    - generator:\n{generator}"
    )
}

fn run(dir: &Path, generator: &str, out: &str) -> Output {
    std::fs::write(dir.join("nodes.yaml"), NODES).unwrap();
    std::fs::write(dir.join("scenario.yaml"), scenario(generator)).unwrap();
    capsim(&[
        "run",
        dir.join("scenario.yaml").to_str().unwrap(),
        "--quiet",
        "--out",
        dir.join(out).to_str().unwrap(),
    ])
}

const EVEN: &str = "        name: web\n        count: 10\n        over: 30s\n        arrival: uniform\n        lifetime: 7s\n        shapes:\n          - {cpu: 500m, memory: 1Gi}\n";

/// Ten pods over 30 s, evenly spaced: pod n arrives at 3n s and is deleted 7 s later; each
/// 500m pod fits the 4-cpu node at once.
#[test]
fn evenly_spaced_pods_arrive_and_leave_at_their_times() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), EVEN, "out");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pods = std::fs::read_to_string(dir.path().join("out/pods.csv")).unwrap();
    let rows: Vec<Vec<&str>> = pods.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 10);
    for (n, r) in rows.iter().enumerate() {
        // namespace, name, priority, scheduler, created_s, scheduled_s, deleted_s, pending_s, node
        assert_eq!(
            r[..9],
            [
                "default",
                &format!("web-{n}"),
                "0",
                "default-scheduler",
                &(3 * n).to_string(),
                &(3 * n).to_string(),
                &(3 * n + 7).to_string(),
                "0",
                "n1"
            ],
            "{r:?}"
        );
    }
}

/// A Poisson generator with two shapes: the same seed makes the same pods, a different seed
/// other ones; every pod gets one of the two shapes.
#[test]
fn poisson_pods_are_the_same_for_a_seed_and_shapes_follow_weights() {
    let g = "        name: p\n        count: 300\n        over: 1h\n        lifetime: exponential(10m)\n        shapes:\n          - {weight: 3, cpu: 100m, memory: 256Mi}\n          - {cpu: \"1\", memory: 1Gi}\n";
    let dir = tempfile::tempdir().unwrap();
    for out in ["a", "b"] {
        let o = run(dir.path(), g, out);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let a = std::fs::read(dir.path().join("a/pods.csv")).unwrap();
    assert_eq!(a, std::fs::read(dir.path().join("b/pods.csv")).unwrap());
    let o = capsim(&[
        "run",
        dir.path().join("scenario.yaml").to_str().unwrap(),
        "--seed",
        "2",
        "--quiet",
        "--out",
        dir.path().join("c").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_ne!(a, std::fs::read(dir.path().join("c/pods.csv")).unwrap());
    // groups.csv counts the pods by size class: 100m pods and 1-cpu pods.
    let groups = std::fs::read_to_string(dir.path().join("a/groups.csv")).unwrap();
    let created = |class: &str| -> usize {
        let row = groups.lines().find(|l| l.starts_with(&format!("size,{class},"))).unwrap_or("");
        row.split(',').nth(2).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    assert_eq!(created("cpu<1") + created("cpu1-4"), 300);
    // weight 1 of 4: 75 expected, sd ≈ 7.5
    assert!((45..=105).contains(&created("cpu1-4")), "{groups}");
}

#[test]
fn bad_generator_fields_name_the_file_line_and_field() {
    for (bad, needles) in [
        (
            EVEN.replace("count: 10", "count: 0"),
            vec!["scenario.yaml:12", "spec.workload[0].generator.count", "expected 1 to 100000000"],
        ),
        (
            EVEN.replace("lifetime: 7s", "lifetime: soon"),
            vec!["scenario.yaml:15", "spec.workload[0].generator.lifetime", "exponential(MEAN)"],
        ),
        (
            EVEN.replace("arrival: uniform", "arrival: bursty"),
            vec!["scenario.yaml:14", "generator.arrival", "poisson or uniform"],
        ),
        (
            EVEN.replace("cpu: 500m", "cpu: lots"),
            vec!["scenario.yaml:17", "generator.shapes[0].cpu", "quantity"],
        ),
        (
            EVEN.replace("name: web", "name: Web App"),
            vec!["scenario.yaml:11", "generator.name", "DNS subdomain"],
        ),
        (
            EVEN.replace("lifetime: 7s", "lifetime: 200y"),
            vec!["scenario.yaml:15", "generator.lifetime", "100 years"],
        ),
        (
            format!("{EVEN}    - generator:\n{EVEN}"),
            vec!["spec.workload[1].generator.name", "two generators"],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = run(dir.path(), &bad, "out");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        for n in needles {
            assert!(err.contains(n), "{n:?} missing from: {err}");
        }
        assert!(!dir.path().join("out").exists());
    }
}

/// `compare` gives each profile the generator's pods (their schedulerName follows the profile)
/// and keeps no events.
#[test]
fn compare_hands_generated_pods_to_each_profile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nodes.yaml"), NODES).unwrap();
    std::fs::write(dir.path().join("scenario.yaml"), scenario(EVEN)).unwrap();
    let sc = capsim::scenario::load(&dir.path().join("scenario.yaml")).unwrap();
    let text = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: a\n- schedulerName: b\n";
    std::fs::write(dir.path().join("config.yaml"), text).unwrap();
    let config = capsim::scenario::load_scheduler_config(&dir.path().join("config.yaml")).unwrap();
    let b = capsim::experiment::compare::with_profile(&sc, &config, "b").unwrap();
    assert_eq!(b.dynamics.generators[0].shapes[0].1.scheduler_name, "b");
    let r = capsim::sim::engine::run(&b, 1).unwrap();
    assert_eq!(r.records().unwrap().iter().filter(|p| p.scheduled_ms.is_some()).count(), 10);
    assert!(r.recorder.kube_events.is_empty());
}

/// A trace pod named like one of the generator's pods (`default/web-3`) is refused, naming the
/// generator; `web-10` (past its count) and `web-03` are not its names.
#[test]
fn a_generator_may_not_remake_a_workload_pods_name() {
    let dir = tempfile::tempdir().unwrap();
    let trace = |name: &str| {
        format!(
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n{name},100,64,0,0,,LS,Running,0,10,0\n"
        )
    };
    let with_trace = format!("{EVEN}    - trace: {{format: alibaba-openb, path: pods.csv}}\n");
    for (name, ok) in [("web-3", false), ("web-10", true), ("web-03", true)] {
        std::fs::write(dir.path().join("pods.csv"), trace(name)).unwrap();
        let o = run(dir.path(), &with_trace, name);
        let err = String::from_utf8_lossy(&o.stderr);
        if ok {
            assert!(o.status.success(), "{name}: {err}");
        } else {
            assert_eq!(o.status.code(), Some(2), "{err}");
            assert!(
                err.contains("spec.workload[0].generator.name") && err.contains("default/web-3"),
                "{err}"
            );
        }
    }
}

/// Memory follows the pods alive (issue 16): 140,000 pods come and go one a second, each living
/// one second. At the end at most two are alive: the cluster, the records and the queue hold
/// only those; the others were freed, their records spilled to disk past 131,072, and
/// `pods.csv` still lists all 140,000 in creation order with their exact times.
#[test]
fn finished_pods_are_freed_and_pods_csv_keeps_creation_order() {
    const N: usize = 140_000;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nodes.yaml"), NODES).unwrap();
    let generator = format!(
        "        name: web\n        count: {N}\n        over: {N}s\n        arrival: uniform\n        lifetime: 1s\n        shapes:\n          - {{cpu: 500m, memory: 1Gi}}\n"
    );
    std::fs::write(dir.path().join("scenario.yaml"), scenario(&generator)).unwrap();
    let sc = capsim::scenario::load(&dir.path().join("scenario.yaml")).unwrap();
    let r = capsim::sim::engine::run(&sc, 1).unwrap();
    let alive = r.cluster.pods().count();
    assert!(alive <= 2, "{alive} pods alive at the end");
    assert_eq!(r.recorder.pods.len(), alive);
    assert_eq!(r.recorder.finished.len() as usize, N - alive);
    assert_eq!(r.cluster.next_pod_id() as usize, N);
    let out = dir.path().join("out");
    capsim::report::write_results(&r, "", &out).unwrap();
    let pods = std::fs::read_to_string(out.join("pods.csv")).unwrap();
    let rows: Vec<Vec<&str>> = pods.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), N);
    for n in [0, 1, 65_536, 131_071, 131_072, 139_997] {
        let (c, d) = (n.to_string(), (n + 1).to_string());
        assert_eq!(
            rows[n][..9],
            ["default", &format!("web-{n}"), "0", "default-scheduler", &c, &c, &d, "0", "n1"]
        );
    }
    assert!(rows.iter().enumerate().all(|(n, r)| r[1] == format!("web-{n}") && r[9] == "Scheduled"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    for line in [format!("pods_total,{N}"), format!("pods_scheduled,{N}"), "pending_max_s,0.0".to_string()] {
        assert!(summary.lines().any(|l| l == line), "{line} missing from {summary}");
    }
}
