//! Unit tests of PodTopologySpread: args validation, default selector, Filter and Score.

use serde_json::json;

use super::*;
use crate::model::cluster::WorkloadSelector;
use crate::model::{Labels, Node, OwnerReference, Resources, TopologySpreadConstraint, simple_pod};
use crate::scheduler::framework::Code;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn node(name: &str, extra: &[(&str, &str)]) -> Node {
    let mut l = labels(extra);
    l.insert(LABEL_HOSTNAME.into(), name.into());
    Node {
        name: name.into(),
        labels: l,
        taints: vec![],
        unschedulable: false,
        allocatable: Resources { pods: 110, ..Default::default() },
        capacity: Resources::default(),
        images: vec![],
    }
}

fn pod(name: &str, l: &[(&str, &str)]) -> Pod {
    let mut p = simple_pod(name, Resources::default());
    p.labels = labels(l);
    p
}

fn app_selector(app: &str) -> LabelSelector {
    LabelSelector { match_labels: labels(&[("app", app)]), match_expressions: vec![] }
}

fn hard(key: &str, max_skew: i32, min_domains: Option<i32>) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew,
        topology_key: key.into(),
        when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
        selector: Some(app_selector("web")),
        min_domains,
        node_affinity_policy: NodeInclusionPolicy::Honor,
        node_taints_policy: NodeInclusionPolicy::Ignore,
    }
}

/// A cluster of `nodes` with `(node, count)` bound pods labelled `app=web`.
fn cluster(nodes: Vec<Node>, web_pods: &[(&str, usize)]) -> Cluster {
    let mut c = Cluster::new();
    for n in nodes {
        c.add_node(n).unwrap();
    }
    for (n, count) in web_pods {
        for i in 0..*count {
            let id = c.add_pod(pod(&format!("{n}-{i}"), &[("app", "web")]));
            c.bind(id, c.node_id(n).unwrap()).unwrap();
        }
    }
    c
}

fn filter_all(pl: &PodTopologySpread, p: &Pod, c: &Cluster) -> Vec<Code> {
    let mut state = CycleState::new();
    let (_, st) = pl.pre_filter(&mut state, p, c);
    assert!(st.is_success(), "{st:?}");
    c.nodes().iter().map(|n| pl.filter(&state, p, n, c).code).collect()
}

/// Scores every node, in insertion order.
fn score_all(pl: &PodTopologySpread, p: &Pod, c: &Cluster) -> Option<Vec<i64>> {
    let mut state = CycleState::new();
    let ids: Vec<NodeId> = (0..c.num_nodes() as NodeId).collect();
    let st = pl.pre_score(&mut state, p, &ids, c);
    if st.is_skip() {
        return None;
    }
    let mut scores: Vec<i64> = ids.iter().map(|id| pl.score(&state, p, c.node(*id), c).unwrap()).collect();
    assert!(pl.normalize_score(&state, p, &mut scores).is_success());
    Some(scores)
}

/// Zones a and b hold one matching pod each: skew `1 + 1 − 1 = 1` fits maxSkew 1, but with
/// minDomains 3 and only two domains the global minimum counts as 0, so skew 2 fails
/// (Unschedulable); a node without the zone key is UnschedulableAndUnresolvable.
#[test]
fn skew_uses_zero_minimum_below_min_domains() {
    let nodes =
        vec![node("a1", &[("zone", "a")]), node("b1", &[("zone", "b")]), node("x", &[("other", "1")])];
    let c = cluster(nodes, &[("a1", 1), ("b1", 1)]);
    let pl = PodTopologySpread::new(&json!({"defaultingType": "List"})).unwrap();
    let mut p = pod("incoming", &[("app", "web")]);

    p.topology_spread_constraints = vec![hard("zone", 1, None)];
    let got = filter_all(&pl, &p, &c);
    assert_eq!(got, vec![Code::Success, Code::Success, Code::UnschedulableAndUnresolvable]);

    p.topology_spread_constraints = vec![hard("zone", 1, Some(3))];
    let got = filter_all(&pl, &p, &c);
    assert_eq!(got, vec![Code::Unschedulable, Code::Unschedulable, Code::UnschedulableAndUnresolvable]);
    let mut state = CycleState::new();
    pl.pre_filter(&mut state, &p, &c);
    let st = pl.filter(&state, &p, c.node(2), &c);
    assert_eq!(st.reasons.as_slice(), [ERR_REASON_NODE_LABEL_NOT_MATCH]);
    let st = pl.filter(&state, &p, c.node(0), &c);
    assert_eq!(st.reasons.as_slice(), [ERR_REASON_CONSTRAINTS_NOT_MATCH]);

    // minDomains 2 is met: the real minimum (1) applies again.
    p.topology_spread_constraints = vec![hard("zone", 1, Some(2))];
    assert_eq!(filter_all(&pl, &p, &c)[..2], [Code::Success, Code::Success]);

    // A pod its own selector does not match adds nothing to the skew.
    let mut other = pod("other", &[("app", "db")]);
    other.topology_spread_constraints = vec![hard("zone", 1, Some(3))];
    assert_eq!(filter_all(&pl, &other, &c)[..2], [Code::Success, Code::Success]);
}

/// Terminating pods and pods of other namespaces are not counted; nodes the pod's node
/// selector excludes do not form domains under nodeAffinityPolicy Honor.
#[test]
fn counts_skip_terminating_foreign_and_excluded_nodes() {
    let nodes =
        vec![node("a1", &[("zone", "a")]), node("b1", &[("zone", "b")]), node("c1", &[("zone", "c")])];
    let mut c = cluster(nodes, &[("a1", 1)]);
    let mut gone = pod("gone", &[("app", "web")]);
    gone.terminating = true;
    let mut foreign = pod("foreign", &[("app", "web")]);
    foreign.namespace = "other".into();
    for p in [gone, foreign] {
        let id = c.add_pod(p);
        c.bind(id, c.node_id("b1").unwrap()).unwrap();
    }
    let pl = PodTopologySpread::new(&json!({"defaultingType": "List"})).unwrap();
    let mut p = pod("incoming", &[("app", "web")]);
    p.topology_spread_constraints = vec![hard("zone", 1, None)];
    // a:1 b:0 c:0 → a has skew 2.
    assert_eq!(filter_all(&pl, &p, &c), vec![Code::Unschedulable, Code::Success, Code::Success]);
    // Only a and b are eligible domains; min over {a:1, b:0} is still 0.
    p.node_selector = labels(&[("zone", "a")]);
    assert_eq!(filter_all(&pl, &p, &c), vec![Code::Success, Code::Success, Code::Success]);
}

/// System defaults (hostname maxSkew 3, zone maxSkew 5) with a Service selecting the pod.
/// n4 lacks the zone label: it forms the "" zone domain (so zone size is 3) and is still
/// scored on hostname. Weights ln(6) (4 nodes) and ln(5) (3 zones):
/// n1 = round(2·ln6 + 2 + 2·ln5 + 4) = 13, n2 = round(0 + 2 + 2·ln5 + 4) = 9,
/// n3 = round(ln6 + 2 + ln5 + 4) = 9, n4 = round(ln6 + 2) = 4; normalised with min 4, max 13.
#[test]
fn system_defaults_score_hostname_even_without_zone() {
    let nodes = vec![
        node("n1", &[(LABEL_ZONE, "a")]),
        node("n2", &[(LABEL_ZONE, "a")]),
        node("n3", &[(LABEL_ZONE, "b")]),
        node("n4", &[]),
    ];
    let mut c = cluster(nodes, &[("n1", 2), ("n3", 1), ("n4", 1)]);
    let p = pod("incoming", &[("app", "web")]);
    let pl = PodTopologySpread::new(&serde_json::Value::Null).unwrap();
    assert_eq!(pl.defaulting_type(), DefaultingType::System);
    // No Service selects the pod yet: no default constraints, PreFilter and PreScore skip.
    assert!(score_all(&pl, &p, &c).is_none());
    assert!(pl.pre_filter(&mut CycleState::new(), &p, &c).1.is_skip());

    c.add_workload_selector(WorkloadSelector {
        kind: SelectorKind::Service,
        name: "web".into(),
        namespace: "default".into(),
        selector: app_selector("web"),
        created: Default::default(),
    });
    let raw = |host: i64, zone: Option<i64>| {
        let mut s = score_for_count(host, 3, topology_normalizing_weight(4));
        if let Some(z) = zone {
            s += score_for_count(z, 5, topology_normalizing_weight(3));
        }
        s.round() as i64
    };
    assert_eq!([raw(2, Some(2)), raw(0, Some(2)), raw(1, Some(1)), raw(1, None)], [13, 9, 9, 4]);
    assert_eq!(score_all(&pl, &p, &c), Some(vec![100 * 4 / 13, 100 * 8 / 13, 100 * 8 / 13, 100]));
    // System defaults are all ScheduleAnyway: nothing to filter.
    assert!(pl.pre_filter(&mut CycleState::new(), &p, &c).1.is_skip());

    // The same constraints as a List: n4 lacks a key, so it is ignored (0), and the zone
    // weight no longer counts a "" domain.
    let list = PodTopologySpread::new(&json!({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 3, "topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": "ScheduleAnyway"},
        {"maxSkew": 5, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "ScheduleAnyway"},
    ]}))
    .unwrap();
    let raw3 = |host: i64, zone: i64| {
        (score_for_count(host, 3, topology_normalizing_weight(3))
            + score_for_count(zone, 5, topology_normalizing_weight(2)))
        .round() as i64
    };
    let (r1, r2, r3) = (raw3(2, 2), raw3(0, 2), raw3(1, 1));
    let (lo, hi) = (r1.min(r2).min(r3), r1.max(r2).max(r3));
    let norm = |r: i64| 100 * (hi + lo - r) / hi;
    assert_eq!(score_all(&list, &p, &c), Some(vec![norm(r1), norm(r2), norm(r3), 0]));

    // A pod with its own constraints ignores the defaults.
    let mut own = p.clone();
    own.topology_spread_constraints = vec![hard("missing-key", 1, None)];
    assert!(score_all(&pl, &own, &c).is_none());
}

/// `helper.DefaultSelector`: matching Services of the pod's namespace merged, then the
/// requirements of the controller its controller reference names; other namespaces, non-matching
/// Services, and controllers that only match by label are ignored.
#[test]
fn default_selector_merges_services_and_controller() {
    let mut c = Cluster::new();
    let add = |c: &mut Cluster, kind, name: &str, ns: &str, sel: LabelSelector| {
        c.add_workload_selector(WorkloadSelector {
            kind,
            name: name.into(),
            namespace: ns.into(),
            selector: sel,
            created: Default::default(),
        })
    };
    add(&mut c, SelectorKind::Service, "web", "default", app_selector("web"));
    add(
        &mut c,
        SelectorKind::Service,
        "x",
        "other",
        LabelSelector { match_labels: labels(&[("x", "1")]), ..Default::default() },
    );
    add(&mut c, SelectorKind::Service, "db", "default", app_selector("db"));
    add(
        &mut c,
        SelectorKind::ReplicaSet,
        "front",
        "default",
        LabelSelector {
            match_labels: labels(&[("tier", "front")]),
            match_expressions: vec![LabelSelectorRequirement {
                key: "track".into(),
                operator: LabelSelectorOperator::Exists,
                values: vec![],
            }],
        },
    );
    add(&mut c, SelectorKind::StatefulSet, "cache", "default", app_selector("cache"));
    let mut p = pod("p", &[("app", "web"), ("tier", "front"), ("track", "canary"), ("x", "1")]);
    // Label-matched but not owned: only the Service counts.
    let sel = default_selector(&p, &c);
    assert_eq!(sel.match_labels, labels(&[("app", "web")]));
    assert!(sel.match_expressions.is_empty());

    p.owner_references = vec![OwnerReference::controller("apps/v1", "ReplicaSet", "front")];
    let sel = default_selector(&p, &c);
    assert_eq!(sel.match_labels, labels(&[("app", "web")]));
    assert_eq!(sel.match_expressions.len(), 2);
    assert_eq!(sel.match_expressions[0].key, "tier");
    assert!(sel.matches(&p.labels));
    assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "front")])));

    // A StatefulSet matching by label without an owner reference: nothing.
    assert!(default_selector(&pod("q", &[("app", "cache")]), &c).is_empty());
    // Owned through its controller reference: the selector applies whatever the labels.
    let mut q = pod("q", &[]);
    q.owner_references = vec![OwnerReference::controller("apps/v1", "StatefulSet", "cache")];
    assert_eq!(default_selector(&q, &c).match_expressions.len(), 1);
    // Not a controller reference, another API group, an unknown name, a DaemonSet: nothing.
    let mut refs = OwnerReference::controller("apps/v1", "StatefulSet", "cache");
    refs.controller = false;
    q.owner_references = vec![refs];
    assert!(default_selector(&q, &c).is_empty());
    for (gv, kind, name) in [
        ("extensions/v1beta1", "ReplicaSet", "front"),
        ("apps/v1", "ReplicaSet", "back"),
        ("apps/v1", "DaemonSet", "front"),
        ("v1", "ReplicaSet", "front"),
    ] {
        q.owner_references = vec![OwnerReference::controller(gv, kind, name)];
        assert!(default_selector(&q, &c).is_empty(), "{gv} {kind} {name}");
    }
}

/// A ReplicationController (`v1`) merges its selector map; `/v1` parses to the same group and
/// version as upstream's `ParseGroupVersion`.
#[test]
fn default_selector_reads_replication_controllers_as_maps() {
    let mut c = Cluster::new();
    c.add_workload_selector(WorkloadSelector {
        kind: SelectorKind::ReplicationController,
        name: "rc".into(),
        namespace: "default".into(),
        selector: app_selector("legacy"),
        created: Default::default(),
    });
    let mut p = pod("p", &[]);
    for gv in ["v1", "/v1"] {
        p.owner_references = vec![OwnerReference::controller(gv, "ReplicationController", "rc")];
        let sel = default_selector(&p, &c);
        assert_eq!(sel.match_labels, labels(&[("app", "legacy")]), "{gv}");
    }
    p.owner_references = vec![OwnerReference::controller("a/b/v1", "ReplicationController", "rc")];
    assert!(default_selector(&p, &c).is_empty());
}

#[test]
fn normalize_ignores_ignored_nodes_and_handles_all_zero() {
    let mut s = vec![5, 0, 10, 7];
    normalize_spread_scores(&mut s, &[false, true, false, false]);
    assert_eq!(s, vec![100, 0, 50, 80]);
    let mut z = vec![0, 0];
    normalize_spread_scores(&mut z, &[false, false]);
    assert_eq!(z, vec![100, 100]);
}

/// `ValidatePodTopologySpreadArgs` and v1 defaulting (`defaultingType` "" → System).
#[test]
fn args_are_defaulted_and_validated_as_upstream() {
    let ok = PodTopologySpread::new(&json!({})).unwrap();
    assert_eq!(ok.defaulting_type(), DefaultingType::System);
    assert_eq!(ok.default_constraints(), system_default_constraints().as_slice());
    let list = PodTopologySpread::new(&json!({"defaultingType": "List"})).unwrap();
    assert!(list.default_constraints().is_empty());
    let list = PodTopologySpread::new(&json!({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "DoNotSchedule", "minDomains": 2,
         "nodeTaintsPolicy": "Honor"},
        {"maxSkew": 2, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "ScheduleAnyway"},
    ]}))
    .unwrap();
    let d = &list.default_constraints()[0];
    assert_eq!((d.min_domains, d.node_taints_policy), (Some(2), NodeInclusionPolicy::Honor));
    assert_eq!(d.node_affinity_policy, NodeInclusionPolicy::Honor);

    let err = |v: serde_json::Value| PodTopologySpread::new(&v).unwrap_err();
    let one = |c: serde_json::Value| err(json!({"defaultingType": "List", "defaultConstraints": [c]}));
    assert!(
        err(json!({"defaultConstraints": [{"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"}]}))
            .contains("when .defaultConstraints are not empty")
    );
    assert!(err(json!({"defaultingType": "Bogus"})).contains("defaultingType: Unsupported value"));
    assert!(
        one(json!({"maxSkew": 0, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"}))
            .contains("defaultConstraints[0].maxSkew: Invalid value: 0")
    );
    assert!(
        one(json!({"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}))
            .contains("topologyKey: Required value")
    );
    assert!(
        one(json!({"maxSkew": 1, "topologyKey": "bad key!", "whenUnsatisfiable": "DoNotSchedule"}))
            .contains("topologyKey: Invalid value")
    );
    assert!(one(json!({"maxSkew": 1, "topologyKey": "k"})).contains("whenUnsatisfiable: Required value"));
    assert!(
        one(json!({"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "Maybe"}))
            .contains("whenUnsatisfiable: Unsupported value")
    );
    assert!(
        one(json!({"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule",
                   "labelSelector": {"matchLabels": {"a": "b"}}}))
        .contains("labelSelector: Forbidden")
    );
    let dup = err(json!({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"},
        {"maxSkew": 2, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"},
    ]}));
    assert!(dup.contains("defaultConstraints[1]: Duplicate value: \"{k, DoNotSchedule}\""), "{dup}");
    // Several errors aggregate as upstream's `[a, b]`.
    let many = one(json!({"maxSkew": 0, "topologyKey": "", "whenUnsatisfiable": "DoNotSchedule"}));
    assert!(many.starts_with('[') && many.contains(", "), "{many}");
    assert!(err(json!({"unknown": 1})).contains("invalid PodTopologySpreadArgs"));
}
