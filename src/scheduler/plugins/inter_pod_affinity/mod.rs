//! InterPodAffinity: required pod affinity / anti-affinity as a Filter (with existing pods'
//! required anti-affinity applied symmetrically), preferred terms, and existing pods' terms
//! towards the incoming pod, as a Score.
//!
//! Mirrors `pkg/scheduler/framework/plugins/interpodaffinity/{plugin,filtering,scoring}.go` of
//! Kubernetes v1.35. Terms select pods by label selector within their `namespaces` and the
//! namespaces their `namespaceSelector` picks (default: the declaring pod's namespace); a
//! topology domain is a node label value of the term's `topologyKey`, and nodes without the key
//! belong to no domain. Terminating pods count like any other pod, as upstream.
//!
//! PreFilter and PreScore do the per-pod work once per cycle and leave per-domain tallies in the
//! `CycleState`; Filter and Score are lookups of the node's domain ids. The tallies come from the
//! cluster's pod index (matching pods per domain, existing pods' terms grouped by identical
//! term), so a cycle costs O(distinct terms × domains), not O(pods).

mod filtering;
#[cfg(test)]
pub(crate) mod reference;
mod scoring;
mod terms;

use serde::Deserialize;

pub use filtering::{
    ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
};

use crate::model::{Cluster, NodeId, NodeInfo, Pod, PodId};
use crate::scheduler::framework::{
    CycleState, FilterPlugin, PASS, Plugin, PreFilterOutcome, PreFilterPlugin, PreScorePlugin, ScorePlugin,
    Status, intern_status,
};

/// Upstream name.
pub const NAME: &str = "InterPodAffinity";
/// Upstream's default `hardPodAffinityWeight` (`SetDefaults_InterPodAffinityArgs`).
pub const DEFAULT_HARD_POD_AFFINITY_WEIGHT: i32 = 1;
/// Highest `hardPodAffinityWeight` upstream's `ValidateHardPodAffinityWeight` accepts (lowest: 0).
pub const MAX_HARD_POD_AFFINITY_WEIGHT: i32 = 100;

const PRE_FILTER_KEY: &str = "PreFilterInterPodAffinity";
const PRE_SCORE_KEY: &str = "PreScoreInterPodAffinity";

/// `InterPodAffinityArgs` (kubescheduler.config.k8s.io/v1).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    hard_pod_affinity_weight: Option<i32>,
    #[serde(default)]
    ignore_preferred_terms_of_existing_pods: bool,
}

/// The InterPodAffinity plugin with its validated `InterPodAffinityArgs`.
#[derive(Debug)]
pub struct InterPodAffinity {
    /// `hardPodAffinityWeight`: the score an existing pod's *required* affinity term adds to its
    /// domain when it selects the incoming pod (0 turns that off).
    pub hard_pod_affinity_weight: i32,
    /// `ignorePreferredTermsOfExistingPods`: when set, a pod without preferred (anti-)affinity
    /// terms is not scored by this plugin at all (PreScore returns Skip).
    pub ignore_preferred_terms_of_existing_pods: bool,
}

impl Default for InterPodAffinity {
    /// Upstream's defaults: weight 1, existing pods' preferred terms honoured.
    fn default() -> Self {
        Self {
            hard_pod_affinity_weight: DEFAULT_HARD_POD_AFFINITY_WEIGHT,
            ignore_preferred_terms_of_existing_pods: false,
        }
    }
}

impl InterPodAffinity {
    /// Builds the plugin from `InterPodAffinityArgs` (`Value::Null` for defaults), defaulting and
    /// validating them as upstream's `SetDefaults_InterPodAffinityArgs` and
    /// `ValidateInterPodAffinityArgs` do.
    ///
    /// # Errors
    /// Unknown fields, wrong types, or `hardPodAffinityWeight` outside 0..=100.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        if args.is_null() {
            return Ok(Self::default());
        }
        let a: Args =
            serde_json::from_value(args.clone()).map_err(|e| format!("invalid InterPodAffinityArgs: {e}"))?;
        let w = a.hard_pod_affinity_weight.unwrap_or(DEFAULT_HARD_POD_AFFINITY_WEIGHT);
        if !(0..=MAX_HARD_POD_AFFINITY_WEIGHT).contains(&w) {
            return Err(format!(
                "hardPodAffinityWeight: Invalid value: {w}: not in valid range [0, {MAX_HARD_POD_AFFINITY_WEIGHT}]"
            ));
        }
        Ok(Self {
            hard_pod_affinity_weight: w,
            ignore_preferred_terms_of_existing_pods: a.ignore_preferred_terms_of_existing_pods,
        })
    }
}

impl Plugin for InterPodAffinity {
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

impl PreFilterPlugin for InterPodAffinity {
    /// The state counts existing pods (upstream's AddPod/RemovePod extensions update it).
    fn reads_other_pods(&self) -> bool {
        true
    }

    /// Upstream `RemovePod` (`updateWithPod` with −1).
    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        removed: PodId,
        node: &NodeInfo,
        cluster: &Cluster,
    ) {
        if let Some(s) = state.read_mut::<filtering::PreFilterState>(PRE_FILTER_KEY) {
            filtering::update_with_pod(s, pod, removed, node, cluster, -1);
        }
    }

    /// Upstream `AddPod` (`updateWithPod` with +1).
    fn add_pod(&self, state: &mut CycleState, pod: &Pod, added: PodId, node: &NodeInfo, cluster: &Cluster) {
        if let Some(s) = state.read_mut::<filtering::PreFilterState>(PRE_FILTER_KEY) {
            filtering::update_with_pod(s, pod, added, node, cluster, 1);
        }
    }

    /// Upstream `PreFilter`: UnschedulableAndUnresolvable when a term of the pod does not parse;
    /// Skip when no existing pod's required anti-affinity selects the pod and it has no required
    /// terms itself; otherwise the per-domain tallies for Filter.
    fn pre_filter(&self, state: &mut CycleState, pod: &Pod, cluster: &Cluster) -> PreFilterOutcome {
        match filtering::pre_filter(pod, cluster) {
            Err(status) => (None, status),
            Ok(None) => (None, Status::skip()),
            Ok(Some(s)) => {
                state.write(PRE_FILTER_KEY, s);
                (None, Status::success())
            }
        }
    }
}

impl FilterPlugin for InterPodAffinity {
    /// Upstream `Filter`; an Error when PreFilter did not run (as upstream's missing state).
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo, cluster: &Cluster) -> Status {
        self.filter_node(state, pod, node.id, cluster)
    }

    /// [`FilterPlugin::filter`] from the node's id (its domains), without its `NodeInfo`.
    fn filter_node(&self, state: &CycleState, _: &Pod, id: NodeId, _: &Cluster) -> Status {
        match state.read::<filtering::PreFilterState>(PRE_FILTER_KEY) {
            Some(s) => filtering::filter(s, id),
            None => Status::error(format!("error reading {PRE_FILTER_KEY:?} from cycleState")),
        }
    }

    /// [`FilterPlugin::filter_node`] over a chunk of nodes, reading the state once.
    fn filter_nodes(
        &self,
        state: &CycleState,
        pod: &Pod,
        ids: &[NodeId],
        cluster: &Cluster,
        out: &mut [u32],
        statuses: &mut Vec<Status>,
    ) {
        let Some(s) = state.read::<filtering::PreFilterState>(PRE_FILTER_KEY) else {
            let e = intern_status(statuses, self.filter_node(state, pod, 0, cluster));
            out.fill(e);
            return;
        };
        let mut seen: [Option<u32>; 3] = [None; 3];
        let checks = s.checks();
        for (o, id) in out.iter_mut().zip(ids) {
            *o = match filtering::verdict_by(&checks, *id) {
                None => PASS,
                Some(k) => *seen[k].get_or_insert_with(|| intern_status(statuses, filtering::rejection(k))),
            };
        }
    }
}

impl PreScorePlugin for InterPodAffinity {
    /// Upstream `PreScore`, see `scoring.rs`: Skip with `ignorePreferredTermsOfExistingPods` and no
    /// preferred terms on the pod, or when no existing pod contributes to any domain; an Error
    /// when a term of the pod does not parse.
    fn pre_score(&self, state: &mut CycleState, pod: &Pod, _: &[NodeId], cluster: &Cluster) -> Status {
        if let Some(e) = terms::pod_parse_error(pod) {
            // Unreachable in a full cycle: PreFilter already rejected the pod.
            return Status::error(format!("failed to parse pod: {e}"));
        }
        match scoring::pre_score(
            pod,
            cluster,
            self.hard_pod_affinity_weight,
            self.ignore_preferred_terms_of_existing_pods,
        ) {
            None => Status::skip(),
            Some(s) => {
                state.write(PRE_SCORE_KEY, s);
                Status::success()
            }
        }
    }
}

impl ScorePlugin for InterPodAffinity {
    /// Upstream `Score`: the summed weights of the node's domains (may be negative before
    /// NormalizeScore).
    fn score(&self, state: &CycleState, _: &Pod, node: &NodeInfo, _: &Cluster) -> Result<i64, Status> {
        match state.read::<scoring::PreScoreState>(PRE_SCORE_KEY) {
            Some(s) => Ok(scoring::score(s, node.id)),
            None => {
                Err(Status::error(format!("failed to read {PRE_SCORE_KEY:?} from cycleState: not found")))
            }
        }
    }

    /// [`ScorePlugin::score`] of each node from its id (its domains), without its `NodeInfo`.
    fn score_nodes(
        &self,
        state: &CycleState,
        _: &Pod,
        nodes: &[NodeId],
        _: &Cluster,
        out: &mut [i64],
    ) -> Result<(), Status> {
        let Some(s) = state.read::<scoring::PreScoreState>(PRE_SCORE_KEY) else {
            return Err(Status::error(format!(
                "failed to read {PRE_SCORE_KEY:?} from cycleState: not found"
            )));
        };
        for (o, id) in out.iter_mut().zip(nodes) {
            *o = scoring::score(s, *id);
        }
        Ok(())
    }

    fn has_normalize(&self) -> bool {
        true
    }

    /// Upstream `NormalizeScore`: min-max scaling to 0..=100 over the scored nodes.
    fn normalize_score(&self, state: &CycleState, _: &Pod, scores: &mut [i64]) -> Status {
        match state.read::<scoring::PreScoreState>(PRE_SCORE_KEY) {
            Some(_) => {
                // PreScore leaves a state only when some existing pod contributed, so upstream's
                // score map is never empty here.
                scoring::normalize(false, scores);
                Status::success()
            }
            None => Status::error(format!("failed to read {PRE_SCORE_KEY:?} from cycleState: not found")),
        }
    }
}

#[cfg(test)]
mod tests;
