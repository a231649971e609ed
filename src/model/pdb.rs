//! PodDisruptionBudgets (`policy/v1`), as DefaultPreemption reads them, with the disruption
//! controller's `status.disruptionsAllowed` arithmetic for budgets whose status is not given.
//!
//! Mirrors `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`
//! (`filterPodsWithPDBViolation`: which pods a budget covers for the scheduler) and
//! `pkg/controller/disruption/disruption.go` (`getExpectedPodCount`, `countHealthyPods`,
//! `updatePdbStatus`) of Kubernetes v1.35, and `intstr.GetScaledValueFromIntOrPercent` of
//! apimachinery.

use super::cluster::Cluster;
use super::labels::{LabelSelector, selector_matches};
use super::pod::Pod;

/// An `IntOrString` holding either a count or a percentage (`"30%"`), as `minAvailable` and
/// `maxUnavailable` do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    /// An absolute number of pods.
    Int(i32),
    /// A percentage (0..=100) of the expected pods.
    Percent(i32),
}

impl IntOrPercent {
    /// Upstream `intstr.GetScaledValueFromIntOrPercent`: an `Int` as is; a percentage of `total`,
    /// rounded up when `round_up` (the disruption controller always rounds up), else down.
    pub fn scaled(self, total: i32, round_up: bool) -> i32 {
        match self {
            IntOrPercent::Int(v) => v,
            IntOrPercent::Percent(p) => {
                let num = i64::from(p) * i64::from(total);
                let v = if round_up {
                    num.div_euclid(100) + i64::from(num.rem_euclid(100) != 0)
                } else {
                    num.div_euclid(100)
                };
                v as i32
            }
        }
    }
}

/// A PodDisruptionBudget as capsim holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodDisruptionBudget {
    /// `metadata.namespace` (`default` when unset).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.selector`; `None` when absent. For the scheduler a missing *or empty* selector
    /// covers no pod (upstream `filterPodsWithPDBViolation`).
    pub selector: Option<LabelSelector>,
    /// `spec.minAvailable`.
    pub min_available: Option<IntOrPercent>,
    /// `spec.maxUnavailable`.
    pub max_unavailable: Option<IntOrPercent>,
    /// `status.disruptionsAllowed` when the input gives a status; `None` makes capsim compute it
    /// from the cluster as the disruption controller would ([`PodDisruptionBudget::computed_disruptions_allowed`]).
    pub disruptions_allowed: Option<i32>,
    /// Names of the pods in `status.disruptedPods` (evictions the API server already admitted):
    /// preemption does not charge them to the budget again.
    pub disrupted_pods: Vec<String>,
}

impl PodDisruptionBudget {
    /// Whether the *scheduler* counts `pod` against this budget (upstream
    /// `filterPodsWithPDBViolation`): same namespace, a non-empty selector that matches the pod's
    /// labels (a pod without labels matches no budget), and the pod not already listed in
    /// `status.disruptedPods`.
    pub fn covers_for_preemption(&self, pod: &Pod) -> bool {
        !pod.labels.is_empty()
            && self.namespace == pod.namespace
            && self.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(&pod.labels))
            && !self.disrupted_pods.contains(&pod.name)
    }

    /// Whether the *disruption controller* counts `pod` for this budget (`getPodsForPdb`): same
    /// namespace and the selector matches (`policy/v1`: an empty selector matches every pod of the
    /// namespace, a missing one none).
    pub fn selects(&self, pod: &Pod) -> bool {
        self.namespace == pod.namespace && selector_matches(self.selector.as_ref(), &pod.labels)
    }

    /// `status.disruptionsAllowed`: the given status value, else
    /// [`PodDisruptionBudget::computed_disruptions_allowed`].
    pub fn effective_disruptions_allowed(&self, cluster: &Cluster) -> i32 {
        self.disruptions_allowed.unwrap_or_else(|| self.computed_disruptions_allowed(cluster))
    }

    /// The disruption controller's `disruptionsAllowed` over the current cluster
    /// (`getExpectedPodCount`, `countHealthyPods`, `updatePdbStatus`):
    ///
    /// - *healthy*: selected pods bound to a node, not terminating and not in `disruptedPods`
    ///   (capsim has no readiness: a bound pod is Ready);
    /// - `maxUnavailable` (int or %): `expected` = the controllers' scale, `desired =
    ///   max(expected − maxUnavailable↑, 0)`;
    /// - `minAvailable` int: `desired = minAvailable`, `expected` = the selected pods;
    /// - `minAvailable` %: `expected` = the controllers' scale, `desired = ⌈p·expected/100⌉`;
    /// - neither: `expected = desired = 0`;
    /// - `allowed = healthy − desired`, 0 when negative or when `expected ≤ 0`.
    ///
    /// capsim models no controllers, so the controllers' scale is taken as the number of selected
    /// pods bound to nodes (terminating ones included): exact for a workload whose replicas all
    /// run, an approximation while replacements are pending. (Upstream leaves pods without a
    /// controller out of the scale, so a budget over bare pods with a percentage or
    /// `maxUnavailable` allows 0 disruptions; give `status.disruptionsAllowed` to model that.)
    pub fn computed_disruptions_allowed(&self, cluster: &Cluster) -> i32 {
        let mut bound = 0i32;
        let mut healthy = 0i32;
        for pod in cluster.live_nodes().flat_map(|(_, info)| &info.pods).map(|p| cluster.pod(*p)) {
            if !self.selects(pod) {
                continue;
            }
            bound += 1;
            if !pod.terminating && !self.disrupted_pods.contains(&pod.name) {
                healthy += 1;
            }
        }
        let (expected, desired) = match (self.max_unavailable, self.min_available) {
            (Some(max_unavailable), _) => (bound, (bound - max_unavailable.scaled(bound, true)).max(0)),
            (None, Some(IntOrPercent::Int(v))) => (bound, v),
            (None, Some(p @ IntOrPercent::Percent(_))) => (bound, p.scaled(bound, true)),
            (None, None) => (0, 0),
        };
        let allowed = healthy - desired;
        if expected <= 0 || allowed <= 0 { 0 } else { allowed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_scale_as_intstr() {
        assert_eq!(IntOrPercent::Percent(50).scaled(3, true), 2);
        assert_eq!(IntOrPercent::Percent(50).scaled(3, false), 1);
        assert_eq!(IntOrPercent::Percent(0).scaled(7, true), 0);
        assert_eq!(IntOrPercent::Int(4).scaled(1, true), 4);
    }
}
