//! Choosing the node to preempt on (`pickOneNodeForPreemption`).

use rand::RngExt;

use super::candidates::{Candidate, start_time};
use crate::model::Cluster;

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
    assert!(!candidates.is_empty(), "pick_one_node_for_preemption needs candidates");
    let priority = |c: &Candidate, i: usize| i64::from(cluster.pod(c.victims[i]).priority);
    let score_funcs: [&dyn Fn(&Candidate) -> i64; 5] = [
        &|c| -(c.num_pdb_violations as i64),
        &|c| -priority(c, 0),
        &|c| -(0..c.victims.len()).map(|i| priority(c, i) + (1i64 << 31)).sum::<i64>(),
        &|c| -(c.victims.len() as i64),
        &|c| {
            let top = (0..c.victims.len()).map(|i| priority(c, i)).max().expect("candidates have victims");
            c.victims
                .iter()
                .filter(|v| i64::from(cluster.pod(**v).priority) == top)
                .map(|v| start_time(cluster, *v))
                .min()
                .expect("a highest-priority victim")
        },
    ];
    let mut remaining: Vec<usize> = (0..candidates.len()).collect();
    for f in score_funcs {
        let scores: Vec<i64> = remaining.iter().map(|i| f(&candidates[*i])).collect();
        let best = *scores.iter().max().expect("candidates remain");
        remaining = remaining.iter().zip(&scores).filter(|(_, s)| **s == best).map(|(i, _)| *i).collect();
        if remaining.len() == 1 {
            return remaining[0];
        }
    }
    match rng {
        Some(r) => remaining[r.random_range(0..remaining.len())],
        None => remaining[0],
    }
}
