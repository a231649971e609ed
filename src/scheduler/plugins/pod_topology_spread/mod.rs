//! PodTopologySpread: hard `topologySpreadConstraints` (DoNotSchedule) as PreFilter + Filter, soft
//! ones (ScheduleAnyway) or the profile's default constraints as PreScore + Score +
//! NormalizeScore.
//!
//! Mirrors `pkg/scheduler/framework/plugins/podtopologyspread/{common,filtering,scoring,plugin}.go`
//! and `plugins/helper/spread.go` (`DefaultSelector`) of Kubernetes v1.35, with the gates
//! NodeInclusionPolicyInPodTopologySpread and MatchLabelKeysInPodTopologySpread on (their v1.35
//! defaults; the API server has already merged `matchLabelKeys` into each pod constraint's
//! selector, see [`crate::model::TopologySpreadConstraint`]), and the args validation of
//! `apis/config/validation/validation_pluginargs.go`.
//!
//! Per-pod work (constraints, the default selector, every domain count, the global minima, the
//! self-match of the incoming pod, the topology weights) is done once in PreFilter / PreScore and
//! kept in the [`CycleState`]; Filter and Score only look up the node's domain ids. The counts
//! of matching pods come from the cluster's pod index ([`Cluster::pod_counts`], kept as pods
//! bind and leave) rather than from a walk over every pod: per domain of the constraint's key
//! when every node that carries the key counts for the pod (no node-inclusion policy excludes a
//! node, and no node lacks another constraint's key), per node otherwise (one pass over the
//! nodes). The hostname constraint's count in Score is the node's own matching pods, as
//! upstream's.
//!
//! Must not touch: the cluster (read only), other plugins' state.
//!
//! This file holds the args, the default constraints and selector, and the helpers both halves
//! share (`common.go`); `filtering.rs` the hard constraints (`filtering.go`), `scoring.rs` the
//! soft ones (`scoring.go`), `tests.rs` the unit tests.

mod filtering;
#[cfg(test)]
pub(crate) mod reference;
mod scoring;
#[cfg(test)]
mod tests;

use serde::Deserialize;

use crate::model::labels::{find_untolerated_taint, is_qualified_name};
use crate::model::{
    Cluster, LabelSelector, LabelSelectorOperator, LabelSelectorRequirement, NodeHot, NodeId,
    NodeInclusionPolicy, NodeInfo, Pod, PodId, PodQuery, SelectorKind, TaintEffect, TopologyView,
    WhenUnsatisfiable,
};
use crate::names::{LABEL_HOSTNAME, LABEL_ZONE};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, MAX_NODE_SCORE, PASS, Plugin, PreFilterOutcome, PreFilterPlugin,
    PreScorePlugin, ScorePlugin, Status, intern_status,
};
use crate::scheduler::plugins::node_affinity::required_matches;

pub use scoring::{normalize_spread_scores, score_for_count, topology_normalizing_weight};

/// Upstream name.
pub const NAME: &str = "PodTopologySpread";
/// Filter reason when placing the pod on the node would exceed a constraint's `maxSkew`
/// (upstream `ErrReasonConstraintsNotMatch`, code Unschedulable).
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints";
/// Filter reason when the node lacks a hard constraint's topology key (upstream
/// `ErrReasonNodeLabelNotMatch`, code UnschedulableAndUnresolvable).
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// CycleState key of the PreFilter result (upstream `preFilterStateKey`).
const PRE_FILTER_STATE_KEY: &str = "PreFilterPodTopologySpread";
/// CycleState key of the PreScore result (upstream `preScoreStateKey`).
const PRE_SCORE_STATE_KEY: &str = "PreScorePodTopologySpread";

/// `PodTopologySpreadArgs.defaultingType` (upstream `PodTopologySpreadConstraintsDefaulting`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultingType {
    /// `System` (the v1 default): the built-in constraints of [`system_default_constraints`];
    /// `defaultConstraints` must be empty.
    System,
    /// `List`: the profile's `defaultConstraints` (possibly none).
    List,
}

/// One default constraint: a `v1.TopologySpreadConstraint` without `labelSelector`, which is
/// deduced per pod by [`default_selector`] (upstream `PodTopologySpreadArgs.DefaultConstraints`
/// entries and `systemDefaultConstraints`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultConstraint {
    /// `maxSkew` (> 0 after validation).
    pub max_skew: i32,
    /// `topologyKey`.
    pub topology_key: String,
    /// `whenUnsatisfiable`.
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// `minDomains`; `None` = 1 (only DoNotSchedule constraints use it).
    pub min_domains: Option<i32>,
    /// `nodeAffinityPolicy` (Honor when unset).
    pub node_affinity_policy: NodeInclusionPolicy,
    /// `nodeTaintsPolicy` (Ignore when unset).
    pub node_taints_policy: NodeInclusionPolicy,
}

/// Upstream `systemDefaultConstraints`: hostname `maxSkew 3` and zone `maxSkew 5`, both
/// ScheduleAnyway (so they only score).
pub fn system_default_constraints() -> Vec<DefaultConstraint> {
    let soft = |key: &str, max_skew| DefaultConstraint {
        max_skew,
        topology_key: key.to_string(),
        when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
        min_domains: None,
        node_affinity_policy: NodeInclusionPolicy::Honor,
        node_taints_policy: NodeInclusionPolicy::Ignore,
    };
    vec![soft(LABEL_HOSTNAME, 3), soft(LABEL_ZONE, 5)]
}

/// `PodTopologySpreadArgs` in kubescheduler.config.k8s.io/v1 shape.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    default_constraints: Option<Vec<ArgConstraint>>,
    #[serde(default)]
    defaulting_type: Option<String>,
}

/// One `defaultConstraints` entry as written (a `v1.TopologySpreadConstraint`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ArgConstraint {
    #[serde(default)]
    max_skew: i32,
    #[serde(default)]
    topology_key: String,
    #[serde(default)]
    when_unsatisfiable: String,
    #[serde(default)]
    label_selector: Option<serde_json::Value>,
    #[serde(default)]
    min_domains: Option<i32>,
    #[serde(default)]
    node_affinity_policy: Option<String>,
    #[serde(default)]
    node_taints_policy: Option<String>,
    /// Accepted and unused: upstream replaces a default constraint's selector (with any
    /// `matchLabelKeys` merged in) by the one `DefaultSelector` deduces.
    #[serde(default)]
    #[allow(dead_code)]
    match_label_keys: Option<Vec<String>>,
}

/// The plugin with its default constraints (upstream `PodTopologySpread` struct).
#[derive(Debug)]
pub struct PodTopologySpread {
    /// Constraints for pods that declare none (system or `List` defaults).
    default_constraints: Vec<DefaultConstraint>,
    /// `defaultingType: System` (upstream `systemDefaulted`): nodes lacking a default
    /// constraint's key are still scored on the constraints whose key they carry.
    system_defaulted: bool,
}

impl Default for PodTopologySpread {
    /// The plugin as v1 defaulting configures it: `defaultingType: System`.
    fn default() -> Self {
        Self { default_constraints: system_default_constraints(), system_defaulted: true }
    }
}

impl PodTopologySpread {
    /// Builds the plugin from `PodTopologySpreadArgs` (`Value::Null` for defaults), after v1
    /// defaulting (`defaultingType` "" → System) and upstream's `ValidatePodTopologySpreadArgs`.
    ///
    /// # Errors
    /// Unknown fields, a malformed value, or a validation failure: `defaultingType` not
    /// System/List, System with non-empty `defaultConstraints`, and per constraint `maxSkew <= 0`,
    /// an empty or invalid `topologyKey`, an empty or unknown `whenUnsatisfiable`, a set
    /// `labelSelector`, or a repeated (`topologyKey`, `whenUnsatisfiable`) pair. Errors are
    /// aggregated as upstream's field errors are.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        if args.is_null() {
            return Ok(Self::default());
        }
        let a: Args = serde_json::from_value(args.clone())
            .map_err(|e| format!("invalid PodTopologySpreadArgs: {e}"))?;
        let raw = a.default_constraints.unwrap_or_default();
        let defaulting = a.defaulting_type.filter(|s| !s.is_empty()).unwrap_or_else(|| "System".to_string());
        let errors = validate_args(&defaulting, &raw);
        if !errors.is_empty() {
            return Err(aggregate(&errors));
        }
        if defaulting == "System" {
            return Ok(Self::default());
        }
        let policy = |p: &Option<String>, default| match p.as_deref() {
            None => default,
            // Upstream compares with "Honor" only; any other value behaves as Ignore.
            Some("Honor") => NodeInclusionPolicy::Honor,
            Some(_) => NodeInclusionPolicy::Ignore,
        };
        let default_constraints = raw
            .iter()
            .map(|c| DefaultConstraint {
                max_skew: c.max_skew,
                topology_key: c.topology_key.clone(),
                when_unsatisfiable: if c.when_unsatisfiable == "DoNotSchedule" {
                    WhenUnsatisfiable::DoNotSchedule
                } else {
                    WhenUnsatisfiable::ScheduleAnyway
                },
                min_domains: c.min_domains,
                node_affinity_policy: policy(&c.node_affinity_policy, NodeInclusionPolicy::Honor),
                node_taints_policy: policy(&c.node_taints_policy, NodeInclusionPolicy::Ignore),
            })
            .collect();
        Ok(Self { default_constraints, system_defaulted: false })
    }

    /// The defaulting type this plugin was built with (upstream `args.DefaultingType`; `System`
    /// sets upstream's `systemDefaulted`).
    pub fn defaulting_type(&self) -> DefaultingType {
        if self.system_defaulted { DefaultingType::System } else { DefaultingType::List }
    }

    /// The default constraints (upstream `pl.defaultConstraints`: `systemDefaultConstraints` or the
    /// `List`), applied to pods that declare none.
    pub fn default_constraints(&self) -> &[DefaultConstraint] {
        &self.default_constraints
    }

    /// The pod's constraints of kind `action` (upstream `getConstraints` /
    /// `filterTopologySpreadConstraints`), or, when the pod declares no constraint at all, the
    /// default constraints of that kind with the selector from [`default_selector`]
    /// (`buildDefaultConstraints`: none when that selector is empty).
    fn constraints_for(&self, pod: &Pod, cluster: &Cluster, action: WhenUnsatisfiable) -> Vec<Constraint> {
        if !pod.topology_spread_constraints.is_empty() {
            return pod
                .topology_spread_constraints
                .iter()
                .filter(|c| c.when_unsatisfiable == action)
                .map(|c| Constraint {
                    max_skew: i64::from(c.max_skew),
                    is_hostname: c.topology_key == LABEL_HOSTNAME,
                    topology_key: c.topology_key.clone(),
                    query: c.selector.as_ref().map(|s| PodQuery::spread(&pod.namespace, s)),
                    selector: c.selector.clone(),
                    min_domains: i64::from(c.min_domains.unwrap_or(1)),
                    honor_node_affinity: c.node_affinity_policy == NodeInclusionPolicy::Honor,
                    honor_node_taints: c.node_taints_policy == NodeInclusionPolicy::Honor,
                })
                .collect();
        }
        if !self.default_constraints.iter().any(|c| c.when_unsatisfiable == action) {
            return Vec::new();
        }
        let selector = default_selector(pod, cluster);
        if selector.is_empty() {
            return Vec::new();
        }
        let query = PodQuery::spread(&pod.namespace, &selector);
        self.default_constraints
            .iter()
            .filter(|c| c.when_unsatisfiable == action)
            .map(|c| Constraint {
                max_skew: i64::from(c.max_skew),
                is_hostname: c.topology_key == LABEL_HOSTNAME,
                topology_key: c.topology_key.clone(),
                query: Some(query.clone()),
                selector: Some(selector.clone()),
                min_domains: i64::from(c.min_domains.unwrap_or(1)),
                honor_node_affinity: c.node_affinity_policy == NodeInclusionPolicy::Honor,
                honor_node_taints: c.node_taints_policy == NodeInclusionPolicy::Honor,
            })
            .collect()
    }
}

/// Upstream `ValidatePodTopologySpreadArgs` (with `validateDefaultingType`), as field-error
/// strings in upstream's order.
fn validate_args(defaulting: &str, constraints: &[ArgConstraint]) -> Vec<String> {
    let mut errs = Vec::new();
    if defaulting != "System" && defaulting != "List" {
        errs.push(format!(
            "defaultingType: Unsupported value: {defaulting:?}: supported values: \"System\", \"List\""
        ));
    } else if defaulting == "System" && !constraints.is_empty() {
        errs.push("defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty".into());
    }
    for (i, c) in constraints.iter().enumerate() {
        let p = format!("defaultConstraints[{i}]");
        if c.max_skew <= 0 {
            errs.push(format!("{p}.maxSkew: Invalid value: {}: not in valid range (0, inf)", c.max_skew));
        }
        if c.topology_key.is_empty() {
            errs.push(format!("{p}.topologyKey: Required value: can not be empty"));
        } else if !is_qualified_name(&c.topology_key) {
            errs.push(format!(
                "{p}.topologyKey: Invalid value: {:?}: must be a qualified name ([prefix/]name, the name \
                 1-63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)",
                c.topology_key
            ));
        }
        match c.when_unsatisfiable.as_str() {
            "" => errs.push(format!("{p}.whenUnsatisfiable: Required value: can not be empty")),
            "DoNotSchedule" | "ScheduleAnyway" => {}
            other => errs.push(format!(
                "{p}.whenUnsatisfiable: Unsupported value: {other:?}: supported values: \"DoNotSchedule\", \
                 \"ScheduleAnyway\""
            )),
        }
        if c.label_selector.is_some() {
            errs.push(format!(
                "{p}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod"
            ));
        }
        let repeated = constraints[..i]
            .iter()
            .any(|o| o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable);
        if repeated {
            errs.push(format!("{p}: Duplicate value: \"{{{}, {}}}\"", c.topology_key, c.when_unsatisfiable));
        }
    }
    errs
}

/// Upstream `utilerrors.NewAggregate(...).Error()`: one error as is, several as `[a, b]`.
fn aggregate(errors: &[String]) -> String {
    if errors.len() == 1 { errors[0].clone() } else { format!("[{}]", errors.join(", ")) }
}

/// The selector upstream's `helper.DefaultSelector` deduces for `pod`: the `spec.selector` maps of
/// every Service in the pod's namespace whose selector matches the pod's labels, merged; then the
/// selector of the pod's controller, found only through its controller `ownerReference`
/// (`metav1.GetControllerOfNoCopy`) by kind and name in the pod's namespace, whatever the pod's
/// labels: a `v1` ReplicationController's map is merged in, an `apps/v1` ReplicaSet's or
/// StatefulSet's requirements are added. A controller of another kind or API group, or one not in
/// the cluster, adds nothing. An empty result means "no default constraints".
pub fn default_selector(pod: &Pod, cluster: &Cluster) -> LabelSelector {
    let mut sel = LabelSelector::default();
    let selectors = cluster.workload_selectors();
    for w in selectors {
        if w.kind == SelectorKind::Service && w.namespace == pod.namespace && w.selector.matches(&pod.labels)
        {
            for (k, v) in &w.selector.match_labels {
                sel.match_labels.insert(k.clone(), v.clone());
            }
        }
    }
    let Some(owner) = pod.controller_ref() else { return sel };
    let kind = match (owner.group_version(), owner.kind.as_str()) {
        (Some(("", "v1")), "ReplicationController") => SelectorKind::ReplicationController,
        (Some(("apps", "v1")), "ReplicaSet") => SelectorKind::ReplicaSet,
        (Some(("apps", "v1")), "StatefulSet") => SelectorKind::StatefulSet,
        _ => return sel,
    };
    // The lister's `Get(owner.Name)`: the object of that kind and name (the last one written).
    let controller = selectors
        .iter()
        .rev()
        .find(|w| w.kind == kind && w.namespace == pod.namespace && w.name == owner.name);
    if let Some(w) = controller {
        if kind == SelectorKind::ReplicationController {
            for (k, v) in &w.selector.match_labels {
                sel.match_labels.insert(k.clone(), v.clone());
            }
        } else {
            // `LabelSelectorAsSelector(...).Requirements()`: matchLabels become `In [value]`.
            for (k, v) in &w.selector.match_labels {
                sel.match_expressions.push(LabelSelectorRequirement {
                    key: k.clone(),
                    operator: LabelSelectorOperator::In,
                    values: vec![v.clone()],
                });
            }
            sel.match_expressions.extend(w.selector.match_expressions.iter().cloned());
        }
    }
    sel
}

/// A constraint with its selector resolved (upstream `topologySpreadConstraint`).
#[derive(Clone, Debug)]
struct Constraint {
    max_skew: i64,
    topology_key: String,
    /// True when `topology_key` is the hostname label (Score counts on the node itself).
    is_hostname: bool,
    /// `None` (no `labelSelector`) matches no pod.
    selector: Option<LabelSelector>,
    /// The pods the constraint counts (upstream `countPodsMatchSelector`: the incoming pod's
    /// namespace, the selector, terminating pods left out); `None` with no selector.
    query: Option<PodQuery>,
    min_domains: i64,
    honor_node_affinity: bool,
    honor_node_taints: bool,
}

/// The domains of each constraint's topology key.
fn topologies(constraints: &[Constraint], cluster: &Cluster) -> Vec<TopologyView> {
    constraints.iter().map(|c| cluster.topology(&c.topology_key)).collect()
}

/// Whether node `id` carries every constraint's key (upstream `nodeLabelsMatchSpreadConstraints`).
#[inline]
fn has_all_keys(topos: &[TopologyView], id: NodeId) -> bool {
    topos.iter().all(|t| t.domain(id).is_some())
}

/// Whether the counts over every node that carries a constraint's key are the counts the
/// constraint takes: no node-inclusion policy can exclude a node (`nodeAffinityPolicy: Honor`
/// with a pod without nodeSelector or required node affinity admits every node;
/// `nodeTaintsPolicy: Honor` with no node tainted NoSchedule/NoExecute too), and, when nodes must
/// carry every key (`require_all`), no node carries one key without the others; without
/// `require_all` (system defaults, PreScore), no node lacks a non-hostname key (its pods would
/// count in the domain of the empty value). Then the pod index's per-domain counts serve as they
/// are; otherwise the plugin counts node by node.
fn index_counts_apply(
    pod: &Pod,
    constraints: &[Constraint],
    topos: &[TopologyView],
    cluster: &Cluster,
    require_all: bool,
) -> bool {
    let no_node_affinity = pod.node_selector.is_empty()
        && pod.node_affinity.as_ref().and_then(|a| a.required.as_ref()).is_none();
    let no_hard_taints = cluster.nodes_with(NodeHot::HARD_TAINTS) == 0;
    let admits_all = constraints
        .iter()
        .all(|c| (!c.honor_node_affinity || no_node_affinity) && (!c.honor_node_taints || no_hard_taints));
    if !admits_all {
        return false;
    }
    let live = cluster.num_live_nodes();
    if require_all {
        let one_key = constraints.iter().all(|c| c.topology_key == constraints[0].topology_key);
        one_key || topos.iter().all(|t| t.nodes_with_key == live)
    } else {
        constraints.iter().zip(topos).all(|(c, t)| c.is_hostname || t.nodes_with_key == live)
    }
}

/// Each constraint's matching pods per node (`None` for a constraint without selector, which
/// counts none), for counting node by node.
fn per_node_counts(constraints: &[Constraint], cluster: &Cluster) -> Vec<Option<std::sync::Arc<Vec<u32>>>> {
    constraints.iter().map(|c| c.query.as_ref().map(|q| cluster.pod_counts_per_node(q))).collect()
}

/// The count of node `id` in a [`per_node_counts`] entry.
#[inline]
fn node_count(per_node: &Option<std::sync::Arc<Vec<u32>>>, id: NodeId) -> i64 {
    per_node.as_ref().and_then(|v| v.get(id as usize)).map_or(0, |n| i64::from(*n))
}

/// A constraint's counts per domain from the index ([`index_counts_apply`] holds).
fn index_domain_counts(c: &Constraint, cluster: &Cluster) -> std::sync::Arc<Vec<i64>> {
    match &c.query {
        Some(q) => cluster.pod_counts(q, &c.topology_key).counts,
        None => std::sync::Arc::new(Vec::new()),
    }
}

/// Upstream `matchNodeInclusionPolicies` for one node, with the node-affinity and taint verdicts
/// computed at most once per node whatever the number of constraints.
struct Inclusion<'a> {
    pod: &'a Pod,
    node: &'a NodeInfo,
    affinity: Option<bool>,
    taints: Option<bool>,
}

impl<'a> Inclusion<'a> {
    fn new(pod: &'a Pod, node: &'a NodeInfo) -> Self {
        Inclusion { pod, node, affinity: None, taints: None }
    }

    /// Whether `c`'s node-inclusion policies admit the node: under `nodeAffinityPolicy: Honor`
    /// it must match the pod's nodeSelector and required node affinity; under
    /// `nodeTaintsPolicy: Honor` the pod must tolerate its NoSchedule/NoExecute taints.
    fn admits(&mut self, c: &Constraint) -> bool {
        let (pod, node) = (self.pod, self.node);
        if c.honor_node_affinity && !*self.affinity.get_or_insert_with(|| required_matches(pod, node)) {
            return false;
        }
        if c.honor_node_taints
            && !*self.taints.get_or_insert_with(|| {
                find_untolerated_taint(&node.node.taints, &pod.tolerations, |t| {
                    matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                })
                .is_none()
            })
        {
            return false;
        }
        true
    }
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}
