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
//! kept in the [`CycleState`]; Filter and Score only look up the node's label values. Only the
//! hostname constraint's count is taken in Score, over the node's own pods, as upstream does.
//!
//! Must not touch: the cluster (read only), other plugins' state.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::model::labels::{find_untolerated_taint, is_qualified_name};
use crate::model::{
    Cluster, LabelSelector, LabelSelectorOperator, LabelSelectorRequirement, Labels, NodeId,
    NodeInclusionPolicy, NodeInfo, Pod, SelectorKind, TaintEffect, WhenUnsatisfiable,
};
use crate::names::{LABEL_HOSTNAME, LABEL_ZONE};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, MAX_NODE_SCORE, Plugin, PreFilterOutcome, PreFilterPlugin, PreScorePlugin,
    ScorePlugin, Status,
};
use crate::scheduler::plugins::node_affinity::required_matches;

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
        self.default_constraints
            .iter()
            .filter(|c| c.when_unsatisfiable == action)
            .map(|c| Constraint {
                max_skew: i64::from(c.max_skew),
                is_hostname: c.topology_key == LABEL_HOSTNAME,
                topology_key: c.topology_key.clone(),
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
/// selector of the pod's controller (ReplicationController: its map merged in; ReplicaSet /
/// StatefulSet: its requirements added). An empty result means "no default constraints".
///
/// capsim's pods carry no `ownerReferences`, so the controller is taken to be the first
/// ReplicationController, ReplicaSet or StatefulSet in the pod's namespace (in the order they were
/// added to the cluster) whose selector matches the pod: the one that would own, or adopt, it.
pub fn default_selector(pod: &Pod, cluster: &Cluster) -> LabelSelector {
    let mut sel = LabelSelector::default();
    let in_scope =
        |w: &&crate::model::WorkloadSelector| w.namespace == pod.namespace && w.selector.matches(&pod.labels);
    for w in cluster.workload_selectors().iter().filter(in_scope) {
        if w.kind == SelectorKind::Service {
            for (k, v) in &w.selector.match_labels {
                sel.match_labels.insert(k.clone(), v.clone());
            }
        }
    }
    let controller =
        cluster.workload_selectors().iter().filter(in_scope).find(|w| w.kind != SelectorKind::Service);
    if let Some(w) = controller {
        match w.kind {
            SelectorKind::ReplicationController => {
                for (k, v) in &w.selector.match_labels {
                    sel.match_labels.insert(k.clone(), v.clone());
                }
            }
            _ => {
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
    min_domains: i64,
    honor_node_affinity: bool,
    honor_node_taints: bool,
}

/// Whether `labels` carry every constraint's key (upstream `nodeLabelsMatchSpreadConstraints`).
fn has_all_keys(labels: &Labels, constraints: &[Constraint]) -> bool {
    constraints.iter().all(|c| labels.contains_key(&c.topology_key))
}

/// Upstream `countPodsMatchSelector`: pods on `node` in namespace `ns`, not terminating, whose
/// labels `selector` matches (a missing selector matches none).
fn count_pods_match_selector(
    node: &NodeInfo,
    cluster: &Cluster,
    selector: Option<&LabelSelector>,
    ns: &str,
) -> i64 {
    let Some(selector) = selector else { return 0 };
    node.pods
        .iter()
        .map(|id| cluster.pod(*id))
        .filter(|p| !p.terminating && p.namespace == ns && selector.matches(&p.labels))
        .count() as i64
}

/// Per-node memo of [`count_pods_match_selector`] for constraints that share a selector (the
/// default constraints always do; hostname + zone pairs usually do), so one pass over a node's
/// pods serves all of them. Allocated once per cycle, reset per node.
struct SharedCounts {
    /// Per constraint: the index of the first constraint with an equal selector.
    group: Vec<usize>,
    /// Per group: the count on the current node, once taken.
    memo: Vec<Option<i64>>,
}

impl SharedCounts {
    fn new(constraints: &[Constraint]) -> Self {
        let group = constraints
            .iter()
            .enumerate()
            .map(|(i, c)| constraints[..i].iter().position(|o| o.selector == c.selector).unwrap_or(i))
            .collect();
        SharedCounts { group, memo: vec![None; constraints.len()] }
    }

    /// Forgets the previous node's counts.
    fn reset(&mut self) {
        self.memo.fill(None);
    }

    /// Matching pods of `pod`'s namespace on `node` for constraint `i`.
    fn count(&mut self, i: usize, c: &Constraint, node: &NodeInfo, cluster: &Cluster, ns: &str) -> i64 {
        *self.memo[self.group[i]]
            .get_or_insert_with(|| count_pods_match_selector(node, cluster, c.selector.as_ref(), ns))
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

/// What PreFilter computes for Filter (upstream `preFilterState`), with the global minimum (after
/// `minDomains`) and the incoming pod's self-match resolved per constraint.
#[derive(Debug)]
struct PreFilterState {
    constraints: Vec<Constraint>,
    /// Per constraint: domain value → matching pods over eligible nodes (`TpValueToMatchNum`).
    match_num: Vec<IndexMap<String, i64>>,
    /// Per constraint: the minimum of `match_num` (`i32::MAX` with no domain), or 0 when there
    /// are fewer domains than `minDomains` (upstream `minMatchNum`).
    min_match_num: Vec<i64>,
    /// Per constraint: 1 when the constraint's selector matches the incoming pod, else 0.
    self_match_num: Vec<i64>,
}

/// Upstream `calPreFilterState`: counts matching pods per domain over every node that carries all
/// the constraints' keys and that each constraint's inclusion policies admit.
fn pre_filter_state(pod: &Pod, constraints: Vec<Constraint>, cluster: &Cluster) -> PreFilterState {
    let mut match_num: Vec<IndexMap<String, i64>> = vec![IndexMap::new(); constraints.len()];
    let mut counts = SharedCounts::new(&constraints);
    for (_, info) in cluster.live_nodes() {
        let labels = &info.node.labels;
        if !has_all_keys(labels, &constraints) {
            continue;
        }
        counts.reset();
        let mut inclusion = Inclusion::new(pod, info);
        for (i, c) in constraints.iter().enumerate() {
            if !inclusion.admits(c) {
                continue;
            }
            let value = labels.get(&c.topology_key).map_or("", String::as_str);
            let count = counts.count(i, c, info, cluster, &pod.namespace);
            match match_num[i].get_mut(value) {
                Some(n) => *n += count,
                None => {
                    match_num[i].insert(value.to_string(), count);
                }
            }
        }
    }
    let min_match_num = constraints
        .iter()
        .zip(&match_num)
        .map(|(c, counts)| {
            if (counts.len() as i64) < c.min_domains {
                0
            } else {
                counts.values().copied().min().unwrap_or(i64::from(i32::MAX))
            }
        })
        .collect();
    let self_match_num = constraints
        .iter()
        .map(|c| i64::from(c.selector.as_ref().is_some_and(|s| s.matches(&pod.labels))))
        .collect();
    PreFilterState { constraints, match_num, min_match_num, self_match_num }
}

/// What PreScore computes for Score and NormalizeScore (upstream `preScoreState`).
#[derive(Debug)]
struct PreScoreState {
    constraints: Vec<Constraint>,
    /// Whether a node must carry every constraint's key to be scored (false only for system
    /// defaults, so nodes without a zone label still get hostname spreading).
    require_all_topologies: bool,
    /// Per constraint: domain value → matching pods, for the domains of the scored nodes (empty
    /// for hostname constraints, counted in Score) (`TopologyValueToPodCounts`).
    pod_counts: Vec<IndexMap<String, i64>>,
    /// Per hostname constraint: by [`NodeId`], the matching pods on each scored node (`None`
    /// for other nodes); empty for other constraints. Upstream counts these in Score; PreScore
    /// takes them in its pass over the nodes, sharing the count with a same-selector constraint.
    host_counts: Vec<Vec<Option<i64>>>,
    /// Per constraint: `ln(size + 2)` (`TopologyNormalizingWeight`).
    weights: Vec<f64>,
    /// Per scored node, in PreScore's order: true when it is ignored (`IgnoredNodes`).
    ignored: Vec<bool>,
}

/// Upstream `topologyNormalizingWeight`: `ln(size + 2)`.
pub fn topology_normalizing_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

/// Upstream `scoreForCount`: `count · weight + (maxSkew − 1)`.
pub fn score_for_count(count: i64, max_skew: i64, weight: f64) -> f64 {
    count as f64 * weight + (max_skew - 1) as f64
}

/// Upstream `NormalizeScore`: over the nodes not ignored, `100 · (max + min − s) / max` (integer
/// division), 100 everywhere when the maximum is 0; ignored nodes get 0.
pub fn normalize_spread_scores(scores: &mut [i64], ignored: &[bool]) {
    let mut min = i64::MAX;
    let mut max = 0;
    for (s, ig) in scores.iter().zip(ignored) {
        if !ig {
            min = min.min(*s);
            max = max.max(*s);
        }
    }
    for (s, ig) in scores.iter_mut().zip(ignored) {
        *s = if *ig {
            0
        } else if max == 0 {
            MAX_NODE_SCORE
        } else {
            MAX_NODE_SCORE * (max + min - *s) / max
        };
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

impl PreFilterPlugin for PodTopologySpread {
    /// The state counts existing pods (upstream's AddPod/RemovePod extensions update it).
    fn reads_other_pods(&self) -> bool {
        true
    }

    /// Skip when the pod has no DoNotSchedule constraint (its own, or defaults when it declares
    /// none); otherwise the per-domain counts for Filter.
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, cluster: &Cluster) -> PreFilterOutcome {
        let constraints = self.constraints_for(pod, cluster, WhenUnsatisfiable::DoNotSchedule);
        if constraints.is_empty() {
            return (None, Status::skip());
        }
        state.write(PRE_FILTER_STATE_KEY, pre_filter_state(pod, constraints, cluster));
        (None, Status::success())
    }
}

impl FilterPlugin for PodTopologySpread {
    /// Per hard constraint: the node must carry the key (else UnschedulableAndUnresolvable), and
    /// `count[node's domain] + selfMatch − globalMin` must not exceed `maxSkew` (else
    /// Unschedulable).
    fn filter(&self, state: &CycleState, _: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return Status::error(format!("reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"));
        };
        let labels = &node.node.labels;
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = labels.get(&c.topology_key) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let match_num = s.match_num[i].get(value.as_str()).copied().unwrap_or(0);
            let skew = match_num + s.self_match_num[i] - s.min_match_num[i];
            if skew > c.max_skew {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

impl PreScorePlugin for PodTopologySpread {
    /// Skip when the cluster has no node or the pod has no ScheduleAnyway constraint (its own, or
    /// defaults when it declares none); otherwise ignored nodes, topology weights and the
    /// per-domain counts over every node of the cluster for the domains of `nodes`.
    fn pre_score(&self, state: &mut CycleState, pod: &Pod, nodes: &[NodeId], cluster: &Cluster) -> Status {
        if cluster.num_nodes() == 0 {
            return Status::skip();
        }
        let require_all_topologies = !pod.topology_spread_constraints.is_empty() || !self.system_defaulted;
        let constraints = self.constraints_for(pod, cluster, WhenUnsatisfiable::ScheduleAnyway);
        if constraints.is_empty() {
            return Status::skip();
        }

        // initPreScoreState: ignored nodes and the domains of the scored nodes.
        let mut pod_counts: Vec<IndexMap<String, i64>> = vec![IndexMap::new(); constraints.len()];
        let mut ignored = vec![false; nodes.len()];
        for (k, id) in nodes.iter().enumerate() {
            let labels = &cluster.node(*id).node.labels;
            if require_all_topologies && !has_all_keys(labels, &constraints) {
                ignored[k] = true;
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if c.is_hostname {
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                if !pod_counts[i].contains_key(value) {
                    pod_counts[i].insert(value.to_string(), 0);
                }
            }
        }
        let scored = nodes.len() - ignored.iter().filter(|i| **i).count();
        let weights = constraints
            .iter()
            .zip(&pod_counts)
            .map(|(c, counts)| topology_normalizing_weight(if c.is_hostname { scored } else { counts.len() }))
            .collect();

        // Counts over every node of the cluster, for those domains only; hostname counts (no
        // inclusion policies, as upstream's Score takes them) for the scored nodes.
        let mut host_counts: Vec<Vec<Option<i64>>> = constraints
            .iter()
            .map(|c| if c.is_hostname { vec![None; cluster.num_nodes()] } else { Vec::new() })
            .collect();
        let mut scored_node =
            vec![false; if host_counts.iter().any(|h| !h.is_empty()) { cluster.num_nodes() } else { 0 }];
        for (k, id) in nodes.iter().enumerate() {
            if !ignored[k]
                && let Some(slot) = scored_node.get_mut(*id as usize)
            {
                *slot = true;
            }
        }
        let mut counts = SharedCounts::new(&constraints);
        for (id, info) in cluster.live_nodes() {
            let id = id as usize;
            let labels = &info.node.labels;
            if require_all_topologies && !has_all_keys(labels, &constraints) {
                continue;
            }
            counts.reset();
            let mut inclusion = Inclusion::new(pod, info);
            for (i, c) in constraints.iter().enumerate() {
                if c.is_hostname {
                    if scored_node.get(id).copied().unwrap_or(false) {
                        host_counts[i][id] = Some(counts.count(i, c, info, cluster, &pod.namespace));
                    }
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                if !pod_counts[i].contains_key(value) || !inclusion.admits(c) {
                    continue;
                }
                let count = counts.count(i, c, info, cluster, &pod.namespace);
                if let Some(n) = pod_counts[i].get_mut(value) {
                    *n += count;
                }
            }
        }
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState { constraints, require_all_topologies, pod_counts, host_counts, weights, ignored },
        );
        Status::success()
    }
}

impl ScorePlugin for PodTopologySpread {
    /// `round(Σ count · weight + (maxSkew − 1))` over the constraints whose key the node carries;
    /// the hostname constraint counts the node's own matching pods. Ignored nodes score 0.
    fn score(
        &self,
        state: &CycleState,
        pod: &Pod,
        node: &NodeInfo,
        cluster: &Cluster,
    ) -> Result<i64, Status> {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return Err(Status::error(format!(
                "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
            )));
        };
        let labels = &node.node.labels;
        if s.require_all_topologies && !has_all_keys(labels, &s.constraints) {
            return Ok(0);
        }
        let mut score = 0.0;
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = labels.get(&c.topology_key) else { continue };
            let count = if c.is_hostname {
                let id = cluster.node_id(&node.node.name).filter(|id| std::ptr::eq(cluster.node(*id), node));
                match id.and_then(|id| s.host_counts[i].get(id as usize).copied().flatten()) {
                    Some(n) => n,
                    None => count_pods_match_selector(node, cluster, c.selector.as_ref(), &pod.namespace),
                }
            } else {
                s.pod_counts[i].get(value.as_str()).copied().unwrap_or(0)
            };
            score += score_for_count(count, c.max_skew, s.weights[i]);
        }
        Ok(score.round() as i64)
    }

    fn has_normalize(&self) -> bool {
        true
    }

    /// See [`normalize_spread_scores`]; `scores` are in the order of PreScore's nodes.
    fn normalize_score(&self, state: &CycleState, _: &Pod, scores: &mut [i64]) -> Status {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return Status::error(format!(
                "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
            ));
        };
        if s.ignored.len() != scores.len() {
            return Status::error(format!(
                "PodTopologySpread: {} scores for {} nodes seen at PreScore",
                scores.len(),
                s.ignored.len()
            ));
        }
        normalize_spread_scores(scores, &s.ignored);
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::cluster::WorkloadSelector;
    use crate::model::{Node, Resources, TopologySpreadConstraint, simple_pod};
    use crate::scheduler::framework::Code;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn node(name: &str, extra: &[(&str, &str)]) -> Node {
        let mut l = labels(extra);
        l.insert(LABEL_HOSTNAME.into(), name.into());
        Node {
            name: name.into(),
            labels: l,
            taints: vec![],
            unschedulable: false,
            allocatable: Resources { pods: 110, ..Default::default() },
            capacity: Resources::default(),
            images: vec![],
        }
    }

    fn pod(name: &str, l: &[(&str, &str)]) -> Pod {
        let mut p = simple_pod(name, Resources::default());
        p.labels = labels(l);
        p
    }

    fn app_selector(app: &str) -> LabelSelector {
        LabelSelector { match_labels: labels(&[("app", app)]), match_expressions: vec![] }
    }

    fn hard(key: &str, max_skew: i32, min_domains: Option<i32>) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew,
            topology_key: key.into(),
            when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
            selector: Some(app_selector("web")),
            min_domains,
            node_affinity_policy: NodeInclusionPolicy::Honor,
            node_taints_policy: NodeInclusionPolicy::Ignore,
        }
    }

    /// A cluster of `nodes` with `(node, count)` bound pods labelled `app=web`.
    fn cluster(nodes: Vec<Node>, web_pods: &[(&str, usize)]) -> Cluster {
        let mut c = Cluster::new();
        for n in nodes {
            c.add_node(n).unwrap();
        }
        for (n, count) in web_pods {
            for i in 0..*count {
                let id = c.add_pod(pod(&format!("{n}-{i}"), &[("app", "web")]));
                c.bind(id, c.node_id(n).unwrap()).unwrap();
            }
        }
        c
    }

    fn filter_all(pl: &PodTopologySpread, p: &Pod, c: &Cluster) -> Vec<Code> {
        let mut state = CycleState::new();
        let (_, st) = pl.pre_filter(&mut state, p, c);
        assert!(st.is_success(), "{st:?}");
        c.nodes().iter().map(|n| pl.filter(&state, p, n, c).code).collect()
    }

    /// Scores every node, in insertion order.
    fn score_all(pl: &PodTopologySpread, p: &Pod, c: &Cluster) -> Option<Vec<i64>> {
        let mut state = CycleState::new();
        let ids: Vec<NodeId> = (0..c.num_nodes() as NodeId).collect();
        let st = pl.pre_score(&mut state, p, &ids, c);
        if st.is_skip() {
            return None;
        }
        let mut scores: Vec<i64> =
            ids.iter().map(|id| pl.score(&state, p, c.node(*id), c).unwrap()).collect();
        assert!(pl.normalize_score(&state, p, &mut scores).is_success());
        Some(scores)
    }

    /// Zones a and b hold one matching pod each: skew `1 + 1 − 1 = 1` fits maxSkew 1, but with
    /// minDomains 3 and only two domains the global minimum counts as 0, so skew 2 fails
    /// (Unschedulable); a node without the zone key is UnschedulableAndUnresolvable.
    #[test]
    fn skew_uses_zero_minimum_below_min_domains() {
        let nodes =
            vec![node("a1", &[("zone", "a")]), node("b1", &[("zone", "b")]), node("x", &[("other", "1")])];
        let c = cluster(nodes, &[("a1", 1), ("b1", 1)]);
        let pl = PodTopologySpread::new(&json!({"defaultingType": "List"})).unwrap();
        let mut p = pod("incoming", &[("app", "web")]);

        p.topology_spread_constraints = vec![hard("zone", 1, None)];
        let got = filter_all(&pl, &p, &c);
        assert_eq!(got, vec![Code::Success, Code::Success, Code::UnschedulableAndUnresolvable]);

        p.topology_spread_constraints = vec![hard("zone", 1, Some(3))];
        let got = filter_all(&pl, &p, &c);
        assert_eq!(got, vec![Code::Unschedulable, Code::Unschedulable, Code::UnschedulableAndUnresolvable]);
        let mut state = CycleState::new();
        pl.pre_filter(&mut state, &p, &c);
        let st = pl.filter(&state, &p, c.node(2), &c);
        assert_eq!(st.reasons.as_slice(), [ERR_REASON_NODE_LABEL_NOT_MATCH]);
        let st = pl.filter(&state, &p, c.node(0), &c);
        assert_eq!(st.reasons.as_slice(), [ERR_REASON_CONSTRAINTS_NOT_MATCH]);

        // minDomains 2 is met: the real minimum (1) applies again.
        p.topology_spread_constraints = vec![hard("zone", 1, Some(2))];
        assert_eq!(filter_all(&pl, &p, &c)[..2], [Code::Success, Code::Success]);

        // A pod its own selector does not match adds nothing to the skew.
        let mut other = pod("other", &[("app", "db")]);
        other.topology_spread_constraints = vec![hard("zone", 1, Some(3))];
        assert_eq!(filter_all(&pl, &other, &c)[..2], [Code::Success, Code::Success]);
    }

    /// Terminating pods and pods of other namespaces are not counted; nodes the pod's node
    /// selector excludes do not form domains under nodeAffinityPolicy Honor.
    #[test]
    fn counts_skip_terminating_foreign_and_excluded_nodes() {
        let nodes =
            vec![node("a1", &[("zone", "a")]), node("b1", &[("zone", "b")]), node("c1", &[("zone", "c")])];
        let mut c = cluster(nodes, &[("a1", 1)]);
        let mut gone = pod("gone", &[("app", "web")]);
        gone.terminating = true;
        let mut foreign = pod("foreign", &[("app", "web")]);
        foreign.namespace = "other".into();
        for p in [gone, foreign] {
            let id = c.add_pod(p);
            c.bind(id, c.node_id("b1").unwrap()).unwrap();
        }
        let pl = PodTopologySpread::new(&json!({"defaultingType": "List"})).unwrap();
        let mut p = pod("incoming", &[("app", "web")]);
        p.topology_spread_constraints = vec![hard("zone", 1, None)];
        // a:1 b:0 c:0 → a has skew 2.
        assert_eq!(filter_all(&pl, &p, &c), vec![Code::Unschedulable, Code::Success, Code::Success]);
        // Only a and b are eligible domains; min over {a:1, b:0} is still 0.
        p.node_selector = labels(&[("zone", "a")]);
        assert_eq!(filter_all(&pl, &p, &c), vec![Code::Success, Code::Success, Code::Success]);
    }

    /// System defaults (hostname maxSkew 3, zone maxSkew 5) with a Service selecting the pod.
    /// n4 lacks the zone label: it forms the "" zone domain (so zone size is 3) and is still
    /// scored on hostname. Weights ln(6) (4 nodes) and ln(5) (3 zones):
    /// n1 = round(2·ln6 + 2 + 2·ln5 + 4) = 13, n2 = round(0 + 2 + 2·ln5 + 4) = 9,
    /// n3 = round(ln6 + 2 + ln5 + 4) = 9, n4 = round(ln6 + 2) = 4; normalised with min 4, max 13.
    #[test]
    fn system_defaults_score_hostname_even_without_zone() {
        let nodes = vec![
            node("n1", &[(LABEL_ZONE, "a")]),
            node("n2", &[(LABEL_ZONE, "a")]),
            node("n3", &[(LABEL_ZONE, "b")]),
            node("n4", &[]),
        ];
        let mut c = cluster(nodes, &[("n1", 2), ("n3", 1), ("n4", 1)]);
        let p = pod("incoming", &[("app", "web")]);
        let pl = PodTopologySpread::new(&serde_json::Value::Null).unwrap();
        assert_eq!(pl.defaulting_type(), DefaultingType::System);
        // No Service selects the pod yet: no default constraints, PreFilter and PreScore skip.
        assert!(score_all(&pl, &p, &c).is_none());
        assert!(pl.pre_filter(&mut CycleState::new(), &p, &c).1.is_skip());

        c.add_workload_selector(WorkloadSelector {
            kind: SelectorKind::Service,
            namespace: "default".into(),
            selector: app_selector("web"),
        });
        let raw = |host: i64, zone: Option<i64>| {
            let mut s = score_for_count(host, 3, topology_normalizing_weight(4));
            if let Some(z) = zone {
                s += score_for_count(z, 5, topology_normalizing_weight(3));
            }
            s.round() as i64
        };
        assert_eq!([raw(2, Some(2)), raw(0, Some(2)), raw(1, Some(1)), raw(1, None)], [13, 9, 9, 4]);
        assert_eq!(score_all(&pl, &p, &c), Some(vec![100 * 4 / 13, 100 * 8 / 13, 100 * 8 / 13, 100]));
        // System defaults are all ScheduleAnyway: nothing to filter.
        assert!(pl.pre_filter(&mut CycleState::new(), &p, &c).1.is_skip());

        // The same constraints as a List: n4 lacks a key, so it is ignored (0), and the zone
        // weight no longer counts a "" domain.
        let list = PodTopologySpread::new(&json!({"defaultingType": "List", "defaultConstraints": [
            {"maxSkew": 3, "topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": "ScheduleAnyway"},
            {"maxSkew": 5, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "ScheduleAnyway"},
        ]}))
        .unwrap();
        let raw3 = |host: i64, zone: i64| {
            (score_for_count(host, 3, topology_normalizing_weight(3))
                + score_for_count(zone, 5, topology_normalizing_weight(2)))
            .round() as i64
        };
        let (r1, r2, r3) = (raw3(2, 2), raw3(0, 2), raw3(1, 1));
        let (lo, hi) = (r1.min(r2).min(r3), r1.max(r2).max(r3));
        let norm = |r: i64| 100 * (hi + lo - r) / hi;
        assert_eq!(score_all(&list, &p, &c), Some(vec![norm(r1), norm(r2), norm(r3), 0]));

        // A pod with its own constraints ignores the defaults.
        let mut own = p.clone();
        own.topology_spread_constraints = vec![hard("missing-key", 1, None)];
        assert!(score_all(&pl, &own, &c).is_none());
    }

    /// `helper.DefaultSelector`: matching Services of the pod's namespace merged, then the first
    /// matching controller's requirements; other namespaces and non-matching objects ignored.
    #[test]
    fn default_selector_merges_services_and_controller() {
        let mut c = Cluster::new();
        let add = |c: &mut Cluster, kind, ns: &str, sel: LabelSelector| {
            c.add_workload_selector(WorkloadSelector { kind, namespace: ns.into(), selector: sel })
        };
        add(&mut c, SelectorKind::Service, "default", app_selector("web"));
        add(
            &mut c,
            SelectorKind::Service,
            "other",
            LabelSelector { match_labels: labels(&[("x", "1")]), ..Default::default() },
        );
        add(&mut c, SelectorKind::Service, "default", app_selector("db"));
        add(
            &mut c,
            SelectorKind::ReplicaSet,
            "default",
            LabelSelector {
                match_labels: labels(&[("tier", "front")]),
                match_expressions: vec![LabelSelectorRequirement {
                    key: "track".into(),
                    operator: LabelSelectorOperator::Exists,
                    values: vec![],
                }],
            },
        );
        let p = pod("p", &[("app", "web"), ("tier", "front"), ("track", "canary"), ("x", "1")]);
        let sel = default_selector(&p, &c);
        assert_eq!(sel.match_labels, labels(&[("app", "web")]));
        assert_eq!(sel.match_expressions.len(), 2);
        assert_eq!(sel.match_expressions[0].key, "tier");
        assert!(sel.matches(&p.labels));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "front")])));
        assert!(default_selector(&pod("q", &[("app", "cache")]), &c).is_empty());
    }

    #[test]
    fn normalize_ignores_ignored_nodes_and_handles_all_zero() {
        let mut s = vec![5, 0, 10, 7];
        normalize_spread_scores(&mut s, &[false, true, false, false]);
        assert_eq!(s, vec![100, 0, 50, 80]);
        let mut z = vec![0, 0];
        normalize_spread_scores(&mut z, &[false, false]);
        assert_eq!(z, vec![100, 100]);
    }

    /// `ValidatePodTopologySpreadArgs` and v1 defaulting (`defaultingType` "" → System).
    #[test]
    fn args_are_defaulted_and_validated_as_upstream() {
        let ok = PodTopologySpread::new(&json!({})).unwrap();
        assert_eq!(ok.defaulting_type(), DefaultingType::System);
        assert_eq!(ok.default_constraints(), system_default_constraints().as_slice());
        let list = PodTopologySpread::new(&json!({"defaultingType": "List"})).unwrap();
        assert!(list.default_constraints().is_empty());
        let list = PodTopologySpread::new(&json!({"defaultingType": "List", "defaultConstraints": [
            {"maxSkew": 1, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "DoNotSchedule", "minDomains": 2,
             "nodeTaintsPolicy": "Honor"},
            {"maxSkew": 2, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "ScheduleAnyway"},
        ]}))
        .unwrap();
        let d = &list.default_constraints()[0];
        assert_eq!((d.min_domains, d.node_taints_policy), (Some(2), NodeInclusionPolicy::Honor));
        assert_eq!(d.node_affinity_policy, NodeInclusionPolicy::Honor);

        let err = |v: serde_json::Value| PodTopologySpread::new(&v).unwrap_err();
        let one = |c: serde_json::Value| err(json!({"defaultingType": "List", "defaultConstraints": [c]}));
        assert!(
            err(json!({"defaultConstraints": [{"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"}]}))
                .contains("when .defaultConstraints are not empty")
        );
        assert!(err(json!({"defaultingType": "Bogus"})).contains("defaultingType: Unsupported value"));
        assert!(
            one(json!({"maxSkew": 0, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"}))
                .contains("defaultConstraints[0].maxSkew: Invalid value: 0")
        );
        assert!(
            one(json!({"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}))
                .contains("topologyKey: Required value")
        );
        assert!(
            one(json!({"maxSkew": 1, "topologyKey": "bad key!", "whenUnsatisfiable": "DoNotSchedule"}))
                .contains("topologyKey: Invalid value")
        );
        assert!(one(json!({"maxSkew": 1, "topologyKey": "k"})).contains("whenUnsatisfiable: Required value"));
        assert!(
            one(json!({"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "Maybe"}))
                .contains("whenUnsatisfiable: Unsupported value")
        );
        assert!(
            one(json!({"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule",
                       "labelSelector": {"matchLabels": {"a": "b"}}}))
            .contains("labelSelector: Forbidden")
        );
        let dup = err(json!({"defaultingType": "List", "defaultConstraints": [
            {"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"},
            {"maxSkew": 2, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"},
        ]}));
        assert!(dup.contains("defaultConstraints[1]: Duplicate value: \"{k, DoNotSchedule}\""), "{dup}");
        // Several errors aggregate as upstream's `[a, b]`.
        let many = one(json!({"maxSkew": 0, "topologyKey": "", "whenUnsatisfiable": "DoNotSchedule"}));
        assert!(many.starts_with('[') && many.contains(", "), "{many}");
        assert!(err(json!({"unknown": 1})).contains("invalid PodTopologySpreadArgs"));
    }
}
