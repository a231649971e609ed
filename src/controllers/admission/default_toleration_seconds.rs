//! The **DefaultTolerationSeconds** admission plugin, after
//! `plugin/pkg/admission/defaulttolerationseconds/admission.go` (kube-apiserver v1.35): a
//! mutating plugin that gives every new pod 300 s tolerations of the `not-ready` and
//! `unreachable` NoExecute taints unless it already tolerates them.

use crate::model::labels::{TaintEffect, Toleration, TolerationOperator};
use crate::model::pod::Pod;
use crate::names::{TAINT_NOT_READY, TAINT_UNREACHABLE};

/// kube-apiserver's default `--default-not-ready-toleration-seconds`: 300 s.
pub const DEFAULT_NOT_READY_TOLERATION_SECONDS: i64 = 300;
/// kube-apiserver's default `--default-unreachable-toleration-seconds`: 300 s.
pub const DEFAULT_UNREACHABLE_TOLERATION_SECONDS: i64 = 300;

/// The plugin's configuration: kube-apiserver's `--default-not-ready-toleration-seconds` and
/// `--default-unreachable-toleration-seconds` (durations in seconds, 300 each by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultTolerationSeconds {
    /// Seconds of the added `node.kubernetes.io/not-ready` toleration.
    pub not_ready_seconds: i64,
    /// Seconds of the added `node.kubernetes.io/unreachable` toleration.
    pub unreachable_seconds: i64,
}

impl Default for DefaultTolerationSeconds {
    fn default() -> Self {
        DefaultTolerationSeconds {
            not_ready_seconds: DEFAULT_NOT_READY_TOLERATION_SECONDS,
            unreachable_seconds: DEFAULT_UNREACHABLE_TOLERATION_SECONDS,
        }
    }
}

impl DefaultTolerationSeconds {
    /// The plugin's `Admit` on a new pod: [`add_default_tolerations`] with these seconds.
    pub fn admit(&self, pod: &mut Pod) {
        add_default_tolerations(pod, self.not_ready_seconds, self.unreachable_seconds);
    }
}

/// The DefaultTolerationSeconds admission plugin: adds `{node.kubernetes.io/not-ready, Exists,
/// NoExecute, not_ready_seconds}` and `{node.kubernetes.io/unreachable, Exists, NoExecute,
/// unreachable_seconds}` (kube-apiserver defaults: 300 s each,
/// [`DEFAULT_NOT_READY_TOLERATION_SECONDS`]) at the end of the pod's tolerations.
///
/// A toleration is left out when the pod already has one for that taint as upstream judges it:
/// a toleration whose key is the taint key or empty and whose effect is `NoExecute` or empty.
/// Operator and value are not looked at (an `Equal` toleration of that key counts too), and an
/// existing toleration is never changed.
pub fn add_default_tolerations(pod: &mut Pod, not_ready_seconds: i64, unreachable_seconds: i64) {
    let covered = |key: &str| {
        pod.tolerations.iter().any(|t| {
            (t.key == key || t.key.is_empty()) && t.effect.is_none_or(|e| e == TaintEffect::NoExecute)
        })
    };
    let missing: Vec<(&str, i64)> =
        [(TAINT_NOT_READY, not_ready_seconds), (TAINT_UNREACHABLE, unreachable_seconds)]
            .into_iter()
            .filter(|(key, _)| !covered(key))
            .collect();
    for (key, seconds) in missing {
        pod.tolerations.push(Toleration {
            key: key.to_string(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(seconds),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resources;
    use crate::model::pod::simple_pod;

    #[test]
    fn default_tolerations_are_added_with_their_seconds() {
        let mut p = simple_pod("p", Resources::default());
        add_default_tolerations(
            &mut p,
            DEFAULT_NOT_READY_TOLERATION_SECONDS,
            DEFAULT_UNREACHABLE_TOLERATION_SECONDS,
        );
        let expected = |key: &str| Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(300),
        };
        assert_eq!(p.tolerations, vec![expected(TAINT_NOT_READY), expected(TAINT_UNREACHABLE)]);
        // Running it again adds nothing.
        add_default_tolerations(&mut p, 300, 300);
        assert_eq!(p.tolerations.len(), 2);
    }

    #[test]
    fn default_tolerations_respect_existing_ones() {
        let tol = |key: &str, operator, effect| Toleration {
            key: key.into(),
            operator,
            value: String::new(),
            effect,
            toleration_seconds: Some(60),
        };
        // An existing not-ready NoExecute toleration is kept as is (60 s), only unreachable is added.
        let mut p = simple_pod("p", Resources::default());
        p.tolerations = vec![tol(TAINT_NOT_READY, TolerationOperator::Exists, Some(TaintEffect::NoExecute))];
        add_default_tolerations(&mut p, 300, 200);
        assert_eq!(p.tolerations.len(), 2);
        assert_eq!(p.tolerations[0].toleration_seconds, Some(60));
        assert_eq!(
            (p.tolerations[1].key.as_str(), p.tolerations[1].toleration_seconds),
            (TAINT_UNREACHABLE, Some(200))
        );
        // A toleration of every taint (empty key, any effect) covers both.
        let mut p = simple_pod("p", Resources::default());
        p.tolerations = vec![tol("", TolerationOperator::Exists, None)];
        add_default_tolerations(&mut p, 300, 300);
        assert_eq!(p.tolerations.len(), 1);
        // A NoSchedule toleration of the key does not count; an Equal one of any value does.
        let mut p = simple_pod("p", Resources::default());
        p.tolerations = vec![
            tol(TAINT_NOT_READY, TolerationOperator::Exists, Some(TaintEffect::NoSchedule)),
            tol(TAINT_UNREACHABLE, TolerationOperator::Equal, Some(TaintEffect::NoExecute)),
        ];
        add_default_tolerations(&mut p, 300, 300);
        assert_eq!(p.tolerations.len(), 3);
        assert_eq!(
            (p.tolerations[2].key.as_str(), p.tolerations[2].effect, p.tolerations[2].toleration_seconds),
            (TAINT_NOT_READY, Some(TaintEffect::NoExecute), Some(300))
        );
    }
}
