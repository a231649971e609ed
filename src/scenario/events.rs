//! The timeline of a scenario (`spec.events`): node joins from pools, failures, recoveries,
//! leaves, cordons, taints, labels and Deployment scaling at given times, with the node
//! selections they act on.

use std::path::Path;

use super::fields::{field_err, parse_duration};
use super::timeline::{Action, Dynamics, Spacing};
use crate::api::scenario as schema;
use crate::error::InputError;
use crate::model::labels::{Taint, TaintEffect};
use crate::model::selection::NodeSelection;
use crate::time::SimTime;

/// The events of `spec.events` into `dy.timeline`, sorted by time (stable).
pub(super) fn load_events(
    sc: &schema::Scenario,
    path: &Path,
    text: &str,
    dy: &mut Dynamics,
) -> Result<(), InputError> {
    for (i, e) in sc.spec.events.iter().enumerate() {
        let at = parse_duration(&e.at, path, text, &format!("spec.events[{i}].at"))?;
        let action = event_action(e, i, at, path, text, dy)?;
        dy.timeline.push((at, action));
    }
    dy.timeline.sort_by_key(|(t, _)| *t);
    Ok(())
}

/// The one action of event `i` (at `at`).
fn event_action(
    e: &schema::TimelineEvent,
    i: usize,
    at: SimTime,
    path: &Path,
    text: &str,
    dy: &Dynamics,
) -> Result<Action, InputError> {
    let dur = |s: &str, field: &str| parse_duration(s, path, text, field);
    let f = |name: &str| format!("spec.events[{i}].{name}");
    let mut actions: Vec<Action> = Vec::new();
    if let Some(j) = &e.node_join {
        actions.push(node_join(j, i, path, text, dy)?);
    }
    for (name, sel) in [
        ("nodeFailure.nodes", e.node_failure.as_ref().map(|x| &x.nodes)),
        ("nodeRecovery", e.node_recovery.as_ref()),
        ("nodeLeave", e.node_leave.as_ref()),
        ("cordon", e.cordon.as_ref()),
        ("uncordon", e.uncordon.as_ref()),
        ("taint.nodes", e.taint.as_ref().map(|x| &x.nodes)),
        ("label.nodes", e.label.as_ref().map(|x| &x.nodes)),
    ] {
        if let Some(sel) = sel {
            check_selection(sel, path, text, &f(name))?;
        }
    }
    if let Some(x) = &e.node_failure {
        let recover = match &x.recover_after {
            Some(d) => Some(dur(d, &f("nodeFailure.recoverAfter"))?),
            None => None,
        };
        actions.push(Action::Fail(selection(&x.nodes), recover));
    }
    if let Some(x) = &e.node_recovery {
        actions.push(Action::Recover(selection(x)));
    }
    if let Some(x) = &e.node_leave {
        actions.push(Action::Leave(selection(x)));
    }
    if let Some(x) = &e.cordon {
        actions.push(Action::Cordon(selection(x), true));
    }
    if let Some(x) = &e.uncordon {
        actions.push(Action::Cordon(selection(x), false));
    }
    if let Some(x) = &e.taint {
        let mut add = Vec::new();
        for (k, t) in x.add.iter().enumerate() {
            let eff = effect(path, text, &t.effect, &f(&format!("taint.add[{k}].effect")))?;
            add.push(Taint { key: t.key.clone(), value: t.value.clone(), effect: eff });
        }
        let mut remove = Vec::new();
        for (k, t) in x.remove.iter().enumerate() {
            let eff = match &t.effect {
                Some(e) => Some(effect(path, text, e, &f(&format!("taint.remove[{k}].effect")))?),
                None => None,
            };
            remove.push((t.key.clone(), eff));
        }
        actions.push(Action::Taint(selection(&x.nodes), add, remove));
    }
    if let Some(x) = &e.label {
        actions.push(Action::Label(selection(&x.nodes), x.add.clone(), x.remove.clone()));
    }
    if let Some(x) = &e.scale {
        actions.push(scale(x, i, at, path, text, dy)?);
    }
    if actions.len() != 1 {
        return Err(field_err(
            path,
            text,
            &format!("spec.events[{i}]"),
            format!(
                "an event needs exactly one action (nodeJoin, nodeFailure, nodeRecovery, nodeLeave, cordon, uncordon, taint, label, scale); found {}",
                actions.len()
            ),
        ));
    }
    Ok(actions.remove(0))
}

/// A `nodeJoin` event: `count` nodes of a pool, spaced as asked.
fn node_join(
    j: &schema::NodeJoinSpec,
    i: usize,
    path: &Path,
    text: &str,
    dy: &Dynamics,
) -> Result<Action, InputError> {
    let dur = |s: &str, field: &str| parse_duration(s, path, text, field);
    let f = |name: &str| format!("spec.events[{i}].{name}");
    let Some(pool) = dy.pools.iter().position(|p| p.name == j.pool) else {
        return Err(field_err(
            path,
            text,
            &f("nodeJoin.pool"),
            format!("{:?}: no pool with this name in spec.cluster.nodes", j.pool),
        ));
    };
    let spacing = match (&j.interval, &j.mean_interval) {
        (Some(_), Some(_)) => {
            return Err(field_err(
                path,
                text,
                &f("nodeJoin"),
                "give interval or meanInterval, not both".into(),
            ));
        }
        (Some(d), None) => Spacing::Fixed(dur(d, &f("nodeJoin.interval"))?.0),
        (None, Some(d)) => Spacing::Exponential(dur(d, &f("nodeJoin.meanInterval"))?.0),
        (None, None) => Spacing::None,
    };
    use super::caps::MAX_JOIN_NODES as MAX_JOIN;
    if j.count == 0 || j.count > MAX_JOIN {
        return Err(field_err(
            path,
            text,
            &f("nodeJoin.count"),
            format!("{}: must be between 1 and {MAX_JOIN} (the cap)", j.count),
        ));
    }
    if let Spacing::Fixed(ms) | Spacing::Exponential(ms) = spacing
        && ms <= 0
    {
        let key = if j.interval.is_some() { "nodeJoin.interval" } else { "nodeJoin.meanInterval" };
        return Err(field_err(path, text, &f(key), "the interval must be greater than 0".into()));
    }
    Ok(Action::Join { pool, count: j.count, spacing })
}

/// A `scale` event: a Deployment's (or ReplicaSet's) new replica count.
fn scale(
    x: &schema::ScaleSpec,
    i: usize,
    at: SimTime,
    path: &Path,
    text: &str,
    dy: &Dynamics,
) -> Result<Action, InputError> {
    let f = |name: &str| format!("spec.events[{i}].{name}");
    let (ns, name) = x.deployment.split_once('/').unwrap_or(("default", x.deployment.as_str()));
    let Some(rs) = dy
        .replicasets
        .iter()
        .position(|r| r.namespace == ns && (r.deployment.as_deref() == Some(name) || r.name == name))
    else {
        return Err(field_err(
            path,
            text,
            &f("scale.deployment"),
            format!(
                "{:?}: no Deployment or ReplicaSet with this namespace/name in the manifests",
                x.deployment
            ),
        ));
    };
    if at < dy.replicasets[rs].created {
        return Err(field_err(
            path,
            text,
            &f("scale.deployment"),
            format!("{:?} is created later than this event", x.deployment),
        ));
    }
    use super::caps::MAX_REPLICAS;
    if !(0..=MAX_REPLICAS).contains(&x.replicas) {
        return Err(field_err(
            path,
            text,
            &f("scale.replicas"),
            format!("{}: must be from 0 to {MAX_REPLICAS} (the cap)", x.replicas),
        ));
    }
    Ok(Action::Scale(rs, x.replicas))
}

/// Checks a selection's `count` / `fraction`.
pub(super) fn check_selection(
    s: &schema::NodeSelection,
    path: &Path,
    text: &str,
    field: &str,
) -> Result<(), InputError> {
    if s.count.is_some() && s.fraction.is_some() {
        return Err(field_err(path, text, field, "give count or fraction, not both".into()));
    }
    if let Some(f) = s.fraction
        && !(f > 0.0 && f <= 1.0)
    {
        return Err(field_err(path, text, &format!("{field}.fraction"), format!("{f}: must be in (0, 1]")));
    }
    if s.count == Some(0) {
        return Err(field_err(path, text, &format!("{field}.count"), "must be at least 1".into()));
    }
    if s.names.is_empty()
        && s.labels.is_empty()
        && s.pool.is_none()
        && s.count.is_none()
        && s.fraction.is_none()
    {
        // `cordon: {}` or `names: []` would act on every node: almost surely a slip.
        return Err(field_err(
            path,
            text,
            field,
            "selects no node in particular, which would act on every node: give names, labels or a pool (and count or fraction), or `fraction: 1` for every node".into(),
        ));
    }
    Ok(())
}

/// A scenario's node selection as the model's.
pub(super) fn selection(s: &schema::NodeSelection) -> NodeSelection {
    NodeSelection {
        names: s.names.clone(),
        labels: s.labels.clone(),
        pool: s.pool.clone(),
        count: s.count,
        fraction: s.fraction,
    }
}

/// A taint effect by name.
fn effect(path: &Path, text: &str, e: &str, field: &str) -> Result<TaintEffect, InputError> {
    match e {
        "NoSchedule" => Ok(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
        "NoExecute" => Ok(TaintEffect::NoExecute),
        other => Err(field_err(
            path,
            text,
            field,
            format!("{other:?}: expected NoSchedule, PreferNoSchedule or NoExecute"),
        )),
    }
}
