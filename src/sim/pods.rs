//! Pod life cycle: a pod is created (generators, controllers, static pods), admitted by the API
//! server's chain, queued for a scheduler or bound by `spec.nodeName` after kubelet admission,
//! bound, and ended (deleted, evicted, preempted, completed, lost), keeping its node through
//! its grace period. The phase counts ([`PodCounts`]) follow every transition.

use super::engine::Engine;
use super::event::{CacheChange, Event};
use super::owners::owner_source;
use super::scheduling::catch_up;
use crate::controllers::admission::default_toleration_seconds::DefaultTolerationSeconds;
use crate::controllers::admission::{priority, resource_quota, runtime_class};
use crate::controllers::name_suffix;
use crate::error::SimError;
use crate::kubelet::admission as kubelet_admission;
use crate::metrics::{PodCounts, PodOutcome};
use crate::model::{NodeId, Owner, Pod, PodId};
use crate::scheduler::Enqueue;
use crate::time::SimTime;

/// A pod's phase for the conservation counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    NotCreated,
    Pending,
    Running,
    Succeeded,
    Failed,
    Rejected,
}

/// Why a pod ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// The trace deletes it.
    Departed,
    /// A controller evicts it (reason for the counters).
    Evicted(&'static str),
    /// The scheduler preempted it.
    Preempted,
    /// Its owner deleted it (scale-down, DaemonSet on an ineligible node, failed Job).
    DeletedByOwner,
    /// Its work is done (Job pod).
    Completed,
    /// Its node was deleted.
    NodeLost,
    /// The kubelet refused it.
    KubeletRejected,
    /// A container was OOM-killed and the pod does not restart it.
    OomFailed,
}

/// A lost controller-owned pod waiting for its replacement to be bound.
#[derive(Clone, Copy, Debug)]
pub(super) struct Loss {
    /// When the pod was lost.
    pub(super) at: SimTime,
    /// The node failure that lost it, if any (index into the recorder's failures).
    pub(super) failure: Option<usize>,
}

impl<'a> Engine<'a> {
    /// Moves pod `p` to phase `to`, keeping the counts and the pending shapes.
    pub(super) fn set_phase(&mut self, p: PodId, to: Phase) {
        let c = &mut self.counts;
        fn slot(c: &mut PodCounts, ph: Phase) -> Option<&mut usize> {
            match ph {
                Phase::NotCreated => None,
                Phase::Pending => Some(&mut c.pending),
                Phase::Running => Some(&mut c.running),
                Phase::Succeeded => Some(&mut c.succeeded),
                Phase::Failed => Some(&mut c.failed),
                Phase::Rejected => Some(&mut c.rejected),
            }
        }
        let from = self.phase[p as usize];
        if from == Phase::NotCreated {
            c.created += 1;
        }
        if let Some(x) = slot(c, from) {
            *x -= 1;
        }
        if let Some(x) = slot(c, to) {
            *x += 1;
        }
        if (from == Phase::Pending) != (to == Phase::Pending) {
            let r = &self.cluster.pod(p).requests;
            let gpu = crate::model::gpu::pod_gpu(self.cluster.pod(p)).map_or(0, |g| g.total_milli());
            let shape = [r.milli_cpu, r.memory, gpu];
            if to == Phase::Pending {
                *self.pending_shapes.entry(shape).or_default() += 1;
            } else if let Some(n) = self.pending_shapes.get_mut(&shape) {
                *n -= 1;
                if *n == 0 {
                    self.pending_shapes.remove(&shape);
                }
            }
        }
        self.phase[p as usize] = to;
    }

    /// Adds a pod a controller or kubelet creates now, and creates it. A pod with an owner gets
    /// that owner's controller reference as its only `ownerReferences` entry, as upstream's
    /// controllers (`GetPodFromTemplate`) and the kubelet's mirror client write it.
    pub(super) fn spawn(&mut self, mut pod: Pod, owner_name: String) -> Result<PodId, SimError> {
        if let Some(o) = pod.owner {
            pod.owner_references = vec![self.owner_reference(o)];
        }
        let proc = self.proc_for(&pod);
        let owner = pod.owner;
        let p = self.cluster.add_pod(pod);
        self.rec.add_pod();
        self.rec.pods[p].owner = owner_name;
        self.owner_proc.push(proc.map(|k| k as u16));
        self.phase.push(Phase::NotCreated);
        if let Some(o) = owner
            && let Some(loss) = self.losses.get_mut(&o).and_then(|q| q.pop_front())
        {
            self.replaces.insert(p, loss);
        }
        self.create_pod(p)?;
        Ok(p)
    }

    /// Pod generator `k` makes its next pod, schedules that pod's deletion (after its drawn
    /// lifetime) and the generator's next arrival.
    pub(super) fn generate(&mut self, k: usize) -> Result<(), SimError> {
        let g = &self.sc.dynamics.generators[k];
        let n = self.gen_made[k];
        let (pod, lifetime) = g.pod(n, &mut self.gen_rng[k]);
        self.gen_made[k] += 1;
        if n + 1 < g.count {
            let next = g.arrival(n + 1, &mut self.gen_pos[k], &mut self.gen_rng[k]).max(self.now);
            self.push(next, Event::Generate(k as u32));
        }
        let p = self.spawn(pod, String::new())?;
        if let Some(ms) = lifetime {
            self.push(self.now.plus_millis(ms), Event::PodDeleted(p));
        }
        Ok(())
    }

    /// Creates a pod of `owner` from its template, named `<prefix>-<suffix>` as `generateName`.
    pub(super) fn spawn_from(
        &mut self,
        template: &Pod,
        prefix: &str,
        owner: Owner,
    ) -> Result<PodId, SimError> {
        let suffix = self.next_name();
        let mut pod = template.clone();
        pod.name = format!("{prefix}-{suffix}");
        pod.owner = Some(owner);
        let owner_name = self.owner_object(owner);
        self.spawn(pod, owner_name)
    }

    /// The next `generateName` suffix of the run.
    pub(super) fn next_name(&mut self) -> String {
        self.names += 1;
        name_suffix(self.names)
    }

    /// Pod `p` arrives at the API server: admission, then the scheduler's queue (or its node at
    /// once, with `spec.nodeName`).
    pub(super) fn create_pod(&mut self, p: PodId) -> Result<(), SimError> {
        let now = self.now;
        self.rec.pods[p].created_ms = Some(now.0);
        if let Err((reason, msg)) = self.admit(p) {
            self.set_phase(p, Phase::Rejected);
            *self.rec.rejections.entry(reason.to_string()).or_insert(0) += 1;
            let r = &mut self.rec.pods[p];
            r.outcome = PodOutcome::Rejected;
            r.last_reason = msg.clone();
            let pod = self.cluster.pod(p);
            match pod.owner {
                Some(o) if !matches!(o, Owner::Node(_)) => {
                    let obj = self.owner_object(o);
                    self.rec.event_on(
                        now,
                        &obj,
                        true,
                        "FailedCreate",
                        format!("Error creating: {msg}"),
                        owner_source(o),
                    );
                }
                _ => {
                    let key = pod.key();
                    self.rec.event(now, &key, true, reason, msg, "kube-apiserver");
                }
            }
            return Ok(());
        }
        if let Some(o) = self.cluster.pod(p).owner {
            // A manifest pod its ReplicaSet adopted was not created by the controller.
            let adopted = (p as usize) < self.sc.arrivals.len();
            if !matches!(o, Owner::Node(_)) && !adopted {
                let obj = self.owner_object(o);
                let msg = format!("Created pod: {}", self.cluster.pod(p).name);
                self.rec.event_on(now, &obj, false, "SuccessfulCreate", msg, owner_source(o));
            }
            if let Owner::ReplicaSet(i) = o {
                self.replicasets.pod_created(i as usize, p);
            }
            if let Owner::Job(i) = o {
                self.jobs.pod_created(i as usize, p);
            }
        }
        // Caches hold the pod as admission left it.
        for pr in &mut self.procs {
            if let Some(c) = pr.cache.as_mut() {
                catch_up(c, &self.cluster);
                *c.pod_mut(p) = self.cluster.pod(p).clone();
            }
        }
        let pod = self.cluster.pod(p);
        if let Some(node_name) = pod.node_name.clone() {
            match self.cluster.node_id(&node_name) {
                Some(node) => {
                    self.set_phase(p, Phase::Pending);
                    if !self.kubelet_admit(p, node)? {
                        return Ok(());
                    }
                    // Before binding: a NoExecute taint the pod does not tolerate ends it inside
                    // `bind` (with no grace period its record is gone by then), and that outcome
                    // must stand.
                    self.rec.pods[p].outcome = PodOutcome::BoundByNodeName;
                    self.bind(p, node, None)?;
                }
                None => {
                    // Pod GC deletes pods bound to a node that does not exist.
                    self.set_phase(p, Phase::Failed);
                    self.rec.pods[p].outcome = PodOutcome::NodeNotFound;
                }
            }
            return Ok(());
        }
        self.set_phase(p, Phase::Pending);
        let admission = match self.owner_proc[p as usize].map(usize::from) {
            Some(k) => self.procs[k].sched.admit(&self.cluster, p, now),
            None => Enqueue::NoProfile,
        };
        let r = &mut self.rec.pods[p];
        match admission {
            Enqueue::Queued => r.outcome = PodOutcome::Pending,
            Enqueue::Gated(msg) => {
                r.outcome = PodOutcome::Gated;
                r.last_reason = msg;
            }
            Enqueue::NoProfile => r.outcome = PodOutcome::NoProfile,
        }
        Ok(())
    }

    /// The API server's admission chain for a new pod: Priority (an unknown class refuses the
    /// pod), DefaultTolerationSeconds, LimitRanger, ResourceQuota. Returns (reason, message).
    pub(super) fn admit(&mut self, p: PodId) -> Result<(), (&'static str, String)> {
        let dy = &self.sc.dynamics;
        let tolerations = DefaultTolerationSeconds {
            not_ready_seconds: dy.settings.not_ready_toleration_s,
            unreachable_seconds: dy.settings.unreachable_toleration_s,
        };
        let pod = self.cluster.pod_mut(p);
        self.admission.admit_pod(pod, &dy.priority_classes, tolerations, self.now).map_err(|r| {
            let reason = match (r.plugin, r.reason.as_str()) {
                (_, "AlreadyExists") => "AlreadyExists",
                (priority::PLUGIN, _) => "PriorityClass",
                (resource_quota::PLUGIN, _) => "ResourceQuota",
                (runtime_class::PLUGIN, _) => "RuntimeClass",
                _ => "LimitRange",
            };
            (reason, r.message)
        })
    }

    /// The kubelet's admission of a pod bound by `spec.nodeName` (a static pod, or a pod naming
    /// its node): it must fit the node's allocatable. A critical pod (static, or priority ≥ 2e9)
    /// that does not fit makes the kubelet evict lower-priority pods, lowest priority first;
    /// any other pod is refused (`OutOfcpu`, `OutOfmemory`, `OutOfpods`, ...) and fails. Returns
    /// whether the pod may run.
    pub(super) fn kubelet_admit(&mut self, p: PodId, node: NodeId) -> Result<bool, SimError> {
        if let Some(refusal) = self.condition_refusal(p, node) {
            self.kubelet_reject(p, node, refusal)?;
            return Ok(false);
        }
        if kubelet_admission::admits(&self.cluster, node, p) {
            return Ok(true);
        }
        if kubelet_admission::is_critical(&self.cluster, p) {
            let phase = &self.phase;
            let victims = kubelet_admission::critical_victims(&self.cluster, node, p, |q| {
                phase[q as usize] == Phase::Running
            });
            for v in victims {
                if kubelet_admission::admits(&self.cluster, node, p) {
                    break;
                }
                let key = self.cluster.pod(v).key();
                let msg = format!("Preempted in order to admit critical pod {}", self.cluster.pod(p).key());
                self.rec.event(self.now, &key, true, "Preempting", msg.clone(), "kubelet");
                self.rec.pods[v].last_reason = msg;
                self.end_pod(v, End::Evicted("CriticalPodAdmission"), 0)?;
            }
            if kubelet_admission::admits(&self.cluster, node, p) {
                return Ok(true);
            }
        }
        let refusal = kubelet_admission::rejection(&self.cluster, node, p);
        self.kubelet_reject(p, node, refusal)?;
        Ok(false)
    }

    /// The eviction manager's refusal of pod `p` on `node` under a node condition (BestEffort
    /// pods under MemoryPressure), if any: (reason, event message, status message).
    pub(super) fn condition_refusal(&self, p: PodId, node: NodeId) -> Option<(&'static str, String, String)> {
        let pressure = self.kubelet.as_ref().is_some_and(|k| k.under_pressure(node));
        kubelet_admission::condition_rejection(&self.cluster, p, pressure)
    }

    /// The kubelet refuses pod `p` on `node`: its event, its status message, and it fails.
    fn kubelet_reject(
        &mut self,
        p: PodId,
        node: NodeId,
        refusal: (&'static str, String, String),
    ) -> Result<(), SimError> {
        let (reason, event, status) = refusal;
        let key = self.cluster.pod(p).key();
        self.rec.event(self.now, &key, true, reason, event, "kubelet");
        self.rec.kubelet_rejections += 1;
        let r = &mut self.rec.pods[p];
        r.last_reason = status;
        r.node = Some(node);
        self.end_pod(p, End::KubeletRejected, 0)
    }

    /// Whether `owner` lost too many pods to kubelet admission to create more (a controller
    /// whose template pins a node that cannot take it would otherwise create pods forever).
    pub(super) fn runaway(&mut self, owner: Owner) -> bool {
        let max = self.sc.dynamics.runtime.as_ref().map_or(100, |r| r.max_kubelet_rejections);
        let n = self.kubelet_rejections.get(&owner).copied().unwrap_or(0);
        if n >= max {
            if n == max {
                self.kubelet_rejections.insert(owner, n + 1);
                let obj = self.owner_object(owner);
                let msg = format!("capsim stopped creating pods after {max} were rejected by the kubelet");
                self.rec.event_on(self.now, &obj, true, "KubeletRejectionRunaway", msg, "capsim");
            }
            return true;
        }
        false
    }

    /// Binds pod `p` (pending) to `node`: sums, caches, taint eviction, Job timers.
    pub(super) fn bind(&mut self, p: PodId, node: NodeId, gpus: Option<Vec<u8>>) -> Result<(), SimError> {
        let now = self.now;
        self.rec.advance(now);
        self.cluster.bind_gpus(p, node, gpus)?;
        if !self.cluster.pod_gpus(p).is_empty() {
            self.rec.pods[p].gpus = self.cluster.pod_gpus(p).to_vec();
        }
        self.cluster.set_start_time(p, now.0);
        self.rec.totals.add_pod(self.cluster.pod(p), self.cluster.pod_gpus(p).len(), 1);
        self.rec.note_peak();
        self.set_phase(p, Phase::Running);
        let r = &mut self.rec.pods[p];
        r.scheduled_ms = Some(now.0);
        r.node = Some(node);
        if let Some(loss) = self.replaces.remove(&p) {
            self.rec.replacement.saturating_record((now.0 - loss.at.0).max(0) as u64);
            if let Some(f) = loss.failure {
                self.rec.failures[f].replacements_scheduled += 1;
            }
        }
        self.changed(CacheChange::Bound(p, node));
        if self.kubelet.is_some() {
            let size = self.node_size(node);
            let pod = self.cluster.pod(p);
            let k = self.kubelet.as_mut().expect("checked");
            let timers = k.start_pod(p, pod, node, size, now);
            self.push_timers(timers);
        }
        if let Some(Owner::Job(j)) = self.cluster.pod(p).owner {
            let ms = self.sc.dynamics.jobs[j as usize].run_time.draw(&mut self.jobs_rng);
            self.push(now.plus_millis(ms), Event::JobPodDone(p));
        }
        self.taint_check_pod(p, node)?;
        Ok(())
    }

    /// Ends pod `p`: the trace, an owner, a controller, the scheduler or the kubelet deletes it.
    /// A bound pod keeps its node for `grace_s` seconds (and while its node is down).
    pub(super) fn end_pod(&mut self, p: PodId, how: End, grace_s: i64) -> Result<(), SimError> {
        let now = self.now;
        let ph = self.phase[p as usize];
        if !matches!(ph, Phase::Pending | Phase::Running) {
            return Ok(()); // not created, already ended, or rejected
        }
        let was_running = ph == Phase::Running;
        let failed = match how {
            End::Departed | End::DeletedByOwner | End::Completed => !was_running,
            End::Evicted(_) | End::Preempted | End::NodeLost | End::KubeletRejected | End::OomFailed => true,
        };
        // Read before the pod leaves its node: leaving frees its record.
        let failure = self.failure_of(p);
        self.set_phase(p, if failed { Phase::Failed } else { Phase::Succeeded });
        self.taint_eviction.forget(p);
        let pod = self.cluster.pod(p).clone();
        let r = &mut self.rec.pods[p];
        if how != End::Completed {
            r.terminating_ms = Some(now.0);
        }
        let outcome = match how {
            End::Departed if !was_running => Some(PodOutcome::DeletedWhilePending),
            End::Departed => None,
            End::Evicted(_) => Some(PodOutcome::Evicted),
            End::Preempted => Some(PodOutcome::Preempted),
            End::DeletedByOwner if !was_running => Some(PodOutcome::DeletedWhilePending),
            End::DeletedByOwner => Some(PodOutcome::DeletedByOwner),
            End::Completed => Some(PodOutcome::Succeeded),
            End::NodeLost => Some(PodOutcome::NodeLost),
            End::KubeletRejected => Some(PodOutcome::RejectedByKubelet),
            End::OomFailed => Some(PodOutcome::OomKilled),
        };
        if let Some(o) = outcome {
            r.outcome = o;
        }
        if let End::Evicted(reason) = how {
            *self.rec.evictions.entry(reason.to_string()).or_insert(0) += 1;
        }
        if !was_running {
            r.deleted_ms = Some(now.0);
            self.admission.release(&pod);
            if let Some(k) = self.owner_proc[p as usize].map(usize::from) {
                self.procs[k].sched.queue.remove(p);
                self.procs[k].sched.set_nominated(p, None);
            }
        } else {
            if grace_s <= 0 || how == End::NodeLost {
                self.admission.release(&pod);
                self.leave_node(p)?;
            } else {
                self.cluster.mark_terminating(p);
                for pr in &mut self.procs {
                    if let Some(c) = pr.cache.as_mut()
                        && c.pod_node(p).is_some()
                        && !c.pod(p).terminating
                    {
                        c.mark_terminating(p);
                    }
                }
                // Quota usage stays until the pod is gone or past its grace period.
                self.push(now.plus_millis(grace_s * 1000), Event::PodTerminated(p));
            }
        }
        self.owner_notice(p, &pod, how, was_running, failure)?;
        if !was_running {
            self.retire(p);
        }
        Ok(())
    }

    /// A deleted pod's grace period is over: quota lets it go; it leaves its node, unless the
    /// node does not heartbeat (then it stays until the node recovers or is deleted).
    pub(super) fn grace_over(&mut self, p: PodId) -> Result<(), SimError> {
        let pod = self.cluster.pod(p).clone();
        self.admission.release(&pod);
        let Some(node) = self.cluster.pod_node(p) else { return Ok(()) };
        if self.lifecycle.health(node).heartbeat {
            self.leave_node(p)
        } else {
            self.stuck.entry(node).or_default().push(p);
            Ok(())
        }
    }

    /// A deleted pod leaves its node (grace period over, or its node came back or went).
    pub(super) fn leave_node(&mut self, p: PodId) -> Result<(), SimError> {
        let Some(node) = self.cluster.pod_node(p) else { return Ok(()) };
        self.stop_runtime(p, node);
        self.rec.advance(self.now);
        let devices = self.cluster.pod_gpus(p).len();
        self.cluster.unbind(p);
        self.rec.totals.add_pod(self.cluster.pod(p), devices, -1);
        self.rec.pods[p].deleted_ms = Some(self.now.0);
        self.changed(CacheChange::Unbound(p));
        self.retire(p);
        Ok(())
    }

    /// Pod `p` has ended and left its node: its final record (with its runtime counters) joins
    /// the finished pods, which stream out of memory, and its spec and runtime state are freed.
    /// Only the pods alive take memory (issue 16); events still queued for `p` find it gone.
    pub(super) fn retire(&mut self, p: PodId) {
        if self.cluster.pod_node(p).is_some() {
            return;
        }
        if let Some(k) = self.kubelet.as_mut()
            && let Some(counters) = k.forget(p)
        {
            self.rec.retire_runtime(p, runtime_counters(&counters));
        }
        if let Some(k) = self.owner_proc[p as usize].take() {
            let sched = &mut self.procs[usize::from(k)].sched;
            sched.queue.forget(p);
            sched.set_nominated(p, None);
        }
        // A pod the API server never bound (`Engine::bind` sets `scheduled_ms`) has no cache sync
        // to come: lagging caches free it now, unless one holds it bound (its scheduler's own
        // assumption, undone by a sync already queued). A bound one is freed by each cache when
        // its unbinding reaches it (`cache_sync`).
        if self.rec.pods.get(p).is_some_and(|r| r.scheduled_ms.is_none()) {
            for c in self.procs.iter_mut().filter_map(|pr| pr.cache.as_mut()) {
                c.free_pod(p);
            }
        }
        if let Some(pod) = self.cluster.free_pod(p) {
            self.rec.finish_pod(p, crate::metrics::PodFacts::of(&pod));
        }
    }
}

/// The runtime counters a pod's record keeps of its kubelet state.
pub(super) fn runtime_counters(pr: &crate::kubelet::runtime::PodRuntime) -> crate::metrics::RuntimeCounters {
    crate::metrics::RuntimeCounters {
        oom_kills: pr.oom_kills,
        restarts: pr.restarts,
        throttled_cpu_s: pr.throttled_cpu_s(),
        throttled_fraction: pr.throttled_fraction(),
        throttled_periods: pr.throttled_periods,
        cpu_shortfall_s: pr.shortfall_cpu_s(),
        qos: pr.qos(),
    }
}
