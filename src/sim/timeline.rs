//! The scenario's timeline: pool joins, failures, recoveries, drains, cordons, taints, labels
//! and scaling, applied when their time comes.

use rand::RngExt;

use super::engine::Engine;
use super::event::Event;
use crate::controllers::{remove_taint, set_taint};
use crate::error::SimError;
use crate::model::Owner;
use crate::scenario::timeline::{Action, Spacing};

impl<'a> Engine<'a> {
    /// Timeline action number `i` fires.
    pub(super) fn timeline(&mut self, i: usize) -> Result<(), SimError> {
        let action = self.sc.dynamics.timeline[i].1.clone();
        match action {
            Action::Join { pool, count, spacing } => {
                let mut t = self.now;
                for _ in 0..count {
                    self.push(t, Event::PoolJoin(pool as u32));
                    let gap = match spacing {
                        Spacing::None => 0,
                        Spacing::Fixed(ms) => ms,
                        Spacing::Exponential(mean) => {
                            let u: f64 = self.failures_rng.random::<f64>();
                            (-(1.0 - u).ln() * mean as f64).round() as i64
                        }
                    };
                    t = t.plus_millis(gap);
                }
            }
            Action::Fail(sel, recover) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    self.node_fail(id, None);
                    if let Some(d) = recover {
                        let epoch = self.lifecycle.health(id).epoch;
                        self.push(self.now.plus_millis(d.0), Event::NodeRecover(id, epoch, None));
                    }
                }
            }
            Action::Recover(sel) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    if !self.lifecycle.health(id).heartbeat {
                        self.node_recover(id)?;
                    }
                }
            }
            Action::Leave(sel) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    self.drain(id)?;
                }
            }
            Action::Cordon(sel, on) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    self.cordon(id, on)?;
                }
            }
            Action::Taint(sel, add, remove) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    let mut changed = false;
                    {
                        let mut spec = self.cluster.node_spec_mut(id);
                        for (key, effect) in &remove {
                            changed |= remove_taint(&mut spec.taints, key, *effect);
                        }
                        for t in &add {
                            changed |= set_taint(&mut spec.taints, t.clone());
                        }
                    }
                    if changed {
                        self.node_changed(id, false)?;
                    }
                }
            }
            Action::Label(sel, add, remove) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    let mut labels = self.cluster.node(id).node.labels.clone();
                    for k in &remove {
                        labels.remove(k);
                    }
                    for (k, v) in &add {
                        labels.insert(k.clone(), v.clone());
                    }
                    if labels != self.cluster.node(id).node.labels {
                        self.cluster.set_node_labels(id, labels);
                        self.node_changed(id, true)?;
                    }
                }
            }
            Action::Scale(rs, replicas) => {
                let from = self.replicasets.scale(rs, replicas);
                let rs_obj = &self.sc.dynamics.replicasets[rs];
                let obj = format!("Deployment/{}", rs_obj.key());
                let dir = if replicas >= from { "up" } else { "down" };
                let msg = format!("Scaled {dir} replica set {} from {from} to {replicas}", rs_obj.name);
                self.rec.event_on(self.now, &obj, false, "ScalingReplicaSet", msg, "deployment-controller");
                self.controller_sync(Owner::ReplicaSet(rs as u32))?;
            }
        }
        Ok(())
    }
}
