//! The run loop: pops events in (time, sequence) order and dispatches them to the cluster, the
//! schedulers, the controllers and the recorders. One run owns all its state, so runs can go in
//! parallel.
//!
//! Pod life cycle (every pod created is in exactly one phase at any instant, see
//! [`PodCounts`]): created → admission (refused: *rejected*) → *pending* in a scheduler's queue
//! (or bound at once by `spec.nodeName`) → *running* on a node → deleted by the trace, its owner,
//! an eviction, a preemption, the kubelet or its node's deletion (*succeeded* or *failed*). A
//! deleted pod keeps its node's resources for its termination grace period, and for as long as
//! its node does not heartbeat (nobody confirms the kill).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::event::{CacheChange, Event};
use super::queue::EventQueue;
use crate::controllers::admission::Admission as AdmissionChain;
use crate::controllers::daemonset::{DaemonSetController, Decision};
use crate::controllers::job::JobStatus;
use crate::controllers::node_lifecycle::NodeLifecycle;
use crate::controllers::taint_eviction::{self, Verdict};
use crate::controllers::{self, name_suffix, remove_taint, set_taint, taint};
use crate::error::SimError;
use crate::kubelet::runtime::{Kubelet, NodeSize, OomOutcome, PressureAction, Timer};
use crate::metrics::{DaemonSetSample, FailureRecord, Outcome as PodOutcome, PodCounts, Recorder, RunResult};
use crate::model::gpu::{POPULARITY_THRESHOLD, TargetWorkload};
use crate::model::labels::TaintEffect;
use crate::model::{Cluster, NodeId, Owner, Pod, PodId};
use crate::names::{TAINT_MEMORY_PRESSURE, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE};
use crate::rng::{Stream, stream};
use crate::scenario::LoadedScenario;
use crate::scenario::timeline::{Action, Spacing};
use crate::scheduler::framework::runner::Outcome;
use crate::scheduler::plugins::gpu::fgd_score::NAME as FGD_NAME;
use crate::scheduler::queue::UNSCHEDULABLE_FLUSH_PERIOD_MS;
use crate::scheduler::{Admission, Scheduler};
use crate::time::SimTime;

/// Runs `sc` with `seed`.
///
/// # Errors
/// [`SimError::Internal`] when an invariant breaks (a node over-allocated by the scheduler, a pod
/// bound twice): a bug in capsim.
pub fn run(sc: &LoadedScenario, seed: u64) -> Result<RunResult, SimError> {
    let started = Instant::now();
    let mut e = Engine::new(sc, seed);
    e.run_loop()?;
    if let Some(k) = e.kubelet.as_mut() {
        k.finish(e.now.0);
        for (p, pr) in &k.pods {
            e.rec.pods[*p as usize].runtime = crate::metrics::RuntimeCounters {
                oom_kills: pr.oom_kills,
                restarts: pr.restarts,
                throttled_cpu_s: pr.throttled_cpu_s(),
                throttled_fraction: pr.throttled_fraction(),
                cpu_shortfall_s: pr.shortfall_cpu_s(),
                qos: k.qos(*p).map(|q| q.as_str()),
            };
        }
    }
    let nominated = (0..e.cluster.pods().len() as PodId)
        .filter_map(|p| e.procs.iter().find_map(|pr| pr.sched.nominated(p)).map(|n| (p, n)))
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

/// One kube-scheduler process of a run.
struct Process {
    sched: Scheduler,
    /// Its own view of the cluster when several processes race; `None` reads the true cluster.
    cache: Option<Cluster>,
    /// How long the informer takes to bring a change of the true cluster into `cache`, ms.
    delay_ms: i64,
    /// Virtual time one cycle takes, ms; the next cycle starts no earlier than `busy_until`.
    latency_ms: i64,
    busy_until: SimTime,
    cycle_pending: bool,
    flush_pending: bool,
}

/// A pod's phase for the conservation counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    NotCreated,
    Pending,
    Running,
    Succeeded,
    Failed,
    Rejected,
}

/// Why a pod ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
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

/// Health of a node as the engine tracks it.
#[derive(Clone, Copy, Debug, Default)]
struct Health {
    /// The kubelet heartbeats (false from a failure until recovery).
    heartbeat: bool,
    /// Ready is Unknown (grace period over) and the unreachable taints are on.
    unreachable: bool,
    /// Bumped on every failure and recovery, to drop stale timers.
    epoch: u32,
    /// Index into the recorder's failures of the current failure.
    failure: Option<usize>,
}

/// A lost controller-owned pod waiting for its replacement to be bound.
#[derive(Clone, Copy, Debug)]
struct Loss {
    at_ms: i64,
    failure: Option<usize>,
}

struct Engine<'a> {
    sc: &'a LoadedScenario,
    cluster: Cluster,
    procs: Vec<Process>,
    /// Per pod: the scheduler process serving its `schedulerName`.
    owner_proc: Vec<Option<usize>>,
    rec: Recorder,
    queue: EventQueue,
    now: SimTime,
    /// Driving events still queued ([`Event::drives`]).
    driving: usize,
    phase: Vec<Phase>,
    /// Requests (cpu, memory, gpu) of the pods pending now, as a multiset: the median pending
    /// pod that the fragmentation sample measures against.
    pending_shapes: BTreeMap<[i64; 3], usize>,
    counts: PodCounts,
    /// Node specs by list number: the scenario's nodes, then pool joins as they happen.
    node_specs: Vec<crate::model::Node>,
    /// Next node number per pool.
    pool_next: Vec<usize>,
    health: Vec<Health>,
    /// Pods deleted on a node that does not heartbeat: they leave when it recovers or goes.
    stuck: BTreeMap<NodeId, Vec<PodId>>,
    lifecycle: NodeLifecycle,
    zone_names: Vec<String>,
    /// Scheduled taint evictions: pod → (token, first seen ms).
    evictions: BTreeMap<PodId, (u32, i64)>,
    next_token: u32,
    daemonsets: DaemonSetController,
    /// Per ReplicaSet: current replicas wanted and active pods.
    rs_replicas: Vec<i32>,
    rs_active: Vec<BTreeSet<PodId>>,
    rs_retry_ms: Vec<i64>,
    /// Per DaemonSet: the current retry backoff after a refused creation, ms.
    ds_retry_ms: Vec<i64>,
    ds_retry_pending: Vec<bool>,
    jobs: Vec<JobStatus>,
    /// Per ReplicaSet or Job: losses waiting for a replacement, oldest first (a DaemonSet's pod
    /// is replaced on its own node or not at all, so it is not counted).
    losses: BTreeMap<Owner, std::collections::VecDeque<Loss>>,
    /// Replacement pod → the loss it answers.
    replaces: BTreeMap<PodId, Loss>,
    admission: AdmissionChain,
    failures_rng: ChaCha8Rng,
    jobs_rng: ChaCha8Rng,
    names: u64,
    /// Drains in progress.
    draining: BTreeSet<NodeId>,
    /// Job pods that finished on a node that does not heartbeat.
    done_unreported: BTreeMap<NodeId, Vec<PodId>>,
    /// Pods whose eviction a PodDisruptionBudget refused (one event each).
    eviction_refused: BTreeSet<PodId>,
    /// The kubelets' runtime (usage, throttling, OOM, pressure), when the scenario has one.
    kubelet: Option<Kubelet>,
    /// Pods each owner lost to kubelet admission (the nodeName runaway is capped).
    kubelet_rejections: BTreeMap<Owner, u32>,
    /// Each pod generator's stream (the workload stream, one sub-stream per generator).
    gen_rng: Vec<rand_chacha::ChaCha8Rng>,
    /// Pods each generator has made.
    gen_made: Vec<u64>,
    /// Each generator's position in its arrival window, 0–1 ([`crate::workload::generator::PodGenerator::arrival`]).
    gen_pos: Vec<f64>,
}

impl<'a> Engine<'a> {
    fn new(sc: &'a LoadedScenario, seed: u64) -> Self {
        let dy = &sc.dynamics;
        let mut cluster = Cluster::new();
        for pdb in &sc.pdbs {
            cluster.add_pdb(pdb.clone());
        }
        for (name, labels) in &dy.namespaces {
            cluster.add_namespace(name, labels.clone());
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
        // One kube-scheduler process, reading the true cluster, unless the scenario runs
        // several: then each has its own cache, fed by the informer after its delay, and can lose
        // a race.
        let procs: Vec<Process> = if sc.processes.is_empty() {
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
        };
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
            node_specs: sc.nodes.clone(),
            pool_next: dy.pools.iter().map(|p| p.initial).collect(),
            health: Vec::new(),
            stuck: BTreeMap::new(),
            lifecycle: NodeLifecycle::new(dy.settings.clone()),
            zone_names: Vec::new(),
            evictions: BTreeMap::new(),
            next_token: 0,
            daemonsets: DaemonSetController::new(dy.daemonsets.clone()),
            rs_replicas: dy.replicasets.iter().map(|r| r.replicas).collect(),
            rs_active: vec![BTreeSet::new(); dy.replicasets.len()],
            rs_retry_ms: vec![0; dy.replicasets.len()],
            ds_retry_ms: vec![0; dy.daemonsets.len()],
            ds_retry_pending: vec![false; dy.daemonsets.len()],
            jobs: vec![JobStatus::default(); dy.jobs.len()],
            losses: BTreeMap::new(),
            replaces: BTreeMap::new(),
            admission: AdmissionChain::new(dy.limit_ranges.clone(), dy.quotas.clone()),
            failures_rng: stream(seed, Stream::Failures),
            jobs_rng,
            names: 0,
            draining: BTreeSet::new(),
            done_unreported: BTreeMap::new(),
            eviction_refused: BTreeSet::new(),
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
        e.owner_proc = sc.arrivals.iter().map(|a| e.proc_for(&a.pod)).collect();
        for i in 0..sc.nodes.len() {
            e.push(SimTime::ZERO, Event::NodeAdded(i as u32));
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

    fn push(&mut self, t: SimTime, ev: Event) {
        if ev.drives() {
            self.driving += 1;
        }
        self.queue.push(t, ev);
    }

    fn proc_for(&self, pod: &Pod) -> Option<usize> {
        self.procs.iter().position(|pr| pr.sched.config.profile(&pod.scheduler_name).is_some())
    }

    fn settings(&self) -> &controllers::Settings {
        &self.sc.dynamics.settings
    }

    fn run_loop(&mut self) -> Result<(), SimError> {
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
            if event == Event::MetricsSample {
                self.sample();
                last_sample = Some(t);
                self.queue.push(t.plus_millis(sc.sample_interval.0), Event::MetricsSample);
            } else {
                self.dispatch(event)?;
            }
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
                    self.queue.push(
                        SimTime((self.now.0 / period + 1) * period),
                        Event::UnschedulableFlush(k as u32),
                    );
                }
            }
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

    fn sample(&mut self) {
        let not_ready = self
            .health
            .iter()
            .enumerate()
            .filter(|(i, h)| h.unreachable && !self.cluster.node(*i as NodeId).removed)
            .count();
        let used = self.kubelet.as_ref().map(|k| {
            let (mem, cpu) = k.usage_totals(self.now.0);
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
        let t = self.now.as_secs_f64();
        for ds in 0..self.daemonsets.sets.len() {
            if !self.daemonsets.active[ds] {
                continue;
            }
            let nodes = self.cluster.live_nodes().map(|(id, n)| (id, &n.node));
            let cluster = &self.cluster;
            let health = &self.health;
            // The node controller marks pods on a NotReady node not ready.
            let ready_pod = |p: PodId| cluster.pod_node(p).is_some_and(|n| !health[n as usize].unreachable);
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

    fn dispatch(&mut self, event: Event) -> Result<(), SimError> {
        match event {
            Event::NodeAdded(i) => self.node_added(i)?,
            Event::PoolJoin(pool) => {
                // The next free number of the pool (a name taken by another node is skipped).
                let node = loop {
                    let n = self.pool_next[pool as usize];
                    self.pool_next[pool as usize] += 1;
                    let node = self.sc.dynamics.pools[pool as usize].node(n);
                    if self.cluster.node_id(&node.name).is_none() {
                        break node;
                    }
                };
                self.node_specs.push(node);
                self.node_added(self.node_specs.len() as u32 - 1)?;
            }
            Event::CacheSync(k, c) => self.cache_sync(k as usize, c)?,
            Event::PodCreated(p) => {
                if self.rec.pods[p as usize].created_ms.is_none() {
                    self.create_pod(p)?;
                }
            }
            Event::Generate(k) => self.generate(k as usize)?,
            Event::PodDeleted(p) => self.end_pod(p, End::Departed, 0)?,
            Event::PodTerminated(p) => self.grace_over(p)?,
            Event::SchedulingCycle(k) => self.scheduling_cycle(k as usize)?,
            Event::UnschedulableFlush(k) => {
                let pr = &mut self.procs[k as usize];
                pr.flush_pending = false;
                pr.sched.queue.flush_unschedulable_leftover(self.now);
            }
            Event::MetricsSample => unreachable!("handled in the loop"),
            Event::Timeline(i) => self.timeline(i as usize)?,
            Event::NodeFail(node, process) => self.node_fail(node, process),
            Event::NodeRecover(node, epoch, process) => {
                if self.health[node as usize].epoch == epoch && !self.health[node as usize].heartbeat {
                    self.node_recover(node)?;
                    if let Some(k) = process {
                        self.schedule_failure(node, k as usize);
                    }
                }
            }
            Event::NodeGraceExpired(node, epoch) => self.grace_expired(node, epoch)?,
            Event::ZoneTick(z) => self.zone_tick(z as usize)?,
            Event::TaintEviction(p, token) => {
                if self.evictions.get(&p).is_some_and(|(t, _)| *t == token) {
                    self.evictions.remove(&p);
                    self.taint_evict(p)?;
                }
            }
            Event::ControllerSync(owner) => self.controller_sync(owner)?,
            Event::ControllerRetry(owner) => {
                if let Owner::DaemonSet(i) = owner {
                    self.ds_retry_pending[i as usize] = false;
                }
                self.controller_sync(owner)?;
            }
            Event::DaemonSetNode(ds, node) => self.daemon_reconcile(ds as usize, node)?,
            Event::JobPodDone(p) => {
                if self.phase[p as usize] == Phase::Running && !self.cluster.pod(p).terminating {
                    let node = self.cluster.pod_node(p).expect("running pods are bound");
                    if self.health[node as usize].heartbeat {
                        self.end_pod(p, End::Completed, 0)?;
                    } else {
                        // The API cannot learn of it until the kubelet is back.
                        self.done_unreported.entry(node).or_default().push(p);
                    }
                }
            }
            Event::DrainStep(node) => self.drain_step(node)?,
            Event::Runtime(t) => self.runtime_timer(t)?,
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Pods

    fn set_phase(&mut self, p: PodId, to: Phase) {
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

    /// Adds a pod a controller or kubelet creates now, and creates it.
    fn spawn(&mut self, pod: Pod, owner_name: String) -> Result<PodId, SimError> {
        let proc = self.proc_for(&pod);
        let owner = pod.owner;
        let p = self.cluster.add_pod(pod);
        self.rec.add_pod();
        self.rec.pods[p as usize].owner = owner_name;
        self.owner_proc.push(proc);
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
    fn generate(&mut self, k: usize) -> Result<(), SimError> {
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
    fn spawn_from(&mut self, template: &Pod, prefix: &str, owner: Owner) -> Result<PodId, SimError> {
        let suffix = self.next_name();
        let mut pod = template.clone();
        pod.name = format!("{prefix}-{suffix}");
        pod.owner = Some(owner);
        let owner_name = self.owner_object(owner);
        self.spawn(pod, owner_name)
    }

    fn next_name(&mut self) -> String {
        self.names += 1;
        name_suffix(self.names)
    }

    /// Pod `p` arrives at the API server: admission, then the scheduler's queue (or its node at
    /// once, with `spec.nodeName`).
    fn create_pod(&mut self, p: PodId) -> Result<(), SimError> {
        let now = self.now;
        self.rec.pods[p as usize].created_ms = Some(now.0);
        if let Err((reason, msg)) = self.admit(p) {
            self.set_phase(p, Phase::Rejected);
            *self.rec.rejections.entry(reason.to_string()).or_insert(0) += 1;
            let r = &mut self.rec.pods[p as usize];
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
            if !matches!(o, Owner::Node(_)) {
                let obj = self.owner_object(o);
                let msg = format!("Created pod: {}", self.cluster.pod(p).name);
                self.rec.event_on(now, &obj, false, "SuccessfulCreate", msg, owner_source(o));
            }
            if let Owner::ReplicaSet(i) = o {
                self.rs_active[i as usize].insert(p);
            }
            if let Owner::Job(i) = o {
                self.jobs[i as usize].active.push(p);
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
                    self.bind(p, node, None)?;
                    self.rec.pods[p as usize].outcome = PodOutcome::BoundByNodeName;
                }
                None => {
                    // Pod GC deletes pods bound to a node that does not exist.
                    self.set_phase(p, Phase::Failed);
                    self.rec.pods[p as usize].outcome = PodOutcome::NodeNotFound;
                }
            }
            return Ok(());
        }
        self.set_phase(p, Phase::Pending);
        let admission = match self.owner_proc[p as usize] {
            Some(k) => self.procs[k].sched.admit(&self.cluster, p, now),
            None => Admission::NoProfile,
        };
        let r = &mut self.rec.pods[p as usize];
        match admission {
            Admission::Queued => r.outcome = PodOutcome::Pending,
            Admission::Gated(msg) => {
                r.outcome = PodOutcome::Gated;
                r.last_reason = msg;
            }
            Admission::NoProfile => r.outcome = PodOutcome::NoProfile,
        }
        Ok(())
    }

    /// The API server's admission chain for a new pod: Priority (an unknown class refuses the
    /// pod), DefaultTolerationSeconds, LimitRanger, ResourceQuota. Returns (reason, message).
    fn admit(&mut self, p: PodId) -> Result<(), (&'static str, String)> {
        let dy = &self.sc.dynamics;
        let settings = &dy.settings;
        let pod = self.cluster.pod_mut(p);
        if pod.priority_class_name.is_empty() {
            if let Some(name) = dy.priority_classes.global_default_name() {
                pod.priority_class_name = name.to_string();
                pod.priority = dy.priority_classes.resolve("").unwrap_or(0);
            }
        } else {
            match dy
                .priority_classes
                .resolve(&pod.priority_class_name)
                .or_else(|| crate::api::convert::builtin_priority(&pod.priority_class_name))
            {
                Some(v) => pod.priority = v,
                None => {
                    return Err((
                        "PriorityClass",
                        format!(
                            "pods \"{}\" is forbidden: no PriorityClass with name {} was found",
                            pod.name, pod.priority_class_name
                        ),
                    ));
                }
            }
        }
        if !pod.mirror {
            crate::controllers::admission::add_default_tolerations(
                pod,
                settings.not_ready_toleration_s,
                settings.unreachable_toleration_s,
            );
        }
        self.admission.admit(pod).map_err(|r| {
            let reason = match r.reason.as_str() {
                "AlreadyExists" => "AlreadyExists",
                _ if r.message.contains("quota") => "ResourceQuota",
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
    fn kubelet_admit(&mut self, p: PodId, node: NodeId) -> Result<bool, SimError> {
        if kubelet_admits(&self.cluster, node, p) {
            return Ok(true);
        }
        let pod = self.cluster.pod(p);
        if pod.mirror || pod.priority >= 2_000_000_000 {
            let prio = pod.priority;
            let mut victims: Vec<PodId> = self
                .cluster
                .node(node)
                .pods
                .iter()
                .copied()
                .filter(|q| {
                    let o = self.cluster.pod(*q);
                    !o.mirror && o.priority < prio && self.phase[*q as usize] == Phase::Running
                })
                .collect();
            victims.sort_by_key(|q| (self.cluster.pod(*q).priority, std::cmp::Reverse(*q)));
            for v in victims {
                if kubelet_admits(&self.cluster, node, p) {
                    break;
                }
                let key = self.cluster.pod(v).key();
                let msg = format!("Preempted in order to admit critical pod {}", self.cluster.pod(p).key());
                self.rec.event(self.now, &key, true, "Preempting", msg.clone(), "kubelet");
                self.rec.pods[v as usize].last_reason = msg;
                self.end_pod(v, End::Evicted("CriticalPodAdmission"), 0)?;
            }
            if kubelet_admits(&self.cluster, node, p) {
                return Ok(true);
            }
        }
        let reason = kubelet_reason(&self.cluster, node, p);
        let pod = self.cluster.pod(p);
        let msg = format!(
            "Pod was rejected: Node didn't have enough resource: {} (node {})",
            reason.trim_start_matches("OutOf"),
            self.cluster.node(node).node.name
        );
        let key = pod.key();
        self.rec.event(self.now, &key, true, reason, msg.clone(), "kubelet");
        self.rec.kubelet_rejections += 1;
        let r = &mut self.rec.pods[p as usize];
        r.last_reason = msg;
        r.node = Some(node);
        self.end_pod(p, End::KubeletRejected, 0)?;
        Ok(false)
    }

    /// Whether `owner` lost too many pods to kubelet admission to create more (a controller
    /// whose template pins a node that cannot take it would otherwise create pods forever).
    fn runaway(&mut self, owner: Owner) -> bool {
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
    fn bind(&mut self, p: PodId, node: NodeId, gpus: Option<Vec<u8>>) -> Result<(), SimError> {
        let now = self.now;
        self.rec.advance(now);
        self.cluster.bind_gpus(p, node, gpus)?;
        if !self.cluster.pod_gpus(p).is_empty() {
            self.rec.pods[p as usize].gpus = self.cluster.pod_gpus(p).to_vec();
        }
        self.cluster.set_start_time(p, now.0);
        self.rec.totals.add_pod(self.cluster.pod(p), self.cluster.pod_gpus(p).len(), 1);
        self.rec.note_peak();
        self.set_phase(p, Phase::Running);
        let r = &mut self.rec.pods[p as usize];
        r.scheduled_ms = Some(now.0);
        r.node = Some(node);
        if let Some(loss) = self.replaces.remove(&p) {
            self.rec.replacement.saturating_record((now.0 - loss.at_ms).max(0) as u64);
            if let Some(f) = loss.failure {
                self.rec.failures[f].replacements_scheduled += 1;
            }
        }
        self.changed(CacheChange::Bound(p, node));
        if self.kubelet.is_some() {
            let size = self.node_size(node);
            let pod = self.cluster.pod(p);
            let k = self.kubelet.as_mut().expect("checked");
            let timers = k.start_pod(p, pod, node, size, now.0);
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
    fn end_pod(&mut self, p: PodId, how: End, grace_s: i64) -> Result<(), SimError> {
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
        self.set_phase(p, if failed { Phase::Failed } else { Phase::Succeeded });
        self.evictions.remove(&p);
        let pod = self.cluster.pod(p).clone();
        let r = &mut self.rec.pods[p as usize];
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
        if how == End::Preempted {
            *self.rec.evictions.entry("Preemption".to_string()).or_insert(0) += 1;
        }
        if !was_running {
            r.deleted_ms = Some(now.0);
            self.admission.release(&pod);
            if let Some(k) = self.owner_proc[p as usize] {
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
        self.owner_notice(p, &pod, how, was_running)?;
        if !was_running {
            self.cluster.retire_pod(p);
        }
        Ok(())
    }

    /// A deleted pod's grace period is over: quota lets it go; it leaves its node, unless the
    /// node does not heartbeat (then it stays until the node recovers or is deleted).
    fn grace_over(&mut self, p: PodId) -> Result<(), SimError> {
        let pod = self.cluster.pod(p).clone();
        self.admission.release(&pod);
        let Some(node) = self.cluster.pod_node(p) else { return Ok(()) };
        if self.health[node as usize].heartbeat {
            self.leave_node(p)
        } else {
            self.stuck.entry(node).or_default().push(p);
            Ok(())
        }
    }

    /// A deleted pod leaves its node (grace period over, or its node came back or went).
    fn leave_node(&mut self, p: PodId) -> Result<(), SimError> {
        let Some(node) = self.cluster.pod_node(p) else { return Ok(()) };
        self.stop_runtime(p, node);
        self.rec.advance(self.now);
        let devices = self.cluster.pod_gpus(p).len();
        self.cluster.unbind(p);
        self.rec.totals.add_pod(self.cluster.pod(p), devices, -1);
        self.rec.pods[p as usize].deleted_ms = Some(self.now.0);
        self.changed(CacheChange::Unbound(p));
        self.cluster.retire_pod(p);
        Ok(())
    }

    /// A node's size for the kubelet: allocatable cpu, memory capacity (allocatable when the
    /// node reports no capacity).
    fn node_size(&self, node: NodeId) -> NodeSize {
        let n = &self.cluster.node(node).node;
        let memory = if n.capacity.memory > 0 { n.capacity.memory } else { n.allocatable.memory };
        NodeSize { cpu: n.allocatable.milli_cpu, memory }
    }

    fn push_timers(&mut self, timers: Vec<(i64, Timer)>) {
        for (t, timer) in timers {
            self.push(SimTime(t.max(self.now.0)), Event::Runtime(timer));
        }
    }

    /// Stops pod `p`'s containers (it leaves its node or is killed).
    fn stop_runtime(&mut self, p: PodId, node: NodeId) {
        if self.kubelet.is_none() {
            return;
        }
        let size = self.node_size(node);
        let k = self.kubelet.as_mut().expect("checked");
        let timers = k.stop_pod(p, size, self.now.0);
        self.push_timers(timers);
    }

    /// A kubelet timer fires.
    fn runtime_timer(&mut self, t: Timer) -> Result<(), SimError> {
        let now = self.now.0;
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
                            self.rec.pods[p as usize].last_reason = msg;
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
    fn oom_kill(&mut self, p: PodId, c: u32, epoch: Option<u32>, node_level: bool) -> Result<(), SimError> {
        let Some(k) = self.kubelet.as_ref() else { return Ok(()) };
        let Some(node) = k.node_of(p) else { return Ok(()) };
        let size = self.node_size(node);
        let k = self.kubelet.as_mut().expect("checked");
        let Some((outcome, timers)) = k.oom_kill(p, c, epoch, size, self.now.0) else { return Ok(()) };
        self.push_timers(timers);
        let key = self.cluster.pod(p).key();
        let why = if node_level { "the node ran out of memory" } else { "it reached its memory limit" };
        match outcome {
            OomOutcome::Restart(at, timer, name) => {
                if let Some(Owner::Job(j)) = self.cluster.pod(p).owner {
                    // With restartPolicy OnFailure, container restarts count towards the Job's
                    // backoffLimit.
                    self.jobs[j as usize].failed += 1;
                    self.push(self.now, Event::ControllerSync(Owner::Job(j)));
                }
                let msg = format!("Container {name} was OOMKilled (exit code 137): {why}");
                self.rec.event(self.now, &key, true, "OOMKilled", msg, "kubelet");
                let pod_name = self.cluster.pod(p).name.clone();
                let msg = format!("Back-off restarting failed container {name} in pod {pod_name}");
                self.rec.event(self.now, &key, true, "BackOff", msg, "kubelet");
                self.push(SimTime(at), Event::Runtime(timer));
            }
            OomOutcome::PodFailed(name) => {
                let msg =
                    format!("Container {name} was OOMKilled (exit code 137): {why}; restartPolicy Never");
                self.rec.event(self.now, &key, true, "OOMKilled", msg.clone(), "kubelet");
                self.rec.pods[p as usize].last_reason = msg;
                self.end_pod(p, End::OomFailed, 0)?;
            }
        }
        Ok(())
    }

    /// Tells pod `p`'s owner it ended.
    fn owner_notice(&mut self, p: PodId, pod: &Pod, how: End, was_running: bool) -> Result<(), SimError> {
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
                self.rs_active[i as usize].remove(&p);
                if lost {
                    let failure = self.failure_of(p);
                    self.losses.entry(owner).or_default().push_back(Loss { at_ms: self.now.0, failure });
                }
                self.push(self.now.plus_millis(delay), Event::ControllerSync(owner));
            }
            Owner::DaemonSet(i) => {
                let ds = i as usize;
                let node = self.daemonsets.pods[ds].iter().find(|(_, q)| **q == p).map(|(n, _)| *n);
                if let Some(n) = node {
                    self.daemonsets.pods[ds].remove(&n);
                    if matches!(how, End::KubeletRejected | End::Evicted(_) | End::OomFailed) {
                        // A failed daemon pod: the next one for the node waits out a back-off.
                        self.daemonsets.note_failure(ds, n, self.now.0);
                    }
                    if !self.cluster.node(n).removed {
                        self.push(self.now.plus_millis(delay), Event::DaemonSetNode(i, n));
                    }
                }
            }
            Owner::Job(i) => {
                let st = &mut self.jobs[i as usize];
                st.active.retain(|q| *q != p);
                if how == End::Completed {
                    st.succeeded += 1;
                } else if lost || (how == End::Departed && was_running) {
                    st.failed += 1;
                    let backoff = crate::controllers::job::Job::backoff_ms(st.failed);
                    st.not_before_ms = self.now.0 + backoff;
                    let at = SimTime(st.not_before_ms + delay);
                    self.push(at, Event::ControllerSync(owner));
                    if lost {
                        let failure = self.failure_of(p);
                        self.losses.entry(owner).or_default().push_back(Loss { at_ms: self.now.0, failure });
                    }
                }
                self.push(self.now.plus_millis(delay), Event::ControllerSync(owner));
            }
            Owner::Node(_) => {}
        }
        Ok(())
    }

    /// The failure record of the node pod `p` is on, if that node is down.
    fn failure_of(&self, p: PodId) -> Option<usize> {
        let node = self.rec.pods[p as usize].node?;
        let h = &self.health[node as usize];
        if h.heartbeat { None } else { h.failure }
    }

    fn owner_object(&self, o: Owner) -> String {
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

    // ---------------------------------------------------------------------------------------
    // Schedulers

    /// Tells every scheduler process about a change of the true cluster.
    fn changed(&mut self, c: CacheChange) {
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

    fn cache_sync(&mut self, k: usize, c: CacheChange) -> Result<(), SimError> {
        let pr = &mut self.procs[k];
        let cache = pr.cache.as_mut().expect("only processes with a cache get syncs");
        catch_up(cache, &self.cluster);
        match c {
            CacheChange::NodeAdded(i) => {
                cache.add_node(self.node_specs[i as usize].clone())?;
            }
            CacheChange::NodeUpdated(id) => {
                let spec = self.cluster.node(id).node.clone();
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
            }
        }
        if !matches!(c, CacheChange::Bound(..)) {
            pr.sched.on_cluster_change(self.now);
        }
        Ok(())
    }

    fn scheduling_cycle(&mut self, k: usize) -> Result<(), SimError> {
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
        self.rec.pods[p as usize].attempts += 1;
        let has_cache = self.procs[k].cache.is_some();
        match result.outcome {
            Outcome::Scheduled(node) if has_cache && !kubelet_admits(&self.cluster, node, p) => {
                // Another process's binding reached this node first: the kubelet rejects the pod
                // (upstream: OutOfcpu, OutOfmemory, ...) and it fails.
                let reason = kubelet_reason(&self.cluster, node, p);
                let delay = self.procs[k].delay_ms;
                let cache = self.procs[k].cache.as_mut().expect("checked");
                cache.bind(p, node)?;
                self.push(now.plus_millis(delay), Event::CacheSync(k as u32, CacheChange::Unbound(p)));
                let pod = self.cluster.pod(p);
                let msg = format!(
                    "Pod was rejected: Node didn't have enough resource: {} (node {})",
                    reason.trim_start_matches("OutOf"),
                    self.cluster.node(node).node.name
                );
                self.rec.event(now, &pod.key(), true, reason, msg.clone(), "kubelet");
                self.rec.kubelet_rejections += 1;
                let r = &mut self.rec.pods[p as usize];
                r.last_reason = msg;
                r.node = Some(node);
                r.scheduled_ms = None;
                self.end_pod(p, End::KubeletRejected, 0)?;
            }
            Outcome::Scheduled(node) => {
                if let Some(cache) = self.procs[k].cache.as_mut() {
                    cache.bind_gpus(p, node, result.gpus.clone())?; // the scheduler's own assume
                }
                self.procs[k].sched.set_nominated(p, None);
                let created = self.rec.pods[p as usize].created_ms.unwrap_or(now.0);
                self.rec.record_pending((now.0 - created).max(0) as u64);
                self.rec.pods[p as usize].outcome = PodOutcome::Scheduled;
                let pod = self.cluster.pod(p);
                let msg =
                    format!("Successfully assigned {} to {}", pod.key(), self.cluster.node(node).node.name);
                let (key, source) = (pod.key(), pod.scheduler_name.clone());
                self.rec.event(now, &key, false, "Scheduled", msg, &source);
                self.bind(p, node, result.gpus.clone())?;
                check_node(&self.cluster, node, p)?;
            }
            Outcome::Unschedulable(fe) => {
                self.rec.pods[p as usize].last_reason = fe.message.clone();
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
            Outcome::Error(msg) => {
                let r = &mut self.rec.pods[p as usize];
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

    // ---------------------------------------------------------------------------------------
    // Nodes

    fn node_added(&mut self, i: u32) -> Result<(), SimError> {
        self.rec.advance(self.now);
        let id = self.cluster.add_node(self.node_specs[i as usize].clone())?;
        self.rec.totals.add_node(self.cluster.node(id));
        self.rec.note_peak();
        if self.health.len() <= id as usize {
            self.health.resize(id as usize + 1, Health::default());
        }
        self.health[id as usize] = Health { heartbeat: true, ..Default::default() };
        let zone = crate::model::cluster::zone_key(&self.cluster.node(id).node);
        if !self.zone_names.contains(&zone) {
            self.zone_names.push(zone.clone());
        }
        self.lifecycle.add_node(id, zone);
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
    fn schedule_failure(&mut self, id: NodeId, k: usize) {
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
    fn node_changed(&mut self, id: NodeId, labels_changed: bool) -> Result<(), SimError> {
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

    fn node_fail(&mut self, id: NodeId, process: Option<u32>) {
        let info = self.cluster.node(id);
        if info.removed || !self.health[id as usize].heartbeat {
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
        let h = &mut self.health[id as usize];
        h.heartbeat = false;
        h.epoch += 1;
        h.failure = Some(self.rec.failures.len() - 1);
        let epoch = h.epoch;
        let grace = self.settings().node_monitor_grace_ms;
        self.push(self.now.plus_millis(grace), Event::NodeGraceExpired(id, epoch));
        if let Some(k) = process {
            let repair = self.sc.dynamics.failures[k as usize].repair_ms;
            self.push(self.now.plus_millis(repair), Event::NodeRecover(id, epoch, Some(k)));
        }
    }

    fn grace_expired(&mut self, id: NodeId, epoch: u32) -> Result<(), SimError> {
        let h = self.health[id as usize];
        if h.epoch != epoch || h.heartbeat || self.cluster.node(id).removed {
            return Ok(());
        }
        self.health[id as usize].unreachable = true;
        let name = self.cluster.node(id).node.name.clone();
        let msg = format!("Node {name} status is now: NodeNotReady");
        self.rec.event_on(self.now, &format!("Node/{name}"), false, "NodeNotReady", msg, "node-controller");
        set_taint(
            &mut self.cluster.node_spec_mut(id).taints,
            taint(TAINT_UNREACHABLE, TaintEffect::NoSchedule),
        );
        self.node_changed(id, false)?;
        if let Some((zone, at)) = self.lifecycle.mark_not_ready(id, self.now.0) {
            self.push_zone_tick(&zone, at);
        }
        for (zone, at) in self.lifecycle.wake_zones(self.now.0) {
            self.push_zone_tick(&zone, at);
        }
        Ok(())
    }

    fn push_zone_tick(&mut self, zone: &str, at: i64) {
        let z = self.zone_names.iter().position(|x| x == zone).expect("known zone");
        self.push(SimTime(at), Event::ZoneTick(z as u32));
    }

    fn zone_tick(&mut self, z: usize) -> Result<(), SimError> {
        let zone = self.zone_names[z].clone();
        let (node, next) = self.lifecycle.tick(&zone, self.now.0);
        if let Some((zone, at)) = next {
            self.push_zone_tick(&zone, at);
        }
        if let Some(id) = node
            && self.health[id as usize].unreachable
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

    fn node_recover(&mut self, id: NodeId) -> Result<(), SimError> {
        if self.cluster.node(id).removed {
            return Ok(());
        }
        let h = &mut self.health[id as usize];
        h.heartbeat = true;
        h.epoch += 1;
        if let Some(f) = h.failure.take() {
            self.rec.failures[f].recovered_s = Some(self.now.as_secs_f64());
        }
        let was_unreachable = std::mem::take(&mut h.unreachable);
        self.lifecycle.mark_ready(id);
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
            for (zone, at) in self.lifecycle.wake_zones(self.now.0) {
                self.push_zone_tick(&zone, at);
            }
        }
        Ok(())
    }

    /// Deletes node `id`: its remaining pods are lost (pod GC), controllers and schedulers
    /// forget it.
    fn delete_node(&mut self, id: NodeId) -> Result<(), SimError> {
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
        for ds in 0..self.daemonsets.sets.len() {
            self.daemonsets.pods[ds].remove(&id);
            self.daemonsets.backoff[ds].remove(&id);
        }
        for pr in &mut self.procs {
            pr.sched.clear_nominations_to(id);
        }
        self.draining.remove(&id);
        let msg = format!("Removing Node {name} from Controller");
        self.rec.event_on(self.now, &format!("Node/{name}"), false, "RemovingNode", msg, "node-controller");
        self.changed(CacheChange::NodeRemoved(id));
        Ok(())
    }

    fn cordon(&mut self, id: NodeId, on: bool) -> Result<(), SimError> {
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
    fn drain_step(&mut self, id: NodeId) -> Result<(), SimError> {
        if self.cluster.node(id).removed || !self.draining.contains(&id) {
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
                if self.eviction_refused.insert(p) {
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

    fn timeline(&mut self, i: usize) -> Result<(), SimError> {
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
                        let epoch = self.health[id as usize].epoch;
                        self.push(self.now.plus_millis(d.0), Event::NodeRecover(id, epoch, None));
                    }
                }
            }
            Action::Recover(sel) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    if !self.health[id as usize].heartbeat {
                        self.node_recover(id)?;
                    }
                }
            }
            Action::Leave(sel) => {
                for id in sel.resolve(&self.cluster, &mut self.failures_rng) {
                    self.cordon(id, true)?;
                    self.draining.insert(id);
                    self.drain_step(id)?;
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
                let from = self.rs_replicas[rs];
                self.rs_replicas[rs] = replicas;
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

    // ---------------------------------------------------------------------------------------
    // Taint eviction

    fn taint_check_node(&mut self, id: NodeId) -> Result<(), SimError> {
        for p in self.cluster.node(id).pods.clone() {
            self.taint_check_pod(p, id)?;
        }
        Ok(())
    }

    fn taint_check_pod(&mut self, p: PodId, node: NodeId) -> Result<(), SimError> {
        let pod = self.cluster.pod(p);
        // A static pod belongs to its kubelet: deleting the mirror pod would not stop it.
        if pod.terminating || pod.mirror || self.phase[p as usize] != Phase::Running {
            return Ok(());
        }
        match taint_eviction::verdict(&pod.tolerations, &self.cluster.node(node).node.taints) {
            Verdict::Keep => {
                self.evictions.remove(&p);
            }
            Verdict::EvictNow => {
                self.evictions.remove(&p);
                self.taint_evict(p)?;
            }
            Verdict::EvictAfter(ms) => {
                // An eviction already scheduled keeps its start (upstream keeps the existing
                // work item).
                if !self.evictions.contains_key(&p) {
                    self.next_token += 1;
                    let token = self.next_token;
                    self.evictions.insert(p, (token, self.now.0));
                    self.push(self.now.plus_millis(ms), Event::TaintEviction(p, token));
                }
            }
        }
        Ok(())
    }

    fn taint_evict(&mut self, p: PodId) -> Result<(), SimError> {
        let Some(node) = self.cluster.pod_node(p) else { return Ok(()) };
        let pod = self.cluster.pod(p);
        let key = pod.key();
        let grace = pod.termination_grace_period_s;
        let msg = taint_eviction::eviction_message(&key);
        self.rec.event(self.now, &key, false, "TaintManagerEviction", msg, "taint-eviction-controller");
        let h = self.health[node as usize];
        let reason = if h.unreachable { "NodeFailure" } else { "TaintManagerEviction" };
        if let Some(f) = h.failure.filter(|_| !h.heartbeat) {
            self.rec.failures[f].pods_evicted += 1;
        }
        self.end_pod(p, End::Evicted(reason), grace)
    }

    // ---------------------------------------------------------------------------------------
    // Controllers

    fn controller_sync(&mut self, owner: Owner) -> Result<(), SimError> {
        match owner {
            Owner::DaemonSet(i) => {
                let ds = i as usize;
                if !self.daemonsets.active[ds] {
                    self.daemonsets.active[ds] = true;
                }
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

    fn daemon_reconcile(&mut self, ds: usize, id: NodeId) -> Result<(), SimError> {
        if self.cluster.node(id).removed {
            return Ok(());
        }
        let node = &self.cluster.node(id).node;
        let node_name = node.name.clone();
        match self.daemonsets.reconcile(ds, id, node, self.now.0) {
            Decision::Keep => {}
            Decision::Create(at) if at > self.now.0 => {
                self.push(SimTime(at), Event::DaemonSetNode(ds as u32, id));
            }
            Decision::Create(_) => {
                let suffix = self.next_name();
                let set = &self.daemonsets.sets[ds];
                let mut pod = set.pod_for(&node_name, &suffix);
                pod.owner = Some(Owner::DaemonSet(ds as u32));
                let owner = format!("DaemonSet/{}", set.key());
                let p = self.spawn(pod, owner)?;
                if matches!(self.phase[p as usize], Phase::Pending | Phase::Running) {
                    self.daemonsets.pods[ds].insert(id, p);
                    self.ds_retry_ms[ds] = 0;
                } else {
                    // A failed sync: the workqueue retries with backoff (5 ms doubling, at
                    // most 1000 s).
                    if !self.ds_retry_pending[ds] {
                        let wait = if self.ds_retry_ms[ds] == 0 {
                            5
                        } else {
                            (self.ds_retry_ms[ds] * 2).min(1_000_000)
                        };
                        self.ds_retry_ms[ds] = wait;
                        self.ds_retry_pending[ds] = true;
                        self.push(
                            self.now.plus_millis(wait),
                            Event::ControllerRetry(Owner::DaemonSet(ds as u32)),
                        );
                    }
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

    fn replicaset_sync(&mut self, i: usize) -> Result<(), SimError> {
        let rs = &self.sc.dynamics.replicasets[i];
        if self.now < rs.created {
            return Ok(());
        }
        let want = self.rs_replicas[i].max(0) as usize;
        let active: Vec<PodId> = self.rs_active[i].iter().copied().collect();
        if active.len() < want && self.runaway(Owner::ReplicaSet(i as u32)) {
            return Ok(());
        }
        if active.len() < want {
            let mut refused = false;
            let burst = crate::controllers::replicaset::BURST_REPLICAS;
            if want - active.len() > burst {
                // One sync creates at most 500; the controller sees them and syncs again.
                self.push(self.now, Event::ControllerSync(Owner::ReplicaSet(i as u32)));
            }
            for _ in 0..(want - active.len()).min(burst) {
                let rs = &self.sc.dynamics.replicasets[i];
                let p = self.spawn_from(&rs.template, &rs.name, Owner::ReplicaSet(i as u32))?;
                if self.phase[p as usize] == Phase::Rejected {
                    refused = true;
                    break;
                }
            }
            if refused {
                // The workqueue retries with backoff: 5 ms doubling, at most 1000 s.
                let wait =
                    if self.rs_retry_ms[i] == 0 { 5 } else { (self.rs_retry_ms[i] * 2).min(1_000_000) };
                self.rs_retry_ms[i] = wait;
                self.push(self.now.plus_millis(wait), Event::ControllerRetry(Owner::ReplicaSet(i as u32)));
            } else {
                self.rs_retry_ms[i] = 0;
            }
        } else if active.len() > want {
            let created = |p: PodId| self.rec.pods[p as usize].created_ms.unwrap_or(0);
            let kubelet = |p: PodId| match self.kubelet.as_ref() {
                Some(k) => (!k.pod_crash_looping(p), k.pods.get(&p).map_or(0, |pr| pr.restarts)),
                None => (true, 0),
            };
            let victims = crate::controllers::replicaset::scale_down_victims(
                &self.cluster,
                &active,
                created,
                kubelet,
                active.len() - want,
                self.now.0,
            );
            for v in victims {
                let rs = &self.sc.dynamics.replicasets[i];
                let obj = format!("ReplicaSet/{}/{}", rs.namespace, rs.name);
                let msg = format!("Deleted pod: {}", self.cluster.pod(v).name);
                self.rec.event_on(self.now, &obj, false, "SuccessfulDelete", msg, "replicaset-controller");
                let grace = self.cluster.pod(v).termination_grace_period_s;
                self.end_pod(v, End::DeletedByOwner, grace)?;
            }
        }
        Ok(())
    }

    fn job_sync(&mut self, i: usize) -> Result<(), SimError> {
        let job = &self.sc.dynamics.jobs[i];
        if self.now < job.created || self.jobs[i].finished.is_some() {
            return Ok(());
        }
        let obj = format!("Job/{}/{}", job.namespace, job.name);
        if self.jobs[i].succeeded >= job.completions {
            self.jobs[i].finished = Some("Complete");
            self.rec.event_on(self.now, &obj, false, "Completed", "Job completed".into(), "job-controller");
            return Ok(());
        }
        if self.jobs[i].failed > job.backoff_limit {
            self.jobs[i].finished = Some("Failed");
            let msg = "Job has reached the specified backoff limit".to_string();
            self.rec.event_on(self.now, &obj, true, "BackoffLimitExceeded", msg, "job-controller");
            for p in self.jobs[i].active.clone() {
                let grace = self.cluster.pod(p).termination_grace_period_s;
                self.end_pod(p, End::DeletedByOwner, grace)?;
            }
            return Ok(());
        }
        let n = job.wanted(&self.jobs[i], self.now.0);
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
        Ok(())
    }
}

/// Adds to a scheduler's cache the pods created since it was cloned (the informer delivers pod
/// objects at once; only bindings and node changes lag).
fn catch_up(cache: &mut Cluster, cluster: &Cluster) {
    while cache.pods().len() < cluster.pods().len() {
        let next = cache.pods().len() as PodId;
        cache.add_pod(cluster.pod(next).clone());
    }
}

fn owner_source(o: Owner) -> &'static str {
    match o {
        Owner::DaemonSet(_) => "daemonset-controller",
        Owner::ReplicaSet(_) => "replicaset-controller",
        Owner::Job(_) => "job-controller",
        Owner::Node(_) => "kubelet",
    }
}

/// Whether the kubelet of `node` admits pod `p` against the true cluster (resources and pod
/// count: upstream's admission re-runs the resource fit).
fn kubelet_admits(cluster: &Cluster, node: NodeId, p: PodId) -> bool {
    kubelet_shortfall(cluster, node, p).is_none()
}

/// The first resource the node lacks for the pod, in the kubelet's order (pods, cpu, memory,
/// ephemeral-storage, extended resources).
fn kubelet_shortfall(cluster: &Cluster, node: NodeId, p: PodId) -> Option<String> {
    let info = cluster.node(node);
    let (a, used, req) = (&info.node.allocatable, &info.requested, &cluster.pod(p).requests);
    if info.pods.len() as i64 + 1 > a.pods {
        return Some("pods".into());
    }
    let short = req
        .iter_nonzero()
        .find(|(name, r)| used.get(name) + r > a.get(name))
        .map(|(name, _)| name.to_string());
    // The GPU device plugin: the pod's GPUs must fit the node's devices as they are.
    short.or_else(|| {
        crate::model::gpu::pod_gpu(cluster.pod(p))
            .filter(|g| !g.fits(&info.gpu_left))
            .map(|_| crate::model::resources::NVIDIA_GPU.to_string())
    })
}

/// The kubelet's rejection reason: `OutOfcpu`, `OutOfmemory`, `OutOfpods`, ...
fn kubelet_reason(cluster: &Cluster, node: NodeId, p: PodId) -> &'static str {
    match kubelet_shortfall(cluster, node, p).as_deref() {
        Some("cpu") => "OutOfcpu",
        Some("memory") => "OutOfmemory",
        Some("pods") => "OutOfpods",
        Some("ephemeral-storage") => "OutOfephemeral-storage",
        _ => "OutOfextendedresource",
    }
}

/// The scheduler must never over-allocate a node: every pod it binds passed NodeResourcesFit, so
/// no resource the pod requests (nor the pod count) may exceed the node's allocatable.
fn check_node(cluster: &Cluster, node: NodeId, pod: PodId) -> Result<(), SimError> {
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
