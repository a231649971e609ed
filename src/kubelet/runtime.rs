//! The kubelet's per-pod and per-node state at run time: container usage, CPU accounting
//! (throttled and short CPU, periods), OOM kills and restarts with back-off, and the memory
//! signals of each node. The engine calls it when pods start and stop and when its timers fire,
//! and acts on what it returns (evict a pod, fail a pod, schedule a timer).

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::RuntimeSettings;
use super::cfs::{self, Backlog};
use super::cpu::{CpuShare, share};
use super::memory::{self, EvictionCandidate, crossing_ms, oom_badness, oom_score_adj, restart_backoff_ms};
use super::usage::{Base, UsageRule, base_amount, diurnal_factor};
use crate::model::pod::{QosClass, qos_class};
use crate::model::resources::{DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST};
use crate::model::{NodeId, Pod, PodId};
use crate::time::SimTime;

/// A timer the kubelet asks the engine to fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Re-draw a pod's usage (if the pod's epoch is still current).
    UsageChange(PodId, u32),
    /// A container's memory reaches its limit (if the pod's epoch is still current).
    OomKill(PodId, u32, u32),
    /// A burst of CPU work arrives or a container's waiting CPU work has run (if the pod's CPU
    /// epoch is still current).
    CpuWork(PodId, u32),
    /// A container's restart back-off is over (if its restart epoch is still current).
    ContainerStart(PodId, u32, u32),
    /// The eviction manager looks at a node.
    PressureCheck(NodeId),
    /// A node's memory reaches its capacity (if the node's epoch is still current).
    NodeOom(NodeId, u32),
}

/// One container at run time.
#[derive(Clone, Debug, Default)]
struct Container {
    name: String,
    cpu_request: i64,
    cpu_limit: i64,
    mem_request: i64,
    mem_limit: i64,
    running: bool,
    /// CPU demand, millicores.
    cpu_demand: f64,
    /// CPU work waiting for CFS quota.
    backlog: Backlog,
    /// Memory at `mem_since`, bytes; grows by `mem_rate` bytes per ms.
    mem_base: f64,
    mem_rate: f64,
    mem_since: i64,
    /// The memory ratio drawn at the last change (kept across the leak).
    started_ms: i64,
    restarts: u32,
    restart_epoch: u32,
    share: CpuShare,
}

impl Container {
    fn memory_at(&self, t: i64) -> f64 {
        if self.running { self.mem_base + self.mem_rate * (t - self.mem_since) as f64 } else { 0.0 }
    }
}

/// A running pod's runtime state and its counters.
#[derive(Clone, Debug, Default)]
pub struct PodRuntime {
    node: NodeId,
    rule: usize,
    qos: Option<QosClass>,
    /// Critical (static, or priority ≥ 2e9): never chosen by the eviction manager.
    critical: bool,
    /// Critical and of class `system-node-critical`: oom_score_adj −997.
    node_critical: bool,
    /// The pod's own usage stream (seeded by the run's seed and the pod's name), so a pod's usage
    /// does not depend on when other pods drew theirs: profiles compared on one seed see the
    /// same usage (common random numbers).
    rng: Option<ChaCha8Rng>,
    restart_always: bool,
    restart_on_failure: bool,
    containers: Vec<Container>,
    epoch: u32,
    /// Epoch of the pod's CPU-work timer (a timer of another epoch is stale).
    cpu_epoch: u32,
    /// When the next burst of CPU work is due, ms (rules with `workBursts`).
    next_burst_ms: Option<i64>,
    /// OOM kills (kernel, at the container's limit or the node's capacity).
    pub oom_kills: u32,
    /// Container restarts.
    pub restarts: u32,
    /// CPU work CFS quota deferred to later periods, millicore·ms (steady demand above the limit,
    /// [`cfs::Accrued::throttled_mms`], and bursts' deferred work, [`Backlog::add_burst`]).
    pub throttled_cpu_mms: f64,
    /// CPU the node could not serve (contention), millicore·ms.
    pub shortfall_cpu_mms: f64,
    /// CFS periods that ended with work waiting for quota (`nr_throttled`), over containers.
    pub throttled_periods: u64,
    /// CFS periods of containers with a limit (`nr_periods`).
    pub periods: u64,
}

impl PodRuntime {
    /// Throttled CPU, CPU-seconds.
    pub fn throttled_cpu_s(&self) -> f64 {
        self.throttled_cpu_mms / 1e6
    }
    /// The pod's QoS class, recorded when it started.
    pub fn qos(&self) -> Option<QosClass> {
        self.qos
    }
    /// CPU short because the node was full, CPU-seconds.
    pub fn shortfall_cpu_s(&self) -> f64 {
        self.shortfall_cpu_mms / 1e6
    }
    /// Fraction of CFS periods throttled (0 without a limit).
    pub fn throttled_fraction(&self) -> f64 {
        if self.periods > 0 { self.throttled_periods as f64 / self.periods as f64 } else { 0.0 }
    }
}

/// A node's runtime state.
#[derive(Clone, Debug, Default)]
struct NodeState {
    pods: Vec<PodId>,
    last_ms: i64,
    epoch: u32,
    /// When the eviction manager's next look is due (a look at another time is stale).
    check_at: Option<i64>,
    /// When it last looked (the next look is at least one interval later).
    last_look_ms: Option<i64>,
    /// MemoryPressure is True.
    pub pressure: bool,
    /// Last time the signal was over the threshold, ms.
    last_over_ms: i64,
}

/// What the eviction manager decided at a check.
#[derive(Clone, Debug, PartialEq)]
pub enum PressureAction {
    /// Nothing.
    None,
    /// The node is (still) under pressure: set the condition and evict this pod (if any) with
    /// this message.
    Evict(Option<PodId>, String),
    /// The pressure is over for the transition period: clear the condition.
    Clear,
}

/// What happened to a container that reached its memory limit.
#[derive(Clone, Debug, PartialEq)]
pub enum OomOutcome {
    /// It restarts at this time (`restartPolicy` Always or OnFailure).
    Restart(SimTime, Timer, String),
    /// The pod fails (`restartPolicy: Never`).
    PodFailed(String),
}

/// The kubelets of the cluster.
#[derive(Clone, Debug, Default)]
pub struct Kubelet {
    settings: RuntimeSettings,
    /// The run's seed (each pod's usage stream derives from it and the pod's name).
    seed: u64,
    /// Runtime state per pod (running pods, and finished ones for their counters).
    pub pods: BTreeMap<PodId, PodRuntime>,
    nodes: BTreeMap<NodeId, NodeState>,
}

/// A node's cpu allocatable (millicores) and memory capacity (bytes).
#[derive(Clone, Copy, Debug)]
pub struct NodeSize {
    /// Allocatable cpu, millicores.
    pub cpu: i64,
    /// Memory capacity, bytes.
    pub memory: i64,
}

impl Kubelet {
    /// The kubelets for `settings`.
    pub fn new(settings: RuntimeSettings, seed: u64) -> Self {
        Kubelet { settings, seed, ..Default::default() }
    }

    /// Rule `i` for a pod of class `qos`, the class's default filling what the rule omits.
    fn rule(&self, i: usize, qos: QosClass) -> UsageRule {
        let d = UsageRule::default_for(qos);
        match self.settings.rules.get(i) {
            None => d,
            Some(r) => {
                let mut r = r.clone();
                if !r.cpu_given {
                    r.cpu = d.cpu;
                }
                if !r.memory_given {
                    r.memory = d.memory;
                }
                r
            }
        }
    }

    /// Integrates a node's CPU counters up to `now`.
    fn advance(&mut self, node: NodeId, now: SimTime) {
        let Some(ns) = self.nodes.get_mut(&node) else { return };
        let from = ns.last_ms;
        ns.last_ms = now.as_millis();
        let dt = (now.as_millis() - from) as f64;
        if dt <= 0.0 {
            return;
        }
        for p in &ns.pods {
            let pr = self.pods.get_mut(p).expect("pods on a node have state");
            for c in pr.containers.iter_mut().filter(|c| c.running) {
                let (phase, to) = (c.started_ms as f64, now.as_millis() as f64);
                let a = cfs::advance(&mut c.backlog, c.cpu_demand, c.cpu_limit, phase, from as f64, to);
                pr.throttled_cpu_mms += a.throttled_mms;
                pr.throttled_periods += a.throttled_periods;
                pr.periods += a.periods;
                pr.shortfall_cpu_mms += c.share.shortfall() * dt;
            }
        }
    }

    /// Shares out the node's CPU anew and returns the memory timers of the node.
    fn recompute(&mut self, node: NodeId, size: NodeSize, now: SimTime) -> Vec<(SimTime, Timer)> {
        let Some(ns) = self.nodes.get_mut(&node) else { return Vec::new() };
        ns.epoch += 1;
        let mut flat: Vec<(PodId, usize, (f64, i64, i64))> = Vec::new();
        for p in &ns.pods {
            for (i, c) in self.pods[p].containers.iter().enumerate() {
                if c.running {
                    let offered = cfs::offered(c.cpu_demand, c.cpu_limit, &c.backlog);
                    flat.push((*p, i, (offered, c.cpu_request, c.cpu_limit)));
                }
            }
        }
        let shares = share(size.cpu as f64, &flat.iter().map(|x| x.2).collect::<Vec<_>>());
        for ((p, i, _), s) in flat.iter().zip(shares) {
            self.pods.get_mut(p).expect("state").containers[*i].share = s;
        }
        self.memory_timers(node, size, now)
    }

    /// Node memory at `t` and its growth per ms.
    fn node_memory(&self, node: NodeId, t: SimTime) -> (f64, f64) {
        let ns = &self.nodes[&node];
        let mut total = 0.0;
        let mut rate = 0.0;
        for p in &ns.pods {
            for c in self.pods[p].containers.iter().filter(|c| c.running) {
                total += c.memory_at(t.as_millis());
                rate += c.mem_rate;
            }
        }
        (total, rate)
    }

    fn memory_timers(&mut self, node: NodeId, size: NodeSize, now: SimTime) -> Vec<(SimTime, Timer)> {
        let (total, rate) = self.node_memory(node, now);
        let threshold = self.settings.eviction_threshold.bytes(size.memory) as f64;
        let mut out = Vec::new();
        let epoch = self.nodes[&node].epoch;
        let now_ms = now.as_millis();
        if let Some(t) = crossing_ms(now_ms, total, rate, size.memory as f64) {
            out.push((SimTime(t), Timer::NodeOom(node, epoch)));
        }
        let ns = self.nodes.get_mut(&node).expect("node");
        let over_at = crossing_ms(now_ms, total, rate, size.memory as f64 - threshold);
        if over_at.is_some() || ns.pressure {
            // The eviction manager looks on its next tick after the signal crosses (or keeps
            // looking while the condition is set).
            let iv = self.settings.eviction_interval_ms;
            let from = over_at.unwrap_or(now_ms).max(now_ms);
            let mut tick = ((from + iv - 1) / iv * iv).max(now_ms);
            if let Some(last) = ns.last_look_ms {
                tick = tick.max(last + iv);
            }
            if ns.check_at.is_none_or(|t| tick < t) {
                ns.check_at = Some(tick);
                out.push((SimTime(tick), Timer::PressureCheck(node)));
            }
        }
        out
    }

    /// Draws a container's usage now (fresh memory when `fresh`, else the leak continues).
    fn draw(c: &mut Container, rule: &UsageRule, now: SimTime, fresh: bool, rng: &mut ChaCha8Rng) {
        let cpu_base =
            base_amount(rule.cpu.base, c.cpu_request, c.cpu_limit, DEFAULT_MILLI_CPU_REQUEST) as f64;
        let mut cpu = cpu_base * rule.cpu.dist.sample(rng) * diurnal_factor(rule.diurnal, now);
        if let Some(b) = rule.bursts {
            let u: f64 = rand::RngExt::random::<f64>(rng);
            if u < b.probability {
                cpu *= b.factor;
            }
        }
        c.cpu_demand = cpu + rule.cpu.growth_per_hour * (now.as_millis() - c.started_ms) as f64 / 3_600_000.0;
        let mem_base =
            base_amount(rule.memory.base, c.mem_request, c.mem_limit, DEFAULT_MEMORY_REQUEST) as f64;
        let ratio = rule.memory.dist.sample(rng);
        let grown = if fresh {
            0.0
        } else {
            rule.memory.growth_per_hour * (now.as_millis() - c.started_ms) as f64 / 3_600_000.0
        };
        c.mem_base = mem_base * ratio + grown;
        c.mem_rate = rule.memory.growth_per_hour / 3_600_000.0;
        c.mem_since = now.as_millis();
    }

    fn oom_timers(&self, p: PodId, now: SimTime) -> Vec<(SimTime, Timer)> {
        let pr = &self.pods[&p];
        pr.containers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.running && c.mem_limit > 0)
            .filter_map(|(i, c)| {
                let now_ms = now.as_millis();
                crossing_ms(now_ms, c.memory_at(now_ms), c.mem_rate, c.mem_limit as f64)
                    .map(|t| (SimTime(t), Timer::OomKill(p, i as u32, pr.epoch)))
            })
            .collect()
    }

    /// Pod `p`'s next CPU-work event (a burst due, or a container's waiting work run), under a
    /// fresh CPU epoch; at least 1 ms ahead so that the event always advances time.
    fn cpu_timer(&mut self, p: PodId, now: SimTime) -> Option<(SimTime, Timer)> {
        let pr = self.pods.get_mut(&p).expect("state");
        pr.cpu_epoch += 1;
        let now_ms = now.as_millis() as f64;
        let drained = pr
            .containers
            .iter()
            .filter(|c| c.running)
            .filter_map(|c| cfs::drain_ms(c.cpu_demand, c.cpu_limit, &c.backlog, now_ms))
            .map(|d| now_ms + d)
            .fold(f64::INFINITY, f64::min);
        let next = pr.next_burst_ms.map_or(drained, |t| drained.min(t as f64));
        next.is_finite().then(|| {
            let at = (next.ceil() as i64).max(now.as_millis() + 1);
            (SimTime(at), Timer::CpuWork(p, pr.cpu_epoch))
        })
    }

    /// After pod `p`'s usage changed: the node shared out anew, its containers' OOM times, its
    /// next CPU-work event and its next usage change.
    fn redrawn(&mut self, p: PodId, node: NodeId, size: NodeSize, now: SimTime) -> Vec<(SimTime, Timer)> {
        let mut out = self.recompute(node, size, now);
        out.extend(self.oom_timers(p, now));
        out.extend(self.cpu_timer(p, now));
        out.push((
            SimTime(now.as_millis() + self.settings.change_interval_ms),
            Timer::UsageChange(p, self.pods[&p].epoch),
        ));
        out
    }

    /// Pod `p` starts running on `node` at `now`: draws its containers' usage. Returns timers.
    pub fn start_pod(
        &mut self,
        p: PodId,
        pod: &Pod,
        node: NodeId,
        size: NodeSize,
        now: SimTime,
    ) -> Vec<(SimTime, Timer)> {
        self.advance(node, now);
        let qos = qos_class(pod);
        let rule = self.settings.rules.iter().position(|r| r.applies(pod)).unwrap_or(usize::MAX);
        let r = self.rule(rule, qos);
        let mut containers: Vec<Container> = pod
            .containers
            .iter()
            .map(|c| Container {
                name: c.name.clone(),
                cpu_request: c.requests.milli_cpu,
                cpu_limit: c.limits.milli_cpu,
                mem_request: c.requests.memory,
                mem_limit: c.limits.memory,
                running: true,
                started_ms: now.as_millis(),
                ..Default::default()
            })
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ crate::hash::fnv1a(&pod.key()));
        rng.set_stream(crate::rng::Stream::Usage as u64);
        for c in &mut containers {
            Self::draw(c, &r, now, true, &mut rng);
        }
        self.pods.insert(
            p,
            PodRuntime {
                node,
                rule,
                qos: Some(qos),
                critical: pod.mirror || pod.priority >= 2_000_000_000,
                node_critical: (pod.mirror || pod.priority >= 2_000_000_000)
                    && pod.priority_class_name == "system-node-critical",
                rng: Some(rng),
                restart_always: pod.restart_policy == crate::model::pod::RestartPolicy::Always,
                restart_on_failure: pod.restart_policy != crate::model::pod::RestartPolicy::Never,
                containers,
                next_burst_ms: r.work_bursts.map(|w| now.as_millis() + w.every_ms),
                ..Default::default()
            },
        );
        let ns = self
            .nodes
            .entry(node)
            .or_insert_with(|| NodeState { last_ms: now.as_millis(), ..Default::default() });
        ns.pods.push(p);
        self.redrawn(p, node, size, now)
    }

    /// Pod `p` stops (leaves its node). Its counters stay.
    pub fn stop_pod(&mut self, p: PodId, size: NodeSize, now: SimTime) -> Vec<(SimTime, Timer)> {
        let Some(pr) = self.pods.get(&p) else { return Vec::new() };
        let node = pr.node;
        if !self.nodes.get(&node).is_some_and(|n| n.pods.contains(&p)) {
            return Vec::new();
        }
        self.advance(node, now);
        let pr = self.pods.get_mut(&p).expect("state");
        pr.epoch += 1;
        for c in &mut pr.containers {
            c.running = false;
            c.share = CpuShare::default();
        }
        self.nodes.get_mut(&node).expect("node").pods.retain(|x| *x != p);
        self.recompute(node, size, now)
    }

    /// The node a running pod is on.
    pub fn node_of(&self, p: PodId) -> Option<NodeId> {
        let pr = self.pods.get(&p)?;
        self.nodes.get(&pr.node).filter(|n| n.pods.contains(&p)).map(|_| pr.node)
    }

    /// Re-draws pod `p`'s usage if `epoch` is current. Returns timers.
    pub fn usage_change(
        &mut self,
        p: PodId,
        epoch: u32,
        size: NodeSize,
        now: SimTime,
    ) -> Vec<(SimTime, Timer)> {
        let Some(node) = self.node_of(p) else { return Vec::new() };
        if self.pods[&p].epoch != epoch {
            return Vec::new();
        }
        self.advance(node, now);
        let pr = &self.pods[&p];
        let r = self.rule(pr.rule, pr.qos.unwrap_or(QosClass::Burstable));
        let pr = self.pods.get_mut(&p).expect("state");
        pr.epoch += 1;
        let rng = pr.rng.as_mut().expect("started pods have a stream");
        for c in pr.containers.iter_mut().filter(|c| c.running) {
            Self::draw(c, &r, now, false, rng);
        }
        self.redrawn(p, node, size, now)
    }

    /// Pod `p`'s CPU-work timer (if `cpu_epoch` is current): bursts now due arrive in its running
    /// containers, the node is shared out anew (a container whose waiting work has run offers
    /// less), and the next CPU-work timer is set. Returns timers.
    pub fn cpu_work(
        &mut self,
        p: PodId,
        cpu_epoch: u32,
        size: NodeSize,
        now: SimTime,
    ) -> Vec<(SimTime, Timer)> {
        let Some(node) = self.node_of(p) else { return Vec::new() };
        if self.pods[&p].cpu_epoch != cpu_epoch {
            return Vec::new();
        }
        self.advance(node, now);
        let pr = &self.pods[&p];
        let bursts = self.rule(pr.rule, pr.qos.unwrap_or(QosClass::Burstable)).work_bursts;
        let pr = self.pods.get_mut(&p).expect("state");
        let now_ms = now.as_millis();
        if let Some(w) = bursts {
            while let Some(due) = pr.next_burst_ms.filter(|t| *t <= now_ms) {
                pr.next_burst_ms = Some(due + w.every_ms);
                let rng = pr.rng.as_mut().expect("started pods have a stream");
                if w.probability < 1.0 && rand::RngExt::random::<f64>(rng) >= w.probability {
                    continue;
                }
                for c in pr.containers.iter_mut().filter(|c| c.running) {
                    let (work, width) = (w.cpu_time_ms * 1000.0, f64::from(w.threads) * 1000.0);
                    let phase = c.started_ms as f64;
                    pr.throttled_cpu_mms +=
                        c.backlog.add_burst(work, width, c.cpu_demand, c.cpu_limit, phase, now_ms as f64);
                }
            }
        }
        let mut out = self.recompute(node, size, now);
        out.extend(self.cpu_timer(p, now));
        out
    }

    /// Container `c` of pod `p` is OOM-killed at `now` (if `epoch` is current, or `epoch` is
    /// `None` for the kernel's node-level kill).
    pub fn oom_kill(
        &mut self,
        p: PodId,
        c: u32,
        epoch: Option<u32>,
        size: NodeSize,
        now: SimTime,
    ) -> Option<(OomOutcome, Vec<(SimTime, Timer)>)> {
        let node = self.node_of(p)?;
        let pr = &self.pods[&p];
        if epoch.is_some_and(|e| e != pr.epoch) || !pr.containers[c as usize].running {
            return None;
        }
        self.advance(node, now);
        let pr = self.pods.get_mut(&p).expect("state");
        pr.oom_kills += 1;
        pr.epoch += 1;
        let cont = &mut pr.containers[c as usize];
        cont.running = false;
        cont.share = CpuShare::default();
        cont.backlog = Backlog::default();
        let name = cont.name.clone();
        let ran = now.as_millis() - cont.started_ms;
        let mut timers = self.recompute(node, size, now);
        let pr = self.pods.get_mut(&p).expect("state");
        if !(pr.restart_always || pr.restart_on_failure) {
            return Some((OomOutcome::PodFailed(name), timers));
        }
        let cont = &mut pr.containers[c as usize];
        // Upstream's `flowcontrol.Backoff` forgets the entry (`hasExpired`, and `GC`) when the
        // crash comes more than 2 × 300 s after the entry's last update, which `doBackOff`'s
        // `Next` makes when it restarts the container: when the container ran more than 600 s.
        if ran > memory::BACKOFF_RESET_MS {
            cont.restarts = 0;
        }
        cont.restarts += 1;
        cont.restart_epoch += 1;
        let at = SimTime(now.as_millis() + restart_backoff_ms(cont.restarts));
        let timer = Timer::ContainerStart(p, c, cont.restart_epoch);
        // Other containers' OOM timers were tied to the old epoch.
        timers.extend(self.oom_timers(p, now));
        timers.push((
            SimTime(now.as_millis() + self.settings.change_interval_ms),
            Timer::UsageChange(p, self.pods[&p].epoch),
        ));
        Some((OomOutcome::Restart(at, timer, name), timers))
    }

    /// A container's back-off is over: it runs again with fresh usage.
    pub fn container_start(
        &mut self,
        p: PodId,
        c: u32,
        restart_epoch: u32,
        size: NodeSize,
        now: SimTime,
    ) -> Vec<(SimTime, Timer)> {
        let Some(node) = self.node_of(p) else { return Vec::new() };
        if self.pods[&p].containers[c as usize].restart_epoch != restart_epoch {
            return Vec::new();
        }
        self.advance(node, now);
        let pr = &self.pods[&p];
        let r = self.rule(pr.rule, pr.qos.unwrap_or(QosClass::Burstable));
        let pr = self.pods.get_mut(&p).expect("state");
        pr.epoch += 1;
        // A restart counts when the container starts again (upstream's restartCount).
        pr.restarts += 1;
        let rng = pr.rng.as_mut().expect("started pods have a stream");
        let cont = &mut pr.containers[c as usize];
        cont.running = true;
        cont.started_ms = now.as_millis();
        Self::draw(cont, &r, now, true, rng);
        self.redrawn(p, node, size, now)
    }

    /// Whether running pod `p` has a container waiting in back-off (CrashLoopBackOff).
    pub fn pod_crash_looping(&self, p: PodId) -> bool {
        self.node_of(p).is_some() && self.pods[&p].containers.iter().any(|c| !c.running)
    }

    /// Running pods with a container waiting in back-off (CrashLoopBackOff).
    pub fn crash_looping(&self) -> usize {
        self.nodes
            .values()
            .flat_map(|n| n.pods.iter())
            .filter(|p| self.pods[p].containers.iter().any(|c| !c.running))
            .count()
    }

    /// The node's memory reached its capacity (if `epoch` is current): the kernel kills the
    /// container with the highest badness. Returns (pod, container).
    pub fn node_oom_victim(
        &self,
        node: NodeId,
        epoch: u32,
        size: NodeSize,
        now: SimTime,
    ) -> Option<(PodId, u32)> {
        let ns = self.nodes.get(&node)?;
        if ns.epoch != epoch {
            return None;
        }
        let mut best: Option<(i64, PodId, u32)> = None;
        for p in &ns.pods {
            let pr = &self.pods[p];
            for (i, c) in pr.containers.iter().enumerate().filter(|(_, c)| c.running) {
                let qos = pr.qos.unwrap_or(QosClass::Burstable);
                let adj = oom_score_adj(qos, c.mem_request, size.memory, pr.node_critical);
                let badness = oom_badness(c.memory_at(now.as_millis()) as i64, size.memory, adj);
                if best.is_none_or(|(b, bp, bi)| badness > b || (badness == b && (*p, i as u32) < (bp, bi))) {
                    best = Some((badness, *p, i as u32));
                }
            }
        }
        best.map(|(_, p, c)| (p, c))
    }

    /// The eviction manager's look at `node` at `now`: the memory signal against the
    /// threshold; under pressure, the pod to evict in upstream's order (never a critical pod).
    pub fn pressure_check(
        &mut self,
        node: NodeId,
        size: NodeSize,
        priority: impl Fn(PodId) -> i32,
        now: SimTime,
    ) -> (PressureAction, Vec<(SimTime, Timer)>) {
        let Some(ns) = self.nodes.get_mut(&node) else { return (PressureAction::None, Vec::new()) };
        if ns.check_at != Some(now.as_millis()) {
            return (PressureAction::None, Vec::new()); // superseded by an earlier look
        }
        ns.check_at = None;
        ns.last_look_ms = Some(now.as_millis());
        let (total, _) = self.node_memory(node, now);
        let threshold = self.settings.eviction_threshold.bytes(size.memory);
        let available = size.memory - total as i64;
        let ns = self.nodes.get_mut(&node).expect("node");
        let mut timers = Vec::new();
        let action = if available < threshold {
            ns.pressure = true;
            ns.last_over_ms = now.as_millis();
            let mut cands: Vec<EvictionCandidate> = ns
                .pods
                .iter()
                .filter(|p| !self.pods[p].critical)
                .map(|p| {
                    let pr = &self.pods[p];
                    EvictionCandidate {
                        pod: *p,
                        usage: pr.containers.iter().map(|c| c.memory_at(now.as_millis()) as i64).sum(),
                        request: pr.containers.iter().map(|c| c.mem_request).sum(),
                        priority: priority(*p),
                    }
                })
                .collect();
            cands.sort_by(memory::eviction_order);
            let msg = format!(
                "The node was low on resource: memory. Threshold quantity: {}, available: {}Ki. ",
                crate::api::quantity::format_quantity("memory", threshold),
                available.max(0) / 1024
            );
            PressureAction::Evict(cands.first().map(|c| c.pod), msg)
        } else if ns.pressure && now.as_millis() - ns.last_over_ms >= self.settings.pressure_transition_ms {
            ns.pressure = false;
            PressureAction::Clear
        } else {
            PressureAction::None
        };
        let ns = self.nodes.get_mut(&node).expect("node");
        if ns.pressure && ns.check_at.is_none() {
            let at = now.as_millis() + self.settings.eviction_interval_ms;
            ns.check_at = Some(at);
            timers.push((SimTime(at), Timer::PressureCheck(node)));
        }
        if !self.nodes[&node].pressure {
            // Watch for the next crossing (growing memory).
            timers.extend(
                self.memory_timers(node, size, now)
                    .into_iter()
                    .filter(|(_, t)| matches!(t, Timer::PressureCheck(_))),
            );
        }
        (action, timers)
    }

    /// Node memory and CPU in use now: (Σ memory bytes, Σ cpu millicores granted).
    pub fn usage_totals(&self, now: SimTime) -> (f64, f64) {
        let mut mem = 0.0;
        let mut cpu = 0.0;
        for ns in self.nodes.values() {
            for p in &ns.pods {
                for c in self.pods[p].containers.iter().filter(|c| c.running) {
                    mem += c.memory_at(now.as_millis());
                    cpu += c.share.got;
                }
            }
        }
        (mem, cpu)
    }

    /// The counters of the pods this kubelet holds, summed by QoS class, as of `now`:
    /// `(OOM kills, restarts, throttled CPU-seconds)`. CFS throttling since a node's last update
    /// is worked out on copies of its containers' backlogs, so nothing changes (a metrics
    /// sample must not change the run). Pods without a QoS class are left out.
    pub fn counters_by_qos(&self, now: SimTime) -> BTreeMap<QosClass, (u64, u64, f64)> {
        let mut out: BTreeMap<QosClass, (u64, u64, f64)> = BTreeMap::new();
        for pr in self.pods.values() {
            let Some(q) = pr.qos else { continue };
            let e = out.entry(q).or_default();
            e.0 += u64::from(pr.oom_kills);
            e.1 += u64::from(pr.restarts);
            e.2 += pr.throttled_cpu_mms;
        }
        let to = now.as_millis() as f64;
        for ns in self.nodes.values() {
            for p in &ns.pods {
                let pr = &self.pods[p];
                let Some(q) = pr.qos else { continue };
                let mut since = 0.0;
                for c in pr.containers.iter().filter(|c| c.running) {
                    let mut b = c.backlog;
                    let phase = c.started_ms as f64;
                    since += cfs::advance(&mut b, c.cpu_demand, c.cpu_limit, phase, ns.last_ms as f64, to)
                        .throttled_mms;
                }
                out.entry(q).or_default().2 += since;
            }
        }
        for v in out.values_mut() {
            v.2 /= 1e6;
        }
        out
    }

    /// Brings every node's counters up to `now` (at the end of a run).
    pub fn finish(&mut self, now: SimTime) {
        let nodes: Vec<NodeId> = self.nodes.keys().copied().collect();
        for n in nodes {
            self.advance(n, now);
        }
    }

    /// Whether the node's MemoryPressure condition is set.
    pub fn under_pressure(&self, node: NodeId) -> bool {
        self.nodes.get(&node).is_some_and(|n| n.pressure)
    }

    /// Forgets a pod that stopped for good, returning its state (its final counters); its
    /// timers still queued find it gone. `None` for a pod still on a node or never started.
    pub fn forget(&mut self, p: PodId) -> Option<PodRuntime> {
        if self.node_of(p).is_some() {
            return None;
        }
        self.pods.remove(&p)
    }

    /// The QoS class recorded for pod `p`.
    pub fn qos(&self, p: PodId) -> Option<QosClass> {
        self.pods.get(&p).and_then(|pr| pr.qos)
    }
}

/// The kind of base a rule uses, for docs.
pub fn base_name(b: Base) -> &'static str {
    match b {
        Base::Request => "request",
        Base::Limit => "limit",
    }
}
