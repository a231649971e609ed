//! The dry run's state: the preemptor's PreFilter state and the node under study with some of
//! its pods taken off, kept without copying or changing the cluster (upstream `SelectVictimsOnNode`'s
//! `nodeInfoCopy` and `stateCopy`).

use super::MSG_NO_VICTIMS;
use crate::model::{Cluster, NodeHot, NodeId, NodeInfo, Pod, PodId, PodRow};
use crate::scheduler::framework::{CycleState, FastFilter, FilterPlugin, Profile, Status};

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

/// An outcome of selecting victims on a node known from the rows ([`DryRunState::known`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Known {
    /// No pod there has a lower priority than the preemptor.
    NoVictims,
    /// Filter rejects the node without its lower-priority pods, as the rows show.
    RejectedOnRows,
}

/// `row` with a plain pod (with `pod`) added (`sign` 1) or taken off (−1).
pub(super) fn shift(row: &mut NodeHot, pod: &PodRow, sign: i64) {
    row.requested_milli_cpu += sign * pod.requests[0];
    row.requested_memory += sign * pod.requests[1];
    row.non_zero_milli_cpu += sign * pod.non_zero[0];
    row.non_zero_memory += sign * pod.non_zero[1];
    row.pods = (i64::from(row.pods) + sign) as u32;
}

/// A Filter plugin's rejection `status` as the Filter loop reports it: tagged with the plugin, an
/// error wrapped in upstream's "running ... filter plugin" message.
fn tagged(name: &'static str, status: Status) -> Status {
    if !status.is_rejected() {
        return Status::error(format!("running {name:?} filter plugin: {}", status.message()))
            .with_plugin(name);
    }
    status.with_plugin(name)
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
            return tagged(p.name(), status);
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
pub(super) struct DryRunState<'a> {
    pub(super) pod: &'a Pod,
    pub(super) cluster: &'a Cluster,
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
    pub(super) fn new(profile: &'a Profile, pod: &'a Pod, cluster: &'a Cluster) -> Self {
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
    pub(super) fn start(&mut self, node: NodeId, eager: bool) {
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
    pub(super) fn remove(&mut self, p: PodId, row: PodRow) {
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
    pub(super) fn add(&mut self, p: PodId) {
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
        shift(&mut self.row, &row, sign);
        if let (true, Some(copy)) = (self.copy_valid, &self.copy) {
            debug_assert_eq!(self.row, NodeHot::of(copy), "the row by arithmetic is the copy's row");
        }
    }

    /// Whether the preemptor passes PreFilter and Filter on the node under study as it is now:
    /// [`filter_on_node`]'s status, where a plugin whose NodeHot condition the node's row meets
    /// passes without being called, and one that decides from the row
    /// ([`FilterPlugin::filter_hot`]) is not given the node's copy.
    pub(super) fn fits(&mut self) -> Status {
        if let Err(status) = &self.cs {
            return status.clone();
        }
        let mut from = 0;
        loop {
            let k = match self.row_verdict(&self.row, from) {
                Ok(status) => return status,
                Err(k) => k,
            };
            let (name, f, _) = self.filters[k];
            self.materialize();
            let cs = self.cs.as_ref().expect("checked above");
            let status = f.filter(cs, self.pod, self.copy.as_ref().expect("materialized"), self.cluster);
            if !status.is_success() {
                return tagged(name, status);
            }
            from = k + 1;
        }
    }

    /// [`DryRunState::fits`] on a node whose row is `row`, from the Filter plugin at `from` on
    /// (those before it passed), as far as the row decides: the status, or `Err` with the first
    /// plugin that needs the node itself. The PreFilter state must be `Ok`.
    fn row_verdict(&self, row: &NodeHot, from: usize) -> Result<Status, usize> {
        let cs = self.cs.as_ref().expect("a PreFilter state");
        for (k, &(name, f, condition)) in self.filters.iter().enumerate().skip(from) {
            if condition.is_some_and(|c| c.admits(row)) {
                continue;
            }
            match f.filter_hot(cs, self.pod, row) {
                Some(status) if status.is_success() => {}
                Some(status) => return Ok(tagged(name, status)),
                None => return Err(k),
            }
        }
        Ok(Status::success())
    }

    /// Whether the [`NodeHot`] rows can stand for the node under study: no PreFilter state follows
    /// the pods taken off or put back (then, with only plain pods moving, the row by arithmetic
    /// is all that changes).
    pub(super) fn rows_may_decide(&self) -> bool {
        self.cs.is_ok() && self.extensions.is_empty()
    }

    /// [`DryRunState::fits`]`.is_success()` on a node whose row is `row`, as far as the row
    /// decides (`None`: a plugin needs the node itself), without building statuses. Only when
    /// [`DryRunState::rows_may_decide`].
    pub(super) fn row_passes(&self, row: &NodeHot) -> Option<bool> {
        let cs = self.cs.as_ref().expect("a PreFilter state");
        for &(_, f, condition) in &self.filters {
            if condition.is_some_and(|c| c.admits(row)) {
                continue;
            }
            if !f.passes_hot(cs, self.pod, row)? {
                return Some(false);
            }
        }
        Some(true)
    }

    /// [`DryRunState::fits`] on a node whose row is `row`, as far as the row decides. Only when
    /// [`DryRunState::rows_may_decide`].
    pub(super) fn row_status(&self, row: &NodeHot) -> Option<Status> {
        self.row_verdict(row, 0).ok()
    }

    /// What selecting victims on `node` returns, when it is known without loading the node's
    /// pods: "No preemption victims" when no pod there has a lower priority than the preemptor;
    /// and the Filter status on the node without its lower-priority pods when that is a
    /// rejection the rows decide: the node's [`crate::model::LowestPriority`] row names the
    /// potential victims (all of one priority, all plain), no PreFilter state follows pods taken
    /// off, and every Filter plugin up to the rejecting one decides from the [`NodeHot`] row.
    /// `None` otherwise: the pods must be gathered (then the node may be a candidate).
    pub(super) fn shortcut(&self, node: NodeId) -> Option<Status> {
        self.known(node).map(|k| self.known_status(node, k))
    }

    /// Which of [`DryRunState::shortcut`]'s answers `node` gets, without building its status.
    pub(super) fn known(&self, node: NodeId) -> Option<Known> {
        let low = &self.cluster.lowest_priority()[node as usize];
        if low.pods == 0 || self.pod.priority <= low.priority {
            return Some(Known::NoVictims);
        }
        if self.pod.priority > low.next || !low.plain || !self.rows_may_decide() {
            return None;
        }
        let row = low.without(&self.cluster.hot()[node as usize]);
        (self.row_passes(&row) == Some(false)).then_some(Known::RejectedOnRows)
    }

    /// The status of [`DryRunState::shortcut`]'s answer `known` on `node`.
    pub(super) fn known_status(&self, node: NodeId, known: Known) -> Status {
        match known {
            Known::NoVictims => Status::unresolvable(MSG_NO_VICTIMS),
            Known::RejectedOnRows => {
                let low = &self.cluster.lowest_priority()[node as usize];
                let row = low.without(&self.cluster.hot()[node as usize]);
                self.row_status(&row).expect("the rows decide")
            }
        }
    }

    /// Puts the PreFilter state back as it was for the whole cluster (the pods in `off` are still
    /// taken off).
    pub(super) fn finish(&mut self, off: impl Iterator<Item = PodId>) {
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
