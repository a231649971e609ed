//! DefaultPreemption end to end: a scheduling cycle whose Filter pass finds no node runs the
//! PostFilter (`CycleOptions::run_post_filter`), which must nominate the node and evict exactly
//! the victims kube-scheduler v1.35 would (`defaultpreemption/default_preemption.go`,
//! `framework/preemption/preemption.go`).

use std::collections::BTreeMap;
use std::path::Path;

use capsim::api::convert::pdb_from_value;
use capsim::api::scheduler_config::KubeSchedulerConfiguration;
use capsim::model::{
    Cluster, IntOrPercent, LabelSelector, NodeAffinity, NodeId, NodeSelector, NodeSelectorOperator,
    NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinity, PodAffinityTerm, PodDisruptionBudget, PodId,
    PreemptionPolicy, Taint, TaintEffect,
};
use capsim::scheduler::framework::Code;
use capsim::scheduler::framework::profile::{SchedulerConfig, build};
use capsim::scheduler::framework::runner::{
    CycleOptions, CycleOutcome, CycleResult, SchedulerState, TieBreak, schedule_pod,
};
use capsim::scheduler::plugins::registry::in_tree;
use capsim::time::SimTime;
use common::builders::{bind_running, cluster_of, make_pod};
use rand::SeedableRng;

mod common;

fn pod(name: &str, priority: i32, milli_cpu: i64) -> Pod {
    make_pod(name, milli_cpu, 0).priority(priority).obj()
}

/// A cluster with `nodes` (name, cpu in millicores), in that order.
fn cluster(nodes: &[(&str, i64)]) -> Cluster {
    cluster_of(nodes)
}

/// Binds a running pod to node `on` that started at `start_ms`.
fn run(c: &mut Cluster, p: Pod, on: &str, start_ms: i64) -> PodId {
    bind_running(c, p, on, SimTime(start_ms))
}

fn opts(tie_break: TieBreak, nominated_node: Option<NodeId>) -> CycleOptions {
    CycleOptions { tie_break, record_scores: false, run_post_filter: true, nominated_node }
}

fn cycle_with(config: &SchedulerConfig, c: &Cluster, p: &Pod, o: CycleOptions) -> CycleResult {
    let profile = config.profile("default-scheduler").unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    schedule_pod(profile, p, c, &mut SchedulerState::default(), &mut rng, o)
}

/// One cycle with the default profile, deterministic tie rule, PostFilter on.
fn cycle(c: &Cluster, p: &Pod) -> CycleResult {
    cycle_with(&SchedulerConfig::default_config(in_tree()), c, p, opts(TieBreak::FirstNode, None))
}

fn fit_message(r: &CycleResult) -> String {
    match &r.outcome {
        CycleOutcome::Unschedulable(f) => f.message.clone(),
        other => panic!("expected a FitError, got {other:?}"),
    }
}

/// Asserts that preemption nominated `node` with exactly `victims` (in order).
fn assert_preempts(c: &Cluster, r: &CycleResult, node: &str, victims: &[PodId]) {
    let v = r.post_filter.as_ref().expect("PostFilter ran");
    assert_eq!(v.status.code, Code::Success, "status: {:?}", v.status);
    assert_eq!(v.nominated_node.map(|n| c.node(n).node.name.clone()), Some(node.to_string()));
    let names = |ids: &[PodId]| ids.iter().map(|p| c.pod(*p).name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&v.victims), names(victims));
    assert!(!v.clear_nomination);
}

/// Reprieve keeps every pod that can stay, most important first: with a 4-cpu node holding
/// a(prio 1, 1 cpu), b(prio 2, 2 cpu), c(prio 3, 1 cpu) and a 2-cpu preemptor, c is reprieved,
/// b cannot be, a can: only b is evicted.
#[test]
fn reprieve_keeps_the_pods_that_can_stay() {
    let mut c = cluster(&[("n1", 4000)]);
    let _a = run(&mut c, pod("a", 1, 1000), "n1", 10);
    let b = run(&mut c, pod("b", 2, 2000), "n1", 20);
    let _c = run(&mut c, pod("c", 3, 1000), "n1", 30);
    let r = cycle(&c, &pod("high", 100, 2000));
    assert_preempts(&c, &r, "n1", &[b]);
    // Success carries no message, so the FitError message has no preemption part.
    assert_eq!(fit_message(&r), "0/1 nodes are available: 1 Insufficient cpu.");
}

/// Importance among equal priorities is the start time: the pod that started earlier is
/// reprieved first, so the later one is evicted.
#[test]
fn earlier_started_pods_are_reprieved_first() {
    let mut c = cluster(&[("n1", 2000)]);
    let late = run(&mut c, pod("late", 1, 1000), "n1", 500);
    let _early = run(&mut c, pod("early", 1, 1000), "n1", 100);
    let r = cycle(&c, &pod("high", 100, 1000));
    assert_preempts(&c, &r, "n1", &[late]);
}

/// Pods of equal or higher priority are never victims: a node holding only such pods has no
/// victims, and a node where evicting only the lower ones is not enough is no candidate.
#[test]
fn equal_or_higher_priority_pods_are_never_victims() {
    let mut c = cluster(&[("n1", 2000), ("n2", 3000)]);
    run(&mut c, pod("same", 10, 1000), "n1", 1);
    run(&mut c, pod("higher", 20, 1000), "n1", 1);
    run(&mut c, pod("low", 1, 1000), "n2", 1);
    run(&mut c, pod("same2", 10, 2000), "n2", 1);
    let r = cycle(&c, &pod("p", 10, 2000));
    let v = r.post_filter.as_ref().unwrap();
    assert_eq!(v.nominated_node, None);
    assert!(v.victims.is_empty());
    assert!(v.clear_nomination);
    assert_eq!(v.status.code, Code::Unschedulable);
    assert_eq!(
        fit_message(&r),
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: \
         1 Insufficient cpu, 1 No preemption victims found for incoming pod."
    );
}

/// `preemptionPolicy: Never` preempts nothing and leaves the nomination alone.
#[test]
fn preemption_policy_never_preempts_nothing() {
    let mut c = cluster(&[("n1", 1000)]);
    run(&mut c, pod("low", 1, 1000), "n1", 1);
    let mut p = pod("p", 100, 1000);
    p.preemption_policy = PreemptionPolicy::Never;
    let r = cycle(&c, &p);
    let v = r.post_filter.as_ref().unwrap();
    assert_eq!((v.nominated_node, v.victims.len(), v.clear_nomination), (None, 0, false));
    assert_eq!(v.status.code, Code::Unschedulable);
    assert_eq!(
        fit_message(&r),
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    );
}

/// Nodes rejected as UnschedulableAndUnresolvable (an untolerated taint, a node-affinity
/// mismatch) are never candidates, even where evicting would be cheapest.
#[test]
fn unresolvable_nodes_are_never_candidates() {
    let mut c = cluster(&[("tainted", 1000), ("elsewhere", 1000), ("ok", 1000)]);
    c.node_spec_mut(0).taints.push(Taint {
        key: "k".into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    });
    c.node_spec_mut(1).labels.insert("zone".into(), "b".into());
    c.node_spec_mut(2).labels.insert("zone".into(), "a".into());
    c.node_spec_mut(0).labels.insert("zone".into(), "a".into());
    run(&mut c, pod("t-low", 1, 1000), "tainted", 1);
    run(&mut c, pod("e-low", 1, 1000), "elsewhere", 1);
    let ok_victim = run(&mut c, pod("ok-low", 50, 1000), "ok", 1);
    let mut p = pod("p", 100, 1000);
    p.node_affinity = Some(NodeAffinity {
        required: Some(NodeSelector {
            terms: vec![NodeSelectorTerm {
                match_expressions: vec![NodeSelectorRequirement {
                    key: "zone".into(),
                    operator: NodeSelectorOperator::In,
                    values: vec!["a".into()],
                }],
                match_fields: Vec::new(),
            }],
        }),
        preferred: Vec::new(),
    });
    let r = cycle(&c, &p);
    assert_preempts(&c, &r, "ok", &[ok_victim]);

    // Only unresolvable nodes: preemption is not helpful anywhere.
    let mut c2 = c.clone();
    c2.node_spec_mut(2).taints.push(Taint {
        key: "k".into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    });
    let r = cycle(&c2, &p);
    let v = r.post_filter.as_ref().unwrap();
    assert_eq!((v.nominated_node, v.clear_nomination), (None, true));
    assert!(
        fit_message(&r)
            .ends_with(" preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."),
        "{}",
        fit_message(&r)
    );
}

/// Builds the tie-break cases: every node is full, the preemptor needs a whole node, so every
/// pod of a node is a victim there. `nodes` lists, per node, its pods as (priority, start ms).
fn whole_node_case(nodes: &[&[(i32, i64)]]) -> (Cluster, Vec<Vec<PodId>>) {
    let names: Vec<String> = (1..=nodes.len()).map(|i| format!("n{i}")).collect();
    let spec: Vec<(&str, i64)> = names.iter().map(|n| (n.as_str(), 1000)).collect();
    let mut c = cluster(&spec);
    let mut ids = Vec::new();
    for (i, pods) in nodes.iter().enumerate() {
        let share = 1000 / pods.len() as i64;
        let mut on = Vec::new();
        for (j, (prio, start)) in pods.iter().enumerate() {
            on.push(run(&mut c, pod(&format!("v{}-{j}", i + 1), *prio, share), &names[i], *start));
        }
        ids.push(on);
    }
    (c, ids)
}

fn whole_node_preemptor() -> Pod {
    pod("preemptor", 1_000_000_000, 1000)
}

/// Rule 2: the node whose most important victim has the lowest priority wins, even with more
/// victims and a larger priority sum.
#[test]
fn lowest_highest_victim_priority_wins() {
    let (c, ids) = whole_node_case(&[&[(5, 1)], &[(3, 1), (3, 1)]]);
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n2", &ids[1]);
}

/// Rule 3: same highest priority, the smaller sum of priorities wins.
#[test]
fn smallest_priority_sum_wins() {
    let (c, ids) = whole_node_case(&[&[(5, 1), (4, 1)], &[(5, 1), (1, 1)]]);
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n2", &ids[1]);
}

/// Rule 3 adds 2³¹ per victim: two victims of priority −5 cost more than one.
#[test]
fn priority_sum_counts_negative_priorities_per_victim() {
    let (c, ids) = whole_node_case(&[&[(-5, 1), (-5, 1)], &[(-5, 1)]]);
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n2", &ids[1]);
}

/// Rule 4: equal highest priority and equal sums (with the 2³¹ offset), fewer victims win.
#[test]
fn fewest_victims_win() {
    let (c, ids) = whole_node_case(&[
        &[(200_000_000, 1), (-1_000_000_000, 1), (-1_000_000_000, 1)],
        &[(200_000_000, 1), (147_483_648, 1)],
    ]);
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n2", &ids[1]);
}

/// Rule 5: the node whose highest-priority victims started latest (judged by the earliest of
/// them) wins; lower-priority victims' start times do not count.
#[test]
fn latest_start_of_highest_priority_victims_wins() {
    let (c, ids) = whole_node_case(&[&[(5, 300), (5, 100)], &[(5, 200), (5, 250)], &[(5, 150), (5, 50)]]);
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n2", &ids[1]);
    let (c, ids) = whole_node_case(&[&[(5, 100), (1, 900)], &[(5, 200), (1, 1)]]);
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n2", &ids[1]);
}

/// Rule 6: all else equal, the first candidate in dry-run order (deterministic reading); with a
/// seed, one of the tied nodes, the same one for the same seed.
#[test]
fn full_tie_takes_the_first_node_or_a_seeded_draw() {
    let (c, ids) = whole_node_case(&[&[(5, 1)], &[(5, 1)], &[(5, 1)]]);
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n1", &ids[0]);
    let config = SchedulerConfig::default_config(in_tree());
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let profile = config.profile("default-scheduler").unwrap();
        let draw = |s: u64| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(s);
            let o = opts(TieBreak::Random, None);
            schedule_pod(profile, &whole_node_preemptor(), &c, &mut SchedulerState::default(), &mut rng, o)
        };
        let a = draw(seed).post_filter.unwrap();
        let b = draw(seed).post_filter.unwrap();
        assert_eq!(a, b, "same seed, same verdict");
        let n = a.nominated_node.unwrap();
        assert_eq!(a.victims, ids[n as usize]);
        seen.insert(n);
    }
    assert_eq!(seen.len(), 3, "every tied node is drawn for some seed");
}

fn pdb(selector: &[(&str, &str)], disruptions_allowed: Option<i32>) -> PodDisruptionBudget {
    PodDisruptionBudget {
        namespace: "default".into(),
        name: "budget".into(),
        selector: Some(LabelSelector {
            match_labels: selector.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            match_expressions: Vec::new(),
        }),
        min_available: Some(IntOrPercent::Int(1)),
        max_unavailable: None,
        disruptions_allowed,
        disrupted_pods: Vec::new(),
    }
}

/// Rule 1: a PodDisruptionBudget with no disruption left makes the node whose victim it covers
/// lose to a node with a more important (but unprotected) victim — whether the budget's status
/// is given or computed (minAvailable 1 over its one running pod allows 0).
#[test]
fn pdb_violation_makes_the_other_node_win() {
    let build = |budget: Option<PodDisruptionBudget>| {
        let mut c = cluster(&[("n1", 1000), ("n2", 1000)]);
        let mut a = pod("a", 1, 1000);
        a.labels.insert("app".into(), "db".into());
        let a = run(&mut c, a, "n1", 1);
        let b = run(&mut c, pod("b", 5, 1000), "n2", 1);
        if let Some(budget) = budget {
            c.add_pdb(budget);
        }
        (c, a, b)
    };
    let (c, a, _) = build(None);
    assert_preempts(&c, &cycle(&c, &whole_node_preemptor()), "n1", &[a]);
    for allowed in [Some(0), None] {
        let (c, _, b) = build(Some(pdb(&[("app", "db")], allowed)));
        let r = cycle(&c, &whole_node_preemptor());
        assert_preempts(&c, &r, "n2", &[b]);
        assert_eq!(r.post_filter.unwrap().num_pdb_violations, 0);
    }
    // A budget that still allows a disruption does not protect the pod.
    let (c, a, _) = build(Some(pdb(&[("app", "db")], Some(1))));
    assert_preempts(&c, &cycle(&c, &whole_node_preemptor()), "n1", &[a]);
}

/// When every candidate violates a budget, the violation is reported with the victims.
#[test]
fn pdb_violations_are_counted_on_the_chosen_node() {
    let mut c = cluster(&[("n1", 1000)]);
    let mut v = pod("v", 1, 1000);
    v.labels.insert("app".into(), "db".into());
    let v = run(&mut c, v, "n1", 1);
    c.add_pdb(pdb(&[("app", "db")], Some(0)));
    let r = cycle(&c, &whole_node_preemptor());
    assert_preempts(&c, &r, "n1", &[v]);
    assert_eq!(r.post_filter.unwrap().num_pdb_violations, 1);
}

/// Reprieve tries PDB-violating pods first: the protected pod stays even though it is less
/// important than the unprotected one, which is evicted instead.
#[test]
fn pdb_protected_pods_are_reprieved_first() {
    let mut c = cluster(&[("n1", 2000)]);
    let mut protected = pod("protected", 1, 1000);
    protected.labels.insert("app".into(), "db".into());
    run(&mut c, protected, "n1", 500);
    let other = run(&mut c, pod("other", 1, 1000), "n1", 100);
    c.add_pdb(pdb(&[("app", "db")], Some(0)));
    let r = cycle(&c, &pod("high", 100, 1000));
    assert_preempts(&c, &r, "n1", &[other]);
    assert_eq!(r.post_filter.unwrap().num_pdb_violations, 0);
}

/// Preemption helps with more than resources: a low-priority pod matching the preemptor's
/// required anti-affinity (resolvable, Unschedulable) is evicted, re-running PreFilter without it.
#[test]
fn anti_affinity_conflicts_are_preempted() {
    let mut c = cluster(&[("n1", 4000)]);
    let mut low = pod("low", 1, 100);
    low.labels.insert("app".into(), "x".into());
    let low = run(&mut c, low, "n1", 1);
    run(&mut c, pod("bystander", 1, 100), "n1", 1);
    let mut p = pod("p", 100, 100);
    p.pod_anti_affinity = Some(PodAffinity {
        required: vec![PodAffinityTerm {
            selector: Some(LabelSelector {
                match_labels: BTreeMap::from([("app".to_string(), "x".to_string())]),
                match_expressions: Vec::new(),
            }),
            namespaces: Vec::new(),
            namespace_selector: None,
            topology_key: capsim::names::LABEL_HOSTNAME.into(),
        }],
        preferred: Vec::new(),
    });
    let r = cycle(&c, &p);
    assert_preempts(&c, &r, "n1", &[low]);
}

/// A pod whose nominated node still holds a lower-priority pod terminating because of an
/// earlier preemption waits (not eligible), unless that node became UnschedulableAndUnresolvable.
#[test]
fn nominated_node_with_terminating_victims_waits() {
    let mut c = cluster(&[("n1", 1000), ("n2", 1000)]);
    let gone = run(&mut c, pod("gone", 1, 1000), "n1", 1);
    run(&mut c, pod("other", 1, 1000), "n2", 1);
    c.mark_preempted(gone);
    let p = whole_node_preemptor();
    let config = SchedulerConfig::default_config(in_tree());
    let r = cycle_with(&config, &c, &p, opts(TieBreak::FirstNode, Some(0)));
    let v = r.post_filter.as_ref().unwrap();
    assert_eq!((v.nominated_node, v.clear_nomination, v.status.code), (None, false, Code::Unschedulable));
    assert!(
        fit_message(&r)
            .ends_with(" preemption: not eligible due to a terminating pod on the nominated node.")
    );

    // Without a nomination the pod may preempt; victims already terminating are still listed.
    let r = cycle_with(&config, &c, &p, opts(TieBreak::FirstNode, None));
    assert_preempts(&c, &r, "n1", &[gone]);

    // The nominated node now rejects the pod for good (a taint): eligible again.
    c.node_spec_mut(0).taints.push(Taint {
        key: "k".into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    });
    let r = cycle_with(&config, &c, &p, opts(TieBreak::FirstNode, Some(0)));
    assert_eq!(r.post_filter.as_ref().unwrap().nominated_node, Some(1));
}

/// The dry run stops once it has `max(n·pct/100, abs)` candidates with at least one free of
/// PDB violations: with `minCandidateNodesAbsolute: 1` only the first potential node is tried,
/// although the second would be a better choice.
#[test]
fn dry_run_stops_at_the_candidate_count() {
    let (c, ids) = whole_node_case(&[&[(5, 1)], &[(1, 1)]]);
    let cfg: KubeSchedulerConfiguration = serde_json::from_value(serde_json::json!({"profiles": [{
        "pluginConfig": [{"name": "DefaultPreemption", "args": {
            "minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 1}}]}]}))
    .unwrap();
    let config = build(&cfg, in_tree()).unwrap();
    let r = cycle_with(&config, &c, &whole_node_preemptor(), opts(TieBreak::FirstNode, None));
    assert_preempts(&c, &r, "n1", &ids[0]);
    // With the defaults both nodes are tried and the second wins.
    assert_preempts(&c, &cycle(&c, &whole_node_preemptor()), "n2", &ids[1]);
}

/// PostFilter runs only when asked: the default cycle options leave the FitError as it was.
#[test]
fn post_filter_runs_only_when_asked() {
    let mut c = cluster(&[("n1", 1000)]);
    run(&mut c, pod("low", 1, 1000), "n1", 1);
    let config = SchedulerConfig::default_config(in_tree());
    let mut o = opts(TieBreak::FirstNode, None);
    o.run_post_filter = false;
    let r = cycle_with(&config, &c, &pod("p", 100, 1000), o);
    assert!(r.post_filter.is_none());
    assert_eq!(fit_message(&r), "0/1 nodes are available: 1 Insufficient cpu.");
}

/// `PodDisruptionBudget` objects convert from their untyped YAML form, with upstream validation.
#[test]
fn pdb_objects_convert() {
    let path = Path::new("pdb.yaml");
    let v = serde_json::json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "db", "namespace": "prod"},
        "spec": {"maxUnavailable": "25%", "selector": {"matchLabels": {"app": "db"}}},
        "status": {"disruptionsAllowed": 2, "disruptedPods": {"db-0": "2024-01-01T00:00:00Z"}}
    });
    let p = pdb_from_value("PodDisruptionBudget", &v, path, 3).unwrap().unwrap();
    assert_eq!(p.namespace, "prod");
    assert_eq!(p.max_unavailable, Some(IntOrPercent::Percent(25)));
    assert_eq!(p.min_available, None);
    assert_eq!(p.disruptions_allowed, Some(2));
    assert_eq!(p.disrupted_pods, vec!["db-0".to_string()]);
    assert!(pdb_from_value("Service", &v, path, 3).unwrap().is_none());
    let both = serde_json::json!({"kind": "PodDisruptionBudget", "metadata": {"name": "x"},
        "spec": {"minAvailable": 1, "maxUnavailable": 1}});
    assert!(
        pdb_from_value("PodDisruptionBudget", &both, path, 1)
            .unwrap_err()
            .to_string()
            .contains("cannot be both set")
    );
    let bad = serde_json::json!({"kind": "PodDisruptionBudget", "metadata": {"name": "x"},
        "spec": {"minAvailable": "150%"}});
    assert!(pdb_from_value("PodDisruptionBudget", &bad, path, 1).is_err());
    let bad = serde_json::json!({"kind": "PodDisruptionBudget", "metadata": {"name": "x"},
        "spec": {"minAvailable": "half"}});
    assert!(pdb_from_value("PodDisruptionBudget", &bad, path, 1).is_err());
}
