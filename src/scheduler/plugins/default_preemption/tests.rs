//! Unit tests of DefaultPreemption's pieces: candidate count, PDB grouping, node choice, messages,
//! victim selection on a scratch cluster.

use super::*;
use crate::model::{
    ContainerPort, IntOrPercent, LabelSelector, Labels, Node, PodDisruptionBudget, PodId, Resources,
    simple_pod,
};
use crate::scheduler::framework::profile::SchedulerConfig;

fn node(name: &str, milli_cpu: i64) -> Node {
    let r = Resources { milli_cpu, memory: 1 << 30, pods: 110, ..Default::default() };
    Node {
        name: name.into(),
        labels: Labels::new(),
        taints: Vec::new(),
        unschedulable: false,
        allocatable: r.clone(),
        capacity: r,
        images: Vec::new(),
    }
}

fn pod(name: &str, priority: i32, milli_cpu: i64, labels: &[(&str, &str)]) -> Pod {
    let mut p = simple_pod(name, Resources { milli_cpu, ..Default::default() });
    p.priority = priority;
    p.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    p
}

fn add(c: &mut Cluster, p: Pod, on: Option<NodeId>, start: Option<i64>) -> PodId {
    let id = c.add_pod(p);
    if let Some(n) = on {
        c.bind(id, n).unwrap();
    }
    if let Some(s) = start {
        c.set_start_time(id, s);
    }
    id
}

fn budget(ns: &str, selector: Option<&[(&str, &str)]>) -> PodDisruptionBudget {
    PodDisruptionBudget {
        namespace: ns.into(),
        name: "b".into(),
        selector: selector.map(|s| LabelSelector {
            match_labels: s.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            match_expressions: Vec::new(),
        }),
        min_available: None,
        max_unavailable: None,
        disruptions_allowed: None,
        disrupted_pods: Vec::new(),
    }
}

#[test]
fn candidate_count_is_percentage_or_absolute_capped_at_nodes() {
    let d = DefaultPreemption::new(&serde_json::Value::Null).unwrap();
    assert_eq!(d.calculate_num_candidates(50), 50);
    assert_eq!(d.calculate_num_candidates(500), 100);
    assert_eq!(d.calculate_num_candidates(2000), 200);
    let d = DefaultPreemption::new(&serde_json::json!({"minCandidateNodesPercentage": 50,
        "minCandidateNodesAbsolute": 1}))
    .unwrap();
    assert_eq!(d.calculate_num_candidates(10), 5);
    assert_eq!(d.calculate_num_candidates(1), 1);
    let d = DefaultPreemption::new(&serde_json::json!({"minCandidateNodesPercentage": 5,
        "minCandidateNodesAbsolute": 0}))
    .unwrap();
    assert_eq!(d.calculate_num_candidates(10), 0);
}

/// Budgets are charged greedily in the order given; a pod is violating when any budget covering
/// it goes below zero. Pods without labels, of another namespace, listed in `disruptedPods`, or
/// under an empty or missing selector are not charged.
#[test]
fn pdb_grouping_charges_budgets_in_order() {
    let mut c = Cluster::new();
    let n = c.add_node(node("n", 10_000)).unwrap();
    let p1 = add(&mut c, pod("p1", 1, 1, &[("app", "db")]), Some(n), None);
    let p2 = add(&mut c, pod("p2", 1, 1, &[("app", "db")]), Some(n), None);
    let p3 = add(&mut c, pod("p3", 1, 1, &[("app", "db"), ("tier", "x")]), Some(n), None);
    let bare = add(&mut c, pod("bare", 1, 1, &[]), Some(n), None);
    let mut other_ns = pod("p4", 1, 1, &[("app", "db")]);
    other_ns.namespace = "other".into();
    let p4 = add(&mut c, other_ns, Some(n), None);
    let p5 = add(&mut c, pod("p5", 1, 1, &[("app", "db")]), Some(n), None);

    let db = budget("default", Some(&[("app", "db")]));
    let tier = budget("default", Some(&[("tier", "x")]));
    let mut db_disrupted = budget("default", Some(&[("app", "db")]));
    db_disrupted.disrupted_pods = vec!["p5".into()];
    let pods = [p1, p2, p3, bare, p4, p5];

    let (v, nv) = filter_pods_with_pdb_violation(&pods, &c, &[(&db, 1)]);
    assert_eq!(v, vec![p2, p3, p5]);
    assert_eq!(nv, vec![p1, bare, p4]);

    // p3 is also under `tier`, which has room: still violating through `db`.
    let (v, _) = filter_pods_with_pdb_violation(&pods, &c, &[(&tier, 5), (&db, 2)]);
    assert_eq!(v, vec![p3, p5]);

    // p5 was already disrupted: not charged.
    let (v, _) = filter_pods_with_pdb_violation(&pods, &c, &[(&db_disrupted, 2)]);
    assert_eq!(v, vec![p3]);

    // Empty and missing selectors protect nothing for the scheduler.
    let empty = budget("default", Some(&[]));
    let missing = budget("default", None);
    let (v, _) = filter_pods_with_pdb_violation(&pods, &c, &[(&empty, 0), (&missing, 0)]);
    assert!(v.is_empty());
}

/// The disruption controller's arithmetic over bound pods.
#[test]
fn computed_disruptions_allowed_follows_the_controller() {
    let mut c = Cluster::new();
    let n = c.add_node(node("n", 10_000)).unwrap();
    for i in 0..4 {
        add(&mut c, pod(&format!("db-{i}"), 0, 1, &[("app", "db")]), Some(n), None);
    }
    add(&mut c, pod("pending", 0, 1, &[("app", "db")]), None, None);
    let t = add(&mut c, pod("db-t", 0, 1, &[("app", "db")]), Some(n), None);
    c.mark_preempted(t);
    let mut b = budget("default", Some(&[("app", "db")]));
    // 4 healthy, 5 bound (one terminating).
    b.min_available = Some(IntOrPercent::Int(3));
    assert_eq!(b.computed_disruptions_allowed(&c), 1);
    b.min_available = Some(IntOrPercent::Percent(50)); // ⌈2.5⌉ = 3
    assert_eq!(b.computed_disruptions_allowed(&c), 1);
    b.min_available = None;
    b.max_unavailable = Some(IntOrPercent::Percent(50)); // desired 5 − 3 = 2
    assert_eq!(b.computed_disruptions_allowed(&c), 2);
    b.max_unavailable = Some(IntOrPercent::Int(0));
    assert_eq!(b.computed_disruptions_allowed(&c), 0);
    b.max_unavailable = None;
    assert_eq!(b.computed_disruptions_allowed(&c), 0, "neither set: expected 0");
    b.disruptions_allowed = Some(7);
    assert_eq!(b.effective_disruptions_allowed(&c), 7);
    // An empty selector selects the whole namespace for the controller.
    let mut all = budget("default", Some(&[]));
    all.min_available = Some(IntOrPercent::Int(0));
    assert_eq!(all.computed_disruptions_allowed(&c), 4);
}

/// Per candidate node: its victims as (priority, start time), and its PDB violations.
type CandidateSpec<'a> = (&'a [(i32, Option<i64>)], usize);

fn cands(c: &mut Cluster, nodes: &[CandidateSpec<'_>]) -> Vec<Candidate> {
    nodes
        .iter()
        .enumerate()
        .map(|(i, (victims, pdb))| Candidate {
            node: i as NodeId,
            victims: victims
                .iter()
                .enumerate()
                .map(|(j, (prio, start))| add(c, pod(&format!("v{i}-{j}"), *prio, 1, &[]), None, *start))
                .collect(),
            num_pdb_violations: *pdb,
        })
        .collect()
}

/// Each rule of `pickOneNodeForPreemption` decides when the earlier ones tie.
#[test]
fn node_choice_applies_the_rules_in_order() {
    let mut c = Cluster::new();
    let s = Some(1);
    // 1. fewest PDB violations, despite worse everything else.
    let k = cands(&mut c, &[(&[(1, s)], 1), (&[(9, s), (9, s)], 0)]);
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 1);
    // 2. lowest highest priority.
    let k = cands(&mut c, &[(&[(5, s)], 0), (&[(4, s), (4, s), (4, s)], 0)]);
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 1);
    // 3. smallest Σ(priority + 2³¹).
    let k = cands(&mut c, &[(&[(5, s), (5, s)], 0), (&[(5, s), (2, s)], 0)]);
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 1);
    let k = cands(&mut c, &[(&[(-7, s), (-7, s)], 0), (&[(-7, s)], 0)]);
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 1);
    // 4. fewest victims (equal sums thanks to the offset).
    let k = cands(
        &mut c,
        &[
            (&[(200_000_000, s), (-1_000_000_000, s), (-1_000_000_000, s)], 0),
            (&[(200_000_000, s), (147_483_648, s)], 0),
        ],
    );
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 1);
    // 5. latest earliest-start among the highest-priority victims; no start time = now.
    let k = cands(&mut c, &[(&[(5, Some(10)), (3, Some(99))], 0), (&[(5, Some(20)), (3, Some(0))], 0)]);
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 1);
    let k = cands(&mut c, &[(&[(5, Some(10))], 0), (&[(5, None)], 0), (&[(5, Some(30))], 0)]);
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 1);
    // 6. first, or a draw among the tied ones.
    let k = cands(&mut c, &[(&[(5, s)], 0), (&[(5, s)], 0), (&[(6, s)], 0), (&[(5, s)], 0)]);
    assert_eq!(pick_one_node_for_preemption(&k, &c, None), 0);
    let mut drawn = std::collections::BTreeSet::new();
    for seed in 0..50 {
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        drawn.insert(pick_one_node_for_preemption(&k, &c, Some(&mut r)));
    }
    assert_eq!(drawn.into_iter().collect::<Vec<_>>(), vec![0, 1, 3]);
}

#[test]
fn importance_is_priority_then_earlier_start() {
    let mut c = Cluster::new();
    let hi = add(&mut c, pod("hi", 5, 1, &[]), None, Some(100));
    let old = add(&mut c, pod("old", 1, 1, &[]), None, Some(1));
    let new = add(&mut c, pod("new", 1, 1, &[]), None, Some(2));
    let unstarted = add(&mut c, pod("unstarted", 1, 1, &[]), None, None);
    assert!(more_important_pod(&c, hi, old));
    assert!(more_important_pod(&c, old, new));
    assert!(more_important_pod(&c, new, unstarted));
    assert!(!more_important_pod(&c, new, new));
}

#[test]
fn messages_follow_upstream() {
    let statuses = vec![
        (0, Status::unschedulable("Insufficient cpu")),
        (1, Status::unresolvable(MSG_NO_VICTIMS)),
        (2, Status::unschedulable("Insufficient cpu")),
    ];
    // Upstream sorts the "<count> <reason>" strings themselves.
    assert_eq!(
        fit_error_message(5, &statuses),
        "0/5 nodes are available: 1 No preemption victims found for incoming pod, 2 Insufficient cpu, \
         2 Preemption is not helpful for scheduling."
    );
    assert_eq!(
        fit_error_message(2, &[]),
        "0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    );
    assert_eq!(aggregate_errors(&["a".into()]), "a");
    assert_eq!(aggregate_errors(&["a".into(), "a".into()]), "a");
    assert_eq!(aggregate_errors(&["a".into(), "b".into(), "a".into()]), "[a, b]");
}

/// Victim selection works on a copy of the node: the cluster keeps the same pods bound and the
/// same sums.
#[test]
fn victim_selection_leaves_the_cluster_untouched() {
    let config = SchedulerConfig::default_config(crate::scheduler::plugins::registry::in_tree());
    let profile = config.profile("default-scheduler").unwrap();
    let mut c = Cluster::new();
    let n = c.add_node(node("n", 3000)).unwrap();
    let a = add(&mut c, pod("a", 1, 1000, &[]), Some(n), Some(1));
    let b = add(&mut c, pod("b", 2, 1000, &[]), Some(n), Some(1));
    let _hi = add(&mut c, pod("hi", 50, 1000, &[]), Some(n), Some(1));
    let before = c.node(n).requested.clone();
    let p = pod("p", 10, 2000, &[]);
    let (victims, _) = select_victims_on_node(profile, &p, &c, n, &[]).unwrap();
    assert_eq!(victims, vec![b, a], "both go, most important first");
    let p = pod("p", 10, 1000, &[]);
    let (victims, violations) = select_victims_on_node(profile, &p, &c, n, &[]).unwrap();
    assert_eq!((victims, violations), (vec![a], 0));
    assert_eq!(c.node(n).requested, before);
    let mut on: Vec<PodId> = c.node(n).pods.clone();
    on.sort();
    assert_eq!(on, vec![a, b, 2]);
    // Not enough even without every lower-priority pod: the Filter status comes back.
    let p = pod("p", 10, 2500, &[]);
    let err = select_victims_on_node(profile, &p, &c, n, &[]).unwrap_err();
    assert_eq!(
        (err.code, err.message(), err.plugin),
        (Code::Unschedulable, "Insufficient cpu".into(), "NodeResourcesFit")
    );
    assert_eq!(c.node(n).requested, before);
    // Nothing of lower priority.
    let p = pod("p", 1, 100, &[]);
    let err = select_victims_on_node(profile, &p, &c, n, &[]).unwrap_err();
    assert_eq!((err.code, err.message()), (Code::UnschedulableAndUnresolvable, MSG_NO_VICTIMS.to_string()));
}

/// The node's lowest-priority row follows binds and unbinds: the lowest priority, how many pods
/// have it, their sums, and the next priority above it.
#[test]
fn lowest_priority_row_follows_the_pods() {
    let mut c = Cluster::new();
    let n = c.add_node(node("n", 4000)).unwrap();
    assert_eq!(
        (c.lowest_priority()[n as usize].pods, c.lowest_priority()[n as usize].priority),
        (0, i32::MAX)
    );
    let a = add(&mut c, pod("a", 5, 100, &[]), Some(n), None);
    let b = add(&mut c, pod("b", 1, 200, &[]), Some(n), None);
    add(&mut c, pod("c", 1, 300, &[]), Some(n), None);
    add(&mut c, pod("d", 3, 400, &[]), Some(n), None);
    let low = c.lowest_priority()[n as usize];
    assert_eq!((low.priority, low.next, low.pods, low.requests[0], low.plain), (1, 3, 2, 500, true));
    c.unbind(b);
    let low = c.lowest_priority()[n as usize];
    assert_eq!((low.priority, low.next, low.pods, low.requests[0]), (1, 3, 1, 300));
    c.unbind(a);
    let low = c.lowest_priority()[n as usize];
    assert_eq!((low.priority, low.next), (1, 3));
}

/// A node where taking off every lower-priority pod (all of the lowest priority) still leaves
/// too little cpu: the dry run answers from the rows without gathering the pods, with the
/// status the full check gives; and a node without lower-priority pods is answered at once.
#[test]
fn victim_selection_shortcut_rejects_from_the_rows() {
    let config = SchedulerConfig::default_config(crate::scheduler::plugins::registry::in_tree());
    let profile = config.profile("default-scheduler").unwrap();
    let mut c = Cluster::new();
    let n = c.add_node(node("n", 4000)).unwrap();
    add(&mut c, pod("low", 0, 900, &[]), Some(n), Some(1));
    add(&mut c, pod("high", 10, 3000, &[]), Some(n), Some(1));
    let p = pod("p", 10, 3000, &[]);
    let run = super::state::DryRunState::new(profile, &p, &c);
    let short = run.shortcut(n).expect("decided from the rows");
    assert_eq!(
        (short.code, short.message(), short.plugin),
        (Code::Unschedulable, "Insufficient cpu".into(), "NodeResourcesFit")
    );
    let err = select_victims_on_node(profile, &p, &c, n, &[]).unwrap_err();
    assert_eq!(err, short);
    // Priority 0 preemptor: nothing of lower priority.
    let p0 = pod("p0", 0, 100, &[]);
    let run = super::state::DryRunState::new(profile, &p0, &c);
    assert_eq!(run.shortcut(n).unwrap().message(), MSG_NO_VICTIMS);
}

/// Where the rows cannot decide, the shortcut steps aside and the victims come from the full
/// reprieve: the pod fits once the lowest-priority pods go; lower-priority pods of two
/// priorities; a lower-priority pod holding a host port.
#[test]
fn victim_selection_shortcut_steps_aside() {
    let config = SchedulerConfig::default_config(crate::scheduler::plugins::registry::in_tree());
    let profile = config.profile("default-scheduler").unwrap();
    let mut c = Cluster::new();
    // Fits without the lowest priority: the node is a candidate.
    let n0 = c.add_node(node("n0", 4000)).unwrap();
    let a0 = add(&mut c, pod("a0", 0, 900, &[]), Some(n0), Some(1));
    let b0 = add(&mut c, pod("b0", 0, 900, &[]), Some(n0), Some(2));
    add(&mut c, pod("h0", 10, 2000, &[]), Some(n0), Some(1));
    // Two lower priorities (1 and 2): the lowest-priority row does not cover them.
    let n1 = c.add_node(node("n1", 4000)).unwrap();
    add(&mut c, pod("a1", 1, 1000, &[]), Some(n1), Some(1));
    let b1 = add(&mut c, pod("b1", 2, 2000, &[]), Some(n1), Some(1));
    add(&mut c, pod("h1", 10, 1000, &[]), Some(n1), Some(1));
    // A host-port pod among the lower-priority ones: not plain.
    let n2 = c.add_node(node("n2", 4000)).unwrap();
    let mut ported = pod("a2", 0, 2500, &[]);
    ported.containers[0].ports =
        vec![ContainerPort { host_port: 8080, protocol: "TCP".into(), host_ip: String::new() }];
    let a2 = add(&mut c, ported, Some(n2), Some(1));
    add(&mut c, pod("h2", 10, 1000, &[]), Some(n2), Some(1));
    let p = pod("p", 10, 2000, &[]);
    let run = super::state::DryRunState::new(profile, &p, &c);
    for n in [n0, n1, n2] {
        assert!(run.shortcut(n).is_none(), "node {n}: the rows do not decide");
    }
    let got = super::candidates::select_victims_on_nodes(profile, &p, &c, &[n0, n1, n2], &[]);
    assert_eq!(got[0], Ok((vec![a0, b0], 0)), "with either back, 2000 + 900 + 2000 > 4000");
    assert_eq!(got[1], Ok((vec![b1], 0)), "b1 (priority 2) is reprieved first and must go; a1 stays");
    assert_eq!(got[2], Ok((vec![a2], 0)));
    // The same pods, but the preemptor needs more than any removal frees: the full check's
    // status on n1 (two priorities) and n2 (a host port), where the rows do not decide.
    let big = pod("big", 10, 3500, &[]);
    let run = super::state::DryRunState::new(profile, &big, &c);
    for n in [n1, n2] {
        assert!(run.shortcut(n).is_none(), "node {n}: the rows do not decide");
        let err = select_victims_on_node(profile, &big, &c, n, &[]).unwrap_err();
        assert_eq!((err.code, err.message()), (Code::Unschedulable, "Insufficient cpu".into()));
    }
}
