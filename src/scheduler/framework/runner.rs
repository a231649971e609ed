//! One scheduling cycle: PreFilter → Filter (with percentageOfNodesToScore and the rotating start
//! index) → PreScore → Score → NormalizeScore → weights → host selection.
//!
//! Mirrors `pkg/scheduler/schedule_one.go` (`schedulePod`, `findNodesThatFitPod`,
//! `findNodesThatPassFilters`, `numFeasibleNodesToFind`, `prioritizeNodes`, `selectHost`) and
//! `framework/runtime/framework.go` of v1.35. Upstream filters in parallel and stops after
//! *roughly* the first K feasible nodes; capsim filters sequentially and takes exactly the first K
//! in rotation order, which is the deterministic reading of the same rule.
//!
//! [`schedule_pod`] runs one function per phase, in upstream's order: `run_pre_filter`,
//! `find_nodes_that_pass_filters` (with the hot `filter_nodes` loop), `post_filter` (preemption),
//! `run_pre_score`, `prioritize_nodes` (Score, NormalizeScore, weights) and `select_host`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use rand::{Rng, RngExt};

use super::post_filter::post_filter;
use super::profile::Profile;
use super::{
    Code, CycleState, FastFilter, FilterPlugin, MAX_NODE_SCORE, MIN_NODE_SCORE, NodeStatuses, PASS,
    PostFilterResult, Status,
};
use crate::model::{Cluster, FilterRow, NodeId, Pod};

/// `minFeasibleNodesToFind`: below this many nodes every node is evaluated.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`: the adaptive percentage never drops below this.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

/// The name per-plugin timing gives the Filter loop's combined NodeHot conditions
/// ([`super::FilterPlugin::fast_filter`]) of the plugins that have one.
pub const FAST_FILTER_TIMING_NAME: &str = "(NodeHot conditions)";

/// How ties among the top-scored nodes are broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieBreak {
    /// Uniformly at random with the run's tie-break stream, as kube-scheduler does.
    Random,
    /// The lowest node id (the node added first), as the oracle harness does for reproducibility.
    FirstNode,
}

/// Scheduler state that persists across cycles of one scheduler (all profiles share it).
#[derive(Clone, Debug, Default)]
pub struct SchedulerState {
    /// Upstream `nextStartNodeIndex`: where the next Filter pass starts in the node list.
    pub next_start_node_index: usize,
}

/// Per-plugin, weighted scores of the feasible nodes, recorded when a cycle is explained.
#[derive(Clone, Debug, Default)]
pub struct ScoreTable {
    /// Score plugins that ran, in profile order.
    pub plugins: Vec<&'static str>,
    /// Per feasible node: node id, weighted score per plugin (same order as `plugins`), total.
    pub rows: Vec<(NodeId, Vec<i64>, i64)>,
}

/// Why a pod fits nowhere (upstream `FitError`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitError {
    /// Nodes in the snapshot.
    pub num_all_nodes: usize,
    /// The message, e.g. `0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated
    /// taint(s).`. When PostFilter ran ([`CycleOptions::run_post_filter`]) and returned a message,
    /// it follows after a space, as upstream's `FitError.Error()` appends `PostFilterMsg`:
    /// `... 1 node(s) had untolerated taint(s). preemption: 0/3 nodes are available: ...`.
    pub message: String,
    /// True when every rejection was UnschedulableAndUnresolvable (preemption cannot help).
    pub unresolvable: bool,
}

/// The result of one cycle.
#[derive(Clone, Debug)]
pub struct CycleResult {
    /// The chosen node, a fit error, or a scheduler error message.
    pub outcome: CycleOutcome,
    /// Nodes that passed Filter, in evaluation order.
    pub feasible: Vec<NodeId>,
    /// Rejected nodes with the status that rejected them (tagged with the plugin), in evaluation
    /// order (the nodes a PreFilterResult left out first).
    pub rejected: NodeStatuses,
    /// Scores, when the cycle was asked to record them (and more than one node was feasible).
    pub scores: Option<ScoreTable>,
    /// The GPU devices the chosen node gives a GPU pod, when the profile's heaviest Score plugin
    /// chose them ([`crate::scheduler::framework::ScorePlugin::select_gpus`]); `None`: the
    /// default choice at binding.
    pub gpus: Option<Vec<u8>>,
    /// Plugins whose PreFilter returned Skip.
    pub prefilter_skipped: Vec<&'static str>,
    /// Plugins whose PreScore returned Skip.
    pub prescore_skipped: Vec<&'static str>,
    /// True when a PreFilter plugin rejected the pod outright: every node in `rejected` carries
    /// that plugin's status.
    pub prefilter_rejected: bool,
    /// The node names the PreFilter plugins' PreFilterResults allowed (intersected), when any
    /// plugin narrowed the nodes; the other nodes are rejected with "didn't satisfy plugin(s)".
    pub prefilter_result: Option<BTreeSet<String>>,
    /// The PostFilter verdict (preemption: nominated node, victims, status), when the pod fit
    /// nowhere, [`CycleOptions::run_post_filter`] was set and the profile has PostFilter plugins.
    pub post_filter: Option<PostFilterResult>,
    /// With [`CycleOptions::record_scores`] and exactly one feasible node: the PreScore/Score
    /// error kube-scheduler never meets, because it binds a single feasible node unscored.
    pub score_error: Option<String>,
}

/// What a cycle decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CycleOutcome {
    /// Schedule on this node.
    Scheduled(NodeId),
    /// No node fits.
    Unschedulable(FitError),
    /// A plugin returned an error (upstream `SchedulerError`).
    Error(String),
}

/// Options of one cycle.
#[derive(Clone, Copy, Debug)]
pub struct CycleOptions {
    /// Tie-break rule.
    pub tie_break: TieBreak,
    /// Record per-plugin scores (for `explain` and conformance tests). Also scores a single
    /// feasible node, which kube-scheduler would bind without scoring, and filters every node of
    /// a profile without Score plugins, where kube-scheduler stops at the first feasible node (so
    /// every node's verdict is explained, as the oracle harness reports it).
    pub record_scores: bool,
    /// Run the PostFilter plugins (DefaultPreemption) when no node is feasible, as kube-scheduler
    /// does, and report their verdict in [`CycleResult::post_filter`] and the FitError message.
    /// Off, the cycle stops at the FitError (the oracle harness's behaviour). Under
    /// [`TieBreak::Random`] the PostFilter's random draws come from the cycle's `rng`; under
    /// [`TieBreak::FirstNode`] it takes the deterministic reading (offset 0, first node).
    pub run_post_filter: bool,
    /// The pod's `status.nominatedNodeName`: Filter tries it first (upstream
    /// `evaluateNominatedNode`) and DefaultPreemption's eligibility rule reads it.
    pub nominated_node: Option<NodeId>,
}

/// `numFeasibleNodesToFind`: how many feasible nodes a cycle looks for among `num_all_nodes`,
/// given the profile's (or global) `percentageOfNodesToScore` (`None` or 0: adaptive
/// `50 − n/125`, floored at 5 %; at least 100 nodes).
pub fn num_feasible_nodes_to_find(percentage: Option<i32>, num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut p = percentage.unwrap_or(0) as i64;
    if p == 0 {
        p = 50 - num_all_nodes as i64 / 125;
        if p < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND {
            p = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
        }
    }
    if p >= 100 {
        return num_all_nodes;
    }
    let n = num_all_nodes as i64 * p / 100;
    (n.max(MIN_FEASIBLE_NODES_TO_FIND as i64)) as usize
}

/// The percentage of nodes a cycle over `num_all_nodes` effectively evaluates: 100 when every
/// node is sought (fewer than 100 nodes, or a configured 100), else the configured value or the
/// adaptive `50 − n/125` floored at 5.
pub fn effective_percentage(percentage: Option<i32>, num_all_nodes: usize) -> i32 {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND || percentage.is_some_and(|p| p >= 100) {
        return 100;
    }
    match percentage.unwrap_or(0) {
        0 => (50 - num_all_nodes as i64 / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) as i32,
        p => p,
    }
}

/// Runs one scheduling cycle of `pod` against `cluster` with `profile` (upstream `schedulePod`).
///
/// `rng` is the run's tie-break stream (used only under [`TieBreak::Random`] when several nodes
/// share the top total). `state.next_start_node_index` advances as upstream's does.
pub fn schedule_pod(
    profile: &Profile,
    pod: &Pod,
    cluster: &Cluster,
    state: &mut SchedulerState,
    rng: &mut impl Rng,
    opts: CycleOptions,
) -> CycleResult {
    let mut result = CycleResult {
        outcome: CycleOutcome::Error(String::new()),
        feasible: Vec::new(),
        rejected: NodeStatuses::new(),
        scores: None,
        gpus: None,
        prefilter_skipped: Vec::new(),
        prescore_skipped: Vec::new(),
        prefilter_rejected: false,
        prefilter_result: None,
        post_filter: None,
        score_error: None,
    };
    let all = cluster.node_order();
    if all.is_empty() {
        result.outcome = CycleOutcome::Unschedulable(FitError {
            num_all_nodes: 0,
            message: "no nodes available to schedule pods".into(),
            unresolvable: true,
        });
        return result;
    }
    let mut cs = CycleState::new();
    let timed = super::timing::enabled();

    let pre = match run_pre_filter(profile, &mut cs, pod, cluster, timed) {
        Ok(pre) => pre,
        Err(message) => {
            result.outcome = CycleOutcome::Error(message);
            return result;
        }
    };
    result.prefilter_skipped = cs.skip_filter.clone();
    if let Some(status) = pre.rejection {
        result.prefilter_rejected = true;
        for id in all {
            result.rejected.push_keyed(*id, 0, || status.clone());
        }
        let mut fit = FitError {
            num_all_nodes: all.len(),
            message: format!("0/{} nodes are available: {}.", all.len(), status.message()),
            unresolvable: status.code == Code::UnschedulableAndUnresolvable,
        };
        if opts.run_post_filter {
            post_filter(profile, &cs, pod, cluster, rng, opts, &mut result, &mut fit);
        }
        result.outcome = CycleOutcome::Unschedulable(fit);
        return result;
    }

    if find_nodes_that_pass_filters(profile, &cs, pod, cluster, state, opts, &pre, &mut result, timed)
        .is_break()
    {
        return result;
    }
    if result.feasible.is_empty() {
        let mut fit = fit_error(all.len(), &result.rejected);
        if opts.run_post_filter {
            post_filter(profile, &cs, pod, cluster, rng, opts, &mut result, &mut fit);
        }
        result.outcome = CycleOutcome::Unschedulable(fit);
        return result;
    }
    if result.feasible.len() == 1 && !opts.record_scores {
        result.outcome = CycleOutcome::Scheduled(result.feasible[0]);
        result.gpus = select_gpus(profile, &cs, pod, cluster, result.feasible[0]);
        return result;
    }

    let scored = if profile.score.is_empty() {
        // Upstream `prioritizeNodes`: no Score plugin (and no extender) → every node scores 1,
        // before any PreScore runs.
        Ok(all_ones(&result.feasible, opts))
    } else {
        run_pre_score(profile, &mut cs, pod, cluster, rng, &result.feasible, timed).and_then(|()| {
            result.prescore_skipped = cs.skip_score.clone();
            prioritize_nodes(profile, &cs, pod, cluster, opts, &result.feasible, timed)
        })
    };
    let totals = match scored {
        Ok((totals, table)) => {
            result.scores = table;
            totals
        }
        Err(message) if result.feasible.len() == 1 => {
            // Only an explained cycle scores a single feasible node; kube-scheduler binds it
            // without PreScore or Score, so their error cannot stop it.
            result.score_error = Some(message);
            result.outcome = CycleOutcome::Scheduled(result.feasible[0]);
            result.gpus = select_gpus(profile, &cs, pod, cluster, result.feasible[0]);
            return result;
        }
        Err(message) => {
            result.outcome = CycleOutcome::Error(message);
            return result;
        }
    };
    let chosen = select_host(&result.feasible, &totals, opts.tie_break, rng);
    result.outcome = CycleOutcome::Scheduled(chosen);
    result.gpus = select_gpus(profile, &cs, pod, cluster, chosen);
    result
}

/// What the PreFilter plugins decided.
struct PreFilterOutput {
    /// The node names the PreFilterResults allowed (intersected), when any plugin narrowed them.
    allowed: Option<BTreeSet<String>>,
    /// Plugins that returned a PreFilterResult, in profile order (upstream `pluginsWithNodes`).
    plugins_with_nodes: Vec<&'static str>,
    /// The status that rejected the pod on every node, if any.
    rejection: Option<Status>,
}

/// Upstream `RunPreFilterPlugins`: runs the PreFilter plugins in order, noting Skips in `cs`,
/// intersecting their PreFilterResults. `Err` carries the cycle's error message.
fn run_pre_filter(
    profile: &Profile,
    cs: &mut CycleState,
    pod: &Pod,
    cluster: &Cluster,
    timed: bool,
) -> Result<PreFilterOutput, String> {
    let mut allowed: Option<BTreeSet<String>> = None;
    let mut plugins_with_nodes: Vec<&'static str> = Vec::new();
    let mut rejection: Option<Status> = None;
    for p in &profile.pre_filter {
        let pf = p.as_pre_filter().expect("profile lists only PreFilter plugins here");
        let t = timed.then(std::time::Instant::now);
        let (names, status) = pf.pre_filter(cs, pod, cluster);
        if let Some(t) = t {
            super::timing::add("PreFilter", p.name(), t.elapsed());
        }
        if status.is_skip() {
            cs.skip_filter.push(p.name());
            continue;
        }
        if !status.is_success() {
            let status = status.with_plugin(p.name());
            match status.code {
                Code::UnschedulableAndUnresolvable => {
                    rejection = Some(status);
                    break;
                }
                Code::Unschedulable => {
                    rejection = Some(status);
                    continue;
                }
                _ => {
                    return Err(format!("running PreFilter plugin {:?}: {}", p.name(), status.message()));
                }
            }
        }
        if let Some(names) = names {
            plugins_with_nodes.push(p.name());
            allowed = Some(match allowed {
                None => names,
                Some(prev) => prev.intersection(&names).cloned().collect(),
            });
            if allowed.as_ref().is_some_and(|a| a.is_empty()) {
                let msg = if plugins_with_nodes.len() == 1 {
                    format!("node(s) didn't satisfy plugin {}", plugins_with_nodes[0])
                } else {
                    format!(
                        "node(s) didn't satisfy plugin(s) [{}] simultaneously",
                        plugins_with_nodes.join(" ")
                    )
                };
                rejection = Some(Status::unresolvable(msg).with_plugin(p.name()));
                break;
            }
        }
    }
    Ok(PreFilterOutput { allowed, plugins_with_nodes, rejection })
}

/// Upstream `findNodesThatFitPod` / `findNodesThatPassFilters`: Filter over the PreFilterResult's
/// nodes (if any) from the rotating start index, stopping after `numFeasibleNodesToFind`
/// feasible nodes; the nominated node first. Fills `result.feasible` and `result.rejected`;
/// `Break` when the cycle is decided (nominated node chosen, or a Filter error).
#[allow(clippy::too_many_arguments)]
fn find_nodes_that_pass_filters(
    profile: &Profile,
    cs: &CycleState,
    pod: &Pod,
    cluster: &Cluster,
    state: &mut SchedulerState,
    opts: CycleOptions,
    pre: &PreFilterOutput,
    result: &mut CycleResult,
    timed: bool,
) -> ControlFlow<()> {
    let all = cluster.node_order();
    // The PreFilterResult's nodes, in snapshot order (looked up by name: a DaemonSet pod names
    // one node of thousands).
    // With each candidate its FilterRow, in the same order.
    let (candidates, rows): (Cow<'_, [NodeId]>, Cow<'_, [FilterRow]>) = match &pre.allowed {
        None => (Cow::Borrowed(all), Cow::Borrowed(cluster.filter_rows())),
        Some(names) => {
            let mut ids: Vec<NodeId> = names.iter().filter_map(|n| cluster.node_id(n)).collect();
            ids.sort_unstable_by_key(|id| cluster.order_position(*id));
            let rows = ids.iter().map(|id| FilterRow::of(&cluster.hot()[*id as usize])).collect();
            (Cow::Owned(ids), Cow::Owned(rows))
        }
    };
    result.prefilter_result = pre.allowed.clone();
    let to_find = if profile.score.is_empty() && !opts.record_scores {
        1.min(candidates.len())
    } else {
        num_feasible_nodes_to_find(profile.percentage_of_nodes_to_score, candidates.len())
    };
    // The Filter plugins that run for this pod (PreFilter Skip removes a plugin's Filter),
    // resolved once per cycle rather than per node.
    let filters: Vec<(&'static str, &dyn FilterPlugin)> = profile
        .filter
        .iter()
        .filter(|p| !cs.skip_filter.contains(&p.name()))
        .map(|p| (p.name(), p.as_filter().expect("profile lists only Filter plugins here")))
        .filter(|(_, f)| f.filter_relevant(pod))
        .collect();
    // Upstream `evaluateNominatedNode`: a pod nominated by an earlier preemption tries its
    // nominated node first; if it passes Filter it is chosen without scoring, and the rotating
    // start index does not move.
    if let Some(nominated) = opts.nominated_node
        && (pre.allowed.is_none() || candidates.contains(&nominated))
    {
        let info = cluster.node(nominated);
        if filters.iter().all(|(_, f)| f.filter(cs, pod, info, cluster).is_success()) {
            result.feasible.push(nominated);
            result.outcome = CycleOutcome::Scheduled(nominated);
            return ControlFlow::Break(());
        }
    }
    let start = state.next_start_node_index;
    let outcome =
        filter_nodes(cs, pod, cluster, (&candidates, &rows), start, to_find, &filters, result, timed);
    match outcome {
        Ok(processed) => state.next_start_node_index = (start + processed) % all.len(),
        Err((processed, s)) => {
            result.outcome =
                CycleOutcome::Error(format!("running Filter plugin {:?}: {}", s.plugin, s.message()));
            state.next_start_node_index = (start + processed) % all.len();
            return ControlFlow::Break(());
        }
    }
    // The status of the nodes the PreFilterResult left out, first among the rejections; built
    // only when a report needs it (no feasible node, or scores recorded).
    if (result.feasible.is_empty() || opts.record_scores) && pre.allowed.is_some() {
        reject_absent(cluster, &candidates, &pre.plugins_with_nodes, result);
    }
    ControlFlow::Continue(())
}

/// Most nodes handed to a plugin's [`FilterPlugin::filter_nodes`] at once.
const CHUNK: usize = 128;

/// The Filter loop: `candidates` (with their [`FilterRow`]s, in the same order) from the
/// rotating `start`, wrapping once, until `to_find` nodes are feasible. The plugins' NodeHot conditions are checked together, then each plugin
/// answers for the nodes its own condition does not clear, in chunks. Returns how many nodes
/// were processed, or with them the Error status that stopped the loop.
#[allow(clippy::too_many_arguments)]
fn filter_nodes(
    cs: &CycleState,
    pod: &Pod,
    cluster: &Cluster,
    (candidates, rows): (&[NodeId], &[FilterRow]),
    start: usize,
    to_find: usize,
    filters: &[(&'static str, &dyn FilterPlugin)],
    result: &mut CycleResult,
    timed: bool,
) -> Result<usize, (usize, Status)> {
    // The combined NodeHot condition, and each plugin with its own condition: a plugin whose
    // condition a node meets passes it. A plugin whose condition asks nothing passes every node
    // and is left out; one without a condition runs on every node.
    let mut fast = FastFilter::default();
    let mut plugins: Vec<(&'static str, &dyn FilterPlugin, Option<FastFilter>)> =
        Vec::with_capacity(filters.len());
    let mut any_slow = false;
    for (name, f) in filters {
        let c = f.fast_filter(cs, pod);
        match c {
            Some(c) if c.is_empty() => continue,
            Some(c) => fast = fast.and(c),
            None => any_slow = true,
        }
        plugins.push((name, *f, c));
    }
    let n = candidates.len();
    let mut processed = 0;
    // Under timing, the loop's time not spent in a plugin's `filter` goes to the combined
    // NodeHot conditions.
    let loop_start = timed.then(std::time::Instant::now);
    let mut in_plugins = std::time::Duration::ZERO;
    result.feasible.reserve(to_find.min(n));
    // Candidates from the rotating start, wrapping once (`(start + i) % n` without a division).
    let first = start % n.max(1);
    let mut rotated = (first..n).chain(0..first);
    // Nodes go in chunks. A node that meets the combined condition passes every plugin that has
    // one, so only the plugins without one see it; a node that misses it sees, plugin after
    // plugin in profile order, each plugin whose own condition it misses, until one rejects it
    // (the exact status, as upstream's Filter loop in order). Plugins answer a chunk at once
    // ([`FilterPlugin::filter_nodes`]). A chunk never holds more nodes than are still sought (at
    // least 16), and Filter has no side effects, so nodes evaluated past the last one needed
    // change nothing.
    let mut chunk: Vec<NodeId> = Vec::with_capacity(CHUNK);
    let mut chunk_rows: Vec<FilterRow> = Vec::with_capacity(CHUNK);
    let mut admitted: Vec<bool> = Vec::with_capacity(CHUNK);
    // Per position of the chunk: PASSED, or (plugin index << 32 | status index).
    let mut decision: Vec<u64> = Vec::with_capacity(CHUNK);
    let mut open_admitted: Vec<u32> = Vec::with_capacity(CHUNK);
    let mut open_rest: Vec<u32> = Vec::with_capacity(CHUNK);
    let mut pending: Vec<u32> = Vec::with_capacity(CHUNK);
    let mut pending_ids: Vec<NodeId> = Vec::with_capacity(CHUNK);
    let mut out: Vec<u32> = Vec::with_capacity(CHUNK);
    let mut tables: Vec<Vec<Status>> = vec![Vec::new(); plugins.len()];
    const PASSED: u64 = u64::MAX;
    'chunks: loop {
        let wanted = to_find.saturating_sub(result.feasible.len()).clamp(16, CHUNK);
        chunk.clear();
        chunk_rows.clear();
        for i in rotated.by_ref().take(wanted) {
            chunk.push(candidates[i]);
            chunk_rows.push(rows[i]);
        }
        if chunk.is_empty() {
            break;
        }
        admitted.clear();
        decision.clear();
        open_admitted.clear();
        open_rest.clear();
        for (pos, row) in chunk_rows.iter().enumerate() {
            let ok = fast.admits_row(row);
            admitted.push(ok);
            decision.push(PASSED);
            if !ok {
                open_rest.push(pos as u32);
            } else if any_slow {
                open_admitted.push(pos as u32);
            }
        }
        for (p, (name, f, condition)) in plugins.iter().enumerate() {
            if open_rest.is_empty() && (condition.is_some() || open_admitted.is_empty()) {
                continue;
            }
            pending.clear();
            match condition {
                None => pending.extend(open_admitted.iter().chain(&open_rest)),
                Some(c) => {
                    pending.extend(open_rest.iter().filter(|pos| !c.admits_row(&chunk_rows[**pos as usize])))
                }
            }
            if pending.is_empty() {
                continue;
            }
            pending_ids.clear();
            pending_ids.extend(pending.iter().map(|pos| chunk[*pos as usize]));
            out.clear();
            out.resize(pending.len(), PASS);
            let t = timed.then(std::time::Instant::now);
            f.filter_nodes(cs, pod, &pending_ids, cluster, &mut out, &mut tables[p]);
            if let Some(t) = t {
                let d = t.elapsed();
                in_plugins += d;
                super::timing::add("Filter", name, d);
            }
            let mut rejected_any = false;
            for (pos, v) in pending.iter().zip(&out) {
                if *v != PASS {
                    decision[*pos as usize] = (p as u64) << 32 | u64::from(*v);
                    rejected_any = true;
                }
            }
            if rejected_any {
                open_admitted.retain(|pos| decision[*pos as usize] == PASSED);
                open_rest.retain(|pos| decision[*pos as usize] == PASSED);
            }
        }
        for (&id, &d) in chunk.iter().zip(&decision) {
            if result.feasible.len() >= to_find {
                break 'chunks;
            }
            processed += 1;
            if d == PASSED {
                result.feasible.push(id);
                continue;
            }
            let (p, v) = ((d >> 32) as usize, d as u32);
            let status = &tables[p][v as usize];
            if status.code == Code::Error {
                return Err((processed, status.clone().with_plugin(plugins[p].0)));
            }
            result.rejected.push_keyed(id, d, || status.clone().with_plugin(plugins[p].0));
        }
    }
    if let Some(t) = loop_start
        && !fast.is_empty()
    {
        super::timing::add("Filter", FAST_FILTER_TIMING_NAME, t.elapsed().saturating_sub(in_plugins));
    }
    Ok(processed)
}

/// Rejects the nodes a PreFilterResult left out (every node not among `candidates`), placing
/// them first among `result.rejected`.
fn reject_absent(
    cluster: &Cluster,
    candidates: &[NodeId],
    plugins_with_nodes: &[&'static str],
    result: &mut CycleResult,
) {
    // Upstream names the plugins sorted (`sets.List`) in the absent nodes' status.
    let mut list: Vec<&str> = plugins_with_nodes.to_vec();
    list.sort_unstable();
    list.dedup();
    let msg = format!("node(s) didn't satisfy plugin(s) [{}]", list.join(" "));
    let mut inside = vec![false; cluster.num_nodes()];
    for id in candidates {
        inside[*id as usize] = true;
    }
    let status = Status::unresolvable(msg).with_plugin(list[0]);
    let mut out = NodeStatuses::new();
    for id in cluster.node_order().iter().filter(|id| !inside[**id as usize]) {
        out.push_keyed(*id, 0, || status.clone());
    }
    result.rejected.prepend(out);
}

/// Upstream `RunPreScorePlugins`: draws the random seed a Score plugin asked for, then runs the
/// PreScore plugins, noting Skips in `cs`. `Err` carries the cycle's error message.
fn run_pre_score(
    profile: &Profile,
    cs: &mut CycleState,
    pod: &Pod,
    cluster: &Cluster,
    rng: &mut impl Rng,
    feasible: &[NodeId],
    timed: bool,
) -> Result<(), String> {
    if profile.score.iter().any(|wp| wp.plugin.as_score().is_some_and(|s| s.wants_random())) {
        cs.random = Some(rng.next_u64());
    }
    for p in &profile.pre_score {
        let t = timed.then(std::time::Instant::now);
        let status = p.as_pre_score().expect("PreScore plugin").pre_score(cs, pod, feasible, cluster);
        if let Some(t) = t {
            super::timing::add("PreScore", p.name(), t.elapsed());
        }
        if status.is_skip() {
            cs.skip_score.push(p.name());
        } else if !status.is_success() {
            return Err(format!("running PreScore plugin {:?}: {}", p.name(), status.message()));
        }
    }
    Ok(())
}

/// Upstream `prioritizeNodes` (`RunScorePlugins`): Score, NormalizeScore and weights of the
/// plugins not skipped at PreScore. Returns the weighted total per feasible node and, when
/// `opts.record_scores`, the per-plugin table; `Err` carries the cycle's error message.
fn prioritize_nodes(
    profile: &Profile,
    cs: &CycleState,
    pod: &Pod,
    cluster: &Cluster,
    opts: CycleOptions,
    feasible: &[NodeId],
    timed: bool,
) -> Result<(Vec<i64>, Option<ScoreTable>), String> {
    let mut totals = vec![0i64; feasible.len()];
    let mut table = ScoreTable::default();
    let mut per_plugin: Vec<Vec<i64>> = Vec::new();
    let mut scores = vec![0i64; feasible.len()];
    for wp in &profile.score {
        let name = wp.plugin.name();
        if cs.skip_score.contains(&name) {
            continue;
        }
        let sp = wp.plugin.as_score().expect("Score plugin");
        if !opts.record_scores && sp.uniform_scores(cs, pod, feasible, cluster) {
            continue;
        }
        let t = timed.then(std::time::Instant::now);
        if let Err(status) = sp.score_nodes(cs, pod, feasible, cluster, &mut scores) {
            return Err(format!("running Score plugins: plugin {name:?} failed with: {}", status.message()));
        }
        if let Some(t) = t {
            super::timing::add("Score", name, t.elapsed());
        }
        if sp.has_normalize() {
            let status = sp.normalize_score(cs, pod, &mut scores);
            if !status.is_success() {
                return Err(format!(
                    "running Normalize on Score plugins: plugin {name:?} failed with: {}",
                    status.message()
                ));
            }
        }
        // One branch-free pass adds the weighted scores and notes any score out of range.
        let weight = wp.weight;
        let mut out_of_range = false;
        for (t, s) in totals.iter_mut().zip(&scores) {
            out_of_range |= !(MIN_NODE_SCORE..=MAX_NODE_SCORE).contains(s);
            *t += s * weight;
        }
        if out_of_range {
            let s = scores.iter().find(|s| !(MIN_NODE_SCORE..=MAX_NODE_SCORE).contains(*s)).expect("noted");
            return Err(format!(
                "applying score defaultWeights on Score plugins: plugin {name:?} returns an invalid score {s}, it should in the range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing"
            ));
        }
        if opts.record_scores {
            table.plugins.push(name);
            per_plugin.push(scores.iter().map(|s| s * wp.weight).collect());
        }
    }
    if !opts.record_scores {
        return Ok((totals, None));
    }
    table.rows = feasible
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, per_plugin.iter().map(|v| v[i]).collect(), totals[i]))
        .collect();
    Ok((totals, Some(table)))
}

/// Totals of a profile without Score plugins: 1 per feasible node, with an empty per-plugin
/// table when scores are recorded.
fn all_ones(feasible: &[NodeId], opts: CycleOptions) -> (Vec<i64>, Option<ScoreTable>) {
    let table = opts.record_scores.then(|| ScoreTable {
        plugins: Vec::new(),
        rows: feasible.iter().map(|id| (*id, Vec::new(), 1)).collect(),
    });
    (vec![1; feasible.len()], table)
}

/// Upstream `selectHost`: a node of the top total, the lowest id under [`TieBreak::FirstNode`],
/// else drawn uniformly from `rng` (no draw when only one node has the top total).
fn select_host(feasible: &[NodeId], totals: &[i64], tie_break: TieBreak, rng: &mut impl Rng) -> NodeId {
    let best = *totals.iter().max().expect("at least one feasible node");
    match tie_break {
        TieBreak::FirstNode => feasible
            .iter()
            .zip(totals)
            .filter(|(_, t)| **t == best)
            .map(|(id, _)| *id)
            .min()
            .expect("a top node"),
        TieBreak::Random => {
            let count = totals.iter().filter(|t| **t == best).count();
            let pick = if count > 1 { rng.random_range(0..count) } else { 0 };
            feasible
                .iter()
                .zip(totals)
                .filter(|(_, t)| **t == best)
                .nth(pick)
                .map(|(id, _)| *id)
                .expect("a top node")
        }
    }
}

/// The GPU devices of a GPU pod on `node` chosen by the profile's heaviest Score plugin (the
/// first of equal weights) not skipped at PreScore; `None` for the default choice.
fn select_gpus(
    profile: &Profile,
    cs: &CycleState,
    pod: &Pod,
    cluster: &Cluster,
    node: NodeId,
) -> Option<Vec<u8>> {
    crate::model::gpu::pod_gpu(pod)?;
    let mut top: Option<&super::profile::WeightedPlugin> = None;
    for wp in profile.score.iter().filter(|wp| !cs.skip_score.contains(&wp.plugin.name())) {
        if top.is_none_or(|t| wp.weight > t.weight) {
            top = Some(wp);
        }
    }
    top?.plugin.as_score()?.select_gpus(cs, pod, cluster.node(node), cluster)
}

/// Builds upstream's FitError message from the rejected nodes: each distinct reason counted over
/// nodes, `"<count> <reason>"` strings sorted, joined with `, `.
pub fn fit_error(num_all_nodes: usize, rejected: &NodeStatuses) -> FitError {
    let distinct = rejected.distinct();
    let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
    for (status, nodes) in &distinct {
        for r in &status.reasons {
            *histogram.entry(r.as_ref()).or_insert(0) += nodes;
        }
    }
    let mut items: Vec<String> = histogram.iter().map(|(r, c)| format!("{c} {r}")).collect();
    items.sort();
    FitError {
        num_all_nodes,
        message: format!("0/{num_all_nodes} nodes are available: {}.", items.join(", ")),
        unresolvable: distinct.iter().all(|(s, _)| s.code == Code::UnschedulableAndUnresolvable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_percentage_matches_upstream_table() {
        let sought: Vec<usize> = [50, 100, 500, 1000, 2000, 5000, 6000, 15000]
            .iter()
            .map(|n| num_feasible_nodes_to_find(None, *n))
            .collect();
        assert_eq!(sought, vec![50, 100, 230, 420, 680, 500, 300, 750]);
        assert_eq!(num_feasible_nodes_to_find(Some(100), 5000), 5000);
        assert_eq!(num_feasible_nodes_to_find(Some(1), 5000), 100);
    }
}
