//! Choosing the node to preempt on (`pickOneNodeForPreemption`).

use rand::RngExt;

use super::candidates::{Candidate, start_time};
use crate::model::Cluster;

/// What `pickOneNodeForPreemption`'s default score functions read of a candidate's victims,
/// gathered as the victims are chosen (in any order: every figure is a max, a sum, a count or a
/// min).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VictimSummary {
    /// Victims.
    pub count: usize,
    /// The highest priority among them (the first victim's, as victims are sorted most
    /// important first).
    pub top: i32,
    /// Σ over victims of `priority + 2³¹`.
    pub sum: i64,
    /// The earliest start among the victims of priority `top` (`i64::MAX`: none recorded).
    pub top_start: i64,
}

impl Default for VictimSummary {
    fn default() -> Self {
        VictimSummary { count: 0, top: i32::MIN, sum: 0, top_start: i64::MAX }
    }
}

impl VictimSummary {
    /// Counts a victim of `priority` that started at `start` (`i64::MAX`: not recorded).
    pub fn add(&mut self, priority: i32, start: i64) {
        self.count += 1;
        self.sum += i64::from(priority) + (1i64 << 31);
        if priority > self.top {
            self.top = priority;
            self.top_start = start;
        } else if priority == self.top {
            self.top_start = self.top_start.min(start);
        }
    }

    /// The score functions' values (higher is better), in the order they are applied.
    fn scores(&self, num_pdb_violations: usize) -> [i64; 5] {
        [-(num_pdb_violations as i64), -i64::from(self.top), -self.sum, -(self.count as i64), self.top_start]
    }
}

/// Upstream `pickOneNodeForPreemption` with its default score functions, applied in order, each
/// keeping only the candidates with the best value, until one remains:
///
/// 1. fewest PDB violations;
/// 2. lowest priority of the most important victim (victims are sorted, so the first one);
/// 3. lowest sum over victims of `priority + 2³¹` (so negative priorities still add up);
/// 4. fewest victims;
/// 5. latest start time, where a node's start time is the earliest start among its victims of
///    the highest priority (a victim without a recorded start counts as starting now);
/// 6. the first candidate left. Upstream takes the first in Go map order, which is effectively
///    random: with `rng` the remaining candidates are drawn uniformly, without it the first in
///    dry-run order wins.
///
/// Returns the index of the chosen candidate in `candidates` (which must not be empty).
pub fn pick_one_node_for_preemption(
    candidates: &[Candidate],
    cluster: &Cluster,
    rng: Option<&mut rand_chacha::ChaCha8Rng>,
) -> usize {
    let summaries = candidates.iter().map(|c| {
        let mut s = VictimSummary::default();
        for v in &c.victims {
            s.add(cluster.pod(*v).priority, start_time(cluster, *v));
        }
        (s, c.num_pdb_violations)
    });
    pick_by_summaries(summaries, rng)
}

/// [`pick_one_node_for_preemption`] on the candidates' victim summaries and PDB violations, in
/// dry-run order. Keeping, function after function, the candidates with the best value leaves
/// exactly those whose values are the lexicographic best; one of them wins outright, several
/// go to the draw.
pub(super) fn pick_by_summaries(
    candidates: impl Iterator<Item = (VictimSummary, usize)>,
    rng: Option<&mut rand_chacha::ChaCha8Rng>,
) -> usize {
    let mut best: Option<[i64; 5]> = None;
    let mut tied: Vec<usize> = Vec::new();
    for (i, (summary, violations)) in candidates.enumerate() {
        assert!(summary.count > 0, "candidates have victims");
        let scores = summary.scores(violations);
        match best.map(|b| scores.cmp(&b)) {
            Some(std::cmp::Ordering::Less) => {}
            Some(std::cmp::Ordering::Equal) => tied.push(i),
            _ => {
                best = Some(scores);
                tied.clear();
                tied.push(i);
            }
        }
    }
    assert!(!tied.is_empty(), "pick_one_node_for_preemption needs candidates");
    match (tied.len(), rng) {
        (1, _) | (_, None) => tied[0],
        (_, Some(r)) => tied[r.random_range(0..tied.len())],
    }
}
