//! Admission of a pod at creation, as kube-apiserver v1.35's admission chain does it:
//! **LimitRanger** (defaults, then min / max / maxLimitRequestRatio checks), **ResourceQuota**
//! (the pod evaluator: charge the pod's usage to every matching quota or reject it) and
//! **DefaultTolerationSeconds** (the 300 s `not-ready` / `unreachable` tolerations).
//!
//! [`Admission::admit`] runs the steps in the API server's order:
//!
//! 1. API defaulting of the decoded pod (`SetDefaults_Pod`): a container limit without a request
//!    becomes the request. capsim's converter already does this; it is repeated so that pods built
//!    in code behave the same.
//! 2. Mutating LimitRanger: every LimitRange of the pod's namespace, in the order given to
//!    [`Admission::new`], fills missing limits from `default` and missing requests from
//!    `defaultRequest` of its `Container` item, for regular and init containers. A resource already
//!    set keeps its value, so the first LimitRange that defaults a resource wins.
//! 3. Object validation of what LimitRanger added: a request above its (defaulted) limit makes the
//!    pod invalid (`Pod "x" is invalid: spec.containers[0].resources.requests: Invalid value: …`).
//! 4. Validating LimitRanger: each LimitRange in turn checks `min`, `max` and
//!    `maxLimitRequestRatio` per container (`Container` items) and on the pod's aggregate (`Pod`
//!    items); the first LimitRange with violations rejects the pod with all of its messages.
//! 5. ResourceQuota: every quota of the namespace that tracks a pod resource and whose scopes all
//!    match must hold `used + usage` within `hard`; then the usage is charged to each of them.
//!
//! [`add_default_tolerations`] is the separate DefaultTolerationSeconds step (a mutating plugin
//! that runs between 2 and 3 upstream; it touches only tolerations, so callers may run it before
//! or after [`Admission::admit`]).
//!
//! # Units
//! Resource amounts are integers in capsim units ([`ResourceMap`]): cpu in millicores
//! (`MilliValue()`), memory, ephemeral-storage, storage and `hugepages-*` in bytes, everything
//! else (pods, object counts, extended resources) in whole units (`Value()`). Quota keys with a
//! `requests.` / `limits.` prefix take the unit of the resource after the prefix. Ratios
//! (`maxLimitRequestRatio`) are kept in thousandths, as upstream compares them.
//!
//! # Messages
//! Rejections carry upstream's exact text ([`Rejection`]). Quantities are printed in Kubernetes'
//! canonical form by [`format_quantity`]: cpu as `500m` / `2`, byte amounts that are whole
//! multiples of 1024 in binary suffixes (`1536Mi`, `2Gi`) and others in decimal ones (`500M`),
//! counts as plain numbers (`10`, `1k`). Upstream prints a quantity in the suffix family it was
//! written in; capsim keeps only the integer, so an amount written `2048k` prints as `2000Ki`.
//!
//! # Determinism
//! Upstream walks Go maps (random order) when it collects LimitRanger messages and reads
//! LimitRanges and quotas from an informer (no fixed order). capsim walks resources in name order,
//! LimitRanges in the order given, and quotas of a namespace by name, so one message and one
//! outcome come out every time.
//!
//! # Not modelled
//! - Pods have no `activeDeadlineSeconds` in capsim's model: every pod counts as
//!   `NotTerminating` (quota scope `Terminating` never matches, `NotTerminating` always does).
//! - Quota status is always known and exact: no "status unknown for quota" rejection for a quota
//!   the controller has not synced yet, no conflicts or retries between API servers.
//! - No `LimitedResources` admission configuration (so no "insufficient quota to consume" /
//!   "insufficient quota to match these scopes" rejections).
//! - Presence of a limit is read from the model: a cpu, memory or ephemeral-storage limit of 0
//!   counts as absent (explicit zero limits are not kept by the model); extended resources keep
//!   presence exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::api::quantity::{Format, Quantity};
use crate::model::labels::{TaintEffect, Toleration, TolerationOperator};
use crate::model::pod::{Container, Pod, QosClass, qos_class};
use crate::model::resources::{CPU, EPHEMERAL_STORAGE, MEMORY, PODS};
use crate::names::{TAINT_NOT_READY, TAINT_UNREACHABLE};

/// Amounts by resource name, in capsim units (see the module docs: cpu in millicores, byte
/// resources in bytes, the rest in whole units). Sorted, so iteration never depends on hashing.
pub type ResourceMap = BTreeMap<String, i64>;

/// kube-apiserver's default `--default-not-ready-toleration-seconds`: 300 s.
pub const DEFAULT_NOT_READY_TOLERATION_SECONDS: i64 = 300;
/// kube-apiserver's default `--default-unreachable-toleration-seconds`: 300 s.
pub const DEFAULT_UNREACHABLE_TOLERATION_SECONDS: i64 = 300;

/// Quota resource counting every pod object (`count/pods`), whatever its phase.
pub const QUOTA_COUNT_PODS: &str = "count/pods";

/// Upstream `resource.MaxMilliValue` (`MaxInt64 / 1000`): the largest whole value whose
/// thousandths still fit an `int64`.
const MAX_MILLI_VALUE: i64 = i64::MAX / 1000;

// ---------------------------------------------------------------------------------------------
// LimitRange

/// The kind of object a LimitRange item constrains (`spec.limits[].type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LimitType {
    /// `Container`: each regular and init container on its own; the only type with defaults.
    Container,
    /// `Pod`: the pod's aggregate requests and limits.
    Pod,
    /// `PersistentVolumeClaim`: storage requests of claims. Parsed, never applied (capsim has no
    /// claims).
    PersistentVolumeClaim,
}

impl LimitType {
    /// The type's API spelling, as it appears in LimitRanger messages (`per Container`).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitType::Container => "Container",
            LimitType::Pod => "Pod",
            LimitType::PersistentVolumeClaim => "PersistentVolumeClaim",
        }
    }
}

/// One `spec.limits[]` entry of a LimitRange, in capsim units (see [`ResourceMap`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitRangeItem {
    /// `type`.
    pub limit_type: LimitType,
    /// `max`: the largest limit (and request) allowed; a limit must be set when present.
    pub max: ResourceMap,
    /// `min`: the smallest request (and limit) allowed; a request must be set when present.
    pub min: ResourceMap,
    /// `default`: the limit given to a container that sets none (type Container only).
    pub default: ResourceMap,
    /// `defaultRequest`: the request given to a container that sets none (type Container only).
    pub default_request: ResourceMap,
    /// `maxLimitRequestRatio` in thousandths (`2` → 2000, `1.5` → 1500): limit ÷ request may not
    /// exceed it, and both must be set and non-zero.
    pub max_limit_request_ratio: ResourceMap,
}

impl LimitRangeItem {
    /// An item of `limit_type` with no constraints.
    pub fn new(limit_type: LimitType) -> Self {
        LimitRangeItem {
            limit_type,
            max: ResourceMap::new(),
            min: ResourceMap::new(),
            default: ResourceMap::new(),
            default_request: ResourceMap::new(),
            max_limit_request_ratio: ResourceMap::new(),
        }
    }

    /// The API server's defaulting of a stored item (`SetDefaults_LimitRangeItem`), which applies
    /// to `Container` items only: a resource with `max` but no `default` gets `default = max`; then
    /// a resource with `default` but no `defaultRequest` gets `defaultRequest = default`; then one
    /// with `min` but still no `defaultRequest` gets `defaultRequest = min`.
    pub fn apply_api_defaults(&mut self) {
        if self.limit_type != LimitType::Container {
            return;
        }
        for (name, v) in &self.max {
            self.default.entry(name.clone()).or_insert(*v);
        }
        for (name, v) in &self.default {
            self.default_request.entry(name.clone()).or_insert(*v);
        }
        for (name, v) in &self.min {
            self.default_request.entry(name.clone()).or_insert(*v);
        }
    }
}

/// A `LimitRange` (core/v1) as stored: API defaults applied (see
/// [`LimitRangeItem::apply_api_defaults`]) and validated by
/// [`crate::api::policy::limit_range_from_value`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitRange {
    /// `metadata.namespace` (`default` when unset).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.limits`.
    pub items: Vec<LimitRangeItem>,
}

// ---------------------------------------------------------------------------------------------
// ResourceQuota

/// A quota scope (`spec.scopes[]`, or the `scopeName` of a scope selector requirement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum QuotaScope {
    /// Pods with `activeDeadlineSeconds ≥ 0`. capsim models none, so this never matches.
    Terminating,
    /// Pods without `activeDeadlineSeconds`: every capsim pod.
    NotTerminating,
    /// Pods of QoS class BestEffort (no cpu/memory request or limit anywhere).
    BestEffort,
    /// Pods of QoS class Burstable or Guaranteed.
    NotBestEffort,
    /// Pods by `priorityClassName` (selector operators In / NotIn / Exists / DoesNotExist).
    PriorityClass,
    /// Pods with a pod (anti-)affinity term that names namespaces or has a namespace selector.
    CrossNamespacePodAffinity,
}

impl QuotaScope {
    /// Every scope, in declaration order.
    pub const ALL: [QuotaScope; 6] = [
        QuotaScope::Terminating,
        QuotaScope::NotTerminating,
        QuotaScope::BestEffort,
        QuotaScope::NotBestEffort,
        QuotaScope::PriorityClass,
        QuotaScope::CrossNamespacePodAffinity,
    ];

    /// The scope's API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaScope::Terminating => "Terminating",
            QuotaScope::NotTerminating => "NotTerminating",
            QuotaScope::BestEffort => "BestEffort",
            QuotaScope::NotBestEffort => "NotBestEffort",
            QuotaScope::PriorityClass => "PriorityClass",
            QuotaScope::CrossNamespacePodAffinity => "CrossNamespacePodAffinity",
        }
    }

    /// The scope named `name`, if it is one of [`QuotaScope::ALL`].
    pub fn parse(name: &str) -> Option<QuotaScope> {
        QuotaScope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Operator of a scope selector requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeOperator {
    /// The pod's value is one of `values`.
    In,
    /// The pod has no value, or one not in `values`.
    NotIn,
    /// The pod has a value (for PriorityClass: a non-empty `priorityClassName`).
    Exists,
    /// The pod has no value.
    DoesNotExist,
}

impl ScopeOperator {
    /// The operator's API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeOperator::In => "In",
            ScopeOperator::NotIn => "NotIn",
            ScopeOperator::Exists => "Exists",
            ScopeOperator::DoesNotExist => "DoesNotExist",
        }
    }
}

/// One `spec.scopeSelector.matchExpressions[]` entry; an entry of `spec.scopes` is the same with
/// operator `Exists`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeRequirement {
    /// `scopeName`.
    pub scope: QuotaScope,
    /// `operator`.
    pub operator: ScopeOperator,
    /// `values` (only for In / NotIn).
    pub values: Vec<String>,
}

/// A `ResourceQuota` (core/v1) as stored, validated by
/// [`crate::api::policy::resource_quota_from_value`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceQuota {
    /// `metadata.namespace` (`default` when unset).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.hard`, in capsim units. Keys the pod evaluator does not track (`services`,
    /// `count/deployments.apps`, `requests.storage`, …) are kept and ignored.
    pub hard: ResourceMap,
    /// `spec.scopes`.
    pub scopes: Vec<QuotaScope>,
    /// `spec.scopeSelector.matchExpressions`.
    pub scope_selector: Vec<ScopeRequirement>,
}

impl ResourceQuota {
    /// Every scope requirement of the quota, ANDed: `spec.scopes` as `Exists` requirements, then
    /// the scope selector's (upstream `getScopeSelectorsFromQuota`).
    pub fn scope_requirements(&self) -> impl Iterator<Item = ScopeRequirement> + '_ {
        self.scopes
            .iter()
            .map(|s| ScopeRequirement { scope: *s, operator: ScopeOperator::Exists, values: Vec::new() })
            .chain(self.scope_selector.iter().cloned())
    }

    /// Whether the pod evaluator applies this quota to `pod` (upstream `generic.Matches` with the
    /// pod evaluator): the quota tracks at least one pod resource ([`is_pod_quota_resource`]) and
    /// every scope requirement matches the pod ([`scope_matches`]). The namespace is not checked.
    pub fn matches(&self, pod: &Pod) -> bool {
        self.hard.keys().any(|k| is_pod_quota_resource(k))
            && self.scope_requirements().all(|r| scope_matches(&r, pod))
    }
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

/// Upstream `IsNativeResource`: no domain prefix, or a `kubernetes.io/` one.
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// Upstream `IsExtendedResourceName`: a domain-prefixed name outside `kubernetes.io/` that is not
/// itself a quota key (`requests.…`).
pub fn is_extended_resource_name(name: &str) -> bool {
    !is_native_resource(name) && !name.starts_with("requests.")
}

/// Upstream `IsOvercommitAllowed`: native resources other than `hugepages-*`. Extended resources
/// and huge pages need request == limit.
fn is_overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !name.starts_with("hugepages-")
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

// ---------------------------------------------------------------------------------------------
// Quantities

/// The resource a quota key measures: `requests.cpu` → `cpu`, `limits.memory` → `memory`,
/// `requests.nvidia.com/gpu` → `nvidia.com/gpu`; other names are returned unchanged.
pub fn base_resource(name: &str) -> &str {
    name.strip_prefix("requests.").or_else(|| name.strip_prefix("limits.")).unwrap_or(name)
}

/// Whether resource (or quota key) `name` is counted in millicores: `cpu`, `requests.cpu`,
/// `limits.cpu`. Everything else is in whole units of `Value()`.
pub fn is_milli_resource(name: &str) -> bool {
    base_resource(name) == CPU
}

/// Whether resource (or quota key) `name` is an amount of bytes: memory, ephemeral-storage,
/// storage and huge pages.
fn is_byte_resource(name: &str) -> bool {
    let base = base_resource(name);
    matches!(base, "memory" | "ephemeral-storage" | "storage") || base.starts_with("hugepages-")
}

/// `value` of resource (or quota key) `name`, in capsim units, as Kubernetes prints the quantity
/// (`Quantity.String()`): cpu as millicores (`500m`, `1`, `1500m`); byte amounts that are whole
/// multiples of 1024 with binary suffixes (`99Mi`, `1536Mi`, `2Gi`) and others with decimal ones
/// (`500M`, `1k`, `123`); counts and extended resources as decimal numbers (`2`, `1k`).
///
/// The binary/decimal choice for bytes stands in for the suffix family upstream remembers from
/// the original text, which capsim does not keep.
pub fn format_quantity(name: &str, value: i64) -> String {
    let q = if is_milli_resource(name) {
        Quantity::new_milli(value, Format::DecimalSI)
    } else if is_byte_resource(name) && value != 0 && value % 1024 == 0 {
        Quantity::new(value, Format::BinarySI)
    } else {
        Quantity::new(value, Format::DecimalSI)
    };
    q.to_string()
}

/// A ratio kept in thousandths, printed as Kubernetes prints it (`2000` → `2`, `1500` → `1500m`).
pub fn format_ratio(milli: i64) -> String {
    Quantity::new_milli(milli, Format::DecimalSI).to_string()
}

/// Upstream `Value()` and `MilliValue()` of an amount of resource `name` held in capsim units.
fn value_and_milli(name: &str, v: i64) -> (i64, i64) {
    if is_milli_resource(name) { (ceil_div_1000(v), v) } else { (v, v.saturating_mul(1000)) }
}

/// `⌈v / 1000⌉` for non-negative `v` (and a plain division otherwise).
fn ceil_div_1000(v: i64) -> i64 {
    if v > 0 { (v - 1) / 1000 + 1 } else { v / 1000 }
}

// ---------------------------------------------------------------------------------------------
// Resource lists of containers and pods

/// Whether container `c` lists a request for `name` (an explicit 0 counts for cpu and memory).
fn has_request(c: &Container, name: &str) -> bool {
    match name {
        CPU => c.has_cpu_request,
        MEMORY => c.has_memory_request,
        EPHEMERAL_STORAGE | PODS => c.requests.get(name) != 0,
        _ => c.requests.scalar.contains_key(name),
    }
}

/// Whether container `c` lists a limit for `name` (a zero cpu/memory/ephemeral-storage limit
/// reads as absent; see the module docs).
fn has_limit(c: &Container, name: &str) -> bool {
    match name {
        CPU | MEMORY | EPHEMERAL_STORAGE | PODS => c.limits.get(name) != 0,
        _ => c.limits.scalar.contains_key(name),
    }
}

/// Names of the resources `r` may hold: the four fixed ones, then its scalars.
fn resource_names(r: &crate::model::Resources) -> impl Iterator<Item = &str> {
    [CPU, MEMORY, EPHEMERAL_STORAGE, PODS].into_iter().chain(r.scalar.keys().map(String::as_str))
}

/// The container's `resources.requests` as listed.
fn request_map(c: &Container) -> ResourceMap {
    resource_names(&c.requests)
        .filter(|n| has_request(c, n))
        .map(|n| (n.to_string(), c.requests.get(n)))
        .collect()
}

/// The container's `resources.limits` as listed.
fn limit_map(c: &Container) -> ResourceMap {
    resource_names(&c.limits).filter(|n| has_limit(c, n)).map(|n| (n.to_string(), c.limits.get(n))).collect()
}

/// Adds `other` into `list`, key by key (upstream `addResourceList`).
fn add_into(list: &mut ResourceMap, other: &ResourceMap) {
    for (k, v) in other {
        *list.entry(k.clone()).or_insert(0) += v;
    }
}

/// Raises `list` to `other` key by key, adding missing keys (upstream `maxResourceList`).
fn max_into(list: &mut ResourceMap, other: &ResourceMap) {
    for (k, v) in other {
        let e = list.entry(k.clone()).or_insert(*v);
        *e = (*e).max(*v);
    }
}

/// The container aggregate of a pod over `per_container` (requests or limits), with the
/// sidecar formula of `AggregateContainerRequests` / `AggregateContainerLimits`:
/// `max(Σ containers + Σ sidecars, peak over init containers)`, where a plain init container's
/// peak is itself plus the sidecars declared before it. A resource appears when any container
/// lists it.
fn aggregate(pod: &Pod, per_container: impl Fn(&Container) -> ResourceMap) -> ResourceMap {
    let mut total = ResourceMap::new();
    for c in &pod.containers {
        add_into(&mut total, &per_container(c));
    }
    let mut sidecars = ResourceMap::new();
    let mut init_peak = ResourceMap::new();
    for c in &pod.init_containers {
        let mut r = per_container(c);
        if c.restart_always {
            add_into(&mut total, &r);
            add_into(&mut sidecars, &r);
            max_into(&mut init_peak, &sidecars);
        } else {
            add_into(&mut r, &sidecars);
            max_into(&mut init_peak, &r);
        }
    }
    max_into(&mut total, &init_peak);
    total
}

/// The pod's effective limits as the quota evaluator sees them (component-helpers `PodLimits`):
/// the container aggregate of limits (sidecar formula), each pod-level limit replacing its
/// resource, then the pod overhead added to every resource with a non-zero limit.
pub fn pod_limits(pod: &Pod) -> ResourceMap {
    let mut limits = aggregate(pod, limit_map);
    if !pod.pod_level_requests.is_empty() || !pod.pod_level_limits.is_empty() {
        for (k, v) in &pod.pod_level_limits {
            limits.insert(k.clone(), *v);
        }
    }
    for (name, v) in pod.overhead.iter_nonzero() {
        if let Some(l) = limits.get_mut(name).filter(|l| **l != 0) {
            *l += v;
        }
    }
    limits
}

/// LimitRanger's pod aggregate (its local `podRequests` / `podLimits`): the sidecar formula over
/// containers without overhead, with pod-level cpu and memory (only those two) replacing the
/// aggregate.
fn limit_ranger_pod_totals(pod: &Pod, limits: bool) -> ResourceMap {
    let (mut total, pod_level) = if limits {
        (aggregate(pod, limit_map), &pod.pod_level_limits)
    } else {
        (aggregate(pod, request_map), &pod.pod_level_requests)
    };
    for (k, v) in pod_level.iter().filter(|(k, _)| *k == CPU || *k == MEMORY) {
        total.insert(k.clone(), *v);
    }
    total
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

// ---------------------------------------------------------------------------------------------
// Rejections

/// Why admission refused a pod: the API error the create call would get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The `metav1.StatusReason`: `Forbidden` (403; LimitRanger and ResourceQuota), `Invalid`
    /// (422; a request above the limit LimitRanger defaulted) or `AlreadyExists` (409; a pod with
    /// the same namespace/name is still charged).
    pub reason: String,
    /// Upstream's message, e.g. `pods "web-1" is forbidden: exceeded quota: compute-resources,
    /// requested: limits.memory=2Gi, used: limits.memory=0, limited: limits.memory=1Gi`.
    pub message: String,
}

impl Rejection {
    /// `admission.NewForbidden` on a pod: `pods "<name>" is forbidden: <detail>`.
    fn forbidden(pod: &Pod, detail: &str) -> Self {
        Rejection {
            reason: "Forbidden".into(),
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
// LimitRanger checks

/// Upstream `requestLimitEnforcedValues`: request and limit (absent = 0) at a common precision,
/// thousandths when the request, the limit and the enforced value (whole units `enforced_value`)
/// all stay within `MaxMilliValue`, whole units otherwise.
fn common_precision(name: &str, req: i64, lim: i64, enforced_value: i64) -> (i64, i64, bool) {
    let (rv, rm) = value_and_milli(name, req);
    let (lv, lm) = value_and_milli(name, lim);
    if rv <= MAX_MILLI_VALUE && lv <= MAX_MILLI_VALUE && enforced_value <= MAX_MILLI_VALUE {
        (rm, lm, true)
    } else {
        (rv, lv, false)
    }
}

/// `minConstraint`: a request must be listed and ≥ `min`; a listed limit must be ≥ `min`.
fn min_constraint(kind: &str, name: &str, min: i64, req: &ResourceMap, lim: &ResourceMap) -> Option<String> {
    let shown = format_quantity(name, min);
    let Some(&r) = req.get(name) else {
        return Some(format!("minimum {name} usage per {kind} is {shown}.  No request is specified"));
    };
    if r < min {
        return Some(format!(
            "minimum {name} usage per {kind} is {shown}, but request is {}",
            format_quantity(name, r)
        ));
    }
    match lim.get(name) {
        Some(&l) if l < min => Some(format!(
            "minimum {name} usage per {kind} is {shown}, but limit is {}",
            format_quantity(name, l)
        )),
        _ => None,
    }
}

/// `maxConstraint`: a limit must be listed and ≤ `max`; a listed request must be ≤ `max`.
fn max_constraint(kind: &str, name: &str, max: i64, req: &ResourceMap, lim: &ResourceMap) -> Option<String> {
    let shown = format_quantity(name, max);
    let Some(&l) = lim.get(name) else {
        return Some(format!("maximum {name} usage per {kind} is {shown}.  No limit is specified"));
    };
    if l > max {
        return Some(format!(
            "maximum {name} usage per {kind} is {shown}, but limit is {}",
            format_quantity(name, l)
        ));
    }
    match req.get(name) {
        Some(&r) if r > max => Some(format!(
            "maximum {name} usage per {kind} is {shown}, but request is {}",
            format_quantity(name, r)
        )),
        _ => None,
    }
}

/// `limitRequestRatioConstraint`, with upstream's float arithmetic so borderline ratios decide
/// as upstream decides: limit ÷ request (both listed and non-zero) × 1000 must not exceed the
/// ratio's thousandths. The observed ratio prints with six decimals (`%f`).
fn ratio_constraint(
    kind: &str,
    name: &str,
    ratio_milli: i64,
    req: &ResourceMap,
    lim: &ResourceMap,
) -> Option<String> {
    let shown = format_ratio(ratio_milli);
    let ratio_value = ceil_div_1000(ratio_milli);
    let (r, l) = (req.get(name).copied(), lim.get(name).copied());
    let (rv, lv, _) = common_precision(name, r.unwrap_or(0), l.unwrap_or(0), ratio_value);
    if r.is_none() || rv == 0 {
        return Some(format!(
            "{name} max limit to request ratio per {kind} is {shown}, but no request is specified or request is 0"
        ));
    }
    if l.is_none() || lv == 0 {
        return Some(format!(
            "{name} max limit to request ratio per {kind} is {shown}, but no limit is specified or limit is 0"
        ));
    }
    let observed = lv as f64 / rv as f64;
    let (compared, allowed) = if ratio_value <= MAX_MILLI_VALUE {
        (observed * 1000.0, ratio_milli as f64)
    } else {
        (observed, ratio_value as f64)
    };
    (compared > allowed).then(|| {
        format!(
            "{name} max limit to request ratio per {kind} is {shown}, but provided ratio is {observed:.6}"
        )
    })
}

/// Every violation of `item`'s min / max / ratio by one set of requests and limits, in upstream's
/// order (min, then max, then ratio; resources in name order within each).
fn item_violations(item: &LimitRangeItem, req: &ResourceMap, lim: &ResourceMap, out: &mut Vec<String>) {
    let kind = item.limit_type.as_str();
    out.extend(item.min.iter().filter_map(|(n, v)| min_constraint(kind, n, *v, req, lim)));
    out.extend(item.max.iter().filter_map(|(n, v)| max_constraint(kind, n, *v, req, lim)));
    out.extend(
        item.max_limit_request_ratio.iter().filter_map(|(n, v)| ratio_constraint(kind, n, *v, req, lim)),
    );
}

/// LimitRanger's validation of `pod` against one LimitRange (upstream `PodValidateLimitFunc`):
/// `Container` items check every regular container and then every init container; `Pod` items
/// check the pod aggregate ([`limit_ranger_pod_totals`]).
fn limit_range_violations(lr: &LimitRange, pod: &Pod) -> Vec<String> {
    let mut out = Vec::new();
    for item in &lr.items {
        match item.limit_type {
            LimitType::Container => {
                for c in pod.containers.iter().chain(&pod.init_containers) {
                    item_violations(item, &request_map(c), &limit_map(c), &mut out);
                }
            }
            LimitType::Pod => {
                let req = limit_ranger_pod_totals(pod, false);
                let lim = limit_ranger_pod_totals(pod, true);
                item_violations(item, &req, &lim, &mut out);
            }
            LimitType::PersistentVolumeClaim => {}
        }
    }
    out
}

/// Applies one LimitRange's container defaults to `c` (upstream `mergeContainerResources`) and
/// returns the names of the resources it set (request or limit).
fn merge_container_defaults(c: &mut Container, limits: &ResourceMap, requests: &ResourceMap) -> Vec<String> {
    let mut set = Vec::new();
    for (name, v) in limits {
        if !has_limit(c, name) {
            c.limits.set(name, *v);
            set.push(name.clone());
        }
    }
    for (name, v) in requests {
        if !has_request(c, name) {
            c.requests.set(name, *v);
            match name.as_str() {
                CPU => c.has_cpu_request = true,
                MEMORY => c.has_memory_request = true,
                _ => {}
            }
            set.push(name.clone());
        }
    }
    set
}

/// API defaulting of a pod container (`SetDefaults_Pod`): each listed limit without a request
/// becomes the request. Returns whether anything changed.
fn copy_limits_to_requests(c: &mut Container) -> bool {
    let missing: Vec<(String, i64)> =
        limit_map(c).into_iter().filter(|(name, _)| !has_request(c, name)).collect();
    for (name, v) in &missing {
        c.requests.set(name, *v);
        match name.as_str() {
            CPU => c.has_cpu_request = true,
            MEMORY => c.has_memory_request = true,
            _ => {}
        }
    }
    !missing.is_empty()
}

/// Object validation (`ValidateResourceRequirements`) of the resources LimitRanger defaulted in
/// `c`: a request above its limit, or for extended resources and huge pages a request different
/// from its limit, is invalid.
fn defaulted_resource_errors(c: &Container, field: &str, names: &BTreeSet<String>, out: &mut Vec<String>) {
    for name in names {
        if !(has_request(c, name) && has_limit(c, name)) {
            continue;
        }
        let (r, l) = (c.requests.get(name), c.limits.get(name));
        let detail = if !is_overcommit_allowed(name) && r != l {
            "must be equal to"
        } else if r > l {
            "must be less than or equal to"
        } else {
            continue;
        };
        out.push(format!(
            "{field}.resources.requests: Invalid value: {:?}: {detail} {name} limit of {}",
            format_quantity(name, r),
            format_quantity(name, l)
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Admission

/// What one admitted pod was charged: quota index and the amounts added to its `used`.
type Charge = Vec<(usize, ResourceMap)>;

/// The admission chain of the API server for pod creation: the LimitRanges and ResourceQuotas
/// of every namespace, and each quota's current usage.
///
/// Charges are kept per pod, keyed by [`Pod::key`] (`namespace/name`), so [`Admission::release`]
/// gives back exactly what [`Admission::admit`] (or [`Admission::charge_existing`]) charged, even
/// if the pod changed in between.
#[derive(Clone, Debug, Default)]
pub struct Admission {
    limit_ranges: Vec<LimitRange>,
    /// Sorted by namespace, then name.
    quotas: Vec<ResourceQuota>,
    /// `status.used` of each quota (same index), with every `hard` key present.
    used: Vec<ResourceMap>,
    /// Outstanding charges by pod key.
    charges: BTreeMap<String, Charge>,
}

impl Admission {
    /// An admission chain over `limit_ranges` (applied in this order within a namespace) and
    /// `quotas` (checked by name within a namespace), every quota's usage at 0.
    pub fn new(limit_ranges: Vec<LimitRange>, mut quotas: Vec<ResourceQuota>) -> Self {
        quotas.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let used = quotas.iter().map(|q| q.hard.keys().map(|k| (k.clone(), 0)).collect()).collect();
        Admission { limit_ranges, quotas, used, charges: BTreeMap::new() }
    }

    /// The LimitRanges, in the order given.
    pub fn limit_ranges(&self) -> &[LimitRange] {
        &self.limit_ranges
    }

    /// The ResourceQuotas, by namespace and name.
    pub fn quotas(&self) -> &[ResourceQuota] {
        &self.quotas
    }

    /// `status.used` of quota `namespace/name` in capsim units (every `hard` key present, 0 when
    /// nothing is charged), or `None` for an unknown quota.
    pub fn used(&self, namespace: &str, name: &str) -> Option<&ResourceMap> {
        let i = self.quotas.iter().position(|q| q.namespace == namespace && q.name == name)?;
        self.used.get(i)
    }

    /// Whether a charge is outstanding for the pod with key `pod_key` (`namespace/name`).
    pub fn is_charged(&self, pod_key: &str) -> bool {
        self.charges.contains_key(pod_key)
    }

    /// Admits `pod` at creation, mutating it as the API server would, or rejects it.
    ///
    /// Steps (see the module docs for the upstream order): API defaulting of limits into missing
    /// requests; LimitRanger defaults from each LimitRange of `pod.namespace` (missing limit ←
    /// `default`, missing request ← `defaultRequest`; a container with a limit but no request
    /// therefore ends with request = its limit); [`Pod::refresh_requests`] when a container
    /// changed; validation of the defaulted resources; LimitRanger min / max /
    /// maxLimitRequestRatio checks; then every matching ResourceQuota. On success the pod's quota
    /// usage ([`pod_quota_usage`], zero amounts left out, masked to each quota's `hard` keys) is
    /// added to each matching quota's `used` and recorded under [`Pod::key`] for
    /// [`Admission::release`].
    ///
    /// The PriorityClass scope reads `pod.priority_class_name`. Upstream's Priority admission
    /// first writes the `globalDefault` class name into pods that name none; capsim's model keeps
    /// the name as written, so such pods count as having no class here.
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
        let key = pod.key();
        if self.charges.contains_key(&key) {
            return Err(Rejection {
                reason: "AlreadyExists".into(),
                message: format!("pods {:?} already exists", pod.name),
            });
        }
        self.apply_limit_ranges(pod)?;
        let charge = self.check_quotas(pod)?;
        self.apply_charge(&key, charge);
        Ok(())
    }

    /// Charges `pod` to every matching quota without any check: a pod that already exists when
    /// the simulation starts, which the quota controller counts in `used`. Nothing happens when
    /// a charge is already outstanding under the pod's key.
    pub fn charge_existing(&mut self, pod: &Pod) {
        let key = pod.key();
        if self.charges.contains_key(&key) {
            return;
        }
        let usage = nonzero(pod_quota_usage(pod));
        let charge = self
            .quota_indexes(&pod.namespace)
            .filter(|i| self.quotas[*i].matches(pod))
            .map(|i| (i, mask(&usage, &self.quotas[i].hard)))
            .filter(|(_, m)| !m.is_empty())
            .collect();
        self.apply_charge(&key, charge);
    }

    /// Gives back the usage charged for `pod` (found by [`Pod::key`]) when it terminates
    /// (Succeeded / Failed) or is deleted: exactly the amounts recorded at admission. A pod with
    /// no outstanding charge changes nothing, so calling this twice is harmless.
    pub fn release(&mut self, pod: &Pod) {
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

    fn apply_charge(&mut self, key: &str, charge: Charge) {
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

    /// Steps 1-4 of [`Admission::admit`]: defaulting, validation of the defaults, LimitRanger
    /// checks.
    fn apply_limit_ranges(&self, pod: &mut Pod) -> Result<(), Rejection> {
        let mut changed = false;
        for c in pod.containers.iter_mut().chain(pod.init_containers.iter_mut()) {
            changed |= copy_limits_to_requests(c);
        }
        let ranges: Vec<&LimitRange> =
            self.limit_ranges.iter().filter(|lr| lr.namespace == pod.namespace).collect();
        // Resources defaulted per container: regular containers first, then init containers.
        let count = pod.containers.len() + pod.init_containers.len();
        let mut defaulted: Vec<BTreeSet<String>> = vec![BTreeSet::new(); count];
        for lr in &ranges {
            // Upstream `defaultContainerResourceRequirements`: the Container item's defaults (a
            // later Container item of the same LimitRange would override an earlier one).
            let (mut limits, mut requests) = (ResourceMap::new(), ResourceMap::new());
            for item in lr.items.iter().filter(|i| i.limit_type == LimitType::Container) {
                requests.extend(item.default_request.iter().map(|(k, v)| (k.clone(), *v)));
                limits.extend(item.default.iter().map(|(k, v)| (k.clone(), *v)));
            }
            for (c, set) in
                pod.containers.iter_mut().chain(pod.init_containers.iter_mut()).zip(&mut defaulted)
            {
                let names = merge_container_defaults(c, &limits, &requests);
                changed |= !names.is_empty();
                set.extend(names);
            }
        }
        if changed {
            pod.refresh_requests();
        }

        let mut invalid = Vec::new();
        let fields = (0..pod.containers.len())
            .map(|i| format!("spec.containers[{i}]"))
            .chain((0..pod.init_containers.len()).map(|i| format!("spec.initContainers[{i}]")));
        for ((c, field), names) in
            pod.containers.iter().chain(&pod.init_containers).zip(fields).zip(&defaulted)
        {
            defaulted_resource_errors(c, &field, names, &mut invalid);
        }
        if !invalid.is_empty() {
            return Err(Rejection {
                reason: "Invalid".into(),
                message: format!("Pod {:?} is invalid: {}", pod.name, aggregate_messages(&invalid)),
            });
        }

        for lr in &ranges {
            let violations = limit_range_violations(lr, pod);
            if !violations.is_empty() {
                return Err(Rejection::forbidden(pod, &aggregate_messages(&violations)));
            }
        }
        Ok(())
    }

    /// Step 5 of [`Admission::admit`] (upstream `CheckRequest` for a pod create): the charge to
    /// record, or the rejection. Nothing is changed here.
    fn check_quotas(&self, pod: &Pod) -> Result<Charge, Rejection> {
        let mut matching = Vec::new();
        for i in self.quota_indexes(&pod.namespace) {
            let quota = &self.quotas[i];
            if !quota.matches(pod) {
                continue;
            }
            if let Some(detail) = missing_compute_resources(quota, pod) {
                return Err(Rejection::forbidden(pod, &format!("failed quota: {}: {detail}", quota.name)));
            }
            matching.push(i);
        }
        let usage = nonzero(pod_quota_usage(pod));
        let mut charge = Vec::new();
        for i in matching {
            let (quota, used) = (&self.quotas[i], &self.used[i]);
            let requested = mask(&usage, &quota.hard);
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
                return Err(Rejection::forbidden(pod, &detail));
            }
            if !requested.is_empty() {
                charge.push((i, requested));
            }
        }
        Ok(charge)
    }
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
fn missing_compute_resources(quota: &ResourceQuota, pod: &Pod) -> Option<String> {
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

// ---------------------------------------------------------------------------------------------
// DefaultTolerationSeconds

/// The DefaultTolerationSeconds admission plugin: adds `{node.kubernetes.io/not-ready, Exists,
/// NoExecute, not_ready_seconds}` and `{node.kubernetes.io/unreachable, Exists, NoExecute,
/// unreachable_seconds}` (kube-apiserver defaults: 300 s each,
/// [`DEFAULT_NOT_READY_TOLERATION_SECONDS`]) at the end of the pod's tolerations.
///
/// A toleration is left out when the pod already has one for that taint as upstream judges it:
/// a toleration whose key is the taint key or empty and whose effect is `NoExecute` or empty.
/// Operator and value are not looked at (an `Equal` toleration of that key counts too), and an
/// existing toleration is never changed.
pub fn add_default_tolerations(pod: &mut Pod, not_ready_seconds: i64, unreachable_seconds: i64) {
    let covered = |key: &str| {
        pod.tolerations.iter().any(|t| {
            (t.key == key || t.key.is_empty()) && t.effect.is_none_or(|e| e == TaintEffect::NoExecute)
        })
    };
    let missing: Vec<(&str, i64)> =
        [(TAINT_NOT_READY, not_ready_seconds), (TAINT_UNREACHABLE, unreachable_seconds)]
            .into_iter()
            .filter(|(key, _)| !covered(key))
            .collect();
    for (key, seconds) in missing {
        pod.tolerations.push(Toleration {
            key: key.to_string(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(seconds),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::api::objects::KubeObject;
    use crate::api::{convert, policy, yaml};
    use crate::model::Resources;
    use crate::model::pod::simple_pod;

    const MI: i64 = 1 << 20;
    const GI: i64 = 1 << 30;

    /// The objects of a YAML text, each with its value and line.
    fn objects(text: &str) -> Vec<(KubeObject, usize)> {
        yaml::objects_from_str(text, Path::new("test.yaml"))
            .expect("test YAML parses")
            .into_iter()
            .map(|o| (o.value, o.line))
            .collect()
    }

    /// A pod converted with API defaulting, as the simulator gets it; every named PriorityClass
    /// exists (value 1000).
    fn pod(text: &str) -> Pod {
        let (obj, line) = objects(text).remove(0);
        let KubeObject::Pod(p) = obj else { panic!("not a Pod") };
        let classes = |name: &str| (!name.is_empty()).then_some(1000);
        convert::pod_to_model(&p, Path::new("test.yaml"), line, classes).expect("pod converts")
    }

    fn untyped(text: &str) -> Vec<(serde_json::Value, usize)> {
        objects(text)
            .into_iter()
            .map(|(o, line)| match o {
                KubeObject::Other { value, .. } => (value, line),
                other => panic!("unexpected {}", other.kind()),
            })
            .collect()
    }

    fn limit_range(text: &str) -> LimitRange {
        let (v, line) = untyped(text).remove(0);
        policy::limit_range_from_value(&v, Path::new("test.yaml"), line).expect("LimitRange parses")
    }

    fn quotas(text: &str) -> Vec<ResourceQuota> {
        untyped(text)
            .into_iter()
            .map(|(v, line)| {
                policy::resource_quota_from_value(&v, Path::new("test.yaml"), line).expect("quota parses")
            })
            .collect()
    }

    /// A pod with one container `c` per `(requests, limits)` entry, written as YAML flow maps.
    fn pod_with(name: &str, containers: &[(&str, &str)]) -> Pod {
        let mut text =
            format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n");
        for (i, (req, lim)) in containers.iter().enumerate() {
            text += &format!(
                "  - name: c{i}\n    image: nginx\n    resources: {{requests: {req}, limits: {lim}}}\n"
            );
        }
        pod(&text)
    }

    fn amounts(pairs: &[(&str, i64)]) -> ResourceMap {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    // Kubernetes website examples (content/en/examples/admin/resource/ and policy/).
    const MEMORY_DEFAULTS: &str = r#"---
{
  apiVersion: "v1",
  kind: "LimitRange",
  metadata: {
    name: "mem-limit-range",
  },
  spec: {
    limits: [{
      default: {
        memory: "512Mi",
      },
      defaultRequest: {
        memory: "256Mi",
      },
      type: "Container",
    }],
  },
}
"#;
    const CPU_DEFAULTS: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-limit-range}, spec: {limits: [{default: {cpu: 1}, defaultRequest: {cpu: 0.5}, type: Container}]}}";
    const CPU_CONSTRAINTS: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-min-max-demo-lr}, spec: {limits: [{max: {cpu: 800m}, min: {cpu: 200m}, type: Container}]}}";
    const LIMIT_MEM_CPU_CONTAINER: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: limit-mem-cpu-per-container}, spec: {limits: [{max: {cpu: 800m, memory: 1Gi}, min: {cpu: 100m, memory: 99Mi}, default: {cpu: 700m, memory: 900Mi}, defaultRequest: {cpu: 110m, memory: 111Mi}, type: Container}]}}";
    const LIMIT_MEM_CPU_POD: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: limit-mem-cpu-per-pod}, spec: {limits: [{max: {cpu: '2', memory: 2Gi}, type: Pod}]}}";
    const LIMIT_MEMORY_RATIO_POD: &str = "{apiVersion: v1, kind: LimitRange, metadata: {name: limit-memory-ratio-pod}, spec: {limits: [{maxLimitRequestRatio: {memory: 2}, type: Pod}]}}";
    const QUOTA_MEM_CPU: &str = "{apiVersion: v1, kind: ResourceQuota, metadata: {name: mem-cpu-demo}, spec: {hard: {requests.cpu: '1', requests.memory: 1Gi, limits.cpu: '2', limits.memory: 2Gi}}}";
    const QUOTA_POD: &str =
        "{apiVersion: v1, kind: ResourceQuota, metadata: {name: pod-demo}, spec: {hard: {pods: '2'}}}";
    const QUOTA_PRIORITY: &str = r#"apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods-high
spec:
  hard:
    cpu: "1000"
    memory: "200Gi"
    pods: "10"
  scopeSelector:
    matchExpressions:
    - operator: In
      scopeName: PriorityClass
      values: ["high"]
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods-medium
spec:
  hard:
    cpu: "10"
    memory: "20Gi"
    pods: "10"
  scopeSelector:
    matchExpressions:
    - operator: In
      scopeName: PriorityClass
      values: ["medium"]
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods-low
spec:
  hard:
    cpu: "5"
    memory: "10Gi"
    pods: "10"
  scopeSelector:
    matchExpressions:
    - operator: In
      scopeName: PriorityClass
      values: ["low"]
"#;
    const LIMIT_RANGE_POD_1: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: busybox1
spec:
  containers:
  - name: busybox-cnt01
    image: busybox
    resources:
      requests:
        memory: "100Mi"
        cpu: "100m"
      limits:
        memory: "200Mi"
        cpu: "500m"
  - name: busybox-cnt02
    image: busybox
    resources:
      requests:
        memory: "100Mi"
        cpu: "100m"
  - name: busybox-cnt03
    image: busybox
    resources:
      limits:
        memory: "200Mi"
        cpu: "500m"
  - name: busybox-cnt04
    image: busybox
"#;

    fn container_values(p: &Pod, i: usize) -> (i64, i64, i64, i64) {
        let c = &p.containers[i];
        (c.requests.milli_cpu, c.requests.memory, c.limits.milli_cpu, c.limits.memory)
    }

    #[test]
    fn memory_defaults_fill_missing_request_and_limit() {
        let mut adm = Admission::new(vec![limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("default-mem-demo", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!(p.containers[0].limits.memory, 512 * MI);
        assert_eq!(p.containers[0].requests.memory, 256 * MI);
        assert!(p.containers[0].has_memory_request);
        assert!(!p.containers[0].has_cpu_request);
        // Effective requests were recomputed.
        assert_eq!(p.requests.memory, 268_435_456);
        assert_eq!(p.non_zero_requests.memory, 268_435_456);
    }

    #[test]
    fn limit_without_request_keeps_request_equal_to_its_limit() {
        // Docs "Configure Default Memory Requests and Limits": limit 1Gi, no request → request 1Gi,
        // not the LimitRange's defaultRequest of 256Mi.
        let mut adm = Admission::new(vec![limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("default-mem-demo-2", &[("{}", "{memory: 1Gi}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.memory, p.containers[0].limits.memory), (GI, GI));

        // The same holds for a pod built in code whose request was never defaulted.
        let mut p = simple_pod("built", Resources::default());
        p.containers[0].limits.memory = GI;
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.memory, p.requests.memory), (GI, GI));
    }

    #[test]
    fn request_without_limit_gets_the_default_limit() {
        let mut adm = Admission::new(vec![limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("default-mem-demo-3", &[("{memory: 128Mi}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.memory, p.containers[0].limits.memory), (128 * MI, 512 * MI));
    }

    #[test]
    fn cpu_defaults_written_as_bare_numbers() {
        let mut adm = Admission::new(vec![limit_range(CPU_DEFAULTS)], vec![]);
        let mut p = pod_with("default-cpu-demo", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!(container_values(&p, 0), (500, 0, 1000, 0));
        assert_eq!(p.requests.milli_cpu, 500);
        assert!(p.containers[0].has_cpu_request);
    }

    #[test]
    fn limit_range_pod_1_gets_the_documented_defaults() {
        let mut adm = Admission::new(vec![limit_range(LIMIT_MEM_CPU_CONTAINER)], vec![]);
        let mut p = pod(LIMIT_RANGE_POD_1);
        adm.admit(&mut p).unwrap();
        assert_eq!(container_values(&p, 0), (100, 100 * MI, 500, 200 * MI));
        assert_eq!(container_values(&p, 1), (100, 100 * MI, 700, 900 * MI));
        assert_eq!(container_values(&p, 2), (500, 200 * MI, 500, 200 * MI));
        assert_eq!(container_values(&p, 3), (110, 111 * MI, 700, 900 * MI));
        assert_eq!(p.requests.milli_cpu, 100 + 100 + 500 + 110);
        assert_eq!(p.requests.memory, (100 + 100 + 200 + 111) * MI);
    }

    #[test]
    fn cpu_constraints_derive_defaults_from_max() {
        let mut adm = Admission::new(vec![limit_range(CPU_CONSTRAINTS)], vec![]);
        let mut p = pod_with("constraints-cpu-demo-4", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        assert_eq!((p.containers[0].requests.milli_cpu, p.containers[0].limits.milli_cpu), (800, 800));
    }

    #[test]
    fn container_above_max_is_forbidden_with_upstream_message() {
        let mut adm = Admission::new(vec![limit_range(CPU_CONSTRAINTS)], vec![]);
        let mut p = pod_with("constraints-cpu-demo-2", &[("{cpu: 500m}", "{cpu: '1.5'}")]);
        let err = adm.admit(&mut p).unwrap_err();
        assert_eq!(err.reason, "Forbidden");
        assert_eq!(
            err.message,
            "pods \"constraints-cpu-demo-2\" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m"
        );
        let mut p = pod_with("constraints-cpu-demo-3", &[("{cpu: 100m}", "{cpu: 800m}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"constraints-cpu-demo-3\" is forbidden: minimum cpu usage per Container is 200m, but request is 100m"
        );
    }

    #[test]
    fn several_violations_are_listed_in_brackets() {
        let mut adm = Admission::new(vec![limit_range(LIMIT_MEM_CPU_CONTAINER)], vec![]);
        let mut p = pod_with("big-small", &[("{cpu: 50m, memory: 50Mi}", "{cpu: '2', memory: 2Gi}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"big-small\" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, \
             minimum memory usage per Container is 99Mi, but request is 50Mi, \
             maximum cpu usage per Container is 800m, but limit is 2, \
             maximum memory usage per Container is 1Gi, but limit is 2Gi]"
        );
        // Two containers breaking the same rule the same way give one message (no brackets).
        let mut p = pod_with("twins", &[("{cpu: 50m}", "{cpu: 500m}"), ("{cpu: 50m}", "{cpu: 500m}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"twins\" is forbidden: minimum cpu usage per Container is 100m, but request is 50m"
        );
    }

    #[test]
    fn pod_type_limits_apply_to_container_sums() {
        let mut adm = Admission::new(vec![limit_range(LIMIT_MEM_CPU_POD)], vec![]);
        // Each container is within 2 cpu / 2Gi, their sum is not.
        let mut p = pod_with(
            "two-big",
            &[
                ("{cpu: 1, memory: 1Gi}", "{cpu: 1500m, memory: 1Gi}"),
                ("{cpu: 1, memory: 1Gi}", "{cpu: 1500m, memory: 1Gi}"),
            ],
        );
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"two-big\" is forbidden: maximum cpu usage per Pod is 2, but limit is 3"
        );
        let mut p = pod_with("fits", &[("{cpu: 1, memory: 1Gi}", "{cpu: 1, memory: 1Gi}"); 2]);
        assert!(adm.admit(&mut p).is_ok());
        // No container sets a limit: the pod has none either.
        let mut p = pod_with("no-limits", &[("{cpu: 100m}", "{}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"no-limits\" is forbidden: [maximum cpu usage per Pod is 2.  No limit is specified, \
             maximum memory usage per Pod is 2Gi.  No limit is specified]"
        );
    }

    #[test]
    fn pod_type_sums_follow_the_sidecar_formula() {
        // Two containers of 800m, a plain init container of 1500m: aggregate max(1600m, 1500m).
        let lr = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: pod-min}, spec: {limits: [{min: {cpu: 1700m}, type: Pod}]}}",
        );
        let mut adm = Admission::new(vec![lr], vec![]);
        let mut p = pod_with("init", &[("{cpu: 800m}", "{}"), ("{cpu: 800m}", "{}")]);
        let mut init = p.containers[0].clone();
        init.requests.milli_cpu = 1500;
        p.init_containers.push(init.clone());
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"init\" is forbidden: minimum cpu usage per Pod is 1700m, but request is 1600m"
        );
        // As a sidecar it runs alongside: 800m + 800m + 1500m.
        init.restart_always = true;
        p.init_containers = vec![init];
        assert!(adm.admit(&mut p).is_ok());
    }

    #[test]
    fn memory_ratio_per_pod() {
        let mut adm = Admission::new(vec![limit_range(LIMIT_MEMORY_RATIO_POD)], vec![]);
        let mut p = pod_with("ratio-3", &[("{memory: 100Mi}", "{memory: 300Mi}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"ratio-3\" is forbidden: memory max limit to request ratio per Pod is 2, but provided ratio is 3.000000"
        );
        // Exactly 2 is allowed.
        let mut p = pod_with("ratio-2", &[("{memory: 100Mi}", "{memory: 200Mi}")]);
        assert!(adm.admit(&mut p).is_ok());
        // No memory at all: no request to divide by.
        let mut p = pod_with("none", &[("{cpu: 1}", "{}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"none\" is forbidden: memory max limit to request ratio per Pod is 2, but no request is \
             specified or request is 0"
        );
    }

    #[test]
    fn container_ratio_in_thousandths() {
        let lr = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: r}, spec: {limits: [{maxLimitRequestRatio: {cpu: '1.5'}, type: Container}]}}",
        );
        assert_eq!(lr.items[0].max_limit_request_ratio, amounts(&[("cpu", 1500)]));
        let mut adm = Admission::new(vec![lr], vec![]);
        let mut p = pod_with("burst", &[("{cpu: 300m}", "{cpu: 500m}")]);
        assert_eq!(
            adm.admit(&mut p).unwrap_err().message,
            "pods \"burst\" is forbidden: cpu max limit to request ratio per Container is 1500m, but provided ratio \
             is 1.666667"
        );
        let mut p = pod_with("ok", &[("{cpu: 400m}", "{cpu: 600m}")]);
        assert!(adm.admit(&mut p).is_ok());
    }

    #[test]
    fn defaulted_limit_below_request_makes_the_pod_invalid() {
        // Docs "Limit Ranges": problematic-limit-range.yaml with example-conflict-with-limitrange-cpu.
        let lr = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-resource-constraint}, spec: {limits: [{default: {cpu: 500m}, defaultRequest: {cpu: 500m}, max: {cpu: '1'}, min: {cpu: 100m}, type: Container}]}}",
        );
        let mut adm = Admission::new(vec![lr], vec![]);
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

    #[test]
    fn limit_ranges_apply_only_in_their_namespace_and_the_first_default_wins() {
        let mut other = limit_range(MEMORY_DEFAULTS);
        other.namespace = "other".into();
        let first = limit_range(
            "{apiVersion: v1, kind: LimitRange, metadata: {name: first}, spec: {limits: [{default: {memory: 1Gi}, type: Container}]}}",
        );
        let mut adm = Admission::new(vec![other, first, limit_range(MEMORY_DEFAULTS)], vec![]);
        let mut p = pod_with("p", &[("{}", "{}")]);
        adm.admit(&mut p).unwrap();
        // `first` set the limit (and, through its own defaulting, the request); the later range
        // finds both set.
        assert_eq!((p.containers[0].requests.memory, p.containers[0].limits.memory), (GI, GI));
    }

    #[test]
    fn quota_exceeded_message_matches_the_docs() {
        // Docs "Configure Memory and CPU Quotas for a Namespace".
        let mut adm = Admission::new(vec![], quotas(QUOTA_MEM_CPU));
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
        let mut adm = Admission::new(vec![], q);
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
        let mut adm = Admission::new(vec![], quotas(QUOTA_MEM_CPU));
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
        let mut adm = Admission::new(vec![], q);
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
    fn limit_range_defaults_satisfy_quota_constraints() {
        let mut adm = Admission::new(vec![limit_range(LIMIT_MEM_CPU_CONTAINER)], quotas(QUOTA_MEM_CPU));
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
    fn pods_quota_release_gives_back_exactly_what_was_charged() {
        let mut adm = Admission::new(vec![], quotas(QUOTA_POD));
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
        let mut adm = Admission::new(vec![], q);
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
        let mut adm = Admission::new(vec![], q);
        let mut p = pod_with("init-heavy", &[("{cpu: 500m}", "{cpu: 1}")]);
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
        let mut adm = Admission::new(vec![], q);
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
        let mut adm = Admission::new(vec![limit_range(CPU_DEFAULTS)], adm.quotas().to_vec());
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
        let mut adm = Admission::new(vec![], q);
        let mut p = pod_with("p", &[("{}", "{}")]);
        assert!(adm.admit(&mut p).is_ok());
        assert!(!adm.is_charged("default/p"));
    }

    #[test]
    fn priority_class_scope_selector_charges_the_matching_quota() {
        let mut adm = Admission::new(vec![], quotas(QUOTA_PRIORITY));
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

    #[test]
    fn extended_resources_use_the_requests_key() {
        let q = quotas(
            "{apiVersion: v1, kind: ResourceQuota, metadata: {name: gpu-quota}, spec: {hard: {requests.nvidia.com/gpu: '1', limits.nvidia.com/gpu: '0'}}}",
        );
        let mut adm = Admission::new(vec![], q);
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
        let mut adm = Admission::new(vec![], q);
        let mut p = pod_with("p", &[("{}", "{}")]);
        assert!(adm.admit(&mut p).is_ok());
        assert!(!adm.is_charged("default/p"));
    }

    #[test]
    fn a_charged_key_cannot_be_admitted_twice() {
        let mut adm = Admission::new(vec![], quotas(QUOTA_POD));
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

    #[test]
    fn default_tolerations_are_added_with_their_seconds() {
        let mut p = simple_pod("p", Resources::default());
        add_default_tolerations(
            &mut p,
            DEFAULT_NOT_READY_TOLERATION_SECONDS,
            DEFAULT_UNREACHABLE_TOLERATION_SECONDS,
        );
        let expected = |key: &str| Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(300),
        };
        assert_eq!(p.tolerations, vec![expected(TAINT_NOT_READY), expected(TAINT_UNREACHABLE)]);
        // Running it again adds nothing.
        add_default_tolerations(&mut p, 300, 300);
        assert_eq!(p.tolerations.len(), 2);
    }

    #[test]
    fn default_tolerations_respect_existing_ones() {
        let tol = |key: &str, operator, effect| Toleration {
            key: key.into(),
            operator,
            value: String::new(),
            effect,
            toleration_seconds: Some(60),
        };
        // An existing not-ready NoExecute toleration is kept as is (60 s), only unreachable is added.
        let mut p = simple_pod("p", Resources::default());
        p.tolerations = vec![tol(TAINT_NOT_READY, TolerationOperator::Exists, Some(TaintEffect::NoExecute))];
        add_default_tolerations(&mut p, 300, 200);
        assert_eq!(p.tolerations.len(), 2);
        assert_eq!(p.tolerations[0].toleration_seconds, Some(60));
        assert_eq!(
            (p.tolerations[1].key.as_str(), p.tolerations[1].toleration_seconds),
            (TAINT_UNREACHABLE, Some(200))
        );
        // A toleration of every taint (empty key, any effect) covers both.
        let mut p = simple_pod("p", Resources::default());
        p.tolerations = vec![tol("", TolerationOperator::Exists, None)];
        add_default_tolerations(&mut p, 300, 300);
        assert_eq!(p.tolerations.len(), 1);
        // A NoSchedule toleration of the key does not count; an Equal one of any value does.
        let mut p = simple_pod("p", Resources::default());
        p.tolerations = vec![
            tol(TAINT_NOT_READY, TolerationOperator::Exists, Some(TaintEffect::NoSchedule)),
            tol(TAINT_UNREACHABLE, TolerationOperator::Equal, Some(TaintEffect::NoExecute)),
        ];
        add_default_tolerations(&mut p, 300, 300);
        assert_eq!(p.tolerations.len(), 3);
        assert_eq!(
            (p.tolerations[2].key.as_str(), p.tolerations[2].effect, p.tolerations[2].toleration_seconds),
            (TAINT_NOT_READY, Some(TaintEffect::NoExecute), Some(300))
        );
    }

    #[test]
    fn quantities_print_in_canonical_form() {
        let cases = [
            ("cpu", 500, "500m"),
            ("cpu", 1000, "1"),
            ("requests.cpu", 1500, "1500m"),
            ("limits.cpu", 2000, "2"),
            ("memory", 2 * GI, "2Gi"),
            ("limits.memory", 1536 * MI, "1536Mi"),
            ("memory", 0, "0"),
            ("memory", 500_000_000, "500M"),
            ("memory", 1000, "1k"),
            ("requests.ephemeral-storage", 10 * GI, "10Gi"),
            ("pods", 10, "10"),
            ("count/pods", 1000, "1k"),
            ("requests.nvidia.com/gpu", 2, "2"),
            ("hugepages-2Mi", 4 * MI, "4Mi"),
        ];
        for (name, v, want) in cases {
            assert_eq!(format_quantity(name, v), want, "{name}={v}");
        }
        assert_eq!((format_ratio(2000), format_ratio(1500)), ("2".to_string(), "1500m".to_string()));
    }
}
