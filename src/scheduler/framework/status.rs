//! Plugin results: `Status` codes, as kube-scheduler's `framework.Status`.

use std::borrow::Cow;

/// Outcome code of a plugin call (upstream `framework.Code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The plugin ran and found nothing wrong.
    Success,
    /// An internal error: the pod goes to error backoff.
    Error,
    /// The pod does not fit now; preemption may help.
    Unschedulable,
    /// The pod does not fit and preemption on this node cannot help.
    UnschedulableAndUnresolvable,
    /// PreFilter/PreScore: this plugin has nothing to do for this pod; its Filter/Score is skipped.
    Skip,
}

impl Code {
    /// The code's upstream spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Error => "Error",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Skip => "Skip",
        }
    }
}

/// Result of one plugin call: a code, the reasons (upstream `Status.Reasons()`), and the plugin
/// that produced it. A success allocates nothing.
/// A status's reasons: one inline (the common case, no allocation per rejected node), more on
/// the heap.
pub type Reasons = smallvec::SmallVec<[Cow<'static, str>; 1]>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The code.
    pub code: Code,
    /// Human-readable reasons, as upstream words them (they appear in FitError messages).
    pub reasons: Reasons,
    /// Name of the plugin that returned this status (empty for success).
    pub plugin: &'static str,
}

impl Status {
    /// Success.
    pub const fn success() -> Self {
        Status { code: Code::Success, reasons: Reasons::new_const(), plugin: "" }
    }

    /// Skip (from PreFilter or PreScore).
    pub const fn skip() -> Self {
        Status { code: Code::Skip, reasons: Reasons::new_const(), plugin: "" }
    }

    /// A status with `code` and one reason.
    pub fn new(code: Code, reason: impl Into<Cow<'static, str>>) -> Self {
        Status { code, reasons: smallvec::smallvec![reason.into()], plugin: "" }
    }

    /// An `Unschedulable` status with one reason.
    pub fn unschedulable(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Unschedulable, reason)
    }

    /// An `UnschedulableAndUnresolvable` status with one reason.
    pub fn unresolvable(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::UnschedulableAndUnresolvable, reason)
    }

    /// An `Error` status.
    pub fn error(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Error, reason)
    }

    /// Returns the status tagged with the plugin that produced it.
    pub fn with_plugin(mut self, plugin: &'static str) -> Self {
        self.plugin = plugin;
        self
    }

    /// True for `Success`.
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    /// True for `Skip`.
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }

    /// True for `Unschedulable` or `UnschedulableAndUnresolvable` (upstream `IsRejected`).
    pub fn is_rejected(&self) -> bool {
        matches!(self.code, Code::Unschedulable | Code::UnschedulableAndUnresolvable)
    }

    /// The reasons joined with `, ` (upstream `Status.Message()`).
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

/// Whether two statuses are equal, comparing the (usually `'static`) reason and plugin strings by
/// address before content.
#[inline]
pub fn same_status(a: &Status, b: &Status) -> bool {
    let same_str = |x: &str, y: &str| (std::ptr::eq(x.as_ptr(), y.as_ptr()) && x.len() == y.len()) || x == y;
    a.code == b.code
        && same_str(a.plugin, b.plugin)
        && a.reasons.len() == b.reasons.len()
        && a.reasons.iter().zip(&b.reasons).all(|(x, y)| same_str(x, y))
}

/// Nodes with the status that rejected each (upstream `NodeToStatus`), in the order they were
/// noted: each distinct status is held once and each node refers to it, so a cycle that rejects
/// thousands of nodes for a handful of reasons costs 8 bytes per node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeStatuses {
    statuses: Vec<Status>,
    nodes: Vec<(crate::model::NodeId, u32)>,
    /// Callers' keys of statuses already held ([`NodeStatuses::push_keyed`]).
    keys: Vec<(u64, u32)>,
}

impl NodeStatuses {
    /// No node.
    pub fn new() -> Self {
        Self::default()
    }

    fn intern(&mut self, status: Status) -> u32 {
        match self.statuses.iter().rposition(|s| same_status(s, &status)) {
            Some(k) => k as u32,
            None => {
                self.statuses.push(status);
                self.statuses.len() as u32 - 1
            }
        }
    }

    /// Notes that `status` rejected node `id`.
    #[inline]
    pub fn push(&mut self, id: crate::model::NodeId, status: Status) {
        let k = self.intern(status);
        self.nodes.push((id, k));
    }

    /// Notes that the status a caller calls `key` rejected node `id`; `make` builds the status
    /// the first time `key` is seen (then no status is built or compared per node).
    #[inline]
    pub fn push_keyed(&mut self, id: crate::model::NodeId, key: u64, make: impl FnOnce() -> Status) {
        let k = match self.keys.iter().find(|(x, _)| *x == key) {
            Some((_, k)) => *k,
            None => {
                let k = self.intern(make());
                self.keys.push((key, k));
                k
            }
        };
        self.nodes.push((id, k));
    }

    /// Puts `first`'s nodes before these.
    pub fn prepend(&mut self, first: NodeStatuses) {
        let mut all = first;
        let offset: Vec<u32> = self.statuses.drain(..).map(|s| all.intern(s)).collect();
        all.nodes.extend(self.nodes.iter().map(|(id, k)| (*id, offset[*k as usize])));
        all.keys.clear();
        *self = all;
    }

    /// The nodes with their statuses, in the order noted.
    pub fn iter(&self) -> impl Iterator<Item = (crate::model::NodeId, &Status)> + '_ {
        self.nodes.iter().map(|(id, k)| (*id, &self.statuses[*k as usize]))
    }

    /// Each distinct status with the number of nodes it rejected, in first-noted order.
    pub fn distinct(&self) -> Vec<(&Status, usize)> {
        let mut counts = vec![0usize; self.statuses.len()];
        for (_, k) in &self.nodes {
            counts[*k as usize] += 1;
        }
        self.statuses.iter().zip(counts).filter(|(_, c)| *c > 0).collect()
    }

    /// The status of node `id`, if it was noted (the first noted, when several were).
    pub fn get(&self, id: crate::model::NodeId) -> Option<&Status> {
        self.nodes.iter().find(|(x, _)| *x == id).map(|(_, k)| &self.statuses[*k as usize])
    }

    /// Number of nodes noted.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when no node was noted.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl FromIterator<(crate::model::NodeId, Status)> for NodeStatuses {
    fn from_iter<I: IntoIterator<Item = (crate::model::NodeId, Status)>>(iter: I) -> Self {
        let mut s = NodeStatuses::new();
        for (id, status) in iter {
            s.push(id, status);
        }
        s
    }
}
