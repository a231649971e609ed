//! Mistakes a scenario can make that are not errors (the run is well defined) but would
//! otherwise pass in silence: pods whose `schedulerName` no profile serves, timeline events
//! that name nodes no node of the scenario has, and events after `spec.duration`. Each becomes
//! a note that `capsim validate` and `capsim run` print.

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

/// Timeline events naming nodes that neither the initial nodes nor any pool (`<pool>-<n>`)
/// has, and events after the horizon.
pub(super) fn timeline_notes(
    nodes: &[Node],
    dy: &Dynamics,
    horizon: Option<SimTime>,
    notes: &mut Vec<String>,
) {
    let known: BTreeSet<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let from_pool = |name: &str| {
        dy.pools.iter().any(|p| {
            name.strip_prefix(p.name.as_str())
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
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
