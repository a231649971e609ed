//! A node with the aggregate state of its bound pods (`NodeInfo`), the packed per-node row the
//! Filter and Score loops read (`NodeHot`), what the sums read of each bound pod (`PodRow`), and
//! the host ports a pod claims. [`super::Cluster`] keeps one `NodeInfo` and one `NodeHot` per
//! node; preemption's dry run works on a copy of one `NodeInfo` or on its `NodeHot` row.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::node::{Node, NodeId};
use super::pod::{Pod, PodId};
use super::resources::Resources;

/// A host port in use on a node: (host IP, protocol, port).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostPort {
    /// `hostIP` (`0.0.0.0` when unset).
    pub ip: String,
    /// Protocol (`TCP` when unset).
    pub protocol: String,
    /// Port number.
    pub port: i32,
}

/// The per-node numbers the Filter and Score loops read, packed in one 64-byte cache line.
///
/// [`super::Cluster`] keeps one per node beside the wide [`NodeInfo`] (a structure-of-arrays split, as
/// issue 8 asks): 5,000 nodes' rows take 320 KiB and stay in the core's cache from one cycle to
/// the next, where walking 5,000 `NodeInfo`s would touch several cache lines per node. Plugins
/// read it through [`super::Cluster::hot`] in their fast paths
/// ([`crate::scheduler::framework::FilterPlugin::fast_filter`],
/// [`crate::scheduler::framework::ScorePlugin::score_nodes`]); it is derived data, rebuilt by
/// every change of the node or its pods, so it can never disagree with the `NodeInfo`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct NodeHot {
    /// Allocatable cpu, millicores.
    pub allocatable_milli_cpu: i64,
    /// Allocatable memory, bytes.
    pub allocatable_memory: i64,
    /// Σ effective cpu requests of the bound pods, millicores (Filter's view).
    pub requested_milli_cpu: i64,
    /// Σ effective memory requests of the bound pods, bytes.
    pub requested_memory: i64,
    /// Σ cpu requests with the 100m stand-in for containers without one, millicores (scoring).
    pub non_zero_milli_cpu: i64,
    /// Σ memory requests with the 200 MiB stand-in, bytes (scoring).
    pub non_zero_memory: i64,
    /// Allocatable pod count.
    pub allocatable_pods: i64,
    /// Pods bound to the node.
    pub pods: u32,
    /// `NodeHot::*` flag bits.
    pub flags: u32,
}

impl NodeHot {
    /// `spec.unschedulable` is set (cordoned).
    pub const UNSCHEDULABLE: u32 = 1;
    /// The node has a NoSchedule or NoExecute taint.
    pub const HARD_TAINTS: u32 = 1 << 1;
    /// The node has a PreferNoSchedule taint.
    pub const PREFER_NO_SCHEDULE_TAINTS: u32 = 1 << 2;
    /// The node reports container images (`status.images`).
    pub const IMAGES: u32 = 1 << 3;
    /// Some bound pod claims a host port.
    pub const HOST_PORTS: u32 = 1 << 4;

    /// The row of `info`.
    pub fn of(info: &NodeInfo) -> NodeHot {
        use super::labels::TaintEffect;
        let n = &info.node;
        let mut flags = 0;
        if n.unschedulable {
            flags |= Self::UNSCHEDULABLE;
        }
        for t in &n.taints {
            flags |= match t.effect {
                TaintEffect::PreferNoSchedule => Self::PREFER_NO_SCHEDULE_TAINTS,
                TaintEffect::NoSchedule | TaintEffect::NoExecute => Self::HARD_TAINTS,
            };
        }
        if !info.image_sizes.is_empty() {
            flags |= Self::IMAGES;
        }
        if !info.used_ports.is_empty() {
            flags |= Self::HOST_PORTS;
        }
        NodeHot {
            allocatable_milli_cpu: n.allocatable.milli_cpu,
            allocatable_memory: n.allocatable.memory,
            requested_milli_cpu: info.requested.milli_cpu,
            requested_memory: info.requested.memory,
            non_zero_milli_cpu: info.non_zero_requested.milli_cpu,
            non_zero_memory: info.non_zero_requested.memory,
            allocatable_pods: n.allocatable.pods,
            pods: info.pods.len() as u32,
            flags,
        }
    }
}

/// What the Filter loop's NodeHot conditions read of a node, in 32 bytes (half a [`NodeHot`]
/// row), kept in kube-scheduler's snapshot order ([`super::Cluster::filter_rows`]) so the loop
/// reads them one after the other. Derived data, rebuilt with the `NodeHot` row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(32))]
pub struct FilterRow {
    /// Allocatable − requested cpu, millicores (Filter's view).
    pub free_milli_cpu: i64,
    /// Allocatable − requested memory, bytes.
    pub free_memory: i64,
    /// Allocatable pod count − pods bound.
    pub free_pods: i64,
    /// `NodeHot::*` flag bits.
    pub flags: u32,
}

impl FilterRow {
    /// The row of a node's [`NodeHot`] row.
    #[inline]
    pub fn of(h: &NodeHot) -> FilterRow {
        FilterRow {
            free_milli_cpu: h.allocatable_milli_cpu - h.requested_milli_cpu,
            free_memory: h.allocatable_memory - h.requested_memory,
            free_pods: h.allocatable_pods - i64::from(h.pods),
            flags: h.flags,
        }
    }
}

/// The bound pods of a node's lowest priority, summed, and the next priority above it: for a
/// preemptor of priority `p` with `priority < p <= next`, exactly these pods are the potential
/// victims, so preemption's dry run can tell what the node looks like without all of them from
/// this row and the node's [`NodeHot`] row, without loading the node's pods
/// ([`super::Cluster::lowest_priority`]). Derived data, rebuilt with the `NodeHot` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowestPriority {
    /// The lowest priority among the node's pods (`i32::MAX` with no pod).
    pub priority: i32,
    /// The lowest priority above `priority` among the node's pods (`i32::MAX` when none).
    pub next: i32,
    /// Pods of priority `priority`.
    pub pods: u32,
    /// Every one of them is [`PodRow::plain`].
    pub plain: bool,
    /// Σ of their [`PodRow::requests`]: cpu (millicores), memory (bytes).
    pub requests: [i64; 2],
    /// Σ of their [`PodRow::non_zero`]: cpu, memory.
    pub non_zero: [i64; 2],
}

impl Default for LowestPriority {
    fn default() -> Self {
        LowestPriority {
            priority: i32::MAX,
            next: i32::MAX,
            pods: 0,
            plain: true,
            requests: [0; 2],
            non_zero: [0; 2],
        }
    }
}

impl LowestPriority {
    /// The row of `info`'s pods.
    pub fn of(info: &NodeInfo) -> LowestPriority {
        let mut low = LowestPriority::default();
        for r in &info.pod_rows {
            if r.priority > low.priority {
                low.next = low.next.min(r.priority);
                continue;
            }
            if r.priority < low.priority {
                low =
                    LowestPriority { priority: r.priority, next: low.priority, ..LowestPriority::default() };
            }
            low.pods += 1;
            low.plain &= r.plain;
            for k in 0..2 {
                low.requests[k] += r.requests[k];
                low.non_zero[k] += r.non_zero[k];
            }
        }
        low
    }

    /// `row` without the pods of the lowest priority (`NodeHot`'s sums are the `PodRow`s' sums,
    /// so this is the row of the node once they are taken off, when they are all plain).
    pub fn without(&self, row: &NodeHot) -> NodeHot {
        NodeHot {
            requested_milli_cpu: row.requested_milli_cpu - self.requests[0],
            requested_memory: row.requested_memory - self.requests[1],
            non_zero_milli_cpu: row.non_zero_milli_cpu - self.non_zero[0],
            non_zero_memory: row.non_zero_memory - self.non_zero[1],
            pods: row.pods - self.pods,
            ..*row
        }
    }
}

/// A node with the aggregate state of the pods bound to it (upstream `framework.NodeInfo`).
///
/// The node's spec and image sizes sit behind `Arc`s, so a copy (preemption's dry run works on a
/// copy of one node) costs a few small vectors, not the node's labels and images.
#[derive(Debug)]
pub struct NodeInfo {
    /// The node's id in its [`super::Cluster`] (plugins look its topology domains up by it).
    pub id: NodeId,
    /// The node.
    pub node: Arc<Node>,
    /// Pods bound to the node, in binding order.
    pub pods: Vec<PodId>,
    /// By position in `pods`: what the node's sums and preemption's victim order read of each
    /// bound pod, kept beside the ids so that taking pods off a copy of the node (preemption's
    /// dry run) need not load the pods themselves.
    pub pod_rows: Vec<PodRow>,
    /// Σ effective requests of the bound pods (Filter's view).
    pub requested: Resources,
    /// Σ requests with the 100m / 200Mi stand-ins (the cpu/memory scorers' view).
    pub non_zero_requested: Resources,
    /// Host ports claimed by bound pods.
    pub used_ports: Vec<HostPort>,
    /// Image name (as the node reports it) → size in bytes, from `status.images` (the first
    /// entry of a name wins).
    pub image_sizes: Arc<BTreeMap<String, i64>>,
    /// Milli-GPU free on each of the node's GPU devices (1000 each when idle; one per
    /// `nvidia.com/gpu` of allocatable).
    pub gpu_left: Vec<u32>,
    /// The node was deleted: its id stays (ids are never reused) but it is in no list.
    pub removed: bool,
}

impl Clone for NodeInfo {
    fn clone(&self) -> Self {
        let mut copy = NodeInfo {
            id: self.id,
            node: Arc::clone(&self.node),
            pods: Vec::new(),
            pod_rows: Vec::new(),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            used_ports: Vec::new(),
            image_sizes: Arc::clone(&self.image_sizes),
            gpu_left: Vec::new(),
            removed: self.removed,
        };
        copy.clone_from(self);
        copy
    }

    /// Copies `source` into `self`, reusing `self`'s vectors (preemption's dry run copies one
    /// node after another into the same value).
    fn clone_from(&mut self, source: &Self) {
        let NodeInfo {
            id,
            node,
            pods,
            pod_rows,
            requested,
            non_zero_requested,
            used_ports,
            image_sizes,
            gpu_left,
            removed,
        } = source;
        self.id = *id;
        self.node = Arc::clone(node);
        self.pods.clone_from(pods);
        self.pod_rows.clone_from(pod_rows);
        self.requested.clone_from(requested);
        self.non_zero_requested.clone_from(non_zero_requested);
        self.used_ports.clone_from(used_ports);
        self.image_sizes = Arc::clone(image_sizes);
        self.gpu_left.clone_from(gpu_left);
        self.removed = *removed;
    }
}

/// What a node's sums read of a bound pod ([`NodeInfo::pod_rows`]), and its priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodRow {
    /// `spec.priority`.
    pub priority: i32,
    /// The pod has no scalar request, no host port and no GPU: its share of the sums is
    /// `requests` and `non_zero`, which then hold all of it.
    pub plain: bool,
    /// Effective requests: cpu (millicores), memory, ephemeral storage (bytes), pods.
    pub requests: [i64; 4],
    /// Requests with the non-zero stand-ins, in the same order.
    pub non_zero: [i64; 4],
}

impl PodRow {
    /// The row of `pod`.
    pub fn of(pod: &Pod) -> PodRow {
        let r = &pod.requests;
        let n = &pod.non_zero_requests;
        PodRow {
            priority: pod.priority,
            plain: r.scalar.is_empty()
                && n.scalar.is_empty()
                && host_ports(pod).next().is_none()
                && super::gpu::pod_gpu(pod).is_none(),
            requests: [r.milli_cpu, r.memory, r.ephemeral_storage, r.pods],
            non_zero: [n.milli_cpu, n.memory, n.ephemeral_storage, n.pods],
        }
    }
}

impl NodeInfo {
    /// Adds pod `id` (`pod`) to the node's sums: its requests, non-zero requests and host ports,
    /// and for a GPU pod the devices `gpus`, or when `None` the default choice
    /// ([`super::gpu::GpuShare::best_devices`]; none when no device fits). Returns the devices
    /// taken (empty for a pod without GPUs). [`super::Cluster::bind`] and preemption's dry run both
    /// add pods this way.
    ///
    /// # Errors
    /// `gpus` names a device without room for the pod (nothing is changed).
    pub fn add_pod(&mut self, id: PodId, pod: &Pod, gpus: Option<Vec<u8>>) -> Result<Vec<u8>, String> {
        self.add_pod_with_row(id, pod, PodRow::of(pod), gpus)
    }

    /// [`NodeInfo::add_pod`] with the pod's row already known (`row` must be `PodRow::of(pod)`;
    /// a plain pod is then added without reading `pod`).
    ///
    /// # Errors
    /// `gpus` names a device without room for the pod (nothing is changed).
    pub fn add_pod_with_row(
        &mut self,
        id: PodId,
        pod: &Pod,
        row: PodRow,
        gpus: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, String> {
        let mut devices = Vec::new();
        if !row.plain
            && let Some(g) = super::gpu::pod_gpu(pod)
        {
            devices = gpus.or_else(|| g.best_devices(&self.gpu_left)).unwrap_or_default();
            if let Some(d) =
                devices.iter().find(|d| self.gpu_left.get(**d as usize).is_none_or(|l| *l < g.milli))
            {
                return Err(format!(
                    "pod {id} given GPU {d} of node {} without {} milli free",
                    self.node.name, g.milli
                ));
            }
            for d in &devices {
                self.gpu_left[*d as usize] -= g.milli;
            }
        }
        self.pods.push(id);
        self.pod_rows.push(row);
        self.requested.pods += 1;
        if row.plain {
            add_numbers(&mut self.requested, &row.requests, 1);
            add_numbers(&mut self.non_zero_requested, &row.non_zero, 1);
        } else {
            self.requested.add(&pod.requests);
            self.non_zero_requested.add(&pod.non_zero_requests);
            self.used_ports.extend(host_ports(pod));
        }
        Ok(devices)
    }

    /// Takes pod `id` (`pod`, holding GPU devices `gpus`) off the node's sums: the inverse of
    /// [`NodeInfo::add_pod`]. Returns the pod's row (`None` when it was not on the node); a
    /// plain pod is taken off without reading `pod`.
    pub fn remove_pod(&mut self, id: PodId, pod: &Pod, gpus: &[u8]) -> Option<PodRow> {
        let i = self.pods.iter().position(|x| *x == id)?;
        self.pods.remove(i);
        let row = self.pod_rows.remove(i);
        self.requested.pods -= 1;
        if row.plain {
            add_numbers(&mut self.requested, &row.requests, -1);
            add_numbers(&mut self.non_zero_requested, &row.non_zero, -1);
            return Some(row);
        }
        if let Some(g) = super::gpu::pod_gpu(pod) {
            for d in gpus {
                self.gpu_left[*d as usize] += g.milli;
            }
        }
        self.requested.sub(&pod.requests);
        self.non_zero_requested.sub(&pod.non_zero_requests);
        for hp in host_ports(pod) {
            if let Some(i) = self.used_ports.iter().position(|x| *x == hp) {
                self.used_ports.remove(i);
            }
        }
        Some(row)
    }
}

/// Adds `sign` times the numbers of a [`PodRow`] (cpu, memory, ephemeral storage, pods) to `r`.
fn add_numbers(r: &mut Resources, n: &[i64; 4], sign: i64) {
    r.milli_cpu += sign * n[0];
    r.memory += sign * n[1];
    r.ephemeral_storage += sign * n[2];
    r.pods += sign * n[3];
}

/// The host ports a pod claims (upstream `GetHostPorts`): ports with `hostPort > 0` of sidecar
/// init containers (`restartPolicy: Always`, which run as long as the pod), then of regular
/// containers. Ordinary init containers have finished before the pod runs and claim nothing.
pub fn host_ports(pod: &Pod) -> impl Iterator<Item = HostPort> + '_ {
    let sidecars = pod.init_containers.iter().filter(|c| c.restart_always);
    sidecars.chain(&pod.containers).flat_map(|c| &c.ports).filter(|p| p.host_port > 0).map(|p| HostPort {
        ip: if p.host_ip.is_empty() { "0.0.0.0".into() } else { p.host_ip.clone() },
        protocol: if p.protocol.is_empty() { "TCP".into() } else { p.protocol.clone() },
        port: p.host_port,
    })
}
