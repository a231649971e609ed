//! Mistakes a scenario can make that are not errors (the run is well defined) but would
//! otherwise pass in silence: pods whose `schedulerName` no profile serves, timeline events
//! that name or select nodes no node of the scenario has, and events after `spec.duration`.
//! Each becomes a note that `capsim validate` and `capsim run` print.

use std::collections::{BTreeMap, BTreeSet};

use super::timeline::{Action, Dynamics};
use crate::model::{Node, Pod};
use crate::scheduler::framework::profile::SchedulerConfig;
use crate::time::SimTime;

/// Pods asking for a `schedulerName` that no profile (of any scheduler process) serves.
pub(super) fn unserved_scheduler_names<'a>(
    pods: impl Iterator<Item = &'a Pod>,
    configs: &[&SchedulerConfig],
    notes: &mut Vec<String>,
) {
    let served: BTreeSet<&str> =
        configs.iter().flat_map(|c| c.profiles.iter().map(|p| p.scheduler_name.as_str())).collect();
    let mut unserved: BTreeMap<&str, usize> = BTreeMap::new();
    for p in pods {
        if p.node_name.is_none() && !served.contains(p.scheduler_name.as_str()) {
            *unserved.entry(p.scheduler_name.as_str()).or_default() += 1;
        }
    }
    for (name, n) in unserved {
        notes.push(format!(
            "{n} pod(s) or pod template(s) ask for schedulerName {name:?}, which no profile serves (profiles: {}); their pods stay pending with outcome NoProfile",
            served.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
}

/// Timeline events naming nodes that neither the initial nodes nor any pool (`<pool>-<n>`, `n`
/// below the pool's initial count plus its joins) has, selecting a pool the scenario does not
/// have or labels no node carries, and events after the horizon.
pub(super) fn timeline_notes(
    nodes: &[Node],
    dy: &Dynamics,
    horizon: Option<SimTime>,
    notes: &mut Vec<String>,
) {
    let known: BTreeSet<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let pool_size = |k: usize| {
        let joins: usize = dy
            .timeline
            .iter()
            .map(|(_, a)| match a {
                Action::Join { pool, count, .. } if *pool == k => *count,
                _ => 0,
            })
            .sum();
        dy.pools[k].initial + joins
    };
    let from_pool = |name: &str| {
        dy.pools.iter().enumerate().any(|(k, p)| {
            name.strip_prefix(p.name.as_str())
                .and_then(|r| r.strip_prefix('-'))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n < pool_size(k))
        })
    };
    // Nodes as they can ever look: the initial ones and the pools' templates (with their pool
    // label); label events may add keys, which are then not judged.
    let templates: Vec<Node> = dy.pools.iter().map(|p| p.node(0)).collect();
    let added_keys: BTreeSet<&str> = dy
        .timeline
        .iter()
        .flat_map(|(_, a)| match a {
            Action::Label(_, add, _) => add.keys().map(String::as_str).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    let some_node_has = |labels: &BTreeMap<String, String>| {
        nodes.iter().chain(&templates).any(|n| labels.iter().all(|(k, v)| n.labels.get(k) == Some(v)))
    };
    let mut late = 0;
    for (at, action) in &dy.timeline {
        let (what, sel) = match action {
            Action::Fail(s, _) => ("nodeFailure", Some(s)),
            Action::Recover(s) => ("nodeRecovery", Some(s)),
            Action::Leave(s) => ("nodeLeave", Some(s)),
            Action::Cordon(s, true) => ("cordon", Some(s)),
            Action::Cordon(s, false) => ("uncordon", Some(s)),
            Action::Taint(s, ..) => ("taint", Some(s)),
            Action::Label(s, ..) => ("label", Some(s)),
            Action::Join { .. } | Action::Scale(..) => ("", None),
        };
        for name in sel.map(|s| s.names.as_slice()).unwrap_or_default() {
            if !known.contains(name.as_str()) && !from_pool(name) {
                notes.push(format!(
                    "the {what} event at {} s names node {name:?}, which no node of the scenario has: it acts on no node",
                    at.0 / 1000
                ));
            }
        }
        if let Some(sel) = sel {
            let mut wanted = sel.labels.clone();
            if let Some(pool) = &sel.pool {
                wanted.insert(crate::names::LABEL_POOL.to_string(), pool.clone());
            }
            if !wanted.is_empty()
                && !wanted.keys().any(|k| added_keys.contains(k.as_str()))
                && !some_node_has(&wanted)
            {
                let shown: Vec<String> = wanted.iter().map(|(k, v)| format!("{k}={v}")).collect();
                notes.push(format!(
                    "the {what} event at {} s selects nodes labelled {}, which no node of the scenario (nor any pool's template) is: it acts on no node",
                    at.0 / 1000,
                    shown.join(",")
                ));
            }
        }
        if horizon.is_some_and(|h| *at > h) {
            late += 1;
        }
    }
    if let Some(h) = horizon
        && late > 0
    {
        notes.push(format!(
            "{late} timeline event(s) come after spec.duration ({} s) and never happen",
            h.0 / 1000
        ));
    }
}
