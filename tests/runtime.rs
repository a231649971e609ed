//! The kubelet runtime on hand-built scenarios with hand-computed values: CFS throttling, OOM
//! kills with the restart back-off, node-pressure eviction order, kubelet admission.

mod common;

use capsim::metrics::{PodOutcome, RunResult};
use capsim::scenario::load;
use capsim::sim::engine::run;
use common::builders::{pod_yaml, simulate_files};

const NODE: &str = "apiVersion: v1
kind: Node
metadata: {name: n, labels: {kubernetes.io/os: linux}}
status:
  capacity: {cpu: '8', memory: MEMORY, pods: '110'}
  allocatable: {cpu: '8', memory: MEMORY, pods: '110'}
";

/// Runs a scenario whose `spec` body is `spec`, with `node.yaml` of `memory` and extra files.
fn simulate(spec: &str, memory: &str, files: &[(&str, &str)]) -> RunResult {
    let node = NODE.replace("MEMORY", memory);
    let mut all = vec![("node.yaml", node.as_str())];
    all.extend_from_slice(files);
    simulate_files(spec, &all).1
}

fn pod(name: &str, labels: &str, resources: &str, extra: &str) -> String {
    pod_yaml(&format!("name: {name}, labels: {{{labels}}}"), extra, resources)
}

fn times(r: &RunResult, reason: &str) -> Vec<String> {
    r.recorder.kube_events.iter().filter(|e| e.reason == reason).map(|e| e.time_s.clone()).collect()
}

/// A Guaranteed pod (1 cpu) wanting 150 % of its limit for 10 minutes is throttled on a third
/// of its demand: 0.5 cpu × 600 s = 300 CPU-seconds, in every CFS period.
#[test]
fn a_guaranteed_pod_at_150_percent_of_its_limit_is_throttled_on_a_third_of_its_demand() {
    let spec = "  duration: 10m
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    changeInterval: 1h
    usage:
      - cpu: {of: limit, constant: 1.5}
        memory: {constant: 0.5}
";
    let p = pod("g", "", "{requests: {cpu: '1', memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}", "");
    let r = simulate(spec, "16Gi", &[("p.yaml", &p)]);
    let rt = r.records().unwrap()[0].runtime;
    assert_eq!(rt.qos.map(|q| q.as_str()), Some("Guaranteed"));
    assert!((rt.throttled_cpu_s - 300.0).abs() < 1e-6, "{rt:?}");
    let demand_cpu_s = 1.5 * 600.0;
    assert!((rt.throttled_cpu_s / demand_cpu_s - 1.0 / 3.0).abs() < 1e-9);
    assert!((rt.throttled_fraction - 1.0).abs() < 1e-12);
    assert_eq!((rt.oom_kills, rt.restarts, rt.cpu_shortfall_s), (0, 0, 0.0));
    // The sample sees 1 cpu of 8 used.
    let last = r.recorder.samples.last().unwrap();
    assert_eq!(last.cpu_used, Some(0.125));
}

/// A short single-threaded burst carries over CFS periods as the kernel's bandwidth control
/// does (kubernetes/kubernetes#67577): a container limited to 100m gets 10 ms of CPU per 100 ms
/// period, so each 200 ms burst takes 20 periods, the first 19 of which end with work waiting
/// (`nr_throttled` 19), although the container averages 20m — a fifth of its limit; 190 ms of
/// each burst are deferred to later periods. With a 2-cpu limit the same burst runs in 200 ms on
/// its one thread and is never throttled; a 5 ms burst fits the 100m quota and is not either.
#[test]
fn a_short_single_threaded_burst_throttles_nineteen_periods() {
    let spec = "  duration: 60s
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    changeInterval: 1h
    usage:
      - cpu: {constant: 0}
        memory: {constant: 0.5}
        workBursts: {every: 10s, cpuTime: 200ms, threads: 1}
";
    let limited = |cpu: &str, burst: &str| {
        let spec = spec.replace("cpuTime: 200ms", burst);
        let res =
            format!("{{requests: {{cpu: '{cpu}', memory: 1Gi}}, limits: {{cpu: '{cpu}', memory: 1Gi}}}}");
        let p = pod("bursty", "", &res, "");
        simulate(&spec, "16Gi", &[("p.yaml", &p)]).records().unwrap()[0].runtime
    };
    // Bursts at 10 s, 20 s, 30 s, 40 s, 50 s and 60 s; the run ends as the last comes, so its
    // deferred 190 ms count but none of its periods.
    let rt = limited("100m", "cpuTime: 200ms");
    assert_eq!(rt.throttled_periods, 5 * 19, "{rt:?}");
    assert!((rt.throttled_cpu_s - 6.0 * 0.19).abs() < 1e-9, "{rt:?}");
    assert!((rt.throttled_fraction - 95.0 / 600.0).abs() < 1e-9, "{rt:?}");
    for (cpu, burst) in [("2", "cpuTime: 200ms"), ("100m", "cpuTime: 5ms")] {
        let rt = limited(cpu, burst);
        assert_eq!(
            (rt.throttled_periods, rt.throttled_cpu_s, rt.throttled_fraction),
            (0, 0.0, 0.0),
            "{cpu} {burst}"
        );
    }
}

/// `workBursts` fields are checked: a zero interval, a burst of no CPU time and zero threads are
/// refused, naming the field.
#[test]
fn work_bursts_are_validated() {
    for (bad, field) in [
        ("{every: 0s, cpuTime: 200ms}", "spec.runtime.usage[0].workBursts.every"),
        ("{every: 1s, cpuTime: 0ms}", "spec.runtime.usage[0].workBursts.cpuTime"),
        ("{every: 1s, cpuTime: 5ms, threads: 0}", "spec.runtime.usage[0].workBursts.threads"),
        ("{every: 1s, cpuTime: 5ms, probability: 2}", "spec.runtime.usage[0].workBursts.probability"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("node.yaml"), NODE.replace("MEMORY", "1Gi")).unwrap();
        let sc = dir.path().join("s.yaml");
        let text = format!(
            "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  cluster: {{nodes: [{{manifest: {{path: node.yaml}}}}]}}\n  runtime:\n    usage:\n      - workBursts: {bad}\n"
        );
        std::fs::write(&sc, text).unwrap();
        let err = load(&sc).unwrap_err().to_string();
        assert!(err.contains(field), "{bad}: {err}");
    }
}

/// Memory starting at half a 1 GiB limit and growing 6 GiB/h reaches the limit after exactly
/// 300 s: OOMKilled at 300 s and restarted at once with fresh memory (upstream's first restart
/// has no back-off), killed again at 600 s, then restarted after the back-off (10 s, 20 s,
/// 40 s): restarts at 300, 610, 930, 1270 s, kills at 300, 600, 910, 1230 s. A restart counts
/// when it happens: 4 restarts, the last at 1270 s.
#[test]
fn a_growing_container_is_oom_killed_to_the_second_and_restarts_with_back_off() {
    let spec = "  duration: 1500s
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    changeInterval: 1h
    usage:
      - cpu: {constant: 0.5}
        memory: {of: limit, constant: 0.5, growthPerHour: 6Gi}
";
    let p = pod("leaky", "", "{requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 1Gi}}", "");
    let r = simulate(spec, "16Gi", &[("p.yaml", &p)]);
    assert_eq!(times(&r, "OOMKilled"), vec!["300", "600", "910", "1230"]);
    let back_off = times(&r, "BackOff");
    assert_eq!(back_off, vec!["600", "910", "1230"], "no back-off before the first restart");
    let rt = r.records().unwrap()[0].runtime;
    assert_eq!((rt.oom_kills, rt.restarts), (4, 4));
    // Cut at 1250 s the fourth restart (1270 s) has not happened yet.
    let r2 = simulate(&spec.replace("1500s", "1250s"), "16Gi", &[("p.yaml", &p)]);
    assert_eq!(
        (r2.records().unwrap()[0].runtime.oom_kills, r2.records().unwrap()[0].runtime.restarts),
        (4, 3)
    );
    let ev = r.recorder.kube_events.iter().find(|e| e.reason == "OOMKilled").unwrap();
    assert!(ev.message.contains("exit code 137"), "{}", ev.message);
    // The pod stays Running (restartPolicy Always) between crashes.
    assert_eq!(r.records().unwrap()[0].outcome, PodOutcome::Scheduled);
    // With restartPolicy Never the pod fails at the first kill.
    let never = pod(
        "once",
        "",
        "{requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 1Gi}}",
        "  restartPolicy: Never\n",
    );
    let r = simulate(spec, "16Gi", &[("p.yaml", &never)]);
    assert_eq!(r.records().unwrap()[0].outcome, PodOutcome::OomKilled);
    assert_eq!(r.records().unwrap()[0].deleted_ms, Some(300_000));
}

/// A node short of memory evicts in the kubelet's order: pods over their requests first (the
/// BestEffort pod, over its zero request by 1000Mi, before the Burstable pod over by 256Mi),
/// never the pod within its request. The BestEffort pod goes at the first check (0 s); the
/// Burstable pod's memory then grows back over the threshold and it goes at the next check
/// after the crossing (3277.44 s → 3280 s). MemoryPressure is set and cleared after 5 minutes.
#[test]
fn memory_pressure_evicts_besteffort_then_burstable_over_request_and_spares_the_rest() {
    let spec = "  duration: 2h
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    changeInterval: 3h
    usage:
      - match: {labels: {app: be}}
        memory: {constant: 5}
      - match: {labels: {app: burst}}
        memory: {constant: 1.5, growthPerHour: 1000Mi}
      - match: {labels: {app: guar}}
        memory: {constant: 0.9}
";
    let pods = pod("be", "app: be", "{}", "")
        + &pod("burst", "app: burst", "{requests: {cpu: 100m, memory: 512Mi}}", "")
        + &pod(
            "guar",
            "app: guar",
            "{requests: {cpu: '1', memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}",
            "",
        );
    let r = simulate(spec, "2700Mi", &[("p.yaml", &pods)]);
    let by = |n: &str| r.pod_results().unwrap().into_iter().find(|p| p.facts.name == n).unwrap().record;
    assert_eq!((by("be").outcome, by("be").terminating_ms), (PodOutcome::Evicted, Some(0)));
    assert_eq!((by("burst").outcome, by("burst").terminating_ms), (PodOutcome::Evicted, Some(3_280_000)));
    assert_eq!((by("guar").outcome, by("guar").terminating_ms), (PodOutcome::Scheduled, None));
    assert!(
        by("be").last_reason.starts_with("The node was low on resource: memory. Threshold quantity: 100Mi")
    );
    assert_eq!(r.recorder.evictions.get("MemoryPressure"), Some(&2));
    let set = times(&r, "NodeHasInsufficientMemory");
    let cleared = times(&r, "NodeHasSufficientMemory");
    assert_eq!(
        (set, cleared),
        (vec!["0".to_string(), "3280".into()], vec!["300".to_string(), "3580".into()])
    );
}

/// The eviction manager's admission: while the node has MemoryPressure (set at 0 s by the
/// BestEffort hog, cleared at 300 s), a BestEffort pod naming the node at 60 s is refused with
/// upstream's reason `Evicted` and message; a Burstable pod and a BestEffort pod tolerating the
/// memory-pressure taint are admitted; a BestEffort pod at 400 s (pressure over) is admitted.
#[test]
fn the_kubelet_refuses_besteffort_pods_under_memory_pressure() {
    let spec = "  duration: 10m
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}, {manifest: {path: late.yaml, at: 1m}}, {manifest: {path: after.yaml, at: 400s}}]
  runtime:
    changeInterval: 3h
    usage:
      - match: {labels: {app: be}}
        memory: {constant: 13.25}
";
    // 13.25 × the 200Mi stand-in = 2650Mi: less than the 100Mi threshold left on 2700Mi.
    let pods = pod("be", "app: be", "{}", "");
    let late = pod("late-be", "", "{}", "  nodeName: n\n")
        + &pod("late-burst", "", "{requests: {cpu: 100m}}", "  nodeName: n\n")
        + &pod(
            "late-tolerant",
            "",
            "{}",
            "  nodeName: n\n  tolerations: [{key: node.kubernetes.io/memory-pressure, operator: Exists, effect: NoSchedule}]\n",
        );
    let after = pod("after-be", "", "{}", "  nodeName: n\n");
    let r = simulate(spec, "2700Mi", &[("p.yaml", &pods), ("late.yaml", &late), ("after.yaml", &after)]);
    let by = |n: &str| r.pod_results().unwrap().into_iter().find(|p| p.facts.name == n).unwrap().record;
    assert_eq!(times(&r, "NodeHasInsufficientMemory"), vec!["0".to_string()]);
    assert_eq!(by("late-be").outcome, PodOutcome::RejectedByKubelet);
    let msg = "The node had condition: [MemoryPressure]. ";
    assert_eq!(by("late-be").last_reason, format!("Pod was rejected: {msg}"));
    let ev: Vec<_> = r.recorder.kube_events.iter().filter(|e| e.object == "Pod/default/late-be").collect();
    assert_eq!((ev[0].reason, ev[0].message.as_str(), ev[0].time_s.as_str()), ("Evicted", msg, "60"));
    assert_eq!(by("late-burst").outcome, PodOutcome::BoundByNodeName);
    assert_eq!(by("late-tolerant").outcome, PodOutcome::BoundByNodeName);
    assert_eq!(by("after-be").outcome, PodOutcome::BoundByNodeName);
}

/// The kernel OOM killer picks by oom_score_adj when a node's memory reaches capacity before the
/// kubelet acts: the BestEffort container (adj 1000) goes before a Guaranteed one (−997).
#[test]
fn the_node_oom_killer_picks_by_oom_score_adj() {
    let spec = "  duration: 1m
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    changeInterval: 1h
    kubelet: {evictionMonitoringInterval: 30s}
    usage:
      - match: {labels: {app: be}}
        memory: {constant: 4}
      - match: {labels: {app: guar}}
        memory: {constant: 0.95}
";
    let pods = pod("be", "app: be", "{}", "")
        + &pod(
            "guar",
            "app: guar",
            "{requests: {cpu: '1', memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}",
            "",
        );
    // 800Mi + 972.8Mi = 1772.8Mi on a 1750Mi node.
    let r = simulate(spec, "1750Mi", &[("p.yaml", &pods)]);
    let ev: Vec<_> = r.recorder.kube_events.iter().filter(|e| e.reason == "OOMKilled").collect();
    assert!(!ev.is_empty());
    assert_eq!(ev[0].object, "Pod/default/be");
    assert!(ev[0].message.contains("the node ran out of memory"));
    assert_eq!(r.records().unwrap()[1].runtime.oom_kills, 0);
}

/// The kubelet refuses a pod that names a node without room (`OutOfcpu`); a ReplicaSet whose
/// template pins such a node re-creates pods until capsim's cap (here 5) stops it.
#[test]
fn kubelet_admission_refuses_pods_pinned_to_a_full_node_and_caps_the_runaway() {
    let spec = "  duration: 10m
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    kubelet: {maxKubeletRejections: 5}
";
    let big = pod("big", "", "{requests: {cpu: '6'}}", "  nodeName: n\n");
    let rs = "apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: pinned}
spec:
  replicas: 1
  template:
    spec:
      nodeName: n
      containers: [{name: c, image: x, resources: {requests: {cpu: '4'}}}]
";
    let r = simulate(spec, "16Gi", &[("p.yaml", &(big + rs))]);
    assert_eq!(r.records().unwrap()[0].outcome, PodOutcome::BoundByNodeName);
    let pinned: Vec<_> =
        r.records().unwrap().into_iter().filter(|p| p.owner == "ReplicaSet/default/pinned").collect();
    assert_eq!(pinned.len(), 5);
    assert!(pinned.iter().all(|p| p.outcome == PodOutcome::RejectedByKubelet));
    // Upstream's InsufficientResourceError: resource, requested, used, capacity (millicores).
    let msg = "Node didn't have enough resource: cpu, requested: 4000, used: 6000, capacity: 8000";
    assert_eq!(pinned[0].last_reason, format!("Pod was rejected: {msg}"));
    let ev = r.recorder.kube_events.iter().find(|e| e.reason == "OutOfcpu").expect("event");
    assert_eq!(ev.message, msg);
    assert_eq!(times(&r, "KubeletRejectionRunaway"), vec!["0"]);
}

/// Same seed, same numbers; runtime draws come from their own stream.
#[test]
fn runtime_runs_are_reproducible() {
    let spec = "  duration: 2h
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    usage:
      - cpu: {lognormal: {median: 0.8, sigma: 0.5}}
        memory: {uniform: {min: 0.5, max: 1.2}}
";
    let mut pods = String::new();
    for i in 0..6 {
        pods += &pod(
            &format!("p{i}"),
            "",
            "{requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: 600m, memory: 600Mi}}",
            "",
        );
    }
    let a = simulate(spec, "16Gi", &[("p.yaml", &pods)]);
    let b = simulate(spec, "16Gi", &[("p.yaml", &pods)]);
    let counters = |r: &RunResult| r.records().unwrap().iter().map(|p| p.runtime).collect::<Vec<_>>();
    assert_eq!(counters(&a), counters(&b));
    assert!(counters(&a).iter().any(|c| c.throttled_cpu_s > 0.0));
    assert!(counters(&a).iter().map(|c| c.oom_kills).sum::<u32>() > 0);
}

/// `workloads/openb-overcommit.yaml` reports OOM kills and throttling, and the same seed gives
/// the same numbers.
#[test]
fn openb_overcommit_reports_risk_reproducibly() {
    let sc = load(std::path::Path::new("workloads/openb-overcommit.yaml")).unwrap();
    let a = run(&sc, 1).unwrap();
    let b = run(&sc, 1).unwrap();
    let ra = capsim::report::summarize_runtime(&capsim::report::tally(&a).unwrap());
    let rb = capsim::report::summarize_runtime(&capsim::report::tally(&b).unwrap());
    let all = ra.iter().find(|x| x.scheduler == "all" && x.qos_class == "all").unwrap();
    assert_eq!(all.pods, 8_151);
    assert!(all.oom_kills > 0 && all.restarts >= all.oom_kills);
    assert!(all.throttled_cpu_s > 0.0);
    assert_eq!(format!("{ra:?}"), format!("{rb:?}"));
    // Limits are 2× / 1.25× the trace's requests (read from the loaded scenario: a finished
    // pod's containers are freed by the run).
    let p = &sc.arrivals[0].pod;
    assert_eq!((p.containers[0].limits.milli_cpu, p.containers[0].requests.milli_cpu), (24_000, 12_000));
    assert_eq!(p.containers[0].limits.memory, 16_384 * 1024 * 1024 * 5 / 4);
}

/// While a container waits out its back-off the pod shows as crash-looping in the samples: not
/// after the first crash (300 s, restarted at once), but for 10 s after the second (600 s).
#[test]
fn crash_looping_pods_are_counted_in_samples() {
    let spec = "  duration: 620s
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  metrics: {sampleInterval: 5s}
  runtime:
    changeInterval: 1h
    usage:
      - memory: {of: limit, constant: 0.5, growthPerHour: 6Gi}
";
    let p = pod("leaky", "", "{requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 1Gi}}", "");
    let r = simulate(spec, "16Gi", &[("p.yaml", &p)]);
    let at = |t: f64| r.recorder.samples.iter().find(|s| s.time_s == t).unwrap().pods_crash_looping;
    assert_eq!((at(295.0), at(300.0), at(305.0), at(310.0)), (0, 0, 0, 0));
    assert_eq!((at(595.0), at(600.0), at(605.0), at(610.0)), (0, 1, 1, 0));
}

/// The eviction manager evicts one pod per look, on its 10 s ticks. Four BestEffort pods start
/// at 10Mi and grow 72Mi/h on a 150Mi node (threshold 100Mi, so pressure above 50Mi used):
/// 40 + 288·t Mi crosses 50Mi at 125 s → evicted at the 130 s look; three pods, 30 + 216·t,
/// cross at 333.3 s → 340 s; two pods, 20 + 144·t, reach exactly 50Mi at 750 s (not below the
/// threshold yet) → 760 s. The condition clears 5 minutes after the last pressure (640 s).
#[test]
fn one_eviction_per_look() {
    let spec = "  duration: 20m
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    changeInterval: 1h
    usage:
      - memory: {constant: 0.05, growthPerHour: 72Mi}
";
    let pods: String = (0..4).map(|i| pod(&format!("b{i}"), "", "{}", "")).collect();
    let r = simulate(spec, "150Mi", &[("p.yaml", &pods)]);
    let mut t: Vec<i64> = r.records().unwrap().iter().filter_map(|p| p.terminating_ms).collect();
    t.sort_unstable();
    assert_eq!(t, vec![130_000, 340_000, 760_000]);
    assert_eq!(times(&r, "NodeHasSufficientMemory"), vec!["640", "1060"]);
}

/// A pod's usage does not depend on other pods' draws (each pod has its own stream): adding a
/// pod leaves another pod's OOM kills and throttling unchanged.
#[test]
fn usage_draws_are_per_pod_common_random_numbers() {
    let spec = "  duration: 6h
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  runtime:
    changeInterval: 5m
    usage:
      - cpu: {lognormal: {median: 0.8, sigma: 0.6}}
        memory: {lognormal: {median: 0.9, sigma: 0.2}}
";
    let res = "{requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: 600m, memory: 600Mi}}";
    let one = pod("watched", "", res, "");
    let two = pod("extra", "", res, "") + &one;
    let a = simulate(spec, "16Gi", &[("p.yaml", &one)]);
    let b = simulate(spec, "16Gi", &[("p.yaml", &two)]);
    let watched = |r: &RunResult| {
        let i = r.pod_results().unwrap().iter().position(|p| p.facts.name == "watched").unwrap();
        r.records().unwrap()[i].runtime
    };
    let (wa, wb) = (watched(&a), watched(&b));
    // Other pods' events split the integration differently: equal up to rounding.
    assert!((wa.throttled_cpu_s - wb.throttled_cpu_s).abs() < 1e-9 * wa.throttled_cpu_s, "{wa:?} {wb:?}");
    let strip = |mut c: capsim::metrics::RuntimeCounters| {
        c.throttled_cpu_s = 0.0;
        c
    };
    assert_eq!(strip(wa), strip(wb));
    assert!(wa.oom_kills > 0 && wa.throttled_cpu_s > 0.0 && wa.throttled_periods > 0);
}

/// API validation: a Deployment's pods must restart (`restartPolicy: Always`), a Job's must not.
#[test]
fn controller_templates_need_a_valid_restart_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("node.yaml"), NODE.replace("MEMORY", "1Gi")).unwrap();
    let scenario = "apiVersion: capsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  cluster: {nodes: [{manifest: {path: node.yaml}}], manifests: [d.yaml]}\n";
    std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: x}]\n";
    std::fs::write(dir.path().join("d.yaml"), dep).unwrap();
    let e = load(&dir.path().join("s.yaml")).unwrap_err().to_string();
    assert!(e.contains("d.yaml:7: field `spec.template.spec.restartPolicy`"), "{e}");
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n";
    std::fs::write(dir.path().join("d.yaml"), job).unwrap();
    let e = load(&dir.path().join("s.yaml")).unwrap_err().to_string();
    // Not written (it defaults to Always): the line of the template's spec.
    assert!(e.contains("d.yaml:6: field `spec.template.spec.restartPolicy`"), "{e}");
    assert!(e.contains("\"Always\"") && e.contains("\"OnFailure\", \"Never\""), "{e}");
}

/// With `restartPolicy: OnFailure`, a Job pod's container restarts count towards the Job's
/// backoffLimit: OOM kills at 300, 600 and 910 s; the third exceeds `backoffLimit: 2` and the Job
/// fails, deleting its pod.
#[test]
fn job_container_restarts_count_towards_the_backoff_limit() {
    let spec = "  duration: 1h
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: j.yaml}}]
  runtime:
    changeInterval: 2h
    usage:
      - memory: {of: limit, constant: 0.5, growthPerHour: 6Gi}
";
    let job = "apiVersion: batch/v1
kind: Job
metadata: {name: leaky, annotations: {capsim.dev/run-time: 2h}}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: c, image: x, resources: {requests: {cpu: 100m, memory: 512Mi}, limits: {memory: 1Gi}}}]
";
    let r = simulate(spec, "16Gi", &[("j.yaml", job)]);
    assert_eq!(times(&r, "OOMKilled"), vec!["300", "600", "910"]);
    assert_eq!(times(&r, "BackoffLimitExceeded"), vec!["910"]);
    let pod = r.records().unwrap().into_iter().find(|p| p.owner == "Job/default/leaky").unwrap();
    assert_eq!((pod.outcome, pod.terminating_ms), (PodOutcome::DeletedByOwner, Some(910_000)));
}

/// The back-off is forgotten when a crash comes *more than* 600 s (2 × the 300 s cap, upstream
/// `flowcontrol` `hasExpired`) after the container's last restart. Memory at half a 1 GiB limit
/// growing 3 GiB/h crashes exactly 600 s after each start: not expired, so the second crash waits
/// 10 s and the third 20 s. Growing 3000 MiB/h it crashes 614.4 s after each start: every crash
/// restarts at once, with no BackOff.
#[test]
fn the_back_off_resets_only_after_more_than_600_seconds_of_running() {
    let spec = |growth: &str| {
        format!(
            "  duration: 2000s
  cluster: {{nodes: [{{manifest: {{path: node.yaml}}}}]}}
  workload: [{{manifest: {{path: p.yaml}}}}]
  runtime:
    changeInterval: 1h
    usage:
      - cpu: {{constant: 0.5}}
        memory: {{of: limit, constant: 0.5, growthPerHour: {growth}}}
"
        )
    };
    let p = pod("leaky", "", "{requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 1Gi}}", "");
    let r = simulate(&spec("3Gi"), "16Gi", &[("p.yaml", &p)]);
    assert_eq!(times(&r, "OOMKilled"), vec!["600", "1200", "1810"]);
    assert_eq!(times(&r, "BackOff"), vec!["1200", "1810"]);
    assert_eq!(r.records().unwrap()[0].runtime.restarts, 3, "restarts at 600, 1210 and 1830 s");
    let r = simulate(&spec("3000Mi"), "16Gi", &[("p.yaml", &p)]);
    assert_eq!(times(&r, "OOMKilled"), vec!["614.4", "1228.8", "1843.2"]);
    assert!(times(&r, "BackOff").is_empty());
    assert_eq!(r.records().unwrap()[0].runtime.restarts, 3);
}

/// OOM kills, restarts and throttled CPU are sampled over time by QoS class (issue 17), and the
/// run's page charts them. The leaky Burstable container of
/// `a_growing_container_is_oom_killed_to_the_second_and_restarts_with_back_off` is killed at
/// 300, 600, 910 and 1230 s and restarted at 300, 610, 930 and 1270 s; wanting 1.5 × its 500m
/// cpu limit, it is throttled on 250m, 25 CPU-seconds per 100 s while it runs. The last sample's
/// totals are the run's (`runtime.csv`).
#[test]
fn oom_kills_restarts_and_throttling_are_sampled_over_time_by_qos_class() {
    let spec = "  duration: 1500s
  cluster: {nodes: [{manifest: {path: node.yaml}}]}
  workload: [{manifest: {path: p.yaml}}]
  metrics: {sampleInterval: 100s}
  runtime:
    changeInterval: 1h
    usage:
      - cpu: {of: limit, constant: 1.5}
        memory: {of: limit, constant: 0.5, growthPerHour: 6Gi}
";
    let p = pod("leaky", "", "{requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: 500m, memory: 1Gi}}", "");
    let r = simulate(spec, "16Gi", &[("p.yaml", &p)]);
    let rs = &r.recorder.runtime_samples;
    assert_eq!(rs.len(), r.recorder.samples.len());
    let burstable = capsim::metrics::QOS_CLASSES.iter().position(|q| q.as_str() == "Burstable").unwrap();
    let at = |t: f64| rs.iter().find(|s| s.time_s == t).unwrap().by_qos;
    let kills: Vec<u64> = [200.0, 300.0, 600.0, 900.0, 1000.0, 1200.0, 1300.0, 1500.0]
        .iter()
        .map(|&t| at(t)[burstable].oom_kills)
        .collect();
    assert_eq!(kills, [0, 1, 2, 2, 3, 3, 4, 4]);
    let restarts: Vec<u64> =
        [200.0, 300.0, 600.0, 700.0, 1000.0, 1300.0].iter().map(|&t| at(t)[burstable].restarts).collect();
    assert_eq!(restarts, [0, 1, 1, 2, 3, 4]);
    for (t, want) in [(100.0, 25.0), (200.0, 50.0), (300.0, 75.0)] {
        let got = at(t)[burstable].throttled_cpu_s;
        assert!((got - want).abs() < 1e-6, "throttled at {t} s: {got}");
    }
    for (i, _) in capsim::metrics::QOS_CLASSES.iter().enumerate().filter(|(i, _)| *i != burstable) {
        assert_eq!(rs.last().unwrap().by_qos[i], capsim::metrics::RuntimeTotals::default());
    }
    let runtime = capsim::report::summarize_runtime(&capsim::report::tally(&r).unwrap());
    let all = runtime.iter().find(|x| x.scheduler == "all" && x.qos_class == "all").unwrap();
    let last = rs.last().unwrap().by_qos[burstable];
    assert_eq!((last.oom_kills, last.restarts), (all.oom_kills, all.restarts));
    assert_eq!((all.oom_kills, all.restarts), (4, 4));
    assert!((last.throttled_cpu_s - all.throttled_cpu_s).abs() < 1e-6, "{last:?} vs {all:?}");

    // The page draws them, as SVG and PNG.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    capsim::report::write_results(&r, "scenario text", &out).unwrap();
    let svg = std::fs::read_to_string(out.join("charts/oom_kills_over_time.svg")).unwrap();
    assert!(svg.contains("OOM kills over time, by QoS class") && svg.contains(">\nBurstable\n<"), "{svg}");
    assert!(svg.contains("font-weight=\"bold\""), "the title is bold");
    let png = std::fs::read(out.join("charts/oom_kills_over_time.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    for chart in ["restarts_over_time", "throttling_over_time"] {
        assert!(
            out.join(format!("charts/{chart}.svg")).exists()
                && out.join(format!("charts/{chart}.png")).exists()
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("charts/oom_kills_over_time.svg: Containers OOM-killed since the start"));

    // A run without an OOM kill says so rather than drawing a flat line.
    let spec = spec.replace("growthPerHour: 6Gi", "growthPerHour: 0Mi");
    let r = simulate(&spec, "16Gi", &[("p.yaml", &p)]);
    let out = dir.path().join("calm");
    capsim::report::write_results(&r, "scenario text", &out).unwrap();
    let svg = std::fs::read_to_string(out.join("charts/oom_kills_over_time.svg")).unwrap();
    assert!(svg.contains("no container was OOM-killed") && !svg.contains("<polyline"), "{svg}");
}
