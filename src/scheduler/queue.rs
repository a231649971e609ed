//! The scheduling queue, as upstream's `backend/queue/scheduling_queue.go` (v1.35): activeQ in
//! PrioritySort order, backoffQ ordered by backoff expiry, and the unschedulable pool.
//!
//! - A pod that fails a cycle enters the unschedulable pool with its backoff counted from the
//!   failure: `podInitialBackoffSeconds · 2^(failures−1)`, capped at `podMaxBackoffSeconds`.
//! - A cluster event (node added, pod deleted) moves pool pods to backoffQ while they are still
//!   backing off, else to activeQ. Upstream's QueueingHints for NodeResourcesFit and the other
//!   default plugins queue on these events, so moving every pool pod is their union.
//! - Pods that sat in the pool longer than 5 minutes (`DefaultPodMaxInUnschedulablePodsDuration`)
//!   are moved the same way by the flush that runs every 30 s.
//! - Expired backoffs join activeQ before each pop; with activeQ empty the scheduler pops the
//!   backoffQ pod with the earliest expiry even before it expires (`SchedulerPopFromBackoffQ`,
//!   beta and on since v1.33).

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap};

use crate::model::PodId;
use crate::time::SimTime;

/// Pods wait at most this long in the unschedulable pool before a flush moves them, ms.
pub const POD_MAX_IN_UNSCHEDULABLE_PODS_MS: i64 = 5 * 60 * 1000;
/// Period of the unschedulable-pool flush, ms.
pub const UNSCHEDULABLE_FLUSH_PERIOD_MS: i64 = 30 * 1000;

/// Where a pod is in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// Not in the queue (not created, being scheduled, bound, deleted).
    Absent,
    /// Waiting in activeQ.
    Active,
    /// Waiting in backoffQ.
    Backoff,
    /// Waiting in the unschedulable pool for a cluster event.
    Unschedulable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ActiveEntry {
    priority: i32,
    timestamp: SimTime,
    seq: u64,
    pod: PodId,
}

impl Ord for ActiveEntry {
    /// PrioritySort: higher priority first, then the earlier queue timestamp, then FIFO.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .priority
            .cmp(&self.priority)
            .then(self.timestamp.cmp(&other.timestamp))
            .then(self.seq.cmp(&other.seq))
    }
}
impl PartialOrd for ActiveEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Per-pod queue bookkeeping.
#[derive(Clone, Copy, Debug)]
struct PodQueueInfo {
    state: QueueState,
    priority: i32,
    /// Failed scheduling cycles so far.
    failures: u32,
    /// When the current backoff ends.
    backoff_expiry: SimTime,
    /// When the pod entered the unschedulable pool.
    pool_since: SimTime,
}

impl Default for PodQueueInfo {
    fn default() -> Self {
        PodQueueInfo {
            state: QueueState::Absent,
            priority: 0,
            failures: 0,
            backoff_expiry: SimTime::ZERO,
            pool_since: SimTime::ZERO,
        }
    }
}

/// activeQ + backoffQ + unschedulable pool. Removed pods are dropped lazily from the heaps.
pub struct SchedulingQueue {
    active: BinaryHeap<Reverse<ActiveEntry>>,
    backoff: BinaryHeap<Reverse<(SimTime, u64, PodId)>>,
    unschedulable: BTreeSet<PodId>,
    /// Bookkeeping of the pods this queue has seen and not forgotten ([`SchedulingQueue::forget`]).
    info: crate::model::PodTable<PodQueueInfo>,
    next_seq: u64,
    active_len: usize,
    backoff_len: usize,
    initial_backoff_ms: i64,
    max_backoff_ms: i64,
}

impl Default for SchedulingQueue {
    fn default() -> Self {
        Self::new(1000, 10_000)
    }
}

impl SchedulingQueue {
    /// An empty queue with the given initial and maximum backoff, in ms.
    pub fn new(initial_backoff_ms: i64, max_backoff_ms: i64) -> Self {
        SchedulingQueue {
            active: BinaryHeap::new(),
            backoff: BinaryHeap::new(),
            unschedulable: BTreeSet::new(),
            info: crate::model::PodTable::new(),
            next_seq: 0,
            active_len: 0,
            backoff_len: 0,
            initial_backoff_ms,
            max_backoff_ms,
        }
    }

    fn info_mut(&mut self, pod: PodId) -> &mut PodQueueInfo {
        if self.info.get(pod).is_none() {
            self.info.insert(pod, PodQueueInfo::default());
        }
        &mut self.info[pod]
    }

    /// Forgets a pod that ended (it is in no queue and never comes back), freeing its
    /// bookkeeping: the queue holds only the pods alive.
    pub fn forget(&mut self, pod: PodId) {
        self.remove(pod);
        self.info.remove(pod);
    }

    /// The queue state of `pod`.
    pub fn state(&self, pod: PodId) -> QueueState {
        self.info.get(pod).map(|i| i.state).unwrap_or(QueueState::Absent)
    }

    /// Failed cycles of `pod` so far.
    pub fn failures(&self, pod: PodId) -> u32 {
        self.info.get(pod).map(|i| i.failures).unwrap_or(0)
    }

    /// Backoff after `failures` failed cycles: initial · 2^(failures−1), capped at the maximum.
    pub fn backoff_duration_ms(&self, failures: u32) -> i64 {
        if failures == 0 {
            return 0;
        }
        let mut d = self.initial_backoff_ms;
        for _ in 1..failures {
            d = d.saturating_mul(2);
            if d >= self.max_backoff_ms {
                return self.max_backoff_ms;
            }
        }
        d.min(self.max_backoff_ms)
    }

    /// Adds `pod` (with its `priority`) to activeQ with queue timestamp `now`.
    pub fn add_active(&mut self, pod: PodId, priority: i32, now: SimTime) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.active.push(Reverse(ActiveEntry { priority, timestamp: now, seq, pod }));
        let info = self.info_mut(pod);
        info.state = QueueState::Active;
        info.priority = priority;
        self.active_len += 1;
    }

    fn add_backoff(&mut self, pod: PodId) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let info = self.info_mut(pod);
        info.state = QueueState::Backoff;
        let expiry = info.backoff_expiry;
        self.backoff.push(Reverse((expiry, seq, pod)));
        self.backoff_len += 1;
    }

    /// Moves every backoffQ pod whose backoff ended by `now` to activeQ.
    fn flush_backoff_completed(&mut self, now: SimTime) {
        while let Some(Reverse((expiry, _, pod))) = self.backoff.peek().copied() {
            if expiry > now {
                break;
            }
            self.backoff.pop();
            if self.state(pod) == QueueState::Backoff {
                self.backoff_len -= 1;
                let priority = self.info[pod].priority;
                self.add_active(pod, priority, expiry);
            }
        }
    }

    /// Pops the next pod to schedule at `now`: activeQ first (after expired backoffs join
    /// it), else the backoffQ pod with the earliest expiry.
    pub fn pop(&mut self, now: SimTime) -> Option<PodId> {
        self.flush_backoff_completed(now);
        while let Some(Reverse(e)) = self.active.pop() {
            if self.state(e.pod) == QueueState::Active {
                self.info_mut(e.pod).state = QueueState::Absent;
                self.active_len -= 1;
                return Some(e.pod);
            }
        }
        while let Some(Reverse((_, _, pod))) = self.backoff.pop() {
            if self.state(pod) == QueueState::Backoff {
                self.info_mut(pod).state = QueueState::Absent;
                self.backoff_len -= 1;
                return Some(pod);
            }
        }
        None
    }

    /// True when a pod waits in activeQ or backoffQ (a cycle can run now).
    pub fn has_poppable(&self) -> bool {
        self.active_len > 0 || self.backoff_len > 0
    }

    /// Records a failed cycle of `pod` at `now` and parks it in the unschedulable pool.
    pub fn add_unschedulable(&mut self, pod: PodId, now: SimTime) {
        let failures = self.failures(pod) + 1;
        let backoff = self.backoff_duration_ms(failures);
        let info = self.info_mut(pod);
        info.failures = failures;
        info.backoff_expiry = SimTime(now.0 + backoff);
        info.pool_since = now;
        info.state = QueueState::Unschedulable;
        self.unschedulable.insert(pod);
    }

    fn move_from_pool(&mut self, pod: PodId, now: SimTime) {
        self.unschedulable.remove(&pod);
        let info = self.info[pod];
        if info.backoff_expiry > now {
            self.add_backoff(pod);
        } else {
            self.add_active(pod, info.priority, now);
        }
    }

    /// A cluster event at `now`: every pool pod moves to backoffQ (still backing off) or
    /// activeQ. Returns how many moved.
    pub fn move_all_to_active_or_backoff(&mut self, now: SimTime) -> usize {
        let pods: Vec<PodId> = self.unschedulable.iter().copied().collect();
        for pod in &pods {
            self.move_from_pool(*pod, now);
        }
        pods.len()
    }

    /// The periodic flush at `now`: pool pods waiting longer than 5 minutes move. Returns how
    /// many moved.
    pub fn flush_unschedulable_leftover(&mut self, now: SimTime) -> usize {
        let due: Vec<PodId> = self
            .unschedulable
            .iter()
            .copied()
            .filter(|p| now.0 - self.info[*p].pool_since.0 > POD_MAX_IN_UNSCHEDULABLE_PODS_MS)
            .collect();
        for pod in &due {
            self.move_from_pool(*pod, now);
        }
        due.len()
    }

    /// Removes a pending pod wherever it waits (deletion). Returns whether it was queued.
    pub fn remove(&mut self, pod: PodId) -> bool {
        match self.state(pod) {
            QueueState::Absent => false,
            QueueState::Active => {
                self.info_mut(pod).state = QueueState::Absent;
                self.active_len -= 1;
                true
            }
            QueueState::Backoff => {
                self.info_mut(pod).state = QueueState::Absent;
                self.backoff_len -= 1;
                true
            }
            QueueState::Unschedulable => {
                self.unschedulable.remove(&pod);
                self.info_mut(pod).state = QueueState::Absent;
                true
            }
        }
    }

    /// Number of pods in the unschedulable pool.
    pub fn num_unschedulable(&self) -> usize {
        self.unschedulable.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_priority_then_timestamp_and_skips_removed() {
        let mut q = SchedulingQueue::default();
        q.add_active(0, 0, SimTime(10));
        q.add_active(1, 100, SimTime(20));
        q.add_active(2, 0, SimTime(5));
        q.add_active(3, 0, SimTime(5));
        q.remove(2);
        assert_eq!(
            (q.pop(SimTime(0)), q.pop(SimTime(0)), q.pop(SimTime(0)), q.pop(SimTime(0))),
            (Some(1), Some(3), Some(0), None)
        );
    }

    #[test]
    fn backoff_doubles_from_one_second_to_ten() {
        let q = SchedulingQueue::default();
        let d: Vec<i64> = (1..=6).map(|n| q.backoff_duration_ms(n)).collect();
        assert_eq!(d, vec![1000, 2000, 4000, 8000, 10_000, 10_000]);
    }

    #[test]
    fn pool_pods_move_to_backoff_while_backing_off_and_pop_when_active_is_empty() {
        let mut q = SchedulingQueue::default();
        q.add_unschedulable(4, SimTime(0)); // backoff until 1000 ms
        q.add_unschedulable(2, SimTime(0));
        assert_eq!(q.pop(SimTime(0)), None, "pool pods wait for an event");
        assert_eq!(q.move_all_to_active_or_backoff(SimTime(500)), 2);
        assert_eq!(q.state(2), QueueState::Backoff);
        // A fresh pod in activeQ goes first; then backoffQ pods pop early (PopFromBackoffQ).
        q.add_active(7, 0, SimTime(500));
        assert_eq!(q.pop(SimTime(500)), Some(7));
        // Equal expiry: pool pods move in pod id order (upstream's map order is random).
        assert_eq!(q.pop(SimTime(500)), Some(2));
        assert_eq!(q.pop(SimTime(500)), Some(4));
    }

    #[test]
    fn expired_backoffs_rejoin_active_by_priority() {
        let mut q = SchedulingQueue::default();
        q.add_active(1, 0, SimTime(0));
        assert_eq!(q.pop(SimTime(0)), Some(1));
        q.add_unschedulable(1, SimTime(0));
        q.move_all_to_active_or_backoff(SimTime(100));
        q.add_active(9, -5, SimTime(200));
        // At 1000 ms pod 1's backoff is over: it joins activeQ with its priority 0 > -5.
        assert_eq!(q.pop(SimTime(1000)), Some(1));
        assert_eq!(q.pop(SimTime(1000)), Some(9));
    }

    #[test]
    fn leftover_flush_moves_pods_after_five_minutes() {
        let mut q = SchedulingQueue::default();
        q.add_unschedulable(3, SimTime(0));
        assert_eq!(q.flush_unschedulable_leftover(SimTime(300_000)), 0, "exactly 5 minutes is not longer");
        assert_eq!(q.flush_unschedulable_leftover(SimTime(330_000)), 1);
        assert_eq!(q.state(3), QueueState::Active);
    }
}
