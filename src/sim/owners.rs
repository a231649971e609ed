//! Glue between the engine and the workload controllers (ReplicaSet, DaemonSet, Job) and the
//! taint eviction controller: owners learn that their pods ended, controllers sync, and the
//! engine applies what they decide (create, delete, retry, evict).

use super::engine::Engine;
use super::event::Event;
use super::pods::{End, Loss, Phase};
use crate::controllers::daemonset::Decision;
use crate::controllers::job::{JobSync, PodEnd};
use crate::controllers::replicaset::{Scale, scale_down_victims};
use crate::controllers::taint_eviction::{self, Step};
use crate::error::SimError;
use crate::model::{NodeId, Owner, OwnerReference, Pod, PodId};

impl<'a> Engine<'a> {
    /// Tells pod `p`'s owner it ended (`how`; `was_running`: it was bound; `failure`: the
    /// failure record of its node if that node was down, read before the pod left it): the
    /// owner's controller updates its state and syncs after its reaction delay.
    pub(super) fn owner_notice(
        &mut self,
        p: PodId,
        pod: &Pod,
        how: End,
        was_running: bool,
        failure: Option<usize>,
    ) -> Result<(), SimError> {
        let Some(owner) = pod.owner else { return Ok(()) };
        let lost = matches!(
            how,
            End::Evicted(_) | End::Preempted | End::NodeLost | End::KubeletRejected | End::OomFailed
        );
        if how == End::KubeletRejected {
            *self.kubelet_rejections.entry(owner).or_insert(0) += 1;
        }
        let delay = self.settings().sync_delay_ms;
        match owner {
            Owner::ReplicaSet(i) => {
                self.replicasets.pod_ended(i as usize, p);
                if lost {
                    self.note_loss(owner, failure);
                }
                self.push(self.now.plus_millis(delay), Event::ControllerSync(owner));
            }
            Owner::DaemonSet(i) => {
                // A failed daemon pod: the next one for the node waits out a back-off.
                let failed = matches!(how, End::KubeletRejected | End::Evicted(_) | End::OomFailed);
                if let Some(n) = self.daemonsets.pod_ended(i as usize, p, failed, self.now)
                    && !self.cluster.node(n).removed
                {
                    self.push(self.now.plus_millis(delay), Event::DaemonSetNode(i, n));
                }
            }
            Owner::Job(i) => {
                let end = if how == End::Completed {
                    PodEnd::Succeeded
                } else if lost || (how == End::Departed && was_running) {
                    PodEnd::Failed
                } else {
                    PodEnd::Gone
                };
                if let Some(not_before) = self.jobs.pod_ended(i as usize, p, end, self.now) {
                    // The failure backoff: the Job syncs again when it ends.
                    self.push(not_before.plus_millis(delay), Event::ControllerSync(owner));
                    if lost {
                        self.note_loss(owner, failure);
                    }
                }
                self.push(self.now.plus_millis(delay), Event::ControllerSync(owner));
            }
            Owner::Node(_) => {}
        }
        Ok(())
    }

    /// `owner` lost a pod (evicted, preempted, rejected, its node lost; `failure`: the failure
    /// record of the node it was on, if that node was down): the loss waits for a replacement to
    /// be bound.
    fn note_loss(&mut self, owner: Owner, failure: Option<usize>) {
        self.losses.entry(owner).or_default().push_back(Loss { at: self.now, failure });
    }

    /// The failure record of the node pod `p` is on, if that node is down.
    pub(super) fn failure_of(&self, p: PodId) -> Option<usize> {
        let node = self.rec.pods[p].node?;
        let h = self.lifecycle.health(node);
        if h.heartbeat { None } else { h.failure }
    }

    /// The API object of owner `o`, as events name it (`ReplicaSet/ns/name`, ...).
    pub(super) fn owner_object(&self, o: Owner) -> String {
        let dy = &self.sc.dynamics;
        match o {
            Owner::DaemonSet(i) => format!("DaemonSet/{}", dy.daemonsets[i as usize].key()),
            Owner::ReplicaSet(i) => {
                let rs = &dy.replicasets[i as usize];
                format!("ReplicaSet/{}/{}", rs.namespace, rs.name)
            }
            Owner::Job(i) => {
                let j = &dy.jobs[i as usize];
                format!("Job/{}/{}", j.namespace, j.name)
            }
            Owner::Node(n) => format!("Node/{}", self.cluster.node(n).node.name),
        }
    }

    /// The controller reference a pod of owner `o` carries (`metadata.ownerReferences`), as the
    /// upstream controller writes it: `apps/v1` ReplicaSet or DaemonSet, `batch/v1` Job, and
    /// for a mirror pod the `v1` Node.
    pub(super) fn owner_reference(&self, o: Owner) -> OwnerReference {
        let dy = &self.sc.dynamics;
        match o {
            Owner::DaemonSet(i) => {
                OwnerReference::controller("apps/v1", "DaemonSet", &dy.daemonsets[i as usize].name)
            }
            Owner::ReplicaSet(i) => {
                OwnerReference::controller("apps/v1", "ReplicaSet", &dy.replicasets[i as usize].name)
            }
            Owner::Job(i) => OwnerReference::controller("batch/v1", "Job", &dy.jobs[i as usize].name),
            Owner::Node(n) => OwnerReference::controller("v1", "Node", &self.cluster.node(n).node.name),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Taint eviction

    /// The taint eviction controller looks at every pod of node `id` (its taints changed).
    pub(super) fn taint_check_node(&mut self, id: NodeId) -> Result<(), SimError> {
        for p in self.cluster.node(id).pods.clone() {
            self.taint_check_pod(p, id)?;
        }
        Ok(())
    }

    /// The taint eviction controller looks at pod `p` on `node`.
    pub(super) fn taint_check_pod(&mut self, p: PodId, node: NodeId) -> Result<(), SimError> {
        let pod = self.cluster.pod(p);
        // A static pod belongs to its kubelet: deleting the mirror pod would not stop it.
        if pod.terminating || pod.mirror || self.phase[p as usize] != Phase::Running {
            return Ok(());
        }
        let verdict = taint_eviction::verdict(&pod.tolerations, &self.cluster.node(node).node.taints);
        match self.taint_eviction.observe(p, verdict, self.now) {
            Step::Nothing => {}
            Step::EvictNow => self.taint_evict(p)?,
            Step::Schedule(at, token) => self.push(at, Event::TaintEviction(p, token)),
        }
        Ok(())
    }

    /// The taint eviction controller deletes pod `p` (gracefully); a pod of a failed node counts
    /// in the failure's evictions.
    pub(super) fn taint_evict(&mut self, p: PodId) -> Result<(), SimError> {
        let Some(node) = self.cluster.pod_node(p) else { return Ok(()) };
        let pod = self.cluster.pod(p);
        let key = pod.key();
        let grace = pod.termination_grace_period_s;
        let msg = taint_eviction::eviction_message(&key);
        self.rec.event(self.now, &key, false, "TaintManagerEviction", msg, "taint-eviction-controller");
        let h = self.lifecycle.health(node);
        let reason = if h.unreachable { "NodeFailure" } else { "TaintManagerEviction" };
        if let Some(f) = h.failure.filter(|_| !h.heartbeat) {
            self.rec.failures[f].pods_evicted += 1;
        }
        self.end_pod(p, End::Evicted(reason), grace)
    }

    // ---------------------------------------------------------------------------------------
    // Controllers

    /// A scheduled taint eviction fires, if its token is still current.
    pub(super) fn taint_eviction_due(&mut self, p: PodId, token: u32) -> Result<(), SimError> {
        if self.taint_eviction.due(p, token) {
            self.taint_evict(p)?;
        }
        Ok(())
    }

    /// A controller retries after admission refused a creation.
    pub(super) fn controller_retry(&mut self, owner: Owner) -> Result<(), SimError> {
        if let Owner::DaemonSet(i) = owner {
            self.daemonsets.retry_started(i as usize);
        }
        self.controller_sync(owner)
    }

    /// A Job pod finished its work: it succeeds, or waits for its node's kubelet to report it.
    pub(super) fn job_pod_done(&mut self, p: PodId) -> Result<(), SimError> {
        if self.phase[p as usize] == Phase::Running && !self.cluster.pod(p).terminating {
            let node = self.cluster.pod_node(p).expect("running pods are bound");
            if self.lifecycle.health(node).heartbeat {
                self.end_pod(p, End::Completed, 0)?;
            } else {
                // The API cannot learn of it until the kubelet is back.
                self.done_unreported.entry(node).or_default().push(p);
            }
        }
        Ok(())
    }

    /// A controller syncs: a DaemonSet reconciles every live node, a ReplicaSet or a Job its
    /// pods.
    pub(super) fn controller_sync(&mut self, owner: Owner) -> Result<(), SimError> {
        match owner {
            Owner::DaemonSet(i) => {
                let ds = i as usize;
                self.daemonsets.activate(ds);
                let ids: Vec<NodeId> = self.cluster.live_nodes().map(|(id, _)| id).collect();
                for id in ids {
                    self.daemon_reconcile(ds, id)?;
                }
            }
            Owner::ReplicaSet(i) => self.replicaset_sync(i as usize)?,
            Owner::Job(i) => self.job_sync(i as usize)?,
            Owner::Node(_) => {}
        }
        Ok(())
    }

    /// DaemonSet `ds` reconciles node `id`: creates its pod (now or after a failed pod's
    /// backoff), or deletes it.
    pub(super) fn daemon_reconcile(&mut self, ds: usize, id: NodeId) -> Result<(), SimError> {
        if self.cluster.node(id).removed {
            return Ok(());
        }
        let node = &self.cluster.node(id).node;
        let node_name = node.name.clone();
        match self.daemonsets.reconcile(ds, id, node, self.now) {
            Decision::Keep => {}
            Decision::Create(at) if at > self.now => {
                self.push(at, Event::DaemonSetNode(ds as u32, id));
            }
            Decision::Create(_) => {
                let suffix = self.next_name();
                let set = &self.daemonsets.sets[ds];
                let mut pod = set.pod_for(&node_name, &suffix);
                pod.owner = Some(Owner::DaemonSet(ds as u32));
                let owner = format!("DaemonSet/{}", set.key());
                let p = self.spawn(pod, owner)?;
                if matches!(self.phase[p as usize], Phase::Pending | Phase::Running) {
                    self.daemonsets.pod_created(ds, id, p);
                } else if let Some(wait) = self.daemonsets.creation_refused(ds) {
                    // A failed sync: the workqueue retries with backoff.
                    self.push(
                        self.now.plus_millis(wait),
                        Event::ControllerRetry(Owner::DaemonSet(ds as u32)),
                    );
                }
            }
            Decision::Delete(p) => {
                let grace = self.cluster.pod(p).termination_grace_period_s;
                let obj = format!("DaemonSet/{}", self.daemonsets.sets[ds].key());
                let msg = format!("Deleted pod: {}", self.cluster.pod(p).name);
                self.rec.event_on(self.now, &obj, false, "SuccessfulDelete", msg, "daemonset-controller");
                self.end_pod(p, End::DeletedByOwner, grace)?;
            }
        }
        Ok(())
    }

    /// ReplicaSet `i` syncs: creates missing pods (a burst at a time; a refused creation is
    /// retried with the workqueue's backoff) or deletes extras in upstream's victim order.
    pub(super) fn replicaset_sync(&mut self, i: usize) -> Result<(), SimError> {
        let rs = &self.sc.dynamics.replicasets[i];
        if self.now < rs.created {
            return Ok(());
        }
        let owner = Owner::ReplicaSet(i as u32);
        match self.replicasets.plan(i) {
            Scale::Steady => {}
            Scale::Create { .. } if self.runaway(owner) => {}
            Scale::Create { count, resync } => {
                if resync {
                    // One sync creates at most 500; the controller sees them and syncs again.
                    self.push(self.now, Event::ControllerSync(owner));
                }
                let mut refused = false;
                for _ in 0..count {
                    let rs = &self.sc.dynamics.replicasets[i];
                    let p = self.spawn_from(&rs.template, &rs.name, owner)?;
                    if self.phase[p as usize] == Phase::Rejected {
                        refused = true;
                        break;
                    }
                }
                if refused {
                    let wait = self.replicasets.creation_refused(i);
                    self.push(self.now.plus_millis(wait), Event::ControllerRetry(owner));
                } else {
                    self.replicasets.creations_succeeded(i);
                }
            }
            Scale::Delete(count) => {
                let active = self.replicasets.active(i);
                let created = |p: PodId| self.rec.pods[p].created_ms.unwrap_or(0);
                let kubelet = |p: PodId| match self.kubelet.as_ref() {
                    Some(k) => (!k.pod_crash_looping(p), k.pods.get(&p).map_or(0, |pr| pr.restarts)),
                    None => (true, 0),
                };
                let victims = scale_down_victims(&self.cluster, &active, created, kubelet, count, self.now);
                for v in victims {
                    let rs = &self.sc.dynamics.replicasets[i];
                    let obj = format!("ReplicaSet/{}/{}", rs.namespace, rs.name);
                    let msg = format!("Deleted pod: {}", self.cluster.pod(v).name);
                    self.rec.event_on(
                        self.now,
                        &obj,
                        false,
                        "SuccessfulDelete",
                        msg,
                        "replicaset-controller",
                    );
                    let grace = self.cluster.pod(v).termination_grace_period_s;
                    self.end_pod(v, End::DeletedByOwner, grace)?;
                }
            }
        }
        Ok(())
    }

    /// Job `i` syncs: completes, fails (deleting its active pods), or creates the pods it wants
    /// (a refused creation is retried after 10 s).
    pub(super) fn job_sync(&mut self, i: usize) -> Result<(), SimError> {
        let job = &self.sc.dynamics.jobs[i];
        let obj = format!("Job/{}/{}", job.namespace, job.name);
        match self.jobs.sync(i, job, self.now) {
            JobSync::Nothing => {}
            JobSync::Completed => {
                self.rec.event_on(
                    self.now,
                    &obj,
                    false,
                    "Completed",
                    "Job completed".into(),
                    "job-controller",
                );
            }
            JobSync::Failed(active) => {
                let msg = "Job has reached the specified backoff limit".to_string();
                self.rec.event_on(self.now, &obj, true, "BackoffLimitExceeded", msg, "job-controller");
                for p in active {
                    let grace = self.cluster.pod(p).termination_grace_period_s;
                    self.end_pod(p, End::DeletedByOwner, grace)?;
                }
            }
            JobSync::Create(n) => {
                if n > 0 && self.runaway(Owner::Job(i as u32)) {
                    return Ok(());
                }
                for _ in 0..n {
                    let job = &self.sc.dynamics.jobs[i];
                    let p = self.spawn_from(&job.template, &job.name, Owner::Job(i as u32))?;
                    if self.phase[p as usize] == Phase::Rejected {
                        self.push(self.now.plus_millis(10_000), Event::ControllerRetry(Owner::Job(i as u32)));
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The component that records events about owner `o`'s pods.
pub(super) fn owner_source(o: Owner) -> &'static str {
    match o {
        Owner::DaemonSet(_) => "daemonset-controller",
        Owner::ReplicaSet(_) => "replicaset-controller",
        Owner::Job(_) => "job-controller",
        Owner::Node(_) => "kubelet",
    }
}
