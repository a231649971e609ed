//! The taint eviction controller (mirrors kube-controller-manager's
//! `pkg/controller/tainteviction`): a pod on a node with NoExecute taints is deleted at once
//! when it does not tolerate one of them, after the smallest `tolerationSeconds` of the
//! tolerations it uses, or never when none of those sets `tolerationSeconds`.
//! [`TaintEviction`] holds the evictions it has scheduled.

use std::collections::BTreeMap;

use crate::model::PodId;
use crate::model::labels::{Taint, TaintEffect, Toleration};
use crate::time::SimTime;

/// What the controller does with one pod on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No NoExecute taint applies, or every one is tolerated forever: leave the pod alone (and
    /// cancel a scheduled eviction).
    Keep,
    /// Delete the pod now.
    EvictNow,
    /// Delete the pod this many ms after the controller first saw the taints for it.
    EvictAfter(i64),
}

/// The verdict for a pod with `tolerations` on a node with `taints` (upstream
/// `processPodOnNode` with `getMinTolerationTime`): for each NoExecute taint the first
/// toleration that tolerates it is *used*; an untolerated taint evicts now; otherwise the
/// smallest `tolerationSeconds` among the used tolerations (≤ 0 meaning now) sets the delay.
pub fn verdict(tolerations: &[Toleration], taints: &[Taint]) -> Verdict {
    let mut min_s: Option<i64> = None;
    let mut any = false;
    for taint in taints.iter().filter(|t| t.effect == TaintEffect::NoExecute) {
        any = true;
        let Some(used) = tolerations.iter().find(|t| t.tolerates(taint)) else {
            return Verdict::EvictNow;
        };
        if let Some(s) = used.toleration_seconds {
            if s <= 0 {
                return Verdict::EvictNow;
            }
            min_s = Some(min_s.map_or(s, |m| m.min(s)));
        }
    }
    match (any, min_s) {
        (true, Some(s)) => Verdict::EvictAfter(s.saturating_mul(1000)),
        _ => Verdict::Keep,
    }
}

/// What the controller does after looking at a running pod ([`TaintEviction::observe`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing (kept, or an eviction is already scheduled).
    Nothing,
    /// Delete the pod now.
    EvictNow,
    /// Delete the pod at this time, if the eviction with this token is still current then.
    Schedule(SimTime, u32),
}

/// The controller's state: the evictions it scheduled, pod → (token, when first scheduled), and
/// the last token handed out (a token tells a current eviction from a cancelled one).
#[derive(Clone, Debug, Default)]
pub struct TaintEviction {
    scheduled: BTreeMap<PodId, (u32, SimTime)>,
    next_token: u32,
}

impl TaintEviction {
    /// A controller with nothing scheduled.
    pub fn new() -> Self {
        Self::default()
    }

    /// The controller looks at running pod `p` at `now` with its `verdict`: cancels, evicts, or
    /// schedules an eviction. An eviction already scheduled keeps its start (upstream keeps the
    /// existing work item).
    pub fn observe(&mut self, p: PodId, verdict: Verdict, now: SimTime) -> Step {
        match verdict {
            Verdict::Keep => {
                self.scheduled.remove(&p);
                Step::Nothing
            }
            Verdict::EvictNow => {
                self.scheduled.remove(&p);
                Step::EvictNow
            }
            Verdict::EvictAfter(_) if self.scheduled.contains_key(&p) => Step::Nothing,
            Verdict::EvictAfter(ms) => {
                self.next_token += 1;
                let token = self.next_token;
                self.scheduled.insert(p, (token, now));
                Step::Schedule(now.plus_millis(ms), token)
            }
        }
    }

    /// The eviction of `p` with `token` is due: whether it is still current (it is then done).
    pub fn due(&mut self, p: PodId, token: u32) -> bool {
        if self.scheduled.get(&p).is_some_and(|(t, _)| *t == token) {
            self.scheduled.remove(&p);
            return true;
        }
        false
    }

    /// Pod `p` ended: its scheduled eviction, if any, is cancelled.
    pub fn forget(&mut self, p: PodId) {
        self.scheduled.remove(&p);
    }
}

/// Message of the event the controller records on the pod it deletes.
pub fn eviction_message(pod_key: &str) -> String {
    format!("Marking for deletion Pod {pod_key}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::exists_toleration;
    use crate::model::labels::TolerationOperator;

    fn taint(key: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.into(), value: "v".into(), effect }
    }

    fn tol(key: &str, secs: Option<i64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Equal,
            value: "v".into(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: secs,
        }
    }

    #[test]
    fn a_scheduled_eviction_keeps_its_start_and_tokens_tell_cancelled_ones() {
        let mut c = TaintEviction::new();
        let t0 = SimTime(1_000);
        assert_eq!(c.observe(7, Verdict::EvictAfter(300_000), t0), Step::Schedule(SimTime(301_000), 1));
        assert_eq!(c.observe(7, Verdict::EvictAfter(60_000), SimTime(2_000)), Step::Nothing);
        assert_eq!(c.observe(7, Verdict::Keep, SimTime(3_000)), Step::Nothing);
        assert!(!c.due(7, 1), "cancelled");
        assert_eq!(
            c.observe(7, Verdict::EvictAfter(1_000), SimTime(4_000)),
            Step::Schedule(SimTime(5_000), 2)
        );
        assert!(c.due(7, 2));
        assert!(!c.due(7, 2), "done once");
    }

    #[test]
    fn untolerated_no_execute_evicts_now_and_no_schedule_is_ignored() {
        assert_eq!(verdict(&[], &[taint("a", TaintEffect::NoExecute)]), Verdict::EvictNow);
        assert_eq!(verdict(&[], &[taint("a", TaintEffect::NoSchedule)]), Verdict::Keep);
        assert_eq!(verdict(&[], &[]), Verdict::Keep);
    }

    #[test]
    fn the_smallest_toleration_seconds_of_the_used_tolerations_wins() {
        let taints = [taint("a", TaintEffect::NoExecute), taint("b", TaintEffect::NoExecute)];
        assert_eq!(
            verdict(&[tol("a", Some(600)), tol("b", Some(300))], &taints),
            Verdict::EvictAfter(300_000)
        );
        // One tolerated forever, one for 600 s: evicted after 600 s.
        assert_eq!(verdict(&[tol("a", None), tol("b", Some(600))], &taints), Verdict::EvictAfter(600_000));
        assert_eq!(verdict(&[tol("a", None), tol("b", None)], &taints), Verdict::Keep);
        assert_eq!(verdict(&[tol("a", Some(0)), tol("b", None)], &taints), Verdict::EvictNow);
        assert_eq!(verdict(&[tol("a", Some(-5)), tol("b", None)], &taints), Verdict::EvictNow);
        // Only `a` tolerated: `b` evicts now.
        assert_eq!(verdict(&[tol("a", Some(600))], &taints), Verdict::EvictNow);
    }

    /// DefaultTolerationSeconds: an ordinary pod on an unreachable node goes after 300 s.
    #[test]
    fn default_unreachable_toleration_gives_three_hundred_seconds() {
        let t = [exists_toleration(crate::names::TAINT_UNREACHABLE, TaintEffect::NoExecute, Some(300))];
        let taints = [taint(crate::names::TAINT_UNREACHABLE, TaintEffect::NoExecute)];
        assert_eq!(verdict(&t, &taints), Verdict::EvictAfter(300_000));
    }

    /// The first matching toleration is the one used, even when a later one would tolerate
    /// the taint forever.
    #[test]
    fn the_first_matching_toleration_is_used() {
        let taints = [taint("a", TaintEffect::NoExecute)];
        let all = Toleration {
            key: String::new(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
            toleration_seconds: None,
        };
        assert_eq!(verdict(&[tol("a", Some(60)), all.clone()], &taints), Verdict::EvictAfter(60_000));
        assert_eq!(verdict(&[all, tol("a", Some(60))], &taints), Verdict::Keep);
    }
}
