//! Upstream v1.35.4 behaviours found by comparing capsim with kube-scheduler on random input
//! (issue 15): Score plugins whose PreScore/PreFilter state is missing, and which requests each
//! resource path counts for pods with pod-level `spec.resources`.

use crate::model::resources::MEMORY;
use crate::model::{Cluster, Container, Node, Pod, Resources, simple_pod};
use crate::scheduler::framework::{CycleState, PreFilterPlugin, PreScorePlugin, ScorePlugin};

use super::dynamic_resources::DynamicResources;
use super::node_resources_balanced_allocation::BalancedAllocation;
use super::node_resources_fit::Fit;
use super::taint_toleration::TaintToleration;

const MI: i64 = 1 << 20;

fn cluster_with(milli_cpu: i64, memory: i64) -> Cluster {
    let mut c = Cluster::new();
    let allocatable = Resources { milli_cpu, memory, pods: 110, ..Default::default() };
    c.add_node(Node {
        name: "n".into(),
        labels: Default::default(),
        taints: vec![],
        unschedulable: false,
        capacity: allocatable.clone(),
        allocatable,
        images: vec![],
    })
    .unwrap();
    c
}

/// One container without requests; pod-level `requests.memory` (as the API server defaults it
/// from pod-level limits).
fn pod_level_memory_pod(memory: i64) -> Pod {
    let mut p = simple_pod("p", Resources::default());
    p.pod_level_requests.insert(MEMORY.to_string(), memory);
    p.refresh_requests();
    p
}

#[test]
fn taint_toleration_score_fails_without_its_pre_score() {
    let c = cluster_with(1000, 1000 * MI);
    let pod = simple_pod("p", Resources::default());
    let err = TaintToleration.score(&CycleState::new(), &pod, c.node(0), &c).unwrap_err();
    assert_eq!(err.message(), "failed to read \"PreScoreTaintToleration\" from cycleState: not found");
    // Its shortcut for clusters without PreferNoSchedule taints must not hide the error.
    assert!(!TaintToleration.uniform_scores(&CycleState::new(), &pod, &[0], &c));
    let mut cs = CycleState::new();
    assert!(TaintToleration.pre_score(&mut cs, &pod, &[0], &c).is_success());
    assert_eq!(TaintToleration.score(&cs, &pod, c.node(0), &c), Ok(0));
}

#[test]
fn dynamic_resources_score_fails_without_its_pre_filter() {
    let c = cluster_with(1000, 1000 * MI);
    let pod = simple_pod("p", Resources::default());
    let err = DynamicResources.score(&CycleState::new(), &pod, c.node(0), &c).unwrap_err();
    assert_eq!(err.message(), "not found");
    let mut cs = CycleState::new();
    // PreFilter writes its state, then skips a pod without claims.
    assert!(DynamicResources.pre_filter(&mut cs, &pod, &c).1.is_skip());
    assert_eq!(DynamicResources.score(&cs, &pod, c.node(0), &c), Ok(0));
}

#[test]
fn balanced_allocation_scores_best_effort_zero_without_pre_score() {
    let c = cluster_with(4000, 1500 * MI);
    let ba = BalancedAllocation::new(&serde_json::Value::Null).unwrap();
    let best_effort = simple_pod("p", Resources::default());
    // With PreScore: Skip. Without: Score's fallback returns 0 (upstream `isBestEffortPod`).
    assert!(ba.pre_score(&mut CycleState::new(), &best_effort, &[0], &c).is_skip());
    assert_eq!(ba.score(&CycleState::new(), &best_effort, c.node(0), &c), Ok(0));
    let mut out = [7];
    ba.score_nodes(&CycleState::new(), &best_effort, &[0], &c, &mut out).unwrap();
    assert_eq!(out, [0]);
    // A pod with requests is scored the same with or without PreScore.
    let pod = simple_pod("q", Resources { milli_cpu: 1000, ..Default::default() });
    let mut cs = CycleState::new();
    assert!(ba.pre_score(&mut cs, &pod, &[0], &c).is_success());
    assert_eq!(ba.score(&cs, &pod, c.node(0), &c), ba.score(&CycleState::new(), &pod, c.node(0), &c));
}

#[test]
fn fit_scorer_ignores_pod_level_resources_but_balanced_allocation_counts_them() {
    // The oracle-found case's node: 1500Mi. Upstream's Fit scorer counts the container's 200Mi
    // stand-in, not the pod-level 32Mi: memory (1500−200)·100/1500 = 86, cpu (4000−100)·100/4000
    // = 97, LeastAllocated (97 + 86) / 2 = 91.
    let c = cluster_with(4000, 1500 * MI);
    let pod = pod_level_memory_pod(32 * MI);
    let fit = Fit::new(&serde_json::Value::Null).unwrap();
    assert_eq!(fit.score(&CycleState::new(), &pod, c.node(0), &c), Ok(91));
    let mut out = [0];
    fit.score_nodes(&CycleState::new(), &pod, &[0], &c, &mut out).unwrap();
    assert_eq!(out, [91]);
    // BalancedAllocation sets enablePodLevelResources: cpu 0/4000, memory 32/1500 →
    // (1 − |0 − 0.02133| / 2) · 100 = 98.
    let ba = BalancedAllocation::new(&serde_json::Value::Null).unwrap();
    assert_eq!(ba.score(&CycleState::new(), &pod, c.node(0), &c), Ok(98));
}

#[test]
fn bound_pods_with_pod_level_resources_get_stand_ins_only_for_undeclared_resources() {
    // Upstream's cache (`getNonMissingContainerRequests` with pod-level requests set): a resource
    // some container or the pod level requests gets no 100m / 200Mi stand-in.
    let mut p = pod_level_memory_pod(32 * MI);
    let with_cpu = Container {
        name: "b".into(),
        has_cpu_request: true,
        requests: Resources { milli_cpu: 200, ..Default::default() },
        ..Default::default()
    };
    p.containers.push(with_cpu);
    p.refresh_requests();
    assert_eq!((p.non_zero_requests.milli_cpu, p.non_zero_requests.memory), (200, 32 * MI));
    // Without pod-level requests every container missing a request gets the stand-in.
    p.pod_level_requests.clear();
    p.refresh_requests();
    assert_eq!((p.non_zero_requests.milli_cpu, p.non_zero_requests.memory), (300, 400 * MI));
    // Neither declares cpu: the stand-in per container.
    let mut q = pod_level_memory_pod(32 * MI);
    q.containers.push(Container { name: "b".into(), ..Default::default() });
    q.refresh_requests();
    assert_eq!((q.non_zero_requests.milli_cpu, q.non_zero_requests.memory), (200, 32 * MI));
}

/// `capsim run`'s cycle (no recorded scores) on a profile enabling `score` plugins without their
/// PreScore, or no Score plugin at all, as upstream's `schedulePod` / `prioritizeNodes` decide.
mod unusual_profiles {
    use rand::SeedableRng;

    use super::*;
    use crate::scheduler::framework::profile::{SchedulerConfig, build};
    use crate::scheduler::framework::runner::{
        CycleOptions, CycleOutcome, SchedulerState, TieBreak, schedule_pod,
    };
    use crate::scheduler::plugins::registry::in_tree;

    fn config(score: &str) -> SchedulerConfig {
        let text = format!(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- plugins:\n    multiPoint:\n      disabled: [{{name: '*'}}]\n      enabled: [{{name: PrioritySort}}, {{name: DefaultBinder}}]\n{score}"
        );
        let cfg = crate::api::yaml::from_str_typed(&text, std::path::Path::new("c.yaml")).unwrap();
        build(&cfg, in_tree()).unwrap()
    }

    fn cluster(nodes: usize) -> Cluster {
        let mut c = Cluster::new();
        for i in 0..nodes {
            let allocatable =
                Resources { milli_cpu: 1000, memory: 1000 * MI, pods: 110, ..Default::default() };
            c.add_node(Node {
                name: format!("n{i}"),
                labels: Default::default(),
                taints: vec![],
                unschedulable: false,
                capacity: allocatable.clone(),
                allocatable,
                images: vec![],
            })
            .unwrap();
        }
        c
    }

    fn run(
        cfg: &SchedulerConfig,
        c: &Cluster,
        record_scores: bool,
    ) -> crate::scheduler::framework::runner::CycleResult {
        let opts = CycleOptions {
            tie_break: TieBreak::FirstNode,
            record_scores,
            run_post_filter: false,
            nominated_node: None,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let pod = simple_pod("p", Resources::default());
        schedule_pod(&cfg.profiles[0], &pod, c, &mut SchedulerState::default(), &mut rng, opts)
    }

    #[test]
    fn score_without_pre_score_fails_the_cycle_on_two_nodes_and_binds_one() {
        let cfg = config("    score:\n      enabled: [{name: TaintToleration}]\n");
        let want = "running Score plugins: plugin \"TaintToleration\" failed with: failed to read \"PreScoreTaintToleration\" from cycleState: not found";
        assert_eq!(run(&cfg, &cluster(2), false).outcome, CycleOutcome::Error(want.into()));
        assert_eq!(run(&cfg, &cluster(2), true).outcome, CycleOutcome::Error(want.into()));
        // One feasible node: bound without PreScore/Score; an explained cycle notes the error.
        assert_eq!(run(&cfg, &cluster(1), false).outcome, CycleOutcome::Scheduled(0));
        let r = run(&cfg, &cluster(1), true);
        assert_eq!((r.outcome, r.score_error.as_deref()), (CycleOutcome::Scheduled(0), Some(want)));
        let cfg = config("    score:\n      enabled: [{name: InterPodAffinity}]\n");
        assert_eq!(
            run(&cfg, &cluster(2), false).outcome,
            CycleOutcome::Error("running Score plugins: plugin \"InterPodAffinity\" failed with: failed to read \"PreScoreInterPodAffinity\" from cycleState: not found".into())
        );
    }

    #[test]
    fn no_score_plugin_totals_one() {
        let r = run(&config(""), &cluster(3), true);
        let table = r.scores.unwrap();
        assert!(table.plugins.is_empty());
        assert_eq!(table.rows.iter().map(|r| r.2).collect::<Vec<_>>(), [1, 1, 1]);
        assert_eq!(r.outcome, CycleOutcome::Scheduled(0));
    }
}

/// Non-integer `Gt`/`Lt` values in node affinity (issue 15): v1.35's API server accepts them
/// (`ValidateNodeSelectorRequirement` only counts the values); the scheduler's parser
/// (`labels.NewRequirement`) refuses the term. A required term then matches no node; a preferred
/// term makes NodeAffinity's PreScore fail, so the cycle errors with two or more feasible nodes
/// and binds the pod without scoring when one is feasible.
mod non_integer_gt_lt {
    use rand::SeedableRng;

    use super::*;
    use crate::model::{NodeAffinity, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement};
    use crate::model::{NodeSelectorTerm, PreferredSchedulingTerm};
    use crate::scheduler::framework::profile::{SchedulerConfig, build};
    use crate::scheduler::framework::runner::{
        CycleOptions, CycleOutcome, SchedulerState, TieBreak, schedule_pod,
    };
    use crate::scheduler::plugins::registry::in_tree;

    fn default_profile() -> SchedulerConfig {
        let text = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";
        let cfg = crate::api::yaml::from_str_typed(text, std::path::Path::new("c.yaml")).unwrap();
        build(&cfg, in_tree()).unwrap()
    }

    fn cluster(nodes: usize) -> Cluster {
        let mut c = Cluster::new();
        for i in 0..nodes {
            let allocatable =
                Resources { milli_cpu: 1000, memory: 1000 * MI, pods: 110, ..Default::default() };
            c.add_node(Node {
                name: format!("n{i}"),
                labels: [("cores".to_string(), "8".to_string())].into(),
                taints: vec![],
                unschedulable: false,
                capacity: allocatable.clone(),
                allocatable,
                images: vec![],
            })
            .unwrap();
        }
        c
    }

    fn term(op: NodeSelectorOperator, value: &str) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![NodeSelectorRequirement {
                key: "cores".into(),
                operator: op,
                values: vec![value.into()],
            }],
            match_fields: vec![],
        }
    }

    fn run(pod: &Pod, c: &Cluster) -> CycleOutcome {
        let opts = CycleOptions {
            tie_break: TieBreak::FirstNode,
            record_scores: false,
            run_post_filter: false,
            nominated_node: None,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        schedule_pod(&default_profile().profiles[0], pod, c, &mut SchedulerState::default(), &mut rng, opts)
            .outcome
    }

    #[test]
    fn required_term_with_a_non_integer_value_matches_no_node() {
        let mut pod = simple_pod("p", Resources::default());
        pod.node_affinity = Some(NodeAffinity {
            required: Some(NodeSelector { terms: vec![term(NodeSelectorOperator::Gt, "4.5")] }),
            preferred: vec![],
        });
        match run(&pod, &cluster(2)) {
            CycleOutcome::Unschedulable(e) => assert_eq!(
                e.message,
                "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
            ),
            other => panic!("unexpected {other:?}"),
        }
        // Another term that parses still matches (terms are ORed; only the bad one fails).
        pod.node_affinity
            .as_mut()
            .unwrap()
            .required
            .as_mut()
            .unwrap()
            .terms
            .push(term(NodeSelectorOperator::Gt, "4"));
        assert_eq!(run(&pod, &cluster(2)), CycleOutcome::Scheduled(0));
    }

    #[test]
    fn preferred_term_with_a_non_integer_value_fails_pre_score() {
        let mut pod = simple_pod("p", Resources::default());
        pod.node_affinity = Some(NodeAffinity {
            required: None,
            preferred: vec![
                PreferredSchedulingTerm { weight: 0, preference: term(NodeSelectorOperator::Lt, "x") },
                PreferredSchedulingTerm { weight: 5, preference: term(NodeSelectorOperator::Lt, "abc") },
            ],
        });
        assert_eq!(
            run(&pod, &cluster(2)),
            CycleOutcome::Error(
                "running PreScore plugin \"NodeAffinity\": [1].preference.matchExpressions[0].values[0]: Invalid \
                 value: \"abc\": for 'Gt', 'Lt' operators, the value must be an integer"
                    .into()
            )
        );
        // One feasible node: no PreScore, the pod is bound.
        assert_eq!(run(&pod, &cluster(1)), CycleOutcome::Scheduled(0));
        // Two bad values: both errors, bracketed as Go's aggregate prints them.
        pod.node_affinity.as_mut().unwrap().preferred[0].weight = 1;
        assert_eq!(
            run(&pod, &cluster(2)),
            CycleOutcome::Error(
                "running PreScore plugin \"NodeAffinity\": [[0].preference.matchExpressions[0].values[0]: Invalid \
                 value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer, \
                 [1].preference.matchExpressions[0].values[0]: Invalid value: \"abc\": for 'Gt', 'Lt' operators, \
                 the value must be an integer]"
                    .into()
            )
        );
    }
}
