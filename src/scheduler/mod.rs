//! kube-scheduler semantics: the framework (extension points, profiles, the cycle runner), the
//! in-tree plugins, the scheduling queue, and [`Scheduler`], which ties them together for a run.

pub mod framework;
pub mod plugins;
pub mod queue;

use rand_chacha::ChaCha8Rng;

use framework::profile::SchedulerConfig;
use framework::runner::{CycleOptions, CycleResult, SchedulerState, TieBreak, schedule_pod};
use queue::SchedulingQueue;

use std::collections::BTreeMap;

use crate::model::{Cluster, NodeId, PodId};
use crate::time::SimTime;

/// What happened when a created pod was handed to the scheduler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enqueue {
    /// Queued for scheduling.
    Queued,
    /// Held back by a PreEnqueue plugin (e.g. scheduling gates), with its message.
    Gated(String),
    /// No profile has the pod's `schedulerName`; kube-scheduler leaves such pods alone.
    NoProfile,
}

/// One kube-scheduler process: its profiles, its queue (shared by all profiles), its rotating
/// start index and its tie-break stream.
pub struct Scheduler {
    /// The resolved configuration.
    pub config: SchedulerConfig,
    /// State that persists across cycles (`nextStartNodeIndex`).
    pub state: SchedulerState,
    /// activeQ and the unschedulable pool.
    pub queue: SchedulingQueue,
    rng: ChaCha8Rng,
    tie_break: TieBreak,
    /// `status.nominatedNodeName` of pods that preempted others and wait for room.
    nominated: BTreeMap<PodId, NodeId>,
}

impl Scheduler {
    /// A scheduler with `config`, drawing tie-breaks from `rng`.
    pub fn new(config: SchedulerConfig, rng: ChaCha8Rng, tie_break: TieBreak) -> Self {
        let queue = SchedulingQueue::new(
            config.pod_initial_backoff_seconds * 1000,
            config.pod_max_backoff_seconds * 1000,
        );
        Scheduler {
            config,
            state: SchedulerState::default(),
            queue,
            rng,
            tie_break,
            nominated: BTreeMap::new(),
        }
    }

    /// Hands a newly created pending pod to the scheduler at virtual time `now`: finds its
    /// profile, runs PreEnqueue, and queues it.
    pub fn admit(&mut self, cluster: &Cluster, pod: PodId, now: SimTime) -> Enqueue {
        let p = cluster.pod(pod);
        let Some(profile) = self.config.profile(&p.scheduler_name) else {
            return Enqueue::NoProfile;
        };
        for pe in &profile.pre_enqueue {
            let status = pe.as_pre_enqueue().expect("PreEnqueue plugin").pre_enqueue(p);
            if !status.is_success() {
                return Enqueue::Gated(format!("PreEnqueue plugin {}: {}", pe.name(), status.message()));
            }
        }
        self.queue.add_active(pod, p.priority, now);
        Enqueue::Queued
    }

    /// Pops the next pod at `now` and runs one scheduling cycle for it. Does not bind: the caller binds
    /// on `Outcome::Scheduled`, or calls [`Scheduler::requeue_unschedulable`].
    pub fn schedule_next(&mut self, cluster: &Cluster, now: SimTime) -> Option<(PodId, CycleResult)> {
        let pod = self.queue.pop(now)?;
        let p = cluster.pod(pod);
        let profile = self.config.profile(&p.scheduler_name).expect("queued pods have a profile");
        let opts = CycleOptions {
            tie_break: self.tie_break,
            record_scores: false,
            run_post_filter: true,
            nominated_node: self.nominated.get(&pod).copied(),
        };
        Some((pod, schedule_pod(profile, p, cluster, &mut self.state, &mut self.rng, opts)))
    }

    /// Sets (or, with `None`, clears) the nominated node of `pod`.
    pub fn set_nominated(&mut self, pod: PodId, node: Option<NodeId>) {
        match node {
            Some(n) => self.nominated.insert(pod, n),
            None => self.nominated.remove(&pod),
        };
    }

    /// Clears every nomination to `node` (it was deleted).
    pub fn clear_nominations_to(&mut self, node: NodeId) {
        self.nominated.retain(|_, n| *n != node);
    }

    /// The nominated node of `pod`, if it preempted and waits.
    pub fn nominated(&self, pod: PodId) -> Option<NodeId> {
        self.nominated.get(&pod).copied()
    }

    /// Parks a pod whose cycle failed at `now` in the unschedulable pool, starting its backoff.
    pub fn requeue_unschedulable(&mut self, pod: PodId, now: SimTime) {
        self.queue.add_unschedulable(pod, now);
    }

    /// The cluster changed at `now` (node added, pod deleted): move unschedulable pods to backoffQ or
    /// activeQ. Returns how many moved.
    pub fn on_cluster_change(&mut self, now: SimTime) -> usize {
        self.queue.move_all_to_active_or_backoff(now)
    }
}
