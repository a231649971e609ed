//! The scheduling queue: an active queue ordered by PrioritySort and a pool of unschedulable pods
//! that return to the active queue when the cluster changes.
//!
//! A simplification of upstream's `backend/queue/scheduling_queue.go`: no backoff queue and no
//! periodic flush yet; every cluster change (node added, pod deleted) moves every unschedulable
//! pod back, which upstream's QueueingHints also do for NodeResourcesFit on those events.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap};

use crate::model::PodId;

/// Where a pod is in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// Not in the queue (not created, being scheduled, bound, deleted).
    Absent,
    /// Waiting in the active queue.
    Active,
    /// Waiting for a cluster change.
    Unschedulable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ActiveEntry {
    priority: i32,
    timestamp_ms: i64,
    seq: u64,
    pod: PodId,
}

impl Ord for ActiveEntry {
    /// PrioritySort: higher priority first, then the earlier queue timestamp, then FIFO.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .priority
            .cmp(&self.priority)
            .then(self.timestamp_ms.cmp(&other.timestamp_ms))
            .then(self.seq.cmp(&other.seq))
    }
}
impl PartialOrd for ActiveEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// activeQ + unschedulable pool. Deleted pods are dropped lazily when popped.
#[derive(Default)]
pub struct SchedulingQueue {
    active: BinaryHeap<Reverse<ActiveEntry>>,
    unschedulable: BTreeSet<PodId>,
    state: Vec<QueueState>,
    next_seq: u64,
    active_len: usize,
}

impl SchedulingQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    fn set_state(&mut self, pod: PodId, s: QueueState) {
        let i = pod as usize;
        if self.state.len() <= i {
            self.state.resize(i + 1, QueueState::Absent);
        }
        self.state[i] = s;
    }

    /// The queue state of `pod`.
    pub fn state(&self, pod: PodId) -> QueueState {
        self.state.get(pod as usize).copied().unwrap_or(QueueState::Absent)
    }

    /// Adds `pod` (with its `priority`) to the active queue with queue timestamp `now_ms`.
    pub fn add_active(&mut self, pod: PodId, priority: i32, now_ms: i64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.active.push(Reverse(ActiveEntry { priority, timestamp_ms: now_ms, seq, pod }));
        self.set_state(pod, QueueState::Active);
        self.active_len += 1;
    }

    /// Pops the next pod to schedule.
    pub fn pop(&mut self) -> Option<PodId> {
        while let Some(Reverse(e)) = self.active.pop() {
            if self.state(e.pod) == QueueState::Active {
                self.set_state(e.pod, QueueState::Absent);
                self.active_len -= 1;
                return Some(e.pod);
            }
        }
        None
    }

    /// True when the active queue holds at least one live pod.
    pub fn has_active(&self) -> bool {
        self.active_len > 0
    }

    /// Parks a pod that fit nowhere until the cluster changes.
    pub fn add_unschedulable(&mut self, pod: PodId) {
        self.unschedulable.insert(pod);
        self.set_state(pod, QueueState::Unschedulable);
    }

    /// Moves every unschedulable pod to the active queue (in pod id order, with timestamp
    /// `now_ms`); returns how many moved. `priority_of` gives each pod's priority.
    pub fn move_all_to_active(&mut self, now_ms: i64, priority_of: impl Fn(PodId) -> i32) -> usize {
        let pods = std::mem::take(&mut self.unschedulable);
        let n = pods.len();
        for pod in pods {
            self.add_active(pod, priority_of(pod), now_ms);
        }
        n
    }

    /// Removes a pending pod wherever it waits (deletion). Returns whether it was queued.
    pub fn remove(&mut self, pod: PodId) -> bool {
        match self.state(pod) {
            QueueState::Absent => false,
            QueueState::Active => {
                self.set_state(pod, QueueState::Absent);
                self.active_len -= 1;
                true
            }
            QueueState::Unschedulable => {
                self.unschedulable.remove(&pod);
                self.set_state(pod, QueueState::Absent);
                true
            }
        }
    }

    /// Number of unschedulable pods waiting.
    pub fn num_unschedulable(&self) -> usize {
        self.unschedulable.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_priority_then_timestamp_and_skips_removed() {
        let mut q = SchedulingQueue::new();
        q.add_active(0, 0, 10);
        q.add_active(1, 100, 20);
        q.add_active(2, 0, 5);
        q.add_active(3, 0, 5);
        q.remove(2);
        assert_eq!((q.pop(), q.pop(), q.pop(), q.pop()), (Some(1), Some(3), Some(0), None));
    }

    #[test]
    fn unschedulable_pods_return_on_cluster_change() {
        let mut q = SchedulingQueue::new();
        q.add_unschedulable(4);
        q.add_unschedulable(2);
        assert_eq!(q.pop(), None);
        assert_eq!(q.move_all_to_active(50, |_| 0), 2);
        assert_eq!((q.pop(), q.pop()), (Some(2), Some(4)));
    }
}
