//! The run loop on small hand-built scenarios: retries on cluster changes, PrioritySort order,
//! pending-time accounting and the time-weighted allocation.

mod common;

use capsim::metrics::PodOutcome;
use capsim::model::resources::Resources;
use capsim::model::{Node, simple_pod};
use capsim::scheduler::plugins::registry::in_tree;
use capsim::sim::engine::run;
use capsim::time::SimTime;
use capsim::workload::Arrival;
use common::builders::{self, make_node, make_pod, scenario_of};

fn node(name: &str, cpu: i64) -> Node {
    make_node(name, cpu, 16 << 30).obj()
}

fn arrival(name: &str, cpu: i64, priority: i32, created_s: i64, deleted_s: Option<i64>) -> Arrival {
    builders::arrival(make_pod(name, cpu, 1 << 30).priority(priority).obj(), created_s, deleted_s)
}

#[test]
fn pending_pod_is_retried_when_room_frees_and_priority_decides_who_goes_first() {
    // One 4-core node. `big` (priority 100, so nobody can preempt it) holds 3 cores from 0 s to
    // 100 s. `low` (priority 0, created 10 s) and `high` (priority 10, created 20 s) each need 3
    // cores: both wait; when `big` leaves, PrioritySort pops `high` first; `low` waits until
    // `high` leaves at 150 s (and cannot preempt it).
    let sc = scenario_of(
        vec![node("n1", 4000)],
        vec![
            arrival("big", 3000, 100, 0, Some(100)),
            arrival("low", 3000, 0, 10, Some(400)),
            arrival("high", 3000, 10, 20, Some(150)),
        ],
    );
    let r = run(&sc, 1).unwrap();
    let rec = &r.records().unwrap();
    assert_eq!(rec[0].scheduled_ms, Some(0));
    assert_eq!(rec[2].scheduled_ms, Some(100_000), "high goes first at 100 s");
    assert_eq!(rec[1].scheduled_ms, Some(150_000), "low goes when high leaves");
    assert!(rec.iter().all(|p| p.outcome == PodOutcome::Scheduled));
    assert_eq!(
        rec[1].last_reason,
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
    assert_eq!(rec[1].attempts, 3, "tried at 10 s, at 100 s (lost to high), at 150 s");
    // Pending times 0, 140 s and 80 s.
    let (s, _) = capsim::report::summarize(&r, &capsim::report::tally(&r).unwrap());
    assert_eq!(s.pending_max_s, 140.0);
    assert_eq!(r.end, SimTime::from_secs(400));
    // cpu 75% requested during [0,100) ∪ [100,150) ∪ [150,400): mean over 400 s is 0.75.
    assert_eq!(s.cpu_allocated_mean, 0.75);
    assert_eq!(s.cpu_allocated_peak, 0.75);
}

#[test]
fn pod_deleted_while_pending_leaves_the_queue() {
    let sc = scenario_of(
        vec![node("n1", 1000)],
        vec![arrival("a", 1000, 0, 0, Some(50)), arrival("b", 1000, 0, 5, Some(20))],
    );
    let r = run(&sc, 1).unwrap();
    assert_eq!(r.records().unwrap()[1].outcome, PodOutcome::DeletedWhilePending);
    assert_eq!(r.records().unwrap()[1].deleted_ms, Some(20_000));
    assert_eq!(r.records().unwrap()[1].attempts, 1);
}

#[test]
fn pod_that_never_fits_stays_pending_with_its_reason() {
    let sc = scenario_of(vec![node("n1", 1000), node("n2", 1000)], vec![arrival("huge", 8000, 0, 0, None)]);
    let r = run(&sc, 1).unwrap();
    let p = &r.records().unwrap()[0];
    assert_eq!(p.outcome, PodOutcome::Pending);
    assert_eq!(
        p.last_reason,
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    );
    let (s, _) = capsim::report::summarize(&r, &capsim::report::tally(&r).unwrap());
    assert_eq!((s.pods_never_scheduled, s.pods_scheduled), (1, 0));
}

#[test]
fn time_series_samples_every_interval_until_the_last_event() {
    let sc = scenario_of(vec![node("n1", 4000)], vec![arrival("a", 2000, 0, 30, Some(150))]);
    let r = run(&sc, 1).unwrap();
    let times: Vec<f64> = r.recorder.samples.iter().map(|s| s.time_s).collect();
    assert_eq!(times, vec![0.0, 60.0, 120.0, 150.0]);
    let cpu: Vec<f64> = r.recorder.samples.iter().map(|s| s.cpu_allocated).collect();
    assert_eq!(cpu, vec![0.0, 0.5, 0.5, 0.0]);
}

#[test]
fn a_sample_sees_the_state_after_its_instant_and_a_horizon_extends_the_run() {
    // Both pods arrive at 0 s; the 0 s sample is taken after they are scheduled.
    let mut sc = scenario_of(
        vec![node("n1", 4000)],
        vec![arrival("a", 1000, 0, 0, None), arrival("b", 1000, 0, 0, None)],
    );
    sc.horizon = Some(SimTime::from_secs(150));
    let r = run(&sc, 1).unwrap();
    let rows: Vec<(f64, usize, usize, f64)> = r
        .recorder
        .samples
        .iter()
        .map(|s| (s.time_s, s.pods_running, s.pods_pending, s.cpu_allocated))
        .collect();
    assert_eq!(rows, vec![(0.0, 2, 0, 0.5), (60.0, 2, 0, 0.5), (120.0, 2, 0, 0.5), (150.0, 2, 0, 0.5)]);
    assert_eq!(r.end, SimTime::from_secs(150));
}

#[test]
fn pods_arriving_after_the_horizon_are_not_created() {
    let mut sc = scenario_of(
        vec![node("n1", 4000)],
        vec![arrival("a", 1000, 0, 0, None), arrival("late", 1000, 0, 500, None)],
    );
    sc.horizon = Some(SimTime::from_secs(100));
    let r = run(&sc, 1).unwrap();
    assert_eq!(r.records().unwrap()[1].outcome, PodOutcome::NotCreated);
    let (s, _) = capsim::report::summarize(&r, &capsim::report::tally(&r).unwrap());
    assert_eq!((s.pods_total, s.pods_created, s.pods_scheduled), (2, 1, 1));
}

#[test]
fn unschedulable_pods_are_retried_by_the_five_minute_flush_while_the_workload_goes_on() {
    // `huge` never fits. It fails at 0 s; the 30 s flush ticks move it after more than 5 minutes
    // in the pool (at 330 s, 660 s, 990 s); `b` arriving at 1000 s is not a cluster change, and
    // once no workload event is left the run ends instead of retrying forever.
    let sc = scenario_of(
        vec![node("n1", 1000)],
        vec![arrival("huge", 8000, 0, 0, None), arrival("b", 500, 0, 1000, None)],
    );
    let r = run(&sc, 1).unwrap();
    assert_eq!(r.records().unwrap()[0].attempts, 4);
    assert_eq!(r.records().unwrap()[0].outcome, PodOutcome::Pending);
    assert_eq!(r.records().unwrap()[1].scheduled_ms, Some(1_000_000));
    assert_eq!(r.end, SimTime::from_secs(1000));
}

#[test]
fn a_higher_priority_pod_preempts_and_binds_to_its_nominated_node_after_the_grace_period() {
    // `low` (priority 0) fills the node; `high` (priority 100) arrives at 10 s, preempts it, is
    // nominated to n1, and binds when `low` has terminated 30 s later (the default grace period).
    let sc = scenario_of(
        vec![node("n1", 4000)],
        vec![arrival("low", 3000, 0, 0, None), arrival("high", 3000, 100, 10, None)],
    );
    let r = run(&sc, 1).unwrap();
    let (low, high) = (&r.records().unwrap()[0], &r.records().unwrap()[1]);
    assert_eq!((low.outcome, low.deleted_ms), (PodOutcome::Preempted, Some(40_000)));
    assert_eq!((high.outcome, high.scheduled_ms), (PodOutcome::Scheduled, Some(40_000)));
    let events: Vec<(String, &str, &str)> =
        r.recorder.kube_events.iter().map(|e| (e.time_s.clone(), e.reason, e.object.as_str())).collect();
    assert_eq!(
        events,
        vec![
            ("0".to_string(), "Scheduled", "Pod/default/low"),
            ("10".to_string(), "FailedScheduling", "Pod/default/high"),
            ("10".to_string(), "Preempted", "Pod/default/low"),
            ("40".to_string(), "Scheduled", "Pod/default/high"),
        ]
    );
    let (s, _) = capsim::report::summarize(&r, &capsim::report::tally(&r).unwrap());
    // Both were bound by the scheduler; low was then preempted.
    assert_eq!((s.pods_preempted, s.preemptions, s.pods_scheduled), (1, 1, 2));
}

#[test]
fn a_pod_with_preemption_policy_never_waits_instead() {
    let mut high = arrival("high", 3000, 100, 10, None);
    high.pod.preemption_policy = capsim::model::PreemptionPolicy::Never;
    let sc = scenario_of(vec![node("n1", 4000)], vec![arrival("low", 3000, 0, 0, Some(60)), high]);
    let r = run(&sc, 1).unwrap();
    assert_eq!(r.records().unwrap()[0].outcome, PodOutcome::Scheduled, "low is never preempted");
    assert_eq!(r.records().unwrap()[1].scheduled_ms, Some(60_000), "high waits for low to leave");
    assert_eq!(r.recorder.preemptions, 0);
}

#[test]
fn two_scheduler_processes_race_and_the_kubelet_rejects_the_loser() {
    use capsim::scenario::SchedulerProcess;
    // Two processes, each serving one schedulerName, with a 5 s informer delay. Both see the
    // 4-core node free at 0 s and bind a 3-core pod to it; the second binding reaches a full node
    // and the kubelet rejects it with OutOfcpu. A third pod for process B, created at 10 s, sees
    // the node full through B's synced cache and waits instead.
    let config = |name: &str| {
        let cfg: capsim::api::scheduler_config::KubeSchedulerConfiguration = serde_json::from_value(
            serde_json::json!({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration", "profiles": [{"schedulerName": name}]}),
        )
        .unwrap();
        capsim::scheduler::framework::profile::build(&cfg, in_tree()).unwrap()
    };
    let mut a = arrival("a", 3000, 0, 0, None);
    a.pod.scheduler_name = "sched-a".into();
    let mut b = arrival("b", 3000, 0, 0, None);
    b.pod.scheduler_name = "sched-b".into();
    let mut c = arrival("c", 3000, 0, 10, None);
    c.pod.scheduler_name = "sched-b".into();
    let mut sc = scenario_of(vec![node("n1", 4000)], vec![a, b, c]);
    sc.processes = vec![
        SchedulerProcess {
            name: "A".into(),
            scheduler: config("sched-a"),
            informer_delay: SimTime::from_secs(5),
            cycle_latency: SimTime::ZERO,
        },
        SchedulerProcess {
            name: "B".into(),
            scheduler: config("sched-b"),
            informer_delay: SimTime::from_secs(5),
            cycle_latency: SimTime::ZERO,
        },
    ];
    let r = run(&sc, 1).unwrap();
    let p = &r.records().unwrap();
    assert_eq!(p[0].outcome, PodOutcome::Scheduled);
    assert_eq!(p[1].outcome, PodOutcome::RejectedByKubelet);
    assert!(p[1].last_reason.contains("cpu"), "{}", p[1].last_reason);
    assert_eq!(p[2].outcome, PodOutcome::Pending, "B's cache has seen a's binding by 10 s");
    assert!(r.recorder.kube_events.iter().any(|e| e.reason == "OutOfcpu" && e.object == "Pod/default/b"));
    let (s, _) = capsim::report::summarize(&r, &capsim::report::tally(&r).unwrap());
    assert_eq!((s.pods_scheduled, s.pods_rejected_by_kubelet, s.pods_never_scheduled), (1, 1, 1));
}

#[test]
fn a_cycle_latency_spaces_out_scheduling() {
    // Three pods at 0 s, 100 ms per cycle: bound at 0, 0.1 and 0.2 s.
    let mut sc = scenario_of(
        vec![node("n1", 4000)],
        vec![arrival("a", 100, 0, 0, None), arrival("b", 100, 0, 0, None), arrival("c", 100, 0, 0, None)],
    );
    sc.cycle_latency = SimTime(100);
    let r = run(&sc, 1).unwrap();
    let t: Vec<Option<i64>> = r.records().unwrap().iter().map(|p| p.scheduled_ms).collect();
    assert_eq!(t, vec![Some(0), Some(100), Some(200)]);
}

#[test]
fn a_run_cut_at_a_horizon_reports_pending_nominations() {
    let mut sc = scenario_of(
        vec![node("n1", 4000)],
        vec![arrival("low", 3000, 0, 0, None), arrival("high", 3000, 100, 10, None)],
    );
    sc.horizon = Some(SimTime::from_secs(20));
    let r = run(&sc, 1).unwrap();
    assert_eq!(r.nominated, vec![(1, 0)], "high waits for low's grace period, nominated to n1");
}

/// A ReplicaSet creates at most 500 pods per sync (upstream `burstReplicas`) and syncs again
/// at once: 1,200 replicas all exist at time 0.
#[test]
fn a_replicaset_creates_more_than_one_burst_at_once() {
    use capsim::controllers::replicaset::ReplicaSet;
    let mut sc = scenario_of(vec![node("n1", 1_000_000), node("n2", 1_000_000)], vec![]);
    for n in &mut sc.nodes {
        n.allocatable.pods = 1_000;
    }
    sc.dynamics.replicasets.push(ReplicaSet {
        namespace: "default".into(),
        name: "web-abc".into(),
        deployment: Some("web".into()),
        controller_deployment: None,
        replicas: 1_200,
        template: simple_pod("web", Resources { milli_cpu: 100, memory: 1 << 20, ..Default::default() }),
        created: SimTime::ZERO,
    });
    sc.horizon = Some(SimTime::from_secs(60));
    let r = run(&sc, 1).unwrap();
    let scheduled: Vec<_> =
        r.records().unwrap().into_iter().filter(|p| p.outcome == PodOutcome::Scheduled).collect();
    assert_eq!(scheduled.len(), 1_200);
    assert!(scheduled.iter().all(|p| p.scheduled_ms == Some(0) && p.owner == "ReplicaSet/default/web-abc"));
    let last = r.recorder.samples.last().unwrap();
    assert_eq!((last.pods_created, last.pods_running), (1_200, 1_200));
}
