//! The event queue: a min-heap on (time, sequence number), FIFO among equal times.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::event::Event;
use crate::time::SimTime;

struct Entry {
    time: SimTime,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

/// Pending events, popped in (time, insertion sequence) order, so events at the same virtual
/// time run in the order they were scheduled. O(log n) push and pop.
#[derive(Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`.
    pub fn push(&mut self, time: SimTime, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Entry { time, seq, event }));
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        self.heap.pop().map(|Reverse(e)| (e.time, e.event))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(e)| e.time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Events pop in (time, insertion order) order whatever the push order of times.
        #[test]
        fn pops_in_time_then_sequence_order(times in proptest::collection::vec(0i64..50, 1..200)) {
            let mut q = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.push(SimTime(*t), Event::PodCreated(i as u32));
            }
            let mut popped = Vec::new();
            while let Some((t, Event::PodCreated(i))) = q.pop() {
                popped.push((t.0, i));
            }
            let mut expected: Vec<(i64, u32)> = times.iter().enumerate().map(|(i, t)| (*t, i as u32)).collect();
            expected.sort();
            prop_assert_eq!(popped, expected);
        }
    }
}
