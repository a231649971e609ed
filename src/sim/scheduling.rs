//! Scheduler processes: each kube-scheduler of a run, its scheduling cycles (bind, kubelet
//! rejection after a lost race, preemption), and its informer cache, which learns the true
//! cluster's changes after a delay. Also the over-allocation check every binding passes
//! ([`check_node`]: a small sim helper, not a `Cluster` method, because it turns a broken
//! scheduler invariant into [`SimError::Internal`]).

use super::engine::Engine;
use super::event::{CacheChange, Event};
use super::pods::End;
use crate::error::SimError;
use crate::kubelet::admission as kubelet_admission;
use crate::metrics::PodOutcome;
use crate::model::{Cluster, NodeId, PodId};
use crate::rng::{Stream, stream};
use crate::scenario::LoadedScenario;
use crate::scheduler::Scheduler;
use crate::scheduler::framework::runner::CycleOutcome;
use crate::scheduler::queue::UNSCHEDULABLE_FLUSH_PERIOD_MS;
use crate::time::SimTime;

/// One kube-scheduler process of a run.
pub(super) struct Process {
    pub(super) sched: Scheduler,
    /// Its own view of the cluster when several processes race; `None` reads the true cluster.
    pub(super) cache: Option<Cluster>,
    /// How long the informer takes to bring a change of the true cluster into `cache`, ms.
    pub(super) delay_ms: i64,
    /// Virtual time one cycle takes, ms; the next cycle starts no earlier than `busy_until`.
    pub(super) latency_ms: i64,
    pub(super) busy_until: SimTime,
    pub(super) cycle_pending: bool,
    pub(super) flush_pending: bool,
}

impl Process {
    /// The scheduler processes of `sc` with `seed`, caches cloned from `cluster`.
    pub(super) fn for_scenario(sc: &LoadedScenario, seed: u64, cluster: &Cluster) -> Vec<Process> {
        // One kube-scheduler process, reading the true cluster, unless the scenario runs
        // several: then each has its own cache, fed by the informer after its delay, and can lose
        // a race.
        if sc.processes.is_empty() {
            vec![Process {
                sched: Scheduler::new(sc.scheduler.clone(), stream(seed, Stream::TieBreak), sc.tie_break),
                cache: None,
                delay_ms: 0,
                latency_ms: sc.cycle_latency.0,
                busy_until: SimTime::ZERO,
                cycle_pending: false,
                flush_pending: false,
            }]
        } else {
            sc.processes
                .iter()
                .enumerate()
                .map(|(k, pr)| {
                    let mut rng = stream(seed, Stream::TieBreak);
                    rng.set_stream(Stream::TieBreak as u64 + 16 * (k as u64 + 1));
                    Process {
                        sched: Scheduler::new(pr.scheduler.clone(), rng, sc.tie_break),
                        cache: Some(cluster.clone()),
                        delay_ms: pr.informer_delay.0,
                        latency_ms: pr.cycle_latency.0,
                        busy_until: SimTime::ZERO,
                        cycle_pending: false,
                        flush_pending: false,
                    }
                })
                .collect()
        }
    }
}

impl<'a> Engine<'a> {
    /// After each event: a process with a pod to try gets a cycle (no earlier than it is free),
    /// and one with pods in its unschedulable pool gets the next periodic flush.
    pub(super) fn arm_processes(&mut self) {
        for k in 0..self.procs.len() {
            let pr = &mut self.procs[k];
            if !pr.cycle_pending && pr.sched.queue.has_poppable() {
                let at = self.now.max(pr.busy_until);
                pr.cycle_pending = true;
                self.queue.push(at, Event::SchedulingCycle(k as u32));
            }
            let pr = &mut self.procs[k];
            if !pr.flush_pending && pr.sched.queue.num_unschedulable() > 0 {
                // The flush ticks every 30 s from the scheduler's start.
                let period = UNSCHEDULABLE_FLUSH_PERIOD_MS;
                pr.flush_pending = true;
                self.queue
                    .push(SimTime((self.now.0 / period + 1) * period), Event::UnschedulableFlush(k as u32));
            }
        }
    }

    /// Scheduler process `k`'s periodic flush of its unschedulable pool.
    pub(super) fn unschedulable_flush(&mut self, k: usize) {
        let pr = &mut self.procs[k];
        pr.flush_pending = false;
        pr.sched.queue.flush_unschedulable_leftover(self.now);
    }

    /// Tells every scheduler process about a change of the true cluster.
    pub(super) fn changed(&mut self, c: CacheChange) {
        let now = self.now;
        for k in 0..self.procs.len() {
            match self.procs[k].cache {
                None => {
                    if !matches!(c, CacheChange::Bound(..)) {
                        self.procs[k].sched.on_cluster_change(now);
                    }
                }
                Some(_) => {
                    let at = now.plus_millis(self.procs[k].delay_ms);
                    self.push(at, Event::CacheSync(k as u32, c));
                }
            }
        }
    }

    /// Scheduler process `k`'s informer brings change `c` into its cache.
    pub(super) fn cache_sync(&mut self, k: usize, c: CacheChange) -> Result<(), SimError> {
        let pr = &mut self.procs[k];
        let cache = pr.cache.as_mut().expect("only processes with a cache get syncs");
        catch_up(cache, &self.cluster);
        match c {
            CacheChange::NodeAdded(i) => {
                cache.add_node(self.node_specs[i as usize].clone())?;
            }
            CacheChange::NodeUpdated(id) => {
                let spec = (*self.cluster.node(id).node).clone();
                cache.set_node_labels(id, spec.labels.clone());
                *cache.node_spec_mut(id) = spec;
            }
            CacheChange::NodeRemoved(id) => {
                let pods = cache.node(id).pods.clone();
                for p in pods {
                    cache.unbind(p);
                }
                cache.remove_node(id)?;
                pr.sched.clear_nominations_to(id);
            }
            CacheChange::Bound(p, node) => {
                if cache.pod_node(p).is_none() {
                    cache.bind(p, node)?;
                }
            }
            CacheChange::Unbound(p) => {
                cache.unbind(p);
                // The API server freed it meanwhile (see `Engine::retire`): so does the cache.
                if self.cluster.try_pod(p).is_none() {
                    cache.free_pod(p);
                }
            }
        }
        if !matches!(c, CacheChange::Bound(..)) {
            pr.sched.on_cluster_change(self.now);
        }
        Ok(())
    }

    /// Scheduler process `k` runs one scheduling cycle: binds the pod it pops, or records why
    /// it cannot (and preempts, when its PostFilter nominates a node).
    pub(super) fn scheduling_cycle(&mut self, k: usize) -> Result<(), SimError> {
        let now = self.now;
        self.procs[k].cycle_pending = false;
        self.procs[k].busy_until = now.plus_millis(self.procs[k].latency_ms);
        let Process { sched, cache, .. } = &mut self.procs[k];
        if let Some(c) = cache.as_mut() {
            catch_up(c, &self.cluster);
        }
        let view: &Cluster = cache.as_ref().unwrap_or(&self.cluster);
        let Some((p, result)) = sched.schedule_next(view, now) else { return Ok(()) };
        self.rec.cycles += 1;
        self.rec.pods[p].attempts += 1;
        let has_cache = self.procs[k].cache.is_some();
        // From a stale cache, a binding can reach a node that another process's binding filled
        // first, or that is under a node condition since: the kubelet refuses the pod.
        let refusal = match result.outcome {
            CycleOutcome::Scheduled(node) if has_cache => self.condition_refusal(p, node).or_else(|| {
                let fits = kubelet_admission::admits(&self.cluster, node, p);
                (!fits).then(|| kubelet_admission::rejection(&self.cluster, node, p))
            }),
            _ => None,
        };
        match result.outcome {
            CycleOutcome::Scheduled(node) if refusal.is_some() => {
                // The kubelet rejects the pod (upstream: OutOfcpu, OutOfmemory, Evicted ...) and
                // it fails.
                let (reason, event, status) = refusal.expect("checked");
                let delay = self.procs[k].delay_ms;
                let cache = self.procs[k].cache.as_mut().expect("checked");
                cache.bind(p, node)?;
                self.push(now.plus_millis(delay), Event::CacheSync(k as u32, CacheChange::Unbound(p)));
                let key = self.cluster.pod(p).key();
                self.rec.event(now, &key, true, reason, event, "kubelet");
                self.rec.kubelet_rejections += 1;
                let r = &mut self.rec.pods[p];
                r.last_reason = status;
                r.node = Some(node);
                r.scheduled_ms = None;
                self.end_pod(p, End::KubeletRejected, 0)?;
            }
            CycleOutcome::Scheduled(node) => {
                if let Some(cache) = self.procs[k].cache.as_mut() {
                    cache.bind_gpus(p, node, result.gpus.clone())?; // the scheduler's own assume
                }
                self.procs[k].sched.set_nominated(p, None);
                let created = self.rec.pods[p].created_ms.unwrap_or(now.0);
                self.rec.record_pending((now.0 - created).max(0) as u64);
                self.rec.pods[p].outcome = PodOutcome::Scheduled;
                let pod = self.cluster.pod(p);
                let msg =
                    format!("Successfully assigned {} to {}", pod.key(), self.cluster.node(node).node.name);
                let (key, source) = (pod.key(), pod.scheduler_name.clone());
                self.rec.event(now, &key, false, "Scheduled", msg, &source);
                self.bind(p, node, result.gpus.clone())?;
                check_node(&self.cluster, node, p)?;
            }
            CycleOutcome::Unschedulable(fe) => {
                self.rec.pods[p].last_reason = fe.message.clone();
                self.rec.failed_cycles += 1;
                let key = self.cluster.pod(p).key();
                let source = self.cluster.pod(p).scheduler_name.clone();
                self.rec.event(now, &key, true, "FailedScheduling", fe.message, &source);
                if let Some(pf) = &result.post_filter {
                    if let Some(node) = pf.nominated_node {
                        self.procs[k].sched.set_nominated(p, Some(node));
                        let node_name = self.cluster.node(node).node.name.clone();
                        for v in pf.victims.clone() {
                            if self.cluster.is_terminating_by_preemption(v) {
                                continue;
                            }
                            self.cluster.mark_preempted(v);
                            if let Some(cache) = self.procs[k].cache.as_mut() {
                                cache.mark_preempted(v);
                            }
                            self.rec.preemptions += 1;
                            let victim = self.cluster.pod(v);
                            let grace = victim.termination_grace_period_s;
                            let msg = format!("Preempted by pod {key} on node {node_name}");
                            self.rec.event(now, &victim.key(), false, "Preempted", msg, &source);
                            self.end_pod(v, End::Preempted, grace.max(0))?;
                        }
                    } else if pf.clear_nomination {
                        self.procs[k].sched.set_nominated(p, None);
                    }
                }
                self.procs[k].sched.requeue_unschedulable(p, now);
            }
            CycleOutcome::Error(msg) => {
                let r = &mut self.rec.pods[p];
                r.last_reason = format!("SchedulerError: {msg}");
                let reason = r.last_reason.clone();
                self.rec.failed_cycles += 1;
                let key = self.cluster.pod(p).key();
                let source = self.cluster.pod(p).scheduler_name.clone();
                self.rec.event(now, &key, true, "FailedScheduling", reason, &source);
                self.procs[k].sched.requeue_unschedulable(p, now);
            }
        }
        Ok(())
    }
}

/// Adds to a scheduler's cache the pods created since it was cloned (the informer delivers pod
/// objects at once; only bindings and node changes lag).
pub(super) fn catch_up(cache: &mut Cluster, cluster: &Cluster) {
    for id in cache.next_pod_id()..cluster.next_pod_id() {
        if let Some(pod) = cluster.try_pod(id) {
            cache.add_pod_with_id(id, pod.clone());
        }
    }
    cache.skip_pod_ids(cluster.next_pod_id());
    // Services and controllers created since (PodTopologySpread's default selector).
    let have = cache.workload_selectors().len();
    for w in &cluster.workload_selectors()[have..] {
        cache.add_workload_selector(w.clone());
    }
}

/// The scheduler must never over-allocate a node: every pod it binds passed NodeResourcesFit, so
/// no resource the pod requests (nor the pod count) may exceed the node's allocatable.
///
/// A small sim helper rather than a `Cluster` method on purpose: it is not a model rule but the
/// engine's check of the scheduler's invariant after each binding, and it reports a breach as
/// [`SimError::Internal`] (a bug in capsim), which the model has no business deciding.
pub(super) fn check_node(cluster: &Cluster, node: NodeId, pod: PodId) -> Result<(), SimError> {
    let info = cluster.node(node);
    let a = &info.node.allocatable;
    let p = cluster.pod(pod);
    let requested =
        p.requests.iter_nonzero().map(|(name, _)| name).chain(std::iter::once(crate::model::resources::PODS));
    for name in requested {
        let used = info.requested.get(name);
        if used > a.get(name) {
            return Err(SimError::Internal(format!(
                "binding pod {} over-allocated node {}: {name} requested {used} > allocatable {}",
                cluster.pod(pod).key(),
                info.node.name,
                a.get(name)
            )));
        }
    }
    Ok(())
}
