//! The dry run: victims per node (`SelectVictimsOnNode`), PDB violations
//! (`filterPodsWithPDBViolation`) and the candidate list (`DryRunPreemption`).

use std::cmp::Reverse;

use super::MSG_NO_VICTIMS;
use super::pick::VictimSummary;
use super::state::{DryRunState, Known, shift};
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
    let mut victims = Vec::new();
    select_victims_among(run, node, &mut potential, pdbs, &mut victims).map(|(n, _)| (victims, n))
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

/// For each of `nodes` (at most [`GATHER`]), in `ahead`'s slot of the same rank: the outcome
/// when [`DryRunState::shortcut`] knows it, else the node's potential victims as
/// [`potential_victims`] lists them. The loads, mostly cache misses, go in three passes over
/// the nodes (their pod lists, then the pods' rows and ids, then their start times), so each
/// pass's misses are independent and overlap.
fn gather_ahead(
    run: &DryRunState<'_>,
    nodes: impl Iterator<Item = NodeId>,
    ahead: &mut [(Option<Known>, Vec<Potential>)],
) {
    let cluster = run.cluster;
    let mut lists: [(&[PodId], &[PodRow]); GATHER] = [(&[], &[]); GATHER];
    let mut count = 0;
    for (k, n) in nodes.enumerate() {
        ahead[k].0 = run.known(n);
        if ahead[k].0.is_none() {
            let info = cluster.node(n);
            lists[k] = (&info.pods, &info.pod_rows);
        }
        count = k + 1;
    }
    for ((known, buf), (pods, rows)) in ahead.iter_mut().zip(&lists).take(count) {
        buf.clear();
        if known.is_none() {
            for (p, r) in pods.iter().zip(rows.iter()) {
                if r.priority < run.pod.priority {
                    buf.push((*p, *r, 0));
                }
            }
        }
    }
    for (known, buf) in ahead.iter_mut().take(count) {
        if known.is_none() {
            for v in buf.iter_mut() {
                v.2 = start_time(cluster, v.0);
            }
        }
    }
}

/// [`select_victims`] given the node's potential victims ([`potential_victims`]): the victims
/// are appended to `victims`; returns how many violate a budget and their summary.
fn select_victims_among(
    run: &mut DryRunState<'_>,
    node: NodeId,
    potential: &mut [Potential],
    pdbs: &[(&PodDisruptionBudget, i32)],
    victims: &mut Vec<PodId>,
) -> Result<(usize, VictimSummary), Status> {
    if potential.is_empty() {
        return Err(Status::unresolvable(MSG_NO_VICTIMS));
    }
    if pdbs.is_empty()
        && let Some(outcome) = select_on_rows(run, node, potential, victims)
    {
        return outcome;
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
    let first = victims.len();
    let mut summary = VictimSummary::default();
    let mut num_violating = 0;
    let mut reprieve = |run: &mut DryRunState<'_>, (p, row, start): Potential, violates: bool| {
        run.add(p);
        if !run.fits().is_success() {
            run.remove(p, row);
            victims.push(p);
            summary.add(row.priority, start);
            if violates {
                num_violating += 1;
            }
        }
    };
    if pdbs.is_empty() {
        for &v in potential.iter() {
            reprieve(run, v, false);
        }
    } else {
        let order: Vec<PodId> = potential.iter().map(|(p, _, _)| *p).collect();
        let (violating, non_violating) = filter_pods_with_pdb_violation(&order, cluster, pdbs);
        let entry = |p: PodId| *potential.iter().find(|(x, _, _)| *x == p).expect("a potential victim");
        for (group, violates) in [(&violating, true), (&non_violating, false)] {
            for &p in group {
                reprieve(run, entry(p), violates);
            }
        }
        if !violating.is_empty() && !non_violating.is_empty() {
            victims[first..].sort_by_key(|p| importance_key(cluster, *p));
        }
    }
    run.finish(victims[first..].iter().copied());
    Ok((num_violating, summary))
}

/// [`select_victims_among`] without budgets on a node whose every step the [`NodeHot`] row
/// decides: the potential victims are plain and [`DryRunState::rows_may_decide`], so the node
/// without some pods is its row with their sums taken off, and each check is
/// [`DryRunState::row_passes`] (the same verdicts as [`DryRunState::fits`], without touching
/// the dry run's state). `None`, with `victims` as it was, where a check needs the node itself
/// (`potential` may then be sorted already: the general path takes plain pods off in any order
/// to the same node, and no PreFilter state follows them).
fn select_on_rows(
    run: &DryRunState<'_>,
    node: NodeId,
    potential: &mut [Potential],
    victims: &mut Vec<PodId>,
) -> Option<Result<(usize, VictimSummary), Status>> {
    if !run.rows_may_decide() || potential.iter().any(|(_, r, _)| !r.plain) {
        return None;
    }
    let mut row = run.cluster.hot()[node as usize];
    for (_, r, _) in potential.iter() {
        shift(&mut row, r, -1);
    }
    let status = run.row_status(&row)?;
    if !status.is_success() {
        return Some(Err(status));
    }
    potential.sort_by_key(|(_, row, start)| (Reverse(row.priority), *start));
    let first = victims.len();
    let mut summary = VictimSummary::default();
    for &(p, r, start) in potential.iter() {
        shift(&mut row, &r, 1);
        let Some(fits) = run.row_passes(&row) else {
            victims.truncate(first);
            return None;
        };
        if !fits {
            shift(&mut row, &r, -1);
            victims.push(p);
            summary.add(r.priority, start);
        }
    }
    Some(Ok((0, summary)))
}

/// How many nodes' potential victims the dry run gathers ahead.
const GATHER: usize = 32;

/// A candidate as the dry run keeps it: the node, its victims (`victims[from..to]` of the
/// [`DryRun`]), its PDB violations and what choosing among candidates reads of its victims.
#[derive(Clone, Debug)]
pub(super) struct Found {
    pub node: NodeId,
    pub from: usize,
    pub to: usize,
    pub num_pdb_violations: usize,
    pub summary: VictimSummary,
}

/// What the dry run found: candidates (non-violating first) with their victims in one list; when
/// there is none, the statuses of the nodes tried and the error messages among them.
#[derive(Debug, Default)]
pub(super) struct DryRun {
    pub candidates: Vec<Found>,
    pub victims: Vec<PodId>,
    pub statuses: Vec<(NodeId, Status)>,
    pub errors: Vec<String>,
}

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
    let mut out = DryRun::default();
    let mut violating: Vec<Found> = Vec::new();
    // The outcome of the next nodes when [`DryRunState::shortcut`] knows it, else their
    // potential victims, gathered ahead ([`gather_ahead`]); nodes gathered past the last one
    // needed change nothing.
    let mut ahead: Vec<(Option<Known>, Vec<Potential>)> = vec![(None, Vec::new()); GATHER];
    // The nodes that are not candidates, with their status or how the rows know it (built only
    // when no candidate is found: only then is it read).
    let mut rejected: Vec<(NodeId, Result<Status, Known>)> = Vec::new();
    for i in 0..potential.len() {
        let node = potential[(offset + i) % potential.len()];
        let slot = i % GATHER;
        if slot == 0 {
            let next =
                (0..GATHER.min(potential.len() - i)).map(|k| potential[(offset + i + k) % potential.len()]);
            gather_ahead(&run, next, &mut ahead);
        }
        let (known, buf) = &mut ahead[slot];
        let from = out.victims.len();
        let outcome = match known.take() {
            Some(k) => {
                rejected.push((node, Err(k)));
                continue;
            }
            None => select_victims_among(&mut run, node, buf, pdbs, &mut out.victims),
        };
        match outcome {
            Ok((num_pdb_violations, summary)) if out.victims.len() > from => {
                let to = out.victims.len();
                let c = Found { node, from, to, num_pdb_violations, summary };
                let list = if num_pdb_violations == 0 { &mut out.candidates } else { &mut violating };
                if list.len() < num_candidates {
                    list.push(c);
                } else {
                    out.victims.truncate(from);
                }
                if !out.candidates.is_empty() && out.candidates.len() + violating.len() >= num_candidates {
                    break;
                }
            }
            Ok(_) => {
                let s = Status::error(format!(
                    "expected at least one victim pod on node {:?}",
                    cluster.node(node).node.name
                ));
                rejected.push((node, Ok(s)));
            }
            Err(s) => rejected.push((node, Ok(s))),
        }
    }
    out.candidates.extend(violating);
    if out.candidates.is_empty() {
        for (node, s) in rejected {
            let s = s.unwrap_or_else(|k| run.known_status(node, k));
            if s.code == Code::Error {
                out.errors.push(s.message());
            }
            out.statuses.push((node, s));
        }
    }
    out
}
