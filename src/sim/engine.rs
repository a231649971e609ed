//! The run loop: pops events in (time, sequence) order and dispatches them to the cluster, the
//! scheduler and the recorders. One run owns all its state, so runs can go in parallel.

use std::time::{Duration, Instant};

use super::event::{CacheChange, Event};
use super::queue::EventQueue;
use super::rng::{Stream, stream};
use super::time::SimTime;
use crate::error::SimError;
use crate::metrics::{Outcome as PodOutcome, Recorder};
use crate::model::{Cluster, PodId};
use crate::scheduler::framework::runner::Outcome;
use crate::scheduler::queue::UNSCHEDULABLE_FLUSH_PERIOD_MS;
use crate::scheduler::{Admission, Scheduler};
use crate::workload::scenario::LoadedScenario;

/// The result of one run: the final cluster (for names), the recorders, and timing.
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// The run's seed.
    pub seed: u64,
    /// Cluster at the end of the run (every pod ever created, every node).
    pub cluster: Cluster,
    /// What was recorded.
    pub recorder: Recorder,
    /// Virtual time of the last event processed.
    pub end: SimTime,
    /// Wall-clock time of the run loop.
    pub wall: Duration,
    /// Notes carried from the scenario.
    pub notes: Vec<String>,
    /// Pods nominated by a preemption and still waiting, with their node, at the end.
    pub nominated: Vec<(PodId, crate::model::NodeId)>,
}

/// Runs `sc` with `seed`.
///
/// # Errors
/// [`SimError::Internal`] when an invariant breaks (a node over-allocated by the scheduler, a pod
/// bound twice): a bug in capsim.
pub fn run(sc: &LoadedScenario, seed: u64) -> Result<RunResult, SimError> {
    let started = Instant::now();
    let mut cluster = Cluster::new();
    for pdb in &sc.pdbs {
        cluster.add_pdb(pdb.clone());
    }
    for a in &sc.arrivals {
        cluster.add_pod(a.pod.clone());
    }
    // One kube-scheduler process, reading the true cluster, unless the scenario runs several:
    // then each has its own cache, fed by the informer after its delay, and can lose a race.
    let mut procs: Vec<Process> = if sc.processes.is_empty() {
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
    // Which process schedules each pod (by schedulerName), if any.
    let owner: Vec<Option<usize>> = sc
        .arrivals
        .iter()
        .map(|a| procs.iter().position(|pr| pr.sched.config.profile(&a.pod.scheduler_name).is_some()))
        .collect();
    let mut rec = Recorder::new(sc.arrivals.len());
    let mut queue = EventQueue::new();
    for i in 0..sc.nodes.len() {
        queue.push(SimTime::ZERO, Event::NodeAdded(i as u32));
    }
    for (i, a) in sc.arrivals.iter().enumerate() {
        queue.push(a.created, Event::PodCreated(i as PodId));
        if let Some(d) = a.deleted {
            queue.push(d, Event::PodDeleted(i as PodId));
        }
    }
    // Workload events still queued; when none is left and no pod can be tried, the run ends.
    let mut external_pending = queue.len();
    queue.push(SimTime::ZERO, Event::MetricsSample);

    let mut now = SimTime::ZERO;
    let mut running = 0usize;
    let mut pending = 0usize;
    let mut last_sample: Option<SimTime> = None;
    while let Some((t, event)) = queue.pop() {
        if sc.horizon.is_some_and(|h| t > h) {
            now = sc.horizon.unwrap_or(t);
            break;
        }
        if matches!(
            event,
            Event::NodeAdded(_)
                | Event::PodCreated(_)
                | Event::PodDeleted(_)
                | Event::PodPreempted(_)
                | Event::CacheSync(..)
        ) {
            external_pending -= 1;
        } else if external_pending == 0
            && !procs.iter().any(|pr| pr.sched.queue.has_poppable())
            && sc.horizon.is_none()
        {
            // No workload event is left and no pod can be tried: nothing can change any more
            // (pods left in the unschedulable pool would only fail again). The run ends at the
            // last event processed.
            if matches!(event, Event::MetricsSample | Event::UnschedulableFlush(_)) {
                break;
            }
        }
        if event == Event::MetricsSample && queue.peek_time() == Some(t) {
            // Sample the state after everything at this instant (arrivals and the scheduling
            // cycles they trigger): go behind the instant's other events.
            queue.push(t, Event::MetricsSample);
            continue;
        }
        now = t;
        rec.events += 1;
        // A change of the true cluster, to be seen by every process (at once, or by each cache
        // after its informer delay).
        let mut change: Option<CacheChange> = None;
        // A process whose cache changed (so its unschedulable pods move).
        let mut cache_changed: Option<usize> = None;
        match event {
            Event::NodeAdded(i) => {
                rec.advance(now);
                let id = cluster.add_node(sc.nodes[i as usize].clone())?;
                rec.totals.add_node(cluster.node(id));
                rec.note_peak();
                change = Some(CacheChange::NodeAdded(i));
            }
            Event::CacheSync(k, c) => {
                let pr = &mut procs[k as usize];
                let cache = pr.cache.as_mut().expect("only processes with a cache get syncs");
                match c {
                    CacheChange::NodeAdded(i) => {
                        cache.add_node(sc.nodes[i as usize].clone())?;
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
                    cache_changed = Some(k as usize);
                }
            }
            Event::PodCreated(p) => {
                let r = &mut rec.pods[p as usize];
                r.created_ms = Some(now.0);
                let pod = cluster.pod(p);
                if let Some(node_name) = pod.node_name.clone() {
                    match cluster.node_id(&node_name) {
                        Some(node) => {
                            rec.advance(now);
                            cluster.bind(p, node)?;
                            cluster.set_start_time(p, now.0);
                            rec.totals.add_pod(cluster.pod(p), 1);
                            rec.note_peak();
                            let r = &mut rec.pods[p as usize];
                            r.outcome = PodOutcome::BoundByNodeName;
                            r.scheduled_ms = Some(now.0);
                            r.node = Some(node);
                            running += 1;
                            change = Some(CacheChange::Bound(p, node));
                        }
                        None => r.outcome = PodOutcome::NodeNotFound,
                    }
                } else {
                    let admission = match owner[p as usize] {
                        Some(k) => procs[k].sched.admit(&cluster, p, now.0),
                        None => Admission::NoProfile,
                    };
                    match admission {
                        Admission::Queued => {
                            r.outcome = PodOutcome::Pending;
                            pending += 1;
                        }
                        Admission::Gated(msg) => {
                            r.outcome = PodOutcome::Gated;
                            r.last_reason = msg;
                            pending += 1;
                        }
                        Admission::NoProfile => r.outcome = PodOutcome::NoProfile,
                    }
                }
            }
            Event::PodDeleted(p) => {
                let r = &mut rec.pods[p as usize];
                if r.created_ms.is_none() {
                    continue;
                }
                if r.deleted_ms.is_some() {
                    continue; // already gone (preempted)
                }
                r.deleted_ms = Some(now.0);
                match r.outcome {
                    PodOutcome::Scheduled | PodOutcome::BoundByNodeName => {
                        rec.advance(now);
                        if cluster.unbind(p).is_some() {
                            rec.totals.add_pod(cluster.pod(p), -1);
                            running -= 1;
                            change = Some(CacheChange::Unbound(p));
                        }
                    }
                    PodOutcome::Pending | PodOutcome::Gated => {
                        if let Some(k) = owner[p as usize] {
                            procs[k].sched.queue.remove(p);
                            procs[k].sched.set_nominated(p, None);
                        }
                        r.outcome = PodOutcome::DeletedWhilePending;
                        pending -= 1;
                    }
                    _ => {}
                }
            }
            Event::PodPreempted(p) => {
                if rec.pods[p as usize].deleted_ms.is_none() && cluster.pod_node(p).is_some() {
                    rec.advance(now);
                    cluster.unbind(p);
                    rec.totals.add_pod(cluster.pod(p), -1);
                    running -= 1;
                    change = Some(CacheChange::Unbound(p));
                    let r = &mut rec.pods[p as usize];
                    r.deleted_ms = Some(now.0);
                    r.outcome = PodOutcome::Preempted;
                }
            }
            Event::SchedulingCycle(k) => {
                let k = k as usize;
                procs[k].cycle_pending = false;
                procs[k].busy_until = now.plus_millis(procs[k].latency_ms);
                let Process { sched: scheduler, cache, .. } = &mut procs[k];
                let view: &Cluster = cache.as_ref().unwrap_or(&cluster);
                if let Some((p, result)) = scheduler.schedule_next(view, now.0) {
                    rec.cycles += 1;
                    let r = &mut rec.pods[p as usize];
                    r.attempts += 1;
                    match result.outcome {
                        Outcome::Scheduled(node) if cache.is_some() && !kubelet_admits(&cluster, node, p) => {
                            // Another process's binding reached this node first: the kubelet
                            // rejects the pod (upstream: OutOfcpu, OutOfmemory, ...) and it fails.
                            let reason = kubelet_reason(&cluster, node, p);
                            let cache = cache.as_mut().expect("checked");
                            cache.bind(p, node)?;
                            queue.push(
                                now.plus_millis(procs[k].delay_ms),
                                Event::CacheSync(k as u32, CacheChange::Unbound(p)),
                            );
                            external_pending += 1;
                            let pod = cluster.pod(p);
                            let msg = format!(
                                "Pod was rejected: Node didn't have enough resource: {} (node {})",
                                reason.trim_start_matches("OutOf"),
                                cluster.node(node).node.name
                            );
                            rec.event(now, &pod.key(), true, reason, msg.clone(), "kubelet");
                            let r = &mut rec.pods[p as usize];
                            r.outcome = PodOutcome::RejectedByKubelet;
                            r.last_reason = msg;
                            r.node = Some(node);
                            pending -= 1;
                            rec.kubelet_rejections += 1;
                        }
                        Outcome::Scheduled(node) => {
                            if let Some(cache) = cache.as_mut() {
                                cache.bind(p, node)?; // the scheduler's own assume
                            }
                            rec.advance(now);
                            cluster.bind(p, node)?;
                            cluster.set_start_time(p, now.0);
                            check_node(&cluster, node, p)?;
                            rec.totals.add_pod(cluster.pod(p), 1);
                            rec.note_peak();
                            let created = rec.pods[p as usize].created_ms.unwrap_or(now.0);
                            rec.record_pending((now.0 - created).max(0) as u64);
                            let r = &mut rec.pods[p as usize];
                            r.outcome = PodOutcome::Scheduled;
                            r.scheduled_ms = Some(now.0);
                            r.node = Some(node);
                            running += 1;
                            pending -= 1;
                            scheduler.set_nominated(p, None);
                            change = Some(CacheChange::Bound(p, node));
                            let pod = cluster.pod(p);
                            let msg = format!(
                                "Successfully assigned {} to {}",
                                pod.key(),
                                cluster.node(node).node.name
                            );
                            let (key, source) = (pod.key(), pod.scheduler_name.clone());
                            rec.event(now, &key, false, "Scheduled", msg, &source);
                        }
                        Outcome::Unschedulable(fe) => {
                            r.last_reason = fe.message.clone();
                            rec.failed_cycles += 1;
                            let key = cluster.pod(p).key();
                            let source = cluster.pod(p).scheduler_name.clone();
                            rec.event(now, &key, true, "FailedScheduling", fe.message, &source);
                            if let Some(pf) = &result.post_filter {
                                if let Some(node) = pf.nominated_node {
                                    scheduler.set_nominated(p, Some(node));
                                    let node_name = cluster.node(node).node.name.clone();
                                    for v in &pf.victims {
                                        if cluster.is_terminating_by_preemption(*v) {
                                            continue;
                                        }
                                        cluster.mark_preempted(*v);
                                        if let Some(cache) = cache.as_mut() {
                                            cache.mark_preempted(*v);
                                        }
                                        rec.preemptions += 1;
                                        let victim = cluster.pod(*v);
                                        let grace = victim.termination_grace_period_s;
                                        let msg = format!("Preempted by pod {key} on node {node_name}");
                                        rec.event(now, &victim.key(), false, "Preempted", msg, &source);
                                        queue.push(now.plus_millis(grace * 1000), Event::PodPreempted(*v));
                                        external_pending += 1;
                                    }
                                } else if pf.clear_nomination {
                                    scheduler.set_nominated(p, None);
                                }
                            }
                            scheduler.requeue_unschedulable(p, now.0);
                        }
                        Outcome::Error(msg) => {
                            r.last_reason = format!("SchedulerError: {msg}");
                            rec.failed_cycles += 1;
                            let key = cluster.pod(p).key();
                            let source = cluster.pod(p).scheduler_name.clone();
                            rec.event(now, &key, true, "FailedScheduling", r_reason(&rec, p), &source);
                            scheduler.requeue_unschedulable(p, now.0);
                        }
                    }
                }
            }
            Event::UnschedulableFlush(k) => {
                let pr = &mut procs[k as usize];
                pr.flush_pending = false;
                pr.sched.queue.flush_unschedulable_leftover(now.0);
            }
            Event::MetricsSample => {
                rec.sample(now, &cluster, running, pending);
                last_sample = Some(now);
                queue.push(now.plus_millis(sc.sample_interval.0), Event::MetricsSample);
            }
        }
        if let Some(c) = change {
            for (k, pr) in procs.iter_mut().enumerate() {
                match pr.cache {
                    // Reads the true cluster: sees the change at once.
                    None => {
                        if !matches!(c, CacheChange::Bound(..)) {
                            pr.sched.on_cluster_change(now.0);
                        }
                    }
                    Some(_) => {
                        queue.push(now.plus_millis(pr.delay_ms), Event::CacheSync(k as u32, c));
                        external_pending += 1;
                    }
                }
            }
        }
        if let Some(k) = cache_changed {
            procs[k].sched.on_cluster_change(now.0);
        }
        for (k, pr) in procs.iter_mut().enumerate() {
            if !pr.cycle_pending && pr.sched.queue.has_poppable() {
                queue.push(now.max(pr.busy_until), Event::SchedulingCycle(k as u32));
                pr.cycle_pending = true;
            }
            if !pr.flush_pending && pr.sched.queue.num_unschedulable() > 0 {
                // The flush ticks every 30 s from the scheduler's start.
                let period = UNSCHEDULABLE_FLUSH_PERIOD_MS;
                queue.push(SimTime((now.0 / period + 1) * period), Event::UnschedulableFlush(k as u32));
                pr.flush_pending = true;
            }
        }
    }
    if let Some(h) = sc.horizon {
        // A horizon is the run's end, even when the workload finished earlier.
        now = h;
    }
    if last_sample != Some(now) {
        rec.sample(now, &cluster, running, pending);
    }
    rec.advance(now);
    let nominated = (0..sc.arrivals.len() as PodId)
        .filter_map(|p| procs.iter().find_map(|pr| pr.sched.nominated(p)).map(|n| (p, n)))
        .collect();
    Ok(RunResult {
        nominated,
        scenario: sc.name.clone(),
        seed,
        cluster,
        recorder: rec,
        end: now,
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

/// Whether the kubelet of `node` admits pod `p` against the true cluster (resources and pod
/// count: upstream's admission re-runs the resource fit).
fn kubelet_admits(cluster: &Cluster, node: crate::model::NodeId, p: PodId) -> bool {
    kubelet_shortfall(cluster, node, p).is_none()
}

/// The first resource the node lacks for the pod, in the kubelet's order (pods, cpu, memory,
/// ephemeral-storage, extended resources).
fn kubelet_shortfall(cluster: &Cluster, node: crate::model::NodeId, p: PodId) -> Option<String> {
    let info = cluster.node(node);
    let (a, used, req) = (&info.node.allocatable, &info.requested, &cluster.pod(p).requests);
    if info.pods.len() as i64 + 1 > a.pods {
        return Some("pods".into());
    }
    req.iter_nonzero().find(|(name, r)| used.get(name) + r > a.get(name)).map(|(name, _)| name.to_string())
}

/// The kubelet's rejection reason: `OutOfcpu`, `OutOfmemory`, `OutOfpods`, ...
fn kubelet_reason(cluster: &Cluster, node: crate::model::NodeId, p: PodId) -> &'static str {
    match kubelet_shortfall(cluster, node, p).as_deref() {
        Some("cpu") => "OutOfcpu",
        Some("memory") => "OutOfmemory",
        Some("pods") => "OutOfpods",
        Some("ephemeral-storage") => "OutOfephemeral-storage",
        _ => "OutOfextendedresource",
    }
}

/// The last unschedulable reason recorded for pod `p`.
fn r_reason(rec: &Recorder, p: PodId) -> String {
    rec.pods[p as usize].last_reason.clone()
}

/// The scheduler must never over-allocate a node: every pod it binds passed NodeResourcesFit, so
/// no resource the pod requests (nor the pod count) may exceed the node's allocatable.
fn check_node(cluster: &Cluster, node: crate::model::NodeId, pod: PodId) -> Result<(), SimError> {
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
