//! The structured scenario: a small description `arbitrary` fills in, rendered into a scenario
//! that is valid by construction as often as possible (a few node shapes with extreme but valid
//! quantities, pods with requests and limits, priorities, selectors, node affinity with every
//! operator, pod (anti-)affinity, tolerations, topology spread; a Deployment with a
//! PodDisruptionBudget, a DaemonSet, a Job, a generator, policies; timeline events; random node
//! failures; the runtime model), so the fuzzer spends its time in the simulation, not in the
//! loader's error paths. Sizes are bounded so one execution stays in the milliseconds.

use std::path::{Path, PathBuf};

use arbitrary::Arbitrary;
use serde_json::{Map, Value, json};

use crate::yaml::{documents, to_yaml};

/// At most this many of each list are rendered.
const MAX_NODES: usize = 5;
const MAX_PODS: usize = 10;
const MAX_EVENTS: usize = 8;

/// A cpu amount.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Cpu {
    Milli(u16),
    Cores(u8),
    Extreme(ExtremeCpu),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ExtremeCpu {
    Zero,
    Nano,
    Tiny,
    Million,
    Tera,
    Exa,
    MaxMilli,
    MaxCores,
    Exponent,
}

impl Cpu {
    fn render(self) -> String {
        match self {
            Cpu::Milli(m) => format!("{m}m"),
            Cpu::Cores(c) => c.to_string(),
            Cpu::Extreme(e) => match e {
                ExtremeCpu::Zero => "0".into(),
                ExtremeCpu::Nano => "1n".into(),
                ExtremeCpu::Tiny => "0.0001".into(),
                ExtremeCpu::Million => "1M".into(),
                ExtremeCpu::Tera => "1T".into(),
                ExtremeCpu::Exa => "1E".into(),
                ExtremeCpu::MaxMilli => "9223372036854775807m".into(),
                ExtremeCpu::MaxCores => "9223372036854775807".into(),
                ExtremeCpu::Exponent => "1e15".into(),
            },
        }
    }
}

/// A memory (or other byte) amount.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Mem {
    Mi(u16),
    Gi(u8),
    Extreme(ExtremeMem),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ExtremeMem {
    Zero,
    OneByte,
    Milli,
    Pi,
    Ei,
    EightEi,
    MaxBytes,
    Exponent,
    Huge,
}

impl Mem {
    fn render(self) -> String {
        match self {
            Mem::Mi(m) => format!("{m}Mi"),
            Mem::Gi(g) => format!("{g}Gi"),
            Mem::Extreme(e) => match e {
                ExtremeMem::Zero => "0".into(),
                ExtremeMem::OneByte => "1".into(),
                ExtremeMem::Milli => "1m".into(),
                ExtremeMem::Pi => "1Pi".into(),
                ExtremeMem::Ei => "1Ei".into(),
                ExtremeMem::EightEi => "8Ei".into(),
                ExtremeMem::MaxBytes => "9223372036854775807".into(),
                ExtremeMem::Exponent => "1e18".into(),
                ExtremeMem::Huge => "99999999999999999999999999999999999999".into(),
            },
        }
    }
}

/// A node's `pods` capacity.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum MaxPods {
    Default,
    Zero,
    Few(u8),
    Huge,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Zone {
    A,
    B,
    C,
}

impl Zone {
    fn name(self) -> &'static str {
        match self {
            Zone::A => "a",
            Zone::B => "b",
            Zone::C => "c",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum TaintKey {
    Dedicated,
    Maintenance,
    Gpu,
    NotReady,
}

impl TaintKey {
    fn name(self) -> &'static str {
        match self {
            TaintKey::Dedicated => "dedicated",
            TaintKey::Maintenance => "maintenance",
            TaintKey::Gpu => "nvidia.com/gpu",
            TaintKey::NotReady => "node.kubernetes.io/not-ready",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Effect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl Effect {
    fn name(self) -> &'static str {
        match self {
            Effect::NoSchedule => "NoSchedule",
            Effect::PreferNoSchedule => "PreferNoSchedule",
            Effect::NoExecute => "NoExecute",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Taint {
    pub key: TaintKey,
    pub value: Option<bool>,
    pub effect: Effect,
}

impl Taint {
    fn render(self) -> Value {
        let value = match self.value {
            None => "",
            Some(true) => "a",
            Some(false) => "b",
        };
        json!({"key": self.key.name(), "value": value, "effect": self.effect.name()})
    }
}

/// A node shape.
#[derive(Arbitrary, Debug, Clone)]
pub struct NodeShape {
    pub cpu: Cpu,
    pub memory: Mem,
    pub pods: MaxPods,
    pub gpus: Option<u8>,
    pub allocatable_less: bool,
    pub zone: Zone,
    pub ssd: bool,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub image: bool,
}

impl NodeShape {
    fn render(&self, name: &str) -> Value {
        let pods = match self.pods {
            MaxPods::Default => "110".to_string(),
            MaxPods::Zero => "0".into(),
            MaxPods::Few(n) => (n % 8).to_string(),
            MaxPods::Huge => "1000000".into(),
        };
        let mut cap = Map::new();
        cap.insert("cpu".into(), json!(self.cpu.render()));
        cap.insert("memory".into(), json!(self.memory.render()));
        cap.insert("pods".into(), json!(pods));
        if let Some(g) = self.gpus {
            cap.insert("nvidia.com/gpu".into(), json!((g % 9).to_string()));
        }
        let mut labels = Map::new();
        labels.insert("kubernetes.io/hostname".into(), json!(name));
        labels.insert("topology.kubernetes.io/zone".into(), json!(self.zone.name()));
        if self.ssd {
            labels.insert("disk".into(), json!("ssd"));
        }
        labels.insert("rank".into(), json!(format!("{}", name.len() % 7)));
        let mut status = Map::new();
        status.insert("capacity".into(), Value::Object(cap.clone()));
        if self.allocatable_less {
            let mut alloc = cap;
            alloc.insert("cpu".into(), json!("500m"));
            status.insert("allocatable".into(), Value::Object(alloc));
        }
        if self.image {
            status.insert("images".into(), json!([{"names": ["nginx:1.27"], "sizeBytes": 500_000_000}]));
        }
        let taints: Vec<Value> = self.taints.iter().take(2).map(|t| t.render()).collect();
        let mut spec = Map::new();
        if !taints.is_empty() {
            spec.insert("taints".into(), Value::Array(taints));
        }
        if self.unschedulable {
            spec.insert("unschedulable".into(), json!(true));
        }
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "spec": spec,
            "status": status,
        })
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum App {
    Web,
    Db,
    Batch,
}

impl App {
    fn name(self) -> &'static str {
        match self {
            App::Web => "web",
            App::Db => "db",
            App::Batch => "batch",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Priority {
    None,
    Low,
    High,
    NodeCritical,
    Unknown,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ReqKey {
    Zone,
    Disk,
    Hostname,
    Rank,
    Missing,
}

impl ReqKey {
    fn name(self) -> &'static str {
        match self {
            ReqKey::Zone => "topology.kubernetes.io/zone",
            ReqKey::Disk => "disk",
            ReqKey::Hostname => "kubernetes.io/hostname",
            ReqKey::Rank => "rank",
            ReqKey::Missing => "missing",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

/// A node selector requirement.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Requirement {
    pub key: ReqKey,
    pub op: Operator,
    pub value: u8,
}

impl Requirement {
    fn render(self) -> Value {
        let values: Vec<String> = match self.op {
            Operator::Exists | Operator::DoesNotExist => vec![],
            Operator::Gt | Operator::Lt => vec![(self.value % 8).to_string()],
            Operator::In | Operator::NotIn => {
                let pool = ["a", "b", "ssd", "n0", "n1", "pool-0", "3"];
                vec![pool[self.value as usize % pool.len()].to_string(), "c".into()]
            }
        };
        let op = format!("{:?}", self.op);
        json!({"key": self.key.name(), "operator": op, "values": values})
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct NodeAffinity {
    pub required: Vec<Requirement>,
    pub preferred: Vec<(u8, Requirement)>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum TopologyKey {
    Hostname,
    Zone,
    Missing,
}

impl TopologyKey {
    fn name(self) -> &'static str {
        match self {
            TopologyKey::Hostname => "kubernetes.io/hostname",
            TopologyKey::Zone => "topology.kubernetes.io/zone",
            TopologyKey::Missing => "missing",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct PodAffinityTerm {
    pub app: App,
    pub key: TopologyKey,
    pub required: bool,
    pub anti: bool,
    pub weight: u8,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Toleration {
    pub key: Option<TaintKey>,
    pub exists: bool,
    pub value: bool,
    pub effect: Option<Effect>,
    pub seconds: Option<u16>,
}

impl Toleration {
    fn render(self) -> Value {
        let mut t = Map::new();
        if let Some(k) = self.key {
            t.insert("key".into(), json!(k.name()));
        }
        // An empty key tolerates everything only with `Exists`.
        let exists = self.exists || self.key.is_none();
        t.insert("operator".into(), json!(if exists { "Exists" } else { "Equal" }));
        if !exists {
            t.insert("value".into(), json!(if self.value { "a" } else { "b" }));
        }
        if let Some(e) = self.effect {
            t.insert("effect".into(), json!(e.name()));
            if let (Effect::NoExecute, Some(s)) = (e, self.seconds) {
                t.insert("tolerationSeconds".into(), json!(s % 1200));
            }
        }
        Value::Object(t)
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Spread {
    pub max_skew: u8,
    pub key: TopologyKey,
    pub hard: bool,
    pub min_domains: Option<u8>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum SchedulerName {
    Default,
    Most,
    Nobody,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Restart {
    Always,
    OnFailure,
    Never,
}

/// What a pod (or a controller's template) asks for.
#[derive(Arbitrary, Debug, Clone)]
pub struct PodSpec {
    pub app: App,
    pub cpu: Option<Cpu>,
    pub memory: Option<Mem>,
    pub cpu_limit: Option<Cpu>,
    pub memory_limit: Option<Mem>,
    pub gpus: Option<u8>,
    pub init_container: Option<Cpu>,
    pub priority: Priority,
    pub node_selector: Option<(ReqKey, u8)>,
    pub affinity: Option<NodeAffinity>,
    pub pod_affinity: Option<PodAffinityTerm>,
    pub tolerations: Vec<Toleration>,
    pub spread: Option<Spread>,
    pub scheduler: SchedulerName,
    pub host_port: Option<u8>,
    pub deletion_cost: Option<i8>,
    pub grace_seconds: Option<u8>,
    pub runtime_class: bool,
}

impl PodSpec {
    fn labels(&self) -> Value {
        json!({"app": self.app.name()})
    }

    /// The pod spec; `restart` for Jobs, `node_name` to bind it.
    fn render(&self, restart: Option<Restart>, node_name: Option<&str>) -> Value {
        let mut requests = Map::new();
        let mut limits = Map::new();
        if let Some(c) = self.cpu {
            requests.insert("cpu".into(), json!(c.render()));
        }
        if let Some(m) = self.memory {
            requests.insert("memory".into(), json!(m.render()));
        }
        if let Some(c) = self.cpu_limit {
            limits.insert("cpu".into(), json!(c.render()));
        }
        if let Some(m) = self.memory_limit {
            limits.insert("memory".into(), json!(m.render()));
        }
        if let Some(g) = self.gpus {
            let g = (g % 3).to_string();
            requests.insert("nvidia.com/gpu".into(), json!(g));
            limits.insert("nvidia.com/gpu".into(), json!(g));
        }
        let mut container = json!({
            "name": "c",
            "image": "nginx:1.27",
            "resources": {"requests": requests, "limits": limits},
        });
        if let Some(p) = self.host_port {
            container["ports"] = json!([{"containerPort": 8080, "hostPort": 8000 + u16::from(p % 4)}]);
        }
        let mut spec = Map::new();
        spec.insert("containers".into(), json!([container]));
        if let Some(c) = self.init_container {
            spec.insert(
                "initContainers".into(),
                json!([{"name": "init", "image": "busybox", "resources": {"requests": {"cpu": c.render()}}}]),
            );
        }
        match self.priority {
            Priority::None => {}
            Priority::Low => {
                spec.insert("priorityClassName".into(), json!("low"));
            }
            Priority::High => {
                spec.insert("priorityClassName".into(), json!("high"));
            }
            Priority::NodeCritical => {
                spec.insert("priorityClassName".into(), json!("system-node-critical"));
            }
            Priority::Unknown => {
                spec.insert("priorityClassName".into(), json!("unknown"));
            }
        }
        if let Some((k, v)) = self.node_selector {
            let value = ["a", "b", "ssd", "n1"][v as usize % 4];
            spec.insert("nodeSelector".into(), json!({k.name(): value}));
        }
        let mut affinity = Map::new();
        if let Some(a) = &self.affinity {
            let mut na = Map::new();
            let required: Vec<Value> = a.required.iter().take(3).map(|r| r.render()).collect();
            if !required.is_empty() {
                na.insert(
                    "requiredDuringSchedulingIgnoredDuringExecution".into(),
                    json!({"nodeSelectorTerms": [{"matchExpressions": required}]}),
                );
            }
            let preferred: Vec<Value> = a
                .preferred
                .iter()
                .take(2)
                .map(|(w, r)| json!({"weight": 1 + u32::from(*w) % 100, "preference": {"matchExpressions": [r.render()]}}))
                .collect();
            if !preferred.is_empty() {
                na.insert("preferredDuringSchedulingIgnoredDuringExecution".into(), Value::Array(preferred));
            }
            if !na.is_empty() {
                affinity.insert("nodeAffinity".into(), Value::Object(na));
            }
        }
        if let Some(t) = self.pod_affinity {
            let term =
                json!({"labelSelector": {"matchLabels": {"app": t.app.name()}}, "topologyKey": t.key.name()});
            let body = if t.required {
                json!({"requiredDuringSchedulingIgnoredDuringExecution": [term]})
            } else {
                json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1 + u32::from(t.weight) % 100, "podAffinityTerm": term}]})
            };
            affinity.insert((if t.anti { "podAntiAffinity" } else { "podAffinity" }).into(), body);
        }
        if !affinity.is_empty() {
            spec.insert("affinity".into(), Value::Object(affinity));
        }
        let tolerations: Vec<Value> = self.tolerations.iter().take(3).map(|t| t.render()).collect();
        if !tolerations.is_empty() {
            spec.insert("tolerations".into(), Value::Array(tolerations));
        }
        if let Some(s) = self.spread {
            let mut c = json!({
                "maxSkew": 1 + u32::from(s.max_skew % 3),
                "topologyKey": s.key.name(),
                "whenUnsatisfiable": if s.hard { "DoNotSchedule" } else { "ScheduleAnyway" },
                "labelSelector": {"matchLabels": {"app": self.app.name()}},
            });
            if let (true, Some(m)) = (s.hard, s.min_domains) {
                c["minDomains"] = json!(1 + u32::from(m % 4));
            }
            spec.insert("topologySpreadConstraints".into(), json!([c]));
        }
        match self.scheduler {
            SchedulerName::Default => {}
            SchedulerName::Most => {
                spec.insert("schedulerName".into(), json!("most"));
            }
            SchedulerName::Nobody => {
                spec.insert("schedulerName".into(), json!("nobody"));
            }
        }
        if let Some(r) = restart {
            spec.insert("restartPolicy".into(), json!(format!("{r:?}")));
        }
        if let Some(n) = node_name {
            spec.insert("nodeName".into(), json!(n));
        }
        if let Some(g) = self.grace_seconds {
            spec.insert("terminationGracePeriodSeconds".into(), json!(g % 120));
        }
        if self.runtime_class {
            spec.insert("runtimeClassName".into(), json!("gvisor"));
        }
        Value::Object(spec)
    }

    fn metadata(&self, name: Option<&str>) -> Value {
        let mut m = Map::new();
        if let Some(n) = name {
            m.insert("name".into(), json!(n));
        }
        m.insert("labels".into(), self.labels());
        if let Some(c) = self.deletion_cost {
            m.insert(
                "annotations".into(),
                json!({"controller.kubernetes.io/pod-deletion-cost": c.to_string()}),
            );
        }
        Value::Object(m)
    }
}

/// A standalone pod.
#[derive(Arbitrary, Debug, Clone)]
pub struct PodDesc {
    pub spec: PodSpec,
    /// Bound to node `n<i>` without the scheduler.
    pub node_name: Option<u8>,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Deployment {
    pub template: PodSpec,
    pub replicas: u8,
    pub pdb: Option<(bool, u8)>,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Job {
    pub template: PodSpec,
    pub completions: u8,
    pub parallelism: u8,
    pub backoff_limit: u8,
    pub run_time: RunTime,
    pub restart_on_failure: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum RunTime {
    Fixed(u16),
    Exponential(u16),
    Uniform(u16, u16),
}

impl RunTime {
    fn render(self) -> String {
        match self {
            RunTime::Fixed(s) => format!("{}s", 1 + s % 3600),
            RunTime::Exponential(s) => format!("exponential({}s)", 1 + s % 3600),
            RunTime::Uniform(a, b) => {
                let (a, b) = (a % 3600, b % 3600);
                format!("uniform({}s,{}s)", a.min(b), a.max(b))
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Generator {
    pub count: u8,
    pub over_minutes: u16,
    pub poisson: bool,
    pub lifetime: Option<RunTime>,
    pub shapes: Vec<(u8, Cpu, Mem, Priority)>,
}

/// Which nodes an event acts on.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Selection {
    Name(u8),
    Pool,
    Zone(Zone),
    Count(u8),
    Fraction(u8),
    PoolCount(u8),
}

impl Selection {
    fn render(self) -> Value {
        match self {
            Selection::Name(i) => json!({"names": [node_name(i)]}),
            Selection::Pool => json!({"pool": "pool"}),
            Selection::Zone(z) => json!({"labels": {"topology.kubernetes.io/zone": z.name()}}),
            Selection::Count(c) => json!({"count": 1 + c % 4}),
            Selection::Fraction(f) => json!({"fraction": (1.0 + f64::from(f % 100)) / 100.0}),
            Selection::PoolCount(c) => json!({"pool": "pool", "count": 1 + c % 3}),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub enum Action {
    Cordon(Selection),
    Uncordon(Selection),
    Taint(Selection, Taint),
    Untaint(Selection, TaintKey, Option<Effect>),
    Label(Selection, bool, Zone),
    NodeLeave(Selection),
    NodeFailure(Selection, Option<u16>),
    NodeRecovery(Selection),
    NodeJoin { count: u8, interval_s: u16, poisson: bool },
    Scale(u8),
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Event {
    pub at_seconds: u16,
    pub action: Action,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Dist {
    Constant(u8),
    BigConstant,
    Uniform(u8, u8),
    HugeUniform,
    Normal(u8, u8),
    LogNormal(u8, u8),
    WildLogNormal,
    Empirical(u8, u8),
}

impl Dist {
    fn render(self) -> Value {
        let r = |x: u8| f64::from(x) / 50.0;
        match self {
            Dist::Constant(c) => json!({"constant": r(c)}),
            Dist::BigConstant => json!({"constant": 1e6}),
            Dist::Uniform(a, b) => json!({"uniform": {"min": r(a.min(b)), "max": r(a.max(b))}}),
            Dist::HugeUniform => json!({"uniform": {"min": 0.0, "max": 1e300}}),
            Dist::Normal(m, s) => json!({"normal": {"mean": r(m), "sd": r(s)}}),
            Dist::LogNormal(m, s) => json!({"lognormal": {"median": r(m), "sigma": r(s)}}),
            Dist::WildLogNormal => json!({"lognormal": {"median": 1e6, "sigma": 100.0}}),
            Dist::Empirical(a, b) => json!({"empirical": [r(a), r(b)]}),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Usage {
    pub app: Option<App>,
    pub cpu: Option<(bool, Dist)>,
    pub memory: Option<(bool, Dist, Option<Mem>)>,
    pub diurnal: Option<(u8, u8)>,
    pub bursts: Option<(u8, u8)>,
    pub work_bursts: Option<(u16, u16, u8)>,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Runtime {
    pub change_interval_s: u16,
    pub usage: Vec<Usage>,
    pub eviction_hard: Option<Mem>,
    pub monitoring_ms: Option<u16>,
    pub max_rejections: Option<u8>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Config {
    Default,
    File,
    MostAllocatedOnly,
    Processes { delay_ms: u16, latency_ms: u8 },
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Controllers {
    pub grace_s: u8,
    pub eviction_rate: u8,
    pub sync_delay_s: u8,
    pub evict_on_affinity_change: bool,
    pub large_cluster: u8,
}

/// The whole description.
#[derive(Arbitrary, Debug, Clone)]
pub struct Scenario {
    pub seed: u8,
    pub duration_minutes: u16,
    pub sample_seconds: u16,
    pub tie_first: bool,
    pub config: Config,
    pub cycle_latency_ms: Option<u8>,
    pub nodes: Vec<NodeShape>,
    pub pool: Option<(NodeShape, u8)>,
    pub pods: Vec<PodDesc>,
    pub pods_at_seconds: u16,
    pub low_never_preempts: bool,
    pub deployment: Option<Deployment>,
    pub daemonset: Option<PodSpec>,
    pub job: Option<Job>,
    pub generator: Option<Generator>,
    pub limit_range: Option<(Cpu, Cpu)>,
    pub quota: Option<(u8, Cpu)>,
    pub events: Vec<Event>,
    pub failures: Option<(u16, u16)>,
    pub runtime: Option<Runtime>,
    pub controllers: Option<Controllers>,
}

fn node_name(i: u8) -> String {
    format!("n{}", i % MAX_NODES as u8)
}

fn priority_name(p: Priority) -> Option<&'static str> {
    match p {
        Priority::None => None,
        Priority::Low => Some("low"),
        Priority::High => Some("high"),
        Priority::NodeCritical => Some("system-node-critical"),
        Priority::Unknown => Some("unknown"),
    }
}

impl Scenario {
    /// The run's duration in minutes (1 to 360).
    pub fn minutes(&self) -> u32 {
        1 + u32::from(self.duration_minutes) % 360
    }

    /// Writes the scenario and its files into `dir`; returns the scenario's path.
    pub fn render(&self, dir: &Path) -> PathBuf {
        let w = |name: &str, text: &str| crate::write_in(dir, name, text.as_bytes());
        let minutes = self.minutes();
        let horizon_s = minutes * 60;

        // Nodes: n0.. from the shapes, and a pool (possibly empty) for nodeJoin.
        let nodes: Vec<Value> =
            self.nodes.iter().take(MAX_NODES).enumerate().map(|(i, s)| s.render(&format!("n{i}"))).collect();
        let mut node_sources = Vec::new();
        if !nodes.is_empty() {
            w("nodes.yaml", &documents(&nodes));
            node_sources.push(json!({"manifest": {"path": "nodes.yaml"}}));
        }
        let (template, pool_count) = match &self.pool {
            Some((shape, count)) => (shape.render("template"), u32::from(count % 4)),
            None => (NodeShape::default_shape().render("template"), 0),
        };
        w("template.yaml", &to_yaml(&template));
        node_sources
            .push(json!({"pool": {"name": "pool", "count": pool_count, "template": "template.yaml"}}));

        // Standalone pods and priority classes.
        let mut low = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "low"}, "value": -10});
        if self.low_never_preempts {
            low["preemptionPolicy"] = json!("Never");
        }
        let high = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}, "value": 1_000_000});
        let mut pods = vec![low, high];
        for (i, p) in self.pods.iter().take(MAX_PODS).enumerate() {
            let bound = p.node_name.map(node_name);
            pods.push(json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": p.spec.metadata(Some(&format!("p{i}"))),
                "spec": p.spec.render(None, bound.as_deref()),
            }));
        }
        w("pods.yaml", &documents(&pods));

        // The system layer: controllers and policies.
        let mut apps = vec![
            json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "gvisor"}, "handler": "runsc", "overhead": {"podFixed": {"cpu": "100m", "memory": "64Mi"}}}),
        ];
        if let Some(d) = &self.deployment {
            apps.push(json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "default"},
                "spec": {
                    "replicas": d.replicas % 9,
                    "selector": {"matchLabels": d.template.labels()},
                    "template": {"metadata": d.template.metadata(None), "spec": d.template.render(None, None)},
                },
            }));
            if let Some((min_available, n)) = d.pdb {
                let key = if min_available { "minAvailable" } else { "maxUnavailable" };
                let value = if n % 2 == 0 { json!(n % 4) } else { json!(format!("{}%", n % 101)) };
                apps.push(json!({
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": {"name": "web"},
                    "spec": {key: value, "selector": {"matchLabels": d.template.labels()}},
                }));
            }
        }
        if let Some(t) = &self.daemonset {
            apps.push(json!({
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": "agent", "namespace": "kube-system"},
                "spec": {
                    "selector": {"matchLabels": t.labels()},
                    "template": {"metadata": t.metadata(None), "spec": t.render(None, None)},
                },
            }));
        }
        if let Some(j) = &self.job {
            let restart = if j.restart_on_failure { Restart::OnFailure } else { Restart::Never };
            apps.push(json!({
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "batch", "annotations": {"capsim.dev/run-time": j.run_time.render()}},
                "spec": {
                    "completions": j.completions % 6,
                    "parallelism": j.parallelism % 4,
                    "backoffLimit": j.backoff_limit % 4,
                    "template": {"metadata": j.template.metadata(None), "spec": j.template.render(Some(restart), None)},
                },
            }));
        }
        if let Some((default, max)) = self.limit_range {
            apps.push(json!({
                "apiVersion": "v1",
                "kind": "LimitRange",
                "metadata": {"name": "limits", "namespace": "default"},
                "spec": {"limits": [{"type": "Container", "default": {"cpu": default.render()}, "max": {"cpu": max.render()}}]},
            }));
        }
        if let Some((pods, cpu)) = self.quota {
            apps.push(json!({
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "quota", "namespace": "default"},
                "spec": {"hard": {"pods": (pods % 16).to_string(), "requests.cpu": cpu.render()}},
            }));
        }
        w("apps.yaml", &documents(&apps));

        // The workload.
        let mut workload = vec![
            json!({"manifest": {"path": "pods.yaml", "at": format!("{}s", u32::from(self.pods_at_seconds) % horizon_s)}}),
        ];
        if let Some(g) = &self.generator {
            let shapes: Vec<Value> = g
                .shapes
                .iter()
                .take(3)
                .map(|(weight, cpu, mem, p)| {
                    let mut s = json!({"weight": 1 + u32::from(*weight % 5), "cpu": cpu.render(), "memory": mem.render()});
                    if let Some(name) = priority_name(*p) {
                        s["priorityClassName"] = json!(name);
                    }
                    s
                })
                .collect();
            let shapes =
                if shapes.is_empty() { vec![json!({"cpu": "100m", "memory": "128Mi"})] } else { shapes };
            let mut generator = json!({
                "name": "gen",
                "count": 1 + g.count % 20,
                "over": format!("{}m", 1 + u32::from(g.over_minutes) % 360),
                "arrival": if g.poisson { "poisson" } else { "uniform" },
                "shapes": shapes,
            });
            if let Some(l) = g.lifetime {
                generator["lifetime"] = json!(l.render());
            }
            workload.push(json!({"generator": generator}));
        }

        // The timeline.
        let events: Vec<Value> = self
            .events
            .iter()
            .take(MAX_EVENTS)
            .filter_map(|e| {
                let at = format!("{}s", u32::from(e.at_seconds) % horizon_s);
                let action = match e.action {
                    Action::Cordon(s) => json!({"cordon": s.render()}),
                    Action::Uncordon(s) => json!({"uncordon": s.render()}),
                    Action::Taint(s, t) => json!({"taint": {"nodes": s.render(), "add": [t.render()]}}),
                    Action::Untaint(s, k, eff) => {
                        let mut r = json!({"key": k.name()});
                        if let Some(eff) = eff {
                            r["effect"] = json!(eff.name());
                        }
                        json!({"taint": {"nodes": s.render(), "remove": [r]}})
                    }
                    Action::Label(s, add, z) => {
                        if add {
                            json!({"label": {"nodes": s.render(), "add": {"topology.kubernetes.io/zone": z.name(), "disk": "ssd"}}})
                        } else {
                            json!({"label": {"nodes": s.render(), "remove": ["disk"]}})
                        }
                    }
                    Action::NodeLeave(s) => json!({"nodeLeave": s.render()}),
                    Action::NodeFailure(s, recover) => {
                        let mut f = json!({"nodes": s.render()});
                        if let Some(r) = recover {
                            f["recoverAfter"] = json!(format!("{}s", 1 + r % 7200));
                        }
                        json!({"nodeFailure": f})
                    }
                    Action::NodeRecovery(s) => json!({"nodeRecovery": s.render()}),
                    Action::NodeJoin { count, interval_s, poisson } => {
                        let key = if poisson { "meanInterval" } else { "interval" };
                        json!({"nodeJoin": {"pool": "pool", "count": 1 + count % 3, key: format!("{}s", 1 + interval_s % 600)}})
                    }
                    Action::Scale(r) => {
                        self.deployment.as_ref()?;
                        json!({"scale": {"deployment": "default/web", "replicas": r % 12}})
                    }
                };
                let mut e = json!({"at": at});
                e.as_object_mut()?.extend(action.as_object()?.clone());
                Some(e)
            })
            .collect();

        // The scheduler.
        let mut scheduler = Map::new();
        match self.config {
            Config::Default => {}
            Config::File => {
                w(
                    "config.yaml",
                    crate::SUPPORT_FILES.iter().find(|f| f.0 == "config.yaml").expect("config").1,
                );
                scheduler.insert("config".into(), json!("config.yaml"));
            }
            Config::MostAllocatedOnly => {
                w("config.yaml", MOST_ALLOCATED_DEFAULT);
                scheduler.insert("config".into(), json!("config.yaml"));
            }
            Config::Processes { delay_ms, latency_ms } => {
                for (name, text) in crate::SUPPORT_FILES.iter().filter(|f| f.0.starts_with("config-")) {
                    w(name, text);
                }
                let delay = format!("{}ms", delay_ms % 5000);
                let latency = format!("{}ms", latency_ms % 50);
                scheduler.insert(
                    "processes".into(),
                    json!([
                        {"name": "a", "config": "config-a.yaml", "informerDelay": delay, "cycleLatency": latency},
                        {"name": "b", "config": "config-b.yaml", "informerDelay": delay},
                    ]),
                );
            }
        }
        if self.tie_first {
            scheduler.insert("tieBreak".into(), json!("first"));
        }
        if let (Some(l), false) = (self.cycle_latency_ms, matches!(self.config, Config::Processes { .. })) {
            scheduler.insert("cycleLatency".into(), json!(format!("{}ms", l % 100)));
        }

        let mut cluster = json!({"nodes": node_sources, "manifests": ["apps.yaml"]});
        if let Some((mtbf_minutes, repair_s)) = self.failures {
            cluster["nodeFailures"] = json!([{
                "nodes": {"pool": "pool"},
                "mtbf": format!("{}m", 10 + u32::from(mtbf_minutes) % 1000),
                "repair": format!("{}s", 1 + u32::from(repair_s) % 3600),
            }]);
        }

        let mut spec = json!({
            "seed": self.seed,
            "duration": format!("{minutes}m"),
            "cluster": cluster,
            "scheduler": scheduler,
            "workload": workload,
            "events": events,
            "metrics": {"sampleInterval": format!("{}s", 10 + u32::from(self.sample_seconds) % 3600)},
        });
        if let Some(c) = &self.controllers {
            spec["controllers"] = json!({
                "nodeMonitorGracePeriod": format!("{}s", 1 + c.grace_s % 120),
                "nodeEvictionRate": f64::from(c.eviction_rate) / 10.0,
                "syncDelay": format!("{}s", c.sync_delay_s % 30),
                "evictOnNodeAffinityChange": c.evict_on_affinity_change,
                "largeClusterSizeThreshold": c.large_cluster % 60,
            });
        }
        if let Some(r) = &self.runtime {
            spec["runtime"] = r.render();
        }
        let scenario = json!({
            "apiVersion": "capsim.dev/v1alpha1",
            "kind": "Scenario",
            "metadata": {"name": "fuzz"},
            "spec": spec,
        });
        w("scenario.yaml", &to_yaml(&scenario))
    }
}

const MOST_ALLOCATED_DEFAULT: &str = "apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
            resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}, {name: nvidia.com/gpu, weight: 1}]
  - schedulerName: most
";

impl NodeShape {
    fn default_shape() -> NodeShape {
        NodeShape {
            cpu: Cpu::Cores(4),
            memory: Mem::Gi(16),
            pods: MaxPods::Default,
            gpus: None,
            allocatable_less: false,
            zone: Zone::A,
            ssd: false,
            taints: Vec::new(),
            unschedulable: false,
            image: false,
        }
    }
}

impl Runtime {
    fn render(&self) -> Value {
        let usage: Vec<Value> = self
            .usage
            .iter()
            .take(3)
            .map(|u| {
                let mut rule = Map::new();
                if let Some(a) = u.app {
                    rule.insert("match".into(), json!({"labels": {"app": a.name()}}));
                }
                if let Some((limit, d)) = u.cpu {
                    let mut v = d.render();
                    v["of"] = json!(if limit { "limit" } else { "request" });
                    rule.insert("cpu".into(), v);
                }
                if let Some((limit, d, growth)) = u.memory {
                    let mut v = d.render();
                    v["of"] = json!(if limit { "limit" } else { "request" });
                    if let Some(g) = growth {
                        v["growthPerHour"] = json!(g.render());
                    }
                    rule.insert("memory".into(), v);
                }
                if let Some((a, h)) = u.diurnal {
                    rule.insert(
                        "diurnal".into(),
                        json!({"amplitude": f64::from(a) / 255.0, "peakAt": format!("{}h", h % 24)}),
                    );
                }
                if let Some((p, f)) = u.bursts {
                    rule.insert("bursts".into(), json!({"probability": f64::from(p) / 255.0, "factor": f64::from(f) * 4.0}));
                }
                if let Some((every, cpu_time, threads)) = u.work_bursts {
                    rule.insert(
                        "workBursts".into(),
                        json!({"every": format!("{}s", 1 + every % 600), "cpuTime": format!("{}ms", 1 + cpu_time % 60000), "threads": 1 + u32::from(threads % 16)}),
                    );
                }
                Value::Object(rule)
            })
            .collect();
        let mut kubelet = Map::new();
        if let Some(m) = self.eviction_hard {
            kubelet.insert("evictionHard".into(), json!(format!("memory.available<{}", m.render())));
        }
        if let Some(ms) = self.monitoring_ms {
            kubelet.insert("evictionMonitoringInterval".into(), json!(format!("{}ms", 100 + ms % 60000)));
        }
        if let Some(n) = self.max_rejections {
            kubelet.insert("maxKubeletRejections".into(), json!(n));
        }
        json!({
            "changeInterval": format!("{}s", 60 + u32::from(self.change_interval_s) % 3600),
            "usage": usage,
            "kubelet": kubelet,
        })
    }
}
