//! The run's invariants, checked after every event by [`super::engine::run_checked`] (property
//! tests; too slow for real runs: each check walks every pod and node).
//!
//! - Every pod created is in exactly one phase, and the counters agree with the phases:
//!   created = pending + running + succeeded + failed + rejected.
//! - No live node holds more than its allocatable: cpu, memory, ephemeral storage, extended
//!   resources and the pod count. Pods reach a node only through the scheduler's Filter or the
//!   kubelet's admission, and both refuse what does not fit (upstream's kubelet admits a pod
//!   only when its requests fit the node's allocatable beside the pods already there).

use super::engine::Engine;
use super::pods::Phase;

impl Engine<'_> {
    /// `Err` naming the first invariant broken at the current instant.
    pub(super) fn check_invariants(&self) -> Result<(), String> {
        let mut by_phase = [0usize; 6];
        for ph in &self.phase {
            by_phase[*ph as usize] += 1;
        }
        let c = &self.counts;
        let counted = [c.pending, c.running, c.succeeded, c.failed, c.rejected];
        let phases = [Phase::Pending, Phase::Running, Phase::Succeeded, Phase::Failed, Phase::Rejected];
        for (ph, n) in phases.iter().zip(counted) {
            if by_phase[*ph as usize] != n {
                return Err(format!("{n} pods counted {ph:?} but {} in that phase", by_phase[*ph as usize]));
            }
        }
        if c.created != counted.iter().sum::<usize>() {
            return Err(format!("{} pods created but {counted:?} by phase", c.created));
        }
        for (_, info) in self.cluster.live_nodes() {
            let (a, r) = (&info.node.allocatable, &info.requested);
            let over = |what: &str, req: i64, alloc: i64| {
                Err(format!("node {} holds {req} {what} of {alloc} allocatable", info.node.name))
            };
            if r.milli_cpu > a.milli_cpu {
                return over("millicores", r.milli_cpu, a.milli_cpu);
            }
            if r.memory > a.memory {
                return over("bytes of memory", r.memory, a.memory);
            }
            if r.ephemeral_storage > a.ephemeral_storage && r.ephemeral_storage > 0 {
                return over("bytes of ephemeral storage", r.ephemeral_storage, a.ephemeral_storage);
            }
            if info.pods.len() as i64 > a.pods {
                return over("pods", info.pods.len() as i64, a.pods);
            }
            for (name, q) in &r.scalar {
                if *q > a.get(name) {
                    return over(name, *q, a.get(name));
                }
            }
        }
        Ok(())
    }
}
