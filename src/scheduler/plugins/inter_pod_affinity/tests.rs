//! Unit tests: args defaulting/validation, Filter order, scoring and normalisation (upstream
//! `plugin_test.go`, `filtering_test.go`, `scoring_test.go` behaviours restated on small cases).

use super::*;
use crate::model::{
    Cluster, LabelSelector, Labels, Node, PodAffinity, PodAffinityTerm, Resources, WeightedPodAffinityTerm,
    simple_pod,
};
use crate::scheduler::framework::Code;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn node(name: &str, zone: &str) -> Node {
    Node {
        name: name.into(),
        labels: labels(&[("kubernetes.io/hostname", name), ("zone", zone)]),
        taints: vec![],
        unschedulable: false,
        allocatable: Resources { pods: 110, ..Default::default() },
        capacity: Resources::default(),
        images: vec![],
    }
}

fn term(app: &str, key: &str) -> PodAffinityTerm {
    PodAffinityTerm {
        selector: Some(LabelSelector { match_labels: labels(&[("app", app)]), match_expressions: vec![] }),
        namespaces: vec![],
        namespace_selector: None,
        topology_key: key.into(),
    }
}

fn weighted(weight: i32, app: &str, key: &str) -> WeightedPodAffinityTerm {
    WeightedPodAffinityTerm { weight, term: term(app, key) }
}

fn pod(name: &str, app: &str) -> Pod {
    let mut p = simple_pod(name, Resources::default());
    p.labels = labels(&[("app", app)]);
    p
}

/// Three nodes, two in zone z1 (n1, n2) and one in z2 (n3).
fn cluster() -> Cluster {
    let mut c = Cluster::new();
    c.add_node(node("n1", "z1")).unwrap();
    c.add_node(node("n2", "z1")).unwrap();
    c.add_node(node("n3", "z2")).unwrap();
    c
}

fn place(c: &mut Cluster, p: Pod, node: &str) {
    let id = c.add_pod(p);
    let n = c.node_id(node).unwrap();
    c.bind(id, n).unwrap();
}

/// Runs PreScore, Score and NormalizeScore over every node; `None` when PreScore skipped.
fn scores(pl: &InterPodAffinity, p: &Pod, c: &Cluster) -> Option<Vec<i64>> {
    let mut state = CycleState::new();
    let ids: Vec<NodeId> = c.node_order().to_vec();
    let st = pl.pre_score(&mut state, p, &ids, c);
    if st.is_skip() {
        return None;
    }
    assert!(st.is_success(), "{st:?}");
    let mut s: Vec<i64> = ids.iter().map(|id| pl.score(&state, p, c.node(*id), c).unwrap()).collect();
    assert!(pl.normalize_score(&state, p, &mut s).is_success());
    Some(s)
}

fn filter_all(pl: &InterPodAffinity, p: &Pod, c: &Cluster) -> Vec<Status> {
    let mut state = CycleState::new();
    let (_, st) = pl.pre_filter(&mut state, p, c);
    if st.is_skip() {
        return c.node_order().iter().map(|_| Status::success()).collect();
    }
    assert!(st.is_success(), "{st:?}");
    c.node_order().iter().map(|id| pl.filter(&state, p, c.node(*id), c)).collect()
}

#[test]
fn args_default_and_validate_as_upstream() {
    let d = InterPodAffinity::new(&serde_json::Value::Null).unwrap();
    assert_eq!(d.hard_pod_affinity_weight, 1);
    assert!(!d.ignore_preferred_terms_of_existing_pods);
    let a = InterPodAffinity::new(&serde_json::json!({"ignorePreferredTermsOfExistingPods": true})).unwrap();
    assert_eq!(a.hard_pod_affinity_weight, 1);
    assert!(a.ignore_preferred_terms_of_existing_pods);
    assert_eq!(
        InterPodAffinity::new(&serde_json::json!({"hardPodAffinityWeight": 0}))
            .unwrap()
            .hard_pod_affinity_weight,
        0
    );
    assert_eq!(
        InterPodAffinity::new(&serde_json::json!({"hardPodAffinityWeight": 100}))
            .unwrap()
            .hard_pod_affinity_weight,
        100
    );
    for bad in [-1, 101] {
        let e = InterPodAffinity::new(&serde_json::json!({ "hardPodAffinityWeight": bad })).unwrap_err();
        assert!(e.contains("not in valid range [0, 100]"), "{e}");
    }
    assert!(InterPodAffinity::new(&serde_json::json!({"hardPodAffinityWeights": 1})).is_err());
    assert!(InterPodAffinity::new(&serde_json::json!({"hardPodAffinityWeight": "1"})).is_err());
}

#[test]
fn normalisation_scales_between_lowest_and_highest() {
    let mut s = vec![-50, 0, 150];
    scoring::normalize(false, &mut s);
    assert_eq!(s, vec![0, 25, 100]);
    // All positive: the lowest becomes 0, not a fraction of the highest.
    let mut s = vec![30, 60, 90];
    scoring::normalize(false, &mut s);
    assert_eq!(s, vec![0, 50, 100]);
    // Truncation of the float result.
    let mut s = vec![0, 1, 3];
    scoring::normalize(false, &mut s);
    assert_eq!(s, vec![0, 33, 100]);
    // Equal scores: 0 everywhere.
    let mut s = vec![7, 7];
    scoring::normalize(false, &mut s);
    assert_eq!(s, vec![0, 0]);
    // Empty score map: unchanged.
    let mut s = vec![0, 0];
    scoring::normalize(true, &mut s);
    assert_eq!(s, vec![0, 0]);
}

#[test]
fn prescore_skips_without_any_affinity() {
    let mut c = cluster();
    place(&mut c, pod("a", "db"), "n1");
    let pl = InterPodAffinity::default();
    assert_eq!(scores(&pl, &pod("in", "web"), &c), None);
}

#[test]
fn incoming_preferred_terms_weight_domains() {
    let mut c = cluster();
    place(&mut c, pod("db", "db"), "n1");
    place(&mut c, pod("web", "web"), "n3");
    let mut p = pod("in", "web");
    p.pod_affinity = Some(PodAffinity { required: vec![], preferred: vec![weighted(10, "db", "zone")] });
    p.pod_anti_affinity =
        Some(PodAffinity { required: vec![], preferred: vec![weighted(5, "web", "kubernetes.io/hostname")] });
    // Raw: n1 = 10, n2 = 10, n3 = -5 → lo −5, hi 10.
    assert_eq!(scores(&InterPodAffinity::default(), &p, &c), Some(vec![100, 100, 0]));
}

#[test]
fn existing_pods_terms_score_symmetrically() {
    let mut c = cluster();
    let mut req = pod("req", "x");
    req.pod_affinity = Some(PodAffinity { required: vec![term("web", "zone")], preferred: vec![] });
    place(&mut c, req, "n3");
    let mut pref = pod("pref", "y");
    pref.pod_anti_affinity =
        Some(PodAffinity { required: vec![], preferred: vec![weighted(3, "web", "zone")] });
    place(&mut c, pref, "n1");
    let p = pod("in", "web");
    // hardPodAffinityWeight 1: n3 = +1, z1 nodes = −3 → lo −3, hi 1.
    assert_eq!(scores(&InterPodAffinity::default(), &p, &c), Some(vec![0, 0, 100]));
    // Weight 0 drops the required term: n3 = 0, z1 = −3.
    let w0 = InterPodAffinity::new(&serde_json::json!({"hardPodAffinityWeight": 0})).unwrap();
    assert_eq!(scores(&w0, &p, &c), Some(vec![0, 0, 100]));
    // Weight 9: n3 = 9 → 100; z1 = −3 → 0.
    let w9 = InterPodAffinity::new(&serde_json::json!({"hardPodAffinityWeight": 9})).unwrap();
    assert_eq!(scores(&w9, &p, &c), Some(vec![0, 0, 100]));
    // ignorePreferredTermsOfExistingPods: a pod without preferred terms is not scored at all.
    let ig = InterPodAffinity::new(&serde_json::json!({"ignorePreferredTermsOfExistingPods": true})).unwrap();
    assert_eq!(scores(&ig, &p, &c), None);
}

#[test]
fn only_contributions_on_labelled_nodes_count() {
    let mut c = cluster();
    let mut bare = node("bare", "");
    bare.labels = Labels::new();
    c.add_node(bare).unwrap();
    let mut e = pod("e", "x");
    e.pod_affinity = Some(PodAffinity { required: vec![], preferred: vec![weighted(4, "web", "zone")] });
    place(&mut c, e, "bare");
    // The only contribution sits on a node without labels: nothing is touched, PreScore skips.
    assert_eq!(scores(&InterPodAffinity::default(), &pod("in", "web"), &c), None);
}

#[test]
fn filter_checks_affinity_then_anti_affinity_then_existing() {
    let mut c = cluster();
    place(&mut c, pod("db", "db"), "n1");
    let mut guard = pod("guard", "guard");
    guard.pod_anti_affinity = Some(PodAffinity { required: vec![term("web", "zone")], preferred: vec![] });
    place(&mut c, guard, "n3");
    let pl = InterPodAffinity::default();

    let mut p = pod("in", "web");
    p.pod_affinity = Some(PodAffinity { required: vec![term("db", "zone")], preferred: vec![] });
    let got = filter_all(&pl, &p, &c);
    assert!(got[0].is_success() && got[1].is_success());
    // n3: affinity fails first (zone z2 has no db pod), although existing anti-affinity also bites.
    assert_eq!(got[2].code, Code::UnschedulableAndUnresolvable);
    assert_eq!(got[2].reasons.as_slice(), [ERR_REASON_AFFINITY_RULES_NOT_MATCH]);

    let mut q = pod("in", "web");
    q.pod_anti_affinity =
        Some(PodAffinity { required: vec![term("db", "kubernetes.io/hostname")], preferred: vec![] });
    let got = filter_all(&pl, &q, &c);
    assert_eq!(got[0].reasons.as_slice(), [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH]);
    assert_eq!(got[0].code, Code::Unschedulable);
    assert!(got[1].is_success());
    assert_eq!(got[2].reasons.as_slice(), [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH]);
}

#[test]
fn first_replica_of_a_self_affine_group_lands_anywhere_with_the_key() {
    let c = cluster();
    let mut p = pod("in", "web");
    p.pod_affinity = Some(PodAffinity { required: vec![term("web", "zone")], preferred: vec![] });
    assert!(filter_all(&InterPodAffinity::default(), &p, &c).iter().all(Status::is_success));
    // Not self-matching: rejected everywhere.
    let mut q = pod("in", "api");
    q.pod_affinity = Some(PodAffinity { required: vec![term("web", "zone")], preferred: vec![] });
    assert!(filter_all(&InterPodAffinity::default(), &q, &c).iter().all(|s| !s.is_success()));
}

fn bad_term(app: &str, key: &str) -> PodAffinityTerm {
    let mut t = term(app, key);
    t.selector.as_mut().unwrap().match_labels.insert("bad".into(), "not a label value!".into());
    t
}

/// Upstream `PodInfo.Update`: an unparsable term rejects the incoming pod at PreFilter
/// (UnschedulableAndUnresolvable), and drops the whole list it sits in on an existing pod.
#[test]
fn unparsable_terms_reject_the_pod_and_drop_existing_lists() {
    let mut c = cluster();
    let mut guard = pod("guard", "guard");
    guard.pod_anti_affinity =
        Some(PodAffinity { required: vec![term("web", "zone"), bad_term("x", "zone")], preferred: vec![] });
    place(&mut c, guard, "n1");
    let pl = InterPodAffinity::default();
    let p = pod("in", "web");
    // The guard's list does not parse, so it rejects nothing and PreFilter skips.
    let (_, st) = pl.pre_filter(&mut CycleState::new(), &p, &c);
    assert!(st.is_skip(), "{st:?}");

    let mut q = pod("in", "web");
    q.pod_affinity = Some(PodAffinity { required: vec![], preferred: vec![weighted(1, "x", "zone")] });
    q.pod_affinity.as_mut().unwrap().preferred[0].term = bad_term("x", "zone");
    let (_, st) = pl.pre_filter(&mut CycleState::new(), &q, &c);
    assert_eq!(st.code, Code::UnschedulableAndUnresolvable);
    assert!(st.message().starts_with("parsing pod: preferredAffinityTerms: "), "{}", st.message());
}

/// The pod index's groups of existing terms follow binds and unbinds.
#[test]
fn unbound_pods_stop_counting() {
    let mut c = cluster();
    let mut guard = pod("guard", "guard");
    guard.pod_anti_affinity = Some(PodAffinity { required: vec![term("web", "zone")], preferred: vec![] });
    let id = c.add_pod(guard);
    c.bind(id, c.node_id("n1").unwrap()).unwrap();
    let pl = InterPodAffinity::default();
    let p = pod("in", "web");
    let got = filter_all(&pl, &p, &c);
    assert_eq!(got.iter().filter(|s| !s.is_success()).count(), 2);
    c.unbind(id);
    let (_, st) = pl.pre_filter(&mut CycleState::new(), &p, &c);
    assert!(st.is_skip());
    assert_eq!(c.pod_index_size().1, 0, "no term group is left once the pod is unbound");
}
