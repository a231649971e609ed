//! The dispatch loop: the `Engine` of one run (its state, split by concern across the files
//! of [`crate::sim`]), [`run`], the loop that pops events in (time, sequence) order, and
//! `Engine::dispatch`, which hands each event to the code that handles it. One run owns all its
//! state, so runs can go in parallel.
//!
//! Pod life cycle (every pod created is in exactly one phase at any instant, see
//! [`PodCounts`]): created → admission (refused: *rejected*) → *pending* in a scheduler's queue
//! (or bound at once by `spec.nodeName`) → *running* on a node → deleted by the trace, its owner,
//! an eviction, a preemption, the kubelet or its node's deletion (*succeeded* or *failed*). A
//! deleted pod keeps its node's resources for its termination grace period, and for as long as
//! its node does not heartbeat (nobody confirms the kill).

use std::collections::BTreeMap;
use std::time::Instant;

use rand_chacha::ChaCha8Rng;

use super::event::Event;
use super::nodes::Drains;
use super::pods::{End, Loss, Phase};
use super::queue::EventQueue;
use super::scheduling::Process;
use crate::controllers::Settings;
use crate::controllers::admission::AdmissionChain;
use crate::controllers::daemonset::DaemonSetController;
use crate::controllers::job::JobController;
use crate::controllers::node_lifecycle::NodeLifecycle;
use crate::controllers::replicaset::ReplicaSetController;
use crate::controllers::taint_eviction::TaintEviction;
use crate::error::SimError;
use crate::kubelet::runtime::Kubelet;
use crate::metrics::{PodCounts, Recorder, RunResult};
use crate::model::gpu::{POPULARITY_THRESHOLD, TargetWorkload};
use crate::model::{Cluster, NodeId, Owner, Pod, PodId};
use crate::rng::{Stream, stream};
use crate::scenario::LoadedScenario;
use crate::scheduler::plugins::gpu::fgd_score::NAME as FGD_NAME;
use crate::time::SimTime;

/// Runs `sc` with `seed`.
///
/// # Errors
/// [`SimError::Internal`] when an invariant breaks (a node over-allocated by the scheduler, a pod
/// bound twice): a bug in capsim.
pub fn run(sc: &LoadedScenario, seed: u64) -> Result<RunResult, SimError> {
    run_observed(sc, seed, &|_, _| {})
}

/// How often (in events processed) [`run_observed`] reports progress.
pub const PROGRESS_EVERY_EVENTS: u64 = 1 << 16;

/// [`run`], calling `observe(virtual time now, events processed so far)` every
/// [`PROGRESS_EVERY_EVENTS`] events (for progress displays; it cannot change the run).
///
/// # Errors
/// As [`run`].
pub fn run_observed(
    sc: &LoadedScenario,
    seed: u64,
    observe: &dyn Fn(SimTime, u64),
) -> Result<RunResult, SimError> {
    run_with(sc, seed, observe, false)
}

/// [`run`] with the run's invariants checked after every event: every pod created is in exactly
/// one phase and the counters agree with the phases (created = pending + running + succeeded +
/// failed + rejected), and no live node holds more than its allocatable (cpu, memory, ephemeral
/// storage, extended resources, pods). For property tests: each check walks every pod and node.
///
/// # Errors
/// As [`run`]; [`SimError::Internal`] naming the event, its virtual time and the invariant
/// broken.
pub fn run_checked(sc: &LoadedScenario, seed: u64) -> Result<RunResult, SimError> {
    run_with(sc, seed, &|_, _| {}, true)
}

fn run_with(
    sc: &LoadedScenario,
    seed: u64,
    observe: &dyn Fn(SimTime, u64),
    checked: bool,
) -> Result<RunResult, SimError> {
    let started = Instant::now();
    let mut e = Engine::new(sc, seed);
    e.checked = checked;
    e.run_loop(observe)?;
    if let Some(k) = e.kubelet.as_mut() {
        k.finish(e.now);
        for (p, pr) in &k.pods {
            e.rec.pods[*p].runtime = super::pods::runtime_counters(pr);
        }
    }
    let nominated = e
        .cluster
        .pods()
        .filter_map(|(p, _)| e.procs.iter().find_map(|pr| pr.sched.nominated(p)).map(|n| (p, n)))
        .collect();
    Ok(RunResult {
        nominated,
        scenario: sc.name.clone(),
        seed,
        cluster: e.cluster,
        recorder: e.rec,
        end: e.now,
        wall: started.elapsed(),
        notes: sc.notes.clone(),
    })
}

/// One run's state. The controllers keep their own state ([`ReplicaSetController`],
/// [`DaemonSetController`], [`JobController`], [`TaintEviction`], [`NodeLifecycle`]); the engine
/// keeps the true cluster, the queue, the recorder, and the glue between them. Its methods live
/// in the files of [`crate::sim`], by concern.
pub(super) struct Engine<'a> {
    /// The scenario being run.
    pub(super) sc: &'a LoadedScenario,
    /// The true cluster (what the API server holds).
    pub(super) cluster: Cluster,
    /// The kube-scheduler processes.
    pub(super) procs: Vec<Process>,
    /// Per pod id: the scheduler process serving its `schedulerName` (4 bytes per pod ever).
    pub(super) owner_proc: Vec<Option<u16>>,
    /// Everything the run reports.
    pub(super) rec: Recorder,
    /// Events to come, in (time, sequence) order.
    pub(super) queue: EventQueue,
    /// The current virtual time.
    pub(super) now: SimTime,
    /// Driving events still queued ([`Event::drives`]).
    pub(super) driving: usize,
    /// Per pod: its phase.
    pub(super) phase: Vec<Phase>,
    /// Requests (cpu, memory, gpu) of the pods pending now, as a multiset: the median pending
    /// pod that the fragmentation sample measures against.
    pub(super) pending_shapes: BTreeMap<[i64; 3], usize>,
    /// Pods per phase.
    pub(super) counts: PodCounts,
    /// Watches for a run stuck at one instant.
    stall: super::stall::Stall,
    /// Whether [`Engine::check_invariants`] runs after every event.
    checked: bool,
    /// Node specs by list number: the scenario's nodes, then pool joins as they happen.
    pub(super) node_specs: Vec<crate::model::Node>,
    /// Next node number per pool.
    pub(super) pool_next: Vec<usize>,
    /// Pods deleted on a node that does not heartbeat: they leave when it recovers or goes.
    pub(super) stuck: BTreeMap<NodeId, Vec<PodId>>,
    /// The node lifecycle controller: node health, zones, NoExecute rate limiting.
    pub(super) lifecycle: NodeLifecycle,
    /// The taint eviction controller's scheduled evictions.
    pub(super) taint_eviction: TaintEviction,
    /// The DaemonSet controller: live daemon pods, backoffs, retries.
    pub(super) daemonsets: DaemonSetController,
    /// The ReplicaSet controller: replicas wanted, active pods, retries.
    pub(super) replicasets: ReplicaSetController,
    /// The Job controller: each Job's progress.
    pub(super) jobs: JobController,
    /// Per ReplicaSet or Job: losses waiting for a replacement, oldest first (a DaemonSet's pod
    /// is replaced on its own node or not at all, so it is not counted).
    pub(super) losses: BTreeMap<Owner, std::collections::VecDeque<Loss>>,
    /// Replacement pod → the loss it answers.
    pub(super) replaces: BTreeMap<PodId, Loss>,
    /// The API server's admission chain (LimitRanger, ResourceQuota).
    pub(super) admission: AdmissionChain,
    /// Failure gaps, timeline spacing and node selections.
    pub(super) failures_rng: ChaCha8Rng,
    /// Job pods' run times.
    pub(super) jobs_rng: ChaCha8Rng,
    /// Generated names handed out (`generateName` suffixes).
    pub(super) names: u64,
    /// Drains in progress.
    pub(super) drains: Drains,
    /// Job pods that finished on a node that does not heartbeat.
    pub(super) done_unreported: BTreeMap<NodeId, Vec<PodId>>,
    /// The kubelets' runtime (usage, throttling, OOM, pressure), when the scenario has one.
    pub(super) kubelet: Option<Kubelet>,
    /// Pods each owner lost to kubelet admission (the nodeName runaway is capped).
    pub(super) kubelet_rejections: BTreeMap<Owner, u32>,
    /// Each pod generator's stream (the workload stream, one sub-stream per generator).
    pub(super) gen_rng: Vec<rand_chacha::ChaCha8Rng>,
    /// Pods each generator has made.
    pub(super) gen_made: Vec<u64>,
    /// Each generator's position in its arrival window, 0–1
    /// ([`crate::workload::generator::PodGenerator::arrival`]).
    pub(super) gen_pos: Vec<f64>,
}

impl<'a> Engine<'a> {
    /// The engine of a run of `sc` with `seed`, its first events queued: node joins, pod
    /// arrivals and deletions, generators, controller creations, timeline actions, the first
    /// sample.
    fn new(sc: &'a LoadedScenario, seed: u64) -> Self {
        let dy = &sc.dynamics;
        let mut cluster = Cluster::new();
        for pdb in &sc.pdbs {
            cluster.add_pdb(pdb.clone());
        }
        for (name, labels) in &dy.namespaces {
            cluster.add_namespace(name, labels.clone());
        }
        // Selectors of objects created at time 0; the others join at their time
        // (`Event::SelectorCreated`), in the order the manifests list them.
        for w in dy.workload_selectors.iter().filter(|w| w.created == SimTime::ZERO) {
            cluster.add_workload_selector(w.clone());
        }
        for a in &sc.arrivals {
            cluster.add_pod(a.pod.clone());
        }
        // FGDScore measures fragmentation against the workload's pod shapes.
        let configs = std::iter::once(&sc.scheduler).chain(sc.processes.iter().map(|p| &p.scheduler));
        if configs.flat_map(|c| &c.profiles).flat_map(|p| &p.score).any(|w| w.plugin.name() == FGD_NAME) {
            // The workload's pods, and each controller's template as many times as it keeps pods.
            let rs = dy
                .replicasets
                .iter()
                .flat_map(|r| std::iter::repeat_n(&r.template, r.replicas.max(0) as usize));
            let jobs =
                dy.jobs.iter().flat_map(|j| std::iter::repeat_n(&j.template, j.completions.max(0) as usize));
            let ds = dy.daemonsets.iter().map(|d| &d.template);
            let pods = sc.arrivals.iter().map(|a| &a.pod).chain(rs).chain(jobs).chain(ds);
            cluster
                .set_gpu_workload(std::sync::Arc::new(TargetWorkload::from_pods(pods, POPULARITY_THRESHOLD)));
        }
        let procs = Process::for_scenario(sc, seed, &cluster);
        let mut jobs_rng = stream(seed, Stream::Workload);
        jobs_rng.set_stream(Stream::Workload as u64 + 32);
        let mut e = Engine {
            sc,
            owner_proc: Vec::new(),
            rec: Recorder::new(sc.arrivals.len()),
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            driving: 0,
            phase: vec![Phase::NotCreated; sc.arrivals.len()],
            pending_shapes: BTreeMap::new(),
            counts: PodCounts::default(),
            stall: super::stall::Stall::default(),
            checked: false,
            node_specs: sc.nodes.clone(),
            pool_next: dy.pools.iter().map(|p| p.initial).collect(),
            stuck: BTreeMap::new(),
            lifecycle: NodeLifecycle::new(dy.settings.clone()),
            taint_eviction: TaintEviction::new(),
            daemonsets: DaemonSetController::new(dy.daemonsets.clone()),
            replicasets: ReplicaSetController::new(&dy.replicasets),
            jobs: JobController::new(dy.jobs.len()),
            losses: BTreeMap::new(),
            replaces: BTreeMap::new(),
            admission: AdmissionChain::new(dy.limit_ranges.clone(), dy.quotas.clone())
                .with_runtime_classes(dy.runtime_classes.clone()),
            failures_rng: stream(seed, Stream::Failures),
            jobs_rng,
            names: 0,
            drains: Drains::default(),
            done_unreported: BTreeMap::new(),
            kubelet: dy.runtime.clone().map(|r| Kubelet::new(r, seed)),
            kubelet_rejections: BTreeMap::new(),
            gen_rng: (0..dy.generators.len())
                .map(|k| {
                    let mut rng = stream(seed, Stream::Workload);
                    rng.set_stream(Stream::Workload as u64 + 64 + 16 * k as u64);
                    rng
                })
                .collect(),
            gen_made: vec![0; dy.generators.len()],
            gen_pos: vec![0.0; dy.generators.len()],
            procs,
            cluster,
        };
        e.rec.record_events = sc.record_events;
        e.owner_proc = sc.arrivals.iter().map(|a| e.proc_for(&a.pod).map(|k| k as u16)).collect();
        // Manifest pods a ReplicaSet adopted are recorded under it.
        for (i, a) in sc.arrivals.iter().enumerate() {
            if let Some(o) = a.pod.owner {
                e.rec.pods[i as PodId].owner = e.owner_object(o);
            }
        }
        for i in 0..sc.nodes.len() {
            e.push(SimTime::ZERO, Event::NodeAdded(i as u32));
        }
        for (i, w) in dy.workload_selectors.iter().enumerate() {
            if w.created != SimTime::ZERO {
                e.push(w.created, Event::SelectorCreated(i as u32));
            }
        }
        for (i, a) in sc.arrivals.iter().enumerate() {
            e.push(a.created, Event::PodCreated(i as PodId));
            if let Some(d) = a.deleted {
                e.push(d, Event::PodDeleted(i as PodId));
            }
        }
        for (k, g) in dy.generators.iter().enumerate() {
            let first = g.arrival(0, &mut e.gen_pos[k], &mut e.gen_rng[k]);
            e.push(first, Event::Generate(k as u32));
        }
        for (i, ds) in dy.daemonsets.iter().enumerate() {
            e.push(ds.created, Event::ControllerSync(Owner::DaemonSet(i as u32)));
        }
        for (i, rs) in dy.replicasets.iter().enumerate() {
            e.push(rs.created, Event::ControllerSync(Owner::ReplicaSet(i as u32)));
        }
        for (i, j) in dy.jobs.iter().enumerate() {
            e.push(j.created, Event::ControllerSync(Owner::Job(i as u32)));
        }
        for (i, (t, _)) in dy.timeline.iter().enumerate() {
            e.push(*t, Event::Timeline(i as u32));
        }
        e.queue.push(SimTime::ZERO, Event::MetricsSample);
        e
    }

    /// Queues `ev` at `t`, counting driving events.
    pub(super) fn push(&mut self, t: SimTime, ev: Event) {
        if ev.drives() {
            self.driving += 1;
        }
        self.queue.push(t, ev);
    }

    /// The scheduler process serving `pod`'s `schedulerName`.
    pub(super) fn proc_for(&self, pod: &Pod) -> Option<usize> {
        self.procs.iter().position(|pr| pr.sched.config.profile(&pod.scheduler_name).is_some())
    }

    /// The controllers' settings.
    pub(super) fn settings(&self) -> &Settings {
        &self.sc.dynamics.settings
    }

    /// Pops and handles events until none is left, none can change anything, or the horizon;
    /// samples at each sampling time and at the end.
    fn run_loop(&mut self, observe: &dyn Fn(SimTime, u64)) -> Result<(), SimError> {
        let sc = self.sc;
        let mut last_sample: Option<SimTime> = None;
        while let Some((t, event)) = self.queue.pop() {
            if sc.horizon.is_some_and(|h| t > h) {
                self.now = sc.horizon.unwrap_or(t);
                break;
            }
            if event.drives() {
                self.driving -= 1;
            } else if self.driving == 0
                && !self.procs.iter().any(|pr| pr.sched.queue.has_poppable())
                && sc.horizon.is_none()
            {
                // No driving event is left and no pod can be tried: nothing can change any more
                // (pods left in the unschedulable pool would only fail again; runtime timers,
                // retries and samples would go on for ever). The run ends at the last event
                // processed.
                break;
            }
            if event == Event::MetricsSample && self.queue.peek_time() == Some(t) {
                // Sample the state after everything at this instant (arrivals and the scheduling
                // cycles they trigger): go behind the instant's other events.
                self.queue.push(t, Event::MetricsSample);
                continue;
            }
            self.now = t;
            self.rec.events += 1;
            self.stall.observe(t, &self.counts, self.rec.totals.allocatable).map_err(SimError::Internal)?;
            if self.rec.events.is_multiple_of(PROGRESS_EVERY_EVENTS) {
                observe(t, self.rec.events);
            }
            if event == Event::MetricsSample {
                self.sample();
                last_sample = Some(t);
                self.queue.push(t.plus_millis(sc.sample_interval.0), Event::MetricsSample);
            } else {
                let what = if self.checked { format!("{event:?}") } else { String::new() };
                self.dispatch(event)?;
                if self.checked {
                    self.arm_processes();
                    self.check_invariants().map_err(|m| {
                        SimError::Internal(format!("after {what} at {} s: {m}", t.as_secs_f64()))
                    })?;
                    continue;
                }
            }
            self.arm_processes();
        }
        if let Some(h) = sc.horizon {
            // A horizon is the run's end, even when the workload finished earlier.
            self.now = h;
        }
        if last_sample != Some(self.now) {
            self.sample();
        }
        self.rec.advance(self.now);
        Ok(())
    }

    /// Hands `event` to the code that handles it.
    fn dispatch(&mut self, event: Event) -> Result<(), SimError> {
        match event {
            Event::NodeAdded(i) => self.node_added(i)?,
            Event::PoolJoin(pool) => self.pool_join(pool as usize)?,
            Event::CacheSync(k, c) => self.cache_sync(k as usize, c)?,
            Event::PodCreated(p) => {
                if self.rec.pods[p].created_ms.is_none() {
                    self.create_pod(p)?;
                }
            }
            Event::Generate(k) => self.generate(k as usize)?,
            Event::PodDeleted(p) => self.end_pod(p, End::Departed, 0)?,
            Event::PodTerminated(p) => self.grace_over(p)?,
            Event::SchedulingCycle(k) => self.scheduling_cycle(k as usize)?,
            Event::UnschedulableFlush(k) => self.unschedulable_flush(k as usize),
            Event::MetricsSample => unreachable!("handled in the loop"),
            Event::Timeline(i) => self.timeline(i as usize)?,
            Event::NodeFail(node, process) => self.node_fail(node, process),
            Event::NodeRecover(node, epoch, process) => self.recover_timer(node, epoch, process)?,
            Event::NodeGraceExpired(node, epoch) => self.grace_expired(node, epoch)?,
            Event::ZoneTick(z) => self.zone_tick(z as usize)?,
            Event::TaintEviction(p, token) => self.taint_eviction_due(p, token)?,
            Event::ControllerSync(owner) => self.controller_sync(owner)?,
            Event::ControllerRetry(owner) => self.controller_retry(owner)?,
            Event::DaemonSetNode(ds, node) => self.daemon_reconcile(ds as usize, node)?,
            Event::JobPodDone(p) => self.job_pod_done(p)?,
            Event::DrainStep(node) => self.drain_step(node)?,
            Event::Runtime(t) => self.runtime_timer(t)?,
            Event::SelectorCreated(i) => {
                let w = self.sc.dynamics.workload_selectors[i as usize].clone();
                self.cluster.add_workload_selector(w);
            }
        }
        Ok(())
    }
}
