//! The policy objects of a namespace that the API server's admission chain reads: `LimitRange`
//! and `ResourceQuota` (core/v1, `pkg/apis/core/types.go`), as stored after API defaulting and
//! validation. What these objects *do* to a pod lives in
//! [`crate::controllers::admission`] (the LimitRanger and ResourceQuota plugins); reading them from
//! manifests lives in [`crate::api::policy`].
//!
//! # Units
//! Resource amounts are integers in capsim units ([`ResourceMap`]): cpu in millicores
//! (`MilliValue()`), memory, ephemeral-storage, storage and `hugepages-*` in bytes, everything
//! else (pods, object counts, extended resources) in whole units (`Value()`). Quota keys with a
//! `requests.` / `limits.` prefix take the unit of the resource after the prefix
//! ([`base_resource`]). Ratios (`maxLimitRequestRatio`) are kept in thousandths, as upstream
//! compares them.

use std::collections::BTreeMap;

/// Amounts by resource name, in capsim units (see the module docs: cpu in millicores, byte
/// resources in bytes, the rest in whole units). Sorted, so iteration never depends on hashing.
pub type ResourceMap = BTreeMap<String, i64>;

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
    /// When the object is created (its manifest's `at`): LimitRanger applies it to pods created
    /// from then on.
    pub created: crate::time::SimTime,
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
    /// When the object is created (its manifest's `at`): the quota refuses pods created from then
    /// on; its `used` counts every pod alive, as the quota controller's recalculation does.
    pub created: crate::time::SimTime,
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
}

/// The resource a quota key measures: `requests.cpu` → `cpu`, `limits.memory` → `memory`,
/// `requests.nvidia.com/gpu` → `nvidia.com/gpu`; other names are returned unchanged.
pub fn base_resource(name: &str) -> &str {
    name.strip_prefix("requests.").or_else(|| name.strip_prefix("limits.")).unwrap_or(name)
}

// ---------------------------------------------------------------------------------------------
// RuntimeClass

/// A `RuntimeClass` (`node.k8s.io/v1`) as stored, read by
/// [`crate::api::convert::runtime_class_from_value`]; RuntimeClass admission applies it to pods
/// that name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeClass {
    /// `metadata.name` (cluster-scoped).
    pub name: String,
    /// `overhead.podFixed`, when `overhead` is set.
    pub overhead: Option<crate::model::Resources>,
    /// `scheduling.nodeSelector`.
    pub node_selector: crate::model::Labels,
    /// `scheduling.tolerations`.
    pub tolerations: Vec<crate::model::Toleration>,
    /// When the object is created (its manifest's `at`).
    pub created: crate::time::SimTime,
}
