//! The dry run: victims per node (`SelectVictimsOnNode`), PDB violations
//! (`filterPodsWithPDBViolation`) and the candidate list (`DryRunPreemption`).

use std::cmp::Reverse;

use super::MSG_NO_VICTIMS;
use crate::model::{Cluster, NodeId, Pod, PodDisruptionBudget, PodId};
use crate::scheduler::framework::{Code, CycleState, Profile, Status};

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

/// Whether `pod` passes the profile's PreFilter and Filter plugins on `node` of `cluster` (upstream
/// `RunFilterPluginsWithNominatedPods` with no nominated pods, on a PreFilter state that reflects
/// `cluster`). PreFilter Skip disables that plugin's Filter; PreFilterResults are ignored (the node
/// already passed them in the cycle). Returns the first rejecting status, tagged with its plugin.
pub fn pod_fits_on_node(profile: &Profile, pod: &Pod, cluster: &Cluster, node: NodeId) -> Status {
    match pre_filter(profile, pod, cluster) {
        Ok(cs) => filter_on_node(profile, &cs, pod, cluster, node),
        Err(status) => status,
    }
}

/// The profile's PreFilter for `pod` on `cluster`: the cycle state, or the first rejection.
fn pre_filter(profile: &Profile, pod: &Pod, cluster: &Cluster) -> Result<CycleState, Status> {
    let mut cs = CycleState::new();
    for p in &profile.pre_filter {
        let pf = p.as_pre_filter().expect("profile lists only PreFilter plugins here");
        let (_, status) = pf.pre_filter(&mut cs, pod, cluster);
        if status.is_skip() {
            cs.skip_filter.push(p.name());
        } else if !status.is_success() {
            return Err(status.with_plugin(p.name()));
        }
    }
    Ok(cs)
}

/// A PreFilter state of `pod` that stays valid whatever pods are removed from or put back on
/// nodes: every plugin whose state reads other pods
/// ([`crate::scheduler::framework::PreFilterPlugin::reads_other_pods`]) skipped (upstream
/// keeps such a state current through `PreFilterExtensions.AddPod/RemovePod`; with none to
/// update, one PreFilter serves the whole dry run). `None` when some such plugin ran, or
/// PreFilter rejected the pod: each check then runs PreFilter again.
fn reusable_pre_filter(profile: &Profile, pod: &Pod, cluster: &Cluster) -> Option<CycleState> {
    let cs = pre_filter(profile, pod, cluster).ok()?;
    let reads = |name: &str| {
        profile
            .pre_filter
            .iter()
            .any(|p| p.name() == name && p.as_pre_filter().is_some_and(|pf| pf.reads_other_pods()))
    };
    let ran_reading =
        profile.pre_filter.iter().filter(|p| !cs.skip_filter.contains(&p.name())).any(|p| reads(p.name()));
    (!ran_reading).then_some(cs)
}

/// Filter only, on `node`, with a PreFilter state `cs` of the pod.
fn filter_on_node(profile: &Profile, cs: &CycleState, pod: &Pod, cluster: &Cluster, node: NodeId) -> Status {
    let info = cluster.node(node);
    for p in &profile.filter {
        if cs.skip_filter.contains(&p.name()) {
            continue;
        }
        let f = p.as_filter().expect("profile lists only Filter plugins here");
        let status = f.filter(cs, pod, info, cluster);
        if !status.is_success() {
            if !status.is_rejected() {
                return Status::error(format!("running {:?} filter plugin: {}", p.name(), status.message()))
                    .with_plugin(p.name());
            }
            return status.with_plugin(p.name());
        }
    }
    Status::success()
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
/// `work` is a scratch copy of the cluster: victims are unbound and rebound on it, and it is left
/// with the same pods bound (the node's pod order may change).
pub fn select_victims_on_node(
    profile: &Profile,
    pod: &Pod,
    work: &mut Cluster,
    node: NodeId,
    pdbs: &[(&PodDisruptionBudget, i32)],
) -> Result<(Vec<PodId>, usize), Status> {
    select_victims(profile, pod, work, node, pdbs, None)
}

/// [`select_victims_on_node`] with a PreFilter state valid for every check (see
/// [`reusable_pre_filter`]), or `None` to run PreFilter at each check.
fn select_victims(
    profile: &Profile,
    pod: &Pod,
    work: &mut Cluster,
    node: NodeId,
    pdbs: &[(&PodDisruptionBudget, i32)],
    pre: Option<&CycleState>,
) -> Result<(Vec<PodId>, usize), Status> {
    let fits = |work: &Cluster| match pre {
        Some(cs) => filter_on_node(profile, cs, pod, work, node),
        None => pod_fits_on_node(profile, pod, work, node),
    };
    let mut potential: Vec<PodId> =
        work.node(node).pods.iter().copied().filter(|p| work.pod(*p).priority < pod.priority).collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(MSG_NO_VICTIMS));
    }
    for &p in &potential {
        work.unbind(p);
    }
    let restore = |work: &mut Cluster, unbound: &[PodId]| {
        for &p in unbound {
            work.bind(p, node).expect("a victim unbound by the dry run binds again");
        }
    };
    let status = fits(work);
    if !status.is_success() {
        restore(work, &potential);
        return Err(status);
    }
    potential.sort_by_key(|p| importance_key(work, *p));
    let (violating, non_violating) = filter_pods_with_pdb_violation(&potential, work, pdbs);
    let mut victims: Vec<PodId> = Vec::new();
    let mut num_violating = 0;
    for (group, counts) in [(&violating, true), (&non_violating, false)] {
        for &p in group {
            work.bind(p, node).expect("a potential victim unbound by the dry run binds again");
            if !fits(work).is_success() {
                work.unbind(p);
                victims.push(p);
                if counts {
                    num_violating += 1;
                }
            }
        }
    }
    if !violating.is_empty() && !non_violating.is_empty() {
        victims.sort_by_key(|p| importance_key(work, *p));
    }
    restore(work, &victims);
    Ok((victims, num_violating))
}

/// What the dry run found: candidates (non-violating first), the statuses of the nodes that are
/// not candidates, and the error messages among them.
pub(super) type DryRun = (Vec<Candidate>, Vec<(NodeId, Status)>, Vec<String>);

/// Upstream `DryRunPreemption`, sequentially: the potential nodes from `offset` (wrapping), each
/// through [`select_victims_on_node`] on one scratch copy of the cluster, until at least one
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
    let mut work: Option<Cluster> = None;
    let pre = reusable_pre_filter(profile, pod, cluster);
    let mut non_violating: Vec<Candidate> = Vec::new();
    let mut violating: Vec<Candidate> = Vec::new();
    let mut statuses: Vec<(NodeId, Status)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for i in 0..potential.len() {
        let node = potential[(offset + i) % potential.len()];
        // Nodes without lower-priority pods need no copy of the cluster.
        let any_lower = cluster.node(node).pods.iter().any(|p| cluster.pod(*p).priority < pod.priority);
        let outcome = if any_lower {
            let w = work.get_or_insert_with(|| cluster.clone());
            select_victims(profile, pod, w, node, pdbs, pre.as_ref())
        } else {
            Err(Status::unresolvable(MSG_NO_VICTIMS))
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
