//! The **Priority** admission plugin for pod creation, after
//! `plugin/pkg/admission/priority/admission.go` (kube-apiserver v1.35, `admitPod`): a pod that
//! names no PriorityClass gets the `globalDefault` class (name and value), a pod that names one
//! gets its value, and a pod naming an unknown class is refused.
//!
//! The classes' `preemptionPolicy` is copied into pods when they are converted
//! ([`PriorityClasses::apply_policy`]), not here. Upstream also refuses a pod whose
//! `spec.priority` disagrees with its class; capsim's pods carry no written priority, so that
//! check cannot fail.

use super::Rejection;
use crate::api::convert::{PriorityClasses, builtin_priority};
use crate::model::pod::Pod;
use crate::time::SimTime;

/// Upstream's plugin name, as [`Rejection::plugin`] gives it.
pub const PLUGIN: &str = "Priority";

/// The plugin's `Admit` on a new pod: resolves `pod.priority_class_name` against `classes`
/// (the declared classes, then the built-in `system-cluster-critical` / `system-node-critical`)
/// into `pod.priority`; a pod naming no class gets the `globalDefault` class's name and value
/// when one is declared, and keeps its priority otherwise.
///
/// # Errors
/// `Forbidden` for a class nobody declared: `pods "x" is forbidden: no PriorityClass with name
/// y was found`. The pod is left unchanged then.
///
/// Only classes created at or before `now` count (a class from a manifest with `at` exists from
/// that time); a pod created earlier keeps the priority it was admitted with.
pub fn admit(pod: &mut Pod, classes: &PriorityClasses, now: SimTime) -> Result<(), Rejection> {
    if pod.priority_class_name.is_empty() {
        if let Some(name) = classes.global_default_name().filter(|n| classes.exists_at(n, now)) {
            pod.priority_class_name = name.to_string();
            pod.priority = classes.resolve("").unwrap_or(0);
        }
        return Ok(());
    }
    let name = &pod.priority_class_name;
    let declared = classes.resolve(name).filter(|_| classes.exists_at(name, now));
    match declared.or_else(|| builtin_priority(name)) {
        Some(v) => {
            pod.priority = v;
            Ok(())
        }
        None => Err(Rejection {
            reason: "Forbidden".into(),
            plugin: PLUGIN,
            message: format!(
                "pods \"{}\" is forbidden: no PriorityClass with name {} was found",
                pod.name, pod.priority_class_name
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::api::objects::{ObjectMeta, PriorityClass};
    use crate::model::Resources;
    use crate::model::pod::simple_pod;

    fn classes(list: &[(&str, i32, bool)]) -> PriorityClasses {
        let mut out = PriorityClasses::default();
        for (name, value, global_default) in list {
            let pc = PriorityClass {
                metadata: ObjectMeta { name: (*name).into(), ..Default::default() },
                value: *value,
                global_default: *global_default,
                ..Default::default()
            };
            out.add(&pc, Path::new("test.yaml"), 1).expect("class is valid");
        }
        out
    }

    #[test]
    fn named_classes_resolve_and_unknown_ones_are_forbidden() {
        let classes = classes(&[("high", 1000, false)]);
        let mut p = simple_pod("web", Resources::default());
        p.priority_class_name = "high".into();
        admit(&mut p, &classes, SimTime(0)).unwrap();
        assert_eq!(p.priority, 1000);
        p.priority_class_name = "system-node-critical".into();
        admit(&mut p, &classes, SimTime(0)).unwrap();
        assert_eq!(p.priority, 2_000_001_000);
        p.priority_class_name = "missing".into();
        let err = admit(&mut p, &classes, SimTime(0)).unwrap_err();
        assert_eq!(
            (err.reason.as_str(), err.plugin, err.message.as_str()),
            (
                "Forbidden",
                "Priority",
                "pods \"web\" is forbidden: no PriorityClass with name missing was found"
            )
        );
        assert_eq!(p.priority, 2_000_001_000, "a refused pod is left unchanged");
    }

    #[test]
    fn pods_naming_no_class_get_the_global_default() {
        let mut p = simple_pod("web", Resources::default());
        admit(&mut p, &classes(&[("high", 1000, false)]), SimTime(0)).unwrap();
        assert_eq!((p.priority_class_name.as_str(), p.priority), ("", 0));
        admit(&mut p, &classes(&[("batch", 10, true)]), SimTime(0)).unwrap();
        assert_eq!((p.priority_class_name.as_str(), p.priority), ("batch", 10));
    }
}
