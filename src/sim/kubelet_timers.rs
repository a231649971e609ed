//! The kubelets' runtime glue: a pod's containers start and stop with the pod, and the runtime's
//! timers (usage changes, bursts of CPU work, container restarts, OOM kills, node OOM, the eviction manager's
//! memory-pressure checks) fire as events and act on the cluster.

use super::engine::Engine;
use super::event::Event;
use super::pods::End;
use crate::controllers::{remove_taint, set_taint, taint};
use crate::error::SimError;
use crate::kubelet::runtime::{NodeSize, OomOutcome, PressureAction, Timer};
use crate::model::labels::TaintEffect;
use crate::model::{NodeId, Owner, PodId};
use crate::names::TAINT_MEMORY_PRESSURE;
use crate::time::SimTime;

impl<'a> Engine<'a> {
    /// A node's size for the kubelet: allocatable cpu, memory capacity (allocatable when the
    /// node reports no capacity).
    pub(super) fn node_size(&self, node: NodeId) -> NodeSize {
        let n = &self.cluster.node(node).node;
        let memory = if n.capacity.memory > 0 { n.capacity.memory } else { n.allocatable.memory };
        NodeSize { cpu: n.allocatable.milli_cpu, memory }
    }

    /// Queues the kubelet runtime's timers (`(time, timer)`), none before now.
    pub(super) fn push_timers(&mut self, timers: Vec<(SimTime, Timer)>) {
        for (t, timer) in timers {
            self.push(t.max(self.now), Event::Runtime(timer));
        }
    }

    /// Stops pod `p`'s containers (it leaves its node or is killed).
    pub(super) fn stop_runtime(&mut self, p: PodId, node: NodeId) {
        if self.kubelet.is_none() {
            return;
        }
        let size = self.node_size(node);
        let k = self.kubelet.as_mut().expect("checked");
        let timers = k.stop_pod(p, size, self.now);
        self.push_timers(timers);
    }

    /// A kubelet timer fires.
    pub(super) fn runtime_timer(&mut self, t: Timer) -> Result<(), SimError> {
        let now = self.now;
        let Some(k) = self.kubelet.as_mut() else { return Ok(()) };
        match t {
            Timer::UsageChange(p, epoch) => {
                let Some(node) = k.node_of(p) else { return Ok(()) };
                let size = self.node_size(node);
                let k = self.kubelet.as_mut().expect("checked");
                let timers = k.usage_change(p, epoch, size, now);
                self.push_timers(timers);
            }
            Timer::OomKill(p, c, epoch) => self.oom_kill(p, c, Some(epoch), false)?,
            Timer::NodeOom(node, epoch) => {
                if self.cluster.node(node).removed {
                    return Ok(());
                }
                let size = self.node_size(node);
                let k = self.kubelet.as_ref().expect("checked");
                if let Some((p, c)) = k.node_oom_victim(node, epoch, size, now) {
                    self.oom_kill(p, c, None, true)?;
                }
            }
            Timer::CpuWork(p, epoch) => {
                let Some(node) = k.node_of(p) else { return Ok(()) };
                let size = self.node_size(node);
                let k = self.kubelet.as_mut().expect("checked");
                let timers = k.cpu_work(p, epoch, size, now);
                self.push_timers(timers);
            }
            Timer::ContainerStart(p, c, epoch) => {
                let Some(node) = k.node_of(p) else { return Ok(()) };
                let size = self.node_size(node);
                let k = self.kubelet.as_mut().expect("checked");
                let timers = k.container_start(p, c, epoch, size, now);
                self.push_timers(timers);
            }
            Timer::PressureCheck(node) => {
                if self.cluster.node(node).removed {
                    return Ok(());
                }
                let size = self.node_size(node);
                let cluster = &self.cluster;
                let k = self.kubelet.as_mut().expect("checked");
                let (action, timers) = k.pressure_check(node, size, |p| cluster.pod(p).priority, now);
                self.push_timers(timers);
                let name = self.cluster.node(node).node.name.clone();
                let obj = format!("Node/{name}");
                match action {
                    PressureAction::None => {}
                    PressureAction::Evict(victim, msg) => {
                        let t = taint(TAINT_MEMORY_PRESSURE, TaintEffect::NoSchedule);
                        if set_taint(&mut self.cluster.node_spec_mut(node).taints, t) {
                            let m = format!("Node {name} status is now: NodeHasInsufficientMemory");
                            self.rec.event_on(
                                self.now,
                                &obj,
                                false,
                                "NodeHasInsufficientMemory",
                                m,
                                "kubelet",
                            );
                            self.node_changed(node, false)?;
                        }
                        if let Some(p) = victim {
                            let key = self.cluster.pod(p).key();
                            self.rec.event(self.now, &key, true, "Evicted", msg.clone(), "kubelet");
                            self.rec.pods[p].last_reason = msg;
                            // Hard eviction: no grace period.
                            self.end_pod(p, End::Evicted("MemoryPressure"), 0)?;
                        }
                    }
                    PressureAction::Clear => {
                        let taint = TAINT_MEMORY_PRESSURE;
                        if remove_taint(&mut self.cluster.node_spec_mut(node).taints, taint, None) {
                            let m = format!("Node {name} status is now: NodeHasSufficientMemory");
                            self.rec.event_on(self.now, &obj, false, "NodeHasSufficientMemory", m, "kubelet");
                            self.node_changed(node, false)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Container `c` of pod `p` is OOM-killed (at its limit, or by the node's kernel).
    pub(super) fn oom_kill(
        &mut self,
        p: PodId,
        c: u32,
        epoch: Option<u32>,
        node_level: bool,
    ) -> Result<(), SimError> {
        let Some(k) = self.kubelet.as_ref() else { return Ok(()) };
        let Some(node) = k.node_of(p) else { return Ok(()) };
        let size = self.node_size(node);
        let k = self.kubelet.as_mut().expect("checked");
        let Some((outcome, timers)) = k.oom_kill(p, c, epoch, size, self.now) else { return Ok(()) };
        self.push_timers(timers);
        let key = self.cluster.pod(p).key();
        let why = if node_level { "the node ran out of memory" } else { "it reached its memory limit" };
        match outcome {
            OomOutcome::Restart(at, timer, name) => {
                if let Some(Owner::Job(j)) = self.cluster.pod(p).owner {
                    // With restartPolicy OnFailure, container restarts count towards the Job's
                    // backoffLimit.
                    self.jobs.container_failed(j as usize);
                    self.push(self.now, Event::ControllerSync(Owner::Job(j)));
                }
                let msg = format!("Container {name} was OOMKilled (exit code 137): {why}");
                self.rec.event(self.now, &key, true, "OOMKilled", msg, "kubelet");
                if at > self.now {
                    let pod_name = self.cluster.pod(p).name.clone();
                    let msg = format!("Back-off restarting failed container {name} in pod {pod_name}");
                    self.rec.event(self.now, &key, true, "BackOff", msg, "kubelet");
                }
                self.push(at, Event::Runtime(timer));
            }
            OomOutcome::PodFailed(name) => {
                let msg =
                    format!("Container {name} was OOMKilled (exit code 137): {why}; restartPolicy Never");
                self.rec.event(self.now, &key, true, "OOMKilled", msg.clone(), "kubelet");
                self.rec.pods[p].last_reason = msg;
                self.end_pod(p, End::OomFailed, 0)?;
            }
        }
        Ok(())
    }
}
