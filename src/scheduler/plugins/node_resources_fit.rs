//! NodeResourcesFit: the pod's effective requests must fit the node's free allocatable (Filter);
//! nodes are scored by LeastAllocated, MostAllocated or RequestedToCapacityRatio.
//! Mirrors `pkg/scheduler/framework/plugins/noderesources/{fit,resource_allocation,least_allocated,
//! most_allocated,requested_to_capacity_ratio}.go` and `helper/shape_score.go` (v1.35).

use std::borrow::Cow;

use serde::Deserialize;

use crate::model::resources::{CPU, EPHEMERAL_STORAGE, MEMORY, PODS, is_scalar_resource};
use crate::model::{Cluster, NodeHot, NodeId, NodeInfo, Pod, Resources};
use crate::scheduler::framework::{
    Code, CycleState, FastFilter, FilterPlugin, MAX_NODE_SCORE, PASS, Plugin, PreFilterOutcome,
    PreFilterPlugin, PreScorePlugin, ScorePlugin, Status, intern_status,
};

/// Upstream name.
pub const NAME: &str = "NodeResourcesFit";
/// `MaxCustomPriorityScore`: shape scores are 0..=10 and scaled by 10.
pub const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;
/// `maxUtilization` of RequestedToCapacityRatio.
pub const MAX_UTILIZATION: i64 = 100;

/// One resource and its weight in a scoring strategy (`ResourceSpec`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// Resource name (`cpu`, `memory`, `nvidia.com/gpu`, ...).
    pub name: String,
    /// Weight, 1..=100 (0 or unset defaults to 1).
    #[serde(default)]
    pub weight: i64,
}

/// One point of the RequestedToCapacityRatio shape (`UtilizationShapePoint`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UtilizationShapePoint {
    /// Utilization, 0..=100, strictly increasing along the shape.
    pub utilization: i64,
    /// Score, 0..=10.
    pub score: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RtcrArgs {
    #[serde(default)]
    shape: Vec<UtilizationShapePoint>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StrategyArgs {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    resources: Option<Vec<ResourceSpec>>,
    #[serde(default)]
    requested_to_capacity_ratio: Option<RtcrArgs>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    ignored_resources: Vec<String>,
    #[serde(default)]
    ignored_resource_groups: Vec<String>,
    #[serde(default)]
    scoring_strategy: Option<StrategyArgs>,
}

/// A scoring strategy (`ScoringStrategyType`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoringStrategy {
    /// Favour nodes with more free capacity: `(alloc − req)·100/alloc`.
    LeastAllocated,
    /// Favour fuller nodes: `min(req, alloc)·100/alloc`.
    MostAllocated,
    /// A piecewise-linear function of utilization (shape scores already scaled ×10).
    RequestedToCapacityRatio(Vec<UtilizationShapePoint>),
}

/// The NodeResourcesFit plugin with its validated args.
#[derive(Clone, Debug)]
pub struct Fit {
    ignored_resources: Vec<String>,
    ignored_resource_groups: Vec<String>,
    strategy: ScoringStrategy,
    resources: Vec<ResourceSpec>,
}

impl Default for Fit {
    fn default() -> Self {
        Fit {
            ignored_resources: Vec::new(),
            ignored_resource_groups: Vec::new(),
            strategy: ScoringStrategy::LeastAllocated,
            resources: default_resources(),
        }
    }
}

/// `[cpu w1, memory w1]`, the default resources of the scoring strategies.
pub fn default_resources() -> Vec<ResourceSpec> {
    vec![ResourceSpec { name: CPU.into(), weight: 1 }, ResourceSpec { name: MEMORY.into(), weight: 1 }]
}

/// Validates and defaults `resources` of a scoring strategy as v1 defaulting does: an absent or
/// empty list becomes `[cpu w1, memory w1]`, a weight of 0 becomes 1; weights must be in 1..=100.
pub fn validate_resources(resources: Option<Vec<ResourceSpec>>) -> Result<Vec<ResourceSpec>, String> {
    let mut resources = resources.filter(|r| !r.is_empty()).unwrap_or_else(default_resources);
    for r in &mut resources {
        if r.weight == 0 {
            r.weight = 1;
        }
        if !(1..=100).contains(&r.weight) {
            return Err(format!("resource {:?} weight {}: must be in the range [1, 100]", r.name, r.weight));
        }
    }
    Ok(resources)
}

impl Fit {
    /// Builds the plugin from its `NodeResourcesFitArgs` (`Value::Null` for defaults:
    /// LeastAllocated over cpu and memory, weight 1 each).
    ///
    /// # Errors
    /// Unknown fields, an unknown strategy, weights outside 1..=100, or a bad shape.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        if args.is_null() {
            return Ok(Self::default());
        }
        let a: Args =
            serde_json::from_value(args.clone()).map_err(|e| format!("invalid NodeResourcesFitArgs: {e}"))?;
        let s = a.scoring_strategy.unwrap_or_default();
        let resources = validate_resources(s.resources)?;
        let strategy = match s.kind.as_deref().unwrap_or("LeastAllocated") {
            "LeastAllocated" => ScoringStrategy::LeastAllocated,
            "MostAllocated" => ScoringStrategy::MostAllocated,
            "RequestedToCapacityRatio" => {
                let shape = s.requested_to_capacity_ratio.map(|r| r.shape).unwrap_or_default();
                if shape.is_empty() {
                    return Err("scoringStrategy.requestedToCapacityRatio.shape: Required value".into());
                }
                for (i, p) in shape.iter().enumerate() {
                    if !(0..=MAX_UTILIZATION).contains(&p.utilization) {
                        return Err(format!(
                            "shape[{i}].utilization {}: must be in the range [0, 100]",
                            p.utilization
                        ));
                    }
                    if !(0..=MAX_CUSTOM_PRIORITY_SCORE).contains(&p.score) {
                        return Err(format!("shape[{i}].score {}: must be in the range [0, 10]", p.score));
                    }
                    if i > 0 && p.utilization <= shape[i - 1].utilization {
                        return Err(format!(
                            "shape[{i}].utilization: values must be sorted in increasing order"
                        ));
                    }
                }
                ScoringStrategy::RequestedToCapacityRatio(
                    shape
                        .into_iter()
                        .map(|p| UtilizationShapePoint {
                            utilization: p.utilization,
                            score: p.score * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE),
                        })
                        .collect(),
                )
            }
            other => {
                return Err(format!(
                    "scoringStrategy.type {other:?}: must be one of LeastAllocated, MostAllocated, RequestedToCapacityRatio"
                ));
            }
        };
        Ok(Fit {
            ignored_resources: a.ignored_resources,
            ignored_resource_groups: a.ignored_resource_groups,
            strategy,
            resources,
        })
    }

    /// The configured scoring strategy.
    pub fn strategy(&self) -> &ScoringStrategy {
        &self.strategy
    }

    fn ignored(&self, name: &str) -> bool {
        if self.ignored_resources.is_empty() && self.ignored_resource_groups.is_empty() {
            return false;
        }
        if self.ignored_resources.iter().any(|r| r == name) {
            return true;
        }
        let prefix = name.split('/').next().unwrap_or("");
        name.contains('/') && self.ignored_resource_groups.iter().any(|g| g == prefix)
    }
}

/// One shortfall found by the Filter (upstream `InsufficientResource`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientResource {
    /// Resource name.
    pub resource: String,
    /// Reason, e.g. `Insufficient cpu` or `Too many pods`.
    pub reason: String,
    /// What the pod requests.
    pub requested: i64,
    /// What the node's pods already request.
    pub used: i64,
    /// The node's allocatable.
    pub capacity: i64,
    /// True when the request exceeds the whole allocatable (preemption cannot help).
    pub unresolvable: bool,
}

/// True for an extended resource name (upstream `IsExtendedResourceName`).
fn is_extended_resource_name(name: &str) -> bool {
    crate::model::resources::is_extended_resource_name(name)
}

/// Walks upstream `fitsRequest`'s checks in its order (pods, cpu, memory, ephemeral-storage,
/// then scalars in name order) and calls `shortfall(resource, requested, used, allocatable)` for
/// each resource the node cannot give. Allocates nothing.
fn for_each_shortfall(fit: &Fit, pod: &Pod, node: &NodeInfo, mut shortfall: impl FnMut(&str, i64, i64, i64)) {
    let req = &pod.requests;
    let alloc = &node.node.allocatable;
    let used = &node.requested;
    let pods_on_node = node.pods.len() as i64;
    if pods_on_node + 1 > alloc.pods {
        shortfall(PODS, 1, pods_on_node, alloc.pods);
    }
    if req.milli_cpu == 0
        && req.memory == 0
        && req.ephemeral_storage == 0
        && req.scalar.values().all(|v| *v == 0)
    {
        return;
    }
    for (name, r, a, u) in [
        (CPU, req.milli_cpu, alloc.milli_cpu, used.milli_cpu),
        (MEMORY, req.memory, alloc.memory, used.memory),
        (EPHEMERAL_STORAGE, req.ephemeral_storage, alloc.ephemeral_storage, used.ephemeral_storage),
    ] {
        if r > 0 && r > a - u {
            shortfall(name, r, u, a);
        }
    }
    for (name, r) in &req.scalar {
        if *r == 0 || (fit.ignored(name) && is_extended_resource_name(name)) {
            continue;
        }
        let a = alloc.scalar.get(name).copied().unwrap_or(0);
        let u = used.scalar.get(name).copied().unwrap_or(0);
        if *r > a - u {
            shortfall(name, *r, u, a);
        }
    }
}

/// The shortfalls of a node's [`NodeHot`] row for a pod that requests only cpu, memory and a pod
/// slot, as bits: 1 pods, 2 cpu, 4 memory; 8 and 16 when the cpu or memory request is above the
/// whole allocatable (then unresolvable).
#[inline]
fn hot_shortfalls(pod: &Pod, row: &NodeHot) -> u8 {
    let req = &pod.requests;
    let mut mask = 0;
    if i64::from(row.pods) + 1 > row.allocatable_pods {
        mask |= 1;
    }
    if req.milli_cpu > 0 && req.milli_cpu > row.allocatable_milli_cpu - row.requested_milli_cpu {
        mask |= 2 | if req.milli_cpu > row.allocatable_milli_cpu { 8 } else { 0 };
    }
    if req.memory > 0 && req.memory > row.allocatable_memory - row.requested_memory {
        mask |= 4 | if req.memory > row.allocatable_memory { 16 } else { 0 };
    }
    mask
}

/// Filter's status for the shortfalls `mask` of [`hot_shortfalls`], in `for_each_shortfall`'s
/// order: reasons pods, cpu, memory; Unschedulable, or UnschedulableAndUnresolvable when a cpu
/// or memory request exceeds the whole allocatable.
fn hot_status(mask: u8) -> Status {
    let mut status = Status::success();
    for (bit, resource) in [(1, PODS), (2, CPU), (4, MEMORY)] {
        if mask & bit == 0 {
            continue;
        }
        let over = (bit == 2 && mask & 8 != 0) || (bit == 4 && mask & 16 != 0);
        status.code = match status.code {
            Code::Success | Code::Unschedulable if over => Code::UnschedulableAndUnresolvable,
            Code::Success => Code::Unschedulable,
            code => code,
        };
        status.reasons.push(reason(resource));
    }
    status
}

/// Upstream's reason for a shortfall of `resource`.
fn reason(resource: &str) -> Cow<'static, str> {
    match resource {
        PODS => Cow::Borrowed("Too many pods"),
        CPU => Cow::Borrowed("Insufficient cpu"),
        MEMORY => Cow::Borrowed("Insufficient memory"),
        EPHEMERAL_STORAGE => Cow::Borrowed("Insufficient ephemeral-storage"),
        other => Cow::Owned(format!("Insufficient {other}")),
    }
}

/// Upstream `fitsRequest`: every shortfall of the node for the pod, in upstream order (pods, cpu,
/// memory, ephemeral-storage, then scalars in name order). A request above the node's whole
/// allocatable is unresolvable (preemption cannot help); "Too many pods" never is.
pub fn fits_request(fit: &Fit, pod: &Pod, node: &NodeInfo) -> Vec<InsufficientResource> {
    let mut out = Vec::new();
    for_each_shortfall(fit, pod, node, |resource, requested, used, capacity| {
        out.push(InsufficientResource {
            resource: resource.to_string(),
            reason: reason(resource).into_owned(),
            requested,
            used,
            capacity,
            unresolvable: resource != PODS && requested > capacity,
        })
    });
    out
}

impl Plugin for Fit {
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

impl PreFilterPlugin for Fit {
    fn pre_filter(&self, _: &mut CycleState, _: &Pod, _: &Cluster) -> PreFilterOutcome {
        // The pod's effective request is precomputed on the model Pod.
        (None, Status::success())
    }
}

impl FilterPlugin for Fit {
    /// For a pod that requests no ephemeral storage and no scalar resource: room for one more
    /// pod and for its cpu and memory requests (exactly the Filter's test for such a pod).
    fn fast_filter(&self, _: &CycleState, pod: &Pod) -> Option<FastFilter> {
        let req = &pod.requests;
        if req.ephemeral_storage != 0 || req.scalar.values().any(|v| *v != 0) {
            return None;
        }
        Some(FastFilter { reject_flags: 0, milli_cpu: req.milli_cpu, memory: req.memory, pod_slot: true })
    }

    /// For a pod its NodeHot condition covers (cpu, memory and the pod count only), the status
    /// from the node's [`NodeHot`] row (a failed cycle rejects every node and would otherwise
    /// load each node's `NodeInfo`); otherwise [`FilterPlugin::filter`].
    fn filter_node(&self, state: &CycleState, pod: &Pod, id: NodeId, cluster: &Cluster) -> Status {
        match self.filter_hot(state, pod, &cluster.hot()[id as usize]) {
            Some(status) => status,
            None => self.filter(state, pod, cluster.node(id), cluster),
        }
    }

    /// For a pod its NodeHot condition covers: `for_each_shortfall`'s checks on the row, which
    /// holds exactly the numbers they read for such a pod (pods, cpu, memory, in that order).
    fn filter_hot(&self, state: &CycleState, pod: &Pod, row: &NodeHot) -> Option<Status> {
        self.fast_filter(state, pod)?;
        Some(hot_status(hot_shortfalls(pod, row)))
    }

    /// [`FilterPlugin::filter_hot`] passes exactly when the row shows no shortfall.
    fn passes_hot(&self, state: &CycleState, pod: &Pod, row: &NodeHot) -> Option<bool> {
        self.fast_filter(state, pod)?;
        Some(hot_shortfalls(pod, row) == 0)
    }

    /// [`FilterPlugin::filter_hot`] over a chunk of nodes, one status per pattern of shortfalls.
    fn filter_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        ids: &[NodeId],
        cluster: &Cluster,
        out: &mut [u32],
        statuses: &mut Vec<Status>,
    ) {
        if self.fast_filter(state, pod).is_none() {
            for (o, id) in out.iter_mut().zip(ids) {
                let s = self.filter(state, pod, cluster.node(*id), cluster);
                *o = if s.is_success() { PASS } else { intern_status(statuses, s) };
            }
            return;
        }
        let hot = cluster.hot();
        // The status of each pattern, once seen; a pattern's status also depends on whether a
        // request exceeds the whole allocatable (bit 3: cpu, bit 4: memory).
        let mut seen: [Option<u32>; 32] = [None; 32];
        for (o, id) in out.iter_mut().zip(ids) {
            let row = &hot[*id as usize];
            let mask = hot_shortfalls(pod, row);
            *o = if mask == 0 {
                PASS
            } else {
                *seen[mask as usize].get_or_insert_with(|| intern_status(statuses, hot_status(mask)))
            };
        }
    }

    fn filter(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Status {
        let mut status = Status::success();
        for_each_shortfall(self, pod, node, |resource, requested, _, capacity| {
            status.code = match status.code {
                Code::Success | Code::Unschedulable if resource != PODS && requested > capacity => {
                    Code::UnschedulableAndUnresolvable
                }
                Code::Success => Code::Unschedulable,
                code => code,
            };
            status.reasons.push(reason(resource));
        });
        status
    }
}

impl PreScorePlugin for Fit {
    fn pre_score(&self, _: &mut CycleState, _: &Pod, _: &[NodeId], _: &Cluster) -> Status {
        Status::success()
    }
}

/// Upstream `calculateResourceAllocatableRequest`: (allocatable, requested-with-pod) of resource
/// `name` on `node`; `(0, 0)` means "skip this resource". `use_requested` selects declared
/// requests (BalancedAllocation) over the non-zero view (the Fit scorers) for cpu and memory.
/// `pod_requests` are the pod's requests as the scorer counts them.
pub fn allocatable_and_requested(
    node: &NodeInfo,
    pod_requests: &Resources,
    name: &str,
    use_requested: bool,
) -> (i64, i64) {
    let pod_req = pod_requests.get(name);
    if pod_req == 0 && is_scalar_resource(name) {
        return (0, 0);
    }
    let alloc = &node.node.allocatable;
    let node_req = if use_requested { &node.requested } else { &node.non_zero_requested };
    match name {
        CPU => (alloc.milli_cpu, node_req.milli_cpu + pod_req),
        MEMORY => (alloc.memory, node_req.memory + pod_req),
        EPHEMERAL_STORAGE => (alloc.ephemeral_storage, node.requested.ephemeral_storage + pod_req),
        _ => match alloc.scalar.get(name) {
            Some(a) => (*a, node.requested.scalar.get(name).copied().unwrap_or(0) + pod_req),
            None => (0, 0),
        },
    }
}

fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    score_fraction(capacity - requested, capacity)
}

fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    score_fraction(requested.min(capacity), capacity)
}

/// `part · 100 / whole` rounded down, for `0 ≤ part ≤ whole`, `whole > 0`: upstream's integer
/// arithmetic. Below 2^46 it divides in f64, which gives the same integer and is several times
/// faster than a 64-bit integer division: `part · 100 < 2^53` is exact in f64, and a correctly
/// rounded quotient `t = q + r/whole` with `r ≥ 1` stays below `q + 1` because
/// `1/whole > (q + 1)·2^-53` whenever `whole·101 < 2^53`.
#[inline]
fn score_fraction(part: i64, whole: i64) -> i64 {
    const EXACT_BELOW: i64 = 1 << 46;
    // Products wrap as upstream's Go `int64` arithmetic does.
    if whole < EXACT_BELOW && part >= 0 {
        (part.wrapping_mul(MAX_NODE_SCORE) as f64 / whole as f64) as i64
    } else {
        part.wrapping_mul(MAX_NODE_SCORE) / whole
    }
}

/// Upstream `helper.BuildBrokenLinearFunction` evaluated at `p`.
pub fn broken_linear(shape: &[UtilizationShapePoint], p: i64) -> i64 {
    for (i, pt) in shape.iter().enumerate() {
        if p <= pt.utilization {
            if i == 0 {
                return shape[0].score;
            }
            let prev = shape[i - 1];
            return prev.score
                + (pt.score - prev.score) * (p - prev.utilization) / (pt.utilization - prev.utilization);
        }
    }
    shape.last().map(|p| p.score).unwrap_or(0)
}

/// The pod's requests as the Fit *scorer* counts them. Upstream v1.35.4 builds the scorer
/// (`nodeResourceStrategyTypeMap` in `noderesources/fit.go`) without `enablePodLevelResources`,
/// so `calculatePodResourceRequest` (`resource_allocation.go`) runs `PodRequests` with
/// `SkipPodLevelResources`: the containers' requests, each missing cpu/memory request counted as
/// 100m / 200Mi, plus overhead — pod-level `spec.resources` are ignored. (The Fit *filter* and
/// BalancedAllocation do count them, and so does the node's accounting of bound pods.)
pub fn fit_score_requests(pod: &Pod) -> Cow<'_, Resources> {
    if pod.pod_level_requests.is_empty() {
        return Cow::Borrowed(&pod.non_zero_requests);
    }
    let mut r = pod.aggregate_container_requests(true);
    r.add(&pod.overhead);
    Cow::Owned(r)
}

impl ScorePlugin for Fit {
    fn score(&self, _: &CycleState, pod: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        let req = fit_score_requests(pod);
        Ok(self.score_of(|_, r| allocatable_and_requested(node, &req, &r.name, false)))
    }

    /// Over the nodes' [`crate::model::NodeHot`] rows when the scored resources are cpu and memory only.
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[NodeId],
        cluster: &Cluster,
        out: &mut [i64],
    ) -> Result<(), Status> {
        if !cpu_and_memory_only(&self.resources) {
            for (o, id) in out.iter_mut().zip(nodes) {
                *o = self.score(state, pod, cluster.node(*id), cluster)?;
            }
            return Ok(());
        }
        let hot = cluster.hot();
        if let (Some((wc, wm)), ScoringStrategy::LeastAllocated | ScoringStrategy::MostAllocated) =
            (cpu_memory_weights(&self.resources), &self.strategy)
        {
            // The default resources under the two linear strategies, written out.
            let least = self.strategy == ScoringStrategy::LeastAllocated;
            let one = |alloc: i64, req: i64| {
                if least { least_requested_score(req, alloc) } else { most_requested_score(req, alloc) }
            };
            let req = fit_score_requests(pod);
            let (cpu, memory) = (req.milli_cpu, req.memory);
            // Chunks of nodes go through a branch-free loop the compiler vectorises (the
            // divisions are the cost); a chunk with a node outside its exactness bounds (no
            // allocatable cpu or memory, or 2^46 and more) takes the plain loop below.
            const CHUNK: usize = 8;
            const EXACT_BELOW: i64 = 1 << 46;
            let mut done = 0;
            if wc == 1 && wm == 1 {
                for (outs, ids) in out.chunks_exact_mut(CHUNK).zip(nodes.chunks_exact(CHUNK)) {
                    let mut part = [[0.0f64; CHUNK]; 2];
                    let mut whole = [[1.0f64; CHUNK]; 2];
                    let mut plain = false;
                    for (k, id) in ids.iter().enumerate() {
                        let h = &hot[*id as usize];
                        for (r, (a, q)) in [
                            (h.allocatable_milli_cpu, h.non_zero_milli_cpu + cpu),
                            (h.allocatable_memory, h.non_zero_memory + memory),
                        ]
                        .into_iter()
                        .enumerate()
                        {
                            plain |= a <= 0 || a >= EXACT_BELOW || q < 0;
                            let p = if least { (a - q).max(0) } else { q.min(a) };
                            part[r][k] = (p * MAX_NODE_SCORE) as f64;
                            whole[r][k] = a as f64;
                        }
                    }
                    if plain {
                        break;
                    }
                    for k in 0..CHUNK {
                        let c = (part[0][k] / whole[0][k]) as i32;
                        let m = (part[1][k] / whole[1][k]) as i32;
                        outs[k] = i64::from((c + m) >> 1);
                    }
                    done += CHUNK;
                }
            }
            for (o, id) in out[done..].iter_mut().zip(&nodes[done..]) {
                let h = &hot[*id as usize];
                let (mut sum, mut weights) = (0, 0);
                if h.allocatable_milli_cpu != 0 {
                    sum += one(h.allocatable_milli_cpu, h.non_zero_milli_cpu + cpu) * wc;
                    weights += wc;
                }
                if h.allocatable_memory != 0 {
                    sum += one(h.allocatable_memory, h.non_zero_memory + memory) * wm;
                    weights += wm;
                }
                *o = match weights {
                    0 => 0,
                    2 => sum >> 1, // weights 1 and 1, the default: sum ≥ 0
                    // sum ≤ 100·Σweights: the f64 quotient truncates to the integer one.
                    w => (sum as f64 / w as f64) as i64,
                };
            }
            return Ok(());
        }
        let is_cpu: smallvec::SmallVec<[bool; 4]> = self.resources.iter().map(|r| r.name == CPU).collect();
        let req = fit_score_requests(pod);
        let (cpu, memory) = (req.milli_cpu, req.memory);
        for (o, id) in out.iter_mut().zip(nodes) {
            let h = &hot[*id as usize];
            *o = self.score_of(|i, _| {
                if is_cpu[i] {
                    (h.allocatable_milli_cpu, h.non_zero_milli_cpu + cpu)
                } else {
                    (h.allocatable_memory, h.non_zero_memory + memory)
                }
            });
        }
        Ok(())
    }
}

/// The weights of cpu and memory when `resources` are exactly those two (in either order).
pub fn cpu_memory_weights(resources: &[ResourceSpec]) -> Option<(i64, i64)> {
    match resources {
        [a, b] if a.name == CPU && b.name == MEMORY => Some((a.weight, b.weight)),
        [a, b] if a.name == MEMORY && b.name == CPU => Some((b.weight, a.weight)),
        _ => None,
    }
}

/// True when `resources` name only cpu and memory (the resources a [`crate::model::NodeHot`] row
/// carries).
pub fn cpu_and_memory_only(resources: &[ResourceSpec]) -> bool {
    resources.iter().all(|r| r.name == CPU || r.name == MEMORY)
}

impl Fit {
    /// The strategy's score from each scored resource's (allocatable, requested with the pod).
    fn score_of(&self, mut alloc_req: impl FnMut(usize, &ResourceSpec) -> (i64, i64)) -> i64 {
        let mut node_score = 0i64;
        let mut weight_sum = 0i64;
        for (i, r) in self.resources.iter().enumerate() {
            let (alloc, req) = alloc_req(i, r);
            if alloc == 0 {
                continue;
            }
            let s = match &self.strategy {
                ScoringStrategy::LeastAllocated => least_requested_score(req, alloc),
                ScoringStrategy::MostAllocated => most_requested_score(req, alloc),
                ScoringStrategy::RequestedToCapacityRatio(shape) => {
                    let u = if req > alloc {
                        MAX_UTILIZATION
                    } else {
                        (req as i128 * MAX_UTILIZATION as i128 / alloc as i128) as i64
                    };
                    let s = broken_linear(shape, u);
                    if s <= 0 {
                        continue;
                    }
                    s
                }
            };
            node_score += s * r.weight;
            weight_sum += r.weight;
        }
        if weight_sum == 0 {
            return 0;
        }
        match self.strategy {
            ScoringStrategy::RequestedToCapacityRatio(_) => {
                (node_score as f64 / weight_sum as f64).round() as i64
            }
            _ => node_score / weight_sum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v1 defaulting: an empty `resources` list means cpu and memory, weight 1.
    #[test]
    fn empty_resource_list_defaults_to_cpu_and_memory() {
        let fit =
            Fit::new(&serde_json::json!({"scoringStrategy": {"type": "MostAllocated", "resources": []}}))
                .unwrap();
        assert_eq!(fit.resources, default_resources());
        assert_eq!(fit.strategy, ScoringStrategy::MostAllocated);
    }

    /// `IsExtendedResourceName`: a `/` and no `kubernetes.io/` anywhere in the name.
    #[test]
    fn extended_resource_names_as_upstream() {
        assert!(is_extended_resource_name("example.com/foo"));
        assert!(!is_extended_resource_name("kubernetes.io/foo"));
        assert!(!is_extended_resource_name("sub.kubernetes.io/foo"));
        assert!(!is_extended_resource_name("hugepages-2Mi"));
        assert!(!is_extended_resource_name("cpu"));
    }

    /// Filter from the NodeHot row gives Filter's status on the NodeInfo: pods with and without
    /// cpu/memory requests, on nodes full of pods, short of cpu, of memory, of both, or with a
    /// request above the whole allocatable.
    #[test]
    fn filter_from_the_node_hot_row_matches_filter() {
        use crate::model::{Node, simple_pod};
        let fit = Fit::new(&serde_json::Value::Null).unwrap();
        let mut c = Cluster::new();
        for (i, (cpu, mem, pods)) in
            [(4000, 8 << 30, 110), (1000, 1 << 30, 2), (500, 4 << 30, 110), (0, 0, 0)].into_iter().enumerate()
        {
            let allocatable = Resources { milli_cpu: cpu, memory: mem, pods, ..Default::default() };
            c.add_node(Node {
                name: format!("n{i}"),
                labels: Default::default(),
                taints: vec![],
                unschedulable: false,
                capacity: allocatable.clone(),
                allocatable,
                images: vec![],
            })
            .unwrap();
        }
        for (k, (cpu, mem, node)) in
            [(300, 512 << 20, 1), (300, 0, 1), (0, 0, 2), (800, 0, 0)].into_iter().enumerate()
        {
            let id = c.add_pod(simple_pod(
                &format!("e{k}"),
                Resources { milli_cpu: cpu, memory: mem, ..Default::default() },
            ));
            c.bind(id, node).unwrap();
        }
        let cs = CycleState::new();
        let mut seen = std::collections::BTreeSet::new();
        for (cpu, mem) in [(0, 0), (100, 0), (800, 0), (0, 1 << 30), (600, 6 << 30), (5000, 16 << 30)] {
            let pod = simple_pod("p", Resources { milli_cpu: cpu, memory: mem, ..Default::default() });
            assert!(fit.fast_filter(&cs, &pod).is_some());
            let mut out = [0u32; 4];
            let mut table = Vec::new();
            fit.filter_nodes(&cs, &pod, &[0, 1, 2, 3], &c, &mut out, &mut table);
            for id in 0..4 {
                let want = fit.filter(&cs, &pod, c.node(id), &c);
                assert_eq!(fit.filter_node(&cs, &pod, id, &c), want, "pod {cpu}m/{mem} on n{id}");
                let batch = if out[id as usize] == PASS {
                    Status::success()
                } else {
                    table[out[id as usize] as usize].clone()
                };
                assert_eq!(batch, want, "pod {cpu}m/{mem} on n{id}, in a chunk");
                seen.insert(want.message());
            }
        }
        assert!(seen.len() >= 5, "the cases cover several statuses: {seen:?}");
    }
}
