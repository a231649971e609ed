//! Nodes: joins (static pods, DaemonSets, failure processes), failures and recoveries with the
//! node lifecycle controller's grace period and per-zone NoExecute rate limiter, spec changes,
//! cordons, drains and deletions.

use std::collections::BTreeSet;

use rand::RngExt;

use super::engine::Engine;
use super::event::{CacheChange, Event};
use super::pods::{End, Phase};
use crate::controllers::{remove_taint, set_taint, taint};
use crate::error::SimError;
use crate::metrics::FailureRecord;
use crate::model::labels::TaintEffect;
use crate::model::{NodeId, Owner, PodId};
use crate::names::{TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE};
use crate::time::SimTime;

/// `kubectl drain`s in progress: the nodes being drained, and the pods whose eviction a
/// PodDisruptionBudget refused (one event each).
#[derive(Clone, Debug, Default)]
pub(super) struct Drains {
    nodes: BTreeSet<NodeId>,
    refused: BTreeSet<PodId>,
}

impl<'a> Engine<'a> {
    /// The next node of pool `pool` joins: the pool's next free number (a name taken by another
    /// node is skipped).
    pub(super) fn pool_join(&mut self, pool: usize) -> Result<(), SimError> {
        let node = loop {
            let n = self.pool_next[pool];
            self.pool_next[pool] += 1;
            let node = self.sc.dynamics.pools[pool].node(n);
            if self.cluster.node_id(&node.name).is_none() {
                break node;
            }
        };
        self.node_specs.push(node);
        self.node_added(self.node_specs.len() as u32 - 1)
    }

    /// Node number `i` of the run's node list joins: totals, health, zone, caches; its kubelet
    /// starts its static pods; DaemonSets reconcile it; failure processes draw its first failure.
    pub(super) fn node_added(&mut self, i: u32) -> Result<(), SimError> {
        self.rec.advance(self.now);
        let id = self.cluster.add_node(self.node_specs[i as usize].clone())?;
        self.rec.totals.add_node(self.cluster.node(id));
        self.rec.note_peak();
        let zone = crate::model::cluster::zone_key(&self.cluster.node(id).node);
        self.lifecycle.node_joined(id, zone);
        self.changed(CacheChange::NodeAdded(i));
        // The kubelet starts its static pods.
        let sets = &self.sc.dynamics.static_pods;
        let node = self.cluster.node(id).node.clone();
        for set in sets {
            if set.nodes.as_ref().is_none_or(|s| s.matches(&node)) {
                for t in &set.pods {
                    let pod = crate::controllers::static_pods::mirror_pod(t, id, &node.name);
                    let key = pod.key();
                    // One manifest name runs once per node (the kubelet's file source keys pods
                    // by name).
                    if self.cluster.node(id).pods.iter().any(|q| self.cluster.pod(*q).key() == key) {
                        continue;
                    }
                    self.spawn(pod, format!("Node/{}", node.name))?;
                }
            }
        }
        for ds in 0..self.daemonsets.sets.len() {
            self.daemon_reconcile(ds, id)?;
        }
        for k in 0..self.sc.dynamics.failures.len() {
            if self.sc.dynamics.failures[k].nodes.as_ref().is_none_or(|s| s.matches(&node)) {
                self.schedule_failure(id, k);
            }
        }
        Ok(())
    }

    /// Draws node `id`'s next failure from process `k`.
    pub(super) fn schedule_failure(&mut self, id: NodeId, k: usize) {
        let mtbf = self.sc.dynamics.failures[k].mtbf_ms as f64;
        let u: f64 = self.failures_rng.random::<f64>();
        let gap = (-(1.0 - u).ln() * mtbf).round() as i64;
        if self.sc.horizon.is_some_and(|h| self.now.0.saturating_add(gap) > h.0) {
            return;
        }
        self.push(self.now.plus_millis(gap.max(1)), Event::NodeFail(id, Some(k as u32)));
    }

    /// A node spec changed (labels, taints, unschedulable): schedulers, DaemonSets, taint
    /// eviction and (opt-in) node affinity re-evaluate.
    pub(super) fn node_changed(&mut self, id: NodeId, labels_changed: bool) -> Result<(), SimError> {
        self.changed(CacheChange::NodeUpdated(id));
        self.taint_check_node(id)?;
        for ds in 0..self.daemonsets.sets.len() {
            self.daemon_reconcile(ds, id)?;
        }
        if labels_changed && self.settings().evict_on_node_affinity_change {
            let node = self.cluster.node(id).node.clone();
            for p in self.cluster.node(id).pods.clone() {
                let pod = self.cluster.pod(p);
                let required = pod.node_affinity.as_ref().and_then(|a| a.required.as_ref());
                if !pod.terminating && required.is_some_and(|r| !r.matches(&node.name, &node.labels)) {
                    let msg =
                        format!("Node {} no longer matches the pod's required node affinity", node.name);
                    let key = pod.key();
                    self.rec.event(self.now, &key, true, "NodeAffinityEviction", msg, "capsim");
                    let grace = pod.termination_grace_period_s;
                    self.end_pod(p, End::Evicted("NodeAffinityChanged"), grace)?;
                }
            }
        }
        Ok(())
    }

    /// Node `id` stops heartbeating (failure process `process`, or the timeline): a failure
    /// record, the grace period timer, and the repair timer of a failure process.
    pub(super) fn node_fail(&mut self, id: NodeId, process: Option<u32>) {
        let info = self.cluster.node(id);
        if info.removed || !self.lifecycle.health(id).heartbeat {
            return;
        }
        let pods_on_node = info.pods.iter().filter(|p| !self.cluster.pod(**p).terminating).count();
        let name = info.node.name.clone();
        self.rec.failures.push(FailureRecord {
            node: name.clone(),
            failed_s: self.now.as_secs_f64(),
            recovered_s: None,
            pods_on_node,
            pods_evicted: 0,
            replacements_scheduled: 0,
        });
        let epoch = self.lifecycle.heartbeat_lost(id, self.rec.failures.len() - 1);
        let grace = self.settings().node_monitor_grace_ms;
        self.push(self.now.plus_millis(grace), Event::NodeGraceExpired(id, epoch));
        if let Some(k) = process {
            let repair = self.sc.dynamics.failures[k as usize].repair_ms;
            self.push(self.now.plus_millis(repair), Event::NodeRecover(id, epoch, Some(k)));
        }
    }

    /// A failed node's repair time is over: it recovers if failure `epoch` is still current, and
    /// failure process `process` (if any) draws its next failure.
    pub(super) fn recover_timer(
        &mut self,
        id: NodeId,
        epoch: u32,
        process: Option<u32>,
    ) -> Result<(), SimError> {
        if self.lifecycle.health(id).epoch == epoch && !self.lifecycle.health(id).heartbeat {
            self.node_recover(id)?;
            if let Some(k) = process {
                self.schedule_failure(id, k as usize);
            }
        }
        Ok(())
    }

    /// The node monitor grace period of failure `epoch` ran out: Ready becomes Unknown, the
    /// NoSchedule unreachable taint goes on, and the node queues for its NoExecute taint.
    pub(super) fn grace_expired(&mut self, id: NodeId, epoch: u32) -> Result<(), SimError> {
        let h = self.lifecycle.health(id);
        if h.epoch != epoch || h.heartbeat || self.cluster.node(id).removed {
            return Ok(());
        }
        self.lifecycle.set_unreachable(id);
        let name = self.cluster.node(id).node.name.clone();
        let msg = format!("Node {name} status is now: NodeNotReady");
        self.rec.event_on(self.now, &format!("Node/{name}"), false, "NodeNotReady", msg, "node-controller");
        set_taint(
            &mut self.cluster.node_spec_mut(id).taints,
            taint(TAINT_UNREACHABLE, TaintEffect::NoSchedule),
        );
        self.node_changed(id, false)?;
        if let Some((zone, at)) = self.lifecycle.mark_not_ready(id, self.now) {
            self.push_zone_tick(&zone, at);
        }
        for (zone, at) in self.lifecycle.wake_zones(self.now) {
            self.push_zone_tick(&zone, at);
        }
        Ok(())
    }

    /// Queues the tick of `zone`'s NoExecute rate limiter at `at`.
    pub(super) fn push_zone_tick(&mut self, zone: &str, at: SimTime) {
        let z = self.lifecycle.zone_number(zone);
        self.push(at, Event::ZoneTick(z));
    }

    /// Zone number `z`'s rate limiter lets the next queued node have its NoExecute
    /// unreachable taint.
    pub(super) fn zone_tick(&mut self, z: usize) -> Result<(), SimError> {
        let zone = self.lifecycle.zone_name(z).to_string();
        let (node, next) = self.lifecycle.tick(&zone, self.now);
        if let Some((zone, at)) = next {
            self.push_zone_tick(&zone, at);
        }
        if let Some(id) = node
            && self.lifecycle.health(id).unreachable
            && !self.cluster.node(id).removed
        {
            set_taint(
                &mut self.cluster.node_spec_mut(id).taints,
                taint(TAINT_UNREACHABLE, TaintEffect::NoExecute),
            );
            self.node_changed(id, false)?;
        }
        Ok(())
    }

    /// Node `id` heartbeats again: pods deleted meanwhile leave, finished Job pods report, and
    /// the unreachable taints come off.
    pub(super) fn node_recover(&mut self, id: NodeId) -> Result<(), SimError> {
        if self.cluster.node(id).removed {
            return Ok(());
        }
        let (failure, was_unreachable) = self.lifecycle.heartbeat_back(id);
        if let Some(f) = failure {
            self.rec.failures[f].recovered_s = Some(self.now.as_secs_f64());
        }
        // The kubelet is back: pods deleted meanwhile are killed now; Job pods that finished
        // meanwhile report it.
        for p in self.stuck.remove(&id).unwrap_or_default() {
            self.leave_node(p)?;
        }
        for p in self.done_unreported.remove(&id).unwrap_or_default() {
            if self.phase[p as usize] == Phase::Running && !self.cluster.pod(p).terminating {
                self.end_pod(p, End::Completed, 0)?;
            }
        }
        if was_unreachable {
            let name = self.cluster.node(id).node.name.clone();
            let msg = format!("Node {name} status is now: NodeReady");
            self.rec.event_on(self.now, &format!("Node/{name}"), false, "NodeReady", msg, "node-controller");
            remove_taint(&mut self.cluster.node_spec_mut(id).taints, TAINT_UNREACHABLE, None);
            self.node_changed(id, false)?;
            for (zone, at) in self.lifecycle.wake_zones(self.now) {
                self.push_zone_tick(&zone, at);
            }
        }
        Ok(())
    }

    /// Deletes node `id`: its remaining pods are lost (pod GC), controllers and schedulers
    /// forget it.
    pub(super) fn delete_node(&mut self, id: NodeId) -> Result<(), SimError> {
        if self.cluster.node(id).removed {
            return Ok(());
        }
        for p in self.cluster.node(id).pods.clone() {
            if self.phase[p as usize] == Phase::Running {
                self.end_pod(p, End::NodeLost, 0)?;
            } else {
                self.leave_node(p)?;
            }
        }
        self.stuck.remove(&id);
        self.rec.advance(self.now);
        let info = self.cluster.node(id);
        let mut gone = crate::metrics::Totals::default();
        gone.add_node(info);
        for i in 0..3 {
            self.rec.totals.allocatable[i] -= gone.allocatable[i];
            self.rec.totals.requested[i] -= gone.requested[i];
        }
        self.rec.note_peak();
        let name = info.node.name.clone();
        self.cluster.remove_node(id)?;
        self.lifecycle.remove_node(id);
        self.daemonsets.node_removed(id);
        for pr in &mut self.procs {
            pr.sched.clear_nominations_to(id);
        }
        self.drains.nodes.remove(&id);
        let msg = format!("Removing Node {name} from Controller");
        self.rec.event_on(self.now, &format!("Node/{name}"), false, "RemovingNode", msg, "node-controller");
        self.changed(CacheChange::NodeRemoved(id));
        Ok(())
    }

    /// Starts draining node `id` (`kubectl drain`): cordon, then the first eviction pass.
    pub(super) fn drain(&mut self, id: NodeId) -> Result<(), SimError> {
        self.cordon(id, true)?;
        self.drains.nodes.insert(id);
        self.drain_step(id)
    }

    /// Cordons (`on`) or uncordons node `id`: `unschedulable` and its NoSchedule taint.
    pub(super) fn cordon(&mut self, id: NodeId, on: bool) -> Result<(), SimError> {
        {
            let mut spec = self.cluster.node_spec_mut(id);
            if spec.unschedulable == on {
                return Ok(());
            }
            spec.unschedulable = on;
            if on {
                set_taint(&mut spec.taints, taint(TAINT_UNSCHEDULABLE, TaintEffect::NoSchedule));
            } else {
                remove_taint(&mut spec.taints, TAINT_UNSCHEDULABLE, None);
            }
        }
        let name = self.cluster.node(id).node.name.clone();
        let reason = if on { "NodeNotSchedulable" } else { "NodeSchedulable" };
        let msg = format!("Node {name} status is now: {reason}");
        self.rec.event_on(self.now, &format!("Node/{name}"), false, reason, msg, "kubelet");
        self.node_changed(id, false)
    }

    /// One pass of `kubectl drain`: evict every pod but DaemonSet and mirror pods through the
    /// Eviction API (a PodDisruptionBudget with no disruption allowed refuses, retried every
    /// 5 s); when only those are left, delete the node.
    pub(super) fn drain_step(&mut self, id: NodeId) -> Result<(), SimError> {
        if self.cluster.node(id).removed || !self.drains.nodes.contains(&id) {
            return Ok(());
        }
        let mut left = false;
        for p in self.cluster.node(id).pods.clone() {
            let pod = self.cluster.pod(p);
            if pod.mirror || matches!(pod.owner, Some(Owner::DaemonSet(_))) {
                continue;
            }
            if pod.terminating {
                left = true;
                continue;
            }
            let blocked = self
                .cluster
                .pdbs()
                .iter()
                .any(|b| b.selects(pod) && b.effective_disruptions_allowed(&self.cluster) <= 0);
            if blocked {
                if self.drains.refused.insert(p) {
                    let key = pod.key();
                    let msg = "Cannot evict pod as it would violate the pod's disruption budget.".to_string();
                    self.rec.event(self.now, &key, true, "EvictionBlocked", msg, "kubectl-drain");
                }
                left = true;
                continue;
            }
            let grace = pod.termination_grace_period_s;
            let key = pod.key();
            self.rec.event(
                self.now,
                &key,
                false,
                "Evicted",
                format!("Evicted pod {key} (drain)"),
                "kubectl-drain",
            );
            self.end_pod(p, End::Evicted("Drain"), grace)?;
            left = true;
        }
        if left {
            // A retry does not keep a run going: a drain a budget blocks for ever would.
            self.push(self.now.plus_millis(5_000), Event::DrainStep(id));
        } else {
            self.delete_node(id)?;
        }
        Ok(())
    }
}
