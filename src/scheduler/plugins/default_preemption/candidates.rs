//! The dry run: victims per node (`SelectVictimsOnNode`), PDB violations
//! (`filterPodsWithPDBViolation`) and the candidate list (`DryRunPreemption`).

use std::cmp::Reverse;

use super::MSG_NO_VICTIMS;
use crate::model::{Cluster, NodeHot, NodeId, NodeInfo, Pod, PodDisruptionBudget, PodId, PodRow};
use crate::scheduler::framework::{Code, CycleState, FastFilter, FilterPlugin, Profile, Status};

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
        Ok(cs) => filter_on_node(profile, &cs, pod, cluster, cluster.node(node)),
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

/// Filter only, on `node` (possibly a dry run's copy with pods taken off), with a PreFilter state
/// `cs` of the pod.
fn filter_on_node(
    profile: &Profile,
    cs: &CycleState,
    pod: &Pod,
    cluster: &Cluster,
    node: &NodeInfo,
) -> Status {
    for p in &profile.filter {
        if cs.skip_filter.contains(&p.name()) {
            continue;
        }
        let f = p.as_filter().expect("profile lists only Filter plugins here");
        let status = f.filter(cs, pod, node, cluster);
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

/// The dry run's view of "the cluster without some pods", as upstream's `SelectVictimsOnNode`
/// keeps it: one PreFilter state of the preemptor, updated through the PreFilter extensions
/// ([`crate::scheduler::framework::PreFilterPlugin::remove_pod`] / `add_pod`) of the plugins
/// whose state reads other pods, and the node under study with some pods taken off. The cluster
/// itself is never copied or changed.
///
/// The node under study is its [`NodeHot`] row, kept by arithmetic while only plain pods
/// ([`PodRow::plain`]) move, plus a copy of its `NodeInfo` built only when a Filter plugin needs
/// more than the row (for plain pods the copy is the node minus the pods taken off: their
/// share of the sums does not depend on the order they come back in). With a pod that holds
/// host ports, GPUs or scalar resources among the potential victims, the copy is made at once
/// and every move goes through it, as a binding would.
struct DryRunState<'a> {
    pod: &'a Pod,
    cluster: &'a Cluster,
    /// The preemptor's PreFilter state, or the status that rejected it (then every check fails
    /// with it, as re-running PreFilter would: no PreFilter rejection depends on other pods).
    cs: Result<CycleState, Status>,
    /// Plugins whose PreFilter ran (did not skip) and reads other pods: their state follows
    /// every pod taken off or put back.
    extensions: Vec<&'a dyn crate::scheduler::framework::PreFilterPlugin>,
    /// The Filter plugins PreFilter did not skip and that can reject this pod at all
    /// ([`FilterPlugin::filter_relevant`]), in profile order, each with its NodeHot condition
    /// (none of them reads other pods, so they hold for the whole run).
    filters: Vec<(&'static str, &'a dyn FilterPlugin, Option<FastFilter>)>,
    /// The node under study.
    node: NodeId,
    /// Its row, with the pods taken off left out.
    row: NodeHot,
    /// Every move goes through `copy` (a non-plain pod is among the potential victims).
    eager: bool,
    /// The copy of the node's `NodeInfo` (its allocations reused from node to node).
    copy: Option<NodeInfo>,
    /// `copy` holds the node as it is now.
    copy_valid: bool,
    /// The GPU devices of the pods put back on the copy that hold some (a pod not listed holds
    /// the devices it has in the cluster).
    devices: Vec<(PodId, Vec<u8>)>,
    /// The pods taken off, with their rows (to put them back without reading them).
    taken: Vec<(PodId, PodRow)>,
}

impl<'a> DryRunState<'a> {
    fn new(profile: &'a Profile, pod: &'a Pod, cluster: &'a Cluster) -> Self {
        let cs = pre_filter(profile, pod, cluster);
        let (extensions, filters) = match &cs {
            Ok(cs) => (
                profile
                    .pre_filter
                    .iter()
                    .filter(|p| !cs.skip_filter.contains(&p.name()))
                    .filter_map(|p| p.as_pre_filter())
                    .filter(|pf| pf.reads_other_pods())
                    .collect(),
                profile
                    .filter
                    .iter()
                    .filter(|p| !cs.skip_filter.contains(&p.name()))
                    .map(|p| (p.name(), p.as_filter().expect("profile lists only Filter plugins here")))
                    // A plugin that passes every node for this pod passes this one too.
                    .filter(|(_, f)| f.filter_relevant(pod))
                    .map(|(name, f)| (name, f, f.fast_filter(cs, pod)))
                    .collect(),
            ),
            Err(_) => (Vec::new(), Vec::new()),
        };
        DryRunState {
            pod,
            cluster,
            cs,
            extensions,
            filters,
            node: 0,
            row: NodeHot::default(),
            eager: false,
            copy: None,
            copy_valid: false,
            devices: Vec::new(),
            taken: Vec::new(),
        }
    }

    /// Starts on `node`; `eager` when a potential victim is not plain.
    fn start(&mut self, node: NodeId, eager: bool) {
        self.node = node;
        self.row = self.cluster.hot()[node as usize];
        self.eager = eager;
        self.copy_valid = false;
        self.devices.clear();
        self.taken.clear();
        if eager {
            self.materialize();
        }
    }

    /// Makes `copy` the node as it is now: the cluster's node minus the pods taken off (all
    /// plain unless the copy was made at the start).
    fn materialize(&mut self) {
        if self.copy_valid {
            return;
        }
        let info = self.cluster.node(self.node);
        let copy = match &mut self.copy {
            Some(c) => {
                c.clone_from(info);
                c
            }
            None => self.copy.insert(info.clone()),
        };
        for (p, _) in &self.taken {
            copy.remove_pod(*p, self.cluster.pod(*p), &[]);
        }
        self.copy_valid = true;
    }

    /// Takes bound pod `p` (with `row`) off the node under study.
    fn remove(&mut self, p: PodId, row: PodRow) {
        if self.copy_valid {
            let copy = self.copy.as_mut().expect("valid");
            let devices = if row.plain {
                Vec::new()
            } else {
                match self.devices.iter().position(|(x, _)| *x == p) {
                    Some(k) => self.devices.swap_remove(k).1,
                    None => self.cluster.pod_gpus(p).to_vec(),
                }
            };
            copy.remove_pod(p, self.cluster.pod(p), &devices);
        }
        self.moved(p, row, -1);
        self.taken.push((p, row));
        if let Ok(cs) = &mut self.cs {
            let node = self.cluster.node(self.node);
            for e in &self.extensions {
                e.remove_pod(cs, self.pod, p, node, self.cluster);
            }
        }
    }

    /// Puts pod `p` (taken off before) back on the node under study (its GPU devices chosen
    /// anew, as a binding does).
    fn add(&mut self, p: PodId) {
        let k = self.taken.iter().position(|(x, _)| *x == p).expect("a pod taken off goes back");
        let (_, row) = self.taken.swap_remove(k);
        if self.copy_valid {
            let copy = self.copy.as_mut().expect("valid");
            let devices = copy
                .add_pod_with_row(p, self.cluster.pod(p), row, None)
                .expect("the default GPU choice always fits");
            if !devices.is_empty() {
                self.devices.push((p, devices));
            }
        }
        self.moved(p, row, 1);
        if let Ok(cs) = &mut self.cs {
            let node = self.cluster.node(self.node);
            for e in &self.extensions {
                e.add_pod(cs, self.pod, p, node, self.cluster);
            }
        }
    }

    /// The row follows pod `p` (with `row`) added (`sign` 1) or taken off (−1): by arithmetic
    /// for a plain pod, from the copy otherwise.
    fn moved(&mut self, p: PodId, row: PodRow, sign: i64) {
        if self.eager || !row.plain {
            debug_assert!(self.copy_valid, "pod {p}: a non-plain pod moves on the copy");
            self.row = NodeHot::of(self.copy.as_ref().expect("made at the start"));
            return;
        }
        let r = &mut self.row;
        r.requested_milli_cpu += sign * row.requests[0];
        r.requested_memory += sign * row.requests[1];
        r.non_zero_milli_cpu += sign * row.non_zero[0];
        r.non_zero_memory += sign * row.non_zero[1];
        r.pods = (i64::from(r.pods) + sign) as u32;
        if let (true, Some(copy)) = (self.copy_valid, &self.copy) {
            debug_assert_eq!(self.row, NodeHot::of(copy), "the row by arithmetic is the copy's row");
        }
    }

    /// Whether the preemptor passes PreFilter and Filter on the node under study as it is now:
    /// [`filter_on_node`]'s status, where a plugin whose NodeHot condition the node's row meets
    /// passes without being called, and one that decides from the row
    /// ([`FilterPlugin::filter_hot`]) is not given the node's copy.
    fn fits(&mut self) -> Status {
        if let Err(status) = &self.cs {
            return status.clone();
        }
        let row = self.row;
        for k in 0..self.filters.len() {
            let (name, f, condition) = self.filters[k];
            if condition.is_some_and(|c| c.admits(&row)) {
                continue;
            }
            let hot = f.filter_hot(self.cs.as_ref().expect("checked above"), self.pod, &row);
            let status = match hot {
                Some(s) => s,
                None => {
                    self.materialize();
                    let cs = self.cs.as_ref().expect("checked above");
                    f.filter(cs, self.pod, self.copy.as_ref().expect("materialized"), self.cluster)
                }
            };
            if !status.is_success() {
                if !status.is_rejected() {
                    return Status::error(format!("running {name:?} filter plugin: {}", status.message()))
                        .with_plugin(name);
                }
                return status.with_plugin(name);
            }
        }
        Status::success()
    }

    /// Puts the PreFilter state back as it was for the whole cluster (the pods in `off` are still
    /// taken off).
    fn finish(&mut self, off: impl Iterator<Item = PodId>) {
        if let Ok(cs) = &mut self.cs {
            let node = self.cluster.node(self.node);
            for p in off {
                for e in &self.extensions {
                    e.add_pod(cs, self.pod, p, node, self.cluster);
                }
            }
        }
    }
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
    // The potential victims of the next nodes, gathered ahead in one short loop (their loads,
    // mostly cache misses, overlap); nodes gathered past the last one needed change nothing.
    let mut ahead: Vec<Vec<Potential>> = vec![Vec::new(); GATHER];
    for i in 0..potential.len() {
        let node = potential[(offset + i) % potential.len()];
        let slot = i % GATHER;
        if slot == 0 {
            for (k, buf) in ahead.iter_mut().enumerate().take(potential.len() - i) {
                let n = potential[(offset + i + k) % potential.len()];
                potential_victims(cluster, n, pod.priority, buf);
            }
        }
        let outcome = select_victims_among(&mut run, node, &mut ahead[slot], pdbs);
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
