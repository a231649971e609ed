//! The dry run: victims per node (`SelectVictimsOnNode`), PDB violations
//! (`filterPodsWithPDBViolation`) and the candidate list (`DryRunPreemption`).

use std::cmp::Reverse;

use super::MSG_NO_VICTIMS;
use super::state::DryRunState;
use crate::model::{Cluster, NodeId, Pod, PodDisruptionBudget, PodId, PodRow};
use crate::scheduler::framework::{Code, Profile, Status};

/// A node where preemption would let the pod fit (upstream `Candidate` with its
/// `extenderv1.Victims`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The node.
    pub node: NodeId,
    /// Pods to evict, most important first (upstream keeps them sorted by `MoreImportantPod`).
    pub victims: Vec<PodId>,
    /// How many victims violate a PodDisruptionBudget.
    pub num_pdb_violations: usize,
}

/// A pod's start time for preemption: the recorded one, or "now" (later than every recorded
/// start) for a pod that has none, as upstream `GetPodStartTime` returns `time.Now()`.
pub(super) fn start_time(cluster: &Cluster, id: PodId) -> i64 {
    cluster.start_time(id).unwrap_or(i64::MAX)
}

/// Sort key in upstream's `MoreImportantPod` order: higher priority first, then the earlier start.
fn importance_key(cluster: &Cluster, id: PodId) -> (Reverse<i32>, i64) {
    (Reverse(cluster.pod(id).priority), start_time(cluster, id))
}

/// Upstream `util.MoreImportantPod`: `a` has a higher priority than `b`, or the same priority and
/// an earlier start time.
pub fn more_important_pod(cluster: &Cluster, a: PodId, b: PodId) -> bool {
    importance_key(cluster, a) < importance_key(cluster, b)
}

/// Upstream `filterPodsWithPDBViolation`: splits `pods` (kept in their order) into those whose
/// eviction would push a budget below zero allowed disruptions and the others. Each budget starts
/// at its `disruptionsAllowed` (paired in `pdbs`); every pod it covers
/// ([`PodDisruptionBudget::covers_for_preemption`]) takes one, in the order given; a pod is
/// violating when any budget covering it goes negative.
pub fn filter_pods_with_pdb_violation(
    pods: &[PodId],
    cluster: &Cluster,
    pdbs: &[(&PodDisruptionBudget, i32)],
) -> (Vec<PodId>, Vec<PodId>) {
    if pdbs.is_empty() {
        return (Vec::new(), pods.to_vec());
    }
    let mut allowed: Vec<i32> = pdbs.iter().map(|(_, a)| *a).collect();
    let mut violating = Vec::new();
    let mut non_violating = Vec::new();
    for &id in pods {
        let pod = cluster.pod(id);
        let mut violated = false;
        for (i, (pdb, _)) in pdbs.iter().enumerate() {
            if pdb.covers_for_preemption(pod) {
                allowed[i] -= 1;
                if allowed[i] < 0 {
                    violated = true;
                }
            }
        }
        if violated { violating.push(id) } else { non_violating.push(id) }
    }
    (violating, non_violating)
}

/// Upstream `SelectVictimsOnNode`: the fewest, least important pods on `node` whose eviction lets
/// `pod` fit, and how many of them violate a PodDisruptionBudget.
///
/// 1. Potential victims: the node's pods with priority strictly lower than the pod's. None →
///    `UnschedulableAndUnresolvable` "No preemption victims found for incoming pod".
/// 2. Without all of them, the pod must pass PreFilter + Filter, else that status is returned.
/// 3. Sorted most important first, split into PDB-violating and other pods; each is put back
///    ("reprieved") in that order, violating ones first, and stays when the pod still fits;
///    otherwise it becomes a victim. Violating pods that stay victims count as violations.
/// 4. Victims are re-sorted most important first when both groups were non-empty.
///
/// The cluster is not changed: the pods are taken off a copy of the node, and the PreFilter
/// state follows through the plugins' PreFilter extensions, as upstream's dry run does.
pub fn select_victims_on_node(
    profile: &Profile,
    pod: &Pod,
    cluster: &Cluster,
    node: NodeId,
    pdbs: &[(&PodDisruptionBudget, i32)],
) -> Result<(Vec<PodId>, usize), Status> {
    select_victims(&mut DryRunState::new(profile, pod, cluster), node, pdbs)
}

/// [`select_victims_on_node`] on each of `nodes` in turn with one dry-run state, as
/// [`dry_run_preemption`] goes through them (for tests: the state must come back intact after
/// every node).
#[cfg(test)]
pub(crate) fn select_victims_on_nodes(
    profile: &Profile,
    pod: &Pod,
    cluster: &Cluster,
    nodes: &[NodeId],
    pdbs: &[(&PodDisruptionBudget, i32)],
) -> Vec<Result<(Vec<PodId>, usize), Status>> {
    let mut run = DryRunState::new(profile, pod, cluster);
    nodes.iter().map(|n| select_victims(&mut run, *n, pdbs)).collect()
}

/// [`select_victims_on_node`] with the dry run's state `run` (one PreFilter for every node).
fn select_victims(
    run: &mut DryRunState<'_>,
    node: NodeId,
    pdbs: &[(&PodDisruptionBudget, i32)],
) -> Result<(Vec<PodId>, usize), Status> {
    if let Some(status) = run.shortcut(node) {
        return Err(status);
    }
    let mut potential = Vec::new();
    potential_victims(run.cluster, node, run.pod.priority, &mut potential);
    select_victims_among(run, node, &mut potential, pdbs)
}

/// A potential victim: the pod, its row and its start time.
type Potential = (PodId, PodRow, i64);

/// The pods on `node` of lower priority than `priority`, in the node's order, into `out`.
fn potential_victims(cluster: &Cluster, node: NodeId, priority: i32, out: &mut Vec<Potential>) {
    out.clear();
    let info = cluster.node(node);
    for (p, r) in info.pods.iter().zip(&info.pod_rows) {
        if r.priority < priority {
            out.push((*p, *r, start_time(cluster, *p)));
        }
    }
}

/// [`select_victims`] given the node's potential victims ([`potential_victims`]).
fn select_victims_among(
    run: &mut DryRunState<'_>,
    node: NodeId,
    potential: &mut [Potential],
    pdbs: &[(&PodDisruptionBudget, i32)],
) -> Result<(Vec<PodId>, usize), Status> {
    if potential.is_empty() {
        return Err(Status::unresolvable(MSG_NO_VICTIMS));
    }
    let cluster = run.cluster;
    run.start(node, potential.iter().any(|(_, r, _)| !r.plain));
    for &(p, row, _) in potential.iter() {
        run.remove(p, row);
    }
    let status = run.fits();
    if !status.is_success() {
        run.finish(potential.iter().map(|(p, _, _)| *p));
        return Err(status);
    }
    // `MoreImportantPod` order (higher priority, then earlier start), as `importance_key`.
    potential.sort_by_key(|(_, row, start)| (Reverse(row.priority), *start));
    let mut victims: Vec<PodId> = Vec::new();
    let mut num_violating = 0;
    let mut reprieve = |run: &mut DryRunState<'_>, p: PodId, row: PodRow, violates: bool| {
        run.add(p);
        if !run.fits().is_success() {
            run.remove(p, row);
            victims.push(p);
            if violates {
                num_violating += 1;
            }
        }
    };
    if pdbs.is_empty() {
        for &(p, row, _) in potential.iter() {
            reprieve(run, p, row, false);
        }
    } else {
        let order: Vec<PodId> = potential.iter().map(|(p, _, _)| *p).collect();
        let (violating, non_violating) = filter_pods_with_pdb_violation(&order, cluster, pdbs);
        let row_of = |p: PodId| potential.iter().find(|(x, _, _)| *x == p).expect("a potential victim").1;
        for (group, violates) in [(&violating, true), (&non_violating, false)] {
            for &p in group {
                reprieve(run, p, row_of(p), violates);
            }
        }
        if !violating.is_empty() && !non_violating.is_empty() {
            victims.sort_by_key(|p| importance_key(cluster, *p));
        }
    }
    run.finish(victims.iter().copied());
    Ok((victims, num_violating))
}

/// How many nodes' potential victims the dry run gathers ahead.
const GATHER: usize = 16;

/// What the dry run found: candidates (non-violating first), the statuses of the nodes that are
/// not candidates, and the error messages among them.
pub(super) type DryRun = (Vec<Candidate>, Vec<(NodeId, Status)>, Vec<String>);

/// Upstream `DryRunPreemption`, sequentially: the potential nodes from `offset` (wrapping), each
/// through [`select_victims_on_node`] with one PreFilter state for the whole run, until at least one
/// candidate without PDB violations exists and `num_candidates` candidates were found. Each list
/// (non-violating, violating) keeps at most `num_candidates` entries; the result lists the
/// non-violating candidates first. A node whose selection succeeds without victims is an error
/// ("expected at least one victim pod on node ...").
pub(super) fn dry_run_preemption(
    profile: &Profile,
    pod: &Pod,
    cluster: &Cluster,
    potential: &[NodeId],
    pdbs: &[(&PodDisruptionBudget, i32)],
    offset: usize,
    num_candidates: usize,
) -> DryRun {
    let mut run = DryRunState::new(profile, pod, cluster);
    let mut non_violating: Vec<Candidate> = Vec::new();
    let mut violating: Vec<Candidate> = Vec::new();
    let mut statuses: Vec<(NodeId, Status)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    // The outcome of the next nodes when [`DryRunState::shortcut`] knows it, else their
    // potential victims, gathered ahead in one short loop (their loads, mostly cache misses,
    // overlap); nodes gathered past the last one needed change nothing.
    let mut ahead: Vec<(Option<Status>, Vec<Potential>)> = vec![(None, Vec::new()); GATHER];
    for i in 0..potential.len() {
        let node = potential[(offset + i) % potential.len()];
        let slot = i % GATHER;
        if slot == 0 {
            for (k, (known, buf)) in ahead.iter_mut().enumerate().take(potential.len() - i) {
                let n = potential[(offset + i + k) % potential.len()];
                *known = run.shortcut(n);
                if known.is_none() {
                    potential_victims(cluster, n, pod.priority, buf);
                }
            }
        }
        let (known, buf) = &mut ahead[slot];
        let outcome = match known.take() {
            Some(status) => Err(status),
            None => select_victims_among(&mut run, node, buf, pdbs),
        };
        match outcome {
            Ok((victims, num_pdb_violations)) if !victims.is_empty() => {
                let c = Candidate { node, victims, num_pdb_violations };
                let list = if num_pdb_violations == 0 { &mut non_violating } else { &mut violating };
                if list.len() < num_candidates {
                    list.push(c);
                }
                if !non_violating.is_empty() && non_violating.len() + violating.len() >= num_candidates {
                    break;
                }
            }
            Ok(_) => {
                let s = Status::error(format!(
                    "expected at least one victim pod on node {:?}",
                    cluster.node(node).node.name
                ));
                errors.push(s.message());
                statuses.push((node, s));
            }
            Err(s) => {
                if s.code == Code::Error {
                    errors.push(s.message());
                }
                statuses.push((node, s));
            }
        }
    }
    non_violating.extend(violating);
    (non_violating, statuses, errors)
}
