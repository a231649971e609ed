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
