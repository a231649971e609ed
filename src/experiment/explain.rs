//! `capsim explain`: why a pod is (or would be) placed where it is at a given virtual time.
//! The scenario runs up to that time with the given seed; then one recorded cycle of the pod
//! runs against the cluster as it is then, every node filtered and scored (as if
//! `percentageOfNodesToScore` were 100), preemption included.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rand::SeedableRng;

use super::schedule::{Decision, decide_pod};
use crate::error::{InputError, SimError};
use crate::scenario::LoadedScenario;
use crate::scheduler::framework::runner::{CycleOptions, SchedulerState, TieBreak};
use crate::sim::engine::run;
use crate::time::SimTime;

/// The explanation of one pod at one instant.
pub struct Explanation {
    /// The decision a cycle would take now.
    pub decision: Decision,
    /// What had happened to the pod by then (pending since, attempts, bound node).
    pub context: String,
}

/// Runs `sc` with `seed` up to `at` and explains pod `key` (`namespace/name`) then.
///
/// # Errors
/// [`InputError`] when no such pod exists or it is not created by `at`; a run's internal error.
pub fn explain(sc: &LoadedScenario, seed: u64, key: &str, at: SimTime) -> Result<Explanation, SimError> {
    let bad = |message: String| {
        SimError::Input(InputError::Field { path: sc.path.clone(), line: 0, field: "--pod".into(), message })
    };
    let Some(id) = sc.arrivals.iter().position(|a| a.pod.key() == key) else {
        return Err(bad(format!("no pod {key:?} in the scenario's workload")));
    };
    let mut upto = sc.clone();
    upto.horizon = Some(at);
    let r = run(&upto, seed)?;
    let found = r.pods().find(|p| p.as_ref().map_or(true, |p| p.id == id as u32)).transpose()?;
    let Some(rec) = found.map(|p| p.record) else {
        return Err(SimError::Internal(format!("pod {key} has no record")));
    };
    let Some(created) = rec.created_ms else {
        return Err(bad(format!(
            "pod {key} is created at {}s, after --at {}s",
            sc.arrivals[id].created.0 / 1000,
            at.0 / 1000
        )));
    };
    let mut cluster = r.cluster.clone();
    let secs = crate::time::secs;
    let mut context = format!(
        "pod {key} at {}s (seed {seed}): created {}s, {} scheduling attempt(s), outcome so far {}",
        secs(at.0),
        secs(created),
        rec.attempts,
        rec.outcome.as_str()
    );
    if let Some(node) = cluster.pod_node(id as u32) {
        let _ = write!(
            context,
            "; bound to {} at {}s — explaining a fresh cycle as if it were pending now",
            cluster.node(node).node.name,
            secs(rec.scheduled_ms.unwrap_or(created))
        );
        cluster.unbind(id as u32);
    } else if let Some(deleted) = rec.deleted_ms {
        let _ = write!(
            context,
            "; deleted at {}s — explaining a fresh cycle as if it were pending now",
            secs(deleted)
        );
    } else if !rec.last_reason.is_empty() {
        let _ = write!(context, "; last reason: {}", rec.last_reason);
    }
    let mut config = sc.scheduler.clone();
    for p in &mut config.profiles {
        p.percentage_of_nodes_to_score = Some(100);
    }
    let nominated_node = r.nominated.iter().find(|(p, _)| *p == id as u32).map(|(_, n)| *n);
    if let Some(n) = nominated_node {
        let _ = write!(context, "; nominated to {} by an earlier preemption", cluster.node(n).node.name);
    }
    let opts = CycleOptions {
        tie_break: TieBreak::FirstNode,
        record_scores: true,
        run_post_filter: true,
        nominated_node,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    // A pod deleted by then was freed: its spec is the workload's (before admission).
    let pod = cluster.try_pod(id as u32).unwrap_or(&sc.arrivals[id].pod);
    let decision = decide_pod(&config, pod, &cluster, &mut SchedulerState::default(), &mut rng, opts);
    Ok(Explanation { decision, context })
}

/// A human-readable report: the context, the Filter verdicts grouped by plugin and reason, the
/// `top` feasible nodes with each plugin's weighted score, and the outcome.
pub fn render(e: &Explanation, top: usize) -> String {
    let d = &e.decision;
    let mut out = String::new();
    let _ = writeln!(out, "{}", e.context);
    let _ = writeln!(out, "profile {}", d.profile);
    if d.gated == Some(true) || d.ignored == Some(true) {
        let _ = writeln!(out, "{}", d.message);
        return out;
    }
    let feasible = d.feasible.values().filter(|f| **f).count();
    let _ = writeln!(out, "Filter: {feasible} of {} nodes feasible", d.feasible.len());
    let mut rejections: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (node, by) in &d.rejected_by {
        let reasons = d.reasons.get(node).map(|r| r.join(", ")).unwrap_or_default();
        *rejections.entry((by.clone(), reasons)).or_insert(0) += 1;
    }
    for ((by, reasons), n) in &rejections {
        let _ = writeln!(out, "  {n:>6} rejected by {by}: {reasons}");
    }
    let mut ranked: Vec<(&String, &i64)> = d.total.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if !ranked.is_empty() {
        let plugins: Vec<&String> = d.scores.values().next().map(|m| m.keys().collect()).unwrap_or_default();
        let _ = writeln!(out, "Top {} feasible nodes (weighted scores):", top.min(ranked.len()));
        let _ = write!(out, "  {:<24} {:>6}", "node", "total");
        for p in &plugins {
            let _ = write!(out, " {:>w$}", p, w = p.len().max(4));
        }
        let _ = writeln!(out);
        for (node, total) in ranked.iter().take(top) {
            let _ = write!(out, "  {:<24} {:>6}", node, total);
            for p in &plugins {
                let v = d.scores.get(*node).and_then(|m| m.get(*p)).copied().unwrap_or(0);
                let _ = write!(out, " {:>w$}", v, w = p.len().max(4));
            }
            let _ = writeln!(out);
        }
    }
    match (&d.bound_to, &d.nominated_node) {
        (Some(n), _) => {
            let _ = writeln!(
                out,
                "Outcome: would bind to {n} (top total shared by {} node(s))",
                d.max_nodes.len()
            );
        }
        (None, Some(n)) => {
            let _ = writeln!(out, "Outcome: {}\n  would preempt {} on {n}", d.message, d.victims.join(", "));
        }
        (None, None) => {
            let _ = writeln!(out, "Outcome: {}", d.message);
        }
    }
    out
}
