//! The time-series sample: cluster totals, pod counts, not-ready nodes, runtime usage, the
//! median pending pod, each DaemonSet's status, and the runtime counters by QoS class.

use super::engine::Engine;
use crate::metrics::DaemonSetSample;
use crate::model::PodId;

impl<'a> Engine<'a> {
    /// Records a time-series sample of the state now.
    pub(super) fn sample(&mut self) {
        let not_ready = self.lifecycle.unreachable_nodes().filter(|i| !self.cluster.node(*i).removed).count();
        let used = self.kubelet.as_ref().map(|k| {
            let (mem, cpu) = k.usage_totals(self.now);
            let pressure = self.cluster.live_nodes().filter(|(id, _)| k.under_pressure(*id)).count();
            (cpu, mem, pressure, k.crash_looping())
        });
        // The median pending pod, by (cpu, memory, gpu) requests.
        let half = self.counts.pending.div_ceil(2);
        let mut seen = 0;
        let reference = self.pending_shapes.iter().find_map(|(shape, n)| {
            seen += n;
            (seen >= half).then_some(*shape)
        });
        self.rec.sample(self.now, &self.cluster, self.counts, not_ready, used, reference);
        if let Some(k) = self.kubelet.as_ref() {
            let live = k.counters_by_qos(self.now);
            self.rec.sample_runtime(self.now, &live);
        }
        let t = self.now.as_secs_f64();
        for ds in 0..self.daemonsets.sets.len() {
            if !self.daemonsets.active[ds] {
                continue;
            }
            let nodes = self.cluster.live_nodes().map(|(id, n)| (id, &*n.node));
            let cluster = &self.cluster;
            let lifecycle = &self.lifecycle;
            // The node controller marks pods on a NotReady node not ready.
            let ready_pod = |p: PodId| cluster.pod_node(p).is_some_and(|n| !lifecycle.health(n).unreachable);
            let (desired, current, ready, misscheduled) = self.daemonsets.status(ds, nodes, ready_pod);
            self.rec.daemonsets.push(DaemonSetSample {
                time_s: t,
                daemonset: self.daemonsets.sets[ds].key(),
                desired,
                current,
                ready,
                misscheduled,
            });
        }
    }
}
