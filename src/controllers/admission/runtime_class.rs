//! The **RuntimeClass** admission plugin for pod creation, after
//! `plugin/pkg/admission/runtimeclass/admission.go` (kube-apiserver v1.35). For a pod naming a
//! `runtimeClassName`:
//!
//! - an unknown class refuses the pod: `pod rejected: RuntimeClass "x" not found`;
//! - `Admit` (mutating) sets `spec.overhead` to the class's `overhead.podFixed` (refusing a pod
//!   whose own overhead differs: `pod rejected: Pod's Overhead doesn't match RuntimeClass's
//!   defined Overhead`), then merges the class's `scheduling.nodeSelector` into the pod's (a key
//!   both set to different values refuses the pod: `conflict:
//!   runtimeClass.scheduling.nodeSelector[k] = a; pod.spec.nodeSelector[k] = b`) and its
//!   `scheduling.tolerations` into the pod's (upstream `tolerations.MergeTolerations`);
//! - `Validate` refuses a pod that carries an overhead no class defines: `pod rejected: Pod
//!   Overhead set without corresponding RuntimeClass defined Overhead`.
//!
//! capsim's pods carry `spec.overhead` as integer [`Resources`]; an all-zero overhead counts as
//! unset.

use super::Rejection;
use crate::model::Resources;
use crate::model::TaintEffect;
use crate::model::labels::{Toleration, TolerationOperator};
use crate::model::pod::Pod;
use crate::model::policy::RuntimeClass;
use crate::time::SimTime;

/// Upstream's plugin name, as [`Rejection::plugin`] gives it.
pub const PLUGIN: &str = "RuntimeClass";

/// The class `name` among `classes` as it exists at `now` (created at or before `now`).
fn find<'a>(classes: &'a [RuntimeClass], name: &str, now: SimTime) -> Option<&'a RuntimeClass> {
    classes.iter().find(|c| c.name == name && c.created <= now)
}

/// The plugin's `Admit` on a new pod (see the module docs). Changes the pod only when it admits
/// it; the caller refreshes the pod's requests.
///
/// # Errors
/// `Forbidden` with upstream's message for an unknown class, an overhead that differs from the
/// class's, or a nodeSelector conflict.
pub fn admit(pod: &mut Pod, classes: &[RuntimeClass], now: SimTime) -> Result<(), Rejection> {
    if pod.runtime_class_name.is_empty() {
        return Ok(());
    }
    let Some(class) = find(classes, &pod.runtime_class_name, now) else {
        let detail = format!("pod rejected: RuntimeClass {:?} not found", pod.runtime_class_name);
        return Err(Rejection::forbidden(PLUGIN, pod, &detail));
    };
    if let Some(fixed) = &class.overhead
        && pod.overhead != Resources::default()
        && pod.overhead != *fixed
    {
        let detail = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";
        return Err(Rejection::forbidden(PLUGIN, pod, detail));
    }
    for (key, value) in &class.node_selector {
        if let Some(own) = pod.node_selector.get(key).filter(|own| *own != value) {
            let detail = format!(
                "conflict: runtimeClass.scheduling.nodeSelector[{key}] = {value}; pod.spec.nodeSelector[{key}] = {own}"
            );
            return Err(Rejection::forbidden(PLUGIN, pod, &detail));
        }
    }
    if let Some(fixed) = &class.overhead {
        pod.overhead = fixed.clone();
    }
    for (key, value) in &class.node_selector {
        pod.node_selector.insert(key.clone(), value.clone());
    }
    if !class.tolerations.is_empty() {
        pod.tolerations = merge_tolerations(&pod.tolerations, &class.tolerations);
    }
    Ok(())
}

/// The plugin's `Validate`: a pod with an overhead must name a class that defines that overhead.
///
/// # Errors
/// `Forbidden`: `pod rejected: Pod Overhead set without corresponding RuntimeClass defined
/// Overhead` (or the mismatch message when the class's overhead differs).
pub fn validate(pod: &Pod, classes: &[RuntimeClass], now: SimTime) -> Result<(), Rejection> {
    let class =
        Some(pod.runtime_class_name.as_str()).filter(|n| !n.is_empty()).and_then(|n| find(classes, n, now));
    match class.and_then(|c| c.overhead.as_ref()) {
        Some(fixed) if *fixed != pod.overhead => Err(Rejection::forbidden(
            PLUGIN,
            pod,
            "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead",
        )),
        None if pod.overhead != Resources::default() => Err(Rejection::forbidden(
            PLUGIN,
            pod,
            "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead",
        )),
        _ => Ok(()),
    }
}

/// Upstream `tolerations.MergeTolerations(first, second)`: the pod's tolerations then the
/// class's, dropping every toleration another one (kept earlier, or later and different)
/// covers; of two equal ones the first stays.
pub fn merge_tolerations(first: &[Toleration], second: &[Toleration]) -> Vec<Toleration> {
    let all: Vec<&Toleration> = first.iter().chain(second).collect();
    let mut merged: Vec<Toleration> = Vec::new();
    for (i, t) in all.iter().enumerate() {
        if merged.iter().any(|kept| is_superset(kept, t)) {
            continue;
        }
        if all[i + 1..].iter().any(|later| *later != *t && is_superset(later, t)) {
            continue;
        }
        merged.push((*t).clone());
    }
    merged
}

/// Upstream `isSuperset(ss, t)`: whether `ss` tolerates everything `t` tolerates.
fn is_superset(ss: &Toleration, t: &Toleration) -> bool {
    if ss == t {
        return true;
    }
    let match_all_keys = ss.key.is_empty() && ss.operator == TolerationOperator::Exists;
    if t.key != ss.key && !match_all_keys {
        return false;
    }
    if ss.effect.is_some() && t.effect != ss.effect {
        return false;
    }
    if ss.effect == Some(TaintEffect::NoExecute)
        && let Some(limit) = ss.toleration_seconds
        && t.toleration_seconds.is_none_or(|s| s > limit)
    {
        return false;
    }
    match ss.operator {
        TolerationOperator::Equal => t.operator == TolerationOperator::Equal && t.value == ss.value,
        TolerationOperator::Exists => true,
        TolerationOperator::Lt | TolerationOperator::Gt => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pod::simple_pod;

    fn tol(key: &str, op: TolerationOperator, value: &str, effect: Option<TaintEffect>) -> Toleration {
        Toleration { key: key.into(), operator: op, value: value.into(), effect, toleration_seconds: None }
    }

    fn class(name: &str) -> RuntimeClass {
        RuntimeClass {
            name: name.into(),
            overhead: Some(Resources { milli_cpu: 250, memory: 160 << 20, ..Default::default() }),
            node_selector: [("sandbox".to_string(), "kata".to_string())].into(),
            tolerations: vec![tol("sandbox", TolerationOperator::Exists, "", Some(TaintEffect::NoSchedule))],
            created: SimTime(0),
        }
    }

    #[test]
    fn admit_sets_overhead_merges_scheduling_and_refuses_as_upstream() {
        let classes = [class("kata")];
        let mut p = simple_pod("web", Resources { milli_cpu: 500, ..Default::default() });
        p.runtime_class_name = "kata".into();
        p.node_selector.insert("zone".into(), "a".into());
        admit(&mut p, &classes, SimTime(0)).unwrap();
        assert_eq!((p.overhead.milli_cpu, p.overhead.memory), (250, 160 << 20));
        assert_eq!(p.node_selector.len(), 2);
        assert_eq!(p.tolerations, classes[0].tolerations);
        assert!(validate(&p, &classes, SimTime(0)).is_ok());

        let mut ghost = simple_pod("ghost", Resources::default());
        ghost.runtime_class_name = "gvisor".into();
        let err = admit(&mut ghost, &classes, SimTime(0)).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"ghost\" is forbidden: pod rejected: RuntimeClass \"gvisor\" not found"
        );

        let mut clash = simple_pod("clash", Resources::default());
        clash.runtime_class_name = "kata".into();
        clash.node_selector.insert("sandbox".into(), "runc".into());
        let err = admit(&mut clash, &classes, SimTime(0)).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"clash\" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = kata; \
             pod.spec.nodeSelector[sandbox] = runc"
        );

        let mut own = simple_pod("own", Resources::default());
        own.overhead.milli_cpu = 100;
        let err = validate(&own, &classes, SimTime(0)).unwrap_err();
        assert_eq!(
            err.message,
            "pods \"own\" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass \
             defined Overhead"
        );
        own.runtime_class_name = "kata".into();
        let err = admit(&mut own, &classes, SimTime(0)).unwrap_err();
        assert!(
            err.message
                .ends_with("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")
        );
        // A class created later does not exist yet.
        let mut early = simple_pod("early", Resources::default());
        early.runtime_class_name = "kata".into();
        let later = [RuntimeClass { created: SimTime(60_000), ..class("kata") }];
        assert!(admit(&mut early, &later, SimTime(59_999)).is_err());
        assert!(admit(&mut early, &later, SimTime(60_000)).is_ok());
    }

    #[test]
    fn merge_keeps_supersets_only() {
        use TolerationOperator::{Equal, Exists};
        let ns = Some(TaintEffect::NoSchedule);
        let a = tol("k", Equal, "v", ns);
        let exists_k = tol("k", Exists, "", ns);
        let all = tol("", Exists, "", None);
        // The class's `k Exists` covers the pod's `k=v`; equal ones are kept once.
        let merged = merge_tolerations(std::slice::from_ref(&a), std::slice::from_ref(&exists_k));
        assert_eq!(merged, vec![exists_k.clone()]);
        let merged = merge_tolerations(std::slice::from_ref(&a), std::slice::from_ref(&a));
        assert_eq!(merged, vec![a.clone()]);
        // Tolerating everything covers everything.
        assert_eq!(merge_tolerations(&[a.clone(), exists_k], std::slice::from_ref(&all)), vec![all]);
        // A NoExecute toleration with a bound covers those with a bound no longer than it.
        let mut short = tol("k", Exists, "", Some(TaintEffect::NoExecute));
        short.toleration_seconds = Some(60);
        let mut long = short.clone();
        long.toleration_seconds = Some(300);
        assert_eq!(merge_tolerations(&[short.clone()], &[long.clone()]), vec![long.clone()]);
        let unbounded = tol("k", Exists, "", Some(TaintEffect::NoExecute));
        assert_eq!(merge_tolerations(&[long.clone()], std::slice::from_ref(&unbounded)), vec![unbounded]);
    }
}
