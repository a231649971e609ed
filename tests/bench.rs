//! `capsim bench --baseline`: passes against its own baseline, fails (exit 3) on an injected
//! slowdown and on changed placements, on a tiny workload.

use std::process::Command;

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args([
            "bench",
            "--scale",
            "0.01",
            // The best of 5: a pass of 100 pods takes well under a millisecond, so one preemption
            // of the process by another could make a single pass look 20× slower.
            "--repeat",
            "5",
            "--workloads",
            "SchedulingBasic,TopologySpreading",
        ])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn baseline_gates_slowdowns_and_placement_changes() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.csv");
    let o = bench(&["--save", base.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&base).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].starts_with("workload,profile,nodes,pods,pods_per_s,pods_per_s_median,"));
    // Two workloads × (default percentageOfNodesToScore, 100): 50 nodes, 100 + 50 measured pods.
    assert_eq!(rows.len(), 5);
    assert!(rows[1].starts_with("SchedulingBasic,default-scheduler,50,100,"), "{}", rows[1]);
    assert!(rows[2].starts_with("SchedulingBasic,default-scheduler@100,50,100,"), "{}", rows[2]);

    // The baseline itself passes (a generous threshold: timing on a shared CI machine varies).
    let o = bench(&["--baseline", base.to_str().unwrap(), "--threshold", "0.95"]);
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("no regression against the baseline"));

    // An injected slowdown: a baseline 1000× faster than anything this machine does.
    let rewrite = |f: &dyn Fn(&mut Vec<String>)| {
        let mut out = vec![rows[0].to_string()];
        for r in &rows[1..] {
            let mut cells: Vec<String> = r.split(',').map(String::from).collect();
            f(&mut cells);
            out.push(cells.join(","));
        }
        out.join("\n") + "\n"
    };
    let fast = dir.path().join("fast.csv");
    std::fs::write(&fast, rewrite(&|c| c[4] = format!("{}", c[4].parse::<f64>().unwrap() * 1000.0))).unwrap();
    let o = bench(&["--baseline", fast.to_str().unwrap(), "--threshold", "0.95"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("regression: SchedulingBasic (default-scheduler):")
            && err.contains("slower than the baseline"),
        "{err}"
    );

    // A baseline without the measured rows checks nothing: that fails too.
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["bench", "--scale", "0.02", "--repeat", "1", "--workloads", "SchedulingBasic"])
        .args(["--baseline", base.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the baseline has no such row"));

    // Changed placements: another placement hash.
    let moved = dir.path().join("moved.csv");
    std::fs::write(&moved, rewrite(&|c| c[9] = "0000000000000000".into())).unwrap();
    let o = bench(&["--baseline", moved.to_str().unwrap(), "--threshold", "0.95"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("placements differ from the baseline"));
}

/// PreemptionBasic at 1/100: 50 nodes filled by 200 low-priority pods of 900m; each of the 50
/// priority-10 pods of 3 cpu preempts exactly three of them on its own node (3 × 0.9 + 0.4 free
/// ≥ 3), so every node ends at 3 + 0.9 of 4 cpu. SchedulingDaemonset at 1/100: each of the 150
/// pods lands on the one node its matchFields names.
#[test]
fn preemption_and_daemonset_workloads_place_every_pod() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args([
            "bench",
            "--scale",
            "0.01",
            "--repeat",
            "1",
            "--workloads",
            "PreemptionBasic,SchedulingDaemonset",
        ])
        .args(["--save", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4);
    for r in &rows {
        // workload, profile, nodes, pods, pods_per_s, pods_per_s_median, unschedulable, cpu_allocated, nodes_used
        let expected: [&str; 4] = match r[0] {
            "PreemptionBasic" => ["50", "50", "0", "0.975"],
            "SchedulingDaemonset" => ["150", "150", "0", "0.025"],
            other => panic!("unexpected workload {other}"),
        };
        assert_eq!([r[2], r[3], r[6], r[7]], expected, "{r:?}");
        assert_eq!(r[8], r[2], "every node holds a pod: {r:?}");
    }
    // Both percentages place the daemon pods identically (one feasible node each).
    let ds: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == "SchedulingDaemonset").collect();
    assert_eq!(ds[0][9], ds[1][9]);
}

/// The shapes real clusters run: a Deployment spread over hostnames and zones (Karpenter's
/// ha-az-nodes blueprint), preferred pod affinity, and loading a `kubectl get pods -A -o yaml`
/// dump (1,000 Pods of ReplicaSets on 20 Nodes at scale 0.01, all loaded).
#[test]
fn real_cluster_shapes_and_dump_loading_are_benchmarked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["bench", "--scale", "0.01", "--repeat", "1", "--workloads"])
        .arg("TopologySpreadingZoneHostname,SchedulingPreferredPodAffinity,LoadPodDump")
        .args(["--save", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let names: Vec<(&str, &str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2], r[3])).collect();
    assert_eq!(
        names,
        [
            ("TopologySpreadingZoneHostname", "default-scheduler", "50", "50"),
            ("TopologySpreadingZoneHostname", "default-scheduler@100", "50", "50"),
            ("SchedulingPreferredPodAffinity", "default-scheduler", "50", "50"),
            ("SchedulingPreferredPodAffinity", "default-scheduler@100", "50", "50"),
            ("LoadPodDump", "-", "20", "1000"),
        ]
    );
    // Every measured pod found a node (column 6: unschedulable).
    assert!(rows[..4].iter().all(|r| r[6] == "0"), "{text}");
}
