//! DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting
//! lower-priority pods lets it fit, choose the fewest and least important victims there, and
//! nominate that node.
//!
//! Mirrors Kubernetes v1.35 `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`
//! (`PostFilter`, `calculateNumCandidates`, `SelectVictimsOnNode`, `PodEligibleToPreemptOthers`,
//! `filterPodsWithPDBViolation`) and `pkg/scheduler/framework/preemption/preemption.go`
//! (`Evaluator.Preempt`, `findCandidates`, `DryRunPreemption`, `SelectCandidate`,
//! `pickOneNodeForPreemption`). Deterministic readings of upstream's concurrency and map order:
//!
//! - potential nodes are taken in the snapshot's node order (upstream iterates a Go map);
//! - the dry run visits them sequentially from the offset (upstream runs 16 workers and stops
//!   once enough candidates were found, so the exact candidate set can vary upstream);
//! - the final tie of `pickOneNodeForPreemption` ("the first node", from Go map order, so
//!   effectively random) is the first candidate in dry-run order when no seed is given, and a
//!   uniform draw among the tied candidates when one is.
//!
//! Whether the preemptor fits once victims are gone is decided by re-running the profile's
//! PreFilter and Filter plugins on a copy of the cluster with the victims unbound (upstream
//! updates its PreFilter state through `PreFilterExtensions.RemovePod/AddPod` instead; both give
//! the state of the cluster without the victims). Nominated pods are not modelled, so
//! `RunFilterPluginsWithNominatedPods` reduces to the plain Filter pass.
//!
//! Engine integration (evicting the victims after their grace period, `nominatedNodeName` in the
//! queue, clearing lower-priority nominations) is not done here: callers act on the returned
//! [`PreemptionResult`].

mod candidates;
mod pick;
mod state;
#[cfg(test)]
mod tests;

use rand::{RngExt, SeedableRng};
use serde::Deserialize;

#[cfg(test)]
pub(crate) use candidates::select_victims_on_nodes;
pub use candidates::{Candidate, filter_pods_with_pdb_violation, more_important_pod, select_victims_on_node};
pub use pick::pick_one_node_for_preemption;
pub use state::pod_fits_on_node;

use crate::model::{Cluster, NodeId, Pod, PreemptionPolicy};
use crate::scheduler::framework::{
    Code, CycleState, Plugin, PostFilterInput, PostFilterPlugin, PostFilterResult, Status,
};

/// Upstream name.
pub const NAME: &str = "DefaultPreemption";

/// What DefaultPreemption decided: the nominated node, the victims (most important first), the
/// number of PDB-violating victims and the status. The same type every PostFilter returns.
pub type PreemptionResult = PostFilterResult;

/// Message of a preemptor with `preemptionPolicy: Never` (upstream, with its final period).
pub const MSG_POLICY_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
/// Message of a preemptor whose nominated node still holds a lower-priority pod terminating
/// because of an earlier preemption.
pub const MSG_TERMINATING_ON_NOMINATED: &str = "not eligible due to a terminating pod on the nominated node.";
/// Status of a node without any lower-priority pod (UnschedulableAndUnresolvable upstream).
pub const MSG_NO_VICTIMS: &str = "No preemption victims found for incoming pod";
/// Status of the nodes the dry run did not try or that were not potential nodes
/// (UnschedulableAndUnresolvable upstream).
pub const MSG_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default = "default_pct")]
    min_candidate_nodes_percentage: i64,
    #[serde(default = "default_abs")]
    min_candidate_nodes_absolute: i64,
}

fn default_pct() -> i64 {
    10
}
fn default_abs() -> i64 {
    100
}

/// `DefaultPreemptionArgs` (defaults 10 % and 100).
#[derive(Debug)]
pub struct DefaultPreemption {
    /// `minCandidateNodesPercentage`.
    pub min_candidate_nodes_percentage: i64,
    /// `minCandidateNodesAbsolute`.
    pub min_candidate_nodes_absolute: i64,
}

impl DefaultPreemption {
    /// Builds the plugin from `DefaultPreemptionArgs` (`Value::Null` for defaults).
    ///
    /// # Errors
    /// Unknown fields or values outside upstream's validation ranges.
    pub fn new(args: &serde_json::Value) -> Result<Self, String> {
        let a: Args = if args.is_null() {
            Args {
                min_candidate_nodes_percentage: default_pct(),
                min_candidate_nodes_absolute: default_abs(),
            }
        } else {
            serde_json::from_value(args.clone()).map_err(|e| format!("invalid DefaultPreemptionArgs: {e}"))?
        };
        if !(0..=100).contains(&a.min_candidate_nodes_percentage) {
            return Err("minCandidateNodesPercentage: not in valid range [0, 100]".into());
        }
        if a.min_candidate_nodes_absolute < 0 {
            return Err("minCandidateNodesAbsolute: not in valid range [0, inf)".into());
        }
        if a.min_candidate_nodes_percentage == 0 && a.min_candidate_nodes_absolute == 0 {
            return Err(
                "minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be zero".into()
            );
        }
        Ok(Self {
            min_candidate_nodes_percentage: a.min_candidate_nodes_percentage,
            min_candidate_nodes_absolute: a.min_candidate_nodes_absolute,
        })
    }

    /// Upstream `calculateNumCandidates`: how many candidates the dry run must find among
    /// `num_nodes` potential nodes: `max(num_nodes·percentage/100, absolute)`, at most `num_nodes`.
    pub fn calculate_num_candidates(&self, num_nodes: usize) -> usize {
        let n = num_nodes as i64 * self.min_candidate_nodes_percentage / 100;
        n.max(self.min_candidate_nodes_absolute).min(num_nodes as i64) as usize
    }

    /// Upstream `Evaluator.Preempt` (without the `preemption: ` prefix [`PostFilterPlugin::post_filter`]
    /// adds): eligibility, candidates from a dry run over the potential nodes, the best candidate.
    ///
    /// - not eligible → `Unschedulable` with the reason, nomination left as is;
    /// - no candidate → `Unschedulable` with a FitError message over all nodes (nodes that were
    ///   not tried count as "Preemption is not helpful for scheduling"), nomination cleared;
    /// - dry-run errors and no candidate → `Error`;
    /// - otherwise `Success`, the chosen node and its victims.
    pub fn preempt(&self, pod: &Pod, cluster: &Cluster, input: &PostFilterInput<'_>) -> PreemptionResult {
        // 1) Eligibility.
        if let Err(msg) = pod_eligible_to_preempt_others(pod, cluster, input) {
            return PostFilterResult::noop(Status::unschedulable(msg));
        }
        let num_all_nodes = cluster.node_order().len();
        if num_all_nodes == 0 {
            return PostFilterResult::noop(Status::error("no nodes available"));
        }
        // 2) Candidates. Potential nodes: those Filter found Unschedulable (not ...AndUnresolvable).
        let mut codes = vec![Code::UnschedulableAndUnresolvable; cluster.num_nodes()];
        for (id, status) in input.node_statuses.iter() {
            codes[id as usize] = status.code;
        }
        let potential: Vec<NodeId> = cluster
            .node_order()
            .iter()
            .copied()
            .filter(|id| codes[*id as usize] == Code::Unschedulable)
            .collect();
        let mut rng = input.seed.map(rand_chacha::ChaCha8Rng::seed_from_u64);
        let run = if potential.is_empty() {
            candidates::DryRun::default()
        } else {
            let pdbs: Vec<(&crate::model::PodDisruptionBudget, i32)> =
                cluster.pdbs().iter().map(|p| (p, p.effective_disruptions_allowed(cluster))).collect();
            let offset = match rng.as_mut() {
                Some(r) => r.random_range(0..potential.len()),
                None => 0,
            };
            let num = self.calculate_num_candidates(potential.len());
            candidates::dry_run_preemption(input.profile, pod, cluster, &potential, &pdbs, offset, num)
        };
        if run.candidates.is_empty() {
            if !run.errors.is_empty() {
                return PostFilterResult::noop(Status::error(aggregate_errors(&run.errors)));
            }
            let message = fit_error_message(num_all_nodes, &run.statuses);
            return PostFilterResult {
                clear_nomination: true,
                ..PostFilterResult::noop(Status::unschedulable(message))
            };
        }
        // 4) The best candidate.
        let best = if run.candidates.len() == 1 {
            0
        } else {
            pick::pick_by_summaries(
                run.candidates.iter().map(|c| (c.summary, c.num_pdb_violations)),
                rng.as_mut(),
            )
        };
        let c = &run.candidates[best];
        PostFilterResult {
            nominated_node: Some(c.node),
            clear_nomination: false,
            victims: run.victims[c.from..c.to].to_vec(),
            num_pdb_violations: c.num_pdb_violations,
            status: Status::success(),
        }
    }
}

/// The Filter status code of `node` in this cycle; nodes not listed count as
/// UnschedulableAndUnresolvable (upstream's default absent-node status).
fn node_status_code(input: &PostFilterInput<'_>, node: NodeId) -> Code {
    input.node_statuses.get(node).map_or(Code::UnschedulableAndUnresolvable, |s| s.code)
}

/// Upstream `PodEligibleToPreemptOthers`: a pod with `preemptionPolicy: Never` may not preempt;
/// a pod whose nominated node (from an earlier preemption) still holds a lower-priority pod that
/// is terminating because of scheduler preemption waits for it, unless Filter found that node
/// UnschedulableAndUnresolvable this cycle. Returns upstream's reason when not eligible.
///
/// # Errors
/// The reason the pod may not preempt ([`MSG_POLICY_NEVER`], [`MSG_TERMINATING_ON_NOMINATED`]).
pub fn pod_eligible_to_preempt_others(
    pod: &Pod,
    cluster: &Cluster,
    input: &PostFilterInput<'_>,
) -> Result<(), &'static str> {
    if pod.preemption_policy == PreemptionPolicy::Never {
        return Err(MSG_POLICY_NEVER);
    }
    if let Some(nominated) = input.nominated_node {
        if node_status_code(input, nominated) == Code::UnschedulableAndUnresolvable {
            return Ok(());
        }
        if (nominated as usize) < cluster.num_nodes() {
            let waiting =
                cluster.node(nominated).pods.iter().any(|p| {
                    cluster.pod(*p).priority < pod.priority && cluster.is_terminating_by_preemption(*p)
                });
            if waiting {
                return Err(MSG_TERMINATING_ON_NOMINATED);
            }
        }
    }
    Ok(())
}

/// Upstream `FitError.Error()` as `Preempt` builds it when no candidate exists: the reasons of the
/// nodes the dry run rejected, `num_all_nodes − rejected` times "Preemption is not helpful for
/// scheduling", each as `<count> <reason>`, sorted, joined with `, `, after
/// `0/<num_all_nodes> nodes are available:` and followed by a period.
pub fn fit_error_message(num_all_nodes: usize, statuses: &[(NodeId, Status)]) -> String {
    let mut histogram: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (_, s) in statuses {
        for r in &s.reasons {
            *histogram.entry(r.to_string()).or_insert(0) += 1;
        }
    }
    if statuses.len() < num_all_nodes {
        *histogram.entry(MSG_NOT_HELPFUL.to_string()).or_insert(0) += num_all_nodes - statuses.len();
    }
    let mut items: Vec<String> = histogram.iter().map(|(r, c)| format!("{c} {r}")).collect();
    items.sort();
    let mut msg = format!("0/{num_all_nodes} nodes are available:");
    if !items.is_empty() {
        msg.push_str(&format!(" {}.", items.join(", ")));
    }
    msg
}

/// `utilerrors.NewAggregate(errs).Error()`: one message as is; several, deduplicated, joined
/// with `, ` inside brackets.
fn aggregate_errors(errors: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in errors {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    if errors.len() == 1 || seen.len() == 1 { seen[0].to_string() } else { format!("[{}]", seen.join(", ")) }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        Some(self)
    }
}

impl PostFilterPlugin for DefaultPreemption {
    /// Upstream `DefaultPreemption.PostFilter`: [`DefaultPreemption::preempt`], with a non-empty
    /// status message prefixed by `preemption: `.
    fn post_filter(
        &self,
        _state: &CycleState,
        pod: &Pod,
        cluster: &Cluster,
        input: &PostFilterInput<'_>,
    ) -> PostFilterResult {
        let mut r = self.preempt(pod, cluster, input);
        let msg = r.status.message();
        if !msg.is_empty() {
            r.status = Status::new(r.status.code, format!("preemption: {msg}"));
        }
        r
    }
}
