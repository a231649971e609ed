//! Property test of the pod index (issue 16): random workloads — nodes in zones, regions and
//! hosts (some missing a label, some tainted), pods with labels in two namespaces, topology
//! spread constraints, required and preferred pod (anti-)affinity (with namespace lists and
//! selectors, and unparsable terms), binds, deletions, terminating pods, relabelled and removed
//! nodes, namespace label changes and cluster copies — give exactly the decisions of the
//! plugins' pre-index algorithms (`pod_topology_spread/reference.rs`,
//! `inter_pod_affinity/reference.rs`, which walk every pod as upstream does): the same PreFilter
//! and PreScore skips, the same Filter status on every node (one by one and in chunks) and the
//! same scores before and after NormalizeScore, under several plugin configurations; and
//! DefaultPreemption's victim selection on every node, with one dry-run state updated through
//! the PreFilter extensions, gives the victims (or status) of the former algorithm (a copy of the
//! cluster, victims unbound and rebound, PreFilter re-run at each check). After each step the
//! index also equals a full recount ([`Cluster::verify_pod_index`]).

use proptest::prelude::*;

use super::default_preemption::{MSG_NO_VICTIMS, pod_fits_on_node, select_victims_on_nodes};
use super::inter_pod_affinity::{InterPodAffinity, reference as ipa_ref};
use super::pod_topology_spread::{PodTopologySpread, reference as spread_ref};
use crate::model::PodId;
use crate::model::{
    Cluster, LabelSelector, LabelSelectorOperator, LabelSelectorRequirement, Labels, Node, NodeId,
    NodeInclusionPolicy, OwnerReference, Pod, PodAffinity, PodAffinityTerm, Resources, SelectorKind, Taint,
    TaintEffect, Toleration, TolerationOperator, TopologySpreadConstraint, WeightedPodAffinityTerm,
    WhenUnsatisfiable, WorkloadSelector, simple_pod,
};
use crate::names::{LABEL_HOSTNAME, LABEL_ZONE};
use crate::scheduler::framework::profile::{Profile, SchedulerConfig};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, PASS, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status,
};

const REGION: &str = "example.com/region";
const KEYS: [&str; 3] = [LABEL_HOSTNAME, LABEL_ZONE, REGION];

/// A label selector over pods' `app` (three values) and `tier` labels.
#[derive(Clone, Debug)]
enum Sel {
    Missing,
    Empty,
    App(u8),
    AppIn(u8, u8),
    NotApp(u8),
    TierExists,
    /// `In` with no values: does not parse (affinity terms only).
    Invalid,
}

fn sel(parsable_only: bool) -> impl Strategy<Value = Sel> {
    let invalid = if parsable_only { 0 } else { 1 };
    prop_oneof![
        1 => Just(Sel::Missing),
        1 => Just(Sel::Empty),
        6 => (0u8..3).prop_map(Sel::App),
        2 => (0u8..3, 0u8..3).prop_map(|(a, b)| Sel::AppIn(a, b)),
        1 => (0u8..3).prop_map(Sel::NotApp),
        1 => Just(Sel::TierExists),
        invalid => Just(Sel::Invalid),
    ]
}

fn selector(s: &Sel) -> Option<LabelSelector> {
    let req = |op, values: Vec<String>| LabelSelector {
        match_labels: Labels::new(),
        match_expressions: vec![LabelSelectorRequirement { key: "app".into(), operator: op, values }],
    };
    match s {
        Sel::Missing => None,
        Sel::Empty => Some(LabelSelector::default()),
        Sel::App(a) => {
            Some(LabelSelector { match_labels: labels(&[("app", &app(*a))]), match_expressions: vec![] })
        }
        Sel::AppIn(a, b) => Some(req(LabelSelectorOperator::In, vec![app(*a), app(*b)])),
        Sel::NotApp(a) => Some(req(LabelSelectorOperator::NotIn, vec![app(*a)])),
        Sel::TierExists => Some(LabelSelector {
            match_labels: Labels::new(),
            match_expressions: vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: LabelSelectorOperator::Exists,
                values: vec![],
            }],
        }),
        Sel::Invalid => Some(req(LabelSelectorOperator::In, vec![])),
    }
}

fn app(a: u8) -> String {
    format!("a{a}")
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A pod affinity term: selector, topology key, namespaces (0 the owner's, 1 `[other]`, 2 those
/// labelled `team: a`, 3 every namespace).
#[derive(Clone, Debug)]
struct TermSpec {
    sel: Sel,
    key: u8,
    ns: u8,
}

fn term_spec() -> impl Strategy<Value = TermSpec> {
    (sel(false), 0u8..3, prop_oneof![4 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)])
        .prop_map(|(sel, key, ns)| TermSpec { sel, key, ns })
}

fn term(t: &TermSpec) -> PodAffinityTerm {
    PodAffinityTerm {
        selector: selector(&t.sel),
        namespaces: if t.ns == 1 { vec!["other".into()] } else { vec![] },
        namespace_selector: match t.ns {
            2 => Some(LabelSelector { match_labels: labels(&[("team", "a")]), match_expressions: vec![] }),
            3 => Some(LabelSelector::default()),
            _ => None,
        },
        topology_key: KEYS[t.key as usize].into(),
    }
}

#[derive(Clone, Debug)]
struct SpreadSpec {
    key: u8,
    max_skew: i32,
    hard: bool,
    sel: Sel,
    min_domains: Option<i32>,
    honor_affinity: bool,
    honor_taints: bool,
}

fn spread_spec() -> impl Strategy<Value = SpreadSpec> {
    (
        0u8..3,
        1i32..3,
        any::<bool>(),
        sel(true),
        prop::option::of(1i32..5),
        any::<bool>(),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(key, max_skew, hard, sel, min_domains, honor_affinity, honor_taints)| SpreadSpec {
            key,
            max_skew,
            hard,
            sel,
            min_domains,
            honor_affinity,
            honor_taints,
        })
}

#[derive(Clone, Debug)]
struct PodSpec {
    other_ns: bool,
    app: u8,
    tier: bool,
    spread: Vec<SpreadSpec>,
    req_aff: Vec<TermSpec>,
    req_anti: Vec<TermSpec>,
    pref_aff: Vec<(i32, TermSpec)>,
    pref_anti: Vec<(i32, TermSpec)>,
    /// A nodeSelector on this zone.
    zone_selector: Option<u8>,
    /// Tolerates the `dedicated` taint.
    tolerates: bool,
    /// Owned by ReplicaSet `rs-<app>` (PodTopologySpread's default constraints apply).
    owned: bool,
    /// Priority (preemption takes lower ones).
    priority: i32,
    /// Cpu request, in units of 500m (nodes have 4 cpu).
    cpu: i64,
    /// Claims host port 8080 (NodePorts; preemption then moves it through a node copy).
    host_port: bool,
}

fn pod_spec() -> impl Strategy<Value = PodSpec> {
    let terms = |n| prop::collection::vec(term_spec(), 0..n);
    let weighted = |n| prop::collection::vec((1i32..100, term_spec()), 0..n);
    (
        (prop::bool::weighted(0.25), 0u8..3, prop::bool::weighted(0.3)),
        prop::collection::vec(spread_spec(), 0..3),
        (terms(2), terms(3), weighted(3), weighted(3)),
        (
            prop::option::weighted(0.2, 0u8..3),
            any::<bool>(),
            prop::bool::weighted(0.6),
            0i32..10,
            0i64..6,
            prop::bool::weighted(0.1),
        ),
    )
        .prop_map(
            |(
                (other_ns, app, tier),
                spread,
                (req_aff, req_anti, pref_aff, pref_anti),
                (zs, tol, owned, priority, cpu, host_port),
            )| {
                PodSpec {
                    other_ns,
                    app,
                    tier,
                    spread,
                    req_aff,
                    req_anti,
                    pref_aff,
                    pref_anti,
                    zone_selector: zs,
                    tolerates: tol,
                    owned,
                    priority,
                    cpu,
                    host_port,
                }
            },
        )
}

fn pod(name: &str, s: &PodSpec) -> Pod {
    let mut p = simple_pod(name, Resources { milli_cpu: 500 * s.cpu, ..Default::default() });
    p.priority = s.priority;
    if s.host_port {
        p.containers[0].ports.push(crate::model::ContainerPort {
            host_port: 8080,
            protocol: String::new(),
            host_ip: String::new(),
        });
    }
    p.namespace = if s.other_ns { "other".into() } else { "default".into() };
    p.labels = labels(&[("app", &app(s.app))]);
    if s.tier {
        p.labels.insert("tier".into(), "web".into());
    }
    p.topology_spread_constraints = s
        .spread
        .iter()
        .map(|c| TopologySpreadConstraint {
            max_skew: c.max_skew,
            topology_key: KEYS[c.key as usize].into(),
            when_unsatisfiable: if c.hard {
                WhenUnsatisfiable::DoNotSchedule
            } else {
                WhenUnsatisfiable::ScheduleAnyway
            },
            selector: selector(&c.sel),
            min_domains: c.min_domains.filter(|_| c.hard),
            node_affinity_policy: if c.honor_affinity {
                NodeInclusionPolicy::Honor
            } else {
                NodeInclusionPolicy::Ignore
            },
            node_taints_policy: if c.honor_taints {
                NodeInclusionPolicy::Honor
            } else {
                NodeInclusionPolicy::Ignore
            },
        })
        .collect();
    let weighted = |v: &[(i32, TermSpec)]| {
        v.iter().map(|(w, t)| WeightedPodAffinityTerm { weight: *w, term: term(t) }).collect::<Vec<_>>()
    };
    if !s.req_aff.is_empty() || !s.pref_aff.is_empty() {
        p.pod_affinity = Some(PodAffinity {
            required: s.req_aff.iter().map(term).collect(),
            preferred: weighted(&s.pref_aff),
        });
    }
    if !s.req_anti.is_empty() || !s.pref_anti.is_empty() {
        p.pod_anti_affinity = Some(PodAffinity {
            required: s.req_anti.iter().map(term).collect(),
            preferred: weighted(&s.pref_anti),
        });
    }
    if let Some(z) = s.zone_selector {
        p.node_selector = labels(&[(LABEL_ZONE, &format!("z{z}"))]);
    }
    if s.tolerates {
        p.tolerations.push(Toleration {
            key: "dedicated".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
            toleration_seconds: None,
        });
    }
    if s.owned {
        p.owner_references =
            vec![OwnerReference::controller("apps/v1", "ReplicaSet", &format!("rs-{}", s.app))];
    }
    p
}

#[derive(Clone, Debug)]
enum Op {
    AddNode {
        zone: Option<u8>,
        region: Option<u8>,
        host: bool,
        tainted: bool,
    },
    /// An existing pod bound to the node at this index (mod the live nodes).
    Bind(PodSpec, usize),
    Unbind(usize),
    Terminate(usize),
    Relabel(usize, Option<u8>),
    RemoveNode(usize),
    /// Namespace `other` gets label `team: a` (true) or `team: b`.
    Namespace(bool),
    /// Compare the plugins on an incoming pod.
    Check(PodSpec),
    /// Compare, then bind the pod to the first node the default plugins accept.
    Schedule(PodSpec),
    CloneCluster,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop::option::weighted(0.9, 0u8..4), prop::option::of(0u8..2), prop::bool::weighted(0.9), prop::bool::weighted(0.15))
            .prop_map(|(zone, region, host, tainted)| Op::AddNode { zone, region, host, tainted }),
        8 => (pod_spec(), any::<usize>()).prop_map(|(s, n)| Op::Bind(s, n)),
        2 => any::<usize>().prop_map(Op::Unbind),
        1 => any::<usize>().prop_map(Op::Terminate),
        1 => (any::<usize>(), prop::option::weighted(0.8, 0u8..4)).prop_map(|(n, z)| Op::Relabel(n, z)),
        1 => any::<usize>().prop_map(Op::RemoveNode),
        1 => any::<bool>().prop_map(Op::Namespace),
        4 => pod_spec().prop_map(Op::Check),
        4 => pod_spec().prop_map(Op::Schedule),
        1 => Just(Op::CloneCluster),
    ]
}

fn node(name: &str, zone: Option<u8>, region: Option<u8>, host: bool, tainted: bool) -> Node {
    let mut l = Labels::new();
    if host {
        l.insert(LABEL_HOSTNAME.into(), name.into());
    }
    if let Some(z) = zone {
        l.insert(LABEL_ZONE.into(), zone_value(z));
    }
    if let Some(r) = region {
        l.insert(REGION.into(), format!("r{r}"));
    }
    Node {
        name: name.into(),
        labels: l,
        taints: if tainted {
            vec![Taint { key: "dedicated".into(), value: String::new(), effect: TaintEffect::NoSchedule }]
        } else {
            vec![]
        },
        unschedulable: false,
        allocatable: Resources { milli_cpu: 4000, memory: 1 << 34, pods: 110, ..Default::default() },
        capacity: Resources::default(),
        images: vec![],
    }
}

/// Zone label values: `z0`..`z2`, and 3 for the empty value (a domain of its own, which system
/// default constraints also give to nodes without the label).
fn zone_value(z: u8) -> String {
    if z == 3 { String::new() } else { format!("z{z}") }
}

fn start_cluster() -> Cluster {
    let mut c = Cluster::new();
    for z in 0..3u8 {
        c.add_node(node(&format!("n{z}"), Some(z), Some(z % 2), true, false)).expect("fresh name");
    }
    for ns in ["default", "other"] {
        for a in 0..3u8 {
            c.add_workload_selector(WorkloadSelector {
                kind: SelectorKind::ReplicaSet,
                name: format!("rs-{a}"),
                namespace: ns.into(),
                selector: LabelSelector {
                    match_labels: labels(&[("app", &app(a))]),
                    match_expressions: vec![],
                },
                created: crate::time::SimTime::ZERO,
            });
        }
    }
    c.add_workload_selector(WorkloadSelector {
        kind: SelectorKind::Service,
        name: "web".into(),
        namespace: "default".into(),
        selector: LabelSelector { match_labels: labels(&[("tier", "web")]), match_expressions: vec![] },
        created: crate::time::SimTime::ZERO,
    });
    c
}

/// The plugin configurations compared: upstream's defaults, `List` defaults with a hard zone
/// constraint and a soft hostname one, and InterPodAffinity with another hard weight or
/// ignoring existing pods' preferred terms.
fn configs() -> Vec<(PodTopologySpread, InterPodAffinity)> {
    let list = serde_json::json!({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "DoNotSchedule"},
        {"maxSkew": 2, "topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": "ScheduleAnyway"},
    ]});
    vec![
        (PodTopologySpread::default(), InterPodAffinity::default()),
        (
            PodTopologySpread::new(&list).expect("valid args"),
            InterPodAffinity { hard_pod_affinity_weight: 7, ignore_preferred_terms_of_existing_pods: false },
        ),
        (
            PodTopologySpread::default(),
            InterPodAffinity { hard_pod_affinity_weight: 0, ignore_preferred_terms_of_existing_pods: true },
        ),
    ]
}

/// Filter statuses of `nodes`, one by one and in one chunk, which must agree.
fn filter_all(
    f: &dyn FilterPlugin,
    cs: &CycleState,
    pod: &Pod,
    nodes: &[NodeId],
    c: &Cluster,
) -> Result<Vec<Status>, TestCaseError> {
    let one_by_one: Vec<Status> = nodes.iter().map(|id| f.filter(cs, pod, c.node(*id), c)).collect();
    let mut out = vec![0; nodes.len()];
    let mut table = Vec::new();
    f.filter_nodes(cs, pod, nodes, c, &mut out, &mut table);
    for (s, v) in one_by_one.iter().zip(&out) {
        let batch = if *v == PASS { Status::success() } else { table[*v as usize].clone() };
        prop_assert_eq!(s, &batch);
    }
    Ok(one_by_one)
}

/// PreScore, Score (node by node and for all nodes at once) and NormalizeScore over `nodes`:
/// `None` when PreScore skips.
fn scores(
    s: &dyn ScorePlugin,
    p: &dyn PreScorePlugin,
    pod: &Pod,
    nodes: &[NodeId],
    c: &Cluster,
) -> Result<Option<Vec<i64>>, TestCaseError> {
    let mut cs = CycleState::new();
    if p.pre_score(&mut cs, pod, nodes, c).is_skip() {
        return Ok(None);
    }
    let mut out = vec![0; nodes.len()];
    s.score_nodes(&cs, pod, nodes, c, &mut out).expect("state written");
    let one_by_one: Vec<i64> =
        nodes.iter().map(|id| s.score(&cs, pod, c.node(*id), c).expect("state written")).collect();
    prop_assert_eq!(&out, &one_by_one);
    prop_assert!(s.normalize_score(&cs, pod, &mut out).is_success());
    Ok(Some(out))
}

/// Both plugins against their references on `pod`, over all live nodes and over every other one
/// (PreScore's domains come from the scored nodes only). Returns the nodes both plugins pass.
fn compare(
    c: &Cluster,
    pod: &Pod,
    spread: &PodTopologySpread,
    ipa: &InterPodAffinity,
) -> Result<Vec<NodeId>, TestCaseError> {
    let all: Vec<NodeId> = c.node_order().to_vec();
    let mut feasible = vec![true; all.len()];

    let mut cs = CycleState::new();
    let (_, st) = spread.pre_filter(&mut cs, pod, c);
    let want = spread_ref::pre_filter(spread, pod, c);
    prop_assert_eq!(st.is_skip(), want.is_none(), "PodTopologySpread PreFilter skip");
    if let Some(w) = want {
        let got = filter_all(spread, &cs, pod, &all, c)?;
        for (k, id) in all.iter().enumerate() {
            let expected = spread_ref::filter(&w, c.node(*id));
            prop_assert_eq!(&got[k], &expected, "PodTopologySpread Filter on {}", c.node(*id).node.name);
            feasible[k] &= expected.is_success();
        }
    }

    let mut cs = CycleState::new();
    let (_, st) = ipa.pre_filter(&mut cs, pod, c);
    match ipa_ref::pre_filter(pod, c) {
        Err(e) => prop_assert_eq!(st, e),
        Ok(None) => prop_assert!(st.is_skip(), "InterPodAffinity PreFilter should skip: {:?}", st),
        Ok(Some(w)) => {
            prop_assert!(st.is_success(), "InterPodAffinity PreFilter: {:?}", st);
            let got = filter_all(ipa, &cs, pod, &all, c)?;
            for (k, id) in all.iter().enumerate() {
                let expected = ipa_ref::filter(&w, pod, c.node(*id));
                prop_assert_eq!(&got[k], &expected, "InterPodAffinity Filter on {}", c.node(*id).node.name);
                feasible[k] &= expected.is_success();
            }
        }
    }

    let half: Vec<NodeId> = all.iter().copied().step_by(2).collect();
    for nodes in [&all, &half] {
        let got = scores(spread, spread, pod, nodes, c)?;
        let want = spread_ref::pre_score(spread, pod, nodes, c).map(|s| {
            let mut v: Vec<i64> = nodes.iter().map(|id| spread_ref::score(&s, pod, c.node(*id), c)).collect();
            super::pod_topology_spread::normalize_spread_scores(&mut v, &s.ignored);
            v
        });
        prop_assert_eq!(got, want, "PodTopologySpread scores");
        if ipa_ref::pod_parse_error(pod).is_none() {
            let got = scores(ipa, ipa, pod, nodes, c)?;
            let want = ipa_ref::pre_score(
                pod,
                c,
                ipa.hard_pod_affinity_weight,
                ipa.ignore_preferred_terms_of_existing_pods,
            )
            .map(|t| {
                let mut v: Vec<i64> = nodes.iter().map(|id| ipa_ref::score(&t, c.node(*id))).collect();
                ipa_ref::normalize(&mut v);
                v
            });
            prop_assert_eq!(got, want, "InterPodAffinity scores");
        }
    }
    Ok(all.iter().zip(&feasible).filter(|(_, f)| **f).map(|(id, _)| *id).collect())
}

/// Victim selection as it was before: on a copy of the cluster, victims unbound and rebound,
/// PreFilter and Filter re-run from scratch at each check.
fn reference_select_victims(
    profile: &Profile,
    pod: &Pod,
    cluster: &Cluster,
    node: NodeId,
) -> Result<(Vec<PodId>, usize), Status> {
    let mut work = cluster.clone();
    let key =
        |c: &Cluster, p: PodId| (std::cmp::Reverse(c.pod(p).priority), c.start_time(p).unwrap_or(i64::MAX));
    let mut potential: Vec<PodId> =
        work.node(node).pods.iter().copied().filter(|p| work.pod(*p).priority < pod.priority).collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(MSG_NO_VICTIMS));
    }
    for &p in &potential {
        work.unbind(p);
    }
    let status = pod_fits_on_node(profile, pod, &work, node);
    if !status.is_success() {
        return Err(status);
    }
    potential.sort_by_key(|p| key(&work, *p));
    let mut victims = Vec::new();
    for p in potential {
        work.bind(p, node).expect("unbound above");
        if !pod_fits_on_node(profile, pod, &work, node).is_success() {
            work.unbind(p);
            victims.push(p);
        }
    }
    Ok((victims, 0))
}

/// Victim selection on every live node with one dry-run state against [`reference_select_victims`].
fn compare_preemption(c: &Cluster, pod: &Pod) -> Result<(), TestCaseError> {
    let config = SchedulerConfig::default_config(super::registry::in_tree());
    let profile = config.profile("default-scheduler").expect("the default profile");
    let nodes: Vec<NodeId> = c.node_order().to_vec();
    let got = select_victims_on_nodes(profile, pod, c, &nodes, &[]);
    for (n, got) in nodes.iter().zip(got) {
        let want = reference_select_victims(profile, pod, c, *n);
        prop_assert_eq!(got, want, "victims on {}", c.node(*n).node.name);
    }
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut c = start_cluster();
    let configs = configs();
    let mut bound: Vec<u32> = Vec::new();
    let mut names = 3;
    for (step, op) in ops.iter().enumerate() {
        let live: Vec<NodeId> = c.node_order().to_vec();
        match op {
            Op::AddNode { zone, region, host, tainted } => {
                c.add_node(node(&format!("n{names}"), *zone, *region, *host, *tainted)).expect("fresh name");
                names += 1;
            }
            Op::Bind(s, n) if !live.is_empty() => {
                let id = c.add_pod(pod(&format!("p{step}"), s));
                c.bind(id, live[n % live.len()]).expect("new pod");
                c.set_start_time(id, (n % 7) as i64);
                bound.push(id);
            }
            Op::Unbind(k) if !bound.is_empty() => {
                let id = bound.remove(k % bound.len());
                c.unbind(id);
            }
            Op::Terminate(k) if !bound.is_empty() => {
                let id = bound[k % bound.len()];
                if k % 2 == 0 { c.mark_terminating(id) } else { c.mark_preempted(id) }
            }
            Op::Relabel(n, zone) if !live.is_empty() => {
                let id = live[n % live.len()];
                let mut l = c.node(id).node.labels.clone();
                match zone {
                    Some(z) => l.insert(LABEL_ZONE.into(), zone_value(*z)),
                    None => l.remove(LABEL_ZONE),
                };
                if n % 2 == 0 {
                    c.set_node_labels(id, l);
                } else {
                    c.node_spec_mut(id).labels = l;
                }
            }
            Op::RemoveNode(n) if live.len() > 1 => {
                let id = live[n % live.len()];
                for p in c.node(id).pods.clone() {
                    c.unbind(p);
                    bound.retain(|b| *b != p);
                }
                c.remove_node(id).expect("no pods left");
            }
            Op::Namespace(a) => c.add_namespace("other", labels(&[("team", if *a { "a" } else { "b" })])),
            Op::Check(s) | Op::Schedule(s) => {
                let p = pod(&format!("in{step}"), s);
                compare_preemption(&c, &p)?;
                let mut feasible = Vec::new();
                for (k, (spread, ipa)) in configs.iter().enumerate() {
                    let f = compare(&c, &p, spread, ipa)?;
                    if k == 0 {
                        feasible = f;
                    }
                }
                if matches!(op, Op::Schedule(_))
                    && let Some(n) = feasible.first()
                {
                    let id = c.add_pod(p);
                    c.bind(id, *n).expect("new pod");
                    bound.push(id);
                }
            }
            Op::CloneCluster => c = c.clone(),
            _ => {}
        }
        if let Err(e) = c.verify_pod_index() {
            return Err(TestCaseError::fail(format!("after step {step} ({op:?}): {e}")));
        }
    }
    Ok(())
}

proptest! {
    // No failure files in the source tree: a failure prints its minimal input.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(96) })]

    /// Random workloads decide exactly as the plugins' pre-index algorithms, and the index always
    /// equals a recount.
    #[test]
    fn plugins_with_the_pod_index_decide_as_the_pod_walks(ops in prop::collection::vec(op(), 1..48)) {
        run(&ops)?;
    }
}
