//! The kubelet's admission of a pod bound to its node (upstream's admission re-runs the resource
//! fit): pure functions over the true [`Cluster`]. The engine applies the verdicts (critical pod
//! preemption, `OutOf...` rejections).

use crate::model::resources::is_extended_resource_name;
use crate::model::{Cluster, NodeId, PodId};

/// What the node lacks for a pod (upstream `lifecycle.InsufficientResourceError`): the resource,
/// the pod's request, what the node's pods already request, and the node's allocatable, in the
/// resource's base unit (millicores for cpu, bytes for memory, a count for pods).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    /// The resource's name (`cpu`, `memory`, `pods`, `nvidia.com/gpu`, ...).
    pub resource: String,
    /// The pod's request (1 for `pods`).
    pub requested: i64,
    /// What the pods on the node already request (their number for `pods`).
    pub used: i64,
    /// The node's allocatable.
    pub capacity: i64,
}

impl Shortfall {
    /// The kubelet's rejection reason (upstream `predicate.go`): `OutOfcpu`, `OutOfmemory`,
    /// `OutOfpods`, `OutOfephemeral-storage`, else `OutOf` + the resource name.
    pub fn reason(&self) -> &'static str {
        match self.resource.as_str() {
            "cpu" => "OutOfcpu",
            "memory" => "OutOfmemory",
            "pods" => "OutOfpods",
            "ephemeral-storage" => "OutOfephemeral-storage",
            other => intern(format!("OutOf{other}")),
        }
    }

    /// Upstream `InsufficientResourceError.Error()`: the message of the kubelet's event.
    pub fn message(&self) -> String {
        format!(
            "Node didn't have enough resource: {}, requested: {}, used: {}, capacity: {}",
            self.resource, self.requested, self.used, self.capacity
        )
    }
}

/// A `'static` copy of `s`, one per distinct string (event reasons are `'static`; the extended
/// resource names of a run are few).
fn intern(s: String) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(s.as_str()) {
        return n;
    }
    let n: &'static str = Box::leak(s.into_boxed_str());
    names.insert(n);
    n
}

/// Whether the kubelet of `node` admits pod `p` against the true cluster (resources and pod
/// count).
pub fn admits(cluster: &Cluster, node: NodeId, p: PodId) -> bool {
    shortfall(cluster, node, p).is_none()
}

/// The first resource the node lacks for the pod, in the kubelet's order (upstream `fitsRequest`:
/// pods, cpu, memory, ephemeral-storage, extended resources).
///
/// The pod's request is its effective request (`PodRequests` with pod-level resources and
/// overhead, as the kubelet's `AdmissionCheck` computes it with PodLevelResources on), less the
/// containers' requests of extended resources the node's allocatable does not list at all
/// (upstream `removeMissingExtendedResources`: cluster-level resources unknown to nodes are not
/// the kubelet's to check). A resource the node lists with 0 is still checked.
pub fn shortfall(cluster: &Cluster, node: NodeId, p: PodId) -> Option<Shortfall> {
    let info = cluster.node(node);
    let pod = cluster.pod(p);
    let (a, used, req) = (&info.node.allocatable, &info.requested, &pod.requests);
    let on_node = info.pods.len() as i64;
    if on_node + 1 > a.pods {
        return Some(Shortfall { resource: "pods".into(), requested: 1, used: on_node, capacity: a.pods });
    }
    let short = |name: &str, r: i64| Shortfall {
        resource: name.to_string(),
        requested: r,
        used: used.get(name),
        capacity: a.get(name),
    };
    let unknown = |name: &str| is_extended_resource_name(name) && !a.scalar.contains_key(name);
    let first = req
        .iter_nonzero()
        .map(|(name, r)| if unknown(name) { (name, pod.overhead.get(name)) } else { (name, r) })
        .find(|(name, r)| *r != 0 && used.get(name).wrapping_add(*r) > a.get(name))
        .map(|(n, r)| short(n, r));
    // The GPU device plugin: the pod's GPUs must fit the node's devices as they are. A node that
    // does not list `nvidia.com/gpu` has no such plugin, and the kubelet does not check.
    let gpu = crate::model::resources::NVIDIA_GPU;
    first.or_else(|| {
        crate::model::gpu::pod_gpu(pod)
            .filter(|_| pod.gpu_share.is_some() || !unknown(gpu))
            .filter(|g| !g.fits(&info.gpu_left))
            .map(|_| short(gpu, req.get(gpu)))
    })
}

/// The kubelet's rejection of pod `p` on `node` (upstream `Kubelet.rejectPod`): the reason, the
/// event's message, and the pod's status message (`Pod was rejected: ` + the event's message).
pub fn rejection(cluster: &Cluster, node: NodeId, p: PodId) -> (&'static str, String, String) {
    let s = shortfall(cluster, node, p).unwrap_or_else(|| Shortfall {
        resource: "extendedresource".into(),
        requested: 0,
        used: 0,
        capacity: 0,
    });
    let msg = s.message();
    (s.reason(), msg.clone(), format!("Pod was rejected: {msg}"))
}

/// The eviction manager's admission (upstream `pkg/kubelet/eviction/eviction_manager.go`,
/// `Admit`), which the kubelet runs before the resource fit: with no node condition, or for a
/// critical pod, it admits. Under MemoryPressure alone it admits every pod that is not
/// BestEffort, and a BestEffort pod only if it tolerates the `node.kubernetes.io/memory-pressure`
/// NoSchedule taint. Otherwise it refuses with reason `Evicted` and the message
/// `The node had condition: [MemoryPressure]. ` (Go's `%v` of the condition list). Returns the
/// reason, the event's message and the pod's status message, as [`rejection`] does.
pub fn condition_rejection(
    cluster: &Cluster,
    p: PodId,
    memory_pressure: bool,
) -> Option<(&'static str, String, String)> {
    if !memory_pressure || is_critical(cluster, p) {
        return None;
    }
    let pod = cluster.pod(p);
    if crate::model::pod::qos_class(pod) != crate::model::pod::QosClass::BestEffort {
        return None;
    }
    let taint = crate::model::Taint {
        key: crate::names::TAINT_MEMORY_PRESSURE.into(),
        value: String::new(),
        effect: crate::model::TaintEffect::NoSchedule,
    };
    if crate::model::labels::tolerations_tolerate(&pod.tolerations, &taint) {
        return None;
    }
    let msg = "The node had condition: [MemoryPressure]. ".to_string();
    Some(("Evicted", msg.clone(), format!("Pod was rejected: {msg}")))
}

/// Whether pod `p` is critical to the kubelet (a static pod, or priority ≥ 2e9): when it does not
/// fit, the kubelet evicts lower-priority pods to admit it.
pub fn is_critical(cluster: &Cluster, p: PodId) -> bool {
    let pod = cluster.pod(p);
    pod.mirror || pod.priority >= 2_000_000_000
}

/// The pods the kubelet may evict to admit critical pod `p` on `node`, in eviction order: running
/// (`running(q)`), not static, of lower priority; lowest priority first, then the newest first.
/// The caller evicts them one by one until [`admits`] holds.
pub fn critical_victims(
    cluster: &Cluster,
    node: NodeId,
    p: PodId,
    running: impl Fn(PodId) -> bool,
) -> Vec<PodId> {
    let prio = cluster.pod(p).priority;
    let mut victims: Vec<PodId> = cluster
        .node(node)
        .pods
        .iter()
        .copied()
        .filter(|q| {
            let o = cluster.pod(*q);
            !o.mirror && o.priority < prio && running(*q)
        })
        .collect();
    victims.sort_by_key(|q| (cluster.pod(*q).priority, std::cmp::Reverse(*q)));
    victims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Node, Resources, simple_pod};

    fn cluster(pods: i64) -> Cluster {
        let mut c = Cluster::new();
        c.add_node(Node {
            name: "n1".into(),
            labels: Default::default(),
            taints: vec![],
            unschedulable: false,
            allocatable: Resources { milli_cpu: 1_000, memory: 1 << 30, pods, ..Default::default() },
            capacity: Default::default(),
            images: vec![],
        })
        .unwrap();
        c
    }

    #[test]
    fn the_first_missing_resource_names_the_rejection() {
        let mut c = cluster(110);
        let small = c.add_pod(simple_pod("small", Resources { milli_cpu: 500, ..Default::default() }));
        let big = c.add_pod(simple_pod(
            "big",
            Resources { milli_cpu: 2_000, memory: 2 << 30, ..Default::default() },
        ));
        assert!(admits(&c, 0, small));
        c.bind(small, 0).unwrap();
        // Upstream's numbers: millicores for cpu; cpu is checked before memory.
        let (r, event, status) = rejection(&c, 0, big);
        assert_eq!(r, "OutOfcpu");
        assert_eq!(
            event,
            "Node didn't have enough resource: cpu, requested: 2000, used: 500, capacity: 1000"
        );
        assert_eq!(status, format!("Pod was rejected: {event}"));
        let mut mem = simple_pod("mem", Resources { milli_cpu: 100, memory: 2 << 30, ..Default::default() });
        mem.requests.scalar.insert("example.com/foo".into(), 1);
        let mem = c.add_pod(mem);
        let (r, event, _) = rejection(&c, 0, mem);
        assert_eq!(r, "OutOfmemory");
        assert_eq!(
            event,
            "Node didn't have enough resource: memory, requested: 2147483648, used: 0, capacity: 1073741824"
        );
        let mut ext = simple_pod("ext", Resources::default());
        ext.requests.scalar.insert("example.com/foo".into(), 2);
        let ext = c.add_pod(ext);
        // The node does not list example.com/foo: upstream's `removeMissingExtendedResources`
        // drops the request and the kubelet admits the pod.
        assert!(admits(&c, 0, ext));
        // Listed with 0, it is checked.
        let mut listed = Cluster::new();
        let mut allocatable =
            Resources { milli_cpu: 1_000, memory: 1 << 30, pods: 110, ..Default::default() };
        allocatable.scalar.insert("example.com/foo".into(), 0);
        listed
            .add_node(Node {
                name: "n1".into(),
                labels: Default::default(),
                taints: vec![],
                unschedulable: false,
                allocatable,
                capacity: Default::default(),
                images: vec![],
            })
            .unwrap();
        let mut ext = simple_pod("ext", Resources::default());
        ext.requests.scalar.insert("example.com/foo".into(), 2);
        let ext = listed.add_pod(ext);
        let (r, event, _) = rejection(&listed, 0, ext);
        assert_eq!(r, "OutOfexample.com/foo", "upstream: OutOf + the resource name");
        assert_eq!(
            event,
            "Node didn't have enough resource: example.com/foo, requested: 2, used: 0, capacity: 0"
        );
        let mut full = cluster(1);
        let a = full.add_pod(simple_pod("a", Resources::default()));
        let b = full.add_pod(simple_pod("b", Resources::default()));
        full.bind(a, 0).unwrap();
        let (r, event, _) = rejection(&full, 0, b);
        assert_eq!(r, "OutOfpods");
        assert_eq!(event, "Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1");
    }

    /// The kubelet's fit (`AdmissionCheck` with PodLevelResources on) counts the pod-level
    /// request in place of the containers' and adds the RuntimeClass overhead.
    #[test]
    fn kubelet_fit_counts_pod_level_requests_and_overhead() {
        let mut c = cluster(110);
        let other = c.add_pod(simple_pod("other", Resources { milli_cpu: 100, ..Default::default() }));
        c.bind(other, 0).unwrap();
        let mut p = simple_pod("pl", Resources { milli_cpu: 100, ..Default::default() });
        p.pod_level_requests.insert("cpu".into(), 900);
        p.overhead.milli_cpu = 50;
        p.refresh_requests();
        let p = c.add_pod(p);
        let (r, event, _) = rejection(&c, 0, p);
        assert_eq!(r, "OutOfcpu");
        assert_eq!(event, "Node didn't have enough resource: cpu, requested: 950, used: 100, capacity: 1000");
    }

    #[test]
    fn critical_victims_are_lower_priority_running_pods_lowest_first() {
        let mut c = cluster(110);
        let mut ids = Vec::new();
        for (name, prio) in [("a", 10), ("b", 0), ("c", 10), ("d", 5_000)] {
            let mut p = simple_pod(name, Resources::default());
            p.priority = prio;
            let id = c.add_pod(p);
            c.bind(id, 0).unwrap();
            ids.push(id);
        }
        let mut crit = simple_pod("crit", Resources::default());
        crit.priority = 2_000_000_000;
        let crit = c.add_pod(crit);
        assert!(is_critical(&c, crit));
        assert!(!is_critical(&c, ids[0]));
        // Lowest priority first (ties: the newest first), `d` last; `a` is not running here.
        let v = critical_victims(&c, 0, crit, |q| q != ids[0]);
        assert_eq!(v, vec![ids[1], ids[2], ids[3]]);
    }
}
