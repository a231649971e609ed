//! [`PodTally`]: the per-pod figures of a run, gathered in one pass over its pods (finished
//! ones read back in creation order, then the ones alive at the end), for the summary, the
//! group and profile tables and the runtime table.

use std::collections::BTreeMap;

use crate::error::SimError;
use crate::metrics::{PodOutcome, PodRecord, PodResult, RunResult};

/// Grouping dimensions of the pending-time tables, in `groups.csv` order, then per profile.
pub(super) const DIM_PRIORITY: usize = 0;
/// By namespace.
pub(super) const DIM_NAMESPACE: usize = 1;
/// By pod size class.
pub(super) const DIM_SIZE: usize = 2;
/// By `schedulerName` (`profiles.csv`).
pub(super) const DIM_SCHEDULER: usize = 3;

/// Values with their multiplicities: exact nearest-rank percentiles in memory that follows the
/// distinct values (most pods of most runs wait 0 ms), not the pods.
#[derive(Clone, Debug, Default)]
pub(super) struct Multiset<K: Ord> {
    counts: BTreeMap<K, u64>,
    len: u64,
}

impl<K: Ord + Copy> Multiset<K> {
    pub(super) fn add(&mut self, k: K) {
        *self.counts.entry(k).or_default() += 1;
        self.len += 1;
    }

    /// Nearest-rank quantile `q` (the ⌈q·n⌉-th smallest, at least the first); `None` when empty.
    pub(super) fn quantile(&self, q: f64) -> Option<K> {
        let k = ((q * self.len as f64).ceil() as u64).clamp(1, self.len.max(1));
        let mut seen = 0;
        self.counts
            .iter()
            .find(|(_, n)| {
                seen += **n;
                seen >= k
            })
            .map(|(v, _)| *v)
    }
}

/// One group's pods: the pending times (ms) of those a scheduler bound, and counts of created,
/// scheduled, never scheduled, deleted while pending, preempted, rejected by the kubelet.
#[derive(Clone, Debug, Default)]
pub(super) struct Group {
    pub(super) waits: Multiset<i64>,
    pub(super) counts: [usize; 6],
}

/// One runtime group's pods (QoS class and `schedulerName`).
#[derive(Clone, Debug, Default)]
pub(super) struct RuntimeGroup {
    pub(super) pods: usize,
    pub(super) oom_kills: u64,
    pub(super) restarts: u64,
    pub(super) pressure_evictions: usize,
    pub(super) throttled_cpu_s: f64,
    /// Fractions of CFS periods throttled, as the bits of these non-negative floats (their
    /// order is the numbers' order).
    pub(super) throttled_fractions: Multiset<u64>,
    pub(super) cpu_shortfall_s: f64,
}

/// The per-pod figures of a run ([`tally`]).
#[derive(Clone, Debug, Default)]
pub struct PodTally {
    pub(super) total: usize,
    pub(super) created: usize,
    pub(super) scheduled: usize,
    pub(super) bound_by_node_name: usize,
    pub(super) deleted_unschedulable: usize,
    /// Pods per outcome, by [`PodOutcome::as_str`].
    pub(super) outcomes: BTreeMap<&'static str, usize>,
    /// Longest wait of a pod never bound (to its deletion or the end), ms.
    pub(super) never_wait_ms: i64,
    /// Per dimension: groups by (sort key, name).
    pub(super) groups: [BTreeMap<(i64, String), Group>; 4],
    /// Runtime groups by (schedulerName or `all`, QoS class or `all`).
    pub(super) runtime: BTreeMap<(String, String), RuntimeGroup>,
}

impl PodTally {
    /// Pods with outcome `o`.
    pub(super) fn count(&self, o: PodOutcome) -> usize {
        self.outcomes.get(o.as_str()).copied().unwrap_or(0)
    }

    fn add(&mut self, p: &PodResult, end_ms: i64) {
        let rec = &p.record;
        self.total += 1;
        *self.outcomes.entry(rec.outcome.as_str()).or_default() += 1;
        let scheduled = by_scheduler(rec);
        self.scheduled += usize::from(scheduled);
        if rec.outcome == PodOutcome::BoundByNodeName
            || (rec.owner.starts_with("Node/") && rec.scheduled_ms.is_some())
        {
            self.bound_by_node_name += 1;
        }
        if rec.outcome == PodOutcome::DeletedWhilePending && rec.attempts > 0 {
            self.deleted_unschedulable += 1;
        }
        let never = matches!(
            rec.outcome,
            PodOutcome::Pending | PodOutcome::Gated | PodOutcome::NoProfile | PodOutcome::NodeNotFound
        );
        if let Some(created) = rec.created_ms {
            self.created += 1;
            if rec.scheduled_ms.is_none() && (never || rec.outcome == PodOutcome::DeletedWhilePending) {
                self.never_wait_ms = self.never_wait_ms.max(rec.deleted_ms.unwrap_or(end_ms) - created);
            }
            let f = &p.facts;
            let size = super::summary::size_class(f.milli_cpu);
            let keys = [
                (f.priority as i64, f.priority.to_string()),
                (0, f.namespace.clone()),
                (size as i64, super::summary::SIZE_CLASSES[size].1.to_string()),
                (0, f.scheduler_name.clone()),
            ];
            for (dim, key) in keys.into_iter().enumerate() {
                let g = self.groups[dim].entry(key).or_default();
                g.counts[0] += 1;
                if scheduled {
                    g.counts[1] += 1;
                    g.waits.add(rec.scheduled_ms.unwrap_or(0) - created);
                }
                match rec.outcome {
                    PodOutcome::DeletedWhilePending => g.counts[3] += 1,
                    PodOutcome::Preempted => g.counts[4] += 1,
                    PodOutcome::RejectedByKubelet => g.counts[5] += 1,
                    _ if never => g.counts[2] += 1,
                    _ => {}
                }
            }
        }
        if let Some(q) = rec.runtime.qos {
            let s = p.facts.scheduler_name.clone();
            let keys = [(s.clone(), q.as_str().to_string()), (s, "all".into()), ("all".into(), "all".into())];
            for key in keys {
                let g = self.runtime.entry(key).or_default();
                g.pods += 1;
                g.oom_kills += u64::from(rec.runtime.oom_kills);
                g.restarts += u64::from(rec.runtime.restarts);
                g.pressure_evictions += usize::from(
                    rec.outcome == PodOutcome::Evicted
                        && rec.last_reason.starts_with("The node was low on resource"),
                );
                g.throttled_cpu_s += rec.runtime.throttled_cpu_s;
                let f = rec.runtime.throttled_fraction;
                g.throttled_fractions.add(if f > 0.0 { f.to_bits() } else { 0 });
                g.cpu_shortfall_s += rec.runtime.cpu_shortfall_s;
            }
        }
    }
}

/// Whether a scheduler bound the pod at some point (whatever happened to it afterwards).
pub(super) fn by_scheduler(rec: &PodRecord) -> bool {
    rec.scheduled_ms.is_some()
        && !matches!(rec.outcome, PodOutcome::BoundByNodeName | PodOutcome::RejectedByKubelet)
        && !rec.owner.starts_with("Node/")
}

/// Tallies every pod of `r` in one pass.
///
/// # Errors
/// The finished pods cannot be read back ([`RunResult::pods`]).
pub fn tally(r: &RunResult) -> Result<PodTally, SimError> {
    let mut t = PodTally::default();
    for p in r.pods() {
        t.add(&p?, r.end.0);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::Multiset;

    /// Nearest rank over values with multiplicities: the same as sorting every value.
    #[test]
    fn multiset_quantiles_are_nearest_rank() {
        let mut m = Multiset::default();
        assert_eq!(m.quantile(0.5), None);
        for v in [0, 0, 0, 0, 0, 0, 0, 500, 500, 9_000] {
            m.add(v);
        }
        // Sorted: 0×7, 500×2, 9000: ranks ⌈5⌉ = 5, ⌈9⌉ = 9, ⌈9.9⌉ = 10, ⌈0⌉ → 1.
        assert_eq!(
            [m.quantile(0.5), m.quantile(0.9), m.quantile(0.99), m.quantile(0.0)],
            [Some(0), Some(500), Some(9_000), Some(0)]
        );
        assert_eq!(m.quantile(0.75), Some(500));
    }
}
