//! The scheduling constraints of pods and nodes, converted with the API server's validation of
//! their operators and effects: label selectors (with `matchLabelKeys` / `mismatchLabelKeys`
//! merged in), pod (anti-)affinity, topology spread constraints, node affinity and node selector
//! terms, tolerations and taint effects.

use std::path::Path;

use super::Ctx;
use crate::api::objects as api;
use crate::error::InputError;
use crate::model;

/// Converts an API NodeAffinity (a pod's `spec.affinity.nodeAffinity`, or NodeAffinityArgs'
/// `addedAffinity`) into the model, as pod conversion does. `prefix` is its field path, used with
/// `path` and `line` in errors.
///
/// # Errors
/// [`InputError::Field`] for an unknown operator.
pub fn node_affinity_to_model(
    na: &api::NodeAffinity,
    path: &Path,
    line: usize,
    prefix: &str,
) -> Result<model::NodeAffinity, InputError> {
    Ctx { path, line }.node_affinity(na, prefix)
}

impl Ctx<'_> {
    /// A label selector; unknown operators are errors.
    pub(super) fn label_selector(
        &self,
        sel: &api::LabelSelector,
        prefix: &str,
    ) -> Result<model::LabelSelector, InputError> {
        let match_expressions = sel
            .match_expressions
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let operator = match r.operator.as_str() {
                    "In" => model::LabelSelectorOperator::In,
                    "NotIn" => model::LabelSelectorOperator::NotIn,
                    "Exists" => model::LabelSelectorOperator::Exists,
                    "DoesNotExist" => model::LabelSelectorOperator::DoesNotExist,
                    other => {
                        return Err(self.field_error(
                            &format!("{prefix}.matchExpressions[{i}].operator"),
                            format!("{other:?}: expected In, NotIn, Exists or DoesNotExist"),
                        ));
                    }
                };
                Ok(model::LabelSelectorRequirement { key: r.key.clone(), operator, values: r.values.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(model::LabelSelector { match_labels: sel.match_labels.clone(), match_expressions })
    }

    /// Merges `matchLabelKeys` (`key In [pod's value]`) and `mismatchLabelKeys` (`key NotIn
    /// [pod's value]`) into a selector, as the API server does; keys the pod lacks are ignored.
    fn merge_label_keys(
        selector: Option<model::LabelSelector>,
        labels: &model::Labels,
        match_keys: &[String],
        mismatch_keys: &[String],
    ) -> Option<model::LabelSelector> {
        if match_keys.is_empty() && mismatch_keys.is_empty() {
            return selector;
        }
        let mut sel = selector?;
        for (keys, operator) in [
            (match_keys, model::LabelSelectorOperator::In),
            (mismatch_keys, model::LabelSelectorOperator::NotIn),
        ] {
            for k in keys {
                if let Some(v) = labels.get(k) {
                    sel.match_expressions.push(model::LabelSelectorRequirement {
                        key: k.clone(),
                        operator,
                        values: vec![v.clone()],
                    });
                }
            }
        }
        Some(sel)
    }

    fn pod_affinity_term(
        &self,
        t: &api::PodAffinityTerm,
        labels: &model::Labels,
        prefix: &str,
    ) -> Result<model::PodAffinityTerm, InputError> {
        let selector = t
            .label_selector
            .as_ref()
            .map(|s| self.label_selector(s, &format!("{prefix}.labelSelector")))
            .transpose()?;
        Ok(model::PodAffinityTerm {
            selector: Self::merge_label_keys(selector, labels, &t.match_label_keys, &t.mismatch_label_keys),
            namespaces: t.namespaces.clone(),
            namespace_selector: t
                .namespace_selector
                .as_ref()
                .map(|s| self.label_selector(s, &format!("{prefix}.namespaceSelector")))
                .transpose()?,
            topology_key: t.topology_key.clone(),
        })
    }

    pub(super) fn pod_affinity(
        &self,
        a: &api::PodAffinity,
        labels: &model::Labels,
        prefix: &str,
    ) -> Result<model::PodAffinity, InputError> {
        let required = a
            .required_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.pod_affinity_term(
                    t,
                    labels,
                    &format!("{prefix}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let preferred = a
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let at = format!("{prefix}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
                Ok(model::WeightedPodAffinityTerm {
                    weight: w.weight,
                    term: self.pod_affinity_term(
                        &w.pod_affinity_term,
                        labels,
                        &format!("{at}.podAffinityTerm"),
                    )?,
                })
            })
            .collect::<Result<Vec<_>, InputError>>()?;
        Ok(model::PodAffinity { required, preferred })
    }

    pub(super) fn spread_constraint(
        &self,
        c: &api::TopologySpreadConstraint,
        labels: &model::Labels,
        prefix: &str,
    ) -> Result<model::TopologySpreadConstraint, InputError> {
        let when_unsatisfiable = match c.when_unsatisfiable.as_str() {
            "DoNotSchedule" => model::WhenUnsatisfiable::DoNotSchedule,
            "ScheduleAnyway" => model::WhenUnsatisfiable::ScheduleAnyway,
            other => {
                return Err(self.field_error(
                    &format!("{prefix}.whenUnsatisfiable"),
                    format!("{other:?}: expected DoNotSchedule or ScheduleAnyway"),
                ));
            }
        };
        let policy = |v: &Option<String>, field: &str, default: model::NodeInclusionPolicy| match v.as_deref()
        {
            None => Ok(default),
            Some("Honor") => Ok(model::NodeInclusionPolicy::Honor),
            Some("Ignore") => Ok(model::NodeInclusionPolicy::Ignore),
            Some(other) => Err(self
                .field_error(&format!("{prefix}.{field}"), format!("{other:?}: expected Honor or Ignore"))),
        };
        if c.max_skew < 1 {
            return Err(self.field_error(
                &format!("{prefix}.maxSkew"),
                format!("{}: must be greater than zero", c.max_skew),
            ));
        }
        let selector = c
            .label_selector
            .as_ref()
            .map(|s| self.label_selector(s, &format!("{prefix}.labelSelector")))
            .transpose()?;
        Ok(model::TopologySpreadConstraint {
            max_skew: c.max_skew,
            topology_key: c.topology_key.clone(),
            when_unsatisfiable,
            selector: Self::merge_label_keys(selector, labels, &c.match_label_keys, &[]),
            min_domains: c.min_domains,
            node_affinity_policy: policy(
                &c.node_affinity_policy,
                "nodeAffinityPolicy",
                model::NodeInclusionPolicy::Honor,
            )?,
            node_taints_policy: policy(
                &c.node_taints_policy,
                "nodeTaintsPolicy",
                model::NodeInclusionPolicy::Ignore,
            )?,
        })
    }

    pub(super) fn taint_effect(&self, effect: &str, field: &str) -> Result<model::TaintEffect, InputError> {
        match effect {
            "NoSchedule" => Ok(model::TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(model::TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(model::TaintEffect::NoExecute),
            other => Err(self.field_error(
                field,
                format!("unknown effect {other:?}: expected NoSchedule, PreferNoSchedule or NoExecute"),
            )),
        }
    }

    pub(super) fn toleration(
        &self,
        t: &api::Toleration,
        prefix: &str,
    ) -> Result<model::Toleration, InputError> {
        let operator = match t.operator.as_str() {
            "" | "Equal" => model::TolerationOperator::Equal,
            "Exists" => model::TolerationOperator::Exists,
            // Alpha TaintTolerationComparisonOperators (off in v1.35): kept, tolerate nothing.
            "Lt" => model::TolerationOperator::Lt,
            "Gt" => model::TolerationOperator::Gt,
            other => {
                return Err(self.field_error(
                    &format!("{prefix}.operator"),
                    format!("unknown toleration operator {other:?}: expected Equal, Exists, Lt or Gt"),
                ));
            }
        };
        let effect = if t.effect.is_empty() {
            None
        } else {
            Some(self.taint_effect(&t.effect, &format!("{prefix}.effect"))?)
        };
        Ok(model::Toleration {
            key: t.key.clone(),
            operator,
            value: t.value.clone(),
            effect,
            toleration_seconds: t.toleration_seconds,
        })
    }

    pub(super) fn node_affinity(
        &self,
        na: &api::NodeAffinity,
        prefix: &str,
    ) -> Result<model::NodeAffinity, InputError> {
        let required = match &na.required_during_scheduling_ignored_during_execution {
            Some(sel) => {
                let p = format!("{prefix}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
                let terms = sel
                    .node_selector_terms
                    .iter()
                    .enumerate()
                    .map(|(i, t)| self.node_selector_term(t, &format!("{p}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Some(model::NodeSelector { terms })
            }
            None => None,
        };
        let preferred = na
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let p = format!("{prefix}.preferredDuringSchedulingIgnoredDuringExecution[{i}].preference");
                Ok(model::PreferredSchedulingTerm {
                    weight: t.weight,
                    preference: self.node_selector_term(&t.preference, &p)?,
                })
            })
            .collect::<Result<Vec<_>, InputError>>()?;
        Ok(model::NodeAffinity { required, preferred })
    }

    fn node_selector_term(
        &self,
        t: &api::NodeSelectorTerm,
        prefix: &str,
    ) -> Result<model::NodeSelectorTerm, InputError> {
        let reqs = |list: &[api::NodeSelectorRequirement], what: &str| {
            list.iter()
                .enumerate()
                .map(|(i, r)| self.node_selector_requirement(r, &format!("{prefix}.{what}[{i}]")))
                .collect::<Result<Vec<_>, InputError>>()
        };
        Ok(model::NodeSelectorTerm {
            match_expressions: reqs(&t.match_expressions, "matchExpressions")?,
            match_fields: reqs(&t.match_fields, "matchFields")?,
        })
    }

    fn node_selector_requirement(
        &self,
        r: &api::NodeSelectorRequirement,
        prefix: &str,
    ) -> Result<model::NodeSelectorRequirement, InputError> {
        use model::NodeSelectorOperator as Op;
        let operator = match r.operator.as_str() {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            other => {
                return Err(self.field_error(
                    &format!("{prefix}.operator"),
                    format!("unknown operator {other:?}: expected In, NotIn, Exists, DoesNotExist, Gt or Lt"),
                ));
            }
        };
        Ok(model::NodeSelectorRequirement { key: r.key.clone(), operator, values: r.values.clone() })
    }
}

#[cfg(test)]
mod tests {
    use crate::api::convert::test_support::{node, path, pod};
    use crate::api::convert::{node_to_model, pod_to_model};
    use crate::error::InputError;
    use crate::model;

    #[test]
    fn taints_tolerations_and_affinity_convert() {
        let n = node(
            "kind: Node\nspec:\n  taints:\n  - {key: k, value: v, effect: NoExecute}\n  unschedulable: true\n",
        );
        let m = node_to_model(&n, path(), 1).unwrap();
        assert_eq!(m.taints[0].effect, model::TaintEffect::NoExecute);
        assert!(m.unschedulable);

        let p = pod(
            "kind: Pod\nspec:\n  tolerations:\n  - {key: k, value: v}\n  - {operator: Exists, effect: NoSchedule, tolerationSeconds: 5}\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions: [{key: zone, operator: In, values: [a]}]\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 7\n        preference:\n          matchFields: [{key: metadata.name, operator: NotIn, values: [n1]}]\n",
        );
        let m = pod_to_model(&p, path(), 1, |_| None).unwrap();
        assert_eq!(m.tolerations[0].operator, model::TolerationOperator::Equal);
        assert_eq!(m.tolerations[0].effect, None);
        assert_eq!(m.tolerations[1].operator, model::TolerationOperator::Exists);
        assert_eq!(m.tolerations[1].toleration_seconds, Some(5));
        let na = m.node_affinity.unwrap();
        assert_eq!(
            na.required.unwrap().terms[0].match_expressions[0].operator,
            model::NodeSelectorOperator::In
        );
        assert_eq!(na.preferred[0].weight, 7);
        assert_eq!(na.preferred[0].preference.match_fields[0].operator, model::NodeSelectorOperator::NotIn);
    }

    #[test]
    fn unknown_operators_and_effects_are_errors() {
        let p = pod("kind: Pod\nspec:\n  tolerations:\n  - {key: k, operator: Above}\n");
        match pod_to_model(&p, path(), 1, |_| None).unwrap_err() {
            InputError::Field { field, .. } => assert_eq!(field, "spec.tolerations[0].operator"),
            other => panic!("unexpected {other:?}"),
        }
        let p = pod(
            "kind: Pod\nspec:\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions: [{key: zone, operator: Within}]\n",
        );
        match pod_to_model(&p, path(), 1, |_| None).unwrap_err() {
            InputError::Field { field, .. } => assert_eq!(
                field,
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"
            ),
            other => panic!("unexpected {other:?}"),
        }
        let n = node("kind: Node\nspec:\n  taints: [{key: k, effect: Sometimes}]\n");
        match node_to_model(&n, path(), 1).unwrap_err() {
            InputError::Field { field, .. } => assert_eq!(field, "spec.taints[0].effect"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
