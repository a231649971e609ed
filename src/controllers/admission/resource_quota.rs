//! The **ResourceQuota** admission plugin for pod creation, after
//! `k8s.io/apiserver/pkg/admission/plugin/resourcequota` (`controller.go`, `CheckRequest`) with the
//! pod evaluator of `pkg/quota/v1/evaluator/core/pods.go` (kube-apiserver v1.35): every quota of
//! the namespace that tracks a pod resource and whose scopes all match must hold `used + usage`
//! within `hard`; then the usage is charged to each of them, and given back when the pod ends.
//!
//! Upstream reads quotas from an informer (no fixed order); capsim checks the quotas of a
//! namespace by name, so one message and one outcome come out every time.
//!
//! # Not modelled
//! - Pods have no `activeDeadlineSeconds` in capsim's model: every pod counts as
//!   `NotTerminating` (quota scope `Terminating` never matches, `NotTerminating` always does).
//! - Quota status is always known and exact: no "status unknown for quota" rejection for a quota
//!   the controller has not synced yet, no conflicts or retries between API servers.
//! - No `LimitedResources` admission configuration (so no "insufficient quota to consume" /
//!   "insufficient quota to match these scopes" rejections).

use std::collections::{BTreeMap, BTreeSet};

use super::Rejection;
use super::pod_resources::{
    add_into, has_limit, has_request, is_extended_resource_name, is_native_resource, pod_limits,
};
use crate::api::quantity::format_quantity;
use crate::model::pod::{Pod, QosClass, qos_class};
use crate::model::policy::{
    QuotaScope, ResourceMap, ResourceQuota, ScopeOperator, ScopeRequirement, base_resource,
};
use crate::model::resources::{CPU, EPHEMERAL_STORAGE, MEMORY, PODS};
use crate::time::SimTime;

/// Upstream's plugin name, as [`Rejection::plugin`] gives it.
pub const PLUGIN: &str = "ResourceQuota";

/// Quota resource counting every pod object (`count/pods`), whatever its phase.
pub const QUOTA_COUNT_PODS: &str = "count/pods";

/// Whether the pod evaluator applies `quota` to `pod` (upstream `generic.Matches` with the pod
/// evaluator): the quota tracks at least one pod resource ([`is_pod_quota_resource`]) and every
/// scope requirement matches the pod ([`scope_matches`]). The namespace is not checked.
pub fn quota_matches(quota: &ResourceQuota, pod: &Pod) -> bool {
    quota.hard.keys().any(|k| is_pod_quota_resource(k))
        && quota.scope_requirements().all(|r| scope_matches(&r, pod))
}

/// Whether the pod quota evaluator tracks quota resource `name` (upstream
/// `podEvaluator.MatchingResources`): `pods`, `count/pods`, `cpu`, `memory`, `ephemeral-storage`,
/// their `requests.` / `limits.` forms, `hugepages-*`, `requests.hugepages-*`, and
/// `requests.<extended resource>` (e.g. `requests.nvidia.com/gpu`; there is no `limits.` form for
/// extended resources).
pub fn is_pod_quota_resource(name: &str) -> bool {
    const POD_RESOURCES: [&str; 11] = [
        QUOTA_COUNT_PODS,
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
    ];
    POD_RESOURCES.contains(&name)
        || name.starts_with("hugepages-")
        || name.starts_with("requests.hugepages-")
        || (name.starts_with("requests.") && !is_native_resource(name))
}

/// Whether requirement `req` matches `pod` (upstream `podMatchesScopeFunc`). For every scope but
/// PriorityClass the operator is not consulted (validation only allows `Exists` there).
///
/// - `Terminating` never matches and `NotTerminating` always does (no `activeDeadlineSeconds` in
///   capsim's model);
/// - `BestEffort` / `NotBestEffort` test the pod's QoS class ([`qos_class`]);
/// - `PriorityClass` treats the pod as having the single label `PriorityClass=<name>` when its
///   `priorityClassName` is set (and no label otherwise), then applies the label-selector operator;
/// - `CrossNamespacePodAffinity` matches a pod with any (anti-)affinity term, required or
///   preferred, that lists `namespaces` or has a `namespaceSelector`.
pub fn scope_matches(req: &ScopeRequirement, pod: &Pod) -> bool {
    match req.scope {
        QuotaScope::Terminating => false,
        QuotaScope::NotTerminating => true,
        QuotaScope::BestEffort => qos_class(pod) == QosClass::BestEffort,
        QuotaScope::NotBestEffort => qos_class(pod) != QosClass::BestEffort,
        QuotaScope::PriorityClass => {
            let class = Some(pod.priority_class_name.as_str()).filter(|c| !c.is_empty());
            let listed = |c: &str| req.values.iter().any(|v| v == c);
            match req.operator {
                ScopeOperator::Exists => class.is_some(),
                ScopeOperator::DoesNotExist => class.is_none(),
                ScopeOperator::In => class.is_some_and(listed),
                ScopeOperator::NotIn => class.is_none_or(|c| !listed(c)),
            }
        }
        QuotaScope::CrossNamespacePodAffinity => {
            [&pod.pod_affinity, &pod.pod_anti_affinity].into_iter().flatten().any(|a| {
                a.required
                    .iter()
                    .chain(a.preferred.iter().map(|w| &w.term))
                    .any(|t| !t.namespaces.is_empty() || t.namespace_selector.is_some())
            })
        }
    }
}

/// The quota usage of a pod at creation (upstream `PodUsageFunc` on a non-terminal pod), zeros
/// included: `count/pods` and `pods` 1; `cpu` = `requests.cpu` = the effective cpu request
/// ([`Pod::compute_requests`]: init containers, sidecars, pod-level requests, overhead);
/// `limits.cpu` from [`pod_limits`]; the same for memory and ephemeral-storage; `hugepages-X` and
/// `requests.hugepages-X`; and `requests.<name>` for each extended resource requested.
pub fn pod_quota_usage(pod: &Pod) -> ResourceMap {
    let requests = pod.compute_requests(false);
    let limits = pod_limits(pod);
    let mut usage = ResourceMap::new();
    usage.insert(QUOTA_COUNT_PODS.to_string(), 1);
    usage.insert(PODS.to_string(), 1);
    for name in [CPU, MEMORY, EPHEMERAL_STORAGE] {
        let r = requests.get(name);
        usage.insert(name.to_string(), r);
        usage.insert(format!("requests.{name}"), r);
        usage.insert(format!("limits.{name}"), limits.get(name).copied().unwrap_or(0));
    }
    for (name, v) in &requests.scalar {
        if name.starts_with("hugepages-") {
            usage.insert(name.clone(), *v);
            usage.insert(format!("requests.{name}"), *v);
        } else if is_extended_resource_name(name) {
            usage.insert(format!("requests.{name}"), *v);
        }
    }
    usage
}

/// The amounts of `usage` whose keys `hard` tracks (upstream `quota.Mask`).
fn mask(usage: &ResourceMap, hard: &ResourceMap) -> ResourceMap {
    usage.iter().filter(|(k, _)| hard.contains_key(*k)).map(|(k, v)| (k.clone(), *v)).collect()
}

/// `usage` without its zero amounts (upstream `quota.RemoveZeros`).
fn nonzero(mut usage: ResourceMap) -> ResourceMap {
    usage.retain(|_, v| *v != 0);
    usage
}

/// The pod evaluator's `Constraints` for one quota: if the quota's `hard` names `cpu`,
/// `requests.cpu`, `limits.cpu`, `memory`, `requests.memory` or `limits.memory`, every regular
/// and init container must list the matching request or limit. Returns upstream's detail,
/// `must specify limits.cpu for: a,b; requests.memory for: a`, resources and container names
/// sorted.
///
/// A pod with pod-level resources (`spec.resources` naming cpu, memory or `hugepages-*`, upstream
/// `IsPodLevelResourcesSet` with PodLevelResources on, as in v1.35) is exempt: its containers
/// need not list anything.
fn missing_compute_resources(quota: &ResourceQuota, pod: &Pod) -> Option<String> {
    if !pod.pod_level_requests.is_empty() || !pod.pod_level_limits.is_empty() {
        return None;
    }
    const VALIDATED: [&str; 6] =
        ["cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu", "requests.memory"];
    let required: Vec<&str> = VALIDATED.into_iter().filter(|k| quota.hard.contains_key(*k)).collect();
    if required.is_empty() {
        return None;
    }
    let mut missing: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in pod.containers.iter().chain(&pod.init_containers) {
        for key in &required {
            let resource = base_resource(key);
            let present =
                if key.starts_with("limits.") { has_limit(c, resource) } else { has_request(c, resource) };
            if !present {
                missing.entry(key).or_default().insert(c.name.as_str());
            }
        }
    }
    if missing.is_empty() {
        return None;
    }
    let parts: Vec<String> = missing
        .iter()
        .map(|(k, names)| format!("{k} for: {}", names.iter().copied().collect::<Vec<_>>().join(",")))
        .collect();
    Some(format!("must specify {}", parts.join("; ")))
}

/// What one admitted pod was charged: quota index and the amounts added to its `used`.
pub(super) type Charge = Vec<(usize, ResourceMap)>;

/// The ResourceQuotas of every namespace, each quota's current usage (`status.used`) and the
/// charge of every admitted pod.
///
/// Charges are kept per pod, keyed by [`Pod::key`] (`namespace/name`), so
/// [`QuotaLedger::release`] gives back exactly what was charged, even if the pod changed in
/// between.
#[derive(Clone, Debug, Default)]
pub(super) struct QuotaLedger {
    /// Sorted by namespace, then name.
    quotas: Vec<ResourceQuota>,
    /// `status.used` of each quota (same index), with every `hard` key present.
    used: Vec<ResourceMap>,
    /// Outstanding charges by pod key.
    charges: BTreeMap<String, Charge>,
}

impl QuotaLedger {
    /// A ledger over `quotas`, every quota's usage at 0.
    pub(super) fn new(mut quotas: Vec<ResourceQuota>) -> Self {
        quotas.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let used = quotas.iter().map(|q| q.hard.keys().map(|k| (k.clone(), 0)).collect()).collect();
        QuotaLedger { quotas, used, charges: BTreeMap::new() }
    }

    /// The ResourceQuotas, by namespace and name.
    pub(super) fn quotas(&self) -> &[ResourceQuota] {
        &self.quotas
    }

    /// `status.used` of quota `namespace/name` in capsim units (every `hard` key present, 0 when
    /// nothing is charged), or `None` for an unknown quota.
    pub(super) fn used(&self, namespace: &str, name: &str) -> Option<&ResourceMap> {
        let i = self.quotas.iter().position(|q| q.namespace == namespace && q.name == name)?;
        self.used.get(i)
    }

    /// Whether a charge is outstanding for the pod with key `pod_key` (`namespace/name`).
    pub(super) fn is_charged(&self, pod_key: &str) -> bool {
        self.charges.contains_key(pod_key)
    }

    /// The validating check (upstream `CheckRequest` for a pod create): every quota of the pod's
    /// namespace that matches it must hold `used + usage` within `hard`. Returns the charge to
    /// record, or the rejection; nothing is changed here.
    /// A quota created after `now` does not check the pod but is charged with it.
    pub(super) fn check(&self, pod: &Pod, now: SimTime) -> Result<Charge, Rejection> {
        let mut matching = Vec::new();
        for i in self.quota_indexes(&pod.namespace) {
            let quota = &self.quotas[i];
            if !quota_matches(quota, pod) {
                continue;
            }
            if let Some(detail) = missing_compute_resources(quota, pod).filter(|_| quota.created <= now) {
                return Err(Rejection::forbidden(
                    PLUGIN,
                    pod,
                    &format!("failed quota: {}: {detail}", quota.name),
                ));
            }
            matching.push(i);
        }
        let usage = nonzero(pod_quota_usage(pod));
        let mut charge = Vec::new();
        for i in matching {
            let (quota, used) = (&self.quotas[i], &self.used[i]);
            let requested = mask(&usage, &quota.hard);
            if quota.created > now {
                if !requested.is_empty() {
                    charge.push((i, requested));
                }
                continue;
            }
            let exceeded: Vec<&String> = requested
                .iter()
                .filter(|(k, v)| used.get(*k).copied().unwrap_or(0).saturating_add(**v) > quota.hard[*k])
                .map(|(k, _)| k)
                .collect();
            if !exceeded.is_empty() {
                let list = |m: &dyn Fn(&str) -> i64| {
                    exceeded
                        .iter()
                        .map(|k| format!("{k}={}", format_quantity(k, m(k))))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let detail = format!(
                    "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                    quota.name,
                    list(&|k| requested[k]),
                    list(&|k| used.get(k).copied().unwrap_or(0)),
                    list(&|k| quota.hard[k]),
                );
                return Err(Rejection::forbidden(PLUGIN, pod, &detail));
            }
            if !requested.is_empty() {
                charge.push((i, requested));
            }
        }
        Ok(charge)
    }

    /// Charges `pod` to every matching quota without any check: a pod that already exists when
    /// the simulation starts, which the quota controller counts in `used`. Nothing happens when
    /// a charge is already outstanding under the pod's key.
    pub(super) fn charge_existing(&mut self, pod: &Pod) {
        let key = pod.key();
        if self.charges.contains_key(&key) {
            return;
        }
        let usage = nonzero(pod_quota_usage(pod));
        let charge = self
            .quota_indexes(&pod.namespace)
            .filter(|i| quota_matches(&self.quotas[*i], pod))
            .map(|i| (i, mask(&usage, &self.quotas[i].hard)))
            .filter(|(_, m)| !m.is_empty())
            .collect();
        self.charge(&key, charge);
    }

    /// Gives back the usage charged for `pod` (found by [`Pod::key`]) when it terminates
    /// (Succeeded / Failed) or is deleted: exactly the amounts recorded at admission. A pod with
    /// no outstanding charge changes nothing, so calling this twice is harmless.
    pub(super) fn release(&mut self, pod: &Pod) {
        let Some(charge) = self.charges.remove(&pod.key()) else {
            return;
        };
        for (i, amounts) in charge {
            if let Some(used) = self.used.get_mut(i) {
                for (k, v) in amounts {
                    *used.entry(k).or_insert(0) -= v;
                }
            }
        }
    }

    /// Indexes of the quotas of `namespace`.
    fn quota_indexes<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.quotas.iter().enumerate().filter(move |(_, q)| q.namespace == namespace).map(|(i, _)| i)
    }

    /// Adds `charge` to the quotas' usage and records it under pod key `key` (an empty charge
    /// changes and records nothing).
    pub(super) fn charge(&mut self, key: &str, charge: Charge) {
        if charge.is_empty() {
            return;
        }
        for (i, amounts) in &charge {
            if let Some(used) = self.used.get_mut(*i) {
                add_into(used, amounts);
            }
        }
        self.charges.insert(key.to_string(), charge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::quantity::format_quantity;
    use crate::controllers::admission::AdmissionChain;
    use crate::controllers::admission::test_support::*;
    use crate::model::Resources;
    use crate::model::pod::simple_pod;

    #[test]
    fn quota_exceeded_message_matches_the_docs() {
        // Docs "Configure Memory and CPU Quotas for a Namespace".
        let mut adm = AdmissionChain::new(vec![], quotas(QUOTA_MEM_CPU));
        let mut p1 =
            pod_with("quota-mem-cpu-demo", &[("{memory: 600Mi, cpu: 400m}", "{memory: 800Mi, cpu: 800m}")]);
        adm.admit(&mut p1).unwrap();
        assert_eq!(
            adm.used("default", "mem-cpu-demo").unwrap(),
            &amounts(&[
                ("limits.cpu", 800),
                ("limits.memory", 800 * MI),
                ("requests.cpu", 400),
                ("requests.memory", 600 * MI)
            ])
        );
        let mut p2 =
            pod_with("quota-mem-cpu-demo-2", &[("{memory: 700Mi, cpu: 400m}", "{memory: 1Gi, cpu: 800m}")]);
        let err = adm.admit(&mut p2).unwrap_err();
        assert_eq!(err.reason, "Forbidden");
        assert_eq!(
            err.message,
            "pods \"quota-mem-cpu-demo-2\" is forbidden: exceeded quota: mem-cpu-demo, requested: \
             requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi"
        );
        // The rejected pod charged nothing.
        assert_eq!(adm.used("default", "mem-cpu-demo").unwrap()["requests.memory"], 600 * MI);
        assert!(!adm.is_charged("default/quota-mem-cpu-demo-2"));
    }

    #[test]
    fn exceeded_resources_are_listed_together_in_name_order() {
        let q = quotas(
            "{apiVersion: v1, kind: ResourceQuota, metadata: {name: compute-resources}, spec: {hard: {requests.cpu: '1', limits.cpu: '2', limits.memory: 1Gi}}}",
        );
        let mut adm = AdmissionChain::new(vec![], q);
        let mut p = pod_with("huge", &[("{cpu: '3', memory: 1Gi}", "{cpu: '3', memory: 2Gi}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"huge\" is forbidden: exceeded quota: compute-resources, requested: \
             limits.cpu=3,limits.memory=2Gi,requests.cpu=3, used: limits.cpu=0,limits.memory=0,requests.cpu=0, \
             limited: limits.cpu=2,limits.memory=1Gi,requests.cpu=1"
        );
    }

    #[test]
    fn quota_on_compute_resources_requires_them_on_every_container() {
        let mut adm = AdmissionChain::new(vec![], quotas(QUOTA_MEM_CPU));
        let mut p = pod_with("no-resources", &[("{}", "{}")]);
        p.containers[0].name = "nginx".into();
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"no-resources\" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx; \
             limits.memory for: nginx; requests.cpu for: nginx; requests.memory for: nginx"
        );
        // Names are sorted and joined by commas; init containers count too.
        let q = quotas(
            "{apiVersion: v1, kind: ResourceQuota, metadata: {name: cpu-only}, spec: {hard: {limits.cpu: '4'}}}",
        );
        let mut adm = AdmissionChain::new(vec![], q);
        let mut p = pod_with("mixed", &[("{cpu: 1}", "{}"), ("{cpu: 1}", "{cpu: 1}"), ("{cpu: 1}", "{}")]);
        let mut init = p.containers[0].clone();
        init.name = "a-init".into();
        p.init_containers.push(init);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"mixed\" is forbidden: failed quota: cpu-only: must specify limits.cpu for: a-init,c0,c2"
        );
    }

    #[test]
    fn pods_quota_release_gives_back_exactly_what_was_charged() {
        let mut adm = AdmissionChain::new(vec![], quotas(QUOTA_POD));
        let mut a = pod_with("a", &[("{}", "{}")]);
        let mut b = pod_with("b", &[("{}", "{}")]);
        let mut c = pod_with("c", &[("{}", "{}")]);
        adm.admit(&mut a).unwrap();
        adm.admit(&mut b).unwrap();
        assert_eq!(
            adm.admit(&mut c).unwrap_err().message,
            "pods \"c\" is forbidden: exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2"
        );
        adm.release(&a);
        assert_eq!(adm.used("default", "pod-demo").unwrap()["pods"], 1);
        adm.release(&a); // a second release is a no-op
        assert_eq!(adm.used("default", "pod-demo").unwrap()["pods"], 1);
        adm.admit(&mut c).unwrap();
        adm.release(&b);
        adm.release(&c);
        assert_eq!(adm.used("default", "pod-demo").unwrap(), &amounts(&[("pods", 0)]));
    }

    #[test]
    fn upstream_below_and_above_quota_limit() {
        // TestAdmitBelowQuotaLimit / TestAdmitExceedQuotaLimit: hard cpu 3, memory 100Gi, pods 5,
        // used cpu 1, memory 50Gi, pods 3.
        let q = quotas(
            "{apiVersion: v1, kind: ResourceQuota, metadata: {name: quota, namespace: test}, spec: {hard: {cpu: '3', memory: 100Gi, pods: '5'}}}",
        );
        let mut adm = AdmissionChain::new(vec![], q);
        for (name, cpu, mem) in [("e1", 400, 20), ("e2", 300, 15), ("e3", 300, 15)] {
            let mut p =
                simple_pod(name, Resources { milli_cpu: cpu, memory: mem * GI, ..Default::default() });
            p.namespace = "test".into();
            adm.charge_existing(&p);
        }
        assert_eq!(
            adm.used("test", "quota").unwrap(),
            &amounts(&[("cpu", 1000), ("memory", 50 * GI), ("pods", 3)])
        );

        let mut too_big = simple_pod(
            "not-allowed-pod",
            Resources { milli_cpu: 3000, memory: 2 * GI, ..Default::default() },
        );
        too_big.namespace = "test".into();
        assert_eq!(
            adm.admit(&mut too_big).unwrap_err().message,
            "pods \"not-allowed-pod\" is forbidden: exceeded quota: quota, requested: cpu=3, used: cpu=1, limited: cpu=3"
        );

        let mut ok =
            simple_pod("allowed-pod", Resources { milli_cpu: 100, memory: 2 * GI, ..Default::default() });
        ok.namespace = "test".into();
        adm.admit(&mut ok).unwrap();
        let used = adm.used("test", "quota").unwrap();
        assert_eq!(used, &amounts(&[("cpu", 1100), ("memory", 52 * GI), ("pods", 4)]));
        assert_eq!(
            (format_quantity("cpu", used["cpu"]), format_quantity("memory", used["memory"])),
            ("1100m".to_string(), "52Gi".to_string())
        );
    }

    #[test]
    fn quota_usage_counts_init_containers_sidecars_and_overhead() {
        let q = quotas(
            "{apiVersion: v1, kind: ResourceQuota, metadata: {name: q}, spec: {hard: {requests.cpu: '10', limits.cpu: '10', count/pods: '10'}}}",
        );
        let kata = crate::model::policy::RuntimeClass {
            name: "kata".into(),
            overhead: Some(crate::model::Resources { milli_cpu: 250, ..Default::default() }),
            node_selector: Default::default(),
            tolerations: vec![],
            created: Default::default(),
        };
        let mut adm = AdmissionChain::new(vec![], q).with_runtime_classes(vec![kata]);
        let mut p = pod_with("init-heavy", &[("{cpu: 500m}", "{cpu: 1}")]);
        p.runtime_class_name = "kata".into();
        let mut init = p.containers[0].clone();
        init.requests.milli_cpu = 2000;
        init.limits.milli_cpu = 3000;
        p.init_containers.push(init);
        p.overhead.milli_cpu = 250;
        p.refresh_requests();
        adm.admit(&mut p).unwrap();
        // requests: max(500m, 2000m) + 250m overhead; limits: max(1, 3) + 250m.
        assert_eq!(
            adm.used("default", "q").unwrap(),
            &amounts(&[("count/pods", 1), ("limits.cpu", 3250), ("requests.cpu", 2250)])
        );
        let usage = pod_quota_usage(&p);
        assert_eq!((usage["pods"], usage["cpu"], usage["memory"], usage["limits.memory"]), (1, 2250, 0, 0));
    }

    #[test]
    fn best_effort_and_not_best_effort_scopes_split_pods() {
        let q = quotas(
            "---\n{apiVersion: v1, kind: ResourceQuota, metadata: {name: besteffort}, spec: {hard: {pods: '1'}, scopes: [BestEffort]}}\n---\n{apiVersion: v1, kind: ResourceQuota, metadata: {name: not-besteffort}, spec: {hard: {pods: '5', requests.cpu: '1'}, scopes: [NotBestEffort, NotTerminating]}}\n",
        );
        let mut adm = AdmissionChain::new(vec![], q);
        let mut be = pod_with("be", &[("{}", "{}")]);
        adm.admit(&mut be).unwrap();
        let mut burstable = pod_with("burstable", &[("{cpu: 200m}", "{}")]);
        adm.admit(&mut burstable).unwrap();
        assert_eq!(adm.used("default", "besteffort").unwrap(), &amounts(&[("pods", 1)]));
        assert_eq!(
            adm.used("default", "not-besteffort").unwrap(),
            &amounts(&[("pods", 1), ("requests.cpu", 200)])
        );
        // A second BestEffort pod exceeds its scoped quota; Burstable pods are still fine.
        let mut be2 = pod_with("be2", &[("{}", "{}")]);
        assert_eq!(
            adm.admit(&mut be2).unwrap_err().message,
            "pods \"be2\" is forbidden: exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1"
        );
        // A LimitRange default turns a would-be BestEffort pod into a Burstable one.
        let mut adm = AdmissionChain::new(vec![limit_range(CPU_DEFAULTS)], adm.quotas().to_vec());
        let mut defaulted = pod_with("defaulted", &[("{}", "{}")]);
        adm.admit(&mut defaulted).unwrap();
        assert_eq!(adm.used("default", "besteffort").unwrap()["pods"], 0);
        assert_eq!(adm.used("default", "not-besteffort").unwrap()["requests.cpu"], 500);
    }

    #[test]
    fn terminating_scope_never_matches() {
        let q = quotas(
            "{apiVersion: v1, kind: ResourceQuota, metadata: {name: t}, spec: {hard: {pods: '0'}, scopes: [Terminating]}}",
        );
        let mut adm = AdmissionChain::new(vec![], q);
        let mut p = pod_with("p", &[("{}", "{}")]);
        assert!(adm.admit(&mut p).is_ok());
        assert!(!adm.is_charged("default/p"));
    }

    #[test]
    fn priority_class_scope_selector_charges_the_matching_quota() {
        let mut adm = AdmissionChain::new(vec![], quotas(QUOTA_PRIORITY));
        // Docs "Resource Quotas": high-priority-pod.yaml.
        let mut high = pod(
            "{apiVersion: v1, kind: Pod, metadata: {name: high-priority}, spec: {containers: [{name: high-priority, image: ubuntu, resources: {requests: {memory: 10Gi, cpu: 500m}, limits: {memory: 10Gi, cpu: 500m}}}], priorityClassName: high}}",
        );
        adm.admit(&mut high).unwrap();
        assert_eq!(
            adm.used("default", "pods-high").unwrap(),
            &amounts(&[("cpu", 500), ("memory", 10 * GI), ("pods", 1)])
        );
        assert_eq!(
            adm.used("default", "pods-medium").unwrap(),
            &amounts(&[("cpu", 0), ("memory", 0), ("pods", 0)])
        );
        assert_eq!(
            adm.used("default", "pods-low").unwrap(),
            &amounts(&[("cpu", 0), ("memory", 0), ("pods", 0)])
        );
        // No class, or another class: no quota applies, nothing is required or charged.
        let mut none = pod_with("none", &[("{}", "{}")]);
        adm.admit(&mut none).unwrap();
        let mut other = pod_with("other", &[("{}", "{}")]);
        other.priority_class_name = "other".into();
        adm.admit(&mut other).unwrap();
        assert!(!adm.is_charged("default/none") && !adm.is_charged("default/other"));
        // A medium pod without requests is refused by the medium quota only.
        let mut medium = pod_with("medium", &[("{}", "{}")]);
        medium.priority_class_name = "medium".into();
        assert_eq!(
            adm.admit(&mut medium).unwrap_err().message,
            "pods \"medium\" is forbidden: failed quota: pods-medium: must specify cpu for: c0; memory for: c0"
        );
    }

    #[test]
    fn priority_class_operators() {
        let req = |operator, values: &[&str]| ScopeRequirement {
            scope: QuotaScope::PriorityClass,
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        let mut with = simple_pod("p", Resources::default());
        with.priority_class_name = "high".into();
        let without = simple_pod("q", Resources::default());
        for (r, expect_with, expect_without) in [
            (req(ScopeOperator::In, &["high", "low"]), true, false),
            (req(ScopeOperator::In, &["low"]), false, false),
            (req(ScopeOperator::NotIn, &["high"]), false, true),
            (req(ScopeOperator::NotIn, &["low"]), true, true),
            (req(ScopeOperator::Exists, &[]), true, false),
            (req(ScopeOperator::DoesNotExist, &[]), false, true),
        ] {
            assert_eq!(scope_matches(&r, &with), expect_with, "{r:?} with a class");
            assert_eq!(scope_matches(&r, &without), expect_without, "{r:?} without a class");
        }
    }

    /// `podEvaluator.Constraints` (v1.35) skips the per-container check when pod-level resources
    /// are set, and `PodUsageFunc` charges `PodRequests` / `PodLimits` with the pod-level values.
    #[test]
    fn pod_level_resources_exempt_containers_and_are_charged() {
        let mut adm = AdmissionChain::new(vec![], quotas(QUOTA_MEM_CPU));
        let pod_level = |name: &str, resources: &str| {
            pod(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  resources: {resources}\n  containers:\n  - {{name: app, image: nginx}}\n"
            ))
        };
        let mut p =
            pod_level("pl", "{requests: {cpu: 500m, memory: 256Mi}, limits: {cpu: 1, memory: 512Mi}}");
        adm.admit(&mut p).unwrap();
        assert_eq!(
            adm.used("default", "mem-cpu-demo").unwrap(),
            &amounts(&[
                ("limits.cpu", 1000),
                ("limits.memory", 512 * MI),
                ("requests.cpu", 500),
                ("requests.memory", 256 * MI)
            ])
        );
        // Pod-level limits only: the API server defaults the pod-level requests to them.
        let mut p = pod_level("pl-2", "{limits: {cpu: 1, memory: 512Mi}}");
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"pl-2\" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: \
             requests.cpu=500m, limited: requests.cpu=1"
        );
        // The same container without pod-level resources must list all four.
        let mut p = pod_with("plain", &[("{}", "{}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"plain\" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: c0; \
             limits.memory for: c0; requests.cpu for: c0; requests.memory for: c0"
        );
    }

    #[test]
    fn extended_resources_use_the_requests_key() {
        let q = quotas(
            "{apiVersion: v1, kind: ResourceQuota, metadata: {name: gpu-quota}, spec: {hard: {requests.nvidia.com/gpu: '1', limits.nvidia.com/gpu: '0'}}}",
        );
        let mut adm = AdmissionChain::new(vec![], q);
        let mut p = pod_with("gpu", &[("{}", "{nvidia.com/gpu: 2}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"gpu\" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=2, used: \
             requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=1"
        );
        let mut p = pod_with("gpu1", &[("{}", "{nvidia.com/gpu: 1}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!(
            adm.used("default", "gpu-quota").unwrap(),
            &amounts(&[("limits.nvidia.com/gpu", 0), ("requests.nvidia.com/gpu", 1)])
        );
    }

    #[test]
    fn quotas_of_other_namespaces_and_untracked_keys_are_ignored() {
        let q = quotas(
            "---\n{apiVersion: v1, kind: ResourceQuota, metadata: {name: elsewhere, namespace: other}, spec: {hard: {pods: '0'}}}\n---\n{apiVersion: v1, kind: ResourceQuota, metadata: {name: objects}, spec: {hard: {services: '0', count/deployments.apps: '0'}}}\n",
        );
        let mut adm = AdmissionChain::new(vec![], q);
        let mut p = pod_with("p", &[("{}", "{}")]);
        assert!(adm.admit(&mut p).is_ok());
        assert!(!adm.is_charged("default/p"));
    }
}
