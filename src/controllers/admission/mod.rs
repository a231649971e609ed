//! The API server's admission chain for pod creation (kube-apiserver v1.35), one file per
//! admission plugin of `plugin/pkg/admission/`:
//!
//! | file | upstream plugin | kind |
//! | --- | --- | --- |
//! | [`limit_ranger`] | `limitranger` (LimitRanger) | mutating and validating |
//! | [`priority`] | `priority` (Priority) | mutating |
//! | [`default_toleration_seconds`] | `defaulttolerationseconds` (DefaultTolerationSeconds) | mutating |
//! | [`runtime_class`] | `runtimeclass` (RuntimeClass) | mutating and validating |
//! | [`resource_quota`] | `k8s.io/apiserver/.../resourcequota` (ResourceQuota) | validating |
//!
//! plus what the API server does around them: [`validation`] (defaulting of the decoded pod,
//! validation of the mutated one) and [`pod_resources`] (the pods' resource lists the plugins
//! read). The objects the plugins read, LimitRange and ResourceQuota, are in
//! [`crate::model::policy`].
//!
//! # Order
//! Upstream runs the enabled plugins in the order of `AllOrderedPlugins`
//! (`pkg/kubeapiserver/options/plugins.go`); restricted to the plugins capsim models it is
//! LimitRanger, Priority, DefaultTolerationSeconds, RuntimeClass, ResourceQuota. A create runs
//! every mutating plugin (`Admit`) in that order, then validates the object, then runs every
//! validating plugin (`Validate`) in the same order:
//!
//! 1. API defaulting of the decoded pod (`SetDefaults_Pod`, before admission): a container limit
//!    without a request becomes the request ([`validation`]).
//! 2. Mutating: LimitRanger fills missing limits / requests from the namespace's LimitRanges;
//!    Priority resolves the PriorityClass (refusing an unknown one); DefaultTolerationSeconds adds
//!    the `not-ready` / `unreachable` tolerations; RuntimeClass sets the class's overhead and
//!    merges its nodeSelector and tolerations (refusing an unknown class or a conflict).
//! 3. Object validation of what LimitRanger added: a request above its (defaulted) limit makes
//!    the pod invalid ([`validation`]).
//! 4. Validating: LimitRanger checks `min`, `max` and `maxLimitRequestRatio`; RuntimeClass
//!    refuses an overhead no class defines; ResourceQuota
//!    checks and charges every matching quota.
//!
//! [`AdmissionChain::admit_pod`] is the whole chain, and the one entry point the engine calls. It runs Priority and DefaultTolerationSeconds
//! before LimitRanger's defaulting rather than after it: the three touch disjoint fields
//! (priority, tolerations, resources) and only Priority can refuse, so the admitted pod and every
//! refusal are upstream's; the order only decides what a refused pod carries (no LimitRanger
//! defaults when Priority refuses it), which upstream never stores. [`AdmissionChain::admit`] is the
//! chain from step 1 on, for callers that run [`priority::admit`] and
//! [`add_default_tolerations`] themselves.
//!
//! # Time
//! Each LimitRange, ResourceQuota and PriorityClass exists from its manifest's `at`
//! ([`AdmissionChain::admit_at`], [`priority::admit`]): objects created later do not act on a
//! pod. A quota is charged with every pod from the start, so when it appears its `used` is what
//! the quota controller's recalculation would find (the pods alive then); it checks only pods
//! created from its creation on.
//!
//! # Messages
//! Rejections carry upstream's exact text ([`Rejection`]). Quantities are printed in Kubernetes'
//! canonical form by [`crate::api::quantity::format_quantity`]: cpu as `500m` / `2`, byte amounts that are whole
//! multiples of 1024 in binary suffixes (`1536Mi`, `2Gi`) and others in decimal ones (`500M`),
//! counts as plain numbers (`10`, `1k`). Upstream prints a quantity in the suffix family it was
//! written in; capsim keeps only the integer, so an amount written `2048k` prints as `2000Ki`.
//!
//! # Determinism
//! Upstream walks Go maps (random order) when it collects LimitRanger messages and reads
//! LimitRanges and quotas from an informer (no fixed order). capsim walks resources in name order,
//! LimitRanges in the order given, and quotas of a namespace by name, so one message and one
//! outcome come out every time.

use std::collections::BTreeSet;
use std::fmt;

use crate::api::convert::PriorityClasses;
use crate::model::pod::Pod;
use crate::model::policy::{LimitRange, ResourceMap, ResourceQuota, RuntimeClass};
use crate::time::SimTime;

pub mod default_toleration_seconds;
pub mod limit_ranger;
pub mod pod_resources;
pub mod priority;
pub mod resource_quota;
pub mod runtime_class;
#[cfg(test)]
mod test_support;
pub mod validation;

pub use default_toleration_seconds::{
    DEFAULT_NOT_READY_TOLERATION_SECONDS, DEFAULT_UNREACHABLE_TOLERATION_SECONDS, DefaultTolerationSeconds,
    add_default_tolerations,
};
pub use pod_resources::{is_extended_resource_name, pod_limits};
use resource_quota::QuotaLedger;
pub use resource_quota::{
    QUOTA_COUNT_PODS, is_pod_quota_resource, pod_quota_usage, quota_matches, scope_matches,
};

// ---------------------------------------------------------------------------------------------
// Rejections

/// Why admission refused a pod: the API error the create call would get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The `metav1.StatusReason`: `Forbidden` (403; Priority, LimitRanger and ResourceQuota),
    /// `Invalid` (422; a request above the limit LimitRanger defaulted) or `AlreadyExists` (409; a
    /// pod with the same namespace/name is still charged).
    pub reason: String,
    /// The plugin that refused, by upstream name: `Priority`, `LimitRanger` (its checks, and the
    /// `Invalid` validation of its defaults) or `ResourceQuota`; empty for `AlreadyExists`, which
    /// the storage returns.
    pub plugin: &'static str,
    /// Upstream's message, e.g. `pods "web-1" is forbidden: exceeded quota: compute-resources,
    /// requested: limits.memory=2Gi, used: limits.memory=0, limited: limits.memory=1Gi`.
    pub message: String,
}

impl Rejection {
    /// `admission.NewForbidden` on a pod by `plugin`: `pods "<name>" is forbidden: <detail>`.
    fn forbidden(plugin: &'static str, pod: &Pod, detail: &str) -> Self {
        Rejection {
            reason: "Forbidden".into(),
            plugin,
            message: format!("pods {:?} is forbidden: {detail}", pod.name),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rejection {}

/// Upstream `utilerrors.NewAggregate(errs).Error()`: duplicates dropped, one message as is,
/// several as `[a, b]`.
fn aggregate_messages(messages: &[String]) -> String {
    let mut seen = BTreeSet::new();
    let unique: Vec<&str> = messages.iter().filter(|m| seen.insert(m.as_str())).map(String::as_str).collect();
    match unique.as_slice() {
        [one] => (*one).to_string(),
        many => format!("[{}]", many.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// The chain

/// The admission chain of the API server for pod creation: the LimitRanges and ResourceQuotas
/// of every namespace, and each quota's current usage.
///
/// Charges are kept per pod, keyed by [`Pod::key`] (`namespace/name`), so [`AdmissionChain::release`]
/// gives back exactly what [`AdmissionChain::admit`] (or [`AdmissionChain::charge_existing`]) charged, even
/// if the pod changed in between.
#[derive(Clone, Debug, Default)]
pub struct AdmissionChain {
    limit_ranges: Vec<LimitRange>,
    /// ResourceQuota's state: the quotas, their usage and the charge of every pod.
    quota: QuotaLedger,
    /// The RuntimeClasses (RuntimeClass admission).
    runtime_classes: Vec<RuntimeClass>,
}

impl AdmissionChain {
    /// An admission chain over `limit_ranges` (applied in this order within a namespace) and
    /// `quotas` (checked by name within a namespace), every quota's usage at 0.
    pub fn new(limit_ranges: Vec<LimitRange>, quotas: Vec<ResourceQuota>) -> Self {
        AdmissionChain { limit_ranges, quota: QuotaLedger::new(quotas), runtime_classes: Vec::new() }
    }

    /// This chain with RuntimeClass admission over `classes`.
    #[must_use]
    pub fn with_runtime_classes(mut self, classes: Vec<RuntimeClass>) -> Self {
        self.runtime_classes = classes;
        self
    }

    /// The LimitRanges, in the order given.
    pub fn limit_ranges(&self) -> &[LimitRange] {
        &self.limit_ranges
    }

    /// The ResourceQuotas, by namespace and name.
    pub fn quotas(&self) -> &[ResourceQuota] {
        self.quota.quotas()
    }

    /// `status.used` of quota `namespace/name` in capsim units (every `hard` key present, 0 when
    /// nothing is charged), or `None` for an unknown quota.
    pub fn used(&self, namespace: &str, name: &str) -> Option<&ResourceMap> {
        self.quota.used(namespace, name)
    }

    /// Whether a charge is outstanding for the pod with key `pod_key` (`namespace/name`).
    pub fn is_charged(&self, pod_key: &str) -> bool {
        self.quota.is_charged(pod_key)
    }

    /// The whole chain for a new pod (see the module docs for the order): Priority against
    /// `priority_classes`; DefaultTolerationSeconds with `tolerations` (not for mirror pods, which
    /// keep the tolerations of their static pod); then [`AdmissionChain::admit`].
    ///
    /// # Errors
    /// A [`Rejection`] from [`priority::admit`] (the pod is left unchanged then) or from
    /// [`AdmissionChain::admit`].
    pub fn admit_pod(
        &mut self,
        pod: &mut Pod,
        priority_classes: &PriorityClasses,
        tolerations: DefaultTolerationSeconds,
        now: SimTime,
    ) -> Result<(), Rejection> {
        priority::admit(pod, priority_classes, now)?;
        if !pod.mirror {
            tolerations.admit(pod);
        }
        let overhead = pod.overhead.clone();
        runtime_class::admit(pod, &self.runtime_classes, now)?;
        if pod.overhead != overhead {
            pod.refresh_requests();
        }
        self.admit_at(pod, now)
    }

    /// Admits `pod` at creation, mutating it as the API server would, or rejects it.
    ///
    /// Steps 1-4 of the module docs, for a pod whose Priority and DefaultTolerationSeconds steps
    /// the caller already ran: API defaulting of limits into missing requests; LimitRanger
    /// defaults from each LimitRange of `pod.namespace` (missing limit ← `default`, missing
    /// request ← `defaultRequest`; a container with a limit but no request therefore ends with
    /// request = its limit); [`Pod::refresh_requests`] when a container changed; validation of
    /// the defaulted resources; LimitRanger min / max / maxLimitRequestRatio checks; then every
    /// matching ResourceQuota. On success the pod's quota usage ([`pod_quota_usage`], zero
    /// amounts left out, masked to each quota's `hard` keys) is added to each matching quota's
    /// `used` and recorded under [`Pod::key`] for [`AdmissionChain::release`].
    ///
    /// A pod whose key is still charged is refused before any of this (upstream's storage
    /// answers `AlreadyExists` after admission). The PriorityClass quota scope reads
    /// `pod.priority_class_name` as Priority left it (the `globalDefault` class's name for a pod
    /// that named none).
    ///
    /// # Errors
    /// A [`Rejection`] with upstream's message; the pod may already carry LimitRanger's defaults
    /// then, and no quota is charged:
    /// - `AlreadyExists`: a charge is still outstanding under the same key
    ///   (`pods "web-0" already exists`);
    /// - `Invalid`: a defaulted limit below the request (`Pod "x" is invalid:
    ///   spec.containers[0].resources.requests: Invalid value: "700m": must be less than or equal
    ///   to cpu limit of 500m`);
    /// - `Forbidden` from LimitRanger (`pods "x" is forbidden: maximum cpu usage per Container is
    ///   800m, but limit is 1500m`, several as `[…, …]`);
    /// - `Forbidden` from ResourceQuota (`failed quota: <quota>: must specify limits.cpu for:
    ///   <containers>` or `exceeded quota: <quota>, requested: …, used: …, limited: …`).
    pub fn admit(&mut self, pod: &mut Pod) -> Result<(), Rejection> {
        self.admit_at(pod, SimTime(i64::MAX))
    }

    /// [`AdmissionChain::admit`] at time `now`: only LimitRanges and ResourceQuotas created at or
    /// before `now` act on the pod (a quota created later still counts it in its `used`, as the
    /// quota controller's recalculation at the quota's creation does).
    pub fn admit_at(&mut self, pod: &mut Pod, now: SimTime) -> Result<(), Rejection> {
        let key = pod.key();
        if self.quota.is_charged(&key) {
            return Err(Rejection {
                reason: "AlreadyExists".into(),
                plugin: "",
                message: format!("pods {:?} already exists", pod.name),
            });
        }
        let ranges: Vec<&LimitRange> = self
            .limit_ranges
            .iter()
            .filter(|lr| lr.namespace == pod.namespace && lr.created <= now)
            .collect();
        // 1. API defaulting; 2. mutating plugins (here LimitRanger).
        let defaulted_limits = validation::set_defaults_pod(pod);
        let (defaulted, changed) = limit_ranger::default_pod(&ranges, pod);
        if defaulted_limits || changed {
            pod.refresh_requests();
        }
        // 3. Object validation.
        validation::validate_defaulted(pod, &defaulted)?;
        // 4. Validating plugins: LimitRanger, then ResourceQuota.
        limit_ranger::validate_pod(&ranges, pod)?;
        runtime_class::validate(pod, &self.runtime_classes, now)?;
        let charge = self.quota.check(pod, now)?;
        self.quota.charge(&key, charge);
        Ok(())
    }

    /// Charges `pod` to every matching quota without any check: a pod that already exists when
    /// the simulation starts, which the quota controller counts in `used`. Nothing happens when
    /// a charge is already outstanding under the pod's key.
    pub fn charge_existing(&mut self, pod: &Pod) {
        self.quota.charge_existing(pod);
    }

    /// Gives back the usage charged for `pod` (found by [`Pod::key`]) when it terminates
    /// (Succeeded / Failed) or is deleted: exactly the amounts recorded at admission. A pod with
    /// no outstanding charge changes nothing, so calling this twice is harmless.
    pub fn release(&mut self, pod: &Pod) {
        self.quota.release(pod);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::admission::test_support::*;

    #[test]
    fn defaulted_limit_below_request_makes_the_pod_invalid() {
        // Docs "Limit Ranges": problematic-limit-range.yaml with example-conflict-with-limitrange-cpu.
        let lr = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-resource-constraint}, spec: {limits: [{default: {cpu: 500m}, defaultRequest: {cpu: 500m}, max: {cpu: '1'}, min: {cpu: 100m}, type: Container}]}}",
        );
        let mut adm = AdmissionChain::new(vec![lr], vec![]);
        let mut p = pod_with("example-conflict-with-limitrange-cpu", &[("{cpu: 700m}", "{}")]);
        let err = adm.admit(&mut p).unwrap_err();
        assert_eq!(err.reason, "Invalid");
        assert_eq!(
            err.message,
            "Pod \"example-conflict-with-limitrange-cpu\" is invalid: spec.containers[0].resources.requests: \
             Invalid value: \"700m\": must be less than or equal to cpu limit of 500m"
        );
        let mut p = pod_with("example-no-conflict-with-limitrange-cpu", &[("{cpu: 700m}", "{cpu: 700m}")]);
        assert!(adm.admit(&mut p).is_ok());
    }

    /// LimitRanger's container defaults are validated with the pod-level resources: a default
    /// request above the pod-level request makes the pod invalid, as upstream validates the
    /// object after the mutating plugins (`validatePodResourceConsistency`).
    #[test]
    fn container_defaults_above_pod_level_requests_make_the_pod_invalid() {
        let mut adm = AdmissionChain::new(vec![limit_range(CPU_DEFAULTS)], vec![]);
        let mut p = pod(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: pl}\nspec:\n  resources: {requests: {cpu: 200m}}\n  containers:\n  - {name: app, image: nginx}\n",
        );
        let err = adm.admit(&mut p).unwrap_err();
        assert_eq!(
            (err.reason.as_str(), err.message.as_str()),
            (
                "Invalid",
                "Pod \"pl\" is invalid: spec.resources.requests[cpu]: Invalid value: \"200m\": must be greater \
                 than or equal to aggregate container requests of 500m"
            )
        );
        // A pod-level request covering the default is admitted, with the default on its container.
        let mut p = pod(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  resources: {requests: {cpu: 2}}\n  containers:\n  - {name: app, image: nginx}\n",
        );
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.milli_cpu, p.requests.milli_cpu), (500, 2000));
    }

    #[test]
    fn limit_range_defaults_satisfy_quota_constraints() {
        let mut adm = AdmissionChain::new(vec![limit_range(LIMIT_MEM_CPU_CONTAINER)], quotas(QUOTA_MEM_CPU));
        let mut p = pod_with("defaulted", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!(
            adm.used("default", "mem-cpu-demo").unwrap(),
            &amounts(&[
                ("limits.cpu", 700),
                ("limits.memory", 900 * MI),
                ("requests.cpu", 110),
                ("requests.memory", 111 * MI)
            ])
        );
    }

    #[test]
    fn a_charged_key_cannot_be_admitted_twice() {
        let mut adm = AdmissionChain::new(vec![], quotas(QUOTA_POD));
        let mut p = pod_with("web-0", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        let err = adm.admit(&mut p.clone()).unwrap_err();
        assert_eq!(
            (err.reason.as_str(), err.message.as_str()),
            ("AlreadyExists", "pods \"web-0\" already exists")
        );
        adm.release(&p);
        assert!(adm.admit(&mut p).is_ok());
    }
}
