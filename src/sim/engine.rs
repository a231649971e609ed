//! The run loop: pops events in (time, sequence) order and dispatches them to the cluster, the
//! scheduler and the recorders. One run owns all its state, so runs can go in parallel.

use std::time::{Duration, Instant};

use super::event::Event;
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
    let mut scheduler = Scheduler::new(sc.scheduler.clone(), stream(seed, Stream::TieBreak), sc.tie_break);
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
    let mut cycle_pending = false;
    let mut flush_pending = false;
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
            Event::NodeAdded(_) | Event::PodCreated(_) | Event::PodDeleted(_) | Event::PodPreempted(_)
        ) {
            external_pending -= 1;
        } else if external_pending == 0 && !scheduler.queue.has_poppable() && sc.horizon.is_none() {
            // No workload event is left and no pod can be tried: nothing can change any more
            // (pods left in the unschedulable pool would only fail again). The run ends at the
            // last event processed.
            if matches!(event, Event::MetricsSample | Event::UnschedulableFlush) {
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
        let mut cluster_changed = false;
        match event {
            Event::NodeAdded(i) => {
                rec.advance(now);
                let id = cluster.add_node(sc.nodes[i as usize].clone())?;
                rec.totals.add_node(cluster.node(id));
                rec.note_peak();
                cluster_changed = true;
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
                        }
                        None => r.outcome = PodOutcome::NodeNotFound,
                    }
                } else {
                    match scheduler.admit(&cluster, p, now.0) {
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
                            cluster_changed = true;
                        }
                    }
                    PodOutcome::Pending | PodOutcome::Gated => {
                        scheduler.queue.remove(p);
                        scheduler.set_nominated(p, None);
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
                    cluster_changed = true;
                    let r = &mut rec.pods[p as usize];
                    r.deleted_ms = Some(now.0);
                    r.outcome = PodOutcome::Preempted;
                }
            }
            Event::SchedulingCycle => {
                cycle_pending = false;
                if let Some((p, result)) = scheduler.schedule_next(&cluster, now.0) {
                    rec.cycles += 1;
                    let r = &mut rec.pods[p as usize];
                    r.attempts += 1;
                    match result.outcome {
                        Outcome::Scheduled(node) => {
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
            Event::UnschedulableFlush => {
                flush_pending = false;
                scheduler.queue.flush_unschedulable_leftover(now.0);
            }
            Event::MetricsSample => {
                rec.sample(now, &cluster, running, pending);
                last_sample = Some(now);
                queue.push(now.plus_millis(sc.sample_interval.0), Event::MetricsSample);
            }
        }
        if cluster_changed {
            scheduler.on_cluster_change(now.0);
        }
        if !cycle_pending && scheduler.queue.has_poppable() {
            queue.push(now, Event::SchedulingCycle);
            cycle_pending = true;
        }
        if !flush_pending && scheduler.queue.num_unschedulable() > 0 {
            // The flush ticks every 30 s from the scheduler's start.
            let period = UNSCHEDULABLE_FLUSH_PERIOD_MS;
            queue.push(SimTime((now.0 / period + 1) * period), Event::UnschedulableFlush);
            flush_pending = true;
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
    Ok(RunResult {
        scenario: sc.name.clone(),
        seed,
        cluster,
        recorder: rec,
        end: now,
        wall: started.elapsed(),
        notes: sc.notes.clone(),
    })
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
