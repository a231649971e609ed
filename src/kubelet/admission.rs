//! The kubelet's admission of a pod bound to its node (upstream's admission re-runs the resource
//! fit): pure functions over the true [`Cluster`]. The engine applies the verdicts (critical pod
//! preemption, `OutOf...` rejections).

use crate::model::{Cluster, NodeId, PodId};

/// Whether the kubelet of `node` admits pod `p` against the true cluster (resources and pod
/// count).
pub fn admits(cluster: &Cluster, node: NodeId, p: PodId) -> bool {
    shortfall(cluster, node, p).is_none()
}

/// The first resource the node lacks for the pod, in the kubelet's order (pods, cpu, memory,
/// ephemeral-storage, extended resources).
pub fn shortfall(cluster: &Cluster, node: NodeId, p: PodId) -> Option<String> {
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
pub fn reason(cluster: &Cluster, node: NodeId, p: PodId) -> &'static str {
    match shortfall(cluster, node, p).as_deref() {
        Some("cpu") => "OutOfcpu",
        Some("memory") => "OutOfmemory",
        Some("pods") => "OutOfpods",
        Some("ephemeral-storage") => "OutOfephemeral-storage",
        _ => "OutOfextendedresource",
    }
}

/// The kubelet's rejection of pod `p` on `node`: its reason ([`reason`]) and the message of the
/// event it records.
pub fn rejection(cluster: &Cluster, node: NodeId, p: PodId) -> (&'static str, String) {
    let reason = reason(cluster, node, p);
    let msg = format!(
        "Pod was rejected: Node didn't have enough resource: {} (node {})",
        reason.trim_start_matches("OutOf"),
        cluster.node(node).node.name
    );
    (reason, msg)
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
        assert_eq!(reason(&c, 0, big), "OutOfcpu", "cpu is checked before memory");
        let (r, msg) = rejection(&c, 0, big);
        assert_eq!(r, "OutOfcpu");
        assert_eq!(msg, "Pod was rejected: Node didn't have enough resource: cpu (node n1)");
        let mut full = cluster(1);
        let a = full.add_pod(simple_pod("a", Resources::default()));
        let b = full.add_pod(simple_pod("b", Resources::default()));
        full.bind(a, 0).unwrap();
        assert_eq!(reason(&full, 0, b), "OutOfpods");
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
