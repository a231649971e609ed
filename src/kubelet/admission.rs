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
