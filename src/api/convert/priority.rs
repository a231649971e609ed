//! PriorityClasses (`scheduling.k8s.io/v1`) as the API server validates them
//! (`pkg/apis/scheduling/validation`) and as priority admission
//! (`plugin/pkg/admission/priority`) looks them up: the declared classes, the built-in
//! `system-cluster-critical` / `system-node-critical`, and at most one `globalDefault`.

use std::collections::BTreeMap;
use std::path::Path;

use super::Ctx;
use crate::api::objects as api;
use crate::error::InputError;
use crate::model;

/// Priority of the built-in classes `system-cluster-critical` (2000000000) and
/// `system-node-critical` (2000001000); `None` for any other name.
pub fn builtin_priority(class_name: &str) -> Option<i32> {
    match class_name {
        "system-cluster-critical" => Some(2_000_000_000),
        "system-node-critical" => Some(2_000_001_000),
        _ => None,
    }
}

/// The largest value of a user-defined PriorityClass (`HighestUserDefinablePriority`).
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;

/// PriorityClasses known to priority admission: the ones declared plus the built-in
/// `system-cluster-critical` / `system-node-critical`, and at most one `globalDefault`.
#[derive(Clone, Debug, Default)]
pub struct PriorityClasses {
    classes: BTreeMap<String, i32>,
    policies: BTreeMap<String, String>,
    global_default: Option<(String, i32)>,
    /// Creation time of each class created after time 0 (its manifest's `at`).
    created: BTreeMap<String, crate::time::SimTime>,
}

impl PriorityClasses {
    /// Declares a PriorityClass, validated as the API server does.
    ///
    /// # Errors
    /// A duplicate name, a second `globalDefault`, or a value above 1000000000 for a class whose
    /// name does not start with `system-`.
    pub fn add(&mut self, pc: &api::PriorityClass, path: &Path, line: usize) -> Result<(), InputError> {
        let ctx = Ctx { path, line };
        let name = &pc.metadata.name;
        if name.is_empty() {
            return Err(
                ctx.field_error("metadata.name", "Required value: a PriorityClass needs a name".into())
            );
        }
        if self.classes.contains_key(name) || builtin_priority(name).is_some() {
            return Err(ctx.field_error("metadata.name", format!("PriorityClass {name:?} is defined twice")));
        }
        if pc.value > HIGHEST_USER_DEFINABLE_PRIORITY && !name.starts_with("system-") {
            return Err(ctx.field_error(
                "value",
                format!(
                    "{}: must not exceed {HIGHEST_USER_DEFINABLE_PRIORITY} for a user-defined class",
                    pc.value
                ),
            ));
        }
        if pc.global_default {
            if let Some((other, _)) = &self.global_default {
                return Err(ctx.field_error(
                    "globalDefault",
                    format!("PriorityClass {other:?} is already the global default; only one may be"),
                ));
            }
            self.global_default = Some((name.clone(), pc.value));
        }
        if let Some(policy) = &pc.preemption_policy {
            if !matches!(policy.as_str(), "PreemptLowerPriority" | "Never") {
                return Err(ctx.field_error(
                    "preemptionPolicy",
                    format!("{policy:?}: expected PreemptLowerPriority or Never"),
                ));
            }
            self.policies.insert(name.clone(), policy.clone());
        }
        self.classes.insert(name.clone(), pc.value);
        Ok(())
    }

    /// The `preemptionPolicy` of class `name` (for `""`, of the `globalDefault` class), if set.
    pub fn policy(&self, name: &str) -> Option<&str> {
        let name =
            if name.is_empty() { self.global_default.as_ref().map(|(n, _)| n.as_str())? } else { name };
        self.policies.get(name).map(String::as_str)
    }

    /// Priority admission's copy of the class's `preemptionPolicy` into a pod that sets none.
    pub fn apply_policy(&self, api_pod: &api::Pod, pod: &mut model::Pod) {
        if api_pod.spec.preemption_policy.is_none()
            && self.policy(&api_pod.spec.priority_class_name) == Some("Never")
        {
            pod.preemption_policy = model::PreemptionPolicy::Never;
        }
    }

    /// [`PriorityClasses::add`] for a class created at `at` (its manifest's `at`): priority
    /// admission sees it from then on ([`PriorityClasses::exists_at`]).
    ///
    /// # Errors
    /// As [`PriorityClasses::add`].
    pub fn add_at(
        &mut self,
        pc: &api::PriorityClass,
        path: &Path,
        line: usize,
        at: crate::time::SimTime,
    ) -> Result<(), InputError> {
        self.add(pc, path, line)?;
        if at.0 > 0 {
            self.created.insert(pc.metadata.name.clone(), at);
        }
        Ok(())
    }

    /// Whether class `name` exists at `now` (declared, and created at or before `now`).
    pub fn exists_at(&self, name: &str, now: crate::time::SimTime) -> bool {
        self.classes.contains_key(name) && self.created.get(name).is_none_or(|t| *t <= now)
    }

    /// The name of the `globalDefault` class, if one is declared (priority admission writes it
    /// into pods that name no class).
    pub fn global_default_name(&self) -> Option<&str> {
        self.global_default.as_ref().map(|(n, _)| n.as_str())
    }

    /// The priority of class `name`; for `""` (no class named), the `globalDefault` value.
    pub fn resolve(&self, name: &str) -> Option<i32> {
        if name.is_empty() {
            return self.global_default.as_ref().map(|(_, v)| *v);
        }
        self.classes.get(name).copied().or_else(|| builtin_priority(name))
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::convert::pod_to_model;
    use crate::api::convert::test_support::{path, pod};

    #[test]
    fn priority_resolution() {
        let classes = |name: &str| match name {
            "high" => Some(1000),
            "" => Some(5),
            _ => None,
        };
        let m =
            pod_to_model(&pod("kind: Pod\nspec: {priorityClassName: high}\n"), path(), 1, classes).unwrap();
        assert_eq!(m.priority, 1000);
        let m = pod_to_model(&pod("kind: Pod\nspec: {}\n"), path(), 1, classes).unwrap();
        assert_eq!(m.priority, 5);
        let m = pod_to_model(
            &pod("kind: Pod\nspec: {priority: 3, priorityClassName: high}\n"),
            path(),
            1,
            classes,
        )
        .unwrap();
        assert_eq!(m.priority, 3);
        let m = pod_to_model(
            &pod("kind: Pod\nspec: {priorityClassName: system-node-critical}\n"),
            path(),
            1,
            classes,
        )
        .unwrap();
        assert_eq!(m.priority, 2_000_001_000);
        let err = pod_to_model(&pod("kind: Pod\nspec: {priorityClassName: nope}\n"), path(), 4, classes)
            .unwrap_err();
        assert!(
            matches!(err, InputError::Field { ref field, line: 4, .. } if field == "spec.priorityClassName")
        );
    }
}
