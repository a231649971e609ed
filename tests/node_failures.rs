//! `workloads/node-failures.yaml`: 1,523 openb nodes, four real DaemonSets, CoreDNS,
//! metrics-server and two web Deployments; 5 % of the nodes fail at 2h and recover at 3h, and
//! the T4 pool gets a NoExecute `maintenance` taint at 4h.

use std::path::Path;
use std::sync::OnceLock;

use capsim::metrics::{PodOutcome, RunResult};
use capsim::model::Owner;
use capsim::scenario::{LoadedScenario, load};
use capsim::sim::engine::run;
use capsim::time::SimTime;

fn scenario() -> &'static LoadedScenario {
    static SC: OnceLock<LoadedScenario> = OnceLock::new();
    SC.get_or_init(|| load(Path::new("workloads/node-failures.yaml")).expect("scenario loads"))
}

fn full_run() -> &'static RunResult {
    static R: OnceLock<RunResult> = OnceLock::new();
    R.get_or_init(|| run(scenario(), 1).expect("run"))
}

fn run_until(secs: i64) -> RunResult {
    let mut sc = scenario().clone();
    sc.horizon = Some(SimTime::from_secs(secs));
    run(&sc, 1).unwrap()
}

const T4: &str = "T4";

/// After each change has settled, every node that should run a DaemonSet's pod runs exactly one
/// (bound, not terminating), and no other node runs any.
#[test]
fn every_eligible_node_runs_exactly_one_pod_of_each_daemonset() {
    let sc = scenario();
    assert_eq!(sc.dynamics.daemonsets.len(), 4);
    // Before the failure, while nodes are down (past the grace period and the NoExecute
    // taints), after recovery, and after the maintenance taint.
    for t in [3_600, 2 * 3_600 + 1_200, 3 * 3_600 + 600, 5 * 3_600] {
        let r = run_until(t);
        for (ds_index, ds) in sc.dynamics.daemonsets.iter().enumerate() {
            let mut eligible = 0;
            for (id, info) in r.cluster.live_nodes() {
                let (should_run, should_continue) = ds.should_run(&info.node);
                let mine = info
                    .pods
                    .iter()
                    .filter(|p| {
                        let pod = r.cluster.pod(**p);
                        pod.owner == Some(Owner::DaemonSet(ds_index as u32)) && !pod.terminating
                    })
                    .count();
                if should_run {
                    eligible += 1;
                    assert_eq!(mine, 1, "t={t}: {} on {} (node {id})", ds.name, info.node.name);
                } else if !should_continue {
                    assert_eq!(mine, 0, "t={t}: {} must not run on {}", ds.name, info.node.name);
                }
            }
            let device_plugin = ds.name == "nvidia-device-plugin-daemonset";
            let expected = if device_plugin && t > 4 * 3_600 {
                1_523 - 404 // the T4 pool is tainted and the device plugin does not tolerate it
            } else if device_plugin && (2 * 3_600..3 * 3_600).contains(&t) {
                // It tolerates no `unreachable:NoSchedule`: failed nodes are not eligible, but
                // its running pods stay (they tolerate the NoExecute taint forever).
                1_523 - 76
            } else {
                1_523 // the others tolerate every NoSchedule taint
            };
            assert_eq!(eligible, expected, "t={t}: {}", ds.name);
        }
    }
    // The time series agrees: at the end, desired = current = ready, none misscheduled.
    let r = full_run();
    let last: Vec<_> = r.recorder.daemonsets.iter().filter(|s| s.time_s == 21_600.0).collect();
    assert_eq!(last.len(), 4);
    for s in last {
        assert_eq!((s.current, s.ready, s.misscheduled), (s.desired, s.desired, 0), "{}", s.daemonset);
    }
}

/// A pod without a matching toleration leaves a failed node at failure + grace period (50 s) +
/// the 300 s DefaultTolerationSeconds, to the second — counting from the node's NoExecute taint,
/// which the zone's rate limiter (0.1 node/s) lets through 10 s apart.
#[test]
fn pods_leave_failed_nodes_300_seconds_after_their_noexecute_taint() {
    let r = full_run();
    let failed: Vec<&str> = r.recorder.failures.iter().map(|f| f.node.as_str()).collect();
    assert_eq!(failed.len(), 76, "5 % of 1,523 nodes");
    assert!(r.recorder.failures.iter().all(|f| f.failed_s == 7_200.0 && f.recovered_s == Some(10_800.0)));
    let mut checked = 0;
    for (p, rec) in r.records().unwrap().iter().enumerate() {
        let Some(node) = rec.node else { continue };
        let name = r.cluster.node(node).node.name.as_str();
        let Some(k) = failed.iter().position(|n| *n == name) else { continue };
        if rec.outcome != PodOutcome::Evicted || rec.terminating_ms.unwrap() >= 4 * 3_600_000 {
            continue;
        }
        let tainted_ms = 7_200_000 + 50_000 + 10_000 * k as i64;
        assert_eq!(rec.terminating_ms, Some(tainted_ms + 300_000), "pod {p} on {name}");
        // Nobody confirms the kill on an unreachable node: it keeps the node until recovery.
        assert_eq!(rec.deleted_ms, Some(10_800_000), "pod {p} on {name}");
        checked += 1;
    }
    // 27 since `web`'s pods carry their ReplicaSet's controller reference and so get the system
    // default topology spreading (upstream `DefaultSelector`), as upstream places them.
    assert_eq!(checked, 27, "web pods on the failed nodes");
    assert_eq!(r.recorder.evictions.get("NodeFailure"), Some(&27));
}

/// At 4h the T4 pool is tainted `maintenance:NoExecute`: `web` pods there go at once,
/// `web-tolerant` pods (tolerationSeconds 600) exactly 600 s later, and the device plugin's pods
/// at once; pods that tolerate the taint forever (the other DaemonSets) stay.
#[test]
fn the_maintenance_taint_evicts_at_once_or_after_toleration_seconds() {
    let r = full_run();
    let mut seen = [0usize; 3];
    for p in r.pod_results().unwrap() {
        let (rec, pod) = (&p.record, &p.facts);
        let Some(node) = rec.node else { continue };
        let info = r.cluster.node(node);
        if info.node.labels.get("alibabacloud.com/gpu-card-model").map(String::as_str) != Some(T4) {
            continue;
        }
        let running_at_4h = rec.scheduled_ms.is_some_and(|s| s <= 14_400_000)
            && rec.terminating_ms.is_none_or(|t| t >= 14_400_000);
        if !running_at_4h {
            continue;
        }
        if rec.owner.starts_with("ReplicaSet/shop/web-tolerant-") {
            assert_eq!(rec.terminating_ms, Some(15_000_000), "{}", pod.name);
            seen[0] += 1;
        } else if rec.owner.starts_with("ReplicaSet/shop/web-") {
            assert_eq!(rec.terminating_ms, Some(14_400_000), "{}", pod.name);
            seen[1] += 1;
        } else if rec.owner == "DaemonSet/kube-system/nvidia-device-plugin-daemonset" {
            assert_eq!(rec.terminating_ms, Some(14_400_000), "{}", pod.name);
            seen[2] += 1;
        } else if rec.owner.starts_with("DaemonSet/") {
            assert_eq!(rec.terminating_ms, None, "{} tolerates every NoExecute taint", pod.name);
        }
    }
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
    assert_eq!(seen[2], 404, "one device-plugin pod per T4 node");
    // A running pod leaves its (healthy) node after its 30 s grace period.
    let web = r
        .records()
        .unwrap()
        .into_iter()
        .find(|p| {
            p.owner.starts_with("ReplicaSet/shop/web-tolerant-") && p.terminating_ms == Some(15_000_000)
        })
        .unwrap();
    assert_eq!(web.deleted_ms, Some(15_030_000));
}

/// Every evicted ReplicaSet pod is replaced: each Deployment ends with its replicas running,
/// and it created exactly one pod per loss beyond its replicas.
#[test]
fn every_evicted_replicaset_pod_is_replaced() {
    let r = full_run();
    let sc = scenario();
    for rs in &sc.dynamics.replicasets {
        let owner = format!("ReplicaSet/{}/{}", rs.namespace, rs.name);
        let pods: Vec<_> = r.records().unwrap().into_iter().filter(|p| p.owner == owner).collect();
        let evicted = pods.iter().filter(|p| p.outcome == PodOutcome::Evicted).count();
        let running =
            pods.iter().filter(|p| p.outcome == PodOutcome::Scheduled && p.deleted_ms.is_none()).count();
        assert_eq!(running, rs.replicas as usize, "{owner}");
        assert_eq!(pods.len(), rs.replicas as usize + evicted, "{owner}");
        if rs.name.starts_with("web-") {
            assert!(evicted > 0, "{owner} lost pods to the failure or the taint");
        }
    }
    // A replacement is created and bound at the instant of the loss (the cluster has room).
    assert_eq!(r.recorder.replacement.max(), 0);
    assert!(!r.recorder.replacement.is_empty());
}

/// At every sample, pods created = pending + running + succeeded + failed + rejected.
#[test]
fn pods_are_conserved_at_every_sample() {
    let r = full_run();
    assert_eq!(r.recorder.samples.len(), 361, "0 s to 6 h every 60 s");
    for s in &r.recorder.samples {
        assert_eq!(
            s.pods_created,
            s.pods_pending + s.pods_running + s.pods_succeeded + s.pods_failed + s.pods_rejected,
            "t={}",
            s.time_s
        );
    }
    let at = |t: f64| r.recorder.samples.iter().find(|s| s.time_s == t).unwrap();
    assert_eq!(at(7_260.0).nodes_not_ready, 76);
    assert_eq!(at(10_800.0).nodes_not_ready, 0);
    // 1,523 nodes × 4 DaemonSets + 300 + 200 web + 2 CoreDNS + 1 metrics-server, all running.
    assert_eq!(at(3_600.0).pods_running, 1_523 * 4 + 503);
}

/// Same scenario and seed ⇒ byte-identical results.
#[test]
fn node_failure_runs_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    capsim::report::write_results(full_run(), "", &a).unwrap();
    let again = run(scenario(), 1).unwrap();
    capsim::report::write_results(&again, "", &b).unwrap();
    for f in ["pods.csv", "timeseries.csv", "events.csv", "daemonsets.csv", "failures.csv", "summary.csv"] {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs of the same seed");
    }
    // Another seed picks other nodes to fail.
    let other = run(scenario(), 2).unwrap();
    let names = |r: &RunResult| r.recorder.failures.iter().map(|f| f.node.clone()).collect::<Vec<_>>();
    assert_ne!(names(&other), names(full_run()));
}
